/* test-faults.c: what every object does when the world goes wrong under
 * it (issue 14, "Faults"), on veth pairs in a private network namespace:
 *
 * - the interface is deleted, or taken down and up again, while a capture,
 *   an XDP socket, an injector and a bridge wait (in a main loop and in a
 *   blocking call): each ends in a NETRING_ERROR naming the interface, or
 *   recovers as docs/troubleshooting.md says, and never spins: the process
 *   CPU time over the wait stays a small part of the wall time;
 * - cancellation at every wait, before and while waiting: exactly one
 *   G_IO_ERROR_CANCELLED (a bridge run ends with TRUE, as documented);
 * - SIGINT and SIGUSR1 storms (handlers without SA_RESTART) during every
 *   blocking and main-loop wait: nothing lost, no spurious error;
 * - a memory cgroup too small for the requested ring: the capture shrinks
 *   its ring and says what it got, or fails naming both sizes;
 * - a second process binding the same XDP queue: a clear NETRING_ERROR_BUSY
 *   naming the interface and the queue;
 * - a stalled consumer (ring full): received + dropped = sent;
 * - the one-object-one-thread rule, checked in debug builds: overlapping use
 *   from two threads is a critical, handing an object over is fine.
 *
 * Every wait is for an event (a callback, a parked thread, a witness
 * socket) with a hang guard; sleeps only pace. */
#define _GNU_SOURCE
#include "config.h"

#include <netring/netring.h>

#include "nr-test-net.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HANG_GUARD_MS 20000
#define FRAME_LENGTH 64

/* ---- CPU time over a wait ------------------------------------------------ */

typedef struct {
  gint64 wall_us;
  gint64 cpu_us;
} CpuMark;

static gint64
process_cpu_us (void)
{
  struct timespec ts;

  g_assert_cmpint (clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts), ==, 0);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
cpu_mark (CpuMark *mark)
{
  mark->wall_us = g_get_monotonic_time ();
  mark->cpu_us = process_cpu_us ();
}

/* The process used less than a fifth of the wall time since @mark (plus
 * 20 ms for the work around the wait itself): a wait that spins uses all
 * of it. A generous bound, not a timing race. */
static void
cpu_assert_idle (const CpuMark *mark, const char *what)
{
  gint64 wall = g_get_monotonic_time () - mark->wall_us;
  gint64 cpu = process_cpu_us () - mark->cpu_us;

  g_test_message ("%s: %.1f ms of CPU in %.1f ms", what, cpu / 1000.0, wall / 1000.0);
  g_assert_cmpint (cpu, <=, wall / 5 + 20 * 1000);
}

/* ---- frames -------------------------------------------------------------- */

/* Test frames expected in order from @next on, byte for byte. */
typedef struct {
  const guint8 *src;
  const guint8 *dst;
  guint32 next;
} Tally;

static void
tally_batch (Tally *t, NetringBatch *batch)
{
  NetringBatchIter iter;
  NetringPacketInfo info;

  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    {
      if (!nr_test_frame_check (info.data, info.captured_length, t->next, t->src, t->dst))
        g_error ("frame %u expected, got a %u-byte frame numbered %u", t->next,
                 info.captured_length,
                 info.captured_length >= 20 ? nr_test_frame_seq (info.data) : 0);
      t->next++;
    }
}

/* Receives frames with the blocking call until frame @until (excluded). */
static void
receive_until (NetringReceiver *receiver, Tally *t, guint32 until)
{
  while (t->next < until)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (receiver, HANG_GUARD_MS,
                                                                         NULL, &error);
      g_assert_no_error (error);
      tally_batch (t, batch);
    }
  g_assert_cmpuint (t->next, ==, until);
}

/* Receives with the blocking call until frame @until (excluded) has come,
 * skipping test frames numbered outside [@t->next, @until) (sent before a
 * fault, and delivered after it). */
static void
receive_until_seq (NetringReceiver *receiver, Tally *t, guint32 until)
{
  while (t->next < until)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (receiver, HANG_GUARD_MS,
                                                                         NULL, &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      g_assert_no_error (error);
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          guint32 seq = info.captured_length >= 20 ? nr_test_frame_seq (info.data) : 0;

          if (seq < t->next || seq >= until)
            continue; /* sent before the fault, delivered after it */
          g_assert_true (nr_test_frame_check (info.data, info.captured_length, t->next,
                                              t->src, t->dst));
          t->next++;
        }
    }
  g_assert_cmpuint (t->next, ==, until);
}

/* ---- receivers ----------------------------------------------------------- */

typedef enum {
  KIND_CAPTURE,
  KIND_XDP,
} ReceiverKind;

static const char *kind_names[] = { "capture", "xdp-socket" };

static NetringReceiver *
receiver_open (ReceiverKind kind, const char *ifname)
{
  g_autoptr(GError) error = NULL;
  gpointer receiver;

  if (kind == KIND_CAPTURE)
    receiver = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", ifname,
                               "block-size", 1u << 16, "block-count", 64u, "block-timeout-ms", 10,
                               NULL);
  else
    receiver = g_initable_new (NETRING_TYPE_XDP_SOCKET, NULL, &error, "interface", ifname,
                               "queue-id", 0u, "frame-size", 2048u, "frame-count", 512u, NULL);
  g_assert_no_error (error);
  return receiver;
}

/* A thread that does something to the interface once the main thread is
 * parked in its wait. */
typedef struct {
  int tid;
  const char *ifname;
  gboolean remove;
  GThread *thread;
  gint64 done_at;
} Fault;

static void
fault_apply_to (const char *ifname, gboolean remove)
{
  if (remove)
    nr_test_ip ("link", "del", ifname, NULL);
  else
    nr_test_ip ("link", "set", ifname, "down", NULL);
}

static void
fault_apply (const NrTestVeth *veth, gboolean remove)
{
  fault_apply_to (veth->b, remove);
}

static gpointer
fault_thread (gpointer data)
{
  Fault *f = data;

  nr_test_thread_wait_parked (f->tid);
  fault_apply_to (f->ifname, f->remove);
  f->done_at = g_get_monotonic_time ();
  return NULL;
}

static void
fault_start_on (Fault *f, const char *ifname, gboolean remove)
{
  f->tid = nr_test_gettid ();
  f->ifname = ifname;
  f->remove = remove;
  f->done_at = 0;
  f->thread = g_thread_new ("fault", fault_thread, f);
}

static void
fault_start (Fault *f, const NrTestVeth *veth, gboolean remove)
{
  fault_start_on (f, veth->b, remove);
}

typedef struct {
  ReceiverKind kind;
  gboolean remove;   /* else down, then up */
  gboolean loop;     /* else the blocking call */
} ReceiverFault;

typedef struct {
  GMainLoop *loop;
  Tally *tally;
  guint32 until;
  GError *error;
  guint errors;
} LoopState;

static void
on_batch (NetringReceiver *receiver, NetringBatch *batch, gpointer data)
{
  LoopState *st = data;

  tally_batch (st->tally, batch);
  if (st->tally->next >= st->until)
    g_main_loop_quit (st->loop);
}

static void
on_error (NetringReceiver *receiver, GError *error, gpointer data)
{
  LoopState *st = data;

  st->errors++;
  g_clear_error (&st->error);
  st->error = g_error_copy (error);
  g_main_loop_quit (st->loop);
}

static gboolean
hang_guard_cb (gpointer data)
{
  g_error ("hang guard: %s", (const char *) data);
  return G_SOURCE_REMOVE;
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static GSource *
hang_guard (GMainContext *context, const char *what)
{
  GSource *source = g_timeout_source_new (HANG_GUARD_MS);

  g_source_set_callback (source, hang_guard_cb, (gpointer) what, NULL);
  g_source_attach (source, context);
  return source;
}

/* The kernel's answer to a receiver whose interface went down: AF_PACKET
 * reports ENETDOWN on the socket; an AF_XDP socket stays bound to a device
 * that is down and receives again when it is up (the kernel unbinds it
 * only when the device goes away). */
static gboolean
down_is_error (ReceiverKind kind)
{
  return kind == KIND_CAPTURE;
}

static void
assert_interface_error (const GError *error, const char *ifname)
{
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN);
  g_test_message ("%s", error->message);
  if (strstr (error->message, ifname) == NULL)
    g_error ("“%s” is not in the message: %s", ifname, error->message);
}

static void
test_receiver_fault (gconstpointer data)
{
  const ReceiverFault *p = data;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringReceiver) receiver = receiver_open (p->kind, veth->b);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *ifname = g_strdup (veth->b);
  Tally tally = { veth->mac_a, veth->mac_b, 0 };
  CpuMark mark;
  Fault fault;

  g_main_context_push_thread_default (context);

  /* it works first */
  nr_test_send_frames (veth, 0, 5, FRAME_LENGTH);
  receive_until (receiver, &tally, 5);

  if (p->loop)
    {
      g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
      g_autoptr(GSource) guard = hang_guard (context, "no error after the fault");
      LoopState st = { loop, &tally, G_MAXUINT32, NULL, 0 };
      gulong batch_id = g_signal_connect (receiver, "batch", G_CALLBACK (on_batch), &st);
      gulong error_id = g_signal_connect (receiver, "error", G_CALLBACK (on_error), &st);

      g_assert_true (netring_receiver_start (receiver, &error));
      g_assert_no_error (error);
      cpu_mark (&mark);
      if (p->remove || down_is_error (p->kind))
        {
          fault_start (&fault, veth, p->remove);
          g_main_loop_run (loop);
          g_thread_join (fault.thread);
          cpu_assert_idle (&mark, "main loop until the error");
          g_assert_cmpuint (st.errors, ==, 1);
          assert_interface_error (st.error, ifname);
          g_assert_false (netring_receiver_is_running (receiver));
          g_clear_error (&st.error);
          st.errors = 0;
        }
      else
        {
          /* no error to wait for: the loop idles for a while (pacing) */
          g_autoptr(GSource) pause = g_timeout_source_new (1500);

          fault_apply (veth, FALSE);
          g_source_set_callback (pause, quit_cb, loop, NULL);
          g_source_attach (pause, context);
          g_main_loop_run (loop);
          g_source_destroy (pause);
          cpu_assert_idle (&mark, "main loop with the interface down");
          g_assert_cmpuint (st.errors, ==, 0);
          g_assert_true (netring_receiver_is_running (receiver));
        }

      if (!p->remove)
        {
          /* up again: started again (when the error stopped it), it receives
           * every frame sent after that */
          nr_test_ip ("link", "set", veth->b, "up", NULL);
          nr_test_veth_wait_running (veth);
          if (!netring_receiver_is_running (receiver))
            {
              g_assert_true (netring_receiver_start (receiver, &error));
              g_assert_no_error (error);
            }
          st.until = 105;
          tally.next = 100;
          nr_test_send_frames (veth, 100, 5, FRAME_LENGTH);
          g_main_loop_run (loop);
          g_assert_cmpuint (tally.next, ==, 105);
          g_assert_cmpuint (st.errors, ==, 0);
        }
      netring_receiver_stop (receiver);
      g_signal_handler_disconnect (receiver, batch_id);
      g_signal_handler_disconnect (receiver, error_id);
      g_source_destroy (guard);
    }
  else
    {
      g_autoptr(NetringBatch) batch = NULL;

      cpu_mark (&mark);
      if (p->remove || down_is_error (p->kind))
        {
          fault_start (&fault, veth, p->remove);
          batch = netring_receiver_next_batch_timeout (receiver, HANG_GUARD_MS, NULL, &error);
          g_thread_join (fault.thread);
          cpu_assert_idle (&mark, "blocking wait until the error");
          g_assert_null (batch);
          assert_interface_error (error, ifname);
          g_test_message ("the error came %.0f ms after the fault",
                          (g_get_monotonic_time () - fault.done_at) / 1000.0);
          g_clear_error (&error);
        }
      else
        {
          fault_apply (veth, FALSE);
          batch = netring_receiver_next_batch_timeout (receiver, 1500, NULL, &error);
          cpu_assert_idle (&mark, "blocking wait with the interface down");
          g_assert_null (batch);
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
          g_clear_error (&error);
        }

      if (p->remove)
        {
          /* the socket of a removed interface says so again, or waits quietly */
          cpu_mark (&mark);
          batch = netring_receiver_next_batch_timeout (receiver, 300, NULL, &error);
          cpu_assert_idle (&mark, "a second wait after the removal");
          g_assert_null (batch);
          g_assert_nonnull (error);
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            assert_interface_error (error, ifname);
        }
      else
        {
          nr_test_ip ("link", "set", veth->b, "up", NULL);
          nr_test_veth_wait_running (veth);
          tally.next = 100;
          nr_test_send_frames (veth, 100, 5, FRAME_LENGTH);
          receive_until (receiver, &tally, 105);
        }
    }

  g_main_context_pop_thread_default (context);
}

/* ---- injector ------------------------------------------------------------- */

/* Token bucket on veth->a that lets a burst through and then holds every
 * frame (8 bit/s) in a queue long enough to drop nothing: a frame held
 * there keeps its TX ring slot, so the ring stays full. */
static void
throttle_link (const NrTestVeth *veth)
{
  nr_test_tc ("qdisc", "add", "dev", veth->a, "root", "tbf", "rate", "8bit", "burst", "2000",
              "limit", "1000000", NULL);
}

static NetringInjector *
injector_open (const NrTestVeth *veth)
{
  g_autoptr(GError) error = NULL;
  NetringInjector *injector = g_initable_new (NETRING_TYPE_INJECTOR, NULL, &error, "interface",
                                              veth->a, "frame-count", 16u, NULL);

  g_assert_no_error (error);
  return injector;
}

/* Packets the root qdisc of @ifname holds ("backlog …b …p"). */
static guint
qdisc_backlog (const char *ifname)
{
  g_autofree char *cmd = g_strdup_printf ("tc -s qdisc show dev %s", ifname);
  g_autofree char *out = NULL;
  const char *backlog;
  guint packets = 0;

  g_assert_true (g_spawn_command_line_sync (cmd, &out, NULL, NULL, NULL));
  backlog = strstr (out, "backlog ");
  g_assert_nonnull (backlog);
  /* the bytes may be written "1472b" or "2Kb" */
  g_assert_cmpint (sscanf (backlog, "backlog %*s %up", &packets), ==, 1);
  return packets;
}

/* Sends until the ring is full of frames the token bucket holds (behind
 * throttle_link()): then no slot can come back until the bucket opens.
 * The slots of the burst it lets through come back once the peer has
 * taken those frames, so "full" is not enough: every slot must be in the
 * qdisc's backlog. Returns the number of the next frame. */
static guint32
fill_ring (NetringSender *sender, const NrTestVeth *veth, guint32 seq)
{
  guint frame_count = netring_injector_get_frame_count (NETRING_INJECTOR (sender));
  gint64 start = g_get_monotonic_time ();
  guint8 frame[FRAME_LENGTH];

  for (;;)
    {
      g_autoptr(GError) error = NULL;

      nr_test_frame_fill (frame, sizeof frame, seq, veth->mac_a, veth->mac_b);
      if (netring_sender_send (sender, frame, sizeof frame, &error))
        {
          seq++;
          continue;
        }
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_clear_error (&error);
      g_assert_cmpint (netring_sender_flush (sender, &error), >=, 0);
      g_assert_no_error (error);
      if (qdisc_backlog (veth->a) == frame_count)
        return seq;
      g_assert_cmpint (g_get_monotonic_time () - start, <, HANG_GUARD_MS * 1000);
      g_usleep (10 * 1000); /* pacing while the burst's slots come back */
    }
}

typedef struct {
  guint calls;
  gboolean ok;
  GError *error;
  GMainLoop *loop;
} AsyncResult;

static void
async_result_clear (AsyncResult *r)
{
  g_clear_error (&r->error);
}

static void
send_done_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  AsyncResult *r = data;

  r->calls++;
  r->ok = netring_sender_send_finish (NETRING_SENDER (object), result, &r->error);
  if (r->loop != NULL)
    g_main_loop_quit (r->loop);
}

/* Every frame the injector took is accounted for: sent, rejected by the
 * kernel, or discarded at close. */
static void
assert_injector_accounted (NetringInjector *injector)
{
  g_autoptr(NetringInjectorStats) stats = netring_injector_get_stats (injector);
  g_autofree char *text = netring_injector_stats_to_string (stats);

  g_test_message ("%s", text);
  g_assert_cmpuint (stats->frames_queued, ==,
                    stats->frames_sent + stats->frames_rejected + stats->frames_discarded +
                      netring_injector_get_pending (injector));
}

typedef struct {
  gboolean remove;
  gboolean loop;
} InjectorFault;

static void
test_injector_fault (gconstpointer data)
{
  const InjectorFault *p = data;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = injector_open (veth);
  g_autoptr(NetringReceiver) capture = receiver_open (KIND_CAPTURE, veth->b);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *ifname = g_strdup (veth->a);
  NetringSender *sender = NETRING_SENDER (injector);
  CpuMark mark;
  Fault fault;

  g_main_context_push_thread_default (context);
  throttle_link (veth);
  fill_ring (sender, veth, 0);

  cpu_mark (&mark);
  if (p->loop)
    {
      /* a send_async() waits for room in the main loop; the interface goes */
      g_autoptr(GSource) guard = hang_guard (context, "send_async after the fault");
      g_autoptr(GBytes) frame = NULL;
      guint8 buffer[FRAME_LENGTH];
      AsyncResult waiting = { 0, FALSE, NULL, loop };

      nr_test_frame_fill (buffer, sizeof buffer, 0xdead, veth->mac_a, veth->mac_b);
      frame = g_bytes_new (buffer, sizeof buffer);
      netring_sender_send_async (sender, frame, NULL, send_done_cb, &waiting);
      fault_start_on (&fault, veth->a, p->remove);
      g_main_loop_run (loop);
      g_thread_join (fault.thread);
      cpu_assert_idle (&mark, "send_async until it completed");
      g_assert_cmpuint (waiting.calls, ==, 1);
      if (waiting.ok)
        g_test_message ("send_async completed: the frame was queued");
      else
        assert_interface_error (waiting.error, ifname);
      async_result_clear (&waiting);
      g_source_destroy (guard);
    }
  else
    {
      /* wait_drained() waits for the held frames; the interface goes */
      gboolean ok;

      fault_start_on (&fault, veth->a, p->remove);
      ok = netring_sender_wait_drained (sender, HANG_GUARD_MS, NULL, &error);
      g_thread_join (fault.thread);
      cpu_assert_idle (&mark, "wait_drained until it returned");
      if (ok)
        g_test_message ("wait_drained succeeded: the kernel gave every slot back");
      else
        assert_interface_error (error, ifname);
      g_clear_error (&error);
    }
  assert_injector_accounted (injector);

  if (!p->remove)
    {
      /* up again: what is sent now arrives, in order, byte for byte */
      Tally tally = { veth->mac_a, veth->mac_b, 1000 };
      guint32 seq;

      nr_test_tc ("qdisc", "del", "dev", veth->a, "root", NULL);
      nr_test_ip ("link", "set", veth->a, "up", NULL);
      nr_test_veth_wait_running (veth);
      /* whatever was still in the ring went out (or was rejected) first */
      g_assert_true (netring_sender_wait_drained (sender, HANG_GUARD_MS, NULL, &error));
      g_assert_no_error (error);
      {
        /* the capture drops everything before now */
        g_autoptr(NetringBatch) batch = NULL;
        while ((batch = netring_receiver_next_batch (capture, &error)) != NULL)
          g_clear_pointer (&batch, netring_batch_unref);
        g_assert_no_error (error);
      }
      for (seq = 1000; seq < 1010; seq++)
        {
          guint8 buffer[FRAME_LENGTH];

          nr_test_frame_fill (buffer, sizeof buffer, seq, veth->mac_a, veth->mac_b);
          g_assert_true (netring_sender_send (sender, buffer, sizeof buffer, &error));
          g_assert_no_error (error);
        }
      g_assert_true (netring_sender_wait_drained (sender, HANG_GUARD_MS, NULL, &error));
      g_assert_no_error (error);
      receive_until_seq (capture, &tally, 1010);
      assert_injector_accounted (injector);
    }
  g_assert_true (netring_sender_close (sender, &error));
  g_assert_no_error (error);
  assert_injector_accounted (injector);
  g_main_context_pop_thread_default (context);
}

/* ---- bridge --------------------------------------------------------------- */

/* A capture on @ifname in namespace @ns. */
static NetringReceiver *
receiver_open_in (int ns, const char *ifname)
{
  int home = nr_test_netns_current ();
  NetringReceiver *receiver;

  nr_test_netns_enter (ns);
  receiver = receiver_open (KIND_CAPTURE, ifname);
  nr_test_netns_enter (home);
  close (home);
  return receiver;
}

typedef struct {
  const NrTestBridgeNet *net;
  guint32 first;
  guint count;
} Burst;

static gpointer
burst_thread (gpointer data)
{
  Burst *b = data;
  guint8 frame[FRAME_LENGTH];
  guint i;

  struct sockaddr_ll addr = { 0 };
  int fd;

  nr_test_netns_enter (b->net->ns_a);
  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  addr.sll_family = AF_PACKET;
  addr.sll_ifindex = b->net->ifindex_host_a;
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  for (i = 0; i < b->count; i++)
    {
      nr_test_frame_fill (frame, sizeof frame, b->first + i, b->net->mac_host_a,
                          b->net->mac_host_b);
      nr_test_sender_send (fd, frame, sizeof frame);
    }
  close (fd);
  return NULL;
}

/* Sends @count frames from host_a and runs the main loop until @capture on
 * host_b has them all, through the started bridge. */
static void
bridge_forwards (const NrTestBridgeNet *net, NetringReceiver *capture, GMainContext *context,
                 guint32 first, guint count)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr(GSource) guard = hang_guard (context, "frames through the bridge");
  g_autoptr(GError) error = NULL;
  Tally tally = { net->mac_host_a, net->mac_host_b, first };
  LoopState st = { loop, &tally, first + count, NULL, 0 };
  Burst burst = { net, first, count };
  gulong batch_id = g_signal_connect (capture, "batch", G_CALLBACK (on_batch), &st);
  GThread *sender;

  g_assert_true (netring_receiver_start (capture, &error));
  g_assert_no_error (error);
  sender = g_thread_new ("burst", burst_thread, &burst);
  g_main_loop_run (loop);
  g_thread_join (sender);
  g_assert_cmpuint (tally.next, ==, first + count);
  netring_receiver_stop (capture);
  g_signal_handler_disconnect (capture, batch_id);
  g_source_destroy (guard);
}

typedef struct {
  gboolean remove;
  gboolean loop;
} BridgeFault;

typedef struct {
  GMainLoop *loop;
  GError *error;
  guint errors;
} BridgeErrorState;

static void
on_bridge_error (NetringBridge *bridge, GError *error, gpointer data)
{
  BridgeErrorState *st = data;

  st->errors++;
  g_clear_error (&st->error);
  st->error = g_error_copy (error);
  g_main_loop_quit (st->loop);
}

static void
test_bridge_fault (gconstpointer data)
{
  const BridgeFault *p = data;
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringReceiver) capture = receiver_open_in (net->ns_b, net->host_b);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ifname = g_strdup (net->port_b);
  CpuMark mark;
  Fault fault;

  g_main_context_push_thread_default (context);
  bridge = netring_bridge_new (net->port_a, net->port_b, &error);
  g_assert_no_error (error);

  /* it forwards first */
  g_assert_true (netring_bridge_start (bridge, &error));
  g_assert_no_error (error);
  bridge_forwards (net, capture, context, 0, 10);

  cpu_mark (&mark);
  if (p->loop)
    {
      g_autoptr(GSource) guard = hang_guard (context, "no ::error after the fault");
      BridgeErrorState st = { loop, NULL, 0 };
      gulong id = g_signal_connect (bridge, "error", G_CALLBACK (on_bridge_error), &st);

      fault_start_on (&fault, net->port_b, p->remove);
      g_main_loop_run (loop);
      g_thread_join (fault.thread);
      cpu_assert_idle (&mark, "main loop until ::error");
      g_assert_cmpuint (st.errors, ==, 1);
      assert_interface_error (st.error, ifname);
      g_assert_false (netring_bridge_is_running (bridge));
      g_clear_error (&st.error);
      g_signal_handler_disconnect (bridge, id);
      g_source_destroy (guard);
    }
  else
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();

      netring_bridge_stop (bridge);
      fault_start_on (&fault, net->port_b, p->remove);
      g_assert_false (netring_bridge_run (bridge, cancellable, &error));
      g_thread_join (fault.thread);
      cpu_assert_idle (&mark, "run() until it failed");
      assert_interface_error (error, ifname);
      g_clear_error (&error);
    }

  if (!p->remove)
    {
      /* up again: started again, it forwards again */
      nr_test_ip ("link", "set", net->port_b, "up", NULL);
      nr_test_link_wait_running (net->port_b);
      g_assert_true (netring_bridge_start (bridge, &error));
      g_assert_no_error (error);
      bridge_forwards (net, capture, context, 100, 10);
      netring_bridge_stop (bridge);
    }
  g_main_context_pop_thread_default (context);
}

/* ---- cancellation at every wait ------------------------------------------ */

typedef enum {
  WAIT_NEXT_BATCH_ASYNC,
  WAIT_RECEIVE_ASYNC,
  WAIT_XDP_NEXT_BATCH_ASYNC,
  WAIT_XDP_RECEIVE_ASYNC,
  WAIT_SEND_ASYNC,
  WAIT_FLUSH_ASYNC,
  WAIT_DRAINED_ASYNC,
  WAIT_BRIDGE_RUN_ASYNC,
  WAIT_REPLAY_RUN_ASYNC,
  WAIT_NEXT_BATCH_TIMEOUT,
  WAIT_DRAINED,
  WAIT_BRIDGE_RUN,
  N_WAITS
} WaitKind;

static const char *wait_names[] = {
  "next-batch-async", "receive-async", "xdp-next-batch-async", "xdp-receive-async",
  "send-async", "flush-async", "wait-drained-async", "bridge-run-async", "replay-run-async",
  "next-batch-timeout", "wait-drained", "bridge-run",
};

typedef struct {
  WaitKind kind;
  gboolean before; /* cancelled before the call, else while it waits */
} CancelCase;

typedef struct {
  guint calls;
  gboolean ok;
  GError *error;
  WaitKind kind;
} CancelResult;

static void
cancel_done_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  CancelResult *r = data;
  GError **error = &r->error;

  r->calls++;
  g_assert_null (r->error);
  switch (r->kind)
    {
    case WAIT_NEXT_BATCH_ASYNC:
    case WAIT_XDP_NEXT_BATCH_ASYNC:
      {
        g_autoptr(NetringBatch) batch = netring_receiver_next_batch_finish (NETRING_RECEIVER (object),
                                                                            result, error);
        r->ok = batch != NULL;
      }
      break;
    case WAIT_RECEIVE_ASYNC:
    case WAIT_XDP_RECEIVE_ASYNC:
      {
        g_autoptr(GPtrArray) packets = netring_receiver_receive_finish (NETRING_RECEIVER (object),
                                                                        result, error);
        r->ok = packets != NULL;
      }
      break;
    case WAIT_SEND_ASYNC:
      r->ok = netring_sender_send_finish (NETRING_SENDER (object), result, error);
      break;
    case WAIT_FLUSH_ASYNC:
      r->ok = netring_sender_flush_finish (NETRING_SENDER (object), result, error) >= 0;
      break;
    case WAIT_DRAINED_ASYNC:
      r->ok = netring_sender_wait_drained_finish (NETRING_SENDER (object), result, error);
      break;
    case WAIT_BRIDGE_RUN_ASYNC:
      r->ok = netring_bridge_run_finish (NETRING_BRIDGE (object), result, error);
      break;
    case WAIT_REPLAY_RUN_ASYNC:
      r->ok = netring_pcap_replay_run_finish (NETRING_PCAP_REPLAY (object), result, error);
      break;
    default:
      g_assert_not_reached ();
    }
}

typedef struct {
  int tid;
  GCancellable *cancellable;
} Canceller;

static gpointer
canceller_thread (gpointer data)
{
  Canceller *c = data;

  nr_test_thread_wait_parked (c->tid);
  g_cancellable_cancel (c->cancellable);
  return NULL;
}

/* A pcap file of two frames 30 s apart, for a replay that waits. */
static char *
write_slow_pcap (const NrTestVeth *veth)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) file = g_byte_array_new ();
  const guint32 header[] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
  char *path = NULL;
  int fd;
  guint32 i;

  g_byte_array_append (file, (const guint8 *) header, sizeof header);
  for (i = 0; i < 2; i++)
    {
      guint8 frame[FRAME_LENGTH];
      const guint32 record[] = { 1000 + 30 * i, 0, sizeof frame, sizeof frame };

      nr_test_frame_fill (frame, sizeof frame, i, veth->mac_a, veth->mac_b);
      g_byte_array_append (file, (const guint8 *) record, sizeof record);
      g_byte_array_append (file, frame, sizeof frame);
    }
  fd = g_file_open_tmp ("test-faults-XXXXXX.pcap", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, (const char *) file->data, file->len, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_cancel (gconstpointer data)
{
  const CancelCase *p = data;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NrTestBridgeNet) net = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GObject) object = NULL;
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringPcapReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pcap_path = NULL;
  CancelResult r = { 0, FALSE, NULL, p->kind };
  Canceller canceller = { nr_test_gettid (), cancellable };
  GThread *thread = NULL;
  gboolean blocking = p->kind >= WAIT_NEXT_BATCH_TIMEOUT;
  gboolean ok = FALSE;
  guint8 buffer[FRAME_LENGTH];

  g_main_context_push_thread_default (context);

  /* what waits */
  switch (p->kind)
    {
    case WAIT_NEXT_BATCH_ASYNC:
    case WAIT_RECEIVE_ASYNC:
    case WAIT_NEXT_BATCH_TIMEOUT:
      object = G_OBJECT (receiver_open (KIND_CAPTURE, veth->b));
      break;
    case WAIT_XDP_NEXT_BATCH_ASYNC:
    case WAIT_XDP_RECEIVE_ASYNC:
      object = G_OBJECT (receiver_open (KIND_XDP, veth->b));
      break;
    case WAIT_SEND_ASYNC:
    case WAIT_FLUSH_ASYNC:
    case WAIT_DRAINED_ASYNC:
    case WAIT_DRAINED:
      object = G_OBJECT (injector_open (veth));
      throttle_link (veth);
      fill_ring (NETRING_SENDER (object), veth, 0);
      break;
    case WAIT_BRIDGE_RUN_ASYNC:
    case WAIT_BRIDGE_RUN:
      net = nr_test_bridge_net_new ();
      object = G_OBJECT (netring_bridge_new (net->port_a, net->port_b, &error));
      g_assert_no_error (error);
      break;
    case WAIT_REPLAY_RUN_ASYNC:
      injector = injector_open (veth);
      pcap_path = write_slow_pcap (veth);
      reader = netring_pcap_reader_new (pcap_path, &error);
      g_assert_no_error (error);
      object = G_OBJECT (netring_pcap_replay_new (reader, NETRING_SENDER (injector)));
      netring_pcap_replay_set_mode (NETRING_PCAP_REPLAY (object),
                                    NETRING_PCAP_REPLAY_MODE_RECORDED);
      break;
    default:
      g_assert_not_reached ();
    }

  if (p->before)
    g_cancellable_cancel (cancellable);
  else if (p->kind != WAIT_FLUSH_ASYNC)
    thread = g_thread_new ("canceller", canceller_thread, &canceller);

  if (blocking)
    {
      CpuMark mark;

      cpu_mark (&mark);
      switch (p->kind)
        {
        case WAIT_NEXT_BATCH_TIMEOUT:
          {
            g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (
              NETRING_RECEIVER (object), HANG_GUARD_MS, cancellable, &error);
            ok = batch != NULL;
          }
          break;
        case WAIT_DRAINED:
          ok = netring_sender_wait_drained (NETRING_SENDER (object), HANG_GUARD_MS, cancellable,
                                            &error);
          break;
        case WAIT_BRIDGE_RUN:
          ok = netring_bridge_run (NETRING_BRIDGE (object), cancellable, &error);
          break;
        default:
          g_assert_not_reached ();
        }
      cpu_assert_idle (&mark, "the wait");
      r.calls = 1;
    }
  else
    {
      g_autoptr(GSource) guard = hang_guard (context, "no callback after the cancellation");

      switch (p->kind)
        {
        case WAIT_NEXT_BATCH_ASYNC:
        case WAIT_XDP_NEXT_BATCH_ASYNC:
          netring_receiver_next_batch_async (NETRING_RECEIVER (object), cancellable,
                                             cancel_done_cb, &r);
          break;
        case WAIT_RECEIVE_ASYNC:
        case WAIT_XDP_RECEIVE_ASYNC:
          netring_receiver_receive_async (NETRING_RECEIVER (object), cancellable, cancel_done_cb,
                                          &r);
          break;
        case WAIT_SEND_ASYNC:
          {
            g_autoptr(GBytes) frame = NULL;

            nr_test_frame_fill (buffer, sizeof buffer, 0xdead, veth->mac_a, veth->mac_b);
            frame = g_bytes_new (buffer, sizeof buffer);
            netring_sender_send_async (NETRING_SENDER (object), frame, cancellable,
                                       cancel_done_cb, &r);
          }
          break;
        case WAIT_FLUSH_ASYNC:
          netring_sender_flush_async (NETRING_SENDER (object), cancellable, cancel_done_cb, &r);
          /* it does not wait for the kernel: "while" is before its result
           * is dispatched */
          g_cancellable_cancel (cancellable);
          break;
        case WAIT_DRAINED_ASYNC:
          netring_sender_wait_drained_async (NETRING_SENDER (object), HANG_GUARD_MS,
                                             cancellable, cancel_done_cb, &r);
          break;
        case WAIT_BRIDGE_RUN_ASYNC:
          netring_bridge_run_async (NETRING_BRIDGE (object), cancellable, cancel_done_cb, &r);
          break;
        case WAIT_REPLAY_RUN_ASYNC:
          netring_pcap_replay_run_async (NETRING_PCAP_REPLAY (object), cancellable,
                                         cancel_done_cb, &r);
          break;
        default:
          g_assert_not_reached ();
        }
      /* the callback never comes before the call returned */
      g_assert_cmpuint (r.calls, ==, 0);
      while (r.calls == 0)
        g_main_context_iteration (context, TRUE);
      /* and comes once: nothing else is left to run */
      while (g_main_context_iteration (context, FALSE))
        ;
      ok = r.ok;
      error = g_steal_pointer (&r.error);
      g_source_destroy (guard);
    }
  if (thread != NULL)
    g_thread_join (thread);

  g_assert_cmpuint (r.calls, ==, 1);
  if (p->kind == WAIT_BRIDGE_RUN_ASYNC || p->kind == WAIT_BRIDGE_RUN)
    {
      /* cancellation is how a run ends: it succeeds (docs/decisions.md) */
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else if (p->kind == WAIT_FLUSH_ASYNC && !p->before && ok)
    {
      /* flush_async() does not wait: it may be done before the cancellation */
      g_test_message ("flush_async completed before it was cancelled");
    }
  else
    {
      g_assert_false (ok);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }

  /* the object still works after a cancelled wait */
  switch (p->kind)
    {
    case WAIT_NEXT_BATCH_ASYNC:
    case WAIT_RECEIVE_ASYNC:
    case WAIT_NEXT_BATCH_TIMEOUT:
    case WAIT_XDP_NEXT_BATCH_ASYNC:
    case WAIT_XDP_RECEIVE_ASYNC:
      {
        Tally tally = { veth->mac_a, veth->mac_b, 0 };

        nr_test_send_frames (veth, 0, 3, FRAME_LENGTH);
        receive_until (NETRING_RECEIVER (object), &tally, 3);
      }
      break;
    case WAIT_SEND_ASYNC:
    case WAIT_FLUSH_ASYNC:
    case WAIT_DRAINED_ASYNC:
    case WAIT_DRAINED:
      g_clear_error (&error);
      g_assert_true (netring_sender_close (NETRING_SENDER (object), &error));
      g_assert_no_error (error);
      assert_injector_accounted (NETRING_INJECTOR (object));
      break;
    case WAIT_REPLAY_RUN_ASYNC:
      g_assert_cmpuint (netring_pcap_replay_get_frames_sent (NETRING_PCAP_REPLAY (object)), <=, 1);
      g_unlink (pcap_path);
      break;
    default:
      break;
    }
  g_clear_object (&object);
  g_main_context_pop_thread_default (context);
}

/* ---- signal storms --------------------------------------------------------- */

static gint sigint_count;
static gint sigusr1_count;

static void
on_signal (int sig)
{
  g_atomic_int_inc (sig == SIGINT ? &sigint_count : &sigusr1_count);
}

/* A thread that sends SIGINT and SIGUSR1 in turn to one thread every
 * 250 µs; their handlers are installed without SA_RESTART, so every one
 * interrupts the system call the thread is in. */
typedef struct {
  pthread_t target;
  gint stop;
  GThread *thread;
  struct sigaction old_int;
  struct sigaction old_usr1;
} Storm;

static gpointer
storm_thread (gpointer data)
{
  Storm *storm = data;
  guint i = 0;

  while (!g_atomic_int_get (&storm->stop))
    {
      pthread_kill (storm->target, (i++ & 1) ? SIGINT : SIGUSR1);
      g_usleep (250);
    }
  return NULL;
}

static void
storm_start (Storm *storm)
{
  struct sigaction sa = { 0 };

  sa.sa_handler = on_signal;
  sa.sa_flags = 0; /* no SA_RESTART */
  sigemptyset (&sa.sa_mask);
  g_assert_cmpint (sigaction (SIGINT, &sa, &storm->old_int), ==, 0);
  g_assert_cmpint (sigaction (SIGUSR1, &sa, &storm->old_usr1), ==, 0);
  g_atomic_int_set (&sigint_count, 0);
  g_atomic_int_set (&sigusr1_count, 0);
  storm->target = pthread_self ();
  storm->stop = 0;
  storm->thread = g_thread_new ("storm", storm_thread, storm);
}

static void
storm_stop (Storm *storm)
{
  g_atomic_int_set (&storm->stop, 1);
  g_thread_join (storm->thread);
  g_test_message ("%d SIGINT and %d SIGUSR1 delivered", g_atomic_int_get (&sigint_count),
                  g_atomic_int_get (&sigusr1_count));
  g_assert_cmpint (g_atomic_int_get (&sigint_count), >, 0);
  g_assert_cmpint (g_atomic_int_get (&sigusr1_count), >, 0);
  sigaction (SIGINT, &storm->old_int, NULL);
  sigaction (SIGUSR1, &storm->old_usr1, NULL);
}

#define STORM_FRAMES 2000u

typedef struct {
  const NrTestVeth *veth;
  guint32 first;
  guint count;
  gint *received; /* atomic, or NULL: no window */
  int parked_tid; /* starts once this thread waits, when not 0 */
} VethBurst;

static gpointer
veth_burst_thread (gpointer data)
{
  VethBurst *b = data;
  int fd = nr_test_sender_open (b->veth);
  guint8 frame[FRAME_LENGTH];
  guint i;

  if (b->parked_tid != 0)
    nr_test_thread_wait_parked (b->parked_tid);
  for (i = 0; i < b->count; i++)
    {
      /* a window ahead of the receiver, when it says where it is (pacing:
       * a small AF_XDP ring would otherwise drop most of a fast burst) */
      while (b->received != NULL && i >= (guint) g_atomic_int_get (b->received) + 128)
        g_usleep (100);
      nr_test_frame_fill (frame, sizeof frame, b->first + i, b->veth->mac_a, b->veth->mac_b);
      nr_test_sender_send (fd, frame, sizeof frame);
    }
  close (fd);
  return NULL;
}

typedef enum {
  STORM_NEXT_BATCH_TIMEOUT,
  STORM_XDP_NEXT_BATCH_TIMEOUT,
  STORM_MAIN_LOOP,
  STORM_SEND,
  STORM_BRIDGE_RUN,
  N_STORMS
} StormKind;

static const char *storm_names[] = {
  "next-batch-timeout", "xdp-next-batch-timeout", "main-loop", "send-async-wait-drained",
  "bridge-run",
};

static guint64
receiver_drops (NetringReceiver *receiver)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringReceiverStats) stats = netring_receiver_get_stats (receiver, &error);

  g_assert_no_error (error);
  return stats->drops;
}

/* Receives the burst with the blocking call under the storm: every frame
 * arrives in order, or is counted as dropped (received + dropped = sent);
 * an empty wait times out after its time, no error else. */
static void
storm_receive (ReceiverKind kind)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringReceiver) receiver = receiver_open (kind, veth->b);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBatch) batch = NULL;
  gint progress = 0;
  VethBurst burst = { veth, 0, STORM_FRAMES, &progress, 0 };
  guint64 received = 0, drops = 0;
  guint32 last = 0;
  gint64 start, elapsed;
  GThread *sender;
  Storm storm;

  storm_start (&storm);
  start = g_get_monotonic_time ();
  batch = netring_receiver_next_batch_timeout (receiver, 300, NULL, &error);
  elapsed = g_get_monotonic_time () - start;
  g_assert_null (batch);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);
  g_assert_cmpint (elapsed, >=, 299 * 1000);
  g_assert_cmpint (elapsed, <, HANG_GUARD_MS * 1000);

  sender = g_thread_new ("burst", veth_burst_thread, &burst);
  while (received + drops < STORM_FRAMES)
    {
      NetringBatchIter iter;
      NetringPacketInfo info;

      batch = netring_receiver_next_batch_timeout (receiver, 200, NULL, &error);
      if (batch == NULL)
        {
          /* nothing for a while: the burst is over, or frames were dropped */
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
          g_clear_error (&error);
          drops = receiver_drops (receiver);
          g_assert_cmpint (g_get_monotonic_time () - start, <, HANG_GUARD_MS * 1000);
          continue;
        }
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          guint32 seq = nr_test_frame_seq (info.data);

          /* in order, byte for byte; a gap only where the kernel dropped */
          g_assert_true (received == 0 || seq > last);
          g_assert_true (nr_test_frame_check (info.data, info.captured_length, seq, veth->mac_a,
                                              veth->mac_b));
          last = seq;
          received++;
        }
      g_clear_pointer (&batch, netring_batch_unref);
      drops = receiver_drops (receiver);
      g_atomic_int_set (&progress, (gint) (received + drops));
    }
  g_thread_join (sender);
  storm_stop (&storm);
  g_test_message ("received %" G_GUINT64_FORMAT ", dropped %" G_GUINT64_FORMAT, received, drops);
  g_assert_cmpuint (received + drops, ==, STORM_FRAMES);
  g_assert_cmpuint (drops, ==, 0); /* the sender stays a window ahead */
}

static void
storm_main_loop (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringReceiver) receiver = receiver_open (KIND_CAPTURE, veth->b);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSource) guard = NULL;
  Tally tally = { veth->mac_a, veth->mac_b, 0 };
  LoopState st = { loop, &tally, STORM_FRAMES, NULL, 0 };
  VethBurst burst = { veth, 0, STORM_FRAMES, NULL, nr_test_gettid () };
  GThread *sender;
  Storm storm;

  g_main_context_push_thread_default (context);
  guard = hang_guard (context, "the burst under the storm");
  g_signal_connect (receiver, "batch", G_CALLBACK (on_batch), &st);
  g_signal_connect (receiver, "error", G_CALLBACK (on_error), &st);
  g_assert_true (netring_receiver_start (receiver, &error));
  storm_start (&storm);
  sender = g_thread_new ("burst", veth_burst_thread, &burst);
  g_main_loop_run (loop);
  g_thread_join (sender);
  storm_stop (&storm);
  g_assert_cmpuint (st.errors, ==, 0);
  g_assert_cmpuint (tally.next, ==, STORM_FRAMES);
  g_assert_cmpuint (receiver_drops (receiver), ==, 0);
  netring_receiver_stop (receiver);
  g_source_destroy (guard);
  g_main_context_pop_thread_default (context);
}

typedef struct {
  guint pending;
  guint failed;
  GMainLoop *loop;
} SendCount;

static void
storm_sent_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  SendCount *c = data;
  g_autoptr(GError) error = NULL;

  if (!netring_sender_send_finish (NETRING_SENDER (object), result, &error))
    {
      g_test_message ("send_async failed: %s", error->message);
      c->failed++;
    }
  if (--c->pending == 0)
    g_main_loop_quit (c->loop);
}

/* send_async() of a burst through a 16-frame ring (the calls wait for room
 * in the main loop), then wait_drained(), under the storm: every frame
 * arrives, in order, byte for byte. */
static void
storm_send (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringInjector) injector = injector_open (veth);
  g_autoptr(NetringReceiver) capture = receiver_open (KIND_CAPTURE, veth->b);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSource) guard = NULL;
  Tally tally = { veth->mac_a, veth->mac_b, 0 };
  SendCount count = { 0, 0, loop };
  guint32 seq;
  Storm storm;

  g_main_context_push_thread_default (context);
  guard = hang_guard (context, "send_async under the storm");
  /* 2 Mbit/s: the burst takes about half a second, which the calls spend
   * waiting for room under the storm */
  nr_test_tc ("qdisc", "add", "dev", veth->a, "root", "tbf", "rate", "2mbit", "burst", "4kb",
              "limit", "1000000", NULL);
  storm_start (&storm);
  for (seq = 0; seq < STORM_FRAMES; seq++)
    {
      guint8 buffer[FRAME_LENGTH];
      g_autoptr(GBytes) frame = NULL;

      nr_test_frame_fill (buffer, sizeof buffer, seq, veth->mac_a, veth->mac_b);
      frame = g_bytes_new (buffer, sizeof buffer);
      count.pending++;
      netring_sender_send_async (NETRING_SENDER (injector), frame, NULL, storm_sent_cb, &count);
    }
  g_main_loop_run (loop);
  g_assert_cmpuint (count.failed, ==, 0);
  g_assert_true (netring_sender_wait_drained (NETRING_SENDER (injector), HANG_GUARD_MS, NULL,
                                              &error));
  g_assert_no_error (error);
  receive_until (capture, &tally, STORM_FRAMES);
  storm_stop (&storm);
  g_assert_cmpuint (receiver_drops (capture), ==, 0);
  assert_injector_accounted (injector);
  g_source_destroy (guard);
  g_main_context_pop_thread_default (context);
}

typedef struct {
  NetringReceiver *capture;
  const NrTestBridgeNet *net;
  GCancellable *cancellable;
  guint32 received;
  gboolean in_order;
  int run_tid;
} BridgeReader;

static gpointer
bridge_reader_thread (gpointer data)
{
  BridgeReader *r = data;
  Burst burst = { r->net, 0, STORM_FRAMES };
  GThread *sender;

  nr_test_thread_wait_parked (r->run_tid); /* the run idles under the storm first */
  sender = g_thread_new ("burst", burst_thread, &burst);

  r->in_order = TRUE;
  while (r->received < STORM_FRAMES)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (r->capture,
                                                                         HANG_GUARD_MS, NULL,
                                                                         &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      g_assert_no_error (error);
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          if (!nr_test_frame_check (info.data, info.captured_length, r->received,
                                    r->net->mac_host_a, r->net->mac_host_b))
            r->in_order = FALSE;
          r->received++;
        }
    }
  g_thread_join (sender);
  g_cancellable_cancel (r->cancellable);
  return NULL;
}

/* A bridge run() under the storm forwards a burst, every frame in order,
 * and ends (with TRUE) when its cancellable is cancelled. */
static void
storm_bridge_run (void)
{
  g_autoptr(NrTestBridgeNet) net = nr_test_bridge_net_new ();
  g_autoptr(NetringReceiver) capture = receiver_open_in (net->ns_b, net->host_b);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  BridgeReader reader = { capture, net, cancellable, 0, FALSE, nr_test_gettid () };
  GThread *thread;
  Storm storm;

  bridge = netring_bridge_new (net->port_a, net->port_b, &error);
  g_assert_no_error (error);
  /* a slower way out (2 Mbit/s): the run waits for room under the storm */
  nr_test_tc ("qdisc", "add", "dev", net->port_b, "root", "tbf", "rate", "2mbit", "burst", "4kb",
              "limit", "1000000", NULL);
  storm_start (&storm);
  thread = g_thread_new ("reader", bridge_reader_thread, &reader);
  g_assert_true (netring_bridge_run (bridge, cancellable, &error));
  g_assert_no_error (error);
  g_thread_join (thread);
  storm_stop (&storm);
  g_assert_cmpuint (reader.received, ==, STORM_FRAMES);
  g_assert_true (reader.in_order);
  stats = netring_bridge_get_stats (bridge, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stats->a_to_b_received, ==, STORM_FRAMES);
  g_assert_cmpuint (stats->a_to_b_forwarded, ==, STORM_FRAMES);
}

static void
test_storm (gconstpointer data)
{
  switch ((StormKind) GPOINTER_TO_INT (data))
    {
    case STORM_NEXT_BATCH_TIMEOUT:
      storm_receive (KIND_CAPTURE);
      break;
    case STORM_XDP_NEXT_BATCH_TIMEOUT:
      storm_receive (KIND_XDP);
      break;
    case STORM_MAIN_LOOP:
      storm_main_loop ();
      break;
    case STORM_SEND:
      storm_send ();
      break;
    case STORM_BRIDGE_RUN:
      storm_bridge_run ();
      break;
    default:
      g_assert_not_reached ();
    }
}

/* ---- a second process on the same XDP queue --------------------------------- */

static const char *self_exe;

/* The helper mode (argv: --xdp-bind IFNAME QUEUE), run as a child process
 * in the test's namespace: tries to open an XDP socket on the queue and
 * prints how that went. */
static int
xdp_bind_helper (const char *ifname, guint queue_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) xsk = g_initable_new (NETRING_TYPE_XDP_SOCKET, NULL, &error, "interface",
                                           ifname, "queue-id", queue_id, "frame-size", 2048u,
                                           "frame-count", 256u, NULL);

  if (xsk != NULL)
    {
      printf ("bound\n");
      return 0;
    }
  printf ("%s %d %s\n", g_quark_to_string (error->domain), error->code, error->message);
  return 0;
}

static void
test_xdp_queue_busy (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringReceiver) first = receiver_open (KIND_XDP, veth->b);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *expected = NULL;
  const char *argv[] = { self_exe, "--xdp-bind", veth->b, "0", NULL };
  Tally tally = { veth->mac_a, veth->mac_b, 0 };
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  g_strchomp (out);
  g_test_message ("the second process: %s", out);
  expected = g_strdup_printf ("%s %d ", g_quark_to_string (NETRING_ERROR), NETRING_ERROR_BUSY);
  g_assert_true (g_str_has_prefix (out, expected));
  g_assert_nonnull (strstr (out, veth->b));
  g_assert_nonnull (strstr (out, "Queue 0"));

  /* the first socket is untouched */
  nr_test_send_frames (veth, 0, 5, FRAME_LENGTH);
  receive_until (first, &tally, 5);
}

/* ---- a memory cgroup too small for the ring ---------------------------------- */

/* The memory cgroup directory of this process (v2 when the unified
 * hierarchy has the memory controller, else v1), or NULL. */
static char *
memory_cgroup_dir (gboolean *v2)
{
  g_autofree char *self = NULL;
  g_autofree char *controllers = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/self/cgroup", &self, NULL, NULL))
    return NULL;
  lines = g_strsplit (self, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *path;

      if (g_str_has_prefix (lines[i], "0::"))
        {
          path = lines[i] + 3;
          for (const char *root = "/sys/fs/cgroup"; root != NULL;
               root = g_str_equal (root, "/sys/fs/cgroup") ? "/sys/fs/cgroup/unified" : NULL)
            {
              g_autofree char *dir = g_build_filename (root, path, NULL);
              g_autofree char *file = g_build_filename (dir, "cgroup.controllers", NULL);

              g_clear_pointer (&controllers, g_free);
              if (g_file_get_contents (file, &controllers, NULL, NULL) &&
                  strstr (controllers, "memory") != NULL)
                {
                  *v2 = TRUE;
                  return g_steal_pointer (&dir);
                }
            }
        }
    }
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (colon != NULL && g_str_has_prefix (colon, ":memory:"))
        {
          *v2 = FALSE;
          return g_build_filename ("/sys/fs/cgroup/memory", colon + strlen (":memory:"), NULL);
        }
    }
  return NULL;
}

static guint64
read_u64 (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  return g_ascii_strtoull (text, NULL, 10);
}

static void
write_text (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0 || write (fd, text, strlen (text)) != (ssize_t) strlen (text))
    g_error ("cannot write “%s” to %s: %s", text, path, g_strerror (errno));
  close (fd);
}

#define CGROUP_MARGIN (48u << 20)

/* In a subprocess moved into a child cgroup whose limit leaves it 48 MiB:
 * a 256 MiB ring is refused up front with NETRING_ERROR_NO_MEMORY naming
 * both sizes; a 16 MiB ring opens and captures. */
static void
test_memory_cgroup (void)
{
  g_autofree char *parent = NULL;
  g_autofree char *child = NULL;
  gboolean v2 = FALSE;

  parent = memory_cgroup_dir (&v2);
  if (parent == NULL || !g_file_test (parent, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("no memory cgroup controller (neither v2 nor v1) for this process");
      return;
    }
  /* named after the test process, which the subprocess knows as its parent */
  child = g_strdup_printf ("%s/netring-test-faults-%d", parent,
                           (int) (g_test_subprocess () ? getppid () : getpid ()));

  if (g_test_subprocess ())
    {
      g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(GObject) big = NULL;
      g_autoptr(NetringReceiver) small = NULL;
      g_autofree char *limit = NULL;
      g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
      Tally tally = { veth->mac_a, veth->mac_b, 0 };
      guint64 used;

      write_text (child, "cgroup.procs", pid);
      used = read_u64 (child, v2 ? "memory.current" : "memory.usage_in_bytes");
      limit = g_strdup_printf ("%" G_GUINT64_FORMAT, used + CGROUP_MARGIN);
      write_text (child, v2 ? "memory.max" : "memory.limit_in_bytes", limit);

      big = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->b,
                            "block-size", 1u << 20, "block-count", 256u, NULL);
      g_assert_null (big);
      g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_MEMORY);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, "256.0\u00a0MiB"));
      g_assert_nonnull (strstr (error->message, "cgroup"));
      g_assert_nonnull (strstr (error->message, "“block-size”"));
      g_assert_nonnull (strstr (error->message, "“block-count”"));
      g_clear_error (&error);

      small = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->b,
                              "block-size", 1u << 20, "block-count", 16u, "block-timeout-ms", 10,
                              NULL);
      g_assert_no_error (error);
      g_assert_cmpuint (netring_capture_get_block_count (NETRING_CAPTURE (small)), ==, 16);
      nr_test_send_frames (veth, 0, 5, FRAME_LENGTH);
      receive_until (small, &tally, 5);
      return;
    }

  if (g_mkdir (child, 0755) != 0)
    {
      g_autofree char *why = g_strdup_printf ("cannot create the memory cgroup %s: %s", child,
                                              g_strerror (errno));
      g_test_skip (why);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT |
                                   G_TEST_SUBPROCESS_INHERIT_STDERR);
  /* the subprocess is gone, and with it the cgroup's last member */
  g_assert_cmpint (g_rmdir (child), ==, 0);
  g_test_trap_assert_passed ();
}

/* The kernel may refuse the ring for lack of memory: the capture then
 * retries with 3/4 of the blocks each time, down to a quarter, and says
 * what it got. A ring whose mapping does not fit under RLIMIT_AS is such a
 * refusal (mmap fails with ENOMEM): a 64 MiB ring with 40 MiB of address
 * space left ends up with 36 blocks of 1 MiB. */
static void
test_ring_shrink (void)
{
#if defined(__SANITIZE_ADDRESS__)
  g_test_skip ("AddressSanitizer reserves address space: RLIMIT_AS cannot be set low");
  return;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  g_test_skip ("AddressSanitizer reserves address space: RLIMIT_AS cannot be set low");
  return;
#endif
#endif
  if (g_test_subprocess ())
    {
      g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringReceiver) capture = NULL;
      g_autofree char *status = NULL;
      Tally tally = { veth->mac_a, veth->mac_b, 0 };
      struct rlimit limit;
      guint64 vm_kib = 0;
      const char *line;
      guint blocks;

      g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
      line = strstr (status, "VmSize:");
      g_assert_nonnull (line);
      vm_kib = g_ascii_strtoull (line + strlen ("VmSize:"), NULL, 10);
      limit.rlim_cur = limit.rlim_max = vm_kib * 1024 + (40u << 20);
      g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);

      g_test_expect_message ("Netring", G_LOG_LEVEL_MESSAGE, "*64 blocks (64.0?MiB)*36 blocks (36.0?MiB)*");
      capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->b,
                                "block-size", 1u << 20, "block-count", 64u, "block-timeout-ms",
                                10, NULL);
      g_assert_no_error (error);
      g_test_assert_expected_messages ();
      blocks = netring_capture_get_block_count (NETRING_CAPTURE (capture));
      g_test_message ("64 blocks asked for, %u obtained", blocks);
      g_assert_cmpuint (blocks, ==, 36);
      nr_test_send_frames (veth, 0, 5, FRAME_LENGTH);
      receive_until (capture, &tally, 5);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT |
                                   G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* ---- one object, one thread at a time ------------------------------------ */

typedef struct {
  NetringReceiver *receiver;
  NetringSender *sender;
  int tid;
  GError *error;
} Occupier;

static gpointer
occupier_thread (gpointer data)
{
  Occupier *o = data;

  g_atomic_int_set (&o->tid, nr_test_gettid ());
  if (o->receiver != NULL)
    {
      NetringBatch *batch = netring_receiver_next_batch_timeout (o->receiver, 3000, NULL,
                                                                 &o->error);
      g_assert_null (batch);
    }
  else
    netring_sender_wait_drained (o->sender, 3000, NULL, &o->error);
  return NULL;
}

static void
wait_for_tid (Occupier *o)
{
  while (g_atomic_int_get (&o->tid) == 0)
    g_usleep (1000); /* pacing: the thread's first instructions */
  nr_test_thread_wait_parked (g_atomic_int_get (&o->tid));
}

/* A receiver (a sender) used by a second thread while a first waits in it:
 * debug builds report it with a critical naming both calls. In a
 * subprocess, where the critical is fatal. */
static void
test_one_thread (gconstpointer data)
{
  gboolean sender = GPOINTER_TO_INT (data);

#if !NETRING_DEBUG_CHECKS
  g_test_skip ("built without debug-checks");
  return;
#endif
  if (g_test_subprocess ())
    {
      g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
      g_autoptr(GError) error = NULL;
      Occupier o = { NULL, NULL, 0, NULL };
      GThread *thread;

      if (sender)
        {
          guint8 frame[FRAME_LENGTH];

          o.sender = NETRING_SENDER (injector_open (veth));
          throttle_link (veth);
          fill_ring (o.sender, veth, 0);
          thread = g_thread_new ("occupier", occupier_thread, &o);
          wait_for_tid (&o);
          nr_test_frame_fill (frame, sizeof frame, 0, veth->mac_a, veth->mac_b);
          netring_sender_send (o.sender, frame, sizeof frame, &error);
        }
      else
        {
          o.receiver = receiver_open (KIND_CAPTURE, veth->b);
          thread = g_thread_new ("occupier", occupier_thread, &o);
          wait_for_tid (&o);
          netring_receiver_next_batch (o.receiver, &error);
        }
      g_thread_join (thread);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr (sender ? "*CRITICAL*NetringInjector*netring_sender_send() called in "
                                      "thread*netring_sender_wait_drained()*one thread at a time*"
                                    : "*CRITICAL*NetringCapture*netring_receiver_next_batch() "
                                      "called in thread*netring_receiver_next_batch_timeout()*"
                                      "one thread at a time*");
}

static gpointer
take_one_thread (gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (data, HANG_GUARD_MS, NULL,
                                                                     &error);

  g_assert_no_error (error);
  return NULL;
}

/* Handing an object from one thread to the next is fine: only overlapping
 * use is reported. */
static void
test_one_thread_handover (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringReceiver) receiver = receiver_open (KIND_CAPTURE, veth->b);
  Tally tally = { veth->mac_a, veth->mac_b, 0 };

  nr_test_send_frames (veth, 0, 1, FRAME_LENGTH);
  g_thread_join (g_thread_new ("worker", take_one_thread, receiver));
  tally.next = 1;
  nr_test_send_frames (veth, 1, 1, FRAME_LENGTH);
  receive_until (receiver, &tally, 2);
}

/* ---- ring full: a stalled consumer ----------------------------------------- */

#define STALL_FRAMES 5000u

/* Nobody reads while a burst far larger than the ring arrives; then
 * everything in the ring is read: the frames arrive in order, byte for
 * byte, with gaps only where the kernel dropped, and received + dropped =
 * sent, to the frame. */
static void
test_ring_full (gconstpointer data)
{
  ReceiverKind kind = GPOINTER_TO_INT (data);
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringReceiver) receiver = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(GError) error = NULL;
  guint64 received = 0;
  guint32 last = 0;
  gint64 start;

  if (kind == KIND_CAPTURE)
    receiver = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->b,
                               "block-size", 1u << 16, "block-count", 4u, "block-timeout-ms", 10,
                               NULL);
  else
    receiver = receiver_open (KIND_XDP, veth->b);
  g_assert_no_error (error);

  if (kind == KIND_CAPTURE)
    {
      /* the kernel has handled every frame once the witness has the last */
      int witness = nr_test_witness_open (veth, STALL_FRAMES - 1);

      nr_test_send_frames (veth, 0, STALL_FRAMES, FRAME_LENGTH);
      nr_test_witness_wait (witness);
    }
  else
    {
      /* AF_XDP takes frames before the stack (no witness sees them): its
       * counters say when every frame was taken or dropped */
      nr_test_send_frames (veth, 0, STALL_FRAMES, FRAME_LENGTH);
      start = g_get_monotonic_time ();
      for (;;)
        {
          g_autoptr(NetringReceiverStats) now = netring_receiver_get_stats (receiver, &error);

          g_assert_no_error (error);
          if (now->packets >= STALL_FRAMES)
            break;
          g_assert_cmpint (g_get_monotonic_time () - start, <, HANG_GUARD_MS * 1000);
          g_usleep (10 * 1000); /* pacing of the look */
        }
    }

  for (;;)
    {
      g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (receiver, 100, NULL,
                                                                         &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      if (batch == NULL)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
          g_clear_error (&error);
          break; /* every block handed over (the block timeout is 10 ms) */
        }
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          guint32 seq = nr_test_frame_seq (info.data);

          g_assert_true (received == 0 || seq > last);
          g_assert_true (nr_test_frame_check (info.data, info.captured_length, seq, veth->mac_a,
                                              veth->mac_b));
          last = seq;
          received++;
        }
    }
  stats = netring_receiver_get_stats (receiver, &error);
  g_assert_no_error (error);
  g_test_message ("sent %u, received %" G_GUINT64_FORMAT ", dropped %" G_GUINT64_FORMAT,
                  STALL_FRAMES, received, stats->drops);
  g_assert_cmpuint (stats->drops, >, 0);
  g_assert_cmpuint (stats->received, ==, received);
  g_assert_cmpuint (received + stats->drops, ==, STALL_FRAMES);
  g_assert_cmpuint (stats->packets, ==, STALL_FRAMES);
}

/* ---- an XDP socket sending ------------------------------------------------ */

/* An XDP socket on veth->b sends to veth->a; the interface goes down (the
 * socket stays bound and sends again after "up") or away (the next kick
 * and wait_drained() fail naming it, without spinning or hanging). */
static void
test_xdp_sender_fault (gconstpointer data)
{
  gboolean remove = GPOINTER_TO_INT (data);
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringReceiver) xsk = receiver_open (KIND_XDP, veth->b);
  g_autoptr(NetringReceiver) capture = receiver_open (KIND_CAPTURE, veth->a);
  g_autoptr(GError) error = NULL;
  g_autofree char *ifname = g_strdup (veth->b);
  NetringSender *sender = NETRING_SENDER (xsk);
  Tally tally = { veth->mac_b, veth->mac_a, 0 };
  guint8 frame[FRAME_LENGTH];
  gboolean ok;
  CpuMark mark;
  guint32 seq;

  /* it sends first */
  for (seq = 0; seq < 5; seq++)
    {
      nr_test_frame_fill (frame, sizeof frame, seq, veth->mac_b, veth->mac_a);
      g_assert_true (netring_sender_send (sender, frame, sizeof frame, &error));
      g_assert_no_error (error);
    }
  g_assert_true (netring_sender_wait_drained (sender, HANG_GUARD_MS, NULL, &error));
  g_assert_no_error (error);
  receive_until (capture, &tally, 5);

  fault_apply (veth, remove);
  cpu_mark (&mark);
  for (; seq < 10; seq++)
    {
      nr_test_frame_fill (frame, sizeof frame, seq, veth->mac_b, veth->mac_a);
      if (!netring_sender_send (sender, frame, sizeof frame, &error))
        break;
    }
  if (error == NULL)
    {
      ok = netring_sender_wait_drained (sender, remove ? HANG_GUARD_MS : 1000, NULL, &error);
      g_test_message ("wait_drained: %s", ok ? "drained" : error->message);
    }
  cpu_assert_idle (&mark, "sending after the fault");
  /* down or removed: the kick fails, naming the interface; the frames stay
   * queued in the ring */
  assert_interface_error (error, ifname);
  g_clear_error (&error);

  if (!remove)
    {
      /* up again: what is sent now arrives, in order */
      nr_test_ip ("link", "set", veth->b, "up", NULL);
      nr_test_veth_wait_running (veth);
      g_assert_true (netring_sender_wait_drained (sender, HANG_GUARD_MS, NULL, &error));
      g_assert_no_error (error);
      tally.next = 100;
      for (seq = 100; seq < 105; seq++)
        {
          nr_test_frame_fill (frame, sizeof frame, seq, veth->mac_b, veth->mac_a);
          g_assert_true (netring_sender_send (sender, frame, sizeof frame, &error));
          g_assert_no_error (error);
        }
      g_assert_true (netring_sender_wait_drained (sender, HANG_GUARD_MS, NULL, &error));
      g_assert_no_error (error);
      receive_until_seq (capture, &tally, 105);
    }
  g_assert_true (netring_sender_close (sender, &error));
  g_assert_no_error (error);
  {
    g_autoptr(NetringXdpStats) stats = netring_xdp_socket_get_stats (NETRING_XDP_SOCKET (xsk),
                                                                     &error);
    g_autofree char *text = NULL;

    g_assert_no_error (error);
    text = netring_xdp_stats_to_string (stats);
    g_test_message ("after close: %s", text);
    /* every frame queued is accounted for */
    g_assert_cmpuint (stats->queued, ==, stats->sent + stats->rejected + stats->discarded);
  }
}

/* ---- main ------------------------------------------------------------------ */

int
main (int argc, char **argv)
{
  static ReceiverFault receiver_faults[2][2][2];
  ReceiverKind kind;

  self_exe = argv[0];
  if (argc == 4 && g_str_equal (argv[1], "--xdp-bind"))
    return xdp_bind_helper (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10));

  nr_test_net_enter_or_skip ("test-faults");
  g_test_init (&argc, &argv, NULL);

  for (kind = KIND_CAPTURE; kind <= KIND_XDP; kind++)
    for (int remove = 0; remove < 2; remove++)
      for (int loop = 0; loop < 2; loop++)
        {
          ReceiverFault *p = &receiver_faults[kind][remove][loop];
          g_autofree char *path = NULL;

          p->kind = kind;
          p->remove = remove;
          p->loop = loop;
          path = g_strdup_printf ("/faults/%s/%s/%s", kind_names[kind],
                                  remove ? "removed" : "down-up", loop ? "main-loop" : "blocking");
          g_test_add_data_func (path, p, test_receiver_fault);
        }
  for (int remove = 0; remove < 2; remove++)
    for (int loop = 0; loop < 2; loop++)
      {
        static InjectorFault injector_faults[2][2];
        InjectorFault *p = &injector_faults[remove][loop];
        g_autofree char *path = NULL;

        p->remove = remove;
        p->loop = loop;
        path = g_strdup_printf ("/faults/injector/%s/%s", remove ? "removed" : "down-up",
                                loop ? "main-loop" : "blocking");
        g_test_add_data_func (path, p, test_injector_fault);
      }
  for (int remove = 0; remove < 2; remove++)
    for (int loop = 0; loop < 2; loop++)
      {
        static BridgeFault bridge_faults[2][2];
        BridgeFault *p = &bridge_faults[remove][loop];
        g_autofree char *path = NULL;

        p->remove = remove;
        p->loop = loop;
        path = g_strdup_printf ("/faults/bridge/%s/%s", remove ? "removed" : "down-up",
                                loop ? "main-loop" : "blocking");
        g_test_add_data_func (path, p, test_bridge_fault);
      }
  for (WaitKind wait = 0; wait < N_WAITS; wait++)
    for (int before = 0; before < 2; before++)
      {
        static CancelCase cancel_cases[N_WAITS][2];
        CancelCase *p = &cancel_cases[wait][before];
        g_autofree char *path = NULL;

        p->kind = wait;
        p->before = before;
        path = g_strdup_printf ("/faults/cancel/%s/%s", wait_names[wait],
                                before ? "before" : "while-waiting");
        g_test_add_data_func (path, p, test_cancel);
      }
  for (StormKind storm = 0; storm < N_STORMS; storm++)
    {
      g_autofree char *path = g_strdup_printf ("/faults/signal-storm/%s", storm_names[storm]);

      g_test_add_data_func (path, GINT_TO_POINTER (storm), test_storm);
    }
  g_test_add_data_func ("/faults/ring-full/capture", GINT_TO_POINTER (KIND_CAPTURE),
                        test_ring_full);
  g_test_add_data_func ("/faults/ring-full/xdp-socket", GINT_TO_POINTER (KIND_XDP),
                        test_ring_full);
  g_test_add_data_func ("/faults/xdp-socket-sender/down-up", GINT_TO_POINTER (FALSE),
                        test_xdp_sender_fault);
  g_test_add_data_func ("/faults/xdp-socket-sender/removed", GINT_TO_POINTER (TRUE),
                        test_xdp_sender_fault);
  g_test_add_func ("/faults/xdp-queue-busy", test_xdp_queue_busy);
  g_test_add_func ("/faults/memory-cgroup", test_memory_cgroup);
  g_test_add_func ("/faults/ring-shrink", test_ring_shrink);
  g_test_add_data_func ("/faults/one-thread/receiver", GINT_TO_POINTER (FALSE), test_one_thread);
  g_test_add_data_func ("/faults/one-thread/sender", GINT_TO_POINTER (TRUE), test_one_thread);
  g_test_add_func ("/faults/one-thread/handover", test_one_thread_handover);
  return g_test_run ();
}
