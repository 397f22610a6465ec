/* test-xsk-rings.c: the AF_XDP UMEM pools, the four rings and the RX
 * descriptor walk, on synthetic memory with the test playing the kernel. */
#include "config.h"

#include "nr-xsk.h"

#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * A pretend kernel: ring memory laid out as the kernel's, and the kernel's
 * side of each ring protocol.
 * ------------------------------------------------------------------------ */

typedef struct {
  guint32 producer;
  guint32 consumer;
  guint32 flags;
  guint64 *addrs;          /* fill, completion */
  struct xdp_desc *descs;  /* rx, tx */
  guint32 size;
} SimRing;

typedef struct {
  guint8 *umem;
  guint32 frame_size;
  guint32 frame_count;
  SimRing fill, comp, rx, tx;
  NrXskRings rings;
} Sim;

static void
sim_ring_alloc (SimRing *ring, guint32 size, gboolean descs, guint32 start)
{
  memset (ring, 0, sizeof *ring);
  ring->size = size;
  ring->producer = start;
  ring->consumer = start;
  if (descs)
    ring->descs = g_new0 (struct xdp_desc, size);
  else
    ring->addrs = g_new0 (guint64, size);
}

static guint32
pow2 (guint32 n)
{
  guint32 p = 1;
  while (p < MAX (n, 1))
    p <<= 1;
  return p;
}

/* @start: where every index starts, to test wrap-around of the 32-bit
 * counters. */
static Sim *
sim_new (guint32 frame_size, guint32 frame_count, guint32 rx_frames, gboolean rx, gboolean tx,
         guint32 start)
{
  Sim *sim = g_new0 (Sim, 1);
  NrXskRings *r = &sim->rings;

  sim->frame_size = frame_size;
  sim->frame_count = frame_count;
  sim->umem = g_malloc0 ((gsize) frame_size * frame_count);
  sim_ring_alloc (&sim->fill, pow2 (rx_frames), FALSE, start);
  sim_ring_alloc (&sim->comp, pow2 (frame_count), FALSE, start);
  sim_ring_alloc (&sim->rx, pow2 (rx_frames), TRUE, start);
  sim_ring_alloc (&sim->tx, pow2 (frame_count), TRUE, start);

  nr_xsk_rings_init (r, sim->umem, frame_size, frame_count, rx_frames);
  nr_xsk_ring_init (&r->fill, &sim->fill.producer, &sim->fill.consumer, &sim->fill.flags,
                    sim->fill.addrs, sim->fill.size, TRUE);
  nr_xsk_ring_init (&r->comp, &sim->comp.producer, &sim->comp.consumer, &sim->comp.flags,
                    sim->comp.addrs, sim->comp.size, FALSE);
  if (rx)
    {
      r->has_rx = TRUE;
      nr_xsk_ring_init (&r->rx, &sim->rx.producer, &sim->rx.consumer, &sim->rx.flags,
                        sim->rx.descs, sim->rx.size, FALSE);
    }
  if (tx)
    {
      r->has_tx = TRUE;
      nr_xsk_ring_init (&r->tx, &sim->tx.producer, &sim->tx.consumer, &sim->tx.flags,
                        sim->tx.descs, sim->tx.size, TRUE);
    }
  return sim;
}

static void
sim_free (Sim *sim)
{
  nr_xsk_rings_clear (&sim->rings);
  g_free (sim->fill.addrs);
  g_free (sim->comp.addrs);
  g_free (sim->rx.descs);
  g_free (sim->tx.descs);
  g_free (sim->umem);
  g_free (sim);
}

static guint32
fill_entries (const Sim *sim)
{
  return sim->fill.producer - sim->fill.consumer;
}

/* The kernel receives a frame of @len bytes: takes a buffer from the fill
 * ring (aligned mode: it masks the address itself), writes the data after
 * @headroom bytes and posts the descriptor. FALSE when the fill ring is
 * empty or the RX ring full (the kernel would drop). */
static gboolean
sim_receive (Sim *sim, guint32 len, guint32 headroom, guint8 pattern)
{
  guint64 addr;
  /* like the kernel: acquire the producers, release the consumers, as the
   * library may refill from another thread (releases) */
  guint32 fill_prod = __atomic_load_n (&sim->fill.producer, __ATOMIC_ACQUIRE);
  guint32 rx_cons = __atomic_load_n (&sim->rx.consumer, __ATOMIC_ACQUIRE);

  if (fill_prod == sim->fill.consumer)
    return FALSE;
  if (sim->rx.producer - rx_cons >= sim->rx.size)
    return FALSE;
  addr = sim->fill.addrs[sim->fill.consumer & (sim->fill.size - 1)];
  __atomic_store_n (&sim->fill.consumer, sim->fill.consumer + 1, __ATOMIC_RELEASE);
  addr = nr_xsk_chunk_base (addr, sim->frame_size) + headroom;
  memset (sim->umem + addr, pattern, len);
  sim->rx.descs[sim->rx.producer & (sim->rx.size - 1)] = (struct xdp_desc){ addr, len, 0 };
  __atomic_store_n (&sim->rx.producer, sim->rx.producer + 1, __ATOMIC_RELEASE);
  return TRUE;
}

/* Posts an arbitrary RX descriptor (a misbehaving kernel). */
static void
sim_post_rx (Sim *sim, guint64 addr, guint32 len)
{
  sim->rx.descs[sim->rx.producer & (sim->rx.size - 1)] = (struct xdp_desc){ addr, len, 0 };
  sim->rx.producer++;
}

/* The kernel sends up to @max TX descriptors: checks each like the
 * kernel does, copies the data out to @sent and completes the address as
 * given. Returns the number sent. */
static guint
sim_transmit (Sim *sim, guint max, GPtrArray *sent)
{
  guint n = 0;

  while (n < max && sim->tx.consumer != sim->tx.producer)
    {
      struct xdp_desc d = sim->tx.descs[sim->tx.consumer++ & (sim->tx.size - 1)];

      g_assert_cmpuint (d.len, >, 0);
      g_assert_cmpuint ((d.addr & (sim->frame_size - 1)) + d.len, <=, sim->frame_size);
      g_assert_cmpuint (d.addr + d.len, <=, (guint64) sim->frame_size * sim->frame_count);
      if (sent != NULL)
        g_ptr_array_add (sent, g_bytes_new (sim->umem + d.addr, d.len));
      sim->comp.addrs[sim->comp.producer++ & (sim->comp.size - 1)] = d.addr;
      n++;
    }
  return n;
}

/* Every chunk is in exactly one place, the pools hold chunk bases of their
 * own range, and the fill ring holds distinct RX chunk bases the kernel
 * owns. */
static void
check_invariants (const Sim *sim)
{
  const NrXskRings *r = &sim->rings;
  guint32 counts[NR_XSK_FRAME_TX_KERNEL + 1] = { 0 };
  g_autofree guint8 *seen = g_new0 (guint8, sim->frame_count);
  guint32 i, idx;

  for (i = 0; i < sim->frame_count; i++)
    {
      g_assert_cmpuint (r->state[i], <=, NR_XSK_FRAME_TX_KERNEL);
      counts[r->state[i]]++;
      if (i < r->layout.rx_frames)
        g_assert_true (r->state[i] <= NR_XSK_FRAME_RX_HELD ||
                       r->state[i] == NR_XSK_FRAME_TX_KERNEL);
      else
        g_assert_true (r->state[i] >= NR_XSK_FRAME_TX_FREE);
    }
  g_assert_cmpuint (counts[NR_XSK_FRAME_RX_SPARE], ==, r->rx_pool.count);
  g_assert_cmpuint (counts[NR_XSK_FRAME_TX_FREE], ==, r->tx_pool.count);
  for (i = 0; i < r->rx_pool.count; i++)
    {
      guint64 a = r->rx_pool.addrs[i];
      g_assert_cmpuint (a, ==, nr_xsk_chunk_base (a, sim->frame_size));
      g_assert_cmpuint (r->state[a / sim->frame_size], ==, NR_XSK_FRAME_RX_SPARE);
    }
  for (i = 0; i < r->tx_pool.count; i++)
    {
      guint64 a = r->tx_pool.addrs[i];
      g_assert_cmpuint (a, ==, nr_xsk_chunk_base (a, sim->frame_size));
      g_assert_cmpuint (r->state[a / sim->frame_size], ==, NR_XSK_FRAME_TX_FREE);
    }
  g_assert_cmpuint (fill_entries (sim), <=, sim->fill.size);
  for (idx = sim->fill.consumer; idx != sim->fill.producer; idx++)
    {
      guint64 a = sim->fill.addrs[idx & (sim->fill.size - 1)];
      g_assert_cmpuint (a, ==, nr_xsk_chunk_base (a, sim->frame_size)); /* F10 */
      g_assert_cmpuint (a / sim->frame_size, <, r->layout.rx_frames);     /* F11 */
      g_assert_cmpuint (r->state[a / sim->frame_size], ==, NR_XSK_FRAME_FILL);
      g_assert_cmpuint (seen[a / sim->frame_size], ==, 0);
      seen[a / sim->frame_size] = 1;
    }
  g_assert_cmpuint (counts[NR_XSK_FRAME_TX_KERNEL], ==, nr_xsk_rings_tx_in_flight (r));
  g_assert_cmpuint (counts[NR_XSK_FRAME_RX_HELD], ==, r->rx_held);
}

/* ------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------ */

static void
test_chunk_base (void)
{
  g_assert_cmpuint (nr_xsk_chunk_base (0, 2048), ==, 0);
  g_assert_cmpuint (nr_xsk_chunk_base (256, 2048), ==, 0);
  g_assert_cmpuint (nr_xsk_chunk_base (2047, 2048), ==, 0);
  g_assert_cmpuint (nr_xsk_chunk_base (2048, 2048), ==, 2048);
  g_assert_cmpuint (nr_xsk_chunk_base (2048 + 256, 2048), ==, 2048);
  g_assert_cmpuint (nr_xsk_chunk_base (4096 * 7 + 256, 4096), ==, 4096 * 7);
  g_assert_cmpuint (nr_xsk_chunk_base (4096 * 7 + 4095, 4096), ==, 4096 * 7);
  /* Above 4 GiB: the mask is 64 bits wide. */
  g_assert_cmpuint (nr_xsk_chunk_base (G_GUINT64_CONSTANT (0x100000100), 4096), ==,
                    G_GUINT64_CONSTANT (0x100000000));
}

static void
test_config (void)
{
  NrXskConfig config;
  NrXskFailure failure;

  nr_xsk_config_init (&config);
  g_assert_cmpuint (config.frame_size, ==, 4096);
  g_assert_cmpuint (config.frame_count, ==, 4096);
  g_assert_cmpint (config.mode, ==, NR_XSK_MODE_RX_TX);
  g_assert_true (config.need_wakeup);
  g_assert_cmpint (nr_xsk_config_check (&config, 4096, &failure), ==, 0);
  g_assert_cmpint (failure.kind, ==, NR_XSK_FAILURE_NONE);

  for (guint32 size = 1; size <= 65536; size *= 2)
    {
      config.frame_size = size;
      g_assert_cmpint (nr_xsk_config_check (&config, 4096, &failure), ==,
                       size >= 2048 && size <= 4096 ? 0 : -EINVAL);
      if (size < 2048 || size > 4096)
        g_assert_cmpstr (failure.operation, ==, "frame-size");
    }
  config.frame_size = 3000;
  g_assert_cmpint (nr_xsk_config_check (&config, 4096, &failure), ==, -EINVAL);
  g_assert_cmpint (failure.kind, ==, NR_XSK_FAILURE_INVALID);
  config.frame_size = 16384; /* fine with 16 KiB pages */
  g_assert_cmpint (nr_xsk_config_check (&config, 16384, NULL), ==, 0);

  config.frame_size = 4096;
  config.frame_count = 0;
  g_assert_cmpint (nr_xsk_config_check (&config, 4096, &failure), ==, -EINVAL);
  g_assert_cmpstr (failure.operation, ==, "frame-count");
  config.frame_count = 1;
  g_assert_cmpint (nr_xsk_config_check (&config, 4096, &failure), ==, -EINVAL);
  config.mode = NR_XSK_MODE_RX;
  g_assert_cmpint (nr_xsk_config_check (&config, 4096, &failure), ==, 0);
  config.frame_count = (1u << 20) + 1; /* > 4 GiB of UMEM */
  g_assert_cmpint (nr_xsk_config_check (&config, 4096, &failure), ==, -EINVAL);
  g_assert_cmpstr (failure.operation, ==, "frame-count");
  config.frame_count = 64;
  config.mode = 7;
  g_assert_cmpint (nr_xsk_config_check (&config, 4096, &failure), ==, -EINVAL);
  g_assert_cmpstr (failure.operation, ==, "mode");
  config.mode = NR_XSK_MODE_TX;
  config.attach = 3;
  g_assert_cmpint (nr_xsk_config_check (&config, 4096, &failure), ==, -EINVAL);
  g_assert_cmpstr (failure.operation, ==, "attach-mode");
  config.attach = NR_XSK_ATTACH_NATIVE;
  config.bind = 3;
  g_assert_cmpint (nr_xsk_config_check (&config, 4096, &failure), ==, -EINVAL);
  g_assert_cmpstr (failure.operation, ==, "bind-mode");

  g_assert_cmpuint (nr_xsk_rx_share (NR_XSK_MODE_RX, 100), ==, 100);
  g_assert_cmpuint (nr_xsk_rx_share (NR_XSK_MODE_TX, 100), ==, 0);
  g_assert_cmpuint (nr_xsk_rx_share (NR_XSK_MODE_RX_TX, 100), ==, 50);
  g_assert_cmpuint (nr_xsk_rx_share (NR_XSK_MODE_RX_TX, 7), ==, 3);
}

static void
test_init_pools (void)
{
  Sim *sim = sim_new (2048, 16, 8, TRUE, TRUE, 0);
  NrXskRings *r = &sim->rings;
  guint i;

  g_assert_cmpuint (r->rx_pool.count, ==, 8);
  g_assert_cmpuint (r->tx_pool.count, ==, 8);
  check_invariants (sim);

  /* Priming puts exactly the RX pool in the fill ring, lowest first. */
  g_assert_cmpuint (nr_xsk_rings_refill (r), ==, 8);
  g_assert_cmpuint (fill_entries (sim), ==, 8);
  for (i = 0; i < 8; i++)
    g_assert_cmpuint (sim->fill.addrs[i], ==, (guint64) i * 2048);
  g_assert_cmpuint (r->rx_pool.count, ==, 0);
  g_assert_cmpuint (nr_xsk_rings_refill (r), ==, 0);
  check_invariants (sim);
  sim_free (sim);

  /* TX only: every frame is for sending, nothing goes to the fill ring. */
  sim = sim_new (4096, 4, 0, FALSE, TRUE, 0);
  g_assert_cmpuint (nr_xsk_rings_refill (&sim->rings), ==, 0);
  g_assert_cmpuint (sim->rings.tx_pool.count, ==, 4);
  check_invariants (sim);
  sim_free (sim);
}

/* Received frames come out with their data; released ones go back to the
 * fill ring as chunk bases although the kernel reported them 256 bytes in
 * (F10). */
static void
test_rx_roundtrip (gconstpointer data)
{
  guint32 start = GPOINTER_TO_UINT (data);
  Sim *sim = sim_new (2048, 64, 32, TRUE, TRUE, start);
  NrXskRings *r = &sim->rings;
  struct xdp_desc out[64];
  guint round, i, n;

  nr_xsk_rings_refill (r);
  for (round = 0; round < 20; round++)
    {
      guint want = 1 + round % 32;

      for (i = 0; i < want; i++)
        g_assert_true (sim_receive (sim, 60 + i, NR_XSK_RX_HEADROOM, (guint8) (round * 40 + i)));
      g_assert_cmpuint (nr_xsk_rings_rx_ready (r), ==, want);
      n = nr_xsk_rings_rx_take (r, out, G_N_ELEMENTS (out));
      g_assert_cmpuint (n, ==, want);
      /* The ring entries are back at once; the frames are held. */
      g_assert_cmpuint (sim->rx.consumer, ==, sim->rx.producer);
      for (i = 0; i < n; i++)
        {
          const guint8 *p = nr_xsk_rings_data (r, out[i].addr);
          g_assert_cmpuint (out[i].len, ==, 60 + i);
          g_assert_cmpuint (out[i].addr % 2048, ==, NR_XSK_RX_HEADROOM);
          g_assert_cmpuint (out[i].addr / 2048, <, 32);
          g_assert_cmpuint (p[0], ==, (guint8) (round * 40 + i));
          g_assert_cmpuint (p[out[i].len - 1], ==, (guint8) (round * 40 + i));
          g_assert_cmpuint (r->state[out[i].addr / 2048], ==, NR_XSK_FRAME_RX_HELD);
        }
      check_invariants (sim);
      /* Release in reverse order: any order is fine. */
      for (i = n; i-- > 0;)
        nr_xsk_rings_rx_release (r, &out[i], 1);
      g_assert_cmpuint (fill_entries (sim), ==, 32);
      check_invariants (sim);
    }
  g_assert_cmpuint (r->counters.rx_frames, ==, 210); /* 1 + 2 + … + 20 */
  g_assert_cmpuint (r->counters.rx_refused, ==, 0);
  g_assert_cmpuint (r->counters.bad_returns, ==, 0);
  sim_free (sim);
}

/* Holding every RX frame stops reception (the kernel finds the fill ring
 * empty) but leaves every TX frame available (F11). */
static void
test_rx_never_drains_tx (void)
{
  Sim *sim = sim_new (2048, 32, 16, TRUE, TRUE, 0);
  NrXskRings *r = &sim->rings;
  struct xdp_desc held[16];
  guint64 addrs[16];
  guint n = 0, i;

  nr_xsk_rings_refill (r);
  while (sim_receive (sim, 100, NR_XSK_RX_HEADROOM, 1))
    n += nr_xsk_rings_rx_take (r, held + n, G_N_ELEMENTS (held) - n);
  g_assert_cmpuint (n, ==, 16);
  g_assert_cmpuint (fill_entries (sim), ==, 0);
  nr_xsk_rings_refill (r);
  g_assert_cmpuint (fill_entries (sim), ==, 0);

  for (i = 0; i < 16; i++)
    {
      g_assert_nonnull (nr_xsk_rings_tx_reserve (r, &addrs[i]));
      g_assert_cmpuint (addrs[i] / 2048, >=, 16);
      g_assert_cmpuint (addrs[i] % 2048, ==, 0);
    }
  g_assert_null (nr_xsk_rings_tx_reserve (r, &addrs[0]));
  check_invariants (sim);

  /* And sending everything does not feed the fill ring. */
  for (i = 0; i < 16; i++)
    g_assert_cmpint (nr_xsk_rings_tx_submit (r, addrs[i], 2048), ==, 0);
  g_assert_cmpuint (sim_transmit (sim, 100, NULL), ==, 16);
  g_assert_cmpuint (nr_xsk_rings_tx_reap (r), ==, 16);
  g_assert_cmpuint (fill_entries (sim), ==, 0);
  g_assert_cmpuint (r->tx_pool.count, ==, 16);
  check_invariants (sim);

  nr_xsk_rings_rx_release (r, held, n);
  g_assert_cmpuint (fill_entries (sim), ==, 16);
  check_invariants (sim);
  sim_free (sim);
}

/* Full-size frames from recycled TX addresses never touch a neighbour: the
 * completion ring may report an address inside the chunk (data sent from
 * an offset), and the frame comes back as its chunk base (F10). */
static void
test_tx_recycle_full_size (gconstpointer data)
{
  guint32 start = GPOINTER_TO_UINT (data);
  Sim *sim = sim_new (2048, 16, 0, FALSE, TRUE, start);
  NrXskRings *r = &sim->rings;
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint round, i;

  for (round = 0; round < 50; round++)
    {
      guint64 addr;
      guint8 *p = nr_xsk_rings_tx_reserve (r, &addr);
      guint32 offset = (round % 3) * 128;
      guint32 len = 2048 - offset;

      g_assert_nonnull (p);
      g_assert_cmpuint (addr % 2048, ==, 0);
      memset (p + offset, (guint8) round, len);
      g_assert_cmpint (nr_xsk_rings_tx_submit (r, addr + offset, len), ==, 0);
      if (round % 4 == 3)
        {
          sim_transmit (sim, 100, sent);
          nr_xsk_rings_tx_reap (r);
        }
      check_invariants (sim);
    }
  sim_transmit (sim, 100, sent);
  nr_xsk_rings_tx_reap (r);
  g_assert_cmpuint (sent->len, ==, 50);
  for (i = 0; i < sent->len; i++)
    {
      gsize size;
      const guint8 *bytes = g_bytes_get_data (sent->pdata[i], &size);
      g_assert_cmpuint (size, ==, 2048 - (i % 3) * 128);
      for (gsize k = 0; k < size; k++)
        g_assert_cmpuint (bytes[k], ==, (guint8) i);
    }
  g_assert_cmpuint (r->counters.tx_completed, ==, 50);
  g_assert_cmpuint (r->tx_pool.count, ==, 16);
  check_invariants (sim);
  sim_free (sim);
}

/* A received frame sent on in place returns to the RX pool (and the fill
 * ring, as its chunk base) when completed. */
static void
test_forward (void)
{
  Sim *sim = sim_new (2048, 8, 4, TRUE, TRUE, 0);
  NrXskRings *r = &sim->rings;
  struct xdp_desc d;
  guint32 idx;

  nr_xsk_rings_refill (r);
  g_assert_true (sim_receive (sim, 2048 - NR_XSK_RX_HEADROOM, NR_XSK_RX_HEADROOM, 9));
  g_assert_cmpuint (nr_xsk_rings_rx_take (r, &d, 1), ==, 1);
  g_assert_cmpuint (fill_entries (sim), ==, 3);

  /* The full received length fits; one byte more would cross. */
  g_assert_cmpint (nr_xsk_rings_tx_submit (r, d.addr, d.len + 1), ==, -EMSGSIZE);
  g_assert_cmpint (nr_xsk_rings_tx_submit (r, d.addr, d.len), ==, 0);
  g_assert_cmpuint (r->state[d.addr / 2048], ==, NR_XSK_FRAME_TX_KERNEL);
  /* Released while in flight: refused, nothing duplicated. */
  nr_xsk_rings_rx_release (r, &d, 1);
  g_assert_cmpuint (r->counters.bad_returns, ==, 1);
  g_assert_cmpuint (fill_entries (sim), ==, 3);
  check_invariants (sim);

  g_assert_cmpuint (sim_transmit (sim, 10, NULL), ==, 1);
  g_assert_cmpuint (nr_xsk_rings_tx_reap (r), ==, 1);
  g_assert_cmpuint (fill_entries (sim), ==, 4);
  idx = sim->fill.producer - 1;
  g_assert_cmpuint (sim->fill.addrs[idx & (sim->fill.size - 1)], ==, nr_xsk_chunk_base (d.addr, 2048));
  g_assert_cmpuint (r->tx_pool.count, ==, 4);
  check_invariants (sim);
  sim_free (sim);
}

static void
test_misuse (void)
{
  Sim *sim = sim_new (2048, 8, 4, TRUE, TRUE, 0);
  NrXskRings *r = &sim->rings;
  struct xdp_desc d;
  guint64 addr;

  nr_xsk_rings_refill (r);
  g_assert_true (sim_receive (sim, 100, NR_XSK_RX_HEADROOM, 1));
  g_assert_cmpuint (nr_xsk_rings_rx_take (r, &d, 1), ==, 1);
  nr_xsk_rings_rx_release (r, &d, 1);
  nr_xsk_rings_rx_release (r, &d, 1); /* twice */
  g_assert_cmpuint (r->counters.bad_returns, ==, 1);
  g_assert_cmpuint (fill_entries (sim), ==, 4);
  nr_xsk_rings_rx_release_addr (r, 6 * 2048); /* a TX frame */
  nr_xsk_rings_rx_release_addr (r, G_MAXUINT64);
  g_assert_cmpuint (r->counters.bad_returns, ==, 3);

  g_assert_nonnull (nr_xsk_rings_tx_reserve (r, &addr));
  g_assert_cmpint (nr_xsk_rings_tx_submit (r, addr, 0), ==, -EMSGSIZE);
  g_assert_cmpint (nr_xsk_rings_tx_submit (r, addr, 2049), ==, -EMSGSIZE);
  g_assert_cmpint (nr_xsk_rings_tx_submit (r, addr + 256, 2048 - 255), ==, -EMSGSIZE);
  g_assert_cmpint (nr_xsk_rings_tx_submit (r, addr + 2048, 10), ==, -EINVAL); /* not held */
  g_assert_cmpint (nr_xsk_rings_tx_submit (r, 0, 10), ==, -EINVAL);            /* in the fill ring */
  g_assert_cmpint (nr_xsk_rings_tx_submit (r, G_MAXUINT64 - 5, 10), ==, -EINVAL);
  g_assert_cmpuint (r->counters.tx_rejected, ==, 6);
  g_assert_cmpuint (sim->tx.producer, ==, 0); /* nothing reached the ring */
  nr_xsk_rings_tx_abort (r, addr + 100);      /* any address inside the chunk */
  nr_xsk_rings_tx_abort (r, addr);            /* twice */
  g_assert_cmpuint (r->counters.bad_returns, ==, 4);
  g_assert_cmpuint (r->tx_pool.count, ==, 4);

  /* A completion for a frame that was never sent. */
  sim->comp.addrs[sim->comp.producer++ & (sim->comp.size - 1)] = 5 * 2048;
  sim->comp.addrs[sim->comp.producer++ & (sim->comp.size - 1)] = 1 * 2048;
  sim->comp.addrs[sim->comp.producer++ & (sim->comp.size - 1)] = G_MAXUINT64;
  g_assert_cmpuint (nr_xsk_rings_tx_reap (r), ==, 3);
  g_assert_cmpuint (r->counters.tx_completed, ==, 0);
  g_assert_cmpuint (r->counters.bad_returns, ==, 7);
  check_invariants (sim);
  sim_free (sim);
}

/* The walk on its own: every kind of bad descriptor. */
static void
test_walk (void)
{
  NrXskLayout layout = { .umem_size = 8 * 2048, .frame_size = 2048, .frame_shift = 11,
                         .rx_frames = 4 };
  guint8 state[8] = { NR_XSK_FRAME_FILL, NR_XSK_FRAME_FILL, NR_XSK_FRAME_FILL,
                      NR_XSK_FRAME_RX_SPARE, NR_XSK_FRAME_TX_FREE, NR_XSK_FRAME_TX_FREE,
                      NR_XSK_FRAME_TX_FREE, NR_XSK_FRAME_TX_FREE };
  struct xdp_desc ring[16] = {
    { 0 * 2048 + 256, 100, 0 },         /* good */
    { 1 * 2048 + 256, 0, 0 },           /* empty: chunk recycled */
    { 2 * 2048 + 256, 2048 - 255, 0 },  /* crosses into chunk 3: recycled */
    { 3 * 2048 + 256, 100, 0 },         /* not the kernel's */
    { 4 * 2048 + 256, 100, 0 },         /* TX range */
    { 0 * 2048 + 512, 100, 0 },         /* chunk 0 again */
    { G_MAXUINT64, 100, 0 },            /* far outside */
    { 8 * 2048, 1, 0 },                 /* just outside */
  };
  struct xdp_desc out[16];
  guint64 recycle[16];
  NrXskWalkResult result;

  /* Starting near the top of the index space: entries wrap through mask. */
  nr_xsk_walk_rx (ring, 15, G_MAXUINT32 - 15 + 16, 8, &layout, state, out, recycle, &result);
  g_assert_cmpuint (result.n_valid, ==, 1);
  g_assert_cmpuint (result.n_invalid, ==, 7);
  g_assert_cmpuint (result.n_recycle, ==, 2);
  g_assert_cmpuint (result.bytes, ==, 100);
  g_assert_cmpuint (out[0].addr, ==, 256);
  g_assert_cmpuint (out[0].len, ==, 100);
  g_assert_cmpuint (recycle[0], ==, 1 * 2048);
  g_assert_cmpuint (recycle[1], ==, 2 * 2048);
  g_assert_cmpuint (state[0], ==, NR_XSK_FRAME_RX_HELD);
  g_assert_cmpuint (state[1], ==, NR_XSK_FRAME_RX_SPARE);
  g_assert_cmpuint (state[2], ==, NR_XSK_FRAME_RX_SPARE);
  g_assert_cmpuint (state[3], ==, NR_XSK_FRAME_RX_SPARE);
  g_assert_cmpuint (state[4], ==, NR_XSK_FRAME_TX_FREE);

  /* A full chunk less the headroom is exactly the limit. */
  state[1] = NR_XSK_FRAME_FILL;
  ring[0] = (struct xdp_desc){ 1 * 2048 + 256, 2048 - 256, 0 };
  nr_xsk_walk_rx (ring, 15, 0, 1, &layout, state, out, recycle, &result);
  g_assert_cmpuint (result.n_valid, ==, 1);
}

/* The rings with a kernel that writes garbage: whatever it does, no frame
 * is lost or duplicated, and what is handed out is inside its chunk. */
static void
test_hostile_kernel (void)
{
  Sim *sim = sim_new (2048, 32, 16, TRUE, TRUE, G_MAXUINT32 - 40);
  NrXskRings *r = &sim->rings;
  g_autoptr(GArray) held = g_array_new (FALSE, FALSE, sizeof (struct xdp_desc));
  struct xdp_desc out[64];
  guint iteration;

  nr_xsk_rings_refill (r);
  for (iteration = 0; iteration < 20000; iteration++)
    {
      guint action = g_test_rand_int_range (0, 6);
      guint i, n;

      switch (action)
        {
        case 0: /* a proper reception */
          sim_receive (sim, g_test_rand_int_range (1, 2048 - 256 + 1), NR_XSK_RX_HEADROOM, 3);
          break;
        case 1: /* garbage in the RX ring (never more than it holds) */
          if (sim->rx.producer - sim->rx.consumer >= sim->rx.size)
            break;
          if (g_test_rand_bit () && sim->fill.producer != sim->fill.consumer)
            {
              /* A buffer the kernel took, reported with a bad length or
               * at a bad offset. */
              guint64 a = sim->fill.addrs[sim->fill.consumer++ & (sim->fill.size - 1)];
              sim_post_rx (sim, a + g_test_rand_int_range (0, 2048),
                           g_test_rand_bit () ? 0 : g_test_rand_int_range (1, 4096));
            }
          else
            {
              /* An address it never had: the TX range, past the UMEM, or
               * anywhere. (An RX chunk would be a buffer that may be back in
               * the fill ring by the time the walk reads the descriptor:
               * a kernel that hands out buffers it has not taken cannot be
               * defended against.) */
              guint64 a = g_test_rand_bit ()
                            ? (guint64) g_test_rand_int_range (16 * 2048, 32 * 2048 + 100)
                            : ((guint64) g_test_rand_int () << 32 | g_test_rand_int ());
              if (a / 2048 < 16)
                break;
              sim_post_rx (sim, a, g_test_rand_int_range (0, 2100));
            }
          break;
        case 2:
          n = nr_xsk_rings_rx_take (r, out, g_test_rand_int_range (1, 64));
          for (i = 0; i < n; i++)
            {
              g_assert_cmpuint ((out[i].addr & 2047) + out[i].len, <=, 2048);
              g_assert_cmpuint (out[i].addr / 2048, <, 16);
              g_array_append_val (held, out[i]);
            }
          break;
        case 3: /* release some, or forward one */
          if (held->len > 0)
            {
              guint k = g_test_rand_int_range (0, held->len);
              struct xdp_desc d = g_array_index (held, struct xdp_desc, k);
              g_array_remove_index_fast (held, k);
              if (g_test_rand_bit ())
                nr_xsk_rings_rx_release (r, &d, 1);
              else
                g_assert_cmpint (nr_xsk_rings_tx_submit (r, d.addr, d.len), ==, 0);
            }
          break;
        case 4:
          {
            guint64 a;
            if (nr_xsk_rings_tx_reserve (r, &a) != NULL)
              g_assert_cmpint (nr_xsk_rings_tx_submit (r, a, g_test_rand_int_range (1, 2049)), ==, 0);
          }
          break;
        case 5:
          sim_transmit (sim, g_test_rand_int_range (0, 8), NULL);
          nr_xsk_rings_tx_reap (r);
          break;
        }
      check_invariants (sim);
    }
  g_assert_cmpuint (r->counters.rx_refused, >, 0);
  sim_free (sim);
}

/* Batches of received frames are released from other threads while the
 * owner keeps receiving and taking (a batch may be dropped wherever its
 * last user is): every frame comes back exactly once, the fill ring only
 * ever holds distinct RX chunks, and the owner never loses track of what
 * is held. */
typedef struct {
  NrXskRings *rings;
  GAsyncQueue *batches; /* GArray of struct xdp_desc; an empty one ends */
  GMutex lock;
  GCond cond;
  guint64 released;     /* frames released, under lock */
} ReleaseRun;

static gpointer
releaser_thread (gpointer data)
{
  ReleaseRun *run = data;

  for (;;)
    {
      GArray *batch = g_async_queue_pop (run->batches);
      guint n = batch->len;

      if (n == 0)
        {
          g_array_unref (batch);
          return NULL;
        }
      /* in two halves, as a batch and a packet view might */
      nr_xsk_rings_rx_release (run->rings, (struct xdp_desc *) batch->data, n / 2);
      nr_xsk_rings_rx_release (run->rings, &g_array_index (batch, struct xdp_desc, n / 2),
                               n - n / 2);
      g_array_unref (batch);
      g_mutex_lock (&run->lock);
      run->released += n;
      g_cond_signal (&run->cond);
      g_mutex_unlock (&run->lock);
    }
}

static void
test_release_any_thread (void)
{
  const guint64 total = 200000;
  const guint n_threads = 3;
  Sim *sim = sim_new (2048, 256, 128, TRUE, TRUE, G_MAXUINT32 - 1000);
  NrXskRings *r = &sim->rings;
  GThread *threads[3];
  ReleaseRun run = { 0 };
  guint64 taken = 0, received = 0;
  guint i;

  run.rings = r;
  run.batches = g_async_queue_new ();
  g_mutex_init (&run.lock);
  g_cond_init (&run.cond);
  for (i = 0; i < n_threads; i++)
    threads[i] = g_thread_new ("releaser", releaser_thread, &run);

  nr_xsk_rings_refill (r);
  while (taken < total)
    {
      GArray *batch;
      guint want = 1 + (guint) (taken % 37), got = 0, n;

      while (got < want && received < total &&
             sim_receive (sim, 60, NR_XSK_RX_HEADROOM, (guint8) received))
        {
          got++;
          received++;
        }
      batch = g_array_sized_new (FALSE, FALSE, sizeof (struct xdp_desc), 128);
      g_array_set_size (batch, 128);
      n = nr_xsk_rings_rx_take (r, (struct xdp_desc *) batch->data, 128);
      if (n == 0)
        {
          guint64 before;

          g_array_unref (batch);
          /* Every RX frame is held by the releasers (the fill ring ran
           * dry): wait for one of them to give some back. */
          g_mutex_lock (&run.lock);
          before = run.released;
          while (run.released == before && nr_xsk_rings_rx_held (r) == r->layout.rx_frames)
            g_cond_wait (&run.cond, &run.lock);
          g_mutex_unlock (&run.lock);
          continue;
        }
      g_assert_cmpuint (nr_xsk_rings_rx_held (r), <=, r->layout.rx_frames);
      g_array_set_size (batch, n);
      taken += n;
      g_async_queue_push (run.batches, batch);
    }
  for (i = 0; i < n_threads; i++)
    g_async_queue_push (run.batches, g_array_new (FALSE, FALSE, sizeof (struct xdp_desc)));
  for (i = 0; i < n_threads; i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (run.released, ==, total);
  g_assert_cmpuint (r->counters.rx_frames, ==, total);
  g_assert_cmpuint (r->counters.bad_returns, ==, 0);
  g_assert_cmpuint (nr_xsk_rings_rx_held (r), ==, 0);
  g_assert_cmpuint (fill_entries (sim), ==, 128);
  check_invariants (sim);

  g_async_queue_unref (run.batches);
  g_mutex_clear (&run.lock);
  g_cond_clear (&run.cond);
  sim_free (sim);
}

/* After the kernel's rings went away (the socket was shut down), frames
 * still held are released into their pool only: the fill ring and the
 * other rings are not touched again, and nothing more is taken or sent. */
static void
test_detach (void)
{
  Sim *sim = sim_new (2048, 32, 16, TRUE, TRUE, 0);
  NrXskRings *r = &sim->rings;
  struct xdp_desc held[16];
  guint32 fill_producer, comp_consumer, tx_producer;
  guint64 addr;
  guint n, i;

  nr_xsk_rings_refill (r);
  for (i = 0; i < 10; i++)
    g_assert_true (sim_receive (sim, 100, NR_XSK_RX_HEADROOM, (guint8) i));
  n = nr_xsk_rings_rx_take (r, held, G_N_ELEMENTS (held));
  g_assert_cmpuint (n, ==, 10);
  g_assert_true (sim_receive (sim, 100, NR_XSK_RX_HEADROOM, 99)); /* not taken */
  g_assert_nonnull (nr_xsk_rings_tx_reserve (r, &addr));
  g_assert_cmpint (nr_xsk_rings_tx_submit (r, addr, 100), ==, 0);

  nr_xsk_rings_detach (r);
  fill_producer = sim->fill.producer;
  comp_consumer = sim->comp.consumer;
  tx_producer = sim->tx.producer;

  for (i = 0; i < n; i++)
    {
      const guint8 *p = nr_xsk_rings_data (r, held[i].addr);
      g_assert_cmpuint (p[0], ==, i); /* the memory is still readable */
    }
  nr_xsk_rings_rx_release (r, held, n);
  g_assert_cmpuint (nr_xsk_rings_rx_held (r), ==, 0);
  g_assert_cmpuint (r->rx_pool.count, ==, n);
  g_assert_cmpuint (r->counters.bad_returns, ==, 0);
  g_assert_cmpuint (nr_xsk_rings_refill (r), ==, 0);
  g_assert_cmpuint (nr_xsk_rings_rx_ready (r), ==, 0);
  g_assert_cmpuint (nr_xsk_rings_rx_take (r, held, G_N_ELEMENTS (held)), ==, 0);
  g_assert_null (nr_xsk_rings_tx_reserve (r, &addr));
  g_assert_cmpuint (nr_xsk_rings_tx_reap (r), ==, 0);
  g_assert_cmpuint (sim->fill.producer, ==, fill_producer);
  g_assert_cmpuint (sim->comp.consumer, ==, comp_consumer);
  g_assert_cmpuint (sim->tx.producer, ==, tx_producer);
  for (i = 0; i < n; i++)
    g_assert_cmpuint (r->state[held[i].addr / 2048], ==, NR_XSK_FRAME_RX_SPARE);
  sim_free (sim);
}

/* The length rule for sending: 1 to frame_size bytes by default; with the
 * interface known, MTU + link header, 4 more for an 802.1Q-tagged
 * Ethernet frame (granted to a reservation, whose data is not written
 * yet); an MTU larger than a frame leaves the frame size in charge. */
static void
test_length_rule (void)
{
  Sim *sim = sim_new (2048, 8, 4, TRUE, TRUE, 0);
  NrXskRings *r = &sim->rings;
  guint8 frame[2048] = { 0 };
  guint8 tagged[2048] = { 0 };

  tagged[12] = 0x81;
  tagged[13] = 0x00;
  g_assert_cmpint (nr_xsk_rings_check_length (r, frame, 0), ==, NR_XSK_LENGTH_EMPTY);
  g_assert_cmpint (nr_xsk_rings_check_length (r, frame, 1), ==, NR_XSK_LENGTH_OK);
  g_assert_cmpint (nr_xsk_rings_check_length (r, frame, 2048), ==, NR_XSK_LENGTH_OK);
  g_assert_cmpint (nr_xsk_rings_check_length (r, frame, 2049), ==, NR_XSK_LENGTH_OVER_FRAME);
  g_assert_cmpuint (nr_xsk_rings_tx_max_length (r), ==, 2048);

  nr_xsk_rings_set_link (r, 1500, 14, TRUE);
  g_assert_cmpuint (nr_xsk_rings_tx_max_length (r), ==, 1518);
  g_assert_cmpint (nr_xsk_rings_check_length (r, frame, 1514), ==, NR_XSK_LENGTH_OK);
  g_assert_cmpint (nr_xsk_rings_check_length (r, frame, 1515), ==, NR_XSK_LENGTH_OVER_LINK);
  g_assert_cmpint (nr_xsk_rings_check_length (r, tagged, 1518), ==, NR_XSK_LENGTH_OK);
  g_assert_cmpint (nr_xsk_rings_check_length (r, tagged, 1519), ==, NR_XSK_LENGTH_OVER_LINK);
  g_assert_cmpint (nr_xsk_rings_check_length (r, NULL, 1518), ==, NR_XSK_LENGTH_OK);
  g_assert_cmpint (nr_xsk_rings_check_length (r, frame, 0), ==, NR_XSK_LENGTH_EMPTY);
  g_assert_cmpint (nr_xsk_rings_check_length (r, frame, 4096), ==, NR_XSK_LENGTH_OVER_FRAME);

  nr_xsk_rings_set_link (r, 1500, 0, FALSE); /* no link header, no tag */
  g_assert_cmpuint (nr_xsk_rings_tx_max_length (r), ==, 1500);
  g_assert_cmpint (nr_xsk_rings_check_length (r, tagged, 1504), ==, NR_XSK_LENGTH_OVER_LINK);

  nr_xsk_rings_set_link (r, 9000, 14, TRUE); /* jumbo: the frame decides */
  g_assert_cmpuint (nr_xsk_rings_tx_max_length (r), ==, 2048);
  g_assert_cmpint (nr_xsk_rings_check_length (r, frame, 2048), ==, NR_XSK_LENGTH_OK);
  g_assert_cmpint (nr_xsk_rings_check_length (r, frame, 2049), ==, NR_XSK_LENGTH_OVER_FRAME);

  nr_xsk_rings_set_link (r, 1500, -1, TRUE); /* unknown link type */
  g_assert_cmpuint (nr_xsk_rings_tx_max_length (r), ==, 2048);
  sim_free (sim);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/xsk-rings/chunk-base", test_chunk_base);
  g_test_add_func ("/xsk-rings/config", test_config);
  g_test_add_func ("/xsk-rings/init-pools", test_init_pools);
  g_test_add_data_func ("/xsk-rings/rx-roundtrip", GUINT_TO_POINTER (0), test_rx_roundtrip);
  g_test_add_data_func ("/xsk-rings/rx-roundtrip-wrap", GUINT_TO_POINTER (G_MAXUINT32 - 100),
                        test_rx_roundtrip);
  g_test_add_func ("/xsk-rings/rx-never-drains-tx", test_rx_never_drains_tx);
  g_test_add_data_func ("/xsk-rings/tx-recycle-full-size", GUINT_TO_POINTER (0),
                        test_tx_recycle_full_size);
  g_test_add_data_func ("/xsk-rings/tx-recycle-full-size-wrap",
                        GUINT_TO_POINTER (G_MAXUINT32 - 20), test_tx_recycle_full_size);
  g_test_add_func ("/xsk-rings/forward", test_forward);
  g_test_add_func ("/xsk-rings/misuse", test_misuse);
  g_test_add_func ("/xsk-rings/walk", test_walk);
  g_test_add_func ("/xsk-rings/hostile-kernel", test_hostile_kernel);
  g_test_add_func ("/xsk-rings/release-any-thread", test_release_any_thread);
  g_test_add_func ("/xsk-rings/detach", test_detach);
  g_test_add_func ("/xsk-rings/length-rule", test_length_rule);

  return g_test_run ();
}
