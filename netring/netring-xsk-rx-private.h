/* netring-xsk-rx-private.h: an AF_XDP socket's receive side as a batch
 * producer: owns the floor's socket (NrXsk) and its UMEM, lends received
 * frames as NetringBatches and takes them back from any thread. Used by
 * NetringXdpSocket. */
#pragma once

#include "netring-receiver-private.h"
#include "nr-xsk.h"

G_BEGIN_DECLS

typedef struct _NetringXskRx NetringXskRx;

/* The descriptors of a batch, for the iterator: an array of the RX ring's
 * struct xdp_desc (address at 0, length at 8, 16 bytes each), copied out
 * of the ring, with addresses into the UMEM (the batch's base). AF_XDP
 * captures whole frames: the wire length is the captured length. Here, not
 * in the .c file, so that tests walk synthetic descriptors with exactly
 * this layout. */
static const NetringBatchLayout netring_xsk_layout = {
  .kind = NETRING_BATCH_LAYOUT_INDEXED,
  .next_at = 0,
  .caplen_at = G_STRUCT_OFFSET (struct xdp_desc, len),
  .wirelen_at = G_STRUCT_OFFSET (struct xdp_desc, len),
  .data_at = G_STRUCT_OFFSET (struct xdp_desc, addr),
  .header_min = sizeof (struct xdp_desc),
  .align = 1,
};

/* Takes over @xsk (freed with the last reference: the socket's, or a
 * batch's). @ifindex and @mac (NULL if unknown) describe the interface,
 * for what the packets report (direction, interface index). */
NetringXskRx *_netring_xsk_rx_new (NrXsk *xsk, int ifindex, const guint8 *mac);
void _netring_xsk_rx_unref (NetringXskRx *rx);

NrXsk *_netring_xsk_rx_get_xsk (NetringXskRx *rx);
NetringReceiveCore *_netring_xsk_rx_get_core (NetringXskRx *rx);

/* Frames per batch at most (at least 1). */
void _netring_xsk_rx_set_batch_max (NetringXskRx *rx, guint batch_max);
/* Coalescing: frames are handed out once a full batch waits or the oldest
 * waiting frame was first seen @coalesce_us ago; 0 hands out what waits at
 * once. */
void _netring_xsk_rx_set_coalesce (NetringXskRx *rx, guint coalesce_us);

/* What the next batch looks like; wakes the kernel to fill when it asked.
 * *@recheck_ms says when to look again: in state EMPTY_NO_POLL (frames
 * wait for the coalescing delay), HELD (every frame held), EMPTY_WATCH
 * (idle; the socket's error is looked at once a second, since poll()
 * reports nothing for an AF_XDP socket whose interface was removed). */
NetringReceiveState _netring_xsk_rx_peek (NetringXskRx *rx, gint *recheck_ms);

/* The socket's pending error (errno value, 0 for none): the one a look
 * found (state FAILED), else SO_ERROR, read and cleared. */
int _netring_xsk_rx_take_error (NetringXskRx *rx);

/* The next batch when peek() said READY, else NULL. */
NetringBatch *_netring_xsk_rx_take (NetringXskRx *rx);

/* The socket goes (nr_xsk_shutdown()); the UMEM stays until the last
 * reference. */
void _netring_xsk_rx_shutdown (NetringXskRx *rx);

G_END_DECLS
