/* test-capture.c: NetringCapture on real frames through a veth pair in a
 * private network namespace. Frames are sent with a plain AF_PACKET socket
 * (nr-test-net.c), independent of the library, and every test checks what
 * was captured byte for byte and count for count. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <poll.h>

#include <netring/netring.h>

#include "nr-rx-ring.h"
#include "nr-test-net.h"

/* ---- helpers ------------------------------------------------------------ */

static NetringCapture *
open_capture (const NrTestVeth *veth, const char *first_property, ...)
{
  g_autoptr(GError) error = NULL;
  GObject *capture;
  va_list ap;

  if (first_property == NULL)
    {
      /* 64 × 1 MiB: room for ~400,000 small frames */
      capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->b,
                                "block-size", 1u << 20, "block-count", 64u, "block-timeout-ms",
                                10, NULL);
    }
  else
    {
      va_start (ap, first_property);
      capture = (GObject *) g_initable_new_valist (NETRING_TYPE_CAPTURE, first_property, ap,
                                                   NULL, &error);
      va_end (ap);
    }
  g_assert_no_error (error);
  return NETRING_CAPTURE (capture);
}

static gboolean
quit_loop_cb (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* What a receiver knows about the stream it checks. */
typedef struct {
  const NrTestVeth *veth;
  gsize length;
  guint32 next_seq;
  guint received;
  guint bad;
  gint64 last_ts;
} Expect;

static void
expect_init (Expect *e, const NrTestVeth *veth, gsize length)
{
  memset (e, 0, sizeof *e);
  e->veth = veth;
  e->length = length;
}

/* Checks one captured packet against the next frame the sender sent. */
static void
expect_packet (Expect *e, const NetringPacketInfo *info)
{
  gboolean ok = info->captured_length == e->length && info->wire_length == e->length &&
                nr_test_frame_check (info->data, e->length, e->next_seq, e->veth->mac_a,
                                     e->veth->mac_b) &&
                info->timestamp_ns >= e->last_ts && info->direction == NETRING_PACKET_DIRECTION_HOST &&
                info->protocol == NR_TEST_ETHERTYPE && info->ifindex == e->veth->ifindex_b &&
                info->source_address_length == 6 &&
                memcmp (info->source_address, e->veth->mac_a, 6) == 0;

  if (!ok && e->bad++ < 5)
    g_test_message ("packet %u: len %u/%u seq %u (want %u) dir %u proto 0x%04x ts %" G_GINT64_FORMAT
                    " (prev %" G_GINT64_FORMAT ")",
                    e->received, info->captured_length, info->wire_length,
                    info->captured_length >= 18 ? nr_test_frame_seq (info->data) : 0, e->next_seq,
                    info->direction, info->protocol, info->timestamp_ns, e->last_ts);
  e->last_ts = info->timestamp_ns;
  e->next_seq++;
  e->received++;
}

static void
expect_batch (Expect *e, NetringBatch *batch)
{
  NetringBatchIter iter, lean;
  NetringPacketInfo info;
  guint n = 0;

  /* the full iterator and the inlined lean one walk in step */
  netring_batch_iter_init (&iter, batch);
  netring_batch_iter_init (&lean, batch);
  while (netring_batch_iter_next (&iter, &info))
    {
      guint32 caplen = 0, wire = 0;
      const guint8 *data = netring_batch_iter_next_data (&lean, &caplen, &wire);

      g_assert_true (data == info.data);
      g_assert_cmpuint (caplen, ==, info.captured_length);
      g_assert_cmpuint (wire, ==, info.wire_length);
      expect_packet (e, &info);
      n++;
    }
  g_assert_null (netring_batch_iter_next_data (&lean, &(guint32){ 0 }, NULL));
  g_assert_cmpuint (n, ==, netring_batch_get_n_packets (batch));
  g_assert_cmpuint (netring_batch_get_lost_blocks (batch), ==, 0);
}

static void
expect_done (Expect *e, guint count)
{
  g_assert_cmpuint (e->bad, ==, 0);
  g_assert_cmpuint (e->received, ==, count);
}

/* Nothing more arrives: no duplicate, no stray frame. */
static void
assert_quiet (NetringCapture *capture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 100, NULL, &error);

  if (batch != NULL)
    g_error ("unexpected batch of %u packets after the expected stream",
             netring_batch_get_n_packets (batch));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

typedef struct {
  const NrTestVeth *veth;
  guint32 first;
  guint count;
  gsize length;
  gint *progress; /* frames the receiver has seen, or NULL: no pacing */
} SendJob;

/* How far a paced sender may run ahead of the receiver, so that a slow
 * receiver (AddressSanitizer, a loaded CI machine) never makes the kernel
 * drop what a count test expects: a quarter of the 64 MiB test ring in
 * bytes, and at most 8192 frames, because a slow receiver makes the kernel
 * retire blocks by their 10 ms timeout with few frames in each. */
#define PACING_WINDOW_BYTES (16u << 20)
#define PACING_WINDOW_FRAMES 8192u

static gpointer
send_thread (gpointer data)
{
  SendJob *job = data;
  g_autofree guint8 *frame = g_malloc (job->length);
  guint window = MIN (PACING_WINDOW_BYTES / (job->length + 100), PACING_WINDOW_FRAMES);
  /* one socket for the whole stream: closing a packet socket waits for an
   * RCU grace period */
  int fd = nr_test_sender_open (job->veth);
  guint sent;

  for (sent = 0; sent < job->count; sent++)
    {
      if (job->progress != NULL && sent % 256 == 0)
        {
          gint64 start = g_get_monotonic_time ();
          while (sent > (guint) g_atomic_int_get (job->progress) + window &&
                 g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC)
            g_usleep (200);
        }
      nr_test_frame_fill (frame, job->length, job->first + sent, job->veth->mac_a,
                          job->veth->mac_b);
      nr_test_sender_send (fd, frame, job->length);
    }
  close (fd);
  g_free (job);
  return NULL;
}

static GThread *
send_async_job (const NrTestVeth *veth, guint32 first, guint count, gsize length, gint *progress)
{
  SendJob *job = g_new0 (SendJob, 1);

  job->veth = veth;
  job->first = first;
  job->count = count;
  job->length = length;
  job->progress = progress;
  return g_thread_new ("sender", send_thread, job);
}

/* Sends in another thread so capture and sending overlap, as on a wire. */
static GThread *
send_async (const NrTestVeth *veth, guint32 first, guint count, gsize length)
{
  return send_async_job (veth, first, count, length, NULL);
}

/* ---- synchronous reception ------------------------------------------------ */

typedef struct {
  guint count;
  gsize length;
} StreamParams;

static void
test_sync_stream (gconstpointer data)
{
  const StreamParams *params = data;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  gint progress = 0;
  GThread *sender = send_async_job (veth, 0, params->count, params->length, &progress);
  Expect e;
  gint64 start = g_get_monotonic_time ();

  expect_init (&e, veth, params->length);
  while (e.received < params->count)
    {
      g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL,
                                                                         &error);
      if (error != NULL)
        {
          g_autoptr(NetringReceiverStats) st = netring_receiver_get_stats (NETRING_RECEIVER (capture), NULL);
          g_autofree char *text = netring_receiver_stats_to_string (st);
          g_test_message ("after %u of %u frames: %s", e.received, params->count, text);
        }
      g_assert_no_error (error);
      expect_batch (&e, batch);
      g_atomic_int_set (&progress, (gint) e.received);
    }
  g_thread_join (sender);
  expect_done (&e, params->count);
  assert_quiet (capture);
  g_test_message ("%u frames of %zu bytes in %.1f ms", params->count, params->length,
                  (g_get_monotonic_time () - start) / 1000.0);

  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stats->packets, ==, params->count);
  g_assert_cmpuint (stats->received, ==, params->count);
  g_assert_cmpuint (stats->drops, ==, 0);
  g_assert_cmpuint (stats->lost_blocks, ==, 0);
  g_assert_cmpuint (stats->held_batches, ==, 0);
  g_assert_cmpuint (stats->held_packets, ==, 0);
}

/* An 802.1Q or 802.1ad tagged frame: the kernel strips the tag and reports
 * it next to the packet. */
static void
test_vlan (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  static const guint16 tpids[] = { 0x8100, 0x88a8 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (tpids); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch = NULL;
      g_autoptr(NetringPacket) packet = NULL;
      guint8 inner[64], tagged[68];
      const guint8 *data;
      gsize len;
      guint16 tci = 0x2064; /* priority 1, VLAN 100 */

      nr_test_frame_fill (inner, sizeof inner, 77 + i, veth->mac_a, veth->mac_b);
      memcpy (tagged, inner, 12);
      tagged[12] = tpids[i] >> 8;
      tagged[13] = tpids[i] & 0xff;
      tagged[14] = tci >> 8;
      tagged[15] = tci & 0xff;
      memcpy (tagged + 16, inner + 12, sizeof inner - 12);
      nr_test_send_raw (veth, tagged, sizeof tagged);

      batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 10000, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (netring_batch_get_n_packets (batch), ==, 1);
      packet = netring_batch_get_packet (batch, 0);
      g_assert_nonnull (packet);
      g_assert_cmpuint (netring_packet_get_status (packet) & NETRING_PACKET_STATUS_VLAN_VALID, !=,
                        0);
      g_assert_cmpuint (netring_packet_get_status (packet) & NETRING_PACKET_STATUS_VLAN_TPID_VALID,
                        !=, 0);
      g_assert_cmphex (netring_packet_get_vlan_tci (packet), ==, tci);
      g_assert_cmphex (netring_packet_get_vlan_tpid (packet), ==, tpids[i]);
      /* the tag is out of the data: what remains is the inner frame */
      data = netring_packet_get_data (packet, &len);
      g_assert_cmpmem (data, len, inner, sizeof inner);
      g_assert_cmpuint (netring_packet_get_wire_length (packet), ==, sizeof inner);
      g_assert_null (netring_batch_get_packet (batch, 1));
    }
}

/* One frame and a short block timeout: the block comes partly filled with
 * the timed-out flag. */
static void
test_timed_out_block (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "block-size",
                                                    1u << 16, "block-count", 4u,
                                                    "block-timeout-ms", 20, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBatch) batch = NULL;
  Expect e;

  g_assert_cmpuint (netring_capture_get_block_timeout_ms (capture), ==, 20);
  nr_test_send_frames (veth, 0, 1, 64);
  batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 10000, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (netring_batch_get_timed_out (batch));
  g_assert_cmpuint (netring_batch_get_n_packets (batch), ==, 1);
  g_assert_cmpuint (netring_batch_get_sequence (batch), ==, 1);
  /* for a timed-out block the kernel may stamp the close time as "last" */
  g_assert_cmpint (netring_batch_get_first_timestamp (batch), <=,
                   netring_batch_get_last_timestamp (batch));
  {
    g_autoptr(NetringPacket) packet = netring_batch_get_packet (batch, 0);
    /* the kernel stamps "first" when it opens the block, which can be
     * before the first packet */
    g_assert_cmpint (netring_packet_get_timestamp (packet), >=,
                     netring_batch_get_first_timestamp (batch));
    g_assert_cmpint (netring_packet_get_timestamp (packet), <=,
                     netring_batch_get_last_timestamp (batch));
  }
  g_assert_cmpint (netring_batch_get_first_timestamp_us (batch), ==,
                   netring_batch_get_first_timestamp (batch) / 1000);
  expect_init (&e, veth, 64);
  expect_batch (&e, batch);
  expect_done (&e, 1);
}

/* A tiny ring and a consumer that stalls: the kernel drops what does not
 * fit, and received + drops is exactly what was sent. */
static void
test_drops_with_stalled_consumer (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "block-size",
                                                    4096u, "block-count", 4u, "frame-size", 2048u,
                                                    "block-timeout-ms", 5, NULL);
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(NetringReceiverStats) delta = NULL;
  g_autoptr(GError) error = NULL;
  const guint sent = 1000;
  guint received = 0, losing = 0, i;
  guint64 prev_seq = 0;
  NetringBatch *batch;
  int witness = nr_test_witness_open (veth, sent - 1);

  /* The consumer does nothing while the whole burst arrives (the ring holds
   * about 100 of the 1000 frames): once the witness has the last frame, the
   * kernel has taken or dropped every one. */
  nr_test_send_frames (veth, 0, sent, 64);
  nr_test_witness_wait (witness);

  /* Then it drains until every frame is accounted for: received or dropped. */
  for (;;)
    {
      g_clear_pointer (&stats, netring_receiver_stats_free);
      stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
      g_assert_no_error (error);
      if (received + stats->drops >= sent)
        break;
      batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
      g_assert_no_error (error);
      /* dropped packets do not skip block numbers: blocks stay consecutive */
      if (prev_seq != 0)
        g_assert_cmpuint (netring_batch_get_sequence (batch), ==, prev_seq + 1);
      prev_seq = netring_batch_get_sequence (batch);
      g_assert_cmpuint (netring_batch_get_lost_blocks (batch), ==, 0);
      received += netring_batch_get_n_packets (batch);
      netring_batch_unref (batch);
    }
  assert_quiet (capture);
  {
    g_autofree char *text = netring_receiver_stats_to_string (stats);
    g_test_message ("sent %u: received %u, %s", sent, received, text);
  }
  g_assert_cmpuint (received, <, sent);
  g_assert_cmpuint (stats->received, ==, received);
  g_assert_cmpuint (received + stats->drops, ==, sent);
  g_assert_cmpuint (stats->packets, ==, sent); /* the kernel counts drops in packets */
  g_assert_cmpuint (stats->freezes, >=, 1);
  g_assert_cmpuint (stats->lost_blocks, ==, 0);

  /* Drops since the last statistics read flag the next packets as LOSING;
   * after a read they no longer are. */
  nr_test_send_frames (veth, sent, 5, 64);
  i = 0;
  while (i < 5)
    {
      g_autoptr(GPtrArray) packets = NULL;
      guint j;

      batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 10000, NULL, &error);
      g_assert_no_error (error);
      packets = netring_batch_get_packets (batch);
      for (j = 0; j < packets->len; j++)
        {
          NetringPacket *p = g_ptr_array_index (packets, j);
          gsize len;
          const guint8 *data = netring_packet_get_data (p, &len);

          g_assert_true (nr_test_frame_check (data, len, sent + i + j, veth->mac_a, veth->mac_b));
          if (netring_packet_get_status (p) & NETRING_PACKET_STATUS_LOSING)
            losing++;
        }
      i += packets->len;
      netring_batch_unref (batch);
    }
  g_assert_cmpuint (i, ==, 5);
  g_assert_cmpuint (losing, ==, 0); /* cumulative stats above were a read */

  delta = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_no_error (error);
  /* the totals cover everything since creation */
  g_assert_cmpuint (delta->packets, ==, sent + 5);
  g_assert_cmpuint (delta->drops, ==, stats->drops);
}

/* A stream in which the kernel may drop frames: what arrives must be intact
 * and in order, with holes allowed. */
typedef struct {
  const NrTestVeth *veth;
  gsize length; /* of every frame */
  guint received;
  guint bad;
  gint64 last_seq;
} Ordered;

static void
ordered_init (Ordered *o, const NrTestVeth *veth, gsize length)
{
  o->veth = veth;
  o->length = length;
  o->received = 0;
  o->bad = 0;
  o->last_seq = -1;
}

static void
ordered_batch (Ordered *o, NetringBatch *batch)
{
  NetringBatchIter iter;
  NetringPacketInfo info;

  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    {
      guint32 seq = nr_test_frame_seq (info.data);

      if ((gint64) seq <= o->last_seq || info.captured_length != o->length ||
          info.wire_length != o->length ||
          !nr_test_frame_check (info.data, o->length, seq, o->veth->mac_a, o->veth->mac_b))
        o->bad++;
      o->last_seq = seq;
      o->received++;
    }
}

/* A sender that sends in rounds and waits, after each, for the receiver to
 * say it has accounted for every frame so far. */
typedef struct {
  const NrTestVeth *veth;
  guint rounds;
  guint per_round;
  gint sent_rounds;    /* atomic: rounds completely sent */
  gint drained_rounds; /* atomic: rounds the receiver has accounted for */
} RoundSender;

static gpointer
round_sender_thread (gpointer data)
{
  RoundSender *rs = data;
  g_autofree guint8 *frame = g_malloc (64);
  int fd;
  guint r, i;

  nr_test_pin_thread (); /* frames reach the ring in sending order */
  fd = nr_test_sender_open (rs->veth);
  for (r = 0; r < rs->rounds; r++)
    {
      gint64 start = g_get_monotonic_time ();

      for (i = 0; i < rs->per_round; i++)
        {
          nr_test_frame_fill (frame, 64, r * rs->per_round + i, rs->veth->mac_a,
                              rs->veth->mac_b);
          nr_test_sender_send (fd, frame, 64);
        }
      g_atomic_int_set (&rs->sent_rounds, (gint) r + 1);
      while (g_atomic_int_get (&rs->drained_rounds) <= (gint) r)
        {
          g_assert_cmpint (g_get_monotonic_time () - start, <, 60 * G_USEC_PER_SEC);
          g_usleep (200);
        }
    }
  close (fd);
  return NULL;
}

/* A consumer that stalls on a tiny ring while bursts arrive: the ring
 * freezes (once per burst: each burst is 5 times what the ring holds and
 * nobody reads while it arrives) and thaws; every frame is either received
 * (intact, in order) or counted as a drop, and frames after the bursts
 * still arrive. */
static void
test_overflow_recovery (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  /* 4 × 64 KiB: about 4000 frames of 64 bytes */
  g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "block-size",
                                                    1u << 16, "block-count", 4u,
                                                    "block-timeout-ms", 5, NULL);
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  RoundSender rs = { veth, 5, 20000, 0, 0 };
  const guint burst = rs.rounds * rs.per_round;
  GThread *sender = g_thread_new ("sender", round_sender_thread, &rs);
  guint received, r;
  Ordered o;

  ordered_init (&o, veth, 64);
  for (r = 0; r < rs.rounds; r++)
    {
      gint64 start = g_get_monotonic_time ();

      /* stall while the round is sent */
      while (g_atomic_int_get (&rs.sent_rounds) <= (gint) r)
        {
          g_assert_cmpint (g_get_monotonic_time () - start, <, 60 * G_USEC_PER_SEC);
          g_usleep (200);
        }
      /* then drain until every frame sent so far is received or dropped */
      for (;;)
        {
          g_autoptr(NetringBatch) batch = NULL;

          g_clear_pointer (&stats, netring_receiver_stats_free);
          stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
          g_assert_no_error (error);
          if (o.received + stats->drops >= (r + 1) * rs.per_round)
            break;
          batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
          g_assert_no_error (error);
          ordered_batch (&o, batch);
        }
      g_assert_cmpuint (o.received + stats->drops, ==, (r + 1) * rs.per_round);
      g_atomic_int_set (&rs.drained_rounds, (gint) r + 1);
    }
  g_thread_join (sender);
  g_assert_cmpuint (o.bad, ==, 0);
  received = o.received;

  g_clear_pointer (&stats, netring_receiver_stats_free);
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_no_error (error);
  {
    g_autofree char *text = netring_receiver_stats_to_string (stats);
    g_test_message ("%u bursts of %u: %s", rs.rounds, rs.per_round, text);
  }
  g_assert_cmpuint (stats->received, ==, received);
  g_assert_cmpuint (received + stats->drops, ==, burst);
  g_assert_cmpuint (stats->packets, ==, burst);
  g_assert_cmpuint (stats->drops, >=, rs.rounds);
  g_assert_cmpuint (stats->freezes, >=, rs.rounds);
  g_assert_cmpuint (stats->lost_blocks, ==, 0);
  g_clear_pointer (&stats, netring_receiver_stats_free);

  /* the ring thawed: later frames arrive, all of them */
  nr_test_send_frames (veth, burst, 10, 64);
  received = 0;
  while (received < 10)
    {
      g_autoptr(NetringBatch) b = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
      g_assert_no_error (error);
      ordered_batch (&o, b);
      received += netring_batch_get_n_packets (b);
    }
  g_assert_cmpuint (received, ==, 10);
  g_assert_cmpuint (o.bad, ==, 0);
  g_assert_cmpint (o.last_seq, ==, burst + 9);
  assert_quiet (capture);
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_cmpuint (stats->received + stats->drops, ==, burst + 10);
}

typedef struct {
  GMainLoop *loop;
  NetringCapture *capture;
  Ordered o;
  guint expected; /* frames sent: quit when each is received or dropped */
} SlowState;

static gboolean
slow_source_cb (NetringCapture *capture, NetringBatch *batch, const GError *error, gpointer data)
{
  SlowState *st = data;

  g_assert_no_error (error);
  ordered_batch (&st->o, batch);
  g_usleep (2000); /* a slow consumer (pacing: nothing waits on it) */
  return G_SOURCE_CONTINUE;
}

/* Every 20 ms: quit once every frame sent is received or counted as a drop. */
static gboolean
quit_when_accounted (gpointer data)
{
  SlowState *st = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringReceiverStats) stats = netring_receiver_get_stats (NETRING_RECEIVER (st->capture),
                                                                              &error);

  g_assert_no_error (error);
  g_assert_cmpuint (st->o.received + stats->drops, <=, st->expected);
  if (st->o.received + stats->drops == st->expected)
    g_main_loop_quit (st->loop);
  return G_SOURCE_CONTINUE;
}

/* The same through a GSource in a main loop, with a consumer that takes
 * 2 ms a batch (it may or may not fall behind: either way every frame is
 * accounted for), and the source still delivers after the burst. */
static void
test_overflow_recovery_source (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "block-size",
                                                    1u << 16, "block-count", 4u,
                                                    "block-timeout-ms", 5, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) source = netring_receiver_create_source (NETRING_RECEIVER (capture), NULL);
  g_autoptr(GSource) check = g_timeout_source_new (20);
  g_autoptr(GSource) guard = g_timeout_source_new_seconds (120);
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  SlowState st = { 0 };
  const guint burst = 100000;
  GThread *sender;

  g_main_context_push_thread_default (context);
  st.loop = g_main_loop_new (context, FALSE);
  st.capture = capture;
  ordered_init (&st.o, veth, 64);
  g_source_set_callback (source, (GSourceFunc) (gpointer) slow_source_cb, &st, NULL);
  g_source_attach (source, context);
  g_source_set_callback (check, quit_when_accounted, &st, NULL);
  g_source_attach (check, context);
  g_source_set_callback (guard, quit_loop_cb, st.loop, NULL); /* a hang guard */
  g_source_attach (guard, context);

  st.expected = burst;
  sender = send_async (veth, 0, burst, 64);
  g_main_loop_run (st.loop);
  g_thread_join (sender);
  g_assert_cmpuint (st.o.bad, ==, 0);
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (st.o.received + stats->drops, ==, burst);
  g_clear_pointer (&stats, netring_receiver_stats_free);

  /* after the burst the source still delivers */
  nr_test_send_frames (veth, burst, 10, 64);
  st.expected = burst + 10;
  g_main_loop_run (st.loop);
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_cmpuint (st.o.received + stats->drops, ==, burst + 10);
  g_assert_cmpuint (stats->received, ==, st.o.received);
  g_assert_cmpint (st.o.last_seq, ==, burst + 9); /* the ring had room again */
  g_assert_cmpuint (st.o.bad, ==, 0);
  g_source_destroy (source);
  g_source_destroy (check);
  g_source_destroy (guard);
  g_main_loop_unref (st.loop);
  g_main_context_pop_thread_default (context);
}

/* LOSING: drops that happened since the last read mark the next packets. */
static void
test_losing_flag (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "block-size",
                                                    4096u, "block-count", 4u, "frame-size", 2048u,
                                                    "block-timeout-ms", 5, NULL);
  g_autoptr(GError) error = NULL;
  NetringBatch *batch;
  guint losing = 0, total = 0;
  int witness = nr_test_witness_open (veth, 499);

  /* 500 frames into a ring of about 100, nobody reading: drops. Reading the
   * statistics would clear the kernel's record of them, so the witness
   * tells when the burst is over, and the ring is drained (its last,
   * partial block retires after the 5 ms block timeout) without them. */
  nr_test_send_frames (veth, 0, 500, 64);
  nr_test_witness_wait (witness);
  while ((batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 100, NULL, &error)) != NULL)
    netring_batch_unref (batch);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);

  /* no statistics read yet: the kernel still has drops on record */
  nr_test_send_frames (veth, 500, 5, 64);
  while (total < 5)
    {
      NetringBatchIter iter;
      NetringPacketInfo info;

      batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
      g_assert_no_error (error);
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          g_assert_cmpuint (nr_test_frame_seq (info.data), ==, 500 + total);
          total++;
          if (info.status & NETRING_PACKET_STATUS_LOSING)
            losing++;
        }
      netring_batch_unref (batch);
    }
  assert_quiet (capture);
  g_assert_cmpuint (total, ==, 5);
  g_assert_cmpuint (losing, ==, 5);
}

/* Deltas (netring_receiver_stats_subtract()) and totals stay consistent
 * whichever is read. */
static void
test_stats_consistency (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringReceiverStats) last = g_new0 (NetringReceiverStats, 1);
  guint64 sum_packets = 0, sum_received = 0;
  guint round;

  for (round = 0; round < 4; round++)
    {
      g_autoptr(NetringReceiverStats) delta = NULL;
      g_autoptr(NetringReceiverStats) total = NULL;
      guint got = 0;

      nr_test_send_frames (veth, round * 100, 100, 64);
      while (got < 100)
        {
          g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 2000,
                                                                             NULL, &error);
          g_assert_no_error (error);
          got += netring_batch_get_n_packets (batch);
        }
      /* read cumulative in the middle on odd rounds: the deltas must not lose it */
      if (round % 2)
        {
          total = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
          g_assert_no_error (error);
          g_assert_cmpuint (total->packets, ==, (round + 1) * 100);
        }
      g_clear_pointer (&total, netring_receiver_stats_free);
      total = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
      g_assert_no_error (error);
      delta = netring_receiver_stats_subtract (total, last);
      g_clear_pointer (&last, netring_receiver_stats_free);
      last = g_steal_pointer (&total);
      g_assert_cmpuint (delta->packets, ==, 100);
      g_assert_cmpuint (delta->received, ==, 100);
      sum_packets += delta->packets;
      sum_received += delta->received;
    }
  {
    g_autoptr(NetringReceiverStats) total = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (total->packets, ==, sum_packets);
    g_assert_cmpuint (total->received, ==, sum_received);
  }
}

/* Held batches show up in the statistics and keep their blocks. */
static void
test_held_batches_counted (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "block-size",
                                                    1u << 16, "block-count", 8u,
                                                    "block-timeout-ms", 5, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(NetringPacket) kept = NULL;
  g_autoptr(GBytes) bytes = NULL;
  NetringBatch *batch;
  guint n_first, kept_index;
  Expect e;

  /* The block timer decides how the 3 frames split into batches: hold the
   * first batch, whatever it holds, through one of its packets, and let
   * the others go. */
  nr_test_send_frames (veth, 0, 3, 64);
  batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
  g_assert_no_error (error);
  n_first = netring_batch_get_n_packets (batch);
  g_assert_cmpuint (n_first, >=, 1);
  g_assert_cmpuint (n_first, <=, 3);
  kept_index = MIN (1, n_first - 1);
  kept = netring_batch_get_packet (batch, kept_index);
  bytes = netring_packet_get_bytes (kept);
  netring_batch_unref (batch); /* the packet view still pins the block */
  expect_init (&e, veth, 64);
  e.next_seq = n_first;
  while (e.received < 3 - n_first)
    {
      g_autoptr(NetringBatch) b = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
      g_assert_no_error (error);
      expect_batch (&e, b);
    }
  expect_done (&e, 3 - n_first);

  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_cmpuint (stats->held_batches, ==, 1);
  g_assert_cmpuint (stats->held_packets, ==, n_first);
  g_clear_pointer (&stats, netring_receiver_stats_free);

  /* the view and its GBytes are intact */
  g_assert_false (netring_packet_is_detached (kept));
  g_assert_true (nr_test_frame_check (g_bytes_get_data (bytes, NULL), 64, kept_index,
                                      veth->mac_a, veth->mac_b));
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 64);

  g_clear_pointer (&kept, netring_packet_unref);
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_cmpuint (stats->held_batches, ==, 1); /* the GBytes holds it now */
  g_clear_pointer (&stats, netring_receiver_stats_free);
  g_clear_pointer (&bytes, g_bytes_unref);
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_cmpuint (stats->held_batches, ==, 0);
  g_assert_cmpuint (stats->held_packets, ==, 0);

  /* and the ring goes on */
  nr_test_send_frames (veth, 0, 10, 64);
  expect_init (&e, veth, 64);
  while (e.received < 10)
    {
      g_autoptr(NetringBatch) b = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 10000, NULL, &error);
      g_assert_no_error (error);
      expect_batch (&e, b);
    }
  expect_done (&e, 10);
}

/* ---- main-loop reception ---------------------------------------------- */

typedef struct {
  Expect e;
  guint target;
  GMainLoop *loop;
  GError *error;
  guint batches;
  guint signal_batches;
  guint signal_packets;
  GPtrArray *kept; /* batches deliberately held */
} LoopState;

static gboolean
quit_on_timeout (gpointer data)
{
  LoopState *st = data;
  g_main_loop_quit (st->loop);
  return G_SOURCE_REMOVE;
}

static GSource *
attach_timeout (LoopState *st, guint ms)
{
  GSource *timeout = g_timeout_source_new (ms);
  g_source_set_callback (timeout, quit_on_timeout, st, NULL);
  g_source_attach (timeout, g_main_loop_get_context (st->loop));
  return timeout;
}

static gboolean
source_cb (NetringCapture *capture, NetringBatch *batch, const GError *error, gpointer data)
{
  LoopState *st = data;

  if (error != NULL)
    {
      st->error = g_error_copy (error);
      g_main_loop_quit (st->loop);
      return G_SOURCE_REMOVE;
    }
  st->batches++;
  expect_batch (&st->e, batch);
  if (st->kept != NULL)
    g_ptr_array_add (st->kept, netring_batch_ref (batch));
  if (st->e.received >= st->target)
    g_main_loop_quit (st->loop);
  return G_SOURCE_CONTINUE;
}

static void
test_source (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) source = NULL;
  g_autoptr(GSource) timeout = NULL;
  LoopState st = { 0 };
  GThread *sender;

  /* a private context as thread default: nothing may land on the global one */
  g_main_context_push_thread_default (context);
  st.loop = g_main_loop_new (context, FALSE);
  st.target = 10000;
  expect_init (&st.e, veth, 128);

  source = netring_receiver_create_source (NETRING_RECEIVER (capture), NULL);
  g_source_set_callback (source, (GSourceFunc) (gpointer) source_cb, &st, NULL);
  g_source_attach (source, context);
  timeout = attach_timeout (&st, 10000);

  sender = send_async (veth, 0, st.target, 128);
  g_main_loop_run (st.loop);
  g_thread_join (sender);

  g_assert_no_error (st.error);
  expect_done (&st.e, st.target);
  g_assert_cmpuint (st.batches, >=, 1);
  g_assert_false (g_main_context_pending (g_main_context_default ()));
  g_source_destroy (source);
  g_source_destroy (timeout);
  g_main_loop_unref (st.loop);
  g_main_context_pop_thread_default (context);
}

static void
on_batch (NetringCapture *capture, NetringBatch *batch, gpointer data)
{
  LoopState *st = data;

  st->signal_batches++;
  expect_batch (&st->e, batch);
  if (st->e.received >= st->target)
    g_main_loop_quit (st->loop);
}

static void
on_packet (NetringCapture *capture, NetringPacket *packet, gpointer data)
{
  LoopState *st = data;
  gsize len;
  const guint8 *bytes = netring_packet_get_data (packet, &len);

  g_assert_cmpuint (len, ==, 128);
  g_assert_true (nr_test_frame_check (bytes, len, st->signal_packets, st->e.veth->mac_a,
                                      st->e.veth->mac_b));
  g_assert_cmpint (netring_packet_get_timestamp_us (packet), ==,
                   netring_packet_get_timestamp (packet) / 1000);
  st->signal_packets++;
}

static void
test_signals (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = NULL;
  g_autoptr(GError) error = NULL;
  LoopState st = { 0 };
  GThread *sender;

  g_main_context_push_thread_default (context);
  st.loop = g_main_loop_new (context, FALSE);
  st.target = 3000;
  expect_init (&st.e, veth, 128);
  g_signal_connect (capture, "batch", G_CALLBACK (on_batch), &st);
  g_signal_connect (capture, "packet", G_CALLBACK (on_packet), &st);

  g_assert_true (netring_receiver_start (NETRING_RECEIVER (capture), &error));
  g_assert_no_error (error);
  g_assert_true (netring_receiver_is_running (NETRING_RECEIVER (capture)));
  timeout = attach_timeout (&st, 10000);
  sender = send_async (veth, 0, st.target, 128);
  g_main_loop_run (st.loop);
  g_thread_join (sender);
  netring_receiver_stop (NETRING_RECEIVER (capture));
  g_assert_false (netring_receiver_is_running (NETRING_RECEIVER (capture)));

  expect_done (&st.e, st.target);
  g_assert_cmpuint (st.signal_packets, ==, st.target);
  g_assert_cmpuint (st.signal_batches, >=, 1);
  g_source_destroy (timeout);
  g_main_loop_unref (st.loop);
  g_main_context_pop_thread_default (context);
}

typedef struct {
  LoopState *st;
  NetringCapture *capture;
  GCancellable *cancellable;
  gboolean owned;
} AsyncLoop;

static void async_next (AsyncLoop *al);

static void
async_done (GObject *object, GAsyncResult *result, gpointer data)
{
  AsyncLoop *al = data;
  LoopState *st = al->st;
  g_autoptr(GError) error = NULL;

  if (al->owned)
    {
      g_autoptr(GPtrArray) packets = netring_receiver_receive_finish (NETRING_RECEIVER (al->capture), result, &error);
      guint i;

      g_assert_no_error (error);
      for (i = 0; i < packets->len; i++)
        {
          NetringPacket *p = g_ptr_array_index (packets, i);
          NetringPacketInfo info = { 0 };
          gsize len;

          g_assert_true (netring_packet_is_detached (p));
          info.data = netring_packet_get_data (p, &len);
          info.captured_length = len;
          info.wire_length = netring_packet_get_wire_length (p);
          info.timestamp_ns = netring_packet_get_timestamp (p);
          info.direction = netring_packet_get_direction (p);
          info.protocol = netring_packet_get_protocol (p);
          info.ifindex = netring_packet_get_ifindex (p);
          {
            gsize alen;
            const guint8 *addr = netring_packet_get_source_address (p, &alen);
            info.source_address_length = alen;
            memcpy (info.source_address, addr, MIN (alen, 8));
          }
          expect_packet (&st->e, &info);
        }
      /* owned copies hold no ring memory */
      {
        g_autoptr(NetringReceiverStats) stats = netring_receiver_get_stats (NETRING_RECEIVER (al->capture),
                                                                                    &error);
        g_assert_cmpuint (stats->held_batches, ==, 0);
      }
    }
  else
    {
      g_autoptr(NetringBatch) batch = netring_receiver_next_batch_finish (NETRING_RECEIVER (al->capture), result,
                                                                        &error);
      g_assert_no_error (error);
      expect_batch (&st->e, batch);
    }
  if (st->e.received >= st->target)
    g_main_loop_quit (st->loop);
  else
    async_next (al);
}

static void
async_next (AsyncLoop *al)
{
  if (al->owned)
    netring_receiver_receive_async (NETRING_RECEIVER (al->capture), NULL, async_done, al);
  else
    netring_receiver_next_batch_async (NETRING_RECEIVER (al->capture), NULL, async_done, al);
}

static void
run_async_stream (gboolean owned)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = NULL;
  LoopState st = { 0 };
  AsyncLoop al = { &st, capture, NULL, owned };
  GThread *sender;

  g_main_context_push_thread_default (context);
  st.loop = g_main_loop_new (context, FALSE);
  st.target = 5000;
  expect_init (&st.e, veth, 64);
  timeout = attach_timeout (&st, 10000);
  async_next (&al);
  sender = send_async (veth, 0, st.target, 64);
  g_main_loop_run (st.loop);
  g_thread_join (sender);
  expect_done (&st.e, st.target);
  g_source_destroy (timeout);
  /* let the finished task's sources go before the context does */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_loop_unref (st.loop);
  g_main_context_pop_thread_default (context);
}

static void
test_next_batch_async (void)
{
  run_async_stream (FALSE);
}

static void
test_receive_async (void)
{
  run_async_stream (TRUE);
}

static void
cancelled_done (GObject *object, GAsyncResult *result, gpointer data)
{
  GError **out = data;
  g_autoptr(NetringBatch) batch = netring_receiver_next_batch_finish (NETRING_RECEIVER (NETRING_CAPTURE (object)),
                                                                    result, out);
  g_assert_null (batch);
}

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
received_done (GObject *object, GAsyncResult *result, gpointer data)
{
  GPtrArray **out = data;
  g_autoptr(GError) error = NULL;

  *out = netring_receiver_receive_finish (NETRING_RECEIVER (NETRING_CAPTURE (object)), result, &error);
  g_assert_no_error (error);
}

/* Cancelling a pending wait touches nothing: the next call gets every frame. */
static void
test_cancel_then_receive (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSource) cancel_source = g_timeout_source_new (50);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) packets = NULL;
  guint i, round;

  g_main_context_push_thread_default (context);
  for (round = 0; round < 3; round++)
    {
      g_cancellable_reset (cancellable);
      g_clear_error (&error);
      g_clear_pointer (&cancel_source, g_source_unref);
      cancel_source = g_timeout_source_new (50);
      g_source_set_callback (cancel_source, cancel_cb, cancellable, NULL);
      g_source_attach (cancel_source, context);
      netring_receiver_next_batch_async (NETRING_RECEIVER (capture), cancellable, cancelled_done, &error);
      while (error == NULL)
        g_main_context_iteration (context, TRUE);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }
  /* an already-cancelled cancellable fails at once too */
  g_clear_error (&error);
  netring_receiver_next_batch_async (NETRING_RECEIVER (capture), cancellable, cancelled_done, &error);
  while (error == NULL)
    g_main_context_iteration (context, TRUE);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* the block timer may split the 10 frames: receive until all are there */
  nr_test_send_frames (veth, 0, 10, 64);
  for (i = 0; i < 10;)
    {
      guint j;

      g_clear_pointer (&packets, g_ptr_array_unref);
      netring_receiver_receive_async (NETRING_RECEIVER (capture), NULL, received_done, &packets);
      while (packets == NULL)
        g_main_context_iteration (context, TRUE);
      g_assert_cmpuint (packets->len, >=, 1);
      g_assert_cmpuint (i + packets->len, <=, 10);
      for (j = 0; j < packets->len; j++, i++)
        {
          gsize len;
          const guint8 *data = netring_packet_get_data (g_ptr_array_index (packets, j), &len);
          g_assert_cmpuint (len, ==, 64);
          g_assert_true (nr_test_frame_check (data, len, i, veth->mac_a, veth->mac_b));
        }
    }
  g_assert_cmpuint (i, ==, 10);
  assert_quiet (capture);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
}

typedef struct {
  int waiter_tid;
  GCancellable *cancellable;
} CancelJob;

static gpointer
cancel_when_parked (gpointer data)
{
  CancelJob *job = data;

  nr_test_thread_wait_parked (job->waiter_tid);
  g_cancellable_cancel (job->cancellable);
  return NULL;
}

/* A cancellable cancelled from another thread while the wait sleeps in
 * poll() ends the wait at once: with CANCELLED, not after the 20 s. */
static void
test_sync_cancel (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBatch) batch = NULL;
  CancelJob job = { nr_test_gettid (), cancellable };
  GThread *thread = g_thread_new ("cancel", cancel_when_parked, &job);

  batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 20000, cancellable, &error);
  g_thread_join (thread);
  g_assert_null (batch);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ---- signals interrupting waits ------------------------------------------ */

static volatile gint sigusr1_count;

static void
on_sigusr1 (int sig)
{
  g_atomic_int_inc (&sigusr1_count);
}

typedef struct {
  pthread_t target;
  volatile gint stop;
  gint64 pause_at;  /* the storm pauses then, unless unbounded: a hang guard */
  volatile gint unbounded;
} Storm;

static gpointer
storm_thread (gpointer data)
{
  Storm *storm = data;

  while (!g_atomic_int_get (&storm->stop))
    {
      if (g_atomic_int_get (&storm->unbounded) || g_get_monotonic_time () < storm->pause_at)
        pthread_kill (storm->target, SIGUSR1);
      g_usleep (1000);
    }
  return NULL;
}

static void
test_signal_storm (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  struct sigaction sa = { 0 }, old;
  Storm storm = { pthread_self (), 0, g_get_monotonic_time () + 10 * G_USEC_PER_SEC, 0 };
  GThread *stormer;
  GThread *sender;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBatch) batch = NULL;
  gint64 start, elapsed;
  Expect e;

  sa.sa_handler = on_sigusr1;
  sa.sa_flags = 0; /* no SA_RESTART: every signal interrupts poll() */
  sigemptyset (&sa.sa_mask);
  sigaction (SIGUSR1, &sa, &old);
  sigusr1_count = 0;
  stormer = g_thread_new ("storm", storm_thread, &storm);

  /* A timed wait with nothing arriving lasts its time, not less, and not
   * for ever: a wait that restarted its full timeout after each of the
   * signals (one a millisecond) would never end while the storm lasts: the
   * storm pauses 10 s after it started, so such a wait ends then and fails
   * the bound, which is far from the 400 ms on any machine. */
  start = g_get_monotonic_time ();
  batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 400, NULL, &error);
  elapsed = g_get_monotonic_time () - start;
  g_assert_null (batch);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);
  g_test_message ("a 400 ms wait under the storm took %.1f ms", elapsed / 1000.0);
  g_assert_cmpint (elapsed, >=, 399 * 1000);
  g_assert_cmpint (elapsed, <, 10 * G_USEC_PER_SEC);
  g_atomic_int_set (&storm.unbounded, 1);

  /* frames arriving during the storm are received */
  sender = send_async (veth, 0, 1000, 64);
  expect_init (&e, veth, 64);
  while (e.received < 1000)
    {
      g_autoptr(NetringBatch) b = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
      g_assert_no_error (error);
      expect_batch (&e, b);
    }
  g_thread_join (sender);
  expect_done (&e, 1000);

  /* and the main-loop source keeps going too */
  {
    g_autoptr(GMainContext) context = g_main_context_new ();
    g_autoptr(GSource) source = netring_receiver_create_source (NETRING_RECEIVER (capture), NULL);
    g_autoptr(GSource) timeout = NULL;
    LoopState st = { 0 };

    g_main_context_push_thread_default (context);
    st.loop = g_main_loop_new (context, FALSE);
    st.target = 1000;
    expect_init (&st.e, veth, 64);
    g_source_set_callback (source, (GSourceFunc) (gpointer) source_cb, &st, NULL);
    g_source_attach (source, context);
    timeout = attach_timeout (&st, 10000);
    sender = send_async (veth, 0, st.target, 64);
    g_main_loop_run (st.loop);
    g_thread_join (sender);
    g_assert_no_error (st.error);
    expect_done (&st.e, st.target);
    g_source_destroy (source);
    g_source_destroy (timeout);
    g_main_loop_unref (st.loop);
    g_main_context_pop_thread_default (context);
  }

  g_atomic_int_set (&storm.stop, 1);
  g_thread_join (stormer);
  sigaction (SIGUSR1, &old, NULL);
  g_test_message ("%d signals delivered during the waits", sigusr1_count);
  g_assert_cmpint (sigusr1_count, >, 100);
}

/* Holding the newest batch makes the kernel report POLLIN for ever; the
 * source must not spin on it while it waits for the next block. */
static void
test_held_batch_no_spin (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "block-size",
                                                    1u << 16, "block-count", 8u,
                                                    "block-timeout-ms", 20, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) source = NULL;
  g_autoptr(GSource) timeout = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func ((GDestroyNotify) netring_batch_unref);
  LoopState st = { 0 };
  struct rusage before, after;
  double cpu_ms;

  g_main_context_push_thread_default (context);
  st.loop = g_main_loop_new (context, FALSE);
  st.kept = kept;
  st.target = 1;
  expect_init (&st.e, veth, 64);
  source = netring_receiver_create_source (NETRING_RECEIVER (capture), NULL);
  g_source_set_callback (source, (GSourceFunc) (gpointer) source_cb, &st, NULL);
  g_source_attach (source, context);

  nr_test_send_frames (veth, 0, 1, 64);
  timeout = attach_timeout (&st, 5000);
  g_main_loop_run (st.loop);
  g_assert_cmpuint (kept->len, ==, 1);
  g_source_destroy (timeout);
  g_clear_pointer (&timeout, g_source_unref);

  /* idle for 500 ms while holding the batch */
  getrusage (RUSAGE_SELF, &before);
  st.target = 2;
  timeout = attach_timeout (&st, 500);
  g_main_loop_run (st.loop);
  getrusage (RUSAGE_SELF, &after);
  cpu_ms = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) * 1e3 +
           (after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e3 +
           (after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1e3 +
           (after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e3;
  g_test_message ("CPU while idle with a held batch: %.1f ms in 500 ms", cpu_ms);
  g_assert_cmpfloat (cpu_ms, <, 100.0);
  g_source_destroy (timeout);
  g_clear_pointer (&timeout, g_source_unref);

  /* a frame arriving now is still delivered promptly */
  nr_test_send_frames (veth, 1, 1, 64);
  timeout = attach_timeout (&st, 5000);
  g_main_loop_run (st.loop);
  expect_done (&st.e, 2);
  g_assert_cmpuint (kept->len, ==, 2);
  g_source_destroy (timeout);
  g_source_destroy (source);
  g_main_loop_unref (st.loop);
  g_main_context_pop_thread_default (context);
}

/* Holding the newest batch with a long block timeout: the next block that
 * fills up is still delivered when it is full, not a block timeout later.
 * The kernel says which retired it: a block closed by its timer is flagged
 * timed out. */
static void
test_held_batch_full_block_prompt (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  /* 4 KiB blocks hold 26 small frames; 60 s before a partial block retires */
  g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "block-size",
                                                    4096u, "block-count", 8u, "frame-size",
                                                    2048u, "block-timeout-ms", 60000, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) source = NULL;
  g_autoptr(GSource) timeout = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func ((GDestroyNotify) netring_batch_unref);
  LoopState st = { 0 };
  gint64 start;
  guint first;

  g_main_context_push_thread_default (context);
  st.loop = g_main_loop_new (context, FALSE);
  st.kept = kept;
  expect_init (&st.e, veth, 64);
  source = netring_receiver_create_source (NETRING_RECEIVER (capture), NULL);
  g_source_set_callback (source, (GSourceFunc) (gpointer) source_cb, &st, NULL);
  g_source_attach (source, context);

  /* fill the first block (and a bit of the second), keep its batch */
  nr_test_send_frames (veth, 0, 30, 64);
  st.target = 1;
  timeout = attach_timeout (&st, 20000); /* a hang guard, far below the block timeout */
  g_main_loop_run (st.loop);
  g_source_destroy (timeout);
  g_clear_pointer (&timeout, g_source_unref);
  g_assert_cmpuint (kept->len, ==, 1);
  g_assert_false (netring_batch_get_timed_out (g_ptr_array_index (kept, 0)));
  first = st.e.received;
  g_assert_cmpuint (first, >=, 20);

  /* fill the second block: it must arrive when full while batch 1 is held */
  start = g_get_monotonic_time ();
  nr_test_send_frames (veth, 30, 30, 64);
  st.target = first + 1;
  timeout = attach_timeout (&st, 20000);
  g_main_loop_run (st.loop);
  g_test_message ("next full block after %.1f ms", (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpuint (kept->len, ==, 2);
  g_assert_cmpuint (st.e.received, ==, 2 * first);
  g_assert_false (netring_batch_get_timed_out (g_ptr_array_index (kept, 1)));
  g_assert_cmpuint (st.e.bad, ==, 0);
  g_source_destroy (timeout);
  g_source_destroy (source);
  g_main_loop_unref (st.loop);
  g_main_context_pop_thread_default (context);
}

/* A source whose next block is held by the user waits for the release, and
 * a release from another thread wakes it. */
typedef struct {
  GMainLoop *loop;
  GPtrArray *kept; /* batches held while set */
  Ordered o;
  guint32 want_seq;
} HoldState;

static gboolean
hold_cb (NetringCapture *capture, NetringBatch *batch, const GError *error, gpointer data)
{
  HoldState *st = data;

  g_assert_no_error (error);
  /* the ring drops what does not fit, but what arrives is intact and in
   * order */
  ordered_batch (&st->o, batch);
  if (st->kept != NULL)
    {
      g_ptr_array_add (st->kept, netring_batch_ref (batch));
      if (st->kept->len == 2)
        g_main_loop_quit (st->loop);
    }
  if (st->o.last_seq == st->want_seq)
    g_main_loop_quit (st->loop);
  return G_SOURCE_CONTINUE;
}

typedef struct {
  GPtrArray *kept;
  const NrTestVeth *veth;
  guint32 seq;
  int loop_tid;
} ReleaseJob;

/* Once the loop's thread is parked in poll(), releases the blocks it holds
 * and sends one frame. */
static gpointer
release_when_parked (gpointer data)
{
  ReleaseJob *job = data;

  nr_test_thread_wait_parked (job->loop_tid);
  g_ptr_array_set_size (job->kept, 0);
  nr_test_send_frames (job->veth, job->seq, 1, 64);
  return NULL;
}

static void
test_release_from_other_thread (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  /* two blocks: holding both stalls the ring */
  g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "block-size",
                                                    4096u, "block-count", 2u, "frame-size", 2048u,
                                                    "block-timeout-ms", 5, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) source = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *kept = g_ptr_array_new_with_free_func ((GDestroyNotify) netring_batch_unref);
  HoldState st = { 0 };
  GThread *releaser;
  ReleaseJob job;
  guint32 sent = 0;
  guint round;

  g_main_context_push_thread_default (context);
  st.loop = g_main_loop_new (context, FALSE);
  st.kept = kept;
  ordered_init (&st.o, veth, 64);
  st.want_seq = G_MAXUINT32;
  source = netring_receiver_create_source (NETRING_RECEIVER (capture), NULL);
  g_source_set_callback (source, (GSourceFunc) (gpointer) hold_cb, &st, NULL);
  g_source_attach (source, context);

  /* Small bursts until the source holds both blocks (the block timer decides
   * where blocks end, so the exact split varies). */
  for (round = 0; round < 50 && kept->len < 2; round++)
    {
      nr_test_send_frames (veth, sent, 10, 64);
      sent += 10;
      {
        GSource *tick = g_timeout_source_new (30);
        g_source_set_callback (tick, quit_loop_cb, st.loop, NULL);
        g_source_attach (tick, context);
        g_main_loop_run (st.loop);
        g_source_destroy (tick);
        g_source_unref (tick);
      }
    }
  g_assert_cmpuint (kept->len, ==, 2);
  g_assert_cmpuint (st.o.received, >, 0);

  /* Every block is held, so the source parks on the ring without polling
   * for data. Another thread waits until this one sleeps in poll() (the
   * kernel says so), then releases the blocks; the release must wake the
   * loop, or the next frame would never be seen (the 20 s limit would end
   * the loop without it). */
  st.kept = NULL;
  st.want_seq = sent + 1000;
  job.kept = kept;
  job.veth = veth;
  job.seq = st.want_seq;
  job.loop_tid = nr_test_gettid ();
  releaser = g_thread_new ("release", release_when_parked, &job);
  {
    GSource *limit = g_timeout_source_new (20000);
    g_source_set_callback (limit, quit_loop_cb, st.loop, NULL);
    g_source_attach (limit, context);
    g_main_loop_run (st.loop);
    g_source_destroy (limit);
    g_source_unref (limit);
  }
  g_thread_join (releaser);
  g_assert_cmpint (st.o.last_seq, ==, st.want_seq);
  g_assert_cmpuint (st.o.bad, ==, 0);

  /* nothing lost silently: every frame sent was received or counted */
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stats->received, ==, st.o.received);
  g_assert_cmpuint (stats->received + stats->drops, ==, sent + 1);
  g_ptr_array_unref (kept);
  g_source_destroy (source);
  g_main_loop_unref (st.loop);
  g_main_context_pop_thread_default (context);
}

/* ---- the interface going away --------------------------------------------- */

static void
on_error (NetringCapture *capture, GError *error, gpointer data)
{
  LoopState *st = data;
  st->error = g_error_copy (error);
  g_main_loop_quit (st->loop);
}

typedef struct {
  LoopState *st;
  const NrTestVeth *veth;
  gint64 deleted_at;
} RemoveState;

/* Deletes the pair once the 5 frames sent before are delivered. */
static void
on_batch_then_delete (NetringCapture *capture, NetringBatch *batch, gpointer data)
{
  RemoveState *rs = data;

  g_assert_cmpint (rs->deleted_at, ==, 0); /* nothing arrives after */
  expect_batch (&rs->st->e, batch);
  if (rs->st->e.received == 5)
    {
      nr_test_ip ("link", "del", rs->veth->a, NULL);
      rs->deleted_at = g_get_monotonic_time ();
    }
}

/* The interface goes away under a running capture: the frames before are
 * delivered, then ::error says the interface went down, and the capture
 * stops; no spin, no hang. */
static void
test_interface_removed (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = NULL;
  g_autoptr(GError) error = NULL;
  LoopState st = { 0 };
  RemoveState rs = { &st, veth, 0 };

  g_main_context_push_thread_default (context);
  st.loop = g_main_loop_new (context, FALSE);
  st.target = G_MAXUINT;
  expect_init (&st.e, veth, 64);
  g_signal_connect (capture, "batch", G_CALLBACK (on_batch_then_delete), &rs);
  g_signal_connect (capture, "error", G_CALLBACK (on_error), &st);
  g_assert_true (netring_receiver_start (NETRING_RECEIVER (capture), &error));

  nr_test_send_frames (veth, 0, 5, 64);
  timeout = attach_timeout (&st, 20000); /* a hang guard */
  g_main_loop_run (st.loop);

  expect_done (&st.e, 5);
  g_assert_cmpint (rs.deleted_at, !=, 0);
  g_assert_error (st.error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN);
  g_assert_nonnull (strstr (st.error->message, veth->b));
  g_test_message ("error after %.0f ms: %s", (g_get_monotonic_time () - rs.deleted_at) / 1000.0,
                  st.error->message);
  g_assert_false (netring_receiver_is_running (NETRING_RECEIVER (capture)));
  g_clear_error (&st.error);

  /* The synchronous wait does not spin or hang either: the kernel reported
   * the failure once (the source took it), and a wait on the socket of an
   * interface that no longer exists sees nothing more: it times out. */
  {
    g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 200, NULL,
                                                                       &error);
    g_assert_null (batch);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  }
  g_source_destroy (timeout);
  g_main_loop_unref (st.loop);
  g_main_context_pop_thread_default (context);
}

static void
test_interface_down_sync (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBatch) batch = NULL;
  Expect e;

  nr_test_ip ("link", "set", veth->b, "down", NULL);
  batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 1000, NULL, &error);
  g_assert_null (batch);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN);
  g_assert_nonnull (strstr (error->message, "went down"));
  g_clear_error (&error);

  /* back up: the same capture receives again, all 3 frames, whichever way
   * the block timer splits them */
  nr_test_ip ("link", "set", veth->b, "up", NULL);
  nr_test_veth_wait_running (veth);
  nr_test_send_frames (veth, 0, 3, 64);
  expect_init (&e, veth, 64);
  while (e.received < 3)
    {
      g_clear_pointer (&batch, netring_batch_unref);
      batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
      g_assert_no_error (error);
      expect_batch (&e, batch);
    }
  expect_done (&e, 3);
  assert_quiet (capture);
}

/* Each preset gives its geometry, and explicit properties override it. */
static void
test_profiles (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  static const struct {
    NetringRingProfile profile;
    guint block_size, block_count, frame_size, timeout;
  } presets[] = {
    { NETRING_RING_PROFILE_DEFAULT, 1u << 22, 64, 2048, 60 },
    { NETRING_RING_PROFILE_LOW_LATENCY, 1u << 18, 64, 2048, 1 },
    { NETRING_RING_PROFILE_LOW_MEMORY, 1u << 20, 16, 2048, 100 },
    { NETRING_RING_PROFILE_JUMBO_FRAMES, 1u << 22, 64, 65536, 60 },
    { NETRING_RING_PROFILE_HIGH_THROUGHPUT, 1u << 22, 256, 2048, 60 },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (presets); i++)
    {
      g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "profile",
                                                        presets[i].profile, NULL);
      g_assert_cmpuint (netring_capture_get_block_size (capture), ==, presets[i].block_size);
      g_assert_cmpuint (netring_capture_get_block_count (capture), ==, presets[i].block_count);
      g_assert_cmpuint (netring_capture_get_frame_size (capture), ==, presets[i].frame_size);
      g_assert_cmpuint (netring_capture_get_block_timeout_ms (capture), ==, presets[i].timeout);
    }
  {
    g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "profile",
                                                      NETRING_RING_PROFILE_LOW_MEMORY,
                                                      "block-count", 4u, NULL);
    g_assert_cmpuint (netring_capture_get_block_size (capture), ==, 1u << 20);
    g_assert_cmpuint (netring_capture_get_block_count (capture), ==, 4);
  }
}

/* Frames sent before the capture is bound never reach it, and only frames
 * of its own interface do. */
static void
test_only_own_interface (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NrTestVeth) other = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GError) error = NULL;
  Expect e;

  nr_test_send_frames (other, 500, 200, 64); /* on another pair */
  nr_test_send_frames (veth, 0, 50, 64);
  expect_init (&e, veth, 64);
  while (e.received < 50)
    {
      g_autoptr(NetringBatch) b = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 10000, NULL, &error);
      g_assert_no_error (error);
      expect_batch (&e, b);
    }
  expect_done (&e, 50);
  assert_quiet (capture);
}


/* ---- options observed on the wire ----------------------------------------- */

/* What a call on a capture before g_initable_init() fails with. The
 * readiness check of issue 8 makes it G_IO_ERROR_NOT_INITIALIZED: then this
 * are the two lines to change. */
#define BEFORE_INIT_DOMAIN G_IO_ERROR
#define BEFORE_INIT_CODE G_IO_ERROR_NOT_INITIALIZED

/* A capture used before init: a clear error from every call that can fail,
 * no crash, no socket. */
static void
test_use_before_init (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = g_object_new (NETRING_TYPE_CAPTURE, "interface", veth->b,
                                                    NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBatch) batch = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;

  g_assert_cmpint (netring_capture_get_fd (capture), ==, -1);
  batch = netring_receiver_next_batch (NETRING_RECEIVER (capture), &error);
  g_assert_null (batch);
  g_assert_error (error, BEFORE_INIT_DOMAIN, BEFORE_INIT_CODE);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 10, NULL, &error);
  g_assert_null (batch);
  g_assert_error (error, BEFORE_INIT_DOMAIN, BEFORE_INIT_CODE);
  g_clear_error (&error);
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_null (stats);
  g_assert_error (error, BEFORE_INIT_DOMAIN, BEFORE_INIT_CODE);
  g_clear_error (&error);
  g_assert_false (netring_receiver_start (NETRING_RECEIVER (capture), &error));
  g_assert_error (error, BEFORE_INIT_DOMAIN, BEFORE_INIT_CODE);
  g_clear_error (&error);
  g_assert_false (netring_receiver_is_running (NETRING_RECEIVER (capture)));

  /* init afterwards works, and the capture receives */
  g_assert_true (g_initable_init (G_INITABLE (capture), NULL, &error));
  g_assert_no_error (error);
  nr_test_send_frames (veth, 0, 1, 64);
  batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
  g_assert_no_error (error);
  {
    Expect e;
    expect_init (&e, veth, 64);
    expect_batch (&e, batch);
    expect_done (&e, 1);
  }
}

/* netring_receiver_next_batch() never waits: NULL with nothing ready, a
 * batch once the fd says a block is ready. */
static void
test_next_batch_nonblocking (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GError) error = NULL;
  struct pollfd pfd = { netring_capture_get_fd (capture), POLLIN, 0 };
  guint would_block = 0;
  Expect e;

  /* nothing ready: NULL at once, and no error (documented) */
  g_assert_null (netring_receiver_next_batch (NETRING_RECEIVER (capture), &error));
  g_assert_no_error (error);

  nr_test_send_frames (veth, 0, 100, 64);
  expect_init (&e, veth, 64);
  while (e.received < 100)
    {
      g_autoptr(NetringBatch) batch = NULL;

      /* the event: the kernel says a block is ready */
      g_assert_cmpint (poll (&pfd, 1, 5000), ==, 1);
      batch = netring_receiver_next_batch (NETRING_RECEIVER (capture), &error);
      g_assert_no_error (error);
      if (batch == NULL)
        {
          /* poll() may report readiness for a block this capture already
           * handed out; never for ever */
          g_assert_cmpuint (++would_block, <, 1000);
          continue;
        }
      expect_batch (&e, batch);
    }
  expect_done (&e, 100);
  g_assert_null (netring_receiver_next_batch (NETRING_RECEIVER (capture), &error));
  g_assert_no_error (error);
}

/* A batch keeps its ring alive: the capture goes, the batch's packets are
 * still readable, byte for byte (AddressSanitizer sees any use after
 * free), and the last unref frees everything. */
static void
test_batch_outlives_capture (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NetringCapture *capture = open_capture (veth, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) packets = NULL;
  NetringBatch *batch;
  Expect e;
  guint i;

  g_object_add_weak_pointer (G_OBJECT (capture), (gpointer *) &capture);
  nr_test_send_frames (veth, 0, 1, 1500);
  batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (capture);

  expect_init (&e, veth, 1500);
  expect_batch (&e, batch);
  expect_done (&e, netring_batch_get_n_packets (batch));
  packets = netring_batch_get_packets (batch);
  for (i = 0; i < packets->len; i++)
    {
      gsize len;
      const guint8 *data = netring_packet_get_data (g_ptr_array_index (packets, i), &len);

      g_assert_cmpuint (len, ==, 1500);
      g_assert_true (nr_test_frame_check (data, len, i, veth->mac_a, veth->mac_b));
    }
  netring_batch_unref (batch);
  /* the packets pin the batch still */
  {
    gsize len;
    const guint8 *data = netring_packet_get_data (g_ptr_array_index (packets, 0), &len);
    g_assert_true (nr_test_frame_check (data, len, 0, veth->mac_a, veth->mac_b));
  }
  g_clear_pointer (&packets, g_ptr_array_unref);
  g_assert_null (capture); /* gone with the last reference */
}

/* F4: block-timeout-ms 0 is the kernel's own timeout, not "never": a
 * partly filled block is still handed over. */
static void
test_block_timeout_zero (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "block-size",
                                                    1u << 20, "block-count", 4u,
                                                    "block-timeout-ms", 0, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBatch) batch = NULL;
  Expect e;

  g_assert_cmpuint (netring_capture_get_block_timeout_ms (capture), ==, 0);
  nr_test_send_frames (veth, 0, 1, 64);
  /* one frame in a 1 MiB block: only the block timer can hand it over */
  batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 20000, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (netring_batch_get_timed_out (batch));
  expect_init (&e, veth, 64);
  expect_batch (&e, batch);
  expect_done (&e, 1);
}

/* F9: a packet held while the ring wraps keeps its bytes. The kernel
 * cannot reuse the held block: it fills the others, comes round to it,
 * freezes and drops; the statistics show the held block. Once it is
 * released the ring goes on. */
static void
test_held_packet_survives_wrap (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  /* 4 blocks of 26 small frames */
  g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b, "block-size",
                                                    4096u, "block-count", 4u, "frame-size",
                                                    2048u, "block-timeout-ms", 5, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(NetringPacket) held = NULL;
  g_autoptr(GBytes) held_bytes = NULL;
  NetringBatch *batch;
  guint held_count, received = 0, round;
  guint32 sent = 1;
  int witness;
  gsize len;

  nr_test_send_frames (veth, 0, 1, 64);
  batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
  g_assert_no_error (error);
  held_count = netring_batch_get_n_packets (batch);
  g_assert_cmpuint (held_count, ==, 1);
  held = netring_batch_get_packet (batch, 0);
  held_bytes = netring_packet_get_bytes (held);
  netring_batch_unref (batch);

  /* Three rounds of 300 frames, each three times what the other blocks
   * hold; the consumer drains between rounds. */
  for (round = 0; round < 3; round++)
    {
      witness = nr_test_witness_open (veth, sent + 299);
      nr_test_send_frames (veth, sent, 300, 64);
      nr_test_witness_wait (witness);
      sent += 300;
      for (;;)
        {
          g_clear_pointer (&stats, netring_receiver_stats_free);
          stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
          g_assert_no_error (error);
          if (held_count + received + stats->drops >= sent)
            break;
          batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
          g_assert_no_error (error);
          {
            NetringBatchIter iter;
            NetringPacketInfo info;

            netring_batch_iter_init (&iter, batch);
            while (netring_batch_iter_next (&iter, &info))
              {
                g_assert_true (nr_test_frame_check (info.data, 64, nr_test_frame_seq (info.data),
                                                    veth->mac_a, veth->mac_b));
                received++;
              }
          }
          netring_batch_unref (batch);
        }
      /* the held packet, byte for byte, through both of its views */
      g_assert_true (nr_test_frame_check (netring_packet_get_data (held, &len), 64, 0,
                                          veth->mac_a, veth->mac_b));
      g_assert_cmpuint (len, ==, 64);
      g_assert_true (nr_test_frame_check (g_bytes_get_data (held_bytes, NULL), 64, 0, veth->mac_a,
                                          veth->mac_b));
      g_assert_cmpuint (stats->held_batches, ==, 1);
      g_assert_cmpuint (stats->held_packets, ==, held_count);
    }
  {
    g_autofree char *text = netring_receiver_stats_to_string (stats);
    g_test_message ("%u frames sent while one was held: %s", sent, text);
  }
  g_assert_cmpuint (held_count + received + stats->drops, ==, sent);
  g_assert_cmpuint (stats->drops, >, 0);
  g_assert_cmpuint (stats->freezes, >=, 1);
  g_assert_cmpuint (stats->lost_blocks, ==, 0);

  /* released: the ring takes frames again, all of them */
  g_clear_pointer (&held, netring_packet_unref);
  g_clear_pointer (&held_bytes, g_bytes_unref);
  g_clear_pointer (&stats, netring_receiver_stats_free);
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_cmpuint (stats->held_batches, ==, 0);
  nr_test_send_frames (veth, sent, 10, 64);
  {
    Expect e;

    expect_init (&e, veth, 64);
    e.next_seq = sent;
    while (e.received < 10)
      {
        g_autoptr(NetringBatch) b = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL,
                                                                       &error);
        g_assert_no_error (error);
        expect_batch (&e, b);
      }
    expect_done (&e, 10);
  }
}

/* How many times interface @ifname was made promiscuous (its promiscuity
 * count; the ioctl flags only show "ip link set … promisc on"). */
static guint
link_promiscuity (const char *ifname)
{
  g_autofree char *cmd = g_strdup_printf ("ip -d -o link show dev %s", ifname);
  g_autofree char *out = NULL;
  const char *p;

  g_assert_true (g_spawn_command_line_sync (cmd, &out, NULL, NULL, NULL));
  p = strstr (out, " promiscuity ");
  g_assert_nonnull (p);
  return (guint) strtoul (p + strlen (" promiscuity "), NULL, 10);
}

/* Receives test frames of @length until frame @last_seq; returns their
 * sequence numbers in arrival order. */
static GArray *
receive_until (NetringCapture *capture, const NrTestVeth *veth, const guint8 *dst, gsize length,
               guint32 last_seq)
{
  GArray *seqs = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint32 seq = G_MAXUINT32;

  while (seq != last_seq)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL,
                                                                         &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      g_assert_no_error (error);
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          /* a bridge has traffic of its own (IGMP, …): only test frames count */
          if (info.protocol != NR_TEST_ETHERTYPE)
            continue;
          g_assert_cmpuint (info.captured_length, ==, length);
          seq = nr_test_frame_seq (info.data);
          g_assert_true (nr_test_frame_check (info.data, length, seq, veth->mac_a,
                                              memcmp (info.data, "\xff\xff\xff\xff\xff\xff", 6)
                                                  ? dst
                                                  : (const guint8 *) "\xff\xff\xff\xff\xff\xff"));
          g_array_append_val (seqs, seq);
        }
    }
  return seqs;
}

/* promiscuous: a frame for a foreign unicast address reaches the capture
 * only with it. A veth hands every frame up whatever its address, so the
 * capture is on a bridge whose port is the veth's end: a bridge passes a
 * frame for an unknown unicast address up to itself only when it is
 * promiscuous. Each round sends the foreign frame, then a broadcast one:
 * once the broadcast one is in, the foreign one was handled. */
static void
test_promiscuous (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autofree char *bridge = g_strdup_printf ("nrt%ubr", (guint) getpid () % 100000);
  static const guint8 foreign[6] = { 0x02, 0, 0, 0, 0, 0x99 };
  static const guint8 broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  guint8 frame[64];
  guint pass;

  nr_test_ip ("link", "add", bridge, "type", "bridge", NULL);
  nr_test_ip ("link", "set", veth->b, "master", bridge, NULL);
  nr_test_ip ("link", "set", bridge, "up", NULL);
  nr_test_link_wait_running (bridge);
  g_assert_cmpuint (link_promiscuity (bridge), ==, 0);

  for (pass = 0; pass < 2; pass++)
    {
      gboolean promiscuous = pass == 1;
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringCapture) capture =
        g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", bridge, "block-size",
                        1u << 16, "block-count", 4u, "block-timeout-ms", 5, "promiscuous",
                        promiscuous, NULL);
      g_autoptr(GArray) seqs = NULL;
      guint32 base = pass * 10;

      g_assert_no_error (error);
      g_assert_cmpuint (link_promiscuity (bridge), ==, promiscuous ? 1 : 0);
      nr_test_frame_fill (frame, sizeof frame, base, veth->mac_a, foreign);
      nr_test_send_raw (veth, frame, sizeof frame);
      nr_test_frame_fill (frame, sizeof frame, base + 1, veth->mac_a, broadcast);
      nr_test_send_raw (veth, frame, sizeof frame);
      seqs = receive_until (capture, veth, foreign, sizeof frame, base + 1);
      g_test_message ("promiscuous %d: %u frames", promiscuous, seqs->len);
      if (promiscuous)
        {
          g_assert_cmpuint (seqs->len, ==, 2);
          g_assert_cmpuint (g_array_index (seqs, guint32, 0), ==, base);
        }
      else
        g_assert_cmpuint (seqs->len, ==, 1);
      g_clear_object (&capture);
      /* the interface is not left promiscuous */
      g_assert_cmpuint (link_promiscuity (bridge), ==, 0);
    }
  nr_test_ip ("link", "del", bridge, NULL);
}

/* ignore-outgoing: a capture on the sending end sees the frames it sends
 * (outgoing) unless asked not to; incoming frames arrive either way. Each
 * capture gets an outgoing frame, then an incoming one: once the incoming
 * one is in, the outgoing one was handled. */
static void
test_ignore_outgoing (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  guint pass;

  for (pass = 0; pass < 2; pass++)
    {
      gboolean ignore = pass == 1;
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringCapture) capture =
        g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->a, "block-size",
                        1u << 16, "block-count", 4u, "block-timeout-ms", 5, "ignore-outgoing",
                        ignore, NULL);
      guint8 out_frame[64], in_frame[64];
      guint32 base = pass * 10;
      guint n = 0;
      gboolean got_in = FALSE;

      g_assert_no_error (error);
      nr_test_frame_fill (out_frame, sizeof out_frame, base, veth->mac_a, veth->mac_b);
      nr_test_send_raw (veth, out_frame, sizeof out_frame);
      nr_test_frame_fill (in_frame, sizeof in_frame, base + 1, veth->mac_b, veth->mac_a);
      nr_test_send_raw_on (veth->ifindex_b, in_frame, sizeof in_frame);
      while (!got_in)
        {
          g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL,
                                                                             &error);
          NetringBatchIter iter;
          NetringPacketInfo info;

          g_assert_no_error (error);
          netring_batch_iter_init (&iter, batch);
          while (netring_batch_iter_next (&iter, &info))
            {
              g_assert_cmpuint (info.captured_length, ==, 64);
              if (nr_test_frame_seq (info.data) == base)
                {
                  g_assert_false (ignore);
                  g_assert_cmpmem (info.data, 64, out_frame, 64);
                  g_assert_cmpint (info.direction, ==, NETRING_PACKET_DIRECTION_OUTGOING);
                  g_assert_cmpuint (n, ==, 0);
                }
              else
                {
                  g_assert_cmpmem (info.data, 64, in_frame, 64);
                  g_assert_cmpint (info.direction, ==, NETRING_PACKET_DIRECTION_HOST);
                  got_in = TRUE;
                }
              n++;
            }
        }
      g_assert_cmpuint (n, ==, ignore ? 1 : 2);
    }
}

/* fill-rxhash: with it each packet carries the kernel's flow hash (the
 * same for a flow, never 0 for IP), without it 0. */
static void
test_fill_rxhash (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  guint pass;

  for (pass = 0; pass < 2; pass++)
    {
      gboolean fill = pass == 0;
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringCapture) capture =
        g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->b, "block-size",
                        1u << 16, "block-count", 4u, "block-timeout-ms", 5, "fill-rxhash", fill,
                        NULL);
      guint32 hash_of_flow[2] = { 0, 0 };
      guint8 frame[100];
      guint n = 0, i;
      int fd = nr_test_sender_open (veth);

      g_assert_no_error (error);
      /* 20 UDP frames, two flows alternating */
      for (i = 0; i < 20; i++)
        {
          nr_test_udp_frame_fill (frame, sizeof frame, i, 0x0a000001, 0x0a000002, 1000 + i % 2,
                                  2000, veth->mac_a, veth->mac_b);
          nr_test_sender_send (fd, frame, sizeof frame);
        }
      close (fd);
      while (n < 20)
        {
          g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL,
                                                                             &error);
          guint k;

          g_assert_no_error (error);
          for (k = 0; k < netring_batch_get_n_packets (batch); k++, n++)
            {
              g_autoptr(NetringPacket) packet = netring_batch_get_packet (batch, k);
              guint32 hash = netring_packet_get_rxhash (packet);
              gsize len;
              const guint8 *data = netring_packet_get_data (packet, &len);

              g_assert_cmpuint (nr_test_udp_frame_seq (data), ==, n);
              nr_test_udp_frame_fill (frame, sizeof frame, n, 0x0a000001, 0x0a000002,
                                      1000 + n % 2, 2000, veth->mac_a, veth->mac_b);
              g_assert_cmpmem (data, len, frame, sizeof frame);
              if (!fill)
                {
                  g_assert_cmphex (hash, ==, 0);
                  continue;
                }
              g_assert_cmphex (hash, !=, 0);
              if (hash_of_flow[n % 2] == 0)
                hash_of_flow[n % 2] = hash;
              g_assert_cmphex (hash, ==, hash_of_flow[n % 2]);
            }
        }
      g_assert_cmpuint (n, ==, 20);
      if (fill)
        g_test_message ("flow hashes %08x %08x", hash_of_flow[0], hash_of_flow[1]);
    }
}

static int
read_int_file (const char *path)
{
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return atoi (text);
}

static int
socket_rcvbuf (int fd)
{
  int value = 0;
  socklen_t len = sizeof value;

  g_assert_no_errno (getsockopt (fd, SOL_SOCKET, SO_RCVBUF, &value, &len));
  return value;
}

/* rcvbuf / rcvbuf-force, read back from the socket: the kernel doubles
 * what it is given (bookkeeping), caps SO_RCVBUF at net.core.rmem_max, and
 * lets SO_RCVBUFFORCE go beyond. */
static void
test_rcvbuf (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  int rmem_max = read_int_file ("/proc/sys/net/core/rmem_max");
  int rmem_default = read_int_file ("/proc/sys/net/core/rmem_default");
  guint big = (guint) rmem_max * 4;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) plain = open_capture (veth, NULL);
  g_autoptr(NetringCapture) small = open_capture (veth, "interface", veth->b, "rcvbuf",
                                                  (guint) rmem_max / 2, NULL);
  g_autoptr(NetringCapture) capped = open_capture (veth, "interface", veth->b, "rcvbuf", big,
                                                   NULL);
  g_autoptr(NetringCapture) forced = open_capture (veth, "interface", veth->b, "rcvbuf", big,
                                                   "rcvbuf-force", TRUE, NULL);

  g_test_message ("rmem_max %d, rmem_default %d", rmem_max, rmem_default);
  g_assert_cmpint (socket_rcvbuf (netring_capture_get_fd (plain)), ==, rmem_default);
  g_assert_cmpint (socket_rcvbuf (netring_capture_get_fd (small)), ==, (rmem_max / 2) * 2);
  g_assert_cmpint (socket_rcvbuf (netring_capture_get_fd (capped)), ==, rmem_max * 2);
  g_assert_cmpint (socket_rcvbuf (netring_capture_get_fd (forced)), ==, (int) big * 2);
  g_assert_no_error (error);
}


/* F8: the timestamp source reaches the kernel as the SOF_TIMESTAMPING_*
 * flag PACKET_TIMESTAMP expects (not the enum's value): read it back. */
static void
test_timestamp_source_sockopt (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  static const struct {
    NetringTimestampSource source;
    int flags; /* PACKET_TIMESTAMP; 0 is the kernel's default: software */
  } cases[] = {
    { NETRING_TIMESTAMP_SOURCE_SOFTWARE, 0 },
    { NETRING_TIMESTAMP_SOURCE_SYS_HARDWARE, SOF_TIMESTAMPING_SYS_HARDWARE },
    { NETRING_TIMESTAMP_SOURCE_RAW_HARDWARE, SOF_TIMESTAMPING_RAW_HARDWARE },
  };
  guint i;

  g_assert_cmpint (SOF_TIMESTAMPING_SYS_HARDWARE, ==, 32);
  g_assert_cmpint (SOF_TIMESTAMPING_RAW_HARDWARE, ==, 64);
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NetringCapture) capture = open_capture (veth, "interface", veth->b,
                                                        "timestamp-source", cases[i].source,
                                                        NULL);
      int value = -1;
      socklen_t len = sizeof value;

      g_assert_no_errno (getsockopt (netring_capture_get_fd (capture), SOL_PACKET,
                                     PACKET_TIMESTAMP, &value, &len));
      g_assert_cmpint (value, ==, cases[i].flags);
    }
}

/* ---- F6: the kernel-floor open sequence, step by step ------------------------ */

/* A plain packet socket on every interface of the namespace: once it has
 * seen a frame, the kernel's taps have run for that frame, so the ring under
 * test either has it already or never will. */
static int
witness_open (void)
{
  int fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons (ETH_P_ALL));
  int size = 4 << 20;

  g_assert_cmpint (fd, >=, 0);
  g_assert_no_errno (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size));
  return fd;
}

/* Waits until the witness saw @count test frames arrive on @ifindex,
 * numbered from @first. */
static void
witness_wait (int fd, int ifindex, guint32 first, guint count)
{
  guint seen = 0;

  while (seen < count)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      struct sockaddr_ll from;
      socklen_t from_len = sizeof from;
      guint8 frame[256];
      ssize_t n;

      /* a generous hang guard, not a synchronisation */
      g_assert_cmpint (poll (&pfd, 1, 10000), ==, 1);
      n = recvfrom (fd, frame, sizeof frame, 0, (struct sockaddr *) &from, &from_len);
      g_assert_cmpint (n, >=, 18);
      if (from.sll_ifindex != ifindex || from.sll_pkttype == PACKET_OUTGOING ||
          frame[12] != (NR_TEST_ETHERTYPE >> 8) || frame[13] != (NR_TEST_ETHERTYPE & 0xff))
        continue;
      g_assert_cmpuint (nr_test_frame_seq (frame), ==, first + seen);
      seen++;
    }
}

/* F6: the socket is opened with protocol 0 and bound last, so that between
 * ring set-up and bind nothing lands in the ring, from any interface: not
 * from another interface (the crate opened its socket with ETH_P_ALL, which
 * captures every interface until bind) and not from this one. The test
 * drives the open sequence of nr-afpacket.h step by step, sends between the
 * steps, and drains the ring after bind: it holds exactly the frames sent on
 * the bound interface after bind. */
static void
test_open_sequence_steps (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();  /* the one bound */
  g_autoptr(NrTestVeth) other = nr_test_veth_new (); /* another interface */
  NrRxGeometry geometry = { 1u << 16, 16, 2048, 10 };
  NrAfpacketFailure failure;
  NrAfpacketStats stats = { 0 };
  NrRxSocket rx;
  NrRxRing ring;
  guint received = 0;
  int witness = witness_open ();

  nr_test_veth_wait_running (veth);
  nr_test_veth_wait_running (other);

  nr_afpacket_rx_init (&rx);
  g_assert_cmpint (nr_afpacket_rx_open (&rx, &failure), ==, 0);
  g_assert_cmpint (nr_afpacket_rx_set_version (&rx, &failure), ==, 0);
  g_assert_cmpint (nr_afpacket_rx_set_ring (&rx, &geometry, FALSE, &failure), ==, 0);
  g_assert_cmpint (nr_afpacket_rx_map (&rx, &failure), ==, 0);
  nr_rx_ring_init (&ring, rx.map, geometry.block_size, geometry.block_count);

  /* ring set up, not bound: frames on another interface, then on this one */
  nr_test_send_frames (other, 0, 100, 100);
  witness_wait (witness, other->ifindex_b, 0, 100);
  nr_test_send_frames (veth, 100, 100, 100);
  witness_wait (witness, veth->ifindex_b, 100, 100);

  g_assert_cmpint (nr_afpacket_rx_bind (&rx, veth->ifindex_b, &failure), ==, 0);

  /* bound: the other interface again, then this one */
  nr_test_send_frames (other, 200, 100, 100);
  witness_wait (witness, other->ifindex_b, 200, 100);
  nr_test_send_frames (veth, 1000, 50, 100);
  witness_wait (witness, veth->ifindex_b, 1000, 50);

  /* drain: exactly frames 1000 … 1049, in order, byte for byte */
  while (received < 50)
    {
      struct pollfd pfd = { rx.fd, POLLIN, 0 };
      struct tpacket_block_desc *desc;
      const struct tpacket3_hdr *hdr;
      NrBlockWalk walk;
      guint32 index;
      guint64 lost;

      if (nr_rx_ring_peek (&ring) != NR_RX_READY)
        {
          /* the block timer hands the last block over; hang guard only */
          g_assert_cmpint (poll (&pfd, 1, 10000), ==, 1);
          continue;
        }
      desc = nr_rx_ring_take (&ring, &index, &lost);
      g_assert_cmpuint (lost, ==, 0);
      nr_block_walk_init (&walk, desc, geometry.block_size);
      while ((hdr = nr_block_walk_next (&walk)) != NULL)
        {
          const guint8 *data = (const guint8 *) hdr + hdr->tp_mac;

          g_assert_cmpuint (hdr->tp_snaplen, ==, 100);
          if (!nr_test_frame_check (data, hdr->tp_snaplen, 1000 + received, veth->mac_a,
                                    veth->mac_b))
            g_error ("the ring holds frame %u where frame %u was expected",
                     nr_test_frame_seq (data), 1000 + received);
          received++;
        }
      g_assert_cmpuint (walk.corrupt, ==, 0);
      nr_rx_ring_release (&ring, index);
    }
  g_assert_cmpuint (received, ==, 50);
  /* the kernel counted nothing else either */
  g_assert_cmpint (nr_afpacket_read_stats (rx.fd, &stats), ==, 0);
  g_assert_cmpuint (stats.packets, ==, 50);
  g_assert_cmpuint (stats.drops, ==, 0);

  nr_rx_ring_clear (&ring);
  nr_afpacket_rx_close (&rx);
  close (witness);
}

/* ---- the receiver interface: readiness, close, statistics, watches ------ */

/* Receives @count frames of @length bytes (sent from @first_seq on) into
 * batches it keeps, checking each byte for byte. */
static GPtrArray *
rx_receive_batches (NetringCapture *capture, const NrTestVeth *veth, guint32 first_seq,
                    guint count, gsize length)
{
  GPtrArray *batches = g_ptr_array_new_with_free_func ((GDestroyNotify) netring_batch_unref);
  g_autoptr(GError) error = NULL;
  Expect e;

  expect_init (&e, veth, length);
  e.next_seq = first_seq;
  while (e.received < count)
    {
      NetringBatch *batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000,
                                                                 NULL, &error);
      g_assert_no_error (error);
      expect_batch (&e, batch);
      g_ptr_array_add (batches, batch);
    }
  expect_done (&e, count);
  return batches;
}

/* Every packet of @batches, in order, is frame first_seq + i, byte for byte,
 * read through views and the iterator alike. */
static void
rx_check_batches (GPtrArray *batches, const NrTestVeth *veth, guint32 first_seq, guint count,
                  gsize length)
{
  Expect e;
  guint i, j, n = 0;

  expect_init (&e, veth, length);
  e.next_seq = first_seq;
  for (i = 0; i < batches->len; i++)
    {
      NetringBatch *batch = g_ptr_array_index (batches, i);
      g_autoptr(GPtrArray) packets = netring_batch_get_packets (batch);

      expect_batch (&e, batch);
      for (j = 0; j < packets->len; j++, n++)
        {
          gsize len;
          const guint8 *data = netring_packet_get_data (g_ptr_array_index (packets, j), &len);

          g_assert_cmpuint (len, ==, length);
          g_assert_true (nr_test_frame_check (data, len, first_seq + n, veth->mac_a, veth->mac_b));
        }
    }
  expect_done (&e, count);
  g_assert_cmpuint (n, ==, count);
}

/* The kernel's name for the capture's socket; a ring mapping of it shows in
 * /proc/self/maps under that name. */
static gchar *
rx_socket_name (NetringCapture *capture)
{
  g_autofree gchar *link = g_strdup_printf ("/proc/self/fd/%d", netring_capture_get_fd (capture));
  gchar *name = g_file_read_link (link, NULL);

  g_assert_nonnull (name);
  g_assert_true (g_str_has_prefix (name, "socket:["));
  return name;
}

static gboolean
rx_is_mapped (const gchar *socket_name)
{
  g_autofree gchar *maps = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, socket_name) != NULL;
}

/* Whether the kernel still has the socket @socket_name ("socket:[INODE]"),
 * from /proc/net/packet: sk RefCnt Type Proto Iface R Rmem User Inode. */
static gboolean
rx_kernel_socket (const gchar *socket_name)
{
  g_autofree gchar *table = NULL;
  g_auto(GStrv) lines = NULL;
  guint64 inode = g_ascii_strtoull (socket_name + strlen ("socket:["), NULL, 10);
  guint i;

  g_assert_true (g_file_get_contents ("/proc/net/packet", &table, NULL, NULL));
  lines = g_strsplit (table, "\n", -1);
  for (i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autoptr(GPtrArray) cols = g_ptr_array_new ();
      guint j;

      for (j = 0; fields[j] != NULL; j++)
        if (*fields[j] != '\0')
          g_ptr_array_add (cols, fields[j]);
      if (cols->len >= 9 && g_ascii_strtoull (g_ptr_array_index (cols, 8), NULL, 10) == inode)
        return TRUE;
    }
  return FALSE;
}

/* What the kernel wrote into the ring mapped as @socket_name: per block of
 * @block_size bytes, its sequence number and packet count. The test reads
 * the ring memory itself, as the kernel's other reader. */
static GArray *
rx_ring_snapshot (const gchar *socket_name, gsize block_size)
{
  g_autofree gchar *maps = NULL;
  const gchar *line, *hit;
  GArray *blocks = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint8 *start, *end, *p;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  hit = strstr (maps, socket_name);
  g_assert_nonnull (hit);
  for (line = hit; line > maps && line[-1] != '\n'; line--)
    ;
  start = (guint8 *) (gsize) g_ascii_strtoull (line, (gchar **) &line, 16);
  end = (guint8 *) (gsize) g_ascii_strtoull (line + 1, NULL, 16);
  for (p = start; p + block_size <= end; p += block_size)
    {
      const struct tpacket_block_desc *desc = (const struct tpacket_block_desc *) p;
      guint64 word = (__atomic_load_n (&desc->hdr.bh1.seq_num, __ATOMIC_ACQUIRE) << 32) |
                     __atomic_load_n (&desc->hdr.bh1.num_pkts, __ATOMIC_ACQUIRE);

      g_array_append_val (blocks, word);
    }
  return blocks;
}

static void
rx_assert_not_ready (NetringCapture *capture, GQuark domain, gint code)
{
  NetringReceiver *receiver = NETRING_RECEIVER (capture);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBatch) batch = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;

  batch = netring_receiver_next_batch (receiver, &error);
  g_assert_null (batch);
  g_assert_error (error, domain, code);
  g_clear_error (&error);
  batch = netring_receiver_next_batch_timeout (receiver, 10, NULL, &error);
  g_assert_null (batch);
  g_assert_error (error, domain, code);
  g_clear_error (&error);
  stats = netring_receiver_get_stats (receiver, &error);
  g_assert_null (stats);
  g_assert_error (error, domain, code);
  g_clear_error (&error);
  g_assert_false (netring_receiver_start (receiver, &error));
  g_assert_error (error, domain, code);
  g_assert_false (netring_receiver_is_running (receiver));
  g_clear_error (&error);
  g_assert_false (netring_capture_set_filter (capture, "udp", &error));
  g_assert_error (error, domain, code);
}

typedef struct {
  GMainContext *context;
  GError *error;
  NetringBatch *batch;
  GPtrArray *packets;
  guint calls;
  guint batches;
  guint notified;
  GPtrArray *kept; /* of NetringBatch */
} RxWait;

static void
rx_async_done (GObject *object, GAsyncResult *result, gpointer data)
{
  RxWait *w = data;

  if (g_async_result_is_tagged (result, netring_receiver_next_batch_async))
    w->batch = netring_receiver_next_batch_finish (NETRING_RECEIVER (object), result, &w->error);
  else
    w->packets = netring_receiver_receive_finish (NETRING_RECEIVER (object), result, &w->error);
  w->calls++;
}

/* Waits (generously) for @w->calls to reach @calls. */
static void
rx_wait_calls (RxWait *w, guint calls)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (w->calls < calls)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (w->context, TRUE);
    }
}

static gboolean
rx_watch_cb (NetringReceiver *receiver, NetringBatch *batch, const GError *error, gpointer data)
{
  RxWait *w = data;

  w->calls++;
  if (error != NULL)
    {
      g_assert_null (w->error);
      w->error = g_error_copy (error);
      return G_SOURCE_REMOVE;
    }
  w->batches++;
  if (w->kept != NULL)
    g_ptr_array_add (w->kept, netring_batch_ref (batch));
  return G_SOURCE_CONTINUE;
}

static void
rx_watch_notify (gpointer data)
{
  RxWait *w = data;

  w->notified++;
}

/* Every call says why a receiver cannot be used: not initialised, its init
 * failed (the same error each time, from a second init too), closed. */
static void
test_readiness (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GMainContext) context = g_main_context_new ();
  RxWait w = { context };

  g_main_context_push_thread_default (context);

  /* before init */
  {
    g_autoptr(NetringCapture) capture = g_object_new (NETRING_TYPE_CAPTURE, "interface", veth->b,
                                                      NULL);
    g_autoptr(GError) error = NULL;

    rx_assert_not_ready (capture, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
    netring_receiver_next_batch_async (NETRING_RECEIVER (capture), NULL, rx_async_done, &w);
    rx_wait_calls (&w, 1);
    g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
    g_clear_error (&w.error);
    /* a watch on it says so once and ends */
    netring_receiver_add_watch_full (NETRING_RECEIVER (capture), NULL, NULL, rx_watch_cb, &w,
                                     rx_watch_notify);
    rx_wait_calls (&w, 2);
    g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
    g_clear_error (&w.error);
    while (w.notified < 1)
      g_main_context_iteration (context, TRUE);
    g_assert_cmpuint (w.batches, ==, 0);
    /* closing a capture that never opened anything is fine */
    g_assert_true (netring_receiver_close (NETRING_RECEIVER (capture), &error));
    g_assert_no_error (error);
    rx_assert_not_ready (capture, G_IO_ERROR, G_IO_ERROR_CLOSED);
    /* and init after close refuses */
    g_assert_false (g_initable_init (G_INITABLE (capture), NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
    g_assert_cmpint (netring_capture_get_fd (capture), ==, -1);
  }

  /* a failed init is reported again, identically, by a second init and by
   * every call */
  {
    g_autoptr(NetringCapture) capture = g_object_new (NETRING_TYPE_CAPTURE, "interface", veth->b,
                                                      "block-size", 1000u, NULL);
    g_autoptr(GError) first = NULL;
    g_autoptr(GError) second = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_false (g_initable_init (G_INITABLE (capture), NULL, &first));
    g_assert_error (first, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
    g_assert_false (g_initable_init (G_INITABLE (capture), NULL, &second));
    g_assert_error (second, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
    g_assert_cmpstr (second->message, ==, first->message);
    rx_assert_not_ready (capture, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
    netring_receiver_receive_async (NETRING_RECEIVER (capture), NULL, rx_async_done, &w);
    rx_wait_calls (&w, 3);
    g_assert_error (w.error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
    g_clear_error (&w.error);
    g_assert_true (netring_receiver_close (NETRING_RECEIVER (capture), &error));
    rx_assert_not_ready (capture, G_IO_ERROR, G_IO_ERROR_CLOSED);
  }
  {
    g_autoptr(NetringCapture) capture = g_object_new (NETRING_TYPE_CAPTURE, "interface",
                                                      "nr-no-such-if", NULL);
    g_autoptr(GError) first = NULL;
    g_autoptr(GError) second = NULL;

    g_assert_false (g_initable_init (G_INITABLE (capture), NULL, &first));
    g_assert_error (first, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
    g_assert_false (g_initable_init (G_INITABLE (capture), NULL, &second));
    g_assert_error (second, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
    rx_assert_not_ready (capture, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  }

  /* a good init is idempotent too, and close() is */
  {
    g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true (g_initable_init (G_INITABLE (capture), NULL, &error));
    g_assert_no_error (error);
    g_assert_true (netring_receiver_close (NETRING_RECEIVER (capture), &error));
    g_assert_true (netring_receiver_close (NETRING_RECEIVER (capture), &error));
    g_assert_no_error (error);
    rx_assert_not_ready (capture, G_IO_ERROR, G_IO_ERROR_CLOSED);
    g_assert_cmpint (netring_capture_get_fd (capture), ==, -1);
    netring_receiver_next_batch_async (NETRING_RECEIVER (capture), NULL, rx_async_done, &w);
    rx_wait_calls (&w, 4);
    g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
    g_clear_error (&w.error);
  }
  g_main_context_pop_thread_default (context);
}

/* close() gives the socket and the ring back at once when no batch is held,
 * ends the running signals, every source and every pending async call with
 * G_IO_ERROR_CLOSED. */
static void
test_close (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  NetringReceiver *receiver = NETRING_RECEIVER (capture);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) source = NULL;
  g_autoptr(GPtrArray) batches = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *socket_name = rx_socket_name (capture);
  RxWait w = { context }, watch = { context }, call = { context };
  int fd = netring_capture_get_fd (capture);

  g_main_context_push_thread_default (context);
  g_assert_true (rx_is_mapped (socket_name));

  /* frames before close arrive whole */
  nr_test_send_frames (veth, 0, 100, 64);
  batches = rx_receive_batches (capture, veth, 0, 100, 64);
  g_clear_pointer (&batches, g_ptr_array_unref);

  /* things waiting when it closes: a source, a watch, an async call, the
   * signals */
  source = netring_receiver_create_source (receiver, NULL);
  g_source_set_callback (source, (GSourceFunc) (gpointer) rx_watch_cb, &w, NULL);
  g_source_attach (source, context);
  netring_receiver_add_watch_full (receiver, NULL, NULL, rx_watch_cb, &watch, rx_watch_notify);
  g_assert_true (netring_receiver_start (receiver, &error));
  g_assert_no_error (error);
  g_assert_true (netring_receiver_is_running (receiver));
  netring_receiver_next_batch_async (receiver, NULL, rx_async_done, &call);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (w.calls + watch.calls + call.calls, ==, 0);

  g_assert_true (netring_receiver_close (receiver, &error));
  g_assert_no_error (error);
  g_assert_false (netring_receiver_is_running (receiver));
  /* at once: no batch is held, so neither the mapping nor the fd is left */
  g_assert_false (rx_is_mapped (socket_name));
  g_assert_false (rx_kernel_socket (socket_name));
  g_assert_cmpint (fcntl (fd, F_GETFD), ==, -1);
  g_assert_cmpint (errno, ==, EBADF);

  /* the source and the async call end with "closed", once each */
  rx_wait_calls (&w, 1);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_true (g_source_is_destroyed (source));
  rx_wait_calls (&call, 1);
  g_assert_error (call.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_null (call.batch);
  rx_wait_calls (&watch, 1);
  g_assert_error (watch.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  while (watch.notified < 1)
    g_main_context_iteration (context, TRUE);
  g_assert_cmpuint (w.batches + watch.batches, ==, 0);
  /* nothing more comes */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (w.calls + watch.calls + call.calls, ==, 3);
  g_clear_error (&w.error);
  g_clear_error (&watch.error);
  g_clear_error (&call.error);
  g_main_context_pop_thread_default (context);
}

/* A batch held across close() stays readable byte for byte: it keeps the
 * ring mapped until it is released, and no more than that. */
static void
test_batch_held_across_close (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GPtrArray) batches = NULL;
  g_autoptr(GPtrArray) views = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) witness = NULL;
  g_autoptr(GPtrArray) seen = NULL;
  g_autoptr(GArray) before = NULL;
  g_autoptr(GArray) after = NULL;
  g_autofree gchar *socket_name = rx_socket_name (capture);
  gsize block_size = netring_capture_get_block_size (capture);

  g_assert_true (rx_kernel_socket (socket_name));
  nr_test_send_frames (veth, 0, 300, 200);
  batches = rx_receive_batches (capture, veth, 0, 300, 200);
  views = netring_batch_get_packets (g_ptr_array_index (batches, 0));
  bytes = netring_packet_get_bytes (g_ptr_array_index (views, 0));

  g_assert_true (netring_receiver_close (NETRING_RECEIVER (capture), &error));
  g_assert_no_error (error);
  g_assert_true (rx_is_mapped (socket_name));
  /* the mapping keeps the kernel's socket, but it no longer receives:
   * frames that another capture sees are not written into the held ring */
  g_assert_true (rx_kernel_socket (socket_name));
  witness = open_capture (veth, NULL);
  before = rx_ring_snapshot (socket_name, block_size);
  nr_test_send_frames (veth, 300, 300, 200);
  seen = rx_receive_batches (witness, veth, 300, 300, 200);
  after = rx_ring_snapshot (socket_name, block_size);
  g_assert_cmpuint (after->len, ==, before->len);
  g_assert_cmpmem (after->data, after->len * sizeof (guint64), before->data,
                   before->len * sizeof (guint64));
  rx_check_batches (batches, veth, 0, 300, 200);
  g_assert_true (nr_test_frame_check (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), 0,
                                      veth->mac_a, veth->mac_b));

  /* the last holder lets the ring go */
  g_clear_pointer (&batches, g_ptr_array_unref);
  g_assert_true (rx_is_mapped (socket_name)); /* the views and the bytes */
  g_clear_pointer (&views, g_ptr_array_unref);
  g_assert_true (rx_is_mapped (socket_name));
  g_clear_pointer (&bytes, g_bytes_unref);
  g_assert_false (rx_is_mapped (socket_name));
  g_assert_false (rx_kernel_socket (socket_name));
}

static gpointer
rx_release_batches (gpointer data)
{
  g_ptr_array_unref (data);
  return NULL;
}

/* Batches outlive their capture: closed and finalized, or only finalized,
 * the batches are still intact, and releasing them (from another thread
 * too) is safe and unmaps the ring. */
static void
test_receiver_batch_outlives_capture (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  guint round;

  for (round = 0; round < 2; round++)
    {
      NetringCapture *capture = open_capture (veth, NULL);
      g_autoptr(GPtrArray) batches = NULL;
      g_autoptr(NetringPacket) packet = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree gchar *socket_name = rx_socket_name (capture);
      gpointer weak = capture;

      nr_test_send_frames (veth, round * 1000, 500, 100);
      batches = rx_receive_batches (capture, veth, round * 1000, 500, 100);
      packet = netring_batch_get_packet (g_ptr_array_index (batches, 0), 0);

      g_object_add_weak_pointer (G_OBJECT (capture), &weak);
      if (round == 0)
        g_assert_true (netring_receiver_close (NETRING_RECEIVER (capture), &error));
      g_object_unref (capture);
      g_assert_null (weak); /* finalized: nothing of the capture is left */

      rx_check_batches (batches, veth, round * 1000, 500, 100);
      g_assert_true (rx_is_mapped (socket_name));
      g_thread_join (g_thread_new ("release", rx_release_batches, g_steal_pointer (&batches)));
      {
        gsize len;
        const guint8 *data = netring_packet_get_data (packet, &len);

        g_assert_true (nr_test_frame_check (data, len, round * 1000, veth->mac_a, veth->mac_b));
      }
      g_assert_true (rx_is_mapped (socket_name));
      g_clear_pointer (&packet, netring_packet_unref);
      g_assert_false (rx_is_mapped (socket_name));
    }
}

static void
rx_assert_stats_equal (const NetringReceiverStats *a, const NetringReceiverStats *b)
{
  g_assert_cmpuint (a->packets, ==, b->packets);
  g_assert_cmpuint (a->drops, ==, b->drops);
  g_assert_cmpuint (a->freezes, ==, b->freezes);
  g_assert_cmpuint (a->received, ==, b->received);
  g_assert_cmpuint (a->batches, ==, b->batches);
  g_assert_cmpuint (a->lost_blocks, ==, b->lost_blocks);
  g_assert_cmpuint (a->held_batches, ==, b->held_batches);
  g_assert_cmpuint (a->held_packets, ==, b->held_packets);
}

/* Reading statistics changes nothing: two readings with no traffic in
 * between are equal; the difference of two readings is what happened in
 * between (gauges: the later value). */
static void
test_stats_no_side_effects (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  NetringReceiver *receiver = NETRING_RECEIVER (capture);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringReceiverStats) first = NULL;
  g_autoptr(NetringReceiverStats) second = NULL;
  g_autoptr(NetringReceiverStats) third = NULL;
  g_autoptr(NetringReceiverStats) delta = NULL;
  g_autoptr(GPtrArray) batches = NULL;
  g_autoptr(GPtrArray) held = NULL;
  guint64 held_packets = 0;
  guint i;

  nr_test_send_frames (veth, 0, 400, 64);
  batches = rx_receive_batches (capture, veth, 0, 400, 64);
  g_clear_pointer (&batches, g_ptr_array_unref);

  first = netring_receiver_get_stats (receiver, &error);
  g_assert_no_error (error);
  second = netring_receiver_get_stats (receiver, &error);
  g_assert_no_error (error);
  rx_assert_stats_equal (first, second);
  g_assert_cmpuint (first->packets, ==, 400);
  g_assert_cmpuint (first->received, ==, 400);
  g_assert_cmpuint (first->drops, ==, 0);
  g_assert_cmpuint (first->held_batches, ==, 0);

  /* 300 more, held this time */
  nr_test_send_frames (veth, 400, 300, 64);
  held = rx_receive_batches (capture, veth, 400, 300, 64);
  for (i = 0; i < held->len; i++)
    held_packets += netring_batch_get_n_packets (g_ptr_array_index (held, i));
  third = netring_receiver_get_stats (receiver, &error);
  g_assert_no_error (error);
  delta = netring_receiver_stats_subtract (third, second);
  g_assert_cmpuint (delta->packets, ==, 300);
  g_assert_cmpuint (delta->received, ==, 300);
  g_assert_cmpuint (delta->batches, ==, held->len);
  g_assert_cmpuint (delta->drops, ==, 0);
  g_assert_cmpuint (delta->freezes, ==, 0);
  g_assert_cmpuint (delta->lost_blocks, ==, 0);
  g_assert_cmpuint (delta->held_batches, ==, held->len);
  g_assert_cmpuint (delta->held_packets, ==, held_packets);
  g_assert_cmpuint (third->received, ==, 700);

  /* and the releases show, without traffic */
  g_clear_pointer (&held, g_ptr_array_unref);
  g_clear_pointer (&first, netring_receiver_stats_free);
  first = netring_receiver_get_stats (receiver, &error);
  g_clear_pointer (&second, netring_receiver_stats_free);
  second = netring_receiver_get_stats (receiver, &error);
  g_assert_cmpuint (first->held_batches, ==, 0);
  g_assert_cmpuint (first->held_packets, ==, 0);
  third->held_batches = third->held_packets = 0;
  rx_assert_stats_equal (first, third);
  rx_assert_stats_equal (first, second);
}

/* A watch (what bindings use) in a private context delivers every frame
 * byte for byte, and ends with its cancellable. */
static void
test_watch (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func ((GDestroyNotify) netring_batch_unref);
  RxWait w = { context };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint id, received = 0, i;

  w.kept = kept;
  id = netring_receiver_add_watch_full (NETRING_RECEIVER (capture), context, cancellable,
                                        rx_watch_cb, &w, rx_watch_notify);
  g_assert_cmpuint (id, >, 0);
  g_assert_nonnull (g_main_context_find_source_by_id (context, id));
  nr_test_send_frames (veth, 0, 2000, 300);
  while (received < 2000)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, TRUE);
      for (received = 0, i = 0; i < kept->len; i++)
        received += netring_batch_get_n_packets (g_ptr_array_index (kept, i));
    }
  g_assert_no_error (w.error);
  rx_check_batches (kept, veth, 0, 2000, 300);
  g_assert_cmpuint (w.notified, ==, 0);

  g_cancellable_cancel (cancellable);
  while (w.notified == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, TRUE);
    }
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&w.error);
  g_assert_null (g_main_context_find_source_by_id (context, id));
}

typedef struct {
  GPtrArray *kept;
  guint errors;
  GError *close_error;
} CloseInHandler;

static void
close_in_handler_batch (NetringCapture *capture, NetringBatch *batch, gpointer data)
{
  CloseInHandler *c = data;

  g_ptr_array_add (c->kept, netring_batch_keep (batch));
  netring_receiver_close (NETRING_RECEIVER (capture), &c->close_error);
}

static void
close_in_handler_error (NetringCapture *capture, GError *error, gpointer data)
{
  CloseInHandler *c = data;

  c->errors++;
}

/* close() from a ::batch handler: the emission ends, the batch it kept
 * stays intact, and closing is no error. */
static void
test_close_in_handler (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func ((GDestroyNotify) netring_batch_unref);
  g_autoptr(GError) error = NULL;
  CloseInHandler c = { kept };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint i, n = 0;

  g_main_context_push_thread_default (context);
  g_signal_connect (capture, "batch", G_CALLBACK (close_in_handler_batch), &c);
  g_signal_connect (capture, "error", G_CALLBACK (close_in_handler_error), &c);
  g_assert_true (netring_receiver_start (NETRING_RECEIVER (capture), &error));
  nr_test_send_frames (veth, 0, 50, 64);
  while (kept->len == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, TRUE);
    }
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_no_error (c.close_error);
  g_assert_cmpuint (kept->len, ==, 1);
  g_assert_cmpuint (c.errors, ==, 0);
  g_assert_false (netring_receiver_is_running (NETRING_RECEIVER (capture)));
  for (i = 0; i < kept->len; i++)
    n += netring_batch_get_n_packets (g_ptr_array_index (kept, i));
  rx_check_batches (kept, veth, 0, n, 64);
  g_main_context_pop_thread_default (context);
}

/* The finish functions refuse a result of another call or another object. */
static void
test_finish_checks (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth, NULL);
  g_autoptr(NetringCapture) other = open_capture (veth, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GTask) task = NULL;

  g_main_context_push_thread_default (context);
  task = g_task_new (capture, NULL, NULL, NULL);
  g_task_set_source_tag (task, netring_receiver_receive_async);
  g_task_return_pointer (task, NULL, NULL);

  g_test_expect_message ("Netring", G_LOG_LEVEL_CRITICAL, "*g_async_result_is_tagged*");
  g_assert_null (netring_receiver_next_batch_finish (NETRING_RECEIVER (capture),
                                                     G_ASYNC_RESULT (task), NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Netring", G_LOG_LEVEL_CRITICAL, "*g_task_is_valid*");
  g_assert_null (netring_receiver_receive_finish (NETRING_RECEIVER (other),
                                                  G_ASYNC_RESULT (task), NULL));
  g_test_assert_expected_messages ();
  g_assert_null (netring_receiver_receive_finish (NETRING_RECEIVER (capture),
                                                  G_ASYNC_RESULT (task), NULL));
  g_main_context_pop_thread_default (context);
}

int
main (int argc, char **argv)
{
  static const StreamParams streams[] = {
    { 1, 64 }, { 1, 1500 }, { 1000, 64 }, { 1000, 1500 }, { 100000, 64 }, { 100000, 1500 },
  };
  guint i;

  nr_test_net_enter_or_skip ("test-capture");
  g_test_init (&argc, &argv, NULL);

  for (i = 0; i < G_N_ELEMENTS (streams); i++)
    {
      g_autofree char *path = g_strdup_printf ("/capture/sync/%u-x-%zu", streams[i].count,
                                               streams[i].length);
      g_test_add_data_func (path, &streams[i], test_sync_stream);
    }
  g_test_add_func ("/capture/vlan", test_vlan);
  g_test_add_func ("/capture/timed-out-block", test_timed_out_block);
  g_test_add_func ("/capture/drops-stalled-consumer", test_drops_with_stalled_consumer);
  g_test_add_func ("/capture/losing-flag", test_losing_flag);
  g_test_add_func ("/capture/overflow-recovery", test_overflow_recovery);
  g_test_add_func ("/capture/overflow-recovery-source", test_overflow_recovery_source);
  g_test_add_func ("/capture/stats-consistency", test_stats_consistency);
  g_test_add_func ("/capture/held-batches-counted", test_held_batches_counted);
  g_test_add_func ("/capture/source", test_source);
  g_test_add_func ("/capture/signals", test_signals);
  g_test_add_func ("/capture/next-batch-async", test_next_batch_async);
  g_test_add_func ("/capture/receive-async", test_receive_async);
  g_test_add_func ("/capture/cancel-then-receive", test_cancel_then_receive);
  g_test_add_func ("/capture/sync-cancel", test_sync_cancel);
  g_test_add_func ("/capture/signal-storm", test_signal_storm);
  g_test_add_func ("/capture/held-batch-no-spin", test_held_batch_no_spin);
  g_test_add_func ("/capture/release-from-other-thread", test_release_from_other_thread);
  g_test_add_func ("/capture/held-batch-full-block-prompt", test_held_batch_full_block_prompt);
  g_test_add_func ("/capture/interface-removed", test_interface_removed);
  g_test_add_func ("/capture/interface-down-sync", test_interface_down_sync);
  g_test_add_func ("/capture/profiles", test_profiles);
  g_test_add_func ("/capture/only-own-interface", test_only_own_interface);
  g_test_add_func ("/capture/open-sequence-steps", test_open_sequence_steps);
  g_test_add_func ("/capture/use-before-init", test_use_before_init);
  g_test_add_func ("/capture/next-batch-nonblocking", test_next_batch_nonblocking);
  g_test_add_func ("/capture/batch-outlives-capture", test_batch_outlives_capture);
  g_test_add_func ("/capture/block-timeout-zero", test_block_timeout_zero);
  g_test_add_func ("/capture/held-packet-survives-wrap", test_held_packet_survives_wrap);
  g_test_add_func ("/capture/promiscuous", test_promiscuous);
  g_test_add_func ("/capture/ignore-outgoing", test_ignore_outgoing);
  g_test_add_func ("/capture/fill-rxhash", test_fill_rxhash);
  g_test_add_func ("/capture/rcvbuf", test_rcvbuf);
  g_test_add_func ("/capture/timestamp-source-sockopt", test_timestamp_source_sockopt);
  g_test_add_func ("/capture/receiver/readiness", test_readiness);
  g_test_add_func ("/capture/receiver/close", test_close);
  g_test_add_func ("/capture/receiver/batch-held-across-close", test_batch_held_across_close);
  g_test_add_func ("/capture/receiver/batch-outlives-capture", test_receiver_batch_outlives_capture);
  g_test_add_func ("/capture/receiver/stats-no-side-effects", test_stats_no_side_effects);
  g_test_add_func ("/capture/receiver/watch", test_watch);
  g_test_add_func ("/capture/receiver/finish-checks", test_finish_checks);
  g_test_add_func ("/capture/receiver/close-in-handler", test_close_in_handler);
  return g_test_run ();
}
