/* netring-interface-info.h: what the kernel says about a network interface */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-enums.h>

G_BEGIN_DECLS

/**
 * NetringInterfaceFlags:
 * @NETRING_INTERFACE_FLAGS_NONE: no flag
 * @NETRING_INTERFACE_FLAGS_UP: administratively up (`IFF_UP`)
 * @NETRING_INTERFACE_FLAGS_BROADCAST: has a broadcast address (`IFF_BROADCAST`)
 * @NETRING_INTERFACE_FLAGS_DEBUG: driver debugging on (`IFF_DEBUG`)
 * @NETRING_INTERFACE_FLAGS_LOOPBACK: a loopback device (`IFF_LOOPBACK`)
 * @NETRING_INTERFACE_FLAGS_POINT_TO_POINT: a point-to-point link
 *   (`IFF_POINTOPOINT`)
 * @NETRING_INTERFACE_FLAGS_NO_TRAILERS: avoid trailers (`IFF_NOTRAILERS`)
 * @NETRING_INTERFACE_FLAGS_RUNNING: operationally up (`IFF_RUNNING`)
 * @NETRING_INTERFACE_FLAGS_NO_ARP: no ARP (`IFF_NOARP`)
 * @NETRING_INTERFACE_FLAGS_PROMISCUOUS: in promiscuous mode (`IFF_PROMISC`)
 * @NETRING_INTERFACE_FLAGS_ALL_MULTICAST: receives all multicast
 *   (`IFF_ALLMULTI`)
 * @NETRING_INTERFACE_FLAGS_MASTER: master of a load balancer (`IFF_MASTER`)
 * @NETRING_INTERFACE_FLAGS_SLAVE: member of a load balancer (`IFF_SLAVE`)
 * @NETRING_INTERFACE_FLAGS_MULTICAST: supports multicast (`IFF_MULTICAST`)
 * @NETRING_INTERFACE_FLAGS_PORT_SELECT: can select its media type
 *   (`IFF_PORTSEL`)
 * @NETRING_INTERFACE_FLAGS_AUTO_MEDIA: media type chosen automatically
 *   (`IFF_AUTOMEDIA`)
 * @NETRING_INTERFACE_FLAGS_DYNAMIC: addresses are lost when the device goes
 *   down (`IFF_DYNAMIC`)
 * @NETRING_INTERFACE_FLAGS_LOWER_UP: the driver signals the link layer up
 *   (`IFF_LOWER_UP`)
 * @NETRING_INTERFACE_FLAGS_DORMANT: the driver signals dormant
 *   (`IFF_DORMANT`)
 * @NETRING_INTERFACE_FLAGS_ECHO: echoes sent packets (`IFF_ECHO`)
 *
 * The interface flags of `netdevice(7)`, with the kernel's values: all 32
 * bits, the three above 16 bits included (which `SIOCGIFFLAGS` alone does
 * not report).
 */
typedef enum /*< flags >*/ {
  NETRING_INTERFACE_FLAGS_NONE = 0,
  NETRING_INTERFACE_FLAGS_UP = 1 << 0,
  NETRING_INTERFACE_FLAGS_BROADCAST = 1 << 1,
  NETRING_INTERFACE_FLAGS_DEBUG = 1 << 2,
  NETRING_INTERFACE_FLAGS_LOOPBACK = 1 << 3,
  NETRING_INTERFACE_FLAGS_POINT_TO_POINT = 1 << 4,
  NETRING_INTERFACE_FLAGS_NO_TRAILERS = 1 << 5,
  NETRING_INTERFACE_FLAGS_RUNNING = 1 << 6,
  NETRING_INTERFACE_FLAGS_NO_ARP = 1 << 7,
  NETRING_INTERFACE_FLAGS_PROMISCUOUS = 1 << 8,
  NETRING_INTERFACE_FLAGS_ALL_MULTICAST = 1 << 9,
  NETRING_INTERFACE_FLAGS_MASTER = 1 << 10,
  NETRING_INTERFACE_FLAGS_SLAVE = 1 << 11,
  NETRING_INTERFACE_FLAGS_MULTICAST = 1 << 12,
  NETRING_INTERFACE_FLAGS_PORT_SELECT = 1 << 13,
  NETRING_INTERFACE_FLAGS_AUTO_MEDIA = 1 << 14,
  NETRING_INTERFACE_FLAGS_DYNAMIC = 1 << 15,
  NETRING_INTERFACE_FLAGS_LOWER_UP = 1 << 16,
  NETRING_INTERFACE_FLAGS_DORMANT = 1 << 17,
  NETRING_INTERFACE_FLAGS_ECHO = 1 << 18,
} NetringInterfaceFlags;

/**
 * NetringOperState:
 * @NETRING_OPER_STATE_UNKNOWN: the driver does not say (common for virtual
 *   devices such as lo and dummy, which are usable all the same)
 * @NETRING_OPER_STATE_NOT_PRESENT: a component is missing
 * @NETRING_OPER_STATE_DOWN: down
 * @NETRING_OPER_STATE_LOWER_LAYER_DOWN: down because the device it runs on
 *   is down (a VLAN on a down device, a veth whose peer is down)
 * @NETRING_OPER_STATE_TESTING: in test mode
 * @NETRING_OPER_STATE_DORMANT: up but waiting for an external event (802.1X)
 * @NETRING_OPER_STATE_UP: up and able to pass packets
 *
 * The operational state of an interface (RFC 2863, the kernel's
 * `IF_OPER_*`, what `ip link` prints as "state"), with the kernel's values.
 */
typedef enum {
  NETRING_OPER_STATE_UNKNOWN = 0,
  NETRING_OPER_STATE_NOT_PRESENT = 1,
  NETRING_OPER_STATE_DOWN = 2,
  NETRING_OPER_STATE_LOWER_LAYER_DOWN = 3,
  NETRING_OPER_STATE_TESTING = 4,
  NETRING_OPER_STATE_DORMANT = 5,
  NETRING_OPER_STATE_UP = 6,
} NetringOperState;

/**
 * NetringDuplex:
 * @NETRING_DUPLEX_UNKNOWN: the driver does not report the duplex mode
 * @NETRING_DUPLEX_HALF: half duplex
 * @NETRING_DUPLEX_FULL: full duplex
 *
 * The duplex mode of a link. Unknown is its own value: it is never reported
 * as half duplex.
 */
typedef enum {
  NETRING_DUPLEX_UNKNOWN,
  NETRING_DUPLEX_HALF,
  NETRING_DUPLEX_FULL,
} NetringDuplex;

/**
 * NetringInterfaceXdpMode:
 * @NETRING_INTERFACE_XDP_MODE_NONE: no XDP program is attached
 * @NETRING_INTERFACE_XDP_MODE_NATIVE: attached in the driver (`XDP_ATTACHED_DRV`)
 * @NETRING_INTERFACE_XDP_MODE_GENERIC: attached in the generic, driver
 *   independent path (`XDP_ATTACHED_SKB`)
 * @NETRING_INTERFACE_XDP_MODE_OFFLOAD: offloaded to the NIC (`XDP_ATTACHED_HW`)
 * @NETRING_INTERFACE_XDP_MODE_MULTIPLE: programs in more than one mode
 *   (`XDP_ATTACHED_MULTI`); #NetringInterfaceInfo:xdp-program-id is then
 *   the native program's, else the generic one's, else the offloaded one's
 *
 * How the XDP program of an interface is attached, with the kernel's values.
 */
typedef enum {
  NETRING_INTERFACE_XDP_MODE_NONE = 0,
  NETRING_INTERFACE_XDP_MODE_NATIVE = 1,
  NETRING_INTERFACE_XDP_MODE_GENERIC = 2,
  NETRING_INTERFACE_XDP_MODE_OFFLOAD = 3,
  NETRING_INTERFACE_XDP_MODE_MULTIPLE = 4,
} NetringInterfaceXdpMode;

/**
 * NETRING_INTERFACE_SPEED_UNKNOWN:
 *
 * The #NetringInterfaceInfo:speed of an interface whose driver does not
 * report one (lo, dummy, a link without carrier). Never 0.
 */
#define NETRING_INTERFACE_SPEED_UNKNOWN (-1)

/**
 * NETRING_TYPE_INTERFACE_INFO:
 *
 * The #GType of #NetringInterfaceInfo.
 */
#define NETRING_TYPE_INTERFACE_INFO (netring_interface_info_get_type ())

/**
 * NetringInterfaceInfo:
 *
 * What the kernel says about one network interface. All its fields are
 * private.
 */

NETRING_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NetringInterfaceInfo, netring_interface_info, NETRING, INTERFACE_INFO,
                      GObject)

NETRING_AVAILABLE_IN_ALL
NetringInterfaceInfo *netring_interface_info_new (const gchar *name, GError **error);
NETRING_AVAILABLE_IN_ALL
NetringInterfaceInfo *netring_interface_info_new_for_index (gint index, GError **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_interface_info_refresh (NetringInterfaceInfo *self, GError **error);

NETRING_AVAILABLE_IN_ALL
const gchar *netring_interface_info_get_name (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
gint netring_interface_info_get_index (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
guint netring_interface_info_get_mtu (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
NetringInterfaceFlags netring_interface_info_get_flags (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
NetringOperState netring_interface_info_get_oper_state (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
gboolean netring_interface_info_get_carrier (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
gint netring_interface_info_get_speed (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
NetringDuplex netring_interface_info_get_duplex (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
const gchar *netring_interface_info_get_driver (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
const gchar *netring_interface_info_get_kind (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
GBytes *netring_interface_info_get_address (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
const gchar *netring_interface_info_get_address_string (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
guint netring_interface_info_get_arp_type (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
gint netring_interface_info_get_link_type (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
guint netring_interface_info_get_rx_queues (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
guint netring_interface_info_get_tx_queues (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
guint netring_interface_info_get_promiscuity (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
guint netring_interface_info_get_xdp_program_id (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
NetringInterfaceXdpMode netring_interface_info_get_xdp_mode (NetringInterfaceInfo *self);

NETRING_AVAILABLE_IN_ALL
NetringRingProfile netring_interface_info_suggest_profile (NetringInterfaceInfo *self);
NETRING_AVAILABLE_IN_ALL
guint netring_interface_info_suggest_fanout_threads (NetringInterfaceInfo *self);

G_END_DECLS
