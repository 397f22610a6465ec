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

/* ---- AF_XDP sockets ------------------------------------------------------ */

G_DEFINE_BOXED_TYPE (NetringXdpStats, netring_xdp_stats, netring_xdp_stats_copy,
                     netring_xdp_stats_free)

/**
 * netring_xdp_stats_copy:
 * @stats: statistics
 *
 * Copies @stats.
 *
 * Returns: (transfer full): a copy, free with netring_xdp_stats_free()
 */
NetringXdpStats *
netring_xdp_stats_copy (const NetringXdpStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  return g_memdup2 (stats, sizeof *stats);
}

/**
 * netring_xdp_stats_free:
 * @stats: statistics
 *
 * Frees @stats.
 */
void
netring_xdp_stats_free (NetringXdpStats *stats)
{
  g_free (stats);
}

/**
 * netring_xdp_stats_to_string:
 * @stats: statistics
 *
 * Formats @stats on one line for people, for example
 * `received 1000 (64000 bytes), queued 10, sent 10, rejected 0, device
 * dropped 0, invalid 0; kernel: rx dropped 0, rx ring full 0, fill ring
 * empty 3, rx invalid 0, tx invalid 0, tx ring empty 12`.
 *
 * Returns: (transfer full): a newly allocated string
 */
gchar *
netring_xdp_stats_to_string (const NetringXdpStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  netring_i18n_init ();
  /* TRANSLATORS: a one-line summary of AF_XDP socket counters; keep the
   * order. The part after "kernel:" are the kernel's XDP_STATISTICS. */
  return g_strdup_printf (_("received %" PRIu64 " (%" PRIu64 " bytes), queued %" PRIu64
                            ", sent %" PRIu64 ", rejected %" PRIu64 ", device dropped %" PRIu64
                            ", invalid %" PRIu64 "; kernel: rx dropped %" PRIu64
                            ", rx ring full %" PRIu64 ", fill ring empty %" PRIu64
                            ", rx invalid %" PRIu64 ", tx invalid %" PRIu64
                            ", tx ring empty %" PRIu64),
                          (uint64_t) stats->received, (uint64_t) stats->received_bytes,
                          (uint64_t) stats->queued, (uint64_t) stats->sent,
                          (uint64_t) stats->rejected, (uint64_t) stats->device_dropped,
                          (uint64_t) stats->received_invalid, (uint64_t) stats->rx_dropped,
                          (uint64_t) stats->rx_ring_full,
                          (uint64_t) stats->rx_fill_ring_empty_descs,
                          (uint64_t) stats->rx_invalid_descs, (uint64_t) stats->tx_invalid_descs,
                          (uint64_t) stats->tx_ring_empty_descs);
}

/* ---- end of AF_XDP sockets ------------------------------------------------ */
