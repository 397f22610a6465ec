/* netring-test-network.c: NetringTestNetwork, a private network with a veth pair for tests */
#define _GNU_SOURCE 1 /* unshare, setns, CLONE_NEWNET */
#include "netring-private.h"
#include "nr-iface.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

/**
 * SECTION:netring-test-network
 * @title: NetringTestNetwork
 * @short_description: a private network namespace with a veth pair, for tests
 *
 * The fixture netring's own tests use, for the test suites of programs
 * built on netring: a #NetringTestNetwork moves the calling thread into a
 * fresh, unnamed network namespace, creates a veth pair with names unique to
 * the process, brings both ends up, waits until both can carry frames, and
 * hands out the two names (#NetringTestNetwork:interface-a and
 * #NetringTestNetwork:interface-b). Frames sent on one end arrive on the
 * other, and nothing else is on the wire: IPv6 is switched off in the
 * namespace, so the kernel sends nothing of its own.
 *
 * Only the calling thread changes namespace (unshare(2) with
 * `CLONE_NEWNET` acts on the calling thread); threads and child processes
 * it starts afterwards are in the private namespace too. Create the network
 * before starting threads that must see it, and use it from that thread.
 *
 * netring_test_network_close(), or disposing of the object, deletes the pair
 * and returns the thread to the namespace it was in; the private namespace
 * disappears once nothing uses it any more. Call it (or drop the last
 * reference) from the thread that created the network: only that thread is
 * in the private namespace. Because the namespace has no name, it also
 * disappears with the process if the test crashes or is killed, even with
 * `SIGKILL`: nothing is left behind (unless a child process the test
 * started in the namespace outlives it).
 *
 * Needs `CAP_SYS_ADMIN` (for the namespace) and `CAP_NET_ADMIN`, and the
 * ip(8) program of iproute2. Without the privilege, init fails with
 * %NETRING_ERROR_PERMISSION_DENIED, which a test can turn into a skip.
 *
 * From Python: `net = Netring.TestNetwork.new()` then
 * `Netring.Capture(interface=net.props.interface_b)`.
 */

struct _NetringTestNetwork {
  GObject parent_instance;

  NetringReadiness readiness;
  gchar *interface_a;
  gchar *interface_b;
  int original_netns;  /* the thread's namespace before init, -1 = none */
  gboolean pair_created;
  GThread *owner;      /* the thread that moved into the namespace */
};

enum {
  PROP_0,
  PROP_INTERFACE_A,
  PROP_INTERFACE_B,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
static guint network_counter;  /* atomic */

static void netring_test_network_initable_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetringTestNetwork, netring_test_network, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      netring_test_network_initable_init))

/* Runs ip(8) and waits for it in the calling thread. Not GSubprocess: that
 * waits for children in GLib's worker thread, which would be started in
 * the private namespace by the first network and keep it alive for the
 * rest of the process (threads inherit the namespace of the thread that
 * starts them). */
static gboolean
run_ip (GError **error, const gchar *const *argv)
{
  g_autofree gchar *err_text = NULL;
  gint status;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                     &err_text, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                   /* Translators: %s is ip's error message */
                   _("Cannot set up the test network: ip failed: %s"),
                   err_text != NULL ? g_strstrip (err_text) : "");
      return FALSE;
    }
  return TRUE;
}

static void
write_sysctl (const char *path)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    return; /* no IPv6 in this kernel: nothing to silence */
  if (write (fd, "1", 1) < 0)
    g_debug ("cannot write %s: %s", path, g_strerror (errno));
  close (fd);
}

/* Polls, paced by 1 ms, until @name is up and running as rtnetlink reports
 * it: the link watcher sets IFF_RUNNING and activates the qdisc in one step
 * under the RTNL lock, which answers the query too. */
static gboolean
wait_running (const gchar *name, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      NrIfaceInfo info;
      int rc = nr_iface_query (name, &info);

      if (rc == 0 && (info.flags & IFF_UP) && (info.flags & IFF_RUNNING) && info.carrier)
        return TRUE;
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN,
                       /* Translators: %s is an interface name */
                       _("Cannot set up the test network: %s has no carrier after 10 s"), name);
          return FALSE;
        }
      g_usleep (1000);
    }
}

/* Deletes the pair and returns the calling thread to its namespace; what
 * close, dispose and a failed init share. */
static void
leave_network (NetringTestNetwork *self)
{
  if (self->pair_created && self->interface_a != NULL && if_nametoindex (self->interface_a) != 0)
    {
      const gchar *del[] = { "ip", "link", "del", self->interface_a, NULL };
      g_autoptr(GError) error = NULL;

      if (!run_ip (&error, del))
        g_warning ("%s", error->message);
    }
  self->pair_created = FALSE;
  if (self->original_netns >= 0)
    {
      if (setns (self->original_netns, CLONE_NEWNET) != 0)
        g_warning ("cannot return to the original network namespace: %s", g_strerror (errno));
      close (self->original_netns);
      self->original_netns = -1;
    }
}

static gboolean
enter_network (NetringTestNetwork *self, GError **error)
{
  guint n = (guint) g_atomic_int_add (&network_counter, 1);

  self->original_netns = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (unshare (CLONE_NEWNET) != 0)
    {
      int errsv = errno;

      if (self->original_netns >= 0)
        close (self->original_netns);
      self->original_netns = -1;
      g_set_error (error, NETRING_ERROR,
                   errsv == EPERM ? NETRING_ERROR_PERMISSION_DENIED : NETRING_ERROR_FAILED,
                   /* Translators: %s is the system's error message */
                   _("Cannot create a private network namespace (unshare, needs CAP_SYS_ADMIN): %s"),
                   g_strerror (errsv));
      return FALSE;
    }
  self->owner = g_thread_self ();
  write_sysctl ("/proc/sys/net/ipv6/conf/all/disable_ipv6");
  write_sysctl ("/proc/sys/net/ipv6/conf/default/disable_ipv6");

  /* unique in the process; the namespace is private, so in the system too */
  self->interface_a = g_strdup_printf ("nrnet%ua", n);
  self->interface_b = g_strdup_printf ("nrnet%ub", n);
  {
    const gchar *add[] = { "ip", "link", "add", self->interface_a, "type", "veth", "peer",
                           "name", self->interface_b, NULL };
    const gchar *up_a[] = { "ip", "link", "set", self->interface_a, "up", NULL };
    const gchar *up_b[] = { "ip", "link", "set", self->interface_b, "up", NULL };

    if (!run_ip (error, add))
      return FALSE;
    self->pair_created = TRUE;
    if (!run_ip (error, up_a) || !run_ip (error, up_b))
      return FALSE;
  }
  return wait_running (self->interface_a, error) && wait_running (self->interface_b, error);
}

static gboolean
netring_test_network_initable_init_impl (GInitable *initable, GCancellable *cancellable,
                                         GError **error)
{
  NetringTestNetwork *self = NETRING_TEST_NETWORK (initable);
  g_autoptr(GError) local_error = NULL;
  gboolean result;

  if (!netring_readiness_init_begin (&self->readiness, &result, error))
    return result;

  if (!enter_network (self, &local_error))
    leave_network (self);  /* a failed init leaves the thread where it was */

  result = netring_readiness_init_done (&self->readiness, local_error);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return result;
}

static void
netring_test_network_initable_init (GInitableIface *iface)
{
  iface->init = netring_test_network_initable_init_impl;
}

/* Leaves the network unless close() did. Only the thread that created it is
 * in the namespace: from another thread the pair cannot be reached by name
 * and setns() would move the wrong thread, so that is refused loudly. */
static void
close_network (NetringTestNetwork *self)
{
  if (!netring_readiness_close (&self->readiness) || !self->pair_created)
    return;
  if (self->owner != g_thread_self ())
    {
      g_critical ("NetringTestNetwork: closed from a thread other than the one that created "
                  "it; %s and %s stay until that thread or the process ends",
                  self->interface_a, self->interface_b);
      return;
    }
  leave_network (self);
}

static void
netring_test_network_dispose (GObject *object)
{
  close_network (NETRING_TEST_NETWORK (object));

  G_OBJECT_CLASS (netring_test_network_parent_class)->dispose (object);
}

static void
netring_test_network_finalize (GObject *object)
{
  NetringTestNetwork *self = NETRING_TEST_NETWORK (object);

  if (self->original_netns >= 0)
    close (self->original_netns);
  g_free (self->interface_a);
  g_free (self->interface_b);
  netring_readiness_clear (&self->readiness);

  G_OBJECT_CLASS (netring_test_network_parent_class)->finalize (object);
}

static void
netring_test_network_get_property (GObject *object, guint prop_id, GValue *value,
                                   GParamSpec *pspec)
{
  NetringTestNetwork *self = NETRING_TEST_NETWORK (object);

  switch (prop_id)
    {
    case PROP_INTERFACE_A:
      g_value_set_string (value, netring_test_network_get_interface_a (self));
      break;
    case PROP_INTERFACE_B:
      g_value_set_string (value, netring_test_network_get_interface_b (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_test_network_class_init (NetringTestNetworkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = netring_test_network_dispose;
  object_class->finalize = netring_test_network_finalize;
  object_class->get_property = netring_test_network_get_property;

  /**
   * NetringTestNetwork:interface-a: (getter get_interface_a)
   *
   * The name of one end of the veth pair (the end tests usually send on),
   * %NULL before init, after a failed init and after close.
   */
  properties[PROP_INTERFACE_A] =
    g_param_spec_string ("interface-a", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NetringTestNetwork:interface-b: (getter get_interface_b)
   *
   * The name of the other end of the veth pair (the end tests usually
   * capture on), %NULL before init, after a failed init and after close.
   */
  properties[PROP_INTERFACE_B] =
    g_param_spec_string ("interface-b", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
netring_test_network_init (NetringTestNetwork *self)
{
  self->original_netns = -1;
}

/**
 * netring_test_network_new:
 * @error: return location for a #GError
 *
 * Moves the calling thread into a new, unnamed network namespace and
 * creates a veth pair there, both ends up and able to carry frames. See the
 * section's description for what changes namespace and what is removed when.
 *
 * Returns: (transfer full): the network, or %NULL with @error set
 *   (%NETRING_ERROR_PERMISSION_DENIED without the privilege)
 */
NetringTestNetwork *
netring_test_network_new (GError **error)
{
  return g_initable_new (NETRING_TYPE_TEST_NETWORK, NULL, error, NULL);
}

/**
 * netring_test_network_get_interface_a:
 * @self: a test network
 *
 * The end tests usually send on.
 *
 * Returns: (nullable): the name of one end of the pair, %NULL before init,
 *   after a failed init and after netring_test_network_close()
 */
const gchar *
netring_test_network_get_interface_a (NetringTestNetwork *self)
{
  g_return_val_if_fail (NETRING_IS_TEST_NETWORK (self), NULL);
  return netring_readiness_ready (&self->readiness) ? self->interface_a : NULL;
}

/**
 * netring_test_network_get_interface_b:
 * @self: a test network
 *
 * The end tests usually capture on.
 *
 * Returns: (nullable): the name of the other end of the pair, %NULL before
 *   init, after a failed init and after netring_test_network_close()
 */
const gchar *
netring_test_network_get_interface_b (NetringTestNetwork *self)
{
  g_return_val_if_fail (NETRING_IS_TEST_NETWORK (self), NULL);
  return netring_readiness_ready (&self->readiness) ? self->interface_b : NULL;
}

/**
 * netring_test_network_close:
 * @self: a test network
 * @error: return location for a #GError
 *
 * Deletes the veth pair and returns the calling thread to the network
 * namespace it was in before init, now rather than when the object is
 * disposed of (from a garbage-collected language, when the collector
 * runs). Call it from the thread that created the network. Closing twice
 * does nothing and succeeds.
 *
 * Returns: %TRUE on success; %FALSE with %G_IO_ERROR_NOT_INITIALIZED before
 *   init, or with the init error after a failed init
 */
gboolean
netring_test_network_close (NetringTestNetwork *self, GError **error)
{
  g_return_val_if_fail (NETRING_IS_TEST_NETWORK (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->readiness.closed)
    return TRUE;
  if (!netring_readiness_check (&self->readiness, "NetringTestNetwork", error))
    return FALSE;
  close_network (self);
  return TRUE;
}
