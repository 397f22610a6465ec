/* nr-bpf.c: classic BPF program helpers (snap length, text format) */
#include "config.h"

#include "nr-bpf.h"

#include <stdlib.h>
#include <string.h>

NrBpfStatus
nr_bpf_check_length (gsize n_insns)
{
  if (n_insns == 0)
    return NR_BPF_EMPTY;
  if (n_insns > NR_BPF_MAXINSNS)
    return NR_BPF_TOO_LONG;
  return NR_BPF_OK;
}

NrBpfStatus
nr_bpf_with_snap_length (const struct sock_filter *prog, gsize n_insns, guint32 snap_length,
                         struct sock_filter **out, gsize *n_out, gsize *bad_index)
{
  struct sock_filter *res;
  gboolean has_ret_a = FALSE;
  gsize n_res, i;

  *out = NULL;
  *n_out = 0;
  if (prog == NULL || n_insns == 0)
    {
      if (snap_length == 0)
        return NR_BPF_OK;
      res = g_new0 (struct sock_filter, 1);
      res[0] = (struct sock_filter) BPF_STMT (BPF_RET | BPF_K, snap_length);
      *out = res;
      *n_out = 1;
      return NR_BPF_OK;
    }
  if (n_insns > NR_BPF_MAXINSNS)
    return NR_BPF_TOO_LONG;

  for (i = 0; i < n_insns; i++)
    {
      if (BPF_CLASS (prog[i].code) != BPF_RET)
        continue;
      /* the kernel accepts exactly RET K and RET A */
      if (prog[i].code != (BPF_RET | BPF_K) && prog[i].code != (BPF_RET | BPF_A))
        {
          if (bad_index != NULL)
            *bad_index = i;
          return NR_BPF_BAD_RETURN;
        }
      if (prog[i].code == (BPF_RET | BPF_A))
        has_ret_a = TRUE;
    }

  n_res = n_insns + (snap_length != 0 && has_ret_a ? 3 : 0);
  if (n_res > NR_BPF_MAXINSNS)
    return NR_BPF_TOO_LONG;
  res = g_new (struct sock_filter, n_res);
  memcpy (res, prog, n_insns * sizeof *prog);

  if (snap_length != 0)
    {
      for (i = 0; i < n_insns; i++)
        {
          if (res[i].code == (BPF_RET | BPF_K))
            {
              if (res[i].k > snap_length)
                res[i].k = snap_length;
            }
          else if (res[i].code == (BPF_RET | BPF_A))
            {
              /* BPF_JA takes a 32-bit forward offset, so any distance fits,
               * and replacing one instruction by one keeps every other
               * jump offset valid */
              res[i] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JA,
                                                      (guint32) (n_insns - (i + 1)), 0, 0);
            }
        }
      if (has_ret_a)
        {
          res[n_insns] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, snap_length,
                                                        0, 1);
          res[n_insns + 1] = (struct sock_filter) BPF_STMT (BPF_RET | BPF_K, snap_length);
          res[n_insns + 2] = (struct sock_filter) BPF_STMT (BPF_RET | BPF_A, 0);
        }
    }
  *out = res;
  *n_out = n_res;
  return NR_BPF_OK;
}

/* Parses one unsigned decimal number ending at a blank or the end of @s. */
static gboolean
parse_number (const char **s, guint64 max, guint64 *value)
{
  const char *p = *s;
  char *end = NULL;
  guint64 v;

  while (*p == ' ' || *p == '\t')
    p++;
  if (!g_ascii_isdigit (*p))
    return FALSE;
  v = g_ascii_strtoull (p, &end, 10);
  if (end == p || v > max || (*end != '\0' && *end != ' ' && *end != '\t'))
    return FALSE;
  *value = v;
  *s = end;
  return TRUE;
}

NrBpfStatus
nr_bpf_parse_text (const char *text, struct sock_filter **out, gsize *n_out, gsize *bad_line)
{
  g_autofree char *copy = g_strdup (text);
  g_auto (GStrv) lines = NULL;
  g_autofree struct sock_filter *prog = NULL;
  guint64 count = 0;
  gboolean have_count = FALSE;
  gsize n = 0, i;

  *out = NULL;
  *n_out = 0;
  g_strdelimit (copy, ",\r", '\n');
  lines = g_strsplit (copy, "\n", -1);

  for (i = 0; lines[i] != NULL; i++)
    {
      const char *p = g_strstrip (lines[i]);
      guint64 code, jt, jf, k;

      if (*p == '\0' || *p == '#')
        continue;
      if (bad_line != NULL)
        *bad_line = i + 1;
      if (!have_count)
        {
          /* a count above the limit, however large, is too long, not bad text */
          if (!parse_number (&p, G_MAXUINT64, &count) || *p != '\0')
            return NR_BPF_SYNTAX;
          if (count == 0)
            return NR_BPF_EMPTY;
          if (count > NR_BPF_MAXINSNS)
            return NR_BPF_TOO_LONG;
          prog = g_new0 (struct sock_filter, count);
          have_count = TRUE;
          continue;
        }
      if (!parse_number (&p, G_MAXUINT16, &code) || !parse_number (&p, G_MAXUINT8, &jt) ||
          !parse_number (&p, G_MAXUINT8, &jf) || !parse_number (&p, G_MAXUINT32, &k))
        return NR_BPF_SYNTAX;
      while (*p == ' ' || *p == '\t')
        p++;
      if (*p != '\0')
        return NR_BPF_SYNTAX;
      if (n == count)
        return NR_BPF_COUNT;
      prog[n].code = (guint16) code;
      prog[n].jt = (guint8) jt;
      prog[n].jf = (guint8) jf;
      prog[n].k = (guint32) k;
      n++;
    }
  if (!have_count)
    {
      if (bad_line != NULL)
        *bad_line = MAX (i, 1);
      return NR_BPF_EMPTY;
    }
  if (n != count)
    {
      if (bad_line != NULL)
        *bad_line = i;
      return NR_BPF_COUNT;
    }
  *out = g_steal_pointer (&prog);
  *n_out = n;
  return NR_BPF_OK;
}

char *
nr_bpf_to_text (const struct sock_filter *prog, gsize n_insns)
{
  GString *s = g_string_new (NULL);
  gsize i;

  g_string_append_printf (s, "%zu\n", n_insns);
  for (i = 0; i < n_insns; i++)
    g_string_append_printf (s, "%u %u %u %u\n", prog[i].code, prog[i].jt, prog[i].jf, prog[i].k);
  return g_string_free (s, FALSE);
}
