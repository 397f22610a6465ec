/* test-filter.c: capture filters (pcap expressions, classic BPF, eBPF), snap
 * length, timestamps and busy polling, on real frames through a veth pair in
 * a private network namespace. Every test sends a known mix of frames and
 * checks the exact set that arrived, byte for byte. */
#include "config.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gobject/gvaluecollector.h>
#include <netring/netring.h>

#include "nr-test-net.h"

#define IP(a, b, c, d) ((guint32) (a) << 24 | (guint32) (b) << 16 | (guint32) (c) << 8 | (d))

/* ---- the traffic --------------------------------------------------------- */

/* Frame @seq of the mixed stream: four UDP kinds (destination port 5000 +
 * seq % 4, source 10.0.0.1 + seq % 3) and, every fifth frame, a non-IP test
 * frame; lengths vary. */
static gsize
mixed_frame (const NrTestVeth *veth, guint32 seq, guint8 *frame)
{
  gsize length = 64 + (seq % 7) * 100;

  if (seq % 5 == 4)
    nr_test_frame_fill (frame, length, seq, veth->mac_a, veth->mac_b);
  else
    nr_test_udp_frame_fill (frame, length, seq, IP (10, 0, 0, 1 + seq % 3), IP (10, 0, 0, 9),
                            4000, 5000 + seq % 4, veth->mac_a, veth->mac_b);
  return length;
}

static gboolean
is_udp (guint32 seq)
{
  return seq % 5 != 4;
}

static guint
dport (guint32 seq)
{
  return is_udp (seq) ? 5000 + seq % 4 : 0;
}

static void
send_mixed (const NrTestVeth *veth, guint32 first, guint count)
{
  int fd = nr_test_sender_open (veth);
  guint8 frame[2048];
  guint i;

  for (i = 0; i < count; i++)
    {
      gsize length = mixed_frame (veth, first + i, frame);
      nr_test_sender_send (fd, frame, length);
    }
  close (fd);
}

typedef gboolean (*Predicate) (guint32 seq);

/* ---- the receiver -------------------------------------------------------- */

static NetringCapture *
open_capture (const NrTestVeth *veth, GError **error, const char *first_property, ...)
{
  GObject *capture;
  va_list ap;

  va_start (ap, first_property);
  if (first_property == NULL)
    capture = (GObject *) g_initable_new (NETRING_TYPE_CAPTURE, NULL, error, "interface", veth->b,
                                          "block-size", 1u << 20, "block-count", 64u,
                                          "block-timeout-ms", 10, NULL);
  else
    {
      /* the ring geometry first, then the test's properties */
      GObjectClass *klass = g_type_class_ref (NETRING_TYPE_CAPTURE);
      g_autoptr(GPtrArray) names = g_ptr_array_new ();
      g_autoptr(GArray) values = g_array_new (FALSE, TRUE, sizeof (GValue));
      const char *name;
      GValue v = G_VALUE_INIT;
      guint i;

      g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
      g_ptr_array_add (names, (gpointer) "interface");
      g_value_init (&v, G_TYPE_STRING);
      g_value_set_string (&v, veth->b);
      g_array_append_val (values, v);
      memset (&v, 0, sizeof v);
      g_ptr_array_add (names, (gpointer) "block-size");
      g_value_init (&v, G_TYPE_UINT);
      g_value_set_uint (&v, 1u << 20);
      g_array_append_val (values, v);
      memset (&v, 0, sizeof v);
      g_ptr_array_add (names, (gpointer) "block-count");
      g_value_init (&v, G_TYPE_UINT);
      g_value_set_uint (&v, 64);
      g_array_append_val (values, v);
      memset (&v, 0, sizeof v);
      g_ptr_array_add (names, (gpointer) "block-timeout-ms");
      g_value_init (&v, G_TYPE_INT);
      g_value_set_int (&v, 10);
      g_array_append_val (values, v);
      memset (&v, 0, sizeof v);
      for (name = first_property; name != NULL; name = va_arg (ap, const char *))
        {
          GParamSpec *pspec = g_object_class_find_property (klass, name);
          g_autofree char *err = NULL;

          g_assert_nonnull (pspec);
          g_value_init (&v, pspec->value_type);
          G_VALUE_COLLECT (&v, ap, 0, &err);
          g_assert_null (err);
          for (i = 0; i < names->len; i++)
            if (g_str_equal (names->pdata[i], name))
              break;
          if (i < names->len)
            {
              g_value_unset (&g_array_index (values, GValue, i));
              g_array_index (values, GValue, i) = v;
            }
          else
            {
              g_ptr_array_add (names, (gpointer) name);
              g_array_append_val (values, v);
            }
          memset (&v, 0, sizeof v);
        }
      capture = g_object_new_with_properties (NETRING_TYPE_CAPTURE, names->len,
                                              (const char **) names->pdata,
                                              (const GValue *) values->data);
      if (!g_initable_init (G_INITABLE (capture), NULL, error))
        g_clear_object (&capture);
      g_type_class_unref (klass);
    }
  va_end (ap);
  return capture != NULL ? NETRING_CAPTURE (capture) : NULL;
}

typedef struct {
  GArray *seqs;  /* in arrival order */
  guint bad;
  guint truncated;
} Received;

static void
received_clear (Received *r)
{
  g_clear_pointer (&r->seqs, g_array_unref);
}

/* Checks one packet against the frame of that sequence number, byte for
 * byte, up to @snap bytes (0 = whole frame). */
static void
check_packet (const NrTestVeth *veth, const NetringPacketInfo *info, guint snap, Received *r)
{
  guint8 frame[2048];
  guint32 seq;
  gsize length;
  guint want_cap;

  if (info->captured_length < 18)
    {
      r->bad++;
      return;
    }
  seq = info->protocol == 0x0800 ? nr_test_udp_frame_seq (info->data) : nr_test_frame_seq (info->data);
  length = mixed_frame (veth, seq, frame);
  want_cap = snap != 0 ? MIN (snap, length) : length;
  if (info->wire_length != length || info->captured_length != want_cap ||
      memcmp (info->data, frame, want_cap) != 0 ||
      !!(info->status & NETRING_PACKET_STATUS_TRUNCATED) != (want_cap < length))
    {
      if (r->bad++ < 5)
        g_test_message ("bad packet seq %u: cap %u wire %u (want %u/%zu) status 0x%x", seq,
                        info->captured_length, info->wire_length, want_cap, length, info->status);
    }
  if (info->status & NETRING_PACKET_STATUS_TRUNCATED)
    r->truncated++;
  g_array_append_val (r->seqs, seq);
}

/* Receives until @count packets arrived (then checks that nothing more
 * comes), or, with @count 0, until nothing arrived for @quiet_ms. */
static void
receive (NetringCapture *capture, const NrTestVeth *veth, guint count, guint snap, Received *r)
{
  memset (r, 0, sizeof *r);
  r->seqs = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringBatch) batch = NULL;
      NetringBatchIter iter;
      NetringPacketInfo info;

      if (count != 0 && r->seqs->len >= count)
        {
          batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 100, NULL, &error);
          if (batch != NULL)
            g_error ("unexpected batch of %u packets after the %u expected",
                     netring_batch_get_n_packets (batch), count);
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
          return;
        }
      batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), count != 0 ? 5000 : 300, NULL, &error);
      if (batch == NULL)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
          if (count != 0)
            g_error ("only %u of %u expected packets arrived", r->seqs->len, count);
          return;
        }
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        check_packet (veth, &info, snap, r);
    }
}

/* The received sequence numbers are exactly those of [first, first+count)
 * that @pred accepts, in order. */
static void
assert_exact (const Received *r, guint32 first, guint count, Predicate pred)
{
  guint i, j = 0;

  g_assert_cmpuint (r->bad, ==, 0);
  for (i = 0; i < count; i++)
    {
      if (!pred (first + i))
        continue;
      if (j >= r->seqs->len)
        g_error ("frame %u matches but was not received (%u received)", first + i, r->seqs->len);
      if (g_array_index (r->seqs, guint32, j) != first + i)
        g_error ("received frame %u where %u was expected",
                 g_array_index (r->seqs, guint32, j), first + i);
      j++;
    }
  g_assert_cmpuint (j, ==, r->seqs->len);
}

static guint
count_matching (guint32 first, guint count, Predicate pred)
{
  guint i, n = 0;

  for (i = 0; i < count; i++)
    n += pred (first + i);
  return n;
}

/* ---- filter expressions ---------------------------------------------------- */

static gboolean
pred_expr1 (guint32 seq)
{
  /* "udp dst port 5001 or (udp and src host 10.0.0.3)" */
  return is_udp (seq) && (dport (seq) == 5001 || 1 + seq % 3 == 3);
}

static void
test_expression_exact (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture =
    open_capture (veth, &error, "filter", "udp dst port 5001 or (udp and src host 10.0.0.3)",
                  NULL);
  g_autoptr(NetringReceiverStats) stats = NULL;
  guint expected = count_matching (0, 3000, pred_expr1);
  Received r;

  g_assert_no_error (error);
  g_assert_cmpstr (netring_capture_get_filter (capture), ==,
                   "udp dst port 5001 or (udp and src host 10.0.0.3)");
  send_mixed (veth, 0, 3000);
  receive (capture, veth, expected, 0, &r);
  assert_exact (&r, 0, 3000, pred_expr1);
  g_test_message ("3000 frames sent, %u matched and were received", expected);

  /* the kernel counts only what the filter accepted */
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stats->packets, ==, expected);
  g_assert_cmpuint (stats->received, ==, expected);
  g_assert_cmpuint (stats->drops, ==, 0);
  received_clear (&r);
}

static gboolean
pred_not_udp (guint32 seq)
{
  return !is_udp (seq);
}

static void
test_bad_expression (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) bad = open_capture (veth, &error, "filter", "udp port", NULL);
  g_autoptr(NetringCapture) capture = NULL;
  Received r;

  g_assert_null (bad);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "udp port"));
  g_assert_nonnull (strstr (error->message, "syntax error")); /* libpcap's words */
  g_clear_error (&error);

  /* on a live capture: the error, and the old filter stays */
  capture = open_capture (veth, &error, "filter", "not udp", NULL);
  g_assert_no_error (error);
  g_assert_false (netring_capture_set_filter (capture, "tcp and and", &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "syntax error"));
  g_clear_error (&error);
  g_assert_false (netring_capture_set_filter (capture, "ether host 1:2:3:4:5:6:7", &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpstr (netring_capture_get_filter (capture), ==, "not udp");
  send_mixed (veth, 0, 500);
  receive (capture, veth, count_matching (0, 500, pred_not_udp), 0, &r);
  assert_exact (&r, 0, 500, pred_not_udp);
  received_clear (&r);

  /* both a filter and a program: refused */
  {
    g_autoptr(NetringBpfProgram) program =
      netring_bpf_program_new_from_expression ("udp", NETRING_LINK_TYPE_ETHERNET, 0, &error);
    g_autoptr(NetringCapture) both = NULL;

    g_assert_no_error (error);
    both = open_capture (veth, &error, "filter", "udp", "bpf-program", program, NULL);
    g_assert_null (both);
    g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION);
  }
}

static gboolean
pred_port_5000 (guint32 seq)
{
  return dport (seq) == 5000;
}

static gboolean
pred_port_5001 (guint32 seq)
{
  return dport (seq) == 5001;
}

static gboolean
pred_port_5002 (guint32 seq)
{
  return dport (seq) == 5002;
}

static gboolean
pred_phased (guint32 seq)
{
  return seq < 1000 ? pred_port_5000 (seq) : pred_port_5001 (seq);
}

/* Replace the filter between two bursts: each burst is filtered by the
 * filter in place while it was sent. */
static void
test_replace_phased (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = open_capture (veth, &error, "filter", "udp dst port 5000",
                                                    NULL);
  Received r;

  g_assert_no_error (error);
  send_mixed (veth, 0, 1000);
  g_assert_true (netring_capture_set_filter (capture, "udp dst port 5001", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (netring_capture_get_filter (capture), ==, "udp dst port 5001");
  send_mixed (veth, 1000, 1000);
  receive (capture, veth, count_matching (0, 2000, pred_phased), 0, &r);
  assert_exact (&r, 0, 2000, pred_phased);
  received_clear (&r);
}

/* Replace the filter while frames are on the wire. Old filter: ports 5000
 * and 5001; new: 5001 and 5002. Nothing matching both (5001) may be lost,
 * nothing matching neither (5003, non-UDP) may arrive, 5000 frames stop and
 * 5002 frames start at the swap.
 *
 * The swap is mid-stream by construction: the sender sends a first part,
 * then goes on sending until it sees that the swap is done, then sends a
 * last part. Which filter a frame met is known from sequence numbers: a
 * frame numbered below the highest one received before the swap began met
 * the old filter (one sending CPU: the kernel handles frames in order), a
 * frame sent after the swap returned met the new one, and a frame in
 * between may have met either. */
typedef struct {
  const NrTestVeth *veth;
  guint first_part;
  guint last_part;
  gint sent;      /* atomic: frames whose send() returned */
  gint swapped;   /* atomic: set by the receiver once set_filter() returned */
  guint32 after;  /* first frame sent after the sender saw the swap */
  gint total;     /* atomic: frames sent in all, once the last is known */
} LiveSender;

static gpointer
live_sender (gpointer data)
{
  LiveSender *ls = data;
  guint8 frame[2048];
  guint32 seq = 0;
  int fd;

  nr_test_pin_thread ();
  fd = nr_test_sender_open (ls->veth);
  for (;; seq++)
    {
      gsize length;

      if (seq >= ls->first_part && ls->after == 0 && g_atomic_int_get (&ls->swapped))
        ls->after = seq;
      /* the last frame matches both filters, so the receiver knows the end */
      if (ls->after != 0 && seq >= ls->after + ls->last_part && dport (seq) == 5001)
        {
          /* announced before it is sent: the receiver may see it at once */
          g_atomic_int_set (&ls->total, (gint) seq + 1);
          length = mixed_frame (ls->veth, seq, frame);
          nr_test_sender_send (fd, frame, length);
          break;
        }
      length = mixed_frame (ls->veth, seq, frame);
      nr_test_sender_send (fd, frame, length);
      g_atomic_int_set (&ls->sent, (gint) seq + 1);
    }
  close (fd);
  return NULL;
}

/* Receives one batch into @r and @seen; returns the highest sequence
 * number received so far. */
static guint32
live_receive (NetringCapture *capture, const NrTestVeth *veth, Received *r, GByteArray *seen,
              guint32 highest)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 10000, NULL,
                                                                     &error);
  NetringBatchIter iter;
  NetringPacketInfo info;
  guint before = r->seqs->len, i;

  g_assert_no_error (error);
  netring_batch_iter_init (&iter, batch);
  while (netring_batch_iter_next (&iter, &info))
    check_packet (veth, &info, 0, r);
  for (i = before; i < r->seqs->len; i++)
    {
      guint32 seq = g_array_index (r->seqs, guint32, i);

      if (seq >= seen->len)
        {
          guint old_len = seen->len;

          g_byte_array_set_size (seen, seq + 4096);
          memset (seen->data + old_len, 0, seen->len - old_len);
        }
      g_assert_cmpuint (seen->data[seq], ==, 0); /* no duplicate */
      seen->data[seq] = 1;
      highest = MAX (highest, seq);
    }
  return highest;
}

static void
test_replace_live (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture =
    open_capture (veth, &error, "filter", "udp dst port 5000 or udp dst port 5001", NULL);
  g_autoptr(GByteArray) seen = g_byte_array_new ();
  LiveSender ls = { veth, 20000, 20000, 0, 0, 0, 0 };
  GThread *thread;
  guint32 before, after, highest = 0, last_old = 0, first_new = G_MAXUINT32;
  guint n_both = 0, n_old = 0, n_new = 0, i;
  Received r = { 0 };

  g_assert_no_error (error);
  r.seqs = g_array_new (FALSE, FALSE, sizeof (guint32));
  thread = g_thread_new ("sender", live_sender, &ls);
  /* the first part is under way: frames of it have arrived */
  while (highest < ls.first_part / 2)
    highest = live_receive (capture, veth, &r, seen, highest);
  before = highest + 1;
  g_assert_true (netring_capture_set_filter (capture, "udp dst port 5001 or udp dst port 5002",
                                             &error));
  g_assert_no_error (error);
  after = (guint32) g_atomic_int_get (&ls.sent);
  g_atomic_int_set (&ls.swapped, 1);
  /* every frame until the sender's last one, which matches both filters */
  while (g_atomic_int_get (&ls.total) == 0 ||
         highest < (guint32) g_atomic_int_get (&ls.total) - 1)
    highest = live_receive (capture, veth, &r, seen, highest);
  g_thread_join (thread);
  g_assert_cmpuint (highest, ==, ls.total - 1);
  g_assert_cmpuint (ls.after, >=, after);
  g_assert_cmpuint (ls.total, >, after + ls.last_part); /* the swap was mid-stream */
  /* nothing after the last frame */
  {
    g_autoptr(NetringBatch) extra = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 100, NULL,
                                                                       &error);
    g_assert_null (extra);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    g_clear_error (&error);
  }

  g_assert_cmpuint (r.bad, ==, 0);
  for (i = 0; i < r.seqs->len; i++)
    {
      guint32 seq = g_array_index (r.seqs, guint32, i);

      g_assert_cmpuint (seq, <, ls.total);
      switch (dport (seq))
        {
        case 5000:
          n_old++;
          last_old = MAX (last_old, seq);
          break;
        case 5001:
          n_both++;
          break;
        case 5002:
          n_new++;
          first_new = MIN (first_new, seq);
          break;
        default:
          g_error ("frame %u matches neither filter but was received", seq);
        }
    }
  /* nothing that matches both filters was lost */
  g_assert_cmpuint (n_both, ==, count_matching (0, ls.total, pred_port_5001));
  /* Old-only frames stop and new-only frames start at the swap, and within
   * their range none is missing. Frames in [before, after] were in flight
   * during the swap and may have met either filter: frame number `after`
   * may have been inside send() when set_filter() returned. */
  g_assert_cmpuint (last_old, <=, after);
  g_assert_cmpuint (first_new, >=, before);
  for (i = 0; i < before; i++)
    if (dport (i) == 5000)
      g_assert_cmpuint (seen->data[i], ==, 1);
  for (i = after + 1; i < (guint) ls.total; i++)
    if (dport (i) == 5002)
      g_assert_cmpuint (seen->data[i], ==, 1);
  g_assert_cmpuint (n_old, >=, count_matching (0, before, pred_port_5000));
  g_assert_cmpuint (n_new, >=, count_matching (after + 1, ls.total - after - 1, pred_port_5002));
  g_test_message ("%u frames; swap between frames %u and %u: %u both, %u old-only (last %u), "
                  "%u new-only (first %u)",
                  ls.total, before, after, n_both, n_old, last_old, n_new, first_new);
  received_clear (&r);
}

/* ---- snap length ------------------------------------------------------------ */

static gboolean
pred_all (guint32 seq)
{
  return TRUE;
}

static void
test_snap_length (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = open_capture (veth, &error, "snap-length", 96u, NULL);
  g_autoptr(NetringBatch) batch = NULL;
  NetringBatchIter iter;
  NetringPacketInfo info;
  guint n = 0;
  Received r;

  g_assert_no_error (error);
  g_assert_cmpuint (netring_capture_get_snap_length (capture), ==, 96);

  /* 1500-byte frames: 96 captured, 1500 on the wire, the first 96 exact */
  nr_test_send_frames (veth, 0, 100, 1500);
  while (n < 100)
    {
      g_clear_pointer (&batch, netring_batch_unref);
      batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 10000, NULL, &error);
      g_assert_no_error (error);
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          guint8 frame[1500];

          nr_test_frame_fill (frame, sizeof frame, n, veth->mac_a, veth->mac_b);
          g_assert_cmpuint (info.captured_length, ==, 96);
          g_assert_cmpuint (info.wire_length, ==, 1500);
          g_assert_cmpmem (info.data, 96, frame, 96);
          g_assert_cmpuint (info.status & NETRING_PACKET_STATUS_TRUNCATED, !=, 0);
          n++;
        }
    }
  {
    g_autoptr(NetringPacket) packet = netring_batch_get_packet (batch, 0);
    gsize len;

    g_assert_true (netring_packet_is_truncated (packet));
    g_assert_cmpuint (netring_packet_get_captured_length (packet), ==, 96);
    g_assert_cmpuint (netring_packet_get_wire_length (packet), ==, 1500);
    netring_packet_get_data (packet, &len);
    g_assert_cmpuint (len, ==, 96);
  }

  /* the mixed stream: 64..664-byte frames, the short ones whole */
  send_mixed (veth, 0, 700);
  receive (capture, veth, 700, 96, &r);
  assert_exact (&r, 0, 700, pred_all);
  g_assert_cmpuint (r.truncated, ==, 600); /* all but the 64-byte ones */
  received_clear (&r);
}

/* Snap length combined with a filter expression, and after replacing it */
static void
test_snap_with_filter (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = open_capture (veth, &error, "snap-length", 100u, "filter",
                                                    "udp dst port 5000", NULL);
  Received r;

  g_assert_no_error (error);
  send_mixed (veth, 0, 700);
  receive (capture, veth, count_matching (0, 700, pred_port_5000), 100, &r);
  assert_exact (&r, 0, 700, pred_port_5000);
  g_assert_cmpuint (r.truncated, >, 0);
  received_clear (&r);

  g_assert_true (netring_capture_set_filter (capture, "udp dst port 5001", &error));
  g_assert_no_error (error);
  send_mixed (veth, 0, 700);
  receive (capture, veth, count_matching (0, 700, pred_port_5001), 100, &r);
  assert_exact (&r, 0, 700, pred_port_5001);
  received_clear (&r);

  /* detaching the filter keeps the snap length */
  g_assert_true (netring_capture_detach_filter (capture, &error));
  g_assert_no_error (error);
  g_assert_null (netring_capture_get_filter (capture));
  send_mixed (veth, 0, 700);
  receive (capture, veth, 700, 100, &r);
  assert_exact (&r, 0, 700, pred_all);
  received_clear (&r);
}

/* ---- raw classic BPF --------------------------------------------------------- */

static gboolean
pred_even (guint32 seq)
{
  return seq % 2 == 0;
}

static void
test_bpf_program (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  /* "even sequence number" for both frame kinds, by hand, ending in RET A:
   *   ldh [12]; jeq #0x800 → ldb [45] else ldb [17]; and #1; jeq #0 → ld len, ret a;
   *   ret #0 */
  static const char *text =
    "# even sequence numbers, whole packet\n"
    "9\n"
    "40 0 0 12\n"   /* ldh [12] */
    "21 0 2 2048\n" /* jeq #0x800 jt 0 jf 2 */
    "48 0 0 45\n"   /* ldb [45] */
    "5 0 0 1\n"     /* ja +1 */
    "48 0 0 17\n"   /* ldb [17] */
    "84 0 0 1\n"    /* and #1 */
    "21 0 2 0\n"    /* jeq #0 jt 0 jf 2 */
    "128 0 0 0\n"   /* ld len */
    "22 0 0 0\n"    /* ret a */
    ;
  g_autoptr(NetringBpfProgram) bad_text = netring_bpf_program_new_from_text (text, &error);
  g_autoptr(NetringBpfProgram) program = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autofree gchar *round_trip = NULL;
  Received r;

  /* the text has 9 lines but says 9 instructions and lacks the final ret #0 */
  g_assert_null (bad_text);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  program = netring_bpf_program_new_from_text ("10\n40 0 0 12\n21 0 2 2048\n48 0 0 45\n5 0 0 1\n"
                                               "48 0 0 17\n84 0 0 1\n21 0 2 0\n128 0 0 0\n"
                                               "22 0 0 0\n6 0 0 0\n",
                                               &error);
  g_assert_no_error (error);
  g_assert_cmpuint (netring_bpf_program_get_n_instructions (program), ==, 10);
  round_trip = netring_bpf_program_to_text (program);
  g_assert_cmpstr (round_trip, ==,
                   "10\n40 0 0 12\n21 0 2 2048\n48 0 0 45\n5 0 0 1\n48 0 0 17\n84 0 0 1\n"
                   "21 0 2 0\n128 0 0 0\n22 0 0 0\n6 0 0 0\n");
  g_assert_null (netring_bpf_program_get_expression (program));

  /* whole packets (RET A = length) */
  capture = open_capture (veth, &error, "bpf-program", program, NULL);
  g_assert_no_error (error);
  send_mixed (veth, 0, 700);
  receive (capture, veth, 350, 0, &r);
  assert_exact (&r, 0, 700, pred_even);
  received_clear (&r);
  g_clear_object (&capture);

  /* with a snap length, RET A is clamped too */
  capture = open_capture (veth, &error, "bpf-program", program, "snap-length", 80u, NULL);
  g_assert_no_error (error);
  send_mixed (veth, 0, 700);
  receive (capture, veth, 350, 80, &r);
  assert_exact (&r, 0, 700, pred_even);
  {
    guint want = 0, i;

    for (i = 0; i < 700; i += 2)
      want += i % 7 != 0; /* only the 64-byte frames fit in 80 bytes */
    g_assert_cmpuint (r.truncated, ==, want);
  }
  received_clear (&r);

  /* replaced on the live capture by a compiled one, through -ddd text */
  {
    g_autoptr(NetringBpfProgram) compiled =
      netring_bpf_program_new_from_expression ("not udp", NETRING_LINK_TYPE_ETHERNET, 0, &error);
    g_autofree gchar *ddd = NULL;
    g_autoptr(NetringBpfProgram) parsed = NULL;

    g_assert_no_error (error);
    g_assert_cmpstr (netring_bpf_program_get_expression (compiled), ==, "not udp");
    ddd = netring_bpf_program_to_text (compiled);
    parsed = netring_bpf_program_new_from_text (ddd, &error);
    g_assert_no_error (error);
    g_assert_true (netring_capture_set_bpf_program (capture, parsed, &error));
    g_assert_no_error (error);
    send_mixed (veth, 0, 700);
    receive (capture, veth, count_matching (0, 700, pred_not_udp), 80, &r);
    assert_exact (&r, 0, 700, pred_not_udp);
    received_clear (&r);
  }
}

static void
test_bpf_program_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree NetringBpfInstruction *big = g_new0 (NetringBpfInstruction, 4097);
  NetringBpfInstruction ret_x[] = { { 0x16 | 0x08 /* ret x */, 0, 0, 0 } };
  NetringBpfProgram *program;
  guint i, n;

  program = netring_bpf_program_new (NULL, 0, &error);
  g_assert_null (program);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  for (i = 0; i < 4097; i++)
    big[i].code = 0x06, big[i].k = 65535; /* ret #65535 */
  program = netring_bpf_program_new (big, 4097, &error);
  g_assert_null (program);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "4097"));
  g_assert_nonnull (strstr (error->message, "4096"));
  g_clear_error (&error);

  program = netring_bpf_program_new (big, 4096, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (netring_bpf_program_get_n_instructions (program), ==, 4096);
  g_assert_true (netring_bpf_program_get_instructions (program, &n) != big);
  g_assert_cmpuint (n, ==, 4096);
  netring_bpf_program_unref (program);

  program = netring_bpf_program_new (ret_x, 1, &error);
  g_assert_null (program);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  program = netring_bpf_program_new_from_text ("2\n6 0 0 1\n", &error);
  g_assert_null (program);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  program = netring_bpf_program_new_from_text ("1\nret #1\n", &error);
  g_assert_null (program);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "Line 2 ")); /* the line */
  g_clear_error (&error);
  /* comments and blank lines count as lines: the number is the editor's */
  program = netring_bpf_program_new_from_text ("3\n6 0 0 1\n# comment\n\nbogus\n6 0 0 0\n", &error);
  g_assert_null (program);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "Line 5 "));
  g_clear_error (&error);

  program = netring_bpf_program_new_from_expression ("port 99999", NETRING_LINK_TYPE_ETHERNET, 0,
                                                     &error);
  g_assert_null (program);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
}

/* A program the kernel refuses (a jump out of the program) */
static void
test_bpf_program_kernel_refuses (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  static const NetringBpfInstruction jump_out[] = {
    { 0x05, 0, 0, 10 }, /* ja +10 */
    { 0x06, 0, 0, 0 },
  };
  g_autoptr(NetringBpfProgram) program = netring_bpf_program_new (jump_out, 2, &error);
  g_autoptr(NetringCapture) capture = NULL;

  g_assert_no_error (error);
  capture = open_capture (veth, &error, "bpf-program", program, NULL);
  g_assert_null (capture);
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
}

/* ---- VLAN: expressions see the tag the kernel stripped ---------------------- */

static void
send_tagged (const NrTestVeth *veth, guint32 seq, guint16 vid)
{
  guint8 inner[64], tagged[68];

  nr_test_frame_fill (inner, sizeof inner, seq, veth->mac_a, veth->mac_b);
  if (vid == 0)
    {
      nr_test_send_raw (veth, inner, sizeof inner);
      return;
    }
  memcpy (tagged, inner, 12);
  tagged[12] = 0x81;
  tagged[13] = 0x00;
  tagged[14] = vid >> 8;
  tagged[15] = vid & 0xff;
  memcpy (tagged + 16, inner + 12, sizeof inner - 12);
  nr_test_send_raw (veth, tagged, sizeof tagged);
}

static void
test_vlan_expression (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  static const char *exprs[] = { "vlan", "not vlan", "vlan 100" };
  /* frame i: untagged, VLAN 100, VLAN 200 */
  static const gboolean match[3][3] = { { 0, 1, 1 }, { 1, 0, 0 }, { 0, 1, 0 } };
  guint e, i;

  for (e = 0; e < G_N_ELEMENTS (exprs); e++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringCapture) capture = open_capture (veth, &error, "filter", exprs[e], NULL);
      guint got[3] = { 0 };
      guint n = 0;

      g_assert_no_error (error);
      for (i = 0; i < 30; i++)
        send_tagged (veth, i, (guint16[]){ 0, 100, 200 }[i % 3]);
      /* exactly the matching frames arrive: receive that many, then expect
       * nothing more */
      for (;;)
        {
          guint want = 10 * (match[e][0] + match[e][1] + match[e][2]);
          g_autoptr(NetringBatch) batch =
            netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), n < want ? 5000 : 100, NULL, &error);
          NetringBatchIter iter;
          NetringPacketInfo info;

          if (batch == NULL)
            break;
          netring_batch_iter_init (&iter, batch);
          while (netring_batch_iter_next (&iter, &info))
            {
              guint32 seq = nr_test_frame_seq (info.data);
              g_assert_cmpuint (seq, <, 30);
              got[seq % 3]++;
              n++;
            }
        }
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      g_test_message ("“%s”: untagged %u, vlan 100 %u, vlan 200 %u", exprs[e], got[0], got[1],
                      got[2]);
      for (i = 0; i < 3; i++)
        g_assert_cmpuint (got[i], ==, match[e][i] ? 10 : 0);
    }
}

/* ---- eBPF ------------------------------------------------------------------- */

/* A socket filter keeping packets whose byte @offset is even: legacy
 * LD_ABS loads, as classic BPF would, then r0 = accept ? 0xffff : 0. */
static int
load_even_ebpf (guint offset)
{
  struct bpf_insn insns[] = {
    { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 6, .src_reg = 1 },        /* r6 = ctx */
    { .code = BPF_LD | BPF_ABS | BPF_B, .imm = (gint32) offset },               /* r0 = byte */
    { .code = BPF_ALU64 | BPF_AND | BPF_K, .dst_reg = 0, .imm = 1 },            /* r0 &= 1 */
    { .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 2, .imm = 0 },    /* even → */
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },            /* drop */
    { .code = BPF_JMP | BPF_EXIT },
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0xffff },       /* keep */
    { .code = BPF_JMP | BPF_EXIT },
  };
  char log[4096] = "";
  LIBBPF_OPTS (bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof log, .log_level = 1);
  int fd = bpf_prog_load (BPF_PROG_TYPE_SOCKET_FILTER, "nr_even", "GPL", insns,
                          G_N_ELEMENTS (insns), &opts);

  if (fd < 0)
    g_test_message ("bpf_prog_load: %s\n%s", g_strerror (errno), log);
  return fd;
}

static gboolean
pred_even_test_frames (guint32 seq)
{
  /* byte 17 is the low byte of the sequence number of a test frame; in a
   * UDP frame it is the low byte of the IP length (length - 14) */
  return seq % 5 == 4 ? seq % 2 == 0 : ((64 + (seq % 7) * 100) - 14) % 2 == 0;
}

static void
test_ebpf (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = open_capture (veth, &error, "snap-length", 96u, NULL);
  int fd = load_even_ebpf (17);
  Received r;

  g_assert_no_error (error);
  if (fd < 0)
    {
      g_test_skip ("cannot load an eBPF socket filter (needs CAP_BPF)");
      return;
    }
  g_assert_true (netring_capture_attach_ebpf_filter (capture, fd, &error));
  g_assert_no_error (error);
  close (fd); /* the socket keeps the program */
  g_assert_null (netring_capture_get_filter (capture));

  /* the eBPF program decides the captured length: 0xffff, whole frames */
  send_mixed (veth, 0, 700);
  receive (capture, veth, count_matching (0, 700, pred_even_test_frames), 0, &r);
  assert_exact (&r, 0, 700, pred_even_test_frames);
  received_clear (&r);

  /* detach: everything again, with the snap length back in force */
  g_assert_true (netring_capture_detach_filter (capture, &error));
  g_assert_no_error (error);
  send_mixed (veth, 0, 700);
  receive (capture, veth, 700, 96, &r);
  assert_exact (&r, 0, 700, pred_all);
  received_clear (&r);

  /* a bad fd */
  g_assert_false (netring_capture_attach_ebpf_filter (capture, 0, &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
}

static void
test_ebpf_from_file (void)
{
#ifdef NR_TEST_EBPF_OBJECT
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = open_capture (veth, &error, NULL);
  Received r;

  g_assert_no_error (error);
  g_assert_false (netring_capture_attach_ebpf_filter_from_file (capture, NR_TEST_EBPF_OBJECT,
                                                                "no_such_program", &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (netring_capture_attach_ebpf_filter_from_file (capture, "/nonexistent.o",
                                                                "keep_udp_5000", &error));
  g_assert_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  if (!netring_capture_attach_ebpf_filter_from_file (capture, NR_TEST_EBPF_OBJECT,
                                                     "keep_udp_5000", &error))
    {
      if (g_error_matches (error, NETRING_ERROR, NETRING_ERROR_PERMISSION_DENIED))
        {
          g_test_skip (error->message);
          return;
        }
      g_assert_no_error (error);
    }
  send_mixed (veth, 0, 700);
  receive (capture, veth, count_matching (0, 700, pred_port_5000), 0, &r);
  assert_exact (&r, 0, 700, pred_port_5000);
  received_clear (&r);
#else
  g_test_skip ("no clang with a BPF target to build the eBPF object");
#endif
}

/* ---- timestamps, busy polling --------------------------------------------- */

static void
test_timestamps_veth_software (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  static const NetringTimestampSource sources[] = {
    NETRING_TIMESTAMP_SOURCE_SOFTWARE,
    NETRING_TIMESTAMP_SOURCE_SYS_HARDWARE,
    NETRING_TIMESTAMP_SOURCE_RAW_HARDWARE,
  };
  int stamp_fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int one = 1;
  guint s;

  /* The kernel stamps received skbs in software only while some socket asks
   * for receive timestamps (otherwise AF_PACKET reads the clock itself and
   * sets no TP_STATUS_TS_* bit): ask, so that the software stamp is there.
   * net_enable_timestamp() takes effect from a work queue: probe with frames
   * until one comes stamped, so the test starts once it took effect. */
  g_assert_no_errno (setsockopt (stamp_fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one));
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(NetringCapture) probe = open_capture (veth, &error, NULL);
    gint64 start = g_get_monotonic_time ();
    gboolean stamped = FALSE;
    guint32 seq;

    g_assert_no_error (error);
    for (seq = 1000; !stamped; seq++)
      {
        g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
        nr_test_send_frames (veth, seq, 1, 64);
        for (;;)
          {
            g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (probe), 10000, NULL,
                                                                               &error);
            g_autoptr(NetringPacket) packet = NULL;
            gsize len;

            g_assert_no_error (error);
            packet = netring_batch_get_packet (batch, netring_batch_get_n_packets (batch) - 1);
            if (nr_test_frame_seq (netring_packet_get_data (packet, &len)) != seq)
              continue;
            stamped = (netring_packet_get_status (packet) & NETRING_PACKET_STATUS_TS_SOFTWARE) != 0;
            break;
          }
      }
  }

  for (s = 0; s < G_N_ELEMENTS (sources); s++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NetringCapture) capture =
        open_capture (veth, &error, "timestamp-source", sources[s], NULL);
      gint64 before, after;
      guint n = 0;

      g_assert_no_error (error);
      before = g_get_real_time () * 1000;
      nr_test_send_frames (veth, 0, 20, 64);
      after = g_get_real_time () * 1000;
      while (n < 20)
        {
          g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 10000, NULL,
                                                                             &error);
          NetringBatchIter iter;
          NetringPacketInfo info;

          g_assert_no_error (error);
          netring_batch_iter_init (&iter, batch);
          while (netring_batch_iter_next (&iter, &info))
            {
              /* veth has no hardware clock: the kernel stamps in software
               * and says so, whatever was asked */
              g_assert_cmphex (info.status & (NETRING_PACKET_STATUS_TS_SOFTWARE |
                                              NETRING_PACKET_STATUS_TS_SYS_HARDWARE |
                                              NETRING_PACKET_STATUS_TS_RAW_HARDWARE),
                               ==, NETRING_PACKET_STATUS_TS_SOFTWARE);
              g_assert_cmpint (info.timestamp_ns, >=, before - 1000000);
              g_assert_cmpint (info.timestamp_ns, <=, after + 1000000);
              n++;
            }
        }
    }
  close (stamp_fd);
}

static void
test_busy_poll (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) plain = open_capture (veth, &error, NULL);
  g_autoptr(NetringCapture) capture = NULL;
  guint busy = 0, block_size = 0, block_count = 0;
  gint timeout = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (netring_capture_get_busy_poll_us (plain), ==, 0);

  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", veth->b, "profile",
                            NETRING_RING_PROFILE_LOW_LATENCY, "busy-poll-us", 50u, NULL);
  g_assert_no_error (error);
  /* read back from the kernel (getsockopt SO_BUSY_POLL) */
  g_assert_cmpuint (netring_capture_get_busy_poll_us (capture), ==, 50);
  g_object_get (capture, "busy-poll-us", &busy, "block-size", &block_size, "block-count",
                &block_count, "block-timeout-ms", &timeout, NULL);
  g_assert_cmpuint (busy, ==, 50);
  g_assert_cmpuint (block_size, ==, 256 * 1024);
  g_assert_cmpuint (block_count, ==, 64);
  g_assert_cmpint (timeout, ==, 1);

  /* and it captures: every frame, byte for byte, in order */
  nr_test_send_frames (veth, 0, 10, 64);
  {
    guint n = 0;

    while (n < 10)
      {
        g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL,
                                                                           &error);
        NetringBatchIter iter;
        NetringPacketInfo info;

        g_assert_no_error (error);
        netring_batch_iter_init (&iter, batch);
        while (netring_batch_iter_next (&iter, &info))
          {
            g_assert_cmpuint (info.captured_length, ==, 64);
            g_assert_cmpuint (info.wire_length, ==, 64);
            g_assert_true (nr_test_frame_check (info.data, 64, n, veth->mac_a, veth->mac_b));
            n++;
          }
      }
    g_assert_cmpuint (n, ==, 10);
    {
      g_autoptr(NetringBatch) extra = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 100, NULL,
                                                                         &error);
      g_assert_null (extra);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    }
  }
}

/* ---- the link type, from the capture's own socket ------------------------------ */

/* In this private network namespace sysfs still shows the host's
 * interfaces, but the link type comes from the capture's socket: a veth is
 * Ethernet, and its filter is compiled offline (the debug message is the
 * path taken), for Ethernet, at init and on a live capture. */
static void
test_link_type_offline (void)
{
  g_autoptr(NrTestVeth) veth = nr_test_veth_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(NetringBpfProgram) expected = NULL;
  g_autoptr(NetringBpfProgram) compiled = NULL;
  g_autofree gchar *expected_text = NULL;
  g_autofree gchar *compiled_text = NULL;
  Received r;
  g_autofree gchar *pattern = g_strdup_printf ("%s: link type 1 (ether): compiling filter "
                                               "“udp port 5001” offline for Ethernet",
                                               veth->b);

  g_test_expect_message ("Netring", G_LOG_LEVEL_DEBUG, pattern);
  capture = open_capture (veth, &error, "filter", "udp port 5001", NULL);
  g_assert_no_error (error);
  g_test_assert_expected_messages ();

  expected = netring_bpf_program_new_from_expression ("udp port 5001",
                                                      NETRING_LINK_TYPE_ETHERNET, 0, &error);
  g_assert_no_error (error);
  g_object_get (capture, "bpf-program", &compiled, NULL);
  expected_text = netring_bpf_program_to_text (expected);
  compiled_text = netring_bpf_program_to_text (compiled);
  g_assert_cmpstr (compiled_text, ==, expected_text);
  send_mixed (veth, 0, 200);
  receive (capture, veth, count_matching (0, 200, pred_port_5001), 0, &r);
  assert_exact (&r, 0, 200, pred_port_5001);
  received_clear (&r);

  /* a live capture takes the same path */
  g_free (pattern);
  pattern = g_strdup_printf ("%s: link type 1 (ether): compiling filter “udp port 5002” "
                             "offline for Ethernet", veth->b);
  g_test_expect_message ("Netring", G_LOG_LEVEL_DEBUG, pattern);
  g_assert_true (netring_capture_set_filter (capture, "udp port 5002", &error));
  g_assert_no_error (error);
  g_test_assert_expected_messages ();
}

/* The name of an interface that sysfs (mounted for the host's namespace,
 * not this test's) says is Ethernet and that does not exist here, so that a
 * tun device of that name is what sysfs would get wrong (issue 7). */
static gchar *
name_sysfs_calls_ethernet (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/sys/class/net", 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *path = g_build_filename ("/sys/class/net", name, "type", NULL);
      g_autofree gchar *type = NULL;

      if (strlen (name) < IF_NAMESIZE && if_nametoindex (name) == 0 &&
          g_file_get_contents (path, &type, NULL, NULL) && g_str_equal (type, "1\n"))
        return g_strdup (name);
    }
  return g_strdup ("nrtun0");
}

/* A tun device has no link header (ARPHRD_NONE): its filter is compiled for
 * raw IP through a live libpcap handle, never for Ethernet (even when sysfs
 * says an interface of that name is Ethernet), and filters exactly on the
 * packets written to the tun. */
static void
test_link_type_tun (void)
{
  g_autofree gchar *name = name_sysfs_calls_ethernet ();
  g_autofree gchar *pattern = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(NetringBpfProgram) raw = NULL;
  g_autoptr(NetringBpfProgram) compiled = NULL;
  g_autofree gchar *raw_text = NULL;
  g_autofree gchar *compiled_text = NULL;
  struct ifreq ifr;
  guint8 frame[256];
  guint32 seq, next = 0;
  int fd;

  fd = open ("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    {
      g_test_skip ("no /dev/net/tun");
      return;
    }
  memset (&ifr, 0, sizeof ifr);
  g_strlcpy (ifr.ifr_name, name, sizeof ifr.ifr_name);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  g_assert_no_errno (ioctl (fd, TUNSETIFF, &ifr));
  nr_test_ip ("link", "set", name, "up", NULL);

  g_test_message ("tun device “%s”", name);
  pattern = g_strdup_printf ("%s: link type 65534 (none): compiling filter “udp port 9” with "
                             "a live libpcap handle", name);
  g_test_expect_message ("Netring", G_LOG_LEVEL_DEBUG, pattern);
  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", name, "profile",
                            NETRING_RING_PROFILE_LOW_MEMORY, "block-timeout-ms", 10, "filter",
                            "udp port 9", NULL);
  g_assert_no_error (error);
  g_test_assert_expected_messages ();

  /* DLT_RAW (12 on Linux): the packet starts with the IP header */
  raw = netring_bpf_program_new_from_expression ("udp port 9", 12, 0, &error);
  g_assert_no_error (error);
  g_object_get (capture, "bpf-program", &compiled, NULL);
  raw_text = netring_bpf_program_to_text (raw);
  compiled_text = netring_bpf_program_to_text (compiled);
  g_assert_cmpstr (compiled_text, ==, raw_text);

  /* IPv4/UDP packets (the frames of nr_test_udp_frame_fill() without their
   * Ethernet header), every other one to port 9; the last one is to port 9,
   * so when it has arrived every earlier one was judged */
  for (seq = 0; seq < 20; seq++)
    {
      gsize length = 60 + seq * 4;

      nr_test_udp_frame_fill (frame, length, seq, IP (10, 7, 0, 1), IP (10, 7, 0, 2), 4000,
                              seq % 2 ? 9 : 10, frame, frame);
      g_assert_cmpint (write (fd, frame + 14, length - 14), ==, (gssize) (length - 14));
    }
  while (next < 19)
    {
      g_autoptr(NetringBatch) batch = netring_receiver_next_batch_timeout (NETRING_RECEIVER (capture), 5000, NULL,
                                                                         &error);
      NetringBatchIter iter;
      NetringPacketInfo info;

      g_assert_no_error (error);
      netring_batch_iter_init (&iter, batch);
      while (netring_batch_iter_next (&iter, &info))
        {
          gsize length;

          next = next == 0 ? 1 : next + 2; /* 1, 3, 5, … */
          length = 60 + next * 4;
          nr_test_udp_frame_fill (frame, length, next, IP (10, 7, 0, 1), IP (10, 7, 0, 2), 4000,
                                  9, frame, frame);
          g_assert_cmpuint (info.captured_length, ==, length - 14);
          g_assert_cmpmem (info.data, info.captured_length, frame + 14, length - 14);
        }
    }
  g_assert_cmpuint (next, ==, 19);
  close (fd);
}

int
main (int argc, char **argv)
{
  nr_test_net_enter_or_skip ("test-filter");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/filter/expression-exact", test_expression_exact);
  g_test_add_func ("/filter/bad-expression", test_bad_expression);
  g_test_add_func ("/filter/replace-phased", test_replace_phased);
  g_test_add_func ("/filter/replace-live", test_replace_live);
  g_test_add_func ("/filter/snap-length", test_snap_length);
  g_test_add_func ("/filter/snap-with-filter", test_snap_with_filter);
  g_test_add_func ("/filter/bpf-program", test_bpf_program);
  g_test_add_func ("/filter/bpf-program-errors", test_bpf_program_errors);
  g_test_add_func ("/filter/bpf-program-kernel-refuses", test_bpf_program_kernel_refuses);
  g_test_add_func ("/filter/vlan-expression", test_vlan_expression);
  g_test_add_func ("/filter/ebpf", test_ebpf);
  g_test_add_func ("/filter/ebpf-from-file", test_ebpf_from_file);
  g_test_add_func ("/filter/timestamps-veth-software", test_timestamps_veth_software);
  g_test_add_func ("/filter/busy-poll", test_busy_poll);
  g_test_add_func ("/filter/link-type-offline", test_link_type_offline);
  g_test_add_func ("/filter/link-type-tun", test_link_type_tun);
  return g_test_run ();
}
