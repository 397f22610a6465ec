/* fuzz-rx-block.c: the TPACKET_V3 block walk (nr-rx-ring) on blocks the
 * fuzzer writes, as a kernel gone wrong (or ring memory scribbled over by
 * another process) could.
 *
 * Input: one byte, then the ring memory.
 *   byte 0, bits 0-1: number of blocks - 1 (1..4); the rest of the input is
 *   split into that many blocks of equal size (at least one block header,
 *   zero-padded), allocated at their exact size so that AddressSanitizer
 *   sees any read past the ring.
 *
 * Every block is walked with nr_block_walk_init()/nr_block_walk_next(), and
 * every packet the walk yields is consumed the way the library does (the
 * packet bytes, the sockaddr_ll behind the header, the VLAN fields) and
 * encoded as a pcapng record with nr_pcap_record(). Checked: the walk never
 * yields a header or packet byte outside the used part of the block
 * (blk_len), headers come in increasing, 8-byte aligned order, never more
 * packets than the block header announced, and the walk ends. Then the
 * blocks go through the ring bookkeeping (peek, take, release) in order,
 * with the sequence numbers the fuzzer wrote. */
#include "config.h"

#include "fuzz-common.h"
#include "nr-pcap.h"
#include "nr-rx-ring.h"

#include <linux/if_packet.h>

#define MAX_BLOCKS 4

static volatile guint64 sink;

FUZZ_NO_COVERAGE static void
consume_packet (const struct tpacket3_hdr *hdr, guint32 block_flags)
{
  const struct sockaddr_ll *sll = nr_tpacket3_sll (hdr);
  const guint8 *data = (const guint8 *) hdr + hdr->tp_mac;
  NrPcapPacket packet = { 0 };
  NrPcapRecordScratch scratch;
  struct iovec iov[NR_PCAP_RECORD_MAX_IOV];
  g_autofree guint8 *record = NULL;
  gsize record_length = 0, flat, sum = 0;
  guint64 acc = block_flags;
  guint32 i, n_iov;

  /* what _netring_packet_info_fill() and a consumer read */
  for (i = 0; i < hdr->tp_snaplen; i++)
    acc += data[i];
  acc += sll->sll_pkttype + sll->sll_halen + sll->sll_protocol + (guint32) sll->sll_ifindex;
  for (i = 0; i < sizeof sll->sll_addr; i++)
    acc += sll->sll_addr[i];
  acc += hdr->tp_sec + hdr->tp_nsec + hdr->tp_len + hdr->tp_status + hdr->hv1.tp_rxhash;
  sink += acc;

  /* and the way a pcap writer encodes it */
  packet.data = data;
  packet.captured_length = hdr->tp_snaplen;
  packet.wire_length = hdr->tp_len;
  packet.timestamp_ns = (gint64) hdr->tp_sec * G_GINT64_CONSTANT (1000000000) + hdr->tp_nsec;
  packet.epb_flags = nr_pcapng_epb_flags_for_pkttype (sll->sll_pkttype);
  nr_pcap_packet_set_vlan (&packet, hdr->tp_status, (guint16) hdr->hv1.tp_vlan_tci,
                           hdr->hv1.tp_vlan_tpid);
  n_iov = nr_pcap_record (NR_PCAP_FORMAT_PCAPNG, 0, &packet, &scratch, iov, &record_length);
  FUZZ_CHECK (n_iov >= 2 && n_iov <= NR_PCAP_RECORD_MAX_IOV);
  for (i = 0; i < n_iov; i++)
    {
      FUZZ_CHECK (iov[i].iov_len > 0);
      sum += iov[i].iov_len;
    }
  FUZZ_CHECK (sum == record_length);
  FUZZ_CHECK (record_length % 4 == 0);
  record = g_malloc (record_length);
  flat = nr_pcap_iov_flatten (iov, n_iov, record);
  FUZZ_CHECK (flat == record_length);
}

static void
walk_block (const guint8 *block, gsize block_size)
{
  const struct tpacket_block_desc *desc = (const struct tpacket_block_desc *) block;
  guint32 announced = desc->hdr.bh1.num_pkts;
  guint32 blk_len = desc->hdr.bh1.blk_len;
  const struct tpacket3_hdr *hdr;
  NrBlockWalk walk;
  gsize prev = 0;
  guint32 n, yielded = 0;

  n = nr_block_walk_init (&walk, block, block_size);
  FUZZ_CHECK (walk.block_flags == (desc->hdr.bh1.block_status & TP_STATUS_LOSING));
  if (n == 0)
    {
      FUZZ_CHECK (walk.next == NULL);
      FUZZ_CHECK (nr_block_walk_next (&walk) == NULL);
      /* a header that announces packets and is refused is corrupt */
      FUZZ_CHECK (walk.corrupt == (announced != 0));
      return;
    }
  FUZZ_CHECK (n == announced);
  FUZZ_CHECK (blk_len <= block_size);
  FUZZ_CHECK (walk.end == blk_len);

  while ((hdr = nr_block_walk_next (&walk)) != NULL)
    {
      gsize offset = (gsize) ((const guint8 *) hdr - block);

      FUZZ_CHECK ((const guint8 *) hdr >= block);
      FUZZ_CHECK (offset >= sizeof (struct tpacket_block_desc));
      FUZZ_CHECK (offset % NR_V3_ALIGNMENT == 0);
      FUZZ_CHECK (yielded == 0 || offset > prev);
      FUZZ_CHECK (offset + TPACKET3_HDRLEN <= blk_len);
      FUZZ_CHECK (hdr->tp_mac >= TPACKET3_HDRLEN);
      FUZZ_CHECK (offset + hdr->tp_mac + hdr->tp_snaplen <= blk_len);
      yielded++;
      FUZZ_CHECK (yielded <= announced);
      consume_packet (hdr, walk.block_flags);
      prev = offset;
    }
  FUZZ_CHECK (walk.next == NULL || walk.remaining == 0);
  /* the end is the end */
  FUZZ_CHECK (nr_block_walk_next (&walk) == NULL);
  FUZZ_CHECK (yielded + walk.remaining <= announced);
}

/* Peek, take and release every block in ring order, as the capture does. */
static void
run_ring (guint8 *map, guint32 block_size, guint32 block_count)
{
  NrRxRing ring;
  guint32 round;

  nr_rx_ring_init (&ring, map, block_size, block_count);
  for (round = 0; round < 2 * block_count; round++)
    {
      guint32 cursor = ring.cursor, index = G_MAXUINT32;
      guint64 expected = ring.expected_seq, lost = G_MAXUINT64, seq;
      struct tpacket_block_desc *desc;

      if (nr_rx_ring_peek (&ring) != NR_RX_READY)
        break;
      seq = nr_rx_ring_block (&ring, cursor)->hdr.bh1.seq_num;
      desc = nr_rx_ring_take (&ring, &index, &lost);
      FUZZ_CHECK (index == cursor);
      FUZZ_CHECK ((guint8 *) desc == map + (gsize) cursor * block_size);
      FUZZ_CHECK (ring.cursor == (cursor + 1) % block_count);
      FUZZ_CHECK (ring.held[index] == 1);
      /* a gap counts the block numbers skipped; anything else at most one */
      if (expected == 0 || seq == expected)
        FUZZ_CHECK (lost == 0);
      else if (seq > expected)
        FUZZ_CHECK (lost == seq - expected);
      else
        FUZZ_CHECK (lost == 1);
      FUZZ_CHECK (nr_rx_ring_previous_held (&ring));
      if (block_count == 1)
        FUZZ_CHECK (nr_rx_ring_peek (&ring) == NR_RX_HELD);
      nr_rx_ring_release (&ring, index);
      FUZZ_CHECK (ring.held[index] == 0);
      FUZZ_CHECK (nr_rx_block_status (desc) == TP_STATUS_KERNEL);
      FUZZ_CHECK (!nr_rx_ring_previous_held (&ring));
    }
  nr_rx_ring_clear (&ring);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree guint8 *map = NULL;
  guint32 block_count, block_size, i;
  gsize rest;

  if (size < 1)
    return 0;
  block_count = (data[0] & 3) + 1;
  rest = size - 1;
  block_size = (guint32) MAX (rest / block_count, sizeof (struct tpacket_block_desc));
  if (block_count > 1)
    block_size &= ~(guint32) (NR_V3_ALIGNMENT - 1); /* keeps every block aligned */

  map = g_malloc0 ((gsize) block_size * block_count);
  memcpy (map, data + 1, MIN (rest, (gsize) block_size * block_count));

  for (i = 0; i < block_count; i++)
    walk_block (map + (gsize) i * block_size, block_size);
  run_ring (map, block_size, block_count);
  return 0;
}
