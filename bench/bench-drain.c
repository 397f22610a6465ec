/* bench-drain.c: the C side of bench_python.py, which runs it beside the
 * Python (and GJS) receivers and senders in one run, in the same network
 * namespace, on the same interfaces and the same kind of work:
 *
 *   bench-drain netring IFACE BLOCK_SIZE BLOCK_COUNT TIMEOUT_MS COUNT
 *   bench-drain raw     IFACE BLOCK_SIZE BLOCK_COUNT TIMEOUT_MS COUNT
 *       opens a receiver (NetringCapture with the C loop, or a hand-written
 *       TPACKET_V3 ring: the bare ring), prints "ready", waits for a line
 *       on stdin (the caller has filled the ring by then), drains it
 *       (reading every packet's first byte and length) and prints
 *       "<packets> <CPU ns>"
 *   bench-drain send IFACE SIZE COUNT
 *       sends COUNT frames of SIZE bytes with netring_sender_send() (the
 *       C path of the library: flush when the ring is full, wait for
 *       POLLOUT), waits until they left, prints "<frames> <CPU ns>"
 *
 * CPU is the thread's CPU time around the drain or the send. */
#include "bench-common.h"

#include <netring/netring.h>

#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static guint64 sum; /* what the per-packet work reads, so it is not optimised away */

static void
wait_for_go (void)
{
  char line[16];

  printf ("ready\n");
  fflush (stdout);
  if (fgets (line, sizeof line, stdin) == NULL)
    exit (1);
}

static int
drain_netring (const char *iface, guint block_size, guint block_count, gint timeout_ms,
               guint64 count)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) cap = NULL;
  guint64 got = 0;
  gint64 cpu0, cpu;

  cap = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", iface, "block-size",
                        block_size, "block-count", block_count, "block-timeout-ms", timeout_ms,
                        NULL);
  if (cap == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  wait_for_go ();
  cpu0 = bench_thread_cpu_ns ();
  while (got < count)
    {
      g_autoptr(NetringBatch) batch = NULL;
      NetringBatchIter iter;
      const guint8 *data;
      guint32 length;

      batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (cap), 100, NULL, &error);
      if (batch == NULL)
        break; /* nothing for 100 ms: the ring is drained */
      netring_batch_iter_init (&iter, batch);
      while ((data = netring_batch_iter_next_data (&iter, &length, NULL)) != NULL)
        {
          sum += data[0] + length;
          got++;
        }
    }
  cpu = bench_thread_cpu_ns () - cpu0;
  printf ("%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT "\n", got, cpu);
  return 0;
}

static int
drain_raw (const char *iface, guint block_size, guint block_count, gint timeout_ms,
           guint64 count)
{
  g_autoptr(GError) error = NULL;
  BenchRxRing ring;
  guint64 got = 0;
  gint64 cpu0, cpu;

  if (!bench_rx_ring_open (&ring, (int) if_nametoindex (iface), block_size, block_count,
                           (guint) timeout_ms, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  wait_for_go ();
  cpu0 = bench_thread_cpu_ns ();
  while (got < count)
    {
      gboolean idle = FALSE;
      struct tpacket_block_desc *desc = bench_rx_ring_wait_block (&ring, 100, &idle);
      const guint8 *p;
      guint32 n;

      if (desc == NULL && idle)
        break; /* drained */
      if (desc == NULL)
        continue;
      n = desc->hdr.bh1.num_pkts;
      p = (const guint8 *) desc + desc->hdr.bh1.offset_to_first_pkt;
      for (guint32 i = 0; i < n; i++)
        {
          const struct tpacket3_hdr *hdr = (const struct tpacket3_hdr *) p;

          sum += p[hdr->tp_mac] + hdr->tp_snaplen;
          got++;
          p += hdr->tp_next_offset;
        }
      bench_rx_ring_release_block (&ring, desc);
    }
  cpu = bench_thread_cpu_ns () - cpu0;
  bench_rx_ring_close (&ring);
  printf ("%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT "\n", got, cpu);
  return 0;
}

static int
send_netring (const char *iface, gsize size, guint64 count)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringInjector) inj = netring_injector_new (iface, &error);
  g_autofree guint8 *frame = NULL;
  static const guint8 dst[6] = { 2, 0, 0, 0, 0, 2 }, src[6] = { 2, 0, 0, 0, 0, 1 };
  NetringSender *sender;
  struct pollfd pfd;
  guint64 sent = 0;
  gint64 cpu0, cpu;

  if (inj == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  sender = NETRING_SENDER (inj);
  frame = g_malloc (size);
  bench_frame_build (frame, size, dst, src);
  pfd.fd = netring_sender_get_fd (sender);
  pfd.events = POLLOUT;
  cpu0 = bench_thread_cpu_ns ();
  while (sent < count)
    {
      if (netring_sender_send (sender, frame, size, &error))
        {
          sent++;
          continue;
        }
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      g_clear_error (&error);
      if (netring_sender_flush (sender, &error) < 0)
        break;
      poll (&pfd, 1, 1);
    }
  if (error == NULL && netring_sender_flush (sender, &error) >= 0)
    netring_sender_wait_drained (sender, 10000, NULL, &error);
  cpu = bench_thread_cpu_ns () - cpu0;
  if (error != NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  printf ("%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT "\n", sent, cpu);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 7 && strcmp (argv[1], "netring") == 0)
    return drain_netring (argv[2], (guint) atoi (argv[3]), (guint) atoi (argv[4]), atoi (argv[5]),
                          g_ascii_strtoull (argv[6], NULL, 10));
  if (argc == 7 && strcmp (argv[1], "raw") == 0)
    return drain_raw (argv[2], (guint) atoi (argv[3]), (guint) atoi (argv[4]), atoi (argv[5]),
                      g_ascii_strtoull (argv[6], NULL, 10));
  if (argc == 5 && strcmp (argv[1], "send") == 0)
    return send_netring (argv[2], (gsize) atoi (argv[3]), g_ascii_strtoull (argv[4], NULL, 10));
  g_printerr ("usage: bench-drain netring|raw IFACE BLOCK_SIZE BLOCK_COUNT TIMEOUT_MS COUNT\n"
              "       bench-drain send IFACE SIZE COUNT\n");
  return 2;
}
