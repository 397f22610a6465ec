#!/usr/bin/python3
"""bench_python.py: what a Python program pays per packet through the
typelib, side by side in one run: receiving (every packet's bytes, per
packet through get_packets()/get_data() against the bulk path of the
overrides, batch.packet_data()) and sending (send_bytes per frame against
send_many). Run by hand, as root, from the build tree:

  PYTHONPATH=python GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
      /usr/bin/python3 bench/bench_python.py [frames]

Receiver CPU is the process CPU time of draining a ring filled beforehand
(on veth the kernel's receive work runs on the sender's CPU). Shared
machines make single runs noisy: compare within one run."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from nrtest import GLib, Gio, Netring, frame, make_veth  # noqa: E402  (enters a netns)

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
SIZE = 64


def filled_capture(a, b, frames):
    cap = Netring.Capture.open(interface=b, block_size=4 << 20, block_count=32,
                               block_timeout_ms=300)
    tx = Netring.Injector.open(interface=a)
    sent = 0
    while sent < len(frames):
        n = max(0, tx.send_frames(frames[sent:sent + 4096]))
        sent += n
        tx.flush()
    tx.wait_drained(10000, None)
    tx.close()
    time.sleep(0.4)  # pacing: the last block retires after its timeout
    return cap


def drain(cap, read):
    t0 = time.process_time()
    got = 0
    for batch in cap.batches(100):
        got += read(batch)
        batch.release()
    return got, time.process_time() - t0


def per_packet(batch):
    n = 0
    for p in batch.get_packets():
        p.get_data()
        n += 1
    return n


def bulk(batch):
    n = 0
    for v in batch.packet_data():
        v[0]  # touch the bytes
        n += 1
    return n


def bulk_bytes(batch):
    return len([bytes(v) for v in batch.packet_data()])


def main():
    a, b = make_veth("nrbp", 1)
    frames = [frame(s, SIZE) for s in range(N)]
    print("receiver CPU per packet, %d frames of %d bytes" % (N, SIZE))
    for name, read in (("per-packet get_packets/get_data", per_packet),
                       ("bulk packet_data (memoryview)", bulk),
                       ("bulk packet_data + bytes()", bulk_bytes)):
        with filled_capture(a, b, frames) as cap:
            got, cpu = drain(cap, read)
            drops = cap.get_stats().drops
        print("  %-34s %8.1f ns/pkt  (%d received, %d drops)" % (name, cpu * 1e9 / max(got, 1),
                                                                 got, drops))

    print("sender, %d frames of %d bytes (frames/s of sender CPU)" % (N, SIZE))
    with Netring.Injector.open(interface=a) as tx:
        def send_bytes():
            for f in frames:
                gb = GLib.Bytes(f)
                while True:
                    try:
                        tx.send_bytes(gb)
                        break
                    except GLib.Error:
                        tx.flush()
            tx.flush()

        def send_many():
            sent = 0
            while sent < N:
                sent += max(0, tx.send_frames(frames[sent:sent + 4096]))
                tx.flush()
            tx.flush()

        one = GLib.Bytes(b"".join(frames))
        lengths = [SIZE] * N

        def c_path():  # one call: the library's own per-frame cost
            sent = 0
            while sent < N:
                n = tx.send_many(GLib.Bytes(one.get_data()[sent * SIZE:]) if sent else one,
                                 lengths[sent:]) if True else 0
                sent += max(0, n)
                tx.flush()

        for name, fn in (("send_bytes per frame", send_bytes),
                         ("send_frames (send_many) in 4096s", send_many),
                         ("send_many, one buffer (C path)", c_path)):
            t0 = time.process_time()
            fn()
            cpu = time.process_time() - t0
            tx.wait_drained(10000, None)
            print("  %-34s %10.0f frames/s  (%.0f ns/frame)" % (name, N / cpu, cpu * 1e9 / N))


main()
