/* netring-helper.c: the privileged half of netring's privilege separation
 *
 *   netring-helper --socket PATH [--mode 0660] [--group GROUP]
 *                  [--allow-user USER]… [--interface NAME]…
 *
 * Runs with CAP_NET_RAW (enough for packet sockets; AF_XDP sockets need
 * what NetringXdpSocket needs: root, see docs/privileges.md), listens on a Unix
 * socket and, for every request "netring-helper 1 capture|inject IFACE\n",
 * opens a bare AF_PACKET socket (SOCK_RAW, protocol 0: it receives nothing
 * until its new owner binds it) and passes it back with SCM_RIGHTS. The
 * application sets up the ring, the filter and the binding itself (none of
 * which needs a capability) with NetringCapture:fd / NetringInjector:fd.
 * For "netring-helper 1 xdp IFACE QUEUE MODE FRAME_SIZE FRAME_COUNT" it
 * starts itself again as a short-lived child that creates the UMEM (in a
 * memfd), the AF_XDP socket and the redirect program, passes the socket
 * and the memfd back and exits, which frees its copies without touching
 * the program or the socket (see xdp_child()).
 * Who may ask is the socket file's permissions (--mode, and --group for its
 * group), narrowed by --allow-user; which interfaces by --interface. The
 * protocol is in docs/privileges.md.
 */
#define _GNU_SOURCE 1 /* memfd_create */
#include "config.h"

#include <netring/netring.h>
#include "netring/nr-afpacket.h"
#include "netring/nr-xdp-prog.h"
#include "netring/nr-xsk.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>

#include <errno.h>
#include <grp.h>
#include <locale.h>
#include <net/if.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROTOCOL "netring-helper 1"
#define MAX_REQUEST 128
/* a client that connects and says nothing must not hold the helper */
#define CLIENT_TIMEOUT_S 5
/* argv[1] of the child that opens an AF_XDP socket (not an option a user
 * gives) */
#define XDP_CHILD_ARG "--xdp-child"
/* the child's end of the client connection */
#define XDP_CHILD_FD 3

typedef struct {
  gchar *socket_path;
  gchar *mode;
  gchar *group;
  gchar **allow_users;
  gchar **interfaces;
  GArray *allowed_uids; /* uid_t; empty: any user who can connect */
  GArray *xdp_ifindexes; /* int: interfaces given AF_XDP sockets (the program stays) */
  GMainLoop *loop;
} Helper;

/* Reads one request line (without its newline) into @line. */
static gboolean
read_request (GSocket *client, GString *line)
{
  while (strchr (line->str, '\n') == NULL && line->len <= MAX_REQUEST)
    {
      gchar buffer[MAX_REQUEST];
      gssize n = g_socket_receive (client, buffer, sizeof buffer, NULL, NULL);

      if (n <= 0)
        return FALSE;
      g_string_append_len (line, buffer, n);
    }
  if (strchr (line->str, '\n') == NULL)
    return FALSE;
  *strchr (line->str, '\n') = '\0';
  return TRUE;
}

/* Sends one answer line, with @fd and then @fd2 attached when they are
 * not -1. */
static void
send_answer2 (GSocket *client, const gchar *line, gint fd, gint fd2)
{
  g_autoptr(GSocketControlMessage) message = NULL;
  GOutputVector vector = { line, strlen (line) };
  g_autoptr(GError) error = NULL;

  if (fd >= 0)
    {
      message = g_unix_fd_message_new ();
      if (!g_unix_fd_message_append_fd (G_UNIX_FD_MESSAGE (message), fd, &error) ||
          (fd2 >= 0 && !g_unix_fd_message_append_fd (G_UNIX_FD_MESSAGE (message), fd2, &error)))
        {
          g_debug ("cannot attach the socket: %s", error->message);
          return;
        }
    }
  if (g_socket_send_message (client, NULL, &vector, 1, message != NULL ? &message : NULL,
                             message != NULL ? 1 : 0, 0, NULL, &error) < 0)
    g_debug ("cannot answer: %s", error->message);
}

static void
send_answer (GSocket *client, const gchar *line, gint fd)
{
  send_answer2 (client, line, fd, -1);
}

static void
refuse (GSocket *client, NetringError code, const gchar *message)
{
  g_autofree gchar *line = g_strdup_printf ("error %d %s\n", (gint) code, message);

  g_strdelimit (line, "\r", ' ');
  send_answer (client, line, -1);
}

static gboolean
uid_allowed (Helper *helper, uid_t uid)
{
  if (helper->allowed_uids->len == 0)
    return TRUE;
  for (guint i = 0; i < helper->allowed_uids->len; i++)
    if (g_array_index (helper->allowed_uids, uid_t, i) == uid)
      return TRUE;
  return FALSE;
}

static gboolean
interface_allowed (Helper *helper, const gchar *interface)
{
  return helper->interfaces == NULL || g_strv_contains ((const gchar * const *) helper->interfaces,
                                                        interface);
}

static gboolean
parse_uint (const gchar *text, guint64 max, guint32 *value)
{
  guint64 number;

  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &number, NULL))
    return FALSE;
  *value = (guint32) number;
  return TRUE;
}

static gboolean
parse_mode (const gchar *text, NrXskMode *mode)
{
  if (g_str_equal (text, "rx"))
    *mode = NR_XSK_MODE_RX;
  else if (g_str_equal (text, "tx"))
    *mode = NR_XSK_MODE_TX;
  else if (g_str_equal (text, "rx-tx"))
    *mode = NR_XSK_MODE_RX_TX;
  else
    return FALSE;
  return TRUE;
}

/* The words after "xdp INTERFACE": QUEUE MODE FRAME_SIZE FRAME_COUNT. */
static gboolean
xdp_request_valid (gchar **words)
{
  guint32 number;
  NrXskMode mode;

  return parse_uint (words[4], G_MAXUINT32, &number) && parse_mode (words[5], &mode) &&
         parse_uint (words[6], G_MAXUINT32, &number) &&
         parse_uint (words[7], G_MAXUINT32, &number);
}

/* An AF_XDP socket is made in a child (this program again, with
 * XDP_CHILD_ARG): libxdp keeps state for every socket it creates (the
 * program, its map, the rings) that only xsk_socket__delete() frees, and
 * that would take the socket out of the map and detach the program. The
 * child hands over and exits: the kernel frees its copies and leaves the
 * program attached and the socket to the application. */
static void
serve_xdp (Helper *helper, GSocket *client, gchar **words, uid_t uid)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *message = NULL;
  int fd;

  fd = dup (g_socket_get_fd (client));
  if (fd < 0)
    {
      int errsv = errno;

      message = g_strdup_printf (_("dup() of the connection failed: %s"), g_strerror (errsv));
      refuse (client, NETRING_ERROR_FAILED, message);
      return;
    }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_fd (launcher, fd, XDP_CHILD_FD);
  child = g_subprocess_launcher_spawn (launcher, &error, "/proc/self/exe", XDP_CHILD_ARG,
                                       words[3], words[4], words[5], words[6], words[7], NULL);
  /* the child has its copy; the parent's must not outlive the request */
  g_clear_object (&launcher);
  if (child == NULL)
    {
      message = g_strdup_printf (_("cannot start the process that opens the AF_XDP socket: %s"),
                                 error->message);
      refuse (client, NETRING_ERROR_FAILED, message);
      return;
    }
  /* The child answers the client itself; short, so waited for here. */
  if (!g_subprocess_wait (child, NULL, &error))
    g_debug ("waiting for the child: %s", error->message);
  g_debug ("xdp socket for “%s” queue %s handed to user %d (child status %d)", words[3],
           words[4], (gint) uid, g_subprocess_get_status (child));
  if (g_subprocess_get_if_exited (child) && g_subprocess_get_exit_status (child) == 0)
    {
      int ifindex = (int) if_nametoindex (words[3]);

      for (guint i = 0; i < helper->xdp_ifindexes->len; i++)
        if (g_array_index (helper->xdp_ifindexes, int, i) == ifindex)
          return;
      g_array_append_val (helper->xdp_ifindexes, ifindex);
    }
}

/* On the way out: libxdp's redirect program goes from every interface the
 * helper made AF_XDP sockets for (sockets still open stop receiving). A
 * program in libxdp's dispatcher is left alone (other programs share it). */
static void
detach_xdp_programs (Helper *helper)
{
  nr_xdp_prog_lock ();
  for (guint i = 0; i < helper->xdp_ifindexes->len; i++)
    {
      int ifindex = g_array_index (helper->xdp_ifindexes, int, i);
      int err = nr_xdp_prog_detach_xsk (ifindex);

      if (err == -EBUSY)
        g_debug ("interface %d: the redirect program runs in libxdp's dispatcher: left there",
                 ifindex);
      else if (err != 0 && err != -ENOENT && err != -ENODEV)
        g_printerr (_("netring-helper: cannot detach the AF_XDP redirect program from "
                      "interface %d: %s\n"),
                    ifindex, g_strerror (-err));
    }
  nr_xdp_prog_unlock ();
}

static NetringError
xdp_error_code (NrXskFailureKind kind)
{
  switch (kind)
    {
    case NR_XSK_FAILURE_PERMISSION:
      return NETRING_ERROR_PERMISSION_DENIED;
    case NR_XSK_FAILURE_NO_INTERFACE:
      return NETRING_ERROR_NO_SUCH_INTERFACE;
    case NR_XSK_FAILURE_INVALID:
    case NR_XSK_FAILURE_QUEUE_RANGE:
      return NETRING_ERROR_INVALID_CONFIGURATION;
    case NR_XSK_FAILURE_NO_XDP:
    case NR_XSK_FAILURE_ZEROCOPY:
      return NETRING_ERROR_NOT_SUPPORTED;
    case NR_XSK_FAILURE_QUEUE_BUSY:
      return NETRING_ERROR_BUSY;
    case NR_XSK_FAILURE_PROGRAM_REFUSED:
    case NR_XSK_FAILURE_PROGRAM_CONFLICT:
    case NR_XSK_FAILURE_ATTACH_MODE:
      return NETRING_ERROR_XDP_PROGRAM;
    case NR_XSK_FAILURE_RESOURCES:
      return NETRING_ERROR_NO_MEMORY;
    case NR_XSK_FAILURE_NONE:
    case NR_XSK_FAILURE_SYSTEM:
    default:
      return NETRING_ERROR_FAILED;
    }
}

/* The child: argv is XDP_CHILD_ARG INTERFACE QUEUE MODE FRAME_SIZE
 * FRAME_COUNT (checked by the parent), the client connection is
 * XDP_CHILD_FD. Answers "ok xdp FRAME_SIZE FRAME_COUNT MODE NEED_WAKEUP"
 * with the socket and the UMEM's memfd, or "error CODE MESSAGE", and
 * exits without closing the socket (see nr_xsk_open_for_handover()). */
static int
xdp_child (int argc, char **argv)
{
  g_autoptr(GSocket) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *message = NULL;
  g_autofree gchar *answer = NULL;
  NrXskConfig config;
  NrXskFailure failure;
  NrXsk *xsk = NULL;
  guint32 queue_id = 0;
  int memfd, err;

  client = g_socket_new_from_fd (XDP_CHILD_FD, &error);
  if (client == NULL || argc != 7)
    return EXIT_FAILURE;
  nr_xsk_config_init (&config);
  if (!parse_uint (argv[3], G_MAXUINT32, &queue_id) || !parse_mode (argv[4], &config.mode) ||
      !parse_uint (argv[5], G_MAXUINT32, &config.frame_size) ||
      !parse_uint (argv[6], G_MAXUINT32, &config.frame_count))
    return EXIT_FAILURE;

  memfd = memfd_create ("netring-umem", MFD_CLOEXEC);
  if (memfd < 0 ||
      ftruncate (memfd, (off_t) ((guint64) config.frame_size * config.frame_count)) != 0)
    {
      int errsv = errno;

      message = g_strdup_printf (_("cannot create the UMEM (memfd_create, ftruncate): %s"),
                                 g_strerror (errsv));
      refuse (client, NETRING_ERROR_NO_MEMORY, message);
      return EXIT_FAILURE;
    }
  err = nr_xsk_open_for_handover (argv[2], queue_id, &config, memfd, &xsk, &failure);
  if (err != 0)
    {
      /* TRANSLATORS: the third %s is the step or the setting that failed */
      message = g_strdup_printf (_("cannot open an AF_XDP socket on “%s” queue %u: %s failed: "
                                   "%s%s%s%s"),
                                 argv[2], queue_id,
                                 failure.operation != NULL ? failure.operation : "open",
                                 g_strerror (-err),
                                 failure.capability != NULL ? " (" : "",
                                 failure.capability != NULL ? failure.capability : "",
                                 failure.capability != NULL ? ")" : "");
      if (failure.detail[0] != '\0')
        {
          gchar *with_detail = g_strdup_printf ("%s (%s)", message, failure.detail);

          g_free (message);
          message = with_detail;
        }
      refuse (client, xdp_error_code (failure.kind), message);
      return EXIT_FAILURE;
    }
  answer = g_strdup_printf ("ok xdp %u %u %s %d\n", config.frame_size, config.frame_count,
                            argv[4], config.need_wakeup ? 1 : 0);
  send_answer2 (client, answer, nr_xsk_fd (xsk), memfd);
  /* No nr_xsk_close(): exiting frees this process's copies and nothing
   * else. */
  return EXIT_SUCCESS;
}

static void
serve (Helper *helper, GSocket *client)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_autoptr(GCredentials) credentials = NULL;
  g_auto(GStrv) words = NULL;
  g_autofree gchar *message = NULL;
  uid_t uid;
  int fd;

  g_socket_set_timeout (client, CLIENT_TIMEOUT_S);
  /* the request first, so that a refusal is read rather than reset away */
  if (!read_request (client, line))
    return;
  credentials = g_socket_get_credentials (client, NULL);
  uid = credentials != NULL ? g_credentials_get_unix_user (credentials, NULL) : (uid_t) -1;
  if (credentials == NULL || !uid_allowed (helper, uid))
    {
      message = g_strdup_printf (_("user %d is not allowed to ask this helper (see its "
                                   "--allow-user option)"),
                                 (gint) uid);
      refuse (client, NETRING_ERROR_PERMISSION_DENIED, message);
      return;
    }
  /* "netring-helper" "1" KIND INTERFACE, and for xdp QUEUE MODE
   * FRAME_SIZE FRAME_COUNT */
  words = g_strsplit (line->str, " ", 0);
  if (!g_str_has_prefix (line->str, PROTOCOL " ") ||
      !((g_strv_length (words) == 4 &&
         (g_str_equal (words[2], "capture") || g_str_equal (words[2], "inject"))) ||
        (g_strv_length (words) == 8 && g_str_equal (words[2], "xdp") &&
         xdp_request_valid (words))))
    {
      message = g_strdup_printf (_("the request is not in the protocol (expected “%s "
                                   "capture|inject INTERFACE” or “%s xdp INTERFACE QUEUE "
                                   "rx|tx|rx-tx FRAME_SIZE FRAME_COUNT”)"),
                                 PROTOCOL, PROTOCOL);
      refuse (client, NETRING_ERROR_INVALID_ARGUMENT, message);
      return;
    }
  if (!interface_allowed (helper, words[3]))
    {
      message = g_strdup_printf (_("interface “%s” is not allowed (see the helper’s "
                                   "--interface option)"),
                                 words[3]);
      refuse (client, NETRING_ERROR_PERMISSION_DENIED, message);
      return;
    }
  if (if_nametoindex (words[3]) == 0)
    {
      message = g_strdup_printf (_("no such interface “%s”"), words[3]);
      refuse (client, NETRING_ERROR_NO_SUCH_INTERFACE, message);
      return;
    }

  if (g_str_equal (words[2], "xdp"))
    {
      serve_xdp (helper, client, words, uid);
      return;
    }

  /* The kernel floor's socket, of protocol 0: it receives nothing until
   * its new owner binds it; everything after this call needs no capability. */
  fd = nr_afpacket_socket ();
  if (fd < 0)
    {
      int errsv = errno;

      message = g_strdup_printf (_("socket(AF_PACKET) failed: %s (the helper needs "
                                   "CAP_NET_RAW)"),
                                 g_strerror (errsv));
      refuse (client, errsv == EPERM || errsv == EACCES ? NETRING_ERROR_PERMISSION_DENIED
                                                       : NETRING_ERROR_FAILED,
              message);
      return;
    }
  send_answer (client, "ok\n", fd);
  close (fd);
  g_debug ("%s socket for “%s” handed to user %d", words[2], words[3], (gint) uid);
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source,
             gpointer user_data)
{
  serve (user_data, g_socket_connection_get_socket (connection));
  return TRUE;
}

static gboolean
on_signal (gpointer user_data)
{
  Helper *helper = user_data;

  g_main_loop_quit (helper->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_users (Helper *helper, GError **error)
{
  helper->allowed_uids = g_array_new (FALSE, FALSE, sizeof (uid_t));
  for (gchar **user = helper->allow_users; user != NULL && *user != NULL; user++)
    {
      struct passwd *entry = getpwnam (*user);
      guint64 number;
      uid_t uid;

      if (entry != NULL)
        uid = entry->pw_uid;
      else if (g_ascii_string_to_unsigned (*user, 10, 0, G_MAXUINT32 - 1, &number, NULL))
        uid = (uid_t) number;
      else
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--allow-user: no such user “%s”"), *user);
          return FALSE;
        }
      g_array_append_val (helper->allowed_uids, uid);
    }
  return TRUE;
}

static gboolean
listen_on (Helper *helper, GSocketService *service, GError **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  struct stat st;
  guint64 mode;

  if (!g_ascii_string_to_unsigned (helper->mode, 8, 0, 0777, &mode, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--mode: “%s” is not an octal file mode (such as 0660)"), helper->mode);
      return FALSE;
    }
  /* a socket left behind by a helper that was killed */
  if (lstat (helper->socket_path, &st) == 0 && S_ISSOCK (st.st_mode))
    unlink (helper->socket_path);
  address = g_unix_socket_address_new (helper->socket_path);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL,
                                      NULL, error))
    return FALSE;
  if (helper->group != NULL)
    {
      struct group *entry = getgrnam (helper->group);
      guint64 number;
      gid_t gid;

      if (entry != NULL)
        gid = entry->gr_gid;
      else if (g_ascii_string_to_unsigned (helper->group, 10, 0, G_MAXUINT32 - 1, &number, NULL))
        gid = (gid_t) number;
      else
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--group: no such group “%s”"), helper->group);
          return FALSE;
        }
      if (chown (helper->socket_path, (uid_t) -1, gid) != 0)
        {
          int errsv = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "chown(%s): %s",
                       helper->socket_path, g_strerror (errsv));
          return FALSE;
        }
    }
  if (chmod (helper->socket_path, (mode_t) mode) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "chmod(%s): %s",
                   helper->socket_path, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  Helper helper = { .mode = g_strdup ("0660") };
  GOptionEntry entries[] = {
    { "socket", 's', 0, G_OPTION_ARG_FILENAME, &helper.socket_path,
      N_("Listen on the Unix socket PATH (required)"), N_("PATH") },
    { "mode", 'm', 0, G_OPTION_ARG_STRING, &helper.mode,
      N_("Permissions of the socket file, in octal (default 0660): who may connect"),
      N_("MODE") },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &helper.group,
      N_("Give the socket file to this group (a name or a gid)"), N_("GROUP") },
    { "allow-user", 'u', 0, G_OPTION_ARG_STRING_ARRAY, &helper.allow_users,
      N_("Serve only this user (a name or a uid; repeatable)"), N_("USER") },
    { "interface", 'i', 0, G_OPTION_ARG_STRING_ARRAY, &helper.interfaces,
      N_("Open sockets only for this interface (repeatable)"), N_("NAME") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GSocketService) service = NULL;
  g_autoptr(GError) error = NULL;
  int status = EXIT_SUCCESS;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* _exit(): the child leaves libxdp's state (and the helper's settings)
   * to the kernel on purpose, without exit handlers (a leak checker's
   * included) that could fail it */
  if (argc > 1 && strcmp (argv[1], XDP_CHILD_ARG) == 0)
    _exit (xdp_child (argc, argv));

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Opens packet sockets for unprivileged netring "
                                           "programs and passes them over a Unix socket."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || !parse_users (&helper, &error))
    {
      g_printerr ("netring-helper: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (helper.socket_path == NULL)
    {
      g_printerr (_("netring-helper: --socket is required\n"));
      return EXIT_FAILURE;
    }

  service = g_socket_service_new ();
  if (!listen_on (&helper, service, &error))
    {
      g_printerr ("netring-helper: %s: %s\n", helper.socket_path, error->message);
      return EXIT_FAILURE;
    }
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), &helper);
  helper.xdp_ifindexes = g_array_new (FALSE, FALSE, sizeof (int));
  helper.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, &helper);
  g_unix_signal_add (SIGTERM, on_signal, &helper);
  g_socket_service_start (service);
  /* whoever started the helper may wait for this line before connecting */
  g_print (_("netring-helper: listening on %s\n"), helper.socket_path);
  fflush (stdout);
  g_main_loop_run (helper.loop);

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  unlink (helper.socket_path);
  detach_xdp_programs (&helper);
  g_array_unref (helper.xdp_ifindexes);
  g_main_loop_unref (helper.loop);
  g_array_unref (helper.allowed_uids);
  g_strfreev (helper.allow_users);
  g_strfreev (helper.interfaces);
  g_free (helper.socket_path);
  g_free (helper.mode);
  g_free (helper.group);
  return status;
}
