/* netring-capture.h: AF_PACKET TPACKET_V3 capture */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-packet.h>
#include <netring/netring-stats.h>
#include <netring/netring-bpf-program.h>

G_BEGIN_DECLS

/**
 * NETRING_TYPE_CAPTURE:
 *
 * The #GType of #NetringCapture.
 */
#define NETRING_TYPE_CAPTURE (netring_capture_get_type ())

/**
 * NetringCapture:
 *
 * A packet capture on one network interface. All its fields are private.
 */

NETRING_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NetringCapture, netring_capture, NETRING, CAPTURE, GObject)

/**
 * NetringBatchFunc:
 * @capture: the capture the batch comes from
 * @batch: (nullable): a batch of packets, or %NULL when @error is set
 * @error: (nullable): why the source ends, or %NULL
 * @user_data: data passed when the callback was set
 *
 * Called by a source made with netring_capture_create_source() for every
 * ready ring block, in the main context the source is attached to. @batch
 * is only borrowed: take a reference with netring_batch_ref() to keep it
 * (which keeps its ring block from the kernel).
 *
 * When @error is set (the interface went down or was removed, or the
 * source's cancellable was cancelled) the source is destroyed after the call
 * whatever the callback returns.
 *
 * Returns: %G_SOURCE_CONTINUE to keep receiving, %G_SOURCE_REMOVE to stop
 */
typedef gboolean (*NetringBatchFunc) (NetringCapture *capture,
                                      NetringBatch   *batch,
                                      const GError   *error,
                                      gpointer        user_data);

NETRING_AVAILABLE_IN_ALL
NetringCapture *netring_capture_new (const gchar *interface, GError **error);

NETRING_AVAILABLE_IN_ALL
const gchar *netring_capture_get_interface (NetringCapture *self);
NETRING_AVAILABLE_IN_ALL
gint netring_capture_get_ifindex (NetringCapture *self);
NETRING_AVAILABLE_IN_ALL
gint netring_capture_get_fd (NetringCapture *self);
NETRING_AVAILABLE_IN_ALL
guint netring_capture_get_block_size (NetringCapture *self);
NETRING_AVAILABLE_IN_ALL
guint netring_capture_get_block_count (NetringCapture *self);
NETRING_AVAILABLE_IN_ALL
guint netring_capture_get_frame_size (NetringCapture *self);
NETRING_AVAILABLE_IN_ALL
guint netring_capture_get_block_timeout_ms (NetringCapture *self);

NETRING_AVAILABLE_IN_ALL
NetringBatch *netring_capture_next_batch (NetringCapture *self, GError **error);
NETRING_AVAILABLE_IN_ALL
NetringBatch *netring_capture_next_batch_timeout (NetringCapture *self,
                                                  gint            timeout_ms,
                                                  GCancellable   *cancellable,
                                                  GError        **error);

NETRING_AVAILABLE_IN_ALL
GSource *netring_capture_create_source (NetringCapture *self, GCancellable *cancellable);

NETRING_AVAILABLE_IN_ALL
gboolean netring_capture_start (NetringCapture *self, GError **error);
NETRING_AVAILABLE_IN_ALL
void netring_capture_stop (NetringCapture *self);
NETRING_AVAILABLE_IN_ALL
gboolean netring_capture_is_running (NetringCapture *self);

NETRING_AVAILABLE_IN_ALL
void netring_capture_next_batch_async (NetringCapture     *self,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
NetringBatch *netring_capture_next_batch_finish (NetringCapture *self,
                                                 GAsyncResult   *result,
                                                 GError        **error);
NETRING_AVAILABLE_IN_ALL
void netring_capture_receive_async (NetringCapture     *self,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
GPtrArray *netring_capture_receive_finish (NetringCapture *self,
                                           GAsyncResult   *result,
                                           GError        **error);

NETRING_AVAILABLE_IN_ALL
NetringCaptureStats *netring_capture_get_stats (NetringCapture *self, GError **error);
NETRING_AVAILABLE_IN_ALL
NetringCaptureStats *netring_capture_get_cumulative_stats (NetringCapture *self,
                                                           GError        **error);

NETRING_AVAILABLE_IN_ALL
guint netring_capture_get_snap_length (NetringCapture *self);
NETRING_AVAILABLE_IN_ALL
const gchar *netring_capture_get_filter (NetringCapture *self);
NETRING_AVAILABLE_IN_ALL
gint netring_capture_get_fanout_group (NetringCapture *self);
NETRING_AVAILABLE_IN_ALL
guint netring_capture_get_busy_poll_us (NetringCapture *self);
NETRING_AVAILABLE_IN_ALL
gboolean netring_capture_set_filter (NetringCapture *self,
                                     const gchar    *expression,
                                     GError        **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_capture_set_bpf_program (NetringCapture    *self,
                                          NetringBpfProgram *program,
                                          GError           **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_capture_detach_filter (NetringCapture *self, GError **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_capture_attach_ebpf_filter (NetringCapture *self,
                                             gint            program_fd,
                                             GError        **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_capture_attach_ebpf_filter_from_file (NetringCapture *self,
                                                       const gchar    *path,
                                                       const gchar    *program_name,
                                                       GError        **error);

G_END_DECLS
