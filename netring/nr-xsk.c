/* nr-xsk.c: AF_XDP kernel glue (see nr-xsk.h) */
#include "config.h"

#include "nr-xsk.h"
#include "nr-xdp-prog.h"
#include "nr-util.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xdp/xsk.h>

/* ------------------------------------------------------------------------
 * Rings
 * ------------------------------------------------------------------------ */

void
nr_xsk_ring_init (NrXskRing *ring, guint32 *producer, guint32 *consumer, guint32 *flags,
                  void *descs, guint32 size, gboolean producing)
{
  ring->producer = producer;
  ring->consumer = consumer;
  ring->flags = flags;
  ring->descs = descs;
  ring->size = size;
  ring->mask = size - 1;
  ring->cached_prod = __atomic_load_n (producer, __ATOMIC_ACQUIRE);
  ring->cached_cons = __atomic_load_n (consumer, __ATOMIC_ACQUIRE) + (producing ? size : 0);
}

/* Free entries of a ring we produce into; the kernel's consumer index is
 * read (acquire: it has finished with the entries it passed) only when the
 * cached view is short. */
static inline guint32
prod_free (NrXskRing *ring, guint32 wanted)
{
  guint32 free_entries = ring->cached_cons - ring->cached_prod;

  if (free_entries >= wanted)
    return free_entries;
  ring->cached_cons = __atomic_load_n (ring->consumer, __ATOMIC_ACQUIRE) + ring->size;
  free_entries = ring->cached_cons - ring->cached_prod;
  /* A consumer index beyond what we produced is a broken ring: offer
   * nothing rather than overwrite entries the kernel has not read, and
   * keep nothing of it in the cache, or the next call would take the
   * bogus room from the fast path above. */
  if (free_entries > ring->size)
    {
      ring->cached_cons = ring->cached_prod;
      return 0;
    }
  return free_entries;
}

/* Release: the entries written before are visible to the kernel before it
 * sees the new producer index. */
static inline void
prod_publish (NrXskRing *ring)
{
  __atomic_store_n (ring->producer, ring->cached_prod, __ATOMIC_RELEASE);
}

/* Entries ready in a ring the kernel produces into, at most @max. */
static inline guint32
cons_avail (NrXskRing *ring, guint32 max)
{
  guint32 entries = ring->cached_prod - ring->cached_cons;

  if (entries == 0)
    {
      ring->cached_prod = __atomic_load_n (ring->producer, __ATOMIC_ACQUIRE);
      entries = ring->cached_prod - ring->cached_cons;
    }
  /* Never more than the ring holds, whatever the producer index says. */
  entries = MIN (entries, ring->size);
  return MIN (entries, max);
}

/* Release: we are done reading the entries before the kernel may reuse
 * them. */
static inline void
cons_release (NrXskRing *ring)
{
  __atomic_store_n (ring->consumer, ring->cached_cons, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------------
 * Descriptor walk
 * ------------------------------------------------------------------------ */

void
nr_xsk_walk_rx (const struct xdp_desc *descs, guint32 mask, guint32 first, guint n,
                const NrXskLayout *layout, guint8 *state, struct xdp_desc *out,
                guint64 *recycle, NrXskWalkResult *result)
{
  guint i;

  memset (result, 0, sizeof *result);
  for (i = 0; i < n; i++)
    {
      const struct xdp_desc *desc = &descs[(first + i) & mask];
      /* Read once: the checks and the copy must see the same values. */
      guint64 addr = __atomic_load_n (&desc->addr, __ATOMIC_RELAXED);
      guint32 len = __atomic_load_n (&desc->len, __ATOMIC_RELAXED);
      guint32 options = __atomic_load_n (&desc->options, __ATOMIC_RELAXED);
      guint64 index = addr >> layout->frame_shift;

      if (index >= layout->rx_frames || state[index] != NR_XSK_FRAME_FILL)
        {
          /* Not a frame we gave the kernel to receive into: nothing of
           * ours to take back, and nothing to hand out. */
          result->n_invalid++;
          continue;
        }
      if (!nr_xsk_desc_fits (layout, addr, len))
        {
          state[index] = NR_XSK_FRAME_RX_SPARE;
          recycle[result->n_recycle++] = nr_xsk_chunk_base (addr, layout->frame_size);
          result->n_invalid++;
          continue;
        }
      state[index] = NR_XSK_FRAME_RX_HELD;
      out[result->n_valid].addr = addr;
      out[result->n_valid].len = len;
      out[result->n_valid].options = options;
      result->n_valid++;
      result->bytes += len;
    }
}

/* ------------------------------------------------------------------------
 * Pools and the datapath
 * ------------------------------------------------------------------------ */

static void
pool_init (NrXskPool *pool, guint32 capacity)
{
  pool->addrs = g_new (guint64, MAX (capacity, 1));
  pool->count = 0;
  pool->capacity = capacity;
}

static inline void
pool_push (NrXskPool *pool, guint64 addr)
{
  /* Cannot overflow: a chunk enters its pool only from a state outside it,
   * and a pool's capacity is the number of chunks in its range. */
  g_assert (pool->count < pool->capacity);
  pool->addrs[pool->count++] = addr;
}

static inline gboolean
pool_pop (NrXskPool *pool, guint64 *addr)
{
  if (pool->count == 0)
    return FALSE;
  *addr = pool->addrs[--pool->count];
  return TRUE;
}

guint32
nr_xsk_rx_share (int mode, guint32 frame_count)
{
  switch (mode)
    {
    case NR_XSK_MODE_RX:
      return frame_count;
    case NR_XSK_MODE_TX:
      return 0;
    case NR_XSK_MODE_RX_TX:
    default:
      return frame_count / 2;
    }
}

void
nr_xsk_rings_init (NrXskRings *rings, guint8 *umem, guint32 frame_size, guint32 frame_count,
                   guint32 rx_frames)
{
  guint32 i;

  g_assert (frame_size != 0 && (frame_size & (frame_size - 1)) == 0);
  g_assert (rx_frames <= frame_count);

  memset (rings, 0, sizeof *rings);
  g_mutex_init (&rings->rx_lock);
  rings->umem = umem;
  rings->frame_count = frame_count;
  rings->layout.umem_size = (guint64) frame_size * frame_count;
  rings->layout.frame_size = frame_size;
  rings->layout.frame_shift = (guint32) g_bit_nth_lsf (frame_size, -1);
  rings->layout.rx_frames = rx_frames;
  rings->state = g_new (guint8, MAX (frame_count, 1));
  rings->tx_max_length = frame_size;
  pool_init (&rings->rx_pool, rx_frames);
  pool_init (&rings->tx_pool, frame_count - rx_frames);

  /* Pushed from the top so that the lowest chunks come out first. */
  for (i = rx_frames; i-- > 0;)
    {
      rings->state[i] = NR_XSK_FRAME_RX_SPARE;
      pool_push (&rings->rx_pool, (guint64) i << rings->layout.frame_shift);
    }
  for (i = frame_count; i-- > rx_frames;)
    {
      rings->state[i] = NR_XSK_FRAME_TX_FREE;
      pool_push (&rings->tx_pool, (guint64) i << rings->layout.frame_shift);
    }
}

void
nr_xsk_rings_clear (NrXskRings *rings)
{
  if (rings->state != NULL)
    g_mutex_clear (&rings->rx_lock);
  g_clear_pointer (&rings->state, g_free);
  g_clear_pointer (&rings->rx_pool.addrs, g_free);
  g_clear_pointer (&rings->tx_pool.addrs, g_free);
}

/* The one way back into a pool (F10): any address inside a chunk is
 * reduced to the chunk base, and the chunk goes to the pool its address
 * range belongs to, provided it is in state @from. Anything else is
 * refused and counted. */
static gboolean
frame_return (NrXskRings *rings, guint64 addr, NrXskFrameState from)
{
  guint64 base, index;

  if (addr >= rings->layout.umem_size)
    goto refused;
  base = nr_xsk_chunk_base (addr, rings->layout.frame_size);
  index = base >> rings->layout.frame_shift;
  if (rings->state[index] != from)
    goto refused;

  if (index < rings->layout.rx_frames)
    {
      rings->state[index] = NR_XSK_FRAME_RX_SPARE;
      pool_push (&rings->rx_pool, base);
    }
  else
    {
      rings->state[index] = NR_XSK_FRAME_TX_FREE;
      pool_push (&rings->tx_pool, base);
    }
  return TRUE;

refused:
  /* the one counter a release from another thread may touch */
  __atomic_add_fetch (&rings->counters.bad_returns, 1, __ATOMIC_RELAXED);
  return FALSE;
}

/* Whether @addr lies in the RX pool's range: such a frame is shared with
 * releasers in other threads (rx_lock). */
static inline gboolean
is_rx_frame (const NrXskRings *rings, guint64 addr)
{
  return addr < rings->layout.umem_size &&
         (addr >> rings->layout.frame_shift) < rings->layout.rx_frames;
}

/* Called with rx_lock held. */
static guint
refill_locked (NrXskRings *rings)
{
  guint64 *entries = rings->fill.descs;
  guint32 n, room, i;

  n = rings->rx_pool.count;
  if (n == 0 || rings->fill.size == 0)
    return 0;
  room = prod_free (&rings->fill, n); /* once: MIN() evaluates twice */
  n = MIN (n, room);
  for (i = 0; i < n; i++)
    {
      guint64 addr = rings->rx_pool.addrs[--rings->rx_pool.count];

      rings->state[addr >> rings->layout.frame_shift] = NR_XSK_FRAME_FILL;
      entries[(rings->fill.cached_prod + i) & rings->fill.mask] = addr;
    }
  if (n > 0)
    {
      rings->fill.cached_prod += n;
      prod_publish (&rings->fill);
    }
  return n;
}

guint
nr_xsk_rings_refill (NrXskRings *rings)
{
  guint n;

  g_mutex_lock (&rings->rx_lock);
  n = refill_locked (rings);
  g_mutex_unlock (&rings->rx_lock);
  return n;
}

/* Descriptors walked per step of rx_take (bounds the stack buffer for
 * recycled chunks). */
#define WALK_STEP 64u

guint
nr_xsk_rings_rx_take (NrXskRings *rings, struct xdp_desc *out, guint max)
{
  guint32 n, done = 0;
  guint taken = 0, recycled = 0, i;

  if (!rings->has_rx)
    return 0;
  n = cons_avail (&rings->rx, max);
  if (n == 0)
    return 0;
  g_mutex_lock (&rings->rx_lock);
  while (done < n)
    {
      guint64 recycle[WALK_STEP];
      guint32 step = MIN (n - done, WALK_STEP);
      NrXskWalkResult result;

      nr_xsk_walk_rx (rings->rx.descs, rings->rx.mask, rings->rx.cached_cons + done, step,
                      &rings->layout, rings->state, out + taken, recycle, &result);
      for (i = 0; i < result.n_recycle; i++)
        pool_push (&rings->rx_pool, recycle[i]);
      taken += result.n_valid;
      recycled += result.n_recycle;
      rings->counters.rx_frames += result.n_valid;
      rings->counters.rx_bytes += result.bytes;
      rings->counters.rx_refused += result.n_invalid;
      done += step;
    }
  /* The descriptors are copied out: the ring entries go back at once,
   * the frames stay held until released, in any order. */
  rings->rx.cached_cons += n;
  cons_release (&rings->rx);
  /* The frames were written by another CPU, each in its own chunk: ask for
   * their first lines now, so the misses overlap instead of coming one by
   * one as the user walks the batch. */
  for (i = 0; i < taken; i++)
    __builtin_prefetch (rings->umem + out[i].addr);
  __atomic_store_n (&rings->rx_held, rings->rx_held + taken, __ATOMIC_RELEASE);
  if (recycled > 0)
    refill_locked (rings);
  g_mutex_unlock (&rings->rx_lock);
  return taken;
}

guint32
nr_xsk_rings_rx_ready (NrXskRings *rings)
{
  if (!rings->has_rx)
    return 0;
  return cons_avail (&rings->rx, G_MAXUINT32);
}

void
nr_xsk_rings_rx_release (NrXskRings *rings, const struct xdp_desc *descs, guint n)
{
  guint i, returned = 0;

  g_mutex_lock (&rings->rx_lock);
  if (G_LIKELY (rings->fill.size != 0 && rings->rx_pool.count == 0))
    {
      /* The common case: straight back to the fill ring, which holds every
       * RX frame (so it has room), without a stop in the pool. */
      guint64 *entries = rings->fill.descs;
      guint32 room = prod_free (&rings->fill, n), k = 0;

      for (i = 0; i < n; i++)
        {
          guint64 addr = descs[i].addr, base, index;

          if (!is_rx_frame (rings, addr))
            {
              __atomic_add_fetch (&rings->counters.bad_returns, 1, __ATOMIC_RELAXED);
              continue;
            }
          base = nr_xsk_chunk_base (addr, rings->layout.frame_size);
          index = base >> rings->layout.frame_shift;
          if (rings->state[index] != NR_XSK_FRAME_RX_HELD)
            {
              __atomic_add_fetch (&rings->counters.bad_returns, 1, __ATOMIC_RELAXED);
              continue;
            }
          returned++;
          if (G_UNLIKELY (k == room))
            {
              /* a broken ring (see prod_free()): keep the frame */
              rings->state[index] = NR_XSK_FRAME_RX_SPARE;
              pool_push (&rings->rx_pool, base);
              continue;
            }
          rings->state[index] = NR_XSK_FRAME_FILL;
          entries[(rings->fill.cached_prod + k) & rings->fill.mask] = base;
          k++;
        }
      if (k > 0)
        {
          rings->fill.cached_prod += k;
          prod_publish (&rings->fill);
        }
    }
  else
    {
      for (i = 0; i < n; i++)
        {
          /* The state of a TX chunk is the owner's alone: not even read here. */
          if (!is_rx_frame (rings, descs[i].addr))
            __atomic_add_fetch (&rings->counters.bad_returns, 1, __ATOMIC_RELAXED);
          else if (frame_return (rings, descs[i].addr, NR_XSK_FRAME_RX_HELD))
            returned++;
        }
      refill_locked (rings);
    }
  __atomic_store_n (&rings->rx_held, rings->rx_held - returned, __ATOMIC_RELEASE);
  g_mutex_unlock (&rings->rx_lock);
}

void
nr_xsk_rings_rx_release_addr (NrXskRings *rings, guint64 addr)
{
  struct xdp_desc desc = { addr, 0, 0 };

  nr_xsk_rings_rx_release (rings, &desc, 1);
}

void
nr_xsk_rings_detach (NrXskRings *rings)
{
  g_mutex_lock (&rings->rx_lock);
  rings->has_rx = FALSE;
  rings->has_tx = FALSE;
  rings->fill.size = 0;
  rings->comp.size = 0;
  g_mutex_unlock (&rings->rx_lock);
}

/* ---- the length rule ---- */

/* 802.1Q tag: 4 bytes more than the MTU allows (packet_extra_vlan_len_allowed). */
#define VLAN_ALLOWANCE 4u

void
nr_xsk_rings_set_link (NrXskRings *rings, guint32 mtu, gint link_header, gboolean ethernet)
{
  guint32 frame_size = rings->layout.frame_size;

  if (link_header < 0 || (guint64) mtu + (guint32) link_header >= frame_size)
    {
      /* unknown, or larger than a frame anyway: the frame size decides */
      rings->tx_link_max =
        link_header < 0 ? 0 : (guint32) MIN ((guint64) mtu + (guint32) link_header, G_MAXUINT32);
      rings->tx_vlan_allowance = 0;
      rings->tx_max_length = frame_size;
      return;
    }
  rings->tx_link_max = mtu + (guint32) link_header;
  rings->tx_vlan_allowance = ethernet ? VLAN_ALLOWANCE : 0;
  rings->tx_max_length = rings->tx_link_max;
}

guint32
nr_xsk_rings_tx_max_length (const NrXskRings *rings)
{
  return MIN (rings->tx_max_length + rings->tx_vlan_allowance, rings->layout.frame_size);
}

NrXskLength
nr_xsk_rings_check_length_slow (const NrXskRings *rings, const guint8 *data, gsize length)
{
  if (length == 0)
    return NR_XSK_LENGTH_EMPTY;
  if (length > rings->layout.frame_size)
    return NR_XSK_LENGTH_OVER_FRAME;
  if (length <= rings->tx_max_length)
    return NR_XSK_LENGTH_OK;
  /* Over the link's limit: only an 802.1Q-tagged Ethernet frame may be 4
   * bytes longer. Without the data, the tag may still come. */
  if (length <= (gsize) rings->tx_max_length + rings->tx_vlan_allowance &&
      (data == NULL || (length >= 14 && data[12] == 0x81 && data[13] == 0x00)))
    return NR_XSK_LENGTH_OK;
  return NR_XSK_LENGTH_OVER_LINK;
}

guint8 *
nr_xsk_rings_tx_reserve (NrXskRings *rings, guint64 *addr)
{
  guint64 base;

  if (!rings->has_tx)
    return NULL;
  if (rings->tx_pool.count == 0)
    nr_xsk_rings_tx_reap (rings);
  if (!pool_pop (&rings->tx_pool, &base))
    return NULL;
  rings->state[base >> rings->layout.frame_shift] = NR_XSK_FRAME_TX_HELD;
  *addr = base;
  return rings->umem + base;
}

void
nr_xsk_rings_tx_abort (NrXskRings *rings, guint64 addr)
{
  frame_return (rings, addr, NR_XSK_FRAME_TX_HELD);
}

int
nr_xsk_rings_tx_submit (NrXskRings *rings, guint64 addr, guint32 len)
{
  struct xdp_desc *desc;
  gboolean rx_frame;
  guint8 state;
  int err;

  if (!rings->has_tx || addr >= rings->layout.umem_size)
    {
      rings->counters.tx_rejected++;
      return -EINVAL;
    }
  /* A received frame sent on in place is shared with releasers. */
  rx_frame = is_rx_frame (rings, addr);
  if (rx_frame)
    g_mutex_lock (&rings->rx_lock);
  state = rings->state[addr >> rings->layout.frame_shift];
  if (state != NR_XSK_FRAME_TX_HELD && state != NR_XSK_FRAME_RX_HELD)
    {
      rings->counters.tx_rejected++;
      err = -EINVAL;
      goto out;
    }
  /* The kernel's own rule: a descriptor that leaves its chunk is dropped
   * (tx_invalid_descs) and never completed, so the frame would be lost. */
  if (!nr_xsk_desc_fits (&rings->layout, addr, len))
    {
      rings->counters.tx_rejected++;
      err = -EMSGSIZE;
      goto out;
    }
  if (prod_free (&rings->tx, 1) < 1)
    {
      err = -ENOBUFS;
      goto out;
    }

  desc = &((struct xdp_desc *) rings->tx.descs)[rings->tx.cached_prod & rings->tx.mask];
  desc->addr = addr;
  desc->len = len;
  desc->options = 0;
  rings->tx.cached_prod++;
  prod_publish (&rings->tx);

  rings->state[addr >> rings->layout.frame_shift] = NR_XSK_FRAME_TX_KERNEL;
  if (state == NR_XSK_FRAME_RX_HELD)
    __atomic_store_n (&rings->rx_held, rings->rx_held - 1, __ATOMIC_RELEASE);
  rings->counters.tx_submitted++;
  rings->counters.tx_bytes += len;
  err = 0;
out:
  if (rx_frame)
    g_mutex_unlock (&rings->rx_lock);
  return err;
}

guint
nr_xsk_rings_tx_reap (NrXskRings *rings)
{
  const guint64 *entries = rings->comp.descs;
  guint32 n, i;
  gboolean rx_returned = FALSE;

  if (rings->comp.size == 0)
    return 0;
  n = cons_avail (&rings->comp, rings->comp.size);
  for (i = 0; i < n; i++)
    {
      guint64 addr = __atomic_load_n (&entries[(rings->comp.cached_cons + i) & rings->comp.mask],
                                      __ATOMIC_RELAXED);

      if (is_rx_frame (rings, addr))
        {
          /* a forwarded received frame: back to the shared RX pool */
          g_mutex_lock (&rings->rx_lock);
          if (frame_return (rings, addr, NR_XSK_FRAME_TX_KERNEL))
            {
              rings->counters.tx_completed++;
              rx_returned = TRUE;
            }
          g_mutex_unlock (&rings->rx_lock);
        }
      else if (frame_return (rings, addr, NR_XSK_FRAME_TX_KERNEL))
        rings->counters.tx_completed++;
    }
  if (n > 0)
    {
      rings->comp.cached_cons += n;
      cons_release (&rings->comp);
    }
  /* A forwarded RX frame goes on to the fill ring at once. */
  if (rx_returned)
    nr_xsk_rings_refill (rings);
  return n;
}

guint32
nr_xsk_rings_tx_unconsumed (NrXskRings *rings)
{
  if (!rings->has_tx)
    return 0;
  return rings->tx.cached_prod - __atomic_load_n (rings->tx.consumer, __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------ */

void
nr_xsk_config_init (NrXskConfig *config)
{
  memset (config, 0, sizeof *config);
  config->frame_size = 4096;
  config->frame_count = 4096;
  config->mode = NR_XSK_MODE_RX_TX;
  config->attach = NR_XSK_ATTACH_AUTO;
  config->bind = NR_XSK_BIND_AUTO;
  config->need_wakeup = TRUE;
  config->program = NR_XSK_PROGRAM_DEFAULT;
}

static int
fail (NrXskFailure *failure, NrXskFailureKind kind, const char *operation, int err)
{
  failure->kind = kind;
  failure->operation = operation;
  return err;
}

int
nr_xsk_config_check (const NrXskConfig *config, guint32 page_size, NrXskFailure *failure)
{
  NrXskFailure scratch;

  if (failure == NULL)
    failure = &scratch;
  memset (failure, 0, sizeof *failure);

  if (config->frame_size < NR_XSK_MIN_FRAME_SIZE || config->frame_size > page_size ||
      (config->frame_size & (config->frame_size - 1)) != 0)
    return fail (failure, NR_XSK_FAILURE_INVALID, "frame-size", -EINVAL);
  if (config->frame_count == 0 || config->frame_count > (1u << 31) ||
      (config->mode == NR_XSK_MODE_RX_TX && config->frame_count < 2) ||
      (guint64) config->frame_size * config->frame_count > NR_XSK_MAX_UMEM_BYTES)
    return fail (failure, NR_XSK_FAILURE_INVALID, "frame-count", -EINVAL);
  if ((guint) config->mode > NR_XSK_MODE_RX_TX)
    return fail (failure, NR_XSK_FAILURE_INVALID, "mode", -EINVAL);
  if ((guint) config->attach > NR_XSK_ATTACH_GENERIC)
    return fail (failure, NR_XSK_FAILURE_INVALID, "attach-mode", -EINVAL);
  if ((guint) config->bind > NR_XSK_BIND_ZEROCOPY)
    return fail (failure, NR_XSK_FAILURE_INVALID, "bind-mode", -EINVAL);
  if ((guint) config->program > NR_XSK_PROGRAM_NONE)
    return fail (failure, NR_XSK_FAILURE_INVALID, "program", -EINVAL);
  return 0;
}

/* ------------------------------------------------------------------------
 * Sockets
 * ------------------------------------------------------------------------ */

struct _NrXsk {
  NrXskRings rings;
  NrXskInfo info;
  int fd;
  guint8 *area;
  gsize area_size;
  struct xsk_umem *umem;
  struct xsk_socket *socket;
  /* libxdp's ring descriptions: it keeps pointers to them until the
   * socket and the UMEM are deleted; the datapath uses the copies in
   * rings. */
  struct xsk_ring_prod lx_fill;
  struct xsk_ring_cons lx_comp;
  struct xsk_ring_cons lx_rx;
  struct xsk_ring_prod lx_tx;
  /* An adopted socket (nr_xsk_adopt()): no libxdp objects; the four ring
   * mappings are ours to unmap and fd is ours to close. */
  gboolean adopted;
  void *ring_maps[4];
  gsize ring_map_sizes[4];
};

/* Whether the socket got as far as bind(): libxdp binds the first socket of
 * a UMEM on the UMEM's own descriptor and loads the program afterwards, and
 * a failed program step leaves that descriptor bound. sendto() on an
 * unbound AF_XDP socket fails with ENXIO before it looks at anything else;
 * on a bound one it is harmless (an empty TX ring, or ENOBUFS without one). */
static gboolean
umem_fd_is_bound (struct xsk_umem *umem)
{
  if (sendto (xsk_umem__fd (umem), NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
    return TRUE;
  return errno != ENXIO;
}

static void
note_program (NrXskFailure *failure, int ifindex)
{
  NrXdpProgInfo prog;

  if (nr_xdp_prog_query (ifindex, &prog) != 0)
    return;
  failure->prog_id = prog.prog_id;
  failure->prog_mode = prog.mode;
  g_strlcpy (failure->prog_name, prog.name, sizeof failure->prog_name);
}

static void
classify_create_error (int err, gboolean bound, const NrXskConfig *config, int ifindex,
                       NrXskFailure *failure)
{
  int e = -err;

  if (!bound)
    {
      switch (e)
        {
        case EBUSY:
          fail (failure, NR_XSK_FAILURE_QUEUE_BUSY, "bind", err);
          return;
        case EOPNOTSUPP:
          fail (failure,
                config->bind == NR_XSK_BIND_ZEROCOPY ? NR_XSK_FAILURE_ZEROCOPY
                                                     : NR_XSK_FAILURE_NO_XDP,
                "bind", err);
          return;
        case EINVAL:
          /* The queue was checked before; with zero-copy the driver also
           * refuses frames too small for its MTU. */
          fail (failure,
                config->bind == NR_XSK_BIND_ZEROCOPY ? NR_XSK_FAILURE_ZEROCOPY
                                                     : NR_XSK_FAILURE_SYSTEM,
                "bind", err);
          return;
        case ENODEV:
        case ENXIO:
          fail (failure, NR_XSK_FAILURE_NO_INTERFACE, "bind", err);
          return;
        case ENOMEM:
        case ENOBUFS:
          fail (failure, NR_XSK_FAILURE_RESOURCES, "setting up the rings", err);
          return;
        case EPERM:
        case EACCES:
          fail (failure, NR_XSK_FAILURE_PERMISSION, "bind", err);
          return;
        default:
          fail (failure, NR_XSK_FAILURE_SYSTEM, "bind", err);
          return;
        }
    }

  switch (e)
    {
    case EBUSY:
    case EEXIST:
      /* UPDATE_IF_NOEXIST refused: a program came between our look and
       * libxdp's attach, or the other mode has one. */
      fail (failure, NR_XSK_FAILURE_PROGRAM_CONFLICT, "attaching the redirect program", err);
      note_program (failure, ifindex);
      return;
    case EOPNOTSUPP:
      fail (failure,
            config->attach == NR_XSK_ATTACH_GENERIC ? NR_XSK_FAILURE_PROGRAM_REFUSED
                                                    : NR_XSK_FAILURE_NO_XDP,
            "attaching the redirect program", err);
      return;
    case EPERM:
    case EACCES:
      /* open_once () checked CAP_SYS_ADMIN before, which covers what
       * loading needs (CAP_BPF, and CAP_NET_ADMIN for the program type):
       * what is left is attaching it (RTM_SETLINK), CAP_NET_ADMIN alone. */
      fail (failure, NR_XSK_FAILURE_PERMISSION, "attaching the redirect program", err);
      failure->capability = "CAP_NET_ADMIN";
      return;
    case ENOENT:
      fail (failure, NR_XSK_FAILURE_PROGRAM_REFUSED,
            "finding libxdp's redirect program (xsk_def_xdp_prog.o)", err);
      return;
    case ENOMEM:
      fail (failure, NR_XSK_FAILURE_RESOURCES, "loading the redirect program", err);
      return;
    default:
      fail (failure, NR_XSK_FAILURE_PROGRAM_REFUSED, "loading the redirect program", err);
      return;
    }
}

/* Unmaps an adopted socket's rings and closes it. */
static void
release_adopted (NrXsk *xsk)
{
  for (guint i = 0; i < G_N_ELEMENTS (xsk->ring_maps); i++)
    {
      if (xsk->ring_maps[i] != NULL)
        munmap (xsk->ring_maps[i], xsk->ring_map_sizes[i]);
      xsk->ring_maps[i] = NULL;
    }
  if (xsk->fd >= 0)
    close (xsk->fd);
  xsk->fd = -1;
  xsk->adopted = FALSE;
}

static void
free_xsk (NrXsk *xsk)
{
  if (xsk->adopted)
    release_adopted (xsk);
  if (xsk->socket != NULL)
    xsk_socket__delete (xsk->socket);
  if (xsk->umem != NULL)
    xsk_umem__delete (xsk->umem);
  if (xsk->area != NULL)
    munmap (xsk->area, xsk->area_size);
  nr_xsk_rings_clear (&xsk->rings);
  g_free (xsk);
}

static NrXdpAttachMode
wanted_mode (NrXskAttach attach)
{
  switch (attach)
    {
    case NR_XSK_ATTACH_NATIVE:
      return NR_XDP_ATTACHED_NATIVE;
    case NR_XSK_ATTACH_GENERIC:
      return NR_XDP_ATTACHED_GENERIC;
    case NR_XSK_ATTACH_AUTO:
    default:
      return NR_XDP_ATTACHED_NONE;
    }
}

/* One attempt with libxdp; called with nr_xdp_prog_lock() held. */
static int
open_once (const char *ifname, int ifindex, guint32 queue_id, const NrXskConfig *config,
           int umem_fd, guint32 xdp_flags, NrXsk **out, NrXskFailure *failure)
{
  struct xsk_umem_config umem_config;
  struct xsk_socket_config socket_config;
  struct xdp_options options;
  socklen_t optlen = sizeof options;
  gboolean wants_rx = config->mode != NR_XSK_MODE_TX;
  gboolean wants_tx = config->mode != NR_XSK_MODE_RX;
  gboolean with_program = wants_rx && config->program == NR_XSK_PROGRAM_DEFAULT;
  guint32 rx_frames = nr_xsk_rx_share (config->mode, config->frame_count);
  NrXdpProgInfo before, after;
  char padded_ifname[IF_NAMESIZE] = { 0 };
  NrXsk *xsk;
  int err;

  memset (&before, 0, sizeof before);
  if (with_program)
    {
      /* Checked before anything is attached: without it libxdp attaches
       * its program, cannot find it again, and leaves it behind. */
      if (nr_xdp_prog_check_lookup () == -EPERM)
        {
          failure->capability = "CAP_SYS_ADMIN";
          return fail (failure, NR_XSK_FAILURE_PERMISSION,
                       "looking up XDP programs by id (BPF_PROG_GET_FD_BY_ID)", -EPERM);
        }
      /* Somebody else's program stays where it is: libxdp would refuse to
       * replace it anyway (it attaches with XDP_FLAGS_UPDATE_IF_NOEXIST),
       * but only after binding the queue, and its error could not be told
       * from a busy queue. A libxdp dispatcher takes ours as one more
       * component; libxdp's own redirect program is shared. */
      err = nr_xdp_prog_query (ifindex, &before);
      if (err == -ENODEV)
        return fail (failure, NR_XSK_FAILURE_NO_INTERFACE, "querying the XDP program", err);
      if (err == 0 && before.prog_id != 0 && !before.has_xsk_program && !before.dispatcher)
        {
          note_program (failure, ifindex);
          return fail (failure, NR_XSK_FAILURE_PROGRAM_CONFLICT, "attaching the redirect program",
                       -EBUSY);
        }
      if (err == 0 && before.has_xsk_program && config->attach != NR_XSK_ATTACH_AUTO &&
          before.mode != wanted_mode (config->attach))
        {
          note_program (failure, ifindex);
          return fail (failure, NR_XSK_FAILURE_ATTACH_MODE, "attaching the redirect program",
                       -EBUSY);
        }
    }

  xsk = g_new0 (NrXsk, 1);
  xsk->fd = -1;
  xsk->area_size = (gsize) config->frame_size * config->frame_count;
  /* A UMEM to hand over lives in the caller's memfd, so that the process
   * that adopts the socket can map the same pages. */
  xsk->area = mmap (NULL, xsk->area_size, PROT_READ | PROT_WRITE,
                    umem_fd >= 0 ? MAP_SHARED | MAP_POPULATE
                                 : MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                    umem_fd, 0);
  if (xsk->area == MAP_FAILED)
    {
      err = -errno;
      xsk->area = NULL;
      free_xsk (xsk);
      return fail (failure, NR_XSK_FAILURE_RESOURCES, "mmap of the UMEM", err);
    }

  memset (&umem_config, 0, sizeof umem_config);
  umem_config.fill_size = nr_next_pow2 (rx_frames);
  umem_config.comp_size = nr_next_pow2 (config->frame_count);
  umem_config.frame_size = config->frame_size;
  umem_config.frame_headroom = 0;
  umem_config.flags = 0;
  err = xsk_umem__create (&xsk->umem, xsk->area, xsk->area_size, &xsk->lx_fill, &xsk->lx_comp,
                          &umem_config);
  if (err != 0)
    {
      xsk->umem = NULL;
      free_xsk (xsk);
      switch (-err)
        {
        case EAFNOSUPPORT:
          return fail (failure, NR_XSK_FAILURE_NO_XDP, "socket(AF_XDP)", err);
        case EPERM:
        case EACCES:
          return fail (failure, NR_XSK_FAILURE_PERMISSION, "socket(AF_XDP)", err);
        case ENOMEM:
        case ENOBUFS:
          return fail (failure, NR_XSK_FAILURE_RESOURCES, "registering the UMEM (XDP_UMEM_REG)",
                       err);
        default:
          return fail (failure, NR_XSK_FAILURE_SYSTEM, "creating the UMEM", err);
        }
    }

  /* libxdp creates the socket without SOCK_CLOEXEC: a program the
   * application starts would inherit it and keep the queue bound after we
   * close it. (A fork in another thread between the two calls can still
   * catch it; nothing short of a change in libxdp avoids that.) */
  fcntl (xsk_umem__fd (xsk->umem), F_SETFD, FD_CLOEXEC);

  memset (&socket_config, 0, sizeof socket_config);
  socket_config.rx_size = wants_rx ? nr_next_pow2 (rx_frames) : 0;
  socket_config.tx_size = wants_tx ? nr_next_pow2 (config->frame_count) : 0;
  socket_config.libxdp_flags = with_program ? 0 : XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
  socket_config.xdp_flags = xdp_flags;
  socket_config.bind_flags = (config->need_wakeup ? XDP_USE_NEED_WAKEUP : 0) |
                             (config->bind == NR_XSK_BIND_COPY ? XDP_COPY : 0) |
                             (config->bind == NR_XSK_BIND_ZEROCOPY ? XDP_ZEROCOPY : 0);
  /* libxdp copies IFNAMSIZ - 1 bytes from the name whatever its length
   * (valgrind: a read past the end of a short heap string); give it a
   * buffer of that size. */
  g_strlcpy (padded_ifname, ifname, sizeof padded_ifname);
  err = xsk_socket__create (&xsk->socket, padded_ifname, queue_id, xsk->umem,
                            wants_rx ? &xsk->lx_rx : NULL, wants_tx ? &xsk->lx_tx : NULL,
                            &socket_config);
  if (err != 0)
    {
      gboolean bound = umem_fd_is_bound (xsk->umem);

      xsk->socket = NULL;
      classify_create_error (err, bound, config, ifindex, failure);
      g_strlcpy (failure->detail, nr_xdp_prog_last_warning (), sizeof failure->detail);
      free_xsk (xsk);
      return err;
    }
  xsk->fd = xsk_socket__fd (xsk->socket);

  xsk->info.ifindex = ifindex;
  xsk->info.queue_id = queue_id;
  xsk->info.need_wakeup = config->need_wakeup;
  xsk->info.rx_frames = rx_frames;
  xsk->info.tx_frames = config->frame_count - rx_frames;
  memset (&options, 0, sizeof options);
  if (getsockopt (xsk->fd, SOL_XDP, XDP_OPTIONS, &options, &optlen) == 0)
    xsk->info.zerocopy = (options.flags & XDP_OPTIONS_ZEROCOPY) != 0;

  if (with_program)
    {
      err = nr_xdp_prog_query (ifindex, &after);
      if (err != 0 || !after.has_xsk_program)
        {
          /* libxdp said yes but nothing redirects to the socket. */
          free_xsk (xsk);
          return fail (failure, NR_XSK_FAILURE_PROGRAM_REFUSED, "attaching the redirect program",
                       err != 0 ? err : -ENOENT);
        }
      if (config->attach != NR_XSK_ATTACH_AUTO && after.mode != wanted_mode (config->attach))
        {
          /* Joined a program another socket attached meanwhile, in the
           * other mode. Closing drops our reference only. */
          free_xsk (xsk);
          note_program (failure, ifindex);
          return fail (failure, NR_XSK_FAILURE_ATTACH_MODE, "attaching the redirect program",
                       -EBUSY);
        }
      xsk->info.attach_mode = after.mode;
      xsk->info.prog_id = after.xsk_prog_id;
      xsk->info.program = before.has_xsk_program ? NR_XSK_PROGRAM_STATE_SHARED
                                                 : NR_XSK_PROGRAM_STATE_LOADED;
    }

  /* The datapath keeps its own copies of the ring descriptions (libxdp's
   * stay untouched for its munmap on delete). */
  nr_xsk_rings_init (&xsk->rings, xsk->area, config->frame_size, config->frame_count, rx_frames);
  nr_xsk_ring_init (&xsk->rings.fill, xsk->lx_fill.producer, xsk->lx_fill.consumer,
                    xsk->lx_fill.flags, xsk->lx_fill.ring, xsk->lx_fill.size, TRUE);
  nr_xsk_ring_init (&xsk->rings.comp, xsk->lx_comp.producer, xsk->lx_comp.consumer,
                    xsk->lx_comp.flags, xsk->lx_comp.ring, xsk->lx_comp.size, FALSE);
  if (wants_rx)
    {
      xsk->rings.has_rx = TRUE;
      nr_xsk_ring_init (&xsk->rings.rx, xsk->lx_rx.producer, xsk->lx_rx.consumer,
                        xsk->lx_rx.flags, xsk->lx_rx.ring, xsk->lx_rx.size, FALSE);
    }
  if (wants_tx)
    {
      xsk->rings.has_tx = TRUE;
      nr_xsk_ring_init (&xsk->rings.tx, xsk->lx_tx.producer, xsk->lx_tx.consumer,
                        xsk->lx_tx.flags, xsk->lx_tx.ring, xsk->lx_tx.size, TRUE);
    }
  /* A socket to hand over keeps an empty fill ring: the process that
   * adopts it owns every frame from the start. */
  if (umem_fd < 0)
    nr_xsk_rings_refill (&xsk->rings);

  *out = xsk;
  return 0;
}

static gboolean
retry_in_generic (int err, const NrXskFailure *failure)
{
  /* Auto attach: the kernel picks native when the driver has XDP at all,
   * and native XDP can still refuse this configuration (an MTU above what
   * it supports, a device that is not ready). Generic always takes it. */
  return failure->kind == NR_XSK_FAILURE_PROGRAM_REFUSED ||
         (failure->kind == NR_XSK_FAILURE_NO_XDP && err == -EOPNOTSUPP &&
          g_str_has_prefix (failure->operation, "attaching"));
}

static int
open_with (const char *ifname, guint32 queue_id, const NrXskConfig *config, int umem_fd,
           NrXsk **out, NrXskFailure *failure)
{
  NrXskFailure scratch;
  guint32 rx_queues = 1, tx_queues = 1;
  guint32 xdp_flags;
  gint64 deadline;
  guint backoff_ms = 1;
  long page_size;
  int ifindex, err;

  if (failure == NULL)
    failure = &scratch;
  memset (failure, 0, sizeof *failure);
  *out = NULL;

  page_size = sysconf (_SC_PAGESIZE);
  err = nr_xsk_config_check (config, page_size > 0 ? (guint32) page_size : 4096, failure);
  if (err != 0)
    return err;

  ifindex = (int) if_nametoindex (ifname);
  if (ifindex == 0)
    return fail (failure, NR_XSK_FAILURE_NO_INTERFACE, "interface", -ENODEV);

  err = nr_xsk_queue_count (ifname, &rx_queues, &tx_queues);
  if (err == -ENODEV)
    return fail (failure, NR_XSK_FAILURE_NO_INTERFACE, "interface", err);
  failure->rx_queues = rx_queues;
  failure->tx_queues = tx_queues;
  /* The kernel binds any queue below the larger of the two counts, but an
   * RX socket on a queue without RX receives nothing, and a TX socket on a
   * queue without TX silently sends nothing (the copy-mode kick returns 0). */
  if ((config->mode != NR_XSK_MODE_TX && queue_id >= rx_queues) ||
      (config->mode != NR_XSK_MODE_RX && queue_id >= tx_queues))
    return fail (failure, NR_XSK_FAILURE_QUEUE_RANGE, "queue-id", -EINVAL);

  switch (config->attach)
    {
    case NR_XSK_ATTACH_NATIVE:
      xdp_flags = XDP_FLAGS_DRV_MODE;
      break;
    case NR_XSK_ATTACH_GENERIC:
      xdp_flags = XDP_FLAGS_SKB_MODE;
      break;
    case NR_XSK_ATTACH_AUTO:
    default:
      xdp_flags = 0;
      break;
    }

  deadline = g_get_monotonic_time () + NR_XSK_BUSY_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  nr_xdp_prog_lock ();
  for (;;)
    {
      memset (failure, 0, sizeof *failure);
      failure->rx_queues = rx_queues;
      failure->tx_queues = tx_queues;
      err = open_once (ifname, ifindex, queue_id, config, umem_fd, xdp_flags, out, failure);
      if (err == 0)
        {
          if (backoff_ms > 1)
            g_debug ("AF_XDP on %s queue %u: bound after waiting %" G_GINT64_FORMAT
                     " ms for the queue to be released",
                     ifname, queue_id,
                     (g_get_monotonic_time () - deadline) / 1000 + NR_XSK_BUSY_WAIT_MS);
          break;
        }

      if (failure->kind == NR_XSK_FAILURE_QUEUE_BUSY && g_get_monotonic_time () < deadline)
        {
          /* No event tells when the kernel's deferred release of a closed
           * socket has run: back off briefly, without holding the lock. */
          nr_xdp_prog_unlock ();
          g_usleep (backoff_ms * 1000);
          backoff_ms = MIN (backoff_ms * 2, 32);
          nr_xdp_prog_lock ();
          continue;
        }
      if (config->attach == NR_XSK_ATTACH_AUTO && xdp_flags == 0 &&
          retry_in_generic (err, failure))
        {
          g_debug ("AF_XDP on %s: the redirect program could not be attached natively (%s); "
                   "trying generic mode",
                   ifname, g_strerror (-err));
          xdp_flags = XDP_FLAGS_SKB_MODE;
          continue;
        }
      break;
    }
  nr_xdp_prog_unlock ();
  return err;
}

int
nr_xsk_open (const char *ifname, guint32 queue_id, const NrXskConfig *config, NrXsk **out,
             NrXskFailure *failure)
{
  return open_with (ifname, queue_id, config, -1, out, failure);
}

int
nr_xsk_open_for_handover (const char *ifname, guint32 queue_id, const NrXskConfig *config,
                          int umem_fd, NrXsk **out, NrXskFailure *failure)
{
  NrXskFailure scratch;
  struct stat st;

  if (failure == NULL)
    failure = &scratch;
  memset (failure, 0, sizeof *failure);
  *out = NULL;
  if (fstat (umem_fd, &st) != 0)
    return fail (failure, NR_XSK_FAILURE_SYSTEM, "umem-fd", -errno);
  if (!S_ISREG (st.st_mode) ||
      (guint64) st.st_size != (guint64) config->frame_size * config->frame_count)
    return fail (failure, NR_XSK_FAILURE_INVALID, "umem-fd", -EINVAL);
  return open_with (ifname, queue_id, config, umem_fd, out, failure);
}

/* Maps one ring of an adopted socket: the kernel's layout is in @offsets,
 * the entries follow at offsets->desc. */
static int
adopt_ring (NrXsk *xsk, guint slot, off_t pgoff, const struct xdp_ring_offset *offsets,
            guint32 size, gsize entry_size, gboolean producing, NrXskRing *ring)
{
  gsize length = offsets->desc + (gsize) size * entry_size;
  guint8 *map;

  map = mmap (NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, xsk->fd, pgoff);
  if (map == MAP_FAILED)
    return -errno;
  xsk->ring_maps[slot] = map;
  xsk->ring_map_sizes[slot] = length;
  nr_xsk_ring_init (ring, (guint32 *) (map + offsets->producer),
                    (guint32 *) (map + offsets->consumer), (guint32 *) (map + offsets->flags),
                    map + offsets->desc, size, producing);
  return 0;
}

int
nr_xsk_adopt (int fd, int umem_fd, int ifindex, guint32 queue_id, const NrXskConfig *config,
              NrXsk **out, NrXskFailure *failure)
{
  NrXskFailure scratch;
  struct xdp_mmap_offsets offsets;
  struct xdp_options options;
  socklen_t optlen;
  struct stat st;
  gboolean wants_rx = config->mode != NR_XSK_MODE_TX;
  gboolean wants_tx = config->mode != NR_XSK_MODE_RX;
  guint32 rx_frames = nr_xsk_rx_share (config->mode, config->frame_count);
  long page_size;
  int domain = 0;
  NrXsk *xsk;
  int err;

  if (failure == NULL)
    failure = &scratch;
  memset (failure, 0, sizeof *failure);
  *out = NULL;

  page_size = sysconf (_SC_PAGESIZE);
  err = nr_xsk_config_check (config, page_size > 0 ? (guint32) page_size : 4096, failure);
  if (err != 0)
    return err;

  /* The socket: AF_XDP and bound (sendto() on an unbound one fails with
   * ENXIO before anything else). */
  optlen = sizeof domain;
  if (getsockopt (fd, SOL_SOCKET, SO_DOMAIN, &domain, &optlen) != 0)
    return fail (failure, NR_XSK_FAILURE_INVALID, "fd", -errno);
  if (domain != AF_XDP)
    return fail (failure, NR_XSK_FAILURE_INVALID, "fd", -EAFNOSUPPORT);
  if (sendto (fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno == ENXIO)
    return fail (failure, NR_XSK_FAILURE_INVALID, "fd", -ENXIO);
  optlen = sizeof offsets;
  if (getsockopt (fd, SOL_XDP, XDP_MMAP_OFFSETS, &offsets, &optlen) != 0)
    return fail (failure, NR_XSK_FAILURE_SYSTEM, "getsockopt(XDP_MMAP_OFFSETS)", -errno);

  /* The UMEM: a regular file (a memfd) of exactly the geometry's size. */
  if (fstat (umem_fd, &st) != 0)
    return fail (failure, NR_XSK_FAILURE_INVALID, "umem-fd", -errno);
  if (!S_ISREG (st.st_mode) ||
      (guint64) st.st_size != (guint64) config->frame_size * config->frame_count)
    return fail (failure, NR_XSK_FAILURE_INVALID, "umem-fd", -EINVAL);

  xsk = g_new0 (NrXsk, 1);
  xsk->fd = -1;
  xsk->area_size = (gsize) config->frame_size * config->frame_count;
  xsk->area = mmap (NULL, xsk->area_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                    umem_fd, 0);
  if (xsk->area == MAP_FAILED)
    {
      err = -errno;
      xsk->area = NULL;
      free_xsk (xsk);
      return fail (failure, NR_XSK_FAILURE_RESOURCES, "mmap of the UMEM", err);
    }
  xsk->adopted = TRUE;
  xsk->fd = fd;
  /* as nr_xsk_open() does for its own: a program the application starts
   * must not keep the queue bound */
  fcntl (fd, F_SETFD, FD_CLOEXEC);
  nr_xsk_rings_init (&xsk->rings, xsk->area, config->frame_size, config->frame_count, rx_frames);
  /* The ring sizes are the ones nr_xsk_open() gives libxdp for this
   * geometry. */
  err = adopt_ring (xsk, 0, XDP_UMEM_PGOFF_FILL_RING, &offsets.fr, nr_next_pow2 (rx_frames),
                    sizeof (guint64), TRUE, &xsk->rings.fill);
  if (err == 0)
    err = adopt_ring (xsk, 1, XDP_UMEM_PGOFF_COMPLETION_RING, &offsets.cr,
                      nr_next_pow2 (config->frame_count), sizeof (guint64), FALSE,
                      &xsk->rings.comp);
  if (err == 0 && wants_rx)
    err = adopt_ring (xsk, 2, XDP_PGOFF_RX_RING, &offsets.rx, nr_next_pow2 (rx_frames),
                      sizeof (struct xdp_desc), FALSE, &xsk->rings.rx);
  if (err == 0 && wants_tx)
    err = adopt_ring (xsk, 3, XDP_PGOFF_TX_RING, &offsets.tx, nr_next_pow2 (config->frame_count),
                      sizeof (struct xdp_desc), TRUE, &xsk->rings.tx);
  if (err != 0)
    {
      xsk->fd = -1; /* the caller's on failure */
      free_xsk (xsk);
      return fail (failure, NR_XSK_FAILURE_INVALID, "mapping the rings of fd", err);
    }
  xsk->rings.has_rx = wants_rx;
  xsk->rings.has_tx = wants_tx;

  xsk->info.ifindex = ifindex;
  xsk->info.queue_id = queue_id;
  xsk->info.need_wakeup = config->need_wakeup;
  xsk->info.rx_frames = rx_frames;
  xsk->info.tx_frames = config->frame_count - rx_frames;
  xsk->info.program = NR_XSK_PROGRAM_STATE_NONE;
  memset (&options, 0, sizeof options);
  optlen = sizeof options;
  if (getsockopt (fd, SOL_XDP, XDP_OPTIONS, &options, &optlen) == 0)
    xsk->info.zerocopy = (options.flags & XDP_OPTIONS_ZEROCOPY) != 0;
  if (wants_rx)
    {
      NrXdpProgInfo prog;

      /* The helper's program; the query (netlink) needs no capability, a
       * failure only leaves the id unknown. */
      nr_xdp_prog_lock ();
      /* Without CAP_SYS_ADMIN the program's name cannot be read: the
       * program in place is taken to be the helper's then. */
      if (nr_xdp_prog_query (ifindex, &prog) == 0 && prog.prog_id != 0)
        {
          xsk->info.attach_mode = prog.mode;
          xsk->info.prog_id = prog.has_xsk_program ? prog.xsk_prog_id : prog.prog_id;
          xsk->info.program = NR_XSK_PROGRAM_STATE_SHARED;
        }
      nr_xdp_prog_unlock ();
    }
  nr_xsk_rings_refill (&xsk->rings);

  *out = xsk;
  return 0;
}

void
nr_xsk_shutdown (NrXsk *xsk)
{
  if (xsk->adopted)
    {
      xsk->rings.counters.tx_discarded += nr_xsk_rings_tx_unconsumed (&xsk->rings);
      nr_xsk_rings_detach (&xsk->rings);
      release_adopted (xsk);
      return;
    }
  if (xsk->socket == NULL && xsk->umem == NULL)
    return;
  /* Nothing may touch the rings once libxdp unmaps them: a release in
   * another thread waits for this and then only updates the pools. */
  /* What the kernel never took from the TX ring goes with it: counted. */
  xsk->rings.counters.tx_discarded += nr_xsk_rings_tx_unconsumed (&xsk->rings);
  nr_xsk_rings_detach (&xsk->rings);
  nr_xdp_prog_lock ();
  if (xsk->socket != NULL)
    xsk_socket__delete (xsk->socket);
  xsk->socket = NULL;
  if (xsk->umem != NULL)
    xsk_umem__delete (xsk->umem);
  xsk->umem = NULL;
  nr_xdp_prog_unlock ();
  xsk->fd = -1;
}

void
nr_xsk_free (NrXsk *xsk)
{
  if (xsk == NULL)
    return;
  nr_xsk_shutdown (xsk);
  free_xsk (xsk);
}

void
nr_xsk_close (NrXsk *xsk)
{
  nr_xsk_free (xsk);
}

int
nr_xsk_fd (const NrXsk *xsk)
{
  return xsk->fd;
}

NrXskRings *
nr_xsk_rings (NrXsk *xsk)
{
  return &xsk->rings;
}

const NrXskInfo *
nr_xsk_info (const NrXsk *xsk)
{
  return &xsk->info;
}

int
nr_xsk_rx_wakeup (NrXsk *xsk)
{
  if (!xsk->rings.has_rx || !nr_xsk_ring_needs_wakeup (&xsk->rings.fill))
    return 0;
  if (recvfrom (xsk->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL) >= 0)
    return 0;
  switch (errno)
    {
    case EAGAIN:
    case EBUSY:
    case EINTR:
    case ENOBUFS:
      return 0;
    default:
      return -errno;
    }
}

int
nr_xsk_tx_kick (NrXsk *xsk)
{
  NrXskRings *rings = &xsk->rings;
  guint stalls = 0;

  if (!rings->has_tx)
    return 0;
  for (;;)
    {
      guint32 before, after;
      int e = 0;

      before = __atomic_load_n (rings->tx.consumer, __ATOMIC_ACQUIRE);
      if (before == rings->tx.cached_prod)
        {
          nr_xsk_rings_tx_reap (rings);
          return 0;
        }
      /* A zero-copy driver that is already working on the ring says so by
       * clearing the flag; copy mode always asks. */
      if (xsk->info.zerocopy && xsk->info.need_wakeup &&
          !nr_xsk_ring_needs_wakeup (&rings->tx))
        {
          nr_xsk_rings_tx_reap (rings);
          return 0;
        }

      if (sendto (xsk->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0)
        e = errno;
      /* The kernel stops (EAGAIN) when the completion ring is full. */
      nr_xsk_rings_tx_reap (rings);
      switch (e)
        {
        case 0:
          if (xsk->info.zerocopy)
            return 0; /* the driver sends asynchronously */
          break;
        case EINTR:
          continue;
        case EAGAIN:
          break;
        case EBUSY:
          /* Copy mode: the device refused one frame (NET_XMIT_DROP); it is
           * consumed and completed, but did not go out. */
          if (!xsk->info.zerocopy)
            rings->counters.tx_device_dropped++;
          break;
        default:
          return -e;
        }

      after = __atomic_load_n (rings->tx.consumer, __ATOMIC_ACQUIRE);
      if (after == before)
        {
          if (++stalls >= 2)
            return -EAGAIN;
        }
      else
        stalls = 0;
    }
}

int
nr_xsk_get_stats (NrXsk *xsk, NrXskStats *stats)
{
  struct xdp_statistics kernel;
  socklen_t len = sizeof kernel;

  memset (stats, 0, sizeof *stats);
  stats->counters = xsk->rings.counters;
  stats->counters.bad_returns =
    __atomic_load_n (&xsk->rings.counters.bad_returns, __ATOMIC_RELAXED);
  memset (&kernel, 0, sizeof kernel);
  if (getsockopt (xsk->fd, SOL_XDP, XDP_STATISTICS, &kernel, &len) != 0)
    return -errno;
  stats->rx_dropped = kernel.rx_dropped;
  stats->rx_invalid_descs = kernel.rx_invalid_descs;
  stats->tx_invalid_descs = kernel.tx_invalid_descs;
  if (len >= sizeof kernel)
    {
      stats->rx_ring_full = kernel.rx_ring_full;
      stats->rx_fill_ring_empty_descs = kernel.rx_fill_ring_empty_descs;
      stats->tx_ring_empty_descs = kernel.tx_ring_empty_descs;
    }
  return 0;
}

int
nr_xsk_map_insert (NrXsk *xsk, int map_fd)
{
  int key = (int) xsk->info.queue_id;
  int value = xsk->fd;

  if (bpf_map_update_elem (map_fd, &key, &value, 0) != 0)
    return -errno;
  return 0;
}

int
nr_xsk_set_busy_poll (NrXsk *xsk, guint usecs, guint budget)
{
  int prefer = 1, usecs_value = (int) usecs, budget_value = (int) budget;

  if (setsockopt (xsk->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &prefer, sizeof prefer) != 0 ||
      setsockopt (xsk->fd, SOL_SOCKET, SO_BUSY_POLL, &usecs_value, sizeof usecs_value) != 0 ||
      setsockopt (xsk->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget_value, sizeof budget_value) != 0)
    return -errno;
  return 0;
}

/* ------------------------------------------------------------------------
 * Queues of an interface
 * ------------------------------------------------------------------------ */

/* IFLA_NUM_RX_QUEUES / IFLA_NUM_TX_QUEUES from rtnetlink: in the caller's
 * namespace (sysfs would show the namespace it was mounted in), for drivers
 * that do not implement ETHTOOL_GCHANNELS. */
static int
queue_count_netlink (int ifindex, guint32 *rx_queues, guint32 *tx_queues)
{
  struct {
    struct nlmsghdr header;
    struct ifinfomsg info;
  } request;
  union {
    struct nlmsghdr header;
    char bytes[16384];
  } reply;
  struct nlmsghdr *header;
  ssize_t len;
  int fd, err = -ENOENT;

  fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return -errno;
  memset (&request, 0, sizeof request);
  request.header.nlmsg_len = NLMSG_LENGTH (sizeof request.info);
  request.header.nlmsg_type = RTM_GETLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.header.nlmsg_seq = 1;
  request.info.ifi_family = AF_UNSPEC;
  request.info.ifi_index = ifindex;
  if (send (fd, &request, request.header.nlmsg_len, 0) < 0)
    {
      err = -errno;
      close (fd);
      return err;
    }
  len = recv (fd, &reply, sizeof reply, 0);
  if (len < 0)
    err = -errno;
  for (header = &reply.header; len > 0 && NLMSG_OK (header, (guint) len);
       header = NLMSG_NEXT (header, len))
    {
      if (header->nlmsg_type == NLMSG_ERROR)
        {
          const struct nlmsgerr *nlerr = NLMSG_DATA (header);
          err = nlerr->error != 0 ? nlerr->error : -ENOENT;
          break;
        }
      if (header->nlmsg_type == RTM_NEWLINK)
        {
          struct ifinfomsg *info = NLMSG_DATA (header);
          struct rtattr *attr = IFLA_RTA (info);
          int attr_len = (int) IFLA_PAYLOAD (header);

          for (; RTA_OK (attr, attr_len); attr = RTA_NEXT (attr, attr_len))
            {
              if (attr->rta_type == IFLA_NUM_RX_QUEUES && RTA_PAYLOAD (attr) >= 4)
                memcpy (rx_queues, RTA_DATA (attr), 4);
              else if (attr->rta_type == IFLA_NUM_TX_QUEUES && RTA_PAYLOAD (attr) >= 4)
                memcpy (tx_queues, RTA_DATA (attr), 4);
            }
          err = 0;
          break;
        }
    }
  close (fd);
  return err;
}

int
nr_xsk_queue_count (const char *ifname, guint32 *rx_queues, guint32 *tx_queues)
{
  struct ethtool_channels channels;
  struct ifreq ifr;
  int fd, ifindex, err;

  *rx_queues = 1;
  *tx_queues = 1;
  ifindex = (int) if_nametoindex (ifname);
  if (ifindex == 0)
    return -ENODEV;

  /* Any socket reaches the device ioctls; AF_UNIX exists everywhere. */
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  memset (&channels, 0, sizeof channels);
  channels.cmd = ETHTOOL_GCHANNELS;
  memset (&ifr, 0, sizeof ifr);
  g_strlcpy (ifr.ifr_name, ifname, sizeof ifr.ifr_name);
  ifr.ifr_data = (void *) &channels;
  err = ioctl (fd, SIOCETHTOOL, &ifr) == 0 ? 0 : -errno;
  close (fd);

  if (err == 0)
    {
      /* Queue ids count combined channels first, then the dedicated ones. */
      *rx_queues = MAX (channels.combined_count + channels.rx_count, 1);
      *tx_queues = MAX (channels.combined_count + channels.tx_count, 1);
      return 0;
    }
  if (err == -ENODEV)
    return err;

  /* No channel count from the driver (EOPNOTSUPP): the queues the device
   * was created with. */
  if (queue_count_netlink (ifindex, rx_queues, tx_queues) != 0)
    {
      *rx_queues = 1;
      *tx_queues = 1;
    }
  *rx_queues = MAX (*rx_queues, 1);
  *tx_queues = MAX (*tx_queues, 1);
  return 0;
}
