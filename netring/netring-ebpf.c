/* netring-ebpf.c: loading eBPF socket filters with libbpf. Apart from
 * netring-bpf-program.c because libbpf's <linux/bpf.h> and libpcap's
 * <pcap/bpf.h> both define struct bpf_insn. */
#include "netring-bpf-program-private.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <unistd.h>

int
_netring_ebpf_load_socket_filter (const gchar *path, const gchar *name, GError **error)
{
  struct bpf_object *obj;
  struct bpf_program *prog, *p;
  int fd, err;

  netring_i18n_init ();
  obj = bpf_object__open_file (path, NULL);
  if (obj == NULL)
    {
      int errsv = errno;
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("Cannot open the eBPF object file “%s”: %s"), path, g_strerror (errsv));
      return -1;
    }
  prog = bpf_object__find_program_by_name (obj, name);
  if (prog == NULL)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("The eBPF object file “%s” has no program named “%s”"), path, name);
      bpf_object__close (obj);
      return -1;
    }
  /* load only the program asked for, as a socket filter */
  bpf_object__for_each_program (p, obj)
    bpf_program__set_autoload (p, p == prog);
  bpf_program__set_type (prog, BPF_PROG_TYPE_SOCKET_FILTER);
  err = bpf_object__load (obj);
  if (err != 0)
    {
      g_autofree gchar *what = g_strdup_printf ("bpf_object__load(%s)", path);
      netring_set_error_from_errno (error, -err, what, "CAP_BPF");
      bpf_object__close (obj);
      return -1;
    }
  fd = fcntl (bpf_program__fd (prog), F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    {
      int errsv = errno;
      netring_set_error_from_errno (error, errsv, "fcntl(F_DUPFD_CLOEXEC)", NULL);
    }
  bpf_object__close (obj);
  return fd;
}
