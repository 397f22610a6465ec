/* netring-injector.h: AF_PACKET TX-ring injection */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-stats.h>
#include <netring/netring-sender.h>

G_BEGIN_DECLS

/**
 * NETRING_TYPE_INJECTOR:
 *
 * The #GType of #NetringInjector.
 */
#define NETRING_TYPE_INJECTOR (netring_injector_get_type ())

/**
 * NetringInjector:
 *
 * A TX ring injecting frames on one network interface; a #NetringSender.
 * All its fields are private.
 */
NETRING_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NetringInjector, netring_injector, NETRING, INJECTOR, GObject)

NETRING_AVAILABLE_IN_ALL
NetringInjector *netring_injector_new (const gchar *interface, GError **error);
NETRING_AVAILABLE_IN_ALL
NetringInjector *netring_injector_new_from_fd (const gchar *interface,
                                               gint         fd,
                                               GError     **error);

NETRING_AVAILABLE_IN_ALL
const gchar *netring_injector_get_interface (NetringInjector *self);
NETRING_AVAILABLE_IN_ALL
gint netring_injector_get_fd (NetringInjector *self);
NETRING_AVAILABLE_IN_ALL
guint netring_injector_get_frame_size (NetringInjector *self);
NETRING_AVAILABLE_IN_ALL
guint netring_injector_get_frame_count (NetringInjector *self);
NETRING_AVAILABLE_IN_ALL
guint netring_injector_get_frame_capacity (NetringInjector *self);
NETRING_AVAILABLE_IN_ALL
guint netring_injector_get_pending (NetringInjector *self);
NETRING_AVAILABLE_IN_ALL
guint netring_injector_get_available (NetringInjector *self);

/* zero-copy C path */
NETRING_AVAILABLE_IN_ALL
guint8 *netring_injector_reserve (NetringInjector *self, gsize length, GError **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_injector_commit (NetringInjector *self, gsize length, GError **error);
NETRING_AVAILABLE_IN_ALL
void netring_injector_abort (NetringInjector *self);

/* copying path */
NETRING_AVAILABLE_IN_ALL
gboolean netring_injector_send (NetringInjector *self,
                                const guint8    *data,
                                gsize            length,
                                GError         **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_injector_send_bytes (NetringInjector *self, GBytes *frame, GError **error);

NETRING_AVAILABLE_IN_ALL
gint netring_injector_flush (NetringInjector *self, GError **error);

NETRING_AVAILABLE_IN_ALL
void netring_injector_send_async (NetringInjector    *self,
                                  GBytes             *frame,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
gboolean netring_injector_send_finish (NetringInjector *self,
                                       GAsyncResult    *result,
                                       GError         **error);

NETRING_AVAILABLE_IN_ALL
void netring_injector_flush_async (NetringInjector    *self,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
gint netring_injector_flush_finish (NetringInjector *self,
                                    GAsyncResult    *result,
                                    GError         **error);

NETRING_AVAILABLE_IN_ALL
gboolean netring_injector_wait_drained (NetringInjector *self,
                                        gint             timeout_ms,
                                        GCancellable    *cancellable,
                                        GError         **error);
NETRING_AVAILABLE_IN_ALL
void netring_injector_wait_drained_async (NetringInjector    *self,
                                          gint                timeout_ms,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
gboolean netring_injector_wait_drained_finish (NetringInjector *self,
                                               GAsyncResult    *result,
                                               GError         **error);

NETRING_AVAILABLE_IN_ALL
gboolean netring_injector_close (NetringInjector *self, GError **error);

NETRING_AVAILABLE_IN_ALL
NetringInjectorStats *netring_injector_get_stats (NetringInjector *self);

G_END_DECLS
