/* netring-bpf-program-private.h: what captures need from BPF programs */
#pragma once

#include "netring-private.h"
#include "nr-afpacket.h"
#include "nr-bpf.h"

G_BEGIN_DECLS

/* Compiles @expression for the frames of interface @ifname, whose link
 * type (ARPHRD_*) is @arphrd as the kernel of the capture's own socket
 * reports it (nr_afpacket_link_type()). Ethernet and loopback compile
 * offline for DLT_EN10MB, unless the expression tests VLAN tags (which
 * needs the kernel's VLAN metadata, known to a live handle). Every other
 * case goes through a live libpcap handle for @ifname, and fails with
 * NETRING_ERROR_NOT_SUPPORTED naming the interface and its link type when
 * libpcap cannot open it or would capture it in cooked mode. Never falls
 * back to Ethernet. */
NetringBpfProgram *_netring_bpf_program_compile_for_link (const gchar *expression,
                                                          const gchar *ifname,
                                                          int          arphrd,
                                                          guint        snap_length,
                                                          GError     **error);

/* The same, with the link type read from @fd (a socket in the namespace of
 * @ifname, normally the capture's own). */
NetringBpfProgram *_netring_bpf_program_compile_for_socket (const gchar *expression,
                                                            int          fd,
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
