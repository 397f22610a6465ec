/* nr-pcap.c: pcap and pcapng record encoding into caller memory */
#include "config.h"

#include "nr-pcap.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <string.h>

G_STATIC_ASSERT (NR_PCAP_RECORD_HEADER_LEN <= NR_PCAPNG_EPB_HEADER_LEN);

/* Host-order stores into byte buffers that may be unaligned. */
static inline guint8 *
put16 (guint8 *p, guint16 v)
{
  memcpy (p, &v, 2);
  return p + 2;
}

static inline guint8 *
put32 (guint8 *p, guint32 v)
{
  memcpy (p, &v, 4);
  return p + 4;
}

static inline gsize
pad32 (gsize n)
{
  return (4 - (n & 3)) & 3;
}

/* An option with @len value bytes, padded to 32 bits. */
static inline gsize
option_size (gsize len)
{
  return 4 + len + pad32 (len);
}

static guint8 *
put_option (guint8 *p, guint16 code, const void *value, gsize len)
{
  p = put16 (p, code);
  p = put16 (p, (guint16) len);
  if (len > 0)
    memcpy (p, value, len);
  memset (p + len, 0, pad32 (len));
  return p + len + pad32 (len);
}

static inline guint32
effective_snaplen (guint32 snaplen)
{
  return snaplen != 0 ? snaplen : NR_PCAP_SNAPLEN_DEFAULT;
}

static inline guint64
timestamp_or_zero (gint64 timestamp_ns)
{
  return timestamp_ns > 0 ? (guint64) timestamp_ns : 0;
}

gssize
nr_pcap_file_header (guint8 out[NR_PCAP_FILE_HEADER_LEN], NrPcapFormat format,
                     guint32 linktype, guint32 snaplen)
{
  guint8 *p = out;

  if (format != NR_PCAP_FORMAT_PCAP_USEC && format != NR_PCAP_FORMAT_PCAP_NSEC)
    return -EINVAL;
  p = put32 (p, format == NR_PCAP_FORMAT_PCAP_NSEC ? NR_PCAP_MAGIC_NSEC : NR_PCAP_MAGIC_USEC);
  p = put16 (p, 2); /* version 2.4 */
  p = put16 (p, 4);
  p = put32 (p, 0); /* thiszone: timestamps are UTC */
  p = put32 (p, 0); /* sigfigs */
  p = put32 (p, effective_snaplen (snaplen));
  put32 (p, linktype);
  return NR_PCAP_FILE_HEADER_LEN;
}

gssize
nr_pcapng_section_header (guint8 *out, gsize out_size, const char *user_application)
{
  gsize appl_len = user_application != NULL ? strlen (user_application) : 0;
  gsize total = 28;
  guint8 *p;

  if (appl_len > G_MAXUINT16)
    return -EINVAL;
  if (appl_len > 0)
    total += option_size (appl_len) + 4; /* + opt_endofopt */
  if (out == NULL || out_size < total)
    return (gssize) total;

  p = put32 (out, NR_PCAPNG_BLOCK_SHB);
  p = put32 (p, (guint32) total);
  p = put32 (p, NR_PCAPNG_BYTE_ORDER_MAGIC);
  p = put16 (p, 1); /* version 1.0 */
  p = put16 (p, 0);
  /* section length -1: not given, so a writer can stream the file */
  p = put32 (p, G_MAXUINT32);
  p = put32 (p, G_MAXUINT32);
  if (appl_len > 0)
    {
      p = put_option (p, NR_PCAPNG_OPT_SHB_USERAPPL, user_application, appl_len);
      p = put_option (p, NR_PCAPNG_OPT_ENDOFOPT, NULL, 0);
    }
  put32 (p, (guint32) total);
  return (gssize) total;
}

gssize
nr_pcapng_interface_description (guint8 *out, gsize out_size, guint32 linktype,
                                 guint32 snaplen, const char *if_name)
{
  gsize name_len = if_name != NULL ? strlen (if_name) : 0;
  const guint8 tsresol = 9; /* 10^-9 s */
  gsize total;
  guint8 *p;

  if (name_len > G_MAXUINT16 || linktype > G_MAXUINT16)
    return -EINVAL;
  /* type, length, link type, reserved, snaplen; if_tsresol; end; length */
  total = 16 + option_size (1) + 4 + 4;
  if (name_len > 0)
    total += option_size (name_len);
  if (out == NULL || out_size < total)
    return (gssize) total;

  p = put32 (out, NR_PCAPNG_BLOCK_IDB);
  p = put32 (p, (guint32) total);
  p = put16 (p, (guint16) linktype);
  p = put16 (p, 0); /* reserved */
  p = put32 (p, effective_snaplen (snaplen));
  if (name_len > 0)
    p = put_option (p, NR_PCAPNG_OPT_IF_NAME, if_name, name_len);
  p = put_option (p, NR_PCAPNG_OPT_IF_TSRESOL, &tsresol, 1);
  p = put_option (p, NR_PCAPNG_OPT_ENDOFOPT, NULL, 0);
  put32 (p, (guint32) total);
  return (gssize) total;
}

gssize
nr_pcapng_interface_statistics (guint8 *out, gsize out_size, guint32 interface_id,
                                gint64 timestamp_ns, gboolean with_counters, guint64 received,
                                guint64 dropped)
{
  guint64 ts = timestamp_or_zero (timestamp_ns);
  /* type, length, interface, timestamp; two counters; end; length */
  gsize total = 20 + (with_counters ? 2 * option_size (8) + 4 : 0) + 4;
  guint8 *p;

  if (out == NULL || out_size < total)
    return (gssize) total;
  p = put32 (out, NR_PCAPNG_BLOCK_ISB);
  p = put32 (p, (guint32) total);
  p = put32 (p, interface_id);
  p = put32 (p, (guint32) (ts >> 32));
  p = put32 (p, (guint32) ts);
  if (with_counters)
    {
      p = put_option (p, NR_PCAPNG_OPT_ISB_IFRECV, &received, 8);
      p = put_option (p, NR_PCAPNG_OPT_ISB_IFDROP, &dropped, 8);
      p = put_option (p, NR_PCAPNG_OPT_ENDOFOPT, NULL, 0);
    }
  put32 (p, (guint32) total);
  return (gssize) total;
}

/* Appends the first @want bytes of [base, base + len) as an iovec, if any;
 * returns how many bytes were taken. */
static inline guint32
take (struct iovec *iov, guint *n, const void *base, guint32 len, guint32 want)
{
  guint32 k = MIN (len, want);

  if (k > 0)
    {
      iov[*n].iov_base = (void *) base;
      iov[*n].iov_len = k;
      (*n)++;
    }
  return k;
}

guint
nr_pcap_record (NrPcapFormat format, guint32 snaplen, const NrPcapPacket *packet,
                NrPcapRecordScratch *scratch, struct iovec iov[NR_PCAP_RECORD_MAX_IOV],
                gsize *record_length)
{
  guint32 captured = packet->captured_length;
  guint32 wire = MAX (packet->wire_length, captured);
  guint64 ts = timestamp_or_zero (packet->timestamp_ns);
  gboolean tagged = packet->vlan_valid && captured >= NR_PCAP_VLAN_OFFSET;
  guint32 out_captured, out_wire, want;
  guint n = 1;
  gsize total;

  if (tagged)
    {
      guint16 tpid = GUINT16_TO_BE (packet->vlan_tpid != 0 ? packet->vlan_tpid
                                                           : NR_PCAP_TPID_8021Q);
      guint16 tci = GUINT16_TO_BE (packet->vlan_tci);

      memcpy (scratch->tag, &tpid, 2);
      memcpy (scratch->tag + 2, &tci, 2);
      /* saturating: a 4 GiB frame is not real, but keep the lengths sane */
      out_captured = captured <= G_MAXUINT32 - NR_PCAP_VLAN_TAG_LEN
                       ? captured + NR_PCAP_VLAN_TAG_LEN : G_MAXUINT32;
      out_wire = wire <= G_MAXUINT32 - NR_PCAP_VLAN_TAG_LEN ? wire + NR_PCAP_VLAN_TAG_LEN
                                                           : G_MAXUINT32;
    }
  else
    {
      out_captured = captured;
      out_wire = wire;
    }
  out_captured = MIN (out_captured, effective_snaplen (snaplen));

  /* the frame: the part before the tag, the tag, the rest, cut at out_captured */
  want = out_captured;
  if (tagged)
    {
      want -= take (iov, &n, packet->data, NR_PCAP_VLAN_OFFSET, want);
      want -= take (iov, &n, scratch->tag, NR_PCAP_VLAN_TAG_LEN, want);
      take (iov, &n, packet->data + NR_PCAP_VLAN_OFFSET, captured - NR_PCAP_VLAN_OFFSET, want);
    }
  else
    take (iov, &n, packet->data, captured, want);

  if (format == NR_PCAP_FORMAT_PCAPNG)
    {
      gsize pad = pad32 (out_captured);
      gsize trailer_len = pad + (packet->epb_flags != 0 ? option_size (4) + 4 : 0) + 4;
      guint8 *p;

      total = NR_PCAPNG_EPB_HEADER_LEN + out_captured + trailer_len;
      p = put32 (scratch->header, NR_PCAPNG_BLOCK_EPB);
      p = put32 (p, (guint32) total);
      p = put32 (p, packet->interface_id);
      p = put32 (p, (guint32) (ts >> 32));
      p = put32 (p, (guint32) ts);
      p = put32 (p, out_captured);
      put32 (p, out_wire);
      iov[0].iov_base = scratch->header;
      iov[0].iov_len = NR_PCAPNG_EPB_HEADER_LEN;

      memset (scratch->trailer, 0, pad);
      p = scratch->trailer + pad;
      if (packet->epb_flags != 0)
        {
          p = put_option (p, NR_PCAPNG_OPT_EPB_FLAGS, &packet->epb_flags, 4);
          p = put_option (p, NR_PCAPNG_OPT_ENDOFOPT, NULL, 0);
        }
      put32 (p, (guint32) total);
      iov[n].iov_base = scratch->trailer;
      iov[n].iov_len = trailer_len;
      n++;
    }
  else
    {
      guint32 sec = (guint32) (ts / G_GUINT64_CONSTANT (1000000000));
      guint32 frac = (guint32) (ts % G_GUINT64_CONSTANT (1000000000));
      guint8 *p;

      if (format == NR_PCAP_FORMAT_PCAP_USEC)
        frac /= 1000; /* truncated, as libpcap converts */
      p = put32 (scratch->header, sec);
      p = put32 (p, frac);
      p = put32 (p, out_captured);
      put32 (p, out_wire);
      iov[0].iov_base = scratch->header;
      iov[0].iov_len = NR_PCAP_RECORD_HEADER_LEN;
      total = NR_PCAP_RECORD_HEADER_LEN + out_captured;
    }

  *record_length = total;
  return n;
}

gsize
nr_pcap_iov_flatten (const struct iovec *iov, guint n_iov, guint8 *out)
{
  gsize off = 0;
  guint i;

  for (i = 0; i < n_iov; i++)
    {
      memcpy (out + off, iov[i].iov_base, iov[i].iov_len);
      off += iov[i].iov_len;
    }
  return off;
}

void
nr_pcap_packet_set_vlan (NrPcapPacket *packet, guint32 tp_status, guint16 tci, guint16 tpid)
{
  packet->vlan_valid = (tp_status & TP_STATUS_VLAN_VALID) != 0 || tci != 0;
  packet->vlan_tci = tci;
  packet->vlan_tpid = ((tp_status & TP_STATUS_VLAN_TPID_VALID) != 0 || tpid != 0)
                        ? tpid : NR_PCAP_TPID_8021Q;
}

guint32
nr_pcapng_epb_flags_for_pkttype (guint8 pkttype)
{
  switch (pkttype)
    {
    case PACKET_HOST:
      return NR_PCAPNG_EPB_INBOUND | NR_PCAPNG_EPB_UNICAST;
    case PACKET_BROADCAST:
      return NR_PCAPNG_EPB_INBOUND | NR_PCAPNG_EPB_BROADCAST;
    case PACKET_MULTICAST:
      return NR_PCAPNG_EPB_INBOUND | NR_PCAPNG_EPB_MULTICAST;
    case PACKET_OTHERHOST:
      return NR_PCAPNG_EPB_INBOUND | NR_PCAPNG_EPB_PROMISCUOUS;
    case PACKET_OUTGOING:
      return NR_PCAPNG_EPB_OUTBOUND;
    case PACKET_LOOPBACK:
      return NR_PCAPNG_EPB_INBOUND;
    default:
      return 0;
    }
}
