/* test-validation.c: every property check of NetringCapture, the unknown
 * interface error and the missing-capability error. Validation happens
 * before any socket exists, so these run without privileges. */
#include "config.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <netring/netring.h>

/* "lo" exists in every network namespace */
#define IFACE "lo"

static void
expect_config_error (const char *expected_words, const char *first_property, ...)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) capture = NULL;
  va_list ap;

  va_start (ap, first_property);
  capture = (GObject *) g_initable_new_valist (NETRING_TYPE_CAPTURE, first_property, ap, NULL,
                                               &error);
  va_end (ap);
  g_assert_null (capture);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_test_message ("%s", error->message);
  g_assert_true (g_pattern_match_simple (expected_words, error->message));
}

static void
test_missing_interface (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = netring_capture_new (NULL, &error);

  g_assert_null (capture);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "“interface”"));
}

static void
test_unknown_interface (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = netring_capture_new ("nr-no-such0", &error);

  g_assert_null (capture);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_assert_nonnull (strstr (error->message, "nr-no-such0"));

  g_clear_error (&error);
  capture = netring_capture_new ("an-interface-name-far-too-long", &error);
  g_assert_null (capture);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
  g_assert_nonnull (strstr (error->message, "an-interface-name-far-too-long"));
}

static void
test_block_size (void)
{
  expect_config_error ("*“block-size” 3000*power of two*", "interface", IFACE, "block-size",
                       3000u, NULL);
  /* a power of two below the page size */
  expect_config_error ("*“block-size” 2048*page size*", "interface", IFACE, "block-size", 2048u,
                       NULL);
}

static void
test_frame_size (void)
{
  expect_config_error ("*“frame-size” 100*multiple of 16*", "interface", IFACE, "frame-size",
                       100u, NULL);
  expect_config_error ("*“frame-size” 32*at least 68*", "interface", IFACE, "frame-size", 32u,
                       NULL);
  expect_config_error ("*“frame-size” 8192*“block-size” (4096)*", "interface", IFACE,
                       "block-size", 4096u, "frame-size", 8192u, NULL);
}

static void
test_block_count (void)
{
  /* 2^20 blocks of 4 MiB would need 4 TiB of address space and 2^31 frames */
  expect_config_error ("*“block-count” 4294967295*", "interface", IFACE, "block-count",
                       G_MAXUINT, "frame-size", 80u, NULL);
}

static void
test_other_options (void)
{
  expect_config_error ("*“busy-poll-us” 4294967295*", "interface", IFACE, "busy-poll-us",
                       G_MAXUINT, NULL);
  expect_config_error ("*“rcvbuf” 4294967295*", "interface", IFACE, "rcvbuf", G_MAXUINT, NULL);
  expect_config_error ("*“rcvbuf-force”*“rcvbuf”*", "interface", IFACE, "rcvbuf-force", TRUE,
                       NULL);
}

static void
drop_all_capabilities (void)
{
  struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2] = { { 0 } };

  g_assert_no_errno (syscall (SYS_capset, &header, data));
}

static void
test_permission_denied (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringCapture) capture = NULL;
      g_autoptr(NetringInjector) injector = NULL;

      drop_all_capabilities ();
      capture = netring_capture_new (IFACE, &error);
      g_assert_null (capture);
      g_assert_error (error, NETRING_ERROR, NETRING_ERROR_PERMISSION_DENIED);
      g_assert_nonnull (strstr (error->message, "CAP_NET_RAW"));
      g_print ("%s\n", error->message);
      g_clear_error (&error);

      /* the injector's socket: the same step, the same error */
      injector = netring_injector_new (IFACE, &error);
      g_assert_null (injector);
      g_assert_error (error, NETRING_ERROR, NETRING_ERROR_PERMISSION_DENIED);
      g_assert_true (g_pattern_match_simple ("socket(AF_PACKET)*CAP_NET_RAW*", error->message));
      g_clear_error (&error);

      /* an unknown interface is named as such even without privileges */
      capture = netring_capture_new ("nr-no-such0", &error);
      g_assert_null (capture);
      g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_SUCH_INTERFACE);
      g_assert_nonnull (strstr (error->message, "nr-no-such0"));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*permission denied*CAP_NET_RAW*");
}

/* ---- the kernel's limits and the ring's memory ------------------------------ */

static void
test_kernel_limits (void)
{
  /* 2 GiB is not a positive int: the kernel's EINVAL, named up front */
  expect_config_error ("*“block-size” 2147483648*at most 1073741824*", "interface", IFACE,
                       "block-size", 1u << 31, NULL);
  /* 0 takes the profile's value; beyond 65536 the kernel's 16-bit block
   * number wraps */
  expect_config_error ("*“block-count” 65537*1 to 65536*", "interface", IFACE, "block-count",
                       65537u, NULL);
  /* more frames than the kernel's unsigned int */
  expect_config_error ("*“block-count” 65536*frames*“frame-size”*", "interface", IFACE,
                       "block-size", 1u << 30, "block-count", 65536u, "frame-size", 80u, NULL);
  /* the kernel keeps the timeout in 16 bits */
  expect_config_error ("*“block-timeout-ms” 65536*65535*", "interface", IFACE,
                       "block-timeout-ms", 65536, NULL);
}

/* The same rules, from the same code, for a fanout group. */
static void
test_fanout_group_rules (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) group = NULL;

  group = g_initable_new (NETRING_TYPE_FANOUT_GROUP, NULL, &error, "interface", IFACE,
                          "n-members", 2u, "frame-size", 100u, NULL);
  g_assert_null (group);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_true (g_pattern_match_simple ("*“frame-size” 100*multiple of 16*", error->message));
  g_clear_error (&error);

  group = g_initable_new (NETRING_TYPE_FANOUT_GROUP, NULL, &error, "interface", IFACE,
                          "n-members", 2u, "rcvbuf-force", TRUE, NULL);
  g_assert_null (group);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_true (g_pattern_match_simple ("*“rcvbuf-force”*“rcvbuf”*", error->message));
}

static guint64
mem_available (void)
{
  g_autofree gchar *meminfo = NULL;
  const gchar *line;

  g_assert_true (g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL));
  line = strstr (meminfo, "MemAvailable:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10) * 1024;
}

/* A ring larger than the machine's memory is refused, naming both sizes
 * and the properties, before anything is allocated. The proof of "before":
 * the process runs without any capability, so if the library reached the
 * socket (or the kernel's allocation) the error would be "permission
 * denied", and nothing could be allocated even if the check were broken. */
static void
test_ring_memory (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GObject) object = NULL;
      guint blocks;

      drop_all_capabilities ();

      /* 64 TiB: more than any machine */
      object = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", IFACE,
                               "block-size", 1u << 30, "block-count", 65536u, "frame-size",
                               65536u, NULL);
      g_assert_null (object);
      g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_MEMORY);
      g_print ("%s\n", error->message);
      g_assert_true (g_pattern_match_simple ("*“block-size” 1.0?GiB × “block-count” 65536 = "
                                             "64.0?TiB*available of*“block-size”*“block-count”*",
                                             error->message));
      g_clear_error (&error);

      /* just over what is available now (1 GiB blocks, one more than fit) */
      blocks = (guint) (mem_available () >> 30) + 1;
      object = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", IFACE,
                               "block-size", 1u << 30, "block-count", blocks, "frame-size",
                               65536u, NULL);
      g_assert_null (object);
      g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_MEMORY);
      g_print ("%s\n", error->message);
      g_clear_error (&error);

      /* a fanout group counts every member's ring */
      blocks = (guint) (mem_available () >> 30) / 4 + 1;
      object = g_initable_new (NETRING_TYPE_FANOUT_GROUP, NULL, &error, "interface", IFACE,
                               "n-members", 4u, "block-size", 1u << 30, "block-count", blocks,
                               "frame-size", 65536u, NULL);
      g_assert_null (object);
      g_assert_error (error, NETRING_ERROR, NETRING_ERROR_NO_MEMORY);
      g_print ("%s\n", error->message);
      g_assert_true (g_pattern_match_simple ("*4 members × “block-size” 1.0?GiB*", error->message));
      g_clear_error (&error);

      /* a ring that fits gets past the check: to the socket, which needs
       * CAP_NET_RAW */
      object = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", IFACE,
                               "profile", NETRING_RING_PROFILE_LOW_MEMORY, NULL);
      g_assert_null (object);
      g_assert_error (error, NETRING_ERROR, NETRING_ERROR_PERMISSION_DENIED);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*larger than the memory*");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/validation/missing-interface", test_missing_interface);
  g_test_add_func ("/validation/unknown-interface", test_unknown_interface);
  g_test_add_func ("/validation/block-size", test_block_size);
  g_test_add_func ("/validation/frame-size", test_frame_size);
  g_test_add_func ("/validation/block-count", test_block_count);
  g_test_add_func ("/validation/other-options", test_other_options);
  g_test_add_func ("/validation/permission-denied", test_permission_denied);
  g_test_add_func ("/validation/kernel-limits", test_kernel_limits);
  g_test_add_func ("/validation/fanout-group-rules", test_fanout_group_rules);
  g_test_add_func ("/validation/ring-memory", test_ring_memory);
  return g_test_run ();
}
