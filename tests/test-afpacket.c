/* test-afpacket.c: the AF_PACKET kernel floor without privileges: the RX
 * geometry rules, fanout encoding, statistics sums, the option and
 * socket-error helpers on an ordinary socket, the link type query, and the
 * memory limits read from synthetic /proc and cgroup trees. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <net/if_arp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nr-afpacket.h"
#include "nr-memory.h"

#define PAGE 4096

static NrRxGeometry
geometry (guint32 block_size, guint32 block_count, guint32 frame_size, guint32 timeout)
{
  NrRxGeometry g = { block_size, block_count, frame_size, timeout };
  return g;
}

static NrRxGeometryRule
check (guint32 block_size, guint32 block_count, guint32 frame_size, guint32 timeout)
{
  NrRxGeometry g = geometry (block_size, block_count, frame_size, timeout);
  return nr_rx_geometry_check (&g, PAGE);
}

static void
test_geometry_rules (void)
{
  /* every profile of NetringRingProfile is valid */
  g_assert_cmpint (check (1u << 22, 64, 2048, 60), ==, NR_RX_GEOMETRY_OK);
  g_assert_cmpint (check (1u << 22, 256, 2048, 60), ==, NR_RX_GEOMETRY_OK);
  g_assert_cmpint (check (1u << 18, 64, 2048, 1), ==, NR_RX_GEOMETRY_OK);
  g_assert_cmpint (check (1u << 20, 16, 2048, 100), ==, NR_RX_GEOMETRY_OK);
  g_assert_cmpint (check (1u << 22, 64, 65536, 60), ==, NR_RX_GEOMETRY_OK);

  /* block size: a power of two, a multiple of the page, at most 1 GiB (the
   * kernel refuses (int) block_size <= 0, so 2 GiB would be EINVAL) */
  g_assert_cmpint (check (0, 1, 2048, 0), ==, NR_RX_BLOCK_SIZE_NOT_POWER_OF_TWO);
  g_assert_cmpint (check (3 * PAGE, 1, 2048, 0), ==, NR_RX_BLOCK_SIZE_NOT_POWER_OF_TWO);
  g_assert_cmpint (check (2048, 1, 2048, 0), ==, NR_RX_BLOCK_SIZE_NOT_POWER_OF_TWO);
  g_assert_cmpint (check (PAGE, 1, 2048, 0), ==, NR_RX_GEOMETRY_OK);
  g_assert_cmpint (check (1u << 30, 1, 2048, 0), ==, NR_RX_GEOMETRY_OK);
  g_assert_cmpint (check (1u << 31, 1, 2048, 0), ==, NR_RX_BLOCK_SIZE_TOO_LARGE);
  g_assert_cmpuint (NR_RX_MAX_BLOCK_SIZE, ==, (guint32) G_MAXINT / 2 + 1);

  /* frame size: 16-byte aligned, holds the V3 header, fits in a block */
  g_assert_cmpint (check (PAGE, 1, 100, 0), ==, NR_RX_FRAME_SIZE_MISALIGNED);
  g_assert_cmpint (check (PAGE, 1, 64, 0), ==, NR_RX_FRAME_SIZE_TOO_SMALL);
  g_assert_cmpint (check (PAGE, 1, 80, 0), ==, NR_RX_GEOMETRY_OK);
  g_assert_cmpint (check (PAGE, 1, PAGE, 0), ==, NR_RX_GEOMETRY_OK);
  g_assert_cmpint (check (PAGE, 1, 2 * PAGE, 0), ==, NR_RX_FRAME_SIZE_ABOVE_BLOCK);
  g_assert_cmpuint (NR_RX_MIN_FRAME_SIZE, ==, 68);

  /* block count: 1 … 65536 (16-bit block numbers in the kernel) */
  g_assert_cmpint (check (PAGE, 0, 2048, 0), ==, NR_RX_BLOCK_COUNT_ZERO);
  g_assert_cmpint (check (PAGE, 65536, 2048, 0), ==, NR_RX_GEOMETRY_OK);
  g_assert_cmpint (check (PAGE, 65537, 2048, 0), ==, NR_RX_BLOCK_COUNT_TOO_LARGE);

  /* frame count: frames per block × blocks fits the kernel's unsigned int */
  g_assert_cmpint (check (1u << 30, 65536, 1u << 15, 0), ==, NR_RX_GEOMETRY_OK);
  g_assert_cmpint (check (1u << 30, 65536, 1u << 14, 0), ==, NR_RX_FRAME_COUNT_TOO_LARGE);

  /* block timeout: 16 bits in the kernel */
  g_assert_cmpint (check (PAGE, 1, 2048, 65535), ==, NR_RX_GEOMETRY_OK);
  g_assert_cmpint (check (PAGE, 1, 2048, 65536), ==, NR_RX_BLOCK_TIMEOUT_TOO_LARGE);
}

static void
test_geometry_req (void)
{
  NrRxGeometry g = geometry (1u << 22, 64, 2048, 60);
  struct tpacket_req3 req;

  g_assert_cmpuint (nr_rx_geometry_ring_bytes (&g), ==, G_GUINT64_CONSTANT (256) << 20);
  g = geometry (1u << 30, 65536, 1u << 15, 0);
  g_assert_cmpuint (nr_rx_geometry_ring_bytes (&g), ==, G_GUINT64_CONSTANT (1) << 46);

  g = geometry (1u << 22, 64, 2048, 60);
  nr_rx_geometry_to_req (&g, TRUE, &req);
  g_assert_cmpuint (req.tp_block_size, ==, 1u << 22);
  g_assert_cmpuint (req.tp_block_nr, ==, 64);
  g_assert_cmpuint (req.tp_frame_size, ==, 2048);
  g_assert_cmpuint (req.tp_frame_nr, ==, 2048 * 64);
  g_assert_cmpuint (req.tp_retire_blk_tov, ==, 60);
  g_assert_cmpuint (req.tp_sizeof_priv, ==, 0);
  g_assert_cmpuint (req.tp_feature_req_word, ==, TP_FT_REQ_FILL_RXHASH);
  nr_rx_geometry_to_req (&g, FALSE, &req);
  g_assert_cmpuint (req.tp_feature_req_word, ==, 0);
  /* a frame size that does not divide the block: whole frames only */
  g = geometry (PAGE, 3, 1552, 0);
  nr_rx_geometry_to_req (&g, FALSE, &req);
  g_assert_cmpuint (req.tp_frame_nr, ==, 2 * 3);
}

static void
test_geometry_retry (void)
{
  guint32 counts[16];
  guint32 c = 64, n = 0;

  /* 3/4 each time, down to a quarter of what was asked for, then stop */
  while ((c = nr_rx_geometry_retry_count (64, c)) != 0)
    counts[n++] = c;
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpuint (counts[0], ==, 48);
  g_assert_cmpuint (counts[1], ==, 36);
  g_assert_cmpuint (counts[2], ==, 27);
  g_assert_cmpuint (counts[3], ==, 20);
  g_assert_cmpuint (counts[4], ==, 16);
  /* a single block has nothing smaller to try */
  g_assert_cmpuint (nr_rx_geometry_retry_count (1, 1), ==, 0);
  g_assert_cmpuint (nr_rx_geometry_retry_count (2, 2), ==, 1);
  g_assert_cmpuint (nr_rx_geometry_retry_count (2, 1), ==, 0);
}

static void
test_fanout_arg (void)
{
  guint32 arg;

  /* id in the low 16 bits, mode | flags above (PACKET_FANOUT_LB = 1,
   * PACKET_FANOUT_FLAG_DEFRAG = 0x8000, PACKET_FANOUT_FLAG_UNIQUEID = 0x2000) */
  arg = nr_afpacket_fanout_arg (42, PACKET_FANOUT_LB, 0);
  g_assert_cmphex (arg, ==, 0x0001002a);
  arg = nr_afpacket_fanout_arg (0xffff, PACKET_FANOUT_HASH,
                                PACKET_FANOUT_FLAG_DEFRAG | PACKET_FANOUT_FLAG_ROLLOVER);
  g_assert_cmphex (arg, ==, 0x9000ffff);
  arg = nr_afpacket_fanout_arg (0, PACKET_FANOUT_EBPF, PACKET_FANOUT_FLAG_UNIQUEID);
  g_assert_cmphex (arg, ==, 0x20070000);
  g_assert_cmpuint (nr_afpacket_fanout_arg_id (0x9000beef), ==, 0xbeef);
}

static void
test_stats_add (void)
{
  NrAfpacketStats sum = { 0 };
  struct tpacket_stats_v3 reading = { G_MAXUINT32, G_MAXUINT32, 7 };
  guint i;

  /* the kernel's counters are 32-bit and reset on read: sums keep going */
  for (i = 0; i < 3; i++)
    nr_afpacket_stats_add (&sum, &reading);
  g_assert_cmpuint (sum.packets, ==, 3 * (guint64) G_MAXUINT32);
  g_assert_cmpuint (sum.drops, ==, 3 * (guint64) G_MAXUINT32);
  g_assert_cmpuint (sum.freezes, ==, 21);
}

/* On an ordinary UDP socket (no privilege, no traffic). */
static void
test_options_and_errors (void)
{
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int value = 0;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (nr_afpacket_set_int_option (fd, SOL_SOCKET, SO_RCVBUF, 65536), ==, 0);
  g_assert_cmpint (nr_afpacket_get_int_option (fd, SOL_SOCKET, SO_RCVBUF, &value), ==, 0);
  g_assert_cmpint (value, ==, 2 * 65536); /* the kernel doubles it */
  g_assert_cmpint (nr_afpacket_set_int_option (fd, SOL_SOCKET, 9999, 1), ==, -ENOPROTOOPT);
  g_assert_cmpint (nr_afpacket_set_int_option (-1, SOL_SOCKET, SO_RCVBUF, 1), ==, -EBADF);

  /* no pending error; reading one that cannot be read gives its errno */
  g_assert_cmpint (nr_afpacket_take_socket_error (fd), ==, 0);
  g_assert_cmpint (nr_afpacket_take_socket_error (-1), ==, EBADF);

  /* the link type comes from the kernel of the socket's namespace: "lo"
   * exists in every namespace */
  g_assert_cmpint (nr_afpacket_link_type (fd, "lo"), ==, ARPHRD_LOOPBACK);
  g_assert_cmpint (nr_afpacket_link_type (fd, "nr-no-such0"), ==, -ENODEV);
  g_assert_cmpint (nr_afpacket_link_type (fd, "a-name-far-too-long-for-ifreq"), ==, -ENODEV);
  /* the injector's query: the MTU, and the same link type */
  {
    guint32 mtu = 0;
    guint16 type = 0;

    g_assert_cmpint (nr_afpacket_link_query (fd, "lo", &mtu, &type), ==, 0);
    g_assert_cmpuint (type, ==, ARPHRD_LOOPBACK);
    g_assert_cmpuint (mtu, >=, 1500);
    g_assert_cmpint (nr_afpacket_link_query (fd, "nr-no-such0", &mtu, &type), ==, -ENODEV);
    g_assert_cmpint (nr_afpacket_link_query (fd, "a-name-far-too-long-for-ifreq", &mtu, &type),
                     ==, -ENODEV);
    g_assert_cmpint (nr_afpacket_take_socket_error (fd), ==, 0);
  }
  g_assert_true (nr_afpacket_link_type_is_ethernet (ARPHRD_ETHER));
  g_assert_true (nr_afpacket_link_type_is_ethernet (ARPHRD_LOOPBACK));
  g_assert_false (nr_afpacket_link_type_is_ethernet (ARPHRD_NONE));
  g_assert_false (nr_afpacket_link_type_is_ethernet (ARPHRD_TUNNEL));
  g_assert_cmpstr (nr_afpacket_link_type_name (ARPHRD_NONE), ==, "none");
  g_assert_cmpstr (nr_afpacket_link_type_name (12345), ==, "unknown");
  close (fd);
}

/* ---- memory ---------------------------------------------------------------- */

static void
test_meminfo (void)
{
  guint64 total, available;

  g_assert_true (nr_memory_parse_meminfo ("MemTotal:       24683584 kB\n"
                                          "MemFree:        22216480 kB\n"
                                          "MemAvailable:   23542680 kB\n"
                                          "Buffers:          102624 kB\n",
                                          &total, &available));
  g_assert_cmpuint (total, ==, G_GUINT64_CONSTANT (24683584) * 1024);
  g_assert_cmpuint (available, ==, G_GUINT64_CONSTANT (23542680) * 1024);
  /* an old kernel without MemAvailable: MemFree */
  g_assert_true (nr_memory_parse_meminfo ("MemTotal: 1000 kB\nMemFree: 300 kB\n", &total,
                                          &available));
  g_assert_cmpuint (available, ==, 300 * 1024);
  /* an unreadable MemAvailable is not taken as 0: MemFree */
  g_assert_true (nr_memory_parse_meminfo ("MemTotal: 1000 kB\nMemAvailable: x kB\n"
                                          "MemFree: 200 kB\n",
                                          &total, &available));
  g_assert_cmpuint (available, ==, 200 * 1024);
  /* "MemTotalX" is not "MemTotal"; MemAvailable alone does not make a meminfo */
  g_assert_false (nr_memory_parse_meminfo ("MemTotalX: 5 kB\n", &total, &available));
  g_assert_false (nr_memory_parse_meminfo ("MemAvailable: 1 kB\n", &total, &available));
  g_assert_false (nr_memory_parse_meminfo ("", &total, &available));
}

static void
test_cgroup_path (void)
{
  g_autofree char *path = NULL;
  gboolean v2 = TRUE;

  /* hybrid: memory is a v1 controller, preferred over the unified line */
  path = nr_memory_cgroup_path ("9:name=systemd:/\n8:pids:/\n"
                                "4:memory:/process_api/0fc1\n"
                                "3:cpu,cpuacct:/x\n0::/\n",
                                &v2);
  g_assert_cmpstr (path, ==, "/process_api/0fc1");
  g_assert_false (v2);
  g_clear_pointer (&path, g_free);

  /* memory in a comma-separated list */
  path = nr_memory_cgroup_path ("5:cpuset,memory:/a/b\n", &v2);
  g_assert_cmpstr (path, ==, "/a/b");
  g_assert_false (v2);
  g_clear_pointer (&path, g_free);

  /* pure v2; a path containing ':' */
  path = nr_memory_cgroup_path ("0::/user.slice/app:1.scope\n", &v2);
  g_assert_cmpstr (path, ==, "/user.slice/app:1.scope");
  g_assert_true (v2);
  g_clear_pointer (&path, g_free);

  /* pure v2, the way systemd names a session */
  path = nr_memory_cgroup_path ("0::/user.slice/user-1000.slice/session-2.scope\n", &v2);
  g_assert_cmpstr (path, ==, "/user.slice/user-1000.slice/session-2.scope");
  g_assert_true (v2);
  g_clear_pointer (&path, g_free);

  g_assert_null (nr_memory_cgroup_path ("3:cpu:/x\n", &v2));
  g_assert_null (nr_memory_cgroup_path ("", &v2));

  g_assert_cmpuint (nr_memory_parse_limit ("max\n"), ==, G_MAXUINT64);
  g_assert_cmpuint (nr_memory_parse_limit ("9223372036854771712\n"), ==, G_MAXUINT64);
  g_assert_cmpuint (nr_memory_parse_limit ("1073741824\n"), ==, G_GUINT64_CONSTANT (1) << 30);
  g_assert_cmpuint (nr_memory_parse_limit ("67108864\n"), ==, 67108864);
  /* what is not a number is no limit: nothing is refused on a file we
   * cannot read */
  g_assert_cmpuint (nr_memory_parse_limit (""), ==, G_MAXUINT64);
  g_assert_cmpuint (nr_memory_parse_limit ("-1"), ==, G_MAXUINT64);
}

/* Writes @contents to @root/@path ("memory/svc/memory.max"), making the
 * directories on the way. */
static void
write_file (const char *root, const char *path, const char *contents)
{
  g_autofree char *file = g_build_filename (root, path, NULL);
  g_autofree char *dir = g_path_get_dirname (file);
  g_autoptr(GError) error = NULL;

  g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
  g_file_set_contents (file, contents, -1, &error);
  g_assert_no_error (error);
}

static void
rm_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          rm_tree (child);
        }
      g_dir_close (dir);
      g_assert_no_errno (g_rmdir (path));
    }
  else
    g_assert_no_errno (g_unlink (path));
}

static void
test_memory_read (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("nr-memory-XXXXXX", &error);
  g_autofree char *proc = NULL, *cg = NULL, *nothing = NULL;
  NrMemory memory;

  g_assert_no_error (error);
  proc = g_build_filename (root, "proc", NULL);
  cg = g_build_filename (root, "cgroup", NULL);
  write_file (proc, "meminfo", "MemTotal: 8388608 kB\nMemAvailable: 4194304 kB\n");

  /* no cgroup file system: the machine's memory only */
  write_file (proc, "self/cgroup", "4:memory:/svc/job\n0::/\n");
  nr_memory_read (proc, cg, &memory);
  g_assert_cmpuint (memory.total, ==, G_GUINT64_CONSTANT (8) << 30);
  g_assert_cmpuint (memory.available, ==, G_GUINT64_CONSTANT (4) << 30);
  g_assert_cmpuint (memory.cgroup_limit, ==, G_MAXUINT64);
  g_assert_cmpuint (nr_memory_usable (&memory), ==, G_GUINT64_CONSTANT (4) << 30);

  /* v1: the parent's 1 GiB limit is tighter than the job's 2 GiB one */
  write_file (cg, "memory/svc/job/memory.limit_in_bytes", "2147483648\n");
  write_file (cg, "memory/svc/job/memory.usage_in_bytes", "1000\n");
  write_file (cg, "memory/svc/memory.limit_in_bytes", "1073741824\n");
  write_file (cg, "memory/svc/memory.usage_in_bytes", "268435456\n");
  write_file (cg, "memory/memory.limit_in_bytes", "9223372036854771712\n");
  nr_memory_read (proc, cg, &memory);
  g_assert_cmpuint (memory.cgroup_limit, ==, G_GUINT64_CONSTANT (1) << 30);
  g_assert_cmpuint (memory.cgroup_usage, ==, G_GUINT64_CONSTANT (256) << 20);
  g_assert_cmpuint (nr_memory_usable (&memory), ==, G_GUINT64_CONSTANT (768) << 20);

  /* the job's own 512 MiB limit is the smaller one, but its parent has only
   * 256 MiB left (its other children use the rest): the parent binds */
  write_file (cg, "memory/svc/job/memory.limit_in_bytes", "536870912\n");
  write_file (cg, "memory/svc/memory.usage_in_bytes", "805306368\n");
  nr_memory_read (proc, cg, &memory);
  g_assert_cmpuint (memory.cgroup_limit, ==, G_GUINT64_CONSTANT (1) << 30);
  g_assert_cmpuint (memory.cgroup_usage, ==, G_GUINT64_CONSTANT (768) << 20);
  g_assert_cmpuint (nr_memory_usable (&memory), ==, G_GUINT64_CONSTANT (256) << 20);

  /* v2, hybrid layout (under "unified"); nothing left */
  write_file (proc, "self/cgroup", "0::/app.slice\n");
  write_file (cg, "unified/app.slice/memory.max", "536870912\n");
  write_file (cg, "unified/app.slice/memory.current", "536870912\n");
  nr_memory_read (proc, cg, &memory);
  g_assert_cmpuint (memory.cgroup_limit, ==, G_GUINT64_CONSTANT (512) << 20);
  g_assert_cmpuint (nr_memory_usable (&memory), ==, 0);

  /* v2 at the root of the mount, no limit ("max") */
  write_file (proc, "self/cgroup", "0::/user.slice\n");
  write_file (cg, "user.slice/memory.max", "max\n");
  nr_memory_read (proc, cg, &memory);
  g_assert_cmpuint (memory.cgroup_limit, ==, G_MAXUINT64);
  g_assert_cmpuint (nr_memory_usable (&memory), ==, G_GUINT64_CONSTANT (4) << 30);

  /* nothing readable at all: no limit known, nothing refused */
  nothing = g_build_filename (root, "nothing", NULL);
  nr_memory_read (nothing, nothing, &memory);
  g_assert_cmpuint (nr_memory_usable (&memory), ==, G_MAXUINT64);

  rm_tree (root);
}

/* The process's real numbers are readable and sane. */
static void
test_memory_live (void)
{
  NrMemory memory;

  nr_memory_read ("/proc", "/sys/fs/cgroup", &memory);
  g_assert_cmpuint (memory.total, >, 0);
  g_assert_cmpuint (memory.available, <=, memory.total);
  g_assert_cmpuint (nr_memory_usable (&memory), <=, memory.total);
  g_test_message ("MemTotal %" G_GUINT64_FORMAT ", MemAvailable %" G_GUINT64_FORMAT
                  ", cgroup limit %" G_GUINT64_FORMAT ", usable %" G_GUINT64_FORMAT,
                  memory.total, memory.available, memory.cgroup_limit,
                  nr_memory_usable (&memory));
}

/* The adoption rules on descriptors anyone can make (AF_PACKET ones need
 * CAP_NET_RAW: test-privileges has them): the kind, read back. */
static void
test_validate_fd (void)
{
  int family, type, errnum, fds[2];
  int fd;

  g_assert_cmpint (nr_afpacket_validate_fd (-1, &family, &type, &errnum), ==,
                   NR_AFPACKET_FD_NOT_OPEN);
  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (nr_afpacket_validate_fd (fd, &family, &type, &errnum), ==,
                   NR_AFPACKET_FD_WRONG_FAMILY);
  g_assert_cmpint (family, ==, AF_INET);
  g_assert_cmpint (type, ==, SOCK_DGRAM);
  g_assert_cmpint (errnum, ==, 0);
  g_assert_cmpstr (nr_socket_family_name (family), ==, "AF_INET");
  g_assert_cmpstr (nr_socket_type_name (type), ==, "SOCK_DGRAM");
  close (fd);
  /* closed: not open any more */
  g_assert_cmpint (nr_afpacket_validate_fd (fd, NULL, NULL, NULL), ==, NR_AFPACKET_FD_NOT_OPEN);

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), ==, 0);
  g_assert_cmpint (nr_afpacket_validate_fd (fds[0], &family, &type, NULL), ==,
                   NR_AFPACKET_FD_WRONG_FAMILY);
  g_assert_cmpint (family, ==, AF_UNIX);
  g_assert_cmpstr (nr_socket_type_name (type), ==, "SOCK_SEQPACKET");
  close (fds[0]);
  close (fds[1]);

  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (nr_afpacket_validate_fd (fds[0], &family, &type, &errnum), ==,
                   NR_AFPACKET_FD_NOT_A_SOCKET);
  g_assert_cmpint (family, ==, -1);
  g_assert_cmpint (errnum, ==, 0);
  close (fds[0]);
  close (fds[1]);

  fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (nr_afpacket_validate_fd (fd, NULL, NULL, NULL), ==,
                   NR_AFPACKET_FD_NOT_A_SOCKET);
  close (fd);

  g_assert_null (nr_socket_family_name (12345));
  g_assert_null (nr_socket_type_name (12345));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/afpacket/geometry-rules", test_geometry_rules);
  g_test_add_func ("/afpacket/geometry-req", test_geometry_req);
  g_test_add_func ("/afpacket/geometry-retry", test_geometry_retry);
  g_test_add_func ("/afpacket/fanout-arg", test_fanout_arg);
  g_test_add_func ("/afpacket/stats-add", test_stats_add);
  g_test_add_func ("/afpacket/options-and-errors", test_options_and_errors);
  g_test_add_func ("/afpacket/validate-fd", test_validate_fd);
  g_test_add_func ("/memory/meminfo", test_meminfo);
  g_test_add_func ("/memory/cgroup-path", test_cgroup_path);
  g_test_add_func ("/memory/read", test_memory_read);
  g_test_add_func ("/memory/live", test_memory_live);
  return g_test_run ();
}
