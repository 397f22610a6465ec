/* bridge.c: a transparent bridge between two interfaces until Ctrl-C, with
 * the counters of each direction printed every second (the seed's `bridge`
 * and `async_bridge` examples in one).
 *
 * netring_bridge_run_async() forwards in the thread-default main context;
 * a SIGINT source cancels its cancellable, which ends the run normally
 * (run_finish() returns TRUE). A one-second timeout source prints the
 * statistics; every frame is in one of their counters.
 *
 *   sudo ./example-bridge eth0 eth1     (then press Ctrl-C)
 */
#include <netring/netring.h>

#include <glib-unix.h>
#include <signal.h>
#include <stdlib.h>

typedef struct {
  GMainLoop *loop;
  GError *error;
} Context;

static gboolean
on_sigint (gpointer user_data)
{
  g_print ("\ninterrupted, shutting down\n");
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer user_data)
{
  g_autoptr(NetringBridgeStats) stats = netring_bridge_get_stats (user_data, NULL);
  g_autofree gchar *text = stats != NULL ? netring_bridge_stats_to_string (stats) : NULL;

  if (text != NULL)
    g_print ("%s\n", text);
  return G_SOURCE_CONTINUE;
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Context *ctx = user_data;

  netring_bridge_run_finish (NETRING_BRIDGE (source), result, &ctx->error);
  g_main_loop_quit (ctx->loop);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainContext) main_context = g_main_context_new ();
  g_autoptr(GSource) sigint = NULL;
  g_autoptr(GSource) tick = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  g_autofree gchar *text = NULL;
  Context ctx = { 0 };

  if (argc < 3)
    {
      g_printerr ("usage: %s INTERFACE_A INTERFACE_B\n", argv[0]);
      return EXIT_FAILURE;
    }

  bridge = netring_bridge_new (argv[1], argv[2], &error);
  if (bridge == NULL)
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  g_main_context_push_thread_default (main_context);
  ctx.loop = g_main_loop_new (main_context, FALSE);

  sigint = g_unix_signal_source_new (SIGINT);
  g_source_set_callback (sigint, on_sigint, cancellable, NULL);
  g_source_attach (sigint, main_context);
  tick = g_timeout_source_new_seconds (1);
  g_source_set_callback (tick, on_tick, bridge, NULL);
  g_source_attach (tick, main_context);

  netring_bridge_run_async (bridge, cancellable, on_done, &ctx);
  g_print ("bridging %s ⇄ %s, Ctrl-C to stop\n", argv[1], argv[2]);
  g_main_loop_run (ctx.loop);

  g_source_destroy (tick);
  g_source_destroy (sigint);
  g_main_loop_unref (ctx.loop);
  g_main_context_pop_thread_default (main_context);

  stats = netring_bridge_get_stats (bridge, NULL);
  text = netring_bridge_stats_to_string (stats);
  g_print ("totals: %s\n", text);
  if (ctx.error != NULL)
    {
      g_printerr ("%s\n", ctx.error->message);
      g_error_free (ctx.error);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
