/* async_pipeline.c: capture → bounded queue → N worker threads, and a clean stop.
 *
 * The main thread captures with netring_receiver_receive_async(), which hands
 * out detached copies (safe to pass to other threads), and pushes them into a
 * GAsyncQueue bounded to CAPACITY. WORKERS threads pop and "process" them
 * (WORK_US microseconds of pretend work each, so that a flood fills the
 * queue).
 *
 * The seed's pipeline deadlocks when it is stopped with the queue full and
 * the workers busy: its capture task blocks in a bounded send() while the
 * owner waits for it (F13). Here nothing ever blocks on the queue:
 *
 * - the capture side never waits for room: a packet that finds the queue
 *   full is dropped and counted as discarded (load shedding, visible);
 * - workers pop with a timeout and check the stop flag between packets;
 * - on SIGINT/SIGTERM (or after SECONDS) the main loop stops capturing, sets
 *   the flag, joins the workers, and counts what is left in the queue as
 *   discarded.
 *
 * So every packet received is either consumed by a worker or counted as
 * discarded, and the program ends however full the queue is.
 *
 *   sudo ./example-async_pipeline eth0 [SECONDS [WORKERS [CAPACITY [WORK_US]]]]
 *
 * Prints "listening on IFACE", then "received R, consumed C, discarded D
 * (queue full F, left at stop L)" and one line per worker.
 */
#include <netring/netring.h>

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  GAsyncQueue *queue;     /* of NetringPacket, detached */
  guint capacity;
  guint work_us;
  gint stopping;          /* atomic */
  GMainLoop *loop;
  GCancellable *cancellable;
  guint64 received;
  guint64 discarded_full;
  GError *error;
} Pipeline;

typedef struct {
  Pipeline *pipeline;
  guint index;
  guint64 consumed;
  guint64 bytes;
  GThread *thread;
} Worker;

static gpointer
worker_main (gpointer data)
{
  Worker *worker = data;
  Pipeline *pipeline = worker->pipeline;

  while (!g_atomic_int_get (&pipeline->stopping))
    {
      /* a timed pop, so that a stop is noticed while the queue is empty */
      NetringPacket *packet = g_async_queue_timeout_pop (pipeline->queue, 50 * 1000);

      if (packet == NULL)
        continue;
      worker->consumed++;
      worker->bytes += netring_packet_get_captured_length (packet);
      netring_packet_unref (packet);
      if (pipeline->work_us > 0)
        g_usleep (pipeline->work_us);
    }
  return NULL;
}

/* Hands @packet to the workers, or counts it as discarded when the queue is
 * full: the capture side never waits. */
static void
offer (Pipeline *pipeline, NetringPacket *packet)
{
  g_async_queue_lock (pipeline->queue);
  /* The length is negative while workers wait in a pop (an empty queue
   * then): compared as unsigned, it read as full, and no packet ever
   * reached an idle worker. */
  if (g_async_queue_length_unlocked (pipeline->queue) < (gint) pipeline->capacity)
    g_async_queue_push_unlocked (pipeline->queue, netring_packet_ref (packet));
  else
    pipeline->discarded_full++;
  g_async_queue_unlock (pipeline->queue);
}

static void
on_packets (GObject *object, GAsyncResult *result, gpointer user_data)
{
  NetringReceiver *receiver = NETRING_RECEIVER (object);
  Pipeline *pipeline = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) packets = NULL;

  packets = netring_receiver_receive_finish (receiver, result, &error);
  if (packets == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        pipeline->error = g_steal_pointer (&error);
      g_main_loop_quit (pipeline->loop);
      return;
    }
  for (guint i = 0; i < packets->len; i++)
    {
      pipeline->received++;
      offer (pipeline, g_ptr_array_index (packets, i));
    }
  netring_receiver_receive_async (receiver, pipeline->cancellable, on_packets, pipeline);
}

static gboolean
on_stop (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncQueue) queue = g_async_queue_new_full ((GDestroyNotify) netring_packet_unref);
  g_autoptr(GSource) sigint = NULL;
  g_autoptr(GSource) sigterm = NULL;
  g_autoptr(GSource) deadline = NULL;
  g_autofree Worker *workers = NULL;
  Pipeline pipeline = { 0 };
  guint n_workers, seconds;
  guint64 consumed = 0, left = 0;
  NetringPacket *packet;

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr ("usage: %s INTERFACE [SECONDS [WORKERS [CAPACITY [WORK_US]]]]\n", argv[0]);
      return EXIT_FAILURE;
    }
  seconds = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 3600;
  n_workers = argc > 3 ? (guint) g_ascii_strtoull (argv[3], NULL, 10) : 4;
  pipeline.capacity = argc > 4 ? (guint) g_ascii_strtoull (argv[4], NULL, 10) : 4096;
  pipeline.work_us = argc > 5 ? (guint) g_ascii_strtoull (argv[5], NULL, 10) : 0;
  if (n_workers == 0 || pipeline.capacity == 0)
    {
      g_printerr ("WORKERS and CAPACITY must be at least 1\n");
      return EXIT_FAILURE;
    }

  capture = netring_capture_new (argv[1], &error);
  if (capture == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  pipeline.loop = loop;
  pipeline.queue = queue;
  pipeline.cancellable = cancellable;

  workers = g_new0 (Worker, n_workers);
  for (guint i = 0; i < n_workers; i++)
    {
      g_autofree gchar *name = g_strdup_printf ("worker-%u", i);

      workers[i].pipeline = &pipeline;
      workers[i].index = i;
      workers[i].thread = g_thread_new (name, worker_main, &workers[i]);
    }

  sigint = g_unix_signal_source_new (SIGINT);
  g_source_set_callback (sigint, on_stop, cancellable, NULL);
  g_source_attach (sigint, NULL);
  sigterm = g_unix_signal_source_new (SIGTERM);
  g_source_set_callback (sigterm, on_stop, cancellable, NULL);
  g_source_attach (sigterm, NULL);
  deadline = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (deadline, on_stop, cancellable, NULL);
  g_source_attach (deadline, NULL);

  g_print ("listening on %s, %u workers, queue of %u\n", argv[1], n_workers, pipeline.capacity);
  fflush (stdout);
  netring_receiver_receive_async (NETRING_RECEIVER (capture), cancellable, on_packets, &pipeline);
  g_main_loop_run (loop);
  g_source_destroy (sigint);
  g_source_destroy (sigterm);
  g_source_destroy (deadline);

  /* Stop: nobody pushes any more; the workers finish the packet in hand
   * and leave; what is still queued was received but never consumed. */
  g_atomic_int_set (&pipeline.stopping, TRUE);
  for (guint i = 0; i < n_workers; i++)
    {
      g_thread_join (workers[i].thread);
      consumed += workers[i].consumed;
    }
  while ((packet = g_async_queue_try_pop (queue)) != NULL)
    {
      left++;
      netring_packet_unref (packet);
    }

  g_print ("received %" G_GUINT64_FORMAT ", consumed %" G_GUINT64_FORMAT ", discarded %"
           G_GUINT64_FORMAT " (queue full %" G_GUINT64_FORMAT ", left at stop %" G_GUINT64_FORMAT
           ")\n", pipeline.received, consumed, pipeline.discarded_full + left,
           pipeline.discarded_full, left);
  for (guint i = 0; i < n_workers; i++)
    g_print ("worker %u: %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT " bytes\n", i,
             workers[i].consumed, workers[i].bytes);

  if (pipeline.error != NULL)
    {
      g_printerr ("capture failed: %s\n", pipeline.error->message);
      g_clear_error (&pipeline.error);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
