/* async_xdp.c: receive COUNT packets through an AF_XDP socket in a main loop.
 *
 * The seed's AsyncXdpSocket in GLib terms: a NetringXdpSocket is a
 * NetringReceiver like a capture, so the same receive source dispatches a
 * NetringBatchFunc for every batch of frames the RX ring holds; the frames
 * go back to the fill ring when the callback returns. The socket loads its
 * own redirect program (native XDP when the driver has it, as veth does,
 * else generic) and reports what it got. Only the frames of queue 0 reach
 * it. A timeout source bounds the run.
 *
 *   sudo ./example-async_xdp eth0 [COUNT [SECONDS]]
 *
 * Prints "listening on IFACE queue 0 (ATTACH XDP, COPY-MODE)", then
 * "received N packets in B batches; XDP: R received, F dropped (ring full)".
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
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autoptr(NetringXdpStats) stats = NULL;
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

  /* receive only, with every one of the 1024 frames of the UMEM in the fill
   * ring: a burst waits there while the loop is busy */
  xsk = g_initable_new (NETRING_TYPE_XDP_SOCKET, NULL, &error,
                        "interface", argv[1],
                        "queue-id", 0,
                        "mode", NETRING_XDP_MODE_RX,
                        "frame-count", 1024,
                        NULL);
  if (xsk == NULL)
    {
      g_printerr ("cannot open an AF_XDP socket on %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  ctx.loop = loop;

  source = netring_receiver_create_source (NETRING_RECEIVER (xsk), NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (on_batch), &ctx, NULL);
  g_source_attach (source, NULL);
  deadline = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (deadline, on_deadline, &ctx, NULL);
  g_source_attach (deadline, NULL);

  g_print ("listening on %s queue %u (%s XDP, %s)\n", argv[1],
           netring_xdp_socket_get_queue_id (xsk),
           netring_xdp_socket_get_active_attach_mode (xsk) == NETRING_XDP_ATTACH_MODE_NATIVE
             ? "native" : "generic",
           netring_xdp_socket_get_zero_copy (xsk) ? "zero-copy" : "copy mode");
  fflush (stdout);
  if (ctx.wanted > 0)
    g_main_loop_run (loop);
  g_source_destroy (source);
  g_source_destroy (deadline);

  stats = netring_xdp_socket_get_stats (xsk, &error);
  if (stats == NULL)
    {
      g_printerr ("cannot read the statistics: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_print ("received %" G_GUINT64_FORMAT " packets in %" G_GUINT64_FORMAT " batches%s; "
           "XDP: %" G_GUINT64_FORMAT " received, %" G_GUINT64_FORMAT " dropped (ring full)\n",
           ctx.packets, ctx.batches, ctx.timed_out ? " (time limit reached)" : "",
           stats->received, stats->rx_ring_full);
  if (ctx.error != NULL)
    {
      g_printerr ("receive failed: %s\n", ctx.error->message);
      g_clear_error (&ctx.error);
      return EXIT_FAILURE;
    }
  /* closing detaches the redirect program now, not at exit */
  if (!netring_xdp_socket_close (xsk, &error))
    {
      g_printerr ("cannot close: %s\n", error->message);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
