/* netring-helper.c: the privileged half of netring's privilege separation
 *
 *   netring-helper --socket PATH [--mode 0660] [--group GROUP]
 *                  [--allow-user USER]… [--interface NAME]…
 *
 * Runs with CAP_NET_RAW (and nothing else is needed), listens on a Unix
 * socket and, for every request "netring-helper 1 capture|inject IFACE\n",
 * opens a bare AF_PACKET socket (SOCK_RAW, protocol 0: it receives nothing
 * until its new owner binds it) and passes it back with SCM_RIGHTS. The
 * application sets up the ring, the filter and the binding itself (none of
 * which needs a capability) with NetringCapture:fd / NetringInjector:fd.
 * Who may ask is the socket file's permissions (--mode, and --group for its
 * group), narrowed by --allow-user; which interfaces by --interface. The
 * protocol is in docs/privileges.md.
 */
#include "config.h"

#include <netring/netring.h>

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
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROTOCOL "netring-helper 1"
#define MAX_REQUEST 128
/* a client that connects and says nothing must not hold the helper */
#define CLIENT_TIMEOUT_S 5

typedef struct {
  gchar *socket_path;
  gchar *mode;
  gchar *group;
  gchar **allow_users;
  gchar **interfaces;
  GArray *allowed_uids; /* uid_t; empty: any user who can connect */
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

/* Sends one answer line, with @fd attached when it is not -1. */
static void
send_answer (GSocket *client, const gchar *line, gint fd)
{
  g_autoptr(GSocketControlMessage) message = NULL;
  GOutputVector vector = { line, strlen (line) };
  g_autoptr(GError) error = NULL;

  if (fd >= 0)
    {
      message = g_unix_fd_message_new ();
      if (!g_unix_fd_message_append_fd (G_UNIX_FD_MESSAGE (message), fd, &error))
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
  /* "netring-helper" "1" KIND INTERFACE */
  words = g_strsplit (line->str, " ", 0);
  if (g_strv_length (words) != 4 || !g_str_has_prefix (line->str, PROTOCOL " ") ||
      (!g_str_equal (words[2], "capture") && !g_str_equal (words[2], "inject")))
    {
      message = g_strdup_printf (_("the request is not in the protocol (expected “%s "
                                   "capture|inject INTERFACE”)"),
                                 PROTOCOL);
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

  /* Protocol 0: the socket receives nothing until its new owner binds it;
   * everything after this call needs no capability. */
  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
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
  g_main_loop_unref (helper.loop);
  g_array_unref (helper.allowed_uids);
  g_strfreev (helper.allow_users);
  g_strfreev (helper.interfaces);
  g_free (helper.socket_path);
  g_free (helper.mode);
  g_free (helper.group);
  return status;
}
