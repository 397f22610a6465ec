/* netring-stats.h: statistics types */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <glib-object.h>
#include <netring/netring-version-macros.h>

G_BEGIN_DECLS

/* ---- receivers ----------------------------------------------------------- */

#define NETRING_TYPE_RECEIVER_STATS (netring_receiver_stats_get_type ())

typedef struct _NetringReceiverStats NetringReceiverStats;

/**
 * NetringReceiverStats:
 * @packets: packets the socket accepted after its filter, including those
 *   dropped afterwards because there was no room (AF_PACKET: the kernel's
 *   `tp_packets`)
 * @drops: packets the kernel dropped because no receive memory was free
 *   (AF_PACKET: `tp_drops`, no free ring block)
 * @freezes: times reception stopped because every buffer was owned by the
 *   user (AF_PACKET: `tp_freeze_q_cnt`, the ring froze); 0 for a receiver
 *   that has no such counter
 * @received: packets handed to the user in batches
 * @batches: batches handed to the user
 * @lost_blocks: batches missing from the kernel's numbering (AF_PACKET: ring
 *   blocks skipped in the block sequence numbers; stays 0 unless the ring
 *   misbehaves); 0 for a receiver that does not number its batches
 * @held_batches: batches handed out and not released yet (a gauge, not a
 *   counter)
 * @held_packets: packets in those held batches (a gauge)
 *
 * Statistics of a #NetringReceiver, from netring_receiver_get_stats(). All
 * counters are 64-bit totals since the receiver was created and never wrap
 * in practice; reading them changes nothing, so several readers can share a
 * receiver. netring_receiver_stats_subtract() gives what changed between two
 * readings, for periodic reports.
 *
 * Every field has the same meaning for every kind of receiver; a receiver
 * without a counter reports 0 for it. Packets the user holds keep their
 * memory away from the kernel: a growing @held_batches together with
 * @drops means the consumer keeps references too long.
 *
 * The structure may grow in later versions (into its reserved space): get
 * it from the library and copy it with netring_receiver_stats_copy(), do not
 * copy it by size.
 */
struct _NetringReceiverStats {
  guint64 packets;
  guint64 drops;
  guint64 freezes;
  guint64 received;
  guint64 batches;
  guint64 lost_blocks;
  guint64 held_batches;
  guint64 held_packets;
  /*< private >*/
  guint64 reserved[8];
};

NETRING_AVAILABLE_IN_ALL
GType netring_receiver_stats_get_type (void) G_GNUC_CONST;
NETRING_AVAILABLE_IN_ALL
NetringReceiverStats *netring_receiver_stats_copy (const NetringReceiverStats *stats);
NETRING_AVAILABLE_IN_ALL
void netring_receiver_stats_free (NetringReceiverStats *stats);
NETRING_AVAILABLE_IN_ALL
gchar *netring_receiver_stats_to_string (const NetringReceiverStats *stats);
NETRING_AVAILABLE_IN_ALL
NetringReceiverStats *netring_receiver_stats_subtract (const NetringReceiverStats *stats,
                                                       const NetringReceiverStats *earlier);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetringReceiverStats, netring_receiver_stats_free)

/* ---- injector ---------------------------------------------------------- */

#define NETRING_TYPE_INJECTOR_STATS (netring_injector_stats_get_type ())

typedef struct _NetringInjectorStats NetringInjectorStats;

/**
 * NetringInjectorStats:
 * @frames_queued: frames committed to the TX ring
 * @frames_sent: frames the kernel transmitted (their slot came back); after
 *   netring_injector_close() also the frames it had taken and not given
 *   back yet, which it transmits after the close
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

/* ---- bridges --------------------------------------------------------------- */

#define NETRING_TYPE_BRIDGE_STATS (netring_bridge_stats_get_type ())

typedef struct _NetringBridgeStats NetringBridgeStats;

/**
 * NetringBridgeStats:
 * @a_to_b_received: frames the bridge took from the receive side of
 *   #NetringBridge:interface-a
 * @a_to_b_forwarded: of those, frames the kernel took for transmission on
 *   #NetringBridge:interface-b (their slot came back)
 * @a_to_b_dropped: frames a verdict dropped
 * @a_to_b_too_large: frames longer than the other side can send (its MTU
 *   plus link-layer header, or its ring slot), or truncated on reception;
 *   the sizes are in a debug message
 * @a_to_b_rejected: frames queued for transmission that the kernel refused
 * @a_to_b_in_flight: frames taken and not yet in one of the counters
 *   above: queued for transmission and not given back by the kernel yet,
 *   or waiting for room in the transmit ring
 * @a_to_b_kernel_drops: frames the kernel dropped on the receive side
 *   because its ring was full; they never reached the bridge and are not
 *   in @a_to_b_received
 * @b_to_a_received: the same for the other direction
 * @b_to_a_forwarded: the same for the other direction
 * @b_to_a_dropped: the same for the other direction
 * @b_to_a_too_large: the same for the other direction
 * @b_to_a_rejected: the same for the other direction
 * @b_to_a_in_flight: the same for the other direction
 * @b_to_a_kernel_drops: the same for the other direction
 *
 * Statistics of a #NetringBridge, per direction, from
 * netring_bridge_get_stats(). All counters are 64-bit totals since the
 * bridge was initialised; reading them changes nothing. In each direction,
 * at any time,
 *
 * |[
 * received = forwarded + dropped + too_large + rejected + in_flight
 * ]|
 *
 * so every frame the bridge took is accounted for, and every frame it did
 * not get is in the kernel's drops. A direction the bridge does not
 * forward in reads 0 everywhere.
 *
 * The library always allocates this structure, and it ends in reserved
 * space: later versions add counters without breaking the ABI. Copy it with
 * netring_bridge_stats_copy(), not by size.
 */
struct _NetringBridgeStats {
  guint64 a_to_b_received;
  guint64 a_to_b_forwarded;
  guint64 a_to_b_dropped;
  guint64 a_to_b_too_large;
  guint64 a_to_b_rejected;
  guint64 a_to_b_in_flight;
  guint64 a_to_b_kernel_drops;
  guint64 b_to_a_received;
  guint64 b_to_a_forwarded;
  guint64 b_to_a_dropped;
  guint64 b_to_a_too_large;
  guint64 b_to_a_rejected;
  guint64 b_to_a_in_flight;
  guint64 b_to_a_kernel_drops;

  /*< private >*/
  guint64 reserved[8];
};

NETRING_AVAILABLE_IN_ALL
GType netring_bridge_stats_get_type (void) G_GNUC_CONST;
NETRING_AVAILABLE_IN_ALL
NetringBridgeStats *netring_bridge_stats_copy (const NetringBridgeStats *stats);
NETRING_AVAILABLE_IN_ALL
void netring_bridge_stats_free (NetringBridgeStats *stats);
NETRING_AVAILABLE_IN_ALL
gchar *netring_bridge_stats_to_string (const NetringBridgeStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetringBridgeStats, netring_bridge_stats_free)

/* ---- end of bridges ---------------------------------------------------------- */

/* ---- AF_XDP sockets ------------------------------------------------------ */

#define NETRING_TYPE_XDP_STATS (netring_xdp_stats_get_type ())

typedef struct _NetringXdpStats NetringXdpStats;

/**
 * NetringXdpStats:
 * @rx_dropped: frames the kernel dropped for any reason other than those
 *   counted below (the kernel's `rx_dropped`, `XDP_STATISTICS`)
 * @rx_invalid_descs: frames dropped because of an invalid RX descriptor
 *   (`rx_invalid_descs`)
 * @tx_invalid_descs: frames dropped because of an invalid TX descriptor
 *   (`tx_invalid_descs`)
 * @rx_ring_full: frames dropped because the RX ring was full: the
 *   application did not take them fast enough (`rx_ring_full`)
 * @rx_fill_ring_empty_descs: times the kernel found no frame in the fill
 *   ring to receive into: every receive frame was held by the application
 *   or in the RX ring (`rx_fill_ring_empty_descs`)
 * @tx_ring_empty_descs: times the kernel looked for a frame to send and the
 *   TX ring was empty (`tx_ring_empty_descs`; not a loss)
 * @received: frames handed to the application
 * @received_bytes: bytes of those frames
 * @queued: frames put in the TX ring (including received frames sent on)
 * @sent: frames the kernel sent and gave back, less @device_dropped
 * @rejected: frames the library refused to put in the TX ring (empty,
 *   longer than a frame, or in a frame the caller did not hold)
 * @device_dropped: copy mode: frames the interface dropped when the kernel
 *   handed them over (the transmit kick returned `EBUSY`)
 * @received_invalid: RX descriptors the library refused because they did
 *   not describe a frame it had given the kernel; the frame, if it was one,
 *   goes back to the fill ring (never expected)
 * @discarded: frames queued that the kernel had not taken when the socket
 *   was closed (the close first hands every queued frame to the kernel, for
 *   a bounded time), so they were never sent
 *
 * Statistics of a #NetringXdpSocket, from netring_xdp_socket_get_stats():
 * the six counters of the kernel's `XDP_STATISTICS` and the library's own.
 * All are 64-bit totals since the socket was created; reading them changes
 * nothing (the kernel's counters are not reset by a read).
 *
 * Frames queued and neither sent nor dropped are still in flight. Every
 * frame the kernel could not receive is counted in @rx_dropped,
 * @rx_invalid_descs or @rx_ring_full, so nothing is lost without a count.
 *
 * The library always allocates this structure, and it ends in reserved
 * space: later versions add counters without breaking the ABI. Copy it with
 * netring_xdp_stats_copy(), not by size.
 */
struct _NetringXdpStats {
  guint64 rx_dropped;
  guint64 rx_invalid_descs;
  guint64 tx_invalid_descs;
  guint64 rx_ring_full;
  guint64 rx_fill_ring_empty_descs;
  guint64 tx_ring_empty_descs;
  guint64 received;
  guint64 received_bytes;
  guint64 queued;
  guint64 sent;
  guint64 rejected;
  guint64 device_dropped;
  guint64 received_invalid;
  guint64 discarded;

  /*< private >*/
  guint64 reserved[7];
};

NETRING_AVAILABLE_IN_ALL
GType netring_xdp_stats_get_type (void) G_GNUC_CONST;
NETRING_AVAILABLE_IN_ALL
NetringXdpStats *netring_xdp_stats_copy (const NetringXdpStats *stats);
NETRING_AVAILABLE_IN_ALL
void netring_xdp_stats_free (NetringXdpStats *stats);
NETRING_AVAILABLE_IN_ALL
gchar *netring_xdp_stats_to_string (const NetringXdpStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetringXdpStats, netring_xdp_stats_free)

/* ---- end of AF_XDP sockets ------------------------------------------------ */

G_END_DECLS
