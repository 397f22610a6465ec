/* bench-inject.c: frames per second *arriving* at the other end of a veth
 * pair for NetringInjector (C reserve/commit path and send_async in a
 * GMainLoop) against pcap_inject(), a plain send() per frame and a bare
 * hand-written TX ring. Arrivals are counted by a hand-written TPACKET_V3
 * ring on the receiving end, in its own thread on CPU 1, so no sender is
 * trusted about what it sent. See bench/README.md. */
#define _GNU_SOURCE
#include "bench-common.h"

#include <netring/netring.h>
#include <pcap/pcap.h>

#include <errno.h>
#include <linux/if_packet.h>
#include <locale.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

typedef enum {
  TX_INJECTOR_C,
  TX_INJECTOR_ASYNC,
  TX_PCAP_INJECT,
  TX_SEND,
  TX_BARE_RING,
  N_TX
} TxKind;

static const char *const tx_names[N_TX] = {
  "injector-c", "injector-async", "pcap_inject", "send", "bare-tx-ring"
};

static struct {
  gint64 count;
  gint size;
  gint runs;
  gint frame_count;
  gint flush_every;
  gint window;
  gboolean qdisc_bypass;
  gchar *senders;
} opt = {
  .count = 1000000,
  .size = 64,
  .runs = 3,
  .frame_count = 1024,
  .flush_every = 0, /* = frame_count: kick once per ring, as the bare ring does */
  .window = 256,
  .qdisc_bypass = TRUE,
  .senders = NULL,
};

typedef struct {
  const BenchNet *net;
  const guint8 *frame;
  gsize size;
  guint64 count;

  /* filled by the sender */
  guint64 sent;     /* frames handed to the kernel / queued */
  guint64 kicks;    /* syscalls that sent (sendto/send) as far as known */
  guint64 waits;    /* times the sender found its ring full or got ENOBUFS */
  gint64 start_ns;
  gint64 end_ns;
  gint64 cpu_ns;
  gint64 user_ns;   /* of cpu_ns, in user space: the library's own share */
  gchar *error;
} Sender;

/* ---- senders -------------------------------------------------------------- */

static NetringInjector *
open_injector (Sender *s, GError **error)
{
  return g_initable_new (NETRING_TYPE_INJECTOR, NULL, error,
                         "interface", s->net->tx_if,
                         "frame-size", 2048u,
                         "frame-count", (guint) opt.frame_count,
                         "qdisc-bypass", opt.qdisc_bypass,
                         NULL);
}

static void
injector_note_stats (Sender *s, NetringInjector *inj)
{
  g_autoptr(NetringInjectorStats) st = netring_injector_get_stats (inj);

  s->kicks = st->kicks;
  if (st->frames_rejected != 0 || st->frames_refused != 0)
    g_printerr ("  note: injector rejected %" G_GUINT64_FORMAT " refused %" G_GUINT64_FORMAT
                " (errno %d)\n",
                st->frames_rejected, st->frames_refused, st->last_reject_errno);
  if (st->frames_sent != s->count)
    g_printerr ("  note: NetringInjectorStats.frames_sent = %" G_GUINT64_FORMAT
                ", queued %" G_GUINT64_FORMAT "\n",
                st->frames_sent, st->frames_queued);
}

/* NetringInjector, C path: reserve/commit in place, flush every
 * --flush-every frames and whenever reserve says the ring is full, then
 * wait for POLLOUT as the documentation says. */
static gboolean
send_injector_c (Sender *s, GError **error)
{
  g_autoptr(NetringInjector) inj = open_injector (s, error);
  struct pollfd pfd;

  if (inj == NULL)
    return FALSE;
  pfd.fd = netring_injector_get_fd (inj);
  pfd.events = POLLOUT;

  s->start_ns = bench_now_ns ();
  while (s->sent < s->count)
    {
      GError *local_error = NULL;
      guint8 *slot = netring_injector_reserve (inj, s->size, &local_error);

      if (slot == NULL)
        {
          if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              g_propagate_error (error, local_error);
              return FALSE;
            }
          g_error_free (local_error);
          if (netring_injector_flush (inj, error) < 0)
            return FALSE;
          s->waits++;
          poll (&pfd, 1, 1);
          continue;
        }
      memcpy (slot, s->frame, s->size);
      if (!netring_injector_commit (inj, s->size, error))
        return FALSE;
      if (++s->sent % (guint64) opt.flush_every == 0 && netring_injector_flush (inj, error) < 0)
        return FALSE;
    }
  if (netring_injector_flush (inj, error) < 0 ||
      !netring_injector_wait_drained (inj, 10000, NULL, error))
    return FALSE;
  s->end_ns = bench_now_ns ();
  injector_note_stats (s, inj);
  return TRUE;
}

/* NetringInjector, send_async in a private GMainContext: keep --window
 * calls outstanding (the next is issued from the callback), flush every
 * --flush-every completions, wait_drained_async at the end. */
typedef struct {
  Sender *s;
  NetringInjector *inj;
  GBytes *frame;
  GMainLoop *loop;
  guint64 issued;
  guint64 completed;
  GError *error;
} AsyncRun;

static void async_issue (AsyncRun *run);

static void
on_drained (GObject *object, GAsyncResult *result, gpointer user_data)
{
  AsyncRun *run = user_data;

  if (!netring_injector_wait_drained_finish (run->inj, result, &run->error))
    g_prefix_error (&run->error, "wait_drained_async: ");
  g_main_loop_quit (run->loop);
}

static void
on_sent (GObject *object, GAsyncResult *result, gpointer user_data)
{
  AsyncRun *run = user_data;

  if (run->error != NULL)
    return;
  if (!netring_injector_send_finish (run->inj, result, &run->error))
    {
      g_prefix_error (&run->error, "send_async: ");
      g_main_loop_quit (run->loop);
      return;
    }
  run->completed++;
  run->s->sent = run->completed;
  if (run->completed % (guint64) opt.flush_every == 0 || run->completed == run->s->count)
    {
      if (netring_injector_flush (run->inj, &run->error) < 0)
        {
          g_main_loop_quit (run->loop);
          return;
        }
    }
  if (run->completed == run->s->count)
    {
      netring_injector_wait_drained_async (run->inj, 10000, NULL, on_drained, run);
      return;
    }
  async_issue (run);
}

static void
async_issue (AsyncRun *run)
{
  while (run->issued < run->s->count && run->issued - run->completed < (guint64) opt.window)
    {
      run->issued++;
      netring_injector_send_async (run->inj, run->frame, NULL, on_sent, run);
    }
}

static gboolean
send_injector_async (Sender *s, GError **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetringInjector) inj = NULL;
  g_autoptr(GBytes) frame = NULL;
  AsyncRun run = { 0 };

  g_main_context_push_thread_default (context);
  inj = open_injector (s, error);
  if (inj == NULL)
    {
      g_main_context_pop_thread_default (context);
      return FALSE;
    }
  loop = g_main_loop_new (context, FALSE);
  /* One GBytes for every frame: the cheapest way to use the API. */
  frame = g_bytes_new (s->frame, s->size);
  run.s = s;
  run.inj = inj;
  run.frame = frame;
  run.loop = loop;

  s->start_ns = bench_now_ns ();
  async_issue (&run);
  g_main_loop_run (loop);
  s->end_ns = bench_now_ns ();
  injector_note_stats (s, inj);

  /* let the callbacks of anything still pending run before the context goes */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  if (run.error != NULL)
    {
      g_propagate_error (error, run.error);
      return FALSE;
    }
  return TRUE;
}

/* libpcap: pcap_inject() per frame (a send() on its capture socket). */
static gboolean
send_pcap_inject (Sender *s, GError **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *p = pcap_create (s->net->tx_if, errbuf);

  if (p == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "pcap_create: %s", errbuf);
      return FALSE;
    }
  if (pcap_activate (p) < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "pcap_activate: %s", pcap_geterr (p));
      pcap_close (p);
      return FALSE;
    }
  s->start_ns = bench_now_ns ();
  while (s->sent < s->count)
    {
      if (pcap_inject (p, s->frame, s->size) < 0)
        {
          if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
            {
              s->waits++;
              sched_yield ();
              continue;
            }
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "pcap_inject: %s", pcap_geterr (p));
          pcap_close (p);
          return FALSE;
        }
      s->sent++;
    }
  s->end_ns = bench_now_ns ();
  s->kicks = s->sent;
  pcap_close (p);
  return TRUE;
}

/* A plain send() per frame on an AF_PACKET socket bound to the interface. */
static gboolean
send_plain (Sender *s, GError **error)
{
  struct sockaddr_ll sll = { 0 };
  int one = 1;
  int fd = socket (AF_PACKET, SOCK_RAW, 0);

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "socket: %s", g_strerror (errno));
      return FALSE;
    }
  if (opt.qdisc_bypass)
    setsockopt (fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = s->net->tx_ifindex;
  if (bind (fd, (struct sockaddr *) &sll, sizeof sll) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "bind: %s", g_strerror (errno));
      close (fd);
      return FALSE;
    }
  s->start_ns = bench_now_ns ();
  while (s->sent < s->count)
    {
      if (send (fd, s->frame, s->size, 0) < 0)
        {
          if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
            {
              s->waits++;
              sched_yield ();
              continue;
            }
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "send: %s", g_strerror (errno));
          close (fd);
          return FALSE;
        }
      s->sent++;
    }
  s->end_ns = bench_now_ns ();
  s->kicks = s->sent;
  close (fd);
  return TRUE;
}

/* The bare hand-written TX ring of bench-common, same geometry as the
 * injector's. */
static gboolean
send_bare_ring (Sender *s, GError **error)
{
  BenchTxRing ring;
  BenchTxResult result;
  gboolean ok;

  if (!bench_tx_ring_open (&ring, s->net->tx_ifindex, 2048, (guint) opt.frame_count,
                           opt.qdisc_bypass, error))
    {
      bench_tx_ring_close (&ring);
      return FALSE;
    }
  ok = bench_tx_ring_send (&ring, s->frame, s->size, s->count, &result, error);
  s->sent = result.queued;
  s->kicks = result.kicks;
  s->waits = result.full_waits;
  s->start_ns = result.start_ns;
  s->end_ns = result.end_ns;
  bench_tx_ring_close (&ring);
  return ok;
}

typedef gboolean (*SendFunc) (Sender *s, GError **error);
static const SendFunc tx_funcs[N_TX] = {
  send_injector_c, send_injector_async, send_pcap_inject, send_plain, send_bare_ring
};

typedef struct {
  Sender s;
  TxKind kind;
} SenderThread;

/* User time of the calling thread: what the sender's own code costs,
 * without the kernel's transmit path (the same for every TX-ring sender). */
static gint64
thread_user_ns (void)
{
  struct rusage usage;

  getrusage (RUSAGE_THREAD, &usage);
  return (gint64) usage.ru_utime.tv_sec * 1000000000 + (gint64) usage.ru_utime.tv_usec * 1000;
}

static gpointer
sender_thread (gpointer data)
{
  SenderThread *st = data;
  g_autoptr(GError) error = NULL;
  gint64 cpu0, user0;

  bench_pin_to_cpu (BENCH_CPU_SENDER);
  cpu0 = bench_thread_cpu_ns ();
  user0 = thread_user_ns ();
  if (!tx_funcs[st->kind] (&st->s, &error))
    st->s.error = g_strdup (error->message);
  st->s.cpu_ns = bench_thread_cpu_ns () - cpu0;
  st->s.user_ns = thread_user_ns () - user0;
  return NULL;
}

/* ---- receiver ---------------------------------------------------------------- */

typedef struct {
  const BenchNet *net;
  guint64 target;
  BenchLatch ready;
  gint stop;
  gint64 published;
  BenchRxRing ring;
  guint64 drops;
  gchar *error;
} Receiver;

static gpointer
receiver_thread (gpointer data)
{
  Receiver *r = data;
  g_autoptr(GError) error = NULL;

  bench_pin_to_cpu (BENCH_CPU_RECEIVER);
  /* Same ring as bench-capture: 16 × 4 MiB, 10 ms block timeout. */
  if (!bench_rx_ring_open (&r->ring, r->net->rx_ifindex, 4 << 20, 16, 10, &error))
    {
      r->error = g_strdup (error->message);
      bench_latch_set (&r->ready);
      return NULL;
    }
  bench_latch_set (&r->ready);
  while (r->ring.packets < r->target && !g_atomic_int_get (&r->stop))
    {
      if (!bench_rx_ring_poll (&r->ring, 100, &error))
        {
          r->error = g_strdup (error->message);
          break;
        }
      __atomic_store_n (&r->published, (gint64) r->ring.packets, __ATOMIC_RELEASE);
    }
  r->drops = bench_rx_ring_drops (&r->ring);
  return NULL;
}

/* ---- controller ----------------------------------------------------------------- */

typedef struct {
  gboolean ok;
  guint64 sent;
  guint64 arrived;
  guint64 rx_drops;
  guint64 veth_rx;
  guint64 veth_tx_dropped;
  double arrive_mpps;  /* from the kernel receive timestamps, first to last */
  double sender_mpps;  /* sender's own view, start to drained */
  double sender_cpu_ns; /* sender thread CPU per frame */
  double sender_user_ns; /* of which in user space */
  guint64 kicks;
  guint64 waits;
} Result;

static Result
run_trial (TxKind kind, const BenchNet *net, const guint8 *frame)
{
  Result res = { 0 };
  Receiver r = { 0 };
  SenderThread st = { 0 };
  GThread *rx, *tx;
  guint64 veth_rx0, veth_txd0;
  gint64 last_change_ns;
  gint64 last_count;

  r.net = net;
  r.target = (guint64) opt.count;
  r.ring.fd = -1;
  bench_latch_init (&r.ready);
  rx = g_thread_new ("receiver", receiver_thread, &r);
  bench_latch_wait (&r.ready);
  if (r.error != NULL)
    goto fail;

  veth_rx0 = bench_iface_stat (net->rx_if, "rx_packets");
  veth_txd0 = bench_iface_stat (net->tx_if, "tx_dropped");
  st.kind = kind;
  st.s.net = net;
  st.s.frame = frame;
  st.s.size = (gsize) opt.size;
  st.s.count = (guint64) opt.count;
  tx = g_thread_new (tx_names[kind], sender_thread, &st);
  g_thread_join (tx);

  last_count = __atomic_load_n (&r.published, __ATOMIC_ACQUIRE);
  last_change_ns = bench_now_ns ();
  for (;;)
    {
      gint64 c = __atomic_load_n (&r.published, __ATOMIC_ACQUIRE);
      gint64 now = bench_now_ns ();

      if ((guint64) c >= r.target)
        break;
      if (c != last_count)
        {
          last_count = c;
          last_change_ns = now;
        }
      else if (now - last_change_ns > 500 * G_GINT64_CONSTANT (1000000))
        break;
      g_usleep (2000);
    }
  g_atomic_int_set (&r.stop, TRUE);
  g_thread_join (rx);
  rx = NULL;
  if (st.s.error != NULL || r.error != NULL)
    goto fail;

  res.ok = TRUE;
  res.sent = st.s.sent;
  res.arrived = r.ring.packets;
  res.rx_drops = r.drops;
  res.veth_rx = bench_iface_stat (net->rx_if, "rx_packets") - veth_rx0;
  res.veth_tx_dropped = bench_iface_stat (net->tx_if, "tx_dropped") - veth_txd0;
  res.arrive_mpps = res.arrived > 1 && r.ring.last_ts_ns > r.ring.first_ts_ns
                      ? (double) (res.arrived - 1) * 1e3 /
                          (double) (r.ring.last_ts_ns - r.ring.first_ts_ns)
                      : 0;
  res.sender_mpps = (double) st.s.sent * 1e3 / (double) (st.s.end_ns - st.s.start_ns);
  res.sender_cpu_ns = st.s.sent ? (double) st.s.cpu_ns / st.s.sent : 0;
  res.sender_user_ns = st.s.sent ? (double) st.s.user_ns / st.s.sent : 0;
  res.kicks = st.s.kicks;
  res.waits = st.s.waits;
  g_print ("  %-15s sent %8" G_GUINT64_FORMAT " arrived %8" G_GUINT64_FORMAT " (veth rx %"
           G_GUINT64_FORMAT ", tx_dropped %" G_GUINT64_FORMAT ", rx ring drops %" G_GUINT64_FORMAT
           ") | arriving %.3f Mpps | sender %.3f Mpps, %.0f ns CPU/frame (%.0f user), %"
           G_GUINT64_FORMAT " kicks, %" G_GUINT64_FORMAT " waits\n",
           tx_names[kind], res.sent, res.arrived, res.veth_rx, res.veth_tx_dropped, res.rx_drops,
           res.arrive_mpps, res.sender_mpps, res.sender_cpu_ns, res.sender_user_ns, res.kicks,
           res.waits);
  bench_rx_ring_close (&r.ring);
  bench_latch_clear (&r.ready);
  return res;

fail:
  if (rx != NULL)
    {
      g_atomic_int_set (&r.stop, TRUE);
      g_thread_join (rx);
    }
  g_printerr ("  %s: %s\n", tx_names[kind], st.s.error != NULL ? st.s.error : r.error);
  g_free (st.s.error);
  g_free (r.error);
  bench_rx_ring_close (&r.ring);
  bench_latch_clear (&r.ready);
  return res;
}

static gboolean
sender_selected (TxKind kind)
{
  g_auto(GStrv) names = NULL;

  if (opt.senders == NULL)
    return TRUE;
  names = g_strsplit (opt.senders, ",", -1);
  return g_strv_contains ((const gchar *const *) names, tx_names[kind]);
}

static void
print_ratio (const char *what, double num, double den, double target)
{
  if (num <= 0 || den <= 0)
    return;
  g_print ("  %-32s = %.3f (target >= %.2f: %s)\n", what, num / den, target,
           num / den >= target ? "met" : "NOT met");
}

/* Sender CPU per frame of @kind against the bare ring: the ratio of the
 * medians, and the median of the per-run ratios (both senders measured in
 * the same run, so load from other processes hits both alike). */
static void
print_cpu_ratio (const Result *results, TxKind kind, double target)
{
  g_autofree double *ratios = g_new0 (double, opt.runs);
  g_autofree double *num = g_new0 (double, opt.runs);
  g_autofree double *den = g_new0 (double, opt.runs);
  guint n = 0;

  for (gint run = 0; run < opt.runs; run++)
    {
      const Result *a = &results[run * N_TX + kind];
      const Result *b = &results[run * N_TX + TX_BARE_RING];

      if (!a->ok || !b->ok || b->sender_cpu_ns <= 0)
        continue;
      num[n] = a->sender_cpu_ns;
      den[n] = b->sender_cpu_ns;
      ratios[n] = a->sender_cpu_ns / b->sender_cpu_ns;
      g_print ("    run %d: %s %.0f / bare %.0f ns = %.3f; user %.0f / %.0f ns\n", run + 1,
               tx_names[kind], a->sender_cpu_ns, b->sender_cpu_ns, ratios[n],
               a->sender_user_ns, b->sender_user_ns);
      n++;
    }
  if (n == 0)
    return;
  {
    double median_ratio = bench_median (ratios, n);
    double ratio_of_medians = bench_median (num, n) / bench_median (den, n);

    g_print ("  %s / bare-tx-ring sender CPU per frame = %.3f (median of per-run ratios; ratio "
             "of medians %.3f) (target <= %.2f: %s)\n",
             tx_names[kind], median_ratio, ratio_of_medians, target,
             median_ratio <= target ? "met" : "NOT met");
  }
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *frame = NULL;
  g_autofree Result *results = NULL;
  double med[N_TX] = { 0 };
  BenchNet net;
  GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT64, &opt.count, "Frames per trial (1000000)", "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &opt.size, "Frame size in bytes, without FCS (64)", "S" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &opt.runs, "Repetitions; medians are reported (3)", "R" },
    { "frame-count", 0, 0, G_OPTION_ARG_INT, &opt.frame_count,
      "TX ring frames of 2048 B for the injector and the bare ring (1024)", "N" },
    { "flush-every", 0, 0, G_OPTION_ARG_INT, &opt.flush_every,
      "Injector: flush after this many frames (default: the ring's frame count, the bare ring's kick policy)", "N" },
    { "window", 0, 0, G_OPTION_ARG_INT, &opt.window,
      "send_async calls kept outstanding (256)", "N" },
    { "no-qdisc-bypass", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &opt.qdisc_bypass,
      "Go through the qdisc layer (injector, bare ring and send(); pcap never bypasses)", NULL },
    { "senders", 0, 0, G_OPTION_ARG_STRING, &opt.senders,
      "Comma-separated subset of injector-c,injector-async,pcap_inject,send,bare-tx-ring",
      "LIST" },
    G_OPTION_ENTRY_NULL
  };

  setlocale (LC_ALL, "");
  octx = g_option_context_new ("- frames per second arriving: netring injector vs peers");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt.flush_every == 0)
    opt.flush_every = opt.frame_count;
  if (opt.count <= 0 || opt.size < 60 || opt.size > 1514 || opt.runs <= 0 ||
      opt.flush_every <= 0 || opt.window <= 0 || opt.frame_count <= 0)
    {
      g_printerr ("invalid option value\n");
      return 2;
    }

  bench_net_setup (&net);
  bench_pin_to_cpu (BENCH_CPU_SENDER);
  frame = g_malloc (opt.size);
  bench_frame_build (frame, opt.size, net.rx_mac, net.tx_mac);

  g_print ("bench-inject: %" G_GINT64_FORMAT " frames of %d B per trial, %d run(s); TX rings "
           "%d × 2048 B, qdisc bypass %s (not for pcap_inject), flush every %d, send_async window "
           "%d; sender CPU %d, counting receiver (TPACKET_V3, 16 × 4 MiB) CPU %d; %s\n",
           opt.count, opt.size, opt.runs, opt.frame_count, opt.qdisc_bypass ? "on" : "off",
           opt.flush_every, opt.window, BENCH_CPU_SENDER, BENCH_CPU_RECEIVER, pcap_lib_version ());

  results = g_new0 (Result, (gsize) opt.runs * N_TX);
  for (gint run = 0; run < opt.runs; run++)
    {
      g_print ("run %d/%d\n", run + 1, opt.runs);
      for (TxKind k = 0; k < N_TX; k++)
        if (sender_selected (k))
          results[run * N_TX + k] = run_trial (k, &net, frame);
    }

  g_print ("\nmedian of %d run(s), %" G_GINT64_FORMAT " × %d B frames:\n", opt.runs, opt.count,
           opt.size);
  g_print ("| sender | arriving Mpps | sender Mpps | sender CPU ns/frame | of which user "
           "| lost on the wire (max) | counter ring drops (max) | syscalls/frame |\n"
           "|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (TxKind k = 0; k < N_TX; k++)
    {
      g_autofree double *arr = g_new0 (double, opt.runs);
      g_autofree double *snd = g_new0 (double, opt.runs);
      g_autofree double *cpu = g_new0 (double, opt.runs);
      g_autofree double *user = g_new0 (double, opt.runs);
      g_autofree double *kpf = g_new0 (double, opt.runs);
      guint64 max_lost = 0, max_counter_drops = 0;
      guint n = 0;

      if (!sender_selected (k))
        continue;
      for (gint run = 0; run < opt.runs; run++)
        {
          Result *r = &results[run * N_TX + k];

          if (!r->ok)
            continue;
          arr[n] = r->arrive_mpps;
          snd[n] = r->sender_mpps;
          cpu[n] = r->sender_cpu_ns;
          user[n] = r->sender_user_ns;
          kpf[n] = r->sent ? (double) r->kicks / r->sent : 0;
          /* what never reached the receiving interface, by its kernel
           * counter; drops of the counting ring itself are the counter's */
          max_lost = MAX (max_lost, (guint64) opt.count - MIN (r->veth_rx, (guint64) opt.count));
          max_counter_drops = MAX (max_counter_drops, r->rx_drops);
          n++;
        }
      if (n == 0)
        {
          g_print ("| %s | failed | | | | | | |\n", tx_names[k]);
          continue;
        }
      med[k] = bench_median (arr, n);
      g_print ("| %s | %.3f | %.3f | %.0f | %.0f | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
               " | %.3f |\n",
               tx_names[k], med[k], bench_median (snd, n), bench_median (cpu, n),
               bench_median (user, n), max_lost, max_counter_drops, bench_median (kpf, n));
    }
  g_print ("\nratios of arriving pps:\n");
  print_ratio ("injector-c / pcap_inject", med[TX_INJECTOR_C], med[TX_PCAP_INJECT], 1.2);
  print_ratio ("injector-c / bare-tx-ring", med[TX_INJECTOR_C], med[TX_BARE_RING], 0.95);
  print_ratio ("injector-async / pcap_inject", med[TX_INJECTOR_ASYNC], med[TX_PCAP_INJECT], 1.1);
  if (sender_selected (TX_BARE_RING))
    {
      g_print ("\nsender CPU per frame against the bare TX ring:\n");
      if (sender_selected (TX_INJECTOR_C))
        print_cpu_ratio (results, TX_INJECTOR_C, 1.05);
      if (sender_selected (TX_INJECTOR_ASYNC))
        print_cpu_ratio (results, TX_INJECTOR_ASYNC, 1.10);
    }
  return 0;
}
