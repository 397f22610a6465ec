/* nr-afpacket.h: AF_PACKET kernel glue shared by capture and injection.
 * Plain C over the kernel's structures: no GObject, unit-testable. */
#pragma once

#include <glib.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

/* Layouts the ring code relies on (kernel uapi, checked at build time). */
G_STATIC_ASSERT (sizeof (struct tpacket_req3) == 28);
G_STATIC_ASSERT (sizeof (struct tpacket3_hdr) == 48);
G_STATIC_ASSERT (sizeof (struct tpacket_block_desc) == 48);
G_STATIC_ASSERT (sizeof (struct tpacket_stats_v3) == 12);
G_STATIC_ASSERT (offsetof (struct tpacket3_hdr, tp_status) == 20);
G_STATIC_ASSERT (offsetof (struct tpacket3_hdr, tp_len) == 16);
G_STATIC_ASSERT (TPACKET3_HDRLEN == 68);

/* Bits of tp_status that are defined for received packets and that
 * NetringPacketStatus mirrors with the same values. */
#define NR_TP_STATUS_PUBLIC_MASK                                                 \
  (TP_STATUS_LOSING | TP_STATUS_CSUMNOTREADY | TP_STATUS_VLAN_VALID |            \
   TP_STATUS_VLAN_TPID_VALID | TP_STATUS_CSUM_VALID | (1u << 8) /* GSO_TCP */ |  \
   TP_STATUS_TS_SOFTWARE | TP_STATUS_TS_SYS_HARDWARE | TP_STATUS_TS_RAW_HARDWARE)
#define NR_TP_STATUS_TRUNCATED (1u << 1)

/* Offset of packet data in a V3 TX frame when PACKET_TX_HAS_OFF is off:
 * TPACKET3_HDRLEN - sizeof (struct sockaddr_ll) = 48. */
#define NR_TX_DATA_OFFSET (TPACKET_ALIGN (sizeof (struct tpacket3_hdr)))

/* socket (AF_PACKET, SOCK_RAW, protocol 0): protocol 0 so the socket
 * receives nothing until it is bound (F6/F7). Returns -1 with errno set. */
int nr_afpacket_socket (void);

/* Maps a ring; tries MAP_LOCKED first and falls back to an unlocked mapping
 * when locking is not allowed (no CAP_IPC_LOCK / RLIMIT_MEMLOCK). *locked
 * tells which one worked. Returns MAP_FAILED with errno set on failure. */
void *nr_afpacket_mmap_ring (int fd, size_t length, gboolean *locked);

/* bind (fd, {AF_PACKET, htons (protocol), ifindex}). */
int nr_afpacket_bind (int fd, int ifindex, uint16_t protocol);

/* The kernel's SOF_TIMESTAMPING_* value for PACKET_TIMESTAMP (F8). */
int nr_timestamp_flags (int netring_timestamp_source);

/* ---- socket options and errors ------------------------------------------ */

/* Which kernel call failed, for the caller's error message: every step
 * below that can fail fills one and returns -errnum. */
typedef struct {
  const char *operation;  /* the call, untranslated: "setsockopt(PACKET_RX_RING)" */
  const char *capability; /* the capability it may need ("CAP_NET_ADMIN"), or NULL */
  int errnum;             /* positive errno value */
} NrAfpacketFailure;

#define NR_CAP_NET_RAW "CAP_NET_RAW"
#define NR_CAP_NET_ADMIN "CAP_NET_ADMIN"

/* setsockopt (@fd, @level, @name, &@value, sizeof (int)). Returns 0 or
 * -errno. The one place every integer option is set. */
int nr_afpacket_set_int_option (int fd, int level, int name, int value);

/* getsockopt of an integer option into *@value. Returns 0 or -errno. */
int nr_afpacket_get_int_option (int fd, int level, int name, int *value);

/* Reads and clears the socket's pending error (SO_ERROR), which poll()
 * reports as POLLERR until it is read (an interface that went down or was
 * removed: ENETDOWN, ENODEV, ENXIO). Returns 0 when there is none, else
 * the positive errno value (getsockopt's own errno if reading failed).
 * The one SO_ERROR reader of the library. */
int nr_afpacket_take_socket_error (int fd);

/* setsockopt (@fd, @level, @optname, sock_fprog {@n_insns, @insns}): a
 * classic BPF program as SO_ATTACH_FILTER or PACKET_FANOUT_DATA. */
int nr_afpacket_set_filter_option (int fd, int level, int optname,
                                   const struct sock_filter *insns, size_t n_insns);

/* The link type of interface @ifname as the kernel of @fd's network
 * namespace sees it: ifr_hwaddr.sa_family of SIOCGIFHWADDR, an ARPHRD_*
 * value (ARPHRD_ETHER 1, ARPHRD_LOOPBACK 772, ARPHRD_NONE 65534 for tun,
 * …). Unlike /sys/class/net, which shows the namespace sysfs was mounted
 * in, this is right after setns() and unshare(). Returns the type (>= 0)
 * or -errno. */
int nr_afpacket_link_type (int fd, const char *ifname);

/* Whether frames of ARPHRD type @arphrd start with an Ethernet header, so
 * that a pcap filter for DLT_EN10MB applies to them as captured. */
gboolean nr_afpacket_link_type_is_ethernet (int arphrd);

/* A short name for common ARPHRD types ("ether", "none", "ipip", …), for
 * messages; "unknown" otherwise. */
const char *nr_afpacket_link_type_name (int arphrd);

/* ---- RX ring geometry: the kernel's rules, in one place ----------------- */

/* A frame slot is aligned to TPACKET_ALIGNMENT and holds at least the V3
 * header (tpacket3_hdr + sockaddr_ll). */
#define NR_RX_FRAME_ALIGNMENT TPACKET_ALIGNMENT
#define NR_RX_MIN_FRAME_SIZE TPACKET3_HDRLEN
/* The kernel refuses a block size that is not positive as an int: the
 * largest power of two it accepts is 1 GiB. */
#define NR_RX_MAX_BLOCK_SIZE (1u << 30)
/* The kernel numbers the block it fills in 16 bits (kactive_blk_num): with
 * more blocks it wraps early and the walk stalls on a block it never fills. */
#define NR_RX_MAX_BLOCK_COUNT 65536u
/* The kernel keeps the block timeout in 16 bits (retire_blk_tov) and would
 * silently truncate a larger one. */
#define NR_RX_MAX_BLOCK_TIMEOUT_MS 65535u

typedef struct {
  uint32_t block_size;       /* bytes per block */
  uint32_t block_count;      /* blocks in the ring */
  uint32_t frame_size;       /* nominal frame size (V3 packs packets whatever it is) */
  uint32_t block_timeout_ms; /* 0 = the kernel's default */
} NrRxGeometry;

/* The first rule a geometry breaks, in the order they are checked. */
typedef enum {
  NR_RX_GEOMETRY_OK,
  NR_RX_BLOCK_SIZE_NOT_POWER_OF_TWO, /* or not a multiple of the page size */
  NR_RX_BLOCK_SIZE_TOO_LARGE,        /* above NR_RX_MAX_BLOCK_SIZE */
  NR_RX_FRAME_SIZE_MISALIGNED,       /* not a multiple of NR_RX_FRAME_ALIGNMENT */
  NR_RX_FRAME_SIZE_TOO_SMALL,        /* below NR_RX_MIN_FRAME_SIZE */
  NR_RX_FRAME_SIZE_ABOVE_BLOCK,      /* larger than the block */
  NR_RX_BLOCK_COUNT_ZERO,
  NR_RX_BLOCK_COUNT_TOO_LARGE,       /* above NR_RX_MAX_BLOCK_COUNT */
  NR_RX_FRAME_COUNT_TOO_LARGE,       /* frames per block × blocks above 2^32 - 1 */
  NR_RX_BLOCK_TIMEOUT_TOO_LARGE,     /* above NR_RX_MAX_BLOCK_TIMEOUT_MS */
} NrRxGeometryRule;

/* Checks @geometry against every rule the kernel applies to a TPACKET_V3
 * RX ring (plus: blocks are powers of two, as the kernel allocates them in
 * power-of-two pages anyway), so that nothing reaches setsockopt() that it
 * would refuse with a bare EINVAL. */
NrRxGeometryRule nr_rx_geometry_check (const NrRxGeometry *geometry, size_t page_size);

/* block_size × block_count: the bytes the ring takes. */
uint64_t nr_rx_geometry_ring_bytes (const NrRxGeometry *geometry);

/* The tpacket_req3 for PACKET_RX_RING. */
void nr_rx_geometry_to_req (const NrRxGeometry *geometry, gboolean fill_rxhash,
                            struct tpacket_req3 *req);

/* When the kernel is short of memory, the next smaller block count to try:
 * 3/4 of @current each time, never below a quarter of @asked (at least 1).
 * Returns 0 when there is nothing smaller left to try. */
uint32_t nr_rx_geometry_retry_count (uint32_t asked, uint32_t current);

/* ---- the RX open sequence (F6, F7) -------------------------------------- */

/* Socket → TPACKET_V3 → ring → mmap → [filter] → bind (ETH_P_ALL) →
 * options → [fanout]. Each step is its own call so that the order is
 * visible and a test can stop between any two. The socket has protocol 0,
 * so it receives nothing at all until the bind step: no frame of another
 * interface can land in the ring before it is bound to its own. */
typedef struct {
  int fd;              /* -1 before nr_afpacket_rx_open () */
  uint8_t *map;        /* NULL before nr_afpacket_rx_map () */
  size_t map_length;
  gboolean map_locked; /* MAP_LOCKED worked */
  NrRxGeometry geometry; /* what the ring was set up with */
} NrRxSocket;

typedef struct {
  int ifindex;          /* for the promiscuous membership */
  gboolean promiscuous;
  gboolean ignore_outgoing;
  int busy_poll_us;     /* 0: leave the socket's default */
  int rcvbuf;           /* 0: leave the socket's default */
  gboolean rcvbuf_force;
  int timestamp_flags;  /* SOF_TIMESTAMPING_* for PACKET_TIMESTAMP, 0: leave */
} NrRxOptions;

void nr_afpacket_rx_init (NrRxSocket *rx);
/* 1. socket (AF_PACKET, SOCK_RAW, 0) */
int nr_afpacket_rx_open (NrRxSocket *rx, NrAfpacketFailure *failure);
/* 2. PACKET_VERSION = TPACKET_V3 */
int nr_afpacket_rx_set_version (NrRxSocket *rx, NrAfpacketFailure *failure);
/* 3. PACKET_RX_RING (the geometry must pass nr_rx_geometry_check ()) */
int nr_afpacket_rx_set_ring (NrRxSocket *rx, const NrRxGeometry *geometry, gboolean fill_rxhash,
                             NrAfpacketFailure *failure);
/* 4. mmap the ring */
int nr_afpacket_rx_map (NrRxSocket *rx, NrAfpacketFailure *failure);
/* Undoes 3 and 4 so that 3 can be retried with another geometry. */
int nr_afpacket_rx_release_ring (NrRxSocket *rx, NrAfpacketFailure *failure);
/* 5. the filter: nr_afpacket_set_filter_option (rx->fd, SOL_SOCKET,
 *    SO_ATTACH_FILTER, …), by the caller, which owns the program. */
/* 6. bind (ETH_P_ALL, @ifindex) */
int nr_afpacket_rx_bind (NrRxSocket *rx, int ifindex, NrAfpacketFailure *failure);
/* 7. the options, in a fixed order: promiscuous membership,
 *    PACKET_IGNORE_OUTGOING, SO_BUSY_POLL, SO_RCVBUF(FORCE), PACKET_TIMESTAMP */
int nr_afpacket_rx_set_options (NrRxSocket *rx, const NrRxOptions *options,
                                NrAfpacketFailure *failure);
/* Unmaps (before closing, as the kernel expects) and closes. */
void nr_afpacket_rx_close (NrRxSocket *rx);

/* ---- fanout ------------------------------------------------------------- */

/* The PACKET_FANOUT argument: group id in the low 16 bits, mode | flags in
 * the high 16 (the flags are the PACKET_FANOUT_FLAG_* bits 0x1000-0x8000). */
static inline uint32_t
nr_afpacket_fanout_arg (uint16_t group_id, uint16_t mode, uint16_t flags)
{
  return (uint32_t) group_id | ((uint32_t) (mode | flags) << 16);
}
static inline uint16_t
nr_afpacket_fanout_arg_id (uint32_t arg)
{
  return (uint16_t) (arg & 0xffff);
}

/* 8. Joins the group of @arg (the socket must be bound: the kernel only
 *    lets a running socket join). *@joined_arg reads back the group as the
 *    kernel has it (with a unique id, the id it chose). */
int nr_afpacket_fanout_join (int fd, uint32_t arg, uint32_t *joined_arg,
                             NrAfpacketFailure *failure);
/* The socket's group (getsockopt PACKET_FANOUT): *@arg is 0 when it is in
 * none. Returns 0 or -errno. */
int nr_afpacket_fanout_query (int fd, uint32_t *arg);

/* ---- statistics --------------------------------------------------------- */

/* 64-bit sums of the kernel's 32-bit, reset-on-read counters (F5). */
typedef struct {
  uint64_t packets;
  uint64_t drops;
  uint64_t freezes;
} NrAfpacketStats;

/* Adds one PACKET_STATISTICS reading to @sum. */
void nr_afpacket_stats_add (NrAfpacketStats *sum, const struct tpacket_stats_v3 *reading);
/* Reads PACKET_STATISTICS (which resets the kernel's counters) into @sum.
 * Returns 0 or -errno. */
int nr_afpacket_read_stats (int fd, NrAfpacketStats *sum);

/* Makes the socket drop every packet from now on (a one-instruction
 * `ret 0` filter). bind() cannot unbind a packet socket (protocol 0 keeps
 * the old protocol, ifindex 0 means every interface), so this is how a
 * closed capture whose ring is still mapped by a held batch stops the
 * kernel from writing into it. Returns 0, or -errno. */
int nr_afpacket_rx_drop_all (int fd);

/* --- transmit --- */

/* The interface's MTU (SIOCGIFMTU) and link type (nr_afpacket_link_type()),
 * asked through @fd so that the answer is the one of the socket's own
 * network namespace (never sysfs, which shows the namespace it was mounted
 * in). Returns 0 or -errno. */
int nr_afpacket_link_query (int fd, const char *ifname, guint32 *mtu, guint16 *arphrd);

/* The link-layer header the kernel puts before the MTU's worth of payload
 * for a link type (the device's hard_header_len): 14 for Ethernet and
 * loopback, 0 for ARPHRD_NONE (tun, WireGuard), -1 when not known here. */
int nr_afpacket_link_header_length (guint16 arphrd);

/* What a TX ring socket is opened with. */
typedef struct {
  int adopt_fd;         /* a socket that passed nr_afpacket_validate_fd () to
                         * set up instead of opening one (owned from the call
                         * on, closed on failure too), or -1 */
  int ifindex;
  guint32 frame_size;
  guint32 block_size;
  guint32 block_count;
  guint32 frame_count;
  gboolean qdisc_bypass;
} NrTxOpenParams;

/* Send-buffer bytes per ring frame (the kernel doubles the value set).
 * POLLOUT on a TX-ring socket is "the kernel's head slot is free" OR "less
 * than half the send buffer is used" (datagram_poll), and every frame in
 * flight is charged to the send buffer at its truesize: the frame plus
 * ~770 bytes of skb (never less than ~580). With 2 × 512 bytes per frame:
 * - a ring that is full always uses more than half the buffer (each frame
 *   costs more than 512), so POLLOUT then really means that frames came
 *   back, and a waiting send wakes up on completions instead of spinning;
 * - a whole ring of frames up to ~250 bytes fits in flight; with larger
 *   frames the kernel takes part of the ring per kick (EAGAIN, the frames
 *   stay queued) and POLLOUT wakes the sender to kick again once half the
 *   buffer has drained. For a default ring that is about the kernel's
 *   default send buffer. */
#define NR_TX_SNDBUF_PER_FRAME 512

/* What nr_afpacket_tx_open() made. */
typedef struct {
  int fd;
  uint8_t *map;
  size_t map_length;
  gboolean locked;      /* the ring is MAP_LOCKED */
  gboolean sndbuf_set;  /* SO_SNDBUF(FORCE) took the value */
} NrTxSocket;

/* Opens a TX-only ring socket, in the order the kernel needs (F6/F7), with
 * the steps of the RX sequence above: socket with protocol 0 (nothing is
 * ever queued for reception), TPACKET_V3, PACKET_TX_RING (no PACKET_LOSS: a
 * refused frame must stay visible at the kernel's head, see nr-tx-ring.h),
 * mmap, PACKET_QDISC_BYPASS if asked, bind to the interface with protocol
 * 0, then the send buffer sized NR_TX_SNDBUF_PER_FRAME per frame (best
 * effort: SO_SNDBUFFORCE, else SO_SNDBUF capped by net.core.wmem_max).
 * Returns 0, or -errno with @failure naming the call and nothing left
 * open. */
int nr_afpacket_tx_open (const NrTxOpenParams *params, NrTxSocket *sock,
                         NrAfpacketFailure *failure);

/* Unmaps the ring and closes the socket; safe on a closed one. */
void nr_afpacket_tx_close (NrTxSocket *sock);

/* ---- sockets opened elsewhere (privilege separation) -------------------- */

/* What an fd handed over by a privileged helper must be before the capture
 * or injector sequence above continues on it in place of its step 1: an
 * AF_PACKET socket of type SOCK_RAW (socket (AF_PACKET, SOCK_RAW, 0) is
 * the one call that needs CAP_NET_RAW) with no ring yet (every later step
 * is done by the process that adopts it, which needs no capability for
 * them) and in no fanout group. The first rule broken, in this order. */
typedef enum {
  NR_AFPACKET_FD_OK,
  NR_AFPACKET_FD_NOT_OPEN,      /* not an open file descriptor (EBADF) */
  NR_AFPACKET_FD_NOT_A_SOCKET,  /* a file, a pipe, a device */
  NR_AFPACKET_FD_WRONG_FAMILY,  /* a socket of another family */
  NR_AFPACKET_FD_WRONG_TYPE,    /* AF_PACKET, but SOCK_DGRAM or SOCK_PACKET */
  NR_AFPACKET_FD_HAS_RING,      /* an RX or TX ring is set up already */
  NR_AFPACKET_FD_IN_FANOUT,     /* a member of a fanout group already */
} NrAfpacketFdRule;

/* Checks @fd against the rules above without changing anything the socket
 * has: the ring probe sets PACKET_VERSION to the value it has, which the
 * kernel refuses with EBUSY exactly when a ring exists. *@family and *@type
 * (either may be NULL) read back what the fd is (-1 when not a socket).
 * The first getsockopt() that fails for another reason than the ones the
 * rules name is reported as NR_AFPACKET_FD_NOT_A_SOCKET with *@errnum set
 * (0 otherwise). */
NrAfpacketFdRule nr_afpacket_validate_fd (int fd, int *family, int *type, int *errnum);

/* The name of a socket family ("AF_INET") or type ("SOCK_DGRAM") for
 * messages, or NULL when it is none this file knows. */
const char *nr_socket_family_name (int family);
const char *nr_socket_type_name (int type);

/* Step 1 of the RX sequence for an fd that passed nr_afpacket_validate_fd():
 * @rx owns it from now on (nr_afpacket_rx_close () closes it), and it is
 * made close-on-exec like the sockets this file opens. */
void nr_afpacket_rx_adopt (NrRxSocket *rx, int fd);

G_END_DECLS
