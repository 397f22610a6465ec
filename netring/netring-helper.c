/* netring-helper.c: the client side of netring-helper's protocol */
#include "netring-private.h"

#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>
#include <unistd.h>

/**
 * SECTION:netring-helper
 * @short_description: Sockets opened by a privileged helper process
 * @title: Privilege separation
 * @see_also: #NetringCapture:fd, #NetringInjector:fd, #NetringXdpSocket:fd
 *
 * Opening an AF_PACKET socket is the one step of a capture or an injector
 * that needs a capability (`CAP_NET_RAW`); everything after it (the ring,
 * its mapping, the filter, binding to the interface, promiscuous mode)
 * does not. `netring-helper` is a small program that runs with that
 * capability, listens on a Unix socket and opens such sockets on request;
 * these functions ask it for one, and #NetringCapture:fd or
 * #NetringInjector:fd adopt it. The application then runs with no
 * capability at all, as any user the helper lets connect.
 *
 * |[<!-- language="C" -->
 * int fd = netring_helper_request_capture_fd ("/run/netring-helper.sock", "eth0",
 *                                             NULL, &error);
 * g_autoptr(NetringCapture) capture =
 *   fd < 0 ? NULL : netring_capture_new_from_fd ("eth0", fd, &error);
 * ]|
 * |[<!-- language="Python" -->
 * fd = Netring.helper_request_capture_fd("/run/netring-helper.sock", "eth0", None)
 * cap = Netring.Capture(interface="eth0", fd=fd)
 * cap.init(None)
 * ]|
 *
 * netring_helper_request_xdp_socket() asks for an AF_XDP socket, which the
 * helper creates with its UMEM and redirect program; the application gets
 * an initialised #NetringXdpSocket that needs no capability either.
 *
 * The protocol, the helper's options and what each object needs are in the
 * "Privileges" chapter (docs/privileges.md).
 */

/* A request is one line, "netring-helper 1 KIND INTERFACE\n"; the answer
 * is one line: "ok\n" with the socket attached (SCM_RIGHTS), or
 * "error CODE MESSAGE\n" with a #NetringError code and the helper's
 * message. */
#define HELPER_PROTOCOL "netring-helper 1"
#define HELPER_MAX_LINE 1024
/* a helper that accepted the connection answers at once: no hang for ever
 * on one that is stuck */
#define HELPER_TIMEOUT_S 10

static void
set_helper_error (GError **error, const gchar *helper_path, const GError *cause)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_set_error_literal (error, cause->domain, cause->code, cause->message);
      return;
    }
  g_set_error (error, NETRING_ERROR,
               g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED)
                 ? NETRING_ERROR_PERMISSION_DENIED : NETRING_ERROR_FAILED,
               _("Cannot talk to the privilege helper at “%s” (is netring-helper running, "
                 "and may this user connect?): %s"),
               helper_path, cause->message);
}

/* Parses "error CODE MESSAGE" into @error. */
static void
set_refusal_error (GError **error, const gchar *helper_path, const gchar *kind,
                   const gchar *interface, const gchar *line)
{
  gchar *end = NULL;
  guint64 code = g_ascii_strtoull (line + strlen ("error "), &end, 10);
  const gchar *message = (end != NULL && *end == ' ') ? end + 1 : "";

  if (!g_str_has_prefix (line, "error ") || end == line + strlen ("error ") ||
      code > NETRING_ERROR_INVALID_DATA)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                   _("The privilege helper at “%s” gave an answer that is not in its "
                     "protocol: “%s”"),
                   helper_path, line);
      return;
    }
  /* TRANSLATORS: the second %s is the kind of socket asked for,
   * "capture", "inject" or "xdp"; the last the helper's own message */
  g_set_error (error, NETRING_ERROR, (gint) code,
               _("The privilege helper at “%s” refused the request for a socket of kind “%s” on “%s”: %s"),
               helper_path, kind, interface, message);
}

/* Sends "netring-helper 1 KIND INTERFACE[ EXTRA]" and reads the answer:
 * on "ok[ …]" with @n_fds descriptors attached, fills @fds and returns the
 * answer line (without its newline); otherwise NULL with @error set. */
static gchar *
helper_request (const gchar *helper_path, const gchar *kind, const gchar *interface,
                const gchar *extra, gint *fds, gint n_fds, GCancellable *cancellable,
                GError **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree gchar *request = NULL;
  g_autoptr(GString) line = g_string_new (NULL);
  gint n_received = 0;
  gsize sent = 0;

  for (gint i = 0; i < n_fds; i++)
    fds[i] = -1;
  if (*interface == '\0' || strpbrk (interface, " \n") != NULL ||
      strlen (interface) >= 16 /* IFNAMSIZ */)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an interface name: it must have 1 to 15 characters and no "
                     "space"),
                   interface);
      return NULL;
    }

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                         &local_error);
  if (socket == NULL)
    {
      set_helper_error (error, helper_path, local_error);
      return NULL;
    }
  g_socket_set_timeout (socket, HELPER_TIMEOUT_S);
  address = g_unix_socket_address_new (helper_path);
  if (!g_socket_connect (socket, address, cancellable, &local_error))
    {
      set_helper_error (error, helper_path, local_error);
      return NULL;
    }

  request = g_strdup_printf (HELPER_PROTOCOL " %s %s%s%s\n", kind, interface,
                             extra != NULL ? " " : "", extra != NULL ? extra : "");
  while (sent < strlen (request))
    {
      gssize n = g_socket_send (socket, request + sent, strlen (request) - sent, cancellable,
                                &local_error);
      if (n < 0)
        {
          set_helper_error (error, helper_path, local_error);
          return NULL;
        }
      sent += (gsize) n;
    }

  /* One line back; the socket comes with its first bytes. */
  while (strchr (line->str, '\n') == NULL)
    {
      gchar buffer[256];
      GInputVector vector = { buffer, sizeof buffer };
      GSocketControlMessage **messages = NULL;
      gint n_messages = 0;
      gssize n;

      n = g_socket_receive_message (socket, NULL, &vector, 1, &messages, &n_messages, NULL,
                                    cancellable, &local_error);
      for (gint i = 0; i < n_messages; i++)
        {
          if (G_IS_UNIX_FD_MESSAGE (messages[i]))
            {
              gint n_got = 0;
              gint *got = g_unix_fd_message_steal_fds (G_UNIX_FD_MESSAGE (messages[i]), &n_got);

              /* keep the ones expected, close the rest */
              for (gint j = 0; j < n_got; j++)
                {
                  if (n_received < n_fds)
                    fds[n_received++] = got[j];
                  else
                    close (got[j]);
                }
              g_free (got);
            }
          g_object_unref (messages[i]);
        }
      g_free (messages);
      if (n < 0)
        {
          set_helper_error (error, helper_path, local_error);
          goto fail;
        }
      if (n == 0)
        break;
      g_string_append_len (line, buffer, n);
      if (line->len > HELPER_MAX_LINE)
        break;
    }

  if (strchr (line->str, '\n') != NULL)
    *strchr (line->str, '\n') = '\0';
  else
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                   _("The privilege helper at “%s” closed the connection without an answer"),
                   helper_path);
      goto fail;
    }
  if ((strcmp (line->str, "ok") == 0 || g_str_has_prefix (line->str, "ok ")) &&
      n_received == n_fds)
    return g_string_free (g_steal_pointer (&line), FALSE);
  if (strcmp (line->str, "ok") == 0 || g_str_has_prefix (line->str, "ok "))
    g_set_error (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                 _("The privilege helper at “%s” answered without a socket"), helper_path);
  else
    set_refusal_error (error, helper_path, kind, interface, line->str);

fail:
  for (gint i = 0; i < n_fds; i++)
    {
      if (fds[i] >= 0)
        close (fds[i]);
      fds[i] = -1;
    }
  return NULL;
}

static gint
helper_request_fd (const gchar *helper_path, const gchar *kind, const gchar *interface,
                   GCancellable *cancellable, GError **error)
{
  g_autofree gchar *answer = NULL;
  gint fd = -1;

  g_return_val_if_fail (helper_path != NULL, -1);
  g_return_val_if_fail (interface != NULL, -1);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  answer = helper_request (helper_path, kind, interface, NULL, &fd, 1, cancellable, error);
  return answer != NULL ? fd : -1;
}

/**
 * netring_helper_request_capture_fd:
 * @helper_path: the path of the Unix socket netring-helper listens on
 * @interface: the interface the capture is for
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Asks the privileged helper listening on @helper_path for a socket to
 * capture on @interface with, passed over the Unix socket (SCM_RIGHTS).
 * Give it to netring_capture_new_from_fd() or #NetringCapture:fd with the
 * same @interface. The call blocks (10 s at most) until the helper
 * answers.
 *
 * A helper that refuses (an interface or a user its options do not allow,
 * an interface that does not exist) gives its reason with the
 * #NetringError code it chose; a helper that cannot be reached gives
 * %NETRING_ERROR_PERMISSION_DENIED (the socket's permissions do not let
 * this user connect) or %NETRING_ERROR_FAILED, naming @helper_path.
 *
 * Returns: the socket (owned by the caller; close it when it is not given
 *   to a capture), or -1 with @error set
 */
gint
netring_helper_request_capture_fd (const gchar *helper_path, const gchar *interface,
                                   GCancellable *cancellable, GError **error)
{
  return helper_request_fd (helper_path, "capture", interface, cancellable, error);
}

/**
 * netring_helper_request_injector_fd:
 * @helper_path: the path of the Unix socket netring-helper listens on
 * @interface: the interface the injector is for
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Asks the privileged helper listening on @helper_path for a socket to
 * send on @interface with, as netring_helper_request_capture_fd() does.
 * Give it to netring_injector_new_from_fd() or #NetringInjector:fd with the
 * same @interface.
 *
 * Returns: the socket (owned by the caller; close it when it is not given
 *   to an injector), or -1 with @error set
 */
gint
netring_helper_request_injector_fd (const gchar *helper_path, const gchar *interface,
                                    GCancellable *cancellable, GError **error)
{
  return helper_request_fd (helper_path, "inject", interface, cancellable, error);
}

/**
 * netring_helper_request_xdp_socket:
 * @helper_path: the path of the Unix socket netring-helper listens on
 * @interface: the interface to receive and send on
 * @queue_id: its queue to bind to (0 for the first)
 * @mode: whether the socket receives, sends or both
 * @frame_size: bytes per UMEM frame (a power of two from 2048 to the page
 *   size; 4096 is the usual choice)
 * @frame_count: frames in the UMEM
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Asks the privileged helper listening on @helper_path for an AF_XDP
 * socket on queue @queue_id of @interface, and returns it as an
 * initialised #NetringXdpSocket. The helper creates what needs privileges
 * (the UMEM's registration, the socket bound to the queue, libxdp's
 * redirect program on the interface) and passes the socket and the UMEM's
 * memory (a memfd) over the Unix socket; the object adopts them
 * (#NetringXdpSocket:fd, #NetringXdpSocket:umem-fd), which needs no
 * capability. The kernel charges the UMEM's locked memory to the helper's
 * user. The redirect program stays attached to the interface after the
 * socket is closed, until the helper exits (see docs/privileges.md).
 *
 * Errors are those of netring_helper_request_capture_fd(), the helper's
 * reasons for a socket it could not open (with the #NetringError code of
 * #NetringXdpSocket's own errors), and those of adopting it.
 *
 * Returns: (transfer full): the socket, or %NULL with @error set
 */
NetringXdpSocket *
netring_helper_request_xdp_socket (const gchar    *helper_path,
                                   const gchar    *interface,
                                   guint           queue_id,
                                   NetringXdpMode  mode,
                                   guint           frame_size,
                                   guint           frame_count,
                                   GCancellable   *cancellable,
                                   GError        **error)
{
  g_autofree gchar *extra = NULL;
  g_autofree gchar *answer = NULL;
  g_autofree gchar *expected = NULL;
  const gchar *mode_word;
  gint fds[2] = { -1, -1 };

  g_return_val_if_fail (helper_path != NULL, NULL);
  g_return_val_if_fail (interface != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  switch (mode)
    {
    case NETRING_XDP_MODE_RX:
      mode_word = "rx";
      break;
    case NETRING_XDP_MODE_TX:
      mode_word = "tx";
      break;
    case NETRING_XDP_MODE_RX_TX:
      mode_word = "rx-tx";
      break;
    default:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("Invalid mode %d for an AF_XDP socket: use a NetringXdpMode value"),
                   (gint) mode);
      return NULL;
    }
  extra = g_strdup_printf ("%u %s %u %u", queue_id, mode_word, frame_size, frame_count);
  answer = helper_request (helper_path, "xdp", interface, extra, fds, 2, cancellable, error);
  if (answer == NULL)
    return NULL;
  /* The geometry the helper made the socket with: the one asked for, and
   * the ring sizes follow from it. need-wakeup is the helper's choice. */
  expected = g_strdup_printf ("ok xdp %u %u %s ", frame_size, frame_count, mode_word);
  if (!g_str_has_prefix (answer, expected) ||
      (strcmp (answer + strlen (expected), "0") != 0 &&
       strcmp (answer + strlen (expected), "1") != 0))
    {
      close (fds[0]);
      close (fds[1]);
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                   _("The privilege helper at “%s” gave an answer that is not in its "
                     "protocol: “%s”"),
                   helper_path, answer);
      return NULL;
    }
  /* the object owns both descriptors from here on */
  return g_initable_new (NETRING_TYPE_XDP_SOCKET, cancellable, error, "interface", interface,
                         "queue-id", queue_id, "mode", mode, "frame-size", frame_size,
                         "frame-count", frame_count, "need-wakeup",
                         answer[strlen (answer) - 1] == '1', "fd", fds[0], "umem-fd", fds[1],
                         NULL);
}
