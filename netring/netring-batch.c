/* netring-batch.c: NetringBatch, a run of received packets lent by a
 * producer (a TPACKET_V3 ring block, AF_XDP frames), and the iterator */
#include "netring-batch-private.h"

#include <string.h>

G_DEFINE_BOXED_TYPE (NetringBatch, netring_batch, netring_batch_ref, netring_batch_unref)

NetringBatch *
_netring_batch_new (const NetringBatchOps *ops, gpointer producer, guint64 token,
                    const NetringBatchLayout *layout, const guint8 *first, const guint8 *base,
                    gsize limit, guint32 n_packets)
{
  NetringBatch *batch = g_new0 (NetringBatch, 1);

  g_atomic_ref_count_init (&batch->ref_count);
  batch->n_packets = n_packets;
  batch->ops = ops;
  batch->producer = producer;
  batch->token = token;
  batch->layout = layout;
  batch->first = first;
  batch->base = base;
  batch->limit = limit;
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
  g_return_if_fail (batch != NULL);
  if (!g_atomic_ref_count_dec (&batch->ref_count))
    return;
  /* memory back to the producer first, then let go of the producer (which
   * may unmap that memory) */
  batch->ops->release (batch);
  batch->ops->producer_unref (batch->producer);
  g_free (batch->records);
  g_free (batch);
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
 * skip block numbers; they are counted in #NetringReceiverStats.drops.
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
 * netring_receiver_get_stats() is called.
 *
 * Returns: %TRUE if drops were pending
 */
gboolean
netring_batch_get_losing (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, FALSE);
  return (batch->status_flags & NETRING_PACKET_STATUS_LOSING) != 0;
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
  _netring_batch_iter_setup (iter, batch->layout, batch->first, batch->base, batch->limit,
                             batch->n_packets);
  iter->batch = batch;
}

/**
 * netring_batch_iter_next: (skip)
 * @iter: an iterator set up by netring_batch_iter_init()
 * @info: (out caller-allocates): where to store the next packet's details
 *
 * Advances to the next packet. The walk stops early, and safely, at a packet
 * record that would reach outside the batch's memory.
 *
 * Returns: %TRUE if @info was filled, %FALSE at the end of the batch
 */
gboolean
netring_batch_iter_next (NetringBatchIter *iter, NetringPacketInfo *info)
{
  const guint8 *record = _netring_batch_iter_peek_record (iter);
  const NetringBatch *batch = iter->batch;
  guint32 captured_length;

  if (netring_batch_iter_next_data (iter, &captured_length, NULL) == NULL)
    return FALSE;
  batch->ops->fill_info (batch, record, info);
  return TRUE;
}

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
