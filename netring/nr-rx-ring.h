/* nr-rx-ring.h: TPACKET_V3 receive ring: block ownership and packet walking.
 * Plain C over ring memory, no GObject and no syscalls, so it can be unit
 * tested (and fuzzed) on blocks built in ordinary memory. */
#pragma once

#include "nr-afpacket.h"

G_BEGIN_DECLS

typedef struct {
  guint8 *map;          /* block_count * block_size bytes */
  guint32 block_size;
  guint32 block_count;
  guint32 cursor;       /* next block to hand to the user */
  guint8 *held;         /* per block: non-zero while a batch owns it */
  guint64 expected_seq; /* sequence number expected at the cursor, 0 = unknown */
} NrRxRing;

typedef enum {
  NR_RX_READY, /* the cursor block is retired by the kernel and not handed out */
  NR_RX_EMPTY, /* the kernel is still filling the cursor block */
  NR_RX_HELD,  /* the cursor block is still owned by an unreleased batch */
} NrRxState;

/* TPACKET_V3 packs packets in a block at 8-byte alignment (the kernel's
 * V3_ALIGNMENT), not TPACKET_ALIGNMENT's 16. */
#define NR_V3_ALIGNMENT 8

/* Walks the packets of one block by tp_next_offset. Field order matches the
 * private part of the public NetringBatchIter. */
typedef struct {
  const guint8 *block;
  const guint8 *next; /* next packet header, NULL when done */
  gsize end;          /* bytes of the block that may be read */
  guint32 remaining;  /* packets the block header still announces */
  guint32 corrupt;    /* set when the walk stopped on an inconsistent header */
  guint32 block_flags; /* block-level status bits that apply to every packet */
} NrBlockWalk;

void nr_rx_ring_init (NrRxRing *ring, guint8 *map, guint32 block_size, guint32 block_count);
void nr_rx_ring_clear (NrRxRing *ring);

static inline struct tpacket_block_desc *
nr_rx_ring_block (const NrRxRing *ring, guint32 index)
{
  return (struct tpacket_block_desc *) (ring->map + (gsize) index * ring->block_size);
}

/* Acquire: pairs with the kernel's store after it wrote the block. */
static inline guint32
nr_rx_block_status (const struct tpacket_block_desc *desc)
{
  return __atomic_load_n (&desc->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
}

static inline NrRxState
nr_rx_ring_peek (const NrRxRing *ring)
{
  if (__atomic_load_n (&ring->held[ring->cursor], __ATOMIC_ACQUIRE))
    return NR_RX_HELD;
  if (nr_rx_block_status (nr_rx_ring_block (ring, ring->cursor)) & TP_STATUS_USER)
    return NR_RX_READY;
  return NR_RX_EMPTY;
}

/* Whether the block before the cursor (the one the kernel retired last when
 * we are caught up) is still held by the user. The kernel's poll() reports
 * POLLIN while that block is not kernel-owned, so in this state poll() is
 * always readable and must not be used to wait. */
gboolean nr_rx_ring_previous_held (const NrRxRing *ring);

/* Takes the cursor block (state must be NR_RX_READY): marks it held,
 * advances the cursor and checks the sequence number. *lost_blocks gets
 * the number of block numbers skipped before this block. */
struct tpacket_block_desc *nr_rx_ring_take (NrRxRing *ring, guint32 *index, guint64 *lost_blocks);

/* Gives block @index back to the kernel. Safe from any thread. */
void nr_rx_ring_release (NrRxRing *ring, guint32 index);

/* Prepares a walk over @block (at most @block_size bytes). Returns the
 * number of packets the header announces (0 for an empty or corrupt header,
 * in which case the walk yields nothing). */
guint32 nr_block_walk_init (NrBlockWalk *walk, const void *block, gsize block_size);

/* Next packet header, or NULL at the end or at the first header that would
 * reach outside the block (walk->corrupt is set then). Never reads outside
 * [block, block + end). */
static inline const struct tpacket3_hdr *
nr_block_walk_next (NrBlockWalk *walk)
{
  const guint8 *cur = walk->next;
  const struct tpacket3_hdr *hdr;
  gsize offset, room;

  if (cur == NULL || walk->remaining == 0)
    return NULL;

  offset = (gsize) (cur - walk->block);
  room = walk->end - offset;
  hdr = (const struct tpacket3_hdr *) cur;
  if (G_UNLIKELY (room < TPACKET3_HDRLEN ||
                  (gsize) hdr->tp_mac + hdr->tp_snaplen > room ||
                  hdr->tp_mac < TPACKET3_HDRLEN))
    {
      walk->corrupt = 1;
      walk->next = NULL;
      return NULL;
    }

  walk->remaining--;
  if (hdr->tp_next_offset == 0)
    walk->next = NULL; /* the last packet, whatever num_pkts claimed */
  else if (G_UNLIKELY (hdr->tp_next_offset >= room ||
                       (hdr->tp_next_offset & (NR_V3_ALIGNMENT - 1)) != 0))
    {
      walk->corrupt = 1;
      walk->next = NULL;
    }
  else
    walk->next = cur + hdr->tp_next_offset;
  return hdr;
}

static inline const struct sockaddr_ll *
nr_tpacket3_sll (const struct tpacket3_hdr *hdr)
{
  return (const struct sockaddr_ll *) ((const guint8 *) hdr +
                                       TPACKET_ALIGN (sizeof (struct tpacket3_hdr)));
}


G_END_DECLS
