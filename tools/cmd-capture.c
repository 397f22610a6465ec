/* cmd-capture.c: `netring capture`, tcpdump's flags over the library's
 * receivers
 *
 * Live: a NetringCapture (AF_PACKET TPACKET_V3 ring, the filter in the
 * kernel), a NetringFanoutGroup of -F N captures each read by a worker
 * thread, or a NetringXdpSocket (--xdp; the filter runs in user space
 * there). Offline: -r reads a pcap or pcapng file with NetringPcapReader.
 * Packets are printed as tcpdump prints them, or written with
 * NetringPcapWriter (-w, -C/-G rotation, pcapng).
 */
#include "config.h"

#include "capture-print.h"
#include "netring-tool.h"

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define DEFAULT_SNAP_LENGTH 262144 /* tcpdump's, what -s 0 means */

typedef struct {
  CapturePrintOptions print;
  gboolean print_packets;          /* no -w, or --print */
  gboolean outbound_only;          /* -Q out */
  NetringBpfProgram *user_filter;  /* --xdp and -r: run in user space */
  guint64 limit;                   /* -c, 0 = none */
  gint link_type;

  NetringPcapWriter *writer;
  gint writer_iface;
  gboolean flush_writer;           /* -w - or -U */

  GMutex lock;                     /* the fanout workers share the rest */
  guint64 seen;                    /* packets printed or written */
  guint64 bytes;
  gboolean done;
  GError *error;

  GMainLoop *loop;
  NetringReceiver *receiver;       /* capture or XDP socket */
  NetringFanoutGroup *group;
  ToolStatus status;
} CaptureRun;

static gboolean
quit_idle (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* From any thread: the loop of the main thread ends. */
static void
capture_finish (CaptureRun *run)
{
  run->done = TRUE;
  g_idle_add_full (G_PRIORITY_HIGH, quit_idle, g_main_loop_ref (run->loop),
                   (GDestroyNotify) g_main_loop_unref);
}

/* Whether the packet is one to keep (-Q out, a user-space filter). */
static gboolean
capture_selects (CaptureRun *run, const NetringPacketInfo *info)
{
  if (run->outbound_only && info->direction != NETRING_PACKET_DIRECTION_OUTGOING)
    return FALSE;
  return tool_filter_matches (run->user_filter, info->data, info->captured_length,
                              info->wire_length);
}

/* Prints and writes the packets of @batch; called with run->lock held. */
static void
capture_handle_batch (CaptureRun *run, NetringBatch *batch)
{
  NetringBatchIter iter;
  NetringPacketInfo info;
  guint n = netring_batch_get_n_packets (batch);
  gboolean whole;
  guint index = 0;

  if (run->done || run->error != NULL)
    return;
  /* the fast path: the whole batch in one write, when every packet of it
   * is wanted */
  whole = run->writer != NULL && run->user_filter == NULL && !run->outbound_only &&
          (run->limit == 0 || run->seen + n <= run->limit);
  if (whole && !netring_pcap_writer_write_batch (run->writer, run->writer_iface, batch, NULL,
                                                 &run->error))
    {
      capture_finish (run);
      return;
    }

  netring_batch_iter_init (&iter, batch);
  for (; netring_batch_iter_next (&iter, &info); index++)
    {
      if (!capture_selects (run, &info))
        continue;
      if (run->print_packets)
        capture_print_packet (&run->print, info.data, info.captured_length, info.wire_length,
                              info.timestamp_ns, run->link_type);
      if (run->writer != NULL && !whole)
        {
          g_autoptr(NetringPacket) packet = netring_batch_get_packet (batch, index);

          if (packet == NULL ||
              !netring_pcap_writer_write_packet (run->writer, run->writer_iface, packet, NULL,
                                                 &run->error))
            {
              if (run->error == NULL)
                g_set_error_literal (&run->error, G_IO_ERROR, G_IO_ERROR_FAILED,
                                     _("a packet of the batch is missing"));
              capture_finish (run);
              return;
            }
        }
      run->seen++;
      run->bytes += info.wire_length;
      if (run->limit > 0 && run->seen >= run->limit)
        {
          capture_finish (run);
          break;
        }
    }
  if (run->print_packets)
    fflush (stdout);
  if (run->writer != NULL && run->flush_writer &&
      !netring_pcap_writer_flush (run->writer, NULL, &run->error))
    capture_finish (run);
}

static gboolean
capture_on_batch (NetringReceiver *receiver,
                  NetringBatch    *batch,
                  const GError    *error,
                  gpointer         user_data)
{
  CaptureRun *run = user_data;

  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && run->error == NULL)
        run->error = g_error_copy (error);
      g_main_loop_quit (run->loop);
      return G_SOURCE_REMOVE;
    }
  /* packet lines and the status line share the terminal */
  if (run->print_packets)
    tool_status_clear (&run->status);
  capture_handle_batch (run, batch);
  return run->done ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
capture_on_fanout_batch (NetringFanoutGroup *group,
                         guint               member,
                         NetringBatch       *batch,
                         gpointer            user_data)
{
  CaptureRun *run = user_data;

  g_mutex_lock (&run->lock);
  capture_handle_batch (run, batch);
  g_mutex_unlock (&run->lock);
}

static NetringReceiverStats *
capture_get_stats (CaptureRun *run, GError **error)
{
  if (run->group != NULL)
    return netring_fanout_group_get_stats (run->group, error);
  return netring_receiver_get_stats (run->receiver, error);
}

static gboolean
capture_on_status (gpointer user_data)
{
  CaptureRun *run = user_data;
  g_autoptr(NetringReceiverStats) stats = capture_get_stats (run, NULL);
  g_autofree gchar *extra = NULL;
  guint64 seen, bytes;

  if (stats == NULL)
    return G_SOURCE_CONTINUE;
  g_mutex_lock (&run->lock);
  seen = run->seen;
  bytes = run->bytes;
  g_mutex_unlock (&run->lock);
  /* TRANSLATORS: after the live count and rate of `netring capture`:
   * packets the kernel dropped, ring blocks held by the program */
  extra = g_strdup_printf (_("%" PRIu64 " drops  %" PRIu64 " held blocks"),
                           stats->drops, stats->held_batches);
  tool_status_update (&run->status, seen, bytes, extra);
  return G_SOURCE_CONTINUE;
}

static void
quit_on_cancel (GCancellable *cancellable, gpointer user_data)
{
  g_main_loop_quit (user_data);
}

static const gchar *
link_type_description (gint link_type)
{
  return link_type == NETRING_LINK_TYPE_ETHERNET ? "EN10MB (Ethernet)" : NULL;
}

static void
print_link_line (const gchar *prefix, const gchar *name, gint link_type, guint snap_length)
{
  const gchar *description = link_type_description (link_type);
  g_autofree gchar *unknown = g_strdup_printf ("%d", link_type);

  /* tcpdump's first line, word for word and not translated (as tcpdump's
   * is not): scripts and tests wait for "listening on" */
  g_printerr ("%s %s, link-type %s, snapshot length %u bytes\n", prefix, name,
              description != NULL ? description : unknown, snap_length);
}

/* Opens the writer of -w: onto stdout for "-", rotating files for -C/-G,
 * else one file. */
static NetringPcapWriter *
open_writer (const gchar *path, NetringPcapFormat format, guint64 max_bytes, guint max_seconds,
             GError **error)
{
  if (g_str_equal (path, "-"))
    {
      g_autoptr(GOutputStream) out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);

      return netring_pcap_writer_new (out, format, error);
    }
  if (max_bytes > 0 || max_seconds > 0)
    return netring_pcap_writer_new_rotating (path, format, max_bytes, max_seconds, error);
  {
    /* open(), not g_file_replace(): -w /dev/null or a FIFO work as with
     * tcpdump */
    g_autoptr(GOutputStream) out = NULL;
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0)
      {
        int errsv = errno;

        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                     /* TRANSLATORS: %s: a file name, then the reason */
                     _("Cannot open “%s” for writing: %s"), path, g_strerror (errsv));
        return NULL;
      }
    out = g_unix_output_stream_new (fd, TRUE);
    return netring_pcap_writer_new (out, format, error);
  }
}

/* -r: every record of the file, filtered in user space, printed or
 * written. */
static int
capture_read_file (CaptureRun *run, const gchar *path, const gchar *filter, guint snap_length,
                   const gchar *write_path, NetringPcapFormat format)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringPcapReader) reader = NULL;

  if (g_str_equal (path, "-"))
    {
      g_autoptr(GInputStream) in = g_unix_input_stream_new (STDIN_FILENO, FALSE);

      reader = netring_pcap_reader_new_for_stream (in, &error);
    }
  else
    reader = netring_pcap_reader_new (path, &error);
  if (reader == NULL)
    {
      tool_print_error (path, error);
      return TOOL_EXIT_FAILURE;
    }
  run->link_type = netring_pcap_reader_get_link_type (reader);
  if (filter != NULL)
    {
      run->user_filter = netring_bpf_program_new_from_expression (filter, run->link_type,
                                                                  0, &error);
      if (run->user_filter == NULL)
        {
          tool_print_error (_("invalid filter"), error);
          return TOOL_EXIT_FAILURE;
        }
    }
  if (write_path != NULL)
    {
      run->writer = open_writer (write_path, format, 0, 0, &error);
      if (run->writer == NULL ||
          (run->writer_iface = netring_pcap_writer_add_interface (run->writer, path,
                                                                  run->link_type,
                                                                  snap_length, &error)) < 0)
        {
          tool_print_error (write_path, error);
          return TOOL_EXIT_FAILURE;
        }
    }
  print_link_line ("reading from file", path, run->link_type,
                   netring_pcap_reader_get_snap_length (reader));

  for (;;)
    {
      g_autoptr(NetringPacket) packet = netring_pcap_reader_next_packet (reader, &error);
      const guint8 *data;
      gsize length;

      if (packet == NULL)
        break;
      data = netring_packet_get_data (packet, &length);
      if (!tool_filter_matches (run->user_filter, data, (guint) length,
                                netring_packet_get_wire_length (packet)))
        continue;
      if (run->print_packets)
        capture_print_packet (&run->print, data, (guint) length,
                              netring_packet_get_wire_length (packet),
                              netring_packet_get_timestamp (packet), run->link_type);
      if (run->writer != NULL &&
          !netring_pcap_writer_write_packet (run->writer, run->writer_iface, packet, NULL,
                                             &error))
        break;
      if (run->limit > 0 && ++run->seen >= run->limit)
        break;
    }
  fflush (stdout);
  if (error == NULL && run->writer != NULL)
    netring_pcap_writer_close (run->writer, NULL, &error);
  if (error != NULL)
    {
      tool_print_error (path, error);
      return TOOL_EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}

int
tool_cmd_capture (int argc, char **argv)
{
  g_autofree gchar *interface = NULL;
  g_autofree gchar *profile_nick = NULL;
  g_autofree gchar *write_path = NULL;
  g_autofree gchar *read_path = NULL;
  g_autofree gchar *direction = NULL;
  g_autofree gchar *precision = NULL;
  gint64 count = 0;
  gint snap_length = 0;
  gint rotate_mb = 0;
  gint rotate_seconds = 0;
  gint fanout = 0;
  gint queue_id = 0;
  gint metrics_port = 0;
  gboolean no_promiscuous = FALSE;
  gboolean numeric = FALSE;
  gboolean link_header = FALSE;
  gboolean hex = FALSE;
  gboolean hex_ascii = FALSE;
  gboolean quiet = FALSE;
  gboolean line_buffered = FALSE;
  gboolean packet_buffered = FALSE;
  gboolean pcapng = FALSE;
  gboolean also_print = FALSE;
  gboolean xdp = FALSE;
  gboolean no_status = FALSE;
  const GOptionEntry entries[] = {
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &interface,
      N_("Network interface to capture on"), N_("IFACE") },
    { "count", 'c', 0, G_OPTION_ARG_INT64, &count,
      N_("Stop after N packets (default: until Ctrl-C)"), N_("N") },
    { "snapshot-length", 's', 0, G_OPTION_ARG_INT, &snap_length,
      N_("Keep at most N bytes of each packet (default and 0: 262144)"), N_("N") },
    { "write", 'w', 0, G_OPTION_ARG_FILENAME, &write_path,
      N_("Write the packets to FILE (pcap; pcapng with --pcapng or a .pcapng name); "
         "“-” for stdout"), N_("FILE") },
    { "read", 'r', 0, G_OPTION_ARG_FILENAME, &read_path,
      N_("Read packets from a pcap or pcapng file (“-” for stdin) instead of an interface"),
      N_("FILE") },
    { "pcapng", 0, 0, G_OPTION_ARG_NONE, &pcapng,
      N_("Write pcapng instead of pcap"), NULL },
    { "file-size", 'C', 0, G_OPTION_ARG_INT, &rotate_mb,
      N_("Start a new file when the current one would exceed N million bytes"), N_("N") },
    { "rotate-seconds", 'G', 0, G_OPTION_ARG_INT, &rotate_seconds,
      N_("Start a new file every N seconds (strftime conversions in FILE name it)"),
      N_("N") },
    { "no-promiscuous-mode", 'p', 0, G_OPTION_ARG_NONE, &no_promiscuous,
      N_("Do not put the interface into promiscuous mode"), NULL },
    { "direction", 'Q', 0, G_OPTION_ARG_STRING, &direction,
      N_("Which packets: in, out or inout (default: inout)"), N_("DIRECTION") },
    { "time-stamp-precision", 0, 0, G_OPTION_ARG_STRING, &precision,
      N_("Print and write timestamps in micro (default) or nano seconds"), N_("PRECISION") },
    { "numeric", 'n', 0, G_OPTION_ARG_NONE, &numeric,
      N_("Do not convert addresses to names (netring never does; for tcpdump habits)"), NULL },
    { "link-header", 'e', 0, G_OPTION_ARG_NONE, &link_header,
      N_("Print the link-level header (MAC addresses, EtherType)"), NULL },
    { "hex", 'x', 0, G_OPTION_ARG_NONE, &hex,
      N_("Print each packet in hex, from the network header on"), NULL },
    { "hex-ascii", 'X', 0, G_OPTION_ARG_NONE, &hex_ascii,
      N_("Print each packet in hex and ASCII"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      N_("Print less protocol information"), NULL },
    { "line-buffered", 'l', 0, G_OPTION_ARG_NONE, &line_buffered,
      N_("Flush standard output after every line"), NULL },
    { "packet-buffered", 'U', 0, G_OPTION_ARG_NONE, &packet_buffered,
      N_("Flush the output file after every batch of packets"), NULL },
    { "print", 0, 0, G_OPTION_ARG_NONE, &also_print,
      N_("Print the packets even when writing them with -w"), NULL },
    { "fanout", 'F', 0, G_OPTION_ARG_INT, &fanout,
      N_("Spread the packets over N captures, each read by a thread of its own"), N_("N") },
    { "xdp", 0, 0, G_OPTION_ARG_NONE, &xdp,
      N_("Receive through an AF_XDP socket (the filter then runs in user space)"), NULL },
    { "queue", 0, 0, G_OPTION_ARG_INT, &queue_id,
      N_("The receive queue of the AF_XDP socket (default: 0)"), N_("N") },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile_nick,
      N_("Ring profile: default, high-throughput, low-latency, low-memory or jumbo-frames"),
      N_("PROFILE") },
    { "no-status", 0, 0, G_OPTION_ARG_NONE, &no_status,
      N_("No live status line, even on a terminal"), NULL },
    { "metrics-port", 0, 0, G_OPTION_ARG_INT, &metrics_port,
      N_("Serve Prometheus metrics at http://*:PORT/metrics"), N_("PORT") },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("[FILTER…]"));
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(NetringFanoutGroup) group = NULL;
  g_autoptr(NetringXdpSocket) socket = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(NetringMetrics) metrics = NULL;
  g_autofree gchar *filter = NULL;
  NetringPcapFormat format;
  NetringRingProfile profile;
  CaptureRun run = { 0 };
  GSource *source = NULL, *tick = NULL;
  GPtrArray *signal_sources;
  guint effective_snap;
  int status = EXIT_SUCCESS;

  g_option_context_set_summary (context, _("Capture packets and print one line for each, "
                                           "as tcpdump does, or write them to pcap/pcapng "
                                           "files. A filter expression (pcap syntax) may "
                                           "follow the options."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!tool_parse_options (context, &argc, &argv))
    return TOOL_EXIT_USAGE;
  filter = tool_join_arguments (argc, argv, 1);

  if (interface == NULL && read_path == NULL)
    return tool_usage_error (_("--interface (or --read) is required"));
  if (interface != NULL && read_path != NULL)
    return tool_usage_error (_("--interface and --read exclude each other"));
  if (interface != NULL && g_str_equal (interface, "any"))
    {
      g_printerr (_("netring capture: -i any is not supported: a netring capture ring is bound "
                    "to one interface; run one capture per interface\n"));
      return TOOL_EXIT_FAILURE;
    }
  if (count < 0)
    return tool_usage_error (_("--count must not be negative"));
  if (snap_length < 0)
    return tool_usage_error (_("--snapshot-length must not be negative"));
  if (rotate_mb < 0 || rotate_seconds < 0)
    return tool_usage_error (_("-C and -G must not be negative"));
  if ((rotate_mb > 0 || rotate_seconds > 0) &&
      (write_path == NULL || g_str_equal (write_path, "-") || read_path != NULL))
    return tool_usage_error (_("-C and -G need -w FILE (not “-”) and a live capture"));
  if (fanout < 0 || fanout > 1024)
    return tool_usage_error (_("--fanout must be between 1 and 1024"));
  if (fanout > 0 && xdp)
    return tool_usage_error (_("--fanout and --xdp exclude each other"));
  if (queue_id < 0 || (queue_id > 0 && !xdp))
    return tool_usage_error (_("--queue needs --xdp and must not be negative"));
  if (direction != NULL && !g_str_equal (direction, "in") && !g_str_equal (direction, "out") &&
      !g_str_equal (direction, "inout"))
    return tool_usage_error (_("-Q must be in, out or inout"));
  if (direction != NULL && !g_str_equal (direction, "inout") && (xdp || read_path != NULL))
    return tool_usage_error (_("-Q needs a live AF_PACKET capture (an AF_XDP socket receives "
                               "only incoming packets, a file has no direction)"));
  if (precision != NULL && !g_str_equal (precision, "micro") && !g_str_equal (precision, "nano"))
    return tool_usage_error (_("--time-stamp-precision must be micro or nano"));
  if (!tool_parse_profile (profile_nick, &profile, &error))
    return tool_usage_error ("%s", error->message);

  run.print.nanoseconds = precision != NULL && g_str_equal (precision, "nano");
  run.print.link_header = link_header;
  run.print.quiet = quiet;
  run.print.hex = hex_ascii ? 2 : hex ? 1 : 0;
  run.print.line_buffered = line_buffered;
  run.print_packets = write_path == NULL || also_print;
  run.limit = (guint64) count;
  run.link_type = NETRING_LINK_TYPE_ETHERNET;
  run.outbound_only = direction != NULL && g_str_equal (direction, "out");
  g_mutex_init (&run.lock);
  if (write_path != NULL && g_str_equal (write_path, "-") && run.print_packets)
    return tool_usage_error (_("--print and -w - both write to standard output"));
  if (pcapng || (write_path != NULL && g_str_has_suffix (write_path, ".pcapng")))
    format = NETRING_PCAP_FORMAT_PCAPNG;
  else if (run.print.nanoseconds)
    format = NETRING_PCAP_FORMAT_PCAP_NSEC;
  else
    format = NETRING_PCAP_FORMAT_PCAP;
  effective_snap = snap_length > 0 ? (guint) snap_length : DEFAULT_SNAP_LENGTH;

  if (read_path != NULL)
    {
      status = capture_read_file (&run, read_path, filter, effective_snap, write_path, format);
      g_clear_object (&run.writer);
      g_clear_pointer (&run.user_filter, netring_bpf_program_unref);
      g_mutex_clear (&run.lock);
      return status;
    }

  /* open the receiver */
  if (xdp)
    {
      socket = g_initable_new (NETRING_TYPE_XDP_SOCKET, NULL, &error,
                               "interface", interface,
                               "queue-id", (guint) queue_id,
                               "promiscuous", !no_promiscuous,
                               NULL);
      if (socket == NULL)
        {
          tool_print_error (_("cannot open the AF_XDP socket"), error);
          return tool_exit_status_for (error);
        }
      run.receiver = NETRING_RECEIVER (socket);
      if (filter != NULL)
        {
          run.user_filter = netring_bpf_program_new_from_expression (filter,
                                                                     NETRING_LINK_TYPE_ETHERNET,
                                                                     0, &error);
          if (run.user_filter == NULL)
            {
              tool_print_error (_("invalid filter"), error);
              return TOOL_EXIT_FAILURE;
            }
        }
    }
  else if (fanout > 0)
    {
      group = g_initable_new (NETRING_TYPE_FANOUT_GROUP, NULL, &error,
                              "interface", interface,
                              "n-members", (guint) fanout,
                              "profile", profile,
                              "promiscuous", !no_promiscuous,
                              "snap-length", (guint) snap_length,
                              "ignore-outgoing", direction != NULL && g_str_equal (direction, "in"),
                              "filter", filter,
                              NULL);
      if (group == NULL)
        {
          tool_print_error (_("cannot open the fanout group"), error);
          return tool_exit_status_for (error);
        }
      run.group = group;
    }
  else
    {
      capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error,
                                "interface", interface,
                                "profile", profile,
                                "promiscuous", !no_promiscuous,
                                "snap-length", (guint) snap_length,
                                "ignore-outgoing", direction != NULL && g_str_equal (direction, "in"),
                                "filter", filter,
                                NULL);
      if (capture == NULL)
        {
          tool_print_error (_("cannot open the capture"), error);
          return tool_exit_status_for (error);
        }
      run.receiver = NETRING_RECEIVER (capture);
    }

  if (write_path != NULL)
    {
      run.writer = open_writer (write_path, format, (guint64) rotate_mb * 1000000,
                                (guint) rotate_seconds, &error);
      if (run.writer != NULL)
        {
          if (capture != NULL)
            run.writer_iface = netring_pcap_writer_add_interface_for_receiver (run.writer,
                                                                               NETRING_RECEIVER (capture),
                                                                               &error);
          else
            run.writer_iface = netring_pcap_writer_add_interface (run.writer, interface,
                                                                  NETRING_LINK_TYPE_ETHERNET,
                                                                  effective_snap, &error);
        }
      if (run.writer == NULL || run.writer_iface < 0)
        {
          tool_print_error (write_path, error);
          status = TOOL_EXIT_FAILURE;
          goto out;
        }
      run.flush_writer = packet_buffered || g_str_equal (write_path, "-");
    }
  if (metrics_port != 0)
    {
      metrics = tool_metrics_serve (metrics_port, &error);
      if (metrics == NULL)
        {
          tool_print_error (_("cannot serve the metrics"), error);
          status = TOOL_EXIT_FAILURE;
          goto out;
        }
      netring_metrics_add (metrics, group != NULL ? G_OBJECT (group) : G_OBJECT (run.receiver),
                           "capture");
      if (run.writer != NULL)
        netring_metrics_add (metrics, G_OBJECT (run.writer), "capture");
    }

  if (xdp && filter != NULL)
    g_printerr (_("note: with --xdp the filter runs in user space: the socket takes every "
                  "frame of queue %d from the kernel's network stack, and those that do not "
                  "match are dropped\n"), queue_id);
  print_link_line ("listening on", interface, NETRING_LINK_TYPE_ETHERNET,
                   capture != NULL && netring_capture_get_snap_length (capture) > 0
                     ? netring_capture_get_snap_length (capture) : effective_snap);

  loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);
  run.loop = loop;
  tool_status_init (&run.status, !no_status);
  signal_sources = tool_watch_quit_signals (cancellable);
  g_cancellable_connect (cancellable, G_CALLBACK (quit_on_cancel), loop, NULL);
  if (group != NULL)
    {
      if (!netring_fanout_group_start (group, capture_on_fanout_batch, &run, NULL, &error))
        {
          tool_print_error (_("cannot start the fanout group"), error);
          tool_destroy_sources (signal_sources);
          status = TOOL_EXIT_FAILURE;
          goto out;
        }
    }
  else
    {
      /* The source gets the cancellable too: cancelling it ends the
       * source with G_IO_ERROR_CANCELLED, which quits the loop. */
      source = netring_receiver_create_source (run.receiver, cancellable);
      g_source_set_callback (source, G_SOURCE_FUNC (capture_on_batch), &run, NULL);
      g_source_attach (source, g_main_context_get_thread_default ());
    }
  if (run.status.enabled)
    tick = tool_attach_timeout (TOOL_STATUS_INTERVAL_MS, capture_on_status, &run);

  if (!g_cancellable_is_cancelled (cancellable))
    g_main_loop_run (loop);

  if (group != NULL)
    netring_fanout_group_stop (group);
  if (source != NULL)
    {
      g_source_destroy (source);
      g_source_unref (source);
    }
  if (tick != NULL)
    {
      g_source_destroy (tick);
      g_source_unref (tick);
    }
  tool_destroy_sources (signal_sources);
  tool_status_clear (&run.status);
  fflush (stdout);

  if (run.writer != NULL && run.error == NULL)
    netring_pcap_writer_close (run.writer, NULL, &run.error);

  stats = capture_get_stats (&run, &error);
  /* tcpdump's summary, then the receiver's own counters */
  g_printerr (_("%" PRIu64 " packets captured\n"), run.seen);
  if (stats != NULL)
    {
      g_autofree gchar *text = netring_receiver_stats_to_string (stats);

      g_printerr (_("%" PRIu64 " packets received by filter\n"), stats->packets);
      g_printerr (_("%" PRIu64 " packets dropped by kernel\n"), stats->drops);
      g_printerr (_("Capture statistics: %s\n"), text);
    }
  if (run.error != NULL)
    {
      tool_print_error (_("capture failed"), run.error);
      status = TOOL_EXIT_FAILURE;
    }

out:
  g_clear_error (&run.error);
  g_clear_object (&run.writer);
  g_clear_pointer (&run.user_filter, netring_bpf_program_unref);
  g_mutex_clear (&run.lock);
  return status;
}
