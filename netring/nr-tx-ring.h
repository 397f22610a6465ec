/* nr-tx-ring.h: AF_PACKET TX ring bookkeeping (TPACKET_V3 frame layout).
 * Plain C over ring memory, no GObject and no syscalls, so it can be unit
 * tested on a buffer in ordinary memory with the test playing the kernel.
 *
 * The kernel consumes a TX ring strictly in order from its own head and has
 * no status that means "skip this slot" (F2): a hole (an AVAILABLE slot
 * between queued ones) or a rejected frame at its head stalls every frame
 * after it. So frames are written strictly in sequence, in lock-step with
 * the kernel: three 64-bit sequence numbers describe the whole ring,
 *
 *   done <= kicked <= head,   head - done <= frame_count
 *
 *   [done, kicked)  frames the kernel has taken (SENDING, or AVAILABLE once
 *                   their skb is freed and not yet counted by us)
 *   [kicked, head)  frames we queued (SEND_REQUEST) that the kernel has not
 *                   taken yet; the kernel's head is the slot of `kicked`
 *   head            the next slot we hand out (the user cursor)
 *
 * Frame n lives in slot n % frame_count. Every status transition is seen by
 * moving one of the cursors over it once, so pending/available are O(1) and
 * the walks are O(1) amortised per frame. */
#pragma once

#include "nr-afpacket.h"

G_BEGIN_DECLS

/* The kernel may OR timestamp bits into the status of a completed frame
 * (tpacket_destruct_skb when PACKET_TIMESTAMP is set); they say nothing
 * about ownership. */
#define NR_TX_STATUS_TS_MASK                                                     \
  (TP_STATUS_TS_SOFTWARE | TP_STATUS_TS_SYS_HARDWARE | TP_STATUS_TS_RAW_HARDWARE)

/* Largest frame the library accepts: a 64 KiB jumbo (the loopback MTU)
 * plus link header and the 48-byte ring header, rounded to a power of two. */
#define NR_TX_MAX_FRAME_SIZE (128u * 1024u)
/* Smallest TPACKET_V3 frame: the kernel wants room for TPACKET3_HDRLEN (68)
 * and frames are TPACKET_ALIGNMENT (16) aligned. */
#define NR_TX_MIN_FRAME_SIZE 80u
/* The ring (all blocks) may not be larger than this. */
#define NR_TX_MAX_RING_BYTES (1u << 30)

typedef struct {
  guint32 block_size;       /* next_pow2 (max (frame_size, page_size)) */
  guint32 frames_per_block; /* block_size / frame_size */
  guint32 block_count;      /* ceil (requested frames / frames_per_block) */
  guint32 frame_count;      /* block_count * frames_per_block (>= requested) */
} NrTxGeometry;

typedef struct {
  guint8 *map;
  guint32 frame_size;
  guint32 frame_count;
  guint32 block_size;
  guint32 frames_per_block;
  /* Shortcuts for the per-frame address computation (no division when the
   * counts are powers of two, the usual case): frame_count - 1 or 0, and
   * log2 (frames_per_block) or NR_TX_NO_SHIFT. */
  guint32 frame_mask;
  guint32 block_shift;

  guint64 head;   /* sequence number of the next frame to write */
  guint64 kicked; /* frames the kernel has taken: its head is slot (kicked) */
  guint64 done;   /* frames whose slot came back and were counted */
  gboolean reserved; /* slot (head) is handed out to the caller */

  /* Cumulative counters. */
  guint64 frames_queued;   /* committed (a rejected frame stays counted here) */
  guint64 frames_sent;     /* slot came back from the kernel */
  guint64 bytes_sent;
  guint64 frames_rejected; /* the kernel marked the frame WRONG_FORMAT */
  guint64 frames_aborted;  /* reservations given back unused */
  guint32 last_reject_length;
} NrTxRing;

/* Computes the ring geometry for @frame_size (a multiple of 16, at least
 * NR_TX_MIN_FRAME_SIZE) and @frame_count (> 0) requested frames. Returns
 * FALSE if the arguments are invalid or the ring would exceed
 * NR_TX_MAX_RING_BYTES. */
gboolean nr_tx_ring_geometry (guint32 frame_size, guint32 frame_count, guint32 page_size,
                              NrTxGeometry *geometry);

/* @map is geometry->block_size * geometry->block_count bytes, every status
 * word AVAILABLE (a fresh kernel ring is zeroed). */
void nr_tx_ring_init (NrTxRing *ring, guint8 *map, guint32 frame_size,
                      const NrTxGeometry *geometry);

static inline guint32
nr_tx_ring_capacity (const NrTxRing *ring)
{
  return ring->frame_size - (guint32) NR_TX_DATA_OFFSET;
}

/* The kernel's frame addressing (packet_lookup_frame): frames never
 * straddle a block, so a block may end in unused bytes when frame_size does
 * not divide block_size. */
#define NR_TX_NO_SHIFT G_MAXUINT32

static inline struct tpacket3_hdr *
nr_tx_ring_slot (const NrTxRing *ring, guint32 index)
{
  guint32 block, within;

  if (G_LIKELY (ring->block_shift != NR_TX_NO_SHIFT))
    {
      block = index >> ring->block_shift;
      within = index & (ring->frames_per_block - 1);
    }
  else
    {
      block = index / ring->frames_per_block;
      within = index % ring->frames_per_block;
    }

  return (struct tpacket3_hdr *) (ring->map + (gsize) block * ring->block_size +
                                  (gsize) within * ring->frame_size);
}

static inline struct tpacket3_hdr *
nr_tx_ring_frame (const NrTxRing *ring, guint64 seq)
{
  return nr_tx_ring_slot (ring, G_LIKELY (ring->frame_mask != 0)
                                  ? (guint32) seq & ring->frame_mask
                                  : (guint32) (seq % ring->frame_count));
}

/* Acquire: pairs with the kernel's smp_wmb() + status store, so whatever it
 * wrote before handing the slot back is visible. Timestamp bits removed. */
static inline guint32
nr_tx_frame_status (const struct tpacket3_hdr *hdr)
{
  return __atomic_load_n (&hdr->tp_status, __ATOMIC_ACQUIRE) & ~NR_TX_STATUS_TS_MASK;
}

/* Release: the header and data written before must be visible to the
 * kernel before it sees the new status. */
static inline void
nr_tx_frame_set_status (struct tpacket3_hdr *hdr, guint32 status)
{
  __atomic_store_n (&hdr->tp_status, status, __ATOMIC_RELEASE);
}

static inline guint8 *
nr_tx_frame_data (struct tpacket3_hdr *hdr)
{
  return (guint8 *) hdr + NR_TX_DATA_OFFSET;
}

/* Frames queued and not yet handed back by the kernel. */
static inline guint32
nr_tx_ring_pending (const NrTxRing *ring)
{
  return (guint32) (ring->head - ring->done);
}

/* Frames queued that the kernel has not taken yet (they need a kick). */
static inline guint32
nr_tx_ring_unkicked (const NrTxRing *ring)
{
  return (guint32) (ring->head - ring->kicked);
}

/* Slots free for new frames (an outstanding reservation is not free). */
static inline guint32
nr_tx_ring_available (const NrTxRing *ring)
{
  return ring->frame_count - nr_tx_ring_pending (ring) - (ring->reserved ? 1 : 0);
}

/* Hands out the data area (nr_tx_ring_capacity() bytes) of the slot at the
 * cursor, or NULL when that slot is not AVAILABLE (ring full: call
 * nr_tx_ring_update() after the kernel made progress). At most one
 * reservation is outstanding. */
guint8 *nr_tx_ring_reserve (NrTxRing *ring);

/* Queues the reserved slot with @length bytes (1..capacity): writes the V3
 * header (tp_next_offset 0, tp_len = tp_snaplen = @length) and then
 * release-stores TP_STATUS_SEND_REQUEST. */
void nr_tx_ring_commit (NrTxRing *ring, guint32 length);

/* Gives the reserved slot back: the cursor stays, so the same slot is the
 * next one handed out and no hole is left for the kernel to stop at. */
void nr_tx_ring_abort (NrTxRing *ring);

/* Accounts for what the kernel did since the last call: moves `kicked` over
 * the frames it took and `done` over the frames it handed back (counting
 * frames_sent/bytes_sent). A frame the kernel marked WRONG_FORMAT at its
 * head is counted as rejected and its slot reused in place: the frames
 * queued after it move up one slot each (the kernel has not looked at them:
 * it stopped at the rejected one) and the cursor steps back, so the
 * kernel's head meets a valid frame (or the cursor) at the same slot and
 * nothing stalls. Does nothing about a rejection while a reservation is
 * outstanding (the reserved slot would move); the next call handles it.
 * Returns the number of rejected frames handled. */
guint nr_tx_ring_update (NrTxRing *ring);

G_END_DECLS
