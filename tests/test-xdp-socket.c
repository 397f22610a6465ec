/* test-xdp-socket.c: NetringXdpSocket on real veth pairs in a private
 * network namespace, native and generic attach modes: the settings and
 * their rules, every kind of open failure as the error the user sees, what
 * the socket reports it got (checked against the kernel: bpf_xdp_query,
 * `ip link show`), readiness and close, promiscuous mode, statistics, and
 * sockets on every queue of an interface.
 *
 * Frames are sent by the fixture's plain AF_PACKET socket on veth->a. The
 * receive side of the socket is not part of this object yet, so a frame
 * that reached the socket is seen through its descriptor (POLLIN) and the
 * kernel's XDP_STATISTICS. */
#define _GNU_SOURCE
#include "config.h"

#include <netring/netring.h>

#include "nr-test-net.h"

#include <glib-object.h>
#include <gobject/gvaluecollector.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* ---- foreign programs (somebody else's) ----------------------------------------- */

static int
load_xdp_program (const struct bpf_insn *insns, size_t count)
{
  LIBBPF_OPTS (bpf_prog_load_opts, opts);
  int fd = bpf_prog_load (BPF_PROG_TYPE_XDP, "nrtest_other", "GPL", insns, count, &opts);

  g_assert_cmpint (fd, >=, 0);
  return fd;
}

/* return XDP_PASS */
static int
load_pass_program (void)
{
  const struct bpf_insn insns[] = {
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
    { .code = BPF_JMP | BPF_EXIT },
  };
  return load_xdp_program (insns, G_N_ELEMENTS (insns));
}

/* return bpf_redirect_map (&map, ctx->rx_queue_index, XDP_PASS) */
static int
load_redirect_program (int map_fd)
{
  const struct bpf_insn insns[] = {
    { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_1,
      .off = offsetof (struct xdp_md, rx_queue_index) },
    { .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD,
      .imm = map_fd },
    { 0 },
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = XDP_PASS },
    { .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map },
    { .code = BPF_JMP | BPF_EXIT },
  };
  return load_xdp_program (insns, G_N_ELEMENTS (insns));
}

static void
attach_foreign (int ifindex, int prog_fd, NetringXdpAttachMode mode)
{
  guint32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST | (mode == NETRING_XDP_ATTACH_MODE_NATIVE
                                                   ? XDP_FLAGS_DRV_MODE
                                                   : XDP_FLAGS_SKB_MODE);
  g_assert_no_errno (bpf_xdp_attach (ifindex, prog_fd, flags, NULL));
}

static guint32
prog_id_of (int prog_fd)
{
  struct bpf_prog_info info;
  __u32 len = sizeof info;

  memset (&info, 0, sizeof info);
  g_assert_no_errno (bpf_obj_get_info_by_fd (prog_fd, &info, &len));
  return info.id;
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
  int prog_fd = load_pass_program ();
  guint32 prog_id = prog_id_of (prog_fd);
  int map_fd, redirect_fd;
  LIBBPF_OPTS (bpf_xdp_query_opts, opts);

  attach_foreign (veth->ifindex_b, prog_fd, attach);
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
  redirect_fd = load_redirect_program (map_fd);
  prog_id = prog_id_of (redirect_fd);
  attach_foreign (veth->ifindex_b, redirect_fd, attach);
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
  return g_test_run ();
}
