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

/* What a socket is, for a message: "AF_INET SOCK_DGRAM", or the numbers the
 * kernel gave when this file has no name for them. */
static char *
describe_socket (int family, int type)
{
  const char *family_name = nr_socket_family_name (family);
  const char *type_name = nr_socket_type_name (type);
  g_autofree char *family_text = family_name != NULL ? g_strdup (family_name)
                                                     : g_strdup_printf ("%d", family);
  g_autofree char *type_text = type_name != NULL ? g_strdup (type_name)
                                                 : g_strdup_printf ("%d", type);

  return g_strdup_printf ("%s %s", family_text, type_text);
}

gboolean
netring_afpacket_check_adopted_fd (int fd, const char *type_name, GError **error)
{
  int family, type, errnum;
  g_autofree char *what = NULL;

  switch (nr_afpacket_validate_fd (fd, &family, &type, &errnum))
    {
    case NR_AFPACKET_FD_OK:
      return TRUE;
    case NR_AFPACKET_FD_NOT_OPEN:
      /* TRANSLATORS: “fd” is a property name, %s a class (NetringCapture) */
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("The “fd” property of %s is %d, which is not an open file descriptor: "
                     "it must be an AF_PACKET socket of type SOCK_RAW, as netring-helper "
                     "hands out"),
                   type_name, fd);
      return FALSE;
    case NR_AFPACKET_FD_NOT_A_SOCKET:
      if (errnum != 0)
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                     _("The “fd” property of %s is %d, which cannot be checked (%s): it must "
                       "be an AF_PACKET socket of type SOCK_RAW, as netring-helper hands out"),
                     type_name, fd, g_strerror (errnum));
      else
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                     _("The “fd” property of %s is %d, which is not a socket (a file, a pipe "
                       "or a device): it must be an AF_PACKET socket of type SOCK_RAW, as "
                       "netring-helper hands out"),
                     type_name, fd);
      return FALSE;
    case NR_AFPACKET_FD_WRONG_FAMILY:
    case NR_AFPACKET_FD_WRONG_TYPE:
      what = describe_socket (family, type);
      /* TRANSLATORS: the second %s is what the socket is, e.g. "AF_INET SOCK_DGRAM" */
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("The “fd” property of %s is %d, a socket of kind %s: it must be an "
                     "AF_PACKET socket of type SOCK_RAW, as netring-helper hands out"),
                   type_name, fd, what);
      return FALSE;
    case NR_AFPACKET_FD_HAS_RING:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("The “fd” property of %s is %d, an AF_PACKET socket that has a ring "
                     "already: it must be a bare socket, %s sets up its own ring"),
                   type_name, fd, type_name);
      return FALSE;
    case NR_AFPACKET_FD_IN_FANOUT:
    default:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("The “fd” property of %s is %d, an AF_PACKET socket in a fanout group "
                     "already: it must be a bare socket (the “fanout-group” property joins "
                     "one)"),
                   type_name, fd);
      return FALSE;
    }
}
