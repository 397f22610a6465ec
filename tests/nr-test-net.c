/* nr-test-net.c: network-namespace + veth fixture */
#define _GNU_SOURCE
#include "nr-test-net.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <poll.h>
#include <unistd.h>

static guint veth_counter;

static void
write_sysctl (const char *path, const char *value)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return; /* IPv6 not built in: nothing to silence */
  if (write (fd, value, strlen (value)) < 0)
    g_printerr ("# could not write %s: %s\n", path, g_strerror (errno));
  close (fd);
}

void
nr_test_net_enter_or_skip (const char *test_name)
{
  int fd;

  if (unshare (CLONE_NEWNET) != 0)
    {
      int errsv = errno;
      printf ("1..0 # SKIP %s needs CAP_SYS_ADMIN and CAP_NET_ADMIN to create a private "
              "network namespace: unshare(CLONE_NEWNET): %s\n",
              test_name, g_strerror (errsv));
      fflush (stdout);
      exit (NR_TEST_SKIP_STATUS);
    }
  fd = socket (AF_PACKET, SOCK_RAW, 0);
  if (fd < 0)
    {
      int errsv = errno;
      printf ("1..0 # SKIP %s needs CAP_NET_RAW: socket(AF_PACKET): %s\n", test_name,
              g_strerror (errsv));
      fflush (stdout);
      exit (NR_TEST_SKIP_STATUS);
    }
  close (fd);
  write_sysctl ("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
  write_sysctl ("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
}

/* Runs @program with the arguments from @first_arg on (NULL-terminated,
 * the rest in @ap). Returns whether it exited with 0; its standard error,
 * stripped, goes to *@err_out. Aborts when it cannot be run at all. */
static gboolean
run_valist (const char *program, char **err_out, const char *first_arg, va_list ap)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *arg;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) program);
  for (arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, err_out,
                     &status, &error))
    g_error ("could not run %s: %s", program, error->message);
  g_strstrip (*err_out);
  if (g_spawn_check_wait_status (status, &error))
    return TRUE;
  {
    g_autofree char *joined = g_strjoinv (" ", (char **) argv->pdata);
    g_test_message ("“%s” failed: %s (%s)", joined, error->message, *err_out);
  }
  return FALSE;
}

/* run_valist(), aborting the test on failure. */
static void
run_or_abort (const char *program, const char *first_arg, va_list ap)
{
  g_autofree char *err = NULL;

  if (!run_valist (program, &err, first_arg, ap))
    g_error ("%s failed: %s", program, err);
}

void
nr_test_ip (const char *first_arg, ...)
{
  va_list ap;

  va_start (ap, first_arg);
  run_or_abort ("ip", first_arg, ap);
  va_end (ap);
}

gboolean
nr_test_try_ip (char **err_out, const char *first_arg, ...)
{
  g_autofree char *err = NULL;
  gboolean ok;
  va_list ap;

  va_start (ap, first_arg);
  ok = run_valist ("ip", &err, first_arg, ap);
  va_end (ap);
  if (err_out != NULL)
    *err_out = g_steal_pointer (&err);
  return ok;
}

void
nr_test_tc (const char *first_arg, ...)
{
  va_list ap;

  va_start (ap, first_arg);
  run_or_abort ("tc", first_arg, ap);
  va_end (ap);
}

static void
ethtool_offloads_off (const char *ifname)
{
  /* Optional: without ethtool the pair still works for frames under the MTU. */
  const char *argv[] = { "ethtool", "-K", ifname, "gro", "off", "gso", "off", "tso", "off",
                         "tx", "off", NULL };
  g_autofree char *path = g_find_program_in_path ("ethtool");
  int status;

  if (path == NULL)
    return;
  g_spawn_sync (NULL, (char **) argv, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, NULL);
}

/* Whether @ifname is up with its carrier and its transmit queue active, as
 * rtnetlink reports it. The carrier comes up asynchronously (linkwatch)
 * after "ip link set … up", and until the link watcher has also activated
 * the device's qdisc, the noop qdisc silently drops what is sent. The
 * watcher sets the operational state (IFF_RUNNING) and activates the qdisc
 * in one step under the RTNL lock, and RTM_GETLINK answers under that lock
 * too: a reply that says RUNNING comes after the qdisc is active. (sysfs
 * and the SIOCGIFFLAGS ioctl read the state without that lock; sysfs even
 * shows the namespace it was mounted in, not ours.) The root qdisc is
 * checked as well: "noop" means not activated yet. */
static gboolean
link_running (const char *ifname)
{
  struct {
    struct nlmsghdr nh;
    struct ifinfomsg ifi;
  } req;
  guint8 reply[16384];
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  unsigned ifindex = if_nametoindex (ifname);
  gboolean running = FALSE, has_qdisc = FALSE;
  ssize_t n;
  struct nlmsghdr *nh;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpuint (ifindex, >, 0);
  memset (&req, 0, sizeof req);
  req.nh.nlmsg_len = sizeof req;
  req.nh.nlmsg_type = RTM_GETLINK;
  req.nh.nlmsg_flags = NLM_F_REQUEST;
  req.nh.nlmsg_seq = 1;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = (int) ifindex;
  g_assert_cmpint (send (fd, &req, sizeof req, 0), ==, sizeof req);
  n = recv (fd, reply, sizeof reply, 0);
  g_assert_cmpint (n, >, 0);
  close (fd);

  for (nh = (struct nlmsghdr *) reply; NLMSG_OK (nh, (size_t) n); nh = NLMSG_NEXT (nh, n))
    {
      struct ifinfomsg *ifi;
      struct rtattr *rta;
      int len;

      if (nh->nlmsg_type == NLMSG_ERROR)
        g_error ("RTM_GETLINK %s: %s", ifname,
                 g_strerror (-((struct nlmsgerr *) NLMSG_DATA (nh))->error));
      if (nh->nlmsg_type != RTM_NEWLINK)
        continue;
      ifi = NLMSG_DATA (nh);
      running = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING);
      len = (int) IFLA_PAYLOAD (nh);
      for (rta = IFLA_RTA (ifi); RTA_OK (rta, len); rta = RTA_NEXT (rta, len))
        if (rta->rta_type == IFLA_QDISC)
          has_qdisc = strcmp (RTA_DATA (rta), "noop") != 0;
    }
  return running && has_qdisc;
}

/* Waits (polling, paced by 1 ms) until @ifname can carry frames. */
static void
wait_running (const char *ifname)
{
  gint64 start = g_get_monotonic_time ();

  while (!link_running (ifname))
    {
      if (g_get_monotonic_time () - start > 10 * G_USEC_PER_SEC)
        g_error ("%s did not come up within 10 s", ifname);
      g_usleep (1000);
    }
}

void
nr_test_veth_wait_running (const NrTestVeth *veth)
{
  wait_running (veth->a);
  wait_running (veth->b);
}

/* A veth pair with unique names; @queues RX and TX queues on each end, or
 * the kernel's default with 0. */
static NrTestVeth *
veth_create (guint queues)
{
  NrTestVeth *veth = g_new0 (NrTestVeth, 1);
  guint n = veth_counter++;
  g_autofree char *count = g_strdup_printf ("%u", queues);
  static const guint8 mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
  static const guint8 mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };

  g_snprintf (veth->a, sizeof veth->a, "nrt%ua%u", (guint) getpid () % 100000, n);
  g_snprintf (veth->b, sizeof veth->b, "nrt%ub%u", (guint) getpid () % 100000, n);
  memcpy (veth->mac_a, mac_a, 6);
  memcpy (veth->mac_b, mac_b, 6);

  if (queues == 0)
    nr_test_ip ("link", "add", veth->a, "address", "02:00:00:00:00:01", "type", "veth", "peer",
                "name", veth->b, "address", "02:00:00:00:00:02", NULL);
  else
    nr_test_ip ("link", "add", veth->a, "address", "02:00:00:00:00:01", "numtxqueues", count,
                "numrxqueues", count, "type", "veth", "peer", "name", veth->b, "address",
                "02:00:00:00:00:02", "numtxqueues", count, "numrxqueues", count, NULL);
  ethtool_offloads_off (veth->a);
  ethtool_offloads_off (veth->b);
  nr_test_ip ("link", "set", veth->a, "up", NULL);
  nr_test_ip ("link", "set", veth->b, "up", NULL);
  nr_test_veth_wait_running (veth);
  veth->ifindex_a = (int) if_nametoindex (veth->a);
  veth->ifindex_b = (int) if_nametoindex (veth->b);
  g_assert_cmpint (veth->ifindex_a, >, 0);
  g_assert_cmpint (veth->ifindex_b, >, 0);
  return veth;
}

NrTestVeth *
nr_test_veth_new (void)
{
  return veth_create (0);
}

void
nr_test_veth_free (NrTestVeth *veth)
{
  if (veth == NULL)
    return;
  /* The pair may already be gone (tests that delete it on purpose). */
  if (if_nametoindex (veth->a) != 0)
    nr_test_ip ("link", "del", veth->a, NULL);
  g_free (veth);
}

void
nr_test_frame_fill (guint8 *frame, gsize length, guint32 seq, const guint8 *src,
                    const guint8 *dst)
{
  guint32 be = htonl (seq);
  gsize i;

  g_assert_cmpuint (length, >=, 20);
  memcpy (frame, dst, 6);
  memcpy (frame + 6, src, 6);
  frame[12] = NR_TEST_ETHERTYPE >> 8;
  frame[13] = NR_TEST_ETHERTYPE & 0xff;
  memcpy (frame + 14, &be, 4);
  for (i = 18; i < length; i++)
    frame[i] = (guint8) (seq * 31u + i * 7u);
}

guint32
nr_test_frame_seq (const guint8 *frame)
{
  guint32 be;
  memcpy (&be, frame + 14, 4);
  return ntohl (be);
}

gboolean
nr_test_frame_check (const guint8 *frame, gsize length, guint32 seq, const guint8 *src,
                     const guint8 *dst)
{
  g_autofree guint8 *expected = g_malloc (length);

  nr_test_frame_fill (expected, length, seq, src, dst);
  return memcmp (expected, frame, length) == 0;
}

static int
open_sender_on (int ifindex)
{
  struct sockaddr_ll addr = { 0 };
  int fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  int sndbuf = 4 << 20;

  g_assert_cmpint (fd, >=, 0);
  addr.sll_family = AF_PACKET;
  addr.sll_ifindex = ifindex;
  addr.sll_protocol = 0; /* send only: receive nothing */
  g_assert_no_errno (bind (fd, (struct sockaddr *) &addr, sizeof addr));
  setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  return fd;
}

static int
open_sender (const NrTestVeth *veth)
{
  return open_sender_on (veth->ifindex_a);
}

static void
send_all (int fd, const guint8 *frame, gsize length)
{
  for (;;)
    {
      ssize_t n = send (fd, frame, length, 0);
      if (n == (ssize_t) length)
        return;
      if (n < 0 && (errno == EINTR || errno == ENOBUFS || errno == EAGAIN))
        {
          g_usleep (100); /* the device queue is full: give it a moment */
          continue;
        }
      g_error ("send() of a %zu-byte test frame failed: %s", length,
               n < 0 ? g_strerror (errno) : "short write");
    }
}

void
nr_test_send_frames (const NrTestVeth *veth, guint32 first_seq, guint count, gsize length)
{
  g_autofree guint8 *frame = g_malloc (length);
  int fd = open_sender (veth);
  guint i;

  for (i = 0; i < count; i++)
    {
      nr_test_frame_fill (frame, length, first_seq + i, veth->mac_a, veth->mac_b);
      send_all (fd, frame, length);
    }
  close (fd);
}

void
nr_test_send_raw (const NrTestVeth *veth, const guint8 *frame, gsize length)
{
  int fd = open_sender (veth);
  send_all (fd, frame, length);
  close (fd);
}

void
nr_test_udp_frame_fill (guint8 *frame, gsize length, guint32 seq, guint32 src_ip, guint32 dst_ip,
                        guint16 sport, guint16 dport, const guint8 *src_mac, const guint8 *dst_mac)
{
  guint32 sum = 0;
  gsize i;

  g_assert_cmpuint (length, >=, 46);
  g_assert_cmpuint (length, <=, 14 + 65535);
  memset (frame, 0, 42);
  memcpy (frame, dst_mac, 6);
  memcpy (frame + 6, src_mac, 6);
  frame[12] = 0x08; /* IPv4 */
  frame[13] = 0x00;
  frame[14] = 0x45;
  frame[16] = (guint8) ((length - 14) >> 8);
  frame[17] = (guint8) (length - 14);
  frame[18] = (guint8) (seq >> 8); /* identification */
  frame[19] = (guint8) seq;
  frame[20] = 0x40; /* don't fragment */
  frame[22] = 64;   /* TTL */
  frame[23] = 17;   /* UDP */
  for (i = 0; i < 4; i++)
    {
      frame[26 + i] = (guint8) (src_ip >> (24 - 8 * i));
      frame[30 + i] = (guint8) (dst_ip >> (24 - 8 * i));
    }
  for (i = 14; i < 34; i += 2)
    sum += (guint32) (frame[i] << 8 | frame[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  frame[24] = (guint8) (~sum >> 8);
  frame[25] = (guint8) ~sum;
  frame[34] = (guint8) (sport >> 8);
  frame[35] = (guint8) sport;
  frame[36] = (guint8) (dport >> 8);
  frame[37] = (guint8) dport;
  frame[38] = (guint8) ((length - 34) >> 8);
  frame[39] = (guint8) (length - 34);
  frame[42] = (guint8) (seq >> 24);
  frame[43] = (guint8) (seq >> 16);
  frame[44] = (guint8) (seq >> 8);
  frame[45] = (guint8) seq;
  for (i = 46; i < length; i++)
    frame[i] = (guint8) (seq * 13u + i * 5u);
}

guint32
nr_test_udp_frame_seq (const guint8 *frame)
{
  return (guint32) frame[42] << 24 | (guint32) frame[43] << 16 | (guint32) frame[44] << 8 |
         frame[45];
}

void
nr_test_send_raw_on (int ifindex, const guint8 *frame, gsize length)
{
  int fd = open_sender_on (ifindex);
  send_all (fd, frame, length);
  close (fd);
}

void
nr_test_link_wait_running (const char *ifname)
{
  wait_running (ifname);
}

int
nr_test_sender_open (const NrTestVeth *veth)
{
  return open_sender (veth);
}

void
nr_test_sender_send (int fd, const guint8 *frame, gsize length)
{
  send_all (fd, frame, length);
}

int
nr_test_witness_open (const NrTestVeth *veth, guint32 seq)
{
  struct sock_filter code[] = {
    BPF_STMT (BPF_LD | BPF_H | BPF_ABS, 12),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, NR_TEST_ETHERTYPE, 0, 3),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, 14),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, seq, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, 0xffff),
    BPF_STMT (BPF_RET | BPF_K, 0),
  };
  struct sock_fprog prog = { G_N_ELEMENTS (code), code };
  struct sockaddr_ll addr = { 0 };
  int fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  /* the filter before bind: nothing else ever enters the queue */
  g_assert_no_errno (setsockopt (fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog));
  addr.sll_family = AF_PACKET;
  addr.sll_ifindex = veth->ifindex_b;
  addr.sll_protocol = htons (NR_TEST_ETHERTYPE);
  g_assert_no_errno (bind (fd, (struct sockaddr *) &addr, sizeof addr));
  return fd;
}

void
nr_test_witness_wait (int fd)
{
  struct pollfd pfd = { fd, POLLIN, 0 };
  guint8 frame[2048];
  int n;

  do
    n = poll (&pfd, 1, 20 * 1000);
  while (n < 0 && errno == EINTR);
  if (n == 0)
    g_error ("the witness frame did not arrive within 20 s");
  g_assert_cmpint (n, ==, 1);
  g_assert_cmpint (recv (fd, frame, sizeof frame, 0), >=, 18);
  close (fd);
}

int
nr_test_gettid (void)
{
  return (int) syscall (SYS_gettid);
}

/* Whether /proc says thread @tid sleeps in a poll with a timeout. */
static gboolean
thread_parked (int tid)
{
  g_autofree char *path = g_strdup_printf ("/proc/self/task/%d/syscall", tid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  long nr;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    g_error ("cannot read %s", path);
  /* "NR arg1 arg2 arg3 …", or "running" */
  fields = g_strsplit (g_strstrip (text), " ", -1);
  if (g_strv_length (fields) < 4 || !g_ascii_isdigit (fields[0][0]))
    return FALSE;
  nr = strtol (fields[0], NULL, 10);
#ifdef SYS_poll
  if (nr == SYS_poll)
    return strtoll (fields[3], NULL, 16) != 0; /* timeout (ms): 0 is a busy check */
#endif
#ifdef SYS_ppoll
  if (nr == SYS_ppoll)
    return TRUE; /* the timeout is behind a pointer; a NULL one is "for ever" */
#endif
  return FALSE;
}

void
nr_test_thread_wait_parked (int tid)
{
  gint64 start = g_get_monotonic_time ();

  while (!thread_parked (tid))
    {
      if (g_get_monotonic_time () - start > 20 * G_USEC_PER_SEC)
        g_error ("thread %d did not park in poll() within 20 s", tid);
      g_usleep (1000);
    }
}

void
nr_test_pin_thread (void)
{
  cpu_set_t all, one;
  int cpu;

  if (sched_getaffinity (0, sizeof all, &all) != 0)
    return;
  CPU_ZERO (&one);
  for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET (cpu, &all); cpu++)
    ;
  CPU_SET (cpu, &one);
  sched_setaffinity (0, sizeof one, &one);
}

NrTestVeth *
nr_test_veth_new_multiqueue (guint queues)
{
  return veth_create (queues);
}

/* ---- network namespaces and the bridge topology ------------------------- */

static gpointer
netns_new_thread (gpointer data)
{
  int *fd = data;

  /* the namespace is the thread's own; the fd keeps it after the thread */
  if (unshare (CLONE_NEWNET) != 0)
    g_error ("unshare(CLONE_NEWNET): %s", g_strerror (errno));
  write_sysctl ("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
  write_sysctl ("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
  *fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  return NULL;
}

int
nr_test_netns_new (void)
{
  int fd = -1;

  g_thread_join (g_thread_new ("netns", netns_new_thread, &fd));
  g_assert_cmpint (fd, >=, 0);
  return fd;
}

int
nr_test_netns_current (void)
{
  int fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  return fd;
}

void
nr_test_netns_enter (int ns)
{
  g_assert_no_errno (setns (ns, CLONE_NEWNET));
}

void
nr_test_ip_in (int ns, const char *first_arg, ...)
{
  int home = nr_test_netns_current ();
  va_list ap;

  /* a spawned program starts in the namespace of the thread that spawns it */
  nr_test_netns_enter (ns);
  va_start (ap, first_arg);
  run_or_abort ("ip", first_arg, ap);
  va_end (ap);
  nr_test_netns_enter (home);
  close (home);
}

/* Moves @ifname into namespace @ns, brings it up there and waits until it
 * runs. Returns its index in @ns. */
static int
link_move_up (const char *ifname, int ns)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd/%d", (int) getpid (), ns);
  int home, ifindex;

  nr_test_ip ("link", "set", "dev", ifname, "netns", path, NULL);
  nr_test_ip_in (ns, "link", "set", ifname, "up", NULL);
  home = nr_test_netns_current ();
  nr_test_netns_enter (ns);
  wait_running (ifname);
  ifindex = (int) if_nametoindex (ifname);
  nr_test_netns_enter (home);
  close (home);
  g_assert_cmpint (ifindex, >, 0);
  return ifindex;
}

static void
bridge_pair_new (const char *port, const char *port_mac, const char *host, const char *host_mac)
{
  nr_test_ip ("link", "add", port, "address", port_mac, "type", "veth", "peer", "name", host,
              "address", host_mac, NULL);
  ethtool_offloads_off (port);
  ethtool_offloads_off (host);
  nr_test_ip ("link", "set", port, "up", NULL);
}

NrTestBridgeNet *
nr_test_bridge_net_new (void)
{
  NrTestBridgeNet *net = g_new0 (NrTestBridgeNet, 1);
  guint n = veth_counter++;
  guint pid = (guint) getpid () % 100000;
  static const guint8 mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
  static const guint8 mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };

  g_snprintf (net->host_a, sizeof net->host_a, "nb%uha%u", pid, n);
  g_snprintf (net->port_a, sizeof net->port_a, "nb%upa%u", pid, n);
  g_snprintf (net->port_b, sizeof net->port_b, "nb%upb%u", pid, n);
  g_snprintf (net->host_b, sizeof net->host_b, "nb%uhb%u", pid, n);
  memcpy (net->mac_host_a, mac_a, 6);
  memcpy (net->mac_host_b, mac_b, 6);
  net->ns_a = nr_test_netns_new ();
  net->ns_b = nr_test_netns_new ();

  bridge_pair_new (net->port_a, "02:00:00:00:01:0a", net->host_a, "02:00:00:00:00:01");
  bridge_pair_new (net->port_b, "02:00:00:00:01:0b", net->host_b, "02:00:00:00:00:02");
  net->ifindex_host_a = link_move_up (net->host_a, net->ns_a);
  net->ifindex_host_b = link_move_up (net->host_b, net->ns_b);
  wait_running (net->port_a);
  wait_running (net->port_b);
  return net;
}

void
nr_test_bridge_net_free (NrTestBridgeNet *net)
{
  if (net == NULL)
    return;
  /* a test may have removed a pair on purpose */
  if (if_nametoindex (net->port_a) != 0)
    nr_test_ip ("link", "del", net->port_a, NULL);
  if (if_nametoindex (net->port_b) != 0)
    nr_test_ip ("link", "del", net->port_b, NULL);
  close (net->ns_a);
  close (net->ns_b);
  g_free (net);
}

void
nr_test_pin_thread_last (void)
{
  cpu_set_t all, one;
  int cpu, last = -1;

  if (sched_getaffinity (0, sizeof all, &all) != 0)
    return;
  for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
    if (CPU_ISSET (cpu, &all))
      last = cpu;
  if (last < 0)
    return;
  CPU_ZERO (&one);
  CPU_SET (last, &one);
  sched_setaffinity (0, sizeof one, &one);
}

/* ---- counting a stream of test frames -------------------------------------------- */

void
nr_test_tally_init (NrTestTally *t, guint32 count, gsize length, const guint8 *src,
                    const guint8 *dst)
{
  memset (t, 0, sizeof *t);
  t->count = count;
  t->length = length;
  t->src = src;
  t->dst = dst;
  t->seen = g_new0 (guint8, MAX (count, 1));
}

void
nr_test_tally_clear (NrTestTally *t)
{
  g_clear_pointer (&t->seen, g_free);
}

void
nr_test_tally_frame (NrTestTally *t, const guint8 *data, gsize len)
{
  guint32 seq;

  g_assert_cmpuint (len, >=, 18);
  seq = nr_test_frame_seq (data);
  if (seq == t->count)
    {
      g_assert_cmpuint (len, ==, 64);
      g_assert_true (nr_test_frame_check (data, len, seq, t->src, t->dst));
      g_assert_false (t->marker_seen);
      t->marker_seen = TRUE;
      return;
    }
  if (seq >= t->count || len != t->length)
    g_error ("unexpected frame: seq %u, %zu bytes (expected < %u, %zu bytes)", seq, len, t->count,
             t->length);
  if (!nr_test_frame_check (data, len, seq, t->src, t->dst))
    g_error ("frame %u of %zu bytes arrived damaged", seq, len);
  if (t->seen[seq])
    g_error ("frame %u arrived twice", seq);
  t->seen[seq] = 1;
  t->received++;
}

/* ---- somebody else's XDP programs ---------------------------------------------- */

static int
xdp_program_load (const struct bpf_insn *insns, size_t count)
{
  LIBBPF_OPTS (bpf_prog_load_opts, opts);
  int fd = bpf_prog_load (BPF_PROG_TYPE_XDP, "nrtest_other", "GPL", insns, count, &opts);

  g_assert_cmpint (fd, >=, 0);
  return fd;
}

int
nr_test_xdp_load_pass (void)
{
  const struct bpf_insn insns[] = {
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
    { .code = BPF_JMP | BPF_EXIT },
  };
  return xdp_program_load (insns, G_N_ELEMENTS (insns));
}

int
nr_test_xdp_load_redirect (int map_fd)
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
  return xdp_program_load (insns, G_N_ELEMENTS (insns));
}

void
nr_test_xdp_attach (int ifindex, int prog_fd, gboolean native)
{
  guint32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST | (native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);

  /* libbpf returns -errno and sets errno */
  g_assert_no_errno (bpf_xdp_attach (ifindex, prog_fd, flags, NULL));
}

guint32
nr_test_xdp_prog_id (int prog_fd)
{
  struct bpf_prog_info info;
  __u32 len = sizeof info;

  memset (&info, 0, sizeof info);
  g_assert_no_errno (bpf_obj_get_info_by_fd (prog_fd, &info, &len));
  return info.id;
}
