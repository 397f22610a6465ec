/* bench-bridge.c: forwarding between two veth pairs, one run per forwarder:
 * NetringBridge (no verdict, and a C verdict), a hand-written bare-ring
 * forwarder (TPACKET_V3 RX ring → TPACKET_V3 TX ring) and libpcap
 * (pcap_dispatch + pcap_inject). A hand-written TX-ring generator on CPU 0
 * offers --count frames at its full rate; the forwarder runs on CPU 1. What
 * arrives is read from the kernel's counters of the receiving end, so no
 * forwarder is trusted about what it forwarded. See bench/README.md.
 *
 *   bgen0 ── bdut0 : forwarder : bdutb0 ── bcnt0
 */
#define _GNU_SOURCE
#include "bench-common.h"

#include <netring/netring.h>
#include <pcap/pcap.h>

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define OUT_IF "bdutb0"
#define SINK_IF "bcnt0"
/* where the data of a TPACKET_V3 TX frame starts */
#define TX_DATA_OFFSET (TPACKET3_HDRLEN - sizeof (struct sockaddr_ll))

typedef enum {
  FW_BRIDGE,
  FW_BRIDGE_VERDICT,
  FW_BARE,
  FW_PCAP,
  N_FW
} FwKind;

static const char *const fw_names[N_FW] = {
  "netring-bridge", "netring-bridge-verdict", "bare-rings", "libpcap"
};

static struct {
  gint64 count;
  gint size;
  gint runs;
  gint gen_frames;
  gchar *forwarders;
} opt = {
  .count = 1000000,
  .size = 64,
  .runs = 3,
  .gen_frames = 4096,
  .forwarders = NULL,
};

/* The bare forwarder and libpcap get the bridge's default receive ring. */
#define RX_BLOCK_SIZE (32u * 1024u)
#define RX_BLOCK_COUNT 8192u
#define RX_TIMEOUT_MS 1
#define TX_FRAME_SIZE 2048u
#define TX_FRAME_COUNT 1024u

typedef struct {
  FwKind kind;
  int in_ifindex;
  int out_ifindex;
  BenchLatch ready;
  gint stop;          /* atomic */
  GCancellable *cancellable;
  pcap_t *pcap_in;    /* libpcap blocks in poll() for ever: pcap_breakloop() wakes it */

  /* results */
  gint64 cpu_ns;      /* forwarder thread, from ready to stop */
  gint64 user_ns;     /* of which in user space */
  guint64 ring_drops; /* the forwarder's receive ring */
  guint64 verdicts;
  gchar *error;
} Forwarder;

/* User-space CPU time of the calling thread, nanoseconds. */
static gint64
thread_user_ns (void)
{
  struct rusage usage;

  getrusage (RUSAGE_THREAD, &usage);
  return (gint64) usage.ru_utime.tv_sec * 1000000000 + (gint64) usage.ru_utime.tv_usec * 1000;
}

/* ---- NetringBridge ------------------------------------------------------------ */

static NetringBridgeAction
cheap_verdict (NetringBridge *bridge, NetringBridgeDirection direction, guint8 *frame,
               gsize length, const NetringPacketInfo *packet, gpointer user_data)
{
  Forwarder *f = user_data;

  /* what a real verdict does at least: look at the frame */
  f->verdicts++;
  return frame[12] == 0x08 && frame[13] == 0x06 ? NETRING_BRIDGE_ACTION_DROP
                                                : NETRING_BRIDGE_ACTION_FORWARD;
}

static void
forward_bridge (Forwarder *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  gint64 cpu0;

  bridge = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-a", "bdut0",
                           "interface-b", OUT_IF, "direction", NETRING_BRIDGE_DIRECTIONS_A_TO_B,
                           NULL);
  if (bridge == NULL)
    {
      f->error = g_strdup (error->message);
      bench_latch_set (&f->ready);
      return;
    }
  if (f->kind == FW_BRIDGE_VERDICT)
    netring_bridge_set_verdict_func (bridge, cheap_verdict, f, NULL);
  bench_latch_set (&f->ready);
  cpu0 = bench_thread_cpu_ns ();
  f->user_ns = thread_user_ns ();
  if (!netring_bridge_run (bridge, f->cancellable, &error))
    f->error = g_strdup (error->message);
  f->cpu_ns = bench_thread_cpu_ns () - cpu0;
  f->user_ns = thread_user_ns () - f->user_ns;
  stats = netring_bridge_get_stats (bridge, NULL);
  if (stats != NULL)
    {
      g_autofree gchar *text = netring_bridge_stats_to_string (stats);

      f->ring_drops = stats->a_to_b_kernel_drops;
      g_print ("    %s\n", text);
    }
}

/* ---- bare rings ------------------------------------------------------------------- */

static gboolean
fail_errno (Forwarder *f, const char *what)
{
  f->error = g_strdup_printf ("%s: %s", what, g_strerror (errno));
  return FALSE;
}

typedef struct {
  int fd;
  guint8 *map;
  gsize map_length;
  guint32 cursor;
} BareRx;

static gboolean
bare_rx_open (Forwarder *f, BareRx *rx)
{
  struct tpacket_req3 req = { 0 };
  struct sockaddr_ll sll = { 0 };
  int version = TPACKET_V3, one = 1;

  rx->fd = socket (AF_PACKET, SOCK_RAW, 0);
  if (rx->fd < 0)
    return fail_errno (f, "socket");
  req.tp_block_size = RX_BLOCK_SIZE;
  req.tp_block_nr = RX_BLOCK_COUNT;
  req.tp_frame_size = 2048;
  req.tp_frame_nr = RX_BLOCK_SIZE / 2048 * RX_BLOCK_COUNT;
  req.tp_retire_blk_tov = RX_TIMEOUT_MS;
  if (setsockopt (rx->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0 ||
      setsockopt (rx->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0)
    return fail_errno (f, "RX ring");
  rx->map_length = (gsize) RX_BLOCK_SIZE * RX_BLOCK_COUNT;
  rx->map = mmap (NULL, rx->map_length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                  rx->fd, 0);
  if (rx->map == MAP_FAILED)
    return fail_errno (f, "mmap");
  /* the same loop protection as the bridge, and promiscuous like it */
  if (setsockopt (rx->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) != 0)
    return fail_errno (f, "PACKET_IGNORE_OUTGOING");
  {
    struct packet_mreq mreq = { .mr_ifindex = f->in_ifindex, .mr_type = PACKET_MR_PROMISC };

    setsockopt (rx->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq);
  }
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = g_htons (ETH_P_ALL);
  sll.sll_ifindex = f->in_ifindex;
  if (bind (rx->fd, (struct sockaddr *) &sll, sizeof sll) != 0)
    return fail_errno (f, "bind");
  return TRUE;
}

static inline struct tpacket3_hdr *
bare_tx_frame (BenchTxRing *tx, guint32 index)
{
  return (struct tpacket3_hdr *) (tx->map + (gsize) (index / tx->frames_per_block) * tx->block_size +
                                  (gsize) (index % tx->frames_per_block) * tx->frame_size);
}

/* The physical limit: the walk of the block, one copy per frame into the
 * next TX slot, a kick per block, and POLLOUT (with a 1 ms bound) when the
 * TX ring is full. No checks beyond what the kernel needs. */
static void
forward_bare (Forwarder *f)
{
  g_autoptr(GError) error = NULL;
  BareRx rx = { -1 };
  BenchTxRing tx;
  gint64 cpu0;
  struct tpacket_stats_v3 st;
  socklen_t len = sizeof st;

  if (!bare_rx_open (f, &rx) ||
      !bench_tx_ring_open (&tx, f->out_ifindex, TX_FRAME_SIZE, TX_FRAME_COUNT, TRUE, &error))
    {
      if (f->error == NULL)
        f->error = g_strdup (error->message);
      bench_latch_set (&f->ready);
      return;
    }
  bench_latch_set (&f->ready);
  cpu0 = bench_thread_cpu_ns ();
  f->user_ns = thread_user_ns ();
  while (!g_atomic_int_get (&f->stop))
    {
      struct tpacket_block_desc *desc =
        (struct tpacket_block_desc *) (rx.map + (gsize) rx.cursor * RX_BLOCK_SIZE);
      const guint8 *p;
      guint32 n;

      if ((__atomic_load_n (&desc->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0)
        {
          struct pollfd pfd = { .fd = rx.fd, .events = POLLIN };

          poll (&pfd, 1, 100);
          continue;
        }
      n = desc->hdr.bh1.num_pkts;
      p = (const guint8 *) desc + desc->hdr.bh1.offset_to_first_pkt;
      for (guint32 i = 0; i < n; i++)
        {
          const struct tpacket3_hdr *hdr = (const struct tpacket3_hdr *) p;
          struct tpacket3_hdr *out = bare_tx_frame (&tx, tx.cursor);

          while (__atomic_load_n (&out->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE)
            {
              struct pollfd pfd = { .fd = tx.fd, .events = POLLOUT };

              sendto (tx.fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
              poll (&pfd, 1, 1);
            }
          memcpy ((guint8 *) out + TX_DATA_OFFSET, p + hdr->tp_mac, hdr->tp_snaplen);
          out->tp_next_offset = 0;
          out->tp_len = hdr->tp_snaplen;
          out->tp_snaplen = hdr->tp_snaplen;
          __atomic_store_n (&out->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
          tx.cursor = (tx.cursor + 1) % tx.frame_count;
          p += hdr->tp_next_offset;
        }
      __atomic_store_n (&desc->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      rx.cursor = (rx.cursor + 1) % RX_BLOCK_COUNT;
      sendto (tx.fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
    }
  f->cpu_ns = bench_thread_cpu_ns () - cpu0;
  f->user_ns = thread_user_ns () - f->user_ns;
  if (getsockopt (rx.fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
    f->ring_drops = st.tp_drops;
  bench_tx_ring_close (&tx);
  munmap (rx.map, rx.map_length);
  close (rx.fd);
}

/* ---- libpcap ---------------------------------------------------------------------- */

static void
pcap_forward_one (u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
  pcap_t *out = (pcap_t *) user;

  while (pcap_inject (out, bytes, h->caplen) < 0)
    {
      /* the device queue is full: what a careful pcap forwarder does */
      struct pollfd pfd = { .fd = pcap_get_selectable_fd (out), .events = POLLOUT };

      poll (&pfd, 1, 1);
    }
}

static pcap_t *
pcap_open_handle (Forwarder *f, const char *ifname, gboolean receive)
{
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_create (ifname, errbuf);

  if (p == NULL)
    {
      f->error = g_strdup_printf ("pcap_create(%s): %s", ifname, errbuf);
      return NULL;
    }
  pcap_set_snaplen (p, 65535);
  if (receive)
    {
      /* the same ring memory and timeout as the bridge's */
      pcap_set_promisc (p, 1);
      pcap_set_timeout (p, RX_TIMEOUT_MS);
      pcap_set_buffer_size (p, (int) (RX_BLOCK_SIZE * RX_BLOCK_COUNT));
    }
  else
    pcap_set_buffer_size (p, 1 << 20);
  if (pcap_activate (p) < 0)
    {
      f->error = g_strdup_printf ("pcap_activate(%s): %s", ifname, pcap_geterr (p));
      pcap_close (p);
      return NULL;
    }
  if (receive)
    pcap_setdirection (p, PCAP_D_IN);
  return p;
}

static void
forward_pcap (Forwarder *f)
{
  pcap_t *in = pcap_open_handle (f, "bdut0", TRUE);
  pcap_t *out = in != NULL ? pcap_open_handle (f, OUT_IF, FALSE) : NULL;
  struct pcap_stat st;
  gint64 cpu0;

  if (out == NULL)
    {
      if (in != NULL)
        pcap_close (in);
      bench_latch_set (&f->ready);
      return;
    }
  f->pcap_in = in;
  bench_latch_set (&f->ready);
  cpu0 = bench_thread_cpu_ns ();
  f->user_ns = thread_user_ns ();
  while (!g_atomic_int_get (&f->stop))
    {
      int n = pcap_dispatch (in, -1, pcap_forward_one, (u_char *) out);

      if (n == PCAP_ERROR_BREAK)
        break;
      if (n < 0)
        {
          f->error = g_strdup_printf ("pcap_dispatch: %s", pcap_geterr (in));
          break;
        }
    }
  f->cpu_ns = bench_thread_cpu_ns () - cpu0;
  f->user_ns = thread_user_ns () - f->user_ns;
  if (pcap_stats (in, &st) == 0)
    f->ring_drops = st.ps_drop;
  pcap_close (out);
  pcap_close (in);
}

static gpointer
forwarder_thread (gpointer data)
{
  Forwarder *f = data;

  bench_pin_to_cpu (BENCH_CPU_RECEIVER);
  switch (f->kind)
    {
    case FW_BRIDGE:
    case FW_BRIDGE_VERDICT:
      forward_bridge (f);
      break;
    case FW_BARE:
      forward_bare (f);
      break;
    case FW_PCAP:
    default:
      forward_pcap (f);
      break;
    }
  return NULL;
}

/* ---- generator -------------------------------------------------------------------- */

typedef struct {
  const BenchNet *net;
  const guint8 *frame;
  BenchTxResult result;
  gchar *error;
} Generator;

static gpointer
generator_thread (gpointer data)
{
  Generator *g = data;
  g_autoptr(GError) error = NULL;
  BenchTxRing ring;

  bench_pin_to_cpu (BENCH_CPU_SENDER);
  if (!bench_tx_ring_open (&ring, g->net->tx_ifindex, 2048, (guint) opt.gen_frames, TRUE,
                           &error) ||
      !bench_tx_ring_send (&ring, g->frame, (gsize) opt.size, (guint64) opt.count, &g->result,
                           &error))
    g->error = g_strdup (error->message);
  bench_tx_ring_close (&ring);
  return NULL;
}

/* ---- controller ------------------------------------------------------------------- */

typedef struct {
  gboolean ok;
  guint64 offered;   /* arrived at the forwarder's receiving interface */
  guint64 delivered; /* arrived at the far end */
  guint64 ring_drops;
  guint64 lost_before; /* dropped on the way to the forwarder (veth) */
  double delivered_pct;
  double cpu_ns;     /* forwarder thread CPU per delivered frame */
  double user_ns;    /* of which in user space */
  double gen_mpps;
} Result;

static Result
run_trial (FwKind kind, const BenchNet *net, const guint8 *frame)
{
  Result res = { 0 };
  Forwarder f = { 0 };
  Generator g = { 0 };
  GThread *fw, *gen;
  guint64 in0, out0, gen_drop0;
  guint64 last;
  gint64 last_change;

  f.kind = kind;
  f.in_ifindex = net->rx_ifindex;
  f.out_ifindex = (int) if_nametoindex (OUT_IF);
  f.cancellable = g_cancellable_new ();
  bench_latch_init (&f.ready);
  in0 = bench_iface_stat (net->rx_if, "rx_packets");
  out0 = bench_iface_stat (SINK_IF, "rx_packets");
  gen_drop0 = bench_iface_stat (net->tx_if, "tx_dropped");
  fw = g_thread_new (fw_names[kind], forwarder_thread, &f);
  bench_latch_wait (&f.ready);

  g.net = net;
  g.frame = frame;
  if (f.error == NULL)
    {
      gen = g_thread_new ("generator", generator_thread, &g);
      g_thread_join (gen);
    }

  /* wait until everything offered arrived, or nothing moved for 500 ms */
  last = G_MAXUINT64;
  last_change = bench_now_ns ();
  while (f.error == NULL && g.error == NULL)
    {
      guint64 offered = bench_iface_stat (net->rx_if, "rx_packets") - in0;
      guint64 delivered = bench_iface_stat (SINK_IF, "rx_packets") - out0;
      gint64 now = bench_now_ns ();

      if (delivered >= offered)
        break;
      if (delivered != last)
        {
          last = delivered;
          last_change = now;
        }
      else if (now - last_change > 500 * G_GINT64_CONSTANT (1000000))
        break;
      g_usleep (2000);
    }
  g_atomic_int_set (&f.stop, 1);
  g_cancellable_cancel (f.cancellable);
  if (f.pcap_in != NULL)
    pcap_breakloop (f.pcap_in);
  g_thread_join (fw);

  if (f.error != NULL || g.error != NULL)
    {
      g_printerr ("  %s: %s\n", fw_names[kind], f.error != NULL ? f.error : g.error);
      goto out;
    }
  res.ok = TRUE;
  res.offered = bench_iface_stat (net->rx_if, "rx_packets") - in0;
  res.delivered = bench_iface_stat (SINK_IF, "rx_packets") - out0;
  res.lost_before = bench_iface_stat (net->tx_if, "tx_dropped") - gen_drop0;
  res.ring_drops = f.ring_drops;
  res.delivered_pct = res.offered ? 100.0 * (double) res.delivered / (double) res.offered : 0;
  res.cpu_ns = res.delivered ? (double) f.cpu_ns / (double) res.delivered : 0;
  res.user_ns = res.delivered ? (double) f.user_ns / (double) res.delivered : 0;
  res.gen_mpps = (double) g.result.queued * 1e3 / (double) (g.result.end_ns - g.result.start_ns);
  g_print ("  %-23s offered %8" G_GUINT64_FORMAT " delivered %8" G_GUINT64_FORMAT
           " (%.1f %%), ring drops %" G_GUINT64_FORMAT ", lost before %" G_GUINT64_FORMAT
           " | forwarder %.0f ns CPU/frame (%.0f user) | generator %.3f Mpps%s\n",
           fw_names[kind], res.offered, res.delivered, res.delivered_pct, res.ring_drops,
           res.lost_before, res.cpu_ns, res.user_ns, res.gen_mpps,
           kind == FW_BRIDGE_VERDICT && f.verdicts != res.offered ? " (verdict count differs)"
                                                                  : "");
out:
  g_free (f.error);
  g_free (g.error);
  g_object_unref (f.cancellable);
  bench_latch_clear (&f.ready);
  return res;
}

static gboolean
selected (FwKind kind)
{
  g_auto(GStrv) names = NULL;

  if (opt.forwarders == NULL)
    return TRUE;
  names = g_strsplit (opt.forwarders, ",", -1);
  return g_strv_contains ((const gchar *const *) names, fw_names[kind]);
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *frame = NULL;
  g_autofree Result *results = NULL;
  double cpu_med[N_FW] = { 0 };
  BenchNet net;
  GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT64, &opt.count, "Frames offered per trial (1000000)", "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &opt.size, "Frame size in bytes, without FCS (64)", "S" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &opt.runs, "Repetitions; medians are reported (3)", "R" },
    { "gen-frames", 0, 0, G_OPTION_ARG_INT, &opt.gen_frames,
      "The generator's TX ring, in frames of 2048 B (4096)", "N" },
    { "forwarders", 0, 0, G_OPTION_ARG_STRING, &opt.forwarders,
      "Comma-separated subset of netring-bridge,netring-bridge-verdict,bare-rings,libpcap",
      "LIST" },
    G_OPTION_ENTRY_NULL
  };

  setlocale (LC_ALL, "");
  octx = g_option_context_new ("- forwarding between two interfaces: NetringBridge vs peers");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt.count <= 0 || opt.size < 60 || opt.size > 1514 || opt.runs <= 0 || opt.gen_frames <= 0)
    {
      g_printerr ("invalid option value\n");
      return 2;
    }

  bench_net_setup (&net);
  bench_net_add_pair (OUT_IF, SINK_IF);
  frame = g_malloc (opt.size);
  bench_frame_build (frame, opt.size, net.rx_mac, net.tx_mac);

  g_print ("bench-bridge: %" G_GINT64_FORMAT " frames of %d B offered per trial, %d run(s); "
           "generator (TX ring %d × 2048 B) on CPU %d, forwarder on CPU %d; receive rings "
           "%u × %u KiB, %d ms; TX rings %u × %u B, qdisc bypass (not libpcap); %s\n",
           opt.count, opt.size, opt.runs, opt.gen_frames, BENCH_CPU_SENDER, BENCH_CPU_RECEIVER,
           RX_BLOCK_COUNT, RX_BLOCK_SIZE / 1024, RX_TIMEOUT_MS, TX_FRAME_COUNT, TX_FRAME_SIZE,
           pcap_lib_version ());

  results = g_new0 (Result, (gsize) opt.runs * N_FW);
  for (gint run = 0; run < opt.runs; run++)
    {
      g_print ("run %d/%d\n", run + 1, opt.runs);
      for (FwKind k = 0; k < N_FW; k++)
        if (selected (k))
          results[run * N_FW + k] = run_trial (k, &net, frame);
    }

  g_print ("\nmedian of %d run(s), %" G_GINT64_FORMAT " × %d B frames offered:\n", opt.runs,
           opt.count, opt.size);
  g_print ("| forwarder | delivered/offered %% (min) | forwarder CPU ns/frame | generator Mpps "
           "| receive-ring drops (max) |\n|---|---:|---:|---:|---:|\n");
  for (FwKind k = 0; k < N_FW; k++)
    {
      g_autofree double *cpu = g_new0 (double, opt.runs);
      g_autofree double *gen = g_new0 (double, opt.runs);
      double min_pct = 100.0;
      guint64 max_drops = 0;
      guint n = 0;

      if (!selected (k))
        continue;
      for (gint run = 0; run < opt.runs; run++)
        {
          Result *r = &results[run * N_FW + k];

          if (!r->ok)
            continue;
          cpu[n] = r->cpu_ns;
          gen[n] = r->gen_mpps;
          min_pct = MIN (min_pct, r->delivered_pct);
          max_drops = MAX (max_drops, r->ring_drops);
          n++;
        }
      if (n == 0)
        {
          g_print ("| %s | failed | | | |\n", fw_names[k]);
          continue;
        }
      cpu_med[k] = bench_median (cpu, n);
      g_print ("| %s | %.1f | %.0f | %.3f | %" G_GUINT64_FORMAT " |\n", fw_names[k], min_pct,
               cpu_med[k], bench_median (gen, n), max_drops);
    }

  if (selected (FW_BARE))
    {
      g_print ("\nforwarder CPU per frame against the bare rings (same run; target <= 1.10):\n");
      for (FwKind k = 0; k < N_FW; k++)
        {
          g_autofree double *ratios = g_new0 (double, opt.runs);
          guint n = 0;

          if (k == FW_BARE || !selected (k))
            continue;
          for (gint run = 0; run < opt.runs; run++)
            {
              Result *a = &results[run * N_FW + k];
              Result *b = &results[run * N_FW + FW_BARE];

              if (a->ok && b->ok && b->cpu_ns > 0)
                {
                  ratios[n] = a->cpu_ns / b->cpu_ns;
                  g_print ("    run %d: %s %.0f / bare %.0f ns = %.3f\n", run + 1, fw_names[k],
                           a->cpu_ns, b->cpu_ns, ratios[n]);
                  n++;
                }
            }
          if (n > 0)
            {
              double med = bench_median (ratios, n);

              g_print ("  %s / bare-rings = %.3f (median of per-run ratios; ratio of medians "
                       "%.3f)%s\n",
                       fw_names[k], med, cpu_med[FW_BARE] > 0 ? cpu_med[k] / cpu_med[FW_BARE] : 0,
                       k == FW_BRIDGE ? (med <= 1.10 ? " target met" : " target NOT met") : "");
            }
        }
    }
  return 0;
}
