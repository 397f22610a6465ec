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
 * When the object is finalized the pair is deleted and the thread returns
 * to the namespace it was in; the private namespace disappears once nothing
 * uses it any more. Because it has no name, it also disappears with the
 * process if the test crashes: nothing is left behind.
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

  gchar *interface_a;
  gchar *interface_b;
  int original_netns;  /* the thread's namespace before init, -1 = none */
  gboolean initialized;
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

static gboolean
run_ip (GError **error, const gchar *const *argv)
{
  g_autoptr(GSubprocess) ip = NULL;
  g_autofree gchar *err_text = NULL;

  ip = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                          error);
  if (ip == NULL || !g_subprocess_communicate_utf8 (ip, NULL, NULL, NULL, &err_text, error))
    return FALSE;
  if (!g_subprocess_get_successful (ip))
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

static gboolean
netring_test_network_initable_init_impl (GInitable *initable, GCancellable *cancellable,
                                         GError **error)
{
  NetringTestNetwork *self = NETRING_TEST_NETWORK (initable);
  guint n = (guint) g_atomic_int_add (&network_counter, 1);

  g_return_val_if_fail (!self->initialized, FALSE);
  self->initialized = TRUE;

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

    if (!run_ip (error, add) || !run_ip (error, up_a) || !run_ip (error, up_b))
      return FALSE;
  }
  return wait_running (self->interface_a, error) && wait_running (self->interface_b, error);
}

static void
netring_test_network_initable_init (GInitableIface *iface)
{
  iface->init = netring_test_network_initable_init_impl;
}

static void
netring_test_network_finalize (GObject *object)
{
  NetringTestNetwork *self = NETRING_TEST_NETWORK (object);

  if (self->interface_a != NULL && if_nametoindex (self->interface_a) != 0)
    {
      const gchar *del[] = { "ip", "link", "del", self->interface_a, NULL };
      g_autoptr(GError) error = NULL;

      if (!run_ip (&error, del))
        g_warning ("%s", error->message);
    }
  if (self->original_netns >= 0)
    {
      if (setns (self->original_netns, CLONE_NEWNET) != 0)
        g_warning ("cannot return to the original network namespace: %s", g_strerror (errno));
      close (self->original_netns);
    }
  g_free (self->interface_a);
  g_free (self->interface_b);

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
      g_value_set_string (value, self->interface_a);
      break;
    case PROP_INTERFACE_B:
      g_value_set_string (value, self->interface_b);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_test_network_class_init (NetringTestNetworkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netring_test_network_finalize;
  object_class->get_property = netring_test_network_get_property;

  /**
   * NetringTestNetwork:interface-a: (getter get_interface_a)
   *
   * The name of one end of the veth pair (the end tests usually send on),
   * %NULL before init.
   */
  properties[PROP_INTERFACE_A] =
    g_param_spec_string ("interface-a", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NetringTestNetwork:interface-b: (getter get_interface_b)
   *
   * The name of the other end of the veth pair (the end tests usually
   * capture on), %NULL before init.
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
 * Returns: (nullable): the name of one end of the pair, %NULL before init
 */
const gchar *
netring_test_network_get_interface_a (NetringTestNetwork *self)
{
  g_return_val_if_fail (NETRING_IS_TEST_NETWORK (self), NULL);
  return self->interface_a;
}

/**
 * netring_test_network_get_interface_b:
 * @self: a test network
 *
 * The end tests usually capture on.
 *
 * Returns: (nullable): the name of the other end of the pair, %NULL before init
 */
const gchar *
netring_test_network_get_interface_b (NetringTestNetwork *self)
{
  g_return_val_if_fail (NETRING_IS_TEST_NETWORK (self), NULL);
  return self->interface_b;
}
