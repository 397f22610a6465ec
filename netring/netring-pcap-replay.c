/* netring-pcap-replay.c: sending the packets of a file again
 * (NetringPcapReplay) */
#include "netring-private.h"

/**
 * SECTION:netring-pcap-replay
 * @short_description: Replaying pcap and pcapng files through a sender
 * @title: NetringPcapReplay
 * @see_also: #NetringPcapReader, #NetringSender
 *
 * A #NetringPcapReplay sends the packets a #NetringPcapReader reads through
 * any #NetringSender (a #NetringInjector, a #NetringXdpSocket), paced as
 * #NetringPcapReplay:mode says: at the recorded timing (divided by
 * #NetringPcapReplay:speed, so 2.0 replays twice as fast), at a fixed
 * #NetringPcapReplay:rate of frames per second, or as fast as the sender
 * takes them. #NetringPcapReplay:loop-count replays the file that many
 * times (0: until cancelled).
 *
 * netring_pcap_replay_run_async() runs in the thread-default main context
 * of the caller: the pacing is a #GSource timer attached there, and a full
 * ring is waited for with netring_sender_send_async(), so a slow sender
 * holds the replay back instead of losing frames. The frames due at a
 * wake-up are sent together and handed to the kernel with one
 * netring_sender_flush(); the main context's timers have a millisecond
 * resolution, so at high rates frames leave in small bursts, but never
 * early and never drifting: every frame's time is computed from the start
 * of the replay, not from the frame before. netring_pcap_replay_run() is
 * the blocking form, for a thread of its own. The operation ends when the
 * last frame left the ring (netring_sender_wait_drained_async()).
 *
 * Nothing is dropped silently: a frame longer than the sender takes
 * (netring_sender_get_max_length()) is not sent and counted in
 * #NetringPcapReplay:frames-skipped; a frame the sender refuses (an empty
 * record) is counted in #NetringPcapReplay:frames-rejected; every frame
 * queued in the sender is counted in #NetringPcapReplay:frames-sent. The
 * counters start from zero at every run. #NetringPcapReplay::progress (and
 * `notify::frames-sent`) report the progress at most every 50 ms and once
 * at the end.
 *
 * Cancelling the #GCancellable stops the replay at once: no further frame
 * is queued, the frames already queued are flushed (they were counted as
 * sent) and the operation fails with %G_IO_ERROR_CANCELLED. A damaged file
 * ends the replay after the frames before the damage with the reader's
 * %NETRING_ERROR_INVALID_DATA.
 *
 * |[<!-- language="C" -->
 * reader = netring_pcap_reader_new ("trace.pcapng", &error);
 * injector = netring_injector_new ("eth0", &error);
 * replay = netring_pcap_replay_new (reader, NETRING_SENDER (injector));
 * netring_pcap_replay_set_speed (replay, 2.0);
 * netring_pcap_replay_run_async (replay, cancellable, replay_done_cb, NULL);
 * ]|
 *
 * Threads: a replay, its reader and its sender are used from one thread at
 * a time, the thread whose main context runs the replay.
 */

#define PROGRESS_INTERVAL_US (50 * G_TIME_SPAN_MILLISECOND)
/* frames sent in one go before the main loop gets its turn again */
#define FRAMES_PER_DISPATCH 256

typedef struct {
  NetringPcapReplay *self; /* owned by the task */
  GMainContext *context;
  GCancellable *cancellable;
  GSource *timer;          /* wakes the pump at a frame's time */
  GSource *cancel_source;  /* wakes the pump on cancellation */

  gint64 start_us;         /* monotonic time of the first frame */
  gint64 loop_base_ns;     /* schedule offset where the current loop starts */
  gint64 first_ts_ns;      /* first timestamp of the current loop */
  gboolean have_first_ts;
  gint64 last_offset_ns;   /* schedule offset of the last frame read */
  guint64 index;           /* frames scheduled, for the fixed rate */
  guint loops_done;
  guint max_length;
  gdouble speed;
  gdouble rate;
  NetringPcapReplayMode mode;
  guint loop_count;

  NetringPacket *pending;  /* read, due at pending_offset_ns, not sent yet */
  gint64 pending_offset_ns;
  gboolean waiting;        /* a send_async, flush or drain is outstanding */
  guint queued;            /* frames queued since the last flush */
  gint64 last_progress_us;
  gboolean done;           /* returned: the task may report in a later iteration */
} Run;

struct _NetringPcapReplay {
  GObject parent_instance;

  NetringPcapReader *reader;
  NetringSender *sender;
  NetringPcapReplayMode mode;
  gdouble speed;
  gdouble rate;
  guint loop_count;

  guint64 frames_sent;
  guint64 frames_skipped;
  guint64 frames_rejected;
  gboolean running;
};

enum {
  PROP_0,
  PROP_READER,
  PROP_SENDER,
  PROP_MODE,
  PROP_SPEED,
  PROP_RATE,
  PROP_LOOP_COUNT,
  PROP_FRAMES_SENT,
  PROP_FRAMES_SKIPPED,
  PROP_FRAMES_REJECTED,
  N_PROPS
};

enum {
  SIGNAL_PROGRESS,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NetringPcapReplay, netring_pcap_replay, G_TYPE_OBJECT)

/* ---- the run ------------------------------------------------------------- */

static void run_pump (GTask *task);

static void
run_free (gpointer data)
{
  Run *run = data;

  if (run->timer != NULL)
    {
      g_source_destroy (run->timer);
      g_source_unref (run->timer);
    }
  if (run->cancel_source != NULL)
    {
      g_source_destroy (run->cancel_source);
      g_source_unref (run->cancel_source);
    }
  g_clear_pointer (&run->pending, netring_packet_unref);
  g_clear_object (&run->cancellable);
  g_main_context_unref (run->context);
  g_free (run);
}

static void
run_progress (Run *run, gboolean force)
{
  gint64 now = g_get_monotonic_time ();

  if (!force && now - run->last_progress_us < PROGRESS_INTERVAL_US)
    return;
  run->last_progress_us = now;
  g_object_notify_by_pspec (G_OBJECT (run->self), properties[PROP_FRAMES_SENT]);
  g_signal_emit (run->self, signals[SIGNAL_PROGRESS], 0, run->self->frames_sent);
}

/* Hands the frames queued so far to the kernel. */
static gboolean
run_flush (Run *run, GError **error)
{
  if (run->queued == 0)
    return TRUE;
  run->queued = 0;
  return netring_sender_flush (run->self->sender, error) >= 0;
}

/* The run returned: its sources must not wake it again while the task waits
 * to report in a later main-loop iteration. */
static void
run_end (Run *run)
{
  run->done = TRUE;
  run->self->running = FALSE;
  if (run->timer != NULL)
    g_source_destroy (run->timer);
  if (run->cancel_source != NULL)
    g_source_destroy (run->cancel_source);
}

static void
run_return_error (GTask *task, GError *error)
{
  Run *run = g_task_get_task_data (task);

  /* what was queued was counted as sent: let it leave */
  run_flush (run, NULL);
  run_end (run);
  run_progress (run, TRUE);
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
drained_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Run *run = g_task_get_task_data (task);
  GError *error = NULL;

  run->waiting = FALSE;
  if (!netring_sender_wait_drained_finish (NETRING_SENDER (source), result, &error))
    {
      run_return_error (task, error);
      return;
    }
  run_end (run);
  run_progress (run, TRUE);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
sent_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Run *run = g_task_get_task_data (task);
  GError *error = NULL;

  run->waiting = FALSE;
  if (netring_sender_send_finish (NETRING_SENDER (source), result, &error))
    {
      run->self->frames_sent++;
      run->queued++;
    }
  else if (error->domain == NETRING_ERROR)
    {
      run->self->frames_rejected++;
      g_clear_error (&error);
    }
  else
    {
      run_return_error (task, error);
      return;
    }
  g_clear_pointer (&run->pending, netring_packet_unref);
  run_pump (task);
}

/* Reads the next frame and works out when it is due. Returns FALSE at the
 * end of the last loop (or with @error set). */
static gboolean
run_read_next (Run *run, GError **error)
{
  NetringPcapReplay *self = run->self;

  for (;;)
    {
      NetringPacket *packet = netring_pcap_reader_next_packet (self->reader, error);
      gint64 offset;

      if (packet == NULL)
        {
          if (error != NULL && *error != NULL)
            return FALSE;
          run->loops_done++;
          if (run->loop_count != 0 && run->loops_done >= run->loop_count)
            return FALSE;
          if (!netring_pcap_reader_rewind (self->reader, error))
            return FALSE;
          if (netring_pcap_reader_get_n_records (self->reader) == 0 && run->index == 0 &&
              run->loops_done > 0 && !run->have_first_ts)
            {
              /* an empty file: looping it forever would spin */
              return FALSE;
            }
          /* the next loop starts one frame interval after the last frame */
          run->loop_base_ns = run->last_offset_ns;
          run->have_first_ts = FALSE;
          continue;
        }

      switch (run->mode)
        {
        case NETRING_PCAP_REPLAY_MODE_RECORDED:
          {
            gint64 ts = netring_packet_get_timestamp (packet);

            if (!run->have_first_ts)
              {
                run->first_ts_ns = ts;
                run->have_first_ts = TRUE;
              }
            offset = run->loop_base_ns + (gint64) ((gdouble) (ts - run->first_ts_ns) / run->speed);
            /* a timestamp that goes back is sent at once, not before the
             * frame recorded ahead of it */
            offset = MAX (offset, run->last_offset_ns);
          }
          break;
        case NETRING_PCAP_REPLAY_MODE_RATE:
          offset = (gint64) ((gdouble) run->index * 1e9 / run->rate);
          break;
        case NETRING_PCAP_REPLAY_MODE_TOPSPEED:
        default:
          offset = 0;
          break;
        }
      run->index++;
      run->last_offset_ns = offset;
      run->pending = packet;
      run->pending_offset_ns = offset;
      return TRUE;
    }
}

static void
run_pump (GTask *task)
{
  Run *run = g_task_get_task_data (task);
  NetringPcapReplay *self = run->self;
  guint burst = 0;

  if (run->waiting || run->done)
    return;

  for (;;)
    {
      GError *error = NULL;
      gsize length;
      const guint8 *data;
      gint64 due_us, now_us;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, &error))
        {
          run_return_error (task, error);
          return;
        }

      if (run->pending == NULL && !run_read_next (run, &error))
        {
          if (error != NULL)
            {
              run_return_error (task, error);
              return;
            }
          /* the end: everything queued leaves, then the ring drains */
          if (!run_flush (run, &error))
            {
              run_return_error (task, error);
              return;
            }
          run->waiting = TRUE;
          netring_sender_wait_drained_async (self->sender, -1, run->cancellable, drained_cb,
                                             task);
          return;
        }

      data = netring_packet_get_data (run->pending, &length);
      if (length > run->max_length)
        {
          self->frames_skipped++;
          g_clear_pointer (&run->pending, netring_packet_unref);
          continue;
        }

      now_us = g_get_monotonic_time ();
      if (run->start_us == 0)
        run->start_us = now_us;
      due_us = run->start_us + run->pending_offset_ns / 1000;
      if (due_us > now_us || burst >= FRAMES_PER_DISPATCH)
        {
          /* not due yet (or the main loop's turn): what is queued leaves now */
          if (!run_flush (run, &error))
            {
              run_return_error (task, error);
              return;
            }
          run_progress (run, FALSE);
          g_source_set_ready_time (run->timer, burst >= FRAMES_PER_DISPATCH ? 0 : due_us);
          return;
        }

      if (netring_sender_send (self->sender, data, length, &error))
        {
          self->frames_sent++;
          run->queued++;
          burst++;
          g_clear_pointer (&run->pending, netring_packet_unref);
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          /* the ring is full: wait for room (backpressure) */
          g_autoptr(GBytes) bytes = netring_packet_get_bytes (run->pending);

          g_clear_error (&error);
          if (!run_flush (run, &error))
            {
              run_return_error (task, error);
              return;
            }
          run->waiting = TRUE;
          netring_sender_send_async (self->sender, bytes, run->cancellable, sent_cb, task);
          return;
        }
      else if (error->domain == NETRING_ERROR)
        {
          self->frames_rejected++;
          g_clear_error (&error);
          g_clear_pointer (&run->pending, netring_packet_unref);
        }
      else
        {
          run_return_error (task, error);
          return;
        }
    }
}

static gboolean
timer_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs timer_funcs = {
  .dispatch = timer_dispatch,
};

static gboolean
timer_cb (gpointer data)
{
  run_pump (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
cancelled_cb (GCancellable *cancellable, gpointer data)
{
  /* once: a call still waiting reports the cancellation itself */
  run_pump (data);
  return G_SOURCE_REMOVE;
}

/* ---- GObject ------------------------------------------------------------- */

static void
netring_pcap_replay_finalize (GObject *object)
{
  NetringPcapReplay *self = NETRING_PCAP_REPLAY (object);

  g_clear_object (&self->reader);
  g_clear_object (&self->sender);
  G_OBJECT_CLASS (netring_pcap_replay_parent_class)->finalize (object);
}

static void
netring_pcap_replay_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  NetringPcapReplay *self = NETRING_PCAP_REPLAY (object);

  switch (prop_id)
    {
    case PROP_READER:
      g_value_set_object (value, self->reader);
      break;
    case PROP_SENDER:
      g_value_set_object (value, self->sender);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_SPEED:
      g_value_set_double (value, self->speed);
      break;
    case PROP_RATE:
      g_value_set_double (value, self->rate);
      break;
    case PROP_LOOP_COUNT:
      g_value_set_uint (value, self->loop_count);
      break;
    case PROP_FRAMES_SENT:
      g_value_set_uint64 (value, self->frames_sent);
      break;
    case PROP_FRAMES_SKIPPED:
      g_value_set_uint64 (value, self->frames_skipped);
      break;
    case PROP_FRAMES_REJECTED:
      g_value_set_uint64 (value, self->frames_rejected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_pcap_replay_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  NetringPcapReplay *self = NETRING_PCAP_REPLAY (object);

  switch (prop_id)
    {
    case PROP_READER:
      self->reader = g_value_dup_object (value);
      break;
    case PROP_SENDER:
      self->sender = g_value_dup_object (value);
      break;
    case PROP_MODE:
      netring_pcap_replay_set_mode (self, g_value_get_enum (value));
      break;
    case PROP_SPEED:
      netring_pcap_replay_set_speed (self, g_value_get_double (value));
      break;
    case PROP_RATE:
      netring_pcap_replay_set_rate (self, g_value_get_double (value));
      break;
    case PROP_LOOP_COUNT:
      netring_pcap_replay_set_loop_count (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netring_pcap_replay_class_init (NetringPcapReplayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  netring_i18n_init ();

  object_class->finalize = netring_pcap_replay_finalize;
  object_class->get_property = netring_pcap_replay_get_property;
  object_class->set_property = netring_pcap_replay_set_property;

  /**
   * NetringPcapReplay:reader:
   *
   * Where the frames come from.
   */
  properties[PROP_READER] =
    g_param_spec_object ("reader", NULL, NULL, NETRING_TYPE_PCAP_READER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * NetringPcapReplay:sender:
   *
   * Where the frames go.
   */
  properties[PROP_SENDER] =
    g_param_spec_object ("sender", NULL, NULL, NETRING_TYPE_SENDER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * NetringPcapReplay:mode:
   *
   * How the frames are paced.
   */
  properties[PROP_MODE] =
    g_param_spec_enum ("mode", NULL, NULL, NETRING_TYPE_PCAP_REPLAY_MODE,
                       NETRING_PCAP_REPLAY_MODE_RECORDED,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NetringPcapReplay:speed:
   *
   * With %NETRING_PCAP_REPLAY_MODE_RECORDED, the factor the recorded timing
   * is sped up by: 2.0 replays in half the time, 0.5 in twice the time.
   */
  properties[PROP_SPEED] =
    g_param_spec_double ("speed", NULL, NULL, 1e-6, 1e6, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NetringPcapReplay:rate:
   *
   * With %NETRING_PCAP_REPLAY_MODE_RATE, the frames per second. A run in
   * that mode with no rate fails with
   * %NETRING_ERROR_INVALID_CONFIGURATION.
   */
  properties[PROP_RATE] =
    g_param_spec_double ("rate", NULL, NULL, 0.0, 1e9, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NetringPcapReplay:loop-count:
   *
   * How many times the file is replayed; 0 replays it until the run is
   * cancelled. Looping rewinds the reader (netring_pcap_reader_rewind()).
   */
  properties[PROP_LOOP_COUNT] =
    g_param_spec_uint ("loop-count", NULL, NULL, 0, G_MAXUINT, 1,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NetringPcapReplay:frames-sent:
   *
   * Frames queued in the sender during the current or last run. Notified
   * with #NetringPcapReplay::progress.
   */
  properties[PROP_FRAMES_SENT] =
    g_param_spec_uint64 ("frames-sent", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NetringPcapReplay:frames-skipped:
   *
   * Frames not sent during the current or last run because they are longer
   * than the sender takes (netring_sender_get_max_length()).
   */
  properties[PROP_FRAMES_SKIPPED] =
    g_param_spec_uint64 ("frames-skipped", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * NetringPcapReplay:frames-rejected:
   *
   * Frames the sender refused during the current or last run (an empty
   * record, a frame the interface does not take).
   */
  properties[PROP_FRAMES_REJECTED] =
    g_param_spec_uint64 ("frames-rejected", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NetringPcapReplay::progress:
   * @replay: the replay
   * @frames_sent: the frames sent so far in this run
   *
   * Emitted during a run, in the main context that runs it, at most every
   * 50 ms while frames are sent, and once when the run ends (however it
   * ends).
   */
  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_UINT64);
}

static void
netring_pcap_replay_init (NetringPcapReplay *self)
{
  self->mode = NETRING_PCAP_REPLAY_MODE_RECORDED;
  self->speed = 1.0;
  self->loop_count = 1;
}

/* ---- public API ---------------------------------------------------------- */

/**
 * netring_pcap_replay_new:
 * @reader: the file to replay
 * @sender: the sender to replay it through
 *
 * Creates a replay of @reader's packets through @sender, at the recorded
 * timing, once. Both must be initialized when the replay runs.
 *
 * Returns: (transfer full): a new replay
 */
NetringPcapReplay *
netring_pcap_replay_new (NetringPcapReader *reader, NetringSender *sender)
{
  g_return_val_if_fail (NETRING_IS_PCAP_READER (reader), NULL);
  g_return_val_if_fail (NETRING_IS_SENDER (sender), NULL);
  return g_object_new (NETRING_TYPE_PCAP_REPLAY, "reader", reader, "sender", sender, NULL);
}

/**
 * netring_pcap_replay_get_reader:
 * @self: a #NetringPcapReplay
 *
 * Gets #NetringPcapReplay:reader.
 *
 * Returns: (transfer none): the reader
 */
NetringPcapReader *
netring_pcap_replay_get_reader (NetringPcapReplay *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_REPLAY (self), NULL);
  return self->reader;
}

/**
 * netring_pcap_replay_get_sender:
 * @self: a #NetringPcapReplay
 *
 * Gets #NetringPcapReplay:sender.
 *
 * Returns: (transfer none): the sender
 */
NetringSender *
netring_pcap_replay_get_sender (NetringPcapReplay *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_REPLAY (self), NULL);
  return self->sender;
}

/**
 * netring_pcap_replay_get_mode:
 * @self: a #NetringPcapReplay
 *
 * Gets #NetringPcapReplay:mode.
 *
 * Returns: how frames are paced
 */
NetringPcapReplayMode
netring_pcap_replay_get_mode (NetringPcapReplay *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_REPLAY (self), NETRING_PCAP_REPLAY_MODE_RECORDED);
  return self->mode;
}

/**
 * netring_pcap_replay_set_mode:
 * @self: a #NetringPcapReplay
 * @mode: how frames are paced
 *
 * Sets #NetringPcapReplay:mode; it applies from the next run on.
 */
void
netring_pcap_replay_set_mode (NetringPcapReplay *self, NetringPcapReplayMode mode)
{
  g_return_if_fail (NETRING_IS_PCAP_REPLAY (self));
  g_return_if_fail (mode <= NETRING_PCAP_REPLAY_MODE_TOPSPEED);
  if (self->mode == mode)
    return;
  self->mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
}

/**
 * netring_pcap_replay_get_speed:
 * @self: a #NetringPcapReplay
 *
 * Gets #NetringPcapReplay:speed.
 *
 * Returns: the speed factor
 */
gdouble
netring_pcap_replay_get_speed (NetringPcapReplay *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_REPLAY (self), 1.0);
  return self->speed;
}

/**
 * netring_pcap_replay_set_speed:
 * @self: a #NetringPcapReplay
 * @speed: the speed factor, greater than 0
 *
 * Sets #NetringPcapReplay:speed; it applies from the next run on.
 */
void
netring_pcap_replay_set_speed (NetringPcapReplay *self, gdouble speed)
{
  g_return_if_fail (NETRING_IS_PCAP_REPLAY (self));
  g_return_if_fail (speed > 0.0);
  if (self->speed == speed)
    return;
  self->speed = speed;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEED]);
}

/**
 * netring_pcap_replay_get_rate:
 * @self: a #NetringPcapReplay
 *
 * Gets #NetringPcapReplay:rate.
 *
 * Returns: the frames per second of %NETRING_PCAP_REPLAY_MODE_RATE
 */
gdouble
netring_pcap_replay_get_rate (NetringPcapReplay *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_REPLAY (self), 0.0);
  return self->rate;
}

/**
 * netring_pcap_replay_set_rate:
 * @self: a #NetringPcapReplay
 * @rate: frames per second
 *
 * Sets #NetringPcapReplay:rate; it applies from the next run on.
 */
void
netring_pcap_replay_set_rate (NetringPcapReplay *self, gdouble rate)
{
  g_return_if_fail (NETRING_IS_PCAP_REPLAY (self));
  g_return_if_fail (rate >= 0.0);
  if (self->rate == rate)
    return;
  self->rate = rate;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE]);
}

/**
 * netring_pcap_replay_get_loop_count:
 * @self: a #NetringPcapReplay
 *
 * Gets #NetringPcapReplay:loop-count.
 *
 * Returns: how many times the file is replayed (0: until cancelled)
 */
guint
netring_pcap_replay_get_loop_count (NetringPcapReplay *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_REPLAY (self), 1);
  return self->loop_count;
}

/**
 * netring_pcap_replay_set_loop_count:
 * @self: a #NetringPcapReplay
 * @loop_count: how many times to replay the file (0: until cancelled)
 *
 * Sets #NetringPcapReplay:loop-count; it applies from the next run on.
 */
void
netring_pcap_replay_set_loop_count (NetringPcapReplay *self, guint loop_count)
{
  g_return_if_fail (NETRING_IS_PCAP_REPLAY (self));
  if (self->loop_count == loop_count)
    return;
  self->loop_count = loop_count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOOP_COUNT]);
}

/**
 * netring_pcap_replay_get_frames_sent:
 * @self: a #NetringPcapReplay
 *
 * Gets #NetringPcapReplay:frames-sent.
 *
 * Returns: the frames sent in the current or last run
 */
guint64
netring_pcap_replay_get_frames_sent (NetringPcapReplay *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_REPLAY (self), 0);
  return self->frames_sent;
}

/**
 * netring_pcap_replay_get_frames_skipped:
 * @self: a #NetringPcapReplay
 *
 * Gets #NetringPcapReplay:frames-skipped.
 *
 * Returns: the frames skipped as too long in the current or last run
 */
guint64
netring_pcap_replay_get_frames_skipped (NetringPcapReplay *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_REPLAY (self), 0);
  return self->frames_skipped;
}

/**
 * netring_pcap_replay_get_frames_rejected:
 * @self: a #NetringPcapReplay
 *
 * Gets #NetringPcapReplay:frames-rejected.
 *
 * Returns: the frames the sender refused in the current or last run
 */
guint64
netring_pcap_replay_get_frames_rejected (NetringPcapReplay *self)
{
  g_return_val_if_fail (NETRING_IS_PCAP_REPLAY (self), 0);
  return self->frames_rejected;
}

/**
 * netring_pcap_replay_run_async:
 * @self: a #NetringPcapReplay
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (nullable): called when the replay ended
 * @user_data: data for @callback
 *
 * Replays the file from the reader's current position on, in the
 * thread-default main context of the caller, until the last loop ended and
 * the last frame left the sender's ring, the file turned out damaged, the
 * sender failed, or @cancellable was cancelled. Only one run may be under
 * way at a time (another fails with %NETRING_ERROR_BUSY). A run in
 * %NETRING_PCAP_REPLAY_MODE_RATE without a #NetringPcapReplay:rate fails
 * with %NETRING_ERROR_INVALID_CONFIGURATION.
 */
void
netring_pcap_replay_run_async (NetringPcapReplay  *self,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  Run *run;

  g_return_if_fail (NETRING_IS_PCAP_REPLAY (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netring_pcap_replay_run_async);
  g_task_set_name (task, "netring_pcap_replay_run_async");

  if (self->running)
    {
      g_task_return_new_error (task, NETRING_ERROR, NETRING_ERROR_BUSY,
                               _("The replay is running already; wait for its end before "
                                 "running it again"));
      return;
    }
  if (self->mode == NETRING_PCAP_REPLAY_MODE_RATE && self->rate <= 0.0)
    {
      g_task_return_new_error (task, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                               _("The property “rate” of a replay must be greater than 0 in "
                                 "the fixed-rate mode"));
      return;
    }

  run = g_new0 (Run, 1);
  run->self = self;
  run->context = g_main_context_ref_thread_default ();
  run->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  run->mode = self->mode;
  run->speed = self->speed;
  run->rate = self->rate;
  run->loop_count = self->loop_count;
  run->max_length = netring_sender_get_max_length (self->sender);
  run->last_progress_us = g_get_monotonic_time ();
  g_task_set_task_data (task, run, run_free);

  self->frames_sent = self->frames_skipped = self->frames_rejected = 0;
  self->running = TRUE;

  run->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_name (run->timer, "netring replay pacing");
  g_source_set_callback (run->timer, timer_cb, task, NULL);
  g_source_set_priority (run->timer, g_task_get_priority (task));
  g_source_set_ready_time (run->timer, 0); /* the first step in the main loop */
  g_source_attach (run->timer, run->context);

  if (cancellable != NULL)
    {
      run->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (run->cancel_source, (GSourceFunc) (void (*) (void)) cancelled_cb,
                             task, NULL);
      g_source_attach (run->cancel_source, run->context);
    }

  /* the task's own reference is given back when it returns */
  g_steal_pointer (&task);
}

/**
 * netring_pcap_replay_run_finish:
 * @self: a #NetringPcapReplay
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_pcap_replay_run_async(). The statistics tell how far the
 * replay got, whatever the outcome.
 *
 * Returns: %TRUE when every loop was replayed; %FALSE with @error set
 *   (%G_IO_ERROR_CANCELLED, the reader's or the sender's error)
 */
gboolean
netring_pcap_replay_run_finish (NetringPcapReplay *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (NETRING_IS_PCAP_REPLAY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == netring_pcap_replay_run_async,
                        FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
run_sync_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

/**
 * netring_pcap_replay_run:
 * @self: a #NetringPcapReplay
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Replays the file like netring_pcap_replay_run_async(), blocking: the
 * replay runs in a main context of its own, made thread-default for the
 * call, so this suits a thread of its own. #NetringPcapReplay::progress is
 * emitted in the calling thread.
 *
 * Returns: %TRUE when every loop was replayed; %FALSE with @error set
 */
gboolean
netring_pcap_replay_run (NetringPcapReplay *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (NETRING_IS_PCAP_REPLAY (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  netring_pcap_replay_run_async (self, cancellable, run_sync_cb, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  return netring_pcap_replay_run_finish (self, result, error);
}
