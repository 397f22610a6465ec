/* netring-fanout-group.c: N captures in one PACKET_FANOUT group, one thread each */
#include "netring-bpf-program-private.h"

/**
 * SECTION:netring-fanout-group
 * @short_description: Capture on several cores: a fanout group of captures
 * @title: NetringFanoutGroup
 * @see_also: #NetringCapture, #NetringFanoutMode
 *
 * One core cannot keep up with a busy interface. The kernel can spread the
 * packets of an interface over several AF_PACKET sockets, a *fanout group*:
 * each packet goes to exactly one member, chosen by #NetringFanoutMode (by
 * flow hash, round robin, receiving CPU, NIC queue, a BPF program, …).
 *
 * A #NetringFanoutGroup opens #NetringFanoutGroup:n-members captures of
 * #NetringFanoutGroup:interface in one group and runs each in a thread of
 * its own, with its own #GMainContext pushed as that thread's default. It
 * delivers in one of two ways:
 *
 * - netring_fanout_group_start(): a #NetringFanoutBatchFunc is called in the
 *   member's worker thread for every ring block, zero-copy. This is the fast
 *   way: the processing of each member runs on its own core.
 * - netring_fanout_group_start_owned(): the workers copy the packets out of
 *   the ring and #NetringFanoutGroup::packets is emitted with them in the
 *   thread-default main context of the caller. Simple, but all processing
 *   then happens in one thread. When that thread falls behind, the workers
 *   stop reading (at most 64 batches per member wait in the queue), the
 *   rings fill and the kernel counts drops, visible in the statistics.
 *
 * netring_fanout_group_stop() stops and joins the workers.
 * netring_fanout_group_get_member_stats() and
 * netring_fanout_group_get_stats() (the sum over the members) may be called
 * while the group runs.
 *
 * ## Mapping onto RSS queues
 *
 * A multi-queue NIC already spreads packets over its receive queues (RSS)
 * and each queue's interrupt runs on one CPU (see
 * `/proc/interrupts` and `/proc/irq/N/smp_affinity_list`). For the
 * cheapest path make the group follow the NIC: one member per RX queue
 * (`ethtool -l`), mode %NETRING_FANOUT_MODE_QM (member = RX queue index) or
 * %NETRING_FANOUT_MODE_CPU (member = the CPU that ran the interrupt), and pin
 * each worker's CPU to its queue's interrupt CPU. Packets are then processed
 * on the core whose cache already holds them. When the NIC's hash is not
 * symmetric, or the NIC has a single queue (veth, most VMs), use
 * %NETRING_FANOUT_MODE_HASH: the kernel's symmetric flow hash keeps both
 * directions of a flow on one member, which flow analysis needs; add
 * %NETRING_FANOUT_FLAGS_DEFRAG so that all fragments of a datagram follow
 * it. %NETRING_FANOUT_MODE_LB spreads evenly but breaks flows.
 *
 * Threads: the group is used from one thread, the one that created it;
 * #NetringFanoutGroup::packets and #NetringFanoutGroup::error are emitted in
 * the thread-default main context of the thread that started it. While it
 * runs, its member captures belong to their worker threads: use the group's
 * methods, not the members', to read statistics or change the filter.
 */

/* Batches that may wait for the owner per member in owned mode before the
 * worker stops reading its ring. */
#define MAX_QUEUED_PER_MEMBER 64

typedef struct _Member Member;

struct _NetringFanoutGroup {
  GObject parent_instance;

  /* construct-only settings */
  gchar *interface;
  guint n_members;
  NetringFanoutMode mode;
  NetringFanoutFlags flags;
  gint group_id;
  gchar *filter;
  guint snap_length;
  NetringRingProfile profile;
  guint block_size;
  guint block_count;
  gint block_timeout_ms;
  gboolean promiscuous;
  NetringBpfProgram *fanout_program;
  gint fanout_ebpf_fd;

  gboolean initialized;
  gboolean init_ok;
  Member *members;
  guint n_opened;

  /* while running */
  gboolean running;
  gboolean owned;
  NetringFanoutBatchFunc func;
  gpointer user_data;
  GDestroyNotify notify;
  GMainContext *owner_context;

  /* owned mode: worker → owner queue; also guards Member.alive */
  GMutex lock;
  gboolean stopping;
  GQueue queue; /* of QueueItem */
  GSource *flush_source;
};

struct _Member {
  NetringFanoutGroup *group;
  guint index;
  NetringCapture *capture;
  GThread *thread;
  GMainContext *context;
  gint quit;      /* atomic: the worker leaves its loop */
  gboolean alive; /* the worker is running its loop (under group->lock) */
  guint queued;   /* batches of this member in group->queue (under lock) */
};

typedef struct {
  guint member;
  GPtrArray *packets; /* NULL for an error */
  GError *error;
} QueueItem;

enum {
  PROP_0,
  PROP_INTERFACE,
  PROP_N_MEMBERS,
  PROP_FANOUT_MODE,
  PROP_FANOUT_FLAGS,
  PROP_FANOUT_GROUP,
  PROP_FILTER,
  PROP_SNAP_LENGTH,
  PROP_PROFILE,
  PROP_BLOCK_SIZE,
  PROP_BLOCK_COUNT,
  PROP_BLOCK_TIMEOUT_MS,
  PROP_PROMISCUOUS,
  PROP_FANOUT_PROGRAM,
  PROP_FANOUT_EBPF_FD,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_PACKETS,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void netring_fanout_group_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetringFanoutGroup, netring_fanout_group, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      netring_fanout_group_initable_iface_init))

static void
queue_item_free (QueueItem *item)
{
  g_clear_pointer (&item->packets, g_ptr_array_unref);
  g_clear_error (&item->error);
  g_free (item);
}

/* ---- set-up ------------------------------------------------------------- */

static gboolean
netring_fanout_group_initable_init (GInitable *initable, GCancellable *cancellable,
                                    GError **error)
{
  NetringFanoutGroup *self = NETRING_FANOUT_GROUP (initable);
  g_autoptr(NetringBpfProgram) program = NULL;
  gint group_id = self->group_id;
  guint i;

  if (self->initialized)
    {
      if (!self->init_ok)
        g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                             _("The fanout group failed to initialise"));
      return self->init_ok;
    }
  self->initialized = TRUE;

  if (self->n_members == 0)
    self->n_members = g_get_num_processors ();
  if (self->n_members > 1024)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “n-members” %u: at most 1024 threads per group"), self->n_members);
      return FALSE;
    }
  if (self->interface == NULL || netring_interface_index (self->interface, error) == 0)
    {
      if (self->interface == NULL)
        netring_interface_index (NULL, error);
      return FALSE;
    }
  /* compile the expression once, for every member */
  if (self->filter != NULL)
    {
      program = _netring_bpf_program_compile_for_interface (self->filter, self->interface,
                                                            self->snap_length, error);
      if (program == NULL)
        return FALSE;
    }

  self->members = g_new0 (Member, self->n_members);
  for (i = 0; i < self->n_members; i++)
    {
      Member *m = &self->members[i];
      NetringFanoutFlags flags = self->flags;
      GInitable *capture;

      /* without an id, the first member lets the kernel choose a free one
       * (UNIQUE_ID is only valid on the socket that creates the group) */
      if (group_id < 0)
        flags |= NETRING_FANOUT_FLAGS_UNIQUE_ID;
      else
        flags &= ~NETRING_FANOUT_FLAGS_UNIQUE_ID;
      capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, error,
                                "interface", self->interface,
                                "fanout-group", group_id,
                                "fanout-mode", self->mode,
                                "fanout-flags", flags,
                                "fanout-program", self->fanout_program,
                                "fanout-ebpf-fd", self->fanout_ebpf_fd,
                                "bpf-program", program,
                                "snap-length", self->snap_length,
                                "profile", self->profile,
                                "block-size", self->block_size,
                                "block-count", self->block_count,
                                "block-timeout-ms", self->block_timeout_ms,
                                "promiscuous", self->promiscuous,
                                NULL);
      if (capture == NULL)
        {
          g_prefix_error (error, _("Member %u of the fanout group: "), i);
          return FALSE;
        }
      m->group = self;
      m->index = i;
      m->capture = NETRING_CAPTURE (capture);
      self->n_opened++;
      group_id = netring_capture_get_fanout_group (m->capture);
    }
  self->group_id = group_id;
  self->init_ok = TRUE;
  return TRUE;
}

static void
netring_fanout_group_initable_iface_init (GInitableIface *iface)
{
  iface->init = netring_fanout_group_initable_init;
}

/* ---- workers ------------------------------------------------------------ */

static gboolean flush_queue_cb (gpointer data);

/* In the worker, under the lock: queue @item for the owner's context. */
static void
queue_push_locked (NetringFanoutGroup *self, Member *m, QueueItem *item)
{
  g_queue_push_tail (&self->queue, item);
  m->queued++;
  if (self->flush_source == NULL)
    {
      self->flush_source = g_idle_source_new ();
      g_source_set_static_name (self->flush_source, "NetringFanoutGroup packets");
      g_source_set_callback (self->flush_source, flush_queue_cb, self, NULL);
      g_source_attach (self->flush_source, self->owner_context);
    }
}

/* Owned mode, in the worker: queue copies for the owner's context. */
static void
member_queue_packets (Member *m, NetringBatch *batch)
{
  NetringFanoutGroup *self = m->group;
  QueueItem *item = g_new0 (QueueItem, 1);

  item->member = m->index;
  item->packets = netring_batch_copy_packets (batch);

  g_mutex_lock (&self->lock);
  /* Backpressure: wait for the owner instead of queueing without bound. The
   * nested iteration keeps serving the statistics requests of the owner. */
  while (m->queued >= MAX_QUEUED_PER_MEMBER && !self->stopping)
    {
      g_mutex_unlock (&self->lock);
      g_main_context_iteration (m->context, TRUE);
      g_mutex_lock (&self->lock);
    }
  queue_push_locked (self, m, item);
  g_mutex_unlock (&self->lock);
}

/* In the owner's context: ::packets or ::error for one queued item. */
static void
emit_item (NetringFanoutGroup *self, QueueItem *item)
{
  if (item->error != NULL)
    g_signal_emit (self, signals[SIGNAL_ERROR], 0, item->member, item->error);
  else
    g_signal_emit (self, signals[SIGNAL_PACKETS], 0, item->member, item->packets);
}

static gboolean
member_batch_cb (NetringReceiver *receiver, NetringBatch *batch, const GError *error,
                 gpointer user_data)
{
  Member *m = user_data;
  NetringFanoutGroup *self = m->group;

  if (error != NULL)
    {
      QueueItem *item = g_new0 (QueueItem, 1);

      /* through the queue, after this member's last packets; it holds no
       * reference to the group, and stop emits it if the owner's context
       * did not */
      item->member = m->index;
      item->error = g_error_copy (error);
      g_mutex_lock (&self->lock);
      queue_push_locked (self, m, item);
      g_mutex_unlock (&self->lock);
      g_atomic_int_set (&m->quit, TRUE);
      return G_SOURCE_REMOVE;
    }
  if (self->owned)
    member_queue_packets (m, batch);
  else
    self->func (self, m->index, batch, self->user_data);
  return G_SOURCE_CONTINUE;
}

static gpointer
member_thread (gpointer data)
{
  Member *m = data;
  GSource *source;

  g_main_context_push_thread_default (m->context);
  source = netring_receiver_create_source (NETRING_RECEIVER (m->capture), NULL);
  g_source_set_callback (source, (GSourceFunc) (gpointer) member_batch_cb, m, NULL);
  g_source_attach (source, m->context);

  /* Not a GMainLoop: g_main_loop_run() forgets a g_main_loop_quit() that
   * came before it started, and stop may come that early. */
  while (!g_atomic_int_get (&m->quit))
    g_main_context_iteration (m->context, TRUE);

  g_source_destroy (source);
  g_source_unref (source);
  g_mutex_lock (&m->group->lock);
  m->alive = FALSE;
  g_mutex_unlock (&m->group->lock);
  /* A statistics request attached while the worker still counted as alive
   * (a member that failed leaves on its own) is answered before it goes:
   * member_stats() waits for it. */
  while (g_main_context_iteration (m->context, FALSE))
    ;
  g_main_context_pop_thread_default (m->context);
  return NULL;
}

static gboolean
group_start (NetringFanoutGroup *self, gboolean owned, NetringFanoutBatchFunc func,
             gpointer user_data, GDestroyNotify notify, GError **error)
{
  guint i;

  if (!self->init_ok)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                           _("The fanout group is not initialised: call g_initable_init() "
                             "first"));
      return FALSE;
    }
  if (self->running)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_BUSY,
                           _("The fanout group is already running: stop it first"));
      return FALSE;
    }
  self->owned = owned;
  self->func = func;
  self->user_data = user_data;
  self->notify = notify;
  self->stopping = FALSE;
  self->owner_context = g_main_context_ref_thread_default ();
  self->running = TRUE;

  for (i = 0; i < self->n_members; i++)
    {
      Member *m = &self->members[i];
      g_autofree gchar *name = g_strdup_printf ("netring-fanout-%u", i);

      m->context = g_main_context_new ();
      m->quit = FALSE;
      m->alive = TRUE;
      m->queued = 0;
      m->thread = g_thread_new (name, member_thread, m);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;
}

/* Stops and joins the workers. With @deliver, packets still queued in owned
 * mode are emitted before returning; otherwise they are dropped. */
static void
group_stop (NetringFanoutGroup *self, gboolean deliver)
{
  GQueue rest = G_QUEUE_INIT;
  guint i;

  if (!self->running)
    return;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_mutex_unlock (&self->lock);
  for (i = 0; i < self->n_members; i++)
    {
      g_atomic_int_set (&self->members[i].quit, TRUE);
      g_main_context_wakeup (self->members[i].context);
    }
  for (i = 0; i < self->n_members; i++)
    {
      Member *m = &self->members[i];

      g_thread_join (m->thread);
      m->thread = NULL;
      g_clear_pointer (&m->context, g_main_context_unref);
    }

  g_mutex_lock (&self->lock);
  if (self->flush_source != NULL)
    {
      g_source_destroy (self->flush_source);
      g_clear_pointer (&self->flush_source, g_source_unref);
    }
  rest = self->queue;
  g_queue_init (&self->queue);
  g_mutex_unlock (&self->lock);

  self->running = FALSE;
  if (self->notify != NULL)
    self->notify (self->user_data);
  self->func = NULL;
  self->user_data = NULL;
  self->notify = NULL;
  g_clear_pointer (&self->owner_context, g_main_context_unref);

  if (deliver)
    {
      QueueItem *item;

      g_object_ref (self);
      while ((item = g_queue_pop_head (&rest)) != NULL)
        {
          emit_item (self, item);
          queue_item_free (item);
        }
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
      g_object_unref (self);
    }
  else
    g_queue_clear_full (&rest, (GDestroyNotify) queue_item_free);
}

/* Owned mode, in the owner's context: emit what the workers queued. The
 * items stay in the group's queue until they are emitted, so that a
 * handler that calls netring_fanout_group_stop() finds the rest there and
 * stop emits them, in order. */
static gboolean
flush_queue_cb (gpointer data)
{
  NetringFanoutGroup *self = data;
  guint n, i;

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->flush_source, g_source_unref);
  /* what is queued now; later batches come with the next dispatch */
  n = self->queue.length;
  g_mutex_unlock (&self->lock);

  g_object_ref (self);
  for (i = 0; i < n && self->running; i++)
    {
      QueueItem *item;
      Member *m;
      gboolean was_full;

      g_mutex_lock (&self->lock);
      item = g_queue_pop_head (&self->queue);
      if (item == NULL)
        {
          g_mutex_unlock (&self->lock);
          break;
        }
      m = &self->members[item->member];
      was_full = m->queued-- >= MAX_QUEUED_PER_MEMBER;
      g_mutex_unlock (&self->lock);
      /* a worker waiting for room can go on */
      if (was_full)
        g_main_context_wakeup (m->context);

      emit_item (self, item);
      queue_item_free (item);
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* ---- statistics --------------------------------------------------------- */

typedef struct {
  GMutex lock;
  GCond cond;
  gboolean done;
  NetringCapture *capture;
  NetringReceiverStats *stats;
  GError *error;
} StatsCall;

static gboolean
stats_call_cb (gpointer data)
{
  StatsCall *call = data;
  NetringReceiverStats *stats = netring_receiver_get_stats (NETRING_RECEIVER (call->capture), &call->error);

  g_mutex_lock (&call->lock);
  call->stats = stats;
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);
  return G_SOURCE_REMOVE;
}

static NetringReceiverStats *
member_stats (NetringFanoutGroup *self, Member *m, GError **error)
{
  StatsCall call = { 0 };
  GSource *source;
  gboolean alive;

  g_mutex_lock (&self->lock);
  alive = self->running && m->alive;
  if (alive)
    {
      /* the capture belongs to its worker: read it there */
      g_mutex_init (&call.lock);
      g_cond_init (&call.cond);
      call.capture = m->capture;
      source = g_idle_source_new ();
      g_source_set_priority (source, G_PRIORITY_HIGH);
      g_source_set_static_name (source, "NetringFanoutGroup stats");
      g_source_set_callback (source, stats_call_cb, &call, NULL);
      g_source_attach (source, m->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&self->lock);

  if (!alive)
    return netring_receiver_get_stats (NETRING_RECEIVER (m->capture), error);

  g_mutex_lock (&call.lock);
  while (!call.done)
    g_cond_wait (&call.cond, &call.lock);
  g_mutex_unlock (&call.lock);
  g_mutex_clear (&call.lock);
  g_cond_clear (&call.cond);
  if (call.error != NULL)
    g_propagate_error (error, call.error);
  return call.stats;
}

/* ---- GObject ------------------------------------------------------------ */

static void
netring_fanout_group_init (NetringFanoutGroup *self)
{
  self->group_id = -1;
  self->block_timeout_ms = -1;
  self->fanout_ebpf_fd = -1;
  g_mutex_init (&self->lock);
  g_queue_init (&self->queue);
}

static void
netring_fanout_group_dispose (GObject *object)
{
  NetringFanoutGroup *self = NETRING_FANOUT_GROUP (object);

  group_stop (self, FALSE);
  G_OBJECT_CLASS (netring_fanout_group_parent_class)->dispose (object);
}

static void
netring_fanout_group_finalize (GObject *object)
{
  NetringFanoutGroup *self = NETRING_FANOUT_GROUP (object);
  guint i;

  for (i = 0; i < self->n_opened; i++)
    g_clear_object (&self->members[i].capture);
  g_free (self->members);
  g_mutex_clear (&self->lock);
  g_free (self->interface);
  g_free (self->filter);
  g_clear_pointer (&self->fanout_program, netring_bpf_program_unref);
  G_OBJECT_CLASS (netring_fanout_group_parent_class)->finalize (object);
}

static void
netring_fanout_group_get_property (GObject *object, guint prop_id, GValue *value,
                                   GParamSpec *pspec)
{
  NetringFanoutGroup *self = NETRING_FANOUT_GROUP (object);

  switch (prop_id)
    {
    case PROP_INTERFACE:
      g_value_set_string (value, self->interface);
      break;
    case PROP_N_MEMBERS:
      g_value_set_uint (value, self->n_members);
      break;
    case PROP_FANOUT_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_FANOUT_FLAGS:
      g_value_set_flags (value, self->flags);
      break;
    case PROP_FANOUT_GROUP:
      g_value_set_int (value, self->group_id);
      break;
    case PROP_FILTER:
      g_value_set_string (value, self->filter);
      break;
    case PROP_SNAP_LENGTH:
      g_value_set_uint (value, self->snap_length);
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
    case PROP_BLOCK_TIMEOUT_MS:
      g_value_set_int (value, self->block_timeout_ms);
      break;
    case PROP_PROMISCUOUS:
      g_value_set_boolean (value, self->promiscuous);
      break;
    case PROP_FANOUT_PROGRAM:
      g_value_set_boxed (value, self->fanout_program);
      break;
    case PROP_FANOUT_EBPF_FD:
      g_value_set_int (value, self->fanout_ebpf_fd);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_fanout_group_set_property (GObject *object, guint prop_id, const GValue *value,
                                   GParamSpec *pspec)
{
  NetringFanoutGroup *self = NETRING_FANOUT_GROUP (object);

  switch (prop_id)
    {
    case PROP_INTERFACE:
      g_free (self->interface);
      self->interface = g_value_dup_string (value);
      break;
    case PROP_N_MEMBERS:
      self->n_members = g_value_get_uint (value);
      break;
    case PROP_FANOUT_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_FANOUT_FLAGS:
      self->flags = g_value_get_flags (value);
      break;
    case PROP_FANOUT_GROUP:
      self->group_id = g_value_get_int (value);
      break;
    case PROP_FILTER:
      g_free (self->filter);
      self->filter = g_value_dup_string (value);
      break;
    case PROP_SNAP_LENGTH:
      self->snap_length = g_value_get_uint (value);
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
    case PROP_BLOCK_TIMEOUT_MS:
      self->block_timeout_ms = g_value_get_int (value);
      break;
    case PROP_PROMISCUOUS:
      self->promiscuous = g_value_get_boolean (value);
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
netring_fanout_group_class_init (NetringFanoutGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  netring_i18n_init ();

  object_class->dispose = netring_fanout_group_dispose;
  object_class->finalize = netring_fanout_group_finalize;
  object_class->get_property = netring_fanout_group_get_property;
  object_class->set_property = netring_fanout_group_set_property;

  /**
   * NetringFanoutGroup:interface:
   *
   * Name of the network interface every member captures. Required.
   */
  properties[PROP_INTERFACE] = g_param_spec_string ("interface", NULL, NULL, NULL, construct);

  /**
   * NetringFanoutGroup:n-members: (getter get_n_members)
   *
   * How many captures (and threads); 0 (the default) for one per CPU.
   * After init it reads back the number opened.
   */
  properties[PROP_N_MEMBERS] =
    g_param_spec_uint ("n-members", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringFanoutGroup:fanout-mode:
   *
   * How the kernel chooses the member for each packet.
   */
  properties[PROP_FANOUT_MODE] =
    g_param_spec_enum ("fanout-mode", NULL, NULL, NETRING_TYPE_FANOUT_MODE,
                       NETRING_FANOUT_MODE_HASH, construct);

  /**
   * NetringFanoutGroup:fanout-flags:
   *
   * Fanout options for every member. %NETRING_FANOUT_FLAGS_UNIQUE_ID is
   * managed by the group (see #NetringFanoutGroup:fanout-group).
   */
  properties[PROP_FANOUT_FLAGS] =
    g_param_spec_flags ("fanout-flags", NULL, NULL, NETRING_TYPE_FANOUT_FLAGS,
                        NETRING_FANOUT_FLAGS_NONE, construct);

  /**
   * NetringFanoutGroup:fanout-group: (getter get_group_id)
   *
   * The fanout group id, 0 to 65535; -1 (the default) lets the kernel choose
   * an unused one. After init it reads back the id in use.
   */
  properties[PROP_FANOUT_GROUP] =
    g_param_spec_int ("fanout-group", NULL, NULL, -1, 65535, -1, construct);

  /**
   * NetringFanoutGroup:filter:
   *
   * A pcap filter expression every member applies (see
   * #NetringCapture:filter), compiled once. Change it with
   * netring_fanout_group_set_filter().
   */
  properties[PROP_FILTER] = g_param_spec_string ("filter", NULL, NULL, NULL, construct);

  /**
   * NetringFanoutGroup:snap-length:
   *
   * The most bytes captured of each packet, 0 for all (see
   * #NetringCapture:snap-length).
   */
  properties[PROP_SNAP_LENGTH] =
    g_param_spec_uint ("snap-length", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringFanoutGroup:profile:
   *
   * The ring preset of every member (see #NetringCapture:profile).
   */
  properties[PROP_PROFILE] =
    g_param_spec_enum ("profile", NULL, NULL, NETRING_TYPE_RING_PROFILE,
                       NETRING_RING_PROFILE_DEFAULT, construct);

  /**
   * NetringFanoutGroup:block-size:
   *
   * Ring block size of every member, 0 for the profile's (see
   * #NetringCapture:block-size).
   */
  properties[PROP_BLOCK_SIZE] =
    g_param_spec_uint ("block-size", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringFanoutGroup:block-count:
   *
   * Ring blocks of every member, 0 for the profile's (see
   * #NetringCapture:block-count).
   */
  properties[PROP_BLOCK_COUNT] =
    g_param_spec_uint ("block-count", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringFanoutGroup:block-timeout-ms:
   *
   * Block timeout of every member, -1 for the profile's (see
   * #NetringCapture:block-timeout-ms).
   */
  properties[PROP_BLOCK_TIMEOUT_MS] =
    g_param_spec_int ("block-timeout-ms", NULL, NULL, -1, G_MAXINT, -1, construct);

  /**
   * NetringFanoutGroup:promiscuous:
   *
   * Put the interface in promiscuous mode while the group lives.
   */
  properties[PROP_PROMISCUOUS] =
    g_param_spec_boolean ("promiscuous", NULL, NULL, FALSE, construct);

  /**
   * NetringFanoutGroup:fanout-program:
   *
   * With %NETRING_FANOUT_MODE_CBPF, the program that returns the member
   * index of each packet.
   */
  properties[PROP_FANOUT_PROGRAM] =
    g_param_spec_boxed ("fanout-program", NULL, NULL, NETRING_TYPE_BPF_PROGRAM, construct);

  /**
   * NetringFanoutGroup:fanout-ebpf-fd:
   *
   * With %NETRING_FANOUT_MODE_EBPF, the fd of the socket-filter program that
   * returns the member index of each packet; the caller keeps it.
   */
  properties[PROP_FANOUT_EBPF_FD] =
    g_param_spec_int ("fanout-ebpf-fd", NULL, NULL, -1, G_MAXINT, -1, construct);

  /**
   * NetringFanoutGroup:running: (getter is_running)
   *
   * Whether the worker threads run.
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NetringFanoutGroup::packets:
   * @self: the group
   * @member: the index of the member that received them
   * @packets: (element-type NetringPacket): detached copies of the packets of
   *   one ring block, safe to keep
   *
   * Emitted after netring_fanout_group_start_owned() in the thread-default
   * main context of the thread that called it, in the order each member
   * received its packets (the members' streams interleave).
   */
  signals[SIGNAL_PACKETS] = g_signal_new ("packets", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT,
                                          G_TYPE_PTR_ARRAY);

  /**
   * NetringFanoutGroup::error:
   * @self: the group
   * @member: the index of the member that failed
   * @error: what went wrong, typically %NETRING_ERROR_INTERFACE_DOWN
   *
   * Emitted in the thread-default main context of the thread that started
   * the group when a member cannot go on (after that member's last
   * #NetringFanoutGroup::packets), or by netring_fanout_group_stop() if that
   * context did not run before; that member's worker has stopped. Call
   * netring_fanout_group_stop() to stop the others.
   */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT,
                                        G_TYPE_ERROR);
}

/* ---- public API --------------------------------------------------------- */

/**
 * netring_fanout_group_new:
 * @interface: name of the network interface
 * @n_members: how many captures and threads, 0 for one per CPU
 * @mode: how the kernel spreads packets over them
 * @error: return location for a #GError
 *
 * Opens @n_members captures of @interface in a new fanout group whose id
 * the kernel chooses. Use g_initable_new() with properties for anything
 * else (ring size, filter, snap length, flags, a fixed group id).
 *
 * Returns: (transfer full) (nullable): the group, or %NULL with @error set
 */
NetringFanoutGroup *
netring_fanout_group_new (const gchar *interface, guint n_members, NetringFanoutMode mode,
                          GError **error)
{
  return g_initable_new (NETRING_TYPE_FANOUT_GROUP, NULL, error, "interface", interface,
                         "n-members", n_members, "fanout-mode", mode, NULL);
}

/**
 * netring_fanout_group_get_n_members:
 * @self: a group
 *
 * The number of member captures.
 *
 * Returns: the number of members
 */
guint
netring_fanout_group_get_n_members (NetringFanoutGroup *self)
{
  g_return_val_if_fail (NETRING_IS_FANOUT_GROUP (self), 0);
  return self->n_members;
}

/**
 * netring_fanout_group_get_group_id:
 * @self: a group
 *
 * The kernel's id of the fanout group.
 *
 * Returns: the group id, -1 before init
 */
gint
netring_fanout_group_get_group_id (NetringFanoutGroup *self)
{
  g_return_val_if_fail (NETRING_IS_FANOUT_GROUP (self), -1);
  return self->init_ok ? self->group_id : -1;
}

/**
 * netring_fanout_group_get_member:
 * @self: a group
 * @index: a member index, below netring_fanout_group_get_n_members()
 *
 * One member capture. While the group runs, the capture belongs to its
 * worker thread: only read its constant properties then.
 *
 * Returns: (transfer none): the capture
 */
NetringCapture *
netring_fanout_group_get_member (NetringFanoutGroup *self, guint index)
{
  g_return_val_if_fail (NETRING_IS_FANOUT_GROUP (self), NULL);
  g_return_val_if_fail (self->init_ok, NULL);
  g_return_val_if_fail (index < self->n_members, NULL);
  return self->members[index].capture;
}

/**
 * netring_fanout_group_start:
 * @self: a group
 * @func: (scope notified) (closure user_data) (destroy notify): called in the
 *   worker threads for every batch
 * @user_data: data for @func
 * @notify: (nullable): frees @user_data when the group stops
 * @error: return location for a #GError
 *
 * Starts one thread per member. Each pushes a #GMainContext of its own as
 * its thread-default context, attaches a source of its capture
 * (netring_receiver_create_source()) and calls @func for every batch, in
 * that thread. @func must be safe to call from several threads at once.
 *
 * Returns: %TRUE on success, %FALSE with @error set (not initialised,
 *   already running)
 */
gboolean
netring_fanout_group_start (NetringFanoutGroup *self, NetringFanoutBatchFunc func,
                            gpointer user_data, GDestroyNotify notify, GError **error)
{
  g_return_val_if_fail (NETRING_IS_FANOUT_GROUP (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return group_start (self, FALSE, func, user_data, notify, error);
}

/**
 * netring_fanout_group_start_owned:
 * @self: a group
 * @error: return location for a #GError
 *
 * Starts one thread per member, like netring_fanout_group_start(), but the
 * workers copy the packets and #NetringFanoutGroup::packets delivers them in
 * the thread-default main context of the calling thread.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_fanout_group_start_owned (NetringFanoutGroup *self, GError **error)
{
  g_return_val_if_fail (NETRING_IS_FANOUT_GROUP (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return group_start (self, TRUE, NULL, NULL, NULL, error);
}

/**
 * netring_fanout_group_stop:
 * @self: a group
 *
 * Stops the workers and waits for them to finish. Packets received but not
 * yet delivered by #NetringFanoutGroup::packets, and failures not yet
 * reported by #NetringFanoutGroup::error, are emitted before this returns; the notify function given to netring_fanout_group_start() is
 * called. The group can be started again. Call it from the thread that
 * started the group.
 */
void
netring_fanout_group_stop (NetringFanoutGroup *self)
{
  g_return_if_fail (NETRING_IS_FANOUT_GROUP (self));
  group_stop (self, TRUE);
}

/**
 * netring_fanout_group_is_running:
 * @self: a group
 *
 * Whether the workers run.
 *
 * Returns: %TRUE between start and stop
 */
gboolean
netring_fanout_group_is_running (NetringFanoutGroup *self)
{
  g_return_val_if_fail (NETRING_IS_FANOUT_GROUP (self), FALSE);
  return self->running;
}

/**
 * netring_fanout_group_set_filter:
 * @self: a group
 * @expression: (nullable): a pcap filter expression, or %NULL for none
 * @error: return location for a #GError
 *
 * Compiles @expression once and swaps it in on every member, atomically per
 * member (see netring_capture_set_bpf_program()). May be called while the
 * group runs. If a member refuses it, the members before it keep the new
 * filter and the error says which member failed.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_fanout_group_set_filter (NetringFanoutGroup *self, const gchar *expression,
                                 GError **error)
{
  g_autoptr(NetringBpfProgram) program = NULL;
  guint i;

  g_return_val_if_fail (NETRING_IS_FANOUT_GROUP (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!self->init_ok)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                           _("The fanout group is not initialised: call g_initable_init() "
                             "first"));
      return FALSE;
    }
  if (expression != NULL)
    {
      program = _netring_bpf_program_compile_for_interface (expression, self->interface,
                                                            self->snap_length, error);
      if (program == NULL)
        return FALSE;
    }
  /* only the socket's filter changes: the workers never touch it */
  for (i = 0; i < self->n_members; i++)
    if (!netring_capture_set_bpf_program (self->members[i].capture, program, error))
      {
        g_prefix_error (error, _("Member %u of the fanout group: "), i);
        return FALSE;
      }
  g_free (self->filter);
  self->filter = g_strdup (expression);
  return TRUE;
}

/**
 * netring_fanout_group_get_member_stats:
 * @self: a group
 * @index: a member index
 * @error: return location for a #GError
 *
 * The cumulative statistics of one member (see
 * netring_receiver_get_stats()). While the group runs they are
 * read in the member's worker thread, so this waits for the worker to finish
 * the batch it is processing.
 *
 * Returns: (transfer full): the statistics, or %NULL with @error set
 */
NetringReceiverStats *
netring_fanout_group_get_member_stats (NetringFanoutGroup *self, guint index, GError **error)
{
  g_return_val_if_fail (NETRING_IS_FANOUT_GROUP (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!self->init_ok)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                           _("The fanout group is not initialised: call g_initable_init() "
                             "first"));
      return NULL;
    }
  g_return_val_if_fail (index < self->n_members, NULL);
  return member_stats (self, &self->members[index], error);
}

/**
 * netring_fanout_group_get_stats:
 * @self: a group
 * @error: return location for a #GError
 *
 * The cumulative statistics of the whole group: every counter and gauge is
 * the sum of the members' (netring_fanout_group_get_member_stats()).
 *
 * Returns: (transfer full): the statistics, or %NULL with @error set
 */
NetringReceiverStats *
netring_fanout_group_get_stats (NetringFanoutGroup *self, GError **error)
{
  NetringReceiverStats total = { 0 };
  guint i;

  g_return_val_if_fail (NETRING_IS_FANOUT_GROUP (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (i = 0; i < self->n_members || !self->init_ok; i++)
    {
      g_autoptr(NetringReceiverStats) s = netring_fanout_group_get_member_stats (self, i, error);

      if (s == NULL)
        return NULL;
      total.packets += s->packets;
      total.drops += s->drops;
      total.freezes += s->freezes;
      total.received += s->received;
      total.batches += s->batches;
      total.lost_blocks += s->lost_blocks;
      total.held_batches += s->held_batches;
      total.held_packets += s->held_packets;
    }
  return netring_receiver_stats_copy (&total);
}
