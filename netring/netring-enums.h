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
 * Ring presets, timestamp sources, packet directions and packet status flags,
 * fanout modes, and the settings of AF_XDP sockets.
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

/**
 * NetringFanoutMode:
 * @NETRING_FANOUT_MODE_HASH: by flow: the kernel's symmetric hash of the
 *   addresses and ports, so both directions of a flow go to the same member
 *   (`PACKET_FANOUT_HASH`)
 * @NETRING_FANOUT_MODE_LB: round robin over the members (`PACKET_FANOUT_LB`)
 * @NETRING_FANOUT_MODE_CPU: by the CPU that received the packet: member
 *   `cpu % n` (`PACKET_FANOUT_CPU`); with RSS this follows the NIC's queues
 * @NETRING_FANOUT_MODE_ROLLOVER: fill one member, move to the next when its
 *   ring is full (`PACKET_FANOUT_ROLLOVER`)
 * @NETRING_FANOUT_MODE_RANDOM: a random member (`PACKET_FANOUT_RND`)
 * @NETRING_FANOUT_MODE_QM: by the NIC receive queue the packet came from:
 *   member `queue % n` (`PACKET_FANOUT_QM`)
 * @NETRING_FANOUT_MODE_CBPF: a classic BPF program returns the member index
 *   (`PACKET_FANOUT_CBPF`; see #NetringCapture:fanout-program)
 * @NETRING_FANOUT_MODE_EBPF: an eBPF program returns the member index
 *   (`PACKET_FANOUT_EBPF`; see #NetringCapture:fanout-ebpf-fd)
 *
 * How the kernel spreads the packets of an interface over the sockets of a
 * fanout group. The values are the kernel's.
 */
typedef enum {
  NETRING_FANOUT_MODE_HASH = 0,
  NETRING_FANOUT_MODE_LB = 1,
  NETRING_FANOUT_MODE_CPU = 2,
  NETRING_FANOUT_MODE_ROLLOVER = 3,
  NETRING_FANOUT_MODE_RANDOM = 4,
  NETRING_FANOUT_MODE_QM = 5,
  NETRING_FANOUT_MODE_CBPF = 6,
  NETRING_FANOUT_MODE_EBPF = 7,
} NetringFanoutMode;

/**
 * NetringFanoutFlags:
 * @NETRING_FANOUT_FLAGS_NONE: no flag
 * @NETRING_FANOUT_FLAGS_ROLLOVER: when the chosen member's ring is full, try
 *   the next one instead of dropping (`PACKET_FANOUT_FLAG_ROLLOVER`); breaks
 *   flow affinity under load
 * @NETRING_FANOUT_FLAGS_UNIQUE_ID: let the kernel choose an unused group id
 *   (`PACKET_FANOUT_FLAG_UNIQUEID`); the group id must then be 0 or unset,
 *   and #NetringCapture:fanout-group reads back the chosen id for the other
 *   members to join
 * @NETRING_FANOUT_FLAGS_IGNORE_OUTGOING: do not hand packets this host sends
 *   to the group (`PACKET_FANOUT_FLAG_IGNORE_OUTGOING`)
 * @NETRING_FANOUT_FLAGS_DEFRAG: reassemble IP fragments before choosing a
 *   member, so all fragments of a datagram go to the same one
 *   (`PACKET_FANOUT_FLAG_DEFRAG`)
 *
 * Fanout options. The values are the kernel's, as they appear in the upper
 * 16 bits of the `PACKET_FANOUT` argument together with the mode.
 */
typedef enum /*< flags >*/ {
  NETRING_FANOUT_FLAGS_NONE = 0,
  NETRING_FANOUT_FLAGS_ROLLOVER = 0x1000,
  NETRING_FANOUT_FLAGS_UNIQUE_ID = 0x2000,
  NETRING_FANOUT_FLAGS_IGNORE_OUTGOING = 0x4000,
  NETRING_FANOUT_FLAGS_DEFRAG = 0x8000,
} NetringFanoutFlags;

/**
 * NetringXdpMode:
 * @NETRING_XDP_MODE_RX: every frame of the UMEM receives; the socket has no
 *   TX ring and cannot send
 * @NETRING_XDP_MODE_TX: every frame sends; the socket has no RX ring, and
 *   no XDP program is loaded for it (the queue's traffic stays with the
 *   kernel)
 * @NETRING_XDP_MODE_RX_TX: the lower half of the frames receives, the upper
 *   half sends
 *
 * How the frames of a #NetringXdpSocket's UMEM are split between reception
 * and sending. The two pools are separate: reception never takes the frames
 * sending needs, and the other way round.
 */
typedef enum {
  NETRING_XDP_MODE_RX,
  NETRING_XDP_MODE_TX,
  NETRING_XDP_MODE_RX_TX,
} NetringXdpMode;

/**
 * NetringXdpAttachMode:
 * @NETRING_XDP_ATTACH_MODE_AUTO: native when the driver supports XDP, else
 *   generic (as a request); never read back
 * @NETRING_XDP_ATTACH_MODE_NATIVE: in the driver (`XDP_FLAGS_DRV_MODE`):
 *   the program sees a frame before the kernel allocates anything for it
 * @NETRING_XDP_ATTACH_MODE_GENERIC: in the kernel's generic receive path
 *   (`XDP_FLAGS_SKB_MODE`): works on every interface, slower
 * @NETRING_XDP_ATTACH_MODE_NONE: no redirect program of the socket runs
 *   (read back only: a socket in %NETRING_XDP_MODE_TX, or with
 *   #NetringXdpSocket:program set to %NETRING_XDP_PROGRAM_NONE)
 *
 * Where the XDP program that redirects received frames to an AF_XDP socket
 * runs. #NetringXdpSocket:attach-mode is the request,
 * #NetringXdpSocket:active-attach-mode what the socket got.
 */
typedef enum {
  NETRING_XDP_ATTACH_MODE_AUTO,
  NETRING_XDP_ATTACH_MODE_NATIVE,
  NETRING_XDP_ATTACH_MODE_GENERIC,
  NETRING_XDP_ATTACH_MODE_NONE,
} NetringXdpAttachMode;

/**
 * NetringXdpBindMode:
 * @NETRING_XDP_BIND_MODE_AUTO: zero-copy when the driver can, else copy
 *   (the kernel's choice)
 * @NETRING_XDP_BIND_MODE_COPY: the kernel copies every frame between the
 *   driver and the UMEM (`XDP_COPY`); works on every interface
 * @NETRING_XDP_BIND_MODE_ZERO_COPY: the driver uses the UMEM directly
 *   (`XDP_ZEROCOPY`); the socket fails with %NETRING_ERROR_NOT_SUPPORTED
 *   where the driver cannot
 *
 * How an AF_XDP socket moves frames. #NetringXdpSocket:zero-copy tells
 * which one the socket got.
 */
typedef enum {
  NETRING_XDP_BIND_MODE_AUTO,
  NETRING_XDP_BIND_MODE_COPY,
  NETRING_XDP_BIND_MODE_ZERO_COPY,
} NetringXdpBindMode;

/**
 * NetringXdpProgram:
 * @NETRING_XDP_PROGRAM_DEFAULT: libxdp's default redirect program
 *   (`xsk_def_prog`): loaded and attached when the interface runs none,
 *   shared with the other AF_XDP sockets (of any process using libxdp) when
 *   it runs already, and detached by the last socket that closes. An XDP
 *   program of someone else is left alone, and the socket fails with
 *   %NETRING_ERROR_XDP_PROGRAM naming it.
 * @NETRING_XDP_PROGRAM_NONE: no program: the application's own XDP program
 *   redirects to the socket, which it puts into its `XSKMAP` with
 *   netring_xdp_socket_add_to_xskmap()
 *
 * Which XDP program brings received frames to a #NetringXdpSocket.
 */
typedef enum {
  NETRING_XDP_PROGRAM_DEFAULT,
  NETRING_XDP_PROGRAM_NONE,
} NetringXdpProgram;

G_END_DECLS
