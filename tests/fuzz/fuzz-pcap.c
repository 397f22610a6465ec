/* fuzz-pcap.c: the pcap/pcapng encoder (nr-pcap) round trip: fuzzer-made
 * packets are encoded into a file in memory, which libpcap reads back
 * (pcap_fopen_offline_with_tstamp_precision() on fmemopen()); every record
 * must come back with the bytes, lengths and timestamp nr-pcap.h promises,
 * and nothing else.
 *
 * Input (little endian, zeros past the end):
 *   u8  format (mod 3): NrPcapFormat
 *   u8  link type (mod 3): Ethernet, raw IP, Linux cooked
 *   u8  bits 0-1: how the snap length is read (0, u8, u16, u32)
 *   the snap length (0, 1, 2 or 4 bytes)
 *   pcapng: u8 interfaces - 1 (mod 4; always 1 for raw IP, see below),
 *   u8 length (mod 32) and bytes of the user application, u8 length
 *   (mod 16) and bytes of each interface name
 *   then packets, until the input ends (at most MAX_PACKETS):
 *     u8  bit 0: TP_STATUS_VLAN_VALID, bit 1: TP_STATUS_VLAN_TPID_VALID,
 *         bit 2: an interface statistics block first (pcapng),
 *         bit 3: the wire length is any u32 (else captured + u16)
 *     u16 captured length (mod 2048), u32 wire length (see bit 3),
 *     u64 timestamp (any gint64: negative too), u16 TCI, u16 TPID,
 *     u8  sll_pkttype, u8 interface (mod interfaces), the packet bytes
 *
 * The expected record is computed here from the rules in nr-pcap.h (tag
 * after the MAC addresses in network order, both lengths + 4, cut to the
 * snap length, wire length at least the captured one, timestamps < 0 as 0,
 * microseconds truncated, classic pcap seconds as libpcap's signed 32-bit
 * field). The block sizing calls are checked too: asked to write into a
 * buffer one byte short, they only measure. */
#include "config.h"

#include "fuzz-common.h"
#include "nr-pcap.h"

#include <linux/if_packet.h>
#include <pcap/pcap.h>

#define MAX_PACKETS 64
#define MAX_CAPTURED 2048
#define MAX_IFACES 4
/* What libpcap 1.10 (pcap_adjust_snapshot()) makes of a snap length above
 * INT_MAX for these link types: its MAXIMUM_SNAPLEN. Smaller ones it keeps
 * as they are. */
#define LIBPCAP_MAX_SNAPLEN 262144u

typedef struct {
  guint8 *frame; /* the record's bytes as libpcap must return them */
  guint32 caplen;
  guint32 len;
  gint64 sec;
  gint64 frac_ns;
} Expected;

/* Appends one block through the measure-then-encode protocol. The call is
 * evaluated three times, so it must have no side effect. */
#define APPEND_BLOCK(file, call_with_out_size)                                 \
  G_STMT_START                                                                 \
  {                                                                            \
    guint8 *out = NULL;                                                        \
    gsize out_size = 0;                                                        \
    gssize total = call_with_out_size;                                         \
    g_autofree guint8 *short_buf = NULL;                                       \
    g_autofree guint8 *buf = NULL;                                             \
                                                                               \
    FUZZ_CHECK (total > 0 && total % 4 == 0);                                  \
    out_size = (gsize) total - 1;                                              \
    out = short_buf = g_malloc (out_size);                                     \
    FUZZ_CHECK (call_with_out_size == total); /* only measures */              \
    out_size = (gsize) total;                                                  \
    out = buf = g_malloc (out_size);                                           \
    FUZZ_CHECK (call_with_out_size == total);                                  \
    /* the block's length is at both ends */                                   \
    FUZZ_CHECK (memcmp (buf + 4, &(guint32){ (guint32) total }, 4) == 0);      \
    FUZZ_CHECK (memcmp (buf + total - 4, &(guint32){ (guint32) total }, 4) == 0); \
    g_byte_array_append (file, buf, (guint) total);                            \
  }                                                                            \
  G_STMT_END

static char *
read_string (FuzzReader *r, guint max)
{
  gsize len = fuzz_u8 (r) % (max + 1), got, i;
  const guint8 *bytes = fuzz_bytes (r, len, &got);
  char *s = g_malloc (got + 1);

  for (i = 0; i < got; i++)
    s[i] = bytes[i] != 0 ? (char) bytes[i] : 'x';
  s[got] = '\0';
  return s;
}

static int
dlt_for_linktype (guint32 linktype)
{
  switch (linktype)
    {
    case NR_PCAP_LINKTYPE_ETHERNET:
      return DLT_EN10MB;
    case NR_PCAP_LINKTYPE_RAW:
      return DLT_RAW;
    default:
      return DLT_LINUX_SLL;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const guint32 linktypes[] = { NR_PCAP_LINKTYPE_ETHERNET, NR_PCAP_LINKTYPE_RAW,
                                       NR_PCAP_LINKTYPE_LINUX_SLL };
  FuzzReader r;
  NrPcapFormat format;
  guint32 linktype, snap = 0, effective_snap;
  guint n_ifaces = 1, n_expected = 0, i;
  g_autoptr (GByteArray) file = g_byte_array_new ();
  Expected expected[MAX_PACKETS];
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *p;
  FILE *fp;
  int ret;

  fuzz_reader_init (&r, data, size);
  format = fuzz_u8 (&r) % 3;
  linktype = linktypes[fuzz_u8 (&r) % G_N_ELEMENTS (linktypes)];
  switch (fuzz_u8 (&r) & 3)
    {
    case 0:
      snap = 0;
      break;
    case 1:
      snap = fuzz_u8 (&r);
      break;
    case 2:
      snap = fuzz_u16 (&r);
      break;
    default:
      snap = fuzz_u32 (&r);
      break;
    }
  effective_snap = snap != 0 ? snap : NR_PCAP_SNAPLEN_DEFAULT;

  if (format == NR_PCAP_FORMAT_PCAPNG)
    {
      g_autofree char *appl = NULL;

      n_ifaces = fuzz_u8 (&r) % MAX_IFACES + 1;
      /* libpcap 1.10 compares the LINKTYPE of every further IDB with the
       * DLT it made of the first one, and refuses the file when they
       * differ as numbers: LINKTYPE_RAW (101) is DLT_RAW (12). */
      if (linktype == NR_PCAP_LINKTYPE_RAW)
        n_ifaces = 1;
      appl = read_string (&r, 31);
      APPEND_BLOCK (file, nr_pcapng_section_header (out, out_size, *appl ? appl : NULL));
      for (i = 0; i < n_ifaces; i++)
        {
          g_autofree char *name = read_string (&r, 15);

          APPEND_BLOCK (file, nr_pcapng_interface_description (out, out_size, linktype, snap,
                                                               *name ? name : NULL));
        }
    }
  else
    {
      guint8 header[NR_PCAP_FILE_HEADER_LEN];

      FUZZ_CHECK (nr_pcap_file_header (header, format, linktype, snap) == sizeof header);
      g_byte_array_append (file, header, sizeof header);
    }

  while (fuzz_remaining (&r) > 0 && n_expected < MAX_PACKETS)
    {
      guint8 flags = fuzz_u8 (&r);
      guint32 captured = fuzz_u16 (&r) % MAX_CAPTURED;
      guint32 wire_raw = fuzz_u32 (&r);
      gint64 ts = (gint64) fuzz_u64 (&r);
      guint16 tci = fuzz_u16 (&r), tpid = fuzz_u16 (&r);
      guint8 pkttype = fuzz_u8 (&r);
      guint32 iface = fuzz_u8 (&r) % n_ifaces;
      guint32 status = (flags & 1 ? TP_STATUS_VLAN_VALID : 0) |
                       (flags & 2 ? TP_STATUS_VLAN_TPID_VALID : 0);
      Expected *e = &expected[n_expected];
      NrPcapPacket packet = { 0 };
      NrPcapRecordScratch scratch;
      struct iovec iov[NR_PCAP_RECORD_MAX_IOV];
      const guint8 *input_bytes;
      g_autofree guint8 *packet_bytes = NULL;
      g_autofree guint8 *record = NULL;
      gsize got, record_length = 0, sum = 0;
      guint8 *frame;
      guint64 ts_nonneg, cap, wire;
      guint n_iov, k;
      gboolean tagged;

      input_bytes = fuzz_bytes (&r, captured, &got);
      packet_bytes = fuzz_exact_copy (input_bytes, got);
      captured = (guint32) got;

      if (format == NR_PCAP_FORMAT_PCAPNG && (flags & 4))
        {
          guint64 received = fuzz_u64 (&r), dropped = fuzz_u64 (&r);

          APPEND_BLOCK (file, nr_pcapng_interface_statistics (out, out_size, iface, ts,
                                                              (flags & 16) == 0, received,
                                                              dropped));
        }

      packet.data = packet_bytes;
      packet.captured_length = captured;
      packet.wire_length = flags & 8 ? wire_raw : captured + (wire_raw & 0xffff);
      packet.timestamp_ns = ts;
      packet.interface_id = iface;
      packet.epb_flags = nr_pcapng_epb_flags_for_pkttype (pkttype);
      if (linktype == NR_PCAP_LINKTYPE_ETHERNET)
        {
          nr_pcap_packet_set_vlan (&packet, status, tci, tpid);
          FUZZ_CHECK (packet.vlan_valid == ((status & TP_STATUS_VLAN_VALID) != 0 || tci != 0));
          FUZZ_CHECK (packet.vlan_tci == tci);
          FUZZ_CHECK (packet.vlan_tpid ==
                      ((status & TP_STATUS_VLAN_TPID_VALID) || tpid != 0 ? tpid : 0x8100));
        }

      n_iov = nr_pcap_record (format, snap, &packet, &scratch, iov, &record_length);
      FUZZ_CHECK (n_iov >= 1 && n_iov <= NR_PCAP_RECORD_MAX_IOV);
      for (k = 0; k < n_iov; k++)
        {
          FUZZ_CHECK (iov[k].iov_len > 0);
          sum += iov[k].iov_len;
        }
      FUZZ_CHECK (sum == record_length);
      record = g_malloc (record_length);
      FUZZ_CHECK (nr_pcap_iov_flatten (iov, n_iov, record) == record_length);
      g_byte_array_append (file, record, (guint) record_length);

      /* what libpcap must give back */
      tagged = packet.vlan_valid && captured >= NR_PCAP_VLAN_OFFSET;
      cap = captured;
      wire = MAX (packet.wire_length, captured);
      frame = g_malloc (captured + NR_PCAP_VLAN_TAG_LEN + 1);
      if (tagged)
        {
          guint16 tag_tpid = packet.vlan_tpid != 0 ? packet.vlan_tpid : NR_PCAP_TPID_8021Q;

          memcpy (frame, packet_bytes, NR_PCAP_VLAN_OFFSET);
          frame[12] = (guint8) (tag_tpid >> 8);
          frame[13] = (guint8) tag_tpid;
          frame[14] = (guint8) (packet.vlan_tci >> 8);
          frame[15] = (guint8) packet.vlan_tci;
          memcpy (frame + 16, packet_bytes + NR_PCAP_VLAN_OFFSET,
                  captured - NR_PCAP_VLAN_OFFSET);
          cap += NR_PCAP_VLAN_TAG_LEN;
          wire = MIN (wire + NR_PCAP_VLAN_TAG_LEN, G_MAXUINT32);
        }
      else if (captured > 0)
        memcpy (frame, packet_bytes, captured);
      e->frame = frame;
      e->caplen = (guint32) MIN (cap, effective_snap);
      e->len = (guint32) wire;
      ts_nonneg = ts > 0 ? (guint64) ts : 0;
      if (format == NR_PCAP_FORMAT_PCAPNG)
        {
          e->sec = (gint64) (ts_nonneg / 1000000000u);
          e->frac_ns = (gint64) (ts_nonneg % 1000000000u);
        }
      else
        {
          /* a 32-bit field, which libpcap reads as signed */
          e->sec = (gint32) (guint32) (ts_nonneg / 1000000000u);
          e->frac_ns = (gint64) (ts_nonneg % 1000000000u);
          if (format == NR_PCAP_FORMAT_PCAP_USEC)
            e->frac_ns = e->frac_ns / 1000 * 1000;
        }
      FUZZ_CHECK (record_length ==
                  (format == NR_PCAP_FORMAT_PCAPNG
                     ? NR_PCAPNG_EPB_HEADER_LEN + ((e->caplen + 3) & ~3u) +
                         (packet.epb_flags != 0 ? 12 : 0) + 4
                     : NR_PCAP_RECORD_HEADER_LEN + e->caplen));
      n_expected++;
    }

  fp = fmemopen (file->data, file->len, "rb");
  FUZZ_CHECK (fp != NULL);
  p = pcap_fopen_offline_with_tstamp_precision (fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == NULL)
    fprintf (stderr, "libpcap: %s\n", errbuf);
  FUZZ_CHECK (p != NULL);
  FUZZ_CHECK (pcap_datalink (p) == dlt_for_linktype (linktype));
  FUZZ_CHECK ((guint32) pcap_snapshot (p) ==
              (effective_snap > G_MAXINT32 ? LIBPCAP_MAX_SNAPLEN : effective_snap));
  FUZZ_CHECK (!pcap_is_swapped (p));

  for (i = 0; i < n_expected; i++)
    {
      struct pcap_pkthdr *hdr;
      const u_char *bytes;

      ret = pcap_next_ex (p, &hdr, &bytes);
      if (ret != 1)
        fprintf (stderr, "record %u of %u: %d %s\n", i, n_expected, ret, pcap_geterr (p));
      FUZZ_CHECK (ret == 1);
      FUZZ_CHECK (hdr->caplen == expected[i].caplen);
      FUZZ_CHECK (hdr->len == expected[i].len);
      FUZZ_CHECK ((gint64) hdr->ts.tv_sec == expected[i].sec);
      FUZZ_CHECK ((gint64) hdr->ts.tv_usec == expected[i].frac_ns);
      FUZZ_CHECK (hdr->caplen == 0 || memcmp (bytes, expected[i].frame, hdr->caplen) == 0);
    }
  ret = pcap_next_ex (p, &(struct pcap_pkthdr *){ NULL }, &(const u_char *){ NULL });
  if (ret != PCAP_ERROR_BREAK)
    fprintf (stderr, "after %u records: %d %s\n", n_expected, ret, pcap_geterr (p));
  FUZZ_CHECK (ret == PCAP_ERROR_BREAK);
  pcap_close (p); /* closes fp */

  for (i = 0; i < n_expected; i++)
    g_free (expected[i].frame);
  return 0;
}
