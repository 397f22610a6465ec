/* netring-tpacket-rx.c: TPACKET_V3 ring blocks lent out as batches */
#include "netring-tpacket-rx-private.h"

#include <string.h>
#include <sys/mman.h>

struct _NetringTpacketRx {
  gatomicrefcount ref_count; /* the receiver's, and one per batch */
  NetringReceiveCore *core;
  guint8 *map;
  gsize map_length;
  NrRxRing ring;
};

G_STATIC_ASSERT (NETRING_PACKET_STATUS_TRUNCATED == NR_TP_STATUS_TRUNCATED);
G_STATIC_ASSERT (NETRING_PACKET_STATUS_LOSING == TP_STATUS_LOSING);
G_STATIC_ASSERT (NETRING_PACKET_STATUS_VLAN_VALID == TP_STATUS_VLAN_VALID);
G_STATIC_ASSERT ((guint) NETRING_PACKET_STATUS_TS_RAW_HARDWARE == TP_STATUS_TS_RAW_HARDWARE);
/* the iterator keeps field offsets in bytes */
G_STATIC_ASSERT (TPACKET3_HDRLEN <= G_MAXUINT8);

static void
tpacket_rx_free (NetringTpacketRx *rx)
{
  /* Every batch held a reference, so no block is in use any more. Once the
   * mapping goes, the kernel releases the socket if it was closed. */
  munmap (rx->map, rx->map_length);
  nr_rx_ring_clear (&rx->ring);
  _netring_receive_core_unref (rx->core);
  g_free (rx);
}

NetringTpacketRx *
_netring_tpacket_rx_new (guint8 *map, gsize map_length, guint32 block_size, guint32 block_count)
{
  NetringTpacketRx *rx = g_new0 (NetringTpacketRx, 1);

  g_atomic_ref_count_init (&rx->ref_count);
  rx->core = _netring_receive_core_new ();
  rx->map = map;
  rx->map_length = map_length;
  nr_rx_ring_init (&rx->ring, map, block_size, block_count);
  return rx;
}

void
_netring_tpacket_rx_unref (NetringTpacketRx *rx)
{
  if (g_atomic_ref_count_dec (&rx->ref_count))
    tpacket_rx_free (rx);
}

NetringReceiveCore *
_netring_tpacket_rx_get_core (NetringTpacketRx *rx)
{
  return rx->core;
}

NetringReceiveState
_netring_tpacket_rx_peek (NetringTpacketRx *rx)
{
  switch (nr_rx_ring_peek (&rx->ring))
    {
    case NR_RX_READY:
      return NETRING_RECEIVE_READY;
    case NR_RX_HELD:
      return NETRING_RECEIVE_HELD;
    case NR_RX_EMPTY:
    default:
      /* The kernel reports POLLIN while the block it retired last is
       * user-owned, so poll() would spin. The block being filled is retired
       * at the latest one block timeout after its first packet. */
      return nr_rx_ring_previous_held (&rx->ring) ? NETRING_RECEIVE_EMPTY_NO_POLL
                                                  : NETRING_RECEIVE_EMPTY;
    }
}

static void
tpacket_batch_release (NetringBatch *batch)
{
  NetringTpacketRx *rx = batch->producer;

  nr_rx_ring_release (&rx->ring, (guint32) batch->token);
  _netring_receive_core_released (rx->core, batch->n_packets);
}

static void
tpacket_batch_producer_unref (gpointer producer)
{
  _netring_tpacket_rx_unref (producer);
}

static void
tpacket_batch_fill_info (const NetringBatch *batch, const guint8 *record,
                         NetringPacketInfo *info)
{
  const struct tpacket3_hdr *hdr = (const struct tpacket3_hdr *) record;
  const struct sockaddr_ll *sll = nr_tpacket3_sll (hdr);
  guint32 status = (hdr->tp_status & NR_TP_STATUS_PUBLIC_MASK) | batch->status_flags;
  guint8 halen = sll->sll_halen;

  if (hdr->tp_snaplen < hdr->tp_len)
    status |= NR_TP_STATUS_TRUNCATED; /* TP_STATUS_COPY is never set under V3 */
  info->data = record + hdr->tp_mac;
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

static const NetringBatchOps tpacket_batch_ops = {
  .release = tpacket_batch_release,
  .producer_unref = tpacket_batch_producer_unref,
  .fill_info = tpacket_batch_fill_info,
};

static inline gint64
bd_ts_ns (const struct tpacket_bd_ts *ts)
{
  /* libc/uapi call the field ts_usec, but TPACKET_V3 stores nanoseconds */
  return (gint64) ts->ts_sec * G_GINT64_CONSTANT (1000000000) + ts->ts_nsec;
}

NetringBatch *
_netring_tpacket_rx_take (NetringTpacketRx *rx, guint64 *lost_blocks)
{
  const struct tpacket_block_desc *desc;
  NrBlockWalk walk;
  NetringBatch *batch;
  guint32 index;

  desc = nr_rx_ring_take (&rx->ring, &index, lost_blocks);
  /* The block header is checked once here (the kernel's blk_len and first
   * offset are never trusted beyond the block); each record is checked by
   * the iterator. A corrupt header gives an empty batch that still owns,
   * and gives back, its block. */
  nr_block_walk_init (&walk, desc, rx->ring.block_size);
  g_atomic_ref_count_inc (&rx->ref_count);
  batch = _netring_batch_new (&tpacket_batch_ops, rx, index, &netring_tpacket3_layout, walk.next,
                              (const guint8 *) desc, walk.end, desc->hdr.bh1.num_pkts);
  batch->sequence = desc->hdr.bh1.seq_num;
  batch->lost_blocks = *lost_blocks;
  batch->first_ns = bd_ts_ns (&desc->hdr.bh1.ts_first_pkt);
  batch->last_ns = bd_ts_ns (&desc->hdr.bh1.ts_last_pkt);
  batch->timed_out = (desc->hdr.bh1.block_status & TP_STATUS_BLK_TMO) != 0;
  /* Under V3 the kernel reports LOSING per block (prb_close_block), not per
   * packet: carry it to every packet of the block. */
  batch->status_flags = walk.block_flags;
  return batch;
}
