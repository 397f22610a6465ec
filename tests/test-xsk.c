/* test-xsk.c: the AF_XDP kernel floor (nr-xsk) on real veth pairs in a
 * private network namespace, native and generic attach modes.
 *
 * Reception: frames sent by the fixture's plain AF_PACKET socket on veth->a
 * arrive on an AF_XDP socket on veth->b with no XDP program loaded by the
 * test (the library gets libxdp's redirect program in place) and are
 * checked byte for byte, each exactly once. Sending: frames sent by the
 * AF_XDP socket are counted and checked by a plain AF_PACKET socket on
 * veth->a. The sender never runs more than a window ahead of the receiver,
 * so nothing is dropped for lack of room, and every wait is a poll() on
 * the receiving descriptor (with a hang guard). */
#define _GNU_SOURCE
#include "config.h"

#include "nr-test-net.h"
#include "nr-xdp-prog.h"
#include "nr-xsk.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/magic.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define HANG_GUARD_MS 5000
/* Frames in flight between sender and receiver: below the veth NAPI ring
 * (256) and the backlog (1000), and below every pool used here. */
#define WINDOW 128u

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* ---- helpers ------------------------------------------------------------- */

static const char *
failure_kind_name (NrXskFailureKind kind)
{
  static const char *const names[] = {
    "none", "invalid", "permission", "no-interface", "no-xdp", "queue-range", "queue-busy",
    "program-refused", "program-conflict", "attach-mode", "zerocopy", "resources", "system",
  };
  return kind < G_N_ELEMENTS (names) ? names[kind] : "?";
}

static NrXsk *
open_or_fail (const char *ifname, guint32 queue_id, const NrXskConfig *config)
{
  NrXskFailure failure;
  NrXsk *xsk = NULL;
  int err;

  err = nr_xsk_open (ifname, queue_id, config, &xsk, &failure);
  if (err != 0)
    g_error ("nr_xsk_open (%s, queue %u) failed in %s: %s (%s) [%s]", ifname, queue_id,
             failure.operation, g_strerror (-err), failure_kind_name (failure.kind),
             failure.detail);
  g_assert_nonnull (xsk);
  return xsk;
}

static void
wait_fd (int fd, short events, const char *what)
{
  struct pollfd pfd = { fd, events, 0 };
  int r;

  do
    r = poll (&pfd, 1, HANG_GUARD_MS);
  while (r < 0 && errno == EINTR);
  if (r != 1)
    g_error ("nothing %s within %d ms", what, HANG_GUARD_MS);
}

static NrXdpProgInfo
query_program (int ifindex)
{
  NrXdpProgInfo info;

  nr_xdp_prog_lock ();
  g_assert_cmpint (nr_xdp_prog_query (ifindex, &info), ==, 0);
  nr_xdp_prog_unlock ();
  return info;
}

/* No XDP program on @ifname, as bpf_xdp_query and `ip link show` see it. */
static void
assert_no_program (const char *ifname)
{
  g_autofree char *out = NULL;
  const char *argv[] = { "ip", "-details", "link", "show", "dev", ifname, NULL };
  NrXdpProgInfo info = query_program ((int) if_nametoindex (ifname));
  int status;

  g_assert_cmpuint (info.prog_id, ==, 0);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               NULL, &status, NULL));
  g_assert_null (strstr (out, "xdp"));
}

/* Takes what the socket has received, checks it, gives the frames back. */
static guint
drain_xsk (NrXsk *xsk, NrTestTally *t)
{
  NrXskRings *rings = nr_xsk_rings (xsk);
  struct xdp_desc descs[256];
  guint n, i;

  n = nr_xsk_rings_rx_take (rings, descs, G_N_ELEMENTS (descs));
  for (i = 0; i < n; i++)
    nr_test_tally_frame (t, nr_xsk_rings_data (rings, descs[i].addr), descs[i].len);
  nr_xsk_rings_rx_release (rings, descs, n);
  g_assert_cmpint (nr_xsk_rx_wakeup (xsk), ==, 0);
  return n;
}

static void
send_test_frame (int fd, guint8 *frame, guint32 seq, gsize length, const NrTestVeth *veth)
{
  nr_test_frame_fill (frame, length, seq, veth->mac_a, veth->mac_b);
  nr_test_sender_send (fd, frame, length);
}

/* Sends @count frames from veth->a and receives them on @xsk (on veth->b),
 * a window at a time. */
static void
rx_stream (const NrTestVeth *veth, NrXsk *xsk, guint32 count, gsize length)
{
  g_autofree guint8 *frame = g_malloc (MAX (length, 64));
  guint32 window = MIN (WINDOW, nr_xsk_info (xsk)->rx_frames / 2);
  int fd = nr_test_sender_open (veth);
  guint32 sent = 0;
  NrXskStats stats;
  NrTestTally t;

  nr_test_tally_init (&t, count, length, veth->mac_a, veth->mac_b);
  while (sent < count)
    {
      guint32 k = MIN (window, count - sent), i;

      for (i = 0; i < k; i++)
        send_test_frame (fd, frame, sent + i, length, veth);
      sent += k;
      while (t.received < sent)
        if (drain_xsk (xsk, &t) == 0)
          wait_fd (nr_xsk_fd (xsk), POLLIN, "received on the AF_XDP socket");
    }
  send_test_frame (fd, frame, count, 64, veth);
  while (!t.marker_seen)
    if (drain_xsk (xsk, &t) == 0)
      wait_fd (nr_xsk_fd (xsk), POLLIN, "received on the AF_XDP socket (end marker)");
  close (fd);

  g_assert_cmpuint (t.received, ==, count);
  g_assert_cmpint (nr_xsk_get_stats (xsk, &stats), ==, 0);
  g_assert_cmpuint (stats.rx_dropped, ==, 0);
  g_assert_cmpuint (stats.rx_invalid_descs, ==, 0);
  g_assert_cmpuint (stats.rx_ring_full, ==, 0);
  g_assert_cmpuint (stats.counters.rx_refused, ==, 0);
  g_assert_cmpuint (stats.counters.bad_returns, ==, 0);
  g_assert_cmpuint (stats.counters.rx_frames, >=, (guint64) count + 1);
  nr_test_tally_clear (&t);
}

/* A plain AF_PACKET receiver on veth->a for what the AF_XDP socket sends:
 * it ignores what veth->a sends itself. */
static int
peer_open (const NrTestVeth *veth)
{
  struct sockaddr_ll addr = { 0 };
  int fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int size = 16 << 20, one = 1;

  g_assert_cmpint (fd, >=, 0);
  g_assert_no_errno (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size));
  g_assert_no_errno (setsockopt (fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one));
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons (ETH_P_ALL);
  addr.sll_ifindex = veth->ifindex_a;
  g_assert_no_errno (bind (fd, (struct sockaddr *) &addr, sizeof addr));
  return fd;
}

/* Receives what is there on the peer; frames of length @t2_length (if a
 * second tally is given) go to @t2. */
static guint
peer_drain (int fd, NrTestTally *t, NrTestTally *t2)
{
  static guint8 buf[65536];
  guint n = 0;

  for (;;)
    {
      ssize_t len = recv (fd, buf, sizeof buf, MSG_DONTWAIT);

      if (len < 0)
        {
          g_assert_true (errno == EAGAIN || errno == EINTR);
          if (errno == EAGAIN)
            return n;
          continue;
        }
      if (len < 18 || buf[12] != (NR_TEST_ETHERTYPE >> 8) || buf[13] != (NR_TEST_ETHERTYPE & 0xff))
        continue;
      if (t2 != NULL && (gsize) len == t2->length)
        nr_test_tally_frame (t2, buf, (gsize) len);
      else
        nr_test_tally_frame (t, buf, (gsize) len);
      n++;
    }
}

/* Queues one test frame on @xsk's TX ring (reserving a frame, kicking and
 * waiting for room when the pool is empty). */
static void
xsk_queue_frame (NrXsk *xsk, guint32 seq, gsize length, const NrTestVeth *veth)
{
  NrXskRings *rings = nr_xsk_rings (xsk);
  guint64 addr;
  guint8 *data;

  while ((data = nr_xsk_rings_tx_reserve (rings, &addr)) == NULL)
    {
      if (nr_xsk_tx_kick (xsk) == -EAGAIN)
        wait_fd (nr_xsk_fd (xsk), POLLOUT, "writable on the AF_XDP socket");
    }
  nr_test_frame_fill (data, length, seq, veth->mac_b, veth->mac_a);
  g_assert_cmpint (nr_xsk_rings_tx_submit (rings, addr, (guint32) length), ==, 0);
}

/* Kicks until the kernel took every descriptor (F17). */
static void
xsk_flush (NrXsk *xsk)
{
  int err;

  while ((err = nr_xsk_tx_kick (xsk)) == -EAGAIN)
    wait_fd (nr_xsk_fd (xsk), POLLOUT, "writable on the AF_XDP socket");
  g_assert_cmpint (err, ==, 0);
  g_assert_cmpuint (nr_xsk_rings_tx_unconsumed (nr_xsk_rings (xsk)), ==, 0);
}

static void
tx_stream (const NrTestVeth *veth, NrXsk *xsk, guint32 count, gsize length)
{
  guint32 window = MIN (WINDOW, nr_xsk_info (xsk)->tx_frames);
  int peer = peer_open (veth);
  guint32 sent = 0;
  NrXskStats stats;
  NrTestTally t;

  nr_test_tally_init (&t, count, length, veth->mac_b, veth->mac_a);
  while (sent < count)
    {
      guint32 k = MIN (window, count - sent), i;

      for (i = 0; i < k; i++)
        xsk_queue_frame (xsk, sent + i, length, veth);
      if (sent + k == count)
        xsk_queue_frame (xsk, count, 64, veth); /* end marker */
      xsk_flush (xsk);
      sent += k;
      while (t.received < sent || (sent == count && !t.marker_seen))
        if (peer_drain (peer, &t, NULL) == 0)
          wait_fd (peer, POLLIN, "received on the peer");
    }
  close (peer);

  g_assert_cmpuint (t.received, ==, count);
  nr_xsk_rings_tx_reap (nr_xsk_rings (xsk));
  g_assert_cmpint (nr_xsk_get_stats (xsk, &stats), ==, 0);
  g_assert_cmpuint (stats.tx_invalid_descs, ==, 0);
  g_assert_cmpuint (stats.counters.tx_rejected, ==, 0);
  g_assert_cmpuint (stats.counters.tx_device_dropped, ==, 0);
  g_assert_cmpuint (stats.counters.tx_submitted, ==, (guint64) count + 1);
  g_assert_cmpuint (stats.counters.tx_completed, ==, (guint64) count + 1);
  g_assert_cmpuint (stats.counters.bad_returns, ==, 0);
  nr_test_tally_clear (&t);
}

static NrXskAttach
attach_from_name (const char *name)
{
  return g_str_equal (name, "native") ? NR_XSK_ATTACH_NATIVE : NR_XSK_ATTACH_GENERIC;
}

static NrXdpAttachMode
mode_from_attach (NrXskAttach attach)
{
  return attach == NR_XSK_ATTACH_NATIVE ? NR_XDP_ATTACHED_NATIVE : NR_XDP_ATTACHED_GENERIC;
}

/* ---- reception ------------------------------------------------------------ */

typedef struct {
  const char *attach;
  guint32 count;
  gsize length;
} RxCase;

static void
test_rx (gconstpointer data)
{
  const RxCase *c = data;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NrXskConfig config;
  const NrXskInfo *info;
  NrXsk *xsk;

  nr_xsk_config_init (&config);
  config.mode = NR_XSK_MODE_RX;
  config.frame_size = 2048;
  config.frame_count = 1024;
  config.attach = attach_from_name (c->attach);
  assert_no_program (veth->b);

  xsk = open_or_fail (veth->b, 0, &config);
  info = nr_xsk_info (xsk);
  g_assert_cmpint (info->attach_mode, ==, mode_from_attach (config.attach));
  g_assert_false (info->zerocopy); /* veth: copy mode */
  g_assert_cmpint (info->program, ==, NR_XSK_PROGRAM_STATE_LOADED);
  g_assert_cmpuint (info->prog_id, ==, query_program (veth->ifindex_b).prog_id);
  g_assert_cmpuint (info->rx_frames, ==, 1024);
  g_assert_cmpuint (info->tx_frames, ==, 0);
  g_assert_true (fcntl (nr_xsk_fd (xsk), F_GETFD) & FD_CLOEXEC);

  rx_stream (veth, xsk, c->count, c->length);

  nr_xsk_close (xsk);
  assert_no_program (veth->b);
}

/* ---- sending ---------------------------------------------------------------- */

typedef struct {
  NrXskMode mode;
  const char *attach;
  guint32 count;
  gsize length;
} TxCase;

static void
test_tx (gconstpointer data)
{
  const TxCase *c = data;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NrXskConfig config;
  NrXsk *xsk;

  nr_xsk_config_init (&config);
  config.mode = c->mode;
  config.frame_size = 2048;
  config.frame_count = 1024;
  config.attach = attach_from_name (c->attach);
  xsk = open_or_fail (veth->b, 0, &config);
  g_assert_false (nr_xsk_info (xsk)->zerocopy);
  if (c->mode == NR_XSK_MODE_TX)
    {
      /* Sending needs no program. */
      g_assert_cmpint (nr_xsk_info (xsk)->program, ==, NR_XSK_PROGRAM_STATE_NONE);
      assert_no_program (veth->b);
    }
  tx_stream (veth, xsk, c->count, c->length);
  nr_xsk_close (xsk);
  assert_no_program (veth->b);
}

/* Copy mode sends at most 32 frames per sendto() and says EAGAIN: one
 * kick still gets 500 queued frames out (F17). */
static void
test_tx_kick_batch (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NrXskConfig config;
  NrXsk *xsk;
  int peer = peer_open (veth);
  guint32 i;
  NrTestTally t;

  nr_xsk_config_init (&config);
  config.mode = NR_XSK_MODE_TX;
  config.frame_size = 2048;
  config.frame_count = 512;
  xsk = open_or_fail (veth->b, 0, &config);
  g_assert_false (nr_xsk_info (xsk)->zerocopy);

  nr_test_tally_init (&t, 500, 60, veth->mac_b, veth->mac_a);
  for (i = 0; i < 500; i++)
    xsk_queue_frame (xsk, i, 60, veth);
  g_assert_cmpuint (nr_xsk_rings_tx_unconsumed (nr_xsk_rings (xsk)), ==, 500);
  g_assert_cmpint (nr_xsk_tx_kick (xsk), ==, 0);
  g_assert_cmpuint (nr_xsk_rings_tx_unconsumed (nr_xsk_rings (xsk)), ==, 0);
  while (t.received < 500)
    if (peer_drain (peer, &t, NULL) == 0)
      wait_fd (peer, POLLIN, "received on the peer");
  nr_xsk_rings_tx_reap (nr_xsk_rings (xsk));
  g_assert_cmpuint (nr_xsk_rings (xsk)->counters.tx_completed, ==, 500);
  g_assert_cmpuint (nr_xsk_rings_tx_free (nr_xsk_rings (xsk)), ==, 512);
  nr_test_tally_clear (&t);
  close (peer);
  nr_xsk_close (xsk);
}

/* One rx-tx socket, both directions at once, full-size frames:
 *  - the peer sends frames of the largest size a chunk receives
 *    (2048 - 256), the socket checks them and sends half of them back out
 *    in place (from the address the kernel received them at: the F10 case,
 *    they come back to the fill ring as chunk bases) and releases the rest;
 *  - the socket also sends frames of the whole chunk (2048 bytes) from its
 *    TX pool, so recycled TX addresses carry full frames;
 *  - once per round it holds every RX frame (the fill ring runs empty) and
 *    still gets its TX frames out (F11), and the held frames are unchanged
 *    afterwards (nobody wrote into a neighbour).
 * Everything the peer receives is checked byte for byte. */
static void
test_rx_tx_full_size (gconstpointer data)
{
  const char *attach = data;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  const guint32 rx_payload = 2048 - NR_XSK_RX_HEADROOM;
  const guint32 rounds = 60, per_round = 64;
  g_autofree guint8 *frame = g_malloc (2048);
  NrXskConfig config;
  NrXskStats stats;
  NrXskRings *rings;
  NrXsk *xsk;
  NrTestTally rx_seen, fwd_seen, tx_seen;
  guint32 round;
  int sender, peer;

  nr_test_ip ("link", "set", veth->a, "mtu", "2034", NULL);
  nr_test_ip ("link", "set", veth->b, "mtu", "2034", NULL);
  nr_xsk_config_init (&config);
  config.mode = NR_XSK_MODE_RX_TX;
  config.frame_size = 2048;
  config.frame_count = 2 * per_round;
  config.attach = attach_from_name (attach);
  xsk = open_or_fail (veth->b, 0, &config);
  rings = nr_xsk_rings (xsk);
  g_assert_cmpuint (nr_xsk_info (xsk)->rx_frames, ==, per_round);
  g_assert_cmpuint (nr_xsk_info (xsk)->tx_frames, ==, per_round);

  sender = nr_test_sender_open (veth);
  peer = peer_open (veth);
  nr_test_tally_init (&rx_seen, rounds * per_round, rx_payload, veth->mac_a, veth->mac_b);
  nr_test_tally_init (&fwd_seen, rounds * per_round, rx_payload, veth->mac_a, veth->mac_b);
  nr_test_tally_init (&tx_seen, rounds * per_round, 2048, veth->mac_b, veth->mac_a);

  for (round = 0; round < rounds; round++)
    {
      struct xdp_desc held[256];
      g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func (g_free);
      guint32 n_held = 0, i, forwarded = 0;

      /* Exactly as many as the RX pool holds: all of them get held. */
      for (i = 0; i < per_round; i++)
        {
          nr_test_frame_fill (frame, rx_payload, round * per_round + i, veth->mac_a, veth->mac_b);
          nr_test_sender_send (sender, frame, rx_payload);
        }
      while (n_held < per_round)
        {
          guint n = nr_xsk_rings_rx_take (rings, held + n_held, G_N_ELEMENTS (held) - n_held);
          if (n == 0)
            {
              wait_fd (nr_xsk_fd (xsk), POLLIN, "received on the AF_XDP socket");
              continue;
            }
          for (i = n_held; i < n_held + n; i++)
            {
              const guint8 *p = nr_xsk_rings_data (rings, held[i].addr);
              nr_test_tally_frame (&rx_seen, p, held[i].len);
              g_ptr_array_add (copies, g_memdup2 (p, held[i].len));
            }
          n_held += n;
        }
      g_assert_cmpuint (nr_xsk_rings_rx_ready (rings), ==, 0);

      /* Every RX frame is held; the TX pool is untouched (F11). */
      for (i = 0; i < per_round; i++)
        xsk_queue_frame (xsk, round * per_round + i, 2048, veth);
      xsk_flush (xsk);
      while (tx_seen.received < (round + 1) * per_round)
        if (peer_drain (peer, &tx_seen, &fwd_seen) == 0)
          wait_fd (peer, POLLIN, "received on the peer");

      /* Nothing written into the held frames meanwhile. */
      for (i = 0; i < n_held; i++)
        g_assert_cmpmem (nr_xsk_rings_data (rings, held[i].addr), held[i].len,
                         copies->pdata[i], held[i].len);

      /* Half forwarded in place, half released. */
      for (i = 0; i < n_held; i++)
        {
          if (i % 2 == 0)
            {
              g_assert_cmpint (nr_xsk_rings_tx_submit (rings, held[i].addr, held[i].len), ==, 0);
              forwarded++;
            }
          else
            nr_xsk_rings_rx_release (rings, &held[i], 1);
        }
      xsk_flush (xsk);
      while (fwd_seen.received < round * (per_round / 2) + forwarded)
        if (peer_drain (peer, &tx_seen, &fwd_seen) == 0)
          wait_fd (peer, POLLIN, "forwarded frames on the peer");
      /* Completed forwarded frames are back in the fill ring for the next
       * round. */
      nr_xsk_rings_tx_reap (rings);
    }

  g_assert_cmpuint (rx_seen.received, ==, rounds * per_round);
  g_assert_cmpuint (tx_seen.received, ==, rounds * per_round);
  g_assert_cmpuint (fwd_seen.received, ==, rounds * per_round / 2);
  g_assert_cmpint (nr_xsk_get_stats (xsk, &stats), ==, 0);
  g_assert_cmpuint (stats.rx_dropped, ==, 0);
  g_assert_cmpuint (stats.tx_invalid_descs, ==, 0);
  g_assert_cmpuint (stats.counters.tx_rejected, ==, 0);
  g_assert_cmpuint (stats.counters.tx_device_dropped, ==, 0);
  g_assert_cmpuint (stats.counters.bad_returns, ==, 0);
  g_assert_cmpuint (stats.counters.tx_completed, ==, rounds * per_round * 3 / 2);
  g_assert_cmpuint (nr_xsk_rings_tx_free (rings), ==, per_round);

  nr_test_tally_clear (&rx_seen);
  nr_test_tally_clear (&fwd_seen);
  nr_test_tally_clear (&tx_seen);
  close (sender);
  close (peer);
  nr_xsk_close (xsk);
  assert_no_program (veth->b);
}

/* ---- programs ----------------------------------------------------------------- */

/* A program someone else attached stays, the open says whose it is, and a
 * TX-only socket (which needs no program) works beside it. */
static void
test_foreign_program_left_alone (gconstpointer data)
{
  const char *attach = data;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  int prog_fd = nr_test_xdp_load_pass ();
  guint32 prog_id = nr_test_xdp_prog_id (prog_fd);
  NrXskConfig config;
  NrXskFailure failure;
  NrXsk *xsk = NULL;
  NrXdpProgInfo info;
  int err;

  nr_test_xdp_attach (veth->ifindex_b, prog_fd, g_str_equal (attach, "native"));
  nr_xsk_config_init (&config);
  config.frame_size = 2048;
  config.frame_count = 256;

  config.mode = NR_XSK_MODE_RX;
  err = nr_xsk_open (veth->b, 0, &config, &xsk, &failure);
  g_assert_cmpint (err, ==, -EBUSY);
  g_assert_null (xsk);
  g_assert_cmpint (failure.kind, ==, NR_XSK_FAILURE_PROGRAM_CONFLICT);
  g_assert_cmpuint (failure.prog_id, ==, prog_id);
  g_assert_cmpstr (failure.prog_name, ==, "nrtest_other");
  g_assert_cmpint (failure.prog_mode, ==, g_str_equal (attach, "native") ? NR_XDP_ATTACHED_NATIVE
                                                                          : NR_XDP_ATTACHED_GENERIC);
  info = query_program (veth->ifindex_b);
  g_assert_cmpuint (info.prog_id, ==, prog_id);

  /* In the other explicit mode too: the kernel refuses both at once. */
  config.attach = g_str_equal (attach, "native") ? NR_XSK_ATTACH_GENERIC : NR_XSK_ATTACH_NATIVE;
  err = nr_xsk_open (veth->b, 0, &config, &xsk, &failure);
  g_assert_cmpint (err, ==, -EBUSY);
  g_assert_cmpint (failure.kind, ==, NR_XSK_FAILURE_PROGRAM_CONFLICT);
  g_assert_cmpuint (query_program (veth->ifindex_b).prog_id, ==, prog_id);

  config.mode = NR_XSK_MODE_TX;
  config.attach = NR_XSK_ATTACH_AUTO;
  xsk = open_or_fail (veth->b, 0, &config);
  tx_stream (veth, xsk, 1000, 100);
  nr_xsk_close (xsk);

  info = query_program (veth->ifindex_b);
  g_assert_cmpuint (info.prog_id, ==, prog_id);
  g_assert_cmpint (info.mode, ==, g_str_equal (attach, "native") ? NR_XDP_ATTACHED_NATIVE
                                                                 : NR_XDP_ATTACHED_GENERIC);
  close (prog_fd);
}

/* Coexisting with somebody else's redirect program: no program of ours,
 * the socket goes into their XSKMAP. Their program stays after close. */
static void
test_foreign_redirect_coexists (gconstpointer data)
{
  const char *attach = data;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  int map_fd = bpf_map_create (BPF_MAP_TYPE_XSKMAP, "nrtest_xsks", 4, 4, 4, NULL);
  int prog_fd, err;
  guint32 prog_id;
  NrXskConfig config;
  NrXsk *xsk;

  g_assert_cmpint (map_fd, >=, 0);
  prog_fd = nr_test_xdp_load_redirect (map_fd);
  prog_id = nr_test_xdp_prog_id (prog_fd);
  nr_test_xdp_attach (veth->ifindex_b, prog_fd, g_str_equal (attach, "native"));

  nr_xsk_config_init (&config);
  config.mode = NR_XSK_MODE_RX;
  config.frame_size = 2048;
  config.frame_count = 512;
  config.program = NR_XSK_PROGRAM_NONE;
  xsk = open_or_fail (veth->b, 0, &config);
  g_assert_cmpint (nr_xsk_info (xsk)->program, ==, NR_XSK_PROGRAM_STATE_NONE);
  err = nr_xsk_map_insert (xsk, map_fd);
  g_assert_cmpint (err, ==, 0);
  rx_stream (veth, xsk, 1000, 200);
  nr_xsk_close (xsk);

  g_assert_cmpuint (query_program (veth->ifindex_b).prog_id, ==, prog_id);
  close (prog_fd);
  close (map_fd);
}

/* ---- every queue ---------------------------------------------------------------- */

/* Sockets on every queue of a 4-queue veth together receive every frame
 * once. The peer sends UDP flows with different ports, so its TX queue
 * (which is the RX queue on veth) differs per flow. The sockets share
 * one redirect program, which goes when the last one closes. */
static void
test_every_queue (gconstpointer data)
{
  const char *attach = data;
  const guint queues = 4, count = 20000, length = 200;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new_multiqueue (queues);
  g_autofree guint8 *frame = g_malloc (length);
  g_autofree guint8 *seen = g_new0 (guint8, count);
  guint per_queue[4] = { 0 };
  guint32 rx_queues, tx_queues, sent = 0, received = 0;
  guint32 prog_id = 0;
  NrXskConfig config;
  NrXsk *xsk[4];
  struct pollfd pfd[4];
  int sender;
  guint q, used = 0;

  g_assert_cmpint (nr_xsk_queue_count (veth->b, &rx_queues, &tx_queues), ==, 0);
  g_assert_cmpuint (rx_queues, ==, queues);
  g_assert_cmpuint (tx_queues, ==, queues);

  nr_xsk_config_init (&config);
  config.mode = NR_XSK_MODE_RX;
  config.frame_size = 2048;
  config.frame_count = 1024;
  config.attach = attach_from_name (attach);
  for (q = 0; q < queues; q++)
    {
      xsk[q] = open_or_fail (veth->b, q, &config);
      pfd[q] = (struct pollfd){ nr_xsk_fd (xsk[q]), POLLIN, 0 };
      g_assert_cmpint (nr_xsk_info (xsk[q])->program, ==,
                       q == 0 ? NR_XSK_PROGRAM_STATE_LOADED : NR_XSK_PROGRAM_STATE_SHARED);
      if (q == 0)
        prog_id = nr_xsk_info (xsk[q])->prog_id;
      g_assert_cmpuint (nr_xsk_info (xsk[q])->prog_id, ==, prog_id);
      g_assert_cmpint (nr_xsk_info (xsk[q])->attach_mode, ==, mode_from_attach (config.attach));
    }

  sender = nr_test_sender_open (veth);
  while (received < count)
    {
      if (sent < count && sent - received < WINDOW)
        {
          guint32 k = MIN (WINDOW - (sent - received), count - sent), i;
          for (i = 0; i < k; i++, sent++)
            {
              nr_test_udp_frame_fill (frame, length, sent, 0x0a000001, 0x0a000002,
                                      (guint16) (1024 + sent % 64), 9, veth->mac_a, veth->mac_b);
              nr_test_sender_send (sender, frame, length);
            }
        }
      for (q = 0; q < queues; q++)
        {
          NrXskRings *rings = nr_xsk_rings (xsk[q]);
          struct xdp_desc descs[256];
          guint n = nr_xsk_rings_rx_take (rings, descs, G_N_ELEMENTS (descs)), i;

          for (i = 0; i < n; i++)
            {
              const guint8 *p = nr_xsk_rings_data (rings, descs[i].addr);
              guint32 seq = nr_test_udp_frame_seq (p);
              g_autofree guint8 *expected = g_malloc (length);

              g_assert_cmpuint (descs[i].len, ==, length);
              g_assert_cmpuint (seq, <, count);
              nr_test_udp_frame_fill (expected, length, seq, 0x0a000001, 0x0a000002,
                                      (guint16) (1024 + seq % 64), 9, veth->mac_a, veth->mac_b);
              g_assert_cmpmem (p, length, expected, length);
              if (seen[seq])
                g_error ("frame %u arrived twice", seq);
              seen[seq] = 1;
              per_queue[q]++;
              received++;
            }
          nr_xsk_rings_rx_release (rings, descs, n);
        }
      if (sent - received >= WINDOW || sent == count)
        {
          int r;
          if (received == count)
            break;
          /* Only when nothing is ready anywhere: poll them all. */
          for (q = 0; q < queues; q++)
            if (nr_xsk_rings_rx_ready (nr_xsk_rings (xsk[q])) > 0)
              break;
          if (q < queues)
            continue;
          do
            r = poll (pfd, queues, HANG_GUARD_MS);
          while (r < 0 && errno == EINTR);
          if (r <= 0)
            g_error ("nothing received on any queue within %d ms (%u of %u)", HANG_GUARD_MS,
                     received, count);
        }
    }
  close (sender);

  for (q = 0; q < queues; q++)
    {
      g_test_message ("queue %u: %u frames", q, per_queue[q]);
      if (per_queue[q] > 0)
        used++;
    }
  g_assert_cmpuint (received, ==, count);
  /* The flows spread: not everything on one queue. */
  g_assert_cmpuint (used, >=, 2);

  for (q = 0; q < queues; q++)
    {
      NrXskStats stats;
      g_assert_cmpint (nr_xsk_get_stats (xsk[q], &stats), ==, 0);
      g_assert_cmpuint (stats.rx_dropped, ==, 0);
      nr_xsk_close (xsk[q]);
      if (q + 1 < queues)
        g_assert_cmpuint (query_program (veth->ifindex_b).xsk_prog_id, ==, prog_id);
    }
  assert_no_program (veth->b);
}

/* The redirect program in place runs in one mode: an explicit request for
 * the other mode is refused, auto joins it. */
static void
test_attach_mode_conflict (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new_multiqueue (2);
  NrXskConfig config;
  NrXskFailure failure;
  NrXsk *first, *second = NULL;
  int err;

  nr_xsk_config_init (&config);
  config.mode = NR_XSK_MODE_RX;
  config.frame_size = 2048;
  config.frame_count = 256;
  config.attach = NR_XSK_ATTACH_NATIVE;
  first = open_or_fail (veth->b, 0, &config);

  config.attach = NR_XSK_ATTACH_GENERIC;
  err = nr_xsk_open (veth->b, 1, &config, &second, &failure);
  g_assert_cmpint (err, ==, -EBUSY);
  g_assert_cmpint (failure.kind, ==, NR_XSK_FAILURE_ATTACH_MODE);
  g_assert_cmpint (failure.prog_mode, ==, NR_XDP_ATTACHED_NATIVE);
  g_assert_cmpuint (failure.prog_id, ==, nr_xsk_info (first)->prog_id);

  config.attach = NR_XSK_ATTACH_AUTO;
  second = open_or_fail (veth->b, 1, &config);
  g_assert_cmpint (nr_xsk_info (second)->program, ==, NR_XSK_PROGRAM_STATE_SHARED);
  g_assert_cmpint (nr_xsk_info (second)->attach_mode, ==, NR_XDP_ATTACHED_NATIVE);

  nr_xsk_close (first);
  g_assert_cmpuint (query_program (veth->ifindex_b).xsk_prog_id, ==, nr_xsk_info (second)->prog_id);
  nr_xsk_close (second);
  assert_no_program (veth->b);
}

/* ---- errors ------------------------------------------------------------------------ */

static int
open_expect_failure (const char *ifname, guint32 queue_id, const NrXskConfig *config,
                     NrXskFailureKind kind, NrXskFailure *failure)
{
  NrXsk *xsk = NULL;
  int err = nr_xsk_open (ifname, queue_id, config, &xsk, failure);

  g_test_message ("%s queue %u: %s in %s (%s)", ifname, queue_id, g_strerror (-err),
                  failure->operation, failure_kind_name (failure->kind));
  g_assert_cmpint (err, <, 0);
  g_assert_null (xsk);
  g_assert_cmpstr (failure_kind_name (failure->kind), ==, failure_kind_name (kind));
  g_assert_nonnull (failure->operation);
  return err;
}

static void
test_errors (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NrXskConfig config;
  NrXskFailure failure;
  NrXsk *xsk;
  gint64 start;

  nr_xsk_config_init (&config);
  config.frame_size = 2048;
  config.frame_count = 256;

  g_assert_cmpint (open_expect_failure ("nrtnosuch0", 0, &config, NR_XSK_FAILURE_NO_INTERFACE,
                                        &failure), ==, -ENODEV);

  g_assert_cmpint (open_expect_failure (veth->b, 3, &config, NR_XSK_FAILURE_QUEUE_RANGE,
                                        &failure), ==, -EINVAL);
  g_assert_cmpuint (failure.rx_queues, ==, 1);
  g_assert_cmpuint (failure.tx_queues, ==, 1);

  config.frame_size = 3000;
  open_expect_failure (veth->b, 0, &config, NR_XSK_FAILURE_INVALID, &failure);
  g_assert_cmpstr (failure.operation, ==, "frame-size");
  config.frame_size = 2048;

  /* veth has no zero-copy. */
  config.bind = NR_XSK_BIND_ZEROCOPY;
  open_expect_failure (veth->b, 0, &config, NR_XSK_FAILURE_ZEROCOPY, &failure);
  config.bind = NR_XSK_BIND_COPY;
  xsk = open_or_fail (veth->b, 0, &config);
  g_assert_false (nr_xsk_info (xsk)->zerocopy);
  g_assert_cmpint (nr_xsk_set_busy_poll (xsk, 20, 64), ==, 0);

  /* The queue is taken: refused after the wait for a deferred release. */
  start = g_get_monotonic_time ();
  g_assert_cmpint (open_expect_failure (veth->b, 0, &config, NR_XSK_FAILURE_QUEUE_BUSY, &failure),
                   ==, -EBUSY);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, (NR_XSK_BUSY_WAIT_MS - 50) * 1000);
  nr_xsk_close (xsk);
  /* And free again right after close (the wait covers the deferred release). */
  xsk = open_or_fail (veth->b, 0, &config);
  nr_xsk_close (xsk);
  assert_no_program (veth->b);

  /* Loopback has no native XDP; auto falls back to generic. */
  config.bind = NR_XSK_BIND_AUTO;
  config.attach = NR_XSK_ATTACH_NATIVE;
  open_expect_failure ("lo", 0, &config, NR_XSK_FAILURE_NO_XDP, &failure);
  assert_no_program ("lo");
  config.attach = NR_XSK_ATTACH_AUTO;
  xsk = open_or_fail ("lo", 0, &config);
  g_assert_cmpint (nr_xsk_info (xsk)->attach_mode, ==, NR_XDP_ATTACHED_GENERIC);
  nr_xsk_close (xsk);
  assert_no_program ("lo");
}

static void
test_queue_count (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NrTestVeth) veth8 = nr_test_veth_new_multiqueue (8);
  guint32 rx = 0, tx = 0;

  g_assert_cmpint (nr_xsk_queue_count (veth->b, &rx, &tx), ==, 0);
  g_assert_cmpuint (rx, ==, 1);
  g_assert_cmpuint (tx, ==, 1);
  g_assert_cmpint (nr_xsk_queue_count (veth8->a, &rx, &tx), ==, 0);
  g_assert_cmpuint (rx, ==, 8);
  g_assert_cmpuint (tx, ==, 8);
  /* No ETHTOOL_GCHANNELS on loopback: the device's own counts. */
  g_assert_cmpint (nr_xsk_queue_count ("lo", &rx, &tx), ==, 0);
  g_assert_cmpuint (rx, ==, 1);
  g_assert_cmpuint (tx, ==, 1);
  g_assert_cmpint (nr_xsk_queue_count ("nrtnosuch0", &rx, &tx), ==, -ENODEV);
}

/* ---- bpffs mounted or not ---------------------------------------------------------- */

static gboolean
bpffs_mounted (void)
{
  struct statfs st;
  return statfs ("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* In a child process with a private mount namespace (libxdp decides once
 * per process where its state lives): bpffs mounted or not, a socket gets
 * its program, receives, and leaves nothing behind. */
static void
test_bpffs (gconstpointer data)
{
  gboolean mounted = GPOINTER_TO_INT (data);

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  if (unshare (CLONE_NEWNS) != 0)
    {
      g_test_skip ("no private mount namespace");
      return;
    }
  g_assert_no_errno (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
  if (mounted && !bpffs_mounted ())
    g_assert_no_errno (mount ("bpf", "/sys/fs/bpf", "bpf", 0, NULL));
  while (!mounted && bpffs_mounted ())
    g_assert_no_errno (umount2 ("/sys/fs/bpf", MNT_DETACH));
  g_assert_cmpint (bpffs_mounted (), ==, mounted);

  {
    g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
    NrXskConfig config;
    NrXsk *xsk;

    nr_xsk_config_init (&config);
    config.mode = NR_XSK_MODE_RX;
    config.frame_size = 2048;
    config.frame_count = 512;
    config.attach = NR_XSK_ATTACH_NATIVE;
    xsk = open_or_fail (veth->b, 0, &config);
    rx_stream (veth, xsk, 1000, 300);
    nr_xsk_close (xsk);
    assert_no_program (veth->b);
  }

  if (mounted)
    {
      /* Nothing pinned for us is left behind. */
      g_autoptr(GDir) dir = g_dir_open ("/sys/fs/bpf/xdp", 0, NULL);
      const char *name;
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        g_assert_false (g_str_has_prefix (name, "dispatch-"));
    }
}

/* ---- shutdown with frames held ------------------------------------------------ */

static gpointer
release_thread (gpointer data)
{
  NrXsk *xsk = data;
  NrXskRings *rings = nr_xsk_rings (xsk);
  guint32 n = nr_xsk_rings_rx_held (rings);
  guint32 i;

  /* the test knows which: frames were taken at the bottom of the pool
   * first, but any address inside the chunk is accepted */
  for (i = 0; i < nr_xsk_info (xsk)->rx_frames && n > 0; i++)
    if (rings->state[i] == NR_XSK_FRAME_RX_HELD)
      {
        nr_xsk_rings_rx_release_addr (rings, (guint64) i * 2048 + 100);
        n--;
      }
  return NULL;
}

/* Shutting the socket down with received frames still held: the queue and
 * the program are given back at once (another socket binds the queue, no
 * program is left), the held frames stay readable byte for byte, and they
 * can still be released, from another thread, before the UMEM goes. */
static void
test_shutdown_held (gconstpointer data)
{
  const char *attach = data;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autofree guint8 *frame = g_malloc (1500);
  struct xdp_desc held[64];
  NrXskConfig config;
  NrXskRings *rings;
  NrXsk *xsk, *next;
  GThread *thread;
  guint n = 0, i;
  int fd;

  nr_xsk_config_init (&config);
  config.mode = NR_XSK_MODE_RX;
  config.frame_size = 2048;
  config.frame_count = 128;
  config.attach = attach_from_name (attach);
  xsk = open_or_fail (veth->b, 0, &config);
  rings = nr_xsk_rings (xsk);

  fd = nr_test_sender_open (veth);
  for (i = 0; i < G_N_ELEMENTS (held); i++)
    send_test_frame (fd, frame, i, 1500, veth);
  close (fd);
  while (n < G_N_ELEMENTS (held))
    {
      guint k = nr_xsk_rings_rx_take (rings, held + n, G_N_ELEMENTS (held) - n);

      if (k == 0)
        wait_fd (nr_xsk_fd (xsk), POLLIN, "received on the AF_XDP socket");
      n += k;
    }
  g_assert_cmpuint (nr_xsk_rings_rx_held (rings), ==, n);

  nr_xsk_shutdown (xsk);
  g_assert_cmpint (nr_xsk_fd (xsk), ==, -1);
  assert_no_program (veth->b);
  nr_xsk_shutdown (xsk); /* twice does nothing */
  g_assert_cmpuint (nr_xsk_rx_wakeup (xsk), ==, 0);
  g_assert_cmpint (nr_xsk_tx_kick (xsk), ==, 0);

  /* the queue is free for another socket */
  next = open_or_fail (veth->b, 0, &config);

  for (i = 0; i < n; i++)
    if (!nr_test_frame_check (nr_xsk_rings_data (rings, held[i].addr), held[i].len, i,
                              veth->mac_a, veth->mac_b))
      g_error ("held frame %u changed after the shutdown", i);
  g_assert_cmpuint (nr_xsk_rings_rx_ready (rings), ==, 0);

  /* half released here, the rest by another thread */
  nr_xsk_rings_rx_release (rings, held, n / 2);
  thread = g_thread_new ("release", release_thread, xsk);
  g_thread_join (thread);
  g_assert_cmpuint (nr_xsk_rings_rx_held (rings), ==, 0);
  g_assert_cmpuint (rings->counters.bad_returns, ==, 0);
  nr_xsk_free (xsk);

  nr_xsk_close (next);
  assert_no_program (veth->b);
}

/* ---- main ----------------------------------------------------------------------- */

/* ---- hand-over (netring-helper) ------------------------------------------ */

/* A child process opens the socket for hand-over (as netring-helper's child
 * does), passes the socket and the UMEM's memfd over a socketpair and
 * exits without closing anything; this process adopts them: frames arrive
 * byte for byte in its own mapping of the UMEM, the redirect program stays
 * after the socket is closed, and nr_xdp_prog_detach_xsk() removes it. */
static void
test_handover (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NrXskConfig config;
  NrXskFailure failure;
  NrXsk *xsk = NULL;
  int pair[2], fds[2], status, err;
  char byte = 0;
  char control[CMSG_SPACE (2 * sizeof (int))];
  struct iovec iov = { &byte, 1 };
  struct msghdr msg = { 0 };
  struct cmsghdr *cmsg;
  pid_t pid;

  nr_test_veth_wait_running (veth);
  nr_xsk_config_init (&config);
  config.frame_count = 512;
  config.mode = NR_XSK_MODE_RX;
  config.attach = NR_XSK_ATTACH_GENERIC;
  g_assert_no_errno (socketpair (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair));

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      int memfd = memfd_create ("test-umem", MFD_CLOEXEC);
      NrXsk *child_xsk = NULL;

      if (memfd < 0 || ftruncate (memfd, (off_t) config.frame_size * config.frame_count) != 0 ||
          nr_xsk_open_for_handover (veth->b, 0, &config, memfd, &child_xsk, &failure) != 0)
        _exit (1);
      fds[0] = nr_xsk_fd (child_xsk);
      fds[1] = memfd;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsg = CMSG_FIRSTHDR (&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN (2 * sizeof (int));
      memcpy (CMSG_DATA (cmsg), fds, 2 * sizeof (int));
      _exit (sendmsg (pair[1], &msg, 0) == 1 ? 0 : 2);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  g_assert_cmpint (recvmsg (pair[0], &msg, 0), ==, 1);
  cmsg = CMSG_FIRSTHDR (&msg);
  g_assert_nonnull (cmsg);
  g_assert_cmpint (cmsg->cmsg_type, ==, SCM_RIGHTS);
  memcpy (fds, CMSG_DATA (cmsg), 2 * sizeof (int));
  close (pair[0]);
  close (pair[1]);

  /* the process that made it is gone; its program stays */
  g_assert_true (query_program (veth->ifindex_b).has_xsk_program);

  /* the wrong geometry: refused, the descriptors stay the caller's */
  config.frame_count = 256;
  err = nr_xsk_adopt (fds[0], fds[1], veth->ifindex_b, 0, &config, &xsk, &failure);
  g_assert_cmpint (err, ==, -EINVAL);
  g_assert_cmpint (failure.kind, ==, NR_XSK_FAILURE_INVALID);
  g_assert_cmpstr (failure.operation, ==, "umem-fd");
  g_assert_null (xsk);
  g_assert_cmpint (fcntl (fds[0], F_GETFD), >=, 0);
  /* a memfd is no socket */
  config.frame_count = 512;
  err = nr_xsk_adopt (fds[1], fds[1], veth->ifindex_b, 0, &config, &xsk, &failure);
  g_assert_cmpint (err, ==, -ENOTSOCK);
  g_assert_cmpstr (failure.operation, ==, "fd");

  err = nr_xsk_adopt (fds[0], fds[1], veth->ifindex_b, 0, &config, &xsk, &failure);
  g_assert_cmpint (err, ==, 0);
  close (fds[1]);
  g_assert_cmpint (nr_xsk_fd (xsk), ==, fds[0]);
  g_assert_cmpuint (nr_xsk_info (xsk)->rx_frames, ==, 512);
  g_assert_cmpuint (nr_xsk_info (xsk)->prog_id, ==, query_program (veth->ifindex_b).xsk_prog_id);
  rx_stream (veth, xsk, 1000, 1500);
  nr_xsk_close (xsk);
  g_assert_cmpint (fcntl (fds[0], F_GETFD), <, 0);

  /* closing an adopted socket leaves the program; the helper detaches it */
  g_assert_true (query_program (veth->ifindex_b).has_xsk_program);
  nr_xdp_prog_lock ();
  g_assert_cmpint (nr_xdp_prog_detach_xsk (veth->ifindex_b), ==, 0);
  g_assert_cmpint (nr_xdp_prog_detach_xsk (veth->ifindex_b), ==, -ENOENT);
  nr_xdp_prog_unlock ();
  assert_no_program (veth->b);
}

int
main (int argc, char **argv)
{
  static const char *const attaches[] = { "native", "generic" };
  static const guint32 counts[] = { 1, 1000, 100000 };
  static const gsize lengths[] = { 64, 1500 };
  int fd;

  g_test_init (&argc, &argv, NULL);
  nr_test_net_enter_or_skip ("test-xsk");
  fd = socket (AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      printf ("1..0 # SKIP no AF_XDP sockets: %s\n", g_strerror (errno));
      return NR_TEST_SKIP_STATUS;
    }
  close (fd);

  for (guint a = 0; a < G_N_ELEMENTS (attaches); a++)
    for (guint l = 0; l < G_N_ELEMENTS (lengths); l++)
      for (guint c = 0; c < G_N_ELEMENTS (counts); c++)
        {
          /* Static: a test run as a subprocess exits without freeing. */
          static RxCase rx_cases[G_N_ELEMENTS (attaches) * G_N_ELEMENTS (lengths) *
                                 G_N_ELEMENTS (counts)];
          RxCase *rc = &rx_cases[(a * G_N_ELEMENTS (lengths) + l) * G_N_ELEMENTS (counts) + c];
          g_autofree char *path = g_strdup_printf ("/xsk/rx/%s/%zu/%u", attaches[a], lengths[l],
                                                   counts[c]);
          *rc = (RxCase){ attaches[a], counts[c], lengths[l] };
          g_test_add_data_func (path, rc, test_rx);
        }
  {
    static const TxCase tx_cases[] = {
      { NR_XSK_MODE_TX, "native", 100000, 64 },
      { NR_XSK_MODE_TX, "native", 100000, 1500 },
      { NR_XSK_MODE_RX_TX, "native", 100000, 1500 },
      { NR_XSK_MODE_RX_TX, "generic", 100000, 64 },
    };
    for (guint i = 0; i < G_N_ELEMENTS (tx_cases); i++)
      {
        g_autofree char *path = g_strdup_printf (
          "/xsk/tx/%s/%s/%zu", tx_cases[i].mode == NR_XSK_MODE_TX ? "tx" : "rx-tx",
          tx_cases[i].attach, tx_cases[i].length);
        g_test_add_data_func (path, &tx_cases[i], test_tx);
      }
  }
  g_test_add_func ("/xsk/tx/kick-batch", test_tx_kick_batch);
  for (guint a = 0; a < G_N_ELEMENTS (attaches); a++)
    {
      g_autofree char *p1 = g_strdup_printf ("/xsk/rx-tx/full-size/%s", attaches[a]);
      g_autofree char *p2 = g_strdup_printf ("/xsk/program/foreign-left-alone/%s", attaches[a]);
      g_autofree char *p3 = g_strdup_printf ("/xsk/program/foreign-redirect/%s", attaches[a]);
      g_autofree char *p4 = g_strdup_printf ("/xsk/every-queue/%s", attaches[a]);
      g_autofree char *p5 = g_strdup_printf ("/xsk/shutdown-held/%s", attaches[a]);
      g_test_add_data_func (p1, attaches[a], test_rx_tx_full_size);
      g_test_add_data_func (p2, attaches[a], test_foreign_program_left_alone);
      g_test_add_data_func (p3, attaches[a], test_foreign_redirect_coexists);
      g_test_add_data_func (p4, attaches[a], test_every_queue);
      g_test_add_data_func (p5, attaches[a], test_shutdown_held);
    }
  g_test_add_func ("/xsk/program/attach-mode-conflict", test_attach_mode_conflict);
  g_test_add_func ("/xsk/errors", test_errors);
  g_test_add_func ("/xsk/queue-count", test_queue_count);
  g_test_add_func ("/xsk/handover", test_handover);
  g_test_add_data_func ("/xsk/bpffs/mounted", GINT_TO_POINTER (TRUE), test_bpffs);
  g_test_add_data_func ("/xsk/bpffs/unmounted", GINT_TO_POINTER (FALSE), test_bpffs);

  return g_test_run ();
}
