/* test-injector.c: NetringInjector on a veth pair in a private network
 * namespace. Frames leave veth->a through the injector's TX ring and every
 * test checks what a NetringCapture on veth->b received, byte for byte, in
 * order and count for count; a return value alone proves nothing (F1: the
 * upstream TX ring "sent" frames that never reached the wire).
 *
 * The capture runs in its own thread (it is only touched by that thread
 * until it is joined) so that a million frames can be checked while they
 * are being sent; the sender never runs more than about half a capture ring
 * ahead of it, so the capture can never drop for lack of room. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netring/netring.h>

#include "nr-test-net.h"

/* ---- receiver ----------------------------------------------------------- */

typedef struct {
  guint32 first_seq;
  guint32 count;
  guint32 length;
} ExpectRange;

typedef struct {
  const NrTestVeth *veth;
  NetringCapture *capture;
  GThread *thread;

  GMutex lock;        /* protects ranges and failure */
  GArray *ranges;     /* ExpectRange: the stream, in order */
  guint range_index;  /* receiver thread only */
  guint32 range_pos;  /* receiver thread only */
  gchar *failure;     /* the first mismatch */

  gint expected;      /* atomic: frames announced by the sender */
  gint received;      /* atomic: frames that matched */
  gint extra;         /* atomic: frames beyond the announced stream */
  gint stop;          /* atomic */
} Receiver;

static void
receiver_fail (Receiver *r, gchar *message)
{
  g_mutex_lock (&r->lock);
  if (r->failure == NULL)
    r->failure = message;
  else
    g_free (message);
  g_mutex_unlock (&r->lock);
}

static void
receiver_check (Receiver *r, const NetringPacketInfo *info)
{
  ExpectRange range;
  guint32 seq;
  guint index = (guint) g_atomic_int_get (&r->received);

  g_mutex_lock (&r->lock);
  while (r->range_index < r->ranges->len &&
         r->range_pos >= g_array_index (r->ranges, ExpectRange, r->range_index).count)
    {
      r->range_index++;
      r->range_pos = 0;
    }
  if (r->range_index >= r->ranges->len)
    {
      g_mutex_unlock (&r->lock);
      g_atomic_int_inc (&r->extra);
      receiver_fail (r, g_strdup_printf ("unexpected frame after %u frames: %u bytes, seq %u",
                                         index, info->captured_length,
                                         info->captured_length >= 18
                                           ? nr_test_frame_seq (info->data)
                                           : G_MAXUINT32));
      return;
    }
  range = g_array_index (r->ranges, ExpectRange, r->range_index);
  g_mutex_unlock (&r->lock);

  seq = range.first_seq + r->range_pos;
  if (info->captured_length != range.length || info->wire_length != range.length ||
      !nr_test_frame_check (info->data, range.length, seq, r->veth->mac_a, r->veth->mac_b))
    {
      receiver_fail (r, g_strdup_printf ("frame #%u: expected seq %u of %u bytes, got seq %u "
                                         "of %u bytes (wire %u)",
                                         index, seq, range.length,
                                         info->captured_length >= 18
                                           ? nr_test_frame_seq (info->data)
                                           : G_MAXUINT32,
                                         info->captured_length, info->wire_length));
      g_atomic_int_inc (&r->extra);
      return;
    }
  r->range_pos++;
  g_atomic_int_inc (&r->received);
}

/* The CPUs the process may use; the sending thread is pinned to one. */
static cpu_set_t all_cpus;

static gpointer
receiver_thread (gpointer data)
{
  Receiver *r = data;
  gint64 last_packet = g_get_monotonic_time ();

  sched_setaffinity (0, sizeof all_cpus, &all_cpus);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch =
        netring_receiver_next_batch_timeout (NETRING_RECEIVER (r->capture), 20, NULL, &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      if (batch == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            {
              receiver_fail (r, g_strdup_printf ("capture failed: %s", error->message));
              break;
            }
          /* Stopping: keep listening until the wire has been quiet for a
           * while, so frames that should not exist are caught too. */
          if (g_atomic_int_get (&r->stop) &&
              g_get_monotonic_time () - last_packet > 150 * G_TIME_SPAN_MILLISECOND)
            break;
          continue;
        }
      last_packet = g_get_monotonic_time ();
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        receiver_check (r, &info);
    }
  return NULL;
}

static Receiver *
receiver_new (const NrTestVeth *veth)
{
  g_autoptr(GError) error = NULL;
  Receiver *r = g_new0 (Receiver, 1);

  r->veth = veth;
  /* 64 × 1 MiB: room for ~400,000 small frames or ~40,000 of 1500 bytes */
  r->capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->b,
                               "block-size", 1u << 20, "block-count", 64u,
                               "block-timeout-ms", 10, NULL);
  g_assert_no_error (error);
  g_mutex_init (&r->lock);
  r->ranges = g_array_new (FALSE, FALSE, sizeof (ExpectRange));
  r->thread = g_thread_new ("receiver", receiver_thread, r);
  return r;
}

/* Announces that frames @first_seq … @first_seq + @count - 1 of @length
 * bytes come next on the wire. */
static void
receiver_expect (Receiver *r, guint32 first_seq, guint32 count, guint32 length)
{
  ExpectRange range = { first_seq, count, length };

  if (count == 0)
    return;
  g_mutex_lock (&r->lock);
  g_array_append_val (r->ranges, range);
  g_mutex_unlock (&r->lock);
  g_atomic_int_add (&r->expected, (gint) count);
}

/* Keeps the sender less than @window frames ahead of the capture. */
static void
receiver_throttle (Receiver *r, guint sent, guint window)
{
  gint64 start = g_get_monotonic_time ();

  while (sent > (guint) g_atomic_int_get (&r->received) + window)
    {
      g_mutex_lock (&r->lock);
      if (r->failure != NULL)
        {
          g_autoptr(NetringReceiverStats) stats = netring_receiver_get_stats (NETRING_RECEIVER (r->capture),
                                                                                      NULL);
          g_autofree char *text = stats ? netring_receiver_stats_to_string (stats) : NULL;
          /* a mismatch stops the count: say what it was instead of waiting */
          g_error ("%s (capture: %s)", r->failure, text);
        }
      g_mutex_unlock (&r->lock);
      g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_TIME_SPAN_SECOND);
      g_usleep (200);
    }
}

static guint
window_for (gsize length)
{
  /* At most half the capture ring in bytes (~100 bytes of ring overhead per
   * frame), and at most 8192 frames: when the receiver is slow (ASan, a
   * loaded machine) the kernel retires blocks by their 10 ms timeout with
   * few frames in each, so the ring holds far fewer frames than its bytes
   * suggest. */
  return MIN ((guint) ((32u << 20) / (length + 100)), 8192u);
}

/* Waits until everything announced arrived (or nothing new arrived for 5 s). */
static void
receiver_wait (Receiver *r)
{
  gint last = -1;
  gint64 last_change = g_get_monotonic_time ();

  for (;;)
    {
      gint now = g_atomic_int_get (&r->received);

      if (now >= g_atomic_int_get (&r->expected) || g_atomic_int_get (&r->extra) > 0)
        return;
      if (now != last)
        {
          last = now;
          last_change = g_get_monotonic_time ();
        }
      else if (g_get_monotonic_time () - last_change > 5 * G_TIME_SPAN_SECOND)
        return;
      g_usleep (500);
    }
}

/* Stops the receiver and checks the stream: all announced frames arrived,
 * in order, byte for byte, and nothing else; the capture dropped nothing. */
static void
receiver_finish (Receiver *r)
{
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(GError) error = NULL;

  receiver_wait (r);
  g_atomic_int_set (&r->stop, 1);
  g_thread_join (r->thread);

  stats = netring_receiver_get_stats (NETRING_RECEIVER (r->capture), &error);
  g_assert_no_error (error);
  if (r->failure != NULL)
    {
      /* What the kernel counted, to tell where a frame went missing. */
      g_autofree char *links = NULL, *qdiscs = NULL;
      g_autofree char *cmd1 = g_strdup_printf ("ip -s -s link show dev %s", r->veth->a);
      g_autofree char *cmd2 = g_strdup_printf ("tc -s qdisc show dev %s", r->veth->a);
      g_spawn_command_line_sync (cmd1, &links, NULL, NULL, NULL);
      g_spawn_command_line_sync (cmd2, &qdiscs, NULL, NULL, NULL);
      g_test_message ("capture: %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT
                      " drops\n%s\n%s", stats->packets, stats->drops, links, qdiscs);
      g_error ("%s", r->failure);
    }
  g_assert_cmpint (g_atomic_int_get (&r->extra), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&r->received), ==, g_atomic_int_get (&r->expected));
  g_assert_cmpuint (stats->drops, ==, 0);

  g_object_unref (r->capture);
  g_array_unref (r->ranges);
  g_mutex_clear (&r->lock);
  g_free (r);
}

/* ---- helpers ------------------------------------------------------------ */

static NetringInjector *
open_injector (const NrTestVeth *veth, const char *first_property, ...)
{
  g_autoptr(GError) error = NULL;
  GObject *injector;
  va_list ap;

  va_start (ap, first_property);
  if (first_property == NULL)
    injector = g_initable_new (NETRING_TYPE_INJECTOR, NULL, &error, "interface", veth->a, NULL);
  else
    {
      injector = (GObject *) g_initable_new_valist (NETRING_TYPE_INJECTOR, first_property, ap,
                                                    NULL, &error);
      g_assert_cmpstr (netring_injector_get_interface (NETRING_INJECTOR (injector)), ==,
                       veth->a);
    }
  va_end (ap);
  g_assert_no_error (error);
  return NETRING_INJECTOR (injector);
}

static void
wait_writable (NetringInjector *injector)
{
  struct pollfd pfd = { netring_injector_get_fd (injector), POLLOUT, 0 };

  /* POLLOUT may already be set while every slot is in flight (the kernel
   * also reports a half-empty send buffer): that makes this a short spin,
   * which a test can afford. */
  g_assert_cmpint (poll (&pfd, 1, 10), >=, 0);
}

typedef enum {
  METHOD_SEND,
  METHOD_SEND_BYTES,
  METHOD_RESERVE,
  METHOD_ASYNC,
} Method;

static const char *const method_names[] = { "send", "send_bytes", "reserve/commit",
                                            "send_async" };

#define FLUSH_EVERY 128

/* Queues frame @seq with a synchronous method, retrying while the ring is
 * full. */
static void
send_one (NetringInjector *injector, const NrTestVeth *veth, Method method, guint32 seq,
          gsize length, guint8 *buffer)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = FALSE;

      switch (method)
        {
        case METHOD_SEND:
          nr_test_frame_fill (buffer, length, seq, veth->mac_a, veth->mac_b);
          ok = netring_injector_send (injector, buffer, length, &error);
          break;
        case METHOD_SEND_BYTES:
          {
            g_autoptr(GBytes) bytes = NULL;
            nr_test_frame_fill (buffer, length, seq, veth->mac_a, veth->mac_b);
            bytes = g_bytes_new (buffer, length);
            ok = netring_injector_send_bytes (injector, bytes, &error);
          }
          break;
        case METHOD_RESERVE:
          {
            guint8 *slot = netring_injector_reserve (injector, length, &error);
            if (slot != NULL)
              {
                nr_test_frame_fill (slot, length, seq, veth->mac_a, veth->mac_b);
                ok = netring_injector_commit (injector, length, &error);
                g_assert_no_error (error);
              }
          }
          break;
        default:
          g_assert_not_reached ();
        }
      if (ok)
        return;
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      wait_writable (injector);
    }
}

typedef struct {
  NetringInjector *injector;
  const NrTestVeth *veth;
  GMainLoop *loop;
  guint32 count;
  gsize length;
  guint32 issued;
  guint32 completed;
  guint max_in_flight;
  Receiver *receiver;
  gboolean drained;
  GError *error;
} AsyncRun;

static void async_pump (AsyncRun *run);

static void
async_drained_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  AsyncRun *run = user_data;

  run->drained = netring_injector_wait_drained_finish (NETRING_INJECTOR (object), result,
                                                       &run->error);
  g_main_loop_quit (run->loop);
}

static void
async_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  AsyncRun *run = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (netring_injector_send_finish (NETRING_INJECTOR (object), result, &error));
  g_assert_no_error (error);
  run->completed++;
  if (run->completed % FLUSH_EVERY == 0)
    g_assert_cmpint (netring_injector_flush (run->injector, &error), >=, 0);
  g_assert_no_error (error);
  async_pump (run);
}

/* Keeps up to max_in_flight send_async() calls outstanding. */
static void
async_pump (AsyncRun *run)
{
  guint8 buffer[2048];

  while (run->issued < run->count && run->issued - run->completed < run->max_in_flight)
    {
      g_autoptr(GBytes) bytes = NULL;

      if (run->receiver != NULL && run->issued % 1024 == 0)
        receiver_throttle (run->receiver, run->issued, window_for (run->length));
      nr_test_frame_fill (buffer, run->length, run->issued, run->veth->mac_a,
                          run->veth->mac_b);
      bytes = g_bytes_new (buffer, run->length);
      run->issued++;
      netring_injector_send_async (run->injector, bytes, NULL, async_sent_cb, run);
    }
  if (run->completed == run->count && !run->drained)
    {
      run->drained = TRUE; /* only once */
      netring_injector_wait_drained_async (run->injector, 10000, NULL, async_drained_cb, run);
    }
}

static void
run_async (NetringInjector *injector, const NrTestVeth *veth, Receiver *receiver,
           guint32 count, gsize length, guint max_in_flight)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  AsyncRun run = { 0 };

  run.injector = injector;
  run.veth = veth;
  run.loop = loop;
  run.count = count;
  run.length = length;
  run.max_in_flight = max_in_flight;
  run.receiver = receiver;
  async_pump (&run);
  g_main_loop_run (loop);
  g_assert_no_error (run.error);
  g_assert_true (run.drained);
  g_assert_cmpuint (run.completed, ==, count);
}

static void tc (const char *first_arg, ...) G_GNUC_NULL_TERMINATED;

/* ---- in order, byte for byte -------------------------------------------- */

typedef struct {
  Method method;
  guint32 count;
  gsize length;
} StreamCase;

static void
test_stream (gconstpointer data)
{
  const StreamCase *c = data;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *buffer = g_malloc (c->length);
  Receiver *receiver = receiver_new (veth);
  gint64 start, elapsed;
  guint32 i;

  injector = open_injector (veth, NULL);
  g_assert_cmpint (netring_injector_get_fd (injector), >=, 0);
  receiver_expect (receiver, 0, c->count, (guint32) c->length);

  start = g_get_monotonic_time ();
  if (c->method == METHOD_ASYNC)
    run_async (injector, veth, receiver, c->count, c->length, 4096);
  else
    {
      for (i = 0; i < c->count; i++)
        {
          if (i % 1024 == 0)
            receiver_throttle (receiver, i, window_for (c->length));
          send_one (injector, veth, c->method, i, c->length, buffer);
          if ((i + 1) % FLUSH_EVERY == 0)
            g_assert_cmpint (netring_injector_flush (injector, &error), >=, 0);
        }
      g_assert_cmpint (netring_injector_flush (injector, &error), >=, 0);
      g_assert_no_error (error);
      g_assert_true (netring_injector_wait_drained (injector, 10000, NULL, &error));
      g_assert_no_error (error);
    }
  elapsed = g_get_monotonic_time () - start;
  g_assert_cmpuint (netring_injector_get_pending (injector), ==, 0);
  g_assert_cmpuint (netring_injector_get_available (injector), ==,
                    netring_injector_get_frame_count (injector));

  receiver_finish (receiver);

  stats = netring_injector_get_stats (injector);
  g_assert_cmpuint (stats->frames_queued, ==, c->count);
  g_assert_cmpuint (stats->frames_sent, ==, c->count);
  g_assert_cmpuint (stats->bytes_sent, ==, (guint64) c->count * c->length);
  g_assert_cmpuint (stats->frames_rejected, ==, 0);
  g_assert_cmpuint (stats->frames_refused, ==, 0);
  g_assert_cmpuint (stats->frames_aborted, ==, 0);
  g_assert_cmpint (stats->last_reject_errno, ==, 0);
  if (c->count >= 1000)
    g_test_message ("%u frames of %zu bytes via %s: %.3f s, %.0f frames/s, %" G_GUINT64_FORMAT
                    " kicks",
                    c->count, c->length, method_names[c->method], elapsed / 1e6,
                    c->count / (elapsed / 1e6), stats->kicks);
}

/* ---- backpressure -------------------------------------------------------- */

typedef struct {
  GMainLoop *loop;
  guint total; /* when that many sends finished: flush_async + wait_drained_async */
  guint completed;
  guint failed;
  gboolean drained;
  GError *error;
} BurstState;

static void burst_flushed_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
burst_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  BurstState *s = user_data;
  g_autoptr(GError) error = NULL;

  if (netring_injector_send_finish (NETRING_INJECTOR (object), result, &error))
    s->completed++;
  else
    s->failed++;
  if (s->total > 0 && s->completed + s->failed == s->total)
    netring_injector_flush_async (NETRING_INJECTOR (object), NULL, burst_flushed_cb, s);
}

static void
burst_drained_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  BurstState *s = user_data;

  s->drained = netring_injector_wait_drained_finish (NETRING_INJECTOR (object), result,
                                                     &s->error);
  g_main_loop_quit (s->loop);
}

static void
burst_flushed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  BurstState *s = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (netring_injector_flush_finish (NETRING_INJECTOR (object), result, &error),
                   >=, 0);
  g_assert_no_error (error);
  netring_injector_wait_drained_async (NETRING_INJECTOR (object), 10000, NULL,
                                       burst_drained_cb, s);
}

/* A ring of 8 frames and 100,000 send_async() calls made at once, with no
 * retry anywhere in the caller: every frame arrives, in order. */
static void
test_async_small_ring (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Receiver *receiver = receiver_new (veth);
  BurstState s = { 0 };
  const guint32 count = 100000;
  guint extra = 0;
  guint8 buffer[64];
  gint64 start;
  guint32 i;

  injector = open_injector (veth, "interface", veth->a, "frame-count", 8u, NULL);
  g_assert_cmpuint (netring_injector_get_frame_count (injector), ==, 8);
  receiver_expect (receiver, 0, count, sizeof buffer);
  /* A veth gives slots back within the kick itself; a 20 Mbit/s token
   * bucket keeps frames in flight, so the ring really is full and most
   * calls really wait for slots. */
  tc ("qdisc", "add", "dev", veth->a, "root", "tbf", "rate", "20mbit", "burst", "4kb",
      "limit", "1000000", NULL);

  start = g_get_monotonic_time ();
  s.loop = loop;
  s.total = count;
  for (i = 0; i < count; i++)
    {
      g_autoptr(GBytes) bytes = NULL;

      nr_test_frame_fill (buffer, sizeof buffer, i, veth->mac_a, veth->mac_b);
      bytes = g_bytes_new (buffer, sizeof buffer);
      netring_injector_send_async (injector, bytes, NULL, burst_sent_cb, &s);
    }
  /* Frames wait in the injector in call order: a synchronous send may not
   * overtake them. (On a slow machine the bucket may have drained every
   * call already; then the frame is simply the last one.) */
  {
    g_autoptr(GError) error = NULL;
    nr_test_frame_fill (buffer, sizeof buffer, count, veth->mac_a, veth->mac_b);
    if (netring_injector_send (injector, buffer, sizeof buffer, &error))
      {
        g_test_message ("no send_async() call was waiting any more");
        receiver_expect (receiver, count, 1, sizeof buffer);
        extra = 1;
      }
    else
      {
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
        g_assert_nonnull (strstr (error->message, "waiting"));
      }
  }
  g_main_loop_run (loop);
  g_assert_no_error (s.error);
  g_assert_true (s.drained);
  g_assert_cmpuint (s.completed, ==, count);
  g_assert_cmpuint (s.failed, ==, 0);

  receiver_finish (receiver);
  stats = netring_injector_get_stats (injector);
  g_assert_cmpuint (stats->frames_sent, ==, count + extra);
  g_test_message ("100000 frames via send_async through an 8-frame ring: %.3f s, %"
                  G_GUINT64_FORMAT " kicks",
                  (g_get_monotonic_time () - start) / 1e6, stats->kicks);
}

/* Callbacks of send_async() run in call order, whether a call's frame
 * fitted the ring at once, had to make the kernel give slots back first,
 * or was refused. An 8-frame ring without a throttle: a veth gives slots
 * back within the kick, so every ninth call finds the ring looking full
 * and gets its slot only after a kick. */
typedef struct {
  guint next;
  guint n_sent;
  guint n_failed;
} OrderState;

typedef struct {
  OrderState *state;
  guint index;
} OrderCall;

static void
order_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  OrderCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) source = g_async_result_get_source_object (result);

  /* a result is a full GAsyncResult during its callback */
  g_assert_true (source == object);
  g_assert_true (g_async_result_is_tagged (result, netring_injector_send_async));
  if (call->index != call->state->next)
    g_error ("callback of call %u where call %u was due", call->index, call->state->next);
  call->state->next++;
  if (netring_injector_send_finish (NETRING_INJECTOR (object), result, &error))
    call->state->n_sent++;
  else
    {
      g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
      g_assert_cmpuint (call->index, ==, 50);
      call->state->n_failed++;
    }
}

static void
test_async_callback_order (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(GError) error = NULL;
  Receiver *receiver = receiver_new (veth);
  OrderState state = { 0 };
  OrderCall calls[200];
  guint8 buffer[64];
  guint i;

  injector = open_injector (veth, "interface", veth->a, "frame-count", 8u, NULL);
  receiver_expect (receiver, 0, 50, sizeof buffer);
  receiver_expect (receiver, 51, 149, sizeof buffer);
  for (i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      g_autoptr(GBytes) bytes = NULL;

      nr_test_frame_fill (buffer, sizeof buffer, i, veth->mac_a, veth->mac_b);
      /* call 50 is an empty frame: refused */
      bytes = g_bytes_new (buffer, i == 50 ? 0 : sizeof buffer);
      calls[i].state = &state;
      calls[i].index = i;
      netring_injector_send_async (injector, bytes, NULL, order_sent_cb, &calls[i]);
    }
  while (state.next < G_N_ELEMENTS (calls))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (state.n_sent, ==, 199);
  g_assert_cmpuint (state.n_failed, ==, 1);

  g_assert_cmpint (netring_injector_flush (injector, &error), >=, 0);
  g_assert_no_error (error);
  g_assert_true (netring_injector_wait_drained (injector, 5000, NULL, &error));
  g_assert_no_error (error);
  receiver_finish (receiver);
}

/* ---- the stream survives aborts, refusals and kernel rejections --------- */

static void
test_midstream_errors (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  Receiver *receiver = receiver_new (veth);
  guint8 buffer[2048];
  guint32 seq = 0, i;
  guint aborted = 0, refused = 0, rejected = 0;
  const guint32 count = 3000;

  /* frame-size 2048: capacity 2000, more than the 1514 bytes the veth's
   * MTU lets through, so the kernel itself rejects some frames. */
  injector = open_injector (veth, NULL);
  g_assert_cmpuint (netring_injector_get_frame_capacity (injector), ==, 2000);

  for (i = 0; i < count; i++)
    {
      gsize length = 60 + (i % 7) * 200; /* 60 … 1260 */

      if (i % 10 == 3)
        {
          /* reserve, write a frame that must never be seen, abort */
          guint8 *slot = netring_injector_reserve (injector, 64, &error);
          g_assert_no_error (error);
          nr_test_frame_fill (slot, 64, 0xdead0000 + i, veth->mac_a, veth->mac_b);
          netring_injector_abort (injector);
          aborted++;
        }
      if (i % 17 == 5)
        {
          /* longer than a ring frame: refused by the API */
          g_assert_false (netring_injector_send (injector, buffer, 2001, &error));
          g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
          g_clear_error (&error);
          refused++;
        }
      if (i % 23 == 7)
        {
          /* fits the ring, too long for the MTU: the kernel rejects it
           * while the frames after it are already queued */
          nr_test_frame_fill (buffer, 1600, 0xbad00000 + i, veth->mac_a, veth->mac_b);
          send_one (injector, veth, METHOD_SEND, 0xbad00000 + i, 1600, buffer);
          rejected++;
        }
      receiver_expect (receiver, seq, 1, (guint32) length);
      send_one (injector, veth, i % 2 ? METHOD_RESERVE : METHOD_SEND, seq, length, buffer);
      seq++;
      if (i % 50 == 49)
        g_assert_cmpint (netring_injector_flush (injector, &error), >=, 0);
      g_assert_no_error (error);
    }
  g_assert_true (netring_injector_wait_drained (injector, 10000, NULL, &error));
  g_assert_no_error (error);
  receiver_finish (receiver);

  stats = netring_injector_get_stats (injector);
  g_assert_cmpuint (stats->frames_aborted, ==, aborted);
  g_assert_cmpuint (stats->frames_refused, ==, refused);
  g_assert_cmpuint (stats->frames_rejected, ==, rejected);
  g_assert_cmpint (stats->last_reject_errno, ==, EMSGSIZE);
  g_assert_cmpuint (stats->frames_queued, ==, count + rejected);
  g_assert_cmpuint (stats->frames_sent, ==, count);
  g_assert_cmpuint (netring_injector_get_pending (injector), ==, 0);
}

/* ---- bad input ------------------------------------------------------------ */

static void
test_invalid_argument (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Receiver *receiver = receiver_new (veth);
  guint8 buffer[4096] = { 0 };
  guint8 *slot;
  BurstState s = { 0 };

  injector = open_injector (veth, NULL);

  g_assert_false (netring_injector_send (injector, buffer, 0, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "2000"));
  g_clear_error (&error);

  g_assert_false (netring_injector_send (injector, buffer, 2001, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "2001"));
  g_assert_nonnull (strstr (error->message, "2000"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  g_assert_false (netring_injector_send_bytes (injector, empty, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_null (netring_injector_reserve (injector, 4096, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A commit with a bad length gives the slot back. */
  slot = netring_injector_reserve (injector, 64, &error);
  g_assert_no_error (error);
  g_assert_nonnull (slot);
  g_assert_false (netring_injector_commit (injector, 2001, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  big = g_bytes_new (buffer, 3000);
  s.loop = loop;
  netring_injector_send_async (injector, big, NULL, burst_sent_cb, &s);
  netring_injector_send_async (injector, empty, NULL, burst_sent_cb, &s);
  while (s.failed + s.completed < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (s.failed, ==, 2);

  stats = netring_injector_get_stats (injector);
  g_assert_cmpuint (stats->frames_refused, ==, 7);
  g_assert_cmpuint (stats->frames_queued, ==, 0);
  g_assert_cmpuint (stats->frames_aborted, ==, 0);

  /* Nothing reached the ring: the next frame is the first on the wire. */
  receiver_expect (receiver, 0, 1, 64);
  send_one (injector, veth, METHOD_SEND, 0, 64, buffer);
  g_assert_cmpint (netring_injector_flush (injector, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpint (netring_injector_flush (injector, &error), ==, 0);
  receiver_finish (receiver);
}

static void
test_no_such_interface (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringInjector) injector = netring_injector_new ("nrt-none0", &error);

  g_assert_null (injector);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_assert_nonnull (strstr (error->message, "nrt-none0"));
}

static void
expect_invalid_configuration (const NrTestVeth *veth, const char *property_in_message,
                              const char *first_property, ...)
{
  g_autoptr(GError) error = NULL;
  GObject *injector;
  va_list ap;

  va_start (ap, first_property);
  injector = (GObject *) g_initable_new_valist (NETRING_TYPE_INJECTOR, first_property, ap, NULL,
                                                &error);
  va_end (ap);
  g_assert_null (injector);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, property_in_message));
}

static void
test_validation (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) fresh = NULL;
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(GError) error = NULL;
  guint frame_size, frame_count, capacity;
  gboolean bypass;
  gint fd;

  expect_invalid_configuration (veth, "interface", "frame-size", 2048u, NULL);
  expect_invalid_configuration (veth, "frame-size", "interface", veth->a, "frame-size", 0u,
                                NULL);
  expect_invalid_configuration (veth, "frame-size", "interface", veth->a, "frame-size", 64u,
                                NULL);
  expect_invalid_configuration (veth, "frame-size", "interface", veth->a, "frame-size", 2056u + 4,
                                NULL);
  expect_invalid_configuration (veth, "frame-size", "interface", veth->a, "frame-size",
                                (128u << 10) + 16, NULL);
  expect_invalid_configuration (veth, "frame-count", "interface", veth->a, "frame-count", 0u,
                                NULL);
  expect_invalid_configuration (veth, "frame-count", "interface", veth->a, "frame-size",
                                128u << 10, "frame-count", 10000u, NULL);

  /* Defaults, and what init changes. */
  fresh = g_object_new (NETRING_TYPE_INJECTOR, "interface", veth->a, NULL);
  g_object_get (fresh, "frame-size", &frame_size, "frame-count", &frame_count,
                "qdisc-bypass", &bypass, "frame-capacity", &capacity, "fd", &fd, NULL);
  g_assert_cmpuint (frame_size, ==, 2048);
  g_assert_cmpuint (frame_count, ==, 256);
  g_assert_false (bypass);
  g_assert_cmpuint (capacity, ==, 2000);
  g_assert_cmpint (fd, ==, -1);
  g_assert_true (g_initable_init (G_INITABLE (fresh), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (netring_injector_get_fd (fresh), >=, 0);
  g_assert_true (g_initable_init (G_INITABLE (fresh), NULL, &error)); /* idempotent */

  /* Rounded up to whole blocks: 1504-byte frames, 2 per 4 KiB block. */
  injector = open_injector (veth, "interface", veth->a, "frame-size", 1504u, "frame-count", 5u,
                            "qdisc-bypass", TRUE, NULL);
  g_object_get (injector, "frame-count", &frame_count, "frame-capacity", &capacity, NULL);
  g_assert_cmpuint (frame_count, ==, 6);
  g_assert_cmpuint (capacity, ==, 1456);
  g_assert_cmpuint (netring_injector_get_available (injector), ==, 6);
  g_assert_cmpuint (netring_injector_get_pending (injector), ==, 0);
}

/* ---- draining ------------------------------------------------------------ */

static void
tc (const char *first_arg, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list ap;
  int status;

  g_ptr_array_add (argv, (gpointer) "tc");
  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("tc failed: %s (%s)", error->message, err);
}

/* Token bucket that lets a few frames through and then holds the rest
 * (8 bit/s); the queue is long enough that nothing is dropped. A frame in
 * the qdisc is genuinely in flight: its slot comes back only when it left.
 * Used because a veth whose peer is down does not keep frames queued: veth
 * drops them at once and the slots come back immediately (checked below). */
static void
throttle_link (const NrTestVeth *veth)
{
  tc ("qdisc", "add", "dev", veth->a, "root", "tbf", "rate", "8bit", "burst", "2000",
      "limit", "1000000", NULL);
}

/* Opens the token bucket. The frames it holds leave at its next dequeue,
 * which the old rate scheduled far away: an extra frame sent through a
 * plain packet socket (the caller announces it to the receiver: it arrives
 * after them, the qdisc is FIFO) makes the qdisc run now. */
static void
unthrottle_link (const NrTestVeth *veth, guint32 nudge_seq, gsize length)
{
  tc ("qdisc", "change", "dev", veth->a, "root", "tbf", "rate", "10gbit", "burst", "2000000",
      "limit", "1000000", NULL);
  nr_test_send_frames (veth, nudge_seq, 1, length);
}

static void
test_wait_drained (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  Receiver *receiver = receiver_new (veth);
  guint8 buffer[256];
  guint32 i;
  gint64 start, elapsed;

  injector = open_injector (veth, NULL);

  /* A burst that was never flushed: wait_drained kicks it itself. */
  receiver_expect (receiver, 0, 200, 256);
  for (i = 0; i < 200; i++)
    send_one (injector, veth, METHOD_SEND, i, 256, buffer);
  g_assert_cmpuint (netring_injector_get_pending (injector), ==, 200);
  g_assert_true (netring_injector_wait_drained (injector, 5000, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (netring_injector_get_pending (injector), ==, 0);

  /* Nothing pending: returns at once, even with a zero timeout. */
  g_assert_true (netring_injector_wait_drained (injector, 0, NULL, &error));
  g_assert_no_error (error);

  /* Frames held in a qdisc: the wait times out after the timeout. */
  throttle_link (veth);
  receiver_expect (receiver, 200, 100, 256);
  for (i = 200; i < 300; i++)
    send_one (injector, veth, METHOD_SEND, i, 256, buffer);
  /* wait_drained kicked the first 200 but is not a flush: they still count */
  g_assert_cmpint (netring_injector_flush (injector, &error), ==, 300);
  g_assert_cmpint (netring_injector_flush (injector, &error), ==, 0);
  start = g_get_monotonic_time ();
  g_assert_false (netring_injector_wait_drained (injector, 300, NULL, &error));
  elapsed = g_get_monotonic_time () - start;
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_cmpint (elapsed, >=, 300 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (elapsed, <, 2 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (netring_injector_get_pending (injector), >, 50);

  /* Let them go: every one arrives, in order. */
  receiver_expect (receiver, 300, 1, 256);
  unthrottle_link (veth, 300, 256);
  g_assert_true (netring_injector_wait_drained (injector, 5000, NULL, &error));
  g_assert_no_error (error);
  receiver_finish (receiver);
  stats = netring_injector_get_stats (injector);
  g_assert_cmpuint (stats->frames_sent, ==, 300);
}

static void
drained_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;

  if (netring_injector_wait_drained_finish (NETRING_INJECTOR (object), result, error))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "drained");
}

static void
test_wait_drained_async_timeout (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) result = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Receiver *receiver = receiver_new (veth);
  guint8 buffer[128];
  guint32 i;
  gint64 start, elapsed;

  injector = open_injector (veth, NULL);
  throttle_link (veth);
  receiver_expect (receiver, 0, 100, 128);
  for (i = 0; i < 100; i++)
    send_one (injector, veth, METHOD_SEND, i, 128, buffer);

  start = g_get_monotonic_time ();
  netring_injector_wait_drained_async (injector, 250, NULL, drained_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  elapsed = g_get_monotonic_time () - start;
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&result);
  g_assert_cmpint (elapsed, >=, 250 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (elapsed, <, 2 * G_TIME_SPAN_SECOND);

  /* Cancelled while waiting. */
  netring_injector_wait_drained_async (injector, -1, cancellable, drained_cb, &result);
  for (i = 0; i < 5; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (result);
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&result);

  receiver_expect (receiver, 100, 1, 128);
  unthrottle_link (veth, 100, 128);
  netring_injector_wait_drained_async (injector, 5000, NULL, drained_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_FAILED); /* i.e. drained */
  receiver_finish (receiver);
}

/* What the kernel does with frames for a veth whose peer is down: veth
 * drops them, and their slots come back at once. So "peer down" cannot
 * hold frames in the ring; the tests above use a token-bucket qdisc. */
static void
test_peer_down (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  guint8 buffer[64];
  guint32 i;

  injector = open_injector (veth, NULL);
  nr_test_ip ("link", "set", veth->b, "down", NULL);
  for (i = 0; i < 50; i++)
    send_one (injector, veth, METHOD_SEND, i, 64, buffer);
  g_assert_true (netring_injector_wait_drained (injector, 2000, NULL, &error));
  g_assert_no_error (error);
  stats = netring_injector_get_stats (injector);
  g_assert_cmpuint (stats->frames_sent, ==, 50);
  nr_test_ip ("link", "set", veth->b, "up", NULL);
}

/* The sending interface itself goes down: the kick fails, the frames stay
 * queued, and they go out once it is up again. */
static void
test_interface_down (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(GError) error = NULL;
  Receiver *receiver = receiver_new (veth);
  guint8 buffer[64];
  guint32 i;

  injector = open_injector (veth, NULL);
  receiver_expect (receiver, 0, 20, 64);
  for (i = 0; i < 20; i++)
    send_one (injector, veth, METHOD_SEND, i, 64, buffer);
  nr_test_ip ("link", "set", veth->a, "down", NULL);
  g_assert_cmpint (netring_injector_flush (injector, &error), ==, -1);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_cmpuint (netring_injector_get_pending (injector), ==, 20);

  nr_test_ip ("link", "set", veth->a, "up", NULL);
  nr_test_veth_wait_running (veth);
  g_assert_true (netring_injector_wait_drained (injector, 5000, NULL, &error));
  g_assert_no_error (error);
  receiver_finish (receiver);
}

/* ---- cancellation ---------------------------------------------------------- */

static void
cancel_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;

  if (netring_injector_send_finish (NETRING_INJECTOR (object), result, error))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "sent");
}

static void
test_cancel_send_async (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) result = NULL;
  g_autoptr(GError) result2 = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) doomed = NULL;
  g_autoptr(GBytes) next = NULL;
  Receiver *receiver = receiver_new (veth);
  guint8 buffer[64];
  guint32 seq = 0;
  gint64 start;

  injector = open_injector (veth, "interface", veth->a, "frame-count", 8u, NULL);
  throttle_link (veth);

  /* Fill the ring until nothing drains any more (the token bucket lets
   * the first ~30 frames through). Each frame is announced to the receiver
   * before it can reach the wire. */
  receiver_expect (receiver, seq, 1, sizeof buffer);
  for (;;)
    {
      nr_test_frame_fill (buffer, sizeof buffer, seq, veth->mac_a, veth->mac_b);
      if (!netring_injector_send (injector, buffer, sizeof buffer, &error))
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          g_clear_error (&error);
          g_usleep (20000);
          if (netring_injector_get_available (injector) == 0)
            break;
          continue;
        }
      seq++;
      g_assert_cmpuint (seq, <, 1000);
      receiver_expect (receiver, seq, 1, sizeof buffer);
    }
  /* Frame seq is announced but not sent: the nudge below is that frame. */

  /* This one waits for a slot, then is cancelled: it must never appear. */
  nr_test_frame_fill (buffer, sizeof buffer, 0xdead, veth->mac_a, veth->mac_b);
  doomed = g_bytes_new (buffer, sizeof buffer);
  netring_injector_send_async (injector, doomed, cancellable, cancel_sent_cb, &result);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 100 * G_TIME_SPAN_MILLISECOND)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (result);
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The ring is still usable: the next frame waits, then goes out in
   * order once the link lets frames through. */
  nr_test_frame_fill (buffer, sizeof buffer, seq + 1, veth->mac_a, veth->mac_b);
  next = g_bytes_new (buffer, sizeof buffer);
  receiver_expect (receiver, seq + 1, 1, sizeof buffer);
  netring_injector_send_async (injector, next, NULL, cancel_sent_cb, &result2);
  unthrottle_link (veth, seq, sizeof buffer);
  while (result2 == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (result2, G_IO_ERROR, G_IO_ERROR_FAILED); /* i.e. sent */
  g_assert_true (netring_injector_wait_drained (injector, 5000, NULL, &error));
  g_assert_no_error (error);
  receiver_finish (receiver);
}

/* send_async() from two main contexts while the first still has a result
 * pending: each callback runs in its caller's context, and a frame that
 * went into the ring at once is reported as sent even when its
 * cancellable is cancelled before the callback runs. */
typedef struct {
  GMainContext *context;
  gboolean done;
  gboolean sent;
  GError *error;
} ContextSent;

static void
context_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  ContextSent *s = user_data;

  g_assert_true (g_main_context_is_owner (s->context));
  g_assert_false (s->done);
  s->sent = netring_injector_send_finish (NETRING_INJECTOR (object), result, &s->error);
  s->done = TRUE;
}

static void
test_send_async_two_contexts (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = open_injector (veth, NULL);
  g_autoptr(GMainContext) context_a = g_main_context_new ();
  g_autoptr(GMainContext) context_b = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) frame0 = NULL;
  g_autoptr(GBytes) frame1 = NULL;
  Receiver *receiver = receiver_new (veth);
  ContextSent a = { context_a }, b = { context_b };
  guint8 buffer[100];

  receiver_expect (receiver, 0, 2, sizeof buffer);
  nr_test_frame_fill (buffer, sizeof buffer, 0, veth->mac_a, veth->mac_b);
  frame0 = g_bytes_new (buffer, sizeof buffer);
  nr_test_frame_fill (buffer, sizeof buffer, 1, veth->mac_a, veth->mac_b);
  frame1 = g_bytes_new (buffer, sizeof buffer);

  g_main_context_push_thread_default (context_a);
  netring_injector_send_async (injector, frame0, NULL, context_sent_cb, &a);
  g_main_context_push_thread_default (context_b);
  netring_injector_send_async (injector, frame1, cancellable, context_sent_cb, &b);
  g_cancellable_cancel (cancellable); /* too late: the frame is in the ring */
  g_main_context_pop_thread_default (context_b);
  g_main_context_pop_thread_default (context_a);

  while (!b.done)
    g_main_context_iteration (context_b, TRUE);
  g_assert_false (a.done);
  while (!a.done)
    g_main_context_iteration (context_a, TRUE);
  g_assert_no_error (a.error);
  g_assert_true (a.sent);
  g_assert_no_error (b.error);
  g_assert_true (b.sent);

  g_assert_cmpint (netring_injector_flush (injector, &error), ==, 2);
  g_assert_no_error (error);
  g_assert_true (netring_injector_wait_drained (injector, 5000, NULL, &error));
  g_assert_no_error (error);
  receiver_finish (receiver);
}

/* Frames queued but never flushed still go out when the injector goes. */
static void
test_dispose_flushes (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NetringInjector *injector;
  Receiver *receiver = receiver_new (veth);
  guint8 buffer[100];
  guint32 i;

  injector = open_injector (veth, NULL);
  receiver_expect (receiver, 0, 30, sizeof buffer);
  for (i = 0; i < 30; i++)
    send_one (injector, veth, METHOD_SEND, i, sizeof buffer, buffer);
  g_object_unref (injector);
  receiver_finish (receiver);
}

/* ---- main ------------------------------------------------------------------ */

static void
add_stream (Method method, guint32 count, gsize length)
{
  StreamCase *c = g_new (StreamCase, 1);
  g_autofree char *path = NULL;
  static const char *const slugs[] = { "send", "send-bytes", "reserve-commit", "send-async" };

  c->method = method;
  c->count = count;
  c->length = length;
  path = g_strdup_printf ("/injector/stream/%s/%u/%zu", slugs[method], count, length);
  g_test_add_data_func_full (path, c, test_stream, g_free);
}

int
main (int argc, char **argv)
{
  static const gsize lengths[] = { 64, 1500 };
  guint m, l;

  nr_test_net_enter_or_skip ("test-injector");
  g_test_init (&argc, &argv, NULL);

  /* A veth hands each frame to the receive backlog of the CPU that
   * transmits it, so a sender that moves between CPUs (or a qdisc
   * released by a timer on another CPU) can make frames overtake each
   * other on the way in. Sending from one CPU keeps the wire in ring
   * order, which is what the tests check. The receiver may run anywhere. */
  if (sched_getaffinity (0, sizeof all_cpus, &all_cpus) == 0)
    {
      cpu_set_t one;
      int cpu;

      CPU_ZERO (&one);
      for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET (cpu, &all_cpus); cpu++)
        ;
      CPU_SET (cpu, &one);
      sched_setaffinity (0, sizeof one, &one);
    }

  for (m = METHOD_SEND; m <= METHOD_ASYNC; m++)
    for (l = 0; l < G_N_ELEMENTS (lengths); l++)
      {
        add_stream (m, 1, lengths[l]);
        add_stream (m, 1000, lengths[l]);
      }
  add_stream (METHOD_SEND, 1000000, 64);
  add_stream (METHOD_RESERVE, 1000000, 64);
  add_stream (METHOD_SEND, 1000000, 1500);
  add_stream (METHOD_ASYNC, 1000000, 64);

  g_test_add_func ("/injector/async-small-ring", test_async_small_ring);
  g_test_add_func ("/injector/async-callback-order", test_async_callback_order);
  g_test_add_func ("/injector/midstream-errors", test_midstream_errors);
  g_test_add_func ("/injector/invalid-argument", test_invalid_argument);
  g_test_add_func ("/injector/no-such-interface", test_no_such_interface);
  g_test_add_func ("/injector/validation", test_validation);
  g_test_add_func ("/injector/wait-drained", test_wait_drained);
  g_test_add_func ("/injector/wait-drained-async-timeout", test_wait_drained_async_timeout);
  g_test_add_func ("/injector/peer-down", test_peer_down);
  g_test_add_func ("/injector/interface-down", test_interface_down);
  g_test_add_func ("/injector/cancel-send-async", test_cancel_send_async);
  g_test_add_func ("/injector/send-async-two-contexts", test_send_async_two_contexts);
  g_test_add_func ("/injector/dispose-flushes", test_dispose_flushes);
  return g_test_run ();
}
