/* test-rx-ring.c: the TPACKET_V3 ring walker on blocks built in memory, and
 * NetringBatch over memory of any producer (a V3 block, AF_XDP-like
 * descriptors into a UMEM).
 * No privileges needed: this is the kernel's side of the ring, played by
 * the test. Blocks are allocated at their exact size so AddressSanitizer
 * catches any read past a block. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

/* the public inlined walk, set up with the layout the capture gives its
 * batches, checked against the kernel floor's walk on the same (also
 * corrupt) blocks */
#include "netring-tpacket-rx-private.h"

#define BLOCK_SIZE 4096

typedef struct {
  guint8 *block;
  gsize used;
  struct tpacket3_hdr *last;
} BlockBuilder;

static void
builder_init (BlockBuilder *b, guint8 *block, guint64 seq, guint32 status)
{
  struct tpacket_block_desc *desc = (struct tpacket_block_desc *) block;

  memset (block, 0, BLOCK_SIZE);
  b->block = block;
  b->used = TPACKET_ALIGN (sizeof (struct tpacket_block_desc));
  b->last = NULL;
  desc->version = TPACKET_V3;
  desc->hdr.bh1.block_status = status;
  desc->hdr.bh1.seq_num = seq;
  desc->hdr.bh1.offset_to_first_pkt = b->used;
  desc->hdr.bh1.blk_len = b->used;
}

/* Appends a packet the way the kernel lays it out: header, sockaddr_ll,
 * data at tp_mac, next packet 8-byte aligned (V3_ALIGNMENT). */
static void
builder_add (BlockBuilder *b, guint32 len, guint32 wire_len, guint8 fill, guint8 pkttype)
{
  struct tpacket_block_desc *desc = (struct tpacket_block_desc *) b->block;
  struct tpacket3_hdr *hdr = (struct tpacket3_hdr *) (b->block + b->used);
  struct sockaddr_ll *sll;
  guint32 mac = TPACKET_ALIGN (TPACKET3_HDRLEN);
  gsize total = (mac + len + 7) & ~(gsize) 7;

  g_assert_cmpuint (b->used + total, <=, BLOCK_SIZE);
  if (b->last != NULL)
    b->last->tp_next_offset = (guint32) ((guint8 *) hdr - (guint8 *) b->last);
  hdr->tp_next_offset = 0;
  hdr->tp_sec = 1700000000;
  hdr->tp_nsec = 123456789;
  hdr->tp_snaplen = len;
  hdr->tp_len = wire_len;
  hdr->tp_status = TP_STATUS_USER | TP_STATUS_TS_SOFTWARE;
  hdr->tp_mac = (guint16) mac;
  hdr->tp_net = (guint16) (mac + 14);
  hdr->hv1.tp_rxhash = 0xabcd;
  sll = (struct sockaddr_ll *) ((guint8 *) hdr + TPACKET_ALIGN (sizeof *hdr));
  sll->sll_family = AF_PACKET;
  sll->sll_pkttype = pkttype;
  sll->sll_halen = 6;
  memset ((guint8 *) hdr + mac, fill, len);
  b->last = hdr;
  b->used += total;
  desc->hdr.bh1.num_pkts++;
  desc->hdr.bh1.blk_len = b->used;
}

/* Sets @iter up as the capture does for a batch of @block: the block
 * header is checked once (nr_block_walk_init()), the records by the walk. */
static gboolean
iter_setup_tpacket3 (NetringBatchIter *iter, const guint8 *block)
{
  const struct tpacket_block_desc *desc = (const struct tpacket_block_desc *) block;
  NrBlockWalk header;

  nr_block_walk_init (&header, block, BLOCK_SIZE);
  _netring_batch_iter_setup (iter, &netring_tpacket3_layout, header.next, block, header.end,
                             desc->hdr.bh1.num_pkts);
  return header.corrupt;
}

static guint
walk_all (const guint8 *block, guint32 *lengths, guint max, gboolean *corrupt)
{
  NrBlockWalk walk;
  NetringBatchIter lean;
  const struct tpacket3_hdr *hdr;
  gboolean header_corrupt;
  guint n = 0;

  nr_block_walk_init (&walk, block, BLOCK_SIZE);
  header_corrupt = iter_setup_tpacket3 (&lean, block);
  while ((hdr = nr_block_walk_next (&walk)) != NULL)
    {
      const guint8 *data = (const guint8 *) hdr + hdr->tp_mac;
      guint32 lean_len = 0, lean_wire = 0;
      const guint8 *lean_data = netring_batch_iter_next_data (&lean, &lean_len, &lean_wire);

      /* every byte handed out lies inside the block */
      g_assert_true (data >= block && data + hdr->tp_snaplen <= block + BLOCK_SIZE);
      /* and the inlined public walk agrees packet for packet */
      g_assert_true (lean_data == data);
      g_assert_cmpuint (lean_len, ==, hdr->tp_snaplen);
      g_assert_cmpuint (lean_wire, ==, hdr->tp_len);
      if (n < max)
        lengths[n] = hdr->tp_snaplen;
      n++;
    }
  g_assert_null (netring_batch_iter_next_data (&lean, &(guint32){ 0 }, NULL));
  /* a corrupt block header yields an empty walk; a corrupt record stops it */
  g_assert_cmpuint ((lean.flags & _NETRING_BATCH_ITER_CORRUPT) != 0 || header_corrupt, ==,
                    walk.corrupt);
  if (corrupt)
    *corrupt = walk.corrupt;
  return n;
}

static void
test_walk_single (void)
{
  g_autofree guint8 *block = g_malloc (BLOCK_SIZE);
  BlockBuilder b;
  NrBlockWalk walk;
  const struct tpacket3_hdr *hdr;

  builder_init (&b, block, 1, TP_STATUS_USER);
  builder_add (&b, 60, 60, 0x5a, PACKET_HOST);

  g_assert_cmpuint (nr_block_walk_init (&walk, block, BLOCK_SIZE), ==, 1);
  hdr = nr_block_walk_next (&walk);
  g_assert_nonnull (hdr);
  g_assert_cmpuint (hdr->tp_snaplen, ==, 60);
  g_assert_cmpuint (((const guint8 *) hdr)[hdr->tp_mac], ==, 0x5a);
  g_assert_cmpuint (nr_tpacket3_sll (hdr)->sll_pkttype, ==, PACKET_HOST);
  g_assert_null (nr_block_walk_next (&walk));
  g_assert_false (walk.corrupt);
}

static void
test_walk_multiple (void)
{
  g_autofree guint8 *block = g_malloc (BLOCK_SIZE);
  BlockBuilder b;
  guint32 lengths[8];
  gboolean corrupt;
  guint i;

  builder_init (&b, block, 1, TP_STATUS_USER);
  for (i = 0; i < 5; i++)
    builder_add (&b, 60 + i * 100, 60 + i * 100, (guint8) i, PACKET_OTHERHOST);
  g_assert_cmpuint (walk_all (block, lengths, 8, &corrupt), ==, 5);
  g_assert_false (corrupt);
  for (i = 0; i < 5; i++)
    g_assert_cmpuint (lengths[i], ==, 60 + i * 100);
}

static void
test_walk_empty (void)
{
  g_autofree guint8 *block = g_malloc (BLOCK_SIZE);
  BlockBuilder b;
  NrBlockWalk walk;

  builder_init (&b, block, 1, TP_STATUS_USER | TP_STATUS_BLK_TMO);
  g_assert_cmpuint (nr_block_walk_init (&walk, block, BLOCK_SIZE), ==, 0);
  g_assert_null (nr_block_walk_next (&walk));
  g_assert_false (walk.corrupt);
}

/* num_pkts claims more than the chain holds: the walk ends at the packet
 * whose tp_next_offset is 0 instead of re-reading the last one. */
static void
test_walk_count_larger_than_chain (void)
{
  g_autofree guint8 *block = g_malloc (BLOCK_SIZE);
  struct tpacket_block_desc *desc = (struct tpacket_block_desc *) block;
  BlockBuilder b;
  guint32 lengths[16];

  builder_init (&b, block, 1, TP_STATUS_USER);
  builder_add (&b, 64, 64, 1, PACKET_HOST);
  builder_add (&b, 64, 64, 2, PACKET_HOST);
  builder_add (&b, 64, 64, 3, PACKET_HOST);
  desc->hdr.bh1.num_pkts = 10;
  g_assert_cmpuint (walk_all (block, lengths, 16, NULL), ==, 3);
}

/* num_pkts claims fewer: the walk honours the count. */
static void
test_walk_count_smaller_than_chain (void)
{
  g_autofree guint8 *block = g_malloc (BLOCK_SIZE);
  struct tpacket_block_desc *desc = (struct tpacket_block_desc *) block;
  BlockBuilder b;
  guint32 lengths[16];

  builder_init (&b, block, 1, TP_STATUS_USER);
  builder_add (&b, 64, 64, 1, PACKET_HOST);
  builder_add (&b, 64, 64, 2, PACKET_HOST);
  builder_add (&b, 64, 64, 3, PACKET_HOST);
  desc->hdr.bh1.num_pkts = 2;
  g_assert_cmpuint (walk_all (block, lengths, 16, NULL), ==, 2);
}

static void
test_walk_corrupt_next_offset (void)
{
  g_autofree guint8 *block = g_malloc (BLOCK_SIZE);
  BlockBuilder b;
  struct tpacket3_hdr *first;
  guint32 lengths[16];
  gboolean corrupt;

  builder_init (&b, block, 1, TP_STATUS_USER);
  builder_add (&b, 64, 64, 1, PACKET_HOST);
  first = b.last;
  builder_add (&b, 64, 64, 2, PACKET_HOST);

  /* past the end of the block */
  first->tp_next_offset = BLOCK_SIZE * 2;
  g_assert_cmpuint (walk_all (block, lengths, 16, &corrupt), ==, 1);
  g_assert_true (corrupt);

  /* not 8-byte aligned (the kernel's V3 alignment) */
  first->tp_next_offset = 200 + 3;
  g_assert_cmpuint (walk_all (block, lengths, 16, &corrupt), ==, 1);
  g_assert_true (corrupt);

  /* a loop back onto itself would re-yield it for ever; 0 length is "end" */
  first->tp_next_offset = 0;
  g_assert_cmpuint (walk_all (block, lengths, 16, &corrupt), ==, 1);
  g_assert_false (corrupt);
}

static void
test_walk_corrupt_lengths (void)
{
  g_autofree guint8 *block = g_malloc (BLOCK_SIZE);
  struct tpacket_block_desc *desc = (struct tpacket_block_desc *) block;
  BlockBuilder b;
  guint32 lengths[16];
  gboolean corrupt;

  builder_init (&b, block, 1, TP_STATUS_USER);
  builder_add (&b, 64, 64, 1, PACKET_HOST);
  builder_add (&b, 64, 64, 2, PACKET_HOST);

  /* second packet's data would run past the used part of the block */
  b.last->tp_snaplen = BLOCK_SIZE;
  g_assert_cmpuint (walk_all (block, lengths, 16, &corrupt), ==, 1);
  g_assert_true (corrupt);
  b.last->tp_snaplen = 64;

  /* tp_mac pointing into the header itself */
  b.last->tp_mac = 10;
  g_assert_cmpuint (walk_all (block, lengths, 16, &corrupt), ==, 1);
  g_assert_true (corrupt);
  b.last->tp_mac = TPACKET_ALIGN (TPACKET3_HDRLEN);

  /* blk_len larger than the block: nothing is trusted */
  desc->hdr.bh1.blk_len = BLOCK_SIZE + 1;
  g_assert_cmpuint (walk_all (block, lengths, 16, &corrupt), ==, 0);
  g_assert_true (corrupt);

  /* first packet offset inside the block descriptor */
  desc->hdr.bh1.blk_len = b.used;
  desc->hdr.bh1.offset_to_first_pkt = 8;
  g_assert_cmpuint (walk_all (block, lengths, 16, &corrupt), ==, 0);
  g_assert_true (corrupt);

  /* first packet offset past the used part */
  desc->hdr.bh1.offset_to_first_pkt = b.used;
  g_assert_cmpuint (walk_all (block, lengths, 16, &corrupt), ==, 0);
  g_assert_true (corrupt);

  /* used part too short for even one header */
  desc->hdr.bh1.offset_to_first_pkt = TPACKET_ALIGN (sizeof (struct tpacket_block_desc));
  desc->hdr.bh1.blk_len = desc->hdr.bh1.offset_to_first_pkt + 20;
  g_assert_cmpuint (walk_all (block, lengths, 16, &corrupt), ==, 0);
  g_assert_true (corrupt);
}

/* Random damage to a valid block never makes the walker read outside it
 * (ASan checks the bounds; the walk_all assertion checks the data range). */
static void
test_walk_random_corruption (void)
{
  g_autofree guint8 *block = g_malloc (BLOCK_SIZE);
  g_autofree guint8 *pristine = g_malloc (BLOCK_SIZE);
  GRand *rand = g_rand_new_with_seed (4242);
  BlockBuilder b;
  guint round, i;

  builder_init (&b, pristine, 1, TP_STATUS_USER);
  for (i = 0; i < 12; i++)
    builder_add (&b, 40 + i * 17, 40 + i * 17, (guint8) i, PACKET_HOST);

  for (round = 0; round < 20000; round++)
    {
      guint32 lengths[64];
      guint flips = g_rand_int_range (rand, 1, 8);

      memcpy (block, pristine, BLOCK_SIZE);
      for (i = 0; i < flips; i++)
        {
          /* aim at headers (first 1 KiB holds most of them) */
          guint offset = g_rand_int_range (rand, 0, 1024);
          block[offset] = (guint8) g_rand_int (rand);
        }
      g_assert_cmpuint (walk_all (block, lengths, 64, NULL), <=, 64);
    }
  g_rand_free (rand);
}

/* ---- ring ownership ------------------------------------------------------ */

static void
ring_set_block (NrRxRing *ring, guint32 index, guint64 seq, guint npkts)
{
  BlockBuilder b;
  guint i;

  builder_init (&b, (guint8 *) nr_rx_ring_block (ring, index), seq, TP_STATUS_USER);
  for (i = 0; i < npkts; i++)
    builder_add (&b, 64, 64, (guint8) i, PACKET_HOST);
}

static void
test_ring_states (void)
{
  g_autofree guint8 *map = g_malloc0 (BLOCK_SIZE * 4);
  NrRxRing ring;
  guint32 index;
  guint64 lost;

  nr_rx_ring_init (&ring, map, BLOCK_SIZE, 4);
  g_assert_cmpint (nr_rx_ring_peek (&ring), ==, NR_RX_EMPTY);
  g_assert_false (nr_rx_ring_previous_held (&ring));

  ring_set_block (&ring, 0, 1, 3);
  g_assert_cmpint (nr_rx_ring_peek (&ring), ==, NR_RX_READY);
  nr_rx_ring_take (&ring, &index, &lost);
  g_assert_cmpuint (index, ==, 0);
  g_assert_cmpuint (lost, ==, 0);
  g_assert_cmpuint (ring.cursor, ==, 1);
  /* the block the kernel retired last is held: poll() would spin */
  g_assert_true (nr_rx_ring_previous_held (&ring));
  g_assert_cmpint (nr_rx_ring_peek (&ring), ==, NR_RX_EMPTY);

  nr_rx_ring_release (&ring, 0);
  g_assert_false (nr_rx_ring_previous_held (&ring));
  g_assert_cmpuint (nr_rx_ring_block (&ring, 0)->hdr.bh1.block_status, ==, TP_STATUS_KERNEL);

  /* fill the other three, take them all, wrap to block 0 */
  ring_set_block (&ring, 1, 2, 1);
  ring_set_block (&ring, 2, 3, 1);
  ring_set_block (&ring, 3, 4, 1);
  nr_rx_ring_take (&ring, &index, &lost);
  nr_rx_ring_take (&ring, &index, &lost);
  nr_rx_ring_take (&ring, &index, &lost);
  g_assert_cmpuint (index, ==, 3);
  g_assert_cmpuint (ring.cursor, ==, 0);

  /* a block still held when the cursor comes round is never handed out
   * twice, even if its status still says USER */
  ring_set_block (&ring, 0, 5, 1);
  nr_rx_ring_take (&ring, &index, &lost);
  g_assert_cmpint (nr_rx_ring_peek (&ring), ==, NR_RX_HELD);
  nr_rx_ring_release (&ring, 1);
  g_assert_cmpint (nr_rx_ring_peek (&ring), ==, NR_RX_EMPTY);
  nr_rx_ring_release (&ring, 2);
  nr_rx_ring_release (&ring, 3);
  nr_rx_ring_release (&ring, 0);
  nr_rx_ring_clear (&ring);
}

static void
test_ring_sequence_gap (void)
{
  g_autofree guint8 *map = g_malloc0 (BLOCK_SIZE * 4);
  NrRxRing ring;
  guint32 index;
  guint64 lost;

  nr_rx_ring_init (&ring, map, BLOCK_SIZE, 4);
  ring_set_block (&ring, 0, 7, 1);  /* first seen: no expectation yet */
  ring_set_block (&ring, 1, 8, 1);
  ring_set_block (&ring, 2, 11, 1); /* 9 and 10 are missing */
  ring_set_block (&ring, 3, 12, 1);

  nr_rx_ring_take (&ring, &index, &lost);
  g_assert_cmpuint (lost, ==, 0);
  nr_rx_ring_take (&ring, &index, &lost);
  g_assert_cmpuint (lost, ==, 0);
  nr_rx_ring_take (&ring, &index, &lost);
  g_assert_cmpuint (lost, ==, 2);
  nr_rx_ring_take (&ring, &index, &lost);
  g_assert_cmpuint (lost, ==, 0);

  /* a sequence number going backwards is corrupt: one lost block, not 2^64 */
  nr_rx_ring_release (&ring, 0);
  ring_set_block (&ring, 0, 3, 1);
  nr_rx_ring_take (&ring, &index, &lost);
  g_assert_cmpuint (lost, ==, 1);
  nr_rx_ring_clear (&ring);
}

/* ---- batches of any producer --------------------------------------------- */

/* An AF_XDP-like producer: packets in a "UMEM", a batch is an array of
 * (address, length) descriptors into it, as the RX ring hands them over. */
typedef struct {
  guint64 addr;
  guint32 len;
  guint32 options;
} FakeDesc;

#define UMEM_SIZE (16 * 2048)

static const NetringBatchLayout fake_xdp_layout = {
  .kind = NETRING_BATCH_LAYOUT_INDEXED,
  .caplen_at = G_STRUCT_OFFSET (FakeDesc, len),
  .wirelen_at = G_STRUCT_OFFSET (FakeDesc, len),
  .data_at = G_STRUCT_OFFSET (FakeDesc, addr),
  .header_min = sizeof (FakeDesc),
};

typedef struct {
  gint refs;          /* atomic: the producer's own references */
  gint releases;      /* atomic: NetringBatchOps.release calls */
  gint64 released_token;
  guint8 *umem;
  FakeDesc *descs;
} FakeProducer;

static void
fake_release (NetringBatch *batch)
{
  FakeProducer *producer = batch->producer;

  /* the memory is still there: the producer reference goes after this */
  g_assert_cmpint (g_atomic_int_get (&producer->refs), >, 0);
  producer->released_token = (gint64) batch->token;
  g_atomic_int_inc (&producer->releases);
}

static void
fake_producer_unref (gpointer data)
{
  FakeProducer *producer = data;

  g_atomic_int_add (&producer->refs, -1);
}

static void
fake_fill_info (const NetringBatch *batch, const guint8 *record, NetringPacketInfo *info)
{
  const FakeDesc *desc = (const FakeDesc *) record;

  memset (info, 0, sizeof *info);
  info->data = batch->base + desc->addr;
  info->captured_length = desc->len;
  info->wire_length = desc->len;
  info->timestamp_ns = 1000 + desc->addr;
  info->ifindex = 7;
}

static const NetringBatchOps fake_ops = {
  .release = fake_release,
  .producer_unref = fake_producer_unref,
  .fill_info = fake_fill_info,
};

/* n descriptors, packet i at frame (i * 5) % 16 with length 60 + i and
 * bytes i ^ position */
static void
fake_producer_init (FakeProducer *producer, guint n)
{
  guint i, j;

  producer->refs = 1;
  producer->releases = 0;
  producer->released_token = -1;
  producer->umem = g_malloc0 (UMEM_SIZE);
  producer->descs = g_new0 (FakeDesc, n);
  for (i = 0; i < n; i++)
    {
      producer->descs[i].addr = ((i * 5) % 16) * 2048 + 256;
      producer->descs[i].len = 60 + i;
      for (j = 0; j < producer->descs[i].len; j++)
        producer->umem[producer->descs[i].addr + j] = (guint8) (i ^ j);
    }
}

static void
fake_producer_clear (FakeProducer *producer)
{
  g_assert_cmpint (producer->refs, ==, 1); /* every batch gave its reference back */
  g_clear_pointer (&producer->umem, g_free);
  g_clear_pointer (&producer->descs, g_free);
}

static NetringBatch *
fake_batch_new (FakeProducer *producer, guint n, guint64 token)
{
  g_atomic_int_inc (&producer->refs);
  return _netring_batch_new (&fake_ops, producer, token, &fake_xdp_layout,
                             (const guint8 *) producer->descs, producer->umem, UMEM_SIZE, n);
}

static void
assert_fake_packet (const guint8 *data, gsize length, guint i)
{
  guint j;

  g_assert_cmpuint (length, ==, 60 + i);
  for (j = 0; j < length; j++)
    g_assert_cmpuint (data[j], ==, (guint8) (i ^ j));
}

/* An indexed batch walks like a linked one: inline, out of line, full
 * details, views, copies; the producer's memory is released once, after
 * the last view, and the producer reference goes last. */
static void
test_batch_indexed (void)
{
  FakeProducer producer;
  NetringBatch *batch;
  NetringBatchIter lean, full;
  NetringPacketInfo info;
  g_autoptr(GPtrArray) views = NULL;
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(NetringPacket) third = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *data;
  guint32 length, wire;
  guint i = 0;

  fake_producer_init (&producer, 12);
  batch = fake_batch_new (&producer, 12, 42);
  g_assert_cmpuint (netring_batch_get_n_packets (batch), ==, 12);

  netring_batch_iter_init (&lean, batch);
  netring_batch_iter_init (&full, batch);
  while ((data = netring_batch_iter_next_data (&lean, &length, &wire)) != NULL)
    {
      assert_fake_packet (data, length, i);
      g_assert_cmpuint (wire, ==, length);
      g_assert_true (netring_batch_iter_next (&full, &info));
      g_assert_true (info.data == data);
      g_assert_cmpuint (info.captured_length, ==, length);
      g_assert_cmpint (info.timestamp_ns, ==, 1000 + producer.descs[i].addr);
      i++;
    }
  g_assert_cmpuint (i, ==, 12);
  g_assert_false (netring_batch_iter_next (&full, &info));
  g_assert_cmpuint (lean.flags, ==, 0);

  views = netring_batch_get_packets (batch);
  copies = netring_batch_copy_packets (batch);
  third = netring_batch_get_packet (batch, 3);
  g_assert_null (netring_batch_get_packet (batch, 12));
  g_assert_cmpuint (views->len, ==, 12);
  g_assert_cmpuint (copies->len, ==, 12);
  for (i = 0; i < 12; i++)
    {
      gsize len;

      data = netring_packet_get_data (g_ptr_array_index (views, i), &len);
      assert_fake_packet (data, len, i);
      g_assert_false (netring_packet_is_detached (g_ptr_array_index (views, i)));
      data = netring_packet_get_data (g_ptr_array_index (copies, i), &len);
      assert_fake_packet (data, len, i);
      g_assert_true (netring_packet_is_detached (g_ptr_array_index (copies, i)));
      g_assert_cmpint (netring_packet_get_ifindex (g_ptr_array_index (copies, i)), ==, 7);
    }
  bytes = netring_packet_get_bytes (third);

  /* the batch goes, its views keep the memory */
  netring_batch_unref (batch);
  g_clear_pointer (&views, g_ptr_array_unref);
  g_clear_pointer (&third, netring_packet_unref);
  g_assert_cmpint (producer.releases, ==, 0);
  assert_fake_packet (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), 3);
  g_clear_pointer (&bytes, g_bytes_unref);
  g_assert_cmpint (producer.releases, ==, 1);
  g_assert_cmpint (producer.released_token, ==, 42);

  /* copies hold nothing of the producer */
  for (i = 0; i < 12; i++)
    {
      gsize len;
      const guint8 *bytes_copy = netring_packet_get_data (g_ptr_array_index (copies, i), &len);

      memset (producer.umem, 0xee, UMEM_SIZE);
      assert_fake_packet (bytes_copy, len, i);
    }
  fake_producer_clear (&producer);
}

/* Descriptors that point outside the packet memory end the walk, without
 * reading outside it. */
static void
test_batch_indexed_corrupt (void)
{
  static const struct {
    guint64 addr;
    guint32 len;
  } bad[] = {
    { UMEM_SIZE, 1 },           /* starts at the end */
    { UMEM_SIZE - 10, 11 },     /* runs past it */
    { G_MAXUINT64 - 5, 60 },    /* wraps around */
    { 0, G_MAXUINT32 },         /* longer than all of it */
  };
  guint k;

  for (k = 0; k < G_N_ELEMENTS (bad); k++)
    {
      FakeProducer producer;
      NetringBatch *batch;
      NetringBatchIter lean;
      const guint8 *data;
      guint32 length;
      guint n = 0;

      fake_producer_init (&producer, 8);
      producer.descs[5].addr = bad[k].addr;
      producer.descs[5].len = bad[k].len;
      batch = fake_batch_new (&producer, 8, k);
      netring_batch_iter_init (&lean, batch);
      while ((data = netring_batch_iter_next_data (&lean, &length, NULL)) != NULL)
        assert_fake_packet (data, length, n++);
      g_assert_null (netring_batch_iter_next_data (&lean, &length, NULL));
      g_assert_cmpuint (n, ==, 5);
      g_assert_cmpuint (lean.flags, ==, _NETRING_BATCH_ITER_CORRUPT);
      {
        g_autoptr(GPtrArray) views = netring_batch_get_packets (batch);
        g_autoptr(GPtrArray) copies = netring_batch_copy_packets (batch);

        g_assert_cmpuint (views->len, ==, 5);
        g_assert_cmpuint (copies->len, ==, 5);
        g_assert_null (netring_batch_get_packet (batch, 5));
      }
      netring_batch_unref (batch);
      g_assert_cmpint (producer.releases, ==, 1);
      fake_producer_clear (&producer);
    }
}

/* A kind no library sets up ends the walk at once, as corrupt. */
static void
test_batch_unknown_kind (void)
{
  FakeProducer producer;
  NetringBatch *batch;
  NetringBatchIter iter;
  guint32 length;

  fake_producer_init (&producer, 4);
  batch = fake_batch_new (&producer, 4, 0);
  netring_batch_iter_init (&iter, batch);
  iter.kind = 77;
  g_assert_null (netring_batch_iter_next_data (&iter, &length, NULL));
  g_assert_cmpuint (iter.flags, ==, _NETRING_BATCH_ITER_CORRUPT);
  g_assert_null (netring_batch_iter_next_data (&iter, &length, NULL));
  netring_batch_unref (batch);
  fake_producer_clear (&producer);
}

static void
fake_fill_info_tpacket3 (const NetringBatch *batch, const guint8 *record, NetringPacketInfo *info)
{
  const struct tpacket3_hdr *hdr = (const struct tpacket3_hdr *) record;

  memset (info, 0, sizeof *info);
  info->data = record + hdr->tp_mac;
  info->captured_length = hdr->tp_snaplen;
  info->wire_length = hdr->tp_len;
}

static const NetringBatchOps fake_tpacket3_ops = {
  .release = fake_release,
  .producer_unref = fake_producer_unref,
  .fill_info = fake_fill_info_tpacket3,
};

static gpointer
unref_batches (gpointer data)
{
  g_ptr_array_unref (data);
  return NULL;
}

/* A TPACKET_V3 block lent as a batch by any producer: the record walk
 * with the capture's layout and the release, from another thread, once. */
static void
test_batch_linked_release_elsewhere (void)
{
  g_autofree guint8 *block = g_malloc (BLOCK_SIZE);
  FakeProducer producer = { 1, 0, -1, NULL, NULL };
  GPtrArray *holders = g_ptr_array_new_with_free_func ((GDestroyNotify) netring_packet_unref);
  NetringBatch *batch;
  BlockBuilder b;
  NrBlockWalk header;
  guint i;

  builder_init (&b, block, 1, TP_STATUS_USER);
  for (i = 0; i < 6; i++)
    builder_add (&b, 60 + i, 60 + i, (guint8) i, PACKET_HOST);
  nr_block_walk_init (&header, block, BLOCK_SIZE);
  g_atomic_int_inc (&producer.refs);
  batch = _netring_batch_new (&fake_tpacket3_ops, &producer, 9, &netring_tpacket3_layout,
                              header.next, block, header.end, 6);
  for (i = 0; i < 6; i++)
    {
      NetringPacket *packet = netring_batch_get_packet (batch, i);
      gsize len;
      const guint8 *data = netring_packet_get_data (packet, &len);

      g_assert_cmpuint (len, ==, 60 + i);
      g_assert_cmpuint (data[0], ==, i);
      g_assert_cmpuint (data[len - 1], ==, i);
      g_ptr_array_add (holders, packet);
    }
  netring_batch_unref (batch);
  g_assert_cmpint (producer.releases, ==, 0);
  g_thread_join (g_thread_new ("release", unref_batches, holders));
  g_assert_cmpint (producer.releases, ==, 1);
  g_assert_cmpint (producer.released_token, ==, 9);
  g_assert_cmpint (producer.refs, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rx-ring/walk/single", test_walk_single);
  g_test_add_func ("/rx-ring/walk/multiple", test_walk_multiple);
  g_test_add_func ("/rx-ring/walk/empty", test_walk_empty);
  g_test_add_func ("/rx-ring/walk/count-larger-than-chain", test_walk_count_larger_than_chain);
  g_test_add_func ("/rx-ring/walk/count-smaller-than-chain", test_walk_count_smaller_than_chain);
  g_test_add_func ("/rx-ring/walk/corrupt-next-offset", test_walk_corrupt_next_offset);
  g_test_add_func ("/rx-ring/walk/corrupt-lengths", test_walk_corrupt_lengths);
  g_test_add_func ("/rx-ring/walk/random-corruption", test_walk_random_corruption);
  g_test_add_func ("/rx-ring/ring/states", test_ring_states);
  g_test_add_func ("/rx-ring/ring/sequence-gap", test_ring_sequence_gap);
  g_test_add_func ("/rx-ring/batch/indexed", test_batch_indexed);
  g_test_add_func ("/rx-ring/batch/indexed-corrupt", test_batch_indexed_corrupt);
  g_test_add_func ("/rx-ring/batch/unknown-kind", test_batch_unknown_kind);
  g_test_add_func ("/rx-ring/batch/linked-release-elsewhere", test_batch_linked_release_elsewhere);
  return g_test_run ();
}
