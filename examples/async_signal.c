/* async_signal.c: capture until Ctrl-C, then print the totals.
 *
 * SIGINT is turned into a main-loop event with g_unix_signal_source_new(),
 * attached to the thread-default context (g_unix_signal_add() would use the
 * global default context, wrong as soon as this code runs in a thread with
 * its own context). Its callback cancels a GCancellable; the capture source
 * was created with that cancellable, so its callback runs one last time with
 * G_IO_ERROR_CANCELLED and we quit. No packet is half-processed: callbacks
 * never run concurrently with each other in one context.
 *
 *   sudo ./example-async_signal eth0     (then press Ctrl-C)
 */
#include <netring/netring.h>

#include <glib-unix.h>
#include <signal.h>
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

  g_print ("\ninterrupted, shutting down\n");
  g_cancellable_cancel (cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
on_batch (NetringReceiver *receiver,
          NetringBatch    *batch,
          const GError    *error,
          gpointer         user_data)
{
  Context *ctx = user_data;
  NetringBatchIter iter;
  NetringPacketInfo info;

  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ctx->error = g_error_copy (error);
      g_main_loop_quit (ctx->loop);
      return G_SOURCE_REMOVE;
    }

  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    {
      ctx->packets++;
      ctx->bytes += info.wire_length;
    }
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
  g_autoptr(GSource) source = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autofree gchar *text = NULL;
  Context ctx = { 0 };

  if (argc < 2)
    {
      g_printerr ("usage: %s INTERFACE\n", argv[0]);
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

  source = netring_receiver_create_source (NETRING_RECEIVER (capture), cancellable);
  g_source_set_callback (source, G_SOURCE_FUNC (on_batch), &ctx, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());

  g_print ("capturing on %s, press Ctrl-C to stop\n", argv[1]);
  g_main_loop_run (loop);

  g_source_destroy (source);
  g_source_destroy (sigint);

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
