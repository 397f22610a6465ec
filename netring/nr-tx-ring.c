/* nr-tx-ring.c: AF_PACKET TX ring bookkeeping (see nr-tx-ring.h) */
#include "config.h"

#include "nr-tx-ring.h"

#include <string.h>

static guint32
next_pow2 (guint32 value)
{
  guint32 result = 1;

  while (result < value)
    result <<= 1;
  return result;
}

gboolean
nr_tx_ring_geometry (guint32 frame_size, guint32 frame_count, guint32 page_size,
                     NrTxGeometry *geometry)
{
  guint64 blocks, bytes;

  if (frame_size < NR_TX_MIN_FRAME_SIZE || frame_size > NR_TX_MAX_FRAME_SIZE ||
      frame_size % TPACKET_ALIGNMENT != 0 || frame_count == 0 || page_size == 0 ||
      page_size > NR_TX_MAX_RING_BYTES)
    return FALSE;

  geometry->block_size = next_pow2 (MAX (frame_size, page_size));
  geometry->frames_per_block = geometry->block_size / frame_size;
  blocks = ((guint64) frame_count + geometry->frames_per_block - 1) /
           geometry->frames_per_block;
  bytes = blocks * geometry->block_size;
  if (bytes > NR_TX_MAX_RING_BYTES)
    return FALSE;
  geometry->block_count = (guint32) blocks;
  geometry->frame_count = geometry->block_count * geometry->frames_per_block;
  return TRUE;
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
}

guint8 *
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

static void
write_frame (struct tpacket3_hdr *hdr, guint32 length)
{
  /* Only these fields matter to the kernel's V3 TX path
   * (tpacket_parse_header): a non-zero tp_next_offset is refused as a
   * "variable sized slot", and without PACKET_TX_HAS_OFF the data is at
   * NR_TX_DATA_OFFSET whatever tp_mac says. */
  hdr->tp_next_offset = 0;
  hdr->tp_len = length;
  hdr->tp_snaplen = length;
  hdr->tp_mac = (guint16) NR_TX_DATA_OFFSET;
  hdr->tp_net = (guint16) NR_TX_DATA_OFFSET;
}

void
nr_tx_ring_commit (NrTxRing *ring, guint32 length)
{
  struct tpacket3_hdr *hdr;

  g_assert (ring->reserved);
  g_assert (length > 0 && length <= nr_tx_ring_capacity (ring));

  hdr = nr_tx_ring_frame (ring, ring->head);
  write_frame (hdr, length);
  nr_tx_frame_set_status (hdr, TP_STATUS_SEND_REQUEST);
  ring->reserved = FALSE;
  ring->head++;
  ring->frames_queued++;
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
      write_frame (to, length);
      nr_tx_frame_set_status (to, TP_STATUS_SEND_REQUEST);
    }

  ring->head--;
  nr_tx_frame_set_status (nr_tx_ring_frame (ring, ring->head), TP_STATUS_AVAILABLE);
}

guint
nr_tx_ring_update (NrTxRing *ring)
{
  guint rejections = 0;

  while (ring->kicked < ring->head)
    {
      guint32 status = nr_tx_frame_status (nr_tx_ring_frame (ring, ring->kicked));

      if (status == TP_STATUS_SEND_REQUEST)
        break; /* the kernel's head: not taken yet */
      if (status == TP_STATUS_WRONG_FORMAT)
        {
          if (ring->reserved)
            break;
          handle_rejection (ring);
          rejections++;
          continue;
        }
      /* SENDING, or already AVAILABLE again. */
      ring->kicked++;
    }

  /* Completions are counted in ring order: a frame that completes before
   * an older one (several TX queues) is counted when the older one is. */
  while (ring->done < ring->kicked)
    {
      struct tpacket3_hdr *hdr = nr_tx_ring_frame (ring, ring->done);

      if (nr_tx_frame_status (hdr) != TP_STATUS_AVAILABLE)
        break;
      ring->frames_sent++;
      ring->bytes_sent += hdr->tp_len;
      ring->done++;
    }

  return rejections;
}
