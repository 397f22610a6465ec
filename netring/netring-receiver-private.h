/* netring-receiver-private.h: what a receiver back end provides, and the
 * shared machinery (source, one-shot async calls, signals, statistics,
 * close) written once over it.
 *
 * A back end (NetringCapture, NetringXdpSocket) implements the private
 * hooks of NetringReceiverInterface. Its batches hold a reference on its
 * producer (whatever keeps the memory mapped), and the producer holds a
 * NetringReceiveCore: the gauges and the list of sources that a release,
 * from any thread, must update and wake. Sources hold the core, not the
 * producer, so a source that outlives close() does not keep a ring mapped.
 */
#pragma once

#include "netring-batch-private.h"

G_BEGIN_DECLS

/* What the next batch looks like, for the source and the blocking call. */
typedef enum {
  NETRING_RECEIVE_READY,         /* a batch can be taken now */
  NETRING_RECEIVE_EMPTY,         /* nothing yet: the fd polls readable when there is */
  NETRING_RECEIVE_EMPTY_NO_POLL, /* nothing yet, and poll() would say readable anyway
                                  * (AF_PACKET: the block retired last is held): look
                                  * again every recheck_ms */
  NETRING_RECEIVE_HELD,          /* the next batch's memory is still held by the user:
                                  * nothing can arrive until a release, which wakes
                                  * the waiting sources */
  NETRING_RECEIVE_EMPTY_WATCH,   /* nothing yet: the fd polls readable when there is,
                                  * but the socket can fail without poll() saying so
                                  * (AF_XDP: a removed interface only sets SO_ERROR):
                                  * look again every recheck_ms as well */
  NETRING_RECEIVE_FAILED,        /* the socket failed (seen by a look, not by poll()):
                                  * check_error() says why */
} NetringReceiveState;

typedef struct _NetringReceiveCore NetringReceiveCore;

struct _NetringReceiveCore {
  gatomicrefcount ref_count;
  gint closed;              /* atomic: the receiver was closed */
  NetringThreadGuard guard; /* one thread at a time (debug builds) */
  gint held_batches;        /* atomic: batches are released from any thread */
  /* the receiver's thread only */
  guint64 received;
  guint64 batches;
  guint64 drops_signalled;  /* the drop total ::drops last reported */
  GMutex lock;              /* guards what follows */
  gint64 held_packets;
  GPtrArray *sources;       /* every live source: a release or close wakes them */
};

NetringReceiveCore *_netring_receive_core_new (void);
NetringReceiveCore *_netring_receive_core_ref (NetringReceiveCore *core);
void _netring_receive_core_unref (NetringReceiveCore *core);

/* For a producer's NetringBatchOps.release, after the memory went back:
 * updates the gauges and wakes the sources waiting for it. Any thread. */
void _netring_receive_core_released (NetringReceiveCore *core, guint32 n_packets);

struct _NetringReceiverInterface {
  GTypeInterface g_iface;

  /*< private >*/
  /* Readiness (netring_readiness_check()): TRUE when the receiver can be
   * used, else @error says why (not initialized, init failed, closed). */
  gboolean (*check_ready) (NetringReceiver *self, GError **error);
  /* The core of the receiver's producer; NULL before init and after close. */
  NetringReceiveCore *(*get_core) (NetringReceiver *self);
  int (*get_fd) (NetringReceiver *self);
  NetringReceiveState (*peek) (NetringReceiver *self);
  /* The next batch when peek() said READY, else NULL. Called only by
   * _netring_receive_take(), which does the common accounting. */
  NetringBatch *(*take_batch) (NetringReceiver *self);
  /* After poll() reported POLLERR/POLLHUP: fetches the socket error.
   * Returns TRUE with @error set when reception cannot go on. */
  gboolean (*check_error) (NetringReceiver *self, GError **error);
  /* Period of the looks at the memory in states EMPTY_NO_POLL, HELD (in
   * the blocking call) and EMPTY_WATCH, in ms; asked right after peek(). */
  gint (*recheck_ms) (NetringReceiver *self);
  /* What to call the receiver in messages (the interface name). */
  const gchar *(*get_name) (NetringReceiver *self);
  /* Fills the back end's counters: packets, drops, freezes, lost_blocks
   * (the shared code fills the rest). */
  gboolean (*fill_stats) (NetringReceiver *self, NetringReceiverStats *stats, GError **error);
  /* Reads the kernel's drop counter now and returns the receiver's drop
   * total (the @drops of fill_stats), for ::drops. FALSE when it cannot be
   * read. */
  gboolean (*read_drops) (NetringReceiver *self, guint64 *drops);
  /* Marks the receiver closed (its readiness), closes the socket and drops
   * the receiver's reference on its producer (the memory stays mapped while
   * batches hold it). Does nothing when already closed. */
  gboolean (*close) (NetringReceiver *self, GError **error);
};

/* netring-receive-source.c: taking batches, for every consumer of a
 * receiver (the calls, the sources, the bridge) */
NetringBatch *_netring_receive_take (NetringReceiver *self, const NetringReceiverInterface *iface);
/* Completes an async call with @batch (transfer full): the batch itself, or
 * owned copies when the task's data is non-NULL (receive_async). */
void _netring_receive_task_return_batch (GTask *task, NetringBatch *batch);
/* Reads the drop total and emits ::drops when it grew since the last
 * emission. The receiver's thread (a source's dispatch). */
void _netring_receive_check_drops (NetringReceiver *self, const NetringReceiverInterface *iface);

/* netring-receive-source.c: the GSource behind create_source(), start()
 * and the async calls. With @task, it completes @task once (next_batch_async
 * or receive_async) instead of calling a NetringBatchFunc. The source keeps
 * @receiver alive unless @owns_receiver is FALSE (start(): the receiver
 * owns that source). */
GSource *_netring_receive_source_new (NetringReceiver *receiver,
                                      GCancellable    *cancellable,
                                      gboolean         owns_receiver,
                                      GTask           *task);
/* Wakes every source of @core (close). */
void _netring_receive_core_wake_all (NetringReceiveCore *core);

G_END_DECLS
