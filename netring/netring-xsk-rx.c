/* netring-xsk-rx.c: an AF_XDP socket's received frames lent out as batches */
#include "netring-xsk-rx-private.h"

#include "nr-afpacket.h"

#include <string.h>
#include <time.h>

/* How long the blocking receive waits before it looks again while every
 * receive frame is held by the user (a release in another thread does not
 * wake poll()); the sources are woken by the release itself. */
#define HELD_RECHECK_MS 5

/* How often an idle socket is asked whether it still works. The kernel
 * reports a removed interface to an AF_XDP socket only in SO_ERROR: poll()
 * on an unbound socket reports nothing at all, neither input nor an
 * error. */
#define WATCH_MS 1000

struct _NetringXskRx {
  gatomicrefcount ref_count; /* the socket's, and one per batch */
  NetringReceiveCore *core;
  NrXsk *xsk;
  int ifindex;
  guint8 mac[6];
  gboolean has_mac;

  /* the receiving thread's */
  guint batch_max;
  guint coalesce_us;
  gint64 waiting_since; /* monotonic µs when frames were first seen waiting; 0: none */
  gint64 watched;       /* monotonic µs of the last look at SO_ERROR */
  int socket_error;     /* what that look found, for _netring_xsk_rx_take_error() */
  guint64 batches;
};

G_STATIC_ASSERT (sizeof (struct xdp_desc) == 16);

static void
xsk_rx_free (NetringXskRx *rx)
{
  /* Every batch held a reference, so no frame is lent out any more. */
  nr_xsk_free (rx->xsk);
  _netring_receive_core_unref (rx->core);
  g_free (rx);
}

NetringXskRx *
_netring_xsk_rx_new (NrXsk *xsk, int ifindex, const guint8 *mac)
{
  NetringXskRx *rx = g_new0 (NetringXskRx, 1);
  guint32 rx_frames = nr_xsk_info (xsk)->rx_frames;

  g_atomic_ref_count_init (&rx->ref_count);
  rx->core = _netring_receive_core_new ();
  rx->xsk = xsk;
  rx->ifindex = ifindex;
  if (mac != NULL)
    {
      memcpy (rx->mac, mac, 6);
      rx->has_mac = TRUE;
    }
  /* A quarter of the receive pool per batch: a user who keeps a few
   * batches still leaves the kernel frames to receive into. */
  rx->batch_max = MAX (rx_frames / 4, 1);
  rx->watched = g_get_monotonic_time ();
  return rx;
}

void
_netring_xsk_rx_unref (NetringXskRx *rx)
{
  if (g_atomic_ref_count_dec (&rx->ref_count))
    xsk_rx_free (rx);
}

NrXsk *
_netring_xsk_rx_get_xsk (NetringXskRx *rx)
{
  return rx->xsk;
}

NetringReceiveCore *
_netring_xsk_rx_get_core (NetringXskRx *rx)
{
  return rx->core;
}

void
_netring_xsk_rx_set_batch_max (NetringXskRx *rx, guint batch_max)
{
  rx->batch_max = MAX (batch_max, 1);
}

void
_netring_xsk_rx_set_coalesce (NetringXskRx *rx, guint coalesce_us)
{
  rx->coalesce_us = coalesce_us;
  rx->waiting_since = 0;
}

NetringReceiveState
_netring_xsk_rx_peek (NetringXskRx *rx, gint *recheck_ms)
{
  NrXskRings *rings = nr_xsk_rings (rx->xsk);
  guint32 ready = nr_xsk_rings_rx_ready (rings);

  *recheck_ms = HELD_RECHECK_MS;
  if (ready > 0)
    {
      gint64 now, waited;

      if (G_LIKELY (rx->coalesce_us == 0) || ready >= rx->batch_max)
        return NETRING_RECEIVE_READY;
      /* Coalescing: let more frames gather, as a NIC's interrupt
       * moderation does, unless a full batch waits already or the first
       * of them has waited long enough. poll() would report them at once,
       * so the caller looks again on a timer. */
      now = g_get_monotonic_time ();
      if (rx->waiting_since == 0)
        rx->waiting_since = now;
      waited = now - rx->waiting_since;
      if (waited >= rx->coalesce_us)
        return NETRING_RECEIVE_READY;
      *recheck_ms = (gint) MAX (1, (rx->coalesce_us - waited + 999) / 1000);
      return NETRING_RECEIVE_EMPTY_NO_POLL;
    }
  if (nr_xsk_rings_rx_held (rings) >= rings->layout.rx_frames)
    return NETRING_RECEIVE_HELD;
  /* Zero-copy drivers stop filling when they found the fill ring empty and
   * ask to be woken (need_wakeup); copy mode never asks. */
  (void) nr_xsk_rx_wakeup (rx->xsk);

  /* Idle: look at the socket's error now and then (see WATCH_MS). */
  {
    gint64 now = g_get_monotonic_time ();
    gint64 since = now - rx->watched;

    if (rx->socket_error != 0)
      return NETRING_RECEIVE_FAILED;
    if (since >= WATCH_MS * G_TIME_SPAN_MILLISECOND)
      {
        rx->watched = now;
        rx->socket_error = nr_afpacket_take_socket_error (nr_xsk_fd (rx->xsk));
        if (rx->socket_error != 0)
          return NETRING_RECEIVE_FAILED;
        since = 0;
      }
    *recheck_ms = (gint) MAX (1, WATCH_MS - since / G_TIME_SPAN_MILLISECOND);
  }
  return NETRING_RECEIVE_EMPTY_WATCH;
}

int
_netring_xsk_rx_take_error (NetringXskRx *rx)
{
  int soerr = rx->socket_error;

  rx->socket_error = 0;
  if (soerr == 0)
    soerr = nr_afpacket_take_socket_error (nr_xsk_fd (rx->xsk));
  return soerr;
}

static void
xsk_batch_release (NetringBatch *batch)
{
  NetringXskRx *rx = batch->producer;

  /* Any thread: the floor takes its RX lock; the frames go back to the fill
   * ring (or only to the pool, after a shutdown). */
  nr_xsk_rings_rx_release (nr_xsk_rings (rx->xsk), (const struct xdp_desc *) batch->first,
                           batch->n_packets);
  g_free ((gpointer) batch->first);
  batch->first = NULL;
  _netring_receive_core_released (rx->core, batch->n_packets);
}

static void
xsk_batch_producer_unref (gpointer producer)
{
  _netring_xsk_rx_unref (producer);
}

static void
xsk_batch_fill_info (const NetringBatch *batch, const guint8 *record, NetringPacketInfo *info)
{
  const NetringXskRx *rx = batch->producer;
  const struct xdp_desc *desc = (const struct xdp_desc *) record;
  const guint8 *data = batch->base + desc->addr;

  memset (info, 0, sizeof *info);
  info->data = data;
  info->captured_length = desc->len;
  info->wire_length = desc->len;
  /* AF_XDP gives no receive time: the time the batch was taken */
  info->timestamp_ns = batch->first_ns;
  info->status = NETRING_PACKET_STATUS_NONE;
  info->ifindex = rx->ifindex;
  info->direction = NETRING_PACKET_DIRECTION_UNKNOWN;
  if (desc->len >= 14)
    {
      /* Ethernet, as the kernel's eth_type_trans() sees it (XDP runs on
       * Ethernet-like devices only) */
      if ((data[0] & 1) != 0)
        info->direction = memcmp (data, "\xff\xff\xff\xff\xff\xff", 6) == 0
                            ? NETRING_PACKET_DIRECTION_BROADCAST
                            : NETRING_PACKET_DIRECTION_MULTICAST;
      else if (rx->has_mac)
        info->direction = memcmp (data, rx->mac, 6) == 0 ? NETRING_PACKET_DIRECTION_HOST
                                                          : NETRING_PACKET_DIRECTION_OTHER_HOST;
      info->protocol = (guint16) ((data[12] << 8) | data[13]);
      info->source_address_length = 6;
      memcpy (info->source_address, data + 6, 6);
    }
}

static const NetringBatchOps xsk_batch_ops = {
  .release = xsk_batch_release,
  .producer_unref = xsk_batch_producer_unref,
  .fill_info = xsk_batch_fill_info,
};

static gint64
realtime_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

NetringBatch *
_netring_xsk_rx_take (NetringXskRx *rx)
{
  NrXskRings *rings = nr_xsk_rings (rx->xsk);
  struct xdp_desc *descs;
  NetringBatch *batch;
  gint recheck;
  guint32 n;

  if (_netring_xsk_rx_peek (rx, &recheck) != NETRING_RECEIVE_READY)
    return NULL;
  n = MIN (nr_xsk_rings_rx_ready (rings), rx->batch_max);
  /* The batch owns a copy of the descriptors: the ring entries go back to
   * the kernel at once, the frames when the batch is released. */
  descs = g_new (struct xdp_desc, n);
  n = nr_xsk_rings_rx_take (rings, descs, n);
  rx->waiting_since = 0;
  if (G_UNLIKELY (n == 0))
    {
      /* every descriptor was refused (counted by the floor) */
      g_free (descs);
      return NULL;
    }
  g_atomic_ref_count_inc (&rx->ref_count);
  batch = _netring_batch_new (&xsk_batch_ops, rx, 0, &netring_xsk_layout, (const guint8 *) descs,
                              rings->umem, rings->layout.umem_size, n);
  batch->sequence = ++rx->batches;
  batch->first_ns = batch->last_ns = realtime_ns ();
  return batch;
}

void
_netring_xsk_rx_shutdown (NetringXskRx *rx)
{
  nr_xsk_shutdown (rx->xsk);
}
