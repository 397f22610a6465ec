/* netring-bpf-program.c: classic BPF programs (NetringBpfProgram) */
#include "netring-bpf-program-private.h"

#include <pcap/pcap.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

/**
 * SECTION:netring-bpf-program
 * @short_description: Classic BPF filter programs
 * @title: NetringBpfProgram
 * @see_also: #NetringCapture
 *
 * A #NetringBpfProgram is an immutable, reference-counted classic BPF
 * program: the kind the kernel runs on every packet a socket sees, keeping
 * as many bytes of the packet as the program returns (0 drops it).
 *
 * Make one from a pcap filter expression (compiled by libpcap, the
 * reference implementation of that language) with
 * netring_bpf_program_new_from_expression(), from the text `tcpdump -ddd`
 * prints with netring_bpf_program_new_from_text(), or from instructions
 * with netring_bpf_program_new(). Attach it with the
 * #NetringCapture:bpf-program property or netring_capture_set_bpf_program();
 * an expression can also be given directly as #NetringCapture:filter.
 *
 * A program has 1 to %NETRING_BPF_MAX_INSTRUCTIONS instructions, and its
 * return instructions are `ret #k` or `ret a` (the only ones the kernel
 * accepts). When a capture has a #NetringCapture:snap-length, every
 * accepting return value of the program is clamped to it when it is
 * attached, so the program decides which packets are kept and the snap
 * length how much of each.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NetringBpfProgram) program =
 *   netring_bpf_program_new_from_text ("4\n40 0 0 12\n21 0 1 2048\n6 0 0 65535\n6 0 0 0\n",
 *                                      &error);
 * ]|
 */

G_STATIC_ASSERT (sizeof (NetringBpfInstruction) == sizeof (struct sock_filter));
G_STATIC_ASSERT (offsetof (NetringBpfInstruction, k) == offsetof (struct sock_filter, k));
G_STATIC_ASSERT (sizeof (struct bpf_insn) == sizeof (struct sock_filter));
G_STATIC_ASSERT (NETRING_BPF_MAX_INSTRUCTIONS == NR_BPF_MAXINSNS);
G_STATIC_ASSERT (NETRING_LINK_TYPE_ETHERNET == DLT_EN10MB);

struct _NetringBpfProgram {
  gatomicrefcount ref_count;
  gsize n_insns;
  struct sock_filter *insns;
  gchar *expression;
};

G_DEFINE_BOXED_TYPE (NetringBpfProgram, netring_bpf_program, netring_bpf_program_ref,
                     netring_bpf_program_unref)

/* pcap_compile() has not always been thread-safe; fanout groups compile in
 * several threads at once. */
static GMutex compile_lock;

static gboolean
check_status (NrBpfStatus status, gsize n, gsize where, GError **error)
{
  netring_i18n_init ();
  switch (status)
    {
    case NR_BPF_OK:
      return TRUE;
    case NR_BPF_EMPTY:
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                           _("The BPF program is empty: a filter needs at least one "
                             "instruction"));
      return FALSE;
    case NR_BPF_TOO_LONG:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("The BPF program is too long: %zu instructions, the "
                     "kernel accepts at most %d"),
                   n, NR_BPF_MAXINSNS);
      return FALSE;
    case NR_BPF_BAD_RETURN:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("Instruction %zu of the BPF program is a return the "
                     "kernel does not accept: only “ret #k” and “ret a” are allowed"),
                   where);
      return FALSE;
    case NR_BPF_SYNTAX:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("Line %zu of the BPF program text is not valid: "
                     "expected the instruction count, then “code jt jf k” per line as "
                     "printed by “tcpdump -ddd”"),
                   where);
      return FALSE;
    case NR_BPF_COUNT:
    default:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("The BPF program text does not have as many instructions as its "
                     "first line announces (line %zu)"),
                   where);
      return FALSE;
    }
}

/* Takes @insns. */
static NetringBpfProgram *
program_new_take (struct sock_filter *insns, gsize n, const gchar *expression, GError **error)
{
  NetringBpfProgram *program;
  gsize bad = 0;
  gsize i;

  if (!check_status (nr_bpf_check_length (n), n, 0, error))
    {
      g_free (insns);
      return NULL;
    }
  for (i = 0; i < n; i++)
    if (BPF_CLASS (insns[i].code) == BPF_RET && insns[i].code != (BPF_RET | BPF_K) &&
        insns[i].code != (BPF_RET | BPF_A))
      {
        bad = i;
        g_free (insns);
        check_status (NR_BPF_BAD_RETURN, n, bad, error);
        return NULL;
      }

  program = g_new0 (NetringBpfProgram, 1);
  g_atomic_ref_count_init (&program->ref_count);
  program->insns = insns;
  program->n_insns = n;
  program->expression = g_strdup (expression);
  return program;
}

/**
 * netring_bpf_program_new:
 * @instructions: (array length=n_instructions): the instructions
 * @n_instructions: how many, 1 to %NETRING_BPF_MAX_INSTRUCTIONS
 * @error: return location for a #GError
 *
 * Makes a program from instructions (copied). An empty program, one longer
 * than %NETRING_BPF_MAX_INSTRUCTIONS and one with a return instruction the
 * kernel does not accept fail with %NETRING_ERROR_INVALID_ARGUMENT. The
 * kernel checks the rest (jumps, loads) when the program is attached.
 *
 * Returns: (transfer full): a new program, or %NULL with @error set
 */
NetringBpfProgram *
netring_bpf_program_new (const NetringBpfInstruction *instructions, guint n_instructions,
                         GError **error)
{
  g_return_val_if_fail (instructions != NULL || n_instructions == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return program_new_take (g_memdup2 (instructions, (gsize) n_instructions * sizeof *instructions),
                           n_instructions, NULL, error);
}

/**
 * netring_bpf_program_new_from_text:
 * @text: a program as printed by `tcpdump -ddd`
 * @error: return location for a #GError
 *
 * Parses the decimal text format of `tcpdump -ddd` (and of iptables'
 * `xt_bpf`, with commas between instructions): the number of instructions,
 * then one instruction per line as four numbers `code jt jf k`. Blank lines
 * and lines starting with `#` are ignored. Malformed text fails with
 * %NETRING_ERROR_INVALID_ARGUMENT naming the line.
 *
 * Returns: (transfer full): a new program, or %NULL with @error set
 */
NetringBpfProgram *
netring_bpf_program_new_from_text (const gchar *text, GError **error)
{
  struct sock_filter *insns = NULL;
  gsize n = 0, line = 0;
  NrBpfStatus status;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  status = nr_bpf_parse_text (text, &insns, &n, &line);
  if (status == NR_BPF_TOO_LONG)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("The BPF program text announces more than %d instructions, the most "
                     "the kernel accepts"),
                   NR_BPF_MAXINSNS);
      return NULL;
    }
  if (!check_status (status, n, line, error))
    return NULL;
  return program_new_take (insns, n, NULL, error);
}

static NetringBpfProgram *
compile_with (pcap_t *pcap, const gchar *expression, GError **error)
{
  struct bpf_program bp;
  NetringBpfProgram *program;

  netring_i18n_init ();
  if (pcap_compile (pcap, &bp, expression, 1, PCAP_NETMASK_UNKNOWN) != 0)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("Invalid filter expression “%s”: %s"), expression, pcap_geterr (pcap));
      return NULL;
    }
  program = program_new_take (g_memdup2 (bp.bf_insns, (gsize) bp.bf_len * sizeof (struct sock_filter)),
                              bp.bf_len, expression, error);
  pcap_freecode (&bp);
  return program;
}

/**
 * netring_bpf_program_new_from_expression:
 * @expression: a pcap filter expression, such as `"udp port 53 and not vlan"`
 *   (see pcap-filter(7))
 * @link_type: the pcap link type (`DLT_*`) of the packets, usually
 *   %NETRING_LINK_TYPE_ETHERNET
 * @snap_length: what accepting instructions return: the snap length, or 0
 *   for the largest (262144)
 * @error: return location for a #GError
 *
 * Compiles @expression with libpcap, offline. An expression libpcap cannot
 * compile fails with %NETRING_ERROR_INVALID_ARGUMENT and libpcap's message.
 *
 * Offline, libpcap matches `vlan` against tags in the packet bytes. Linux
 * usually strips the tag of received packets and reports it beside them, so
 * for a capture give the expression to #NetringCapture:filter or
 * netring_capture_set_filter() instead: those compile it for the live
 * interface, with the kernel's VLAN metadata, as libpcap does for its own
 * captures.
 *
 * Returns: (transfer full): a new program, or %NULL with @error set
 */
NetringBpfProgram *
netring_bpf_program_new_from_expression (const gchar *expression, gint link_type,
                                         guint snap_length, GError **error)
{
  NetringBpfProgram *program;
  pcap_t *pcap;

  g_return_val_if_fail (expression != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  netring_i18n_init ();
  pcap = pcap_open_dead (link_type, snap_length == 0 ? 262144 : (int) MIN (snap_length, 262144));
  if (pcap == NULL)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("libpcap cannot compile filters for link type %d"), link_type);
      return NULL;
    }
  g_mutex_lock (&compile_lock);
  program = compile_with (pcap, expression, error);
  g_mutex_unlock (&compile_lock);
  pcap_close (pcap);
  return program;
}

/* Whether @expression uses a "vlan" primitive, the only one whose code
 * depends on the kernel's VLAN metadata (a false positive only costs time). */
static gboolean
mentions_vlan (const gchar *expression)
{
  const gchar *p = expression;

  while ((p = strstr (p, "vlan")) != NULL)
    {
      gboolean start = p == expression || !g_ascii_isalnum (p[-1]);
      gboolean end = !g_ascii_isalnum (p[4]);

      if (start && end)
        return TRUE;
      p += 4;
    }
  return FALSE;
}

NetringBpfProgram *
_netring_bpf_program_compile_for_link (const gchar *expression, const gchar *ifname, int arphrd,
                                       guint snap_length, GError **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  NetringBpfProgram *program;
  int snap = snap_length == 0 ? 262144 : (int) MIN (snap_length, 262144);
  gboolean vlan = mentions_vlan (expression);
  int dlt;
  pcap_t *pcap;

  netring_i18n_init ();

  /* Frames of Ethernet and loopback devices start with an Ethernet header,
   * so an offline compile for DLT_EN10MB is exact (and takes 0.1 ms instead
   * of ~40 ms for opening and closing a live libpcap handle), unless the
   * expression tests VLAN tags. */
  if (nr_afpacket_link_type_is_ethernet (arphrd) && !vlan)
    {
      g_debug ("%s: link type %d (%s): compiling filter “%s” offline for Ethernet", ifname,
               arphrd, nr_afpacket_link_type_name (arphrd), expression);
      return netring_bpf_program_new_from_expression (expression, DLT_EN10MB, snap_length, error);
    }

  /* A live handle lets libpcap ask the kernel for its BPF extensions, so
   * that "vlan" tests the tag the kernel stripped (SKF_AD_VLAN_TAG_PRESENT),
   * and gives the link type libpcap maps this ARPHRD type to. It is opened
   * in this thread's network namespace, the one the caller's socket is in.
   * The handle is closed at once; its ring is kept tiny. */
  g_debug ("%s: link type %d (%s): compiling filter “%s” with a live libpcap handle%s", ifname,
           arphrd, nr_afpacket_link_type_name (arphrd), expression,
           vlan ? " (it tests VLAN tags)" : "");
  pcap = pcap_create (ifname, errbuf);
  if (pcap != NULL)
    {
      pcap_set_snaplen (pcap, snap);
      pcap_set_immediate_mode (pcap, 1);
      pcap_set_buffer_size (pcap, 65536);
      if (pcap_activate (pcap) < 0)
        {
          g_strlcpy (errbuf, pcap_geterr (pcap), sizeof errbuf);
          g_clear_pointer (&pcap, pcap_close);
        }
    }
  if (pcap == NULL)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED,
                   _("Cannot compile filter “%s” for “%s” (link type %d, %s): it needs a live "
                     "libpcap handle for the interface, and libpcap cannot open it: %s"),
                   expression, ifname, arphrd, nr_afpacket_link_type_name (arphrd), errbuf);
      return NULL;
    }

  /* In cooked mode libpcap reads frames with a synthetic link header
   * (SOCK_DGRAM) that netring's raw socket does not have: a program
   * compiled for it would test the wrong bytes. */
  dlt = pcap_datalink (pcap);
  if (dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED,
                   _("Cannot compile filter “%s” for “%s” (link type %d, %s): libpcap "
                     "captures it in cooked mode, with a link header netring's raw socket does "
                     "not have; filter it with a “bpf-program” instead"),
                   expression, ifname, arphrd, nr_afpacket_link_type_name (arphrd));
      pcap_close (pcap);
      return NULL;
    }

  g_mutex_lock (&compile_lock);
  program = compile_with (pcap, expression, error);
  g_mutex_unlock (&compile_lock);
  pcap_close (pcap);
  return program;
}

NetringBpfProgram *
_netring_bpf_program_compile_for_socket (const gchar *expression, int fd, const gchar *ifname,
                                         guint snap_length, GError **error)
{
  int arphrd = nr_afpacket_link_type (fd, ifname);

  if (arphrd < 0)
    {
      netring_set_error_from_errno (error, -arphrd, "ioctl(SIOCGIFHWADDR)", NULL);
      return NULL;
    }
  return _netring_bpf_program_compile_for_link (expression, ifname, arphrd, snap_length, error);
}

gboolean
_netring_bpf_program_attach (NetringBpfProgram *program, guint snap_length, int fd, int level,
                             int optname, const char *what, GError **error)
{
  g_autofree struct sock_filter *insns = NULL;
  gsize n = 0, bad = 0;
  int r;
  NrBpfStatus status;

  netring_i18n_init ();
  status = nr_bpf_with_snap_length (program ? program->insns : NULL,
                                    program ? program->n_insns : 0, snap_length, &insns, &n,
                                    &bad);
  if (status == NR_BPF_TOO_LONG)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("The BPF program is too long to be combined with the snap length: the "
                     "result would exceed %d instructions"),
                   NR_BPF_MAXINSNS);
      return FALSE;
    }
  if (!check_status (status, n, bad, error))
    return FALSE;
  if (insns == NULL)
    return TRUE;

  r = nr_afpacket_set_filter_option (fd, level, optname, insns, n);
  if (r != 0)
    {
      if (r == -EINVAL)
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                     _("%s: the kernel refused the BPF program (an invalid instruction, "
                       "load or jump): %s"),
                     what, g_strerror (-r));
      else
        netring_set_error_from_errno (error, -r, what, NETRING_CAP_NET_ADMIN);
      return FALSE;
    }
  return TRUE;
}

/**
 * netring_bpf_program_ref:
 * @program: a program
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @program
 */
NetringBpfProgram *
netring_bpf_program_ref (NetringBpfProgram *program)
{
  g_return_val_if_fail (program != NULL, NULL);
  g_atomic_ref_count_inc (&program->ref_count);
  return program;
}

/**
 * netring_bpf_program_unref:
 * @program: (transfer full): a program
 *
 * Drops a reference; the last one frees the program.
 */
void
netring_bpf_program_unref (NetringBpfProgram *program)
{
  g_return_if_fail (program != NULL);
  if (!g_atomic_ref_count_dec (&program->ref_count))
    return;
  g_free (program->insns);
  g_free (program->expression);
  g_free (program);
}

/**
 * netring_bpf_program_get_n_instructions:
 * @program: a program
 *
 * The length of the program.
 *
 * Returns: the number of instructions
 */
guint
netring_bpf_program_get_n_instructions (NetringBpfProgram *program)
{
  g_return_val_if_fail (program != NULL, 0);
  return (guint) program->n_insns;
}

/**
 * netring_bpf_program_get_instructions:
 * @program: a program
 * @n_instructions: (out): the number of instructions
 *
 * The instructions, as given or compiled (without the snap-length clamping
 * a capture adds when it attaches the program).
 *
 * Returns: (array length=n_instructions) (transfer none): the instructions,
 *   owned by @program
 */
const NetringBpfInstruction *
netring_bpf_program_get_instructions (NetringBpfProgram *program, guint *n_instructions)
{
  g_return_val_if_fail (program != NULL, NULL);
  g_return_val_if_fail (n_instructions != NULL, NULL);
  *n_instructions = (guint) program->n_insns;
  return (const NetringBpfInstruction *) program->insns;
}

/**
 * netring_bpf_program_get_expression:
 * @program: a program
 *
 * The filter expression the program was compiled from.
 *
 * Returns: (nullable): the expression, or %NULL for a program made from
 *   instructions or text
 */
const gchar *
netring_bpf_program_get_expression (NetringBpfProgram *program)
{
  g_return_val_if_fail (program != NULL, NULL);
  return program->expression;
}

/**
 * netring_bpf_program_to_text:
 * @program: a program
 *
 * Formats the program the way `tcpdump -ddd` does, so that
 * netring_bpf_program_new_from_text() reads it back.
 *
 * Returns: (transfer full): the text
 */
gchar *
netring_bpf_program_to_text (NetringBpfProgram *program)
{
  g_return_val_if_fail (program != NULL, NULL);
  return nr_bpf_to_text (program->insns, program->n_insns);
}
