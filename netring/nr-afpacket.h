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

G_END_DECLS
