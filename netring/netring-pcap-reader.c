/* netring-pcap-reader.c: pcap and pcapng files read through libpcap
 * (NetringPcapReader) */
#define _GNU_SOURCE /* fopencookie() */
#include "netring-private.h"
#include "netring-batch-private.h"

#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

/**
 * SECTION:netring-pcap-reader
 * @short_description: Packets out of pcap and pcapng files
 * @title: NetringPcapReader
 * @see_also: #NetringPcapWriter, #NetringPcapReplay
 *
 * A #NetringPcapReader reads the packets of a classic pcap file (microsecond
 * or nanosecond timestamps) or a pcapng file, through libpcap, the reader
 * that tcpdump and Wireshark's tools are tested against. It opens a path
 * (netring_pcap_reader_new()) or reads any #GInputStream
 * (netring_pcap_reader_new_for_stream()).
 *
 * netring_pcap_reader_next_packet() hands out one record at a time as a
 * detached #NetringPacket that owns its bytes: the captured bytes, the
 * captured and the original (wire) length and the timestamp in nanoseconds
 * since the Unix epoch, whatever resolution the file has. The link type and
 * snap length of the file are properties.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NetringPcapReader) reader = netring_pcap_reader_new ("in.pcapng", &error);
 * NetringPacket *packet;
 *
 * while ((packet = netring_pcap_reader_next_packet (reader, &error)) != NULL)
 *   {
 *     handle (packet);
 *     netring_packet_unref (packet);
 *   }
 * if (error != NULL)
 *   g_printerr ("%s\n", error->message); // the packets before the damage were handed out
 * ]|
 *
 * A damaged file — cut in the middle of a record, or with a record whose
 * length is impossible — is read up to the damage: every complete record
 * before it is handed out, then netring_pcap_reader_next_packet() fails with
 * %NETRING_ERROR_INVALID_DATA naming the file, the number of the record
 * (counted from 1) and what is wrong with it. It keeps failing with the same
 * error afterwards.
 *
 * A stream is read blocking: libpcap reads from a `FILE`, and the reader
 * gives it one made with fopencookie() whose reads are
 * g_input_stream_read() calls on the stream, in the calling thread. No
 * thread and no pipe are involved, and the stream is not closed by the
 * reader. netring_pcap_reader_rewind() needs a path, or a stream that can
 * seek (#GSeekable).
 *
 * Threads: a reader is used from one thread at a time.
 */

struct _NetringPcapReader {
  GObject parent_instance;

  NetringReadiness readiness;
  gchar *path;
  GInputStream *stream;
  goffset stream_start; /* where the file starts in a seekable stream */

  pcap_t *pcap;
  FILE *file;             /* the cookie FILE over the stream, owned by pcap */
  GError *stream_error;   /* the last read error of the stream */
  GError *read_error;     /* the damage met; handed out again */
  gint link_type;
  guint snap_length;
  guint64 n_records;
};

enum {
  PROP_0,
  PROP_PATH,
  PROP_STREAM,
  PROP_LINK_TYPE,
  PROP_SNAP_LENGTH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void netring_pcap_reader_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetringPcapReader, netring_pcap_reader, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      netring_pcap_reader_initable_iface_init))

/* What messages call the file: its path, or the stream. */
static gchar *
reader_name (NetringPcapReader *self)
{
  if (self->path != NULL)
    return g_strdup_printf ("“%s”", self->path);
  return g_strdup (_("from an input stream"));
}

/* ---- the FILE over a GInputStream --------------------------------------- */

static ssize_t
cookie_read (void *cookie, char *buffer, size_t size)
{
  NetringPcapReader *self = cookie;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read (self->stream, buffer, size, NULL, &error);

  if (n < 0)
    {
      g_clear_error (&self->stream_error);
      self->stream_error = g_steal_pointer (&error);
      errno = EIO;
      return -1;
    }
  return n;
}

static int
cookie_close (void *cookie)
{
  return 0; /* the stream belongs to the caller */
}

static gboolean
reader_open (NetringPcapReader *self, GError **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  g_autofree gchar *name = reader_name (self);

  if (self->path != NULL)
    {
      self->pcap = pcap_open_offline_with_tstamp_precision (self->path,
                                                            PCAP_TSTAMP_PRECISION_NANO, errbuf);
      if (self->pcap == NULL)
        {
          /* a file that is there but unreadable as pcap is bad data; a file
           * that cannot be opened at all is the system's refusal */
          gboolean exists = g_file_test (self->path, G_FILE_TEST_IS_REGULAR);

          g_set_error (error, NETRING_ERROR,
                       exists ? NETRING_ERROR_INVALID_DATA : NETRING_ERROR_FAILED,
                       _("Cannot open the packet file %s: %s"), name, errbuf);
          return FALSE;
        }
    }
  else
    {
      static const cookie_io_functions_t functions = {
        .read = cookie_read,
        .close = cookie_close,
      };

      self->file = fopencookie (self, "r", functions);
      if (self->file == NULL)
        {
          netring_set_error_from_errno (error, errno, "fopencookie", NULL);
          return FALSE;
        }
      self->pcap = pcap_fopen_offline_with_tstamp_precision (self->file,
                                                             PCAP_TSTAMP_PRECISION_NANO, errbuf);
      if (self->pcap == NULL)
        {
          fclose (self->file);
          self->file = NULL;
          g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_DATA,
                       _("Cannot open the packet file %s: %s"), name,
                       self->stream_error != NULL ? self->stream_error->message : errbuf);
          return FALSE;
        }
    }
  self->link_type = pcap_datalink (self->pcap);
  self->snap_length = (guint) MAX (pcap_snapshot (self->pcap), 0);
  return TRUE;
}

static void
reader_close_pcap (NetringPcapReader *self)
{
  if (self->pcap != NULL)
    pcap_close (self->pcap); /* closes self->file, which leaves the stream open */
  self->pcap = NULL;
  self->file = NULL;
}

/* ---- GObject ------------------------------------------------------------- */

static gboolean
netring_pcap_reader_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  NetringPcapReader *self = NETRING_PCAP_READER (initable);
  g_autoptr(GError) local_error = NULL;
  gboolean result;

  if (!netring_readiness_init_begin (&self->readiness, &result, error))
    return result;

  if ((self->path == NULL) == (self->stream == NULL))
    g_set_error (&local_error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                 _("Exactly one of the properties “path” and “stream” must be set on a "
                   "packet file reader"));
  else
    {
      if (self->stream != NULL && G_IS_SEEKABLE (self->stream))
        self->stream_start = g_seekable_tell (G_SEEKABLE (self->stream));
      reader_open (self, &local_error);
    }

  result = netring_readiness_init_done (&self->readiness, local_error);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return result;
}

static void
netring_pcap_reader_initable_iface_init (GInitableIface *iface)
{
  iface->init = netring_pcap_reader_initable_init;
}

static void
netring_pcap_reader_finalize (GObject *object)
{
  NetringPcapReader *self = NETRING_PCAP_READER (object);

  reader_close_pcap (self);
  g_clear_error (&self->stream_error);
  g_clear_error (&self->read_error);
  g_clear_object (&self->stream);
  g_free (self->path);
  netring_readiness_clear (&self->readiness);
  G_OBJECT_CLASS (netring_pcap_reader_parent_class)->finalize (object);
}

static void
netring_pcap_reader_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  NetringPcapReader *self = NETRING_PCAP_READER (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_STREAM:
      g_value_set_object (value, self->stream);
      break;
    case PROP_LINK_TYPE:
      g_value_set_int (value, self->link_type);
      break;
    case PROP_SNAP_LENGTH:
      g_value_set_uint (value, self->snap_length);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_pcap_reader_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  NetringPcapReader *self = NETRING_PCAP_READER (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    case PROP_STREAM:
      g_clear_object (&self->stream);
      self->stream = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_pcap_reader_class_init (NetringPcapReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  netring_i18n_init ();

  object_class->finalize = netring_pcap_reader_finalize;
  object_class->get_property = netring_pcap_reader_get_property;
  object_class->set_property = netring_pcap_reader_set_property;

  /**
   * NetringPcapReader:path:
   *
   * The file to read, or %NULL when #NetringPcapReader:stream is read.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * NetringPcapReader:stream:
   *
   * The stream to read the file from, or %NULL when #NetringPcapReader:path
   * is read. It is read from its current position and never closed by the
   * reader.
   */
  properties[PROP_STREAM] =
    g_param_spec_object ("stream", NULL, NULL, G_TYPE_INPUT_STREAM,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * NetringPcapReader:link-type:
   *
   * The file's link type: a pcap `LINKTYPE_` value (1 for Ethernet). For a
   * pcapng file, the link type of its first interface.
   */
  properties[PROP_LINK_TYPE] =
    g_param_spec_int ("link-type", NULL, NULL, G_MININT, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * NetringPcapReader:snap-length:
   *
   * The longest record the file says it holds, in bytes.
   */
  properties[PROP_SNAP_LENGTH] =
    g_param_spec_uint ("snap-length", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
netring_pcap_reader_init (NetringPcapReader *self)
{
}

/* ---- public API ---------------------------------------------------------- */

/**
 * netring_pcap_reader_new:
 * @path: (type filename): the pcap or pcapng file to read
 * @error: return location for a #GError
 *
 * Opens a pcap or pcapng file. A file that cannot be opened fails with
 * %NETRING_ERROR_FAILED, one that is not a packet file with
 * %NETRING_ERROR_INVALID_DATA; both name the file and the reason.
 *
 * Returns: (transfer full) (nullable): a new reader, or %NULL with @error set
 */
NetringPcapReader *
netring_pcap_reader_new (const gchar *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return g_initable_new (NETRING_TYPE_PCAP_READER, NULL, error, "path", path, NULL);
}

/**
 * netring_pcap_reader_new_for_stream:
 * @stream: the stream to read a pcap or pcapng file from
 * @error: return location for a #GError
 *
 * Reads a pcap or pcapng file from @stream, from its current position on,
 * with blocking reads in the calling thread. The stream is not closed by
 * the reader. A stream that does not start with a packet file fails with
 * %NETRING_ERROR_INVALID_DATA.
 *
 * Returns: (transfer full) (nullable): a new reader, or %NULL with @error set
 */
NetringPcapReader *
netring_pcap_reader_new_for_stream (GInputStream *stream, GError **error)
{
  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return g_initable_new (NETRING_TYPE_PCAP_READER, NULL, error, "stream", stream, NULL);
}

/**
 * netring_pcap_reader_get_path:
 * @self: a #NetringPcapReader
 *
 * Gets #NetringPcapReader:path.
 *
 * Returns: (nullable) (type filename): the file read, or %NULL for a stream
 */
const gchar *
netring_pcap_reader_get_path (NetringPcapReader *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_READER (self), NULL);
  return self->path;
}

/**
 * netring_pcap_reader_get_stream:
 * @self: a #NetringPcapReader
 *
 * Gets #NetringPcapReader:stream.
 *
 * Returns: (nullable) (transfer none): the stream read, or %NULL for a path
 */
GInputStream *
netring_pcap_reader_get_stream (NetringPcapReader *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_READER (self), NULL);
  return self->stream;
}

/**
 * netring_pcap_reader_get_link_type:
 * @self: a #NetringPcapReader
 *
 * Gets #NetringPcapReader:link-type.
 *
 * Returns: the pcap link type of the file (1 for Ethernet); 0 before init
 */
gint
netring_pcap_reader_get_link_type (NetringPcapReader *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_READER (self), 0);
  return self->link_type;
}

/**
 * netring_pcap_reader_get_snap_length:
 * @self: a #NetringPcapReader
 *
 * Gets #NetringPcapReader:snap-length.
 *
 * Returns: the snap length the file declares, in bytes; 0 before init
 */
guint
netring_pcap_reader_get_snap_length (NetringPcapReader *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_READER (self), 0);
  return self->snap_length;
}

/**
 * netring_pcap_reader_get_n_records:
 * @self: a #NetringPcapReader
 *
 * Gets the number of records handed out since the file was opened or
 * rewound.
 *
 * Returns: the number of records read
 */
guint64
netring_pcap_reader_get_n_records (NetringPcapReader *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_READER (self), 0);
  return self->n_records;
}

/**
 * netring_pcap_reader_next_packet:
 * @self: a #NetringPcapReader
 * @error: return location for a #GError
 *
 * Reads the next record of the file. The packet is detached: it owns a copy
 * of the record's bytes, and may be kept and passed to other threads. Its
 * timestamp is in nanoseconds, its captured length is what the file holds
 * and its wire length the original length the file records.
 *
 * At the end of the file this returns %NULL and leaves @error unset. A
 * damaged record fails with %NETRING_ERROR_INVALID_DATA naming the file,
 * the record's number (from 1) and the damage; so does every later call.
 *
 * Returns: (transfer full) (nullable): the next packet, or %NULL at the end
 *   of the file or with @error set
 */
NetringPacket *
netring_pcap_reader_next_packet (NetringPcapReader *self, GError **error)
{
  struct pcap_pkthdr *header;
  const u_char *data;
  NetringPacketInfo info = { 0 };
  int rc;

  g_return_val_if_fail (NETRING_IS_PCAP_READER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!netring_readiness_check (&self->readiness, "NetringPcapReader", error))
    return NULL;
  if (self->read_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->read_error));
      return NULL;
    }
  if (self->pcap == NULL)
    return NULL; /* a rewind failed: nothing to read */

  rc = pcap_next_ex (self->pcap, &header, &data);
  if (rc == PCAP_ERROR_BREAK)
    return NULL; /* the end of the file */
  if (rc != 1)
    {
      g_autofree gchar *name = reader_name (self);
      const char *cause = self->stream_error != NULL ? self->stream_error->message
                                                     : pcap_geterr (self->pcap);

      self->read_error = g_error_new (NETRING_ERROR, NETRING_ERROR_INVALID_DATA,
                                      /* PRIu64: xgettext understands <PRIu64>, not G_GUINT64_FORMAT */
                                      _("Cannot read record %" PRIu64 " of the packet file %s: %s"),
                                      self->n_records + 1, name, cause);
      g_propagate_error (error, g_error_copy (self->read_error));
      return NULL;
    }

  self->n_records++;
  info.data = data;
  info.captured_length = header->caplen;
  info.wire_length = header->len;
  /* opened with nanosecond precision: tv_usec holds nanoseconds */
  info.timestamp_ns = (gint64) header->ts.tv_sec * G_GINT64_CONSTANT (1000000000) +
                      header->ts.tv_usec;
  if (self->link_type == DLT_EN10MB && header->caplen >= 14)
    info.protocol = (guint16) (data[12] << 8 | data[13]);
  return _netring_packet_new_detached (&info);
}

/**
 * netring_pcap_reader_rewind:
 * @self: a #NetringPcapReader
 * @error: return location for a #GError
 *
 * Starts reading the file again from its first record, which also forgets
 * a damage met. A path is opened again; a stream must be seekable, or this
 * fails with %NETRING_ERROR_NOT_SUPPORTED.
 *
 * Returns: %TRUE when the next packet is the file's first
 */
gboolean
netring_pcap_reader_rewind (NetringPcapReader *self, GError **error)
{
  g_return_val_if_fail (NETRING_IS_PCAP_READER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!netring_readiness_check (&self->readiness, "NetringPcapReader", error))
    return FALSE;
  if (self->stream != NULL &&
      !(G_IS_SEEKABLE (self->stream) && g_seekable_can_seek (G_SEEKABLE (self->stream))))
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED,
                   _("Cannot rewind a packet file read from a stream that cannot seek"));
      return FALSE;
    }

  reader_close_pcap (self);
  g_clear_error (&self->read_error);
  g_clear_error (&self->stream_error);
  self->n_records = 0;
  if (self->stream != NULL &&
      !g_seekable_seek (G_SEEKABLE (self->stream), self->stream_start, G_SEEK_SET, NULL, error))
    return FALSE;
  return reader_open (self, error);
}

/**
 * netring_pcap_reader_close:
 * @self: a #NetringPcapReader
 * @error: return location for a #GError
 *
 * Closes the file (a stream is left open). Later reads fail with
 * %G_IO_ERROR_CLOSED. Closing twice does nothing.
 *
 * Returns: %TRUE
 */
gboolean
netring_pcap_reader_close (NetringPcapReader *self, GError **error)
{
  g_return_val_if_fail (NETRING_IS_PCAP_READER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (netring_readiness_close (&self->readiness))
    reader_close_pcap (self);
  return TRUE;
}
