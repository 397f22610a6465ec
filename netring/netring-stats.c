/* netring-stats.c: statistics types */
#include "netring-private.h"

#include <inttypes.h>

/**
 * SECTION:netring-stats
 * @short_description: Statistics of receivers and senders
 * @title: Statistics
 * @see_also: netring_receiver_get_stats()
 *
 * Plain structures of 64-bit counters. netring_receiver_get_stats() returns
 * a #NetringReceiverStats describing what a receiver saw, received and lost:
 * every packet the kernel dropped is in #NetringReceiverStats.drops, nothing
 * is lost without being counted. Statistics are cumulative and reading them
 * has no side effects; netring_receiver_stats_subtract() turns two readings
 * into the change between them.
 */

/* ---- receivers ----------------------------------------------------------- */

G_DEFINE_BOXED_TYPE (NetringReceiverStats, netring_receiver_stats, netring_receiver_stats_copy,
                     netring_receiver_stats_free)

/**
 * netring_receiver_stats_copy:
 * @stats: statistics
 *
 * Copies @stats.
 *
 * Returns: (transfer full): a copy, free with netring_receiver_stats_free()
 */
NetringReceiverStats *
netring_receiver_stats_copy (const NetringReceiverStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  return g_memdup2 (stats, sizeof *stats);
}

/**
 * netring_receiver_stats_free:
 * @stats: statistics
 *
 * Frees @stats.
 */
void
netring_receiver_stats_free (NetringReceiverStats *stats)
{
  g_free (stats);
}

/**
 * netring_receiver_stats_to_string:
 * @stats: statistics
 *
 * Formats @stats on one line for people, for example
 * `packets 1000, received 990, drops 10, freezes 1, batches 3, lost blocks 0, held 0/0`.
 *
 * Returns: (transfer full): a newly allocated string
 */
gchar *
netring_receiver_stats_to_string (const NetringReceiverStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  netring_i18n_init ();
  /* TRANSLATORS: a one-line summary of capture counters; keep the order */
  /* PRIu64 rather than G_GUINT64_FORMAT: xgettext understands <PRIu64>
   * in a translatable format, not GLib's macros */
  return g_strdup_printf (_("packets %" PRIu64 ", received %" PRIu64 ", drops %" PRIu64
                            ", freezes %" PRIu64 ", batches %" PRIu64 ", lost blocks %" PRIu64
                            ", held %" PRIu64 "/%" PRIu64),
                          (uint64_t) stats->packets, (uint64_t) stats->received,
                          (uint64_t) stats->drops, (uint64_t) stats->freezes,
                          (uint64_t) stats->batches, (uint64_t) stats->lost_blocks,
                          (uint64_t) stats->held_batches, (uint64_t) stats->held_packets);
}

/**
 * netring_receiver_stats_subtract:
 * @stats: a later reading
 * @earlier: an earlier reading of the same receiver
 *
 * What changed from @earlier to @stats, for periodic reports: each counter
 * is the difference, the gauges #NetringReceiverStats.held_batches and
 * #NetringReceiverStats.held_packets are the values of @stats.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NetringReceiverStats) now = netring_receiver_get_stats (receiver, &error);
 * g_autoptr(NetringReceiverStats) delta = netring_receiver_stats_subtract (now, last);
 * ]|
 *
 * Returns: (transfer full): the change, free with netring_receiver_stats_free()
 */
NetringReceiverStats *
netring_receiver_stats_subtract (const NetringReceiverStats *stats,
                                 const NetringReceiverStats *earlier)
{
  NetringReceiverStats *delta;

  g_return_val_if_fail (stats != NULL, NULL);
  g_return_val_if_fail (earlier != NULL, NULL);

  delta = netring_receiver_stats_copy (stats);
  delta->packets -= earlier->packets;
  delta->drops -= earlier->drops;
  delta->freezes -= earlier->freezes;
  delta->received -= earlier->received;
  delta->batches -= earlier->batches;
  delta->lost_blocks -= earlier->lost_blocks;
  return delta;
}
