/* netring-sender.c: the NetringSender interface */
#include "netring-sender-private.h"

/**
 * SECTION:netring-sender
 * @short_description: The interface of everything that sends frames
 * @title: NetringSender
 * @see_also: #NetringInjector, #NetringXdpSocket
 *
 * #NetringSender is what sending objects have in common, in the spirit of
 * GIO's #GDatagramBased and #GPollableOutputStream: a ring shared with the
 * kernel that frames are written into, handed to the kernel by a kick, and
 * given back once they left. #NetringInjector (an AF_PACKET TX ring) and
 * #NetringXdpSocket (an AF_XDP socket's send pool) implement it; code that
 * only sends — a bridge, a replay, a tool — takes a #NetringSender and works
 * over every back end alike.
 *
 * Every function checks the sender first: before g_initable_init() it fails
 * with %G_IO_ERROR_NOT_INITIALIZED, after a failed init with the error init
 * failed with, after netring_sender_close() with %G_IO_ERROR_CLOSED.
 *
 * Frames go out strictly in the order they were queued, whatever mix of
 * calls queued them:
 *
 * - netring_sender_send() and netring_sender_send_bytes() copy a frame into
 *   the next slot; from C, netring_sender_reserve() and
 *   netring_sender_commit() (or netring_sender_abort()) build it in place.
 *   They never block: when the ring is full they kick the kernel once and,
 *   if nothing came back, fail with %G_IO_ERROR_WOULD_BLOCK. Wait for
 *   `POLLOUT` on netring_sender_get_fd() before trying again.
 * - netring_sender_send_async() waits for room itself, in the thread-default
 *   main context: any number of calls may be outstanding, their frames are
 *   queued in call order and their callbacks run in call order (a call
 *   that is cancelled while it waits reports at once). While calls wait,
 *   the synchronous calls fail with %G_IO_ERROR_WOULD_BLOCK rather than
 *   overtake them.
 * - netring_sender_flush() hands the queued frames to the kernel without
 *   waiting for their transmission; netring_sender_wait_drained() waits
 *   until every slot came back.
 *
 * A frame the sender cannot send — empty, longer than a slot, longer than
 * the interface's MTU plus its link-layer header — is refused with
 * %NETRING_ERROR_INVALID_ARGUMENT naming the length and the limit, and
 * counted in the sender's statistics. Nothing is dropped without being
 * counted.
 *
 * Threads: a sender is used from one thread at a time.
 */

G_DEFINE_INTERFACE (NetringSender, netring_sender, G_TYPE_OBJECT)

static void
netring_sender_default_init (NetringSenderInterface *iface)
{
}

static inline NetringSendQueue *
sender_queue (NetringSender *sender)
{
  return NETRING_SENDER_GET_IFACE (sender)->get_send_queue (sender);
}

/**
 * netring_sender_get_fd:
 * @sender: a #NetringSender
 *
 * Gets the file descriptor to poll for room: `POLLOUT` on it means that the
 * kernel may have given slots back. Do not read from, write to or close it.
 * The kernel also reports `POLLOUT` while its send buffer is less than half
 * full, so a `POLLOUT` that brought nothing back is followed by a short
 * sleep rather than another poll (netring_sender_send_async() does this
 * for you).
 *
 * Returns: the file descriptor, or -1 when the sender is not initialized or
 *   closed
 */
gint
netring_sender_get_fd (NetringSender *sender)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), -1);
  return netring_send_queue_get_fd (sender_queue (sender));
}

/**
 * netring_sender_get_pending:
 * @sender: a #NetringSender
 *
 * Gets the number of frames queued that the kernel has not given back yet
 * (not flushed, or still being transmitted).
 *
 * Returns: the number of pending frames; 0 when not initialized or closed
 */
guint
netring_sender_get_pending (NetringSender *sender)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), 0);
  return netring_send_queue_get_pending (sender_queue (sender));
}

/**
 * netring_sender_get_available:
 * @sender: a #NetringSender
 *
 * Gets the number of slots free for new frames right now.
 *
 * Returns: the number of free slots; 0 when not initialized or closed
 */
guint
netring_sender_get_available (NetringSender *sender)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), 0);
  return netring_send_queue_get_available (sender_queue (sender));
}

/**
 * netring_sender_get_max_length:
 * @sender: a #NetringSender
 *
 * Gets the length of the longest frame the sender accepts: the smaller of
 * its slot size and the interface's MTU plus link-layer header (on
 * Ethernet, 4 bytes more are accepted for a frame with an 802.1Q tag,
 * which this value includes).
 *
 * Returns: the longest frame in bytes; 0 when not initialized or closed
 */
guint
netring_sender_get_max_length (NetringSender *sender)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), 0);
  return netring_send_queue_get_max_length (sender_queue (sender));
}

/**
 * netring_sender_reserve: (skip)
 * @sender: a #NetringSender
 * @length: the length of the frame that will be written, in bytes
 * @error: return location for a #GError
 *
 * Hands out the next slot so that a frame can be built in place, with no
 * copy. Write at most @length bytes at the returned address, then call
 * netring_sender_commit() to queue the frame or netring_sender_abort() to
 * give the slot back. Only one reservation may be outstanding, and no other
 * send may happen meanwhile.
 *
 * When the ring is full this kicks the kernel once; if no slot came back,
 * it fails with %G_IO_ERROR_WOULD_BLOCK. A @length the sender cannot send
 * (see netring_sender_get_max_length()) fails with
 * %NETRING_ERROR_INVALID_ARGUMENT and is counted as refused.
 *
 * Returns: (nullable): where to write the frame, or %NULL with @error set
 */
guint8 *
netring_sender_reserve (NetringSender *sender, gsize length, GError **error)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return netring_send_queue_reserve (sender_queue (sender), length, error);
}

/**
 * netring_sender_commit: (skip)
 * @sender: a #NetringSender
 * @length: the number of bytes written at the reserved slot
 * @error: return location for a #GError
 *
 * Queues the frame written into the slot netring_sender_reserve() returned.
 * It is transmitted at the next netring_sender_flush() (or when a full ring
 * makes the sender kick the kernel).
 *
 * A @length the sender cannot send (empty, longer than the slot, longer
 * than the interface allows for this frame) fails with
 * %NETRING_ERROR_INVALID_ARGUMENT, is counted as refused and gives the slot
 * back.
 *
 * Returns: %TRUE if the frame was queued
 */
gboolean
netring_sender_commit (NetringSender *sender, gsize length, GError **error)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return netring_send_queue_commit (sender_queue (sender), length, error);
}

/**
 * netring_sender_abort: (skip)
 * @sender: a #NetringSender
 *
 * Gives back the slot netring_sender_reserve() returned, without sending
 * anything. The next frame takes the same slot, so the kernel never meets
 * a gap. Counted as aborted. Does nothing after netring_sender_close(),
 * which gave the slot back already.
 */
void
netring_sender_abort (NetringSender *sender)
{
  g_return_if_fail (NETRING_IS_SENDER (sender));
  netring_send_queue_abort (sender_queue (sender));
}

/**
 * netring_sender_send:
 * @sender: a #NetringSender
 * @data: (array length=length): the frame, from the link-layer header on
 * @length: the length of @data in bytes
 * @error: return location for a #GError
 *
 * Copies a frame into the next slot and queues it; it is transmitted at the
 * next netring_sender_flush(). Never blocks.
 *
 * When the ring is full this kicks the kernel once; if no slot came back it
 * fails with %G_IO_ERROR_WOULD_BLOCK (wait for `POLLOUT` on
 * netring_sender_get_fd(), or use netring_sender_send_async()). It also
 * fails with %G_IO_ERROR_WOULD_BLOCK while earlier
 * netring_sender_send_async() calls wait, so frames keep their order. A
 * frame the sender cannot send fails with %NETRING_ERROR_INVALID_ARGUMENT
 * naming its length and the limit, and is counted as refused.
 *
 * Returns: %TRUE if the frame was queued
 */
gboolean
netring_sender_send (NetringSender *sender, const guint8 *data, gsize length, GError **error)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return netring_send_queue_send (sender_queue (sender), data, length, error);
}

/**
 * netring_sender_send_bytes:
 * @sender: a #NetringSender
 * @frame: the frame, from the link-layer header on
 * @error: return location for a #GError
 *
 * Like netring_sender_send(), with the frame in a #GBytes.
 *
 * Returns: %TRUE if the frame was queued
 */
gboolean
netring_sender_send_bytes (NetringSender *sender, GBytes *frame, GError **error)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return netring_send_queue_send_bytes (sender_queue (sender), frame, error);
}

/**
 * netring_sender_send_many:
 * @sender: a #NetringSender
 * @frames: the frames, one after the other, from the link-layer header on
 * @lengths: (array length=n_frames): the length of each frame in @frames
 * @n_frames: the number of frames
 * @error: return location for a #GError
 *
 * Queues @n_frames frames in one call, in order, as netring_sender_send()
 * would one by one: the bulk path for bindings, whose cost per call is
 * much higher than the library's cost per frame. In Python:
 * `sender.send_many(GLib.Bytes(b"".join(frames)), [len(f) for f in frames])`.
 *
 * Stops at the first frame that cannot be queued. When that is the first
 * one, fails like netring_sender_send() (%G_IO_ERROR_WOULD_BLOCK when the
 * ring is full); otherwise returns how many frames were queued, without an
 * error: call again with the rest (after waiting for `POLLOUT`, or with
 * netring_sender_send_async() for the next one). Lengths that add up to
 * more than @frames fail with %NETRING_ERROR_INVALID_ARGUMENT before
 * anything is queued.
 *
 * Returns: the number of frames queued (at least 1 on success, or 0 for
 *   @n_frames 0), or -1 with @error set
 */
gint
netring_sender_send_many (NetringSender *sender, GBytes *frames, const guint32 *lengths,
                          guint n_frames, GError **error)
{
  NetringSendQueue *queue;
  const guint8 *data;
  gsize size;
  guint i;

  g_return_val_if_fail (NETRING_IS_SENDER (sender), -1);
  g_return_val_if_fail (frames != NULL, -1);
  g_return_val_if_fail (lengths != NULL || n_frames == 0, -1);
  g_return_val_if_fail (n_frames <= G_MAXINT, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  data = g_bytes_get_data (frames, &size);
  queue = sender_queue (sender);
  if (!netring_send_queue_check_lengths (queue, "netring_sender_send_many", size, lengths,
                                         n_frames, error))
    return -1;

  for (i = 0; i < n_frames; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (!netring_send_queue_send (queue, lengths[i] != 0 ? data : NULL, lengths[i],
                                    &local_error))
        {
          if (i == 0)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return -1;
            }
          break;
        }
      data += lengths[i];
    }
  return (gint) i;
}

/**
 * netring_sender_send_async:
 * @sender: a #NetringSender
 * @frame: the frame, from the link-layer header on
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (nullable): called when the frame is queued, or
 *   the call failed
 * @user_data: data for @callback
 *
 * Queues @frame like netring_sender_send(), but when the ring is full it
 * kicks the kernel and waits, in the thread-default main context, until a
 * slot comes back instead of failing: any number of frames can be passed
 * without a retry loop. Frames are queued, and callbacks run, in the order
 * of the calls. The sender keeps a reference on @frame only while the call
 * waits; the bytes are copied into the ring, never duplicated otherwise.
 *
 * Like netring_sender_send(), this only queues the frame: call
 * netring_sender_flush() (or netring_sender_flush_async()) after a burst,
 * or netring_sender_wait_drained_async() at the end.
 *
 * A call whose frame fits at once costs about as much as
 * netring_sender_send(): the frame is written immediately, and a pooled
 * result reports it in the next main-loop iteration together with the
 * other calls of that iteration. Cancelling a waiting call removes its
 * frame: it is never sent, and the sender stays usable. A cancellation that
 * comes after the frame was queued changes nothing: the call reports
 * success. netring_sender_close() fails the calls still waiting with
 * %G_IO_ERROR_CLOSED.
 */
void
netring_sender_send_async (NetringSender      *sender,
                           GBytes             *frame,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_return_if_fail (NETRING_IS_SENDER (sender));
  g_return_if_fail (frame != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  netring_send_queue_send_async (sender_queue (sender), frame, cancellable, callback, user_data,
                                 netring_sender_send_async);
}

/**
 * netring_sender_send_finish:
 * @sender: a #NetringSender
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_sender_send_async(). @result must come from a
 * netring_sender_send_async() call on this very @sender.
 *
 * Returns: %TRUE if the frame was queued in the ring; %FALSE with @error set
 *   (%G_IO_ERROR_CANCELLED or %G_IO_ERROR_CLOSED: the frame was not sent)
 */
gboolean
netring_sender_send_finish (NetringSender *sender, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return netring_send_queue_send_finish (sender_queue (sender), result, error);
}

/**
 * netring_sender_send_many_async:
 * @sender: a #NetringSender
 * @frames: the frames, one after the other, from the link-layer header on
 * @lengths: (array length=n_frames): the length of each frame in @frames
 * @n_frames: the number of frames
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (nullable): called when every frame is queued,
 *   or the call ended early
 * @user_data: data for @callback
 *
 * Queues @n_frames frames like netring_sender_send_many(), but waits for
 * room like netring_sender_send_async() instead of stopping when the ring
 * is full: the bulk form of send_async for bindings. The frames are queued
 * in order, after the frames of earlier send_async() and send_many_async()
 * calls; @callback runs once, in the thread-default main context of the
 * call, and netring_sender_send_many_finish() says how many frames went
 * into the ring. The sender keeps a reference on @frames while the call
 * waits; @lengths is copied.
 *
 * Fewer than @n_frames are reported when a frame fails after others were
 * queued (as netring_sender_send_many() stops there), or when @cancellable
 * is cancelled after some frames were queued: those frames are sent, the
 * others never are. Cancelled before any frame was queued, the call fails
 * with %G_IO_ERROR_CANCELLED; netring_sender_close() fails a waiting call
 * with %G_IO_ERROR_CLOSED. Lengths that add up to more than @frames fail
 * with %NETRING_ERROR_INVALID_ARGUMENT before anything is queued.
 *
 * Like netring_sender_send_async(), this only queues: flush after it.
 */
void
netring_sender_send_many_async (NetringSender      *sender,
                                GBytes             *frames,
                                const guint32      *lengths,
                                guint               n_frames,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_return_if_fail (NETRING_IS_SENDER (sender));
  g_return_if_fail (frames != NULL);
  g_return_if_fail (lengths != NULL || n_frames == 0);
  g_return_if_fail (n_frames <= G_MAXINT);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  netring_send_queue_send_many_async (sender_queue (sender), frames, lengths, n_frames,
                                      cancellable, callback, user_data,
                                      netring_sender_send_many_async);
}

/**
 * netring_sender_send_many_finish:
 * @sender: a #NetringSender
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_sender_send_many_async().
 *
 * Returns: the number of frames queued in the ring (all of them unless the
 *   call ended early, see netring_sender_send_many_async()), or -1 with
 *   @error set: %G_IO_ERROR_CANCELLED (no frame of the call was queued),
 *   %G_IO_ERROR_CLOSED (the sender was closed while the call waited), or
 *   the error of the first frame
 */
gint
netring_sender_send_many_finish (NetringSender *sender, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);
  return netring_send_queue_send_many_finish (sender_queue (sender), result, error);
}

/**
 * netring_sender_flush:
 * @sender: a #NetringSender
 * @error: return location for a #GError
 *
 * Kicks the kernel to transmit every queued frame. Never blocks (F16): the
 * kernel takes the frames — possibly only part of them when its send
 * buffer or the interface's queue is full; a later flush, a full ring or
 * netring_sender_wait_drained() kicks again — and gives their slots back as
 * they leave.
 *
 * A frame the kernel refuses does not fail the flush: it is counted, and
 * the frames after it are sent. The flush fails when the kernel cannot send
 * at all, for example with %NETRING_ERROR_INTERFACE_DOWN; the frames then
 * stay queued.
 *
 * Returns: the number of frames queued since the previous flush, or -1
 *   with @error set
 */
gint
netring_sender_flush (NetringSender *sender, GError **error)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);
  return netring_send_queue_flush (sender_queue (sender), error);
}

/**
 * netring_sender_flush_async:
 * @sender: a #NetringSender
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the kernel has been kicked
 * @user_data: data for @callback
 *
 * Asynchronous form of netring_sender_flush(). The kick itself never
 * blocks; the result is reported through the thread-default main context.
 */
void
netring_sender_flush_async (NetringSender      *sender,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_return_if_fail (NETRING_IS_SENDER (sender));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  netring_send_queue_flush_async (sender_queue (sender), cancellable, callback, user_data,
                                  netring_sender_flush_async);
}

/**
 * netring_sender_flush_finish:
 * @sender: a #NetringSender
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_sender_flush_async().
 *
 * Returns: the number of frames queued since the previous flush, or -1
 *   with @error set
 */
gint
netring_sender_flush_finish (NetringSender *sender, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);
  return netring_send_queue_flush_finish (sender_queue (sender), result, error);
}

/**
 * netring_sender_wait_drained:
 * @sender: a #NetringSender
 * @timeout_ms: how long to wait at most, in milliseconds; -1 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Kicks the kernel if frames are queued that it was not told about, then
 * blocks until it has given back every slot (every queued frame left or
 * was rejected), at most @timeout_ms. Frames still waiting in
 * netring_sender_send_async() are not in the ring yet and are not waited
 * for: wait for their callbacks first.
 *
 * Returns: %TRUE when nothing is pending any more; %FALSE with @error set:
 *   %G_IO_ERROR_TIMED_OUT, %G_IO_ERROR_CANCELLED or a kernel error
 */
gboolean
netring_sender_wait_drained (NetringSender *sender,
                             gint           timeout_ms,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return netring_send_queue_wait_drained (sender_queue (sender), timeout_ms, cancellable, error);
}

/**
 * netring_sender_wait_drained_async:
 * @sender: a #NetringSender
 * @timeout_ms: how long to wait at most, in milliseconds; -1 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when nothing is pending any more, or on
 *   time-out
 * @user_data: data for @callback
 *
 * Asynchronous form of netring_sender_wait_drained(): kicks the kernel if
 * needed, then waits in the thread-default main context.
 */
void
netring_sender_wait_drained_async (NetringSender      *sender,
                                   gint                timeout_ms,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_return_if_fail (NETRING_IS_SENDER (sender));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  netring_send_queue_wait_drained_async (sender_queue (sender), timeout_ms, cancellable,
                                         callback, user_data, netring_sender_wait_drained_async);
}

/**
 * netring_sender_wait_drained_finish:
 * @sender: a #NetringSender
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes netring_sender_wait_drained_async().
 *
 * Returns: %TRUE when nothing is pending any more; %FALSE with @error set:
 *   %G_IO_ERROR_TIMED_OUT, %G_IO_ERROR_CANCELLED, %G_IO_ERROR_CLOSED or a
 *   kernel error
 */
gboolean
netring_sender_wait_drained_finish (NetringSender *sender, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return netring_send_queue_wait_drained_finish (sender_queue (sender), result, error);
}

/**
 * netring_sender_close:
 * @sender: a #NetringSender
 * @error: return location for a #GError
 *
 * Closes the sender at once, without waiting for a garbage collector:
 * hands every frame queued in the ring to the kernel (it transmits them
 * after the close too), then unmaps the ring and closes the socket. It does
 * not wait for the frames to leave: call netring_sender_wait_drained()
 * first for that.
 *
 * What happens to the rest: an open reservation is aborted (counted as
 * aborted); netring_sender_send_async() calls still waiting for room fail
 * with %G_IO_ERROR_CLOSED (their frames never reach the ring), calls whose
 * frame was queued already report success; a pending
 * netring_sender_wait_drained_async() fails with %G_IO_ERROR_CLOSED; frames
 * the kernel does not take within a short time (its send buffer stays
 * full) are discarded and counted as such.
 *
 * Every later call fails with %G_IO_ERROR_CLOSED; statistics stay
 * readable. Closing again does nothing and succeeds.
 *
 * Returns: %TRUE (closing cannot fail today; @error is for later back ends)
 */
gboolean
netring_sender_close (NetringSender *sender, GError **error)
{
  g_return_val_if_fail (NETRING_IS_SENDER (sender), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  netring_send_queue_close (sender_queue (sender));
  return TRUE;
}
