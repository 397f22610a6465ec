/* netring-batch.c: NetringBatch, a run of received packets lent by a
 * producer (a TPACKET_V3 ring block, AF_XDP frames), and the iterator */
#include "netring-batch-private.h"

#include <string.h>

/**
 * SECTION:netring-batch
 * @short_description: A run of received packets, lent zero-copy
 * @title: NetringBatch
 *
 * A #NetringBatch is what a #NetringReceiver hands over at once, zero-copy:
 * for a #NetringCapture one retired TPACKET_V3 ring block with all the
 * packets the kernel wrote into it, for a #NetringXdpSocket a run of
 * frames of its UMEM. It is reference counted; the last
 * netring_batch_unref() hands the memory back to the kernel. Several batches
 * may be held at once, but memory held by the user cannot receive new
 * packets: holding batches for long makes the kernel drop packets, which the
 * receiver's statistics then show (#NetringReceiverStats.held_batches and
 * #NetringReceiverStats.drops). A batch stays readable after its receiver was
 * closed or finalized: it keeps its memory mapped until its last reference
 * goes.
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
 * Bindings take a batch whole through netring_batch_get_buffer() and
 * netring_batch_get_records() (a constant number of calls per batch), or
 * packet by packet as #NetringPacket objects.
 *
 * Batches may be released from any thread.
 */

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
  batch->holds = 1; /* the user's, until netring_batch_release() */
  return batch;
}

/* Gives the memory back to the producer, once: first the memory, then the
 * producer (which may unmap that memory). */
static void
batch_return_memory (NetringBatch *batch)
{
  if (!g_atomic_int_compare_and_exchange (&batch->returned, 0, 1))
    return;
  batch->ops->release (batch);
  batch->ops->producer_unref (batch->producer);
  batch->producer = NULL;
}

static void
batch_drop_hold (NetringBatch *batch)
{
  if (g_atomic_int_dec_and_test (&batch->holds))
    batch_return_memory (batch);
}

void
_netring_batch_pin (NetringBatch *batch)
{
  netring_batch_ref (batch);
  g_atomic_int_inc (&batch->holds);
}

void
_netring_batch_unpin (gpointer data)
{
  NetringBatch *batch = data;

  batch_drop_hold (batch);
  netring_batch_unref (batch);
}

void
_netring_batch_end_loan (NetringBatch *batch)
{
  if (!g_atomic_int_get (&batch->kept))
    netring_batch_release (batch);
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
  /* every GBytes sharing the memory holds a reference, so nothing reads
   * the memory any more */
  batch_return_memory (batch);
  g_free (batch->records);
  g_free (batch);
}

/**
 * netring_batch_keep:
 * @batch: a batch
 *
 * Keeps @batch, and its memory, beyond the #NetringReceiver::batch or
 * #NetringReceiver::packet handler it was handed to. Without this call
 * (or a copy) a batch handed to a handler gives its memory back when the
 * emission ends, whatever references bindings still hold (a JavaScript
 * wrapper lives until the garbage collector runs): the batch then reads as
 * released (see netring_batch_release()). A kept batch gives its memory
 * back at netring_batch_release() or when its last reference goes.
 *
 * C code that keeps a batch past the handler calls this instead of
 * netring_batch_ref(). Batches from netring_receiver_next_batch(), the
 * async calls and sources are the caller's already; keeping them changes
 * nothing.
 *
 * Returns: (transfer full): a new reference on @batch
 */
NetringBatch *
netring_batch_keep (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, NULL);
  g_atomic_int_set (&batch->kept, 1);
  return netring_batch_ref (batch);
}

/**
 * netring_batch_release:
 * @batch: a batch
 *
 * Gives the batch's memory back to the receiver now, without waiting for
 * the last reference (which a binding may hold until its garbage collector
 * runs). The batch stays a valid object but reads as empty from then on:
 * it has no packets, its #NetringPacket views have no bytes (their lengths
 * and other details stay readable) and its buffer is empty. A #GBytes that
 * already shares the memory (netring_batch_get_buffer(),
 * netring_packet_get_bytes()) keeps it until the #GBytes is freed, so its
 * bytes never change. Releasing twice does nothing.
 *
 * Do not release a batch that other code (a pcap writer still writing it)
 * is reading.
 */
void
netring_batch_release (NetringBatch *batch)
{
  g_return_if_fail (batch != NULL);
  if (g_atomic_int_compare_and_exchange (&batch->released, 0, 1))
    batch_drop_hold (batch);
}

/**
 * netring_batch_is_released:
 * @batch: a batch
 *
 * Whether netring_batch_release() was called, by the user or at the end of
 * the signal emission that handed @batch over.
 *
 * Returns: %TRUE if @batch no longer has packets
 */
gboolean
netring_batch_is_released (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, FALSE);
  return _netring_batch_is_released (batch);
}

/**
 * netring_batch_get_n_packets:
 * @batch: a batch
 *
 * The number of packets the kernel wrote into the block; 0 once @batch
 * was released.
 *
 * Returns: the packet count
 */
guint
netring_batch_get_n_packets (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, 0);
  return _netring_batch_is_released (batch) ? 0 : batch->n_packets;
}

/**
 * netring_batch_get_sequence:
 * @batch: a batch
 *
 * The kernel's sequence number of the block. The kernel numbers every block
 * it opens, starting at 1. Batches of a #NetringXdpSocket, which the kernel
 * does not number, are numbered by the socket, from 1.
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
 * time. AF_XDP gives no receive time: for a batch of a #NetringXdpSocket
 * this (and every packet's timestamp) is when the socket handed the batch
 * out.
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
 * kernel may record the time it closed the block instead); for a batch of a
 * #NetringXdpSocket the same as netring_batch_get_first_timestamp().
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
  _netring_batch_iter_setup (iter, batch->layout,
                             _netring_batch_is_released (batch) ? NULL : batch->first,
                             batch->base, batch->limit, batch->n_packets);
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

/* AF_XDP frames lie anywhere in the UMEM, between frames that belong to
 * other batches, to the fill ring or to the sender: a zero-copy range over
 * them would show bytes the batch does not own, which the kernel rewrites
 * at any time. So an INDEXED batch's buffer is a copy of its packets'
 * bytes, one after the other in batch order (packet i starts where the
 * lengths of the packets before it add up to). */
static void
batch_pack_indexed (NetringBatch *batch, guint8 **data, gsize *size)
{
  NetringBatchIter iter;
  const guint8 *bytes;
  guint32 length;
  gsize total = 0;
  guint8 *out;

  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next_data (&iter, &length, NULL) != NULL)
    total += length;
  out = g_malloc (MAX (total, 1));
  total = 0;
  netring_batch_iter_init (&iter, batch);
  while ((bytes = netring_batch_iter_next_data (&iter, &length, NULL)) != NULL)
    {
      memcpy (out + total, bytes, length);
      total += length;
    }
  *data = out;
  *size = total;
}

/**
 * netring_batch_get_buffer:
 * @batch: a batch
 *
 * The batch's packet bytes as one #GBytes, where netring_batch_get_records()
 * says each packet lies. For a #NetringCapture this is the used part of the
 * ring block, zero-copy: it holds the block until the #GBytes is freed, even
 * past netring_batch_release() and the end of a signal handler (in a
 * binding that frees it late, JavaScript, prefer a copy). For a
 * #NetringXdpSocket it is a copy of the batch's frames, one after the
 * other: the frames lie scattered in the socket's UMEM between memory the
 * batch does not own. This and netring_batch_get_records() are the bulk
 * path for bindings: two calls per batch instead of several per packet.
 * A released batch gives an empty #GBytes.
 *
 * Returns: (transfer full): the batch's packet bytes
 */
GBytes *
netring_batch_get_buffer (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, NULL);
  if (_netring_batch_is_released (batch))
    return g_bytes_new_static ("", 0);
  if (batch->layout->kind == NETRING_BATCH_LAYOUT_INDEXED)
    {
      guint8 *data;
      gsize size;

      batch_pack_indexed (batch, &data, &size);
      return g_bytes_new_take (data, size);
    }
  _netring_batch_pin (batch);
  return g_bytes_new_with_free_func (batch->base, batch->limit, _netring_batch_unpin, batch);
}

/**
 * netring_batch_copy_buffer:
 * @batch: a batch
 *
 * Like netring_batch_get_buffer(), but always a copy, which holds no ring
 * memory: the bulk path for bindings whose wrappers live until a garbage
 * collector runs (JavaScript), where a #GBytes that shares ring memory
 * would keep the ring block from the kernel until then. The packets lie in
 * it where netring_batch_get_records() says. A released batch gives an
 * empty #GBytes.
 *
 * Returns: (transfer full): a copy of the batch's packet bytes
 */
GBytes *
netring_batch_copy_buffer (NetringBatch *batch)
{
  g_return_val_if_fail (batch != NULL, NULL);
  if (_netring_batch_is_released (batch))
    return g_bytes_new_static ("", 0);
  if (batch->layout->kind == NETRING_BATCH_LAYOUT_INDEXED)
    return netring_batch_get_buffer (batch); /* a copy already */
  return g_bytes_new (batch->base, batch->limit);
}

/**
 * netring_batch_get_records:
 * @batch: a batch
 *
 * Every packet of @batch as a #NetringPacketRecord (where its bytes are in
 * netring_batch_get_buffer(), its lengths, time and status), one after the
 * other in one #GBytes: a constant number of calls per batch for bindings.
 * The records are a copy and hold no ring memory. A released batch gives an
 * empty #GBytes.
 *
 * Returns: (transfer full): the records, 32 bytes per packet
 */
GBytes *
netring_batch_get_records (NetringBatch *batch)
{
  NetringPacketRecord *records;
  NetringBatchIter iter;
  NetringPacketInfo info;
  gboolean packed;
  guint64 packed_offset = 0;
  guint32 n = 0;

  g_return_val_if_fail (batch != NULL, NULL);
  packed = batch->layout->kind == NETRING_BATCH_LAYOUT_INDEXED;
  if (_netring_batch_is_released (batch) || batch->n_packets == 0)
    return g_bytes_new_static ("", 0);
  records = g_new (NetringPacketRecord, batch->n_packets);
  netring_batch_iter_init (&iter, batch);
  while (n < batch->n_packets && netring_batch_iter_next (&iter, &info))
    {
      /* where netring_batch_get_buffer() puts the packet */
      records[n].offset = packed ? packed_offset : (guint64) (info.data - batch->base);
      packed_offset += info.captured_length;
      records[n].captured_length = info.captured_length;
      records[n].wire_length = info.wire_length;
      records[n].timestamp_ns = info.timestamp_ns;
      records[n].status = info.status;
      records[n].reserved = 0;
      n++;
    }
  return g_bytes_new_take (records, n * sizeof (NetringPacketRecord));
}
