/* pcap_write.c: capture COUNT packets into a pcap or pcapng file.
 *
 * A NetringPcapWriter writes onto any GOutputStream: a file, or standard
 * output through a GUnixOutputStream (FILE "-", so the output can be piped
 * into tcpdump -r - or wireshark -k -i -). Whole batches are written with
 * netring_pcap_writer_write_batch(), straight from ring memory. A FILE ending
 * in ".pcapng" gets pcapng, anything else classic pcap with nanosecond
 * timestamps.
 *
 *   sudo ./example-pcap_write eth0 out.pcap [COUNT [SECONDS]]
 *   sudo ./example-pcap_write eth0 - 100 | tcpdump -r -
 *
 * Prints (on standard error when FILE is "-") "listening on IFACE", then
 * "wrote N packets (B bytes) to FILE".
 */
#include <netring/netring.h>

#include <gio/gunixoutputstream.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(NetringPcapWriter) writer = NULL;
  g_autoptr(GOutputStream) stream = NULL;
  g_autoptr(NetringPcapWriterStats) stats = NULL;
  NetringPcapFormat format;
  guint64 wanted, written = 0;
  gint64 end_time;
  gint interface_id;
  gboolean to_stdout;
  void (*say) (const gchar *, ...);

  setlocale (LC_ALL, "");
  if (argc < 3)
    {
      g_printerr ("usage: %s INTERFACE FILE [COUNT [SECONDS]]\n", argv[0]);
      return EXIT_FAILURE;
    }
  wanted = argc > 3 ? g_ascii_strtoull (argv[3], NULL, 10) : 100;
  end_time = g_get_monotonic_time ()
             + (argc > 4 ? (gint64) g_ascii_strtoull (argv[4], NULL, 10) : 60) * G_TIME_SPAN_SECOND;
  to_stdout = g_str_equal (argv[2], "-");
  say = to_stdout ? g_printerr : g_print;  /* keep standard output for the file */
  format = g_str_has_suffix (argv[2], ".pcapng") ? NETRING_PCAP_FORMAT_PCAPNG
                                                  : NETRING_PCAP_FORMAT_PCAP_NSEC;

  capture = netring_capture_new (argv[1], &error);
  if (capture == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  if (to_stdout)
    stream = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  else
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (argv[2]);

      stream = G_OUTPUT_STREAM (g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL,
                                                &error));
      if (stream == NULL)
        {
          g_printerr ("cannot create %s: %s\n", argv[2], error->message);
          return EXIT_FAILURE;
        }
    }
  writer = netring_pcap_writer_new (stream, format, &error);
  if (writer == NULL
      || (interface_id = netring_pcap_writer_add_interface_for_receiver (
            writer, NETRING_RECEIVER (capture), &error)) < 0)
    {
      g_printerr ("cannot write %s: %s\n", argv[2], error->message);
      return EXIT_FAILURE;
    }

  say ("listening on %s\n", argv[1]);
  fflush (stdout);
  while (written < wanted)
    {
      gint64 left_ms = (end_time - g_get_monotonic_time ()) / 1000;
      g_autoptr(NetringBatch) batch = NULL;
      g_autoptr(GError) wait_error = NULL;

      if (left_ms <= 0)
        break;
      batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), (gint) left_ms,
                                                   NULL, &wait_error);
      if (batch == NULL)
        {
          if (g_error_matches (wait_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            break;
          g_printerr ("capture failed: %s\n", wait_error->message);
          return EXIT_FAILURE;
        }
      /* a whole batch at once; the last one may hold more than we want */
      if (written + netring_batch_get_n_packets (batch) <= wanted)
        {
          if (!netring_pcap_writer_write_batch (writer, interface_id, batch, NULL, &error))
            break;
          written += netring_batch_get_n_packets (batch);
        }
      else
        for (guint i = 0; written < wanted; i++, written++)
          {
            g_autoptr(NetringPacket) packet = netring_batch_get_packet (batch, i);

            if (!netring_pcap_writer_write_packet (writer, interface_id, packet, NULL, &error))
              break;
          }
      if (error != NULL)
        break;
    }
  if (error != NULL || !netring_pcap_writer_close (writer, NULL, &error))
    {
      g_printerr ("cannot write %s: %s\n", argv[2], error->message);
      return EXIT_FAILURE;
    }

  stats = netring_pcap_writer_get_stats (writer);
  say ("wrote %" G_GUINT64_FORMAT " packets (%" G_GUINT64_FORMAT " bytes) to %s\n",
       stats->frames_written, stats->bytes_written, argv[2]);
  return EXIT_SUCCESS;
}
