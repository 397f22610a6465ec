/* netring-helper.h: sockets from a privileged helper process */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-xdp-socket.h>

G_BEGIN_DECLS

NETRING_AVAILABLE_IN_ALL
gint netring_helper_request_capture_fd (const gchar  *helper_path,
                                        const gchar  *interface,
                                        GCancellable *cancellable,
                                        GError      **error);
NETRING_AVAILABLE_IN_ALL
gint netring_helper_request_injector_fd (const gchar  *helper_path,
                                         const gchar  *interface,
                                         GCancellable *cancellable,
                                         GError      **error);
NETRING_AVAILABLE_IN_ALL
NetringXdpSocket *netring_helper_request_xdp_socket (const gchar    *helper_path,
                                                     const gchar    *interface,
                                                     guint           queue_id,
                                                     NetringXdpMode  mode,
                                                     guint           frame_size,
                                                     guint           frame_count,
                                                     GCancellable   *cancellable,
                                                     GError        **error);

G_END_DECLS
