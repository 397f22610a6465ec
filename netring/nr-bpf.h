/* nr-bpf.h: classic BPF programs for socket filters, plain C (no GObject).
 *
 * The kernel runs a classic BPF socket filter on every packet and keeps as
 * many bytes as the filter returns (0 drops the packet). That return value
 * is how a snap length is implemented on a TPACKET_V3 ring, where the frame
 * size does not truncate (F3): libpcap's way, every accepting return value
 * is clamped to the snap length. */
#pragma once

#include <glib.h>
#include <linux/filter.h>

G_BEGIN_DECLS

G_STATIC_ASSERT (sizeof (struct sock_filter) == 8);

/* The kernel's limit on classic BPF program length. */
#define NR_BPF_MAXINSNS 4096

typedef enum {
  NR_BPF_OK,
  NR_BPF_EMPTY,      /* no instruction */
  NR_BPF_TOO_LONG,   /* more than NR_BPF_MAXINSNS instructions */
  NR_BPF_BAD_RETURN, /* a return instruction other than RET K / RET A */
  NR_BPF_SYNTAX,     /* text that is not `tcpdump -ddd` output */
  NR_BPF_COUNT,      /* the count on the first line does not match */
} NrBpfStatus;

/* Checks the length limits: 1..NR_BPF_MAXINSNS instructions. */
NrBpfStatus nr_bpf_check_length (gsize n_insns);

/* Combines @prog (@n_insns instructions, may be NULL/0 for "accept all")
 * with @snap_length (0 = no truncation):
 *  - RET #k with 0 < k becomes RET #MIN (k, snap_length);
 *  - RET A becomes a jump to a tail appended to the program,
 *      JGT #snap_length, jt 0, jf 1 ; RET #snap_length ; RET A
 *    so the returned byte count is MIN (A, snap_length) and A = 0 still drops;
 *  - every other instruction (and so every jump offset) is unchanged.
 * Without a program and with a snap length the result is RET #snap_length;
 * without both it is NULL with *n_out = 0 and NR_BPF_OK (nothing to attach).
 * Returns a g_malloc'ed program in *out, or a status other than NR_BPF_OK
 * (RET X and other return modes the kernel refuses give NR_BPF_BAD_RETURN,
 * a result longer than NR_BPF_MAXINSNS NR_BPF_TOO_LONG). *bad_index, if not
 * NULL, receives the offending instruction index. */
NrBpfStatus nr_bpf_with_snap_length (const struct sock_filter *prog, gsize n_insns,
                                     guint32 snap_length, struct sock_filter **out,
                                     gsize *n_out, gsize *bad_index);

/* Parses the output of `tcpdump -ddd` (also `-d`-less "code jt jf k" lines):
 * the first non-empty line is the instruction count, then one instruction
 * per line as four decimal numbers. Commas are accepted as separators (the
 * iptables/xt_bpf form). On error returns the status and the 1-based line in
 * *bad_line. */
NrBpfStatus nr_bpf_parse_text (const char *text, struct sock_filter **out, gsize *n_out,
                               gsize *bad_line);

/* Formats @prog in the `tcpdump -ddd` format (count line, then one
 * instruction per line). */
char *nr_bpf_to_text (const struct sock_filter *prog, gsize n_insns);

G_END_DECLS
