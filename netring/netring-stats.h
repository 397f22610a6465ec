/* netring-stats.h: statistics of captures and injectors */
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

/* ---- injector ---------------------------------------------------------- */

#define NETRING_TYPE_INJECTOR_STATS (netring_injector_stats_get_type ())

typedef struct _NetringInjectorStats NetringInjectorStats;

/**
 * NetringInjectorStats:
 * @frames_queued: frames committed to the TX ring
 * @frames_sent: frames the kernel transmitted (their slot came back)
 * @bytes_sent: bytes of those frames
 * @frames_rejected: frames the kernel refused although the API let them
 *   through (for example after the interface's MTU was lowered); see
 *   @last_reject_errno
 * @frames_refused: frames the API refused before they reached the ring:
 *   empty, longer than #NetringInjector:frame-capacity, or longer than the
 *   interface's MTU plus its link-layer header
 * @frames_aborted: reservations given back without a frame: by the caller
 *   (netring_sender_abort()), or by closing the injector with one open
 * @frames_discarded: frames queued in the ring that the kernel never took
 *   because the injector was closed while it took no more (its send buffer
 *   stayed full)
 * @kicks: transmit kicks (sendto() calls) made
 * @send_buffer_full: kicks after which frames stayed queued because the
 *   socket's send buffer was full (`EAGAIN`); a later kick sends them
 * @device_queue_full: kicks after which frames stayed queued because the
 *   interface's queue was full (`ENOBUFS`); a later kick sends them
 * @last_reject_errno: errno of the most recent kernel rejection, 0 if none
 *
 * Statistics of a #NetringInjector; all counters are 64-bit and cumulative,
 * and reading them changes nothing. Every frame handed to the injector ends
 * up in exactly one of @frames_sent, @frames_rejected, @frames_refused,
 * @frames_discarded, or is still pending (netring_sender_get_pending()).
 *
 * The library always allocates this structure, and it ends in reserved
 * space: later versions add counters without breaking the ABI.
 */
struct _NetringInjectorStats {
  guint64 frames_queued;
  guint64 frames_sent;
  guint64 bytes_sent;
  guint64 frames_rejected;
  guint64 frames_refused;
  guint64 frames_aborted;
  guint64 frames_discarded;
  guint64 kicks;
  guint64 send_buffer_full;
  guint64 device_queue_full;
  gint last_reject_errno;

  /*< private >*/
  guint64 reserved[8];
};

NETRING_AVAILABLE_IN_ALL
GType netring_injector_stats_get_type (void) G_GNUC_CONST;
NETRING_AVAILABLE_IN_ALL
NetringInjectorStats *netring_injector_stats_copy (const NetringInjectorStats *stats);
NETRING_AVAILABLE_IN_ALL
void netring_injector_stats_free (NetringInjectorStats *stats);
NETRING_AVAILABLE_IN_ALL
gchar *netring_injector_stats_to_string (const NetringInjectorStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetringInjectorStats, netring_injector_stats_free)

G_END_DECLS
