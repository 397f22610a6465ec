/* async_streamext.c: take, filter, map and collect owned packets.
 *
 * The seed's into_stream().take(n).filter_map(..).collect() in GLib terms:
 * netring_receiver_receive_async() hands out detached copies (they own their
 * bytes, so they may be kept in a collection after the ring block has gone
 * back to the kernel). We take the first COUNT packets, keep those that carry
 * the experimental EtherType 0x88b5, map each to the 32-bit sequence number
 * after its Ethernet header, and collect the numbers in a GArray.
 *
 *   sudo ./example-async_streamext eth0 [COUNT [SECONDS]]
 *
 * Prints "listening on IFACE", then "took N packets, kept K with EtherType
 * 0x88b5, sequence numbers FIRST…LAST".
 */
#include <netring/netring.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#define ETHERTYPE 0x88b5

typedef struct {
  GMainLoop *loop;
  GCancellable *cancellable;
  guint64 wanted;
  guint64 taken;
  GArray *sequence_numbers;  /* the collection: guint32 */
  gboolean timed_out;
  GError *error;
} Context;

/* filter_map: the sequence number of a test frame, or FALSE for any other */
static gboolean
test_frame_sequence (NetringPacket *packet, guint32 *seq)
{
  gsize length;
  const guint8 *data = netring_packet_get_data (packet, &length);

  if (length < 18 || ((data[12] << 8) | data[13]) != ETHERTYPE)
    return FALSE;
  *seq = ((guint32) data[14] << 24) | ((guint32) data[15] << 16) | ((guint32) data[16] << 8)
         | data[17];
  return TRUE;
}

static void
on_packets (GObject *object, GAsyncResult *result, gpointer user_data)
{
  NetringReceiver *receiver = NETRING_RECEIVER (object);
  Context *ctx = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) packets = NULL;

  packets = netring_receiver_receive_finish (receiver, result, &error);
  if (packets == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ctx->timed_out = TRUE;
      else
        ctx->error = g_steal_pointer (&error);
      g_main_loop_quit (ctx->loop);
      return;
    }

  for (guint i = 0; i < packets->len && ctx->taken < ctx->wanted; i++, ctx->taken++)
    {
      guint32 seq;

      if (test_frame_sequence (g_ptr_array_index (packets, i), &seq))
        g_array_append_val (ctx->sequence_numbers, seq);
    }

  if (ctx->taken == ctx->wanted)
    g_main_loop_quit (ctx->loop);
  else
    netring_receiver_receive_async (receiver, ctx->cancellable, on_packets, ctx);
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
  g_autoptr(GArray) sequence_numbers = g_array_new (FALSE, FALSE, sizeof (guint32));
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
  ctx.sequence_numbers = sequence_numbers;
  deadline = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (deadline, on_deadline, cancellable, NULL);
  g_source_attach (deadline, NULL);

  g_print ("listening on %s\n", argv[1]);
  fflush (stdout);
  if (ctx.wanted > 0)
    {
      netring_receiver_receive_async (NETRING_RECEIVER (capture), cancellable, on_packets, &ctx);
      g_main_loop_run (loop);
    }
  g_source_destroy (deadline);

  g_print ("took %" G_GUINT64_FORMAT " packets, kept %u with EtherType 0x%04x",
           ctx.taken, sequence_numbers->len, ETHERTYPE);
  if (sequence_numbers->len > 0)
    g_print (", sequence numbers %u…%u", g_array_index (sequence_numbers, guint32, 0),
             g_array_index (sequence_numbers, guint32, sequence_numbers->len - 1));
  g_print ("%s\n", ctx.timed_out ? " (time limit reached)" : "");
  if (ctx.error != NULL)
    {
      g_printerr ("capture failed: %s\n", ctx.error->message);
      g_clear_error (&ctx.error);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
