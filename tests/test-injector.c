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
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>
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
  nr_test_tc ("qdisc", "add", "dev", veth->a, "root", "tbf", "rate", "20mbit", "burst", "4kb",
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

  /* frame-size 2048: capacity 2000. The injector refuses frames longer
   * than the MTU it read at init (1500 + 14); lowering the MTU afterwards
   * lets 1450-byte frames through the API that the kernel itself rejects
   * (1300 + 14), which is what this test is about. */
  injector = open_injector (veth, NULL);
  g_assert_cmpuint (netring_injector_get_frame_capacity (injector), ==, 2000);
  nr_test_ip ("link", "set", veth->a, "mtu", "1300", NULL);

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
          nr_test_frame_fill (buffer, 1450, 0xbad00000 + i, veth->mac_a, veth->mac_b);
          send_one (injector, veth, METHOD_SEND, 0xbad00000 + i, 1450, buffer);
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

/* Token bucket that lets a few frames through and then holds the rest
 * (8 bit/s); the queue is long enough that nothing is dropped. A frame in
 * the qdisc is genuinely in flight: its slot comes back only when it left.
 * Used because a veth whose peer is down does not keep frames queued: veth
 * drops them at once and the slots come back immediately (checked below). */
static void
throttle_link (const NrTestVeth *veth)
{
  nr_test_tc ("qdisc", "add", "dev", veth->a, "root", "tbf", "rate", "8bit", "burst", "2000",
              "limit", "1000000", NULL);
}

/* Opens the token bucket. The frames it holds leave at its next dequeue,
 * which the old rate scheduled far away: an extra frame sent through a
 * plain packet socket (the caller announces it to the receiver: it arrives
 * after them, the qdisc is FIFO) makes the qdisc run now. */
static void
unthrottle_link (const NrTestVeth *veth, guint32 nudge_seq, gsize length)
{
  nr_test_tc ("qdisc", "change", "dev", veth->a, "root", "tbf", "rate", "10gbit", "burst",
              "2000000", "limit", "1000000", NULL);
  nr_test_send_frames (veth, nudge_seq, 1, length);
}

/* Packets the root qdisc of veth->a has let through ("Sent … pkt"). */
static guint64
qdisc_sent_packets (const NrTestVeth *veth)
{
  g_autofree char *cmd = g_strdup_printf ("tc -s qdisc show dev %s", veth->a);
  g_autofree char *out = NULL;
  const char *sent;
  guint64 bytes = 0, packets = 0;

  g_assert_true (g_spawn_command_line_sync (cmd, &out, NULL, NULL, NULL));
  sent = strstr (out, "Sent ");
  g_assert_nonnull (sent);
  g_assert_cmpint (sscanf (sent, "Sent %" G_GUINT64_FORMAT " bytes %" G_GUINT64_FORMAT " pkt",
                           &bytes, &packets), ==, 2);
  return packets;
}

/* Behind throttle_link(): queues 64-byte frames from @seq on until the ring
 * is full of frames the token bucket holds (it lets the first ~30 through
 * and then nothing drains any more). Each frame is announced to @receiver
 * before it can reach the wire, and so is the one after the last: returns
 * its number, which is not sent (the caller's nudge, unthrottle_link(), is
 * that frame). */
static guint32
fill_held_ring (NetringInjector *injector, const NrTestVeth *veth, Receiver *receiver,
                guint32 seq)
{
  guint8 buffer[64];

  receiver_expect (receiver, seq, 1, sizeof buffer);
  for (;;)
    {
      g_autoptr(GError) error = NULL;

      nr_test_frame_fill (buffer, sizeof buffer, seq, veth->mac_a, veth->mac_b);
      if (!netring_injector_send (injector, buffer, sizeof buffer, &error))
        {
          guint64 passed = qdisc_sent_packets (veth);
          gint64 start = g_get_monotonic_time ();

          /* When the ring is full, wait until the receiver has every frame
           * the qdisc let through (their slots come back as they are
           * delivered): if the ring is still full then, every frame in it
           * is held by the qdisc. */
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          while ((guint64) g_atomic_int_get (&receiver->received) < passed)
            {
              /* a hang guard; the 1 ms is a poll interval, not a wait for time */
              g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_TIME_SPAN_SECOND);
              g_usleep (1000);
            }
          if (netring_injector_get_available (injector) == 0)
            return seq;
          continue;
        }
      seq++;
      g_assert_cmpuint (seq, <, 1000);
      receiver_expect (receiver, seq, 1, sizeof buffer);
    }
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
  /* The frames never drain (8 bit/s): a wait that ignored its timeout
   * would never return; alarm() ends such a hang. The upper bound is a
   * hang guard, far from 300 ms on any machine. */
  start = g_get_monotonic_time ();
  alarm (60);
  g_assert_false (netring_injector_wait_drained (injector, 300, NULL, &error));
  alarm (0);
  elapsed = g_get_monotonic_time () - start;
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_test_message ("%s (after %.1f ms)", error->message, elapsed / 1000.0);
  g_clear_error (&error);
  g_assert_cmpint (elapsed, >=, 300 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (elapsed, <, 30 * G_TIME_SPAN_SECOND);
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

  /* as above: the frames never drain, alarm() ends a hang, and the upper
   * bound is only a hang guard */
  start = g_get_monotonic_time ();
  alarm (60);
  netring_injector_wait_drained_async (injector, 250, NULL, drained_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  alarm (0);
  elapsed = g_get_monotonic_time () - start;
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&result);
  g_assert_cmpint (elapsed, >=, 250 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (elapsed, <, 30 * G_TIME_SPAN_SECOND);

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

/* ---- send_many_async --------------------------------------------------- */

typedef struct {
  guint n_callbacks;
  gint count;     /* send_many_finish() */
  GError *error;
} ManyResult;

static void
many_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  ManyResult *r = user_data;

  r->n_callbacks++;
  r->count = netring_sender_send_many_finish (NETRING_SENDER (object), result, &r->error);
}

/* @count frames of 64 bytes from @first_seq on, one after the other, and
 * their lengths */
static GBytes *
many_frames (const NrTestVeth *veth, guint32 first_seq, guint count, guint32 **lengths)
{
  guint8 *data = g_malloc (64 * (gsize) count);

  *lengths = g_new (guint32, count);
  for (guint i = 0; i < count; i++)
    {
      nr_test_frame_fill (data + 64 * (gsize) i, 64, first_seq + i, veth->mac_a, veth->mac_b);
      (*lengths)[i] = 64;
    }
  return g_bytes_new_take (data, 64 * (gsize) count);
}

/* The receiver expects only @count of the frames of its last range: the
 * rest were never sent (none of them can arrive). */
static void
receiver_shrink_last (Receiver *r, guint32 count)
{
  ExpectRange *range;

  g_mutex_lock (&r->lock);
  range = &g_array_index (r->ranges, ExpectRange, r->ranges->len - 1);
  g_assert_cmpuint (count, <=, range->count);
  g_atomic_int_add (&r->expected, -(gint) (range->count - count));
  range->count = count;
  g_mutex_unlock (&r->lock);
}

/* send_many_async through an 8-frame ring behind a slow link: one callback
 * with every frame, in order with the send_async calls around it; cancelled
 * while waiting with none of its frames queued it fails with CANCELLED and
 * sends nothing, cancelled with some queued it reports exactly the frames
 * that reach the wire. */
static void
test_send_many_async (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) doomed = NULL, many = NULL, partial = NULL, single = NULL;
  g_autofree guint32 *doomed_lengths = NULL, *many_lengths = NULL, *partial_lengths = NULL;
  ManyResult doomed_result = { 0 }, many_result = { 0 }, partial_result = { 0 };
  GError *single_result = NULL;
  Receiver *receiver = receiver_new (veth);
  const guint count = 3000;
  guint8 buffer[64];
  guint32 seq;
  gint64 start;

  injector = open_injector (veth, "interface", veth->a, "frame-count", 8u, NULL);
  throttle_link (veth);
  seq = fill_held_ring (injector, veth, receiver, 0);

  /* waits behind the held ring with nothing queued, then is cancelled */
  doomed = many_frames (veth, 0xdead0000, 20, &doomed_lengths);
  netring_sender_send_many_async (NETRING_SENDER (injector), doomed, doomed_lengths, 20,
                                  cancellable, many_sent_cb, &doomed_result);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 100 * G_TIME_SPAN_MILLISECOND)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (doomed_result.n_callbacks, ==, 0);
  g_cancellable_cancel (cancellable);
  while (doomed_result.n_callbacks == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (doomed_result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (doomed_result.count, ==, -1);
  g_clear_error (&doomed_result.error);

  /* many frames waiting for room, with send_async calls before and after:
   * the lengths are copied, so the caller's array may go at once */
  receiver_expect (receiver, seq + 1, count, 64);
  many = many_frames (veth, seq + 1, count, &many_lengths);
  netring_sender_send_many_async (NETRING_SENDER (injector), many, many_lengths, count, NULL,
                                  many_sent_cb, &many_result);
  g_clear_pointer (&many_lengths, g_free);
  nr_test_frame_fill (buffer, sizeof buffer, seq + 1 + count, veth->mac_a, veth->mac_b);
  single = g_bytes_new (buffer, sizeof buffer);
  receiver_expect (receiver, seq + 1 + count, 1, sizeof buffer);
  netring_injector_send_async (injector, single, NULL, cancel_sent_cb, &single_result);
  unthrottle_link (veth, seq, sizeof buffer);
  while (single_result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (single_result, G_IO_ERROR, G_IO_ERROR_FAILED); /* i.e. sent */
  g_clear_error (&single_result);
  /* results are reported in call order: the bulk call's came first */
  g_assert_cmpuint (many_result.n_callbacks, ==, 1);
  g_assert_no_error (many_result.error);
  g_assert_cmpint (many_result.count, ==, (gint) count);
  g_assert_true (netring_injector_wait_drained (injector, 5000, NULL, &error));
  g_assert_no_error (error);
  seq += 2 + count;

  /* cancelled after part of it went in: the count is what goes out */
  nr_test_tc ("qdisc", "del", "dev", veth->a, "root", NULL);
  throttle_link (veth);
  g_cancellable_reset (cancellable);
  receiver_expect (receiver, seq, 500, 64);
  partial = many_frames (veth, seq, 500, &partial_lengths);
  netring_sender_send_many_async (NETRING_SENDER (injector), partial, partial_lengths, 500,
                                  cancellable, many_sent_cb, &partial_result);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 200 * G_TIME_SPAN_MILLISECOND)
    g_main_context_iteration (NULL, FALSE);
  g_cancellable_cancel (cancellable);
  while (partial_result.n_callbacks == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (partial_result.error);
  g_assert_cmpint (partial_result.count, >=, 8); /* the ring's worth went in at once */
  g_assert_cmpint (partial_result.count, <, 500);
  receiver_shrink_last (receiver, (guint32) partial_result.count);
  receiver_expect (receiver, seq + 500, 1, 64);
  unthrottle_link (veth, seq + 500, 64);
  g_assert_true (netring_injector_wait_drained (injector, 5000, NULL, &error));
  g_assert_no_error (error);

  receiver_finish (receiver);
  stats = netring_injector_get_stats (injector);
  g_assert_cmpuint (stats->frames_sent, ==, (seq - 2 - count) + 1 + count + (guint) partial_result.count);
  /* nothing is called back twice */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (doomed_result.n_callbacks + many_result.n_callbacks +
                      partial_result.n_callbacks, ==, 3);
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
  seq = fill_held_ring (injector, veth, receiver, 0);

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


/* ---- the socket, the qdisc, disposal ------------------------------------------ */

/* F7: the injector's socket is send-only: after traffic both ways on its
 * interface, nothing waits in its receive queue (a socket bound for
 * ETH_P_ALL would hold a copy of every frame). */
static void
test_no_receive_queue (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = open_injector (veth, NULL);
  g_autoptr(NetringCapture) on_a = NULL;
  g_autoptr(GError) error = NULL;
  Receiver *receiver = receiver_new (veth);
  guint8 buffer[128];
  guint32 i;
  guint in_a = 0;
  int queued = -1;

  /* frames out of the injector, received on the other end */
  receiver_expect (receiver, 0, 100, sizeof buffer);
  for (i = 0; i < 100; i++)
    send_one (injector, veth, METHOD_SEND, i, sizeof buffer, buffer);
  g_assert_true (netring_injector_wait_drained (injector, 10000, NULL, &error));
  g_assert_no_error (error);
  receiver_finish (receiver);

  /* frames into the injector's interface: a capture there sees them, so
   * every packet socket on it has been offered them (a block each at
   * worst: the capture reads after the last) */
  on_a = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->a, "block-size",
                         1u << 16, "block-count", 32u, "block-timeout-ms", 5, NULL);
  g_assert_no_error (error);
  for (i = 0; i < 20; i++)
    {
      nr_test_frame_fill (buffer, sizeof buffer, 1000 + i, veth->mac_b, veth->mac_a);
      nr_test_send_raw_on (veth->ifindex_b, buffer, sizeof buffer);
    }
  while (in_a < 20)
    {
      g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (on_a), 5000, NULL,
                                                                         &error);
      g_assert_no_error (error);
      in_a += netring_batch_get_n_packets (batch);
    }

  g_assert_no_errno (ioctl (netring_injector_get_fd (injector), SIOCINQ, &queued));
  g_assert_cmpint (queued, ==, 0);
}

/* qdisc-bypass: frames go straight to the driver, byte for byte; proven
 * by a qdisc that holds everything (8 bit/s) and lets nothing through. */
static void
test_qdisc_bypass (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  Receiver *receiver = NULL;
  guint8 buffer[256];
  guint32 i;
  gboolean bypass = FALSE;

  /* Exhaust the bucket with frames of a plain socket (40 × 64 bytes, 2000
   * bytes of burst): the rest of them stays in the qdisc for a minute, and
   * so would every frame that went through it. The receiver starts after
   * the frames that passed. */
  throttle_link (veth);
  nr_test_send_frames (veth, 0, 40, 64);
  g_assert_cmpuint (qdisc_sent_packets (veth), <, 40);
  receiver = receiver_new (veth);

  injector = open_injector (veth, "interface", veth->a, "qdisc-bypass", TRUE, NULL);
  g_object_get (injector, "qdisc-bypass", &bypass, NULL);
  g_assert_true (bypass);
  receiver_expect (receiver, 1000, 1000, sizeof buffer);
  for (i = 0; i < 1000; i++)
    {
      send_one (injector, veth, METHOD_SEND, 1000 + i, sizeof buffer, buffer);
      if ((i + 1) % FLUSH_EVERY == 0)
        g_assert_cmpint (netring_injector_flush (injector, &error), >=, 0);
      g_assert_no_error (error);
    }
  g_assert_cmpint (netring_injector_flush (injector, &error), >=, 0);
  g_assert_true (netring_injector_wait_drained (injector, 10000, NULL, &error));
  g_assert_no_error (error);
  receiver_finish (receiver);
  stats = netring_injector_get_stats (injector);
  g_assert_cmpuint (stats->frames_sent, ==, 1000);
  g_assert_cmpuint (stats->frames_rejected, ==, 0);
}

/* Disposing of an injector with a reservation open: the frames committed
 * before it still go out, in order; the reserved one never does. */
static void
test_dispose_with_reservation (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NetringInjector *injector = open_injector (veth, NULL);
  g_autoptr(GError) error = NULL;
  Receiver *receiver = receiver_new (veth);
  guint8 buffer[100];
  guint8 *slot;
  guint32 i;

  receiver_expect (receiver, 0, 30, sizeof buffer);
  for (i = 0; i < 30; i++)
    send_one (injector, veth, METHOD_SEND, i, sizeof buffer, buffer);
  slot = netring_injector_reserve (injector, sizeof buffer, &error);
  g_assert_no_error (error);
  nr_test_frame_fill (slot, sizeof buffer, 0xdead, veth->mac_a, veth->mac_b);
  g_object_unref (injector);
  receiver_finish (receiver);
}

/* send_async() calls still waiting for a slot when the injector goes: each
 * callback runs exactly once, and a frame reported sent reaches the wire
 * (in order) while one reported failed never does. */
typedef struct {
  guint calls;     /* callbacks run */
  guint32 n_sent;  /* frames reported sent: a prefix of the calls */
  guint n_failed;
  gint8 outcome[64]; /* per call: 0 not yet, 1 sent, -1 failed */
} PendingState;

typedef struct {
  PendingState *state;
  guint index;
} PendingCall;

static void
pending_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  PendingCall *call = user_data;
  PendingState *st = call->state;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (st->outcome[call->index], ==, 0); /* exactly once */
  st->calls++;
  if (netring_injector_send_finish (NETRING_INJECTOR (object), result, &error))
    {
      g_assert_cmpuint (call->index, ==, st->n_sent); /* in call order */
      g_assert_cmpuint (st->n_failed, ==, 0);
      st->outcome[call->index] = 1;
      st->n_sent++;
    }
  else
    {
      g_test_message ("call %u: %s", call->index, error->message);
      g_assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) ||
                     g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
      st->outcome[call->index] = -1;
      st->n_failed++;
    }
}

static void
run_dispose_with_pending_sends (gboolean run_dispose)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NetringInjector *injector;
  Receiver *receiver = receiver_new (veth);
  PendingState st = { 0 };
  PendingCall calls[40];
  const guint32 nudge = 100 + G_N_ELEMENTS (calls);
  guint8 buffer[64];
  gint64 start;
  guint i, in_ring;

  /* A qdisc that holds everything (the plain frames use up its burst): the
   * 8-frame ring fills, its frames wait in the qdisc, and the other calls
   * wait for a slot. */
  throttle_link (veth);
  receiver_expect (receiver, 0, 40, sizeof buffer);
  nr_test_send_frames (veth, 0, 40, sizeof buffer);

  injector = open_injector (veth, "interface", veth->a, "frame-count", 8u, NULL);
  in_ring = netring_injector_get_frame_count (injector);
  g_assert_cmpuint (in_ring, ==, 8);
  for (i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      g_autoptr(GBytes) bytes = NULL;

      nr_test_frame_fill (buffer, sizeof buffer, 100 + i, veth->mac_a, veth->mac_b);
      bytes = g_bytes_new (buffer, sizeof buffer);
      calls[i].state = &st;
      calls[i].index = i;
      netring_injector_send_async (injector, bytes, NULL, pending_sent_cb, &calls[i]);
    }

  if (run_dispose)
    {
      /* Disposed with calls waiting: they fail, the ones whose frames are
       * in the ring succeed; every callback runs before the link opens. */
      g_object_run_dispose (G_OBJECT (injector));
      g_object_unref (injector);
      start = g_get_monotonic_time ();
      while (st.calls < G_N_ELEMENTS (calls))
        {
          g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_TIME_SPAN_SECOND);
          g_main_context_iteration (NULL, TRUE);
        }
      g_assert_cmpuint (st.n_sent, <=, in_ring);
      /* the wire: the plain frames, those reported sent, the nudge */
      receiver_expect (receiver, 100, st.n_sent, sizeof buffer);
      receiver_expect (receiver, nudge, 1, sizeof buffer);
      unthrottle_link (veth, nudge, sizeof buffer);
    }
  else
    {
      /* The calls keep the injector alive: the last reference goes when
       * they are done, and every frame goes out. The ring's frames are in
       * the qdisc before the nudge, the others follow it. */
      g_object_unref (injector);
      receiver_expect (receiver, 100, in_ring, sizeof buffer);
      receiver_expect (receiver, nudge, 1, sizeof buffer);
      receiver_expect (receiver, 100 + in_ring, G_N_ELEMENTS (calls) - in_ring, sizeof buffer);
      unthrottle_link (veth, nudge, sizeof buffer);
      start = g_get_monotonic_time ();
      while (st.calls < G_N_ELEMENTS (calls))
        {
          g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_TIME_SPAN_SECOND);
          g_main_context_iteration (NULL, TRUE);
        }
      g_assert_cmpuint (st.n_failed, ==, 0);
    }
  g_test_message ("%u sent, %u failed", st.n_sent, st.n_failed);
  g_assert_cmpuint (st.n_sent + st.n_failed, ==, G_N_ELEMENTS (calls));
  receiver_finish (receiver);
}

static void
test_dispose_with_pending_sends (void)
{
  run_dispose_with_pending_sends (FALSE);
}

static void
test_run_dispose_with_pending_sends (void)
{
  run_dispose_with_pending_sends (TRUE);
}

static void
test_use_before_init (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = g_object_new (NETRING_TYPE_INJECTOR, "interface", veth->a,
                                                      NULL);
  g_autoptr(GError) error = NULL;
  guint8 buffer[64] = { 0 };
  Receiver *receiver = NULL;

  g_assert_cmpint (netring_injector_get_fd (injector), ==, -1);
  g_assert_false (netring_injector_send (injector, buffer, sizeof buffer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_assert_cmpint (netring_injector_flush (injector, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_assert_null (netring_injector_reserve (injector, 64, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);

  /* init afterwards works, and the frame goes out */
  g_assert_true (g_initable_init (G_INITABLE (injector), NULL, &error));
  g_assert_no_error (error);
  receiver = receiver_new (veth);
  receiver_expect (receiver, 0, 1, sizeof buffer);
  send_one (injector, veth, METHOD_SEND, 0, sizeof buffer, buffer);
  g_assert_true (netring_injector_wait_drained (injector, 10000, NULL, &error));
  g_assert_no_error (error);
  receiver_finish (receiver);
}


/* ---- readiness, close, result ownership, the MTU, ring memory ------------- */

static void
readiness_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;

  g_assert_false (netring_sender_send_finish (NETRING_SENDER (object), result, error));
}

/* Every call checks the injector first, like GSocket: not initialized, the
 * stored init error after a failed init, closed after close(). */
static void
test_readiness (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) fresh = NULL;
  g_autoptr(NetringInjector) failed = NULL;
  g_autoptr(NetringInjector) early = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) async_error = NULL;
  g_autoptr(GBytes) frame = g_bytes_new_static ("0123456789abcdef", 16);
  guint8 buffer[64] = { 0 };

  /* before init */
  fresh = g_object_new (NETRING_TYPE_INJECTOR, "interface", veth->a, NULL);
  g_assert_false (netring_injector_send (fresh, buffer, sizeof buffer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_assert_nonnull (strstr (error->message, "NetringInjector"));
  g_clear_error (&error);
  g_assert_null (netring_sender_reserve (NETRING_SENDER (fresh), 64, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_assert_cmpint (netring_sender_flush (NETRING_SENDER (fresh), &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_assert_false (netring_injector_wait_drained (fresh, 0, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_assert_cmpint (netring_injector_get_fd (fresh), ==, -1);
  g_assert_cmpuint (netring_sender_get_pending (NETRING_SENDER (fresh)), ==, 0);
  g_assert_cmpuint (netring_sender_get_available (NETRING_SENDER (fresh)), ==, 0);
  g_assert_cmpuint (netring_sender_get_max_length (NETRING_SENDER (fresh)), ==, 0);
  netring_sender_send_async (NETRING_SENDER (fresh), frame, NULL, readiness_sent_cb,
                             &async_error);
  while (async_error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (async_error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&async_error);

  /* after init, usable; after close, closed */
  g_assert_true (g_initable_init (G_INITABLE (fresh), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (netring_sender_get_max_length (NETRING_SENDER (fresh)), ==, 1518);
  g_assert_true (netring_sender_close (NETRING_SENDER (fresh), &error));
  g_assert_no_error (error);
  g_assert_false (netring_injector_send (fresh, buffer, sizeof buffer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  netring_injector_send_async (fresh, frame, NULL, readiness_sent_cb, &async_error);
  while (async_error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (async_error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&async_error);
  /* init again: it succeeded the first time, and the object stays closed */
  g_assert_true (g_initable_init (G_INITABLE (fresh), NULL, &error));
  g_assert_false (netring_injector_send (fresh, buffer, sizeof buffer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  /* after a failed init: its error, every time */
  failed = g_object_new (NETRING_TYPE_INJECTOR, "interface", veth->a, "frame-size", 100u, NULL);
  g_assert_false (g_initable_init (G_INITABLE (failed), NULL, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_clear_error (&error);
  g_assert_false (g_initable_init (G_INITABLE (failed), NULL, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "frame-size"));
  g_clear_error (&error);
  g_assert_false (netring_sender_send_bytes (NETRING_SENDER (failed), frame, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "frame-size"));
  g_clear_error (&error);
  /* closing one that never opened is fine, and idempotent */
  g_assert_true (netring_injector_close (failed, &error));
  g_assert_true (netring_injector_close (failed, &error));
  g_assert_no_error (error);

  /* closed before init: init opens nothing and says so */
  early = g_object_new (NETRING_TYPE_INJECTOR, "interface", veth->a, NULL);
  g_assert_true (netring_injector_close (early, &error));
  g_assert_false (g_initable_init (G_INITABLE (early), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_cmpint (netring_injector_get_fd (early), ==, -1);
}

typedef struct {
  guint sent;
  guint failed;
  GError *last_error;
  GError *drained;
} CloseState;

static void
close_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  CloseState *s = user_data;
  GError *error = NULL;

  if (netring_sender_send_finish (NETRING_SENDER (object), result, &error))
    s->sent++;
  else
    {
      s->failed++;
      g_clear_error (&s->last_error);
      s->last_error = error;
    }
}

static void
close_drained_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  CloseState *s = user_data;

  g_assert_false (netring_sender_wait_drained_finish (NETRING_SENDER (object), result,
                                                      &s->drained));
}

/* close(): frames queued and never flushed still go out, byte for byte; an
 * open reservation is counted as aborted; the injector is closed at once
 * (fd -1, G_IO_ERROR_CLOSED) and its statistics stay readable. */
static void
test_close (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) frame = NULL;
  g_autofree char *text = NULL;
  Receiver *receiver = receiver_new (veth);
  CloseState s = { 0 };
  guint8 buffer[200];
  guint8 *slot;
  guint32 i;
  gint fd;

  injector = open_injector (veth, NULL);
  receiver_expect (receiver, 0, 50, sizeof buffer);
  for (i = 0; i < 40; i++)
    send_one (injector, veth, METHOD_SEND, i, sizeof buffer, buffer);
  /* ten more through send_async: their callbacks come after the close */
  for (i = 40; i < 50; i++)
    {
      g_autoptr(GBytes) bytes = NULL;

      nr_test_frame_fill (buffer, sizeof buffer, i, veth->mac_a, veth->mac_b);
      bytes = g_bytes_new (buffer, sizeof buffer);
      netring_sender_send_async (NETRING_SENDER (injector), bytes, NULL, close_sent_cb, &s);
    }
  slot = netring_injector_reserve (injector, 64, &error);
  g_assert_no_error (error);
  nr_test_frame_fill (slot, 64, 0xdead, veth->mac_a, veth->mac_b);
  fd = netring_injector_get_fd (injector);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpuint (netring_injector_get_pending (injector), ==, 50);

  g_assert_true (netring_injector_close (injector, &error));
  g_assert_no_error (error);
  g_assert_cmpint (netring_injector_get_fd (injector), ==, -1);
  g_assert_cmpint (fcntl (fd, F_GETFD), ==, -1); /* the socket is closed */
  g_assert_cmpuint (netring_injector_get_pending (injector), ==, 0);
  netring_injector_abort (injector); /* close gave the slot back: nothing to do */

  /* the calls whose frames were in the ring report success */
  while (s.sent + s.failed < 10)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (s.sent, ==, 10);

  /* everything queued arrives, the aborted frame does not */
  receiver_finish (receiver);
  stats = netring_injector_get_stats (injector);
  text = netring_injector_stats_to_string (stats);
  g_test_message ("after close: %s", text);
  g_assert_cmpuint (stats->frames_queued, ==, 50);
  g_assert_cmpuint (stats->frames_sent, ==, 50);
  g_assert_cmpuint (stats->bytes_sent, ==, 50 * sizeof buffer);
  g_assert_cmpuint (stats->frames_aborted, ==, 1);
  g_assert_cmpuint (stats->frames_discarded, ==, 0);
  g_assert_nonnull (strstr (text, "sent 50"));

  /* closed for good; closing again does nothing */
  g_assert_cmpint (netring_injector_flush (injector, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_false (netring_sender_wait_drained (NETRING_SENDER (injector), 0, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_true (netring_sender_close (NETRING_SENDER (injector), &error));
  g_assert_no_error (error);
  frame = g_bytes_new (buffer, sizeof buffer);
  g_assert_false (netring_sender_send_bytes (NETRING_SENDER (injector), frame, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

/* close() with more queued than the kernel takes at once: frames of 1514
 * bytes cost more send buffer than the ring sizes per frame, and a token
 * bucket keeps them charged to it, so the kernel takes the ring in parts
 * (EAGAIN). close() waits for the kernel (POLLOUT) between the parts: every
 * frame goes out, byte for byte, none is discarded. */
static void
test_close_partial (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  Receiver *receiver = receiver_new (veth);
  guint8 buffer[1514];
  guint32 i, count;

  injector = open_injector (veth, "interface", veth->a, "frame-count", 64u, NULL);
  count = netring_injector_get_frame_count (injector);
  /* 64 × 1514 bytes at 20 Mbit/s: about 39 ms, well inside close's 200 */
  nr_test_tc ("qdisc", "add", "dev", veth->a, "root", "tbf", "rate", "20mbit", "burst", "4kb",
              "limit", "1000000", NULL);
  receiver_expect (receiver, 0, count, sizeof buffer);
  for (i = 0; i < count; i++)
    send_one (injector, veth, METHOD_SEND, i, sizeof buffer, buffer);
  g_assert_cmpuint (netring_injector_get_pending (injector), ==, count);

  g_assert_true (netring_injector_close (injector, &error));
  g_assert_no_error (error);

  receiver_finish (receiver);
  stats = netring_injector_get_stats (injector);
  text = netring_injector_stats_to_string (stats);
  g_test_message ("after close: %s", text);
  /* Taken in parts: the send buffer (64 × 2 × 512 bytes) holds fewer than
   * half of the frames in flight, and the bucket passes 4 KiB at once and
   * 2.5 MB/s after that, so a single kick would need the bucket to pass
   * 30-odd frames (over 20 ms) during one system call. A kick that took
   * part of the ring returns success, not EAGAIN: it is the kick count that
   * shows the parts. */
  g_assert_cmpuint (stats->kicks, >=, 2);
  g_assert_cmpuint (stats->frames_discarded, ==, 0);
  g_assert_cmpuint (stats->frames_queued, ==, count);
}

/* close() while calls wait: a send_async() waiting for room fails with
 * G_IO_ERROR_CLOSED and its frame never appears; a wait_drained_async()
 * fails too; frames the kernel holds (here in a token bucket) still go out
 * after the close, in order. */
static void
test_close_waiting (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) doomed = NULL;
  Receiver *receiver = receiver_new (veth);
  CloseState s = { 0 };
  guint8 buffer[64];
  guint32 seq = 0;

  injector = open_injector (veth, "interface", veth->a, "frame-count", 8u, NULL);
  throttle_link (veth);
  seq = fill_held_ring (injector, veth, receiver, 0);
  g_assert_cmpuint (netring_injector_get_available (injector), ==, 0);

  nr_test_frame_fill (buffer, sizeof buffer, 0xdead, veth->mac_a, veth->mac_b);
  doomed = g_bytes_new (buffer, sizeof buffer);
  netring_sender_send_async (NETRING_SENDER (injector), doomed, NULL, close_sent_cb, &s);
  netring_sender_wait_drained_async (NETRING_SENDER (injector), -1, NULL, close_drained_cb, &s);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (s.sent + s.failed, ==, 0);
  g_assert_null (s.drained);

  g_assert_true (netring_injector_close (injector, &error));
  g_assert_no_error (error);
  while (s.failed == 0 || s.drained == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (s.sent, ==, 0);
  g_assert_error (s.last_error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_error (s.drained, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&s.last_error);
  g_clear_error (&s.drained);

  stats = netring_injector_get_stats (injector);
  g_assert_cmpuint (stats->frames_queued, ==, seq);
  g_assert_cmpuint (stats->frames_discarded, ==, 0);
  /* the frames the kernel holds are its own, and leave after the close:
   * counted as sent then, the last moment they can be */
  g_assert_cmpuint (stats->frames_sent, ==, seq);

  /* what the kernel holds goes out, then the nudge; never the doomed one */
  unthrottle_link (veth, seq, sizeof buffer);
  receiver_finish (receiver);
}

typedef struct {
  NetringInjector *other;
  GAsyncResult *kept;
  gboolean done;
} OwnerState;

static void
owner_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  OwnerState *s = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_async_result_is_tagged (result, netring_injector_send_async));
  g_assert_true (g_async_result_is_tagged (result, netring_sender_send_async));
  g_assert_false (g_async_result_is_tagged (result, netring_injector_flush_async));

  /* a result of this injector, finished on another one: refused */
  g_test_expect_message ("Netring", G_LOG_LEVEL_CRITICAL, "*r->queue == q*");
  g_assert_false (netring_injector_send_finish (s->other, result, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  g_assert_true (netring_sender_send_finish (NETRING_SENDER (object), result, &error));
  g_assert_no_error (error);
  s->kept = g_object_ref (result); /* kept beyond the callback */
  s->done = TRUE;
}

static void
owner_flushed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* finish functions check the tag and that the result is this injector's,
 * also for the pooled results of send_async(); a result kept beyond its
 * callback keeps its injector, like a GTask. */
static void
test_result_ownership (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NetringInjector *injector;
  g_autoptr(NetringInjector) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) frame = NULL;
  g_autoptr(GObject) source = NULL;
  GAsyncResult *flushed = NULL;
  GWeakRef weak;
  OwnerState s = { 0 };
  guint8 buffer[64];

  injector = open_injector (veth, NULL);
  other = open_injector (veth, NULL);
  s.other = other;
  nr_test_frame_fill (buffer, sizeof buffer, 0, veth->mac_a, veth->mac_b);
  frame = g_bytes_new (buffer, sizeof buffer);
  netring_injector_send_async (injector, frame, NULL, owner_sent_cb, &s);
  g_weak_ref_init (&weak, injector);
  g_object_unref (injector); /* the pending call keeps it */
  while (!s.done)
    g_main_context_iteration (NULL, TRUE);

  /* the kept result still has its source object */
  source = g_async_result_get_source_object (s.kept);
  g_assert_nonnull (source);
  injector = NETRING_INJECTOR (source);
  g_assert_true (netring_injector_send_finish (injector, s.kept, &error));
  g_assert_no_error (error);

  /* a flush result is not a send result, and not another injector's */
  netring_injector_flush_async (injector, NULL, owner_flushed_cb, &flushed);
  while (flushed == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_test_expect_message ("Netring", G_LOG_LEVEL_CRITICAL, "*NETRING_IS_SEND_RESULT*");
  g_assert_false (netring_sender_send_finish (NETRING_SENDER (injector), flushed, &error));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Netring", G_LOG_LEVEL_CRITICAL, "*task_is_valid*");
  g_assert_cmpint (netring_injector_flush_finish (other, flushed, &error), ==, -1);
  g_test_assert_expected_messages ();
  g_assert_cmpint (netring_sender_flush_finish (NETRING_SENDER (injector), flushed, &error), ==,
                   1);
  g_assert_no_error (error);
  g_object_unref (flushed);

  /* dropping the kept result lets the injector go */
  g_clear_object (&source);
  g_clear_object (&s.kept);
  g_assert_null (g_weak_ref_get (&weak));
  g_weak_ref_clear (&weak);
}

/* The kernel's rule, refused at send time: a frame of MTU + 14 + 1 bytes
 * is refused with an error naming its length and the MTU (send, reserve,
 * commit); one of MTU + 14 goes out byte for byte. A raised MTU is read
 * again before refusing. */
static void
test_mtu (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringInjectorStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *buffer = g_malloc (2000);
  Receiver *receiver = receiver_new (veth);
  NetringSender *sender;
  guint8 *slot;

  injector = open_injector (veth, NULL); /* capacity 2000, veth MTU 1500 */
  sender = NETRING_SENDER (injector);
  g_assert_cmpuint (netring_sender_get_max_length (sender), ==, 1500 + 14 + 4);

  nr_test_frame_fill (buffer, 1515, 0xbad, veth->mac_a, veth->mac_b);
  g_assert_false (netring_sender_send (sender, buffer, 1515, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "1515"));
  g_assert_nonnull (strstr (error->message, "1500"));
  g_assert_nonnull (strstr (error->message, veth->a));
  g_clear_error (&error);

  /* reserve does not know the tag yet: up to 1518; commit does */
  g_assert_null (netring_sender_reserve (sender, 1519, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  slot = netring_sender_reserve (sender, 1518, &error);
  g_assert_no_error (error);
  nr_test_frame_fill (slot, 1515, 0xbad, veth->mac_a, veth->mac_b);
  g_assert_false (netring_sender_commit (sender, 1515, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* MTU + 14 goes out, byte for byte; the refusals left no hole */
  receiver_expect (receiver, 0, 1, 1514);
  send_one (injector, veth, METHOD_RESERVE, 0, 1514, buffer);
  receiver_expect (receiver, 1, 1, 1514);
  send_one (injector, veth, METHOD_SEND, 1, 1514, buffer);

  /* a raised MTU is honoured without a new injector */
  nr_test_ip ("link", "set", veth->b, "mtu", "1600", NULL);
  nr_test_ip ("link", "set", veth->a, "mtu", "1600", NULL);
  receiver_expect (receiver, 2, 1, 1614);
  send_one (injector, veth, METHOD_SEND, 2, 1614, buffer);
  g_assert_cmpuint (netring_sender_get_max_length (sender), ==, 1600 + 14 + 4);
  g_assert_false (netring_sender_send (sender, buffer, 1615, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "1600"));
  g_clear_error (&error);

  g_assert_true (netring_sender_wait_drained (sender, 5000, NULL, &error));
  g_assert_no_error (error);
  receiver_finish (receiver);

  stats = netring_injector_get_stats (injector);
  g_assert_cmpuint (stats->frames_refused, ==, 4);
  g_assert_cmpuint (stats->frames_rejected, ==, 0);
  g_assert_cmpuint (stats->frames_sent, ==, 3);
  g_assert_cmpuint (stats->bytes_sent, ==, 1514 + 1514 + 1614);
  g_clear_pointer (&stats, netring_injector_stats_free);

  /* An 802.1Q-tagged frame may be 4 bytes longer, as the kernel allows:
   * it is sent, not refused, not rejected. (Not compared byte for byte:
   * the receiving veth moves the tag out of the frame.) */
  memset (buffer, 0, 1618);
  memcpy (buffer, veth->mac_b, 6);
  memcpy (buffer + 6, veth->mac_a, 6);
  buffer[12] = 0x81;
  buffer[13] = 0x00;
  buffer[16] = 0x88;
  buffer[17] = 0xb5;
  g_assert_true (netring_sender_send (sender, buffer, 1618, &error));
  g_assert_no_error (error);
  g_assert_true (netring_sender_wait_drained (sender, 5000, NULL, &error));
  g_assert_no_error (error);
  stats = netring_injector_get_stats (injector);
  g_assert_cmpuint (stats->frames_sent, ==, 4);
  g_assert_cmpuint (stats->frames_rejected, ==, 0);
}

/* frame-count 0 is refused, as the documentation says ("at least 1"). */
static void
test_frame_count_zero (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  NetringInjector *injector;

  injector = g_initable_new (NETRING_TYPE_INJECTOR, NULL, &error, "interface", veth->a,
                             "frame-count", 0u, NULL);
  g_assert_null (injector);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "frame-count"));
  g_assert_nonnull (strstr (error->message, "at least one"));
}

/* Writes a cgroup control file in place (g_file_set_contents() would
 * replace it with a new file, which cgroupfs refuses). */
static gboolean
write_control (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  FILE *file = fopen (path, "w");
  gboolean ok;

  if (file == NULL)
    return FALSE;
  ok = fputs (text, file) >= 0;
  return fclose (file) == 0 && ok;
}

/* Moves this process into a new memory cgroup limited to @limit bytes;
 * returns the directory of the cgroup it came from, or NULL (with a
 * message) when cgroups cannot be written here. */
static gchar *
enter_memory_cgroup (guint64 limit, gchar **created)
{
  g_autofree char *self = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *limit_text = g_strdup_printf ("%" G_GUINT64_FORMAT, limit);
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  const char *limit_file = NULL;

  if (!g_file_get_contents ("/proc/self/cgroup", &self, NULL, NULL))
    return NULL;
  lines = g_strsplit (self, "\n", -1);
  for (guint i = 0; lines[i] != NULL && parent == NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], ":", 3);

      if (g_strv_length (f) != 3)
        continue;
      if (strstr (f[1], "memory") != NULL)
        {
          parent = g_build_filename ("/sys/fs/cgroup/memory", f[2], NULL);
          limit_file = "memory.limit_in_bytes";
        }
    }
  if (parent == NULL)
    for (guint i = 0; lines[i] != NULL && parent == NULL; i++)
      if (g_str_has_prefix (lines[i], "0::"))
        {
          parent = g_build_filename ("/sys/fs/cgroup", lines[i] + 3, NULL);
          limit_file = "memory.max";
        }
  if (parent == NULL)
    return NULL;

  *created = g_strdup_printf ("%s/nrtest-injector-%s", parent, pid);
  if (g_mkdir (*created, 0755) != 0)
    {
      g_test_message ("cannot create a cgroup in %s: %s", parent, g_strerror (errno));
      g_clear_pointer (created, g_free);
      return NULL;
    }
  if (!write_control (*created, limit_file, limit_text) ||
      !write_control (*created, "cgroup.procs", pid))
    {
      g_test_message ("cannot limit %s or move into it: %s", *created, g_strerror (errno));
      g_rmdir (*created);
      g_clear_pointer (created, g_free);
      return NULL;
    }
  return g_steal_pointer (&parent);
}

static void
leave_memory_cgroup (gchar *parent, gchar *created)
{
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());

  g_assert_true (write_control (parent, "cgroup.procs", pid));
  g_assert_cmpint (g_rmdir (created), ==, 0);
  g_free (parent);
  g_free (created);
}

/* The ring memory rule (the capture's, see test-validation.c): a ring
 * larger than what the process's memory cgroup allows is refused with
 * NETRING_ERROR_NO_MEMORY, both sizes and the properties named. */
static void
test_ring_memory (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringInjector) small = NULL;
  NetringInjector *big;
  gchar *created = NULL;
  gchar *parent = enter_memory_cgroup (32u << 20, &created);

  if (parent == NULL)
    {
      g_test_skip ("no writable memory cgroup here");
      return;
    }

  /* 512 frames of 128 KiB: a 64 MiB ring */
  big = g_initable_new (NETRING_TYPE_INJECTOR, NULL, &error, "interface", veth->a,
                        "frame-size", 128u << 10, "frame-count", 512u, NULL);
  small = g_initable_new (NETRING_TYPE_INJECTOR, NULL, NULL, "interface", veth->a, NULL);
  leave_memory_cgroup (parent, created);

  g_assert_null (big);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_MEMORY);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "64.0"));
  g_assert_nonnull (strstr (error->message, "MiB"));
  g_assert_nonnull (strstr (error->message, "cgroup"));
  g_assert_nonnull (strstr (error->message, "frame-count"));
  g_assert_nonnull (strstr (error->message, "frame-size"));
  g_assert_nonnull (small); /* the default 512 KiB ring fits */
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
  g_test_add_func ("/injector/send-many-async", test_send_many_async);
  g_test_add_func ("/injector/send-async-two-contexts", test_send_async_two_contexts);
  g_test_add_func ("/injector/dispose-flushes", test_dispose_flushes);
  g_test_add_func ("/injector/readiness", test_readiness);
  g_test_add_func ("/injector/close", test_close);
  g_test_add_func ("/injector/close-waiting", test_close_waiting);
  g_test_add_func ("/injector/close-partial", test_close_partial);
  g_test_add_func ("/injector/result-ownership", test_result_ownership);
  g_test_add_func ("/injector/mtu", test_mtu);
  g_test_add_func ("/injector/frame-count-zero", test_frame_count_zero);
  g_test_add_func ("/injector/ring-memory", test_ring_memory);
  g_test_add_func ("/injector/no-receive-queue", test_no_receive_queue);
  g_test_add_func ("/injector/qdisc-bypass", test_qdisc_bypass);
  g_test_add_func ("/injector/dispose-with-reservation", test_dispose_with_reservation);
  g_test_add_func ("/injector/dispose-with-pending-sends", test_dispose_with_pending_sends);
  g_test_add_func ("/injector/run-dispose-with-pending-sends",
                   test_run_dispose_with_pending_sends);
  g_test_add_func ("/injector/use-before-init", test_use_before_init);
  return g_test_run ();
}
