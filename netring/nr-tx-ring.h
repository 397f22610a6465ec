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

/* The rules for the ring's geometry, in one place: the injector's property
 * checks, its error messages and its documentation all use these.
 *
 * Largest frame the library accepts: a 64 KiB jumbo (the loopback MTU)
 * plus link header and the 48-byte ring header, rounded to a power of two. */
#define NR_TX_MAX_FRAME_SIZE (128u * 1024u)
/* Smallest TPACKET_V3 frame: the kernel wants room for TPACKET3_HDRLEN (68)
 * and frames are TPACKET_ALIGNMENT (16) aligned, so 80. */
#define NR_TX_MIN_FRAME_SIZE ((guint32) TPACKET_ALIGN (TPACKET3_HDRLEN))
/* Frame sizes are multiples of this. */
#define NR_TX_FRAME_ALIGNMENT ((guint32) TPACKET_ALIGNMENT)
/* A ring has at least this many frames. */
#define NR_TX_MIN_FRAME_COUNT 1u
/* The ring (all blocks) may not be larger than this. */
#define NR_TX_MAX_RING_BYTES (1u << 30)

/* The kernel's length limit of a frame with an 802.1Q tag is 4 bytes more
 * (packet_extra_vlan_len_allowed: Ethernet devices, EtherType 0x8100). */
#define NR_TX_VLAN_ALLOWANCE 4u

typedef struct {
  guint32 block_size;       /* next_pow2 (max (frame_size, page_size)) */
  guint32 frames_per_block; /* block_size / frame_size */
  guint32 block_count;      /* ceil (requested frames / frames_per_block) */
  guint32 frame_count;      /* block_count * frames_per_block (>= requested) */
} NrTxGeometry;

/* The system call that hands queued frames to the kernel:
 * sendto (fd, NULL, 0, MSG_DONTWAIT, NULL, 0). Returns what sendto() returns,
 * with errno set. Tests replace it to play the kernel. */
typedef long (*NrTxKickFunc) (int fd, gpointer user_data);

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
  guint64 reaped; /* `done` at the previous nr_tx_ring_reap() */
  gboolean reserved; /* slot (head) is handed out to the caller */

  /* The length rule (nr_tx_ring_check_length): frames of 1..max_length
   * bytes pass without further look; link_max is the kernel's limit on
   * this interface (MTU + link header, 0 when unknown), vlan_allowance the
   * 4 extra bytes Ethernet allows for an 802.1Q-tagged frame. */
  guint32 max_length;
  guint32 link_max;
  guint32 vlan_allowance;

  /* The kick (nr_tx_ring_kick): the socket, and the system call. */
  int fd;
  NrTxKickFunc kick_func;
  gpointer kick_data;

  /* Cumulative counters. */
  guint64 frames_queued;   /* committed (a rejected frame stays counted here) */
  guint64 frames_sent;     /* slot came back from the kernel */
  guint64 bytes_sent;
  guint64 frames_rejected; /* the kernel marked the frame WRONG_FORMAT */
  guint64 frames_refused;  /* the length rule refused the frame before the ring */
  guint64 frames_aborted;  /* reservations given back unused */
  guint64 frames_discarded; /* queued, never taken by the kernel (closed) */
  guint64 kicks;           /* sendto() calls */
  guint64 kicks_eagain;    /* kicks that stopped at a full send buffer */
  guint64 kicks_enobufs;   /* kicks that stopped at a full device queue */
  guint32 last_reject_length;
  int last_reject_errno;   /* errno of the last rejection, 0 if none */
} NrTxRing;

/* Which geometry rule a request breaks. */
typedef enum {
  NR_TX_GEOMETRY_OK,
  NR_TX_GEOMETRY_FRAME_SIZE,  /* not a multiple of NR_TX_FRAME_ALIGNMENT in
                               * NR_TX_MIN_FRAME_SIZE..NR_TX_MAX_FRAME_SIZE */
  NR_TX_GEOMETRY_FRAME_COUNT, /* less than NR_TX_MIN_FRAME_COUNT */
  NR_TX_GEOMETRY_TOO_LARGE,   /* the ring would exceed NR_TX_MAX_RING_BYTES */
} NrTxGeometryRule;

/* Computes the ring geometry for @frame_size and @frame_count requested
 * frames, or says which rule the request breaks (@geometry is then
 * untouched). */
NrTxGeometryRule nr_tx_ring_geometry_check (guint32 frame_size, guint32 frame_count,
                                            guint32 page_size, NrTxGeometry *geometry);

/* nr_tx_ring_geometry_check() == NR_TX_GEOMETRY_OK. */
gboolean nr_tx_ring_geometry (guint32 frame_size, guint32 frame_count, guint32 page_size,
                              NrTxGeometry *geometry);

/* Bytes of ring memory for @geometry. */
static inline guint64
nr_tx_geometry_bytes (const NrTxGeometry *geometry)
{
  return (guint64) geometry->block_size * geometry->block_count;
}

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

/* The length rule ----------------------------------------------------- */

typedef enum {
  NR_TX_LENGTH_OK,
  NR_TX_LENGTH_EMPTY,         /* 0 bytes */
  NR_TX_LENGTH_OVER_CAPACITY, /* longer than a ring slot holds */
  NR_TX_LENGTH_OVER_LINK,     /* longer than the interface's MTU + link header */
} NrTxLength;

/* Sets the kernel's length rule for the interface (tpacket_snd): a frame
 * may be at most @mtu + @link_header bytes, 4 more on Ethernet when it
 * carries an 802.1Q tag. @link_header < 0 means the header length of the
 * link type is not known: then only the ring's capacity is checked, and the
 * kernel's own check (a rejection, counted) remains. */
void nr_tx_ring_set_link (NrTxRing *ring, guint32 mtu, gint link_header, gboolean ethernet);

NrTxLength nr_tx_ring_check_length_slow (const NrTxRing *ring, const guint8 *data, gsize length);

/* Whether a frame of @length bytes may be queued. @data is the frame (its
 * EtherType tells whether the VLAN allowance applies), or NULL when it is
 * not written yet (a reservation): then the allowance is granted, and the
 * commit checks again with the data. */
static inline NrTxLength
nr_tx_ring_check_length (const NrTxRing *ring, const guint8 *data, gsize length)
{
  /* length - 1 wraps for 0: one comparison for "1 ≤ length ≤ max" */
  if (G_LIKELY (length - 1 < (gsize) ring->max_length))
    return NR_TX_LENGTH_OK;
  return nr_tx_ring_check_length_slow (ring, data, length);
}

/* The longest frame the rule lets through, tag allowance included. */
guint32 nr_tx_ring_max_length (const NrTxRing *ring);

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
 * reservation is outstanding. Inline: it is on every frame's path. */
static inline guint8 *
nr_tx_ring_reserve (NrTxRing *ring)
{
  struct tpacket3_hdr *hdr;

  if (ring->reserved || nr_tx_ring_pending (ring) >= ring->frame_count)
    return NULL;

  /* The slot's previous frame (head - frame_count) is older than `done`,
   * so the kernel gave it back; checked anyway so that a confused ring
   * never overwrites a frame the kernel still owns. */
  hdr = nr_tx_ring_frame (ring, ring->head);
  if (nr_tx_frame_status (hdr) != TP_STATUS_AVAILABLE)
    return NULL;

  ring->reserved = TRUE;
  return nr_tx_frame_data (hdr);
}

/* Writes the V3 TX header of a frame of @length bytes. Only these fields
 * matter to the kernel's V3 TX path (tpacket_parse_header): a non-zero
 * tp_next_offset is refused as a "variable sized slot", and without
 * PACKET_TX_HAS_OFF the data is at NR_TX_DATA_OFFSET whatever tp_mac says. */
static inline void
nr_tx_frame_write (struct tpacket3_hdr *hdr, guint32 length)
{
  hdr->tp_next_offset = 0;
  hdr->tp_len = length;
  hdr->tp_snaplen = length;
  hdr->tp_mac = (guint16) NR_TX_DATA_OFFSET;
  hdr->tp_net = (guint16) NR_TX_DATA_OFFSET;
}

/* The data area of the outstanding reservation. */
static inline guint8 *
nr_tx_ring_reserved_data (const NrTxRing *ring)
{
  return nr_tx_frame_data (nr_tx_ring_frame (ring, ring->head));
}

/* Queues the reserved slot with @length bytes (1..capacity): writes the V3
 * header (tp_next_offset 0, tp_len = tp_snaplen = @length) and then
 * release-stores TP_STATUS_SEND_REQUEST. Inline, like reserve. */
static inline void
nr_tx_ring_commit (NrTxRing *ring, guint32 length)
{
  struct tpacket3_hdr *hdr;

  g_assert (ring->reserved);
  g_assert (length > 0 && length <= nr_tx_ring_capacity (ring));

  hdr = nr_tx_ring_frame (ring, ring->head);
  nr_tx_frame_write (hdr, length);
  nr_tx_frame_set_status (hdr, TP_STATUS_SEND_REQUEST);
  ring->reserved = FALSE;
  ring->head++;
  ring->frames_queued++;
}

/* Gives the reserved slot back: the cursor stays, so the same slot is the
 * next one handed out and no hole is left for the kernel to stop at. */
void nr_tx_ring_abort (NrTxRing *ring);

/* Counts a frame the length rule refused. A commit that is refused gives
 * its reservation back here (the slot stays AVAILABLE at the cursor, like
 * an abort, but is counted as refused rather than aborted). */
void nr_tx_ring_refuse (NrTxRing *ring);

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

/* nr_tx_ring_update(), returning the number of frames the kernel gave back
 * since the previous nr_tx_ring_reap() (progress, for waiting loops; kicks
 * in between update the ring too, and what they saw counts). */
guint nr_tx_ring_reap (NrTxRing *ring);

/* The kick ---------------------------------------------------------------- */

/* Makes @fd the socket that nr_tx_ring_kick() kicks, with @func as the
 * system call (NULL: the real sendto()). */
void nr_tx_ring_set_socket (NrTxRing *ring, int fd, NrTxKickFunc func, gpointer user_data);

/* Hands every queued frame to the kernel without waiting for transmission
 * (MSG_DONTWAIT, F16: without it the kernel waits until every frame has
 * completed). Returns 0 when the kernel took them all, or took part and
 * said "later": EAGAIN (its send buffer is full, counted in kicks_eagain)
 * and ENOBUFS (the device queue was full; the kernel leaves that frame
 * queued, counted in kicks_enobufs) are not errors: the frames stay in the
 * ring and a later kick takes them. A frame the kernel refuses fails the
 * kick (EMSGSIZE, EINVAL) and stays at its head as WRONG_FORMAT:
 * nr_tx_ring_update() counts it (its errno in last_reject_errno) and reuses
 * its slot, and the kick is repeated for the frames after it. EINTR is
 * retried. Any other failure (the interface is down: ENETDOWN, ENXIO)
 * returns -errno, with the frames still queued. */
int nr_tx_ring_kick (NrTxRing *ring);

/* For close: counts the frames still queued that the kernel never took as
 * discarded (frames_discarded) and forgets them; frames it took are the
 * kernel's, which transmits them whether or not the socket stays open: those
 * not given back yet are counted as sent (frames_sent, bytes_sent) now, the
 * last moment they can be, so that nothing queued stays uncounted.
 * Then forgets the ring memory and the socket (the caller unmaps and
 * closes them): only the counters stay valid. Returns the number
 * discarded. */
guint nr_tx_ring_discard (NrTxRing *ring);

G_END_DECLS
