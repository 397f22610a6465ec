/* netring-afpacket-private.h: GError glue over the AF_PACKET kernel floor
 * (nr-afpacket.h), shared by every object that owns a packet socket, so that
 * the same kernel event always gives the same error. */
#pragma once

#include "netring-private.h"
#include "nr-afpacket.h"

G_BEGIN_DECLS

/* Sets @error for a step of the kernel floor that failed: the call, the
 * capability it may need and the system's reason, classified as
 * netring_set_error_from_errno() does. */
void netring_set_error_from_failure (GError **error, const NrAfpacketFailure *failure);

/* nr_afpacket_set_int_option() with @error naming @operation (and
 * @capability on EPERM/EACCES) when it fails. */
gboolean netring_afpacket_set_int_option (int         fd,
                                          int         level,
                                          int         name,
                                          int         value,
                                          const char *operation,
                                          const char *capability,
                                          GError    **error);

/* After poll() reported POLLERR or POLLHUP on a packet socket of interface
 * @ifname (index @ifindex): reads and clears the pending error with
 * nr_afpacket_take_socket_error(). Returns FALSE when there was none.
 * Otherwise returns TRUE with @error set: an interface that went down or
 * was removed (ENETDOWN, ENODEV, ENXIO) is NETRING_ERROR_INTERFACE_DOWN
 * naming it, with "was removed" when its index no longer resolves; any
 * other error is classified by netring_set_error_from_errno(). */
gboolean netring_afpacket_check_socket_error (int          fd,
                                              const char  *ifname,
                                              int          ifindex,
                                              GError     **error);

/* The adoption rule of the "fd" property of NetringCapture and
 * NetringInjector (@type_name): @fd must pass nr_afpacket_validate_fd ().
 * Otherwise NETRING_ERROR_INVALID_CONFIGURATION naming the property, what
 * @fd is and the rule. Changes nothing on @fd and never closes it. */
gboolean netring_afpacket_check_adopted_fd (int          fd,
                                            const char  *type_name,
                                            GError     **error);

G_END_DECLS
