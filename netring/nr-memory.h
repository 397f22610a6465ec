/* nr-memory.h: how much memory the machine and the process's memory cgroup
 * can give, read before a ring is allocated. Plain C over /proc and the
 * cgroup file system (whose files, unlike /sys/class/net, do not depend on
 * the network namespace); the roots are parameters so that tests can point
 * them at synthetic files. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct {
  uint64_t total;        /* MemTotal in bytes, 0 when unknown */
  uint64_t available;    /* MemAvailable in bytes, 0 when unknown */
  uint64_t cgroup_limit; /* the memory limit that binds on the process's cgroup
                          * and its ancestors (the least room left),
                          * UINT64_MAX when there is none */
  uint64_t cgroup_usage; /* what the cgroup with that limit uses now */
} NrMemory;

/* Parses /proc/meminfo text. Returns FALSE when MemTotal is missing.
 * *@available falls back to MemFree on kernels without MemAvailable. */
gboolean nr_memory_parse_meminfo (const char *text, uint64_t *total, uint64_t *available);

/* From /proc/self/cgroup text: the cgroup path of the memory controller
 * (a cgroup v1 line naming "memory"), else the unified (v2) path "0::…".
 * *@v2 tells which. Returns NULL when there is neither. Free with g_free(). */
char *nr_memory_cgroup_path (const char *proc_self_cgroup, gboolean *v2);

/* Parses a limit file: "max" (v2) or a number; v1's "unlimited" is a huge
 * number (PAGE_COUNTER_MAX pages). Returns UINT64_MAX for no limit. */
uint64_t nr_memory_parse_limit (const char *text);

/* Reads the limits along @path and its ancestors under @cgroup_root (the
 * cgroup file system's mount point, normally /sys/fs/cgroup): v1 reads
 * memory/…/memory.limit_in_bytes and memory.usage_in_bytes; v2 reads
 * …/memory.max and memory.current, at the root and under "unified" (the
 * hybrid layout). Every level's limit applies, so the one that binds is the
 * level with the least room left (limit minus usage): its limit and usage
 * go to *@limit and *@usage. Sets *@limit to UINT64_MAX when no file says
 * otherwise. */
void nr_memory_read_cgroup (const char *cgroup_root, const char *path, gboolean v2,
                            uint64_t *limit, uint64_t *usage);

/* Reads everything: @proc_root is normally "/proc", @cgroup_root
 * "/sys/fs/cgroup". Unreadable files leave their fields unknown. */
void nr_memory_read (const char *proc_root, const char *cgroup_root, NrMemory *memory);

/* What a new allocation can take: MemAvailable (MemTotal when unknown),
 * capped by what the cgroup has left under its limit. UINT64_MAX when
 * nothing is known (no check is possible then). */
uint64_t nr_memory_usable (const NrMemory *memory);

G_END_DECLS
