/* netring-batch.h: NetringBatch, its iterator and its bulk form */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <glib-object.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-enums.h>

G_BEGIN_DECLS

#define NETRING_TYPE_BATCH (netring_batch_get_type ())

typedef struct _NetringBatch NetringBatch;
typedef struct _NetringPacketInfo NetringPacketInfo;
typedef struct _NetringBatchIter NetringBatchIter;
typedef struct _NetringPacketRecord NetringPacketRecord;

/**
 * NetringPacketRecord:
 * @offset: where the packet's captured bytes start in the buffer of
 *   netring_batch_get_buffer()
 * @captured_length: number of captured bytes at @offset
 * @wire_length: length of the packet on the wire
 * @timestamp_ns: receive time, nanoseconds since the Unix epoch
 * @status: #NetringPacketStatus flags
 * @reserved: always 0
 *
 * One packet of a batch in the bulk form of netring_batch_get_records(),
 * 32 bytes in host byte order, with no padding, so that bindings
 * read a whole batch's records from one buffer; in Python every fourth
 * 64-bit word, from the first on, is an offset.
 */
struct _NetringPacketRecord {
  guint64 offset;
  guint32 captured_length;
  guint32 wire_length;
  gint64 timestamp_ns;
  guint32 status;
  guint32 reserved;
};

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
 * are private. Whoever produced the batch describes its memory layout in
 * them (a chain of packet records in a TPACKET_V3 block, or an array of
 * AF_XDP descriptors into a UMEM), so the inlined
 * netring_batch_iter_next_data() walks every kind of batch without
 * compiling one kernel's layout into the program.
 */
struct _NetringBatchIter {
  /*< private >*/
  const guint8 *cur;   /* the next record (linked) or descriptor (indexed) */
  const guint8 *base;  /* linked: the end of what may be read;
                        * indexed: the packet memory */
  gsize limit;         /* indexed: bytes that may be read from base */
  guint32 remaining;   /* records left; 0 ends the walk */
  guint16 kind;        /* _NETRING_BATCH_ITER_* */
  guint16 flags;       /* _NETRING_BATCH_ITER_CORRUPT */
  guint8 next_at;      /* linked: offset of the guint32 offset to the next record */
  guint8 caplen_at;    /* offset of the guint32 captured length */
  guint8 wirelen_at;   /* offset of the guint32 wire length */
  guint8 data_at;      /* linked: offset of the guint16 data offset;
                        * indexed: offset of the guint64 data address */
  guint8 header_min;   /* linked: smallest record header; indexed: descriptor size */
  guint8 align_mask;   /* linked: record alignment - 1 */
  guint16 reserved0;
  gpointer batch;
  gpointer reserved[3];
};

NETRING_AVAILABLE_IN_ALL
GType netring_batch_get_type (void) G_GNUC_CONST;
NETRING_AVAILABLE_IN_ALL
NetringBatch *netring_batch_ref (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
void netring_batch_unref (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
NetringBatch *netring_batch_keep (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
void netring_batch_release (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
gboolean netring_batch_is_released (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
GBytes *netring_batch_get_buffer (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
GBytes *netring_batch_copy_buffer (NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
GBytes *netring_batch_get_records (NetringBatch *batch);
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
void netring_batch_iter_init (NetringBatchIter *iter, NetringBatch *batch);
NETRING_AVAILABLE_IN_ALL
gboolean netring_batch_iter_next (NetringBatchIter *iter, NetringPacketInfo *info);

/* The two kinds of memory layout the inline walk below knows, set by
 * netring_batch_iter_init(). They are part of the ABI: every layout a
 * receiver produces, now or in a later version of the library, is
 * presented to the iterator as one of these two (any packet memory can be
 * described as an array of (address, length) descriptors), so that a
 * program built today walks every batch correctly. The walk has no
 * out-of-line fallback on purpose: a call in the loop would keep the
 * compiler from holding the walk in registers. */
#define _NETRING_BATCH_ITER_LINKED 1  /* records chained by a next offset */
#define _NETRING_BATCH_ITER_INDEXED 2 /* an array of (address, length) descriptors */
#define _NETRING_BATCH_ITER_CORRUPT 1 /* flags: the walk stopped at a bad record */

/**
 * netring_batch_iter_next_data: (skip)
 * @iter: an iterator set up by netring_batch_iter_init()
 * @captured_length: (out): where to store the number of captured bytes
 * @wire_length: (out) (optional): where to store the length on the wire, or
 *   %NULL
 *
 * The leanest walk over a batch, inlined into the caller: only the packet's
 * bytes and lengths, with the same bounds checks as
 * netring_batch_iter_next() (the walk stops at a record that would reach
 * outside the batch's memory). Use netring_batch_iter_next() when the
 * timestamp, direction or other details are needed. The two can be mixed on
 * one iterator.
 *
 * Returns: (nullable): the packet's bytes, valid while the batch is
 *   referenced, or %NULL at the end of the batch
 */
static inline const guint8 *
netring_batch_iter_next_data (NetringBatchIter *iter, guint32 *captured_length,
                              guint32 *wire_length)
{
  const guint8 *cur = iter->cur;
  const guint8 *data, *next_cur;
  guint32 caplen, left;

  if (G_UNLIKELY (iter->remaining == 0))
    return NULL;

  /* the new state is stored once, after the branches, so that the
   * compiler keeps the walk in registers across the caller's loop */
  left = iter->remaining - 1;
  if (G_LIKELY (iter->kind == _NETRING_BATCH_ITER_LINKED))
    {
      gsize room = (gsize) (iter->base - cur);
      guint32 next;
      guint16 data_offset;

      if (G_UNLIKELY (room < iter->header_min))
        goto corrupt;
      next = *(const guint32 *) (cur + iter->next_at);
      caplen = *(const guint32 *) (cur + iter->caplen_at);
      data_offset = *(const guint16 *) (cur + iter->data_at);
      if (G_UNLIKELY (data_offset < iter->header_min || (gsize) data_offset + caplen > room))
        goto corrupt;
      if (next == 0)
        left = 0; /* the last record, whatever the count said */
      else if (G_UNLIKELY (next >= room || (next & iter->align_mask) != 0))
        {
          iter->flags |= _NETRING_BATCH_ITER_CORRUPT;
          left = 0;
        }
      next_cur = left != 0 ? cur + next : cur;
      data = cur + data_offset;
    }
  else if (G_LIKELY (iter->kind == _NETRING_BATCH_ITER_INDEXED))
    {
      guint64 address = *(const guint64 *) (cur + iter->data_at);

      caplen = *(const guint32 *) (cur + iter->caplen_at);
      if (G_UNLIKELY (address > iter->limit || caplen > iter->limit - address))
        goto corrupt;
      next_cur = cur + iter->header_min;
      data = iter->base + address;
    }
  else
    goto corrupt;

  iter->cur = next_cur;
  iter->remaining = left;
  *captured_length = caplen;
  if (wire_length != NULL)
    *wire_length = *(const guint32 *) (cur + iter->wirelen_at);
  return data;

corrupt: /* or a kind no library sets up: end the walk */
  iter->flags |= _NETRING_BATCH_ITER_CORRUPT;
  iter->remaining = 0;
  return NULL;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetringBatch, netring_batch_unref)

G_END_DECLS
