/* netring-capture.c: AF_PACKET TPACKET_V3 capture */
#include "netring-capture-private.h"
#include "netring-afpacket-private.h"
#include "netring-bpf-program-private.h"
#include "netring-capture-settings-private.h"

#include <linux/if_ether.h>
#include <net/if.h>
#include <poll.h>
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
 * @see_also: #NetringBatch, #NetringPacket, #NetringCaptureStats
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
 * There are three ways to receive, all of them in a #GMainContext:
 *
 * - a source: netring_capture_create_source() dispatches a #NetringBatchFunc
 *   for every ready block; netring_capture_start() attaches such a source to
 *   the thread-default main context and emits #NetringCapture::batch (and
 *   #NetringCapture::packet when it has handlers) until
 *   netring_capture_stop();
 * - one batch at a time: netring_capture_next_batch_async();
 * - owned copies: netring_capture_receive_async().
 *
 * The synchronous netring_capture_next_batch() and
 * netring_capture_next_batch_timeout() are what they are built on.
 *
 * The source only polls the socket when the next block is not ready yet, so
 * a busy ring is drained without system calls; it drains a bounded number of
 * blocks per dispatch so one busy capture cannot starve the rest of the main
 * loop. When the interface goes down or is removed, the source ends with a
 * %NETRING_ERROR_INTERFACE_DOWN error instead of spinning.
 *
 * Threads: a capture is used from one thread at a time; different captures
 * may live in different threads. Batches and packets may be released from any
 * thread.
 */

/* Blocks handed out per dispatch before the main loop gets to run other
 * sources; a 4 MiB block holds ~25,000 small packets, so this is plenty. */
#define BATCHES_PER_DISPATCH 8

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
  gboolean initialized;
  int fd;
  int ifindex;
  guint8 *map;
  gsize map_length;
  gboolean map_locked;
  NrRxRing ring;

  /* statistics: kernel totals accumulated in 64 bits, our own counters, and
   * the snapshot the last get_stats() delta was taken against */
  guint64 kernel_packets;
  guint64 kernel_drops;
  guint64 kernel_freezes;
  guint64 received;
  guint64 batches;
  guint64 lost_blocks;
  gint held_batches;  /* atomic: released from any thread */
  gint64 held_packets; /* under wait_lock */
  NetringCaptureStats last_delta_base;

  /* sources waiting for a held block to come back: a release from another
   * thread must wake their main context */
  GMutex wait_lock;
  GPtrArray *waiting_sources;

  /* netring_capture_start() */
  GSource *run_source;
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

enum {
  SIGNAL_BATCH,
  SIGNAL_PACKET,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void netring_capture_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetringCapture, netring_capture, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      netring_capture_initable_iface_init))

/* How often to look at the ring while poll() cannot be used (the user holds
 * the block the kernel retired last, so the kernel reports POLLIN for ever):
 * a partly filled block is retired one block timeout after its first packet
 * (0 = the kernel's default, about 8 ms), but a full one can come any time,
 * so never wait longer than 10 ms. */
static gint
capture_recheck_ms (NetringCapture *self)
{
  gint tov = self->block_timeout_ms == 0 ? 8 : self->block_timeout_ms;

  return CLAMP (tov, 1, 10);
}

/* ---- sources ------------------------------------------------------------ */

typedef struct {
  GSource source;
  NetringCapture *capture; /* strong, except for the start() source */
  gboolean owns_capture;
  GCancellable *cancellable;
  gpointer fd_tag;
  gushort events;
  gboolean fd_failed;
  gboolean dispatching; /* the source can recurse; this keeps it from doing so */
  gboolean waiting; /* registered in capture->waiting_sources */
  GMainContext *wake_context;
  GTask *task; /* set for the one-shot sources of the async calls */
} CaptureSource;

static void
capture_source_set_waiting (CaptureSource *cs, gboolean waiting)
{
  NetringCapture *self = cs->capture;

  if (cs->waiting == waiting)
    return;
  g_mutex_lock (&self->wait_lock);
  if (waiting)
    {
      if (cs->wake_context == NULL)
        cs->wake_context = g_main_context_ref (g_source_get_context ((GSource *) cs));
      g_ptr_array_add (self->waiting_sources, cs);
    }
  else
    g_ptr_array_remove_fast (self->waiting_sources, cs);
  cs->waiting = waiting;
  g_mutex_unlock (&self->wait_lock);
}

static void
capture_source_poll_for (CaptureSource *cs, gushort events)
{
  if (cs->events != events)
    {
      g_source_modify_unix_fd ((GSource *) cs, cs->fd_tag, events);
      cs->events = events;
    }
}

static gboolean
capture_source_prepare (GSource *source, gint *timeout)
{
  CaptureSource *cs = (CaptureSource *) source;
  NetringCapture *self = cs->capture;

  *timeout = -1;
  if (cs->dispatching)
    {
      /* a nested main loop inside our callback: not ready, and not polled
       * for data (which would make that loop spin) */
      capture_source_poll_for (cs, G_IO_ERR | G_IO_HUP);
      return FALSE;
    }
  switch (nr_rx_ring_peek (&self->ring))
    {
    case NR_RX_READY:
      capture_source_set_waiting (cs, FALSE);
      return TRUE;

    case NR_RX_HELD:
      /* The next block is still in a batch the user holds: nothing can
       * arrive until it is released, and the release wakes us. poll() is
       * kept only for errors (GLib skips an fd with no events at all). */
      capture_source_set_waiting (cs, TRUE);
      capture_source_poll_for (cs, G_IO_ERR | G_IO_HUP);
      return FALSE;

    case NR_RX_EMPTY:
    default:
      capture_source_set_waiting (cs, FALSE);
      if (nr_rx_ring_previous_held (&self->ring))
        {
          /* The kernel reports POLLIN while the block it retired last is
           * user-owned, so poll() would spin. The block being filled is
           * retired at the latest one block timeout after its first packet:
           * check the ring at that period instead. */
          capture_source_poll_for (cs, G_IO_ERR | G_IO_HUP);
          *timeout = capture_recheck_ms (self);
        }
      else
        capture_source_poll_for (cs, G_IO_IN | G_IO_ERR | G_IO_HUP);
      return FALSE;
    }
}

static gboolean
capture_source_check (GSource *source)
{
  CaptureSource *cs = (CaptureSource *) source;
  GIOCondition revents = g_source_query_unix_fd (source, cs->fd_tag);

  if (cs->dispatching)
    return FALSE;
  if (revents & (G_IO_ERR | G_IO_HUP | G_IO_NVAL))
    cs->fd_failed = TRUE;
  if (cs->cancellable != NULL && g_cancellable_is_cancelled (cs->cancellable))
    return TRUE;
  return cs->fd_failed || nr_rx_ring_peek (&cs->capture->ring) == NR_RX_READY;
}

static NetringBatch *capture_take_batch (NetringCapture *self);
static gboolean capture_fd_error (NetringCapture *self, GError **error);
static void capture_task_return_batch (GTask *task, NetringBatch *batch);

/* The one-shot source of an async call: returns the task exactly once. */
static gboolean
capture_source_dispatch_task (CaptureSource *cs)
{
  NetringCapture *self = cs->capture;
  NetringBatch *batch = capture_take_batch (self);
  GError *error = NULL;

  if (batch != NULL)
    {
      capture_task_return_batch (cs->task, batch);
      return G_SOURCE_REMOVE;
    }
  if (cs->cancellable != NULL && g_cancellable_set_error_if_cancelled (cs->cancellable, &error))
    {
      g_task_return_error (cs->task, error);
      return G_SOURCE_REMOVE;
    }
  if (cs->fd_failed)
    {
      cs->fd_failed = FALSE;
      if (capture_fd_error (self, &error))
        {
          g_task_return_error (cs->task, error);
          return G_SOURCE_REMOVE;
        }
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
capture_source_dispatch_batches (GSource *source, GSourceFunc callback, gpointer user_data)
{
  CaptureSource *cs = (CaptureSource *) source;
  NetringBatchFunc func = (NetringBatchFunc) (gpointer) callback;
  g_autoptr(NetringCapture) self = g_object_ref (cs->capture);
  g_autoptr(GError) error = NULL;
  guint i;

  if (cs->task != NULL)
    return capture_source_dispatch_task (cs);
  if (func == NULL)
    {
      g_warning ("NetringCapture source dispatched without a callback; "
                 "call g_source_set_callback() before attaching it");
      return G_SOURCE_REMOVE;
    }

  for (i = 0; i < BATCHES_PER_DISPATCH; i++)
    {
      g_autoptr(NetringBatch) batch = capture_take_batch (self);

      if (batch == NULL)
        break;
      if (!func (self, batch, NULL, user_data))
        return G_SOURCE_REMOVE;
      if (g_source_is_destroyed (source))
        return G_SOURCE_REMOVE;
    }
  if (i == BATCHES_PER_DISPATCH)
    return G_SOURCE_CONTINUE; /* more may be ready: come back after others ran */

  if (cs->cancellable != NULL &&
      g_cancellable_set_error_if_cancelled (cs->cancellable, &error))
    {
      func (self, NULL, error, user_data);
      return G_SOURCE_REMOVE;
    }

  if (cs->fd_failed)
    {
      cs->fd_failed = FALSE;
      if (capture_fd_error (self, &error))
        {
          func (self, NULL, error, user_data);
          return G_SOURCE_REMOVE;
        }
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
capture_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  CaptureSource *cs = (CaptureSource *) source;
  gboolean keep;

  cs->dispatching = TRUE;
  keep = capture_source_dispatch_batches (source, callback, user_data);
  cs->dispatching = FALSE;
  return keep;
}

static void
capture_source_finalize (GSource *source)
{
  CaptureSource *cs = (CaptureSource *) source;

  capture_source_set_waiting (cs, FALSE);
  g_clear_pointer (&cs->wake_context, g_main_context_unref);
  g_clear_object (&cs->cancellable);
  g_clear_object (&cs->task);
  if (cs->owns_capture)
    g_clear_object (&cs->capture);
}

static GSourceFuncs capture_source_funcs = {
  capture_source_prepare,
  capture_source_check,
  capture_source_dispatch,
  capture_source_finalize,
  NULL,
  NULL,
};

static GSource *
capture_source_new (NetringCapture *self, GCancellable *cancellable, gboolean owns_capture)
{
  GSource *source = g_source_new (&capture_source_funcs, sizeof (CaptureSource));
  CaptureSource *cs = (CaptureSource *) source;

  g_source_set_static_name (source, "NetringCapture");
  /* GLib takes a non-recursive source's fds out of the poll set around each
   * dispatch and puts them back after, which costs four system calls per
   * batch (two eventfd writes, a poll and a read). The source guards
   * against recursion itself instead (cs->dispatching). */
  g_source_set_can_recurse (source, TRUE);
  cs->capture = owns_capture ? g_object_ref (self) : self;
  cs->owns_capture = owns_capture;
  cs->events = G_IO_IN | G_IO_ERR | G_IO_HUP;
  cs->fd_tag = g_source_add_unix_fd (source, self->fd, cs->events);
  if (cancellable != NULL)
    {
      g_autoptr(GSource) cancel_source = g_cancellable_source_new (cancellable);

      cs->cancellable = g_object_ref (cancellable);
      /* Cancellation wakes the parent; its dispatch reports the error. */
      g_source_set_dummy_callback (cancel_source);
      g_source_add_child_source (source, cancel_source);
    }
  return source;
}

/* ---- ring --------------------------------------------------------------- */

static void
capture_refresh_kernel_stats (NetringCapture *self, GError **error)
{
  NrAfpacketStats reading = { 0 };
  int r = nr_afpacket_read_stats (self->fd, &reading);

  if (r != 0)
    {
      netring_set_error_from_errno (error, -r, "getsockopt(PACKET_STATISTICS)", NULL);
      return;
    }
  /* the read resets the kernel's counters: keep running 64-bit sums (F5) */
  self->kernel_packets += reading.packets;
  self->kernel_drops += reading.drops;
  self->kernel_freezes += reading.freezes;
}

static NetringBatch *
capture_take_batch (NetringCapture *self)
{
  struct tpacket_block_desc *desc;
  guint32 index;
  guint64 lost;
  NetringBatch *batch;

  if (nr_rx_ring_peek (&self->ring) != NR_RX_READY)
    return NULL;
  desc = nr_rx_ring_take (&self->ring, &index, &lost);
  batch = _netring_batch_new (self, desc, index, self->block_size, lost);

  self->batches++;
  self->received += batch->n_packets;
  if (lost != 0)
    {
      self->lost_blocks += lost;
      g_debug ("%s: %" G_GUINT64_FORMAT " ring block(s) missing before block %" G_GUINT64_FORMAT,
               self->interface, lost, batch->sequence);
    }
  g_atomic_int_inc (&self->held_batches);
  g_mutex_lock (&self->wait_lock);
  self->held_packets += batch->n_packets;
  g_mutex_unlock (&self->wait_lock);

  if (self->batches % KERNEL_STATS_EVERY_N_BATCHES == 0)
    capture_refresh_kernel_stats (self, NULL);
  return batch;
}

void
_netring_capture_release_block (NetringCapture *self, guint32 index, guint32 n_packets)
{
  guint i;

  nr_rx_ring_release (&self->ring, index);
  g_atomic_int_add (&self->held_batches, -1);

  g_mutex_lock (&self->wait_lock);
  self->held_packets -= n_packets;
  /* A source parked on this block (possibly in another thread's context)
   * must re-check the ring now. */
  for (i = 0; i < self->waiting_sources->len; i++)
    {
      CaptureSource *cs = g_ptr_array_index (self->waiting_sources, i);
      g_main_context_wakeup (cs->wake_context);
    }
  g_mutex_unlock (&self->wait_lock);
}

/* After poll() reported POLLERR/POLLHUP: fetch and clear the socket error.
 * Returns TRUE with @error set when the capture cannot go on. */
static gboolean
capture_fd_error (NetringCapture *self, GError **error)
{
  return netring_afpacket_check_socket_error (self->fd, self->interface, self->ifindex, error);
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
      geometry.block_count = fewer;
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

  /* 1. Protocol 0: the socket receives nothing until step 6 binds it */
  if (nr_afpacket_rx_open (rx, &failure) != 0)
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
netring_capture_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  NetringCapture *self = NETRING_CAPTURE (initable);
  NrRxSocket rx;

  if (self->initialized)
    return self->fd >= 0;
  self->initialized = TRUE;

  /* Interface first, so "no such interface" is reported even without
   * privileges, before anything needs CAP_NET_RAW. */
  self->ifindex = netring_interface_index (self->settings.interface, error);
  if (self->ifindex == 0)
    return FALSE;
  if (!netring_capture_settings_validate (&self->settings, error) ||
      !netring_capture_settings_validate_membership (&self->settings, error))
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
  nr_rx_ring_init (&self->ring, self->map, self->settings.block_size,
                   self->settings.block_count);
  return TRUE;
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
  netring_capture_settings_init (&self->settings);
  capture_sync_in_use (self);
  g_mutex_init (&self->wait_lock);
  self->waiting_sources = g_ptr_array_new ();
}

static void
netring_capture_dispose (GObject *object)
{
  NetringCapture *self = NETRING_CAPTURE (object);

  netring_capture_stop (self);
  G_OBJECT_CLASS (netring_capture_parent_class)->dispose (object);
}

static void
netring_capture_finalize (GObject *object)
{
  NetringCapture *self = NETRING_CAPTURE (object);

  /* Every batch holds a reference, so no block is in use any more: unmap
   * before closing, as the kernel expects. */
  if (self->map != NULL)
    munmap (self->map, self->map_length);
  if (self->fd >= 0)
    close (self->fd);
  nr_rx_ring_clear (&self->ring);
  g_ptr_array_unref (self->waiting_sources);
  g_mutex_clear (&self->wait_lock);
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
      g_value_set_boolean (value, self->run_source != NULL);
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

  if (!netring_capture_settings_set_property (&self->settings, prop_id, value))
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
   * The AF_PACKET socket, -1 before init. It stays owned by the capture.
   */
  properties[PROP_FD] = g_param_spec_int ("fd", NULL, NULL, -1, G_MAXINT, -1, readable);

  /**
   * NetringCapture:running: (getter is_running)
   *
   * Whether netring_capture_start() is in effect.
   */
  properties[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, readable);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NetringCapture::batch:
   * @self: the capture
   * @batch: the ready batch
   *
   * Emitted after netring_capture_start() for every ring block the kernel
   * hands over, in the thread-default main context of the thread that called
   * netring_capture_start(). The handler may keep @batch with
   * netring_batch_ref(); otherwise its block returns to the kernel after the
   * emission.
   */
  signals[SIGNAL_BATCH] = g_signal_new ("batch", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, NETRING_TYPE_BATCH);

  /**
   * NetringCapture::packet:
   * @self: the capture
   * @packet: a received packet, a zero-copy view into the ring
   *
   * Emitted after #NetringCapture::batch for each packet of the batch, only
   * when the signal has handlers. Convenient for bindings; C code is faster
   * with ::batch and a #NetringBatchIter.
   */
  signals[SIGNAL_PACKET] = g_signal_new ("packet", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                         NETRING_TYPE_PACKET);

  /**
   * NetringCapture::error:
   * @self: the capture
   * @error: what went wrong
   *
   * Emitted when capturing started with netring_capture_start() cannot go on,
   * typically %NETRING_ERROR_INTERFACE_DOWN when the interface went down or
   * was removed. The capture is stopped when this is emitted; it can be
   * started again once the interface is back.
   */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
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
 * How long the kernel fills a block before handing it over partly full.
 *
 * Returns: the block retirement timeout in use, in milliseconds
 */
guint
netring_capture_get_block_timeout_ms (NetringCapture *self)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), 0);
  return (guint) MAX (self->block_timeout_ms, 0);
}

static gboolean
capture_check_ready (NetringCapture *self, GError **error)
{
  if (self->fd < 0)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                           _("The capture is not initialised: call g_initable_init() first"));
      return FALSE;
    }
  return TRUE;
}

/**
 * netring_capture_next_batch:
 * @self: a capture
 * @error: return location for a #GError
 *
 * Takes the next ready ring block without waiting.
 *
 * Returns: (transfer full) (nullable): a batch, or %NULL when no block is
 *   ready (@error is not set then)
 */
NetringBatch *
netring_capture_next_batch (NetringCapture *self, GError **error)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!capture_check_ready (self, error))
    return NULL;
  return capture_take_batch (self);
}

/**
 * netring_capture_next_batch_timeout:
 * @self: a capture
 * @timeout_ms: how long to wait in milliseconds, -1 for ever
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Waits for the next ring block. Signals that interrupt the wait do not
 * shorten or lengthen it. Fails with %G_IO_ERROR_TIMED_OUT when nothing
 * arrived in time, %G_IO_ERROR_CANCELLED when @cancellable was cancelled and
 * %NETRING_ERROR_INTERFACE_DOWN when the interface went away.
 *
 * Returns: (transfer full): a batch, or %NULL with @error set
 */
NetringBatch *
netring_capture_next_batch_timeout (NetringCapture *self, gint timeout_ms,
                                    GCancellable *cancellable, GError **error)
{
  gint64 deadline;

  g_return_val_if_fail (NETRING_IS_CAPTURE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!capture_check_ready (self, error))
    return NULL;

  deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  for (;;)
    {
      NetringBatch *batch = capture_take_batch (self);
      gint wait_ms = -1;
      short events = POLLIN;
      int revents;

      if (batch != NULL)
        return batch;
      if (deadline >= 0)
        {
          gint64 left = deadline - g_get_monotonic_time ();
          if (left <= 0)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           _("No packets arrived on “%s” within %d ms"), self->interface,
                           timeout_ms);
              return NULL;
            }
          wait_ms = (gint) ((left + 999) / 1000);
        }
      if (nr_rx_ring_peek (&self->ring) == NR_RX_HELD || nr_rx_ring_previous_held (&self->ring))
        {
          /* poll() cannot tell us when the held block comes back and
           * reports POLLIN while the last retired block is held: check the
           * ring once per block timeout instead of spinning. */
          events = 0;
          wait_ms = wait_ms < 0 ? capture_recheck_ms (self)
                                : MIN (wait_ms, capture_recheck_ms (self));
        }
      revents = netring_poll_fd (self->fd, events, wait_ms, cancellable, error);
      if (revents < 0)
        return NULL;
      if (revents & (POLLERR | POLLHUP | POLLNVAL))
        {
          batch = capture_take_batch (self);
          if (batch != NULL)
            return batch; /* deliver what arrived before the failure first */
          if (capture_fd_error (self, error))
            return NULL;
        }
    }
}

/**
 * netring_capture_create_source:
 * @self: a capture
 * @cancellable: (nullable): a #GCancellable
 *
 * Creates a #GSource that calls a #NetringBatchFunc, set with
 * g_source_set_callback(), for every ready ring block. Attach it to the
 * #GMainContext the callback should run in. The source polls the socket only
 * while the next block is not ready and drains a bounded number of blocks per
 * dispatch.
 *
 * The source ends (after calling the callback with the error) when the
 * interface goes down or is removed, or when @cancellable is cancelled.
 *
 * Returns: (transfer full): a new #GSource
 */
GSource *
netring_capture_create_source (NetringCapture *self, GCancellable *cancellable)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), NULL);
  g_return_val_if_fail (self->fd >= 0, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  return capture_source_new (self, cancellable, TRUE);
}

static gboolean
run_source_cb (NetringCapture *self, NetringBatch *batch, const GError *error, gpointer user_data)
{
  if (error != NULL)
    {
      /* the source is destroyed after this call whatever we return */
      g_clear_pointer (&self->run_source, g_source_unref);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
      return G_SOURCE_REMOVE;
    }

  g_signal_emit (self, signals[SIGNAL_BATCH], 0, batch);
  if (g_signal_has_handler_pending (self, signals[SIGNAL_PACKET], 0, TRUE))
    {
      g_autoptr(GPtrArray) packets = netring_batch_get_packets (batch);
      guint i;

      for (i = 0; i < packets->len && self->run_source != NULL; i++)
        g_signal_emit (self, signals[SIGNAL_PACKET], 0, g_ptr_array_index (packets, i));
    }
  return self->run_source != NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/**
 * netring_capture_start:
 * @self: a capture
 * @error: return location for a #GError
 *
 * Starts emitting #NetringCapture::batch and #NetringCapture::packet in the
 * thread-default main context of the calling thread, until
 * netring_capture_stop() or an error (#NetringCapture::error). Starting a
 * running capture does nothing.
 *
 * Returns: %TRUE on success, %FALSE with @error set if the capture is not
 *   initialised
 */
gboolean
netring_capture_start (NetringCapture *self, GError **error)
{
  g_autoptr(GMainContext) context = NULL;

  g_return_val_if_fail (NETRING_IS_CAPTURE (self), FALSE);

  if (!capture_check_ready (self, error))
    return FALSE;
  if (self->run_source != NULL)
    return TRUE;

  context = g_main_context_ref_thread_default ();
  /* the capture owns this source, so the source must not own the capture */
  self->run_source = capture_source_new (self, NULL, FALSE);
  g_source_set_callback (self->run_source, (GSourceFunc) (gpointer) run_source_cb, self, NULL);
  g_source_attach (self->run_source, context);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;
}

/**
 * netring_capture_stop:
 * @self: a capture
 *
 * Stops what netring_capture_start() started. Batches already handed out
 * stay valid. Call it from the thread that started the capture.
 */
void
netring_capture_stop (NetringCapture *self)
{
  g_return_if_fail (NETRING_IS_CAPTURE (self));

  if (self->run_source == NULL)
    return;
  g_source_destroy (self->run_source);
  g_clear_pointer (&self->run_source, g_source_unref);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/**
 * netring_capture_is_running:
 * @self: a capture
 *
 * Whether the capture emits its signals.
 *
 * Returns: whether netring_capture_start() is in effect
 */
gboolean
netring_capture_is_running (NetringCapture *self)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), FALSE);
  return self->run_source != NULL;
}

/* ---- async -------------------------------------------------------------- */

/* Completes an async call with @batch (transfer full). For receive_async
 * the block goes back to the kernel before the caller sees the copies. */
static void
capture_task_return_batch (GTask *task, NetringBatch *batch)
{
  if (g_task_get_source_tag (task) == netring_capture_receive_async)
    {
      GPtrArray *packets = netring_batch_copy_packets (batch);

      netring_batch_unref (batch);
      g_task_return_pointer (task, packets, (GDestroyNotify) g_ptr_array_unref);
    }
  else
    g_task_return_pointer (task, batch, (GDestroyNotify) netring_batch_unref);
}

static void
capture_async_start (NetringCapture *self, gpointer source_tag, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSource) source = NULL;
  g_autoptr(GError) error = NULL;
  NetringBatch *batch;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (!capture_check_ready (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  batch = capture_take_batch (self);
  if (batch != NULL)
    {
      capture_task_return_batch (task, batch);
      return;
    }

  /* Wait in the caller's thread-default context (the task's). Cancelling
   * only destroys this source: no kernel state is touched, so the next call
   * works as if nothing happened. */
  source = capture_source_new (self, cancellable, TRUE);
  ((CaptureSource *) source)->task = g_object_ref (task);
  g_source_attach (source, g_task_get_context (task));
}

/**
 * netring_capture_next_batch_async:
 * @self: a capture
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when a batch is ready
 * @user_data: data for @callback
 *
 * Waits for the next ring block in the thread-default main context and
 * returns it zero-copy. Cancel-safe: cancelling abandons the wait without
 * losing a block, and the next call works.
 */
void
netring_capture_next_batch_async (NetringCapture *self, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (NETRING_IS_CAPTURE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  capture_async_start (self, netring_capture_next_batch_async, cancellable, callback, user_data);
}

/**
 * netring_capture_next_batch_finish:
 * @self: a capture
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_capture_next_batch_async().
 *
 * Returns: (transfer full): the batch, or %NULL with @error set
 */
NetringBatch *
netring_capture_next_batch_finish (NetringCapture *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, netring_capture_next_batch_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * netring_capture_receive_async:
 * @self: a capture
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when packets are ready
 * @user_data: data for @callback
 *
 * Waits for the next ring block and returns copies of its packets that own
 * their bytes; the block goes back to the kernel at once. The copies are safe
 * to keep and to hand to other threads. Cancel-safe like
 * netring_capture_next_batch_async().
 */
void
netring_capture_receive_async (NetringCapture *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (NETRING_IS_CAPTURE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  capture_async_start (self, netring_capture_receive_async, cancellable, callback, user_data);
}

/**
 * netring_capture_receive_finish:
 * @self: a capture
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_capture_receive_async().
 *
 * Returns: (transfer container) (element-type NetringPacket): detached
 *   packets, or %NULL with @error set
 */
GPtrArray *
netring_capture_receive_finish (NetringCapture *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (NETRING_IS_CAPTURE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, netring_capture_receive_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- statistics --------------------------------------------------------- */

static void
capture_fill_stats (NetringCapture *self, NetringCaptureStats *stats)
{
  stats->packets = self->kernel_packets;
  stats->drops = self->kernel_drops;
  stats->freezes = self->kernel_freezes;
  stats->received = self->received;
  stats->batches = self->batches;
  stats->lost_blocks = self->lost_blocks;
  stats->held_batches = (guint64) g_atomic_int_get (&self->held_batches);
  g_mutex_lock (&self->wait_lock);
  stats->held_packets = (guint64) self->held_packets;
  g_mutex_unlock (&self->wait_lock);
}

/**
 * netring_capture_get_cumulative_stats:
 * @self: a capture
 * @error: return location for a #GError
 *
 * Totals since the capture was created. Reading them does not disturb
 * netring_capture_get_stats().
 *
 * Returns: (transfer full): the statistics, or %NULL with @error set
 */
NetringCaptureStats *
netring_capture_get_cumulative_stats (NetringCapture *self, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  NetringCaptureStats stats;

  g_return_val_if_fail (NETRING_IS_CAPTURE (self), NULL);

  if (!capture_check_ready (self, error))
    return NULL;
  capture_refresh_kernel_stats (self, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  capture_fill_stats (self, &stats);
  return netring_capture_stats_copy (&stats);
}

/**
 * netring_capture_get_stats:
 * @self: a capture
 * @error: return location for a #GError
 *
 * What changed since the previous call of this function (or since the
 * capture was created): suited to periodic reporting. The gauges
 * #NetringCaptureStats.held_batches and #NetringCaptureStats.held_packets are
 * current values. Reading them does not disturb
 * netring_capture_get_cumulative_stats().
 *
 * Returns: (transfer full): the statistics, or %NULL with @error set
 */
NetringCaptureStats *
netring_capture_get_stats (NetringCapture *self, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  NetringCaptureStats now, delta;

  g_return_val_if_fail (NETRING_IS_CAPTURE (self), NULL);

  if (!capture_check_ready (self, error))
    return NULL;
  capture_refresh_kernel_stats (self, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  capture_fill_stats (self, &now);
  delta.packets = now.packets - self->last_delta_base.packets;
  delta.drops = now.drops - self->last_delta_base.drops;
  delta.freezes = now.freezes - self->last_delta_base.freezes;
  delta.received = now.received - self->last_delta_base.received;
  delta.batches = now.batches - self->last_delta_base.batches;
  delta.lost_blocks = now.lost_blocks - self->last_delta_base.lost_blocks;
  delta.held_batches = now.held_batches;
  delta.held_packets = now.held_packets;
  self->last_delta_base = now;
  return netring_capture_stats_copy (&delta);
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
