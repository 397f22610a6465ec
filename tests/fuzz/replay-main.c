/* replay-main.c: runs a fuzz target without libFuzzer, once per input file.
 *
 *   fuzz-<target>-replay FILE|DIRECTORY...
 *
 * Every file named, and every regular file in every directory named (in
 * name order, so that a failure is reproducible), is read into a buffer of
 * its exact size and handed to LLVMFuzzerTestOneInput(). A failed check in
 * the target aborts; otherwise the exit status is 0. This is how the corpus
 * runs as a regression test with any compiler (the 'unit' suite), and how a
 * crashing input is replayed under gdb or valgrind. */
#include "config.h"

#include "fuzz-common.h"

static guint n_inputs;

static void
run_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree guint8 *exact = NULL;
  gsize size = 0;

  if (!g_file_get_contents (path, &contents, &size, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      exit (1);
    }
  exact = fuzz_exact_copy ((const guint8 *) contents, size);
  LLVMFuzzerTestOneInput (exact, size);
  n_inputs++;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
run_directory (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (path, 0, &error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  guint i;

  if (dir == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      exit (1);
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_names);
  for (i = 0; i < names->len; i++)
    {
      const char *file = g_ptr_array_index (names, i);

      if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
        run_file (file);
    }
}

int
main (int argc, char **argv)
{
  int i;

  if (argc < 2)
    {
      fprintf (stderr, "usage: %s FILE|DIRECTORY...\n", argv[0]);
      return 2;
    }
  for (i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        run_directory (argv[i]);
      else
        run_file (argv[i]);
    }
  printf ("%s: %u inputs, no failure\n", argv[0], n_inputs);
  /* an empty corpus is a mistake in the build, not a pass */
  return n_inputs > 0 ? 0 : 1;
}
