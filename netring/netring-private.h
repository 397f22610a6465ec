/* netring-private.h: helpers shared by the library's own files; never installed */
#pragma once

#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>

#include "netring.h"

G_BEGIN_DECLS

/* Binds the gettext domain once; every class_init calls it. */
void netring_i18n_init (void);

/* Sets @error from a saved errno value. @operation names the failing call
 * (untranslated, e.g. "setsockopt(PACKET_RX_RING)"). EPERM/EACCES become
 * NETRING_ERROR_PERMISSION_DENIED naming @capability; ENODEV/ENXIO/ENETDOWN
 * become NETRING_ERROR_INTERFACE_DOWN; ENOMEM NETRING_ERROR_NO_MEMORY;
 * EOPNOTSUPP & co NETRING_ERROR_NOT_SUPPORTED; EBUSY NETRING_ERROR_BUSY;
 * EAGAIN G_IO_ERROR_WOULD_BLOCK; everything else NETRING_ERROR_FAILED. */
void netring_set_error_from_errno (GError    **error,
                                   int         saved_errno,
                                   const char *operation,
                                   const char *capability);

/* Resolves @name to an interface index; NETRING_ERROR_NO_SUCH_INTERFACE
 * naming it otherwise. Returns 0 on error. */
int netring_interface_index (const char *name, GError **error);

/* poll() one fd for @events with a timeout in ms (-1 = forever), retrying
 * EINTR with the remaining time, and waking early when @cancellable is
 * cancelled. Returns the revents (0 on time-out), or -1 with @error set
 * (G_IO_ERROR_CANCELLED on cancellation). */
int netring_poll_fd (int fd, short events, gint timeout_ms, GCancellable *cancellable,
                     GError **error);

/* Whether EPERM from socket(AF_PACKET) means the test/user lacks CAP_NET_RAW. */
#define NETRING_CAP_NET_RAW "CAP_NET_RAW"
#define NETRING_CAP_NET_ADMIN "CAP_NET_ADMIN"

G_END_DECLS
