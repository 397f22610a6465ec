/* netring-packet.h: NetringBatch and NetringPacket */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <glib-object.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-enums.h>

G_BEGIN_DECLS

#define NETRING_TYPE_BATCH (netring_batch_get_type ())
#define NETRING_TYPE_PACKET (netring_packet_get_type ())

typedef struct _NetringBatch NetringBatch;
typedef struct _NetringPacket NetringPacket;
typedef struct _NetringPacketInfo NetringPacketInfo;
typedef struct _NetringBatchIter NetringBatchIter;

/**
 * NetringPacketInfo:
 * @data: the captured bytes, from the link-layer header on
 * @captured_length: number of bytes at @data
 * @wire_length: length of the packet on the wire
 * @timestamp_ns: receive time, nanoseconds since the Unix epoch
 * @status: #NetringPacketStatus flags
 * @direction: a #NetringPacketDirection
 * @vlan_tci: VLAN tag control information, valid with
 *   %NETRING_PACKET_STATUS_VLAN_VALID
 * @vlan_tpid: VLAN tag protocol identifier, valid with
 *   %NETRING_PACKET_STATUS_VLAN_TPID_VALID
 * @rxhash: the receive hash, 0 unless #NetringCapture:fill-rxhash is set
 * @protocol: link-layer protocol (EtherType) in host byte order
 * @ifindex: index of the interface the packet was received on
 * @source_address_length: number of valid bytes in @source_address
 * @source_address: link-layer source address (at most 8 bytes)
 *
 * What netring_batch_iter_next() tells about one packet. @data points into the
 * ring and stays valid while the batch that was iterated is referenced.
 */
struct _NetringPacketInfo {
  const guint8 *data;
  guint32 captured_length;
  guint32 wire_length;
  gint64 timestamp_ns;
  guint32 status;
  guint8 direction;
  guint8 source_address_length;
  guint16 vlan_tci;
  guint16 vlan_tpid;
  guint16 protocol;
  guint32 rxhash;
  gint32 ifindex;
  guint8 source_address[8];
};

/**
 * NetringBatchIter:
 *
 * A stack-allocated iterator over the packets of a #NetringBatch; it
 * allocates nothing. Initialise it with netring_batch_iter_init(). All fields
 * are private.
 */
struct _NetringBatchIter {
  /*< private >*/
  gconstpointer block;
  gconstpointer next;
  gsize end;
  guint32 remaining;
  guint32 flags;
  gpointer padding[2];
};

NETRING_AVAILABLE_IN_ALL
GType netring_batch_get_type (void) G_GNUC_CONST;
NETRING_AVAILABLE_IN_ALL
NetringBatch *netring_batch_ref (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
void netring_batch_unref (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
guint netring_batch_get_n_packets (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
guint64 netring_batch_get_sequence (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
guint64 netring_batch_get_lost_blocks (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
gboolean netring_batch_get_timed_out (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
gboolean netring_batch_get_losing (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
gint64 netring_batch_get_first_timestamp (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
gint64 netring_batch_get_last_timestamp (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
gint64 netring_batch_get_first_timestamp_us (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
gint64 netring_batch_get_last_timestamp_us (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
NetringPacket *netring_batch_get_packet (NetringBatch *batch, guint index);
NETRING_AVAILABLE_IN_ALL
GPtrArray *netring_batch_get_packets (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
GPtrArray *netring_batch_copy_packets (NetringBatch *batch);

NETRING_AVAILABLE_IN_ALL
void netring_batch_iter_init (NetringBatchIter *iter, NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
gboolean netring_batch_iter_next (NetringBatchIter *iter, NetringPacketInfo *info);

/* Offsets in the kernel's struct tpacket3_hdr (linux/if_packet.h), which
 * the library checks at build time, so that the inline walk below needs no
 * kernel header. */
#define _NETRING_TP3_NEXT_OFFSET 0
#define _NETRING_TP3_SNAPLEN 12
#define _NETRING_TP3_LEN 16
#define _NETRING_TP3_MAC 24
#define _NETRING_TP3_HDRLEN 68 /* TPACKET3_HDRLEN: header + sockaddr_ll */
#define _NETRING_TP3_ALIGN 8   /* packets are 8-byte aligned in a V3 block */

/**
 * netring_batch_iter_next_data: (skip)
 * @iter: an iterator set up by netring_batch_iter_init()
 * @captured_length: (out): where to store the number of captured bytes
 * @wire_length: (out) (optional): where to store the length on the wire, or
 *   %NULL
 *
 * The leanest walk over a batch, inlined into the caller: only the packet's
 * bytes and lengths, with the same bounds checks as
 * netring_batch_iter_next() (the walk stops at a header that would reach
 * outside the block). Use netring_batch_iter_next() when the timestamp,
 * direction or other details are needed. The two can be mixed on one
 * iterator.
 *
 * Returns: (nullable): the packet's bytes, valid while the batch is
 *   referenced, or %NULL at the end of the batch
 */
static inline const guint8 *
netring_batch_iter_next_data (NetringBatchIter *iter, guint32 *captured_length,
                              guint32 *wire_length)
{
  const guint8 *cur = (const guint8 *) iter->next;
  gsize room;
  guint32 next_offset, snaplen;
  guint16 mac;

  if (cur == NULL || iter->remaining == 0)
    return NULL;
  room = iter->end - (gsize) (cur - (const guint8 *) iter->block);
  if (G_UNLIKELY (room < _NETRING_TP3_HDRLEN))
    goto corrupt;
  next_offset = *(const guint32 *) (cur + _NETRING_TP3_NEXT_OFFSET);
  snaplen = *(const guint32 *) (cur + _NETRING_TP3_SNAPLEN);
  mac = *(const guint16 *) (cur + _NETRING_TP3_MAC);
  if (G_UNLIKELY (mac < _NETRING_TP3_HDRLEN || (gsize) mac + snaplen > room))
    goto corrupt;

  iter->remaining--;
  if (next_offset == 0)
    iter->next = NULL;
  else if (G_UNLIKELY (next_offset >= room || (next_offset & (_NETRING_TP3_ALIGN - 1)) != 0))
    {
      iter->flags = 1;
      iter->next = NULL;
    }
  else
    iter->next = cur + next_offset;
  *captured_length = snaplen;
  if (wire_length != NULL)
    *wire_length = *(const guint32 *) (cur + _NETRING_TP3_LEN);
  return cur + mac;

corrupt:
  iter->flags = 1;
  iter->next = NULL;
  return NULL;
}

NETRING_AVAILABLE_IN_ALL
GType netring_packet_get_type (void) G_GNUC_CONST;
NETRING_AVAILABLE_IN_ALL
NetringPacket *netring_packet_ref (NetringPacket *packet);
NETRING_AVAILABLE_IN_ALL
void netring_packet_unref (NetringPacket *packet);
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetringBatch, netring_batch_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetringPacket, netring_packet_unref)

G_END_DECLS
