/* netring-receiver.c: the NetringReceiver interface and the reception modes
 * every receiver shares */
#include "netring-receiver-private.h"

#include <poll.h>

/**
 * SECTION:netring-receiver
 * @short_description: What every packet receiver does
 * @title: NetringReceiver
 * @see_also: #NetringCapture, #NetringXdpSocket, #NetringBatch, #NetringReceiverStats
 *
 * #NetringReceiver is the interface of the objects that receive packets in
 * batches, zero-copy: #NetringCapture (an AF_PACKET TPACKET_V3 ring) and
 * #NetringXdpSocket (an AF_XDP socket). Code that consumes packets (a pcap writer, a
 * bridge, a metrics exporter) takes a #NetringReceiver and works over
 * either.
 *
 * There are three ways to receive, all of them in a #GMainContext:
 *
 * - a source: netring_receiver_create_source() (C) or
 *   netring_receiver_add_watch_full() (any language) calls a
 *   #NetringBatchFunc for every batch; netring_receiver_start() attaches
 *   such a source to the thread-default main context and emits
 *   #NetringReceiver::batch (and #NetringReceiver::packet when it has
 *   handlers) until netring_receiver_stop();
 * - one batch at a time: netring_receiver_next_batch_async();
 * - owned copies: netring_receiver_receive_async().
 *
 * The synchronous netring_receiver_next_batch() and
 * netring_receiver_next_batch_timeout() are what they are built on.
 *
 * |[<!-- language="C" -->
 * NetringReceiver *receiver = NETRING_RECEIVER (capture);
 * g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (receiver, 1000,
 *                                                                      NULL, &error);
 * ]|
 * |[<!-- language="Python" -->
 * def on_batch(receiver, batch, error, data):
 *     for packet in batch.get_packets():
 *         print(packet.get_wire_length())
 *     return error is None
 *
 * capture.add_watch_full(None, None, on_batch, None)
 * ]|
 *
 * A source only polls the socket when the next batch is not ready yet, so a
 * busy receiver is drained without system calls, and it drains a bounded
 * number of batches per dispatch so one busy receiver cannot starve the rest
 * of the main loop. It never spins: while the user holds the memory the
 * next batch needs, it waits for the release (from any thread). When the
 * interface goes down or is removed, the source ends with a
 * %NETRING_ERROR_INTERFACE_DOWN error.
 *
 * netring_receiver_close() releases the socket and the receive memory at
 * once (a binding need not wait for its garbage collector to unmap a large
 * ring); batches still held stay readable and keep their memory until they
 * are released. Every call on a receiver that is not initialised, whose
 * initialisation failed or that was closed fails with
 * %G_IO_ERROR_NOT_INITIALIZED, the initialisation error or
 * %G_IO_ERROR_CLOSED.
 *
 * Threads: a receiver is used from one thread at a time; different
 * receivers may live in different threads. Batches and packets may be
 * released from any thread.
 */

G_DEFINE_INTERFACE (NetringReceiver, netring_receiver, G_TYPE_OBJECT)

enum {
  SIGNAL_BATCH,
  SIGNAL_PACKET,
  SIGNAL_ERROR,
  SIGNAL_DROPS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* the source of netring_receiver_start(), owned by the receiver */
static GQuark run_source_quark;

static void
netring_receiver_default_init (NetringReceiverInterface *iface)
{
  netring_i18n_init ();
  run_source_quark = g_quark_from_static_string ("netring-receiver-run-source");

  /**
   * NetringReceiver:running: (getter is_running)
   *
   * Whether netring_receiver_start() is in effect.
   */
  g_object_interface_install_property (iface,
                                       g_param_spec_boolean ("running", NULL, NULL, FALSE,
                                                             G_PARAM_READABLE |
                                                             G_PARAM_STATIC_STRINGS));

  /**
   * NetringReceiver::batch:
   * @self: the receiver
   * @batch: the ready batch
   *
   * Emitted after netring_receiver_start() for every batch the receiver
   * hands over, in the thread-default main context of the thread that
   * called netring_receiver_start(). The handler may keep @batch with
   * netring_batch_keep(); otherwise its memory returns to the kernel when
   * the emission ends, even if a reference remains (a binding's wrapper):
   * the batch then reads as released (netring_batch_release()).
   */
  signals[SIGNAL_BATCH] = g_signal_new ("batch", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, NETRING_TYPE_BATCH);

  /**
   * NetringReceiver::packet:
   * @self: the receiver
   * @packet: a received packet, a zero-copy view into the batch
   *
   * Emitted after #NetringReceiver::batch for each packet of the batch, only
   * when the signal has handlers. Convenient for bindings; C code is faster
   * with ::batch and a #NetringBatchIter. Like the batch, @packet has no
   * bytes after the emission unless kept (netring_packet_keep()) or copied
   * (netring_packet_copy_detached()).
   */
  signals[SIGNAL_PACKET] = g_signal_new ("packet", G_TYPE_FROM_INTERFACE (iface),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                         NETRING_TYPE_PACKET);

  /**
   * NetringReceiver::error:
   * @self: the receiver
   * @error: what went wrong
   *
   * Emitted when receiving started with netring_receiver_start() cannot go
   * on, typically %NETRING_ERROR_INTERFACE_DOWN when the interface went down
   * or was removed. The receiver is stopped when this is emitted; it can be
   * started again once the interface is back.
   */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);

  /**
   * NetringReceiver::drops:
   * @self: the receiver
   * @new_drops: packets dropped since the previous emission (or since the
   *   receiver was created, for the first one)
   * @total_drops: packets dropped since the receiver was created: the
   *   @drops of netring_receiver_get_stats() at that moment
   *
   * Emitted when the kernel's count of packets it dropped for want of
   * receive memory has grown: a drop alarm that needs no timer or thread
   * of the caller's. The receiver's sources (netring_receiver_start(),
   * netring_receiver_add_watch_full(), netring_receiver_create_source() and
   * the sources behind the async calls) look at the counter
   *
   * - as soon as a batch arrives that the kernel marked as following
   *   losses (%NETRING_PACKET_STATUS_LOSING, AF_PACKET), which costs
   *   nothing on a receiver that drops nothing, and
   * - once a second while a source is attached, also while the consumer
   *   holds every batch and nothing can arrive (a stalled consumer learns
   *   of its drops while it is stalled).
   *
   * So it fires at most about a second after the drops, in the main
   * context of the source that saw them, and only while a source is
   * attached. The sum of @new_drops over all emissions is @total_drops;
   * drops seen first by netring_receiver_get_stats() are reported by the
   * next emission. A receiver without a drop counter never emits it.
   */
  signals[SIGNAL_DROPS] = g_signal_new ("drops", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT64,
                                        G_TYPE_UINT64);
}

/**
 * netring_receiver_next_batch:
 * @receiver: a receiver
 * @error: return location for a #GError
 *
 * Takes the next ready batch without waiting.
 *
 * Returns: (transfer full) (nullable): a batch, or %NULL when none is ready
 *   (@error is not set then) or the receiver cannot be used (@error is set)
 */
NetringBatch *
netring_receiver_next_batch (NetringReceiver *receiver, GError **error)
{
  const NetringReceiverInterface *iface;

  g_return_val_if_fail (NETRING_IS_RECEIVER (receiver), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = NETRING_RECEIVER_GET_IFACE (receiver);
  if (!iface->check_ready (receiver, error))
    return NULL;
  return _netring_receive_take (receiver, iface);
}

/**
 * netring_receiver_next_batch_timeout:
 * @receiver: a receiver
 * @timeout_ms: how long to wait in milliseconds, -1 for ever
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Waits for the next batch. Signals that interrupt the wait do not shorten
 * or lengthen it. Fails with %G_IO_ERROR_TIMED_OUT when nothing arrived in
 * time, %G_IO_ERROR_CANCELLED when @cancellable was cancelled and
 * %NETRING_ERROR_INTERFACE_DOWN when the interface went away.
 *
 * Returns: (transfer full): a batch, or %NULL with @error set
 */
static NetringBatch *receiver_wait_batch (NetringReceiver                *receiver,
                                          const NetringReceiverInterface *iface,
                                          gint                            timeout_ms,
                                          GCancellable                   *cancellable,
                                          GError                        **error);

NetringBatch *
netring_receiver_next_batch_timeout (NetringReceiver *receiver, gint timeout_ms,
                                     GCancellable *cancellable, GError **error)
{
  const NetringReceiverInterface *iface;
  NetringReceiveCore *core;
  NetringBatch *batch;

  g_return_val_if_fail (NETRING_IS_RECEIVER (receiver), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = NETRING_RECEIVER_GET_IFACE (receiver);
  if (!iface->check_ready (receiver, error))
    return NULL;

  /* the whole wait is one use of the receiver (debug builds check that no
   * other thread uses it meanwhile); the core outlives a close() */
  core = iface->get_core (receiver);
  if (core != NULL)
    _netring_receive_core_ref (core);
  {
    NETRING_THREAD_GUARD_SCOPE (core != NULL ? &core->guard : NULL, receiver,
                                "netring_receiver_next_batch_timeout");
    batch = receiver_wait_batch (receiver, iface, timeout_ms, cancellable, error);
  }
  if (core != NULL)
    _netring_receive_core_unref (core);
  return batch;
}

static NetringBatch *
receiver_wait_batch (NetringReceiver *receiver, const NetringReceiverInterface *iface,
                     gint timeout_ms, GCancellable *cancellable, GError **error)
{
  gint64 deadline;

  deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  for (;;)
    {
      NetringBatch *batch = _netring_receive_take (receiver, iface);
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
                           _("No packets arrived on “%s” within %d ms"),
                           iface->get_name (receiver), timeout_ms);
              return NULL;
            }
          wait_ms = (gint) ((left + 999) / 1000);
        }
      switch (iface->peek (receiver))
        {
        case NETRING_RECEIVE_HELD:
        case NETRING_RECEIVE_EMPTY_NO_POLL:
          {
            /* poll() cannot tell when held memory comes back, and may
             * report input for ever: look again once per recheck period
             * instead of spinning. */
            gint recheck = iface->recheck_ms (receiver);

            events = 0;
            wait_ms = wait_ms < 0 ? recheck : MIN (wait_ms, recheck);
          }
          break;
        case NETRING_RECEIVE_EMPTY_WATCH:
          {
            /* the socket may fail without poll() noticing: look again */
            gint recheck = iface->recheck_ms (receiver);

            wait_ms = wait_ms < 0 ? recheck : MIN (wait_ms, recheck);
          }
          break;
        case NETRING_RECEIVE_FAILED:
          if (iface->check_error (receiver, error))
            return NULL;
          break;
        case NETRING_RECEIVE_READY:
        case NETRING_RECEIVE_EMPTY:
        default:
          break;
        }
      revents = netring_poll_fd (iface->get_fd (receiver), events, wait_ms, cancellable, error);
      if (revents < 0)
        return NULL;
      if (revents & (POLLERR | POLLHUP | POLLNVAL))
        {
          batch = _netring_receive_take (receiver, iface);
          if (batch != NULL)
            return batch; /* deliver what arrived before the failure first */
          if (iface->check_error (receiver, error))
            return NULL;
        }
    }
}

/* ---- sources and signals ------------------------------------------------- */

/**
 * netring_receiver_create_source: (skip)
 * @receiver: a receiver
 * @cancellable: (nullable): a #GCancellable
 *
 * Creates a #GSource that calls a #NetringBatchFunc, set with
 * g_source_set_callback(), for every ready batch. Attach it to the
 * #GMainContext the callback should run in. The source polls the socket only
 * while the next batch is not ready and drains a bounded number of batches
 * per dispatch. Bindings use netring_receiver_add_watch_full().
 *
 * The source ends (after calling the callback with the error) when the
 * interface goes down or is removed, when the receiver is closed, or when
 * @cancellable is cancelled. Made on a receiver that cannot be used (not
 * initialised, closed), it calls the callback once with the reason.
 *
 * Returns: (transfer full): a new #GSource
 */
GSource *
netring_receiver_create_source (NetringReceiver *receiver, GCancellable *cancellable)
{
  g_return_val_if_fail (NETRING_IS_RECEIVER (receiver), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  return _netring_receive_source_new (receiver, cancellable, TRUE, NULL);
}

/**
 * netring_receiver_add_watch_full:
 * @receiver: a receiver
 * @context: (nullable): the #GMainContext to watch in, or %NULL for the
 *   thread-default context of the calling thread
 * @cancellable: (nullable): a #GCancellable that ends the watch
 * @func: (scope notified) (closure user_data) (destroy notify): called for
 *   every batch
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data when the watch ends
 *
 * Calls @func for every batch the receiver hands over, in @context: the
 * source of netring_receiver_create_source(), attached and with its
 * callback set, in a form bindings can call. Return %G_SOURCE_REMOVE from
 * @func, cancel @cancellable or call g_source_remove() with the returned id
 * (in @context) to end the watch.
 *
 * The batch is only borrowed by @func: bindings that release their
 * wrappers late (JavaScript) should copy what they need
 * (netring_batch_copy_packets()) rather than keep the batch.
 *
 * Returns: the id of the source in @context
 */
guint
netring_receiver_add_watch_full (NetringReceiver *receiver, GMainContext *context,
                                 GCancellable *cancellable, NetringBatchFunc func,
                                 gpointer user_data, GDestroyNotify notify)
{
  g_autoptr(GSource) source = NULL;
  g_autoptr(GMainContext) owned_context = NULL;

  g_return_val_if_fail (NETRING_IS_RECEIVER (receiver), 0);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), 0);
  g_return_val_if_fail (func != NULL, 0);

  if (context == NULL)
    context = owned_context = g_main_context_ref_thread_default ();
  source = _netring_receive_source_new (receiver, cancellable, TRUE, NULL);
  g_source_set_callback (source, (GSourceFunc) (gpointer) func, user_data, notify);
  return g_source_attach (source, context);
}

static GSource *
receiver_get_run_source (NetringReceiver *self)
{
  return g_object_get_qdata (G_OBJECT (self), run_source_quark);
}

static void
run_source_free (gpointer data)
{
  GSource *source = data;

  g_source_destroy (source);
  g_source_unref (source);
}

static gboolean
run_source_cb (NetringReceiver *self, NetringBatch *batch, const GError *error,
               gpointer user_data)
{
  if (error != NULL)
    {
      /* the source is destroyed after this call whatever we return */
      g_object_set_qdata (G_OBJECT (self), run_source_quark, NULL);
      g_object_notify (G_OBJECT (self), "running");
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
      return G_SOURCE_REMOVE;
    }

  g_signal_emit (self, signals[SIGNAL_BATCH], 0, batch);
  if (g_signal_has_handler_pending (self, signals[SIGNAL_PACKET], 0, TRUE))
    {
      g_autoptr(GPtrArray) packets = netring_batch_get_packets (batch);
      guint i;

      for (i = 0; i < packets->len && receiver_get_run_source (self) != NULL; i++)
        g_signal_emit (self, signals[SIGNAL_PACKET], 0, g_ptr_array_index (packets, i));
    }
  /* no ring memory waits for a binding's garbage collector */
  _netring_batch_end_loan (batch);
  return receiver_get_run_source (self) != NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/**
 * netring_receiver_start:
 * @receiver: a receiver
 * @error: return location for a #GError
 *
 * Starts emitting #NetringReceiver::batch and #NetringReceiver::packet in
 * the thread-default main context of the calling thread, until
 * netring_receiver_stop(), netring_receiver_close() or an error
 * (#NetringReceiver::error). Starting a running receiver does nothing.
 *
 * Returns: %TRUE on success, %FALSE with @error set if the receiver cannot
 *   be used
 */
gboolean
netring_receiver_start (NetringReceiver *receiver, GError **error)
{
  g_autoptr(GMainContext) context = NULL;
  GSource *source;

  g_return_val_if_fail (NETRING_IS_RECEIVER (receiver), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!NETRING_RECEIVER_GET_IFACE (receiver)->check_ready (receiver, error))
    return FALSE;
  if (receiver_get_run_source (receiver) != NULL)
    return TRUE;

  context = g_main_context_ref_thread_default ();
  /* the receiver owns this source, so the source must not own the receiver */
  source = _netring_receive_source_new (receiver, NULL, FALSE, NULL);
  g_source_set_callback (source, (GSourceFunc) (gpointer) run_source_cb, NULL, NULL);
  g_object_set_qdata_full (G_OBJECT (receiver), run_source_quark, source, run_source_free);
  g_source_attach (source, context);
  g_object_notify (G_OBJECT (receiver), "running");
  return TRUE;
}

/**
 * netring_receiver_stop:
 * @receiver: a receiver
 *
 * Stops what netring_receiver_start() started. Batches already handed out
 * stay valid. Call it from the thread that started the receiver.
 */
void
netring_receiver_stop (NetringReceiver *receiver)
{
  g_return_if_fail (NETRING_IS_RECEIVER (receiver));

  if (receiver_get_run_source (receiver) == NULL)
    return;
  g_object_set_qdata (G_OBJECT (receiver), run_source_quark, NULL);
  g_object_notify (G_OBJECT (receiver), "running");
}

/**
 * netring_receiver_is_running:
 * @receiver: a receiver
 *
 * Whether the receiver emits its signals.
 *
 * Returns: whether netring_receiver_start() is in effect
 */
gboolean
netring_receiver_is_running (NetringReceiver *receiver)
{
  g_return_val_if_fail (NETRING_IS_RECEIVER (receiver), FALSE);
  return receiver_get_run_source (receiver) != NULL;
}

/* ---- async --------------------------------------------------------------- */

static void
receiver_async_start (NetringReceiver *self, gpointer source_tag, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  const NetringReceiverInterface *iface = NETRING_RECEIVER_GET_IFACE (self);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSource) source = NULL;
  GError *error = NULL;
  NetringBatch *batch;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  /* receive_async hands out owned copies (see _netring_receive_task_return_batch()) */
  if (source_tag == netring_receiver_receive_async)
    g_task_set_task_data (task, GINT_TO_POINTER (TRUE), NULL);

  if (!iface->check_ready (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  batch = _netring_receive_take (self, iface);
  if (batch != NULL)
    {
      _netring_receive_task_return_batch (task, batch);
      return;
    }

  /* Wait in the caller's thread-default context (the task's). Cancelling
   * only destroys this source: no kernel state is touched, so the next call
   * works as if nothing happened. */
  source = _netring_receive_source_new (self, cancellable, TRUE, task);
  g_source_attach (source, g_task_get_context (task));
}

static gpointer
receiver_async_finish (NetringReceiver *self, GAsyncResult *result, gpointer source_tag,
                       GError **error)
{
  g_return_val_if_fail (NETRING_IS_RECEIVER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, source_tag), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * netring_receiver_next_batch_async:
 * @receiver: a receiver
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when a batch is ready
 * @user_data: data for @callback
 *
 * Waits for the next batch in the thread-default main context and returns
 * it zero-copy. Cancel-safe: cancelling abandons the wait without losing a
 * batch, and the next call works.
 */
void
netring_receiver_next_batch_async (NetringReceiver *receiver, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (NETRING_IS_RECEIVER (receiver));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  receiver_async_start (receiver, netring_receiver_next_batch_async, cancellable, callback,
                        user_data);
}

/**
 * netring_receiver_next_batch_finish:
 * @receiver: a receiver
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_receiver_next_batch_async().
 *
 * Returns: (transfer full): the batch, or %NULL with @error set
 */
NetringBatch *
netring_receiver_next_batch_finish (NetringReceiver *receiver, GAsyncResult *result,
                                    GError **error)
{
  return receiver_async_finish (receiver, result, netring_receiver_next_batch_async, error);
}

/**
 * netring_receiver_receive_async:
 * @receiver: a receiver
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when packets are ready
 * @user_data: data for @callback
 *
 * Waits for the next batch and returns copies of its packets that own their
 * bytes; the batch's memory goes back to the kernel at once. The copies are
 * safe to keep and to hand to other threads. Cancel-safe like
 * netring_receiver_next_batch_async().
 */
void
netring_receiver_receive_async (NetringReceiver *receiver, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (NETRING_IS_RECEIVER (receiver));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  receiver_async_start (receiver, netring_receiver_receive_async, cancellable, callback,
                        user_data);
}

/**
 * netring_receiver_receive_finish:
 * @receiver: a receiver
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_receiver_receive_async().
 *
 * Returns: (transfer container) (element-type NetringPacket): detached
 *   packets, or %NULL with @error set
 */
GPtrArray *
netring_receiver_receive_finish (NetringReceiver *receiver, GAsyncResult *result,
                                 GError **error)
{
  return receiver_async_finish (receiver, result, netring_receiver_receive_async, error);
}

/* ---- statistics and close ------------------------------------------------ */

/**
 * netring_receiver_get_stats:
 * @receiver: a receiver
 * @error: return location for a #GError
 *
 * The receiver's statistics: totals since it was created. Reading them
 * changes nothing, so two readings with no traffic in between are equal;
 * netring_receiver_stats_subtract() gives the change between two readings.
 *
 * Returns: (transfer full): the statistics, or %NULL with @error set
 */
NetringReceiverStats *
netring_receiver_get_stats (NetringReceiver *receiver, GError **error)
{
  const NetringReceiverInterface *iface;
  NetringReceiveCore *core;
  NetringReceiverStats stats = { 0 };

  g_return_val_if_fail (NETRING_IS_RECEIVER (receiver), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = NETRING_RECEIVER_GET_IFACE (receiver);
  if (!iface->check_ready (receiver, error))
    return NULL;
  if (!iface->fill_stats (receiver, &stats, error))
    return NULL;
  core = iface->get_core (receiver);
  stats.received = core->received;
  stats.batches = core->batches;
  stats.held_batches = (guint64) g_atomic_int_get (&core->held_batches);
  g_mutex_lock (&core->lock);
  stats.held_packets = (guint64) core->held_packets;
  g_mutex_unlock (&core->lock);
  return netring_receiver_stats_copy (&stats);
}

/**
 * netring_receiver_close:
 * @receiver: a receiver
 * @error: return location for a #GError
 *
 * Closes the receiver at once: stops what netring_receiver_start() started,
 * closes the socket and unmaps the receive memory, so a binding need not
 * wait for its garbage collector to free a large ring. Batches still held
 * stay readable: they keep their memory mapped until their last reference
 * goes (and the kernel no longer delivers into it). Sources and pending
 * async calls end with %G_IO_ERROR_CLOSED, and so does every later call.
 * Closing a closed receiver does nothing.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_receiver_close (NetringReceiver *receiver, GError **error)
{
  const NetringReceiverInterface *iface;
  NetringReceiveCore *core;
  gboolean ok;

  g_return_val_if_fail (NETRING_IS_RECEIVER (receiver), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = NETRING_RECEIVER_GET_IFACE (receiver);
  netring_receiver_stop (receiver);
  core = iface->get_core (receiver);
  if (core != NULL)
    {
      /* the sources that are left see this at their next look, before the
       * memory goes, and end with the closed error without touching the
       * socket again */
      _netring_receive_core_ref (core);
      g_atomic_int_set (&core->closed, TRUE);
    }
  ok = iface->close (receiver, error);
  if (core != NULL)
    {
      _netring_receive_core_wake_all (core);
      _netring_receive_core_unref (core);
    }
  return ok;
}
