/* test-test-network.c: NetringTestNetwork, the public test fixture: what
 * it creates (a private namespace holding only the pair, both ends with
 * carrier), traffic through it byte for byte, what close and dispose
 * remove, its readiness, and what a test process killed with SIGKILL
 * leaves behind (nothing).
 *
 * The test itself runs in a private namespace (nr-test-net), and every
 * network below moves the test's thread into a namespace of its own inside
 * that one. */
#include "config.h"

#define _GNU_SOURCE 1 /* setns */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netring/netring.h>

#include "nr-test-net.h"

#define CRASH_CHILD_ARG "--crash-child"

static const guint8 mac_a[6] = { 2, 0, 0, 0, 0, 1 };
static const guint8 mac_b[6] = { 2, 0, 0, 0, 0, 2 };

/* The inode of the network namespace of the calling thread (or of
 * /proc/PID/task/TID), which names the namespace while it exists. */
static guint64
netns_inode_of (const char *path)
{
  struct stat st;

  if (stat (path, &st) != 0)
    return 0;
  return st.st_ino;
}

static guint64
current_netns (void)
{
  guint64 inode = netns_inode_of ("/proc/thread-self/ns/net");

  g_assert_cmpuint (inode, !=, 0);
  return inode;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

/* The interfaces of the calling thread's namespace, sorted, joined by
 * spaces. */
static char *
interface_names (void)
{
  struct if_nameindex *list = if_nameindex ();
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  guint i;

  g_assert_nonnull (list);
  for (i = 0; list[i].if_index != 0; i++)
    g_ptr_array_add (names, list[i].if_name);
  g_ptr_array_sort (names, compare_names);
  {
    g_autoptr(GString) text = g_string_new (NULL);

    for (i = 0; i < names->len; i++)
      g_string_append_printf (text, "%s%s", i > 0 ? " " : "", (char *) names->pdata[i]);
    if_freenameindex (list);
    return g_string_free (g_steal_pointer (&text), FALSE);
  }
}

/* Whether any thread of any process in the system is in the network
 * namespace with @inode: a namespace nothing is in and nothing holds open
 * is freed by the kernel with every interface in it. */
static gboolean
netns_in_use (guint64 inode)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *pid;

  g_assert_nonnull (proc);
  while ((pid = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *task_dir = NULL;
      g_autoptr(GDir) tasks = NULL;
      const char *tid;

      if (!g_ascii_isdigit (pid[0]))
        continue;
      task_dir = g_strdup_printf ("/proc/%s/task", pid);
      tasks = g_dir_open (task_dir, 0, NULL);
      if (tasks == NULL)
        continue; /* it ended meanwhile */
      while ((tid = g_dir_read_name (tasks)) != NULL)
        {
          g_autofree char *ns = g_strdup_printf ("%s/%s/ns/net", task_dir, tid);

          if (netns_inode_of (ns) == inode)
            return TRUE;
        }
      /* a process can also hold it through an open file descriptor */
      {
        g_autofree char *fd_dir = g_strdup_printf ("/proc/%s/fd", pid);
        g_autoptr(GDir) fds = g_dir_open (fd_dir, 0, NULL);
        const char *fd;

        while (fds != NULL && (fd = g_dir_read_name (fds)) != NULL)
          {
            g_autofree char *path = g_strdup_printf ("%s/%s", fd_dir, fd);
            g_autofree char *target = g_file_read_link (path, NULL);
            g_autofree char *wanted = g_strdup_printf ("net:[%" G_GUINT64_FORMAT "]", inode);

            if (g_strcmp0 (target, wanted) == 0)
              return TRUE;
          }
      }
    }
  return FALSE;
}

static NetringTestNetwork *
network_new (void)
{
  g_autoptr(GError) error = NULL;
  NetringTestNetwork *net = netring_test_network_new (&error);

  g_assert_no_error (error);
  g_assert_true (NETRING_IS_TEST_NETWORK (net));
  return net;
}

/* ---- what it creates ------------------------------------------------------ */

static void
test_create (void)
{
  guint64 outer = current_netns ();
  g_autoptr(NetringTestNetwork) net = network_new ();
  const char *a = netring_test_network_get_interface_a (net);
  const char *b = netring_test_network_get_interface_b (net);
  g_autofree char *prop_a = NULL;
  g_autofree char *prop_b = NULL;
  g_autofree char *names = NULL;
  g_autofree char *expected = NULL;
  const char *sorted[3] = { "lo", a, b };
  const char *ends[2] = { a, b };
  guint i;

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpstr (a, !=, b);
  g_assert_true (g_str_has_prefix (a, "nrnet") && g_str_has_prefix (b, "nrnet"));
  g_object_get (net, "interface-a", &prop_a, "interface-b", &prop_b, NULL);
  g_assert_cmpstr (prop_a, ==, a);
  g_assert_cmpstr (prop_b, ==, b);

  /* a namespace of its own, holding the loopback device and the pair only */
  g_assert_cmpuint (current_netns (), !=, outer);
  qsort (sorted, G_N_ELEMENTS (sorted), sizeof sorted[0], compare_names);
  expected = g_strjoinv (" ", (char **) (const char *[]) { sorted[0], sorted[1], sorted[2], NULL });
  names = interface_names ();
  g_assert_cmpstr (names, ==, expected);

  /* both ends up, running, with carrier, as the library itself sees them */
  for (i = 0; i < G_N_ELEMENTS (ends); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringInterfaceInfo) info = netring_interface_info_new (ends[i], &error);

      g_assert_no_error (error);
      g_assert_true (netring_interface_info_get_carrier (info));
      g_assert_true (netring_interface_info_get_flags (info) & NETRING_INTERFACE_FLAGS_UP);
      g_assert_true (netring_interface_info_get_flags (info) & NETRING_INTERFACE_FLAGS_RUNNING);
    }
}

/* ---- traffic through it --------------------------------------------------- */

#define N_FRAMES 200

static void
test_traffic (void)
{
  g_autoptr(NetringTestNetwork) net = network_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  int ifindex_a;
  guint got = 0, seq;

  capture = netring_capture_new (netring_test_network_get_interface_b (net), &error);
  g_assert_no_error (error);
  ifindex_a = (int) if_nametoindex (netring_test_network_get_interface_a (net));
  g_assert_cmpint (ifindex_a, >, 0);

  for (seq = 0; seq < N_FRAMES; seq++)
    {
      guint8 frame[1514];
      gsize length = 60 + (seq * 37) % 1400;

      nr_test_frame_fill (frame, length, seq, mac_a, mac_b);
      nr_test_send_raw_on (ifindex_a, frame, length);
    }

  /* every frame once, in order, byte for byte, and nothing else */
  while (got < N_FRAMES)
    {
      g_autoptr(NetringBatch) batch = NULL;
      NetringBatchIter iter;
      NetringPacketInfo info;

      batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 20000, NULL,
                                                   &error);
      g_assert_no_error (error);
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          g_assert_cmpuint (got, <, N_FRAMES);
          g_assert_cmpuint (info.captured_length, ==, 60 + (got * 37) % 1400);
          g_assert_true (nr_test_frame_check (info.data, info.captured_length, got, mac_a,
                                              mac_b));
          got++;
        }
    }
  {
    g_autoptr(NetringBatch) more =
      netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 200, NULL, &error);

    g_assert_null (more);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  }
}

/* ---- what close and dispose remove --------------------------------------- */

static void
test_dispose_removes (void)
{
  guint64 outer = current_netns ();
  int outer_fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  NetringTestNetwork *net = network_new ();
  g_autofree char *a = g_strdup (netring_test_network_get_interface_a (net));
  g_autofree char *b = g_strdup (netring_test_network_get_interface_b (net));
  guint64 inner = current_netns ();
  /* held open by the test, so that it can look inside afterwards */
  int inner_fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (outer_fd, >=, 0);
  g_assert_cmpint (inner_fd, >=, 0);
  g_assert_cmpuint (if_nametoindex (a), !=, 0);

  g_object_unref (net);

  /* the thread is back, and nothing of the pair is where it came back to */
  g_assert_cmpuint (current_netns (), ==, outer);
  g_assert_cmpuint (if_nametoindex (a), ==, 0);
  g_assert_cmpuint (if_nametoindex (b), ==, 0);

  /* the pair is deleted, not just left behind in the private namespace */
  g_assert_cmpint (setns (inner_fd, CLONE_NEWNET), ==, 0);
  g_assert_cmpuint (current_netns (), ==, inner);
  g_assert_cmpuint (if_nametoindex (a), ==, 0);
  g_assert_cmpuint (if_nametoindex (b), ==, 0);
  g_assert_cmpint (setns (outer_fd, CLONE_NEWNET), ==, 0);
  close (inner_fd);
  close (outer_fd);

  /* and once the test lets go of it, nothing holds the namespace */
  g_assert_false (netns_in_use (inner));
}

static void
test_close_and_readiness (void)
{
  guint64 outer = current_netns ();
  g_autoptr(NetringTestNetwork) net = g_object_new (NETRING_TYPE_TEST_NETWORK, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL;
  guint64 inner;

  /* before init: no names, and close says why */
  g_assert_null (netring_test_network_get_interface_a (net));
  g_assert_null (netring_test_network_get_interface_b (net));
  g_assert_false (netring_test_network_close (net, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_assert_cmpuint (current_netns (), ==, outer);

  /* init is idempotent: a second call changes nothing */
  g_assert_true (g_initable_init (G_INITABLE (net), NULL, &error));
  g_assert_no_error (error);
  a = g_strdup (netring_test_network_get_interface_a (net));
  inner = current_netns ();
  g_assert_cmpuint (inner, !=, outer);
  g_assert_true (g_initable_init (G_INITABLE (net), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (netring_test_network_get_interface_a (net), ==, a);
  g_assert_cmpuint (current_netns (), ==, inner);

  /* close: at once, with the object still alive; twice is fine */
  g_assert_true (netring_test_network_close (net, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (current_netns (), ==, outer);
  g_assert_false (netns_in_use (inner));
  g_assert_null (netring_test_network_get_interface_a (net));
  g_assert_null (netring_test_network_get_interface_b (net));
  g_assert_true (netring_test_network_close (net, &error));
  g_assert_no_error (error);
}

/* ---- a test process killed with SIGKILL ----------------------------------- */

/* The child: creates a network, says which namespace and names it got,
 * and waits to be killed without cleaning anything up. */
static int
crash_child (void)
{
  g_autoptr(GError) error = NULL;
  NetringTestNetwork *net = netring_test_network_new (&error);

  if (net == NULL)
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  printf ("%" G_GUINT64_FORMAT " %s %s\n", current_netns (),
          netring_test_network_get_interface_a (net), netring_test_network_get_interface_b (net));
  fflush (stdout);
  for (;;)
    pause ();
}

static void
test_killed_leaves_nothing (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *child_ns = NULL;
  g_auto(GStrv) fields = NULL;
  guint64 inode;

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "/proc/self/exe",
                            CRASH_CHILD_ARG, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  fields = g_strsplit (line, " ", 3);
  g_assert_cmpuint (g_strv_length (fields), ==, 3);
  inode = g_ascii_strtoull (fields[0], NULL, 10);

  /* the child's main thread is in the private namespace it reported */
  child_ns = g_strdup_printf ("/proc/%s/ns/net", g_subprocess_get_identifier (child));
  g_assert_cmpuint (netns_inode_of (child_ns), ==, inode);
  g_assert_true (netns_in_use (inode));

  g_subprocess_force_exit (child); /* SIGKILL: no handler, no dispose */
  g_assert_true (g_subprocess_wait (child, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (child));
  g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);

  /* nothing in the system is in or holds the namespace any more (so the
   * kernel frees it, and the pair with it), and nothing of it is here */
  g_assert_false (netns_in_use (inode));
  g_assert_cmpuint (if_nametoindex (fields[1]), ==, 0);
  g_assert_cmpuint (if_nametoindex (fields[2]), ==, 0);
}

int
main (int argc, char **argv)
{
  if (argc == 2 && g_str_equal (argv[1], CRASH_CHILD_ARG))
    return crash_child ();

  nr_test_net_enter_or_skip ("test-test-network");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/test-network/create", test_create);
  g_test_add_func ("/test-network/traffic", test_traffic);
  g_test_add_func ("/test-network/dispose-removes", test_dispose_removes);
  g_test_add_func ("/test-network/close-and-readiness", test_close_and_readiness);
  g_test_add_func ("/test-network/killed-leaves-nothing", test_killed_leaves_nothing);
  return g_test_run ();
}
