/* netring-capture-settings-private.h: the settings of a capture, shared by
 * NetringCapture and NetringFanoutGroup
 *
 * Both classes have the same construct-only properties for what a capture
 * socket is (interface, ring, options, filter, fanout). They are declared,
 * stored, read, written and checked here once, so that the two classes can
 * never drift apart: a setting added here is a property of both, with the
 * same name, type, range and default, and a fanout group hands every one of
 * them to its members. */
#pragma once

#include "netring-private.h"
#include "nr-afpacket.h"

G_BEGIN_DECLS

/* Property ids of the shared settings. A class installs them with
 * netring_capture_settings_install() and numbers its own properties from
 * NETRING_CAPTURE_N_SETTINGS on. */
typedef enum {
  NETRING_CAPTURE_SETTING_INTERFACE = 1,
  NETRING_CAPTURE_SETTING_PROFILE,
  NETRING_CAPTURE_SETTING_BLOCK_SIZE,
  NETRING_CAPTURE_SETTING_BLOCK_COUNT,
  NETRING_CAPTURE_SETTING_FRAME_SIZE,
  NETRING_CAPTURE_SETTING_BLOCK_TIMEOUT_MS,
  NETRING_CAPTURE_SETTING_FILL_RXHASH,
  NETRING_CAPTURE_SETTING_PROMISCUOUS,
  NETRING_CAPTURE_SETTING_IGNORE_OUTGOING,
  NETRING_CAPTURE_SETTING_BUSY_POLL_US,
  NETRING_CAPTURE_SETTING_RCVBUF,
  NETRING_CAPTURE_SETTING_RCVBUF_FORCE,
  NETRING_CAPTURE_SETTING_TIMESTAMP_SOURCE,
  NETRING_CAPTURE_SETTING_FILTER,
  NETRING_CAPTURE_SETTING_BPF_PROGRAM,
  NETRING_CAPTURE_SETTING_SNAP_LENGTH,
  NETRING_CAPTURE_SETTING_FANOUT_GROUP,
  NETRING_CAPTURE_SETTING_FANOUT_MODE,
  NETRING_CAPTURE_SETTING_FANOUT_FLAGS,
  NETRING_CAPTURE_SETTING_FANOUT_PROGRAM,
  NETRING_CAPTURE_SETTING_FANOUT_EBPF_FD,
  NETRING_CAPTURE_N_SETTINGS
} NetringCaptureSettingId;

/* The default of #NetringCapture:fill-rxhash (see docs/decisions.md). */
#define NETRING_CAPTURE_FILL_RXHASH_DEFAULT FALSE

typedef struct {
  gchar *interface;
  NetringRingProfile profile;
  guint block_size;      /* 0 = the profile's; resolved by validate */
  guint block_count;     /* 0 = the profile's */
  guint frame_size;      /* 0 = the profile's */
  gint block_timeout_ms; /* -1 = the profile's */
  gboolean fill_rxhash;
  gboolean promiscuous;
  gboolean ignore_outgoing;
  guint busy_poll_us;
  guint rcvbuf;
  gboolean rcvbuf_force;
  NetringTimestampSource timestamp_source;
  gchar *filter;                  /* a pcap expression, or NULL */
  NetringBpfProgram *bpf_program; /* a classic program, or NULL */
  guint snap_length;
  gint fanout_group;              /* -1 = none (a capture) / the kernel's choice (a group) */
  NetringFanoutMode fanout_mode;
  NetringFanoutFlags fanout_flags;
  NetringBpfProgram *fanout_program;
  gint fanout_ebpf_fd;
} NetringCaptureSettings;

/* The pspec defaults. */
void netring_capture_settings_init (NetringCaptureSettings *settings);
void netring_capture_settings_clear (NetringCaptureSettings *settings);
/* A deep copy (strings duplicated, programs referenced) into @dest, which
 * must be cleared or fresh. */
void netring_capture_settings_copy (NetringCaptureSettings       *dest,
                                    const NetringCaptureSettings *src);

/* Creates the pspecs of every shared setting into
 * @pspecs[NETRING_CAPTURE_SETTING_INTERFACE .. NETRING_CAPTURE_N_SETTINGS - 1]
 * (the class's own properties array, installed by the class with
 * g_object_class_install_properties()). All are construct-only. */
void netring_capture_settings_install (GParamSpec **pspecs);

/* get_property / set_property for @prop_id, a NetringCaptureSettingId.
 * Return FALSE for any other id. */
gboolean netring_capture_settings_get_property (const NetringCaptureSettings *settings,
                                                guint                         prop_id,
                                                GValue                       *value);
gboolean netring_capture_settings_set_property (NetringCaptureSettings *settings,
                                                guint                   prop_id,
                                                const GValue           *value);

/* Takes the profile's value for every geometry setting left at "the
 * profile's", then checks every rule (the kernel's, from nr-afpacket.h, and
 * the library's), failing with NETRING_ERROR_INVALID_CONFIGURATION naming
 * the property and the rule. Touches no socket and no memory. Fanout
 * membership rules that only apply to a single capture are in
 * netring_capture_settings_validate_membership(). */
gboolean netring_capture_settings_validate (NetringCaptureSettings *settings, GError **error);

/* For a single capture: the fanout settings need a group to join, and a
 * unique id is the kernel's to choose. */
gboolean netring_capture_settings_validate_membership (const NetringCaptureSettings *settings,
                                                       GError                      **error);

/* Refuses (NETRING_ERROR_NO_MEMORY) @n_rings rings of the validated
 * geometry when they are larger than the machine (MemAvailable) or the
 * process's memory cgroup can give, naming both sizes and the properties to
 * change. Reads /proc and the cgroup file system; allocates nothing. */
gboolean netring_capture_settings_check_memory (const NetringCaptureSettings *settings,
                                                guint                         n_rings,
                                                GError                      **error);

/* The validated settings as the kernel floor takes them. */
void netring_capture_settings_get_geometry (const NetringCaptureSettings *settings,
                                            NrRxGeometry                 *geometry);
void netring_capture_settings_get_options (const NetringCaptureSettings *settings,
                                           int                           ifindex,
                                           NrRxOptions                  *options);

/* Every setting of @settings as a GValue, for creating captures with
 * g_object_new_with_properties(): fills @names and @values (each
 * NETRING_CAPTURE_N_SETTINGS - 1 long; unset the values afterwards) and
 * returns how many it filled. */
guint netring_capture_settings_to_values (const NetringCaptureSettings *settings,
                                          GParamSpec * const           *pspecs,
                                          const char                  **names,
                                          GValue                       *values);

G_END_DECLS
