#!/usr/bin/python3
"""NetringCapture through the typelib (PyGObject): frames sent on one end of a
veth pair are captured on the other, byte for byte, through the ::batch
signal, the ::packet signal, next_batch_async, receive_async and a watch;
close() and the readiness errors.

TAP output. Runs in a private network namespace of its own (unshare), so the
veth pair disappears with the process whatever happens."""

import os
import subprocess

from nrtest import (GLib, Gio, Netring, ETHERTYPE, MAC_A, frame, iterate_default_context,
                    make_veth as _make_veth, run_loop, run_tests, send_and_receive,
                    send_frames, send_interleaved, test)


def make_veth(n):
    return _make_veth("nrpy", n)


def new_capture(ifname, **props):
    props.setdefault("block_size", 1 << 20)
    props.setdefault("block_count", 16)
    props.setdefault("block_timeout_ms", 10)
    cap = Netring.Capture(interface=ifname, **props)
    cap.init(None)
    return cap



@test
def batch_signal():
    """::batch delivers every frame, in order, byte for byte"""
    a, b = make_veth(1)
    cap = new_capture(b)
    loop = GLib.MainLoop()
    got = []

    def on_batch(capture, batch):
        for p in batch.get_packets():
            got.append((p.get_data(), p.get_wire_length(), p.get_direction(),
                        p.get_timestamp_us()))
        if len(got) >= 500:
            loop.quit()

    cap.connect("batch", on_batch)
    cap.start()
    assert cap.is_running() and cap.props.running
    # the handler runs between chunks of frames (see send_interleaved)
    send_interleaved(a, [frame(s, 100) for s in range(500)], iterate_default_context)
    if len(got) < 500:
        assert run_loop(loop, 20000), "timed out with %d frames" % len(got)
    cap.stop()
    assert len(got) == 500, len(got)
    last_ts = 0
    for seq, (data, wire, direction, ts) in enumerate(got):
        assert data == frame(seq, 100), "frame %d differs" % seq
        assert wire == 100
        assert direction == Netring.PacketDirection.HOST
        assert ts >= last_ts
        last_ts = ts
    stats = cap.get_stats()
    assert stats.packets == 500 and stats.received == 500 and stats.drops == 0, \
        stats.to_string()


@test
def packet_signal_and_bytes():
    """::packet hands zero-copy packets whose GBytes stay valid when kept"""
    a, b = make_veth(2)
    # the kept packets pin their blocks: with one frame per block (a slow
    # sender, the block timer) the 50 need 50 blocks and one being filled
    cap = new_capture(b, block_size=1 << 16, block_count=64)
    loop = GLib.MainLoop()
    kept = []

    def on_packet(capture, packet):
        kept.append((packet, packet.get_bytes()))
        if len(kept) >= 50:
            loop.quit()

    cap.connect("packet", on_packet)
    cap.start()
    send_frames(a, 0, 50, 64)
    assert run_loop(loop, 20000), "timed out with %d frames" % len(kept)
    cap.stop()
    assert len(kept) == 50
    held = cap.get_stats()
    assert held.held_batches >= 1  # kept packets pin their block
    for seq, (packet, gbytes) in enumerate(kept):
        assert gbytes.get_data() == frame(seq, 64)
        assert packet.get_captured_length() == 64
        assert not packet.is_detached()
        assert packet.get_protocol() == ETHERTYPE
        assert bytes(packet.get_source_address()) == MAC_A
    del kept[:], packet, gbytes
    import gc
    gc.collect()
    assert cap.get_stats().held_batches == 0


@test
def next_batch_async():
    """next_batch_async and receive_async in a main loop, with cancellation"""
    a, b = make_veth(3)
    # 20 frames sent before anything reads: one block each at worst
    cap = new_capture(b, block_size=1 << 16, block_count=32)
    loop = GLib.MainLoop()
    results = {}

    cancellable = Gio.Cancellable()

    def cancelled(capture, result):
        try:
            capture.next_batch_finish(result)
            results["cancel"] = "no error"
        except GLib.Error as e:
            results["cancel"] = e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
        loop.quit()

    cap.next_batch_async(cancellable, cancelled)
    GLib.timeout_add(50, lambda: cancellable.cancel() or False)
    assert run_loop(loop, 5000)
    assert results["cancel"] is True

    def got_batch(capture, result):
        results["batch"] = capture.next_batch_finish(result)
        loop.quit()

    cap.next_batch_async(None, got_batch)
    send_frames(a, 0, 20, 64)
    assert run_loop(loop, 5000)
    batch = results.pop("batch")
    packets = batch.get_packets()
    assert [p.get_data() for p in packets] == [frame(i, 64) for i in range(len(packets))]
    count = len(packets)
    del packets, batch

    owned = []

    def got_owned(capture, result):
        owned.extend(capture.receive_finish(result))
        if count + len(owned) < 20:
            capture.receive_async(None, got_owned)
        else:
            loop.quit()

    if count < 20:
        cap.receive_async(None, got_owned)
        assert run_loop(loop, 5000)
    assert all(p.is_detached() for p in owned)
    assert [p.get_data() for p in owned] == [frame(i, 64) for i in range(count, 20)]


@test
def errors():
    """unknown interface and bad properties raise GLib.Error in NETRING_ERROR"""
    try:
        Netring.Capture.new("nr-no-such0")
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.NO_SUCH_INTERFACE), e
        assert "nr-no-such0" in e.message
    try:
        new_capture("lo", block_size=3000)
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.INVALID_CONFIGURATION), e
        assert "block-size" in e.message


@test
def interface_removed():
    """removing the interface ends the capture with ::error"""
    a, b = make_veth(4)
    cap = new_capture(b)
    loop = GLib.MainLoop()
    errors = []

    def on_error(capture, error):
        errors.append(error)
        loop.quit()

    cap.connect("error", on_error)
    cap.start()
    GLib.timeout_add(100, lambda: subprocess.run(["ip", "link", "del", a]) and False)
    assert run_loop(loop, 20000)  # a hang guard, not a speed limit
    assert errors[0].matches(Netring.error_quark(), Netring.Error.INTERFACE_DOWN)
    assert not cap.is_running()


@test
def watch():
    """a binding watches a receiver (add_watch_full): every frame byte for byte"""
    a, b = make_veth(5)
    cap = new_capture(b)
    loop = GLib.MainLoop()
    got = []
    ended = []

    def on_batch(receiver, batch, error, data):
        assert data == "user data"
        if error is not None:
            ended.append(error)
            loop.quit()
            return GLib.SOURCE_REMOVE
        assert receiver is cap
        got.extend(p.get_data() for p in batch.get_packets())
        if len(got) >= 300:
            loop.quit()
        return GLib.SOURCE_CONTINUE

    cancellable = Gio.Cancellable()
    source_id = cap.add_watch_full(None, cancellable, on_batch, "user data")
    assert source_id > 0
    # the callback runs between chunks of frames (see send_interleaved)
    send_interleaved(a, [frame(s, 150) for s in range(300)], iterate_default_context)
    if len(got) < 300:
        assert run_loop(loop, 20000), "timed out with %d frames" % len(got)
    assert got == [frame(seq, 150) for seq in range(300)]
    # the batches went back as the callback returned: nothing held
    assert cap.get_stats().held_batches == 0
    cancellable.cancel()
    assert run_loop(loop, 5000)
    assert ended[0].matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert GLib.MainContext.default().find_source_by_id(source_id) is None


@test
def close_and_readiness():
    """close() frees the ring at once, then calls fail CLOSED (NOT_INITIALIZED before init)"""
    a, b = make_veth(6)

    early = Netring.Capture(interface=b)
    try:
        early.next_batch()
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_INITIALIZED), e

    cap = new_capture(b)
    fd = cap.props.fd
    inode = os.readlink("/proc/self/fd/%d" % fd)
    got = send_and_receive(cap, a, [frame(seq, 64) for seq in range(40)], 40)
    assert [g[0] for g in got] == [frame(seq, 64) for seq in range(40)]
    first, second = cap.get_stats(), cap.get_stats()
    for field in ("packets", "drops", "freezes", "received", "batches", "lost_blocks",
                  "held_batches", "held_packets"):
        assert getattr(first, field) == getattr(second, field), field
    assert first.received == 40
    delta = Netring.ReceiverStats.subtract(second, first)
    assert delta.packets == 0 and delta.received == 0

    assert inode in open("/proc/self/maps").read()
    assert cap.close()
    assert cap.close()  # a second close does nothing
    assert inode not in open("/proc/self/maps").read()
    assert cap.props.fd == -1
    for call in (lambda: cap.next_batch(), lambda: cap.get_stats(), lambda: cap.start(),
                 lambda: cap.next_batch_timeout(10, None)):
        try:
            call()
            raise AssertionError("no error")
        except GLib.Error as e:
            assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED), e


run_tests()
