/* async_metrics.c: a capture's counters as Prometheus metrics over HTTP.
 *
 * A NetringMetrics collector holds the capture (weakly) under an instance
 * name and serves the text exposition at /metrics from a server of its own,
 * in the thread-default main context: the loop that runs the capture
 * answers the scrapes too, and every counter is read when it is scraped.
 * Once COUNT packets arrived, a scraper thread (standing in for Prometheus)
 * fetches the page with a plain HTTP GET and the example prints what it got.
 *
 *   sudo ./example-async_metrics eth0 [COUNT [SECONDS [PORT]]]
 *   curl http://127.0.0.1:PORT/metrics           (while it runs)
 *
 * Prints "listening on IFACE, metrics at http://127.0.0.1:PORT/metrics",
 * then "received N packets", then the scraped page, in which
 * netring_capture_received_total{iface="IFACE",instance="example"} is N.
 * Without the metrics-http feature it prints netring_metrics_render().
 */
#include <netring/netring.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  GMainLoop *loop;
  guint port;
  guint64 wanted;
  guint64 packets;
  gboolean timed_out;
  GThread *scraper;
  gchar *page;   /* what the scraper got, set before it quits the loop */
  GError *error;
} Context;

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* A scrape as any HTTP client does it: connect, GET, read until the server
 * closes (HTTP/1.0). Runs in its own thread, because the main thread's loop
 * must keep running to answer. */
static gpointer
scrape (gpointer user_data)
{
  Context *ctx = user_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  const char *request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  const char *body;
  char buffer[4096];
  gssize n;

  g_socket_client_set_enable_proxy (client, FALSE);  /* straight to ourselves */
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) ctx->port,
                                                NULL, &ctx->error);
  if (connection != NULL &&
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                 request, strlen (request), NULL, NULL, &ctx->error))
    {
      GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));

      while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, &ctx->error)) > 0)
        g_string_append_len (response, buffer, n);
      body = strstr (response->str, "\r\n\r\n");
      if (n == 0)
        ctx->page = g_strdup (body != NULL ? body + 4 : response->str);
    }
  g_main_context_invoke (g_main_loop_get_context (ctx->loop), quit_loop, ctx->loop);
  return NULL;
}

static gboolean
on_batch (NetringReceiver *receiver,
          NetringBatch    *batch,
          const GError    *error,
          gpointer         user_data)
{
  Context *ctx = user_data;

  if (error != NULL)
    {
      ctx->error = g_error_copy (error);
      g_main_loop_quit (ctx->loop);
      return G_SOURCE_REMOVE;
    }
  ctx->packets += netring_batch_get_n_packets (batch);
  if (ctx->packets < ctx->wanted)
    return G_SOURCE_CONTINUE;

  if (ctx->port == 0)
    g_main_loop_quit (ctx->loop);  /* no HTTP: rendered below */
  else
    ctx->scraper = g_thread_new ("scraper", scrape, ctx);
  return G_SOURCE_REMOVE;
}

static gboolean
on_deadline (gpointer user_data)
{
  Context *ctx = user_data;

  if (ctx->scraper != NULL)
    return G_SOURCE_REMOVE;  /* the scrape is under way; it ends the loop */
  ctx->timed_out = TRUE;
  g_main_loop_quit (ctx->loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(NetringMetrics) metrics = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GSource) source = NULL;
  g_autoptr(GSource) deadline = NULL;
  Context ctx = { 0 };
  guint seconds, port;

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr ("usage: %s INTERFACE [COUNT [SECONDS [PORT]]]\n", argv[0]);
      return EXIT_FAILURE;
    }
  ctx.wanted = argc > 2 ? g_ascii_strtoull (argv[2], NULL, 10) : 50;
  seconds = argc > 3 ? (guint) g_ascii_strtoull (argv[3], NULL, 10) : 60;
  port = argc > 4 ? (guint) g_ascii_strtoull (argv[4], NULL, 10) : 0;

  capture = netring_capture_new (argv[1], &error);
  if (capture == NULL)
    {
      g_printerr ("cannot open %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  metrics = netring_metrics_new ();
  netring_metrics_add (metrics, G_OBJECT (capture), "example");
  /* port 0: one the kernel chooses, returned */
  ctx.port = netring_metrics_serve (metrics, "127.0.0.1", port, &error);
  if (ctx.port == 0)
    {
      if (!g_error_matches (error, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED))
        {
          g_printerr ("cannot serve the metrics: %s\n", error->message);
          return EXIT_FAILURE;
        }
      g_printerr ("%s; printing the text instead\n", error->message);
      g_clear_error (&error);
    }

  loop = g_main_loop_new (NULL, FALSE);
  ctx.loop = loop;
  source = netring_receiver_create_source (NETRING_RECEIVER (capture), NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (on_batch), &ctx, NULL);
  g_source_attach (source, NULL);
  deadline = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (deadline, on_deadline, &ctx, NULL);
  g_source_attach (deadline, NULL);

  if (ctx.port != 0)
    g_print ("listening on %s, metrics at http://127.0.0.1:%u/metrics\n", argv[1], ctx.port);
  else
    g_print ("listening on %s\n", argv[1]);
  fflush (stdout);
  if (ctx.wanted > 0)
    g_main_loop_run (loop);
  else if (ctx.port != 0)
    {
      ctx.scraper = g_thread_new ("scraper", scrape, &ctx);
      g_main_loop_run (loop);
    }
  g_source_destroy (source);
  g_source_destroy (deadline);
  if (ctx.scraper != NULL)
    g_thread_join (ctx.scraper);

  g_print ("received %" G_GUINT64_FORMAT " packets%s\n", ctx.packets,
           ctx.timed_out ? " (time limit reached)" : "");
  if (ctx.error != NULL)
    {
      g_printerr ("failed: %s\n", ctx.error->message);
      g_clear_error (&ctx.error);
      return EXIT_FAILURE;
    }
  if (ctx.page == NULL)
    ctx.page = netring_metrics_render (metrics);
  g_print ("%s", ctx.page);
  g_free (ctx.page);
  return EXIT_SUCCESS;
}
