/* netring-bpf-program.h: classic BPF programs */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <glib-object.h>
#include <netring/netring-version-macros.h>

G_BEGIN_DECLS

/**
 * NETRING_TYPE_BPF_PROGRAM:
 *
 * The #GType of #NetringBpfProgram.
 */
#define NETRING_TYPE_BPF_PROGRAM (netring_bpf_program_get_type ())

/**
 * NETRING_BPF_MAX_INSTRUCTIONS:
 *
 * The most instructions a classic BPF program may have (the kernel's
 * `BPF_MAXINSNS`).
 */
#define NETRING_BPF_MAX_INSTRUCTIONS 4096

/**
 * NETRING_LINK_TYPE_ETHERNET:
 *
 * The pcap link type of Ethernet (`DLT_EN10MB`), for
 * netring_bpf_program_new_from_expression().
 */
#define NETRING_LINK_TYPE_ETHERNET 1

typedef struct _NetringBpfProgram NetringBpfProgram;
typedef struct _NetringBpfInstruction NetringBpfInstruction;

/**
 * NetringBpfInstruction:
 * @code: the operation
 * @jt: how many instructions to skip when a jump's condition is true
 * @jf: how many instructions to skip when it is false
 * @k: the operand
 *
 * One classic BPF instruction, laid out like the kernel's `struct sock_filter`
 * and libpcap's `struct bpf_insn`.
 */
struct _NetringBpfInstruction {
  guint16 code;
  guint8 jt;
  guint8 jf;
  guint32 k;
};

NETRING_AVAILABLE_IN_ALL
GType netring_bpf_program_get_type (void) G_GNUC_CONST;

NETRING_AVAILABLE_IN_ALL
NetringBpfProgram *netring_bpf_program_new (const NetringBpfInstruction *instructions,
                                            guint                        n_instructions,
                                            GError                     **error);
NETRING_AVAILABLE_IN_ALL
NetringBpfProgram *netring_bpf_program_new_from_text (const gchar *text, GError **error);
NETRING_AVAILABLE_IN_ALL
NetringBpfProgram *netring_bpf_program_new_from_expression (const gchar *expression,
                                                            gint         link_type,
                                                            guint        snap_length,
                                                            GError     **error);
NETRING_AVAILABLE_IN_ALL
NetringBpfProgram *netring_bpf_program_ref (NetringBpfProgram *program);
NETRING_AVAILABLE_IN_ALL
void netring_bpf_program_unref (NetringBpfProgram *program);
NETRING_AVAILABLE_IN_ALL
guint netring_bpf_program_get_n_instructions (NetringBpfProgram *program);
NETRING_AVAILABLE_IN_ALL
const NetringBpfInstruction *netring_bpf_program_get_instructions (NetringBpfProgram *program,
                                                                   guint *n_instructions);
NETRING_AVAILABLE_IN_ALL
const gchar *netring_bpf_program_get_expression (NetringBpfProgram *program);
NETRING_AVAILABLE_IN_ALL
gchar *netring_bpf_program_to_text (NetringBpfProgram *program);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetringBpfProgram, netring_bpf_program_unref)

G_END_DECLS
