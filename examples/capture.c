/* capture.c: print the first 100 packets seen on an interface.
 *
 * The simplest way to receive: netring_receiver_start() attaches a source to
 * the thread-default main context and emits ::packet for every packet.
 * (::batch is cheaper at high rates; see batch_processing.c.)
 *
 *   sudo ./example-capture eth0 [COUNT]
 *
 * Prints "listening on IFACE", a line per packet, then "received N packets".
 */
#include <netring/netring.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  GMainLoop *loop;
  guint seen;
  guint limit;
} Context;

static void
on_packet (NetringCapture *capture, NetringPacket *packet, gpointer user_data)
{
  Context *ctx = user_data;
  gint64 ts = netring_packet_get_timestamp (packet);

  g_print ("[%u] %" G_GINT64_FORMAT ".%09" G_GINT64_FORMAT " len=%u wire=%u%s\n",
           ctx->seen, ts / 1000000000, ts % 1000000000,
           netring_packet_get_captured_length (packet),
           netring_packet_get_wire_length (packet),
           netring_packet_is_truncated (packet) ? " (truncated)" : "");

  /* The packet is only borrowed for the emission: netring_packet_keep() it
   * (which pins its ring block) or netring_packet_copy_detached() it to keep. */
  if (++ctx->seen == ctx->limit)
    {
      netring_receiver_stop (NETRING_RECEIVER (capture));
      g_main_loop_quit (ctx->loop);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autofree gchar *text = NULL;
  Context ctx = { NULL, 0, 100 };

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr ("usage: %s INTERFACE [COUNT]\n", argv[0]);
      return EXIT_FAILURE;
    }
  if (argc > 2)
    ctx.limit = (guint) g_ascii_strtoull (argv[2], NULL, 10);

  /* The builder: every socket-defining setting is a construct property. */
  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error,
                            "interface", argv[1],
                            "promiscuous", TRUE,
                            "ignore-outgoing", TRUE,
                            NULL);
  if (capture == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  ctx.loop = loop;
  g_signal_connect (capture, "packet", G_CALLBACK (on_packet), &ctx);
  if (!netring_receiver_start (NETRING_RECEIVER (capture), &error))
    {
      g_printerr ("cannot start: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_print ("listening on %s for %u packets…\n", argv[1], ctx.limit);
  fflush (stdout);
  if (ctx.limit > 0)
    g_main_loop_run (loop);
  g_print ("received %u packets\n", ctx.seen);

  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  if (stats == NULL)
    {
      g_printerr ("cannot read statistics: %s\n", error->message);
      return EXIT_FAILURE;
    }
  text = netring_receiver_stats_to_string (stats);
  g_print ("stats: %s\n", text);
  return EXIT_SUCCESS;
}
