/* netring-capture-private.h: what batches and packets need from the capture */
#pragma once

#include "netring-private.h"
#include "nr-rx-ring.h"

G_BEGIN_DECLS

struct _NetringBatch {
  gatomicrefcount ref_count;
  guint32 index;         /* ring block this batch owns */
  guint32 n_packets;
  NetringCapture *capture; /* strong: keeps the ring mapped */
  const guint8 *block;
  gsize block_size;
  guint64 sequence;
  guint64 lost_blocks;
  gint64 first_ns;
  gint64 last_ns;
  gboolean timed_out;
  guint32 block_flags;   /* block status bits every packet inherits (LOSING) */
  guint32 *offsets;      /* packet offsets, built on the first get_packet() */
  guint32 n_offsets;
};

/* Creates the batch for block @index of @capture's ring (takes a capture ref). */
NetringBatch *_netring_batch_new (NetringCapture *capture, const struct tpacket_block_desc *desc,
                                  guint32 index, gsize block_size, guint64 lost_blocks);

/* Hands block @index back to the kernel; called by the last batch unref,
 * possibly from another thread. */
void _netring_capture_release_block (NetringCapture *capture, guint32 index, guint32 n_packets);

void _netring_packet_info_fill (const struct tpacket3_hdr *hdr, guint32 block_flags,
                                NetringPacketInfo *info);

G_END_DECLS
