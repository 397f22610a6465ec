/* bench-common.h: what the netring benchmarks share: a private network
 * namespace with one veth pair, CPU pinning and accounting, a hand-written
 * AF_PACKET TX ring generator and a hand-written TPACKET_V3 RX counter.
 *
 * None of this uses the library under test, so that the traffic source and
 * the arrival counter are the same code whatever is being measured. */
#pragma once

#include <glib.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>

G_BEGIN_DECLS

/* Exit status that tells meson (and people) that the benchmark skipped. */
#define BENCH_SKIP_STATUS 77

/* IEEE local experimental EtherType 1: nothing in the kernel handles it, so
 * a benchmark frame costs the stack nothing beyond the AF_PACKET taps. */
#define BENCH_ETHERTYPE 0x88b5

/* The CPUs the generator/sender and the receiver are pinned to. */
#define BENCH_CPU_SENDER 0
#define BENCH_CPU_RECEIVER 1

typedef struct {
  char tx_if[IF_NAMESIZE]; /* generator end */
  char rx_if[IF_NAMESIZE]; /* receiving end (device under test) */
  int tx_ifindex;
  int rx_ifindex;
  guint8 tx_mac[6];
  guint8 rx_mac[6];
} BenchNet;

/* Moves the process into its own network namespace (exits with 77 when that
 * is not permitted), turns IPv6 off so no autoconfiguration traffic shows
 * up, creates the veth pair with offloads off and brings it up. Call first
 * thing in main(), before any thread exists: the namespace is per thread and
 * only threads created afterwards inherit it. */
void bench_net_setup (BenchNet *net);

/* Adds a second veth pair @a ⇄ @b in the benchmark's namespace, offloads
 * off (when ethtool is there), both ends up and running. Exits on failure. */
void bench_net_add_pair (const char *a, const char *b);
/* The MAC address of interface @ifname. Exits on failure. */
void bench_iface_mac (const char *ifname, guint8 mac[6]);

/* Pins the calling thread to @cpu (a warning if that fails). */
void bench_pin_to_cpu (int cpu);

/* CPU time consumed by the calling thread (user + system), nanoseconds. */
gint64 bench_thread_cpu_ns (void);
/* CLOCK_MONOTONIC, nanoseconds. */
gint64 bench_now_ns (void);

/* Busy (non-idle) time of CPU 0 and CPU 1 from /proc/stat, nanoseconds;
 * resolution is one clock tick (usually 10 ms). */
void bench_cpu_busy_ns (gint64 busy[2]);

/* A link counter of IFNAME (rx_packets, tx_packets, rx_dropped or
 * tx_dropped; 32-bit, from netlink), 0 if unreadable. */
guint64 bench_iface_stat (const char *ifname, const char *counter);

/* Writes a @size-byte benchmark frame from @src to @dst (EtherType
 * BENCH_ETHERTYPE, a fixed payload pattern). */
void bench_frame_build (guint8 *frame, gsize size, const guint8 *dst, const guint8 *src);

/* Median of @n values; sorts @values in place. */
double bench_median (double *values, guint n);

/* A cross-thread "go" flag with a wait. */
typedef struct {
  GMutex lock;
  GCond cond;
  gboolean set;
} BenchLatch;

void bench_latch_init (BenchLatch *latch);
void bench_latch_clear (BenchLatch *latch);
void bench_latch_set (BenchLatch *latch);
void bench_latch_wait (BenchLatch *latch);

/* ---- hand-written TPACKET_V3 TX ring ------------------------------------ */

typedef struct {
  int fd;
  guint8 *map;
  gsize map_length;
  guint32 block_size;
  guint32 frames_per_block;
  guint32 frame_size;
  guint32 frame_count;
  guint32 cursor;
} BenchTxRing;

typedef struct {
  guint64 queued;     /* frames written into the ring */
  guint64 kicks;      /* sendto() calls */
  guint64 full_waits; /* times the ring was full and we had to wait */
  gint64 start_ns;
  gint64 end_ns;      /* when every slot had come back */
  gint64 cpu_ns;      /* sender thread CPU over the send */
} BenchTxResult;

/* Opens a TPACKET_V3 TX ring of @frame_count frames of @frame_size bytes on
 * @ifindex, with the same block geometry the library uses (block = the
 * larger of frame and page size, rounded to a power of two). */
gboolean bench_tx_ring_open (BenchTxRing *ring, int ifindex, guint frame_size,
                             guint frame_count, gboolean qdisc_bypass, GError **error);
void bench_tx_ring_close (BenchTxRing *ring);

/* Sends @count copies of @frame as fast as the ring allows: fills every
 * free slot, kicks once per filled batch with sendto(MSG_DONTWAIT), and when
 * the ring is full waits for a slot to come back. Returns when every frame
 * has left the ring. */
gboolean bench_tx_ring_send (BenchTxRing *ring, const guint8 *frame, gsize size,
                             guint64 count, BenchTxResult *result, GError **error);

/* ---- hand-written TPACKET_V3 RX counter -------------------------------- */

typedef struct {
  int fd;
  guint8 *map;
  gsize map_length;
  guint32 block_size;
  guint32 block_count;
  guint32 cursor;
  guint64 packets;      /* benchmark frames seen (EtherType BENCH_ETHERTYPE) */
  guint64 other;        /* anything else */
  gint64 first_ts_ns;   /* kernel receive time of the first / last frame */
  gint64 last_ts_ns;
} BenchRxRing;

gboolean bench_rx_ring_open (BenchRxRing *ring, int ifindex, guint block_size,
                             guint block_count, guint timeout_ms, GError **error);
void bench_rx_ring_close (BenchRxRing *ring);
/* Counts every ready block, waiting up to @timeout_ms for one when none is
 * ready. Returns FALSE with @error on a socket error. */
gboolean bench_rx_ring_poll (BenchRxRing *ring, int timeout_ms, GError **error);
/* Kernel drops (tp_drops) since the last call. */
guint64 bench_rx_ring_drops (BenchRxRing *ring);

/* The block at @ring's cursor when the kernel has handed it over; else
 * NULL after one poll() of at most @timeout_ms, so that the caller looks
 * at its stop condition and calls again. *@idle (may be NULL) says that
 * the poll() timed out with nothing ready. */
static inline struct tpacket_block_desc *
bench_rx_ring_wait_block (const BenchRxRing *ring, int timeout_ms, gboolean *idle)
{
  struct tpacket_block_desc *desc =
    (struct tpacket_block_desc *) (ring->map + (gsize) ring->cursor * ring->block_size);
  struct pollfd pfd = { .fd = ring->fd, .events = POLLIN };
  int ready;

  if (__atomic_load_n (&desc->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)
    return desc;
  ready = poll (&pfd, 1, timeout_ms);
  if (idle != NULL)
    *idle = ready == 0;
  return NULL;
}

/* Hands @desc, the block at the cursor, back to the kernel and moves on. */
static inline void
bench_rx_ring_release_block (BenchRxRing *ring, struct tpacket_block_desc *desc)
{
  __atomic_store_n (&desc->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  ring->cursor = (ring->cursor + 1) % ring->block_count;
}

G_END_DECLS
