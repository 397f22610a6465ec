/* netring-sender-private.h: the send machinery shared by every sender, and
 * the hooks through which it drives a sender's back end. Never installed.
 *
 * A sender (NetringInjector, NetringXdpSocket) embeds a NetringSendQueue
 * and implements the hooks of NetringSenderInterface; the queue then does
 * for every sender, once: the readiness check, the order of frames
 * (synchronous sends never overtake waiting send_async() calls), the
 * send_async() queue and its POLLOUT wait, the pooled results that report
 * completions once per main-loop round, flush_async, wait_drained (sync and
 * async) and close. The public netring_sender_*() functions, and a class's
 * typed wrappers, call the queue's functions below. */
#pragma once

#include "netring-private.h"

G_BEGIN_DECLS

typedef struct _NetringSendQueue NetringSendQueue;
typedef struct _NetringSendResult NetringSendResult;
typedef struct _NetringSendRound NetringSendRound;

/* What a hook that hands out room says. */
typedef enum {
  NETRING_SEND_OK,
  NETRING_SEND_FULL,   /* no room now, even after one kick: wait for POLLOUT */
  NETRING_SEND_FAILED, /* the error is set (a refused frame, a dead interface) */
} NetringSendStatus;

/* The hooks of a back end. The queue calls them only on a ready sender
 * (initialised, not closed), one at a time, from the thread that uses the
 * sender. None of them blocks. */
struct _NetringSenderInterface {
  GTypeInterface g_iface;

  /* The queue embedded in the sender. */
  NetringSendQueue *(*get_send_queue) (NetringSender *sender);

  /* Copies one frame into the next slot and queues it: checks the length
   * (counting a refusal), and when the ring is full kicks the kernel once
   * before answering NETRING_SEND_FULL. */
  NetringSendStatus (*put) (NetringSender *sender, const guint8 *data, gsize length,
                            GError **error);
  /* The zero-copy path: the same checks, with the frame written in place
   * between reserve and commit. A refused commit gives the slot back. */
  guint8 *(*reserve) (NetringSender *sender, gsize length, NetringSendStatus *status,
                      GError **error);
  gboolean (*commit) (NetringSender *sender, gsize length, GError **error);
  void (*abort) (NetringSender *sender);

  /* Hands every queued frame to the kernel without waiting (a refused frame
   * is counted, not an error); fails only when nothing can be sent. */
  gboolean (*kick) (NetringSender *sender, GError **error);
  /* Accounts for what the kernel gave back; returns how many frames came
   * back during the call. */
  guint (*reap) (NetringSender *sender);
  guint (*get_pending) (NetringSender *sender);
  guint (*get_available) (NetringSender *sender);
  guint (*get_max_length) (NetringSender *sender);
  /* The fd whose POLLOUT means "room may have come back". */
  gint (*get_fd) (NetringSender *sender);
  /* After POLLERR/POLLHUP: reads the socket's error; TRUE with @error set
   * when there was one. */
  gboolean (*take_error) (NetringSender *sender, GError **error);
  /* Releases the back end at close(): hands what is queued to the kernel
   * (bounded in time), counts what it could not, unmaps, closes. The queue
   * has already ended every wait on the fd and aborted the reservation. */
  void (*close) (NetringSender *sender);
};

/* The tags a class's typed wrappers give their calls; finish functions
 * accept results tagged with these or with the interface's functions. */
typedef struct {
  gpointer send_async;
  gpointer flush_async;
  gpointer wait_drained_async;
} NetringSendTags;

struct _NetringSendQueue {
  NetringSender *sender;               /* the owner; no reference */
  NetringThreadGuard guard;            /* one thread at a time (debug builds) */
  const NetringSenderInterface *iface; /* its hooks */
  NetringReadiness *readiness;         /* the owner's */
  const char *type_name;               /* for messages, e.g. "NetringInjector" */
  NetringSendTags tags;

  guint64 queued_since_flush;
  gboolean reserved;

  /* send_async() calls waiting for room, oldest first, and the source that
   * waits for the oldest one (in its main context) */
  NetringSendResult *wait_head;
  NetringSendResult *wait_tail;
  guint n_waiting;
  GSource *wait_source;
  guint backoff_ms;

  /* completed send_async() calls, one round per main context */
  GPtrArray *rounds; /* NetringSendRound */
  NetringSendRound *last_round;
  NetringSendResult *pool;
  guint pool_length;

  /* calls waiting or waiting for their callback; the queue holds one
   * reference on the sender while there are any */
  guint n_outstanding;

  GList *drains; /* wait_drained_async() calls in progress */
};

/* Sets up @queue for @sender, whose class implements the hooks. */
void netring_send_queue_init (NetringSendQueue      *queue,
                              NetringSender         *sender,
                              NetringReadiness      *readiness,
                              const char            *type_name,
                              const NetringSendTags *tags);
/* For finalize. */
void netring_send_queue_clear (NetringSendQueue *queue);

/* The interface's operations, on a queue. The public netring_sender_*()
 * functions and the typed wrappers of a class call these; @tag is the
 * public function the caller entered through. */
gint netring_send_queue_get_fd (NetringSendQueue *queue);
guint netring_send_queue_get_pending (NetringSendQueue *queue);
guint netring_send_queue_get_available (NetringSendQueue *queue);
guint netring_send_queue_get_max_length (NetringSendQueue *queue);
guint8 *netring_send_queue_reserve (NetringSendQueue *queue, gsize length, GError **error);
gboolean netring_send_queue_commit (NetringSendQueue *queue, gsize length, GError **error);
void netring_send_queue_abort (NetringSendQueue *queue);
/* @data may be NULL when @length is 0 (refused as empty, and counted). */
gboolean netring_send_queue_send (NetringSendQueue *queue,
                                  const guint8     *data,
                                  gsize             length,
                                  GError          **error);
gboolean netring_send_queue_send_bytes (NetringSendQueue *queue,
                                        GBytes           *frame,
                                        GError          **error);
void netring_send_queue_send_async (NetringSendQueue   *queue,
                                    GBytes             *frame,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data,
                                    gpointer            tag);
gboolean netring_send_queue_send_finish (NetringSendQueue *queue,
                                         GAsyncResult     *result,
                                         GError          **error);
void netring_send_queue_send_many_async (NetringSendQueue   *queue,
                                         GBytes             *frames,
                                         const guint32      *lengths,
                                         guint               n_frames,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data,
                                         gpointer            tag);
gint netring_send_queue_send_many_finish (NetringSendQueue *queue,
                                          GAsyncResult     *result,
                                          GError          **error);
/* Whether @n_frames @lengths fit in @size bytes; otherwise an error that
 * names @function and the rule. */
gboolean netring_send_queue_check_lengths (NetringSendQueue *queue,
                                           const char       *function,
                                           gsize             size,
                                           const guint32    *lengths,
                                           guint             n_frames,
                                           GError          **error);
gint netring_send_queue_flush (NetringSendQueue *queue, GError **error);
void netring_send_queue_flush_async (NetringSendQueue   *queue,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data,
                                     gpointer            tag);
gint netring_send_queue_flush_finish (NetringSendQueue *queue,
                                      GAsyncResult     *result,
                                      GError          **error);
gboolean netring_send_queue_wait_drained (NetringSendQueue *queue,
                                          gint              timeout_ms,
                                          GCancellable     *cancellable,
                                          GError          **error);
void netring_send_queue_wait_drained_async (NetringSendQueue   *queue,
                                            gint                timeout_ms,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data,
                                            gpointer            tag);
gboolean netring_send_queue_wait_drained_finish (NetringSendQueue *queue,
                                                 GAsyncResult     *result,
                                                 GError          **error);

/* close(): marks the sender closed (its readiness), ends the waits on its
 * fd, fails waiting calls with G_IO_ERROR_CLOSED, aborts an open
 * reservation and calls the close hook. Calls that already completed still
 * get their callbacks. Returns FALSE when the sender was already closed
 * (nothing done). Also what dispose does. */
gboolean netring_send_queue_close (NetringSendQueue *queue);

/* The message of G_IO_ERROR_WOULD_BLOCK when the ring is full. */
void netring_send_queue_set_full_error (NetringSendQueue *queue, GError **error);

G_END_DECLS
