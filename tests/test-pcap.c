/* test-pcap.c: pcap and pcapng encoding on synthetic packets, no privileges.
 *
 * Every file is read back by libpcap (the reader tcpdump and Wireshark's
 * dumpcap share) from memory: same bytes, lengths, timestamps to the
 * nanosecond and link type. What libpcap does not hand out (pcapng
 * interface ids, options, epb_flags, padding) is checked with a small
 * pcapng parser written here from the specification, which also checks the
 * block structure (lengths at both ends, 32-bit alignment). */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nr-iface.h" /* <net/if.h> first: the uapi headers then defer to it */
#include "nr-pcap.h"

#include <linux/if_arp.h>

/* ------------------------------------------------------------ helpers */

static guint8 *
make_frame (gsize length, guint seed)
{
  guint8 *frame = g_malloc (MAX (length, 1));
  gsize i;

  for (i = 0; i < length; i++)
    frame[i] = (guint8) (seed * 29u + i * 11u + 1);
  if (length >= 14)
    {
      frame[12] = 0x88; /* EtherType 0x88b5 */
      frame[13] = 0xb5;
    }
  return frame;
}

/* Appends the record of @pkt to @file through the iovecs nr_pcap_record()
 * produced, checking that the packet bytes are referenced, not copied. */
static void
append_record (GByteArray *file, NrPcapFormat format, guint32 snaplen, const NrPcapPacket *pkt)
{
  NrPcapRecordScratch scratch;
  struct iovec iov[NR_PCAP_RECORD_MAX_IOV];
  gsize length = 0, sum = 0;
  guint n, i;
  g_autofree guint8 *flat = NULL;

  memset (&scratch, 0xa5, sizeof scratch); /* no uninitialised byte may leak out */
  n = nr_pcap_record (format, snaplen, pkt, &scratch, iov, &length);
  g_assert_cmpuint (n, >=, 1);
  g_assert_cmpuint (n, <=, NR_PCAP_RECORD_MAX_IOV);
  g_assert_true (iov[0].iov_base == (void *) scratch.header);
  for (i = 0; i < n; i++)
    {
      const guint8 *base = iov[i].iov_base;
      g_assert_cmpuint (iov[i].iov_len, >, 0);
      sum += iov[i].iov_len;
      /* each piece is the scratch or lies inside the packet */
      if (base >= (const guint8 *) &scratch && base < (const guint8 *) (&scratch + 1))
        g_assert_true (base + iov[i].iov_len <= (const guint8 *) (&scratch + 1));
      else
        {
          g_assert_true (base >= pkt->data);
          g_assert_true (base + iov[i].iov_len <= pkt->data + pkt->captured_length);
        }
    }
  g_assert_cmpuint (sum, ==, length);
  flat = g_malloc (length);
  g_assert_cmpuint (nr_pcap_iov_flatten (iov, n, flat), ==, length);
  g_byte_array_append (file, flat, (guint) length);
}

static pcap_t *
open_reader (const GByteArray *file, u_int precision)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  FILE *fp = fmemopen (file->data, file->len, "rb");
  pcap_t *p;

  g_assert_nonnull (fp);
  p = pcap_fopen_offline_with_tstamp_precision (fp, precision, errbuf);
  if (p == NULL)
    g_error ("libpcap refused the file: %s", errbuf);
  return p;
}

/* The frame libpcap would have produced for a tagged packet. */
static guint8 *
tagged_frame (const guint8 *frame, gsize length, guint16 tpid, guint16 tci)
{
  guint8 *out = g_malloc (length + 4);

  memcpy (out, frame, 12);
  out[12] = (guint8) (tpid >> 8);
  out[13] = (guint8) tpid;
  out[14] = (guint8) (tci >> 8);
  out[15] = (guint8) tci;
  memcpy (out + 16, frame + 12, length - 12);
  return out;
}

/* ------------------------------------------------- a minimal pcapng reader */

typedef struct {
  guint32 type;
  const guint8 *body; /* after type and length */
  gsize body_len;     /* without the trailing length */
} Block;

static guint16
get16 (const guint8 *p)
{
  guint16 v;
  memcpy (&v, p, 2);
  return v;
}

static guint32
get32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, 4);
  return v;
}

static guint64
get64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, 8);
  return v;
}

/* Splits a whole host-order pcapng file into blocks, checking the framing. */
static GArray *
pcapng_blocks (const GByteArray *file)
{
  GArray *blocks = g_array_new (FALSE, FALSE, sizeof (Block));
  gsize off = 0;

  while (off < file->len)
    {
      Block b;
      guint32 len;

      g_assert_cmpuint (file->len - off, >=, 12);
      b.type = get32 (file->data + off);
      len = get32 (file->data + off + 4);
      g_assert_cmpuint (len % 4, ==, 0);
      g_assert_cmpuint (len, >=, 12);
      g_assert_cmpuint (len, <=, file->len - off);
      g_assert_cmpuint (get32 (file->data + off + len - 4), ==, len);
      b.body = file->data + off + 8;
      b.body_len = len - 12;
      g_array_append_val (blocks, b);
      off += len;
    }
  return blocks;
}

/* Finds option @code in an options area; returns its value or NULL. Checks
 * that the area is well formed and ends with opt_endofopt. */
static const guint8 *
find_option (const guint8 *opts, gsize len, guint16 code, guint16 *opt_len)
{
  const guint8 *found = NULL;
  gsize off = 0;
  gboolean ended = FALSE;

  while (off < len)
    {
      guint16 c, l;
      g_assert_false (ended);
      g_assert_cmpuint (len - off, >=, 4);
      c = get16 (opts + off);
      l = get16 (opts + off + 2);
      g_assert_cmpuint (off + 4 + l, <=, len);
      if (c == NR_PCAPNG_OPT_ENDOFOPT)
        {
          g_assert_cmpuint (l, ==, 0);
          ended = TRUE;
        }
      else if (c == code)
        {
          found = opts + off + 4;
          *opt_len = l;
        }
      off += 4 + l + ((4 - (l & 3)) & 3);
    }
  g_assert_cmpuint (off, ==, len);
  if (len > 0)
    g_assert_true (ended);
  return found;
}

/* ---------------------------------------------------------------- tests */

static void
test_file_header (void)
{
  guint8 h[NR_PCAP_FILE_HEADER_LEN];

  g_assert_cmpint (nr_pcap_file_header (h, NR_PCAP_FORMAT_PCAP_NSEC, 1, 0), ==, 24);
  g_assert_cmphex (get32 (h), ==, 0xa1b23c4d);
  g_assert_cmpuint (get16 (h + 4), ==, 2);
  g_assert_cmpuint (get16 (h + 6), ==, 4);
  g_assert_cmpuint (get32 (h + 8), ==, 0);
  g_assert_cmpuint (get32 (h + 12), ==, 0);
  g_assert_cmpuint (get32 (h + 16), ==, 262144);
  g_assert_cmpuint (get32 (h + 20), ==, 1);

  g_assert_cmpint (nr_pcap_file_header (h, NR_PCAP_FORMAT_PCAP_USEC, 101, 96), ==, 24);
  g_assert_cmphex (get32 (h), ==, 0xa1b2c3d4);
  g_assert_cmpuint (get32 (h + 16), ==, 96);
  g_assert_cmpuint (get32 (h + 20), ==, 101);

  g_assert_cmpint (nr_pcap_file_header (h, NR_PCAP_FORMAT_PCAPNG, 1, 0), ==, -EINVAL);
}

/* Lengths that exercise every padding and the smallest frames. */
static const gsize lengths[] = { 60, 61, 62, 63, 64, 1514, 14, 13, 12, 11, 1, 0, 9018 };
/* Timestamps with every digit of the nanoseconds significant, up to the
 * last second libpcap reads from a classic file (it reads ts_sec as a
 * signed 32-bit number, although the format says unsigned). */
static const gint64 stamps[] = {
  G_GINT64_CONSTANT (1700000000123456789), G_GINT64_CONSTANT (1700000000999999999),
  G_GINT64_CONSTANT (1), G_GINT64_CONSTANT (2147483647000000001),
};
/* pcapng has 64 bits of nanoseconds: beyond 2038 and 2106 too. */
static const gint64 ng_stamps[] = {
  G_GINT64_CONSTANT (1700000000123456789), G_GINT64_CONSTANT (1700000000999999999),
  G_GINT64_CONSTANT (1), G_GINT64_CONSTANT (4294967296000000001),
  G_GINT64_CONSTANT (9000000000000000000),
};

static void
check_classic_roundtrip (NrPcapFormat format)
{
  g_autoptr(GByteArray) file = g_byte_array_new ();
  guint8 h[NR_PCAP_FILE_HEADER_LEN];
  guint8 *frames[G_N_ELEMENTS (lengths)];
  u_int precisions[] = { PCAP_TSTAMP_PRECISION_NANO, PCAP_TSTAMP_PRECISION_MICRO };
  gsize i, k;

  nr_pcap_file_header (h, format, NR_PCAP_LINKTYPE_ETHERNET, 0);
  g_byte_array_append (file, h, sizeof h);
  for (i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      NrPcapPacket pkt = { 0 };

      frames[i] = make_frame (lengths[i], (guint) i);
      pkt.data = frames[i];
      pkt.captured_length = (guint32) lengths[i];
      pkt.wire_length = (guint32) lengths[i] + (i % 3 == 0 ? 100 : 0); /* some truncated */
      pkt.timestamp_ns = stamps[i % G_N_ELEMENTS (stamps)];
      pkt.epb_flags = NR_PCAPNG_EPB_OUTBOUND; /* no meaning in classic pcap */
      append_record (file, format, 0, &pkt);
    }

  /* read back twice: at nanosecond and at microsecond precision */
  for (k = 0; k < G_N_ELEMENTS (precisions); k++)
    {
      pcap_t *p = open_reader (file, precisions[k]);
      struct pcap_pkthdr *hdr;
      const u_char *data;

      g_assert_cmpint (pcap_datalink (p), ==, DLT_EN10MB);
      g_assert_cmpint (pcap_snapshot (p), ==, 262144);
      for (i = 0; i < G_N_ELEMENTS (lengths); i++)
        {
          gint64 ts = stamps[i % G_N_ELEMENTS (stamps)];
          guint64 sec = (guint64) ts / 1000000000u;
          guint64 ns = (guint64) ts % 1000000000u;
          guint64 want_frac;

          g_assert_cmpint (pcap_next_ex (p, &hdr, &data), ==, 1);
          g_assert_cmpuint (hdr->caplen, ==, lengths[i]);
          g_assert_cmpuint (hdr->len, ==, lengths[i] + (i % 3 == 0 ? 100 : 0));
          g_assert_cmpmem (data, hdr->caplen, frames[i], lengths[i]);
          g_assert_cmpint (hdr->ts.tv_sec, ==, (gint64) sec);
          if (format == NR_PCAP_FORMAT_PCAP_USEC)
            ns = ns / 1000 * 1000; /* the file keeps microseconds */
          want_frac = precisions[k] == PCAP_TSTAMP_PRECISION_NANO ? ns : ns / 1000;
          g_assert_cmpuint ((guint64) hdr->ts.tv_usec, ==, want_frac);
        }
      g_assert_cmpint (pcap_next_ex (p, &hdr, &data), ==, PCAP_ERROR_BREAK);
      pcap_close (p);
    }
  for (i = 0; i < G_N_ELEMENTS (lengths); i++)
    g_free (frames[i]);
}

static void
test_pcap_usec (void)
{
  check_classic_roundtrip (NR_PCAP_FORMAT_PCAP_USEC);
}

static void
test_pcap_nsec (void)
{
  check_classic_roundtrip (NR_PCAP_FORMAT_PCAP_NSEC);
}

/* The iovecs of a tagged record: header, 12 bytes of the frame, the tag,
 * the rest of the frame (then the pcapng trailer), the frame never copied. */
static void
test_vlan_iovecs (void)
{
  g_autofree guint8 *frame = make_frame (100, 7);
  NrPcapPacket pkt = { 0 };
  NrPcapRecordScratch scratch;
  struct iovec iov[NR_PCAP_RECORD_MAX_IOV];
  gsize length;
  guint n;

  pkt.data = frame;
  pkt.captured_length = pkt.wire_length = 100;
  pkt.vlan_valid = TRUE;
  pkt.vlan_tci = 0x200a;

  n = nr_pcap_record (NR_PCAP_FORMAT_PCAP_NSEC, 0, &pkt, &scratch, iov, &length);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpuint (length, ==, 16 + 104);
  g_assert_true (iov[1].iov_base == (void *) frame);
  g_assert_cmpuint (iov[1].iov_len, ==, 12);
  g_assert_true (iov[2].iov_base == (void *) scratch.tag);
  g_assert_cmpuint (iov[2].iov_len, ==, 4);
  g_assert_cmpmem (scratch.tag, 4, "\x81\x00\x20\x0a", 4);
  g_assert_true (iov[3].iov_base == (void *) (frame + 12));
  g_assert_cmpuint (iov[3].iov_len, ==, 88);

  n = nr_pcap_record (NR_PCAP_FORMAT_PCAPNG, 0, &pkt, &scratch, iov, &length);
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpuint (length, ==, 28 + 104 + 4); /* 104 needs no padding, no options */
  g_assert_true (iov[1].iov_base == (void *) frame);
  g_assert_true (iov[3].iov_base == (void *) (frame + 12));
  g_assert_true (iov[4].iov_base == (void *) scratch.trailer);

  /* untagged: header, frame in one piece */
  pkt.vlan_valid = FALSE;
  n = nr_pcap_record (NR_PCAP_FORMAT_PCAP_NSEC, 0, &pkt, &scratch, iov, &length);
  g_assert_cmpuint (n, ==, 2);
  g_assert_true (iov[1].iov_base == (void *) frame);
  g_assert_cmpuint (iov[1].iov_len, ==, 100);
}

/* A tagged packet read back by libpcap is the tagged frame, and libpcap's
 * own "vlan 10" filter (what tcpdump and tshark compile) matches it. */
static void
test_vlan_reinsertion (void)
{
  static const struct {
    guint32 status;
    guint16 tci, tpid;
    guint16 want_tpid;
  } cases[] = {
    { TP_STATUS_VLAN_VALID, 0x200a, 0, 0x8100 },                               /* pcp 1, id 10 */
    { TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID, 0x000a, 0x88a8, 0x88a8 }, /* 802.1ad */
    { 0, 0x000a, 0, 0x8100 }, /* old kernels: no flag, a non-zero TCI */
    { TP_STATUS_VLAN_VALID, 0x0000, 0, 0x8100 }, /* VLAN 0 (priority tag) */
  };
  NrPcapFormat formats[] = { NR_PCAP_FORMAT_PCAP_NSEC, NR_PCAP_FORMAT_PCAPNG };
  gsize c, f;

  for (f = 0; f < G_N_ELEMENTS (formats); f++)
    for (c = 0; c < G_N_ELEMENTS (cases); c++)
      {
        g_autoptr(GByteArray) file = g_byte_array_new ();
        g_autofree guint8 *frame = make_frame (77, (guint) c);
        g_autofree guint8 *want = tagged_frame (frame, 77, cases[c].want_tpid, cases[c].tci);
        guint8 head[256];
        NrPcapPacket pkt = { 0 };
        struct pcap_pkthdr *hdr;
        const u_char *data;
        struct bpf_program bp;
        pcap_t *p;

        if (formats[f] == NR_PCAP_FORMAT_PCAPNG)
          {
            g_byte_array_append (file, head, (guint) nr_pcapng_section_header (head, sizeof head, NULL));
            g_byte_array_append (file, head,
                                 (guint) nr_pcapng_interface_description (head, sizeof head, 1, 0,
                                                                          "eth0"));
          }
        else
          {
            nr_pcap_file_header (head, formats[f], 1, 0);
            g_byte_array_append (file, head, NR_PCAP_FILE_HEADER_LEN);
          }
        pkt.data = frame;
        pkt.captured_length = 77;
        pkt.wire_length = 77;
        pkt.timestamp_ns = stamps[0];
        nr_pcap_packet_set_vlan (&pkt, cases[c].status, cases[c].tci, cases[c].tpid);
        g_assert_true (pkt.vlan_valid);
        append_record (file, formats[f], 0, &pkt);

        p = open_reader (file, PCAP_TSTAMP_PRECISION_NANO);
        g_assert_cmpint (pcap_next_ex (p, &hdr, &data), ==, 1);
        g_assert_cmpuint (hdr->caplen, ==, 81);
        g_assert_cmpuint (hdr->len, ==, 81);
        g_assert_cmpmem (data, hdr->caplen, want, 81);
        if (cases[c].want_tpid == 0x8100)
          {
            g_autofree char *match = g_strdup_printf ("vlan %u", cases[c].tci & 0xfff);

            g_assert_cmpint (pcap_compile (p, &bp, match, 1, PCAP_NETMASK_UNKNOWN), ==, 0);
            g_assert_cmpint (pcap_offline_filter (&bp, hdr, data), !=, 0);
            pcap_freecode (&bp);
            g_assert_cmpint (pcap_compile (p, &bp, "vlan 11", 1, PCAP_NETMASK_UNKNOWN), ==, 0);
            g_assert_cmpint (pcap_offline_filter (&bp, hdr, data), ==, 0);
            pcap_freecode (&bp);
          }
        pcap_close (p);
      }
}

/* libpcap's rule for when a tag is valid, and the default TPID. */
static void
test_set_vlan (void)
{
  NrPcapPacket pkt = { 0 };

  nr_pcap_packet_set_vlan (&pkt, 0, 0, 0);
  g_assert_false (pkt.vlan_valid);
  nr_pcap_packet_set_vlan (&pkt, TP_STATUS_VLAN_VALID, 0, 0);
  g_assert_true (pkt.vlan_valid);
  g_assert_cmphex (pkt.vlan_tpid, ==, 0x8100);
  nr_pcap_packet_set_vlan (&pkt, 0, 5, 0);
  g_assert_true (pkt.vlan_valid);
  g_assert_cmphex (pkt.vlan_tci, ==, 5);
  nr_pcap_packet_set_vlan (&pkt, TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID, 5, 0x88a8);
  g_assert_cmphex (pkt.vlan_tpid, ==, 0x88a8);
  /* a TPID without its flag is still believed, as libpcap does */
  nr_pcap_packet_set_vlan (&pkt, TP_STATUS_VLAN_VALID, 5, 0x9100);
  g_assert_cmphex (pkt.vlan_tpid, ==, 0x9100);
}

/* The snap length cuts the frame after the tag was inserted, and too short
 * a frame gets no tag (libpcap needs both MAC addresses). */
static void
test_snaplen (void)
{
  static const struct {
    guint32 captured, snaplen;
    gboolean vlan;
    guint32 want_caplen, want_len;
  } cases[] = {
    { 1000, 64, FALSE, 64, 1000 },
    { 1000, 64, TRUE, 64, 1004 },
    { 1000, 14, TRUE, 14, 1004 },  /* 12 bytes and half the tag */
    { 1000, 12, TRUE, 12, 1004 },  /* cut exactly before the tag */
    { 1000, 8, TRUE, 8, 1004 },
    { 12, 64, TRUE, 16, 16 },      /* the tag at the very end */
    { 11, 64, TRUE, 11, 11 },      /* too short: no tag */
    { 62, 64, TRUE, 64, 66 },
  };
  gsize c;

  for (c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(GByteArray) file = g_byte_array_new ();
      g_autofree guint8 *frame = make_frame (cases[c].captured, (guint) c);
      g_autofree guint8 *full = NULL;
      guint8 head[NR_PCAP_FILE_HEADER_LEN];
      NrPcapPacket pkt = { 0 };
      struct pcap_pkthdr *hdr;
      const u_char *data;
      pcap_t *p;

      nr_pcap_file_header (head, NR_PCAP_FORMAT_PCAP_NSEC, 1, cases[c].snaplen);
      g_byte_array_append (file, head, sizeof head);
      pkt.data = frame;
      pkt.captured_length = pkt.wire_length = cases[c].captured;
      pkt.vlan_valid = cases[c].vlan;
      pkt.vlan_tci = 10;
      append_record (file, NR_PCAP_FORMAT_PCAP_NSEC, cases[c].snaplen, &pkt);

      full = cases[c].vlan && cases[c].captured >= 12
               ? tagged_frame (frame, cases[c].captured, 0x8100, 10)
               : g_memdup2 (frame, cases[c].captured);
      p = open_reader (file, PCAP_TSTAMP_PRECISION_NANO);
      g_assert_cmpint (pcap_next_ex (p, &hdr, &data), ==, 1);
      g_assert_cmpuint (hdr->caplen, ==, cases[c].want_caplen);
      g_assert_cmpuint (hdr->len, ==, cases[c].want_len);
      g_assert_cmpmem (data, hdr->caplen, full, cases[c].want_caplen);
      pcap_close (p);
    }
}

/* A wire length below the captured length is raised; negative time is 0. */
static void
test_odd_input (void)
{
  g_autofree guint8 *frame = make_frame (60, 1);
  NrPcapPacket pkt = { 0 };
  NrPcapRecordScratch scratch;
  struct iovec iov[NR_PCAP_RECORD_MAX_IOV];
  gsize length;

  pkt.data = frame;
  pkt.captured_length = 60;
  pkt.wire_length = 20;
  pkt.timestamp_ns = -5;
  nr_pcap_record (NR_PCAP_FORMAT_PCAP_NSEC, 0, &pkt, &scratch, iov, &length);
  g_assert_cmpuint (get32 (scratch.header), ==, 0);
  g_assert_cmpuint (get32 (scratch.header + 4), ==, 0);
  g_assert_cmpuint (get32 (scratch.header + 8), ==, 60);
  g_assert_cmpuint (get32 (scratch.header + 12), ==, 60);

  /* an empty packet: only the header (and the pcapng trailer) */
  pkt.captured_length = pkt.wire_length = 0;
  pkt.data = NULL;
  g_assert_cmpuint (nr_pcap_record (NR_PCAP_FORMAT_PCAP_NSEC, 0, &pkt, &scratch, iov, &length),
                    ==, 1);
  g_assert_cmpuint (length, ==, 16);
  g_assert_cmpuint (nr_pcap_record (NR_PCAP_FORMAT_PCAPNG, 0, &pkt, &scratch, iov, &length), ==,
                    2);
  g_assert_cmpuint (length, ==, 32);
}

/* Blocks can be measured first and are not written into too small a buffer. */
static void
test_block_sizes (void)
{
  guint8 buf[128];
  gssize n;

  g_assert_cmpint (nr_pcapng_section_header (NULL, 0, NULL), ==, 28);
  n = nr_pcapng_section_header (NULL, 0, "netring 0.1"); /* 11 bytes → 12 + 4 + 4 */
  g_assert_cmpint (n, ==, 28 + 16 + 4);
  memset (buf, 0x5a, sizeof buf);
  g_assert_cmpint (nr_pcapng_section_header (buf, (gsize) n - 1, "netring 0.1"), ==, n);
  g_assert_cmpuint (buf[0], ==, 0x5a);

  g_assert_cmpint (nr_pcapng_interface_description (NULL, 0, 1, 0, NULL), ==, 16 + 8 + 4 + 4);
  g_assert_cmpint (nr_pcapng_interface_description (NULL, 0, 1, 0, "eth0"), ==,
                   16 + 8 + 8 + 4 + 4);
  g_assert_cmpint (nr_pcapng_interface_description (NULL, 0, 70000, 0, "eth0"), ==, -EINVAL);
  g_assert_cmpint (nr_pcapng_interface_statistics (NULL, 0, 0, 0, TRUE, 0, 0), ==,
                   20 + 24 + 4 + 4);
  /* without counters: no options, not even opt_endofopt */
  g_assert_cmpint (nr_pcapng_interface_statistics (NULL, 0, 0, 0, FALSE, 0, 0), ==, 20 + 4);
}

typedef struct {
  guint32 if_id;
  gsize length;
  guint8 pkttype;
  gboolean vlan;
} NgCase;

static const NgCase cases[] = {
  { 0, 60, PACKET_HOST, FALSE },      { 1, 61, PACKET_OUTGOING, FALSE },
  { 0, 62, PACKET_BROADCAST, FALSE }, { 1, 63, PACKET_MULTICAST, FALSE },
  { 0, 1514, PACKET_OTHERHOST, FALSE }, { 1, 75, PACKET_OUTGOING, TRUE },
  { 1, 13, PACKET_HOST, FALSE },      { 0, 9001, PACKET_HOST, TRUE },
  { 0, 64, 6 /* PACKET_USER: no flags */, FALSE },
};
static const char *names[] = { "nrt0", "a-much-longer-interface-name" };

/* A pcapng file with two interfaces and the packets of cases[] (frames are
 * returned in @frames), then statistics for interface 1. */
static void
build_two_interface_file (GByteArray *file, guint8 **frames)
{
  guint8 buf[256];
  gssize n;
  gsize i;

  n = nr_pcapng_section_header (buf, sizeof buf, "netring test");
  g_byte_array_append (file, buf, (guint) n);
  for (i = 0; i < 2; i++)
    {
      n = nr_pcapng_interface_description (buf, sizeof buf, NR_PCAP_LINKTYPE_ETHERNET, 0,
                                           names[i]);
      g_byte_array_append (file, buf, (guint) n);
    }
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      NrPcapPacket pkt = { 0 };

      frames[i] = make_frame (cases[i].length, (guint) i);
      pkt.data = frames[i];
      pkt.captured_length = pkt.wire_length = (guint32) cases[i].length;
      pkt.timestamp_ns = ng_stamps[i % G_N_ELEMENTS (ng_stamps)] + (gint64) i;
      pkt.interface_id = cases[i].if_id;
      pkt.epb_flags = nr_pcapng_epb_flags_for_pkttype (cases[i].pkttype);
      pkt.vlan_valid = cases[i].vlan;
      pkt.vlan_tci = 10;
      append_record (file, NR_PCAP_FORMAT_PCAPNG, 0, &pkt);
    }
  n = nr_pcapng_interface_statistics (buf, sizeof buf, 1, stamps[0], TRUE, 12345678901ull,
                                      42);
  g_byte_array_append (file, buf, (guint) n);
}

/* pcapng with two interfaces: libpcap reads every packet of both with its
 * bytes, lengths and nanosecond timestamp; the file's blocks carry the
 * interface names, if_tsresol = 9, the interface of every packet, its
 * direction in epb_flags, padding to 32 bits and the statistics. */
static void
test_pcapng_two_interfaces (void)
{
  g_autoptr(GByteArray) file = g_byte_array_new ();
  g_autoptr(GArray) blocks = NULL;
  guint8 *frames[G_N_ELEMENTS (cases)];
  gsize i, epb;
  pcap_t *p;
  struct pcap_pkthdr *hdr;
  const u_char *data;
  const guint8 *opt;
  guint16 opt_len;

  build_two_interface_file (file, frames);

  /* libpcap */
  p = open_reader (file, PCAP_TSTAMP_PRECISION_NANO);
  g_assert_cmpint (pcap_datalink (p), ==, DLT_EN10MB);
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 ts = ng_stamps[i % G_N_ELEMENTS (ng_stamps)] + (gint64) i;
      gsize want_len = cases[i].length + (cases[i].vlan ? 4 : 0);
      g_autofree guint8 *want =
        cases[i].vlan ? tagged_frame (frames[i], cases[i].length, 0x8100, 10)
                      : g_memdup2 (frames[i], cases[i].length);

      g_assert_cmpint (pcap_next_ex (p, &hdr, &data), ==, 1);
      g_assert_cmpuint (hdr->caplen, ==, want_len);
      g_assert_cmpuint (hdr->len, ==, want_len);
      g_assert_cmpmem (data, hdr->caplen, want, want_len);
      g_assert_cmpint ((gint64) hdr->ts.tv_sec * 1000000000 + hdr->ts.tv_usec, ==, ts);
    }
  g_assert_cmpint (pcap_next_ex (p, &hdr, &data), ==, PCAP_ERROR_BREAK);
  pcap_close (p);

  /* the blocks themselves */
  blocks = pcapng_blocks (file);
  g_assert_cmpuint (blocks->len, ==, 1 + 2 + G_N_ELEMENTS (cases) + 1);

  {
    const Block *shb = &g_array_index (blocks, Block, 0);
    g_assert_cmphex (shb->type, ==, NR_PCAPNG_BLOCK_SHB);
    g_assert_cmphex (get32 (shb->body), ==, 0x1a2b3c4d);
    g_assert_cmpuint (get16 (shb->body + 4), ==, 1);
    g_assert_cmpuint (get16 (shb->body + 6), ==, 0);
    g_assert_cmpuint (get64 (shb->body + 8), ==, G_MAXUINT64);
    opt = find_option (shb->body + 16, shb->body_len - 16, NR_PCAPNG_OPT_SHB_USERAPPL, &opt_len);
    g_assert_nonnull (opt);
    g_assert_cmpmem (opt, opt_len, "netring test", 12);
  }
  for (i = 0; i < 2; i++)
    {
      const Block *idb = &g_array_index (blocks, Block, 1 + i);
      g_assert_cmphex (idb->type, ==, NR_PCAPNG_BLOCK_IDB);
      g_assert_cmpuint (get16 (idb->body), ==, 1);
      g_assert_cmpuint (get32 (idb->body + 4), ==, 262144);
      opt = find_option (idb->body + 8, idb->body_len - 8, NR_PCAPNG_OPT_IF_NAME, &opt_len);
      g_assert_nonnull (opt);
      g_assert_cmpmem (opt, opt_len, names[i], strlen (names[i]));
      opt = find_option (idb->body + 8, idb->body_len - 8, NR_PCAPNG_OPT_IF_TSRESOL, &opt_len);
      g_assert_nonnull (opt);
      g_assert_cmpuint (opt_len, ==, 1);
      g_assert_cmpuint (opt[0], ==, 9);
    }
  for (epb = 0; epb < G_N_ELEMENTS (cases); epb++)
    {
      const Block *b = &g_array_index (blocks, Block, 3 + epb);
      gint64 ts = ng_stamps[epb % G_N_ELEMENTS (ng_stamps)] + (gint64) epb;
      guint32 caplen = (guint32) cases[epb].length + (cases[epb].vlan ? 4 : 0);
      gsize data_space = caplen + ((4 - (caplen & 3)) & 3);
      guint32 want_flags = nr_pcapng_epb_flags_for_pkttype (cases[epb].pkttype);

      g_assert_cmphex (b->type, ==, NR_PCAPNG_BLOCK_EPB);
      g_assert_cmpuint (get32 (b->body), ==, cases[epb].if_id);
      g_assert_cmpuint ((guint64) get32 (b->body + 4) << 32 | get32 (b->body + 8), ==,
                        (guint64) ts);
      g_assert_cmpuint (get32 (b->body + 12), ==, caplen);
      g_assert_cmpuint (get32 (b->body + 16), ==, caplen);
      g_assert_cmpuint (b->body_len, >=, 20 + data_space);
      for (i = caplen; i < data_space; i++)
        g_assert_cmpuint (b->body[20 + i], ==, 0); /* padding is zero */
      opt = find_option (b->body + 20 + data_space, b->body_len - 20 - data_space,
                         NR_PCAPNG_OPT_EPB_FLAGS, &opt_len);
      if (want_flags == 0)
        {
          g_assert_null (opt);
          g_assert_cmpuint (b->body_len, ==, 20 + data_space);
        }
      else
        {
          g_assert_nonnull (opt);
          g_assert_cmpuint (opt_len, ==, 4);
          g_assert_cmphex (get32 (opt), ==, want_flags);
        }
    }
  {
    const Block *isb = &g_array_index (blocks, Block, blocks->len - 1);
    g_assert_cmphex (isb->type, ==, NR_PCAPNG_BLOCK_ISB);
    g_assert_cmpuint (get32 (isb->body), ==, 1);
    g_assert_cmpuint ((guint64) get32 (isb->body + 4) << 32 | get32 (isb->body + 8), ==,
                      (guint64) stamps[0]);
    opt = find_option (isb->body + 12, isb->body_len - 12, NR_PCAPNG_OPT_ISB_IFRECV, &opt_len);
    g_assert_nonnull (opt);
    g_assert_cmpuint (opt_len, ==, 8);
    g_assert_cmpuint (get64 (opt), ==, 12345678901ull);
    opt = find_option (isb->body + 12, isb->body_len - 12, NR_PCAPNG_OPT_ISB_IFDROP, &opt_len);
    g_assert_nonnull (opt);
    g_assert_cmpuint (get64 (opt), ==, 42);
  }

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    g_free (frames[i]);
}

/* When Wireshark's tshark is installed, it reads the same file the same
 * way: interface, nanosecond time, length, direction, reception type and
 * VLAN id of every packet. */
static void
test_pcapng_tshark (void)
{
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  g_autoptr(GByteArray) file = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) want = g_string_new (NULL);
  g_autofree char *path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  guint8 *frames[G_N_ELEMENTS (cases)];
  int status, fd;
  gsize i;

  if (tshark == NULL)
    {
      g_test_skip ("tshark is not installed: Wireshark's reading is not checked");
      return;
    }
  build_two_interface_file (file, frames);
  fd = g_file_open_tmp ("netring-test-XXXXXX.pcapng", &path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (fd, file->data, file->len), ==, (gssize) file->len);
  close (fd);

  {
    const char *argv[] = { tshark, "-r", path, "-T", "fields", "-E", "separator=,",
                           "-e", "frame.interface_id", "-e", "frame.interface_name",
                           "-e", "frame.time_epoch", "-e", "frame.len",
                           "-e", "frame.packet_flags_direction",
                           "-e", "frame.packet_flags_reception_type", "-e", "vlan.id", NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                 &err, &status, &error));
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, NULL))
      g_error ("tshark failed: %s", err);
  }
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 ts = ng_stamps[i % G_N_ELEMENTS (ng_stamps)] + (gint64) i;
      guint32 flags = nr_pcapng_epb_flags_for_pkttype (cases[i].pkttype);

      g_string_append_printf (want, "%u,%s,%" G_GINT64_FORMAT ".%09" G_GINT64_FORMAT ",%zu,",
                              cases[i].if_id, names[cases[i].if_id], ts / 1000000000,
                              ts % 1000000000, cases[i].length + (cases[i].vlan ? 4 : 0));
      if (flags != 0)
        g_string_append_printf (want, "0x%08x,%u,", flags & 3, (flags >> 2) & 7);
      else
        g_string_append (want, ",,");
      if (cases[i].vlan)
        g_string_append (want, "10");
      g_string_append_c (want, '\n');
    }
  g_assert_cmpstr (out, ==, want->str);
  g_unlink (path);
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    g_free (frames[i]);
}

/* Direction and reception type in epb_flags (pcapng 4.3.1). */
static void
test_epb_flags (void)
{
  g_assert_cmphex (nr_pcapng_epb_flags_for_pkttype (PACKET_HOST), ==, 0x1 | 1 << 2);
  g_assert_cmphex (nr_pcapng_epb_flags_for_pkttype (PACKET_BROADCAST), ==, 0x1 | 3 << 2);
  g_assert_cmphex (nr_pcapng_epb_flags_for_pkttype (PACKET_MULTICAST), ==, 0x1 | 2 << 2);
  g_assert_cmphex (nr_pcapng_epb_flags_for_pkttype (PACKET_OTHERHOST), ==, 0x1 | 4 << 2);
  g_assert_cmphex (nr_pcapng_epb_flags_for_pkttype (PACKET_OUTGOING), ==, 0x2);
  g_assert_cmphex (nr_pcapng_epb_flags_for_pkttype (PACKET_LOOPBACK), ==, 0x1);
  g_assert_cmphex (nr_pcapng_epb_flags_for_pkttype (PACKET_USER), ==, 0);
  g_assert_cmphex (nr_pcapng_epb_flags_for_pkttype (255), ==, 0);
}

/* The link type written for each ARPHRD type is read by libpcap as the DLT
 * libpcap itself uses for that device (so DLT_RAW is written as 101). */
static void
test_linktype_for_arphrd (void)
{
  static const struct {
    guint16 arphrd;
    int dlt;
  } map[] = {
    { ARPHRD_ETHER, DLT_EN10MB },       { ARPHRD_LOOPBACK, DLT_EN10MB },
    { ARPHRD_NONE, DLT_RAW },           { ARPHRD_TUNNEL, DLT_RAW },
    { ARPHRD_SIT, DLT_RAW },            { ARPHRD_PPP, DLT_RAW },
    { ARPHRD_IEEE80211_RADIOTAP, DLT_IEEE802_11_RADIO },
    { ARPHRD_IEEE80211, DLT_IEEE802_11 }, { ARPHRD_CAN, DLT_CAN_SOCKETCAN },
    { ARPHRD_NETLINK, DLT_NETLINK },    { ARPHRD_CISCO, DLT_C_HDLC },
    { ARPHRD_IEEE802154, DLT_IEEE802_15_4_NOFCS }, { ARPHRD_FDDI, DLT_FDDI },
    { ARPHRD_FRAD, DLT_FRELAY },        { ARPHRD_FCAL, DLT_FC_2 },
    { ARPHRD_VSOCKMON, DLT_VSOCK },     { ARPHRD_IRDA, DLT_LINUX_IRDA },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (map); i++)
    {
      g_autoptr(GByteArray) file = g_byte_array_new ();
      guint8 head[NR_PCAP_FILE_HEADER_LEN];
      int linktype = nr_iface_linktype_for_arphrd (map[i].arphrd);
      pcap_t *p;

      g_assert_cmpint (linktype, >, 0);
      nr_pcap_file_header (head, NR_PCAP_FORMAT_PCAP_NSEC, (guint32) linktype, 0);
      g_byte_array_append (file, head, sizeof head);
      p = open_reader (file, PCAP_TSTAMP_PRECISION_NANO);
      if (pcap_datalink (p) != map[i].dlt)
        g_error ("ARPHRD %u: wrote link type %d, libpcap read DLT %d, expected %d",
                 map[i].arphrd, linktype, pcap_datalink (p), map[i].dlt);
      pcap_close (p);
    }
  g_assert_cmpint (nr_iface_linktype_for_arphrd (ARPHRD_ETHER), ==, 1);
  g_assert_cmpint (nr_iface_linktype_for_arphrd (ARPHRD_NONE), ==, 101);
  g_assert_cmpint (nr_iface_linktype_for_arphrd (ARPHRD_ATM), ==, NR_IFACE_LINKTYPE_UNSUPPORTED);
  g_assert_cmpint (nr_iface_linktype_for_arphrd (ARPHRD_IPGRE), ==,
                   NR_IFACE_LINKTYPE_UNSUPPORTED);
  g_assert_cmpint (nr_iface_linktype_for_arphrd (ARPHRD_INFINIBAND), ==,
                   NR_IFACE_LINKTYPE_UNSUPPORTED);
}

/* A pcapng file written to a real file through writev() with the record
 * iovecs of a batch, the way the writer will do it, reads back. */
static void
test_writev_file (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  guint8 head[256];
  guint8 *frames[32];
  NrPcapRecordScratch scratch[32];
  struct iovec iov[2 + 32 * NR_PCAP_RECORD_MAX_IOV];
  guint n_iov = 0, i;
  gsize expected = 0, rec_len;
  gssize n;
  char errbuf[PCAP_ERRBUF_SIZE];
  struct pcap_pkthdr *hdr;
  const u_char *data;
  pcap_t *p;
  int fd;

  fd = g_file_open_tmp ("netring-test-XXXXXX.pcapng", &path, &error);
  g_assert_no_error (error);

  n = nr_pcapng_section_header (head, sizeof head, NULL);
  n += nr_pcapng_interface_description (head + n, sizeof head - (gsize) n, 1, 0, "nrt0");
  iov[n_iov].iov_base = head;
  iov[n_iov++].iov_len = (gsize) n;
  expected += (gsize) n;
  for (i = 0; i < 32; i++)
    {
      NrPcapPacket pkt = { 0 };
      frames[i] = make_frame (60 + i, i);
      pkt.data = frames[i];
      pkt.captured_length = pkt.wire_length = 60 + i;
      pkt.timestamp_ns = stamps[0] + i;
      pkt.epb_flags = NR_PCAPNG_EPB_INBOUND;
      pkt.vlan_valid = (i % 2) == 0;
      pkt.vlan_tci = (guint16) i;
      n_iov += nr_pcap_record (NR_PCAP_FORMAT_PCAPNG, 0, &pkt, &scratch[i], iov + n_iov, &rec_len);
      expected += rec_len;
    }
  n = writev (fd, iov, (int) n_iov);
  g_assert_cmpint (n, ==, (gssize) expected);
  close (fd);

  p = pcap_open_offline_with_tstamp_precision (path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == NULL)
    g_error ("%s", errbuf);
  for (i = 0; i < 32; i++)
    {
      g_autofree guint8 *want =
        (i % 2) == 0 ? tagged_frame (frames[i], 60 + i, 0x8100, (guint16) i)
                     : g_memdup2 (frames[i], 60 + i);
      gsize want_len = 60 + i + ((i % 2) == 0 ? 4 : 0);

      g_assert_cmpint (pcap_next_ex (p, &hdr, &data), ==, 1);
      g_assert_cmpmem (data, hdr->caplen, want, want_len);
      g_assert_cmpint ((gint64) hdr->ts.tv_sec * 1000000000 + hdr->ts.tv_usec, ==,
                       stamps[0] + i);
    }
  g_assert_cmpint (pcap_next_ex (p, &hdr, &data), ==, PCAP_ERROR_BREAK);
  pcap_close (p);
  g_unlink (path);
  for (i = 0; i < 32; i++)
    g_free (frames[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pcap/file-header", test_file_header);
  g_test_add_func ("/pcap/roundtrip-usec", test_pcap_usec);
  g_test_add_func ("/pcap/roundtrip-nsec", test_pcap_nsec);
  g_test_add_func ("/pcap/vlan-iovecs", test_vlan_iovecs);
  g_test_add_func ("/pcap/vlan-reinsertion", test_vlan_reinsertion);
  g_test_add_func ("/pcap/set-vlan", test_set_vlan);
  g_test_add_func ("/pcap/snaplen", test_snaplen);
  g_test_add_func ("/pcap/odd-input", test_odd_input);
  g_test_add_func ("/pcapng/block-sizes", test_block_sizes);
  g_test_add_func ("/pcapng/two-interfaces", test_pcapng_two_interfaces);
  g_test_add_func ("/pcapng/tshark", test_pcapng_tshark);
  g_test_add_func ("/pcapng/epb-flags", test_epb_flags);
  g_test_add_func ("/pcap/linktype-for-arphrd", test_linktype_for_arphrd);
  g_test_add_func ("/pcapng/writev-file", test_writev_file);
  return g_test_run ();
}
