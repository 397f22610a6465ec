/* channel_capture.c: capture in a worker thread, consume in the main thread.
 *
 * The seed's ChannelCapture pattern in GLib terms:
 *
 * - the capture is opened on the caller's thread, so configuration and
 *   permission errors are reported where they can be handled;
 * - a worker thread runs its own GMainContext, pushed as thread-default
 *   *before* it calls netring_receiver_receive_async(): async calls complete
 *   in the context that was thread-default when they began;
 * - receive_async() hands out detached copies (owned packets), which are
 *   safe to give to another thread; a NetringBatch or a ring-backed
 *   NetringPacket would pin a ring block and must not travel;
 * - packets go to the main thread through a bounded GAsyncQueue.
 *
 * Shutdown never deadlocks (the seed's F13: its worker blocked in a bounded
 * send() while the owner joined it). Here the worker never blocks on the
 * queue: when the queue is full it keeps the packets in a backlog, stops
 * receiving (the ring fills, and the kernel counts what it drops), and
 * retries on a 10 ms timer that also checks the stop cancellable. The owner
 * cancels, joins, and only then drains what is left.
 *
 *   sudo ./example-channel_capture eth0 [COUNT [SECONDS]]
 *
 * Prints "listening on IFACE", a line per packet the main thread consumes,
 * then "consumed N, drained D after stop, U never queued; <stats>".
 */
#include <netring/netring.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#define CAPACITY 64

typedef struct {
  NetringCapture *capture; /* used by the worker only, until it is joined */
  GAsyncQueue *queue;      /* owned NetringPacket *, worker → main thread */
  GCancellable *stop;      /* the owner cancels it to stop the worker */
  GMainContext *context;   /* the worker's context */
  GMainLoop *loop;
  GPtrArray *backlog;      /* received, not yet queued because the queue was full */
  GError *error;           /* why the worker ended, unless it was stopped */
  gint finished;           /* atomic: the worker has left its loop */
} Channel;

static void worker_receive (Channel *ch);

static void
worker_end (Channel *ch, GError *error)
{
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (&ch->error, error);
  else
    g_clear_error (&error);
  g_main_loop_quit (ch->loop);
}

static gboolean on_retry (gpointer user_data);

/* Moves as much of the backlog into the queue as its capacity allows; asks
 * for more packets once the backlog is empty. */
static void
worker_flush_backlog (Channel *ch)
{
  guint moved = 0;

  while (moved < ch->backlog->len && g_async_queue_length (ch->queue) < CAPACITY)
    g_async_queue_push (ch->queue, g_ptr_array_index (ch->backlog, moved++));
  /* the queue owns the moved packets now: remove without unreffing */
  g_ptr_array_remove_range (ch->backlog, 0, moved);

  if (ch->backlog->len == 0)
    {
      worker_receive (ch);
      return;
    }
  if (g_cancellable_is_cancelled (ch->stop))
    {
      worker_end (ch, NULL);
      return;
    }

  /* Queue full: never block here, the owner may be joining us right now. */
  {
    GSource *retry = g_timeout_source_new (10);

    g_source_set_callback (retry, on_retry, ch, NULL);
    g_source_attach (retry, ch->context);
    g_source_unref (retry);
  }
}

static gboolean
on_retry (gpointer user_data)
{
  Channel *ch = user_data;

  if (g_cancellable_is_cancelled (ch->stop))
    worker_end (ch, NULL);
  else
    worker_flush_backlog (ch);
  return G_SOURCE_REMOVE;
}

static void
on_received (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Channel *ch = user_data;
  GError *error = NULL;
  g_autoptr(GPtrArray) packets = NULL;
  guint i;

  packets = netring_receiver_receive_finish (NETRING_RECEIVER (object), result, &error);
  if (packets == NULL)
    {
      /* G_IO_ERROR_CANCELLED is the owner stopping us; anything else (the
       * interface went away…) ends the worker and is reported. */
      worker_end (ch, error);
      return;
    }
  for (i = 0; i < packets->len; i++)
    g_ptr_array_add (ch->backlog, netring_packet_ref (g_ptr_array_index (packets, i)));
  worker_flush_backlog (ch);
}

static void
worker_receive (Channel *ch)
{
  netring_receiver_receive_async (NETRING_RECEIVER (ch->capture), ch->stop, on_received, ch);
}

static gpointer
worker_main (gpointer data)
{
  Channel *ch = data;

  g_main_context_push_thread_default (ch->context);
  worker_receive (ch);
  g_main_loop_run (ch->loop);
  g_main_context_pop_thread_default (ch->context);
  g_atomic_int_set (&ch->finished, 1);
  return NULL;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  g_autoptr(GMainContext) worker_context = g_main_context_new ();
  g_autoptr(GMainLoop) worker_loop = g_main_loop_new (worker_context, FALSE);
  g_autoptr(GAsyncQueue) queue = g_async_queue_new_full ((GDestroyNotify) netring_packet_unref);
  g_autoptr(GPtrArray) backlog = g_ptr_array_new_with_free_func ((GDestroyNotify) netring_packet_unref);
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autofree gchar *text = NULL;
  Channel ch = { 0 };
  GThread *worker;
  NetringPacket *packet;
  guint got = 0, drained = 0, wanted;
  gint64 end_time;

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr ("usage: %s INTERFACE [COUNT [SECONDS]]\n", argv[0]);
      return EXIT_FAILURE;
    }
  wanted = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 50;
  end_time = g_get_monotonic_time ()
             + (argc > 3 ? (gint64) g_ascii_strtoull (argv[3], NULL, 10) : 60) * G_TIME_SPAN_SECOND;

  capture = netring_capture_new (argv[1], &error);
  if (capture == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  ch.capture = capture;
  ch.queue = queue;
  ch.stop = stop;
  ch.context = worker_context;
  ch.loop = worker_loop;
  /* the worker removes moved packets from the backlog without unreffing */
  ch.backlog = g_ptr_array_new ();
  worker = g_thread_new ("capture-worker", worker_main, &ch);
  /* the ring exists since netring_capture_new(): nothing sent from now on
   * is missed, whenever the worker comes to it */
  g_print ("listening on %s\n", argv[1]);
  fflush (stdout);

  while (got < wanted)
    {
      /* Wake up now and then to notice a worker that ended on an error. */
      packet = g_async_queue_timeout_pop (queue, 100 * G_TIME_SPAN_MILLISECOND);
      if (packet == NULL)
        {
          if (g_atomic_int_get (&ch.finished) || g_get_monotonic_time () > end_time)
            break;
          continue;
        }
      g_print ("[%u] %u bytes, ts %" G_GINT64_FORMAT " ns, detached: %s\n", got,
               netring_packet_get_captured_length (packet),
               netring_packet_get_timestamp (packet),
               netring_packet_is_detached (packet) ? "yes" : "no");
      netring_packet_unref (packet);
      got++;
    }

  /* Stop: cancel (thread-safe; the worker's pending receive completes with
   * G_IO_ERROR_CANCELLED in its own context), join, then drain. */
  g_cancellable_cancel (stop);
  g_thread_join (worker);

  while ((packet = g_async_queue_try_pop (queue)) != NULL)
    {
      drained++;
      netring_packet_unref (packet);
    }
  /* hand the backlog's refs to an array that frees them */
  g_ptr_array_extend_and_steal (backlog, ch.backlog);

  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  if (stats != NULL)
    text = netring_receiver_stats_to_string (stats);
  g_print ("consumed %u, drained %u after stop, %u never queued; %s\n",
           got, drained, backlog->len, text != NULL ? text : error->message);

  if (ch.error != NULL)
    {
      g_printerr ("worker failed: %s\n", ch.error->message);
      g_clear_error (&ch.error);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
