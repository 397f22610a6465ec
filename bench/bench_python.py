#!/usr/bin/python3
"""bench_python.py: what Python and GJS programs pay per packet through the
typelib, side by side in one run with the C loop and the bare ring:

receivers (a ring filled beforehand, then drained; every packet's bytes
read): C loop (bench-drain netring), bare TPACKET_V3 ring (bench-drain
raw), Python per packet (get_packets()/get_data()), Python bulk
(batch.bulk(), batch.packet_data(), for pkt in batch), GJS per packet and
bulk (batch.bulk(), batch.packetData()).

senders (frames/s of sender CPU): the C path (bench-drain send:
netring_sender_send in a loop), Python send_bytes per frame, Python
send_frames (send_many) and send_frames_async (send_many_async), GJS
sendFrames and sendFramesAsync.

Run by hand, as root, from the source tree after building:

  PYTHONPATH=python GJS_PATH=gjs GI_TYPELIB_PATH=_build/netring \\
      LD_LIBRARY_PATH=_build/netring /usr/bin/python3 bench/bench_python.py [frames] [runs]

Receiver CPU is the CPU time of draining the filled ring (on veth the
kernel's receive work runs on the sender's CPU): process CPU for Python,
the draining thread's for C, the main thread's for GJS. Shared machines
make single runs noisy: compare within one run; medians of the runs are
printed."""

import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from nrtest import GLib, Gio, Netring, frame, make_veth  # noqa: E402  (enters a netns)

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
SIZE = 64
BLOCK_SIZE, BLOCK_COUNT, TIMEOUT_MS = 4 << 20, 32, 300
BUILD = os.environ.get("NETRING_BUILD", os.path.join(HERE, "..", "_build"))
DRAIN = os.path.join(BUILD, "bench", "bench-drain")
GJS = "/usr/bin/gjs"

GJS_RX = r"""
import GLib from 'gi://GLib';
import Netring from 'gi://Netring?version=1.0';
const [mode, iface, bs, bc, tmo] = ARGV;
const cpu = () => Number(new TextDecoder().decode(
    GLib.file_get_contents('/proc/thread-self/schedstat')[1]).split(' ')[0]);
const cap = Netring.Capture.open({interface: iface, block_size: Number(bs),
    block_count: Number(bc), block_timeout_ms: Number(tmo)});
print('ready');
const stdin = new (imports.gi.Gio.DataInputStream)({
    base_stream: new (imports.gi.Gio.UnixInputStream)({fd: 0})});
stdin.read_line(null);
const t0 = cpu();
let n = 0, sum = 0;
for (const batch of cap.batches(100)) {
    if (mode === 'arrays') {
        const {data, offsets} = batch.bulk();
        for (let i = 0; i < offsets.length; i++) { sum += data[offsets[i]]; n++; }
    } else if (mode === 'bulk') {
        for (const d of batch.packetData()) { sum += d[0]; n++; }
    } else {
        for (const p of batch.get_packets()) { sum += p.get_data()[0]; n++; }
    }
}
print(`${n} ${cpu() - t0}`);
"""

GJS_TX = r"""
import GLib from 'gi://GLib';
import Netring from 'gi://Netring?version=1.0';
const [mode, iface, size, count] = ARGV;
const cpu = () => Number(new TextDecoder().decode(
    GLib.file_get_contents('/proc/thread-self/schedstat')[1]).split(' ')[0]);
const frames = [];
for (let i = 0; i < Number(count); i++) {
    const f = new Uint8Array(Number(size));
    f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5, i >>> 24, (i >>> 16) & 255,
        (i >>> 8) & 255, i & 255]);
    frames.push(f);
}
const tx = Netring.Injector.open({interface: iface});
const loop = new GLib.MainLoop(null, false);
const t0 = cpu();
let sent = 0;
(async () => {
    if (mode === 'async') {
        sent = await tx.sendFramesAsync(frames, null);
    } else {
        while (sent < frames.length) {
            try {
                sent += tx.sendFrames(frames.slice(sent, sent + 4096));
            } catch (e) { /* full: flush and retry */ }
            tx.flush();
        }
    }
    await tx.flush_async(null);
    await tx.wait_drained_async(10000, null);
})().finally(() => loop.quit());
loop.run();
print(`${sent} ${cpu() - t0}`);
"""


# the GJS programs, as files (gjs -m wants a path); removed at exit
GJS_RX_PATH = "/tmp/netring-bench-%d-rx.mjs" % os.getpid()
GJS_TX_PATH = "/tmp/netring-bench-%d-tx.mjs" % os.getpid()


def fill(a, frames):
    tx = Netring.Injector.open(interface=a)
    sent = 0
    while sent < len(frames):
        sent += max(0, tx.send_frames(frames[sent:sent + 4096]))
        tx.flush()
    tx.wait_drained(10000, None)
    tx.close()
    time.sleep(TIMEOUT_MS / 1000 + 0.1)  # pacing: the last block retires after its timeout


def external_receiver(argv, a, frames):
    """a receiver in another process: it opens, says ready, the ring is
    filled, it drains and prints "<packets> <CPU ns>" """
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert line.strip() == "ready", line
    fill(a, frames)
    out, _ = p.communicate("go\n", timeout=120)
    got, cpu_ns = out.split()[-2:]
    return int(got), int(cpu_ns) / 1e9


def python_receiver(read):
    def run(b, a, frames):
        with Netring.Capture.open(interface=b, block_size=BLOCK_SIZE, block_count=BLOCK_COUNT,
                                  block_timeout_ms=TIMEOUT_MS) as cap:
            fill(a, frames)
            t0 = time.process_time()
            got = 0
            for batch in cap.batches(100):
                got += read(batch)
                batch.release()
            return got, time.process_time() - t0
    return run


def py_per_packet(batch):
    n = 0
    for p in batch.get_packets():
        p.get_data()[0]
        n += 1
    return n


def py_bulk(batch):
    n = 0
    for v in batch.packet_data():
        v[0]  # touch the bytes
        n += 1
    return n


def py_bulk_offsets(batch):
    data, offsets, lengths = batch.bulk()
    for off in offsets:
        data[off]  # touch the bytes, as the C loop does
    return len(offsets)


def py_bulk_slices(batch):
    data, offsets, lengths = batch.bulk()
    n = 0
    for off, length in zip(offsets, lengths):
        data[off:off + length][0]  # a bytes object per packet
        n += 1
    return n


def py_views(batch):
    n = 0
    for pkt in batch:  # PacketView: the overrides' bulk path
        pkt.data[0]
        n += 1
    return n


def ring_args(b):
    return [b, str(BLOCK_SIZE), str(BLOCK_COUNT), str(TIMEOUT_MS), str(N)]


RECEIVERS = [
    ("C loop (NetringBatchIter)", lambda b, a, f: external_receiver(
        [DRAIN, "netring"] + ring_args(b), a, f)),
    ("bare TPACKET_V3 ring", lambda b, a, f: external_receiver(
        [DRAIN, "raw"] + ring_args(b), a, f)),
    ("Python per packet (get_data)", python_receiver(py_per_packet)),
    ("Python bulk() buffer + offsets", python_receiver(py_bulk_offsets)),
    ("Python bulk() + a slice per packet", python_receiver(py_bulk_slices)),
    ("Python bulk packet_data()", python_receiver(py_bulk)),
    ("Python for pkt in batch", python_receiver(py_views)),
    ("GJS per packet (get_data)", lambda b, a, f: external_receiver(
        [GJS, "-m", GJS_RX_PATH, "perpacket"] + ring_args(b)[:-1], a, f)),
    ("GJS bulk() data + offsets", lambda b, a, f: external_receiver(
        [GJS, "-m", GJS_RX_PATH, "arrays"] + ring_args(b)[:-1], a, f)),
    ("GJS bulk packetData()", lambda b, a, f: external_receiver(
        [GJS, "-m", GJS_RX_PATH, "bulk"] + ring_args(b)[:-1], a, f)),
]


def python_sender(mode):
    def run(a, frames):
        with Netring.Injector.open(interface=a) as tx:
            t0 = time.process_time()
            if mode == "send_bytes":
                for f in frames:
                    gb = GLib.Bytes(f)
                    while True:
                        try:
                            tx.send_bytes(gb)
                            break
                        except GLib.Error:
                            tx.flush()
            elif mode == "send_frames":
                sent = 0
                while sent < len(frames):
                    sent += max(0, tx.send_frames(frames[sent:sent + 4096]))
                    tx.flush()
            else:
                loop = GLib.MainLoop()
                result = []

                def done(sender, res):
                    result.append(sender.send_many_finish(res))
                    loop.quit()

                tx.send_frames_async(frames, None, done)
                loop.run()
                assert result == [len(frames)], result
            tx.flush()
            tx.wait_drained(10000, None)
            return len(frames), time.process_time() - t0
    return run


def external_sender(argv):
    def run(a, frames):
        out = subprocess.run(argv + [a, str(SIZE), str(len(frames))], stdout=subprocess.PIPE,
                             text=True, check=True, timeout=300).stdout
        sent, cpu_ns = out.split()[-2:]
        return int(sent), int(cpu_ns) / 1e9
    return run


SENDERS = [
    ("C path (netring_sender_send)", external_sender([DRAIN, "send"])),
    ("Python send_bytes per frame", python_sender("send_bytes")),
    ("Python send_frames (send_many)", python_sender("send_frames")),
    ("Python send_frames_async", python_sender("async")),
    ("GJS sendFrames (send_many)", external_sender([GJS, "-m", GJS_TX_PATH, "sync"])),
    ("GJS sendFramesAsync", external_sender([GJS, "-m", GJS_TX_PATH, "async"])),
]


def main():
    for path, text in ((GJS_RX_PATH, GJS_RX), (GJS_TX_PATH, GJS_TX)):
        with open(path, "w") as f:
            f.write(text)
    a, b = make_veth("nrbp", 1)
    frames = [frame(s, SIZE) for s in range(N)]
    rx = {name: [] for name, _ in RECEIVERS}
    tx = {name: [] for name, _ in SENDERS}
    try:
        for run in range(RUNS):
            for name, fn in RECEIVERS:
                got, cpu = fn(b, a, frames)
                rx[name].append((cpu * 1e9 / max(got, 1), got))
            for name, fn in SENDERS:
                sent, cpu = fn(a, frames)
                tx[name].append((sent / cpu, sent))
            print("run %d/%d done" % (run + 1, RUNS), file=sys.stderr)
    finally:
        os.unlink(GJS_RX_PATH)
        os.unlink(GJS_TX_PATH)

    c_rx = statistics.median(x[0] for x in rx[RECEIVERS[0][0]])
    print("receiver CPU per packet, %d frames of %d bytes, median of %d runs" % (N, SIZE, RUNS))
    print("| receiver | ns/pkt | × C loop | received (min) |")
    print("|---|---:|---:|---:|")
    for name, _ in RECEIVERS:
        ns = statistics.median(x[0] for x in rx[name])
        print("| %s | %.1f | %.2f | %d |" % (name, ns, ns / c_rx, min(x[1] for x in rx[name])))
    c_tx = statistics.median(x[0] for x in tx[SENDERS[0][0]])
    print("\nsender, %d frames of %d bytes, frames/s of sender CPU, median of %d runs"
          % (N, SIZE, RUNS))
    print("| sender | frames/s | ns/frame | × C path |")
    print("|---|---:|---:|---:|")
    for name, _ in SENDERS:
        fps = statistics.median(x[0] for x in tx[name])
        print("| %s | %.0f | %.0f | %.2f |" % (name, fps, 1e9 / fps, fps / c_tx))


main()
