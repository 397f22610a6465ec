/* nr-iface.c: interface information from ioctls and rtnetlink, never sysfs */
#include "config.h"

#include "nr-iface.h"

#include "nr-pcap.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
/* after <net/if.h>: the uapi headers then leave glibc's definitions alone */
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

/* LAPD over ISDN (mISDN); libpcap knows it, the uapi headers do not */
#ifndef ARPHRD_LAPD
#define ARPHRD_LAPD 8445
#endif

static void
set_ifr_name (struct ifreq *ifr, const char *name)
{
  memset (ifr, 0, sizeof *ifr);
  g_strlcpy (ifr->ifr_name, name, sizeof ifr->ifr_name);
}

static int
ioctl_or_errno (int fd, unsigned long request, struct ifreq *ifr)
{
  int r;

  do
    r = ioctl (fd, request, ifr);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : 0;
}

static int
ethtool (int fd, const char *name, void *cmd)
{
  struct ifreq ifr;

  set_ifr_name (&ifr, name);
  ifr.ifr_data = cmd;
  return ioctl_or_errno (fd, SIOCETHTOOL, &ifr);
}

/* 0 and values above INT_MAX (SPEED_UNKNOWN among them) are not speeds. */
static int
speed_or_unknown (guint32 speed)
{
  if (speed == 0 || speed > G_MAXINT)
    return NR_IFACE_SPEED_UNKNOWN;
  return (int) speed;
}

static NrIfaceDuplex
duplex_or_unknown (guint8 duplex)
{
  switch (duplex)
    {
    case DUPLEX_HALF:
      return NR_IFACE_DUPLEX_HALF;
    case DUPLEX_FULL:
      return NR_IFACE_DUPLEX_FULL;
    default:
      return NR_IFACE_DUPLEX_UNKNOWN;
    }
}

/* Speed and duplex: ETHTOOL_GLINKSETTINGS (with its handshake on the
 * number of link-mode words), or the older ETHTOOL_GSET. Only a vanished
 * device is an error; anything else leaves both unknown. */
static int
query_link_settings (int fd, const char *name, NrIfaceInfo *info)
{
  /* The request and room for its flexible link_mode_masks[] behind it: 3
   * masks of at most 127 words (s8 nwords). A union, because a struct that
   * ends in a flexible array cannot be followed by another member in ISO
   * C (GCC allows it as an extension, clang warns). */
  union {
    struct ethtool_link_settings req;
    guint8 bytes[sizeof (struct ethtool_link_settings) + 3 * 127 * sizeof (guint32)];
  } ls;
  struct ethtool_cmd cmd;
  int r;

  memset (&ls, 0, sizeof ls);
  ls.req.cmd = ETHTOOL_GLINKSETTINGS;
  r = ethtool (fd, name, &ls);
  if (r == 0 && ls.req.link_mode_masks_nwords < 0 && ls.req.cmd == ETHTOOL_GLINKSETTINGS)
    {
      gint8 nwords = (gint8) -ls.req.link_mode_masks_nwords;

      memset (&ls, 0, sizeof ls);
      ls.req.cmd = ETHTOOL_GLINKSETTINGS;
      ls.req.link_mode_masks_nwords = nwords;
      r = ethtool (fd, name, &ls);
      if (r == 0 && ls.req.link_mode_masks_nwords == nwords)
        {
          info->speed_mbps = speed_or_unknown (ls.req.speed);
          info->duplex = duplex_or_unknown (ls.req.duplex);
          return 0;
        }
    }
  if (r == -ENODEV)
    return r;

  memset (&cmd, 0, sizeof cmd);
  cmd.cmd = ETHTOOL_GSET;
  r = ethtool (fd, name, &cmd);
  if (r == 0)
    {
      info->speed_mbps = speed_or_unknown (ethtool_cmd_speed (&cmd));
      info->duplex = duplex_or_unknown (cmd.duplex);
    }
  return r == -ENODEV ? r : 0;
}

static int
query_ethtool (int fd, const char *name, NrIfaceInfo *info)
{
  struct ethtool_drvinfo drv;
  struct ethtool_channels ch;
  int r;

  r = query_link_settings (fd, name, info);
  if (r < 0)
    return r;

  memset (&drv, 0, sizeof drv);
  drv.cmd = ETHTOOL_GDRVINFO;
  r = ethtool (fd, name, &drv);
  if (r == -ENODEV)
    return r;
  if (r == 0)
    {
      /* the kernel's strings are NUL-terminated; do not rely on it */
      memcpy (info->driver, drv.driver, MIN (sizeof info->driver, sizeof drv.driver));
      info->driver[sizeof info->driver - 1] = '\0';
      memcpy (info->bus_info, drv.bus_info, MIN (sizeof info->bus_info, sizeof drv.bus_info));
      info->bus_info[sizeof info->bus_info - 1] = '\0';
    }

  memset (&ch, 0, sizeof ch);
  ch.cmd = ETHTOOL_GCHANNELS;
  r = ethtool (fd, name, &ch);
  if (r == -ENODEV)
    return r;
  if (r == 0)
    {
      info->channels_known = TRUE;
      info->rx_channels = ch.rx_count;
      info->tx_channels = ch.tx_count;
      info->combined_channels = ch.combined_count;
      info->other_channels = ch.other_count;
      info->max_rx_channels = ch.max_rx;
      info->max_tx_channels = ch.max_tx;
      info->max_combined_channels = ch.max_combined;
      info->max_other_channels = ch.max_other;
    }
  return 0;
}

static guint32
rta_u32 (const struct rtattr *rta)
{
  guint32 v = 0;

  if (RTA_PAYLOAD (rta) >= sizeof v)
    memcpy (&v, RTA_DATA (rta), sizeof v);
  return v;
}

static guint8
rta_u8 (const struct rtattr *rta)
{
  return RTA_PAYLOAD (rta) >= 1 ? *(const guint8 *) RTA_DATA (rta) : 0;
}

static void
parse_xdp (const struct rtattr *nest, NrIfaceInfo *info)
{
  const struct rtattr *rta;
  int len = (int) RTA_PAYLOAD (nest);

  for (rta = RTA_DATA (nest); RTA_OK (rta, len); rta = RTA_NEXT (rta, len))
    {
      switch (rta->rta_type)
        {
        case IFLA_XDP_ATTACHED:
          info->xdp_attached = rta_u8 (rta);
          break;
        case IFLA_XDP_PROG_ID:
          info->xdp_prog_id = rta_u32 (rta);
          break;
        case IFLA_XDP_DRV_PROG_ID:
          info->xdp_drv_prog_id = rta_u32 (rta);
          break;
        case IFLA_XDP_SKB_PROG_ID:
          info->xdp_skb_prog_id = rta_u32 (rta);
          break;
        case IFLA_XDP_HW_PROG_ID:
          info->xdp_hw_prog_id = rta_u32 (rta);
          break;
        default:
          break;
        }
    }
}

static void
parse_linkinfo (const struct rtattr *nest, NrIfaceInfo *info)
{
  const struct rtattr *rta;
  int len = (int) RTA_PAYLOAD (nest);

  for (rta = RTA_DATA (nest); RTA_OK (rta, len); rta = RTA_NEXT (rta, len))
    {
      if (rta->rta_type == IFLA_INFO_KIND)
        {
          gsize n = MIN (RTA_PAYLOAD (rta), sizeof info->kind - 1);
          memcpy (info->kind, RTA_DATA (rta), n);
          info->kind[n] = '\0';
        }
    }
}

static void
parse_newlink (const struct nlmsghdr *nh, NrIfaceInfo *info)
{
  const struct ifinfomsg *ifi = NLMSG_DATA (nh);
  const struct rtattr *rta;
  int len = (int) (nh->nlmsg_len - NLMSG_LENGTH (sizeof *ifi));
  gboolean have_carrier = FALSE;

  /* All 32 bits (SIOCGIFFLAGS stops at 16), and from the same snapshot as
   * the operational state and the carrier below: IFF_RUNNING follows the
   * operational state, and flags read by the earlier ioctl can disagree
   * with it while the kernel's linkwatch applies a change. */
  info->flags = ifi->ifi_flags;
  for (rta = IFLA_RTA (ifi); RTA_OK (rta, len); rta = RTA_NEXT (rta, len))
    {
      switch (rta->rta_type)
        {
        case IFLA_ADDRESS:
          info->address_length = MIN (RTA_PAYLOAD (rta), sizeof info->address);
          memcpy (info->address, RTA_DATA (rta), info->address_length);
          break;
        case IFLA_OPERSTATE:
          info->operstate = rta_u8 (rta);
          break;
        case IFLA_CARRIER:
          info->carrier = rta_u8 (rta) != 0;
          have_carrier = TRUE;
          break;
        case IFLA_PROMISCUITY:
          info->promiscuity = rta_u32 (rta);
          break;
        case IFLA_NUM_RX_QUEUES:
          info->num_rx_queues = rta_u32 (rta);
          break;
        case IFLA_NUM_TX_QUEUES:
          info->num_tx_queues = rta_u32 (rta);
          break;
        case IFLA_LINK:
          info->link_index = (int) rta_u32 (rta);
          break;
        case IFLA_LINKINFO:
          parse_linkinfo (rta, info);
          break;
        case IFLA_XDP:
          parse_xdp (rta, info);
          break;
        default:
          break;
        }
    }
  if (!have_carrier) /* kernels before 3.4 */
    info->carrier = (ifi->ifi_flags & IFF_LOWER_UP) != 0;
  /* a device is its own link on some kernels: that is no lower device */
  if (info->link_index == info->index)
    info->link_index = 0;
}

int
nr_iface_parse_link_reply (const void *buf, gsize size, guint32 seq, NrIfaceInfo *info)
{
  gsize offset = 0;

  /* The checks of NLMSG_OK()/NLMSG_NEXT() written out with an unsigned
   * offset: the macros compare the u32 nlmsg_len with a signed length,
   * which clang flags under -Wsign-compare. */
  size = MIN (size, (gsize) G_MAXINT);
  while (size - offset >= sizeof (struct nlmsghdr))
    {
      const struct nlmsghdr *nh = (const struct nlmsghdr *) ((const guint8 *) buf + offset);

      if (nh->nlmsg_len < sizeof *nh || nh->nlmsg_len > size - offset)
        break;
      offset += MIN ((gsize) NLMSG_ALIGN (nh->nlmsg_len), size - offset);

      if (nh->nlmsg_seq != seq)
        continue;
      if (nh->nlmsg_type == NLMSG_ERROR)
        {
          const struct nlmsgerr *err = NLMSG_DATA (nh);
          if (nh->nlmsg_len < NLMSG_LENGTH (sizeof *err))
            return -EBADMSG;
          return err->error < 0 ? err->error : -EBADMSG;
        }
      if (nh->nlmsg_type == RTM_NEWLINK &&
          nh->nlmsg_len >= NLMSG_LENGTH (sizeof (struct ifinfomsg)))
        {
          const struct ifinfomsg *ifi = NLMSG_DATA (nh);
          if (ifi->ifi_index != info->index)
            continue;
          parse_newlink (nh, info);
          return 1;
        }
    }
  return 0;
}

/* One RTM_GETLINK for the index in @info, answered in the caller's
 * namespace by the socket's. */
static int
query_rtnetlink (NrIfaceInfo *info)
{
  struct {
    struct nlmsghdr nh;
    struct ifinfomsg ifi;
    char attrs[RTA_SPACE (sizeof (guint32))];
  } req;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  struct rtattr *rta;
  guint32 ext_mask = RTEXT_FILTER_SKIP_STATS;
  const guint32 seq = 1;
  g_autofree guint8 *buf = NULL;
  gsize buf_size = 0;
  int fd, r = 0;
  gboolean done = FALSE;

  fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return -errno;

  memset (&req, 0, sizeof req);
  req.nh.nlmsg_len = NLMSG_LENGTH (sizeof req.ifi) + RTA_SPACE (sizeof ext_mask);
  req.nh.nlmsg_type = RTM_GETLINK;
  req.nh.nlmsg_flags = NLM_F_REQUEST;
  req.nh.nlmsg_seq = seq;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = info->index;
  rta = (struct rtattr *) req.attrs;
  rta->rta_type = IFLA_EXT_MASK; /* no statistics: they are most of the reply */
  rta->rta_len = RTA_LENGTH (sizeof ext_mask);
  memcpy (RTA_DATA (rta), &ext_mask, sizeof ext_mask);

  while (sendto (fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    {
      if (errno != EINTR)
        {
          r = -errno;
          goto out;
        }
    }

  while (!done)
    {
      ssize_t n;

      /* learn the size of the next datagram first, so nothing is cut off */
      n = recv (fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          r = -errno;
          goto out;
        }
      if ((gsize) n > buf_size)
        {
          buf_size = (gsize) n;
          buf = g_realloc (buf, buf_size);
        }
      n = recv (fd, buf, buf_size, 0);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          r = -errno;
          goto out;
        }

      r = nr_iface_parse_link_reply (buf, (gsize) n, seq, info);
      done = r != 0;
      r = MIN (r, 0);
    }

out:
  close (fd);
  return r;
}

/* Nothing known yet: unknown is not 0. */
static void
info_init (NrIfaceInfo *info)
{
  memset (info, 0, sizeof *info);
  info->speed_mbps = NR_IFACE_SPEED_UNKNOWN;
  info->duplex = NR_IFACE_DUPLEX_UNKNOWN;
}

int
nr_iface_query (const char *name, NrIfaceInfo *info)
{
  struct ifreq ifr;
  int fd, r;

  info_init (info);
  if (name == NULL || name[0] == '\0')
    return -EINVAL;
  if (strlen (name) >= IF_NAMESIZE)
    return -ENODEV;
  g_strlcpy (info->name, name, sizeof info->name);

  /* any socket reaches the interface ioctls of its namespace */
  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 && errno == EAFNOSUPPORT)
    fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;

  set_ifr_name (&ifr, name);
  if ((r = ioctl_or_errno (fd, SIOCGIFINDEX, &ifr)) < 0)
    goto out;
  info->index = ifr.ifr_ifindex;

  set_ifr_name (&ifr, name);
  if ((r = ioctl_or_errno (fd, SIOCGIFMTU, &ifr)) < 0)
    goto out;
  info->mtu = (guint32) ifr.ifr_mtu;

  set_ifr_name (&ifr, name);
  if ((r = ioctl_or_errno (fd, SIOCGIFFLAGS, &ifr)) < 0)
    goto out;
  /* ifr_flags is a short: IFF_DYNAMIC (0x8000) must not sign-extend */
  info->flags = (guint16) ifr.ifr_flags;

  set_ifr_name (&ifr, name);
  if ((r = ioctl_or_errno (fd, SIOCGIFHWADDR, &ifr)) < 0)
    goto out;
  info->arphrd = ifr.ifr_hwaddr.sa_family;

  if ((r = query_ethtool (fd, name, info)) < 0)
    goto out;
  r = query_rtnetlink (info);

out:
  close (fd);
  return r;
}

int
nr_iface_query_index (int ifindex, NrIfaceInfo *info)
{
  char name[IF_NAMESIZE];

  info_init (info);
  if (ifindex <= 0)
    return -ENODEV;
  if (if_indextoname ((unsigned int) ifindex, name) == NULL)
    return errno == ENXIO ? -ENODEV : -errno;
  return nr_iface_query (name, info);
}

int
nr_iface_linktype_for_arphrd (guint16 arphrd)
{
  /* libpcap's map_arphrd_to_dlt() for a raw (not cooked) capture, in
   * LINKTYPE_* values (what a file holds, e.g. RAW = 101, not DLT_RAW) */
  switch (arphrd)
    {
    case ARPHRD_ETHER:
    case ARPHRD_METRICOM:
    case ARPHRD_LOOPBACK:
      return NR_PCAP_LINKTYPE_ETHERNET;
    case ARPHRD_EETHER:
      return 2; /* EN3MB */
    case ARPHRD_AX25:
      return 202; /* AX25_KISS */
    case ARPHRD_PRONET:
      return 4;
    case ARPHRD_CHAOS:
      return 5;
    case ARPHRD_CAN:
      return 227; /* CAN_SOCKETCAN */
    case ARPHRD_IEEE802_TR:
    case ARPHRD_IEEE802:
      return 6; /* IEEE802 (token ring) */
    case ARPHRD_ARCNET:
      return 129; /* ARCNET_LINUX */
    case ARPHRD_FDDI:
      return 10;
    case ARPHRD_IEEE80211:
      return 105; /* IEEE802_11 */
    case ARPHRD_IEEE80211_PRISM:
      return 119; /* PRISM_HEADER */
    case ARPHRD_IEEE80211_RADIOTAP:
      return 127; /* IEEE802_11_RADIOTAP */
    case ARPHRD_PPP:   /* no link-layer header on a raw socket */
    case ARPHRD_TUNNEL:
    case ARPHRD_SIT:
    case ARPHRD_CSLIP:
    case ARPHRD_SLIP6:
    case ARPHRD_CSLIP6:
    case ARPHRD_ADAPT:
    case ARPHRD_SLIP:
    case ARPHRD_RAWHDLC:
    case ARPHRD_DLCI:
    case ARPHRD_NONE: /* tun devices */
      return NR_PCAP_LINKTYPE_RAW;
    case ARPHRD_CISCO:
      return 104; /* C_HDLC */
    case ARPHRD_FRAD:
      return 107; /* FRELAY */
    case ARPHRD_LOCALTLK:
      return 114; /* LTALK */
    case 18: /* Fibre Channel per RFC 2625, no ARPHRD_ name */
      return 122; /* IP_OVER_FC */
    case ARPHRD_FCPP:
    case ARPHRD_FCAL:
    case ARPHRD_FCPL:
    case ARPHRD_FCFABRIC:
      return 224; /* FC_2 */
    case ARPHRD_IRDA:
      return 144; /* LINUX_IRDA */
    case ARPHRD_LAPD:
      return 177; /* LINUX_LAPD */
    case ARPHRD_IEEE802154:
      return 230; /* IEEE802_15_4_NOFCS */
    case ARPHRD_NETLINK:
      return 253; /* NETLINK */
    case ARPHRD_VSOCKMON:
      return 271; /* VSOCK */
    default: /* ARPHRD_ATM and the rest: cooked mode only */
      return NR_IFACE_LINKTYPE_UNSUPPORTED;
    }
}

NrIfaceProfile
nr_iface_suggest_profile (const NrIfaceInfo *info)
{
  gboolean loopback = (info->flags & IFF_LOOPBACK) != 0 || info->arphrd == ARPHRD_LOOPBACK;

  if (!loopback && info->mtu > 1500)
    return NR_IFACE_PROFILE_JUMBO_FRAMES;
  if (info->speed_mbps == NR_IFACE_SPEED_UNKNOWN)
    return NR_IFACE_PROFILE_DEFAULT;
  if (info->speed_mbps >= 10000)
    return NR_IFACE_PROFILE_HIGH_THROUGHPUT;
  if (info->speed_mbps >= 1000)
    return NR_IFACE_PROFILE_DEFAULT;
  return NR_IFACE_PROFILE_LOW_MEMORY;
}

guint32
nr_iface_rx_queue_count (const NrIfaceInfo *info)
{
  if (info->channels_known)
    {
      guint32 channels = info->rx_channels + info->combined_channels;
      if (channels > 0)
        return channels;
    }
  return MAX (info->num_rx_queues, 1);
}

guint32
nr_iface_suggest_fanout_threads (const NrIfaceInfo *info, guint32 n_cpus)
{
  return MAX (1, MIN (nr_iface_rx_queue_count (info), n_cpus));
}
