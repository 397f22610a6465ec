/* nr-afpacket.h: AF_PACKET kernel glue shared by capture and injection.
 * Plain C over the kernel's structures: no GObject, unit-testable. */
#pragma once

#include <glib.h>
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

/* --- transmit --- */

/* setsockopt (fd, level, name, &value, sizeof value): 0 or -errno. */
int nr_afpacket_tx_set_int (int fd, int level, int name, int value);

/* Reads and clears the socket's pending error (SO_ERROR), which poll()
 * reports as POLLERR until it is read: 0 when there is none, otherwise the
 * errno value (the one getsockopt() itself failed with, if it did). */
int nr_afpacket_tx_socket_error (int fd);

/* The interface's MTU (SIOCGIFMTU) and link type (SIOCGIFHWADDR: an
 * ARPHRD_* value), asked through @fd so that the answer is the one of the
 * socket's own network namespace (never sysfs, which shows the namespace
 * it was mounted in). Returns 0 or -errno. */
int nr_afpacket_link_query (int fd, const char *ifname, guint32 *mtu, guint16 *arphrd);

/* The link-layer header the kernel puts before the MTU's worth of payload
 * for a link type (the device's hard_header_len): 14 for Ethernet and
 * loopback, 0 for ARPHRD_NONE (tun, WireGuard), -1 when not known here. */
int nr_afpacket_link_header_length (guint16 arphrd);

/* What a TX ring socket is opened with. */
typedef struct {
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
  guint8 *map;
  gsize map_length;
  gboolean locked;      /* the ring is MAP_LOCKED */
  gboolean sndbuf_set;  /* SO_SNDBUF(FORCE) took the value */
  const char *failed;   /* on failure: the call that failed, e.g. "mmap(PACKET_TX_RING)" */
} NrTxSocket;

/* Opens a TX-only ring socket, in the order the kernel needs (F6/F7):
 * socket with protocol 0 (nothing is ever queued for reception), TPACKET_V3,
 * PACKET_TX_RING (no PACKET_LOSS: a refused frame must stay visible at the
 * kernel's head, see nr-tx-ring.h), mmap, PACKET_QDISC_BYPASS if asked,
 * bind to the interface with protocol 0, then the send buffer sized
 * NR_TX_SNDBUF_PER_FRAME per frame (best effort: SO_SNDBUFFORCE, else
 * SO_SNDBUF capped by net.core.wmem_max).
 * Returns 0, or -errno with @sock->failed naming the call and nothing left
 * open. */
int nr_afpacket_tx_open (const NrTxOpenParams *params, NrTxSocket *sock);

/* Unmaps the ring and closes the socket; safe on a closed one. */
void nr_afpacket_tx_close (NrTxSocket *sock);

/* The ring memory rule: what the machine can give a ring right now, the
 * smaller of MemAvailable (/proc/meminfo) and what the process's memory
 * cgroup still allows (limit minus usage, on every level up to the root;
 * cgroup v2 memory.max/memory.current or v1
 * memory.limit_in_bytes/memory.usage_in_bytes). Returns 0 with *@bytes set
 * and *@cgroup telling whether the cgroup was the smaller one, or -errno
 * when neither could be read (no limit known). */
int nr_memory_ring_limit (guint64 *bytes, gboolean *cgroup);

/* The parsers behind it, for the unit tests: "MemAvailable:  123 kB" in
 * /proc/meminfo text; the memory cgroup's path in /proc/self/cgroup text
 * (the v1 "N:…memory…:/path" line, or the v2 "0::/path" one; free with
 * g_free); a cgroup file holding a byte count or "max". */
gboolean nr_parse_meminfo_available (const char *text, guint64 *bytes);
gchar *nr_parse_cgroup_path (const char *text, gboolean v2);
gboolean nr_parse_cgroup_bytes (const char *text, guint64 *bytes);

G_END_DECLS
