/* fuzz-iface.c: the rtnetlink RTM_GETLINK answer parser
 * (nr_iface_parse_link_reply, the pure part of nr_iface_query()) on any
 * datagram: message lengths that lie, attributes that overrun their
 * message or their nest, truncated errors, other sequence numbers and
 * interfaces.
 *
 * Input (little endian): u32 sequence number, i32 interface index, u32
 * IFF_* flags already known (SIOCGIFFLAGS), then the datagram, copied to a
 * buffer of its exact size.
 *
 * Checked: the result is 1, 0 or a negative errno; unless it is 1 the
 * information is untouched; when it is 1 the fields hold what they can
 * (address length within the array, kind NUL-terminated, no device its own
 * lower device). The flags are the message's own (ifi_flags, read in the
 * same answer as the operational state so that the two never disagree), so
 * they are not compared with SIOCGIFFLAGS'. */
#include "config.h"

#include "fuzz-common.h"
#include "nr-iface.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzReader r;
  NrIfaceInfo info, before;
  guint32 seq;
  gsize got;
  const guint8 *datagram;
  g_autofree guint8 *buf = NULL;
  int ret;

  fuzz_reader_init (&r, data, size);
  seq = fuzz_u32 (&r);
  memset (&info, 0, sizeof info);
  info.index = (int) fuzz_u32 (&r);
  info.flags = fuzz_u32 (&r) & 0xffff;
  info.speed_mbps = NR_IFACE_SPEED_UNKNOWN;
  info.duplex = NR_IFACE_DUPLEX_UNKNOWN;
  memcpy (&before, &info, sizeof info);

  datagram = fuzz_bytes (&r, fuzz_remaining (&r), &got);
  buf = fuzz_exact_copy (datagram, got);

  ret = nr_iface_parse_link_reply (buf, got, seq, &info);
  FUZZ_CHECK (ret <= 1);
  if (ret != 1)
    {
      FUZZ_CHECK (memcmp (&info, &before, sizeof info) == 0);
      return 0;
    }
  FUZZ_CHECK (info.index == before.index);
  FUZZ_CHECK (info.address_length <= sizeof info.address);
  FUZZ_CHECK (memchr (info.kind, '\0', sizeof info.kind) != NULL);
  FUZZ_CHECK (info.link_index == 0 || info.link_index != info.index);
  return 0;
}
