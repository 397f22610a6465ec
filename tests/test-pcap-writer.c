/* test-pcap-writer.c: NetringPcapWriter on frames captured from a veth pair
 * in a private network namespace.
 *
 * Known frames (some with an 802.1Q tag made in software) are sent with a
 * plain packet socket, captured by the library, written by the writer, and
 * read back by two independent readers: tshark (lengths, nanosecond
 * timestamps, VLAN id, pcapng interface and direction) and tcpdump -xx (the
 * bytes and timestamps). Every file must hold exactly the frames that were
 * sent, byte for byte, with the capture's timestamps. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include <netring/netring.h>

#include "nr-test-net.h"

#define VLAN_EVERY 5 /* every fifth frame is tagged */

static gchar *tmpdir;

/* ---- frames sent -------------------------------------------------------- */

static guint16
vlan_tci_for (guint seq)
{
  return (guint16) (1u << 13 | (100 + seq)); /* priority 1, VLAN 100 + seq */
}

/* Frame @seq, 60 to 1500 bytes long; every VLAN_EVERY-th one carries an
 * 802.1Q tag after the MAC addresses (the length includes the tag). */
static GBytes *
make_frame (const NrTestVeth *veth, guint seq)
{
  gsize length = 60 + (seq * 97u) % 1441u;
  guint8 *frame = g_malloc (length);

  if (seq % VLAN_EVERY == VLAN_EVERY - 1)
    {
      g_autofree guint8 *inner = g_malloc (length - 4);
      guint16 tci = vlan_tci_for (seq);

      nr_test_frame_fill (inner, length - 4, seq, veth->mac_a, veth->mac_b);
      memcpy (frame, inner, 12);
      frame[12] = 0x81;
      frame[13] = 0x00;
      frame[14] = tci >> 8;
      frame[15] = tci & 0xff;
      memcpy (frame + 16, inner + 12, length - 16);
    }
  else
    nr_test_frame_fill (frame, length, seq, veth->mac_a, veth->mac_b);
  return g_bytes_new_take (frame, length);
}

static GPtrArray *
send_frames (const NrTestVeth *veth, guint first, guint n)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  int fd = nr_test_sender_open (veth);
  guint i;

  for (i = 0; i < n; i++)
    {
      GBytes *frame = make_frame (veth, first + i);
      gsize length;
      const guint8 *data = g_bytes_get_data (frame, &length);

      nr_test_sender_send (fd, data, length);
      g_ptr_array_add (frames, frame);
    }
  close (fd);
  return frames;
}

/* ---- frames captured ---------------------------------------------------- */

static NetringCapture *
open_capture (const char *ifname, guint snap_length)
{
  g_autoptr(GError) error = NULL;
  NetringCapture *capture =
    g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", ifname, "block-size",
                    1u << 20, "block-count", 16u, "block-timeout-ms", 10, "snap-length",
                    snap_length, NULL);

  g_assert_no_error (error);
  return capture;
}

/* What the capture said about each packet, and its batches (kept: the
 * writers write them after the capture). */
typedef struct {
  GPtrArray *batches;
  GArray *packets; /* NetringPacketInfo, pointing into the batches */
} Captured;

static void
captured_free (Captured *c)
{
  g_array_unref (c->packets);
  g_ptr_array_unref (c->batches);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Captured, captured_free)

static Captured *
capture_n (NetringCapture *capture, guint n)
{
  Captured *c = g_new0 (Captured, 1);

  c->batches = g_ptr_array_new_with_free_func ((GDestroyNotify) netring_batch_unref);
  c->packets = g_array_new (FALSE, TRUE, sizeof (NetringPacketInfo));
  while (c->packets->len < n)
    {
      g_autoptr(GError) error = NULL;
      NetringBatch *batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL, &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      if (batch == NULL)
        g_error ("captured %u of %u frames: %s", c->packets->len, n, error->message);
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        g_array_append_val (c->packets, info);
      g_ptr_array_add (c->batches, batch);
    }
  g_assert_cmpuint (c->packets->len, ==, n);
  return c;
}

static const NetringPacketInfo *
packet_at (const Captured *c, guint i)
{
  return &g_array_index (c->packets, NetringPacketInfo, i);
}

static void
write_all (NetringPcapWriter *writer, guint interface_id, const Captured *c)
{
  guint i;

  for (i = 0; i < c->batches->len; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (netring_pcap_writer_write_batch (writer, interface_id,
                                                      c->batches->pdata[i], NULL, &error));
      g_assert_no_error (error);
    }
}

/* ---- reading files back ------------------------------------------------- */

typedef struct {
  guint len;
  guint cap_len;
  gint64 ts_ns;
  gint vlan_id;        /* -1: no VLAN */
  gint direction;      /* pcapng epb_flags direction, -1: none */
  gint interface_id;   /* -1: none */
  gchar *interface_name;
  GBytes *data;        /* from tcpdump */
} Record;

static void
record_free (gpointer data)
{
  Record *r = data;

  g_free (r->interface_name);
  g_clear_pointer (&r->data, g_bytes_unref);
  g_free (r);
}

/* Runs @argv with @input (a file name, or NULL) as its standard input and
 * returns its standard output; any failure ends the test. */
static gchar *
run (const char *const *argv, const char *input)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *err = NULL;
  gchar *out = NULL;

  if (input != NULL)
    g_subprocess_launcher_set_stdin_file_path (launcher, input);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (process == NULL)
    g_error ("could not run %s: %s", argv[0], error->message);
  if (!g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error))
    g_error ("%s: %s", argv[0], error->message);
  if (!g_subprocess_get_successful (process))
    g_error ("%s failed on %s:\n%s", argv[0], input != NULL ? input : argv[2], err);
  return out;
}

/* "1700000000.123456789" → nanoseconds */
static gint64
parse_epoch (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, ".", 2);
  gint64 ns = g_ascii_strtoll (parts[0], NULL, 10) * G_GINT64_CONSTANT (1000000000);
  gint64 scale = 100000000;
  gboolean more = TRUE;
  gsize i;

  g_assert_nonnull (parts[1]);
  for (i = 0; i < 9; i++, scale /= 10)
    {
      more = more && parts[1][i] != '\0';
      if (more)
        ns += (parts[1][i] - '0') * scale;
    }
  return ns;
}

static gboolean
have_readers (void)
{
  g_autofree gchar *tshark = g_find_program_in_path ("tshark");
  g_autofree gchar *tcpdump = g_find_program_in_path ("tcpdump");

  if (tshark != NULL && tcpdump != NULL)
    return TRUE;
  g_test_skip ("needs tshark and tcpdump to read the files back");
  return FALSE;
}

/* Every record of @path as tshark and tcpdump read it; both must agree on
 * the count and the timestamps. */
static GPtrArray *
read_back (const char *path)
{
  const char *tshark_argv[] = {
    "tshark", "-r", path, "-n", "-T", "fields", "-E", "separator=,", "-E", "occurrence=f",
    "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.time_epoch", "-e", "vlan.id",
    "-e", "frame.interface_id", "-e", "frame.interface_name",
    "-e", "frame.packet_flags_direction", NULL
  };
  /* from standard input: tcpdump's AppArmor profile (Debian, Ubuntu) lets
   * it open *.pcap files only, not *.pcapng nor the rotated names */
  const char *tcpdump_argv[] = {
    "tcpdump", "-r", "-", "-nn", "-xx", "-tt", "--time-stamp-precision=nano", NULL
  };
  g_autofree gchar *fields = run (tshark_argv, NULL);
  g_autofree gchar *dump = run (tcpdump_argv, path);
  g_auto(GStrv) lines = g_strsplit (fields, "\n", -1);
  g_auto(GStrv) dump_lines = g_strsplit (dump, "\n", -1);
  GPtrArray *records = g_ptr_array_new_with_free_func (record_free);
  g_autoptr(GByteArray) bytes = NULL;
  guint i, k = 0;

  for (i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = NULL;
      Record *r;

      if (lines[i][0] == '\0')
        continue;
      f = g_strsplit (lines[i], ",", -1);
      g_assert_cmpuint (g_strv_length (f), ==, 7);
      r = g_new0 (Record, 1);
      r->len = (guint) g_ascii_strtoull (f[0], NULL, 10);
      r->cap_len = (guint) g_ascii_strtoull (f[1], NULL, 10);
      r->ts_ns = parse_epoch (f[2]);
      r->vlan_id = f[3][0] != '\0' ? (gint) g_ascii_strtoll (f[3], NULL, 10) : -1;
      r->interface_id = f[4][0] != '\0' ? (gint) g_ascii_strtoll (f[4], NULL, 10) : -1;
      r->interface_name = f[5][0] != '\0' ? g_strdup (f[5]) : NULL;
      r->direction = f[6][0] != '\0' ? (gint) g_ascii_strtoll (f[6], NULL, 0) : -1;
      g_ptr_array_add (records, r);
    }

  /* tcpdump: a line per packet with its time first, then "\t0x0010:  0200 0000 …" */
  for (i = 0; dump_lines[i] != NULL; i++)
    {
      const char *line = dump_lines[i];

      if (line[0] != '\t' && line[0] != '\0')
        {
          g_auto(GStrv) tokens = g_strsplit (line, " ", 2);

          if (bytes != NULL)
            ((Record *) records->pdata[k++])->data = g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
          g_assert_cmpuint (k, <, records->len);
          g_assert_cmpint (parse_epoch (tokens[0]), ==, ((Record *) records->pdata[k])->ts_ns);
          bytes = g_byte_array_new ();
        }
      else if (line[0] == '\t')
        {
          g_auto(GStrv) tokens = g_strsplit (g_strstrip ((char *) line), " ", -1);
          guint t;

          g_assert_nonnull (bytes);
          for (t = 1; tokens[t] != NULL; t++)
            {
              gsize n = strlen (tokens[t]), j;

              for (j = 0; j + 1 < n; j += 2)
                {
                  char hex[3] = { tokens[t][j], tokens[t][j + 1], 0 };
                  guint8 b = (guint8) g_ascii_strtoull (hex, NULL, 16);
                  g_byte_array_append (bytes, &b, 1);
                }
            }
        }
    }
  if (bytes != NULL)
    ((Record *) records->pdata[k++])->data = g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
  g_assert_cmpuint (k, ==, records->len);
  return records;
}

/* What a record of a file must be. */
typedef struct {
  NetringPcapFormat format;
  guint snap_length;     /* 0: none */
  gint interface_id;     /* pcapng */
  const char *ifname;    /* pcapng */
  gint direction;        /* pcapng: 1 inbound, 2 outbound */
} Expect;

/* Checks record @r against frame @frame (as sent) captured as @info. */
static void
check_record (const Record *r, GBytes *frame, const NetringPacketInfo *info, const Expect *e,
              guint seq)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (frame, &length);
  gsize cut = e->snap_length != 0 ? MIN (length, e->snap_length) : length;
  gint64 ts = e->format == NETRING_PCAP_FORMAT_PCAP ? info->timestamp_ns / 1000 * 1000
                                                    : info->timestamp_ns;

  g_assert_cmpuint (r->len, ==, length);
  g_assert_cmpuint (r->cap_len, ==, cut);
  g_assert_cmpmem (g_bytes_get_data (r->data, NULL), g_bytes_get_size (r->data), data, cut);
  g_assert_cmpint (r->ts_ns, ==, ts);
  if (seq % VLAN_EVERY == VLAN_EVERY - 1)
    g_assert_cmpint (r->vlan_id, ==, vlan_tci_for (seq) & 0xfff);
  else
    g_assert_cmpint (r->vlan_id, ==, -1);
  if (e->format == NETRING_PCAP_FORMAT_PCAPNG)
    {
      g_assert_cmpint (r->interface_id, ==, e->interface_id);
      g_assert_cmpstr (r->interface_name, ==, e->ifname);
      g_assert_cmpint (r->direction, ==, e->direction);
    }
  else
    g_assert_cmpint (r->direction, ==, -1);
}

static void
check_records (GPtrArray *records, guint first_record, GPtrArray *frames, guint first_frame,
               guint n, const Captured *c, guint first_packet, const Expect *e)
{
  guint i;

  g_assert_cmpuint (first_record + n, <=, records->len);
  for (i = 0; i < n; i++)
    check_record (records->pdata[first_record + i], frames->pdata[first_frame + i],
                  packet_at (c, first_packet + i), e, first_frame + i);
}

static gchar *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static GOutputStream *
create_file (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  GFileOutputStream *stream =
    g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);

  g_assert_no_error (error);
  return G_OUTPUT_STREAM (stream);
}

static guint64
file_size (const char *path)
{
  GStatBuf st;

  g_assert_no_errno (g_stat (path, &st));
  return (guint64) st.st_size;
}

static void
close_writer (NetringPcapWriter *writer)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (netring_pcap_writer_close (writer, NULL, &error));
  g_assert_no_error (error);
}

/* ---- tests -------------------------------------------------------------- */

/* The interface statistics block at the end of a pcapng file, with and
 * without the receiver's counters. */
#define ISB_LENGTH_COUNTERS (20 + 2 * 12 + 4 + 4)
#define ISB_LENGTH_BARE (20 + 4)

static const char *
format_name (NetringPcapFormat format)
{
  return format == NETRING_PCAP_FORMAT_PCAP        ? "pcap-us"
         : format == NETRING_PCAP_FORMAT_PCAP_NSEC ? "pcap-ns"
                                                   : "pcapng";
}

/* Received frames (the kernel takes the VLAN tags out and reports them)
 * written in each format, to a file and to memory: both readers see the
 * frames as sent, with the capture's timestamps. */
static void
test_formats (void)
{
  static const NetringPcapFormat formats[] = {
    NETRING_PCAP_FORMAT_PCAP, NETRING_PCAP_FORMAT_PCAP_NSEC, NETRING_PCAP_FORMAT_PCAPNG,
  };
  const guint n = 60;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth->b, 0);
  g_autoptr(GPtrArray) frames = NULL;
  g_autoptr(Captured) c = NULL;
  guint i;

  if (!have_readers ())
    return;
  frames = send_frames (veth, 0, n);
  c = capture_n (capture, n);

  /* what the kernel did: received tags are taken out of the frame */
  for (i = 0; i < n; i++)
    {
      const NetringPacketInfo *info = packet_at (c, i);
      gsize length;
      const guint8 *sent = g_bytes_get_data (frames->pdata[i], &length);

      g_assert_cmpint (info->direction, ==, NETRING_PACKET_DIRECTION_HOST);
      if (i % VLAN_EVERY == VLAN_EVERY - 1)
        {
          g_assert_cmphex (info->status & NETRING_PACKET_STATUS_VLAN_VALID, !=, 0);
          g_assert_cmphex (info->vlan_tci, ==, vlan_tci_for (i));
          g_assert_cmpuint (info->captured_length, ==, length - 4);
          g_assert_cmpmem (info->data + 12, info->captured_length - 12, sent + 16, length - 16);
        }
      else
        g_assert_cmpmem (info->data, info->captured_length, sent, length);
    }

  for (i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree gchar *path = tmp_path (format_name (formats[i]));
      g_autoptr(GOutputStream) file = create_file (path);
      g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
      g_autoptr(NetringPcapWriter) writer = NULL;
      g_autoptr(NetringPcapWriter) to_memory = NULL;
      g_autoptr(NetringPcapWriterStats) stats = NULL;
      g_autoptr(GPtrArray) records = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree gchar *contents = NULL;
      gsize contents_length;
      Expect e = { formats[i], 0, 0, veth->b, 1 };

      writer = netring_pcap_writer_new (file, formats[i], &error);
      g_assert_no_error (error);
      to_memory = netring_pcap_writer_new (memory, formats[i], &error);
      g_assert_no_error (error);
      g_assert_cmpint (netring_pcap_writer_add_interface (writer, veth->b,
                                                          NETRING_LINK_TYPE_ETHERNET, 0, &error),
                       ==, 0);
      g_assert_cmpint (netring_pcap_writer_add_interface_for_receiver (
                         to_memory, NETRING_RECEIVER (capture), &error), ==, 0);
      g_assert_no_error (error);
      write_all (writer, 0, c);
      write_all (to_memory, 0, c);
      close_writer (writer);
      close_writer (to_memory);
      stats = netring_pcap_writer_get_stats (writer);

      g_assert_cmpuint (stats->frames_written, ==, n);
      g_assert_cmpuint (stats->frames_truncated, ==, 0);
      g_assert_cmpuint (stats->files, ==, 1);
      g_assert_cmpuint (stats->bytes_written, ==, file_size (path));

      /* the same bytes in memory as in the file, but for the interface
       * statistics block a pcapng file ends with: with the capture's
       * counters (isb_ifrecv, isb_ifdrop) for the interface added for the
       * capture, without for the other */
      g_assert_true (g_file_get_contents (path, &contents, &contents_length, NULL));
      g_assert_cmpmem (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (memory)),
                       g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (memory)) -
                         (formats[i] == NETRING_PCAP_FORMAT_PCAPNG ? ISB_LENGTH_COUNTERS : 0),
                       contents,
                       contents_length -
                         (formats[i] == NETRING_PCAP_FORMAT_PCAPNG ? ISB_LENGTH_BARE : 0));

      records = read_back (path);
      g_assert_cmpuint (records->len, ==, n);
      check_records (records, 0, frames, 0, n, c, 0, &e);
      g_test_message ("%s: %u frames, %" G_GUINT64_FORMAT " bytes, read back by tshark and tcpdump",
                      format_name (formats[i]), n, stats->bytes_written);
      g_assert_finalize_object (g_steal_pointer (&writer));
    }
}

/* Both ends of the pair in one pcapng: a sees the frames going out (with
 * the tags still in the frame: the kernel only takes them out on receive),
 * b sees them coming in; two interface blocks, the direction of each. */
static void
test_two_interfaces (void)
{
  const guint n = 40;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture_a = open_capture (veth->a, 0);
  g_autoptr(NetringCapture) capture_b = open_capture (veth->b, 0);
  g_autofree gchar *path = tmp_path ("two.pcapng");
  g_autoptr(GOutputStream) file = NULL;
  g_autoptr(NetringPcapWriter) writer = NULL;
  g_autoptr(GPtrArray) frames = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(Captured) a = NULL;
  g_autoptr(Captured) b = NULL;
  g_autoptr(GError) error = NULL;
  Expect ea = { NETRING_PCAP_FORMAT_PCAPNG, 0, 0, veth->a, 2 };
  Expect eb = { NETRING_PCAP_FORMAT_PCAPNG, 0, 1, veth->b, 1 };
  guint i;

  if (!have_readers ())
    return;
  frames = send_frames (veth, 0, n);
  a = capture_n (capture_a, n);
  b = capture_n (capture_b, n);
  for (i = 0; i < n; i++)
    {
      const NetringPacketInfo *info = packet_at (a, i);

      g_assert_cmpint (info->direction, ==, NETRING_PACKET_DIRECTION_OUTGOING);
      /* outgoing: the tag is in the frame, nothing stripped */
      g_assert_cmphex (info->status & NETRING_PACKET_STATUS_VLAN_VALID, ==, 0);
      g_assert_cmpmem (info->data, info->captured_length, g_bytes_get_data (frames->pdata[i], NULL),
                       g_bytes_get_size (frames->pdata[i]));
    }

  file = create_file (path);
  writer = netring_pcap_writer_new (file, NETRING_PCAP_FORMAT_PCAPNG, &error);
  g_assert_no_error (error);
  g_assert_cmpint (netring_pcap_writer_add_interface_for_receiver (
                     writer, NETRING_RECEIVER (capture_a), &error), ==, 0);
  g_assert_cmpint (netring_pcap_writer_add_interface_for_receiver (
                     writer, NETRING_RECEIVER (capture_b), &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (netring_pcap_writer_get_n_interfaces (writer), ==, 2);
  /* interleaved, a batch of each in turn */
  for (i = 0; i < MAX (a->batches->len, b->batches->len); i++)
    {
      if (i < a->batches->len)
        g_assert_true (netring_pcap_writer_write_batch (writer, 0, a->batches->pdata[i], NULL,
                                                        &error));
      if (i < b->batches->len)
        g_assert_true (netring_pcap_writer_write_batch (writer, 1, b->batches->pdata[i], NULL,
                                                        &error));
      g_assert_no_error (error);
    }
  close_writer (writer);

  records = read_back (path);
  g_assert_cmpuint (records->len, ==, 2 * n);
  {
    /* split the records by interface, each in its order */
    g_autoptr(GPtrArray) on_a = g_ptr_array_new ();
    g_autoptr(GPtrArray) on_b = g_ptr_array_new ();

    for (i = 0; i < records->len; i++)
      g_ptr_array_add (((Record *) records->pdata[i])->interface_id == 0 ? on_a : on_b,
                       records->pdata[i]);
    g_assert_cmpuint (on_a->len, ==, n);
    g_assert_cmpuint (on_b->len, ==, n);
    check_records (on_a, 0, frames, 0, n, a, 0, &ea);
    check_records (on_b, 0, frames, 0, n, b, 0, &eb);
  }
}

/* A snap length cuts the records (counted), from add_interface and from a
 * capture's snap-length; frame.len keeps the wire length. */
static void
test_snap_length (void)
{
  const guint n = 20;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth->b, 0);
  g_autoptr(NetringCapture) snapped = open_capture (veth->b, 128);
  g_autofree gchar *path = tmp_path ("snap.pcap");
  g_autofree gchar *path_capture = tmp_path ("snap-capture.pcapng");
  g_autoptr(GOutputStream) file = NULL;
  g_autoptr(GOutputStream) file_capture = NULL;
  g_autoptr(NetringPcapWriter) writer = NULL;
  g_autoptr(NetringPcapWriter) writer_capture = NULL;
  g_autoptr(NetringPcapWriterStats) stats = NULL;
  g_autoptr(GPtrArray) frames = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(Captured) c = NULL;
  g_autoptr(Captured) cs = NULL;
  g_autoptr(GError) error = NULL;
  Expect e = { NETRING_PCAP_FORMAT_PCAP_NSEC, 100, -1, NULL, -1 };
  Expect es = { NETRING_PCAP_FORMAT_PCAPNG, 128, 0, veth->b, 1 };
  guint i, longer = 0;

  if (!have_readers ())
    return;
  frames = send_frames (veth, 0, n);
  c = capture_n (capture, n);
  cs = capture_n (snapped, n);

  file = create_file (path);
  writer = netring_pcap_writer_new (file, NETRING_PCAP_FORMAT_PCAP_NSEC, &error);
  g_assert_cmpint (netring_pcap_writer_add_interface (writer, NULL, NETRING_LINK_TYPE_ETHERNET,
                                                      100, &error), ==, 0);
  g_assert_no_error (error);
  write_all (writer, 0, c);
  close_writer (writer);
  stats = netring_pcap_writer_get_stats (writer);
  for (i = 0; i < n; i++)
    longer += g_bytes_get_size (frames->pdata[i]) > 100;
  g_assert_cmpuint (stats->frames_truncated, ==, longer);
  records = read_back (path);
  g_assert_cmpuint (records->len, ==, n);
  check_records (records, 0, frames, 0, n, c, 0, &e);
  g_clear_pointer (&records, g_ptr_array_unref);

  /* the capture cut at 128 (tags not counted), the writer takes 128 from it */
  file_capture = create_file (path_capture);
  writer_capture = netring_pcap_writer_new (file_capture, NETRING_PCAP_FORMAT_PCAPNG, &error);
  g_assert_cmpint (netring_pcap_writer_add_interface_for_receiver (
                     writer_capture, NETRING_RECEIVER (snapped), &error), ==, 0);
  g_assert_no_error (error);
  write_all (writer_capture, 0, cs);
  close_writer (writer_capture);
  records = read_back (path_capture);
  g_assert_cmpuint (records->len, ==, n);
  check_records (records, 0, frames, 0, n, cs, 0, &es);
}

/* write_packet(), with views and with detached copies, writes the same
 * bytes as write_batch(). */
static void
test_write_packet (void)
{
  const guint n = 25;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth->b, 0);
  g_autoptr(GOutputStream) by_batch = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) by_packet = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) by_copy = g_memory_output_stream_new_resizable ();
  g_autoptr(NetringPcapWriter) wb = NULL, wp = NULL, wc = NULL;
  g_autoptr(GPtrArray) frames = NULL;
  g_autoptr(Captured) c = NULL;
  g_autoptr(GError) error = NULL;
  guint i, j;

  frames = send_frames (veth, 0, n);
  c = capture_n (capture, n);
  wb = netring_pcap_writer_new (by_batch, NETRING_PCAP_FORMAT_PCAPNG, &error);
  wp = netring_pcap_writer_new (by_packet, NETRING_PCAP_FORMAT_PCAPNG, &error);
  wc = netring_pcap_writer_new (by_copy, NETRING_PCAP_FORMAT_PCAPNG, &error);
  g_assert_no_error (error);
  netring_pcap_writer_add_interface (wb, veth->b, NETRING_LINK_TYPE_ETHERNET, 0, &error);
  netring_pcap_writer_add_interface (wp, veth->b, NETRING_LINK_TYPE_ETHERNET, 0, &error);
  netring_pcap_writer_add_interface (wc, veth->b, NETRING_LINK_TYPE_ETHERNET, 0, &error);
  g_assert_no_error (error);
  write_all (wb, 0, c);
  for (i = 0; i < c->batches->len; i++)
    for (j = 0; j < netring_batch_get_n_packets (c->batches->pdata[i]); j++)
      {
        g_autoptr(NetringPacket) packet = netring_batch_get_packet (c->batches->pdata[i], j);
        g_autoptr(NetringPacket) copy = netring_packet_copy_detached (packet);

        g_assert_true (netring_pcap_writer_write_packet (wp, 0, packet, NULL, &error));
        g_assert_true (netring_pcap_writer_write_packet (wc, 0, copy, NULL, &error));
        g_assert_no_error (error);
      }
  close_writer (wb);
  close_writer (wp);
  close_writer (wc);
  /* the same bytes, but for the time in the interface statistics block
   * at the end (when each was closed) */
  g_assert_cmpmem (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (by_packet)),
                   g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (by_packet)) -
                     ISB_LENGTH_BARE,
                   g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (by_batch)),
                   g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (by_batch)) -
                     ISB_LENGTH_BARE);
  g_assert_cmpmem (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (by_copy)),
                   g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (by_copy)) -
                     ISB_LENGTH_BARE,
                   g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (by_batch)),
                   g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (by_batch)) -
                     ISB_LENGTH_BARE);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

static GPtrArray *
list_files (const char *prefix)
{
  g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, prefix))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  return names;
}

/* Rotation by size: files of at most max_bytes, each complete, the frames
 * in order across them; with %i in the pattern and without (tcpdump -C
 * naming), in pcap and pcapng. */
static void
test_rotate_size (void)
{
  const guint n = 50, per_file = 7;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth->b, 0);
  g_autoptr(GPtrArray) frames = NULL;
  g_autoptr(Captured) c = NULL;
  guint64 largest = 0;
  guint i, f;

  if (!have_readers ())
    return;
  frames = send_frames (veth, 0, n);
  c = capture_n (capture, n);
  for (i = 0; i < n; i++)
    largest = MAX (largest, g_bytes_get_size (frames->pdata[i]));

  for (f = 0; f < 3; f++)
    {
      NetringPcapFormat format = f == 2 ? NETRING_PCAP_FORMAT_PCAPNG : NETRING_PCAP_FORMAT_PCAP;
      const char *pattern = f == 0 ? "size-%03i.pcap" : f == 1 ? "plain.pcap" : "ng-%i.pcapng";
      const char *prefix = f == 0 ? "size-" : f == 1 ? "plain.pcap" : "ng-";
      g_autofree gchar *full_pattern = tmp_path (pattern);
      g_autoptr(NetringPcapWriter) writer = NULL;
      g_autoptr(NetringPcapWriterStats) stats = NULL;
      g_autoptr(GPtrArray) names = NULL;
      g_autoptr(GError) error = NULL;
      /* room for per_file records of the largest frame: header + records */
      guint64 max_bytes = (format == NETRING_PCAP_FORMAT_PCAP ? 24 + per_file * (16 + largest)
                                                             : 2000 + per_file * (48 + largest));
      Expect e = { format, 0, 0, veth->b, 1 };
      guint seen = 0, files_expected = 0;
      guint64 in_file = 0, header;

      writer = netring_pcap_writer_new_rotating (full_pattern, format, max_bytes, 0, &error);
      g_assert_no_error (error);
      netring_pcap_writer_add_interface (writer, veth->b, NETRING_LINK_TYPE_ETHERNET, 0, &error);
      g_assert_no_error (error);
      write_all (writer, 0, c);
      stats = netring_pcap_writer_get_stats (writer);
      close_writer (writer);

      /* the files the rule gives: a record that does not fit starts a new one */
      header = format == NETRING_PCAP_FORMAT_PCAP ? 24 : 0;
      for (i = 0; i < n; i++)
        {
          guint64 record = format == NETRING_PCAP_FORMAT_PCAP
                             ? 16 + g_bytes_get_size (frames->pdata[i]) : 0;
          if (format == NETRING_PCAP_FORMAT_PCAP &&
              (files_expected == 0 || in_file + record > max_bytes))
            {
              files_expected++;
              in_file = header;
            }
          in_file += record;
        }

      names = list_files (prefix);
      g_assert_cmpuint (names->len, ==, stats->files);
      /* no file is larger than the limit, pcapng's statistics blocks at
       * the end included */
      for (i = 0; i < names->len; i++)
        {
          g_autofree gchar *name = g_build_filename (tmpdir, names->pdata[i], NULL);

          g_assert_cmpuint (file_size (name), <=, max_bytes);
        }
      g_assert_cmpuint (names->len, >=, 2);
      if (format == NETRING_PCAP_FORMAT_PCAP)
        g_assert_cmpuint (names->len, ==, files_expected);
      if (f == 1)
        {
          /* tcpdump -C names: plain.pcap, plain.pcap1, plain.pcap2, … */
          for (i = 0; i < names->len; i++)
            {
              g_autofree gchar *want = i == 0 ? g_strdup ("plain.pcap")
                                              : g_strdup_printf ("plain.pcap%u", i);
              g_assert_true (g_ptr_array_find_with_equal_func (names, want, g_str_equal, NULL));
            }
          /* sorted by number, not by name */
          g_ptr_array_sort (names, compare_names);
          for (i = 0; i < names->len; i++)
            {
              g_free (names->pdata[i]);
              names->pdata[i] = i == 0 ? g_strdup ("plain.pcap")
                                       : g_strdup_printf ("plain.pcap%u", i);
            }
        }
      for (i = 0; i < names->len; i++)
        {
          g_autofree gchar *path = tmp_path (names->pdata[i]);
          g_autoptr(GPtrArray) records = read_back (path);

          g_assert_cmpuint (file_size (path), <=, max_bytes);
          g_assert_cmpuint (records->len, >=, 1);
          check_records (records, 0, frames, seen, records->len, c, seen, &e);
          seen += records->len;
          g_test_message ("%s: %u frames, %" G_GUINT64_FORMAT " bytes", (char *) names->pdata[i],
                          records->len, file_size (path));
        }
      g_assert_cmpuint (seen, ==, n);
      g_assert_cmpuint (stats->frames_written, ==, n);
    }
}

/* Rotation by time (tcpdump -G): frames written over ~2.5 s into files of
 * 1 s named by the clock and the number; every file is complete and holds
 * what was written within a second of its opening. */
static void
test_rotate_time (void)
{
  const guint rounds = 6, per_round = 3;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth->b, 0);
  g_autofree gchar *pattern = tmp_path ("time-%Y%m%d-%H%M%S-%i.pcapng");
  g_autoptr(NetringPcapWriter) writer = NULL;
  g_autoptr(NetringPcapWriterStats) stats = NULL;
  g_autoptr(GPtrArray) frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) captured_free);
  g_autoptr(GArray) packets = g_array_new (FALSE, TRUE, sizeof (NetringPacketInfo));
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GRegex) name_re = NULL;
  g_autoptr(GError) error = NULL;
  Expect e = { NETRING_PCAP_FORMAT_PCAPNG, 0, 0, veth->b, 1 };
  Captured merged;
  guint i, seen = 0;

  if (!have_readers ())
    return;
  writer = netring_pcap_writer_new_rotating (pattern, NETRING_PCAP_FORMAT_PCAPNG, 0, 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (netring_pcap_writer_get_path (writer));
  netring_pcap_writer_add_interface (writer, veth->b, NETRING_LINK_TYPE_ETHERNET, 0, &error);
  g_assert_no_error (error);

  for (i = 0; i < rounds; i++)
    {
      g_autoptr(GPtrArray) sent = send_frames (veth, i * per_round, per_round);
      Captured *c = capture_n (capture, per_round);

      g_ptr_array_extend_and_steal (frames, g_steal_pointer (&sent));
      write_all (writer, 0, c);
      g_array_append_vals (packets, c->packets->data, c->packets->len);
      g_ptr_array_add (all, c);
      if (i + 1 < rounds)
        g_usleep (450 * 1000); /* pacing: the writes spread over ~2.5 s */
    }
  stats = netring_pcap_writer_get_stats (writer);
  close_writer (writer);

  names = list_files ("time-");
  g_assert_cmpuint (names->len, ==, stats->files);
  g_assert_cmpuint (names->len, >=, 2);
  g_assert_cmpuint (names->len, <=, rounds * per_round); /* none without a frame */
  name_re = g_regex_new ("^time-[0-9]{8}-[0-9]{6}-[0-9]+\\.pcapng$", 0, 0, NULL);
  merged.packets = packets;
  /* file numbers, not names, give the order: sort by the number after the time */
  for (i = 0; i < names->len; i++)
    {
      g_autofree gchar *want_suffix = g_strdup_printf ("-%u.pcapng", i);
      guint k;

      for (k = i; k < names->len; k++)
        if (g_str_has_suffix (names->pdata[k], want_suffix))
          {
            gpointer tmp = names->pdata[i];
            names->pdata[i] = names->pdata[k];
            names->pdata[k] = tmp;
            break;
          }
      g_assert_true (g_str_has_suffix (names->pdata[i], want_suffix));
      g_assert_true (g_regex_match (name_re, names->pdata[i], 0, NULL));
    }
  for (i = 0; i < names->len; i++)
    {
      g_autofree gchar *path = tmp_path (names->pdata[i]);
      g_autoptr(GPtrArray) records = read_back (path);
      const Record *first, *last;

      g_assert_cmpuint (records->len, >=, 1);
      check_records (records, 0, frames, seen, records->len, &merged, seen, &e);
      first = records->pdata[0];
      last = records->pdata[records->len - 1];
      /* written within a second of the file's opening; a frame is
       * captured a little before it is written, hence the margin */
      g_assert_cmpint (last->ts_ns - first->ts_ns, <, 1500 * G_GINT64_CONSTANT (1000000));
      seen += records->len;
      g_test_message ("%s: %u frames", (char *) names->pdata[i], records->len);
    }
  g_assert_cmpuint (seen, ==, rounds * per_round);
}

typedef struct {
  GMainLoop *loop;
  GArray *order; /* the call numbers, in completion order */
  gboolean closed;
} AsyncState;

typedef struct {
  AsyncState *state;
  guint call;
} AsyncCall;

static AsyncCall *
async_call (AsyncState *s, guint call)
{
  AsyncCall *c = g_new (AsyncCall, 1);

  c->state = s;
  c->call = call;
  return c;
}

static void
batch_written_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autofree AsyncCall *c = data;
  g_autoptr(GError) error = NULL;

  g_assert_true (netring_pcap_writer_write_batch_finish (NETRING_PCAP_WRITER (source), result,
                                                         &error));
  g_assert_no_error (error);
  g_array_append_val (c->state->order, c->call);
}

static void
flushed_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autofree AsyncCall *c = data;
  g_autoptr(GError) error = NULL;

  g_assert_true (netring_pcap_writer_flush_finish (NETRING_PCAP_WRITER (source), result, &error));
  g_assert_no_error (error);
  g_array_append_val (c->state->order, c->call);
}

static void
closed_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  AsyncState *s = data;
  g_autoptr(GError) error = NULL;

  g_assert_true (netring_pcap_writer_close_finish (NETRING_PCAP_WRITER (source), result, &error));
  g_assert_no_error (error);
  s->closed = TRUE;
  g_main_loop_quit (s->loop);
}

/* The asynchronous calls queue in call order, each batch referenced until
 * written; a synchronous call meanwhile is refused; writes after close
 * fail with G_IO_ERROR_CLOSED. */
static void
test_async (void)
{
  const guint n = 200;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth->b, 0);
  g_autofree gchar *path = tmp_path ("async.pcapng");
  g_autoptr(GOutputStream) file = NULL;
  g_autoptr(NetringPcapWriter) writer = NULL;
  g_autoptr(GPtrArray) frames = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(Captured) c = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (guint));
  Expect e = { NETRING_PCAP_FORMAT_PCAPNG, 0, 0, veth->b, 1 };
  AsyncState s = { loop, order, FALSE };
  guint i, n_batches, call = 0;

  if (!have_readers ())
    return;
  frames = send_frames (veth, 0, n);
  c = capture_n (capture, n);
  file = create_file (path);
  writer = netring_pcap_writer_new (file, NETRING_PCAP_FORMAT_PCAPNG, &error);
  netring_pcap_writer_add_interface (writer, veth->b, NETRING_LINK_TYPE_ETHERNET, 0, &error);
  g_assert_no_error (error);

  /* the test's references go: the writer keeps each batch until written */
  n_batches = c->batches->len;
  g_ptr_array_set_free_func (c->batches, NULL);
  for (i = 0; i < n_batches; i++)
    {
      NetringBatch *batch = c->batches->pdata[i];

      netring_pcap_writer_write_batch_async (writer, 0, batch, NULL, batch_written_cb,
                                             async_call (&s, call++));
      netring_batch_unref (batch);
      if (i == n_batches / 2)
        netring_pcap_writer_flush_async (writer, NULL, flushed_cb, async_call (&s, call++));
    }
  g_ptr_array_set_size (c->batches, 0);
  g_array_set_size (c->packets, 0);
  g_assert_false (netring_pcap_writer_flush (writer, NULL, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_BUSY);
  g_clear_error (&error);
  netring_pcap_writer_close_async (writer, NULL, closed_cb, &s);
  /* queued after close: refused */
  g_assert_false (netring_pcap_writer_flush (writer, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  g_main_loop_run (loop);
  g_assert_true (s.closed);
  /* completed in call order, the flush among the writes */
  g_assert_cmpuint (order->len, ==, n_batches + 1);
  for (i = 0; i < order->len; i++)
    g_assert_cmpuint (g_array_index (order, guint, i), ==, i);

  /* the packets' data pointed into the batches, now released: the file
   * must hold copies of what was sent */
  records = read_back (path);
  g_assert_cmpuint (records->len, ==, n);
  for (i = 0; i < n; i++)
    {
      const Record *r = records->pdata[i];
      g_assert_cmpmem (g_bytes_get_data (r->data, NULL), g_bytes_get_size (r->data),
                       g_bytes_get_data (frames->pdata[i], NULL),
                       g_bytes_get_size (frames->pdata[i]));
      g_assert_cmpstr (r->interface_name, ==, e.ifname);
      g_assert_cmpint (r->direction, ==, 1);
    }
  {
    g_autoptr(NetringPcapWriterStats) stats = netring_pcap_writer_get_stats (writer);
    g_assert_cmpuint (stats->frames_written, ==, n);
    g_assert_cmpuint (stats->bytes_written, ==, file_size (path));
  }
  /* closed twice is fine, sync and async */
  g_assert_true (netring_pcap_writer_close (writer, NULL, &error));
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&writer));
}

/* A writer with interfaces and no packet still writes a complete file. */
static void
test_empty (void)
{
  g_autofree gchar *path = tmp_path ("empty.pcap");
  g_autofree gchar *path_ng = tmp_path ("empty.pcapng");
  g_autoptr(GOutputStream) file = create_file (path);
  g_autoptr(GOutputStream) file_ng = create_file (path_ng);
  g_autoptr(NetringPcapWriter) writer = NULL;
  g_autoptr(NetringPcapWriter) writer_ng = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  if (!have_readers ())
    return;
  writer = netring_pcap_writer_new (file, NETRING_PCAP_FORMAT_PCAP, &error);
  netring_pcap_writer_add_interface (writer, "x", NETRING_LINK_TYPE_ETHERNET, 0, &error);
  writer_ng = netring_pcap_writer_new (file_ng, NETRING_PCAP_FORMAT_PCAPNG, &error);
  netring_pcap_writer_add_interface (writer_ng, "x", NETRING_LINK_TYPE_ETHERNET, 0, &error);
  netring_pcap_writer_add_interface (writer_ng, "y", NETRING_LINK_TYPE_ETHERNET, 64, &error);
  g_assert_no_error (error);
  close_writer (writer);
  close_writer (writer_ng);
  g_assert_cmpuint (file_size (path), ==, 24);
  records = read_back (path);
  g_assert_cmpuint (records->len, ==, 0);
  g_clear_pointer (&records, g_ptr_array_unref);
  records = read_back (path_ng);
  g_assert_cmpuint (records->len, ==, 0);
}

/* A stream that fails for good: after a write that stopped in a record,
 * nothing more is written; a write that failed before any byte leaves the
 * writer usable. */
static void
test_stream_errors (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth->b, 0);
  static guint8 room[300];
  g_autoptr(GOutputStream) small = g_memory_output_stream_new (room, sizeof room, NULL, NULL);
  g_autoptr(NetringPcapWriter) writer = NULL;
  g_autoptr(NetringPcapWriterStats) stats = NULL;
  g_autoptr(GPtrArray) frames = NULL;
  g_autoptr(Captured) c = NULL;
  g_autoptr(GError) error = NULL;
  guint i;

  frames = send_frames (veth, 0, 10);
  c = capture_n (capture, 10);
  writer = netring_pcap_writer_new (small, NETRING_PCAP_FORMAT_PCAP, &error);
  netring_pcap_writer_add_interface (writer, NULL, NETRING_LINK_TYPE_ETHERNET, 0, &error);
  g_assert_no_error (error);
  /* the 10 frames do not fit in 300 bytes: a write stops in a record */
  for (i = 0; i < c->batches->len; i++)
    if (!netring_pcap_writer_write_batch (writer, 0, c->batches->pdata[i], NULL, &error))
      break;
  g_assert_cmpuint (i, <, c->batches->len);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (netring_pcap_writer_write_batch (writer, 0, c->batches->pdata[0], NULL,
                                                   &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "earlier"));
  g_clear_error (&error);
  stats = netring_pcap_writer_get_stats (writer);
  g_assert_cmpuint (stats->bytes_written, ==, sizeof room);
  g_assert_cmpuint (stats->frames_written, <, 10);
  g_assert_true (netring_pcap_writer_close (writer, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&writer);

  /* a cancelled write touches nothing: the next one writes it all (a file
   * stream checks its cancellable; a memory stream would not) */
  {
    g_autofree gchar *path = tmp_path ("cancelled.pcap");
    g_autoptr(GOutputStream) file = create_file (path);
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autofree gchar *contents = NULL;
    gsize length;

    writer = netring_pcap_writer_new (file, NETRING_PCAP_FORMAT_PCAP, &error);
    netring_pcap_writer_add_interface (writer, NULL, NETRING_LINK_TYPE_ETHERNET, 0, &error);
    g_cancellable_cancel (cancellable);
    g_assert_false (netring_pcap_writer_write_batch (writer, 0, c->batches->pdata[0],
                                                     cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpuint (file_size (path), ==, 0);
    g_assert_true (netring_pcap_writer_write_batch (writer, 0, c->batches->pdata[0], NULL,
                                                    &error));
    g_assert_no_error (error);
    close_writer (writer);
    /* starts with the file header, then the batch's first frame */
    g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
    g_assert_cmpuint (length, >, 24 + 16 + 60);
    g_assert_cmphex (*(guint32 *) contents, ==, 0xa1b2c3d4);
    g_assert_cmpmem (contents + 40, 60, g_bytes_get_data (frames->pdata[0], NULL), 60);
  }
}

/* Bad configurations and calls, each with its error. */
static void
test_errors (void)
{
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(NetringPcapWriter) writer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = open_capture (veth->b, 0);
  g_autoptr(GPtrArray) frames = NULL;
  g_autoptr(Captured) c = NULL;
  GObject *object;

  /* where to write: neither, both, rotation of a stream, a bad pattern, a
   * directory that does not exist */
  object = g_initable_new (NETRING_TYPE_PCAP_WRITER, NULL, &error, NULL);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_clear_error (&error);
  object = g_initable_new (NETRING_TYPE_PCAP_WRITER, NULL, &error, "stream", memory, "pattern",
                           "x.pcap", NULL);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_clear_error (&error);
  object = g_initable_new (NETRING_TYPE_PCAP_WRITER, NULL, &error, "stream", memory, "max-bytes",
                           (guint64) 1000, NULL);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "max-bytes"));
  g_clear_error (&error);
  writer = netring_pcap_writer_new_rotating ("bad-%", NETRING_PCAP_FORMAT_PCAP, 0, 0, &error);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "bad-%"));
  g_clear_error (&error);
  writer = netring_pcap_writer_new_rotating ("", NETRING_PCAP_FORMAT_PCAP, 0, 0, &error);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  g_clear_error (&error);
  writer = netring_pcap_writer_new_rotating ("/nonexistent-netring-dir/x.pcap",
                                             NETRING_PCAP_FORMAT_PCAP, 0, 0, &error);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "/nonexistent-netring-dir/x.pcap"));
  g_clear_error (&error);
  g_assert_null (writer);

  /* before init */
  object = g_object_new (NETRING_TYPE_PCAP_WRITER, "stream", memory, NULL);
  g_assert_cmpint (netring_pcap_writer_add_interface (NETRING_PCAP_WRITER (object), NULL, 1, 0,
                                                      &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_assert_true (netring_pcap_writer_close (NETRING_PCAP_WRITER (object), NULL, &error));
  g_assert_false (g_output_stream_is_closed (memory)); /* left alone */
  g_object_unref (object);

  /* interfaces: one only in classic pcap, link types 0..65535, ids */
  frames = send_frames (veth, 0, 3);
  c = capture_n (capture, 3);
  writer = netring_pcap_writer_new (memory, NETRING_PCAP_FORMAT_PCAP_NSEC, &error);
  g_assert_no_error (error);
  g_assert_false (netring_pcap_writer_write_batch (writer, 0, c->batches->pdata[0], NULL,
                                                   &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (netring_pcap_writer_add_interface (writer, NULL, 65536, 0, &error), ==, -1);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (netring_pcap_writer_add_interface (writer, NULL, -1, 0, &error), ==, -1);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (netring_pcap_writer_add_interface (writer, NULL, 1, 0, &error), ==, 0);
  g_assert_cmpint (netring_pcap_writer_add_interface (writer, NULL, 1, 0, &error), ==, -1);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "pcapng"));
  g_clear_error (&error);
  g_assert_false (netring_pcap_writer_write_batch (writer, 1, c->batches->pdata[0], NULL,
                                                   &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* after close */
  close_writer (writer);
  g_assert_true (g_output_stream_is_closed (memory));
  g_assert_false (netring_pcap_writer_write_batch (writer, 0, c->batches->pdata[0], NULL,
                                                   &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_cmpint (netring_pcap_writer_add_interface (writer, NULL, 1, 0, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  close_writer (writer);
}

/* The interface statistics blocks of a pcapng file, as tshark's pcapng
 * file dissector reads them: one per interface, in a GArray of IsbSeen. */
typedef struct {
  gint interface_id;
  gint64 received; /* -1: no isb_ifrecv */
  gint64 dropped;  /* -1: no isb_ifdrop */
} IsbSeen;

static GArray *
read_statistics_blocks (const char *path)
{
  const char *argv[] = {
    "tshark", "-r", path, "-X", "read_format:MIME Files Format", "-V", NULL
  };
  g_autofree gchar *out = run (argv, NULL);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GArray *blocks = g_array_new (FALSE, TRUE, sizeof (IsbSeen));
  IsbSeen *isb = NULL;
  guint i;

  for (i = 0; lines[i] != NULL; i++)
    {
      const gchar *line = g_strchug (lines[i]);

      if (g_str_has_prefix (line, "Block: "))
        {
          isb = NULL;
          if (g_str_equal (line, "Block: Interface Statistics Block"))
            {
              IsbSeen fresh = { -1, -1, -1 };

              g_array_append_val (blocks, fresh);
              isb = &g_array_index (blocks, IsbSeen, blocks->len - 1);
            }
        }
      else if (isb != NULL && g_str_has_prefix (line, "Interface: "))
        isb->interface_id = (gint) g_ascii_strtoll (line + strlen ("Interface: "), NULL, 10);
      else if (isb != NULL && g_str_has_prefix (line, "Number of Received Packets: "))
        isb->received = g_ascii_strtoll (line + strlen ("Number of Received Packets: "), NULL, 10);
      else if (isb != NULL && g_str_has_prefix (line, "Number of Dropped Packets: "))
        isb->dropped = g_ascii_strtoll (line + strlen ("Number of Dropped Packets: "), NULL, 10);
    }
  return blocks;
}

/* A pcapng file ends with an interface statistics block per interface:
 * for the one added for a capture, the capture's counters (drops made on
 * purpose with a small ring nobody reads), for the one added by name
 * none; tshark reads them, capinfos counts them, tcpdump still reads the
 * file. A receiver closed before the writer leaves its block without
 * counters. */
static void
test_interface_statistics (void)
{
  const guint n = 400;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringCapture) capture = NULL;
  g_autofree gchar *path = tmp_path ("isb.pcapng");
  g_autofree gchar *path_closed = tmp_path ("isb-closed.pcapng");
  g_autoptr(GOutputStream) file = NULL;
  g_autoptr(GOutputStream) file_closed = NULL;
  g_autoptr(NetringPcapWriter) writer = NULL;
  g_autoptr(NetringPcapWriter) writer_closed = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(GPtrArray) frames = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GArray) blocks = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *info = NULL;
  g_auto(GStrv) stat_entries = NULL;
  const char *capinfos_argv[] = { "capinfos", "-I", path, NULL };
  NetringBatch *batch;
  guint64 written = 0;
  IsbSeen *isb;

  if (!have_readers ())
    return;
  /* two blocks of 64 KiB for frames of 60 to 1500 bytes: most are dropped */
  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->b,
                            "block-size", 1u << 16, "block-count", 2u, "block-timeout-ms", 10,
                            NULL);
  g_assert_no_error (error);
  file = create_file (path);
  writer = netring_pcap_writer_new (file, NETRING_PCAP_FORMAT_PCAPNG, &error);
  g_assert_no_error (error);
  g_assert_cmpint (netring_pcap_writer_add_interface_for_receiver (
                     writer, NETRING_RECEIVER (capture), &error), ==, 0);
  g_assert_cmpint (netring_pcap_writer_add_interface (writer, "by-name",
                                                      NETRING_LINK_TYPE_ETHERNET, 0, &error),
                   ==, 1);
  g_assert_no_error (error);
  file_closed = create_file (path_closed);
  writer_closed = netring_pcap_writer_new (file_closed, NETRING_PCAP_FORMAT_PCAPNG, &error);
  g_assert_no_error (error);
  g_assert_cmpint (netring_pcap_writer_add_interface_for_receiver (
                     writer_closed, NETRING_RECEIVER (capture), &error), ==, 0);

  frames = send_frames (veth, 0, n);
  /* what the ring kept: every batch until none comes for a while */
  while ((batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 200, NULL,
                                                       &error)) != NULL)
    {
      written += netring_batch_get_n_packets (batch);
      g_assert_true (netring_pcap_writer_write_batch (writer, 0, batch, NULL, &error));
      g_assert_no_error (error);
      netring_batch_unref (batch);
    }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stats->drops, >, 0);
  g_assert_cmpuint (stats->received, ==, written);
  g_assert_cmpuint (stats->packets, ==, written + stats->drops);
  close_writer (writer);

  records = read_back (path);
  g_assert_cmpuint (records->len, ==, written);
  blocks = read_statistics_blocks (path);
  g_assert_cmpuint (blocks->len, ==, 2);
  isb = &g_array_index (blocks, IsbSeen, 0);
  g_assert_cmpint (isb->interface_id, ==, 0);
  g_assert_cmpint (isb->received, ==, (gint64) stats->packets);
  g_assert_cmpint (isb->dropped, ==, (gint64) stats->drops);
  isb = &g_array_index (blocks, IsbSeen, 1);
  g_assert_cmpint (isb->interface_id, ==, 1);
  g_assert_cmpint (isb->received, ==, -1);
  g_assert_cmpint (isb->dropped, ==, -1);
  info = run (capinfos_argv, NULL);
  g_assert_nonnull (strstr (info, "Number of interfaces in file: 2"));
  stat_entries = g_strsplit (info, "Number of stat entries = 1", -1);
  g_assert_cmpuint (g_strv_length (stat_entries), ==, 3);
  g_test_message ("%" G_GUINT64_FORMAT " frames written, %" G_GUINT64_FORMAT
                  " dropped: isb_ifrecv and isb_ifdrop read back by tshark",
                  written, stats->drops);

  /* closed first: the block says when, without counters */
  g_assert_true (netring_receiver_close (NETRING_RECEIVER (capture), &error));
  close_writer (writer_closed);
  g_array_unref (blocks);
  blocks = read_statistics_blocks (path_closed);
  g_assert_cmpuint (blocks->len, ==, 1);
  isb = &g_array_index (blocks, IsbSeen, 0);
  g_assert_cmpint (isb->interface_id, ==, 0);
  g_assert_cmpint (isb->received, ==, -1);
}

/* Receives @n frames from @receiver and writes them for @interface_id. */
static void
write_received (NetringPcapWriter *writer, guint interface_id, NetringReceiver *receiver,
                guint n)
{
  guint got = 0;

  while (got < n)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (receiver, 5000, NULL,
                                                                           &error);

      g_assert_no_error (error);
      got += netring_batch_get_n_packets (batch);
      g_assert_true (netring_pcap_writer_write_batch (writer, interface_id, batch, NULL, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (got, ==, n);
}

/* Interfaces for any receiver: a fanout group's member and an AF_XDP
 * socket (whole frames: no snap length); the file holds what was sent,
 * byte for byte, for each, and ends with their statistics. */
static void
test_any_receiver (void)
{
  const guint n = 30;
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(NetringFanoutGroup) group = NULL;
  g_autoptr(NetringXdpSocket) xsk = NULL;
  g_autofree gchar *path = tmp_path ("any.pcapng");
  g_autoptr(GOutputStream) file = NULL;
  g_autoptr(NetringPcapWriter) writer = NULL;
  g_autoptr(GPtrArray) frames = NULL;
  g_autoptr(GPtrArray) more = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GArray) blocks = NULL;
  g_autoptr(GError) error = NULL;
  NetringCapture *member;
  guint i;

  if (!have_readers ())
    return;
  group = g_initable_new (NETRING_TYPE_FANOUT_GROUP, NULL, &error, "interface", veth->b,
                          "n-members", 1u, "block-size", 1u << 20, "block-count", 4u,
                          "block-timeout-ms", 10, NULL);
  g_assert_no_error (error);
  member = netring_fanout_group_get_member (group, 0);
  file = create_file (path);
  writer = netring_pcap_writer_new (file, NETRING_PCAP_FORMAT_PCAPNG, &error);
  g_assert_no_error (error);
  g_assert_cmpint (netring_pcap_writer_add_interface_for_receiver (
                     writer, NETRING_RECEIVER (member), &error), ==, 0);
  g_assert_no_error (error);
  frames = send_frames (veth, 0, n);
  write_received (writer, 0, NETRING_RECEIVER (member), n);

  /* an XDP socket takes the frames before any packet socket sees them */
  xsk = netring_xdp_socket_new (veth->b, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (netring_pcap_writer_add_interface_for_receiver (
                     writer, NETRING_RECEIVER (xsk), &error), ==, 1);
  g_assert_no_error (error);
  more = send_frames (veth, n, n);
  write_received (writer, 1, NETRING_RECEIVER (xsk), n);
  close_writer (writer);

  records = read_back (path);
  g_assert_cmpuint (records->len, ==, 2 * n);
  for (i = 0; i < 2 * n; i++)
    {
      Record *r = records->pdata[i];
      GBytes *sent = i < n ? frames->pdata[i] : more->pdata[i - n];

      g_assert_cmpint (r->interface_id, ==, i < n ? 0 : 1);
      g_assert_cmpstr (r->interface_name, ==, veth->b);
      g_assert_cmpuint (r->len, ==, g_bytes_get_size (sent));
      g_assert_cmpmem (g_bytes_get_data (r->data, NULL), g_bytes_get_size (r->data),
                       g_bytes_get_data (sent, NULL), g_bytes_get_size (sent));
    }
  blocks = read_statistics_blocks (path);
  g_assert_cmpuint (blocks->len, ==, 2);
  for (i = 0; i < 2; i++)
    {
      IsbSeen *isb = &g_array_index (blocks, IsbSeen, i);

      g_assert_cmpint (isb->interface_id, ==, (gint) i);
      g_assert_cmpint (isb->received, >=, n);
      g_assert_cmpint (isb->dropped, ==, 0);
    }
}

static void
remove_tmpdir (void)
{
  g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *path = tmp_path (name);
      g_unlink (path);
    }
  g_rmdir (tmpdir);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  nr_test_net_enter_or_skip ("test-pcap-writer");
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("netring-pcap-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/pcap-writer/formats", test_formats);
  g_test_add_func ("/pcap-writer/two-interfaces", test_two_interfaces);
  g_test_add_func ("/pcap-writer/snap-length", test_snap_length);
  g_test_add_func ("/pcap-writer/write-packet", test_write_packet);
  g_test_add_func ("/pcap-writer/rotate-size", test_rotate_size);
  g_test_add_func ("/pcap-writer/rotate-time", test_rotate_time);
  g_test_add_func ("/pcap-writer/async", test_async);
  g_test_add_func ("/pcap-writer/empty", test_empty);
  g_test_add_func ("/pcap-writer/stream-errors", test_stream_errors);
  g_test_add_func ("/pcap-writer/errors", test_errors);
  g_test_add_func ("/pcap-writer/interface-statistics", test_interface_statistics);
  g_test_add_func ("/pcap-writer/any-receiver", test_any_receiver);
  status = g_test_run ();
  remove_tmpdir ();
  g_free (tmpdir);
  return status;
}
