/* soak.c: long runs that look for leaks and slow growth (issue 14, "Soak").
 *
 * Two modes, both in a private network namespace with two veth pairs
 *
 *   bgen0 ── bdut0 : bridge : bdutb0 ── bcnt0
 *
 * - `soak memcheck` is meant to run under valgrind (bench/soak.sh): it
 *   captures --capture-count frames (swapping the capture filter while it
 *   runs), injects --inject-count frames, runs an XDP socket (receive and
 *   send) and a bridge, each object created, used and released, and exits
 *   with everything freed, so that memcheck's leak report means something.
 * - `soak flat` runs an injector, a bridge and a capture at the same time,
 *   at full rate, for --seconds, and samples the process's RSS
 *   (/proc/self/status VmRSS) and open fds (/proc/self/fd) every
 *   --interval seconds. After --warmup seconds both must stay flat: the fd
 *   count exactly, the RSS within --rss-slack-kib of the largest sample of
 *   the first minute after the warm-up. Exits 1 when they grow.
 *
 * Traffic that does not come from the library under test comes from the
 * hand-written rings of bench-common.c, and arrivals are counted by the
 * kernel's interface counters, so that nothing counts itself. */
#define _GNU_SOURCE
#include "bench-common.h"

#include <netring/netring.h>

#include <dirent.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_IF "bdutb0"
#define SINK_IF "bcnt0"
#define FRAME_SIZE 64

static struct {
  gint64 capture_count;
  gint64 inject_count;
  gint64 xdp_count;
  gint64 bridge_count;
  gint filter_swaps;
  gint seconds;
  gint interval;
  gint warmup;
  gint rss_slack_kib;
} opt = {
  .capture_count = 1000000,
  .inject_count = 1000000,
  .xdp_count = 100000,
  .bridge_count = 100000,
  .filter_swaps = 30,
  .seconds = 600,
  .interval = 5,
  .warmup = 60,
  .rss_slack_kib = 1024,
};

static BenchNet net;
static guint8 sink_mac[6];

static G_NORETURN void
die (const char *what, const GError *error)
{
  g_printerr ("soak: %s: %s\n", what, error != NULL ? error->message : "failed");
  exit (1);
}

static gboolean
is_soak_frame (const guint8 *data, guint32 length)
{
  return length >= 14 && data[12] == (BENCH_ETHERTYPE >> 8) && data[13] == (BENCH_ETHERTYPE & 0xff);
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates @context until *@done, or until *@progress has not moved for
 * @timeout_ms (a tick wakes the loop to look). */
static void
iterate_while_progress (GMainContext *context, const gboolean *done, const guint64 *progress,
                        gint timeout_ms)
{
  g_autoptr(GSource) tick = g_timeout_source_new (20);
  guint64 last = *progress;
  gint64 last_change = bench_now_ns ();

  g_source_set_callback (tick, tick_cb, NULL, NULL);
  g_source_attach (tick, context);
  while (!*done)
    {
      g_main_context_iteration (context, TRUE);
      if (*progress != last)
        {
          last = *progress;
          last_change = bench_now_ns ();
        }
      else if (bench_now_ns () - last_change > (gint64) timeout_ms * 1000000)
        break;
    }
  g_source_destroy (tick);
}

/* ---- capture ------------------------------------------------------------------ */

typedef struct {
  guint64 captured;
  guint64 target;
  gboolean done;
  gboolean pending; /* a receive_async() call is outstanding */
  GError *error;
} CaptureCount;

static void
count_batch (CaptureCount *c, NetringBatch *batch)
{
  NetringBatchIter iter;
  const guint8 *data;
  guint32 caplen;

  netring_batch_iter_init (&iter, batch);
  while ((data = netring_batch_iter_next_data (&iter, &caplen, NULL)) != NULL)
    if (is_soak_frame (data, caplen))
      c->captured++;
  c->done = c->captured >= c->target;
}

static void
on_capture_batch (NetringReceiver *receiver, NetringBatch *batch, gpointer user_data)
{
  count_batch (user_data, batch);
}

static void
on_received (GObject *object, GAsyncResult *result, gpointer user_data)
{
  CaptureCount *c = user_data;
  g_autoptr(GPtrArray) packets = NULL;

  c->pending = FALSE;
  packets = netring_receiver_receive_finish (NETRING_RECEIVER (object), result, &c->error);
  if (packets == NULL)
    return;
  for (guint i = 0; i < packets->len; i++)
    {
      gsize length;
      const guint8 *data = netring_packet_get_data (packets->pdata[i], &length);

      if (is_soak_frame (data, (guint32) length))
        c->captured++;
    }
  c->done = c->captured >= c->target;
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* Receives the frames of one round with the reception mode @mode: 0 the
 * synchronous call, 1 the ::batch signal in a main loop, 2 owned copies
 * through receive_async(). Stops when @c has @c->target frames or nothing
 * came for half a second (frames the kernel dropped). */
static void
capture_round (NetringReceiver *receiver, CaptureCount *c, guint mode)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  gulong handler;

  switch (mode)
    {
    case 0:
      while (!c->done)
        {
          g_autoptr(GError) error = NULL;
          NetringBatch *batch = netring_receiver_next_batch_timeout (receiver, 500, NULL, &error);

          if (batch == NULL)
            {
              if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
                return;
              die ("netring_receiver_next_batch_timeout", error);
            }
          count_batch (c, batch);
          netring_batch_unref (batch);
        }
      break;
    case 1:
      g_main_context_push_thread_default (context);
      handler = g_signal_connect (receiver, "batch", G_CALLBACK (on_capture_batch), c);
      {
        g_autoptr(GError) error = NULL;

        if (!netring_receiver_start (receiver, &error))
          die ("netring_receiver_start", error);
      }
      iterate_while_progress (context, &c->done, &c->captured, 500);
      netring_receiver_stop (receiver);
      g_signal_handler_disconnect (receiver, handler);
      g_main_context_pop_thread_default (context);
      break;
    default:
      g_main_context_push_thread_default (context);
      while (!c->done)
        {
          g_autoptr(GCancellable) cancellable = g_cancellable_new ();
          g_autoptr(GSource) timeout = g_timeout_source_new (500);

          /* a call waits for the next batch; nothing for half a second
           * ends the round */
          g_source_set_callback (timeout, cancel_cb, cancellable, NULL);
          g_source_attach (timeout, context);
          c->pending = TRUE;
          netring_receiver_receive_async (receiver, cancellable, on_received, c);
          while (c->pending)
            g_main_context_iteration (context, TRUE);
          g_source_destroy (timeout);
          if (c->error != NULL)
            {
              if (!g_error_matches (c->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                die ("netring_receiver_receive_async", c->error);
              g_clear_error (&c->error);
              break;
            }
        }
      g_main_context_pop_thread_default (context);
      break;
    }
}

/* The filters swapped in while the capture runs: each keeps the soak's
 * frames (and the last one takes the filter away). */
static void
swap_filter (NetringCapture *capture, guint swap)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  switch (swap % 4)
    {
    case 0:
      ok = netring_capture_set_filter (capture, "ether proto 0x88b5", &error);
      break;
    case 1:
      {
        g_autoptr(NetringBpfProgram) program =
          netring_bpf_program_new_from_expression ("ether proto 0x88b5 or ip", NETRING_LINK_TYPE_ETHERNET,
                                                   262144, &error);

        ok = program != NULL && netring_capture_set_bpf_program (capture, program, &error);
        break;
      }
    case 2:
      {
        /* tcpdump -ddd "ether proto 0x88b5" */
        g_autoptr(NetringBpfProgram) program =
          netring_bpf_program_new_from_text ("4\n40 0 0 12\n21 0 1 34997\n6 0 0 262144\n6 0 0 0\n",
                                             &error);

        ok = program != NULL && netring_capture_set_bpf_program (capture, program, &error);
        break;
      }
    default:
      ok = netring_capture_detach_filter (capture, &error);
      break;
    }
  if (!ok)
    die ("swapping the capture filter", error);
}

static void
memcheck_capture (BenchTxRing *gen, const guint8 *frame)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  CaptureCount c = { 0 };
  guint64 sent = 0, rounds = 0, swaps = 0;
  const guint64 round_size = 4096;
  guint64 swap_every = (guint64) opt.capture_count / (guint64) MAX (opt.filter_swaps, 1);
  BenchTxResult result;
  gint64 start = bench_now_ns ();

  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", net.rx_if,
                            "block-size", 1u << 20, "block-count", 16u, "filter",
                            "ether proto 0x88b5", NULL);
  if (capture == NULL)
    die ("opening the capture", error);

  while (c.captured < (guint64) opt.capture_count)
    {
      guint64 n = MIN (round_size, (guint64) opt.capture_count - c.captured);

      if (swap_every > 0 && c.captured >= (swaps + 1) * swap_every)
        swap_filter (capture, (guint) swaps++);
      c.target = c.captured + n;
      c.done = FALSE;
      if (!bench_tx_ring_send (gen, frame, FRAME_SIZE, n, &result, &error))
        die ("generator", error);
      sent += n;
      capture_round (NETRING_RECEIVER (capture), &c, (guint) (rounds++ % 3));
    }
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  if (stats == NULL)
    die ("netring_receiver_get_stats", error);
  g_print ("capture: %" G_GUINT64_FORMAT " frames captured of %" G_GUINT64_FORMAT
           " sent in %" G_GUINT64_FORMAT " rounds, %" G_GUINT64_FORMAT
           " filter swaps, kernel drops %" G_GUINT64_FORMAT ", %.1f s\n",
           c.captured, sent, rounds, swaps, stats->drops, (bench_now_ns () - start) / 1e9);
  if (!netring_receiver_close (NETRING_RECEIVER (capture), &error))
    die ("netring_receiver_close", error);
}

/* ---- injection ---------------------------------------------------------------- */

typedef struct {
  NetringInjector *injector;
  GBytes *frame;
  guint64 left;
  guint outstanding;
  gboolean done;
  guint64 completed;
  GError *error;
} AsyncSend;

static void async_send_next (AsyncSend *run);

static void
on_async_sent (GObject *object, GAsyncResult *result, gpointer user_data)
{
  AsyncSend *run = user_data;

  run->outstanding--;
  if (!netring_injector_send_finish (NETRING_INJECTOR (object), result, &run->error))
    {
      run->done = TRUE;
      return;
    }
  run->completed++;
  async_send_next (run);
}

static void
async_send_next (AsyncSend *run)
{
  while (run->left > 0 && run->outstanding < 64)
    {
      run->left--;
      run->outstanding++;
      netring_injector_send_async (run->injector, run->frame, NULL, on_async_sent, run);
    }
  if (run->completed % 64 == 0 && netring_injector_flush (run->injector, &run->error) < 0)
    run->done = TRUE;
  if (run->left == 0 && run->outstanding == 0)
    run->done = TRUE;
}

/* Sends @count frames with the synchronous calls (send, send_bytes,
 * reserve/commit in turn), waiting for room on POLLOUT. */
static void
inject_sync (NetringInjector *injector, const guint8 *frame, GBytes *bytes, guint64 count)
{
  struct pollfd pfd = { netring_injector_get_fd (injector), POLLOUT, 0 };

  for (guint64 i = 0; i < count; i++)
    {
      for (;;)
        {
          g_autoptr(GError) error = NULL;
          gboolean ok;

          switch (i % 3)
            {
            case 0:
              ok = netring_injector_send (injector, frame, FRAME_SIZE, &error);
              break;
            case 1:
              ok = netring_injector_send_bytes (injector, bytes, &error);
              break;
            default:
              {
                guint8 *slot = netring_injector_reserve (injector, FRAME_SIZE, &error);

                ok = slot != NULL;
                if (ok)
                  {
                    memcpy (slot, frame, FRAME_SIZE);
                    ok = netring_injector_commit (injector, FRAME_SIZE, &error);
                  }
                break;
              }
            }
          if (ok)
            break;
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            die ("sending", error);
          g_clear_error (&error);
          if (netring_injector_flush (injector, &error) < 0)
            die ("netring_injector_flush", error);
          poll (&pfd, 1, 100);
        }
      if ((i + 1) % 64 == 0)
        {
          g_autoptr(GError) error = NULL;

          if (netring_injector_flush (injector, &error) < 0)
            die ("netring_injector_flush", error);
        }
    }
}

static void
memcheck_inject (const guint8 *frame)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new (frame, FRAME_SIZE);
  g_autoptr(GMainContext) context = g_main_context_new ();
  guint64 rx_before = bench_iface_stat (net.rx_if, "rx_packets");
  guint64 async_count = MIN ((guint64) opt.inject_count, 10000);
  AsyncSend run = { 0 };
  gint64 start = bench_now_ns ();
  guint64 arrived;

  injector = netring_injector_new (net.tx_if, &error);
  if (injector == NULL)
    die ("opening the injector", error);

  inject_sync (injector, frame, bytes, (guint64) opt.inject_count - async_count);

  /* the rest through send_async(), which waits for room itself */
  g_main_context_push_thread_default (context);
  run.injector = injector;
  run.frame = bytes;
  run.left = async_count;
  async_send_next (&run);
  while (!run.done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  if (run.error != NULL)
    die ("netring_injector_send_async", run.error);

  if (netring_injector_flush (injector, &error) < 0 ||
      !netring_injector_wait_drained (injector, 30000, NULL, &error))
    die ("draining the injector", error);
  stats = netring_injector_get_stats (injector);
  /* the veth hands frames over synchronously; the counter is read after
   * the last slot came back */
  arrived = bench_iface_stat (net.rx_if, "rx_packets") - rx_before;
  arrived &= 0xffffffffu;
  g_print ("inject: %" G_GINT64_FORMAT " frames sent (%" G_GUINT64_FORMAT
           " through send_async), %" G_GUINT64_FORMAT " arrived on %s, %.1f s\n",
           opt.inject_count, async_count, arrived, net.rx_if, (bench_now_ns () - start) / 1e9);
  if (!netring_injector_close (injector, &error))
    die ("netring_injector_close", error);
}

/* ---- XDP socket ----------------------------------------------------------------- */

static void
memcheck_xdp (BenchTxRing *gen, const guint8 *frame)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(NetringXdpStats) stats = NULL;
  CaptureCount c = { 0 };
  NetringSender *sender;
  BenchTxResult result;
  guint64 sent = 0, echoed = 0, rounds = 0;
  guint64 back_before = bench_iface_stat (net.tx_if, "rx_packets");
  gint64 start = bench_now_ns ();

  xsk = g_initable_new (NETRING_TYPE_XDP_SOCKET, NULL, &error, "interface", net.rx_if,
                        "queue-id", 0u, "frame-count", 4096u, "bind-mode",
                        NETRING_XDP_BIND_MODE_COPY, NULL);
  if (xsk == NULL)
    die ("opening the XDP socket", error);
  sender = NETRING_SENDER (xsk);

  while (c.captured < (guint64) opt.xdp_count)
    {
      guint64 n = MIN (1024, (guint64) opt.xdp_count - c.captured);

      c.target = c.captured + n;
      c.done = FALSE;
      if (!bench_tx_ring_send (gen, frame, FRAME_SIZE, n, &result, &error))
        die ("generator", error);
      sent += n;
      capture_round (NETRING_RECEIVER (xsk), &c, (guint) (rounds++ % 3));
      /* and some frames back out of the socket */
      for (guint i = 0; i < 64; i++)
        {
          if (!netring_sender_send (sender, frame, FRAME_SIZE, &error))
            {
              if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                die ("netring_sender_send", error);
              g_clear_error (&error);
              break;
            }
          echoed++;
        }
      if (netring_sender_flush (sender, &error) < 0)
        die ("netring_sender_flush", error);
    }
  if (!netring_sender_wait_drained (sender, 10000, NULL, &error))
    die ("netring_sender_wait_drained", error);
  stats = netring_xdp_socket_get_stats (xsk, &error);
  if (stats == NULL)
    die ("netring_xdp_socket_get_stats", error);
  g_print ("xdp: %" G_GUINT64_FORMAT " frames received of %" G_GUINT64_FORMAT
           " sent, %" G_GUINT64_FORMAT " sent back (%" G_GUINT64_FORMAT
           " arrived), mode %s, %.1f s\n",
           c.captured, sent, echoed,
           (bench_iface_stat (net.tx_if, "rx_packets") - back_before) & 0xffffffffu,
           netring_xdp_socket_get_active_attach_mode (xsk) == NETRING_XDP_ATTACH_MODE_NATIVE
             ? "native" : "generic",
           (bench_now_ns () - start) / 1e9);
  if (!netring_xdp_socket_close (xsk, &error))
    die ("netring_xdp_socket_close", error);
}

/* ---- bridge --------------------------------------------------------------------- */

typedef struct {
  NetringBridge *bridge;
  GCancellable *cancellable;
  GError *error;
  BenchLatch ready;
} BridgeRun;

static gpointer
bridge_thread (gpointer data)
{
  BridgeRun *run = data;

  bench_latch_set (&run->ready);
  if (!netring_bridge_run (run->bridge, run->cancellable, &run->error) &&
      g_error_matches (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_clear_error (&run->error);
  return NULL;
}

typedef struct {
  guint64 seen;
  guint64 target;
  gboolean done;
} Verdicts;

static NetringBridgeAction
count_verdict (NetringBridge *bridge, NetringBridgeDirection direction, guint8 *frame,
               gsize length, const NetringPacketInfo *packet, gpointer user_data)
{
  Verdicts *v = user_data;

  v->done = ++v->seen >= v->target;
  return NETRING_BRIDGE_ACTION_FORWARD;
}

/* Sends @count frames into the bridge and waits until they came out on
 * SINK_IF (or nothing moved for a second). Returns how many came out. */
static guint64
bridge_traffic (BenchTxRing *gen, const guint8 *frame, guint64 count)
{
  g_autoptr(GError) error = NULL;
  guint64 before = bench_iface_stat (SINK_IF, "rx_packets");
  guint64 out = 0, last = 0;
  gint64 last_change;
  BenchTxResult result;

  for (guint64 sent = 0; sent < count;)
    {
      guint64 n = MIN (1024, count - sent);

      if (!bench_tx_ring_send (gen, frame, FRAME_SIZE, n, &result, &error))
        die ("generator", error);
      sent += n;
      /* let the bridge keep up: at most two rounds ahead */
      last_change = bench_now_ns ();
      while ((out = (bench_iface_stat (SINK_IF, "rx_packets") - before) & 0xffffffffu) + 2048 <
               sent &&
             bench_now_ns () - last_change < G_GINT64_CONSTANT (1000000000))
        {
          if (out != last)
            last = out, last_change = bench_now_ns ();
          g_usleep (1000);
        }
    }
  last_change = bench_now_ns ();
  while ((out = (bench_iface_stat (SINK_IF, "rx_packets") - before) & 0xffffffffu) < count &&
         bench_now_ns () - last_change < G_GINT64_CONSTANT (1000000000))
    {
      if (out != last)
        last = out, last_change = bench_now_ns ();
      g_usleep (1000);
    }
  return out;
}

static void
memcheck_bridge (BenchTxRing *gen, const guint8 *frame)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  g_autofree gchar *text = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  BridgeRun run = { 0 };
  GThread *thread;
  guint64 out_run, out_started;
  Verdicts verdicts = { 0 };
  gint64 start = bench_now_ns ();

  bridge = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-a", net.rx_if,
                           "interface-b", OUT_IF, "direction", NETRING_BRIDGE_DIRECTIONS_A_TO_B,
                           NULL);
  if (bridge == NULL)
    die ("opening the bridge", error);

  /* half the frames through run() in a thread, without a verdict */
  run.bridge = bridge;
  run.cancellable = g_cancellable_new ();
  bench_latch_init (&run.ready);
  thread = g_thread_new ("soak-bridge", bridge_thread, &run);
  bench_latch_wait (&run.ready);
  out_run = bridge_traffic (gen, frame, (guint64) opt.bridge_count / 2);
  g_cancellable_cancel (run.cancellable);
  g_thread_join (thread);
  if (run.error != NULL)
    die ("netring_bridge_run", run.error);
  g_object_unref (run.cancellable);
  bench_latch_clear (&run.ready);

  /* the other half with start() in this thread's context and a verdict; the
   * generator runs in this thread too, so iterate between its rounds */
  netring_bridge_set_verdict_func (bridge, count_verdict, &verdicts, NULL);
  g_main_context_push_thread_default (context);
  if (!netring_bridge_start (bridge, &error))
    die ("netring_bridge_start", error);
  {
    guint64 before = bench_iface_stat (SINK_IF, "rx_packets");
    guint64 half = (guint64) opt.bridge_count - (guint64) opt.bridge_count / 2;
    BenchTxResult result;

    for (guint64 sent = 0; sent < half;)
      {
        guint64 n = MIN (256, half - sent);

        if (!bench_tx_ring_send (gen, frame, FRAME_SIZE, n, &result, &error))
          die ("generator", error);
        sent += n;
        verdicts.target = sent;
        verdicts.done = verdicts.seen >= sent;
        iterate_while_progress (context, &verdicts.done, &verdicts.seen, 1000);
      }
    out_started = (bench_iface_stat (SINK_IF, "rx_packets") - before) & 0xffffffffu;
  }
  netring_bridge_stop (bridge);
  g_main_context_pop_thread_default (context);

  stats = netring_bridge_get_stats (bridge, &error);
  if (stats == NULL)
    die ("netring_bridge_get_stats", error);
  text = netring_bridge_stats_to_string (stats);
  g_print ("bridge: run() forwarded %" G_GUINT64_FORMAT " of %" G_GINT64_FORMAT
           ", start() with a verdict %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
           " verdicts), %.1f s\n  %s\n",
           out_run, opt.bridge_count / 2, out_started, verdicts.seen,
           (bench_now_ns () - start) / 1e9, text);
  if (!netring_bridge_close (bridge, &error))
    die ("netring_bridge_close", error);
}

static int
run_memcheck (void)
{
  g_autoptr(GError) error = NULL;
  guint8 frame[FRAME_SIZE];
  BenchTxRing gen;
  gint64 start = bench_now_ns ();

  if (!bench_tx_ring_open (&gen, net.tx_ifindex, 2048, 4096, TRUE, &error))
    die ("generator ring", error);

  bench_frame_build (frame, sizeof frame, net.rx_mac, net.tx_mac);
  if (opt.capture_count > 0)
    memcheck_capture (&gen, frame);
  if (opt.inject_count > 0)
    memcheck_inject (frame);
  if (opt.xdp_count > 0)
    memcheck_xdp (&gen, frame);
  if (opt.bridge_count > 0)
    memcheck_bridge (&gen, frame);
  bench_tx_ring_close (&gen);
  g_print ("memcheck: done in %.1f s\n", (bench_now_ns () - start) / 1e9);
  return 0;
}

/* ---- flat: capture + inject + bridge for minutes -------------------------------------- */

typedef struct {
  GCancellable *cancellable;
  gint stop;             /* atomic: the injector stops (and the sampler on an error) */
  gint stop_capture;     /* atomic */
  guint64 injected;      /* atomic reads by the sampler */
  guint64 captured;
  guint filter_swaps;
  gchar *error;          /* the first thread's error, under error_lock */
  GMutex error_lock;
  BenchLatch injector_ready;
  BenchLatch capture_ready;
} Flat;

static void
flat_fail (Flat *flat, const char *what, const GError *error)
{
  g_mutex_lock (&flat->error_lock);
  if (flat->error == NULL)
    flat->error = g_strdup_printf ("%s: %s", what, error != NULL ? error->message : "failed");
  g_mutex_unlock (&flat->error_lock);
  g_atomic_int_set (&flat->stop, 1);
  g_atomic_int_set (&flat->stop_capture, 1);
  g_cancellable_cancel (flat->cancellable);
}

/* The injector sends frames addressed to bcnt0 into bgen0 as fast as its
 * ring takes them. */
static gpointer
flat_injector_thread (gpointer data)
{
  Flat *flat = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringInjector) injector = netring_injector_new (net.tx_if, &error);
  guint8 frame[FRAME_SIZE];
  struct pollfd pfd;
  guint64 n = 0;

  bench_latch_set (&flat->injector_ready);
  if (injector == NULL)
    {
      flat_fail (flat, "opening the injector", error);
      return NULL;
    }
  bench_frame_build (frame, sizeof frame, sink_mac, net.tx_mac);
  pfd.fd = netring_injector_get_fd (injector);
  pfd.events = POLLOUT;
  while (!g_atomic_int_get (&flat->stop))
    {
      if (!netring_injector_send (injector, frame, sizeof frame, &error))
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              flat_fail (flat, "netring_injector_send", error);
              return NULL;
            }
          g_clear_error (&error);
          if (netring_injector_flush (injector, &error) < 0)
            {
              flat_fail (flat, "netring_injector_flush", error);
              return NULL;
            }
          poll (&pfd, 1, 100);
          continue;
        }
      if (++n % 64 == 0)
        {
          if (netring_injector_flush (injector, &error) < 0)
            {
              flat_fail (flat, "netring_injector_flush", error);
              return NULL;
            }
          __atomic_store_n (&flat->injected, n, __ATOMIC_RELAXED);
        }
    }
  netring_injector_flush (injector, NULL);
  netring_injector_wait_drained (injector, 5000, NULL, NULL);
  {
    g_autoptr(NetringInjectorStats) stats = netring_injector_get_stats (injector);
    g_autofree gchar *text = netring_injector_stats_to_string (stats);

    g_print ("flat: injector: %s\n", text);
  }
  return NULL;
}

static gpointer
flat_bridge_thread (gpointer data)
{
  Flat *flat = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBridge) bridge = NULL;

  bridge = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-a", net.rx_if,
                           "interface-b", OUT_IF, "direction", NETRING_BRIDGE_DIRECTIONS_A_TO_B,
                           NULL);
  if (bridge == NULL)
    {
      flat_fail (flat, "opening the bridge", error);
      return NULL;
    }
  if (!netring_bridge_run (bridge, flat->cancellable, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    flat_fail (flat, "netring_bridge_run", error);
  {
    g_autoptr(NetringBridgeStats) stats = netring_bridge_get_stats (bridge, NULL);
    g_autofree gchar *text = stats != NULL ? netring_bridge_stats_to_string (stats) : NULL;

    g_print ("flat: bridge: %s\n", text);
  }
  return NULL;
}

/* The capture on bcnt0 counts what came through the bridge, with the
 * ::batch signal in its own main context, and swaps its filter every 30
 * seconds. */
static gpointer
flat_capture_thread (gpointer data)
{
  Flat *flat = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(GSource) tick = NULL;
  CaptureCount c = { .target = G_MAXUINT64 };
  gint64 next_swap = bench_now_ns () + 30 * G_GINT64_CONSTANT (1000000000);

  g_main_context_push_thread_default (context);
  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", SINK_IF, NULL);
  if (capture == NULL)
    {
      bench_latch_set (&flat->capture_ready);
      flat_fail (flat, "opening the capture", error);
      g_main_context_pop_thread_default (context);
      return NULL;
    }
  g_signal_connect (capture, "batch", G_CALLBACK (on_capture_batch), &c);
  if (!netring_receiver_start (NETRING_RECEIVER (capture), &error))
    {
      bench_latch_set (&flat->capture_ready);
      flat_fail (flat, "netring_receiver_start", error);
      g_main_context_pop_thread_default (context);
      return NULL;
    }
  bench_latch_set (&flat->capture_ready);
  tick = g_timeout_source_new (100);
  g_source_set_callback (tick, tick_cb, NULL, NULL);
  g_source_attach (tick, context);
  while (!g_atomic_int_get (&flat->stop_capture))
    {
      g_main_context_iteration (context, TRUE);
      __atomic_store_n (&flat->captured, c.captured, __ATOMIC_RELAXED);
      if (bench_now_ns () >= next_swap)
        {
          swap_filter (capture, flat->filter_swaps++);
          next_swap += 30 * G_GINT64_CONSTANT (1000000000);
        }
    }
  g_source_destroy (tick);
  netring_receiver_stop (NETRING_RECEIVER (capture));
  {
    g_autoptr(NetringReceiverStats) stats =
      netring_receiver_get_stats (NETRING_RECEIVER (capture), NULL);
    g_autofree gchar *text = stats != NULL ? netring_receiver_stats_to_string (stats) : NULL;

    g_print ("flat: capture: %s\n", text);
  }
  g_main_context_pop_thread_default (context);
  return NULL;
}

static guint64
read_rss_kib (void)
{
  g_autofree gchar *text = NULL;
  const char *line;
  guint64 kib = 0;

  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return 0;
  line = strstr (text, "\nVmRSS:");
  if (line != NULL)
    kib = g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
  return kib;
}

static guint
count_fds (void)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *entry;
  guint n = 0;

  if (dir == NULL)
    return 0;
  while ((entry = readdir (dir)) != NULL)
    if (entry->d_name[0] != '.')
      n++;
  closedir (dir);
  /* not the directory's own fd */
  return n - 1;
}

/* Waits until nothing more arrives on @ifname for a second (a bridge that
 * fell behind empties its receive ring first), 120 s at most. */
static void
wait_link_quiet (const char *ifname)
{
  guint64 last = bench_iface_stat (ifname, "rx_packets");
  gint64 quiet_since = bench_now_ns ();
  gint64 give_up = quiet_since + 120 * G_GINT64_CONSTANT (1000000000);

  while (bench_now_ns () - quiet_since < G_GINT64_CONSTANT (1000000000) &&
         bench_now_ns () < give_up)
    {
      guint64 now;

      g_usleep (100000);
      now = bench_iface_stat (ifname, "rx_packets");
      if (now != last)
        {
          last = now;
          quiet_since = bench_now_ns ();
        }
    }
}

static int
run_flat (void)
{
  Flat flat = { 0 };
  GThread *injector, *bridge, *capture;
  g_autoptr(GArray) rss = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) when = g_array_new (FALSE, FALSE, sizeof (double));
  guint64 baseline_rss = 0, max_rss = 0, last_injected = 0, last_captured = 0;
  guint baseline_fds = 0, min_fds = G_MAXUINT, max_fds = 0;
  gint64 start, next;
  gboolean failed = FALSE;
  double sx = 0, sy = 0, sxx = 0, sxy = 0, slope;
  guint n = 0;

  flat.cancellable = g_cancellable_new ();
  g_mutex_init (&flat.error_lock);
  bench_latch_init (&flat.injector_ready);
  bench_latch_init (&flat.capture_ready);

  /* the sink first, then the bridge, then the source */
  capture = g_thread_new ("soak-capture", flat_capture_thread, &flat);
  bench_latch_wait (&flat.capture_ready);
  bridge = g_thread_new ("soak-bridge", flat_bridge_thread, &flat);
  g_usleep (200000);
  injector = g_thread_new ("soak-injector", flat_injector_thread, &flat);
  bench_latch_wait (&flat.injector_ready);

  g_print ("flat: %d s, a sample every %d s, warm-up %d s, RSS slack %d KiB\n", opt.seconds,
           opt.interval, opt.warmup, opt.rss_slack_kib);
  g_print ("%8s %10s %5s %12s %12s\n", "time/s", "RSS/KiB", "fds", "injected/s", "captured/s");
  start = bench_now_ns ();
  next = start;
  while (!g_atomic_int_get (&flat.stop))
    {
      double t = (bench_now_ns () - start) / 1e9;
      guint64 r = read_rss_kib ();
      guint f = count_fds ();
      guint64 injected = __atomic_load_n (&flat.injected, __ATOMIC_RELAXED);
      guint64 captured = __atomic_load_n (&flat.captured, __ATOMIC_RELAXED);

      g_print ("%8.0f %10" G_GUINT64_FORMAT " %5u %12.0f %12.0f\n", t, r, f,
               t > 0 ? (injected - last_injected) / (double) opt.interval : 0.0,
               t > 0 ? (captured - last_captured) / (double) opt.interval : 0.0);
      last_injected = injected;
      last_captured = captured;
      g_array_append_val (rss, r);
      g_array_append_val (fds, f);
      g_array_append_val (when, t);

      if (t >= opt.warmup)
        {
          if (baseline_fds == 0)
            baseline_fds = f;
          min_fds = MIN (min_fds, f);
          max_fds = MAX (max_fds, f);
          if (t < opt.warmup + 60)
            baseline_rss = MAX (baseline_rss, r);
          max_rss = MAX (max_rss, r);
          sx += t, sy += (double) r, sxx += t * t, sxy += t * (double) r, n++;
        }
      if (t >= opt.seconds)
        break;
      next += (gint64) opt.interval * 1000000000;
      while (bench_now_ns () < next && !g_atomic_int_get (&flat.stop))
        g_usleep (100000);
    }
  /* stop from the source on, each stage after the one before it had a
   * moment (pacing only) to pass on what it had, so that the counts below
   * add up */
  g_atomic_int_set (&flat.stop, 1);
  g_thread_join (injector);
  wait_link_quiet (SINK_IF);
  g_cancellable_cancel (flat.cancellable);
  g_thread_join (bridge);
  g_usleep (G_USEC_PER_SEC / 2);
  g_atomic_int_set (&flat.stop_capture, 1);
  g_thread_join (capture);

  if (flat.error != NULL)
    {
      g_printerr ("flat: %s\n", flat.error);
      return 1;
    }
  /* where the frames between the injector and the capture went: the veth
   * hands a frame to the peer's backlog, which drops when it is full */
  g_print ("flat: links: %s tx_dropped %" G_GUINT64_FORMAT ", %s rx_dropped %" G_GUINT64_FORMAT
           ", %s tx_dropped %" G_GUINT64_FORMAT ", %s rx_dropped %" G_GUINT64_FORMAT
           " (32-bit counters)\n",
           net.tx_if, bench_iface_stat (net.tx_if, "tx_dropped"), net.rx_if,
           bench_iface_stat (net.rx_if, "rx_dropped"), OUT_IF, bench_iface_stat (OUT_IF, "tx_dropped"),
           SINK_IF, bench_iface_stat (SINK_IF, "rx_dropped"));
  slope = n > 1 ? (n * sxy - sx * sy) / (n * sxx - sx * sx) * 60.0 : 0.0;
  g_print ("flat: %" G_GUINT64_FORMAT " frames injected, %" G_GUINT64_FORMAT
           " captured behind the bridge, %u filter swaps\n",
           (guint64) __atomic_load_n (&flat.injected, __ATOMIC_RELAXED),
           (guint64) __atomic_load_n (&flat.captured, __ATOMIC_RELAXED), flat.filter_swaps);
  g_print ("flat: after the warm-up: fds %u..%u (first %u); RSS first minute max %" G_GUINT64_FORMAT
           " KiB, overall max %" G_GUINT64_FORMAT " KiB (+%" G_GINT64_FORMAT
           " KiB), trend %.1f KiB/min over %u samples\n",
           min_fds, max_fds, baseline_fds, baseline_rss, max_rss,
           (gint64) max_rss - (gint64) baseline_rss, slope, n);
  if (n == 0)
    {
      g_printerr ("flat: no samples after the warm-up\n");
      failed = TRUE;
    }
  if (min_fds != max_fds)
    {
      g_printerr ("flat: FAIL: the fd count changed after the warm-up\n");
      failed = TRUE;
    }
  if (max_rss > baseline_rss + (guint64) opt.rss_slack_kib)
    {
      g_printerr ("flat: FAIL: RSS grew by more than %d KiB after the warm-up\n",
                  opt.rss_slack_kib);
      failed = TRUE;
    }
  if (!failed)
    g_print ("flat: PASS (flat in RSS and fd count)\n");
  g_object_unref (flat.cancellable);
  g_free (flat.error);
  g_mutex_clear (&flat.error_lock);
  bench_latch_clear (&flat.injector_ready);
  bench_latch_clear (&flat.capture_ready);
  return failed ? 1 : 0;
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "capture-count", 0, 0, G_OPTION_ARG_INT64, &opt.capture_count,
      "memcheck: frames to capture (1000000)", "N" },
    { "inject-count", 0, 0, G_OPTION_ARG_INT64, &opt.inject_count,
      "memcheck: frames to inject (1000000)", "N" },
    { "xdp-count", 0, 0, G_OPTION_ARG_INT64, &opt.xdp_count,
      "memcheck: frames through the XDP socket (100000)", "N" },
    { "bridge-count", 0, 0, G_OPTION_ARG_INT64, &opt.bridge_count,
      "memcheck: frames through the bridge (100000)", "N" },
    { "filter-swaps", 0, 0, G_OPTION_ARG_INT, &opt.filter_swaps,
      "memcheck: capture filter swaps while capturing (30)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &opt.seconds, "flat: duration (600)", "S" },
    { "interval", 0, 0, G_OPTION_ARG_INT, &opt.interval, "flat: seconds between samples (5)",
      "S" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &opt.warmup, "flat: warm-up not judged (60)", "S" },
    { "rss-slack-kib", 0, 0, G_OPTION_ARG_INT, &opt.rss_slack_kib,
      "flat: RSS growth tolerated after the first minute past the warm-up (1024)", "KIB" },
    G_OPTION_ENTRY_NULL
  };
  int status;

  setlocale (LC_ALL, "");
  octx = g_option_context_new ("memcheck|flat - leak and growth soak (see bench/README.md)");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error) || argc != 2 ||
      (strcmp (argv[1], "memcheck") != 0 && strcmp (argv[1], "flat") != 0))
    {
      g_printerr ("usage: soak [OPTION…] memcheck|flat%s%s\n", error != NULL ? ": " : "",
                  error != NULL ? error->message : "");
      return 2;
    }

  bench_net_setup (&net);
  bench_net_add_pair (OUT_IF, SINK_IF);
  bench_iface_mac (SINK_IF, sink_mac);

  if (strcmp (argv[1], "memcheck") == 0)
    status = run_memcheck ();
  else
    status = run_flat ();
  return status;
}
