/* async_bridge.c: a transparent bridge between two interfaces until Ctrl-C
 * (or SECONDS), with the counters of each direction printed every second
 * (the seed's `bridge` and `async_bridge` examples in one).
 *
 * netring_bridge_run_async() forwards in the thread-default main context;
 * a SIGINT source cancels its cancellable, which ends the run normally
 * (run_finish() returns TRUE). A one-second timeout source prints the
 * statistics; every frame the bridge took is in one of their counters
 * (received = forwarded + dropped + too large + rejected + in flight).
 *
 *   sudo ./example-async_bridge eth0 eth1 [SECONDS]    (then press Ctrl-C)
 *
 * Prints "listening on A ⇄ B", a line of counters every second, and at the
 * end "A → B: R received, F forwarded, I in flight" and the same for B → A.
 */
#include <netring/netring.h>

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  GMainLoop *loop;
  GError *error;
} Context;

static gboolean
on_sigint (gpointer user_data)
{
  g_printerr ("interrupted, shutting down\n");
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

static gboolean
on_deadline (gpointer user_data)
{
  g_printerr ("time limit reached, shutting down\n");
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer user_data)
{
  g_autoptr(NetringBridgeStats) stats = netring_bridge_get_stats (user_data, NULL);
  g_autofree gchar *text = stats != NULL ? netring_bridge_stats_to_string (stats) : NULL;

  if (text != NULL)
    {
      g_print ("%s\n", text);
      fflush (stdout);
    }
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
  g_autoptr(GSource) deadline = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  Context ctx = { 0 };
  guint seconds;

  setlocale (LC_ALL, "");
  if (argc < 3)
    {
      g_printerr ("usage: %s INTERFACE_A INTERFACE_B [SECONDS]\n", argv[0]);
      return EXIT_FAILURE;
    }
  seconds = argc > 3 ? (guint) g_ascii_strtoull (argv[3], NULL, 10) : 0;

  bridge = netring_bridge_new (argv[1], argv[2], &error);
  if (bridge == NULL)
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  /* a context of our own, pushed as thread-default: the bridge and every
   * source below run there, as they would in a worker thread */
  g_main_context_push_thread_default (main_context);
  ctx.loop = g_main_loop_new (main_context, FALSE);

  sigint = g_unix_signal_source_new (SIGINT);
  g_source_set_callback (sigint, on_sigint, cancellable, NULL);
  g_source_attach (sigint, main_context);
  tick = g_timeout_source_new_seconds (1);
  g_source_set_callback (tick, on_tick, bridge, NULL);
  g_source_attach (tick, main_context);
  if (seconds > 0)
    {
      deadline = g_timeout_source_new_seconds (seconds);
      g_source_set_callback (deadline, on_deadline, cancellable, NULL);
      g_source_attach (deadline, main_context);
    }

  netring_bridge_run_async (bridge, cancellable, on_done, &ctx);
  g_print ("listening on %s ⇄ %s, Ctrl-C to stop\n", argv[1], argv[2]);
  fflush (stdout);
  g_main_loop_run (ctx.loop);

  g_source_destroy (tick);
  g_source_destroy (sigint);
  if (deadline != NULL)
    g_source_destroy (deadline);
  g_main_loop_unref (ctx.loop);
  g_main_context_pop_thread_default (main_context);

  stats = netring_bridge_get_stats (bridge, &error);
  if (stats == NULL)
    {
      g_printerr ("cannot read the statistics: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_print ("%s → %s: %" G_GUINT64_FORMAT " received, %" G_GUINT64_FORMAT " forwarded, %"
           G_GUINT64_FORMAT " in flight\n", argv[1], argv[2], stats->a_to_b_received,
           stats->a_to_b_forwarded, stats->a_to_b_in_flight);
  g_print ("%s → %s: %" G_GUINT64_FORMAT " received, %" G_GUINT64_FORMAT " forwarded, %"
           G_GUINT64_FORMAT " in flight\n", argv[2], argv[1], stats->b_to_a_received,
           stats->b_to_a_forwarded, stats->b_to_a_in_flight);
  if (ctx.error != NULL)
    {
      g_printerr ("%s\n", ctx.error->message);
      g_error_free (ctx.error);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
