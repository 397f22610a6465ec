/* nr-xsk.h: AF_XDP kernel glue (UMEM, frame pools, the four rings, socket
 * set-up through libxdp). Plain C with GLib basics: no GObject, no GError;
 * functions return 0 or a negative errno.
 *
 * Two layers in one file:
 *
 *  - NrXskRings: the UMEM bookkeeping and the ring protocol, pure functions
 *    over memory (no system calls), so the unit tests drive them on
 *    synthetic rings with the test playing the kernel, and the descriptor
 *    walk can be fuzzed.
 *  - NrXsk: a real socket (libxdp's xsk_umem__create/xsk_socket__create)
 *    around an NrXskRings, plus the system calls: kick, wake-up, statistics.
 *
 * UMEM layout (aligned chunks, chunk = frame_size, a power of two):
 *
 *   chunk 0 … rx_frames-1            the RX pool: only these ever go to the
 *                                    fill ring
 *   chunk rx_frames … frame_count-1  the TX pool: only these are handed out
 *                                    by nr_xsk_rings_tx_reserve()
 *
 * Two pools, so that reception can never drain the frames sending needs and
 * the other way round (F11). A frame's pool is a function of its address, so
 * a received frame that is sent on as it is (forwarding) goes back to the RX
 * pool when the kernel completes it.
 *
 * Every address the kernel hands back (RX descriptors: chunk + 256 bytes of
 * XDP headroom; completions of forwarded frames: wherever the data started)
 * is reduced to its chunk base by nr_xsk_chunk_base() before it is stored
 * in a pool or given to the fill ring (F10), so a frame handed out for
 * sending always has the whole chunk in front of it.
 *
 * Every chunk has a state byte, and every transition is checked: a frame
 * released twice, a completion for a frame that was never sent, an RX
 * descriptor pointing at a frame the kernel does not own — each is refused
 * and counted instead of corrupting the pools.
 *
 * Threads: one NrXsk (and one NrXskRings) is used by one thread at a time,
 * the owner, with one exception: received frames may be given back
 * (nr_xsk_rings_rx_release()) from any thread, because a batch of them may
 * be released wherever its last user drops it. Everything that touches the
 * RX pool (the pool, the state of RX chunks, the fill ring's producer side)
 * runs under rx_lock; the owner takes it once per call, not per frame.
 * nr_xsk_open() and nr_xsk_close() may be called from any thread; calls into
 * libxdp are serialised inside.
 *
 * Closing is two steps, so that received frames can outlive the socket:
 * nr_xsk_shutdown() gives the socket, its queue, the program and the rings
 * back to the kernel at once; the UMEM stays mapped (and frames still held
 * stay readable and can still be released, which then only updates the
 * pools) until nr_xsk_free(). nr_xsk_close() is both. */
#pragma once

#include <glib.h>
#include <linux/if_xdp.h>

G_BEGIN_DECLS

G_STATIC_ASSERT (sizeof (struct xdp_desc) == 16);

/* Frame sizes the kernel accepts for aligned chunks: a power of two from
 * 2048 to the page size. */
#define NR_XSK_MIN_FRAME_SIZE 2048u
/* Space the kernel leaves in front of a received frame in every chunk
 * (XDP_PACKET_HEADROOM): the largest frame one chunk can receive is
 * frame_size - NR_XSK_RX_HEADROOM. */
#define NR_XSK_RX_HEADROOM 256u
/* The UMEM may not be larger than this (it is pinned memory). */
#define NR_XSK_MAX_UMEM_BYTES (G_GUINT64_CONSTANT (1) << 32)

/* ------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------ */

/* The chunk base of any address inside a chunk (F10): the one place the
 * library reduces an address, used for everything that goes back to a
 * pool or to the fill ring. @frame_size is a power of two. */
static inline guint64
nr_xsk_chunk_base (guint64 addr, guint32 frame_size)
{
  return addr & ~((guint64) frame_size - 1);
}

/* ------------------------------------------------------------------------
 * Rings (the kernel's single-producer/single-consumer protocol)
 * ------------------------------------------------------------------------ */

/* One of the four rings. The producer and consumer indices are free-running
 * 32-bit counters; entry i is at (i & mask). The cached copies avoid
 * touching the shared cache line on every call. For a ring we produce into,
 * cached_cons is kept size ahead of the kernel's consumer, so that free
 * entries are cached_cons - cached_prod (the convention libxdp uses too). */
typedef struct {
  guint32 cached_prod;
  guint32 cached_cons;
  guint32 mask;
  guint32 size;
  guint32 *producer;
  guint32 *consumer;
  guint32 *flags;
  void *descs; /* guint64 addresses (fill, completion) or struct xdp_desc (rx, tx) */
} NrXskRing;

/* Sets up @ring over memory laid out like the kernel's (used by tests; a
 * real socket takes the pointers libxdp mapped). @size is a power of two.
 * @producing: the user side produces into this ring (fill, tx). */
void nr_xsk_ring_init (NrXskRing *ring, guint32 *producer, guint32 *consumer, guint32 *flags,
                       void *descs, guint32 size, gboolean producing);

/* Whether the kernel asked for a wake-up on this ring (XDP_RING_NEED_WAKEUP). */
static inline gboolean
nr_xsk_ring_needs_wakeup (const NrXskRing *ring)
{
  return (__atomic_load_n (ring->flags, __ATOMIC_RELAXED) & XDP_RING_NEED_WAKEUP) != 0;
}

/* ------------------------------------------------------------------------
 * Descriptor walk (pure: what the kernel wrote into the RX ring, checked)
 * ------------------------------------------------------------------------ */

/* State of one chunk. */
typedef enum {
  NR_XSK_FRAME_RX_SPARE = 0, /* RX pool, not given to the kernel yet */
  NR_XSK_FRAME_FILL,         /* in the fill ring or being received into */
  NR_XSK_FRAME_RX_HELD,      /* received, handed to the user */
  NR_XSK_FRAME_TX_FREE,      /* TX pool, free */
  NR_XSK_FRAME_TX_HELD,      /* reserved by the user for sending */
  NR_XSK_FRAME_TX_KERNEL,    /* in the TX ring or sent, not completed yet */
} NrXskFrameState;

typedef struct {
  guint64 umem_size;   /* frame_size * frame_count */
  guint32 frame_size;  /* power of two */
  guint32 frame_shift; /* log2 (frame_size) */
  guint32 rx_frames;   /* chunks [0, rx_frames) are the RX pool */
} NrXskLayout;

typedef struct {
  guint n_valid;    /* descriptors written to out[] */
  guint n_invalid;  /* descriptors refused */
  guint n_recycle;  /* chunks written to recycle[]: refused descriptors of
                     * frames the kernel did own, to go back to the RX pool */
  guint64 bytes;    /* sum of the valid lengths */
} NrXskWalkResult;

/* Walks @n RX descriptors of @ring (entry i at descs[(first + i) & mask]).
 * A descriptor is valid when its length is not zero, its address is inside
 * the RX pool, it does not run past the end of its chunk, and the chunk is
 * in state NR_XSK_FRAME_FILL (the kernel owned it); a valid descriptor is
 * copied to @out and its chunk becomes NR_XSK_FRAME_RX_HELD. The chunk of a
 * refused descriptor that the kernel did own is written to @recycle (and
 * becomes NR_XSK_FRAME_RX_SPARE) so the frame is not lost; any other
 * refused descriptor is only counted. @out and @recycle have room for @n.
 * Touches nothing but @state, @out and @recycle. */
void nr_xsk_walk_rx (const struct xdp_desc *descs, guint32 mask, guint32 first, guint n,
                     const NrXskLayout *layout, guint8 *state, struct xdp_desc *out,
                     guint64 *recycle, NrXskWalkResult *result);

/* Whether @len bytes at @addr stay inside the UMEM and inside one chunk:
 * the kernel's own rule for TX descriptors in aligned mode (a descriptor
 * breaking it is dropped by the kernel and never completed). */
static inline gboolean
nr_xsk_desc_fits (const NrXskLayout *layout, guint64 addr, guint32 len)
{
  return len > 0 && addr < layout->umem_size &&
         (addr & (layout->frame_size - 1)) + len <= layout->frame_size;
}

/* ------------------------------------------------------------------------
 * Frame pools and the datapath over the four rings (pure)
 * ------------------------------------------------------------------------ */

/* A free list: a stack of chunk addresses (LIFO, so recently used, cache-hot
 * frames are reused first). */
typedef struct {
  guint64 *addrs;
  guint32 count;
  guint32 capacity;
} NrXskPool;

typedef struct {
  guint64 rx_frames;         /* descriptors handed out by rx_take */
  guint64 rx_bytes;
  guint64 rx_refused;        /* RX descriptors the walk refused */
  guint64 tx_submitted;      /* descriptors put in the TX ring */
  guint64 tx_bytes;
  guint64 tx_completed;      /* frames the kernel gave back */
  guint64 tx_rejected;       /* submit refused (length, address, state) */
  guint64 tx_device_dropped; /* copy mode: the device dropped a frame (kick saw EBUSY) */
  guint64 tx_discarded;      /* in the TX ring, never taken by the kernel: the socket was
                              * shut down first (nr_xsk_shutdown()) */
  guint64 bad_returns;       /* releases/aborts of frames not held, completions of frames not in flight */
} NrXskCounters;

typedef struct {
  guint8 *umem; /* frame_size * frame_count bytes */
  NrXskLayout layout;
  guint32 frame_count;
  guint8 *state; /* NrXskFrameState per chunk */
  NrXskPool rx_pool;
  NrXskPool tx_pool;
  gboolean has_rx; /* the rx ring exists */
  gboolean has_tx; /* the tx ring exists */
  NrXskRing fill, comp, rx, tx;
  NrXskCounters counters; /* bad_returns is updated atomically (any thread) */
  /* The length rule for sending (nr_xsk_rings_set_link()): frames of 1 to
   * tx_max_length bytes pass without a further look; tx_link_max is the
   * interface's MTU + link header (0: unknown), tx_vlan_allowance the
   * bytes an 802.1Q-tagged Ethernet frame may have on top. */
  guint32 tx_max_length;
  guint32 tx_link_max;
  guint32 tx_vlan_allowance;
  /* Guards rx_pool, the state of RX chunks, the fill ring and rx_held:
   * releases come from any thread. */
  GMutex rx_lock;
  guint32 rx_held; /* RX frames held by the user; written under rx_lock */
} NrXskRings;

/* How many of @frame_count frames go to the RX pool for @mode (see
 * NrXskMode); the rest go to the TX pool. */
guint32 nr_xsk_rx_share (int mode, guint32 frame_count);

/* Sets up @rings over @umem; the rings themselves are set with
 * nr_xsk_ring_init() (or from a socket) before use. All RX chunks start as
 * spare, all TX chunks free; call nr_xsk_rings_refill() to prime the fill
 * ring. The fill ring must hold rx_frames entries and the tx and completion
 * rings frame_count (every frame may be in flight). */
void nr_xsk_rings_init (NrXskRings *rings, guint8 *umem, guint32 frame_size,
                        guint32 frame_count, guint32 rx_frames);
void nr_xsk_rings_clear (NrXskRings *rings);

static inline guint8 *
nr_xsk_rings_data (const NrXskRings *rings, guint64 addr)
{
  return rings->umem + addr;
}

/* Moves spare RX frames into the fill ring while it has room. Returns how
 * many. */
guint nr_xsk_rings_refill (NrXskRings *rings);

/* Takes up to @max received frames: peeks the RX ring, walks it (refused
 * descriptors are counted and their frames recycled), copies the valid
 * descriptors to @out and releases the ring entries at once; the frames
 * stay held until nr_xsk_rings_rx_release(). Returns the number in @out. */
guint nr_xsk_rings_rx_take (NrXskRings *rings, struct xdp_desc *out, guint max);

/* Frames received and not taken yet (refreshes from the kernel when the
 * cached view is empty). */
guint32 nr_xsk_rings_rx_ready (NrXskRings *rings);

/* RX frames handed out by rx_take and not released yet. When it equals
 * layout.rx_frames nothing can be received until a release. Any thread. */
static inline guint32
nr_xsk_rings_rx_held (NrXskRings *rings)
{
  return __atomic_load_n (&rings->rx_held, __ATOMIC_ACQUIRE);
}

/* Gives held RX frames back: each address (any address inside the chunk)
 * goes back to the RX pool and from there to the fill ring (unless the
 * rings were detached). A frame that is not held is refused and counted in
 * bad_returns. Any thread (see above); never a system call. */
void nr_xsk_rings_rx_release (NrXskRings *rings, const struct xdp_desc *descs, guint n);
void nr_xsk_rings_rx_release_addr (NrXskRings *rings, guint64 addr);

/* The kernel's rings are going away (nr_xsk_shutdown()): from now on
 * nothing touches them; released frames only go back to their pool. */
void nr_xsk_rings_detach (NrXskRings *rings);

/* The length rule for frames to send. A descriptor that leaves its chunk
 * is dropped by the kernel (tx_invalid_descs), and in copy mode a frame
 * longer than the interface takes is dropped by the device without a
 * trace (veth: MTU + link header + 4). */
typedef enum {
  NR_XSK_LENGTH_OK,
  NR_XSK_LENGTH_EMPTY,      /* 0 bytes */
  NR_XSK_LENGTH_OVER_FRAME, /* longer than a frame (frame_size) */
  NR_XSK_LENGTH_OVER_LINK,  /* longer than the interface's MTU + link header */
} NrXskLength;

/* Sets the interface's limit: a frame may be at most @mtu + @link_header
 * bytes, 4 more on Ethernet when it carries an 802.1Q tag (the rule of
 * AF_PACKET, which veth applies to every frame). @link_header < 0: not
 * known, only the frame size counts. */
void nr_xsk_rings_set_link (NrXskRings *rings, guint32 mtu, gint link_header, gboolean ethernet);

NrXskLength nr_xsk_rings_check_length_slow (const NrXskRings *rings, const guint8 *data,
                                            gsize length);

/* Whether a frame of @length bytes may be sent. @data is the frame (its
 * EtherType tells whether the VLAN allowance applies), or NULL when it is
 * not written yet (a reservation): the allowance is granted then, and the
 * caller checks again with the data. */
static inline NrXskLength
nr_xsk_rings_check_length (const NrXskRings *rings, const guint8 *data, gsize length)
{
  /* length - 1 wraps for 0: one comparison for "1 ≤ length ≤ max" */
  if (G_LIKELY (length - 1 < (gsize) rings->tx_max_length))
    return NR_XSK_LENGTH_OK;
  return nr_xsk_rings_check_length_slow (rings, data, length);
}

/* The longest frame the rule lets through, tag allowance included. */
guint32 nr_xsk_rings_tx_max_length (const NrXskRings *rings);

/* Hands out a free TX frame (reaping completions first when the pool is
 * empty): *addr is its chunk base and the frame_size bytes there are the
 * caller's until submit or abort. NULL when every TX frame is in flight. */
guint8 *nr_xsk_rings_tx_reserve (NrXskRings *rings, guint64 *addr);

/* Gives a reserved frame back unused. */
void nr_xsk_rings_tx_abort (NrXskRings *rings, guint64 addr);

/* Queues @len bytes at @addr for sending and publishes them to the kernel.
 * @addr lies in a frame held by the caller: one from tx_reserve (sent from
 * its chunk base or any offset) or a received frame (forwarded in place;
 * it returns to the RX pool when completed). Returns 0, -EMSGSIZE when
 * the data would run past the end of the chunk or is empty, -EINVAL when
 * the frame is not held by the caller, -ENOBUFS when the TX ring is full
 * (never, by construction, unless the kernel stopped consuming). A refused
 * frame stays held by the caller. */
int nr_xsk_rings_tx_submit (NrXskRings *rings, guint64 addr, guint32 len);

/* Takes completions from the completion ring and returns each frame to its
 * pool (TX frames to the TX pool, forwarded RX frames via the RX pool to the
 * fill ring). Returns the number of completions. */
guint nr_xsk_rings_tx_reap (NrXskRings *rings);

/* Descriptors in the TX ring the kernel has not consumed yet. */
guint32 nr_xsk_rings_tx_unconsumed (NrXskRings *rings);

/* Frames submitted and not completed yet. */
static inline guint64
nr_xsk_rings_tx_in_flight (const NrXskRings *rings)
{
  return rings->counters.tx_submitted - rings->counters.tx_completed;
}

/* Free frames in the TX pool (without reaping). */
static inline guint32
nr_xsk_rings_tx_free (const NrXskRings *rings)
{
  return rings->tx_pool.count;
}

/* ------------------------------------------------------------------------
 * Sockets
 * ------------------------------------------------------------------------ */

/* Which pools the UMEM is split into. */
typedef enum {
  NR_XSK_MODE_RX,    /* every frame for reception; no TX ring */
  NR_XSK_MODE_TX,    /* every frame for sending; no RX ring, no program */
  NR_XSK_MODE_RX_TX, /* half and half */
} NrXskMode;

typedef enum {
  NR_XSK_ATTACH_AUTO,    /* native when the driver has XDP, else generic */
  NR_XSK_ATTACH_NATIVE,  /* XDP_FLAGS_DRV_MODE */
  NR_XSK_ATTACH_GENERIC, /* XDP_FLAGS_SKB_MODE */
} NrXskAttach;

typedef enum {
  NR_XSK_BIND_AUTO,     /* the kernel tries zero-copy, then copy */
  NR_XSK_BIND_COPY,     /* XDP_COPY */
  NR_XSK_BIND_ZEROCOPY, /* XDP_ZEROCOPY: fail if unavailable */
} NrXskBind;

typedef enum {
  /* libxdp's default redirect program (xsk_def_prog): loaded and attached
   * when the interface has none, shared (reference counted by libxdp, also
   * across processes) when it is already there; detached by the last user.
   * Any other program on the interface is left alone and the open fails
   * with NR_XSK_FAILURE_PROGRAM_CONFLICT. */
  NR_XSK_PROGRAM_DEFAULT,
  /* No program: the caller redirects to the socket with a program of its
   * own and puts the socket in its XSKMAP with nr_xsk_map_insert(). */
  NR_XSK_PROGRAM_NONE,
} NrXskProgram;

typedef struct {
  guint32 frame_size;  /* power of two, NR_XSK_MIN_FRAME_SIZE … page size */
  guint32 frame_count; /* > 0 (>= 2 for NR_XSK_MODE_RX_TX) */
  NrXskMode mode;
  NrXskAttach attach;
  NrXskBind bind;
  gboolean need_wakeup;
  NrXskProgram program;
} NrXskConfig;

/* The defaults: 4096 frames of 4096 bytes, rx-tx, auto attach, auto bind,
 * need_wakeup, the default program. */
void nr_xsk_config_init (NrXskConfig *config);

typedef enum {
  NR_XSK_FAILURE_NONE = 0,
  NR_XSK_FAILURE_INVALID,          /* a setting breaks a rule; operation names the setting */
  NR_XSK_FAILURE_PERMISSION,       /* EPERM/EACCES: CAP_NET_RAW (socket), CAP_BPF and CAP_NET_ADMIN (program) */
  NR_XSK_FAILURE_NO_INTERFACE,     /* no such interface (or it went away) */
  NR_XSK_FAILURE_NO_XDP,           /* kernel without AF_XDP, or driver without native XDP */
  NR_XSK_FAILURE_QUEUE_RANGE,      /* queue_id >= the queues the interface has (rx_queues/tx_queues) */
  NR_XSK_FAILURE_QUEUE_BUSY,       /* another AF_XDP socket is bound to the queue */
  NR_XSK_FAILURE_PROGRAM_REFUSED,  /* loading or attaching the redirect program failed */
  NR_XSK_FAILURE_PROGRAM_CONFLICT, /* another XDP program is attached (prog_*): left alone */
  NR_XSK_FAILURE_ATTACH_MODE,      /* the shared redirect program runs in the other mode (prog_mode) */
  NR_XSK_FAILURE_ZEROCOPY,         /* zero-copy asked for, the driver cannot */
  NR_XSK_FAILURE_RESOURCES,        /* memory: ENOMEM, or ENOBUFS from RLIMIT_MEMLOCK */
  NR_XSK_FAILURE_SYSTEM,           /* anything else; operation says where */
} NrXskFailureKind;

/* What went wrong in nr_xsk_open(), for a message that names the culprit.
 * operation is a static string (the step or the setting that failed). */
typedef struct {
  NrXskFailureKind kind;
  const char *operation;
  const char *capability; /* PERMISSION: the capability that is missing, when
                           * known for sure (NULL otherwise) */
  guint32 rx_queues;   /* QUEUE_RANGE: the interface's queues */
  guint32 tx_queues;
  guint32 prog_id;     /* PROGRAM_CONFLICT / ATTACH_MODE: the program in place */
  char prog_name[16];
  int prog_mode;       /* its NrXdpAttachMode (nr-xdp-prog.h) */
  char detail[160];    /* libxdp's last warning, if any ("" otherwise) */
} NrXskFailure;

/* Checks @config without touching the system (page size passed in, so it
 * can be tested). Returns 0 or -EINVAL with failure->operation naming the
 * setting ("frame-size", "frame-count"). */
int nr_xsk_config_check (const NrXskConfig *config, guint32 page_size, NrXskFailure *failure);

typedef enum {
  NR_XSK_PROGRAM_STATE_NONE,   /* no program (TX only, or NR_XSK_PROGRAM_NONE) */
  NR_XSK_PROGRAM_STATE_LOADED, /* this socket loaded and attached it */
  NR_XSK_PROGRAM_STATE_SHARED, /* it was there (another socket's); we hold a reference */
} NrXskProgramState;

/* What the socket got. */
typedef struct {
  int ifindex;
  guint32 queue_id;
  int attach_mode;   /* NrXdpAttachMode of the redirect program (NONE without one) */
  gboolean zerocopy; /* XDP_OPTIONS_ZEROCOPY */
  gboolean need_wakeup;
  NrXskProgramState program;
  guint32 prog_id;
  guint32 rx_frames;
  guint32 tx_frames;
} NrXskInfo;

typedef struct _NrXsk NrXsk;

/* Creates the UMEM and the socket on @ifname queue @queue_id, primes the
 * fill ring and (NR_XSK_PROGRAM_DEFAULT with RX) gets the redirect program
 * in place. Returns 0 and *out, or a negative errno with @failure filled
 * in. An EBUSY from bind is retried for up to NR_XSK_BUSY_WAIT_MS: the
 * kernel frees a closed socket's queue asynchronously (a work item), so a
 * queue closed a moment ago may still look taken. */
#define NR_XSK_BUSY_WAIT_MS 2000
int nr_xsk_open (const char *ifname, guint32 queue_id, const NrXskConfig *config, NrXsk **out,
                 NrXskFailure *failure);

/* Privilege separation (netring-helper), the privileged half: opens like
 * nr_xsk_open() with the UMEM in @umem_fd, a regular file (memfd) of
 * exactly frame_size × frame_count bytes mapped shared, and leaves the fill
 * ring empty, so that another process can adopt the socket with
 * nr_xsk_adopt() and own every frame. The caller passes nr_xsk_fd() and
 * @umem_fd on and then exits without nr_xsk_close(), which would take the
 * socket out of the redirect program's map and drop the program: the
 * program stays attached on the interface, the socket lives on in the
 * adopting process, the kernel keeps the UMEM pages pinned. -EINVAL
 * (failure->operation "umem-fd") for a descriptor of the wrong size. */
int nr_xsk_open_for_handover (const char *ifname, guint32 queue_id, const NrXskConfig *config,
                              int umem_fd, NrXsk **out, NrXskFailure *failure);

/* The unprivileged half: takes over @fd, a bound AF_XDP socket made by
 * nr_xsk_open_for_handover() with @config's geometry (frame size, frame
 * count, mode, need-wakeup), and its UMEM @umem_fd. Maps the UMEM and the
 * four rings (the ring sizes follow from the geometry, as nr_xsk_open()
 * chooses them) and primes the fill ring; no step needs a capability.
 * Checks first: @fd is an AF_XDP socket and bound, @umem_fd a regular file
 * of frame_size × frame_count bytes; a violation is NR_XSK_FAILURE_INVALID
 * with operation "fd" or "umem-fd" and -EAFNOSUPPORT, -ENXIO (not bound),
 * -ENOTSOCK or -EINVAL. On success @fd belongs to the NrXsk (closed by
 * nr_xsk_shutdown()); @umem_fd never does (the mapping keeps the memory:
 * close it). The redirect program is the helper's: info->program is
 * NR_XSK_PROGRAM_STATE_SHARED when the interface runs libxdp's. */
int nr_xsk_adopt (int fd, int umem_fd, int ifindex, guint32 queue_id, const NrXskConfig *config,
                  NrXsk **out, NrXskFailure *failure);

/* Closes the socket: libxdp drops our reference to the redirect program and
 * detaches it if it was the last (only ever the program it attached itself:
 * the detach names the program it replaces), the socket and the UMEM
 * registration go and with them the queue and the four rings. The UMEM
 * memory stays mapped: frames held by the user stay readable, and may still
 * be released (from any thread) until nr_xsk_free(). nr_xsk_fd() is -1
 * afterwards. Calling it twice does nothing. */
void nr_xsk_shutdown (NrXsk *xsk);

/* Unmaps the UMEM and frees @xsk (shutting it down first if needed). Every
 * frame pointer into the UMEM becomes invalid. NULL is ignored. */
void nr_xsk_free (NrXsk *xsk);

/* nr_xsk_shutdown() and nr_xsk_free() at once. NULL is ignored. */
void nr_xsk_close (NrXsk *xsk);

int nr_xsk_fd (const NrXsk *xsk);
NrXskRings *nr_xsk_rings (NrXsk *xsk);
const NrXskInfo *nr_xsk_info (const NrXsk *xsk);

/* Wakes the kernel to fill RX (recvfrom, MSG_DONTWAIT) when the fill ring
 * asks for it (need_wakeup, zero-copy drivers). Returns 0 or -errno. */
int nr_xsk_rx_wakeup (NrXsk *xsk);

/* Makes the kernel send what is in the TX ring (F17). In copy mode one
 * sendto() sends at most a budget (32) of frames and returns EAGAIN when
 * more remain, so this loops: kick, reap completions, kick again, as long
 * as the kernel takes descriptors. Each round either consumes at least one
 * descriptor or counts as a stall, so it ends after at most (descriptors +
 * 2) rounds. An EBUSY (copy mode: the device dropped a frame) is counted in
 * tx_device_dropped and the loop goes on. In zero-copy mode one wake-up is
 * enough (the driver sends asynchronously) and none is made when the
 * driver did not ask for one.
 * Returns 0 when the kernel took every descriptor (or was woken), -EAGAIN
 * when it stopped taking them (device busy, send buffer full: poll for
 * POLLOUT, which in copy mode also drives sending, then kick again), or
 * another -errno (-ENETDOWN: interface down, -ENXIO: gone). */
int nr_xsk_tx_kick (NrXsk *xsk);

/* Kernel and library counters, 64-bit and cumulative; no side effects. */
typedef struct {
  guint64 rx_dropped;
  guint64 rx_invalid_descs;
  guint64 tx_invalid_descs;
  guint64 rx_ring_full;
  guint64 rx_fill_ring_empty_descs;
  guint64 tx_ring_empty_descs;
  NrXskCounters counters;
} NrXskStats;

int nr_xsk_get_stats (NrXsk *xsk, NrXskStats *stats);

/* Puts the socket in @map_fd (an XSKMAP) at its queue id, for
 * NR_XSK_PROGRAM_NONE. Returns 0 or -errno. */
int nr_xsk_map_insert (NrXsk *xsk, int map_fd);

/* Preferred busy polling: SO_PREFER_BUSY_POLL, SO_BUSY_POLL = @usecs,
 * SO_BUSY_POLL_BUDGET = @budget. Returns 0 or -errno (-EPERM: a budget or
 * time above the system limit needs CAP_NET_ADMIN). */
int nr_xsk_set_busy_poll (NrXsk *xsk, guint usecs, guint budget);

/* The number of RX and TX queues of @ifname in the caller's network
 * namespace: ETHTOOL_GCHANNELS (combined + rx, combined + tx); where the
 * driver has no channel count, the queues directory in sysfs when it
 * belongs to this namespace's interface; else 1. Returns 0 or -errno
 * (-ENODEV: no such interface). */
int nr_xsk_queue_count (const char *ifname, guint32 *rx_queues, guint32 *tx_queues);

G_END_DECLS
