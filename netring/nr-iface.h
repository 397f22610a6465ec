/* nr-iface.h: what the kernel says about a network interface, plain C (no
 * GObject).
 *
 * Every value comes from the kernel through sockets created in the calling
 * thread's network namespace: interface ioctls (index, MTU, flags, link
 * type), ethtool ioctls (speed, duplex, driver, channels) and one rtnetlink
 * RTM_GETLINK request (operational state, carrier, promiscuity, address,
 * queue counts, link kind, XDP program). Never sysfs: /sys/class/net shows
 * the namespace sysfs was mounted in, which after setns() or
 * unshare(CLONE_NEWNET) is not the caller's. */
#pragma once

#include <glib.h>
#include <net/if.h>

G_BEGIN_DECLS

/* Speed and duplex the driver does not report (or reports as unknown). */
#define NR_IFACE_SPEED_UNKNOWN (-1)

typedef enum {
  NR_IFACE_DUPLEX_UNKNOWN = -1,
  NR_IFACE_DUPLEX_HALF = 0, /* DUPLEX_HALF */
  NR_IFACE_DUPLEX_FULL = 1, /* DUPLEX_FULL */
} NrIfaceDuplex;

/* The ring geometry presets, with the values of NetringRingProfile. */
typedef enum {
  NR_IFACE_PROFILE_DEFAULT = 0,
  NR_IFACE_PROFILE_HIGH_THROUGHPUT = 1,
  NR_IFACE_PROFILE_LOW_LATENCY = 2,
  NR_IFACE_PROFILE_LOW_MEMORY = 3,
  NR_IFACE_PROFILE_JUMBO_FRAMES = 4,
} NrIfaceProfile;

/* No pcap link type for this ARPHRD type on a SOCK_RAW packet socket. */
#define NR_IFACE_LINKTYPE_UNSUPPORTED (-1)

#define NR_IFACE_ADDR_MAX 32 /* the kernel's MAX_ADDR_LEN */

typedef struct {
  char name[IF_NAMESIZE];
  int index;
  guint32 mtu;
  /* IFF_* flags, all 32 bits, from the rtnetlink message that also gives
   * the operational state and the carrier, so that the three agree. */
  guint32 flags;
  guint16 arphrd;                 /* link type, ARPHRD_* */
  guint8 address[NR_IFACE_ADDR_MAX];
  guint address_length;           /* 0: the device has no link-layer address */
  guint8 operstate;               /* IF_OPER_* (RFC 2863) */
  gboolean carrier;
  guint32 promiscuity;            /* how many users asked for promiscuous mode */
  int link_index;                 /* the lower device (VLAN, veth peer), 0 = none */
  char kind[32];                  /* rtnetlink link kind ("veth", "vlan"), "" = none */
  int speed_mbps;                 /* NR_IFACE_SPEED_UNKNOWN when not reported */
  NrIfaceDuplex duplex;
  char driver[32];                /* ETHTOOL_GDRVINFO; "" = not reported */
  char bus_info[32];              /* ETHTOOL_GDRVINFO; "" = not reported */
  guint32 num_rx_queues;          /* the device's queues (rtnetlink), 0 = not reported */
  guint32 num_tx_queues;
  /* ETHTOOL_GCHANNELS; all 0 and channels_known FALSE when not supported */
  gboolean channels_known;
  guint32 rx_channels, tx_channels, combined_channels, other_channels;
  guint32 max_rx_channels, max_tx_channels, max_combined_channels, max_other_channels;
  /* XDP: XDP_ATTACHED_NONE/DRV/SKB/HW/MULTI, the program's id (0 with
   * MULTI), and the id per attach mode (0 = none in that mode) */
  guint8 xdp_attached;
  guint32 xdp_prog_id;
  guint32 xdp_drv_prog_id, xdp_skb_prog_id, xdp_hw_prog_id;
} NrIfaceInfo;

/* Fills @info for interface @name in the calling thread's network
 * namespace. Returns 0, or -errno: -EINVAL for a NULL or empty name, -ENODEV
 * when there is no such interface (also for a name longer than
 * IF_NAMESIZE - 1, which cannot exist), or the error of the socket,
 * interface ioctl or rtnetlink request that failed. Ethtool requests a
 * driver does not support leave their fields unknown. */
int nr_iface_query (const char *name, NrIfaceInfo *info);

/* The same for interface index @ifindex (the name is looked up first). */
int nr_iface_query_index (int ifindex, NrIfaceInfo *info);

/* Parses one datagram (@size bytes at @buf, 4-byte aligned) of the
 * kernel's answer to an RTM_GETLINK request with sequence number @seq for
 * interface info->index, into @info. Returns 1 when it held the answer
 * (RTM_NEWLINK), the negative errno of an NLMSG_ERROR (-EBADMSG when that is
 * cut short or not negative), or 0 when it held neither: the answer is in a
 * later datagram. Pure (no system call), reads only [buf, buf + size): the
 * part of nr_iface_query() that is fuzzed. */
int nr_iface_parse_link_reply (const void *buf, gsize size, guint32 seq, NrIfaceInfo *info);

/* The pcap LINKTYPE_* value (as written in files) for frames of ARPHRD type
 * @arphrd read from a SOCK_RAW packet socket, as libpcap maps them
 * (ARPHRD_ETHER and ARPHRD_LOOPBACK → LINKTYPE_ETHERNET, tunnels → RAW, …),
 * or NR_IFACE_LINKTYPE_UNSUPPORTED for types libpcap only captures in
 * cooked mode (SOCK_DGRAM) or does not know. */
int nr_iface_linktype_for_arphrd (guint16 arphrd);

/* The seed's profile suggestion, with F15 fixed: a loopback device is not
 * "jumbo" (its 64 KiB MTU is not a link's frame size), an MTU above 1500
 * is; then by speed: unknown → DEFAULT, >= 10000 Mb/s → HIGH_THROUGHPUT,
 * >= 1000 → DEFAULT, below → LOW_MEMORY. */
NrIfaceProfile nr_iface_suggest_profile (const NrIfaceInfo *info);

/* The number of RX queues the device spreads traffic over: the ethtool
 * channels (rx + combined) when known and not 0, otherwise the device's
 * RX queue count, at least 1. */
guint32 nr_iface_rx_queue_count (const NrIfaceInfo *info);

/* The seed's fanout suggestion: MAX (1, MIN (RX queues, @n_cpus)). */
guint32 nr_iface_suggest_fanout_threads (const NrIfaceInfo *info, guint32 n_cpus);

G_END_DECLS
