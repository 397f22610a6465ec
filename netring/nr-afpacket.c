/* nr-afpacket.c: AF_PACKET socket set-up helpers */
#include "config.h"

#include "nr-afpacket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/net_tstamp.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_BUSY_POLL
#define SO_BUSY_POLL 46
#endif
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

int
nr_afpacket_socket (void)
{
  return socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
}

void *
nr_afpacket_mmap_ring (int fd, size_t length, gboolean *locked)
{
  void *map;

  map = mmap (NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED | MAP_POPULATE,
              fd, 0);
  if (map != MAP_FAILED)
    {
      *locked = TRUE;
      return map;
    }
  if (errno != EPERM && errno != EAGAIN && errno != ENOMEM)
    return MAP_FAILED;

  /* Locking is an optimisation (no page faults on the ring), not a
   * requirement: without CAP_IPC_LOCK or with a small RLIMIT_MEMLOCK the
   * ring still works unlocked. */
  g_debug ("mmap (MAP_LOCKED) of %zu bytes failed (%s); mapping the ring unlocked", length,
           g_strerror (errno));
  *locked = FALSE;
  return mmap (NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
}

int
nr_afpacket_bind (int fd, int ifindex, uint16_t protocol)
{
  struct sockaddr_ll addr;

  memset (&addr, 0, sizeof addr);
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons (protocol);
  addr.sll_ifindex = ifindex;
  return bind (fd, (struct sockaddr *) &addr, sizeof addr);
}

int
nr_timestamp_flags (int netring_timestamp_source)
{
  switch (netring_timestamp_source)
    {
    case 1: /* NETRING_TIMESTAMP_SOURCE_SYS_HARDWARE */
      return SOF_TIMESTAMPING_SYS_HARDWARE;
    case 2: /* NETRING_TIMESTAMP_SOURCE_RAW_HARDWARE */
      return SOF_TIMESTAMPING_RAW_HARDWARE;
    default:
      return 0;
    }
}

/* ---- socket options and errors ------------------------------------------ */

/* Fills @failure (may be NULL) from errno and returns -errno. */
static int
fail (NrAfpacketFailure *failure, const char *operation, const char *capability)
{
  int errsv = errno;

  if (failure != NULL)
    {
      failure->operation = operation;
      failure->capability = capability;
      failure->errnum = errsv;
    }
  return -errsv;
}

int
nr_afpacket_set_int_option (int fd, int level, int name, int value)
{
  if (setsockopt (fd, level, name, &value, sizeof value) != 0)
    return -errno;
  return 0;
}

int
nr_afpacket_get_int_option (int fd, int level, int name, int *value)
{
  socklen_t len = sizeof *value;

  if (getsockopt (fd, level, name, value, &len) != 0)
    return -errno;
  return 0;
}

int
nr_afpacket_take_socket_error (int fd)
{
  int value = 0;
  socklen_t len = sizeof value;

  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &value, &len) != 0)
    return errno;
  return value;
}

int
nr_afpacket_set_filter_option (int fd, int level, int optname, const struct sock_filter *insns,
                               size_t n_insns)
{
  struct sock_fprog fprog;

  if (n_insns == 0 || n_insns > BPF_MAXINSNS)
    return -EINVAL;
  fprog.len = (unsigned short) n_insns;
  fprog.filter = (struct sock_filter *) insns;
  if (setsockopt (fd, level, optname, &fprog, sizeof fprog) != 0)
    return -errno;
  return 0;
}

/* An interface ioctl (SIOCGIF*) on @ifname through @fd, into @ifr: the
 * kernel answers for the socket's own network namespace. A name that
 * cannot be an interface's is ENODEV, as the kernel would say. Returns 0 or
 * -errno. */
static int
link_ioctl (int fd, const char *ifname, unsigned long request, struct ifreq *ifr)
{
  if (ifname == NULL || strlen (ifname) >= sizeof ifr->ifr_name)
    return -ENODEV;
  memset (ifr, 0, sizeof *ifr);
  memcpy (ifr->ifr_name, ifname, strlen (ifname));
  if (ioctl (fd, request, ifr) != 0)
    return -errno;
  return 0;
}

int
nr_afpacket_link_type (int fd, const char *ifname)
{
  struct ifreq ifr;
  int r = link_ioctl (fd, ifname, SIOCGIFHWADDR, &ifr);

  return r != 0 ? r : ifr.ifr_hwaddr.sa_family;
}

gboolean
nr_afpacket_link_type_is_ethernet (int arphrd)
{
  /* loopback frames carry an Ethernet header with zero addresses */
  return arphrd == ARPHRD_ETHER || arphrd == ARPHRD_LOOPBACK;
}

const char *
nr_afpacket_link_type_name (int arphrd)
{
  switch (arphrd)
    {
    case ARPHRD_ETHER:
      return "ether";
    case ARPHRD_LOOPBACK:
      return "loopback";
    case ARPHRD_NONE:
      return "none"; /* tun, WireGuard: IP packets without a link header */
    case ARPHRD_TUNNEL:
      return "ipip";
    case ARPHRD_TUNNEL6:
      return "ip6tnl";
    case ARPHRD_SIT:
      return "sit";
    case ARPHRD_IPGRE:
      return "gre";
    case ARPHRD_PPP:
      return "ppp";
    case ARPHRD_INFINIBAND:
      return "infiniband";
    case ARPHRD_IEEE80211:
    case ARPHRD_IEEE80211_RADIOTAP:
      return "ieee80211";
    case ARPHRD_CAN:
      return "can";
    default:
      return "unknown";
    }
}

/* ---- RX ring geometry ---------------------------------------------------- */

NrRxGeometryRule
nr_rx_geometry_check (const NrRxGeometry *g, size_t page_size)
{
  uint64_t frames_per_block;

  if (g->block_size == 0 || (g->block_size & (g->block_size - 1)) != 0 ||
      g->block_size % page_size != 0)
    return NR_RX_BLOCK_SIZE_NOT_POWER_OF_TWO;
  if (g->block_size > NR_RX_MAX_BLOCK_SIZE)
    return NR_RX_BLOCK_SIZE_TOO_LARGE;
  if (g->frame_size % NR_RX_FRAME_ALIGNMENT != 0)
    return NR_RX_FRAME_SIZE_MISALIGNED;
  if (g->frame_size < NR_RX_MIN_FRAME_SIZE)
    return NR_RX_FRAME_SIZE_TOO_SMALL;
  if (g->frame_size > g->block_size)
    return NR_RX_FRAME_SIZE_ABOVE_BLOCK;
  if (g->block_count == 0)
    return NR_RX_BLOCK_COUNT_ZERO;
  if (g->block_count > NR_RX_MAX_BLOCK_COUNT)
    return NR_RX_BLOCK_COUNT_TOO_LARGE;
  frames_per_block = g->block_size / g->frame_size;
  if (frames_per_block * g->block_count > UINT32_MAX)
    return NR_RX_FRAME_COUNT_TOO_LARGE;
  if (g->block_timeout_ms > NR_RX_MAX_BLOCK_TIMEOUT_MS)
    return NR_RX_BLOCK_TIMEOUT_TOO_LARGE;
  return NR_RX_GEOMETRY_OK;
}

uint64_t
nr_rx_geometry_ring_bytes (const NrRxGeometry *g)
{
  return (uint64_t) g->block_size * g->block_count;
}

void
nr_rx_geometry_to_req (const NrRxGeometry *g, gboolean fill_rxhash, struct tpacket_req3 *req)
{
  memset (req, 0, sizeof *req);
  req->tp_block_size = g->block_size;
  req->tp_block_nr = g->block_count;
  req->tp_frame_size = g->frame_size;
  req->tp_frame_nr = (g->block_size / g->frame_size) * g->block_count;
  req->tp_retire_blk_tov = g->block_timeout_ms;
  req->tp_feature_req_word = fill_rxhash ? TP_FT_REQ_FILL_RXHASH : 0;
}

uint32_t
nr_rx_geometry_retry_count (uint32_t asked, uint32_t current)
{
  uint32_t floor_count = MAX (asked / 4, 1);
  uint32_t next;

  if (current <= floor_count)
    return 0;
  next = (uint32_t) ((uint64_t) current * 3 / 4);
  return MAX (next, floor_count);
}

/* ---- the steps of every ring socket (RX and TX) --------------------------- */

/* socket (AF_PACKET, SOCK_RAW, 0) into *@fd */
static int
ring_socket (int *fd, NrAfpacketFailure *failure)
{
  *fd = nr_afpacket_socket ();
  if (*fd < 0)
    return fail (failure, "socket(AF_PACKET)", NR_CAP_NET_RAW);
  return 0;
}

/* PACKET_VERSION = TPACKET_V3 */
static int
ring_set_version (int fd, NrAfpacketFailure *failure)
{
  int value = TPACKET_V3;

  if (setsockopt (fd, SOL_PACKET, PACKET_VERSION, &value, sizeof value) != 0)
    return fail (failure, "setsockopt(PACKET_VERSION)", NULL);
  return 0;
}

/* PACKET_RX_RING or PACKET_TX_RING (@tx) with @req */
static int
ring_request (int fd, gboolean tx, const struct tpacket_req3 *req, NrAfpacketFailure *failure)
{
  if (setsockopt (fd, SOL_PACKET, tx ? PACKET_TX_RING : PACKET_RX_RING, req, sizeof *req) != 0)
    return fail (failure, tx ? "setsockopt(PACKET_TX_RING)" : "setsockopt(PACKET_RX_RING)",
                 NULL);
  return 0;
}

/* mmap the ring of @length bytes into *@map, *@locked telling whether
 * MAP_LOCKED worked */
static int
ring_map (int fd, gboolean tx, size_t length, uint8_t **map, gboolean *locked,
          NrAfpacketFailure *failure)
{
  void *mapped = nr_afpacket_mmap_ring (fd, length, locked);

  if (mapped == MAP_FAILED)
    return fail (failure, tx ? "mmap(PACKET_TX_RING)" : "mmap(PACKET_RX_RING)", NULL);
  *map = mapped;
  return 0;
}

/* bind (@ifindex, @protocol) */
static int
ring_bind (int fd, int ifindex, uint16_t protocol, NrAfpacketFailure *failure)
{
  if (nr_afpacket_bind (fd, ifindex, protocol) != 0)
    return fail (failure, "bind(AF_PACKET)", NULL);
  return 0;
}

/* Unmaps (before closing, as the kernel expects) and closes; forgets both. */
static void
ring_close (int *fd, uint8_t **map, size_t *map_length)
{
  if (*map != NULL)
    munmap (*map, *map_length);
  *map = NULL;
  *map_length = 0;
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* ---- the RX open sequence ------------------------------------------------ */

void
nr_afpacket_rx_init (NrRxSocket *rx)
{
  memset (rx, 0, sizeof *rx);
  rx->fd = -1;
}

int
nr_afpacket_rx_open (NrRxSocket *rx, NrAfpacketFailure *failure)
{
  return ring_socket (&rx->fd, failure);
}

int
nr_afpacket_rx_set_version (NrRxSocket *rx, NrAfpacketFailure *failure)
{
  return ring_set_version (rx->fd, failure);
}

int
nr_afpacket_rx_set_ring (NrRxSocket *rx, const NrRxGeometry *geometry, gboolean fill_rxhash,
                         NrAfpacketFailure *failure)
{
  struct tpacket_req3 req;
  int r;

  nr_rx_geometry_to_req (geometry, fill_rxhash, &req);
  r = ring_request (rx->fd, FALSE, &req, failure);
  if (r == 0)
    rx->geometry = *geometry;
  return r;
}

int
nr_afpacket_rx_map (NrRxSocket *rx, NrAfpacketFailure *failure)
{
  size_t length = (size_t) nr_rx_geometry_ring_bytes (&rx->geometry);
  int r = ring_map (rx->fd, FALSE, length, &rx->map, &rx->map_locked, failure);

  if (r == 0)
    rx->map_length = length;
  return r;
}

int
nr_afpacket_rx_release_ring (NrRxSocket *rx, NrAfpacketFailure *failure)
{
  struct tpacket_req3 req;
  int r;

  if (rx->map != NULL)
    {
      munmap (rx->map, rx->map_length);
      rx->map = NULL;
      rx->map_length = 0;
    }
  /* a request for 0 blocks frees the ring (only while it is not mapped) */
  memset (&req, 0, sizeof req);
  r = ring_request (rx->fd, FALSE, &req, failure);
  if (r != 0)
    return r;
  memset (&rx->geometry, 0, sizeof rx->geometry);
  return 0;
}

int
nr_afpacket_rx_bind (NrRxSocket *rx, int ifindex, NrAfpacketFailure *failure)
{
  return ring_bind (rx->fd, ifindex, ETH_P_ALL, failure);
}

int
nr_afpacket_rx_set_options (NrRxSocket *rx, const NrRxOptions *o, NrAfpacketFailure *failure)
{
  if (o->promiscuous)
    {
      struct packet_mreq mreq;

      memset (&mreq, 0, sizeof mreq);
      mreq.mr_ifindex = o->ifindex;
      mreq.mr_type = PACKET_MR_PROMISC;
      if (setsockopt (rx->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
        return fail (failure, "setsockopt(PACKET_ADD_MEMBERSHIP)", NR_CAP_NET_RAW);
    }
  if (o->ignore_outgoing &&
      nr_afpacket_set_int_option (rx->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1) != 0)
    return fail (failure, "setsockopt(PACKET_IGNORE_OUTGOING)", NULL);
  if (o->busy_poll_us > 0 &&
      nr_afpacket_set_int_option (rx->fd, SOL_SOCKET, SO_BUSY_POLL, o->busy_poll_us) != 0)
    return fail (failure, "setsockopt(SO_BUSY_POLL)", NR_CAP_NET_ADMIN);
  if (o->rcvbuf > 0)
    {
      if (o->rcvbuf_force)
        {
          if (nr_afpacket_set_int_option (rx->fd, SOL_SOCKET, SO_RCVBUFFORCE, o->rcvbuf) != 0)
            return fail (failure, "setsockopt(SO_RCVBUFFORCE)", NR_CAP_NET_ADMIN);
        }
      else if (nr_afpacket_set_int_option (rx->fd, SOL_SOCKET, SO_RCVBUF, o->rcvbuf) != 0)
        return fail (failure, "setsockopt(SO_RCVBUF)", NULL);
    }
  if (o->timestamp_flags != 0 &&
      nr_afpacket_set_int_option (rx->fd, SOL_PACKET, PACKET_TIMESTAMP, o->timestamp_flags) != 0)
    return fail (failure, "setsockopt(PACKET_TIMESTAMP)", NULL);
  return 0;
}

void
nr_afpacket_rx_close (NrRxSocket *rx)
{
  ring_close (&rx->fd, &rx->map, &rx->map_length);
  nr_afpacket_rx_init (rx);
}

/* ---- fanout -------------------------------------------------------------- */

int
nr_afpacket_fanout_join (int fd, uint32_t arg, uint32_t *joined_arg, NrAfpacketFailure *failure)
{
  int value = (int) arg;

  if (setsockopt (fd, SOL_PACKET, PACKET_FANOUT, &value, sizeof value) != 0)
    return fail (failure, "setsockopt(PACKET_FANOUT)", NULL);
  if (joined_arg != NULL && nr_afpacket_fanout_query (fd, joined_arg) != 0)
    *joined_arg = arg;
  return 0;
}

int
nr_afpacket_fanout_query (int fd, uint32_t *arg)
{
  int value = 0;
  int r = nr_afpacket_get_int_option (fd, SOL_PACKET, PACKET_FANOUT, &value);

  if (r != 0)
    return r;
  *arg = (uint32_t) value;
  return 0;
}

/* ---- statistics ---------------------------------------------------------- */

void
nr_afpacket_stats_add (NrAfpacketStats *sum, const struct tpacket_stats_v3 *reading)
{
  sum->packets += reading->tp_packets;
  sum->drops += reading->tp_drops;
  sum->freezes += reading->tp_freeze_q_cnt;
}

int
nr_afpacket_read_stats (int fd, NrAfpacketStats *sum)
{
  struct tpacket_stats_v3 reading;
  socklen_t len = sizeof reading;

  if (getsockopt (fd, SOL_PACKET, PACKET_STATISTICS, &reading, &len) != 0)
    return -errno;
  nr_afpacket_stats_add (sum, &reading);
  return 0;
}

int
nr_afpacket_rx_drop_all (int fd)
{
  static const struct sock_filter drop = BPF_STMT (BPF_RET | BPF_K, 0);

  return nr_afpacket_set_filter_option (fd, SOL_SOCKET, SO_ATTACH_FILTER, &drop, 1);
}

/* --- transmit --- */

int
nr_afpacket_link_query (int fd, const char *ifname, guint32 *mtu, guint16 *arphrd)
{
  struct ifreq ifr;
  int type, r;

  r = link_ioctl (fd, ifname, SIOCGIFMTU, &ifr);
  if (r != 0)
    return r;
  type = nr_afpacket_link_type (fd, ifname);
  if (type < 0)
    return type;
  *mtu = ifr.ifr_mtu > 0 ? (guint32) ifr.ifr_mtu : 0;
  *arphrd = (guint16) type;
  return 0;
}

int
nr_afpacket_link_header_length (guint16 arphrd)
{
  switch (arphrd)
    {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK:
      return 14; /* ETH_HLEN: ether_setup() and loopback_setup() */
    case ARPHRD_NONE:
      return 0; /* tun in IP mode, WireGuard: no link header */
    default:
      return -1;
    }
}

int
nr_afpacket_tx_open (const NrTxOpenParams *params, NrTxSocket *sock, NrAfpacketFailure *failure)
{
  struct tpacket_req3 req;
  int err;

  memset (sock, 0, sizeof *sock);
  sock->fd = -1;

  /* Protocol 0: nothing is ever queued for reception on this socket (F7).
   * A socket opened by a privileged helper has protocol 0 too (it is
   * checked to be a bare SOCK_RAW one) and is bound below. */
  if (params->adopt_fd >= 0)
    {
      sock->fd = params->adopt_fd;
      (void) fcntl (sock->fd, F_SETFD, FD_CLOEXEC);
    }
  else
    {
      err = ring_socket (&sock->fd, failure);
      if (err != 0)
        return err;
    }

  /* TPACKET_V3, like the capture ring. The kernel (>= 4.11) runs V3 TX
   * rings frame by frame exactly like V2 ones; only the header differs
   * (F1, see nr-tx-ring.h). */
  err = ring_set_version (sock->fd, failure);
  if (err != 0)
    goto fail;

  /* tp_retire_blk_tov, tp_sizeof_priv and tp_feature_req_word stay 0: the
   * kernel refuses anything else for a V3 TX ring. */
  memset (&req, 0, sizeof req);
  req.tp_block_size = params->block_size;
  req.tp_block_nr = params->block_count;
  req.tp_frame_size = params->frame_size;
  req.tp_frame_nr = params->frame_count;
  err = ring_request (sock->fd, TRUE, &req, failure);
  if (err != 0)
    goto fail;

  sock->map_length = (gsize) params->block_size * params->block_count;
  err = ring_map (sock->fd, TRUE, sock->map_length, &sock->map, &sock->locked, failure);
  if (err != 0)
    goto fail;

  if (params->qdisc_bypass &&
      nr_afpacket_set_int_option (sock->fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1) != 0)
    {
      err = fail (failure, "setsockopt(PACKET_QDISC_BYPASS)", NULL);
      goto fail;
    }

  /* Bind last, with protocol 0: the socket transmits on this interface
   * and still receives nothing (F7). */
  err = ring_bind (sock->fd, params->ifindex, 0, failure);
  if (err != 0)
    goto fail;

  /* Best effort: without CAP_NET_ADMIN the value is capped by
   * net.core.wmem_max, which only makes POLLOUT more conservative. */
  {
    int sndbuf = (int) MIN ((guint64) params->frame_count * NR_TX_SNDBUF_PER_FRAME,
                            (guint64) G_MAXINT / 4);

    sock->sndbuf_set =
      nr_afpacket_set_int_option (sock->fd, SOL_SOCKET, SO_SNDBUFFORCE, sndbuf) == 0 ||
      nr_afpacket_set_int_option (sock->fd, SOL_SOCKET, SO_SNDBUF, sndbuf) == 0;
  }
  return 0;

fail:
  nr_afpacket_tx_close (sock);
  return err;
}

void
nr_afpacket_tx_close (NrTxSocket *sock)
{
  ring_close (&sock->fd, &sock->map, &sock->map_length);
}

/* ---- sockets opened elsewhere -------------------------------------------- */

NrAfpacketFdRule
nr_afpacket_validate_fd (int fd, int *family, int *type, int *errnum)
{
  int value_family = -1, value_type = -1, version, r;
  uint32_t fanout = 0;
  socklen_t length;

  if (family != NULL)
    *family = -1;
  if (type != NULL)
    *type = -1;
  if (errnum != NULL)
    *errnum = 0;
  if (fd < 0 || fcntl (fd, F_GETFD) < 0)
    return NR_AFPACKET_FD_NOT_OPEN;

  length = sizeof value_family;
  if (getsockopt (fd, SOL_SOCKET, SO_DOMAIN, &value_family, &length) != 0)
    {
      if (errno != ENOTSOCK && errnum != NULL)
        *errnum = errno;
      return NR_AFPACKET_FD_NOT_A_SOCKET;
    }
  length = sizeof value_type;
  if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &value_type, &length) != 0)
    {
      if (errnum != NULL)
        *errnum = errno;
      return NR_AFPACKET_FD_NOT_A_SOCKET;
    }
  if (family != NULL)
    *family = value_family;
  if (type != NULL)
    *type = value_type;
  if (value_family != AF_PACKET)
    return NR_AFPACKET_FD_WRONG_FAMILY;
  if (value_type != SOCK_RAW)
    return NR_AFPACKET_FD_WRONG_TYPE;

  /* Writing back the version the socket has changes nothing, and the
   * kernel refuses it (EBUSY) while an RX or TX ring exists: a ring set
   * up by someone else would have another geometry than the properties
   * say, and a mapping this process does not know. */
  r = nr_afpacket_get_int_option (fd, SOL_PACKET, PACKET_VERSION, &version);
  if (r == 0)
    r = nr_afpacket_set_int_option (fd, SOL_PACKET, PACKET_VERSION, version);
  if (r == -EBUSY)
    return NR_AFPACKET_FD_HAS_RING;
  if (r != 0)
    {
      if (errnum != NULL)
        *errnum = -r;
      return NR_AFPACKET_FD_NOT_A_SOCKET;
    }
  if (nr_afpacket_fanout_query (fd, &fanout) == 0 && fanout != 0)
    return NR_AFPACKET_FD_IN_FANOUT;
  return NR_AFPACKET_FD_OK;
}

const char *
nr_socket_family_name (int family)
{
  switch (family)
    {
    case AF_UNIX: return "AF_UNIX";
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_NETLINK: return "AF_NETLINK";
    case AF_PACKET: return "AF_PACKET";
#ifdef AF_XDP
    case AF_XDP: return "AF_XDP";
#endif
    default: return NULL;
    }
}

const char *
nr_socket_type_name (int type)
{
  switch (type)
    {
    case SOCK_STREAM: return "SOCK_STREAM";
    case SOCK_DGRAM: return "SOCK_DGRAM";
    case SOCK_RAW: return "SOCK_RAW";
    case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
    case SOCK_PACKET: return "SOCK_PACKET";
    default: return NULL;
    }
}

void
nr_afpacket_rx_adopt (NrRxSocket *rx, int fd)
{
  rx->fd = fd;
  (void) fcntl (fd, F_SETFD, FD_CLOEXEC);
}
