/* netring-sender.h: the interface of everything that sends frames */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>

G_BEGIN_DECLS

/**
 * NETRING_TYPE_SENDER:
 *
 * The #GType of #NetringSender.
 */
#define NETRING_TYPE_SENDER (netring_sender_get_type ())

/**
 * NetringSender:
 *
 * An object that sends link-layer frames through a ring shared with the
 * kernel. Implemented by #NetringInjector and #NetringXdpSocket.
 */

/**
 * NetringSenderInterface:
 *
 * The interface structure of #NetringSender. It is private: only the
 * library's own classes implement the interface.
 */
NETRING_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (NetringSender, netring_sender, NETRING, SENDER, GObject)

NETRING_AVAILABLE_IN_ALL
gint netring_sender_get_fd (NetringSender *sender);
NETRING_AVAILABLE_IN_ALL
guint netring_sender_get_pending (NetringSender *sender);
NETRING_AVAILABLE_IN_ALL
guint netring_sender_get_available (NetringSender *sender);
NETRING_AVAILABLE_IN_ALL
guint netring_sender_get_max_length (NetringSender *sender);

NETRING_AVAILABLE_IN_ALL
guint8 *netring_sender_reserve (NetringSender *sender, gsize length, GError **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_sender_commit (NetringSender *sender, gsize length, GError **error);
NETRING_AVAILABLE_IN_ALL
void netring_sender_abort (NetringSender *sender);

NETRING_AVAILABLE_IN_ALL
gboolean netring_sender_send (NetringSender *sender,
                              const guint8  *data,
                              gsize          length,
                              GError       **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_sender_send_bytes (NetringSender *sender, GBytes *frame, GError **error);
NETRING_AVAILABLE_IN_ALL
gint netring_sender_send_many (NetringSender *sender,
                               GBytes        *frames,
                               const guint32 *lengths,
                               guint          n_frames,
                               GError       **error);

NETRING_AVAILABLE_IN_ALL
void netring_sender_send_async (NetringSender      *sender,
                                GBytes             *frame,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
gboolean netring_sender_send_finish (NetringSender *sender,
                                     GAsyncResult  *result,
                                     GError       **error);

NETRING_AVAILABLE_IN_ALL
void netring_sender_send_many_async (NetringSender      *sender,
                                     GBytes             *frames,
                                     const guint32      *lengths,
                                     guint               n_frames,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
gint netring_sender_send_many_finish (NetringSender *sender,
                                      GAsyncResult  *result,
                                      GError       **error);

NETRING_AVAILABLE_IN_ALL
gint netring_sender_flush (NetringSender *sender, GError **error);
NETRING_AVAILABLE_IN_ALL
void netring_sender_flush_async (NetringSender      *sender,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
gint netring_sender_flush_finish (NetringSender *sender, GAsyncResult *result, GError **error);

NETRING_AVAILABLE_IN_ALL
gboolean netring_sender_wait_drained (NetringSender *sender,
                                      gint           timeout_ms,
                                      GCancellable  *cancellable,
                                      GError       **error);
NETRING_AVAILABLE_IN_ALL
void netring_sender_wait_drained_async (NetringSender      *sender,
                                        gint                timeout_ms,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
gboolean netring_sender_wait_drained_finish (NetringSender *sender,
                                             GAsyncResult  *result,
                                             GError       **error);

NETRING_AVAILABLE_IN_ALL
gboolean netring_sender_close (NetringSender *sender, GError **error);

G_END_DECLS
