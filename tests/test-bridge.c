/* test-bridge.c: NetringBridge between two veth pairs, in three network
 * namespaces:
 *
 *   ns_a: host_a ── port_a : the test's namespace, the bridge : port_b ── host_b :ns_b
 *
 * A sender thread on one host end sends numbered frames with a plain packet
 * socket (independent of the library); a NetringCapture on the other host
 * end, read in its own thread, checks every frame that arrives byte for
 * byte and in order. The bridge runs with netring_bridge_run() in a thread
 * of its own, pinned to a CPU (the last one; the senders are on the first)
 * so that the kernel hands its frames on in order. Nothing paces the
 * senders: they send at their full rate, and the claim under test is that
 * the bridge forwards everything. The captures' rings (256 MiB of small
 * blocks) hold more than a million small frames, so they cannot drop
 * whatever the scheduler does. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <unistd.h>

#include <netring/netring.h>

#include "nr-test-net.h"

#define FULL_RATE_FRAMES 1000000u
#define SMALL 64u
/* no frame for this long while frames are expected: the test failed */
#define STALL_GUARD_MS 20000

typedef void (*FillFunc) (guint8 *frame, gsize length, guint32 seq, const guint8 *src,
                          const guint8 *dst);

/* One stream of numbered frames from a host end, through the bridge, to
 * the other host end. */
typedef struct {
  /* sending */
  int send_ns;
  int send_ifindex;
  const guint8 *src;
  const guint8 *dst;
  guint count;
  guint32 first_seq;
  gsize length;
  gsize (*length_for) (guint32 seq); /* NULL: always length */
  FillFunc fill;

  /* receiving */
  NetringCapture *capture;
  gboolean (*arrives) (guint32 seq);                /* NULL: every frame */
  void (*expect) (guint8 *frame, gsize length);     /* what the bridge does to it */
  guint expected;                                   /* how many arrive */
  gint arrived;                                     /* atomic */
  gchar *failure;                                   /* what went wrong, if anything */

  GThread *sender;
  GThread *reader;
} Flow;

static gsize
flow_length (const Flow *f, guint32 seq)
{
  return f->length_for != NULL ? f->length_for (seq) : f->length;
}

static gpointer
sender_thread (gpointer data)
{
  Flow *f = data;
  struct sockaddr_ll addr = { 0 };
  int sndbuf = 4 << 20;
  g_autofree guint8 *frame = g_malloc (65536);
  int fd;
  guint i;

  nr_test_netns_enter (f->send_ns);
  /* one CPU: its receive backlog keeps the frames in order */
  nr_test_pin_thread ();
  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  addr.sll_family = AF_PACKET;
  addr.sll_ifindex = f->send_ifindex;
  g_assert_no_errno (bind (fd, (struct sockaddr *) &addr, sizeof addr));
  setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  for (i = 0; i < f->count; i++)
    {
      guint32 seq = f->first_seq + i;
      gsize length = flow_length (f, seq);

      f->fill (frame, length, seq, f->src, f->dst);
      for (;;)
        {
          ssize_t n = send (fd, frame, length, 0);

          if (n == (ssize_t) length)
            break;
          if (n < 0 && (errno == EINTR || errno == ENOBUFS || errno == EAGAIN))
            {
              g_usleep (100); /* the device queue is full: pacing, not waiting */
              continue;
            }
          g_error ("send() of test frame %u (%zu bytes): %s", seq, length,
                   n < 0 ? g_strerror (errno) : "short");
        }
    }
  close (fd);
  return NULL;
}

static gpointer
reader_thread (gpointer user_data)
{
  Flow *f = user_data;
  g_autofree guint8 *expected = g_malloc (65536);
  guint32 seq = f->first_seq;
  guint got = 0;

  while (got < f->expected)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch =
        netring_receiver_next_batch_timeout (NETRING_RECEIVER (f->capture), STALL_GUARD_MS, NULL,
                                             &error);
      NetringBatchIter iter;
      const guint8 *data;
      guint32 caplen, wirelen;

      if (batch == NULL)
        {
          f->failure = g_strdup_printf ("%u of %u frames arrived, then none for %d ms: %s", got,
                                        f->expected, STALL_GUARD_MS, error->message);
          return NULL;
        }
      netring_batch_iter_init (&iter, batch);
      while ((data = netring_batch_iter_next_data (&iter, &caplen, &wirelen)) != NULL)
        {
          gsize length;

          while (f->arrives != NULL && !f->arrives (seq))
            seq++;
          length = flow_length (f, seq);
          f->fill (expected, length, seq, f->src, f->dst);
          if (f->expect != NULL)
            f->expect (expected, length);
          if (caplen != length || wirelen != length || memcmp (data, expected, length) != 0)
            {
              f->failure = g_strdup_printf ("frame #%u: expected seq %u of %zu bytes, got %u "
                                            "bytes (wire %u) starting %02x%02x…, seq field %u",
                                            got, seq, length, caplen, wirelen, data[0], data[1],
                                            caplen >= 18 ? nr_test_frame_seq (data) : 0);
              return NULL;
            }
          seq++;
          got++;
          g_atomic_int_set (&f->arrived, (gint) got);
          if (got > f->expected)
            {
              f->failure = g_strdup_printf ("more than the %u expected frames arrived",
                                            f->expected);
              return NULL;
            }
        }
    }
  return NULL;
}

static void
flow_start (Flow *f)
{
  if (f->fill == NULL)
    f->fill = nr_test_frame_fill;
  if (f->expected == 0 && f->arrives == NULL)
    f->expected = f->count;
  f->reader = g_thread_new ("reader", reader_thread, f);
  f->sender = g_thread_new ("sender", sender_thread, f);
}

/* Joins the flow; FALSE (with the reason in f->failure) when not every
 * expected frame arrived as expected. */
static gboolean
flow_join (Flow *f)
{
  g_thread_join (f->sender);
  g_thread_join (f->reader);
  return f->failure == NULL && g_atomic_int_get (&f->arrived) == (gint) f->expected;
}

/* What the kernel and the rings say, for a failure's message. */
static void
flow_report (Flow *f, NetringBridge *bridge)
{
  g_autoptr(NetringReceiverStats) rx = netring_receiver_get_stats (NETRING_RECEIVER (f->capture),
                                                                   NULL);
  g_autofree gchar *rx_text = rx != NULL ? netring_receiver_stats_to_string (rx) : NULL;

  g_test_message ("flow from seq %u: %d of %u arrived; %s; capture: %s", f->first_seq,
                  g_atomic_int_get (&f->arrived), f->expected,
                  f->failure != NULL ? f->failure : "no failure", rx_text);
  if (bridge != NULL)
    {
      g_autoptr(NetringBridgeStats) stats = netring_bridge_get_stats (bridge, NULL);
      g_autofree gchar *text = stats != NULL ? netring_bridge_stats_to_string (stats) : NULL;

      g_test_message ("bridge: %s", text);
    }
}

static void
flow_finish_with (Flow *f, NetringBridge *bridge)
{
  if (!flow_join (f))
    {
      flow_report (f, bridge);
      g_test_fail_printf ("%s", f->failure != NULL ? f->failure : "frames missing");
      g_free (f->failure);
      return;
    }
}

static void
flow_finish (Flow *f)
{
  flow_finish_with (f, NULL);
}

/* A capture on @ifname in namespace @ns that keeps only what arrives. */
static NetringCapture *
open_capture (int ns, const char *ifname)
{
  g_autoptr(GError) error = NULL;
  NetringCapture *capture;
  int home = nr_test_netns_current ();

  nr_test_netns_enter (ns);
  /* 8192 blocks of 32 KiB: full within 10 ms from 20,000 frames per second
   * on, so the ring holds 1.6 million small frames at any rate at which a
   * reader that falls behind could fill it */
  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", ifname,
                            "ignore-outgoing", TRUE, "block-size", 32768, "block-count", 8192,
                            "block-timeout-ms", 10, NULL);
  nr_test_netns_enter (home);
  close (home);
  g_assert_no_error (error);
  return capture;
}

/* The flow from host_a to host_b, and the one back. */
static void
flow_a_to_b (Flow *f, const NrTestBridgeNet *net, NetringCapture *capture, guint count)
{
  f->send_ns = net->ns_a;
  f->send_ifindex = net->ifindex_host_a;
  f->src = net->mac_host_a;
  f->dst = net->mac_host_b;
  f->count = count;
  f->length = SMALL;
  f->capture = capture;
}

static void
flow_b_to_a (Flow *f, const NrTestBridgeNet *net, NetringCapture *capture, guint count)
{
  f->send_ns = net->ns_b;
  f->send_ifindex = net->ifindex_host_b;
  f->src = net->mac_host_b;
  f->dst = net->mac_host_a;
  f->count = count;
  f->first_seq = 1u << 24; /* the other direction's numbers */
  f->length = SMALL;
  f->capture = capture;
}

/* ---- the bridge in a thread ------------------------------------------------ */

typedef struct {
  NetringBridge *bridge;
  GCancellable *cancellable;
  GThread *thread;
  gboolean result;
  GError *error;
  gint64 ended_at;
  gint tid;
} BridgeRun;

static gpointer
bridge_thread (gpointer data)
{
  BridgeRun *run = data;

  g_atomic_int_set (&run->tid, nr_test_gettid ());
  nr_test_pin_thread_last ();
  run->result = netring_bridge_run (run->bridge, run->cancellable, &run->error);
  run->ended_at = g_get_monotonic_time ();
  return NULL;
}

static BridgeRun *
bridge_run_start (NetringBridge *bridge)
{
  BridgeRun *run = g_new0 (BridgeRun, 1);

  run->bridge = g_object_ref (bridge);
  run->cancellable = g_cancellable_new ();
  run->thread = g_thread_new ("bridge", bridge_thread, run);
  return run;
}

/* Joins the run (after cancelling it unless it ended by itself). */
static void
bridge_run_join (BridgeRun *run, gboolean cancel)
{
  if (cancel)
    g_cancellable_cancel (run->cancellable);
  g_thread_join (run->thread);
}

static void
bridge_run_free (BridgeRun *run)
{
  g_clear_error (&run->error);
  g_object_unref (run->cancellable);
  g_object_unref (run->bridge);
  g_free (run);
}

static NetringBridge *
bridge_new (const NrTestBridgeNet *net)
{
  g_autoptr(GError) error = NULL;
  NetringBridge *bridge = netring_bridge_new (net->port_a, net->port_b, &error);

  g_assert_no_error (error);
  return bridge;
}

/* Every frame the bridge took is accounted for, in both directions. */
static void
assert_stats_consistent (const NetringBridgeStats *s)
{
  g_assert_cmpuint (s->a_to_b_received, ==,
                    s->a_to_b_forwarded + s->a_to_b_dropped + s->a_to_b_too_large +
                      s->a_to_b_rejected + s->a_to_b_in_flight);
  g_assert_cmpuint (s->b_to_a_received, ==,
                    s->b_to_a_forwarded + s->b_to_a_dropped + s->b_to_a_too_large +
                      s->b_to_a_rejected + s->b_to_a_in_flight);
}

static NetringBridgeStats *
bridge_stats (NetringBridge *bridge)
{
  g_autoptr(GError) error = NULL;
  NetringBridgeStats *stats = netring_bridge_get_stats (bridge, &error);

  g_assert_no_error (error);
  g_assert_nonnull (stats);
  assert_stats_consistent (stats);
  return stats;
}

/* ---- tests ------------------------------------------------------------------ */

/* A million small frames each way at the senders' full rate, both
 * directions at once, default settings: every one arrives, in order, byte
 * for byte. */
static void
test_full_rate (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_a = open_capture (net->ns_a, net->host_a);
  g_autoptr(NetringCapture) cap_b = open_capture (net->ns_b, net->host_b);
  g_autoptr(NetringBridge) bridge = bridge_new (net);
  g_autoptr(NetringBridgeStats) stats = NULL;
  g_autofree gchar *text = NULL;
  Flow ab = { 0 }, ba = { 0 };
  BridgeRun *run;
  gint64 start;

  g_assert_true (netring_bridge_get_promiscuous (bridge));
  g_assert_true (netring_bridge_get_qdisc_bypass (bridge));
  g_assert_cmpint (netring_bridge_get_direction (bridge), ==, NETRING_BRIDGE_DIRECTIONS_BOTH);

  run = bridge_run_start (bridge);
  flow_a_to_b (&ab, net, cap_b, FULL_RATE_FRAMES);
  flow_b_to_a (&ba, net, cap_a, FULL_RATE_FRAMES);
  start = g_get_monotonic_time ();
  flow_start (&ab);
  flow_start (&ba);
  flow_finish_with (&ab, bridge);
  flow_finish_with (&ba, bridge);
  g_test_message ("%u frames each way through the bridge in %.2f s", FULL_RATE_FRAMES,
                  (g_get_monotonic_time () - start) / 1e6);
  bridge_run_join (run, TRUE);
  g_assert_no_error (run->error);
  g_assert_true (run->result);
  g_assert_false (netring_bridge_is_running (bridge));

  stats = bridge_stats (bridge);
  text = netring_bridge_stats_to_string (stats);
  g_test_message ("%s", text);
  g_assert_cmpuint (stats->a_to_b_received, ==, FULL_RATE_FRAMES);
  g_assert_cmpuint (stats->b_to_a_received, ==, FULL_RATE_FRAMES);
  g_assert_cmpuint (stats->a_to_b_forwarded + stats->a_to_b_in_flight, ==, FULL_RATE_FRAMES);
  g_assert_cmpuint (stats->b_to_a_forwarded + stats->b_to_a_in_flight, ==, FULL_RATE_FRAMES);
  g_assert_cmpuint (stats->a_to_b_kernel_drops + stats->b_to_a_kernel_drops, ==, 0);
  g_assert_cmpuint (stats->a_to_b_dropped + stats->a_to_b_too_large + stats->a_to_b_rejected, ==, 0);
  g_assert_cmpuint (stats->b_to_a_dropped + stats->b_to_a_too_large + stats->b_to_a_rejected, ==, 0);
  bridge_run_free (run);
}


/* ---- verdicts ------------------------------------------------------------------ */

#define DROP_PORT 7777
#define VERDICT_FRAMES 30000u

static guint16
port_for (guint32 seq)
{
  return seq % 3 == 0 ? DROP_PORT : (guint16) (5000 + seq % 11);
}

static gboolean
arrives_unless_dropped (guint32 seq)
{
  return port_for (seq) != DROP_PORT;
}

static void
udp_fill (guint8 *frame, gsize length, guint32 seq, const guint8 *src, const guint8 *dst)
{
  nr_test_udp_frame_fill (frame, length, seq, 0x0a000001, 0x0a000002, 4000, port_for (seq), src,
                          dst);
}

/* The UDP destination port of an IPv4 frame, or 0. */
static guint16
udp_dport (const guint8 *frame, gsize length)
{
  gsize ihl;

  if (length < 34 || frame[12] != 0x08 || frame[13] != 0x00 || frame[23] != 17)
    return 0;
  ihl = (gsize) (frame[14] & 0x0f) * 4;
  if (length < 14 + ihl + 4)
    return 0;
  return (guint16) (frame[14 + ihl + 2] << 8 | frame[14 + ihl + 3]);
}

typedef struct {
  gint calls[2];
} VerdictCount;

static NetringBridgeAction
drop_port_verdict (NetringBridge *bridge, NetringBridgeDirection direction, guint8 *frame,
                   gsize length, const NetringPacketInfo *packet, gpointer user_data)
{
  VerdictCount *count = user_data;

  g_assert_cmpuint (direction, <=, NETRING_BRIDGE_DIRECTION_B_TO_A);
  /* the frame in the slot is the frame that arrived */
  g_assert_cmpuint (length, ==, packet->captured_length);
  g_assert_cmpmem (frame, length, packet->data, packet->captured_length);
  count->calls[direction]++;
  return udp_dport (frame, length) == DROP_PORT ? NETRING_BRIDGE_ACTION_DROP
                                               : NETRING_BRIDGE_ACTION_FORWARD;
}

static NetringBridgeAction
never_called_handler (NetringBridge *bridge, NetringPacket *packet,
                      NetringBridgeDirection direction, gpointer user_data)
{
  g_assert_not_reached ();
  return NETRING_BRIDGE_ACTION_DROP;
}

static void
test_verdict_drop (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_a = open_capture (net->ns_a, net->host_a);
  g_autoptr(NetringCapture) cap_b = open_capture (net->ns_b, net->host_b);
  g_autoptr(NetringBridge) bridge = bridge_new (net);
  g_autoptr(NetringBridgeStats) stats = NULL;
  VerdictCount count = { { 0, 0 } };
  Flow ab = { 0 }, ba = { 0 };
  guint dropped = 0, i;
  BridgeRun *run;

  netring_bridge_set_verdict_func (bridge, drop_port_verdict, &count, NULL);
  /* a verdict function takes precedence over ::verdict handlers */
  g_signal_connect (bridge, "verdict", G_CALLBACK (never_called_handler), NULL);
  for (i = 0; i < VERDICT_FRAMES; i++)
    dropped += !arrives_unless_dropped (i);

  run = bridge_run_start (bridge);
  flow_a_to_b (&ab, net, cap_b, VERDICT_FRAMES);
  flow_b_to_a (&ba, net, cap_a, VERDICT_FRAMES);
  ab.first_seq = ba.first_seq = 0;
  ab.fill = ba.fill = udp_fill;
  ab.arrives = ba.arrives = arrives_unless_dropped;
  ab.expected = ba.expected = VERDICT_FRAMES - dropped;
  flow_start (&ab);
  flow_start (&ba);
  flow_finish_with (&ab, bridge);
  flow_finish_with (&ba, bridge);
  bridge_run_join (run, TRUE);
  g_assert_no_error (run->error);

  stats = bridge_stats (bridge);
  g_assert_cmpuint (stats->a_to_b_received, ==, VERDICT_FRAMES);
  g_assert_cmpuint (stats->b_to_a_received, ==, VERDICT_FRAMES);
  g_assert_cmpuint (stats->a_to_b_dropped, ==, dropped);
  g_assert_cmpuint (stats->b_to_a_dropped, ==, dropped);
  g_assert_cmpuint (stats->a_to_b_forwarded + stats->a_to_b_in_flight, ==, VERDICT_FRAMES - dropped);
  g_assert_cmpuint (stats->b_to_a_forwarded + stats->b_to_a_in_flight, ==, VERDICT_FRAMES - dropped);
  g_assert_cmpint (count.calls[NETRING_BRIDGE_DIRECTION_A_TO_B], ==, VERDICT_FRAMES);
  g_assert_cmpint (count.calls[NETRING_BRIDGE_DIRECTION_B_TO_A], ==, VERDICT_FRAMES);
  bridge_run_free (run);
}

/* The same with a ::verdict handler (what bindings use). */
static NetringBridgeAction
drop_port_handler (NetringBridge *bridge, NetringPacket *packet, NetringBridgeDirection direction,
                   gpointer user_data)
{
  VerdictCount *count = user_data;
  gsize length;
  const guint8 *data = netring_packet_get_data (packet, &length);

  count->calls[direction]++;
  return udp_dport (data, length) == DROP_PORT ? NETRING_BRIDGE_ACTION_DROP
                                              : NETRING_BRIDGE_ACTION_FORWARD;
}

static void
test_verdict_signal (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_b = open_capture (net->ns_b, net->host_b);
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  VerdictCount count = { { 0, 0 } };
  Flow ab = { 0 };
  guint dropped = 0, i;
  BridgeRun *run;

  bridge = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-a", net->port_a,
                           "interface-b", net->port_b,
                           "direction", NETRING_BRIDGE_DIRECTIONS_A_TO_B, NULL);
  g_assert_no_error (error);
  g_assert_null (netring_bridge_get_receiver (bridge, NETRING_BRIDGE_DIRECTION_B_TO_A));
  g_assert_true (NETRING_IS_CAPTURE (netring_bridge_get_receiver (bridge,
                                                                  NETRING_BRIDGE_DIRECTION_A_TO_B)));
  g_assert_true (NETRING_IS_INJECTOR (netring_bridge_get_sender (bridge,
                                                                 NETRING_BRIDGE_DIRECTION_A_TO_B)));
  /* the first handler decides */
  g_signal_connect (bridge, "verdict", G_CALLBACK (drop_port_handler), &count);
  g_signal_connect (bridge, "verdict", G_CALLBACK (never_called_handler), NULL);
  for (i = 0; i < VERDICT_FRAMES; i++)
    dropped += !arrives_unless_dropped (i);

  run = bridge_run_start (bridge);
  flow_a_to_b (&ab, net, cap_b, VERDICT_FRAMES);
  ab.fill = udp_fill;
  ab.arrives = arrives_unless_dropped;
  ab.expected = VERDICT_FRAMES - dropped;
  flow_start (&ab);
  flow_finish_with (&ab, bridge);
  bridge_run_join (run, TRUE);
  g_assert_no_error (run->error);

  stats = bridge_stats (bridge);
  g_assert_cmpuint (stats->a_to_b_received, ==, VERDICT_FRAMES);
  g_assert_cmpuint (stats->a_to_b_dropped, ==, dropped);
  g_assert_cmpuint (stats->b_to_a_received, ==, 0);
  g_assert_cmpint (count.calls[NETRING_BRIDGE_DIRECTION_A_TO_B], ==, VERDICT_FRAMES);
  g_assert_cmpint (count.calls[NETRING_BRIDGE_DIRECTION_B_TO_A], ==, 0);
  bridge_run_free (run);
}

static const guint8 rewritten_mac[6] = { 0x02, 0, 0, 0, 0, 0x99 };

static NetringBridgeAction
rewrite_verdict (NetringBridge *bridge, NetringBridgeDirection direction, guint8 *frame,
                 gsize length, const NetringPacketInfo *packet, gpointer user_data)
{
  memcpy (frame, rewritten_mac, 6);
  return NETRING_BRIDGE_ACTION_FORWARD;
}

static void
expect_rewritten (guint8 *frame, gsize length)
{
  memcpy (frame, rewritten_mac, 6);
}

static void
test_verdict_rewrite (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_b = open_capture (net->ns_b, net->host_b);
  g_autoptr(NetringBridge) bridge = bridge_new (net);
  g_autoptr(NetringBridgeStats) stats = NULL;
  Flow ab = { 0 };
  BridgeRun *run;

  netring_bridge_set_verdict_func (bridge, rewrite_verdict, NULL, NULL);
  run = bridge_run_start (bridge);
  flow_a_to_b (&ab, net, cap_b, VERDICT_FRAMES);
  ab.expect = expect_rewritten;
  flow_start (&ab);
  flow_finish_with (&ab, bridge);
  bridge_run_join (run, TRUE);
  g_assert_no_error (run->error);
  stats = bridge_stats (bridge);
  g_assert_cmpuint (stats->a_to_b_received, ==, VERDICT_FRAMES);
  g_assert_cmpuint (stats->a_to_b_dropped, ==, 0);
  bridge_run_free (run);
}

/* ---- sizes ----------------------------------------------------------------------- */

#define MTU_FRAMES 20000u

static gsize
mixed_length (guint32 seq)
{
  switch (seq % 4)
    {
    case 0:
      return 9014; /* fits a 9000 MTU only */
    case 1:
      return 1514;
    case 2:
      return 1515; /* one byte more than 1500 allows without a VLAN tag */
    default:
      return SMALL;
    }
}

static gboolean
fits_1500 (guint32 seq)
{
  return seq % 4 == 1 || seq % 4 == 3;
}

static void
test_mtu (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_a = NULL;
  g_autoptr(NetringCapture) cap_b = NULL;
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  Flow ab = { 0 }, ba = { 0 };
  BridgeRun *run;

  /* side A carries jumbo frames, side B 1500 */
  nr_test_ip_in (net->ns_a, "link", "set", net->host_a, "mtu", "9000", NULL);
  nr_test_ip ("link", "set", net->port_a, "mtu", "9000", NULL);
  cap_a = open_capture (net->ns_a, net->host_a);
  cap_b = open_capture (net->ns_b, net->host_b);
  bridge = bridge_new (net);

  run = bridge_run_start (bridge);
  flow_a_to_b (&ab, net, cap_b, MTU_FRAMES);
  ab.length_for = mixed_length;
  ab.arrives = fits_1500;
  ab.expected = MTU_FRAMES / 2;
  flow_b_to_a (&ba, net, cap_a, MTU_FRAMES);
  ba.length = 1514; /* all fit side A */
  flow_start (&ab);
  flow_start (&ba);
  flow_finish_with (&ab, bridge);
  flow_finish_with (&ba, bridge);
  bridge_run_join (run, TRUE);
  g_assert_no_error (run->error);

  stats = bridge_stats (bridge);
  g_assert_cmpuint (stats->a_to_b_received, ==, MTU_FRAMES);
  g_assert_cmpuint (stats->a_to_b_too_large, ==, MTU_FRAMES / 2);
  g_assert_cmpuint (stats->a_to_b_forwarded + stats->a_to_b_in_flight, ==, MTU_FRAMES / 2);
  g_assert_cmpuint (stats->b_to_a_received, ==, MTU_FRAMES);
  g_assert_cmpuint (stats->b_to_a_too_large, ==, 0);
  g_assert_cmpuint (stats->a_to_b_kernel_drops + stats->b_to_a_kernel_drops, ==, 0);
  bridge_run_free (run);
}

/* An 802.1Q (and an 802.1ad) tag the kernel takes out on reception is in
 * the frame that leaves. */
static void
test_vlan (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_b = open_capture (net->ns_b, net->host_b);
  g_autoptr(NetringBridge) bridge = bridge_new (net);
  const guint16 tpids[2] = { 0x8100, 0x88a8 };
  guint8 inner[SMALL], tagged[SMALL + 4];
  int home = nr_test_netns_current ();
  guint got = 0;
  BridgeRun *run;
  guint i;

  run = bridge_run_start (bridge);
  nr_test_frame_fill (inner, sizeof inner, 42, net->mac_host_a, net->mac_host_b);
  nr_test_netns_enter (net->ns_a);
  for (i = 0; i < G_N_ELEMENTS (tpids); i++)
    {
      memcpy (tagged, inner, 12);
      tagged[12] = (guint8) (tpids[i] >> 8);
      tagged[13] = (guint8) tpids[i];
      tagged[14] = 0x20; /* priority 1, VLAN 100 + i */
      tagged[15] = (guint8) (100 + i);
      memcpy (tagged + 16, inner + 12, sizeof inner - 12);
      nr_test_send_raw_on (net->ifindex_host_a, tagged, sizeof tagged);
    }
  nr_test_netns_enter (home);
  close (home);

  /* host_b's kernel takes the tag out again: the capture there reports it
   * beside the frame, which only happens when the frame carried it */
  while (got < G_N_ELEMENTS (tpids))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch =
        netring_receiver_next_batch_timeout (NETRING_RECEIVER (cap_b), STALL_GUARD_MS, NULL,
                                             &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      g_assert_no_error (error);
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          g_assert_cmpuint (got, <, G_N_ELEMENTS (tpids));
          g_assert_cmpmem (info.data, info.captured_length, inner, sizeof inner);
          g_assert_true (info.status & NETRING_PACKET_STATUS_VLAN_VALID);
          g_assert_cmphex (info.vlan_tci, ==, 0x2000 | (100 + got));
          if (info.status & NETRING_PACKET_STATUS_VLAN_TPID_VALID)
            g_assert_cmphex (info.vlan_tpid, ==, tpids[got]);
          got++;
        }
    }
  bridge_run_join (run, TRUE);
  g_assert_no_error (run->error);
  bridge_run_free (run);
}

/* ---- loops and back-pressure -------------------------------------------------------- */

/* Without qdisc bypass, a packet socket on the sending interface sees what
 * is sent there (F14); the bridge's receiving socket must not, or it would
 * forward its own output back. */
static void
test_no_qdisc_bypass (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_a = open_capture (net->ns_a, net->host_a);
  g_autoptr(NetringCapture) cap_b = open_capture (net->ns_b, net->host_b);
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  Flow ab = { 0 }, marker = { 0 };
  BridgeRun *run;

  bridge = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-a", net->port_a,
                           "interface-b", net->port_b, "qdisc-bypass", FALSE, NULL);
  g_assert_no_error (error);
  g_assert_false (netring_bridge_get_qdisc_bypass (bridge));
  run = bridge_run_start (bridge);

  flow_a_to_b (&ab, net, cap_b, VERDICT_FRAMES);
  flow_start (&ab);
  flow_finish_with (&ab, bridge);
  /* Had the bridge taken its own output on port_b, it would have been in
   * port_b's receive ring before host_b saw it, so before this frame: the
   * first (and only) frame host_a gets must be this one. */
  flow_b_to_a (&marker, net, cap_a, 1);
  flow_start (&marker);
  flow_finish_with (&marker, bridge);
  bridge_run_join (run, TRUE);
  g_assert_no_error (run->error);

  stats = bridge_stats (bridge);
  g_assert_cmpuint (stats->a_to_b_received, ==, VERDICT_FRAMES);
  g_assert_cmpuint (stats->b_to_a_received, ==, 1);
  bridge_run_free (run);
}

static gint64
thread_cpu_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_THREAD, &usage);
  return (gint64) usage.ru_utime.tv_sec * G_USEC_PER_SEC + usage.ru_utime.tv_usec +
         (gint64) usage.ru_stime.tv_sec * G_USEC_PER_SEC + usage.ru_stime.tv_usec;
}

typedef struct {
  BridgeRun run;
  gint64 cpu_us;
} TimedRun;

static gpointer
timed_bridge_thread (gpointer data)
{
  TimedRun *t = data;
  gint64 start = thread_cpu_us ();

  bridge_thread (&t->run);
  t->cpu_us = thread_cpu_us () - start;
  return NULL;
}

#define SLOW_FRAMES 20000u

/* The way out is slower than the way in (a 10 Mbit/s token bucket on
 * port_b): the bridge waits for room instead of dropping, the receive ring
 * holds the rest, every frame arrives, and the bridge sleeps while it
 * waits. */
static void
test_backpressure (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_b = open_capture (net->ns_b, net->host_b);
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  g_autoptr(NetringInjectorStats) tx_stats = NULL;
  g_autoptr(GError) error = NULL;
  const char *tc[] = { "tc", "qdisc", "add", "dev", net->port_b, "root", "tbf", "rate", "10mbit",
                       "burst", "4kb", "limit", "16mb", NULL };
  TimedRun timed = { { 0 } };
  gint64 start, wall;
  Flow ab = { 0 };
  gint status;

  g_assert_true (g_spawn_sync (NULL, (char **) tc, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  bridge = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-a", net->port_a,
                           "interface-b", net->port_b, "qdisc-bypass", FALSE,
                           "direction", NETRING_BRIDGE_DIRECTIONS_A_TO_B, NULL);
  g_assert_no_error (error);

  timed.run.bridge = g_object_ref (bridge);
  timed.run.cancellable = g_cancellable_new ();
  start = g_get_monotonic_time ();
  timed.run.thread = g_thread_new ("bridge", timed_bridge_thread, &timed);
  flow_a_to_b (&ab, net, cap_b, SLOW_FRAMES);
  flow_start (&ab);
  flow_finish_with (&ab, bridge);
  wall = g_get_monotonic_time () - start;
  g_cancellable_cancel (timed.run.cancellable);
  g_thread_join (timed.run.thread);
  g_assert_no_error (timed.run.error);

  stats = bridge_stats (bridge);
  g_assert_cmpuint (stats->a_to_b_received, ==, SLOW_FRAMES);
  g_assert_cmpuint (stats->a_to_b_kernel_drops, ==, 0);
  g_assert_cmpuint (stats->a_to_b_rejected, ==, 0);
  tx_stats = netring_injector_get_stats (
    NETRING_INJECTOR (netring_bridge_get_sender (bridge, NETRING_BRIDGE_DIRECTION_A_TO_B)));
  g_test_message ("%.2f s for %u frames, bridge thread CPU %.3f s; %" G_GUINT64_FORMAT
                  " kicks, send buffer full %" G_GUINT64_FORMAT,
                  wall / 1e6, SLOW_FRAMES, timed.cpu_us / 1e6, tx_stats->kicks,
                  tx_stats->send_buffer_full);
  /* it slept while it waited: a bridge polling for room would have used
   * the whole time */
  g_assert_cmpint (timed.cpu_us, <, wall / 2);
  g_clear_error (&timed.run.error);
  g_object_unref (timed.run.cancellable);
  g_object_unref (timed.run.bridge);
}

/* ---- interfaces going away --------------------------------------------------------------- */

typedef struct {
  int ns;
  int ifindex;
  const guint8 *src;
  const guint8 *dst;
  gint stop; /* atomic */
  guint sent;
} Blaster;

static gpointer
blaster_thread (gpointer data)
{
  Blaster *b = data;
  struct sockaddr_ll addr = { 0 };
  guint8 frame[SMALL];
  int fd;

  nr_test_netns_enter (b->ns);
  nr_test_pin_thread ();
  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  addr.sll_family = AF_PACKET;
  addr.sll_ifindex = b->ifindex;
  g_assert_no_errno (bind (fd, (struct sockaddr *) &addr, sizeof addr));
  while (!g_atomic_int_get (&b->stop))
    {
      nr_test_frame_fill (frame, sizeof frame, b->sent, b->src, b->dst);
      if (send (fd, frame, sizeof frame, 0) < 0)
        {
          if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
            {
              g_usleep (100);
              continue;
            }
          break; /* the interface is gone */
        }
      b->sent++;
    }
  close (fd);
  return NULL;
}

static void
interface_gone (NetringBridgeDirections direction, gboolean remove)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_b = open_capture (net->ns_b, net->host_b);
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(NetringBatch) first = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;
  Blaster blaster = { net->ns_a, net->ifindex_host_a, net->mac_host_a, net->mac_host_b, 0, 0 };
  GThread *blast;
  BridgeRun *run;
  gint64 removed_at;

  bridge = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-a", net->port_a,
                           "interface-b", net->port_b, "direction", direction, NULL);
  g_assert_no_error (error);
  run = bridge_run_start (bridge);
  blast = g_thread_new ("blaster", blaster_thread, &blaster);

  /* traffic flows through the bridge */
  first = netring_receiver_next_batch_timeout (NETRING_RECEIVER (cap_b), STALL_GUARD_MS, NULL,
                                               &error);
  g_assert_no_error (error);

  removed_at = g_get_monotonic_time ();
  if (remove)
    nr_test_ip ("link", "del", net->port_b, NULL);
  else
    nr_test_ip ("link", "set", net->port_b, "down", NULL);
  bridge_run_join (run, FALSE);
  g_test_message ("the run ended %.0f ms after the interface went away: %s",
                  (run->ended_at - removed_at) / 1e3, run->error ? run->error->message : "");
  g_assert_false (run->result);
  g_assert_error (run->error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN);
  g_assert_nonnull (strstr (run->error->message, net->port_b));
  g_assert_cmpint (run->ended_at - removed_at, <, G_USEC_PER_SEC);
  g_assert_false (netring_bridge_is_running (bridge));

  g_atomic_int_set (&blaster.stop, 1);
  g_thread_join (blast);
  stats = bridge_stats (bridge);
  text = netring_bridge_stats_to_string (stats);
  g_test_message ("sent %u; %s", blaster.sent, text);
  g_assert_cmpuint (stats->a_to_b_received, >, 0);
  bridge_run_free (run);
}

static void
test_interface_removed (void)
{
  interface_gone (NETRING_BRIDGE_DIRECTIONS_BOTH, TRUE);
}

/* Only a sending socket on the removed interface: the next frame finds out. */
static void
test_interface_removed_one_way (void)
{
  interface_gone (NETRING_BRIDGE_DIRECTIONS_A_TO_B, TRUE);
}

static void
test_interface_down (void)
{
  interface_gone (NETRING_BRIDGE_DIRECTIONS_BOTH, FALSE);
}

/* ---- running in a main context ---------------------------------------------------------- */

typedef struct {
  GMainLoop *loop;
  Flow *flow;
} WaitFlow;

static gpointer
flow_waiter (gpointer data)
{
  WaitFlow *w = data;

  flow_finish (w->flow);
  g_main_loop_quit (w->loop);
  return NULL;
}

/* Runs @loop until @flow, started already, has arrived. */
static void
iterate_until_finished (GMainLoop *loop, Flow *flow)
{
  WaitFlow w = { loop, flow };
  GThread *waiter = g_thread_new ("waiter", flow_waiter, &w);

  g_main_loop_run (loop);
  g_thread_join (waiter);
}

static void
iterate_until_arrived (GMainLoop *loop, Flow *flow)
{
  flow_start (flow);
  iterate_until_finished (loop, flow);
}

static void
on_error (NetringBridge *bridge, GError *error, gpointer user_data)
{
  GError **out = user_data;

  g_assert_null (*out);
  *out = g_error_copy (error);
}

static void
test_start_stop (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_b = open_capture (net->ns_b, net->host_b);
  g_autoptr(NetringBridge) bridge = bridge_new (net);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr(NetringBridgeStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) signalled = NULL;
  Flow first = { 0 }, second = { 0 };

  g_main_context_push_thread_default (context);
  g_signal_connect (bridge, "error", G_CALLBACK (on_error), &signalled);
  g_assert_true (netring_bridge_start (bridge, &error));
  g_assert_no_error (error);
  g_assert_true (netring_bridge_is_running (bridge));
  g_assert_false (netring_bridge_start (bridge, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_BUSY);
  g_clear_error (&error);

  flow_a_to_b (&first, net, cap_b, VERDICT_FRAMES);
  iterate_until_arrived (loop, &first);

  /* stopped, frames wait in the receive ring; started again, they go */
  netring_bridge_stop (bridge);
  g_assert_false (netring_bridge_is_running (bridge));
  flow_a_to_b (&second, net, cap_b, VERDICT_FRAMES);
  second.first_seq = VERDICT_FRAMES;
  flow_start (&second);
  g_assert_true (netring_bridge_start (bridge, &error));
  iterate_until_finished (loop, &second);

  stats = bridge_stats (bridge);
  g_assert_cmpuint (stats->a_to_b_received, ==, 2 * VERDICT_FRAMES);

  /* an interface that goes away stops the bridge with ::error */
  nr_test_ip ("link", "del", net->port_a, NULL);
  while (signalled == NULL)
    g_main_context_iteration (context, TRUE);
  g_assert_error (signalled, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN);
  g_assert_nonnull (strstr (signalled->message, net->port_a));
  g_assert_false (netring_bridge_is_running (bridge));
  g_main_context_pop_thread_default (context);
}

static void
run_async_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;
  gboolean ok = netring_bridge_run_finish (NETRING_BRIDGE (source), result, error);

  g_assert_true (ok == (*error == NULL));
  if (*error == NULL)
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "returned TRUE");
}

static void
test_run_async (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_b = open_capture (net->ns_b, net->host_b);
  g_autoptr(NetringBridge) bridge = bridge_new (net);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) result = NULL;
  g_autoptr(GError) busy = NULL;
  Flow ab = { 0 };

  g_main_context_push_thread_default (context);
  netring_bridge_run_async (bridge, cancellable, run_async_done, &result);
  netring_bridge_run_async (bridge, NULL, run_async_done, &busy);
  while (busy == NULL)
    g_main_context_iteration (context, TRUE);
  g_assert_error (busy, NETRING_ERROR, NETRING_ERROR_BUSY);

  flow_a_to_b (&ab, net, cap_b, VERDICT_FRAMES);
  iterate_until_arrived (loop, &ab);
  g_assert_null (result);
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  /* cancelled is how a run ends: TRUE */
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_false (netring_bridge_is_running (bridge));
  g_clear_error (&result);

  /* close() ends a run with G_IO_ERROR_CLOSED */
  netring_bridge_run_async (bridge, NULL, run_async_done, &result);
  g_assert_true (netring_bridge_close (bridge, NULL));
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_main_context_pop_thread_default (context);
}

/* ---- endpoints, settings, readiness --------------------------------------------------------- */

static GObject *
endpoint_new (GType type, GError **error, const char *first_property, ...)
{
  GObject *object;
  va_list ap;

  va_start (ap, first_property);
  object = (GObject *) g_initable_new_valist (type, first_property, ap, NULL, error);
  va_end (ap);
  return object;
}

static void
test_endpoints (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_b = open_capture (net->ns_b, net->host_b);
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) rx = NULL;
  g_autoptr(GObject) tx = NULL;
  g_autoptr(GObject) rx_outgoing = NULL;
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(NetringBridge) refused = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  g_autoptr(NetringInjector) unready = NULL;
  g_autofree gchar *name = NULL;
  Flow ab = { 0 };
  BridgeRun *run;

  rx = endpoint_new (NETRING_TYPE_CAPTURE, &error, "interface", net->port_a, "ignore-outgoing",
                     TRUE, "block-timeout-ms", 1, NULL);
  g_assert_no_error (error);
  tx = endpoint_new (NETRING_TYPE_INJECTOR, &error, "interface", net->port_b, "frame-count", 512,
                     NULL);
  g_assert_no_error (error);

  bridge = netring_bridge_new_with_endpoints (NETRING_RECEIVER (rx), NETRING_SENDER (tx), NULL,
                                              NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (netring_bridge_get_interface_a (bridge), ==, net->port_a);
  g_assert_cmpstr (netring_bridge_get_interface_b (bridge), ==, net->port_b);
  g_assert_cmpint (netring_bridge_get_direction (bridge), ==, NETRING_BRIDGE_DIRECTIONS_A_TO_B);
  g_assert_true (netring_bridge_get_receiver (bridge, NETRING_BRIDGE_DIRECTION_A_TO_B) ==
                 NETRING_RECEIVER (rx));
  g_assert_true (netring_bridge_get_sender (bridge, NETRING_BRIDGE_DIRECTION_A_TO_B) ==
                 NETRING_SENDER (tx));
  g_object_get (bridge, "interface-a", &name, NULL);
  g_assert_cmpstr (name, ==, net->port_a);

  run = bridge_run_start (bridge);
  flow_a_to_b (&ab, net, cap_b, VERDICT_FRAMES);
  flow_start (&ab);
  flow_finish_with (&ab, bridge);
  bridge_run_join (run, TRUE);
  g_assert_no_error (run->error);
  stats = bridge_stats (bridge);
  g_assert_cmpuint (stats->a_to_b_received, ==, VERDICT_FRAMES);
  bridge_run_free (run);

  /* closing the bridge does not close what it was given */
  g_assert_true (netring_bridge_close (bridge, NULL));
  g_assert_cmpint (netring_sender_get_fd (NETRING_SENDER (tx)), >=, 0);

  /* a capture that sees the bridge's own output is refused (F14) */
  rx_outgoing = endpoint_new (NETRING_TYPE_CAPTURE, &error, "interface", net->port_a, NULL);
  g_assert_no_error (error);
  refused = netring_bridge_new_with_endpoints (NETRING_RECEIVER (rx_outgoing),
                                               NETRING_SENDER (tx), NULL, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "ignore-outgoing"));
  g_clear_error (&error);

  /* half a direction */
  refused = netring_bridge_new_with_endpoints (NETRING_RECEIVER (rx), NULL, NULL, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "a-to-b-sender"));
  g_clear_error (&error);

  /* an endpoint that is not initialised */
  unready = g_object_new (NETRING_TYPE_INJECTOR, "interface", net->port_b, NULL);
  refused = netring_bridge_new_with_endpoints (NETRING_RECEIVER (rx), NETRING_SENDER (unready),
                                               NULL, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
}

#define XDP_BURST 1000u
#define XDP_BURSTS 5u

/* Over AF_XDP sockets: one receiving on port_a, one sending on port_b
 * (generic XDP, which every device has). Each burst fits the receiving
 * socket's frames, so the claim is the bridge's, not the ring size's:
 * every frame of every burst arrives, in order, byte for byte. */
static void
test_xdp_endpoints (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringCapture) cap_b = open_capture (net->ns_b, net->host_b);
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) rx = NULL;
  g_autoptr(GObject) tx = NULL;
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  BridgeRun *run;
  guint i;

  rx = endpoint_new (NETRING_TYPE_XDP_SOCKET, &error, "interface", net->port_a, "queue-id", 0,
                     "mode", NETRING_XDP_MODE_RX, "frame-count", 4096,
                     "attach-mode", NETRING_XDP_ATTACH_MODE_GENERIC, NULL);
  if (rx == NULL)
    {
      g_test_skip_printf ("no AF_XDP socket on %s: %s", net->port_a, error->message);
      return;
    }
  tx = endpoint_new (NETRING_TYPE_XDP_SOCKET, &error, "interface", net->port_b, "queue-id", 0,
                     "mode", NETRING_XDP_MODE_TX, "frame-count", 1024,
                     "attach-mode", NETRING_XDP_ATTACH_MODE_GENERIC, NULL);
  g_assert_no_error (error);
  bridge = netring_bridge_new_with_endpoints (NETRING_RECEIVER (rx), NETRING_SENDER (tx), NULL,
                                              NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (netring_bridge_get_interface_a (bridge), ==, net->port_a);
  g_assert_cmpstr (netring_bridge_get_interface_b (bridge), ==, net->port_b);

  run = bridge_run_start (bridge);
  for (i = 0; i < XDP_BURSTS; i++)
    {
      Flow ab = { 0 };

      flow_a_to_b (&ab, net, cap_b, XDP_BURST);
      ab.first_seq = i * XDP_BURST;
      flow_start (&ab);
      flow_finish_with (&ab, bridge);
    }
  bridge_run_join (run, TRUE);
  g_assert_no_error (run->error);
  stats = bridge_stats (bridge);
  g_assert_cmpuint (stats->a_to_b_received, ==, XDP_BURST * XDP_BURSTS);
  g_assert_cmpuint (stats->a_to_b_forwarded + stats->a_to_b_in_flight, ==,
                    XDP_BURST * XDP_BURSTS);
  g_assert_cmpuint (stats->a_to_b_kernel_drops + stats->a_to_b_rejected, ==, 0);
  bridge_run_free (run);
}

static void
expect_invalid (GError **error, const char *needle)
{
  g_assert_error (*error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr ((*error)->message, needle));
  g_clear_error (error);
}

static void
test_settings (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(NetringBridge) unready = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  NetringReceiver *rx;
  NetringSender *tx;
  gpointer object;
  guint block_size, block_count, frame_size, capacity;
  gint block_timeout;

  object = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-b", net->port_b, NULL);
  g_assert_null (object);
  expect_invalid (&error, "interface-a");
  object = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-a", net->port_a,
                           "interface-b", net->port_a, NULL);
  g_assert_null (object);
  expect_invalid (&error, net->port_a);
  object = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-a", net->port_a,
                           "interface-b", net->port_b, "direction", 0, NULL);
  g_assert_null (object);
  expect_invalid (&error, "direction");
  object = netring_bridge_new (net->port_a, "nosuchif0", &error);
  g_assert_null (object);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_clear_error (&error);
  /* a bad ring setting names the side */
  object = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-a", net->port_a,
                           "interface-b", net->port_b, "block-size-b", 1000, NULL);
  g_assert_null (object);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "-b"));
  g_assert_nonnull (strstr (error->message, net->port_b));
  g_clear_error (&error);

  /* the bridge's own geometry, a profile, and sizes */
  bridge = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-a", net->port_a,
                           "interface-b", net->port_b, "profile-b",
                           NETRING_RING_PROFILE_LOW_MEMORY, "tx-frame-count-a", 64,
                           "promiscuous", FALSE, NULL);
  g_assert_no_error (error);
  g_assert_false (netring_bridge_get_promiscuous (bridge));
  rx = netring_bridge_get_receiver (bridge, NETRING_BRIDGE_DIRECTION_A_TO_B);
  g_object_get (rx, "block-size", &block_size, "block-count", &block_count, "frame-size",
                &frame_size, "block-timeout-ms", &block_timeout, NULL);
  g_assert_cmpuint (block_size, ==, 32 * 1024);
  g_assert_cmpuint (block_count, ==, 8192);
  g_assert_cmpuint (frame_size, ==, 2048);
  g_assert_cmpint (block_timeout, ==, 1);
  rx = netring_bridge_get_receiver (bridge, NETRING_BRIDGE_DIRECTION_B_TO_A);
  g_object_get (rx, "block-size", &block_size, "block-count", &block_count, NULL);
  g_assert_cmpuint (block_size, ==, 1024 * 1024);
  g_assert_cmpuint (block_count, ==, 16);
  tx = netring_bridge_get_sender (bridge, NETRING_BRIDGE_DIRECTION_B_TO_A);
  g_object_get (tx, "frame-count", &block_count, "frame-capacity", &capacity, NULL);
  g_assert_cmpuint (block_count, ==, 64);
  g_assert_cmpuint (capacity, >=, 1518);

  /* readiness */
  unready = g_object_new (NETRING_TYPE_BRIDGE, "interface-a", net->port_a, "interface-b",
                          net->port_b, NULL);
  g_assert_null (netring_bridge_get_stats (unready, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_assert_false (netring_bridge_start (unready, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);

  g_assert_true (netring_bridge_close (bridge, &error));
  g_assert_true (netring_bridge_close (bridge, &error));
  g_assert_false (netring_bridge_run (bridge, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_null (netring_bridge_get_receiver (bridge, NETRING_BRIDGE_DIRECTION_A_TO_B));
  /* statistics stay readable */
  stats = netring_bridge_get_stats (bridge, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stats->a_to_b_received, ==, 0);
}

int
main (int argc, char **argv)
{
  nr_test_net_enter_or_skip ("test-bridge");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bridge/settings", test_settings);
  g_test_add_func ("/bridge/full-rate", test_full_rate);
  g_test_add_func ("/bridge/verdict-drop", test_verdict_drop);
  g_test_add_func ("/bridge/verdict-signal", test_verdict_signal);
  g_test_add_func ("/bridge/verdict-rewrite", test_verdict_rewrite);
  g_test_add_func ("/bridge/mtu", test_mtu);
  g_test_add_func ("/bridge/vlan", test_vlan);
  g_test_add_func ("/bridge/no-qdisc-bypass", test_no_qdisc_bypass);
  g_test_add_func ("/bridge/backpressure", test_backpressure);
  g_test_add_func ("/bridge/interface-removed", test_interface_removed);
  g_test_add_func ("/bridge/interface-removed-one-way", test_interface_removed_one_way);
  g_test_add_func ("/bridge/interface-down", test_interface_down);
  g_test_add_func ("/bridge/start-stop", test_start_stop);
  g_test_add_func ("/bridge/run-async", test_run_async);
  g_test_add_func ("/bridge/endpoints", test_endpoints);
  g_test_add_func ("/bridge/xdp-endpoints", test_xdp_endpoints);
  return g_test_run ();
}
