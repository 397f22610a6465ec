/* test-interface-info.c: NetringInterfaceInfo on interfaces made with `ip`
 * in a private network namespace.
 *
 * The namespace is entered with unshare(CLONE_NEWNET) without remounting
 * sysfs, so the interfaces made here are not in /sys/class/net: every value
 * below comes from the kernel as the object asks it, and each is compared
 * with what the test set with `ip` (or what the driver is known to
 * report). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netring/netring.h>

#include "nr-test-net.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

static guint name_counter;

static char *
unique_name (const char *tag)
{
  return g_strdup_printf ("nri%u%s%u", (guint) getpid () % 100000, tag, name_counter++);
}

static NetringInterfaceInfo *
info_new (const char *name)
{
  g_autoptr(GError) error = NULL;
  NetringInterfaceInfo *info = netring_interface_info_new (name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (info);
  return info;
}

static void
refresh (NetringInterfaceInfo *info)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (netring_interface_info_refresh (info, &error));
  g_assert_no_error (error);
}

/* A socket that receives the kernel's link notifications: opened before a
 * change, it wakes the test when the change (carrier and operational state
 * are applied asynchronously by the kernel's linkwatch) has happened. */
static int
link_monitor_open (void)
{
  struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

  g_assert_cmpint (fd, >=, 0);
  g_assert_no_errno (bind (fd, (struct sockaddr *) &addr, sizeof addr));
  return fd;
}

/* Refreshes @info until its operational state is @state, waiting for a link
 * notification between refreshes; 10 s is a hang guard. */
static void
wait_for_oper_state (int monitor, NetringInterfaceInfo *info, NetringOperState state)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      struct pollfd pfd = { .fd = monitor, .events = POLLIN };
      guint8 buf[8192];
      gint64 left;

      refresh (info);
      if (netring_interface_info_get_oper_state (info) == state)
        return;
      left = deadline - g_get_monotonic_time ();
      if (left <= 0)
        g_error ("%s: operational state %d, not %d, after 10 s",
                 netring_interface_info_get_name (info),
                 netring_interface_info_get_oper_state (info), state);
      if (poll (&pfd, 1, (int) (left / 1000) + 1) < 0)
        g_assert_cmpint (errno, ==, EINTR);
      while (recv (monitor, buf, sizeof buf, 0) > 0)
        ;
    }
}

/* Counts notify emissions per property name. */
static void
count_notify (GObject *object, GParamSpec *pspec, GHashTable *counts)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, pspec->name));

  g_hash_table_insert (counts, (gpointer) pspec->name, GUINT_TO_POINTER (n + 1));
}

static guint
notified (GHashTable *counts, const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (counts, name));
}

/* ---- tests -------------------------------------------------------------- */

/* Every property of a veth end, by getter and by g_object_get(), and the
 * same object by index. */
static void
test_veth (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInterfaceInfo) info = NULL;
  g_autoptr(NetringInterfaceInfo) by_index = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sysfs = g_build_filename ("/sys/class/net", veth->a, NULL);
  g_autofree char *name = NULL, *driver = NULL, *kind = NULL, *address_string = NULL;
  g_autoptr(GBytes) address = NULL;
  guint mtu, rx_queues, tx_queues, promiscuity, xdp_id, arp_type;
  gint index, speed, link_type;
  NetringInterfaceFlags flags;
  NetringOperState oper_state;
  NetringDuplex duplex;
  NetringInterfaceXdpMode xdp_mode;
  gboolean carrier;
  const NetringInterfaceFlags up = NETRING_INTERFACE_FLAGS_UP | NETRING_INTERFACE_FLAGS_BROADCAST |
                                   NETRING_INTERFACE_FLAGS_MULTICAST |
                                   NETRING_INTERFACE_FLAGS_RUNNING |
                                   NETRING_INTERFACE_FLAGS_LOWER_UP;

  /* sysfs shows another namespace: the values cannot come from there */
  g_assert_false (g_file_test (sysfs, G_FILE_TEST_EXISTS));

  nr_test_ip ("link", "set", veth->a, "mtu", "1400", NULL);
  info = info_new (veth->a);

  g_assert_cmpstr (netring_interface_info_get_name (info), ==, veth->a);
  g_assert_cmpint (netring_interface_info_get_index (info), ==, veth->ifindex_a);
  g_assert_cmpuint (netring_interface_info_get_mtu (info), ==, 1400);
  g_assert_cmphex (netring_interface_info_get_flags (info) & up, ==, up);
  g_assert_cmphex (netring_interface_info_get_flags (info) &
                     (NETRING_INTERFACE_FLAGS_LOOPBACK | NETRING_INTERFACE_FLAGS_PROMISCUOUS |
                      NETRING_INTERFACE_FLAGS_NO_ARP),
                   ==, 0);
  g_assert_cmpint (netring_interface_info_get_oper_state (info), ==, NETRING_OPER_STATE_UP);
  g_assert_true (netring_interface_info_get_carrier (info));
  /* veth reports 10 Gb/s full duplex (drivers/net/veth.c) */
  g_assert_cmpint (netring_interface_info_get_speed (info), ==, 10000);
  g_assert_cmpint (netring_interface_info_get_duplex (info), ==, NETRING_DUPLEX_FULL);
  g_assert_cmpstr (netring_interface_info_get_driver (info), ==, "veth");
  g_assert_cmpstr (netring_interface_info_get_kind (info), ==, "veth");
  g_assert_cmpmem (g_bytes_get_data (netring_interface_info_get_address (info), NULL),
                   g_bytes_get_size (netring_interface_info_get_address (info)), veth->mac_a, 6);
  g_assert_cmpstr (netring_interface_info_get_address_string (info), ==, "02:00:00:00:00:01");
  g_assert_cmpuint (netring_interface_info_get_arp_type (info), ==, 1 /* ARPHRD_ETHER */);
  g_assert_cmpint (netring_interface_info_get_link_type (info), ==, NETRING_LINK_TYPE_ETHERNET);
  g_assert_cmpuint (netring_interface_info_get_rx_queues (info), ==, 1);
  g_assert_cmpuint (netring_interface_info_get_tx_queues (info), ==, 1);
  g_assert_cmpuint (netring_interface_info_get_promiscuity (info), ==, 0);
  g_assert_cmpuint (netring_interface_info_get_xdp_program_id (info), ==, 0);
  g_assert_cmpint (netring_interface_info_get_xdp_mode (info), ==,
                   NETRING_INTERFACE_XDP_MODE_NONE);
  g_assert_cmpint (netring_interface_info_suggest_profile (info), ==,
                   NETRING_RING_PROFILE_HIGH_THROUGHPUT);
  g_assert_cmpuint (netring_interface_info_suggest_fanout_threads (info), ==, 1);

  /* the properties say the same */
  g_object_get (info, "name", &name, "index", &index, "mtu", &mtu, "flags", &flags, "oper-state",
                &oper_state, "carrier", &carrier, "speed", &speed, "duplex", &duplex, "driver",
                &driver, "kind", &kind, "address", &address, "address-string", &address_string,
                "arp-type", &arp_type, "link-type", &link_type, "rx-queues", &rx_queues,
                "tx-queues", &tx_queues, "promiscuity", &promiscuity, "xdp-program-id", &xdp_id,
                "xdp-mode", &xdp_mode, NULL);
  g_assert_cmpstr (name, ==, veth->a);
  g_assert_cmpint (index, ==, veth->ifindex_a);
  g_assert_cmpuint (mtu, ==, 1400);
  g_assert_cmphex (flags, ==, netring_interface_info_get_flags (info));
  g_assert_cmpint (oper_state, ==, NETRING_OPER_STATE_UP);
  g_assert_true (carrier);
  g_assert_cmpint (speed, ==, 10000);
  g_assert_cmpint (duplex, ==, NETRING_DUPLEX_FULL);
  g_assert_cmpstr (driver, ==, "veth");
  g_assert_cmpstr (kind, ==, "veth");
  g_assert_true (g_bytes_equal (address, netring_interface_info_get_address (info)));
  g_assert_cmpstr (address_string, ==, "02:00:00:00:00:01");
  g_assert_cmpuint (arp_type, ==, 1);
  g_assert_cmpint (link_type, ==, NETRING_LINK_TYPE_ETHERNET);
  g_assert_cmpuint (rx_queues, ==, 1);
  g_assert_cmpuint (tx_queues, ==, 1);
  g_assert_cmpuint (promiscuity, ==, 0);
  g_assert_cmpuint (xdp_id, ==, 0);
  g_assert_cmpint (xdp_mode, ==, NETRING_INTERFACE_XDP_MODE_NONE);

  by_index = netring_interface_info_new_for_index (veth->ifindex_b, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (netring_interface_info_get_name (by_index), ==, veth->b);
  g_assert_cmpint (netring_interface_info_get_index (by_index), ==, veth->ifindex_b);
  g_assert_cmpstr (netring_interface_info_get_address_string (by_index), ==,
                   "02:00:00:00:00:02");
  g_assert_cmpuint (netring_interface_info_get_mtu (by_index), ==, 1500);
  g_assert_finalize_object (g_steal_pointer (&by_index));

  /* name and index together, naming the same interface */
  by_index = g_initable_new (NETRING_TYPE_INTERFACE_INFO, NULL, &error, "name", veth->a, "index",
                             veth->ifindex_a, NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (netring_interface_info_get_mtu (by_index), ==, 1400);

  g_assert_finalize_object (g_steal_pointer (&info));
}

/* refresh() reads the changes made with `ip` and notifies exactly the
 * properties that changed. */
static void
test_refresh (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInterfaceInfo) info = info_new (veth->a);
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GBytes) old_address = g_bytes_ref (netring_interface_info_get_address (info));
  int monitor;

  g_signal_connect (info, "notify", G_CALLBACK (count_notify), counts);

  /* nothing changed: nothing notified */
  refresh (info);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);
  g_assert_true (netring_interface_info_get_address (info) == old_address);

  nr_test_ip ("link", "set", veth->a, "promisc", "on", NULL);
  refresh (info);
  g_assert_cmpuint (netring_interface_info_get_promiscuity (info), ==, 1);
  g_assert_cmphex (netring_interface_info_get_flags (info) & NETRING_INTERFACE_FLAGS_PROMISCUOUS,
                   ==, NETRING_INTERFACE_FLAGS_PROMISCUOUS);
  g_assert_cmpuint (notified (counts, "promiscuity"), ==, 1);
  g_assert_cmpuint (notified (counts, "flags"), ==, 1);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 2);
  g_hash_table_remove_all (counts);

  nr_test_ip ("link", "set", veth->a, "mtu", "9000", "address", "02:00:00:00:00:77", NULL);
  refresh (info);
  g_assert_cmpuint (netring_interface_info_get_mtu (info), ==, 9000);
  g_assert_cmpstr (netring_interface_info_get_address_string (info), ==, "02:00:00:00:00:77");
  g_assert_cmpint (netring_interface_info_suggest_profile (info), ==,
                   NETRING_RING_PROFILE_JUMBO_FRAMES);
  g_assert_cmpuint (notified (counts, "mtu"), ==, 1);
  g_assert_cmpuint (notified (counts, "address"), ==, 1);
  g_assert_cmpuint (notified (counts, "address-string"), ==, 1);
  g_assert_cmpuint (notified (counts, "promiscuity"), ==, 0);
  g_hash_table_remove_all (counts);

  /* a rename is followed: refresh asks by index */
  {
    g_autofree char *renamed = unique_name ("rn");

    nr_test_ip ("link", "set", veth->a, "down", NULL);
    nr_test_ip ("link", "set", veth->a, "name", renamed, NULL);
    refresh (info);
    g_assert_cmpstr (netring_interface_info_get_name (info), ==, renamed);
    g_assert_cmpint (netring_interface_info_get_index (info), ==, veth->ifindex_a);
    g_assert_cmpuint (notified (counts, "name"), ==, 1);
    nr_test_ip ("link", "set", renamed, "name", veth->a, NULL);
    monitor = link_monitor_open ();
    nr_test_ip ("link", "set", veth->a, "up", NULL);
    wait_for_oper_state (monitor, info, NETRING_OPER_STATE_UP);
    g_assert_true (netring_interface_info_get_carrier (info));
    g_hash_table_remove_all (counts);
  }

  /* the peer goes down: a loses its carrier (applied asynchronously) */
  nr_test_ip ("link", "set", veth->b, "down", NULL);
  wait_for_oper_state (monitor, info, NETRING_OPER_STATE_LOWER_LAYER_DOWN);
  g_assert_false (netring_interface_info_get_carrier (info));
  g_assert_cmphex (netring_interface_info_get_flags (info) &
                     (NETRING_INTERFACE_FLAGS_UP | NETRING_INTERFACE_FLAGS_RUNNING),
                   ==, NETRING_INTERFACE_FLAGS_UP);
  g_assert_cmpuint (notified (counts, "oper-state"), >=, 1);
  g_assert_cmpuint (notified (counts, "carrier"), ==, 1);
  nr_test_ip ("link", "set", veth->b, "up", NULL);
  wait_for_oper_state (monitor, info, NETRING_OPER_STATE_UP);
  g_assert_true (netring_interface_info_get_carrier (info));
  close (monitor);
}

/* lo: no speed, no duplex, a zero address, never "jumbo" (F15). */
static void
test_loopback (void)
{
  g_autoptr(NetringInterfaceInfo) info = NULL;

  nr_test_ip ("link", "set", "lo", "up", NULL);
  info = info_new ("lo");
  g_assert_cmpint (netring_interface_info_get_index (info), ==, 1);
  g_assert_cmpuint (netring_interface_info_get_mtu (info), ==, 65536);
  g_assert_cmphex (netring_interface_info_get_flags (info) &
                     (NETRING_INTERFACE_FLAGS_UP | NETRING_INTERFACE_FLAGS_LOOPBACK |
                      NETRING_INTERFACE_FLAGS_RUNNING | NETRING_INTERFACE_FLAGS_BROADCAST),
                   ==,
                   NETRING_INTERFACE_FLAGS_UP | NETRING_INTERFACE_FLAGS_LOOPBACK |
                     NETRING_INTERFACE_FLAGS_RUNNING);
  g_assert_cmpint (netring_interface_info_get_speed (info), ==, NETRING_INTERFACE_SPEED_UNKNOWN);
  g_assert_cmpint (netring_interface_info_get_duplex (info), ==, NETRING_DUPLEX_UNKNOWN);
  g_assert_null (netring_interface_info_get_kind (info));
  g_assert_cmpstr (netring_interface_info_get_address_string (info), ==, "00:00:00:00:00:00");
  g_assert_cmpuint (netring_interface_info_get_arp_type (info), ==, 772 /* ARPHRD_LOOPBACK */);
  g_assert_cmpint (netring_interface_info_get_link_type (info), ==, NETRING_LINK_TYPE_ETHERNET);
  g_assert_cmpint (netring_interface_info_suggest_profile (info), ==,
                   NETRING_RING_PROFILE_DEFAULT);
  g_assert_cmpuint (netring_interface_info_suggest_fanout_threads (info), ==, 1);
}

/* A veth with 4 RX and 4 TX queues, and the fanout suggestion. */
static void
test_queues (void)
{
  g_autofree char *a = unique_name ("qa");
  g_autofree char *b = unique_name ("qb");
  g_autoptr(NetringInterfaceInfo) info = NULL;

  nr_test_ip ("link", "add", a, "numtxqueues", "4", "numrxqueues", "4", "type", "veth", "peer",
              "name", b, "numtxqueues", "4", "numrxqueues", "4", NULL);
  info = info_new (a);
  g_assert_cmpuint (netring_interface_info_get_rx_queues (info), ==, 4);
  g_assert_cmpuint (netring_interface_info_get_tx_queues (info), ==, 4);
  g_assert_cmpuint (netring_interface_info_suggest_fanout_threads (info), ==,
                    MIN (4, g_get_num_processors ()));
  /* down, not carrier: the operational state says so */
  g_assert_cmpint (netring_interface_info_get_oper_state (info), ==, NETRING_OPER_STATE_DOWN);
  g_assert_false (netring_interface_info_get_carrier (info));
  nr_test_ip ("link", "del", a, NULL);
}

static int
load_xdp_pass (void)
{
  struct bpf_insn insns[] = {
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
    { .code = BPF_JMP | BPF_EXIT },
  };

  return bpf_prog_load (BPF_PROG_TYPE_XDP, "nri_pass", "GPL", insns, G_N_ELEMENTS (insns), NULL);
}

/* An XDP program in generic mode: its id and mode, then none. */
static void
test_xdp (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInterfaceInfo) info = info_new (veth->a);
  struct bpf_prog_info pinfo = { 0 };
  __u32 len = sizeof pinfo;
  int fd = load_xdp_pass ();

  if (fd < 0)
    {
      g_autofree char *msg =
        g_strdup_printf ("cannot load an XDP program (needs CAP_BPF): %s", g_strerror (-fd));
      g_test_skip (msg);
      return;
    }
  g_assert_cmpint (bpf_obj_get_info_by_fd (fd, &pinfo, &len), ==, 0);

  g_assert_cmpint (bpf_xdp_attach (veth->ifindex_a, fd, XDP_FLAGS_SKB_MODE, NULL), ==, 0);
  refresh (info);
  g_assert_cmpint (netring_interface_info_get_xdp_mode (info), ==,
                   NETRING_INTERFACE_XDP_MODE_GENERIC);
  g_assert_cmpuint (netring_interface_info_get_xdp_program_id (info), ==, pinfo.id);

  g_assert_cmpint (bpf_xdp_detach (veth->ifindex_a, XDP_FLAGS_SKB_MODE, NULL), ==, 0);
  refresh (info);
  g_assert_cmpint (netring_interface_info_get_xdp_mode (info), ==,
                   NETRING_INTERFACE_XDP_MODE_NONE);
  g_assert_cmpuint (netring_interface_info_get_xdp_program_id (info), ==, 0);

  /* native mode: veth has a driver XDP hook */
  if (bpf_xdp_attach (veth->ifindex_a, fd, XDP_FLAGS_DRV_MODE, NULL) == 0)
    {
      refresh (info);
      g_assert_cmpint (netring_interface_info_get_xdp_mode (info), ==,
                       NETRING_INTERFACE_XDP_MODE_NATIVE);
      g_assert_cmpuint (netring_interface_info_get_xdp_program_id (info), ==, pinfo.id);
      g_assert_cmpint (bpf_xdp_detach (veth->ifindex_a, XDP_FLAGS_DRV_MODE, NULL), ==, 0);
    }
  close (fd);
}

static void
test_errors (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInterfaceInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  GObject *object;

  info = netring_interface_info_new ("nri-none", &error);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_assert_nonnull (strstr (error->message, "nri-none"));
  g_assert_null (info);
  g_clear_error (&error);

  info = netring_interface_info_new ("a-name-longer-than-ifnamsiz", &error);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_assert_nonnull (strstr (error->message, "a-name-longer-than-ifnamsiz"));
  g_clear_error (&error);

  info = netring_interface_info_new ("", &error);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_clear_error (&error);

  info = netring_interface_info_new_for_index (0, &error);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_clear_error (&error);
  info = netring_interface_info_new_for_index (987654, &error);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_assert_nonnull (strstr (error->message, "987654"));
  g_clear_error (&error);

  /* neither name nor index, and a name and an index that disagree */
  info = g_initable_new (NETRING_TYPE_INTERFACE_INFO, NULL, &error, NULL);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_clear_error (&error);
  info = g_initable_new (NETRING_TYPE_INTERFACE_INFO, NULL, &error, "name", veth->a, "index",
                         veth->ifindex_b, NULL);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, veth->a));
  g_assert_nonnull (strstr (error->message, veth->b));
  g_clear_error (&error);

  /* refresh before init, and after a failed init (the same error again) */
  object = g_object_new (NETRING_TYPE_INTERFACE_INFO, "name", veth->a, NULL);
  g_assert_false (netring_interface_info_refresh (NETRING_INTERFACE_INFO (object), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_object_unref (object);
  object = g_object_new (NETRING_TYPE_INTERFACE_INFO, "name", "nri-none", NULL);
  g_assert_false (g_initable_init (G_INITABLE (object), NULL, &error));
  g_clear_error (&error);
  g_assert_false (netring_interface_info_refresh (NETRING_INTERFACE_INFO (object), &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_clear_error (&error);
  g_object_unref (object);

  /* the interface goes away: refresh fails and keeps the values */
  info = info_new (veth->b);
  nr_test_ip ("link", "del", veth->a, NULL);
  g_assert_false (netring_interface_info_refresh (info, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_assert_cmpstr (netring_interface_info_get_name (info), ==, veth->b);
  g_assert_cmpuint (netring_interface_info_get_mtu (info), ==, 1500);
}

int
main (int argc, char **argv)
{
  nr_test_net_enter_or_skip ("test-interface-info");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/interface-info/veth", test_veth);
  g_test_add_func ("/interface-info/refresh", test_refresh);
  g_test_add_func ("/interface-info/loopback", test_loopback);
  g_test_add_func ("/interface-info/queues", test_queues);
  g_test_add_func ("/interface-info/xdp", test_xdp);
  g_test_add_func ("/interface-info/errors", test_errors);
  return g_test_run ();
}
