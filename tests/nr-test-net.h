/* nr-test-net.h: the network-namespace + veth fixture shared by all
 * privileged tests, and helpers that put known frames on the wire. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit status that tells meson a test was skipped. */
#define NR_TEST_SKIP_STATUS 77

typedef struct {
  char a[16];   /* sending end */
  char b[16];   /* capturing end */
  int ifindex_a;
  int ifindex_b;
  guint8 mac_a[6];
  guint8 mac_b[6];
} NrTestVeth;

/* Moves the whole process into a fresh, unnamed network namespace (so every
 * interface a test creates disappears with the process, even after a crash
 * or an assertion failure) with IPv6 off so that no stray traffic appears.
 * Call first thing in main(), before any thread exists. If the process lacks
 * the privilege, prints a TAP skip plan with the reason and exits with 77. */
void nr_test_net_enter_or_skip (const char *test_name);

/* Creates a veth pair with names unique in this process, both ends up, MACs
 * 02:00:00:00:00:01 (a) / 02:00:00:00:00:02 (b), offloads off so a frame on
 * the wire is a frame in the ring. Aborts the test on failure. */
NrTestVeth *nr_test_veth_new (void);
/* Waits until both ends have their carrier and an active qdisc (after "ip
 * link set … up"): before that the device's noop qdisc silently drops what
 * is sent. Asks rtnetlink, which answers after the link watcher is done. */
void nr_test_veth_wait_running (const NrTestVeth *veth);
/* Deletes the pair (removing either end removes both) and frees @veth. */
void nr_test_veth_free (NrTestVeth *veth);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NrTestVeth, nr_test_veth_free)

/* Runs "ip ARGS…" (NULL-terminated), aborting the test on failure. */
void nr_test_ip (const char *first_arg, ...) G_GNUC_NULL_TERMINATED;
/* Runs "ip ARGS…" and reports failure instead of aborting, for devices the
 * kernel may not have been built with: returns whether it succeeded, with
 * its standard error (stripped; free with g_free()) in *@err_out when not
 * NULL. */
gboolean nr_test_try_ip (char **err_out, const char *first_arg, ...) G_GNUC_NULL_TERMINATED;
/* Runs "tc ARGS…" (NULL-terminated), aborting the test on failure. */
void nr_test_tc (const char *first_arg, ...) G_GNUC_NULL_TERMINATED;

/* The test EtherType (IEEE local experimental 1): nothing in the kernel
 * answers it, so the wire carries only what the test sends. */
#define NR_TEST_ETHERTYPE 0x88b5

/* Fills @frame (@length >= 20) with frame number @seq from @src to @dst:
 * Ethernet header, EtherType NR_TEST_ETHERTYPE, the sequence number (big
 * endian), then bytes that depend on @seq and their position. */
void nr_test_frame_fill (guint8 *frame, gsize length, guint32 seq, const guint8 *src,
                         const guint8 *dst);
/* Reads the sequence number of a test frame. */
guint32 nr_test_frame_seq (const guint8 *frame);
/* Whether @frame is byte for byte frame @seq of @length. */
gboolean nr_test_frame_check (const guint8 *frame, gsize length, guint32 seq,
                              const guint8 *src, const guint8 *dst);

/* Sends @count test frames of @length numbered from @first_seq out of
 * interface @ifname with a plain AF_PACKET socket and send(), independent of
 * the library under test. */
void nr_test_send_frames (const NrTestVeth *veth, guint32 first_seq, guint count, gsize length);

/* Sends one arbitrary frame out of veth->a. */
void nr_test_send_raw (const NrTestVeth *veth, const guint8 *frame, gsize length);
/* Sends one arbitrary frame out of the interface with index @ifindex. */
void nr_test_send_raw_on (int ifindex, const guint8 *frame, gsize length);
/* Waits until interface @ifname is up, running and has an active qdisc. */
void nr_test_link_wait_running (const char *ifname);

/* Fills @frame (@length >= 46) with a valid Ethernet/IPv4/UDP frame from
 * @src_ip:@sport to @dst_ip:@dport (host byte order, IPv4 header checksum
 * set, UDP checksum 0), whose payload starts with @seq (big endian) followed
 * by bytes that depend on @seq and their position. */
void nr_test_udp_frame_fill (guint8 *frame, gsize length, guint32 seq, guint32 src_ip,
                             guint32 dst_ip, guint16 sport, guint16 dport, const guint8 *src_mac,
                             const guint8 *dst_mac);
/* The sequence number of a frame made by nr_test_udp_frame_fill(). */
guint32 nr_test_udp_frame_seq (const guint8 *frame);

/* A send-only AF_PACKET socket on veth->a, for tests that send many
 * different frames; close() it when done. */
int nr_test_sender_open (const NrTestVeth *veth);
/* Sends one frame on a socket from nr_test_sender_open(), retrying while the
 * device queue is full. */
void nr_test_sender_send (int fd, const guint8 *frame, gsize length);

/* Like nr_test_veth_new(), with @queues RX and TX queues on each end
 * (numrxqueues/numtxqueues). On veth the receiving end's RX queue is the
 * sending end's TX queue, which the kernel picks per flow (skb hash). */
NrTestVeth *nr_test_veth_new_multiqueue (guint queues);
/* A witness that the kernel has handled test frame @seq on veth->b: a plain
 * packet socket bound to NR_TEST_ETHERTYPE on veth->b whose filter keeps
 * only that frame. The kernel hands a frame to every ETH_P_ALL socket (all
 * captures) before the sockets bound to its EtherType, so once the witness
 * has the frame, every capture on veth->b has taken or dropped it, and
 * every frame sent before it from the same CPU. Open it before sending. */
int nr_test_witness_open (const NrTestVeth *veth, guint32 seq);
/* Waits (20 s at most, then fails) until the witness has its frame, and
 * closes it. */
void nr_test_witness_wait (int fd);

/* The calling thread's kernel thread id. */
int nr_test_gettid (void);
/* Waits until thread @tid (of this process) sleeps in poll()/ppoll() with a
 * timeout that is not zero: parked in a main loop, not spinning. 20 s at
 * most, then fails. */
void nr_test_thread_wait_parked (int tid);

/* Pins the calling thread to the first CPU it may run on, so that every
 * frame it sends goes through one CPU's receive backlog, in order. */
void nr_test_pin_thread (void);

/* ---- network namespaces and the bridge topology ------------------------- */

/* Makes a new network namespace (IPv6 off) without entering it, from a
 * short-lived thread, and returns an fd that keeps it alive: close it to
 * let the namespace go. */
int nr_test_netns_new (void);
/* An fd to the calling thread's network namespace. */
int nr_test_netns_current (void);
/* Moves the calling thread (only it) into namespace @ns: sockets it makes
 * afterwards, and programs it runs, live there. */
void nr_test_netns_enter (int ns);

/* Two veth pairs for a bridge under test, in three namespaces:
 *
 *   ns_a: host_a ── port_a :bridge namespace: port_b ── host_b :ns_b
 *
 * The bridge's ports live in the namespace the test runs in; each host end
 * in a namespace of its own, so a sender and a capture there see only their
 * end. MACs: host_a 02:00:00:00:00:01, host_b 02:00:00:00:00:02, ports
 * 02:00:00:00:01:0a / 02:00:00:00:01:0b. Offloads are off on every end, and
 * every end is up and running when this returns. */
typedef struct {
  int ns_a;
  int ns_b;
  char host_a[16];
  char port_a[16];
  char port_b[16];
  char host_b[16];
  int ifindex_host_a; /* in ns_a */
  int ifindex_host_b; /* in ns_b */
  guint8 mac_host_a[6];
  guint8 mac_host_b[6];
} NrTestBridgeNet;

NrTestBridgeNet *nr_test_bridge_net_new (void);
/* Deletes both pairs (the ports' ends take their peers along) and closes
 * the namespaces. */
void nr_test_bridge_net_free (NrTestBridgeNet *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NrTestBridgeNet, nr_test_bridge_net_free)

/* Runs "ip ARGS…" (NULL-terminated) in namespace @ns. */
void nr_test_ip_in (int ns, const char *first_arg, ...) G_GNUC_NULL_TERMINATED;

/* Pins the calling thread to the last CPU it may run on (the first one is
 * nr_test_pin_thread()'s), so that two pinned threads share a CPU only when
 * there is one. */
void nr_test_pin_thread_last (void);

/* ---- counting a stream of test frames ------------------------------------ */

/* The expected stream: frames 0 … count-1 of @length from @src to @dst,
 * each exactly once and byte for byte, and an end marker (frame @count, 64
 * bytes) sent after them, so that a duplicate sent before the marker is
 * seen before the test ends. */
typedef struct {
  guint32 count;
  gsize length;
  const guint8 *src;
  const guint8 *dst;
  guint8 *seen;
  guint32 received;  /* frames 0 … count-1 seen so far */
  gboolean marker_seen;
} NrTestTally;

void nr_test_tally_init (NrTestTally *t, guint32 count, gsize length, const guint8 *src,
                         const guint8 *dst);
/* Frees what nr_test_tally_init() allocated. */
void nr_test_tally_clear (NrTestTally *t);
/* Counts one frame; aborts the test on a frame that is not in the stream,
 * is damaged or arrives twice. */
void nr_test_tally_frame (NrTestTally *t, const guint8 *data, gsize len);

/* ---- somebody else's XDP programs ---------------------------------------- */

/* Loads, as another application would, an XDP program named "nrtest_other"
 * that passes every frame (XDP_PASS). Returns its fd; aborts on failure. */
int nr_test_xdp_load_pass (void);
/* Loads, the same way, the redirect program AF_XDP sockets use, over the
 * caller's own XSKMAP @map_fd:
 * return bpf_redirect_map (&map, ctx->rx_queue_index, XDP_PASS). */
int nr_test_xdp_load_redirect (int map_fd);
/* Attaches program @prog_fd to interface @ifindex, in driver mode when
 * @native, else generic, and only if it has no program yet; aborts on
 * failure. */
void nr_test_xdp_attach (int ifindex, int prog_fd, gboolean native);
/* The kernel's id of program @prog_fd; aborts on failure. */
guint32 nr_test_xdp_prog_id (int prog_fd);

G_END_DECLS
