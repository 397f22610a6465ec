/* netring-packet.h: NetringPacket, one packet of a batch or a detached copy */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <glib-object.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-enums.h>
#include <netring/netring-batch.h>

G_BEGIN_DECLS

#define NETRING_TYPE_PACKET (netring_packet_get_type ())

typedef struct _NetringPacket NetringPacket;

NETRING_AVAILABLE_IN_ALL
NetringPacket *netring_batch_get_packet (NetringBatch *batch, guint index);
NETRING_AVAILABLE_IN_ALL
GPtrArray *netring_batch_get_packets (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
GPtrArray *netring_batch_copy_packets (NetringBatch *batch);

NETRING_AVAILABLE_IN_ALL
GType netring_packet_get_type (void) G_GNUC_CONST;
NETRING_AVAILABLE_IN_ALL
NetringPacket *netring_packet_ref (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
void netring_packet_unref (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
NetringPacket *netring_packet_keep (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
NetringPacket *netring_packet_copy_detached (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
gboolean netring_packet_is_detached (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
const guint8 *netring_packet_get_data (NetringPacket *packet, gsize *length);
NETRING_AVAILABLE_IN_ALL
GBytes *netring_packet_get_bytes (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
guint netring_packet_get_captured_length (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
guint netring_packet_get_wire_length (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
gboolean netring_packet_is_truncated (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
gint64 netring_packet_get_timestamp (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
gint64 netring_packet_get_timestamp_us (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
NetringPacketStatus netring_packet_get_status (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
NetringPacketDirection netring_packet_get_direction (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
guint16 netring_packet_get_vlan_tci (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
guint16 netring_packet_get_vlan_tpid (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
guint32 netring_packet_get_rxhash (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
guint16 netring_packet_get_protocol (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
gint netring_packet_get_ifindex (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
const guint8 *netring_packet_get_source_address (NetringPacket *packet, gsize *length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetringPacket, netring_packet_unref)

G_END_DECLS
