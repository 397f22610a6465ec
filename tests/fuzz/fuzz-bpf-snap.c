/* fuzz-bpf-snap.c: the snap-length rewriter (nr_bpf_with_snap_length),
 * differentially: the rewritten program, run in libpcap's interpreter
 * (bpf_filter()), must return MIN (what the original returns, snap length)
 * on every packet (the original's result unchanged for snap length 0), as
 * nr-bpf.h documents; and the rewritten program must still be one the
 * kernel loads.
 *
 * Input (little endian, zeros past the end):
 *   u8  bits 0-1: how the snap length is read (0, u8, u16, u32);
 *       bit 2: "repair" the program into one the kernel accepts (opcodes
 *       from the kernel's list, forward jumps inside the program, a return
 *       at the end), so that most inputs reach the differential
 *   the snap length (0, 1, 2 or 4 bytes)
 *   u16 packet bytes (mod 2048), u16 wire length beyond them
 *   the packet bytes
 *   the program: 8 bytes per instruction (u16 code, u8 jt, u8 jf, u32 k)
 *
 * The rewriter's structure is checked on every program (status, bad index,
 * every instruction in place). The differential runs on programs the kernel
 * would load (checked here as the kernel's classic BPF checker does:
 * known opcodes, forward jumps, scratch memory written before it is read,
 * a return at the end) that libpcap's bpf_validate() accepts too: libpcap
 * 1.10's interpreter aborts or jumps backwards on some programs that its
 * validator lets through, and reads uninitialised scratch memory. */
#include "config.h"

#include "fuzz-common.h"
#include "nr-bpf.h"

#include <pcap/pcap.h>

G_STATIC_ASSERT (sizeof (struct bpf_insn) == sizeof (struct sock_filter));

#define MAX_PACKET 2048

/* The opcodes of classic BPF the kernel loads (net/core/filter.c,
 * bpf_check_classic(), without the ancillary loads, which are LD ABS with
 * a special k) and libpcap interprets. */
static const guint16 kernel_opcodes[] = {
  BPF_RET | BPF_K, BPF_RET | BPF_A,
  BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS,
  BPF_LD | BPF_W | BPF_IND, BPF_LD | BPF_H | BPF_IND, BPF_LD | BPF_B | BPF_IND,
  BPF_LD | BPF_W | BPF_LEN, BPF_LDX | BPF_W | BPF_LEN, BPF_LDX | BPF_MSH | BPF_B,
  BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM, BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
  BPF_JMP | BPF_JA,
  BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGE | BPF_K, BPF_JMP | BPF_JEQ | BPF_K,
  BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JGT | BPF_X, BPF_JMP | BPF_JGE | BPF_X,
  BPF_JMP | BPF_JEQ | BPF_X, BPF_JMP | BPF_JSET | BPF_X,
  BPF_ALU | BPF_ADD | BPF_X, BPF_ALU | BPF_SUB | BPF_X, BPF_ALU | BPF_MUL | BPF_X,
  BPF_ALU | BPF_DIV | BPF_X, BPF_ALU | BPF_MOD | BPF_X, BPF_ALU | BPF_AND | BPF_X,
  BPF_ALU | BPF_OR | BPF_X, BPF_ALU | BPF_XOR | BPF_X, BPF_ALU | BPF_LSH | BPF_X,
  BPF_ALU | BPF_RSH | BPF_X,
  BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_SUB | BPF_K, BPF_ALU | BPF_MUL | BPF_K,
  BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_MOD | BPF_K, BPF_ALU | BPF_AND | BPF_K,
  BPF_ALU | BPF_OR | BPF_K, BPF_ALU | BPF_XOR | BPF_K, BPF_ALU | BPF_LSH | BPF_K,
  BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_NEG,
  BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
};

static gboolean
known_opcode (guint16 code)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (kernel_opcodes); i++)
    if (kernel_opcodes[i] == code)
      return TRUE;
  return FALSE;
}

static gboolean
is_conditional_jump (guint16 code)
{
  return BPF_CLASS (code) == BPF_JMP && BPF_OP (code) != BPF_JA;
}

/* Whether the kernel would load @prog as a socket filter. */
static gboolean
kernel_accepts (const struct sock_filter *prog, gsize n)
{
  guint16 *stored; /* per instruction: scratch slots written on every path to it */
  gboolean ok = TRUE;
  gsize i;

  if (n == 0 || n > NR_BPF_MAXINSNS)
    return FALSE;
  if (prog[n - 1].code != (BPF_RET | BPF_K) && prog[n - 1].code != (BPF_RET | BPF_A))
    return FALSE;

  stored = g_new (guint16, n);
  for (i = 0; i < n; i++)
    stored[i] = 0xffff;
  stored[0] = 0;
  for (i = 0; i < n && ok; i++)
    {
      const struct sock_filter *f = &prog[i];
      guint16 m = stored[i];
      gsize ahead = n - i - 1; /* instructions after this one */

      if (!known_opcode (f->code))
        {
          ok = FALSE;
          break;
        }
      switch (f->code)
        {
        case BPF_ALU | BPF_DIV | BPF_K:
        case BPF_ALU | BPF_MOD | BPF_K:
          ok = f->k != 0;
          break;
        case BPF_ALU | BPF_LSH | BPF_K:
        case BPF_ALU | BPF_RSH | BPF_K:
          ok = f->k < 32;
          break;
        case BPF_LD | BPF_MEM:
        case BPF_LDX | BPF_MEM:
          ok = f->k < BPF_MEMWORDS && (m & (1u << f->k)) != 0;
          break;
        case BPF_ST:
        case BPF_STX:
          ok = f->k < BPF_MEMWORDS;
          if (ok)
            m |= (guint16) (1u << f->k);
          break;
        case BPF_JMP | BPF_JA:
          ok = f->k < ahead;
          break;
        default:
          if (is_conditional_jump (f->code))
            ok = f->jt < ahead && f->jf < ahead;
          break;
        }
      if (!ok)
        break;
      if (f->code == (BPF_JMP | BPF_JA))
        stored[i + 1 + f->k] &= m;
      else if (is_conditional_jump (f->code))
        {
          stored[i + 1 + f->jt] &= m;
          stored[i + 1 + f->jf] &= m;
        }
      else if (BPF_CLASS (f->code) != BPF_RET)
        stored[i + 1] &= m;
    }
  g_free (stored);
  return ok;
}

/* Turns any instruction list into one the kernel most likely loads. */
static void
repair (struct sock_filter *prog, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++)
    {
      struct sock_filter *f = &prog[i];
      gsize ahead = n - i - 1;

      f->code = kernel_opcodes[f->code % G_N_ELEMENTS (kernel_opcodes)];
      if (ahead == 0)
        f->code = f->jt & 1 ? BPF_RET | BPF_A : BPF_RET | BPF_K;
      if (f->code == (BPF_JMP | BPF_JA))
        f->k %= ahead;
      else if (is_conditional_jump (f->code))
        {
          f->jt %= MIN (ahead, 256);
          f->jf %= MIN (ahead, 256);
        }
      switch (f->code)
        {
        case BPF_ALU | BPF_DIV | BPF_K:
        case BPF_ALU | BPF_MOD | BPF_K:
          f->k = MAX (f->k, 1);
          break;
        case BPF_ALU | BPF_LSH | BPF_K:
        case BPF_ALU | BPF_RSH | BPF_K:
          f->k %= 32;
          break;
        case BPF_LD | BPF_MEM:
        case BPF_LDX | BPF_MEM:
        case BPF_ST:
        case BPF_STX:
          f->k %= BPF_MEMWORDS;
          break;
        default:
          break;
        }
    }
}

static guint
run (const struct sock_filter *prog, const guint8 *packet, guint wire_length, guint length)
{
  return bpf_filter ((const struct bpf_insn *) prog, packet, wire_length, length);
}

/* The rewriter's output, instruction by instruction, as nr-bpf.h says. */
FUZZ_NO_COVERAGE static void
check_structure (const struct sock_filter *prog, gsize n, guint32 snap,
                 NrBpfStatus status, const struct sock_filter *out, gsize n_out,
                 gsize bad_index)
{
  gboolean has_ret_a = FALSE;
  gsize i, first_bad = G_MAXSIZE;

  for (i = 0; i < n; i++)
    {
      if (BPF_CLASS (prog[i].code) != BPF_RET)
        continue;
      if (prog[i].code == (BPF_RET | BPF_A))
        has_ret_a = TRUE;
      else if (prog[i].code != (BPF_RET | BPF_K) && first_bad == G_MAXSIZE)
        first_bad = i;
    }

  if (n == 0)
    {
      FUZZ_CHECK (status == NR_BPF_OK);
      if (snap == 0)
        FUZZ_CHECK (out == NULL && n_out == 0);
      else
        FUZZ_CHECK (n_out == 1 && out[0].code == (BPF_RET | BPF_K) && out[0].k == snap);
      return;
    }
  if (n > NR_BPF_MAXINSNS)
    {
      FUZZ_CHECK (status == NR_BPF_TOO_LONG && out == NULL && n_out == 0);
      return;
    }
  if (first_bad != G_MAXSIZE)
    {
      FUZZ_CHECK (status == NR_BPF_BAD_RETURN && bad_index == first_bad);
      FUZZ_CHECK (out == NULL && n_out == 0);
      return;
    }
  if (snap != 0 && has_ret_a && n + 3 > NR_BPF_MAXINSNS)
    {
      FUZZ_CHECK (status == NR_BPF_TOO_LONG && out == NULL && n_out == 0);
      return;
    }

  FUZZ_CHECK (status == NR_BPF_OK);
  FUZZ_CHECK (n_out == n + (snap != 0 && has_ret_a ? 3 : 0));
  for (i = 0; i < n; i++)
    {
      const struct sock_filter *f = &prog[i], *g = &out[i];

      if (snap != 0 && f->code == (BPF_RET | BPF_K))
        FUZZ_CHECK (g->code == f->code && g->k == MIN (f->k, snap));
      else if (snap != 0 && f->code == (BPF_RET | BPF_A))
        FUZZ_CHECK (g->code == (BPF_JMP | BPF_JA) && i + 1 + g->k == n);
      else
        FUZZ_CHECK (memcmp (f, g, sizeof *f) == 0);
    }
  if (n_out > n)
    {
      FUZZ_CHECK (out[n].code == (BPF_JMP | BPF_JGT | BPF_K) && out[n].k == snap &&
                  out[n].jt == 0 && out[n].jf == 1);
      FUZZ_CHECK (out[n + 1].code == (BPF_RET | BPF_K) && out[n + 1].k == snap);
      FUZZ_CHECK (out[n + 2].code == (BPF_RET | BPF_A));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzReader r;
  guint8 flags;
  guint32 snap = 0;
  guint length, wire_length;
  gsize got, n, n_out = G_MAXSIZE, bad_index = G_MAXSIZE, i;
  const guint8 *bytes;
  g_autofree guint8 *packet = NULL;
  g_autofree struct sock_filter *prog = NULL;
  g_autofree struct sock_filter *out = NULL;
  NrBpfStatus status;

  fuzz_reader_init (&r, data, size);
  flags = fuzz_u8 (&r);
  switch (flags & 3)
    {
    case 0:
      snap = 0;
      break;
    case 1:
      snap = fuzz_u8 (&r);
      break;
    case 2:
      snap = fuzz_u16 (&r);
      break;
    default:
      snap = fuzz_u32 (&r);
      break;
    }
  length = fuzz_u16 (&r) % MAX_PACKET;
  wire_length = length + fuzz_u16 (&r);
  bytes = fuzz_bytes (&r, length, &got);
  length = (guint) got;
  packet = fuzz_exact_copy (bytes, length);

  n = fuzz_remaining (&r) / sizeof (struct sock_filter);
  prog = g_new (struct sock_filter, MAX (n, 1));
  for (i = 0; i < n; i++)
    {
      prog[i].code = fuzz_u16 (&r);
      prog[i].jt = fuzz_u8 (&r);
      prog[i].jf = fuzz_u8 (&r);
      prog[i].k = fuzz_u32 (&r);
    }
  if (flags & 4)
    repair (prog, n);

  status = nr_bpf_with_snap_length (n > 0 ? prog : NULL, n, snap, &out, &n_out, &bad_index);
  check_structure (prog, n, snap, status, out, n_out, bad_index);
  if (status != NR_BPF_OK)
    return 0;

  if (n == 0)
    {
      /* no program keeps every packet whole: with a snap length, snap bytes */
      if (snap != 0)
        FUZZ_CHECK (run (out, packet, wire_length, length) == snap);
      return 0;
    }
  if (!kernel_accepts (prog, n) || !bpf_validate ((const struct bpf_insn *) prog, (int) n))
    return 0;

  /* what the kernel loads, it still loads */
  FUZZ_CHECK (kernel_accepts (out, n_out));
  FUZZ_CHECK (bpf_validate ((const struct bpf_insn *) out, (int) n_out));
  {
    guint original = run (prog, packet, wire_length, length);
    guint rewritten = run (out, packet, wire_length, length);

    FUZZ_CHECK (rewritten == (snap != 0 ? MIN (original, snap) : original));
  }
  return 0;
}
