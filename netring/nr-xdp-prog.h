/* nr-xdp-prog.h: which XDP program an interface runs, and in which mode.
 * Plain C (libbpf, libxdp), no GObject. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  NR_XDP_ATTACHED_NONE = 0,
  NR_XDP_ATTACHED_NATIVE,  /* driver mode (XDP_FLAGS_DRV_MODE) */
  NR_XDP_ATTACHED_GENERIC, /* skb mode (XDP_FLAGS_SKB_MODE) */
  NR_XDP_ATTACHED_OFFLOAD, /* on the NIC */
} NrXdpAttachMode;

/* The name of libxdp's default AF_XDP redirect program. */
#define NR_XDP_XSK_PROGRAM_NAME "xsk_def_prog"

typedef struct {
  guint32 prog_id;     /* the program the interface runs (0: none) */
  NrXdpAttachMode mode;
  char name[16];       /* its name (BPF_OBJ_NAME_LEN), "" when unknown */
  gboolean dispatcher; /* it is libxdp's multi-program dispatcher */
  gboolean has_xsk_program; /* it is, or the dispatcher runs, NR_XDP_XSK_PROGRAM_NAME */
  guint32 xsk_prog_id; /* the id of that program (0 if none) */
} NrXdpProgInfo;

/* Reads what @ifindex (in the caller's namespace) runs. A native or generic
 * program wins over an offloaded one (the kernel allows native and generic
 * never at once). Returns 0 or -errno (-ENODEV: no such interface). Calls
 * into libxdp; nr_xdp_prog_lock() must be held. */
int nr_xdp_prog_query (int ifindex, NrXdpProgInfo *info);

/* libxdp keeps process-wide state (caches, a print function) without locks
 * of its own: every call into it from the library is made under this lock,
 * with libxdp's and libbpf's messages routed to g_debug() and the last
 * warning remembered for error messages. */
void nr_xdp_prog_lock (void);
void nr_xdp_prog_unlock (void);
/* The last warning libxdp or libbpf printed since the lock was taken ("" if
 * none); valid until the lock is released. */
const char *nr_xdp_prog_last_warning (void);

const char *nr_xdp_attach_mode_name (NrXdpAttachMode mode);

/* Detaches libxdp's redirect program from @ifindex when it runs there on
 * its own (not in a dispatcher): what netring-helper does for the
 * interfaces it made AF_XDP sockets for when it exits. Only that program
 * (XDP_FLAGS_REPLACE). Returns 0, -ENOENT (no such program there), -EBUSY
 * (it runs in libxdp's dispatcher: left alone) or -errno. Needs
 * CAP_SYS_ADMIN and CAP_NET_ADMIN; nr_xdp_prog_lock() must be held. */
int nr_xdp_prog_detach_xsk (int ifindex);

/* Whether this process may look XDP programs up by id
 * (BPF_PROG_GET_FD_BY_ID), as libxdp does to find its redirect program or
 * dispatcher on an interface and to share it: the kernel allows that with
 * CAP_SYS_ADMIN only (CAP_BPF is not enough), in the initial user
 * namespace. Without it libxdp attaches a program it then cannot find, and
 * leaves it attached. Returns 0, or -EPERM when the process may not. */
int nr_xdp_prog_check_lookup (void);

G_END_DECLS
