/* netring-capture.h: AF_PACKET TPACKET_V3 capture */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-receiver.h>
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

NETRING_AVAILABLE_IN_ALL
NetringCapture *netring_capture_new (const gchar *interface, GError **error);
NETRING_AVAILABLE_IN_ALL
NetringCapture *netring_capture_new_from_fd (const gchar *interface,
                                             gint         fd,
                                             GError     **error);

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
gint netring_capture_get_block_timeout_ms (NetringCapture *self);

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
