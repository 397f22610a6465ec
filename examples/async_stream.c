/* async_stream.c: a stream of batches, one netring_receiver_next_batch_async() at a time.
 *
 * The seed's PacketStream polled in a loop with a deadline, in GLib terms:
 * each completion asks for the next batch, so exactly one call is in flight.
 * The deadline cancels a GCancellable; the pending call then completes with
 * G_IO_ERROR_CANCELLED and leaves the ring untouched (cancel-safety: a next
 * call would simply continue where this one stopped).
 *
 *   sudo ./example-async_stream eth0 [COUNT [SECONDS]]
 *
 * Prints "listening on IFACE", then "received N packets in B batches".
 */
#include <netring/netring.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  GMainLoop *loop;
  GCancellable *cancellable;
  guint64 wanted;
  guint64 packets;
  guint64 batches;
  gboolean timed_out;
  GError *error;
} Context;

static void on_batch (GObject *object, GAsyncResult *result, gpointer user_data);

static void
next (NetringReceiver *receiver, Context *ctx)
{
  netring_receiver_next_batch_async (receiver, ctx->cancellable, on_batch, ctx);
}

static void
on_batch (GObject *object, GAsyncResult *result, gpointer user_data)
{
  NetringReceiver *receiver = NETRING_RECEIVER (object);
  Context *ctx = user_data;
  g_autoptr(GError) error = NULL;
  NetringBatch *batch;
  NetringBatchIter iter;
  NetringPacketInfo info;

  batch = netring_receiver_next_batch_finish (receiver, result, &error);
  if (batch == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ctx->timed_out = TRUE;
      else
        ctx->error = g_steal_pointer (&error);
      g_main_loop_quit (ctx->loop);
      return;
    }

  ctx->batches++;
  netring_batch_iter_init (&iter, batch);
  while (ctx->packets < ctx->wanted && netring_batch_iter_next (&iter, &info))
    ctx->packets++;
  /* the block goes back to the kernel here, before we ask for the next one */
  netring_batch_unref (batch);

  if (ctx->packets == ctx->wanted)
    g_main_loop_quit (ctx->loop);
  else
    next (receiver, ctx);
}

static gboolean
on_deadline (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSource) deadline = NULL;
  Context ctx = { 0 };
  guint seconds;

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr ("usage: %s INTERFACE [COUNT [SECONDS]]\n", argv[0]);
      return EXIT_FAILURE;
    }
  ctx.wanted = argc > 2 ? g_ascii_strtoull (argv[2], NULL, 10) : 50;
  seconds = argc > 3 ? (guint) g_ascii_strtoull (argv[3], NULL, 10) : 60;

  capture = netring_capture_new (argv[1], &error);
  if (capture == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  ctx.loop = loop;
  ctx.cancellable = cancellable;
  deadline = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (deadline, on_deadline, cancellable, NULL);
  g_source_attach (deadline, NULL);

  g_print ("listening on %s\n", argv[1]);
  fflush (stdout);
  if (ctx.wanted > 0)
    {
      next (NETRING_RECEIVER (capture), &ctx);
      g_main_loop_run (loop);
    }
  g_source_destroy (deadline);

  g_print ("received %" G_GUINT64_FORMAT " packets in %" G_GUINT64_FORMAT " batches%s\n",
           ctx.packets, ctx.batches, ctx.timed_out ? " (time limit reached)" : "");
  if (ctx.error != NULL)
    {
      g_printerr ("capture failed: %s\n", ctx.error->message);
      g_clear_error (&ctx.error);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
