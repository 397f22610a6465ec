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

/* The ring memory rule, one for every object that maps a ring: a ring the
 * machine cannot give would be met by the OOM killer, not by an error.
 * Refuses a ring of @ring_bytes larger than what the machine (MemAvailable)
 * and the process's memory cgroup (the limit that binds along its path, v1
 * or v2) can give right now, with NETRING_ERROR_NO_MEMORY naming the ring
 * (@ring: its size and the settings that make it, worded by the caller),
 * the memory there is (the cgroup's limit when that binds) and the two
 * properties to lower, @property_a and @property_b. Reads /proc and the
 * cgroup file system and allocates nothing; when neither can be read,
 * nothing is refused. */
gboolean netring_check_ring_memory (guint64      ring_bytes,
                                    const char  *ring,
                                    const char  *property_a,
                                    const char  *property_b,
                                    GError     **error);

/* The readiness of an object, checked at the top of every call that needs a
 * working socket, as GSocket's check_socket() does: one rule for every
 * class, so that "used before init", "init failed" and "closed" always give
 * the same errors. */
typedef struct {
  GError *init_error; /* why init failed; handed out again by every later call */
  guint initialized : 1;
  guint closed : 1;
} NetringReadiness;

/* Whether the object may be used (initialized, init succeeded, not
 * closed), without an error: for the fast path and for what works in any
 * state. */
static inline gboolean
netring_readiness_ready (const NetringReadiness *readiness)
{
  return readiness->initialized && !readiness->closed && readiness->init_error == NULL;
}

/* Returns TRUE when the object may be used; otherwise sets @error to
 * G_IO_ERROR_NOT_INITIALIZED (before init, naming @type_name), a copy of the
 * stored init error (after a failed init) or G_IO_ERROR_CLOSED (after
 * close()). */
gboolean netring_readiness_check (const NetringReadiness *readiness,
                                  const char             *type_name,
                                  GError                **error);

/* For GInitable::init. Returns TRUE when init must run (the first call);
 * otherwise returns FALSE and sets *@result to what the first init gave
 * (with @error set to a copy of its error when it failed): init is
 * idempotent, as GInitable requires. */
gboolean netring_readiness_init_begin (NetringReadiness *readiness,
                                       gboolean         *result,
                                       GError          **error);

/* Records the outcome of the first init: @init_error is the error it
 * failed with (copied), or NULL when it succeeded. Returns whether it
 * succeeded. Init runs its body with a local GError (the caller's @error may
 * be NULL, and the failure must be kept all the same), then ends with
 *   ok = netring_readiness_init_done (&self->readiness, local_error);
 *   if (local_error) g_propagate_error (error, g_steal_pointer (&local_error)); */
gboolean netring_readiness_init_done (NetringReadiness *readiness, const GError *init_error);

/* Marks the object closed. Returns FALSE when it already was (close() is
 * idempotent: a second call does nothing and succeeds). */
gboolean netring_readiness_close (NetringReadiness *readiness);

/* Frees what the readiness holds (for finalize). */
void netring_readiness_clear (NetringReadiness *readiness);

/* One object is used from one thread at a time (DESIGN.md, "Threads"). In
 * builds with NETRING_DEBUG_CHECKS (meson option debug-checks, on in debug
 * and debugoptimized builds) the shared receive and send machinery marks the
 * object busy for the length of every call that touches its ring or socket
 * (a blocking wait included); a call that finds it busy in another thread is
 * a programming error and says so with g_critical(), naming both calls. The
 * same thread may nest calls (a callback that calls the object again). Use
 * from a thread other than the creator's is fine, overlapping use is not. */
typedef struct {
  gpointer thread;  /* atomic: the GThread inside a call, or NULL */
  guint depth;      /* nested calls of that thread; its own */
  const char *call; /* the outermost call in progress, for the message */
} NetringThreadGuard;

#if NETRING_DEBUG_CHECKS
/* Marks @guard busy for the calling thread, or reports the overlap. Returns
 * whether the caller must leave it (FALSE after a reported overlap). */
gboolean netring_thread_guard_enter (NetringThreadGuard *guard,
                                     gconstpointer       object,
                                     const char         *call);
void netring_thread_guard_leave (NetringThreadGuard *guard);

typedef struct {
  NetringThreadGuard *guard;
} NetringThreadGuardScope;

static inline void
netring_thread_guard_scope_leave (NetringThreadGuardScope *scope)
{
  if (scope->guard != NULL)
    netring_thread_guard_leave (scope->guard);
}

/* Enters @guard (a NetringThreadGuard *, may be NULL) until the end of the
 * enclosing block. */
#define NETRING_THREAD_GUARD_SCOPE(guard, object, call)                                       \
  G_GNUC_UNUSED __attribute__ ((cleanup (netring_thread_guard_scope_leave)))                 \
  NetringThreadGuardScope netring_thread_guard_scope_ = {                                     \
    ((guard) != NULL && netring_thread_guard_enter ((guard), (object), (call))) ? (guard)     \
                                                                                : NULL        \
  }
#else
#define NETRING_THREAD_GUARD_SCOPE(guard, object, call) (void) 0
#endif

/* Whether EPERM from socket(AF_PACKET) means the test/user lacks CAP_NET_RAW. */
#define NETRING_CAP_NET_RAW "CAP_NET_RAW"
#define NETRING_CAP_NET_ADMIN "CAP_NET_ADMIN"

G_END_DECLS
