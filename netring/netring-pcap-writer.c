/* netring-pcap-writer.c: pcap and pcapng files (NetringPcapWriter) */
#include "netring-private.h"
#include "netring-batch-private.h"
#include "netring-receiver-private.h"

#include "nr-iface.h"
#include "nr-pcap.h"

#include <fcntl.h>
#include <gio/gunixoutputstream.h>
#include <linux/if_packet.h>
#include <string.h>
#include <unistd.h>

/**
 * SECTION:netring-pcap-writer
 * @short_description: Captured packets into pcap and pcapng files
 * @title: NetringPcapWriter
 * @see_also: #NetringCapture, #NetringInterfaceInfo
 *
 * A #NetringPcapWriter writes packets as classic pcap (microsecond or
 * nanosecond timestamps) or pcapng onto any #GOutputStream (a file, memory,
 * a subprocess's stdin), or into files named from a pattern that it rotates
 * by size and by time like `tcpdump -C` and `-G`. tcpdump, Wireshark and
 * libpcap read what it writes.
 *
 * Every packet is written for an interface, first added with
 * netring_pcap_writer_add_interface() (a name, a pcap link type and a snap
 * length) or netring_pcap_writer_add_interface_for_receiver(), which reads
 * them from a receiver (a capture, a fanout group's member or an AF_XDP
 * socket). A classic pcap file has exactly one interface; a pcapng file
 * has as many as needed, each described by an interface description block
 * with its name (`if_name`) and nanosecond resolution (`if_tsresol` = 9),
 * and every packet's enhanced packet block carries its direction and
 * reception type (`epb_flags`: inbound or outbound; unicast, broadcast,
 * multicast or promiscuous). A pcapng file ends with an interface
 * statistics block per interface, which holds the kernel's receive and
 * drop counters of the receiver an interface was added for.
 *
 * netring_pcap_writer_write_batch() writes a whole #NetringBatch in one
 * call: the records are described as pieces of memory (record headers,
 * and the packet bytes where they are in the ring) and handed to the stream
 * with g_output_stream_writev_all(), hundreds of records per system call.
 * Packets of 512 bytes or more are written from the ring where they are;
 * smaller pieces are gathered into one buffer first, because the kernel's
 * cost per piece is higher than copying a small one. A program in any
 * language that connects a capture's #NetringCapture::batch signal to the
 * writer spends one call per batch, not per packet:
 *
 * |[<!-- language="C" -->
 * static void
 * on_batch (NetringCapture *capture, NetringBatch *batch, NetringPcapWriter *writer)
 * {
 *   g_autoptr(GError) error = NULL;
 *
 *   if (!netring_pcap_writer_write_batch (writer, 0, batch, NULL, &error))
 *     g_warning ("%s", error->message);
 * }
 *
 * writer = netring_pcap_writer_new_rotating ("eth0-%Y%m%d-%H%M%S.pcapng",
 *                                            NETRING_PCAP_FORMAT_PCAPNG,
 *                                            100 * 1000 * 1000, 3600, &error);
 * netring_pcap_writer_add_interface_for_receiver (writer, NETRING_RECEIVER (capture), &error);
 * g_signal_connect (capture, "batch", G_CALLBACK (on_batch), writer);
 * netring_receiver_start (NETRING_RECEIVER (capture), &error);
 * ]|
 *
 * In Python:
 * |[<!-- language="Python" -->
 * stream = Gio.File.new_for_path("out.pcapng").replace(None, False, Gio.FileCreateFlags.NONE)
 * writer = Netring.PcapWriter.new(stream, Netring.PcapFormat.PCAPNG)
 * iface = writer.add_interface_for_receiver(capture)
 * capture.connect("batch", lambda cap, batch: writer.write_batch(iface, batch, None))
 * ]|
 *
 * VLAN tags the kernel took out of a frame (it always does on receive, and
 * reports them next to the packet) are put back after the MAC addresses, as
 * libpcap does, so the file holds the frame as it was on the wire and
 * `tcpdump -r` and Wireshark see the VLAN. A record longer than its
 * interface's snap length is cut to it and counted in
 * #NetringPcapWriterStats.frames_truncated.
 *
 * The asynchronous calls (netring_pcap_writer_write_batch_async(),
 * netring_pcap_writer_flush_async(), netring_pcap_writer_close_async()) use
 * the stream's asynchronous calls. They may be issued while earlier ones
 * are still running: they are queued and completed in call order, each
 * batch referenced (and its ring block kept from the kernel) until it is
 * written. A synchronous call while asynchronous ones are queued fails with
 * %NETRING_ERROR_BUSY. A rotating writer opens and closes its files
 * synchronously, also during asynchronous calls.
 *
 * When a write fails after part of a record reached the stream, the file
 * ends in a broken record: every later write fails with
 * %NETRING_ERROR_FAILED, and close only closes the stream. Errors of the
 * stream are reported as %NETRING_ERROR_FAILED naming the file, except
 * %G_IO_ERROR_CANCELLED, %G_IO_ERROR_WOULD_BLOCK, %G_IO_ERROR_TIMED_OUT and
 * %G_IO_ERROR_CLOSED, which keep their #GIOErrorEnum code.
 *
 * Headers are written with the first record, or by netring_pcap_writer_flush()
 * and netring_pcap_writer_close(): close the writer so that even a file
 * without packets is complete. A writer is used from one thread at a time.
 */

/* Pieces per writev(): the kernel's IOV_MAX. */
#define VECTORS_MAX 1024
/* A record takes at least 2 pieces (header and data), and the headers one */
#define RECORDS_MAX ((VECTORS_MAX - 1) / 2)
/* Pieces shorter than this are copied into the chunk's staging buffer
 * rather than given a vector of their own: the kernel's cost per vector
 * (it copies each one apart) is higher than a memcpy of a small piece, so
 * small packets go out as one long piece with their headers, and only the
 * bytes of large packets are written from the ring where they are. */
#define COPY_MAX 512
/* The staging buffer: the copied pieces of one chunk */
#define STAGING_SIZE (256 * 1024)

G_STATIC_ASSERT (sizeof (GOutputVector) == sizeof (struct iovec));
G_STATIC_ASSERT (G_STRUCT_OFFSET (GOutputVector, buffer) == G_STRUCT_OFFSET (struct iovec, iov_base));
G_STATIC_ASSERT (G_STRUCT_OFFSET (GOutputVector, size) == G_STRUCT_OFFSET (struct iovec, iov_len));
G_STATIC_ASSERT ((int) NETRING_PACKET_DIRECTION_HOST == PACKET_HOST);
G_STATIC_ASSERT ((int) NETRING_PACKET_DIRECTION_OUTGOING == PACKET_OUTGOING);

typedef struct {
  gchar *name;
  guint32 link_type;
  guint32 snap_length; /* as given: 0 = NR_PCAP_SNAPLEN_DEFAULT */
  /* the receiver the interface was added for, whose counters go into the
   * interface statistics block at the end of a pcapng file; held weakly,
   * so a writer never keeps a ring mapped. Allocated apart: a GWeakRef
   * must not move, and the array of interfaces does. */
  GWeakRef *receiver;
} WriterInterface;

/* What one writev() carries. */
typedef struct {
  GByteArray *header;  /* file headers written before the records, or NULL */
  guint n_vectors;
  guint n_records;
  guint n_truncated;
  gsize bytes;         /* headers and records */
  gsize staged;        /* bytes copied into the staging buffer */
  gboolean rotate_after; /* the next record belongs in the next file */
} Chunk;

/* The packets of one call: a batch, a packet, or nothing (flush, close). */
typedef struct {
  NetringBatch *batch;
  NetringPacket *packet;
  NetringBatchIter iter;
  guint interface_id;
  NetringPacketInfo held; /* taken from the batch, not written yet */
  gboolean have_held;
  gboolean packet_done;
} WriteJob;

typedef enum {
  OP_WRITE,
  OP_FLUSH,
  OP_CLOSE,
} OpKind;

typedef struct {
  OpKind kind;
  WriteJob job;
  gboolean started;
} Op;

struct _NetringPcapWriter {
  GObject parent_instance;

  NetringReadiness readiness;

  GOutputStream *stream;
  NetringPcapFormat format;
  gchar *pattern;
  guint64 max_bytes;
  guint max_seconds;

  GArray *interfaces; /* WriterInterface */
  GByteArray *pending; /* headers not written yet */

  /* the current file of a rotating writer */
  gchar *path;
  gchar *last_expansion;
  guint64 same_name_count;
  gint64 file_opened_us;
  guint64 file_bytes;
  guint64 file_records;

  /* what the current writev() carries; one at a time */
  GOutputVector *vectors;
  guint8 *staging;      /* STAGING_SIZE bytes: the small pieces, copied */
  NrPcapRecordScratch *scratch;
  Chunk chunk;

  GQueue ops; /* GTask, the head one running */
  gboolean op_running;
  GError *broken; /* why nothing more can be written */

  NetringPcapWriterStats stats;
};

static void netring_pcap_writer_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetringPcapWriter, netring_pcap_writer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      netring_pcap_writer_initable_iface_init))

G_DEFINE_BOXED_TYPE (NetringPcapWriterStats, netring_pcap_writer_stats,
                     netring_pcap_writer_stats_copy, netring_pcap_writer_stats_free)

enum {
  PROP_0,
  PROP_STREAM,
  PROP_FORMAT,
  PROP_PATTERN,
  PROP_MAX_BYTES,
  PROP_MAX_SECONDS,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static NrPcapFormat
nr_format (NetringPcapFormat format)
{
  switch (format)
    {
    case NETRING_PCAP_FORMAT_PCAP:
      return NR_PCAP_FORMAT_PCAP_USEC;
    case NETRING_PCAP_FORMAT_PCAP_NSEC:
      return NR_PCAP_FORMAT_PCAP_NSEC;
    case NETRING_PCAP_FORMAT_PCAPNG:
    default:
      return NR_PCAP_FORMAT_PCAPNG;
    }
}

/* ---- errors ------------------------------------------------------------- */

/* Takes @local, an error of the stream, and reports it by the library's
 * rule: the conditions generic GLib code handles keep their GIO code, the
 * rest is NETRING_ERROR_FAILED naming the file. */
static void
propagate_stream_error (NetringPcapWriter *self, GError *local, GError **error)
{
  if (local->domain == G_IO_ERROR &&
      (local->code == G_IO_ERROR_CANCELLED || local->code == G_IO_ERROR_WOULD_BLOCK ||
       local->code == G_IO_ERROR_TIMED_OUT || local->code == G_IO_ERROR_CLOSED ||
       local->code == G_IO_ERROR_NOT_INITIALIZED))
    {
      g_propagate_error (error, local);
      return;
    }
  if (self->path != NULL)
    g_set_error (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                 _("Writing the capture file “%s” failed: %s"), self->path, local->message);
  else
    g_set_error (error, NETRING_ERROR, NETRING_ERROR_FAILED,
                 _("Writing the capture stream failed: %s"), local->message);
  g_error_free (local);
}

/* After a failure that left a broken record (or no file) behind, nothing
 * more can be written. */
static void
set_broken (NetringPcapWriter *self, const GError *why)
{
  if (self->broken != NULL)
    return;
  self->broken = g_error_new (NETRING_ERROR, NETRING_ERROR_FAILED,
                              _("The NetringPcapWriter cannot write any more: an earlier "
                                "write failed and left the file incomplete (%s)"),
                              why->message);
}

static gboolean
check_usable (NetringPcapWriter *self, gboolean synchronous, GError **error)
{
  if (!netring_readiness_check (&self->readiness, "NetringPcapWriter", error))
    return FALSE;
  if (self->broken != NULL)
    {
      g_propagate_error (error, g_error_copy (self->broken));
      return FALSE;
    }
  if (synchronous && !g_queue_is_empty (&self->ops))
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_BUSY,
                           _("The NetringPcapWriter is busy with asynchronous calls: wait "
                             "for them before a synchronous call"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_interface (NetringPcapWriter *self, guint interface_id, GError **error)
{
  if (interface_id < self->interfaces->len)
    return TRUE;
  g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
               _("The NetringPcapWriter has no interface %u (it has %u): add it with "
                 "netring_pcap_writer_add_interface() first"),
               interface_id, self->interfaces->len);
  return FALSE;
}

/* ---- headers ------------------------------------------------------------ */

/* The snap length a pcapng interface block announces: libpcap (so tcpdump)
 * refuses a file whose interfaces announce different ones, so all announce
 * libpcap's maximum, an upper bound of what each record holds; the records
 * are cut at each interface's own snap length all the same. */
static guint32
idb_snap_length (const WriterInterface *iface)
{
  return MAX (iface->snap_length, NR_PCAP_SNAPLEN_DEFAULT);
}

static void
append_interface_header (NetringPcapWriter *self, const WriterInterface *iface)
{
  guint old = self->pending->len;
  gssize n;

  if (self->format == NETRING_PCAP_FORMAT_PCAPNG)
    {
      guint32 announced = idb_snap_length (iface);

      n = nr_pcapng_interface_description (NULL, 0, iface->link_type, announced, iface->name);
      g_assert (n > 0); /* checked by add_interface */
      g_byte_array_set_size (self->pending, old + n);
      nr_pcapng_interface_description (self->pending->data + old, n, iface->link_type,
                                       announced, iface->name);
    }
  else
    {
      g_byte_array_set_size (self->pending, old + NR_PCAP_FILE_HEADER_LEN);
      n = nr_pcap_file_header (self->pending->data + old, nr_format (self->format),
                               iface->link_type, iface->snap_length);
      g_assert (n == NR_PCAP_FILE_HEADER_LEN);
    }
}

/* What a pcapng file ends with: an interface statistics block per
 * interface, with the kernel's counters of the receiver it was added for
 * (isb_ifrecv, isb_ifdrop: totals since the receiver was made, as dumpcap
 * writes them) when that receiver can still tell them. Only when the file
 * has its headers: a file of a closed writer that never wrote anything has
 * no section to put them in. */
static void
append_file_trailer (NetringPcapWriter *self)
{
  gint64 now_ns = g_get_real_time () * 1000;
  guint i;

  if (self->format != NETRING_PCAP_FORMAT_PCAPNG)
    return;
  for (i = 0; i < self->interfaces->len; i++)
    {
      const WriterInterface *iface = &g_array_index (self->interfaces, WriterInterface, i);
      g_autoptr(NetringReceiver) receiver = NULL;
      g_autoptr(NetringReceiverStats) stats = NULL;
      guint old = self->pending->len;
      gssize n;

      if (iface->receiver != NULL)
        receiver = g_weak_ref_get (iface->receiver);
      if (receiver != NULL)
        stats = netring_receiver_get_stats (receiver, NULL);
      n = nr_pcapng_interface_statistics (NULL, 0, i, now_ns, stats != NULL, 0, 0);
      g_assert (n > 0);
      g_byte_array_set_size (self->pending, old + n);
      nr_pcapng_interface_statistics (self->pending->data + old, n, i, now_ns, stats != NULL,
                                      stats != NULL ? stats->packets : 0,
                                      stats != NULL ? stats->drops : 0);
    }
}

/* The room a file's trailer may take, kept free in a file of a writer
 * rotating by size: the largest statistics block per interface. */
static guint64
file_trailer_reserve (NetringPcapWriter *self)
{
  if (self->format != NETRING_PCAP_FORMAT_PCAPNG)
    return 0;
  return (guint64) self->interfaces->len *
         (guint64) nr_pcapng_interface_statistics (NULL, 0, 0, 0, TRUE, 0, 0);
}

/* Everything a new file starts with: the section header (pcapng) and one
 * header per interface. */
static void
append_file_headers (NetringPcapWriter *self)
{
  guint i;

  if (self->format == NETRING_PCAP_FORMAT_PCAPNG)
    {
      const char *application = "netring " PACKAGE_VERSION;
      gssize n = nr_pcapng_section_header (NULL, 0, application);
      guint old = self->pending->len;

      g_assert (n > 0);
      g_byte_array_set_size (self->pending, old + n);
      nr_pcapng_section_header (self->pending->data + old, n, application);
    }
  for (i = 0; i < self->interfaces->len; i++)
    append_interface_header (self, &g_array_index (self->interfaces, WriterInterface, i));
}

/* ---- file names and rotation -------------------------------------------- */

/* Expands %i and %<width>i to @counter (zero-padded to the width), then
 * the strftime-style conversions with g_date_time_format() at @time.
 * Returns NULL for a pattern with a conversion GLib does not know. */
static gchar *
expand_pattern (const gchar *pattern, GDateTime *time, guint64 counter)
{
  g_autoptr(GString) s = g_string_new (NULL);
  const gchar *p;

  for (p = pattern; *p != '\0'; p++)
    {
      const gchar *q = p + 1;
      guint width = 0;

      if (*p != '%')
        {
          g_string_append_c (s, *p);
          continue;
        }
      while (g_ascii_isdigit (*q) && width < 100)
        width = width * 10 + (guint) (*q++ - '0');
      if (*q == 'i' && width < 100)
        {
          g_string_append_printf (s, "%0*" G_GUINT64_FORMAT, (int) width, counter);
          p = q;
          continue;
        }
      if (*q == '\0')
        return NULL;
      /* the rest is g_date_time_format()'s, "%%" included (which must not
       * be read as the start of a "%i") */
      g_string_append_c (s, '%');
      if (*q == '%')
        {
          g_string_append_c (s, '%');
          p = q;
        }
    }
  return g_date_time_format (time, s->str);
}

static gboolean
open_next_file (NetringPcapWriter *self, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *expansion = expand_pattern (self->pattern, now, self->stats.files);
  g_autofree gchar *path = NULL;
  int fd;

  g_assert (expansion != NULL); /* checked by init */
  /* tcpdump -C: a name the pattern gives again gets a number appended, so
   * that no file of this writer overwrites the one before */
  if (g_strcmp0 (expansion, self->last_expansion) == 0)
    path = g_strdup_printf ("%s%" G_GUINT64_FORMAT, expansion, ++self->same_name_count);
  else
    {
      self->same_name_count = 0;
      path = g_strdup (expansion);
    }

  do
    fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, NETRING_ERROR,
                   errsv == EACCES || errsv == EPERM ? NETRING_ERROR_PERMISSION_DENIED
                                                     : NETRING_ERROR_FAILED,
                   _("Could not create the capture file “%s”: %s"), path, g_strerror (errsv));
      return FALSE;
    }

  g_clear_object (&self->stream);
  self->stream = g_unix_output_stream_new (fd, TRUE);
  g_free (self->path);
  self->path = g_steal_pointer (&path);
  g_free (self->last_expansion);
  self->last_expansion = g_steal_pointer (&expansion);
  self->file_opened_us = g_get_real_time ();
  self->file_bytes = 0;
  self->file_records = 0;
  self->stats.files++;
  g_byte_array_set_size (self->pending, 0);
  append_file_headers (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAM]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PATH]);
  return TRUE;
}

static gboolean
time_to_rotate (NetringPcapWriter *self)
{
  return self->pattern != NULL && self->max_seconds > 0 &&
         g_get_real_time () - self->file_opened_us >= (gint64) self->max_seconds * G_USEC_PER_SEC;
}

/* Closes the current file, headers written even when no record is in it,
 * and opens the next. Synchronous, also for asynchronous calls: these are
 * local files. A failure leaves the writer without a usable file. */
static gboolean
rotate (NetringPcapWriter *self, GCancellable *cancellable, GError **error)
{
  GError *local = NULL;

  append_file_trailer (self);
  if (self->pending->len > 0)
    {
      gsize written = 0;

      if (!g_output_stream_write_all (self->stream, self->pending->data, self->pending->len,
                                      &written, cancellable, &local))
        goto failed;
      self->stats.bytes_written += written;
      g_byte_array_set_size (self->pending, 0);
    }
  if (!g_output_stream_close (self->stream, cancellable, &local))
    goto failed;
  if (!open_next_file (self, &local))
    {
      set_broken (self, local);
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;

failed:
  set_broken (self, local);
  propagate_stream_error (self, local, error);
  return FALSE;
}

/* ---- records ------------------------------------------------------------ */

static void
packet_info_from_packet (NetringPacket *packet, NetringPacketInfo *info)
{
  gsize length = 0;

  memset (info, 0, sizeof *info);
  info->data = netring_packet_get_data (packet, &length);
  info->captured_length = (guint32) length;
  info->wire_length = netring_packet_get_wire_length (packet);
  info->timestamp_ns = netring_packet_get_timestamp (packet);
  info->status = netring_packet_get_status (packet);
  info->direction = (guint8) netring_packet_get_direction (packet);
  info->vlan_tci = netring_packet_get_vlan_tci (packet);
  info->vlan_tpid = netring_packet_get_vlan_tpid (packet);
}

static const NetringPacketInfo *
job_peek (WriteJob *job)
{
  if (job->have_held)
    return &job->held;
  if (job->batch != NULL)
    job->have_held = netring_batch_iter_next (&job->iter, &job->held);
  else if (job->packet != NULL && !job->packet_done)
    {
      packet_info_from_packet (job->packet, &job->held);
      job->have_held = TRUE;
    }
  return job->have_held ? &job->held : NULL;
}

static void
job_consume (WriteJob *job)
{
  job->have_held = FALSE;
  if (job->packet != NULL)
    job->packet_done = TRUE;
}

static void
job_clear (WriteJob *job)
{
  g_clear_pointer (&job->batch, _netring_batch_unpin);
  g_clear_pointer (&job->packet, netring_packet_unref);
}

/* Describes the record of @info in @iov, encoding its small pieces into
 * @scratch. */
static guint
record_describe (NetringPcapWriter *self, guint interface_id, const NetringPacketInfo *info,
                 NrPcapRecordScratch *scratch, struct iovec iov[NR_PCAP_RECORD_MAX_IOV],
                 gsize *length, gboolean *truncated)
{
  const WriterInterface *iface = &g_array_index (self->interfaces, WriterInterface, interface_id);
  NrPcapPacket p = { 0 };
  guint32 snap = iface->snap_length != 0 ? iface->snap_length : NR_PCAP_SNAPLEN_DEFAULT;
  guint64 full;

  p.data = info->data;
  p.captured_length = info->captured_length;
  p.wire_length = info->wire_length;
  p.timestamp_ns = info->timestamp_ns;
  p.interface_id = interface_id;
  /* the packet directions are the kernel's sll_pkttype values */
  if (self->format == NETRING_PCAP_FORMAT_PCAPNG &&
      info->direction != NETRING_PACKET_DIRECTION_UNKNOWN)
    p.epb_flags = nr_pcapng_epb_flags_for_pkttype (info->direction);
  /* only Ethernet frames have a place for the tag; the status bits are the
   * kernel's tp_status bits */
  if (iface->link_type == NR_PCAP_LINKTYPE_ETHERNET)
    nr_pcap_packet_set_vlan (&p, info->status, info->vlan_tci, info->vlan_tpid);

  full = (guint64) p.captured_length +
         (p.vlan_valid && p.captured_length >= NR_PCAP_VLAN_OFFSET ? NR_PCAP_VLAN_TAG_LEN : 0);
  *truncated = full > snap;
  return nr_pcap_record (nr_format (self->format), iface->snap_length, &p, scratch, iov, length);
}

/* Adds a piece of a record to the chunk: copied to the end of the staging
 * buffer when it is small (growing the vector that ends there), else as a
 * vector of its own that points at it. */
static inline void
chunk_add_piece (NetringPcapWriter *self, const void *data, gsize length)
{
  Chunk *c = &self->chunk;
  GOutputVector *last = c->n_vectors > 0 ? &self->vectors[c->n_vectors - 1] : NULL;

  if (length < COPY_MAX && c->staged + length <= STAGING_SIZE)
    {
      guint8 *to = self->staging + c->staged;

      memcpy (to, data, length);
      c->staged += length;
      if (last != NULL && (const guint8 *) last->buffer + last->size == to)
        last->size += length;
      else
        {
          self->vectors[c->n_vectors].buffer = to;
          self->vectors[c->n_vectors].size = length;
          c->n_vectors++;
        }
      return;
    }
  self->vectors[c->n_vectors].buffer = data;
  self->vectors[c->n_vectors].size = length;
  c->n_vectors++;
}

/* Fills the chunk with the pending headers and the records of @job that
 * fit: in the vectors, and, for a writer rotating by size, in the current
 * file (a file takes at least one record however large it is). */
static void
chunk_build (NetringPcapWriter *self, WriteJob *job)
{
  Chunk *c = &self->chunk;
  const NetringPacketInfo *info;
  guint64 trailer = 0;

  g_assert (c->header == NULL);
  c->n_vectors = 0;
  c->n_records = 0;
  c->n_truncated = 0;
  c->bytes = 0;
  c->staged = 0;
  c->rotate_after = FALSE;

  if (self->pending->len > 0)
    {
      /* the chunk owns the headers while they are written: add_interface
       * may append to a new pending array meanwhile */
      c->header = g_steal_pointer (&self->pending);
      self->pending = g_byte_array_new ();
      self->vectors[0].buffer = c->header->data;
      self->vectors[0].size = c->header->len;
      c->n_vectors = 1;
      c->bytes = c->header->len;
    }

  if (self->max_bytes > 0)
    trailer = file_trailer_reserve (self);
  while (c->n_vectors + NR_PCAP_RECORD_MAX_IOV <= VECTORS_MAX && c->n_records < RECORDS_MAX &&
         (info = job_peek (job)) != NULL)
    {
      struct iovec iov[NR_PCAP_RECORD_MAX_IOV];
      gboolean truncated;
      gsize length;
      guint n, i;

      n = record_describe (self, job->interface_id, info, &self->scratch[c->n_records], iov,
                           &length, &truncated);
      if (self->max_bytes > 0 && self->file_records + c->n_records > 0 &&
          self->file_bytes + c->bytes + length + trailer > self->max_bytes)
        {
          c->rotate_after = TRUE;
          break;
        }
      /* the copied pieces of a record take at most its length */
      if (c->staged + MIN (length, STAGING_SIZE) > STAGING_SIZE)
        break;
      job_consume (job);
      for (i = 0; i < n; i++)
        chunk_add_piece (self, iov[i].iov_base, iov[i].iov_len);
      c->n_records++;
      c->n_truncated += truncated;
      c->bytes += length;
    }
}

static void
chunk_commit (NetringPcapWriter *self)
{
  Chunk *c = &self->chunk;

  self->file_bytes += c->bytes;
  self->file_records += c->n_records;
  self->stats.bytes_written += c->bytes;
  self->stats.frames_written += c->n_records;
  self->stats.frames_truncated += c->n_truncated;
  g_clear_pointer (&c->header, g_byte_array_unref);
}

/* Takes @local. */
static void
chunk_fail (NetringPcapWriter *self, gsize written, GError *local, GError **error)
{
  Chunk *c = &self->chunk;

  if (written == 0)
    {
      /* nothing reached the stream: the file is as it was, and its headers
       * are still to be written */
      if (c->header != NULL)
        g_byte_array_prepend (self->pending, c->header->data, c->header->len);
    }
  else
    {
      self->stats.bytes_written += written;
      set_broken (self, local);
    }
  g_clear_pointer (&c->header, g_byte_array_unref);
  propagate_stream_error (self, local, error);
}

static gboolean
job_run_sync (NetringPcapWriter *self, WriteJob *job, GCancellable *cancellable, GError **error)
{
  for (;;)
    {
      if (time_to_rotate (self) && job_peek (job) != NULL && !rotate (self, cancellable, error))
        return FALSE;
      chunk_build (self, job);
      if (self->chunk.n_vectors == 0 && !self->chunk.rotate_after)
        return TRUE;
      if (self->chunk.n_vectors > 0)
        {
          GError *local = NULL;
          gsize written = 0;

          if (!g_output_stream_writev_all (self->stream, self->vectors, self->chunk.n_vectors,
                                           &written, cancellable, &local))
            {
              chunk_fail (self, written, local, error);
              return FALSE;
            }
          chunk_commit (self);
        }
      if (self->chunk.rotate_after && !rotate (self, cancellable, error))
        return FALSE;
    }
}

/* Marks the writer closed. Returns whether there is a stream to finish and
 * close: not after an earlier close, nor when init did not succeed (the
 * stream is then left alone). */
static gboolean
close_begin (NetringPcapWriter *self)
{
  gboolean usable = self->readiness.initialized && self->readiness.init_error == NULL;

  return netring_readiness_close (&self->readiness) && usable && self->stream != NULL;
}

/* ---- asynchronous calls: a queue run in call order ---------------------- */

static void op_step (GTask *task);

static void
op_free (gpointer data)
{
  Op *op = data;

  job_clear (&op->job);
  g_free (op);
}

static void
ops_advance (NetringPcapWriter *self)
{
  if (self->op_running || g_queue_is_empty (&self->ops))
    return;
  self->op_running = TRUE;
  op_step (g_queue_peek_head (&self->ops));
}

/* Completes the running operation with @error (taken) or success, then
 * starts the next one. */
static void
op_done (GTask *task, GError *error)
{
  g_autoptr(NetringPcapWriter) self = g_object_ref (g_task_get_source_object (task));

  g_assert (g_queue_peek_head (&self->ops) == task);
  g_queue_pop_head (&self->ops);
  self->op_running = FALSE;
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  ops_advance (self);
}

static void
op_finished_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  NetringPcapWriter *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  GError *local = NULL, *error = NULL;
  gboolean ok;

  if (op->kind == OP_FLUSH)
    ok = g_output_stream_flush_finish (G_OUTPUT_STREAM (source), result, &local);
  else
    ok = g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, &local);
  if (!ok)
    propagate_stream_error (self, local, &error);
  op_done (task, error);
}

static void
op_written_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  NetringPcapWriter *self = g_task_get_source_object (task);
  GError *local = NULL, *error = NULL;
  gsize written = 0;

  if (!g_output_stream_writev_all_finish (G_OUTPUT_STREAM (source), result, &written, &local))
    {
      chunk_fail (self, written, local, &error);
      op_done (task, error);
      return;
    }
  chunk_commit (self);
  if (self->chunk.rotate_after && !rotate (self, g_task_get_cancellable (task), &error))
    {
      op_done (task, error);
      return;
    }
  op_step (task);
}

static void
op_step (GTask *task)
{
  NetringPcapWriter *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (self->broken == NULL)
    {
      /* the statistics are read when the close runs, after the writes
       * queued before it */
      if (op->kind == OP_CLOSE && !op->started)
        append_file_trailer (self);
      op->started = TRUE;
      if (time_to_rotate (self) && job_peek (&op->job) != NULL &&
          !rotate (self, cancellable, &error))
        {
          op_done (task, error);
          return;
        }
      chunk_build (self, &op->job);
      if (self->chunk.n_vectors > 0)
        {
          g_output_stream_writev_all_async (self->stream, self->vectors, self->chunk.n_vectors,
                                            G_PRIORITY_DEFAULT, cancellable, op_written_cb,
                                            task);
          return;
        }
      if (self->chunk.rotate_after)
        {
          /* the new file's headers make the next chunk non-empty */
          if (!rotate (self, cancellable, &error))
            op_done (task, error);
          else
            op_step (task);
          return;
        }
    }
  else if (op->kind != OP_CLOSE)
    {
      op_done (task, g_error_copy (self->broken));
      return;
    }

  switch (op->kind)
    {
    case OP_WRITE:
      op_done (task, NULL);
      break;
    case OP_FLUSH:
      g_output_stream_flush_async (self->stream, G_PRIORITY_DEFAULT, cancellable, op_finished_cb,
                                   task);
      break;
    case OP_CLOSE:
    default:
      g_output_stream_close_async (self->stream, G_PRIORITY_DEFAULT, cancellable, op_finished_cb,
                                   task);
      break;
    }
}

/* Queues an operation; it starts at once when nothing else is queued. */
static void
op_queue (NetringPcapWriter *self, GTask *task, OpKind kind, guint interface_id,
          NetringBatch *batch)
{
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  op->job.interface_id = interface_id;
  if (batch != NULL)
    {
      /* a hold on the memory, not just a reference: the memory stays
       * until written even when the batch was handed to a signal handler
       * that did not keep it, and goes back as soon as it is written */
      _netring_batch_pin (batch);
      op->job.batch = batch;
      netring_batch_iter_init (&op->job.iter, op->job.batch);
    }
  g_task_set_task_data (task, op, op_free);
  g_queue_push_tail (&self->ops, task);
  ops_advance (self);
}

/* ---- GInitable ---------------------------------------------------------- */

static gboolean
netring_pcap_writer_initable_init (GInitable *initable, GCancellable *cancellable,
                                   GError **error)
{
  NetringPcapWriter *self = NETRING_PCAP_WRITER (initable);
  g_autoptr(GError) local_error = NULL;
  gboolean result;

  if (!netring_readiness_init_begin (&self->readiness, &result, error))
    return result;

  if (self->stream == NULL && self->pattern == NULL)
    g_set_error_literal (&local_error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                         _("Set the “stream” or the “pattern” property of the "
                           "NetringPcapWriter: where to write"));
  else if (self->stream != NULL && self->pattern != NULL)
    g_set_error_literal (&local_error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                         _("The “stream” and “pattern” properties of the NetringPcapWriter "
                           "cannot both be set: write to a stream or to files"));
  else if (self->stream != NULL && (self->max_bytes > 0 || self->max_seconds > 0))
    g_set_error_literal (&local_error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                         _("The “max-bytes” and “max-seconds” properties of the "
                           "NetringPcapWriter need a “pattern”: a stream cannot be rotated"));
  else
    {
      self->vectors = g_new0 (GOutputVector, VECTORS_MAX);
      self->staging = g_malloc (STAGING_SIZE);
      self->scratch = g_new0 (NrPcapRecordScratch, RECORDS_MAX);
      if (self->pattern != NULL)
        {
          g_autoptr(GDateTime) now = g_date_time_new_now_local ();
          g_autofree gchar *expansion = self->pattern[0] != '\0'
                                          ? expand_pattern (self->pattern, now, 0)
                                          : NULL;

          if (expansion == NULL || expansion[0] == '\0')
            g_set_error (&local_error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                         _("The “pattern” property of the NetringPcapWriter, “%s”, is not a "
                           "file name pattern: use strftime conversions such as %%Y%%m%%d, "
                           "%%i for the file number and %%%% for a percent sign"),
                         self->pattern);
          else
            open_next_file (self, &local_error);
        }
      else
        {
          self->stats.files = 1;
          append_file_headers (self);
        }
    }

  result = netring_readiness_init_done (&self->readiness, local_error);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return result;
}

static void
netring_pcap_writer_initable_iface_init (GInitableIface *iface)
{
  iface->init = netring_pcap_writer_initable_init;
}

/* ---- GObject ------------------------------------------------------------ */

static void
interface_clear (gpointer data)
{
  WriterInterface *iface = data;

  g_free (iface->name);
  if (iface->receiver != NULL)
    {
      g_weak_ref_clear (iface->receiver);
      g_free (iface->receiver);
    }
}

static void
netring_pcap_writer_finalize (GObject *object)
{
  NetringPcapWriter *self = NETRING_PCAP_WRITER (object);

  /* the queued tasks hold the writer: none is left */
  g_assert (g_queue_is_empty (&self->ops));
  g_clear_object (&self->stream);
  g_free (self->pattern);
  g_array_unref (self->interfaces);
  g_byte_array_unref (self->pending);
  g_clear_pointer (&self->chunk.header, g_byte_array_unref);
  g_free (self->path);
  g_free (self->last_expansion);
  g_free (self->vectors);
  g_free (self->staging);
  g_free (self->scratch);
  g_clear_error (&self->broken);
  netring_readiness_clear (&self->readiness);

  G_OBJECT_CLASS (netring_pcap_writer_parent_class)->finalize (object);
}

static void
netring_pcap_writer_get_property (GObject *object, guint prop_id, GValue *value,
                                  GParamSpec *pspec)
{
  NetringPcapWriter *self = NETRING_PCAP_WRITER (object);

  switch (prop_id)
    {
    case PROP_STREAM:
      g_value_set_object (value, self->stream);
      break;
    case PROP_FORMAT:
      g_value_set_enum (value, self->format);
      break;
    case PROP_PATTERN:
      g_value_set_string (value, self->pattern);
      break;
    case PROP_MAX_BYTES:
      g_value_set_uint64 (value, self->max_bytes);
      break;
    case PROP_MAX_SECONDS:
      g_value_set_uint (value, self->max_seconds);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_pcap_writer_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  NetringPcapWriter *self = NETRING_PCAP_WRITER (object);

  switch (prop_id)
    {
    case PROP_STREAM:
      g_set_object (&self->stream, g_value_get_object (value));
      break;
    case PROP_FORMAT:
      self->format = g_value_get_enum (value);
      break;
    case PROP_PATTERN:
      g_free (self->pattern);
      self->pattern = g_value_dup_string (value);
      break;
    case PROP_MAX_BYTES:
      self->max_bytes = g_value_get_uint64 (value);
      break;
    case PROP_MAX_SECONDS:
      self->max_seconds = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_pcap_writer_class_init (NetringPcapWriterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct =
    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  netring_i18n_init ();

  object_class->finalize = netring_pcap_writer_finalize;
  object_class->get_property = netring_pcap_writer_get_property;
  object_class->set_property = netring_pcap_writer_set_property;

  /**
   * NetringPcapWriter:stream: (getter get_stream)
   *
   * The stream to write to; netring_pcap_writer_close() closes it. Not
   * together with #NetringPcapWriter:pattern. For a rotating writer it
   * reads back the stream of the current file.
   */
  properties[PROP_STREAM] =
    g_param_spec_object ("stream", NULL, NULL, G_TYPE_OUTPUT_STREAM,
                         construct | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * NetringPcapWriter:format: (getter get_format)
   *
   * The file format, pcapng by default.
   */
  properties[PROP_FORMAT] =
    g_param_spec_enum ("format", NULL, NULL, NETRING_TYPE_PCAP_FORMAT,
                       NETRING_PCAP_FORMAT_PCAPNG, construct);

  /**
   * NetringPcapWriter:pattern: (getter get_pattern)
   *
   * Write to files named by this pattern (UTF-8) instead of a stream: the
   * conversions of g_date_time_format() (those of strftime: `%Y`, `%m`,
   * `%d`, `%H`, `%M`, `%S`, …) in local time when the file is opened, `%i`
   * for the file's number in this writer (0, 1, 2, …; `%3i` pads it to 3
   * digits) and `%%` for a percent sign. The first file is created by init,
   * and the next ones when #NetringPcapWriter:max-bytes or
   * #NetringPcapWriter:max-seconds say so. When the pattern gives the same
   * name again (no `%i` and no time conversion that changed), a number is
   * appended as `tcpdump -C` does: `out.pcap`, `out.pcap1`, `out.pcap2`.
   * Files are created or truncated with mode 0666 minus the umask.
   */
  properties[PROP_PATTERN] = g_param_spec_string ("pattern", NULL, NULL, NULL, construct);

  /**
   * NetringPcapWriter:max-bytes: (getter get_max_bytes)
   *
   * With #NetringPcapWriter:pattern: the most bytes in one file, 0 (the
   * default) for no limit. A record that would make the file larger goes
   * into a new file instead (which gets its own headers), so no file is
   * larger than this unless a single record with the headers (and, in
   * pcapng, the interface statistics blocks at the end) is.
   */
  properties[PROP_MAX_BYTES] =
    g_param_spec_uint64 ("max-bytes", NULL, NULL, 0, G_MAXUINT64, 0, construct);

  /**
   * NetringPcapWriter:max-seconds: (getter get_max_seconds)
   *
   * With #NetringPcapWriter:pattern: a packet written this many seconds or
   * more after the current file was opened goes into a new file, as with
   * `tcpdump -G`. 0 (the default) for no limit. The time is the system's
   * (g_get_real_time()) when the packet is written.
   */
  properties[PROP_MAX_SECONDS] =
    g_param_spec_uint ("max-seconds", NULL, NULL, 0, G_MAXUINT, 0, construct);

  /**
   * NetringPcapWriter:path: (getter get_path)
   *
   * The file a writer with #NetringPcapWriter:pattern writes to now;
   * %NULL for a writer onto a stream.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
netring_pcap_writer_init (NetringPcapWriter *self)
{
  self->format = NETRING_PCAP_FORMAT_PCAPNG;
  self->interfaces = g_array_new (FALSE, TRUE, sizeof (WriterInterface));
  g_array_set_clear_func (self->interfaces, interface_clear);
  self->pending = g_byte_array_new ();
  g_queue_init (&self->ops);
}

/* ---- public API --------------------------------------------------------- */

/**
 * netring_pcap_writer_stats_copy:
 * @stats: statistics
 *
 * Copies @stats.
 *
 * Returns: (transfer full): a copy, free it with netring_pcap_writer_stats_free()
 */
NetringPcapWriterStats *
netring_pcap_writer_stats_copy (const NetringPcapWriterStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  return g_memdup2 (stats, sizeof *stats);
}

/**
 * netring_pcap_writer_stats_free:
 * @stats: (nullable): statistics
 *
 * Frees @stats.
 */
void
netring_pcap_writer_stats_free (NetringPcapWriterStats *stats)
{
  g_free (stats);
}

/**
 * netring_pcap_writer_new:
 * @stream: the stream to write to
 * @format: the file format
 * @error: return location for a #GError
 *
 * Makes a writer onto @stream. Nothing is written until the first packet,
 * netring_pcap_writer_flush() or netring_pcap_writer_close(); add the
 * interfaces the packets come from first.
 *
 * Returns: (transfer full): the writer, or %NULL with @error set
 */
NetringPcapWriter *
netring_pcap_writer_new (GOutputStream *stream, NetringPcapFormat format, GError **error)
{
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (NETRING_TYPE_PCAP_WRITER, NULL, error, "stream", stream, "format",
                         format, NULL);
}

/**
 * netring_pcap_writer_new_rotating:
 * @pattern: file name pattern, see #NetringPcapWriter:pattern
 * @format: the file format
 * @max_bytes: the most bytes in a file, 0 for no limit
 * @max_seconds: start a new file after this many seconds, 0 for never
 * @error: return location for a #GError
 *
 * Makes a writer into files named by @pattern, and creates the first one.
 * Each file starts with its own headers (for pcapng: the section header and
 * one interface description per interface), so every file is complete on
 * its own. With @max_bytes and @max_seconds 0 it writes one file.
 *
 * Returns: (transfer full): the writer, or %NULL with @error set
 */
NetringPcapWriter *
netring_pcap_writer_new_rotating (const gchar *pattern, NetringPcapFormat format,
                                  guint64 max_bytes, guint max_seconds, GError **error)
{
  g_return_val_if_fail (pattern != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (NETRING_TYPE_PCAP_WRITER, NULL, error, "pattern", pattern, "format",
                         format, "max-bytes", max_bytes, "max-seconds", max_seconds, NULL);
}

/**
 * netring_pcap_writer_get_format:
 * @self: a writer
 *
 * The file format.
 *
 * Returns: #NetringPcapWriter:format
 */
NetringPcapFormat
netring_pcap_writer_get_format (NetringPcapWriter *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), NETRING_PCAP_FORMAT_PCAPNG);
  return self->format;
}

/**
 * netring_pcap_writer_get_stream:
 * @self: a writer
 *
 * The stream written to now.
 *
 * Returns: (transfer none) (nullable): #NetringPcapWriter:stream
 */
GOutputStream *
netring_pcap_writer_get_stream (NetringPcapWriter *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), NULL);
  return self->stream;
}

/**
 * netring_pcap_writer_get_pattern:
 * @self: a writer
 *
 * The file name pattern of a rotating writer.
 *
 * Returns: (nullable): #NetringPcapWriter:pattern
 */
const gchar *
netring_pcap_writer_get_pattern (NetringPcapWriter *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), NULL);
  return self->pattern;
}

/**
 * netring_pcap_writer_get_max_bytes:
 * @self: a writer
 *
 * The size limit of a file.
 *
 * Returns: #NetringPcapWriter:max-bytes
 */
guint64
netring_pcap_writer_get_max_bytes (NetringPcapWriter *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), 0);
  return self->max_bytes;
}

/**
 * netring_pcap_writer_get_max_seconds:
 * @self: a writer
 *
 * The time limit of a file.
 *
 * Returns: #NetringPcapWriter:max-seconds
 */
guint
netring_pcap_writer_get_max_seconds (NetringPcapWriter *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), 0);
  return self->max_seconds;
}

/**
 * netring_pcap_writer_get_path:
 * @self: a writer
 *
 * The file a rotating writer writes to now.
 *
 * Returns: (nullable) (type filename): #NetringPcapWriter:path
 */
const gchar *
netring_pcap_writer_get_path (NetringPcapWriter *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), NULL);
  return self->path;
}

/**
 * netring_pcap_writer_get_n_interfaces:
 * @self: a writer
 *
 * How many interfaces were added; their ids are 0 to this minus 1.
 *
 * Returns: the number of interfaces
 */
guint
netring_pcap_writer_get_n_interfaces (NetringPcapWriter *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), 0);
  return self->interfaces->len;
}

static gint
add_interface (NetringPcapWriter *self, const gchar *name, gint link_type, guint snap_length,
               NetringReceiver *receiver, GError **error)
{
  WriterInterface iface = { 0 };

  if (!check_usable (self, FALSE, error))
    return -1;
  if (link_type < 0 || link_type > G_MAXUINT16)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("The pcap link type %d is not valid: link types are 0 to 65535"),
                   link_type);
      return -1;
    }
  if (self->format != NETRING_PCAP_FORMAT_PCAPNG && self->interfaces->len > 0)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                           _("A classic pcap file has one interface, which was already "
                             "added: write pcapng for packets of several interfaces"));
      return -1;
    }
  if (self->format == NETRING_PCAP_FORMAT_PCAPNG &&
      nr_pcapng_interface_description (NULL, 0, (guint32) link_type, 0, name) < 0)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                           _("The interface name is too long for a pcapng file: at most "
                             "65535 bytes"));
      return -1;
    }

  iface.name = g_strdup (name);
  iface.link_type = (guint32) link_type;
  iface.snap_length = snap_length;
  if (receiver != NULL)
    {
      iface.receiver = g_new0 (GWeakRef, 1);
      g_weak_ref_init (iface.receiver, receiver);
    }
  g_array_append_val (self->interfaces, iface);
  append_interface_header (self, &iface);
  return (gint) self->interfaces->len - 1;
}

/**
 * netring_pcap_writer_add_interface:
 * @self: a writer
 * @name: (nullable): the interface's name, written in pcapng files
 *   (`if_name`), or %NULL
 * @link_type: the pcap link type of its packets (`LINKTYPE_*`, 0 to
 *   65535), such as %NETRING_LINK_TYPE_ETHERNET or
 *   #NetringInterfaceInfo:link-type
 * @snap_length: the most bytes of a packet to write, 0 for 262144 (what
 *   tcpdump writes by default); longer packets are cut to it
 * @error: return location for a #GError
 *
 * Adds an interface packets are written for. A pcapng file gets an
 * interface description block for it (before the next packet), which
 * announces a snap length of 262144 whatever @snap_length is: libpcap, and
 * so tcpdump, refuses files whose interfaces announce different ones. A
 * classic pcap file has exactly one interface, whose link type and snap
 * length are in the file header: a second one fails with
 * %NETRING_ERROR_INVALID_ARGUMENT.
 *
 * Returns: the interface's id for netring_pcap_writer_write_batch() and
 *   netring_pcap_writer_write_packet() (0 for the first, then 1, 2, …), or
 *   -1 with @error set
 */
gint
netring_pcap_writer_add_interface (NetringPcapWriter *self, const gchar *name, gint link_type,
                                   guint snap_length, GError **error)
{
  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  return add_interface (self, name, link_type, snap_length, NULL, error);
}

/**
 * netring_pcap_writer_add_interface_for_receiver:
 * @self: a writer
 * @receiver: an initialized receiver: a #NetringCapture (a member of a
 *   #NetringFanoutGroup too) or a #NetringXdpSocket
 * @error: return location for a #GError
 *
 * Adds the interface @receiver receives from, as
 * netring_pcap_writer_add_interface() does, with its name, the pcap link
 * type of the interface (#NetringInterfaceInfo:link-type, asked of the
 * kernel in the calling thread's network namespace) and the receiver's
 * snap length: #NetringCapture:snap-length for a capture, whole frames for
 * an AF_XDP socket. An interface whose link type pcap cannot describe for
 * a raw capture fails with %NETRING_ERROR_NOT_SUPPORTED.
 *
 * A pcapng file ends with an interface statistics block for every
 * interface; for one added with this call, it holds the receiver's
 * counters when the file is closed (`isb_ifrecv` =
 * #NetringReceiverStats.packets, `isb_ifdrop` = #NetringReceiverStats.drops,
 * totals since the receiver was made), as dumpcap records drops. The
 * writer holds @receiver weakly: close the writer before the receiver for
 * its counters to reach the file; a receiver closed or finalized by then
 * leaves the block without counters.
 *
 * Returns: the interface's id, or -1 with @error set
 */
gint
netring_pcap_writer_add_interface_for_receiver (NetringPcapWriter *self,
                                                NetringReceiver   *receiver,
                                                GError           **error)
{
  const NetringReceiverInterface *receiver_iface;
  g_autoptr(NetringInterfaceInfo) info = NULL;
  const gchar *name;
  gint link_type;
  guint snap_length = 0;

  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), -1);
  g_return_val_if_fail (NETRING_IS_RECEIVER (receiver), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (!check_usable (self, FALSE, error))
    return -1;
  receiver_iface = NETRING_RECEIVER_GET_IFACE (receiver);
  if (!receiver_iface->check_ready (receiver, error))
    return -1;
  name = receiver_iface->get_name (receiver);
  if (name == NULL)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                           _("The receiver has no interface: initialize it before adding it "
                             "to a NetringPcapWriter"));
      return -1;
    }
  /* A receiver does not tell its link type: ask the kernel about its
   * interface the way the receiver itself did. */
  info = netring_interface_info_new (name, error);
  if (info == NULL)
    return -1;
  link_type = netring_interface_info_get_link_type (info);
  if (link_type < 0)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED,
                   _("Interface “%s” has a link type (ARPHRD %u) that pcap files cannot "
                     "describe for a raw capture"),
                   name, netring_interface_info_get_arp_type (info));
      return -1;
    }
  /* only a capture cuts packets; an AF_XDP socket hands whole frames */
  if (NETRING_IS_CAPTURE (receiver))
    snap_length = netring_capture_get_snap_length (NETRING_CAPTURE (receiver));
  return add_interface (self, name, link_type, snap_length, receiver, error);
}

/**
 * netring_pcap_writer_write_packet:
 * @self: a writer
 * @interface_id: the id of the interface @packet came from
 * @packet: a packet (a view into a batch, or a detached copy)
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @error: return location for a #GError
 *
 * Writes one packet, with its timestamp, lengths, direction (pcapng) and
 * VLAN tag. netring_pcap_writer_write_batch() writes a whole batch faster.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_pcap_writer_write_packet (NetringPcapWriter *self, guint interface_id,
                                  NetringPacket *packet, GCancellable *cancellable,
                                  GError **error)
{
  WriteJob job = { 0 };

  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), FALSE);
  g_return_val_if_fail (packet != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_usable (self, TRUE, error) || !check_interface (self, interface_id, error))
    return FALSE;
  job.packet = packet;
  job.interface_id = interface_id;
  return job_run_sync (self, &job, cancellable, error);
}

/**
 * netring_pcap_writer_write_batch:
 * @self: a writer
 * @interface_id: the id of the interface @batch came from
 * @batch: a batch of packets
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @error: return location for a #GError
 *
 * Writes every packet of @batch, in order, with scatter-gather writes
 * straight from the batch's memory (one system call per 1024 pieces, a
 * packet taking 2 to 5). For a rotating writer, the batch is split over
 * files where the size or time limit falls.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_pcap_writer_write_batch (NetringPcapWriter *self, guint interface_id,
                                 NetringBatch *batch, GCancellable *cancellable, GError **error)
{
  WriteJob job = { 0 };

  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), FALSE);
  g_return_val_if_fail (batch != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_usable (self, TRUE, error) || !check_interface (self, interface_id, error))
    return FALSE;
  job.batch = batch;
  job.interface_id = interface_id;
  netring_batch_iter_init (&job.iter, batch);
  return job_run_sync (self, &job, cancellable, error);
}

/**
 * netring_pcap_writer_flush:
 * @self: a writer
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @error: return location for a #GError
 *
 * Writes the headers not written yet and flushes the stream
 * (g_output_stream_flush()), so that a reader sees everything written so
 * far.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_pcap_writer_flush (NetringPcapWriter *self, GCancellable *cancellable, GError **error)
{
  WriteJob job = { 0 };
  GError *local = NULL;

  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_usable (self, TRUE, error) || !job_run_sync (self, &job, cancellable, error))
    return FALSE;
  if (!g_output_stream_flush (self->stream, cancellable, &local))
    {
      propagate_stream_error (self, local, error);
      return FALSE;
    }
  return TRUE;
}

/**
 * netring_pcap_writer_close:
 * @self: a writer
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @error: return location for a #GError
 *
 * Writes the headers not written yet (so that a file without packets is
 * complete too) and closes the stream. Later writes fail with
 * %G_IO_ERROR_CLOSED; closing again does nothing.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_pcap_writer_close (NetringPcapWriter *self, GCancellable *cancellable, GError **error)
{
  WriteJob job = { 0 };
  GError *local = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_queue_is_empty (&self->ops))
    return check_usable (self, TRUE, error);
  if (!close_begin (self))
    return TRUE;

  if (self->broken == NULL)
    {
      append_file_trailer (self);
      ok = job_run_sync (self, &job, cancellable, error);
    }
  /* the stream is closed whatever happened; its error is reported only
   * when nothing failed before */
  if (!g_output_stream_close (self->stream, cancellable, &local))
    {
      if (ok)
        propagate_stream_error (self, local, error);
      else
        g_error_free (local);
      ok = FALSE;
    }
  return ok;
}

/**
 * netring_pcap_writer_write_batch_async:
 * @self: a writer
 * @interface_id: the id of the interface @batch came from
 * @batch: a batch of packets; it is referenced until it is written
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when the batch is written
 * @user_data: data for @callback
 *
 * Writes @batch as netring_pcap_writer_write_batch() does, with the
 * stream's asynchronous calls, after the asynchronous calls made before.
 * The batch's ring block stays away from the kernel until then.
 */
void
netring_pcap_writer_write_batch_async (NetringPcapWriter *self, guint interface_id,
                                       NetringBatch *batch, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (NETRING_IS_PCAP_WRITER (self));
  g_return_if_fail (batch != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netring_pcap_writer_write_batch_async);
  if (!check_usable (self, FALSE, &error) || !check_interface (self, interface_id, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  op_queue (self, g_steal_pointer (&task), OP_WRITE, interface_id, batch);
}

/**
 * netring_pcap_writer_write_batch_finish:
 * @self: a writer
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_pcap_writer_write_batch_async().
 *
 * Returns: %TRUE when the batch was written, %FALSE with @error set
 */
gboolean
netring_pcap_writer_write_batch_finish (NetringPcapWriter *self, GAsyncResult *result,
                                        GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                          netring_pcap_writer_write_batch_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * netring_pcap_writer_flush_async:
 * @self: a writer
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when the stream is flushed
 * @user_data: data for @callback
 *
 * Flushes as netring_pcap_writer_flush() does, after the asynchronous
 * calls made before.
 */
void
netring_pcap_writer_flush_async (NetringPcapWriter *self, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (NETRING_IS_PCAP_WRITER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netring_pcap_writer_flush_async);
  if (!check_usable (self, FALSE, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  op_queue (self, g_steal_pointer (&task), OP_FLUSH, 0, NULL);
}

/**
 * netring_pcap_writer_flush_finish:
 * @self: a writer
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_pcap_writer_flush_async().
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_pcap_writer_flush_finish (NetringPcapWriter *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                          netring_pcap_writer_flush_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * netring_pcap_writer_close_async:
 * @self: a writer
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when the stream is closed
 * @user_data: data for @callback
 *
 * Closes as netring_pcap_writer_close() does, after the asynchronous calls
 * made before (which still complete). Calls made after this one fail with
 * %G_IO_ERROR_CLOSED.
 */
void
netring_pcap_writer_close_async (NetringPcapWriter *self, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NETRING_IS_PCAP_WRITER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netring_pcap_writer_close_async);
  if (!close_begin (self))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  op_queue (self, g_steal_pointer (&task), OP_CLOSE, 0, NULL);
}

/**
 * netring_pcap_writer_close_finish:
 * @self: a writer
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_pcap_writer_close_async().
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_pcap_writer_close_finish (NetringPcapWriter *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                          netring_pcap_writer_close_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * netring_pcap_writer_get_stats:
 * @self: a writer
 *
 * What the writer has written since it was created.
 *
 * Returns: (transfer full): the statistics; free them with
 *   netring_pcap_writer_stats_free()
 */
NetringPcapWriterStats *
netring_pcap_writer_get_stats (NetringPcapWriter *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_WRITER (self), NULL);
  return netring_pcap_writer_stats_copy (&self->stats);
}
