/* netring-tool.h: what the commands of the `netring` program share
 *
 * Option parsing and exit codes, errors, quit signals, the live status
 * line, the metrics endpoint, user-space filtering and the frame pump
 * used by `inject` and `demo`. Only the public API of the library is used.
 */
#pragma once

#include <netring/netring.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

G_BEGIN_DECLS

/* Exit codes: 0 success, 1 failure, 2 a usage error (as tcpdump and most
 * tools), 77 a missing privilege, so that a test harness can skip. */
#define TOOL_EXIT_FAILURE 1
#define TOOL_EXIT_USAGE 2
#define TOOL_EXIT_SKIP 77

/* IEEE 802 local experimental EtherType 1: nothing in the kernel answers
 * it, so the wire carries only the frames we send. */
#define TOOL_TEST_ETHERTYPE 0x88b5
#define TOOL_TEST_HEADER_LEN 18 /* Ethernet header + 32-bit sequence number */

/* The commands; each gets argv from its own name on. */
int tool_cmd_capture (int argc, char **argv);
int tool_cmd_inject (int argc, char **argv);
int tool_cmd_bridge (int argc, char **argv);
int tool_cmd_info (int argc, char **argv);
int tool_cmd_stats (int argc, char **argv);
int tool_cmd_testnet (int argc, char **argv);
int tool_cmd_demo (int argc, char **argv);

/* -------------------------------------------------------------- options */

gboolean tool_parse_options (GOptionContext *context, int *argc, char ***argv);
int tool_usage_error (const gchar *format, ...) G_GNUC_PRINTF (1, 2);
gchar *tool_join_arguments (int argc, char **argv, int first);
gboolean tool_parse_profile (const gchar *nick, NetringRingProfile *profile, GError **error);
gboolean tool_parse_mac (const gchar *text, guint8 mac[6]);

/* --------------------------------------------------------------- errors */

void tool_print_error (const gchar *what, const GError *error);
int tool_exit_status_for (const GError *error);

/* ------------------------------------------------------- main loop glue */

GPtrArray *tool_watch_quit_signals (GCancellable *cancellable);
void tool_destroy_sources (GPtrArray *sources);
GSource *tool_attach_timeout (guint interval_ms, GSourceFunc func, gpointer data);
gboolean tool_source_ended (const GError *error, GMainLoop *loop, GError **failure);

/* ----------------------------------------------------------- formatting */

gchar *tool_format_time_of_day (gint64 ns, gboolean nanoseconds);
gchar *tool_format_timestamp (gint64 ns);
const gchar *tool_direction_nick (guint8 direction);
const gchar *tool_enum_nick (GType type, gint value);
gchar *tool_flags_to_string (GType type, guint value);

/* ---------------------------------------------------------- status line */

/* A live status line on stderr, redrawn in place, only when stderr is a
 * terminal; rates are computed between two updates. */
typedef struct {
  gboolean enabled;
  gboolean shown;
  gint64 last_time;
  guint64 last_packets;
  guint64 last_bytes;
} ToolStatus;

void tool_status_init (ToolStatus *status, gboolean allowed);
void tool_status_update (ToolStatus  *status,
                         guint64      packets,
                         guint64      bytes,
                         const gchar *extra);
void tool_status_clear (ToolStatus *status);
#define TOOL_STATUS_INTERVAL_MS 250
#define TOOL_STATUS_NO_BYTES G_MAXUINT64 /* bytes not known: no Mbit/s */

/* -------------------------------------------------------------- metrics */

NetringMetrics *tool_metrics_serve (gint port, GError **error);

/* ------------------------------------------------------------ filtering */

gboolean tool_filter_matches (NetringBpfProgram *program,
                              const guint8      *data,
                              guint              captured_length,
                              guint              wire_length);

/* ----------------------------------------------------------- frame pump */

typedef void (*ToolFillFunc) (guint8 *frame, gsize length, guint32 seq, gpointer user_data);

/* Sends @count frames made by @fill through any sender: non-blocking sends
 * until the ring is full, then send_async() (which waits for room), an
 * optional rate (@pps) and an optional window of frames in flight beyond
 * *@acked. Ends with wait_drained; quits @loop when done or failed. */
typedef struct {
  GMainLoop *loop;
  GCancellable *cancellable;
  NetringSender *out;
  guint8 *frame;
  gsize size;
  guint32 count;
  guint32 next_seq;
  ToolFillFunc fill;
  gpointer fill_data;
  gdouble pps;              /* 0 = as fast as the ring takes them */
  gint64 start_us;
  GSource *pace;
  const guint32 *acked;     /* flow control (the demo); NULL = none */
  guint32 window;
  gboolean paused;
  gboolean drained;
  GError *error;
} ToolSender;

void tool_sender_pump (ToolSender *sender);
void tool_sender_clear (ToolSender *sender);

void tool_fill_test_frame (guint8       *frame,
                           gsize         length,
                           guint32       seq,
                           const guint8 *src,
                           const guint8 *dst);
gboolean tool_is_test_frame (const guint8 *data, gsize length);
guint32 tool_test_frame_seq (const guint8 *frame);

void tool_print_injector_stats (const NetringInjectorStats *stats);

G_END_DECLS
