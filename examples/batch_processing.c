/* batch_processing.c: work on whole ring blocks.
 *
 * A 16 MiB ring (1 MiB × 16 blocks) with a 100 ms block timeout, read with
 * netring_receiver_next_batch_timeout(). Each batch is one ring block; the
 * C fast path NetringBatchIter walks its packets without allocating. The
 * block's sequence number, lost-block count, time-out flag and first/last
 * timestamps show what the kernel did with the ring.
 *
 *   sudo ./example-batch_processing eth0 [COUNT [SECONDS]]
 *
 * Reads until COUNT packets (default 1000) arrived or SECONDS passed, then
 * prints "B batches, N packets, … bytes, G sequence gaps".
 */
#include <netring/netring.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  guint64 expected_seq = 0;
  guint64 total_packets = 0, total_bytes = 0, gaps = 0;
  guint batches = 0;
  guint64 wanted;
  gint64 end_time;

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr ("usage: %s INTERFACE [COUNT [SECONDS]]\n", argv[0]);
      return EXIT_FAILURE;
    }
  wanted = argc > 2 ? g_ascii_strtoull (argv[2], NULL, 10) : 1000;
  end_time = g_get_monotonic_time ()
             + (argc > 3 ? (gint64) g_ascii_strtoull (argv[3], NULL, 10) : 60) * G_TIME_SPAN_SECOND;

  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error,
                            "interface", argv[1],
                            "block-size", 1u << 20,
                            "block-count", 16u,
                            "block-timeout-ms", 100,
                            NULL);
  if (capture == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  g_print ("listening on %s\n", argv[1]);
  fflush (stdout);
  while (total_packets < wanted && g_get_monotonic_time () < end_time)
    {
      g_autoptr(NetringBatch) batch = NULL;
      NetringBatchIter iter;
      NetringPacketInfo info;
      guint64 seq, bytes = 0;

      /* Polls for at most 500 ms (EINTR does not cut the wait short). */
      batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 500, NULL, &error);
      if (batch == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            {
              g_print ("(no block retired in 500 ms)\n");
              g_clear_error (&error);
              continue;
            }
          g_printerr ("receive failed: %s\n", error->message);
          return EXIT_FAILURE;
        }

      seq = netring_batch_get_sequence (batch);
      if (batches > 0 && seq != expected_seq)
        {
          /* The kernel numbers every block it opens: a jump means blocks
           * we never saw. */
          g_print ("  sequence gap: expected %" G_GUINT64_FORMAT ", got %" G_GUINT64_FORMAT "\n",
                   expected_seq, seq);
          gaps++;
        }
      expected_seq = seq + 1;

      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        bytes += info.captured_length;

      g_print ("block #%" G_GUINT64_FORMAT ": %u packets, %" G_GUINT64_FORMAT " bytes, "
               "%s, lost blocks %" G_GUINT64_FORMAT ", %" G_GINT64_FORMAT " → %"
               G_GINT64_FORMAT " ns (%.3f ms)\n",
               seq, netring_batch_get_n_packets (batch), bytes,
               netring_batch_get_timed_out (batch) ? "retired by timeout" : "full",
               netring_batch_get_lost_blocks (batch),
               netring_batch_get_first_timestamp (batch),
               netring_batch_get_last_timestamp (batch),
               (netring_batch_get_last_timestamp (batch) -
                netring_batch_get_first_timestamp (batch)) / 1e6);

      total_packets += netring_batch_get_n_packets (batch);
      total_bytes += bytes;
      batches++;
      /* g_autoptr releases the batch here: its block goes back to the
       * kernel before we wait for the next one. */
    }

  g_print ("%u batches, %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT " bytes, "
           "%" G_GUINT64_FORMAT " sequence gaps\n", batches, total_packets, total_bytes, gaps);
  return EXIT_SUCCESS;
}
