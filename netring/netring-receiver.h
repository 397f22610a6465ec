/* netring-receiver.h: NetringReceiver, what every packet receiver does */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-packet.h>
#include <netring/netring-stats.h>

G_BEGIN_DECLS

/**
 * NETRING_TYPE_RECEIVER:
 *
 * The #GType of #NetringReceiver.
 */
#define NETRING_TYPE_RECEIVER (netring_receiver_get_type ())

/**
 * NetringReceiver:
 *
 * An object that receives packets in batches (#NetringCapture,
 * #NetringXdpSocket). All its
 * members are private.
 */

/**
 * NetringReceiverInterface:
 *
 * The interface of a #NetringReceiver. Its members are private: the
 * library's own classes implement it.
 */

NETRING_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (NetringReceiver, netring_receiver, NETRING, RECEIVER, GObject)

/**
 * NetringBatchFunc:
 * @receiver: the receiver the batch comes from
 * @batch: (nullable): a batch of packets, or %NULL when @error is set
 * @error: (nullable): why the source ends, or %NULL
 * @user_data: data passed when the callback was set
 *
 * Called by a source made with netring_receiver_create_source() or
 * netring_receiver_add_watch_full() for every batch the receiver hands
 * over, in the main context the source is attached to. @batch is only
 * borrowed: take a reference with netring_batch_ref() to keep it (which
 * keeps its memory from the kernel).
 *
 * When @error is set (the interface went down or was removed, the
 * receiver was closed, or the source's cancellable was cancelled) the
 * source is destroyed after the call whatever the callback returns.
 *
 * Returns: %G_SOURCE_CONTINUE to keep receiving, %G_SOURCE_REMOVE to stop
 */
typedef gboolean (*NetringBatchFunc) (NetringReceiver *receiver,
                                      NetringBatch    *batch,
                                      const GError    *error,
                                      gpointer         user_data);

NETRING_AVAILABLE_IN_ALL
NetringBatch *netring_receiver_next_batch (NetringReceiver *receiver, GError **error);
NETRING_AVAILABLE_IN_ALL
NetringBatch *netring_receiver_next_batch_timeout (NetringReceiver *receiver,
                                                   gint             timeout_ms,
                                                   GCancellable    *cancellable,
                                                   GError         **error);

NETRING_AVAILABLE_IN_ALL
GSource *netring_receiver_create_source (NetringReceiver *receiver,
                                         GCancellable    *cancellable);
NETRING_AVAILABLE_IN_ALL
guint netring_receiver_add_watch_full (NetringReceiver *receiver,
                                       GMainContext    *context,
                                       GCancellable    *cancellable,
                                       NetringBatchFunc func,
                                       gpointer         user_data,
                                       GDestroyNotify   notify);

NETRING_AVAILABLE_IN_ALL
gboolean netring_receiver_start (NetringReceiver *receiver, GError **error);
NETRING_AVAILABLE_IN_ALL
void netring_receiver_stop (NetringReceiver *receiver);
NETRING_AVAILABLE_IN_ALL
gboolean netring_receiver_is_running (NetringReceiver *receiver);

NETRING_AVAILABLE_IN_ALL
void netring_receiver_next_batch_async (NetringReceiver    *receiver,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
NetringBatch *netring_receiver_next_batch_finish (NetringReceiver *receiver,
                                                  GAsyncResult    *result,
                                                  GError         **error);
NETRING_AVAILABLE_IN_ALL
void netring_receiver_receive_async (NetringReceiver    *receiver,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
GPtrArray *netring_receiver_receive_finish (NetringReceiver *receiver,
                                            GAsyncResult    *result,
                                            GError         **error);

NETRING_AVAILABLE_IN_ALL
NetringReceiverStats *netring_receiver_get_stats (NetringReceiver *receiver, GError **error);

NETRING_AVAILABLE_IN_ALL
gboolean netring_receiver_close (NetringReceiver *receiver, GError **error);

G_END_DECLS
