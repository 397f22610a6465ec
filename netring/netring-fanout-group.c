/* netring-fanout-group.c: N captures in one PACKET_FANOUT group, one thread each */
#include "netring-bpf-program-private.h"
#include "netring-capture-settings-private.h"

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

  /* construct-only: the settings of every member, the same properties as
   * NetringCapture's (settings.fanout_group: -1 lets the kernel choose;
   * after init, the id in use), and the number of members */
  NetringCaptureSettings settings;
  guint n_members;

  gboolean initialized;
  gboolean init_ok;
  Member *members;
  guint n_opened;

  /* while running */
  gboolean running;
  guint n_ready;   /* workers waiting for packets (under lock) */
  GCond ready_cond;
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
  /* 1 … NETRING_CAPTURE_N_SETTINGS - 1: the settings shared with
   * NetringCapture (netring-capture-settings-private.h) */
  PROP_N_MEMBERS = NETRING_CAPTURE_N_SETTINGS,
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

/* Creates and initialises one member capture with @settings: every shared
 * setting is handed over as a property, so a setting added to
 * NetringCaptureSettings reaches the members without a change here. */
static NetringCapture *
member_open (const NetringCaptureSettings *settings, GError **error)
{
  const char *names[NETRING_CAPTURE_N_SETTINGS];
  GValue values[NETRING_CAPTURE_N_SETTINGS];
  g_autoptr(GObject) object = NULL;
  guint n, i;

  memset (values, 0, sizeof values);
  n = netring_capture_settings_to_values (settings, (GParamSpec * const *) properties, names,
                                          values);
  object = g_object_new_with_properties (NETRING_TYPE_CAPTURE, n, names, values);
  for (i = 0; i < n; i++)
    g_value_unset (&values[i]);
  if (!g_initable_init (G_INITABLE (object), NULL, error))
    return NULL;
  return NETRING_CAPTURE (g_steal_pointer (&object));
}

typedef struct {
  NetringFanoutGroup *group;
  const NetringCaptureSettings *settings; /* of members 1 … n - 1 */
  gint next;                              /* atomic: the next member to open */
  GError **errors;                        /* per member */
} OpenJob;

static gpointer
open_worker (gpointer data)
{
  OpenJob *job = data;
  guint i;

  while ((i = (guint) g_atomic_int_add (&job->next, 1)) < job->group->n_members)
    job->group->members[i].capture = member_open (job->settings, &job->errors[i]);
  return NULL;
}

/* Opens members 1 … n - 1, which join the group of member 0. Allocating
 * and clearing a ring is what takes the time (about 50 ms per 256 MiB
 * here), so they are opened on up to one thread per CPU at once. */
static gboolean
open_other_members (NetringFanoutGroup *self, const NetringCaptureSettings *settings,
                    GError **error)
{
  g_autofree GError **errors = g_new0 (GError *, self->n_members);
  g_autofree GThread **threads = NULL;
  OpenJob job = { self, settings, 1, errors };
  guint n_threads = MIN (self->n_members - 1, (guint) g_get_num_processors ());
  gboolean ok = TRUE;
  guint i;

  threads = g_new0 (GThread *, n_threads);
  /* the calling thread is one of the workers */
  for (i = 1; i < n_threads; i++)
    threads[i] = g_thread_new ("netring-fanout-open", open_worker, &job);
  open_worker (&job);
  for (i = 1; i < n_threads; i++)
    g_thread_join (threads[i]);

  for (i = 1; i < self->n_members; i++)
    {
      if (errors[i] != NULL && ok)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&errors[i]),
                                      _("Member %u of the fanout group: "), i);
          ok = FALSE;
        }
      g_clear_error (&errors[i]);
    }
  return ok;
}

/* Every member's socket reports the group (getsockopt (PACKET_FANOUT)). */
static gboolean
check_membership (NetringFanoutGroup *self, GError **error)
{
  guint i;

  for (i = 0; i < self->n_members; i++)
    {
      guint32 arg = 0;
      int r = nr_afpacket_fanout_query (netring_capture_get_fd (self->members[i].capture), &arg);

      if (r != 0)
        {
          netring_set_error_from_errno (error, -r, "getsockopt(PACKET_FANOUT)", NULL);
          return FALSE;
        }
      if (arg == 0 || nr_afpacket_fanout_arg_id (arg) != (guint) self->settings.fanout_group)
        {
          g_set_error (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                       _("Member %u of the fanout group is not in group %d on “%s”"), i,
                       self->settings.fanout_group, self->settings.interface);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
netring_fanout_group_initable_init (GInitable *initable, GCancellable *cancellable,
                                    GError **error)
{
  NetringFanoutGroup *self = NETRING_FANOUT_GROUP (initable);
  NetringCaptureSettings member = { 0 };
  gboolean ok = FALSE;
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
  if (netring_interface_index (self->settings.interface, error) == 0)
    return FALSE;
  /* the same rules as a single capture's, once for all members */
  if (!netring_capture_settings_validate (&self->settings, error))
    return FALSE;
  /* every member has a ring: refuse what the machine cannot give for all of
   * them before the first one is allocated */
  if (!netring_capture_settings_check_memory (&self->settings, self->n_members, error))
    return FALSE;

  self->members = g_new0 (Member, self->n_members);

  /* Member 0 creates the group. Without an id it lets the kernel choose a
   * free one (UNIQUE_ID is only valid on the socket that creates the
   * group). It also compiles the filter, for the link type its own socket
   * reports; the others take the compiled program. */
  netring_capture_settings_copy (&member, &self->settings);
  if (member.fanout_group < 0)
    {
      member.fanout_group = 0;
      member.fanout_flags |= NETRING_FANOUT_FLAGS_UNIQUE_ID;
    }
  else
    member.fanout_flags &= ~NETRING_FANOUT_FLAGS_UNIQUE_ID;
  self->members[0].capture = member_open (&member, error);
  if (self->members[0].capture == NULL)
    {
      g_prefix_error (error, _("Member %u of the fanout group: "), 0);
      goto out;
    }
  self->settings.fanout_group = netring_capture_get_fanout_group (self->members[0].capture);
  if (self->settings.filter != NULL && self->settings.bpf_program == NULL)
    g_object_get (self->members[0].capture, "bpf-program", &self->settings.bpf_program, NULL);

  member.fanout_group = self->settings.fanout_group;
  member.fanout_flags &= ~NETRING_FANOUT_FLAGS_UNIQUE_ID;
  g_clear_pointer (&member.filter, g_free);
  g_clear_pointer (&member.bpf_program, netring_bpf_program_unref);
  if (self->settings.bpf_program != NULL)
    member.bpf_program = netring_bpf_program_ref (self->settings.bpf_program);
  if (self->n_members > 1 && !open_other_members (self, &member, error))
    goto out;
  if (!check_membership (self, error))
    goto out;

  ok = TRUE;
out:
  /* finalize releases whatever members were opened */
  self->n_opened = self->n_members;
  for (i = 0; i < self->n_members; i++)
    {
      self->members[i].group = self;
      self->members[i].index = i;
    }
  netring_capture_settings_clear (&member);
  self->init_ok = ok;
  return ok;
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

  /* start() returns once every worker got here */
  g_mutex_lock (&m->group->lock);
  m->group->n_ready++;
  g_cond_broadcast (&m->group->ready_cond);
  g_mutex_unlock (&m->group->lock);

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
  if (!check_membership (self, error))
    return FALSE;
  self->owned = owned;
  self->func = func;
  self->user_data = user_data;
  self->notify = notify;
  self->stopping = FALSE;
  self->owner_context = g_main_context_ref_thread_default ();
  self->running = TRUE;
  self->n_ready = 0;

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
  /* Return only when every member is in the group (checked above) and its
   * worker is waiting for packets: traffic sent right after start() is
   * spread over all of them and handled at once. */
  g_mutex_lock (&self->lock);
  while (self->n_ready < self->n_members)
    g_cond_wait (&self->ready_cond, &self->lock);
  g_mutex_unlock (&self->lock);
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
  netring_capture_settings_init (&self->settings);
  g_mutex_init (&self->lock);
  g_cond_init (&self->ready_cond);
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
  g_cond_clear (&self->ready_cond);
  netring_capture_settings_clear (&self->settings);
  G_OBJECT_CLASS (netring_fanout_group_parent_class)->finalize (object);
}

static void
netring_fanout_group_get_property (GObject *object, guint prop_id, GValue *value,
                                   GParamSpec *pspec)
{
  NetringFanoutGroup *self = NETRING_FANOUT_GROUP (object);

  switch (prop_id)
    {
    case PROP_N_MEMBERS:
      g_value_set_uint (value, self->n_members);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      if (!netring_capture_settings_get_property (&self->settings, prop_id, value))
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
    case PROP_N_MEMBERS:
      self->n_members = g_value_get_uint (value);
      break;
    default:
      if (!netring_capture_settings_set_property (&self->settings, prop_id, value))
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

  /* The settings shared with NetringCapture, handed to every member: their
   * names, types, ranges and defaults are in netring-capture-settings.c. */
  netring_capture_settings_install (properties);

  /**
   * NetringFanoutGroup:n-members: (getter get_n_members)
   *
   * How many captures (and threads); 0 (the default) for one per CPU, at
   * most 1024. After init it reads back the number opened.
   */
  properties[PROP_N_MEMBERS] =
    g_param_spec_uint ("n-members", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringFanoutGroup:interface:
   *
   * Name of the network interface every member captures. Required.
   */

  /**
   * NetringFanoutGroup:fanout-group: (getter get_fanout_group)
   *
   * The fanout group id, 0 to 65535; -1 (the default) lets the kernel choose
   * an unused one. After init it reads back the id in use. (The same
   * property as #NetringCapture:fanout-group, which a member reads back.)
   */

  /**
   * NetringFanoutGroup:fanout-mode:
   *
   * How the kernel chooses the member for each packet.
   */

  /**
   * NetringFanoutGroup:fanout-flags:
   *
   * Fanout options for every member. %NETRING_FANOUT_FLAGS_UNIQUE_ID is
   * managed by the group (see #NetringFanoutGroup:fanout-group).
   */

  /**
   * NetringFanoutGroup:fanout-program:
   *
   * With %NETRING_FANOUT_MODE_CBPF, the program that returns the member
   * index of each packet (see #NetringCapture:fanout-program).
   */

  /**
   * NetringFanoutGroup:fanout-ebpf-fd:
   *
   * With %NETRING_FANOUT_MODE_EBPF, the fd of the socket-filter program that
   * returns the member index of each packet; the caller keeps it.
   */

  /**
   * NetringFanoutGroup:filter:
   *
   * A pcap filter expression every member applies (see
   * #NetringCapture:filter), compiled once, by the first member for the
   * link type its own socket reports. Change it with
   * netring_fanout_group_set_filter(). Not together with
   * #NetringFanoutGroup:bpf-program.
   */

  /**
   * NetringFanoutGroup:bpf-program:
   *
   * A classic BPF program every member filters with (see
   * #NetringCapture:bpf-program). Not together with
   * #NetringFanoutGroup:filter (which reads back as the program compiled
   * from the expression after init).
   */

  /**
   * NetringFanoutGroup:snap-length:
   *
   * The most bytes captured of each packet, 0 for all (see
   * #NetringCapture:snap-length).
   */

  /**
   * NetringFanoutGroup:profile:
   *
   * The ring preset of every member (see #NetringCapture:profile).
   */

  /**
   * NetringFanoutGroup:block-size:
   *
   * Ring block size of every member, 0 for the profile's (see
   * #NetringCapture:block-size).
   */

  /**
   * NetringFanoutGroup:block-count:
   *
   * Ring blocks of every member, 0 for the profile's (see
   * #NetringCapture:block-count). All the members' rings together must fit
   * in the memory the machine and the process's memory cgroup can give.
   */

  /**
   * NetringFanoutGroup:frame-size:
   *
   * The nominal frame size of every member's ring, 0 for the profile's (see
   * #NetringCapture:frame-size).
   */

  /**
   * NetringFanoutGroup:block-timeout-ms:
   *
   * Block timeout of every member, -1 for the profile's (see
   * #NetringCapture:block-timeout-ms).
   */

  /**
   * NetringFanoutGroup:fill-rxhash:
   *
   * Whether the kernel fills each packet's receive hash (see
   * #NetringCapture:fill-rxhash).
   */

  /**
   * NetringFanoutGroup:promiscuous:
   *
   * Put the interface in promiscuous mode while the group lives.
   */

  /**
   * NetringFanoutGroup:ignore-outgoing:
   *
   * Do not capture packets this host sends (see
   * #NetringCapture:ignore-outgoing).
   */

  /**
   * NetringFanoutGroup:busy-poll-us:
   *
   * Busy-poll time of every member's socket, 0 for none (see
   * #NetringCapture:busy-poll-us).
   */

  /**
   * NetringFanoutGroup:rcvbuf:
   *
   * Socket receive buffer size of every member, 0 to leave it alone (see
   * #NetringCapture:rcvbuf).
   */

  /**
   * NetringFanoutGroup:rcvbuf-force:
   *
   * Set #NetringFanoutGroup:rcvbuf beyond the system limit (see
   * #NetringCapture:rcvbuf-force).
   */

  /**
   * NetringFanoutGroup:timestamp-source:
   *
   * Which clock stamps the members' packets (see
   * #NetringCapture:timestamp-source).
   */

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
 * netring_fanout_group_get_fanout_group:
 * @self: a group
 *
 * The kernel's id of the fanout group, as
 * netring_capture_get_fanout_group() of each member reads it.
 *
 * Returns: the group id, -1 before init
 */
gint
netring_fanout_group_get_fanout_group (NetringFanoutGroup *self)
{
  g_return_val_if_fail (NETRING_IS_FANOUT_GROUP (self), -1);
  return self->init_ok ? self->settings.fanout_group : -1;
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
      /* for the link type member 0's socket reports; only the constant fd
       * of the member is used, so this is safe while its worker runs */
      program = _netring_bpf_program_compile_for_socket (
        expression, netring_capture_get_fd (self->members[0].capture), self->settings.interface,
        self->settings.snap_length, error);
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
  g_free (self->settings.filter);
  self->settings.filter = g_strdup (expression);
  g_clear_pointer (&self->settings.bpf_program, netring_bpf_program_unref);
  if (program != NULL)
    self->settings.bpf_program = netring_bpf_program_ref (program);
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
