/* fanout.c: spread one interface's traffic over N worker threads.
 *
 * A NetringFanoutGroup opens N captures in one PACKET_FANOUT group; the
 * kernel gives each flow to one member (hash mode: by addresses and ports,
 * so a flow stays in order on one thread). netring_fanout_group_start()
 * runs each member in a thread of its own with its own GMainContext and
 * calls our function there for every batch. The counters are per member, so
 * the workers share nothing but the total, which they update atomically;
 * the main thread sleeps on a GCond until the total is reached or time is up.
 *
 *   sudo ./example-fanout eth0 [MEMBERS [COUNT [SECONDS]]]
 *
 * Prints "listening on IFACE with N members", then one line per member and
 * "total: T packets".
 */
#include <netring/netring.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  GMutex lock;
  GCond reached;
  guint64 wanted;
  guint64 total;          /* under lock */
  guint64 *per_member;    /* each written by its member's thread only */
} Counters;

static void
on_batch (NetringFanoutGroup *group G_GNUC_UNUSED, guint member, NetringBatch *batch, gpointer user_data)
{
  Counters *counters = user_data;
  guint n = netring_batch_get_n_packets (batch);

  counters->per_member[member] += n;
  g_mutex_lock (&counters->lock);
  counters->total += n;
  if (counters->total >= counters->wanted)
    g_cond_signal (&counters->reached);
  g_mutex_unlock (&counters->lock);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringFanoutGroup) group = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autofree guint64 *per_member = NULL;
  Counters counters = { 0 };
  guint members, seconds;
  gint64 end_time;

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr ("usage: %s INTERFACE [MEMBERS [COUNT [SECONDS]]]\n", argv[0]);
      return EXIT_FAILURE;
    }
  members = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 4;
  counters.wanted = argc > 3 ? g_ascii_strtoull (argv[3], NULL, 10) : 1000;
  seconds = argc > 4 ? (guint) g_ascii_strtoull (argv[4], NULL, 10) : 60;

  group = netring_fanout_group_new (argv[1], members, NETRING_FANOUT_MODE_HASH, &error);
  if (group == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  per_member = g_new0 (guint64, members);
  counters.per_member = per_member;
  g_mutex_init (&counters.lock);
  g_cond_init (&counters.reached);
  if (!netring_fanout_group_start (group, on_batch, &counters, NULL, &error))
    {
      g_printerr ("cannot start: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_print ("listening on %s with %u members\n", argv[1], members);
  fflush (stdout);

  end_time = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  g_mutex_lock (&counters.lock);
  while (counters.total < counters.wanted)
    if (!g_cond_wait_until (&counters.reached, &counters.lock, end_time))
      break;
  g_mutex_unlock (&counters.lock);

  /* joins the worker threads: per_member is final afterwards */
  netring_fanout_group_stop (group);
  for (guint i = 0; i < members; i++)
    g_print ("member %u: %" G_GUINT64_FORMAT " packets\n", i, per_member[i]);
  g_print ("total: %" G_GUINT64_FORMAT " packets\n", counters.total);
  stats = netring_fanout_group_get_stats (group, &error);
  if (stats != NULL)
    {
      g_autofree gchar *text = netring_receiver_stats_to_string (stats);
      g_print ("kernel: %s\n", text);
    }

  g_cond_clear (&counters.reached);
  g_mutex_clear (&counters.lock);
  return EXIT_SUCCESS;
}
