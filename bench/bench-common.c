/* bench-common.c: namespace, pinning, generator and counter shared by the
 * benchmarks (see bench-common.h) */
#define _GNU_SOURCE
#include "bench-common.h"

#include <errno.h>
#include <gio/gio.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pthread.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

/* ---- namespace and veth -------------------------------------------------- */

static void
write_proc (const char *path, const char *value)
{
  /* Not g_file_set_contents(): /proc files cannot be replaced by rename. */
  FILE *f = fopen (path, "w");

  if (f == NULL || fputs (value, f) < 0 || fclose (f) != 0)
    g_printerr ("bench: cannot write %s: %s\n", path, g_strerror (errno));
}

/* Runs a command; fatal when @required, otherwise its failure is ignored
 * (ethtool on a kernel that does not know a feature, for example). */
static gboolean
run_command (gboolean required, const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *err_out = NULL;
  gint status = 0;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err_out, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      if (required)
        {
          g_autofree gchar *cmd = g_strjoinv (" ", (gchar **) argv);
          g_printerr ("bench: “%s” failed: %s %s\n", cmd, error->message,
                      err_out != NULL ? err_out : "");
          exit (1);
        }
      return FALSE;
    }
  return TRUE;
}

/* Interface queries go through ioctl and netlink, not /sys: sysfs shows the
 * namespace it was mounted in, not ours. */
static int
ifreq_ioctl (const char *ifname, unsigned long request, struct ifreq *ifr)
{
  int fd = socket (AF_PACKET, SOCK_RAW, 0);
  int rc;

  if (fd < 0)
    return -1;
  memset (ifr, 0, sizeof *ifr);
  g_strlcpy (ifr->ifr_name, ifname, sizeof ifr->ifr_name);
  rc = ioctl (fd, request, ifr);
  close (fd);
  return rc;
}

void
bench_iface_mac (const char *ifname, guint8 mac[6])
{
  struct ifreq ifr;

  if (ifreq_ioctl (ifname, SIOCGIFHWADDR, &ifr) != 0)
    {
      g_printerr ("bench: cannot read the MAC address of %s: %s\n", ifname, g_strerror (errno));
      exit (1);
    }
  memcpy (mac, ifr.ifr_hwaddr.sa_data, 6);
}

static void
wait_running (const char *ifname)
{
  /* A veth end only has carrier once both ends are up; sending before that
   * drops. */
  for (int i = 0; i < 200; i++)
    {
      struct ifreq ifr;

      if (ifreq_ioctl (ifname, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING))
        return;
      g_usleep (10000);
    }
  g_printerr ("bench: %s did not come up\n", ifname);
  exit (1);
}

/* Offloads off (one frame sent is one frame received, whatever the
 * receiver: peers.md §12.2), both ends of a veth pair up and running. */
static void
pair_up (const char *a, const char *b)
{
  const char *ends[] = { a, b };
  const char *ethtool = NULL;

  if (g_file_test ("/usr/sbin/ethtool", G_FILE_TEST_IS_EXECUTABLE))
    ethtool = "/usr/sbin/ethtool";
  else if (g_file_test ("/sbin/ethtool", G_FILE_TEST_IS_EXECUTABLE))
    ethtool = "/sbin/ethtool";
  if (ethtool != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (ends); i++)
      run_command (FALSE, (const char *const[]){ ethtool, "-K", ends[i], "gro", "off", "gso",
                                                 "off", "tso", "off", NULL });
  for (guint i = 0; i < G_N_ELEMENTS (ends); i++)
    run_command (TRUE, (const char *const[]){ "ip", "link", "set", ends[i], "up", NULL });
  for (guint i = 0; i < G_N_ELEMENTS (ends); i++)
    wait_running (ends[i]);
}

void
bench_net_add_pair (const char *a, const char *b)
{
  run_command (TRUE, (const char *const[]){ "ip", "link", "add", a, "type", "veth", "peer",
                                            "name", b, NULL });
  pair_up (a, b);
}

void
bench_net_setup (BenchNet *net)
{
  memset (net, 0, sizeof *net);
  g_strlcpy (net->tx_if, "bgen0", sizeof net->tx_if);
  g_strlcpy (net->rx_if, "bdut0", sizeof net->rx_if);

  /* A private namespace: the veth pair and all traffic vanish with the
   * process, and nothing we send can reach any other network. */
  if (unshare (CLONE_NEWNET) != 0)
    {
      int errsv = errno;
      g_print ("SKIP: cannot create a network namespace (unshare(CLONE_NEWNET): %s); "
               "run as root or with CAP_SYS_ADMIN and CAP_NET_ADMIN\n",
               g_strerror (errsv));
      exit (BENCH_SKIP_STATUS);
    }
  /* Before the interfaces exist, so they never send router solicitations
   * or MLD reports that would land in the rings being measured. */
  write_proc ("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
  write_proc ("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");

  run_command (TRUE, (const char *const[]){ "ip", "link", "set", "lo", "up", NULL });
  bench_net_add_pair (net->tx_if, net->rx_if);

  net->tx_ifindex = (int) if_nametoindex (net->tx_if);
  net->rx_ifindex = (int) if_nametoindex (net->rx_if);
  bench_iface_mac (net->tx_if, net->tx_mac);
  bench_iface_mac (net->rx_if, net->rx_mac);
}

/* ---- CPUs and clocks ----------------------------------------------------- */

void
bench_pin_to_cpu (int cpu)
{
  cpu_set_t set;
  int rc;

  CPU_ZERO (&set);
  CPU_SET (cpu, &set);
  rc = pthread_setaffinity_np (pthread_self (), sizeof set, &set);
  if (rc != 0)
    g_printerr ("bench: cannot pin a thread to CPU %d: %s\n", cpu, g_strerror (rc));
}

static gint64
clock_ns (clockid_t id)
{
  struct timespec ts;

  clock_gettime (id, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

gint64
bench_thread_cpu_ns (void)
{
  return clock_ns (CLOCK_THREAD_CPUTIME_ID);
}

gint64
bench_now_ns (void)
{
  return clock_ns (CLOCK_MONOTONIC);
}

void
bench_cpu_busy_ns (gint64 busy[2])
{
  g_autofree gchar *text = NULL;
  g_auto(GStrv) lines = NULL;
  long hz = sysconf (_SC_CLK_TCK);

  busy[0] = busy[1] = 0;
  if (!g_file_get_contents ("/proc/stat", &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      unsigned long long v[8] = { 0 };
      int cpu;

      if (sscanf (lines[i], "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
                  &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 9 ||
          cpu < 0 || cpu > 1)
        continue;
      /* user nice system [idle] [iowait] irq softirq steal */
      busy[cpu] = (gint64) (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) *
                  (G_GINT64_CONSTANT (1000000000) / hz);
    }
}

guint64
bench_iface_stat (const char *ifname, const char *counter)
{
  struct ifaddrs *list = NULL;
  guint64 value = 0;

  /* getifaddrs() asks netlink, in this namespace; the AF_PACKET entries
   * carry the link statistics. */
  if (getifaddrs (&list) != 0)
    return 0;
  for (struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next)
    {
      const struct rtnl_link_stats *st = ifa->ifa_data;

      if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_PACKET || st == NULL ||
          strcmp (ifa->ifa_name, ifname) != 0)
        continue;
      if (g_str_equal (counter, "rx_packets"))
        value = st->rx_packets;
      else if (g_str_equal (counter, "tx_packets"))
        value = st->tx_packets;
      else if (g_str_equal (counter, "rx_dropped"))
        value = st->rx_dropped;
      else if (g_str_equal (counter, "tx_dropped"))
        value = st->tx_dropped;
      break;
    }
  freeifaddrs (list);
  return value;
}

void
bench_frame_build (guint8 *frame, gsize size, const guint8 *dst, const guint8 *src)
{
  memcpy (frame, dst, 6);
  memcpy (frame + 6, src, 6);
  frame[12] = BENCH_ETHERTYPE >> 8;
  frame[13] = BENCH_ETHERTYPE & 0xff;
  for (gsize i = 14; i < size; i++)
    frame[i] = (guint8) i;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
bench_median (double *values, guint n)
{
  if (n == 0)
    return 0;
  qsort (values, n, sizeof *values, compare_double);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void
bench_latch_init (BenchLatch *latch)
{
  g_mutex_init (&latch->lock);
  g_cond_init (&latch->cond);
  latch->set = FALSE;
}

void
bench_latch_clear (BenchLatch *latch)
{
  g_mutex_clear (&latch->lock);
  g_cond_clear (&latch->cond);
}

void
bench_latch_set (BenchLatch *latch)
{
  g_mutex_lock (&latch->lock);
  latch->set = TRUE;
  g_cond_broadcast (&latch->cond);
  g_mutex_unlock (&latch->lock);
}

void
bench_latch_wait (BenchLatch *latch)
{
  g_mutex_lock (&latch->lock);
  while (!latch->set)
    g_cond_wait (&latch->cond, &latch->lock);
  g_mutex_unlock (&latch->lock);
}

/* ---- TX ring -------------------------------------------------------------- */

/* Without PACKET_TX_HAS_OFF the kernel reads a V3 TX frame's data right
 * after the aligned header, whatever tp_mac says. */
#define TX_DATA_OFFSET (TPACKET3_HDRLEN - sizeof (struct sockaddr_ll))

static gboolean
set_error_errno (GError **error, const char *what)
{
  int errsv = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s", what,
               g_strerror (errsv));
  return FALSE;
}

static guint32
next_pow2 (guint32 v)
{
  guint32 r = 1;

  while (r < v)
    r <<= 1;
  return r;
}

gboolean
bench_tx_ring_open (BenchTxRing *ring, int ifindex, guint frame_size, guint frame_count,
                    gboolean qdisc_bypass, GError **error)
{
  struct tpacket_req3 req;
  struct sockaddr_ll sll;
  int version = TPACKET_V3;
  int one = 1;
  guint32 page = (guint32) sysconf (_SC_PAGESIZE);

  memset (ring, 0, sizeof *ring);
  ring->fd = socket (AF_PACKET, SOCK_RAW, 0);
  if (ring->fd < 0)
    return set_error_errno (error, "socket(AF_PACKET)");

  ring->frame_size = frame_size;
  ring->block_size = next_pow2 (MAX (frame_size, page));
  ring->frames_per_block = ring->block_size / frame_size;
  ring->frame_count = (frame_count + ring->frames_per_block - 1) / ring->frames_per_block *
                      ring->frames_per_block;

  memset (&req, 0, sizeof req);
  req.tp_block_size = ring->block_size;
  req.tp_block_nr = ring->frame_count / ring->frames_per_block;
  req.tp_frame_size = frame_size;
  req.tp_frame_nr = ring->frame_count;
  if (setsockopt (ring->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0)
    return set_error_errno (error, "setsockopt(PACKET_VERSION)");
  if (setsockopt (ring->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) != 0)
    return set_error_errno (error, "setsockopt(PACKET_TX_RING)");
  ring->map_length = (gsize) req.tp_block_size * req.tp_block_nr;
  ring->map = mmap (NULL, ring->map_length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                    ring->fd, 0);
  if (ring->map == MAP_FAILED)
    {
      ring->map = NULL;
      return set_error_errno (error, "mmap(TX ring)");
    }
  if (qdisc_bypass &&
      setsockopt (ring->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0)
    return set_error_errno (error, "setsockopt(PACKET_QDISC_BYPASS)");

  /* Protocol 0: this socket sends and never receives anything. */
  memset (&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = ifindex;
  if (bind (ring->fd, (struct sockaddr *) &sll, sizeof sll) != 0)
    return set_error_errno (error, "bind(TX ring)");
  return TRUE;
}

void
bench_tx_ring_close (BenchTxRing *ring)
{
  if (ring->map != NULL)
    munmap (ring->map, ring->map_length);
  if (ring->fd >= 0)
    close (ring->fd);
  ring->map = NULL;
  ring->fd = -1;
}

static inline struct tpacket3_hdr *
tx_frame (BenchTxRing *ring, guint32 index)
{
  return (struct tpacket3_hdr *) (ring->map +
                                  (gsize) (index / ring->frames_per_block) * ring->block_size +
                                  (gsize) (index % ring->frames_per_block) * ring->frame_size);
}

static inline guint32
tx_status (struct tpacket3_hdr *hdr)
{
  return __atomic_load_n (&hdr->tp_status, __ATOMIC_ACQUIRE);
}

static gboolean
tx_kick (BenchTxRing *ring, BenchTxResult *result, GError **error)
{
  result->kicks++;
  if (sendto (ring->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
      errno != ENOBUFS && errno != EINTR)
    return set_error_errno (error, "sendto(TX ring)");
  return TRUE;
}

/* Waits a little for the kernel to give a slot back. POLLOUT alone would
 * spin (the socket is "writable" while its send buffer is half empty, even
 * with every slot in flight), so it is only a short bounded wait. */
static void
tx_wait (BenchTxRing *ring)
{
  struct pollfd pfd = { .fd = ring->fd, .events = POLLOUT };

  if (poll (&pfd, 1, 1) > 0)
    sched_yield ();
}

gboolean
bench_tx_ring_send (BenchTxRing *ring, const guint8 *frame, gsize size, guint64 count,
                    BenchTxResult *result, GError **error)
{
  gint64 cpu0 = bench_thread_cpu_ns ();
  gint64 deadline;

  memset (result, 0, sizeof *result);
  result->start_ns = bench_now_ns ();
  while (result->queued < count)
    {
      guint filled = 0;

      while (result->queued < count)
        {
          struct tpacket3_hdr *hdr = tx_frame (ring, ring->cursor);
          guint32 status = tx_status (hdr);

          if (status == TP_STATUS_WRONG_FORMAT)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "the kernel refused a %zu-byte frame", size);
              return FALSE;
            }
          if (status != TP_STATUS_AVAILABLE)
            break;
          memcpy ((guint8 *) hdr + TX_DATA_OFFSET, frame, size);
          hdr->tp_next_offset = 0;
          hdr->tp_len = (guint32) size;
          hdr->tp_snaplen = (guint32) size;
          __atomic_store_n (&hdr->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
          ring->cursor = (ring->cursor + 1) % ring->frame_count;
          result->queued++;
          filled++;
        }
      if (filled > 0)
        {
          if (!tx_kick (ring, result, error))
            return FALSE;
        }
      else
        {
          result->full_waits++;
          tx_wait (ring);
        }
    }

  /* Done when every slot is back: only then have all frames left. */
  deadline = bench_now_ns () + 5 * G_GINT64_CONSTANT (1000000000);
  for (guint32 i = 0; i < ring->frame_count; i++)
    {
      struct tpacket3_hdr *hdr = tx_frame (ring, i);
      guint32 status;

      while ((status = tx_status (hdr)) != TP_STATUS_AVAILABLE)
        {
          if (status == TP_STATUS_WRONG_FORMAT || bench_now_ns () > deadline)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "TX ring slot %u stuck in status 0x%x", i, status);
              return FALSE;
            }
          if (status == TP_STATUS_SEND_REQUEST && !tx_kick (ring, result, error))
            return FALSE;
          tx_wait (ring);
        }
    }
  result->end_ns = bench_now_ns ();
  result->cpu_ns = bench_thread_cpu_ns () - cpu0;
  return TRUE;
}

/* ---- RX counter ------------------------------------------------------------ */

gboolean
bench_rx_ring_open (BenchRxRing *ring, int ifindex, guint block_size, guint block_count,
                    guint timeout_ms, GError **error)
{
  struct tpacket_req3 req;
  struct sockaddr_ll sll;
  int version = TPACKET_V3;

  memset (ring, 0, sizeof *ring);
  ring->first_ts_ns = -1;
  ring->fd = socket (AF_PACKET, SOCK_RAW, 0);
  if (ring->fd < 0)
    return set_error_errno (error, "socket(AF_PACKET)");
  if (setsockopt (ring->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0)
    return set_error_errno (error, "setsockopt(PACKET_VERSION)");
  memset (&req, 0, sizeof req);
  req.tp_block_size = block_size;
  req.tp_block_nr = block_count;
  req.tp_frame_size = 2048;
  req.tp_frame_nr = block_size / 2048 * block_count;
  req.tp_retire_blk_tov = timeout_ms;
  if (setsockopt (ring->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0)
    return set_error_errno (error, "setsockopt(PACKET_RX_RING)");
  ring->block_size = block_size;
  ring->block_count = block_count;
  ring->map_length = (gsize) block_size * block_count;
  ring->map = mmap (NULL, ring->map_length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                    ring->fd, 0);
  if (ring->map == MAP_FAILED)
    {
      ring->map = NULL;
      return set_error_errno (error, "mmap(RX ring)");
    }
  /* Bind last, with the ring in place, so that every frame lands in it. */
  memset (&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = g_htons (ETH_P_ALL);
  sll.sll_ifindex = ifindex;
  if (bind (ring->fd, (struct sockaddr *) &sll, sizeof sll) != 0)
    return set_error_errno (error, "bind(RX ring)");
  bench_rx_ring_drops (ring); /* start the kernel's counters from zero */
  return TRUE;
}

void
bench_rx_ring_close (BenchRxRing *ring)
{
  if (ring->map != NULL)
    munmap (ring->map, ring->map_length);
  if (ring->fd >= 0)
    close (ring->fd);
  ring->map = NULL;
  ring->fd = -1;
}

guint64
bench_rx_ring_drops (BenchRxRing *ring)
{
  struct tpacket_stats_v3 st;
  socklen_t len = sizeof st;

  if (getsockopt (ring->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0)
    return 0;
  return st.tp_drops;
}

gboolean
bench_rx_ring_poll (BenchRxRing *ring, int timeout_ms, GError **error)
{
  gboolean waited = FALSE;

  for (;;)
    {
      struct tpacket_block_desc *desc =
        (struct tpacket_block_desc *) (ring->map + (gsize) ring->cursor * ring->block_size);
      const guint8 *p;
      guint32 n;

      if ((__atomic_load_n (&desc->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0)
        {
          struct pollfd pfd = { .fd = ring->fd, .events = POLLIN };

          if (waited)
            return TRUE;
          if (poll (&pfd, 1, timeout_ms) < 0 && errno != EINTR)
            return set_error_errno (error, "poll(RX ring)");
          if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "RX ring socket error");
              return FALSE;
            }
          waited = TRUE;
          continue;
        }

      n = desc->hdr.bh1.num_pkts;
      p = (const guint8 *) desc + desc->hdr.bh1.offset_to_first_pkt;
      for (guint32 i = 0; i < n; i++)
        {
          const struct tpacket3_hdr *hdr = (const struct tpacket3_hdr *) p;
          const guint8 *data = p + hdr->tp_mac;

          if (hdr->tp_snaplen >= 14 && data[12] == (BENCH_ETHERTYPE >> 8) &&
              data[13] == (BENCH_ETHERTYPE & 0xff))
            {
              gint64 ts = (gint64) hdr->tp_sec * G_GINT64_CONSTANT (1000000000) + hdr->tp_nsec;

              if (ring->first_ts_ns < 0)
                ring->first_ts_ns = ts;
              ring->last_ts_ns = ts;
              ring->packets++;
            }
          else
            ring->other++;
          p += hdr->tp_next_offset;
        }
      __atomic_store_n (&desc->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      ring->cursor = (ring->cursor + 1) % ring->block_count;
      waited = TRUE; /* drain what is ready, then return */
    }
}
