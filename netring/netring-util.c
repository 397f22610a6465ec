/* netring-util.c: errors, gettext set-up, interface lookup, poll helper,
 * the ring memory rule */
#include "netring-private.h"
#include "nr-memory.h"

#include <net/if.h>
#include <poll.h>
#include <string.h>

G_DEFINE_QUARK (netring-error-quark, netring_error)

void
netring_i18n_init (void)
{
  static gsize initialised = 0;

  if (g_once_init_enter (&initialised))
    {
      bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&initialised, 1);
    }
}

void
netring_set_error_from_errno (GError    **error,
                              int         saved_errno,
                              const char *operation,
                              const char *capability)
{
  const char *reason = g_strerror (saved_errno);

  if (error == NULL)
    return;

  switch (saved_errno)
    {
    case EPERM:
    case EACCES:
      /* TRANSLATORS: first %s is a system call, second a Linux capability
       * such as CAP_NET_RAW, third the system's error message */
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_PERMISSION_DENIED,
                   _("%s failed: permission denied (the process needs %s): %s"),
                   operation, capability ? capability : NETRING_CAP_NET_RAW, reason);
      break;
    case ENODEV:
    case ENXIO:
    case ENETDOWN:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN,
                   _("%s failed: the interface is down or was removed: %s"),
                   operation, reason);
      break;
    case ENOMEM:
    case ENOBUFS:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NO_MEMORY,
                   _("%s failed: the kernel could not allocate the memory: %s"),
                   operation, reason);
      break;
    case EOPNOTSUPP:
    case EPROTONOSUPPORT:
    case EAFNOSUPPORT:
    case ENOPROTOOPT:
    case ENOSYS:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED,
                   _("%s failed: not supported by this kernel or driver: %s"),
                   operation, reason);
      break;
    case EBUSY:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_BUSY,
                   _("%s failed: the resource is busy: %s"), operation, reason);
      break;
    case EAGAIN:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                   _("%s would block: %s"), operation, reason);
      break;
    default:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                   _("%s failed: %s"), operation, reason);
      break;
    }
}

int
netring_interface_index (const char *name, GError **error)
{
  unsigned int index;

  if (name == NULL || name[0] == '\0')
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("The “interface” property is required: set it to the name "
                             "of a network interface"));
      return 0;
    }
  if (strlen (name) >= IF_NAMESIZE)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE,
                   _("No such network interface “%s”: names are at most %d bytes long"),
                   name, IF_NAMESIZE - 1);
      return 0;
    }
  index = if_nametoindex (name);
  if (index == 0)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE,
                   _("No such network interface “%s”"), name);
      return 0;
    }
  return (int) index;
}

gboolean
netring_check_ring_memory (guint64 ring_bytes, const char *ring, const char *property_a,
                           const char *property_b, GError **error)
{
  NrMemory memory;
  guint64 usable, machine;

  nr_memory_read ("/proc", "/sys/fs/cgroup", &memory);
  usable = nr_memory_usable (&memory);
  if (ring_bytes <= usable)
    return TRUE;

  /* what the machine alone would give, as nr_memory_usable() takes it */
  machine = memory.available != 0 ? memory.available : memory.total;
  if (machine == 0)
    machine = G_MAXUINT64;
  if (memory.cgroup_limit != G_MAXUINT64 && usable < machine)
    {
      g_autofree gchar *left = g_format_size_full (usable, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree gchar *limit = g_format_size_full (memory.cgroup_limit,
                                                    G_FORMAT_SIZE_IEC_UNITS);

      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NO_MEMORY,
                   /* TRANSLATORS: the first %s describes the ring, e.g. "“block-size”
                    * 1.0 GiB × “block-count” 64 = 64.0 GiB"; the next two are sizes;
                    * the last two are property names */
                   _("The ring (%s) is larger than the memory the process's memory cgroup "
                     "has left (%s of its %s limit): lower “%s” or “%s”"),
                   ring, left, limit, property_a, property_b);
    }
  else
    {
      g_autofree gchar *available = g_format_size_full (usable, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree gchar *total = g_format_size_full (memory.total, G_FORMAT_SIZE_IEC_UNITS);

      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NO_MEMORY,
                   /* TRANSLATORS: the first %s describes the ring, e.g. "“block-size”
                    * 1.0 GiB × “block-count” 64 = 64.0 GiB"; the next two are sizes;
                    * the last two are property names */
                   _("The ring (%s) is larger than the memory the machine can give (%s "
                     "available of %s): lower “%s” or “%s”"),
                   ring, available, total, property_a, property_b);
    }
  return FALSE;
}

int
netring_poll_fd (int fd, short events, gint timeout_ms, GCancellable *cancellable,
                 GError **error)
{
  GPollFD fds[2];
  guint nfds = 1;
  gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  int result;

  fds[0].fd = fd;
  fds[0].events = events;
  if (cancellable != NULL && g_cancellable_make_pollfd (cancellable, &fds[1]))
    nfds = 2;

  for (;;)
    {
      gint wait_ms = -1;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          result = -1;
          break;
        }
      if (deadline >= 0)
        {
          gint64 left = deadline - g_get_monotonic_time ();
          wait_ms = left <= 0 ? 0 : (gint) ((left + 999) / 1000);
        }
      fds[0].revents = 0;
      if (nfds == 2)
        fds[1].revents = 0;
      result = g_poll (fds, nfds, wait_ms);
      if (result < 0)
        {
          int errsv = errno;
          if (errsv == EINTR)
            continue; /* retried with the time that is left, not the full timeout */
          netring_set_error_from_errno (error, errsv, "poll()", NULL);
          result = -1;
          break;
        }
      if (nfds == 2 && fds[1].revents != 0)
        {
          g_cancellable_set_error_if_cancelled (cancellable, error);
          result = -1;
          break;
        }
      result = fds[0].revents;
      break;
    }

  if (nfds == 2)
    g_cancellable_release_fd (cancellable);
  return result;
}

gboolean
netring_readiness_check (const NetringReadiness *readiness,
                         const char             *type_name,
                         GError                **error)
{
  if (G_LIKELY (netring_readiness_ready (readiness)))
    return TRUE;

  if (readiness->closed)
    /* TRANSLATORS: %s is a type name such as NetringCapture */
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, _("The %s is closed"), type_name);
  else if (readiness->init_error != NULL)
    g_propagate_error (error, g_error_copy (readiness->init_error));
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                 /* TRANSLATORS: %s is a type name such as NetringCapture */
                 _("The %s is not initialized: call g_initable_init() before using it"),
                 type_name);
  return FALSE;
}

gboolean
netring_readiness_init_begin (NetringReadiness *readiness, gboolean *result, GError **error)
{
  if (!readiness->initialized)
    return TRUE;
  if (readiness->init_error != NULL)
    {
      g_propagate_error (error, g_error_copy (readiness->init_error));
      *result = FALSE;
    }
  else
    *result = TRUE;
  return FALSE;
}

gboolean
netring_readiness_init_done (NetringReadiness *readiness, const GError *init_error)
{
  readiness->initialized = TRUE;
  g_clear_error (&readiness->init_error);
  if (init_error != NULL)
    readiness->init_error = g_error_copy (init_error);
  return init_error == NULL;
}

gboolean
netring_readiness_close (NetringReadiness *readiness)
{
  if (readiness->closed)
    return FALSE;
  readiness->closed = TRUE;
  return TRUE;
}

void
netring_readiness_clear (NetringReadiness *readiness)
{
  g_clear_error (&readiness->init_error);
}

#if NETRING_DEBUG_CHECKS
gboolean
netring_thread_guard_enter (NetringThreadGuard *guard, gconstpointer object, const char *call)
{
  GThread *self = g_thread_self ();
  gpointer owner;

  if (g_atomic_pointer_compare_and_exchange (&guard->thread, NULL, self))
    {
      guard->depth = 1;
      guard->call = call;
      return TRUE;
    }
  owner = g_atomic_pointer_get (&guard->thread);
  if (owner == self)
    {
      guard->depth++;
      return TRUE;
    }
  /* guard->call belongs to the other thread: read once, for the message */
  g_critical ("%s %p: %s() called in thread %p while thread %p is in %s(): an object may be "
              "used from one thread at a time",
              G_IS_OBJECT (object) ? G_OBJECT_TYPE_NAME (object) : "object", object, call,
              (gpointer) self, owner, (const char *) g_atomic_pointer_get (&guard->call));
  return FALSE;
}

void
netring_thread_guard_leave (NetringThreadGuard *guard)
{
  if (--guard->depth == 0)
    g_atomic_pointer_set (&guard->thread, NULL);
}
#endif
