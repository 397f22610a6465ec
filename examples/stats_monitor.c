/* stats_monitor.c: packets per second and kernel drops, once a second.
 *
 * A 1 s g_timeout_source_new() attached to the thread-default context reads
 * netring_receiver_get_stats() and prints what changed since the previous
 * reading (netring_receiver_stats_subtract()). The
 * capture itself runs through netring_receiver_start() + ::batch; batches
 * are released as soon as the handler returns, so the ring never fills
 * because of us.
 *
 * Ctrl-C (or SECONDS) stops it, and it prints the totals since it started.
 *
 *   sudo ./example-stats_monitor eth0 [SECONDS]    (then press Ctrl-C)
 *
 * Prints "listening on IFACE", a line a second, then
 * "total: N packets seen by us; kernel: P packets, D drops, F freezes".
 */
#include <netring/netring.h>

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  GMainLoop *loop;
  NetringCapture *capture;
  NetringReceiverStats *last;
  guint64 user_packets;
  guint64 user_total;
  guint ticks;
} Context;

static void
on_batch (NetringReceiver *receiver G_GNUC_UNUSED, NetringBatch *batch, gpointer user_data)
{
  Context *ctx = user_data;

  ctx->user_packets += netring_batch_get_n_packets (batch);
  ctx->user_total += netring_batch_get_n_packets (batch);
}

static gboolean
on_stop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer user_data)
{
  Context *ctx = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(NetringReceiverStats) delta = NULL;

  stats = netring_receiver_get_stats (NETRING_RECEIVER (ctx->capture), &error);
  if (stats == NULL)
    {
      g_printerr ("cannot read statistics: %s\n", error->message);
      g_main_loop_quit (ctx->loop);
      return G_SOURCE_REMOVE;
    }
  delta = netring_receiver_stats_subtract (stats, ctx->last);
  netring_receiver_stats_free (ctx->last);
  ctx->last = g_steal_pointer (&stats);
  g_print ("%3u s: %" G_GUINT64_FORMAT " pkt/s seen by us, kernel: %" G_GUINT64_FORMAT
           " packets, %" G_GUINT64_FORMAT " drops, %" G_GUINT64_FORMAT " freezes\n",
           ++ctx->ticks, ctx->user_packets, delta->packets, delta->drops, delta->freezes);
  ctx->user_packets = 0;
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GSource) tick = NULL;
  g_autoptr(GSource) sigint = NULL;
  g_autoptr(GSource) deadline = NULL;
  g_autoptr(NetringReceiverStats) total = NULL;
  Context ctx = { 0 };

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr ("usage: %s INTERFACE [SECONDS]\n", argv[0]);
      return EXIT_FAILURE;
    }

  capture = netring_capture_new (argv[1], &error);
  if (capture == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  ctx.loop = loop;
  ctx.capture = capture;
  ctx.last = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  if (ctx.last == NULL)
    {
      g_printerr ("cannot read statistics: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_signal_connect (capture, "batch", G_CALLBACK (on_batch), &ctx);
  if (!netring_receiver_start (NETRING_RECEIVER (capture), &error))
    {
      g_printerr ("cannot start: %s\n", error->message);
      return EXIT_FAILURE;
    }

  tick = g_timeout_source_new (1000);
  g_source_set_callback (tick, on_tick, &ctx, NULL);
  g_source_attach (tick, g_main_context_get_thread_default ());
  sigint = g_unix_signal_source_new (SIGINT);
  g_source_set_callback (sigint, on_stop, loop, NULL);
  g_source_attach (sigint, g_main_context_get_thread_default ());
  if (argc > 2)
    {
      deadline = g_timeout_source_new_seconds ((guint) g_ascii_strtoull (argv[2], NULL, 10));
      g_source_set_callback (deadline, on_stop, loop, NULL);
      g_source_attach (deadline, g_main_context_get_thread_default ());
    }

  g_print ("listening on %s\n", argv[1]);
  fflush (stdout);
  g_main_loop_run (loop);
  g_source_destroy (tick);
  g_source_destroy (sigint);
  if (deadline != NULL)
    g_source_destroy (deadline);
  netring_receiver_stop (NETRING_RECEIVER (capture));
  netring_receiver_stats_free (ctx.last);

  /* cumulative: what the kernel counted since the socket was opened */
  total = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  if (total == NULL)
    {
      g_printerr ("cannot read statistics: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_print ("total: %" G_GUINT64_FORMAT " packets seen by us; kernel: %" G_GUINT64_FORMAT
           " packets, %" G_GUINT64_FORMAT " drops, %" G_GUINT64_FORMAT " freezes\n",
           ctx.user_total, total->packets, total->drops, total->freezes);
  return EXIT_SUCCESS;
}
