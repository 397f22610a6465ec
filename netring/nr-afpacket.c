/* nr-afpacket.c: AF_PACKET socket set-up helpers */
#include "config.h"

#include "nr-afpacket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/net_tstamp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

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
