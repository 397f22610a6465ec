/* netring-bridge.h: forwarding between two interfaces */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-packet.h>
#include <netring/netring-stats.h>
#include <netring/netring-receiver.h>
#include <netring/netring-sender.h>

G_BEGIN_DECLS

/**
 * NetringBridgeAction:
 * @NETRING_BRIDGE_ACTION_FORWARD: send the frame on to the other interface
 * @NETRING_BRIDGE_ACTION_DROP: do not send it; it is counted in
 *   #NetringBridgeStats as dropped by the verdict
 *
 * What a verdict decides for one frame.
 */
typedef enum {
  NETRING_BRIDGE_ACTION_FORWARD,
  NETRING_BRIDGE_ACTION_DROP,
} NetringBridgeAction;

/**
 * NetringBridgeDirection:
 * @NETRING_BRIDGE_DIRECTION_A_TO_B: received on #NetringBridge:interface-a,
 *   sent on #NetringBridge:interface-b
 * @NETRING_BRIDGE_DIRECTION_B_TO_A: received on #NetringBridge:interface-b,
 *   sent on #NetringBridge:interface-a
 *
 * The way one frame goes through a bridge.
 */
typedef enum {
  NETRING_BRIDGE_DIRECTION_A_TO_B,
  NETRING_BRIDGE_DIRECTION_B_TO_A,
} NetringBridgeDirection;

/**
 * NetringBridgeDirections:
 * @NETRING_BRIDGE_DIRECTIONS_NONE: no direction (not a valid setting)
 * @NETRING_BRIDGE_DIRECTIONS_A_TO_B: forward what arrives on
 *   #NetringBridge:interface-a to #NetringBridge:interface-b
 * @NETRING_BRIDGE_DIRECTIONS_B_TO_A: forward what arrives on
 *   #NetringBridge:interface-b to #NetringBridge:interface-a
 * @NETRING_BRIDGE_DIRECTIONS_BOTH: both directions
 *
 * The directions a bridge forwards in (#NetringBridge:direction). A bridge
 * opens the sockets of the directions it forwards in only.
 */
typedef enum /*< flags >*/ {
  NETRING_BRIDGE_DIRECTIONS_NONE = 0,
  NETRING_BRIDGE_DIRECTIONS_A_TO_B = 1 << 0,
  NETRING_BRIDGE_DIRECTIONS_B_TO_A = 1 << 1,
  NETRING_BRIDGE_DIRECTIONS_BOTH = (1 << 0) | (1 << 1),
} NetringBridgeDirections;

/**
 * NETRING_TYPE_BRIDGE:
 *
 * The #GType of #NetringBridge.
 */
#define NETRING_TYPE_BRIDGE (netring_bridge_get_type ())

/**
 * NetringBridge:
 *
 * Forwards frames between two network interfaces. All its fields are
 * private.
 */
NETRING_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NetringBridge, netring_bridge, NETRING, BRIDGE, GObject)

/**
 * NetringBridgeVerdictFunc:
 * @bridge: the bridge
 * @direction: the way the frame goes
 * @frame: (array length=length): the frame, already copied into the slot
 *   it leaves from; it may be rewritten in place (a MAC address, a VLAN
 *   tag's priority or VLAN id) before it leaves
 * @length: the length of @frame in bytes
 * @packet: the received packet: its timestamp, its interface, and its
 *   bytes as received (read-only; a VLAN tag the kernel took out of the
 *   frame is in @packet's `vlan_tci`, and is back in @frame)
 * @user_data: data passed to netring_bridge_set_verdict_func()
 *
 * Decides, for one frame, whether the bridge sends it on. Called in the
 * thread and main context the bridge runs in, for every frame in order,
 * before it is queued for transmission. It must not block, and must not
 * call the bridge's own functions other than netring_bridge_stop(),
 * netring_bridge_get_stats() and netring_bridge_set_verdict_func().
 *
 * Returns: %NETRING_BRIDGE_ACTION_FORWARD to send the frame (as @frame
 *   holds it now), %NETRING_BRIDGE_ACTION_DROP to drop it
 */
typedef NetringBridgeAction (*NetringBridgeVerdictFunc) (NetringBridge           *bridge,
                                                          NetringBridgeDirection   direction,
                                                          guint8                  *frame,
                                                          gsize                    length,
                                                          const NetringPacketInfo *packet,
                                                          gpointer                 user_data);

NETRING_AVAILABLE_IN_ALL
NetringBridge *netring_bridge_new (const gchar *interface_a,
                                   const gchar *interface_b,
                                   GError     **error);
NETRING_AVAILABLE_IN_ALL
NetringBridge *netring_bridge_new_with_endpoints (NetringReceiver *a_to_b_receiver,
                                                  NetringSender   *a_to_b_sender,
                                                  NetringReceiver *b_to_a_receiver,
                                                  NetringSender   *b_to_a_sender,
                                                  GError         **error);

NETRING_AVAILABLE_IN_ALL
const gchar *netring_bridge_get_interface_a (NetringBridge *self);
NETRING_AVAILABLE_IN_ALL
const gchar *netring_bridge_get_interface_b (NetringBridge *self);
NETRING_AVAILABLE_IN_ALL
NetringBridgeDirections netring_bridge_get_direction (NetringBridge *self);
NETRING_AVAILABLE_IN_ALL
gboolean netring_bridge_get_promiscuous (NetringBridge *self);
NETRING_AVAILABLE_IN_ALL
gboolean netring_bridge_get_qdisc_bypass (NetringBridge *self);
NETRING_AVAILABLE_IN_ALL
NetringReceiver *netring_bridge_get_receiver (NetringBridge         *self,
                                              NetringBridgeDirection direction);
NETRING_AVAILABLE_IN_ALL
NetringSender *netring_bridge_get_sender (NetringBridge *self, NetringBridgeDirection direction);

NETRING_AVAILABLE_IN_ALL
void netring_bridge_set_verdict_func (NetringBridge           *self,
                                      NetringBridgeVerdictFunc func,
                                      gpointer                 user_data,
                                      GDestroyNotify           notify);

NETRING_AVAILABLE_IN_ALL
gboolean netring_bridge_start (NetringBridge *self, GError **error);
NETRING_AVAILABLE_IN_ALL
void netring_bridge_stop (NetringBridge *self);
NETRING_AVAILABLE_IN_ALL
gboolean netring_bridge_is_running (NetringBridge *self);

NETRING_AVAILABLE_IN_ALL
gboolean netring_bridge_run (NetringBridge *self, GCancellable *cancellable, GError **error);
NETRING_AVAILABLE_IN_ALL
void netring_bridge_run_async (NetringBridge      *self,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
gboolean netring_bridge_run_finish (NetringBridge *self, GAsyncResult *result, GError **error);

NETRING_AVAILABLE_IN_ALL
NetringBridgeStats *netring_bridge_get_stats (NetringBridge *self, GError **error);

NETRING_AVAILABLE_IN_ALL
gboolean netring_bridge_close (NetringBridge *self, GError **error);

G_END_DECLS
