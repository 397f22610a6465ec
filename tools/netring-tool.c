/* netring-tool.c: what the commands of the `netring` program share */
#include "config.h"

#include "netring-tool.h"

#include <glib-unix.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <pcap/bpf.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* -------------------------------------------------------------- options */

/* Parses @context; --help prints to stdout and exits 0 (GOption does so).
 * A bad option prints a message on stderr: the caller exits with
 * TOOL_EXIT_USAGE. */
gboolean
tool_parse_options (GOptionContext *context, int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      g_printerr (_("Run “%s --help” to see the options.\n"), g_get_prgname ());
      return FALSE;
    }
  return TRUE;
}

/* Prints "netring CMD: <message>" and the hint on stderr; returns the
 * usage exit code for `return tool_usage_error (…)`. */
int
tool_usage_error (const gchar *format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: %s\n", g_get_prgname (), message);
  g_printerr (_("Run “%s --help” to see the options.\n"), g_get_prgname ());
  return TOOL_EXIT_USAGE;
}

/* The arguments left after the options, from @first on, joined by spaces
 * (a filter expression given as several words, as tcpdump takes it), or
 * NULL when there are none. */
gchar *
tool_join_arguments (int argc, char **argv, int first)
{
  g_autoptr(GString) joined = NULL;
  int i;

  for (i = first; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--"))
        continue;
      if (joined == NULL)
        joined = g_string_new (argv[i]);
      else
        g_string_append_printf (joined, " %s", argv[i]);
    }
  return joined != NULL ? g_string_free (g_steal_pointer (&joined), FALSE) : NULL;
}

gboolean
tool_parse_profile (const gchar *nick, NetringRingProfile *profile, GError **error)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (NETRING_TYPE_RING_PROFILE);
  GEnumValue *value;

  if (nick == NULL)
    {
      *profile = NETRING_RING_PROFILE_DEFAULT;
      return TRUE;
    }
  value = g_enum_get_value_by_nick (klass, nick);
  if (value == NULL)
    {
      g_autoptr(GString) names = g_string_new (NULL);
      guint i;

      for (i = 0; i < klass->n_values; i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "", klass->values[i].value_nick);
      /* TRANSLATORS: first %s is what the user typed, second the list of
       * valid profile names */
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("Unknown ring profile “%s” (valid: %s)"), nick, names->str);
      return FALSE;
    }
  *profile = (NetringRingProfile) value->value;
  return TRUE;
}

/* "02:00:00:00:00:01" (or with dashes) into @mac. */
gboolean
tool_parse_mac (const gchar *text, guint8 mac[6])
{
  guint bytes[6];
  gchar sep[5];
  gchar end;
  int n, i;

  n = sscanf (text, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &bytes[0], &sep[0], &bytes[1], &sep[1],
              &bytes[2], &sep[2], &bytes[3], &sep[3], &bytes[4], &sep[4], &bytes[5], &end);
  if (n != 11)
    return FALSE;
  for (i = 0; i < 5; i++)
    if (sep[i] != ':' && sep[i] != '-')
      return FALSE;
  for (i = 0; i < 6; i++)
    mac[i] = (guint8) bytes[i];
  return TRUE;
}

/* --------------------------------------------------------------- errors */

void
tool_print_error (const gchar *what, const GError *error)
{
  /* TRANSLATORS: %s: what failed, then the reason */
  g_printerr (_("netring: %s: %s\n"), what, error->message);
  if (g_error_matches (error, NETRING_ERROR, NETRING_ERROR_PERMISSION_DENIED))
    g_printerr (_("netring: run as root, or grant the program the capability: "
                  "setcap cap_net_raw,cap_net_admin+ep netring\n"));
}

/* Exit status for an error: 77 when the cause is a missing privilege, so
 * that test harnesses can tell "skipped" from "broken". */
int
tool_exit_status_for (const GError *error)
{
  return g_error_matches (error, NETRING_ERROR, NETRING_ERROR_PERMISSION_DENIED)
           ? TOOL_EXIT_SKIP : TOOL_EXIT_FAILURE;
}

/* ------------------------------------------------------- main loop glue */

static gboolean
on_quit_signal (gpointer user_data)
{
  GCancellable *cancellable = user_data;

  g_cancellable_cancel (cancellable);
  return G_SOURCE_CONTINUE; /* a second Ctrl-C must not kill us half-way */
}

/* SIGINT and SIGTERM cancel @cancellable, in the thread-default context
 * (g_unix_signal_add() would tie us to the global default context).
 * Returns the sources so the caller can destroy them. */
GPtrArray *
tool_watch_quit_signals (GCancellable *cancellable)
{
  GPtrArray *sources = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  GMainContext *context = g_main_context_get_thread_default ();
  const int signals[] = { SIGINT, SIGTERM };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (signals); i++)
    {
      GSource *source = g_unix_signal_source_new (signals[i]);

      g_source_set_callback (source, on_quit_signal, g_object_ref (cancellable), g_object_unref);
      g_source_set_name (source, "netring quit signal");
      g_source_attach (source, context);
      g_ptr_array_add (sources, source);
    }
  return sources;
}

void
tool_destroy_sources (GPtrArray *sources)
{
  guint i;

  for (i = 0; i < sources->len; i++)
    g_source_destroy (g_ptr_array_index (sources, i));
  g_ptr_array_unref (sources);
}

GSource *
tool_attach_timeout (guint interval_ms, GSourceFunc func, gpointer data)
{
  GSource *source = g_timeout_source_new (interval_ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

/* A receive source ended with @error: cancellation is Ctrl-C, a normal end,
 * not a failure; anything else is kept in *@failure (the first one only). */
gboolean
tool_source_ended (const GError *error, GMainLoop *loop, GError **failure)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && *failure == NULL)
    *failure = g_error_copy (error);
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* ----------------------------------------------------------- formatting */

/* "12:34:56.123456" (or 9 digits) in local time; @ns is nanoseconds since
 * the epoch. */
gchar *
tool_format_time_of_day (gint64 ns, gboolean nanoseconds)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (ns / G_GINT64_CONSTANT (1000000000));
  g_autofree gchar *hms = NULL;
  gint64 fraction = ns % G_GINT64_CONSTANT (1000000000);

  if (dt == NULL)
    return g_strdup ("??:??:??");
  hms = g_date_time_format (dt, "%H:%M:%S");
  if (nanoseconds)
    return g_strdup_printf ("%s.%09" G_GINT64_FORMAT, hms, fraction);
  return g_strdup_printf ("%s.%06" G_GINT64_FORMAT, hms, fraction / 1000);
}

/* Full date, for the first and last timestamps of the demo. */
gchar *
tool_format_timestamp (gint64 ns)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (ns / G_GINT64_CONSTANT (1000000000));
  g_autofree gchar *date = NULL;

  if (dt == NULL)
    return g_strdup ("?");
  date = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
  return g_strdup_printf ("%s.%09" G_GINT64_FORMAT, date,
                          ns % G_GINT64_CONSTANT (1000000000));
}

/* The nick of @value in the enum @type, "unknown" when it has none. The
 * class of a registered static type stays alive, so the nick outlives the
 * unref. */
const gchar *
tool_enum_nick (GType type, gint value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *ev = g_enum_get_value (klass, value);

  return ev != NULL ? ev->value_nick : "unknown";
}

const gchar *
tool_direction_nick (guint8 direction)
{
  return tool_enum_nick (NETRING_TYPE_PACKET_DIRECTION, direction);
}

/* "up,broadcast,running" for the flags @value of @type. */
gchar *
tool_flags_to_string (GType type, guint value)
{
  g_autoptr(GFlagsClass) klass = g_type_class_ref (type);
  g_autoptr(GString) text = g_string_new (NULL);
  guint i;

  for (i = 0; i < klass->n_values; i++)
    {
      const GFlagsValue *fv = &klass->values[i];

      if (fv->value != 0 && (value & fv->value) == fv->value)
        g_string_append_printf (text, "%s%s", text->len ? "," : "", fv->value_nick);
    }
  if (text->len == 0)
    g_string_append (text, "none");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* ---------------------------------------------------------- status line */

void
tool_status_init (ToolStatus *status, gboolean allowed)
{
  memset (status, 0, sizeof *status);
  status->enabled = allowed && isatty (STDERR_FILENO);
  status->last_time = g_get_monotonic_time ();
}

/* Redraws the line: totals, then the rates since the last update, then
 * @extra (drops, held blocks, …). Callers update at most every
 * TOOL_STATUS_INTERVAL_MS. */
void
tool_status_update (ToolStatus  *status,
                    guint64      packets,
                    guint64      bytes,
                    const gchar *extra)
{
  gint64 now = g_get_monotonic_time ();
  gdouble seconds = (now - status->last_time) / 1e6;
  gdouble pps = 0, mbps = 0;

  if (!status->enabled)
    return;
  if (seconds > 0)
    {
      pps = (packets - status->last_packets) / seconds;
      if (bytes != TOOL_STATUS_NO_BYTES)
        mbps = (bytes - status->last_bytes) * 8.0 / seconds / 1e6;
    }
  status->last_time = now;
  status->last_packets = packets;
  status->last_bytes = bytes;
  /* \r and "erase to the end of the line": the line is redrawn in place */
  g_printerr ("\r\033[K");
  /* TRANSLATORS: the live status line: total packets, then packets per
   * second since the last update */
  g_printerr (_("%" PRIu64 " packets  %.0f pkt/s"), packets, pps);
  if (bytes != TOOL_STATUS_NO_BYTES)
    /* TRANSLATORS: megabits per second, in the live status line */
    g_printerr (_("  %.1f Mbit/s"), mbps);
  if (extra != NULL && extra[0] != '\0')
    g_printerr ("  %s", extra);
  status->shown = TRUE;
}

void
tool_status_clear (ToolStatus *status)
{
  if (status->shown)
    g_printerr ("\r\033[K");
  status->shown = FALSE;
}

/* -------------------------------------------------------------- metrics */

/* Serves every registered object's counters at /metrics on every address, port @port,
 * through NetringMetrics (a library built without metrics-http says so in
 * the error). */
NetringMetrics *
tool_metrics_serve (gint port, GError **error)
{
  g_autoptr(NetringMetrics) metrics = netring_metrics_new ();

  if (port <= 0 || port > 65535)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--metrics-port must be between 1 and 65535"));
      return NULL;
    }
  if (netring_metrics_serve (metrics, NULL, (guint) port, error) == 0)
    return NULL;
  return g_steal_pointer (&metrics);
}

/* ------------------------------------------------------------ filtering */

/* Runs @program over one frame in user space (libpcap's interpreter over
 * the instructions the library compiled): for files read with -r and for
 * AF_XDP sockets, where no socket filter applies. */
gboolean
tool_filter_matches (NetringBpfProgram *program,
                     const guint8      *data,
                     guint              captured_length,
                     guint              wire_length)
{
  const NetringBpfInstruction *insns;
  guint n = 0;

  if (program == NULL)
    return TRUE;
  insns = netring_bpf_program_get_instructions (program, &n);
  G_STATIC_ASSERT (sizeof (NetringBpfInstruction) == sizeof (struct bpf_insn));
  return bpf_filter ((const struct bpf_insn *) insns, data, wire_length, captured_length) != 0;
}

/* ----------------------------------------------------------- frame pump */

/* Frame @seq: Ethernet header, TOOL_TEST_ETHERTYPE, big-endian @seq, then
 * bytes that depend on @seq and their position, so that a frame that
 * arrives damaged, truncated or out of place never compares equal. */
void
tool_fill_test_frame (guint8       *frame,
                      gsize         length,
                      guint32       seq,
                      const guint8 *src,
                      const guint8 *dst)
{
  guint32 be = htonl (seq);
  gsize i;

  memcpy (frame, dst, 6);
  memcpy (frame + 6, src, 6);
  frame[12] = TOOL_TEST_ETHERTYPE >> 8;
  frame[13] = TOOL_TEST_ETHERTYPE & 0xff;
  memcpy (frame + 14, &be, 4);
  for (i = TOOL_TEST_HEADER_LEN; i < length; i++)
    frame[i] = (guint8) (seq * 31u + i * 7u);
}

gboolean
tool_is_test_frame (const guint8 *data, gsize length)
{
  return length >= TOOL_TEST_HEADER_LEN &&
         data[12] == (TOOL_TEST_ETHERTYPE >> 8) && data[13] == (TOOL_TEST_ETHERTYPE & 0xff);
}

guint32
tool_test_frame_seq (const guint8 *frame)
{
  guint32 be;

  memcpy (&be, frame + 14, 4);
  return ntohl (be);
}

static void
sender_fail (ToolSender *sender, GError *error)
{
  if (sender->error == NULL)
    sender->error = error;
  else
    g_error_free (error);
  g_main_loop_quit (sender->loop);
}

static void
sender_drained_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  ToolSender *sender = user_data;
  GError *error = NULL;

  if (!netring_sender_wait_drained_finish (NETRING_SENDER (object), result, &error))
    {
      sender_fail (sender, error);
      return;
    }
  sender->drained = TRUE;
  g_main_loop_quit (sender->loop);
}

static void
sender_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  ToolSender *sender = user_data;
  GError *error = NULL;

  if (!netring_sender_send_finish (NETRING_SENDER (object), result, &error))
    {
      sender_fail (sender, error);
      return;
    }
  sender->next_seq++;
  tool_sender_pump (sender);
}

static gboolean
sender_on_pace (gpointer user_data)
{
  ToolSender *sender = user_data;

  g_clear_pointer (&sender->pace, g_source_unref);
  tool_sender_pump (sender);
  return G_SOURCE_REMOVE;
}

/* With a rate: how long until frame next_seq is due, 0 when it is. */
static gint64
sender_wait_us (ToolSender *sender)
{
  gint64 due, now;

  if (sender->pps <= 0)
    return 0;
  if (sender->start_us == 0)
    sender->start_us = g_get_monotonic_time ();
  due = sender->start_us + (gint64) (sender->next_seq * 1e6 / sender->pps);
  now = g_get_monotonic_time ();
  return due > now ? due - now : 0;
}

/* Queues frames with the non-blocking send() until the ring is full, then
 * kicks the kernel and hands the next frame to send_async(), which waits
 * for a free slot (POLLOUT) in the main loop: backpressure without
 * blocking the loop and without busy-waiting. With a rate, a timer wakes
 * the pump when the next frame is due. */
void
tool_sender_pump (ToolSender *sender)
{
  GError *error = NULL;

  while (sender->next_seq < sender->count)
    {
      gint64 wait_us;

      if (g_cancellable_is_cancelled (sender->cancellable))
        {
          sender_fail (sender, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                    _("Operation was cancelled")));
          return;
        }
      if (sender->window > 0 && sender->next_seq - *sender->acked >= sender->window)
        {
          /* The receiver is behind: kick what is queued and wait until it
           * catches up (the caller calls tool_sender_pump() again). */
          if (netring_sender_flush (sender->out, &error) < 0)
            sender_fail (sender, error);
          else
            sender->paused = TRUE;
          return;
        }
      wait_us = sender_wait_us (sender);
      if (wait_us > 0)
        {
          if (netring_sender_flush (sender->out, &error) < 0)
            {
              sender_fail (sender, error);
              return;
            }
          sender->pace = tool_attach_timeout ((guint) MAX (1, wait_us / 1000), sender_on_pace,
                                              sender);
          return;
        }
      sender->fill (sender->frame, sender->size, sender->next_seq, sender->fill_data);
      if (netring_sender_send (sender->out, sender->frame, sender->size, &error))
        {
          sender->next_seq++;
          if (sender->pps > 0)
            {
              /* paced frames go out one by one, not when the ring fills */
              if (netring_sender_flush (sender->out, &error) < 0)
                {
                  sender_fail (sender, error);
                  return;
                }
            }
          continue;
        }
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          sender_fail (sender, error);
          return;
        }
      g_clear_error (&error);

      if (netring_sender_flush (sender->out, &error) < 0)
        {
          sender_fail (sender, error);
          return;
        }
      {
        g_autoptr(GBytes) frame = g_bytes_new (sender->frame, sender->size);

        netring_sender_send_async (sender->out, frame, sender->cancellable, sender_sent_cb,
                                   sender);
      }
      return;
    }

  if (netring_sender_flush (sender->out, &error) < 0)
    {
      sender_fail (sender, error);
      return;
    }
  netring_sender_wait_drained_async (sender->out, 5000, sender->cancellable,
                                     sender_drained_cb, sender);
}

void
tool_sender_clear (ToolSender *sender)
{
  if (sender->pace != NULL)
    {
      g_source_destroy (sender->pace);
      g_clear_pointer (&sender->pace, g_source_unref);
    }
}

void
tool_print_injector_stats (const NetringInjectorStats *stats)
{
  g_print (_("Injector: %" PRIu64 " queued, %" PRIu64 " sent "
             "(%" PRIu64 " bytes), %" PRIu64 " rejected by the kernel, "
             "%" PRIu64 " refused, %" PRIu64 " kicks\n"),
           stats->frames_queued, stats->frames_sent, stats->bytes_sent,
           stats->frames_rejected, stats->frames_refused, stats->kicks);
  if (stats->last_reject_errno != 0)
    g_print (_("Last rejection: %s\n"), g_strerror (stats->last_reject_errno));
}
