/* cmd-demo.c: `netring demo`, frames through a private veth pair, checked
 * byte for byte
 *
 * The main job of the program (README.md): it creates a veth pair in a
 * network namespace of its own, sends numbered frames with the injector,
 * captures them on the other end and checks every one.
 */
/* unshare() and CLONE_NEWNET */
#define _GNU_SOURCE

#include "config.h"

#include "netring-tool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEMO_IFACE_TX "nrdemo0"
#define DEMO_IFACE_RX "nrdemo1"

static const guint8 demo_mac_tx[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const guint8 demo_mac_rx[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

typedef struct {
  GMainLoop *loop;
  GCancellable *cancellable;
  ToolSender sender;
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
demo_fill (guint8 *frame, gsize length, guint32 seq, gpointer user_data)
{
  tool_fill_test_frame (frame, length, seq, demo_mac_tx, demo_mac_rx);
}

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
    return tool_source_ended (error, demo->loop, &demo->error);

  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    {
      guint32 seq;

      if (!tool_is_test_frame (info.data, info.captured_length))
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

      seq = tool_test_frame_seq (info.data);
      tool_fill_test_frame (demo->expected, demo->size, seq, demo_mac_tx, demo_mac_rx);
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
      tool_sender_pump (&demo->sender);
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
      g_autofree gchar *first = tool_format_timestamp (demo->first_ts);
      g_autofree gchar *last = tool_format_timestamp (demo->last_ts);

      g_print (_("First timestamp:    %s\n"), first);
      g_print (_("Last timestamp:     %s\n"), last);
      if (span_ns > 0)
        g_print (_("Rate:               %.0f frames/s, %.1f Mbit/s (from the timestamps)\n"),
                 (demo->captured - 1) / (span_ns / 1e9),
                 demo->bytes * 8.0 / (span_ns / 1e9) / 1e6);
    }
  g_print (_("Wall time:          %.3f s\n"), elapsed_us / 1e6);
  tool_print_injector_stats (tx_stats);
  if (stats != NULL)
    {
      g_autofree gchar *text = netring_receiver_stats_to_string (stats);
      g_print (_("Capture statistics: %s\n"), text);
    }
  else
    tool_print_error (_("cannot read the capture statistics"), error);
}

int
tool_cmd_demo (int argc, char **argv)
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
  if (!tool_parse_options (context, &argc, &argv))
    return TOOL_EXIT_USAGE;
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
    return TOOL_EXIT_SKIP;
  if (!demo_create_veth (&error))
    {
      tool_print_error (_("cannot create the veth pair"), error);
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
      tool_print_error (_("cannot open the capture"), error);
      demo_delete_veth ();
      return tool_exit_status_for (error);
    }
  injector = netring_injector_new (DEMO_IFACE_TX, &error);
  if (injector == NULL)
    {
      tool_print_error (_("cannot open the injector"), error);
      demo_delete_veth ();
      return tool_exit_status_for (error);
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
  demo.sender.fill = demo_fill;
  demo.sender.fill_data = NULL;
  /* On veth the sender's own system calls deliver into the capture ring,
   * so an unpaced sender outruns the reader and overflows the ring. Keep at
   * most half the ring's worth of frames in flight: the demo checks
   * integrity, not how the kernel copes with overload (for that, use
   * `netring inject` and `netring stats`). */
  demo.sender.acked = &demo.captured;
  demo.sender.window = MAX (64u, (guint32) ((guint64) netring_capture_get_block_size (capture) *
                                            netring_capture_get_block_count (capture) / 2 /
                                            ((guint64) size + 128)));

  signal_sources = tool_watch_quit_signals (cancellable);
  source = netring_receiver_create_source (NETRING_RECEIVER (capture), cancellable);
  g_source_set_callback (source, G_SOURCE_FUNC (demo_on_batch), &demo, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());

  /* Phase 1: send everything (the loop quits when the ring has drained);
   * the capture source already runs and consumes blocks meanwhile. */
  start = g_get_monotonic_time ();
  watchdog = tool_attach_timeout (2000, demo_on_watchdog, &demo);
  tool_sender_pump (&demo.sender);
  if (demo.sender.error == NULL && !demo.sender.drained)
    g_main_loop_run (loop);
  g_source_destroy (watchdog);
  g_source_unref (watchdog);

  /* Phase 2: let the last blocks retire (block timeout) and arrive. */
  if (demo.sender.error == NULL && demo.error == NULL &&
      !g_cancellable_is_cancelled (cancellable) && demo.intact < demo.count)
    {
      demo.deadline = tool_attach_timeout (3000, demo_on_deadline, &demo);
      g_main_loop_run (loop);
      g_source_destroy (demo.deadline);
      g_source_unref (demo.deadline);
    }
  elapsed = g_get_monotonic_time () - start;

  g_source_destroy (source);
  g_source_unref (source);
  tool_destroy_sources (signal_sources);

  demo_report (&demo, capture, injector, elapsed);

  /* Close the sockets before the interfaces go away. */
  g_clear_object (&capture);
  g_clear_object (&injector);
  demo_delete_veth ();

  if (demo.sender.error != NULL)
    {
      tool_print_error (_("sending failed"), demo.sender.error);
      g_clear_error (&demo.sender.error);
    }
  if (demo.error != NULL)
    {
      tool_print_error (_("capture failed"), demo.error);
      g_clear_error (&demo.error);
    }

  ok = demo.intact == demo.count && demo.damaged == 0 && demo.duplicates == 0;
  if (ok)
    g_print (_("OK: all %u frames arrived intact.\n"), demo.count);
  else
    g_print (_("FAILED: %u of %u frames arrived intact.\n"), demo.intact, demo.count);
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

