/* cmd-bridge.c: `netring bridge A B [FILTER]`, frames between two
 * interfaces (NetringBridge), per-direction statistics.
 *
 * A filter expression applies to both directions: it is attached to the
 * two captures the bridge receives with, so the kernel hands over only
 * the frames that match, and only those cross; the others still reach the
 * interface's own network stack as usual.
 */
#include "config.h"

#include "netring-tool.h"

#include <inttypes.h>
#include <stdlib.h>

typedef struct {
  GMainLoop *loop;
  NetringBridge *bridge;
  ToolStatus status;
  gboolean finished;
  GError *error;
} BridgeRun;

static void
bridge_ran (GObject *object, GAsyncResult *result, gpointer user_data)
{
  BridgeRun *run = user_data;

  netring_bridge_run_finish (NETRING_BRIDGE (object), result, &run->error);
  run->finished = TRUE;
  g_main_loop_quit (run->loop);
}

static gboolean
bridge_on_status (gpointer user_data)
{
  BridgeRun *run = user_data;
  g_autoptr(NetringBridgeStats) stats = netring_bridge_get_stats (run->bridge, NULL);
  g_autofree gchar *extra = NULL;

  if (stats == NULL)
    return G_SOURCE_CONTINUE;
  /* TRANSLATORS: the bridge's live status line after the packet count
   * and rate: frames forwarded per direction, then dropped ones */
  extra = g_strdup_printf (_("A→B %" PRIu64 "  B→A %" PRIu64 "  %" PRIu64 " drops"),
                           stats->a_to_b_forwarded, stats->b_to_a_forwarded,
                           stats->a_to_b_dropped + stats->b_to_a_dropped +
                           stats->a_to_b_kernel_drops + stats->b_to_a_kernel_drops +
                           stats->a_to_b_rejected + stats->b_to_a_rejected +
                           stats->a_to_b_too_large + stats->b_to_a_too_large);
  tool_status_update (&run->status, stats->a_to_b_forwarded + stats->b_to_a_forwarded,
                      TOOL_STATUS_NO_BYTES, extra);
  return G_SOURCE_CONTINUE;
}

static void
print_direction (const gchar *name, guint64 received, guint64 forwarded, guint64 dropped,
                 guint64 too_large, guint64 rejected, guint64 kernel_drops)
{
  /* TRANSLATORS: one direction of the bridge's summary: "A→B (eth0 → eth1)",
   * then counters */
  g_printerr (_("%s: %" PRIu64 " received, %" PRIu64 " forwarded, %" PRIu64 " dropped, "
                "%" PRIu64 " too large, %" PRIu64 " rejected by the kernel, "
                "%" PRIu64 " lost in the kernel\n"),
              name, received, forwarded, dropped, too_large, rejected, kernel_drops);
}

int
tool_cmd_bridge (int argc, char **argv)
{
  g_autofree gchar *direction_nick = NULL;
  gboolean promiscuous = FALSE;
  gboolean qdisc_bypass = FALSE;
  gboolean no_status = FALSE;
  gint metrics_port = 0;
  const GOptionEntry entries[] = {
    { "direction", 'd', 0, G_OPTION_ARG_STRING, &direction_nick,
      N_("Forward a-to-b, b-to-a or both (default: both)"), N_("DIRECTION") },
    { "promiscuous", 0, 0, G_OPTION_ARG_NONE, &promiscuous,
      N_("Put both interfaces into promiscuous mode"), NULL },
    { "qdisc-bypass", 0, 0, G_OPTION_ARG_NONE, &qdisc_bypass,
      N_("Bypass the queueing discipline when sending"), NULL },
    { "no-status", 0, 0, G_OPTION_ARG_NONE, &no_status,
      N_("No live status line, even on a terminal"), NULL },
    { "metrics-port", 0, 0, G_OPTION_ARG_INT, &metrics_port,
      N_("Serve Prometheus metrics at http://*:PORT/metrics"), N_("PORT") },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("IFACE_A IFACE_B [FILTER…]"));
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  g_autoptr(NetringMetrics) metrics = NULL;
  g_autofree gchar *filter = NULL;
  g_autofree gchar *a_to_b = NULL;
  g_autofree gchar *b_to_a = NULL;
  NetringBridgeDirections directions = NETRING_BRIDGE_DIRECTIONS_BOTH;
  BridgeRun run = { 0 };
  GPtrArray *signal_sources;
  GSource *tick = NULL;
  guint i;

  g_option_context_set_summary (context, _("Forward frames between two interfaces until "
                                           "Ctrl-C. A filter expression (pcap syntax) "
                                           "chooses what crosses, in both directions."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!tool_parse_options (context, &argc, &argv))
    return TOOL_EXIT_USAGE;
  if (argc < 3)
    return tool_usage_error (_("two interfaces are required"));
  if (direction_nick != NULL)
    {
      if (g_str_equal (direction_nick, "a-to-b"))
        directions = NETRING_BRIDGE_DIRECTIONS_A_TO_B;
      else if (g_str_equal (direction_nick, "b-to-a"))
        directions = NETRING_BRIDGE_DIRECTIONS_B_TO_A;
      else if (!g_str_equal (direction_nick, "both"))
        return tool_usage_error (_("--direction must be a-to-b, b-to-a or both"));
    }
  filter = tool_join_arguments (argc, argv, 3);

  bridge = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error,
                           "interface-a", argv[1],
                           "interface-b", argv[2],
                           "direction", directions,
                           "promiscuous", promiscuous,
                           "qdisc-bypass", qdisc_bypass,
                           NULL);
  if (bridge == NULL)
    {
      tool_print_error (_("cannot open the bridge"), error);
      return tool_exit_status_for (error);
    }
  for (i = NETRING_BRIDGE_DIRECTION_A_TO_B; i <= NETRING_BRIDGE_DIRECTION_B_TO_A; i++)
    {
      NetringReceiver *receiver = netring_bridge_get_receiver (bridge, i);

      if (filter == NULL || receiver == NULL)
        continue;
      if (!NETRING_IS_CAPTURE (receiver) ||
          !netring_capture_set_filter (NETRING_CAPTURE (receiver), filter, &error))
        {
          if (error == NULL)
            g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                                 _("the bridge's receiver takes no socket filter"));
          tool_print_error (_("cannot attach the filter"), error);
          /* as capture: an invalid filter is a failure (1), like an
           * unknown interface */
          return TOOL_EXIT_FAILURE;
        }
    }
  if (metrics_port != 0)
    {
      metrics = tool_metrics_serve (metrics_port, &error);
      if (metrics == NULL)
        {
          tool_print_error (_("cannot serve the metrics"), error);
          return TOOL_EXIT_FAILURE;
        }
      /* the bridge's own counters per direction, and those of the
       * captures and injectors it runs on (kernel drops, ring state) */
      netring_metrics_add (metrics, G_OBJECT (bridge), "bridge");
      for (i = NETRING_BRIDGE_DIRECTION_A_TO_B; i <= NETRING_BRIDGE_DIRECTION_B_TO_A; i++)
        {
          NetringReceiver *receiver = netring_bridge_get_receiver (bridge, i);
          NetringSender *sender = netring_bridge_get_sender (bridge, i);
          const gchar *name = i == NETRING_BRIDGE_DIRECTION_A_TO_B ? "a-to-b" : "b-to-a";

          if (receiver != NULL)
            netring_metrics_add (metrics, G_OBJECT (receiver), name);
          if (sender != NULL)
            netring_metrics_add (metrics, G_OBJECT (sender), name);
        }
    }

  /* TRANSLATORS: %s are two interface names, then a filter expression or
   * "all frames" */
  g_printerr (_("bridging %s and %s, %s\n"), argv[1], argv[2],
              filter != NULL ? filter : _("all frames"));

  loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);
  run.loop = loop;
  run.bridge = bridge;
  tool_status_init (&run.status, !no_status);
  signal_sources = tool_watch_quit_signals (cancellable);
  if (run.status.enabled)
    tick = tool_attach_timeout (TOOL_STATUS_INTERVAL_MS, bridge_on_status, &run);
  netring_bridge_run_async (bridge, cancellable, bridge_ran, &run);
  g_main_loop_run (loop);
  if (tick != NULL)
    {
      g_source_destroy (tick);
      g_source_unref (tick);
    }
  tool_destroy_sources (signal_sources);
  tool_status_clear (&run.status);

  stats = netring_bridge_get_stats (bridge, NULL);
  if (stats != NULL)
    {
      a_to_b = g_strdup_printf ("A→B (%s → %s)", argv[1], argv[2]);
      b_to_a = g_strdup_printf ("B→A (%s → %s)", argv[2], argv[1]);
      print_direction (a_to_b, stats->a_to_b_received, stats->a_to_b_forwarded,
                       stats->a_to_b_dropped, stats->a_to_b_too_large, stats->a_to_b_rejected,
                       stats->a_to_b_kernel_drops);
      print_direction (b_to_a, stats->b_to_a_received, stats->b_to_a_forwarded,
                       stats->b_to_a_dropped, stats->b_to_a_too_large, stats->b_to_a_rejected,
                       stats->b_to_a_kernel_drops);
    }
  if (run.error != NULL)
    {
      tool_print_error (_("forwarding failed"), run.error);
      g_clear_error (&run.error);
      return TOOL_EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
