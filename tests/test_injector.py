#!/usr/bin/python3
"""NetringInjector through the typelib (PyGObject): frames built as Python
bytes leave one end of a veth pair through the TX ring and are captured on
the other end with Netring.Capture, byte for byte, in order and count for
count. Covers send, send_bytes, send_async in a GLib.MainLoop (with a ring
smaller than the burst), flush, wait_drained, stats and the errors.

TAP output. Runs in a private network namespace of its own (unshare), so the
veth pair disappears with the process whatever happens."""

import select
import time

from nrtest import GLib, Gio, Netring, frame, make_veth as _make_veth, run_tests, test


def make_veth(n):
    return _make_veth("nrpyi", n)


veth_counter = [0]


def new_pair():
    veth_counter[0] += 1
    return make_veth(veth_counter[0])


def new_capture(ifname):
    cap = Netring.Capture(interface=ifname, block_size=1 << 20, block_count=16,
                          block_timeout_ms=10)
    cap.init(None)
    return cap


def receive(cap, expected):
    """Reads until len(expected) frames arrived, then checks that nothing
    else follows; compares byte for byte and in order."""
    got = []
    deadline = time.monotonic() + 10
    while len(got) < len(expected) and time.monotonic() < deadline:
        try:
            batch = cap.next_batch_timeout(100, None)
        except GLib.Error as e:
            if e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT):
                continue
            raise
        for packet in batch.get_packets():
            got.append(bytes(packet.get_bytes().get_data()))
    assert len(got) == len(expected), "got %d frames, expected %d" % (len(got), len(expected))
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g == e, "frame %d differs: %r… != %r…" % (i, g[:20], e[:20])
    try:
        batch = cap.next_batch_timeout(150, None)
        raise AssertionError("%d unexpected frames" % batch.get_n_packets())
    except GLib.Error as e:
        assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT), e.message


def send_with_retry(tx, data):
    """the ring is full: wait until the kernel says the socket is writable
    (POLLOUT may already be set while slots are in flight: then this is a
    short spin, bounded by the 10 ms poll)"""
    poller = select.poll()
    poller.register(tx.get_fd(), select.POLLOUT)
    while True:
        try:
            tx.send(data)
            return
        except GLib.Error as e:
            if not e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.WOULD_BLOCK):
                raise
            poller.poll(10)


@test
def send_and_capture():
    a, b = new_pair()
    cap = new_capture(b)
    tx = Netring.Injector(interface=a, frame_size=2048, frame_count=64)
    tx.init(None)
    assert tx.props.frame_capacity == 2000
    assert tx.props.fd >= 0
    frames = [frame(i, 60 + (i * 37) % 1400) for i in range(500)]
    for f in frames:
        send_with_retry(tx, f)
    assert tx.flush() >= 0
    assert tx.wait_drained(5000, None)
    receive(cap, frames)
    stats = tx.get_stats()
    assert stats.frames_sent == 500, stats.frames_sent
    assert stats.bytes_sent == sum(len(f) for f in frames)
    assert stats.frames_rejected == 0 and stats.frames_refused == 0
    assert tx.props.pending == 0


@test
def new_and_send_bytes():
    a, b = new_pair()
    cap = new_capture(b)
    tx = Netring.Injector.new(a)
    assert tx.get_frame_count() == 256
    assert tx.props.qdisc_bypass is False
    frames = [frame(i, 64) for i in range(100)]
    for f in frames:
        tx.send_bytes(GLib.Bytes.new(f))
    assert tx.flush() == 100
    assert tx.flush() == 0
    assert tx.wait_drained(5000, None)
    receive(cap, frames)


@test
def send_async_main_loop():
    a, b = new_pair()
    cap = new_capture(b)
    # 8 slots, 2000 frames queued at once: the injector waits for slots
    # itself, no retry loop here
    tx = Netring.Injector(interface=a, frame_count=8)
    tx.init(None)
    loop = GLib.MainLoop()
    frames = [frame(i, 64 + i % 100) for i in range(2000)]
    state = {"sent": 0, "errors": [], "drained": None}

    def on_drained(obj, result):
        try:
            state["drained"] = obj.wait_drained_finish(result)
        except GLib.Error as e:
            state["errors"].append(e.message)
        loop.quit()

    def on_sent(obj, result):
        try:
            assert obj.send_finish(result)
            state["sent"] += 1
        except GLib.Error as e:
            state["errors"].append(e.message)
        if state["sent"] + len(state["errors"]) == len(frames):
            obj.flush_async(None, on_flushed)

    def on_flushed(obj, result):
        obj.flush_finish(result)
        obj.wait_drained_async(5000, None, on_drained)

    for f in frames:
        tx.send_async(GLib.Bytes.new(f), None, on_sent)
    GLib.timeout_add_seconds(30, loop.quit)
    loop.run()
    assert not state["errors"], state["errors"]
    assert state["sent"] == len(frames)
    assert state["drained"] is True
    receive(cap, frames)
    assert tx.get_stats().frames_sent == len(frames)


@test
def cancelled_send_async_sends_nothing():
    a, b = new_pair()
    cap = new_capture(b)
    tx = Netring.Injector(interface=a)
    tx.init(None)
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    result = {}

    def on_sent(obj, res):
        try:
            obj.send_finish(res)
            result["ok"] = True
        except GLib.Error as e:
            result["error"] = e

    tx.send_async(GLib.Bytes.new(frame(99, 64)), cancellable, on_sent)
    ctx = GLib.MainContext.default()
    while not result:
        ctx.iteration(True)
    assert result["error"].matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    tx.send(frame(0, 64))
    assert tx.wait_drained(5000, None)
    receive(cap, [frame(0, 64)])


@test
def errors():
    a, b = new_pair()
    tx = Netring.Injector.new(a)
    for bad in (b"", bytes(2001)):
        try:
            tx.send(bad)
            raise AssertionError("a frame of %d bytes was accepted" % len(bad))
        except GLib.Error as e:
            assert e.matches(Netring.error_quark(), Netring.Error.INVALID_ARGUMENT), e.message
    assert tx.get_stats().frames_refused == 2
    try:
        Netring.Injector.new("nrpy-none0")
        raise AssertionError("no error for a missing interface")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.NO_SUCH_INTERFACE), e.message
    for props in ({"frame_size": 100}, {"frame_size": 64}, {"frame_count": 0}):
        tx = Netring.Injector(interface=a, **props)
        try:
            tx.init(None)
            raise AssertionError("%r accepted" % props)
        except GLib.Error as e:
            assert e.matches(Netring.error_quark(),
                             Netring.Error.INVALID_CONFIGURATION), e.message
            name = list(props)[0].replace("_", "-")
            assert name in e.message, e.message


def pump_through_sender(sender, frames, loop):
    """sends frames with nothing but the NetringSender interface, as a
    bridge or a replay would: send_async for all of them at once, then
    flush_async and wait_drained_async"""
    state = {"sent": 0, "errors": [], "drained": None}

    def on_drained(obj, result):
        try:
            state["drained"] = Netring.Sender.wait_drained_finish(obj, result)
        except GLib.Error as e:
            state["errors"].append(e.message)
        loop.quit()

    def on_flushed(obj, result):
        Netring.Sender.flush_finish(obj, result)
        Netring.Sender.wait_drained_async(obj, 5000, None, on_drained)

    def on_sent(obj, result):
        try:
            assert Netring.Sender.send_finish(obj, result)
            state["sent"] += 1
        except GLib.Error as e:
            state["errors"].append(e.message)
        if state["sent"] + len(state["errors"]) == len(frames):
            Netring.Sender.flush_async(obj, None, on_flushed)

    for f in frames:
        Netring.Sender.send_async(sender, GLib.Bytes.new(f), None, on_sent)
    GLib.timeout_add_seconds(30, loop.quit)
    loop.run()
    return state


@test
def send_async_through_the_sender_interface():
    a, b = new_pair()
    cap = new_capture(b)
    tx = Netring.Injector(interface=a, frame_count=8)
    tx.init(None)
    assert isinstance(tx, Netring.Sender)
    assert Netring.Sender.get_max_length(tx) == 1518
    frames = [frame(i, 60 + i % 200) for i in range(600)]
    state = pump_through_sender(tx, frames, GLib.MainLoop())
    assert not state["errors"], state["errors"]
    assert state["sent"] == len(frames)
    assert state["drained"] is True
    receive(cap, frames)
    stats = tx.get_stats()
    assert stats.frames_sent == len(frames), stats.to_string()
    assert "sent %d" % len(frames) in stats.to_string()


@test
def readiness_and_close():
    a, b = new_pair()
    cap = new_capture(b)
    tx = Netring.Injector(interface=a)
    try:
        tx.send(frame(0, 64))
        raise AssertionError("sent before init")
    except GLib.Error as e:
        assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_INITIALIZED), e.message
    tx.init(None)
    frames = [frame(i, 100) for i in range(20)]
    for f in frames:
        tx.send(f)
    # never flushed: close hands them to the kernel
    assert tx.close()
    assert tx.props.fd == -1 and tx.get_fd() == -1
    for call in (lambda: tx.send(frame(99, 64)), lambda: tx.flush(),
                 lambda: Netring.Sender.wait_drained(tx, 0, None)):
        try:
            call()
            raise AssertionError("usable after close")
        except GLib.Error as e:
            assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED), e.message
    assert tx.close()  # again: nothing to do
    receive(cap, frames)
    stats = tx.get_stats()
    assert stats.frames_queued == 20 and stats.frames_sent == 20, stats.to_string()


@test
def frame_longer_than_the_mtu_is_refused():
    a, b = new_pair()
    cap = new_capture(b)
    tx = Netring.Injector.new(a)
    try:
        tx.send(frame(1, 1515))
        raise AssertionError("a frame of MTU + 15 bytes was accepted")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.INVALID_ARGUMENT), e.message
        assert "1515" in e.message and "1500" in e.message, e.message
    tx.send(frame(2, 1514))
    assert tx.wait_drained(5000, None)
    receive(cap, [frame(2, 1514)])
    assert tx.get_stats().frames_refused == 1


run_tests()
