/* netring-capture.c: AF_PACKET TPACKET_V3 capture */
#include "netring-tpacket-rx-private.h"
#include "netring-bpf-program-private.h"

#include <linux/if_ether.h>
#include <net/if.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_BUSY_POLL
#define SO_BUSY_POLL 46
#endif
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
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

  /* construct-only settings */
  gchar *interface;
  NetringRingProfile profile;
  guint block_size;      /* 0 = from the profile, then the value in use */
  guint block_count;
  guint frame_size;
  gint block_timeout_ms; /* -1 = from the profile */
  gboolean fill_rxhash;
  gboolean promiscuous;
  gboolean ignore_outgoing;
  guint busy_poll_us;
  guint rcvbuf;
  gboolean rcvbuf_force;
  NetringTimestampSource timestamp_source;

  /* filter and fanout (the BPF side is in netring-bpf-program.c) */
  gchar *filter;                 /* the expression of bpf_program, if any */
  NetringBpfProgram *bpf_program; /* the classic filter attached, if any */
  guint snap_length;
  gboolean ebpf_filter;          /* an eBPF filter replaces bpf_program */
  gint fanout_group;             /* -1: none; after init, the id joined */
  NetringFanoutMode fanout_mode;
  NetringFanoutFlags fanout_flags;
  NetringBpfProgram *fanout_program;
  gint fanout_ebpf_fd;

  /* kernel state */
  NetringReadiness readiness;
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
  PROP_INTERFACE,
  PROP_PROFILE,
  PROP_BLOCK_SIZE,
  PROP_BLOCK_COUNT,
  PROP_FRAME_SIZE,
  PROP_BLOCK_TIMEOUT_MS,
  PROP_FILL_RXHASH,
  PROP_PROMISCUOUS,
  PROP_IGNORE_OUTGOING,
  PROP_BUSY_POLL_US,
  PROP_RCVBUF,
  PROP_RCVBUF_FORCE,
  PROP_TIMESTAMP_SOURCE,
  PROP_FILTER,
  PROP_BPF_PROGRAM,
  PROP_SNAP_LENGTH,
  PROP_FANOUT_GROUP,
  PROP_FANOUT_MODE,
  PROP_FANOUT_FLAGS,
  PROP_FANOUT_PROGRAM,
  PROP_FANOUT_EBPF_FD,
  PROP_IFINDEX,
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

typedef struct {
  guint block_size;
  guint block_count;
  guint frame_size;
  gint block_timeout_ms;
} RingGeometry;

static const RingGeometry profile_geometry[] = {
  [NETRING_RING_PROFILE_DEFAULT] = { 1u << 22, 64, 2048, 60 },
  [NETRING_RING_PROFILE_HIGH_THROUGHPUT] = { 1u << 22, 256, 2048, 60 },
  [NETRING_RING_PROFILE_LOW_LATENCY] = { 1u << 18, 64, 2048, 1 },
  [NETRING_RING_PROFILE_LOW_MEMORY] = { 1u << 20, 16, 2048, 100 },
  [NETRING_RING_PROFILE_JUMBO_FRAMES] = { 1u << 22, 64, 65536, 60 },
};

/* ---- reception (the NetringReceiver back end) --------------------------- */

static gboolean
capture_check_ready (NetringCapture *self, GError **error)
{
  return netring_readiness_check (&self->readiness, "NetringCapture", error);
}

static gboolean
capture_refresh_kernel_stats (NetringCapture *self, GError **error)
{
  struct tpacket_stats_v3 st;
  int rc = nr_rx_read_stats (self->fd, &st);

  if (rc < 0)
    {
      netring_set_error_from_errno (error, -rc, "getsockopt(PACKET_STATISTICS)", NULL);
      return FALSE;
    }
  /* the read resets the kernel's counters: keep running 64-bit sums (F5) */
  self->kernel_packets += st.tp_packets;
  self->kernel_drops += st.tp_drops;
  self->kernel_freezes += st.tp_freeze_q_cnt;
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
  int soerr = nr_socket_take_error (self->fd);
  char name[IF_NAMESIZE];

  if (soerr == 0)
    return FALSE;

  if (soerr == ENETDOWN || soerr == ENODEV || soerr == ENXIO)
    {
      if (if_indextoname ((unsigned) self->ifindex, name) == NULL)
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN,
                     _("Interface “%s” was removed while capturing"), self->interface);
      else
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN,
                     _("Interface “%s” went down while capturing: %s"), self->interface,
                     g_strerror (soerr));
    }
  else
    netring_set_error_from_errno (error, soerr, "capture socket", NULL);
  return TRUE;
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
        (void) nr_rx_drop_all (self->fd);
      g_clear_pointer (&self->rx, _netring_tpacket_rx_unref);
    }
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
  self->map = NULL;
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
  iface->close = capture_close;
}

/* ---- set-up ------------------------------------------------------------- */

static gboolean
is_power_of_two (guint v)
{
  return v != 0 && (v & (v - 1)) == 0;
}

static gboolean
capture_validate (NetringCapture *self, GError **error)
{
  const RingGeometry *geometry;
  long page_size = sysconf (_SC_PAGESIZE);

  if ((guint) self->profile >= G_N_ELEMENTS (profile_geometry))
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “profile” %d: use a NetringRingProfile value"), self->profile);
      return FALSE;
    }
  geometry = &profile_geometry[self->profile];
  if (self->block_size == 0)
    self->block_size = geometry->block_size;
  if (self->block_count == 0)
    self->block_count = geometry->block_count;
  if (self->frame_size == 0)
    self->frame_size = geometry->frame_size;
  if (self->block_timeout_ms < 0)
    self->block_timeout_ms = geometry->block_timeout_ms;

  if (!is_power_of_two (self->block_size) || self->block_size % page_size != 0)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “block-size” %u: it must be a power of two and a multiple of "
                     "the page size (%ld)"),
                   self->block_size, page_size);
      return FALSE;
    }
  if (self->frame_size % TPACKET_ALIGNMENT != 0 || self->frame_size < TPACKET3_HDRLEN)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “frame-size” %u: it must be a multiple of %d and at least %d "
                     "(the packet header)"),
                   self->frame_size, TPACKET_ALIGNMENT, (int) TPACKET3_HDRLEN);
      return FALSE;
    }
  if (self->frame_size > self->block_size)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “frame-size” %u: it must not exceed “block-size” (%u)"),
                   self->frame_size, self->block_size);
      return FALSE;
    }
  if (self->block_count == 0 || (guint64) self->block_count * self->block_size > G_MAXSSIZE ||
      (guint64) (self->block_size / self->frame_size) * self->block_count > G_MAXUINT32)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “block-count” %u: it must be at least 1 and the ring "
                     "(block-count × block-size) must fit in memory"),
                   self->block_count);
      return FALSE;
    }
  if (self->busy_poll_us > G_MAXINT)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “busy-poll-us” %u: it must be at most %d"), self->busy_poll_us,
                   G_MAXINT);
      return FALSE;
    }
  if (self->rcvbuf > G_MAXINT / 2)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “rcvbuf” %u: it must be at most %d"), self->rcvbuf, G_MAXINT / 2);
      return FALSE;
    }
  if (self->rcvbuf_force && self->rcvbuf == 0)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("“rcvbuf-force” needs “rcvbuf” to be set to a size"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
set_int_option (int fd, int level, int name, int value, const char *what, const char *capability,
                GError **error)
{
  if (setsockopt (fd, level, name, &value, sizeof value) != 0)
    {
      int errsv = errno;
      netring_set_error_from_errno (error, errsv, what, capability);
      return FALSE;
    }
  return TRUE;
}

/* Checks the filter and fanout settings and compiles #NetringCapture:filter,
 * before any ring memory is allocated. */
static gboolean
capture_prepare_filter (NetringCapture *self, GError **error)
{
  gboolean fanout = self->fanout_group >= 0 || (self->fanout_flags & NETRING_FANOUT_FLAGS_UNIQUE_ID);

  if (self->filter != NULL && self->bpf_program != NULL)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("Set either “filter” or “bpf-program”, not both"));
      return FALSE;
    }
  if (!fanout && (self->fanout_mode != NETRING_FANOUT_MODE_HASH || self->fanout_flags != 0 ||
                  self->fanout_program != NULL || self->fanout_ebpf_fd >= 0))
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("The fanout settings need “fanout-group” (or the unique-id "
                             "fanout flag) to join a fanout group"));
      return FALSE;
    }
  if ((self->fanout_flags & NETRING_FANOUT_FLAGS_UNIQUE_ID) && self->fanout_group > 0)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “fanout-group” %d: with the unique-id fanout flag the kernel "
                     "chooses the id, so it must be 0 or -1"),
                   self->fanout_group);
      return FALSE;
    }
  if ((self->fanout_mode == NETRING_FANOUT_MODE_CBPF) != (self->fanout_program != NULL))
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("“fanout-program” is required with the cbpf fanout mode and "
                             "only allowed with it"));
      return FALSE;
    }
  if ((self->fanout_mode == NETRING_FANOUT_MODE_EBPF) != (self->fanout_ebpf_fd >= 0))
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("“fanout-ebpf-fd” is required with the ebpf fanout mode and "
                             "only allowed with it"));
      return FALSE;
    }
  if ((guint) self->fanout_mode > NETRING_FANOUT_MODE_EBPF)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “fanout-mode” %d: use a NetringFanoutMode value"),
                   self->fanout_mode);
      return FALSE;
    }
  if (self->filter == NULL && self->bpf_program != NULL)
    self->filter = g_strdup (netring_bpf_program_get_expression (self->bpf_program));
  else if (self->filter != NULL)
    {
      self->bpf_program = _netring_bpf_program_compile_for_interface (self->filter,
                                                                     self->interface,
                                                                     self->snap_length, error);
      if (self->bpf_program == NULL)
        return FALSE;
    }
  return TRUE;
}

/* PACKET_FANOUT: id | (mode | flags) << 16 (section 4.7), then the steering
 * program. Reads back the group id the kernel used. */
static gboolean
capture_join_fanout (NetringCapture *self, GError **error)
{
  int arg, value = 0;
  socklen_t len = sizeof value;

  if (self->fanout_group < 0 && !(self->fanout_flags & NETRING_FANOUT_FLAGS_UNIQUE_ID))
    return TRUE;
  arg = MAX (self->fanout_group, 0) | (int) ((self->fanout_mode | self->fanout_flags) << 16);
  if (setsockopt (self->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0)
    {
      int errsv = errno;

      if (errsv == EINVAL || errsv == EEXIST)
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                     _("Cannot join fanout group %d on “%s”: the group exists with another "
                       "mode or flags or on another interface, or the settings are invalid: %s"),
                     MAX (self->fanout_group, 0), self->interface, g_strerror (errsv));
      else
        netring_set_error_from_errno (error, errsv, "setsockopt(PACKET_FANOUT)", NULL);
      return FALSE;
    }
  if (getsockopt (self->fd, SOL_PACKET, PACKET_FANOUT, &value, &len) == 0)
    self->fanout_group = value & 0xffff;

  if (self->fanout_mode == NETRING_FANOUT_MODE_CBPF)
    return _netring_bpf_program_attach (self->fanout_program, 0, self->fd, SOL_PACKET,
                                        PACKET_FANOUT_DATA, "setsockopt(PACKET_FANOUT_DATA)",
                                        error);
  if (self->fanout_mode == NETRING_FANOUT_MODE_EBPF &&
      !set_int_option (self->fd, SOL_PACKET, PACKET_FANOUT_DATA, self->fanout_ebpf_fd,
                       "setsockopt(PACKET_FANOUT_DATA)", NETRING_CAP_NET_ADMIN, error))
    return FALSE;
  return TRUE;
}

/* One attempt at the socket + ring with @block_count blocks. On failure the
 * fd is closed; *ring_enomem tells whether a smaller ring could work. */
static gboolean
capture_open_ring (NetringCapture *self, guint block_count, gboolean *ring_enomem,
                   GError **error)
{
  struct tpacket_req3 req;
  int fd;
  int errsv;

  *ring_enomem = FALSE;
  fd = nr_afpacket_socket ();
  if (fd < 0)
    {
      errsv = errno;
      netring_set_error_from_errno (error, errsv, "socket(AF_PACKET)", NETRING_CAP_NET_RAW);
      return FALSE;
    }
  if (!set_int_option (fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3, "setsockopt(PACKET_VERSION)",
                       NULL, error))
    goto fail;

  memset (&req, 0, sizeof req);
  req.tp_block_size = self->block_size;
  req.tp_block_nr = block_count;
  req.tp_frame_size = self->frame_size;
  req.tp_frame_nr = (self->block_size / self->frame_size) * block_count;
  req.tp_retire_blk_tov = (unsigned) self->block_timeout_ms;
  req.tp_feature_req_word = self->fill_rxhash ? TP_FT_REQ_FILL_RXHASH : 0;
  if (setsockopt (fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0)
    {
      errsv = errno;
      *ring_enomem = errsv == ENOMEM;
      netring_set_error_from_errno (error, errsv, "setsockopt(PACKET_RX_RING)", NULL);
      goto fail;
    }

  self->map_length = (gsize) self->block_size * block_count;
  self->map = nr_afpacket_mmap_ring (fd, self->map_length, &self->map_locked);
  if (self->map == MAP_FAILED)
    {
      errsv = errno;
      self->map = NULL;
      *ring_enomem = errsv == ENOMEM;
      netring_set_error_from_errno (error, errsv, "mmap(ring)", NULL);
      goto fail;
    }
  self->fd = fd;
  self->block_count = block_count;
  return TRUE;

fail:
  close (fd);
  return FALSE;
}

static gboolean
capture_init (NetringCapture *self, GError **error)
{
  guint block_count;
  guint min_blocks;

  /* Interface first, so "no such interface" is reported even without
   * privileges, before anything needs CAP_NET_RAW. */
  self->ifindex = netring_interface_index (self->interface, error);
  if (self->ifindex == 0)
    return FALSE;
  if (!capture_validate (self, error))
    return FALSE;
  if (!capture_prepare_filter (self, error))
    return FALSE;

  /* The kernel may refuse a big ring for lack of memory: retry with 3/4 of
   * the blocks each time, down to a quarter of what was asked for. The
   * block-count property then reports what was obtained. */
  block_count = self->block_count;
  min_blocks = MAX (block_count / 4, 1);
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      gboolean enomem;

      if (capture_open_ring (self, block_count, &enomem, &local_error))
        break;
      if (!enomem || block_count <= min_blocks)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_debug ("%s: ring of %u blocks refused (%s); retrying smaller", self->interface,
               block_count, local_error->message);
      block_count = MAX (block_count * 3 / 4, min_blocks);
    }
  self->rx = _netring_tpacket_rx_new (self->map, self->map_length, self->block_size,
                                     self->block_count);

  /* The filter (with the snap length) before bind, so that it applies from
   * the first packet. */
  if (!_netring_bpf_program_attach (self->bpf_program, self->snap_length, self->fd, SOL_SOCKET,
                                    SO_ATTACH_FILTER, "setsockopt(SO_ATTACH_FILTER)", error))
    return FALSE;

  /* Bind last (F6): until now the socket (protocol 0) received nothing, so
   * the ring holds only this interface's frames from the first one on. */
  if (nr_afpacket_bind (self->fd, self->ifindex, ETH_P_ALL) != 0)
    {
      int errsv = errno;
      netring_set_error_from_errno (error, errsv, "bind(AF_PACKET)", NULL);
      return FALSE;
    }

  if (self->promiscuous)
    {
      struct packet_mreq mreq = { 0 };

      mreq.mr_ifindex = self->ifindex;
      mreq.mr_type = PACKET_MR_PROMISC;
      if (setsockopt (self->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
        {
          int errsv = errno;
          netring_set_error_from_errno (error, errsv, "setsockopt(PACKET_ADD_MEMBERSHIP)",
                                        NETRING_CAP_NET_RAW);
          return FALSE;
        }
    }
  if (self->ignore_outgoing &&
      !set_int_option (self->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1,
                       "setsockopt(PACKET_IGNORE_OUTGOING)", NULL, error))
    return FALSE;
  if (self->busy_poll_us > 0 &&
      !set_int_option (self->fd, SOL_SOCKET, SO_BUSY_POLL, (int) self->busy_poll_us,
                       "setsockopt(SO_BUSY_POLL)", NETRING_CAP_NET_ADMIN, error))
    return FALSE;
  if (self->rcvbuf > 0 &&
      !set_int_option (self->fd, SOL_SOCKET, self->rcvbuf_force ? SO_RCVBUFFORCE : SO_RCVBUF,
                       (int) self->rcvbuf,
                       self->rcvbuf_force ? "setsockopt(SO_RCVBUFFORCE)" : "setsockopt(SO_RCVBUF)",
                       NETRING_CAP_NET_ADMIN, error))
    return FALSE;
  if (self->timestamp_source != NETRING_TIMESTAMP_SOURCE_SOFTWARE &&
      !set_int_option (self->fd, SOL_PACKET, PACKET_TIMESTAMP,
                       nr_timestamp_flags (self->timestamp_source),
                       "setsockopt(PACKET_TIMESTAMP)", NULL, error))
    return FALSE;
  /* The kernel only lets a bound socket join a fanout group. */
  if (!capture_join_fanout (self, error))
    return FALSE;

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
  self->block_timeout_ms = -1;
  self->fanout_group = -1;
  self->fanout_ebpf_fd = -1;
  self->fill_rxhash = TRUE;
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
  g_free (self->interface);
  g_free (self->filter);
  g_clear_pointer (&self->bpf_program, netring_bpf_program_unref);
  g_clear_pointer (&self->fanout_program, netring_bpf_program_unref);
  G_OBJECT_CLASS (netring_capture_parent_class)->finalize (object);
}

static void
netring_capture_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  NetringCapture *self = NETRING_CAPTURE (object);

  switch (prop_id)
    {
    case PROP_INTERFACE:
      g_value_set_string (value, self->interface);
      break;
    case PROP_PROFILE:
      g_value_set_enum (value, self->profile);
      break;
    case PROP_BLOCK_SIZE:
      g_value_set_uint (value, self->block_size);
      break;
    case PROP_BLOCK_COUNT:
      g_value_set_uint (value, self->block_count);
      break;
    case PROP_FRAME_SIZE:
      g_value_set_uint (value, self->frame_size);
      break;
    case PROP_BLOCK_TIMEOUT_MS:
      g_value_set_int (value, self->block_timeout_ms);
      break;
    case PROP_FILL_RXHASH:
      g_value_set_boolean (value, self->fill_rxhash);
      break;
    case PROP_PROMISCUOUS:
      g_value_set_boolean (value, self->promiscuous);
      break;
    case PROP_IGNORE_OUTGOING:
      g_value_set_boolean (value, self->ignore_outgoing);
      break;
    case PROP_BUSY_POLL_US:
      g_value_set_uint (value, netring_capture_get_busy_poll_us (self));
      break;
    case PROP_RCVBUF:
      g_value_set_uint (value, self->rcvbuf);
      break;
    case PROP_RCVBUF_FORCE:
      g_value_set_boolean (value, self->rcvbuf_force);
      break;
    case PROP_TIMESTAMP_SOURCE:
      g_value_set_enum (value, self->timestamp_source);
      break;
    case PROP_FILTER:
      g_value_set_string (value, netring_capture_get_filter (self));
      break;
    case PROP_BPF_PROGRAM:
      g_value_set_boxed (value, self->ebpf_filter ? NULL : self->bpf_program);
      break;
    case PROP_SNAP_LENGTH:
      g_value_set_uint (value, self->snap_length);
      break;
    case PROP_FANOUT_GROUP:
      g_value_set_int (value, self->fanout_group);
      break;
    case PROP_FANOUT_MODE:
      g_value_set_enum (value, self->fanout_mode);
      break;
    case PROP_FANOUT_FLAGS:
      g_value_set_flags (value, self->fanout_flags);
      break;
    case PROP_FANOUT_PROGRAM:
      g_value_set_boxed (value, self->fanout_program);
      break;
    case PROP_FANOUT_EBPF_FD:
      g_value_set_int (value, self->fanout_ebpf_fd);
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
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_capture_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  NetringCapture *self = NETRING_CAPTURE (object);

  switch (prop_id)
    {
    case PROP_INTERFACE:
      g_free (self->interface);
      self->interface = g_value_dup_string (value);
      break;
    case PROP_PROFILE:
      self->profile = g_value_get_enum (value);
      break;
    case PROP_BLOCK_SIZE:
      self->block_size = g_value_get_uint (value);
      break;
    case PROP_BLOCK_COUNT:
      self->block_count = g_value_get_uint (value);
      break;
    case PROP_FRAME_SIZE:
      self->frame_size = g_value_get_uint (value);
      break;
    case PROP_BLOCK_TIMEOUT_MS:
      self->block_timeout_ms = g_value_get_int (value);
      break;
    case PROP_FILL_RXHASH:
      self->fill_rxhash = g_value_get_boolean (value);
      break;
    case PROP_PROMISCUOUS:
      self->promiscuous = g_value_get_boolean (value);
      break;
    case PROP_IGNORE_OUTGOING:
      self->ignore_outgoing = g_value_get_boolean (value);
      break;
    case PROP_BUSY_POLL_US:
      self->busy_poll_us = g_value_get_uint (value);
      break;
    case PROP_RCVBUF:
      self->rcvbuf = g_value_get_uint (value);
      break;
    case PROP_RCVBUF_FORCE:
      self->rcvbuf_force = g_value_get_boolean (value);
      break;
    case PROP_TIMESTAMP_SOURCE:
      self->timestamp_source = g_value_get_enum (value);
      break;
    case PROP_FILTER:
      g_free (self->filter);
      self->filter = g_value_dup_string (value);
      break;
    case PROP_BPF_PROGRAM:
      g_clear_pointer (&self->bpf_program, netring_bpf_program_unref);
      self->bpf_program = g_value_dup_boxed (value);
      break;
    case PROP_SNAP_LENGTH:
      self->snap_length = g_value_get_uint (value);
      break;
    case PROP_FANOUT_GROUP:
      self->fanout_group = g_value_get_int (value);
      break;
    case PROP_FANOUT_MODE:
      self->fanout_mode = g_value_get_enum (value);
      break;
    case PROP_FANOUT_FLAGS:
      self->fanout_flags = g_value_get_flags (value);
      break;
    case PROP_FANOUT_PROGRAM:
      g_clear_pointer (&self->fanout_program, netring_bpf_program_unref);
      self->fanout_program = g_value_dup_boxed (value);
      break;
    case PROP_FANOUT_EBPF_FD:
      self->fanout_ebpf_fd = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_capture_class_init (NetringCaptureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  netring_i18n_init ();

  object_class->dispose = netring_capture_dispose;
  object_class->finalize = netring_capture_finalize;
  object_class->get_property = netring_capture_get_property;
  object_class->set_property = netring_capture_set_property;

  /**
   * NetringCapture:interface: (getter get_interface)
   *
   * Name of the network interface to capture on. Required.
   */
  properties[PROP_INTERFACE] = g_param_spec_string ("interface", NULL, NULL, NULL, construct);

  /**
   * NetringCapture:profile:
   *
   * Ring geometry preset; explicitly set geometry properties override it.
   */
  properties[PROP_PROFILE] =
    g_param_spec_enum ("profile", NULL, NULL, NETRING_TYPE_RING_PROFILE,
                       NETRING_RING_PROFILE_DEFAULT, construct);

  /**
   * NetringCapture:block-size: (getter get_block_size)
   *
   * Bytes per ring block: a power of two and a multiple of the page size.
   * 0 (the default) takes the profile's value; after init it reads back the
   * value in use.
   */
  properties[PROP_BLOCK_SIZE] =
    g_param_spec_uint ("block-size", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringCapture:block-count: (getter get_block_count)
   *
   * Number of ring blocks, at least 1; 0 takes the profile's value. If the
   * kernel cannot allocate the ring, init retries with 3/4 of the blocks down
   * to a quarter; after init this reads back the count obtained.
   */
  properties[PROP_BLOCK_COUNT] =
    g_param_spec_uint ("block-count", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringCapture:frame-size: (getter get_frame_size)
   *
   * The ring's nominal frame size: a multiple of 16, at least 68, at most
   * the block size; 0 takes the profile's value. Under TPACKET_V3 it does
   * not limit how much of a packet is captured (packets are packed into
   * blocks whatever their size).
   */
  properties[PROP_FRAME_SIZE] =
    g_param_spec_uint ("frame-size", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringCapture:block-timeout-ms: (getter get_block_timeout_ms)
   *
   * How long the kernel fills a block before handing it over partly full, in
   * milliseconds; -1 (the default) takes the profile's value. 0 does not
   * mean "never": the kernel then picks its own timeout (about 8 ms).
   */
  properties[PROP_BLOCK_TIMEOUT_MS] =
    g_param_spec_int ("block-timeout-ms", NULL, NULL, -1, G_MAXINT, -1, construct);

  /**
   * NetringCapture:fill-rxhash:
   *
   * Ask the kernel to fill each packet's receive hash.
   */
  properties[PROP_FILL_RXHASH] =
    g_param_spec_boolean ("fill-rxhash", NULL, NULL, TRUE, construct);

  /**
   * NetringCapture:promiscuous:
   *
   * Put the interface in promiscuous mode for as long as the capture lives
   * (the kernel counts users and restores it when the socket closes).
   */
  properties[PROP_PROMISCUOUS] =
    g_param_spec_boolean ("promiscuous", NULL, NULL, FALSE, construct);

  /**
   * NetringCapture:ignore-outgoing:
   *
   * Do not capture packets this host sends (PACKET_IGNORE_OUTGOING).
   */
  properties[PROP_IGNORE_OUTGOING] =
    g_param_spec_boolean ("ignore-outgoing", NULL, NULL, FALSE, construct);

  /**
   * NetringCapture:busy-poll-us: (getter get_busy_poll_us)
   *
   * Busy-poll the device for this many microseconds when waiting
   * (SO_BUSY_POLL); 0 turns it off. After init it reads back the value the
   * kernel has for the socket. Pairs with %NETRING_RING_PROFILE_LOW_LATENCY.
   */
  properties[PROP_BUSY_POLL_US] =
    g_param_spec_uint ("busy-poll-us", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringCapture:rcvbuf:
   *
   * Socket receive buffer size in bytes (SO_RCVBUF), 0 to leave it alone.
   * It does not change the ring's capacity.
   */
  properties[PROP_RCVBUF] = g_param_spec_uint ("rcvbuf", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringCapture:rcvbuf-force:
   *
   * Set #NetringCapture:rcvbuf with SO_RCVBUFFORCE, beyond the system limit
   * (needs CAP_NET_ADMIN).
   */
  properties[PROP_RCVBUF_FORCE] =
    g_param_spec_boolean ("rcvbuf-force", NULL, NULL, FALSE, construct);

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
  properties[PROP_TIMESTAMP_SOURCE] =
    g_param_spec_enum ("timestamp-source", NULL, NULL, NETRING_TYPE_TIMESTAMP_SOURCE,
                       NETRING_TIMESTAMP_SOURCE_SOFTWARE, construct);

  /**
   * NetringCapture:filter: (getter get_filter)
   *
   * A pcap filter expression (pcap-filter(7)), such as
   * `"udp port 53 and not vlan"`: only matching packets reach the ring, from
   * the first one on. It is compiled by libpcap for the interface's link
   * type, with the kernel's VLAN metadata for `vlan`, and attached before the
   * socket is bound. A bad expression makes init fail with
   * %NETRING_ERROR_INVALID_ARGUMENT and libpcap's message. Change it on a
   * running capture with netring_capture_set_filter(). Not together with
   * #NetringCapture:bpf-program.
   */
  properties[PROP_FILTER] = g_param_spec_string ("filter", NULL, NULL, NULL, construct);

  /**
   * NetringCapture:bpf-program:
   *
   * A classic BPF program to filter with, attached before the socket is
   * bound. Not together with #NetringCapture:filter (which reads back as
   * the program compiled from the expression).
   */
  properties[PROP_BPF_PROGRAM] =
    g_param_spec_boxed ("bpf-program", NULL, NULL, NETRING_TYPE_BPF_PROGRAM, construct);

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
  properties[PROP_SNAP_LENGTH] =
    g_param_spec_uint ("snap-length", NULL, NULL, 0, G_MAXUINT, 0, construct);

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
  properties[PROP_FANOUT_GROUP] =
    g_param_spec_int ("fanout-group", NULL, NULL, -1, 65535, -1, construct);

  /**
   * NetringCapture:fanout-mode:
   *
   * How the kernel chooses a member of the fanout group.
   */
  properties[PROP_FANOUT_MODE] =
    g_param_spec_enum ("fanout-mode", NULL, NULL, NETRING_TYPE_FANOUT_MODE,
                       NETRING_FANOUT_MODE_HASH, construct);

  /**
   * NetringCapture:fanout-flags:
   *
   * Fanout options, OR'd into the mode as the kernel expects.
   */
  properties[PROP_FANOUT_FLAGS] =
    g_param_spec_flags ("fanout-flags", NULL, NULL, NETRING_TYPE_FANOUT_FLAGS,
                        NETRING_FANOUT_FLAGS_NONE, construct);

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
  properties[PROP_FANOUT_PROGRAM] =
    g_param_spec_boxed ("fanout-program", NULL, NULL, NETRING_TYPE_BPF_PROGRAM, construct);

  /**
   * NetringCapture:fanout-ebpf-fd:
   *
   * With %NETRING_FANOUT_MODE_EBPF, the file descriptor of a loaded
   * `BPF_PROG_TYPE_SOCKET_FILTER` program that returns the member index.
   * The kernel takes its own reference: the caller keeps the fd.
   */
  properties[PROP_FANOUT_EBPF_FD] =
    g_param_spec_int ("fanout-ebpf-fd", NULL, NULL, -1, G_MAXINT, -1, construct);

  /**
   * NetringCapture:ifindex: (getter get_ifindex)
   *
   * Index of the interface, known after init.
   */
  properties[PROP_IFINDEX] = g_param_spec_int ("ifindex", NULL, NULL, 0, G_MAXINT, 0, readable);

  /**
   * NetringCapture:fd: (getter get_fd)
   *
   * The AF_PACKET socket, -1 before init. It stays owned by the capture.
   */
  properties[PROP_FD] = g_param_spec_int ("fd", NULL, NULL, -1, G_MAXINT, -1, readable);

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
  return self->interface;
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
  return self->block_size;
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
  return self->block_count;
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
  return self->frame_size;
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
  return self->snap_length;
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
  return self->ebpf_filter ? NULL : self->filter;
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
  return self->fanout_group;
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
  return self->busy_poll_us;
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
  if (program == NULL && self->snap_length == 0)
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
  else if (!_netring_bpf_program_attach (program, self->snap_length, self->fd, SOL_SOCKET,
                                         SO_ATTACH_FILTER, "setsockopt(SO_ATTACH_FILTER)",
                                         error))
    return FALSE;

  if (program != NULL)
    netring_bpf_program_ref (program);
  g_clear_pointer (&self->bpf_program, netring_bpf_program_unref);
  self->bpf_program = program;
  g_free (self->filter);
  self->filter = program != NULL ? g_strdup (netring_bpf_program_get_expression (program)) : NULL;
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
      program = _netring_bpf_program_compile_for_interface (expression, self->interface,
                                                            self->snap_length, error);
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
  g_clear_pointer (&self->bpf_program, netring_bpf_program_unref);
  g_clear_pointer (&self->filter, g_free);
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
