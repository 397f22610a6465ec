/* nr-rx-ring.c: TPACKET_V3 receive ring bookkeeping */
#include "config.h"

#include "nr-rx-ring.h"

#include <errno.h>
#include <linux/filter.h>
#include <sys/socket.h>

void
nr_rx_ring_init (NrRxRing *ring, guint8 *map, guint32 block_size, guint32 block_count)
{
  ring->map = map;
  ring->block_size = block_size;
  ring->block_count = block_count;
  ring->cursor = 0;
  ring->held = g_new0 (guint8, block_count);
  ring->expected_seq = 0;
}

void
nr_rx_ring_clear (NrRxRing *ring)
{
  g_clear_pointer (&ring->held, g_free);
  ring->map = NULL;
}

gboolean
nr_rx_ring_previous_held (const NrRxRing *ring)
{
  guint32 prev = ring->cursor == 0 ? ring->block_count - 1 : ring->cursor - 1;

  return __atomic_load_n (&ring->held[prev], __ATOMIC_ACQUIRE) != 0;
}

struct tpacket_block_desc *
nr_rx_ring_take (NrRxRing *ring, guint32 *index, guint64 *lost_blocks)
{
  struct tpacket_block_desc *desc = nr_rx_ring_block (ring, ring->cursor);
  guint64 seq = desc->hdr.bh1.seq_num;

  *lost_blocks = 0;
  if (ring->expected_seq != 0 && seq != ring->expected_seq)
    {
      /* Sequence numbers only grow; anything else is a wrapped or corrupt
       * header, which counts as one lost block rather than 2^64. */
      *lost_blocks = seq > ring->expected_seq ? seq - ring->expected_seq : 1;
    }
  ring->expected_seq = seq + 1;

  ring->held[ring->cursor] = 1;
  *index = ring->cursor;
  ring->cursor = ring->cursor + 1 == ring->block_count ? 0 : ring->cursor + 1;
  return desc;
}

void
nr_rx_ring_release (NrRxRing *ring, guint32 index)
{
  struct tpacket_block_desc *desc = nr_rx_ring_block (ring, index);

  /* Status first, then our flag: the owner reads the flag before the status,
   * so it can never see the flag clear together with the old USER status and
   * hand the same block out twice. Both are release stores so every read of
   * the block's packets happens before the kernel may reuse it. */
  __atomic_store_n (&desc->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  __atomic_store_n (&ring->held[index], 0, __ATOMIC_RELEASE);
}

guint32
nr_block_walk_init (NrBlockWalk *walk, const void *block, gsize block_size)
{
  const struct tpacket_block_desc *desc = block;
  guint32 num_pkts = desc->hdr.bh1.num_pkts;
  guint32 first = desc->hdr.bh1.offset_to_first_pkt;
  guint32 blk_len = desc->hdr.bh1.blk_len;

  walk->block = block;
  walk->next = NULL;
  walk->end = 0;
  walk->remaining = 0;
  walk->corrupt = 0;
  /* Under V3 the kernel reports LOSING per block (prb_close_block), not per
   * packet: carry it to every packet of the block. */
  walk->block_flags = desc->hdr.bh1.block_status & TP_STATUS_LOSING;

  if (num_pkts == 0)
    return 0;
  /* blk_len is the used part of the block; never trust it beyond the block */
  if (blk_len > block_size || first < sizeof (struct tpacket_block_desc) || first >= blk_len ||
      (first & (NR_V3_ALIGNMENT - 1)) != 0)
    {
      walk->corrupt = 1;
      return 0;
    }
  walk->end = blk_len;
  walk->next = (const guint8 *) block + first;
  walk->remaining = num_pkts;
  return num_pkts;
}
