/* fuzz-common.h: what every fuzz target shares: the libFuzzer entry point,
 * a reader that turns the fuzzer's bytes into values (running out of input
 * reads zeros, so every input is a valid one), and a check that aborts with
 * the failed condition so that libFuzzer (or the replay program) reports it
 * as a crash. */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                 \
  G_STMT_START                                                                           \
  {                                                                                      \
    if (G_UNLIKELY (!(cond)))                                                            \
      {                                                                                  \
        fprintf (stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, G_STRFUNC, \
                 #cond);                                                                 \
        abort ();                                                                        \
      }                                                                                  \
  }                                                                                      \
  G_STMT_END

/* For the targets' own checking code: libFuzzer should steer by what the
 * code under test does, and every comparison it traces costs time. */
#ifdef __clang__
#define FUZZ_NO_COVERAGE __attribute__ ((no_sanitize ("coverage")))
#else
#define FUZZ_NO_COVERAGE
#endif

typedef struct {
  const guint8 *data;
  gsize size;
  gsize pos;
} FuzzReader;

static inline void
fuzz_reader_init (FuzzReader *r, const guint8 *data, gsize size)
{
  r->data = data;
  r->size = size;
  r->pos = 0;
}

static inline gsize
fuzz_remaining (const FuzzReader *r)
{
  return r->size - r->pos;
}

/* Little-endian values, zero-padded at the end of the input. */
static inline guint64
fuzz_read (FuzzReader *r, guint n_bytes)
{
  guint64 v = 0;
  guint i;

  for (i = 0; i < n_bytes; i++)
    {
      if (r->pos < r->size)
        v |= (guint64) r->data[r->pos++] << (8 * i);
    }
  return v;
}

static inline guint8
fuzz_u8 (FuzzReader *r)
{
  return (guint8) fuzz_read (r, 1);
}

static inline guint16
fuzz_u16 (FuzzReader *r)
{
  return (guint16) fuzz_read (r, 2);
}

static inline guint32
fuzz_u32 (FuzzReader *r)
{
  return (guint32) fuzz_read (r, 4);
}

static inline guint64
fuzz_u64 (FuzzReader *r)
{
  return fuzz_read (r, 8);
}

/* Up to @want bytes of the input, in place; *got says how many. */
static inline const guint8 *
fuzz_bytes (FuzzReader *r, gsize want, gsize *got)
{
  const guint8 *p = r->data + r->pos;

  *got = MIN (want, fuzz_remaining (r));
  r->pos += *got;
  return p;
}

/* A copy of @size bytes at exactly that size, so that AddressSanitizer
 * catches a read one byte past the end (libFuzzer's own buffer is exact
 * too, but slices of it are not). */
static inline guint8 *
fuzz_exact_copy (const guint8 *data, gsize size)
{
  guint8 *copy = g_malloc (MAX (size, 1));

  if (size > 0)
    memcpy (copy, data, size);
  return copy;
}
