/* nr-util.h: small arithmetic shared by the kernel floor's files (nr-*.c).
 * Plain C, header only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The smallest power of two that is at least @value (1 for 0 and 1): ring
 * sizes and blocks, which the kernel wants in powers of two. @value must
 * not exceed 2^31. */
static inline guint32
nr_next_pow2 (guint32 value)
{
  return value <= 1 ? 1 : (guint32) 1 << g_bit_storage (value - 1);
}

G_END_DECLS
