/* netring-capture.c: AF_PACKET TPACKET_V3 capture */
#include "netring-tpacket-rx-private.h"
#include "netring-afpacket-private.h"
#include "netring-bpf-program-private.h"
#include "netring-capture-settings-private.h"

#include <linux/if_ether.h>
#include <net/if.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_BUSY_POLL
#define SO_BUSY_POLL 46
#endif
#ifndef PACKET_FANOUT_DATA
#define PACKET_FANOUT_DATA 22
#endif
#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

/**
 * SECTION:netring-capture
 * @short_description: Zero-copy packet capture through a TPACKET_V3 ring
 * @title: NetringCapture
 * @see_also: #NetringReceiver, #NetringBatch, #NetringPacket, #NetringReceiverStats
 *
 * A #NetringCapture receives every frame of one network interface through an
 * AF_PACKET socket with a memory-mapped TPACKET_V3 ring: the kernel writes
 * packets into blocks of shared memory and hands whole blocks over, so a
 * receive costs no copy and no system call per packet.
 *
 * Every setting is a construct-only property checked by g_initable_init();
 * netring_capture_new() is the short form for the defaults:
 * |[<!-- language="Python" -->
 * cap = Netring.Capture(interface="eth0", promiscuous=True)
 * cap.init(None)
 * ]|
 *
 * A capture is a #NetringReceiver: it receives through the interface's
 * calls, which every receiver shares (cast with NETRING_RECEIVER() in C;
 * bindings call them on the capture directly):
 *
 * - a source: netring_receiver_create_source() or
 *   netring_receiver_add_watch_full() for every ready block;
 *   netring_receiver_start() emits #NetringReceiver::batch (and
 *   #NetringReceiver::packet when it has handlers) until
 *   netring_receiver_stop();
 * - one batch at a time: netring_receiver_next_batch_async();
 * - owned copies: netring_receiver_receive_async();
 * - synchronously: netring_receiver_next_batch() and
 *   netring_receiver_next_batch_timeout().
 *
 * |[<!-- language="C" -->
 * g_autoptr(NetringCapture) capture = netring_capture_new ("eth0", &error);
 * g_autoptr(NetringBatch) batch =
 *   netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 1000, NULL, &error);
 * ]|
 *
 * Each #NetringBatch is one ring block. The source only polls the socket
 * when the next block is not ready yet, so a busy ring is drained without
 * system calls. When the interface goes down or is removed, the source ends
 * with a %NETRING_ERROR_INTERFACE_DOWN error instead of spinning.
 * netring_receiver_get_stats() gives the kernel's counters (accepted,
 * dropped, ring freezes) with the capture's own, and netring_receiver_close()
 * closes the socket and unmaps the ring at once.
 *
 * Threads: a capture is used from one thread at a time; different captures
 * may live in different threads. Batches and packets may be released from any
 * thread.
 */

/* The kernel's counters are 32-bit and reset on read; reading them this
 * often keeps them far from wrapping even when the user never asks. */
#define KERNEL_STATS_EVERY_N_BATCHES 64

struct _NetringCapture {
  GObject parent_instance;

  /* the construct-only settings, shared with NetringFanoutGroup; init
   * resolves the profile into them and writes back what it obtained (block
   * count, fanout group id). settings.filter is the expression of
   * settings.bpf_program, the classic filter attached, if any. */
  NetringCaptureSettings settings;
  gboolean ebpf_filter;          /* an eBPF filter replaces settings.bpf_program */

  /* what the receive path reads, kept equal to the settings by
   * capture_sync_in_use() */
  const gchar *interface;        /* settings.interface */
  guint block_size;
  gint block_timeout_ms;

  /* kernel state */
  NetringReadiness readiness;
  int adopt_fd; /* #NetringCapture:fd as set: owned from construction to init */
  int fd;
  int ifindex;
  guint8 *map;
  gsize map_length;
  gboolean map_locked;
  NetringTpacketRx *rx; /* owns the mapping; batches hold it too */

  /* statistics: the kernel's reset-on-read counters accumulated in 64 bits
   * (the receiver's core counts what was handed out) */
  guint64 kernel_packets;
  guint64 kernel_drops;
  guint64 kernel_freezes;
  guint64 lost_blocks;
};

enum {
  PROP_0,
  /* 1 … NETRING_CAPTURE_N_SETTINGS - 1: the shared settings
   * (netring-capture-settings-private.h) */
  PROP_IFINDEX = NETRING_CAPTURE_N_SETTINGS,
  PROP_FD,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void netring_capture_initable_iface_init (GInitableIface *iface);
static void netring_capture_receiver_iface_init (NetringReceiverInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetringCapture, netring_capture, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      netring_capture_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (NETRING_TYPE_RECEIVER,
                                                      netring_capture_receiver_iface_init))

/* ---- reception (the NetringReceiver back end) --------------------------- */

static gboolean
capture_check_ready (NetringCapture *self, GError **error)
{
  return netring_readiness_check (&self->readiness, "NetringCapture", error);
}

static gboolean
capture_refresh_kernel_stats (NetringCapture *self, GError **error)
{
  NrAfpacketStats reading = { 0 };
  int r = nr_afpacket_read_stats (self->fd, &reading);

  if (r != 0)
    {
      netring_set_error_from_errno (error, -r, "getsockopt(PACKET_STATISTICS)", NULL);
      return FALSE;
    }
  /* the read resets the kernel's counters: keep running 64-bit sums (F5) */
  self->kernel_packets += reading.packets;
  self->kernel_drops += reading.drops;
  self->kernel_freezes += reading.freezes;
  return TRUE;
}

static NetringBatch *
capture_take_batch (NetringReceiver *receiver)
{
  NetringCapture *self = NETRING_CAPTURE (receiver);
  NetringReceiveCore *core = _netring_tpacket_rx_get_core (self->rx);
  NetringBatch *batch;
  guint64 lost;

  if (_netring_tpacket_rx_peek (self->rx) != NETRING_RECEIVE_READY)
    return NULL;
  batch = _netring_tpacket_rx_take (self->rx, &lost);
  if (lost != 0)
    {
      self->lost_blocks += lost;
      g_debug ("%s: %" G_GUINT64_FORMAT " ring block(s) missing before block %" G_GUINT64_FORMAT,
               self->interface, lost, netring_batch_get_sequence (batch));
    }
  /* the core counts this batch after we return */
  if ((core->batches + 1) % KERNEL_STATS_EVERY_N_BATCHES == 0)
    capture_refresh_kernel_stats (self, NULL);
  return batch;
}

/* How often to look at the ring while poll() cannot be used (the user holds
 * the block the kernel retired last, so the kernel reports POLLIN for ever):
 * a partly filled block is retired one block timeout after its first packet
 * (0 = the kernel's default, about 8 ms), but a full one can come any time,
 * so never wait longer than 10 ms. */
static gint
capture_recheck_ms (NetringReceiver *receiver)
{
  NetringCapture *self = NETRING_CAPTURE (receiver);
  gint tov = self->block_timeout_ms == 0 ? 8 : self->block_timeout_ms;

  return CLAMP (tov, 1, 10);
}

/* After poll() reported POLLERR/POLLHUP: fetch and clear the socket error.
 * Returns TRUE with @error set when the capture cannot go on. */
static gboolean
capture_check_error (NetringReceiver *receiver, GError **error)
{
  NetringCapture *self = NETRING_CAPTURE (receiver);

  return netring_afpacket_check_socket_error (self->fd, self->interface, self->ifindex, error);
}

static gboolean
capture_fill_stats (NetringReceiver *receiver, NetringReceiverStats *stats, GError **error)
{
  NetringCapture *self = NETRING_CAPTURE (receiver);

  if (!capture_refresh_kernel_stats (self, error))
    return FALSE;
  stats->packets = self->kernel_packets;
  stats->drops = self->kernel_drops;
  stats->freezes = self->kernel_freezes;
  stats->lost_blocks = self->lost_blocks;
  return TRUE;
}

static gboolean
capture_read_drops (NetringReceiver *receiver, guint64 *drops)
{
  NetringCapture *self = NETRING_CAPTURE (receiver);

  if (!capture_refresh_kernel_stats (self, NULL))
    return FALSE;
  *drops = self->kernel_drops;
  return TRUE;
}

static gboolean
capture_receiver_check_ready (NetringReceiver *receiver, GError **error)
{
  return capture_check_ready (NETRING_CAPTURE (receiver), error);
}

static NetringReceiveCore *
capture_get_core (NetringReceiver *receiver)
{
  NetringCapture *self = NETRING_CAPTURE (receiver);

  return self->rx != NULL ? _netring_tpacket_rx_get_core (self->rx) : NULL;
}

static int
capture_get_fd (NetringReceiver *receiver)
{
  return NETRING_CAPTURE (receiver)->fd;
}

static NetringReceiveState
capture_peek (NetringReceiver *receiver)
{
  return _netring_tpacket_rx_peek (NETRING_CAPTURE (receiver)->rx);
}

static const gchar *
capture_get_name (NetringReceiver *receiver)
{
  return NETRING_CAPTURE (receiver)->interface;
}

/* Releases the socket and the ring at once. A batch still held keeps the
 * mapping, and with it the kernel's socket (a mapping holds the socket
 * file), until it is released: make the socket drop everything first, so
 * the kernel stops writing into a ring nobody reads. (A fanout member keeps
 * getting its share of the group's packets until then, and drops them.) */
static void
capture_release_kernel_state (NetringCapture *self)
{
  if (self->rx != NULL)
    {
      if (self->fd >= 0 &&
          g_atomic_int_get (&_netring_tpacket_rx_get_core (self->rx)->held_batches) > 0)
        (void) nr_afpacket_rx_drop_all (self->fd);
      g_clear_pointer (&self->rx, _netring_tpacket_rx_unref);
    }
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
  self->map = NULL;
  /* an adopted socket that init never took over (closed before init, or
   * init failed before step 1) is the capture's all the same */
  if (self->adopt_fd >= 0)
    close (self->adopt_fd);
  self->adopt_fd = -1;
}

static gboolean
capture_close (NetringReceiver *receiver, GError **error)
{
  NetringCapture *self = NETRING_CAPTURE (receiver);

  if (netring_readiness_close (&self->readiness))
    capture_release_kernel_state (self);
  return TRUE;
}

static void
netring_capture_receiver_iface_init (NetringReceiverInterface *iface)
{
  iface->check_ready = capture_receiver_check_ready;
  iface->get_core = capture_get_core;
  iface->get_fd = capture_get_fd;
  iface->peek = capture_peek;
  iface->take_batch = capture_take_batch;
  iface->check_error = capture_check_error;
  iface->recheck_ms = capture_recheck_ms;
  iface->get_name = capture_get_name;
  iface->fill_stats = capture_fill_stats;
  iface->read_drops = capture_read_drops;
  iface->close = capture_close;
}

/* ---- set-up ------------------------------------------------------------- */

/* The receive path reads these fields; they mirror the settings. */
static void
capture_sync_in_use (NetringCapture *self)
{
  self->interface = self->settings.interface;
  self->block_size = self->settings.block_size;
  self->block_timeout_ms = self->settings.block_timeout_ms;
}

/* Compiles #NetringCapture:filter for the link type the kernel reports for
 * the interface through @fd, the capture's own socket: right in the
 * socket's network namespace, whatever sysfs shows. */
static gboolean
capture_compile_filter (NetringCapture *self, int fd, GError **error)
{
  NetringCaptureSettings *s = &self->settings;

  if (s->filter == NULL && s->bpf_program != NULL)
    s->filter = g_strdup (netring_bpf_program_get_expression (s->bpf_program));
  else if (s->filter != NULL)
    {
      s->bpf_program = _netring_bpf_program_compile_for_socket (s->filter, fd, s->interface,
                                                                s->snap_length, error);
      if (s->bpf_program == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Step 8: PACKET_FANOUT, then the steering program. Reads back the group id
 * the kernel used. */
static gboolean
capture_join_fanout (NetringCapture *self, int fd, GError **error)
{
  NetringCaptureSettings *s = &self->settings;
  NrAfpacketFailure failure;
  guint32 arg, joined = 0;

  if (s->fanout_group < 0 && !(s->fanout_flags & NETRING_FANOUT_FLAGS_UNIQUE_ID))
    return TRUE;
  arg = nr_afpacket_fanout_arg ((guint16) MAX (s->fanout_group, 0), (guint16) s->fanout_mode,
                                (guint16) s->fanout_flags);
  if (nr_afpacket_fanout_join (fd, arg, &joined, &failure) != 0)
    {
      if (failure.errnum == EINVAL || failure.errnum == EEXIST)
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                     _("Cannot join fanout group %d on “%s”: the group exists with another "
                       "mode or flags or on another interface, or the settings are invalid: %s"),
                     MAX (s->fanout_group, 0), s->interface, g_strerror (failure.errnum));
      else
        netring_set_error_from_failure (error, &failure);
      return FALSE;
    }
  s->fanout_group = nr_afpacket_fanout_arg_id (joined);

  if (s->fanout_mode == NETRING_FANOUT_MODE_CBPF)
    return _netring_bpf_program_attach (s->fanout_program, 0, fd, SOL_PACKET, PACKET_FANOUT_DATA,
                                        "setsockopt(PACKET_FANOUT_DATA)", error);
  if (s->fanout_mode == NETRING_FANOUT_MODE_EBPF)
    return netring_afpacket_set_int_option (fd, SOL_PACKET, PACKET_FANOUT_DATA, s->fanout_ebpf_fd,
                                            "setsockopt(PACKET_FANOUT_DATA)",
                                            NETRING_CAP_NET_ADMIN, error);
  return TRUE;
}

/* Steps 2-4: TPACKET_V3, the ring and its mapping. The kernel may refuse a
 * big ring for lack of memory: then retry with 3/4 of the blocks each time,
 * down to a quarter of what was asked for. #NetringCapture:block-count then
 * reads back what was obtained. */
static gboolean
capture_open_ring (NetringCapture *self, NrRxSocket *rx, GError **error)
{
  NrAfpacketFailure failure;
  NrRxGeometry geometry;
  guint32 asked;
  int first_errnum = 0;
  const char *first_operation = NULL;

  if (nr_afpacket_rx_set_version (rx, &failure) != 0)
    {
      netring_set_error_from_failure (error, &failure);
      return FALSE;
    }
  netring_capture_settings_get_geometry (&self->settings, &geometry);
  asked = geometry.block_count;
  for (;;)
    {
      guint32 fewer;
      int r = nr_afpacket_rx_set_ring (rx, &geometry, self->settings.fill_rxhash, &failure);

      if (r == 0)
        {
          r = nr_afpacket_rx_map (rx, &failure);
          if (r == 0)
            break;
          /* the ring is set but cannot be mapped: free it before a retry */
          nr_afpacket_rx_release_ring (rx, NULL);
        }
      fewer = nr_rx_geometry_retry_count (asked, geometry.block_count);
      if (r != -ENOMEM || fewer == 0)
        {
          netring_set_error_from_failure (error, &failure);
          return FALSE;
        }
      g_debug ("%s: %s refused a ring of %u blocks (%s); retrying with %u", self->interface,
               failure.operation, geometry.block_count, g_strerror (failure.errnum), fewer);
      if (first_operation == NULL)
        {
          first_operation = failure.operation;
          first_errnum = failure.errnum;
        }
      geometry.block_count = fewer;
    }
  if (geometry.block_count < asked)
    {
      g_autofree gchar *asked_size = g_format_size_full ((guint64) asked * geometry.block_size,
                                                         G_FORMAT_SIZE_IEC_UNITS);
      g_autofree gchar *got_size = g_format_size_full (
        (guint64) geometry.block_count * geometry.block_size, G_FORMAT_SIZE_IEC_UNITS);

      /* Less ring than asked for changes how long a burst the capture
       * survives: say so where the user sees it, not only in the debug log. */
      g_message (_("Interface “%s”: %s refused a ring of %u blocks (%s): %s; the capture uses "
                   "%u blocks (%s), “block-count” reads back that number"),
                 self->interface, first_operation, asked, asked_size,
                 g_strerror (first_errnum), geometry.block_count, got_size);
    }
  self->settings.block_count = geometry.block_count;
  g_debug ("%s: RX ring of %u blocks of %u bytes (%s)", self->interface, geometry.block_count,
           geometry.block_size, rx->map_locked ? "locked" : "not locked");
  return TRUE;
}

/* The open sequence of the kernel floor (nr-afpacket.h), in its order (F6,
 * F7): socket with protocol 0 → filter compiled for the socket's link type
 * → TPACKET_V3 → ring → mmap → filter attached → bind (ETH_P_ALL) →
 * options → fanout. */
static gboolean
capture_open (NetringCapture *self, NrRxSocket *rx, GError **error)
{
  NetringCaptureSettings *s = &self->settings;
  NrAfpacketFailure failure;
  NrRxOptions options;

  /* 1. Protocol 0: the socket receives nothing until step 6 binds it. An
   * adopted socket (checked in capture_init) is such a one, opened by a
   * process that has CAP_NET_RAW; none of the steps below needs it. */
  if (self->adopt_fd >= 0)
    {
      nr_afpacket_rx_adopt (rx, self->adopt_fd);
      self->adopt_fd = -1;
    }
  else if (nr_afpacket_rx_open (rx, &failure) != 0)
    {
      netring_set_error_from_failure (error, &failure);
      return FALSE;
    }
  /* A bad expression fails here, before any ring memory is allocated. */
  if (!capture_compile_filter (self, rx->fd, error))
    return FALSE;
  /* 2-4 */
  if (!capture_open_ring (self, rx, error))
    return FALSE;
  /* 5. The filter (with the snap length) before bind, so that it applies
   * from the first packet */
  if (!_netring_bpf_program_attach (s->bpf_program, s->snap_length, rx->fd, SOL_SOCKET,
                                    SO_ATTACH_FILTER, "setsockopt(SO_ATTACH_FILTER)", error))
    return FALSE;
  /* 6. Bind last (F6): until now the socket received nothing, so the ring
   * holds only this interface's frames from the first one on */
  if (nr_afpacket_rx_bind (rx, self->ifindex, &failure) != 0)
    {
      netring_set_error_from_failure (error, &failure);
      return FALSE;
    }
  /* 7 */
  netring_capture_settings_get_options (s, self->ifindex, &options);
  if (nr_afpacket_rx_set_options (rx, &options, &failure) != 0)
    {
      netring_set_error_from_failure (error, &failure);
      return FALSE;
    }
  /* 8. The kernel only lets a bound socket join a fanout group */
  return capture_join_fanout (self, rx->fd, error);
}

static gboolean
capture_init (NetringCapture *self, GError **error)
{
  NrRxSocket rx;

  /* Interface first, so "no such interface" is reported even without
   * privileges, before anything needs CAP_NET_RAW. */
  self->ifindex = netring_interface_index (self->settings.interface, error);
  if (self->ifindex == 0)
    return FALSE;
  if (!netring_capture_settings_validate (&self->settings, error) ||
      !netring_capture_settings_validate_membership (&self->settings, error))
    return FALSE;
  if (self->adopt_fd >= 0 &&
      !netring_afpacket_check_adopted_fd (self->adopt_fd, "NetringCapture", error))
    return FALSE;
  capture_sync_in_use (self);
  /* Before any allocation: the kernel would try to give a ring larger
   * than the machine's memory, and the OOM killer end the process. */
  if (!netring_capture_settings_check_memory (&self->settings, 1, error))
    return FALSE;

  nr_afpacket_rx_init (&rx);
  if (!capture_open (self, &rx, error))
    {
      nr_afpacket_rx_close (&rx);
      return FALSE;
    }
  self->fd = rx.fd;
  self->map = rx.map;
  self->map_length = rx.map_length;
  self->map_locked = rx.map_locked;
  self->rx = _netring_tpacket_rx_new (self->map, self->map_length, self->settings.block_size,
                                     self->settings.block_count);
  return TRUE;
}

/* Init runs once (GInitable); every later call, and every use of the
 * capture, gets what the first one gave (NetringReadiness). */
static gboolean
netring_capture_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  NetringCapture *self = NETRING_CAPTURE (initable);
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  if (!netring_readiness_init_begin (&self->readiness, &ok, error))
    return ok;
  if (self->readiness.closed)
    return capture_check_ready (self, error); /* closed before init */
  if (!capture_init (self, &local_error))
    capture_release_kernel_state (self); /* a failed capture holds nothing */
  ok = netring_readiness_init_done (&self->readiness, local_error);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}

static void
netring_capture_initable_iface_init (GInitableIface *iface)
{
  iface->init = netring_capture_initable_init;
}

/* ---- GObject ------------------------------------------------------------ */

static void
netring_capture_init (NetringCapture *self)
{
  self->fd = -1;
  self->adopt_fd = -1;
  netring_capture_settings_init (&self->settings);
  capture_sync_in_use (self);
}

static void
netring_capture_dispose (GObject *object)
{
  NetringCapture *self = NETRING_CAPTURE (object);

  netring_receiver_stop (NETRING_RECEIVER (self));
  G_OBJECT_CLASS (netring_capture_parent_class)->dispose (object);
}

static void
netring_capture_finalize (GObject *object)
{
  NetringCapture *self = NETRING_CAPTURE (object);

  /* batches still held keep the ring mapped through their own references */
  capture_release_kernel_state (self);
  netring_readiness_clear (&self->readiness);
  netring_capture_settings_clear (&self->settings);
  G_OBJECT_CLASS (netring_capture_parent_class)->finalize (object);
}

static void
netring_capture_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  NetringCapture *self = NETRING_CAPTURE (object);

  switch (prop_id)
    {
    case NETRING_CAPTURE_SETTING_BUSY_POLL_US:
      g_value_set_uint (value, netring_capture_get_busy_poll_us (self));
      break;
    case NETRING_CAPTURE_SETTING_FILTER:
      g_value_set_string (value, netring_capture_get_filter (self));
      break;
    case NETRING_CAPTURE_SETTING_BPF_PROGRAM:
      g_value_set_boxed (value, self->ebpf_filter ? NULL : self->settings.bpf_program);
      break;
    case PROP_IFINDEX:
      g_value_set_int (value, self->ifindex);
      break;
    case PROP_FD:
      g_value_set_int (value, self->fd);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, netring_receiver_is_running (NETRING_RECEIVER (self)));
      break;
    default:
      if (!netring_capture_settings_get_property (&self->settings, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_capture_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  NetringCapture *self = NETRING_CAPTURE (object);

  if (prop_id == PROP_FD)
    self->adopt_fd = g_value_get_int (value);
  else if (!netring_capture_settings_set_property (&self->settings, prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  capture_sync_in_use (self);
}

static void
netring_capture_class_init (NetringCaptureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  netring_i18n_init ();

  object_class->dispose = netring_capture_dispose;
  object_class->finalize = netring_capture_finalize;
  object_class->get_property = netring_capture_get_property;
  object_class->set_property = netring_capture_set_property;

  /* The settings shared with NetringFanoutGroup: their names, types,
   * ranges and defaults are in netring-capture-settings.c. */
  netring_capture_settings_install (properties);

  /**
   * NetringCapture:interface: (getter get_interface)
   *
   * Name of the network interface to capture on. Required.
   */

  /**
   * NetringCapture:profile:
   *
   * Ring geometry preset; explicitly set geometry properties override it.
   */

  /**
   * NetringCapture:block-size: (getter get_block_size)
   *
   * Bytes per ring block: a power of two, a multiple of the page size and
   * at most 1 GiB (the kernel's limit). 0 (the default) takes the
   * profile's value; after init it reads back the value in use.
   */

  /**
   * NetringCapture:block-count: (getter get_block_count)
   *
   * Number of ring blocks, 1 to 65536 (the kernel numbers blocks in 16
   * bits); 0 (the default) takes the profile's value. The whole ring
   * (block-size × block-count) must fit in the memory the machine and the
   * process's memory cgroup can give: a larger one is refused with
   * %NETRING_ERROR_NO_MEMORY before anything is allocated. If the kernel
   * still cannot allocate the ring, init retries with 3/4 of the blocks
   * down to a quarter; after init this reads back the count obtained.
   */

  /**
   * NetringCapture:frame-size: (getter get_frame_size)
   *
   * The ring's nominal frame size: a multiple of 16, at least 68, at most
   * the block size, and at most 2^32 - 1 frames in the ring (block-size /
   * frame-size × block-count); 0 takes the profile's value. Under
   * TPACKET_V3 it does not limit how much of a packet is captured (packets
   * are packed into blocks whatever their size).
   */

  /**
   * NetringCapture:block-timeout-ms: (getter get_block_timeout_ms)
   *
   * How long the kernel fills a block before handing it over partly full, in
   * milliseconds, at most 65535 (the kernel keeps it in 16 bits); -1 (the
   * default) takes the profile's value. 0 does not mean "never": the kernel
   * then picks its own timeout (about 8 ms).
   */

  /**
   * NetringCapture:fill-rxhash:
   *
   * Ask the kernel to fill each packet's receive hash
   * (#NetringPacketInfo.rxhash). Off by default: where the NIC does not
   * provide a hash (veth, most virtual devices) the kernel computes it in
   * software for every packet, on the CPU that delivers it.
   */

  /**
   * NetringCapture:promiscuous:
   *
   * Put the interface in promiscuous mode for as long as the capture lives
   * (the kernel counts users and restores it when the socket closes).
   */

  /**
   * NetringCapture:ignore-outgoing:
   *
   * Do not capture packets this host sends (PACKET_IGNORE_OUTGOING).
   */

  /**
   * NetringCapture:busy-poll-us: (getter get_busy_poll_us)
   *
   * Busy-poll the device for this many microseconds when waiting
   * (SO_BUSY_POLL); 0 turns it off. After init it reads back the value the
   * kernel has for the socket. Pairs with %NETRING_RING_PROFILE_LOW_LATENCY.
   */

  /**
   * NetringCapture:rcvbuf:
   *
   * Socket receive buffer size in bytes (SO_RCVBUF), 0 to leave it alone.
   * It does not change the ring's capacity.
   */

  /**
   * NetringCapture:rcvbuf-force:
   *
   * Set #NetringCapture:rcvbuf with SO_RCVBUFFORCE, beyond the system limit
   * (needs CAP_NET_ADMIN).
   */

  /**
   * NetringCapture:timestamp-source:
   *
   * Which clock stamps received packets; each packet's status tells which
   * one really did. A device without a hardware clock (veth, most virtual
   * NICs) accepts a hardware request and stamps in software, and its packets
   * say %NETRING_PACKET_STATUS_TS_SOFTWARE. A packet with no timestamp bit
   * was stamped by the packet socket itself when it was captured (the
   * kernel does not stamp packets while no socket asks for receive
   * timestamps).
   */

  /**
   * NetringCapture:filter: (getter get_filter)
   *
   * A pcap filter expression (pcap-filter(7)), such as
   * `"udp port 53 and not vlan"`: only matching packets reach the ring, from
   * the first one on. It is compiled by libpcap for the link type the kernel
   * reports for the interface through the capture's own socket (so it is
   * right in the socket's network namespace): offline for Ethernet and
   * loopback, through a live libpcap handle for other link types and for
   * `vlan` (which then tests the kernel's VLAN metadata). It is attached
   * before the socket is bound. A bad expression makes init fail with
   * %NETRING_ERROR_INVALID_ARGUMENT and libpcap's message; a link type
   * libpcap cannot compile for fails with %NETRING_ERROR_NOT_SUPPORTED
   * naming the interface and its type. Change it on a running capture with
   * netring_capture_set_filter(). Not together with
   * #NetringCapture:bpf-program.
   */

  /**
   * NetringCapture:bpf-program:
   *
   * A classic BPF program to filter with, attached before the socket is
   * bound. Not together with #NetringCapture:filter (which reads back as
   * the program compiled from the expression).
   */

  /**
   * NetringCapture:snap-length: (getter get_snap_length)
   *
   * The most bytes captured of each packet, 0 (the default) for all of
   * them. Longer packets are truncated in the kernel, by the return value of
   * the socket's classic BPF filter (combined with any user filter), and
   * keep their wire length: their captured length is smaller and they have
   * %NETRING_PACKET_STATUS_TRUNCATED. An eBPF filter, while attached,
   * decides the captured length itself.
   */

  /**
   * NetringCapture:fanout-group: (getter get_fanout_group)
   *
   * The id of the `PACKET_FANOUT` group to join, 0 to 65535, or -1 (the
   * default) for none. All members of a group capture the same interface
   * with the same mode and flags, and the kernel hands each packet to one
   * of them. After init it reads back the id joined (the kernel's choice
   * with %NETRING_FANOUT_FLAGS_UNIQUE_ID). Group ids are per network
   * namespace and shared by every process in it. #NetringFanoutGroup
   * manages a whole group.
   */

  /**
   * NetringCapture:fanout-mode:
   *
   * How the kernel chooses a member of the fanout group.
   */

  /**
   * NetringCapture:fanout-flags:
   *
   * Fanout options, OR'd into the mode as the kernel expects.
   */

  /**
   * NetringCapture:fanout-program:
   *
   * With %NETRING_FANOUT_MODE_CBPF, the classic BPF program that returns
   * the index of the member for each packet (out-of-range indexes wrap). The
   * kernel runs it on the packet from the network header on: offsets in
   * it do not count the link-layer header (byte 0 is the first byte of the
   * IP header on Ethernet).
   * The group shares one program: the last member to set it wins.
   */

  /**
   * NetringCapture:fanout-ebpf-fd:
   *
   * With %NETRING_FANOUT_MODE_EBPF, the file descriptor of a loaded
   * `BPF_PROG_TYPE_SOCKET_FILTER` program that returns the member index.
   * The kernel takes its own reference: the caller keeps the fd.
   */

  /**
   * NetringCapture:ifindex: (getter get_ifindex)
   *
   * Index of the interface, known after init.
   */
  properties[PROP_IFINDEX] = g_param_spec_int ("ifindex", NULL, NULL, 0, G_MAXINT, 0, readable);

  /**
   * NetringCapture:fd: (getter get_fd)
   *
   * The AF_PACKET socket, -1 before init and after close. It stays owned by
   * the capture.
   *
   * Set at construction, it is a socket opened elsewhere that the capture
   * adopts instead of opening its own, so that the process needs no
   * capability at all: a privileged helper (`netring-helper`, see
   * netring_helper_request_capture_fd()) opens it and passes it over a Unix
   * socket. It must be an AF_PACKET socket of type SOCK_RAW with no ring and
   * in no fanout group (init refuses anything else with
   * %NETRING_ERROR_INVALID_CONFIGURATION naming what it is); init sets up
   * the ring and binds it to #NetringCapture:interface like a socket of its
   * own. The capture owns it from construction on and closes it in every
   * case, also when init fails. -1 (the default) opens a socket, which
   * needs `CAP_NET_RAW`.
   */
  properties[PROP_FD] = g_param_spec_int ("fd", NULL, NULL, -1, G_MAXINT, -1,
                                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                          G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, PROP_RUNNING, properties);
  /* NetringReceiver's; its ::batch, ::packet and ::error signals too */
  g_object_class_override_property (object_class, PROP_RUNNING, "running");
}

/* ---- public API --------------------------------------------------------- */

/**
 * netring_capture_new:
 * @interface: name of the network interface
 * @error: return location for a #GError
 *
 * Opens a capture on @interface with the default settings. Use
 * g_initable_new() with properties for anything else.
 *
 * Returns: (transfer full) (nullable): the capture, or %NULL with @error set
 */
NetringCapture *
netring_capture_new (const gchar *interface, GError **error)
{
  return g_initable_new (NETRING_TYPE_CAPTURE, NULL, error, "interface", interface, NULL);
}

/**
 * netring_capture_new_from_fd:
 * @interface: name of the network interface
 * @fd: an AF_PACKET socket of type SOCK_RAW opened elsewhere, with no ring
 * @error: return location for a #GError
 *
 * Opens a capture on @interface with the default settings over @fd, a
 * socket that a privileged process opened (see
 * netring_helper_request_capture_fd()): the calling process needs no
 * capability. The capture takes @fd over in every case and closes it, also
 * when it fails. See #NetringCapture:fd for the rules @fd must follow; set
 * that property with g_initable_new() for other settings.
 *
 * Returns: (transfer full) (nullable): the capture, or %NULL with @error set
 */
NetringCapture *
netring_capture_new_from_fd (const gchar *interface, gint fd, GError **error)
{
  return g_initable_new (NETRING_TYPE_CAPTURE, NULL, error, "interface", interface, "fd", fd,
                         NULL);
}

/**
 * netring_capture_get_interface:
 * @self: a capture
 *
 * The name of the interface the capture was opened on.
 *
 * Returns: (transfer none): the interface name
 */
const gchar *
netring_capture_get_interface (NetringCapture *self)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), NULL);
  return self->settings.interface;
}

/**
 * netring_capture_get_ifindex:
 * @self: a capture
 *
 * The kernel's index of the capture's interface.
 *
 * Returns: the interface index, 0 before init
 */
gint
netring_capture_get_ifindex (NetringCapture *self)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), 0);
  return self->ifindex;
}

/**
 * netring_capture_get_fd:
 * @self: a capture
 *
 * The socket, for use with other event loops or socket options. Do not
 * close it or read from it.
 *
 * Returns: the file descriptor, -1 before init
 */
gint
netring_capture_get_fd (NetringCapture *self)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), -1);
  return self->fd;
}

/**
 * netring_capture_get_block_size:
 * @self: a capture
 *
 * The ring's block size, the preset's or the one set.
 *
 * Returns: bytes per ring block in use
 */
guint
netring_capture_get_block_size (NetringCapture *self)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), 0);
  return self->settings.block_size;
}

/**
 * netring_capture_get_block_count:
 * @self: a capture
 *
 * The number of ring blocks obtained (fewer than asked when the kernel was short of memory).
 *
 * Returns: the number of ring blocks in use
 */
guint
netring_capture_get_block_count (NetringCapture *self)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), 0);
  return self->settings.block_count;
}

/**
 * netring_capture_get_frame_size:
 * @self: a capture
 *
 * The ring's nominal frame size.
 *
 * Returns: the ring's nominal frame size
 */
guint
netring_capture_get_frame_size (NetringCapture *self)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), 0);
  return self->settings.frame_size;
}

/**
 * netring_capture_get_block_timeout_ms:
 * @self: a capture
 *
 * How long the kernel fills a block before handing it over partly full, as
 * #NetringCapture:block-timeout-ms says.
 *
 * Returns: the block retirement timeout in use, in milliseconds (0: the
 *   kernel's own choice), or -1 before init when the profile's value will
 *   be used
 */
gint
netring_capture_get_block_timeout_ms (NetringCapture *self)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), -1);
  return self->block_timeout_ms;
}

/* ---- filters and fanout ------------------------------------------------- */

/**
 * netring_capture_get_snap_length:
 * @self: a capture
 *
 * The snap length: the most bytes captured of each packet.
 *
 * Returns: #NetringCapture:snap-length, 0 for no truncation
 */
guint
netring_capture_get_snap_length (NetringCapture *self)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), 0);
  return self->settings.snap_length;
}

/**
 * netring_capture_get_filter:
 * @self: a capture
 *
 * The filter expression in effect, set with #NetringCapture:filter or
 * netring_capture_set_filter().
 *
 * Returns: (nullable): the expression, or %NULL when no expression filters
 *   the capture (no filter, a #NetringBpfProgram made from instructions, or
 *   an eBPF filter)
 */
const gchar *
netring_capture_get_filter (NetringCapture *self)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), NULL);
  return self->ebpf_filter ? NULL : self->settings.filter;
}

/**
 * netring_capture_get_fanout_group:
 * @self: a capture
 *
 * The fanout group the capture is a member of.
 *
 * Returns: the group id, or -1 when the capture is in no group
 */
gint
netring_capture_get_fanout_group (NetringCapture *self)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), -1);
  return self->settings.fanout_group;
}

/**
 * netring_capture_get_busy_poll_us:
 * @self: a capture
 *
 * The busy-poll time of the socket, read back from the kernel
 * (`SO_BUSY_POLL`) once the capture is initialised.
 *
 * Returns: microseconds, 0 when busy polling is off
 */
guint
netring_capture_get_busy_poll_us (NetringCapture *self)
{
  int value = 0;
  socklen_t len = sizeof value;

  g_return_val_if_fail (NETRING_IS_CAPTURE (self), 0);
  if (self->fd >= 0 && getsockopt (self->fd, SOL_SOCKET, SO_BUSY_POLL, &value, &len) == 0)
    return (guint) value;
  return self->settings.busy_poll_us;
}

/**
 * netring_capture_set_bpf_program:
 * @self: a capture
 * @program: (nullable): the new filter, or %NULL for none
 * @error: return location for a #GError
 *
 * Replaces the capture's filter (classic or eBPF) with @program, combined
 * with the snap length, on a live capture. The kernel swaps the filter
 * atomically (`SO_ATTACH_FILTER` replaces the old program in one step):
 * every packet is judged by exactly one of the two programs, so nothing that
 * both accept is lost and nothing that neither accepts gets through. Packets
 * the old filter accepted before the swap stay in the ring and are still
 * delivered. On failure the old filter stays in place.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_capture_set_bpf_program (NetringCapture *self, NetringBpfProgram *program,
                                 GError **error)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!capture_check_ready (self, error))
    return FALSE;
  if (program == NULL && self->settings.snap_length == 0)
    {
      int zero = 0;

      /* nothing attached gives ENOENT: already in the wanted state */
      if (setsockopt (self->fd, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof zero) != 0 &&
          errno != ENOENT)
        {
          int errsv = errno;
          netring_set_error_from_errno (error, errsv, "setsockopt(SO_DETACH_FILTER)", NULL);
          return FALSE;
        }
    }
  else if (!_netring_bpf_program_attach (program, self->settings.snap_length, self->fd, SOL_SOCKET,
                                         SO_ATTACH_FILTER, "setsockopt(SO_ATTACH_FILTER)",
                                         error))
    return FALSE;

  if (program != NULL)
    netring_bpf_program_ref (program);
  g_clear_pointer (&self->settings.bpf_program, netring_bpf_program_unref);
  self->settings.bpf_program = program;
  g_free (self->settings.filter);
  self->settings.filter =
    program != NULL ? g_strdup (netring_bpf_program_get_expression (program)) : NULL;
  self->ebpf_filter = FALSE;
  return TRUE;
}

/**
 * netring_capture_set_filter:
 * @self: a capture
 * @expression: (nullable): a pcap filter expression, or %NULL for none
 * @error: return location for a #GError
 *
 * Compiles @expression for the capture's interface and snap length (as
 * #NetringCapture:filter does) and swaps it in atomically with
 * netring_capture_set_bpf_program(): no packet that matches both the old
 * and the new filter is lost, none that matches neither gets through. A bad
 * expression fails with %NETRING_ERROR_INVALID_ARGUMENT and libpcap's
 * message, and leaves the old filter in place.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_capture_set_filter (NetringCapture *self, const gchar *expression, GError **error)
{
  g_autoptr(NetringBpfProgram) program = NULL;

  g_return_val_if_fail (NETRING_IS_CAPTURE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!capture_check_ready (self, error))
    return FALSE;
  if (expression != NULL)
    {
      program = _netring_bpf_program_compile_for_socket (expression, self->fd,
                                                         self->settings.interface,
                                                         self->settings.snap_length, error);
      if (program == NULL)
        return FALSE;
    }
  return netring_capture_set_bpf_program (self, program, error);
}

/**
 * netring_capture_detach_filter:
 * @self: a capture
 * @error: return location for a #GError
 *
 * Removes the capture's filter, classic or eBPF, atomically: from the next
 * packet on everything is captured (still truncated to the snap length).
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_capture_detach_filter (NetringCapture *self, GError **error)
{
  return netring_capture_set_bpf_program (self, NULL, error);
}

/**
 * netring_capture_attach_ebpf_filter:
 * @self: a capture
 * @program_fd: the file descriptor of a loaded `BPF_PROG_TYPE_SOCKET_FILTER`
 *   program
 * @error: return location for a #GError
 *
 * Replaces the capture's filter with an eBPF program (`SO_ATTACH_BPF`),
 * atomically like netring_capture_set_bpf_program(). The program's return
 * value is the number of bytes kept (0 drops the packet), so it decides the
 * captured length itself: #NetringCapture:snap-length is not applied while
 * it is attached. The kernel takes its own reference on the program; the
 * caller keeps @program_fd. netring_capture_detach_filter() removes it.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_capture_attach_ebpf_filter (NetringCapture *self, gint program_fd, GError **error)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!capture_check_ready (self, error))
    return FALSE;
  if (setsockopt (self->fd, SOL_SOCKET, SO_ATTACH_BPF, &program_fd, sizeof program_fd) != 0)
    {
      int errsv = errno;

      if (errsv == EINVAL || errsv == EBADF)
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                     _("Cannot attach eBPF program fd %d: it is not a loaded socket filter "
                       "program: %s"),
                     program_fd, g_strerror (errsv));
      else
        netring_set_error_from_errno (error, errsv, "setsockopt(SO_ATTACH_BPF)",
                                      NETRING_CAP_NET_ADMIN);
      return FALSE;
    }
  g_clear_pointer (&self->settings.bpf_program, netring_bpf_program_unref);
  g_clear_pointer (&self->settings.filter, g_free);
  self->ebpf_filter = TRUE;
  return TRUE;
}

/**
 * netring_capture_attach_ebpf_filter_from_file:
 * @self: a capture
 * @path: (type filename): an eBPF object file (ELF, as built by
 *   `clang -target bpf`)
 * @program_name: the name of the program (its C function) in the file
 * @error: return location for a #GError
 *
 * Loads the program @program_name of @path with libbpf as a socket filter
 * and attaches it like netring_capture_attach_ebpf_filter(). Only that
 * program of the file is loaded; its maps are created with it.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_capture_attach_ebpf_filter_from_file (NetringCapture *self, const gchar *path,
                                              const gchar *program_name, GError **error)
{
  int fd;
  gboolean ok;

  g_return_val_if_fail (NETRING_IS_CAPTURE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (program_name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!capture_check_ready (self, error))
    return FALSE;
  fd = _netring_ebpf_load_socket_filter (path, program_name, error);
  if (fd < 0)
    return FALSE;
  ok = netring_capture_attach_ebpf_filter (self, fd, error);
  close (fd); /* the socket holds the program now */
  return ok;
}
