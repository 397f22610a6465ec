/* nr-pcap.h: pcap and pcapng record encoding, plain C (no GObject, no I/O).
 *
 * Everything here encodes into caller memory. A packet record is described
 * as a short array of iovecs: the small pieces this file encodes (record
 * header, a re-inserted VLAN tag, pcapng padding and options) live in a
 * caller-provided NrPcapRecordScratch, and the packet bytes are referenced
 * where they are (ring memory), never copied. A writer collects the iovecs
 * of a whole batch and hands them to one writev(), which is how it beats a
 * writer that copies every packet into a buffer first.
 *
 * Byte order: the host's, as libpcap and dumpcap write; the magic numbers
 * (classic pcap) and the byte-order magic (pcapng) tell readers which it is.
 *
 * Formats: classic pcap 2.4 (https://www.tcpdump.org/manpages/pcap-savefile.5.html)
 * and pcapng 1.0 (draft-ietf-opsawg-pcapng). */
#pragma once

#include <glib.h>
#include <sys/types.h>
#include <sys/uio.h>

G_BEGIN_DECLS

/* Classic pcap magic numbers, as the host writes them. */
#define NR_PCAP_MAGIC_USEC 0xa1b2c3d4u
#define NR_PCAP_MAGIC_NSEC 0xa1b23c4du

/* pcapng block types, byte-order magic and option codes used here. */
#define NR_PCAPNG_BLOCK_SHB 0x0a0d0d0au
#define NR_PCAPNG_BLOCK_IDB 0x00000001u
#define NR_PCAPNG_BLOCK_ISB 0x00000005u
#define NR_PCAPNG_BLOCK_EPB 0x00000006u
#define NR_PCAPNG_BYTE_ORDER_MAGIC 0x1a2b3c4du
#define NR_PCAPNG_OPT_ENDOFOPT 0
#define NR_PCAPNG_OPT_SHB_USERAPPL 4
#define NR_PCAPNG_OPT_IF_NAME 2
#define NR_PCAPNG_OPT_IF_TSRESOL 9
#define NR_PCAPNG_OPT_EPB_FLAGS 2
#define NR_PCAPNG_OPT_ISB_IFRECV 4
#define NR_PCAPNG_OPT_ISB_IFDROP 5

/* epb_flags (pcapng 4.3.1): bits 0-1 the direction, bits 2-4 the
 * reception type. */
#define NR_PCAPNG_EPB_INBOUND 0x1u
#define NR_PCAPNG_EPB_OUTBOUND 0x2u
#define NR_PCAPNG_EPB_UNICAST (1u << 2)
#define NR_PCAPNG_EPB_MULTICAST (2u << 2)
#define NR_PCAPNG_EPB_BROADCAST (3u << 2)
#define NR_PCAPNG_EPB_PROMISCUOUS (4u << 2)

/* LINKTYPE_* values as they are written in files (not always the DLT_*
 * value of the same link type: LINKTYPE_RAW is 101, DLT_RAW is 12). */
#define NR_PCAP_LINKTYPE_ETHERNET 1
#define NR_PCAP_LINKTYPE_RAW 101
#define NR_PCAP_LINKTYPE_LINUX_SLL 113

/* The snap length written when the caller has none: libpcap's
 * MAXIMUM_SNAPLEN, what tcpdump writes by default, and the largest caplen
 * libpcap reads back for Ethernet. */
#define NR_PCAP_SNAPLEN_DEFAULT 262144u

/* Where libpcap re-inserts a stripped VLAN tag in an Ethernet frame: after
 * the destination and source addresses. */
#define NR_PCAP_VLAN_OFFSET 12
#define NR_PCAP_VLAN_TAG_LEN 4
#define NR_PCAP_TPID_8021Q 0x8100

#define NR_PCAP_FILE_HEADER_LEN 24
#define NR_PCAP_RECORD_HEADER_LEN 16
#define NR_PCAPNG_EPB_HEADER_LEN 28
/* padding (<= 3) + epb_flags option (8) + opt_endofopt (4) + total length (4) */
#define NR_PCAPNG_EPB_TRAILER_MAX 19

/* At most this many iovecs describe one record: header, the frame up to the
 * tag, the tag, the rest of the frame, the trailer (pcapng). */
#define NR_PCAP_RECORD_MAX_IOV 5

typedef enum {
  NR_PCAP_FORMAT_PCAP_USEC, /* classic pcap, microsecond timestamps */
  NR_PCAP_FORMAT_PCAP_NSEC, /* classic pcap, nanosecond timestamps */
  NR_PCAP_FORMAT_PCAPNG,    /* pcapng, nanosecond timestamps (if_tsresol = 9) */
} NrPcapFormat;

/* One packet to encode. */
typedef struct {
  const guint8 *data;       /* the captured bytes (without a stripped tag) */
  guint32 captured_length;  /* bytes at @data */
  guint32 wire_length;      /* length on the wire (without a stripped tag) */
  gint64 timestamp_ns;      /* nanoseconds since the Unix epoch; < 0 is written as 0 */
  guint32 interface_id;     /* pcapng: index of the interface's IDB in the section */
  guint32 epb_flags;        /* pcapng: the epb_flags option, 0 = no option */
  gboolean vlan_valid;      /* re-insert a tag the kernel stripped (Ethernet only) */
  guint16 vlan_tci;
  guint16 vlan_tpid;        /* 0 = 802.1Q */
} NrPcapPacket;

/* The small encoded pieces of one record. The iovecs of the record point
 * into it, so it must stay where it is until the record has been written. */
typedef struct {
  guint8 header[NR_PCAPNG_EPB_HEADER_LEN]; /* classic pcap uses the first 16 bytes */
  guint8 tag[NR_PCAP_VLAN_TAG_LEN];
  guint8 trailer[NR_PCAPNG_EPB_TRAILER_MAX + 1];
} NrPcapRecordScratch;

/* Encodes the 24-byte classic pcap file header into @out: version 2.4, the
 * magic of @format (which must be PCAP_USEC or PCAP_NSEC), thiszone and
 * sigfigs 0, @snaplen (0 = NR_PCAP_SNAPLEN_DEFAULT) and @linktype
 * (LINKTYPE_*). Returns NR_PCAP_FILE_HEADER_LEN, or -EINVAL for a pcapng
 * @format. */
gssize nr_pcap_file_header (guint8 out[NR_PCAP_FILE_HEADER_LEN], NrPcapFormat format,
                            guint32 linktype, guint32 snaplen);

/* Encodes a pcapng section header block (byte-order magic, version 1.0,
 * section length -1 = not given) with an optional shb_userappl option
 * (@user_application, may be NULL). Returns the block's length; writes it
 * only when @out_size is at least that (call with NULL, 0 to measure).
 * -EINVAL when a string does not fit in an option (65535 bytes). */
gssize nr_pcapng_section_header (guint8 *out, gsize out_size, const char *user_application);

/* Encodes a pcapng interface description block: @linktype (LINKTYPE_*,
 * at most 65535), @snaplen (0 = NR_PCAP_SNAPLEN_DEFAULT), the if_name
 * option (@if_name, may be NULL) and if_tsresol = 9 (nanoseconds), which is
 * the resolution of every record this file encodes. Same return convention
 * as nr_pcapng_section_header(). */
gssize nr_pcapng_interface_description (guint8 *out, gsize out_size, guint32 linktype,
                                        guint32 snaplen, const char *if_name);

/* Encodes a pcapng interface statistics block for interface @interface_id
 * at @timestamp_ns, with isb_ifrecv = @received (packets the interface
 * delivered to the capture) and isb_ifdrop = @dropped (packets it dropped)
 * when @with_counters, the way dumpcap records drops at the end of a
 * capture; without, the block only says when the interface's capture
 * ended. Same return convention as nr_pcapng_section_header(). */
gssize nr_pcapng_interface_statistics (guint8 *out, gsize out_size, guint32 interface_id,
                                       gint64 timestamp_ns, gboolean with_counters,
                                       guint64 received, guint64 dropped);

/* Describes the record of @packet in @format as iovecs in @iov (room for
 * NR_PCAP_RECORD_MAX_IOV), encoding the small pieces into @scratch; the
 * packet bytes are referenced from @packet->data, not copied. Returns the
 * number of iovecs used (no empty one) and the record's total length in
 * *record_length.
 *
 * A valid VLAN tag (Ethernet frames of at least 12 captured bytes, as
 * libpcap requires) is inserted after the MAC addresses, TPID then TCI in
 * network order, and both lengths grow by 4, as libpcap does on a live
 * capture. The captured part (after the insertion) is then cut to @snaplen
 * (0 = NR_PCAP_SNAPLEN_DEFAULT), the value the file header or the IDB
 * announced, so that libpcap accepts every record; a wire length below the
 * captured length is raised to it. pcapng records are padded to 32 bits and
 * carry the epb_flags option when @packet->epb_flags is not 0. */
guint nr_pcap_record (NrPcapFormat format, guint32 snaplen, const NrPcapPacket *packet,
                      NrPcapRecordScratch *scratch, struct iovec iov[NR_PCAP_RECORD_MAX_IOV],
                      gsize *record_length);

/* Copies the bytes of @n_iov iovecs to @out (which has room for their total
 * length) and returns the number of bytes copied: for writers that want a
 * flat buffer, and for tests. */
gsize nr_pcap_iov_flatten (const struct iovec *iov, guint n_iov, guint8 *out);

/* Sets the VLAN fields of @packet from a TPACKET_V3 header's tp_status,
 * hv1.tp_vlan_tci and hv1.tp_vlan_tpid with libpcap's rules: the tag is
 * valid when TP_STATUS_VLAN_VALID is set or the TCI is not 0 (kernels
 * before 3.0 had no flag), and the TPID is 802.1Q unless
 * TP_STATUS_VLAN_TPID_VALID (or a non-zero TPID) says otherwise. */
void nr_pcap_packet_set_vlan (NrPcapPacket *packet, guint32 tp_status, guint16 tci, guint16 tpid);

/* The epb_flags word for a packet of sockaddr_ll type @pkttype
 * (PACKET_HOST, …): the direction (outbound for PACKET_OUTGOING, inbound
 * otherwise) and the reception type (unicast, broadcast, multicast,
 * promiscuous for PACKET_OTHERHOST). 0 (nothing known) for types the kernel
 * does not use on captured packets. */
guint32 nr_pcapng_epb_flags_for_pkttype (guint8 pkttype);

G_END_DECLS
