#!/usr/bin/python3
"""The PyGObject overrides (python/gi/overrides/Netring.py): len(batch),
for pkt in batch, pkt.data as a memoryview, batch.packet_data(),
Capture.open(...) with init done, `with` closing on exit, iteration over
receive, sender.send_frames(). TAP output; a private network namespace."""

from nrtest import GLib, Gio, Netring, frame, make_veth, run_tests, send_interleaved, test


@test
def overrides_loaded():
    """the override module is the one PyGObject loads"""
    assert Netring.Batch.__module__ == "gi.overrides.Netring", Netring.Batch.__module__
    assert hasattr(Netring.Capture, "open")


@test
def capture_open_with_iteration():
    """Capture.open() inits; with closes; for batch in cap.batches(); for pkt in batch; len(batch); pkt.data and packet_data() byte for byte"""
    a, b = make_veth("nrpyo", 1)
    with Netring.Capture.open(interface=b, block_size=1 << 16, block_count=8,
                              block_timeout_ms=10) as cap:
        frames = [frame(s, 90) for s in range(700)]
        got, views = [], []

        def take(batches):
            for batch in batches:
                assert len(batch) == batch.get_n_packets() > 0
                for pkt in batch:
                    assert isinstance(pkt.data, memoryview)
                    got.append(bytes(pkt.data))
                views.extend(batch.packet_data())
                with batch:
                    pass
                assert batch.is_released() and len(batch) == 0
                if len(got) >= len(frames):
                    break

        # what is ready between chunks of frames (see send_interleaved),
        # then the rest: the 20 s are a hang guard
        send_interleaved(a, frames, lambda: take(cap.batches(0)))
        if len(got) < len(frames):
            take(cap.batches(20000))
        assert got == frames
        assert [bytes(v) for v in views] == got
        assert cap.get_stats().held_batches == 0
    try:
        cap.next_batch()
        raise AssertionError("not closed")
    except GLib.Error as e:
        assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED), e


@test
def injector_send_frames():
    """Injector.open() and send_frames(): one call, every frame on the wire"""
    a, b = make_veth("nrpyo", 2)
    with Netring.Capture.open(interface=b, block_size=1 << 16, block_count=8,
                              block_timeout_ms=10) as cap, \
            Netring.Injector.open(interface=a) as tx:
        frames = [frame(s, 64) for s in range(200)]
        assert tx.send_frames(frames) == 200
        tx.flush()
        assert tx.wait_drained(5000, None)
        got = []
        for batch in cap.batches(20000):  # a hang guard
            got += [bytes(p.data) for p in batch]
            if len(got) >= len(frames):
                break
        assert got == frames
        try:
            cap.next_batch_timeout(100, None)
            raise AssertionError("more than the frames sent")
        except GLib.Error as e:
            assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT), e


run_tests()
