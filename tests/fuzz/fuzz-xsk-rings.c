/* fuzz-xsk-rings.c: the AF_XDP frame pools and the four rings
 * (nr_xsk_rings_*) driven by the fuzzer, which plays both the application
 * and the kernel, honest or not.
 *
 * Input (little endian, zeros past the end):
 *   u8  frame size: 2048 << (b & 1)
 *   u8  frame count - 1 (mod 32; at least 2 for rx-tx)
 *   u8  mode (mod 3): NrXskMode, which decides the RX share and the rings
 *   u32 where every ring index starts (so the 32-bit counters wrap)
 *   then operations, one byte each plus their arguments, until the input
 *   ends (at most MAX_OPS):
 *     application: refill, rx_take, rx_release (held or arbitrary address),
 *       rx_release_addr (inside the chunk), tx_reserve, tx_abort, tx_submit
 *       (own frame, forwarded RX frame or arbitrary address, any offset and
 *       length), tx_reap, rx_ready / tx_unconsumed;
 *     honest kernel: take fill entries, receive into one (the data written
 *       after a headroom), consume TX descriptors, complete them;
 *     misbehaving kernel: post an RX descriptor or a completion for any
 *       address (again and again), overwrite a producer or consumer index,
 *       set ring flags.
 *
 * After every operation the invariants hold, whatever the kernel did: each
 * chunk's state is one its pool allows; each pool holds distinct chunk
 * bases of its own range in the state "in the pool", exactly as many as
 * there are such chunks; frames the application holds are held and no
 * others; frames in flight = submitted - completed; the rejection counter
 * counts exactly the refused submits. While the kernel is honest also:
 * every frame the kernel owns is in a ring or with the kernel (nothing is
 * lost), misuse counters count exactly the application's mistakes, and
 * received data arrives intact. */
#include "config.h"

#include "fuzz-common.h"
#include "nr-xsk.h"

#include <errno.h>

#define MAX_FRAMES 32
#define MAX_OPS 512
#define KERNEL_MAX 256 /* a lying kernel can "take" the same frame many times */

typedef struct {
  guint32 producer;
  guint32 consumer;
  guint32 flags;
  guint32 size;
  guint64 *addrs;         /* fill, completion */
  struct xdp_desc *descs; /* rx, tx */
} SimRing;

typedef struct {
  guint32 frame_size;
  guint32 frame_count;
  guint32 rx_frames;
  guint8 *umem;
  SimRing fill, comp, rx, tx;
  NrXskRings rings;

  /* the kernel's side */
  guint64 kernel_rx[KERNEL_MAX]; /* chunks taken from the fill ring */
  guint n_kernel_rx;
  struct xdp_desc kernel_tx[KERNEL_MAX]; /* consumed from TX, not completed */
  guint n_kernel_tx;
  gboolean honest;

  /* the application's side */
  struct xdp_desc user_rx[MAX_FRAMES]; /* received and held */
  guint n_user_rx;
  guint64 user_tx[MAX_FRAMES]; /* reserved chunk bases */
  guint n_user_tx;
  guint64 expected_bad_returns;
  guint64 expected_tx_rejected;
  guint64 expected_rx_frames;
} Sim;

static guint32
ring_size (guint32 entries)
{
  guint32 size = 1;

  while (size < entries)
    size <<= 1;
  return size;
}

static void
sim_ring_init (SimRing *ring, guint32 entries, gboolean descs, guint32 start)
{
  memset (ring, 0, sizeof *ring);
  ring->size = ring_size (entries);
  ring->producer = start;
  ring->consumer = start;
  if (descs)
    ring->descs = g_new0 (struct xdp_desc, ring->size);
  else
    ring->addrs = g_new0 (guint64, ring->size);
}

static void
sim_ring_clear (SimRing *ring)
{
  g_free (ring->addrs);
  g_free (ring->descs);
}

static guint32
chunk_of (const Sim *sim, guint64 addr)
{
  return (guint32) (addr / sim->frame_size);
}

static guint8
pattern (guint64 addr, guint32 len)
{
  return (guint8) (addr * 7 + len);
}

/* ------------------------------------------------------------------------
 * Invariants
 * ------------------------------------------------------------------------ */

FUZZ_NO_COVERAGE static void
check_pool (const Sim *sim, const NrXskPool *pool, guint32 lo, guint32 hi, guint8 pool_state)
{
  const NrXskRings *r = &sim->rings;
  guint8 seen[MAX_FRAMES] = { 0 };
  guint32 i, in_state = 0;

  FUZZ_CHECK (pool->count <= pool->capacity);
  FUZZ_CHECK (pool->capacity == hi - lo);
  for (i = 0; i < pool->count; i++)
    {
      guint64 addr = pool->addrs[i];
      guint32 chunk = chunk_of (sim, addr);

      FUZZ_CHECK (addr % sim->frame_size == 0);
      FUZZ_CHECK (chunk >= lo && chunk < hi);
      FUZZ_CHECK (!seen[chunk]);
      seen[chunk] = 1;
      FUZZ_CHECK (r->state[chunk] == pool_state);
    }
  for (i = lo; i < hi; i++)
    in_state += r->state[i] == pool_state;
  FUZZ_CHECK (in_state == pool->count);
}

FUZZ_NO_COVERAGE static void
check_invariants (const Sim *sim)
{
  const NrXskRings *r = &sim->rings;
  guint32 i, n_fill = 0, n_rx_held = 0, n_tx_held = 0, n_tx_kernel = 0;

  for (i = 0; i < sim->frame_count; i++)
    {
      guint8 s = r->state[i];

      if (i < sim->rx_frames)
        FUZZ_CHECK (s == NR_XSK_FRAME_RX_SPARE || s == NR_XSK_FRAME_FILL ||
                    s == NR_XSK_FRAME_RX_HELD || s == NR_XSK_FRAME_TX_KERNEL);
      else
        FUZZ_CHECK (s == NR_XSK_FRAME_TX_FREE || s == NR_XSK_FRAME_TX_HELD ||
                    s == NR_XSK_FRAME_TX_KERNEL);
      n_fill += s == NR_XSK_FRAME_FILL;
      n_rx_held += s == NR_XSK_FRAME_RX_HELD;
      n_tx_held += s == NR_XSK_FRAME_TX_HELD;
      n_tx_kernel += s == NR_XSK_FRAME_TX_KERNEL;
    }
  check_pool (sim, &r->rx_pool, 0, sim->rx_frames, NR_XSK_FRAME_RX_SPARE);
  check_pool (sim, &r->tx_pool, sim->rx_frames, sim->frame_count, NR_XSK_FRAME_TX_FREE);

  /* what the application holds, and nothing else, is held */
  FUZZ_CHECK (n_rx_held == sim->n_user_rx);
  for (i = 0; i < sim->n_user_rx; i++)
    FUZZ_CHECK (r->state[chunk_of (sim, sim->user_rx[i].addr)] == NR_XSK_FRAME_RX_HELD);
  FUZZ_CHECK (n_tx_held == sim->n_user_tx);
  for (i = 0; i < sim->n_user_tx; i++)
    FUZZ_CHECK (r->state[chunk_of (sim, sim->user_tx[i])] == NR_XSK_FRAME_TX_HELD);

  FUZZ_CHECK (nr_xsk_rings_tx_in_flight (r) == n_tx_kernel);
  FUZZ_CHECK (r->counters.tx_rejected == sim->expected_tx_rejected);
  FUZZ_CHECK (r->counters.rx_frames == sim->expected_rx_frames);
  FUZZ_CHECK (r->counters.bad_returns >= sim->expected_bad_returns);

  if (!sim->honest)
    return;
  /* nothing lost: every frame given to the kernel is in a ring or with it */
  FUZZ_CHECK (n_fill == (sim->fill.producer - sim->fill.consumer) + sim->n_kernel_rx +
                          (sim->rx.producer - sim->rx.consumer));
  FUZZ_CHECK (n_tx_kernel == (sim->tx.producer - sim->tx.consumer) + sim->n_kernel_tx +
                               (sim->comp.producer - sim->comp.consumer));
  FUZZ_CHECK (r->counters.bad_returns == sim->expected_bad_returns);
  for (i = sim->fill.consumer; i != sim->fill.producer; i++)
    {
      guint64 addr = sim->fill.addrs[i & (sim->fill.size - 1)];

      FUZZ_CHECK (addr % sim->frame_size == 0 && chunk_of (sim, addr) < sim->rx_frames);
      FUZZ_CHECK (r->state[chunk_of (sim, addr)] == NR_XSK_FRAME_FILL);
    }
}

/* ------------------------------------------------------------------------
 * The application
 * ------------------------------------------------------------------------ */

/* Removes the frame of chunk @chunk from the application's lists. */
static gboolean
user_forget (Sim *sim, guint32 chunk)
{
  guint i;

  for (i = 0; i < sim->n_user_rx; i++)
    {
      if (chunk_of (sim, sim->user_rx[i].addr) == chunk)
        {
          sim->user_rx[i] = sim->user_rx[--sim->n_user_rx];
          return TRUE;
        }
    }
  for (i = 0; i < sim->n_user_tx; i++)
    {
      if (chunk_of (sim, sim->user_tx[i]) == chunk)
        {
          sim->user_tx[i] = sim->user_tx[--sim->n_user_tx];
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
user_holds (const Sim *sim, guint64 addr, NrXskFrameState held_state)
{
  return addr < (guint64) sim->frame_count * sim->frame_size &&
         sim->rings.state[chunk_of (sim, addr)] == held_state;
}

/* An address: mostly near the UMEM, sometimes anything. */
static guint64
any_address (Sim *sim, FuzzReader *r)
{
  guint64 raw = fuzz_u64 (r);

  if ((raw & 3) != 0)
    return (raw >> 2) % ((guint64) (sim->frame_count + 2) * sim->frame_size);
  return raw;
}

static void
app_rx_take (Sim *sim, FuzzReader *r)
{
  struct xdp_desc out[64];
  guint max = fuzz_u8 (r) % G_N_ELEMENTS (out) + 1;
  guint n, i;

  n = nr_xsk_rings_rx_take (&sim->rings, out, max);
  FUZZ_CHECK (n <= max);
  FUZZ_CHECK (sim->rings.has_rx || n == 0);
  sim->expected_rx_frames += n;
  for (i = 0; i < n; i++)
    {
      const guint8 *p = nr_xsk_rings_data (&sim->rings, out[i].addr);

      FUZZ_CHECK (nr_xsk_desc_fits (&sim->rings.layout, out[i].addr, out[i].len));
      FUZZ_CHECK (chunk_of (sim, out[i].addr) < sim->rx_frames);
      FUZZ_CHECK (sim->n_user_rx < MAX_FRAMES);
      if (sim->honest)
        FUZZ_CHECK (p[0] == pattern (out[i].addr, out[i].len) &&
                    p[out[i].len - 1] == pattern (out[i].addr, out[i].len));
      sim->user_rx[sim->n_user_rx++] = out[i];
    }
}

static void
app_rx_release (Sim *sim, FuzzReader *r, gboolean by_addr)
{
  guint8 pick = fuzz_u8 (r);
  guint64 addr;

  if (sim->n_user_rx > 0 && pick < 224)
    {
      struct xdp_desc d = sim->user_rx[pick % sim->n_user_rx];

      addr = by_addr ? nr_xsk_chunk_base (d.addr, sim->frame_size) +
                         fuzz_u16 (r) % sim->frame_size
                     : d.addr;
    }
  else
    addr = any_address (sim, r);

  if (user_holds (sim, addr, NR_XSK_FRAME_RX_HELD))
    user_forget (sim, chunk_of (sim, addr));
  else
    sim->expected_bad_returns++;
  if (by_addr)
    nr_xsk_rings_rx_release_addr (&sim->rings, addr);
  else
    {
      struct xdp_desc d = { addr, 1, 0 };
      nr_xsk_rings_rx_release (&sim->rings, &d, 1);
    }
}

static void
app_tx_reserve (Sim *sim, FuzzReader *r)
{
  guint8 fill = fuzz_u8 (r);
  guint64 addr = G_MAXUINT64;
  guint8 *p = nr_xsk_rings_tx_reserve (&sim->rings, &addr);

  if (p == NULL)
    {
      FUZZ_CHECK (!sim->rings.has_tx || nr_xsk_rings_tx_free (&sim->rings) == 0);
      return;
    }
  FUZZ_CHECK (sim->rings.has_tx);
  FUZZ_CHECK (addr % sim->frame_size == 0);
  FUZZ_CHECK (chunk_of (sim, addr) >= sim->rx_frames && chunk_of (sim, addr) < sim->frame_count);
  FUZZ_CHECK (p == sim->umem + addr);
  /* the whole chunk is the caller's */
  memset (p, fill, sim->frame_size);
  FUZZ_CHECK (sim->n_user_tx < MAX_FRAMES);
  sim->user_tx[sim->n_user_tx++] = addr;
}

static void
app_tx_abort (Sim *sim, FuzzReader *r)
{
  guint8 pick = fuzz_u8 (r);
  guint64 addr;

  if (sim->n_user_tx > 0 && pick < 224)
    addr = sim->user_tx[pick % sim->n_user_tx] + (pick & 1 ? fuzz_u16 (r) % sim->frame_size : 0);
  else
    addr = any_address (sim, r);
  if (user_holds (sim, addr, NR_XSK_FRAME_TX_HELD))
    user_forget (sim, chunk_of (sim, addr));
  else
    sim->expected_bad_returns++;
  nr_xsk_rings_tx_abort (&sim->rings, addr);
}

static void
app_tx_submit (Sim *sim, FuzzReader *r)
{
  guint8 pick = fuzz_u8 (r);
  guint32 len = fuzz_u16 (r) % (sim->frame_size + 64);
  guint32 offset = fuzz_u16 (r) % (sim->frame_size + 64);
  guint64 addr, umem_size = (guint64) sim->frame_count * sim->frame_size;
  gboolean held;
  int expected, got;

  if (pick < 96 && sim->n_user_tx > 0)
    addr = sim->user_tx[pick % sim->n_user_tx] + offset;
  else if (pick < 192 && sim->n_user_rx > 0)
    addr = sim->user_rx[pick % sim->n_user_rx].addr; /* forward as received */
  else
    addr = any_address (sim, r);

  held = addr < umem_size && (user_holds (sim, addr, NR_XSK_FRAME_TX_HELD) ||
                              user_holds (sim, addr, NR_XSK_FRAME_RX_HELD));
  if (!sim->rings.has_tx || !held)
    expected = -EINVAL;
  else if (!nr_xsk_desc_fits (&sim->rings.layout, addr, len))
    expected = -EMSGSIZE;
  else
    expected = 0; /* or -ENOBUFS, when the kernel stopped consuming */

  got = nr_xsk_rings_tx_submit (&sim->rings, addr, len);
  if (got == -ENOBUFS)
    {
      /* the TX ring holds every frame, so only a kernel that lies about
       * its consumer index can make it look full */
      FUZZ_CHECK (expected == 0);
      FUZZ_CHECK (!sim->honest);
      return;
    }
  FUZZ_CHECK (got == expected);
  if (got == 0)
    user_forget (sim, chunk_of (sim, addr));
  else
    sim->expected_tx_rejected++;
}

/* ------------------------------------------------------------------------
 * The kernel
 * ------------------------------------------------------------------------ */

static void
kernel_take_fill (Sim *sim, FuzzReader *r)
{
  guint k = fuzz_u8 (r) % 8 + 1;

  while (k-- > 0 && sim->fill.consumer != sim->fill.producer && sim->n_kernel_rx < KERNEL_MAX)
    {
      /* aligned mode: the kernel masks the address to its chunk itself */
      guint64 addr = sim->fill.addrs[sim->fill.consumer++ & (sim->fill.size - 1)];

      if (sim->honest)
        FUZZ_CHECK (sim->rings.state[chunk_of (sim, addr)] == NR_XSK_FRAME_FILL);
      sim->kernel_rx[sim->n_kernel_rx++] = nr_xsk_chunk_base (addr, sim->frame_size);
    }
}

static void
post_rx (Sim *sim, guint64 addr, guint32 len)
{
  sim->rx.descs[sim->rx.producer & (sim->rx.size - 1)] = (struct xdp_desc){ addr, len, 0 };
  sim->rx.producer++;
}

static void
kernel_receive (Sim *sim, FuzzReader *r)
{
  guint8 pick = fuzz_u8 (r);
  guint8 how = fuzz_u8 (r);
  guint32 headroom, len;
  guint64 base, addr;
  guint k;

  if (!sim->rings.has_rx || sim->n_kernel_rx == 0 ||
      sim->rx.producer - sim->rx.consumer >= sim->rx.size)
    return;
  k = pick % sim->n_kernel_rx;
  base = sim->kernel_rx[k];
  sim->kernel_rx[k] = sim->kernel_rx[--sim->n_kernel_rx];
  headroom = how & 1 ? NR_XSK_RX_HEADROOM : 0;
  len = fuzz_u16 (r);
  if ((how & 2) == 0) /* a length the frame can hold; otherwise anything */
    len = len % (sim->frame_size - headroom) + 1;
  addr = base + headroom;
  if (nr_xsk_desc_fits (&sim->rings.layout, addr, len))
    memset (sim->umem + addr, pattern (addr, len), len);
  post_rx (sim, addr, len);
}

static void
kernel_consume_tx (Sim *sim, FuzzReader *r)
{
  guint k = fuzz_u8 (r) % 8 + 1;

  if (!sim->rings.has_tx)
    return;
  while (k-- > 0 && sim->tx.consumer != sim->tx.producer && sim->n_kernel_tx < KERNEL_MAX)
    {
      struct xdp_desc d = sim->tx.descs[sim->tx.consumer++ & (sim->tx.size - 1)];

      if (sim->honest)
        {
          /* what the library published is what the kernel accepts */
          FUZZ_CHECK (nr_xsk_desc_fits (&sim->rings.layout, d.addr, d.len));
          FUZZ_CHECK (sim->rings.state[chunk_of (sim, d.addr)] == NR_XSK_FRAME_TX_KERNEL);
          FUZZ_CHECK (d.options == 0);
        }
      sim->kernel_tx[sim->n_kernel_tx++] = d;
    }
}

static void
post_completion (Sim *sim, guint64 addr)
{
  sim->comp.addrs[sim->comp.producer & (sim->comp.size - 1)] = addr;
  sim->comp.producer++;
}

static void
kernel_complete (Sim *sim, FuzzReader *r)
{
  guint8 pick = fuzz_u8 (r);
  guint k;

  if (sim->n_kernel_tx == 0 || sim->comp.producer - sim->comp.consumer >= sim->comp.size)
    return;
  /* completions come in any order; the address is the descriptor's */
  k = pick % sim->n_kernel_tx;
  post_completion (sim, sim->kernel_tx[k].addr);
  sim->kernel_tx[k] = sim->kernel_tx[--sim->n_kernel_tx];
}

static void
kernel_lie (Sim *sim, FuzzReader *r)
{
  guint8 what = fuzz_u8 (r);
  guint32 *index;
  SimRing *rings[4] = { &sim->fill, &sim->comp, &sim->rx, &sim->tx };
  SimRing *ring;

  sim->honest = FALSE;
  switch (what % 5)
    {
    case 0: /* an RX descriptor for anything, ring full or not */
      if (sim->rings.has_rx)
        {
          guint64 addr = any_address (sim, r);
          post_rx (sim, addr, fuzz_u16 (r));
        }
      break;
    case 1: /* a completion for anything */
      post_completion (sim, any_address (sim, r));
      break;
    case 2: /* the same frame again: received or completed twice */
      if (sim->rings.has_rx && sim->n_user_rx > 0)
        {
          struct xdp_desc d = sim->user_rx[what % sim->n_user_rx];
          post_rx (sim, d.addr, d.len);
        }
      if (sim->n_kernel_tx > 0)
        post_completion (sim, sim->kernel_tx[what % sim->n_kernel_tx].addr);
      break;
    case 3: /* an index moved: by a little, or anywhere */
      ring = rings[(what >> 3) & 3];
      if (ring->size == 0 || (ring == &sim->rx && !sim->rings.has_rx) ||
          (ring == &sim->tx && !sim->rings.has_tx))
        break;
      index = what & 0x20 ? &ring->producer : &ring->consumer;
      if (what & 0x40)
        *index = fuzz_u32 (r);
      else
        *index += (guint32) (gint32) (gint8) fuzz_u8 (r);
      break;
    case 4:
      rings[(what >> 3) & 3]->flags = fuzz_u32 (r);
      break;
    default:
      g_assert_not_reached ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzReader r;
  Sim sim_storage, *sim = &sim_storage;
  NrXskRings *rings = &sim->rings;
  guint32 start;
  int mode;
  guint op;

  memset (sim, 0, sizeof *sim);
  fuzz_reader_init (&r, data, size);
  sim->frame_size = NR_XSK_MIN_FRAME_SIZE << (fuzz_u8 (&r) & 1);
  sim->frame_count = fuzz_u8 (&r) % MAX_FRAMES + 1;
  mode = fuzz_u8 (&r) % 3;
  if (mode == NR_XSK_MODE_RX_TX)
    sim->frame_count = MAX (sim->frame_count, 2);
  sim->rx_frames = nr_xsk_rx_share (mode, sim->frame_count);
  start = fuzz_u32 (&r);
  sim->honest = TRUE;

  /* the ring sizes nr_xsk_open() asks libxdp for */
  sim->umem = g_malloc ((gsize) sim->frame_size * sim->frame_count);
  sim_ring_init (&sim->fill, sim->rx_frames, FALSE, start);
  sim_ring_init (&sim->comp, sim->frame_count, FALSE, start);
  sim_ring_init (&sim->rx, sim->rx_frames, TRUE, start);
  sim_ring_init (&sim->tx, sim->frame_count, TRUE, start);
  nr_xsk_rings_init (rings, sim->umem, sim->frame_size, sim->frame_count, sim->rx_frames);
  nr_xsk_ring_init (&rings->fill, &sim->fill.producer, &sim->fill.consumer, &sim->fill.flags,
                    sim->fill.addrs, sim->fill.size, TRUE);
  nr_xsk_ring_init (&rings->comp, &sim->comp.producer, &sim->comp.consumer, &sim->comp.flags,
                    sim->comp.addrs, sim->comp.size, FALSE);
  if (mode != NR_XSK_MODE_TX)
    {
      rings->has_rx = TRUE;
      nr_xsk_ring_init (&rings->rx, &sim->rx.producer, &sim->rx.consumer, &sim->rx.flags,
                        sim->rx.descs, sim->rx.size, FALSE);
    }
  if (mode != NR_XSK_MODE_RX)
    {
      rings->has_tx = TRUE;
      nr_xsk_ring_init (&rings->tx, &sim->tx.producer, &sim->tx.consumer, &sim->tx.flags,
                        sim->tx.descs, sim->tx.size, TRUE);
    }
  nr_xsk_rings_refill (rings);
  check_invariants (sim);

  for (op = 0; op < MAX_OPS && fuzz_remaining (&r) > 0; op++)
    {
      switch (fuzz_u8 (&r) % 16)
        {
        case 0:
          nr_xsk_rings_refill (rings);
          break;
        case 1:
          app_rx_take (sim, &r);
          break;
        case 2:
          app_rx_release (sim, &r, FALSE);
          break;
        case 3:
          app_rx_release (sim, &r, TRUE);
          break;
        case 4:
          app_tx_reserve (sim, &r);
          break;
        case 5:
          app_tx_abort (sim, &r);
          break;
        case 6:
        case 7:
          app_tx_submit (sim, &r);
          break;
        case 8:
          FUZZ_CHECK (nr_xsk_rings_tx_reap (rings) <= sim->comp.size);
          break;
        case 9:
          FUZZ_CHECK (nr_xsk_rings_rx_ready (rings) <= (rings->has_rx ? sim->rx.size : 0));
          (void) nr_xsk_rings_tx_unconsumed (rings);
          (void) nr_xsk_ring_needs_wakeup (&rings->fill);
          break;
        case 10:
          kernel_take_fill (sim, &r);
          break;
        case 11:
        case 12:
          kernel_receive (sim, &r);
          break;
        case 13:
          kernel_consume_tx (sim, &r);
          break;
        case 14:
          kernel_complete (sim, &r);
          break;
        case 15:
          kernel_lie (sim, &r);
          break;
        default:
          g_assert_not_reached ();
        }
      check_invariants (sim);
    }

  nr_xsk_rings_clear (rings);
  sim_ring_clear (&sim->fill);
  sim_ring_clear (&sim->comp);
  sim_ring_clear (&sim->rx);
  sim_ring_clear (&sim->tx);
  g_free (sim->umem);
  return 0;
}
