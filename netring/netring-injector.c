/* netring-injector.c: AF_PACKET TX-ring injection */
#include "netring-private.h"

#include "nr-afpacket.h"
#include "nr-tx-ring.h"

#include <glib-unix.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

/**
 * SECTION:netring-injector
 * @short_description: Zero-copy packet injection through a TX ring
 * @title: NetringInjector
 * @see_also: #NetringInjectorStats, #NetringCapture
 *
 * A #NetringInjector sends raw link-layer frames out of one network
 * interface through an AF_PACKET socket with a memory-mapped TX ring: frames
 * are written into shared memory and one system call (a "kick") hands all
 * the queued ones to the kernel, which transmits them in order and gives
 * each slot back when the frame has left.
 *
 * Every setting is a construct-only property checked by g_initable_init();
 * netring_injector_new() is the short form for the defaults:
 * |[<!-- language="Python" -->
 * tx = Netring.Injector(interface="eth0", frame_count=1024)
 * tx.init(None)
 * tx.send(frame)
 * tx.flush()
 * tx.wait_drained(1000, None)
 * ]|
 *
 * Sending is split in two steps so that many frames cost one system call:
 *
 * - netring_injector_send() and netring_injector_send_bytes() copy a frame
 *   into the next ring slot; from C, netring_injector_reserve() and
 *   netring_injector_commit() let you build it in place instead. They never
 *   block: when the ring is full they kick the kernel once and, if that
 *   freed nothing yet, fail with %G_IO_ERROR_WOULD_BLOCK.
 * - netring_injector_flush() kicks the kernel to transmit everything queued.
 *
 * netring_injector_send_async() is the backpressure-aware form: when the
 * ring is full it kicks the kernel and waits in the main context until a
 * slot comes back, so a caller can queue any number of frames without a
 * retry loop. Frames always go out in the order of the calls, and while an
 * earlier send_async() is still waiting, netring_injector_send() reports
 * %G_IO_ERROR_WOULD_BLOCK rather than overtaking it.
 * netring_injector_wait_drained() waits until the kernel gave every slot
 * back (it kicks first, so frames that were never flushed count too).
 *
 * The kernel consumes the ring strictly in order, so slots are handed out
 * in order too: an aborted reservation leaves its slot to the next frame,
 * and a frame the kernel refuses (for example one longer than the
 * interface's MTU allows) is counted in
 * #NetringInjectorStats.frames_rejected, with the reason in
 * #NetringInjectorStats.last_reject_errno, and the frames queued after it
 * are still sent. Frames the API refuses (empty, or longer than
 * #NetringInjector:frame-capacity) are counted in
 * #NetringInjectorStats.frames_refused. Nothing is dropped without being
 * counted.
 *
 * The socket is bound with protocol 0, so it never queues received traffic.
 *
 * Threads: an injector is used from one thread at a time; different
 * injectors may live in different threads.
 */

/* How long the send queue / wait_drained sleep when the socket reports
 * POLLOUT although no slot came back: the kernel's POLLOUT on a TX ring
 * socket also means "send buffer less than half full" (datagram_poll), so
 * it is often set while every slot is still in flight. Doubled on every
 * fruitless wake-up, up to the maximum. */
#define BACKOFF_MIN_MS 1
#define BACKOFF_MAX_MS 8

/* Send-buffer bytes per ring frame (the kernel doubles the value set).
 * POLLOUT on a TX-ring socket is "the kernel's head slot is free" OR "less
 * than half the send buffer is used" (datagram_poll), and every frame in
 * flight is charged to the send buffer at its truesize: the frame plus
 * ~770 bytes of skb (never less than ~580). With 2 × 512 bytes per frame:
 * - a ring that is full always uses more than half the buffer (each frame
 *   costs more than 512), so POLLOUT then really means that frames came
 *   back, and a waiting send wakes up on completions instead of spinning;
 * - a whole ring of frames up to ~250 bytes fits in flight; with larger
 *   frames the kernel takes part of the ring per kick (EAGAIN, the frames
 *   stay queued) and POLLOUT wakes the sender to kick again once half the
 *   buffer has drained. For a default ring that is about the kernel's
 *   default send buffer. */
#define SNDBUF_PER_FRAME 512

/* How long dispose keeps kicking when the kernel takes the queued frames
 * only in parts (its send buffer is full). */
#define DISPOSE_FLUSH_MS 200

struct _NetringInjector {
  GObject parent_instance;

  /* construct-only settings */
  gchar *interface;
  guint frame_size;
  guint frame_count; /* requested; after init, the count in the ring */
  gboolean qdisc_bypass;

  /* kernel state */
  gboolean initialized;
  int fd;
  int ifindex;
  guint8 *map;
  gsize map_length;
  NrTxRing ring;

  /* counters the ring does not keep */
  guint64 frames_refused;
  guint64 kicks;
  gint last_reject_errno;
  guint64 queued_since_flush;

  /* send_async(): GTasks waiting for a slot, oldest first, and the one
   * source that waits for the oldest (in its task's main context) */
  GQueue send_queue;
  GSource *send_wait;
  guint send_backoff_ms;

  /* send_async() calls that completed at once (their frame went into the
   * ring, or they failed): returned together, in call order, from one
   * source dispatch in their main context, where GTask
   * can run each callback directly instead of creating an idle source per
   * frame (which cost about a quarter of send_async's time) */
  GQueue done_queue;   /* NetringSendResult, oldest first */
  GSource *done_source;
  GQueue result_pool;  /* NetringSendResult ready for reuse */
};

enum {
  PROP_0,
  PROP_INTERFACE,
  PROP_FRAME_SIZE,
  PROP_FRAME_COUNT,
  PROP_QDISC_BYPASS,
  PROP_FRAME_CAPACITY,
  PROP_PENDING,
  PROP_AVAILABLE,
  PROP_FD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void netring_injector_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetringInjector, netring_injector, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      netring_injector_initable_iface_init))

G_DEFINE_BOXED_TYPE (NetringInjectorStats, netring_injector_stats,
                     netring_injector_stats_copy, netring_injector_stats_free)

/**
 * netring_injector_stats_copy:
 * @stats: statistics
 *
 * Copies @stats.
 *
 * Returns: (transfer full): a copy, free with netring_injector_stats_free()
 */
NetringInjectorStats *
netring_injector_stats_copy (const NetringInjectorStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  return g_memdup2 (stats, sizeof *stats);
}

/**
 * netring_injector_stats_free:
 * @stats: statistics
 *
 * Frees @stats.
 */
void
netring_injector_stats_free (NetringInjectorStats *stats)
{
  g_free (stats);
}

/* ---- kernel ------------------------------------------------------------- */

/* Tells the kernel to transmit the queued frames. MSG_DONTWAIT (F16):
 * without it the kernel waits until every queued frame has completed.
 * EAGAIN (send buffer full) and ENOBUFS (the qdisc dropped the head frame,
 * which the kernel then leaves queued) are not errors: the frames stay in
 * the ring and a later kick takes them. A frame the kernel refuses fails
 * the kick (EMSGSIZE, EINVAL) and stays at its head marked WRONG_FORMAT:
 * the ring accounts for it and the kick is repeated for the frames after
 * it. */
static gboolean
injector_kick (NetringInjector *self, GError **error)
{
  for (;;)
    {
      ssize_t sent;
      int errsv;
      guint rejected;

      nr_tx_ring_update (&self->ring);
      if (nr_tx_ring_unkicked (&self->ring) == 0)
        return TRUE;

      sent = sendto (self->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
      errsv = errno;
      self->kicks++;
      if (sent < 0 && errsv == EINTR)
        continue;

      rejected = nr_tx_ring_update (&self->ring);
      if (rejected > 0)
        {
          self->last_reject_errno = sent < 0 ? errsv : EINVAL;
          g_debug ("%s: the kernel rejected a frame of %u bytes (%s); it is counted in "
                   "frames-rejected and the frames after it are still sent",
                   self->interface, self->ring.last_reject_length,
                   g_strerror (self->last_reject_errno));
          continue;
        }
      if (sent >= 0 || errsv == EAGAIN || errsv == EWOULDBLOCK || errsv == ENOBUFS)
        return TRUE;
      netring_set_error_from_errno (error, errsv, "sendto(PACKET_TX_RING)", NULL);
      return FALSE;
    }
}

/* Reads (and clears) a pending socket error, as poll() reports POLLERR
 * until it is read: an interface that went away. */
static gboolean
injector_socket_error (NetringInjector *self, GError **error)
{
  int value = 0;
  socklen_t len = sizeof value;

  if (getsockopt (self->fd, SOL_SOCKET, SO_ERROR, &value, &len) != 0)
    value = errno;
  if (value == 0)
    return FALSE;
  netring_set_error_from_errno (error, value, "poll(PACKET_TX_RING)", NULL);
  return TRUE;
}

static G_GNUC_NO_INLINE gboolean
injector_refuse_length (NetringInjector *self, gsize length, GError **error)
{
  guint capacity = nr_tx_ring_capacity (&self->ring);

  if (length == 0)
    {
      self->frames_refused++;
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("Cannot send an empty frame: a frame holds 1 to %u bytes"), capacity);
      return FALSE;
    }
  self->frames_refused++;
  /* TRANSLATORS: frame-capacity and frame-size are property names */
  g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
               _("Cannot send a frame of %zu bytes: a ring frame holds at "
                 "most %u bytes (“frame-capacity”; raise “frame-size” for larger frames)"),
               (size_t) length, capacity);
  return FALSE;
}

/* The per-frame check stays inline; the refusal (cold) is out of line. */
static inline gboolean
injector_check_length (NetringInjector *self, gsize length, GError **error)
{
  if (G_LIKELY (length != 0 && length <= nr_tx_ring_capacity (&self->ring)))
    return TRUE;
  return injector_refuse_length (self, length, error);
}

/* The next slot's data area, kicking the kernel once when the ring is full
 * (the kernel can only give slots back for frames it was told about). */
static guint8 *
injector_take_slot (NetringInjector *self, GError **error)
{
  guint8 *data;

  /* The cursor slot is free as long as fewer than frame_count frames are
   * pending, whatever the kernel did since: look at what the kernel gave
   * back only when the ring looks full. */
  data = nr_tx_ring_reserve (&self->ring);
  if (data != NULL)
    return data;
  nr_tx_ring_update (&self->ring);
  data = nr_tx_ring_reserve (&self->ring);
  if (data != NULL)
    return data;

  if (nr_tx_ring_unkicked (&self->ring) > 0)
    {
      if (!injector_kick (self, error))
        return NULL;
      data = nr_tx_ring_reserve (&self->ring);
      if (data != NULL)
        return data;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
               _("The TX ring is full (%u frames waiting for the kernel); wait for POLLOUT "
                 "or use netring_injector_send_async()"),
               nr_tx_ring_pending (&self->ring));
  return NULL;
}

/* Copies one frame into the ring; length already checked. */
static gboolean
injector_put (NetringInjector *self, const guint8 *data, gsize length, GError **error)
{
  guint8 *slot = injector_take_slot (self, error);

  if (slot == NULL)
    return FALSE;
  memcpy (slot, data, length);
  nr_tx_ring_commit (&self->ring, (guint32) length);
  self->queued_since_flush++;
  return TRUE;
}

static gboolean
injector_queue_busy (NetringInjector *self, GError **error)
{
  if (g_queue_is_empty (&self->send_queue))
    return FALSE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
               _("%u earlier frames are waiting in netring_injector_send_async(); this frame "
                 "would overtake them"),
               self->send_queue.length);
  return TRUE;
}

/* ---- GInitable ---------------------------------------------------------- */

static gboolean
injector_validate (NetringInjector *self, NrTxGeometry *geometry, GError **error)
{
  long page = sysconf (_SC_PAGESIZE);

  if (self->frame_size < NR_TX_MIN_FRAME_SIZE || self->frame_size > NR_TX_MAX_FRAME_SIZE ||
      self->frame_size % TPACKET_ALIGNMENT != 0)
    {
      /* TRANSLATORS: “frame-size” is a property name */
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("The “frame-size” property is %u: it must be a multiple of %u between %u "
                     "and %u bytes (each frame starts with a %u-byte ring header)"),
                   self->frame_size, (guint) TPACKET_ALIGNMENT, NR_TX_MIN_FRAME_SIZE,
                   NR_TX_MAX_FRAME_SIZE, (guint) NR_TX_DATA_OFFSET);
      return FALSE;
    }
  if (self->frame_count == 0)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("The “frame-count” property is 0: the ring needs at least one "
                             "frame"));
      return FALSE;
    }
  if (!nr_tx_ring_geometry (self->frame_size, self->frame_count,
                            page > 0 ? (guint32) page : 4096, geometry))
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("The TX ring of %u frames of %u bytes is too large: “frame-count” × "
                     "“frame-size” must not exceed %u MiB"),
                   self->frame_count, self->frame_size, NR_TX_MAX_RING_BYTES >> 20);
      return FALSE;
    }
  return TRUE;
}

static gboolean
set_int_option (int fd, int level, int name, int value, const char *operation,
                const char *capability, GError **error)
{
  if (setsockopt (fd, level, name, &value, sizeof value) != 0)
    {
      int errsv = errno;
      netring_set_error_from_errno (error, errsv, operation, capability);
      return FALSE;
    }
  return TRUE;
}

static gboolean
netring_injector_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  NetringInjector *self = NETRING_INJECTOR (initable);
  NrTxGeometry geometry;
  struct tpacket_req3 req;
  gboolean locked;
  int fd;
  void *map;

  if (self->initialized)
    {
      if (self->fd >= 0)
        return TRUE;
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                           _("This injector failed to initialise before; create a new one"));
      return FALSE;
    }
  self->initialized = TRUE;

  /* Interface first, so "no such interface" is reported even without
   * privileges. */
  self->ifindex = netring_interface_index (self->interface, error);
  if (self->ifindex == 0)
    return FALSE;
  if (!injector_validate (self, &geometry, error))
    return FALSE;

  /* Protocol 0: nothing is ever queued for reception on this socket (F7). */
  fd = nr_afpacket_socket ();
  if (fd < 0)
    {
      int errsv = errno;
      netring_set_error_from_errno (error, errsv, "socket(AF_PACKET)", NETRING_CAP_NET_RAW);
      return FALSE;
    }

  /* TPACKET_V3, like the capture ring. The kernel (>= 4.11) runs V3 TX
   * rings frame by frame exactly like V2 ones; only the header differs:
   * status at offset 20, tp_len at 16, tp_next_offset must be 0, and the
   * data starts at TPACKET3_HDRLEN - sizeof (struct sockaddr_ll) = 48 (F1).
   * Verified on Linux 6.18 by the privileged tests, so there is no reason
   * for a second, V2-only code path. */
  if (!set_int_option (fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3,
                       "setsockopt(PACKET_VERSION)", NULL, error))
    goto fail;

  /* No PACKET_LOSS: with it the kernel silently skips frames it refuses.
   * Without it a refused frame stays at the kernel's head as WRONG_FORMAT,
   * which nr-tx-ring counts and repairs in place. */
  memset (&req, 0, sizeof req);
  req.tp_block_size = geometry.block_size;
  req.tp_block_nr = geometry.block_count;
  req.tp_frame_size = self->frame_size;
  req.tp_frame_nr = geometry.frame_count;
  /* tp_retire_blk_tov, tp_sizeof_priv and tp_feature_req_word stay 0: the
   * kernel refuses anything else for a V3 TX ring. */
  if (setsockopt (fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) != 0)
    {
      int errsv = errno;
      netring_set_error_from_errno (error, errsv, "setsockopt(PACKET_TX_RING)", NULL);
      goto fail;
    }

  self->map_length = (gsize) geometry.block_size * geometry.block_count;
  map = nr_afpacket_mmap_ring (fd, self->map_length, &locked);
  if (map == MAP_FAILED)
    {
      int errsv = errno;
      netring_set_error_from_errno (error, errsv, "mmap(PACKET_TX_RING)", NULL);
      goto fail;
    }
  self->map = map;

  if (self->qdisc_bypass &&
      !set_int_option (fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1,
                       "setsockopt(PACKET_QDISC_BYPASS)", NULL, error))
    goto fail_unmap;

  /* Bind last, with protocol 0: the socket transmits on this interface and
   * still receives nothing (F7). */
  if (nr_afpacket_bind (fd, self->ifindex, 0) != 0)
    {
      int errsv = errno;
      netring_set_error_from_errno (error, errsv, "bind(AF_PACKET)", NULL);
      goto fail_unmap;
    }

  {
    int sndbuf = (int) MIN ((guint64) geometry.frame_count * SNDBUF_PER_FRAME,
                            (guint64) G_MAXINT / 4);

    /* Best effort: without CAP_NET_ADMIN the value is capped by
     * net.core.wmem_max, which only makes POLLOUT more conservative. */
    if (setsockopt (fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0 &&
        setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) != 0)
      g_debug ("%s: could not size the send buffer: %s", self->interface,
               g_strerror (errno));
  }

  nr_tx_ring_init (&self->ring, self->map, self->frame_size, &geometry);
  self->frame_count = geometry.frame_count;
  self->fd = fd;
  g_debug ("%s: TX ring of %u frames of %u bytes in %u blocks of %u bytes (%s)",
           self->interface, geometry.frame_count, self->frame_size, geometry.block_count,
           geometry.block_size, locked ? "locked" : "not locked");
  return TRUE;

fail_unmap:
  munmap (self->map, self->map_length);
  self->map = NULL;
fail:
  close (fd);
  return FALSE;
}

static void
netring_injector_initable_iface_init (GInitableIface *iface)
{
  iface->init = netring_injector_initable_init;
}

/* ---- public API --------------------------------------------------------- */

/**
 * netring_injector_new:
 * @interface: name of the network interface to send on
 * @error: return location for a #GError
 *
 * Opens an injector on @interface with the default settings (256 frames of
 * 2048 bytes, through the interface's queueing discipline). Use
 * g_initable_new() to set other properties.
 *
 * Returns: (transfer full): a new injector, or %NULL with @error set
 */
NetringInjector *
netring_injector_new (const gchar *interface, GError **error)
{
  g_return_val_if_fail (interface != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (NETRING_TYPE_INJECTOR, NULL, error, "interface", interface, NULL);
}

/**
 * netring_injector_get_interface:
 * @self: a #NetringInjector
 *
 * Gets the #NetringInjector:interface property.
 *
 * Returns: the interface name
 */
const gchar *
netring_injector_get_interface (NetringInjector *self)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), NULL);
  return self->interface;
}

/**
 * netring_injector_get_fd:
 * @self: a #NetringInjector
 *
 * Gets the socket, for example to poll it for `POLLOUT` in your own loop.
 * Do not read from, write to or close it.
 *
 * Returns: the file descriptor, or -1 before a successful init
 */
gint
netring_injector_get_fd (NetringInjector *self)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), -1);
  return self->fd;
}

/**
 * netring_injector_get_frame_size:
 * @self: a #NetringInjector
 *
 * Gets the #NetringInjector:frame-size property.
 *
 * Returns: bytes per ring frame, header included
 */
guint
netring_injector_get_frame_size (NetringInjector *self)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), 0);
  return self->frame_size;
}

/**
 * netring_injector_get_frame_count:
 * @self: a #NetringInjector
 *
 * Gets the #NetringInjector:frame-count property: after init, the number of
 * frames in the ring (the request rounded up to whole blocks).
 *
 * Returns: the number of ring frames
 */
guint
netring_injector_get_frame_count (NetringInjector *self)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), 0);
  return self->frame_count;
}

/**
 * netring_injector_get_frame_capacity:
 * @self: a #NetringInjector
 *
 * Gets the #NetringInjector:frame-capacity property: the longest frame a
 * ring slot holds, #NetringInjector:frame-size minus the 48-byte ring
 * header. The interface's MTU may allow less; the kernel rejects longer
 * frames when it sends them (see #NetringInjectorStats.frames_rejected).
 *
 * Returns: the frame capacity in bytes
 */
guint
netring_injector_get_frame_capacity (NetringInjector *self)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), 0);
  return self->frame_size > NR_TX_DATA_OFFSET ? self->frame_size - (guint) NR_TX_DATA_OFFSET
                                              : 0;
}

/**
 * netring_injector_get_pending:
 * @self: a #NetringInjector
 *
 * Gets the #NetringInjector:pending property: frames queued in the ring
 * that the kernel has not given back yet (not flushed, or still being
 * transmitted).
 *
 * Returns: the number of pending frames
 */
guint
netring_injector_get_pending (NetringInjector *self)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), 0);
  if (self->fd < 0)
    return 0;
  nr_tx_ring_update (&self->ring);
  return nr_tx_ring_pending (&self->ring);
}

/**
 * netring_injector_get_available:
 * @self: a #NetringInjector
 *
 * Gets the #NetringInjector:available property: ring slots free for new
 * frames right now.
 *
 * Returns: the number of free slots
 */
guint
netring_injector_get_available (NetringInjector *self)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), 0);
  if (self->fd < 0)
    return 0;
  nr_tx_ring_update (&self->ring);
  return nr_tx_ring_available (&self->ring);
}

/**
 * netring_injector_reserve: (skip)
 * @self: a #NetringInjector
 * @length: the length of the frame that will be written, in bytes
 * @error: return location for a #GError
 *
 * Hands out the next ring slot so that a frame can be built in place, with
 * no copy. Write at most #NetringInjector:frame-capacity bytes at the
 * returned address, then call netring_injector_commit() to queue the frame
 * or netring_injector_abort() to give the slot back. Only one reservation
 * may be outstanding, and no other send may happen meanwhile.
 *
 * When the ring is full this kicks the kernel once; if no slot came back,
 * it fails with %G_IO_ERROR_WOULD_BLOCK (poll netring_injector_get_fd()
 * for `POLLOUT` and try again). An empty or too long @length fails with
 * %NETRING_ERROR_INVALID_ARGUMENT and is counted in
 * #NetringInjectorStats.frames_refused.
 *
 * Returns: (nullable): where to write the frame, or %NULL with @error set
 */
guint8 *
netring_injector_reserve (NetringInjector *self, gsize length, GError **error)
{
  guint8 *slot;

  g_return_val_if_fail (NETRING_IS_INJECTOR (self), NULL);
  g_return_val_if_fail (self->fd >= 0, NULL);
  g_return_val_if_fail (!self->ring.reserved, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!injector_check_length (self, length, error) || injector_queue_busy (self, error))
    return NULL;
  slot = injector_take_slot (self, error);
  return slot;
}

/**
 * netring_injector_commit: (skip)
 * @self: a #NetringInjector
 * @length: the number of bytes written at the reserved slot
 * @error: return location for a #GError
 *
 * Queues the frame written into the slot netring_injector_reserve()
 * returned. It is transmitted at the next netring_injector_flush() (or
 * when a full ring makes the library kick the kernel).
 *
 * An empty or too long @length fails with %NETRING_ERROR_INVALID_ARGUMENT,
 * is counted in #NetringInjectorStats.frames_refused and gives the slot
 * back.
 *
 * Returns: %TRUE if the frame was queued
 */
gboolean
netring_injector_commit (NetringInjector *self, gsize length, GError **error)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), FALSE);
  g_return_val_if_fail (self->ring.reserved, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!injector_check_length (self, length, error))
    {
      /* The slot stays where it is, AVAILABLE: the next frame takes it.
       * Counted as refused, not as aborted. */
      self->ring.reserved = FALSE;
      return FALSE;
    }
  nr_tx_ring_commit (&self->ring, (guint32) length);
  self->queued_since_flush++;
  return TRUE;
}

/**
 * netring_injector_abort: (skip)
 * @self: a #NetringInjector
 *
 * Gives back the slot netring_injector_reserve() returned, without sending
 * anything. The next frame takes the same slot, so the kernel never meets
 * a gap. Counted in #NetringInjectorStats.frames_aborted.
 */
void
netring_injector_abort (NetringInjector *self)
{
  g_return_if_fail (NETRING_IS_INJECTOR (self));
  g_return_if_fail (self->ring.reserved);

  nr_tx_ring_abort (&self->ring);
}

/**
 * netring_injector_send:
 * @self: a #NetringInjector
 * @data: (array length=length): the frame, from the link-layer header on
 * @length: the length of @data in bytes
 * @error: return location for a #GError
 *
 * Copies a frame into the next ring slot and queues it; it is transmitted
 * at the next netring_injector_flush(). Never blocks.
 *
 * When the ring is full this kicks the kernel once; if no slot came back
 * it fails with %G_IO_ERROR_WOULD_BLOCK (wait for `POLLOUT` on
 * netring_injector_get_fd(), or use netring_injector_send_async()). It
 * also fails with %G_IO_ERROR_WOULD_BLOCK while earlier
 * netring_injector_send_async() calls are waiting, so frames keep their
 * order. An empty frame or one longer than
 * #NetringInjector:frame-capacity fails with
 * %NETRING_ERROR_INVALID_ARGUMENT and is counted in
 * #NetringInjectorStats.frames_refused.
 *
 * Returns: %TRUE if the frame was queued
 */
gboolean
netring_injector_send (NetringInjector *self,
                       const guint8    *data,
                       gsize            length,
                       GError         **error)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), FALSE);
  g_return_val_if_fail (self->fd >= 0, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (!self->ring.reserved, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!injector_check_length (self, length, error) || injector_queue_busy (self, error))
    return FALSE;
  return injector_put (self, data, length, error);
}

/**
 * netring_injector_send_bytes:
 * @self: a #NetringInjector
 * @frame: the frame, from the link-layer header on
 * @error: return location for a #GError
 *
 * Like netring_injector_send(), with the frame in a #GBytes.
 *
 * Returns: %TRUE if the frame was queued
 */
gboolean
netring_injector_send_bytes (NetringInjector *self, GBytes *frame, GError **error)
{
  gconstpointer data;
  gsize length;

  g_return_val_if_fail (NETRING_IS_INJECTOR (self), FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);

  data = g_bytes_get_data (frame, &length);
  return netring_injector_send (self, data != NULL ? data : (const guint8 *) "", length, error);
}

/**
 * netring_injector_flush:
 * @self: a #NetringInjector
 * @error: return location for a #GError
 *
 * Kicks the kernel to transmit every queued frame. Never blocks: the kernel
 * takes the frames (it may take only part of them when its send buffer is
 * full; a later flush, a full ring or netring_injector_wait_drained() kicks
 * again) and gives their slots back as they leave.
 *
 * A frame the kernel refuses (typically: longer than the interface's MTU
 * allows) does not fail the flush: it is counted in
 * #NetringInjectorStats.frames_rejected with the reason in
 * #NetringInjectorStats.last_reject_errno, and the frames after it are sent.
 * The flush fails when the kernel cannot send at all, for example with
 * %NETRING_ERROR_INTERFACE_DOWN; the frames then stay queued.
 *
 * Returns: the number of frames queued since the previous flush, or -1
 *   with @error set
 */
gint
netring_injector_flush (NetringInjector *self, GError **error)
{
  guint64 queued;

  g_return_val_if_fail (NETRING_IS_INJECTOR (self), -1);
  g_return_val_if_fail (self->fd >= 0, -1);
  g_return_val_if_fail (!self->ring.reserved, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (!injector_kick (self, error))
    return -1;
  queued = self->queued_since_flush;
  self->queued_since_flush = 0;
  return (gint) MIN (queued, (guint64) G_MAXINT);
}

/* ---- send_async --------------------------------------------------------- */

typedef struct {
  GBytes *frame;
  GSource *cancel_source;
} SendOp;

static void
send_op_free (gpointer data)
{
  SendOp *op = data;

  if (op->cancel_source != NULL)
    {
      g_source_destroy (op->cancel_source);
      g_source_unref (op->cancel_source);
    }
  g_bytes_unref (op->frame);
  g_free (op);
}

static void
send_op_stop_waiting (GTask *task)
{
  SendOp *op = g_task_get_task_data (task);

  if (op->cancel_source != NULL)
    {
      g_source_destroy (op->cancel_source);
      g_clear_pointer (&op->cancel_source, g_source_unref);
    }
}

static void send_queue_arm (NetringInjector *self, gboolean after_progress);

static void
send_wait_clear (NetringInjector *self)
{
  if (self->send_wait != NULL)
    {
      g_source_destroy (self->send_wait);
      g_clear_pointer (&self->send_wait, g_source_unref);
    }
}

/* Sends as many waiting frames as the ring takes, oldest first, and
 * completes their tasks. Returns the number of tasks completed. */
static guint
send_queue_process (NetringInjector *self)
{
  guint completed = 0;
  GTask *task;

  while ((task = g_queue_peek_head (&self->send_queue)) != NULL)
    {
      SendOp *op = g_task_get_task_data (task);
      GError *error = NULL;
      gconstpointer data;
      gsize length;

      data = g_bytes_get_data (op->frame, &length);
      if (!injector_put (self, data, length, &error) &&
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_error_free (error);
          break;
        }

      /* Off the queue before returning: the callback may run right now and
       * call send_async() again. */
      g_queue_pop_head (&self->send_queue);
      send_op_stop_waiting (task);
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      completed++;
    }
  return completed;
}

static void
send_queue_dispatch (NetringInjector *self, gboolean from_fd, GIOCondition condition)
{
  g_autoptr(NetringInjector) keep = g_object_ref (self);
  guint completed;

  if (from_fd && (condition & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) != 0)
    {
      GError *error = NULL;

      if (injector_socket_error (self, &error))
        {
          GTask *task = g_queue_pop_head (&self->send_queue);

          if (task != NULL)
            {
              send_op_stop_waiting (task);
              g_task_return_error (task, error);
              g_object_unref (task);
            }
          else
            g_error_free (error);
        }
    }

  completed = send_queue_process (self);
  if (completed > 0)
    self->send_backoff_ms = BACKOFF_MIN_MS;
  send_queue_arm (self, completed > 0 || !from_fd);
}

static gboolean
send_wait_fd_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  send_queue_dispatch (user_data, TRUE, condition);
  return G_SOURCE_CONTINUE; /* send_queue_arm() decides the source's fate */
}

static gboolean
send_wait_timer_cb (gpointer user_data)
{
  send_queue_dispatch (user_data, FALSE, 0);
  return G_SOURCE_CONTINUE;
}

/* (Re)creates the source that waits for the oldest waiting send, in that
 * task's main context. Normally that is POLLOUT on the socket; but the
 * kernel also reports POLLOUT whenever its send buffer is less than half
 * full, even if every slot is in flight, so a POLLOUT that brought no slot
 * back is followed by a short timer (doubling up to BACKOFF_MAX_MS) before
 * polling again, instead of spinning. */
static void
send_queue_arm (NetringInjector *self, gboolean use_fd)
{
  GTask *head = g_queue_peek_head (&self->send_queue);
  GSource *source;

  send_wait_clear (self);
  if (head == NULL)
    {
      self->send_backoff_ms = BACKOFF_MIN_MS;
      return;
    }

  if (use_fd)
    {
      source = g_unix_fd_source_new (self->fd, G_IO_OUT | G_IO_ERR | G_IO_HUP);
      g_source_set_callback (source, G_SOURCE_FUNC (send_wait_fd_cb), self, NULL);
    }
  else
    {
      source = g_timeout_source_new (self->send_backoff_ms);
      g_source_set_callback (source, send_wait_timer_cb, self, NULL);
      self->send_backoff_ms = MIN (self->send_backoff_ms * 2, BACKOFF_MAX_MS);
    }
  g_source_set_static_name (source, "NetringInjector send_async");
  g_source_set_priority (source, g_task_get_priority (head));
  g_source_attach (source, g_task_get_context (head));
  self->send_wait = source;
}

static gboolean
send_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  GTask *task = user_data;
  NetringInjector *self = g_task_get_source_object (task);
  g_autoptr(NetringInjector) keep = g_object_ref (self);
  gboolean was_head = g_queue_peek_head (&self->send_queue) == task;

  /* Still queued (a completed task has no cancel source any more): its
   * frame never reached the ring. */
  g_queue_remove (&self->send_queue, task);
  send_op_stop_waiting (task);
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
  if (was_head)
    send_queue_arm (self, TRUE);
  return G_SOURCE_REMOVE;
}

/* The result of a send_async() that completes at once: its frame went into
 * the ring (the common case), or it failed before any wait. It avoids a
 * GTask (a GObject created, an idle source and a GObject disposed per
 * frame). Results are returned together from one source dispatch in their
 * main context, in call order, and then reused. Calls that wait use a GTask
 * as usual; netring_injector_send_finish() accepts both. */
#define NETRING_TYPE_SEND_RESULT (netring_send_result_get_type ())
G_DECLARE_FINAL_TYPE (NetringSendResult, netring_send_result, NETRING, SEND_RESULT, GObject)

struct _NetringSendResult {
  GObject parent_instance;
  NetringInjector *injector; /* strong while the result is in use, NULL in the pool */
  GAsyncReadyCallback callback;
  gpointer user_data;
  GError *error; /* NULL: the frame is in the ring */
};

static void netring_send_result_async_result_init (GAsyncResultIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetringSendResult, netring_send_result, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_RESULT,
                                                      netring_send_result_async_result_init))

static void
netring_send_result_init (NetringSendResult *self)
{
}

static void
netring_send_result_finalize (GObject *object)
{
  NetringSendResult *self = NETRING_SEND_RESULT (object);

  g_clear_error (&self->error);
  g_clear_object (&self->injector);
  G_OBJECT_CLASS (netring_send_result_parent_class)->finalize (object);
}

static void
netring_send_result_class_init (NetringSendResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = netring_send_result_finalize;
}

static GObject *
send_result_get_source_object (GAsyncResult *result)
{
  NetringSendResult *self = NETRING_SEND_RESULT (result);

  return self->injector != NULL ? g_object_ref (G_OBJECT (self->injector)) : NULL;
}

static gpointer
send_result_get_user_data (GAsyncResult *result)
{
  return NETRING_SEND_RESULT (result)->user_data;
}

static gboolean
send_result_is_tagged (GAsyncResult *result, gpointer source_tag)
{
  return source_tag == netring_injector_send_async;
}

static void
netring_send_result_async_result_init (GAsyncResultIface *iface)
{
  iface->get_source_object = send_result_get_source_object;
  iface->get_user_data = send_result_get_user_data;
  iface->is_tagged = send_result_is_tagged;
}

/* Results kept for reuse (not more than a ring's worth). */
#define RESULT_POOL_MAX 1024

static gboolean
done_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs done_source_funcs = { NULL, NULL, done_source_dispatch, NULL, NULL, NULL };

static gboolean
done_source_cb (gpointer user_data)
{
  NetringInjector *self = user_data;
  GQueue ready = self->done_queue;
  NetringSendResult *result;

  /* calls made from these callbacks go to the next round */
  g_queue_init (&self->done_queue);
  g_source_set_ready_time (self->done_source, -1);
  while ((result = g_queue_pop_head (&ready)) != NULL)
    {
      /* the result keeps its source object during the callback, and for as
       * long as the callback keeps the result, like a GTask */
      NetringInjector *injector = result->injector;

      result->callback (G_OBJECT (injector), G_ASYNC_RESULT (result), result->user_data);
      /* reuse it unless the callback kept a reference */
      if (G_OBJECT (result)->ref_count == 1 && injector->result_pool.length < RESULT_POOL_MAX)
        {
          result->injector = NULL;
          g_clear_error (&result->error);
          g_queue_push_head (&injector->result_pool, result);
          g_object_unref (injector); /* may be the last reference */
        }
      else
        g_object_unref (result); /* and so maybe the injector */
    }
  return G_SOURCE_CONTINUE;
}

/* Completes, in a later main-loop iteration as GLib requires, a
 * send_async() whose frame is already in the ring (@error NULL) or that
 * failed at once (takes @error). Returns FALSE if the caller is in another
 * main context than the batch in progress (then a GTask does it). */
static gboolean
injector_return_sent (NetringInjector *self, GAsyncReadyCallback callback, gpointer user_data,
                      GError *error)
{
  /* the caller's thread-default context, as g_task_new() would take */
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  NetringSendResult *result;
  gboolean arm = FALSE;

  if (self->done_source != NULL && g_source_is_destroyed (self->done_source))
    g_clear_pointer (&self->done_source, g_source_unref);
  if (self->done_source != NULL && g_source_get_context (self->done_source) != context)
    return FALSE;
  if (self->done_source == NULL)
    {
      self->done_source = g_source_new (&done_source_funcs, sizeof (GSource));
      g_source_set_static_name (self->done_source, "NetringInjector send_async done");
      g_source_set_callback (self->done_source, done_source_cb, self, NULL);
      g_source_attach (self->done_source, context);
      arm = TRUE;
    }

  result = g_queue_pop_head (&self->result_pool);
  if (result == NULL)
    result = g_object_new (NETRING_TYPE_SEND_RESULT, NULL);
  result->injector = g_object_ref (self);
  result->callback = callback;
  result->user_data = user_data;
  result->error = error;
  g_queue_push_tail (&self->done_queue, result);
  /* the first of a round arms the source; the others ride along (setting
   * the ready time takes the context's lock, once per frame otherwise) */
  if (arm || self->done_queue.length == 1)
    g_source_set_ready_time (self->done_source, 0);
  return TRUE;
}

/* Completes a send_async() call at once: its frame is in the ring (@error
 * NULL) or it failed (takes @error). */
static void
send_return_now (NetringInjector *self, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data, GError *error)
{
  GTask *task;

  if (callback != NULL && injector_return_sent (self, callback, user_data, error))
    return;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netring_injector_send_async);
  /* the outcome is decided (a frame in the ring stays there): a later
   * cancellation does not change it */
  g_task_set_check_cancellable (task, FALSE);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/**
 * netring_injector_send_async:
 * @self: a #NetringInjector
 * @frame: the frame, from the link-layer header on
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the frame is queued
 * @user_data: data for @callback
 *
 * Queues @frame in the ring like netring_injector_send(), but when the ring
 * is full it kicks the kernel and waits, in the thread-default main context,
 * until a slot comes back instead of failing: any number of frames can be
 * passed without a retry loop. Frames are queued in the order of the calls.
 *
 * Like netring_injector_send(), this only queues the frame: call
 * netring_injector_flush() (or netring_injector_flush_async()) after a
 * burst, or netring_injector_wait_drained_async() at the end.
 *
 * Cancelling a waiting call removes its frame: it is never sent, and
 * the injector stays usable.
 */
void
netring_injector_send_async (NetringInjector    *self,
                             GBytes             *frame,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  SendOp *op;
  gconstpointer data;
  gsize length;

  g_return_if_fail (NETRING_IS_INJECTOR (self));
  g_return_if_fail (self->fd >= 0);
  g_return_if_fail (frame != NULL);
  g_return_if_fail (!self->ring.reserved);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  data = g_bytes_get_data (frame, &length);

  /* A call that completes at once (its frame fits in the ring now, or it
   * fails) gets a pooled result, returned together with the others of this
   * iteration and in call order; only calls that wait for a slot use a
   * GTask. */
  if (!injector_check_length (self, length, &error) ||
      g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      send_return_now (self, cancellable, callback, user_data, error);
      return;
    }
  if (g_queue_is_empty (&self->send_queue))
    {
      if (injector_put (self, data, length, &error))
        {
          send_return_now (self, cancellable, callback, user_data, NULL);
          return;
        }
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          send_return_now (self, cancellable, callback, user_data, error);
          return;
        }
      g_clear_error (&error);
    }

  task = g_task_new (self, cancellable, callback, user_data);
  /* no g_task_set_name(): GLib 2.74 copies the name for every task */
  g_task_set_source_tag (task, netring_injector_send_async);
  /* The result says what happened to the frame: a cancellation that comes
   * after it was queued must not turn a sent frame into an error. */
  g_task_set_check_cancellable (task, FALSE);

  /* Wait for a slot. injector_put() kicked the kernel when it found the
   * ring full, so the slots in flight will come back. */
  op = g_new0 (SendOp, 1);
  op->frame = g_bytes_ref (frame);
  g_task_set_task_data (task, op, send_op_free);
  if (cancellable != NULL)
    {
      op->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (op->cancel_source, G_SOURCE_FUNC (send_cancelled_cb), task, NULL);
      g_source_set_static_name (op->cancel_source, "NetringInjector send_async cancel");
      g_source_attach (op->cancel_source, g_task_get_context (task));
    }
  g_queue_push_tail (&self->send_queue, g_steal_pointer (&task));
  if (self->send_queue.length == 1)
    {
      self->send_backoff_ms = BACKOFF_MIN_MS;
      send_queue_arm (self, TRUE);
    }
}

/**
 * netring_injector_send_finish:
 * @self: a #NetringInjector
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_injector_send_async().
 *
 * Returns: %TRUE if the frame was queued in the ring; %FALSE with @error set
 *   (%G_IO_ERROR_CANCELLED: the frame was not sent)
 */
gboolean
netring_injector_send_finish (NetringInjector *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), FALSE);

  if (NETRING_IS_SEND_RESULT (result))
    {
      NetringSendResult *sent = NETRING_SEND_RESULT (result);

      if (sent->error != NULL)
        {
          g_propagate_error (error, g_error_copy (sent->error));
          return FALSE;
        }
      return TRUE;
    }
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == netring_injector_send_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * netring_injector_flush_async:
 * @self: a #NetringInjector
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the kernel has been kicked
 * @user_data: data for @callback
 *
 * Asynchronous form of netring_injector_flush(). The kick itself never
 * blocks; the result is reported through the thread-default main context.
 */
void
netring_injector_flush_async (NetringInjector    *self,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  gint queued;

  g_return_if_fail (NETRING_IS_INJECTOR (self));
  g_return_if_fail (self->fd >= 0);
  g_return_if_fail (!self->ring.reserved);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netring_injector_flush_async);
  g_task_set_name (task, "netring_injector_flush_async");
  g_task_set_check_cancellable (task, FALSE);
  if (g_task_return_error_if_cancelled (task))
    return;
  queued = netring_injector_flush (self, &error);
  if (queued < 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, queued);
}

/**
 * netring_injector_flush_finish:
 * @self: a #NetringInjector
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_injector_flush_async().
 *
 * Returns: the number of frames queued since the previous flush, or -1
 *   with @error set
 */
gint
netring_injector_flush_finish (NetringInjector *self, GAsyncResult *result, GError **error)
{
  gssize value;

  g_return_val_if_fail (NETRING_IS_INJECTOR (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == netring_injector_flush_async,
                        -1);

  value = g_task_propagate_int (G_TASK (result), error);
  return (gint) value;
}

/* ---- wait_drained ------------------------------------------------------- */

/* One step of draining: kick what is not kicked yet and count what came
 * back. Returns TRUE when nothing is pending; FALSE with @error unset to
 * keep waiting. */
static gboolean
drain_step (NetringInjector *self, guint *progress, GError **error)
{
  guint64 before = self->ring.done;

  if (!injector_kick (self, error))
    return FALSE;
  nr_tx_ring_update (&self->ring);
  if (progress != NULL)
    *progress = (guint) (self->ring.done - before);
  return nr_tx_ring_pending (&self->ring) == 0;
}

static gboolean
sleep_cancellable (GCancellable *cancellable, gint ms, GError **error)
{
  GPollFD pollfd;

  if (cancellable != NULL && g_cancellable_make_pollfd (cancellable, &pollfd))
    {
      g_poll (&pollfd, 1, ms); /* EINTR only shortens the sleep */
      g_cancellable_release_fd (cancellable);
    }
  else
    g_usleep ((gulong) ms * 1000);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static void
set_timed_out (NetringInjector *self, gint timeout_ms, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               _("%u frames were still queued on “%s” after %d ms"),
               nr_tx_ring_pending (&self->ring), self->interface, timeout_ms);
}

/**
 * netring_injector_wait_drained:
 * @self: a #NetringInjector
 * @timeout_ms: how long to wait at most, in milliseconds; -1 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Kicks the kernel if frames are queued that it was not told about, then
 * blocks until it has given back every slot (every queued frame left or
 * was rejected), at most @timeout_ms. Frames still waiting in
 * netring_injector_send_async() are not in the ring yet and are not waited
 * for: wait for their callbacks first.
 *
 * Returns: %TRUE when nothing is pending any more; %FALSE with @error set:
 *   %G_IO_ERROR_TIMED_OUT, %G_IO_ERROR_CANCELLED or a kernel error
 */
gboolean
netring_injector_wait_drained (NetringInjector *self,
                               gint             timeout_ms,
                               GCancellable    *cancellable,
                               GError         **error)
{
  gint64 deadline;
  gint backoff_ms = BACKOFF_MIN_MS;

  g_return_val_if_fail (NETRING_IS_INJECTOR (self), FALSE);
  g_return_val_if_fail (self->fd >= 0, FALSE);
  g_return_val_if_fail (!self->ring.reserved, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  for (;;)
    {
      GError *local_error = NULL;
      guint progress = 0;
      gint wait_ms = BACKOFF_MAX_MS * 4;
      int revents;

      if (drain_step (self, &progress, &local_error))
        return TRUE;
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (deadline >= 0)
        {
          gint64 left = deadline - g_get_monotonic_time ();
          if (left <= 0)
            {
              set_timed_out (self, timeout_ms, error);
              return FALSE;
            }
          wait_ms = (gint) MIN ((left + 999) / 1000, wait_ms);
        }

      /* POLLOUT only says the kernel's head slot is free (or the send
       * buffer less than half full), which is already true once everything
       * is kicked: it wakes us when slots come back while the ring is full,
       * otherwise the pending count is re-checked after a short sleep. */
      revents = netring_poll_fd (self->fd, POLLOUT, wait_ms, cancellable, error);
      if (revents < 0)
        return FALSE;
      if ((revents & (POLLERR | POLLHUP)) != 0 && injector_socket_error (self, error))
        return FALSE;
      if (revents != 0 && progress == 0)
        {
          if (!sleep_cancellable (cancellable, MIN (backoff_ms, wait_ms), error))
            return FALSE;
          backoff_ms = MIN (backoff_ms * 2, BACKOFF_MAX_MS);
        }
      else if (progress != 0)
        backoff_ms = BACKOFF_MIN_MS;
    }
}

typedef struct {
  GTask *task;              /* owned while waiting; NULL once returned */
  NetringInjector *self;
  gint timeout_ms;
  GSource *check_source;    /* POLLOUT or back-off timer */
  GSource *deadline_source; /* NULL without a time limit */
  GSource *cancel_source;   /* NULL without a cancellable */
  guint backoff_ms;
} DrainOp;

static void drain_op_arm (DrainOp *op, gboolean use_fd);

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* Exactly one return per task: every path goes through here, which
 * destroys the sources that could call back again. */
static void
drain_op_finish (DrainOp *op, GError *error)
{
  GTask *task = g_steal_pointer (&op->task);

  clear_source (&op->check_source);
  clear_source (&op->deadline_source);
  clear_source (&op->cancel_source);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task); /* frees op */
}

static void
drain_op_check (DrainOp *op, gboolean from_fd, GIOCondition condition)
{
  GError *error = NULL;
  guint progress = 0;

  if (from_fd && (condition & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) != 0 &&
      injector_socket_error (op->self, &error))
    {
      drain_op_finish (op, error);
      return;
    }
  if (drain_step (op->self, &progress, &error) || error != NULL)
    {
      drain_op_finish (op, error);
      return;
    }
  if (progress > 0)
    op->backoff_ms = BACKOFF_MIN_MS;
  drain_op_arm (op, progress > 0 || !from_fd);
}

static gboolean
drain_fd_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  drain_op_check (user_data, TRUE, condition);
  return G_SOURCE_CONTINUE; /* the source is replaced or destroyed by then */
}

static gboolean
drain_timer_cb (gpointer user_data)
{
  drain_op_check (user_data, FALSE, 0);
  return G_SOURCE_CONTINUE;
}

static gboolean
drain_deadline_cb (gpointer user_data)
{
  DrainOp *op = user_data;
  GError *error = NULL;
  guint progress;

  /* A last look, so frames that completed just now count. */
  if (drain_step (op->self, &progress, &error) || error != NULL)
    drain_op_finish (op, error);
  else
    {
      set_timed_out (op->self, op->timeout_ms, &error);
      drain_op_finish (op, error);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
drain_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  DrainOp *op = user_data;
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  drain_op_finish (op, error);
  return G_SOURCE_REMOVE;
}

static void
drain_op_arm (DrainOp *op, gboolean use_fd)
{
  GSource *source;

  clear_source (&op->check_source);
  if (use_fd)
    {
      source = g_unix_fd_source_new (op->self->fd, G_IO_OUT | G_IO_ERR | G_IO_HUP);
      g_source_set_callback (source, G_SOURCE_FUNC (drain_fd_cb), op, NULL);
    }
  else
    {
      source = g_timeout_source_new (op->backoff_ms);
      g_source_set_callback (source, drain_timer_cb, op, NULL);
      op->backoff_ms = MIN (op->backoff_ms * 2, BACKOFF_MAX_MS);
    }
  g_source_set_static_name (source, "NetringInjector wait_drained_async");
  g_source_set_priority (source, g_task_get_priority (op->task));
  g_source_attach (source, g_task_get_context (op->task));
  op->check_source = source;
}

static void
drain_op_free (gpointer data)
{
  DrainOp *op = data;

  clear_source (&op->check_source);
  clear_source (&op->deadline_source);
  clear_source (&op->cancel_source);
  g_free (op);
}

/**
 * netring_injector_wait_drained_async:
 * @self: a #NetringInjector
 * @timeout_ms: how long to wait at most, in milliseconds; -1 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when nothing is pending any more, or on
 *   time-out
 * @user_data: data for @callback
 *
 * Asynchronous form of netring_injector_wait_drained(): kicks the kernel if
 * needed, then waits in the thread-default main context.
 */
void
netring_injector_wait_drained_async (NetringInjector    *self,
                                     gint                timeout_ms,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  GTask *task;
  GError *error = NULL;
  DrainOp *op;

  g_return_if_fail (NETRING_IS_INJECTOR (self));
  g_return_if_fail (self->fd >= 0);
  g_return_if_fail (!self->ring.reserved);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netring_injector_wait_drained_async);
  g_task_set_name (task, "netring_injector_wait_drained_async");
  g_task_set_check_cancellable (task, FALSE);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  if (drain_step (self, NULL, &error) || error != NULL)
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  op = g_new0 (DrainOp, 1);
  op->task = task; /* the reference is the op's until drain_op_finish() */
  op->self = self; /* kept alive by the task */
  op->timeout_ms = timeout_ms;
  op->backoff_ms = BACKOFF_MIN_MS;
  g_task_set_task_data (task, op, drain_op_free);

  if (timeout_ms >= 0)
    {
      op->deadline_source = g_timeout_source_new ((guint) timeout_ms);
      g_source_set_callback (op->deadline_source, drain_deadline_cb, op, NULL);
      g_source_set_static_name (op->deadline_source, "NetringInjector wait_drained_async timeout");
      g_source_attach (op->deadline_source, g_task_get_context (task));
    }
  if (cancellable != NULL)
    {
      op->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (op->cancel_source, G_SOURCE_FUNC (drain_cancelled_cb), op, NULL);
      g_source_set_static_name (op->cancel_source, "NetringInjector wait_drained_async cancel");
      g_source_attach (op->cancel_source, g_task_get_context (task));
    }
  drain_op_arm (op, TRUE);
}

/**
 * netring_injector_wait_drained_finish:
 * @self: a #NetringInjector
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_injector_wait_drained_async().
 *
 * Returns: %TRUE when nothing is pending any more; %FALSE with @error set:
 *   %G_IO_ERROR_TIMED_OUT, %G_IO_ERROR_CANCELLED or a kernel error
 */
gboolean
netring_injector_wait_drained_finish (NetringInjector *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                          netring_injector_wait_drained_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * netring_injector_get_stats:
 * @self: a #NetringInjector
 *
 * Gets the injector's cumulative counters. Slots the kernel gave back since
 * the last call are counted first.
 *
 * Returns: (transfer full): the statistics; free with
 *   netring_injector_stats_free()
 */
NetringInjectorStats *
netring_injector_get_stats (NetringInjector *self)
{
  NetringInjectorStats *stats;

  g_return_val_if_fail (NETRING_IS_INJECTOR (self), NULL);

  if (self->fd >= 0)
    nr_tx_ring_update (&self->ring);
  stats = g_new0 (NetringInjectorStats, 1);
  stats->frames_queued = self->ring.frames_queued;
  stats->frames_sent = self->ring.frames_sent;
  stats->bytes_sent = self->ring.bytes_sent;
  stats->frames_rejected = self->ring.frames_rejected;
  stats->frames_refused = self->frames_refused;
  stats->frames_aborted = self->ring.frames_aborted;
  stats->kicks = self->kicks;
  stats->last_reject_errno = self->last_reject_errno;
  return stats;
}

/* ---- GObject ------------------------------------------------------------ */

static void
netring_injector_init (NetringInjector *self)
{
  self->fd = -1;
  self->frame_size = 2048;
  self->frame_count = 256;
  self->send_backoff_ms = BACKOFF_MIN_MS;
  g_queue_init (&self->send_queue);
  g_queue_init (&self->done_queue);
  g_queue_init (&self->result_pool);
}

static void
netring_injector_dispose (GObject *object)
{
  NetringInjector *self = NETRING_INJECTOR (object);
  NetringSendResult *result;
  GTask *task;

  /* Waiting tasks keep the injector alive, so there are none unless
   * g_object_run_dispose() was used. */
  send_wait_clear (self);
  /* Pending results hold a reference, so none is left here unless
   * g_object_run_dispose() was used: report them (their frames are already
   * in the ring, or they failed). */
  while ((result = g_queue_pop_head (&self->done_queue)) != NULL)
    {
      result->callback (G_OBJECT (self), G_ASYNC_RESULT (result), result->user_data);
      g_object_unref (result);
    }
  g_queue_clear_full (&self->result_pool, g_object_unref);
  if (self->done_source != NULL)
    {
      g_source_destroy (self->done_source);
      g_clear_pointer (&self->done_source, g_source_unref);
    }
  while ((task = g_queue_pop_head (&self->send_queue)) != NULL)
    {
      send_op_stop_waiting (task);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED,
                               _("The injector was disposed before the frame was queued"));
      g_object_unref (task);
    }

  /* An open reservation was never committed: give its slot back, or the
   * frames committed before it would never be kicked. */
  if (self->ring.reserved)
    nr_tx_ring_abort (&self->ring);
  /* Frames queued but never flushed would be lost with the socket: kick
   * them (best effort, bounded; frames already taken by the kernel are
   * sent whether or not the socket stays open). */
  if (self->fd >= 0 && nr_tx_ring_unkicked (&self->ring) > 0)
    {
      gint64 deadline = g_get_monotonic_time () + DISPOSE_FLUSH_MS * 1000;
      g_autoptr(GError) error = NULL;

      g_debug ("%s: disposing with %u frames never flushed; kicking them", self->interface,
               nr_tx_ring_unkicked (&self->ring));
      while (injector_kick (self, &error) && nr_tx_ring_unkicked (&self->ring) > 0 &&
             g_get_monotonic_time () < deadline)
        g_usleep (1000);
      if (nr_tx_ring_unkicked (&self->ring) > 0)
        g_debug ("%s: %u frames could not be handed to the kernel: %s", self->interface,
                 nr_tx_ring_unkicked (&self->ring),
                 error != NULL ? error->message : "the kernel did not take them in time");
    }

  G_OBJECT_CLASS (netring_injector_parent_class)->dispose (object);
}

static void
netring_injector_finalize (GObject *object)
{
  NetringInjector *self = NETRING_INJECTOR (object);

  if (self->map != NULL)
    munmap (self->map, self->map_length);
  if (self->fd >= 0)
    close (self->fd);
  g_free (self->interface);
  G_OBJECT_CLASS (netring_injector_parent_class)->finalize (object);
}

static void
netring_injector_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  NetringInjector *self = NETRING_INJECTOR (object);

  switch (prop_id)
    {
    case PROP_INTERFACE:
      g_value_set_string (value, self->interface);
      break;
    case PROP_FRAME_SIZE:
      g_value_set_uint (value, self->frame_size);
      break;
    case PROP_FRAME_COUNT:
      g_value_set_uint (value, self->frame_count);
      break;
    case PROP_QDISC_BYPASS:
      g_value_set_boolean (value, self->qdisc_bypass);
      break;
    case PROP_FRAME_CAPACITY:
      g_value_set_uint (value, netring_injector_get_frame_capacity (self));
      break;
    case PROP_PENDING:
      g_value_set_uint (value, netring_injector_get_pending (self));
      break;
    case PROP_AVAILABLE:
      g_value_set_uint (value, netring_injector_get_available (self));
      break;
    case PROP_FD:
      g_value_set_int (value, self->fd);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_injector_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  NetringInjector *self = NETRING_INJECTOR (object);

  switch (prop_id)
    {
    case PROP_INTERFACE:
      g_free (self->interface);
      self->interface = g_value_dup_string (value);
      break;
    case PROP_FRAME_SIZE:
      self->frame_size = g_value_get_uint (value);
      break;
    case PROP_FRAME_COUNT:
      self->frame_count = g_value_get_uint (value);
      break;
    case PROP_QDISC_BYPASS:
      self->qdisc_bypass = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_injector_class_init (NetringInjectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  netring_i18n_init ();

  object_class->dispose = netring_injector_dispose;
  object_class->finalize = netring_injector_finalize;
  object_class->get_property = netring_injector_get_property;
  object_class->set_property = netring_injector_set_property;

  /**
   * NetringInjector:interface: (getter get_interface)
   *
   * Name of the network interface to send on. Required.
   */
  properties[PROP_INTERFACE] = g_param_spec_string ("interface", NULL, NULL, NULL, construct);

  /**
   * NetringInjector:frame-size: (getter get_frame_size)
   *
   * Bytes per ring frame, the 48-byte ring header included: a multiple of
   * 16 between 80 and 131072. The longest frame that can be sent is
   * #NetringInjector:frame-capacity.
   */
  properties[PROP_FRAME_SIZE] =
    g_param_spec_uint ("frame-size", NULL, NULL, 0, G_MAXUINT, 2048, construct);

  /**
   * NetringInjector:frame-count: (getter get_frame_count)
   *
   * Number of frames in the ring, at least 1. It is rounded up so that the
   * ring's blocks are full (blocks are the page size, or the next power of
   * two above #NetringInjector:frame-size); after init this reads back the
   * count in the ring. The ring may not exceed 1 GiB.
   */
  properties[PROP_FRAME_COUNT] =
    g_param_spec_uint ("frame-count", NULL, NULL, 0, G_MAXUINT, 256, construct);

  /**
   * NetringInjector:qdisc-bypass:
   *
   * Hand frames straight to the driver, skipping the interface's queueing
   * discipline (PACKET_QDISC_BYPASS). Faster, but no traffic shaping
   * applies, and other packet sockets on the interface do not see the
   * frames.
   */
  properties[PROP_QDISC_BYPASS] =
    g_param_spec_boolean ("qdisc-bypass", NULL, NULL, FALSE, construct);

  /**
   * NetringInjector:frame-capacity: (getter get_frame_capacity)
   *
   * The longest frame a ring slot holds: #NetringInjector:frame-size minus
   * the 48-byte ring header.
   */
  properties[PROP_FRAME_CAPACITY] =
    g_param_spec_uint ("frame-capacity", NULL, NULL, 0, G_MAXUINT, 0, readable);

  /**
   * NetringInjector:pending: (getter get_pending)
   *
   * Frames queued that the kernel has not given back yet. Read on demand;
   * no change notification is emitted.
   */
  properties[PROP_PENDING] =
    g_param_spec_uint ("pending", NULL, NULL, 0, G_MAXUINT, 0, readable);

  /**
   * NetringInjector:available: (getter get_available)
   *
   * Ring slots free for new frames. Read on demand; no change notification
   * is emitted.
   */
  properties[PROP_AVAILABLE] =
    g_param_spec_uint ("available", NULL, NULL, 0, G_MAXUINT, 0, readable);

  /**
   * NetringInjector:fd: (getter get_fd)
   *
   * The socket's file descriptor, -1 before a successful init.
   */
  properties[PROP_FD] = g_param_spec_int ("fd", NULL, NULL, -1, G_MAXINT, -1, readable);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}
