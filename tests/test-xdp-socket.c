/* test-xdp-socket.c: NetringXdpSocket on real veth pairs in a private
 * network namespace, native and generic attach modes: the settings and
 * their rules, every kind of open failure as the error the user sees, what
 * the socket reports it got (checked against the kernel: bpf_xdp_query,
 * `ip link show`), readiness and close, promiscuous mode, statistics,
 * sockets on every queue of an interface, and the socket's two sides:
 *
 * - receiving through NetringReceiver (::batch in a main loop, the
 *   blocking and async calls, watches on every queue): frames sent from
 *   veth->a by the fixture's plain AF_PACKET socket arrive exactly once,
 *   byte for byte, with no program loaded by the test;
 * - sending through NetringSender (send, reserve/commit, send_async,
 *   flush, wait_drained): what arrives on veth->a is counted by a
 *   hand-written TPACKET_V3 receiver, independent of the library.
 *
 * Senders stay a window ahead of their receivers and every wait is for an
 * event (poll, a condition, a main-loop dispatch) with a hang guard. */
#define _GNU_SOURCE
#include "config.h"

#include <netring/netring.h>

#include "nr-test-net.h"

#include <glib-object.h>
#include <gobject/gvaluecollector.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define HANG_GUARD_MS 5000

/* ---- helpers ------------------------------------------------------------- */

static const char *
attach_name (NetringXdpAttachMode mode)
{
  return mode == NETRING_XDP_ATTACH_MODE_NATIVE ? "native" : "generic";
}

/* A socket on @ifname queue @queue_id with a small UMEM (256 frames of
 * 2048 bytes) and the properties that follow (NULL-terminated name/value
 * pairs, which may replace the UMEM's), not initialised. */
static NetringXdpSocket *
xdp_new (const char *ifname, guint queue_id, const char *first_property, ...)
{
  GObjectClass *klass = g_type_class_ref (NETRING_TYPE_XDP_SOCKET);
  const char *names[32] = { "interface", "queue-id", "frame-size", "frame-count" };
  GValue values[32] = { G_VALUE_INIT };
  const char *name;
  guint n = 4, i;
  va_list args;
  GObject *object;

  g_value_init (&values[0], G_TYPE_STRING);
  g_value_set_string (&values[0], ifname);
  g_value_init (&values[1], G_TYPE_UINT);
  g_value_set_uint (&values[1], queue_id);
  g_value_init (&values[2], G_TYPE_UINT);
  g_value_set_uint (&values[2], 2048);
  g_value_init (&values[3], G_TYPE_UINT);
  g_value_set_uint (&values[3], 256);

  va_start (args, first_property);
  for (name = first_property; name != NULL; name = va_arg (args, const char *))
    {
      GParamSpec *pspec = g_object_class_find_property (klass, name);
      g_autofree char *collect_error = NULL;

      g_assert_nonnull (pspec);
      for (i = 0; i < n && !g_str_equal (names[i], name); i++)
        ;
      if (i == n)
        {
          g_assert_cmpuint (n, <, G_N_ELEMENTS (names));
          names[n++] = name;
        }
      else
        g_value_unset (&values[i]);
      G_VALUE_COLLECT_INIT (&values[i], pspec->value_type, args, 0, &collect_error);
      g_assert_null (collect_error);
    }
  va_end (args);

  object = g_object_new_with_properties (NETRING_TYPE_XDP_SOCKET, n, names, values);
  for (i = 0; i < n; i++)
    g_value_unset (&values[i]);
  g_type_class_unref (klass);
  return NETRING_XDP_SOCKET (object);
}

#define XDP_NEW(ifname, queue, ...) xdp_new ((ifname), (guint) (queue), __VA_ARGS__)

static NetringXdpSocket *
xdp_open (NetringXdpSocket *xsk)
{
  g_autoptr(GError) error = NULL;

  if (!g_initable_init (G_INITABLE (xsk), NULL, &error))
    g_error ("init of the AF_XDP socket on %s queue %u failed: %s",
             netring_xdp_socket_get_interface (xsk), netring_xdp_socket_get_queue_id (xsk),
             error->message);
  return xsk;
}

/* Init fails with @domain/@code; the message contains @needle (when not
 * NULL). The failure sticks: a second init and every call say the same. */
static void
assert_init_fails (NetringXdpSocket *xsk, GQuark domain, gint code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;
  g_autoptr(GError) stats_error = NULL;
  g_autoptr(NetringXdpStats) stats = NULL;

  g_assert_false (g_initable_init (G_INITABLE (xsk), NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, domain, code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("“%s” not in the message: %s", needle, error->message);

  g_assert_false (g_initable_init (G_INITABLE (xsk), NULL, &again));
  g_assert_error (again, domain, code);
  g_assert_cmpstr (again->message, ==, error->message);
  stats = netring_xdp_socket_get_stats (xsk, &stats_error);
  g_assert_null (stats);
  g_assert_error (stats_error, domain, code);
  g_assert_cmpint (netring_xdp_socket_get_fd (xsk), ==, -1);
  g_assert_cmpint (netring_xdp_socket_get_active_attach_mode (xsk), ==,
                   NETRING_XDP_ATTACH_MODE_NONE);
}

static void
assert_property_refused (NetringXdpSocket *xsk, const char *property)
{
  g_autofree char *quoted = g_strdup_printf ("“%s”", property);

  assert_init_fails (xsk, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION, quoted);
  g_object_unref (xsk);
}

static char *
ip_link_details (const char *ifname)
{
  const char *argv[] = { "ip", "-details", "link", "show", "dev", ifname, NULL };
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                     &status, &error))
    g_error ("ip link show: %s", error->message);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

/* No XDP program on @ifname, as the kernel and `ip link show` see it. */
static void
assert_no_program (const char *ifname)
{
  g_autofree char *out = ip_link_details (ifname);
  LIBBPF_OPTS (bpf_xdp_query_opts, opts);

  g_assert_no_errno (bpf_xdp_query ((int) if_nametoindex (ifname), 0, &opts));
  g_assert_cmpuint (opts.prog_id, ==, 0);
  if (strstr (out, "xdp") != NULL)
    g_error ("%s still runs an XDP program: %s", ifname, out);
}

static guint
promiscuity (const char *ifname)
{
  g_autofree char *out = ip_link_details (ifname);
  const char *p = strstr (out, "promiscuity ");

  g_assert_nonnull (p);
  return (guint) strtoul (p + strlen ("promiscuity "), NULL, 10);
}

static void
prog_name_of_id (guint32 id, char *name, gsize size)
{
  struct bpf_prog_info info;
  __u32 len = sizeof info;
  int fd = bpf_prog_get_fd_by_id (id);

  g_assert_cmpint (fd, >=, 0);
  memset (&info, 0, sizeof info);
  g_assert_no_errno (bpf_obj_get_info_by_fd (fd, &info, &len));
  g_strlcpy (name, info.name, size);
  close (fd);
}

/* The socket's redirect program is libxdp's, attached to @ifname in
 * @mode (directly or in libxdp's dispatcher). */
static void
assert_program (NetringXdpSocket *xsk, const char *ifname, NetringXdpAttachMode mode)
{
  LIBBPF_OPTS (bpf_xdp_query_opts, opts);
  char name[32];

  g_assert_cmpuint (netring_xdp_socket_get_program_id (xsk), >, 0);
  prog_name_of_id (netring_xdp_socket_get_program_id (xsk), name, sizeof name);
  g_assert_cmpstr (name, ==, "xsk_def_prog");
  g_assert_no_errno (bpf_xdp_query ((int) if_nametoindex (ifname), 0, &opts));
  g_assert_cmpuint (opts.prog_id, >, 0);
  g_assert_cmpint (opts.attach_mode, ==,
                   mode == NETRING_XDP_ATTACH_MODE_NATIVE ? XDP_ATTACHED_DRV : XDP_ATTACHED_SKB);
}

static void
wait_readable (int fd)
{
  struct pollfd pfd = { fd, POLLIN, 0 };
  int r;

  do
    r = poll (&pfd, 1, HANG_GUARD_MS);
  while (r < 0 && errno == EINTR);
  if (r != 1 || (pfd.revents & POLLIN) == 0)
    g_error ("the AF_XDP socket received nothing within %d ms", HANG_GUARD_MS);
}

static NetringXdpStats *
get_stats (NetringXdpSocket *xsk)
{
  g_autoptr(GError) error = NULL;
  NetringXdpStats *stats = netring_xdp_socket_get_stats (xsk, &error);

  g_assert_no_error (error);
  g_assert_nonnull (stats);
  return stats;
}

static void
assert_stats_equal (const NetringXdpStats *a, const NetringXdpStats *b)
{
  g_assert_cmpuint (a->rx_dropped, ==, b->rx_dropped);
  g_assert_cmpuint (a->rx_invalid_descs, ==, b->rx_invalid_descs);
  g_assert_cmpuint (a->tx_invalid_descs, ==, b->tx_invalid_descs);
  g_assert_cmpuint (a->rx_ring_full, ==, b->rx_ring_full);
  g_assert_cmpuint (a->rx_fill_ring_empty_descs, ==, b->rx_fill_ring_empty_descs);
  g_assert_cmpuint (a->tx_ring_empty_descs, ==, b->tx_ring_empty_descs);
  g_assert_cmpuint (a->received, ==, b->received);
  g_assert_cmpuint (a->received_bytes, ==, b->received_bytes);
  g_assert_cmpuint (a->queued, ==, b->queued);
  g_assert_cmpuint (a->sent, ==, b->sent);
  g_assert_cmpuint (a->rejected, ==, b->rejected);
  g_assert_cmpuint (a->device_dropped, ==, b->device_dropped);
  g_assert_cmpuint (a->received_invalid, ==, b->received_invalid);
}

static void
close_ok (NetringXdpSocket *xsk)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (netring_xdp_socket_close (xsk, &error));
  g_assert_no_error (error);
}

/* ---- the peer: a plain TPACKET_V3 receiver on veth->a ---------------------------- */

/* What the socket sends is counted by a hand-written TPACKET_V3 ring on the
 * other end, in its own thread, independent of the library: every frame
 * 0 … count-1 of the expected length, from veth->b to veth->a, exactly
 * once and byte for byte. The sender waits (on a condition, never a
 * sleep) to stay at most a window ahead of it, so the ring never drops. */
#define PEER_BLOCK_SIZE (1u << 20)
#define PEER_BLOCK_COUNT 32u

typedef struct {
  const NrTestVeth *veth;
  int fd;
  guint8 *map;
  guint32 cursor;
  GThread *thread;

  guint32 count;   /* frames 0 … count-1 */
  gsize length;    /* of every frame */
  guint8 *seen;    /* the peer thread's */

  GMutex lock;
  GCond cond;
  guint64 received; /* under lock: frames that matched */
  gchar *failure;   /* under lock: the first mismatch */
  gboolean stop;    /* under lock */
} Peer;

static void
peer_fail (Peer *peer, gchar *message)
{
  g_mutex_lock (&peer->lock);
  if (peer->failure == NULL)
    peer->failure = message;
  else
    g_free (message);
  g_cond_broadcast (&peer->cond);
  g_mutex_unlock (&peer->lock);
}

static guint
peer_walk_block (Peer *peer, struct tpacket_block_desc *block)
{
  struct tpacket3_hdr *hdr =
    (struct tpacket3_hdr *) ((guint8 *) block + block->hdr.bh1.offset_to_first_pkt);
  guint32 i, matched = 0, count;

  g_mutex_lock (&peer->lock);
  count = peer->count; /* peer_expect() may lower it */
  g_mutex_unlock (&peer->lock);

  for (i = 0; i < block->hdr.bh1.num_pkts; i++)
    {
      const guint8 *data = (const guint8 *) hdr + hdr->tp_mac;
      guint32 len = hdr->tp_snaplen, seq;

      if (len >= 18 && data[12] == (NR_TEST_ETHERTYPE >> 8) &&
          data[13] == (NR_TEST_ETHERTYPE & 0xff))
        {
          seq = nr_test_frame_seq (data);
          if (seq >= count || len != peer->length || hdr->tp_len != len)
            peer_fail (peer, g_strdup_printf ("unexpected frame: seq %u, %u bytes (wire %u)",
                                              seq, len, hdr->tp_len));
          else if (peer->seen[seq])
            peer_fail (peer, g_strdup_printf ("frame %u arrived twice", seq));
          else if (!nr_test_frame_check (data, len, seq, peer->veth->mac_b,
                                         peer->veth->mac_a))
            peer_fail (peer, g_strdup_printf ("frame %u of %u bytes arrived damaged", seq, len));
          else
            {
              peer->seen[seq] = 1;
              matched++;
            }
        }
      hdr = (struct tpacket3_hdr *) ((guint8 *) hdr + hdr->tp_next_offset);
    }
  return matched;
}

static gpointer
peer_thread (gpointer data)
{
  Peer *peer = data;
  gint64 quiet_since = g_get_monotonic_time ();

  for (;;)
    {
      struct tpacket_block_desc *block =
        (struct tpacket_block_desc *) (peer->map + (gsize) peer->cursor * PEER_BLOCK_SIZE);
      gboolean stop;

      if ((__atomic_load_n (&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) != 0)
        {
          guint matched = peer_walk_block (peer, block);

          __atomic_store_n (&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
          peer->cursor = (peer->cursor + 1) % PEER_BLOCK_COUNT;
          g_mutex_lock (&peer->lock);
          peer->received += matched;
          g_cond_broadcast (&peer->cond);
          g_mutex_unlock (&peer->lock);
          quiet_since = g_get_monotonic_time ();
          continue;
        }
      g_mutex_lock (&peer->lock);
      stop = peer->stop;
      g_mutex_unlock (&peer->lock);
      /* Stopping: keep listening until the wire has been quiet for a
       * while, so that frames that should not exist are caught too. */
      if (stop && g_get_monotonic_time () - quiet_since > 150 * G_TIME_SPAN_MILLISECOND)
        return NULL;
      {
        struct pollfd pfd = { peer->fd, POLLIN, 0 };
        (void) poll (&pfd, 1, 20);
      }
    }
}

static Peer *
peer_new (const NrTestVeth *veth, guint32 count, gsize length)
{
  Peer *peer = g_new0 (Peer, 1);
  struct tpacket_req3 req = { 0 };
  struct sockaddr_ll addr = { 0 };
  int version = TPACKET_V3, one = 1;

  peer->veth = veth;
  peer->count = count;
  peer->length = length;
  peer->seen = g_new0 (guint8, MAX (count, 1));
  g_mutex_init (&peer->lock);
  g_cond_init (&peer->cond);

  /* protocol 0, ring, then bind (F6); its own frames (veth->a sends to the
   * socket in some tests) are not counted */
  peer->fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  g_assert_cmpint (peer->fd, >=, 0);
  g_assert_no_errno (setsockopt (peer->fd, SOL_PACKET, PACKET_VERSION, &version,
                                 sizeof version));
  g_assert_no_errno (setsockopt (peer->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
                                 sizeof one));
  req.tp_block_size = PEER_BLOCK_SIZE;
  req.tp_block_nr = PEER_BLOCK_COUNT;
  req.tp_frame_size = 2048;
  req.tp_frame_nr = PEER_BLOCK_SIZE / 2048 * PEER_BLOCK_COUNT;
  req.tp_retire_blk_tov = 10;
  g_assert_no_errno (setsockopt (peer->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req));
  peer->map = mmap (NULL, (gsize) PEER_BLOCK_SIZE * PEER_BLOCK_COUNT, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_LOCKED, peer->fd, 0);
  if (peer->map == MAP_FAILED)
    peer->map = mmap (NULL, (gsize) PEER_BLOCK_SIZE * PEER_BLOCK_COUNT, PROT_READ | PROT_WRITE,
                      MAP_SHARED, peer->fd, 0);
  g_assert_true (peer->map != MAP_FAILED);
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons (ETH_P_ALL);
  addr.sll_ifindex = veth->ifindex_a;
  g_assert_no_errno (bind (peer->fd, (struct sockaddr *) &addr, sizeof addr));
  peer->thread = g_thread_new ("peer", peer_thread, peer);
  return peer;
}

/* How far the sender may run ahead of the peer: a quarter of its ring in
 * bytes (~100 bytes of ring per frame on top), so that a peer that gets
 * little CPU (ASan, a loaded machine: blocks then retire by their timeout,
 * part full) never drops. */
static guint
peer_window (const Peer *peer)
{
  return MIN ((guint) ((PEER_BLOCK_SIZE / 4 * PEER_BLOCK_COUNT) / (peer->length + 100)), 4096u);
}

/* Waits until the peer has at least @n frames (20 s at most). */
static void
peer_wait_for (Peer *peer, guint64 n)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&peer->lock);
  while (peer->received < n && peer->failure == NULL)
    if (!g_cond_wait_until (&peer->cond, &peer->lock, deadline))
      {
        guint64 received = peer->received;
        g_mutex_unlock (&peer->lock);
        g_error ("the peer received %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                 " frames within 20 s",
                 received, n);
      }
  if (peer->failure != NULL)
    g_error ("peer: %s", peer->failure);
  g_mutex_unlock (&peer->lock);
}

/* Keeps the sender, about to send frame @seq, within a window of the peer. */
static void
peer_throttle (Peer *peer, guint64 seq)
{
  guint window = peer_window (peer);

  if (seq > window)
    peer_wait_for (peer, seq - window);
}

/* From now on exactly @count frames (0 … count-1) are expected, at most as
 * many as the peer was made for. */
static void
peer_expect (Peer *peer, guint32 count)
{
  g_mutex_lock (&peer->lock);
  g_assert_cmpuint (count, <=, peer->count);
  peer->count = count;
  g_mutex_unlock (&peer->lock);
}

static guint64
peer_received (Peer *peer)
{
  guint64 n;

  g_mutex_lock (&peer->lock);
  n = peer->received;
  g_mutex_unlock (&peer->lock);
  return n;
}

/* Stops the peer after a quiet spell and checks the stream: every frame
 * once, nothing else, nothing dropped by its ring. */
static void
peer_finish (Peer *peer)
{
  struct tpacket_stats_v3 st = { 0 };
  socklen_t len = sizeof st;

  peer_wait_for (peer, peer->count);
  g_mutex_lock (&peer->lock);
  peer->stop = TRUE;
  g_mutex_unlock (&peer->lock);
  g_thread_join (peer->thread);
  if (peer->failure != NULL)
    g_error ("peer: %s", peer->failure);
  g_assert_cmpuint (peer->received, ==, peer->count);
  g_assert_no_errno (getsockopt (peer->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len));
  g_assert_cmpuint (st.tp_drops, ==, 0);

  munmap (peer->map, (gsize) PEER_BLOCK_SIZE * PEER_BLOCK_COUNT);
  close (peer->fd);
  g_mutex_clear (&peer->lock);
  g_cond_clear (&peer->cond);
  g_free (peer->seen);
  g_free (peer);
}

/* ---- tests: settings ---------------------------------------------------------- */

/* Every rule of every setting, each refused by init with
 * NETRING_ERROR_INVALID_CONFIGURATION naming the property. */
static void
test_validation (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  long page_size = sysconf (_SC_PAGESIZE);
  NetringXdpSocket *xsk;

  xsk = g_object_new (NETRING_TYPE_XDP_SOCKET, NULL);
  assert_property_refused (xsk, "interface");
  xsk = g_object_new (NETRING_TYPE_XDP_SOCKET, "interface", "", NULL);
  assert_property_refused (xsk, "interface");

  /* frame-size: a power of two from 2048 to the page size */
  assert_property_refused (XDP_NEW (veth->b, 0, "frame-size", 3000, NULL), "frame-size");
  assert_property_refused (XDP_NEW (veth->b, 0, "frame-size", 1024, NULL), "frame-size");
  assert_property_refused (XDP_NEW (veth->b, 0, "frame-size", 0, NULL), "frame-size");
  assert_property_refused (XDP_NEW (veth->b, 0, "frame-size", (guint) page_size * 2, NULL),
                           "frame-size");

  /* frame-count: at least 1, 2 in mode rx-tx, at most 4 GiB of UMEM */
  assert_property_refused (XDP_NEW (veth->b, 0, "frame-count", 0, "mode", NETRING_XDP_MODE_RX,
                                    NULL),
                           "frame-count");
  assert_property_refused (XDP_NEW (veth->b, 0, "frame-count", 1, NULL), "frame-count");
  assert_property_refused (XDP_NEW (veth->b, 0, "frame-size", 4096, "frame-count",
                                    (1u << 20) + 1, NULL),
                           "frame-count");

  /* attach-mode none is only read back */
  assert_property_refused (XDP_NEW (veth->b, 0, "attach-mode", NETRING_XDP_ATTACH_MODE_NONE,
                                    NULL),
                           "attach-mode");
  assert_property_refused (XDP_NEW (veth->b, 0, "busy-poll-us", (guint) G_MAXINT + 1, NULL),
                           "busy-poll-us");
  assert_property_refused (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_TX, "promiscuous",
                                    TRUE, NULL),
                           "promiscuous");

  /* the edges that are allowed */
  xsk = xdp_open (XDP_NEW (veth->b, 0, "frame-size", (guint) page_size, "frame-count", 2,
                           NULL));
  g_assert_cmpuint (netring_xdp_socket_get_rx_frame_count (xsk), ==, 1);
  g_assert_cmpuint (netring_xdp_socket_get_tx_frame_count (xsk), ==, 1);
  g_object_unref (xsk);
  xsk = xdp_open (XDP_NEW (veth->b, 0, "frame-count", 1, "mode", NETRING_XDP_MODE_RX, NULL));
  g_assert_cmpuint (netring_xdp_socket_get_rx_frame_count (xsk), ==, 1);
  g_object_unref (xsk);

  /* interface and queue */
  xsk = XDP_NEW ("nrtnosuch0", 0, NULL);
  assert_init_fails (xsk, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE, "“nrtnosuch0”");
  g_object_unref (xsk);
  xsk = XDP_NEW (veth->b, 3, NULL);
  assert_init_fails (xsk, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION, "“queue-id” 3");
  g_object_unref (xsk);
  /* the message says how many queues there are */
  xsk = XDP_NEW (veth->b, 1, "mode", NETRING_XDP_MODE_RX, NULL);
  assert_init_fails (xsk, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                     "has 1 receive and 1 send queues");
  g_object_unref (xsk);
  assert_no_program (veth->b);
}

/* The defaults are the seed's; netring_xdp_socket_new() uses them. */
static void
test_defaults (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autofree char *ifname = NULL;
  guint frame_size, frame_count, busy, queue;
  NetringXdpMode mode;
  NetringXdpAttachMode attach;
  NetringXdpBindMode bind;
  NetringXdpProgram program;
  gboolean wakeup, promisc;

  xsk = netring_xdp_socket_new (veth->b, 0, &error);
  g_assert_no_error (error);
  g_object_get (xsk, "interface", &ifname, "queue-id", &queue, "frame-size", &frame_size,
                "frame-count", &frame_count, "mode", &mode, "attach-mode", &attach, "bind-mode",
                &bind, "need-wakeup", &wakeup, "busy-poll-us", &busy, "promiscuous", &promisc,
                "program", &program, NULL);
  g_assert_cmpstr (ifname, ==, veth->b);
  g_assert_cmpuint (queue, ==, 0);
  g_assert_cmpuint (frame_size, ==, 4096);
  g_assert_cmpuint (frame_count, ==, 4096);
  g_assert_cmpint (mode, ==, NETRING_XDP_MODE_RX_TX);
  g_assert_cmpint (attach, ==, NETRING_XDP_ATTACH_MODE_AUTO);
  g_assert_cmpint (bind, ==, NETRING_XDP_BIND_MODE_AUTO);
  g_assert_true (wakeup);
  g_assert_cmpuint (busy, ==, 0);
  g_assert_false (promisc);
  g_assert_cmpint (program, ==, NETRING_XDP_PROGRAM_DEFAULT);

  /* auto attaches natively where the driver can: veth can */
  g_assert_cmpint (netring_xdp_socket_get_active_attach_mode (xsk), ==,
                   NETRING_XDP_ATTACH_MODE_NATIVE);
  assert_program (xsk, veth->b, NETRING_XDP_ATTACH_MODE_NATIVE);
  g_assert_false (netring_xdp_socket_get_zero_copy (xsk)); /* veth has no zero-copy */
  g_assert_cmpuint (netring_xdp_socket_get_rx_frame_count (xsk), ==, 2048);
  g_assert_cmpuint (netring_xdp_socket_get_tx_frame_count (xsk), ==, 2048);
  g_clear_object (&xsk);
  assert_no_program (veth->b);
}

/* What the socket got, in each attach mode and each split, as the kernel
 * sees it; after close nothing is left on the interface. */
static void
test_properties (gconstpointer data)
{
  NetringXdpAttachMode attach = GPOINTER_TO_INT (data);
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NetringXdpSocket *xsk;
  NetringXdpAttachMode active;
  guint prog_id, rx_frames, tx_frames;
  gboolean zero_copy;
  gint fd;
  int type = 0;
  socklen_t len = sizeof type;

  xsk = xdp_open (XDP_NEW (veth->b, 0, "attach-mode", attach, "bind-mode",
                           NETRING_XDP_BIND_MODE_COPY, NULL));
  g_object_get (xsk, "active-attach-mode", &active, "zero-copy", &zero_copy, "program-id",
                &prog_id, "rx-frame-count", &rx_frames, "tx-frame-count", &tx_frames, "fd",
                &fd, NULL);
  g_assert_cmpint (active, ==, attach);
  g_assert_false (zero_copy);
  g_assert_cmpuint (prog_id, ==, netring_xdp_socket_get_program_id (xsk));
  assert_program (xsk, veth->b, attach);
  g_assert_cmpuint (rx_frames, ==, 128);
  g_assert_cmpuint (tx_frames, ==, 128);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (fd, ==, netring_xdp_socket_get_fd (xsk));
  g_assert_no_errno (getsockopt (fd, SOL_SOCKET, SO_DOMAIN, &type, &len));
  g_assert_cmpint (type, ==, AF_XDP);
  /* the redirect program really brings the queue's frames (the test
   * loaded no program) */
  nr_test_send_frames (veth, 0, 1, 64);
  wait_readable (fd);

  close_ok (xsk);
  assert_no_program (veth->b);
  g_assert_cmpint (netring_xdp_socket_get_fd (xsk), ==, -1);
  g_assert_cmpint (netring_xdp_socket_get_active_attach_mode (xsk), ==, attach);
  g_object_unref (xsk);

  /* all frames receive */
  xsk = xdp_open (XDP_NEW (veth->b, 0, "attach-mode", attach, "mode", NETRING_XDP_MODE_RX,
                           NULL));
  g_assert_cmpuint (netring_xdp_socket_get_rx_frame_count (xsk), ==, 256);
  g_assert_cmpuint (netring_xdp_socket_get_tx_frame_count (xsk), ==, 0);
  g_assert_cmpint (netring_xdp_socket_get_active_attach_mode (xsk), ==, attach);
  g_object_unref (xsk);
  assert_no_program (veth->b);

  /* all frames send: no program at all, the queue's traffic stays with
   * the kernel */
  xsk = xdp_open (XDP_NEW (veth->b, 0, "attach-mode", attach, "mode", NETRING_XDP_MODE_TX,
                           NULL));
  g_assert_cmpuint (netring_xdp_socket_get_rx_frame_count (xsk), ==, 0);
  g_assert_cmpuint (netring_xdp_socket_get_tx_frame_count (xsk), ==, 256);
  g_assert_cmpint (netring_xdp_socket_get_active_attach_mode (xsk), ==,
                   NETRING_XDP_ATTACH_MODE_NONE);
  g_assert_cmpuint (netring_xdp_socket_get_program_id (xsk), ==, 0);
  assert_no_program (veth->b);
  g_object_unref (xsk);

  /* busy polling as root, and without need-wakeup */
  xsk = xdp_open (XDP_NEW (veth->b, 0, "attach-mode", attach, "busy-poll-us", 20,
                           "need-wakeup", FALSE, NULL));
  g_assert_cmpuint (netring_xdp_socket_get_busy_poll_us (xsk), ==, 20);
  g_assert_false (netring_xdp_socket_get_need_wakeup (xsk));
  nr_test_send_frames (veth, 0, 1, 64);
  wait_readable (netring_xdp_socket_get_fd (xsk));
  g_object_unref (xsk);
  assert_no_program (veth->b);
}

/* ---- tests: object state ------------------------------------------------------ */

static void
test_readiness (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringXdpStats) stats = NULL;
  g_autoptr(NetringXdpStats) after = NULL;
  NetringXdpSocket *xsk;

  /* before init */
  xsk = XDP_NEW (veth->b, 0, NULL);
  g_assert_null (netring_xdp_socket_get_stats (xsk, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_assert_nonnull (strstr (error->message, "NetringXdpSocket"));
  g_clear_error (&error);
  g_assert_false (netring_xdp_socket_add_to_xskmap (xsk, 1000, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_assert_cmpint (netring_xdp_socket_get_fd (xsk), ==, -1);
  g_assert_cmpuint (netring_xdp_socket_get_program_id (xsk), ==, 0);
  g_assert_cmpuint (netring_xdp_socket_get_rx_frame_count (xsk), ==, 0);

  /* closed before init: init says closed, and nothing is attached */
  close_ok (xsk);
  g_assert_false (g_initable_init (G_INITABLE (xsk), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_null (netring_xdp_socket_get_stats (xsk, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_object_unref (xsk);
  assert_no_program (veth->b);

  /* a cancelled init fails and holds nothing */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();

    g_cancellable_cancel (cancellable);
    xsk = XDP_NEW (veth->b, 0, NULL);
    g_assert_false (g_initable_init (G_INITABLE (xsk), cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpint (netring_xdp_socket_get_fd (xsk), ==, -1);
    g_object_unref (xsk);
    assert_no_program (veth->b);
  }

  /* after init: a second init succeeds and changes nothing */
  xsk = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_RX, NULL));
  g_assert_true (g_initable_init (G_INITABLE (xsk), NULL, &error));
  g_assert_no_error (error);
  nr_test_send_frames (veth, 0, 3, 64);
  wait_readable (netring_xdp_socket_get_fd (xsk));
  stats = get_stats (xsk);

  /* after close: the queue and the program are gone at once, the final
   * counters stay readable, everything else says closed */
  close_ok (xsk);
  assert_no_program (veth->b);
  after = get_stats (xsk);
  assert_stats_equal (stats, after);
  g_assert_false (netring_xdp_socket_add_to_xskmap (xsk, 1000, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_true (g_initable_init (G_INITABLE (xsk), NULL, &error)); /* init succeeded once */
  g_assert_no_error (error);
  close_ok (xsk); /* twice: nothing happens */
  g_assert_cmpint (netring_xdp_socket_get_fd (xsk), ==, -1);
  g_object_unref (xsk);

  /* the queue is free again right after close */
  xsk = xdp_open (XDP_NEW (veth->b, 0, NULL));
  g_object_unref (xsk);
  assert_no_program (veth->b);
}

/* Promiscuous mode while the socket is open, and only then; counted, so
 * somebody else's promiscuous mode is not switched off. */
static void
test_promiscuous (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NetringXdpSocket *xsk, *other;

  g_assert_cmpuint (promiscuity (veth->b), ==, 0);
  xsk = xdp_open (XDP_NEW (veth->b, 0, "promiscuous", TRUE, NULL));
  g_assert_true (netring_xdp_socket_get_promiscuous (xsk));
  g_assert_cmpuint (promiscuity (veth->b), ==, 1);
  close_ok (xsk);
  g_assert_cmpuint (promiscuity (veth->b), ==, 0);
  g_object_unref (xsk);

  nr_test_ip ("link", "set", "dev", veth->b, "promisc", "on", NULL);
  xsk = xdp_open (XDP_NEW (veth->b, 0, "promiscuous", TRUE, NULL));
  g_assert_cmpuint (promiscuity (veth->b), ==, 2);
  g_object_unref (xsk); /* the last reference closes it */
  g_assert_cmpuint (promiscuity (veth->b), ==, 1);
  nr_test_ip ("link", "set", "dev", veth->b, "promisc", "off", NULL);

  /* a socket without it leaves the interface as it is */
  other = xdp_open (XDP_NEW (veth->b, 0, NULL));
  g_assert_cmpuint (promiscuity (veth->b), ==, 0);
  g_object_unref (other);
}

/* Statistics: 64-bit totals, no side effect when read, and every frame
 * the socket could not take is counted. Nothing takes the frames here, so
 * after the receive pool is full the kernel has nowhere to put them. */
static void
test_stats (gconstpointer data)
{
  NetringXdpAttachMode attach = GPOINTER_TO_INT (data);
  const guint rx_frames = 64, sent = 100;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(NetringXdpStats) stats = NULL;
  g_autoptr(NetringXdpStats) again = NULL;
  g_autoptr(NetringXdpStats) copy = NULL;
  g_autofree char *text = NULL;
  gint64 deadline;

  xsk = xdp_open (g_object_new (NETRING_TYPE_XDP_SOCKET, "interface", veth->b, "frame-size",
                                2048, "frame-count", rx_frames, "mode", NETRING_XDP_MODE_RX,
                                "attach-mode", attach, NULL));
  stats = get_stats (xsk);
  g_assert_cmpuint (stats->received, ==, 0);
  g_assert_cmpuint (stats->rx_dropped, ==, 0);
  g_assert_cmpuint (stats->queued, ==, 0);
  g_clear_pointer (&stats, netring_xdp_stats_free);

  nr_test_send_frames (veth, 0, sent, 64);
  wait_readable (netring_xdp_socket_get_fd (xsk));
  /* No event announces a counter: read it until it is complete (each
   * read is one getsockopt; the sleep only paces the loop). */
  deadline = g_get_monotonic_time () + HANG_GUARD_MS * G_TIME_SPAN_MILLISECOND;
  for (;;)
    {
      stats = get_stats (xsk);
      if (stats->rx_dropped + stats->rx_ring_full >= sent - rx_frames)
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("%" G_GUINT64_FORMAT " + %" G_GUINT64_FORMAT " of %u frames counted as "
                 "dropped within %d ms",
                 stats->rx_dropped, stats->rx_ring_full, sent - rx_frames, HANG_GUARD_MS);
      g_clear_pointer (&stats, netring_xdp_stats_free);
      g_usleep (1000);
    }
  text = netring_xdp_stats_to_string (stats);
  g_test_message ("%s", text);
  /* the receive pool took rx_frames, the rest is counted as lost */
  g_assert_cmpuint (stats->rx_dropped + stats->rx_ring_full, ==, sent - rx_frames);
  g_assert_cmpuint (stats->rx_fill_ring_empty_descs, >=, 1);
  g_assert_cmpuint (stats->rx_invalid_descs, ==, 0);
  g_assert_cmpuint (stats->received, ==, 0); /* nothing taken yet */
  g_assert_cmpuint (stats->received_invalid, ==, 0);
  g_assert_nonnull (strstr (text, "rx dropped"));

  /* reading changed nothing */
  again = get_stats (xsk);
  assert_stats_equal (stats, again);
  copy = netring_xdp_stats_copy (stats);
  assert_stats_equal (stats, copy);
  g_assert_true (G_TYPE_IS_BOXED (NETRING_TYPE_XDP_STATS));
}

/* ---- tests: failures as the user sees them ---------------------------------------- */

/* Somebody else's program stays, and the error names it and what to do;
 * a TX-only socket (no program) works beside it; with program none the
 * socket goes into their XSKMAP and receives. */
static void
test_foreign_program (gconstpointer data)
{
  NetringXdpAttachMode attach = GPOINTER_TO_INT (data);
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *id_text = NULL;
  NetringXdpSocket *xsk;
  int prog_fd = nr_test_xdp_load_pass ();
  guint32 prog_id = nr_test_xdp_prog_id (prog_fd);
  int map_fd, redirect_fd;
  LIBBPF_OPTS (bpf_xdp_query_opts, opts);

  nr_test_xdp_attach (veth->ifindex_b, prog_fd, attach == NETRING_XDP_ATTACH_MODE_NATIVE);
  id_text = g_strdup_printf ("id %u, “nrtest_other”, %s mode", prog_id, attach_name (attach));

  xsk = XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_RX, NULL);
  assert_init_fails (xsk, NETRING_ERROR, NETRING_ERROR_XDP_PROGRAM, id_text);
  g_object_unref (xsk);
  /* the other explicit mode is refused the same way */
  xsk = XDP_NEW (veth->b, 0, "attach-mode",
                 attach == NETRING_XDP_ATTACH_MODE_NATIVE ? NETRING_XDP_ATTACH_MODE_GENERIC
                                                          : NETRING_XDP_ATTACH_MODE_NATIVE,
                 NULL);
  assert_init_fails (xsk, NETRING_ERROR, NETRING_ERROR_XDP_PROGRAM, "nrtest_other");
  g_object_unref (xsk);
  g_assert_no_errno (bpf_xdp_query (veth->ifindex_b, 0, &opts));
  g_assert_cmpuint (opts.prog_id, ==, prog_id);

  /* sending needs no program */
  xsk = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_TX, NULL));
  g_assert_cmpint (netring_xdp_socket_get_active_attach_mode (xsk), ==,
                   NETRING_XDP_ATTACH_MODE_NONE);
  g_assert_false (netring_xdp_socket_add_to_xskmap (xsk, 1000, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_object_unref (xsk);
  g_assert_no_errno (bpf_xdp_query (veth->ifindex_b, 0, &opts));
  g_assert_cmpuint (opts.prog_id, ==, prog_id);
  g_assert_no_errno (bpf_xdp_detach (veth->ifindex_b,
                                     attach == NETRING_XDP_ATTACH_MODE_NATIVE
                                       ? XDP_FLAGS_DRV_MODE
                                       : XDP_FLAGS_SKB_MODE,
                                     NULL));
  close (prog_fd);

  /* their redirect program and XSKMAP, our socket in it */
  map_fd = bpf_map_create (BPF_MAP_TYPE_XSKMAP, "nrtest_xsks", 4, 4, 4, NULL);
  g_assert_cmpint (map_fd, >=, 0);
  redirect_fd = nr_test_xdp_load_redirect (map_fd);
  prog_id = nr_test_xdp_prog_id (redirect_fd);
  nr_test_xdp_attach (veth->ifindex_b, redirect_fd, attach == NETRING_XDP_ATTACH_MODE_NATIVE);
  xsk = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_RX, "program",
                           NETRING_XDP_PROGRAM_NONE, NULL));
  g_assert_cmpint (netring_xdp_socket_get_program (xsk), ==, NETRING_XDP_PROGRAM_NONE);
  g_assert_cmpint (netring_xdp_socket_get_active_attach_mode (xsk), ==,
                   NETRING_XDP_ATTACH_MODE_NONE);
  g_assert_cmpuint (netring_xdp_socket_get_program_id (xsk), ==, 0);
  /* not a map, and a key past the end */
  g_assert_false (netring_xdp_socket_add_to_xskmap (xsk, redirect_fd, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_true (netring_xdp_socket_add_to_xskmap (xsk, map_fd, &error));
  g_assert_no_error (error);
  nr_test_send_frames (veth, 0, 1, 64);
  wait_readable (netring_xdp_socket_get_fd (xsk));
  g_object_unref (xsk);
  g_assert_no_errno (bpf_xdp_query (veth->ifindex_b, 0, &opts));
  g_assert_cmpuint (opts.prog_id, ==, prog_id);
  close (redirect_fd);
  close (map_fd);
}

/* A key past the end of the XSKMAP is the caller's mistake, named. */
static void
test_xskmap_too_small (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new_multiqueue (2);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringXdpSocket) xsk = NULL;
  int map_fd = bpf_map_create (BPF_MAP_TYPE_XSKMAP, "nrtest_xsks", 4, 4, 1, NULL);

  g_assert_cmpint (map_fd, >=, 0);
  xsk = xdp_open (XDP_NEW (veth->b, 1, "mode", NETRING_XDP_MODE_RX, "program",
                           NETRING_XDP_PROGRAM_NONE, NULL));
  g_assert_false (netring_xdp_socket_add_to_xskmap (xsk, map_fd, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "key 1"));
  close (map_fd);
}

static void
test_errors (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NrTestVeth) veth2 = nr_test_veth_new_multiqueue (2);
  NetringXdpSocket *xsk, *first;
  gint64 start;

  /* veth has no zero-copy */
  xsk = XDP_NEW (veth->b, 0, "bind-mode", NETRING_XDP_BIND_MODE_ZERO_COPY, NULL);
  assert_init_fails (xsk, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED, "“bind-mode”");
  g_object_unref (xsk);
  assert_no_program (veth->b);

  /* the queue is taken by another socket: refused after the wait for a
   * deferred release */
  first = xdp_open (XDP_NEW (veth->b, 0, NULL));
  start = g_get_monotonic_time ();
  xsk = XDP_NEW (veth->b, 0, NULL);
  assert_init_fails (xsk, NETRING_ERROR, NETRING_ERROR_BUSY, "Queue 0 of");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1900 * G_TIME_SPAN_MILLISECOND);
  g_object_unref (xsk);
  g_object_unref (first);
  assert_no_program (veth->b);

  /* loopback has no native XDP; auto falls back to generic */
  xsk = XDP_NEW ("lo", 0, "attach-mode", NETRING_XDP_ATTACH_MODE_NATIVE, NULL);
  assert_init_fails (xsk, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED, "native XDP");
  g_object_unref (xsk);
  assert_no_program ("lo");
  xsk = xdp_open (XDP_NEW ("lo", 0, NULL));
  g_assert_cmpint (netring_xdp_socket_get_active_attach_mode (xsk), ==,
                   NETRING_XDP_ATTACH_MODE_GENERIC);
  g_object_unref (xsk);
  assert_no_program ("lo");

  /* the sockets of an interface share one program, in one mode */
  first = xdp_open (XDP_NEW (veth2->b, 0, "mode", NETRING_XDP_MODE_RX, "attach-mode",
                             NETRING_XDP_ATTACH_MODE_NATIVE, NULL));
  xsk = XDP_NEW (veth2->b, 1, "mode", NETRING_XDP_MODE_RX, "attach-mode",
                 NETRING_XDP_ATTACH_MODE_GENERIC, NULL);
  assert_init_fails (xsk, NETRING_ERROR, NETRING_ERROR_XDP_PROGRAM, "runs in native mode");
  g_object_unref (xsk);
  xsk = xdp_open (XDP_NEW (veth2->b, 1, "mode", NETRING_XDP_MODE_RX, NULL));
  g_assert_cmpint (netring_xdp_socket_get_active_attach_mode (xsk), ==,
                   NETRING_XDP_ATTACH_MODE_NATIVE);
  g_assert_cmpuint (netring_xdp_socket_get_program_id (xsk), ==,
                    netring_xdp_socket_get_program_id (first));
  /* the program stays while one socket uses it */
  g_object_unref (first);
  assert_program (xsk, veth2->b, NETRING_XDP_ATTACH_MODE_NATIVE);
  g_object_unref (xsk);
  assert_no_program (veth2->b);
}

/* ---- tests: every queue ------------------------------------------------------------ */

static void
test_all_queues (gconstpointer data)
{
  NetringXdpAttachMode attach = GPOINTER_TO_INT (data);
  const guint queues = 4;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new_multiqueue (queues);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sockets = NULL;
  const gchar *names[] = { "mode", "frame-count", "frame-size", "attach-mode" };
  GValue values[4] = { G_VALUE_INIT, G_VALUE_INIT, G_VALUE_INIT, G_VALUE_INIT };
  guint q, prog_id;

  g_value_init (&values[0], NETRING_TYPE_XDP_MODE);
  g_value_set_enum (&values[0], NETRING_XDP_MODE_RX);
  g_value_init (&values[1], G_TYPE_UINT);
  g_value_set_uint (&values[1], 128);
  g_value_init (&values[2], G_TYPE_INT); /* transformed to the property's type */
  g_value_set_int (&values[2], 2048);
  g_value_init (&values[3], NETRING_TYPE_XDP_ATTACH_MODE);
  g_value_set_enum (&values[3], attach);

  sockets = netring_xdp_socket_open_all_queues_with_properties (veth->b, G_N_ELEMENTS (names),
                                                                names, values, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sockets->len, ==, queues);
  prog_id = netring_xdp_socket_get_program_id (g_ptr_array_index (sockets, 0));
  for (q = 0; q < queues; q++)
    {
      NetringXdpSocket *xsk = g_ptr_array_index (sockets, q);

      g_assert_cmpuint (netring_xdp_socket_get_queue_id (xsk), ==, q);
      g_assert_cmpint (netring_xdp_socket_get_mode (xsk), ==, NETRING_XDP_MODE_RX);
      g_assert_cmpuint (netring_xdp_socket_get_rx_frame_count (xsk), ==, 128);
      g_assert_cmpuint (netring_xdp_socket_get_frame_size (xsk), ==, 2048);
      g_assert_cmpint (netring_xdp_socket_get_active_attach_mode (xsk), ==, attach);
      g_assert_cmpuint (netring_xdp_socket_get_program_id (xsk), ==, prog_id);
    }
  assert_program (g_ptr_array_index (sockets, 0), veth->b, attach);

  /* every queue is taken: a fifth socket on any of them is refused */
  {
    NetringXdpSocket *xsk = XDP_NEW (veth->b, 2, "mode", NETRING_XDP_MODE_RX, NULL);
    assert_init_fails (xsk, NETRING_ERROR, NETRING_ERROR_BUSY, "Queue 2 of");
    g_object_unref (xsk);
  }
  g_clear_pointer (&sockets, g_ptr_array_unref);
  assert_no_program (veth->b);

  /* a bad setting: refused, nothing left open */
  g_value_set_int (&values[2], 3000);
  sockets = netring_xdp_socket_open_all_queues_with_properties (veth->b, G_N_ELEMENTS (names),
                                                                names, values, &error);
  g_assert_null (sockets);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_clear_error (&error);
  assert_no_program (veth->b);

  /* a queue in the middle is taken: the error names it, the others are
   * closed again */
  {
    NetringXdpSocket *squatter = xdp_open (XDP_NEW (veth->b, 2, "mode", NETRING_XDP_MODE_RX,
                                                    "attach-mode", attach, NULL));
    g_value_set_int (&values[2], 2048);
    sockets = netring_xdp_socket_open_all_queues_with_properties (
      veth->b, G_N_ELEMENTS (names), names, values, &error);
    g_assert_null (sockets);
    g_assert_error (error, NETRING_ERROR, NETRING_ERROR_BUSY);
    g_assert_nonnull (strstr (error->message, "Queue 2 of"));
    g_clear_error (&error);
    g_object_unref (squatter);
    assert_no_program (veth->b);
  }

  for (q = 0; q < G_N_ELEMENTS (values); q++)
    g_value_unset (&values[q]);
}

/* The short form with the defaults; settings that are not construct
 * properties of the socket, or that it sets itself, are refused. */
static void
test_all_queues_defaults (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new_multiqueue (2);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sockets = NULL;
  const gchar *bad_names[][1] = { { "queue-id" }, { "interface" }, { "fd" }, { "no-such" } };
  GValue value = G_VALUE_INIT;
  guint i;

  sockets = netring_xdp_socket_open_all_queues (veth->b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sockets->len, ==, 2);
  g_assert_cmpuint (netring_xdp_socket_get_queue_id (g_ptr_array_index (sockets, 1)), ==, 1);
  g_assert_cmpuint (netring_xdp_socket_get_frame_count (g_ptr_array_index (sockets, 1)), ==,
                    4096);
  g_clear_pointer (&sockets, g_ptr_array_unref);
  assert_no_program (veth->b);

  g_value_init (&value, G_TYPE_UINT);
  for (i = 0; i < G_N_ELEMENTS (bad_names); i++)
    {
      sockets = netring_xdp_socket_open_all_queues_with_properties (veth->b, 1, bad_names[i],
                                                                    &value, &error);
      g_assert_null (sockets);
      g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, bad_names[i][0]));
      g_clear_error (&error);
    }
  {
    const gchar *names[] = { "promiscuous" };
    GValue text = G_VALUE_INIT;

    g_value_init (&text, G_TYPE_STRING);
    g_value_set_static_string (&text, "yes");
    sockets = netring_xdp_socket_open_all_queues_with_properties (veth->b, 1, names, &text,
                                                                  &error);
    g_assert_null (sockets);
    g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_value_unset (&text);
  }
  g_value_unset (&value);

  sockets = netring_xdp_socket_open_all_queues ("nrtnosuch0", &error);
  g_assert_null (sockets);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  assert_no_program (veth->b);
}

/* ---- tests: receiving (NetringReceiver) ------------------------------------------ */

/* Frames received from veth->a: frames 0 … count-1 of @length each exactly
 * once and byte for byte, then an end marker (frame @count, 64 bytes), so
 * that a duplicate sent before it is seen before the test ends. Every
 * packet's details are checked too: what a capture reports, AF_XDP's way. */
typedef struct {
  NrTestTally frames;
  const NrTestVeth *veth;
  guint64 batches;
  guint64 largest_batch;
} Tally;

static void
tally_init (Tally *t, const NrTestVeth *veth, guint32 count, gsize length)
{
  memset (t, 0, sizeof *t);
  t->veth = veth;
  nr_test_tally_init (&t->frames, count, length, veth->mac_a, veth->mac_b);
}

static void
tally_clear (Tally *t)
{
  nr_test_tally_clear (&t->frames);
}

static void
tally_frame (Tally *t, const guint8 *data, gsize len)
{
  nr_test_tally_frame (&t->frames, data, len);
}

/* Every packet of @batch through the full iterator (details checked) and
 * again through the inlined one (the same bytes). */
static void
tally_batch (Tally *t, NetringBatch *batch)
{
  NetringBatchIter iter;
  NetringPacketInfo info;
  const guint8 *data;
  guint32 caplen, wirelen;
  guint n = 0;
  gint64 now = g_get_real_time () * 1000;

  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    {
      g_assert_cmpuint (info.captured_length, ==, info.wire_length);
      g_assert_cmpint (info.direction, ==, NETRING_PACKET_DIRECTION_HOST);
      g_assert_cmpuint (info.protocol, ==, NR_TEST_ETHERTYPE);
      g_assert_cmpint (info.ifindex, ==, t->veth->ifindex_b);
      g_assert_cmpuint (info.source_address_length, ==, 6);
      g_assert_cmpmem (info.source_address, 6, t->veth->mac_a, 6);
      g_assert_cmpuint (info.status & NETRING_PACKET_STATUS_TRUNCATED, ==, 0);
      /* the time the batch was taken: now, give or take */
      g_assert_cmpint (info.timestamp_ns, ==, netring_batch_get_first_timestamp (batch));
      g_assert_cmpint (ABS (now - info.timestamp_ns), <, 60 * G_GINT64_CONSTANT (1000000000));
      tally_frame (t, info.data, info.captured_length);
      n++;
    }
  g_assert_cmpuint (n, ==, netring_batch_get_n_packets (batch));
  netring_batch_iter_init (&iter, batch);
  n = 0;
  while ((data = netring_batch_iter_next_data (&iter, &caplen, &wirelen)) != NULL)
    {
      g_assert_cmpuint (caplen, ==, wirelen);
      g_assert_cmpuint (nr_test_frame_seq (data), <=, t->frames.count);
      n++;
    }
  g_assert_cmpuint (n, ==, netring_batch_get_n_packets (batch));
  t->batches++;
  t->largest_batch = MAX (t->largest_batch, n);

  /* The bulk path for bindings: the buffer holds the batch's frames and
   * nothing else of the UMEM, one after the other, where the records say,
   * byte for byte as the iterator sees them; the copy is the same. */
  {
    g_autoptr(GBytes) buffer = netring_batch_get_buffer (batch);
    g_autoptr(GBytes) copy = netring_batch_copy_buffer (batch);
    g_autoptr(GBytes) records = netring_batch_get_records (batch);
    const NetringPacketRecord *rec = g_bytes_get_data (records, NULL);
    const guint8 *bytes = g_bytes_get_data (buffer, NULL);
    gsize at = 0;

    g_assert_cmpuint (g_bytes_get_size (records), ==, n * sizeof (NetringPacketRecord));
    g_assert_true (g_bytes_equal (buffer, copy));
    netring_batch_iter_init (&iter, batch);
    for (guint i = 0; (data = netring_batch_iter_next_data (&iter, &caplen, &wirelen)) != NULL;
         i++)
      {
        g_assert_cmpuint (rec[i].offset, ==, at);
        g_assert_cmpuint (rec[i].captured_length, ==, caplen);
        g_assert_cmpuint (rec[i].wire_length, ==, wirelen);
        g_assert_cmpmem (bytes + at, caplen, data, caplen);
        at += caplen;
      }
    g_assert_cmpuint (at, ==, g_bytes_get_size (buffer));
  }
}

typedef struct {
  NetringXdpAttachMode attach;
  guint32 count;
  gsize length;
  gboolean main_loop;
} RecvCase;

static void
on_batch_signal (NetringReceiver *receiver, NetringBatch *batch, gpointer user_data)
{
  tally_batch (user_data, batch);
}

static gboolean
hang_guard_cb (gpointer user_data)
{
  g_error ("%s: nothing happened within 20 s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

/* Runs the thread-default main context until *@counter reaches @target (or
 * *@flag is set, when @flag is given), failing after 20 s. */
static void
iterate_until (const guint32 *counter, guint32 target, const gboolean *flag, const char *what)
{
  GSource *guard = g_timeout_source_new_seconds (20);

  g_source_set_callback (guard, hang_guard_cb, (gpointer) what, NULL);
  g_source_attach (guard, g_main_context_get_thread_default ());
  while (flag != NULL ? !*flag : *counter < target)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  g_source_destroy (guard);
  g_source_unref (guard);
}

/* 1, 1000 and 100,000 frames of 64 and 1500 bytes, sent from veth->a by a
 * plain packet socket, received exactly once and byte for byte through
 * the receiver API: ::batch in a main loop, or next_batch_timeout(). The
 * test loads no program: the socket brings its own. The sender stays a
 * window ahead (below the veth and backlog queues), so nothing is dropped
 * for lack of room. */
static void
test_receive (gconstpointer data)
{
  const RecvCase *c = data;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(NetringReceiverStats) rstats = NULL;
  g_autoptr(NetringXdpStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *frame = g_malloc (MAX (c->length, 64));
  NetringReceiver *receiver;
  const guint32 window = 128;
  guint32 sent = 0;
  gulong handler = 0;
  Tally t;
  int fd;

  assert_no_program (veth->b);
  xsk = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_RX, "frame-count", 1024,
                           "attach-mode", c->attach, NULL));
  receiver = NETRING_RECEIVER (xsk);
  g_assert_true (NETRING_IS_RECEIVER (xsk));
  tally_init (&t, veth, c->count, c->length);
  if (c->main_loop)
    {
      handler = g_signal_connect (xsk, "batch", G_CALLBACK (on_batch_signal), &t);
      g_assert_true (netring_receiver_start (receiver, &error));
      g_assert_no_error (error);
      g_assert_true (netring_receiver_is_running (receiver));
    }

  fd = nr_test_sender_open (veth);
  while (sent <= c->count)
    {
      guint32 k = MIN (window, c->count - sent), i;

      for (i = 0; i < k; i++)
        {
          nr_test_frame_fill (frame, c->length, sent + i, veth->mac_a, veth->mac_b);
          nr_test_sender_send (fd, frame, c->length);
        }
      sent += k;
      if (sent == c->count)
        {
          nr_test_frame_fill (frame, 64, c->count, veth->mac_a, veth->mac_b);
          nr_test_sender_send (fd, frame, 64);
          sent++;
        }
      if (c->main_loop)
        {
          if (sent > c->count)
            iterate_until (NULL, 0, &t.frames.marker_seen, "the end marker");
          else
            iterate_until (&t.frames.received, sent, NULL, "receiving a window");
          continue;
        }
      while (sent > c->count ? !t.frames.marker_seen : t.frames.received < sent)
        {
          g_autoptr(NetringBatch) batch =
            netring_receiver_next_batch_timeout (receiver, HANG_GUARD_MS, NULL, &error);

          g_assert_no_error (error);
          g_assert_nonnull (batch);
          tally_batch (&t, batch);
        }
    }
  close (fd);
  if (c->main_loop)
    {
      netring_receiver_stop (receiver);
      g_assert_false (netring_receiver_is_running (receiver));
      g_signal_handler_disconnect (xsk, handler);
    }

  g_assert_cmpuint (t.frames.received, ==, c->count);
  g_test_message ("%" G_GUINT64_FORMAT " batches, up to %" G_GUINT64_FORMAT " frames each",
                  t.batches, t.largest_batch);
  /* nothing else arrives */
  g_assert_null (netring_receiver_next_batch (receiver, &error));
  g_assert_no_error (error);

  rstats = netring_receiver_get_stats (receiver, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rstats->received, ==, (guint64) c->count + 1);
  g_assert_cmpuint (rstats->packets, ==, (guint64) c->count + 1);
  g_assert_cmpuint (rstats->batches, ==, t.batches);
  g_assert_cmpuint (rstats->drops, ==, 0);
  g_assert_cmpuint (rstats->held_batches, ==, 0);
  g_assert_cmpuint (rstats->held_packets, ==, 0);
  stats = get_stats (xsk);
  g_assert_cmpuint (stats->received, ==, (guint64) c->count + 1);
  g_assert_cmpuint (stats->rx_dropped, ==, 0);
  g_assert_cmpuint (stats->rx_ring_full, ==, 0);
  g_assert_cmpuint (stats->received_invalid, ==, 0);
  tally_clear (&t);
  g_clear_object (&xsk);
  assert_no_program (veth->b);
}

/* next_batch_async() and receive_async(), and a wait cancelled half-way:
 * the wait is abandoned without touching the ring, and the next call gets
 * the frame sent after it. */
typedef struct {
  NetringBatch *batch;
  GPtrArray *packets;
  GError *error;
  gboolean done;
} AsyncRecv;

static void
next_batch_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  AsyncRecv *r = user_data;

  r->batch = netring_receiver_next_batch_finish (NETRING_RECEIVER (object), result, &r->error);
  r->done = TRUE;
}

static void
receive_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  AsyncRecv *r = user_data;

  r->packets = netring_receiver_receive_finish (NETRING_RECEIVER (object), result, &r->error);
  r->done = TRUE;
}

static void
test_receive_async (gconstpointer data)
{
  NetringXdpAttachMode attach = GPOINTER_TO_INT (data);
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  NetringReceiver *receiver;
  AsyncRecv r = { 0 };
  Tally t;
  gint64 start;
  guint i;

  xsk = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_RX, "attach-mode", attach,
                           NULL));
  receiver = NETRING_RECEIVER (xsk);
  tally_init (&t, veth, 3, 100);

  /* a wait, cancelled */
  netring_receiver_next_batch_async (receiver, cancellable, next_batch_cb, &r);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 50 * G_TIME_SPAN_MILLISECOND)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (r.done);
  g_cancellable_cancel (cancellable);
  iterate_until (NULL, 0, &r.done, "the cancelled wait");
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (r.batch);
  g_clear_error (&r.error);

  /* the next call works: a zero-copy batch */
  memset (&r, 0, sizeof r);
  netring_receiver_next_batch_async (receiver, NULL, next_batch_cb, &r);
  nr_test_send_frames (veth, 0, 1, 100);
  iterate_until (NULL, 0, &r.done, "next_batch_async");
  g_assert_no_error (r.error);
  tally_batch (&t, r.batch);
  g_clear_pointer (&r.batch, netring_batch_unref);

  /* owned copies, which outlive the frames they came from */
  memset (&r, 0, sizeof r);
  netring_receiver_receive_async (receiver, NULL, receive_cb, &r);
  nr_test_send_frames (veth, 1, 2, 100);
  iterate_until (NULL, 0, &r.done, "receive_async");
  g_assert_no_error (r.error);
  for (i = 0; i < r.packets->len; i++)
    {
      NetringPacket *p = g_ptr_array_index (r.packets, i);
      gsize len;
      const guint8 *bytes = netring_packet_get_data (p, &len);

      g_assert_true (netring_packet_is_detached (p));
      tally_frame (&t, bytes, len);
    }
  g_clear_pointer (&r.packets, g_ptr_array_unref);
  while (t.frames.received < 3)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch =
        netring_receiver_next_batch_timeout (receiver, HANG_GUARD_MS, NULL, &error);

      g_assert_no_error (error);
      tally_batch (&t, batch);
    }
  g_assert_cmpuint (t.frames.received, ==, 3);
  tally_clear (&t);
}

static gpointer
unref_batch_thread (gpointer data)
{
  netring_batch_unref (data);
  return NULL;
}

/* A batch held across close() stays readable byte for byte and keeps the
 * UMEM, while the socket, its queue and the program go at once (another
 * socket binds the queue at once); released afterwards, from another
 * thread, it frees the UMEM. */
static void
test_receive_held_across_close (gconstpointer data)
{
  NetringXdpAttachMode attach = GPOINTER_TO_INT (data);
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(NetringXdpSocket) next = NULL;
  g_autoptr(GPtrArray) batches = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringPacket) packet = NULL;
  NetringReceiver *receiver;
  GThread *thread;
  guint32 held = 0;
  Tally t;
  guint i;

  xsk = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_RX, "frame-count", 128,
                           "attach-mode", attach, NULL));
  receiver = NETRING_RECEIVER (xsk);
  nr_test_send_frames (veth, 0, 50, 1500);
  while (held < 50)
    {
      NetringBatch *batch = netring_receiver_next_batch_timeout (receiver, HANG_GUARD_MS, NULL,
                                                                 &error);

      g_assert_no_error (error);
      held += netring_batch_get_n_packets (batch);
      g_ptr_array_add (batches, batch);
    }
  g_assert_cmpuint (held, ==, 50);
  {
    g_autoptr(NetringReceiverStats) stats = netring_receiver_get_stats (receiver, &error);
    g_assert_cmpuint (stats->held_batches, ==, batches->len);
    g_assert_cmpuint (stats->held_packets, ==, 50);
  }
  packet = netring_batch_get_packet (g_ptr_array_index (batches, 0), 0);

  g_assert_true (netring_receiver_close (receiver, &error));
  g_assert_no_error (error);
  assert_no_program (veth->b);
  g_assert_cmpint (netring_xdp_socket_get_fd (xsk), ==, -1);
  g_assert_null (netring_receiver_next_batch (receiver, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  /* the queue is free for another socket at once */
  next = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_RX, "attach-mode", attach,
                            NULL));
  nr_test_send_frames (veth, 100, 20, 1500); /* for the new socket; must not touch the old UMEM */
  g_clear_object (&xsk); /* the batches keep what they need */

  tally_init (&t, veth, 50, 1500);
  for (i = 0; i < batches->len; i++)
    tally_batch (&t, g_ptr_array_index (batches, i));
  g_assert_cmpuint (t.frames.received, ==, 50);
  {
    gsize len;
    const guint8 *bytes = netring_packet_get_data (packet, &len);
    g_assert_true (nr_test_frame_check (bytes, len, nr_test_frame_seq (bytes), veth->mac_a,
                                        veth->mac_b));
  }
  tally_clear (&t);
  /* released here and in another thread */
  thread = g_thread_new ("unref", unref_batch_thread, g_ptr_array_steal_index (batches, 0));
  g_thread_join (thread);
  while (batches->len > 0)
    netring_batch_unref (g_ptr_array_steal_index (batches, 0));
  g_clear_pointer (&packet, netring_packet_unref); /* the last one: the UMEM goes */

  /* the new socket got its 20 frames */
  tally_init (&t, veth, 120, 1500);
  while (t.frames.received < 20)
    {
      g_autoptr(NetringBatch) batch =
        netring_receiver_next_batch_timeout (NETRING_RECEIVER (next), HANG_GUARD_MS, NULL,
                                             &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      g_assert_no_error (error);
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          g_assert_cmpuint (nr_test_frame_seq (info.data), >=, 100);
          tally_frame (&t, info.data, info.captured_length);
        }
    }
  tally_clear (&t);
}

/* Every frame the user holds stops reception (the kernel counts what it
 * could not take), the ::batch source then sleeps in poll() (it would spin
 * if it polled the socket), and a release from another thread wakes it. */
typedef struct {
  GPtrArray *kept;
  guint32 received;
  gboolean keep;
  guint64 drops_signalled;
  gboolean all_drops_signalled;
} HoldRun;

static void
on_drops (NetringReceiver *receiver, guint64 new_drops, guint64 total_drops, gpointer user_data)
{
  HoldRun *run = user_data;

  run->drops_signalled += new_drops;
  g_assert_cmpuint (run->drops_signalled, ==, total_drops);
  run->all_drops_signalled = run->drops_signalled >= 36;
}

static void
on_batch_keep (NetringReceiver *receiver, NetringBatch *batch, gpointer user_data)
{
  HoldRun *run = user_data;

  run->received += netring_batch_get_n_packets (batch);
  if (run->keep)
    g_ptr_array_add (run->kept, netring_batch_keep (batch));
}

typedef struct {
  GPtrArray *kept;
  const NrTestVeth *veth;
  int loop_tid;
} ReleaseJob;

/* Once the loop's thread sleeps in poll(), releases what it holds and
 * sends more frames. */
static gpointer
release_when_parked (gpointer data)
{
  ReleaseJob *job = data;

  nr_test_thread_wait_parked (job->loop_tid);
  g_ptr_array_unref (job->kept);
  nr_test_send_frames (job->veth, 100, 10, 64);
  return NULL;
}

static void
test_receive_held (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringXdpStats) stats = NULL;
  g_autoptr(NetringReceiverStats) rstats = NULL;
  NetringReceiver *receiver;
  HoldRun run = { 0 };
  ReleaseJob job;
  GThread *thread;

  xsk = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_RX, "frame-count", 64, NULL));
  receiver = NETRING_RECEIVER (xsk);
  run.kept = g_ptr_array_new_with_free_func ((GDestroyNotify) netring_batch_unref);
  run.keep = TRUE;
  g_signal_connect (xsk, "batch", G_CALLBACK (on_batch_keep), &run);
  g_signal_connect (xsk, "drops", G_CALLBACK (on_drops), &run);
  g_assert_true (netring_receiver_start (receiver, &error));

  /* 64 frames fill the pool; the next 36 have nowhere to go */
  nr_test_send_frames (veth, 0, 100, 64);
  iterate_until (&run.received, 64, NULL, "64 frames");
  rstats = netring_receiver_get_stats (receiver, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rstats->held_packets, ==, 64);
  g_assert_cmpuint (rstats->drops, ==, 36);
  g_assert_cmpuint (rstats->packets, ==, 100);
  g_assert_cmpuint (rstats->freezes, >=, 1);
  stats = get_stats (xsk);
  g_assert_cmpuint (stats->received, ==, 64);
  g_assert_cmpuint (stats->rx_dropped + stats->rx_ring_full, ==, 36);
  /* ::drops tells, within about a second, while everything is held */
  iterate_until (NULL, 0, &run.all_drops_signalled, "::drops");
  g_assert_cmpuint (run.drops_signalled, ==, 36);

  /* another thread waits until this one sleeps in poll(), then releases;
   * the release must wake the loop, or the next frames would never be
   * seen */
  run.keep = FALSE;
  job.kept = g_steal_pointer (&run.kept);
  job.veth = veth;
  job.loop_tid = nr_test_gettid ();
  thread = g_thread_new ("release", release_when_parked, &job);
  iterate_until (&run.received, 74, NULL, "frames after the release");
  g_thread_join (thread);
  netring_receiver_stop (receiver);
}

/* Sockets on every queue of a 4-queue veth, each watched by
 * netring_receiver_add_watch_full() in one main loop: together they
 * receive every frame once, and the flows spread over the queues. */
typedef struct {
  const NrTestVeth *veth;
  guint32 count;
  gsize length;
  guint8 *seen;
  guint32 received;
  guint per_queue[4];
} QueueTally;

typedef struct {
  QueueTally *tally;
  guint queue;
} QueueWatch;

static gboolean
on_queue_batch (NetringReceiver *receiver, NetringBatch *batch, const GError *error,
                gpointer user_data)
{
  QueueWatch *w = user_data;
  QueueTally *t = w->tally;
  NetringBatchIter iter;
  const guint8 *data;
  guint32 len;
  g_autofree guint8 *expected = g_malloc (t->length);

  g_assert_no_error (error);
  netring_batch_iter_init (&iter, batch);
  while ((data = netring_batch_iter_next_data (&iter, &len, NULL)) != NULL)
    {
      guint32 seq = nr_test_udp_frame_seq (data);

      g_assert_cmpuint (len, ==, t->length);
      g_assert_cmpuint (seq, <, t->count);
      nr_test_udp_frame_fill (expected, t->length, seq, 0x0a000001, 0x0a000002,
                              (guint16) (1024 + seq % 64), 9, t->veth->mac_a, t->veth->mac_b);
      g_assert_cmpmem (data, len, expected, t->length);
      if (t->seen[seq])
        g_error ("frame %u arrived twice", seq);
      t->seen[seq] = 1;
      t->received++;
      t->per_queue[w->queue]++;
    }
  return G_SOURCE_CONTINUE;
}

static void
test_receive_all_queues (gconstpointer data)
{
  NetringXdpAttachMode attach = GPOINTER_TO_INT (data);
  const guint queues = 4;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new_multiqueue (queues);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sockets = NULL;
  const gchar *names[] = { "mode", "frame-count", "frame-size", "attach-mode" };
  GValue values[4] = { G_VALUE_INIT, G_VALUE_INIT, G_VALUE_INIT, G_VALUE_INIT };
  g_autofree guint8 *frame = NULL;
  QueueWatch watches[4];
  guint ids[4];
  QueueTally t = { 0 };
  guint32 sent = 0;
  guint q, used = 0;
  int fd;

  g_value_init (&values[0], NETRING_TYPE_XDP_MODE);
  g_value_set_enum (&values[0], NETRING_XDP_MODE_RX);
  g_value_init (&values[1], G_TYPE_UINT);
  g_value_set_uint (&values[1], 1024);
  g_value_init (&values[2], G_TYPE_UINT);
  g_value_set_uint (&values[2], 2048);
  g_value_init (&values[3], NETRING_TYPE_XDP_ATTACH_MODE);
  g_value_set_enum (&values[3], attach);
  sockets = netring_xdp_socket_open_all_queues_with_properties (veth->b, G_N_ELEMENTS (names),
                                                                names, values, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sockets->len, ==, queues);

  t.veth = veth;
  t.count = 20000;
  t.length = 200;
  t.seen = g_new0 (guint8, t.count);
  for (q = 0; q < queues; q++)
    {
      watches[q] = (QueueWatch){ &t, q };
      ids[q] = netring_receiver_add_watch_full (g_ptr_array_index (sockets, q), NULL, NULL,
                                                on_queue_batch, &watches[q], NULL);
      g_assert_cmpuint (ids[q], >, 0);
    }

  frame = g_malloc (t.length);
  fd = nr_test_sender_open (veth);
  while (sent < t.count)
    {
      guint32 k = MIN (128, t.count - sent), i;

      for (i = 0; i < k; i++, sent++)
        {
          nr_test_udp_frame_fill (frame, t.length, sent, 0x0a000001, 0x0a000002,
                                  (guint16) (1024 + sent % 64), 9, veth->mac_a, veth->mac_b);
          nr_test_sender_send (fd, frame, t.length);
        }
      iterate_until (&t.received, sent, NULL, "receiving on every queue");
    }
  close (fd);
  for (q = 0; q < queues; q++)
    {
      g_autoptr(NetringXdpStats) stats = get_stats (g_ptr_array_index (sockets, q));

      g_test_message ("queue %u: %u frames", q, t.per_queue[q]);
      if (t.per_queue[q] > 0)
        used++;
      g_assert_cmpuint (stats->received, ==, t.per_queue[q]);
      g_assert_cmpuint (stats->rx_dropped, ==, 0);
      g_source_remove (ids[q]);
    }
  g_assert_cmpuint (t.received, ==, t.count);
  g_assert_cmpuint (used, >=, 2);
  g_free (t.seen);
  for (q = 0; q < G_N_ELEMENTS (values); q++)
    g_value_unset (&values[q]);
  g_clear_pointer (&sockets, g_ptr_array_unref);
  assert_no_program (veth->b);
}

/* A socket without a receive pool says so; a removed interface ends a
 * running receiver with ::error. */
static void
on_error_signal (NetringReceiver *receiver, const GError *error, gpointer user_data)
{
  GError **out = user_data;

  *out = g_error_copy (error);
}

static void
test_receive_errors (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) tx_only = NULL;
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) signalled = NULL;

  tx_only = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_TX, NULL));
  g_assert_null (netring_receiver_next_batch (NETRING_RECEIVER (tx_only), &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "“mode”"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_false (netring_receiver_start (NETRING_RECEIVER (tx_only), &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_clear_error (&error);
  g_clear_object (&tx_only);

  xsk = xdp_open (XDP_NEW (veth->b, 0, NULL));
  g_signal_connect (xsk, "error", G_CALLBACK (on_error_signal), &signalled);
  g_assert_true (netring_receiver_start (NETRING_RECEIVER (xsk), &error));
  nr_test_send_frames (veth, 0, 1, 64);
  nr_test_ip ("link", "del", veth->a, NULL);
  while (signalled == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("%s", signalled->message);
  g_assert_error (signalled, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN);
  g_assert_false (netring_receiver_is_running (NETRING_RECEIVER (xsk)));
  /* sending says so too, at the kick */
  {
    guint8 frame[64] = { 0 };

    g_assert_true (netring_sender_send (NETRING_SENDER (xsk), frame, sizeof frame, &error));
    g_assert_cmpint (netring_sender_flush (NETRING_SENDER (xsk), &error), ==, -1);
    g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN);
    g_test_message ("%s", error->message);
    g_clear_error (&error);
  }
  /* and close still works */
  close_ok (xsk);
}

/* ---- tests: sending (NetringSender) ---------------------------------------------- */

typedef struct {
  NetringXdpAttachMode attach;
  NetringXdpMode mode;
  gsize length;
} SendCase;

static void
wait_writable (NetringSender *sender)
{
  struct pollfd pfd = { netring_sender_get_fd (sender), POLLOUT, 0 };
  int r;

  do
    r = poll (&pfd, 1, HANG_GUARD_MS);
  while (r < 0 && errno == EINTR);
  g_assert_cmpint (r, ==, 1);
}

/* 100,000 frames through netring_sender_send() and flush(), in chunks a
 * window apart; each chunk is handed to the kernel by one flush and then
 * left alone (copy mode sends only when kicked, F17), and the peer counts
 * every frame once, byte for byte. */
static void
test_send_stream (gconstpointer data)
{
  const SendCase *c = data;
  const guint32 count = 100000;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(NetringXdpStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  NetringSender *sender;
  guint8 frame[2048];
  Peer *peer = peer_new (veth, count, c->length);
  guint32 seq = 0, chunk;

  xsk = xdp_open (XDP_NEW (veth->b, 0, "frame-count", 4096, "mode", c->mode, "attach-mode",
                           c->attach, NULL));
  sender = NETRING_SENDER (xsk);
  g_assert_true (NETRING_IS_SENDER (xsk));
  g_assert_cmpuint (netring_sender_get_max_length (sender), ==, 1518); /* MTU + 14 + tag */
  g_assert_cmpuint (netring_sender_get_available (sender), ==,
                    netring_xdp_socket_get_tx_frame_count (xsk));
  chunk = MIN (peer_window (peer), 1024);
  while (seq < count)
    {
      guint32 end = MIN (seq + chunk, count);
      gint flushed;

      peer_throttle (peer, end);
      for (; seq < end; seq++)
        {
          nr_test_frame_fill (frame, c->length, seq, veth->mac_b, veth->mac_a);
          while (!netring_sender_send (sender, frame, c->length, &error))
            {
              g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
              g_clear_error (&error);
              wait_writable (sender);
            }
        }
      flushed = netring_sender_flush (sender, &error);
      g_assert_no_error (error);
      g_assert_cmpint (flushed, <=, (gint) chunk);
    }
  g_assert_true (netring_sender_wait_drained (sender, 10000, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (netring_sender_get_pending (sender), ==, 0);
  peer_finish (peer);

  stats = get_stats (xsk);
  g_assert_cmpuint (stats->queued, ==, count);
  g_assert_cmpuint (stats->sent, ==, count);
  g_assert_cmpuint (stats->rejected, ==, 0);
  g_assert_cmpuint (stats->device_dropped, ==, 0);
  g_assert_cmpuint (stats->tx_invalid_descs, ==, 0);
}

/* F17: one flush hands far more than the kernel's 32 frames per call to
 * it, and nothing touches the socket afterwards, yet every frame arrives
 * (in copy mode the kernel sends only while it is kicked). */
static void
test_send_one_flush (gconstpointer data)
{
  NetringXdpAttachMode attach = GPOINTER_TO_INT (data);
  const guint32 count = 1000;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(GError) error = NULL;
  NetringSender *sender;
  guint8 frame[64];
  Peer *peer = peer_new (veth, count, sizeof frame);
  guint32 seq;

  xsk = xdp_open (XDP_NEW (veth->b, 0, "frame-count", 2048, "attach-mode", attach, NULL));
  g_assert_false (netring_xdp_socket_get_zero_copy (xsk));
  sender = NETRING_SENDER (xsk);
  g_assert_cmpuint (netring_sender_get_available (sender), >=, count);
  for (seq = 0; seq < count; seq++)
    {
      nr_test_frame_fill (frame, sizeof frame, seq, veth->mac_b, veth->mac_a);
      g_assert_true (netring_sender_send (sender, frame, sizeof frame, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (peer_received (peer), ==, 0); /* nothing left before the kick */
  g_assert_cmpint (netring_sender_flush (sender, &error), ==, (gint) count);
  g_assert_no_error (error);
  peer_finish (peer);
  g_assert_cmpint (netring_sender_flush (sender, &error), ==, 0);
}

/* send_async() against a small UMEM (64 frames in all): 100,000 calls,
 * 256 outstanding at a time, a flush every 64 completions; every frame
 * arrives once, and the calls complete in order. */
typedef struct {
  NetringXdpSocket *xsk;
  const NrTestVeth *veth;
  Peer *peer;
  GMainLoop *loop;
  guint32 count;
  gsize length;
  guint32 issued;
  guint32 completed;
  gboolean drained;
  GError *error;
} AsyncRun;

static void async_pump (AsyncRun *run);

static void
async_drained_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  AsyncRun *run = user_data;

  g_assert_true (netring_sender_wait_drained_finish (NETRING_SENDER (object), result,
                                                     &run->error));
  g_main_loop_quit (run->loop);
}

static void
async_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  AsyncRun *run = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (netring_sender_send_finish (NETRING_SENDER (object), result, &error));
  g_assert_no_error (error);
  run->completed++;
  if (run->completed % 64 == 0)
    {
      g_assert_cmpint (netring_sender_flush (NETRING_SENDER (object), &error), >=, 0);
      g_assert_no_error (error);
    }
  async_pump (run);
}

static void
async_pump (AsyncRun *run)
{
  NetringSender *sender = NETRING_SENDER (run->xsk);
  guint8 buffer[2048];

  while (run->issued < run->count && run->issued - run->completed < 256)
    {
      g_autoptr(GBytes) bytes = NULL;

      if (run->issued % 1024 == 0)
        {
          /* what is queued must be on its way before we wait for it */
          g_assert_cmpint (netring_sender_flush (sender, NULL), >=, 0);
          peer_throttle (run->peer, run->issued);
        }
      nr_test_frame_fill (buffer, run->length, run->issued, run->veth->mac_b,
                          run->veth->mac_a);
      bytes = g_bytes_new (buffer, run->length);
      run->issued++;
      netring_sender_send_async (sender, bytes, NULL, async_sent_cb, run);
    }
  if (run->completed == run->count && !run->drained)
    {
      run->drained = TRUE;
      netring_sender_wait_drained_async (sender, 10000, NULL, async_drained_cb, run);
    }
}

static void
test_send_async_small_ring (gconstpointer data)
{
  NetringXdpAttachMode attach = GPOINTER_TO_INT (data);
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(NetringXdpStats) stats = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  AsyncRun run = { 0 };

  /* rx-tx: 32 frames to send with; the redirect program in @attach */
  xsk = xdp_open (XDP_NEW (veth->b, 0, "frame-count", 64, "attach-mode", attach, NULL));
  g_assert_cmpuint (netring_xdp_socket_get_tx_frame_count (xsk), ==, 32);
  run.xsk = xsk;
  run.veth = veth;
  run.loop = loop;
  run.count = 100000;
  run.length = 64;
  run.peer = peer_new (veth, run.count, run.length);
  async_pump (&run);
  g_main_loop_run (loop);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.completed, ==, run.count);
  peer_finish (run.peer);
  stats = get_stats (xsk);
  g_assert_cmpuint (stats->queued, ==, run.count);
  g_assert_cmpuint (stats->sent, ==, run.count);
}

static void
cancel_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;

  if (netring_sender_send_finish (NETRING_SENDER (object), result, error))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "sent");
}

/* A send_async() call cancelled while it waits for room sends nothing,
 * and the next call works.
 *
 * Copy mode gives a frame back when the kernel frees its buffer, which on
 * veth happens as soon as the peer has received it: AF_XDP bypasses the
 * qdisc of its own device, so there is nothing to throttle there. The
 * frames are held on the peer instead: its ingress redirects them to a
 * second veth pair whose token bucket (8 bit/s) keeps them; they keep
 * their send-pool frames until they leave it. The peer's packet socket
 * sees each frame once, before the redirect. */
static void
test_send_async_cancel (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NrTestVeth) park = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) result = NULL;
  g_autoptr(GError) result2 = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) doomed = NULL;
  g_autoptr(GBytes) next = NULL;
  NetringSender *sender;
  guint8 frame[64];
  Peer *peer = peer_new (veth, 1000, sizeof frame);
  guint32 seq = 0;
  gint64 start;

  nr_test_tc ("qdisc", "add", "dev", park->a, "root", "tbf", "rate", "8bit", "burst", "2000",
              "limit", "1000000", NULL);
  nr_test_tc ("qdisc", "add", "dev", veth->a, "ingress", NULL);
  nr_test_tc ("filter", "add", "dev", veth->a, "parent", "ffff:", "protocol", "all", "u32",
              "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", park->a,
              NULL);

  xsk = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_TX, "frame-count", 8, NULL));
  sender = NETRING_SENDER (xsk);

  /* Send until the send pool is empty: the token bucket lets the first
   * ~30 frames through (their frames come back), then holds every frame. */
  for (;;)
    {
      nr_test_frame_fill (frame, sizeof frame, seq, veth->mac_b, veth->mac_a);
      if (netring_sender_send (sender, frame, sizeof frame, &error))
        {
          seq++;
          g_assert_cmpuint (seq, <, 1000);
          continue;
        }
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_test_message ("%s", error->message);
      g_clear_error (&error);
      break;
    }
  /* every frame sent went through the peer (before the redirect), and all
   * eight frames of the pool are held by the bucket */
  peer_wait_for (peer, seq);
  g_assert_cmpuint (netring_sender_get_pending (sender), ==, 8);
  g_assert_cmpuint (netring_sender_get_available (sender), ==, 0);

  /* this one waits for room, then is cancelled: it must never appear */
  nr_test_frame_fill (frame, sizeof frame, 0xdead, veth->mac_b, veth->mac_a);
  doomed = g_bytes_new (frame, sizeof frame);
  netring_sender_send_async (sender, doomed, cancellable, cancel_sent_cb, &result);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 100 * G_TIME_SPAN_MILLISECOND)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (result);
  /* synchronous sends do not overtake it */
  g_assert_false (netring_sender_send (sender, frame, sizeof frame, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* the next call works: it waits, and goes out once the bucket lets go
   * (deleting it frees what it held) */
  nr_test_frame_fill (frame, sizeof frame, seq, veth->mac_b, veth->mac_a);
  next = g_bytes_new (frame, sizeof frame);
  netring_sender_send_async (sender, next, NULL, cancel_sent_cb, &result2);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 50 * G_TIME_SPAN_MILLISECOND)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (result2);
  nr_test_tc ("qdisc", "del", "dev", park->a, "root", NULL);
  while (result2 == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (result2, G_IO_ERROR, G_IO_ERROR_FAILED); /* i.e. sent */
  g_assert_true (netring_sender_wait_drained (sender, 5000, NULL, &error));
  g_assert_no_error (error);
  peer_expect (peer, seq + 1);
  peer_finish (peer);
}

/* Receiving and sending at once on one socket under load (F11): a thread
 * floods the socket with 100,000 frames while the main loop receives them
 * (::batch) and sends 100,000 full-size frames (1514 bytes: a whole UMEM
 * frame's worth of data for the link) back with send_async(). Neither
 * direction starves the other: every received frame is taken once, every
 * sent frame arrives once at the peer. */
typedef struct {
  const NrTestVeth *veth;
  guint32 count;
  GMutex lock;
  GCond cond;
  guint32 received;  /* under lock (the main thread's tally) */
} Flood;

static gpointer
flood_thread (gpointer data)
{
  Flood *f = data;
  guint8 frame[64];
  int fd = nr_test_sender_open (f->veth);
  guint32 seq;

  for (seq = 0; seq <= f->count; seq++)
    {
      gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

      g_mutex_lock (&f->lock);
      while (seq > f->received + 128)
        if (!g_cond_wait_until (&f->cond, &f->lock, deadline))
          g_error ("the socket took nothing for 20 s (%u received)", f->received);
      g_mutex_unlock (&f->lock);
      /* the last one is the end marker */
      nr_test_frame_fill (frame, 64, seq, f->veth->mac_a, f->veth->mac_b);
      nr_test_sender_send (fd, frame, 64);
    }
  close (fd);
  return NULL;
}

typedef struct {
  Tally tally;
  Flood *flood;
} RxTxRecv;

static void
on_batch_rxtx (NetringReceiver *receiver, NetringBatch *batch, gpointer user_data)
{
  RxTxRecv *r = user_data;

  tally_batch (&r->tally, batch);
  g_mutex_lock (&r->flood->lock);
  r->flood->received = r->tally.frames.received;
  g_cond_signal (&r->flood->cond);
  g_mutex_unlock (&r->flood->lock);
}

static void
test_rx_tx_at_once (gconstpointer data)
{
  NetringXdpAttachMode attach = GPOINTER_TO_INT (data);
  const guint32 count = 100000;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(NetringXdpStats) stats = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  Flood flood = { 0 };
  RxTxRecv recv = { 0 };
  AsyncRun run = { 0 };
  GThread *thread;

  xsk = xdp_open (XDP_NEW (veth->b, 0, "frame-count", 1024, "attach-mode", attach, NULL));
  flood.veth = veth;
  flood.count = count;
  g_mutex_init (&flood.lock);
  g_cond_init (&flood.cond);
  tally_init (&recv.tally, veth, count, 64);
  recv.flood = &flood;
  g_signal_connect (xsk, "batch", G_CALLBACK (on_batch_rxtx), &recv);
  g_assert_true (netring_receiver_start (NETRING_RECEIVER (xsk), &error));

  run.xsk = xsk;
  run.veth = veth;
  run.loop = loop;
  run.count = count;
  run.length = 1514;
  run.peer = peer_new (veth, count, run.length);
  thread = g_thread_new ("flood", flood_thread, &flood);
  async_pump (&run);
  g_main_loop_run (loop); /* until every frame is sent and drained */
  g_assert_no_error (run.error);
  iterate_until (NULL, 0, &recv.tally.frames.marker_seen, "the end of the flood");
  g_thread_join (thread);
  netring_receiver_stop (NETRING_RECEIVER (xsk));
  peer_finish (run.peer);

  g_assert_cmpuint (recv.tally.frames.received, ==, count);
  stats = get_stats (xsk);
  {
    g_autofree char *text = netring_xdp_stats_to_string (stats);
    g_test_message ("%s", text);
  }
  g_assert_cmpuint (stats->received, ==, count + 1);
  g_assert_cmpuint (stats->rx_dropped, ==, 0);
  g_assert_cmpuint (stats->sent, ==, count);
  g_assert_cmpuint (stats->tx_invalid_descs, ==, 0);
  tally_clear (&recv.tally);
  g_mutex_clear (&flood.lock);
  g_cond_clear (&flood.cond);
}

/* Frames the socket refuses, each with its reason, counted, and nothing of
 * them on the wire; the zero-copy path (reserve, commit, abort); the MTU
 * read again before a refusal. */
static void
test_send_refused (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(NetringXdpSocket) rx_only = NULL;
  g_autoptr(NetringXdpStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  NetringSender *sender;
  g_autofree guint8 *big = g_malloc0 (4096);
  Peer *peer = peer_new (veth, 1, 1514);
  guint available;
  guint8 *slot;

  xsk = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_TX, NULL));
  sender = NETRING_SENDER (xsk);
  available = netring_sender_get_available (sender);
  g_assert_cmpuint (netring_sender_get_max_length (sender), ==, 1518);

  g_assert_false (netring_sender_send (sender, big, 0, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  /* 1515: one byte over the MTU + Ethernet header, untagged */
  nr_test_frame_fill (big, 1515, 9, veth->mac_b, veth->mac_a);
  g_assert_false (netring_sender_send (sender, big, 1515, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, veth->b));
  g_assert_nonnull (strstr (error->message, "1500"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_false (netring_sender_send (sender, big, 2049, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "“frame-size”"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_cmpuint (netring_sender_get_available (sender), ==, available);

  /* an 802.1Q-tagged frame may be 4 bytes longer (not a test frame: the
   * peer ignores it) */
  memset (big, 0, 1518);
  big[12] = 0x81;
  g_assert_true (netring_sender_send (sender, big, 1518, &error));
  g_assert_no_error (error);

  /* reserve, then a commit too long for the link: the frame comes back */
  slot = netring_sender_reserve (sender, 1518, &error);
  g_assert_no_error (error);
  g_assert_nonnull (slot);
  nr_test_frame_fill (slot, 1518, 7, veth->mac_b, veth->mac_a); /* untagged: 1514 at most */
  g_assert_false (netring_sender_commit (sender, 1518, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* reserve and abort; a reservation of nothing */
  slot = netring_sender_reserve (sender, 100, &error);
  g_assert_nonnull (slot);
  netring_sender_abort (sender);
  g_assert_null (netring_sender_reserve (sender, 0, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* all back but the tagged frame, which waits for a flush */
  g_assert_cmpuint (netring_sender_get_available (sender), ==, available - 1);
  g_assert_cmpuint (netring_sender_get_pending (sender), ==, 1);
  /* a raised MTU is honoured at once */
  nr_test_ip ("link", "set", "dev", veth->a, "mtu", "1600", NULL);
  nr_test_ip ("link", "set", "dev", veth->b, "mtu", "1600", NULL);
  big[12] = 0x88;
  big[13] = 0xb6;
  g_assert_true (netring_sender_send (sender, big, 1600, &error));
  g_assert_no_error (error);
  g_assert_cmpint (netring_sender_flush (sender, &error), ==, 2);
  g_assert_true (netring_sender_wait_drained (sender, 5000, NULL, &error));
  nr_test_ip ("link", "set", "dev", veth->b, "mtu", "1500", NULL);
  nr_test_ip ("link", "set", "dev", veth->a, "mtu", "1500", NULL);

  /* and one frame built in place, the one the peer waits for */
  slot = netring_sender_reserve (sender, 1514, &error);
  g_assert_no_error (error);
  nr_test_frame_fill (slot, 1514, 0, veth->mac_b, veth->mac_a);
  g_assert_true (netring_sender_commit (sender, 1514, &error));
  g_assert_no_error (error);
  g_assert_cmpint (netring_sender_flush (sender, &error), ==, 1);
  g_assert_true (netring_sender_wait_drained (sender, 5000, NULL, &error));
  peer_finish (peer);

  stats = get_stats (xsk);
  g_assert_cmpuint (stats->rejected, ==, 5);
  g_assert_cmpuint (stats->queued, ==, 3);
  g_assert_cmpuint (stats->sent, ==, 3);
  g_assert_cmpuint (stats->device_dropped, ==, 0);

  /* a socket without a send pool says so */
  g_clear_object (&xsk);
  rx_only = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_RX, NULL));
  g_assert_cmpuint (netring_sender_get_max_length (NETRING_SENDER (rx_only)), ==, 0);
  g_assert_cmpuint (netring_sender_get_available (NETRING_SENDER (rx_only)), ==, 0);
  g_assert_false (netring_sender_send (NETRING_SENDER (rx_only), big, 64, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "“mode”"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_cmpint (netring_sender_flush (NETRING_SENDER (rx_only), &error), ==, 0);
  g_assert_no_error (error);
}

/* Frames queued but never flushed go out when the socket is closed
 * (close hands them to the kernel); the counters say none was
 * discarded. Sending after close says closed. */
static void
test_send_close_flushes (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(NetringXdpStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  guint8 frame[100];
  Peer *peer = peer_new (veth, 200, sizeof frame);
  guint32 seq;

  xsk = xdp_open (XDP_NEW (veth->b, 0, "mode", NETRING_XDP_MODE_TX, NULL));
  for (seq = 0; seq < 200; seq++)
    {
      nr_test_frame_fill (frame, sizeof frame, seq, veth->mac_b, veth->mac_a);
      g_assert_true (netring_sender_send (NETRING_SENDER (xsk), frame, sizeof frame, &error));
    }
  g_assert_true (netring_sender_close (NETRING_SENDER (xsk), &error));
  g_assert_no_error (error);
  peer_finish (peer);
  stats = get_stats (xsk);
  g_assert_cmpuint (stats->queued, ==, 200);
  g_assert_cmpuint (stats->discarded, ==, 0);
  g_assert_false (netring_sender_send (NETRING_SENDER (xsk), frame, sizeof frame, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_cmpint (netring_sender_get_fd (NETRING_SENDER (xsk)), ==, -1);
}

/* ---- main ---------------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  static const NetringXdpAttachMode attaches[] = { NETRING_XDP_ATTACH_MODE_NATIVE,
                                                   NETRING_XDP_ATTACH_MODE_GENERIC };
  int fd;

  g_test_init (&argc, &argv, NULL);
  nr_test_net_enter_or_skip ("test-xdp-socket");
  fd = socket (AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      printf ("1..0 # SKIP no AF_XDP sockets: %s\n", g_strerror (errno));
      return NR_TEST_SKIP_STATUS;
    }
  close (fd);

  g_test_add_func ("/xdp-socket/validation", test_validation);
  g_test_add_func ("/xdp-socket/defaults", test_defaults);
  g_test_add_func ("/xdp-socket/readiness", test_readiness);
  g_test_add_func ("/xdp-socket/promiscuous", test_promiscuous);
  g_test_add_func ("/xdp-socket/errors", test_errors);
  g_test_add_func ("/xdp-socket/xskmap-too-small", test_xskmap_too_small);
  g_test_add_func ("/xdp-socket/all-queues/defaults", test_all_queues_defaults);
  for (guint a = 0; a < G_N_ELEMENTS (attaches); a++)
    {
      const char *name = attach_name (attaches[a]);
      gconstpointer data = GINT_TO_POINTER (attaches[a]);
      g_autofree char *p1 = g_strdup_printf ("/xdp-socket/properties/%s", name);
      g_autofree char *p2 = g_strdup_printf ("/xdp-socket/stats/%s", name);
      g_autofree char *p3 = g_strdup_printf ("/xdp-socket/foreign-program/%s", name);
      g_autofree char *p4 = g_strdup_printf ("/xdp-socket/all-queues/%s", name);

      g_test_add_data_func (p1, data, test_properties);
      g_test_add_data_func (p2, data, test_stats);
      g_test_add_data_func (p3, data, test_foreign_program);
      g_test_add_data_func (p4, data, test_all_queues);
    }
  for (guint a = 0; a < G_N_ELEMENTS (attaches); a++)
    {
      const char *name = attach_name (attaches[a]);
      gconstpointer data = GINT_TO_POINTER (attaches[a]);
      g_autofree char *p1 = g_strdup_printf ("/xdp-socket/send/one-flush/%s", name);
      g_autofree char *p2 = g_strdup_printf ("/xdp-socket/send-async/small-ring/%s", name);

      g_autofree char *p3 = g_strdup_printf ("/xdp-socket/rx-tx-at-once/%s", name);

      g_test_add_data_func (p1, data, test_send_one_flush);
      g_test_add_data_func (p2, data, test_send_async_small_ring);
      g_test_add_data_func (p3, data, test_rx_tx_at_once);
    }
  {
    static const SendCase send_cases[] = {
      { NETRING_XDP_ATTACH_MODE_NATIVE, NETRING_XDP_MODE_RX_TX, 64 },
      { NETRING_XDP_ATTACH_MODE_NATIVE, NETRING_XDP_MODE_RX_TX, 1500 },
      { NETRING_XDP_ATTACH_MODE_GENERIC, NETRING_XDP_MODE_RX_TX, 64 },
      { NETRING_XDP_ATTACH_MODE_GENERIC, NETRING_XDP_MODE_RX_TX, 1500 },
      { NETRING_XDP_ATTACH_MODE_AUTO, NETRING_XDP_MODE_TX, 1500 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (send_cases); i++)
      {
        const SendCase *c = &send_cases[i];
        g_autofree char *path = g_strdup_printf (
          "/xdp-socket/send/stream/%s/%s/%zu",
          c->mode == NETRING_XDP_MODE_TX ? "tx" : "rx-tx",
          c->attach == NETRING_XDP_ATTACH_MODE_AUTO ? "none" : attach_name (c->attach),
          c->length);
        g_test_add_data_func (path, c, test_send_stream);
      }
  }
  {
    static const guint32 counts[] = { 1, 1000, 100000 };
    static const gsize lengths[] = { 64, 1500 };
    static RecvCase recv_cases[2 * G_N_ELEMENTS (counts) * G_N_ELEMENTS (lengths) * 2];
    guint n = 0;

    for (guint a = 0; a < G_N_ELEMENTS (attaches); a++)
      for (guint l = 0; l < G_N_ELEMENTS (lengths); l++)
        for (guint c = 0; c < G_N_ELEMENTS (counts); c++)
          for (guint m = 0; m < 2; m++)
            {
              RecvCase *rc = &recv_cases[n++];
              g_autofree char *path = NULL;

              *rc = (RecvCase){ attaches[a], counts[c], lengths[l], m == 0 };
              path = g_strdup_printf ("/xdp-socket/receive/%s/%s/%zu/%u",
                                      m == 0 ? "batch-signal" : "next-batch-timeout",
                                      attach_name (attaches[a]), lengths[l], counts[c]);
              g_test_add_data_func (path, rc, test_receive);
            }
  }
  for (guint a = 0; a < G_N_ELEMENTS (attaches); a++)
    {
      const char *name = attach_name (attaches[a]);
      gconstpointer data = GINT_TO_POINTER (attaches[a]);
      g_autofree char *p1 = g_strdup_printf ("/xdp-socket/receive/async/%s", name);
      g_autofree char *p2 = g_strdup_printf ("/xdp-socket/receive/held-across-close/%s", name);

      g_test_add_data_func (p1, data, test_receive_async);
      g_test_add_data_func (p2, data, test_receive_held_across_close);
    }
  g_test_add_func ("/xdp-socket/receive/held", test_receive_held);
  g_test_add_func ("/xdp-socket/receive/errors", test_receive_errors);
  for (guint a = 0; a < G_N_ELEMENTS (attaches); a++)
    {
      g_autofree char *p = g_strdup_printf ("/xdp-socket/receive/all-queues/%s",
                                            attach_name (attaches[a]));
      g_test_add_data_func (p, GINT_TO_POINTER (attaches[a]), test_receive_all_queues);
    }
  g_test_add_func ("/xdp-socket/send/refused", test_send_refused);
  g_test_add_func ("/xdp-socket/send-async/cancel", test_send_async_cancel);
  g_test_add_func ("/xdp-socket/send/close-flushes", test_send_close_flushes);
  return g_test_run ();
}
