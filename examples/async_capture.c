/* async_capture.c: receive COUNT packets through a GSource, the recommended way.
 *
 * The seed's "readable() + next_batch()" in GLib terms: a receive source from
 * netring_receiver_create_source() dispatches a NetringBatchFunc for every
 * ready ring block. It polls the socket only when the next block is not
 * ready yet, so a busy ring costs no system calls. The batch is borrowed for
 * the call: the block goes back to the kernel when the callback returns. A
 * timeout source on the same context bounds the run.
 *
 *   sudo ./example-async_capture eth0 [COUNT [SECONDS]]
 *
 * Prints "listening on IFACE" once the ring is set up, then
 * "received N packets in B batches" (N = COUNT unless SECONDS passed first).
 */
#include <netring/netring.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  GMainLoop *loop;
  guint64 wanted;
  guint64 packets;
  guint64 batches;
  gboolean timed_out;
  GError *error;
} Context;

static gboolean
on_batch (NetringReceiver *receiver G_GNUC_UNUSED,
          NetringBatch    *batch,
          const GError    *error,
          gpointer         user_data)
{
  Context *ctx = user_data;
  NetringBatchIter iter;
  NetringPacketInfo info;

  if (error != NULL)
    {
      ctx->error = g_error_copy (error);
      g_main_loop_quit (ctx->loop);
      return G_SOURCE_REMOVE;
    }

  ctx->batches++;
  netring_batch_iter_init (&iter, batch);
  while (ctx->packets < ctx->wanted && netring_batch_iter_next (&iter, &info))
    ctx->packets++;

  if (ctx->packets == ctx->wanted)
    {
      g_main_loop_quit (ctx->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_deadline (gpointer user_data)
{
  Context *ctx = user_data;

  ctx->timed_out = TRUE;
  g_main_loop_quit (ctx->loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GSource) source = NULL;
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

  source = netring_receiver_create_source (NETRING_RECEIVER (capture), NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (on_batch), &ctx, NULL);
  g_source_attach (source, NULL);
  deadline = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (deadline, on_deadline, &ctx, NULL);
  g_source_attach (deadline, NULL);

  g_print ("listening on %s\n", argv[1]);
  fflush (stdout);
  g_main_loop_run (loop);
  g_source_destroy (source);
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
