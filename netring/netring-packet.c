/* netring-packet.c: NetringPacket, one received packet: a view into a batch
 * or a detached copy */
#include "netring-batch-private.h"

#include <string.h>

/**
 * SECTION:netring-packet
 * @short_description: One packet of a batch, or a detached copy
 * @title: NetringPacket
 *
 * Bindings use netring_batch_get_packets(), which returns #NetringPacket
 * views of the packets of a #NetringBatch. A view is zero-copy and keeps
 * its batch (and so its ring block) alive; netring_packet_copy_detached()
 * and netring_batch_copy_packets() make copies that own their bytes and
 * hold no ring memory, for keeping packets long or handing them to other
 * threads. C code reads a batch without any object per packet through a
 * #NetringBatchIter.
 *
 * Packets may be released from any thread.
 */

struct _NetringPacket {
  gatomicrefcount ref_count;
  NetringBatch *batch; /* NULL for a detached packet, whose bytes follow the struct */
  NetringPacketInfo info;
};

G_DEFINE_BOXED_TYPE (NetringPacket, netring_packet, netring_packet_ref, netring_packet_unref)

NetringPacket *
_netring_packet_new_view (NetringBatch *batch, const guint8 *record)
{
  NetringPacket *packet = g_new (NetringPacket, 1);

  g_atomic_ref_count_init (&packet->ref_count);
  packet->batch = netring_batch_ref (batch);
  batch->ops->fill_info (batch, record, &packet->info);
  return packet;
}

NetringPacket *
_netring_packet_new_detached (const NetringPacketInfo *info)
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

/* A view of a released batch has no bytes any more (the memory may hold
 * other packets by now); everything else it reports stays as it was. */
static const guint8 *
packet_readable_data (NetringPacket *packet, guint32 *length)
{
  if (packet->batch != NULL && _netring_batch_is_released (packet->batch))
    {
      *length = 0;
      return (const guint8 *) "";
    }
  *length = packet->info.captured_length;
  return packet->info.data;
}

/**
 * netring_packet_keep:
 * @packet: a packet
 *
 * Keeps @packet's bytes beyond the #NetringReceiver::packet or
 * #NetringReceiver::batch handler it was handed in: keeps the whole batch
 * it views (see netring_batch_keep()). A detached copy needs no keeping.
 *
 * Returns: (transfer full): a new reference on @packet
 */
NetringPacket *
netring_packet_keep (NetringPacket *packet)
{
  g_return_val_if_fail (packet != NULL, NULL);
  if (packet->batch != NULL)
    g_atomic_int_set (&packet->batch->kept, 1);
  return netring_packet_ref (packet);
}

/**
 * netring_packet_copy_detached:
 * @packet: a packet
 *
 * Copies @packet into a packet that owns its bytes and pins no ring memory.
 * A view of a released batch has no bytes, and neither has its copy.
 *
 * Returns: (transfer full): the copy
 */
NetringPacket *
netring_packet_copy_detached (NetringPacket *packet)
{
  NetringPacketInfo info;

  g_return_val_if_fail (packet != NULL, NULL);
  info = packet->info;
  info.data = packet_readable_data (packet, &info.captured_length);
  return _netring_packet_new_detached (&info);
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
 * the ring and valid while @packet is referenced and its batch was not
 * released; a view of a released batch (netring_batch_release(), or the end
 * of the handler it was handed to) has no bytes: @length is 0.
 *
 * Returns: (array length=length) (transfer none): the bytes
 */
const guint8 *
netring_packet_get_data (NetringPacket *packet, gsize *length)
{
  const guint8 *data;
  guint32 readable;

  g_return_val_if_fail (packet != NULL, NULL);
  data = packet_readable_data (packet, &readable);
  if (length != NULL)
    *length = readable;
  return data;
}

static void
bytes_release_packet (gpointer data)
{
  NetringPacket *packet = data;

  if (packet->batch != NULL)
    _netring_batch_unpin (packet->batch);
  netring_packet_unref (packet);
}

/**
 * netring_packet_get_bytes:
 * @packet: a packet
 *
 * The captured bytes as a #GBytes that shares the memory (zero-copy) and
 * keeps it alive: for a view, as long as the #GBytes lives its ring block
 * stays away from the kernel, even after netring_batch_release() and the
 * end of the handler the packet was handed to. In a binding that frees it
 * late (JavaScript), prefer netring_packet_get_data(), a copy. A view of a
 * released batch gives an empty #GBytes.
 *
 * Returns: (transfer full): the bytes
 */
GBytes *
netring_packet_get_bytes (NetringPacket *packet)
{
  const guint8 *data;
  guint32 length;

  g_return_val_if_fail (packet != NULL, NULL);
  data = packet_readable_data (packet, &length);
  if (packet->batch != NULL)
    {
      if (_netring_batch_is_released (packet->batch))
        return g_bytes_new_static ("", 0);
      _netring_batch_pin (packet->batch);
    }
  return g_bytes_new_with_free_func (data, length, bytes_release_packet,
                                     netring_packet_ref (packet));
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
 * When the kernel received the packet. A packet of a #NetringXdpSocket has
 * no receive time from the kernel: it carries the time its batch was handed
 * out (netring_batch_get_first_timestamp()), and none of the
 * %NETRING_PACKET_STATUS_TS_SOFTWARE family of flags.
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

/* ---- the packets of a batch -------------------------------------------- */

static void
batch_build_records (NetringBatch *batch)
{
  NetringBatchIter iter;
  const guint8 *record;
  guint32 length, n = 0;

  batch->records = g_new (const guint8 *, MAX (batch->n_packets, 1));
  netring_batch_iter_init (&iter, batch);
  while ((record = _netring_batch_iter_peek_record (&iter)) != NULL &&
         netring_batch_iter_next_data (&iter, &length, NULL) != NULL)
    batch->records[n++] = record;
  batch->n_records = n;
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
  if (_netring_batch_is_released (batch))
    return NULL;
  if (batch->records == NULL)
    batch_build_records (batch);
  if (index >= batch->n_records)
    return NULL;
  return _netring_packet_new_view (batch, batch->records[index]);
}

/**
 * netring_batch_get_packets:
 * @batch: a batch
 *
 * Gets all packets of @batch as zero-copy views; each keeps @batch (and its
 * ring memory) alive.
 *
 * Returns: (transfer container) (element-type NetringPacket): the packets
 */
GPtrArray *
netring_batch_get_packets (NetringBatch *batch)
{
  GPtrArray *packets;
  NetringBatchIter iter;
  const guint8 *record;
  guint32 length;

  g_return_val_if_fail (batch != NULL, NULL);
  packets = g_ptr_array_new_full (batch->n_packets, (GDestroyNotify) netring_packet_unref);
  netring_batch_iter_init (&iter, batch);
  while ((record = _netring_batch_iter_peek_record (&iter)) != NULL &&
         netring_batch_iter_next_data (&iter, &length, NULL) != NULL)
    g_ptr_array_add (packets, _netring_packet_new_view (batch, record));
  return packets;
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
    g_ptr_array_add (packets, _netring_packet_new_detached (&info));
  return packets;
}
