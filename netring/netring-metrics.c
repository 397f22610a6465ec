/* netring-metrics.c: NetringMetrics, the counters of registered objects in
 * the Prometheus text exposition format, and its HTTP endpoint */
#include "netring-private.h"

#include <string.h>

#if NETRING_HAVE_SOUP
#include <libsoup/soup.h>
#endif

/**
 * SECTION:netring-metrics
 * @short_description: Prometheus metrics of captures, injectors, sockets,
 *   bridges and writers
 * @title: NetringMetrics
 * @see_also: #NetringReceiverStats, #NetringInjectorStats, #NetringXdpStats,
 *   #NetringBridgeStats, #NetringPcapWriterStats
 *
 * #NetringMetrics collects the counters of netring objects and renders
 * them in the Prometheus text exposition format (version 0.0.4), which
 * Prometheus, VictoriaMetrics, the OpenTelemetry collector and most
 * monitoring agents scrape.
 *
 * Register objects with netring_metrics_add(): a #NetringCapture (any
 * #NetringReceiver), a #NetringFanoutGroup, a #NetringInjector, a
 * #NetringXdpSocket, a #NetringBridge or a #NetringPcapWriter, each with an
 * instance name of your choosing that becomes the `instance` label. The collector holds them
 * weakly: an object that is finalized disappears from the output, so
 * registering never keeps a ring mapped. netring_metrics_render() reads
 * every counter when it is called; reading changes nothing, so any number
 * of scrapers may read the same objects.
 *
 * |[<!-- language="C" -->
 * g_autoptr(NetringMetrics) metrics = netring_metrics_new ();
 * netring_metrics_add (metrics, G_OBJECT (capture), "edge");
 * netring_metrics_add (metrics, G_OBJECT (injector), "edge");
 * if (netring_metrics_serve (metrics, NULL, 9101, &error) == 0)
 *   g_printerr ("%s\n", error->message);
 * ]|
 * |[<!-- language="Python" -->
 * metrics = Netring.Metrics()
 * metrics.add(capture, "edge")
 * port = metrics.serve("127.0.0.1", 0)   # curl http://127.0.0.1:<port>/metrics
 * ]|
 *
 * The families, every one with `# HELP` and `# TYPE` lines; counters end
 * in `_total`, gauges do not:
 *
 * - captures: `netring_capture_packets_total`, `_drops_total`,
 *   `_freezes_total`, `_received_total`, `_batches_total`,
 *   `_lost_blocks_total` and the gauges `netring_capture_held_batches`,
 *   `netring_capture_held_packets` (the fields of #NetringReceiverStats),
 *   labelled `iface` and `instance`;
 * - fanout groups: the same as `netring_fanout_…`, one series per member,
 *   labelled `iface`, `member` and `instance`;
 * - injectors: `netring_injector_frames_queued_total`,
 *   `_frames_sent_total`, `_bytes_sent_total`, `_frames_rejected_total`,
 *   `_frames_refused_total`, `_frames_aborted_total`,
 *   `_frames_discarded_total`, `_kicks_total`, `_send_buffer_full_total`,
 *   `_device_queue_full_total` and the gauge `netring_injector_pending`,
 *   labelled `iface` and `instance`;
 * - AF_XDP sockets: `netring_xdp_rx_dropped_total`,
 *   `netring_xdp_invalid_descs_total` (labelled `direction`, `rx` or `tx`),
 *   `_rx_ring_full_total`, `_rx_fill_ring_empty_descs_total`,
 *   `_tx_ring_empty_descs_total`, `_received_total`,
 *   `_received_bytes_total`, `_queued_total`, `_sent_total`,
 *   `_rejected_total`, `_device_dropped_total`, `_received_invalid_total`,
 *   `_discarded_total`, labelled `iface`, `queue` and `instance`;
 * - bridges: `netring_bridge_received_total`, `_forwarded_total`,
 *   `_dropped_total`, `_too_large_total`, `_rejected_total`,
 *   `_kernel_drops_total` and the gauge `netring_bridge_in_flight` (the
 *   fields of #NetringBridgeStats), one series per direction the bridge
 *   forwards in, labelled `direction` (`a_to_b` or `b_to_a`), `from` (the
 *   receiving interface), `to` (the sending one) and `instance`;
 * - pcap writers: `netring_pcap_writer_frames_written_total`,
 *   `_bytes_written_total`, `_frames_truncated_total`, `_files_total`,
 *   labelled `instance`.
 *
 * An object that cannot report (closed, or not initialised) is left out
 * of the output until it can.
 *
 * With the `metrics-http` build feature (on when libsoup 3 is found),
 * netring_metrics_serve() serves the text at `/metrics` from a server of
 * its own, and netring_metrics_add_handler() adds it to an application's
 * #SoupServer. Both run in the thread-default main context of the calling
 * thread; nothing else is started.
 *
 * Threads: the collector may be used from any thread, but it reads the
 * objects' counters in the thread that renders, so render (and serve) in
 * the thread that uses the registered objects, as every object is used
 * from one thread at a time.
 */

/* What the collector does for one kind of object: reads its counters and
 * writes their samples. A new kind of object is one more row of
 * metrics_kinds[] below with its collect function. */
typedef struct _MetricsWriter MetricsWriter;

typedef struct {
  GType (*get_type) (void);
  void (*collect) (GObject *object, const gchar *instance, MetricsWriter *writer);
} MetricsKind;

typedef struct {
  GWeakRef object;
  gchar *instance;
  const MetricsKind *kind;
} MetricsEntry;

struct _NetringMetrics {
  GObject parent_instance;

  GMutex lock;         /* guards entries */
  GPtrArray *entries;  /* of MetricsEntry, in the order they were added */
#if NETRING_HAVE_SOUP
  SoupServer *server;  /* netring_metrics_serve()'s own */
#endif
};

G_DEFINE_FINAL_TYPE (NetringMetrics, netring_metrics, G_TYPE_OBJECT)

/* ---- writing the exposition ---------------------------------------------- */

/* One family: its samples are gathered here, so that every family's lines
 * come together after its one HELP and TYPE, in the order the families
 * first appeared. */
typedef struct {
  const gchar *name;  /* static */
  const gchar *help;  /* static */
  gboolean counter;
  GString *samples;
} MetricsFamily;

struct _MetricsWriter {
  GPtrArray *families;  /* of MetricsFamily */
  GHashTable *by_name;  /* name → MetricsFamily */
};

static void
metrics_family_free (gpointer data)
{
  MetricsFamily *family = data;

  g_string_free (family->samples, TRUE);
  g_free (family);
}

/* A label value as the format wants it: backslash, double quote and line
 * feed escaped. */
static void
append_label_value (GString *out, const gchar *value)
{
  const gchar *p;

  for (p = value; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        default:
          g_string_append_c (out, *p);
        }
    }
}

/* One sample. @labels holds name, value pairs and ends with NULL; a pair
 * whose value is NULL is left out. */
static void
metrics_writer_sample (MetricsWriter *writer, const gchar *name, gboolean counter,
                       const gchar *help, const gchar * const *labels, guint64 value)
{
  MetricsFamily *family = g_hash_table_lookup (writer->by_name, name);
  gboolean first = TRUE;
  guint i;

  if (family == NULL)
    {
      family = g_new0 (MetricsFamily, 1);
      family->name = name;
      family->help = help;
      family->counter = counter;
      family->samples = g_string_new (NULL);
      g_ptr_array_add (writer->families, family);
      g_hash_table_insert (writer->by_name, (gpointer) name, family);
    }
  g_string_append (family->samples, name);
  for (i = 0; labels[i] != NULL; i += 2)
    {
      if (labels[i + 1] == NULL)
        continue;
      g_string_append (family->samples, first ? "{" : ",");
      g_string_append_printf (family->samples, "%s=\"", labels[i]);
      append_label_value (family->samples, labels[i + 1]);
      g_string_append_c (family->samples, '"');
      first = FALSE;
    }
  if (!first)
    g_string_append_c (family->samples, '}');
  g_string_append_printf (family->samples, " %" G_GUINT64_FORMAT "\n", value);
}

/* A table of the counters of one stats structure: the family, its help
 * and where the value is. */
typedef struct {
  const gchar *name;
  gboolean counter;
  gsize offset;
  const gchar *help;
} MetricsField;

#define COUNTER(name, type, field, help) { name, TRUE, G_STRUCT_OFFSET (type, field), help }
#define GAUGE(name, type, field, help) { name, FALSE, G_STRUCT_OFFSET (type, field), help }

static void
metrics_writer_fields (MetricsWriter *writer, const MetricsField *fields, gsize n_fields,
                       gconstpointer stats, const gchar * const *labels)
{
  gsize i;

  for (i = 0; i < n_fields; i++)
    metrics_writer_sample (writer, fields[i].name, fields[i].counter, fields[i].help, labels,
                           G_STRUCT_MEMBER (guint64, stats, fields[i].offset));
}

/* ---- the kinds of objects ------------------------------------------------ */

static const MetricsField capture_fields[] = {
  COUNTER ("netring_capture_packets_total", NetringReceiverStats, packets,
           "Packets the socket accepted after its filter, including those dropped afterwards."),
  COUNTER ("netring_capture_drops_total", NetringReceiverStats, drops,
           "Packets the kernel dropped because no receive memory was free."),
  COUNTER ("netring_capture_freezes_total", NetringReceiverStats, freezes,
           "Times reception stopped because every buffer was held by the user."),
  COUNTER ("netring_capture_received_total", NetringReceiverStats, received,
           "Packets handed to the user in batches."),
  COUNTER ("netring_capture_batches_total", NetringReceiverStats, batches,
           "Batches handed to the user."),
  COUNTER ("netring_capture_lost_blocks_total", NetringReceiverStats, lost_blocks,
           "Batches missing from the kernel's numbering."),
  GAUGE ("netring_capture_held_batches", NetringReceiverStats, held_batches,
         "Batches handed out and not released yet."),
  GAUGE ("netring_capture_held_packets", NetringReceiverStats, held_packets,
         "Packets in the batches not released yet."),
};

static const MetricsField fanout_fields[] = {
  COUNTER ("netring_fanout_packets_total", NetringReceiverStats, packets,
           "Packets a fanout member's socket accepted, including those dropped afterwards."),
  COUNTER ("netring_fanout_drops_total", NetringReceiverStats, drops,
           "Packets the kernel dropped for a fanout member because no receive memory was free."),
  COUNTER ("netring_fanout_freezes_total", NetringReceiverStats, freezes,
           "Times a fanout member's reception stopped because every buffer was held."),
  COUNTER ("netring_fanout_received_total", NetringReceiverStats, received,
           "Packets handed to the user by a fanout member."),
  COUNTER ("netring_fanout_batches_total", NetringReceiverStats, batches,
           "Batches handed to the user by a fanout member."),
  COUNTER ("netring_fanout_lost_blocks_total", NetringReceiverStats, lost_blocks,
           "Batches missing from a fanout member's numbering."),
  GAUGE ("netring_fanout_held_batches", NetringReceiverStats, held_batches,
         "Batches of a fanout member handed out and not released yet."),
  GAUGE ("netring_fanout_held_packets", NetringReceiverStats, held_packets,
         "Packets in the batches of a fanout member not released yet."),
};

static const MetricsField injector_fields[] = {
  COUNTER ("netring_injector_frames_queued_total", NetringInjectorStats, frames_queued,
           "Frames committed to the TX ring."),
  COUNTER ("netring_injector_frames_sent_total", NetringInjectorStats, frames_sent,
           "Frames the kernel transmitted."),
  COUNTER ("netring_injector_bytes_sent_total", NetringInjectorStats, bytes_sent,
           "Bytes of the frames the kernel transmitted."),
  COUNTER ("netring_injector_frames_rejected_total", NetringInjectorStats, frames_rejected,
           "Frames the kernel refused."),
  COUNTER ("netring_injector_frames_refused_total", NetringInjectorStats, frames_refused,
           "Frames the library refused before they reached the ring."),
  COUNTER ("netring_injector_frames_aborted_total", NetringInjectorStats, frames_aborted,
           "Reservations given back without a frame."),
  COUNTER ("netring_injector_frames_discarded_total", NetringInjectorStats, frames_discarded,
           "Frames queued that the kernel never took because the injector was closed."),
  COUNTER ("netring_injector_kicks_total", NetringInjectorStats, kicks,
           "Transmit kicks made."),
  COUNTER ("netring_injector_send_buffer_full_total", NetringInjectorStats, send_buffer_full,
           "Kicks after which frames stayed queued because the send buffer was full."),
  COUNTER ("netring_injector_device_queue_full_total", NetringInjectorStats, device_queue_full,
           "Kicks after which frames stayed queued because the interface's queue was full."),
};

static const MetricsField xdp_fields[] = {
  COUNTER ("netring_xdp_rx_dropped_total", NetringXdpStats, rx_dropped,
           "Frames the kernel dropped for reasons other than those counted apart."),
  COUNTER ("netring_xdp_rx_ring_full_total", NetringXdpStats, rx_ring_full,
           "Frames dropped because the RX ring was full."),
  COUNTER ("netring_xdp_rx_fill_ring_empty_descs_total", NetringXdpStats,
           rx_fill_ring_empty_descs,
           "Times the kernel found no frame in the fill ring to receive into."),
  COUNTER ("netring_xdp_tx_ring_empty_descs_total", NetringXdpStats, tx_ring_empty_descs,
           "Times the kernel looked for a frame to send and the TX ring was empty."),
  COUNTER ("netring_xdp_received_total", NetringXdpStats, received,
           "Frames handed to the application."),
  COUNTER ("netring_xdp_received_bytes_total", NetringXdpStats, received_bytes,
           "Bytes of the frames handed to the application."),
  COUNTER ("netring_xdp_queued_total", NetringXdpStats, queued,
           "Frames put in the TX ring."),
  COUNTER ("netring_xdp_sent_total", NetringXdpStats, sent,
           "Frames the kernel sent."),
  COUNTER ("netring_xdp_rejected_total", NetringXdpStats, rejected,
           "Frames the library refused to put in the TX ring."),
  COUNTER ("netring_xdp_device_dropped_total", NetringXdpStats, device_dropped,
           "Frames the interface dropped when the kernel handed them over."),
  COUNTER ("netring_xdp_received_invalid_total", NetringXdpStats, received_invalid,
           "RX descriptors the library refused because they described no frame it gave."),
  COUNTER ("netring_xdp_discarded_total", NetringXdpStats, discarded,
           "Frames queued that the kernel had not taken when the socket was closed."),
};

static const MetricsField pcap_writer_fields[] = {
  COUNTER ("netring_pcap_writer_frames_written_total", NetringPcapWriterStats, frames_written,
           "Packet records written."),
  COUNTER ("netring_pcap_writer_bytes_written_total", NetringPcapWriterStats, bytes_written,
           "Bytes written, file and record headers included."),
  COUNTER ("netring_pcap_writer_frames_truncated_total", NetringPcapWriterStats,
           frames_truncated, "Records cut to their interface's snap length."),
  COUNTER ("netring_pcap_writer_files_total", NetringPcapWriterStats, files,
           "Files written to."),
};

/* A bridge's counters per direction: the offsets of the a_to_b fields; the
 * b_to_a ones follow at the same distance. */
static const MetricsField bridge_fields[] = {
  COUNTER ("netring_bridge_received_total", NetringBridgeStats, a_to_b_received,
           "Frames the bridge took from the receiving interface."),
  COUNTER ("netring_bridge_forwarded_total", NetringBridgeStats, a_to_b_forwarded,
           "Frames the kernel took for transmission on the other interface."),
  COUNTER ("netring_bridge_dropped_total", NetringBridgeStats, a_to_b_dropped,
           "Frames a verdict dropped."),
  COUNTER ("netring_bridge_too_large_total", NetringBridgeStats, a_to_b_too_large,
           "Frames longer than the other interface can send, or truncated on reception."),
  COUNTER ("netring_bridge_rejected_total", NetringBridgeStats, a_to_b_rejected,
           "Frames queued for transmission that the kernel refused."),
  COUNTER ("netring_bridge_kernel_drops_total", NetringBridgeStats, a_to_b_kernel_drops,
           "Frames the kernel dropped on the receiving side because its ring was full."),
  GAUGE ("netring_bridge_in_flight", NetringBridgeStats, a_to_b_in_flight,
         "Frames taken and not yet forwarded, dropped or rejected."),
};

static void
collect_capture (GObject *object, const gchar *instance, MetricsWriter *writer)
{
  NetringReceiver *receiver = NETRING_RECEIVER (object);
  g_autoptr(NetringReceiverStats) stats = netring_receiver_get_stats (receiver, NULL);
  g_autofree gchar *iface = NULL;
  const gchar *labels[] = { "iface", NULL, "instance", instance, NULL };

  if (stats == NULL)
    return;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (object), "interface") != NULL)
    g_object_get (object, "interface", &iface, NULL);
  labels[1] = iface;
  metrics_writer_fields (writer, capture_fields, G_N_ELEMENTS (capture_fields), stats, labels);
}

static void
collect_fanout_group (GObject *object, const gchar *instance, MetricsWriter *writer)
{
  NetringFanoutGroup *group = NETRING_FANOUT_GROUP (object);
  g_autofree gchar *iface = NULL;
  guint n = netring_fanout_group_get_n_members (group);
  guint i;

  g_object_get (object, "interface", &iface, NULL);
  for (i = 0; i < n; i++)
    {
      g_autoptr(NetringReceiverStats) stats = netring_fanout_group_get_member_stats (group, i,
                                                                                    NULL);
      gchar member[16];
      const gchar *labels[] = { "iface", iface, "member", member, "instance", instance, NULL };

      if (stats == NULL)
        continue;
      g_snprintf (member, sizeof member, "%u", i);
      metrics_writer_fields (writer, fanout_fields, G_N_ELEMENTS (fanout_fields), stats, labels);
    }
}

static void
collect_injector (GObject *object, const gchar *instance, MetricsWriter *writer)
{
  NetringInjector *injector = NETRING_INJECTOR (object);
  g_autoptr(NetringInjectorStats) stats = netring_injector_get_stats (injector);
  const gchar *labels[] = { "iface", netring_injector_get_interface (injector),
                            "instance", instance, NULL };

  if (stats == NULL)
    return;
  metrics_writer_fields (writer, injector_fields, G_N_ELEMENTS (injector_fields), stats, labels);
  metrics_writer_sample (writer, "netring_injector_pending", FALSE,
                         "Frames queued in the TX ring and not sent yet.", labels,
                         netring_injector_get_pending (injector));
}

static void
collect_xdp_socket (GObject *object, const gchar *instance, MetricsWriter *writer)
{
  NetringXdpSocket *socket = NETRING_XDP_SOCKET (object);
  g_autoptr(NetringXdpStats) stats = netring_xdp_socket_get_stats (socket, NULL);
  gchar queue[16];
  const gchar *labels[] = { "iface", netring_xdp_socket_get_interface (socket),
                            "queue", queue, "instance", instance, NULL };
  const gchar *rx_labels[] = { "iface", labels[1], "queue", queue, "direction", "rx",
                               "instance", instance, NULL };
  const gchar *tx_labels[] = { "iface", labels[1], "queue", queue, "direction", "tx",
                               "instance", instance, NULL };
  static const gchar invalid_help[] = "Frames dropped because of an invalid descriptor.";

  if (stats == NULL)
    return;
  g_snprintf (queue, sizeof queue, "%u", netring_xdp_socket_get_queue_id (socket));
  metrics_writer_fields (writer, xdp_fields, G_N_ELEMENTS (xdp_fields), stats, labels);
  metrics_writer_sample (writer, "netring_xdp_invalid_descs_total", TRUE, invalid_help,
                         rx_labels, stats->rx_invalid_descs);
  metrics_writer_sample (writer, "netring_xdp_invalid_descs_total", TRUE, invalid_help,
                         tx_labels, stats->tx_invalid_descs);
}

static void
collect_pcap_writer (GObject *object, const gchar *instance, MetricsWriter *writer)
{
  g_autoptr(NetringPcapWriterStats) stats =
    netring_pcap_writer_get_stats (NETRING_PCAP_WRITER (object));
  const gchar *labels[] = { "instance", instance, NULL };

  if (stats == NULL)
    return;
  metrics_writer_fields (writer, pcap_writer_fields, G_N_ELEMENTS (pcap_writer_fields), stats,
                         labels);
}

static void
collect_bridge (GObject *object, const gchar *instance, MetricsWriter *writer)
{
  NetringBridge *bridge = NETRING_BRIDGE (object);
  g_autoptr(NetringBridgeStats) stats = netring_bridge_get_stats (bridge, NULL);
  NetringBridgeDirections directions = netring_bridge_get_direction (bridge);
  const gchar *iface_a = netring_bridge_get_interface_a (bridge);
  const gchar *iface_b = netring_bridge_get_interface_b (bridge);
  /* the b_to_a counters are the a_to_b ones, one block further on */
  const gsize b_to_a_shift = G_STRUCT_OFFSET (NetringBridgeStats, b_to_a_received) -
                             G_STRUCT_OFFSET (NetringBridgeStats, a_to_b_received);
  gsize i;

  G_STATIC_ASSERT (G_STRUCT_OFFSET (NetringBridgeStats, b_to_a_kernel_drops) -
                     G_STRUCT_OFFSET (NetringBridgeStats, a_to_b_kernel_drops) ==
                   G_STRUCT_OFFSET (NetringBridgeStats, b_to_a_received) -
                     G_STRUCT_OFFSET (NetringBridgeStats, a_to_b_received));
  G_STATIC_ASSERT (G_STRUCT_OFFSET (NetringBridgeStats, b_to_a_in_flight) -
                     G_STRUCT_OFFSET (NetringBridgeStats, a_to_b_in_flight) ==
                   G_STRUCT_OFFSET (NetringBridgeStats, b_to_a_received) -
                     G_STRUCT_OFFSET (NetringBridgeStats, a_to_b_received));

  if (stats == NULL)
    return;
  /* a direction the bridge does not forward in has no series: its zeros
   * would look like a stalled direction */
  for (i = 0; i < 2; i++)
    {
      gboolean a_to_b = i == 0;
      const gchar *labels[] = { "direction", a_to_b ? "a_to_b" : "b_to_a",
                                "from", a_to_b ? iface_a : iface_b,
                                "to", a_to_b ? iface_b : iface_a,
                                "instance", instance, NULL };
      gsize j;

      if (!(directions & (a_to_b ? NETRING_BRIDGE_DIRECTIONS_A_TO_B
                                 : NETRING_BRIDGE_DIRECTIONS_B_TO_A)))
        continue;
      for (j = 0; j < G_N_ELEMENTS (bridge_fields); j++)
        metrics_writer_sample (writer, bridge_fields[j].name, bridge_fields[j].counter,
                               bridge_fields[j].help, labels,
                               G_STRUCT_MEMBER (guint64, stats, bridge_fields[j].offset +
                                                                  (a_to_b ? 0 : b_to_a_shift)));
    }
}

/* The kinds the collector knows, the most specific first: an object is
 * collected by the first row whose type it is. */
static const MetricsKind metrics_kinds[] = {
  { netring_xdp_socket_get_type, collect_xdp_socket },
  { netring_fanout_group_get_type, collect_fanout_group },
  { netring_injector_get_type, collect_injector },
  { netring_pcap_writer_get_type, collect_pcap_writer },
  { netring_bridge_get_type, collect_bridge },
  { netring_receiver_get_type, collect_capture },
};

static const MetricsKind *
metrics_kind_of (GObject *object)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (metrics_kinds); i++)
    if (G_TYPE_CHECK_INSTANCE_TYPE (object, metrics_kinds[i].get_type ()))
      return &metrics_kinds[i];
  return NULL;
}

/* ---- the collector ------------------------------------------------------- */

static void
metrics_entry_free (gpointer data)
{
  MetricsEntry *entry = data;

  g_weak_ref_clear (&entry->object);
  g_free (entry->instance);
  g_free (entry);
}

static void
netring_metrics_init (NetringMetrics *self)
{
  g_mutex_init (&self->lock);
  self->entries = g_ptr_array_new_with_free_func (metrics_entry_free);
}

static void
netring_metrics_dispose (GObject *object)
{
  netring_metrics_stop_serving (NETRING_METRICS (object));
  G_OBJECT_CLASS (netring_metrics_parent_class)->dispose (object);
}

static void
netring_metrics_finalize (GObject *object)
{
  NetringMetrics *self = NETRING_METRICS (object);

  g_ptr_array_unref (self->entries);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (netring_metrics_parent_class)->finalize (object);
}

static void
netring_metrics_class_init (NetringMetricsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  netring_i18n_init ();
  object_class->dispose = netring_metrics_dispose;
  object_class->finalize = netring_metrics_finalize;
}

/**
 * netring_metrics_new:
 *
 * Creates an empty collector.
 *
 * Returns: (transfer full): a new #NetringMetrics
 */
NetringMetrics *
netring_metrics_new (void)
{
  return g_object_new (NETRING_TYPE_METRICS, NULL);
}

/**
 * netring_metrics_supports:
 * @object: an object
 *
 * Whether netring_metrics_add() knows how to read @object's counters: a
 * #NetringReceiver (such as #NetringCapture), #NetringFanoutGroup,
 * #NetringInjector, #NetringXdpSocket, #NetringBridge or #NetringPcapWriter.
 *
 * Returns: %TRUE if @object can be registered
 */
gboolean
netring_metrics_supports (GObject *object)
{
  g_return_val_if_fail (G_IS_OBJECT (object), FALSE);
  return metrics_kind_of (object) != NULL;
}

/* The entry of @object, under the lock; NULL if it has none. Prunes the
 * entries of objects that are gone on the way. */
static MetricsEntry *
metrics_find_locked (NetringMetrics *self, GObject *object)
{
  guint i = 0;

  while (i < self->entries->len)
    {
      MetricsEntry *entry = g_ptr_array_index (self->entries, i);
      g_autoptr(GObject) held = g_weak_ref_get (&entry->object);

      if (held == NULL)
        {
          g_ptr_array_remove_index (self->entries, i);
          continue;
        }
      if (held == object)
        return entry;
      i++;
    }
  return NULL;
}

/**
 * netring_metrics_add:
 * @self: a #NetringMetrics
 * @object: the object whose counters to export (netring_metrics_supports())
 * @instance: (nullable): the value of the `instance` label of its series,
 *   or %NULL for none
 *
 * Registers @object. The collector does not keep it alive: when it is
 * finalized, its series disappear from the output. Adding a registered
 * object again changes its instance name. Two objects with the same kind,
 * interface and instance name give the same series twice, which scrapers
 * reject: give them different instance names.
 */
void
netring_metrics_add (NetringMetrics *self, GObject *object, const gchar *instance)
{
  const MetricsKind *kind;
  MetricsEntry *entry;

  g_return_if_fail (NETRING_IS_METRICS (self));
  g_return_if_fail (G_IS_OBJECT (object));
  kind = metrics_kind_of (object);
  g_return_if_fail (kind != NULL);

  g_mutex_lock (&self->lock);
  entry = metrics_find_locked (self, object);
  if (entry == NULL)
    {
      entry = g_new0 (MetricsEntry, 1);
      g_weak_ref_init (&entry->object, object);
      entry->kind = kind;
      g_ptr_array_add (self->entries, entry);
    }
  g_free (entry->instance);
  entry->instance = g_strdup (instance);
  g_mutex_unlock (&self->lock);
}

/**
 * netring_metrics_remove:
 * @self: a #NetringMetrics
 * @object: a registered object
 *
 * Unregisters @object; its series disappear from the output. Removing an
 * object that is not registered does nothing.
 */
void
netring_metrics_remove (NetringMetrics *self, GObject *object)
{
  MetricsEntry *entry;

  g_return_if_fail (NETRING_IS_METRICS (self));
  g_return_if_fail (G_IS_OBJECT (object));

  g_mutex_lock (&self->lock);
  entry = metrics_find_locked (self, object);
  if (entry != NULL)
    g_ptr_array_remove (self->entries, entry);
  g_mutex_unlock (&self->lock);
}

/**
 * netring_metrics_get_n_objects:
 * @self: a #NetringMetrics
 *
 * How many registered objects are still alive.
 *
 * Returns: the number of objects whose counters are exported
 */
guint
netring_metrics_get_n_objects (NetringMetrics *self)
{
  guint n = 0;
  guint i;

  g_return_val_if_fail (NETRING_IS_METRICS (self), 0);

  g_mutex_lock (&self->lock);
  for (i = 0; i < self->entries->len; i++)
    {
      MetricsEntry *entry = g_ptr_array_index (self->entries, i);
      g_autoptr(GObject) held = g_weak_ref_get (&entry->object);

      if (held != NULL)
        n++;
    }
  g_mutex_unlock (&self->lock);
  return n;
}

/**
 * netring_metrics_render:
 * @self: a #NetringMetrics
 *
 * Reads the counters of every registered object now and renders them in
 * the Prometheus text exposition format 0.0.4 (content type
 * `text/plain; version=0.0.4`): for each family one `# HELP` and one
 * `# TYPE` line, then its samples. Counters are totals since each object
 * was created; rendering changes no counter, so any number of readers may
 * render. With nothing registered the text is empty.
 *
 * Returns: (transfer full): the exposition, UTF-8, ending in a line feed
 *   unless empty
 */
gchar *
netring_metrics_render (NetringMetrics *self)
{
  MetricsWriter writer;
  GString *out;
  guint i;

  g_return_val_if_fail (NETRING_IS_METRICS (self), NULL);

  writer.families = g_ptr_array_new_with_free_func (metrics_family_free);
  writer.by_name = g_hash_table_new (g_str_hash, g_str_equal);

  /* take the objects out under the lock, read them without it: a
   * counter read may take a while (system calls) */
  {
    g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr(GPtrArray) instances = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GPtrArray) kinds = g_ptr_array_new ();

    g_mutex_lock (&self->lock);
    for (i = 0; i < self->entries->len; i++)
      {
        MetricsEntry *entry = g_ptr_array_index (self->entries, i);
        GObject *object = g_weak_ref_get (&entry->object);

        if (object == NULL)
          continue;
        g_ptr_array_add (objects, object);
        g_ptr_array_add (instances, g_strdup (entry->instance));
        g_ptr_array_add (kinds, (gpointer) entry->kind);
      }
    g_mutex_unlock (&self->lock);

    for (i = 0; i < objects->len; i++)
      {
        const MetricsKind *kind = g_ptr_array_index (kinds, i);

        kind->collect (g_ptr_array_index (objects, i), g_ptr_array_index (instances, i), &writer);
      }
  }

  out = g_string_new (NULL);
  for (i = 0; i < writer.families->len; i++)
    {
      MetricsFamily *family = g_ptr_array_index (writer.families, i);

      /* help texts are ours: no backslash or line feed to escape */
      g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n%s", family->name, family->help,
                              family->name, family->counter ? "counter" : "gauge",
                              family->samples->str);
    }
  g_hash_table_unref (writer.by_name);
  g_ptr_array_unref (writer.families);
  return g_string_free (out, FALSE);
}

/* ---- HTTP ---------------------------------------------------------------- */

#if NETRING_HAVE_SOUP

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static void
metrics_handle_request (SoupServer *server, SoupServerMessage *msg, const char *path,
                        GHashTable *query, gpointer user_data)
{
  NetringMetrics *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  gchar *text;

  if (g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0)
    {
      soup_message_headers_append (soup_server_message_get_response_headers (msg), "Allow",
                                   "GET, HEAD");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  text = netring_metrics_render (self);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, METRICS_CONTENT_TYPE, SOUP_MEMORY_TAKE, text,
                                    strlen (text));
}

static gint
metrics_error_code (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    return NETRING_ERROR_BUSY;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    return NETRING_ERROR_PERMISSION_DENIED;
  return NETRING_ERROR_FAILED;
}

/* The ports @server listens on. */
static GArray *
metrics_server_ports (SoupServer *server)
{
  GArray *ports = g_array_new (FALSE, FALSE, sizeof (guint));
  GSList *listeners = soup_server_get_listeners (server);
  GSList *l;

  for (l = listeners; l != NULL; l = l->next)
    {
      g_autoptr(GSocketAddress) address = g_socket_get_local_address (l->data, NULL);

      if (G_IS_INET_SOCKET_ADDRESS (address))
        {
          guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
          g_array_append_val (ports, port);
        }
    }
  g_slist_free (listeners);
  return ports;
}

static gboolean
metrics_port_in (GArray *ports, guint port)
{
  guint i;

  for (i = 0; i < ports->len; i++)
    if (g_array_index (ports, guint, i) == port)
      return TRUE;
  return FALSE;
}

#else /* !NETRING_HAVE_SOUP */

static gboolean
metrics_http_unsupported (GError **error)
{
  g_set_error (error, NETRING_ERROR, NETRING_ERROR_NOT_SUPPORTED,
               _("This netring was built without its HTTP endpoint for metrics (the "
                 "“metrics-http” build feature, which needs libsoup 3)"));
  return FALSE;
}

#endif /* NETRING_HAVE_SOUP */

/**
 * netring_metrics_add_handler:
 * @self: a #NetringMetrics
 * @server: a #SoupServer (libsoup 3)
 * @path: (nullable): where to serve the metrics, `/metrics` if %NULL
 * @error: return location for a #GError
 *
 * Serves netring_metrics_render() at @path of an application's own
 * #SoupServer, for `GET` and `HEAD`. The server keeps a reference on the
 * collector while the handler is installed. Fails with
 * %NETRING_ERROR_NOT_SUPPORTED when netring was built without the
 * `metrics-http` feature, and with %NETRING_ERROR_INVALID_ARGUMENT when
 * @server is not a #SoupServer.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
netring_metrics_add_handler (NetringMetrics *self, GObject *server, const gchar *path,
                             GError **error)
{
  g_return_val_if_fail (NETRING_IS_METRICS (self), FALSE);
  g_return_val_if_fail (G_IS_OBJECT (server), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

#if NETRING_HAVE_SOUP
  if (!SOUP_IS_SERVER (server))
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                   _("Cannot serve metrics through a %s: the server must be a SoupServer"),
                   G_OBJECT_TYPE_NAME (server));
      return FALSE;
    }
  soup_server_add_handler (SOUP_SERVER (server), path != NULL ? path : "/metrics",
                           metrics_handle_request, g_object_ref (self), g_object_unref);
  return TRUE;
#else
  return metrics_http_unsupported (error);
#endif
}

/**
 * netring_metrics_serve:
 * @self: a #NetringMetrics
 * @address: (nullable): the IP address to listen on, `127.0.0.1` if %NULL
 *   (`0.0.0.0` or `::` for every interface)
 * @port: the TCP port, 0 for one the kernel chooses
 * @error: return location for a #GError
 *
 * Serves netring_metrics_render() over HTTP at `/metrics` on @address and
 * @port, from a server of the collector's own, in the thread-default main
 * context of the calling thread (which must run for requests to be
 * answered). Call it again to listen on more addresses;
 * netring_metrics_stop_serving() or finalizing the collector stops it.
 *
 * Fails with %NETRING_ERROR_BUSY when the port is taken,
 * %NETRING_ERROR_INVALID_ARGUMENT when @address is not an IP address, and
 * %NETRING_ERROR_NOT_SUPPORTED when netring was built without the
 * `metrics-http` feature.
 *
 * Returns: the port listened on (useful with @port 0), or 0 with @error
 *   set
 */
guint
netring_metrics_serve (NetringMetrics *self, const gchar *address, guint port, GError **error)
{
  g_return_val_if_fail (NETRING_IS_METRICS (self), 0);
  g_return_val_if_fail (port <= G_MAXUINT16, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

#if NETRING_HAVE_SOUP
  {
    g_autoptr(GInetAddress) inet = NULL;
    g_autoptr(GSocketAddress) socket_address = NULL;
    g_autoptr(GArray) before = NULL;
    g_autoptr(GArray) after = NULL;
    g_autoptr(GError) local_error = NULL;
    guint i;

    if (address == NULL)
      address = "127.0.0.1";
    inet = g_inet_address_new_from_string (address);
    if (inet == NULL)
      {
        g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_ARGUMENT,
                     _("Cannot serve metrics on “%s”: not an IP address"), address);
        return 0;
      }
    if (self->server == NULL)
      {
        self->server = soup_server_new (NULL, NULL);
        /* no reference: the collector owns this server */
        soup_server_add_handler (self->server, "/metrics", metrics_handle_request, self, NULL);
      }
    before = metrics_server_ports (self->server);
    socket_address = g_inet_socket_address_new (inet, (guint16) port);
    if (!soup_server_listen (self->server, socket_address, 0, &local_error))
      {
        g_set_error (error, NETRING_ERROR, metrics_error_code (local_error),
                     _("Cannot serve metrics on %s port %u: %s"), address, port,
                     local_error->message);
        return 0;
      }
    if (port != 0)
      return port;
    after = metrics_server_ports (self->server);
    for (i = 0; i < after->len; i++)
      if (!metrics_port_in (before, g_array_index (after, guint, i)))
        return g_array_index (after, guint, i);
    return after->len > 0 ? g_array_index (after, guint, after->len - 1) : 0;
  }
#else
  metrics_http_unsupported (error);
  return 0;
#endif
}

/**
 * netring_metrics_stop_serving:
 * @self: a #NetringMetrics
 *
 * Stops the server of netring_metrics_serve() and closes its sockets.
 * Handlers added to an application's server with
 * netring_metrics_add_handler() stay. Does nothing when not serving.
 */
void
netring_metrics_stop_serving (NetringMetrics *self)
{
  g_return_if_fail (NETRING_IS_METRICS (self));

#if NETRING_HAVE_SOUP
  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }
#endif
}
