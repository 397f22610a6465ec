/* netring-afpacket.c: GError glue over the AF_PACKET kernel floor */
#include "netring-afpacket-private.h"

#include <net/if.h>

void
netring_set_error_from_failure (GError **error, const NrAfpacketFailure *failure)
{
  netring_set_error_from_errno (error, failure->errnum, failure->operation, failure->capability);
}

gboolean
netring_afpacket_set_int_option (int fd, int level, int name, int value, const char *operation,
                                 const char *capability, GError **error)
{
  int r = nr_afpacket_set_int_option (fd, level, name, value);

  if (r == 0)
    return TRUE;
  netring_set_error_from_errno (error, -r, operation, capability);
  return FALSE;
}

gboolean
netring_afpacket_check_socket_error (int fd, const char *ifname, int ifindex, GError **error)
{
  int soerr = nr_afpacket_take_socket_error (fd);
  char name[IF_NAMESIZE];

  if (soerr == 0)
    return FALSE;
  if (soerr == ENETDOWN || soerr == ENODEV || soerr == ENXIO)
    {
      if (if_indextoname ((unsigned) ifindex, name) == NULL)
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN,
                     _("Interface “%s” was removed"), ifname);
      else
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN,
                     _("Interface “%s” went down: %s"), ifname, g_strerror (soerr));
    }
  else
    netring_set_error_from_errno (error, soerr, "getsockopt(SO_ERROR)", NULL);
  return TRUE;
}
