/* netring-capture-settings.c: the settings shared by NetringCapture and
 * NetringFanoutGroup: pspecs, storage, validation */
#include "netring-capture-settings-private.h"

#include <unistd.h>

typedef struct {
  guint block_size;
  guint block_count;
  guint frame_size;
  gint block_timeout_ms;
} ProfileGeometry;

/* The geometry of each NetringRingProfile (docs/tuning.md has the table). */
static const ProfileGeometry profile_geometry[] = {
  [NETRING_RING_PROFILE_DEFAULT] = { 1u << 22, 64, 2048, 60 },
  [NETRING_RING_PROFILE_HIGH_THROUGHPUT] = { 1u << 22, 256, 2048, 60 },
  [NETRING_RING_PROFILE_LOW_LATENCY] = { 1u << 18, 64, 2048, 1 },
  [NETRING_RING_PROFILE_LOW_MEMORY] = { 1u << 20, 16, 2048, 100 },
  [NETRING_RING_PROFILE_JUMBO_FRAMES] = { 1u << 22, 64, 65536, 60 },
};

void
netring_capture_settings_init (NetringCaptureSettings *s)
{
  memset (s, 0, sizeof *s);
  s->profile = NETRING_RING_PROFILE_DEFAULT;
  s->block_timeout_ms = -1;
  s->fill_rxhash = NETRING_CAPTURE_FILL_RXHASH_DEFAULT;
  s->timestamp_source = NETRING_TIMESTAMP_SOURCE_SOFTWARE;
  s->fanout_group = -1;
  s->fanout_mode = NETRING_FANOUT_MODE_HASH;
  s->fanout_flags = NETRING_FANOUT_FLAGS_NONE;
  s->fanout_ebpf_fd = -1;
}

void
netring_capture_settings_clear (NetringCaptureSettings *s)
{
  g_clear_pointer (&s->interface, g_free);
  g_clear_pointer (&s->filter, g_free);
  g_clear_pointer (&s->bpf_program, netring_bpf_program_unref);
  g_clear_pointer (&s->fanout_program, netring_bpf_program_unref);
}

void
netring_capture_settings_copy (NetringCaptureSettings *dest, const NetringCaptureSettings *src)
{
  *dest = *src;
  dest->interface = g_strdup (src->interface);
  dest->filter = g_strdup (src->filter);
  if (src->bpf_program != NULL)
    dest->bpf_program = netring_bpf_program_ref (src->bpf_program);
  if (src->fanout_program != NULL)
    dest->fanout_program = netring_bpf_program_ref (src->fanout_program);
}

void
netring_capture_settings_install (GParamSpec **pspecs)
{
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  /* Each class documents these in its own file (NetringCapture:block-size,
   * NetringFanoutGroup:block-size, …); names, types, ranges and defaults
   * are only here. */
  pspecs[NETRING_CAPTURE_SETTING_INTERFACE] =
    g_param_spec_string ("interface", NULL, NULL, NULL, construct);
  pspecs[NETRING_CAPTURE_SETTING_PROFILE] =
    g_param_spec_enum ("profile", NULL, NULL, NETRING_TYPE_RING_PROFILE,
                       NETRING_RING_PROFILE_DEFAULT, construct);
  pspecs[NETRING_CAPTURE_SETTING_BLOCK_SIZE] =
    g_param_spec_uint ("block-size", NULL, NULL, 0, G_MAXUINT, 0, construct);
  pspecs[NETRING_CAPTURE_SETTING_BLOCK_COUNT] =
    g_param_spec_uint ("block-count", NULL, NULL, 0, G_MAXUINT, 0, construct);
  pspecs[NETRING_CAPTURE_SETTING_FRAME_SIZE] =
    g_param_spec_uint ("frame-size", NULL, NULL, 0, G_MAXUINT, 0, construct);
  pspecs[NETRING_CAPTURE_SETTING_BLOCK_TIMEOUT_MS] =
    g_param_spec_int ("block-timeout-ms", NULL, NULL, -1, G_MAXINT, -1, construct);
  pspecs[NETRING_CAPTURE_SETTING_FILL_RXHASH] =
    g_param_spec_boolean ("fill-rxhash", NULL, NULL, NETRING_CAPTURE_FILL_RXHASH_DEFAULT,
                          construct);
  pspecs[NETRING_CAPTURE_SETTING_PROMISCUOUS] =
    g_param_spec_boolean ("promiscuous", NULL, NULL, FALSE, construct);
  pspecs[NETRING_CAPTURE_SETTING_IGNORE_OUTGOING] =
    g_param_spec_boolean ("ignore-outgoing", NULL, NULL, FALSE, construct);
  pspecs[NETRING_CAPTURE_SETTING_BUSY_POLL_US] =
    g_param_spec_uint ("busy-poll-us", NULL, NULL, 0, G_MAXUINT, 0, construct);
  pspecs[NETRING_CAPTURE_SETTING_RCVBUF] =
    g_param_spec_uint ("rcvbuf", NULL, NULL, 0, G_MAXUINT, 0, construct);
  pspecs[NETRING_CAPTURE_SETTING_RCVBUF_FORCE] =
    g_param_spec_boolean ("rcvbuf-force", NULL, NULL, FALSE, construct);
  pspecs[NETRING_CAPTURE_SETTING_TIMESTAMP_SOURCE] =
    g_param_spec_enum ("timestamp-source", NULL, NULL, NETRING_TYPE_TIMESTAMP_SOURCE,
                       NETRING_TIMESTAMP_SOURCE_SOFTWARE, construct);
  pspecs[NETRING_CAPTURE_SETTING_FILTER] =
    g_param_spec_string ("filter", NULL, NULL, NULL, construct);
  pspecs[NETRING_CAPTURE_SETTING_BPF_PROGRAM] =
    g_param_spec_boxed ("bpf-program", NULL, NULL, NETRING_TYPE_BPF_PROGRAM, construct);
  pspecs[NETRING_CAPTURE_SETTING_SNAP_LENGTH] =
    g_param_spec_uint ("snap-length", NULL, NULL, 0, G_MAXUINT, 0, construct);
  pspecs[NETRING_CAPTURE_SETTING_FANOUT_GROUP] =
    g_param_spec_int ("fanout-group", NULL, NULL, -1, 65535, -1, construct);
  pspecs[NETRING_CAPTURE_SETTING_FANOUT_MODE] =
    g_param_spec_enum ("fanout-mode", NULL, NULL, NETRING_TYPE_FANOUT_MODE,
                       NETRING_FANOUT_MODE_HASH, construct);
  pspecs[NETRING_CAPTURE_SETTING_FANOUT_FLAGS] =
    g_param_spec_flags ("fanout-flags", NULL, NULL, NETRING_TYPE_FANOUT_FLAGS,
                        NETRING_FANOUT_FLAGS_NONE, construct);
  pspecs[NETRING_CAPTURE_SETTING_FANOUT_PROGRAM] =
    g_param_spec_boxed ("fanout-program", NULL, NULL, NETRING_TYPE_BPF_PROGRAM, construct);
  pspecs[NETRING_CAPTURE_SETTING_FANOUT_EBPF_FD] =
    g_param_spec_int ("fanout-ebpf-fd", NULL, NULL, -1, G_MAXINT, -1, construct);
}

gboolean
netring_capture_settings_get_property (const NetringCaptureSettings *s, guint prop_id,
                                       GValue *value)
{
  switch ((NetringCaptureSettingId) prop_id)
    {
    case NETRING_CAPTURE_SETTING_INTERFACE:
      g_value_set_string (value, s->interface);
      break;
    case NETRING_CAPTURE_SETTING_PROFILE:
      g_value_set_enum (value, s->profile);
      break;
    case NETRING_CAPTURE_SETTING_BLOCK_SIZE:
      g_value_set_uint (value, s->block_size);
      break;
    case NETRING_CAPTURE_SETTING_BLOCK_COUNT:
      g_value_set_uint (value, s->block_count);
      break;
    case NETRING_CAPTURE_SETTING_FRAME_SIZE:
      g_value_set_uint (value, s->frame_size);
      break;
    case NETRING_CAPTURE_SETTING_BLOCK_TIMEOUT_MS:
      g_value_set_int (value, s->block_timeout_ms);
      break;
    case NETRING_CAPTURE_SETTING_FILL_RXHASH:
      g_value_set_boolean (value, s->fill_rxhash);
      break;
    case NETRING_CAPTURE_SETTING_PROMISCUOUS:
      g_value_set_boolean (value, s->promiscuous);
      break;
    case NETRING_CAPTURE_SETTING_IGNORE_OUTGOING:
      g_value_set_boolean (value, s->ignore_outgoing);
      break;
    case NETRING_CAPTURE_SETTING_BUSY_POLL_US:
      g_value_set_uint (value, s->busy_poll_us);
      break;
    case NETRING_CAPTURE_SETTING_RCVBUF:
      g_value_set_uint (value, s->rcvbuf);
      break;
    case NETRING_CAPTURE_SETTING_RCVBUF_FORCE:
      g_value_set_boolean (value, s->rcvbuf_force);
      break;
    case NETRING_CAPTURE_SETTING_TIMESTAMP_SOURCE:
      g_value_set_enum (value, s->timestamp_source);
      break;
    case NETRING_CAPTURE_SETTING_FILTER:
      g_value_set_string (value, s->filter);
      break;
    case NETRING_CAPTURE_SETTING_BPF_PROGRAM:
      g_value_set_boxed (value, s->bpf_program);
      break;
    case NETRING_CAPTURE_SETTING_SNAP_LENGTH:
      g_value_set_uint (value, s->snap_length);
      break;
    case NETRING_CAPTURE_SETTING_FANOUT_GROUP:
      g_value_set_int (value, s->fanout_group);
      break;
    case NETRING_CAPTURE_SETTING_FANOUT_MODE:
      g_value_set_enum (value, s->fanout_mode);
      break;
    case NETRING_CAPTURE_SETTING_FANOUT_FLAGS:
      g_value_set_flags (value, s->fanout_flags);
      break;
    case NETRING_CAPTURE_SETTING_FANOUT_PROGRAM:
      g_value_set_boxed (value, s->fanout_program);
      break;
    case NETRING_CAPTURE_SETTING_FANOUT_EBPF_FD:
      g_value_set_int (value, s->fanout_ebpf_fd);
      break;
    case NETRING_CAPTURE_N_SETTINGS:
    default:
      return FALSE;
    }
  return TRUE;
}

gboolean
netring_capture_settings_set_property (NetringCaptureSettings *s, guint prop_id,
                                       const GValue *value)
{
  switch ((NetringCaptureSettingId) prop_id)
    {
    case NETRING_CAPTURE_SETTING_INTERFACE:
      g_free (s->interface);
      s->interface = g_value_dup_string (value);
      break;
    case NETRING_CAPTURE_SETTING_PROFILE:
      s->profile = g_value_get_enum (value);
      break;
    case NETRING_CAPTURE_SETTING_BLOCK_SIZE:
      s->block_size = g_value_get_uint (value);
      break;
    case NETRING_CAPTURE_SETTING_BLOCK_COUNT:
      s->block_count = g_value_get_uint (value);
      break;
    case NETRING_CAPTURE_SETTING_FRAME_SIZE:
      s->frame_size = g_value_get_uint (value);
      break;
    case NETRING_CAPTURE_SETTING_BLOCK_TIMEOUT_MS:
      s->block_timeout_ms = g_value_get_int (value);
      break;
    case NETRING_CAPTURE_SETTING_FILL_RXHASH:
      s->fill_rxhash = g_value_get_boolean (value);
      break;
    case NETRING_CAPTURE_SETTING_PROMISCUOUS:
      s->promiscuous = g_value_get_boolean (value);
      break;
    case NETRING_CAPTURE_SETTING_IGNORE_OUTGOING:
      s->ignore_outgoing = g_value_get_boolean (value);
      break;
    case NETRING_CAPTURE_SETTING_BUSY_POLL_US:
      s->busy_poll_us = g_value_get_uint (value);
      break;
    case NETRING_CAPTURE_SETTING_RCVBUF:
      s->rcvbuf = g_value_get_uint (value);
      break;
    case NETRING_CAPTURE_SETTING_RCVBUF_FORCE:
      s->rcvbuf_force = g_value_get_boolean (value);
      break;
    case NETRING_CAPTURE_SETTING_TIMESTAMP_SOURCE:
      s->timestamp_source = g_value_get_enum (value);
      break;
    case NETRING_CAPTURE_SETTING_FILTER:
      g_free (s->filter);
      s->filter = g_value_dup_string (value);
      break;
    case NETRING_CAPTURE_SETTING_BPF_PROGRAM:
      g_clear_pointer (&s->bpf_program, netring_bpf_program_unref);
      s->bpf_program = g_value_dup_boxed (value);
      break;
    case NETRING_CAPTURE_SETTING_SNAP_LENGTH:
      s->snap_length = g_value_get_uint (value);
      break;
    case NETRING_CAPTURE_SETTING_FANOUT_GROUP:
      s->fanout_group = g_value_get_int (value);
      break;
    case NETRING_CAPTURE_SETTING_FANOUT_MODE:
      s->fanout_mode = g_value_get_enum (value);
      break;
    case NETRING_CAPTURE_SETTING_FANOUT_FLAGS:
      s->fanout_flags = g_value_get_flags (value);
      break;
    case NETRING_CAPTURE_SETTING_FANOUT_PROGRAM:
      g_clear_pointer (&s->fanout_program, netring_bpf_program_unref);
      s->fanout_program = g_value_dup_boxed (value);
      break;
    case NETRING_CAPTURE_SETTING_FANOUT_EBPF_FD:
      s->fanout_ebpf_fd = g_value_get_int (value);
      break;
    case NETRING_CAPTURE_N_SETTINGS:
    default:
      return FALSE;
    }
  return TRUE;
}

guint
netring_capture_settings_to_values (const NetringCaptureSettings *s, GParamSpec * const *pspecs,
                                    const char **names, GValue *values)
{
  guint id, n = 0;

  for (id = NETRING_CAPTURE_SETTING_INTERFACE; id < NETRING_CAPTURE_N_SETTINGS; id++)
    {
      names[n] = g_param_spec_get_name (pspecs[id]);
      g_value_init (&values[n], G_PARAM_SPEC_VALUE_TYPE (pspecs[id]));
      netring_capture_settings_get_property (s, id, &values[n]);
      n++;
    }
  return n;
}

/* ---- validation ---------------------------------------------------------- */

static gboolean
check_geometry (const NetringCaptureSettings *s, GError **error)
{
  NrRxGeometry geometry;
  long page_size = sysconf (_SC_PAGESIZE);

  netring_capture_settings_get_geometry (s, &geometry);
  switch (nr_rx_geometry_check (&geometry, (size_t) page_size))
    {
    case NR_RX_GEOMETRY_OK:
      return TRUE;
    case NR_RX_BLOCK_SIZE_NOT_POWER_OF_TWO:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “block-size” %u: it must be a power of two and a multiple of "
                     "the page size (%ld)"),
                   s->block_size, page_size);
      return FALSE;
    case NR_RX_BLOCK_SIZE_TOO_LARGE:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “block-size” %u: it must be at most %u (1 GiB), the largest "
                     "block the kernel accepts"),
                   s->block_size, NR_RX_MAX_BLOCK_SIZE);
      return FALSE;
    case NR_RX_FRAME_SIZE_MISALIGNED:
    case NR_RX_FRAME_SIZE_TOO_SMALL:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “frame-size” %u: it must be a multiple of %d and at least %d "
                     "(the packet header)"),
                   s->frame_size, NR_RX_FRAME_ALIGNMENT, (int) NR_RX_MIN_FRAME_SIZE);
      return FALSE;
    case NR_RX_FRAME_SIZE_ABOVE_BLOCK:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “frame-size” %u: it must not exceed “block-size” (%u)"),
                   s->frame_size, s->block_size);
      return FALSE;
    case NR_RX_BLOCK_COUNT_ZERO:
    case NR_RX_BLOCK_COUNT_TOO_LARGE:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “block-count” %u: it must be 1 to %u (the kernel numbers blocks "
                     "in 16 bits)"),
                   s->block_count, NR_RX_MAX_BLOCK_COUNT);
      return FALSE;
    case NR_RX_FRAME_COUNT_TOO_LARGE:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “block-count” %u: the ring would have more than %u frames "
                     "(“block-size” / “frame-size” × “block-count”); raise “frame-size” or "
                     "lower “block-count”"),
                   s->block_count, G_MAXUINT32);
      return FALSE;
    case NR_RX_BLOCK_TIMEOUT_TOO_LARGE:
    default:
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “block-timeout-ms” %d: it must be -1 (the profile's), 0 (the "
                     "kernel's default) or at most %u (the kernel keeps it in 16 bits)"),
                   s->block_timeout_ms, NR_RX_MAX_BLOCK_TIMEOUT_MS);
      return FALSE;
    }
}

gboolean
netring_capture_settings_validate (NetringCaptureSettings *s, GError **error)
{
  const ProfileGeometry *profile;

  if ((guint) s->profile >= G_N_ELEMENTS (profile_geometry))
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “profile” %d: use a NetringRingProfile value"), s->profile);
      return FALSE;
    }
  profile = &profile_geometry[s->profile];
  if (s->block_size == 0)
    s->block_size = profile->block_size;
  if (s->block_count == 0)
    s->block_count = profile->block_count;
  if (s->frame_size == 0)
    s->frame_size = profile->frame_size;
  if (s->block_timeout_ms < 0)
    s->block_timeout_ms = profile->block_timeout_ms;
  if (!check_geometry (s, error))
    return FALSE;

  if (s->busy_poll_us > G_MAXINT)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “busy-poll-us” %u: it must be at most %d"), s->busy_poll_us,
                   G_MAXINT);
      return FALSE;
    }
  /* the kernel doubles the value it is given, in an int */
  if (s->rcvbuf > G_MAXINT / 2)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “rcvbuf” %u: it must be at most %d"), s->rcvbuf, G_MAXINT / 2);
      return FALSE;
    }
  if (s->rcvbuf_force && s->rcvbuf == 0)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("“rcvbuf-force” needs “rcvbuf” to be set to a size"));
      return FALSE;
    }
  if ((guint) s->timestamp_source > NETRING_TIMESTAMP_SOURCE_RAW_HARDWARE)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “timestamp-source” %d: use a NetringTimestampSource value"),
                   s->timestamp_source);
      return FALSE;
    }

  if (s->filter != NULL && s->bpf_program != NULL)
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("Set either “filter” or “bpf-program”, not both"));
      return FALSE;
    }
  if ((guint) s->fanout_mode > NETRING_FANOUT_MODE_EBPF)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “fanout-mode” %d: use a NetringFanoutMode value"),
                   s->fanout_mode);
      return FALSE;
    }
  if ((s->fanout_mode == NETRING_FANOUT_MODE_CBPF) != (s->fanout_program != NULL))
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("“fanout-program” is required with the cbpf fanout mode and "
                             "only allowed with it"));
      return FALSE;
    }
  if ((s->fanout_mode == NETRING_FANOUT_MODE_EBPF) != (s->fanout_ebpf_fd >= 0))
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("“fanout-ebpf-fd” is required with the ebpf fanout mode and "
                             "only allowed with it"));
      return FALSE;
    }
  return TRUE;
}

gboolean
netring_capture_settings_validate_membership (const NetringCaptureSettings *s, GError **error)
{
  gboolean unique = (s->fanout_flags & NETRING_FANOUT_FLAGS_UNIQUE_ID) != 0;

  if (s->fanout_group < 0 && !unique &&
      (s->fanout_mode != NETRING_FANOUT_MODE_HASH || s->fanout_flags != 0 ||
       s->fanout_program != NULL || s->fanout_ebpf_fd >= 0))
    {
      g_set_error_literal (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                           _("The fanout settings need “fanout-group” (or the unique-id "
                             "fanout flag) to join a fanout group"));
      return FALSE;
    }
  if (unique && s->fanout_group > 0)
    {
      g_set_error (error, NETRING_ERROR, NETRING_ERROR_INVALID_CONFIGURATION,
                   _("Invalid “fanout-group” %d: with the unique-id fanout flag the kernel "
                     "chooses the id, so it must be 0 or -1"),
                   s->fanout_group);
      return FALSE;
    }
  return TRUE;
}

gboolean
netring_capture_settings_check_memory (const NetringCaptureSettings *s, guint n_rings,
                                       GError **error)
{
  NrRxGeometry geometry;
  guint64 ring;
  g_autofree gchar *block = NULL;
  g_autofree gchar *total = NULL;
  g_autofree gchar *what = NULL;

  netring_capture_settings_get_geometry (s, &geometry);
  ring = nr_rx_geometry_ring_bytes (&geometry) * n_rings;
  block = g_format_size_full (s->block_size, G_FORMAT_SIZE_IEC_UNITS);
  total = g_format_size_full (ring, G_FORMAT_SIZE_IEC_UNITS);
  if (n_rings == 1)
    /* TRANSLATORS: a ring's size, e.g. "“block-size” 1.0 GiB × “block-count” 64 = 64.0 GiB" */
    what = g_strdup_printf (_("“block-size” %s × “block-count” %u = %s"), block,
                            s->block_count, total);
  else
    /* TRANSLATORS: the rings of a fanout group, e.g. "4 members × “block-size” 4.0 MiB ×
     * “block-count” 64 = 1.0 GiB" */
    what = g_strdup_printf (_("%u members × “block-size” %s × “block-count” %u = %s"), n_rings,
                            block, s->block_count, total);
  return netring_check_ring_memory (ring, what, "block-size", "block-count", error);
}

void
netring_capture_settings_get_geometry (const NetringCaptureSettings *s, NrRxGeometry *geometry)
{
  geometry->block_size = s->block_size;
  geometry->block_count = s->block_count;
  geometry->frame_size = s->frame_size;
  geometry->block_timeout_ms = (uint32_t) MAX (s->block_timeout_ms, 0);
}

void
netring_capture_settings_get_options (const NetringCaptureSettings *s, int ifindex,
                                      NrRxOptions *options)
{
  memset (options, 0, sizeof *options);
  options->ifindex = ifindex;
  options->promiscuous = s->promiscuous;
  options->ignore_outgoing = s->ignore_outgoing;
  options->busy_poll_us = (int) s->busy_poll_us;
  options->rcvbuf = (int) s->rcvbuf;
  options->rcvbuf_force = s->rcvbuf_force;
  options->timestamp_flags = nr_timestamp_flags (s->timestamp_source);
}
