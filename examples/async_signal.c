/* async_signal.c: capture until Ctrl-C (or SIGTERM), then print the totals.
 *
 * SIGINT is turned into a main-loop event with g_unix_signal_source_new(),
 * attached to the thread-default context (g_unix_signal_add() would use the
 * global default context, wrong as soon as this code runs in a thread with
 * its own context). Its callback cancels a GCancellable; the capture source
 * was created with that cancellable, so its callback runs one last time with
 * G_IO_ERROR_CANCELLED and we quit. No packet is half-processed: callbacks
 * never run concurrently with each other in one context.
 *
 * Before printing the totals it takes what is still in the ring: blocks the
 * kernel retires after the signal (the block timeout) are read with
 * netring_receiver_next_batch_timeout() until nothing comes for 500 ms, so
 * every packet that reached the ring before the signal is counted.
 *
 *   sudo ./example-async_signal eth0 [SECONDS]    (then press Ctrl-C)
 *
 * Prints "listening on IFACE", then "done: N packets, B bytes; <stats>".
 */
#include <netring/netring.h>

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  GMainLoop *loop;
  guint64 packets;
  guint64 bytes;
  GError *error;
} Context;

static gboolean
on_sigint (gpointer user_data)
{
  GCancellable *cancellable = user_data;

  g_printerr ("interrupted, shutting down\n");
  g_cancellable_cancel (cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
on_deadline (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

static void
count_batch (Context *ctx, NetringBatch *batch)
{
  NetringBatchIter iter;
  NetringPacketInfo info;

  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    {
      ctx->packets++;
      ctx->bytes += info.wire_length;
    }
}

static gboolean
on_batch (NetringReceiver *receiver G_GNUC_UNUSED,
          NetringBatch    *batch,
          const GError    *error,
          gpointer         user_data)
{
  Context *ctx = user_data;

  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ctx->error = g_error_copy (error);
      g_main_loop_quit (ctx->loop);
      return G_SOURCE_REMOVE;
    }

  count_batch (ctx, batch);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainContext) main_context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GSource) sigint = NULL;
  g_autoptr(GSource) sigterm = NULL;
  g_autoptr(GSource) deadline = NULL;
  g_autoptr(GSource) source = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autofree gchar *text = NULL;
  Context ctx = { 0 };

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr ("usage: %s INTERFACE [SECONDS]\n", argv[0]);
      return EXIT_FAILURE;
    }

  /* Run on a context of our own, pushed as thread-default: everything below
   * attaches to g_main_context_get_thread_default(), so the same code works
   * unchanged in a worker thread. */
  g_main_context_push_thread_default (main_context);

  capture = netring_capture_new (argv[1], &error);
  if (capture == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      g_main_context_pop_thread_default (main_context);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (main_context, FALSE);
  ctx.loop = loop;

  sigint = g_unix_signal_source_new (SIGINT);
  g_source_set_callback (sigint, on_sigint, cancellable, NULL);
  g_source_attach (sigint, g_main_context_get_thread_default ());
  sigterm = g_unix_signal_source_new (SIGTERM);
  g_source_set_callback (sigterm, on_sigint, cancellable, NULL);
  g_source_attach (sigterm, g_main_context_get_thread_default ());
  if (argc > 2)
    {
      /* a time limit ends the run the same way a signal does */
      deadline = g_timeout_source_new_seconds ((guint) g_ascii_strtoull (argv[2], NULL, 10));
      g_source_set_callback (deadline, on_deadline, cancellable, NULL);
      g_source_attach (deadline, g_main_context_get_thread_default ());
    }

  source = netring_receiver_create_source (NETRING_RECEIVER (capture), cancellable);
  g_source_set_callback (source, G_SOURCE_FUNC (on_batch), &ctx, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());

  g_print ("listening on %s, press Ctrl-C to stop\n", argv[1]);
  fflush (stdout);
  g_main_loop_run (loop);

  g_source_destroy (source);
  g_source_destroy (sigint);
  g_source_destroy (sigterm);
  if (deadline != NULL)
    g_source_destroy (deadline);

  /* what reached the ring before we stopped */
  while (ctx.error == NULL)
    {
      g_autoptr(GError) drain_error = NULL;
      NetringBatch *batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 500,
                                                                 NULL, &drain_error);
      if (batch == NULL)
        {
          if (!g_error_matches (drain_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            ctx.error = g_steal_pointer (&drain_error);
          break;
        }
      count_batch (&ctx, batch);
      netring_batch_unref (batch);
    }

  /* Totals since the capture was created (reading them changes nothing) */
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  if (stats != NULL)
    {
      text = netring_receiver_stats_to_string (stats);
      g_print ("done: %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT " bytes; %s\n",
               ctx.packets, ctx.bytes, text);
    }
  else
    g_printerr ("cannot read statistics: %s\n", error->message);

  g_main_context_pop_thread_default (main_context);
  if (ctx.error != NULL)
    {
      g_printerr ("capture failed: %s\n", ctx.error->message);
      g_clear_error (&ctx.error);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
