/* netring-xdp-socket.c: AF_XDP sockets through libxdp */
#include "netring-sender-private.h"
#include "netring-afpacket-private.h"
#include "netring-xsk-rx-private.h"

#include "nr-afpacket.h"
#include "nr-iface.h"
#include "nr-xdp-prog.h"
#include "nr-xsk.h"

#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/**
 * SECTION:netring-xdp-socket
 * @short_description: Kernel-bypass packet I/O through an AF_XDP socket
 * @title: NetringXdpSocket
 * @see_also: #NetringXdpStats, #NetringReceiver, #NetringSender, #NetringCapture,
 *   #NetringInjector
 *
 * A #NetringXdpSocket receives and sends raw link-layer frames on one queue
 * of a network interface through an AF_XDP socket: an XDP program in the
 * driver (or in the kernel's generic receive path) redirects the queue's
 * frames into memory shared with the application (the UMEM), and frames to
 * send are written there too, so neither direction copies a frame through
 * the kernel's socket layers.
 *
 * Reception works out of the box: the socket puts libxdp's redirect program
 * on the interface itself when none runs there, shares it with the other
 * AF_XDP sockets of the interface (of this process or any other that uses
 * libxdp) when it does, and takes it away when the last of them closes. A
 * program somebody else attached is never touched: the socket then fails
 * with %NETRING_ERROR_XDP_PROGRAM naming that program, unless
 * #NetringXdpSocket:program is %NETRING_XDP_PROGRAM_NONE and the
 * application adds the socket to its own program's `XSKMAP`
 * (netring_xdp_socket_add_to_xskmap()).
 *
 * Every setting is a construct-only property checked by g_initable_init();
 * netring_xdp_socket_new() is the short form for the defaults:
 * |[<!-- language="Python" -->
 * xsk = Netring.XdpSocket(interface="eth0", queue_id=0, mode=Netring.XdpMode.RX)
 * xsk.init(None)
 * print(xsk.props.active_attach_mode, xsk.props.zero_copy)
 * ]|
 *
 * The UMEM is #NetringXdpSocket:frame-count chunks of
 * #NetringXdpSocket:frame-size bytes, split by #NetringXdpSocket:mode into
 * a pool that receives and a pool that sends; the two never take from each
 * other. A chunk receives at most #NetringXdpSocket:frame-size − 256 bytes
 * (the kernel keeps 256 bytes of headroom in front of a received frame) and
 * sends at most #NetringXdpSocket:frame-size bytes.
 *
 * A socket that receives (#NetringXdpSocket:mode rx or rx-tx) is a
 * #NetringReceiver, with the same batches, packets, signals, sources and
 * async calls as a #NetringCapture, so code written for a capture works for
 * an XDP socket:
 * |[<!-- language="C" -->
 * g_autoptr(NetringBatch) batch =
 *   netring_receiver_next_batch_timeout (NETRING_RECEIVER (xsk), 1000, NULL, &error);
 * NetringBatchIter iter;
 * const guint8 *data;
 * guint32 length;
 *
 * netring_batch_iter_init (&iter, batch);
 * while ((data = netring_batch_iter_next_data (&iter, &length, NULL)) != NULL)
 *   …
 * ]|
 * |[<!-- language="Python" -->
 * xsk.connect("batch", lambda receiver, batch: print(batch.get_n_packets()))
 * xsk.start()
 * ]|
 * A batch is the frames that were waiting in the RX ring when it was taken
 * (at most a quarter of the receive pool), zero-copy: its packets point into
 * the UMEM, and its frames go back to the kernel when its last reference
 * goes, from any thread. A consumer that keeps batches keeps frames from
 * the kernel, which then drops what arrives (#NetringReceiverStats.drops).
 * AF_XDP tells no receive time: a packet's timestamp is when its batch was
 * taken. The kernel wakes a waiting receiver for every few frames, and a
 * wake-up costs far more than a frame; #NetringXdpSocket:rx-coalesce-us
 * trades a little latency for many frames per wake-up. netring_receiver_close()
 * (and netring_xdp_socket_close()) gives the socket, its queue and the
 * program back at once; batches still held stay readable and keep the UMEM
 * until they are released.
 *
 * A socket that sends (#NetringXdpSocket:mode tx or rx-tx) is a
 * #NetringSender: netring_sender_send(), netring_sender_send_async(),
 * netring_sender_flush() and netring_sender_wait_drained() work as they do
 * on a #NetringInjector, so code written for one works for the other:
 * |[<!-- language="C" -->
 * NetringSender *sender = NETRING_SENDER (xsk);
 *
 * if (!netring_sender_send (sender, frame, length, &error))
 *   …
 * netring_sender_flush (sender, &error);
 * ]|
 * A frame is copied into a frame of the send pool and queued in the TX
 * ring; a flush hands the whole ring to the kernel, however many frames it
 * holds (in copy mode the kernel sends at most 32 per system call, so the
 * flush calls it again until everything is taken). A frame longer than
 * the interface's MTU plus its link-layer header (4 bytes more with an
 * 802.1Q tag) or than #NetringXdpSocket:frame-size is refused with
 * %NETRING_ERROR_INVALID_ARGUMENT and counted in #NetringXdpStats.rejected:
 * a device would drop it without a trace. The MTU is read when the socket
 * opens and again before a frame is refused, so a raised MTU is honoured;
 * a lowered one is not seen until then. Closing the socket first hands
 * what is queued to the kernel (for at most 200 ms when it takes it only
 * in parts); what it did not take is counted in #NetringXdpStats.discarded.
 *
 * What the socket got is read back from the kernel, never assumed:
 * #NetringXdpSocket:active-attach-mode (native or generic),
 * #NetringXdpSocket:zero-copy, #NetringXdpSocket:program-id.
 *
 * A socket serves one queue. An interface with several receive queues
 * spreads its traffic over them, so receiving everything takes one socket
 * per queue: netring_xdp_socket_open_all_queues() opens them.
 *
 * netring_xdp_socket_close() releases the socket, the queue and (for the
 * last socket of the interface) the redirect program at once; a closed
 * socket still answers netring_xdp_socket_get_stats() with its final
 * counters.
 *
 * Threads: a socket is used from one thread at a time; different sockets
 * may live in different threads. Opening a socket may block for up to two
 * seconds when its queue was released by a socket closed a moment before
 * (the kernel frees a queue asynchronously).
 */

/* SO_BUSY_POLL_BUDGET when busy polling: the NAPI budget of one poll
 * (NAPI_POLL_WEIGHT), so one busy-poll round can bring a whole batch. */
#define BUSY_POLL_BUDGET 64

struct _NetringXdpSocket {
  GObject parent_instance;

  /* construct-only settings */
  gchar *interface;
  guint queue_id;
  guint frame_size;
  guint frame_count;
  NetringXdpMode mode;
  NetringXdpAttachMode attach_mode;
  NetringXdpBindMode bind_mode;
  gboolean need_wakeup;
  guint busy_poll_us;
  gboolean promiscuous;
  NetringXdpProgram program;
  /* #NetringXdpSocket:fd and :umem-fd as set: owned from construction
   * until init adopts them (-1: not given, or adopted) */
  int adopt_fd;
  int adopt_umem_fd;

  NetringReadiness readiness;

  /* the receive side as a batch producer; it owns the kernel floor's
   * socket (UMEM, pools, rings), which stays until its batches are
   * released; NULL before init and after close */
  NetringXskRx *rx;
  /* the floor's socket (owned by rx); NULL before init and after close */
  NrXsk *xsk;
  gint recheck_ms;   /* from the last look at the RX ring */
  guint rx_coalesce_us;
  /* an AF_PACKET socket (protocol 0, never bound: it receives nothing)
   * that holds the promiscuous membership; the kernel drops it with the
   * socket, also when the process dies */
  NrRxSocket promisc;

  /* what the socket got; kept after close */
  NetringXdpAttachMode active_attach_mode;
  gboolean zero_copy;
  guint program_id;
  guint rx_frame_count;
  guint tx_frame_count;

  /* the counters when the socket was closed */
  NetringXdpStats *final_stats;

  /* sending (NetringSender) */
  int ifindex;
  guint32 mtu;          /* of the interface, read through the socket */
  gint link_header;     /* its link-layer header length, -1 if unknown */
  guint64 reserved_addr; /* the frame of an open reservation */
  NetringSendQueue queue;
};

enum {
  PROP_0,
  PROP_INTERFACE,
  PROP_QUEUE_ID,
  PROP_FRAME_SIZE,
  PROP_FRAME_COUNT,
  PROP_MODE,
  PROP_ATTACH_MODE,
  PROP_BIND_MODE,
  PROP_NEED_WAKEUP,
  PROP_BUSY_POLL_US,
  PROP_PROMISCUOUS,
  PROP_PROGRAM,
  PROP_ACTIVE_ATTACH_MODE,
  PROP_ZERO_COPY,
  PROP_PROGRAM_ID,
  PROP_RX_FRAME_COUNT,
  PROP_TX_FRAME_COUNT,
  PROP_FD,
  PROP_UMEM_FD,
  PROP_RX_COALESCE_US,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void netring_xdp_socket_initable_iface_init (GInitableIface *iface);
static void netring_xdp_socket_sender_iface_init (NetringSenderInterface *iface);
static void netring_xdp_socket_receiver_iface_init (NetringReceiverInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetringXdpSocket, netring_xdp_socket, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      netring_xdp_socket_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (NETRING_TYPE_SENDER,
                                                      netring_xdp_socket_sender_iface_init)
                               G_IMPLEMENT_INTERFACE (NETRING_TYPE_RECEIVER,
                                                      netring_xdp_socket_receiver_iface_init))

static gboolean
xdp_check_ready (NetringXdpSocket *self, GError **error)
{
  return netring_readiness_check (&self->readiness, "NetringXdpSocket", error);
}

static const char *
enum_nick (GType type, gint value)
{
  GEnumClass *klass = g_type_class_ref (type);
  GEnumValue *found = g_enum_get_value (klass, value);
  const char *nick = found != NULL ? found->value_nick : "?";

  /* the enum classes of the library stay alive for the process (the
   * properties hold them), so the nick outlives this reference */
  g_type_class_unref (klass);
  return nick;
}

/* ---- validation ----------------------------------------------------------- */

static gboolean
is_power_of_two (guint v)
{
  return v != 0 && (v & (v - 1)) == 0;
}

/* Every rule of the settings, before anything touches the system; the
 * floor checks the same rules again (nr_xsk_config_check()). */
static gboolean
xdp_validate (NetringXdpSocket *self, GError **error)
{
  long page_size = sysconf (_SC_PAGESIZE);
  guint64 umem_bytes;

  if (page_size <= 0)
    page_size = 4096;
  if (self->interface == NULL || self->interface[0] == '\0')
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("The “interface” property is required: set it to the name "
                             "of a network interface"));
      return FALSE;
    }
  if (!is_power_of_two (self->frame_size) || self->frame_size < NR_XSK_MIN_FRAME_SIZE ||
      self->frame_size > (guint) page_size)
    {
      /* TRANSLATORS: “frame-size” is a property name; the last number is
       * the page size */
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “frame-size” %u: it must be a power of two from %u to the page "
                     "size (%ld), the chunk sizes the kernel accepts for a UMEM"),
                   self->frame_size, NR_XSK_MIN_FRAME_SIZE, page_size);
      return FALSE;
    }
  if ((guint) self->mode > NETRING_XDP_MODE_RX_TX)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “mode” %d: use a NetringXdpMode value"), self->mode);
      return FALSE;
    }
  if (self->frame_count == 0)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("Invalid “frame-count” 0: the UMEM needs at least one frame"));
      return FALSE;
    }
  if (self->mode == NETRING_XDP_MODE_RX_TX && self->frame_count < 2)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “frame-count” %u: mode rx-tx splits the frames into a receive "
                     "and a send pool and needs at least 2"),
                   self->frame_count);
      return FALSE;
    }
  umem_bytes = (guint64) self->frame_size * self->frame_count;
  if (umem_bytes > NR_XSK_MAX_UMEM_BYTES)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “frame-count” %u: “frame-count” × “frame-size” is %" PRIu64
                     " bytes, and the UMEM (locked memory) may not exceed 4 GiB (%" PRIu64
                     " bytes)"),
                   self->frame_count, (uint64_t) umem_bytes, (uint64_t) NR_XSK_MAX_UMEM_BYTES);
      return FALSE;
    }
  if ((guint) self->attach_mode >= NETRING_XDP_ATTACH_MODE_NONE)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “attach-mode” %s: ask for auto, native or generic (none is only "
                     "read back; for no program of the socket, set “program” to none)"),
                   enum_nick (NETRING_TYPE_XDP_ATTACH_MODE, self->attach_mode));
      return FALSE;
    }
  if ((guint) self->bind_mode > NETRING_XDP_BIND_MODE_ZERO_COPY)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “bind-mode” %d: use a NetringXdpBindMode value"), self->bind_mode);
      return FALSE;
    }
  if ((guint) self->program > NETRING_XDP_PROGRAM_NONE)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “program” %d: use a NetringXdpProgram value"), self->program);
      return FALSE;
    }
  if (self->busy_poll_us > G_MAXINT)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “busy-poll-us” %u: it must be at most %d"), self->busy_poll_us,
                   G_MAXINT);
      return FALSE;
    }
  if (self->promiscuous && self->mode == NETRING_XDP_MODE_TX)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("“promiscuous” is for receiving sockets: a socket in mode tx "
                             "receives nothing"));
      return FALSE;
    }
  return TRUE;
}

static void
xdp_config_from_settings (NetringXdpSocket *self, NrXskConfig *config)
{
  nr_xsk_config_init (config);
  config->frame_size = self->frame_size;
  config->frame_count = self->frame_count;
  switch (self->mode)
    {
    case NETRING_XDP_MODE_RX:
      config->mode = NR_XSK_MODE_RX;
      break;
    case NETRING_XDP_MODE_TX:
      config->mode = NR_XSK_MODE_TX;
      break;
    case NETRING_XDP_MODE_RX_TX:
    default:
      config->mode = NR_XSK_MODE_RX_TX;
      break;
    }
  switch (self->attach_mode)
    {
    case NETRING_XDP_ATTACH_MODE_NATIVE:
      config->attach = NR_XSK_ATTACH_NATIVE;
      break;
    case NETRING_XDP_ATTACH_MODE_GENERIC:
      config->attach = NR_XSK_ATTACH_GENERIC;
      break;
    case NETRING_XDP_ATTACH_MODE_AUTO:
    case NETRING_XDP_ATTACH_MODE_NONE:
    default:
      config->attach = NR_XSK_ATTACH_AUTO;
      break;
    }
  switch (self->bind_mode)
    {
    case NETRING_XDP_BIND_MODE_COPY:
      config->bind = NR_XSK_BIND_COPY;
      break;
    case NETRING_XDP_BIND_MODE_ZERO_COPY:
      config->bind = NR_XSK_BIND_ZEROCOPY;
      break;
    case NETRING_XDP_BIND_MODE_AUTO:
    default:
      config->bind = NR_XSK_BIND_AUTO;
      break;
    }
  config->need_wakeup = self->need_wakeup;
  config->program =
    self->program == NETRING_XDP_PROGRAM_NONE ? NR_XSK_PROGRAM_NONE : NR_XSK_PROGRAM_DEFAULT;
}

static NetringXdpAttachMode
attach_mode_from_floor (int mode)
{
  switch (mode)
    {
    case NR_XDP_ATTACHED_NATIVE:
      return NETRING_XDP_ATTACH_MODE_NATIVE;
    case NR_XDP_ATTACHED_GENERIC:
      return NETRING_XDP_ATTACH_MODE_GENERIC;
    case NR_XDP_ATTACHED_NONE:
    default:
      /* libxdp's redirect program is never offloaded */
      return NETRING_XDP_ATTACH_MODE_NONE;
    }
}

/* ---- errors of the open ------------------------------------------------------ */

/* The highest queue id the socket's mode can use, plus one. */
static guint32
queue_limit (NetringXdpMode mode, const NrXskFailure *failure)
{
  switch (mode)
    {
    case NETRING_XDP_MODE_RX:
      return failure->rx_queues;
    case NETRING_XDP_MODE_TX:
      return failure->tx_queues;
    case NETRING_XDP_MODE_RX_TX:
    default:
      return MIN (failure->rx_queues, failure->tx_queues);
    }
}

/* Turns what nr_xsk_open() says into an error that names the interface,
 * the queue, the cause and what to do. */
static void
xdp_set_open_error (NetringXdpSocket *self, int err, const NrXskFailure *failure,
                    GError **error)
{
  const char *ifname = self->interface;
  const char *operation = failure->operation != NULL ? failure->operation : "nr_xsk_open";
  const char *reason = g_strerror (-err);
  g_autofree gchar *detail = NULL;

  /* libxdp's own last warning ("libxdp: …"), when it printed one: often
   * the real cause; it is not translated */
  if (failure->detail[0] != '\0')
    detail = g_strdup_printf (" (%s)", failure->detail);
  else
    detail = g_strdup ("");

  switch (failure->kind)
    {
    case NR_XSK_FAILURE_INVALID:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “%s” for the AF_XDP socket on “%s”: the kernel's rules for a "
                     "UMEM refuse it"),
                   operation, ifname);
      return;

    case NR_XSK_FAILURE_PERMISSION:
      /* TRANSLATORS: the second-last %s is a Linux capability, or two */
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_PERMISSION_DENIED,
                   _("Cannot open an AF_XDP socket on “%s” queue %u: %s failed: permission "
                     "denied (the process needs %s): %s"),
                   ifname, self->queue_id, operation,
                   failure->capability != NULL ? failure->capability
                   : strstr (operation, "program") != NULL ? "CAP_BPF, CAP_NET_ADMIN"
                                                           : NETRING_CAP_NET_RAW,
                   reason);
      return;

    case NR_XSK_FAILURE_NO_INTERFACE:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE,
                   _("No such network interface “%s”: it went away while the AF_XDP socket "
                     "on queue %u was set up (%s failed: %s)"),
                   ifname, self->queue_id, operation, reason);
      return;

    case NR_XSK_FAILURE_NO_XDP:
      if (g_str_has_prefix (operation, "socket("))
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED,
                     _("Cannot open an AF_XDP socket on “%s” queue %u: this kernel has no "
                       "AF_XDP sockets (%s failed: %s); it needs CONFIG_XDP_SOCKETS"),
                     ifname, self->queue_id, operation, reason);
      else if (self->attach_mode == NETRING_XDP_ATTACH_MODE_NATIVE)
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED,
                     _("The driver of “%s” has no native XDP for the AF_XDP socket on queue "
                       "%u (%s failed: %s)%s: set “attach-mode” to generic or auto"),
                     ifname, self->queue_id, operation, reason, detail);
      else
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED,
                     _("“%s” does not support AF_XDP on queue %u (%s failed: %s)%s: try "
                       "“attach-mode” generic and “bind-mode” copy"),
                     ifname, self->queue_id, operation, reason, detail);
      return;

    case NR_XSK_FAILURE_QUEUE_RANGE:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “queue-id” %u: “%s” has %u receive and %u send queues, so a "
                     "socket in mode %s takes a queue id from 0 to %u"),
                   self->queue_id, ifname, failure->rx_queues, failure->tx_queues,
                   enum_nick (NETRING_TYPE_XDP_MODE, self->mode),
                   queue_limit (self->mode, failure) - 1);
      return;

    case NR_XSK_FAILURE_QUEUE_BUSY:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_BUSY,
                   _("Queue %u of “%s” is bound by another AF_XDP socket (still after "
                     "waiting %d ms for a closed one to let go of it): close that socket or "
                     "choose another “queue-id”"),
                   self->queue_id, ifname, NR_XSK_BUSY_WAIT_MS);
      return;

    case NR_XSK_FAILURE_PROGRAM_REFUSED:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_XDP_PROGRAM,
                   _("Cannot put the XDP redirect program for the AF_XDP socket on “%s” queue "
                     "%u in place: %s failed: %s%s. Check that libxdp's programs are "
                     "installed, read the kernel log, or try “attach-mode” generic"),
                   ifname, self->queue_id, operation, reason, detail);
      return;

    case NR_XSK_FAILURE_PROGRAM_CONFLICT:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_XDP_PROGRAM,
                   _("“%s” already runs another XDP program (id %u, “%s”, %s mode), which "
                     "is left alone, so the AF_XDP socket on queue %u cannot put its "
                     "redirect program in place: detach that program (ip link set dev %s "
                     "xdp off), or set “program” to none and add the socket to that "
                     "program's XSKMAP"),
                   ifname, failure->prog_id, failure->prog_name,
                   nr_xdp_attach_mode_name (failure->prog_mode), self->queue_id, ifname);
      return;

    case NR_XSK_FAILURE_ATTACH_MODE:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_XDP_PROGRAM,
                   _("The XDP redirect program the AF_XDP sockets on “%s” share (id %u) runs "
                     "in %s mode, but “attach-mode” asks for %s for queue %u: set "
                     "“attach-mode” to auto or %s, or close the other sockets first"),
                   ifname, failure->prog_id, nr_xdp_attach_mode_name (failure->prog_mode),
                   enum_nick (NETRING_TYPE_XDP_ATTACH_MODE, self->attach_mode), self->queue_id,
                   nr_xdp_attach_mode_name (failure->prog_mode));
      return;

    case NR_XSK_FAILURE_ZEROCOPY:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED,
                   _("Zero-copy is not available for the AF_XDP socket on “%s” queue %u (%s "
                     "failed: %s): the driver cannot, or not with this “frame-size”; set "
                     "“bind-mode” to auto or copy"),
                   ifname, self->queue_id, operation, reason);
      return;

    case NR_XSK_FAILURE_RESOURCES:
      {
        g_autofree gchar *size =
          g_format_size_full ((guint64) self->frame_size * self->frame_count,
                              G_FORMAT_SIZE_IEC_UNITS);

        g_set_error (error, NETRING_ERROR, NETRING_ERROR_NO_MEMORY,
                     _("Cannot set up the AF_XDP socket on “%s” queue %u: %s failed: %s. The "
                       "UMEM (%s) is locked memory: raise the memory-lock limit "
                       "(RLIMIT_MEMLOCK, ulimit -l) or lower “frame-count”"),
                     ifname, self->queue_id, operation, reason, size);
        return;
      }

    case NR_XSK_FAILURE_NONE:
    case NR_XSK_FAILURE_SYSTEM:
    default:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                   _("Cannot set up the AF_XDP socket on “%s” queue %u: %s failed: %s%s"),
                   ifname, self->queue_id, operation, reason, detail);
      return;
    }
}

/* ---- the sender's back end ------------------------------------------------ */

/* How long close keeps kicking when the kernel takes the queued frames only
 * in parts. */
#define CLOSE_FLUSH_MS 200

static inline gboolean
xdp_sends (NetringXdpSocket *self)
{
  return self->mode != NETRING_XDP_MODE_RX;
}

static void
xdp_set_no_send_error (NetringXdpSocket *self, GError **error)
{
  g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
               _("The AF_XDP socket on “%s” queue %u has no send pool (“mode” rx): set “mode” "
                 "to tx or rx-tx to send"),
               self->interface, self->queue_id);
}

/* An interface that went away under the socket: the same messages as the
 * packet sockets give. */
static void
xdp_set_kernel_error (NetringXdpSocket *self, int errnum, const char *operation,
                      GError **error)
{
  char name[IF_NAMESIZE];

  if (errnum == ENETDOWN || errnum == ENXIO || errnum == ENODEV)
    {
      if (if_indextoname ((unsigned) self->ifindex, name) == NULL)
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN,
                     _("Interface “%s” was removed"), self->interface);
      else
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN,
                     _("Interface “%s” went down: %s"), self->interface, g_strerror (errnum));
      return;
    }
  netring_set_error_from_errno (error, errnum, operation, NULL);
}

/* Reads the interface's MTU and link type (in the socket's namespace) and
 * sets the floor's length rule from them. */
static gboolean
xdp_read_link (NetringXdpSocket *self)
{
  guint32 mtu;
  guint16 type;
  /* AF_XDP sockets answer no device ioctl; any AF_UNIX socket reaches
   * them, in the namespace the socket was made in */
  int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int err = fd < 0 ? -errno : nr_afpacket_link_query (fd, self->interface, &mtu, &type);

  if (fd >= 0)
    close (fd);
  if (err != 0)
    {
      g_debug ("%s: cannot read the MTU (%s); only the frame size limits what is sent",
               self->interface, g_strerror (-err));
      return FALSE;
    }
  self->mtu = mtu;
  self->link_header = nr_afpacket_link_header_length (type);
  nr_xsk_rings_set_link (nr_xsk_rings (self->xsk), mtu, self->link_header,
                         type == ARPHRD_ETHER);
  return TRUE;
}

/* The cold path of the length check: TRUE when the frame may go after all
 * (the MTU was raised since it was read); otherwise counts the refusal and
 * sets @error. */
static G_GNUC_NO_INLINE gboolean
xdp_refuse (NetringXdpSocket *self, NrXskLength verdict, const guint8 *data, gsize length,
            GError **error)
{
  NrXskRings *rings = nr_xsk_rings (self->xsk);

  if (verdict == NR_XSK_LENGTH_OVER_LINK && xdp_read_link (self))
    {
      verdict = nr_xsk_rings_check_length (rings, data, length);
      if (verdict == NR_XSK_LENGTH_OK)
        return TRUE;
    }

  rings->counters.tx_rejected++;
  switch (verdict)
    {
    case NR_XSK_LENGTH_EMPTY:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("Cannot send an empty frame: a frame holds 1 to %u bytes"),
                   nr_xsk_rings_tx_max_length (rings));
      break;
    case NR_XSK_LENGTH_OVER_FRAME:
      /* TRANSLATORS: “frame-size” is a property name */
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("Cannot send a frame of %zu bytes: a UMEM frame holds at most %u bytes "
                     "(raise “frame-size” for larger frames)"),
                   (size_t) length, self->frame_size);
      break;
    default:
      if (rings->tx_vlan_allowance > 0)
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                     /* TRANSLATORS: %s is an interface name; the kernel's rule:
                      * MTU + link-layer header, 4 bytes more with an 802.1Q tag */
                     _("Cannot send a frame of %zu bytes on “%s”: its MTU of %u bytes plus "
                       "the %d-byte link-layer header allow at most %u bytes (%u with an "
                       "802.1Q tag)"),
                     (size_t) length, self->interface, self->mtu, self->link_header,
                     rings->tx_link_max, rings->tx_link_max + rings->tx_vlan_allowance);
      else
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                     /* TRANSLATORS: %s is an interface name */
                     _("Cannot send a frame of %zu bytes on “%s”: its MTU of %u bytes plus "
                       "the %d-byte link-layer header allow at most %u bytes"),
                     (size_t) length, self->interface, self->mtu, self->link_header,
                     rings->tx_link_max);
      break;
    }
  return FALSE;
}

static inline gboolean
xdp_check_length (NetringXdpSocket *self, const guint8 *data, gsize length, GError **error)
{
  NrXskLength verdict = nr_xsk_rings_check_length (nr_xsk_rings (self->xsk), data, length);

  if (G_LIKELY (verdict == NR_XSK_LENGTH_OK))
    return TRUE;
  return xdp_refuse (self, verdict, data, length, error);
}

/* Hands the TX ring to the kernel (F17: the floor loops while the kernel
 * takes descriptors). A kernel that stopped taking them (-EAGAIN: its
 * send buffer or the device is full) is not an error: POLLOUT tells when
 * to kick again. */
static gboolean
xdp_kick (NetringXdpSocket *self, GError **error)
{
  NrXskRings *rings = nr_xsk_rings (self->xsk);
  guint64 dropped = rings->counters.tx_device_dropped;
  int err = nr_xsk_tx_kick (self->xsk);

  if (G_UNLIKELY (rings->counters.tx_device_dropped != dropped))
    g_debug ("%s: the device dropped %" G_GUINT64_FORMAT " frame(s) handed to it; counted in "
             "device-dropped",
             self->interface, rings->counters.tx_device_dropped - dropped);
  if (G_LIKELY (err == 0 || err == -EAGAIN))
    return TRUE;
  xdp_set_kernel_error (self, -err, "sendto(AF_XDP)", error);
  return FALSE;
}

/* A free frame of the send pool. When there is none, the kernel is kicked
 * once (in copy mode it sends and completes within the kick, so frames come
 * back at once) before the answer is FULL. */
static guint8 *
xdp_take_frame (NetringXdpSocket *self, guint64 *addr, NetringSendStatus *status,
                GError **error)
{
  NrXskRings *rings = nr_xsk_rings (self->xsk);
  guint8 *data;

  data = nr_xsk_rings_tx_reserve (rings, addr); /* reaps when the pool is empty */
  if (G_LIKELY (data != NULL))
    return data;
  if (nr_xsk_rings_tx_in_flight (rings) > 0)
    {
      if (!xdp_kick (self, error))
        {
          *status = NETRING_SEND_FAILED;
          return NULL;
        }
      data = nr_xsk_rings_tx_reserve (rings, addr);
      if (data != NULL)
        return data;
    }
  *status = NETRING_SEND_FULL;
  return NULL;
}

/* Queues the frame at @addr (held by the caller). The TX ring holds every
 * frame of the UMEM, so it cannot be full; a refusal is the floor's length
 * or state check, which the length check above already made. */
static gboolean
xdp_submit (NetringXdpSocket *self, guint64 addr, gsize length, GError **error)
{
  NrXskRings *rings = nr_xsk_rings (self->xsk);
  int err = nr_xsk_rings_tx_submit (rings, addr, (guint32) length);

  if (G_LIKELY (err == 0))
    return TRUE;
  nr_xsk_rings_tx_abort (rings, addr);
  netring_set_error_from_errno (error, -err, "queueing a frame in the AF_XDP TX ring", NULL);
  return FALSE;
}

static NetringSendQueue *
xdp_get_send_queue (NetringSender *sender)
{
  return &((NetringXdpSocket *) sender)->queue;
}

static NetringSendStatus
xdp_put (NetringSender *sender, const guint8 *data, gsize length, GError **error)
{
  NetringXdpSocket *self = (NetringXdpSocket *) sender;
  NetringSendStatus status;
  guint64 addr;
  guint8 *frame;

  if (G_UNLIKELY (!xdp_sends (self)))
    {
      xdp_set_no_send_error (self, error);
      return NETRING_SEND_FAILED;
    }
  if (!xdp_check_length (self, data, length, error))
    return NETRING_SEND_FAILED;
  frame = xdp_take_frame (self, &addr, &status, error);
  if (G_UNLIKELY (frame == NULL))
    return status;
  memcpy (frame, data, length);
  return xdp_submit (self, addr, length, error) ? NETRING_SEND_OK : NETRING_SEND_FAILED;
}

static guint8 *
xdp_reserve (NetringSender *sender, gsize length, NetringSendStatus *status, GError **error)
{
  NetringXdpSocket *self = (NetringXdpSocket *) sender;
  guint8 *frame;

  *status = NETRING_SEND_FAILED;
  if (G_UNLIKELY (!xdp_sends (self)))
    {
      xdp_set_no_send_error (self, error);
      return NULL;
    }
  /* the frame is not written yet: an 802.1Q tag may still come */
  if (!xdp_check_length (self, NULL, length, error))
    return NULL;
  frame = xdp_take_frame (self, &self->reserved_addr, status, error);
  return frame;
}

static gboolean
xdp_commit (NetringSender *sender, gsize length, GError **error)
{
  NetringXdpSocket *self = (NetringXdpSocket *) sender;
  NrXskRings *rings = nr_xsk_rings (self->xsk);

  /* A refusal gives the frame back; counted as rejected. */
  if (!xdp_check_length (self, nr_xsk_rings_data (rings, self->reserved_addr), length, error))
    {
      nr_xsk_rings_tx_abort (rings, self->reserved_addr);
      return FALSE;
    }
  return xdp_submit (self, self->reserved_addr, length, error);
}

static void
xdp_abort (NetringSender *sender)
{
  NetringXdpSocket *self = (NetringXdpSocket *) sender;

  nr_xsk_rings_tx_abort (nr_xsk_rings (self->xsk), self->reserved_addr);
}

static gboolean
xdp_kick_hook (NetringSender *sender, GError **error)
{
  NetringXdpSocket *self = (NetringXdpSocket *) sender;

  if (!xdp_sends (self))
    return TRUE; /* nothing is ever queued */
  return xdp_kick (self, error);
}

static guint
xdp_reap (NetringSender *sender)
{
  return nr_xsk_rings_tx_reap (nr_xsk_rings (((NetringXdpSocket *) sender)->xsk));
}

static guint
xdp_get_pending (NetringSender *sender)
{
  NrXskRings *rings = nr_xsk_rings (((NetringXdpSocket *) sender)->xsk);

  nr_xsk_rings_tx_reap (rings);
  return (guint) MIN (nr_xsk_rings_tx_in_flight (rings), G_MAXUINT);
}

static guint
xdp_get_available (NetringSender *sender)
{
  NrXskRings *rings = nr_xsk_rings (((NetringXdpSocket *) sender)->xsk);

  nr_xsk_rings_tx_reap (rings);
  return nr_xsk_rings_tx_free (rings);
}

static guint
xdp_get_max_length (NetringSender *sender)
{
  NetringXdpSocket *self = (NetringXdpSocket *) sender;

  return xdp_sends (self) ? nr_xsk_rings_tx_max_length (nr_xsk_rings (self->xsk)) : 0;
}

static gint
xdp_get_fd_hook (NetringSender *sender)
{
  return nr_xsk_fd (((NetringXdpSocket *) sender)->xsk);
}

/* A pending socket error (the kernel reports POLLERR until it is read):
 * the interface was removed under the socket. */
static gboolean
xdp_take_error (NetringSender *sender, GError **error)
{
  NetringXdpSocket *self = (NetringXdpSocket *) sender;
  int soerr = _netring_xsk_rx_take_error (self->rx);

  if (soerr == 0)
    return FALSE;
  xdp_set_kernel_error (self, soerr, "getsockopt(SO_ERROR)", error);
  return TRUE;
}

/* Frames queued but not handed to the kernel would be lost with the socket:
 * kick until the kernel took them all, for at most CLOSE_FLUSH_MS when it
 * takes them only in parts. What is left is counted as discarded. */
static void
xdp_flush_for_close (NetringXdpSocket *self)
{
  NrXskRings *rings = nr_xsk_rings (self->xsk);
  gint64 deadline = g_get_monotonic_time () + CLOSE_FLUSH_MS * G_TIME_SPAN_MILLISECOND;
  int err;

  if (!xdp_sends (self))
    return;
  while ((err = nr_xsk_tx_kick (self->xsk)) == -EAGAIN && nr_xsk_rings_tx_unconsumed (rings) > 0)
    {
      gint64 left = deadline - g_get_monotonic_time ();
      struct pollfd pfd = { nr_xsk_fd (self->xsk), POLLOUT, 0 };

      if (left <= 0)
        break;
      /* POLLOUT: the TX ring drained to half, or the send buffer has room */
      (void) poll (&pfd, 1, (int) MAX (1, left / 1000));
    }
  if (nr_xsk_rings_tx_unconsumed (rings) > 0)
    g_debug ("%s: closing with %u frames the kernel did not take (%s); counted in discarded",
             self->interface, nr_xsk_rings_tx_unconsumed (rings),
             err != 0 && err != -EAGAIN ? g_strerror (-err) : "it did not take them in time");
}

static void xdp_release (NetringXdpSocket *self);

static void
xdp_close_backend (NetringSender *sender)
{
  NetringXdpSocket *self = (NetringXdpSocket *) sender;

  xdp_flush_for_close (self);
  xdp_release (self);
}

static void
netring_xdp_socket_sender_iface_init (NetringSenderInterface *iface)
{
  iface->get_send_queue = xdp_get_send_queue;
  iface->put = xdp_put;
  iface->reserve = xdp_reserve;
  iface->commit = xdp_commit;
  iface->abort = xdp_abort;
  iface->kick = xdp_kick_hook;
  iface->reap = xdp_reap;
  iface->get_pending = xdp_get_pending;
  iface->get_available = xdp_get_available;
  iface->get_max_length = xdp_get_max_length;
  iface->get_fd = xdp_get_fd_hook;
  iface->take_error = xdp_take_error;
  iface->close = xdp_close_backend;
}

/* ---- the receiver's back end ---------------------------------------------- */

static inline gboolean
xdp_receives (NetringXdpSocket *self)
{
  return self->mode != NETRING_XDP_MODE_TX;
}

static gboolean
xdp_receiver_check_ready (NetringReceiver *receiver, GError **error)
{
  NetringXdpSocket *self = (NetringXdpSocket *) receiver;

  if (!xdp_check_ready (self, error))
    return FALSE;
  if (G_UNLIKELY (!xdp_receives (self)))
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("The AF_XDP socket on “%s” queue %u has no receive pool (“mode” tx): set "
                     "“mode” to rx or rx-tx to receive"),
                   self->interface, self->queue_id);
      return FALSE;
    }
  return TRUE;
}

static NetringReceiveCore *
xdp_get_core (NetringReceiver *receiver)
{
  NetringXdpSocket *self = (NetringXdpSocket *) receiver;

  return self->rx != NULL ? _netring_xsk_rx_get_core (self->rx) : NULL;
}

static int
xdp_receiver_get_fd (NetringReceiver *receiver)
{
  return nr_xsk_fd (((NetringXdpSocket *) receiver)->xsk);
}

static NetringReceiveState
xdp_peek (NetringReceiver *receiver)
{
  NetringXdpSocket *self = (NetringXdpSocket *) receiver;

  return _netring_xsk_rx_peek (self->rx, &self->recheck_ms);
}

static NetringBatch *
xdp_take_batch (NetringReceiver *receiver)
{
  return _netring_xsk_rx_take (((NetringXdpSocket *) receiver)->rx);
}

/* After POLLERR: the kernel reports a removed interface as ENETDOWN on the
 * socket (its device notifier), read and cleared here. */
static gboolean
xdp_check_error (NetringReceiver *receiver, GError **error)
{
  NetringXdpSocket *self = (NetringXdpSocket *) receiver;
  int soerr = _netring_xsk_rx_take_error (self->rx);

  if (soerr == 0)
    return FALSE;
  xdp_set_kernel_error (self, soerr, "getsockopt(SO_ERROR)", error);
  return TRUE;
}

static gint
xdp_recheck_ms (NetringReceiver *receiver)
{
  return ((NetringXdpSocket *) receiver)->recheck_ms;
}

static const gchar *
xdp_get_name (NetringReceiver *receiver)
{
  return ((NetringXdpSocket *) receiver)->interface;
}

/* The receiver's view of XDP_STATISTICS: every frame the redirect program
 * handed to the socket is taken, waiting in the RX ring, refused or
 * dropped; the kernel drops for want of room in the RX ring or of a frame
 * in the fill ring (rx_dropped counts the latter). */
static gboolean
xdp_fill_stats (NetringReceiver *receiver, NetringReceiverStats *stats, GError **error)
{
  NetringXdpSocket *self = (NetringXdpSocket *) receiver;
  NrXskStats kernel;
  int err = nr_xsk_get_stats (self->xsk, &kernel);

  if (err != 0)
    {
      netring_set_error_from_errno (error, -err, "getsockopt(XDP_STATISTICS)", NULL);
      return FALSE;
    }
  stats->drops = kernel.rx_dropped + kernel.rx_ring_full;
  stats->packets = kernel.counters.rx_frames + kernel.counters.rx_refused +
                   nr_xsk_rings_rx_ready (nr_xsk_rings (self->xsk)) + stats->drops;
  stats->freezes = kernel.rx_fill_ring_empty_descs;
  stats->lost_blocks = 0;
  return TRUE;
}

/* For ::drops: the kernel's drop counters, read now. */
static gboolean
xdp_read_drops (NetringReceiver *receiver, guint64 *drops)
{
  NetringXdpSocket *self = (NetringXdpSocket *) receiver;
  NrXskStats kernel;

  if (nr_xsk_get_stats (self->xsk, &kernel) != 0)
    return FALSE;
  *drops = kernel.rx_dropped + kernel.rx_ring_full;
  return TRUE;
}

static gboolean
xdp_receiver_close (NetringReceiver *receiver, GError **error)
{
  /* one close for both sides: marks the socket closed, ends the sends'
   * waits and calls xdp_close_backend() when it was open */
  netring_send_queue_close (&((NetringXdpSocket *) receiver)->queue);
  return TRUE;
}

static void
netring_xdp_socket_receiver_iface_init (NetringReceiverInterface *iface)
{
  iface->check_ready = xdp_receiver_check_ready;
  iface->get_core = xdp_get_core;
  iface->get_fd = xdp_receiver_get_fd;
  iface->peek = xdp_peek;
  iface->take_batch = xdp_take_batch;
  iface->check_error = xdp_check_error;
  iface->recheck_ms = xdp_recheck_ms;
  iface->get_name = xdp_get_name;
  iface->fill_stats = xdp_fill_stats;
  iface->read_drops = xdp_read_drops;
  iface->close = xdp_receiver_close;
}

/* ---- set-up and close --------------------------------------------------------- */

static void
xdp_read_stats (NetringXdpSocket *self, const NrXskStats *kernel, NetringXdpStats *stats)
{
  const NrXskCounters *c = &kernel->counters;

  memset (stats, 0, sizeof *stats);
  stats->rx_dropped = kernel->rx_dropped;
  stats->rx_invalid_descs = kernel->rx_invalid_descs;
  stats->tx_invalid_descs = kernel->tx_invalid_descs;
  stats->rx_ring_full = kernel->rx_ring_full;
  stats->rx_fill_ring_empty_descs = kernel->rx_fill_ring_empty_descs;
  stats->tx_ring_empty_descs = kernel->tx_ring_empty_descs;
  stats->received = c->rx_frames;
  stats->received_bytes = c->rx_bytes;
  stats->queued = c->tx_submitted;
  /* a frame the device dropped is completed all the same (copy mode) */
  stats->sent = c->tx_completed - MIN (c->tx_completed, c->tx_device_dropped);
  stats->rejected = c->tx_rejected;
  stats->device_dropped = c->tx_device_dropped;
  stats->received_invalid = c->rx_refused;
  stats->discarded = c->tx_discarded;
}

/* Gives everything back to the kernel: the promiscuous membership, the
 * socket with its queue, the redirect program (when this was its last
 * user) and the UMEM. Keeps the final counters for get_stats(). */
static void
xdp_release (NetringXdpSocket *self)
{
  if (self->adopt_fd >= 0)
    close (self->adopt_fd);
  self->adopt_fd = -1;
  if (self->adopt_umem_fd >= 0)
    close (self->adopt_umem_fd);
  self->adopt_umem_fd = -1;
  if (self->rx != NULL)
    {
      NetringReceiveCore *core = _netring_receive_core_ref (_netring_xsk_rx_get_core (self->rx));
      NrXskStats kernel;

      g_clear_pointer (&self->final_stats, netring_xdp_stats_free);
      if (nr_xsk_get_stats (self->xsk, &kernel) == 0)
        {
          self->final_stats = g_new0 (NetringXdpStats, 1);
          xdp_read_stats (self, &kernel, self->final_stats);
        }
      /* Sources left over see this at their next look, before the socket
       * goes, and end with the closed error without touching it again. */
      g_atomic_int_set (&core->closed, TRUE);
      _netring_xsk_rx_shutdown (self->rx);
      /* the shutdown counted what the kernel never took from the TX ring */
      if (self->final_stats != NULL)
        self->final_stats->discarded = nr_xsk_rings (self->xsk)->counters.tx_discarded;
      /* Batches still held keep the UMEM (and the floor's bookkeeping)
       * until they are released. */
      self->xsk = NULL;
      g_clear_pointer (&self->rx, _netring_xsk_rx_unref);
      _netring_receive_core_wake_all (core);
      _netring_receive_core_unref (core);
    }
  nr_afpacket_rx_close (&self->promisc);
}

static gboolean
xdp_set_promiscuous (NetringXdpSocket *self, GError **error)
{
  NrAfpacketFailure failure = { NULL, NULL, 0 };
  NrRxOptions options;

  memset (&options, 0, sizeof options);
  options.ifindex = nr_xsk_info (self->xsk)->ifindex;
  options.promiscuous = TRUE;
  if (nr_afpacket_rx_open (&self->promisc, &failure) != 0 ||
      nr_afpacket_rx_set_options (&self->promisc, &options, &failure) != 0)
    {
      netring_set_error_from_errno (error, failure.errnum, failure.operation,
                                    failure.capability);
      g_prefix_error (error, _("Cannot put “%s” in promiscuous mode: "), self->interface);
      nr_afpacket_rx_close (&self->promisc);
      return FALSE;
    }
  return TRUE;
}

/* Takes over the socket and UMEM netring-helper made (#NetringXdpSocket:fd,
 * :umem-fd). */
static gboolean
xdp_adopt (NetringXdpSocket *self, const NrXskConfig *config, GError **error)
{
  NrXskFailure failure;
  int err;

  if (self->adopt_fd < 0 || self->adopt_umem_fd < 0)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("“fd” and “umem-fd” go together: an AF_XDP socket from "
                             "netring-helper is adopted with its UMEM"));
      return FALSE;
    }
  err = nr_xsk_adopt (self->adopt_fd, self->adopt_umem_fd, self->ifindex, self->queue_id, config,
                      &self->xsk, &failure);
  if (err == 0)
    {
      /* the socket is the floor's now; the mapping keeps the UMEM */
      self->adopt_fd = -1;
      close (self->adopt_umem_fd);
      self->adopt_umem_fd = -1;
      return TRUE;
    }
  if (failure.kind == NR_XSK_FAILURE_INVALID && g_strcmp0 (failure.operation, "fd") == 0)
    g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                 _("Invalid “fd” for the AF_XDP socket on “%s”: it must be a bound AF_XDP "
                   "socket, as netring-helper passes it (%s)"),
                 self->interface, g_strerror (-err));
  else if (failure.kind == NR_XSK_FAILURE_INVALID && g_strcmp0 (failure.operation, "umem-fd") == 0)
    g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                 _("Invalid “umem-fd” for the AF_XDP socket on “%s”: it must be the socket’s "
                   "UMEM, a memfd of “frame-size” × “frame-count” = %" PRIu64 " bytes (%s)"),
                 self->interface, (uint64_t) self->frame_size * self->frame_count,
                 g_strerror (-err));
  else if (failure.kind == NR_XSK_FAILURE_INVALID)
    g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                 _("Cannot adopt the AF_XDP socket “fd” on “%s”: %s failed (%s); are "
                   "“frame-size”, “frame-count” and “mode” the ones it was made with?"),
                 self->interface, failure.operation, g_strerror (-err));
  else
    xdp_set_open_error (self, err, &failure, error);
  return FALSE;
}

static gboolean
xdp_init (NetringXdpSocket *self, GCancellable *cancellable, GError **error)
{
  NrXskConfig config;
  NrXskFailure failure;
  const NrXskInfo *info;
  int err;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!xdp_validate (self, error))
    return FALSE;
  self->ifindex = netring_interface_index (self->interface, error);
  if (self->ifindex == 0)
    return FALSE;

  xdp_config_from_settings (self, &config);
  if (self->adopt_fd >= 0 || self->adopt_umem_fd >= 0)
    {
      if (!xdp_adopt (self, &config, error))
        return FALSE;
    }
  else
    {
      err = nr_xsk_open (self->interface, self->queue_id, &config, &self->xsk, &failure);
      if (err != 0)
        {
          xdp_set_open_error (self, err, &failure, error);
          return FALSE;
        }
    }
  {
    NrIfaceInfo iface;
    gboolean has_mac = nr_iface_query_index (self->ifindex, &iface) == 0 &&
                       iface.address_length == 6;

    /* the producer owns the socket from now on */
    self->rx = _netring_xsk_rx_new (self->xsk, self->ifindex, has_mac ? iface.address : NULL);
    _netring_xsk_rx_set_coalesce (self->rx, self->rx_coalesce_us);
  }

  if (self->busy_poll_us > 0)
    {
      err = nr_xsk_set_busy_poll (self->xsk, self->busy_poll_us, BUSY_POLL_BUDGET);
      if (err != 0)
        {
          netring_set_error_from_errno (error, -err, "setsockopt(SO_BUSY_POLL)",
                                        NETRING_CAP_NET_ADMIN);
          g_prefix_error (error, _("Cannot set “busy-poll-us” to %u on the AF_XDP socket: "),
                          self->busy_poll_us);
          return FALSE;
        }
    }
  if (self->promiscuous && !xdp_set_promiscuous (self, error))
    return FALSE;

  if (xdp_sends (self))
    xdp_read_link (self);

  info = nr_xsk_info (self->xsk);
  self->active_attach_mode = attach_mode_from_floor (info->attach_mode);
  self->zero_copy = info->zerocopy;
  self->program_id = info->prog_id;
  self->rx_frame_count = info->rx_frames;
  self->tx_frame_count = info->tx_frames;
  g_debug ("AF_XDP socket on %s queue %u: program %u (%s, %s), %s, %u RX + %u TX frames",
           self->interface, self->queue_id, self->program_id,
           nr_xdp_attach_mode_name (info->attach_mode),
           info->program == NR_XSK_PROGRAM_STATE_LOADED   ? "loaded by this socket"
           : info->program == NR_XSK_PROGRAM_STATE_SHARED ? "shared"
                                                          : "none of ours",
           self->zero_copy ? "zero-copy" : "copy", self->rx_frame_count,
           self->tx_frame_count);
  return TRUE;
}

/* Init runs once (GInitable); every later call, and every use of the
 * socket, gets what the first one gave (NetringReadiness). */
static gboolean
netring_xdp_socket_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  NetringXdpSocket *self = NETRING_XDP_SOCKET (initable);
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  if (!netring_readiness_init_begin (&self->readiness, &ok, error))
    return ok;
  if (self->readiness.closed)
    return xdp_check_ready (self, error); /* closed before init */
  if (!xdp_init (self, cancellable, &local_error))
    {
      /* a failed socket holds nothing */
      xdp_release (self);
      g_clear_pointer (&self->final_stats, netring_xdp_stats_free);
    }
  ok = netring_readiness_init_done (&self->readiness, local_error);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}

static void
netring_xdp_socket_initable_iface_init (GInitableIface *iface)
{
  iface->init = netring_xdp_socket_initable_init;
}

/**
 * netring_xdp_socket_new:
 * @interface: name of the network interface
 * @queue_id: the queue of @interface to bind to (0 for the first)
 * @error: return location for a #GError
 *
 * Opens an AF_XDP socket on queue @queue_id of @interface with the default
 * settings (#NetringXdpSocket:mode rx-tx, 4096 frames of 4096 bytes, the
 * attach and bind modes the kernel chooses). Use g_initable_new() with
 * properties for anything else.
 *
 * Returns: (transfer full) (nullable): the socket, or %NULL with @error set
 */
NetringXdpSocket *
netring_xdp_socket_new (const gchar *interface, guint queue_id, GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (NETRING_TYPE_XDP_SOCKET, NULL, error, "interface", interface,
                         "queue-id", queue_id, NULL);
}

/**
 * netring_xdp_socket_close:
 * @self: a #NetringXdpSocket
 * @error: return location for a #GError
 *
 * Closes the socket at once: frames queued for sending are handed to the
 * kernel first (see above), then its queue is free for another socket, the
 * redirect program goes when this was the last socket of the interface
 * using it (a program that was there before, or that other sockets still
 * use, stays), the promiscuous mode it asked for ends, and the UMEM is
 * freed. send_async() calls still waiting for room fail with
 * %G_IO_ERROR_CLOSED; so do later calls, except
 * netring_xdp_socket_get_stats(), which returns the counters at the close.
 * The same as netring_sender_close().
 *
 * Closing twice, or a socket whose init failed, does nothing. Dropping the
 * last reference closes the socket too.
 *
 * Returns: %TRUE
 */
gboolean
netring_xdp_socket_close (NetringXdpSocket *self, GError **error)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* marks the socket closed, ends the waits on its fd and calls
   * xdp_close_backend() when the socket was open */
  netring_send_queue_close (&self->queue);
  return TRUE;
}

/* ---- every queue ------------------------------------------------------------ */

/**
 * netring_xdp_socket_open_all_queues:
 * @interface: name of the network interface
 * @error: return location for a #GError
 *
 * Opens one #NetringXdpSocket with the default settings on every queue of
 * @interface. See netring_xdp_socket_open_all_queues_with_properties().
 *
 * Returns: (transfer container) (element-type NetringXdpSocket) (nullable): the
 *   sockets, the one on queue N at index N; %NULL with @error set
 */
GPtrArray *
netring_xdp_socket_open_all_queues (const gchar *interface, GError **error)
{
  return netring_xdp_socket_open_all_queues_with_properties (interface, 0, NULL, NULL, error);
}

static NetringXdpSocket *
open_queue (const gchar *interface, guint queue_id, guint n_properties,
            const gchar *const *names, const GValue *values, GError **error)
{
  g_autofree const gchar **all_names = g_new0 (const gchar *, n_properties + 2);
  g_autofree GValue *all_values = g_new0 (GValue, n_properties + 2);
  g_autoptr(NetringXdpSocket) socket = NULL;
  guint i;

  all_names[0] = "interface";
  g_value_init (&all_values[0], G_TYPE_STRING);
  g_value_set_string (&all_values[0], interface);
  all_names[1] = "queue-id";
  g_value_init (&all_values[1], G_TYPE_UINT);
  g_value_set_uint (&all_values[1], queue_id);
  for (i = 0; i < n_properties; i++)
    {
      all_names[i + 2] = names[i];
      /* a shallow copy: the caller's values outlive the construction */
      all_values[i + 2] = values[i];
    }
  socket = (NetringXdpSocket *) g_object_new_with_properties (NETRING_TYPE_XDP_SOCKET,
                                                              n_properties + 2, all_names,
                                                              all_values);
  g_value_unset (&all_values[0]);
  g_value_unset (&all_values[1]);
  if (!g_initable_init (G_INITABLE (socket), NULL, error))
    return NULL;
  return g_steal_pointer (&socket);
}

/**
 * netring_xdp_socket_open_all_queues_with_properties:
 * @interface: name of the network interface
 * @n_properties: the number of properties in @names and @values
 * @names: (array length=n_properties): names of construct properties of
 *   #NetringXdpSocket
 * @values: (array length=n_properties): their values
 * @error: return location for a #GError
 *
 * Opens one #NetringXdpSocket on every queue of @interface, each with the
 * properties @names set to @values and its own #NetringXdpSocket:queue-id.
 * An interface with several receive queues (a multi-queue NIC, with RSS)
 * spreads its traffic over them, and an AF_XDP socket receives the frames
 * of its own queue only: the sockets together receive everything.
 *
 * The queues are counted the way the kernel binds AF_XDP sockets: the
 * channels the driver reports (`ETHTOOL_GCHANNELS`, as `ethtool -l` shows
 * them), or, for drivers without channels, the queues the device was
 * created with. Sockets in mode rx and rx-tx open one socket per receive
 * queue (rx-tx also needs a send queue of the same number), sockets in
 * mode tx one per send queue.
 *
 * The sockets share one redirect program (see #NetringXdpSocket:program)
 * and each has a UMEM of its own (#NetringXdpSocket:frame-count frames per
 * queue). Each is used from one thread at a time; give each queue its own
 * thread to spread the work over cores.
 *
 * When a socket cannot be opened, those opened before are closed and
 * @error says which queue failed and why. "interface" and "queue-id" may
 * not be among @names.
 *
 * |[<!-- language="C" -->
 * const gchar *names[] = { "mode", "frame-count" };
 * GValue values[2] = { G_VALUE_INIT, G_VALUE_INIT };
 * g_autoptr(GPtrArray) sockets = NULL;
 *
 * g_value_init (&values[0], NETRING_TYPE_XDP_MODE);
 * g_value_set_enum (&values[0], NETRING_XDP_MODE_RX);
 * g_value_init (&values[1], G_TYPE_UINT);
 * g_value_set_uint (&values[1], 1024);
 * sockets = netring_xdp_socket_open_all_queues_with_properties ("eth0", 2, names,
 *                                                               values, &error);
 * ]|
 *
 * Returns: (transfer container) (element-type NetringXdpSocket) (nullable): the
 *   sockets, the one on queue N at index N, owned by the array (unreffing
 *   it closes them); %NULL with @error set
 */
GPtrArray *
netring_xdp_socket_open_all_queues_with_properties (const gchar        *interface,
                                                    guint               n_properties,
                                                    const gchar *const *names,
                                                    const GValue       *values,
                                                    GError            **error)
{
  g_autoptr(GPtrArray) sockets = NULL;
  g_autoptr(GTypeClass) klass = NULL;
  NetringXdpSocket *first;
  guint32 rx_queues, tx_queues, n_queues, q;
  guint i;
  int err;

  g_return_val_if_fail (interface != NULL, NULL);
  g_return_val_if_fail (n_properties == 0 || (names != NULL && values != NULL), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Refused here rather than by g_object_new(), which would only warn. */
  klass = g_type_class_ref (NETRING_TYPE_XDP_SOCKET);
  for (i = 0; i < n_properties; i++)
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), names[i]);

      if (pspec == NULL || (pspec->flags & G_PARAM_CONSTRUCT_ONLY) == 0 ||
          pspec == properties[PROP_INTERFACE] || pspec == properties[PROP_QUEUE_ID] ||
          pspec == properties[PROP_FD] || pspec == properties[PROP_UMEM_FD])
        {
          g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a setting netring_xdp_socket_open_all_queues_with_"
                         "properties() takes: give construct properties of NetringXdpSocket "
                         "other than “interface”, “queue-id”, “fd” and “umem-fd”"),
                       names[i]);
          return NULL;
        }
      if (!G_IS_VALUE (&values[i]) ||
          !g_value_type_transformable (G_VALUE_TYPE (&values[i]), pspec->value_type))
        {
          g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                       _("The value for “%s” is a %s, the property takes a %s"), names[i],
                       G_IS_VALUE (&values[i]) ? G_VALUE_TYPE_NAME (&values[i]) : "(unset)",
                       g_type_name (pspec->value_type));
          return NULL;
        }
    }

  /* Queue 0 first: it checks every setting and the interface, and tells
   * the mode that decides which queues count. */
  first = open_queue (interface, 0, n_properties, names, values, error);
  if (first == NULL)
    return NULL;
  sockets = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (sockets, first);

  err = nr_xsk_queue_count (interface, &rx_queues, &tx_queues);
  if (err != 0)
    {
      netring_set_error_from_errno (error, -err, "ETHTOOL_GCHANNELS", NULL);
      g_prefix_error (error, _("Cannot count the queues of “%s”: "), interface);
      return NULL;
    }
  n_queues = first->mode == NETRING_XDP_MODE_TX ? tx_queues : rx_queues;
  g_debug ("%s: opening AF_XDP sockets on %u queues", interface, n_queues);

  for (q = 1; q < n_queues; q++)
    {
      NetringXdpSocket *socket = open_queue (interface, q, n_properties, names, values, error);

      if (socket == NULL)
        {
          /* the error names the queue; the sockets opened so far close
           * with the array */
          return NULL;
        }
      g_ptr_array_add (sockets, socket);
    }
  return g_steal_pointer (&sockets);
}

/* ---- the rest of the API --------------------------------------------------- */

/**
 * netring_xdp_socket_add_to_xskmap:
 * @self: a #NetringXdpSocket
 * @map_fd: a file descriptor of an `XSKMAP` (`BPF_MAP_TYPE_XSKMAP`)
 * @error: return location for a #GError
 *
 * Puts the socket into the `XSKMAP` @map_fd at the index of its queue
 * (#NetringXdpSocket:queue-id), so that an XDP program of the application
 * that calls `bpf_redirect_map (&map, ctx->rx_queue_index, …)` sends the
 * queue's frames to it. For sockets with #NetringXdpSocket:program set to
 * %NETRING_XDP_PROGRAM_NONE; the socket leaves the map when it is closed.
 *
 * Returns: %TRUE on success; %FALSE with @error set
 */
gboolean
netring_xdp_socket_add_to_xskmap (NetringXdpSocket *self, gint map_fd, GError **error)
{
  int err;

  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!xdp_check_ready (self, error))
    return FALSE;
  if (self->mode == NETRING_XDP_MODE_TX)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("The AF_XDP socket on “%s” queue %u receives nothing (“mode” tx): an "
                     "XSKMAP has no use for it"),
                   self->interface, self->queue_id);
      return FALSE;
    }
  err = nr_xsk_map_insert (self->xsk, map_fd);
  if (err == 0)
    return TRUE;
  switch (-err)
    {
    case EBADF:
    case EINVAL:
    case E2BIG:
    case EOPNOTSUPP:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("Cannot add the AF_XDP socket on “%s” queue %u to the map %d: %s (the "
                     "map must be an XSKMAP with an entry for key %u)"),
                   self->interface, self->queue_id, map_fd, g_strerror (-err), self->queue_id);
      return FALSE;
    default:
      netring_set_error_from_errno (error, -err, "bpf_map_update_elem(XSKMAP)", "CAP_BPF");
      return FALSE;
    }
}

/**
 * netring_xdp_socket_get_stats:
 * @self: a #NetringXdpSocket
 * @error: return location for a #GError
 *
 * Gets the socket's counters: the kernel's `XDP_STATISTICS` and the
 * library's own, cumulative since the socket was opened. Reading them
 * changes nothing. After netring_xdp_socket_close() this returns the
 * counters as they were at the close.
 *
 * Returns: (transfer full) (nullable): the statistics, free with
 *   netring_xdp_stats_free(); %NULL with @error set before init, after a
 *   failed init, or when the kernel cannot be asked
 */
NetringXdpStats *
netring_xdp_socket_get_stats (NetringXdpSocket *self, GError **error)
{
  NetringXdpStats *stats;
  NrXskStats kernel;
  int err;

  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->readiness.closed && self->final_stats != NULL)
    return netring_xdp_stats_copy (self->final_stats);
  if (!xdp_check_ready (self, error))
    return NULL;
  err = nr_xsk_get_stats (self->xsk, &kernel);
  if (err != 0)
    {
      netring_set_error_from_errno (error, -err, "getsockopt(XDP_STATISTICS)", NULL);
      return NULL;
    }
  stats = g_new0 (NetringXdpStats, 1);
  xdp_read_stats (self, &kernel, stats);
  return stats;
}

/**
 * netring_xdp_socket_get_interface:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:interface.
 *
 * Returns: (nullable): the interface name
 */
const gchar *
netring_xdp_socket_get_interface (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), NULL);
  return self->interface;
}

/**
 * netring_xdp_socket_get_queue_id:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:queue-id.
 *
 * Returns: the queue
 */
guint
netring_xdp_socket_get_queue_id (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), 0);
  return self->queue_id;
}

/**
 * netring_xdp_socket_get_frame_size:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:frame-size.
 *
 * Returns: bytes per UMEM frame
 */
guint
netring_xdp_socket_get_frame_size (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), 0);
  return self->frame_size;
}

/**
 * netring_xdp_socket_get_frame_count:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:frame-count.
 *
 * Returns: frames in the UMEM
 */
guint
netring_xdp_socket_get_frame_count (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), 0);
  return self->frame_count;
}

/**
 * netring_xdp_socket_get_mode:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:mode.
 *
 * Returns: how the UMEM is split
 */
NetringXdpMode
netring_xdp_socket_get_mode (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), NETRING_XDP_MODE_RX_TX);
  return self->mode;
}

/**
 * netring_xdp_socket_get_attach_mode:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:attach-mode, the mode asked for; see
 * netring_xdp_socket_get_active_attach_mode() for the one obtained.
 *
 * Returns: the requested attach mode
 */
NetringXdpAttachMode
netring_xdp_socket_get_attach_mode (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), NETRING_XDP_ATTACH_MODE_AUTO);
  return self->attach_mode;
}

/**
 * netring_xdp_socket_get_bind_mode:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:bind-mode, the mode asked for; see
 * netring_xdp_socket_get_zero_copy() for the one obtained.
 *
 * Returns: the requested bind mode
 */
NetringXdpBindMode
netring_xdp_socket_get_bind_mode (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), NETRING_XDP_BIND_MODE_AUTO);
  return self->bind_mode;
}

/**
 * netring_xdp_socket_get_need_wakeup:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:need-wakeup.
 *
 * Returns: whether the socket uses the kernel's need-wakeup flags
 */
gboolean
netring_xdp_socket_get_need_wakeup (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), FALSE);
  return self->need_wakeup;
}

/**
 * netring_xdp_socket_get_busy_poll_us:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:busy-poll-us.
 *
 * Returns: the busy-poll time in microseconds, 0 when off
 */
guint
netring_xdp_socket_get_busy_poll_us (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), 0);
  return self->busy_poll_us;
}

/**
 * netring_xdp_socket_get_promiscuous:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:promiscuous.
 *
 * Returns: whether the socket keeps the interface in promiscuous mode
 */
gboolean
netring_xdp_socket_get_promiscuous (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), FALSE);
  return self->promiscuous;
}

/**
 * netring_xdp_socket_get_program:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:program.
 *
 * Returns: which program brings received frames to the socket
 */
NetringXdpProgram
netring_xdp_socket_get_program (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), NETRING_XDP_PROGRAM_DEFAULT);
  return self->program;
}

/**
 * netring_xdp_socket_get_active_attach_mode:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:active-attach-mode.
 *
 * Returns: where the socket's redirect program runs;
 *   %NETRING_XDP_ATTACH_MODE_NONE before init and for a socket without one
 */
NetringXdpAttachMode
netring_xdp_socket_get_active_attach_mode (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), NETRING_XDP_ATTACH_MODE_NONE);
  return self->active_attach_mode;
}

/**
 * netring_xdp_socket_get_zero_copy:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:zero-copy.
 *
 * Returns: whether the driver uses the UMEM directly
 */
gboolean
netring_xdp_socket_get_zero_copy (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), FALSE);
  return self->zero_copy;
}

/**
 * netring_xdp_socket_get_program_id:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:program-id.
 *
 * Returns: the kernel's id of the socket's redirect program, 0 if none
 */
guint
netring_xdp_socket_get_program_id (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), 0);
  return self->program_id;
}

/**
 * netring_xdp_socket_get_rx_frame_count:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:rx-frame-count.
 *
 * Returns: frames in the receive pool, 0 before init
 */
guint
netring_xdp_socket_get_rx_frame_count (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), 0);
  return self->rx_frame_count;
}

/**
 * netring_xdp_socket_get_tx_frame_count:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:tx-frame-count.
 *
 * Returns: frames in the send pool, 0 before init
 */
guint
netring_xdp_socket_get_tx_frame_count (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), 0);
  return self->tx_frame_count;
}

/**
 * netring_xdp_socket_get_fd:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:fd.
 *
 * Returns: the AF_XDP socket, -1 before a successful init and after close
 */
gint
netring_xdp_socket_get_fd (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), -1);
  return self->xsk != NULL ? nr_xsk_fd (self->xsk) : -1;
}

/**
 * netring_xdp_socket_get_rx_coalesce_us:
 * @self: a #NetringXdpSocket
 *
 * Gets #NetringXdpSocket:rx-coalesce-us.
 *
 * Returns: how long received frames may wait to be handed out together, in
 *   microseconds
 */
guint
netring_xdp_socket_get_rx_coalesce_us (NetringXdpSocket *self)
{
  g_return_val_if_fail (NETRING_IS_XDP_SOCKET (self), 0);
  return self->rx_coalesce_us;
}

/**
 * netring_xdp_socket_set_rx_coalesce_us:
 * @self: a #NetringXdpSocket
 * @coalesce_us: how long received frames may wait, in microseconds (at most
 *   %G_MAXINT); 0 hands them out at once
 *
 * Sets #NetringXdpSocket:rx-coalesce-us; it applies from the next look at
 * the receive ring. Call it from the thread that receives.
 */
void
netring_xdp_socket_set_rx_coalesce_us (NetringXdpSocket *self, guint coalesce_us)
{
  g_return_if_fail (NETRING_IS_XDP_SOCKET (self));
  g_return_if_fail (coalesce_us <= G_MAXINT);

  if (self->rx_coalesce_us == coalesce_us)
    return;
  self->rx_coalesce_us = coalesce_us;
  if (self->rx != NULL)
    _netring_xsk_rx_set_coalesce (self->rx, coalesce_us);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RX_COALESCE_US]);
}

/* ---- GObject ---------------------------------------------------------------- */

static void
netring_xdp_socket_init (NetringXdpSocket *self)
{
  self->frame_size = 4096;
  self->frame_count = 4096;
  self->mode = NETRING_XDP_MODE_RX_TX;
  self->attach_mode = NETRING_XDP_ATTACH_MODE_AUTO;
  self->bind_mode = NETRING_XDP_BIND_MODE_AUTO;
  self->need_wakeup = TRUE;
  self->program = NETRING_XDP_PROGRAM_DEFAULT;
  self->active_attach_mode = NETRING_XDP_ATTACH_MODE_NONE;
  self->link_header = -1;
  self->recheck_ms = 5;
  self->adopt_fd = -1;
  self->adopt_umem_fd = -1;
  nr_afpacket_rx_init (&self->promisc);
  netring_send_queue_init (&self->queue, (NetringSender *) self, &self->readiness,
                           "NetringXdpSocket", NULL);
}

static void
netring_xdp_socket_dispose (GObject *object)
{
  NetringXdpSocket *self = NETRING_XDP_SOCKET (object);

  /* Outstanding calls hold a reference, so none is left here unless
   * g_object_run_dispose() was used. Queued frames still go out: close
   * hands them to the kernel. */
  netring_send_queue_close (&self->queue);

  G_OBJECT_CLASS (netring_xdp_socket_parent_class)->dispose (object);
}

static void
netring_xdp_socket_finalize (GObject *object)
{
  NetringXdpSocket *self = NETRING_XDP_SOCKET (object);

  netring_send_queue_clear (&self->queue);
  xdp_release (self);
  g_clear_pointer (&self->final_stats, netring_xdp_stats_free);
  netring_readiness_clear (&self->readiness);
  g_free (self->interface);
  G_OBJECT_CLASS (netring_xdp_socket_parent_class)->finalize (object);
}

static void
netring_xdp_socket_get_property (GObject *object, guint prop_id, GValue *value,
                                 GParamSpec *pspec)
{
  NetringXdpSocket *self = NETRING_XDP_SOCKET (object);

  switch (prop_id)
    {
    case PROP_INTERFACE:
      g_value_set_string (value, self->interface);
      break;
    case PROP_QUEUE_ID:
      g_value_set_uint (value, self->queue_id);
      break;
    case PROP_FRAME_SIZE:
      g_value_set_uint (value, self->frame_size);
      break;
    case PROP_FRAME_COUNT:
      g_value_set_uint (value, self->frame_count);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_ATTACH_MODE:
      g_value_set_enum (value, self->attach_mode);
      break;
    case PROP_BIND_MODE:
      g_value_set_enum (value, self->bind_mode);
      break;
    case PROP_NEED_WAKEUP:
      g_value_set_boolean (value, self->need_wakeup);
      break;
    case PROP_BUSY_POLL_US:
      g_value_set_uint (value, self->busy_poll_us);
      break;
    case PROP_PROMISCUOUS:
      g_value_set_boolean (value, self->promiscuous);
      break;
    case PROP_PROGRAM:
      g_value_set_enum (value, self->program);
      break;
    case PROP_ACTIVE_ATTACH_MODE:
      g_value_set_enum (value, self->active_attach_mode);
      break;
    case PROP_ZERO_COPY:
      g_value_set_boolean (value, self->zero_copy);
      break;
    case PROP_PROGRAM_ID:
      g_value_set_uint (value, self->program_id);
      break;
    case PROP_RX_FRAME_COUNT:
      g_value_set_uint (value, self->rx_frame_count);
      break;
    case PROP_TX_FRAME_COUNT:
      g_value_set_uint (value, self->tx_frame_count);
      break;
    case PROP_FD:
      g_value_set_int (value, self->adopt_fd >= 0 ? self->adopt_fd
                                                  : netring_xdp_socket_get_fd (self));
      break;
    case PROP_UMEM_FD:
      g_value_set_int (value, self->adopt_umem_fd);
      break;
    case PROP_RX_COALESCE_US:
      g_value_set_uint (value, self->rx_coalesce_us);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, netring_receiver_is_running (NETRING_RECEIVER (self)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_xdp_socket_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  NetringXdpSocket *self = NETRING_XDP_SOCKET (object);

  switch (prop_id)
    {
    case PROP_INTERFACE:
      g_free (self->interface);
      self->interface = g_value_dup_string (value);
      break;
    case PROP_QUEUE_ID:
      self->queue_id = g_value_get_uint (value);
      break;
    case PROP_FRAME_SIZE:
      self->frame_size = g_value_get_uint (value);
      break;
    case PROP_FRAME_COUNT:
      self->frame_count = g_value_get_uint (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_ATTACH_MODE:
      self->attach_mode = g_value_get_enum (value);
      break;
    case PROP_BIND_MODE:
      self->bind_mode = g_value_get_enum (value);
      break;
    case PROP_NEED_WAKEUP:
      self->need_wakeup = g_value_get_boolean (value);
      break;
    case PROP_BUSY_POLL_US:
      self->busy_poll_us = g_value_get_uint (value);
      break;
    case PROP_PROMISCUOUS:
      self->promiscuous = g_value_get_boolean (value);
      break;
    case PROP_PROGRAM:
      self->program = g_value_get_enum (value);
      break;
    case PROP_FD:
      /* owned from here on, whatever happens to the object */
      if (self->adopt_fd >= 0)
        close (self->adopt_fd);
      self->adopt_fd = g_value_get_int (value);
      break;
    case PROP_UMEM_FD:
      if (self->adopt_umem_fd >= 0)
        close (self->adopt_umem_fd);
      self->adopt_umem_fd = g_value_get_int (value);
      break;
    case PROP_RX_COALESCE_US:
      netring_xdp_socket_set_rx_coalesce_us (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_xdp_socket_class_init (NetringXdpSocketClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  netring_i18n_init ();

  object_class->dispose = netring_xdp_socket_dispose;
  object_class->finalize = netring_xdp_socket_finalize;
  object_class->get_property = netring_xdp_socket_get_property;
  object_class->set_property = netring_xdp_socket_set_property;

  /**
   * NetringXdpSocket:interface: (getter get_interface)
   *
   * Name of the network interface. Required.
   */
  properties[PROP_INTERFACE] = g_param_spec_string ("interface", NULL, NULL, NULL, construct);

  /**
   * NetringXdpSocket:queue-id: (getter get_queue_id)
   *
   * The queue of the interface to bind to, from 0. It must be below the
   * interface's receive queue count (mode rx), send queue count (mode tx)
   * or both (mode rx-tx); `ethtool -l` shows them.
   */
  properties[PROP_QUEUE_ID] =
    g_param_spec_uint ("queue-id", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringXdpSocket:frame-size: (getter get_frame_size)
   *
   * Bytes per UMEM frame: a power of two from 2048 to the page size (4096
   * on most machines). A frame receives at most this minus 256 bytes.
   */
  properties[PROP_FRAME_SIZE] =
    g_param_spec_uint ("frame-size", NULL, NULL, 0, G_MAXUINT, 4096, construct);

  /**
   * NetringXdpSocket:frame-count: (getter get_frame_count)
   *
   * Frames in the UMEM, split by #NetringXdpSocket:mode: at least 1 (2 in
   * mode rx-tx), and #NetringXdpSocket:frame-count ×
   * #NetringXdpSocket:frame-size may not exceed 4 GiB. The UMEM is locked
   * memory, charged to the process's `RLIMIT_MEMLOCK`.
   */
  properties[PROP_FRAME_COUNT] =
    g_param_spec_uint ("frame-count", NULL, NULL, 0, G_MAXUINT, 4096, construct);

  /**
   * NetringXdpSocket:mode: (getter get_mode)
   *
   * Whether the socket receives, sends or both, and so how the UMEM's
   * frames are split between a receive and a send pool.
   */
  properties[PROP_MODE] = g_param_spec_enum ("mode", NULL, NULL, NETRING_TYPE_XDP_MODE,
                                             NETRING_XDP_MODE_RX_TX, construct);

  /**
   * NetringXdpSocket:attach-mode: (getter get_attach_mode)
   *
   * Where the redirect program should run: auto (native when the driver
   * can, else generic), native or generic. %NETRING_XDP_ATTACH_MODE_NONE is
   * refused. When the sockets of the interface already share a redirect
   * program, an explicit mode must be the one it runs in.
   */
  properties[PROP_ATTACH_MODE] =
    g_param_spec_enum ("attach-mode", NULL, NULL, NETRING_TYPE_XDP_ATTACH_MODE,
                       NETRING_XDP_ATTACH_MODE_AUTO, construct);

  /**
   * NetringXdpSocket:bind-mode: (getter get_bind_mode)
   *
   * Zero-copy or copy: auto lets the kernel choose (zero-copy where the
   * driver can); zero-copy fails with %NETRING_ERROR_NOT_SUPPORTED where it
   * cannot.
   */
  properties[PROP_BIND_MODE] =
    g_param_spec_enum ("bind-mode", NULL, NULL, NETRING_TYPE_XDP_BIND_MODE,
                       NETRING_XDP_BIND_MODE_AUTO, construct);

  /**
   * NetringXdpSocket:need-wakeup: (getter get_need_wakeup)
   *
   * Use the kernel's need-wakeup flags (`XDP_USE_NEED_WAKEUP`): the kernel
   * says when it must be woken to fill or send, so a busy socket makes
   * fewer system calls.
   */
  properties[PROP_NEED_WAKEUP] =
    g_param_spec_boolean ("need-wakeup", NULL, NULL, TRUE, construct);

  /**
   * NetringXdpSocket:busy-poll-us: (getter get_busy_poll_us)
   *
   * When not 0, the socket polls the driver for this many microseconds
   * before it sleeps (`SO_PREFER_BUSY_POLL`, `SO_BUSY_POLL`, and a budget of
   * 64 frames per poll, `SO_BUSY_POLL_BUDGET`): lower latency for more CPU.
   * At most %G_MAXINT. Values above the system's `net.core.busy_poll`, and
   * the budget, need `CAP_NET_ADMIN`.
   */
  properties[PROP_BUSY_POLL_US] =
    g_param_spec_uint ("busy-poll-us", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringXdpSocket:promiscuous: (getter get_promiscuous)
   *
   * Keep the interface in promiscuous mode while the socket is open, so
   * that frames for other hosts reach the XDP program too. The library
   * counts as one user of promiscuous mode (like a packet socket's
   * `PACKET_MR_PROMISC` membership, which it uses): the mode ends when the
   * last user goes, also when the process dies, and is never switched off
   * under somebody else. Only for sockets that receive.
   */
  properties[PROP_PROMISCUOUS] =
    g_param_spec_boolean ("promiscuous", NULL, NULL, FALSE, construct);

  /**
   * NetringXdpSocket:program: (getter get_program)
   *
   * Which XDP program brings received frames to the socket: libxdp's
   * default redirect program, managed by the library, or none (the
   * application's own program and `XSKMAP`, see
   * netring_xdp_socket_add_to_xskmap()).
   */
  properties[PROP_PROGRAM] = g_param_spec_enum ("program", NULL, NULL, NETRING_TYPE_XDP_PROGRAM,
                                                NETRING_XDP_PROGRAM_DEFAULT, construct);

  /**
   * NetringXdpSocket:active-attach-mode: (getter get_active_attach_mode)
   *
   * Where the socket's redirect program runs, as the kernel reports it
   * after init: native or generic, or none for a socket without a program
   * (mode tx, or #NetringXdpSocket:program none).
   */
  properties[PROP_ACTIVE_ATTACH_MODE] =
    g_param_spec_enum ("active-attach-mode", NULL, NULL, NETRING_TYPE_XDP_ATTACH_MODE,
                       NETRING_XDP_ATTACH_MODE_NONE, readable);

  /**
   * NetringXdpSocket:zero-copy: (getter get_zero_copy)
   *
   * Whether the socket runs in zero-copy mode, as the kernel reports it
   * after init (`XDP_OPTIONS_ZEROCOPY`).
   */
  properties[PROP_ZERO_COPY] = g_param_spec_boolean ("zero-copy", NULL, NULL, FALSE, readable);

  /**
   * NetringXdpSocket:program-id: (getter get_program_id)
   *
   * The kernel's id of the redirect program the socket uses (as
   * `bpftool prog` and `ip link` show it), 0 when it has none.
   */
  properties[PROP_PROGRAM_ID] =
    g_param_spec_uint ("program-id", NULL, NULL, 0, G_MAXUINT, 0, readable);

  /**
   * NetringXdpSocket:rx-frame-count: (getter get_rx_frame_count)
   *
   * Frames in the receive pool after init.
   */
  properties[PROP_RX_FRAME_COUNT] =
    g_param_spec_uint ("rx-frame-count", NULL, NULL, 0, G_MAXUINT, 0, readable);

  /**
   * NetringXdpSocket:tx-frame-count: (getter get_tx_frame_count)
   *
   * Frames in the send pool after init.
   */
  properties[PROP_TX_FRAME_COUNT] =
    g_param_spec_uint ("tx-frame-count", NULL, NULL, 0, G_MAXUINT, 0, readable);

  /**
   * NetringXdpSocket:fd: (getter get_fd)
   *
   * The AF_XDP socket's file descriptor, -1 before a successful init and
   * after close.
   *
   * Set at construction, with #NetringXdpSocket:umem-fd, it is a socket
   * to adopt rather than open: one that netring-helper made (see
   * netring_helper_request_xdp_socket()), bound to
   * #NetringXdpSocket:interface and #NetringXdpSocket:queue-id, with the
   * #NetringXdpSocket:frame-size, #NetringXdpSocket:frame-count and
   * #NetringXdpSocket:mode given here. Init then maps its rings and UMEM,
   * which needs no capability, and the redirect program is the helper's
   * (#NetringXdpSocket:attach-mode, #NetringXdpSocket:bind-mode and
   * #NetringXdpSocket:program are not used). The object owns the
   * descriptor from construction on and closes it in every case. Reads
   * back the descriptor as set until init, then the socket in use.
   */
  properties[PROP_FD] = g_param_spec_int ("fd", NULL, NULL, -1, G_MAXINT, -1, construct);

  /**
   * NetringXdpSocket:umem-fd:
   *
   * With #NetringXdpSocket:fd: the adopted socket's UMEM, a memfd of
   * #NetringXdpSocket:frame-size × #NetringXdpSocket:frame-count bytes, as
   * netring-helper passes it. Owned by the object from construction on;
   * init maps it and closes it (the mapping keeps the memory), so it reads
   * back -1 after init.
   */
  properties[PROP_UMEM_FD] =
    g_param_spec_int ("umem-fd", NULL, NULL, -1, G_MAXINT, -1, construct);

  /**
   * NetringXdpSocket:rx-coalesce-us: (getter get_rx_coalesce_us) (setter set_rx_coalesce_us)
   *
   * How long received frames may wait to be handed out together, in
   * microseconds, like a network card's interrupt moderation: a batch is
   * handed out once a full batch (a quarter of the receive pool) waits or
   * the first frame of it has waited this long. 0 (the default) hands out
   * whatever waits at once. A busy receiver then takes many frames per
   * wake-up instead of a few, at the cost of up to this much latency;
   * waits in a main loop and in netring_receiver_next_batch_timeout() are
   * counted in whole milliseconds, so values below 1000 wait up to 1 ms.
   * The receive pool must hold the frames that arrive meanwhile. May be
   * changed at any time.
   */
  properties[PROP_RX_COALESCE_US] =
    g_param_spec_uint ("rx-coalesce-us", NULL, NULL, 0, G_MAXINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS - 1, properties);
  g_object_class_override_property (object_class, PROP_RUNNING, "running");
}
