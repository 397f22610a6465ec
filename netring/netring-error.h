/* netring-error.h: the NETRING_ERROR domain */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <glib.h>
#include <netring/netring-version-macros.h>

G_BEGIN_DECLS

/**
 * SECTION:netring-error
 * @short_description: The error domain of netring
 * @title: Errors
 *
 * Errors of netring are in the %NETRING_ERROR domain, with codes from
 * #NetringError. Their messages are translated and name the operation that
 * failed and, for system calls, the system's reason. Cancellation,
 * would-block and time-outs use the %G_IO_ERROR domain
 * (%G_IO_ERROR_CANCELLED, %G_IO_ERROR_WOULD_BLOCK, %G_IO_ERROR_TIMED_OUT) as
 * GLib code expects.
 *
 * |[<!-- language="C" -->
 * g_autoptr(GError) error = NULL;
 * g_autoptr(NetringCapture) capture = netring_capture_new ("eth0", &error);
 *
 * if (g_error_matches (error, NETRING_ERROR, NETRING_ERROR_PERMISSION_DENIED))
 *   g_printerr ("run as root or grant CAP_NET_RAW: %s\n", error->message);
 * ]|
 */

/**
 * NETRING_ERROR:
 *
 * Error domain for netring. Errors in this domain are from the
 * #NetringError enumeration. Cancellation, would-block and time-outs are
 * reported in the %G_IO_ERROR domain instead, as GLib code expects.
 */
#define NETRING_ERROR (netring_error_quark ())

/**
 * NetringError:
 * @NETRING_ERROR_FAILED: a system call failed; the message names the call
 *   and the system's reason
 * @NETRING_ERROR_PERMISSION_DENIED: the process lacks a capability; the
 *   message names it (usually `CAP_NET_RAW`)
 * @NETRING_ERROR_NO_SUCH_INTERFACE: the named network interface does not exist
 * @NETRING_ERROR_INVALID_CONFIGURATION: a property has a value the library or
 *   the kernel cannot use; the message names the property and the rule
 * @NETRING_ERROR_INVALID_ARGUMENT: an argument of a call is unusable (a frame
 *   that is empty or larger than a ring frame, a bad filter, …)
 * @NETRING_ERROR_NOT_SUPPORTED: the kernel or the driver does not support
 *   the requested feature
 * @NETRING_ERROR_BUSY: the resource is in use (an XDP queue, a program slot)
 * @NETRING_ERROR_INTERFACE_DOWN: the interface went down or was removed while
 *   in use
 * @NETRING_ERROR_NO_MEMORY: the ring is larger than the memory the machine (or
 *   the process's memory cgroup) can give, or the kernel could not allocate it
 * @NETRING_ERROR_XDP_PROGRAM: loading or attaching an XDP program failed
 * @NETRING_ERROR_INVALID_DATA: a file or stream holds data that cannot be
 *   read (a damaged or truncated packet file); the message names the file,
 *   the record and the damage
 *
 * Error codes in the %NETRING_ERROR domain.
 */
typedef enum {
  NETRING_ERROR_FAILED,
  NETRING_ERROR_PERMISSION_DENIED,
  NETRING_ERROR_NO_SUCH_INTERFACE,
  NETRING_ERROR_INVALID_CONFIGURATION,
  NETRING_ERROR_INVALID_ARGUMENT,
  NETRING_ERROR_NOT_SUPPORTED,
  NETRING_ERROR_BUSY,
  NETRING_ERROR_INTERFACE_DOWN,
  NETRING_ERROR_NO_MEMORY,
  NETRING_ERROR_XDP_PROGRAM,
  NETRING_ERROR_INVALID_DATA,
} NetringError;

/**
 * netring_error_quark:
 *
 * The quark of the %NETRING_ERROR domain; use %NETRING_ERROR instead.
 *
 * Returns: the error domain quark
 */
NETRING_AVAILABLE_IN_ALL
GQuark netring_error_quark (void);

G_END_DECLS
