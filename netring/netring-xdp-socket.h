/* netring-xdp-socket.h: AF_XDP sockets through libxdp */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-enums.h>
#include <netring/netring-stats.h>

G_BEGIN_DECLS

/**
 * NETRING_TYPE_XDP_SOCKET:
 *
 * The #GType of #NetringXdpSocket.
 */
#define NETRING_TYPE_XDP_SOCKET (netring_xdp_socket_get_type ())

/**
 * NetringXdpSocket:
 *
 * An AF_XDP socket on one queue of a network interface. All its fields are
 * private.
 */
NETRING_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NetringXdpSocket, netring_xdp_socket, NETRING, XDP_SOCKET, GObject)

NETRING_AVAILABLE_IN_ALL
NetringXdpSocket *netring_xdp_socket_new (const gchar *interface,
                                          guint        queue_id,
                                          GError     **error);

NETRING_AVAILABLE_IN_ALL
GPtrArray *netring_xdp_socket_open_all_queues (const gchar *interface, GError **error);
NETRING_AVAILABLE_IN_ALL
GPtrArray *netring_xdp_socket_open_all_queues_with_properties (const gchar        *interface,
                                                               guint               n_properties,
                                                               const gchar *const *names,
                                                               const GValue       *values,
                                                               GError            **error);

NETRING_AVAILABLE_IN_ALL
gboolean netring_xdp_socket_close (NetringXdpSocket *self, GError **error);

/* construct-only settings */
NETRING_AVAILABLE_IN_ALL
const gchar *netring_xdp_socket_get_interface (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
guint netring_xdp_socket_get_queue_id (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
guint netring_xdp_socket_get_frame_size (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
guint netring_xdp_socket_get_frame_count (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
NetringXdpMode netring_xdp_socket_get_mode (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
NetringXdpAttachMode netring_xdp_socket_get_attach_mode (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
NetringXdpBindMode netring_xdp_socket_get_bind_mode (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
gboolean netring_xdp_socket_get_need_wakeup (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
guint netring_xdp_socket_get_busy_poll_us (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
gboolean netring_xdp_socket_get_promiscuous (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
NetringXdpProgram netring_xdp_socket_get_program (NetringXdpSocket *self);

/* what the socket got */
NETRING_AVAILABLE_IN_ALL
NetringXdpAttachMode netring_xdp_socket_get_active_attach_mode (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
gboolean netring_xdp_socket_get_zero_copy (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
guint netring_xdp_socket_get_program_id (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
guint netring_xdp_socket_get_rx_frame_count (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
guint netring_xdp_socket_get_tx_frame_count (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
gint netring_xdp_socket_get_fd (NetringXdpSocket *self);

NETRING_AVAILABLE_IN_ALL
guint netring_xdp_socket_get_rx_coalesce_us (NetringXdpSocket *self);
NETRING_AVAILABLE_IN_ALL
void netring_xdp_socket_set_rx_coalesce_us (NetringXdpSocket *self, guint coalesce_us);

NETRING_AVAILABLE_IN_ALL
gboolean netring_xdp_socket_add_to_xskmap (NetringXdpSocket *self,
                                           gint              map_fd,
                                           GError          **error);

NETRING_AVAILABLE_IN_ALL
NetringXdpStats *netring_xdp_socket_get_stats (NetringXdpSocket *self, GError **error);

G_END_DECLS
