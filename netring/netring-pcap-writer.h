/* netring-pcap-writer.h: pcap and pcapng files */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-packet.h>
#include <netring/netring-receiver.h>

G_BEGIN_DECLS

/**
 * NetringPcapFormat:
 * @NETRING_PCAP_FORMAT_PCAP: classic pcap with microsecond timestamps, the
 *   format every tool reads (`tcpdump -w`)
 * @NETRING_PCAP_FORMAT_PCAP_NSEC: classic pcap with nanosecond timestamps
 *   (`tcpdump --time-stamp-precision=nano -w`)
 * @NETRING_PCAP_FORMAT_PCAPNG: pcapng (Wireshark's default): several
 *   interfaces in one file, each with its name, nanosecond timestamps, and
 *   the direction of every packet
 *
 * The file format a #NetringPcapWriter writes.
 */
typedef enum {
  NETRING_PCAP_FORMAT_PCAP,
  NETRING_PCAP_FORMAT_PCAP_NSEC,
  NETRING_PCAP_FORMAT_PCAPNG,
} NetringPcapFormat;

#define NETRING_TYPE_PCAP_WRITER_STATS (netring_pcap_writer_stats_get_type ())

typedef struct _NetringPcapWriterStats NetringPcapWriterStats;

/**
 * NetringPcapWriterStats:
 * @frames_written: packet records written
 * @bytes_written: bytes written, file headers and record headers included,
 *   over all files
 * @frames_truncated: records the writer cut to their interface's snap
 *   length (the part of a packet beyond it is not in the file)
 * @files: files written to: 1 for a writer onto a stream, the files opened
 *   so far for a rotating writer
 *
 * Statistics of a #NetringPcapWriter, cumulative since it was created.
 * Records that a failed write did not complete are not counted.
 */
struct _NetringPcapWriterStats {
  guint64 frames_written;
  guint64 bytes_written;
  guint64 frames_truncated;
  guint64 files;
};

NETRING_AVAILABLE_IN_ALL
GType netring_pcap_writer_stats_get_type (void) G_GNUC_CONST;
NETRING_AVAILABLE_IN_ALL
NetringPcapWriterStats *netring_pcap_writer_stats_copy (const NetringPcapWriterStats *stats);
NETRING_AVAILABLE_IN_ALL
void netring_pcap_writer_stats_free (NetringPcapWriterStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetringPcapWriterStats, netring_pcap_writer_stats_free)

/**
 * NETRING_TYPE_PCAP_WRITER:
 *
 * The #GType of #NetringPcapWriter.
 */
#define NETRING_TYPE_PCAP_WRITER (netring_pcap_writer_get_type ())

/**
 * NetringPcapWriter:
 *
 * Writes captured packets as pcap or pcapng. All its fields are private.
 */

NETRING_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NetringPcapWriter, netring_pcap_writer, NETRING, PCAP_WRITER, GObject)

NETRING_AVAILABLE_IN_ALL
NetringPcapWriter *netring_pcap_writer_new (GOutputStream    *stream,
                                            NetringPcapFormat format,
                                            GError          **error);
NETRING_AVAILABLE_IN_ALL
NetringPcapWriter *netring_pcap_writer_new_rotating (const gchar      *pattern,
                                                     NetringPcapFormat format,
                                                     guint64           max_bytes,
                                                     guint             max_seconds,
                                                     GError          **error);

NETRING_AVAILABLE_IN_ALL
NetringPcapFormat netring_pcap_writer_get_format (NetringPcapWriter *self);
NETRING_AVAILABLE_IN_ALL
GOutputStream *netring_pcap_writer_get_stream (NetringPcapWriter *self);
NETRING_AVAILABLE_IN_ALL
const gchar *netring_pcap_writer_get_pattern (NetringPcapWriter *self);
NETRING_AVAILABLE_IN_ALL
guint64 netring_pcap_writer_get_max_bytes (NetringPcapWriter *self);
NETRING_AVAILABLE_IN_ALL
guint netring_pcap_writer_get_max_seconds (NetringPcapWriter *self);
NETRING_AVAILABLE_IN_ALL
const gchar *netring_pcap_writer_get_path (NetringPcapWriter *self);
NETRING_AVAILABLE_IN_ALL
guint netring_pcap_writer_get_n_interfaces (NetringPcapWriter *self);

NETRING_AVAILABLE_IN_ALL
gint netring_pcap_writer_add_interface (NetringPcapWriter *self,
                                        const gchar       *name,
                                        gint               link_type,
                                        guint              snap_length,
                                        GError           **error);
NETRING_AVAILABLE_IN_ALL
gint netring_pcap_writer_add_interface_for_receiver (NetringPcapWriter *self,
                                                     NetringReceiver   *receiver,
                                                     GError           **error);

NETRING_AVAILABLE_IN_ALL
gboolean netring_pcap_writer_write_packet (NetringPcapWriter *self,
                                           guint              interface_id,
                                           NetringPacket     *packet,
                                           GCancellable      *cancellable,
                                           GError           **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_pcap_writer_write_batch (NetringPcapWriter *self,
                                          guint              interface_id,
                                          NetringBatch      *batch,
                                          GCancellable      *cancellable,
                                          GError           **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_pcap_writer_flush (NetringPcapWriter *self,
                                    GCancellable      *cancellable,
                                    GError           **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_pcap_writer_close (NetringPcapWriter *self,
                                    GCancellable      *cancellable,
                                    GError           **error);

NETRING_AVAILABLE_IN_ALL
void netring_pcap_writer_write_batch_async (NetringPcapWriter  *self,
                                            guint               interface_id,
                                            NetringBatch       *batch,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
gboolean netring_pcap_writer_write_batch_finish (NetringPcapWriter *self,
                                                 GAsyncResult      *result,
                                                 GError           **error);
NETRING_AVAILABLE_IN_ALL
void netring_pcap_writer_flush_async (NetringPcapWriter  *self,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
gboolean netring_pcap_writer_flush_finish (NetringPcapWriter *self,
                                           GAsyncResult      *result,
                                           GError           **error);
NETRING_AVAILABLE_IN_ALL
void netring_pcap_writer_close_async (NetringPcapWriter  *self,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
gboolean netring_pcap_writer_close_finish (NetringPcapWriter *self,
                                           GAsyncResult      *result,
                                           GError           **error);

NETRING_AVAILABLE_IN_ALL
NetringPcapWriterStats *netring_pcap_writer_get_stats (NetringPcapWriter *self);

G_END_DECLS
