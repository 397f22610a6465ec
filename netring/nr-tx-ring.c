/* nr-tx-ring.c: AF_PACKET TX ring bookkeeping (see nr-tx-ring.h) */
#include "config.h"

#include "nr-tx-ring.h"
#include "nr-util.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

NrTxGeometryRule
nr_tx_ring_geometry_check (guint32 frame_size, guint32 frame_count, guint32 page_size,
                           NrTxGeometry *geometry)
{
  guint32 block_size, frames_per_block;
  guint64 blocks;

  if (frame_size < NR_TX_MIN_FRAME_SIZE || frame_size > NR_TX_MAX_FRAME_SIZE ||
      frame_size % NR_TX_FRAME_ALIGNMENT != 0)
    return NR_TX_GEOMETRY_FRAME_SIZE;
  if (frame_count < NR_TX_MIN_FRAME_COUNT)
    return NR_TX_GEOMETRY_FRAME_COUNT;
  if (page_size == 0 || page_size > NR_TX_MAX_RING_BYTES)
    return NR_TX_GEOMETRY_TOO_LARGE;

  block_size = nr_next_pow2 (MAX (frame_size, page_size));
  frames_per_block = block_size / frame_size;
  blocks = ((guint64) frame_count + frames_per_block - 1) / frames_per_block;
  if (blocks * block_size > NR_TX_MAX_RING_BYTES)
    return NR_TX_GEOMETRY_TOO_LARGE;
  geometry->block_size = block_size;
  geometry->frames_per_block = frames_per_block;
  geometry->block_count = (guint32) blocks;
  geometry->frame_count = geometry->block_count * frames_per_block;
  return NR_TX_GEOMETRY_OK;
}

gboolean
nr_tx_ring_geometry (guint32 frame_size, guint32 frame_count, guint32 page_size,
                     NrTxGeometry *geometry)
{
  return nr_tx_ring_geometry_check (frame_size, frame_count, page_size, geometry) ==
         NR_TX_GEOMETRY_OK;
}

void
nr_tx_ring_init (NrTxRing *ring, guint8 *map, guint32 frame_size,
                 const NrTxGeometry *geometry)
{
  memset (ring, 0, sizeof *ring);
  ring->map = map;
  ring->frame_size = frame_size;
  ring->frame_count = geometry->frame_count;
  ring->block_size = geometry->block_size;
  ring->frames_per_block = geometry->frames_per_block;
  ring->frame_mask = (ring->frame_count & (ring->frame_count - 1)) == 0 ? ring->frame_count - 1 : 0;
  ring->block_shift = NR_TX_NO_SHIFT;
  if ((ring->frames_per_block & (ring->frames_per_block - 1)) == 0)
    ring->block_shift = (guint32) g_bit_nth_lsf (ring->frames_per_block, -1);
  ring->fd = -1;
  nr_tx_ring_set_link (ring, 0, -1, FALSE);
}

/* ---- the length rule ---- */

void
nr_tx_ring_set_link (NrTxRing *ring, guint32 mtu, gint link_header, gboolean ethernet)
{
  guint32 capacity = nr_tx_ring_capacity (ring);

  if (link_header < 0 || (guint64) mtu + (guint32) link_header >= capacity)
    {
      /* unknown, or larger than a slot anyway: the capacity decides */
      ring->link_max = link_header < 0 ? 0 : MIN ((guint64) mtu + (guint32) link_header,
                                                   G_MAXUINT32);
      ring->vlan_allowance = 0;
      ring->max_length = capacity;
      return;
    }
  ring->link_max = mtu + (guint32) link_header;
  ring->vlan_allowance = ethernet ? NR_TX_VLAN_ALLOWANCE : 0;
  ring->max_length = ring->link_max;
}

guint32
nr_tx_ring_max_length (const NrTxRing *ring)
{
  return MIN (ring->max_length + ring->vlan_allowance, nr_tx_ring_capacity (ring));
}

NrTxLength
nr_tx_ring_check_length_slow (const NrTxRing *ring, const guint8 *data, gsize length)
{
  if (length == 0)
    return NR_TX_LENGTH_EMPTY;
  if (length > nr_tx_ring_capacity (ring))
    return NR_TX_LENGTH_OVER_CAPACITY;
  if (length <= ring->max_length)
    return NR_TX_LENGTH_OK;
  /* Over the link's limit: only an 802.1Q-tagged Ethernet frame may be 4
   * bytes longer (the kernel looks at the EtherType the frame carries, not
   * at anything else). Without the data, the tag may still come. */
  if (length <= (gsize) ring->max_length + ring->vlan_allowance &&
      (data == NULL || (length >= 14 && data[12] == 0x81 && data[13] == 0x00)))
    return NR_TX_LENGTH_OK;
  return NR_TX_LENGTH_OVER_LINK;
}

void
nr_tx_ring_abort (NrTxRing *ring)
{
  g_assert (ring->reserved);

  /* Nothing was published: the status word is still AVAILABLE and the
   * cursor does not move, so the next reservation gets this very slot. */
  ring->reserved = FALSE;
  ring->frames_aborted++;
}

void
nr_tx_ring_refuse (NrTxRing *ring)
{
  /* as an abort: nothing was published, the slot stays at the cursor */
  ring->reserved = FALSE;
  ring->frames_refused++;
}

/* The frame at `kicked` was refused by the kernel, which keeps its head on
 * that slot. Move every later queued frame up by one slot (the kernel
 * stopped before them, so none of them is being read) and give the last
 * slot back: the kernel's head then finds the next frame in order, or an
 * AVAILABLE slot at our cursor, never a hole in the middle. */
static void
handle_rejection (NrTxRing *ring)
{
  struct tpacket3_hdr *rejected = nr_tx_ring_frame (ring, ring->kicked);
  guint64 seq;

  ring->frames_rejected++;
  ring->last_reject_length = rejected->tp_len;

  for (seq = ring->kicked + 1; seq < ring->head; seq++)
    {
      struct tpacket3_hdr *from = nr_tx_ring_frame (ring, seq);
      struct tpacket3_hdr *to = nr_tx_ring_frame (ring, seq - 1);
      guint32 length = from->tp_len;

      memcpy (nr_tx_frame_data (to), nr_tx_frame_data (from), length);
      nr_tx_frame_write (to, length);
      nr_tx_frame_set_status (to, TP_STATUS_SEND_REQUEST);
    }

  ring->head--;
  nr_tx_frame_set_status (nr_tx_ring_frame (ring, ring->head), TP_STATUS_AVAILABLE);
}

/* The cursors and counters live in locals inside the walks: every status
 * read is an acquire load, after which the compiler would otherwise have
 * to reload each field of the ring from memory. */
static void
walk_kicked (NrTxRing *ring)
{
  guint64 kicked = ring->kicked, done = ring->done;
  guint64 sent = 0, bytes = 0;
  const guint64 head = ring->head;

  while (kicked < head)
    {
      struct tpacket3_hdr *hdr = nr_tx_ring_frame (ring, kicked);
      guint32 status = nr_tx_frame_status (hdr);

      if (status == TP_STATUS_SEND_REQUEST || status == TP_STATUS_WRONG_FORMAT)
        break; /* the kernel's head, taken or refused: the caller decides */
      /* SENDING, or already AVAILABLE again. The common case on a fast
       * link: the frame is back before we look, and both cursors move
       * over it in one step. */
      if (status == TP_STATUS_AVAILABLE && done == kicked)
        {
          sent++;
          bytes += hdr->tp_len;
          done++;
        }
      kicked++;
    }
  ring->kicked = kicked;
  ring->done = done;
  ring->frames_sent += sent;
  ring->bytes_sent += bytes;
}

static void
walk_done (NrTxRing *ring)
{
  guint64 done = ring->done;
  guint64 sent = 0, bytes = 0;
  const guint64 kicked = ring->kicked;

  /* Completions are counted in ring order: a frame that completes before
   * an older one (several TX queues) is counted when the older one is. */
  while (done < kicked)
    {
      struct tpacket3_hdr *hdr = nr_tx_ring_frame (ring, done);

      if (nr_tx_frame_status (hdr) != TP_STATUS_AVAILABLE)
        break;
      sent++;
      bytes += hdr->tp_len;
      done++;
    }
  ring->done = done;
  ring->frames_sent += sent;
  ring->bytes_sent += bytes;
}

guint
nr_tx_ring_update (NrTxRing *ring)
{
  guint rejections = 0;

  for (;;)
    {
      walk_kicked (ring);
      if (ring->kicked == ring->head ||
          nr_tx_frame_status (nr_tx_ring_frame (ring, ring->kicked)) != TP_STATUS_WRONG_FORMAT ||
          ring->reserved)
        break;
      handle_rejection (ring);
      rejections++;
    }
  walk_done (ring);
  return rejections;
}

guint
nr_tx_ring_reap (NrTxRing *ring)
{
  guint64 before = ring->reaped;

  nr_tx_ring_update (ring);
  ring->reaped = ring->done;
  return (guint) (ring->done - before);
}

/* ---- the kick ---- */

static long
kick_sendto (int fd, gpointer user_data)
{
  return (long) sendto (fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
}

void
nr_tx_ring_set_socket (NrTxRing *ring, int fd, NrTxKickFunc func, gpointer user_data)
{
  ring->fd = fd;
  ring->kick_func = func != NULL ? func : kick_sendto;
  ring->kick_data = user_data;
}

int
nr_tx_ring_kick (NrTxRing *ring)
{
  for (;;)
    {
      long sent;
      int errsv;

      nr_tx_ring_update (ring);
      if (nr_tx_ring_unkicked (ring) == 0)
        return 0;

      sent = ring->kick_func (ring->fd, ring->kick_data);
      errsv = sent < 0 ? errno : 0;
      ring->kicks++;
      if (errsv == EINTR)
        continue;

      if (nr_tx_ring_update (ring) > 0)
        {
          /* the kernel refused the frame at its head: counted, its slot
           * reused; kick again for the frames after it */
          ring->last_reject_errno = errsv != 0 ? errsv : EINVAL;
          continue;
        }
      switch (errsv)
        {
        case 0:
          return 0;
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
          ring->kicks_eagain++;
          return 0;
        case ENOBUFS:
          ring->kicks_enobufs++;
          return 0;
        default:
          return -errsv;
        }
    }
}

guint
nr_tx_ring_discard (NrTxRing *ring)
{
  guint discarded;

  nr_tx_ring_update (ring);
  discarded = nr_tx_ring_unkicked (ring);
  ring->frames_discarded += discarded;
  /* The frames the kernel took and has not given back yet leave after the
   * close (their skbs hold the ring pages), when nobody can count them any
   * more: count them as sent now, so that queued = sent + rejected +
   * discarded holds in the final statistics. */
  while (ring->done < ring->kicked)
    {
      ring->frames_sent++;
      ring->bytes_sent += nr_tx_ring_frame (ring, ring->done)->tp_len;
      ring->done++;
    }
  /* forget them: the kernel took everything up to `kicked` */
  ring->head = ring->kicked;
  ring->reserved = FALSE;
  ring->map = NULL;
  ring->fd = -1;
  return discarded;
}
