/* netring-bridge.c: forwarding between two interfaces over any receiver and
 * sender. The receiving side is the shared receiver machinery
 * (netring-receiver-private.h), the sending side the shared send queue
 * (netring-sender-private.h); this file moves frames from one to the other
 * and decides when to wait for what. */
#include "netring-receiver-private.h"
#include "netring-sender-private.h"
#include "netring-tpacket-rx-private.h"

#include "nr-iface.h"
#include "nr-tx-ring.h"

#include <string.h>

/**
 * SECTION:netring-bridge
 * @short_description: Forwarding between two network interfaces
 * @title: NetringBridge
 * @see_also: #NetringReceiver, #NetringSender, #NetringBridgeStats
 *
 * A #NetringBridge forwards every frame that arrives on one network
 * interface out of another, in one or both directions, through rings
 * shared with the kernel: a #NetringCapture receives on each side, a
 * #NetringInjector sends on the other, and each frame is copied once, from
 * the receive ring straight into the slot it leaves from.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NetringBridge) bridge = netring_bridge_new ("eth0", "eth1", &error);
 * g_autoptr(GCancellable) cancellable = g_cancellable_new ();
 *
 * g_unix_signal_add (SIGINT, cancel_cb, cancellable);  // g_cancellable_cancel()
 * if (!netring_bridge_run (bridge, cancellable, &error))
 *   g_printerr ("%s\n", error->message);
 * ]|
 * |[<!-- language="Python" -->
 * bridge = Netring.Bridge(interface_a="eth0", interface_b="eth1")
 * bridge.init(None)
 * bridge.connect("verdict", lambda bridge, packet, direction:
 *                Netring.BridgeAction.DROP if is_unwanted(packet.get_data())
 *                else Netring.BridgeAction.FORWARD)
 * bridge.run_async(cancellable, lambda b, res: loop.quit())
 * loop.run()
 * ]|
 *
 * Every setting is a construct-only property checked by g_initable_init():
 * the interfaces, the #NetringBridge:direction, promiscuous mode, qdisc
 * bypass and the rings of each side. netring_bridge_new_with_endpoints()
 * bridges over receivers and senders that exist already instead — any
 * #NetringReceiver and #NetringSender, so a bridge runs over AF_XDP sockets
 * as well.
 *
 * There are three ways to run a bridge, all in a #GMainContext:
 *
 * - netring_bridge_run() blocks the calling thread (in a main context of
 *   its own) until its #GCancellable is cancelled or forwarding fails;
 * - netring_bridge_run_async() does the same in the thread-default main
 *   context and reports through a callback;
 * - netring_bridge_start() forwards in the thread-default main context
 *   until netring_bridge_stop(), and reports a failure through
 *   #NetringBridge::error.
 *
 * Without a verdict, every frame is forwarded with no per-frame callback.
 * netring_bridge_set_verdict_func() (C) or a #NetringBridge::verdict handler
 * (any language) decides per frame. A C verdict sees the frame already in
 * the slot it leaves from and may rewrite it (a MAC address, a VLAN tag);
 * a dropped frame gives its slot back in place.
 *
 * Nothing is dropped for lack of room on the way out: when the sending ring
 * of a direction is full, the bridge stops taking frames from that
 * direction's receive ring (keeping its place inside the current batch) and
 * waits until the kernel gives slots back, so the receive ring absorbs the
 * burst. Only a receive ring that overflows drops, and the kernel counts
 * that in #NetringBridgeStats. The receiving sockets never see what the
 * bridge itself sends (`PACKET_IGNORE_OUTGOING`), so frames cannot loop
 * whether or not the sending side bypasses the qdisc.
 *
 * Frames come out as they went in, VLAN tags included: the kernel takes an
 * 802.1Q tag out of a received frame (into the packet's metadata), and the
 * bridge puts it back in. A frame longer than the other side can send, or
 * received truncated, is counted as too large (with the sizes in a debug
 * message) and not forwarded.
 *
 * When an interface goes down or is removed, the run ends with a
 * %NETRING_ERROR_INTERFACE_DOWN error naming it.
 *
 * Threads: a bridge is used from one thread at a time, the one it runs in;
 * different bridges may run in different threads.
 */

/* The bridge's own ring geometry for a side left at the default profile:
 * 8192 blocks of 32 KiB (256 MiB), retired after 1 ms (one kernel tick at
 * most). A block holds what arrives in one tick or until it is full, so a
 * frame waits at most a tick at low rates; and because a block of 32 KiB
 * is full within a tick from ~50,000 frames per second on, the ring holds
 * 1.6 million small frames whenever the traffic is fast enough to build a
 * backlog at all (at lower rates it holds 8192 ticks: seconds). Bigger
 * blocks with the same timeout would retire mostly empty and hold far
 * fewer frames; a longer timeout would delay every frame at low rates. */
#define BRIDGE_BLOCK_SIZE (32u * 1024u)
#define BRIDGE_BLOCK_COUNT 8192u
#define BRIDGE_FRAME_SIZE 2048u
#define BRIDGE_BLOCK_TIMEOUT_MS 1
#define BRIDGE_TX_FRAME_COUNT 1024u

/* The smallest transmit slot: a 1500-byte MTU, an Ethernet header, an
 * 802.1Q tag and the ring's 48-byte header fit in 2048. */
#define BRIDGE_TX_FRAME_SIZE_MIN 2048u
#define TX_RING_HEADER 48u

/* Frames taken from one direction per dispatch before the main loop gets
 * to run other sources; the position inside a batch is kept. */
#define FRAMES_PER_DISPATCH 8192u

/* After a POLLOUT that brought no room back (the kernel also says POLLOUT
 * while its send buffer is less than half full), wait this long before
 * looking again, doubling up to the maximum. */
#define BACKOFF_MIN_MS 1
#define BACKOFF_MAX_MS 8

typedef enum {
  SIDE_A,
  SIDE_B,
  N_SIDES
} Side;

/* The ring settings of one side: its receive ring (frames that go to the
 * other side) and its transmit ring (frames that came from the other side). */
typedef struct {
  NetringRingProfile profile; /* DEFAULT stands for the bridge's own geometry */
  guint block_size;       /* 0 = the profile's, or the bridge's */
  guint block_count;
  guint frame_size;
  gint block_timeout_ms;  /* -1 = the profile's, or the bridge's */
  guint tx_frame_size;    /* 0 = fits the interface's MTU */
  guint tx_frame_count;
} SideSettings;

typedef enum {
  PATH_BATCH_DONE, /* the batch is forwarded */
  PATH_BUDGET,     /* enough for this dispatch; the place is kept */
  PATH_FULL,       /* no room in the sending ring; the place is kept */
  PATH_STOPPED,    /* a verdict stopped or closed the bridge */
  PATH_FAILED,     /* the error is set */
} PathStatus;

/* One direction: a receiver, a sender, and the frame in between. */
typedef struct {
  NetringBridgeDirection direction;
  gboolean active;
  NetringReceiver *receiver;
  NetringSender *sender;
  const NetringReceiverInterface *rx_iface;
  NetringSendQueue *queue;
  const NetringSenderInterface *tx_iface;
  gchar *from_name; /* the interfaces, for messages */
  gchar *to_name;
  gboolean owns_endpoints; /* made by the bridge, closed by it */

  /* the batch being forwarded and the place in it; kept across stop and
   * start, so nothing is lost when a run ends */
  NetringBatch *batch;
  NetringBatchIter iter;
  /* a packet taken from the batch that found no room yet: it goes first */
  gboolean holding;
  NetringPacketInfo held;   /* data, lengths and status; the rest when held_full */
  gboolean held_full;
  const guint8 *held_record;

  /* waiting for room in the sending ring */
  gboolean waiting_room;
  gint64 backoff_until; /* monotonic µs; 0 = poll for POLLOUT */
  guint backoff_ms;

  /* counters; the rest is read from the endpoints */
  guint64 received;
  guint64 dropped;
  guint64 too_large;
  guint64 committed;
  guint64 rejected_base;     /* the sender's rejections before the bridge took it */
  guint64 kernel_drops_base; /* the receiver's drops before the bridge took it */

  /* the source's fds */
  gpointer rx_tag;
  gpointer tx_tag;
  gushort rx_events;
  gushort tx_events;
  gboolean rx_failed;
  gboolean tx_failed;
  gboolean tx_woke; /* POLLOUT came */
} BridgePath;

typedef enum {
  RUN_NONE,
  RUN_STARTED, /* netring_bridge_start() */
  RUN_ASYNC,   /* netring_bridge_run_async() */
  RUN_SYNC,    /* netring_bridge_run() */
} RunMode;

struct _NetringBridge {
  GObject parent_instance;

  /* construct-only settings */
  gchar *interface[N_SIDES];
  NetringBridgeDirections direction;
  gboolean promiscuous;
  gboolean qdisc_bypass;
  SideSettings side[N_SIDES];
  NetringReceiver *given_receiver[2]; /* per direction */
  NetringSender *given_sender[2];

  NetringReadiness readiness;
  BridgePath path[2]; /* per direction */

  NetringBridgeVerdictFunc verdict_func;
  gpointer verdict_data;
  GDestroyNotify verdict_notify;

  /* the current run */
  RunMode mode;
  GSource *source;
  GTask *task;         /* RUN_ASYNC */
  gboolean sync_done;  /* RUN_SYNC */
  GError *sync_error;  /* RUN_SYNC */

  NetringBridgeStats *closed_stats; /* what get_stats() says after close() */
};

enum {
  PROP_0,
  PROP_INTERFACE_A,
  PROP_INTERFACE_B,
  PROP_DIRECTION,
  PROP_PROMISCUOUS,
  PROP_QDISC_BYPASS,
  PROP_A_TO_B_RECEIVER,
  PROP_A_TO_B_SENDER,
  PROP_B_TO_A_RECEIVER,
  PROP_B_TO_A_SENDER,
  PROP_RUNNING,
  /* the ring settings of side A, then the same of side B */
  PROP_SIDE_FIRST,
  N_PROPS = PROP_SIDE_FIRST + 2 * 7
};

/* The ring settings, in the order of their property ids within a side. */
enum {
  SIDE_PROP_PROFILE,
  SIDE_PROP_BLOCK_SIZE,
  SIDE_PROP_BLOCK_COUNT,
  SIDE_PROP_FRAME_SIZE,
  SIDE_PROP_BLOCK_TIMEOUT_MS,
  SIDE_PROP_TX_FRAME_SIZE,
  SIDE_PROP_TX_FRAME_COUNT,
  N_SIDE_PROPS
};

G_STATIC_ASSERT (N_PROPS == PROP_SIDE_FIRST + N_SIDES * N_SIDE_PROPS);

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_VERDICT,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void netring_bridge_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetringBridge, netring_bridge, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      netring_bridge_initable_iface_init))

static const char *const side_letter[N_SIDES] = { "a", "b" };

/* The side a direction receives on, and the side it sends on. */
static inline Side
path_from_side (NetringBridgeDirection direction)
{
  return direction == NETRING_BRIDGE_DIRECTION_A_TO_B ? SIDE_A : SIDE_B;
}

static inline Side
path_to_side (NetringBridgeDirection direction)
{
  return direction == NETRING_BRIDGE_DIRECTION_A_TO_B ? SIDE_B : SIDE_A;
}

static gboolean
bridge_check (NetringBridge *self, GError **error)
{
  return netring_readiness_check (&self->readiness, "NetringBridge", error);
}

/* ---- forwarding ------------------------------------------------------------ */

/* A frame that cannot go: counted, with the sizes for whoever debugs it. */
static G_GNUC_NO_INLINE void
path_too_large (BridgePath *p, const NetringPacketInfo *info, gsize length, guint max_length,
                const GError *refusal)
{
  p->too_large++;
  if (info->captured_length < info->wire_length)
    g_debug ("%s → %s: a frame of %u bytes arrived truncated to %u bytes; counted as too "
             "large, not forwarded",
             p->from_name, p->to_name, info->wire_length, info->captured_length);
  else if (refusal != NULL)
    g_debug ("%s → %s: a frame of %zu bytes was refused (%s); counted as too large",
             p->from_name, p->to_name, length, refusal->message);
  else
    g_debug ("%s → %s: a frame of %zu bytes is longer than the %u bytes “%s” sends; counted "
             "as too large, not forwarded",
             p->from_name, p->to_name, length, max_length, p->to_name);
}

/* Copies the received frame into @slot, with the VLAN tag the kernel took
 * out put back after the two MAC addresses. */
static inline void
copy_frame (guint8 *slot, const NetringPacketInfo *info, gboolean tagged)
{
  if (G_LIKELY (!tagged))
    {
      memcpy (slot, info->data, info->captured_length);
      return;
    }
  else
    {
      guint16 tpid = (info->status & NETRING_PACKET_STATUS_VLAN_TPID_VALID) && info->vlan_tpid != 0
                       ? info->vlan_tpid
                       : 0x8100;

      memcpy (slot, info->data, 12);
      slot[12] = (guint8) (tpid >> 8);
      slot[13] = (guint8) tpid;
      slot[14] = (guint8) (info->vlan_tci >> 8);
      slot[15] = (guint8) info->vlan_tci;
      memcpy (slot + 16, info->data + 12, info->captured_length - 12);
    }
}

/* Whether a verdict stopped or closed the bridge while it forwarded. */
static inline gboolean
bridge_interrupted (NetringBridge *self, BridgePath *p)
{
  return !p->active || self->mode == RUN_NONE;
}

static NetringBridgeAction
path_verdict_signal (NetringBridge *self, BridgePath *p)
{
  NetringBridgeAction action = NETRING_BRIDGE_ACTION_FORWARD;
  NetringPacket *packet = _netring_packet_new_view (p->batch, p->held_record);

  g_signal_emit (self, signals[SIGNAL_VERDICT], 0, packet, p->direction, &action);
  netring_packet_unref (packet);
  return action;
}

/* The answer of a send or a reservation that did not work out: a full ring
 * keeps the packet held; a length the sender refuses is too large; anything
 * else ends the run. */
static PathStatus
path_refused (BridgePath *p, GError *local_error, gsize length, guint max_length, GError **error)
{
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      /* the packet stays held: it goes first when room comes back */
      g_error_free (local_error);
      return PATH_FULL;
    }
  if (g_error_matches (local_error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT))
    {
      path_too_large (p, &p->held, length, max_length, local_error);
      g_error_free (local_error);
      p->holding = FALSE;
      return PATH_BATCH_DONE; /* go on */
    }
  g_propagate_prefixed_error (error, local_error, _("Cannot send on “%s”: "), p->to_name);
  return PATH_FAILED;
}

/* Forwards the packets of p->batch from the kept place on.
 *
 * The path of a frame without a verdict and without a VLAN tag to put back
 * is the short one: the walk gives its bytes and lengths, the status word
 * of a TPACKET_V3 record says whether a tag was taken out, and the
 * sender's put copies it into the next slot. Everything else (a tag, a
 * verdict, a batch of another layout) gets the packet's details from the
 * producer, a reservation, the copy, the verdict, and the commit. */
static PathStatus
path_forward_batch (NetringBridge *self, BridgePath *p, guint *budget, GError **error)
{
  NetringBatch *batch = p->batch;
  void (*fill_info) (const NetringBatch *, const guint8 *, NetringPacketInfo *) =
    batch->ops->fill_info;
  NetringPacketInfo *info = &p->held;
  guint max_length = netring_send_queue_get_max_length (p->queue);
  gboolean by_func = self->verdict_func != NULL;
  gboolean by_signal = !by_func && g_signal_has_handler_pending (self, signals[SIGNAL_VERDICT],
                                                                 0, TRUE);
  /* a TPACKET_V3 block: its records carry the status word where the
   * kernel puts it, so the short path needs no call per packet */
  gboolean v3 = memcmp (batch->layout, &netring_tpacket3_layout,
                        sizeof netring_tpacket3_layout) == 0;
  guint left = *budget;

  for (;;)
    {
      GError *local_error = NULL;
      PathStatus status;
      gboolean tagged;
      gsize length;
      guint8 *slot;

      if (!p->holding)
        {
          const guint8 *record = _netring_batch_iter_peek_record (&p->iter);
          const guint8 *data;
          guint32 captured_length, wire_length;

          if (G_UNLIKELY (left == 0))
            {
              *budget = 0;
              return record != NULL ? PATH_BUDGET : PATH_BATCH_DONE;
            }
          if (record == NULL ||
              (data = netring_batch_iter_next_data (&p->iter, &captured_length,
                                                    &wire_length)) == NULL)
            {
              *budget = left;
              return PATH_BATCH_DONE;
            }
          p->held_record = record;
          p->holding = TRUE;
          p->received++;
          left--;
          if (G_LIKELY (v3))
            {
              info->data = data;
              info->captured_length = captured_length;
              info->wire_length = wire_length;
              info->status = ((const struct tpacket3_hdr *) record)->tp_status;
              p->held_full = FALSE;
            }
          else
            {
              fill_info (batch, record, info);
              p->held_full = TRUE;
            }
        }

      tagged = (info->status & NETRING_PACKET_STATUS_VLAN_VALID) != 0 &&
               info->captured_length >= 12;
      length = info->captured_length + (tagged ? 4 : 0);
      if (G_UNLIKELY (length > max_length || info->captured_length < info->wire_length ||
                      info->captured_length == 0))
        {
          path_too_large (p, info, length, max_length, NULL);
          p->holding = FALSE;
          continue;
        }

      if (G_LIKELY (!tagged && !by_func && !by_signal))
        {
          if (G_LIKELY (netring_send_queue_send (p->queue, info->data, length, &local_error)))
            {
              p->committed++;
              p->holding = FALSE;
              continue;
            }
          status = path_refused (p, local_error, length, max_length, error);
          if (status == PATH_BATCH_DONE)
            continue;
          *budget = left;
          return status;
        }

      if (!p->held_full)
        {
          fill_info (batch, p->held_record, info);
          p->held_full = TRUE;
        }
      slot = netring_send_queue_reserve (p->queue, length, &local_error);
      if (G_UNLIKELY (slot == NULL))
        {
          status = path_refused (p, local_error, length, max_length, error);
          if (status == PATH_BATCH_DONE)
            continue;
          *budget = left;
          return status;
        }

      copy_frame (slot, info, tagged);
      if (by_func || by_signal)
        {
          NetringBridgeAction action =
            by_func ? self->verdict_func (self, p->direction, slot, length, info,
                                          self->verdict_data)
                    : path_verdict_signal (self, p);

          if (action == NETRING_BRIDGE_ACTION_DROP)
            {
              /* the slot goes back in place: the next frame takes it */
              netring_send_queue_abort (p->queue);
              p->dropped++;
              p->holding = FALSE;
              if (G_UNLIKELY (bridge_interrupted (self, p)))
                {
                  *budget = left;
                  return PATH_STOPPED;
                }
              continue;
            }
        }

      if (G_UNLIKELY (!netring_send_queue_commit (p->queue, length, &local_error)))
        {
          /* the slot went back; the sender refused the frame's length */
          path_too_large (p, info, length, max_length, local_error);
          g_error_free (local_error);
        }
      else
        p->committed++;
      p->holding = FALSE;
      if (G_UNLIKELY ((by_func || by_signal) && bridge_interrupted (self, p)))
        {
          *budget = left;
          return PATH_STOPPED;
        }
    }
}

/* Hands what is queued to the kernel, without waiting. */
static gboolean
path_flush (BridgePath *p, GError **error)
{
  GError *local_error = NULL;

  if (p->queue->queued_since_flush == 0 && !p->waiting_room)
    return TRUE;
  if (netring_send_queue_flush (p->queue, &local_error) >= 0)
    return TRUE;
  g_propagate_prefixed_error (error, local_error, _("Cannot send on “%s”: "), p->to_name);
  return FALSE;
}

static void
path_release_batch (BridgePath *p)
{
  p->holding = FALSE;
  g_clear_pointer (&p->batch, netring_batch_unref);
}

/* Forwards from the current batch, then from the next ones, until the
 * receiver has nothing ready, the sending ring is full, or the dispatch's
 * share is used up. */
static gboolean
path_forward (NetringBridge *self, BridgePath *p, GError **error)
{
  guint budget = FRAMES_PER_DISPATCH;

  for (;;)
    {
      PathStatus status;

      if (p->batch == NULL)
        {
          if (budget == 0)
            break;
          p->batch = _netring_receive_take (p->receiver, p->rx_iface);
          if (p->batch == NULL)
            break;
          netring_batch_iter_init (&p->iter, p->batch);
        }

      status = path_forward_batch (self, p, &budget, error);
      if (status == PATH_FAILED)
        return FALSE;
      if (status == PATH_STOPPED)
        return !p->active || path_flush (p, error);
      if (status == PATH_FULL)
        {
          p->waiting_room = TRUE;
          p->backoff_until = 0;
          break;
        }
      if (status == PATH_BUDGET)
        break;
      /* the batch's memory goes back to the kernel, and its frames out */
      path_release_batch (p);
      if (!path_flush (p, error))
        return FALSE;
    }
  return path_flush (p, error);
}

/* After the source woke for room: kicks what the kernel did not take yet
 * (its send buffer was full), and goes on when a quarter of the ring came
 * back. Going on for one slot would wake the bridge for every frame the
 * kernel sends when the way out is slow (a shaping qdisc, a slow link),
 * with a kick each time: the bridge would spin at the link's rate. */
static gboolean
path_check_room (BridgePath *p, GError **error)
{
  guint available, pending;

  if (!path_flush (p, error))
    return FALSE;
  available = netring_send_queue_get_available (p->queue);
  pending = netring_send_queue_get_pending (p->queue);
  if (available > 0 && available >= (available + pending) / 4)
    {
      p->waiting_room = FALSE;
      p->backoff_until = 0;
      /* a POLLOUT that brought room back at once: POLLOUT is worth
       * polling for next time; otherwise the back-off stays where it got */
      if (p->tx_woke)
        p->backoff_ms = BACKOFF_MIN_MS;
      return TRUE;
    }
  if (p->tx_woke)
    {
      /* a POLLOUT that brought nothing back: wait a little instead of
       * polling again at once */
      p->backoff_until = g_get_monotonic_time () + (gint64) p->backoff_ms * 1000;
      p->backoff_ms = MIN (p->backoff_ms * 2, BACKOFF_MAX_MS);
    }
  else if (p->backoff_until != 0 && g_get_monotonic_time () >= p->backoff_until)
    p->backoff_until = 0; /* poll for POLLOUT again */
  return TRUE;
}

/* One dispatch for one direction. */
static gboolean
path_run (NetringBridge *self, BridgePath *p, GError **error)
{
  if (G_UNLIKELY (p->tx_failed))
    {
      p->tx_failed = FALSE;
      if (p->tx_iface->take_error (p->sender, error))
        {
          g_prefix_error (error, _("Cannot send on “%s”: "), p->to_name);
          return FALSE;
        }
    }
  if (p->waiting_room)
    {
      if (!path_check_room (p, error))
        return FALSE;
    }
  p->tx_woke = FALSE;
  if (!p->waiting_room && !path_forward (self, p, error))
    return FALSE;

  /* what arrived before a failure is forwarded first */
  if (G_UNLIKELY (p->rx_failed))
    {
      p->rx_failed = FALSE;
      if (p->rx_iface->check_error (p->receiver, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- the source ------------------------------------------------------------- */

typedef struct {
  GSource source;
  NetringBridge *bridge; /* the bridge owns the source and destroys it first */
  GCancellable *cancellable;
  gulong cancelled_id;   /* wakes the source's context when @cancellable is cancelled */
  gboolean dispatching;
} BridgeSource;

static void
path_poll_for (GSource *source, gpointer tag, gushort *current, gushort events)
{
  if (tag != NULL && *current != events)
    {
      g_source_modify_unix_fd (source, tag, events);
      *current = events;
    }
}

static gint
ms_until (gint64 when, gint64 now)
{
  gint64 left = when - now;

  return left <= 0 ? 0 : (gint) MIN ((left + 999) / 1000, G_MAXINT);
}

static gboolean
path_prepare (GSource *source, BridgePath *p, gint *timeout)
{
  const gushort errors = G_IO_ERR | G_IO_HUP;

  if (p->rx_failed || p->tx_failed)
    return TRUE;

  if (p->waiting_room)
    {
      path_poll_for (source, p->rx_tag, &p->rx_events, errors);
      if (p->backoff_until != 0)
        {
          gint left = ms_until (p->backoff_until, g_get_monotonic_time ());

          path_poll_for (source, p->tx_tag, &p->tx_events, errors);
          if (left == 0)
            return TRUE;
          *timeout = *timeout < 0 ? left : MIN (*timeout, left);
          return FALSE;
        }
      path_poll_for (source, p->tx_tag, &p->tx_events, G_IO_OUT | errors);
      return FALSE;
    }

  path_poll_for (source, p->tx_tag, &p->tx_events, errors);
  if (p->batch != NULL)
    {
      /* the dispatch's share was used up inside a batch */
      path_poll_for (source, p->rx_tag, &p->rx_events, errors);
      return TRUE;
    }
  switch (p->rx_iface->peek (p->receiver))
    {
    case NETRING_RECEIVE_READY:
      return TRUE;

    case NETRING_RECEIVE_HELD:
    case NETRING_RECEIVE_EMPTY_NO_POLL:
      {
        /* poll() cannot say when held memory comes back (a verdict handler
         * kept a packet), and may say "readable" for ever: look again on a
         * timer instead of spinning */
        gint recheck = p->rx_iface->recheck_ms (p->receiver);

        path_poll_for (source, p->rx_tag, &p->rx_events, errors);
        *timeout = *timeout < 0 ? recheck : MIN (*timeout, recheck);
        return FALSE;
      }

    case NETRING_RECEIVE_EMPTY:
    default:
      path_poll_for (source, p->rx_tag, &p->rx_events, G_IO_IN | errors);
      return FALSE;
    }
}

static gboolean
bridge_source_prepare (GSource *source, gint *timeout)
{
  BridgeSource *bs = (BridgeSource *) source;
  NetringBridge *self = bs->bridge;
  gboolean ready = FALSE;
  guint i;

  *timeout = -1;
  if (bs->cancellable != NULL && g_cancellable_is_cancelled (bs->cancellable))
    return TRUE;
  if (bs->dispatching)
    {
      /* a main loop run inside a verdict handler: not ready, and not
       * polled for data (which would make that loop spin) */
      for (i = 0; i < G_N_ELEMENTS (self->path); i++)
        {
          BridgePath *p = &self->path[i];

          path_poll_for (source, p->rx_tag, &p->rx_events, G_IO_ERR | G_IO_HUP);
          path_poll_for (source, p->tx_tag, &p->tx_events, G_IO_ERR | G_IO_HUP);
        }
      return FALSE;
    }
  for (i = 0; i < G_N_ELEMENTS (self->path); i++)
    if (self->path[i].active)
      ready |= path_prepare (source, &self->path[i], timeout);
  return ready;
}

static gboolean
bridge_source_check (GSource *source)
{
  BridgeSource *bs = (BridgeSource *) source;
  NetringBridge *self = bs->bridge;
  gboolean ready = FALSE;
  guint i;

  if (bs->dispatching)
    return FALSE;
  if (bs->cancellable != NULL && g_cancellable_is_cancelled (bs->cancellable))
    return TRUE;
  for (i = 0; i < G_N_ELEMENTS (self->path); i++)
    {
      BridgePath *p = &self->path[i];
      GIOCondition rx, tx;

      if (!p->active)
        continue;
      rx = p->rx_tag != NULL ? g_source_query_unix_fd (source, p->rx_tag) : 0;
      tx = p->tx_tag != NULL ? g_source_query_unix_fd (source, p->tx_tag) : 0;
      if (rx & (G_IO_ERR | G_IO_HUP | G_IO_NVAL))
        p->rx_failed = TRUE;
      if (tx & (G_IO_ERR | G_IO_HUP | G_IO_NVAL))
        p->tx_failed = TRUE;
      if (p->rx_failed || p->tx_failed)
        ready = TRUE;
      else if (p->waiting_room)
        {
          if (tx & G_IO_OUT)
            {
              p->tx_woke = TRUE;
              ready = TRUE;
            }
          else if (p->backoff_until != 0 && g_get_monotonic_time () >= p->backoff_until)
            ready = TRUE;
        }
      else if (p->batch != NULL || (rx & G_IO_IN) ||
               p->rx_iface->peek (p->receiver) == NETRING_RECEIVE_READY)
        ready = TRUE;
    }
  return ready;
}

static void bridge_run_ended (NetringBridge *self, GError *error);

static gboolean
bridge_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  BridgeSource *bs = (BridgeSource *) source;
  g_autoptr(NetringBridge) self = g_object_ref (bs->bridge);
  GError *error = NULL;
  guint i;

  if (bs->cancellable != NULL && g_cancellable_is_cancelled (bs->cancellable))
    {
      bridge_run_ended (self, NULL);
      return G_SOURCE_REMOVE;
    }

  bs->dispatching = TRUE;
  for (i = 0; i < G_N_ELEMENTS (self->path) && error == NULL; i++)
    {
      BridgePath *p = &self->path[i];

      if (p->active && !path_run (self, p, &error))
        break;
      /* a verdict stopped or closed the bridge */
      if (self->source != source)
        break;
    }
  bs->dispatching = FALSE;

  if (error != NULL)
    {
      if (self->source == source)
        bridge_run_ended (self, error);
      else
        g_error_free (error);
      return G_SOURCE_REMOVE;
    }
  return self->source == source ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
bridge_source_finalize (GSource *source)
{
  BridgeSource *bs = (BridgeSource *) source;

  g_clear_object (&bs->cancellable);
}

static GSourceFuncs bridge_source_funcs = {
  bridge_source_prepare,
  bridge_source_check,
  bridge_source_dispatch,
  bridge_source_finalize,
  NULL,
  NULL,
};

static GSource *
bridge_source_new (NetringBridge *self, GCancellable *cancellable)
{
  GSource *source = g_source_new (&bridge_source_funcs, sizeof (BridgeSource));
  BridgeSource *bs = (BridgeSource *) source;
  guint i;

  g_source_set_static_name (source, "NetringBridge");
  /* GLib takes a non-recursive source's fds out of the poll set around
   * each dispatch and puts them back after, at four system calls per
   * dispatch; the source guards against recursion itself instead. */
  g_source_set_can_recurse (source, TRUE);
  bs->bridge = self;
  for (i = 0; i < G_N_ELEMENTS (self->path); i++)
    {
      BridgePath *p = &self->path[i];

      if (!p->active)
        continue;
      p->rx_events = G_IO_IN | G_IO_ERR | G_IO_HUP;
      p->rx_tag = g_source_add_unix_fd (source, p->rx_iface->get_fd (p->receiver), p->rx_events);
      p->tx_events = G_IO_ERR | G_IO_HUP;
      p->tx_tag = g_source_add_unix_fd (source, netring_send_queue_get_fd (p->queue),
                                        p->tx_events);
      p->rx_failed = p->tx_failed = p->tx_woke = FALSE;
      /* a run that ended while waiting for room looks again at once */
      p->backoff_until = 0;
    }
  if (cancellable != NULL)
    bs->cancellable = g_object_ref (cancellable);
  return source;
}

static void
bridge_source_cancelled (GCancellable *cancellable, gpointer user_data)
{
  /* any thread: the source's prepare and check see the cancellation */
  g_main_context_wakeup (user_data);
}

/* Attaches @source to @context and has a cancellation wake it. Not a child
 * GCancellableSource: GLib 2.74 leaks one that is cancelled from another
 * thread while it is being destroyed. */
static void
bridge_source_attach (GSource *source, GMainContext *context)
{
  BridgeSource *bs = (BridgeSource *) source;

  g_source_attach (source, context);
  if (bs->cancellable != NULL)
    bs->cancelled_id = g_cancellable_connect (bs->cancellable,
                                              G_CALLBACK (bridge_source_cancelled),
                                              g_main_context_ref (context),
                                              (GDestroyNotify) g_main_context_unref);
}

/* Detaches the source of the current run (if any); nothing else changes:
 * the batch being forwarded, and the place in it, are kept. */
static void
bridge_detach (NetringBridge *self)
{
  guint i;

  if (self->source != NULL)
    {
      BridgeSource *bs = (BridgeSource *) self->source;

      /* waits for a handler running in another thread */
      if (bs->cancelled_id != 0)
        g_cancellable_disconnect (bs->cancellable, bs->cancelled_id);
      bs->cancelled_id = 0;
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  for (i = 0; i < G_N_ELEMENTS (self->path); i++)
    self->path[i].rx_tag = self->path[i].tx_tag = NULL;
}

/* The run ended: cancelled (@error NULL) or failed (@error, taken). */
static void
bridge_run_ended (NetringBridge *self, GError *error)
{
  RunMode mode = self->mode;
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  bridge_detach (self);
  self->mode = RUN_NONE;
  switch (mode)
    {
    case RUN_STARTED:
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
      if (error != NULL)
        {
          g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
          g_error_free (error);
        }
      break;
    case RUN_ASYNC:
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      break;
    case RUN_SYNC:
      self->sync_done = TRUE;
      self->sync_error = error;
      break;
    case RUN_NONE:
    default:
      g_clear_error (&error);
      break;
    }
}

/* Makes the run's source and attaches it to @context. */
static gboolean
bridge_attach (NetringBridge *self, RunMode mode, GMainContext *context,
               GCancellable *cancellable, GError **error)
{
  if (!bridge_check (self, error))
    return FALSE;
  if (self->mode != RUN_NONE)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_BUSY,
                   _("The bridge between “%s” and “%s” is running already: stop it, or "
                     "cancel its run, before it runs again"),
                   self->interface[SIDE_A], self->interface[SIDE_B]);
      return FALSE;
    }
  self->source = bridge_source_new (self, cancellable);
  self->mode = mode;
  bridge_source_attach (self->source, context);
  return TRUE;
}

/* ---- running ---------------------------------------------------------------- */

/**
 * netring_bridge_start:
 * @self: a #NetringBridge
 * @error: return location for a #GError
 *
 * Starts forwarding in the thread-default main context: frames are
 * forwarded whenever that context iterates, until netring_bridge_stop().
 * When forwarding cannot go on (an interface went down or was removed),
 * the bridge stops and emits #NetringBridge::error.
 *
 * Fails with %NETRING_ERROR_BUSY when the bridge is running already
 * (started, or in netring_bridge_run() or netring_bridge_run_async()).
 *
 * Returns: %TRUE when forwarding started
 */
gboolean
netring_bridge_start (NetringBridge *self, GError **error)
{
  g_autoptr(GMainContext) context = NULL;

  g_return_val_if_fail (NETRING_IS_BRIDGE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  context = g_main_context_ref_thread_default ();
  if (!bridge_attach (self, RUN_STARTED, context, NULL, error))
    return FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;
}

/**
 * netring_bridge_stop:
 * @self: a #NetringBridge
 *
 * Stops what netring_bridge_start() started. Nothing is lost: a frame
 * waiting for room, and the rest of the batch it came in, go first when the
 * bridge runs again. Does nothing when the bridge was not started.
 */
void
netring_bridge_stop (NetringBridge *self)
{
  g_return_if_fail (NETRING_IS_BRIDGE (self));

  if (self->mode != RUN_STARTED)
    return;
  bridge_run_ended (self, NULL);
}

/**
 * netring_bridge_is_running:
 * @self: a #NetringBridge
 *
 * Whether the bridge forwards: started with netring_bridge_start(), or in
 * netring_bridge_run() or netring_bridge_run_async().
 *
 * Returns: %TRUE while the bridge runs
 */
gboolean
netring_bridge_is_running (NetringBridge *self)
{
  g_return_val_if_fail (NETRING_IS_BRIDGE (self), FALSE);
  return self->mode != RUN_NONE;
}

/**
 * netring_bridge_run:
 * @self: a #NetringBridge
 * @cancellable: (nullable): a #GCancellable that ends the run
 * @error: return location for a #GError
 *
 * Forwards in the calling thread, which it blocks, until @cancellable is
 * cancelled (from any thread, or a signal handler installed with
 * g_unix_signal_add()) or forwarding cannot go on. The bridge runs in a
 * main context of its own, pushed as the thread-default context for the
 * time of the call. Without @cancellable it runs until it fails.
 *
 * Being cancelled is how a run ends normally: it then returns %TRUE. When
 * an interface goes down or is removed, it returns %FALSE with
 * %NETRING_ERROR_INTERFACE_DOWN naming it. Nothing is lost when a run
 * ends: the next run starts where this one stopped.
 *
 * Returns: %TRUE when @cancellable ended the run; %FALSE with @error set
 *   when it failed
 */
gboolean
netring_bridge_run (NetringBridge *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GMainContext) context = NULL;
  GError *run_error;

  g_return_val_if_fail (NETRING_IS_BRIDGE (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  self->sync_done = FALSE;
  if (!bridge_attach (self, RUN_SYNC, context, cancellable, error))
    {
      g_main_context_pop_thread_default (context);
      return FALSE;
    }
  while (!self->sync_done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  run_error = g_steal_pointer (&self->sync_error);
  if (run_error != NULL)
    {
      g_propagate_error (error, run_error);
      return FALSE;
    }
  return TRUE;
}

/**
 * netring_bridge_run_async:
 * @self: a #NetringBridge
 * @cancellable: (nullable): a #GCancellable that ends the run
 * @callback: (scope async): called when the run ended
 * @user_data: data for @callback
 *
 * Forwards in the thread-default main context until @cancellable is
 * cancelled or forwarding cannot go on; then @callback runs in that
 * context. The call holds a reference on the bridge while it runs.
 */
void
netring_bridge_run_async (NetringBridge      *self,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (NETRING_IS_BRIDGE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netring_bridge_run_async);
  /* cancellation is how the run ends: it reports TRUE, not an error */
  g_task_set_check_cancellable (task, FALSE);

  context = g_main_context_ref_thread_default ();
  if (!bridge_attach (self, RUN_ASYNC, context, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  self->task = g_steal_pointer (&task);
}

/**
 * netring_bridge_run_finish:
 * @self: a #NetringBridge
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_bridge_run_async().
 *
 * Returns: %TRUE when the run's cancellable ended it; %FALSE with @error
 *   set when forwarding failed (%NETRING_ERROR_INTERFACE_DOWN naming the
 *   interface), the bridge was closed (%G_IO_ERROR_CLOSED), or it could not
 *   start
 */
gboolean
netring_bridge_run_finish (NetringBridge *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (NETRING_IS_BRIDGE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, netring_bridge_run_async), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- verdicts ------------------------------------------------------------------ */

/**
 * netring_bridge_set_verdict_func: (skip)
 * @self: a #NetringBridge
 * @func: (nullable): the verdict, or %NULL to forward every frame
 * @user_data: data for @func
 * @notify: (nullable): frees @user_data when the verdict is replaced or the
 *   bridge finalized
 *
 * Sets the function that decides, for every frame, whether it is
 * forwarded. It is called with the frame already copied into the slot it
 * leaves from, and may rewrite it there. Without a function (and without a
 * #NetringBridge::verdict handler) every frame is forwarded with no call
 * per frame. A function set here takes precedence over
 * #NetringBridge::verdict handlers, which are not called.
 *
 * Can be called at any time, also from the verdict itself; the next frame
 * gets the new verdict.
 */
void
netring_bridge_set_verdict_func (NetringBridge           *self,
                                 NetringBridgeVerdictFunc func,
                                 gpointer                 user_data,
                                 GDestroyNotify           notify)
{
  gpointer old_data;
  GDestroyNotify old_notify;

  g_return_if_fail (NETRING_IS_BRIDGE (self));

  old_data = self->verdict_data;
  old_notify = self->verdict_notify;
  self->verdict_func = func;
  self->verdict_data = user_data;
  self->verdict_notify = notify;
  if (old_notify != NULL)
    old_notify (old_data);
}

/* ---- statistics ------------------------------------------------------------------ */

/* Frames the kernel refused on the way out, as the sender counts them. */
static guint64
sender_rejected (NetringSender *sender)
{
  if (NETRING_IS_INJECTOR (sender))
    {
      g_autoptr(NetringInjectorStats) stats = netring_injector_get_stats (NETRING_INJECTOR (sender));

      return stats != NULL ? stats->frames_rejected : 0;
    }
  if (NETRING_IS_XDP_SOCKET (sender))
    {
      g_autoptr(NetringXdpStats) stats =
        netring_xdp_socket_get_stats (NETRING_XDP_SOCKET (sender), NULL);

      return stats != NULL ? stats->tx_invalid_descs + stats->device_dropped : 0;
    }
  return 0;
}

static guint64
receiver_drops (NetringReceiver *receiver)
{
  g_autoptr(NetringReceiverStats) stats = netring_receiver_get_stats (receiver, NULL);

  return stats != NULL ? stats->drops : 0;
}

static void
path_fill_stats (BridgePath *p, guint64 *received, guint64 *forwarded, guint64 *dropped,
                 guint64 *too_large, guint64 *rejected, guint64 *in_flight,
                 guint64 *kernel_drops)
{
  guint64 pending, refused, drops, unread;

  if (!p->active)
    return;
  /* the packets of the batch being forwarded that the bridge has not come
   * to yet: taken from the kernel, so received, and in flight */
  unread = p->batch != NULL ? p->iter.remaining : 0;
  pending = netring_send_queue_get_pending (p->queue);
  refused = sender_rejected (p->sender);
  refused = refused >= p->rejected_base ? refused - p->rejected_base : 0;
  /* everything the bridge queued is pending, rejected, or gone out (a
   * sender shared with someone else could make the first two larger) */
  pending = MIN (pending, p->committed);
  refused = MIN (refused, p->committed - pending);
  drops = receiver_drops (p->receiver);

  *received = p->received + unread;
  *dropped = p->dropped;
  *too_large = p->too_large;
  *rejected = refused;
  *in_flight = pending + (p->holding ? 1 : 0) + unread;
  *forwarded = p->committed - pending - refused;
  *kernel_drops = drops >= p->kernel_drops_base ? drops - p->kernel_drops_base : 0;
}

static NetringBridgeStats *
bridge_read_stats (NetringBridge *self)
{
  NetringBridgeStats stats = { 0 };
  BridgePath *ab = &self->path[NETRING_BRIDGE_DIRECTION_A_TO_B];
  BridgePath *ba = &self->path[NETRING_BRIDGE_DIRECTION_B_TO_A];

  path_fill_stats (ab, &stats.a_to_b_received, &stats.a_to_b_forwarded, &stats.a_to_b_dropped,
                   &stats.a_to_b_too_large, &stats.a_to_b_rejected, &stats.a_to_b_in_flight,
                   &stats.a_to_b_kernel_drops);
  path_fill_stats (ba, &stats.b_to_a_received, &stats.b_to_a_forwarded, &stats.b_to_a_dropped,
                   &stats.b_to_a_too_large, &stats.b_to_a_rejected, &stats.b_to_a_in_flight,
                   &stats.b_to_a_kernel_drops);
  return netring_bridge_stats_copy (&stats);
}

/**
 * netring_bridge_get_stats:
 * @self: a #NetringBridge
 * @error: return location for a #GError
 *
 * Gets the bridge's statistics: per direction, totals since the bridge was
 * initialised. Reading them changes nothing. After netring_bridge_close()
 * they stay readable and say what they said at the close.
 *
 * Returns: (transfer full): the statistics, or %NULL with @error set (the
 *   bridge was not initialised, or its initialisation failed)
 */
NetringBridgeStats *
netring_bridge_get_stats (NetringBridge *self, GError **error)
{
  g_return_val_if_fail (NETRING_IS_BRIDGE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->closed_stats != NULL)
    return netring_bridge_stats_copy (self->closed_stats);
  if (!bridge_check (self, error))
    return NULL;
  return bridge_read_stats (self);
}

/* ---- close ----------------------------------------------------------------------- */

/**
 * netring_bridge_close:
 * @self: a #NetringBridge
 * @error: return location for a #GError
 *
 * Closes the bridge at once: ends its run (netring_bridge_run_async()
 * reports %G_IO_ERROR_CLOSED; a started bridge stops), gives the batch it
 * was forwarding back to the kernel, and closes the captures and injectors
 * it made, which hand what they queued to the kernel first. Receivers and
 * senders given to netring_bridge_new_with_endpoints() are not closed; the
 * bridge only lets go of them.
 *
 * Statistics stay readable and say what they said at the close. Every
 * other later call fails with %G_IO_ERROR_CLOSED; closing again does
 * nothing.
 *
 * Returns: %TRUE (closing cannot fail today)
 */
gboolean
netring_bridge_close (NetringBridge *self, GError **error)
{
  guint i;

  g_return_val_if_fail (NETRING_IS_BRIDGE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->readiness.closed)
    return TRUE;
  if (self->readiness.initialized && self->readiness.init_error == NULL)
    self->closed_stats = bridge_read_stats (self);
  netring_readiness_close (&self->readiness);

  if (self->mode != RUN_NONE)
    bridge_run_ended (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                         _("The bridge was closed")));
  for (i = 0; i < G_N_ELEMENTS (self->path); i++)
    {
      BridgePath *p = &self->path[i];

      path_release_batch (p);
      if (p->owns_endpoints)
        {
          netring_receiver_close (p->receiver, NULL);
          netring_sender_close (p->sender, NULL);
        }
      p->active = FALSE;
    }
  return TRUE;
}

/* ---- GInitable --------------------------------------------------------------------- */

/* The name of an endpoint's interface, for messages and properties. */
static gchar *
endpoint_interface (gpointer endpoint)
{
  gchar *name = NULL;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (endpoint), "interface") != NULL)
    g_object_get (endpoint, "interface", &name, NULL);
  return name != NULL ? name : g_strdup (G_OBJECT_TYPE_NAME (endpoint));
}

/* The transmit slot for a side: big enough for its MTU, a link-layer
 * header and an 802.1Q tag, a power of two, at least 2048 bytes. */
static gboolean
side_tx_frame_size (NetringBridge *self, Side side, guint *frame_size, GError **error)
{
  NrIfaceInfo info;
  guint64 needed;
  guint size = BRIDGE_TX_FRAME_SIZE_MIN;
  int err;

  if (self->side[side].tx_frame_size != 0)
    {
      *frame_size = self->side[side].tx_frame_size;
      return TRUE;
    }
  err = nr_iface_query (self->interface[side], &info);
  if (err != 0)
    {
      g_set_error (error, NETRING_ERROR,
                   err == -ENODEV ? NETRING_ERROR_NO_SUCH_INTERFACE : NETRING_ERROR_FAILED,
                   /* TRANSLATORS: %s is an interface name, then the system's reason */
                   _("Cannot read the MTU of “%s”: %s"), self->interface[side], g_strerror (-err));
      return FALSE;
    }
  needed = (guint64) info.mtu + 14 + NR_TX_VLAN_ALLOWANCE + TX_RING_HEADER;
  while (size < needed && size < NR_TX_MAX_FRAME_SIZE)
    size *= 2;
  *frame_size = size;
  return TRUE;
}

/* Makes the capture that receives on @side for the bridge. */
static NetringReceiver *
side_open_receiver (NetringBridge *self, Side side, GError **error)
{
  const SideSettings *s = &self->side[side];
  /* GObject sets every construct-only property, so "not set" cannot be
   * told from "set to the default": the default profile stands for the
   * bridge's own geometry */
  gboolean own_geometry = s->profile == NETRING_RING_PROFILE_DEFAULT;
  GError *local_error = NULL;
  NetringCapture *capture;

  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &local_error,
                            "interface", self->interface[side],
                            "profile", s->profile,
                            "block-size", s->block_size != 0 ? s->block_size
                                          : own_geometry ? BRIDGE_BLOCK_SIZE : 0,
                            "block-count", s->block_count != 0 ? s->block_count
                                           : own_geometry ? BRIDGE_BLOCK_COUNT : 0,
                            "frame-size", s->frame_size != 0 ? s->frame_size
                                          : own_geometry ? BRIDGE_FRAME_SIZE : 0,
                            "block-timeout-ms", s->block_timeout_ms >= 0 ? s->block_timeout_ms
                                                : own_geometry ? BRIDGE_BLOCK_TIMEOUT_MS : -1,
                            "promiscuous", self->promiscuous,
                            /* never forward what the bridge sent itself (F14) */
                            "ignore-outgoing", TRUE,
                            NULL);
  if (capture == NULL)
    {
      /* TRANSLATORS: %s is an interface name, then a letter (a or b): the
       * bridge's ring properties end in -a or -b */
      g_propagate_prefixed_error (error, local_error,
                                  _("Cannot receive on “%s” (interface-%s; the ring "
                                    "properties of that side end in “-%s”): "),
                                  self->interface[side], side_letter[side], side_letter[side]);
      return NULL;
    }
  return NETRING_RECEIVER (capture);
}

/* Makes the injector that sends on @side for the bridge. */
static NetringSender *
side_open_sender (NetringBridge *self, Side side, GError **error)
{
  const SideSettings *s = &self->side[side];
  GError *local_error = NULL;
  NetringInjector *injector;
  guint frame_size;

  if (!side_tx_frame_size (self, side, &frame_size, error))
    return NULL;
  injector = g_initable_new (NETRING_TYPE_INJECTOR, NULL, &local_error,
                             "interface", self->interface[side],
                             "frame-size", frame_size,
                             "frame-count", s->tx_frame_count,
                             "qdisc-bypass", self->qdisc_bypass,
                             NULL);
  if (injector == NULL)
    {
      /* TRANSLATORS: %s is an interface name, then a letter (a or b) */
      g_propagate_prefixed_error (error, local_error,
                                  _("Cannot send on “%s” (interface-%s; the properties "
                                    "“tx-frame-size-%s” and “tx-frame-count-%s”): "),
                                  self->interface[side], side_letter[side], side_letter[side],
                                  side_letter[side]);
      return NULL;
    }
  return NETRING_SENDER (injector);
}

/* A capture given to the bridge must not see what is sent on its
 * interface, or the bridge would forward its own output (F14). */
static gboolean
check_given_receiver (NetringReceiver *receiver, GError **error)
{
  const NetringReceiverInterface *iface = NETRING_RECEIVER_GET_IFACE (receiver);
  gboolean ignore_outgoing = TRUE;

  if (!iface->check_ready (receiver, error))
    return FALSE;
  if (NETRING_IS_CAPTURE (receiver))
    g_object_get (receiver, "ignore-outgoing", &ignore_outgoing, NULL);
  if (!ignore_outgoing)
    {
      g_autofree gchar *name = endpoint_interface (receiver);

      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("The capture on “%s” has “ignore-outgoing” off: a bridge would forward "
                     "its own output back; make the capture with “ignore-outgoing” on"),
                   name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_given_sender (NetringSender *sender, GError **error)
{
  /* a flush of nothing is the readiness check of a sender */
  return netring_sender_flush (sender, error) >= 0;
}

static gboolean
bridge_validate (NetringBridge *self, gboolean given, GError **error)
{
  guint i;

  if (self->direction == NETRING_BRIDGE_DIRECTIONS_NONE)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("The “direction” property is empty: a bridge forwards a-to-b, b-to-a "
                     "or both"));
      return FALSE;
    }
  for (i = 0; i < 2; i++)
    {
      NetringBridgeDirections bit = 1u << i;
      const char *const names[2][2] = { { "a-to-b-receiver", "a-to-b-sender" },
                                        { "b-to-a-receiver", "b-to-a-sender" } };

      if (!given || !(self->direction & bit))
        continue;
      if (self->given_receiver[i] == NULL || self->given_sender[i] == NULL)
        {
          g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                       _("The “%s” property is not set: a bridge given its receivers and "
                         "senders needs both of each direction it forwards in (“direction”)"),
                       self->given_receiver[i] == NULL ? names[i][0] : names[i][1]);
          return FALSE;
        }
    }
  if (given)
    return TRUE;

  for (i = 0; i < N_SIDES; i++)
    if (self->interface[i] == NULL || self->interface[i][0] == '\0')
      {
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                     _("The “interface-%s” property is not set: a bridge needs two interfaces"),
                     side_letter[i]);
        return FALSE;
      }
  if (strcmp (self->interface[SIDE_A], self->interface[SIDE_B]) == 0)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("“interface-a” and “interface-b” are both “%s”: a bridge forwards between "
                     "two different interfaces"),
                   self->interface[SIDE_A]);
      return FALSE;
    }
  for (i = 0; i < N_SIDES; i++)
    if (netring_interface_index (self->interface[i], error) == 0)
      return FALSE;
  return TRUE;
}

static void
path_setup (BridgePath *p, NetringReceiver *receiver, NetringSender *sender, gboolean owned)
{
  p->active = TRUE;
  p->receiver = receiver;
  p->sender = sender;
  p->owns_endpoints = owned;
  p->rx_iface = NETRING_RECEIVER_GET_IFACE (receiver);
  p->tx_iface = NETRING_SENDER_GET_IFACE (sender);
  p->queue = p->tx_iface->get_send_queue (sender);
  p->from_name = endpoint_interface (receiver);
  p->to_name = endpoint_interface (sender);
  p->backoff_ms = BACKOFF_MIN_MS;
  p->rejected_base = sender_rejected (sender);
  p->kernel_drops_base = receiver_drops (receiver);
}

static gboolean
bridge_init (NetringBridge *self, GError **error)
{
  gboolean given = FALSE;
  guint i;

  for (i = 0; i < 2; i++)
    given |= self->given_receiver[i] != NULL || self->given_sender[i] != NULL;
  if (!bridge_validate (self, given, error))
    return FALSE;

  for (i = 0; i < 2; i++)
    {
      NetringBridgeDirection direction = i;
      g_autoptr(NetringReceiver) receiver = NULL;
      g_autoptr(NetringSender) sender = NULL;

      if (!(self->direction & (1u << i)))
        continue;
      if (given)
        {
          if (!check_given_receiver (self->given_receiver[i], error) ||
              !check_given_sender (self->given_sender[i], error))
            return FALSE;
          receiver = g_object_ref (self->given_receiver[i]);
          sender = g_object_ref (self->given_sender[i]);
        }
      else
        {
          receiver = side_open_receiver (self, path_from_side (direction), error);
          if (receiver == NULL)
            return FALSE;
          sender = side_open_sender (self, path_to_side (direction), error);
          if (sender == NULL)
            return FALSE;
        }
      self->path[i].direction = direction;
      path_setup (&self->path[i], g_steal_pointer (&receiver), g_steal_pointer (&sender), !given);
    }

  if (given)
    for (i = 0; i < N_SIDES; i++)
      {
        /* each interface as its endpoints name it */
        BridgePath *from = &self->path[i == SIDE_A ? NETRING_BRIDGE_DIRECTION_A_TO_B
                                                   : NETRING_BRIDGE_DIRECTION_B_TO_A];
        BridgePath *to = &self->path[i == SIDE_A ? NETRING_BRIDGE_DIRECTION_B_TO_A
                                                 : NETRING_BRIDGE_DIRECTION_A_TO_B];

        g_free (self->interface[i]);
        self->interface[i] = g_strdup (from->active ? from->from_name : to->to_name);
      }

  g_debug ("bridge %s ⇄ %s: %s%s%s", self->interface[SIDE_A], self->interface[SIDE_B],
           self->path[0].active ? "a-to-b" : "", self->path[0].active && self->path[1].active
           ? ", " : "", self->path[1].active ? "b-to-a" : "");
  return TRUE;
}

static gboolean
netring_bridge_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  NetringBridge *self = NETRING_BRIDGE (initable);
  GError *local_error = NULL;
  gboolean ok;

  if (!netring_readiness_init_begin (&self->readiness, &ok, error))
    return ok;
  /* closed before init: nothing is opened */
  if (!self->readiness.closed)
    bridge_init (self, &local_error);
  else
    g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_CLOSED, _("The bridge was closed"));
  ok = netring_readiness_init_done (&self->readiness, local_error);
  if (local_error != NULL)
    g_propagate_error (error, local_error);
  return ok;
}

static void
netring_bridge_initable_iface_init (GInitableIface *iface)
{
  iface->init = netring_bridge_initable_init;
}

/**
 * netring_bridge_new:
 * @interface_a: the first interface
 * @interface_b: the second interface
 * @error: return location for a #GError
 *
 * Makes a bridge that forwards in both directions between @interface_a and
 * @interface_b with the default settings: promiscuous receive sockets,
 * qdisc bypass on the sending ones, and the bridge's own ring geometry (see
 * #NetringBridge:profile-a). Set other properties with g_initable_new().
 *
 * Returns: (transfer full): a new bridge, or %NULL with @error set
 */
NetringBridge *
netring_bridge_new (const gchar *interface_a, const gchar *interface_b, GError **error)
{
  g_return_val_if_fail (interface_a != NULL, NULL);
  g_return_val_if_fail (interface_b != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (NETRING_TYPE_BRIDGE, NULL, error, "interface-a", interface_a,
                         "interface-b", interface_b, NULL);
}

/**
 * netring_bridge_new_with_endpoints:
 * @a_to_b_receiver: (nullable): what receives on the first interface
 * @a_to_b_sender: (nullable): what sends on the second interface
 * @b_to_a_receiver: (nullable): what receives on the second interface
 * @b_to_a_sender: (nullable): what sends on the first interface
 * @error: return location for a #GError
 *
 * Makes a bridge over receivers and senders that exist already: any
 * #NetringReceiver and #NetringSender, such as a #NetringXdpSocket, which
 * is both, on each side. Give both of a direction, or neither: the bridge
 * forwards in the directions it got both for. The endpoints must be
 * initialised; a #NetringCapture needs #NetringCapture:ignore-outgoing on,
 * or the bridge would forward what it sends itself.
 *
 * The bridge uses the endpoints only while it runs and does not close
 * them. Do not use them elsewhere meanwhile: its statistics count
 * everything their rings carry as the bridge's.
 *
 * Returns: (transfer full): a new bridge, or %NULL with @error set
 */
NetringBridge *
netring_bridge_new_with_endpoints (NetringReceiver *a_to_b_receiver,
                                   NetringSender   *a_to_b_sender,
                                   NetringReceiver *b_to_a_receiver,
                                   NetringSender   *b_to_a_sender,
                                   GError         **error)
{
  NetringBridgeDirections direction = NETRING_BRIDGE_DIRECTIONS_NONE;

  g_return_val_if_fail (a_to_b_receiver == NULL || NETRING_IS_RECEIVER (a_to_b_receiver), NULL);
  g_return_val_if_fail (a_to_b_sender == NULL || NETRING_IS_SENDER (a_to_b_sender), NULL);
  g_return_val_if_fail (b_to_a_receiver == NULL || NETRING_IS_RECEIVER (b_to_a_receiver), NULL);
  g_return_val_if_fail (b_to_a_sender == NULL || NETRING_IS_SENDER (b_to_a_sender), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (a_to_b_receiver != NULL || a_to_b_sender != NULL)
    direction |= NETRING_BRIDGE_DIRECTIONS_A_TO_B;
  if (b_to_a_receiver != NULL || b_to_a_sender != NULL)
    direction |= NETRING_BRIDGE_DIRECTIONS_B_TO_A;
  return g_initable_new (NETRING_TYPE_BRIDGE, NULL, error,
                         "direction", direction,
                         "a-to-b-receiver", a_to_b_receiver,
                         "a-to-b-sender", a_to_b_sender,
                         "b-to-a-receiver", b_to_a_receiver,
                         "b-to-a-sender", b_to_a_sender,
                         NULL);
}

/* ---- accessors ------------------------------------------------------------------ */

/**
 * netring_bridge_get_interface_a:
 * @self: a #NetringBridge
 *
 * Gets #NetringBridge:interface-a.
 *
 * Returns: (nullable): the first interface's name
 */
const gchar *
netring_bridge_get_interface_a (NetringBridge *self)
{
  g_return_val_if_fail (NETRING_IS_BRIDGE (self), NULL);
  return self->interface[SIDE_A];
}

/**
 * netring_bridge_get_interface_b:
 * @self: a #NetringBridge
 *
 * Gets #NetringBridge:interface-b.
 *
 * Returns: (nullable): the second interface's name
 */
const gchar *
netring_bridge_get_interface_b (NetringBridge *self)
{
  g_return_val_if_fail (NETRING_IS_BRIDGE (self), NULL);
  return self->interface[SIDE_B];
}

/**
 * netring_bridge_get_direction:
 * @self: a #NetringBridge
 *
 * Gets #NetringBridge:direction.
 *
 * Returns: the directions the bridge forwards in
 */
NetringBridgeDirections
netring_bridge_get_direction (NetringBridge *self)
{
  g_return_val_if_fail (NETRING_IS_BRIDGE (self), NETRING_BRIDGE_DIRECTIONS_NONE);
  return self->direction;
}

/**
 * netring_bridge_get_promiscuous:
 * @self: a #NetringBridge
 *
 * Gets #NetringBridge:promiscuous.
 *
 * Returns: whether the bridge's receive sockets are promiscuous
 */
gboolean
netring_bridge_get_promiscuous (NetringBridge *self)
{
  g_return_val_if_fail (NETRING_IS_BRIDGE (self), FALSE);
  return self->promiscuous;
}

/**
 * netring_bridge_get_qdisc_bypass:
 * @self: a #NetringBridge
 *
 * Gets #NetringBridge:qdisc-bypass.
 *
 * Returns: whether the bridge's sending sockets bypass the qdisc
 */
gboolean
netring_bridge_get_qdisc_bypass (NetringBridge *self)
{
  g_return_val_if_fail (NETRING_IS_BRIDGE (self), FALSE);
  return self->qdisc_bypass;
}

/**
 * netring_bridge_get_receiver:
 * @self: a #NetringBridge
 * @direction: a direction
 *
 * Gets what receives the frames of @direction: the #NetringCapture the
 * bridge made, or the receiver it was given. Use it for its statistics;
 * receiving from it while the bridge runs takes frames from the bridge.
 *
 * Returns: (transfer none) (nullable): the receiver, or %NULL when the
 *   bridge does not forward in @direction, is not initialised or was closed
 */
NetringReceiver *
netring_bridge_get_receiver (NetringBridge *self, NetringBridgeDirection direction)
{
  g_return_val_if_fail (NETRING_IS_BRIDGE (self), NULL);
  g_return_val_if_fail (direction <= NETRING_BRIDGE_DIRECTION_B_TO_A, NULL);
  return self->path[direction].active ? self->path[direction].receiver : NULL;
}

/**
 * netring_bridge_get_sender:
 * @self: a #NetringBridge
 * @direction: a direction
 *
 * Gets what sends the frames of @direction: the #NetringInjector the
 * bridge made, or the sender it was given. Use it for its statistics.
 *
 * Returns: (transfer none) (nullable): the sender, or %NULL when the
 *   bridge does not forward in @direction, is not initialised or was closed
 */
NetringSender *
netring_bridge_get_sender (NetringBridge *self, NetringBridgeDirection direction)
{
  g_return_val_if_fail (NETRING_IS_BRIDGE (self), NULL);
  g_return_val_if_fail (direction <= NETRING_BRIDGE_DIRECTION_B_TO_A, NULL);
  return self->path[direction].active ? self->path[direction].sender : NULL;
}

/* ---- GObject ------------------------------------------------------------------------- */

static void
netring_bridge_init (NetringBridge *self)
{
  guint i;

  self->direction = NETRING_BRIDGE_DIRECTIONS_BOTH;
  self->promiscuous = TRUE;
  self->qdisc_bypass = TRUE;
  for (i = 0; i < N_SIDES; i++)
    {
      self->side[i].profile = NETRING_RING_PROFILE_DEFAULT;
      self->side[i].block_timeout_ms = -1;
      self->side[i].tx_frame_count = BRIDGE_TX_FRAME_COUNT;
    }
  self->path[0].direction = NETRING_BRIDGE_DIRECTION_A_TO_B;
  self->path[1].direction = NETRING_BRIDGE_DIRECTION_B_TO_A;
}

static void
netring_bridge_dispose (GObject *object)
{
  NetringBridge *self = NETRING_BRIDGE (object);
  guint i;

  /* a run holds a reference (the task, the blocking call), so none is left
   * here unless g_object_run_dispose() was used */
  netring_bridge_close (self, NULL);
  for (i = 0; i < G_N_ELEMENTS (self->path); i++)
    {
      g_clear_object (&self->path[i].receiver);
      g_clear_object (&self->path[i].sender);
      g_clear_object (&self->given_receiver[i]);
      g_clear_object (&self->given_sender[i]);
    }
  netring_bridge_set_verdict_func (self, NULL, NULL, NULL);

  G_OBJECT_CLASS (netring_bridge_parent_class)->dispose (object);
}

static void
netring_bridge_finalize (GObject *object)
{
  NetringBridge *self = NETRING_BRIDGE (object);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (self->path); i++)
    {
      g_free (self->path[i].from_name);
      g_free (self->path[i].to_name);
    }
  for (i = 0; i < N_SIDES; i++)
    g_free (self->interface[i]);
  g_clear_pointer (&self->closed_stats, netring_bridge_stats_free);
  g_clear_error (&self->sync_error);
  netring_readiness_clear (&self->readiness);
  G_OBJECT_CLASS (netring_bridge_parent_class)->finalize (object);
}

static void
side_get_property (const SideSettings *s, guint prop, GValue *value)
{
  switch (prop)
    {
    case SIDE_PROP_PROFILE:
      g_value_set_enum (value, s->profile);
      break;
    case SIDE_PROP_BLOCK_SIZE:
      g_value_set_uint (value, s->block_size);
      break;
    case SIDE_PROP_BLOCK_COUNT:
      g_value_set_uint (value, s->block_count);
      break;
    case SIDE_PROP_FRAME_SIZE:
      g_value_set_uint (value, s->frame_size);
      break;
    case SIDE_PROP_BLOCK_TIMEOUT_MS:
      g_value_set_int (value, s->block_timeout_ms);
      break;
    case SIDE_PROP_TX_FRAME_SIZE:
      g_value_set_uint (value, s->tx_frame_size);
      break;
    case SIDE_PROP_TX_FRAME_COUNT:
    default:
      g_value_set_uint (value, s->tx_frame_count);
      break;
    }
}

static void
side_set_property (SideSettings *s, guint prop, const GValue *value)
{
  switch (prop)
    {
    case SIDE_PROP_PROFILE:
      s->profile = g_value_get_enum (value);
      break;
    case SIDE_PROP_BLOCK_SIZE:
      s->block_size = g_value_get_uint (value);
      break;
    case SIDE_PROP_BLOCK_COUNT:
      s->block_count = g_value_get_uint (value);
      break;
    case SIDE_PROP_FRAME_SIZE:
      s->frame_size = g_value_get_uint (value);
      break;
    case SIDE_PROP_BLOCK_TIMEOUT_MS:
      s->block_timeout_ms = g_value_get_int (value);
      break;
    case SIDE_PROP_TX_FRAME_SIZE:
      s->tx_frame_size = g_value_get_uint (value);
      break;
    case SIDE_PROP_TX_FRAME_COUNT:
    default:
      s->tx_frame_count = g_value_get_uint (value);
      break;
    }
}

static void
netring_bridge_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  NetringBridge *self = NETRING_BRIDGE (object);

  if (prop_id >= PROP_SIDE_FIRST && prop_id < N_PROPS)
    {
      guint n = prop_id - PROP_SIDE_FIRST;

      side_get_property (&self->side[n / N_SIDE_PROPS], n % N_SIDE_PROPS, value);
      return;
    }
  switch (prop_id)
    {
    case PROP_INTERFACE_A:
      g_value_set_string (value, self->interface[SIDE_A]);
      break;
    case PROP_INTERFACE_B:
      g_value_set_string (value, self->interface[SIDE_B]);
      break;
    case PROP_DIRECTION:
      g_value_set_flags (value, self->direction);
      break;
    case PROP_PROMISCUOUS:
      g_value_set_boolean (value, self->promiscuous);
      break;
    case PROP_QDISC_BYPASS:
      g_value_set_boolean (value, self->qdisc_bypass);
      break;
    case PROP_A_TO_B_RECEIVER:
      g_value_set_object (value, netring_bridge_get_receiver (self, NETRING_BRIDGE_DIRECTION_A_TO_B));
      break;
    case PROP_A_TO_B_SENDER:
      g_value_set_object (value, netring_bridge_get_sender (self, NETRING_BRIDGE_DIRECTION_A_TO_B));
      break;
    case PROP_B_TO_A_RECEIVER:
      g_value_set_object (value, netring_bridge_get_receiver (self, NETRING_BRIDGE_DIRECTION_B_TO_A));
      break;
    case PROP_B_TO_A_SENDER:
      g_value_set_object (value, netring_bridge_get_sender (self, NETRING_BRIDGE_DIRECTION_B_TO_A));
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, netring_bridge_is_running (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_bridge_set_property (GObject *object, guint prop_id, const GValue *value,
                             GParamSpec *pspec)
{
  NetringBridge *self = NETRING_BRIDGE (object);

  if (prop_id >= PROP_SIDE_FIRST && prop_id < N_PROPS)
    {
      guint n = prop_id - PROP_SIDE_FIRST;

      side_set_property (&self->side[n / N_SIDE_PROPS], n % N_SIDE_PROPS, value);
      return;
    }
  switch (prop_id)
    {
    case PROP_INTERFACE_A:
      g_free (self->interface[SIDE_A]);
      self->interface[SIDE_A] = g_value_dup_string (value);
      break;
    case PROP_INTERFACE_B:
      g_free (self->interface[SIDE_B]);
      self->interface[SIDE_B] = g_value_dup_string (value);
      break;
    case PROP_DIRECTION:
      self->direction = g_value_get_flags (value);
      break;
    case PROP_PROMISCUOUS:
      self->promiscuous = g_value_get_boolean (value);
      break;
    case PROP_QDISC_BYPASS:
      self->qdisc_bypass = g_value_get_boolean (value);
      break;
    case PROP_A_TO_B_RECEIVER:
      g_set_object (&self->given_receiver[0], g_value_get_object (value));
      break;
    case PROP_A_TO_B_SENDER:
      g_set_object (&self->given_sender[0], g_value_get_object (value));
      break;
    case PROP_B_TO_A_RECEIVER:
      g_set_object (&self->given_receiver[1], g_value_get_object (value));
      break;
    case PROP_B_TO_A_SENDER:
      g_set_object (&self->given_sender[1], g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
install_side_properties (Side side)
{
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamSpec **pspecs = &properties[PROP_SIDE_FIRST + side * N_SIDE_PROPS];
  /* static names: G_PARAM_STATIC_STRINGS keeps the pointers */
  static const char *const names[N_SIDES][N_SIDE_PROPS] = {
    { "profile-a", "block-size-a", "block-count-a", "frame-size-a", "block-timeout-ms-a",
      "tx-frame-size-a", "tx-frame-count-a" },
    { "profile-b", "block-size-b", "block-count-b", "frame-size-b", "block-timeout-ms-b",
      "tx-frame-size-b", "tx-frame-count-b" },
  };

  pspecs[SIDE_PROP_PROFILE] =
    g_param_spec_enum (names[side][SIDE_PROP_PROFILE], NULL, NULL, NETRING_TYPE_RING_PROFILE,
                       NETRING_RING_PROFILE_DEFAULT, construct);
  pspecs[SIDE_PROP_BLOCK_SIZE] =
    g_param_spec_uint (names[side][SIDE_PROP_BLOCK_SIZE], NULL, NULL, 0, G_MAXUINT, 0, construct);
  pspecs[SIDE_PROP_BLOCK_COUNT] =
    g_param_spec_uint (names[side][SIDE_PROP_BLOCK_COUNT], NULL, NULL, 0, G_MAXUINT, 0, construct);
  pspecs[SIDE_PROP_FRAME_SIZE] =
    g_param_spec_uint (names[side][SIDE_PROP_FRAME_SIZE], NULL, NULL, 0, G_MAXUINT, 0, construct);
  pspecs[SIDE_PROP_BLOCK_TIMEOUT_MS] =
    g_param_spec_int (names[side][SIDE_PROP_BLOCK_TIMEOUT_MS], NULL, NULL, -1, G_MAXINT, -1,
                      construct);
  pspecs[SIDE_PROP_TX_FRAME_SIZE] =
    g_param_spec_uint (names[side][SIDE_PROP_TX_FRAME_SIZE], NULL, NULL, 0, G_MAXUINT, 0,
                       construct);
  pspecs[SIDE_PROP_TX_FRAME_COUNT] =
    g_param_spec_uint (names[side][SIDE_PROP_TX_FRAME_COUNT], NULL, NULL, 0, G_MAXUINT,
                       BRIDGE_TX_FRAME_COUNT, construct);
}

static void
netring_bridge_class_init (NetringBridgeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  netring_i18n_init ();

  object_class->dispose = netring_bridge_dispose;
  object_class->finalize = netring_bridge_finalize;
  object_class->get_property = netring_bridge_get_property;
  object_class->set_property = netring_bridge_set_property;

  /**
   * NetringBridge:interface-a: (getter get_interface_a)
   *
   * The first interface. Required, unless the bridge was given its
   * receivers and senders (netring_bridge_new_with_endpoints()); it then
   * reads the interface they are on.
   */
  properties[PROP_INTERFACE_A] = g_param_spec_string ("interface-a", NULL, NULL, NULL, construct);

  /**
   * NetringBridge:interface-b: (getter get_interface_b)
   *
   * The second interface; see #NetringBridge:interface-a.
   */
  properties[PROP_INTERFACE_B] = g_param_spec_string ("interface-b", NULL, NULL, NULL, construct);

  /**
   * NetringBridge:direction: (getter get_direction)
   *
   * The directions to forward in. The bridge opens the sockets of these
   * directions only: a-to-b receives on #NetringBridge:interface-a and
   * sends on #NetringBridge:interface-b.
   */
  properties[PROP_DIRECTION] =
    g_param_spec_flags ("direction", NULL, NULL, NETRING_TYPE_BRIDGE_DIRECTIONS,
                        NETRING_BRIDGE_DIRECTIONS_BOTH, construct);

  /**
   * NetringBridge:promiscuous: (getter get_promiscuous)
   *
   * Put both interfaces in promiscuous mode, so that the bridge also gets
   * frames addressed to other hosts (what a bridge is for). On by default.
   */
  properties[PROP_PROMISCUOUS] =
    g_param_spec_boolean ("promiscuous", NULL, NULL, TRUE, construct);

  /**
   * NetringBridge:qdisc-bypass: (getter get_qdisc_bypass)
   *
   * Hand forwarded frames straight to the driver, skipping the sending
   * interface's queueing discipline (#NetringInjector:qdisc-bypass). On by
   * default: faster. Turn it off for traffic shaping on the way out. Frames
   * never loop either way: the receiving sockets ignore what the bridge
   * sends.
   */
  properties[PROP_QDISC_BYPASS] =
    g_param_spec_boolean ("qdisc-bypass", NULL, NULL, TRUE, construct);

  /**
   * NetringBridge:a-to-b-receiver:
   *
   * What receives the frames that go from #NetringBridge:interface-a to
   * #NetringBridge:interface-b. Set it (with the three other endpoints of
   * the directions to forward in) to bridge over receivers and senders that
   * exist already; otherwise the bridge makes a #NetringCapture, which this
   * reads after init.
   */
  properties[PROP_A_TO_B_RECEIVER] =
    g_param_spec_object ("a-to-b-receiver", NULL, NULL, NETRING_TYPE_RECEIVER, construct);

  /**
   * NetringBridge:a-to-b-sender:
   *
   * What sends the frames that go from #NetringBridge:interface-a to
   * #NetringBridge:interface-b; see #NetringBridge:a-to-b-receiver.
   */
  properties[PROP_A_TO_B_SENDER] =
    g_param_spec_object ("a-to-b-sender", NULL, NULL, NETRING_TYPE_SENDER, construct);

  /**
   * NetringBridge:b-to-a-receiver:
   *
   * What receives the frames that go from #NetringBridge:interface-b to
   * #NetringBridge:interface-a; see #NetringBridge:a-to-b-receiver.
   */
  properties[PROP_B_TO_A_RECEIVER] =
    g_param_spec_object ("b-to-a-receiver", NULL, NULL, NETRING_TYPE_RECEIVER, construct);

  /**
   * NetringBridge:b-to-a-sender:
   *
   * What sends the frames that go from #NetringBridge:interface-b to
   * #NetringBridge:interface-a; see #NetringBridge:a-to-b-receiver.
   */
  properties[PROP_B_TO_A_SENDER] =
    g_param_spec_object ("b-to-a-sender", NULL, NULL, NETRING_TYPE_SENDER, construct);

  /**
   * NetringBridge:running: (getter is_running)
   *
   * Whether the bridge forwards (netring_bridge_start(),
   * netring_bridge_run(), netring_bridge_run_async()). Notified for
   * netring_bridge_start() and netring_bridge_stop() only.
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NetringBridge:profile-a:
   *
   * The geometry preset of the receive ring on #NetringBridge:interface-a
   * (#NetringCapture:profile). For a bridge, %NETRING_RING_PROFILE_DEFAULT
   * (the default) stands for the bridge's own geometry: 32 KiB blocks ×
   * 8192 (256 MiB), 2048-byte frames, 1 ms block timeout. Blocks retired
   * after a tick keep the delay low at low rates, and being small they are
   * full within that tick whenever traffic is fast enough to build a
   * backlog: the ring then holds 1.6 million small frames while the other
   * side cannot take more. Another profile gives that profile's geometry.
   * The size properties override either.
   */
  /**
   * NetringBridge:block-size-a:
   *
   * Bytes per block of the receive ring on #NetringBridge:interface-a
   * (#NetringCapture:block-size); 0 for the preset's (see
   * #NetringBridge:profile-a).
   */
  /**
   * NetringBridge:block-count-a:
   *
   * Blocks of the receive ring on #NetringBridge:interface-a
   * (#NetringCapture:block-count); 0 for the preset's.
   */
  /**
   * NetringBridge:frame-size-a:
   *
   * Frame size of the receive ring on #NetringBridge:interface-a
   * (#NetringCapture:frame-size); 0 for the preset's.
   */
  /**
   * NetringBridge:block-timeout-ms-a:
   *
   * Block timeout of the receive ring on #NetringBridge:interface-a in
   * milliseconds (#NetringCapture:block-timeout-ms): how long a frame may
   * wait in a block that is not full before the bridge gets it. -1 for the
   * preset's (1 ms for the bridge's own geometry).
   */
  /**
   * NetringBridge:tx-frame-size-a:
   *
   * Slot size of the ring that sends on #NetringBridge:interface-a
   * (direction b-to-a; #NetringInjector:frame-size). 0, the default, sizes
   * it for the interface's MTU: the next power of two that holds the MTU,
   * an Ethernet header, an 802.1Q tag and the ring's header, at least 2048.
   */
  /**
   * NetringBridge:tx-frame-count-a:
   *
   * Slots of the ring that sends on #NetringBridge:interface-a (direction
   * b-to-a; #NetringInjector:frame-count). When they are all in use, the
   * bridge waits and the receive ring on #NetringBridge:interface-b holds
   * what arrives meanwhile.
   */
  install_side_properties (SIDE_A);

  /**
   * NetringBridge:profile-b:
   *
   * The geometry preset of the receive ring on #NetringBridge:interface-b;
   * see #NetringBridge:profile-a.
   */
  /**
   * NetringBridge:block-size-b:
   *
   * Bytes per block of the receive ring on #NetringBridge:interface-b; see
   * #NetringBridge:block-size-a.
   */
  /**
   * NetringBridge:block-count-b:
   *
   * Blocks of the receive ring on #NetringBridge:interface-b; see
   * #NetringBridge:block-count-a.
   */
  /**
   * NetringBridge:frame-size-b:
   *
   * Frame size of the receive ring on #NetringBridge:interface-b; see
   * #NetringBridge:frame-size-a.
   */
  /**
   * NetringBridge:block-timeout-ms-b:
   *
   * Block timeout of the receive ring on #NetringBridge:interface-b; see
   * #NetringBridge:block-timeout-ms-a.
   */
  /**
   * NetringBridge:tx-frame-size-b:
   *
   * Slot size of the ring that sends on #NetringBridge:interface-b
   * (direction a-to-b); see #NetringBridge:tx-frame-size-a.
   */
  /**
   * NetringBridge:tx-frame-count-b:
   *
   * Slots of the ring that sends on #NetringBridge:interface-b (direction
   * a-to-b); see #NetringBridge:tx-frame-count-a.
   */
  install_side_properties (SIDE_B);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NetringBridge::verdict:
   * @self: the bridge
   * @packet: the received frame, a zero-copy view into the receive ring (a
   *   VLAN tag the kernel took out is in its metadata; the bridge puts it
   *   back in the frame it sends)
   * @direction: the way the frame goes
   *
   * Emitted for every frame when handlers are connected and no C verdict
   * is set (netring_bridge_set_verdict_func()), in the thread and main
   * context the bridge runs in, before the frame is queued. The first
   * handler that returns decides; the others are not called. With no
   * handler connected, no packet is made and nothing is emitted: every
   * frame is forwarded.
   *
   * A handler may keep @packet (it then keeps its ring block from the
   * kernel until released).
   *
   * Returns: %NETRING_BRIDGE_ACTION_FORWARD or %NETRING_BRIDGE_ACTION_DROP
   */
  signals[SIGNAL_VERDICT] =
    g_signal_new ("verdict", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  g_signal_accumulator_first_wins, NULL, NULL, NETRING_TYPE_BRIDGE_ACTION, 2,
                  NETRING_TYPE_PACKET, NETRING_TYPE_BRIDGE_DIRECTION);

  /**
   * NetringBridge::error:
   * @self: the bridge
   * @error: why forwarding stopped, typically %NETRING_ERROR_INTERFACE_DOWN
   *   naming the interface that went down or was removed
   *
   * Emitted when forwarding started with netring_bridge_start() cannot go
   * on. The bridge is stopped when this is emitted; it can be started again
   * once the interface is back.
   */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}
