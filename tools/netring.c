/* netring.c: the `netring` command-line program
 *
 *   netring demo      frames through a private veth pair, checked byte for byte
 *   netring capture   one summary line per packet, optionally into a pcap file
 *   netring inject    generated frames out of an interface
 *   netring stats     capture statistics every interval
 *
 * Everything runs in a GMainLoop on the default main context; SIGINT and
 * SIGTERM cancel a GCancellable so every command ends through the same path
 * and prints its final statistics.
 */
/* unshare() and CLONE_NEWNET */
#define _GNU_SOURCE

#include "config.h"

#include <netring/netring.h>

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gio.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <locale.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define EXIT_SKIP 77

/* IEEE 802 local experimental EtherType 1: nothing in the kernel answers
 * it, so the wire carries only the frames we send. */
#define TEST_ETHERTYPE 0x88b5
#define TEST_HEADER_LEN 18 /* Ethernet header + 32-bit sequence number */

static const guint8 broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---------------------------------------------------------------- helpers */

/* Frame @seq: Ethernet header, TEST_ETHERTYPE, big-endian @seq, then bytes
 * that depend on @seq and their position, so that a frame that arrives
 * damaged, truncated or out of place never compares equal. */
static void
fill_test_frame (guint8       *frame,
                 gsize         length,
                 guint32       seq,
                 const guint8 *src,
                 const guint8 *dst)
{
  guint32 be = htonl (seq);
  gsize i;

  memcpy (frame, dst, 6);
  memcpy (frame + 6, src, 6);
  frame[12] = TEST_ETHERTYPE >> 8;
  frame[13] = TEST_ETHERTYPE & 0xff;
  memcpy (frame + 14, &be, 4);
  for (i = TEST_HEADER_LEN; i < length; i++)
    frame[i] = (guint8) (seq * 31u + i * 7u);
}

static gboolean
is_test_frame (const guint8 *data, gsize length)
{
  return length >= TEST_HEADER_LEN &&
         data[12] == (TEST_ETHERTYPE >> 8) && data[13] == (TEST_ETHERTYPE & 0xff);
}

static guint32
test_frame_seq (const guint8 *frame)
{
  guint32 be;

  memcpy (&be, frame + 14, 4);
  return ntohl (be);
}

/* "12:34:56.123456789" in local time; @ns is nanoseconds since the epoch. */
static gchar *
format_time_of_day (gint64 ns)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (ns / G_GINT64_CONSTANT (1000000000));
  g_autofree gchar *hms = NULL;

  if (dt == NULL)
    return g_strdup ("??:??:??");
  hms = g_date_time_format (dt, "%H:%M:%S");
  return g_strdup_printf ("%s.%09" G_GINT64_FORMAT, hms,
                          ns % G_GINT64_CONSTANT (1000000000));
}

/* Full date for the first/last timestamps of the demo. */
static gchar *
format_timestamp (gint64 ns)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (ns / G_GINT64_CONSTANT (1000000000));
  g_autofree gchar *date = NULL;

  if (dt == NULL)
    return g_strdup ("?");
  date = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
  return g_strdup_printf ("%s.%09" G_GINT64_FORMAT, date,
                          ns % G_GINT64_CONSTANT (1000000000));
}

static const gchar *
direction_nick (guint8 direction)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (NETRING_TYPE_PACKET_DIRECTION);
  GEnumValue *value = g_enum_get_value (klass, direction);

  /* The class stays alive (static type), so the nick outlives the unref. */
  return value != NULL ? value->value_nick : "unknown";
}

static gboolean
parse_profile (const gchar *nick, NetringRingProfile *profile, GError **error)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (NETRING_TYPE_RING_PROFILE);
  GEnumValue *value;

  if (nick == NULL)
    {
      *profile = NETRING_RING_PROFILE_DEFAULT;
      return TRUE;
    }
  value = g_enum_get_value_by_nick (klass, nick);
  if (value == NULL)
    {
      g_autoptr(GString) names = g_string_new (NULL);
      guint i;

      for (i = 0; i < klass->n_values; i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "", klass->values[i].value_nick);
      /* TRANSLATORS: first %s is what the user typed, second the list of
       * valid profile names */
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("Unknown ring profile “%s” (valid: %s)"), nick, names->str);
      return FALSE;
    }
  *profile = (NetringRingProfile) value->value;
  return TRUE;
}

static void
print_error (const gchar *what, const GError *error)
{
  /* TRANSLATORS: %s: what failed, then the reason */
  g_printerr (_("netring: %s: %s\n"), what, error->message);
  if (g_error_matches (error, NETRING_ERROR, NETRING_ERROR_PERMISSION_DENIED))
    g_printerr (_("netring: run as root, or grant the program the capability: "
                  "setcap cap_net_raw,cap_net_admin+ep netring\n"));
}

/* Exit status for an error: 77 when the cause is a missing privilege, so
 * that test harnesses can tell "skipped" from "broken". */
static int
exit_status_for (const GError *error)
{
  return g_error_matches (error, NETRING_ERROR, NETRING_ERROR_PERMISSION_DENIED)
           ? EXIT_SKIP : EXIT_FAILURE;
}

static gboolean
on_quit_signal (gpointer user_data)
{
  GCancellable *cancellable = user_data;

  g_cancellable_cancel (cancellable);
  return G_SOURCE_CONTINUE; /* a second Ctrl-C must not kill us half-way */
}

/* SIGINT and SIGTERM cancel @cancellable, in the thread-default context (the
 * global g_unix_signal_add() would tie us to the default context). Returns
 * the sources so the caller can destroy them. */
static GPtrArray *
watch_quit_signals (GCancellable *cancellable)
{
  GPtrArray *sources = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  GMainContext *context = g_main_context_get_thread_default ();
  const int signals[] = { SIGINT, SIGTERM };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (signals); i++)
    {
      GSource *source = g_unix_signal_source_new (signals[i]);

      g_source_set_callback (source, on_quit_signal, g_object_ref (cancellable), g_object_unref);
      g_source_set_name (source, "netring quit signal");
      g_source_attach (source, context);
      g_ptr_array_add (sources, source);
    }
  return sources;
}

static void
destroy_sources (GPtrArray *sources)
{
  guint i;

  for (i = 0; i < sources->len; i++)
    g_source_destroy (g_ptr_array_index (sources, i));
  g_ptr_array_unref (sources);
}

static GSource *
attach_timeout (guint interval_ms, GSourceFunc func, gpointer data)
{
  GSource *source = g_timeout_source_new (interval_ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

static gboolean
parse_options (GOptionContext *context, int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("netring: %s\n", error->message);
      g_printerr (_("Run “%s --help” to see the options.\n"), g_get_prgname ());
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------ pcap output */

/* A minimal pcap writer (nanosecond magic, LINKTYPE_ETHERNET), enough for
 * `capture -w`: Wireshark and tcpdump read it. */
static gboolean
pcap_write_header (GOutputStream *out, GError **error)
{
  struct {
    guint32 magic;
    guint16 major, minor;
    gint32 thiszone;
    guint32 sigfigs, snaplen, linktype;
  } header = { 0xa1b23c4d, 2, 4, 0, 0, 262144, 1 };

  return g_output_stream_write_all (out, &header, sizeof header, NULL, NULL, error);
}

static gboolean
pcap_write_packet (GOutputStream *out, const NetringPacketInfo *info, GError **error)
{
  struct {
    guint32 sec, nsec, caplen, len;
  } record;

  record.sec = (guint32) (info->timestamp_ns / G_GINT64_CONSTANT (1000000000));
  record.nsec = (guint32) (info->timestamp_ns % G_GINT64_CONSTANT (1000000000));
  record.caplen = info->captured_length;
  record.len = info->wire_length;
  return g_output_stream_write_all (out, &record, sizeof record, NULL, NULL, error) &&
         g_output_stream_write_all (out, info->data, info->captured_length, NULL, NULL, error);
}

/* ---------------------------------------------------------------- capture */

typedef struct {
  GMainLoop *loop;
  GCancellable *cancellable;
  GOutputStream *pcap;
  guint64 limit;
  guint64 seen;
  GError *error;
} CaptureRun;

static void
print_packet_line (const NetringPacketInfo *info)
{
  g_autofree gchar *when = format_time_of_day (info->timestamp_ns);
  g_autoptr(GString) line = g_string_new (NULL);
  guint i, n = MIN (info->captured_length, 16u);

  g_string_append_printf (line, "%s %-10s %5u", when, direction_nick (info->direction),
                          info->wire_length);
  if (info->captured_length < info->wire_length)
    /* TRANSLATORS: shown after the length of a truncated packet */
    g_string_append_printf (line, _(" (captured %u)"), info->captured_length);
  g_string_append (line, " ");
  for (i = 0; i < n; i++)
    g_string_append_printf (line, " %02x", info->data[i]);
  if (n < info->captured_length)
    g_string_append (line, " …");
  g_print ("%s\n", line->str);
}

/* A receive source ended with @error: cancellation is Ctrl-C, a normal end,
 * not a failure; anything else is kept in *@failure (the first one only). */
static gboolean
source_ended (const GError *error, GMainLoop *loop, GError **failure)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && *failure == NULL)
    *failure = g_error_copy (error);
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static gboolean
capture_on_batch (NetringReceiver *receiver,
                  NetringBatch    *batch,
                  const GError    *error,
                  gpointer         user_data)
{
  CaptureRun *run = user_data;
  NetringBatchIter iter;
  NetringPacketInfo info;

  if (error != NULL)
    return source_ended (error, run->loop, &run->error);

  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    {
      print_packet_line (&info);
      if (run->pcap != NULL && !pcap_write_packet (run->pcap, &info, &run->error))
        {
          g_main_loop_quit (run->loop);
          return G_SOURCE_REMOVE;
        }
      if (run->limit > 0 && ++run->seen >= run->limit)
        {
          g_main_loop_quit (run->loop);
          return G_SOURCE_REMOVE;
        }
    }
  return G_SOURCE_CONTINUE;
}

static int
cmd_capture (int argc, char **argv)
{
  g_autofree gchar *interface = NULL;
  g_autofree gchar *profile_nick = NULL;
  g_autofree gchar *output = NULL;
  gint64 count = 0;
  gboolean promiscuous = FALSE;
  const GOptionEntry entries[] = {
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &interface,
      N_("Network interface to capture on"), N_("IFACE") },
    { "count", 'c', 0, G_OPTION_ARG_INT64, &count,
      N_("Stop after N packets (default: until Ctrl-C)"), N_("N") },
    { "profile", 'p', 0, G_OPTION_ARG_STRING, &profile_nick,
      N_("Ring profile: default, high-throughput, low-latency, low-memory or jumbo-frames"),
      N_("PROFILE") },
    { "promiscuous", 0, 0, G_OPTION_ARG_NONE, &promiscuous,
      N_("Put the interface into promiscuous mode while capturing"), NULL },
    { "write", 'w', 0, G_OPTION_ARG_FILENAME, &output,
      N_("Also write the packets to FILE in pcap format"), N_("FILE") },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(GOutputStream) pcap = NULL;
  g_autofree gchar *stats_text = NULL;
  NetringRingProfile profile;
  CaptureRun run = { 0 };
  GSource *source;
  GPtrArray *signal_sources;

  g_option_context_set_summary (context, _("Print one line per captured packet: time, "
                                           "direction, length and the first bytes."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return EXIT_FAILURE;
  if (interface == NULL)
    {
      g_printerr (_("netring capture: --interface is required\n"));
      return EXIT_FAILURE;
    }
  if (count < 0)
    {
      g_printerr (_("netring capture: --count must not be negative\n"));
      return EXIT_FAILURE;
    }
  if (!parse_profile (profile_nick, &profile, &error))
    {
      g_printerr ("netring capture: %s\n", error->message);
      return EXIT_FAILURE;
    }

  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error,
                            "interface", interface,
                            "profile", profile,
                            "promiscuous", promiscuous,
                            NULL);
  if (capture == NULL)
    {
      print_error (_("cannot open the capture"), error);
      return exit_status_for (error);
    }

  if (output != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (output);

      pcap = G_OUTPUT_STREAM (g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error));
      if (pcap == NULL || !pcap_write_header (pcap, &error))
        {
          print_error (output, error);
          return EXIT_FAILURE;
        }
      /* pcap records are small: buffer them instead of one write() each */
      {
        GOutputStream *buffered = g_buffered_output_stream_new_sized (pcap, 1 << 16);
        g_object_unref (pcap);
        pcap = buffered;
      }
    }

  loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);
  run.loop = loop;
  run.cancellable = cancellable;
  run.pcap = pcap;
  run.limit = (guint64) count;

  signal_sources = watch_quit_signals (cancellable);
  /* The source gets the cancellable too: cancelling it ends the source with
   * G_IO_ERROR_CANCELLED, which quits the loop. */
  source = netring_receiver_create_source (NETRING_RECEIVER (capture), cancellable);
  g_source_set_callback (source, G_SOURCE_FUNC (capture_on_batch), &run, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());

  g_main_loop_run (loop);

  g_source_destroy (source);
  g_source_unref (source);
  destroy_sources (signal_sources);

  if (pcap != NULL && run.error == NULL)
    g_output_stream_close (pcap, NULL, &run.error);

  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  if (stats != NULL)
    {
      stats_text = netring_receiver_stats_to_string (stats);
      g_printerr (_("Capture statistics: %s\n"), stats_text);
    }

  if (run.error != NULL)
    {
      print_error (_("capture failed"), run.error);
      g_clear_error (&run.error);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}

/* ----------------------------------------------------------------- inject */

typedef struct {
  GMainLoop *loop;
  GCancellable *cancellable;
  NetringSender *out; /* any sender: the pump uses only the interface */
  guint8 *frame;
  gsize size;
  guint32 count;
  guint32 next_seq;
  const guint8 *src;
  const guint8 *dst;
  /* Flow control (the demo): at most @window frames beyond *@acked in
   * flight; 0 = no limit. */
  const guint32 *acked;
  guint32 window;
  gboolean paused;
  gboolean drained;
  GError *error;
} Sender;

static void sender_pump (Sender *sender);

static void
sender_fail (Sender *sender, GError *error)
{
  if (sender->error == NULL)
    sender->error = error;
  else
    g_error_free (error);
  g_main_loop_quit (sender->loop);
}

static void
sender_drained_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Sender *sender = user_data;
  GError *error = NULL;

  if (!netring_sender_wait_drained_finish (NETRING_SENDER (object), result, &error))
    {
      sender_fail (sender, error);
      return;
    }
  sender->drained = TRUE;
  g_main_loop_quit (sender->loop);
}

static void
sender_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Sender *sender = user_data;
  GError *error = NULL;

  if (!netring_sender_send_finish (NETRING_SENDER (object), result, &error))
    {
      sender_fail (sender, error);
      return;
    }
  sender->next_seq++;
  sender_pump (sender);
}

/* Queues frames with the non-blocking send() until the ring is full, then
 * kicks the kernel and hands the next frame to send_async(), which waits
 * for a free slot (POLLOUT) in the main loop: backpressure without
 * blocking the loop and without busy-waiting. */
static void
sender_pump (Sender *sender)
{
  GError *error = NULL;

  while (sender->next_seq < sender->count)
    {
      if (sender->window > 0 && sender->next_seq - *sender->acked >= sender->window)
        {
          /* The receiver is behind: kick what is queued and wait until it
           * catches up (the caller calls sender_pump() again). */
          if (netring_sender_flush (sender->out, &error) < 0)
            sender_fail (sender, error);
          else
            sender->paused = TRUE;
          return;
        }
      fill_test_frame (sender->frame, sender->size, sender->next_seq, sender->src, sender->dst);
      if (netring_sender_send (sender->out, sender->frame, sender->size, &error))
        {
          sender->next_seq++;
          continue;
        }
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          sender_fail (sender, error);
          return;
        }
      g_clear_error (&error);

      if (netring_sender_flush (sender->out, &error) < 0)
        {
          sender_fail (sender, error);
          return;
        }
      {
        g_autoptr(GBytes) frame = g_bytes_new (sender->frame, sender->size);

        netring_sender_send_async (sender->out, frame, sender->cancellable, sender_sent_cb,
                                   sender);
      }
      return;
    }

  if (netring_sender_flush (sender->out, &error) < 0)
    {
      sender_fail (sender, error);
      return;
    }
  netring_sender_wait_drained_async (sender->out, 5000, sender->cancellable,
                                     sender_drained_cb, sender);
}

static void
print_injector_stats (const NetringInjectorStats *stats)
{
  g_print (_("Injector: %" PRIu64 " queued, %" PRIu64 " sent "
             "(%" PRIu64 " bytes), %" PRIu64 " rejected by the kernel, "
             "%" PRIu64 " refused, %" PRIu64 " kicks\n"),
           stats->frames_queued, stats->frames_sent, stats->bytes_sent,
           stats->frames_rejected, stats->frames_refused, stats->kicks);
  if (stats->last_reject_errno != 0)
    g_print (_("Last rejection: %s\n"), g_strerror (stats->last_reject_errno));
}

static int
cmd_inject (int argc, char **argv)
{
  g_autofree gchar *interface = NULL;
  gint count = 1000;
  gint size = 64;
  gboolean qdisc_bypass = FALSE;
  const GOptionEntry entries[] = {
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &interface,
      N_("Network interface to send on"), N_("IFACE") },
    { "count", 'c', 0, G_OPTION_ARG_INT, &count,
      N_("Number of frames to send (default: 1000)"), N_("N") },
    { "size", 's', 0, G_OPTION_ARG_INT, &size,
      N_("Frame size in bytes, Ethernet header included (default: 64)"), N_("BYTES") },
    { "qdisc-bypass", 0, 0, G_OPTION_ARG_NONE, &qdisc_bypass,
      N_("Bypass the queueing discipline (other packet sockets will not see the frames)"),
      NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autofree guint8 *frame = NULL;
  static const guint8 src_mac[6] = { 0x02, 0x00, 0x00, 0x6e, 0x72, 0x01 };
  Sender sender = { 0 };
  GPtrArray *signal_sources;
  gint64 start, elapsed;

  g_option_context_set_summary (context, _("Send generated broadcast frames (EtherType 0x88b5, "
                                           "numbered) through the TX ring."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return EXIT_FAILURE;
  if (interface == NULL)
    {
      g_printerr (_("netring inject: --interface is required\n"));
      return EXIT_FAILURE;
    }
  if (count <= 0)
    {
      g_printerr (_("netring inject: --count must be positive\n"));
      return EXIT_FAILURE;
    }
  if (size < TEST_HEADER_LEN || size > 65535)
    {
      g_printerr (_("netring inject: --size must be between %d and %d bytes\n"),
                  TEST_HEADER_LEN, 65535);
      return EXIT_FAILURE;
    }

  injector = g_initable_new (NETRING_TYPE_INJECTOR, NULL, &error,
                             "interface", interface,
                             "qdisc-bypass", qdisc_bypass,
                             NULL);
  if (injector == NULL)
    {
      print_error (_("cannot open the injector"), error);
      return exit_status_for (error);
    }
  if ((guint) size > netring_injector_get_frame_capacity (injector))
    {
      g_printerr (_("netring inject: --size %d is larger than a ring frame holds (%u bytes)\n"),
                  size, netring_injector_get_frame_capacity (injector));
      return EXIT_FAILURE;
    }

  frame = g_malloc0 ((gsize) size);
  loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);
  sender.loop = loop;
  sender.cancellable = cancellable;
  sender.out = NETRING_SENDER (injector);
  sender.frame = frame;
  sender.size = (gsize) size;
  sender.count = (guint32) count;
  sender.src = src_mac;
  sender.dst = broadcast_mac;

  signal_sources = watch_quit_signals (cancellable);
  start = g_get_monotonic_time ();
  sender_pump (&sender);
  if (sender.error == NULL && !sender.drained)
    g_main_loop_run (loop);
  elapsed = g_get_monotonic_time () - start;
  destroy_sources (signal_sources);

  stats = netring_injector_get_stats (injector);
  print_injector_stats (stats);
  g_print (_("%u frames of %d bytes handed over in %.3f s (%.0f frames/s)\n"),
           sender.next_seq, size, elapsed / 1e6,
           elapsed > 0 ? sender.next_seq / (elapsed / 1e6) : 0.0);

  if (sender.error != NULL)
    {
      gboolean cancelled = g_error_matches (sender.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

      if (!cancelled)
        print_error (_("sending failed"), sender.error);
      g_clear_error (&sender.error);
      return cancelled ? EXIT_SUCCESS : EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ stats */

typedef struct {
  GMainLoop *loop;
  NetringCapture *capture;
  guint interval_s;
  gint iterations;
  gint ticks;
  guint64 bytes;
  NetringReceiverStats *last; /* the previous tick's reading */
  GError *error;
} StatsRun;

static gboolean
stats_on_batch (NetringReceiver *receiver,
                NetringBatch    *batch,
                const GError    *error,
                gpointer         user_data)
{
  StatsRun *run = user_data;
  NetringBatchIter iter;
  NetringPacketInfo info;

  if (error != NULL)
    return source_ended (error, run->loop, &run->error);
  /* Consume promptly: a batch kept here would keep its block from the
   * kernel and the statistics would show drops we caused ourselves. */
  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    run->bytes += info.wire_length;
  return G_SOURCE_CONTINUE;
}

static gboolean
stats_on_tick (gpointer user_data)
{
  StatsRun *run = user_data;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(NetringReceiverStats) delta = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *when = g_date_time_format (now, "%H:%M:%S");

  stats = netring_receiver_get_stats (NETRING_RECEIVER (run->capture), &run->error);
  if (stats == NULL)
    {
      g_main_loop_quit (run->loop);
      return G_SOURCE_REMOVE;
    }
  delta = netring_receiver_stats_subtract (stats, run->last);
  g_clear_pointer (&run->last, netring_receiver_stats_free);
  run->last = g_steal_pointer (&stats);
  g_print (_("%s  %" PRIu64 " packets/s  %" PRIu64 " drops  "
             "%" PRIu64 " freezes  %" PRIu64 " received  "
             "%" PRIu64 " batches  %" PRIu64 " kB/s  "
             "(%" PRIu64 " batches held)\n"),
           when, delta->packets / run->interval_s, delta->drops, delta->freezes,
           delta->received, delta->batches, run->bytes / 1000 / run->interval_s,
           delta->held_batches);
  run->bytes = 0;
  if (run->iterations > 0 && ++run->ticks >= run->iterations)
    {
      g_main_loop_quit (run->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static int
cmd_stats (int argc, char **argv)
{
  g_autofree gchar *interface = NULL;
  g_autofree gchar *profile_nick = NULL;
  gint interval = 1;
  gint iterations = 0;
  gboolean promiscuous = FALSE;
  const GOptionEntry entries[] = {
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &interface,
      N_("Network interface to watch"), N_("IFACE") },
    { "interval", 'n', 0, G_OPTION_ARG_INT, &interval,
      N_("Seconds between two lines (default: 1)"), N_("SECONDS") },
    { "iterations", 'c', 0, G_OPTION_ARG_INT, &iterations,
      N_("Stop after N lines (default: until Ctrl-C)"), N_("N") },
    { "profile", 'p', 0, G_OPTION_ARG_STRING, &profile_nick,
      N_("Ring profile: default, high-throughput, low-latency, low-memory or jumbo-frames"),
      N_("PROFILE") },
    { "promiscuous", 0, 0, G_OPTION_ARG_NONE, &promiscuous,
      N_("Put the interface into promiscuous mode while watching"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetringReceiverStats) total = NULL;
  NetringRingProfile profile;
  StatsRun run = { 0 };
  GSource *source, *tick;
  GPtrArray *signal_sources;

  g_option_context_set_summary (context, _("Print what changed in the capture statistics "
                                           "every interval (netring_receiver_get_stats())."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return EXIT_FAILURE;
  if (interface == NULL)
    {
      g_printerr (_("netring stats: --interface is required\n"));
      return EXIT_FAILURE;
    }
  if (interval <= 0 || interval > 86400)
    {
      g_printerr (_("netring stats: --interval must be between 1 and 86400 seconds\n"));
      return EXIT_FAILURE;
    }
  if (!parse_profile (profile_nick, &profile, &error))
    {
      g_printerr ("netring stats: %s\n", error->message);
      return EXIT_FAILURE;
    }

  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error,
                            "interface", interface,
                            "profile", profile,
                            "promiscuous", promiscuous,
                            NULL);
  if (capture == NULL)
    {
      print_error (_("cannot open the capture"), error);
      return exit_status_for (error);
    }

  loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);
  run.loop = loop;
  run.capture = capture;
  run.interval_s = (guint) interval;
  run.iterations = iterations;
  run.last = g_new0 (NetringReceiverStats, 1); /* deltas from the start */

  signal_sources = watch_quit_signals (cancellable);
  source = netring_receiver_create_source (NETRING_RECEIVER (capture), cancellable);
  g_source_set_callback (source, G_SOURCE_FUNC (stats_on_batch), &run, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  tick = attach_timeout ((guint) interval * 1000, stats_on_tick, &run);

  g_main_loop_run (loop);

  g_source_destroy (tick);
  g_source_unref (tick);
  g_source_destroy (source);
  g_source_unref (source);
  destroy_sources (signal_sources);
  g_clear_pointer (&run.last, netring_receiver_stats_free);

  total = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  if (total != NULL)
    {
      g_autofree gchar *text = netring_receiver_stats_to_string (total);
      g_print (_("Total: %s\n"), text);
    }
  if (run.error != NULL)
    {
      print_error (_("capture failed"), run.error);
      g_clear_error (&run.error);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------- demo */

#define DEMO_IFACE_TX "nrdemo0"
#define DEMO_IFACE_RX "nrdemo1"

static const guint8 demo_mac_tx[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const guint8 demo_mac_rx[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

typedef struct {
  GMainLoop *loop;
  GCancellable *cancellable;
  Sender sender;
  guint32 count;
  gsize size;
  guint8 *expected;       /* scratch buffer for the comparison */
  guint8 *seen;           /* one byte per sequence number */
  guint32 captured;       /* test frames captured, intact or not */
  guint32 intact;         /* distinct frames identical to what was sent */
  guint32 damaged;
  guint32 duplicates;
  guint32 other;          /* frames that are not ours */
  guint64 bytes;
  gint64 first_ts;
  gint64 last_ts;
  guint32 progress_mark;  /* captured + sent at the last watchdog tick */
  GSource *deadline;
  GError *error;
} Demo;

static void
demo_maybe_finish (Demo *demo)
{
  if (demo->sender.drained && demo->intact == demo->count)
    g_main_loop_quit (demo->loop);
}

static gboolean
demo_on_batch (NetringReceiver *receiver,
               NetringBatch    *batch,
               const GError    *error,
               gpointer         user_data)
{
  Demo *demo = user_data;
  NetringBatchIter iter;
  NetringPacketInfo info;

  if (error != NULL)
    return source_ended (error, demo->loop, &demo->error);

  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    {
      guint32 seq;

      if (!is_test_frame (info.data, info.captured_length))
        {
          demo->other++;
          continue;
        }
      demo->captured++;
      demo->bytes += info.wire_length;
      if (demo->first_ts == 0 || info.timestamp_ns < demo->first_ts)
        demo->first_ts = info.timestamp_ns;
      if (info.timestamp_ns > demo->last_ts)
        demo->last_ts = info.timestamp_ns;

      seq = test_frame_seq (info.data);
      fill_test_frame (demo->expected, demo->size, seq, demo_mac_tx, demo_mac_rx);
      if (seq >= demo->count || info.captured_length != demo->size ||
          info.wire_length != demo->size ||
          memcmp (info.data, demo->expected, demo->size) != 0)
        {
          demo->damaged++;
          continue;
        }
      if (demo->seen[seq]++)
        {
          demo->duplicates++;
          continue;
        }
      demo->intact++;
    }

  if (demo->sender.paused)
    {
      demo->sender.paused = FALSE;
      sender_pump (&demo->sender);
    }
  demo_maybe_finish (demo);
  return G_SOURCE_CONTINUE;
}

/* While sending: if neither a frame was sent nor one captured for a whole
 * tick, frames were lost and flow control would wait for ever. */
static gboolean
demo_on_watchdog (gpointer user_data)
{
  Demo *demo = user_data;
  guint32 mark = demo->captured + demo->sender.next_seq;

  if (mark == demo->progress_mark)
    {
      g_main_loop_quit (demo->loop);
      return G_SOURCE_REMOVE;
    }
  demo->progress_mark = mark;
  return G_SOURCE_CONTINUE;
}

static gboolean
demo_on_deadline (gpointer user_data)
{
  Demo *demo = user_data;

  /* Whatever has not arrived by now will not: report what we have. */
  g_main_loop_quit (demo->loop);
  return G_SOURCE_REMOVE;
}

/* Runs a program (argv[0] looked up in PATH), failing with its stderr. */
static gboolean
run_program (const gchar *const *argv, GError **error)
{
  g_autofree gchar *err_out = NULL;
  g_autofree gchar *joined = g_strjoinv (" ", (gchar **) argv);
  gint status = 0;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err_out, &status, error))
    {
      g_prefix_error (error, "%s: ", joined);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, error))
    {
      g_strchomp (err_out);
      g_prefix_error (error, "%s: ", joined);
      if (err_out != NULL && err_out[0] != '\0')
        {
          GError *e = *error;
          gchar *message = g_strdup_printf ("%s (%s)", e->message, err_out);
          g_free (e->message);
          e->message = message;
        }
      return FALSE;
    }
  return TRUE;
}

static void
write_sysctl (const gchar *path, const gchar *value)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  /* No IPv6 in this kernel: then there is nothing to silence either. */
  if (fd < 0)
    return;
  if (write (fd, value, strlen (value)) < 0)
    g_printerr (_("netring demo: warning: cannot write %s: %s\n"), path, g_strerror (errno));
  close (fd);
}

/* Moves this process into a network namespace of its own: whatever happens
 * later, even a crash, the veth pair vanishes with the process and nothing
 * leaks into the host's network configuration. */
static gboolean
demo_enter_private_namespace (void)
{
  int fd;

  if (unshare (CLONE_NEWNET) != 0)
    {
      int errsv = errno;
      g_printerr (_("netring demo: skipped: creating a private network namespace needs "
                    "CAP_SYS_ADMIN (run as root): unshare(CLONE_NEWNET): %s\n"),
                  g_strerror (errsv));
      return FALSE;
    }
  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      int errsv = errno;
      g_printerr (_("netring demo: skipped: packet sockets need CAP_NET_RAW: "
                    "socket(AF_PACKET): %s\n"), g_strerror (errsv));
      return FALSE;
    }
  close (fd);
  /* Router solicitations and MLD reports would otherwise show up in the
   * capture as soon as the links come up. */
  write_sysctl ("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
  write_sysctl ("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
  return TRUE;
}

static gboolean
demo_create_veth (GError **error)
{
  const gchar *add[] = { "ip", "link", "add", DEMO_IFACE_TX, "address", "02:00:00:00:00:01",
                         "type", "veth", "peer", "name", DEMO_IFACE_RX,
                         "address", "02:00:00:00:00:02", NULL };
  const gchar *up_tx[] = { "ip", "link", "set", DEMO_IFACE_TX, "up", NULL };
  const gchar *up_rx[] = { "ip", "link", "set", DEMO_IFACE_RX, "up", NULL };

  return run_program (add, error) && run_program (up_tx, error) && run_program (up_rx, error);
}

static void
demo_delete_veth (void)
{
  const gchar *del[] = { "ip", "link", "del", DEMO_IFACE_TX, NULL };
  g_autoptr(GError) error = NULL;

  if (!run_program (del, &error))
    g_printerr (_("netring demo: warning: cannot delete the veth pair: %s\n"), error->message);
}

static void
demo_report (Demo *demo, NetringCapture *capture, NetringInjector *injector, gint64 elapsed_us)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringReceiverStats) stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_autoptr(NetringInjectorStats) tx_stats = netring_injector_get_stats (injector);
  gint64 span_ns = demo->last_ts - demo->first_ts;

  g_print ("\n");
  g_print (_("Frames sent:        %u of %u bytes (%" PRIu64 " transmitted by the kernel)\n"),
           demo->sender.next_seq, (guint) demo->size, tx_stats->frames_sent);
  g_print (_("Frames captured:    %u (%" PRIu64 " bytes)\n"),
           demo->captured, demo->bytes);
  g_print (_("Intact (byte for byte): %u of %u\n"), demo->intact, demo->count);
  if (demo->damaged || demo->duplicates || demo->other)
    g_print (_("Damaged: %u, duplicates: %u, other frames: %u\n"),
             demo->damaged, demo->duplicates, demo->other);
  if (demo->captured > 0)
    {
      g_autofree gchar *first = format_timestamp (demo->first_ts);
      g_autofree gchar *last = format_timestamp (demo->last_ts);

      g_print (_("First timestamp:    %s\n"), first);
      g_print (_("Last timestamp:     %s\n"), last);
      if (span_ns > 0)
        g_print (_("Rate:               %.0f frames/s, %.1f Mbit/s (from the timestamps)\n"),
                 (demo->captured - 1) / (span_ns / 1e9),
                 demo->bytes * 8.0 / (span_ns / 1e9) / 1e6);
    }
  g_print (_("Wall time:          %.3f s\n"), elapsed_us / 1e6);
  print_injector_stats (tx_stats);
  if (stats != NULL)
    {
      g_autofree gchar *text = netring_receiver_stats_to_string (stats);
      g_print (_("Capture statistics: %s\n"), text);
    }
  else
    print_error (_("cannot read the capture statistics"), error);
}

static int
cmd_demo (int argc, char **argv)
{
  gint count = 5000;
  gint size = 128;
  const GOptionEntry entries[] = {
    { "count", 'c', 0, G_OPTION_ARG_INT, &count,
      N_("Number of frames to send (default: 5000)"), N_("N") },
    { "size", 's', 0, G_OPTION_ARG_INT, &size,
      N_("Frame size in bytes, Ethernet header included (default: 128)"), N_("BYTES") },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree guint8 *frame = NULL;
  g_autofree guint8 *expected = NULL;
  g_autofree guint8 *seen = NULL;
  Demo demo = { 0 };
  GSource *source, *watchdog;
  GPtrArray *signal_sources;
  gint64 start, elapsed;
  gboolean ok;

  g_option_context_set_summary (context, _("Create a veth pair in a private network namespace, "
                                           "send numbered frames through it with the injector, "
                                           "capture them on the other end and check every one."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return EXIT_FAILURE;
  if (count <= 0 || count > 10000000)
    {
      g_printerr (_("netring demo: --count must be between 1 and 10000000\n"));
      return EXIT_FAILURE;
    }
  /* veth's default MTU is 1500: larger frames would be dropped on the way */
  if (size < 60 || size > 1514)
    {
      g_printerr (_("netring demo: --size must be between 60 and 1514 bytes\n"));
      return EXIT_FAILURE;
    }

  if (!demo_enter_private_namespace ())
    return EXIT_SKIP;
  if (!demo_create_veth (&error))
    {
      print_error (_("cannot create the veth pair"), error);
      return EXIT_FAILURE;
    }
  g_print (_("Created veth pair %s ↔ %s in a private network namespace\n"),
           DEMO_IFACE_TX, DEMO_IFACE_RX);

  /* A small ring (16 MiB) is plenty for a few thousand frames, and a short
   * block timeout lets the last, partly filled block reach us quickly. */
  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error,
                            "interface", DEMO_IFACE_RX,
                            "profile", NETRING_RING_PROFILE_LOW_MEMORY,
                            "block-timeout-ms", 10,
                            NULL);
  if (capture == NULL)
    {
      print_error (_("cannot open the capture"), error);
      demo_delete_veth ();
      return exit_status_for (error);
    }
  injector = netring_injector_new (DEMO_IFACE_TX, &error);
  if (injector == NULL)
    {
      print_error (_("cannot open the injector"), error);
      demo_delete_veth ();
      return exit_status_for (error);
    }
  if ((guint) size > netring_injector_get_frame_capacity (injector))
    {
      g_printerr (_("netring demo: --size %d is larger than a ring frame holds (%u bytes)\n"),
                  size, netring_injector_get_frame_capacity (injector));
      demo_delete_veth ();
      return EXIT_FAILURE;
    }
  g_print (_("Capture on %s: %u blocks of %u bytes, frames of %u bytes, block timeout %u ms\n"),
           DEMO_IFACE_RX, netring_capture_get_block_count (capture),
           netring_capture_get_block_size (capture), netring_capture_get_frame_size (capture),
           netring_capture_get_block_timeout_ms (capture));
  g_print (_("Injector on %s: %u frames of %u bytes\n"), DEMO_IFACE_TX,
           netring_injector_get_frame_count (injector),
           netring_injector_get_frame_size (injector));
  g_print (_("Sending %d frames of %d bytes…\n"), count, size);

  frame = g_malloc0 ((gsize) size);
  expected = g_malloc0 ((gsize) size);
  seen = g_malloc0 ((gsize) count);
  loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);

  demo.loop = loop;
  demo.cancellable = cancellable;
  demo.count = (guint32) count;
  demo.size = (gsize) size;
  demo.expected = expected;
  demo.seen = seen;
  demo.sender.loop = loop;
  demo.sender.cancellable = cancellable;
  demo.sender.out = NETRING_SENDER (injector);
  demo.sender.frame = frame;
  demo.sender.size = (gsize) size;
  demo.sender.count = (guint32) count;
  demo.sender.src = demo_mac_tx;
  demo.sender.dst = demo_mac_rx;
  /* On veth the sender's own system calls deliver into the capture ring,
   * so an unpaced sender outruns the reader and overflows the ring. Keep at
   * most half the ring's worth of frames in flight: the demo checks
   * integrity, not how the kernel copes with overload (for that, use
   * `netring inject` and `netring stats`). */
  demo.sender.acked = &demo.captured;
  demo.sender.window = MAX (64u, (guint32) ((guint64) netring_capture_get_block_size (capture) *
                                            netring_capture_get_block_count (capture) / 2 /
                                            ((guint64) size + 128)));

  signal_sources = watch_quit_signals (cancellable);
  source = netring_receiver_create_source (NETRING_RECEIVER (capture), cancellable);
  g_source_set_callback (source, G_SOURCE_FUNC (demo_on_batch), &demo, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());

  /* Phase 1: send everything (the loop quits when the ring has drained);
   * the capture source already runs and consumes blocks meanwhile. */
  start = g_get_monotonic_time ();
  watchdog = attach_timeout (2000, demo_on_watchdog, &demo);
  sender_pump (&demo.sender);
  if (demo.sender.error == NULL && !demo.sender.drained)
    g_main_loop_run (loop);
  g_source_destroy (watchdog);
  g_source_unref (watchdog);

  /* Phase 2: let the last blocks retire (block timeout) and arrive. */
  if (demo.sender.error == NULL && demo.error == NULL &&
      !g_cancellable_is_cancelled (cancellable) && demo.intact < demo.count)
    {
      demo.deadline = attach_timeout (3000, demo_on_deadline, &demo);
      g_main_loop_run (loop);
      g_source_destroy (demo.deadline);
      g_source_unref (demo.deadline);
    }
  elapsed = g_get_monotonic_time () - start;

  g_source_destroy (source);
  g_source_unref (source);
  destroy_sources (signal_sources);

  demo_report (&demo, capture, injector, elapsed);

  /* Close the sockets before the interfaces go away. */
  g_clear_object (&capture);
  g_clear_object (&injector);
  demo_delete_veth ();

  if (demo.sender.error != NULL)
    {
      print_error (_("sending failed"), demo.sender.error);
      g_clear_error (&demo.sender.error);
    }
  if (demo.error != NULL)
    {
      print_error (_("capture failed"), demo.error);
      g_clear_error (&demo.error);
    }

  ok = demo.intact == demo.count && demo.damaged == 0 && demo.duplicates == 0;
  if (ok)
    g_print (_("OK: all %u frames arrived intact.\n"), demo.count);
  else
    g_print (_("FAILED: %u of %u frames arrived intact.\n"), demo.intact, demo.count);
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ------------------------------------------------------------------- main */

typedef struct {
  const gchar *name;
  int (*run) (int argc, char **argv);
  const gchar *description;
} Command;

static const Command commands[] = {
  { "demo", cmd_demo, N_("Send frames through a private veth pair and check them") },
  { "capture", cmd_capture, N_("Print a summary line for every captured packet") },
  { "inject", cmd_inject, N_("Send generated frames out of an interface") },
  { "stats", cmd_stats, N_("Print capture statistics every interval") },
};

static void
print_usage (void)
{
  gsize i;

  g_printerr (_("Usage: netring COMMAND [OPTION…]\n\n"
                "Zero-copy packet capture and injection (netring %s).\n\n"
                "Commands:\n"), NETRING_VERSION_STRING);
  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    g_printerr ("  %-10s %s\n", commands[i].name, _(commands[i].description));
  g_printerr (_("\nRun “netring COMMAND --help” for the options of a command.\n"));
}

int
main (int argc, char **argv)
{
  gsize i;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help"))
    {
      print_usage ();
      return argc < 2 ? EXIT_FAILURE : EXIT_SUCCESS;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("netring %s\n", NETRING_VERSION_STRING);
      return EXIT_SUCCESS;
    }

  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (g_str_equal (argv[1], commands[i].name))
        {
          g_autofree gchar *prgname = g_strdup_printf ("netring %s", commands[i].name);

          /* "netring capture --help" should say so in its usage line */
          g_set_prgname (prgname);
          return commands[i].run (argc - 1, argv + 1);
        }
    }

  g_printerr (_("netring: unknown command “%s”\n\n"), argv[1]);
  print_usage ();
  return EXIT_FAILURE;
}
