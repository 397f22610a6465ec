/* test-pcap-replay.c: NetringPcapReader and NetringPcapReplay on a veth pair
 * in a private network namespace.
 *
 * Files are written by the library's own writer (from a real capture) or,
 * where the timing must be exact, record by record in classic nanosecond
 * pcap by this test. They are replayed through a NetringInjector on one end
 * of the pair; a capture on the other end records what arrived, with the
 * kernel's arrival timestamps, and every frame is checked byte for byte
 * and counted. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netring/netring.h>

#include "nr-test-net.h"

#define SENTINEL_SEQ 0xfffffu

static gchar *tmpdir;

static gsize
length_for (guint32 seq)
{
  return 60 + (seq * 37u) % 1400u;
}

/* ---- files written by hand ----------------------------------------------- */

static void
put32 (GByteArray *file, guint32 value)
{
  g_byte_array_append (file, (const guint8 *) &value, 4);
}

/* Writes a nanosecond pcap file of @n test frames from @veth, frame i at
 * i × @interval_ns after a fixed start, frame @huge_at (if < n) 3000 bytes
 * long. Returns the path. */
static gchar *
write_file (const NrTestVeth *veth, const char *name, guint n, gint64 interval_ns, guint huge_at)
{
  g_autoptr(GByteArray) file = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  gchar *path = g_build_filename (tmpdir, name, NULL);
  gint64 start = G_GINT64_CONSTANT (1700000000) * 1000000000;
  guint i;

  put32 (file, 0xa1b23c4d); /* nanosecond pcap */
  put32 (file, 2 | 4u << 16);
  put32 (file, 0);
  put32 (file, 0);
  put32 (file, 65535);
  put32 (file, 1); /* Ethernet */
  for (i = 0; i < n; i++)
    {
      gsize length = i == huge_at ? 3000 : length_for (i);
      g_autofree guint8 *frame = g_malloc (length);
      gint64 ts = start + (gint64) i * interval_ns;

      nr_test_frame_fill (frame, length, i, veth->mac_a, veth->mac_b);
      put32 (file, (guint32) (ts / 1000000000));
      put32 (file, (guint32) (ts % 1000000000));
      put32 (file, (guint32) length);
      put32 (file, (guint32) length);
      g_byte_array_append (file, frame, (guint) length);
    }
  g_file_set_contents (path, (const gchar *) file->data, file->len, &error);
  g_assert_no_error (error);
  return path;
}

/* ---- what arrives on the peer -------------------------------------------- */

typedef struct {
  guint32 seq;
  guint32 length;
  gint64 timestamp_ns;
  gboolean intact;
} Arrival;

typedef struct {
  const NrTestVeth *veth;
  NetringCapture *capture;
  GThread *thread;
  GMutex lock;
  GCond cond;
  GArray *arrivals;
  gboolean sentinel; /* the sentinel arrived: everything before it did */
  gint stop;
  GPtrArray *expected; /* GBytes per seq, or NULL: compare with the test frame */
} Collector;

static gpointer
collector_thread (gpointer data)
{
  Collector *c = data;

  while (!g_atomic_int_get (&c->stop))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch =
        netring_receiver_next_batch_timeout (NETRING_RECEIVER (c->capture), 20, NULL, &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      if (batch == NULL)
        {
          if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            g_error ("capture: %s", error->message);
          continue;
        }
      netring_batch_iter_init (&iter, batch);
      g_mutex_lock (&c->lock);
      while (netring_batch_iter_next (&iter, &info))
        {
          Arrival a = { 0 };

          if (info.captured_length < 20 || info.data[12] != (NR_TEST_ETHERTYPE >> 8) ||
              info.data[13] != (NR_TEST_ETHERTYPE & 0xff))
            continue;
          a.seq = nr_test_frame_seq (info.data);
          if (a.seq == SENTINEL_SEQ)
            {
              c->sentinel = TRUE;
              continue;
            }
          a.length = info.captured_length;
          a.timestamp_ns = info.timestamp_ns;
          if (c->expected != NULL)
            {
              gsize length;
              const guint8 *want = a.seq < c->expected->len
                                     ? g_bytes_get_data (c->expected->pdata[a.seq], &length)
                                     : NULL;

              a.intact = want != NULL && length == info.captured_length &&
                         memcmp (want, info.data, length) == 0;
            }
          else
            a.intact = info.captured_length == length_for (a.seq) &&
                       nr_test_frame_check (info.data, info.captured_length, a.seq,
                                            c->veth->mac_a, c->veth->mac_b);
          g_array_append_val (c->arrivals, a);
        }
      g_cond_broadcast (&c->cond);
      g_mutex_unlock (&c->lock);
    }
  return NULL;
}

static Collector *
collector_new (const NrTestVeth *veth)
{
  Collector *c = g_new0 (Collector, 1);
  g_autoptr(GError) error = NULL;

  c->veth = veth;
  /* The ring holds every frame of any test here even if the collector
   * does not run at all during the replay (a loaded machine): 16 MiB holds
   * the bytes, and a block is handed over after 100 ms at the earliest, so
   * 16 blocks last 1.6 s, longer than the longest replay. With 2 ms the
   * blocks left nearly empty and 16 of them lasted 32 ms at 10,000 frames/s:
   * a longer stall of the collector made the kernel drop frames. */
  c->capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->b,
                               "block-size", 1u << 20, "block-count", 16u,
                               "block-timeout-ms", 100, NULL);
  g_assert_no_error (error);
  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  c->arrivals = g_array_new (FALSE, TRUE, sizeof (Arrival));
  c->thread = g_thread_new ("collector", collector_thread, c);
  return c;
}

/* Sends the sentinel through @sender after everything else and waits (20 s
 * hang guard) until it arrived: then every frame sent before it has. */
static void
collector_finish (Collector *c, NetringSender *sender)
{
  g_autoptr(GError) error = NULL;
  guint8 frame[60];
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

  nr_test_frame_fill (frame, sizeof frame, SENTINEL_SEQ, c->veth->mac_a, c->veth->mac_b);
  g_assert_true (netring_sender_wait_drained (sender, 20000, NULL, &error));
  g_assert_true (netring_sender_send (sender, frame, sizeof frame, &error));
  g_assert_no_error (error);
  netring_sender_flush (sender, &error);
  g_assert_no_error (error);
  g_mutex_lock (&c->lock);
  while (!c->sentinel)
    if (!g_cond_wait_until (&c->cond, &c->lock, deadline))
      g_error ("the sentinel frame never arrived (%u frames did)", c->arrivals->len);
  g_mutex_unlock (&c->lock);
  g_atomic_int_set (&c->stop, 1);
  g_thread_join (c->thread);

  /* a frame missing below must not be the capture's own loss */
  {
    g_autoptr(NetringReceiverStats) stats =
      netring_receiver_get_stats (NETRING_RECEIVER (c->capture), &error);

    g_assert_no_error (error);
    g_test_message ("capture: %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT " dropped",
                    stats->packets, stats->drops);
    g_assert_cmpuint (stats->drops, ==, 0);
  }
}

static void
collector_free (Collector *c)
{
  g_object_unref (c->capture);
  g_array_unref (c->arrivals);
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Collector, collector_free)

/* Every arrival intact, @loops times frames 0..n-1 in order but @skip. */
static void
check_arrivals (Collector *c, guint n, guint loops, guint skip)
{
  guint i, k = 0, loop;

  for (loop = 0; loop < loops; loop++)
    for (i = 0; i < n; i++)
      {
        const Arrival *a;

        if (i == skip)
          continue;
        g_assert_cmpuint (k, <, c->arrivals->len);
        a = &g_array_index (c->arrivals, Arrival, k);
        g_assert_cmpuint (a->seq, ==, i);
        g_assert_true (a->intact);
        k++;
      }
  g_assert_cmpuint (c->arrivals->len, ==, k);
}

static NetringInjector *
open_injector (const NrTestVeth *veth)
{
  g_autoptr(GError) error = NULL;
  NetringInjector *injector = netring_injector_new (veth->a, &error);

  g_assert_no_error (error);
  return injector;
}

static NetringPcapReplay *
open_replay (const char *path, NetringInjector *injector)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringPcapReader) reader = netring_pcap_reader_new (path, &error);

  g_assert_no_error (error);
  return netring_pcap_replay_new (reader, NETRING_SENDER (injector));
}

/* ---- tests ---------------------------------------------------------------- */

/* Frames captured, written by NetringPcapWriter as pcapng, read back (from
 * a path and from a stream) and replayed: the peer gets them byte for
 * byte. */
static void
test_writer_roundtrip (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree gchar *path = g_build_filename (tmpdir, "roundtrip.pcapng", NULL);
  const guint n = 200;
  guint i, got = 0;

  nr_test_veth_wait_running (veth);
  {
    g_autoptr(Collector) first = collector_new (veth);
    g_autoptr(GFile) file = g_file_new_for_path (path);
    g_autoptr(GFileOutputStream) out = g_file_replace (file, NULL, FALSE, 0, NULL, &error);
    g_autoptr(NetringPcapWriter) writer = NULL;
    int fd = nr_test_sender_open (veth);

    g_assert_no_error (error);
    g_atomic_int_set (&first->stop, 1); /* capture by hand below */
    g_thread_join (first->thread);
    writer = netring_pcap_writer_new (G_OUTPUT_STREAM (out), NETRING_PCAP_FORMAT_PCAPNG, &error);
    g_assert_no_error (error);
    netring_pcap_writer_add_interface_for_receiver (writer, NETRING_RECEIVER (first->capture),
                                                    &error);
    g_assert_no_error (error);
    for (i = 0; i < n; i++)
      {
        gsize length = length_for (i);
        guint8 *frame = g_malloc (length);

        nr_test_frame_fill (frame, length, i, veth->mac_a, veth->mac_b);
        nr_test_sender_send (fd, frame, length);
        g_ptr_array_add (sent, g_bytes_new_take (frame, length));
      }
    close (fd);
    while (got < n)
      {
        g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (
          NETRING_RECEIVER (first->capture), 5000, NULL, &error);

        g_assert_no_error (error);
        got += netring_batch_get_n_packets (batch);
        g_assert_true (netring_pcap_writer_write_batch (writer, 0, batch, NULL, &error));
      }
    g_assert_cmpuint (got, ==, n);
    g_assert_true (netring_pcap_writer_close (writer, NULL, &error));
    g_assert_no_error (error);
  }

  /* read back, from the path and from a stream */
  for (guint way = 0; way < 2; way++)
    {
      g_autoptr(NetringPcapReader) reader = NULL;
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(GFileInputStream) in = NULL;
      gint64 last_ts = 0;

      if (way == 0)
        reader = netring_pcap_reader_new (path, &error);
      else
        {
          in = g_file_read (file, NULL, &error);
          g_assert_no_error (error);
          reader = netring_pcap_reader_new_for_stream (G_INPUT_STREAM (in), &error);
        }
      g_assert_no_error (error);
      g_assert_cmpint (netring_pcap_reader_get_link_type (reader), ==, 1);
      for (i = 0;; i++)
        {
          g_autoptr(NetringPacket) packet = netring_pcap_reader_next_packet (reader, &error);
          gsize length;
          const guint8 *data;

          g_assert_no_error (error);
          if (packet == NULL)
            break;
          g_assert_cmpuint (i, <, n);
          g_assert_true (netring_packet_is_detached (packet));
          data = netring_packet_get_data (packet, &length);
          g_assert_cmpmem (data, length, g_bytes_get_data (sent->pdata[i], NULL),
                           g_bytes_get_size (sent->pdata[i]));
          g_assert_cmpuint (netring_packet_get_wire_length (packet), ==, length);
          g_assert_cmpint (netring_packet_get_timestamp (packet), >=, last_ts);
          g_assert_cmpint (netring_packet_get_timestamp (packet), >, 0);
          last_ts = netring_packet_get_timestamp (packet);
        }
      g_assert_cmpuint (i, ==, n);
      g_assert_cmpuint (netring_pcap_reader_get_n_records (reader), ==, n);
      /* rewinding works for both (a file stream can seek) */
      g_assert_true (netring_pcap_reader_rewind (reader, &error));
      g_assert_no_error (error);
      {
        g_autoptr(NetringPacket) again = netring_pcap_reader_next_packet (reader, &error);
        g_assert_nonnull (again);
        g_assert_cmpuint (netring_packet_get_captured_length (again), ==, length_for (0));
      }
    }

  /* replay as fast as possible: byte for byte, count for count */
  {
    g_autoptr(Collector) c = collector_new (veth);
    g_autoptr(NetringInjector) injector = open_injector (veth);
    g_autoptr(NetringPcapReplay) replay = open_replay (path, injector);

    c->expected = sent;
    netring_pcap_replay_set_mode (replay, NETRING_PCAP_REPLAY_MODE_TOPSPEED);
    g_assert_true (netring_pcap_replay_run (replay, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (netring_pcap_replay_get_frames_sent (replay), ==, n);
    collector_finish (c, NETRING_SENDER (injector));
    check_arrivals (c, n, 1, G_MAXUINT);
  }
}

/* Runs @replay with run_async in a main loop; returns the duration between
 * the first and the last arrival in ns. */
typedef struct {
  GMainLoop *loop;
  gboolean ok;
  GError *error;
  guint progress;
} AsyncResult;

static void
replay_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  AsyncResult *r = data;

  r->ok = netring_pcap_replay_run_finish (NETRING_PCAP_REPLAY (source), result, &r->error);
  g_main_loop_quit (r->loop);
}

static void
progress_cb (NetringPcapReplay *replay, guint64 frames_sent, gpointer data)
{
  AsyncResult *r = data;

  r->progress++;
  g_assert_cmpuint (frames_sent, ==, netring_pcap_replay_get_frames_sent (replay));
}

static void
run_in_loop (NetringPcapReplay *replay, GCancellable *cancellable, AsyncResult *r)
{
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  r->loop = g_main_loop_new (context, FALSE);
  netring_pcap_replay_run_async (replay, cancellable, replay_done_cb, r);
  g_main_loop_run (r->loop);
  g_main_loop_unref (r->loop);
  g_main_context_pop_thread_default (context);
}

/* How late the replay may run: 5 % of the schedule in the normal build,
 * 15 % under ASan (and UBSan), where every frame costs several times more. */
static gdouble
tolerance (void)
{
#if defined(__SANITIZE_ADDRESS__)
  return 0.15;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return 0.15;
#else
  return 0.05;
#endif
#else
  return 0.05;
#endif
}

/* How long the calling thread has waited for a CPU while it could have
 * run, in ns (the kernel's run delay), or 0 when the kernel does not say. */
static gint64
thread_run_delay_ns (void)
{
  g_autofree gchar *text = NULL;
  guint64 on_cpu = 0, waited = 0;

  if (!g_file_get_contents ("/proc/thread-self/schedstat", &text, NULL, NULL) ||
      sscanf (text, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &on_cpu, &waited) != 2)
    return 0;
  return (gint64) waited;
}

/* The arrivals (frames 0 … @n - 1, once, in order) kept the replay's
 * schedule, frame k @spacing_ns × k after the first, measured with the
 * kernel's receive timestamps:
 *
 * - never early: frame k arrived at least k × spacing after
 *   @before_real_ns, the wall clock before the replay began (the first
 *   frame leaves after that; 1 ms of slack for the clocks' rounding). A
 *   replay that ignores the timing fails this, at any machine speed.
 * - not drifting: a replay that keeps an absolute schedule catches up after
 *   a late wake-up, so among the last quarter of the frames (a quarter of
 *   the run) one arrived at most 5 % of the run after its time, measured
 *   from the first arrival. A replay that sleeps the spacing after each
 *   send (relative timing) falls behind more and more and fails this. On a
 *   loaded machine a single late wake-up (the last frame's, say) makes a
 *   late frame, not a late quarter. What the machine took from the replay
 *   is added to the 5 %: @starved_ns, the time the replaying thread waited
 *   for a CPU while it could have run (its run delay, from the kernel). */
static void
check_schedule (Collector *c, guint n, gint64 spacing_ns, gint64 before_real_ns,
                gint64 starved_ns)
{
  const Arrival *first = &g_array_index (c->arrivals, Arrival, 0);
  gint64 run_ns = (gint64) (n - 1) * spacing_ns;
  gint64 best_late_ns = G_MAXINT64, max_late_ns = 0;
  guint k;

  g_assert_cmpuint (c->arrivals->len, ==, n);
  for (k = 0; k < n; k++)
    {
      const Arrival *a = &g_array_index (c->arrivals, Arrival, k);
      gint64 late_ns = a->timestamp_ns - first->timestamp_ns - (gint64) k * spacing_ns;

      g_assert_cmpuint (a->seq, ==, k);
      if (a->timestamp_ns < before_real_ns + (gint64) k * spacing_ns - 1000000)
        g_error ("frame %u arrived %.3f ms after the replay began, before its time (%.3f ms)",
                 k, (a->timestamp_ns - before_real_ns) / 1e6, k * spacing_ns / 1e6);
      max_late_ns = MAX (max_late_ns, late_ns);
      if (k >= n - n / 4)
        best_late_ns = MIN (best_late_ns, late_ns);
    }
  g_test_message ("first to last arrival %.3f ms, scheduled %.3f ms; latest frame %.3f ms "
                  "late, least late of the last quarter %.3f ms; the replay waited %.3f ms "
                  "for a CPU",
                  (g_array_index (c->arrivals, Arrival, n - 1).timestamp_ns -
                   first->timestamp_ns) / 1e6,
                  run_ns / 1e6, max_late_ns / 1e6, best_late_ns / 1e6, starved_ns / 1e6);
  g_assert_cmpfloat ((gdouble) best_late_ns, <=,
                     tolerance () * (gdouble) run_ns + (gdouble) starved_ns);
}

/* 3000 frames recorded 100 µs apart (10,000 frames/s): at the recorded
 * timing, and at a fixed rate of 10,000 frames/s, the first-to-last arrival
 * is 299.9 ms within the tolerance. */
static void
test_pacing (gconstpointer data)
{
  NetringPcapReplayMode mode = GPOINTER_TO_INT (data);
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autofree gchar *path = NULL;
  const guint n = 3000;
  AsyncResult r = { 0 };

  nr_test_veth_wait_running (veth);
  /* in the fixed-rate mode the recorded timing (1 ms) must not matter */
  path = write_file (veth, "pacing.pcap", n,
                     mode == NETRING_PCAP_REPLAY_MODE_RATE ? 1000000 : 100000, G_MAXUINT);
  {
    g_autoptr(Collector) c = collector_new (veth);
    g_autoptr(NetringInjector) injector = open_injector (veth);
    g_autoptr(NetringPcapReplay) replay = open_replay (path, injector);

    gint64 before_real_ns, run_delay_ns;

    netring_pcap_replay_set_mode (replay, mode);
    netring_pcap_replay_set_rate (replay, 10000);
    g_signal_connect (replay, "progress", G_CALLBACK (progress_cb), &r);
    before_real_ns = g_get_real_time () * 1000;
    run_delay_ns = thread_run_delay_ns ();
    run_in_loop (replay, NULL, &r);
    run_delay_ns = thread_run_delay_ns () - run_delay_ns;
    g_assert_no_error (r.error);
    g_assert_true (r.ok);
    g_assert_cmpuint (r.progress, >=, 2);
    g_assert_cmpuint (netring_pcap_replay_get_frames_sent (replay), ==, n);
    collector_finish (c, NETRING_SENDER (injector));
    check_arrivals (c, n, 1, G_MAXUINT);
    check_schedule (c, n, 100000, before_real_ns, run_delay_ns);
  }
}

/* Speed factor 2 halves the recorded 1 ms spacing. */
static void
test_speed (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autofree gchar *path = NULL;
  g_autoptr(GError) error = NULL;
  const guint n = 400;

  nr_test_veth_wait_running (veth);
  path = write_file (veth, "speed.pcap", n, 1000000, G_MAXUINT);
  {
    g_autoptr(Collector) c = collector_new (veth);
    g_autoptr(NetringInjector) injector = open_injector (veth);
    g_autoptr(NetringPcapReplay) replay = open_replay (path, injector);

    gint64 before_real_ns = g_get_real_time () * 1000;
    gint64 run_delay_ns = thread_run_delay_ns ();

    netring_pcap_replay_set_speed (replay, 2.0);
    g_assert_true (netring_pcap_replay_run (replay, NULL, &error));
    run_delay_ns = thread_run_delay_ns () - run_delay_ns;
    g_assert_no_error (error);
    collector_finish (c, NETRING_SENDER (injector));
    check_arrivals (c, n, 1, G_MAXUINT);
    check_schedule (c, n, 500000, before_real_ns, run_delay_ns);
  }
}

/* As fast as possible: a file recorded over 2000 s goes out at once. */
static void
test_topspeed (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autofree gchar *path = NULL;
  g_autoptr(GError) error = NULL;
  const guint n = 2000;

  nr_test_veth_wait_running (veth);
  path = write_file (veth, "topspeed.pcap", n, 1000000000, G_MAXUINT);
  {
    g_autoptr(Collector) c = collector_new (veth);
    g_autoptr(NetringInjector) injector = open_injector (veth);
    g_autoptr(NetringPcapReplay) replay = open_replay (path, injector);
    gint64 start = g_get_monotonic_time ();

    netring_pcap_replay_set_mode (replay, NETRING_PCAP_REPLAY_MODE_TOPSPEED);
    g_assert_true (netring_pcap_replay_run (replay, NULL, &error));
    g_assert_no_error (error);
    /* generous: 2000 frames take milliseconds, even under ASan */
    g_assert_cmpint (g_get_monotonic_time () - start, <, 30 * G_TIME_SPAN_SECOND);
    collector_finish (c, NETRING_SENDER (injector));
    check_arrivals (c, n, 1, G_MAXUINT);
  }
}

/* Loop count 3 sends the file three times, in order. */
static void
test_loop (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autofree gchar *path = NULL;
  g_autoptr(GError) error = NULL;
  const guint n = 150;

  nr_test_veth_wait_running (veth);
  path = write_file (veth, "loop.pcap", n, 20000, G_MAXUINT);
  {
    g_autoptr(Collector) c = collector_new (veth);
    g_autoptr(NetringInjector) injector = open_injector (veth);
    g_autoptr(NetringPcapReplay) replay = open_replay (path, injector);

    netring_pcap_replay_set_loop_count (replay, 3);
    g_assert_true (netring_pcap_replay_run (replay, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (netring_pcap_replay_get_frames_sent (replay), ==, 3 * n);
    collector_finish (c, NETRING_SENDER (injector));
    check_arrivals (c, n, 3, G_MAXUINT);
  }
}

/* A frame longer than the sender takes is skipped and counted; the others
 * go out. */
static void
test_skip (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autofree gchar *path = NULL;
  g_autoptr(GError) error = NULL;
  const guint n = 100;

  nr_test_veth_wait_running (veth);
  path = write_file (veth, "skip.pcap", n, 10000, 42);
  {
    g_autoptr(Collector) c = collector_new (veth);
    g_autoptr(NetringInjector) injector = open_injector (veth);
    g_autoptr(NetringPcapReplay) replay = open_replay (path, injector);

    g_assert_cmpuint (netring_sender_get_max_length (NETRING_SENDER (injector)), <, 3000);
    g_assert_true (netring_pcap_replay_run (replay, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (netring_pcap_replay_get_frames_sent (replay), ==, n - 1);
    g_assert_cmpuint (netring_pcap_replay_get_frames_skipped (replay), ==, 1);
    g_assert_cmpuint (netring_pcap_replay_get_frames_rejected (replay), ==, 0);
    collector_finish (c, NETRING_SENDER (injector));
    check_arrivals (c, n, 1, 42);
  }
}

/* A file cut in the middle of record 31: the reader hands out the 30 frames
 * before, then an error naming the file, the record and the damage; the
 * replay sends those 30 and fails with the same error. */
static void
test_truncated (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *contents = NULL;
  gsize size, cut = 24;
  guint i;

  nr_test_veth_wait_running (veth);
  path = write_file (veth, "truncated.pcap", 50, 10000, G_MAXUINT);
  g_file_get_contents (path, &contents, &size, &error);
  g_assert_no_error (error);
  for (i = 0; i < 30; i++)
    cut += 16 + length_for (i);
  cut += 16 + length_for (30) / 2; /* the header and half the bytes of record 31 */
  g_file_set_contents (path, contents, (gssize) cut, &error);
  g_assert_no_error (error);

  {
    g_autoptr(NetringPcapReader) reader = netring_pcap_reader_new (path, &error);
    guint read = 0;

    g_assert_no_error (error);
    for (;;)
      {
        g_autoptr(NetringPacket) packet = netring_pcap_reader_next_packet (reader, &error);

        if (packet == NULL)
          break;
        read++;
      }
    g_assert_cmpuint (read, ==, 30);
    g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_DATA);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, path));
    g_assert_nonnull (strstr (error->message, "31"));
    g_clear_error (&error);
    /* and again */
    g_assert_null (netring_pcap_reader_next_packet (reader, &error));
    g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }

  {
    g_autoptr(Collector) c = collector_new (veth);
    g_autoptr(NetringInjector) injector = open_injector (veth);
    g_autoptr(NetringPcapReplay) replay = open_replay (path, injector);

    g_assert_false (netring_pcap_replay_run (replay, NULL, &error));
    g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_DATA);
    g_clear_error (&error);
    g_assert_cmpuint (netring_pcap_replay_get_frames_sent (replay), ==, 30);
    collector_finish (c, NETRING_SENDER (injector));
    check_arrivals (c, 30, 1, G_MAXUINT);
  }

  /* not a packet file at all */
  {
    g_autofree gchar *junk = g_build_filename (tmpdir, "junk.pcap", NULL);
    g_autoptr(NetringPcapReader) reader = NULL;

    g_file_set_contents (junk, "this is not a capture file at all", -1, &error);
    g_assert_no_error (error);
    reader = netring_pcap_reader_new (junk, &error);
    g_assert_null (reader);
    g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, junk));
  }
}

static void
cancel_progress_cb (NetringPcapReplay *replay, guint64 frames_sent, gpointer data)
{
  if (frames_sent >= 500)
    g_cancellable_cancel (data);
}

/* Cancelled mid-replay: it stops, reports G_IO_ERROR_CANCELLED, and exactly
 * the frames counted as sent arrive. */
static void
test_cancel (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree gchar *path = NULL;
  const guint n = 5000;
  AsyncResult r = { 0 };
  guint64 sent;

  nr_test_veth_wait_running (veth);
  path = write_file (veth, "cancel.pcap", n, 100000, G_MAXUINT);
  {
    g_autoptr(Collector) c = collector_new (veth);
    g_autoptr(NetringInjector) injector = open_injector (veth);
    g_autoptr(NetringPcapReplay) replay = open_replay (path, injector);

    g_signal_connect (replay, "progress", G_CALLBACK (cancel_progress_cb), cancellable);
    run_in_loop (replay, cancellable, &r);
    g_assert_false (r.ok);
    g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&r.error);
    sent = netring_pcap_replay_get_frames_sent (replay);
    g_test_message ("cancelled after %" G_GUINT64_FORMAT " frames", sent);
    g_assert_cmpuint (sent, >=, 500);
    g_assert_cmpuint (sent, <, n);
    collector_finish (c, NETRING_SENDER (injector));
    check_arrivals (c, (guint) sent, 1, G_MAXUINT);
  }
}

static void
remove_tmpdir (void)
{
  g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (tmpdir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (tmpdir);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  nr_test_net_enter_or_skip ("test-pcap-replay");
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("netring-replay-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/pcap-replay/writer-roundtrip", test_writer_roundtrip);
  g_test_add_data_func ("/pcap-replay/pacing/recorded",
                        GINT_TO_POINTER (NETRING_PCAP_REPLAY_MODE_RECORDED), test_pacing);
  g_test_add_data_func ("/pcap-replay/pacing/rate",
                        GINT_TO_POINTER (NETRING_PCAP_REPLAY_MODE_RATE), test_pacing);
  g_test_add_func ("/pcap-replay/speed", test_speed);
  g_test_add_func ("/pcap-replay/topspeed", test_topspeed);
  g_test_add_func ("/pcap-replay/loop", test_loop);
  g_test_add_func ("/pcap-replay/skip", test_skip);
  g_test_add_func ("/pcap-replay/truncated", test_truncated);
  g_test_add_func ("/pcap-replay/cancel", test_cancel);

  status = g_test_run ();
  remove_tmpdir ();
  return status;
}
