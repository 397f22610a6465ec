/* netring-stats.h: capture statistics */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <glib-object.h>
#include <netring/netring-version-macros.h>

G_BEGIN_DECLS

#define NETRING_TYPE_CAPTURE_STATS (netring_capture_stats_get_type ())

typedef struct _NetringCaptureStats NetringCaptureStats;

/**
 * NetringCaptureStats:
 * @packets: packets the socket accepted after its filter, including those
 *   dropped afterwards because the ring was full (the kernel's `tp_packets`)
 * @drops: packets dropped because no ring block was free (`tp_drops`)
 * @freezes: times the ring froze because every block was owned by the user
 *   (`tp_freeze_q_cnt`)
 * @received: packets handed to the user in batches
 * @batches: batches (ring blocks) handed to the user
 * @lost_blocks: blocks missing from the sequence of block numbers; the
 *   kernel numbers every block it opens, so this stays 0 unless ring blocks
 *   were skipped
 * @held_batches: batches handed out and not released yet (a gauge, not a
 *   counter: the same in cumulative and delta statistics)
 * @held_packets: packets in those held batches (a gauge)
 *
 * Statistics of a #NetringCapture. All counters are 64-bit and never wrap in
 * practice. netring_capture_get_cumulative_stats() returns totals since the
 * capture was created; netring_capture_get_stats() returns what changed since
 * the previous call of netring_capture_get_stats(). Both can be used on the
 * same capture: reading one never loses counts for the other.
 *
 * Packets the user held back keep their ring block away from the kernel; a
 * growing @held_batches together with @drops means the consumer keeps
 * references too long.
 */
struct _NetringCaptureStats {
  guint64 packets;
  guint64 drops;
  guint64 freezes;
  guint64 received;
  guint64 batches;
  guint64 lost_blocks;
  guint64 held_batches;
  guint64 held_packets;
};

NETRING_AVAILABLE_IN_ALL
GType netring_capture_stats_get_type (void) G_GNUC_CONST;
NETRING_AVAILABLE_IN_ALL
NetringCaptureStats *netring_capture_stats_copy (const NetringCaptureStats *stats);
NETRING_AVAILABLE_IN_ALL
void netring_capture_stats_free (NetringCaptureStats *stats);
NETRING_AVAILABLE_IN_ALL
gchar *netring_capture_stats_to_string (const NetringCaptureStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetringCaptureStats, netring_capture_stats_free)

G_END_DECLS
