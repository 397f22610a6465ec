/* netring-fanout-group.h: N captures in one PACKET_FANOUT group, one thread each */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-capture.h>

G_BEGIN_DECLS

/**
 * NETRING_TYPE_FANOUT_GROUP:
 *
 * The #GType of #NetringFanoutGroup.
 */
#define NETRING_TYPE_FANOUT_GROUP (netring_fanout_group_get_type ())

/**
 * NetringFanoutGroup:
 *
 * Captures on one interface in one fanout group, each in its own thread.
 * All its fields are private.
 */
NETRING_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NetringFanoutGroup, netring_fanout_group, NETRING, FANOUT_GROUP, GObject)

/**
 * NetringFanoutBatchFunc:
 * @group: the group
 * @member: the index of the member the batch comes from
 * @batch: a batch of packets, borrowed: take a reference with
 *   netring_batch_ref() to keep it (which keeps its ring block)
 * @user_data: data passed to netring_fanout_group_start()
 *
 * Called by netring_fanout_group_start() in the worker thread of @member,
 * for every ring block it receives. Different members call it at the same
 * time from their own threads; one member never calls it concurrently with
 * itself.
 */
typedef void (*NetringFanoutBatchFunc) (NetringFanoutGroup *group,
                                        guint               member,
                                        NetringBatch       *batch,
                                        gpointer            user_data);

NETRING_AVAILABLE_IN_ALL
NetringFanoutGroup *netring_fanout_group_new (const gchar       *interface,
                                              guint              n_members,
                                              NetringFanoutMode  mode,
                                              GError           **error);
NETRING_AVAILABLE_IN_ALL
guint netring_fanout_group_get_n_members (NetringFanoutGroup *self);
NETRING_AVAILABLE_IN_ALL
gint netring_fanout_group_get_fanout_group (NetringFanoutGroup *self);
NETRING_AVAILABLE_IN_ALL
NetringCapture *netring_fanout_group_get_member (NetringFanoutGroup *self, guint index);

NETRING_AVAILABLE_IN_ALL
gboolean netring_fanout_group_start (NetringFanoutGroup     *self,
                                     NetringFanoutBatchFunc  func,
                                     gpointer                user_data,
                                     GDestroyNotify          notify,
                                     GError                **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_fanout_group_start_owned (NetringFanoutGroup *self, GError **error);
NETRING_AVAILABLE_IN_ALL
void netring_fanout_group_stop (NetringFanoutGroup *self);
NETRING_AVAILABLE_IN_ALL
gboolean netring_fanout_group_is_running (NetringFanoutGroup *self);

NETRING_AVAILABLE_IN_ALL
gboolean netring_fanout_group_set_filter (NetringFanoutGroup *self,
                                          const gchar        *expression,
                                          GError            **error);

NETRING_AVAILABLE_IN_ALL
NetringReceiverStats *netring_fanout_group_get_member_stats (NetringFanoutGroup *self,
                                                            guint               index,
                                                            GError            **error);
NETRING_AVAILABLE_IN_ALL
NetringReceiverStats *netring_fanout_group_get_stats (NetringFanoutGroup *self, GError **error);

G_END_DECLS
