/* netring-pcap-reader.h: reading pcap and pcapng files */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-packet.h>

G_BEGIN_DECLS

/**
 * NETRING_TYPE_PCAP_READER:
 *
 * The #GType of #NetringPcapReader.
 */
#define NETRING_TYPE_PCAP_READER (netring_pcap_reader_get_type ())

/**
 * NetringPcapReader:
 *
 * Reads the packets of a pcap or pcapng file. All fields are private.
 */
NETRING_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NetringPcapReader, netring_pcap_reader, NETRING, PCAP_READER, GObject)

NETRING_AVAILABLE_IN_ALL
NetringPcapReader *netring_pcap_reader_new (const gchar *path, GError **error);
NETRING_AVAILABLE_IN_ALL
NetringPcapReader *netring_pcap_reader_new_for_stream (GInputStream *stream, GError **error);

NETRING_AVAILABLE_IN_ALL
const gchar *netring_pcap_reader_get_path (NetringPcapReader *self);
NETRING_AVAILABLE_IN_ALL
GInputStream *netring_pcap_reader_get_stream (NetringPcapReader *self);
NETRING_AVAILABLE_IN_ALL
gint netring_pcap_reader_get_link_type (NetringPcapReader *self);
NETRING_AVAILABLE_IN_ALL
guint netring_pcap_reader_get_snap_length (NetringPcapReader *self);
NETRING_AVAILABLE_IN_ALL
guint64 netring_pcap_reader_get_n_records (NetringPcapReader *self);

NETRING_AVAILABLE_IN_ALL
NetringPacket *netring_pcap_reader_next_packet (NetringPcapReader *self, GError **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_pcap_reader_rewind (NetringPcapReader *self, GError **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_pcap_reader_close (NetringPcapReader *self, GError **error);

G_END_DECLS
