/* netring-stats.c: NetringCaptureStats boxed type */
#include "netring-private.h"

#include <inttypes.h>

/**
 * SECTION:netring-stats
 * @short_description: Capture statistics
 * @title: NetringCaptureStats
 * @see_also: netring_capture_get_stats(), netring_capture_get_cumulative_stats()
 *
 * A plain structure of 64-bit counters describing what a #NetringCapture saw,
 * received and lost. Every packet the kernel dropped is in @drops: nothing is
 * lost without being counted.
 */

G_DEFINE_BOXED_TYPE (NetringCaptureStats, netring_capture_stats, netring_capture_stats_copy,
                     netring_capture_stats_free)

/**
 * netring_capture_stats_copy:
 * @stats: statistics
 *
 * Copies @stats.
 *
 * Returns: (transfer full): a copy, free with netring_capture_stats_free()
 */
NetringCaptureStats *
netring_capture_stats_copy (const NetringCaptureStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  return g_memdup2 (stats, sizeof *stats);
}

/**
 * netring_capture_stats_free:
 * @stats: statistics
 *
 * Frees @stats.
 */
void
netring_capture_stats_free (NetringCaptureStats *stats)
{
  g_free (stats);
}

/**
 * netring_capture_stats_to_string:
 * @stats: statistics
 *
 * Formats @stats on one line for people, for example
 * `packets 1000, received 990, drops 10, freezes 1, batches 3, lost blocks 0, held 0/0`.
 *
 * Returns: (transfer full): a newly allocated string
 */
gchar *
netring_capture_stats_to_string (const NetringCaptureStats *stats)
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
