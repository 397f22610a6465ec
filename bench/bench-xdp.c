/* bench-xdp.c: receiver CPU per packet of NetringXdpSocket (plain C loop and
 * GMainContext source) against a naive libxdp loop and the bare TPACKET_V3
 * loop, and sender CPU per frame of NetringXdpSocket against a naive libxdp
 * sender, on a veth pair in a private network namespace. Side by side in
 * one run, each trial with the same generator (receivers) or the same
 * counter (senders). See bench/README.md.
 *
 * veth runs AF_XDP in copy mode. The kernel's receive work (the XDP
 * program, the copy into the UMEM, or tpacket_rcv) runs on the sending
 * CPU, so the receiver thread's CPU time is the user-side consumer plus its
 * system calls, where the libraries differ. */
#define _GNU_SOURCE
#include "bench-common.h"

#include <netring/netring.h>
#include <xdp/xsk.h>

#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef enum {
  RX_XDP_LOOP,
  RX_XDP_MAINLOOP,
  RX_XDP_LOOP_IMMEDIATE,
  RX_LIBXDP,
  RX_RAW,
  N_RX
} RxKind;

/* netring-xdp-loop and -mainloop run with --coalesce-us (1000 by default),
 * netring-xdp-loop-0 with the socket's default (no coalescing) */
static const char *const rx_names[N_RX] = { "netring-xdp-loop", "netring-xdp-mainloop",
                                            "netring-xdp-loop-0", "libxdp-naive",
                                            "raw-tpacket-v3" };

typedef enum {
  TX_XDP,
  TX_LIBXDP,
  TX_RAW,
  N_TX
} TxKind;

static const char *const tx_names[N_TX] = { "netring-xdp-send", "libxdp-naive-send",
                                            "raw-tx-ring" };

typedef struct {
  gint64 count;
  gint size;
  gint runs;
  gint frame_count;
  gint coalesce_us;
  gint busy_poll_us;
  gchar *receivers;
  gchar *senders;
  gchar *attach;
  gboolean no_rx;
  gboolean no_tx;
} Options;

static Options opt = {
  .count = 2000000,
  .size = 64,
  .runs = 3,
  .frame_count = 16384,
  .coalesce_us = 1000,
  .busy_poll_us = 0,
  .receivers = NULL,
  .senders = NULL,
  .attach = NULL,
};

#define FRAME_SIZE 2048u
/* the generator's TPACKET TX ring, and the counter's RX ring (TX trials) */
#define GEN_FRAMES 1024u
#define COUNTER_BLOCK_SIZE (4u << 20)
#define COUNTER_BLOCKS 16u

typedef struct {
  RxKind kind;
  NetringXdpAttachMode attach;
  const BenchNet *net;
  guint64 target;

  BenchLatch ready;
  gint stop;          /* atomic: the controller gave up waiting */
  gint64 published;   /* atomic: packets counted so far */
  gint64 last_rx_ns;  /* atomic */

  /* receiver thread only */
  guint64 count;
  guint64 sum;
  guint64 wakes;      /* times the receiver found the ring empty and waited */
  GMainLoop *loop;

  gint64 cpu_ns;
  struct rusage ru0, ru1;
  guint64 drops;
  gchar *error;
} Trial;

typedef struct {
  gboolean ok;
  guint64 received;
  guint64 drops;        /* counted by the receiving socket (the kernel's socket counters) */
  guint64 veth_dropped; /* dropped before any socket saw them (veth rx_dropped) */
  double ns_per_packet;
  double packets_per_sleep;
  guint64 sleeps;
  double gen_mpps;
  double cpu0_ns_per_packet;
} TrialResult;

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

static guint32
xdp_flags_for (NetringXdpAttachMode attach)
{
  return attach == NETRING_XDP_ATTACH_MODE_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
}

/* ---- receivers --------------------------------------------------------------- */

static NetringXdpSocket *
open_xdp_rx (Trial *t, GError **error)
{
  NetringXdpSocket *xsk;

  xsk = g_initable_new (NETRING_TYPE_XDP_SOCKET, NULL, error, "interface", t->net->rx_if,
                        "queue-id", 0u, "mode", NETRING_XDP_MODE_RX, "frame-size", FRAME_SIZE,
                        "frame-count", (guint) opt.frame_count, "attach-mode", t->attach,
                        "bind-mode", NETRING_XDP_BIND_MODE_COPY, "busy-poll-us",
                        (guint) opt.busy_poll_us, NULL);
  if (xsk != NULL && t->kind != RX_XDP_LOOP_IMMEDIATE)
    netring_xdp_socket_set_rx_coalesce_us (xsk, (guint) opt.coalesce_us);
  return xsk;
}

static void
xdp_rx_results (Trial *t, NetringXdpSocket *xsk)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringXdpStats) stats = netring_xdp_socket_get_stats (xsk, &error);

  if (stats == NULL)
    {
      t->error = g_strdup_printf ("netring_xdp_socket_get_stats: %s", error->message);
      return;
    }
  t->drops = stats->rx_dropped + stats->rx_ring_full;
}

/* (a) the plain C loop: next_batch_timeout and the allocation-free iterator */
static gpointer
rx_xdp_loop (gpointer data)
{
  Trial *t = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringXdpSocket) xsk = NULL;
  NetringReceiver *receiver;
  gint64 cpu0;

  bench_pin_to_cpu (BENCH_CPU_RECEIVER);
  xsk = open_xdp_rx (t, &error);
  if (xsk == NULL)
    {
      t->error = g_strdup (error->message);
      bench_latch_set (&t->ready);
      return NULL;
    }
  receiver = NETRING_RECEIVER (xsk);
  getrusage (RUSAGE_THREAD, &t->ru0);
  cpu0 = bench_thread_cpu_ns ();
  bench_latch_set (&t->ready);

  while (t->count < t->target && !g_atomic_int_get (&t->stop))
    {
      NetringBatchIter iter;
      const guint8 *bytes;
      guint32 caplen;
      NetringBatch *batch = netring_receiver_next_batch_timeout (receiver, 100, NULL, &error);

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
      netring_batch_iter_init (&iter, batch);
      while ((bytes = netring_batch_iter_next_data (&iter, &caplen, NULL)) != NULL)
        consume (t, bytes, caplen);
      netring_batch_unref (batch);
      publish (t);
    }
  t->cpu_ns = bench_thread_cpu_ns () - cpu0;
  getrusage (RUSAGE_THREAD, &t->ru1);
  xdp_rx_results (t, xsk);
  return NULL;
}

/* (b) the receiver's GSource in a private GMainContext */
static gboolean
on_batch (NetringReceiver *receiver, NetringBatch *batch, const GError *error,
          gpointer user_data)
{
  Trial *t = user_data;
  NetringBatchIter iter;
  const guint8 *data;
  guint32 caplen;

  if (error != NULL)
    {
      t->error = g_strdup_printf ("receive source: %s", error->message);
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
rx_xdp_mainloop (gpointer data)
{
  Trial *t = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GSource) source = NULL;
  g_autoptr(GSource) tick = NULL;
  gint64 cpu0;

  bench_pin_to_cpu (BENCH_CPU_RECEIVER);
  xsk = open_xdp_rx (t, &error);
  if (xsk == NULL)
    {
      t->error = g_strdup (error->message);
      bench_latch_set (&t->ready);
      return NULL;
    }
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  t->loop = g_main_loop_new (context, FALSE);
  source = netring_receiver_create_source (NETRING_RECEIVER (xsk), NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (on_batch), t, NULL);
  g_source_attach (source, context);
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
  xdp_rx_results (t, xsk);
  g_clear_pointer (&t->loop, g_main_loop_unref);
  g_main_context_pop_thread_default (context);
  return NULL;
}

/* (c) the naive libxdp loop, as the xsk examples write it: the whole UMEM
 * in the fill ring, then poll(), read what is there, give the frames back
 * to the fill ring, poll() again. libxdp loads its own redirect program. */
typedef struct {
  guint8 *area;
  gsize area_size;
  struct xsk_umem *umem;
  struct xsk_socket *xsk;
  struct xsk_ring_prod fill;
  struct xsk_ring_cons comp;
  struct xsk_ring_cons rx;
  struct xsk_ring_prod tx;
} Libxdp;

static gboolean
libxdp_open (Libxdp *x, const char *ifname, gboolean rx, guint32 xdp_flags, GError **error)
{
  struct xsk_umem_config ucfg = { 0 };
  struct xsk_socket_config scfg = { 0 };
  guint32 frames = (guint32) opt.frame_count;
  int err;

  memset (x, 0, sizeof *x);
  x->area_size = (gsize) frames * FRAME_SIZE;
  x->area = mmap (NULL, x->area_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (x->area == MAP_FAILED)
    {
      x->area = NULL;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "mmap: %s", g_strerror (errno));
      return FALSE;
    }
  ucfg.fill_size = frames;
  ucfg.comp_size = frames;
  ucfg.frame_size = FRAME_SIZE;
  err = xsk_umem__create (&x->umem, x->area, x->area_size, &x->fill, &x->comp, &ucfg);
  if (err != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "xsk_umem__create: %s",
                   g_strerror (-err));
      return FALSE;
    }
  scfg.rx_size = rx ? frames : 0;
  scfg.tx_size = rx ? 0 : frames;
  scfg.libxdp_flags = rx ? 0 : XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
  scfg.xdp_flags = xdp_flags;
  scfg.bind_flags = XDP_USE_NEED_WAKEUP | XDP_COPY;
  /* The kernel releases the queue of a socket closed a moment ago
   * asynchronously: EBUSY for a while (the library waits the same way). */
  for (guint wait_ms = 1; wait_ms < 4096; wait_ms *= 2)
    {
      err = xsk_socket__create (&x->xsk, ifname, 0, x->umem, rx ? &x->rx : NULL,
                                rx ? NULL : &x->tx, &scfg);
      if (err != -EBUSY)
        break;
      g_usleep (wait_ms * 1000);
    }
  if (err != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "xsk_socket__create: %s",
                   g_strerror (-err));
      return FALSE;
    }
  if (rx)
    {
      guint32 idx = 0, i;

      if (xsk_ring_prod__reserve (&x->fill, frames, &idx) != frames)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "fill ring too small");
          return FALSE;
        }
      for (i = 0; i < frames; i++)
        *xsk_ring_prod__fill_addr (&x->fill, idx + i) = (guint64) i * FRAME_SIZE;
      xsk_ring_prod__submit (&x->fill, frames);
    }
  return TRUE;
}

static void
libxdp_close (Libxdp *x)
{
  if (x->xsk != NULL)
    xsk_socket__delete (x->xsk);
  if (x->umem != NULL)
    xsk_umem__delete (x->umem);
  if (x->area != NULL)
    munmap (x->area, x->area_size);
  memset (x, 0, sizeof *x);
}

static gpointer
rx_libxdp (gpointer data)
{
  Trial *t = data;
  g_autoptr(GError) error = NULL;
  struct xdp_statistics st;
  socklen_t len = sizeof st;
  Libxdp x;
  int fd;
  gint64 cpu0;

  bench_pin_to_cpu (BENCH_CPU_RECEIVER);
  if (!libxdp_open (&x, t->net->rx_if, TRUE, xdp_flags_for (t->attach), &error))
    {
      t->error = g_strdup (error->message);
      libxdp_close (&x);
      bench_latch_set (&t->ready);
      return NULL;
    }
  fd = xsk_socket__fd (x.xsk);
  getrusage (RUSAGE_THREAD, &t->ru0);
  cpu0 = bench_thread_cpu_ns ();
  bench_latch_set (&t->ready);

  while (t->count < t->target && !g_atomic_int_get (&t->stop))
    {
      guint32 idx_rx = 0, idx_fill = 0, n, i;

      n = xsk_ring_cons__peek (&x.rx, (guint32) opt.frame_count, &idx_rx);
      if (n == 0)
        {
          struct pollfd pfd = { fd, POLLIN, 0 };

          if (xsk_ring_prod__needs_wakeup (&x.fill))
            recvfrom (fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
          poll (&pfd, 1, 100);
          continue;
        }
      for (i = 0; i < n; i++)
        {
          const struct xdp_desc *desc = xsk_ring_cons__rx_desc (&x.rx, idx_rx + i);

          consume (t, (const guint8 *) xsk_umem__get_data (x.area, desc->addr), desc->len);
        }
      while (xsk_ring_prod__reserve (&x.fill, n, &idx_fill) != n)
        ;
      for (i = 0; i < n; i++)
        *xsk_ring_prod__fill_addr (&x.fill, idx_fill + i) =
          xsk_ring_cons__rx_desc (&x.rx, idx_rx + i)->addr & ~((guint64) FRAME_SIZE - 1);
      xsk_ring_prod__submit (&x.fill, n);
      xsk_ring_cons__release (&x.rx, n);
      publish (t);
    }
  t->cpu_ns = bench_thread_cpu_ns () - cpu0;
  getrusage (RUSAGE_THREAD, &t->ru1);
  if (getsockopt (fd, SOL_XDP, XDP_STATISTICS, &st, &len) == 0)
    t->drops = st.rx_dropped + st.rx_ring_full;
  libxdp_close (&x);
  return NULL;
}

/* (d) reference: the bare TPACKET_V3 loop (64 MiB ring, 10 ms block
 * timeout), the same per-packet work, no library at all */
static gpointer
rx_raw (gpointer data)
{
  Trial *t = data;
  g_autoptr(GError) error = NULL;
  BenchRxRing ring;
  gint64 cpu0;

  bench_pin_to_cpu (BENCH_CPU_RECEIVER);
  if (!bench_rx_ring_open (&ring, t->net->rx_ifindex, 4u << 20, 16, 10, &error))
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

static const GThreadFunc rx_funcs[N_RX] = { rx_xdp_loop, rx_xdp_mainloop, rx_xdp_loop, rx_libxdp,
                                            rx_raw };

/* ---- the generator for the receivers ------------------------------------------ */

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

static TrialResult
run_rx_trial (RxKind kind, NetringXdpAttachMode attach, const BenchNet *net, BenchTxRing *ring,
              const guint8 *frame)
{
  TrialResult r = { 0 };
  Trial t = { 0 };
  Generator gen = { 0 };
  GThread *rx_thread, *gen_thread;
  gint64 busy0[2], busy1[2];
  gint64 last_change_ns, last_count;

  t.kind = kind;
  t.attach = attach;
  t.net = net;
  t.target = (guint64) opt.count;
  bench_latch_init (&t.ready);

  rx_thread = g_thread_new (rx_names[kind], rx_funcs[kind], &t);
  bench_latch_wait (&t.ready);
  if (t.error != NULL)
    {
      g_thread_join (rx_thread);
      g_printerr ("  %s: %s\n", rx_names[kind], t.error);
      g_free (t.error);
      bench_latch_clear (&t.ready);
      return r;
    }
  bench_cpu_busy_ns (busy0);
  r.veth_dropped = bench_iface_stat (net->rx_if, "rx_dropped");
  gen.ring = ring;
  gen.frame = frame;
  gen.size = (gsize) opt.size;
  gen.count = (guint64) opt.count;
  gen_thread = g_thread_new ("generator", generator_thread, &gen);
  g_thread_join (gen_thread);

  /* stop when everything arrived, or 500 ms after the last progress */
  last_count = __atomic_load_n (&t.published, __ATOMIC_ACQUIRE);
  last_change_ns = bench_now_ns ();
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
          break;
        }
      g_usleep (2000);
    }
  g_thread_join (rx_thread);
  bench_cpu_busy_ns (busy1);
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
  r.veth_dropped = bench_iface_stat (net->rx_if, "rx_dropped") - r.veth_dropped;
  r.sleeps = (guint64) (t.ru1.ru_nvcsw - t.ru0.ru_nvcsw);
  r.packets_per_sleep = r.sleeps ? (double) t.count / r.sleeps : (double) t.count;
  r.ns_per_packet = t.count ? (double) t.cpu_ns / t.count : 0;
  r.cpu0_ns_per_packet = t.count ? (double) (busy1[0] - busy0[0]) / t.count : 0;
  r.gen_mpps =
    (double) gen.result.queued * 1e3 / (double) (gen.result.end_ns - gen.result.start_ns);
  g_print ("  %-21s %-7s recv %8" G_GUINT64_FORMAT " lost %6" G_GUINT64_FORMAT
           " (socket drops %" G_GUINT64_FORMAT ", veth drops %" G_GUINT64_FORMAT ")"
           " | rx thread %6.1f ns/pkt, %6" G_GUINT64_FORMAT " sleeps (%.1f pkt/sleep)"
           " | CPU0 %6.1f ns/pkt | gen %.3f Mpps%s [sum %" G_GUINT64_FORMAT "]\n",
           rx_names[kind], kind == RX_RAW ? "" : (attach == NETRING_XDP_ATTACH_MODE_NATIVE
                                                    ? "native" : "generic"),
           r.received, (guint64) opt.count - MIN (r.received, (guint64) opt.count), r.drops,
           r.veth_dropped,
           r.ns_per_packet, r.sleeps, r.packets_per_sleep, r.cpu0_ns_per_packet, r.gen_mpps,
           r.received < (guint64) opt.count ? "  LOST FRAMES" : "", t.sum);
  bench_latch_clear (&t.ready);
  return r;
}

/* ---- senders ------------------------------------------------------------------ */

typedef struct {
  TxKind kind;
  const BenchNet *net;
  const guint8 *frame;
  guint64 count;
  gint64 cpu_ns;
  gint64 start_ns;
  gint64 end_ns;
  guint64 syscalls;
  gchar *error;
} Sender;

/* NetringXdpSocket through NetringSender: send (a copy into the send
 * pool), flush every 64 frames; when the pool is full, poll for POLLOUT;
 * wait_drained at the end. */
static gpointer
tx_xdp (gpointer data)
{
  Sender *s = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringXdpSocket) xsk = NULL;
  NetringSender *sender;
  gint64 cpu0;
  guint64 i;

  bench_pin_to_cpu (BENCH_CPU_SENDER);
  xsk = g_initable_new (NETRING_TYPE_XDP_SOCKET, NULL, &error, "interface", s->net->tx_if,
                        "mode", NETRING_XDP_MODE_TX, "frame-size", FRAME_SIZE, "frame-count",
                        (guint) opt.frame_count, "bind-mode", NETRING_XDP_BIND_MODE_COPY, NULL);
  if (xsk == NULL)
    {
      s->error = g_strdup (error->message);
      return NULL;
    }
  sender = NETRING_SENDER (xsk);
  cpu0 = bench_thread_cpu_ns ();
  s->start_ns = bench_now_ns ();
  for (i = 0; i < s->count; i++)
    {
      while (!netring_sender_send (sender, s->frame, (gsize) opt.size, &error))
        {
          struct pollfd pfd = { netring_sender_get_fd (sender), POLLOUT, 0 };

          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              s->error = g_strdup (error->message);
              return NULL;
            }
          g_clear_error (&error);
          poll (&pfd, 1, 100);
        }
      if ((i + 1) % 64 == 0 && netring_sender_flush (sender, &error) < 0)
        {
          s->error = g_strdup (error->message);
          return NULL;
        }
    }
  if (!netring_sender_wait_drained (sender, 10000, NULL, &error))
    {
      s->error = g_strdup (error->message);
      return NULL;
    }
  s->end_ns = bench_now_ns ();
  s->cpu_ns = bench_thread_cpu_ns () - cpu0;
  return NULL;
}

/* The naive libxdp sender: reserve what the TX ring has room for, write
 * the frames, submit, kick with sendto() once per batch of 64, and take
 * completions back before reserving again. */
static gpointer
tx_libxdp (gpointer data)
{
  Sender *s = data;
  g_autoptr(GError) error = NULL;
  guint32 frames = (guint32) opt.frame_count, next_free = 0;
  g_autofree guint64 *free_list = g_new (guint64, frames);
  guint32 n_free = frames, i;
  guint64 sent = 0, completed = 0;
  Libxdp x;
  gint64 cpu0;
  int fd;

  bench_pin_to_cpu (BENCH_CPU_SENDER);
  if (!libxdp_open (&x, s->net->tx_if, FALSE, 0, &error))
    {
      s->error = g_strdup (error->message);
      libxdp_close (&x);
      return NULL;
    }
  for (i = 0; i < frames; i++)
    free_list[i] = (guint64) i * FRAME_SIZE;
  (void) next_free;
  fd = xsk_socket__fd (x.xsk);
  cpu0 = bench_thread_cpu_ns ();
  s->start_ns = bench_now_ns ();
  while (completed < s->count)
    {
      guint32 idx = 0, n, want = (guint32) MIN ((guint64) MIN (n_free, 64u), s->count - sent);

      if (want > 0 && (n = xsk_ring_prod__reserve (&x.tx, want, &idx)) > 0)
        {
          for (i = 0; i < n; i++)
            {
              struct xdp_desc *d = xsk_ring_prod__tx_desc (&x.tx, idx + i);
              guint64 addr = free_list[--n_free];

              memcpy (xsk_umem__get_data (x.area, addr), s->frame, (gsize) opt.size);
              d->addr = addr;
              d->len = (guint32) opt.size;
              d->options = 0;
            }
          xsk_ring_prod__submit (&x.tx, n);
          sent += n;
        }
      /* kick, then take completions */
      if (xsk_ring_prod__needs_wakeup (&x.tx))
        {
          s->syscalls++;
          if (sendto (fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
              errno != EBUSY && errno != ENOBUFS)
            {
              s->error = g_strdup_printf ("sendto: %s", g_strerror (errno));
              break;
            }
        }
      n = xsk_ring_cons__peek (&x.comp, frames, &idx);
      for (i = 0; i < n; i++)
        free_list[n_free++] = *xsk_ring_cons__comp_addr (&x.comp, idx + i);
      xsk_ring_cons__release (&x.comp, n);
      completed += n;
    }
  s->end_ns = bench_now_ns ();
  s->cpu_ns = bench_thread_cpu_ns () - cpu0;
  libxdp_close (&x);
  return NULL;
}

/* The hand-written TPACKET_V3 TX ring of bench-common.c (the generator of
 * the receiver trials), for reference. */
static gpointer
tx_raw (gpointer data)
{
  Sender *s = data;
  g_autoptr(GError) error = NULL;
  BenchTxRing ring;
  BenchTxResult result = { 0 };

  bench_pin_to_cpu (BENCH_CPU_SENDER);
  if (!bench_tx_ring_open (&ring, s->net->tx_ifindex, FRAME_SIZE, GEN_FRAMES, TRUE, &error) ||
      !bench_tx_ring_send (&ring, s->frame, (gsize) opt.size, s->count, &result, &error))
    s->error = g_strdup (error->message);
  else
    {
      s->cpu_ns = result.cpu_ns;
      s->start_ns = result.start_ns;
      s->end_ns = result.end_ns;
      s->syscalls = result.kicks;
    }
  bench_tx_ring_close (&ring);
  return NULL;
}

static const GThreadFunc tx_funcs[N_TX] = { tx_xdp, tx_libxdp, tx_raw };

typedef struct {
  gboolean ok;
  double ns_per_frame;
  double mpps;
  guint64 arrived;
} SendResult;

typedef struct {
  BenchRxRing ring;
  gint stop;
  gchar *error;
} Counter;

static gpointer
counter_thread (gpointer data)
{
  Counter *c = data;
  g_autoptr(GError) error = NULL;

  bench_pin_to_cpu (BENCH_CPU_RECEIVER);
  while (!g_atomic_int_get (&c->stop))
    if (!bench_rx_ring_poll (&c->ring, 20, &error))
      {
        c->error = g_strdup (error->message);
        break;
      }
  return NULL;
}

static SendResult
run_tx_trial (TxKind kind, const BenchNet *net, const guint8 *frame)
{
  SendResult r = { 0 };
  g_autoptr(GError) error = NULL;
  Sender s = { 0 };
  Counter c = { 0 };
  GThread *counter, *sender;
  gint64 last_change_ns;
  guint64 last;

  if (!bench_rx_ring_open (&c.ring, net->rx_ifindex, COUNTER_BLOCK_SIZE, COUNTER_BLOCKS, 10,
                           &error))
    {
      g_printerr ("  counter: %s\n", error->message);
      return r;
    }
  counter = g_thread_new ("counter", counter_thread, &c);
  s.kind = kind;
  s.net = net;
  s.frame = frame;
  s.count = (guint64) opt.count;
  sender = g_thread_new (tx_names[kind], tx_funcs[kind], &s);
  g_thread_join (sender);

  last = __atomic_load_n (&c.ring.packets, __ATOMIC_RELAXED);
  last_change_ns = bench_now_ns ();
  while (__atomic_load_n (&c.ring.packets, __ATOMIC_RELAXED) < s.count &&
         bench_now_ns () - last_change_ns < 500 * G_GINT64_CONSTANT (1000000))
    {
      guint64 now = __atomic_load_n (&c.ring.packets, __ATOMIC_RELAXED);

      if (now != last)
        {
          last = now;
          last_change_ns = bench_now_ns ();
        }
      g_usleep (2000);
    }
  g_atomic_int_set (&c.stop, TRUE);
  g_thread_join (counter);
  if (s.error != NULL || c.error != NULL)
    {
      g_printerr ("  %s: %s\n", tx_names[kind], s.error != NULL ? s.error : c.error);
      g_free (s.error);
      g_free (c.error);
      bench_rx_ring_close (&c.ring);
      return r;
    }
  r.ok = TRUE;
  r.arrived = c.ring.packets;
  r.ns_per_frame = (double) s.cpu_ns / (double) s.count;
  r.mpps = (double) s.count * 1e3 / (double) (s.end_ns - s.start_ns);
  g_print ("  %-21s sent %8" G_GUINT64_FORMAT " arrived %8" G_GUINT64_FORMAT
           " | sender %6.1f ns/frame, %.3f Mpps%s\n",
           tx_names[kind], s.count, r.arrived, r.ns_per_frame, r.mpps,
           r.arrived < s.count ? "  LOST FRAMES" : "");
  bench_rx_ring_close (&c.ring);
  return r;
}

/* ---- main ----------------------------------------------------------------------- */

static gboolean
selected (const char *list, const char *name)
{
  g_auto(GStrv) names = NULL;

  if (list == NULL)
    return TRUE;
  names = g_strsplit (list, ",", -1);
  return g_strv_contains ((const gchar *const *) names, name);
}

int
main (int argc, char **argv)
{
  static const NetringXdpAttachMode attaches[] = { NETRING_XDP_ATTACH_MODE_NATIVE,
                                                   NETRING_XDP_ATTACH_MODE_GENERIC };
  g_autoptr(GOptionContext) octx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *frame = NULL;
  g_autofree TrialResult *rx_results = NULL;
  g_autofree SendResult *tx_results = NULL;
  BenchNet net;
  BenchTxRing ring;
  GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT64, &opt.count, "Frames per trial (2000000)", "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &opt.size, "Frame size in bytes (64)", "S" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &opt.runs, "Repetitions; medians are reported (3)", "R" },
    { "frame-count", 0, 0, G_OPTION_ARG_INT, &opt.frame_count,
      "UMEM frames of 2048 B for every AF_XDP socket (16384: 32 MiB)", "N" },
    { "coalesce-us", 0, 0, G_OPTION_ARG_INT, &opt.coalesce_us,
      "NetringXdpSocket:rx-coalesce-us of netring-xdp-loop and -mainloop (1000)", "US" },
    { "busy-poll-us", 0, 0, G_OPTION_ARG_INT, &opt.busy_poll_us,
      "NetringXdpSocket:busy-poll-us (0)", "US" },
    { "receivers", 0, 0, G_OPTION_ARG_STRING, &opt.receivers,
      "Comma-separated subset of netring-xdp-loop,netring-xdp-mainloop,netring-xdp-loop-0,"
      "libxdp-naive,raw-tpacket-v3", "LIST" },
    { "senders", 0, 0, G_OPTION_ARG_STRING, &opt.senders,
      "Comma-separated subset of netring-xdp-send,libxdp-naive-send,raw-tx-ring", "LIST" },
    { "attach", 0, 0, G_OPTION_ARG_STRING, &opt.attach, "native, generic or both (both)",
      "MODE" },
    { "no-rx", 0, 0, G_OPTION_ARG_NONE, &opt.no_rx, "Skip the receiver trials", NULL },
    { "no-tx", 0, 0, G_OPTION_ARG_NONE, &opt.no_tx, "Skip the sender trials", NULL },
    G_OPTION_ENTRY_NULL
  };
  double med_rx[N_RX][G_N_ELEMENTS (attaches)] = { { 0 } };

  setlocale (LC_ALL, "");
  octx = g_option_context_new ("- AF_XDP receiver and sender CPU: NetringXdpSocket vs libxdp");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt.count <= 0 || opt.size < 60 || opt.size > 1514 || opt.runs <= 0 ||
      opt.frame_count < 64 || opt.coalesce_us < 0)
    {
      g_printerr ("--count > 0, --size within 60..1514, --runs > 0, --frame-count >= 64, "
                  "--coalesce-us >= 0\n");
      return 2;
    }

  bench_net_setup (&net);
  bench_pin_to_cpu (BENCH_CPU_SENDER);
  frame = g_malloc (opt.size);
  bench_frame_build (frame, opt.size, net.rx_mac, net.tx_mac);
  if (!bench_tx_ring_open (&ring, net.tx_ifindex, FRAME_SIZE, GEN_FRAMES, TRUE, &error))
    {
      g_printerr ("generator: %s\n", error->message);
      return 1;
    }
  g_print ("bench-xdp: %" G_GINT64_FORMAT " frames of %d B per trial, %d run(s); AF_XDP sockets: "
           "queue 0, %d frames of %u B, copy mode, need-wakeup%s, rx-coalesce-us %d; generator: "
           "TPACKET_V3 TX ring, %u × %u B, CPU %d; receiver CPU %d\n",
           opt.count, opt.size, opt.runs, opt.frame_count, FRAME_SIZE,
           opt.busy_poll_us > 0 ? ", busy poll" : "", opt.coalesce_us, GEN_FRAMES, FRAME_SIZE,
           BENCH_CPU_SENDER, BENCH_CPU_RECEIVER);

  rx_results = g_new0 (TrialResult, (gsize) opt.runs * N_RX * G_N_ELEMENTS (attaches));
  tx_results = g_new0 (SendResult, (gsize) opt.runs * N_TX);
  for (gint run = 0; run < opt.runs; run++)
    {
      g_print ("run %d/%d\n", run + 1, opt.runs);
      if (!opt.no_rx)
        for (guint a = 0; a < G_N_ELEMENTS (attaches); a++)
          {
            const char *aname = a == 0 ? "native" : "generic";

            if (opt.attach != NULL && !g_str_equal (opt.attach, "both") &&
                !g_str_equal (opt.attach, aname))
              continue;
            for (RxKind k = 0; k < N_RX; k++)
              if (selected (opt.receivers, rx_names[k]) && (k != RX_RAW || a == 0))
                rx_results[(run * N_RX + k) * G_N_ELEMENTS (attaches) + a] =
                  run_rx_trial (k, attaches[a], &net, &ring, frame);
          }
      if (!opt.no_tx)
        for (TxKind k = 0; k < N_TX; k++)
          if (selected (opt.senders, tx_names[k]))
            tx_results[run * N_TX + k] = run_tx_trial (k, &net, frame);
    }

  if (!opt.no_rx)
    {
      g_print ("\nreceivers, median of %d run(s), %" G_GINT64_FORMAT " × %d B:\n", opt.runs,
               opt.count, opt.size);
      g_print ("| receiver | attach | rx thread CPU ns/pkt | packets per sleep | received (min) "
               "| lost (max) | generator Mpps |\n|---|---|---:|---:|---:|---:|---:|\n");
      for (RxKind k = 0; k < N_RX; k++)
        for (guint a = 0; a < G_N_ELEMENTS (attaches); a++)
          {
            g_autofree double *ns = g_new0 (double, opt.runs);
            g_autofree double *pps = g_new0 (double, opt.runs);
            g_autofree double *mpps = g_new0 (double, opt.runs);
            guint64 min_recv = G_MAXUINT64;
            guint n = 0;

            for (gint run = 0; run < opt.runs; run++)
              {
                TrialResult *r = &rx_results[(run * N_RX + k) * G_N_ELEMENTS (attaches) + a];

                if (!r->ok)
                  continue;
                ns[n] = r->ns_per_packet;
                pps[n] = r->packets_per_sleep;
                mpps[n] = r->gen_mpps;
                min_recv = MIN (min_recv, r->received);
                n++;
              }
            if (n == 0)
              continue;
            med_rx[k][a] = bench_median (ns, n);
            g_print ("| %s | %s | %.1f | %.1f | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
                     " | %.3f |\n",
                     rx_names[k], k == RX_RAW ? "-" : (a == 0 ? "native" : "generic"),
                     med_rx[k][a], bench_median (pps, n), min_recv,
                     (guint64) opt.count - MIN (min_recv, (guint64) opt.count),
                     bench_median (mpps, n));
          }
      g_print ("\nreceiver CPU per packet relative to the naive libxdp loop (target <= 0.30):\n");
      for (guint a = 0; a < G_N_ELEMENTS (attaches); a++)
        for (RxKind k = RX_XDP_LOOP; k <= RX_XDP_LOOP_IMMEDIATE; k++)
          if (med_rx[k][a] > 0 && med_rx[RX_LIBXDP][a] > 0)
            g_print ("  %-21s %-7s / libxdp-naive = %.3f %s\n", rx_names[k],
                     a == 0 ? "native" : "generic", med_rx[k][a] / med_rx[RX_LIBXDP][a],
                     med_rx[k][a] / med_rx[RX_LIBXDP][a] <= 0.30 ? "(met)" : "(NOT met)");
    }
  if (!opt.no_tx)
    {
      g_print ("\nsenders, median of %d run(s):\n| sender | CPU ns/frame | Mpps | arrived (min) "
               "|\n|---|---:|---:|---:|\n",
               opt.runs);
      for (TxKind k = 0; k < N_TX; k++)
        {
          g_autofree double *ns = g_new0 (double, opt.runs);
          g_autofree double *mpps = g_new0 (double, opt.runs);
          guint64 min_arrived = G_MAXUINT64;
          guint n = 0;

          for (gint run = 0; run < opt.runs; run++)
            {
              SendResult *r = &tx_results[run * N_TX + k];

              if (!r->ok)
                continue;
              ns[n] = r->ns_per_frame;
              mpps[n] = r->mpps;
              min_arrived = MIN (min_arrived, r->arrived);
              n++;
            }
          if (n > 0)
            g_print ("| %s | %.1f | %.3f | %" G_GUINT64_FORMAT " |\n", tx_names[k],
                     bench_median (ns, n), bench_median (mpps, n), min_arrived);
        }
    }
  bench_tx_ring_close (&ring);
  return 0;
}
