#!/usr/bin/python3
"""Bindings at C speed (PyGObject): the release rule (a batch handed to a
signal handler gives its memory back when the handler returns unless kept),
the bulk path (get_buffer + get_records, byte for byte against the
per-packet path, on a capture and on an AF_XDP socket; the overrides' bulk(),
packet_data() and PacketViews) and bulk send (send_many and send_many_async,
counted on the wire).

TAP output; a private network namespace of its own."""

import select
import time

from nrtest import (GLib, Gio, Netring, assert_quiet, frame, iterate_default_context,
                    make_veth as _make_veth, receive, run_loop, run_tests, send_and_receive,
                    send_interleaved, take_ready, test)

_n = [0]


def new_pair():
    _n[0] += 1
    return _make_veth("nrpyb", _n[0])


def new_capture(ifname, **props):
    props.setdefault("block_size", 1 << 16)
    props.setdefault("block_count", 8)
    props.setdefault("block_timeout_ms", 10)
    cap = Netring.Capture(interface=ifname, **props)
    cap.init(None)
    return cap


def capture_with_signal(cap, sender_if, count, length, handler):
    loop = GLib.MainLoop()
    seen = [0]

    def on_batch(capture, batch):
        seen[0] += batch.get_n_packets()
        handler(batch)
        if seen[0] >= count:
            loop.quit()

    hid = cap.connect("batch", on_batch)
    cap.start()
    # the handlers run between two chunks of frames, as the ring fills: a
    # slow sender then cannot spread more frames over the blocks than the
    # ring has (see send_interleaved)
    send_interleaved(sender_if, [frame(s, length) for s in range(count)],
                     iterate_default_context)
    if seen[0] < count:
        assert run_loop(loop, 20000), "timed out with %d of %d" % (seen[0], count)
    cap.stop()
    cap.disconnect(hid)
    assert seen[0] == count, seen[0]


@test
def wrapper_after_handler_is_released():
    """a wrapper kept past the handler sees a released, empty batch, never recycled bytes; nothing is held after the handler"""
    a, b = new_pair()
    cap = new_capture(b)
    wrappers, packets = [], []

    def handler(batch):
        assert not batch.is_released()
        wrappers.append(batch)  # a reference, not a keep
        packets.extend(batch.get_packets())

    capture_with_signal(cap, a, 2000, 100, handler)
    assert cap.get_stats().held_batches == 0, cap.get_stats().to_string()
    for batch in wrappers:
        assert batch.is_released()
        assert batch.get_n_packets() == 0
        assert len(batch.get_packets()) == 0
        assert batch.get_packet(0) is None
        assert batch.get_buffer().get_size() == 0
        assert batch.get_records().get_size() == 0
    for p in packets:
        assert p.get_data() == b"" and p.get_bytes().get_size() == 0
        assert p.get_captured_length() == 100  # the details stay
    # the ring went on: more frames arrive into the recycled blocks, and the
    # old wrappers still show nothing
    want = [frame(s, 100) for s in range(5000, 5500)]
    got = send_and_receive(cap, a, want, len(want))
    assert [g[0] for g in got] == want
    assert all(p.get_data() == b"" for p in packets)


@test
def keep_and_gbytes_hold_the_memory():
    """netring_batch_keep() and a GBytes keep the bytes, byte for byte, until released; release() empties the batch, a GBytes still holds its bytes"""
    a, b = new_pair()
    cap = new_capture(b)
    kept, gbytes = [], []

    def handler(batch):
        if not kept:
            kept.append(batch.keep())
            p = batch.get_packet(0)
            gbytes.append(p.get_bytes())

    capture_with_signal(cap, a, 300, 80, handler)
    batch = kept[0]
    assert not batch.is_released() and batch.get_n_packets() > 0
    n = batch.get_n_packets()
    data = [p.get_data() for p in batch.get_packets()]
    assert data == [frame(s, 80) for s in range(n)]
    assert cap.get_stats().held_batches == 1
    batch.release()
    assert batch.is_released() and batch.get_n_packets() == 0
    # the GBytes still holds the block (and its bytes)
    assert cap.get_stats().held_batches == 1
    assert gbytes[0].get_data() == frame(0, 80)
    del gbytes[:]
    assert cap.get_stats().held_batches == 0
    batch.release()  # twice: nothing


@test
def bulk_path_matches_per_packet_path():
    """get_buffer + get_records give every packet byte for byte as the per-packet path does, with the same lengths and timestamps"""
    a, b = new_pair()
    cap = new_capture(b, snap_length=96)  # truncated: captured != wire length
    per_packet, bulk = [], []

    def take(batch):
        for p in batch.get_packets():
            per_packet.append((p.get_data(), p.get_captured_length(), p.get_wire_length(),
                               p.get_timestamp(), int(p.get_status())))
        buf = batch.get_buffer().get_data()
        for (off, cap_len, wire, ts, status, _r) in batch.records():
            bulk.append((bytes(buf[off:off + cap_len]), cap_len, wire, ts, status))
        views = batch.packet_data()
        assert [bytes(v) for v in views] == [x[0] for x in per_packet[-len(views):]]

    def take_ready_batches():
        while True:
            batch = cap.next_batch()
            if batch is None:
                return
            take(batch)

    # read while sending, so that the block timer cannot spread the frames
    # over more blocks than the ring has (see send_interleaved)
    send_interleaved(a, [frame(s, 200) for s in range(1000)], take_ready_batches)
    deadline = time.monotonic() + 20  # a hang guard
    while len(bulk) < 1000 and time.monotonic() < deadline:
        try:
            take(cap.next_batch_timeout(1000, None))
        except GLib.Error as e:
            assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT), e
    assert len(bulk) == 1000
    assert bulk == per_packet
    for s, (data, cap_len, wire, _ts, _st) in enumerate(bulk):
        assert wire == 200 and cap_len == len(data) < 200
        assert data == frame(s, 200)[:cap_len]


@test
def send_many_counted_on_the_wire():
    """send_many queues many frames in one call; every one arrives, byte for byte; partial progress is reported when the ring fills"""
    a, b = new_pair()
    cap = new_capture(b, block_size=1 << 20, block_count=16)
    tx = Netring.Injector(interface=a)
    tx.init(None)
    frames = [frame(s, 60 + s % 200) for s in range(3000)]
    sent = 0
    poller = select.poll()
    poller.register(tx.get_fd(), select.POLLOUT)
    calls = 0
    got = []
    while sent < len(frames):
        chunk = frames[sent:]
        try:
            n = tx.send_many(GLib.Bytes(b"".join(chunk)), [len(f) for f in chunk])
        except GLib.Error as e:
            assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.WOULD_BLOCK), e
            n = 0
        calls += 1
        assert 0 <= n <= len(chunk)
        sent += n
        tx.flush()
        # read as the frames arrive: a slow round must not let the block
        # timer hand over more blocks than the capture ring has
        take_ready(cap, got)
        if sent < len(frames):
            poller.poll(10)
    assert tx.wait_drained(5000, None)
    receive(cap, len(frames), got)
    assert [g[0] for g in got] == frames
    assert tx.get_stats().frames_sent == len(frames)
    # lengths beyond the buffer: an error naming the rule, nothing queued
    try:
        tx.send_many(GLib.Bytes(b"x" * 10), [60])
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.INVALID_ARGUMENT), e
        assert "send_many" in e.message

@test
def xdp_bulk_path_holds_only_the_batch_frames():
    """AF_XDP (veth, generic XDP): get_buffer is exactly the batch's frames, one after the other, not the UMEM; the records point into it; byte for byte as the per-packet path; copy_buffer and packet_data agree"""
    a, b = new_pair()
    xsk = Netring.XdpSocket(interface=b, attach_mode=Netring.XdpAttachMode.GENERIC)
    xsk.init(None)
    frames = [frame(s, 60 + (s * 37) % 900) for s in range(400)]
    per_packet, bulk, batches = [], [], [0]

    def take(batch):
        pp = [p.get_data() for p in batch.get_packets()]
        buf = batch.get_buffer().get_data()
        recs = batch.records()
        assert len(recs) == len(pp) == batch.get_n_packets() > 0
        # only the batch's frames, packed: nothing else of the UMEM
        assert buf == b"".join(pp), (len(buf), sum(map(len, pp)))
        assert batch.copy_buffer().get_data() == buf
        data = [buf[o:o + n] for (o, n, _w, _ts, _st, _r) in recs]
        assert data == pp
        assert [w for (_o, _n, w, _ts, _st, _r) in recs] == [len(d) for d in pp]
        assert batch.packet_data() == pp
        assert [bytes(v.data) for v in batch] == pp
        per_packet.extend(pp)
        bulk.extend(data)
        batches[0] += 1
        batch.release()
        assert batch.get_buffer().get_size() == 0

    def take_ready_batches():
        while True:
            batch = xsk.next_batch()
            if batch is None:
                return
            take(batch)

    send_interleaved(a, frames, take_ready_batches)
    deadline = time.monotonic() + 20  # a hang guard
    while len(bulk) < len(frames) and time.monotonic() < deadline:
        try:
            take(xsk.next_batch_timeout(1000, None))
        except GLib.Error as e:
            assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT), e
    assert bulk == per_packet == frames, (len(bulk), len(per_packet))
    assert xsk.get_stats().rx_dropped == 0
    xsk.close()


def send_many_async_and_wait(tx, frames, cancel_after_call=None):
    """send_frames_async(frames) in a main loop; returns what the one
    callback got (a count or a GLib.Error), checking it ran exactly once"""
    loop = GLib.MainLoop()
    results = []
    cancellable = Gio.Cancellable()

    def done(sender, res):
        try:
            results.append(sender.send_many_finish(res))
        except GLib.Error as e:
            results.append(e)
        loop.quit()

    tx.send_frames_async(frames, cancellable, done)
    if cancel_after_call is not None:
        cancel_after_call(cancellable)
    assert run_loop(loop, 20000), "no callback"  # a hang guard
    iterate_default_context()  # a second callback would run here
    assert len(results) == 1, results
    return results[0]


@test
def send_many_async_waits_for_room():
    """send_many_async with ten times the TX ring's frames: one callback with the count, every frame on the wire byte for byte, in order, once"""
    a, b = new_pair()
    cap = new_capture(b, block_size=1 << 20, block_count=16)
    tx = Netring.Injector(interface=a, frame_count=64)
    tx.init(None)
    frames = [frame(s, 60 + s % 300) for s in range(640)]
    assert send_many_async_and_wait(tx, frames) == len(frames)
    tx.flush()
    assert tx.wait_drained(5000, None)
    got = receive(cap, len(frames))
    assert [g[0] for g in got] == frames
    assert tx.get_stats().frames_sent == len(frames)


@test
def send_many_async_cancel_and_errors():
    """send_many_async: cancelled before anything was queued fails with CANCELLED and sends nothing; cancelled while waiting reports exactly the frames that reach the wire; bad lengths fail naming the rule"""
    a, b = new_pair()
    cap = new_capture(b, block_size=1 << 20, block_count=16)
    tx = Netring.Injector(interface=a, frame_count=64)
    tx.init(None)

    cancelled = Gio.Cancellable()
    cancelled.cancel()
    loop = GLib.MainLoop()
    errors = []

    def done(sender, res):
        try:
            sender.send_many_finish(res)
        except GLib.Error as e:
            errors.append(e)
        loop.quit()

    tx.send_frames_async([frame(0, 64)], cancelled, done)
    assert run_loop(loop, 20000)
    assert errors and errors[0].matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)

    # cancelled right after the call: however far it got, the count it
    # reports is what arrives, the first frames of the list, in order
    frames = [frame(s, 200) for s in range(1000, 1640)]
    result = send_many_async_and_wait(tx, frames, lambda c: c.cancel())
    if isinstance(result, GLib.Error):
        assert result.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED), result
        result = 0
    assert 0 <= result <= len(frames)
    tx.flush()
    assert tx.wait_drained(5000, None)
    got = receive(cap, result) if result > 0 else []
    if result == 0:
        assert_quiet(cap)
    assert [g[0] for g in got] == frames[:result]

    # lengths beyond the buffer: the error names the function and the rule
    loop = GLib.MainLoop()
    tx.send_many_async(GLib.Bytes(b"x" * 10), [60], None, done)
    assert run_loop(loop, 20000)
    assert errors[-1].matches(Netring.error_quark(), Netring.Error.INVALID_ARGUMENT), errors[-1]
    assert "send_many_async" in errors[-1].message


@test
def bulk_helpers_match_per_packet_path():
    """the overrides' bulk(), packet_data() and for pkt in batch give every packet byte for byte as get_packets()/get_data(), with the same lengths and timestamps"""
    a, b = new_pair()
    cap = new_capture(b, snap_length=96)
    seen = []

    def take(batch):
        pp = batch.get_packets()
        data, offsets, lengths = batch.bulk()
        assert [data[o:o + n] for o, n in zip(offsets, lengths)] == [p.get_data() for p in pp]
        assert batch.packet_data() == [p.get_data() for p in pp]
        views = list(batch)
        assert [(bytes(v.data), v.captured_length, v.wire_length, v.timestamp, v.get_status(),
                 v.is_truncated()) for v in views] == \
            [(p.get_data(), p.get_captured_length(), p.get_wire_length(), p.get_timestamp(),
              p.get_status(), p.is_truncated()) for p in pp]
        # other getters go to the library while the batch is there
        assert [v.get_protocol() for v in views] == [p.get_protocol() for p in pp]
        seen.extend(bytes(v.data) for v in views)
        batch.release()
        assert batch.bulk() == (b"", [], []) and list(batch) == []
        assert seen[-1] == bytes(views[-1].data)  # the views keep their copy

    def take_ready_batches():
        while True:
            batch = cap.next_batch()
            if batch is None:
                return
            take(batch)

    frames = [frame(s, 150) for s in range(500)]
    send_interleaved(a, frames, take_ready_batches)
    deadline = time.monotonic() + 20  # a hang guard
    while len(seen) < len(frames) and time.monotonic() < deadline:
        try:
            take(cap.next_batch_timeout(1000, None))
        except GLib.Error as e:
            assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT), e
    assert seen == [f[:96] for f in frames]


run_tests()
