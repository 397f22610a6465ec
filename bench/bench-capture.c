/* bench-capture.c: receiver CPU per packet of NetringCapture (plain C loop
 * and GMainLoop source) against libpcap, on a veth pair in a private
 * network namespace, with one hand-written TX-ring generator for all.
 *
 * On veth the kernel's receive work (softirq, tpacket_rcv writing the ring)
 * runs on the *sender's* CPU, so the receiver thread's CPU time is purely
 * the user-side consumer plus its poll() calls: exactly where capture
 * libraries differ. See bench/README.md. */
#define _GNU_SOURCE
#include "bench-common.h"

#include <netring/netring.h>
#include <pcap/pcap.h>

#include <linux/if_packet.h>
#include <locale.h>
#include <sys/resource.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
  RX_NETRING_LOOP,
  RX_NETRING_MAINLOOP,
  RX_PCAP,
  RX_RAW,
  N_RX
} RxKind;

static const char *const rx_names[N_RX] = { "netring-loop", "netring-mainloop", "libpcap",
                                            "raw-tpacket-v3" };

typedef struct {
  gint64 count;
  gint size;
  gint runs;
  gint block_size;
  gint block_count;
  gint timeout_ms;
  gboolean rxhash;
  gchar *receivers;
  gint frame_count;
} Options;

static Options opt = {
  .count = 2000000,
  .size = 64,
  .runs = 3,
  .block_size = 4 << 20,
  .block_count = 16,
  .timeout_ms = 10,
  .rxhash = FALSE,
  .receivers = NULL,
  .frame_count = 1024,
};

typedef struct {
  RxKind kind;
  const BenchNet *net;
  guint64 target;

  BenchLatch ready;
  gint stop;          /* atomic: the controller gave up waiting */
  gint64 published;   /* atomic: packets counted so far */
  gint64 last_rx_ns;  /* atomic: monotonic time of the latest batch */

  /* receiver thread only */
  guint64 count;
  guint64 sum; /* per-packet work: first byte + length, so nothing is skipped */
  GMainLoop *loop;

  /* results */
  gint64 cpu_ns;
  struct rusage ru0, ru1; /* receiver thread: voluntary context switches */
  guint64 drops;
  guint64 freezes;
  guint64 kernel_packets;
  gchar *error;
  pcap_t *pcap; /* closed by the controller, which may pcap_breakloop() it */
} Trial;

typedef struct {
  gboolean ok;
  gboolean missing; /* frames neither received nor counted as dropped */
  guint64 received;
  guint64 drops;
  guint64 freezes;
  double ns_per_packet;     /* receiver thread CPU / packets */
  double cpu1_ns_per_packet; /* whole CPU 1 (from /proc/stat) / packets */
  double cpu0_ns_per_packet; /* whole CPU 0: generator + kernel receive work */
  guint64 wakeups;          /* voluntary context switches (sleeps in poll) of the receiver;
                             * getrusage's user/system split is tick-sampled here, so
                             * it is not reported */
  double gen_mpps;
  double wall_ms;           /* generator start to last batch */
  guint64 veth_rx;
  guint64 veth_rx_dropped;
} TrialResult;

/* The same work per packet for every receiver: read the first byte and the
 * length, so that the packet is really touched. */
static inline void
consume (Trial *t, const guint8 *data, guint32 length)
{
  t->sum += data[0] + length;
  t->count++;
}

static void
publish (Trial *t)
{
  __atomic_store_n (&t->published, (gint64) t->count, __ATOMIC_RELEASE);
  __atomic_store_n (&t->last_rx_ns, bench_now_ns (), __ATOMIC_RELEASE);
}

static NetringCapture *
open_capture (Trial *t, GError **error)
{
  return g_initable_new (NETRING_TYPE_CAPTURE, NULL, error,
                         "interface", t->net->rx_if,
                         "block-size", (guint) opt.block_size,
                         "block-count", (guint) opt.block_count,
                         "block-timeout-ms", opt.timeout_ms,
                         "fill-rxhash", opt.rxhash,
                         NULL);
}

static void
capture_results (Trial *t, NetringCapture *cap)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringReceiverStats) stats = netring_receiver_get_stats (NETRING_RECEIVER (cap), &error);

  if (stats == NULL)
    {
      t->error = g_strdup_printf ("netring_receiver_get_stats: %s", error->message);
      return;
    }
  t->drops = stats->drops;
  t->freezes = stats->freezes;
  t->kernel_packets = stats->packets;
  if (stats->received != t->count)
    g_printerr ("  note: NetringReceiverStats.received = %" G_GUINT64_FORMAT
                " but the iterator yielded %" G_GUINT64_FORMAT " packets\n",
                stats->received, t->count);
}

/* (a) the plain C loop: next_batch_timeout + the allocation-free iterator */
static gpointer
rx_netring_loop (gpointer data)
{
  Trial *t = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) cap = NULL;
  gint64 cpu0;

  bench_pin_to_cpu (BENCH_CPU_RECEIVER);
  cap = open_capture (t, &error);
  if (cap == NULL)
    {
      t->error = g_strdup (error->message);
      bench_latch_set (&t->ready);
      return NULL;
    }
  getrusage (RUSAGE_THREAD, &t->ru0);
  cpu0 = bench_thread_cpu_ns ();
  bench_latch_set (&t->ready);

  while (t->count < t->target && !g_atomic_int_get (&t->stop))
    {
      NetringBatchIter iter;
      const guint8 *bytes;
      guint32 caplen;
      NetringBatch *batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (cap), 100, NULL, &error);

      if (batch == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            {
              g_clear_error (&error);
              continue;
            }
          t->error = g_strdup_printf ("netring_receiver_next_batch_timeout: %s", error->message);
          break;
        }
      /* the inlined fast path: bytes and length only */
      netring_batch_iter_init (&iter, batch);
      while ((bytes = netring_batch_iter_next_data (&iter, &caplen, NULL)) != NULL)
        consume (t, bytes, caplen);
      netring_batch_unref (batch);
      publish (t);
    }
  t->cpu_ns = bench_thread_cpu_ns () - cpu0;
  getrusage (RUSAGE_THREAD, &t->ru1);
  capture_results (t, cap);
  return NULL;
}

/* (b) NetringCapture's GSource in a private GMainContext */
static gboolean
on_batch (NetringReceiver *receiver, NetringBatch *batch, const GError *error, gpointer user_data)
{
  Trial *t = user_data;
  NetringBatchIter iter;
  const guint8 *data;
  guint32 caplen;

  if (error != NULL)
    {
      t->error = g_strdup_printf ("capture source: %s", error->message);
      g_main_loop_quit (t->loop);
      return G_SOURCE_REMOVE;
    }
  netring_batch_iter_init (&iter, batch);
  while ((data = netring_batch_iter_next_data (&iter, &caplen, NULL)) != NULL)
    consume (t, data, caplen);
  publish (t);
  if (t->count >= t->target)
    {
      g_main_loop_quit (t->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tick (gpointer user_data)
{
  Trial *t = user_data;

  if (g_atomic_int_get (&t->stop))
    g_main_loop_quit (t->loop);
  return G_SOURCE_CONTINUE;
}

static gpointer
rx_netring_mainloop (gpointer data)
{
  Trial *t = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) cap = NULL;
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GSource) source = NULL;
  g_autoptr(GSource) tick = NULL;
  gint64 cpu0;

  bench_pin_to_cpu (BENCH_CPU_RECEIVER);
  cap = open_capture (t, &error);
  if (cap == NULL)
    {
      t->error = g_strdup (error->message);
      bench_latch_set (&t->ready);
      return NULL;
    }
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  t->loop = g_main_loop_new (context, FALSE);

  source = netring_receiver_create_source (NETRING_RECEIVER (cap), NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (on_batch), t, NULL);
  g_source_attach (source, context);
  /* Only to notice the controller's "stop" after a silent tail. */
  tick = g_timeout_source_new (100);
  g_source_set_callback (tick, on_tick, t, NULL);
  g_source_attach (tick, context);

  getrusage (RUSAGE_THREAD, &t->ru0);
  cpu0 = bench_thread_cpu_ns ();
  bench_latch_set (&t->ready);
  g_main_loop_run (t->loop);
  t->cpu_ns = bench_thread_cpu_ns () - cpu0;
  getrusage (RUSAGE_THREAD, &t->ru1);

  g_source_destroy (source);
  g_source_destroy (tick);
  capture_results (t, cap);
  g_clear_pointer (&t->loop, g_main_loop_unref);
  g_main_context_pop_thread_default (context);
  return NULL;
}

/* (c) libpcap: same ring bytes, snaplen and timeout; blocking
 * pcap_dispatch(-1), the way tcpdump and most pcap programs read */
static void
on_pcap_packet (u_char *user, const struct pcap_pkthdr *header, const u_char *bytes)
{
  consume ((Trial *) user, bytes, header->caplen);
}

static gpointer
rx_pcap (gpointer data)
{
  Trial *t = data;
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  struct pcap_stat ps;
  pcap_t *p;
  gint64 cpu0;
  int rc;

  bench_pin_to_cpu (BENCH_CPU_RECEIVER);
  p = pcap_create (t->net->rx_if, errbuf);
  if (p == NULL)
    {
      t->error = g_strdup_printf ("pcap_create: %s", errbuf);
      bench_latch_set (&t->ready);
      return NULL;
    }
  pcap_set_buffer_size (p, opt.block_size * opt.block_count);
  pcap_set_snaplen (p, 65535);
  pcap_set_timeout (p, opt.timeout_ms);
  pcap_set_promisc (p, 0);
  rc = pcap_activate (p);
  if (rc < 0)
    {
      t->error = g_strdup_printf ("pcap_activate: %s", pcap_geterr (p));
      pcap_close (p);
      bench_latch_set (&t->ready);
      return NULL;
    }
  t->pcap = p;
  getrusage (RUSAGE_THREAD, &t->ru0);
  cpu0 = bench_thread_cpu_ns ();
  bench_latch_set (&t->ready);

  while (t->count < t->target && !g_atomic_int_get (&t->stop))
    {
      rc = pcap_dispatch (p, -1, on_pcap_packet, (u_char *) t);
      if (rc == PCAP_ERROR_BREAK)
        break;
      if (rc < 0)
        {
          t->error = g_strdup_printf ("pcap_dispatch: %s", pcap_geterr (p));
          break;
        }
      if (rc > 0)
        publish (t);
    }
  t->cpu_ns = bench_thread_cpu_ns () - cpu0;
  getrusage (RUSAGE_THREAD, &t->ru1);
  if (pcap_stats (p, &ps) == 0)
    {
      t->drops = ps.ps_drop;
      t->kernel_packets = ps.ps_recv;
    }
  return NULL;
}

/* (d) reference: a hand-written TPACKET_V3 loop with the same ring, the
 * same per-packet work and no library at all; the floor for (a)-(c), since
 * what remains is reading ring memory another CPU just wrote. */
static gpointer
rx_raw (gpointer data)
{
  Trial *t = data;
  g_autoptr(GError) error = NULL;
  BenchRxRing ring;
  gint64 cpu0;

  bench_pin_to_cpu (BENCH_CPU_RECEIVER);
  if (!bench_rx_ring_open (&ring, t->net->rx_ifindex, (guint) opt.block_size,
                           (guint) opt.block_count, (guint) opt.timeout_ms, &error))
    {
      t->error = g_strdup (error->message);
      bench_rx_ring_close (&ring);
      bench_latch_set (&t->ready);
      return NULL;
    }
  getrusage (RUSAGE_THREAD, &t->ru0);
  cpu0 = bench_thread_cpu_ns ();
  bench_latch_set (&t->ready);

  while (t->count < t->target && !g_atomic_int_get (&t->stop))
    {
      struct tpacket_block_desc *desc = bench_rx_ring_wait_block (&ring, 100, NULL);
      const guint8 *p;
      guint32 n;

      if (desc == NULL)
        continue;
      n = desc->hdr.bh1.num_pkts;
      p = (const guint8 *) desc + desc->hdr.bh1.offset_to_first_pkt;
      for (guint32 i = 0; i < n; i++)
        {
          const struct tpacket3_hdr *hdr = (const struct tpacket3_hdr *) p;

          consume (t, p + hdr->tp_mac, hdr->tp_snaplen);
          p += hdr->tp_next_offset;
        }
      bench_rx_ring_release_block (&ring, desc);
      publish (t);
    }
  t->cpu_ns = bench_thread_cpu_ns () - cpu0;
  getrusage (RUSAGE_THREAD, &t->ru1);
  t->drops = bench_rx_ring_drops (&ring);
  bench_rx_ring_close (&ring);
  return NULL;
}

static const GThreadFunc rx_funcs[N_RX] = { rx_netring_loop, rx_netring_mainloop, rx_pcap,
                                            rx_raw };

/* ---- generator ------------------------------------------------------------- */

typedef struct {
  BenchTxRing *ring;
  const guint8 *frame;
  gsize size;
  guint64 count;
  BenchTxResult result;
  gchar *error;
} Generator;

static gpointer
generator_thread (gpointer data)
{
  Generator *gen = data;
  g_autoptr(GError) error = NULL;

  bench_pin_to_cpu (BENCH_CPU_SENDER);
  if (!bench_tx_ring_send (gen->ring, gen->frame, gen->size, gen->count, &gen->result, &error))
    gen->error = g_strdup (error->message);
  return NULL;
}

/* ---- controller -------------------------------------------------------------- */

static TrialResult
run_trial (RxKind kind, const BenchNet *net, BenchTxRing *ring, const guint8 *frame)
{
  TrialResult r = { 0 };
  Trial t = { 0 };
  Generator gen = { 0 };
  GThread *rx_thread, *gen_thread;
  gint64 busy0[2], busy1[2];
  guint64 veth_rx0, veth_drop0;
  gint64 gen_done_ns, last_change_ns;
  gint64 last_count;

  t.kind = kind;
  t.net = net;
  t.target = (guint64) opt.count;
  bench_latch_init (&t.ready);

  rx_thread = g_thread_new (rx_names[kind], rx_funcs[kind], &t);
  bench_latch_wait (&t.ready); /* the receiver is bound and waiting */
  if (t.error != NULL)
    {
      g_thread_join (rx_thread);
      g_printerr ("  %s: %s\n", rx_names[kind], t.error);
      g_free (t.error);
      bench_latch_clear (&t.ready);
      return r;
    }

  veth_rx0 = bench_iface_stat (net->rx_if, "rx_packets");
  veth_drop0 = bench_iface_stat (net->rx_if, "rx_dropped");
  bench_cpu_busy_ns (busy0);

  gen.ring = ring;
  gen.frame = frame;
  gen.size = (gsize) opt.size;
  gen.count = (guint64) opt.count;
  gen_thread = g_thread_new ("generator", generator_thread, &gen);
  g_thread_join (gen_thread);
  gen_done_ns = bench_now_ns ();

  /* Stop when the receiver has everything, or 500 ms after the generator
   * finished and nothing more arrived. */
  last_count = __atomic_load_n (&t.published, __ATOMIC_ACQUIRE);
  last_change_ns = gen_done_ns;
  for (;;)
    {
      gint64 c = __atomic_load_n (&t.published, __ATOMIC_ACQUIRE);
      gint64 now = bench_now_ns ();

      if ((guint64) c >= t.target)
        break;
      if (c != last_count)
        {
          last_count = c;
          last_change_ns = now;
        }
      else if (now - last_change_ns > 500 * G_GINT64_CONSTANT (1000000))
        {
          g_atomic_int_set (&t.stop, TRUE);
          if (t.pcap != NULL)
            pcap_breakloop (t.pcap);
          break;
        }
      g_usleep (2000);
    }
  g_thread_join (rx_thread);
  bench_cpu_busy_ns (busy1);

  if (t.pcap != NULL)
    pcap_close (t.pcap);
  if (gen.error != NULL || t.error != NULL)
    {
      g_printerr ("  %s: %s\n", rx_names[kind], gen.error != NULL ? gen.error : t.error);
      g_free (gen.error);
      g_free (t.error);
      bench_latch_clear (&t.ready);
      return r;
    }

  r.ok = TRUE;
  r.received = t.count;
  r.drops = t.drops;
  r.freezes = t.freezes;
  r.veth_rx = bench_iface_stat (net->rx_if, "rx_packets") - veth_rx0;
  r.veth_rx_dropped = bench_iface_stat (net->rx_if, "rx_dropped") - veth_drop0;
  r.wakeups = (guint64) (t.ru1.ru_nvcsw - t.ru0.ru_nvcsw);
  r.missing = r.received + r.drops < (guint64) opt.count;
  r.ns_per_packet = t.count ? (double) t.cpu_ns / t.count : 0;
  r.cpu1_ns_per_packet = t.count ? (double) (busy1[1] - busy0[1]) / t.count : 0;
  r.cpu0_ns_per_packet = t.count ? (double) (busy1[0] - busy0[0]) / t.count : 0;
  r.gen_mpps = (double) gen.result.queued * 1e3 / (double) (gen.result.end_ns - gen.result.start_ns);
  r.wall_ms = (double) (__atomic_load_n (&t.last_rx_ns, __ATOMIC_ACQUIRE) - gen.result.start_ns) / 1e6;

  g_print ("  %-17s recv %9" G_GUINT64_FORMAT " drops %7" G_GUINT64_FORMAT
           " freezes %4" G_GUINT64_FORMAT " | rx thread %5.1f ns/pkt, %5" G_GUINT64_FORMAT " sleeps | CPU1 %7.1f CPU0 %7.1f ns/pkt"
           " | gen %.3f Mpps, CPU %.1f ns/frame, %.0f ms to last batch, veth rx %" G_GUINT64_FORMAT
           " (dropped %" G_GUINT64_FORMAT "), gen kicks %" G_GUINT64_FORMAT " waits %" G_GUINT64_FORMAT
           "%s [sum %" G_GUINT64_FORMAT "]\n",
           rx_names[kind], r.received, r.drops, r.freezes, r.ns_per_packet, r.wakeups, r.cpu1_ns_per_packet,
           r.cpu0_ns_per_packet, r.gen_mpps,
           gen.result.queued ? (double) gen.result.cpu_ns / gen.result.queued : 0.0, r.wall_ms,
           r.veth_rx, r.veth_rx_dropped,
           gen.result.kicks, gen.result.full_waits, r.missing ? "  MISSING FRAMES" : "", t.sum);
  bench_latch_clear (&t.ready);
  return r;
}

static gboolean
receiver_selected (RxKind kind)
{
  g_auto(GStrv) names = NULL;

  if (opt.receivers == NULL)
    return TRUE;
  names = g_strsplit (opt.receivers, ",", -1);
  return g_strv_contains ((const gchar *const *) names, rx_names[kind]);
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *frame = NULL;
  g_autofree TrialResult *results = NULL;
  BenchNet net;
  BenchTxRing ring;
  double med_ns[N_RX] = { 0 };
  GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT64, &opt.count, "Frames per trial (2000000)", "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &opt.size, "Frame size in bytes, without FCS (64)", "S" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &opt.runs, "Repetitions; medians are reported (3)", "R" },
    { "block-size", 0, 0, G_OPTION_ARG_INT, &opt.block_size,
      "netring block size; ring bytes = block-size × block-count for both (4194304)", "B" },
    { "block-count", 0, 0, G_OPTION_ARG_INT, &opt.block_count, "netring blocks (16)", "N" },
    { "timeout-ms", 0, 0, G_OPTION_ARG_INT, &opt.timeout_ms,
      "Block timeout (netring) = read timeout (pcap) (10)", "MS" },
    { "rxhash", 0, 0, G_OPTION_ARG_NONE, &opt.rxhash,
      "Let netring ask for rxhash (libpcap never does, so off by default)", NULL },
    { "receivers", 0, 0, G_OPTION_ARG_STRING, &opt.receivers,
      "Comma-separated subset of netring-loop,netring-mainloop,libpcap,raw-tpacket-v3", "LIST" },
    { "tx-frames", 0, 0, G_OPTION_ARG_INT, &opt.frame_count, "Generator TX ring frames (1024)",
      "N" },
    G_OPTION_ENTRY_NULL
  };

  setlocale (LC_ALL, "");
  octx = g_option_context_new ("- receiver CPU per packet: netring vs libpcap");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt.count <= 0 || opt.size < 60 || opt.size > 1514 || opt.runs <= 0)
    {
      g_printerr ("--count must be > 0, --size within 60..1514, --runs > 0\n");
      return 2;
    }

  /* First, before any thread exists (GLib may start some). */
  bench_net_setup (&net);
  bench_pin_to_cpu (BENCH_CPU_SENDER); /* the controller stays off the receiver's CPU */

  frame = g_malloc (opt.size);
  bench_frame_build (frame, opt.size, net.rx_mac, net.tx_mac);
  if (!bench_tx_ring_open (&ring, net.tx_ifindex, 2048, (guint) opt.frame_count, TRUE, &error))
    {
      g_printerr ("generator: %s\n", error->message);
      return 1;
    }

  g_print ("bench-capture: %" G_GINT64_FORMAT " frames of %d B per trial, %d run(s); ring %d × %d "
           "B = %d MiB for netring and libpcap (%s), timeout %d ms, rxhash %s; generator: "
           "TPACKET_V3 TX ring, %u × 2048 B, qdisc bypass, CPU %d; receiver CPU %d\n",
           opt.count, opt.size, opt.runs, opt.block_count, opt.block_size,
           (opt.block_size / 1024) * opt.block_count / 1024, pcap_lib_version (), opt.timeout_ms,
           opt.rxhash ? "on" : "off", ring.frame_count, BENCH_CPU_SENDER, BENCH_CPU_RECEIVER);

  results = g_new0 (TrialResult, (gsize) opt.runs * N_RX);
  for (gint run = 0; run < opt.runs; run++)
    {
      g_print ("run %d/%d\n", run + 1, opt.runs);
      for (RxKind k = 0; k < N_RX; k++)
        if (receiver_selected (k))
          results[run * N_RX + k] = run_trial (k, &net, &ring, frame);
    }

  g_print ("\nmedian of %d run(s), %" G_GINT64_FORMAT " × %d B frames:\n", opt.runs, opt.count,
           opt.size);
  g_print ("| receiver | rx thread CPU ns/pkt | sleeps | CPU1 ns/pkt | CPU0 ns/pkt | "
           "received (min) | drops (max) | generator Mpps | ms to last batch |\n");
  g_print ("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (RxKind k = 0; k < N_RX; k++)
    {
      g_autofree double *ns = g_new0 (double, opt.runs);
      g_autofree double *c1 = g_new0 (double, opt.runs);
      g_autofree double *c0 = g_new0 (double, opt.runs);
      g_autofree double *mpps = g_new0 (double, opt.runs);
      g_autofree double *wall = g_new0 (double, opt.runs);
      g_autofree double *wk = g_new0 (double, opt.runs);
      guint64 min_recv = G_MAXUINT64, max_drops = 0;
      guint n = 0;

      if (!receiver_selected (k))
        continue;
      for (gint run = 0; run < opt.runs; run++)
        {
          TrialResult *r = &results[run * N_RX + k];

          if (!r->ok)
            continue;
          ns[n] = r->ns_per_packet;
          c1[n] = r->cpu1_ns_per_packet;
          c0[n] = r->cpu0_ns_per_packet;
          mpps[n] = r->gen_mpps;
          wall[n] = r->wall_ms;
          wk[n] = (double) r->wakeups;
          min_recv = MIN (min_recv, r->received);
          max_drops = MAX (max_drops, r->drops);
          n++;
        }
      if (n == 0)
        {
          g_print ("| %s | failed | | | | | | | | |\n", rx_names[k]);
          continue;
        }
      med_ns[k] = bench_median (ns, n);
      g_print ("| %s | %.1f | %.0f | %.1f | %.1f | %" G_GUINT64_FORMAT
               " | %" G_GUINT64_FORMAT " | %.3f | %.0f |\n",
               rx_names[k], med_ns[k], bench_median (wk, n), bench_median (c1, n), bench_median (c0, n), min_recv,
               max_drops, bench_median (mpps, n), bench_median (wall, n));
    }
  if (med_ns[RX_PCAP] > 0)
    {
      g_print ("\nCPU per packet relative to libpcap (target: loop <= 0.45, mainloop <= 0.50):\n");
      if (med_ns[RX_NETRING_LOOP] > 0)
        g_print ("  netring-loop / libpcap     = %.3f %s\n",
                 med_ns[RX_NETRING_LOOP] / med_ns[RX_PCAP],
                 med_ns[RX_NETRING_LOOP] / med_ns[RX_PCAP] <= 0.45 ? "(met)" : "(NOT met)");
      if (med_ns[RX_NETRING_MAINLOOP] > 0)
        g_print ("  netring-mainloop / libpcap = %.3f %s\n",
                 med_ns[RX_NETRING_MAINLOOP] / med_ns[RX_PCAP],
                 med_ns[RX_NETRING_MAINLOOP] / med_ns[RX_PCAP] <= 0.50 ? "(met)" : "(NOT met)");
    }
  if (med_ns[RX_RAW] > 0)
    {
      g_print ("\nCPU per packet relative to the hand-written ring (the floor):\n");
      for (RxKind k = 0; k < RX_RAW; k++)
        if (med_ns[k] > 0)
          g_print ("  %-17s / raw-tpacket-v3 = %.3f\n", rx_names[k], med_ns[k] / med_ns[RX_RAW]);
    }
  bench_tx_ring_close (&ring);
  return 0;
}
