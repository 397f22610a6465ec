/* replay.c: send the packets of a pcap or pcapng file again on an interface.
 *
 * A NetringPcapReplay reads the file through a NetringPcapReader and sends
 * its frames through any NetringSender, here a NetringInjector (a
 * NetringXdpSocket would do as well). It keeps the recorded intervals
 * divided by SPEED (2 replays twice as fast; 0 sends as fast as the ring
 * takes them), in the main loop: pacing is a timer, a full ring is waited
 * for, nothing is dropped silently (frames too long for the ring are
 * counted as skipped). Ctrl-C cancels: the frames already queued still go
 * out. The run ends when the last frame left the ring.
 *
 *   sudo ./example-replay eth0 trace.pcapng [SPEED]
 *
 * Prints "replaying FILE (link type L) on IFACE at SPEED", then
 * "sent S frames, skipped K, rejected R in T s".
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
  g_printerr ("interrupted, stopping the replay\n");
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Context *ctx = user_data;

  netring_pcap_replay_run_finish (NETRING_PCAP_REPLAY (source), result, &ctx->error);
  g_main_loop_quit (ctx->loop);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringPcapReader) reader = NULL;
  g_autoptr(NetringInjector) injector = NULL;
  g_autoptr(NetringPcapReplay) replay = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = NULL;
  Context ctx = { 0 };
  gdouble speed;
  const gchar *speed_text;
  gint64 start;
  guint sigint;

  setlocale (LC_ALL, "");
  if (argc < 3)
    {
      g_printerr ("usage: %s INTERFACE FILE [SPEED]\n", argv[0]);
      return EXIT_FAILURE;
    }
  speed = argc > 3 ? g_ascii_strtod (argv[3], NULL) : 1.0;
  speed_text = argc > 3 ? argv[3] : "1";

  reader = netring_pcap_reader_new (argv[2], &error);
  if (reader == NULL)
    {
      g_printerr ("cannot read %s: %s\n", argv[2], error->message);
      return EXIT_FAILURE;
    }
  injector = netring_injector_new (argv[1], &error);
  if (injector == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  replay = netring_pcap_replay_new (reader, NETRING_SENDER (injector));
  if (speed > 0)
    netring_pcap_replay_set_speed (replay, speed);
  else
    netring_pcap_replay_set_mode (replay, NETRING_PCAP_REPLAY_MODE_TOPSPEED);

  loop = g_main_loop_new (NULL, FALSE);
  ctx.loop = loop;
  sigint = g_unix_signal_add (SIGINT, on_sigint, cancellable);

  g_print ("replaying %s (link type %d) on %s at %s\n", argv[2],
           netring_pcap_reader_get_link_type (reader), argv[1], speed > 0 ? speed_text : "top speed");
  fflush (stdout);
  start = g_get_monotonic_time ();
  netring_pcap_replay_run_async (replay, cancellable, on_done, &ctx);
  g_main_loop_run (loop);
  g_source_remove (sigint);

  g_print ("sent %" G_GUINT64_FORMAT " frames, skipped %" G_GUINT64_FORMAT
           ", rejected %" G_GUINT64_FORMAT " in %.3f s\n",
           netring_pcap_replay_get_frames_sent (replay),
           netring_pcap_replay_get_frames_skipped (replay),
           netring_pcap_replay_get_frames_rejected (replay),
           (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC);
  if (ctx.error != NULL)
    {
      gboolean cancelled = g_error_matches (ctx.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

      if (!cancelled)
        g_printerr ("replay failed: %s\n", ctx.error->message);
      g_clear_error (&ctx.error);
      return cancelled ? EXIT_SUCCESS : EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
