/* cmd-inject.c: `netring inject`, frames out of an interface through the
 * TX ring (NetringInjector)
 *
 * Either a pcap or pcapng file replayed by NetringPcapReplay (at the
 * recorded timing, scaled by --speed; at --pps frames per second; or as
 * fast as the ring takes them, --topspeed; --loop times), or generated
 * frames: EtherType 0x88b5, a 32-bit sequence number, then a payload
 * pattern, --count of them of --size bytes, at --pps or at full speed.
 *
 * The injector's frame size is raised to fit the longest frame, and frames
 * the kernel rejects (larger than the MTU, for instance) make the command
 * fail, saying why.
 */
#include "config.h"

#include "netring-tool.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define INJECTOR_RING_HEADER 48  /* NetringInjector:frame-size minus frame-capacity */
#define INJECTOR_DEFAULT_FRAME_SIZE 2048

typedef struct {
  guint8 src[6];
  guint8 dst[6];
  GBytes *payload;   /* NULL: the numbered test pattern */
} Generated;

typedef struct {
  GMainLoop *loop;
  NetringInjector *injector;
  ToolStatus status;
  gboolean replay_done;
  GError *replay_error;
} InjectRun;

static void
generated_fill (guint8 *frame, gsize length, guint32 seq, gpointer user_data)
{
  Generated *gen = user_data;
  gsize pattern_length, i;
  const guint8 *pattern;

  tool_fill_test_frame (frame, length, seq, gen->src, gen->dst);
  if (gen->payload == NULL)
    return;
  pattern = g_bytes_get_data (gen->payload, &pattern_length);
  for (i = TOOL_TEST_HEADER_LEN; i < length; i++)
    frame[i] = pattern[(i - TOOL_TEST_HEADER_LEN) % pattern_length];
}

/* "de:ad:be:ef" or "deadbeef" into bytes */
static GBytes *
parse_hex (const gchar *text)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  const gchar *p = text;

  while (*p != '\0')
    {
      gint hi, lo;
      guint8 byte;

      if (*p == ':' || *p == ' ' || *p == '-')
        {
          p++;
          continue;
        }
      hi = g_ascii_xdigit_value (p[0]);
      lo = p[1] != '\0' ? g_ascii_xdigit_value (p[1]) : -1;
      if (hi < 0 || lo < 0)
        return NULL;
      byte = (guint8) (hi << 4 | lo);
      g_byte_array_append (bytes, &byte, 1);
      p += 2;
    }
  if (bytes->len == 0)
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

/* The ring frame size that holds @longest bytes: the default when it
 * fits, else the frame plus the ring header, rounded up to 16. */
static guint
frame_size_for (gsize longest)
{
  gsize needed = longest + INJECTOR_RING_HEADER;

  if (needed <= INJECTOR_DEFAULT_FRAME_SIZE)
    return INJECTOR_DEFAULT_FRAME_SIZE;
  return (guint) ((needed + 15) & ~(gsize) 15);
}

static gboolean
inject_on_status (gpointer user_data)
{
  InjectRun *run = user_data;
  g_autoptr(NetringInjectorStats) stats = netring_injector_get_stats (run->injector);
  g_autofree gchar *extra = NULL;

  /* TRANSLATORS: after the live count and rate of `netring inject` */
  extra = g_strdup_printf (_("%" PRIu64 " rejected  %u pending"),
                           stats->frames_rejected + stats->frames_refused,
                           netring_injector_get_pending (run->injector));
  tool_status_update (&run->status, stats->frames_sent, stats->bytes_sent, extra);
  return G_SOURCE_CONTINUE;
}

static void
replay_ran (GObject *object, GAsyncResult *result, gpointer user_data)
{
  InjectRun *run = user_data;

  netring_pcap_replay_run_finish (NETRING_PCAP_REPLAY (object), result, &run->replay_error);
  run->replay_done = TRUE;
  g_main_loop_quit (run->loop);
}

static void
quit_on_cancel (GCancellable *cancellable, gpointer user_data)
{
  g_main_loop_quit (user_data);
}

/* The longest record of the file at @path, and how many there are. */
static gboolean
scan_file (const gchar *path, gsize *longest, guint64 *records, gint *link_type, GError **error)
{
  g_autoptr(NetringPcapReader) reader = netring_pcap_reader_new (path, error);
  GError *local_error = NULL;

  if (reader == NULL)
    return FALSE;
  *longest = 0;
  *records = 0;
  *link_type = netring_pcap_reader_get_link_type (reader);
  for (;;)
    {
      g_autoptr(NetringPacket) packet = netring_pcap_reader_next_packet (reader, &local_error);

      if (packet == NULL)
        break;
      *longest = MAX (*longest, netring_packet_get_captured_length (packet));
      (*records)++;
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

int
tool_cmd_inject (int argc, char **argv)
{
  g_autofree gchar *interface = NULL;
  g_autofree gchar *read_file = NULL;
  g_autofree gchar *dst_mac = NULL;
  g_autofree gchar *src_mac = NULL;
  g_autofree gchar *payload = NULL;
  gint count = 1000;
  gint size = 64;
  gdouble speed = 0;
  gdouble pps = 0;
  gboolean topspeed = FALSE;
  gint loops = 1;
  gboolean qdisc_bypass = FALSE;
  gboolean no_status = FALSE;
  gint metrics_port = 0;
  const GOptionEntry entries[] = {
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &interface,
      N_("Network interface to send on"), N_("IFACE") },
    { "read", 'r', 0, G_OPTION_ARG_FILENAME, &read_file,
      N_("Replay the frames of a pcap or pcapng file"), N_("FILE") },
    { "speed", 0, 0, G_OPTION_ARG_DOUBLE, &speed,
      N_("Replay at the recorded timing, X times as fast (default: 1)"), N_("X") },
    { "pps", 0, 0, G_OPTION_ARG_DOUBLE, &pps,
      N_("Send N frames per second"), N_("N") },
    { "topspeed", 0, 0, G_OPTION_ARG_NONE, &topspeed,
      N_("Replay as fast as the ring takes the frames"), NULL },
    { "loop", 0, 0, G_OPTION_ARG_INT, &loops,
      N_("Replay the file N times, 0 until Ctrl-C (default: 1)"), N_("N") },
    { "count", 'c', 0, G_OPTION_ARG_INT, &count,
      N_("Number of frames to generate (default: 1000)"), N_("N") },
    { "size", 's', 0, G_OPTION_ARG_INT, &size,
      N_("Size of generated frames, Ethernet header included (default: 64)"), N_("BYTES") },
    { "dst-mac", 0, 0, G_OPTION_ARG_STRING, &dst_mac,
      N_("Destination MAC of generated frames (default: ff:ff:ff:ff:ff:ff)"), N_("MAC") },
    { "src-mac", 0, 0, G_OPTION_ARG_STRING, &src_mac,
      N_("Source MAC of generated frames (default: the interface's)"), N_("MAC") },
    { "payload", 0, 0, G_OPTION_ARG_STRING, &payload,
      N_("Payload of generated frames after the sequence number, hex bytes repeated "
         "(default: a pattern of the sequence number)"), N_("HEX") },
    { "qdisc-bypass", 0, 0, G_OPTION_ARG_NONE, &qdisc_bypass,
      N_("Bypass the queueing discipline (other packet sockets will not see the frames)"),
      NULL },
    { "no-status", 0, 0, G_OPTION_ARG_NONE, &no_status,
      N_("No live status line, even on a terminal"), NULL },
    { "metrics-port", 0, 0, G_OPTION_ARG_INT, &metrics_port,
      N_("Serve Prometheus metrics at http://*:PORT/metrics"), N_("PORT") },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringPcapReader) reader = NULL;
  g_autoptr(NetringPcapReplay) replay = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(NetringMetrics) metrics = NULL;
  g_autoptr(NetringInterfaceInfo) info = NULL;
  g_autofree guint8 *frame = NULL;
  Generated gen = { { 0x02, 0x00, 0x00, 0x6e, 0x72, 0x01 },
                    { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, NULL };
  ToolSender sender = { 0 };
  InjectRun run = { 0 };
  GPtrArray *signal_sources;
  GSource *tick = NULL;
  gint64 start, elapsed;
  gsize longest;
  guint64 records = 0, rejected;
  gint link_type = NETRING_LINK_TYPE_ETHERNET;
  int status = EXIT_SUCCESS;

  g_option_context_set_summary (context, _("Send the frames of a pcap/pcapng file (-r) or "
                                           "generated frames (EtherType 0x88b5, numbered) "
                                           "through the TX ring."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!tool_parse_options (context, &argc, &argv))
    return TOOL_EXIT_USAGE;
  if (argc > 1)
    return tool_usage_error (_("unexpected argument “%s”"), argv[1]);
  if (interface == NULL)
    return tool_usage_error (_("--interface is required"));
  if ((speed != 0) + (pps != 0) + (topspeed != 0) > 1)
    return tool_usage_error (_("--speed, --pps and --topspeed exclude each other"));
  if (speed < 0 || pps < 0)
    return tool_usage_error (_("--speed and --pps must be positive"));
  if (loops < 0)
    return tool_usage_error (_("--loop must not be negative"));
  if (read_file == NULL && (speed != 0 || topspeed || loops != 1))
    return tool_usage_error (_("--speed, --topspeed and --loop apply to a replay (-r FILE)"));
  if (count <= 0)
    return tool_usage_error (_("--count must be positive"));
  if (size < TOOL_TEST_HEADER_LEN || size > 65535)
    return tool_usage_error (_("--size must be between %d and %d bytes"),
                             TOOL_TEST_HEADER_LEN, 65535);
  if (dst_mac != NULL && !tool_parse_mac (dst_mac, gen.dst))
    return tool_usage_error (_("--dst-mac “%s” is not a MAC address"), dst_mac);
  if (src_mac != NULL && !tool_parse_mac (src_mac, gen.src))
    return tool_usage_error (_("--src-mac “%s” is not a MAC address"), src_mac);
  if (payload != NULL && (gen.payload = parse_hex (payload)) == NULL)
    return tool_usage_error (_("--payload “%s” is not a sequence of hex bytes"), payload);

  if (read_file != NULL)
    {
      if (!scan_file (read_file, &longest, &records, &link_type, &error))
        {
          tool_print_error (read_file, error);
          g_clear_pointer (&gen.payload, g_bytes_unref);
          return TOOL_EXIT_FAILURE;
        }
      if (link_type != NETRING_LINK_TYPE_ETHERNET)
        g_printerr (_("netring inject: warning: %s holds link type %d, not Ethernet: the frames "
                      "are sent as they are\n"), read_file, link_type);
    }
  else
    longest = (gsize) size;

  /* the interface's own address as the source of generated frames */
  info = netring_interface_info_new (interface, NULL);
  if (src_mac == NULL && info != NULL)
    {
      GBytes *address = netring_interface_info_get_address (info);

      if (address != NULL && g_bytes_get_size (address) == 6)
        memcpy (gen.src, g_bytes_get_data (address, NULL), 6);
    }

  injector = g_initable_new (NETRING_TYPE_INJECTOR, NULL, &error,
                             "interface", interface,
                             "qdisc-bypass", qdisc_bypass,
                             "frame-size", frame_size_for (longest),
                             NULL);
  if (injector == NULL)
    {
      tool_print_error (_("cannot open the injector"), error);
      g_clear_pointer (&gen.payload, g_bytes_unref);
      return tool_exit_status_for (error);
    }
  if (metrics_port != 0)
    {
      metrics = tool_metrics_serve (metrics_port, &error);
      if (metrics == NULL)
        {
          tool_print_error (_("cannot serve the metrics"), error);
          g_clear_pointer (&gen.payload, g_bytes_unref);
          return TOOL_EXIT_FAILURE;
        }
      netring_metrics_add (metrics, G_OBJECT (injector), "inject");
    }

  loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);
  run.loop = loop;
  run.injector = injector;
  tool_status_init (&run.status, !no_status);
  signal_sources = tool_watch_quit_signals (cancellable);
  if (run.status.enabled)
    tick = tool_attach_timeout (TOOL_STATUS_INTERVAL_MS, inject_on_status, &run);

  start = g_get_monotonic_time ();
  if (read_file != NULL)
    {
      reader = netring_pcap_reader_new (read_file, &error);
      if (reader == NULL)
        {
          tool_print_error (read_file, error);
          status = TOOL_EXIT_FAILURE;
          goto out;
        }
      replay = netring_pcap_replay_new (reader, NETRING_SENDER (injector));
      if (topspeed)
        netring_pcap_replay_set_mode (replay, NETRING_PCAP_REPLAY_MODE_TOPSPEED);
      else if (pps > 0)
        {
          netring_pcap_replay_set_mode (replay, NETRING_PCAP_REPLAY_MODE_RATE);
          netring_pcap_replay_set_rate (replay, pps);
        }
      else
        {
          netring_pcap_replay_set_mode (replay, NETRING_PCAP_REPLAY_MODE_RECORDED);
          netring_pcap_replay_set_speed (replay, speed > 0 ? speed : 1.0);
        }
      netring_pcap_replay_set_loop_count (replay, (guint) loops);
      /* TRANSLATORS: %s: file, then the count of frames, then interface */
      g_printerr (_("replaying %s (%" PRIu64 " frames) on %s\n"), read_file, records, interface);
      netring_pcap_replay_run_async (replay, cancellable, replay_ran, &run);
      g_main_loop_run (loop);
    }
  else
    {
      frame = g_malloc0 ((gsize) size);
      sender.loop = loop;
      sender.cancellable = cancellable;
      sender.out = NETRING_SENDER (injector);
      sender.frame = frame;
      sender.size = (gsize) size;
      sender.count = (guint32) count;
      sender.fill = generated_fill;
      sender.fill_data = &gen;
      sender.pps = pps;
      g_cancellable_connect (cancellable, G_CALLBACK (quit_on_cancel), loop, NULL);
      g_printerr (_("sending %d frames of %d bytes on %s\n"), count, size, interface);
      tool_sender_pump (&sender);
      if (sender.error == NULL && !sender.drained && !g_cancellable_is_cancelled (cancellable))
        g_main_loop_run (loop);
      tool_sender_clear (&sender);
      /* what Ctrl-C left queued still goes out */
      if (g_cancellable_is_cancelled (cancellable))
        netring_injector_wait_drained (injector, 1000, NULL, NULL);
    }

out:
  elapsed = g_get_monotonic_time () - start;
  if (tick != NULL)
    {
      g_source_destroy (tick);
      g_source_unref (tick);
    }
  tool_destroy_sources (signal_sources);
  tool_status_clear (&run.status);

  stats = netring_injector_get_stats (injector);
  tool_print_injector_stats (stats);
  g_print (_("%" PRIu64 " frames (%" PRIu64 " bytes) sent in %.3f s (%.0f frames/s)\n"),
           stats->frames_sent, stats->bytes_sent, elapsed / 1e6,
           elapsed > 0 ? stats->frames_sent / (elapsed / 1e6) : 0.0);

  /* frames the kernel took but would not send (the library refuses
   * what it knows the kernel would reject, with an error said below) */
  rejected = stats->frames_rejected;
  if (replay != NULL)
    rejected = MAX (rejected, netring_pcap_replay_get_frames_rejected (replay));
  if (rejected > 0)
    {
      guint mtu = info != NULL ? netring_interface_info_get_mtu (info) : 0;

      /* TRANSLATORS: a count, the interface, then the reason the kernel
       * gave */
      g_printerr (_("netring inject: the kernel rejected %" PRIu64 " frames on %s: %s\n"),
                  rejected, interface,
                  stats->last_reject_errno != 0 ? g_strerror (stats->last_reject_errno)
                                                : _("no reason given"));
      if (mtu > 0 && longest > mtu + 14u)
        g_printerr (_("netring inject: frames of up to %lu bytes do not fit "
                      "the MTU of %s (%u bytes plus the 14-byte Ethernet header)\n"),
                    (gulong) longest, interface, mtu);
      status = TOOL_EXIT_FAILURE;
    }
  if (sender.error != NULL)
    {
      if (!g_error_matches (sender.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          tool_print_error (_("sending failed"), sender.error);
          status = TOOL_EXIT_FAILURE;
        }
      g_clear_error (&sender.error);
    }
  if (run.replay_error != NULL)
    {
      if (!g_error_matches (run.replay_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          tool_print_error (_("replay failed"), run.replay_error);
          status = TOOL_EXIT_FAILURE;
        }
      g_clear_error (&run.replay_error);
    }
  g_clear_pointer (&gen.payload, g_bytes_unref);
  return status;
}
