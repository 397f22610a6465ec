/* netring-receive-source.c: the GSource of every receiver, and the core a
 * receiver's batches and sources share */
#include "netring-receiver-private.h"

/* Batches handed out per dispatch before the main loop gets to run other
 * sources; a 4 MiB ring block holds ~25,000 small packets, so this is
 * plenty. */
#define BATCHES_PER_DISPATCH 8

/* How often an attached source reads the kernel's drop counter for
 * ::drops when no batch marked LOSING told it to: one getsockopt() a
 * second, and it finds drops while the consumer is stalled. */
#define DROP_CHECK_INTERVAL_US G_USEC_PER_SEC

typedef struct {
  GSource source;
  NetringReceiver *receiver; /* strong, except for the start() source */
  gboolean owns_receiver;
  const NetringReceiverInterface *iface;
  NetringReceiveCore *core;  /* strong; NULL when made on an unusable receiver */
  GCancellable *cancellable;
  gpointer fd_tag;
  gushort events;
  gboolean fd_failed;
  gboolean dispatching;      /* the source can recurse; this keeps it from doing so */
  gboolean parked;           /* waiting for a release (written under core->lock) */
  GMainContext *wake_context; /* where the source runs (under core->lock) */
  GTask *task;               /* set for the one-shot sources of the async calls */
  gint64 next_drop_check;    /* monotonic time of the next periodic look at drops */
  gboolean drops_due;        /* a LOSING batch or the period: look at drops */
} ReceiveSource;

/* ---- the core ----------------------------------------------------------- */

NetringReceiveCore *
_netring_receive_core_new (void)
{
  NetringReceiveCore *core = g_new0 (NetringReceiveCore, 1);

  g_atomic_ref_count_init (&core->ref_count);
  g_mutex_init (&core->lock);
  core->sources = g_ptr_array_new ();
  return core;
}

NetringReceiveCore *
_netring_receive_core_ref (NetringReceiveCore *core)
{
  g_atomic_ref_count_inc (&core->ref_count);
  return core;
}

void
_netring_receive_core_unref (NetringReceiveCore *core)
{
  if (!g_atomic_ref_count_dec (&core->ref_count))
    return;
  g_assert (core->sources->len == 0);
  g_ptr_array_unref (core->sources);
  g_mutex_clear (&core->lock);
  g_free (core);
}

void
_netring_receive_core_released (NetringReceiveCore *core, guint32 n_packets)
{
  guint i;

  g_atomic_int_add (&core->held_batches, -1);
  g_mutex_lock (&core->lock);
  core->held_packets -= n_packets;
  /* A source parked on this memory (possibly in another thread's context)
   * must look at the ring again now. */
  for (i = 0; i < core->sources->len; i++)
    {
      ReceiveSource *rs = g_ptr_array_index (core->sources, i);

      if (rs->parked)
        g_main_context_wakeup (rs->wake_context);
    }
  g_mutex_unlock (&core->lock);
}

void
_netring_receive_core_wake_all (NetringReceiveCore *core)
{
  guint i;

  g_mutex_lock (&core->lock);
  for (i = 0; i < core->sources->len; i++)
    {
      ReceiveSource *rs = g_ptr_array_index (core->sources, i);

      if (rs->wake_context != NULL)
        g_main_context_wakeup (rs->wake_context);
    }
  g_mutex_unlock (&core->lock);
}

/* ---- taking batches ----------------------------------------------------- */

NetringBatch *
_netring_receive_take (NetringReceiver *self, const NetringReceiverInterface *iface)
{
  NetringReceiveCore *core = iface->get_core (self);
  NETRING_THREAD_GUARD_SCOPE (core != NULL ? &core->guard : NULL, self,
                              "netring_receiver_next_batch");
  NetringBatch *batch = iface->take_batch (self);

  if (batch == NULL)
    return NULL;
  core->batches++;
  core->received += batch->n_packets;
  g_atomic_int_inc (&core->held_batches);
  g_mutex_lock (&core->lock);
  core->held_packets += batch->n_packets;
  g_mutex_unlock (&core->lock);
  return batch;
}

void
_netring_receive_check_drops (NetringReceiver *self, const NetringReceiverInterface *iface)
{
  NetringReceiveCore *core = iface->get_core (self);
  guint64 total = 0;
  guint64 grown;

  if (core == NULL || iface->read_drops == NULL || !iface->read_drops (self, &total))
    return;
  if (total <= core->drops_signalled)
    return;
  grown = total - core->drops_signalled;
  core->drops_signalled = total;
  /* by name: the signal belongs to the interface one floor up; this runs
   * only when the drop total grew */
  g_signal_emit_by_name (self, "drops", grown, total);
}

/* Completes an async call with @batch (transfer full). When the task
 * wants copies (receive_async sets its task data), the memory goes back to the kernel before the caller sees the copies. */
void
_netring_receive_task_return_batch (GTask *task, NetringBatch *batch)
{
  if (g_task_get_task_data (task) != NULL)
    {
      GPtrArray *packets = netring_batch_copy_packets (batch);

      netring_batch_unref (batch);
      g_task_return_pointer (task, packets, (GDestroyNotify) g_ptr_array_unref);
    }
  else
    g_task_return_pointer (task, batch, (GDestroyNotify) netring_batch_unref);
}

/* ---- the source --------------------------------------------------------- */

static void
receive_source_set_parked (ReceiveSource *rs, gboolean parked)
{
  /* only this source's own thread changes the flag, so reading it without
   * the lock is safe */
  if (rs->parked == parked)
    return;
  g_mutex_lock (&rs->core->lock);
  rs->parked = parked;
  g_mutex_unlock (&rs->core->lock);
}

static void
receive_source_poll_for (ReceiveSource *rs, gushort events)
{
  if (rs->fd_tag != NULL && rs->events != events)
    {
      g_source_modify_unix_fd ((GSource *) rs, rs->fd_tag, events);
      rs->events = events;
    }
}

static gboolean
receive_source_unusable (ReceiveSource *rs)
{
  return rs->core == NULL || g_atomic_int_get (&rs->core->closed);
}

/* Whether the periodic look at the drop counter is due; else how long until
 * it is, in ms, in @timeout (which only shrinks). */
static gboolean
receive_source_drop_check_due (ReceiveSource *rs, gint *timeout)
{
  gint64 now = g_source_get_time ((GSource *) rs);
  gint64 left_ms;

  if (rs->next_drop_check == 0)
    rs->next_drop_check = now + DROP_CHECK_INTERVAL_US;
  if (now >= rs->next_drop_check)
    {
      rs->drops_due = TRUE;
      return TRUE;
    }
  if (timeout != NULL)
    {
      left_ms = (rs->next_drop_check - now + 999) / 1000;
      if (*timeout < 0 || left_ms < *timeout)
        *timeout = (gint) left_ms;
    }
  return FALSE;
}

static gboolean receive_source_prepare_batches (GSource *source, gint *timeout);

static gboolean
receive_source_prepare (GSource *source, gint *timeout)
{
  ReceiveSource *rs = (ReceiveSource *) source;
  gboolean ready = receive_source_prepare_batches (source, timeout);

  if (ready || rs->dispatching || receive_source_unusable (rs))
    return ready;
  return receive_source_drop_check_due (rs, timeout);
}

static gboolean
receive_source_prepare_batches (GSource *source, gint *timeout)
{
  ReceiveSource *rs = (ReceiveSource *) source;
  NetringReceiveState state;

  *timeout = -1;
  if (rs->dispatching)
    {
      /* a nested main loop inside our callback: not ready, and not polled
       * for data (which would make that loop spin) */
      receive_source_poll_for (rs, G_IO_ERR | G_IO_HUP);
      return FALSE;
    }
  if (G_UNLIKELY (rs->wake_context == NULL && rs->core != NULL))
    {
      g_mutex_lock (&rs->core->lock);
      rs->wake_context = g_main_context_ref (g_source_get_context (source));
      g_mutex_unlock (&rs->core->lock);
    }
  if (G_UNLIKELY (receive_source_unusable (rs)))
    {
      /* closed: the fd may already belong to someone else; dispatch
       * reports the error */
      if (rs->fd_tag != NULL)
        {
          g_source_remove_unix_fd (source, rs->fd_tag);
          rs->fd_tag = NULL;
        }
      return TRUE;
    }

  state = rs->iface->peek (rs->receiver);
  if (state == NETRING_RECEIVE_HELD && !rs->parked)
    {
      /* Park first, then look again: a release (in another thread) between
       * the first look and the parking found the source not parked and
       * woke nobody. Now either the release comes later and wakes us, or
       * this look sees the memory back (the release gave it back before it
       * took the lock that the parking took after it). */
      receive_source_set_parked (rs, TRUE);
      state = rs->iface->peek (rs->receiver);
    }
  switch (state)
    {
    case NETRING_RECEIVE_READY:
      receive_source_set_parked (rs, FALSE);
      return TRUE;

    case NETRING_RECEIVE_HELD:
      /* The next batch is still held by the user: nothing can arrive until
       * it is released, and the release wakes us. poll() is kept only for
       * errors (GLib skips an fd with no events at all). */
      receive_source_set_parked (rs, TRUE);
      receive_source_poll_for (rs, G_IO_ERR | G_IO_HUP);
      return FALSE;

    case NETRING_RECEIVE_EMPTY_NO_POLL:
      /* poll() would report input for ever (the kernel says POLLIN while
       * the block it retired last is user-owned): look again on a timer */
      receive_source_set_parked (rs, FALSE);
      receive_source_poll_for (rs, G_IO_ERR | G_IO_HUP);
      *timeout = rs->iface->recheck_ms (rs->receiver);
      return FALSE;

    case NETRING_RECEIVE_EMPTY_WATCH:
      /* poll for input, and look again after a while: the socket may
       * fail without poll() noticing */
      receive_source_set_parked (rs, FALSE);
      receive_source_poll_for (rs, G_IO_IN | G_IO_ERR | G_IO_HUP);
      *timeout = rs->iface->recheck_ms (rs->receiver);
      return FALSE;

    case NETRING_RECEIVE_FAILED:
      /* dispatch asks check_error() why */
      receive_source_set_parked (rs, FALSE);
      rs->fd_failed = TRUE;
      return TRUE;

    case NETRING_RECEIVE_EMPTY:
    default:
      receive_source_set_parked (rs, FALSE);
      receive_source_poll_for (rs, G_IO_IN | G_IO_ERR | G_IO_HUP);
      return FALSE;
    }
}

static gboolean
receive_source_check (GSource *source)
{
  ReceiveSource *rs = (ReceiveSource *) source;
  GIOCondition revents;

  if (rs->dispatching)
    return FALSE;
  if (receive_source_unusable (rs))
    return TRUE;
  revents = rs->fd_tag != NULL ? g_source_query_unix_fd (source, rs->fd_tag) : 0;
  if (revents & (G_IO_ERR | G_IO_HUP | G_IO_NVAL))
    rs->fd_failed = TRUE;
  if (rs->cancellable != NULL && g_cancellable_is_cancelled (rs->cancellable))
    return TRUE;
  return rs->fd_failed || rs->iface->peek (rs->receiver) == NETRING_RECEIVE_READY ||
         receive_source_drop_check_due (rs, NULL);
}

/* The drop alarm: after a batch marked LOSING, and once per period. */
static void
receive_source_note_batch (ReceiveSource *rs, NetringBatch *batch)
{
  if (G_UNLIKELY (batch->status_flags & NETRING_PACKET_STATUS_LOSING))
    rs->drops_due = TRUE;
}

static void
receive_source_check_drops (ReceiveSource *rs)
{
  if (!rs->drops_due && !receive_source_drop_check_due (rs, NULL))
    return;
  rs->drops_due = FALSE;
  rs->next_drop_check = g_source_get_time ((GSource *) rs) + DROP_CHECK_INTERVAL_US;
  if (!receive_source_unusable (rs))
    _netring_receive_check_drops (rs->receiver, rs->iface);
}

/* Why the source must end, when it must: the receiver is unusable (closed),
 * the cancellable was cancelled, or the socket failed. */
static gboolean
receive_source_failed (ReceiveSource *rs, GError **error)
{
  if (receive_source_unusable (rs) && !rs->iface->check_ready (rs->receiver, error))
    return TRUE;
  if (rs->cancellable != NULL && g_cancellable_set_error_if_cancelled (rs->cancellable, error))
    return TRUE;
  if (rs->fd_failed)
    {
      rs->fd_failed = FALSE;
      if (rs->iface->check_error (rs->receiver, error))
        return TRUE;
    }
  return FALSE;
}

/* The one-shot source of an async call: completes the task exactly once. */
static gboolean
receive_source_dispatch_task (ReceiveSource *rs)
{
  NetringBatch *batch = NULL;
  GError *error = NULL;

  if (!receive_source_unusable (rs))
    batch = _netring_receive_take (rs->receiver, rs->iface);
  if (batch != NULL)
    receive_source_note_batch (rs, batch);
  receive_source_check_drops (rs);
  if (batch != NULL)
    {
      _netring_receive_task_return_batch (rs->task, batch);
      return G_SOURCE_REMOVE;
    }
  if (receive_source_failed (rs, &error))
    {
      g_task_return_error (rs->task, error);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
receive_source_dispatch_batches (ReceiveSource *rs, NetringBatchFunc func, gpointer user_data)
{
  g_autoptr(NetringReceiver) self = g_object_ref (rs->receiver);
  g_autoptr(GError) error = NULL;
  guint i;

  if (rs->task != NULL)
    return receive_source_dispatch_task (rs);
  if (func == NULL)
    {
      g_warning ("NetringReceiver source dispatched without a callback; "
                 "call g_source_set_callback() before attaching it");
      return G_SOURCE_REMOVE;
    }

  for (i = 0; i < BATCHES_PER_DISPATCH && !receive_source_unusable (rs); i++)
    {
      g_autoptr(NetringBatch) batch = _netring_receive_take (self, rs->iface);

      if (batch == NULL)
        break;
      receive_source_note_batch (rs, batch);
      if (!func (self, batch, NULL, user_data))
        return G_SOURCE_REMOVE;
      if (g_source_is_destroyed ((GSource *) rs))
        return G_SOURCE_REMOVE;
    }
  /* after the batches, so ::drops follows the batch that revealed them */
  receive_source_check_drops (rs);
  if (g_source_is_destroyed ((GSource *) rs))
    return G_SOURCE_REMOVE;
  if (i == BATCHES_PER_DISPATCH)
    return G_SOURCE_CONTINUE; /* more may be ready: come back after others ran */

  if (receive_source_failed (rs, &error))
    {
      func (self, NULL, error, user_data);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
receive_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  ReceiveSource *rs = (ReceiveSource *) source;
  gboolean keep;

  rs->dispatching = TRUE;
  keep = receive_source_dispatch_batches (rs, (NetringBatchFunc) (gpointer) callback, user_data);
  rs->dispatching = FALSE;
  return keep;
}

static void
receive_source_finalize (GSource *source)
{
  ReceiveSource *rs = (ReceiveSource *) source;

  if (rs->core != NULL)
    {
      g_mutex_lock (&rs->core->lock);
      g_ptr_array_remove_fast (rs->core->sources, rs);
      g_mutex_unlock (&rs->core->lock);
      g_clear_pointer (&rs->core, _netring_receive_core_unref);
    }
  g_clear_pointer (&rs->wake_context, g_main_context_unref);
  g_clear_object (&rs->cancellable);
  g_clear_object (&rs->task);
  if (rs->owns_receiver)
    g_clear_object (&rs->receiver);
}

static GSourceFuncs receive_source_funcs = {
  receive_source_prepare,
  receive_source_check,
  receive_source_dispatch,
  receive_source_finalize,
  NULL,
  NULL,
};

GSource *
_netring_receive_source_new (NetringReceiver *receiver, GCancellable *cancellable,
                             gboolean owns_receiver, GTask *task)
{
  GSource *source = g_source_new (&receive_source_funcs, sizeof (ReceiveSource));
  ReceiveSource *rs = (ReceiveSource *) source;
  const NetringReceiverInterface *iface = NETRING_RECEIVER_GET_IFACE (receiver);

  g_source_set_static_name (source, "NetringReceiver");
  /* GLib takes a non-recursive source's fds out of the poll set around each
   * dispatch and puts them back after, which costs four system calls per
   * batch (two eventfd writes, a poll and a read). The source guards
   * against recursion itself instead (rs->dispatching). */
  g_source_set_can_recurse (source, TRUE);
  rs->receiver = owns_receiver ? g_object_ref (receiver) : receiver;
  rs->owns_receiver = owns_receiver;
  rs->iface = iface;
  rs->task = task != NULL ? g_object_ref (task) : NULL;

  /* On a receiver that cannot be used (not initialised, closed) the source
   * has nothing to watch: it dispatches at once with the reason. */
  if (iface->check_ready (receiver, NULL))
    {
      rs->core = _netring_receive_core_ref (iface->get_core (receiver));
      g_mutex_lock (&rs->core->lock);
      g_ptr_array_add (rs->core->sources, rs);
      g_mutex_unlock (&rs->core->lock);
      rs->events = G_IO_IN | G_IO_ERR | G_IO_HUP;
      rs->fd_tag = g_source_add_unix_fd (source, iface->get_fd (receiver), rs->events);
    }
  if (cancellable != NULL)
    {
      g_autoptr(GSource) cancel_source = g_cancellable_source_new (cancellable);

      rs->cancellable = g_object_ref (cancellable);
      /* Cancellation wakes the parent; its dispatch reports the error. */
      g_source_set_dummy_callback (cancel_source);
      g_source_add_child_source (source, cancel_source);
    }
  return source;
}
