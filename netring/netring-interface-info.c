/* netring-interface-info.c: interface information (NetringInterfaceInfo) */
#include "netring-private.h"

#include "nr-iface.h" /* <net/if.h> first: the uapi headers then defer to it */

#include <linux/if.h>
#include <linux/if_link.h>
#include <string.h>

/**
 * SECTION:netring-interface-info
 * @short_description: What the kernel says about a network interface
 * @title: NetringInterfaceInfo
 * @see_also: #NetringCapture, #NetringPcapWriter
 *
 * A #NetringInterfaceInfo is a snapshot of one network interface as the
 * kernel describes it in the caller's network namespace: index, name, MTU,
 * flags, operational state, carrier, speed and duplex, driver, link-layer
 * address, link type, queue counts, promiscuity and the attached XDP
 * program. netring_interface_info_refresh() takes a new snapshot.
 *
 * Everything is asked of the kernel through sockets made in the calling
 * thread's network namespace (interface and ethtool ioctls, one rtnetlink
 * request), never read from sysfs: /sys/class/net shows the namespace sysfs
 * was mounted in, which in a container or after setns() is not the
 * caller's.
 *
 * What a driver does not report stays unknown and says so: a speed of
 * %NETRING_INTERFACE_SPEED_UNKNOWN (never 0), %NETRING_DUPLEX_UNKNOWN, a
 * %NULL driver.
 *
 * netring_interface_info_suggest_profile() and
 * netring_interface_info_suggest_fanout_threads() turn the snapshot into
 * settings for a #NetringCapture:
 *
 * |[<!-- language="C" -->
 * g_autoptr(NetringInterfaceInfo) info = netring_interface_info_new ("eth0", &error);
 * g_autoptr(NetringCapture) capture = NULL;
 *
 * if (info == NULL)
 *   return FALSE;
 * capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error,
 *                           "interface", "eth0",
 *                           "profile", netring_interface_info_suggest_profile (info),
 *                           NULL);
 * ]|
 *
 * In Python: `info = Netring.InterfaceInfo.new("eth0")`, then
 * `info.props.mtu`, `info.get_speed()`, … .
 *
 * An info is created and used in one thread at a time; different infos in
 * different threads are independent.
 */

G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_UP == (int) IFF_UP);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_BROADCAST == (int) IFF_BROADCAST);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_DEBUG == (int) IFF_DEBUG);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_LOOPBACK == (int) IFF_LOOPBACK);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_POINT_TO_POINT == (int) IFF_POINTOPOINT);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_NO_TRAILERS == (int) IFF_NOTRAILERS);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_RUNNING == (int) IFF_RUNNING);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_NO_ARP == (int) IFF_NOARP);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_PROMISCUOUS == (int) IFF_PROMISC);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_ALL_MULTICAST == (int) IFF_ALLMULTI);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_MASTER == (int) IFF_MASTER);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_SLAVE == (int) IFF_SLAVE);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_MULTICAST == (int) IFF_MULTICAST);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_PORT_SELECT == (int) IFF_PORTSEL);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_AUTO_MEDIA == (int) IFF_AUTOMEDIA);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_DYNAMIC == (int) IFF_DYNAMIC);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_LOWER_UP == (int) IFF_LOWER_UP);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_DORMANT == (int) IFF_DORMANT);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_FLAGS_ECHO == (int) IFF_ECHO);
G_STATIC_ASSERT ((int) NETRING_OPER_STATE_UNKNOWN == (int) IF_OPER_UNKNOWN);
G_STATIC_ASSERT ((int) NETRING_OPER_STATE_NOT_PRESENT == (int) IF_OPER_NOTPRESENT);
G_STATIC_ASSERT ((int) NETRING_OPER_STATE_DOWN == (int) IF_OPER_DOWN);
G_STATIC_ASSERT ((int) NETRING_OPER_STATE_LOWER_LAYER_DOWN == (int) IF_OPER_LOWERLAYERDOWN);
G_STATIC_ASSERT ((int) NETRING_OPER_STATE_TESTING == (int) IF_OPER_TESTING);
G_STATIC_ASSERT ((int) NETRING_OPER_STATE_DORMANT == (int) IF_OPER_DORMANT);
G_STATIC_ASSERT ((int) NETRING_OPER_STATE_UP == (int) IF_OPER_UP);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_XDP_MODE_NONE == (int) XDP_ATTACHED_NONE);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_XDP_MODE_NATIVE == (int) XDP_ATTACHED_DRV);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_XDP_MODE_GENERIC == (int) XDP_ATTACHED_SKB);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_XDP_MODE_OFFLOAD == (int) XDP_ATTACHED_HW);
G_STATIC_ASSERT ((int) NETRING_INTERFACE_XDP_MODE_MULTIPLE == (int) XDP_ATTACHED_MULTI);
G_STATIC_ASSERT ((int) NETRING_RING_PROFILE_DEFAULT == (int) NR_IFACE_PROFILE_DEFAULT);
G_STATIC_ASSERT ((int) NETRING_RING_PROFILE_HIGH_THROUGHPUT == (int) NR_IFACE_PROFILE_HIGH_THROUGHPUT);
G_STATIC_ASSERT ((int) NETRING_RING_PROFILE_LOW_LATENCY == (int) NR_IFACE_PROFILE_LOW_LATENCY);
G_STATIC_ASSERT ((int) NETRING_RING_PROFILE_LOW_MEMORY == (int) NR_IFACE_PROFILE_LOW_MEMORY);
G_STATIC_ASSERT ((int) NETRING_RING_PROFILE_JUMBO_FRAMES == (int) NR_IFACE_PROFILE_JUMBO_FRAMES);
G_STATIC_ASSERT (NETRING_INTERFACE_SPEED_UNKNOWN == NR_IFACE_SPEED_UNKNOWN);

struct _NetringInterfaceInfo {
  GObject parent_instance;

  NetringReadiness readiness;

  /* construct-only: what to query */
  gchar *requested_name;
  gint requested_index;

  /* the snapshot; the strings and the bytes are derived from it */
  NrIfaceInfo info;
  gboolean have_info;
  gchar *name;
  GBytes *address;
  gchar *address_string;
};

static void netring_interface_info_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetringInterfaceInfo, netring_interface_info, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      netring_interface_info_initable_iface_init))

enum {
  PROP_0,
  PROP_NAME,
  PROP_INDEX,
  PROP_MTU,
  PROP_FLAGS,
  PROP_OPER_STATE,
  PROP_CARRIER,
  PROP_SPEED,
  PROP_DUPLEX,
  PROP_DRIVER,
  PROP_KIND,
  PROP_ADDRESS,
  PROP_ADDRESS_STRING,
  PROP_ARP_TYPE,
  PROP_LINK_TYPE,
  PROP_RX_QUEUES,
  PROP_TX_QUEUES,
  PROP_PROMISCUITY,
  PROP_XDP_PROGRAM_ID,
  PROP_XDP_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- the query ---------------------------------------------------------- */

/* Runs the query for @name or, when @index > 0, for @index, with the error
 * rule of the library: the interface named in every message. */
static gboolean
query (const gchar *name, gint index, NrIfaceInfo *out, GError **error)
{
  int r;

  if (index > 0)
    r = nr_iface_query_index (index, out);
  else
    r = nr_iface_query (name, out);
  if (r == 0)
    return TRUE;

  if (r == -EINVAL)
    g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                         _("The “name” property of the NetringInterfaceInfo is empty: set it "
                           "to the name of a network interface"));
  else if (r == -ENODEV && index > 0)
    g_set_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE,
                 _("No network interface has the index %d"), index);
  else if (r == -ENODEV && strlen (name) >= IF_NAMESIZE)
    g_set_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE,
                 _("No such network interface “%s”: names are at most %d bytes long"),
                 name, IF_NAMESIZE - 1);
  else if (r == -ENODEV)
    g_set_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE,
                 _("No such network interface “%s”"), name);
  else
    {
      g_autofree gchar *operation = index > 0
        ? g_strdup_printf ("ioctl/rtnetlink query of interface %d", index)
        : g_strdup_printf ("ioctl/rtnetlink query of interface %s", name);
      netring_set_error_from_errno (error, -r, operation, NETRING_CAP_NET_ADMIN);
    }
  return FALSE;
}

static gchar *
format_address (const guint8 *address, guint length)
{
  GString *s = g_string_sized_new (length * 3);
  guint i;

  for (i = 0; i < length; i++)
    g_string_append_printf (s, i == 0 ? "%02x" : ":%02x", address[i]);
  return g_string_free (s, FALSE);
}

/* Installs @fresh as the snapshot. The GBytes of the address is kept when
 * the address did not change, so that only properties that changed differ
 * (and are notified by refresh). */
static void
take_snapshot (NetringInterfaceInfo *self, const NrIfaceInfo *fresh)
{
  self->info = *fresh;
  self->have_info = TRUE;
  if (g_strcmp0 (self->name, fresh->name) != 0)
    {
      g_free (self->name);
      self->name = g_strdup (fresh->name);
    }
  if (fresh->address_length == 0)
    {
      g_clear_pointer (&self->address, g_bytes_unref);
      g_clear_pointer (&self->address_string, g_free);
    }
  else if (self->address == NULL ||
           g_bytes_get_size (self->address) != fresh->address_length ||
           memcmp (g_bytes_get_data (self->address, NULL), fresh->address,
                   fresh->address_length) != 0)
    {
      g_clear_pointer (&self->address, g_bytes_unref);
      g_free (self->address_string);
      self->address = g_bytes_new (fresh->address, fresh->address_length);
      self->address_string = format_address (fresh->address, fresh->address_length);
    }
}

static guint
tx_queue_count (const NrIfaceInfo *info)
{
  /* the same rule as nr_iface_rx_queue_count(), for the other direction */
  if (info->channels_known && info->tx_channels + info->combined_channels > 0)
    return info->tx_channels + info->combined_channels;
  return MAX (info->num_tx_queues, 1);
}

/* ---- GInitable ---------------------------------------------------------- */

static gboolean
netring_interface_info_initable_init (GInitable *initable, GCancellable *cancellable,
                                      GError **error)
{
  NetringInterfaceInfo *self = NETRING_INTERFACE_INFO (initable);
  g_autoptr(GError) local_error = NULL;
  NrIfaceInfo fresh;
  gboolean result;

  if (!netring_readiness_init_begin (&self->readiness, &result, error))
    return result;

  if (self->requested_index <= 0 && self->requested_name == NULL)
    g_set_error_literal (&local_error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                         _("Set the “name” or the “index” property of the "
                           "NetringInterfaceInfo to choose a network interface"));
  else if (query (self->requested_name, self->requested_index, &fresh, &local_error))
    {
      if (self->requested_index > 0 && self->requested_name != NULL &&
          g_strcmp0 (self->requested_name, fresh.name) != 0)
        g_set_error (&local_error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                     _("The “name” and “index” properties of the NetringInterfaceInfo "
                       "name different interfaces: “%s”, and %d, which is “%s”"),
                     self->requested_name, self->requested_index, fresh.name);
      else
        take_snapshot (self, &fresh);
    }

  result = netring_readiness_init_done (&self->readiness, local_error);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return result;
}

static void
netring_interface_info_initable_iface_init (GInitableIface *iface)
{
  iface->init = netring_interface_info_initable_init;
}

/* ---- GObject ------------------------------------------------------------ */

static void
netring_interface_info_finalize (GObject *object)
{
  NetringInterfaceInfo *self = NETRING_INTERFACE_INFO (object);

  g_free (self->requested_name);
  g_free (self->name);
  g_clear_pointer (&self->address, g_bytes_unref);
  g_free (self->address_string);
  netring_readiness_clear (&self->readiness);

  G_OBJECT_CLASS (netring_interface_info_parent_class)->finalize (object);
}

static void
netring_interface_info_get_property (GObject *object, guint prop_id, GValue *value,
                                     GParamSpec *pspec)
{
  NetringInterfaceInfo *self = NETRING_INTERFACE_INFO (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, netring_interface_info_get_name (self));
      break;
    case PROP_INDEX:
      g_value_set_int (value, netring_interface_info_get_index (self));
      break;
    case PROP_MTU:
      g_value_set_uint (value, netring_interface_info_get_mtu (self));
      break;
    case PROP_FLAGS:
      g_value_set_flags (value, netring_interface_info_get_flags (self));
      break;
    case PROP_OPER_STATE:
      g_value_set_enum (value, netring_interface_info_get_oper_state (self));
      break;
    case PROP_CARRIER:
      g_value_set_boolean (value, netring_interface_info_get_carrier (self));
      break;
    case PROP_SPEED:
      g_value_set_int (value, netring_interface_info_get_speed (self));
      break;
    case PROP_DUPLEX:
      g_value_set_enum (value, netring_interface_info_get_duplex (self));
      break;
    case PROP_DRIVER:
      g_value_set_string (value, netring_interface_info_get_driver (self));
      break;
    case PROP_KIND:
      g_value_set_string (value, netring_interface_info_get_kind (self));
      break;
    case PROP_ADDRESS:
      g_value_set_boxed (value, netring_interface_info_get_address (self));
      break;
    case PROP_ADDRESS_STRING:
      g_value_set_string (value, netring_interface_info_get_address_string (self));
      break;
    case PROP_ARP_TYPE:
      g_value_set_uint (value, netring_interface_info_get_arp_type (self));
      break;
    case PROP_LINK_TYPE:
      g_value_set_int (value, netring_interface_info_get_link_type (self));
      break;
    case PROP_RX_QUEUES:
      g_value_set_uint (value, netring_interface_info_get_rx_queues (self));
      break;
    case PROP_TX_QUEUES:
      g_value_set_uint (value, netring_interface_info_get_tx_queues (self));
      break;
    case PROP_PROMISCUITY:
      g_value_set_uint (value, netring_interface_info_get_promiscuity (self));
      break;
    case PROP_XDP_PROGRAM_ID:
      g_value_set_uint (value, netring_interface_info_get_xdp_program_id (self));
      break;
    case PROP_XDP_MODE:
      g_value_set_enum (value, netring_interface_info_get_xdp_mode (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_interface_info_set_property (GObject *object, guint prop_id, const GValue *value,
                                     GParamSpec *pspec)
{
  NetringInterfaceInfo *self = NETRING_INTERFACE_INFO (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (self->requested_name);
      self->requested_name = g_value_dup_string (value);
      break;
    case PROP_INDEX:
      self->requested_index = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_interface_info_class_init (NetringInterfaceInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct =
    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  netring_i18n_init ();

  object_class->finalize = netring_interface_info_finalize;
  object_class->get_property = netring_interface_info_get_property;
  object_class->set_property = netring_interface_info_set_property;

  /**
   * NetringInterfaceInfo:name: (getter get_name)
   *
   * The interface's name. Set it (or #NetringInterfaceInfo:index) to choose
   * the interface; after init it reads back the kernel's name.
   */
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, construct);

  /**
   * NetringInterfaceInfo:index: (getter get_index)
   *
   * The interface's index. Set it (or #NetringInterfaceInfo:name) to choose
   * the interface; when both are set they must name the same one. 0 means
   * unset.
   */
  properties[PROP_INDEX] = g_param_spec_int ("index", NULL, NULL, 0, G_MAXINT, 0, construct);

  /**
   * NetringInterfaceInfo:mtu: (getter get_mtu)
   *
   * The MTU in bytes: the largest packet above the link-layer header.
   */
  properties[PROP_MTU] = g_param_spec_uint ("mtu", NULL, NULL, 0, G_MAXUINT, 0, readable);

  /**
   * NetringInterfaceInfo:flags: (getter get_flags)
   *
   * The interface flags (`IFF_*`), all 32 bits.
   */
  properties[PROP_FLAGS] = g_param_spec_flags ("flags", NULL, NULL,
                                               NETRING_TYPE_INTERFACE_FLAGS,
                                               NETRING_INTERFACE_FLAGS_NONE, readable);

  /**
   * NetringInterfaceInfo:oper-state: (getter get_oper_state)
   *
   * The operational state (RFC 2863).
   */
  properties[PROP_OPER_STATE] = g_param_spec_enum ("oper-state", NULL, NULL,
                                                   NETRING_TYPE_OPER_STATE,
                                                   NETRING_OPER_STATE_UNKNOWN, readable);

  /**
   * NetringInterfaceInfo:carrier: (getter get_carrier)
   *
   * Whether the link has a carrier (a cable is plugged in, a veth peer is
   * up).
   */
  properties[PROP_CARRIER] = g_param_spec_boolean ("carrier", NULL, NULL, FALSE, readable);

  /**
   * NetringInterfaceInfo:speed: (getter get_speed)
   *
   * The link speed in Mb/s, or %NETRING_INTERFACE_SPEED_UNKNOWN (-1) when
   * the driver does not report one. Never 0.
   */
  properties[PROP_SPEED] = g_param_spec_int ("speed", NULL, NULL, -1, G_MAXINT,
                                             NETRING_INTERFACE_SPEED_UNKNOWN, readable);

  /**
   * NetringInterfaceInfo:duplex: (getter get_duplex)
   *
   * The duplex mode, %NETRING_DUPLEX_UNKNOWN when the driver does not
   * report one.
   */
  properties[PROP_DUPLEX] = g_param_spec_enum ("duplex", NULL, NULL, NETRING_TYPE_DUPLEX,
                                               NETRING_DUPLEX_UNKNOWN, readable);

  /**
   * NetringInterfaceInfo:driver: (getter get_driver)
   *
   * The driver's name (`ETHTOOL_GDRVINFO`, what `ethtool -i` prints), or
   * %NULL when the device has no ethtool support.
   */
  properties[PROP_DRIVER] = g_param_spec_string ("driver", NULL, NULL, NULL, readable);

  /**
   * NetringInterfaceInfo:kind: (getter get_kind)
   *
   * The kind of a virtual device as `ip link add … type KIND` names it
   * ("veth", "vlan", "dummy", …), or %NULL for a physical device or lo.
   */
  properties[PROP_KIND] = g_param_spec_string ("kind", NULL, NULL, NULL, readable);

  /**
   * NetringInterfaceInfo:address: (getter get_address)
   *
   * The link-layer (MAC) address, or %NULL when the device has none (a
   * tunnel).
   */
  properties[PROP_ADDRESS] = g_param_spec_boxed ("address", NULL, NULL, G_TYPE_BYTES, readable);

  /**
   * NetringInterfaceInfo:address-string: (getter get_address_string)
   *
   * #NetringInterfaceInfo:address as lower-case hexadecimal bytes separated
   * by colons ("02:00:00:00:00:01"), or %NULL when the device has no
   * address.
   */
  properties[PROP_ADDRESS_STRING] =
    g_param_spec_string ("address-string", NULL, NULL, NULL, readable);

  /**
   * NetringInterfaceInfo:arp-type: (getter get_arp_type)
   *
   * The kernel's link type, an `ARPHRD_*` value (1 for Ethernet, 772 for
   * loopback).
   */
  properties[PROP_ARP_TYPE] =
    g_param_spec_uint ("arp-type", NULL, NULL, 0, G_MAXUINT16, 0, readable);

  /**
   * NetringInterfaceInfo:link-type: (getter get_link_type)
   *
   * The pcap link type (`LINKTYPE_*`, as written in pcap files and used by
   * #NetringPcapWriter) of the frames a capture of this interface receives,
   * as libpcap maps the kernel's link type: 1 (Ethernet) for Ethernet,
   * veth and lo, 101 (raw IP) for tunnels. -1 for link types libpcap only
   * captures in its cooked mode.
   */
  properties[PROP_LINK_TYPE] =
    g_param_spec_int ("link-type", NULL, NULL, -1, G_MAXINT, -1, readable);

  /**
   * NetringInterfaceInfo:rx-queues: (getter get_rx_queues)
   *
   * The receive queues the device spreads traffic over: its ethtool
   * channels (`ETHTOOL_GCHANNELS`, RX plus combined, what `ethtool -l`
   * shows as current) when the driver reports them, otherwise the device's
   * receive queue count; at least 1.
   */
  properties[PROP_RX_QUEUES] =
    g_param_spec_uint ("rx-queues", NULL, NULL, 1, G_MAXUINT, 1, readable);

  /**
   * NetringInterfaceInfo:tx-queues: (getter get_tx_queues)
   *
   * The transmit queues, counted like #NetringInterfaceInfo:rx-queues.
   */
  properties[PROP_TX_QUEUES] =
    g_param_spec_uint ("tx-queues", NULL, NULL, 1, G_MAXUINT, 1, readable);

  /**
   * NetringInterfaceInfo:promiscuity: (getter get_promiscuity)
   *
   * How many users have put the device into promiscuous mode (captures with
   * #NetringCapture:promiscuous, `ip link set … promisc on`); the device is
   * promiscuous while this is above 0.
   */
  properties[PROP_PROMISCUITY] =
    g_param_spec_uint ("promiscuity", NULL, NULL, 0, G_MAXUINT, 0, readable);

  /**
   * NetringInterfaceInfo:xdp-program-id: (getter get_xdp_program_id)
   *
   * The id of the attached XDP program (as `bpftool prog show` lists it), 0
   * for none.
   */
  properties[PROP_XDP_PROGRAM_ID] =
    g_param_spec_uint ("xdp-program-id", NULL, NULL, 0, G_MAXUINT, 0, readable);

  /**
   * NetringInterfaceInfo:xdp-mode: (getter get_xdp_mode)
   *
   * How the XDP program is attached, %NETRING_INTERFACE_XDP_MODE_NONE for
   * no program.
   */
  properties[PROP_XDP_MODE] = g_param_spec_enum ("xdp-mode", NULL, NULL,
                                                 NETRING_TYPE_INTERFACE_XDP_MODE,
                                                 NETRING_INTERFACE_XDP_MODE_NONE, readable);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
netring_interface_info_init (NetringInterfaceInfo *self)
{
  self->info.speed_mbps = NR_IFACE_SPEED_UNKNOWN;
  self->info.duplex = NR_IFACE_DUPLEX_UNKNOWN;
}

/* ---- public API --------------------------------------------------------- */

/**
 * netring_interface_info_new:
 * @name: the name of a network interface
 * @error: return location for a #GError
 *
 * Asks the kernel about interface @name in the calling thread's network
 * namespace. An interface that does not exist fails with
 * %NETRING_ERROR_NO_SUCH_INTERFACE naming it.
 *
 * Returns: (transfer full): the information, or %NULL with @error set
 */
NetringInterfaceInfo *
netring_interface_info_new (const gchar *name, GError **error)
{
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (NETRING_TYPE_INTERFACE_INFO, NULL, error, "name", name, NULL);
}

/**
 * netring_interface_info_new_for_index:
 * @index: the index of a network interface, above 0
 * @error: return location for a #GError
 *
 * Asks the kernel about the interface with index @index in the calling
 * thread's network namespace. No such interface fails with
 * %NETRING_ERROR_NO_SUCH_INTERFACE.
 *
 * Returns: (transfer full): the information, or %NULL with @error set
 */
NetringInterfaceInfo *
netring_interface_info_new_for_index (gint index, GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (index <= 0)
    {
      netring_i18n_init ();
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE,
                   _("No network interface has the index %d"), index);
      return NULL;
    }
  return g_initable_new (NETRING_TYPE_INTERFACE_INFO, NULL, error, "index", index, NULL);
}

/**
 * netring_interface_info_refresh:
 * @self: an interface information
 * @error: return location for a #GError
 *
 * Asks the kernel again, by the interface's index (which stays the same
 * when the interface is renamed), and emits #GObject::notify for every
 * property whose value changed. An interface that was removed fails with
 * %NETRING_ERROR_NO_SUCH_INTERFACE and leaves the previous values.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_interface_info_refresh (NetringInterfaceInfo *self, GError **error)
{
  GValue before[N_PROPS] = { G_VALUE_INIT };
  NrIfaceInfo fresh;
  guint i;

  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!netring_readiness_check (&self->readiness, "NetringInterfaceInfo", error))
    return FALSE;
  if (!query (NULL, self->info.index, &fresh, error))
    return FALSE;

  for (i = 1; i < N_PROPS; i++)
    {
      g_value_init (&before[i], properties[i]->value_type);
      g_object_get_property (G_OBJECT (self), properties[i]->name, &before[i]);
    }
  take_snapshot (self, &fresh);

  g_object_freeze_notify (G_OBJECT (self));
  for (i = 1; i < N_PROPS; i++)
    {
      g_auto(GValue) after = G_VALUE_INIT;

      g_value_init (&after, properties[i]->value_type);
      g_object_get_property (G_OBJECT (self), properties[i]->name, &after);
      if (g_param_values_cmp (properties[i], &before[i], &after) != 0)
        g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
      g_value_unset (&before[i]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

/**
 * netring_interface_info_get_name:
 * @self: an interface information
 *
 * The interface's name.
 *
 * Returns: (nullable): #NetringInterfaceInfo:name (%NULL only before init
 *   when it was chosen by index)
 */
const gchar *
netring_interface_info_get_name (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), NULL);
  return self->have_info ? self->name : self->requested_name;
}

/**
 * netring_interface_info_get_index:
 * @self: an interface information
 *
 * The interface's index.
 *
 * Returns: #NetringInterfaceInfo:index
 */
gint
netring_interface_info_get_index (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), 0);
  return self->have_info ? self->info.index : self->requested_index;
}

/**
 * netring_interface_info_get_mtu:
 * @self: an interface information
 *
 * The MTU.
 *
 * Returns: #NetringInterfaceInfo:mtu, in bytes
 */
guint
netring_interface_info_get_mtu (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), 0);
  return self->info.mtu;
}

/**
 * netring_interface_info_get_flags:
 * @self: an interface information
 *
 * The interface flags.
 *
 * Returns: #NetringInterfaceInfo:flags
 */
NetringInterfaceFlags
netring_interface_info_get_flags (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), NETRING_INTERFACE_FLAGS_NONE);
  return (NetringInterfaceFlags) self->info.flags;
}

/**
 * netring_interface_info_get_oper_state:
 * @self: an interface information
 *
 * The operational state.
 *
 * Returns: #NetringInterfaceInfo:oper-state
 */
NetringOperState
netring_interface_info_get_oper_state (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), NETRING_OPER_STATE_UNKNOWN);
  /* a state newer than this library is reported as unknown */
  if (self->info.operstate > IF_OPER_UP)
    return NETRING_OPER_STATE_UNKNOWN;
  return (NetringOperState) self->info.operstate;
}

/**
 * netring_interface_info_get_carrier:
 * @self: an interface information
 *
 * Whether the link has a carrier.
 *
 * Returns: #NetringInterfaceInfo:carrier
 */
gboolean
netring_interface_info_get_carrier (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), FALSE);
  return self->info.carrier;
}

/**
 * netring_interface_info_get_speed:
 * @self: an interface information
 *
 * The link speed.
 *
 * Returns: #NetringInterfaceInfo:speed in Mb/s, or
 *   %NETRING_INTERFACE_SPEED_UNKNOWN
 */
gint
netring_interface_info_get_speed (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), NETRING_INTERFACE_SPEED_UNKNOWN);
  return self->info.speed_mbps;
}

/**
 * netring_interface_info_get_duplex:
 * @self: an interface information
 *
 * The duplex mode.
 *
 * Returns: #NetringInterfaceInfo:duplex
 */
NetringDuplex
netring_interface_info_get_duplex (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), NETRING_DUPLEX_UNKNOWN);
  switch (self->info.duplex)
    {
    case NR_IFACE_DUPLEX_HALF:
      return NETRING_DUPLEX_HALF;
    case NR_IFACE_DUPLEX_FULL:
      return NETRING_DUPLEX_FULL;
    case NR_IFACE_DUPLEX_UNKNOWN:
    default:
      return NETRING_DUPLEX_UNKNOWN;
    }
}

/**
 * netring_interface_info_get_driver:
 * @self: an interface information
 *
 * The driver's name.
 *
 * Returns: (nullable): #NetringInterfaceInfo:driver
 */
const gchar *
netring_interface_info_get_driver (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), NULL);
  return self->info.driver[0] != '\0' ? self->info.driver : NULL;
}

/**
 * netring_interface_info_get_kind:
 * @self: an interface information
 *
 * The kind of virtual device.
 *
 * Returns: (nullable): #NetringInterfaceInfo:kind
 */
const gchar *
netring_interface_info_get_kind (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), NULL);
  return self->info.kind[0] != '\0' ? self->info.kind : NULL;
}

/**
 * netring_interface_info_get_address:
 * @self: an interface information
 *
 * The link-layer address.
 *
 * Returns: (transfer none) (nullable): #NetringInterfaceInfo:address
 */
GBytes *
netring_interface_info_get_address (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), NULL);
  return self->address;
}

/**
 * netring_interface_info_get_address_string:
 * @self: an interface information
 *
 * The link-layer address as text.
 *
 * Returns: (nullable): #NetringInterfaceInfo:address-string
 */
const gchar *
netring_interface_info_get_address_string (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), NULL);
  return self->address_string;
}

/**
 * netring_interface_info_get_arp_type:
 * @self: an interface information
 *
 * The kernel's link type.
 *
 * Returns: #NetringInterfaceInfo:arp-type, an `ARPHRD_*` value
 */
guint
netring_interface_info_get_arp_type (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), 0);
  return self->info.arphrd;
}

/**
 * netring_interface_info_get_link_type:
 * @self: an interface information
 *
 * The pcap link type.
 *
 * Returns: #NetringInterfaceInfo:link-type, a `LINKTYPE_*` value, or -1
 */
gint
netring_interface_info_get_link_type (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), -1);
  if (!self->have_info)
    return -1;
  return nr_iface_linktype_for_arphrd (self->info.arphrd);
}

/**
 * netring_interface_info_get_rx_queues:
 * @self: an interface information
 *
 * The receive queues in use.
 *
 * Returns: #NetringInterfaceInfo:rx-queues, at least 1
 */
guint
netring_interface_info_get_rx_queues (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), 1);
  return nr_iface_rx_queue_count (&self->info);
}

/**
 * netring_interface_info_get_tx_queues:
 * @self: an interface information
 *
 * The transmit queues in use.
 *
 * Returns: #NetringInterfaceInfo:tx-queues, at least 1
 */
guint
netring_interface_info_get_tx_queues (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), 1);
  return tx_queue_count (&self->info);
}

/**
 * netring_interface_info_get_promiscuity:
 * @self: an interface information
 *
 * How many users asked for promiscuous mode.
 *
 * Returns: #NetringInterfaceInfo:promiscuity
 */
guint
netring_interface_info_get_promiscuity (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), 0);
  return self->info.promiscuity;
}

/**
 * netring_interface_info_get_xdp_program_id:
 * @self: an interface information
 *
 * The id of the attached XDP program.
 *
 * Returns: #NetringInterfaceInfo:xdp-program-id, 0 for none
 */
guint
netring_interface_info_get_xdp_program_id (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), 0);
  if (self->info.xdp_prog_id != 0)
    return self->info.xdp_prog_id;
  /* several modes at once: the kernel reports no single id */
  if (self->info.xdp_drv_prog_id != 0)
    return self->info.xdp_drv_prog_id;
  if (self->info.xdp_skb_prog_id != 0)
    return self->info.xdp_skb_prog_id;
  return self->info.xdp_hw_prog_id;
}

/**
 * netring_interface_info_get_xdp_mode:
 * @self: an interface information
 *
 * How the XDP program is attached.
 *
 * Returns: #NetringInterfaceInfo:xdp-mode
 */
NetringInterfaceXdpMode
netring_interface_info_get_xdp_mode (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), NETRING_INTERFACE_XDP_MODE_NONE);
  if (self->info.xdp_attached > XDP_ATTACHED_MULTI)
    return NETRING_INTERFACE_XDP_MODE_MULTIPLE; /* a mode newer than this library */
  return (NetringInterfaceXdpMode) self->info.xdp_attached;
}

/**
 * netring_interface_info_suggest_profile:
 * @self: an interface information
 *
 * The ring preset that suits the interface, for #NetringCapture:profile:
 * %NETRING_RING_PROFILE_JUMBO_FRAMES for an MTU above 1500 (never for a
 * loopback device, whose 64 KiB MTU is not a link's frame size), then by
 * speed: unknown → %NETRING_RING_PROFILE_DEFAULT, 10 Gb/s and more →
 * %NETRING_RING_PROFILE_HIGH_THROUGHPUT, 1 Gb/s and more →
 * %NETRING_RING_PROFILE_DEFAULT, slower → %NETRING_RING_PROFILE_LOW_MEMORY.
 *
 * Returns: a ring profile
 */
NetringRingProfile
netring_interface_info_suggest_profile (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), NETRING_RING_PROFILE_DEFAULT);
  if (!self->have_info)
    return NETRING_RING_PROFILE_DEFAULT;
  return (NetringRingProfile) nr_iface_suggest_profile (&self->info);
}

/**
 * netring_interface_info_suggest_fanout_threads:
 * @self: an interface information
 *
 * How many capture threads (members of a #NetringFanoutGroup) suit the
 * interface: one per receive queue (#NetringInterfaceInfo:rx-queues), at
 * most one per processor (g_get_num_processors()), at least 1.
 *
 * Returns: a thread count, at least 1
 */
guint
netring_interface_info_suggest_fanout_threads (NetringInterfaceInfo *self)
{
  g_return_val_if_fail (NETRING_IS_INTERFACE_INFO (self), 1);
  return nr_iface_suggest_fanout_threads (&self->info, g_get_num_processors ());
}
