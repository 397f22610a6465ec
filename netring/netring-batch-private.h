/* netring-batch-private.h: the backend-neutral batch, as its producers see it.
 *
 * A batch is a run of received packets in memory that the producer (a
 * TPACKET_V3 ring, an AF_XDP socket, ...) lends to the user until the last
 * reference goes. The batch knows nothing of the producer's class: it holds
 * an opaque producer pointer with a reference (which keeps the memory
 * mapped), a table of operations set by the producer, and a description of
 * how its packets are laid out, which netring_batch_iter_init() copies into
 * the public iterator. */
#pragma once

#include "netring-private.h"

G_BEGIN_DECLS

/* How the packets of a batch lie in memory. Two shapes cover every kernel
 * interface netring uses:
 *
 * - LINKED: records chained by a 32-bit "offset to the next record" (0 ends
 *   the chain), each with its captured length, wire length and the 16-bit
 *   offset of its data. TPACKET_V3 blocks. `first` is the first record,
 *   `base`/`limit` the bytes that may be read (the used part of the block).
 *
 * - INDEXED: an array of fixed-size descriptors, each with a 64-bit address
 *   of the data relative to `base` and a 32-bit length. AF_XDP: the
 *   producer copies the RX ring's descriptors into the batch (with any
 *   unaligned-mode offset already added to the address), `base` is the
 *   UMEM and `limit` its size. */
typedef enum {
  NETRING_BATCH_LAYOUT_LINKED = _NETRING_BATCH_ITER_LINKED,
  NETRING_BATCH_LAYOUT_INDEXED = _NETRING_BATCH_ITER_INDEXED,
} NetringBatchLayoutKind;

typedef struct {
  NetringBatchLayoutKind kind;
  guint8 next_at;    /* LINKED: offset of the guint32 next-record offset */
  guint8 caplen_at;  /* offset of the guint32 captured length */
  guint8 wirelen_at; /* offset of the guint32 wire length (INDEXED: may equal caplen_at) */
  guint8 data_at;    /* LINKED: offset of the guint16 data offset in the record;
                      * INDEXED: offset of the guint64 address in the descriptor */
  guint8 header_min; /* LINKED: smallest valid record header (data starts at or
                      * after it); INDEXED: the size of one descriptor */
  guint8 align;      /* LINKED: records are aligned to this (a power of two) */
} NetringBatchLayout;

typedef struct _NetringBatchOps NetringBatchOps;

struct _NetringBatchOps {
  /* Gives the batch's memory back to the producer (a block to the kernel,
   * frames to the fill ring). Called exactly once, by the last unref, from
   * any thread, before the producer reference is dropped. */
  void (*release) (NetringBatch *batch);

  /* Drops the reference the batch holds on batch->producer; the memory may
   * be unmapped after this. */
  void (*producer_unref) (gpointer producer);

  /* Fills @info for the packet whose record (LINKED) or descriptor
   * (INDEXED) starts at @record; the walk already checked its bounds. */
  void (*fill_info) (const NetringBatch *batch, const guint8 *record, NetringPacketInfo *info);
};

struct _NetringBatch {
  gatomicrefcount ref_count;
  guint32 n_packets;          /* what the producer announced */
  const NetringBatchOps *ops;
  gpointer producer;          /* owned reference, dropped by ops->producer_unref */
  guint64 token;              /* the producer's own (ring block index, ...) */

  const NetringBatchLayout *layout;
  const guint8 *first;        /* first record or descriptor */
  const guint8 *base;
  gsize limit;

  /* what the public getters report; the producer fills them */
  guint64 sequence;
  guint64 lost_blocks;
  gint64 first_ns;
  gint64 last_ns;
  gboolean timed_out;
  guint32 status_flags;       /* packet status bits every packet inherits (LOSING) */

  const guint8 **records;     /* per packet, built on the first get_packet() */
  guint32 n_records;

  /* Release without a garbage collector (bindings): the memory is given
   * back when the holds reach 0 or the last reference goes, whichever is
   * first. The user's hold ends at netring_batch_release() (which the
   * ::batch emission calls unless a handler kept the batch); each GBytes
   * that shares the memory is a hold of its own. */
  gint released;              /* atomic: release was asked; the batch reads as empty */
  gint kept;                  /* atomic: netring_batch_keep(): the emission does not release */
  gint holds;                 /* atomic: the user's (until released) + one per GBytes */
  gint returned;              /* atomic: the memory went back to the producer */
};

/* Creates a batch of @n_packets laid out as @layout (which must outlive the
 * batch: a static). Takes over the caller's reference on @producer. The
 * getters' fields start zeroed; the producer sets them after. */
NetringBatch *_netring_batch_new (const NetringBatchOps    *ops,
                                  gpointer                  producer,
                                  guint64                   token,
                                  const NetringBatchLayout *layout,
                                  const guint8             *first,
                                  const guint8             *base,
                                  gsize                     limit,
                                  guint32                   n_packets);

/* Sets @iter up to walk the records from @first on, as @layout says; no
 * batch needed, so the walk can be tested on synthetic memory. */
static inline void
_netring_batch_iter_setup (NetringBatchIter *iter, const NetringBatchLayout *layout,
                           const guint8 *first, const guint8 *base, gsize limit,
                           guint32 n_packets)
{
  iter->cur = first;
  /* a chain of records needs only where the readable bytes end */
  iter->base = layout->kind == NETRING_BATCH_LAYOUT_LINKED ? base + limit : base;
  iter->limit = layout->kind == NETRING_BATCH_LAYOUT_LINKED ? 0 : limit;
  iter->remaining = first != NULL ? n_packets : 0;
  iter->kind = (guint16) layout->kind;
  iter->flags = 0;
  iter->next_at = layout->next_at;
  iter->caplen_at = layout->caplen_at;
  iter->wirelen_at = layout->wirelen_at;
  iter->data_at = layout->data_at;
  iter->header_min = layout->header_min;
  iter->align_mask = layout->kind == NETRING_BATCH_LAYOUT_LINKED ? (guint8) (layout->align - 1) : 0;
  iter->reserved0 = 0;
  iter->batch = NULL;
  iter->reserved[0] = iter->reserved[1] = iter->reserved[2] = NULL;
}

/* The record (or descriptor) the next netring_batch_iter_next_data() call
 * reads. */
static inline const guint8 *
_netring_batch_iter_peek_record (const NetringBatchIter *iter)
{
  return iter->remaining != 0 ? iter->cur : NULL;
}

/* The end of a ::batch/::packet emission: releases @batch unless a
 * handler kept it with netring_batch_keep(). */
void _netring_batch_end_loan (NetringBatch *batch);

/* Whether release was asked: the batch and its views then read as empty. */
static inline gboolean
_netring_batch_is_released (const NetringBatch *batch)
{
  return g_atomic_int_get (&batch->released) != 0;
}

/* A hold on the memory for a GBytes that shares it; the hold takes a
 * reference on @batch, and _netring_batch_unpin() gives both back. */
void _netring_batch_pin (NetringBatch *batch);
void _netring_batch_unpin (gpointer batch);

/* Packets: a view that pins @batch, or a copy of @info's bytes. */
NetringPacket *_netring_packet_new_view (NetringBatch *batch, const guint8 *record);
NetringPacket *_netring_packet_new_detached (const NetringPacketInfo *info);

G_END_DECLS
