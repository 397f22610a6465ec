/* cmd-stats.c: `netring stats`, capture rates and totals every interval
 *
 * Every line has two groups kept apart: the rates over the last interval
 * (per second) and the totals since the start, so that a number is never
 * a rate in one column and a count in the next.
 */
#include "config.h"

#include "netring-tool.h"

#include <inttypes.h>
#include <stdlib.h>

typedef struct {
  GMainLoop *loop;
  NetringCapture *capture;
  gint iterations;
  gint ticks;
  gint64 last_time;
  guint64 bytes;        /* total wire bytes */
  guint64 last_bytes;
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
    return tool_source_ended (error, run->loop, &run->error);
  /* Consume promptly: a batch kept here would keep its block from the
   * kernel and the statistics would show drops we caused ourselves. */
  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    run->bytes += info.wire_length;
  return G_SOURCE_CONTINUE;
}

static void
print_header (void)
{
  /* TRANSLATORS: column headers of `netring stats`; keep the widths: the
   * first group are rates per second over the interval, the second totals
   * since the start */
  g_print (_("%-8s | %10s %9s %9s | %12s %14s %10s %6s\n"),
           _("time"), _("pkt/s"), _("Mbit/s"), _("drops/s"),
           _("packets"), _("bytes"), _("drops"), _("held"));
}

static gboolean
stats_on_tick (gpointer user_data)
{
  StatsRun *run = user_data;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(NetringReceiverStats) delta = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *when = g_date_time_format (now, "%H:%M:%S");
  gint64 now_us = g_get_monotonic_time ();
  gdouble seconds = MAX (1e-6, (now_us - run->last_time) / 1e6);

  stats = netring_receiver_get_stats (NETRING_RECEIVER (run->capture), &run->error);
  if (stats == NULL)
    {
      g_main_loop_quit (run->loop);
      return G_SOURCE_REMOVE;
    }
  delta = netring_receiver_stats_subtract (stats, run->last);
  g_print ("%-8s | %10.0f %9.2f %9.0f | %12" PRIu64 " %14" PRIu64 " %10" PRIu64 " %6" PRIu64 "\n",
           when, delta->packets / seconds, (run->bytes - run->last_bytes) * 8.0 / seconds / 1e6,
           delta->drops / seconds, stats->packets, run->bytes, stats->drops,
           stats->held_batches);
  g_clear_pointer (&run->last, netring_receiver_stats_free);
  run->last = g_steal_pointer (&stats);
  run->last_bytes = run->bytes;
  run->last_time = now_us;
  if (run->iterations > 0 && ++run->ticks >= run->iterations)
    {
      g_main_loop_quit (run->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
quit_on_cancel (GCancellable *cancellable, gpointer user_data)
{
  g_main_loop_quit (user_data);
}

int
tool_cmd_stats (int argc, char **argv)
{
  g_autofree gchar *interface = NULL;
  g_autofree gchar *profile_nick = NULL;
  gint interval = 1;
  gint iterations = 0;
  gint metrics_port = 0;
  gboolean promiscuous = FALSE;
  const GOptionEntry entries[] = {
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &interface,
      N_("Network interface to watch"), N_("IFACE") },
    { "interval", 'n', 0, G_OPTION_ARG_INT, &interval,
      N_("Seconds between two lines (default: 1)"), N_("SECONDS") },
    { "count", 'c', 0, G_OPTION_ARG_INT, &iterations,
      N_("Stop after N lines (default: until Ctrl-C)"), N_("N") },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile_nick,
      N_("Ring profile: default, high-throughput, low-latency, low-memory or jumbo-frames"),
      N_("PROFILE") },
    { "promiscuous", 0, 0, G_OPTION_ARG_NONE, &promiscuous,
      N_("Put the interface into promiscuous mode while watching"), NULL },
    { "metrics-port", 0, 0, G_OPTION_ARG_INT, &metrics_port,
      N_("Serve Prometheus metrics at http://*:PORT/metrics"), N_("PORT") },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetringReceiverStats) total = NULL;
  g_autoptr(NetringMetrics) metrics = NULL;
  NetringRingProfile profile;
  StatsRun run = { 0 };
  GSource *source, *tick;
  GPtrArray *signal_sources;

  g_option_context_set_summary (context, _("Print the capture rates over every interval and "
                                           "the totals since the start, kept apart."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!tool_parse_options (context, &argc, &argv))
    return TOOL_EXIT_USAGE;
  if (interface == NULL)
    return tool_usage_error (_("--interface is required"));
  if (argc > 1)
    return tool_usage_error (_("unexpected argument “%s”"), argv[1]);
  if (interval <= 0 || interval > 86400)
    return tool_usage_error (_("--interval must be between 1 and 86400 seconds"));
  if (!tool_parse_profile (profile_nick, &profile, &error))
    return tool_usage_error ("%s", error->message);

  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error,
                            "interface", interface,
                            "profile", profile,
                            "promiscuous", promiscuous,
                            NULL);
  if (capture == NULL)
    {
      tool_print_error (_("cannot open the capture"), error);
      return tool_exit_status_for (error);
    }
  if (metrics_port != 0)
    {
      metrics = tool_metrics_serve (metrics_port, &error);
      if (metrics == NULL)
        {
          tool_print_error (_("cannot serve the metrics"), error);
          return TOOL_EXIT_FAILURE;
        }
      netring_metrics_add (metrics, G_OBJECT (capture), "stats");
    }

  loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);
  run.loop = loop;
  run.capture = capture;
  run.iterations = iterations;
  run.last = g_new0 (NetringReceiverStats, 1); /* rates from the start */
  run.last_time = g_get_monotonic_time ();

  print_header ();
  signal_sources = tool_watch_quit_signals (cancellable);
  g_cancellable_connect (cancellable, G_CALLBACK (quit_on_cancel), loop, NULL);
  source = netring_receiver_create_source (NETRING_RECEIVER (capture), cancellable);
  g_source_set_callback (source, G_SOURCE_FUNC (stats_on_batch), &run, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  tick = tool_attach_timeout ((guint) interval * 1000, stats_on_tick, &run);

  g_main_loop_run (loop);

  g_source_destroy (tick);
  g_source_unref (tick);
  g_source_destroy (source);
  g_source_unref (source);
  tool_destroy_sources (signal_sources);
  g_clear_pointer (&run.last, netring_receiver_stats_free);

  total = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  if (total != NULL)
    {
      g_autofree gchar *text = netring_receiver_stats_to_string (total);
      g_print (_("Total: %s\n"), text);
    }
  if (run.error != NULL)
    {
      tool_print_error (_("capture failed"), run.error);
      g_clear_error (&run.error);
      return TOOL_EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
