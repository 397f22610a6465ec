/* netring-tpacket-rx-private.h: a TPACKET_V3 receive ring as a batch
 * producer: owns the mapping, lends its blocks as NetringBatches and takes
 * them back from any thread. Used by NetringCapture. */
#pragma once

#include "netring-receiver-private.h"
#include "nr-rx-ring.h"

G_BEGIN_DECLS

typedef struct _NetringTpacketRx NetringTpacketRx;

/* The records of a V3 block, for the iterator: chained by tp_next_offset,
 * data at tp_mac, 8-byte aligned (the kernel's V3_ALIGNMENT, not
 * TPACKET_ALIGNMENT's 16). A tp_mac inside the header plus sockaddr_ll
 * (TPACKET3_HDRLEN) is corrupt. Here, not in the .c file, so that
 * test-rx-ring walks synthetic blocks with exactly this layout. */
static const NetringBatchLayout netring_tpacket3_layout = {
  .kind = NETRING_BATCH_LAYOUT_LINKED,
  .next_at = G_STRUCT_OFFSET (struct tpacket3_hdr, tp_next_offset),
  .caplen_at = G_STRUCT_OFFSET (struct tpacket3_hdr, tp_snaplen),
  .wirelen_at = G_STRUCT_OFFSET (struct tpacket3_hdr, tp_len),
  .data_at = G_STRUCT_OFFSET (struct tpacket3_hdr, tp_mac),
  .header_min = TPACKET3_HDRLEN,
  .align = NR_V3_ALIGNMENT,
};

/* Takes over the mapping @map of @block_count blocks of @block_size bytes
 * (unmapped at the last unref: the receiver's, or a batch's). */
NetringTpacketRx *_netring_tpacket_rx_new (guint8 *map, gsize map_length, guint32 block_size,
                                           guint32 block_count);
void _netring_tpacket_rx_unref (NetringTpacketRx *rx);

NetringReceiveCore *_netring_tpacket_rx_get_core (NetringTpacketRx *rx);
NetringReceiveState _netring_tpacket_rx_peek (NetringTpacketRx *rx);

/* The next retired block as a batch (peek() must have said READY), with the
 * number of block sequence numbers skipped before it in *@lost_blocks. */
NetringBatch *_netring_tpacket_rx_take (NetringTpacketRx *rx, guint64 *lost_blocks);

G_END_DECLS
