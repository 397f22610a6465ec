/* netring-packet.c: NetringBatch (one ring block) and NetringPacket */
#include "netring-capture-private.h"

#include <linux/if_ether.h>
#include <string.h>

/**
 * SECTION:netring-packet
 * @short_description: Batches of received packets and the packets in them
 * @title: NetringBatch and NetringPacket
 *
 * A #NetringBatch is one retired TPACKET_V3 ring block: all packets the
 * kernel wrote into it, zero-copy. It is reference counted; the last
 * netring_batch_unref() hands the block back to the kernel. Several batches
 * may be held at once, but a block held by the user cannot receive new
 * packets: holding batches for long makes the kernel drop packets, which the
 * capture's statistics then show (#NetringCaptureStats.held_batches and
 * #NetringCaptureStats.drops).
 *
 * C code walks a batch with a stack #NetringBatchIter, which allocates
 * nothing per packet (netring_batch_iter_next_data() is the inlined,
 * leanest form when only the bytes are needed):
 * |[<!-- language="C" -->
 * NetringBatchIter iter;
 * NetringPacketInfo info;
 *
 * netring_batch_iter_init (&iter, batch);
 * while (netring_batch_iter_next (&iter, &info))
 *   handle (info.data, info.captured_length, info.timestamp_ns);
 * ]|
 *
 * Bindings use netring_batch_get_packets(), which returns #NetringPacket
 * views. A view is zero-copy and keeps its batch (and so its ring block)
 * alive; netring_packet_copy_detached() and netring_batch_copy_packets()
 * make copies that own their bytes and hold no ring memory, for keeping
 * packets long or handing them to other threads.
 *
 * Batches and their packets may be released from any thread.
 */

struct _NetringPacket {
  gatomicrefcount ref_count;
  NetringBatch *batch; /* NULL for a detached packet, whose bytes follow the struct */
  NetringPacketInfo info;
};

G_STATIC_ASSERT (sizeof (NrBlockWalk) <= sizeof (NetringBatchIter));
/* the inline netring_batch_iter_next_data() reads the walk and the kernel
 * header through these */
G_STATIC_ASSERT (G_STRUCT_OFFSET (NrBlockWalk, block) == G_STRUCT_OFFSET (NetringBatchIter, block));
G_STATIC_ASSERT (G_STRUCT_OFFSET (NrBlockWalk, next) == G_STRUCT_OFFSET (NetringBatchIter, next));
G_STATIC_ASSERT (G_STRUCT_OFFSET (NrBlockWalk, end) == G_STRUCT_OFFSET (NetringBatchIter, end));
G_STATIC_ASSERT (G_STRUCT_OFFSET (NrBlockWalk, remaining) ==
                 G_STRUCT_OFFSET (NetringBatchIter, remaining));
G_STATIC_ASSERT (G_STRUCT_OFFSET (NrBlockWalk, corrupt) == G_STRUCT_OFFSET (NetringBatchIter, flags));
G_STATIC_ASSERT (G_STRUCT_OFFSET (struct tpacket3_hdr, tp_next_offset) == _NETRING_TP3_NEXT_OFFSET);
G_STATIC_ASSERT (G_STRUCT_OFFSET (struct tpacket3_hdr, tp_snaplen) == _NETRING_TP3_SNAPLEN);
G_STATIC_ASSERT (G_STRUCT_OFFSET (struct tpacket3_hdr, tp_len) == _NETRING_TP3_LEN);
G_STATIC_ASSERT (G_STRUCT_OFFSET (struct tpacket3_hdr, tp_mac) == _NETRING_TP3_MAC);
G_STATIC_ASSERT (TPACKET3_HDRLEN == _NETRING_TP3_HDRLEN);
G_STATIC_ASSERT (NR_V3_ALIGNMENT == _NETRING_TP3_ALIGN);
G_STATIC_ASSERT (NETRING_PACKET_STATUS_TRUNCATED == NR_TP_STATUS_TRUNCATED);
G_STATIC_ASSERT (NETRING_PACKET_STATUS_LOSING == TP_STATUS_LOSING);
G_STATIC_ASSERT (NETRING_PACKET_STATUS_VLAN_VALID == TP_STATUS_VLAN_VALID);
G_STATIC_ASSERT ((guint) NETRING_PACKET_STATUS_TS_RAW_HARDWARE == TP_STATUS_TS_RAW_HARDWARE);

G_DEFINE_BOXED_TYPE (NetringBatch, netring_batch, netring_batch_ref, netring_batch_unref)
G_DEFINE_BOXED_TYPE (NetringPacket, netring_packet, netring_packet_ref, netring_packet_unref)

static inline gint64
bd_ts_ns (const struct tpacket_bd_ts *ts)
{
  /* libc/uapi call the field ts_usec, but TPACKET_V3 stores nanoseconds */
  return (gint64) ts->ts_sec * G_GINT64_CONSTANT (1000000000) + ts->ts_nsec;
}

NetringBatch *
_netring_batch_new (NetringCapture *capture, const struct tpacket_block_desc *desc, guint32 index,
                    gsize block_size, guint64 lost_blocks)
{
  NetringBatch *batch = g_new (NetringBatch, 1);

  g_atomic_ref_count_init (&batch->ref_count);
  batch->index = index;
  batch->n_packets = desc->hdr.bh1.num_pkts;
  batch->capture = g_object_ref (capture);
  batch->block = (const guint8 *) desc;
  batch->block_size = block_size;
  batch->sequence = desc->hdr.bh1.seq_num;
  batch->lost_blocks = lost_blocks;
  batch->first_ns = bd_ts_ns (&desc->hdr.bh1.ts_first_pkt);
  batch->last_ns = bd_ts_ns (&desc->hdr.bh1.ts_last_pkt);
  batch->timed_out = (desc->hdr.bh1.block_status & TP_STATUS_BLK_TMO) != 0;
  batch->block_flags = desc->hdr.bh1.block_status & TP_STATUS_LOSING;
  batch->offsets = NULL;
  batch->n_offsets = 0;
  return batch;
}

/**
 * netring_batch_ref:
 * @batch: a batch
 *
 * Takes a reference on @batch; while any reference exists its ring block
 * stays away from the kernel.
 *
 * Returns: (transfer full): @batch
 */
NetringBatch *
netring_batch_ref (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, NULL);
  g_atomic_ref_count_inc (&batch->ref_count);
  return batch;
}

/**
 * netring_batch_unref:
 * @batch: (transfer full): a batch
 *
 * Drops a reference; the last one gives the ring block back to the kernel.
 * May be called from any thread.
 */
void
netring_batch_unref (NetringBatch *batch)
{
  NetringCapture *capture;

  g_return_if_fail (batch != NULL);
  if (!g_atomic_ref_count_dec (&batch->ref_count))
    return;
  capture = batch->capture;
  _netring_capture_release_block (capture, batch->index, batch->n_packets);
  g_free (batch->offsets);
  g_free (batch);
  g_object_unref (capture);
}

/**
 * netring_batch_get_n_packets:
 * @batch: a batch
 *
 * The number of packets the kernel wrote into the block.
 *
 * Returns: the packet count
 */
guint
netring_batch_get_n_packets (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, 0);
  return batch->n_packets;
}

/**
 * netring_batch_get_sequence:
 * @batch: a batch
 *
 * The kernel's sequence number of the block. The kernel numbers every block
 * it opens, starting at 1.
 *
 * Returns: the block sequence number
 */
guint64
netring_batch_get_sequence (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, 0);
  return batch->sequence;
}

/**
 * netring_batch_get_lost_blocks:
 * @batch: a batch
 *
 * How many block sequence numbers were skipped between the previous batch
 * and this one. Packets the kernel dropped because the ring was full do not
 * skip block numbers; they are counted in #NetringCaptureStats.drops.
 *
 * Returns: the number of missing blocks before this one, usually 0
 */
guint64
netring_batch_get_lost_blocks (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, 0);
  return batch->lost_blocks;
}

/**
 * netring_batch_get_timed_out:
 * @batch: a batch
 *
 * Whether the kernel retired the block because #NetringCapture:block-timeout-ms
 * elapsed rather than because it was full; such a block is partly filled.
 *
 * Returns: %TRUE for a timed-out block
 */
gboolean
netring_batch_get_timed_out (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, FALSE);
  return batch->timed_out;
}

/**
 * netring_batch_get_losing:
 * @batch: a batch
 *
 * Whether the kernel had dropped packets on this socket (since the
 * statistics were last read) when it closed this block. Every packet of
 * such a batch also carries %NETRING_PACKET_STATUS_LOSING. The capture reads
 * the kernel's statistics by itself every 64 batches and whenever
 * netring_capture_get_stats() or netring_capture_get_cumulative_stats() is
 * called.
 *
 * Returns: %TRUE if drops were pending
 */
gboolean
netring_batch_get_losing (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, FALSE);
  return batch->block_flags != 0;
}

/**
 * netring_batch_get_first_timestamp:
 * @batch: a batch
 *
 * When the kernel opened the block: at or before the first packet's receive
 * time.
 *
 * Returns: nanoseconds since the Unix epoch
 */
gint64
netring_batch_get_first_timestamp (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, 0);
  return batch->first_ns;
}

/**
 * netring_batch_get_last_timestamp:
 * @batch: a batch
 *
 * Receive time of the last packet in the block (for a timed-out block the
 * kernel may record the time it closed the block instead).
 *
 * Returns: nanoseconds since the Unix epoch
 */
gint64
netring_batch_get_last_timestamp (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, 0);
  return batch->last_ns;
}

/**
 * netring_batch_get_first_timestamp_us:
 * @batch: a batch
 *
 * Like netring_batch_get_first_timestamp() in microseconds, which bindings
 * with 53-bit numbers (JavaScript) can hold exactly.
 *
 * Returns: microseconds since the Unix epoch
 */
gint64
netring_batch_get_first_timestamp_us (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, 0);
  return batch->first_ns / 1000;
}

/**
 * netring_batch_get_last_timestamp_us:
 * @batch: a batch
 *
 * Like netring_batch_get_last_timestamp() in microseconds.
 *
 * Returns: microseconds since the Unix epoch
 */
gint64
netring_batch_get_last_timestamp_us (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, 0);
  return batch->last_ns / 1000;
}

/**
 * netring_batch_iter_init: (skip)
 * @iter: an uninitialised iterator, usually on the stack
 * @batch: the batch to walk; it must stay referenced while @iter is used
 *
 * Prepares @iter to walk the packets of @batch. This is the C fast path: it
 * allocates nothing.
 */
void
netring_batch_iter_init (NetringBatchIter *iter, NetringBatch *batch)
{
  g_return_if_fail (iter != NULL);
  g_return_if_fail (batch != NULL);
  nr_block_walk_init ((NrBlockWalk *) iter, batch->block, batch->block_size);
}

void
_netring_packet_info_fill (const struct tpacket3_hdr *hdr, guint32 block_flags,
                           NetringPacketInfo *info)
{
  const struct sockaddr_ll *sll = nr_tpacket3_sll (hdr);
  guint32 status = (hdr->tp_status & NR_TP_STATUS_PUBLIC_MASK) | block_flags;
  guint8 halen = sll->sll_halen;

  if (hdr->tp_snaplen < hdr->tp_len)
    status |= NR_TP_STATUS_TRUNCATED; /* TP_STATUS_COPY is never set under V3 */
  info->data = (const guint8 *) hdr + hdr->tp_mac;
  info->captured_length = hdr->tp_snaplen;
  info->wire_length = hdr->tp_len;
  info->timestamp_ns = (gint64) hdr->tp_sec * G_GINT64_CONSTANT (1000000000) + hdr->tp_nsec;
  info->status = status;
  info->direction = sll->sll_pkttype <= NETRING_PACKET_DIRECTION_LOOPBACK
                      ? sll->sll_pkttype
                      : NETRING_PACKET_DIRECTION_UNKNOWN;
  info->vlan_tci = (guint16) hdr->hv1.tp_vlan_tci;
  info->vlan_tpid = hdr->hv1.tp_vlan_tpid;
  info->rxhash = hdr->hv1.tp_rxhash;
  info->protocol = g_ntohs (sll->sll_protocol);
  info->ifindex = sll->sll_ifindex;
  if (halen > sizeof info->source_address)
    halen = sizeof info->source_address;
  info->source_address_length = halen;
  memcpy (info->source_address, sll->sll_addr, sizeof info->source_address);
}

/**
 * netring_batch_iter_next: (skip)
 * @iter: an iterator set up by netring_batch_iter_init()
 * @info: (out caller-allocates): where to store the next packet's details
 *
 * Advances to the next packet. The walk stops early, and safely, at a packet
 * header that would reach outside the block.
 *
 * Returns: %TRUE if @info was filled, %FALSE at the end of the batch
 */
gboolean
netring_batch_iter_next (NetringBatchIter *iter, NetringPacketInfo *info)
{
  NrBlockWalk *walk = (NrBlockWalk *) iter;
  const struct tpacket3_hdr *hdr = nr_block_walk_next (walk);

  if (hdr == NULL)
    return FALSE;
  _netring_packet_info_fill (hdr, walk->block_flags, info);
  return TRUE;
}

static NetringPacket *
packet_new_view (NetringBatch *batch, const struct tpacket3_hdr *hdr)
{
  NetringPacket *packet = g_new (NetringPacket, 1);

  g_atomic_ref_count_init (&packet->ref_count);
  packet->batch = netring_batch_ref (batch);
  _netring_packet_info_fill (hdr, batch->block_flags, &packet->info);
  return packet;
}

static void
batch_build_offsets (NetringBatch *batch)
{
  NrBlockWalk walk;
  const struct tpacket3_hdr *hdr;
  guint32 n = 0;

  batch->offsets = g_new (guint32, MAX (batch->n_packets, 1));
  nr_block_walk_init (&walk, batch->block, batch->block_size);
  while (n < batch->n_packets && (hdr = nr_block_walk_next (&walk)) != NULL)
    batch->offsets[n++] = (guint32) ((const guint8 *) hdr - batch->block);
  batch->n_offsets = n;
}

/**
 * netring_batch_get_packet:
 * @batch: a batch
 * @index: index of the packet, from 0
 *
 * Gets one packet as a zero-copy view that keeps @batch alive.
 *
 * Returns: (transfer full) (nullable): the packet, or %NULL if @index is out
 *   of range
 */
NetringPacket *
netring_batch_get_packet (NetringBatch *batch, guint index)
{
  g_return_val_if_fail (batch != NULL, NULL);
  if (batch->offsets == NULL)
    batch_build_offsets (batch);
  if (index >= batch->n_offsets)
    return NULL;
  return packet_new_view (batch, (const struct tpacket3_hdr *) (batch->block +
                                                                batch->offsets[index]));
}

/**
 * netring_batch_get_packets:
 * @batch: a batch
 *
 * Gets all packets of @batch as zero-copy views; each keeps @batch (and its
 * ring block) alive.
 *
 * Returns: (transfer container) (element-type NetringPacket): the packets
 */
GPtrArray *
netring_batch_get_packets (NetringBatch *batch)
{
  GPtrArray *packets;
  NrBlockWalk walk;
  const struct tpacket3_hdr *hdr;

  g_return_val_if_fail (batch != NULL, NULL);
  packets = g_ptr_array_new_full (batch->n_packets, (GDestroyNotify) netring_packet_unref);
  nr_block_walk_init (&walk, batch->block, batch->block_size);
  while ((hdr = nr_block_walk_next (&walk)) != NULL)
    g_ptr_array_add (packets, packet_new_view (batch, hdr));
  return packets;
}

static NetringPacket *
packet_new_detached (const NetringPacketInfo *info)
{
  NetringPacket *packet = g_malloc (sizeof (NetringPacket) + info->captured_length);
  guint8 *bytes = (guint8 *) (packet + 1);

  g_atomic_ref_count_init (&packet->ref_count);
  packet->batch = NULL;
  packet->info = *info;
  memcpy (bytes, info->data, info->captured_length);
  packet->info.data = bytes;
  return packet;
}

/**
 * netring_batch_copy_packets:
 * @batch: a batch
 *
 * Copies every packet of @batch into detached packets that own their bytes
 * and hold no ring memory: safe to keep or to pass to other threads. @batch
 * can be released right after.
 *
 * Returns: (transfer container) (element-type NetringPacket): the copies
 */
GPtrArray *
netring_batch_copy_packets (NetringBatch *batch)
{
  GPtrArray *packets;
  NetringBatchIter iter;
  NetringPacketInfo info;

  g_return_val_if_fail (batch != NULL, NULL);
  packets = g_ptr_array_new_full (batch->n_packets, (GDestroyNotify) netring_packet_unref);
  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    g_ptr_array_add (packets, packet_new_detached (&info));
  return packets;
}

/**
 * netring_packet_ref:
 * @packet: a packet
 *
 * Takes a reference on @packet.
 *
 * Returns: (transfer full): @packet
 */
NetringPacket *
netring_packet_ref (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, NULL);
  g_atomic_ref_count_inc (&packet->ref_count);
  return packet;
}

/**
 * netring_packet_unref:
 * @packet: (transfer full): a packet
 *
 * Drops a reference; a view's last reference releases its hold on the batch.
 */
void
netring_packet_unref (NetringPacket *packet)
{
  g_return_if_fail (packet != NULL);
  if (!g_atomic_ref_count_dec (&packet->ref_count))
    return;
  if (packet->batch != NULL)
    netring_batch_unref (packet->batch);
  g_free (packet);
}

/**
 * netring_packet_copy_detached:
 * @packet: a packet
 *
 * Copies @packet into a packet that owns its bytes and pins no ring memory.
 *
 * Returns: (transfer full): the copy
 */
NetringPacket *
netring_packet_copy_detached (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, NULL);
  return packet_new_detached (&packet->info);
}

/**
 * netring_packet_is_detached:
 * @packet: a packet
 *
 * Whether @packet owns its bytes (a copy) rather than viewing ring memory.
 *
 * Returns: %TRUE for a detached copy
 */
gboolean
netring_packet_is_detached (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, FALSE);
  return packet->batch == NULL;
}

/**
 * netring_packet_get_data:
 * @packet: a packet
 * @length: (out): the number of captured bytes
 *
 * The captured bytes, from the link-layer header on. For a view they are in
 * the ring and valid while @packet is referenced.
 *
 * Returns: (array length=length) (transfer none): the bytes
 */
const guint8 *
netring_packet_get_data (NetringPacket *packet, gsize *length)
{
  g_return_val_if_fail (packet != NULL, NULL);
  if (length != NULL)
    *length = packet->info.captured_length;
  return packet->info.data;
}

static void
bytes_release_packet (gpointer data)
{
  netring_packet_unref (data);
}

/**
 * netring_packet_get_bytes:
 * @packet: a packet
 *
 * The captured bytes as a #GBytes that shares the memory (zero-copy) and
 * keeps it alive: for a view, as long as the #GBytes lives its ring block
 * stays away from the kernel.
 *
 * Returns: (transfer full): the bytes
 */
GBytes *
netring_packet_get_bytes (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, NULL);
  return g_bytes_new_with_free_func (packet->info.data, packet->info.captured_length,
                                     bytes_release_packet, netring_packet_ref (packet));
}

/**
 * netring_packet_get_captured_length:
 * @packet: a packet
 *
 * How many bytes of the packet were captured.
 *
 * Returns: the number of bytes captured, at most the wire length
 */
guint
netring_packet_get_captured_length (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, 0);
  return packet->info.captured_length;
}

/**
 * netring_packet_get_wire_length:
 * @packet: a packet
 *
 * How long the packet was on the wire.
 *
 * Returns: the length the packet had on the wire
 */
guint
netring_packet_get_wire_length (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, 0);
  return packet->info.wire_length;
}

/**
 * netring_packet_is_truncated:
 * @packet: a packet
 *
 * Whether part of the packet was not captured.
 *
 * Returns: %TRUE if fewer bytes were captured than were on the wire
 */
gboolean
netring_packet_is_truncated (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, FALSE);
  return packet->info.captured_length < packet->info.wire_length;
}

/**
 * netring_packet_get_timestamp:
 * @packet: a packet
 *
 * When the kernel received the packet.
 *
 * Returns: the receive time in nanoseconds since the Unix epoch
 */
gint64
netring_packet_get_timestamp (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, 0);
  return packet->info.timestamp_ns;
}

/**
 * netring_packet_get_timestamp_us:
 * @packet: a packet
 *
 * The receive time in microseconds, exact in bindings whose numbers have 53
 * bits (JavaScript).
 *
 * Returns: microseconds since the Unix epoch
 */
gint64
netring_packet_get_timestamp_us (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, 0);
  return packet->info.timestamp_ns / 1000;
}

/**
 * netring_packet_get_status:
 * @packet: a packet
 *
 * The kernel's status flags for the packet.
 *
 * Returns: the packet's status flags, including which clock stamped it
 */
NetringPacketStatus
netring_packet_get_status (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, NETRING_PACKET_STATUS_NONE);
  return (NetringPacketStatus) packet->info.status;
}

/**
 * netring_packet_get_direction:
 * @packet: a packet
 *
 * Where the packet was going, from the kernel's packet type.
 *
 * Returns: where the packet was going
 */
NetringPacketDirection
netring_packet_get_direction (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, NETRING_PACKET_DIRECTION_UNKNOWN);
  return (NetringPacketDirection) packet->info.direction;
}

/**
 * netring_packet_get_vlan_tci:
 * @packet: a packet
 *
 * The VLAN tag control information the kernel removed from the frame; only
 * meaningful with %NETRING_PACKET_STATUS_VLAN_VALID.
 *
 * Returns: the TCI (priority, DEI and VLAN id)
 */
guint16
netring_packet_get_vlan_tci (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, 0);
  return packet->info.vlan_tci;
}

/**
 * netring_packet_get_vlan_tpid:
 * @packet: a packet
 *
 * The VLAN tag protocol identifier (0x8100, 0x88a8); only meaningful with
 * %NETRING_PACKET_STATUS_VLAN_TPID_VALID.
 *
 * Returns: the TPID
 */
guint16
netring_packet_get_vlan_tpid (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, 0);
  return packet->info.vlan_tpid;
}

/**
 * netring_packet_get_rxhash:
 * @packet: a packet
 *
 * The flow hash the kernel computed for the packet.
 *
 * Returns: the kernel's flow hash, 0 unless #NetringCapture:fill-rxhash is set
 */
guint32
netring_packet_get_rxhash (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, 0);
  return packet->info.rxhash;
}

/**
 * netring_packet_get_protocol:
 * @packet: a packet
 *
 * The packet's link-layer protocol.
 *
 * Returns: the link-layer protocol (EtherType) in host byte order
 */
guint16
netring_packet_get_protocol (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, 0);
  return packet->info.protocol;
}

/**
 * netring_packet_get_ifindex:
 * @packet: a packet
 *
 * The interface the packet arrived on.
 *
 * Returns: the index of the interface the packet was received on
 */
gint
netring_packet_get_ifindex (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, 0);
  return packet->info.ifindex;
}

/**
 * netring_packet_get_source_address:
 * @packet: a packet
 * @length: (out): number of bytes in the address (6 for Ethernet, at most 8)
 *
 * The link-layer address the packet came from.
 *
 * Returns: (array length=length) (transfer none): the link-layer source address
 */
const guint8 *
netring_packet_get_source_address (NetringPacket *packet, gsize *length)
{
  g_return_val_if_fail (packet != NULL, NULL);
  if (length != NULL)
    *length = packet->info.source_address_length;
  return packet->info.source_address;
}
