/* async_inject.c: 1000 frames through a 64-frame TX ring, with backpressure.
 *
 * The sending part uses only the NetringSender interface, so it works with
 * any sender; the injector is one. netring_sender_send_async() completes at
 * once while the ring has room; when it is full it waits for POLLOUT (the
 * kernel handing slots back) in the main loop instead of failing with
 * G_IO_ERROR_WOULD_BLOCK. One send is in flight at a time, so frames keep
 * their order. Every 32 frames we kick the kernel with
 * netring_sender_flush(); at the end netring_sender_wait_drained_async()
 * waits for the last slots, and netring_sender_close() releases the ring.
 *
 *   sudo ./example-async_inject eth0 [COUNT]
 *
 * Sends COUNT (default 1000) 64-byte broadcast frames with EtherType 0x88b5,
 * numbered 0…COUNT-1 (big-endian 32-bit after the Ethernet header), and prints
 * "N frames in … s …; kernel sent S, rejected R, K kicks".
 */
#include <netring/netring.h>

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_LEN 64
#define FLUSH_EVERY 32

typedef struct {
  GMainLoop *loop;
  NetringSender *sender;
  guint sent;
  guint wanted;
  gint64 start;
  GError *error;
} Context;

static void send_next (Context *ctx);

static void
on_drained (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Context *ctx = user_data;

  netring_sender_wait_drained_finish (NETRING_SENDER (object), result, &ctx->error);
  g_main_loop_quit (ctx->loop);
}

static void
on_sent (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Context *ctx = user_data;

  if (!netring_sender_send_finish (NETRING_SENDER (object), result, &ctx->error))
    {
      g_main_loop_quit (ctx->loop);
      return;
    }
  ctx->sent++;
  if (ctx->sent % FLUSH_EVERY == 0 && netring_sender_flush (ctx->sender, &ctx->error) < 0)
    {
      g_main_loop_quit (ctx->loop);
      return;
    }
  send_next (ctx);
}

static void
send_next (Context *ctx)
{
  guint8 frame[FRAME_LEN];
  g_autoptr(GBytes) bytes = NULL;

  if (ctx->sent == ctx->wanted)
    {
      if (netring_sender_flush (ctx->sender, &ctx->error) < 0)
        {
          g_main_loop_quit (ctx->loop);
          return;
        }
      netring_sender_wait_drained_async (ctx->sender, 1000, NULL, on_drained, ctx);
      return;
    }

  memset (frame, 0xff, 6);                                       /* broadcast */
  memcpy (frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
  frame[12] = 0x88;
  frame[13] = 0xb5;
  frame[14] = (guint8) (ctx->sent >> 24);
  frame[15] = (guint8) (ctx->sent >> 16);
  frame[16] = (guint8) (ctx->sent >> 8);
  frame[17] = (guint8) ctx->sent;
  memset (frame + 18, 0x5a, sizeof frame - 18);
  bytes = g_bytes_new (frame, sizeof frame);
  netring_sender_send_async (ctx->sender, bytes, NULL, on_sent, ctx);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  Context ctx = { 0 };
  gdouble seconds;

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr ("usage: %s INTERFACE [COUNT]\n", argv[0]);
      return EXIT_FAILURE;
    }
  ctx.wanted = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 1000;

  /* A deliberately small ring, so that backpressure really happens. */
  injector = g_initable_new (NETRING_TYPE_INJECTOR, NULL, &error,
                             "interface", argv[1],
                             "frame-count", 64u,
                             NULL);
  if (injector == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  ctx.loop = loop;
  ctx.sender = NETRING_SENDER (injector);
  ctx.start = g_get_monotonic_time ();
  send_next (&ctx);
  g_main_loop_run (loop);

  seconds = (g_get_monotonic_time () - ctx.start) / 1e6;
  if (ctx.error != NULL)
    {
      g_printerr ("after %u frames: %s\n", ctx.sent, ctx.error->message);
      g_clear_error (&ctx.error);
      return EXIT_FAILURE;
    }
  netring_sender_close (ctx.sender, NULL);
  /* the statistics stay readable after close */
  stats = netring_injector_get_stats (injector);

  g_print ("%u frames in %.3f s (%.0f frames/s); kernel sent %" G_GUINT64_FORMAT
           ", rejected %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " kicks\n",
           ctx.sent, seconds, ctx.sent / seconds, stats->frames_sent, stats->frames_rejected,
           stats->kicks);
  if (stats->frames_rejected > 0)
    {
      g_printerr ("the kernel rejected %" G_GUINT64_FORMAT " frames\n", stats->frames_rejected);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
