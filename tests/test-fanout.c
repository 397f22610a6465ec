/* test-fanout.c: PACKET_FANOUT groups and NetringFanoutGroup on real IPv4/UDP
 * traffic through a veth pair in a private network namespace: every frame
 * is received exactly once across the members, byte for byte. */
#include "config.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <unistd.h>

#include <netring/netring.h>

#include "nr-test-net.h"

#define N_FLOWS 64

/* Frame @seq belongs to flow seq % N_FLOWS; flows differ in addresses and
 * ports, so the kernel's flow hash differs. */
static gsize
flow_frame (const NrTestVeth *veth, guint32 seq, guint8 *frame)
{
  guint flow = seq % N_FLOWS;
  gsize length = 64 + (seq % 5) * 50;

  nr_test_udp_frame_fill (frame, length, seq, 0x0a000000u | (1 + flow % 8) << 8 | (1 + flow / 8),
                          0x0a010001u + flow % 3, 10000 + flow * 7, 20000 + flow % 5, veth->mac_a,
                          veth->mac_b);
  return length;
}

static void
send_flows (const NrTestVeth *veth, guint32 first, guint count)
{
  int fd = nr_test_sender_open (veth);
  guint8 frame[512];
  guint i;

  for (i = 0; i < count; i++)
    {
      gsize length = flow_frame (veth, first + i, frame);
      nr_test_sender_send (fd, frame, length);
    }
  close (fd);
}

static gboolean
frame_ok (const NrTestVeth *veth, const NetringPacketInfo *info, guint32 *seq)
{
  guint8 frame[512];
  gsize length;

  if (info->captured_length < 46 || info->protocol != 0x0800)
    return FALSE;
  *seq = nr_test_udp_frame_seq (info->data);
  length = flow_frame (veth, *seq, frame);
  return info->captured_length == length && info->wire_length == length &&
         memcmp (info->data, frame, length) == 0;
}

static NetringFanoutGroup *
open_group (const NrTestVeth *veth, guint n, NetringFanoutMode mode, const char *filter,
            NetringBpfProgram *program)
{
  g_autoptr(GError) error = NULL;
  NetringFanoutGroup *group;

  group = g_initable_new (NETRING_TYPE_FANOUT_GROUP, NULL, &error, "interface", veth->b,
                          "n-members", n, "fanout-mode", mode, "block-size", 1u << 20,
                          "block-count", 16u, "block-timeout-ms", 10, "filter", filter,
                          "fanout-program", program, NULL);
  g_assert_no_error (error);
  return group;
}

/* ---- worker-thread delivery ------------------------------------------------ */

typedef struct {
  const NrTestVeth *veth;
  GArray *seqs[8];     /* per member, touched only by its worker */
  guint bad[8];
  GThread *threads[8]; /* the thread each member's callback ran in */
  GThread *owner;      /* the thread that started the group */
  int tids[8];         /* the kernel thread id of each member's worker */
  gint total;          /* atomic */
  gint destroyed;
} Collect;

static void
collect_cb (NetringFanoutGroup *group, guint member, NetringBatch *batch, gpointer user_data)
{
  Collect *c = user_data;
  NetringBatchIter iter;
  NetringPacketInfo info;
  guint n = 0;

  g_assert_cmpuint (member, <, 8);
  if (c->threads[member] == NULL)
    {
      c->threads[member] = g_thread_self ();
      c->tids[member] = nr_test_gettid ();
    }
  else
    g_assert_true (c->threads[member] == g_thread_self ());
  g_assert_true (g_thread_self () != c->owner); /* a worker, not the owner */
  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    {
      guint32 seq = 0;

      if (!frame_ok (c->veth, &info, &seq))
        c->bad[member]++;
      g_array_append_val (c->seqs[member], seq);
      n++;
    }
  g_atomic_int_add (&c->total, (gint) n);
}

static void
collect_destroy (gpointer data)
{
  Collect *c = data;
  g_atomic_int_inc (&c->destroyed);
}

/* Waits (polling, paced by 1 ms; 20 s at most) until the members received
 * @count frames in all. Whether anything beyond arrives is checked after
 * stop, which joins the workers: by exact counts, not by waiting a while. */
static void
wait_total (Collect *c, guint count)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while ((guint) g_atomic_int_get (&c->total) < count && g_get_monotonic_time () < deadline)
    g_usleep (1000);
}

static void
collect_init (Collect *c, const NrTestVeth *veth)
{
  guint i;

  memset (c, 0, sizeof *c);
  c->veth = veth;
  c->owner = g_thread_self ();
  for (i = 0; i < 8; i++)
    c->seqs[i] = g_array_new (FALSE, FALSE, sizeof (guint32));
}

static void
collect_clear (Collect *c)
{
  guint i;

  for (i = 0; i < 8; i++)
    g_array_unref (c->seqs[i]);
}

/* Every frame exactly once across the members; returns per-member counts. */
static void
assert_exactly_once (Collect *c, guint n_members, guint count, guint *per_member,
                     gint8 *member_of_seq)
{
  guint m, i;

  memset (member_of_seq, -1, count);
  for (m = 0; m < n_members; m++)
    {
      g_assert_cmpuint (c->bad[m], ==, 0);
      per_member[m] = c->seqs[m]->len;
      for (i = 0; i < c->seqs[m]->len; i++)
        {
          guint32 seq = g_array_index (c->seqs[m], guint32, i);

          g_assert_cmpuint (seq, <, count);
          if (member_of_seq[seq] != -1)
            g_error ("frame %u received by members %d and %u", seq, member_of_seq[seq], m);
          member_of_seq[seq] = (gint8) m;
          /* each member sees its frames in sending order */
          if (i > 0)
            g_assert_cmpuint (seq, >, g_array_index (c->seqs[m], guint32, i - 1));
        }
    }
  for (i = 0; i < count; i++)
    if (member_of_seq[i] == -1)
      g_error ("frame %u was not received", i);
}

static void
assert_stats_sum (NetringFanoutGroup *group, guint n_members, guint count)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringReceiverStats) total = netring_fanout_group_get_stats (group, &error);
  NetringReceiverStats sum = { 0 };
  guint m;

  g_assert_no_error (error);
  for (m = 0; m < n_members; m++)
    {
      g_autoptr(NetringReceiverStats) s = netring_fanout_group_get_member_stats (group, m, &error);

      g_assert_no_error (error);
      sum.packets += s->packets;
      sum.drops += s->drops;
      sum.received += s->received;
      sum.batches += s->batches;
      sum.freezes += s->freezes;
      sum.lost_blocks += s->lost_blocks;
    }
  g_assert_cmpuint (total->packets, ==, sum.packets);
  g_assert_cmpuint (total->drops, ==, sum.drops);
  g_assert_cmpuint (total->received, ==, sum.received);
  g_assert_cmpuint (total->batches, ==, sum.batches);
  g_assert_cmpuint (total->freezes, ==, sum.freezes);
  g_assert_cmpuint (total->lost_blocks, ==, sum.lost_blocks);
  g_assert_cmpuint (total->received, ==, count);
  g_assert_cmpuint (total->packets, ==, count);
  g_assert_cmpuint (total->drops, ==, 0);
}

static void
test_hash (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringFanoutGroup) group = open_group (veth, 2, NETRING_FANOUT_MODE_HASH, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree gint8 *member_of = g_new (gint8, 10000);
  gint flow_member[N_FLOWS];
  guint per_member[2], flows_per_member[2] = { 0 };
  Collect c;
  guint i;

  collect_init (&c, veth);
  g_assert_cmpuint (netring_fanout_group_get_n_members (group), ==, 2);
  g_assert_cmpint (netring_fanout_group_get_fanout_group (group), >=, 0);
  g_assert_cmpint (netring_capture_get_fanout_group (netring_fanout_group_get_member (group, 0)),
                   ==, netring_fanout_group_get_fanout_group (group));
  g_assert_cmpint (netring_capture_get_fanout_group (netring_fanout_group_get_member (group, 1)),
                   ==, netring_fanout_group_get_fanout_group (group));

  g_assert_true (netring_fanout_group_start (group, collect_cb, &c, collect_destroy, &error));
  g_assert_no_error (error);
  g_assert_true (netring_fanout_group_is_running (group));
  send_flows (veth, 0, 10000);
  wait_total (&c, 10000);
  /* statistics while running: read in the workers */
  assert_stats_sum (group, 2, 10000);
  netring_fanout_group_stop (group);
  g_assert_false (netring_fanout_group_is_running (group));
  g_assert_cmpint (c.destroyed, ==, 1);
  g_assert_true (c.threads[0] != c.threads[1]);
  g_assert_true (c.threads[0] != g_thread_self ());

  assert_exactly_once (&c, 2, 10000, per_member, member_of);
  for (i = 0; i < N_FLOWS; i++)
    flow_member[i] = -1;
  for (i = 0; i < 10000; i++)
    {
      guint flow = i % N_FLOWS;

      if (flow_member[flow] == -1)
        {
          flow_member[flow] = member_of[i];
          flows_per_member[member_of[i]]++;
        }
      else if (flow_member[flow] != member_of[i])
        g_error ("flow %u went to member %d and to member %d", flow, flow_member[flow],
                 member_of[i]);
    }
  g_test_message ("hash: member 0 %u frames / %u flows, member 1 %u frames / %u flows",
                  per_member[0], flows_per_member[0], per_member[1], flows_per_member[1]);
  /* 64 flows over 2 members: both get some */
  g_assert_cmpuint (flows_per_member[0], >, 0);
  g_assert_cmpuint (flows_per_member[1], >, 0);
  assert_stats_sum (group, 2, 10000);
  collect_clear (&c);
}

static void
test_lb (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringFanoutGroup) group = open_group (veth, 2, NETRING_FANOUT_MODE_LB, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree gint8 *member_of = g_new (gint8, 10000);
  guint per_member[2];
  Collect c;

  collect_init (&c, veth);
  g_assert_true (netring_fanout_group_start (group, collect_cb, &c, NULL, &error));
  g_assert_no_error (error);
  send_flows (veth, 0, 10000);
  wait_total (&c, 10000);
  netring_fanout_group_stop (group);

  assert_exactly_once (&c, 2, 10000, per_member, member_of);
  g_test_message ("lb: member 0 %u, member 1 %u", per_member[0], per_member[1]);
  /* even within 10 % */
  g_assert_cmpuint (per_member[0], >=, 4500);
  g_assert_cmpuint (per_member[0], <=, 5500);
  g_assert_cmpuint (per_member[1], >=, 4500);
  g_assert_cmpuint (per_member[1], <=, 5500);
  assert_stats_sum (group, 2, 10000);

  /* it starts again */
  collect_clear (&c);
  collect_init (&c, veth);
  g_assert_true (netring_fanout_group_start (group, collect_cb, &c, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (netring_fanout_group_start (group, collect_cb, &c, NULL, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_BUSY);
  g_clear_error (&error);
  send_flows (veth, 0, 1000);
  wait_total (&c, 1000);
  netring_fanout_group_stop (group);
  assert_exactly_once (&c, 2, 1000, per_member, member_of);
  collect_clear (&c);
}

static void
ignore_cb (NetringFanoutGroup *group, guint member, NetringBatch *batch, gpointer user_data)
{
}

static void
count_destroy (gpointer data)
{
  g_atomic_int_inc ((gint *) data);
}

/* Stop right after start, before the workers have even reached their main
 * loops: stop must not wait for ever for a worker that missed the request
 * (a quit before g_main_loop_run() is lost), and the group still captures
 * every frame afterwards. */
static void
test_start_stop_at_once (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringFanoutGroup) group = open_group (veth, 4, NETRING_FANOUT_MODE_HASH, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree gint8 *member_of = g_new (gint8, 1000);
  guint per_member[4], i;
  Collect c;

  /* a hang is the failure: end it instead of waiting for meson's timeout */
  alarm (60);
  for (i = 0; i < 100; i++)
    {
      gint destroyed = 0;

      if (i % 2 == 0)
        g_assert_true (netring_fanout_group_start (group, ignore_cb, &destroyed, count_destroy,
                                                   &error));
      else
        g_assert_true (netring_fanout_group_start_owned (group, &error));
      g_assert_no_error (error);
      netring_fanout_group_stop (group);
      g_assert_false (netring_fanout_group_is_running (group));
      if (i % 2 == 0)
        g_assert_cmpint (destroyed, ==, 1);
    }
  alarm (0);

  collect_init (&c, veth);
  g_assert_true (netring_fanout_group_start (group, collect_cb, &c, NULL, &error));
  g_assert_no_error (error);
  send_flows (veth, 0, 1000);
  wait_total (&c, 1000);
  netring_fanout_group_stop (group);
  assert_exactly_once (&c, 4, 1000, per_member, member_of);
  collect_clear (&c);
}

/* Members fail (the interface goes down) while the owner reads their
 * statistics: a request that reaches a worker as it leaves must still be
 * answered, not wait for ever. Afterwards the group restarts and captures
 * every frame. */
static gpointer
link_down_thread (gpointer data)
{
  g_usleep (g_random_int_range (0, 3000));
  nr_test_ip ("link", "set", (const char *) data, "down", NULL);
  return NULL;
}

static void
count_errors_cb (NetringFanoutGroup *group, guint member, GError *error, gpointer data)
{
  guint *errors = data;

  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INTERFACE_DOWN);
  (*errors)++;
}

static void
test_stats_while_members_fail (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringFanoutGroup) group = open_group (veth, 4, NETRING_FANOUT_MODE_HASH, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autofree gint8 *member_of = g_new (gint8, 1000);
  guint per_member[4], errors = 0, trial, requests = 0;
  Collect c;

  g_main_context_push_thread_default (context);
  g_signal_connect (group, "error", G_CALLBACK (count_errors_cb), &errors);
  /* a hang is the failure: end it instead of waiting for meson's timeout */
  alarm (120);
  for (trial = 0; trial < 30; trial++)
    {
      gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
      GThread *thread;
      guint m;

      errors = 0;
      g_assert_true (netring_fanout_group_start (group, ignore_cb, NULL, NULL, &error));
      g_assert_no_error (error);
      thread = g_thread_new ("link-down", link_down_thread, veth->b);
      while (errors < 4)
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          for (m = 0; m < 4; m++)
            {
              g_autoptr(NetringReceiverStats) stats =
                netring_fanout_group_get_member_stats (group, m, &error);

              g_assert_no_error (error);
              g_assert_nonnull (stats);
              requests++;
            }
          g_main_context_iteration (context, FALSE);
        }
      g_thread_join (thread);
      netring_fanout_group_stop (group);
      g_assert_cmpuint (errors, ==, 4);
      nr_test_ip ("link", "set", veth->b, "up", NULL);
      nr_test_veth_wait_running (veth);
    }
  alarm (0);
  g_test_message ("%u statistics requests", requests);

  collect_init (&c, veth);
  g_assert_true (netring_fanout_group_start (group, collect_cb, &c, NULL, &error));
  g_assert_no_error (error);
  send_flows (veth, 0, 1000);
  wait_total (&c, 1000);
  netring_fanout_group_stop (group);
  assert_exactly_once (&c, 4, 1000, per_member, member_of);
  collect_clear (&c);
  g_main_context_pop_thread_default (context);
}

/* Waits (polling, paced by 1 ms; 20 s at most) until thread @tid of this
 * process has ended. */
static void
wait_thread_gone (int tid, const char *what)
{
  g_autofree char *path = g_strdup_printf ("/proc/self/task/%d", tid);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: thread %d still there after 20 s", what, tid);
      g_usleep (1000);
    }
}

/* A member fails in callback mode, where the owner's context need not run:
 * stop reports the failures, once, and the group does not outlive the
 * last reference (a pending report used to keep it, with its captures). */
static void
test_error_reported_by_stop (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  NetringFanoutGroup *group = open_group (veth, 2, NETRING_FANOUT_MODE_HASH, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree gint8 *member_of = g_new (gint8, 1000);
  guint per_member[2], errors = 0;
  Collect c;

  g_object_add_weak_pointer (G_OBJECT (group), (gpointer *) &group);
  g_signal_connect (group, "error", G_CALLBACK (count_errors_cb), &errors);
  collect_init (&c, veth);
  g_assert_true (netring_fanout_group_start (group, collect_cb, &c, NULL, &error));
  g_assert_no_error (error);
  send_flows (veth, 0, 1000);
  wait_total (&c, 1000);
  nr_test_ip ("link", "set", veth->b, "down", NULL);
  /* A worker queues its member's failure for the owner, then leaves: once
   * both workers' threads are gone, both failures are waiting. */
  g_assert_cmpint (c.tids[0], !=, 0);
  g_assert_cmpint (c.tids[1], !=, 0);
  wait_thread_gone (c.tids[0], "the worker of member 0 after the interface went down");
  wait_thread_gone (c.tids[1], "the worker of member 1 after the interface went down");
  g_assert_cmpuint (errors, ==, 0);
  netring_fanout_group_stop (group);
  g_assert_cmpuint (errors, ==, 2);
  assert_exactly_once (&c, 2, 1000, per_member, member_of);
  collect_clear (&c);

  g_object_unref (group);
  g_assert_null (group);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (errors, ==, 2);
}

/* ---- owned delivery in the caller's context ------------------------------- */

typedef struct {
  const NrTestVeth *veth;
  GMainLoop *loop;
  GMainContext *context;
  guint8 *seen;
  guint count;
  guint received;
  guint bad;
  guint per_member[4];
} Owned;

static void
owned_packets_cb (NetringFanoutGroup *group, guint member, GPtrArray *packets, gpointer data)
{
  Owned *o = data;
  guint i;

  g_assert_true (g_main_context_is_owner (o->context));
  g_assert_cmpuint (member, <, 4);
  for (i = 0; i < packets->len; i++)
    {
      NetringPacket *packet = g_ptr_array_index (packets, i);
      gsize len;
      const guint8 *data_ = netring_packet_get_data (packet, &len);
      guint8 frame[512];
      guint32 seq;

      g_assert_true (netring_packet_is_detached (packet));
      seq = nr_test_udp_frame_seq (data_);
      if (seq >= o->count || len != flow_frame (o->veth, seq, frame) ||
          memcmp (data_, frame, len) != 0 || o->seen[seq]++)
        o->bad++;
      o->received++;
      o->per_member[member]++;
    }
  if (o->received >= o->count)
    g_main_loop_quit (o->loop);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
test_owned (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringFanoutGroup) group = open_group (veth, 4, NETRING_FANOUT_MODE_HASH, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new_seconds (20);
  Owned o = { 0 };
  guint i;

  g_main_context_push_thread_default (context);
  o.veth = veth;
  o.context = context;
  o.loop = g_main_loop_new (context, FALSE);
  o.count = 5000;
  o.seen = g_new0 (guint8, o.count);
  g_signal_connect (group, "packets", G_CALLBACK (owned_packets_cb), &o);
  g_source_set_callback (timeout, quit_cb, o.loop, NULL);
  g_source_attach (timeout, context);

  g_assert_true (netring_fanout_group_start_owned (group, &error));
  g_assert_no_error (error);
  send_flows (veth, 0, o.count);
  g_main_loop_run (o.loop);
  netring_fanout_group_stop (group);
  g_source_destroy (timeout);

  g_assert_cmpuint (o.bad, ==, 0);
  g_assert_cmpuint (o.received, ==, o.count);
  for (i = 0; i < o.count; i++)
    g_assert_cmpuint (o.seen[i], ==, 1);
  g_test_message ("owned: %u %u %u %u", o.per_member[0], o.per_member[1], o.per_member[2],
                  o.per_member[3]);
  assert_stats_sum (group, 4, o.count);
  g_main_loop_unref (o.loop);
  g_free (o.seen);
  g_main_context_pop_thread_default (context);
}

/* Stopping from a ::packets handler: stop still emits every packet that was
 * received before it returns, each exactly once and every member's in
 * order, including those that the interrupted emission had not reached. */
typedef struct {
  Owned o;
  NetringFanoutGroup *group;
  guint calls;
  gint64 last_seq[4];
} StopInHandler;

static void
stop_in_handler_cb (NetringFanoutGroup *group, guint member, GPtrArray *packets, gpointer data)
{
  StopInHandler *s = data;
  guint i;

  for (i = 0; i < packets->len; i++)
    {
      gsize len;
      guint32 seq = nr_test_udp_frame_seq (netring_packet_get_data (g_ptr_array_index (packets, i),
                                                                    &len));

      if ((gint64) seq <= s->last_seq[member])
        g_error ("member %u: frame %u after frame %" G_GINT64_FORMAT, member, seq,
                 s->last_seq[member]);
      s->last_seq[member] = seq;
    }
  owned_packets_cb (group, member, packets, &s->o);
  if (s->calls++ == 0)
    netring_fanout_group_stop (s->group);
}

static void
test_owned_stop_in_handler (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringFanoutGroup) group = open_group (veth, 4, NETRING_FANOUT_MODE_HASH, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  StopInHandler s = { 0 };
  guint i;

  g_main_context_push_thread_default (context);
  s.group = group;
  s.o.veth = veth;
  s.o.context = context;
  s.o.loop = g_main_loop_new (context, FALSE);
  s.o.count = 2000;
  s.o.seen = g_new0 (guint8, s.o.count);
  for (i = 0; i < 4; i++)
    s.last_seq[i] = -1;
  g_signal_connect (group, "packets", G_CALLBACK (stop_in_handler_cb), &s);

  g_assert_true (netring_fanout_group_start_owned (group, &error));
  g_assert_no_error (error);
  send_flows (veth, 0, s.o.count);
  /* Every frame copied by the workers and waiting for this context: a
   * worker answers a statistics request between two batches, never in the
   * middle of one, so once the members' answers add up to every frame, each
   * batch handed to a worker has been copied and queued (polling, paced by
   * 10 ms). */
  for (;;)
    {
      g_autoptr(NetringReceiverStats) stats = netring_fanout_group_get_stats (group, &error);

      g_assert_no_error (error);
      if (stats->received == s.o.count)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }
  while (netring_fanout_group_is_running (group))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, FALSE);
    }

  g_assert_cmpuint (s.o.bad, ==, 0);
  g_assert_cmpuint (s.o.received, ==, s.o.count);
  g_assert_cmpuint (s.calls, >, 1); /* more than one batch was waiting */
  for (i = 0; i < s.o.count; i++)
    g_assert_cmpuint (s.o.seen[i], ==, 1);
  /* nothing comes after stop */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (s.o.received, ==, s.o.count);
  g_main_loop_unref (s.o.loop);
  g_free (s.o.seen);
  g_main_context_pop_thread_default (context);
}

/* ---- captures joining a group by hand ------------------------------------- */

static NetringCapture *
capture_in_group (const NrTestVeth *veth, gint group, NetringFanoutMode mode,
                  NetringFanoutFlags flags, NetringBpfProgram *program, GError **error)
{
  return g_initable_new (NETRING_TYPE_CAPTURE, NULL, error, "interface", veth->b, "block-size",
                         1u << 20, "block-count", 8u, "block-timeout-ms", 10, "fanout-group",
                         group, "fanout-mode", mode, "fanout-flags", flags, "fanout-program",
                         program, NULL);
}

static void
test_capture_properties (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) a = capture_in_group (veth, 42, NETRING_FANOUT_MODE_HASH,
                                                  NETRING_FANOUT_FLAGS_DEFRAG, NULL, &error);
  g_autoptr(NetringCapture) b = NULL;
  g_autoptr(NetringCapture) unique = NULL;
  NetringCapture *bad;
  gint group = 0;
  NetringFanoutFlags flags = 0;

  g_assert_no_error (error);
  g_object_get (a, "fanout-group", &group, "fanout-flags", &flags, NULL);
  g_assert_cmpint (group, ==, 42);
  g_assert_cmpuint (flags, ==, NETRING_FANOUT_FLAGS_DEFRAG);

  /* the same group with the same settings: joins */
  b = capture_in_group (veth, 42, NETRING_FANOUT_MODE_HASH, NETRING_FANOUT_FLAGS_DEFRAG, NULL,
                        &error);
  g_assert_no_error (error);

  /* the same group with another mode: the kernel refuses */
  bad = capture_in_group (veth, 42, NETRING_FANOUT_MODE_LB, NETRING_FANOUT_FLAGS_DEFRAG, NULL,
                          &error);
  g_assert_null (bad);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* unique id: the kernel chooses, the property reads it back */
  unique = capture_in_group (veth, -1, NETRING_FANOUT_MODE_CPU, NETRING_FANOUT_FLAGS_UNIQUE_ID,
                             NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (netring_capture_get_fanout_group (unique), >=, 0);
  g_assert_cmpint (netring_capture_get_fanout_group (unique), !=, 42);

  /* invalid combinations, refused before any socket exists */
  bad = capture_in_group (veth, 7, NETRING_FANOUT_MODE_HASH, NETRING_FANOUT_FLAGS_UNIQUE_ID, NULL,
                          &error);
  g_assert_null (bad);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_clear_error (&error);
  bad = capture_in_group (veth, 7, NETRING_FANOUT_MODE_CBPF, 0, NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_clear_error (&error);
  bad = capture_in_group (veth, -1, NETRING_FANOUT_MODE_LB, 0, NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_clear_error (&error);
  g_assert_cmpint (netring_capture_get_fanout_group (a), ==, 42);
}

/* cBPF steering: member = sequence number & 1. The kernel runs a fanout
 * program on the packet from its network header on (the Ethernet header is
 * not in front of it), so the sequence number's last byte is at 45 - 14. */
static void
test_cbpf (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBpfProgram) program =
    netring_bpf_program_new_from_text ("3\n48 0 0 31\n84 0 0 1\n22 0 0 0\n", &error);
  g_autoptr(NetringFanoutGroup) group = NULL;
  g_autofree gint8 *member_of = g_new (gint8, 2000);
  guint per_member[2], i;
  Collect c;

  g_assert_no_error (error);
  group = open_group (veth, 2, NETRING_FANOUT_MODE_CBPF, NULL, program);
  collect_init (&c, veth);
  g_assert_true (netring_fanout_group_start (group, collect_cb, &c, NULL, &error));
  g_assert_no_error (error);
  send_flows (veth, 0, 2000);
  wait_total (&c, 2000);
  netring_fanout_group_stop (group);
  assert_exactly_once (&c, 2, 2000, per_member, member_of);
  for (i = 0; i < 2000; i++)
    g_assert_cmpint (member_of[i], ==, (gint) (i & 1));
  collect_clear (&c);
}

/* eBPF steering: the same rule as test_cbpf, as a loaded eBPF program */
static void
test_ebpf (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringFanoutGroup) group = NULL;
  g_autofree gint8 *member_of = g_new (gint8, 2000);
  struct bpf_insn insns[] = {
    { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 6, .src_reg = 1 }, /* r6 = skb */
    { .code = BPF_LD | BPF_ABS | BPF_B, .imm = 31 },                    /* r0 = seq & 0xff */
    { .code = BPF_ALU64 | BPF_AND | BPF_K, .dst_reg = 0, .imm = 1 },
    { .code = BPF_JMP | BPF_EXIT },
  };
  guint per_member[2], i;
  Collect c;
  int fd = bpf_prog_load (BPF_PROG_TYPE_SOCKET_FILTER, "nr_fanout", "GPL", insns,
                          G_N_ELEMENTS (insns), NULL);

  if (fd < 0)
    {
      g_test_skip_printf ("cannot load an eBPF program: %s", g_strerror (errno));
      return;
    }
  group = g_initable_new (NETRING_TYPE_FANOUT_GROUP, NULL, &error, "interface", veth->b,
                          "n-members", 2u, "fanout-mode", NETRING_FANOUT_MODE_EBPF,
                          "fanout-ebpf-fd", fd, "block-size", 1u << 20, "block-count", 16u,
                          "block-timeout-ms", 10, NULL);
  g_assert_no_error (error);
  close (fd); /* the group holds the program */
  collect_init (&c, veth);
  g_assert_true (netring_fanout_group_start (group, collect_cb, &c, NULL, &error));
  g_assert_no_error (error);
  send_flows (veth, 0, 2000);
  wait_total (&c, 2000);
  netring_fanout_group_stop (group);
  assert_exactly_once (&c, 2, 2000, per_member, member_of);
  for (i = 0; i < 2000; i++)
    g_assert_cmpint (member_of[i], ==, (gint) (i & 1));
  collect_clear (&c);
}

/* Frames of [first, first + count) sent to UDP port @port. */
static guint
count_port (guint32 first, guint count, guint port)
{
  guint n = 0, i;

  for (i = first; i < first + count; i++)
    n += 20000 + (i % N_FLOWS) % 5 == port;
  return n;
}

/* A filter on the group, replaced while it runs */
static void
test_group_filter (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringFanoutGroup) group =
    open_group (veth, 2, NETRING_FANOUT_MODE_HASH, "udp dst port 20000", NULL);
  g_autoptr(NetringFanoutGroup) bad = NULL;
  g_autofree gint8 *member_of = g_new (gint8, 2000);
  guint per_member[2], m, i;
  Collect c;

  collect_init (&c, veth);
  g_assert_true (netring_fanout_group_start (group, collect_cb, &c, NULL, &error));
  g_assert_no_error (error);
  send_flows (veth, 0, 1000); /* flows with port 20000: flow % 5 == 0 */
  wait_total (&c, count_port (0, 1000, 20000));
  g_assert_true (netring_fanout_group_set_filter (group, "udp dst port 20001", &error));
  g_assert_no_error (error);
  send_flows (veth, 1000, 1000);
  wait_total (&c, count_port (0, 1000, 20000) + count_port (1000, 1000, 20001));
  netring_fanout_group_stop (group);
  for (m = 0; m < 2; m++)
    {
      g_assert_cmpuint (c.bad[m], ==, 0);
      for (i = 0; i < c.seqs[m]->len; i++)
        {
          guint32 seq = g_array_index (c.seqs[m], guint32, i);
          guint flow = seq % N_FLOWS;
          g_assert_cmpuint (20000 + flow % 5, ==, seq < 1000 ? 20000 : 20001);
        }
    }
  g_assert_cmpuint ((guint) c.total, ==,
                    count_port (0, 1000, 20000) + count_port (1000, 1000, 20001));
  assert_stats_sum (group, 2, count_port (0, 1000, 20000) + count_port (1000, 1000, 20001));
  (void) per_member;
  (void) member_of;
  collect_clear (&c);

  /* a bad expression: the error of libpcap */
  g_assert_false (netring_fanout_group_set_filter (group, "udp dst port", &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  bad = g_initable_new (NETRING_TYPE_FANOUT_GROUP, NULL, &error, "interface", veth->b,
                        "n-members", 2u, "filter", "nonsense here", NULL);
  g_assert_null (bad);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
}

/* ---- start: every member in the group and serving --------------------------- */

typedef struct {
  const NrTestVeth *veth;
  GMutex lock;
  GCond cond;
  guint total;
  guint per_member[4];
  guint bad;
  guint8 *seen; /* per sequence number */
  guint n_seen;
} StartCollect;

static void
start_collect_cb (NetringFanoutGroup *group, guint member, NetringBatch *batch,
                  gpointer user_data)
{
  StartCollect *c = user_data;
  NetringBatchIter iter;
  NetringPacketInfo info;

  g_mutex_lock (&c->lock);
  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    {
      guint32 seq = 0;

      if (!frame_ok (c->veth, &info, &seq) || seq >= c->n_seen || c->seen[seq]++ != 0)
        c->bad++;
      c->per_member[member]++;
      c->total++;
    }
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
}

/* Issue 7: a 4-member group took 0.2-2.8 s to start, and once all 20,000
 * frames went to member 0. start() returns when every member is in the
 * group and waiting: 20,000 frames sent right after it, round robin (lb),
 * give each member exactly 5,000, every frame once, byte for byte. The
 * times of init and start are reported, not asserted. */
static void
test_start_all_members (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringFanoutGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  StartCollect c = { 0 };
  gint64 t0, t1, t2, deadline;
  guint m;

  c.veth = veth;
  c.n_seen = 20000;
  c.seen = g_new0 (guint8, c.n_seen);
  g_mutex_init (&c.lock);
  g_cond_init (&c.cond);
  nr_test_veth_wait_running (veth);

  t0 = g_get_monotonic_time ();
  group = open_group (veth, 4, NETRING_FANOUT_MODE_LB, NULL, NULL);
  t1 = g_get_monotonic_time ();
  g_assert_true (netring_fanout_group_start (group, start_collect_cb, &c, NULL, &error));
  g_assert_no_error (error);
  t2 = g_get_monotonic_time ();
  g_test_message ("4 members (16 × 1 MiB each): init %.1f ms, start %.2f ms",
                  (t1 - t0) / 1000.0, (t2 - t1) / 1000.0);
  for (m = 0; m < 4; m++)
    g_assert_cmpint (netring_capture_get_fanout_group (netring_fanout_group_get_member (group, m)),
                     ==, netring_fanout_group_get_fanout_group (group));

  send_flows (veth, 0, 20000);

  /* a generous hang guard: the wait ends when the last frame arrives */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  g_mutex_lock (&c.lock);
  while (c.total < 20000)
    if (!g_cond_wait_until (&c.cond, &c.lock, deadline))
      break;
  g_mutex_unlock (&c.lock);
  netring_fanout_group_stop (group);

  g_test_message ("lb: %u %u %u %u", c.per_member[0], c.per_member[1], c.per_member[2],
                  c.per_member[3]);
  g_assert_cmpuint (c.bad, ==, 0);
  g_assert_cmpuint (c.total, ==, 20000);
  for (m = 0; m < 4; m++)
    g_assert_cmpuint (c.per_member[m], ==, 5000);
  g_mutex_clear (&c.lock);
  g_cond_clear (&c.cond);
  g_free (c.seen);
}

int
main (int argc, char **argv)
{
  nr_test_net_enter_or_skip ("test-fanout");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fanout/hash", test_hash);
  g_test_add_func ("/fanout/lb", test_lb);
  g_test_add_func ("/fanout/start-stop-at-once", test_start_stop_at_once);
  g_test_add_func ("/fanout/stats-while-members-fail", test_stats_while_members_fail);
  g_test_add_func ("/fanout/error-reported-by-stop", test_error_reported_by_stop);
  g_test_add_func ("/fanout/owned", test_owned);
  g_test_add_func ("/fanout/owned-stop-in-handler", test_owned_stop_in_handler);
  g_test_add_func ("/fanout/capture-properties", test_capture_properties);
  g_test_add_func ("/fanout/cbpf", test_cbpf);
  g_test_add_func ("/fanout/ebpf", test_ebpf);
  g_test_add_func ("/fanout/group-filter", test_group_filter);
  g_test_add_func ("/fanout/start-all-members", test_start_all_members);
  return g_test_run ();
}
