/* test-metrics.c: NetringMetrics over a capture and an injector with real
 * traffic on a veth pair in a private network namespace, and the
 * NetringReceiver::drops alarm with a stalled consumer.
 *
 * The exposition is parsed here, line by line, and every sample must equal
 * the field of the objects' own statistics read after the traffic ended;
 * the frames counted must be the frames sent. */
#include "config.h"

#include <string.h>

#include <netring/netring.h>

#include "nr-test-net.h"

#define N_FRAMES 300
#define FRAME_LENGTH 200

/* ---- a small parser of the text format -------------------------------- */

typedef struct {
  GHashTable *samples;   /* "name{labels}" → guint64 value (boxed) */
  GHashTable *types;     /* family → "counter" / "gauge" */
  GHashTable *helps;     /* family → number of HELP lines */
} Exposition;

static void
exposition_free (Exposition *e)
{
  g_hash_table_unref (e->samples);
  g_hash_table_unref (e->types);
  g_hash_table_unref (e->helps);
  g_free (e);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Exposition, exposition_free)

static Exposition *
parse (const gchar *text)
{
  Exposition *e = g_new0 (Exposition, 1);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint i;

  e->samples = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  e->types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  e->helps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_assert_true (text[0] == '\0' || g_str_has_suffix (text, "\n"));
  for (i = 0; lines[i] != NULL; i++)
    {
      const gchar *line = lines[i];
      const gchar *space;
      guint64 value;
      gchar *end;

      if (line[0] == '\0')
        {
          g_assert_null (lines[i + 1]); /* only the end is empty */
          continue;
        }
      if (g_str_has_prefix (line, "# TYPE "))
        {
          g_auto(GStrv) parts = g_strsplit (line + 7, " ", 2);

          g_assert_false (g_hash_table_contains (e->types, parts[0]));
          g_hash_table_insert (e->types, g_strdup (parts[0]), g_strdup (parts[1]));
          continue;
        }
      if (g_str_has_prefix (line, "# HELP "))
        {
          g_auto(GStrv) parts = g_strsplit (line + 7, " ", 2);
          guint n = GPOINTER_TO_UINT (g_hash_table_lookup (e->helps, parts[0]));

          g_assert_nonnull (parts[1]);
          g_hash_table_insert (e->helps, g_strdup (parts[0]), GUINT_TO_POINTER (n + 1));
          continue;
        }
      g_assert_false (line[0] == '#');
      space = strrchr (line, ' ');
      g_assert_nonnull (space);
      value = g_ascii_strtoull (space + 1, &end, 10);
      g_assert_true (*end == '\0');
      {
        g_autofree gchar *key = g_strndup (line, space - line);
        g_assert_false (g_hash_table_contains (e->samples, key));
        g_hash_table_insert (e->samples, g_steal_pointer (&key), g_memdup2 (&value, sizeof value));
      }
    }
  return e;
}

/* The value of sample @name{@labels}; fails the test when it is absent. */
static guint64
sample (Exposition *e, const gchar *name, const gchar *labels)
{
  g_autofree gchar *key = g_strdup_printf ("%s{%s}", name, labels);
  guint64 *value = g_hash_table_lookup (e->samples, key);

  if (value == NULL)
    g_error ("no sample %s", key);
  /* its family has one HELP and one TYPE, counter for *_total */
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (e->helps, name)), ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (e->types, name), ==,
                   g_str_has_suffix (name, "_total") ? "counter" : "gauge");
  return *value;
}

static guint
count_prefixed (Exposition *e, const gchar *prefix)
{
  GHashTableIter iter;
  gpointer key;
  guint n = 0;

  g_hash_table_iter_init (&iter, e->samples);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_str_has_prefix (key, prefix))
      n++;
  return n;
}

/* ---- objects ------------------------------------------------------------ */

static NetringCapture *
open_capture (const NrTestVeth *veth, guint block_size, guint block_count)
{
  g_autoptr(GError) error = NULL;
  NetringCapture *capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error,
                                            "interface", veth->b, "block-size", block_size,
                                            "block-count", block_count, "block-timeout-ms", 10,
                                            NULL);

  g_assert_no_error (error);
  return capture;
}

static void
inject (NetringInjector *injector, const NrTestVeth *veth, guint n)
{
  guint8 frame[FRAME_LENGTH];
  guint i;

  for (i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;

      nr_test_frame_fill (frame, sizeof frame, i, veth->mac_a, veth->mac_b);
      while (!netring_injector_send (injector, frame, sizeof frame, &error))
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          g_clear_error (&error);
          netring_injector_flush (injector, &error);
          g_assert_no_error (error);
          netring_injector_wait_drained (injector, 10000, NULL, &error);
          g_assert_no_error (error);
        }
    }
  {
    g_autoptr(GError) error = NULL;

    netring_injector_flush (injector, &error);
    g_assert_no_error (error);
    netring_injector_wait_drained (injector, 10000, NULL, &error);
    g_assert_no_error (error);
  }
}

/* Receives until @n test frames arrived, checking each byte for byte. */
static void
receive_all (NetringCapture *capture, const NrTestVeth *veth, guint n)
{
  guint got = 0;

  while (got < n)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch =
        netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 10000, NULL, &error);
      g_autoptr(GPtrArray) packets = NULL;
      guint i;

      g_assert_no_error (error);
      packets = netring_batch_get_packets (batch);
      for (i = 0; i < packets->len; i++)
        {
          NetringPacket *packet = g_ptr_array_index (packets, i);
          gsize length = 0;
          const guint8 *data = netring_packet_get_data (packet, &length);

          g_assert_cmpuint (length, ==, FRAME_LENGTH);
          g_assert_true (nr_test_frame_check (data, length, got, veth->mac_a, veth->mac_b));
          got++;
        }
    }
  g_assert_cmpuint (got, ==, n);
}

/* ---- tests -------------------------------------------------------------- */

static void
test_render_capture_injector (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = open_capture (veth, 1u << 16, 8);
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringMetrics) metrics = netring_metrics_new ();
  g_autoptr(NetringReceiverStats) rx = NULL;
  g_autoptr(NetringInjectorStats) tx = NULL;
  g_autoptr(Exposition) e = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *again = NULL;
  g_autofree gchar *rx_labels = NULL;
  g_autofree gchar *tx_labels = NULL;

  nr_test_veth_wait_running (veth);
  injector = netring_injector_new (veth->a, &error);
  g_assert_no_error (error);

  netring_metrics_add (metrics, G_OBJECT (capture), "rx");
  netring_metrics_add (metrics, G_OBJECT (injector), "tx");
  g_assert_cmpuint (netring_metrics_get_n_objects (metrics), ==, 2);

  inject (injector, veth, N_FRAMES);
  receive_all (capture, veth, N_FRAMES);

  rx = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_no_error (error);
  tx = netring_injector_get_stats (injector);
  text = netring_metrics_render (metrics);
  again = netring_metrics_render (metrics);
  g_test_message ("%s", text);
  /* rendering changes nothing */
  g_assert_cmpstr (text, ==, again);
  e = parse (text);

  rx_labels = g_strdup_printf ("iface=\"%s\",instance=\"rx\"", veth->b);
  tx_labels = g_strdup_printf ("iface=\"%s\",instance=\"tx\"", veth->a);

  g_assert_cmpuint (rx->packets, ==, N_FRAMES);
  g_assert_cmpuint (rx->received, ==, N_FRAMES);
  g_assert_cmpuint (rx->drops, ==, 0);
  g_assert_cmpuint (sample (e, "netring_capture_packets_total", rx_labels), ==, rx->packets);
  g_assert_cmpuint (sample (e, "netring_capture_drops_total", rx_labels), ==, rx->drops);
  g_assert_cmpuint (sample (e, "netring_capture_freezes_total", rx_labels), ==, rx->freezes);
  g_assert_cmpuint (sample (e, "netring_capture_received_total", rx_labels), ==, rx->received);
  g_assert_cmpuint (sample (e, "netring_capture_batches_total", rx_labels), ==, rx->batches);
  g_assert_cmpuint (sample (e, "netring_capture_lost_blocks_total", rx_labels), ==,
                    rx->lost_blocks);
  g_assert_cmpuint (sample (e, "netring_capture_held_batches", rx_labels), ==, 0);
  g_assert_cmpuint (sample (e, "netring_capture_held_packets", rx_labels), ==, 0);

  g_assert_cmpuint (tx->frames_sent, ==, N_FRAMES);
  g_assert_cmpuint (tx->bytes_sent, ==, N_FRAMES * FRAME_LENGTH);
  g_assert_cmpuint (sample (e, "netring_injector_frames_queued_total", tx_labels), ==,
                    tx->frames_queued);
  g_assert_cmpuint (sample (e, "netring_injector_frames_sent_total", tx_labels), ==,
                    tx->frames_sent);
  g_assert_cmpuint (sample (e, "netring_injector_bytes_sent_total", tx_labels), ==,
                    tx->bytes_sent);
  g_assert_cmpuint (sample (e, "netring_injector_frames_rejected_total", tx_labels), ==,
                    tx->frames_rejected);
  g_assert_cmpuint (sample (e, "netring_injector_frames_refused_total", tx_labels), ==,
                    tx->frames_refused);
  g_assert_cmpuint (sample (e, "netring_injector_frames_aborted_total", tx_labels), ==,
                    tx->frames_aborted);
  g_assert_cmpuint (sample (e, "netring_injector_frames_discarded_total", tx_labels), ==,
                    tx->frames_discarded);
  g_assert_cmpuint (sample (e, "netring_injector_kicks_total", tx_labels), ==, tx->kicks);
  g_assert_cmpuint (sample (e, "netring_injector_send_buffer_full_total", tx_labels), ==,
                    tx->send_buffer_full);
  g_assert_cmpuint (sample (e, "netring_injector_device_queue_full_total", tx_labels), ==,
                    tx->device_queue_full);
  g_assert_cmpuint (sample (e, "netring_injector_pending", tx_labels), ==, 0);
  /* nothing else */
  g_assert_cmpuint (g_hash_table_size (e->samples), ==, 8 + 11);
}

static void
test_weak (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringMetrics) metrics = netring_metrics_new ();
  NetringCapture *capture = open_capture (veth, 1u << 16, 4);
  g_autoptr(Exposition) before = NULL;
  g_autoptr(Exposition) after = NULL;
  g_autofree gchar *text = NULL;

  netring_metrics_add (metrics, G_OBJECT (capture), "gone");
  text = netring_metrics_render (metrics);
  before = parse (text);
  g_assert_cmpuint (count_prefixed (before, "netring_capture_"), ==, 8);

  g_object_unref (capture); /* the collector did not keep it */
  g_assert_cmpuint (netring_metrics_get_n_objects (metrics), ==, 0);
  g_clear_pointer (&text, g_free);
  text = netring_metrics_render (metrics);
  g_assert_cmpstr (text, ==, "");
  after = parse (text);
  g_assert_cmpuint (g_hash_table_size (after->samples), ==, 0);
}

static void
test_labels_escaped (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringMetrics) metrics = netring_metrics_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, 1u << 16, 4);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *expected = NULL;

  netring_metrics_add (metrics, G_OBJECT (capture), "a\"b\\c\nd");
  text = netring_metrics_render (metrics);
  expected = g_strdup_printf ("netring_capture_drops_total{iface=\"%s\",instance=\"a\\\"b\\\\c\\nd\"} 0\n",
                              veth->b);
  g_assert_nonnull (strstr (text, expected));

  /* a second add renames; remove takes it out */
  netring_metrics_add (metrics, G_OBJECT (capture), "plain");
  g_clear_pointer (&text, g_free);
  text = netring_metrics_render (metrics);
  g_assert_nonnull (strstr (text, "instance=\"plain\""));
  g_assert_null (strstr (text, "a\\\"b"));

  /* a closed object is left out */
  netring_receiver_close (NETRING_RECEIVER (capture), &error);
  g_assert_no_error (error);
  g_clear_pointer (&text, g_free);
  text = netring_metrics_render (metrics);
  g_assert_cmpstr (text, ==, "");

  netring_metrics_remove (metrics, G_OBJECT (capture));
  g_assert_cmpuint (netring_metrics_get_n_objects (metrics), ==, 0);
}

/* ---- drop alarms -------------------------------------------------------- */

typedef struct {
  GMainLoop *loop;
  const NrTestVeth *veth;
  GPtrArray *held;        /* batches kept while the consumer is stalled */
  gboolean stalled;
  guint received;
  guint n_signals;
  guint64 sum_new;
  guint64 last_total;
  guint64 held_at_first_signal;
  guint expected;         /* frames sent */
} DropsState;

static void
on_batch (NetringReceiver *receiver, NetringBatch *batch, DropsState *s)
{
  s->received += netring_batch_get_n_packets (batch);
  if (s->stalled)
    g_ptr_array_add (s->held, netring_batch_keep (batch));
  if (s->received + s->last_total == s->expected && !s->stalled)
    g_main_loop_quit (s->loop);
}

static void
on_drops (NetringReceiver *receiver, guint64 new_drops, guint64 total_drops, DropsState *s)
{
  g_autoptr(NetringReceiverStats) stats = netring_receiver_get_stats (receiver, NULL);

  g_assert_cmpuint (new_drops, >, 0);
  g_assert_cmpuint (total_drops, ==, s->last_total + new_drops);
  /* the total is what the statistics say at that moment */
  g_assert_cmpuint (total_drops, ==, stats->drops);
  if (s->n_signals++ == 0)
    s->held_at_first_signal = stats->held_batches;
  s->sum_new += new_drops;
  s->last_total = total_drops;
  if (s->stalled)
    {
      /* the alarm came while the consumer was stalled: stop stalling */
      s->stalled = FALSE;
      g_ptr_array_set_size (s->held, 0);
    }
  if (s->received + s->last_total == s->expected)
    g_main_loop_quit (s->loop);
}

static gboolean
hang_guard (gpointer data)
{
  g_error ("timed out waiting for the drop alarm");
  return G_SOURCE_REMOVE;
}

static void
test_drops_stalled_consumer (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  /* 4 blocks of 16 KiB: about 280 frames of 200 bytes fit; more are dropped */
  g_autoptr(NetringCapture) capture = open_capture (veth, 1u << 14, 4);
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GSource) guard = g_timeout_source_new_seconds (30);
  DropsState s = { 0 };
  const guint n = 2000;

  nr_test_veth_wait_running (veth);
  s.loop = loop;
  s.veth = veth;
  s.held = g_ptr_array_new_with_free_func ((GDestroyNotify) netring_batch_unref);
  s.stalled = TRUE;
  s.expected = n;
  g_signal_connect (capture, "batch", G_CALLBACK (on_batch), &s);
  g_signal_connect (capture, "drops", G_CALLBACK (on_drops), &s);
  g_source_set_callback (guard, hang_guard, NULL, NULL);
  g_source_attach (guard, NULL);

  netring_receiver_start (NETRING_RECEIVER (capture), &error);
  g_assert_no_error (error);
  /* a burst far larger than the ring, while the consumer keeps everything */
  nr_test_send_frames (veth, 0, n, FRAME_LENGTH);
  g_main_loop_run (loop);
  g_source_destroy (guard);

  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_no_error (error);
  g_test_message ("received %u, drops %" G_GUINT64_FORMAT " in %u alarms, freezes %"
                  G_GUINT64_FORMAT, s.received, stats->drops, s.n_signals, stats->freezes);
  /* the first alarm came while the consumer held the ring */
  g_assert_cmpuint (s.n_signals, >=, 1);
  g_assert_cmpuint (s.held_at_first_signal, >, 0);
  /* every frame sent was received or counted as dropped, and the alarms
   * add up to the statistics' total */
  g_assert_cmpuint (stats->packets, ==, n);
  g_assert_cmpuint (stats->received, ==, s.received);
  g_assert_cmpuint (stats->drops, >, 0);
  g_assert_cmpuint (stats->received + stats->drops, ==, n);
  g_assert_cmpuint (s.last_total, ==, stats->drops);
  g_assert_cmpuint (s.sum_new, ==, stats->drops);
  g_assert_false (s.stalled);
  g_assert_cmpuint (s.held->len, ==, 0);

  netring_receiver_stop (NETRING_RECEIVER (capture));
  g_ptr_array_unref (s.held);
}

int
main (int argc, char **argv)
{
  nr_test_net_enter_or_skip ("test-metrics");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/metrics/render-capture-injector", test_render_capture_injector);
  g_test_add_func ("/metrics/weak", test_weak);
  g_test_add_func ("/metrics/labels-escaped", test_labels_escaped);
  g_test_add_func ("/metrics/drops-stalled-consumer", test_drops_stalled_consumer);
  return g_test_run ();
}
