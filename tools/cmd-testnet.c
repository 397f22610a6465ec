/* cmd-testnet.c: `netring testnet [-- COMMAND…]`, a private network
 * namespace with a veth pair (NetringTestNetwork), for trying things out
 * and for test suites written in any language.
 *
 * The namespace has no name: it lives as long as this process (and what it
 * starts) uses it, so nothing is left behind whatever happens. A command
 * given after "--" runs inside it, with the interface names in
 * NETRING_TESTNET_A and NETRING_TESTNET_B; without one, the network stays
 * until Ctrl-C, and other shells can enter it with nsenter(1).
 */
#include "config.h"

#include "netring-tool.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

typedef struct {
  GMainLoop *loop;
  GSubprocess *child;
  gboolean child_done;
  GError *error;
} TestnetRun;

static void
child_waited (GObject *object, GAsyncResult *result, gpointer user_data)
{
  TestnetRun *run = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, &run->error);
  run->child_done = TRUE;
  g_main_loop_quit (run->loop);
}

static void
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  TestnetRun *run = user_data;

  /* Ctrl-C on a terminal reaches the command too (same process group);
   * SIGTERM does not: pass it on, then wait for the command to end. */
  if (run->child != NULL && !run->child_done)
    g_subprocess_send_signal (run->child, SIGTERM);
  else
    g_main_loop_quit (run->loop);
}

int
tool_cmd_testnet (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("[-- COMMAND [ARGUMENT…]]"));
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringTestNetwork) net = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autofree gchar *netns = NULL;
  TestnetRun run = { 0 };
  GPtrArray *signal_sources;
  int status = EXIT_SUCCESS;
  int command, n_options;

  g_option_context_set_summary (context, _("Create a private network namespace with a veth "
                                           "pair, print the namespace and the two interface "
                                           "names, run COMMAND inside it (or wait for Ctrl-C) "
                                           "and remove everything at the end."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* GOption drops a "--": split the command off before parsing */
  for (command = 1; command < argc; command++)
    if (g_str_equal (argv[command], "--"))
      break;
  n_options = command;
  if (!tool_parse_options (context, &n_options, &argv))
    return TOOL_EXIT_USAGE;
  if (n_options > 1)
    return tool_usage_error (_("put “--” before the command to run"));
  command++; /* past the "--" */

  net = netring_test_network_new (&error);
  if (net == NULL)
    {
      tool_print_error (_("cannot create the test network"), error);
      return tool_exit_status_for (error);
    }
  netns = g_strdup_printf ("/proc/%d/ns/net", (int) getpid ());
  g_print (_("Network namespace:  %s (enter it with: nsenter --net=%s)\n"), netns, netns);
  g_print (_("Interface A:        %s\n"), netring_test_network_get_interface_a (net));
  g_print (_("Interface B:        %s\n"), netring_test_network_get_interface_b (net));
  fflush (stdout);

  loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);
  run.loop = loop;
  signal_sources = tool_watch_quit_signals (cancellable);
  g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), &run, NULL);

  if (command < argc)
    {
      /* a child started from this thread is in the private namespace */
      launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
      g_subprocess_launcher_setenv (launcher, "NETRING_TESTNET_A",
                                    netring_test_network_get_interface_a (net), TRUE);
      g_subprocess_launcher_setenv (launcher, "NETRING_TESTNET_B",
                                    netring_test_network_get_interface_b (net), TRUE);
      g_subprocess_launcher_setenv (launcher, "NETRING_TESTNET_NETNS", netns, TRUE);
      child = g_subprocess_launcher_spawnv (launcher, (const gchar *const *) argv + command, &error);
      if (child == NULL)
        {
          tool_print_error (argv[command], error);
          status = 127;
        }
      else
        {
          run.child = child;
          g_subprocess_wait_async (child, NULL, child_waited, &run);
          g_main_loop_run (loop);
          if (run.error != NULL)
            {
              tool_print_error (argv[command], run.error);
              status = TOOL_EXIT_FAILURE;
            }
          else if (g_subprocess_get_if_exited (child))
            status = g_subprocess_get_exit_status (child);
          else
            status = 128 + g_subprocess_get_term_sig (child);
        }
    }
  else
    {
      g_print (_("Press Ctrl-C to remove it.\n"));
      fflush (stdout);
      g_main_loop_run (loop);
    }

  tool_destroy_sources (signal_sources);
  g_clear_error (&run.error);
  g_clear_object (&net);
  g_print (_("Removed the test network.\n"));
  return status;
}
