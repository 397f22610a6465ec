/* netring-injector.c: AF_PACKET TX-ring injection. The kernel work is in
 * nr-afpacket.c (opening) and nr-tx-ring.c (slots, kick, length rule); the
 * sending modes are the shared NetringSender machinery
 * (netring-send-queue.c); this file orchestrates them. */
#include "netring-sender-private.h"
#include "netring-afpacket-private.h"

#include "nr-afpacket.h"
#include "nr-tx-ring.h"

#include <net/if_arp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/**
 * SECTION:netring-injector
 * @short_description: Zero-copy packet injection through a TX ring
 * @title: NetringInjector
 * @see_also: #NetringSender, #NetringInjectorStats, #NetringCapture
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
 * tx.close()
 * ]|
 *
 * An injector is a #NetringSender: the sending modes are described there,
 * and code that should work over every back end takes a #NetringSender.
 * The netring_injector_send() family are the same calls, typed for C
 * convenience; both can be mixed on one injector.
 *
 * - netring_injector_send() and netring_injector_send_bytes() copy a frame
 *   into the next ring slot; from C, netring_injector_reserve() and
 *   netring_injector_commit() let you build it in place instead. They never
 *   block: when the ring is full they kick the kernel once and, if that
 *   freed nothing yet, fail with %G_IO_ERROR_WOULD_BLOCK.
 * - netring_injector_flush() kicks the kernel to transmit everything queued.
 * - netring_injector_send_async() waits in the main context until a slot
 *   comes back; netring_injector_wait_drained() waits until the kernel gave
 *   every slot back.
 * - netring_injector_close() releases the socket and the ring at once.
 *
 * The kernel consumes the ring strictly in order, so slots are handed out
 * in order too: an aborted reservation leaves its slot to the next frame.
 * A frame longer than the interface's MTU plus its link-layer header (14
 * bytes on Ethernet, 4 more with an 802.1Q tag) is refused when it is sent,
 * with %NETRING_ERROR_INVALID_ARGUMENT naming its length and the MTU, and
 * counted in #NetringInjectorStats.frames_refused, like an empty frame or
 * one longer than #NetringInjector:frame-capacity. The MTU is read from the
 * socket when the injector is initialised, and read again before a frame is
 * refused, so a raised MTU is honoured. A frame the kernel still refuses
 * (the MTU was lowered since, or a link type whose header length the
 * library does not know) is counted in
 * #NetringInjectorStats.frames_rejected with the reason in
 * #NetringInjectorStats.last_reject_errno, and the frames queued after it
 * are still sent. Nothing is dropped without being counted.
 *
 * The socket is bound with protocol 0, so it never queues received traffic.
 *
 * Threads: an injector is used from one thread at a time; different
 * injectors may live in different threads.
 */

/* How long close (and dispose) keeps handing frames to the kernel when it
 * takes the queued frames only in parts (its send buffer is full). */
#define CLOSE_FLUSH_MS 200

struct _NetringInjector {
  GObject parent_instance;

  /* construct-only settings */
  gchar *interface;
  guint frame_size;
  guint frame_count; /* requested; after init, the count in the ring */
  gboolean qdisc_bypass;
  int adopt_fd;       /* #NetringInjector:fd as set: owned until init hands it over */

  NetringReadiness readiness;
  int ifindex;
  guint32 mtu;        /* of the interface, read through the socket */
  gint link_header;   /* its link-layer header length, -1 if unknown */
  guint16 link_type;  /* ARPHRD_* */
  NrTxSocket sock;
  NrTxRing ring;

  NetringSendQueue queue;
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
static void netring_injector_sender_iface_init (NetringSenderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetringInjector, netring_injector, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      netring_injector_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (NETRING_TYPE_SENDER,
                                                      netring_injector_sender_iface_init))

/* ---- the length rule ----------------------------------------------------- */

/* Reads the interface's MTU and link type through the socket (its own
 * namespace) and sets the ring's length rule from them. */
static gboolean
injector_read_link (NetringInjector *self)
{
  guint32 mtu;
  guint16 type;
  int err = nr_afpacket_link_query (self->sock.fd, self->interface, &mtu, &type);

  if (err != 0)
    {
      g_debug ("%s: cannot read the MTU (%s); only the kernel checks frame lengths",
               self->interface, g_strerror (-err));
      return FALSE;
    }
  self->mtu = mtu;
  self->link_type = type;
  self->link_header = nr_afpacket_link_header_length (type);
  nr_tx_ring_set_link (&self->ring, mtu, self->link_header, type == ARPHRD_ETHER);
  return TRUE;
}

/* The cold path of the length check: a frame the rule does not let
 * through. Returns TRUE when it may go after all (the MTU was raised since
 * it was read); otherwise counts the refusal, gives an open reservation
 * back and sets @error. */
static G_GNUC_NO_INLINE gboolean
injector_refuse (NetringInjector *self, NrTxLength verdict, const guint8 *data, gsize length,
                 GError **error)
{
  guint capacity = nr_tx_ring_capacity (&self->ring);

  if (verdict == NR_TX_LENGTH_OVER_LINK && injector_read_link (self))
    {
      verdict = nr_tx_ring_check_length (&self->ring, data, length);
      if (verdict == NR_TX_LENGTH_OK)
        return TRUE;
    }

  nr_tx_ring_refuse (&self->ring);
  switch (verdict)
    {
    case NR_TX_LENGTH_EMPTY:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("Cannot send an empty frame: a frame holds 1 to %u bytes"), capacity);
      break;
    case NR_TX_LENGTH_OVER_CAPACITY:
      /* TRANSLATORS: frame-capacity and frame-size are property names */
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("Cannot send a frame of %zu bytes: a ring frame holds at "
                     "most %u bytes (“frame-capacity”; raise “frame-size” for larger frames)"),
                   (size_t) length, capacity);
      break;
    default:
      if (self->ring.vlan_allowance > 0)
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                     /* TRANSLATORS: %s is an interface name; the kernel's rule:
                      * MTU + link-layer header, 4 bytes more with an 802.1Q tag */
                     _("Cannot send a frame of %zu bytes on “%s”: its MTU of %u bytes plus "
                       "the %d-byte link-layer header allow at most %u bytes (%u with an "
                       "802.1Q tag)"),
                     (size_t) length, self->interface, self->mtu, self->link_header,
                     self->ring.link_max, self->ring.link_max + self->ring.vlan_allowance);
      else
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                     /* TRANSLATORS: %s is an interface name */
                     _("Cannot send a frame of %zu bytes on “%s”: its MTU of %u bytes plus "
                       "the %d-byte link-layer header allow at most %u bytes"),
                     (size_t) length, self->interface, self->mtu, self->link_header,
                     self->ring.link_max);
      break;
    }
  return FALSE;
}

/* The per-frame check stays inline; a refusal is out of line. */
static inline gboolean
injector_check_length (NetringInjector *self, const guint8 *data, gsize length, GError **error)
{
  NrTxLength verdict = nr_tx_ring_check_length (&self->ring, data, length);

  if (G_LIKELY (verdict == NR_TX_LENGTH_OK))
    return TRUE;
  return injector_refuse (self, verdict, data, length, error);
}

/* ---- the sender's back end ------------------------------------------------ */

static gboolean
injector_kick (NetringInjector *self, GError **error)
{
  guint64 rejected = self->ring.frames_rejected;
  int err = nr_tx_ring_kick (&self->ring);

  if (G_UNLIKELY (self->ring.frames_rejected != rejected))
    g_debug ("%s: the kernel rejected a frame of %u bytes (%s); it is counted in "
             "frames-rejected and the frames after it are still sent",
             self->interface, self->ring.last_reject_length,
             g_strerror (self->ring.last_reject_errno));
  if (G_LIKELY (err == 0))
    return TRUE;
  netring_set_error_from_errno (error, -err, "sendto(PACKET_TX_RING)", NULL);
  return FALSE;
}

/* The next slot's data area, kicking the kernel once when the ring is full
 * (the kernel can only give slots back for frames it was told about). */
static guint8 *
injector_take_slot (NetringInjector *self, NetringSendStatus *status, GError **error)
{
  guint8 *data;

  /* The cursor slot is free as long as fewer than frame_count frames are
   * pending, whatever the kernel did since: look at what the kernel gave
   * back only when the ring looks full. */
  data = nr_tx_ring_reserve (&self->ring);
  if (G_LIKELY (data != NULL))
    return data;
  nr_tx_ring_update (&self->ring);
  data = nr_tx_ring_reserve (&self->ring);
  if (data != NULL)
    return data;

  if (nr_tx_ring_unkicked (&self->ring) > 0)
    {
      if (!injector_kick (self, error))
        {
          *status = NETRING_SEND_FAILED;
          return NULL;
        }
      data = nr_tx_ring_reserve (&self->ring);
      if (data != NULL)
        return data;
    }
  *status = NETRING_SEND_FULL;
  return NULL;
}

static NetringSendQueue *
injector_get_send_queue (NetringSender *sender)
{
  return &((NetringInjector *) sender)->queue;
}

static NetringSendStatus
injector_put (NetringSender *sender, const guint8 *data, gsize length, GError **error)
{
  NetringInjector *self = (NetringInjector *) sender;
  NetringSendStatus status;
  guint8 *slot;

  if (!injector_check_length (self, data, length, error))
    return NETRING_SEND_FAILED;
  slot = injector_take_slot (self, &status, error);
  if (G_UNLIKELY (slot == NULL))
    return status;
  memcpy (slot, data, length);
  nr_tx_ring_commit (&self->ring, (guint32) length);
  return NETRING_SEND_OK;
}

static guint8 *
injector_reserve (NetringSender *sender, gsize length, NetringSendStatus *status,
                  GError **error)
{
  NetringInjector *self = (NetringInjector *) sender;

  /* the frame is not written yet: an 802.1Q tag may still come */
  if (!injector_check_length (self, NULL, length, error))
    {
      *status = NETRING_SEND_FAILED;
      return NULL;
    }
  return injector_take_slot (self, status, error);
}

static gboolean
injector_commit (NetringSender *sender, gsize length, GError **error)
{
  NetringInjector *self = (NetringInjector *) sender;

  /* A refusal gives the slot back, AVAILABLE where it is: the next frame
   * takes it. Counted as refused, not as aborted. */
  if (!injector_check_length (self, nr_tx_ring_reserved_data (&self->ring), length, error))
    return FALSE;
  nr_tx_ring_commit (&self->ring, (guint32) length);
  return TRUE;
}

static void
injector_abort (NetringSender *sender)
{
  nr_tx_ring_abort (&((NetringInjector *) sender)->ring);
}

static gboolean
injector_kick_hook (NetringSender *sender, GError **error)
{
  return injector_kick ((NetringInjector *) sender, error);
}

static guint
injector_reap (NetringSender *sender)
{
  return nr_tx_ring_reap (&((NetringInjector *) sender)->ring);
}

static guint
injector_get_pending_hook (NetringSender *sender)
{
  NrTxRing *ring = &((NetringInjector *) sender)->ring;

  nr_tx_ring_update (ring);
  return nr_tx_ring_pending (ring);
}

static guint
injector_get_available_hook (NetringSender *sender)
{
  NrTxRing *ring = &((NetringInjector *) sender)->ring;

  nr_tx_ring_update (ring);
  return nr_tx_ring_available (ring);
}

static guint
injector_get_max_length (NetringSender *sender)
{
  return nr_tx_ring_max_length (&((NetringInjector *) sender)->ring);
}

static gint
injector_get_fd_hook (NetringSender *sender)
{
  return ((NetringInjector *) sender)->sock.fd;
}

/* A pending socket error (poll() reports POLLERR until it is read): the
 * interface went away. The same reader and message as a capture's. */
static gboolean
injector_take_error (NetringSender *sender, GError **error)
{
  NetringInjector *self = (NetringInjector *) sender;

  return netring_afpacket_check_socket_error (self->sock.fd, self->interface, self->ifindex,
                                              error);
}

static void
injector_close_backend (NetringSender *sender)
{
  NetringInjector *self = (NetringInjector *) sender;
  gint64 deadline = g_get_monotonic_time () + CLOSE_FLUSH_MS * 1000;
  const char *why = NULL;
  guint discarded;
  int err;

  /* Frames queued but never kicked would be lost with the socket: hand
   * them to the kernel, which transmits what it took after the close too.
   * When it takes them only in parts, wait for the kernel, for at most
   * CLOSE_FLUSH_MS in all: a kick that stopped at the full send buffer
   * (EAGAIN) waits for POLLOUT, which comes once completions have drained
   * half the buffer (see NR_TX_SNDBUF_PER_FRAME) and the next kick can take
   * more. A full device queue (ENOBUFS) sets no event on the socket, and
   * POLLOUT may already be set then: that wait is paced (1 ms, woken early
   * by an error on the socket) instead of a kick loop that spins. */
  for (;;)
    {
      guint64 enobufs = self->ring.kicks_enobufs;
      gboolean device_full;
      gint64 left;
      int revents;

      err = nr_tx_ring_kick (&self->ring);
      if (err != 0 || nr_tx_ring_unkicked (&self->ring) == 0)
        break;
      left = deadline - g_get_monotonic_time ();
      if (left <= 0)
        {
          why = "it did not take them in time";
          break;
        }
      device_full = self->ring.kicks_enobufs != enobufs;
      revents = netring_poll_fd (self->sock.fd, device_full ? 0 : POLLOUT,
                                 device_full ? 1 : (gint) ((left + 999) / 1000), NULL, NULL);
      if (revents < 0 || (revents & (POLLERR | POLLHUP | POLLNVAL)) != 0)
        {
          why = "the socket reported an error";
          break;
        }
    }
  discarded = nr_tx_ring_discard (&self->ring);
  if (discarded > 0)
    g_debug ("%s: closing with %u frames the kernel did not take (%s); counted in "
             "frames-discarded",
             self->interface, discarded, err != 0 ? g_strerror (-err) : why);
  nr_afpacket_tx_close (&self->sock);
}

static void
netring_injector_sender_iface_init (NetringSenderInterface *iface)
{
  iface->get_send_queue = injector_get_send_queue;
  iface->put = injector_put;
  iface->reserve = injector_reserve;
  iface->commit = injector_commit;
  iface->abort = injector_abort;
  iface->kick = injector_kick_hook;
  iface->reap = injector_reap;
  iface->get_pending = injector_get_pending_hook;
  iface->get_available = injector_get_available_hook;
  iface->get_max_length = injector_get_max_length;
  iface->get_fd = injector_get_fd_hook;
  iface->take_error = injector_take_error;
  iface->close = injector_close_backend;
}

/* ---- GInitable ---------------------------------------------------------- */

/* The rules come from nr-tx-ring.h, so that the checks, these messages and
 * the documentation cannot disagree. */
static gboolean
injector_validate (NetringInjector *self, NrTxGeometry *geometry, GError **error)
{
  long page = sysconf (_SC_PAGESIZE);
  guint64 ring_bytes;
  g_autofree char *ring_size = NULL;
  g_autofree char *ring = NULL;

  switch (nr_tx_ring_geometry_check (self->frame_size, self->frame_count,
                                     page > 0 ? (guint32) page : 4096, geometry))
    {
    case NR_TX_GEOMETRY_OK:
      break;
    case NR_TX_GEOMETRY_FRAME_SIZE:
      /* TRANSLATORS: “frame-size” is a property name */
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("The “frame-size” property is %u: it must be a multiple of %u between %u "
                     "and %u bytes (each frame starts with a %u-byte ring header)"),
                   self->frame_size, NR_TX_FRAME_ALIGNMENT, NR_TX_MIN_FRAME_SIZE,
                   NR_TX_MAX_FRAME_SIZE, (guint) NR_TX_DATA_OFFSET);
      return FALSE;
    case NR_TX_GEOMETRY_FRAME_COUNT:
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("The “frame-count” property is 0: the ring needs at least one "
                             "frame"));
      return FALSE;
    case NR_TX_GEOMETRY_TOO_LARGE:
    default:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("The TX ring of %u frames of %u bytes is too large: “frame-count” × "
                     "“frame-size” must not exceed %u MiB"),
                   self->frame_count, self->frame_size, NR_TX_MAX_RING_BYTES >> 20);
      return FALSE;
    }

  ring_bytes = nr_tx_geometry_bytes (geometry);
  ring_size = g_format_size_full (ring_bytes, G_FORMAT_SIZE_IEC_UNITS);
  /* TRANSLATORS: a TX ring's size, e.g. "“frame-count” 512 × “frame-size” 131072, rounded
   * up to whole blocks: 64.0 MiB" */
  ring = g_strdup_printf (_("“frame-count” %u × “frame-size” %u, rounded up to whole "
                            "blocks: %s"),
                          self->frame_count, self->frame_size, ring_size);
  return netring_check_ring_memory (ring_bytes, ring, "frame-count", "frame-size", error);
}

static gboolean
injector_open (NetringInjector *self, GError **error)
{
  NrTxGeometry geometry;
  NrTxOpenParams params;
  NrAfpacketFailure failure;

  /* closed before init: the readiness's own error */
  if (self->readiness.closed)
    return netring_readiness_check (&self->readiness, "NetringInjector", error);

  /* Interface first, so "no such interface" is reported even without
   * privileges. */
  self->ifindex = netring_interface_index (self->interface, error);
  if (self->ifindex == 0)
    return FALSE;
  if (!injector_validate (self, &geometry, error))
    return FALSE;
  if (self->adopt_fd >= 0 &&
      !netring_afpacket_check_adopted_fd (self->adopt_fd, "NetringInjector", error))
    return FALSE;

  memset (&params, 0, sizeof params);
  /* a socket opened by a privileged process: every step after socket()
   * needs no capability (nr_afpacket_tx_open () owns it from here on) */
  params.adopt_fd = self->adopt_fd;
  self->adopt_fd = -1;
  params.ifindex = self->ifindex;
  params.frame_size = self->frame_size;
  params.block_size = geometry.block_size;
  params.block_count = geometry.block_count;
  params.frame_count = geometry.frame_count;
  params.qdisc_bypass = self->qdisc_bypass;
  if (nr_afpacket_tx_open (&params, &self->sock, &failure) != 0)
    {
      netring_set_error_from_failure (error, &failure);
      return FALSE;
    }
  if (!self->sock.sndbuf_set)
    g_debug ("%s: could not size the send buffer", self->interface);

  nr_tx_ring_init (&self->ring, self->sock.map, self->frame_size, &geometry);
  nr_tx_ring_set_socket (&self->ring, self->sock.fd, NULL, NULL);
  injector_read_link (self);
  self->frame_count = geometry.frame_count;
  g_debug ("%s: TX ring of %u frames of %u bytes in %u blocks of %u bytes (%s); MTU %u, "
           "longest frame %u",
           self->interface, geometry.frame_count, self->frame_size, geometry.block_count,
           geometry.block_size, self->sock.locked ? "locked" : "not locked", self->mtu,
           nr_tx_ring_max_length (&self->ring));
  return TRUE;
}

static void
injector_close_adopted (NetringInjector *self)
{
  if (self->adopt_fd >= 0)
    close (self->adopt_fd);
  self->adopt_fd = -1;
}

static gboolean
netring_injector_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  NetringInjector *self = NETRING_INJECTOR (initable);
  GError *local_error = NULL;
  gboolean result;

  /* init is idempotent: a second call gives the first one's outcome */
  if (!netring_readiness_init_begin (&self->readiness, &result, error))
    return result;
  injector_open (self, &local_error);
  /* an adopted socket init did not take over is closed all the same */
  injector_close_adopted (self);
  result = netring_readiness_init_done (&self->readiness, local_error);
  if (local_error != NULL)
    g_propagate_error (error, local_error);
  return result;
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
 * netring_injector_new_from_fd:
 * @interface: name of the network interface to send on
 * @fd: an AF_PACKET socket of type SOCK_RAW opened elsewhere, with no ring
 * @error: return location for a #GError
 *
 * Opens an injector on @interface with the default settings over @fd, a
 * socket that a privileged process opened (see
 * netring_helper_request_injector_fd()): the calling process needs no
 * capability. The injector takes @fd over in every case and closes it,
 * also when it fails. See #NetringInjector:fd for the rules @fd must
 * follow; set that property with g_initable_new() for other settings.
 *
 * Returns: (transfer full): a new injector, or %NULL with @error set
 */
NetringInjector *
netring_injector_new_from_fd (const gchar *interface, gint fd, GError **error)
{
  g_return_val_if_fail (interface != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (NETRING_TYPE_INJECTOR, NULL, error, "interface", interface, "fd", fd,
                         NULL);
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
 * Gets the socket, for example to poll it for `POLLOUT` in your own loop;
 * the same as netring_sender_get_fd(). Do not read from, write to or close
 * it.
 *
 * Returns: the file descriptor, or -1 before a successful init and after
 *   netring_injector_close()
 */
gint
netring_injector_get_fd (NetringInjector *self)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), -1);
  return netring_send_queue_get_fd (&self->queue);
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
 * header. The interface's MTU may allow less: netring_sender_get_max_length()
 * tells the longest frame the injector accepts.
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
 * Gets the #NetringInjector:pending property; the same as
 * netring_sender_get_pending().
 *
 * Returns: the number of pending frames
 */
guint
netring_injector_get_pending (NetringInjector *self)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), 0);
  return netring_send_queue_get_pending (&self->queue);
}

/**
 * netring_injector_get_available:
 * @self: a #NetringInjector
 *
 * Gets the #NetringInjector:available property; the same as
 * netring_sender_get_available().
 *
 * Returns: the number of free slots
 */
guint
netring_injector_get_available (NetringInjector *self)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), 0);
  return netring_send_queue_get_available (&self->queue);
}

/**
 * netring_injector_reserve: (skip)
 * @self: a #NetringInjector
 * @length: the length of the frame that will be written, in bytes
 * @error: return location for a #GError
 *
 * Hands out the next ring slot so that a frame can be built in place; the
 * same as netring_sender_reserve().
 *
 * Returns: (nullable): where to write the frame, or %NULL with @error set
 */
guint8 *
netring_injector_reserve (NetringInjector *self, gsize length, GError **error)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return netring_send_queue_reserve (&self->queue, length, error);
}

/**
 * netring_injector_commit: (skip)
 * @self: a #NetringInjector
 * @length: the number of bytes written at the reserved slot
 * @error: return location for a #GError
 *
 * Queues the frame written into the reserved slot; the same as
 * netring_sender_commit().
 *
 * Returns: %TRUE if the frame was queued
 */
gboolean
netring_injector_commit (NetringInjector *self, gsize length, GError **error)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return netring_send_queue_commit (&self->queue, length, error);
}

/**
 * netring_injector_abort: (skip)
 * @self: a #NetringInjector
 *
 * Gives the reserved slot back; the same as netring_sender_abort().
 * Counted in #NetringInjectorStats.frames_aborted.
 */
void
netring_injector_abort (NetringInjector *self)
{
  g_return_if_fail (NETRING_IS_INJECTOR (self));
  netring_send_queue_abort (&self->queue);
}

/**
 * netring_injector_send:
 * @self: a #NetringInjector
 * @data: (array length=length): the frame, from the link-layer header on
 * @length: the length of @data in bytes
 * @error: return location for a #GError
 *
 * Copies a frame into the next ring slot and queues it; the same as
 * netring_sender_send(). Never blocks: %G_IO_ERROR_WOULD_BLOCK when the
 * ring is full or earlier netring_injector_send_async() calls wait;
 * %NETRING_ERROR_INVALID_ARGUMENT (counted in
 * #NetringInjectorStats.frames_refused) for an empty frame, one longer than
 * #NetringInjector:frame-capacity or longer than the interface's MTU allows.
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
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return netring_send_queue_send (&self->queue, data, length, error);
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
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return netring_send_queue_send_bytes (&self->queue, frame, error);
}

/**
 * netring_injector_flush:
 * @self: a #NetringInjector
 * @error: return location for a #GError
 *
 * Kicks the kernel to transmit every queued frame, without waiting for the
 * transmission; the same as netring_sender_flush().
 *
 * Returns: the number of frames queued since the previous flush, or -1
 *   with @error set
 */
gint
netring_injector_flush (NetringInjector *self, GError **error)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);
  return netring_send_queue_flush (&self->queue, error);
}

/**
 * netring_injector_send_async:
 * @self: a #NetringInjector
 * @frame: the frame, from the link-layer header on
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (nullable): called when the frame is queued, or
 *   the call failed
 * @user_data: data for @callback
 *
 * Queues @frame, waiting in the thread-default main context for a slot when
 * the ring is full; the same as netring_sender_send_async(). Finish with
 * netring_injector_send_finish() or netring_sender_send_finish().
 */
void
netring_injector_send_async (NetringInjector    *self,
                             GBytes             *frame,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_return_if_fail (NETRING_IS_INJECTOR (self));
  g_return_if_fail (frame != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  netring_send_queue_send_async (&self->queue, frame, cancellable, callback, user_data,
                                 netring_injector_send_async);
}

/**
 * netring_injector_send_finish:
 * @self: a #NetringInjector
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_injector_send_async() (or netring_sender_send_async()
 * on this injector).
 *
 * Returns: %TRUE if the frame was queued in the ring; %FALSE with @error set
 *   (%G_IO_ERROR_CANCELLED or %G_IO_ERROR_CLOSED: the frame was not sent)
 */
gboolean
netring_injector_send_finish (NetringInjector *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return netring_send_queue_send_finish (&self->queue, result, error);
}

/**
 * netring_injector_flush_async:
 * @self: a #NetringInjector
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the kernel has been kicked
 * @user_data: data for @callback
 *
 * Asynchronous form of netring_injector_flush(); the same as
 * netring_sender_flush_async().
 */
void
netring_injector_flush_async (NetringInjector    *self,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_return_if_fail (NETRING_IS_INJECTOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  netring_send_queue_flush_async (&self->queue, cancellable, callback, user_data,
                                  netring_injector_flush_async);
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
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);
  return netring_send_queue_flush_finish (&self->queue, result, error);
}

/**
 * netring_injector_wait_drained:
 * @self: a #NetringInjector
 * @timeout_ms: how long to wait at most, in milliseconds; -1 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Kicks the kernel and blocks until it gave every slot back, at most
 * @timeout_ms; the same as netring_sender_wait_drained().
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
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return netring_send_queue_wait_drained (&self->queue, timeout_ms, cancellable, error);
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
 * Asynchronous form of netring_injector_wait_drained(); the same as
 * netring_sender_wait_drained_async().
 */
void
netring_injector_wait_drained_async (NetringInjector    *self,
                                     gint                timeout_ms,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_return_if_fail (NETRING_IS_INJECTOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  netring_send_queue_wait_drained_async (&self->queue, timeout_ms, cancellable, callback,
                                         user_data, netring_injector_wait_drained_async);
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
 *   %G_IO_ERROR_TIMED_OUT, %G_IO_ERROR_CANCELLED, %G_IO_ERROR_CLOSED or a
 *   kernel error
 */
gboolean
netring_injector_wait_drained_finish (NetringInjector *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return netring_send_queue_wait_drained_finish (&self->queue, result, error);
}

/**
 * netring_injector_close:
 * @self: a #NetringInjector
 * @error: return location for a #GError
 *
 * Hands the queued frames to the kernel, unmaps the ring and closes the
 * socket at once; the same as netring_sender_close(), which says what
 * happens to reservations, waiting calls and frames the kernel does not
 * take. Statistics stay readable.
 *
 * Returns: %TRUE
 */
gboolean
netring_injector_close (NetringInjector *self, GError **error)
{
  g_return_val_if_fail (NETRING_IS_INJECTOR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  netring_send_queue_close (&self->queue);
  return TRUE;
}

/**
 * netring_injector_get_stats:
 * @self: a #NetringInjector
 *
 * Gets the injector's cumulative counters; reading them changes nothing.
 * Slots the kernel gave back since the last look are counted first. Also
 * after netring_injector_close(), which leaves the final counts.
 *
 * Returns: (transfer full): the statistics; free with
 *   netring_injector_stats_free()
 */
NetringInjectorStats *
netring_injector_get_stats (NetringInjector *self)
{
  NetringInjectorStats *stats;
  const NrTxRing *ring;

  g_return_val_if_fail (NETRING_IS_INJECTOR (self), NULL);

  if (netring_readiness_ready (&self->readiness))
    nr_tx_ring_update (&self->ring);
  ring = &self->ring;
  stats = g_new0 (NetringInjectorStats, 1);
  stats->frames_queued = ring->frames_queued;
  stats->frames_sent = ring->frames_sent;
  stats->bytes_sent = ring->bytes_sent;
  stats->frames_rejected = ring->frames_rejected;
  stats->frames_refused = ring->frames_refused;
  stats->frames_aborted = ring->frames_aborted;
  stats->frames_discarded = ring->frames_discarded;
  stats->kicks = ring->kicks;
  stats->send_buffer_full = ring->kicks_eagain;
  stats->device_queue_full = ring->kicks_enobufs;
  stats->last_reject_errno = ring->last_reject_errno;
  return stats;
}

/* ---- GObject ------------------------------------------------------------ */

static void
netring_injector_init (NetringInjector *self)
{
  static const NetringSendTags tags = {
    .send_async = (gpointer) netring_injector_send_async,
    .flush_async = (gpointer) netring_injector_flush_async,
    .wait_drained_async = (gpointer) netring_injector_wait_drained_async,
  };

  self->frame_size = 2048;
  self->frame_count = 256;
  self->link_header = -1;
  self->adopt_fd = -1;
  self->sock.fd = -1;
  netring_send_queue_init (&self->queue, (NetringSender *) self, &self->readiness,
                           "NetringInjector", &tags);
}

static void
netring_injector_dispose (GObject *object)
{
  NetringInjector *self = NETRING_INJECTOR (object);

  /* Outstanding calls hold a reference, so none is left here unless
   * g_object_run_dispose() was used. Frames queued but never flushed still
   * go out: close hands them to the kernel. */
  netring_send_queue_close (&self->queue);

  G_OBJECT_CLASS (netring_injector_parent_class)->dispose (object);
}

static void
netring_injector_finalize (GObject *object)
{
  NetringInjector *self = NETRING_INJECTOR (object);

  netring_send_queue_clear (&self->queue);
  nr_afpacket_tx_close (&self->sock);
  injector_close_adopted (self);
  netring_readiness_clear (&self->readiness);
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
      g_value_set_int (value, netring_injector_get_fd (self));
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
    case PROP_FD:
      self->adopt_fd = g_value_get_int (value);
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
   * 16 between 80 and 131072 (80 is the kernel's 68-byte TPACKET_V3 header
   * rounded up to 16). The longest frame that can be sent is
   * #NetringInjector:frame-capacity, and no more than the interface's MTU
   * allows.
   */
  properties[PROP_FRAME_SIZE] =
    g_param_spec_uint ("frame-size", NULL, NULL, 0, G_MAXUINT, 2048, construct);

  /**
   * NetringInjector:frame-count: (getter get_frame_count)
   *
   * Number of frames in the ring, at least 1. It is rounded up so that the
   * ring's blocks are full (blocks are the page size, or the next power of
   * two above #NetringInjector:frame-size); after init this reads back the
   * count in the ring. The ring may not exceed 1 GiB, nor the memory the
   * machine (or the process's memory cgroup) has available.
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
   * The socket's file descriptor, -1 before a successful init and after
   * close.
   *
   * Set at construction, it is a socket opened elsewhere that the injector
   * adopts instead of opening its own, so that the process needs no
   * capability at all: a privileged helper (`netring-helper`, see
   * netring_helper_request_injector_fd()) opens it and passes it over a
   * Unix socket. It must be an AF_PACKET socket of type SOCK_RAW with no
   * ring (init refuses anything else with
   * %NETRING_ERROR_INVALID_CONFIGURATION naming what it is); init sets up
   * the TX ring and binds it to #NetringInjector:interface like a socket of
   * its own. The injector owns it from construction on and closes it in
   * every case, also when init fails. -1 (the default) opens a socket,
   * which needs `CAP_NET_RAW`.
   */
  properties[PROP_FD] = g_param_spec_int ("fd", NULL, NULL, -1, G_MAXINT, -1, construct);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}
