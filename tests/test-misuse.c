/* test-misuse.c: misuse of the public API is caught by its preconditions
 * (issue 14): every method in the typelib is called with a NULL instance,
 * and every method of a class or interface with an instance of the wrong
 * type, each expecting exactly one "assertion failed" critical from
 * netring's log domain and no crash; then the preconditions on arguments
 * (negative or out-of-range values, missing buffers, results of other
 * calls) one by one.
 *
 * The list of methods is not written by hand: it is read from the built
 * Netring-1.0.typelib, so a new method is covered the day it is added.
 * Functions that accept NULL on purpose (destructors, as g_free() does) are
 * listed in null_ok[]. No privileges, no network. */
#include "config.h"

#include <netring/netring.h>

#include <girepository.h>
#include <glib-object.h>
#include <string.h>

#define DOMAIN "Netring"

/* Methods that take NULL on purpose, like g_free(). */
static const char *const null_ok[] = {
  "netring_bridge_stats_free",
  "netring_injector_stats_free",
  "netring_pcap_writer_stats_free",
  "netring_receiver_stats_free",
  "netring_xdp_stats_free",
  NULL,
};

static gboolean
is_null_ok (const char *symbol)
{
  for (guint i = 0; null_ok[i] != NULL; i++)
    if (g_str_equal (null_ok[i], symbol))
      return TRUE;
  return FALSE;
}

typedef struct {
  GIFunctionInfo *function;
  gboolean wrong_type; /* else NULL */
} MethodCase;

/* Calls @function with @instance and every other argument zero (NULL
 * pointers, 0 numbers, FALSE), through libgirepository's invoker. */
static void
invoke_with (GIFunctionInfo *function, gpointer instance)
{
  gint n_args = g_callable_info_get_n_args ((GICallableInfo *) function);
  g_autofree GIArgument *in = g_new0 (GIArgument, n_args + 1);
  g_autofree GIArgument *out = g_new0 (GIArgument, n_args + 1);
  g_autofree guint64 *storage = g_new0 (guint64, 8 * (n_args + 1));
  g_autoptr(GError) error = NULL;
  GIArgument ret = { 0 };
  gint n_in = 0, n_out = 0;

  in[n_in++].v_pointer = instance;
  for (gint i = 0; i < n_args; i++)
    {
      GIArgInfo *arg = g_callable_info_get_arg ((GICallableInfo *) function, i);
      GIDirection direction = g_arg_info_get_direction (arg);

      g_base_info_unref (arg);
      switch (direction)
        {
        case GI_DIRECTION_IN:
          memset (&in[n_in++], 0, sizeof (GIArgument));
          break;
        case GI_DIRECTION_OUT:
          out[n_out++].v_pointer = &storage[8 * i];
          break;
        case GI_DIRECTION_INOUT:
          in[n_in++].v_pointer = &storage[8 * i];
          out[n_out++].v_pointer = &storage[8 * i];
          break;
        default:
          g_assert_not_reached ();
        }
    }
  if (!g_function_info_invoke (function, in, n_in, out, n_out, &ret, &error))
    g_error ("cannot invoke %s: %s", g_function_info_get_symbol (function), error->message);
}

static void
test_method (gconstpointer data)
{
  const MethodCase *c = data;
  const char *symbol = g_function_info_get_symbol (c->function);
  g_autoptr(GObject) stranger = NULL;

  if (c->wrong_type)
    stranger = g_object_new (G_TYPE_OBJECT, NULL);
  else if (is_null_ok (symbol))
    {
      invoke_with (c->function, NULL);
      return;
    }
  g_test_expect_message (DOMAIN, G_LOG_LEVEL_CRITICAL, "*assertion*failed*");
  invoke_with (c->function, stranger);
  g_test_assert_expected_messages ();
}

static void
add_methods (GIBaseInfo *container, gboolean instance_type)
{
  gint n = 0;

  switch (g_base_info_get_type (container))
    {
    case GI_INFO_TYPE_OBJECT:
      n = g_object_info_get_n_methods ((GIObjectInfo *) container);
      break;
    case GI_INFO_TYPE_INTERFACE:
      n = g_interface_info_get_n_methods ((GIInterfaceInfo *) container);
      break;
    case GI_INFO_TYPE_STRUCT:
    case GI_INFO_TYPE_BOXED:
      n = g_struct_info_get_n_methods ((GIStructInfo *) container);
      break;
    default:
      return;
    }
  for (gint i = 0; i < n; i++)
    {
      GIFunctionInfo *function;

      switch (g_base_info_get_type (container))
        {
        case GI_INFO_TYPE_OBJECT:
          function = g_object_info_get_method ((GIObjectInfo *) container, i);
          break;
        case GI_INFO_TYPE_INTERFACE:
          function = g_interface_info_get_method ((GIInterfaceInfo *) container, i);
          break;
        default:
          function = g_struct_info_get_method ((GIStructInfo *) container, i);
          break;
        }
      if ((g_function_info_get_flags (function) & GI_FUNCTION_IS_METHOD) == 0)
        {
          g_base_info_unref (function);
          continue;
        }
      for (int wrong_type = 0; wrong_type <= instance_type; wrong_type++)
        {
          MethodCase *c = g_new0 (MethodCase, 1);
          g_autofree char *path = NULL;

          c->function = wrong_type ? g_base_info_ref (function) : function;
          c->wrong_type = wrong_type;
          path = g_strdup_printf ("/misuse/%s/%s", wrong_type ? "wrong-type" : "null",
                                  g_function_info_get_symbol (function));
          g_test_add_data_func_full (path, c, test_method, NULL);
        }
    }
}

/* ---- preconditions on arguments ------------------------------------------ */

static void
expect_critical (void)
{
  g_test_expect_message (DOMAIN, G_LOG_LEVEL_CRITICAL, "*assertion*failed*");
}

static void
test_arguments (void)
{
  g_autoptr(NetringCapture) capture = g_object_new (NETRING_TYPE_CAPTURE, "interface", "lo", NULL);
  g_autoptr(NetringInjector) injector = g_object_new (NETRING_TYPE_INJECTOR, "interface", "lo",
                                                      NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) foreign = g_task_new (NULL, NULL, NULL, NULL);
  GError *set_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "already set");

  /* a set error */
  expect_critical ();
  g_assert_null (netring_receiver_next_batch (NETRING_RECEIVER (capture), &set_error));
  g_test_assert_expected_messages ();
  g_clear_error (&set_error);

  /* a frame without data but with a length */
  expect_critical ();
  g_assert_false (netring_sender_send (NETRING_SENDER (injector), NULL, 64, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  expect_critical ();
  g_assert_false (netring_injector_send (injector, NULL, 64, &error));
  g_test_assert_expected_messages ();

  /* a NULL frame for the GBytes calls */
  expect_critical ();
  g_assert_false (netring_sender_send_bytes (NETRING_SENDER (injector), NULL, &error));
  g_test_assert_expected_messages ();
  expect_critical ();
  netring_sender_send_async (NETRING_SENDER (injector), NULL, NULL, NULL, NULL);
  g_test_assert_expected_messages ();

  /* send_many: no frames, no lengths with a count, a count that is too big */
  {
    g_autoptr(GBytes) frames = g_bytes_new_static ("0123456789", 10);
    const guint32 lengths[1] = { 10 };

    expect_critical ();
    g_assert_cmpint (netring_sender_send_many (NETRING_SENDER (injector), NULL, lengths, 1, &error),
                     ==, -1);
    g_test_assert_expected_messages ();
    expect_critical ();
    g_assert_cmpint (netring_sender_send_many (NETRING_SENDER (injector), frames, NULL, 1, &error),
                     ==, -1);
    g_test_assert_expected_messages ();
    expect_critical ();
    g_assert_cmpint (netring_sender_send_many (NETRING_SENDER (injector), frames, lengths,
                                               (guint) G_MAXINT + 1, &error),
                     ==, -1);
    g_test_assert_expected_messages ();
  }

  /* a cancellable that is not one */
  expect_critical ();
  g_assert_null (netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 0,
                                                      (GCancellable *) foreign, &error));
  g_test_assert_expected_messages ();

  /* a result from somebody else */
  expect_critical ();
  g_assert_null (netring_receiver_next_batch_finish (NETRING_RECEIVER (capture),
                                                     G_ASYNC_RESULT (foreign), &error));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_false (netring_sender_send_finish (NETRING_SENDER (injector), G_ASYNC_RESULT (foreign),
                                              &error));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_false (netring_sender_wait_drained_finish (NETRING_SENDER (injector),
                                                      G_ASYNC_RESULT (foreign), &error));
  g_test_assert_expected_messages ();

  /* a watch without a function */
  expect_critical ();
  g_assert_cmpuint (netring_receiver_add_watch_full (NETRING_RECEIVER (capture), NULL, NULL, NULL,
                                                     NULL, NULL),
                    ==, 0);
  g_test_assert_expected_messages ();

  /* constructors without their interface: the receivers report the unset
   * “interface” property as any unset property (test-validation), the
   * others refuse the call */
  g_assert_null (netring_xdp_socket_new (NULL, 0, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_clear_error (&error);
  expect_critical ();
  g_assert_null (netring_injector_new (NULL, &error));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_null (netring_bridge_new (NULL, "lo", &error));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_null (netring_bridge_new ("lo", NULL, &error));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_null (netring_pcap_reader_new (NULL, &error));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_null (netring_interface_info_new (NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
}

static void
test_replay_arguments (void)
{
  g_autoptr(GInputStream) empty = NULL;
  g_autoptr(NetringPcapReader) reader = NULL;
  g_autoptr(NetringInjector) injector = g_object_new (NETRING_TYPE_INJECTOR, "interface", "lo",
                                                      NULL);
  g_autoptr(NetringPcapReplay) replay = NULL;
  g_autoptr(GError) error = NULL;
  static const guint8 header[] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                   0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0 };

  empty = g_memory_input_stream_new_from_data (header, sizeof header, NULL);
  reader = netring_pcap_reader_new_for_stream (empty, &error);
  g_assert_no_error (error);
  replay = netring_pcap_replay_new (reader, NETRING_SENDER (injector));

  /* a speed of zero or less, a negative rate, a mode that does not exist */
  expect_critical ();
  netring_pcap_replay_set_speed (replay, 0.0);
  g_test_assert_expected_messages ();
  expect_critical ();
  netring_pcap_replay_set_speed (replay, -2.0);
  g_test_assert_expected_messages ();
  expect_critical ();
  netring_pcap_replay_set_rate (replay, -1.0);
  g_test_assert_expected_messages ();
  expect_critical ();
  netring_pcap_replay_set_mode (replay, (NetringPcapReplayMode) 42);
  g_test_assert_expected_messages ();
  /* the settings did not change */
  g_assert_cmpfloat (netring_pcap_replay_get_speed (replay), >, 0.0);
  g_assert_cmpfloat (netring_pcap_replay_get_rate (replay), >=, 0.0);
  g_assert_cmpint (netring_pcap_replay_get_mode (replay), <=, NETRING_PCAP_REPLAY_MODE_TOPSPEED);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *typelib_dir = NULL;
  GIRepository *repository;
  gint n;

  g_test_init (&argc, &argv, NULL);

  /* the typelib of this build, next to the library */
  typelib_dir = g_test_build_filename (G_TEST_BUILT, "..", "netring", NULL);
  g_irepository_prepend_search_path (typelib_dir);
  repository = g_irepository_get_default ();
  if (g_irepository_require (repository, "Netring", "1.0", 0, &error) == NULL)
    g_error ("cannot load the Netring typelib from %s: %s", typelib_dir, error->message);

  n = g_irepository_get_n_infos (repository, "Netring");
  for (gint i = 0; i < n; i++)
    {
      GIBaseInfo *info = g_irepository_get_info (repository, "Netring", i);
      GIInfoType type = g_base_info_get_type (info);

      add_methods (info, type == GI_INFO_TYPE_OBJECT || type == GI_INFO_TYPE_INTERFACE);
      g_base_info_unref (info);
    }
  g_test_add_func ("/misuse/arguments", test_arguments);
  g_test_add_func ("/misuse/replay-arguments", test_replay_arguments);
  return g_test_run ();
}
