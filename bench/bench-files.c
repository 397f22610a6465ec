/* bench-files.c: capture → pcap file on tmpfs, and the paths where a
 * binding only connects objects, in one run:
 *
 *   - receiver CPU per packet of a capture written to a file on tmpfs:
 *     NetringPcapWriter from C (pcap and pcapng), from Python (a capture's
 *     ::batch connected to write_batch through the typelib), `tcpdump -w`,
 *     and the bare TPACKET_V3 ring without a file (the floor);
 *   - forwarder CPU per frame of a capture joined to an injector
 *     (netring_bridge_new_with_endpoints) and of a bridge without a verdict,
 *     each from C and from Python.
 *
 * The Python rows run bench/bench_files_child.py in a child process pinned
 * to the receiver's CPU; tcpdump is a child process too. Their CPU is
 * counted from the moment they say they are ready to their exit (the
 * kernel's schedstat at ready, wait4()'s rusage at the end), so start-up
 * (the interpreter, the ring set-up) is left out, as it is for the C
 * threads. See bench/README.md.
 *
 *   bgen0 ── bdut0 : receiver / forwarder : bdutb0 ── bcnt0
 */
#define _GNU_SOURCE
#include "bench-common.h"

#include <netring/netring.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <locale.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_IF "bdutb0"
#define SINK_IF "bcnt0"

/* the capture ring of the file rows, for netring and tcpdump alike */
#define FILE_BLOCK_SIZE (4u << 20)
#define FILE_BLOCK_COUNT 16u
#define FILE_TIMEOUT_MS 10
/* the bridge's own default rings, which the endpoints rows copy */
#define FW_BLOCK_SIZE (32u * 1024u)
#define FW_BLOCK_COUNT 8192u
#define FW_FRAME_SIZE 2048u
#define FW_TIMEOUT_MS 1
#define FW_TX_FRAME_SIZE 2048u
#define FW_TX_FRAME_COUNT 1024u

typedef enum {
  K_BARE,
  K_BARE_WRITE,
  K_C_PCAP,
  K_C_PCAPNG,
  K_PY_PCAP,
  K_TCPDUMP,
  K_C_ENDPOINTS,
  K_PY_ENDPOINTS,
  K_C_BRIDGE,
  K_PY_BRIDGE,
  N_KINDS
} Kind;

static const char *const kind_names[N_KINDS] = {
  "bare-ring", "bare-ring-write", "c-writer-pcap", "c-writer-pcapng", "python-writer-pcap", "tcpdump-w",
  "c-capture-injector", "python-capture-injector", "c-bridge", "python-bridge",
};

static gboolean
is_forwarder (Kind k)
{
  return k >= K_C_ENDPOINTS;
}

static gboolean
is_child (Kind k)
{
  return k == K_PY_PCAP || k == K_TCPDUMP || k == K_PY_ENDPOINTS || k == K_PY_BRIDGE;
}

static struct {
  gint64 count;
  gint size;
  gint runs;
  gchar *kinds;
  gchar *python;
  gchar *dir;
  gboolean null;
} opt = {
  .count = 1000000,
  .size = 64,
  .runs = 3,
  .kinds = NULL,
  .python = NULL,
  .dir = NULL,
};

typedef struct {
  Kind kind;
  const BenchNet *net;
  guint64 target;
  gchar *path;          /* the capture file of the file rows */

  BenchLatch ready;
  gint stop;            /* atomic: the controller says stop */
  gint64 published;     /* atomic: packets written so far (in-process rows) */
  GCancellable *cancellable;
  GMainLoop *loop;

  /* a child process */
  GPid pid;
  int out_fd;           /* its stdout (Python) or stderr (tcpdump) */
  gint64 child_cpu0;

  /* results */
  gint64 cpu_ns;
  gint64 self_cpu_ns;   /* what a Python child measured itself, for comparison */
  guint64 received;     /* written to the file, or taken by the forwarder */
  guint64 drops;
  guint64 batches;      /* ::batch emissions of the writer rows */
  gchar *error;
} Trial;

/* ---- in-process receivers and forwarders (CPU 1) ------------------------------ */

static void
trial_fail (Trial *t, const char *what, const GError *error)
{
  t->error = g_strdup_printf ("%s: %s", what, error->message);
}

/* The bare ring, no file: what is left when nothing but reading ring memory
 * is done. */
static void
run_bare (Trial *t)
{
  g_autoptr(GError) error = NULL;
  BenchRxRing ring;
  gint64 cpu0;

  if (!bench_rx_ring_open (&ring, t->net->rx_ifindex, FILE_BLOCK_SIZE, FILE_BLOCK_COUNT,
                           FILE_TIMEOUT_MS, &error))
    {
      trial_fail (t, "RX ring", error);
      bench_rx_ring_close (&ring);
      bench_latch_set (&t->ready);
      return;
    }
  cpu0 = bench_thread_cpu_ns ();
  bench_latch_set (&t->ready);
  while (ring.packets < t->target && !g_atomic_int_get (&t->stop))
    {
      if (!bench_rx_ring_poll (&ring, 100, &error))
        {
          trial_fail (t, "RX ring", error);
          break;
        }
      __atomic_store_n (&t->published, (gint64) ring.packets, __ATOMIC_RELEASE);
    }
  t->cpu_ns = bench_thread_cpu_ns () - cpu0;
  t->received = ring.packets;
  t->drops = bench_rx_ring_drops (&ring);
  bench_rx_ring_close (&ring);
}

/* The least a writer can cost: the bare ring, each packet's 16-byte pcap
 * record header and bytes copied into a 1 MiB buffer, one write() per full
 * buffer; no library, no VLAN tags, no snap length, no error handling
 * beyond giving up. The file system's part of every writer's cost is in
 * here too. */
static void
run_bare_write (Trial *t)
{
  g_autoptr(GError) error = NULL;
  const gsize buffer_size = 1 << 20;
  g_autofree guint8 *buffer = g_malloc (buffer_size);
  BenchRxRing ring;
  gsize used = 0;
  gint64 cpu0;
  guint64 written = 0;
  int fd;
  struct {
    guint32 magic;
    guint16 major, minor;
    gint32 zone;
    guint32 sigfigs, snaplen, linktype;
  } header = { 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1 };

  fd = open (t->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || !bench_rx_ring_open (&ring, t->net->rx_ifindex, FILE_BLOCK_SIZE,
                                     FILE_BLOCK_COUNT, FILE_TIMEOUT_MS, &error))
    {
      t->error = g_strdup_printf ("%s: %s", t->path, error != NULL ? error->message
                                                                  : g_strerror (errno));
      if (fd >= 0)
        {
          close (fd);
          bench_rx_ring_close (&ring);
        }
      bench_latch_set (&t->ready);
      return;
    }
  memcpy (buffer, &header, sizeof header);
  used = sizeof header;
  cpu0 = bench_thread_cpu_ns ();
  bench_latch_set (&t->ready);
  while (written < t->target && !g_atomic_int_get (&t->stop))
    {
      struct tpacket_block_desc *desc = bench_rx_ring_wait_block (&ring, 100, NULL);
      const guint8 *p;
      guint32 n;

      if (desc == NULL)
        continue;
      n = desc->hdr.bh1.num_pkts;
      p = (const guint8 *) desc + desc->hdr.bh1.offset_to_first_pkt;
      for (guint32 i = 0; i < n; i++)
        {
          const struct tpacket3_hdr *hdr = (const struct tpacket3_hdr *) p;
          guint32 record[4] = { hdr->tp_sec, hdr->tp_nsec / 1000, hdr->tp_snaplen, hdr->tp_len };

          if (used + sizeof record + hdr->tp_snaplen > buffer_size)
            {
              if (write (fd, buffer, used) != (gssize) used)
                t->error = g_strdup_printf ("write: %s", g_strerror (errno));
              used = 0;
            }
          memcpy (buffer + used, record, sizeof record);
          memcpy (buffer + used + sizeof record, p + hdr->tp_mac, hdr->tp_snaplen);
          used += sizeof record + hdr->tp_snaplen;
          p += hdr->tp_next_offset;
        }
      bench_rx_ring_release_block (&ring, desc);
      written += n;
      __atomic_store_n (&t->published, (gint64) written, __ATOMIC_RELEASE);
    }
  if (used > 0 && write (fd, buffer, used) != (gssize) used)
    t->error = g_strdup_printf ("write: %s", g_strerror (errno));
  t->cpu_ns = bench_thread_cpu_ns () - cpu0;
  t->received = written;
  t->drops = bench_rx_ring_drops (&ring);
  bench_rx_ring_close (&ring);
  close (fd);
}

typedef struct {
  Trial *t;
  NetringPcapWriter *writer;
  guint64 written;
} WriterRun;

/* what the Python child does too: one write_batch per ::batch */
static void
on_batch (NetringReceiver *receiver, NetringBatch *batch, WriterRun *w)
{
  g_autoptr(GError) error = NULL;

  if (!netring_pcap_writer_write_batch (w->writer, 0, batch, NULL, &error))
    {
      if (w->t->error == NULL)
        trial_fail (w->t, "write_batch", error);
      g_main_loop_quit (w->t->loop);
      return;
    }
  w->written += netring_batch_get_n_packets (batch);
  w->t->batches++;
  __atomic_store_n (&w->t->published, (gint64) w->written, __ATOMIC_RELEASE);
  if (w->written >= w->t->target)
    g_main_loop_quit (w->t->loop);
}

static gboolean
on_tick (gpointer data)
{
  Trial *t = data;

  if (g_atomic_int_get (&t->stop))
    g_main_loop_quit (t->loop);
  return G_SOURCE_CONTINUE;
}

static void
run_c_writer (Trial *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringCapture) capture = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (t->path);
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(NetringPcapWriter) writer = NULL;
  g_autoptr(NetringReceiverStats) stats = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) tick = g_timeout_source_new (100);
  WriterRun w = { t, NULL, 0 };
  gint64 cpu0;

  g_main_context_push_thread_default (context);
  t->loop = g_main_loop_new (context, FALSE);
  capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", t->net->rx_if,
                            "block-size", FILE_BLOCK_SIZE, "block-count", FILE_BLOCK_COUNT,
                            "block-timeout-ms", FILE_TIMEOUT_MS, NULL);
  if (capture != NULL)
    stream = opt.null ? g_file_append_to (file, G_FILE_CREATE_NONE, NULL, &error)
                      : g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
  if (stream != NULL)
    writer = netring_pcap_writer_new (G_OUTPUT_STREAM (stream),
                                      t->kind == K_C_PCAPNG ? NETRING_PCAP_FORMAT_PCAPNG
                                                            : NETRING_PCAP_FORMAT_PCAP,
                                      &error);
  if (writer == NULL ||
      netring_pcap_writer_add_interface_for_receiver (writer, NETRING_RECEIVER (capture),
                                                      &error) < 0)
    {
      trial_fail (t, "writer", error);
      bench_latch_set (&t->ready);
      goto out;
    }
  w.writer = writer;
  g_signal_connect (capture, "batch", G_CALLBACK (on_batch), &w);
  g_source_set_callback (tick, on_tick, t, NULL);
  g_source_attach (tick, context);
  if (!netring_receiver_start (NETRING_RECEIVER (capture), &error))
    {
      trial_fail (t, "start", error);
      bench_latch_set (&t->ready);
      goto out;
    }
  cpu0 = bench_thread_cpu_ns ();
  bench_latch_set (&t->ready);
  g_main_loop_run (t->loop);
  t->cpu_ns = bench_thread_cpu_ns () - cpu0;
  netring_receiver_stop (NETRING_RECEIVER (capture));
  g_source_destroy (tick);
  stats = netring_receiver_get_stats (NETRING_RECEIVER (capture), NULL);
  t->drops = stats != NULL ? stats->drops : 0;
  t->received = w.written;
  if (!netring_pcap_writer_close (writer, NULL, &error))
    trial_fail (t, "close", error);
out:
  g_clear_pointer (&t->loop, g_main_loop_unref);
  g_main_context_pop_thread_default (context);
}

static void
on_run_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Trial *t = data;
  g_autoptr(GError) error = NULL;

  if (!netring_bridge_run_finish (NETRING_BRIDGE (source), result, &error))
    trial_fail (t, "run", error);
  g_main_loop_quit (t->loop);
}

/* What the Python child does too: a bridge run with run_async in the
 * thread's main context until the cancellable is cancelled. */
static void
run_c_forwarder (Trial *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringBridge) bridge = NULL;
  g_autoptr(NetringBridgeStats) stats = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  gint64 cpu0;

  g_main_context_push_thread_default (context);
  t->loop = g_main_loop_new (context, FALSE);
  if (t->kind == K_C_ENDPOINTS)
    {
      g_autoptr(NetringCapture) capture = NULL;
      g_autoptr(NetringInjector) injector = NULL;

      capture = g_initable_new (NETRING_TYPE_CAPTURE, NULL, &error, "interface", t->net->rx_if,
                                "block-size", FW_BLOCK_SIZE, "block-count", FW_BLOCK_COUNT,
                                "frame-size", FW_FRAME_SIZE, "block-timeout-ms", FW_TIMEOUT_MS,
                                "promiscuous", TRUE, "ignore-outgoing", TRUE, NULL);
      if (capture != NULL)
        injector = g_initable_new (NETRING_TYPE_INJECTOR, NULL, &error, "interface", OUT_IF,
                                   "frame-size", FW_TX_FRAME_SIZE, "frame-count",
                                   FW_TX_FRAME_COUNT, "qdisc-bypass", TRUE, NULL);
      if (injector != NULL)
        bridge = netring_bridge_new_with_endpoints (NETRING_RECEIVER (capture),
                                                    NETRING_SENDER (injector), NULL, NULL,
                                                    &error);
    }
  else
    bridge = g_initable_new (NETRING_TYPE_BRIDGE, NULL, &error, "interface-a", t->net->rx_if,
                             "interface-b", OUT_IF, "direction",
                             NETRING_BRIDGE_DIRECTIONS_A_TO_B, NULL);
  if (bridge == NULL)
    {
      trial_fail (t, "bridge", error);
      bench_latch_set (&t->ready);
      goto out;
    }
  netring_bridge_run_async (bridge, t->cancellable, on_run_done, t);
  cpu0 = bench_thread_cpu_ns ();
  bench_latch_set (&t->ready);
  g_main_loop_run (t->loop);
  t->cpu_ns = bench_thread_cpu_ns () - cpu0;
  stats = netring_bridge_get_stats (bridge, NULL);
  if (stats != NULL)
    {
      t->received = stats->a_to_b_received;
      t->drops = stats->a_to_b_kernel_drops;
    }
out:
  g_clear_pointer (&t->loop, g_main_loop_unref);
  g_main_context_pop_thread_default (context);
}

static gpointer
in_process_thread (gpointer data)
{
  Trial *t = data;

  bench_pin_to_cpu (BENCH_CPU_RECEIVER);
  switch (t->kind)
    {
    case K_BARE:
      run_bare (t);
      break;
    case K_BARE_WRITE:
      run_bare_write (t);
      break;
    case K_C_PCAP:
    case K_C_PCAPNG:
      run_c_writer (t);
      break;
    default:
      run_c_forwarder (t);
      break;
    }
  return NULL;
}

/* ---- child processes (CPU 1) ------------------------------------------------ */

static void
child_setup (gpointer data)
{
  cpu_set_t set;

  CPU_ZERO (&set);
  CPU_SET (BENCH_CPU_RECEIVER, &set);
  sched_setaffinity (0, sizeof set, &set);
}

/* CPU time of every thread of @pid so far, from the scheduler's own
 * nanosecond counters. */
static gint64
process_cpu_ns (GPid pid)
{
  g_autofree gchar *dir_path = g_strdup_printf ("/proc/%d/task", pid);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const gchar *name;
  gint64 total = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *path = g_strdup_printf ("%s/%s/schedstat", dir_path, name);
      g_autofree gchar *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL))
        total += g_ascii_strtoll (text, NULL, 10);
    }
  return total;
}

static gchar *
read_line (int fd)
{
  g_autoptr(GString) line = g_string_new (NULL);
  char c;

  while (read (fd, &c, 1) == 1)
    {
      if (c == '\n')
        return g_string_free (g_steal_pointer (&line), FALSE);
      g_string_append_c (line, c);
    }
  return line->len > 0 ? g_string_free (g_steal_pointer (&line), FALSE) : NULL;
}

static gboolean
start_child (Trial *t)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *script = g_build_filename (BENCH_SOURCE_DIR, "bench_files_child.py", NULL);
  g_autofree gchar *count = g_strdup_printf ("%" G_GINT64_FORMAT, opt.count);
  g_autofree gchar *buffer_kib = g_strdup_printf ("%u", FILE_BLOCK_SIZE / 1024 * FILE_BLOCK_COUNT);
  const gchar *argv[16] = { NULL };
  const gchar *ready_prefix;
  gboolean on_stderr = t->kind == K_TCPDUMP;
  int out_fd = -1, err_fd = -1;

  switch (t->kind)
    {
    case K_TCPDUMP:
      /* what people type: -w to a file, a 64 MiB ring as the others have,
       * full snap length, no name resolution; -Z root so that it writes
       * where it was asked */
      argv[0] = "tcpdump";
      argv[1] = "-i";
      argv[2] = t->net->rx_if;
      argv[3] = "-w";
      argv[4] = t->path;
      argv[5] = "-B";
      argv[6] = buffer_kib;
      argv[7] = "-s";
      argv[8] = "0";
      argv[9] = "-n";
      argv[10] = "-Z";
      argv[11] = "root";
      argv[12] = "-c";
      argv[13] = count;
      ready_prefix = "listening on";
      break;
    case K_PY_PCAP:
      argv[0] = opt.python;
      argv[1] = script;
      argv[2] = "writer";
      argv[3] = t->path;
      argv[4] = "pcap";
      argv[5] = t->net->rx_if;
      argv[6] = count;
      ready_prefix = "ready";
      break;
    default:
      argv[0] = opt.python;
      argv[1] = script;
      argv[2] = t->kind == K_PY_ENDPOINTS ? "endpoints" : "bridge";
      argv[3] = t->net->rx_if;
      argv[4] = OUT_IF;
      ready_prefix = "ready";
      break;
    }
  if (!g_spawn_async_with_pipes (NULL, (gchar **) argv, NULL,
                                 G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, child_setup,
                                 NULL, &t->pid, NULL, on_stderr ? NULL : &out_fd,
                                 on_stderr ? &err_fd : NULL, &error))
    {
      trial_fail (t, argv[0], error);
      return FALSE;
    }
  /* the other stream is ours: Python's warnings and errors show */
  t->out_fd = on_stderr ? err_fd : out_fd;
  for (;;)
    {
      g_autofree gchar *line = read_line (t->out_fd);

      if (line == NULL)
        {
          t->error = g_strdup_printf ("%s ended before it was ready", argv[0]);
          waitpid (t->pid, NULL, 0);
          close (t->out_fd);
          return FALSE;
        }
      if (strstr (line, ready_prefix) != NULL)
        break;
    }
  t->child_cpu0 = process_cpu_ns (t->pid);
  return TRUE;
}

/* Reaps the child (after SIGINT when @interrupt) and reads what it said. */
static void
finish_child (Trial *t, gboolean interrupt)
{
  struct rusage usage;
  int status;
  gchar *line;

  if (interrupt)
    kill (t->pid, SIGINT);
  while (wait4 (t->pid, &status, 0, &usage) < 0 && errno == EINTR)
    ;
  t->cpu_ns = (gint64) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000 +
              (gint64) (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000 - t->child_cpu0;
  while ((line = read_line (t->out_fd)) != NULL)
    {
      guint64 n;

      if (t->kind == K_TCPDUMP)
        {
          /* "N packets captured", "N packets dropped by kernel" */
          if (strstr (line, "packets captured") != NULL)
            t->received = g_ascii_strtoull (line, NULL, 10);
          else if (strstr (line, "dropped by kernel") != NULL)
            t->drops = g_ascii_strtoull (line, NULL, 10);
        }
      else if (sscanf (line, "received=%" G_GUINT64_FORMAT, &n) == 1)
        t->received = n;
      else if (sscanf (line, "drops=%" G_GUINT64_FORMAT, &n) == 1)
        t->drops = n;
      else if (sscanf (line, "cpu_ns=%" G_GUINT64_FORMAT, &n) == 1)
        t->self_cpu_ns = (gint64) n;
      else if (sscanf (line, "batches=%" G_GUINT64_FORMAT, &n) == 1)
        t->batches = n;
      g_free (line);
    }
  close (t->out_fd);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    t->error = g_strdup_printf ("the child process failed (status %d)", status);
}

static guint64
file_size (const char *path)
{
  struct stat st;

  return path != NULL && stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

static gboolean
child_alive (GPid pid)
{
  siginfo_t info = { 0 };

  /* WNOWAIT: look, do not reap */
  return waitid (P_PID, (id_t) pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
}

/* ---- generator (CPU 0) -------------------------------------------------------- */

typedef struct {
  const BenchNet *net;
  const guint8 *frame;
  BenchTxResult result;
  gchar *error;
} Generator;

static gpointer
generator_thread (gpointer data)
{
  Generator *g = data;
  g_autoptr(GError) error = NULL;
  BenchTxRing ring;

  bench_pin_to_cpu (BENCH_CPU_SENDER);
  if (!bench_tx_ring_open (&ring, g->net->tx_ifindex, 2048, 1024, TRUE, &error) ||
      !bench_tx_ring_send (&ring, g->frame, (gsize) opt.size, (guint64) opt.count, &g->result,
                           &error))
    g->error = g_strdup (error->message);
  bench_tx_ring_close (&ring);
  return NULL;
}

/* ---- controller ----------------------------------------------------------------- */

typedef struct {
  gboolean ok;
  double ns;            /* receiver or forwarder CPU per packet */
  guint64 received;
  guint64 drops;
  guint64 lost;         /* neither received nor counted as dropped */
} Result;

/* The progress the controller watches: packets written (in process), the
 * file's size (child writers) or the frames arriving at the far end
 * (forwarders). */
static guint64
progress (Trial *t, guint64 sink0)
{
  if (is_forwarder (t->kind))
    return bench_iface_stat (SINK_IF, "rx_packets") - sink0;
  if (is_child (t->kind))
    return file_size (t->path);
  return (guint64) __atomic_load_n (&t->published, __ATOMIC_ACQUIRE);
}

static Result
run_trial (Kind kind, const BenchNet *net, const guint8 *frame)
{
  Result res = { 0 };
  Trial t = { 0 };
  Generator g = { 0 };
  GThread *thread = NULL, *gen;
  guint64 in0, sink0, last, offered;
  gint64 last_change;
  gboolean exited = FALSE;

  t.kind = kind;
  t.net = net;
  t.target = (guint64) opt.count;
  t.cancellable = g_cancellable_new ();
  if (!is_forwarder (kind) && kind != K_BARE && opt.null)
    t.path = g_strdup ("/dev/null");
  else if (!is_forwarder (kind) && kind != K_BARE)
    t.path = g_strdup_printf ("%s/%s.%s", opt.dir, kind_names[kind],
                              kind == K_C_PCAPNG ? "pcapng" : "pcap");
  bench_latch_init (&t.ready);
  in0 = bench_iface_stat (net->rx_if, "rx_packets");
  sink0 = bench_iface_stat (SINK_IF, "rx_packets");

  if (is_child (kind))
    {
      if (!start_child (&t))
        goto out;
    }
  else
    {
      thread = g_thread_new (kind_names[kind], in_process_thread, &t);
      bench_latch_wait (&t.ready);
      if (t.error != NULL)
        {
          g_thread_join (thread);
          goto out;
        }
    }

  g.net = net;
  g.frame = frame;
  gen = g_thread_new ("generator", generator_thread, &g);
  g_thread_join (gen);

  /* done when the receiver has every frame (or the child exited), or when
   * nothing moved for 500 ms (2 s for tcpdump, whose read timeout is 1 s:
   * the last block comes that late) */
  last = G_MAXUINT64;
  last_change = bench_now_ns ();
  for (;;)
    {
      guint64 now_progress = progress (&t, sink0);
      gint64 now = bench_now_ns ();

      offered = bench_iface_stat (net->rx_if, "rx_packets") - in0;
      if (is_child (kind) && !child_alive (t.pid))
        {
          exited = TRUE;
          break;
        }
      if (is_forwarder (kind) ? now_progress >= offered
                              : !is_child (kind) && now_progress >= t.target)
        break;
      if (now_progress != last)
        {
          last = now_progress;
          last_change = now;
        }
      else if (now - last_change > (kind == K_TCPDUMP ? 2000 : 500) * G_GINT64_CONSTANT (1000000))
        break;
      g_usleep (2000);
    }

  if (is_child (kind))
    finish_child (&t, !exited);
  else
    {
      g_atomic_int_set (&t.stop, 1);
      g_cancellable_cancel (t.cancellable);
      g_thread_join (thread);
    }
  if (t.error != NULL || g.error != NULL)
    goto out;

  res.ok = TRUE;
  offered = bench_iface_stat (net->rx_if, "rx_packets") - in0;
  if (is_forwarder (kind))
    {
      /* what arrived at the far end, whatever the forwarder says */
      guint64 delivered = bench_iface_stat (SINK_IF, "rx_packets") - sink0;

      res.received = delivered;
      res.drops = t.drops;
      res.lost = offered > delivered + t.drops ? offered - delivered - t.drops : 0;
    }
  else
    {
      res.received = t.received;
      res.drops = t.drops;
      res.lost = (guint64) opt.count > t.received + t.drops
                   ? (guint64) opt.count - t.received - t.drops
                   : 0;
    }
  /* a Python child's own measure is the like of a C thread's: from ready
   * to the end of its loop, without the interpreter's shutdown */
  res.ns = res.received ? (double) (t.self_cpu_ns > 0 ? t.self_cpu_ns : t.cpu_ns) /
                            (double) res.received
                        : 0;
  g_print ("  %-24s %s %9" G_GUINT64_FORMAT " drops %7" G_GUINT64_FORMAT " lost %6"
           G_GUINT64_FORMAT " | %6.1f ns CPU/pkt",
           kind_names[kind], is_forwarder (kind) ? "delivered" : "written  ", res.received,
           res.drops, res.lost, res.ns);
  if (t.path != NULL)
    g_print (" | file %.1f MB", (double) file_size (t.path) / 1e6);
  if (t.batches > 0)
    g_print (" | %" G_GUINT64_FORMAT " batches", t.batches);
  if (t.self_cpu_ns > 0)
    g_print (" | to exit %.1f ns/pkt", (double) t.cpu_ns / (double) MAX (res.received, 1));
  g_print (" | generator %.3f Mpps\n",
           (double) g.result.queued * 1e3 / (double) (g.result.end_ns - g.result.start_ns));

out:
  if (t.error != NULL || g.error != NULL)
    g_printerr ("  %s: %s\n", kind_names[kind], t.error != NULL ? t.error : g.error);
  if (t.path != NULL && !opt.null)
    g_unlink (t.path);
  g_free (t.path);
  g_free (t.error);
  g_free (g.error);
  g_object_unref (t.cancellable);
  bench_latch_clear (&t.ready);
  return res;
}

static gboolean
selected (Kind kind)
{
  g_auto(GStrv) names = NULL;

  if (opt.kinds == NULL)
    return TRUE;
  names = g_strsplit (opt.kinds, ",", -1);
  return g_strv_contains ((const gchar *const *) names, kind_names[kind]);
}

/* The ratio of two rows: of their medians, and the median of the ratios
 * within each run (the two rows ran seconds apart there, so a machine
 * whose load drifts during the benchmark disturbs it less). */
static void
print_ratio (const Result *results, const double *med, Kind a, Kind b, const char *target,
             double limit)
{
  g_autofree double *ratios = g_new0 (double, opt.runs);
  guint n = 0;
  double per_run;

  if (med[a] <= 0 || med[b] <= 0)
    return;
  for (gint run = 0; run < opt.runs; run++)
    {
      const Result *ra = &results[run * N_KINDS + a], *rb = &results[run * N_KINDS + b];

      if (ra->ok && rb->ok && ra->ns > 0 && rb->ns > 0)
        ratios[n++] = ra->ns / rb->ns;
    }
  per_run = n > 0 ? bench_median (ratios, n) : 0;
  g_print ("  %-24s / %-20s = %.3f (median of the runs' ratios %.3f)", kind_names[a],
           kind_names[b], med[a] / med[b], per_run);
  if (target != NULL)
    g_print ("  target %s: %s", target, med[a] / med[b] <= limit ? "met" : "NOT met");
  g_print ("\n");
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *frame = NULL;
  g_autofree Result *results = NULL;
  double med[N_KINDS] = { 0 };
  BenchNet net;
  GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT64, &opt.count, "Frames per trial (1000000)", "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &opt.size, "Frame size in bytes, without FCS (64)", "S" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &opt.runs, "Repetitions; medians are reported (3)", "R" },
    { "rows", 0, 0, G_OPTION_ARG_STRING, &opt.kinds,
      "Comma-separated subset of bare-ring, bare-ring-write, c-writer-pcap, c-writer-pcapng, python-writer-pcap, "
      "tcpdump-w, c-capture-injector, python-capture-injector, c-bridge, python-bridge", "LIST" },
    { "python", 0, 0, G_OPTION_ARG_STRING, &opt.python,
      "The Python with PyGObject (/usr/bin/python3)", "PATH" },
    { "dir", 0, 0, G_OPTION_ARG_STRING, &opt.dir, "A directory on tmpfs (/dev/shm)", "DIR" },
    { "null", 0, 0, G_OPTION_ARG_NONE, &opt.null,
      "Write to /dev/null: the writers' own cost, without the file system's", NULL },
    G_OPTION_ENTRY_NULL
  };

  setlocale (LC_ALL, "");
  octx = g_option_context_new ("- capture to files, and objects connected from Python");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt.count <= 0 || opt.size < 60 || opt.size > 1514 || opt.runs <= 0)
    {
      g_printerr ("--count must be > 0, --size within 60..1514, --runs > 0\n");
      return 2;
    }
  if (opt.python == NULL)
    opt.python = g_strdup ("/usr/bin/python3");

  /* First, before any thread exists (GLib may start some). */
  bench_net_setup (&net);
  bench_net_add_pair (OUT_IF, SINK_IF);
  bench_pin_to_cpu (BENCH_CPU_SENDER); /* the controller stays off the receiver's CPU */
  if (opt.dir == NULL)
    {
      opt.dir = g_dir_make_tmp ("bench-files-XXXXXX", &error);
      if (opt.dir == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
    }
  else
    {
      g_autofree gchar *tmpl = g_build_filename (opt.dir, "bench-files-XXXXXX", NULL);

      if (g_mkdtemp (tmpl) == NULL)
        {
          g_printerr ("cannot make a directory in %s: %s\n", opt.dir, g_strerror (errno));
          return 1;
        }
      g_free (opt.dir);
      opt.dir = g_steal_pointer (&tmpl);
    }

  frame = g_malloc (opt.size);
  bench_frame_build (frame, opt.size, net.rx_mac, net.tx_mac);
  g_print ("bench-files: %" G_GINT64_FORMAT " frames of %d B per trial, %d run(s); files in %s; "
           "capture ring %u × %u B, timeout %d ms; forwarders: the bridge's rings; generator "
           "on CPU %d, receiver/forwarder on CPU %d\n",
           opt.count, opt.size, opt.runs, opt.dir, FILE_BLOCK_COUNT, FILE_BLOCK_SIZE,
           FILE_TIMEOUT_MS, BENCH_CPU_SENDER, BENCH_CPU_RECEIVER);

  results = g_new0 (Result, (gsize) opt.runs * N_KINDS);
  for (gint run = 0; run < opt.runs; run++)
    {
      g_print ("run %d/%d\n", run + 1, opt.runs);
      for (Kind k = 0; k < N_KINDS; k++)
        if (selected (k))
          results[run * N_KINDS + k] = run_trial (k, &net, frame);
    }
  g_rmdir (opt.dir);

  g_print ("\nmedian of %d run(s), %" G_GINT64_FORMAT " × %d B frames:\n", opt.runs, opt.count,
           opt.size);
  g_print ("| row | CPU ns/pkt | written or delivered (min) | drops (max) | lost (max) |\n");
  g_print ("|---|---:|---:|---:|---:|\n");
  for (Kind k = 0; k < N_KINDS; k++)
    {
      g_autofree double *ns = g_new0 (double, opt.runs);
      guint64 min_recv = G_MAXUINT64, max_drops = 0, max_lost = 0;
      guint n = 0;

      if (!selected (k))
        continue;
      for (gint run = 0; run < opt.runs; run++)
        {
          Result *r = &results[run * N_KINDS + k];

          if (!r->ok)
            continue;
          ns[n++] = r->ns;
          min_recv = MIN (min_recv, r->received);
          max_drops = MAX (max_drops, r->drops);
          max_lost = MAX (max_lost, r->lost);
        }
      if (n == 0)
        {
          g_print ("| %s | failed | | | |\n", kind_names[k]);
          continue;
        }
      med[k] = bench_median (ns, n);
      g_print ("| %s | %.1f | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
               " |\n", kind_names[k], med[k], min_recv, max_drops, max_lost);
    }

  g_print ("\nratios of the medians:\n");
  print_ratio (results, med, K_C_PCAP, K_TCPDUMP, "<= 0.5", 0.5);
  print_ratio (results, med, K_C_PCAPNG, K_TCPDUMP, "<= 0.5", 0.5);
  print_ratio (results, med, K_PY_PCAP, K_TCPDUMP, "<= 0.5", 0.5);
  print_ratio (results, med, K_PY_PCAP, K_C_PCAP, "<= 1.1", 1.1);
  print_ratio (results, med, K_PY_ENDPOINTS, K_C_ENDPOINTS, "<= 1.1", 1.1);
  print_ratio (results, med, K_PY_BRIDGE, K_C_BRIDGE, "<= 1.1", 1.1);
  print_ratio (results, med, K_C_PCAP, K_BARE_WRITE, NULL, 0);
  print_ratio (results, med, K_TCPDUMP, K_BARE_WRITE, NULL, 0);
  print_ratio (results, med, K_BARE_WRITE, K_TCPDUMP, NULL, 0);
  return 0;
}
