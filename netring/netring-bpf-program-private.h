/* netring-bpf-program-private.h: what captures need from BPF programs */
#pragma once

#include "netring-private.h"
#include "nr-bpf.h"

G_BEGIN_DECLS

/* Compiles @expression for the live interface @ifname (its link type, and
 * the kernel's VLAN metadata for "vlan" primitives, as libpcap does for a
 * live capture); falls back to an offline compile for Ethernet when libpcap
 * cannot open the interface. */
NetringBpfProgram *_netring_bpf_program_compile_for_interface (const gchar *expression,
                                                              const gchar *ifname,
                                                              guint        snap_length,
                                                              GError     **error);

/* setsockopt (@fd, @level, @optname, sock_fprog) with @program (may be NULL)
 * combined with @snap_length (0 = none). With neither, does nothing and
 * returns TRUE. @what names the option for error messages. */
gboolean _netring_bpf_program_attach (NetringBpfProgram *program, guint snap_length, int fd,
                                      int level, int optname, const char *what, GError **error);

/* Loads program @name of the eBPF object file @path as a socket filter with
 * libbpf. Returns a new program fd, or -1 with @error set. */
int _netring_ebpf_load_socket_filter (const gchar *path, const gchar *name, GError **error);

G_END_DECLS
