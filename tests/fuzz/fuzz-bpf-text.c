/* fuzz-bpf-text.c: the `tcpdump -ddd` text parser (nr_bpf_parse_text) on
 * any text, and its round trip through nr_bpf_to_text().
 *
 * Input: the text (up to the first NUL, as the parser sees a C string).
 *
 * Checked: a status the header lists; on success a program of 1 ..
 * NR_BPF_MAXINSNS instructions, one per instruction line (a line that is
 * neither blank nor a comment, after the count line), which formats back to
 * text that parses to the same program and formats to the same text; on
 * failure no program, and the line named exists. */
#include "config.h"

#include "fuzz-common.h"
#include "nr-bpf.h"

/* Lines as the parser splits them: at newlines, carriage returns and
 * commas. Counts those that hold something other than blanks or a comment. */
FUZZ_NO_COVERAGE static gsize
count_lines (const char *text, gsize *with_content)
{
  gsize lines = 1, content = 0;
  gboolean blank = TRUE, comment = FALSE;
  const char *p;

  for (p = text;; p++)
    {
      if (*p == '\0' || *p == '\n' || *p == '\r' || *p == ',')
        {
          if (!blank && !comment)
            content++;
          if (*p == '\0')
            break;
          lines++;
          blank = TRUE;
          comment = FALSE;
        }
      else if (!g_ascii_isspace (*p) && blank)
        {
          blank = FALSE;
          comment = *p == '#';
        }
    }
  *with_content = content;
  return lines;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_malloc (size + 1);
  g_autofree struct sock_filter *prog = NULL;
  g_autofree struct sock_filter *again = NULL;
  g_autofree char *formatted = NULL;
  g_autofree char *formatted_again = NULL;
  gsize n = G_MAXSIZE, n_again = 0, bad_line = 0, lines, content;
  NrBpfStatus status;

  memcpy (text, data, size);
  text[size] = '\0';
  lines = count_lines (text, &content);

  status = nr_bpf_parse_text (text, &prog, &n, &bad_line);
  FUZZ_CHECK (status >= NR_BPF_OK && status <= NR_BPF_COUNT);
  FUZZ_CHECK (status != NR_BPF_BAD_RETURN); /* the parser does not judge returns */
  if (status != NR_BPF_OK)
    {
      FUZZ_CHECK (prog == NULL && n == 0);
      FUZZ_CHECK (bad_line >= 1 && bad_line <= lines);
      return 0;
    }

  FUZZ_CHECK (prog != NULL);
  FUZZ_CHECK (nr_bpf_check_length (n) == NR_BPF_OK);
  /* g_strstrip() takes what g_ascii_isspace() calls blank, as counted here */
  FUZZ_CHECK (content == n + 1);

  formatted = nr_bpf_to_text (prog, n);
  FUZZ_CHECK (nr_bpf_parse_text (formatted, &again, &n_again, NULL) == NR_BPF_OK);
  FUZZ_CHECK (n_again == n);
  FUZZ_CHECK (memcmp (again, prog, n * sizeof *prog) == 0);
  formatted_again = nr_bpf_to_text (again, n_again);
  FUZZ_CHECK (strcmp (formatted, formatted_again) == 0);
  return 0;
}
