/* test-privileges.c: what each object needs, and privilege separation.
 *
 * The program under test runs as a child of this test (the same binary,
 * with --child), started through setpriv(1) with a reduced capability
 * bounding set (as root, a program's capabilities after exec are its
 * bounding set) or as nobody with no capability at all. The child tells
 * what it has ("uid", "caps": its CapEff) and what it did on its standard
 * output, one line each; the parent, root in the test's private network
 * namespace (which the child inherits), puts the frames on the wire and
 * checks them there, byte for byte and count for count.
 *
 * - capture and injection need CAP_NET_RAW and nothing else (promiscuous
 *   mode included); without it the GError names CAP_NET_RAW;
 * - an XDP socket with its own redirect program needs CAP_NET_RAW,
 *   CAP_NET_ADMIN and CAP_SYS_ADMIN (libxdp looks programs up by id) and
 *   locked memory for its UMEM; without one of them the GError names it and
 *   nothing is left attached; with #NetringXdpSocket:program none it needs
 *   CAP_NET_RAW and locked memory only;
 * - netring-helper, run as root, hands sockets to a child running as nobody
 *   with no capability, which captures and injects through them, and
 *   AF_XDP sockets (with their UMEM), which it receives and sends on;
 * - a descriptor of the wrong kind is refused, naming the rule, and closed.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <arpa/inet.h>

#include <bpf/libbpf.h>
#include <glib/gstdio.h>
#include <netring/netring.h>

#include "nr-test-net.h"

#define CAP_NET_RAW_BIT 13

/* How long a child waits for its frames before it gives up: a hang guard,
 * never a pacing. */
#define CHILD_GUARD_S 20

static const guint8 mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const guint8 mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static gchar *self_path;    /* this binary, for the children */
static gchar *helper_path;  /* the built netring-helper */

/* ---- the child ------------------------------------------------------------ */

static void
child_say (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
child_say (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  putchar ('\n');
  fflush (stdout);
}

static int
child_error (const GError *error)
{
  child_say ("error %s %d %s", g_quark_to_string (error->domain), error->code, error->message);
  return 3;
}

static void
child_identify (void)
{
  g_autofree gchar *status = NULL;
  g_auto(GStrv) lines = NULL;

  child_say ("uid %u", (guint) getuid ());
  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    {
      lines = g_strsplit (status, "\n", 0);
      for (gchar **line = lines; *line != NULL; line++)
        if (g_str_has_prefix (*line, "CapEff:"))
          child_say ("caps %s", g_strstrip (*line + strlen ("CapEff:")));
    }
}

/* Receives @count test frames and prints them in hex. */
static int
child_capture (NetringReceiver *capture, guint count)
{
  gint64 deadline = g_get_monotonic_time () + CHILD_GUARD_S * G_USEC_PER_SEC;
  guint seen = 0;

  child_say ("ready");
  while (seen < count && g_get_monotonic_time () < deadline)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch =
        netring_receiver_next_batch_timeout (capture, 200, NULL, &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      if (batch == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            continue;
          return child_error (error);
        }
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          g_autoptr(GString) hex = g_string_new ("frame ");

          if (info.captured_length < 14 || info.data[12] != (NR_TEST_ETHERTYPE >> 8) ||
              info.data[13] != (NR_TEST_ETHERTYPE & 0xff))
            continue;
          for (guint32 i = 0; i < info.captured_length; i++)
            g_string_append_printf (hex, "%02x", info.data[i]);
          child_say ("%s", hex->str);
          seen++;
        }
    }
  child_say ("done %u", seen);
  return 0;
}

static int
child_inject (NetringSender *injector, guint count, gsize length)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *frame = g_malloc (length);

  child_say ("ready");
  for (guint32 seq = 0; seq < count; seq++)
    {
      nr_test_frame_fill (frame, length, seq, mac_a, mac_b);
      if (!netring_sender_send (injector, frame, length, &error))
        return child_error (error);
    }
  if (netring_sender_flush (injector, &error) < 0 ||
      !netring_sender_wait_drained (injector, CHILD_GUARD_S * 1000, NULL, &error))
    return child_error (error);
  child_say ("sent %u", count);
  return 0;
}

/* --child KIND ARGS…: what the program under test does, with the
 * privileges setpriv left it. */
static int
child_main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  const char *kind = argv[2];
  const char *ifname = argv[3];

  child_identify ();
  if (g_str_equal (kind, "capture") && argc == 5)
    {
      g_autoptr(NetringCapture) capture =
        g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", ifname,
                        "promiscuous", TRUE, "block-timeout-ms", 10, "block-size", 1 << 20,
                        "block-count", 4, NULL);

      return capture == NULL ? child_error (error) : child_capture (NETRING_RECEIVER (capture), atoi (argv[4]));
    }
  if (g_str_equal (kind, "capture-options") && argc == 4)
    {
      /* the options beyond the socket: busy polling, fanout and a filter
       * need nothing more; a forced receive buffer needs CAP_NET_ADMIN */
      g_autoptr(NetringCapture) with_options =
        g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", ifname, "busy-poll-us",
                        50, "fanout-group", 7, "filter", "ether proto 0x88b5", "block-size",
                        1 << 20, "block-count", 2, NULL);
      g_autoptr(NetringCapture) forced = NULL;

      if (with_options == NULL)
        return child_error (error);
      child_say ("ok");
      forced = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", ifname, "rcvbuf",
                               1 << 20, "rcvbuf-force", TRUE, "block-size", 1 << 20,
                               "block-count", 2, NULL);
      if (forced == NULL)
        return child_error (error);
      child_say ("ok");
      return 0;
    }
  if (g_str_equal (kind, "inject") && argc == 6)
    {
      g_autoptr(NetringInjector) injector = netring_injector_new (ifname, &error);

      return injector == NULL ? child_error (error)
                              : child_inject (NETRING_SENDER (injector), atoi (argv[4]),
                                            atoi (argv[5]));
    }
  if (g_str_equal (kind, "helper-capture") && argc == 6)
    {
      int fd = netring_helper_request_capture_fd (argv[4], ifname, NULL, &error);
      g_autoptr(NetringCapture) capture = NULL;

      if (fd < 0)
        return child_error (error);
      capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", ifname, "fd", fd,
                                "promiscuous", TRUE, "block-timeout-ms", 10, "block-size", 1 << 20,
                        "block-count", 4, NULL);
      return capture == NULL ? child_error (error) : child_capture (NETRING_RECEIVER (capture),
                                                                     atoi (argv[5]));
    }
  if (g_str_equal (kind, "helper-inject") && argc == 7)
    {
      int fd = netring_helper_request_injector_fd (argv[4], ifname, NULL, &error);
      g_autoptr(NetringInjector) injector = NULL;

      if (fd < 0)
        return child_error (error);
      injector = netring_injector_new_from_fd (ifname, fd, &error);
      return injector == NULL ? child_error (error)
                              : child_inject (NETRING_SENDER (injector), atoi (argv[5]),
                                            atoi (argv[6]));
    }
  if (g_str_equal (kind, "helper-xdp") && argc == 8)
    {
      /* receives argv[5] frames, then sends argv[6] frames of argv[7]
       * bytes and a 64-byte marker numbered argv[6] + 1000 */
      g_autoptr(NetringXdpSocket) xsk =
        netring_helper_request_xdp_socket (argv[4], ifname, 0, NETRING_XDP_MODE_RX_TX, 4096, 256,
                                           NULL, &error);
      g_autofree guint8 *marker = g_malloc (64);
      guint count = (guint) atoi (argv[6]);
      int status;

      if (xsk == NULL)
        return child_error (error);
      child_say ("program %u", netring_xdp_socket_get_program_id (xsk));
      status = child_capture (NETRING_RECEIVER (xsk), atoi (argv[5]));
      if (status == 0)
        status = child_inject (NETRING_SENDER (xsk), count, atoi (argv[7]));
      if (status != 0)
        return status;
      nr_test_frame_fill (marker, 64, count + 1000, mac_a, mac_b);
      if (!netring_sender_send (NETRING_SENDER (xsk), marker, 64, &error) ||
          netring_sender_flush (NETRING_SENDER (xsk), &error) < 0 ||
          !netring_sender_wait_drained (NETRING_SENDER (xsk), CHILD_GUARD_S * 1000, NULL,
                                        &error))
        return child_error (error);
      return 0;
    }
  if (g_str_equal (kind, "xdp") && argc == 6)
    {
      g_autoptr(NetringXdpSocket) xsk =
        g_initable_new (NETRING_TYPE_XDP_SOCKET, NULL, &error, "interface", ifname, "queue-id", 0,
                        "frame-count", atoi (argv[5]), "attach-mode",
                        NETRING_XDP_ATTACH_MODE_GENERIC, "program",
                        g_str_equal (argv[4], "none") ? NETRING_XDP_PROGRAM_NONE
                                                      : NETRING_XDP_PROGRAM_DEFAULT,
                        NULL);

      if (xsk == NULL)
        return child_error (error);
      child_say ("ok");
      return 0;
    }
  child_say ("error usage 0 unknown child command");
  return 2;
}

/* ---- the parent's side ------------------------------------------------------ */

typedef struct {
  GSubprocess *process;
  GDataInputStream *out;
  guint uid;
  guint64 caps;
} Child;

static void
child_free (Child *child)
{
  g_clear_object (&child->out);
  if (child->process != NULL)
    {
      g_subprocess_force_exit (child->process);
      g_subprocess_wait (child->process, NULL, NULL);
    }
  g_clear_object (&child->process);
  g_free (child);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Child, child_free)

/* The next line of the child, or NULL at its end. */
static gchar *
child_read_line (Child *child)
{
  g_autoptr(GError) error = NULL;
  gchar *line = g_data_input_stream_read_line_utf8 (child->out, NULL, NULL, &error);

  g_assert_no_error (error);
  return line;
}

/* Runs this binary with --child @args under setpriv with @setpriv_args
 * (NULL-terminated each), optionally under prlimit @memlock (bytes, 0 to
 * leave the limit), and reads what it is. */
static Child *
child_spawn (const char *const *setpriv_args, guint64 memlock, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  Child *child = g_new0 (Child, 1);
  g_autofree gchar *uid_line = NULL;
  g_autofree gchar *caps_line = NULL;

  if (memlock != 0)
    {
      g_ptr_array_add (argv, g_strdup ("prlimit"));
      g_ptr_array_add (argv, g_strdup_printf ("--memlock=%" G_GUINT64_FORMAT, memlock));
    }
  g_ptr_array_add (argv, g_strdup ("setpriv"));
  for (; *setpriv_args != NULL; setpriv_args++)
    g_ptr_array_add (argv, g_strdup (*setpriv_args));
  g_ptr_array_add (argv, g_strdup ("--"));
  g_ptr_array_add (argv, g_strdup (self_path));
  g_ptr_array_add (argv, g_strdup ("--child"));
  for (; *args != NULL; args++)
    g_ptr_array_add (argv, g_strdup (*args));
  g_ptr_array_add (argv, NULL);

  child->process = g_subprocess_newv ((const char *const *) argv->pdata,
                                      G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  child->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child->process));

  uid_line = child_read_line (child);
  g_assert_nonnull (uid_line);
  g_assert_true (g_str_has_prefix (uid_line, "uid "));
  child->uid = (guint) g_ascii_strtoull (uid_line + 4, NULL, 10);
  caps_line = child_read_line (child);
  g_assert_nonnull (caps_line);
  g_assert_true (g_str_has_prefix (caps_line, "caps "));
  child->caps = g_ascii_strtoull (caps_line + 5, NULL, 16);
  return child;
}

/* Reads until a line that starts with @prefix, which it returns; fails on
 * an "error" line or at the end. */
static gchar *
child_expect (Child *child, const char *prefix)
{
  for (;;)
    {
      g_autofree gchar *line = child_read_line (child);

      if (line == NULL)
        g_error ("the child ended before “%s”", prefix);
      if (g_str_has_prefix (line, prefix))
        return g_steal_pointer (&line);
      if (g_str_has_prefix (line, "error "))
        g_error ("the child failed: %s", line);
    }
}

/* The child's error line, split: domain, code and message. */
typedef struct {
  gchar *domain;
  gint code;
  gchar *message;
} ChildError;

static void
child_error_clear (ChildError *e)
{
  g_free (e->domain);
  g_free (e->message);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ChildError, child_error_clear)

static void
child_expect_error (Child *child, ChildError *e)
{
  g_autofree gchar *line = NULL;
  g_auto(GStrv) parts = NULL;

  for (;;)
    {
      g_free (line);
      line = child_read_line (child);
      if (line == NULL)
        g_error ("the child ended without an error");
      if (g_str_has_prefix (line, "error "))
        break;
      if (g_str_equal (line, "ok") || g_str_equal (line, "ready"))
        g_error ("the child succeeded where it must fail");
    }
  parts = g_strsplit (line, " ", 4);
  g_assert_cmpuint (g_strv_length (parts), ==, 4);
  e->domain = g_strdup (parts[1]);
  e->code = atoi (parts[2]);
  e->message = g_strdup (parts[3]);
  g_test_message ("child: %s", line);
}

static void
child_wait_success (Child *child)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_wait_check (child->process, NULL, &error);
  g_assert_no_error (error);
}

/* Reads the child's "frame" lines until "done": @count test frames of
 * @length, numbered from 0, in order, byte for byte. */
static void
child_check_frames (Child *child, guint count, gsize length)
{
  guint seen = 0;

  for (;;)
    {
      g_autofree gchar *line = child_read_line (child);
      g_autofree guint8 *data = NULL;
      gsize n;

      g_assert_nonnull (line);
      if (g_str_has_prefix (line, "done "))
        {
          g_assert_cmpuint ((guint) atoi (line + 5), ==, count);
          break;
        }
      if (g_str_has_prefix (line, "error "))
        g_error ("the child failed: %s", line);
      g_assert_true (g_str_has_prefix (line, "frame "));
      n = strlen (line + 6) / 2;
      data = g_malloc (n);
      for (gsize i = 0; i < n; i++)
        data[i] = (guint8) ((g_ascii_xdigit_value (line[6 + 2 * i]) << 4) |
                            g_ascii_xdigit_value (line[6 + 2 * i + 1]));
      g_assert_cmpuint (n, ==, length);
      g_assert_cmpuint (seen, <, count);
      g_assert_true (nr_test_frame_check (data, n, seen, mac_a, mac_b));
      seen++;
    }
  g_assert_cmpuint (seen, ==, count);
}

/* Receives test frames on @capture until @count arrived (checked byte for
 * byte, in order), then checks that no more follow once the witness of the
 * last one has been handled. */
static void
parent_receive (NetringCapture *capture, const NrTestVeth *veth, guint count, gsize length)
{
  gint64 deadline = g_get_monotonic_time () + CHILD_GUARD_S * G_USEC_PER_SEC;
  guint seen = 0;

  while (seen < count && g_get_monotonic_time () < deadline)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch =
        netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 200, NULL, &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      if (batch == NULL)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
          continue;
        }
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          g_assert_cmpuint (seen, <, count);
          g_assert_cmpuint (info.captured_length, ==, length);
          g_assert_true (nr_test_frame_check (info.data, info.captured_length, seen, mac_a,
                                              mac_b));
          seen++;
        }
    }
  g_assert_cmpuint (seen, ==, count);

  /* Count for count: a marker sent now comes after anything the kernel
   * still had of them; nothing but the marker may arrive. */
  nr_test_send_frames (veth, count + 1000, 1, 64);
  for (gboolean marker = FALSE; !marker;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch =
        netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), CHILD_GUARD_S * 1000,
                                             NULL, &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      g_assert_no_error (error);
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          g_assert_true (nr_test_frame_check (info.data, info.captured_length, count + 1000,
                                              mac_a, mac_b));
          marker = TRUE;
        }
    }
}

static const char *const net_raw_only[] = { "--inh-caps=-all", "--bounding-set=-all,+net_raw",
                                            NULL };
static const char *const all_but_net_raw[] = { "--inh-caps=-all", "--bounding-set=+all,-net_raw",
                                               NULL };
static const char *const as_nobody[] = { "--reuid=65534", "--regid=65534", "--clear-groups",
                                         "--inh-caps=-all", "--bounding-set=-all", NULL };

/* Whether a packet socket holds the interface in promiscuous mode: the
 * kernel's count of users (IFLA_PROMISCUITY; SIOCGIFFLAGS shows only what
 * "ip link set promisc" set). */
static gboolean
interface_is_promiscuous (const char *ifname)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringInterfaceInfo) info = netring_interface_info_new (ifname, &error);

  g_assert_no_error (error);
  return netring_interface_info_get_promiscuity (info) > 0;
}

/* ---- what capture and injection need ----------------------------------------- */

/* CAP_NET_RAW alone: the capture opens, puts the interface in promiscuous
 * mode and receives every frame. */
static void
test_capture_net_raw_only (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  const char *const args[] = { "capture", veth->b, "16", NULL };
  g_autoptr(Child) child = NULL;
  g_autofree gchar *ready = NULL;

  nr_test_veth_wait_running (veth);
  g_assert_false (interface_is_promiscuous (veth->b));
  child = child_spawn (net_raw_only, 0, args);
  g_assert_cmpuint (child->uid, ==, 0);
  g_assert_cmphex (child->caps, ==, G_GUINT64_CONSTANT (1) << CAP_NET_RAW_BIT);
  ready = child_expect (child, "ready");
  g_assert_true (interface_is_promiscuous (veth->b));
  nr_test_send_frames (veth, 0, 16, 200);
  child_check_frames (child, 16, 200);
  child_wait_success (child);
  /* the kernel counts promiscuity users: it ends with the socket */
  g_assert_false (interface_is_promiscuous (veth->b));
}

/* Every capability but CAP_NET_RAW: refused, naming it. */
static void
test_capture_without_net_raw (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  const char *const args[] = { "capture", veth->b, "1", NULL };
  g_autoptr(Child) child = child_spawn (all_but_net_raw, 0, args);
  g_auto(ChildError) e = { 0 };

  g_assert_cmphex (child->caps & (G_GUINT64_CONSTANT (1) << CAP_NET_RAW_BIT), ==, 0);
  g_assert_cmphex (child->caps, !=, 0);
  child_expect_error (child, &e);
  g_assert_cmpstr (e.domain, ==, g_quark_to_string (NETRING_ERROR));
  g_assert_cmpint (e.code, ==, NETRING_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (e.message, "CAP_NET_RAW"));
}

/* CAP_NET_RAW alone covers every option but a forced receive buffer. */
static void
test_capture_options_net_raw_only (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  const char *const args[] = { "capture-options", veth->b, NULL };
  g_autoptr(Child) child = child_spawn (net_raw_only, 0, args);
  g_autofree gchar *ok = child_expect (child, "ok");
  g_auto(ChildError) e = { 0 };

  child_expect_error (child, &e);
  g_assert_cmpint (e.code, ==, NETRING_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (e.message, "SO_RCVBUFFORCE"));
  g_assert_nonnull (strstr (e.message, "CAP_NET_ADMIN"));
}

/* CAP_NET_RAW alone: every frame the injector sends arrives, once. */
static void
test_injector_net_raw_only (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  const char *const args[] = { "inject", veth->a, "32", "300", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(Child) child = NULL;
  g_autofree gchar *sent = NULL;

  nr_test_veth_wait_running (veth);
  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->b,
                            "block-timeout-ms", 10, "block-size", 1 << 20,
                            "block-count", 4, NULL);
  g_assert_no_error (error);
  child = child_spawn (net_raw_only, 0, args);
  g_assert_cmphex (child->caps, ==, G_GUINT64_CONSTANT (1) << CAP_NET_RAW_BIT);
  sent = child_expect (child, "sent ");
  g_assert_cmpstr (sent, ==, "sent 32");
  child_wait_success (child);
  parent_receive (capture, veth, 32, 300);
}

static void
test_injector_without_net_raw (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  const char *const args[] = { "inject", veth->a, "1", "64", NULL };
  g_autoptr(Child) child = child_spawn (all_but_net_raw, 0, args);
  g_auto(ChildError) e = { 0 };

  child_expect_error (child, &e);
  g_assert_cmpint (e.code, ==, NETRING_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (e.message, "CAP_NET_RAW"));
}

/* ---- what an XDP socket needs ------------------------------------------------- */

static guint32
xdp_program_id (const NrTestVeth *veth)
{
  guint32 id = 0;

  g_assert_cmpint (bpf_xdp_query_id (veth->ifindex_b, 0, &id), ==, 0);
  return id;
}

typedef struct {
  const char *bounding;    /* the capabilities (setpriv's syntax) */
  const char *program;     /* "default" or "none" */
  guint64 memlock;         /* RLIMIT_MEMLOCK for the child, 0 to leave it (the
                            * test can only lower it: raising it takes
                            * CAP_SYS_RESOURCE, which a container may lack) */
  const char *frame_count; /* 1024 frames of 4096 bytes: a 4 MiB UMEM */
  gint code;               /* the NetringError, or -1 for success */
  const char *names;       /* what the message must name */
} XdpCase;

/* As root: libxdp keeps its locks in /run/xdp, which only root may write;
 * as another user it cannot release its program at close (see
 * docs/privileges.md). A limit on locked memory is tested with program
 * none, as a user of its own (below), or where it fails whatever else root
 * has locked. */
static const XdpCase xdp_cases_root[] = {
  /* its own program: CAP_NET_RAW + CAP_NET_ADMIN + CAP_SYS_ADMIN + locked memory */
  { "-all,+net_raw,+net_admin,+sys_admin,+ipc_lock", "default", 0, "1024", -1, NULL },
  { "-all,+net_admin,+sys_admin,+ipc_lock", "default", 0, "1024",
    NETRING_ERROR_PERMISSION_DENIED, "CAP_NET_RAW" },
  /* CAP_BPF is not enough: libxdp looks its program up by id */
  { "-all,+net_raw,+net_admin,+bpf,+ipc_lock", "default", 0, "1024",
    NETRING_ERROR_PERMISSION_DENIED, "CAP_SYS_ADMIN" },
  { "-all,+net_raw,+sys_admin,+ipc_lock", "default", 0, "1024", NETRING_ERROR_PERMISSION_DENIED,
    "CAP_NET_ADMIN" },
  { "-all,+net_raw,+net_admin,+sys_admin", "default", 1 << 20, "1024", NETRING_ERROR_NO_MEMORY,
    "RLIMIT_MEMLOCK" },
};

/* As a user of its own: the kernel charges a UMEM to its user's locked
 * memory (the sum over all the user's processes), which as root would be
 * shared with whatever else root runs; the capabilities are ambient ones. */
static const XdpCase xdp_cases_own_user[] = {
  /* no program (the application's own XSKMAP): CAP_NET_RAW + locked memory */
  { "-all,+net_raw,+ipc_lock", "none", 0, "1024", -1, NULL },
  { "-all,+net_raw", "none", 6 << 20, "1024", -1, NULL },
  { "-all,+net_raw", "none", 1 << 20, "1024", NETRING_ERROR_NO_MEMORY, "RLIMIT_MEMLOCK" },
  { "-all,+ipc_lock", "none", 0, "1024", NETRING_ERROR_PERMISSION_DENIED, "CAP_NET_RAW" },
};

/* Each case on a pair of its own: a socket closed by the case before is
 * released by the kernel later (deferred), and until then its queue is
 * busy; the retries that waits for it would charge the new UMEM again and
 * again, which a tight limit on locked memory refuses. */
static void
xdp_run_case (const XdpCase *c, guint uid)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autofree gchar *bounding = g_strdup_printf ("--bounding-set=%s", c->bounding);
  g_autofree gchar *inheritable = g_strdup_printf ("--inh-caps=%s", c->bounding);
  g_autofree gchar *ambient = g_strdup_printf ("--ambient-caps=%s", c->bounding);
  g_autofree gchar *reuid = g_strdup_printf ("--reuid=%u", uid);
  g_autofree gchar *regid = g_strdup_printf ("--regid=%u", uid);
  const char *const as_root[] = { "--inh-caps=-all", bounding, NULL };
  const char *const as_user[] = { reuid, regid, "--clear-groups", inheritable, ambient, bounding,
                                  NULL };
  const char *const args[] = { "xdp", veth->b, c->program, c->frame_count, NULL };
  g_autoptr(Child) child = NULL;

  nr_test_veth_wait_running (veth);
  g_test_message ("%s, program %s, memlock %" G_GUINT64_FORMAT ", uid %u", c->bounding,
                  c->program, c->memlock, uid);
  child = child_spawn (uid == 0 ? as_root : as_user, c->memlock, args);
  g_assert_cmpuint (child->uid, ==, uid);
  if (c->code < 0)
    {
      g_autofree gchar *ok = child_expect (child, "ok");

      child_wait_success (child);
    }
  else
    {
      g_auto(ChildError) e = { 0 };

      child_expect_error (child, &e);
      g_assert_cmpstr (e.domain, ==, g_quark_to_string (NETRING_ERROR));
      g_assert_cmpint (e.code, ==, c->code);
      g_assert_nonnull (strstr (e.message, c->names));
      g_subprocess_wait (child->process, NULL, NULL);
    }
  /* whatever happened, the interface runs no program afterwards */
  g_assert_cmpuint (xdp_program_id (veth), ==, 0);
}

static void
test_xdp_needs (void)
{
  guint uid = 200000 + (guint) getpid () % 100000;
  struct rlimit limit;

  g_assert_cmpint (getrlimit (RLIMIT_MEMLOCK, &limit), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (xdp_cases_root); i++)
    xdp_run_case (&xdp_cases_root[i], 0);
  for (gsize i = 0; i < G_N_ELEMENTS (xdp_cases_own_user); i++)
    {
      if (limit.rlim_max != RLIM_INFINITY && xdp_cases_own_user[i].memlock > limit.rlim_max)
        {
          g_test_message ("skipped: RLIMIT_MEMLOCK is %" G_GUINT64_FORMAT " here",
                          (guint64) limit.rlim_max);
          continue;
        }
      xdp_run_case (&xdp_cases_own_user[i], uid);
    }
}

/* ---- privilege separation ---------------------------------------------------- */

typedef struct {
  gchar *dir;
  gchar *path;
  GSubprocess *process;
} Helper;

static void
helper_stop (Helper *helper)
{
  if (helper->process != NULL)
    {
      g_subprocess_send_signal (helper->process, SIGTERM);
      g_subprocess_wait (helper->process, NULL, NULL);
      /* it removes its socket on the way out */
      g_assert_false (g_file_test (helper->path, G_FILE_TEST_EXISTS));
    }
  g_clear_object (&helper->process);
  if (helper->dir != NULL)
    g_rmdir (helper->dir);
  g_free (helper->dir);
  g_free (helper->path);
  g_free (helper);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Helper, helper_stop)

/* Starts netring-helper (as root) with @options, and waits until it
 * listens. */
static Helper *
helper_start (const char *first_option, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree gchar *line = NULL;
  Helper *helper = g_new0 (Helper, 1);
  va_list args;

  helper->dir = g_dir_make_tmp ("netring-helper-XXXXXX", &error);
  g_assert_no_error (error);
  /* others may reach the socket in it; its own mode says who may connect */
  g_assert_cmpint (g_chmod (helper->dir, 0755), ==, 0);
  helper->path = g_build_filename (helper->dir, "helper.sock", NULL);

  g_ptr_array_add (argv, helper_path);
  g_ptr_array_add (argv, "--socket");
  g_ptr_array_add (argv, helper->path);
  va_start (args, first_option);
  for (const char *option = first_option; option != NULL; option = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) option);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  helper->process = g_subprocess_newv ((const char *const *) argv->pdata,
                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (helper->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, helper->path));
  return helper;
}

/* A program running as nobody, with no capability at all, captures through
 * a socket from the helper: every frame, byte for byte. */
static void
test_helper_capture_as_nobody (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  /* the socket's group lets nobody in (its primary group is 65534) */
  g_autoptr(Helper) helper = helper_start ("--mode", "0660", "--group", "65534", "--allow-user",
                                           "nobody", "--interface", veth->b, NULL);
  const char *const args[] = { "helper-capture", veth->b, helper->path, "16", NULL };
  g_autoptr(Child) child = NULL;
  g_autofree gchar *ready = NULL;

  nr_test_veth_wait_running (veth);
  child = child_spawn (as_nobody, 0, args);
  g_assert_cmpuint (child->uid, ==, 65534);
  g_assert_cmphex (child->caps, ==, 0);
  ready = child_expect (child, "ready");
  g_assert_true (interface_is_promiscuous (veth->b));
  nr_test_send_frames (veth, 0, 16, 300);
  child_check_frames (child, 16, 300);
  child_wait_success (child);
}

/* … and injects through one: every frame arrives, once. */
static void
test_helper_inject_as_nobody (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(Helper) helper = helper_start ("--mode", "0666", "--interface", veth->a, NULL);
  const char *const args[] = { "helper-inject", veth->a, helper->path, "32", "500", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(Child) child = NULL;
  g_autofree gchar *sent = NULL;

  nr_test_veth_wait_running (veth);
  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->b,
                            "block-timeout-ms", 10, "block-size", 1 << 20,
                            "block-count", 4, NULL);
  g_assert_no_error (error);
  child = child_spawn (as_nobody, 0, args);
  g_assert_cmpuint (child->uid, ==, 65534);
  g_assert_cmphex (child->caps, ==, 0);
  sent = child_expect (child, "sent ");
  g_assert_cmpstr (sent, ==, "sent 32");
  child_wait_success (child);
  parent_receive (capture, veth, 32, 500);
}

/* What the helper refuses, and how the client reports it. */
static void
test_helper_refusals (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(Helper) helper = helper_start ("--mode", "0666", "--allow-user", "root",
                                           "--interface", veth->b, "--interface", "nrnone0",
                                           NULL);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *missing = g_build_filename (helper->dir, "nothing.sock", NULL);
  const char *const args[] = { "helper-capture", veth->b, helper->path, "1", NULL };
  g_autoptr(Child) child = NULL;
  g_auto(ChildError) e = { 0 };
  int fd;

  /* an interface the helper does not serve */
  fd = netring_helper_request_capture_fd (helper->path, veth->a, NULL, &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, veth->a));
  g_assert_nonnull (strstr (error->message, "--interface"));
  g_clear_error (&error);

  /* one it serves but that does not exist */
  fd = netring_helper_request_injector_fd (helper->path, "nrnone0", NULL, &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_assert_nonnull (strstr (error->message, "nrnone0"));
  g_clear_error (&error);

  /* a name that cannot be one */
  fd = netring_helper_request_capture_fd (helper->path, "a b", NULL, &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* no helper there */
  fd = netring_helper_request_capture_fd (missing, veth->b, NULL, &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  /* a user the helper does not serve */
  child = child_spawn (as_nobody, 0, args);
  child_expect_error (child, &e);
  g_assert_cmpint (e.code, ==, NETRING_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (e.message, "65534"));
  g_assert_nonnull (strstr (e.message, "--allow-user"));
  g_subprocess_wait (child->process, NULL, NULL);

  /* a user the socket's mode does not let connect (root's group, 0660) */
  {
    g_autoptr(Helper) closed_helper = helper_start ("--interface", veth->b, NULL);
    const char *const closed_args[] = { "helper-capture", veth->b, closed_helper->path, "1",
                                        NULL };
    g_autoptr(Child) refused = child_spawn (as_nobody, 0, closed_args);
    g_auto(ChildError) connect_error = { 0 };

    child_expect_error (refused, &connect_error);
    g_assert_cmpint (connect_error.code, ==, NETRING_ERROR_PERMISSION_DENIED);
    g_assert_nonnull (strstr (connect_error.message, closed_helper->path));
    g_subprocess_wait (refused->process, NULL, NULL);
  }

  /* and a good request still works after all that */
  fd = netring_helper_request_capture_fd (helper->path, veth->b, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
}

/* Receives on @capture (veth->a) the @count frames of @length a child sent
 * out of veth->b, in order and byte for byte, and then its marker (@count
 * + 1000): nothing else in between. */
static void
parent_receive_until_marker (NetringCapture *capture, guint count, gsize length)
{
  gint64 deadline = g_get_monotonic_time () + CHILD_GUARD_S * G_USEC_PER_SEC;
  guint seen = 0;
  gboolean marker = FALSE;

  while (!marker && g_get_monotonic_time () < deadline)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch =
        netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 200, NULL, &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      if (batch == NULL)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
          continue;
        }
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          /* only what arrived, of the test's EtherType */
          if (info.direction == PACKET_OUTGOING || info.captured_length < 14 ||
              info.data[12] != (NR_TEST_ETHERTYPE >> 8) ||
              info.data[13] != (NR_TEST_ETHERTYPE & 0xff))
            continue;
          g_assert_false (marker);
          if (seen == count)
            {
              g_assert_true (nr_test_frame_check (info.data, info.captured_length, count + 1000,
                                                  mac_a, mac_b));
              marker = TRUE;
              continue;
            }
          g_assert_cmpuint (info.captured_length, ==, length);
          g_assert_true (nr_test_frame_check (info.data, info.captured_length, seen, mac_a,
                                              mac_b));
          seen++;
        }
    }
  g_assert_cmpuint (seen, ==, count);
  g_assert_true (marker);
}

/* A program running as nobody, with no capability at all, gets an AF_XDP
 * socket from the helper (socket, UMEM and redirect program made there),
 * receives every frame sent to it byte for byte and sends frames that
 * arrive count for count. The program stays on the interface after the
 * program exits, a second socket shares it, and the helper detaches it when
 * it exits. */
static void
test_helper_xdp_as_nobody (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(Helper) helper = helper_start ("--mode", "0666", "--interface", veth->b, NULL);
  const char *const args[] = { "helper-xdp", veth->b, helper->path, "16", "32", "500", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(NetringXdpSocket) again = NULL;
  g_autoptr(Child) child = NULL;
  g_autofree gchar *program = NULL;
  g_autofree gchar *ready = NULL;
  g_autofree gchar *sent = NULL;
  guint32 program_id;

  nr_test_veth_wait_running (veth);
  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->a,
                            "block-timeout-ms", 10, "block-size", 1 << 20, "block-count", 4,
                            NULL);
  g_assert_no_error (error);
  child = child_spawn (as_nobody, 0, args);
  g_assert_cmpuint (child->uid, ==, 65534);
  g_assert_cmphex (child->caps, ==, 0);
  program = child_expect (child, "program ");
  program_id = xdp_program_id (veth);
  g_assert_cmpuint (program_id, !=, 0);
  g_assert_cmpuint ((guint) atoi (program + strlen ("program ")), ==, program_id);
  ready = child_expect (child, "ready");
  nr_test_send_frames (veth, 0, 16, 300);
  child_check_frames (child, 16, 300);
  sent = child_expect (child, "sent ");
  g_assert_cmpstr (sent, ==, "sent 32");
  child_wait_success (child);
  parent_receive_until_marker (capture, 32, 500);

  /* the program outlives the socket; the next one shares it */
  g_assert_cmpuint (xdp_program_id (veth), ==, program_id);
  again = netring_helper_request_xdp_socket (helper->path, veth->b, 0, NETRING_XDP_MODE_RX, 4096,
                                             64, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (netring_xdp_socket_get_program_id (again), ==, program_id);
  g_assert_true (netring_receiver_close (NETRING_RECEIVER (again), &error));
  g_assert_no_error (error);

  /* a request the helper cannot serve: a queue the veth does not have */
  g_assert_null (netring_helper_request_xdp_socket (helper->path, veth->b, 7,
                                                    NETRING_XDP_MODE_RX, 4096, 64, NULL, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "queue"));
  g_clear_error (&error);

  g_clear_pointer (&helper, helper_stop);
  g_assert_cmpuint (xdp_program_id (veth), ==, 0);
}

/* ---- descriptors of the wrong kind ------------------------------------------- */

static gboolean
fd_is_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0;
}

/* Gives @fd and @umem_fd to an XDP socket on @ifname: refused with
 * NETRING_ERROR_INVALID_CONFIGURATION naming @property, and both closed. */
static void
check_xdp_refused (const char *ifname, int fd, int umem_fd, guint frame_count,
                   const char *property)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringXdpSocket) xsk = NULL;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (umem_fd, >=, 0);
  xsk = g_initable_new (NETRING_TYPE_XDP_SOCKET, NULL, &error, "interface", ifname,
                        "frame-count", frame_count, "fd", fd, "umem-fd", umem_fd, NULL);
  g_assert_null (xsk);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, property));
  g_assert_false (fd_is_open (fd));
  g_assert_false (fd_is_open (umem_fd));
}

static int
memfd_of (gsize size)
{
  int fd = memfd_create ("test-umem", MFD_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) size), ==, 0);
  return fd;
}

/* Descriptors that are no AF_XDP socket from the helper, or a UMEM of the
 * wrong size, are refused and closed. */
static void
test_xdp_wrong_fds (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(Helper) helper = helper_start ("--mode", "0600", "--interface", veth->b, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringXdpSocket) good = NULL;
  int xsk_fd;

  nr_test_veth_wait_running (veth);
  check_xdp_refused (veth->b, socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), memfd_of (64 * 4096),
                     64, "“fd”");
  /* an AF_XDP socket that is not bound */
  check_xdp_refused (veth->b, socket (AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0), memfd_of (64 * 4096),
                     64, "“fd”");
  /* one half without the other */
  {
    int umem_fd = memfd_of (64 * 4096);
    g_autoptr(NetringXdpSocket) half =
      g_initable_new (NETRING_TYPE_XDP_SOCKET, NULL, &error, "interface", veth->b, "umem-fd",
                      umem_fd, NULL);

    g_assert_null (half);
    g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
    g_assert_nonnull (strstr (error->message, "“fd”"));
    g_assert_false (fd_is_open (umem_fd));
    g_clear_error (&error);
  }

  /* a good socket from the helper with a memfd of the wrong size: its own
   * socket is taken over (dup), the object then closes it */
  good = netring_helper_request_xdp_socket (helper->path, veth->b, 0, NETRING_XDP_MODE_RX, 4096,
                                            64, NULL, &error);
  g_assert_no_error (error);
  xsk_fd = dup (netring_xdp_socket_get_fd (good));
  check_xdp_refused (veth->b, xsk_fd, memfd_of (32 * 4096), 64, "“umem-fd”");
  g_assert_true (netring_receiver_close (NETRING_RECEIVER (good), &error));
  g_assert_no_error (error);
}

/* ---- descriptors of the wrong kind (packet sockets) ------------------------------ */

/* Gives @fd to a capture (@injector FALSE) or an injector on @ifname:
 * refused with NETRING_ERROR_INVALID_CONFIGURATION naming the property and
 * @what, and closed. */
static void
check_refused (const char *ifname, gboolean injector, int fd, const char *what)
{
  g_autoptr(GError) error = NULL;
  GObject *object;

  g_assert_cmpint (fd, >=, 0);
  object = injector ? (GObject *) netring_injector_new_from_fd (ifname, fd, &error)
                    : (GObject *) netring_capture_new_from_fd (ifname, fd, &error);
  g_assert_null (object);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "“fd”"));
  g_assert_nonnull (strstr (error->message, what));
  g_assert_false (fd_is_open (fd));
}

static int
packet_socket_with_ring (void)
{
  struct tpacket_req3 req = { .tp_block_size = 4096, .tp_block_nr = 1, .tp_frame_size = 2048,
                              .tp_frame_nr = 2 };
  int version = TPACKET_V3;
  int fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

  g_assert_cmpint (setsockopt (fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version), ==, 0);
  g_assert_cmpint (setsockopt (fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req), ==, 0);
  return fd;
}

static int
packet_socket_in_fanout (const NrTestVeth *veth)
{
  struct sockaddr_ll addr = { .sll_family = AF_PACKET, .sll_protocol = htons (ETH_P_ALL),
                              .sll_ifindex = veth->ifindex_b };
  int fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  int arg = 4242 | (PACKET_FANOUT_HASH << 16);

  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (setsockopt (fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg), ==, 0);
  return fd;
}

static void
test_wrong_kind (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();

  for (int injector = 0; injector <= 1; injector++)
    {
      int pipe_fds[2];
      int closed;

      check_refused (veth->b, injector, socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0),
                     "AF_INET SOCK_DGRAM");
      check_refused (veth->b, injector, socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
                     "AF_UNIX SOCK_STREAM");
      check_refused (veth->b, injector, socket (AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0),
                     "AF_PACKET SOCK_DGRAM");
      check_refused (veth->b, injector, open ("/dev/null", O_RDWR | O_CLOEXEC), "not a socket");
      g_assert_cmpint (pipe2 (pipe_fds, O_CLOEXEC), ==, 0);
      close (pipe_fds[1]);
      check_refused (veth->b, injector, pipe_fds[0], "not a socket");
      check_refused (veth->b, injector, packet_socket_with_ring (), "has a ring");
      if (!injector)
        check_refused (veth->b, injector, packet_socket_in_fanout (veth), "fanout group");

      /* a number that is no open descriptor */
      closed = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      close (closed);
      {
        g_autoptr(GError) error = NULL;
        GObject *object = injector ? (GObject *) netring_injector_new_from_fd (veth->b, closed,
                                                                               &error)
                                   : (GObject *) netring_capture_new_from_fd (veth->b, closed,
                                                                              &error);
        g_assert_null (object);
        g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
        g_assert_nonnull (strstr (error->message, "not an open file descriptor"));
      }
    }
}

/* A good socket given to an object that fails for another reason (no such
 * interface), or that is closed before init, is closed all the same. */
static void
test_adopted_fd_closed_on_failure (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(NetringInjector) injector = NULL;
  int fd;

  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  g_assert_null (netring_capture_new_from_fd ("nrnone0", fd, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_assert_false (fd_is_open (fd));
  g_clear_error (&error);

  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  g_assert_null (netring_injector_new_from_fd ("nrnone0", fd, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_assert_false (fd_is_open (fd));
  g_clear_error (&error);

  /* never initialised: finalize closes it */
  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  capture = g_object_new (NETRING_TYPE_CAPTURE, "interface", "lo", "fd", fd, NULL);
  g_clear_object (&capture);
  g_assert_false (fd_is_open (fd));
  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  injector = g_object_new (NETRING_TYPE_INJECTOR, "interface", "lo", "fd", fd, NULL);
  g_clear_object (&injector);
  g_assert_false (fd_is_open (fd));

  /* a good one is used as it is: the capture's socket is that one */
  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  capture = netring_capture_new_from_fd ("lo", fd, &error);
  g_assert_no_error (error);
  g_assert_cmpint (netring_capture_get_fd (capture), ==, fd);
  g_assert_true (netring_receiver_close (NETRING_RECEIVER (capture), &error));
  g_assert_false (fd_is_open (fd));
}

int
main (int argc, char **argv)
{
  g_autofree gchar *dir = NULL;
  g_autofree gchar *setpriv = NULL;
  g_autofree gchar *prlimit = NULL;

  if (argc >= 3 && g_str_equal (argv[1], "--child"))
    return child_main (argc, argv);

  nr_test_net_enter_or_skip ("test-privileges");
  g_test_init (&argc, &argv, NULL);

  self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_assert_nonnull (self_path);
  dir = g_path_get_dirname (self_path);
  helper_path = g_build_filename (dir, "..", "tools", "netring-helper", NULL);
  setpriv = g_find_program_in_path ("setpriv");
  prlimit = g_find_program_in_path ("prlimit");
  if (!g_file_test (helper_path, G_FILE_TEST_IS_EXECUTABLE) || setpriv == NULL || prlimit == NULL)
    {
      g_print ("1..0 # SKIP netring-helper, setpriv or prlimit missing\n");
      return NR_TEST_SKIP_STATUS;
    }

  g_test_add_func ("/privileges/capture/net-raw-only", test_capture_net_raw_only);
  g_test_add_func ("/privileges/capture/without-net-raw", test_capture_without_net_raw);
  g_test_add_func ("/privileges/capture/options", test_capture_options_net_raw_only);
  g_test_add_func ("/privileges/injector/net-raw-only", test_injector_net_raw_only);
  g_test_add_func ("/privileges/injector/without-net-raw", test_injector_without_net_raw);
  g_test_add_func ("/privileges/xdp/needs", test_xdp_needs);
  g_test_add_func ("/privileges/helper/capture-as-nobody", test_helper_capture_as_nobody);
  g_test_add_func ("/privileges/helper/inject-as-nobody", test_helper_inject_as_nobody);
  g_test_add_func ("/privileges/helper/refusals", test_helper_refusals);
  g_test_add_func ("/privileges/helper/xdp-as-nobody", test_helper_xdp_as_nobody);
  g_test_add_func ("/privileges/adopt/xdp-wrong-fds", test_xdp_wrong_fds);
  g_test_add_func ("/privileges/adopt/wrong-kind", test_wrong_kind);
  g_test_add_func ("/privileges/adopt/closed-on-failure", test_adopted_fd_closed_on_failure);
  return g_test_run ();
}
