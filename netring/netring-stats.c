/* netring-stats.c: statistics types */
#include "netring-private.h"

#include <inttypes.h>

/* Every stats type is a plain structure the library allocates: the boxed
 * type, its copy and its free are the same for all of them. */
#define NETRING_DEFINE_STATS_TYPE(TypeName, type_name)                           \
  G_DEFINE_BOXED_TYPE (TypeName, type_name, type_name##_copy, type_name##_free)  \
  TypeName *type_name##_copy (const TypeName *stats)                             \
  {                                                                              \
    g_return_val_if_fail (stats != NULL, NULL);                                  \
    return g_memdup2 (stats, sizeof *stats);                                     \
  }                                                                              \
  void type_name##_free (TypeName *stats)                                        \
  {                                                                              \
    g_free (stats);                                                              \
  }

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
 *
 * #NetringInjectorStats does the same for a #NetringInjector, and
 * #NetringXdpStats for a #NetringXdpSocket: every frame handed to a sender
 * is counted as sent, rejected by the kernel, refused by the API or
 * discarded at close, or is still pending.
 */

/* ---- receivers ----------------------------------------------------------- */

NETRING_DEFINE_STATS_TYPE (NetringReceiverStats, netring_receiver_stats)

/**
 * netring_receiver_stats_copy:
 * @stats: statistics
 *
 * Copies @stats.
 *
 * Returns: (transfer full): a copy, free with netring_receiver_stats_free()
 */

/**
 * netring_receiver_stats_free:
 * @stats: statistics
 *
 * Frees @stats.
 */

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

/* ---- injector ---------------------------------------------------------- */

NETRING_DEFINE_STATS_TYPE (NetringInjectorStats, netring_injector_stats)

/**
 * netring_injector_stats_copy:
 * @stats: statistics
 *
 * Copies @stats.
 *
 * Returns: (transfer full): a copy, free with netring_injector_stats_free()
 */

/**
 * netring_injector_stats_free:
 * @stats: statistics
 *
 * Frees @stats.
 */

/**
 * netring_injector_stats_to_string:
 * @stats: statistics
 *
 * Formats @stats on one line for people, for example
 * `queued 1000, sent 999 (64000 bytes), rejected 0, refused 1, aborted 0,
 * discarded 0, kicks 3 (send buffer full 0, device queue full 0)`.
 *
 * Returns: (transfer full): a newly allocated string
 */
gchar *
netring_injector_stats_to_string (const NetringInjectorStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  netring_i18n_init ();
  /* TRANSLATORS: a one-line summary of injector counters; keep the order */
  return g_strdup_printf (_("queued %" PRIu64 ", sent %" PRIu64 " (%" PRIu64 " bytes), "
                            "rejected %" PRIu64 ", refused %" PRIu64 ", aborted %" PRIu64
                            ", discarded %" PRIu64 ", kicks %" PRIu64 " (send buffer full %"
                            PRIu64 ", device queue full %" PRIu64 ")"),
                          (uint64_t) stats->frames_queued, (uint64_t) stats->frames_sent,
                          (uint64_t) stats->bytes_sent, (uint64_t) stats->frames_rejected,
                          (uint64_t) stats->frames_refused, (uint64_t) stats->frames_aborted,
                          (uint64_t) stats->frames_discarded, (uint64_t) stats->kicks,
                          (uint64_t) stats->send_buffer_full,
                          (uint64_t) stats->device_queue_full);
}

/* ---- bridges --------------------------------------------------------------- */

NETRING_DEFINE_STATS_TYPE (NetringBridgeStats, netring_bridge_stats)

/**
 * netring_bridge_stats_copy:
 * @stats: statistics
 *
 * Copies @stats.
 *
 * Returns: (transfer full): a copy, free with netring_bridge_stats_free()
 */

/**
 * netring_bridge_stats_free:
 * @stats: statistics
 *
 * Frees @stats.
 */

/**
 * netring_bridge_stats_to_string:
 * @stats: statistics
 *
 * Formats @stats on one line for people, for example
 * `A→B: received 1000, forwarded 990, dropped 6, too large 2, rejected 0,
 * in flight 2, kernel drops 0 | B→A: received 0, …`.
 *
 * Returns: (transfer full): a newly allocated string
 */
gchar *
netring_bridge_stats_to_string (const NetringBridgeStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  netring_i18n_init ();
  /* TRANSLATORS: a one-line summary of bridge counters, per direction
   * (A→B, then B→A); keep the order */
  return g_strdup_printf (_("A→B: received %" PRIu64 ", forwarded %" PRIu64 ", dropped %" PRIu64
                            ", too large %" PRIu64 ", rejected %" PRIu64 ", in flight %" PRIu64
                            ", kernel drops %" PRIu64 " | B→A: received %" PRIu64
                            ", forwarded %" PRIu64 ", dropped %" PRIu64 ", too large %" PRIu64
                            ", rejected %" PRIu64 ", in flight %" PRIu64
                            ", kernel drops %" PRIu64),
                          (uint64_t) stats->a_to_b_received, (uint64_t) stats->a_to_b_forwarded,
                          (uint64_t) stats->a_to_b_dropped, (uint64_t) stats->a_to_b_too_large,
                          (uint64_t) stats->a_to_b_rejected, (uint64_t) stats->a_to_b_in_flight,
                          (uint64_t) stats->a_to_b_kernel_drops,
                          (uint64_t) stats->b_to_a_received, (uint64_t) stats->b_to_a_forwarded,
                          (uint64_t) stats->b_to_a_dropped, (uint64_t) stats->b_to_a_too_large,
                          (uint64_t) stats->b_to_a_rejected, (uint64_t) stats->b_to_a_in_flight,
                          (uint64_t) stats->b_to_a_kernel_drops);
}

/* ---- end of bridges ---------------------------------------------------------- */

/* ---- AF_XDP sockets ------------------------------------------------------ */

NETRING_DEFINE_STATS_TYPE (NetringXdpStats, netring_xdp_stats)

/**
 * netring_xdp_stats_copy:
 * @stats: statistics
 *
 * Copies @stats.
 *
 * Returns: (transfer full): a copy, free with netring_xdp_stats_free()
 */
/**
 * netring_xdp_stats_free:
 * @stats: statistics
 *
 * Frees @stats.
 */

/**
 * netring_xdp_stats_to_string:
 * @stats: statistics
 *
 * Formats @stats on one line for people, for example
 * `received 1000 (64000 bytes), queued 10, sent 10, rejected 0, device
 * dropped 0, discarded 0, invalid 0; kernel: rx dropped 0, rx ring full 0, fill ring
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
                            ", discarded %" PRIu64
                            ", invalid %" PRIu64 "; kernel: rx dropped %" PRIu64
                            ", rx ring full %" PRIu64 ", fill ring empty %" PRIu64
                            ", rx invalid %" PRIu64 ", tx invalid %" PRIu64
                            ", tx ring empty %" PRIu64),
                          (uint64_t) stats->received, (uint64_t) stats->received_bytes,
                          (uint64_t) stats->queued, (uint64_t) stats->sent,
                          (uint64_t) stats->rejected, (uint64_t) stats->device_dropped,
                          (uint64_t) stats->discarded, (uint64_t) stats->received_invalid, (uint64_t) stats->rx_dropped,
                          (uint64_t) stats->rx_ring_full,
                          (uint64_t) stats->rx_fill_ring_empty_descs,
                          (uint64_t) stats->rx_invalid_descs, (uint64_t) stats->tx_invalid_descs,
                          (uint64_t) stats->tx_ring_empty_descs);
}

/* ---- end of AF_XDP sockets ------------------------------------------------ */
