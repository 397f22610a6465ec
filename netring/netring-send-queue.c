/* netring-send-queue.c: what every sender does the same way, over the hooks
 * of its back end (see netring-sender-private.h): readiness, frame order,
 * send_async() with its POLLOUT wait and pooled results, flush_async,
 * wait_drained, close. */
#include "netring-sender-private.h"

#include <glib-unix.h>
#include <poll.h>
#include <string.h>

/* How long a waiting send or wait_drained sleeps when the socket reported
 * POLLOUT although nothing came back: the kernel's POLLOUT on a ring socket
 * also means "send buffer less than half full" (datagram_poll), so it is
 * often set while every slot is still in flight. Doubled on every
 * fruitless wake-up, up to the maximum. */
#define BACKOFF_MIN_MS 1
#define BACKOFF_MAX_MS 8

/* How long a wait for POLLOUT lasts at most before the sender is looked at
 * again anyway: an AF_XDP socket gives zero-copy completions back without
 * an fd event, and one whose interface was removed never reports POLLOUT
 * nor an error to poll() (only the next kick says so). */
#define FD_WAIT_MAX_MS 200

/* Results kept for reuse (not more than a ring's worth). */
#define RESULT_POOL_MAX 1024

static inline gboolean
queue_ready (const NetringSendQueue *q)
{
  return netring_readiness_ready (q->readiness);
}

/* The readiness check every call starts with: inline when all is well. */
static inline gboolean
queue_check (const NetringSendQueue *q, GError **error)
{
  if (G_LIKELY (queue_ready (q)))
    return TRUE;
  return netring_readiness_check (q->readiness, q->type_name, error);
}

/* While calls are outstanding (waiting for room, or for their callback),
 * the queue holds one reference on the sender, as a GTask holds its source
 * object: a program may drop its own reference right after send_async(). */
static inline void
queue_hold (NetringSendQueue *q)
{
  if (q->n_outstanding++ == 0)
    g_object_ref (q->sender);
}

/* May drop the last reference on the sender: call it last. */
static inline void
queue_unhold (NetringSendQueue *q, guint n)
{
  g_assert (q->n_outstanding >= n);
  q->n_outstanding -= n;
  if (n > 0 && q->n_outstanding == 0)
    g_object_unref (q->sender);
}

void
netring_send_queue_set_full_error (NetringSendQueue *q, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
               /* TRANSLATORS: %s is a type name such as NetringInjector */
               _("The ring of the %s is full (%u frames wait for the kernel): wait for POLLOUT "
                 "on its fd, or use netring_sender_send_async()"),
               q->type_name, q->iface->get_pending (q->sender));
}

static gboolean
queue_busy (NetringSendQueue *q, GError **error)
{
  if (G_LIKELY (q->wait_head == NULL))
    return FALSE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
               _("%u earlier frames are waiting in netring_sender_send_async(); this frame "
                 "would overtake them"),
               q->n_waiting);
  return TRUE;
}

/* ---- results of send_async() ------------------------------------------ */

/* The result of one send_async() call. No GTask: a GTask per frame (a
 * GObject created, an idle source, a GObject disposed) cost more than the
 * kernel's own work on veth. Results are reported together, one source
 * dispatch per main-loop round and context, in call order, and then
 * reused. The same object carries a call while it waits for room. */
#define NETRING_TYPE_SEND_RESULT (netring_send_result_get_type ())
G_DECLARE_FINAL_TYPE (NetringSendResult, netring_send_result, NETRING, SEND_RESULT, GObject)

struct _NetringSendResult {
  GObject parent_instance;

  NetringSendResult *next;  /* in the wait list, a round or the pool */
  NetringSendQueue *queue;  /* whose call it is; NULL in the pool */
  GObject *sender;          /* the source object (queue->sender) */
  GObject *sender_ref;      /* a reference on it, taken when a callback keeps the result */
  gpointer tag;             /* the public function called */
  GAsyncReadyCallback callback;
  gpointer user_data;
  GError *error;            /* NULL: the frame is in the ring */

  /* send_many_async(): the frames are one after the other in `frame`;
   * `n_done` of them are in the ring, `done_bytes` into `frame` */
  gboolean many;
  guint32 *lengths;         /* NULL once the call completed */
  guint n_frames;
  guint n_done;
  gsize done_bytes;

  /* while waiting for room */
  GBytes *frame;
  GMainContext *context;    /* referenced */
  GSource *cancel_source;
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
  NetringSendResult *self = (NetringSendResult *) object;

  g_clear_error (&self->error);
  g_clear_object (&self->sender_ref);
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
  NetringSendResult *self = (NetringSendResult *) result;

  return self->sender != NULL ? g_object_ref (self->sender) : NULL;
}

static gpointer
send_result_get_user_data (GAsyncResult *result)
{
  return ((NetringSendResult *) result)->user_data;
}

static gboolean
send_result_is_tagged (GAsyncResult *result, gpointer source_tag)
{
  NetringSendResult *self = (NetringSendResult *) result;

  if (source_tag == NULL || self->queue == NULL)
    return FALSE;
  if (self->many)
    return source_tag == self->tag;
  /* the class's send_async and the interface's are the same operation */
  return source_tag == self->tag || source_tag == (gpointer) netring_sender_send_async ||
         source_tag == self->queue->tags.send_async;
}

static void
netring_send_result_async_result_init (GAsyncResultIface *iface)
{
  iface->get_source_object = send_result_get_source_object;
  iface->get_user_data = send_result_get_user_data;
  iface->is_tagged = send_result_is_tagged;
}

static inline NetringSendResult *
result_take (NetringSendQueue *q, GAsyncReadyCallback callback, gpointer user_data,
             gpointer tag)
{
  NetringSendResult *r = q->pool;

  if (G_LIKELY (r != NULL))
    {
      q->pool = r->next;
      q->pool_length--;
      r->next = NULL;
    }
  else
    r = g_object_new (NETRING_TYPE_SEND_RESULT, NULL);
  r->queue = q;
  r->sender = (GObject *) q->sender;
  r->callback = callback;
  r->user_data = user_data;
  r->tag = tag;
  queue_hold (q);
  return r;
}

/* After the callback: back to the pool, unless the callback kept a
 * reference; then the result holds its source object from now on, as a
 * GTask does, and lives on its own. The caller unholds. */
static inline void
result_release (NetringSendQueue *q, NetringSendResult *r)
{
  if (G_LIKELY (g_atomic_int_get (&((GObject *) r)->ref_count) == 1 &&
                q->pool_length < RESULT_POOL_MAX))
    {
      g_clear_error (&r->error);
      r->many = FALSE;
      r->n_frames = r->n_done = 0;
      r->done_bytes = 0;
      r->queue = NULL;
      r->sender = NULL;
      r->callback = NULL;
      r->user_data = NULL;
      r->next = q->pool;
      q->pool = r;
      q->pool_length++;
      return;
    }
  r->sender_ref = g_object_ref (r->sender);
  g_object_unref (r);
}

/* ---- rounds: one source per main context reports the completed calls ---- */

struct _NetringSendRound {
  GSource source;
  NetringSendQueue *queue;
  GMainContext *context;     /* attached there (not a reference) */
  GMainContext *context_ref; /* a reference while results wait in the round */
  NetringSendResult *head;
  NetringSendResult *tail;
};

static gboolean
round_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  NetringSendRound *round = (NetringSendRound *) source;
  NetringSendQueue *q = round->queue;
  NetringSendResult *r = round->head;
  GMainContext *context = g_steal_pointer (&round->context_ref);
  guint n = 0;

  /* calls made from these callbacks go to the next round */
  round->head = round->tail = NULL;
  g_source_set_ready_time (source, -1);
  while (r != NULL)
    {
      NetringSendResult *next = r->next;

      r->next = NULL;
      r->callback (r->sender, (GAsyncResult *) r, r->user_data);
      result_release (q, r);
      n++;
      r = next;
    }
  if (context != NULL)
    g_main_context_unref (context);
  queue_unhold (q, n); /* last: may finalize the sender, which destroys this source */
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs round_funcs = { NULL, NULL, round_dispatch, NULL, NULL, NULL };

static NetringSendRound *
round_new (NetringSendQueue *q, GMainContext *context)
{
  NetringSendRound *round =
    (NetringSendRound *) g_source_new (&round_funcs, sizeof (NetringSendRound));

  round->queue = q;
  round->context = context;
  g_source_set_static_name ((GSource *) round, "NetringSender send_async");
  g_source_attach ((GSource *) round, context);
  return round;
}

static void
round_free (gpointer data)
{
  GSource *source = data;

  g_source_destroy (source);
  g_source_unref (source);
}

static NetringSendRound *
queue_round_slow (NetringSendQueue *q, GMainContext *context)
{
  NetringSendRound *round = NULL;
  guint i = 0;

  while (i < q->rounds->len)
    {
      NetringSendRound *candidate = g_ptr_array_index (q->rounds, i);

      /* A round whose context was freed (the round holds no reference
       * while it is empty) was destroyed with it; an empty one can go. */
      if (g_source_is_destroyed ((GSource *) candidate) && candidate->head == NULL)
        {
          if (q->last_round == candidate)
            q->last_round = NULL;
          g_ptr_array_remove_index_fast (q->rounds, i);
          continue;
        }
      if (candidate->context == context && !g_source_is_destroyed ((GSource *) candidate))
        round = candidate;
      i++;
    }
  if (round == NULL)
    {
      round = round_new (q, context);
      g_ptr_array_add (q->rounds, round);
    }
  q->last_round = round;
  return round;
}

/* The context a call reports to: the caller's thread-default, as
 * g_task_new() takes it (no reference taken here). */
static inline GMainContext *
caller_context (void)
{
  GMainContext *context = g_main_context_get_thread_default ();

  return context != NULL ? context : g_main_context_default ();
}

/* Completes a call: its frame is in the ring (@error NULL) or it failed
 * (takes @error). The callback runs from the round of @context, in a later
 * main-loop iteration, after the callbacks of earlier calls. */
static void
result_complete (NetringSendQueue *q, NetringSendResult *r, GMainContext *context, GError *error)
{
  NetringSendRound *round = q->last_round;

  r->error = error;
  if (G_UNLIKELY (r->callback == NULL))
    {
      result_release (q, r);
      queue_unhold (q, 1);
      return;
    }
  /* The common case: a round in this context already has results, so it
   * holds the context and its source is alive; the result rides along. */
  if (G_LIKELY (round != NULL && round->tail != NULL && round->context == context))
    {
      round->tail->next = r;
      round->tail = r;
      return;
    }
  if (round == NULL || round->context != context || g_source_is_destroyed ((GSource *) round))
    round = queue_round_slow (q, context);
  if (round->tail != NULL)
    {
      round->tail->next = r;
      round->tail = r;
      return;
    }
  round->head = round->tail = r;
  /* The first of a round arms the source and keeps its context alive;
   * the others ride along (setting the ready time takes the context's
   * lock). */
  round->context_ref = g_main_context_ref (context);
  g_source_set_ready_time ((GSource *) round, 0);
}

/* ---- send_async() calls waiting for room -------------------------------- */

static void wait_arm (NetringSendQueue *q, gboolean use_fd);

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* Takes @r off the wait list (it is there) and completes it. */
static void
wait_complete (NetringSendQueue *q, NetringSendResult *r, GError *error)
{
  NetringSendResult **link = &q->wait_head, *prev = NULL;
  GMainContext *context = g_steal_pointer (&r->context);

  while (*link != r)
    {
      prev = *link;
      link = &(*link)->next;
    }
  *link = r->next;
  if (q->wait_tail == r)
    q->wait_tail = prev;
  r->next = NULL;
  q->n_waiting--;

  clear_source (&r->cancel_source);
  g_clear_pointer (&r->frame, g_bytes_unref);
  g_clear_pointer (&r->lengths, g_free);
  result_complete (q, r, context, error);
  g_main_context_unref (context);
}

/* The back end's put() of a frame in a GBytes. An empty GBytes may have
 * no data at all: the back end still gets an address, and its length
 * check refuses (and counts) the empty frame. */
static inline NetringSendStatus
put_bytes (NetringSendQueue *q, GBytes *frame, GError **error)
{
  gsize length;
  gconstpointer data = g_bytes_get_data (frame, &length);

  return q->iface->put (q->sender, data != NULL ? data : (gconstpointer) "", length, error);
}

/* The back end's put() of the frames of a send_many_async() call that are
 * not in the ring yet, in order, from @data (the call's buffer). OK when
 * every frame is in the ring, or when a frame failed after others were
 * queued (the call then reports how many, as netring_sender_send_many()
 * does); FAILED (with @error) when the first frame failed; FULL when the
 * ring filled up (the call keeps its progress and waits). */
static NetringSendStatus
put_many (NetringSendQueue *q, NetringSendResult *r, const guint8 *data, GError **error)
{
  while (r->n_done < r->n_frames)
    {
      guint32 length = r->lengths[r->n_done];
      GError *local_error = NULL;
      NetringSendStatus status =
        q->iface->put (q->sender, length != 0 ? data + r->done_bytes : (const guint8 *) "",
                       length, &local_error);

      if (status == NETRING_SEND_FULL)
        return status;
      if (status != NETRING_SEND_OK)
        {
          if (r->n_done == 0)
            {
              g_propagate_error (error, local_error);
              return status;
            }
          g_clear_error (&local_error);
          return NETRING_SEND_OK;
        }
      q->queued_since_flush++;
      r->n_done++;
      r->done_bytes += length;
    }
  return NETRING_SEND_OK;
}

/* Queues as many waiting frames as the ring takes, oldest first. Returns
 * the number of calls completed, or 1 when only frames of a
 * send_many_async() call went in: either is progress. */
static guint
wait_process (NetringSendQueue *q)
{
  NetringSendResult *r;
  guint completed = 0;

  while ((r = q->wait_head) != NULL)
    {
      GError *error = NULL;
      NetringSendStatus status;

      if (r->many)
        {
          guint before = r->n_done;

          status = put_many (q, r, g_bytes_get_data (r->frame, NULL), &error);
          if (status == NETRING_SEND_FULL)
            {
              if (r->n_done > before && completed == 0)
                completed = 1;
              break;
            }
        }
      else
        {
          status = put_bytes (q, r->frame, &error);
          if (status == NETRING_SEND_FULL)
            break;
          if (status == NETRING_SEND_OK)
            q->queued_since_flush++;
        }
      wait_complete (q, r, error);
      completed++;
    }
  return completed;
}

static void
wait_dispatch (NetringSendQueue *q, gboolean from_fd, GIOCondition condition)
{
  NETRING_THREAD_GUARD_SCOPE (&q->guard, q->sender, "NetringSender send_async dispatch");
  guint completed;

  if (from_fd && (condition & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) != 0)
    {
      GError *error = NULL;

      /* the interface went away: the oldest call reports it */
      if (q->iface->take_error (q->sender, &error))
        wait_complete (q, q->wait_head, error);
    }
  completed = wait_process (q);
  if (completed > 0)
    q->backoff_ms = BACKOFF_MIN_MS;
  wait_arm (q, completed > 0 || !from_fd);
}

static gboolean
wait_fd_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  wait_dispatch (user_data, TRUE, condition);
  return G_SOURCE_CONTINUE; /* wait_arm() decided the source's fate */
}

static gboolean
wait_timer_cb (gpointer user_data)
{
  wait_dispatch (user_data, FALSE, 0);
  return G_SOURCE_CONTINUE;
}

/* A source for a call that waits for the kernel to give slots back: with
 * @use_fd, POLLOUT (or an error) on the sender's socket, calling @fd_cb;
 * otherwise, after a POLLOUT that brought nothing back, a timer of
 * *@backoff_ms calling @timer_cb instead of spinning (*@backoff_ms doubles
 * for the next time, up to BACKOFF_MAX_MS). Not attached yet. */
static GSource *
room_source_new (NetringSendQueue *q,
                 gboolean          use_fd,
                 guint            *backoff_ms,
                 GUnixFDSourceFunc fd_cb,
                 GSourceFunc       timer_cb,
                 gpointer          data,
                 const char       *name)
{
  GSource *source;

  if (use_fd)
    {
      source = g_unix_fd_source_new (q->iface->get_fd (q->sender),
                                     G_IO_OUT | G_IO_ERR | G_IO_HUP);
      g_source_set_callback (source, G_SOURCE_FUNC (fd_cb), data, NULL);
      /* dispatched with no condition when it expires */
      g_source_set_ready_time (source,
                               g_get_monotonic_time () + FD_WAIT_MAX_MS * G_TIME_SPAN_MILLISECOND);
    }
  else
    {
      source = g_timeout_source_new (*backoff_ms);
      g_source_set_callback (source, timer_cb, data, NULL);
      *backoff_ms = MIN (*backoff_ms * 2, BACKOFF_MAX_MS);
    }
  g_source_set_static_name (source, name);
  return source;
}

/* (Re)creates the source that waits for the oldest waiting call, in its
 * main context. */
static void
wait_arm (NetringSendQueue *q, gboolean use_fd)
{
  NetringSendResult *head = q->wait_head;

  clear_source (&q->wait_source);
  if (head == NULL)
    {
      q->backoff_ms = BACKOFF_MIN_MS;
      return;
    }
  q->wait_source = room_source_new (q, use_fd, &q->backoff_ms, wait_fd_cb, wait_timer_cb, q,
                                    "NetringSender send_async wait");
  g_source_attach (q->wait_source, head->context);
}

static gboolean
wait_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  NetringSendResult *r = user_data;
  NetringSendQueue *q = r->queue;
  gboolean was_head = q->wait_head == r;
  GError *error = NULL;

  /* Still waiting (a completed call has no cancel source any more): its
   * frame never reached the ring. A send_many_async() call some of whose
   * frames are in the ring already reports how many, without an error:
   * those frames will be sent. */
  if (!r->many || r->n_done == 0)
    g_cancellable_set_error_if_cancelled (cancellable, &error);
  wait_complete (q, r, error);
  if (was_head)
    wait_arm (q, TRUE);
  return G_SOURCE_REMOVE;
}

static void
wait_append (NetringSendQueue *q, NetringSendResult *r, GBytes *frame, GMainContext *context,
             GCancellable *cancellable)
{
  r->frame = g_bytes_ref (frame);
  r->context = g_main_context_ref (context);
  if (cancellable != NULL)
    {
      r->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (r->cancel_source, G_SOURCE_FUNC (wait_cancelled_cb), r, NULL);
      g_source_set_static_name (r->cancel_source, "NetringSender send_async cancel");
      g_source_attach (r->cancel_source, context);
    }
  if (q->wait_tail != NULL)
    q->wait_tail->next = r;
  else
    q->wait_head = r;
  q->wait_tail = r;
  q->n_waiting++;
  if (q->wait_head == r)
    {
      q->backoff_ms = BACKOFF_MIN_MS;
      wait_arm (q, TRUE);
    }
}

/* ---- the operations ------------------------------------------------------- */

void
netring_send_queue_init (NetringSendQueue      *q,
                         NetringSender         *sender,
                         NetringReadiness      *readiness,
                         const char            *type_name,
                         const NetringSendTags *tags)
{
  memset (q, 0, sizeof *q);
  q->sender = sender;
  q->iface = NETRING_SENDER_GET_IFACE (sender);
  q->readiness = readiness;
  q->type_name = type_name;
  if (tags != NULL)
    q->tags = *tags;
  q->backoff_ms = BACKOFF_MIN_MS;
  q->rounds = g_ptr_array_new_with_free_func (round_free);
}

void
netring_send_queue_clear (NetringSendQueue *q)
{
  NetringSendResult *r;

  /* Outstanding calls hold a reference on the sender: none is left when it
   * is finalized. */
  g_warn_if_fail (q->n_outstanding == 0);
  clear_source (&q->wait_source);
  g_clear_pointer (&q->rounds, g_ptr_array_unref);
  q->last_round = NULL;
  while ((r = q->pool) != NULL)
    {
      q->pool = r->next;
      g_object_unref (r);
    }
  q->pool_length = 0;
}

gint
netring_send_queue_get_fd (NetringSendQueue *q)
{
  return queue_ready (q) ? q->iface->get_fd (q->sender) : -1;
}

guint
netring_send_queue_get_pending (NetringSendQueue *q)
{
  return queue_ready (q) ? q->iface->get_pending (q->sender) : 0;
}

guint
netring_send_queue_get_available (NetringSendQueue *q)
{
  return queue_ready (q) ? q->iface->get_available (q->sender) : 0;
}

guint
netring_send_queue_get_max_length (NetringSendQueue *q)
{
  return queue_ready (q) ? q->iface->get_max_length (q->sender) : 0;
}

guint8 *
netring_send_queue_reserve (NetringSendQueue *q, gsize length, GError **error)
{
  NETRING_THREAD_GUARD_SCOPE (&q->guard, q->sender, "netring_sender_reserve");
  NetringSendStatus status = NETRING_SEND_FAILED;
  guint8 *slot;

  if (!queue_check (q, error))
    return NULL;
  g_return_val_if_fail (!q->reserved, NULL);
  if (queue_busy (q, error))
    return NULL;
  slot = q->iface->reserve (q->sender, length, &status, error);
  if (slot != NULL)
    {
      q->reserved = TRUE;
      return slot;
    }
  if (status == NETRING_SEND_FULL)
    netring_send_queue_set_full_error (q, error);
  return NULL;
}

gboolean
netring_send_queue_commit (NetringSendQueue *q, gsize length, GError **error)
{
  NETRING_THREAD_GUARD_SCOPE (&q->guard, q->sender, "netring_sender_commit");
  if (!queue_check (q, error))
    return FALSE;
  g_return_val_if_fail (q->reserved, FALSE);

  q->reserved = FALSE;
  if (!q->iface->commit (q->sender, length, error))
    return FALSE;
  q->queued_since_flush++;
  return TRUE;
}

void
netring_send_queue_abort (NetringSendQueue *q)
{
  NETRING_THREAD_GUARD_SCOPE (&q->guard, q->sender, "netring_sender_abort");
  /* after close() there is no reservation: close gave it back */
  if (!queue_ready (q))
    return;
  g_return_if_fail (q->reserved);

  q->reserved = FALSE;
  q->iface->abort (q->sender);
}

gboolean
netring_send_queue_send (NetringSendQueue *q, const guint8 *data, gsize length, GError **error)
{
  NETRING_THREAD_GUARD_SCOPE (&q->guard, q->sender, "netring_sender_send");
  if (!queue_check (q, error))
    return FALSE;
  g_return_val_if_fail (!q->reserved, FALSE);
  if (queue_busy (q, error))
    return FALSE;

  /* an empty frame may come without data (an empty GBytes has none): the
   * back end's length check refuses, and counts, it */
  switch (q->iface->put (q->sender, data != NULL ? data : (const guint8 *) "", length, error))
    {
    case NETRING_SEND_OK:
      q->queued_since_flush++;
      return TRUE;
    case NETRING_SEND_FULL:
      netring_send_queue_set_full_error (q, error);
      return FALSE;
    default:
      return FALSE;
    }
}

gboolean
netring_send_queue_send_bytes (NetringSendQueue *q, GBytes *frame, GError **error)
{
  NETRING_THREAD_GUARD_SCOPE (&q->guard, q->sender, "netring_sender_send_bytes");
  gsize length;
  gconstpointer data = g_bytes_get_data (frame, &length);

  return netring_send_queue_send (q, data, length, error);
}

void
netring_send_queue_send_async (NetringSendQueue   *q,
                               GBytes             *frame,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data,
                               gpointer            tag)
{
  NETRING_THREAD_GUARD_SCOPE (&q->guard, q->sender, "netring_sender_send_async");
  GMainContext *context = caller_context ();
  NetringSendResult *r;
  GError *error = NULL;

  g_return_if_fail (!q->reserved);

  r = result_take (q, callback, user_data, tag);
  if (G_UNLIKELY (!queue_check (q, &error) ||
                  (cancellable != NULL &&
                   g_cancellable_set_error_if_cancelled (cancellable, &error))))
    {
      result_complete (q, r, context, error);
      return;
    }

  if (G_LIKELY (q->wait_head == NULL))
    {
      switch (put_bytes (q, frame, &error))
        {
        case NETRING_SEND_OK:
          q->queued_since_flush++;
          result_complete (q, r, context, NULL);
          return;
        case NETRING_SEND_FAILED:
          result_complete (q, r, context, error);
          return;
        default:
          break; /* full: wait. put() kicked the kernel, so slots will come back */
        }
    }
  wait_append (q, r, frame, context, cancellable);
}

gboolean
netring_send_queue_send_finish (NetringSendQueue *q, GAsyncResult *result, GError **error)
{
  NetringSendResult *r;

  g_return_val_if_fail (NETRING_IS_SEND_RESULT (result), FALSE);
  r = (NetringSendResult *) result;
  /* a result of another sender, or of a call that was not send_async */
  g_return_val_if_fail (r->queue == q, FALSE);
  g_return_val_if_fail (r->tag == (gpointer) netring_sender_send_async ||
                          (r->tag != NULL && r->tag == q->tags.send_async),
                        FALSE);

  if (r->error != NULL)
    {
      g_propagate_error (error, g_error_copy (r->error));
      return FALSE;
    }
  return TRUE;
}

void
netring_send_queue_send_many_async (NetringSendQueue   *q,
                                    GBytes             *frames,
                                    const guint32      *lengths,
                                    guint               n_frames,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data,
                                    gpointer            tag)
{
  NETRING_THREAD_GUARD_SCOPE (&q->guard, q->sender, "netring_sender_send_many_async");
  GMainContext *context = caller_context ();
  NetringSendResult *r;
  GError *error = NULL;
  const guint8 *data;
  gsize size;

  g_return_if_fail (!q->reserved);

  r = result_take (q, callback, user_data, tag);
  r->many = TRUE;
  data = g_bytes_get_data (frames, &size);
  if (G_UNLIKELY (!queue_check (q, &error) ||
                  (cancellable != NULL &&
                   g_cancellable_set_error_if_cancelled (cancellable, &error)) ||
                  !netring_send_queue_check_lengths (q, "netring_sender_send_many_async",
                                                     size, lengths, n_frames, &error)))
    {
      result_complete (q, r, context, error);
      return;
    }

  r->n_frames = n_frames;
  r->lengths = (guint32 *) lengths; /* borrowed until the call waits */
  if (G_LIKELY (q->wait_head == NULL))
    {
      switch (put_many (q, r, data, &error))
        {
        case NETRING_SEND_OK:
          r->lengths = NULL;
          result_complete (q, r, context, NULL);
          return;
        case NETRING_SEND_FAILED:
          r->lengths = NULL;
          result_complete (q, r, context, error);
          return;
        default:
          break; /* full: the rest waits. put() kicked the kernel */
        }
    }
  r->lengths = g_memdup2 (lengths, (gsize) n_frames * sizeof (guint32));
  wait_append (q, r, frames, context, cancellable);
}

gint
netring_send_queue_send_many_finish (NetringSendQueue *q, GAsyncResult *result, GError **error)
{
  NetringSendResult *r;

  g_return_val_if_fail (NETRING_IS_SEND_RESULT (result), -1);
  r = (NetringSendResult *) result;
  g_return_val_if_fail (r->queue == q, -1);
  g_return_val_if_fail (r->many && r->tag == (gpointer) netring_sender_send_many_async, -1);

  if (r->error != NULL)
    {
      g_propagate_error (error, g_error_copy (r->error));
      return -1;
    }
  return (gint) r->n_done;
}

gboolean
netring_send_queue_check_lengths (NetringSendQueue *q,
                                  const char       *function,
                                  gsize             size,
                                  const guint32    *lengths,
                                  guint             n_frames,
                                  GError          **error)
{
  gsize total = 0;
  guint i;

  for (i = 0; i < n_frames; i++)
    total += lengths[i];
  if (total <= size)
    return TRUE;
  g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
               /* TRANSLATORS: %s is a function name such as netring_sender_send_many */
               _("%s(): the lengths add up to %lu bytes but the frames are %lu bytes: every "
                 "length must be within the buffer"),
               function, (gulong) total, (gulong) size);
  return FALSE;
}

gint
netring_send_queue_flush (NetringSendQueue *q, GError **error)
{
  NETRING_THREAD_GUARD_SCOPE (&q->guard, q->sender, "netring_sender_flush");
  guint64 queued;

  if (!queue_check (q, error))
    return -1;
  g_return_val_if_fail (!q->reserved, -1);

  if (!q->iface->kick (q->sender, error))
    return -1;
  queued = q->queued_since_flush;
  q->queued_since_flush = 0;
  return (gint) MIN (queued, (guint64) G_MAXINT);
}

/* A finish function's checks on a GTask: the right sender, the right
 * call (entered through the interface or the class). */
static gboolean
task_is_valid (NetringSendQueue *q, GAsyncResult *result, gpointer interface_tag,
               gpointer typed_tag)
{
  return g_task_is_valid (result, q->sender) &&
         (g_async_result_is_tagged (result, interface_tag) ||
          (typed_tag != NULL && g_async_result_is_tagged (result, typed_tag)));
}

void
netring_send_queue_flush_async (NetringSendQueue   *q,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data,
                                gpointer            tag)
{
  NETRING_THREAD_GUARD_SCOPE (&q->guard, q->sender, "netring_sender_flush_async");
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  gint queued;

  task = g_task_new (q->sender, cancellable, callback, user_data);
  g_task_set_source_tag (task, tag);
  g_task_set_check_cancellable (task, FALSE);
  if (g_task_return_error_if_cancelled (task))
    return;
  queued = netring_send_queue_flush (q, &error);
  if (queued < 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, queued);
}

gint
netring_send_queue_flush_finish (NetringSendQueue *q, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (task_is_valid (q, result, netring_sender_flush_async,
                                       q->tags.flush_async),
                        -1);

  return (gint) g_task_propagate_int (G_TASK (result), error);
}

/* ---- wait_drained ------------------------------------------------------- */

/* One step of draining: kick what is not kicked yet and count what came
 * back. Returns TRUE when nothing is pending; FALSE with @error unset to
 * keep waiting. */
static gboolean
drain_step (NetringSendQueue *q, guint *progress, GError **error)
{
  if (!q->iface->kick (q->sender, error))
    return FALSE;
  *progress = q->iface->reap (q->sender);
  return q->iface->get_pending (q->sender) == 0;
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
set_timed_out (NetringSendQueue *q, gint timeout_ms, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               /* TRANSLATORS: %s is a type name such as NetringInjector */
               _("%u frames were still queued in the %s after %d ms"),
               q->iface->get_pending (q->sender), q->type_name, timeout_ms);
}

gboolean
netring_send_queue_wait_drained (NetringSendQueue *q,
                                 gint              timeout_ms,
                                 GCancellable     *cancellable,
                                 GError          **error)
{
  NETRING_THREAD_GUARD_SCOPE (&q->guard, q->sender, "netring_sender_wait_drained");
  gint64 deadline;
  gint backoff_ms = BACKOFF_MIN_MS;

  if (!queue_check (q, error))
    return FALSE;
  g_return_val_if_fail (!q->reserved, FALSE);

  deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  for (;;)
    {
      GError *local_error = NULL;
      guint progress = 0;
      gint wait_ms = BACKOFF_MAX_MS * 4;
      int revents;

      if (drain_step (q, &progress, &local_error))
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
              set_timed_out (q, timeout_ms, error);
              return FALSE;
            }
          wait_ms = (gint) MIN ((left + 999) / 1000, wait_ms);
        }

      /* POLLOUT only says the kernel's head slot is free (or the send
       * buffer less than half full), which is already true once everything
       * is kicked: it wakes us when slots come back while the ring is full,
       * otherwise the pending count is re-checked after a short sleep. */
      revents = netring_poll_fd (q->iface->get_fd (q->sender), POLLOUT, wait_ms, cancellable,
                                 error);
      if (revents < 0)
        return FALSE;
      if ((revents & (POLLERR | POLLHUP)) != 0 && q->iface->take_error (q->sender, error))
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
  NetringSendQueue *queue;  /* its sender is kept alive by the task */
  gint timeout_ms;
  GSource *check_source;    /* POLLOUT or back-off timer */
  GSource *deadline_source; /* NULL without a time limit */
  GSource *cancel_source;   /* NULL without a cancellable */
  guint backoff_ms;
} DrainOp;

static void drain_op_arm (DrainOp *op, gboolean use_fd);

/* Exactly one return per task: every path goes through here, which
 * destroys the sources that could call back again. */
static void
drain_op_finish (DrainOp *op, GError *error)
{
  GTask *task = g_steal_pointer (&op->task);

  op->queue->drains = g_list_remove (op->queue->drains, op);
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
  NetringSendQueue *q = op->queue;
  GError *error = NULL;
  guint progress = 0;

  if (from_fd && (condition & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) != 0 &&
      q->iface->take_error (q->sender, &error))
    {
      drain_op_finish (op, error);
      return;
    }
  if (drain_step (q, &progress, &error) || error != NULL)
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
  if (drain_step (op->queue, &progress, &error) || error != NULL)
    drain_op_finish (op, error);
  else
    {
      set_timed_out (op->queue, op->timeout_ms, &error);
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
  clear_source (&op->check_source);
  op->check_source = room_source_new (op->queue, use_fd, &op->backoff_ms, drain_fd_cb,
                                      drain_timer_cb, op, "NetringSender wait_drained_async");
  g_source_set_priority (op->check_source, g_task_get_priority (op->task));
  g_source_attach (op->check_source, g_task_get_context (op->task));
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

void
netring_send_queue_wait_drained_async (NetringSendQueue   *q,
                                       gint                timeout_ms,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data,
                                       gpointer            tag)
{
  NETRING_THREAD_GUARD_SCOPE (&q->guard, q->sender, "netring_sender_wait_drained_async");
  GTask *task;
  GError *error = NULL;
  guint progress;
  DrainOp *op;

  task = g_task_new (q->sender, cancellable, callback, user_data);
  g_task_set_source_tag (task, tag);
  g_task_set_check_cancellable (task, FALSE);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  if (!queue_check (q, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (q->reserved)
    {
      g_critical ("%s: wait_drained_async() with a reservation open", q->type_name);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "reservation open");
      g_object_unref (task);
      return;
    }
  if (drain_step (q, &progress, &error) || error != NULL)
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
  op->queue = q;
  op->timeout_ms = timeout_ms;
  op->backoff_ms = BACKOFF_MIN_MS;
  g_task_set_task_data (task, op, drain_op_free);
  q->drains = g_list_prepend (q->drains, op);

  if (timeout_ms >= 0)
    {
      op->deadline_source = g_timeout_source_new ((guint) timeout_ms);
      g_source_set_callback (op->deadline_source, drain_deadline_cb, op, NULL);
      g_source_set_static_name (op->deadline_source, "NetringSender wait_drained_async timeout");
      g_source_attach (op->deadline_source, g_task_get_context (task));
    }
  if (cancellable != NULL)
    {
      op->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (op->cancel_source, G_SOURCE_FUNC (drain_cancelled_cb), op, NULL);
      g_source_set_static_name (op->cancel_source, "NetringSender wait_drained_async cancel");
      g_source_attach (op->cancel_source, g_task_get_context (task));
    }
  drain_op_arm (op, TRUE);
}

gboolean
netring_send_queue_wait_drained_finish (NetringSendQueue *q,
                                        GAsyncResult     *result,
                                        GError          **error)
{
  g_return_val_if_fail (task_is_valid (q, result, netring_sender_wait_drained_async,
                                       q->tags.wait_drained_async),
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- close -------------------------------------------------------------- */

gboolean
netring_send_queue_close (NetringSendQueue *q)
{
  gboolean was_ready = queue_ready (q);

  if (!netring_readiness_close (q->readiness))
    return FALSE;

  /* Nothing may wait on the fd once it is closed. Calls still waiting for
   * room never reach the ring: they fail, in call order, in their
   * contexts; calls that completed already keep their result. */
  clear_source (&q->wait_source);
  while (q->wait_head != NULL)
    wait_complete (q, q->wait_head,
                   g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                /* TRANSLATORS: %s is a type name such as NetringInjector */
                                _("The %s was closed before the frame was queued"),
                                q->type_name));
  while (q->drains != NULL)
    {
      GError *error = NULL;

      netring_readiness_check (q->readiness, q->type_name, &error); /* G_IO_ERROR_CLOSED */
      drain_op_finish (q->drains->data, error);
    }

  if (was_ready)
    {
      if (q->reserved)
        {
          q->reserved = FALSE;
          q->iface->abort (q->sender);
        }
      q->iface->close (q->sender);
    }
  return TRUE;
}
