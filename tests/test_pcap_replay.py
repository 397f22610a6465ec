#!/usr/bin/python3
"""NetringPcapReader and NetringPcapReplay through the typelib (PyGObject): a
nanosecond pcap file written by the test is read back record by record, then
replayed through an injector with run_async in a GLib.MainLoop; the capture on
the peer gets every frame, byte for byte, and the progress signal fires.

TAP output. Runs in a private network namespace of its own (unshare)."""

import os
import struct
import tempfile

from nrtest import GLib, Gio, Netring, frame, make_veth, run_loop, run_tests, test

TMP = tempfile.mkdtemp(prefix="netring-replay-py-")
START_NS = 1700000000 * 10**9


def frames(count):
    return [frame(seq, 60 + (seq * 37) % 1400) for seq in range(count)]


def write_pcap(path, frs, interval_ns):
    with open(path, "wb") as f:
        f.write(struct.pack("=IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frs):
            ts = START_NS + i * interval_ns
            f.write(struct.pack("=IIII", ts // 10**9, ts % 10**9, len(fr), len(fr)))
            f.write(fr)


@test
def test_read():
    """the reader hands out every record with its bytes and nanosecond timestamp"""
    frs = frames(50)
    path = os.path.join(TMP, "read.pcap")
    write_pcap(path, frs, 123456)
    reader = Netring.PcapReader.new(path)
    assert reader.get_link_type() == 1
    assert reader.props.snap_length == 65535
    got = []
    while True:
        p = reader.next_packet()
        if p is None:
            break
        got.append(p)
    assert [bytes(p.get_data()) for p in got] == frs
    assert [p.get_timestamp() for p in got] == [START_NS + i * 123456 for i in range(50)]
    # and from a stream
    stream = Gio.File.new_for_path(path).read(None)
    reader = Netring.PcapReader.new_for_stream(stream)
    assert bytes(reader.next_packet().get_data()) == frs[0]


@test
def test_truncated():
    """a truncated file: the records before, then INVALID_DATA naming file and record"""
    frs = frames(10)
    path = os.path.join(TMP, "cut.pcap")
    write_pcap(path, frs, 1000)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:len(data) - 20])
    reader = Netring.PcapReader.new(path)
    for _ in range(9):
        assert reader.next_packet() is not None
    try:
        reader.next_packet()
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.INVALID_DATA), e
        assert path in e.message and "10" in e.message, e.message


@test
def test_replay_async():
    """run_async in a main loop at a fixed rate: every frame arrives, progress fires"""
    a, b = make_veth("nrrp", 0)
    frs = frames(300)
    path = os.path.join(TMP, "replay.pcap")
    write_pcap(path, frs, 10**9)
    cap = Netring.Capture(interface=b, block_size=1 << 20, block_count=16, block_timeout_ms=10)
    cap.init(None)
    injector = Netring.Injector(interface=a)
    injector.init(None)
    replay = Netring.PcapReplay.new(Netring.PcapReader.new(path), injector)
    replay.props.mode = Netring.PcapReplayMode.RATE
    replay.props.rate = 3000
    progress = []
    replay.connect("progress", lambda r, n: progress.append(n))
    loop = GLib.MainLoop()
    result = []
    got = []

    def done(source, res):
        result.append(source.run_finish(res))
        loop.quit()

    # the capture reads in the same main loop while the replay sends, so
    # that a replay stretched by a loaded machine cannot hand over more
    # blocks than the ring has before anything reads them
    def on_batch(_cap, batch):
        got.extend(bytes(p.get_data()) for p in batch.get_packets())
        if result and len(got) >= len(frs):
            loop.quit()

    cap.connect("batch", on_batch)
    cap.start()
    replay.run_async(None, done)
    assert run_loop(loop, 30000), "the replay did not end"
    assert result == [True]
    assert replay.props.frames_sent == 300 and replay.props.frames_skipped == 0
    assert progress and progress[-1] == 300
    if len(got) < len(frs):
        assert run_loop(loop, 20000), "%d of %d frames arrived" % (len(got), len(frs))
    cap.stop()
    assert [g for g in got if g[12:14] == b"\x88\xb5"] == frs


run_tests()
