/* inject.c: send 10 broadcast frames through the TX ring.
 *
 * The zero-copy path: netring_injector_reserve() hands out the next ring
 * slot, we write the frame in place, netring_injector_commit() queues it.
 * netring_injector_flush() tells the kernel to transmit, and
 * netring_injector_wait_drained() waits until every slot came back.
 *
 *   sudo ./example-inject eth0 [COUNT]   (watch with: tcpdump -i eth0 -e ether proto 0x88b5)
 *
 * Sends COUNT (default 10) frames numbered 0…COUNT-1 and prints
 * "queued Q, sent S (B bytes), rejected R".
 */
#include <netring/netring.h>

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_LEN 64

int
main (int argc, char **argv)
{
  static const guint8 dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  static const guint8 src[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  guint32 seq, count;
  gint kicked;

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr ("usage: %s INTERFACE [COUNT]\n", argv[0]);
      return EXIT_FAILURE;
    }
  count = argc > 2 ? (guint32) g_ascii_strtoull (argv[2], NULL, 10) : 10;

  injector = netring_injector_new (argv[1], &error);
  if (injector == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  for (seq = 0; seq < count; seq++)
    {
      guint8 *frame = netring_injector_reserve (injector, FRAME_LEN, &error);

      if (frame == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          /* the ring is full: hand it to the kernel and wait for the slots */
          g_clear_error (&error);
          if (netring_injector_flush (injector, &error) < 0
              || !netring_injector_wait_drained (injector, 1000, NULL, &error))
            {
              g_printerr ("flush failed: %s\n", error->message);
              return EXIT_FAILURE;
            }
          frame = netring_injector_reserve (injector, FRAME_LEN, &error);
        }
      if (frame == NULL)
        {
          g_printerr ("reserve failed: %s\n", error->message);
          return EXIT_FAILURE;
        }
      memcpy (frame, dst, 6);
      memcpy (frame + 6, src, 6);
      frame[12] = 0x88; /* IEEE 802 local experimental EtherType */
      frame[13] = 0xb5;
      frame[14] = (guint8) (seq >> 24);
      frame[15] = (guint8) (seq >> 16);
      frame[16] = (guint8) (seq >> 8);
      frame[17] = (guint8) seq;
      memset (frame + 18, 0xab, FRAME_LEN - 18);
      if (!netring_injector_commit (injector, FRAME_LEN, &error))
        {
          g_printerr ("commit failed: %s\n", error->message);
          return EXIT_FAILURE;
        }
    }

  kicked = netring_injector_flush (injector, &error);
  if (kicked < 0)
    {
      g_printerr ("flush failed: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (!netring_injector_wait_drained (injector, 1000, NULL, &error))
    {
      g_printerr ("frames still queued after 1 s: %s\n", error->message);
      return EXIT_FAILURE;
    }

  stats = netring_injector_get_stats (injector);
  g_print ("queued %" G_GUINT64_FORMAT ", sent %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
           " bytes), rejected %" G_GUINT64_FORMAT "\n",
           stats->frames_queued, stats->frames_sent, stats->bytes_sent, stats->frames_rejected);
  return stats->frames_sent == count ? EXIT_SUCCESS : EXIT_FAILURE;
}
