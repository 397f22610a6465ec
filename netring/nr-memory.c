/* nr-memory.c: the memory a ring may take, from /proc and the memory cgroup */
#include "config.h"

#include "nr-memory.h"

#include <string.h>

/* v1 reports "no limit" as PAGE_COUNTER_MAX pages, a number just below
 * 2^63; anything above 2^60 bytes is no limit in practice. */
#define NO_LIMIT_ABOVE (G_GUINT64_CONSTANT (1) << 60)

/* The value of "@key:   123 kB" in /proc/meminfo text, in bytes. */
static gboolean
meminfo_field (const char *text, const char *key, uint64_t *bytes)
{
  size_t key_len = strlen (key);
  const char *line = text;

  while (line != NULL && *line != '\0')
    {
      if (strncmp (line, key, key_len) == 0 && line[key_len] == ':')
        {
          const char *p = line + key_len + 1;
          char *end = NULL;
          guint64 value;

          while (*p == ' ' || *p == '\t')
            p++;
          value = g_ascii_strtoull (p, &end, 10);
          if (end == p)
            return FALSE;
          while (*end == ' ')
            end++;
          *bytes = strncmp (end, "kB", 2) == 0 ? value * 1024 : value;
          return TRUE;
        }
      line = strchr (line, '\n');
      if (line != NULL)
        line++;
    }
  return FALSE;
}

gboolean
nr_memory_parse_meminfo (const char *text, uint64_t *total, uint64_t *available)
{
  *total = 0;
  *available = 0;
  if (!meminfo_field (text, "MemTotal", total))
    return FALSE;
  if (!meminfo_field (text, "MemAvailable", available))
    meminfo_field (text, "MemFree", available);
  return TRUE;
}

char *
nr_memory_cgroup_path (const char *proc_self_cgroup, gboolean *v2)
{
  g_auto(GStrv) lines = g_strsplit (proc_self_cgroup, "\n", -1);
  char *unified = NULL;
  guint i;

  *v2 = FALSE;
  for (i = 0; lines[i] != NULL; i++)
    {
      /* hierarchy-id:controller,list:/path (the path may contain ':') */
      g_auto(GStrv) fields = g_strsplit (lines[i], ":", 3);
      g_auto(GStrv) controllers = NULL;

      if (g_strv_length (fields) != 3)
        continue;
      if (fields[1][0] == '\0')
        {
          if (unified == NULL && strcmp (fields[0], "0") == 0)
            unified = g_strdup (fields[2]);
          continue;
        }
      controllers = g_strsplit (fields[1], ",", -1);
      if (g_strv_contains ((const char * const *) controllers, "memory"))
        {
          g_free (unified);
          return g_strdup (fields[2]);
        }
    }
  *v2 = unified != NULL;
  return unified;
}

uint64_t
nr_memory_parse_limit (const char *text)
{
  char *end = NULL;
  guint64 value;

  while (*text == ' ')
    text++;
  if (strncmp (text, "max", 3) == 0)
    return UINT64_MAX;
  value = g_ascii_strtoull (text, &end, 10);
  if (end == text || value >= NO_LIMIT_ABOVE)
    return UINT64_MAX;
  return value;
}

/* The number in @dir/@name, or FALSE when the file is missing. */
static gboolean
read_number (const char *dir, const char *name, uint64_t *value)
{
  g_autofree char *file = g_build_filename (dir, name, NULL);
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (file, &contents, NULL, NULL))
    return FALSE;
  *value = nr_memory_parse_limit (contents);
  return TRUE;
}

/* What a cgroup with @limit and @usage still lets its members take. */
static inline uint64_t
room (uint64_t limit, uint64_t usage)
{
  return limit > usage ? limit - usage : 0;
}

void
nr_memory_read_cgroup (const char *cgroup_root, const char *path, gboolean v2, uint64_t *limit,
                       uint64_t *usage)
{
  g_autofree char *walk = g_strdup (path);

  *limit = UINT64_MAX;
  *usage = 0;
  /* every ancestor's limit applies too: walk up to the root */
  for (;;)
    {
      const char *bases[2];
      guint n_bases = 0, b;
      char *slash;

      if (v2)
        {
          bases[n_bases++] = "";
          bases[n_bases++] = "unified"; /* the hybrid layout */
        }
      else
        bases[n_bases++] = "memory";

      for (b = 0; b < n_bases; b++)
        {
          g_autofree char *dir = g_build_filename (cgroup_root, bases[b], walk, NULL);
          uint64_t value, used = 0;

          if (!read_number (dir, v2 ? "memory.max" : "memory.limit_in_bytes", &value))
            continue;
          if (value != UINT64_MAX)
            {
              read_number (dir, v2 ? "memory.current" : "memory.usage_in_bytes", &used);
              if (used == UINT64_MAX)
                used = 0;
              /* the level with the least room left binds: a parent whose
               * other children use most of its limit leaves less than a
               * child's own, larger, limit says */
              if (*limit == UINT64_MAX || room (value, used) < room (*limit, *usage))
                {
                  *limit = value;
                  *usage = used;
                }
            }
          break;
        }

      slash = strrchr (walk, '/');
      if (slash == NULL || walk[0] == '\0' || strcmp (walk, "/") == 0)
        break;
      if (slash == walk)
        slash[1] = '\0'; /* "/a" → "/" */
      else
        *slash = '\0';
    }
}

void
nr_memory_read (const char *proc_root, const char *cgroup_root, NrMemory *memory)
{
  g_autofree char *meminfo_file = g_build_filename (proc_root, "meminfo", NULL);
  g_autofree char *cgroup_file = g_build_filename (proc_root, "self", "cgroup", NULL);
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  gboolean v2 = FALSE;

  memset (memory, 0, sizeof *memory);
  memory->cgroup_limit = UINT64_MAX;
  if (g_file_get_contents (meminfo_file, &text, NULL, NULL))
    nr_memory_parse_meminfo (text, &memory->total, &memory->available);
  g_clear_pointer (&text, g_free);
  if (g_file_get_contents (cgroup_file, &text, NULL, NULL))
    path = nr_memory_cgroup_path (text, &v2);
  if (path != NULL)
    nr_memory_read_cgroup (cgroup_root, path, v2, &memory->cgroup_limit, &memory->cgroup_usage);
}

uint64_t
nr_memory_usable (const NrMemory *memory)
{
  uint64_t usable = memory->available != 0 ? memory->available : memory->total;

  if (usable == 0)
    usable = UINT64_MAX;
  if (memory->cgroup_limit != UINT64_MAX)
    usable = MIN (usable, room (memory->cgroup_limit, memory->cgroup_usage));
  return usable;
}
