/* nr-afpacket.c: AF_PACKET socket set-up helpers */
#include "config.h"

#include "nr-afpacket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/net_tstamp.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
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

/* --- transmit --- */

int
nr_afpacket_tx_set_int (int fd, int level, int name, int value)
{
  if (setsockopt (fd, level, name, &value, sizeof value) != 0)
    return -errno;
  return 0;
}

int
nr_afpacket_tx_socket_error (int fd)
{
  int value = 0;
  socklen_t len = sizeof value;

  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &value, &len) != 0)
    return errno;
  return value;
}

int
nr_afpacket_link_query (int fd, const char *ifname, guint32 *mtu, guint16 *arphrd)
{
  struct ifreq ifr;

  if (strlen (ifname) >= IFNAMSIZ)
    return -ENODEV;
  memset (&ifr, 0, sizeof ifr);
  strcpy (ifr.ifr_name, ifname);
  if (ioctl (fd, SIOCGIFMTU, &ifr) != 0)
    return -errno;
  *mtu = ifr.ifr_mtu > 0 ? (guint32) ifr.ifr_mtu : 0;
  if (ioctl (fd, SIOCGIFHWADDR, &ifr) != 0)
    return -errno;
  *arphrd = ifr.ifr_hwaddr.sa_family;
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
nr_afpacket_tx_open (const NrTxOpenParams *params, NrTxSocket *sock)
{
  struct tpacket_req3 req;
  void *map;
  int fd, err;

  memset (sock, 0, sizeof *sock);
  sock->fd = -1;

  /* Protocol 0: nothing is ever queued for reception on this socket (F7). */
  fd = nr_afpacket_socket ();
  if (fd < 0)
    {
      sock->failed = "socket(AF_PACKET)";
      return -errno;
    }

  /* TPACKET_V3, like the capture ring. The kernel (>= 4.11) runs V3 TX
   * rings frame by frame exactly like V2 ones; only the header differs
   * (F1, see nr-tx-ring.h). */
  err = nr_afpacket_tx_set_int (fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3);
  if (err != 0)
    {
      sock->failed = "setsockopt(PACKET_VERSION)";
      goto fail;
    }

  /* tp_retire_blk_tov, tp_sizeof_priv and tp_feature_req_word stay 0: the
   * kernel refuses anything else for a V3 TX ring. */
  memset (&req, 0, sizeof req);
  req.tp_block_size = params->block_size;
  req.tp_block_nr = params->block_count;
  req.tp_frame_size = params->frame_size;
  req.tp_frame_nr = params->frame_count;
  if (setsockopt (fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) != 0)
    {
      err = -errno;
      sock->failed = "setsockopt(PACKET_TX_RING)";
      goto fail;
    }

  sock->map_length = (gsize) params->block_size * params->block_count;
  map = nr_afpacket_mmap_ring (fd, sock->map_length, &sock->locked);
  if (map == MAP_FAILED)
    {
      err = -errno;
      sock->failed = "mmap(PACKET_TX_RING)";
      goto fail;
    }
  sock->map = map;

  if (params->qdisc_bypass)
    {
      err = nr_afpacket_tx_set_int (fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1);
      if (err != 0)
        {
          sock->failed = "setsockopt(PACKET_QDISC_BYPASS)";
          goto fail;
        }
    }

  /* Bind last, with protocol 0: the socket transmits on this interface
   * and still receives nothing (F7). */
  if (nr_afpacket_bind (fd, params->ifindex, 0) != 0)
    {
      err = -errno;
      sock->failed = "bind(AF_PACKET)";
      goto fail;
    }

  /* Best effort: without CAP_NET_ADMIN the value is capped by
   * net.core.wmem_max, which only makes POLLOUT more conservative. */
  {
    int sndbuf = (int) MIN ((guint64) params->frame_count * NR_TX_SNDBUF_PER_FRAME,
                            (guint64) G_MAXINT / 4);

    sock->sndbuf_set = nr_afpacket_tx_set_int (fd, SOL_SOCKET, SO_SNDBUFFORCE, sndbuf) == 0 ||
                       nr_afpacket_tx_set_int (fd, SOL_SOCKET, SO_SNDBUF, sndbuf) == 0;
  }

  sock->fd = fd;
  return 0;

fail:
  if (sock->map != NULL)
    munmap (sock->map, sock->map_length);
  sock->map = NULL;
  sock->map_length = 0;
  close (fd);
  return err;
}

void
nr_afpacket_tx_close (NrTxSocket *sock)
{
  if (sock->map != NULL)
    munmap (sock->map, sock->map_length);
  sock->map = NULL;
  sock->map_length = 0;
  if (sock->fd >= 0)
    close (sock->fd);
  sock->fd = -1;
}

/* ---- the ring memory rule ---- */

gboolean
nr_parse_meminfo_available (const char *text, guint64 *bytes)
{
  const char *line = text;

  while (line != NULL && *line != '\0')
    {
      if (g_str_has_prefix (line, "MemAvailable:"))
        {
          char *end;
          guint64 kib = g_ascii_strtoull (line + strlen ("MemAvailable:"), &end, 10);

          if (end == line + strlen ("MemAvailable:"))
            return FALSE;
          *bytes = kib * 1024;
          return TRUE;
        }
      line = strchr (line, '\n');
      if (line != NULL)
        line++;
    }
  return FALSE;
}

gchar *
nr_parse_cgroup_path (const char *text, gboolean v2)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* hierarchy-ID:controller-list:path */
      g_auto(GStrv) fields = g_strsplit (lines[i], ":", 3);

      if (g_strv_length (fields) != 3 || fields[2][0] != '/')
        continue;
      if (v2 && strcmp (fields[0], "0") == 0 && fields[1][0] == '\0')
        return g_strdup (fields[2]);
      if (!v2)
        {
          g_auto(GStrv) controllers = g_strsplit (fields[1], ",", -1);

          if (g_strv_contains ((const gchar *const *) controllers, "memory"))
            return g_strdup (fields[2]);
        }
    }
  return NULL;
}

gboolean
nr_parse_cgroup_bytes (const char *text, guint64 *bytes)
{
  char *end;

  while (g_ascii_isspace (*text))
    text++;
  if (g_str_has_prefix (text, "max"))
    {
      *bytes = G_MAXUINT64;
      return TRUE;
    }
  if (!g_ascii_isdigit (*text))
    return FALSE;
  *bytes = g_ascii_strtoull (text, &end, 10);
  return end != text;
}

static gboolean
read_bytes_file (const char *dir, const char *name, guint64 *bytes)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;

  return g_file_get_contents (path, &text, NULL, NULL) && nr_parse_cgroup_bytes (text, bytes);
}

/* The smallest "limit - usage" on @path and its ancestors under @root. */
static gboolean
cgroup_room (const char *root, const char *path, const char *limit_name,
             const char *usage_name, guint64 *room)
{
  g_autofree char *dir = g_build_filename (root, path, NULL);
  gboolean found = FALSE;
  gsize root_length = strlen (root);

  *room = G_MAXUINT64;
  for (;;)
    {
      guint64 limit, usage = 0;

      if (read_bytes_file (dir, limit_name, &limit))
        {
          read_bytes_file (dir, usage_name, &usage);
          *room = MIN (*room, limit > usage ? limit - usage : 0);
          found = TRUE;
        }
      if (strlen (dir) <= root_length)
        break;
      *strrchr (dir, '/') = '\0';
      if (strlen (dir) < root_length)
        break;
    }
  return found;
}

int
nr_memory_ring_limit (guint64 *bytes, gboolean *cgroup)
{
  g_autofree char *meminfo = NULL;
  g_autofree char *self = NULL;
  guint64 available = G_MAXUINT64, room = G_MAXUINT64;
  gboolean have_available, have_room = FALSE;

  have_available = g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL) &&
                   nr_parse_meminfo_available (meminfo, &available);

  if (g_file_get_contents ("/proc/self/cgroup", &self, NULL, NULL))
    {
      g_autofree char *v2 = nr_parse_cgroup_path (self, TRUE);
      g_autofree char *v1 = nr_parse_cgroup_path (self, FALSE);

      if (v1 != NULL)
        have_room = cgroup_room ("/sys/fs/cgroup/memory", v1, "memory.limit_in_bytes",
                                 "memory.usage_in_bytes", &room);
      if (!have_room && v2 != NULL)
        have_room = cgroup_room ("/sys/fs/cgroup", v2, "memory.max", "memory.current", &room) ||
                    cgroup_room ("/sys/fs/cgroup/unified", v2, "memory.max", "memory.current",
                                 &room);
    }

  if (!have_available && !have_room)
    return -ENOENT;
  *bytes = MIN (available, room);
  *cgroup = have_room && room < available;
  return 0;
}
