/* fuzz-xsk-walk.c: the AF_XDP RX descriptor walk (nr_xsk_walk_rx) and the
 * descriptor bounds rule (nr_xsk_desc_fits) on descriptors and chunk states
 * the fuzzer writes: addresses and lengths anywhere, duplicates, frames the
 * kernel never owned.
 *
 * Input (little endian, zeros past the end):
 *   u8  frame size: 2048 << (b & 3)
 *   u8  frame count - 1 (mod 64)
 *   u8  RX frames (mod frame count + 1)
 *   u8  ring size: 1 << (b % 7)
 *   u8  descriptors to walk (mod 2 * ring size + 1: may go round the ring)
 *   u32 first ring index (free-running, so it wraps)
 *   frame count bytes of chunk state (any byte, not only NrXskFrameState)
 *   ring size descriptors: u64 addr, u32 len, u32 options
 *
 * Checked against the rule nr-xsk.h documents, evaluated independently
 * here: which descriptors are handed out (copied unchanged, chunk now
 * RX_HELD), which chunks are recycled (their chunk base, now RX_SPARE),
 * which are only counted, the byte count, and that no other state byte
 * changes. nr_xsk_desc_fits() is compared with the same rule written with
 * divisions instead of masks. */
#include "config.h"

#include "fuzz-common.h"
#include "nr-xsk.h"

/* The bounds rule of nr-xsk.h in other words: not empty, starts inside the
 * UMEM, and the first and the last byte are in the same chunk. */
FUZZ_NO_COVERAGE static gboolean
reference_fits (const NrXskLayout *layout, guint64 addr, guint32 len)
{
  if (len == 0 || addr >= layout->umem_size)
    return FALSE;
  return (addr + len - 1) / layout->frame_size == addr / layout->frame_size;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzReader r;
  NrXskLayout layout;
  NrXskWalkResult result;
  guint32 frame_count, ring_size, first, i;
  guint n, n_valid = 0, n_invalid = 0, n_recycle = 0;
  guint64 bytes = 0;
  g_autofree guint8 *state = NULL;
  g_autofree guint8 *expected_state = NULL;
  g_autofree struct xdp_desc *descs = NULL;
  g_autofree struct xdp_desc *out = NULL;
  g_autofree guint64 *recycle = NULL;

  fuzz_reader_init (&r, data, size);
  layout.frame_size = 2048u << (fuzz_u8 (&r) & 3);
  layout.frame_shift = (guint32) g_bit_nth_lsf (layout.frame_size, -1);
  frame_count = (fuzz_u8 (&r) % 64) + 1;
  layout.rx_frames = fuzz_u8 (&r) % (frame_count + 1);
  layout.umem_size = (guint64) layout.frame_size * frame_count;
  ring_size = 1u << (fuzz_u8 (&r) % 7);
  n = fuzz_u8 (&r) % (2 * ring_size + 1);
  first = fuzz_u32 (&r);

  state = g_malloc (frame_count);
  for (i = 0; i < frame_count; i++)
    state[i] = fuzz_u8 (&r) % 8;
  expected_state = fuzz_exact_copy (state, frame_count);

  descs = g_new (struct xdp_desc, ring_size);
  for (i = 0; i < ring_size; i++)
    {
      descs[i].addr = fuzz_u64 (&r);
      descs[i].len = fuzz_u32 (&r);
      descs[i].options = fuzz_u32 (&r);
      FUZZ_CHECK (nr_xsk_desc_fits (&layout, descs[i].addr, descs[i].len) ==
                  reference_fits (&layout, descs[i].addr, descs[i].len));
    }

  out = g_new (struct xdp_desc, MAX (n, 1));
  recycle = g_new (guint64, MAX (n, 1));
  memset (&result, 0xa5, sizeof result);
  nr_xsk_walk_rx (descs, ring_size - 1, first, n, &layout, state, out, recycle, &result);

  for (i = 0; i < n; i++)
    {
      const struct xdp_desc *d = &descs[(first + i) % ring_size];
      guint64 chunk = d->addr / layout.frame_size;

      if (chunk >= layout.rx_frames || expected_state[chunk] != NR_XSK_FRAME_FILL)
        {
          n_invalid++;
          continue;
        }
      if (!reference_fits (&layout, d->addr, d->len))
        {
          expected_state[chunk] = NR_XSK_FRAME_RX_SPARE;
          FUZZ_CHECK (n_recycle < result.n_recycle);
          FUZZ_CHECK (recycle[n_recycle] == chunk * layout.frame_size);
          n_recycle++;
          n_invalid++;
          continue;
        }
      expected_state[chunk] = NR_XSK_FRAME_RX_HELD;
      FUZZ_CHECK (n_valid < result.n_valid);
      FUZZ_CHECK (out[n_valid].addr == d->addr);
      FUZZ_CHECK (out[n_valid].len == d->len);
      FUZZ_CHECK (out[n_valid].options == d->options);
      /* what the caller then reads: inside the UMEM, inside one chunk */
      FUZZ_CHECK (out[n_valid].addr + out[n_valid].len <= layout.umem_size);
      n_valid++;
      bytes += d->len;
    }

  FUZZ_CHECK (result.n_valid == n_valid);
  FUZZ_CHECK (result.n_invalid == n_invalid);
  FUZZ_CHECK (result.n_recycle == n_recycle);
  FUZZ_CHECK (result.n_valid + result.n_invalid == n);
  FUZZ_CHECK (result.bytes == bytes);
  FUZZ_CHECK (memcmp (state, expected_state, frame_count) == 0);
  return 0;
}
