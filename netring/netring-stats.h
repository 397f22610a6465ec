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

G_END_DECLS
