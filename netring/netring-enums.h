/* netring-enums.h: enumerations and flags shared by the netring classes */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <glib-object.h>
#include <netring/netring-version-macros.h>

G_BEGIN_DECLS

/**
 * SECTION:netring-enums
 * @short_description: Enumerations used by netring
 * @title: Enumerations
 *
 * Ring presets, timestamp sources, packet directions and packet status flags.
 */

/**
 * NetringRingProfile:
 * @NETRING_RING_PROFILE_DEFAULT: 4 MiB blocks × 64 (256 MiB), 2048-byte
 *   frames, 60 ms block timeout. General purpose capture.
 * @NETRING_RING_PROFILE_HIGH_THROUGHPUT: 4 MiB blocks × 256 (1 GiB), 2048-byte
 *   frames, 60 ms. For multi-Mpps capture, usually with fanout.
 * @NETRING_RING_PROFILE_LOW_LATENCY: 256 KiB blocks × 64 (16 MiB), 2048-byte
 *   frames, 1 ms. Small blocks retire quickly; pair with busy polling.
 * @NETRING_RING_PROFILE_LOW_MEMORY: 1 MiB blocks × 16 (16 MiB), 2048-byte
 *   frames, 100 ms.
 * @NETRING_RING_PROFILE_JUMBO_FRAMES: 4 MiB blocks × 64 (256 MiB),
 *   65536-byte frames, 60 ms. For MTUs above 1500 and GRO super-frames.
 *
 * Ring geometry presets. Explicitly set #NetringCapture:block-size,
 * #NetringCapture:block-count, #NetringCapture:frame-size and
 * #NetringCapture:block-timeout-ms override the preset's value.
 */
typedef enum {
  NETRING_RING_PROFILE_DEFAULT,
  NETRING_RING_PROFILE_HIGH_THROUGHPUT,
  NETRING_RING_PROFILE_LOW_LATENCY,
  NETRING_RING_PROFILE_LOW_MEMORY,
  NETRING_RING_PROFILE_JUMBO_FRAMES,
} NetringRingProfile;

/**
 * NetringTimestampSource:
 * @NETRING_TIMESTAMP_SOURCE_SOFTWARE: the kernel's software receive timestamp
 * @NETRING_TIMESTAMP_SOURCE_SYS_HARDWARE: a hardware timestamp converted to
 *   system time by the driver (`SOF_TIMESTAMPING_SYS_HARDWARE`)
 * @NETRING_TIMESTAMP_SOURCE_RAW_HARDWARE: the raw hardware clock of the NIC
 *   (`SOF_TIMESTAMPING_RAW_HARDWARE`)
 *
 * Which clock the kernel should stamp received packets with. The kernel falls
 * back to software stamps where the driver has no hardware clock; each packet
 * reports the clock that really stamped it in its #NetringPacketStatus.
 */
typedef enum {
  NETRING_TIMESTAMP_SOURCE_SOFTWARE,
  NETRING_TIMESTAMP_SOURCE_SYS_HARDWARE,
  NETRING_TIMESTAMP_SOURCE_RAW_HARDWARE,
} NetringTimestampSource;

/**
 * NetringPacketDirection:
 * @NETRING_PACKET_DIRECTION_HOST: addressed to this host
 * @NETRING_PACKET_DIRECTION_BROADCAST: link-layer broadcast
 * @NETRING_PACKET_DIRECTION_MULTICAST: link-layer multicast
 * @NETRING_PACKET_DIRECTION_OTHER_HOST: addressed to another host (seen in
 *   promiscuous mode)
 * @NETRING_PACKET_DIRECTION_OUTGOING: sent by this host
 * @NETRING_PACKET_DIRECTION_LOOPBACK: looped back multicast or broadcast
 * @NETRING_PACKET_DIRECTION_UNKNOWN: a packet type this version does not know
 *
 * Where a captured packet was going, from the kernel's `sll_pkttype`.
 */
typedef enum {
  NETRING_PACKET_DIRECTION_HOST = 0,
  NETRING_PACKET_DIRECTION_BROADCAST = 1,
  NETRING_PACKET_DIRECTION_MULTICAST = 2,
  NETRING_PACKET_DIRECTION_OTHER_HOST = 3,
  NETRING_PACKET_DIRECTION_OUTGOING = 4,
  NETRING_PACKET_DIRECTION_LOOPBACK = 5,
  NETRING_PACKET_DIRECTION_UNKNOWN = 255,
} NetringPacketDirection;

/**
 * NetringPacketStatus:
 * @NETRING_PACKET_STATUS_NONE: no flag set
 * @NETRING_PACKET_STATUS_TRUNCATED: fewer bytes were captured than were on
 *   the wire (captured length < wire length)
 * @NETRING_PACKET_STATUS_LOSING: the kernel dropped packets on this socket
 *   since the statistics were last read (reported by the kernel per block,
 *   see netring_batch_get_losing())
 * @NETRING_PACKET_STATUS_CSUM_NOT_READY: the checksum is not computed yet
 *   (locally generated packets with checksum offload)
 * @NETRING_PACKET_STATUS_VLAN_VALID: the VLAN TCI is valid
 * @NETRING_PACKET_STATUS_VLAN_TPID_VALID: the VLAN TPID is valid
 * @NETRING_PACKET_STATUS_CSUM_VALID: the checksum was verified by hardware
 * @NETRING_PACKET_STATUS_GSO_TCP: a TCP segmentation-offload super-frame
 * @NETRING_PACKET_STATUS_TS_SOFTWARE: stamped by the kernel's software clock
 * @NETRING_PACKET_STATUS_TS_SYS_HARDWARE: stamped by hardware, converted to
 *   system time
 * @NETRING_PACKET_STATUS_TS_RAW_HARDWARE: stamped by the raw hardware clock
 *
 * Per-packet status, decoded from the kernel's `tp_status` (the bits keep the
 * kernel's values) plus the derived truncation flag.
 */
typedef enum /*< flags >*/ {
  NETRING_PACKET_STATUS_NONE = 0,
  NETRING_PACKET_STATUS_TRUNCATED = 1 << 1,
  NETRING_PACKET_STATUS_LOSING = 1 << 2,
  NETRING_PACKET_STATUS_CSUM_NOT_READY = 1 << 3,
  NETRING_PACKET_STATUS_VLAN_VALID = 1 << 4,
  NETRING_PACKET_STATUS_VLAN_TPID_VALID = 1 << 6,
  NETRING_PACKET_STATUS_CSUM_VALID = 1 << 7,
  NETRING_PACKET_STATUS_GSO_TCP = 1 << 8,
  NETRING_PACKET_STATUS_TS_SOFTWARE = 1 << 29,
  NETRING_PACKET_STATUS_TS_SYS_HARDWARE = 1 << 30,
  NETRING_PACKET_STATUS_TS_RAW_HARDWARE = (gint) (1u << 31),
} NetringPacketStatus;

G_END_DECLS
