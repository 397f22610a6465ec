/* test-tx-ring.c: the TX ring bookkeeping on synthetic ring memory.
 *
 * A g_malloc'd buffer plays the ring and FakeKernel plays net/packet's
 * tpacket_snd()/tpacket_destruct_skb(): it has its own head, takes
 * SEND_REQUEST frames strictly in order, marks a frame that is too long
 * WRONG_FORMAT and stops there (no PACKET_LOSS), and "transmits" a frame by
 * appending its sequence number to a wire log. No privileges needed. */
#include "config.h"

#include <errno.h>
#include <net/if_arp.h>
#include <string.h>

#include "nr-tx-ring.h"
#include "nr-util.h"

typedef struct {
  NrTxRing ring;
  guint8 *mem;
  gsize mem_size;
  guint32 khead;     /* the kernel's own head (slot index) */
  guint32 kdone;     /* oldest slot the kernel has not completed */
  guint32 in_flight; /* SENDING frames */
  guint32 max_len;   /* longer frames are WRONG_FORMAT (the MTU check) */
  GArray *wire;      /* guint32 sequence numbers transmitted, in order */
  guint32 next_seq;  /* sequence number the test writes next */
} Fixture;

static void
fixture_init (Fixture *f, guint32 frame_size, guint32 frame_count)
{
  NrTxGeometry geo;

  memset (f, 0, sizeof *f);
  g_assert_true (nr_tx_ring_geometry (frame_size, frame_count, 4096, &geo));
  f->mem_size = (gsize) geo.block_size * geo.block_count;
  f->mem = g_malloc0 (f->mem_size);
  nr_tx_ring_init (&f->ring, f->mem, frame_size, &geo);
  f->max_len = nr_tx_ring_capacity (&f->ring);
  f->wire = g_array_new (FALSE, FALSE, sizeof (guint32));
}

static void
fixture_clear (Fixture *f)
{
  g_free (f->mem);
  g_array_unref (f->wire);
}

/* tpacket_snd(): returns the number of frames taken, or -1 after marking a
 * frame WRONG_FORMAT (the kick would fail with EMSGSIZE). @budget limits
 * how many frames are taken (as when the socket's send buffer is full). */
static int
kernel_kick (Fixture *f, guint budget)
{
  int taken = 0;

  while (budget-- > 0)
    {
      struct tpacket3_hdr *hdr = nr_tx_ring_slot (&f->ring, f->khead);
      guint32 seq;

      if (__atomic_load_n (&hdr->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_SEND_REQUEST)
        break;
      g_assert_cmpuint (hdr->tp_next_offset, ==, 0);
      g_assert_cmpuint (hdr->tp_len, ==, hdr->tp_snaplen);
      if (hdr->tp_len > f->max_len)
        {
          hdr->tp_status = TP_STATUS_WRONG_FORMAT; /* head does not move */
          return -1;
        }
      memcpy (&seq, nr_tx_frame_data (hdr), sizeof seq);
      g_array_append_val (f->wire, seq);
      hdr->tp_status = TP_STATUS_SENDING;
      f->in_flight++;
      f->khead = (f->khead + 1) % f->ring.frame_count;
      taken++;
    }
  return taken;
}

/* tpacket_destruct_skb() for the @n oldest frames in flight. */
static void
kernel_complete (Fixture *f, guint n, guint32 extra_status_bits)
{
  while (n-- > 0 && f->in_flight > 0)
    {
      struct tpacket3_hdr *hdr = nr_tx_ring_slot (&f->ring, f->kdone);

      g_assert_cmpuint (hdr->tp_status, ==, TP_STATUS_SENDING);
      __atomic_store_n (&hdr->tp_status, TP_STATUS_AVAILABLE | extra_status_bits,
                        __ATOMIC_RELEASE);
      f->kdone = (f->kdone + 1) % f->ring.frame_count;
      f->in_flight--;
    }
}

/* Queues the next test frame with @length bytes; FALSE if the ring is full. */
static gboolean
queue_frame (Fixture *f, guint32 length)
{
  guint8 *data = nr_tx_ring_reserve (&f->ring);
  guint32 seq = f->next_seq;
  guint32 i;

  if (data == NULL)
    return FALSE;
  memcpy (data, &seq, sizeof seq);
  for (i = sizeof seq; i < MIN (length, nr_tx_ring_capacity (&f->ring)); i++)
    data[i] = (guint8) (seq + i);
  /* Longer than the fake MTU allows, but within the capacity the API checks:
   * the length field is what the kernel judges. */
  nr_tx_ring_commit (&f->ring, MIN (length, nr_tx_ring_capacity (&f->ring)));
  f->next_seq++;
  return TRUE;
}

static void
assert_wire (Fixture *f, const guint32 *expected, guint n)
{
  guint i;

  g_assert_cmpuint (f->wire->len, ==, n);
  for (i = 0; i < n; i++)
    g_assert_cmpuint (g_array_index (f->wire, guint32, i), ==, expected[i]);
}

static void
test_geometry (void)
{
  NrTxGeometry geo;

  /* the rounding blocks (and AF_XDP rings) take */
  g_assert_cmpuint (nr_next_pow2 (0), ==, 1);
  g_assert_cmpuint (nr_next_pow2 (1), ==, 1);
  g_assert_cmpuint (nr_next_pow2 (2), ==, 2);
  g_assert_cmpuint (nr_next_pow2 (3), ==, 4);
  g_assert_cmpuint (nr_next_pow2 (4096), ==, 4096);
  g_assert_cmpuint (nr_next_pow2 (4097), ==, 8192);
  g_assert_cmpuint (nr_next_pow2 ((1u << 31) - 1), ==, 1u << 31);
  g_assert_cmpuint (nr_next_pow2 (1u << 31), ==, 1u << 31);

  /* The defaults: 4096-byte blocks of 2 frames, 128 blocks. */
  g_assert_true (nr_tx_ring_geometry (2048, 256, 4096, &geo));
  g_assert_cmpuint (geo.block_size, ==, 4096);
  g_assert_cmpuint (geo.frames_per_block, ==, 2);
  g_assert_cmpuint (geo.block_count, ==, 128);
  g_assert_cmpuint (geo.frame_count, ==, 256);

  /* Rounded up to whole blocks. */
  g_assert_true (nr_tx_ring_geometry (1504, 5, 4096, &geo));
  g_assert_cmpuint (geo.block_size, ==, 4096);
  g_assert_cmpuint (geo.frames_per_block, ==, 2);
  g_assert_cmpuint (geo.block_count, ==, 3);
  g_assert_cmpuint (geo.frame_count, ==, 6);

  /* Frames larger than a page get a power-of-two block each. */
  g_assert_true (nr_tx_ring_geometry (9024, 3, 4096, &geo));
  g_assert_cmpuint (geo.block_size, ==, 16384);
  g_assert_cmpuint (geo.frames_per_block, ==, 1);
  g_assert_cmpuint (geo.frame_count, ==, 3);

  /* Bigger pages make bigger blocks. */
  g_assert_true (nr_tx_ring_geometry (2048, 1, 65536, &geo));
  g_assert_cmpuint (geo.block_size, ==, 65536);
  g_assert_cmpuint (geo.frames_per_block, ==, 32);
  g_assert_cmpuint (geo.frame_count, ==, 32);

  g_assert_true (nr_tx_ring_geometry (NR_TX_MIN_FRAME_SIZE, 1, 4096, &geo));
  g_assert_true (nr_tx_ring_geometry (NR_TX_MAX_FRAME_SIZE, 1, 4096, &geo));

  g_assert_false (nr_tx_ring_geometry (2048, 0, 4096, &geo));
  g_assert_false (nr_tx_ring_geometry (64, 8, 4096, &geo));
  g_assert_false (nr_tx_ring_geometry (2056 + 4, 8, 4096, &geo));
  g_assert_false (nr_tx_ring_geometry (NR_TX_MAX_FRAME_SIZE + 16, 8, 4096, &geo));
  g_assert_false (nr_tx_ring_geometry (2048, G_MAXUINT32, 4096, &geo));
  g_assert_false (nr_tx_ring_geometry (2048, NR_TX_MAX_RING_BYTES / 2048 + 1, 4096, &geo));
  g_assert_true (nr_tx_ring_geometry (2048, NR_TX_MAX_RING_BYTES / 2048, 4096, &geo));
}

/* F1: the V3 TX frame layout, checked on raw bytes. */
static void
test_layout (void)
{
  Fixture f;
  guint8 *data, *slot;
  guint32 word;

  fixture_init (&f, 1504, 6);
  g_assert_cmpuint (nr_tx_ring_capacity (&f.ring), ==, 1504 - 48);

  /* Frames never straddle a block: frame 2 starts the second block. */
  g_assert_true ((guint8 *) nr_tx_ring_slot (&f.ring, 1) == f.mem + 1504);
  g_assert_true ((guint8 *) nr_tx_ring_slot (&f.ring, 2) == f.mem + 4096);
  g_assert_true ((guint8 *) nr_tx_ring_slot (&f.ring, 5) == f.mem + 2 * 4096 + 1504);

  slot = f.mem;
  memset (slot, 0xee, 48); /* the header words the commit must overwrite */
  memset (slot + 20, 0, 4); /* status AVAILABLE */
  data = nr_tx_ring_reserve (&f.ring);
  g_assert_true (data == slot + 48);
  memset (data, 0xab, 100);
  nr_tx_ring_commit (&f.ring, 100);

  memcpy (&word, slot + 0, 4); /* tp_next_offset */
  g_assert_cmpuint (word, ==, 0);
  memcpy (&word, slot + 12, 4); /* tp_snaplen */
  g_assert_cmpuint (word, ==, 100);
  memcpy (&word, slot + 16, 4); /* tp_len */
  g_assert_cmpuint (word, ==, 100);
  memcpy (&word, slot + 20, 4); /* tp_status */
  g_assert_cmpuint (word, ==, TP_STATUS_SEND_REQUEST);
  g_assert_cmpuint (data[99], ==, 0xab);

  fixture_clear (&f);
}

static void
test_in_order (void)
{
  Fixture f;
  static const guint32 expected[] = { 0, 1, 2 };

  fixture_init (&f, 2048, 8);
  g_assert_cmpuint (nr_tx_ring_available (&f.ring), ==, 8);
  g_assert_true (queue_frame (&f, 60));
  g_assert_true (queue_frame (&f, 61));
  g_assert_true (queue_frame (&f, 62));
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 3);
  g_assert_cmpuint (nr_tx_ring_unkicked (&f.ring), ==, 3);
  g_assert_cmpuint (nr_tx_ring_available (&f.ring), ==, 5);

  g_assert_cmpint (kernel_kick (&f, 100), ==, 3);
  g_assert_cmpuint (nr_tx_ring_update (&f.ring), ==, 0);
  g_assert_cmpuint (nr_tx_ring_unkicked (&f.ring), ==, 0);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 3); /* in flight */
  g_assert_cmpuint (f.ring.frames_sent, ==, 0);

  kernel_complete (&f, 3, 0);
  nr_tx_ring_update (&f.ring);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 0);
  g_assert_cmpuint (f.ring.frames_queued, ==, 3);
  g_assert_cmpuint (f.ring.frames_sent, ==, 3);
  g_assert_cmpuint (f.ring.bytes_sent, ==, 60 + 61 + 62);
  assert_wire (&f, expected, 3);
  fixture_clear (&f);
}

/* A full ring refuses reservations until the kernel gives the oldest slot
 * back; many laps keep the order. */
static void
test_full_and_wrap (void)
{
  Fixture f;
  guint i, lap;

  fixture_init (&f, 2048, 8);
  for (lap = 0; lap < 50; lap++)
    {
      for (i = 0; i < 8; i++)
        g_assert_true (queue_frame (&f, 64));
      g_assert_null (nr_tx_ring_reserve (&f.ring));
      g_assert_cmpuint (nr_tx_ring_available (&f.ring), ==, 0);

      /* Taken but not completed: still full. */
      g_assert_cmpint (kernel_kick (&f, 100), ==, 8);
      nr_tx_ring_update (&f.ring);
      g_assert_null (nr_tx_ring_reserve (&f.ring));

      /* Completing the oldest frees exactly one slot. */
      kernel_complete (&f, 1, 0);
      nr_tx_ring_update (&f.ring);
      g_assert_cmpuint (nr_tx_ring_available (&f.ring), ==, 1);
      kernel_complete (&f, 7, 0);
      nr_tx_ring_update (&f.ring);
      g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 0);
    }
  g_assert_cmpuint (f.wire->len, ==, 400);
  for (i = 0; i < 400; i++)
    g_assert_cmpuint (g_array_index (f.wire, guint32, i), ==, i);
  g_assert_cmpuint (f.ring.frames_sent, ==, 400);
  fixture_clear (&f);
}

/* F2: an aborted reservation must not leave a hole. */
static void
test_abort_reuses_slot (void)
{
  Fixture f;
  guint8 *first, *again;
  static const guint32 expected[] = { 0, 1, 2 };

  fixture_init (&f, 2048, 4);
  g_assert_true (queue_frame (&f, 64));
  first = nr_tx_ring_reserve (&f.ring);
  g_assert_nonnull (first);
  g_assert_cmpuint (nr_tx_ring_available (&f.ring), ==, 2);
  g_assert_null (nr_tx_ring_reserve (&f.ring)); /* one reservation at a time */
  nr_tx_ring_abort (&f.ring);
  g_assert_cmpuint (f.ring.frames_aborted, ==, 1);
  g_assert_cmpuint (nr_tx_ring_available (&f.ring), ==, 3);

  again = nr_tx_ring_reserve (&f.ring);
  g_assert_true (again == first);
  nr_tx_ring_abort (&f.ring);

  g_assert_true (queue_frame (&f, 64));
  g_assert_true (queue_frame (&f, 64));
  /* The kernel finds the three frames back to back. */
  g_assert_cmpint (kernel_kick (&f, 100), ==, 3);
  kernel_complete (&f, 3, 0);
  nr_tx_ring_update (&f.ring);
  assert_wire (&f, expected, 3);
  g_assert_cmpuint (f.ring.frames_aborted, ==, 2);
  g_assert_cmpuint (f.ring.frames_queued, ==, 3);
  fixture_clear (&f);
}

/* F2: a frame the kernel rejects at its head is counted and its slot is
 * reused in place; the frames after it still go out, in order. */
static void
test_reject_in_middle (void)
{
  Fixture f;
  static const guint32 expected[] = { 0, 2, 3, 4 };

  fixture_init (&f, 2048, 8);
  f.max_len = 1514;
  g_assert_true (queue_frame (&f, 100));  /* 0 */
  g_assert_true (queue_frame (&f, 1600)); /* 1: too long for the "MTU" */
  g_assert_true (queue_frame (&f, 100));  /* 2 */
  g_assert_true (queue_frame (&f, 200));  /* 3 */

  g_assert_cmpint (kernel_kick (&f, 100), ==, -1);
  g_assert_cmpuint (f.wire->len, ==, 1);
  g_assert_cmpuint (nr_tx_ring_update (&f.ring), ==, 1);
  g_assert_cmpuint (f.ring.frames_rejected, ==, 1);
  g_assert_cmpuint (f.ring.last_reject_length, ==, 1600);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 3); /* 0 in flight, 2, 3 */
  g_assert_cmpuint (nr_tx_ring_unkicked (&f.ring), ==, 2);

  /* Frame 2 now sits where the kernel's head waits. */
  g_assert_true (queue_frame (&f, 100)); /* 4 */
  g_assert_cmpint (kernel_kick (&f, 100), ==, 3);
  kernel_complete (&f, 4, 0);
  nr_tx_ring_update (&f.ring);
  assert_wire (&f, expected, 4);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 0);
  g_assert_cmpuint (f.ring.frames_sent, ==, 4);
  g_assert_cmpuint (f.ring.bytes_sent, ==, 100 + 100 + 200 + 100);
  g_assert_cmpuint (f.ring.frames_queued, ==, 5);

  /* The moved frames kept their bytes. */
  {
    struct tpacket3_hdr *hdr = nr_tx_ring_slot (&f.ring, 2);
    guint8 *data = nr_tx_frame_data (hdr);
    guint i;
    g_assert_cmpuint (hdr->tp_len, ==, 200);
    for (i = 4; i < 200; i++)
      g_assert_cmpuint (data[i], ==, (guint8) (3 + i));
  }
  fixture_clear (&f);
}

/* The rejected frame is the last queued one: the slot simply becomes the
 * cursor again. Also: the ring was full. */
static void
test_reject_last_and_full (void)
{
  Fixture f;
  guint i;

  fixture_init (&f, 2048, 4);
  f.max_len = 1000;
  for (i = 0; i < 3; i++)
    g_assert_true (queue_frame (&f, 64));
  g_assert_true (queue_frame (&f, 1001)); /* 3 */
  g_assert_null (nr_tx_ring_reserve (&f.ring));

  g_assert_cmpint (kernel_kick (&f, 100), ==, -1);
  kernel_complete (&f, 3, 0);
  g_assert_cmpuint (nr_tx_ring_update (&f.ring), ==, 1);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 0);
  g_assert_cmpuint (nr_tx_ring_available (&f.ring), ==, 4);

  /* The next frame lands in the rejected slot, where the kernel looks. */
  g_assert_true (nr_tx_ring_reserve (&f.ring) ==
                 nr_tx_frame_data (nr_tx_ring_slot (&f.ring, 3)));
  nr_tx_ring_abort (&f.ring);
  g_assert_true (queue_frame (&f, 64)); /* 4 */
  g_assert_cmpint (kernel_kick (&f, 100), ==, 1);
  kernel_complete (&f, 1, 0);
  nr_tx_ring_update (&f.ring);
  {
    static const guint32 expected[] = { 0, 1, 2, 4 };
    assert_wire (&f, expected, 4);
  }

  /* A rejection at the front of a fresh queue. */
  f.max_len = 100;
  g_assert_true (queue_frame (&f, 200)); /* 5 */
  g_assert_true (queue_frame (&f, 64));  /* 6 */
  g_assert_true (queue_frame (&f, 64));  /* 7 */
  g_assert_cmpint (kernel_kick (&f, 100), ==, -1);
  g_assert_cmpuint (nr_tx_ring_update (&f.ring), ==, 1);
  g_assert_cmpint (kernel_kick (&f, 100), ==, 2);
  kernel_complete (&f, 2, 0);
  nr_tx_ring_update (&f.ring);
  {
    static const guint32 expected[] = { 0, 1, 2, 4, 6, 7 };
    assert_wire (&f, expected, 6);
  }
  g_assert_cmpuint (f.ring.frames_rejected, ==, 2);
  fixture_clear (&f);
}

/* A rejection seen while a reservation is outstanding waits for the
 * reservation to end (the reserved slot must not move under the caller). */
static void
test_reject_while_reserved (void)
{
  Fixture f;
  guint8 *data;
  static const guint32 expected[] = { 1, 2 };

  fixture_init (&f, 2048, 8);
  f.max_len = 100;
  g_assert_true (queue_frame (&f, 200)); /* 0: rejected */
  g_assert_true (queue_frame (&f, 64));  /* 1 */
  g_assert_cmpint (kernel_kick (&f, 100), ==, -1);

  data = nr_tx_ring_reserve (&f.ring);
  g_assert_nonnull (data);
  g_assert_cmpuint (nr_tx_ring_update (&f.ring), ==, 0);
  memcpy (data, &f.next_seq, 4);
  f.next_seq++;
  nr_tx_ring_commit (&f.ring, 64); /* 2 */

  g_assert_cmpuint (nr_tx_ring_update (&f.ring), ==, 1);
  g_assert_cmpint (kernel_kick (&f, 100), ==, 2);
  kernel_complete (&f, 2, 0);
  nr_tx_ring_update (&f.ring);
  assert_wire (&f, expected, 2);
  fixture_clear (&f);
}

/* The kernel takes part of the queue (send buffer full, EAGAIN) and ORs
 * timestamp bits into completed frames: neither confuses the counts. */
static void
test_partial_kick_and_timestamps (void)
{
  Fixture f;
  guint i;

  fixture_init (&f, 2048, 16);
  for (i = 0; i < 10; i++)
    g_assert_true (queue_frame (&f, 64));
  g_assert_cmpint (kernel_kick (&f, 4), ==, 4);
  nr_tx_ring_update (&f.ring);
  g_assert_cmpuint (nr_tx_ring_unkicked (&f.ring), ==, 6);
  kernel_complete (&f, 4, TP_STATUS_TS_SOFTWARE);
  nr_tx_ring_update (&f.ring);
  g_assert_cmpuint (f.ring.frames_sent, ==, 4);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 6);
  g_assert_cmpint (kernel_kick (&f, 100), ==, 6);
  kernel_complete (&f, 6, TP_STATUS_TS_RAW_HARDWARE);
  nr_tx_ring_update (&f.ring);
  g_assert_cmpuint (f.ring.frames_sent, ==, 10);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 0);
  /* A slot whose status carries timestamp bits is reusable. */
  for (i = 0; i < 16; i++)
    g_assert_true (queue_frame (&f, 64));
  fixture_clear (&f);
}

/* Completions out of order (several TX queues): a later frame completing
 * first is counted once the older one completes. */
static void
test_out_of_order_completion (void)
{
  Fixture f;

  fixture_init (&f, 2048, 8);
  g_assert_true (queue_frame (&f, 64));
  g_assert_true (queue_frame (&f, 64));
  g_assert_cmpint (kernel_kick (&f, 100), ==, 2);
  __atomic_store_n (&nr_tx_ring_slot (&f.ring, 1)->tp_status, TP_STATUS_AVAILABLE,
                    __ATOMIC_RELEASE);
  nr_tx_ring_update (&f.ring);
  g_assert_cmpuint (f.ring.frames_sent, ==, 0);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 2);
  __atomic_store_n (&nr_tx_ring_slot (&f.ring, 0)->tp_status, TP_STATUS_AVAILABLE,
                    __ATOMIC_RELEASE);
  nr_tx_ring_update (&f.ring);
  g_assert_cmpuint (f.ring.frames_sent, ==, 2);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 0);
  fixture_clear (&f);
}

/* Random interleavings of every operation: the wire always carries the
 * committed frames minus the rejected ones, in order, and the counters add
 * up. */
static void
test_random (void)
{
  guint round;

  for (round = 0; round < 200; round++)
    {
      Fixture f;
      GArray *expected = g_array_new (FALSE, FALSE, sizeof (guint32));
      guint32 frame_count = (guint32) g_test_rand_int_range (1, 20);
      guint step;
      guint aborted = 0;

      fixture_init (&f, 256, frame_count);
      f.max_len = 150;
      for (step = 0; step < 2000; step++)
        {
          switch (g_test_rand_int_range (0, 6))
            {
            case 0:
            case 1:
              {
                guint32 length = (guint32) g_test_rand_int_range (4, 209);
                guint32 seq = f.next_seq;
                if (queue_frame (&f, length) && length <= f.max_len)
                  g_array_append_val (expected, seq);
              }
              break;
            case 2:
              if (nr_tx_ring_reserve (&f.ring) != NULL)
                {
                  nr_tx_ring_abort (&f.ring);
                  aborted++;
                }
              break;
            case 3:
              kernel_kick (&f, (guint) g_test_rand_int_range (0, 5));
              break;
            case 4:
              kernel_complete (&f, (guint) g_test_rand_int_range (0, 5), 0);
              break;
            default:
              nr_tx_ring_update (&f.ring);
              break;
            }
          g_assert_cmpuint (nr_tx_ring_pending (&f.ring), <=, f.ring.frame_count);
        }

      /* Drain: the ring never stalls. */
      for (step = 0; nr_tx_ring_pending (&f.ring) > 0; step++)
        {
          g_assert_cmpuint (step, <, 10000);
          kernel_kick (&f, 1000);
          kernel_complete (&f, 1000, 0);
          nr_tx_ring_update (&f.ring);
        }

      g_assert_cmpuint (f.wire->len, ==, expected->len);
      g_assert_cmpmem (f.wire->data, f.wire->len * 4, expected->data, expected->len * 4);
      g_assert_cmpuint (f.ring.frames_sent, ==, expected->len);
      g_assert_cmpuint (f.ring.frames_queued, ==, f.ring.frames_sent + f.ring.frames_rejected);
      g_assert_cmpuint (f.ring.frames_aborted, ==, aborted);
      g_array_unref (expected);
      fixture_clear (&f);
    }
}


/* ---- the geometry rules, the length rule, the kick, close --------------- */

/* Each geometry rule is reported as itself (the injector's messages and
 * docs are built from the same constants). */
static void
test_geometry_rules (void)
{
  NrTxGeometry geo;

  g_assert_cmpuint (NR_TX_MIN_FRAME_SIZE, ==, 80);
  g_assert_cmpint (nr_tx_ring_geometry_check (2048, 256, 4096, &geo), ==, NR_TX_GEOMETRY_OK);
  g_assert_cmpint (nr_tx_ring_geometry_check (NR_TX_MIN_FRAME_SIZE - NR_TX_FRAME_ALIGNMENT, 8,
                                              4096, &geo),
                   ==, NR_TX_GEOMETRY_FRAME_SIZE);
  g_assert_cmpint (nr_tx_ring_geometry_check (2056 + 4, 8, 4096, &geo), ==,
                   NR_TX_GEOMETRY_FRAME_SIZE);
  g_assert_cmpint (nr_tx_ring_geometry_check (NR_TX_MAX_FRAME_SIZE + 16, 8, 4096, &geo), ==,
                   NR_TX_GEOMETRY_FRAME_SIZE);
  g_assert_cmpint (nr_tx_ring_geometry_check (2048, 0, 4096, &geo), ==,
                   NR_TX_GEOMETRY_FRAME_COUNT);
  g_assert_cmpint (nr_tx_ring_geometry_check (2048, NR_TX_MAX_RING_BYTES / 2048 + 1, 4096, &geo),
                   ==, NR_TX_GEOMETRY_TOO_LARGE);
  g_assert_cmpint (nr_tx_ring_geometry_check (2048, NR_TX_MAX_RING_BYTES / 2048, 4096, &geo), ==,
                   NR_TX_GEOMETRY_OK);
  g_assert_cmpuint (nr_tx_geometry_bytes (&geo), ==, NR_TX_MAX_RING_BYTES);
}

static void
fill_ether_type (guint8 *frame, guint16 type)
{
  memset (frame, 0x11, 12);
  frame[12] = (guint8) (type >> 8);
  frame[13] = (guint8) type;
}

/* The kernel's rule (tpacket_snd): MTU + link header, 4 more for an
 * 802.1Q-tagged Ethernet frame; the ring's capacity always applies. */
static void
test_length_rule (void)
{
  Fixture f;
  guint8 frame[2000];

  fixture_init (&f, 2048, 4); /* capacity 2000 */

  /* not known yet: the capacity decides */
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, NULL, 2000), ==, NR_TX_LENGTH_OK);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, NULL, 2001), ==,
                   NR_TX_LENGTH_OVER_CAPACITY);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, NULL, 0), ==, NR_TX_LENGTH_EMPTY);

  /* Ethernet, MTU 1500 */
  nr_tx_ring_set_link (&f.ring, 1500, nr_afpacket_link_header_length (ARPHRD_ETHER), TRUE);
  g_assert_cmpuint (f.ring.link_max, ==, 1514);
  g_assert_cmpuint (nr_tx_ring_max_length (&f.ring), ==, 1518);
  fill_ether_type (frame, 0x88b5);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, frame, 1), ==, NR_TX_LENGTH_OK);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, frame, 1514), ==, NR_TX_LENGTH_OK);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, frame, 1515), ==, NR_TX_LENGTH_OVER_LINK);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, frame, 1518), ==, NR_TX_LENGTH_OVER_LINK);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, frame, 0), ==, NR_TX_LENGTH_EMPTY);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, frame, 2001), ==,
                   NR_TX_LENGTH_OVER_CAPACITY);
  fill_ether_type (frame, 0x8100);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, frame, 1518), ==, NR_TX_LENGTH_OK);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, frame, 1519), ==, NR_TX_LENGTH_OVER_LINK);
  fill_ether_type (frame, 0x88a8); /* 802.1ad: the kernel grants nothing */
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, frame, 1515), ==, NR_TX_LENGTH_OVER_LINK);
  /* a reservation does not know the tag yet */
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, NULL, 1518), ==, NR_TX_LENGTH_OK);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, NULL, 1519), ==, NR_TX_LENGTH_OVER_LINK);

  /* no link header (tun, WireGuard), and no tag allowance off Ethernet */
  nr_tx_ring_set_link (&f.ring, 1420, nr_afpacket_link_header_length (ARPHRD_NONE), FALSE);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, NULL, 1420), ==, NR_TX_LENGTH_OK);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, NULL, 1421), ==, NR_TX_LENGTH_OVER_LINK);

  /* loopback's 64 KiB MTU is more than a slot: the capacity decides */
  nr_tx_ring_set_link (&f.ring, 65536, nr_afpacket_link_header_length (ARPHRD_LOOPBACK), FALSE);
  g_assert_cmpuint (nr_tx_ring_max_length (&f.ring), ==, 2000);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, NULL, 2000), ==, NR_TX_LENGTH_OK);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, NULL, 2001), ==,
                   NR_TX_LENGTH_OVER_CAPACITY);

  /* a link type whose header is not known: the kernel checks */
  g_assert_cmpint (nr_afpacket_link_header_length (ARPHRD_INFINIBAND), ==, -1);
  nr_tx_ring_set_link (&f.ring, 1500, -1, FALSE);
  g_assert_cmpint (nr_tx_ring_check_length (&f.ring, NULL, 2000), ==, NR_TX_LENGTH_OK);
  fixture_clear (&f);
}

/* A refused commit gives its slot back like an abort, counted apart. */
static void
test_refuse (void)
{
  Fixture f;
  static const guint32 expected[] = { 0 };
  guint8 *first, *again;

  fixture_init (&f, 2048, 4);
  first = nr_tx_ring_reserve (&f.ring);
  g_assert_nonnull (first);
  nr_tx_ring_refuse (&f.ring);
  g_assert_false (f.ring.reserved);
  nr_tx_ring_refuse (&f.ring); /* a refusal before any reservation */
  g_assert_cmpuint (f.ring.frames_refused, ==, 2);
  g_assert_cmpuint (f.ring.frames_aborted, ==, 0);
  again = nr_tx_ring_reserve (&f.ring);
  g_assert_true (again == first);
  nr_tx_ring_abort (&f.ring);
  g_assert_true (queue_frame (&f, 64));
  g_assert_cmpint (kernel_kick (&f, 10), ==, 1);
  kernel_complete (&f, 1, 0);
  g_assert_cmpuint (nr_tx_ring_reap (&f.ring), ==, 1);
  g_assert_cmpuint (nr_tx_ring_reap (&f.ring), ==, 0);
  assert_wire (&f, expected, 1);
  fixture_clear (&f);
}

/* The kick, with the test playing the kernel's sendto(). */
typedef struct {
  Fixture *f;
  guint budget;     /* frames taken per call; then fail with limit_errno */
  int limit_errno;  /* EAGAIN or ENOBUFS */
  guint eintr;      /* the first calls fail with EINTR, taking nothing */
  gboolean down;    /* every call fails with ENETDOWN */
  gboolean complete; /* frames complete within the call (veth) */
  guint calls;
} FakeKick;

static long
fake_kick (int fd, gpointer user_data)
{
  FakeKick *k = user_data;
  int taken;

  g_assert_cmpint (fd, ==, 42);
  k->calls++;
  if (k->eintr > 0)
    {
      k->eintr--;
      errno = EINTR;
      return -1;
    }
  if (k->down)
    {
      errno = ENETDOWN;
      return -1;
    }
  taken = kernel_kick (k->f, k->budget);
  if (k->complete)
    kernel_complete (k->f, k->f->in_flight, 0);
  if (taken < 0)
    {
      errno = EMSGSIZE;
      return -1;
    }
  if (__atomic_load_n (&nr_tx_ring_slot (&k->f->ring, k->f->khead)->tp_status,
                       __ATOMIC_ACQUIRE) == TP_STATUS_SEND_REQUEST)
    {
      /* stopped with frames left: the send buffer or the device queue */
      errno = k->limit_errno;
      return -1;
    }
  return 0;
}

static void
test_kick (void)
{
  Fixture f;
  FakeKick k = { &f, 1000, EAGAIN, 0, FALSE, TRUE, 0 };
  guint32 i;

  fixture_init (&f, 256, 16);
  nr_tx_ring_set_socket (&f.ring, 42, fake_kick, &k);

  /* nothing queued: no system call */
  g_assert_cmpint (nr_tx_ring_kick (&f.ring), ==, 0);
  g_assert_cmpuint (k.calls, ==, 0);

  /* EINTR is retried; then everything goes */
  for (i = 0; i < 5; i++)
    g_assert_true (queue_frame (&f, 64));
  k.eintr = 2;
  g_assert_cmpint (nr_tx_ring_kick (&f.ring), ==, 0);
  g_assert_cmpuint (k.calls, ==, 3);
  g_assert_cmpuint (f.ring.kicks, ==, 3);
  g_assert_cmpuint (f.wire->len, ==, 5);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 0);
  g_assert_cmpuint (f.ring.frames_sent, ==, 5);

  /* a full send buffer: part taken, the rest stays queued, not an error */
  for (i = 0; i < 10; i++)
    g_assert_true (queue_frame (&f, 64));
  k.budget = 4;
  g_assert_cmpint (nr_tx_ring_kick (&f.ring), ==, 0);
  g_assert_cmpuint (f.ring.kicks_eagain, ==, 1);
  g_assert_cmpuint (nr_tx_ring_unkicked (&f.ring), ==, 6);
  /* a full device queue (ENOBUFS): the same */
  k.limit_errno = ENOBUFS;
  g_assert_cmpint (nr_tx_ring_kick (&f.ring), ==, 0);
  g_assert_cmpuint (f.ring.kicks_enobufs, ==, 1);
  g_assert_cmpuint (nr_tx_ring_unkicked (&f.ring), ==, 2);
  k.budget = 1000;
  g_assert_cmpint (nr_tx_ring_kick (&f.ring), ==, 0);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 0);
  g_assert_cmpuint (f.wire->len, ==, 15);

  /* a refused frame in the middle: counted with its errno, the kick goes
   * on with the frames after it */
  f.max_len = 100;
  g_assert_true (queue_frame (&f, 64));
  g_assert_true (queue_frame (&f, 200)); /* seq 16: too long */
  g_assert_true (queue_frame (&f, 64));
  g_assert_cmpint (nr_tx_ring_kick (&f.ring), ==, 0);
  g_assert_cmpuint (f.ring.frames_rejected, ==, 1);
  g_assert_cmpint (f.ring.last_reject_errno, ==, EMSGSIZE);
  g_assert_cmpuint (f.ring.last_reject_length, ==, 200);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 0);
  g_assert_cmpuint (f.wire->len, ==, 17);
  g_assert_cmpuint (g_array_index (f.wire, guint32, 15), ==, 15);
  g_assert_cmpuint (g_array_index (f.wire, guint32, 16), ==, 17);

  /* the interface is down: an error, frames stay queued */
  g_assert_true (queue_frame (&f, 64));
  k.down = TRUE;
  g_assert_cmpint (nr_tx_ring_kick (&f.ring), ==, -ENETDOWN);
  g_assert_cmpuint (nr_tx_ring_unkicked (&f.ring), ==, 1);
  k.down = FALSE;
  g_assert_cmpint (nr_tx_ring_kick (&f.ring), ==, 0);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 0);
  g_assert_cmpuint (f.ring.frames_queued, ==, f.ring.frames_sent + f.ring.frames_rejected);
  fixture_clear (&f);
}

/* Close: frames the kernel never took are counted as discarded; frames it
 * took are its own, and those still in flight are counted as sent (they
 * leave after the close, when nobody can count them). */
static void
test_discard (void)
{
  Fixture f;
  guint32 i;

  fixture_init (&f, 256, 16);
  for (i = 0; i < 6; i++)
    g_assert_true (queue_frame (&f, 64));
  g_assert_cmpint (kernel_kick (&f, 2), ==, 2);
  kernel_complete (&f, 1, 0);
  g_assert_nonnull (nr_tx_ring_reserve (&f.ring));
  nr_tx_ring_abort (&f.ring);
  g_assert_cmpuint (nr_tx_ring_discard (&f.ring), ==, 4);
  g_assert_cmpuint (f.ring.frames_discarded, ==, 4);
  g_assert_cmpuint (f.ring.frames_sent, ==, 2); /* the one in flight too */
  g_assert_cmpuint (f.ring.bytes_sent, ==, 2 * 64);
  g_assert_cmpuint (nr_tx_ring_unkicked (&f.ring), ==, 0);
  g_assert_cmpuint (nr_tx_ring_pending (&f.ring), ==, 0);
  g_assert_cmpuint (f.ring.frames_queued, ==,
                    f.ring.frames_sent + f.ring.frames_rejected + f.ring.frames_discarded);
  fixture_clear (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tx-ring/geometry", test_geometry);
  g_test_add_func ("/tx-ring/layout", test_layout);
  g_test_add_func ("/tx-ring/in-order", test_in_order);
  g_test_add_func ("/tx-ring/full-and-wrap", test_full_and_wrap);
  g_test_add_func ("/tx-ring/abort-reuses-slot", test_abort_reuses_slot);
  g_test_add_func ("/tx-ring/reject-in-middle", test_reject_in_middle);
  g_test_add_func ("/tx-ring/reject-last-and-full", test_reject_last_and_full);
  g_test_add_func ("/tx-ring/reject-while-reserved", test_reject_while_reserved);
  g_test_add_func ("/tx-ring/partial-kick-and-timestamps", test_partial_kick_and_timestamps);
  g_test_add_func ("/tx-ring/out-of-order-completion", test_out_of_order_completion);
  g_test_add_func ("/tx-ring/random", test_random);
  g_test_add_func ("/tx-ring/geometry-rules", test_geometry_rules);
  g_test_add_func ("/tx-ring/length-rule", test_length_rule);
  g_test_add_func ("/tx-ring/refuse", test_refuse);
  g_test_add_func ("/tx-ring/kick", test_kick);
  g_test_add_func ("/tx-ring/discard", test_discard);
  return g_test_run ();
}
