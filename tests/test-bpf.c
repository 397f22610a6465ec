/* test-bpf.c: classic BPF helpers on synthetic programs, no privileges.
 * Every rewritten program is run in libpcap's own BPF interpreter
 * (bpf_filter()) and checked against the original: the result must be the
 * original's return value clamped to the snap length, for every packet. */
#include "config.h"

#include <pcap/pcap.h>
#include <string.h>

#include "nr-bpf.h"

G_STATIC_ASSERT (sizeof (struct bpf_insn) == sizeof (struct sock_filter));

static guint
run (const struct sock_filter *prog, gsize n, const guint8 *pkt, guint len)
{
  g_assert_cmpint (bpf_validate ((const struct bpf_insn *) prog, (int) n), !=, 0);
  return bpf_filter ((const struct bpf_insn *) prog, pkt, len, len);
}

/* A 1500-byte Ethernet/IPv4/UDP packet. */
static void
make_udp (guint8 *pkt, guint len, guint16 sport, guint16 dport, guint8 proto)
{
  memset (pkt, 0, len);
  memset (pkt, 0x02, 12);
  pkt[12] = 0x08; pkt[13] = 0x00;            /* IPv4 */
  pkt[14] = 0x45;
  pkt[16] = (guint8) ((len - 14) >> 8); pkt[17] = (guint8) (len - 14);
  pkt[22] = 64; pkt[23] = proto;
  pkt[26] = 10; pkt[29] = 1;                 /* 10.0.0.1 */
  pkt[30] = 10; pkt[33] = 2;                 /* 10.0.0.2 */
  pkt[34] = (guint8) (sport >> 8); pkt[35] = (guint8) sport;
  pkt[36] = (guint8) (dport >> 8); pkt[37] = (guint8) dport;
  pkt[38] = (guint8) ((len - 34) >> 8); pkt[39] = (guint8) (len - 34);
}

static struct sock_filter *
compile (const char *expr, gsize *n)
{
  pcap_t *p = pcap_open_dead (DLT_EN10MB, 262144);
  struct bpf_program bp;
  struct sock_filter *copy;

  g_assert_nonnull (p);
  if (pcap_compile (p, &bp, expr, 1, PCAP_NETMASK_UNKNOWN) != 0)
    g_error ("pcap_compile (%s): %s", expr, pcap_geterr (p));
  *n = bp.bf_len;
  copy = g_memdup2 (bp.bf_insns, bp.bf_len * sizeof *copy);
  pcap_freecode (&bp);
  pcap_close (p);
  return copy;
}

static void
test_no_program (void)
{
  struct sock_filter *out = NULL;
  gsize n = 99;
  guint8 pkt[1500];

  g_assert_cmpint (nr_bpf_with_snap_length (NULL, 0, 0, &out, &n, NULL), ==, NR_BPF_OK);
  g_assert_null (out);
  g_assert_cmpuint (n, ==, 0);

  g_assert_cmpint (nr_bpf_with_snap_length (NULL, 0, 96, &out, &n, NULL), ==, NR_BPF_OK);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (out[0].code, ==, BPF_RET | BPF_K);
  g_assert_cmpuint (out[0].k, ==, 96);
  make_udp (pkt, sizeof pkt, 1, 2, 17);
  g_assert_cmpuint (run (out, n, pkt, 1500), ==, 96);
  /* the interpreter returns the value as is; the kernel then keeps
   * MIN (value, packet length) */
  g_assert_cmpuint (run (out, n, pkt, 60), ==, 96);
  g_free (out);
}

static void
test_ret_k (void)
{
  static const struct sock_filter prog[] = {
    BPF_STMT (BPF_LD | BPF_B | BPF_ABS, 14),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, 0xffffffff), /* whole packet */
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, 40),         /* below the snap length: kept */
    BPF_STMT (BPF_RET | BPF_K, 0),          /* drop stays drop */
  };
  struct sock_filter *out;
  gsize n;
  guint8 pkt[1500] = { 0 };

  g_assert_cmpint (nr_bpf_with_snap_length (prog, G_N_ELEMENTS (prog), 96, &out, &n, NULL), ==,
                   NR_BPF_OK);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (prog));
  pkt[14] = 1;
  g_assert_cmpuint (run (out, n, pkt, 1500), ==, 96);
  g_assert_cmpuint (run (out, n, pkt, 50), ==, 96);
  pkt[14] = 2;
  g_assert_cmpuint (run (out, n, pkt, 1500), ==, 40);
  pkt[14] = 3;
  g_assert_cmpuint (run (out, n, pkt, 1500), ==, 0);
  g_free (out);

  /* snap length 0: the program is unchanged */
  g_assert_cmpint (nr_bpf_with_snap_length (prog, G_N_ELEMENTS (prog), 0, &out, &n, NULL), ==,
                   NR_BPF_OK);
  g_assert_cmpmem (out, n * sizeof *out, prog, sizeof prog);
  g_free (out);
}

static void
test_ret_a (void)
{
  /* RET A twice, with a jump across the first one: the rewrite must keep
   * every offset and clamp both. */
  static const struct sock_filter prog[] = {
    BPF_STMT (BPF_LD | BPF_B | BPF_ABS, 14),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2),
    BPF_STMT (BPF_LD | BPF_W | BPF_LEN, 0),
    BPF_STMT (BPF_RET | BPF_A, 0),
    BPF_STMT (BPF_LD | BPF_B | BPF_ABS, 15),
    BPF_STMT (BPF_RET | BPF_A, 0),
  };
  struct sock_filter *out;
  gsize n;
  guint8 pkt[1500] = { 0 };
  guint v;

  g_assert_cmpint (nr_bpf_with_snap_length (prog, G_N_ELEMENTS (prog), 96, &out, &n, NULL), ==,
                   NR_BPF_OK);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (prog) + 3);
  pkt[14] = 1;
  g_assert_cmpuint (run (out, n, pkt, 1500), ==, 96);
  g_assert_cmpuint (run (out, n, pkt, 60), ==, 60);
  g_assert_cmpuint (run (out, n, pkt, 96), ==, 96);
  g_assert_cmpuint (run (out, n, pkt, 97), ==, 96);
  pkt[14] = 0;
  for (v = 0; v < 256; v++)
    {
      pkt[15] = (guint8) v;
      g_assert_cmpuint (run (out, n, pkt, 1500), ==, MIN (v, 96));
      g_assert_cmpuint (run (out, n, pkt, 1500), ==, MIN (run (prog, G_N_ELEMENTS (prog), pkt, 1500), 96));
    }
  g_free (out);
}

static void
test_bad_programs (void)
{
  static const struct sock_filter ret_x[] = {
    BPF_STMT (BPF_LDX | BPF_W | BPF_LEN, 0),
    BPF_STMT (BPF_RET | BPF_X, 0),
  };
  g_autofree struct sock_filter *big = g_new0 (struct sock_filter, NR_BPF_MAXINSNS + 1);
  struct sock_filter *out;
  gsize n, bad = 0, i;

  g_assert_cmpint (nr_bpf_check_length (0), ==, NR_BPF_EMPTY);
  g_assert_cmpint (nr_bpf_check_length (1), ==, NR_BPF_OK);
  g_assert_cmpint (nr_bpf_check_length (NR_BPF_MAXINSNS), ==, NR_BPF_OK);
  g_assert_cmpint (nr_bpf_check_length (NR_BPF_MAXINSNS + 1), ==, NR_BPF_TOO_LONG);

  g_assert_cmpint (nr_bpf_with_snap_length (ret_x, 2, 96, &out, &n, &bad), ==, NR_BPF_BAD_RETURN);
  g_assert_cmpuint (bad, ==, 1);
  g_assert_null (out);

  /* exactly 4096 with RET K: fits; with RET A the tail would not */
  for (i = 0; i < NR_BPF_MAXINSNS; i++)
    big[i] = (struct sock_filter) BPF_STMT (BPF_LD | BPF_W | BPF_LEN, 0);
  big[NR_BPF_MAXINSNS - 1] = (struct sock_filter) BPF_STMT (BPF_RET | BPF_K, 1000);
  g_assert_cmpint (nr_bpf_with_snap_length (big, NR_BPF_MAXINSNS, 96, &out, &n, NULL), ==,
                   NR_BPF_OK);
  g_assert_cmpuint (n, ==, NR_BPF_MAXINSNS);
  g_assert_cmpuint (out[n - 1].k, ==, 96);
  g_free (out);
  big[NR_BPF_MAXINSNS - 1] = (struct sock_filter) BPF_STMT (BPF_RET | BPF_A, 0);
  g_assert_cmpint (nr_bpf_with_snap_length (big, NR_BPF_MAXINSNS, 96, &out, &n, NULL), ==,
                   NR_BPF_TOO_LONG);
  g_assert_cmpint (nr_bpf_with_snap_length (big, NR_BPF_MAXINSNS, 0, &out, &n, NULL), ==,
                   NR_BPF_OK);
  g_free (out);
  g_assert_cmpint (nr_bpf_with_snap_length (big, NR_BPF_MAXINSNS + 1, 0, &out, &n, NULL), ==,
                   NR_BPF_TOO_LONG);
}

/* Programs compiled by libpcap, combined with several snap lengths, on
 * packets that match and packets that do not. */
static void
test_pcap_programs (void)
{
  static const char *exprs[] = {
    "udp", "udp port 5000", "udp and dst port 5001 or tcp", "not udp", "ip", "len > 100",
    "udp[8:2] = 0x1234", "ether proto 0x88b5", "ip[2:2] > 500 and udp",
  };
  static const guint snaps[] = { 1, 14, 60, 96, 1499, 1500, 65535 };
  static const guint lens[] = { 60, 96, 97, 200, 1500 };
  guint e, s, l, v;
  guint checked = 0, accepted = 0;

  for (e = 0; e < G_N_ELEMENTS (exprs); e++)
    {
      gsize n_prog;
      g_autofree struct sock_filter *prog = compile (exprs[e], &n_prog);

      for (s = 0; s < G_N_ELEMENTS (snaps); s++)
        {
          g_autofree struct sock_filter *out = NULL;
          gsize n;

          g_assert_cmpint (nr_bpf_with_snap_length (prog, n_prog, snaps[s], &out, &n, NULL), ==,
                           NR_BPF_OK);
          for (l = 0; l < G_N_ELEMENTS (lens); l++)
            for (v = 0; v < 4; v++)
              {
                guint8 pkt[1500];
                guint want, got;

                make_udp (pkt, lens[l], 4000 + v, 5000 + v, v == 3 ? 6 : 17);
                if (v == 2)
                  pkt[42] = 0x12, pkt[43] = 0x34;
                want = MIN (run (prog, n_prog, pkt, lens[l]), snaps[s]);
                got = run (out, n, pkt, lens[l]);
                g_assert_cmpuint (MIN (got, lens[l]), ==, MIN (want, lens[l]));
                g_assert_cmpuint (got, <=, snaps[s]);
                checked++;
                accepted += got != 0;
              }
        }
    }
  g_test_message ("%u runs, %u accepted", checked, accepted);
  g_assert_cmpuint (accepted, >, 0);
  g_assert_cmpuint (accepted, <, checked);
}

static void
test_text (void)
{
  gsize n_prog, n, line = 0;
  g_autofree struct sock_filter *prog = compile ("udp port 5000", &n_prog);
  g_autofree char *text = nr_bpf_to_text (prog, n_prog);
  g_autofree struct sock_filter *parsed = NULL;
  struct sock_filter *out;
  static const struct {
    const char *text;
    NrBpfStatus status;
    gsize line;
  } bad[] = {
    { "", NR_BPF_EMPTY, 1 },
    { "0\n", NR_BPF_EMPTY, 1 },
    { "4097\n", NR_BPF_TOO_LONG, 1 },
    { "5000\n6 0 0 1\n", NR_BPF_TOO_LONG, 1 },
    { "4294967297\n", NR_BPF_TOO_LONG, 1 },
    { "18446744073709551615\n", NR_BPF_TOO_LONG, 1 },
    { "-1\n6 0 0 1\n", NR_BPF_SYNTAX, 1 },
    { "1x\n6 0 0 1\n", NR_BPF_SYNTAX, 1 },
    { "x\n6 0 0 1\n", NR_BPF_SYNTAX, 1 },
    { "2\n6 0 0 1\n", NR_BPF_COUNT, 3 },
    { "1\n6 0 0 1\n6 0 0 1\n", NR_BPF_COUNT, 3 },
    { "1\n6 0 0\n", NR_BPF_SYNTAX, 2 },
    { "1\n6 0 0 4294967296\n", NR_BPF_SYNTAX, 2 },
    { "1\n6 256 0 1\n", NR_BPF_SYNTAX, 2 },
    { "1\n65536 0 0 1\n", NR_BPF_SYNTAX, 2 },
    { "1\n6 0 0 1 7\n", NR_BPF_SYNTAX, 2 },
    { "1\n6 0 0 -1\n", NR_BPF_SYNTAX, 2 },
  };
  guint i;

  /* tcpdump -ddd's own output, from libpcap, round-trips */
  g_assert_cmpint (nr_bpf_parse_text (text, &parsed, &n, &line), ==, NR_BPF_OK);
  g_assert_cmpuint (n, ==, n_prog);
  g_assert_cmpmem (parsed, n * sizeof *parsed, prog, n_prog * sizeof *prog);

  /* the iptables xt_bpf form: commas between instructions */
  g_assert_cmpint (nr_bpf_parse_text ("2,48 0 0 14,6 0 0 65535", &out, &n, NULL), ==, NR_BPF_OK);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (out[0].code, ==, 48);
  g_assert_cmpuint (out[0].k, ==, 14);
  g_assert_cmpuint (out[1].k, ==, 65535);
  g_free (out);
  /* blank lines, CRLF, comments and surrounding space are fine */
  g_assert_cmpint (nr_bpf_parse_text ("# x\r\n 1 \r\n\r\n 6  0 0   4294967295 \r\n", &out, &n, NULL),
                   ==, NR_BPF_OK);
  g_assert_cmpuint (out[0].k, ==, 0xffffffffu);
  g_free (out);

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      line = 0;
      out = (gpointer) 1;
      g_assert_cmpint (nr_bpf_parse_text (bad[i].text, &out, &n, &line), ==, bad[i].status);
      g_assert_null (out);
      g_assert_cmpuint (line, ==, bad[i].line);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bpf/no-program", test_no_program);
  g_test_add_func ("/bpf/ret-k", test_ret_k);
  g_test_add_func ("/bpf/ret-a", test_ret_a);
  g_test_add_func ("/bpf/bad-programs", test_bad_programs);
  g_test_add_func ("/bpf/pcap-programs", test_pcap_programs);
  g_test_add_func ("/bpf/text", test_text);
  return g_test_run ();
}
