/* netring-pcap-replay.h: sending the packets of a file again */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>
#include <netring/netring-pcap-reader.h>
#include <netring/netring-sender.h>

G_BEGIN_DECLS

/**
 * NetringPcapReplayMode:
 * @NETRING_PCAP_REPLAY_MODE_RECORDED: keep the intervals between the
 *   recorded timestamps, divided by #NetringPcapReplay:speed
 * @NETRING_PCAP_REPLAY_MODE_RATE: send #NetringPcapReplay:rate frames per
 *   second, evenly spaced, whatever the timestamps say
 * @NETRING_PCAP_REPLAY_MODE_TOPSPEED: send as fast as the sender takes
 *   frames (like `tcpreplay --topspeed`)
 *
 * How a #NetringPcapReplay paces the frames.
 */
typedef enum {
  NETRING_PCAP_REPLAY_MODE_RECORDED,
  NETRING_PCAP_REPLAY_MODE_RATE,
  NETRING_PCAP_REPLAY_MODE_TOPSPEED,
} NetringPcapReplayMode;

/**
 * NETRING_TYPE_PCAP_REPLAY:
 *
 * The #GType of #NetringPcapReplay.
 */
#define NETRING_TYPE_PCAP_REPLAY (netring_pcap_replay_get_type ())

/**
 * NetringPcapReplay:
 *
 * Sends the packets of a #NetringPcapReader through a #NetringSender. All
 * fields are private.
 */
NETRING_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NetringPcapReplay, netring_pcap_replay, NETRING, PCAP_REPLAY, GObject)

NETRING_AVAILABLE_IN_ALL
NetringPcapReplay *netring_pcap_replay_new (NetringPcapReader *reader, NetringSender *sender);

NETRING_AVAILABLE_IN_ALL
NetringPcapReader *netring_pcap_replay_get_reader (NetringPcapReplay *self);
NETRING_AVAILABLE_IN_ALL
NetringSender *netring_pcap_replay_get_sender (NetringPcapReplay *self);
NETRING_AVAILABLE_IN_ALL
NetringPcapReplayMode netring_pcap_replay_get_mode (NetringPcapReplay *self);
NETRING_AVAILABLE_IN_ALL
void netring_pcap_replay_set_mode (NetringPcapReplay *self, NetringPcapReplayMode mode);
NETRING_AVAILABLE_IN_ALL
gdouble netring_pcap_replay_get_speed (NetringPcapReplay *self);
NETRING_AVAILABLE_IN_ALL
void netring_pcap_replay_set_speed (NetringPcapReplay *self, gdouble speed);
NETRING_AVAILABLE_IN_ALL
gdouble netring_pcap_replay_get_rate (NetringPcapReplay *self);
NETRING_AVAILABLE_IN_ALL
void netring_pcap_replay_set_rate (NetringPcapReplay *self, gdouble rate);
NETRING_AVAILABLE_IN_ALL
guint netring_pcap_replay_get_loop_count (NetringPcapReplay *self);
NETRING_AVAILABLE_IN_ALL
void netring_pcap_replay_set_loop_count (NetringPcapReplay *self, guint loop_count);

NETRING_AVAILABLE_IN_ALL
guint64 netring_pcap_replay_get_frames_sent (NetringPcapReplay *self);
NETRING_AVAILABLE_IN_ALL
guint64 netring_pcap_replay_get_frames_skipped (NetringPcapReplay *self);
NETRING_AVAILABLE_IN_ALL
guint64 netring_pcap_replay_get_frames_rejected (NetringPcapReplay *self);

NETRING_AVAILABLE_IN_ALL
void netring_pcap_replay_run_async (NetringPcapReplay  *self,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
NETRING_AVAILABLE_IN_ALL
gboolean netring_pcap_replay_run_finish (NetringPcapReplay *self,
                                         GAsyncResult      *result,
                                         GError           **error);
NETRING_AVAILABLE_IN_ALL
gboolean netring_pcap_replay_run (NetringPcapReplay *self,
                                  GCancellable      *cancellable,
                                  GError           **error);

G_END_DECLS
