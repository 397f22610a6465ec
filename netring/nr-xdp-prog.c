/* nr-xdp-prog.c: which XDP program an interface runs (see nr-xdp-prog.h) */
#include "config.h"

#include "nr-xdp-prog.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <xdp/libxdp.h>

static GMutex libxdp_lock;
static libxdp_print_fn_t saved_libxdp_print;
static libbpf_print_fn_t saved_libbpf_print;
static char last_warning[160];

static void G_GNUC_PRINTF (1, 0)
log_line (const char *format, va_list args, gboolean remember)
{
  char line[512];
  gsize len;

  g_vsnprintf (line, sizeof line, format, args);
  len = strlen (line);
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == ' '))
    line[--len] = '\0';
  if (len == 0)
    return;
  g_debug ("%s", line);
  if (remember)
    g_strlcpy (last_warning, line, sizeof last_warning);
}

/* libxdp prints its warnings, and information such as "Compatibility
 * check for dispatcher program failed" on every first socket of a process
 * on this kind of kernel, to stderr. They are debug output for a library
 * user; the last one is kept for the error message when something fails. */
static int G_GNUC_PRINTF (2, 0)
libxdp_print (enum libxdp_print_level level, const char *format, va_list args)
{
  log_line (format, args, level != LIBXDP_DEBUG);
  return 0;
}

static int G_GNUC_PRINTF (2, 0)
libbpf_print (enum libbpf_print_level level, const char *format, va_list args)
{
  if (level == LIBBPF_DEBUG)
    return 0;
  log_line (format, args, level == LIBBPF_WARN);
  return 0;
}

void
nr_xdp_prog_lock (void)
{
  g_mutex_lock (&libxdp_lock);
  last_warning[0] = '\0';
  /* Swapped in for the duration of our own calls only, so an application
   * that installed print functions of its own keeps them otherwise. */
  saved_libxdp_print = libxdp_set_print (libxdp_print);
  saved_libbpf_print = libbpf_set_print (libbpf_print);
}

void
nr_xdp_prog_unlock (void)
{
  libxdp_set_print (saved_libxdp_print);
  libbpf_set_print (saved_libbpf_print);
  g_mutex_unlock (&libxdp_lock);
}

const char *
nr_xdp_prog_last_warning (void)
{
  return last_warning;
}

const char *
nr_xdp_attach_mode_name (NrXdpAttachMode mode)
{
  switch (mode)
    {
    case NR_XDP_ATTACHED_NONE:
      return "none";
    case NR_XDP_ATTACHED_NATIVE:
      return "native";
    case NR_XDP_ATTACHED_GENERIC:
      return "generic";
    case NR_XDP_ATTACHED_OFFLOAD:
      return "offload";
    default:
      return "unknown";
    }
}

static void
read_prog_name (guint32 id, char *name, gsize size)
{
  struct bpf_prog_info info;
  __u32 len = sizeof info;
  int fd;

  name[0] = '\0';
  fd = bpf_prog_get_fd_by_id (id);
  if (fd < 0)
    return; /* gone meanwhile, or no CAP_SYS_ADMIN/CAP_BPF: the id still says it */
  memset (&info, 0, sizeof info);
  if (bpf_obj_get_info_by_fd (fd, &info, &len) == 0)
    g_strlcpy (name, info.name, size);
  close (fd);
}

/* The component programs of a libxdp dispatcher are only known to libxdp
 * (they are linked through freplace, not visible in the netlink query). */
static guint32
find_xsk_component (int ifindex)
{
  struct xdp_multiprog *mp;
  struct xdp_program *prog = NULL;
  guint32 id = 0;

  mp = xdp_multiprog__get_from_ifindex (ifindex);
  if (libxdp_get_error (mp) != 0 || mp == NULL)
    return 0;
  while ((prog = xdp_multiprog__next_prog (prog, mp)) != NULL)
    {
      if (g_strcmp0 (xdp_program__name (prog), NR_XDP_XSK_PROGRAM_NAME) == 0)
        {
          id = xdp_program__id (prog);
          break;
        }
    }
  xdp_multiprog__close (mp);
  return id;
}

int
nr_xdp_prog_query (int ifindex, NrXdpProgInfo *info)
{
  LIBBPF_OPTS (bpf_xdp_query_opts, opts);
  int err;

  memset (info, 0, sizeof *info);
  err = bpf_xdp_query (ifindex, 0, &opts);
  if (err < 0)
    return err;

  if (opts.drv_prog_id != 0)
    {
      info->prog_id = opts.drv_prog_id;
      info->mode = NR_XDP_ATTACHED_NATIVE;
    }
  else if (opts.skb_prog_id != 0)
    {
      info->prog_id = opts.skb_prog_id;
      info->mode = NR_XDP_ATTACHED_GENERIC;
    }
  else if (opts.hw_prog_id != 0)
    {
      info->prog_id = opts.hw_prog_id;
      info->mode = NR_XDP_ATTACHED_OFFLOAD;
    }
  else
    return 0;

  read_prog_name (info->prog_id, info->name, sizeof info->name);
  if (strcmp (info->name, NR_XDP_XSK_PROGRAM_NAME) == 0)
    {
      info->has_xsk_program = TRUE;
      info->xsk_prog_id = info->prog_id;
    }
  else if (strcmp (info->name, "xdp_dispatcher") == 0)
    {
      info->dispatcher = TRUE;
      info->xsk_prog_id = find_xsk_component (ifindex);
      info->has_xsk_program = info->xsk_prog_id != 0;
    }
  return 0;
}

int
nr_xdp_prog_detach_xsk (int ifindex)
{
  LIBBPF_OPTS (bpf_xdp_attach_opts, opts);
  NrXdpProgInfo info;
  int err, prog_fd;

  err = nr_xdp_prog_query (ifindex, &info);
  if (err != 0)
    return err;
  if (!info.has_xsk_program)
    return -ENOENT;
  if (info.dispatcher)
    return -EBUSY;
  prog_fd = bpf_prog_get_fd_by_id (info.prog_id);
  if (prog_fd < 0)
    return -errno;
  /* only this program: a replacement attached meanwhile stays */
  opts.old_prog_fd = prog_fd;
  err = bpf_xdp_detach (ifindex,
                        XDP_FLAGS_REPLACE | (info.mode == NR_XDP_ATTACHED_NATIVE
                                               ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE),
                        &opts);
  close (prog_fd);
  return err < 0 ? err : 0;
}

int
nr_xdp_prog_check_lookup (void)
{
  /* The kernel checks the capability before it looks at the id: id 0
   * (never a program's) gives EPERM without it and ENOENT with it. */
  int fd = bpf_prog_get_fd_by_id (0);

  if (fd >= 0)
    {
      close (fd);
      return 0;
    }
  return (fd == -EPERM || errno == EPERM) ? -EPERM : 0;
}
