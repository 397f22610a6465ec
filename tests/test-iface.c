/* test-iface.c: interface information from the kernel, in private network
 * namespaces.
 *
 * The fixture enters a namespace with unshare(CLONE_NEWNET) and does NOT
 * remount sysfs, so /sys/class/net still shows the namespace the test was
 * started in: every interface created here is invisible there. That is the
 * situation (a capture in a container, or after setns()) in which a library
 * reading sysfs reports another namespace's interfaces or nothing, and the
 * one these tests prove nr-iface handles. Every value set with `ip` is read
 * back; what the driver decides (veth's speed, channels) is compared with
 * what the ethtool program reports when it is installed. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nr-iface.h" /* <net/if.h> first: the uapi headers then defer to it */
#include "nr-pcap.h"
#include "nr-test-net.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

static guint name_counter;

static char *
unique_name (const char *tag)
{
  return g_strdup_printf ("nrt%u%s%u", (guint) getpid () % 100000, tag, name_counter++);
}

/* The ethtool program's word for @key in the output of "ethtool ARGS… IF"
 * ("Speed", "driver"), or NULL without the program or the line. */
static char *
ethtool_field (const char *option, const char *ifname, const char *key)
{
  g_autofree char *path = g_find_program_in_path ("ethtool");
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  const char *argv[] = { "ethtool", option, ifname, NULL };
  int status;
  gsize i;

  if (option == NULL)
    argv[1] = ifname, argv[2] = NULL;
  if (path == NULL ||
      !g_spawn_sync (NULL, (char **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                     &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL))
    return NULL;
  lines = g_strsplit (out, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (lines[i]);
      if (g_str_has_prefix (line, key) && line[strlen (key)] == ':')
        return g_strstrip (g_strdup (line + strlen (key) + 1));
    }
  return NULL;
}

static void
query_ok (const char *name, NrIfaceInfo *info)
{
  int r = nr_iface_query (name, info);

  if (r != 0)
    g_error ("nr_iface_query (%s): %s", name, g_strerror (-r));
  g_assert_cmpstr (info->name, ==, name);
}

static void
assert_not_in_sysfs (const char *name)
{
  g_autofree char *path = g_build_filename ("/sys/class/net", name, NULL);

  /* If this fails, sysfs was mounted in this namespace and the test proves
   * less than it claims; nothing in nr-iface would be wrong. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
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

typedef gboolean (*InfoPredicate) (const NrIfaceInfo *info);

/* Queries @name until @pred holds, waiting for a link notification between
 * queries; 10 s is a hang guard, the change comes within milliseconds. */
static void
wait_for_state (int monitor, const char *name, InfoPredicate pred, NrIfaceInfo *info,
                const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      struct pollfd pfd = { .fd = monitor, .events = POLLIN };
      guint8 buf[8192];
      gint64 left;

      query_ok (name, info);
      if (pred (info))
        return;
      left = deadline - g_get_monotonic_time ();
      if (left <= 0)
        g_error ("%s: %s did not happen within 10 s (operstate %u, carrier %d, flags %#x)",
                 name, what, info->operstate, info->carrier, info->flags);
      if (poll (&pfd, 1, (int) (left / 1000) + 1) < 0)
        g_assert_cmpint (errno, ==, EINTR);
      while (recv (monitor, buf, sizeof buf, 0) > 0)
        ; /* drain: the query above reads the state itself */
    }
}

static gboolean
is_lowerlayerdown (const NrIfaceInfo *info)
{
  return info->operstate == IF_OPER_LOWERLAYERDOWN && !info->carrier;
}

static gboolean
is_oper_up (const NrIfaceInfo *info)
{
  return info->operstate == IF_OPER_UP && info->carrier;
}

static gboolean
is_oper_down (const NrIfaceInfo *info)
{
  return info->operstate == IF_OPER_DOWN;
}

/* --------------------------------------------------------------- tests */

/* A veth end: every field, then MTU, promiscuity, the peer going down and
 * up, and the end itself going down. */
static void
test_veth (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NrIfaceInfo info, by_index;
  g_autofree char *speed = NULL;
  g_autofree char *driver = NULL;
  int monitor;

  assert_not_in_sysfs (veth->a);
  query_ok (veth->a, &info);
  g_assert_cmpint (info.index, ==, veth->ifindex_a);
  g_assert_cmpuint (info.mtu, ==, 1500);
  g_assert_cmphex (info.flags & (IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING | IFF_LOWER_UP),
                   ==, IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING | IFF_LOWER_UP);
  g_assert_cmphex (info.flags & (IFF_LOOPBACK | IFF_PROMISC | IFF_NOARP), ==, 0);
  g_assert_cmpuint (info.arphrd, ==, ARPHRD_ETHER);
  g_assert_cmpint (nr_iface_linktype_for_arphrd (info.arphrd), ==, NR_PCAP_LINKTYPE_ETHERNET);
  g_assert_cmpmem (info.address, info.address_length, veth->mac_a, 6);
  g_assert_cmpuint (info.operstate, ==, IF_OPER_UP);
  g_assert_true (info.carrier);
  g_assert_cmpuint (info.promiscuity, ==, 0);
  g_assert_cmpint (info.link_index, ==, veth->ifindex_b);
  g_assert_cmpstr (info.kind, ==, "veth");
  g_assert_cmpstr (info.driver, ==, "veth");
  /* veth reports 10 Gb/s full duplex (drivers/net/veth.c) */
  g_assert_cmpint (info.speed_mbps, ==, 10000);
  g_assert_cmpint (info.duplex, ==, NR_IFACE_DUPLEX_FULL);
  speed = ethtool_field (NULL, veth->a, "Speed");
  if (speed != NULL)
    g_assert_cmpstr (speed, ==, "10000Mb/s");
  driver = ethtool_field ("-i", veth->a, "driver");
  if (driver != NULL)
    g_assert_cmpstr (driver, ==, info.driver);
  /* veth: one RX queue in use out of the device's queues */
  g_assert_true (info.channels_known);
  g_assert_cmpuint (info.rx_channels, ==, 1);
  g_assert_cmpuint (info.tx_channels, ==, 1);
  g_assert_cmpuint (info.combined_channels, ==, 0);
  g_assert_cmpuint (info.max_rx_channels, ==, info.num_rx_queues);
  g_assert_cmpuint (info.num_rx_queues, >=, 1);
  g_assert_cmpuint (info.xdp_attached, ==, XDP_ATTACHED_NONE);
  g_assert_cmpuint (info.xdp_prog_id, ==, 0);
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_HIGH_THROUGHPUT);
  g_assert_cmpuint (nr_iface_suggest_fanout_threads (&info, 8), ==, 1);

  g_assert_cmpint (nr_iface_query_index (veth->ifindex_a, &by_index), ==, 0);
  g_assert_cmpstr (by_index.name, ==, veth->a);
  g_assert_cmpint (by_index.index, ==, info.index);
  g_assert_cmphex (by_index.flags, ==, info.flags);

  /* MTU */
  nr_test_ip ("link", "set", veth->a, "mtu", "9000", NULL);
  query_ok (veth->a, &info);
  g_assert_cmpuint (info.mtu, ==, 9000);
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_JUMBO_FRAMES);
  nr_test_ip ("link", "set", veth->a, "mtu", "1280", NULL);
  query_ok (veth->a, &info);
  g_assert_cmpuint (info.mtu, ==, 1280);

  /* promiscuity: a count, and the flag */
  nr_test_ip ("link", "set", veth->a, "promisc", "on", NULL);
  query_ok (veth->a, &info);
  g_assert_cmpuint (info.promiscuity, ==, 1);
  g_assert_cmphex (info.flags & IFF_PROMISC, ==, IFF_PROMISC);
  nr_test_ip ("link", "set", veth->a, "promisc", "off", NULL);
  query_ok (veth->a, &info);
  g_assert_cmpuint (info.promiscuity, ==, 0);
  g_assert_cmphex (info.flags & IFF_PROMISC, ==, 0);

  /* the peer goes down: a keeps IFF_UP and loses its carrier */
  monitor = link_monitor_open ();
  nr_test_ip ("link", "set", veth->b, "down", NULL);
  wait_for_state (monitor, veth->a, is_lowerlayerdown, &info, "LOWERLAYERDOWN");
  g_assert_cmphex (info.flags & (IFF_UP | IFF_RUNNING | IFF_LOWER_UP), ==, IFF_UP);
  wait_for_state (monitor, veth->b, is_oper_down, &info, "DOWN");
  g_assert_cmphex (info.flags & IFF_UP, ==, 0);

  nr_test_ip ("link", "set", veth->b, "up", NULL);
  wait_for_state (monitor, veth->a, is_oper_up, &info, "UP");
  g_assert_cmphex (info.flags & (IFF_UP | IFF_RUNNING | IFF_LOWER_UP), ==,
                   IFF_UP | IFF_RUNNING | IFF_LOWER_UP);

  /* a itself goes down */
  nr_test_ip ("link", "set", veth->a, "down", NULL);
  wait_for_state (monitor, veth->a, is_oper_down, &info, "DOWN");
  g_assert_cmphex (info.flags & (IFF_UP | IFF_RUNNING), ==, 0);
  g_assert_false (info.carrier);
  close (monitor);
}

/* The suggestions' rules on synthetic values, boundaries included. */
static void
test_suggestions (void)
{
  NrIfaceInfo info = { 0 };

  info.mtu = 1500;
  info.speed_mbps = NR_IFACE_SPEED_UNKNOWN;
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_DEFAULT);
  info.speed_mbps = 100;
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_LOW_MEMORY);
  info.speed_mbps = 999;
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_LOW_MEMORY);
  info.speed_mbps = 1000;
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_DEFAULT);
  info.speed_mbps = 9999;
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_DEFAULT);
  info.speed_mbps = 10000;
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_HIGH_THROUGHPUT);
  info.mtu = 1501;
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_JUMBO_FRAMES);
  /* loopback by flag or by link type: never jumbo */
  info.mtu = 65536;
  info.speed_mbps = NR_IFACE_SPEED_UNKNOWN;
  info.flags = IFF_LOOPBACK;
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_DEFAULT);
  info.flags = 0;
  info.arphrd = ARPHRD_LOOPBACK;
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_DEFAULT);

  memset (&info, 0, sizeof info);
  g_assert_cmpuint (nr_iface_rx_queue_count (&info), ==, 1);
  info.num_rx_queues = 6;
  g_assert_cmpuint (nr_iface_rx_queue_count (&info), ==, 6);
  info.channels_known = TRUE; /* reported, but all 0: fall back */
  g_assert_cmpuint (nr_iface_rx_queue_count (&info), ==, 6);
  info.combined_channels = 8;
  g_assert_cmpuint (nr_iface_rx_queue_count (&info), ==, 8);
  info.rx_channels = 2;
  g_assert_cmpuint (nr_iface_rx_queue_count (&info), ==, 10);
  g_assert_cmpuint (nr_iface_suggest_fanout_threads (&info, 4), ==, 4);
  g_assert_cmpuint (nr_iface_suggest_fanout_threads (&info, 64), ==, 10);
  g_assert_cmpuint (nr_iface_suggest_fanout_threads (&info, 0), ==, 1);
}

static void
test_errors (void)
{
  NrIfaceInfo info;

  g_assert_cmpint (nr_iface_query ("nrt-none", &info), ==, -ENODEV);
  g_assert_cmpint (nr_iface_query ("", &info), ==, -EINVAL);
  g_assert_cmpint (nr_iface_query (NULL, &info), ==, -EINVAL);
  g_assert_cmpint (nr_iface_query ("a-name-longer-than-ifnamsiz", &info), ==, -ENODEV);
  g_assert_cmpint (nr_iface_query_index (0, &info), ==, -ENODEV);
  g_assert_cmpint (nr_iface_query_index (-3, &info), ==, -ENODEV);
  g_assert_cmpint (nr_iface_query_index (999999, &info), ==, -ENODEV);
  /* unknown stays unknown after a failure too */
  g_assert_cmpint (info.speed_mbps, ==, NR_IFACE_SPEED_UNKNOWN);
}

/* lo: loopback flags and link type, written to files as Ethernet, 64 KiB
 * MTU and still not "jumbo" (F15), no speed rather than 0. */
static void
test_loopback (void)
{
  NrIfaceInfo info;

  nr_test_ip ("link", "set", "lo", "up", NULL);
  query_ok ("lo", &info);
  g_assert_cmpint (info.index, ==, 1);
  g_assert_cmpuint (info.mtu, ==, 65536);
  g_assert_cmphex (info.flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING), ==,
                   IFF_UP | IFF_LOOPBACK | IFF_RUNNING);
  g_assert_cmphex (info.flags & IFF_BROADCAST, ==, 0);
  g_assert_cmpuint (info.arphrd, ==, ARPHRD_LOOPBACK);
  g_assert_cmpint (nr_iface_linktype_for_arphrd (info.arphrd), ==, NR_PCAP_LINKTYPE_ETHERNET);
  g_assert_cmpuint (info.address_length, ==, 6);
  g_assert_cmpmem (info.address, 6, "\0\0\0\0\0\0", 6);
  g_assert_true (info.carrier);
  g_assert_cmpstr (info.kind, ==, "");
  g_assert_cmpint (info.speed_mbps, ==, NR_IFACE_SPEED_UNKNOWN);
  g_assert_cmpint (info.duplex, ==, NR_IFACE_DUPLEX_UNKNOWN);
  g_assert_cmpint (nr_iface_suggest_profile (&info), !=, NR_IFACE_PROFILE_JUMBO_FRAMES);
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_DEFAULT);
  g_assert_cmpuint (nr_iface_suggest_fanout_threads (&info, 8), ==, 1);
}

/* A stacked device: the lower device, the kind, the parent's MAC. */
static void
check_stacked (const NrTestVeth *veth, const char *name, const char *kind, const char *driver)
{
  NrIfaceInfo info;

  assert_not_in_sysfs (name);
  query_ok (name, &info);
  g_assert_cmpstr (info.kind, ==, kind);
  g_assert_cmpstr (info.driver, ==, driver);
  g_assert_cmpint (info.link_index, ==, veth->ifindex_a);
  g_assert_cmpuint (info.arphrd, ==, ARPHRD_ETHER);
  g_assert_cmpuint (info.mtu, ==, 1500);
  g_assert_cmpuint (info.address_length, ==, 6);
  g_assert_cmphex (info.flags & IFF_UP, ==, IFF_UP);
}

static void
test_vlan (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autofree char *name = g_strdup_printf ("%s.10", veth->a);
  g_autofree char *err = NULL;
  NrIfaceInfo info;

  if (!nr_test_try_ip (&err, "link", "add", "link", veth->a, "name", name, "address",
                       "02:00:00:00:00:01", "type", "vlan", "id", "10", NULL))
    {
      g_autofree char *msg =
        g_strdup_printf ("this kernel cannot create a VLAN device (ip: %s)", err);
      g_test_skip (msg);
      return;
    }
  nr_test_ip ("link", "set", name, "up", NULL);
  check_stacked (veth, name, "vlan", "802.1Q VLAN Support");
  query_ok (name, &info);
  g_assert_cmpmem (info.address, 6, veth->mac_a, 6);
  /* a VLAN device reports its lower device's link settings */
  g_assert_cmpint (info.speed_mbps, ==, 10000);
  nr_test_ip ("link", "del", name, NULL);
}

/* macvlan, which every kernel with veth tests here has: another stacked
 * device, and the lower device as link_index. */
static void
test_macvlan (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autofree char *name = unique_name ("m");
  g_autofree char *err = NULL;

  if (!nr_test_try_ip (&err, "link", "add", "link", veth->a, "name", name, "type", "macvlan",
                       NULL))
    {
      g_autofree char *msg =
        g_strdup_printf ("this kernel cannot create a macvlan device (ip: %s)", err);
      g_test_skip (msg);
      return;
    }
  nr_test_ip ("link", "set", name, "up", NULL);
  check_stacked (veth, name, "macvlan", "macvlan");
  nr_test_ip ("link", "del", name, NULL);
}

static void
test_dummy (void)
{
  g_autofree char *name = unique_name ("d");
  g_autofree char *err = NULL;
  NrIfaceInfo info;

  if (!nr_test_try_ip (&err, "link", "add", name, "type", "dummy", NULL))
    {
      g_autofree char *msg =
        g_strdup_printf ("this kernel cannot create a dummy device (ip: %s)", err);
      g_test_skip (msg);
      return;
    }
  nr_test_ip ("link", "set", name, "up", NULL);
  assert_not_in_sysfs (name);
  query_ok (name, &info);
  g_assert_cmpstr (info.kind, ==, "dummy");
  g_assert_cmpstr (info.driver, ==, "dummy");
  g_assert_cmphex (info.flags & (IFF_UP | IFF_NOARP), ==, IFF_UP | IFF_NOARP);
  g_assert_true (info.carrier);
  g_assert_cmpuint (info.arphrd, ==, ARPHRD_ETHER);
  g_assert_cmpint (info.speed_mbps, ==, NR_IFACE_SPEED_UNKNOWN);
  g_assert_cmpint (nr_iface_suggest_profile (&info), ==, NR_IFACE_PROFILE_DEFAULT);
  nr_test_ip ("link", "del", name, NULL);
}

/* A tun device: no link-layer header (ARPHRD_NONE), written as raw IP. */
static void
test_tun (void)
{
  g_autofree char *name = unique_name ("t");
  g_autofree char *err = NULL;
  NrIfaceInfo info;

  if (!nr_test_try_ip (&err, "tuntap", "add", "dev", name, "mode", "tun", NULL))
    {
      g_autofree char *msg = g_strdup_printf ("cannot create a tun device (ip: %s)", err);
      g_test_skip (msg);
      return;
    }
  query_ok (name, &info);
  g_assert_cmpuint (info.arphrd, ==, ARPHRD_NONE);
  g_assert_cmpint (nr_iface_linktype_for_arphrd (info.arphrd), ==, NR_PCAP_LINKTYPE_RAW);
  g_assert_cmpuint (info.address_length, ==, 0);
  g_assert_cmpstr (info.kind, ==, "tun");
  g_assert_cmpstr (info.driver, ==, "tun");
  g_assert_cmphex (info.flags & IFF_POINTOPOINT, ==, IFF_POINTOPOINT);
  nr_test_ip ("link", "del", name, NULL);
}

/* A veth with 4 RX and 4 TX queues: the device's queues (rtnetlink) and
 * the channels (ETHTOOL_GCHANNELS), and the fanout suggestion. */
static void
test_queues (void)
{
  g_autofree char *a = unique_name ("qa");
  g_autofree char *b = unique_name ("qb");
  g_autofree char *channels = NULL;
  NrIfaceInfo info;

  nr_test_ip ("link", "add", a, "numtxqueues", "4", "numrxqueues", "4", "type", "veth", "peer",
              "name", b, "numtxqueues", "4", "numrxqueues", "4", NULL);
  query_ok (a, &info);
  g_assert_cmpuint (info.num_rx_queues, ==, 4);
  g_assert_cmpuint (info.num_tx_queues, ==, 4);
  /* veth reports its queues as separate RX and TX channels */
  g_assert_true (info.channels_known);
  g_printerr ("# veth with 4+4 queues: channels rx %u tx %u combined %u other %u, "
              "max rx %u tx %u combined %u\n",
              info.rx_channels, info.tx_channels, info.combined_channels, info.other_channels,
              info.max_rx_channels, info.max_tx_channels, info.max_combined_channels);
  g_assert_cmpuint (info.rx_channels, ==, 4);
  g_assert_cmpuint (info.tx_channels, ==, 4);
  g_assert_cmpuint (info.combined_channels, ==, 0);
  g_assert_cmpuint (info.max_rx_channels, ==, 4);
  g_assert_cmpuint (info.max_tx_channels, ==, 4);
  channels = ethtool_field ("-l", a, "RX");
  if (channels != NULL) /* the first "RX:" line is the maximum */
    g_assert_cmpstr (channels, ==, "4");

  g_assert_cmpuint (nr_iface_rx_queue_count (&info), ==, 4);
  g_assert_cmpuint (nr_iface_suggest_fanout_threads (&info, 2), ==, 2);
  g_assert_cmpuint (nr_iface_suggest_fanout_threads (&info, 16), ==, 4);
  g_assert_cmpuint (nr_iface_suggest_fanout_threads (&info, 0), ==, 1);
  nr_test_ip ("link", "del", a, NULL);
}

static int
load_xdp_pass (void)
{
  struct bpf_insn insns[] = {
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
    { .code = BPF_JMP | BPF_EXIT },
  };

  return bpf_prog_load (BPF_PROG_TYPE_XDP, "nr_pass", "GPL", insns, G_N_ELEMENTS (insns), NULL);
}

static guint32
prog_id (int fd)
{
  struct bpf_prog_info pinfo = { 0 };
  __u32 len = sizeof pinfo;

  g_assert_cmpint (bpf_obj_get_info_by_fd (fd, &pinfo, &len), ==, 0);
  g_assert_cmpuint (pinfo.id, >, 0);
  return pinfo.id;
}

/* An XDP program attached in generic (SKB) mode, then in native (driver)
 * mode, is reported with its id and mode, and gone after detaching. */
static void
test_xdp (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NrIfaceInfo info;
  __u32 libbpf_id = 0;
  guint32 id;
  int fd, r;

  fd = load_xdp_pass ();
  if (fd < 0)
    {
      g_autofree char *msg =
        g_strdup_printf ("cannot load an XDP program (needs CAP_BPF): %s", g_strerror (-fd));
      g_test_skip (msg);
      return;
    }
  id = prog_id (fd);

  g_assert_cmpint (bpf_xdp_attach (veth->ifindex_a, fd, XDP_FLAGS_SKB_MODE, NULL), ==, 0);
  query_ok (veth->a, &info);
  g_assert_cmpuint (info.xdp_attached, ==, XDP_ATTACHED_SKB);
  g_assert_cmpuint (info.xdp_prog_id, ==, id);
  g_assert_cmpuint (info.xdp_skb_prog_id, ==, id);
  g_assert_cmpuint (info.xdp_drv_prog_id, ==, 0);
  g_assert_cmpuint (info.xdp_hw_prog_id, ==, 0);
  /* libbpf's own netlink query agrees */
  g_assert_cmpint (bpf_xdp_query_id (veth->ifindex_a, XDP_FLAGS_SKB_MODE, &libbpf_id), ==, 0);
  g_assert_cmpuint (libbpf_id, ==, id);
  /* the peer has none */
  query_ok (veth->b, &info);
  g_assert_cmpuint (info.xdp_attached, ==, XDP_ATTACHED_NONE);
  g_assert_cmpuint (info.xdp_prog_id, ==, 0);

  g_assert_cmpint (bpf_xdp_detach (veth->ifindex_a, XDP_FLAGS_SKB_MODE, NULL), ==, 0);
  query_ok (veth->a, &info);
  g_assert_cmpuint (info.xdp_attached, ==, XDP_ATTACHED_NONE);
  g_assert_cmpuint (info.xdp_prog_id, ==, 0);
  g_assert_cmpuint (info.xdp_skb_prog_id, ==, 0);

  r = bpf_xdp_attach (veth->ifindex_a, fd, XDP_FLAGS_DRV_MODE, NULL);
  if (r == 0)
    {
      query_ok (veth->a, &info);
      g_assert_cmpuint (info.xdp_attached, ==, XDP_ATTACHED_DRV);
      g_assert_cmpuint (info.xdp_prog_id, ==, id);
      g_assert_cmpuint (info.xdp_drv_prog_id, ==, id);
      g_assert_cmpuint (info.xdp_skb_prog_id, ==, 0);
      g_assert_cmpint (bpf_xdp_detach (veth->ifindex_a, XDP_FLAGS_DRV_MODE, NULL), ==, 0);
      query_ok (veth->a, &info);
      g_assert_cmpuint (info.xdp_attached, ==, XDP_ATTACHED_NONE);
    }
  else
    g_printerr ("# native XDP on veth refused (%s): only generic mode checked\n",
                g_strerror (-r));
  close (fd);
}

/* ------------------------------------------------ another namespace, setns */

typedef struct {
  char veth[IF_NAMESIZE];
  char peer[IF_NAMESIZE];
  const char *first_ns_veth; /* exists only in the test's own namespace */
  int ns_fd;
  int r_here, r_other, r_lo;
  NrIfaceInfo info, lo;
} NsData;

/* In a thread of its own (network namespaces are per thread), makes a new
 * namespace with a veth pair in it, and keeps a handle on it. Programs
 * spawned from this thread inherit its namespace. */
static gpointer
make_namespace_thread (gpointer user_data)
{
  NsData *d = user_data;

  g_assert_no_errno (unshare (CLONE_NEWNET));
  nr_test_ip ("link", "add", d->veth, "mtu", "1400", "type", "veth", "peer", "name", d->peer,
              NULL);
  nr_test_ip ("link", "set", d->veth, "up", NULL);
  d->ns_fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (d->ns_fd, >=, 0);
  return NULL;
}

/* In another thread: enters that namespace with setns() and asks there. */
static gpointer
query_in_namespace_thread (gpointer user_data)
{
  NsData *d = user_data;

  g_assert_no_errno (setns (d->ns_fd, CLONE_NEWNET));
  d->r_other = nr_iface_query (d->veth, &d->info);
  d->r_here = nr_iface_query (d->first_ns_veth, &d->lo);
  d->r_lo = nr_iface_query ("lo", &d->lo);
  return NULL;
}

static void
test_setns (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NsData d = { 0 };
  NrIfaceInfo info;
  GThread *t;

  g_snprintf (d.veth, sizeof d.veth, "nrt%uns", (guint) getpid () % 100000);
  g_snprintf (d.peer, sizeof d.peer, "nrt%unp", (guint) getpid () % 100000);
  d.first_ns_veth = veth->a;
  t = g_thread_new ("make-netns", make_namespace_thread, &d);
  g_thread_join (t);

  /* not in this thread's namespace, nor in sysfs */
  g_assert_cmpint (nr_iface_query (d.veth, &info), ==, -ENODEV);
  assert_not_in_sysfs (d.veth);

  t = g_thread_new ("setns-query", query_in_namespace_thread, &d);
  g_thread_join (t);
  g_assert_cmpint (d.r_other, ==, 0);
  g_assert_cmpstr (d.info.name, ==, d.veth);
  g_assert_cmpuint (d.info.mtu, ==, 1400);
  g_assert_cmpstr (d.info.kind, ==, "veth");
  g_assert_cmpstr (d.info.driver, ==, "veth");
  g_assert_cmphex (d.info.flags & IFF_UP, ==, IFF_UP);
  /* the peer is down there, so this end has no carrier */
  g_assert_false (d.info.carrier);
  g_assert_cmpint (d.r_here, ==, -ENODEV);
  g_assert_cmpint (d.r_lo, ==, 0);
  g_assert_cmpint (d.lo.index, ==, 1);
  g_assert_cmphex (d.lo.flags & IFF_UP, ==, 0); /* a new namespace's lo is down */

  /* this thread is still where it was */
  query_ok (veth->a, &info);
  g_assert_cmpint (info.index, ==, veth->ifindex_a);
  /* the last handle on the namespace: it goes, and its veth pair with it */
  close (d.ns_fd);
}

int
main (int argc, char **argv)
{
  nr_test_net_enter_or_skip ("test-iface");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/iface/veth", test_veth);
  g_test_add_func ("/iface/suggestions", test_suggestions);
  g_test_add_func ("/iface/errors", test_errors);
  g_test_add_func ("/iface/loopback", test_loopback);
  g_test_add_func ("/iface/vlan", test_vlan);
  g_test_add_func ("/iface/macvlan", test_macvlan);
  g_test_add_func ("/iface/dummy", test_dummy);
  g_test_add_func ("/iface/tun", test_tun);
  g_test_add_func ("/iface/queues", test_queues);
  g_test_add_func ("/iface/xdp", test_xdp);
  g_test_add_func ("/iface/setns", test_setns);
  return g_test_run ();
}
