#!/usr/bin/python3
"""Runs every example (C, Python, GJS) against a veth pair in a private
network namespace with real traffic, and checks the counts it prints.

An example is started with a bound (a count and a time limit), the test
waits for its "listening on" line, puts known frames on the wire, and reads
what it printed when it ended. The examples run as child processes and so
share the namespace nrtest moved this process into.

Environment: EXAMPLES_BUILDDIR (the built C examples), EXAMPLES_SRCDIR (the
Python and GJS ones)."""

import os
import platform
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nrtest  # noqa: E402  (moves us into a private network namespace)
from nrtest import GLib, Gio, Netring, test, run_tests  # noqa: E402,F401

BUILDDIR = os.environ.get("EXAMPLES_BUILDDIR", "_build/examples")
SRCDIR = os.environ.get("EXAMPLES_SRCDIR", "examples")
PYTHON = "/usr/bin/python3"
GJS = os.environ.get("GJS", "gjs")
HANG_GUARD = 60  # seconds; an example that takes longer has hung
_pairs = [0]


def veth():
    _pairs[0] += 1
    return nrtest.make_veth("ex", _pairs[0])


def c_example(name, *args):
    return [os.path.join(BUILDDIR, "example-" + name)] + [str(a) for a in args]


def py_example(name, *args):
    return [PYTHON, os.path.join(SRCDIR, name + ".py")] + [str(a) for a in args]


def gjs_example(name, *args):
    return [GJS, "-m", os.path.join(SRCDIR, name + ".js")] + [str(a) for a in args]


class Example:
    """a running example: started, and waited for until it is listening"""

    def __init__(self, argv, ready_on_stderr=False, binary_stdout=False):
        env = dict(os.environ, LC_ALL="C.UTF-8")
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env)
        ready = self.proc.stderr if ready_on_stderr else self.proc.stdout
        self.first = ready.readline().decode()
        if "listening on" not in self.first:
            out, err = self.proc.communicate(timeout=HANG_GUARD)
            raise AssertionError("%s did not start: %r %r %r"
                                 % (argv, self.first, out[-2000:], err[-2000:]))
        self.binary_stdout = binary_stdout

    def signal(self, signum):
        self.proc.send_signal(signum)

    def finish(self, expect_rc=0):
        """waits for the end; returns (stdout, stderr) as text (stdout as bytes
        when binary_stdout)"""
        try:
            out, err = self.proc.communicate(timeout=HANG_GUARD)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError("%s hung" % self.argv)
        err = err.decode()
        if not self.binary_stdout:
            out = out.decode()
        assert self.proc.returncode == expect_rc, \
            "%s exited %d: %s %s" % (self.argv, self.proc.returncode, out, err)
        return out, err


def number(pattern, text):
    m = re.search(pattern, text)
    assert m, "%r not in %r" % (pattern, text)
    return int(m.group(1))


def witness(ifname, count):
    """a socket bound to the test EtherType on ifname: once it has count
    frames, every ETH_P_ALL socket there (the examples' rings) has them"""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(nrtest.ETHERTYPE))
    s.bind((ifname, nrtest.ETHERTYPE))
    s.settimeout(20)

    def wait():
        for _ in range(count):
            s.recv(65536)
        s.close()
    return wait


def peer_frames(ifname):
    """a capture on ifname, to check what an injecting example sent"""
    cap = Netring.Capture(interface=ifname)
    cap.init(None)
    return cap


def received_test_frames(cap, count):
    """the sequence numbers of the test frames on cap, once count of them
    arrived (a 20 s hang guard) and nothing more followed"""
    seqs = []
    while len(seqs) < count:
        try:
            batch = cap.next_batch_timeout(HANG_GUARD * 1000, None)
        except GLib.Error as e:
            raise AssertionError("%d of %d test frames arrived: %s"
                                 % (len(seqs), count, e.message))
        seqs += [struct.unpack("!I", p.get_data()[14:18])[0] for p in batch.get_packets()
                 if p.get_data()[12:14] == b"\x88\xb5"]
    nrtest.assert_quiet(cap)
    return seqs


def received_test_frame_data(cap, count):
    """the test frames on cap (bytes), once count of them arrived (a hang
    guard) and nothing more followed"""
    got = []
    while len(got) < count:
        try:
            batch = cap.next_batch_timeout(HANG_GUARD * 1000, None)
        except GLib.Error as e:
            raise AssertionError("%d of %d test frames arrived: %s"
                                 % (len(got), count, e.message))
        got += [p.get_data() for p in batch.get_packets()
                if p.get_data()[12:14] == b"\x88\xb5"]
    nrtest.assert_quiet(cap)
    return got


def write_pcap(path, frames, interval_us):
    """a classic pcap file (microseconds, Ethernet) of frames, interval_us apart"""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n, data in enumerate(frames):
            ts = 1_700_000_000_000_000 + n * interval_us
            f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(data), len(data)))
            f.write(data)


def pcap_records(data):
    """(link type, [record bytes]) of a classic pcap file"""
    magic = struct.unpack("<I", data[:4])[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), hex(magic)
    linktype = struct.unpack("<I", data[20:24])[0]
    off, records = 24, []
    while off < len(data):
        _s, _f, caplen, _l = struct.unpack("<IIII", data[off:off + 16])
        records.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return linktype, records


# --- receiving: N frames in, "N packets" out ----------------------------------

def check_receiver(argv_of, pattern, count=100):
    a, b = veth()
    ex = Example(argv_of(b, count))
    nrtest.send_frames(a, 0, count, 100)
    out, _ = ex.finish()
    assert number(pattern, out) == count, out


@test
def c_async_capture():
    """C async_capture: a receive source counts 100 frames"""
    check_receiver(lambda i, n: c_example("async_capture", i, n, 30), r"received (\d+) packets")


@test
def c_async_stream():
    """C async_stream: next_batch_async in a loop counts 100 frames"""
    check_receiver(lambda i, n: c_example("async_stream", i, n, 30), r"received (\d+) packets")


@test
def c_capture():
    """C capture: ::packet prints 100 frames"""
    check_receiver(lambda i, n: c_example("capture", i, n), r"received (\d+) packets")


@test
def c_batch_processing():
    """C batch_processing: next_batch_timeout counts 100 frames"""
    check_receiver(lambda i, n: c_example("batch_processing", i, n, 30),
                   r"batches, (\d+) packets")


def check_streamext(argv):
    a, b = veth()
    ex = Example(argv(b))
    # even numbers are test frames, odd ones UDP: half are kept
    frames = [nrtest.frame(seq, 100) if seq % 2 == 0 else
              nrtest.udp_frame(seq, 100, "10.0.0.1", "10.0.0.2", 1000, 2000)
              for seq in range(100)]
    nrtest.send_raw(a, frames)
    out, _ = ex.finish()
    assert number(r"took (\d+) packets", out) == 100, out
    assert number(r"kept (\d+) with", out) == 50, out
    assert "sequence numbers 0…98" in out, out


@test
def c_channel_capture():
    """C channel_capture: a worker receives owned packets, the main thread consumes 100"""
    check_receiver(lambda i, n: c_example("channel_capture", i, n, 30), r"consumed (\d+),")


@test
def c_async_xdp():
    """C async_xdp: an AF_XDP socket in the main loop counts 100 frames"""
    check_xdp(lambda i, n: c_example("async_xdp", i, n, 30))


def check_xdp(argv_of, count=100):
    a, b = veth()
    ex = Example(argv_of(b, count))
    assert "XDP" in ex.first, ex.first
    nrtest.send_frames(a, 0, count, 100)
    out, _ = ex.finish()
    assert number(r"received (\d+) packets", out) == count, out
    assert number(r"XDP: (\d+) received", out) == count, out
    assert number(r"(\d+) dropped \(ring full\)", out) == 0, out


def scrape(url):
    # straight to the example, whatever proxy the environment names
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=HANG_GUARD) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return response.read().decode()


RECEIVED_METRIC = r'netring_capture_received_total\{iface="%s",instance="example"\} (\d+)'


def check_metrics(argv_of, count=100):
    """the example's endpoint answers a scraper of ours before the traffic,
    and the page it prints after COUNT frames says COUNT"""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)  # for 127.0.0.1
    a, b = veth()
    ex = Example(argv_of(b, count))
    m = re.search(r"metrics at (http://\S+/metrics)", ex.first)
    if m is not None:  # built with metrics-http
        assert number(RECEIVED_METRIC % b, scrape(m.group(1))) == 0
    nrtest.send_frames(a, 0, count, 100)
    out, _ = ex.finish()
    assert number(r"received (\d+) packets", out) == count, out
    assert number(RECEIVED_METRIC % b, out) == count, out
    assert "# TYPE netring_capture_received_total counter" in out, out


@test
def c_async_metrics():
    """C async_metrics: /metrics scraped over HTTP says 100 frames received"""
    check_metrics(lambda i, n: c_example("async_metrics", i, n, 30))


def check_stats_monitor(argv, count=200):
    a, b = veth()
    ex = Example(argv(b))
    wait = witness(b, count)
    nrtest.send_frames(a, 0, count, 100)
    wait()
    ex.signal(signal.SIGINT)
    out, _ = ex.finish()
    assert number(r"kernel: (\d+) packets", out) == count, out
    assert number(r"(\d+) drops", out) == 0, out


@test
def c_stats_monitor():
    """C stats_monitor: SIGINT after 200 frames, the kernel counted 200 and dropped none"""
    check_stats_monitor(lambda i: c_example("stats_monitor", i, 30))


@test
def c_async_streamext():
    """C async_streamext: takes 100, keeps the 50 test frames, maps to 0…98"""
    check_streamext(lambda i: c_example("async_streamext", i, 100, 30))


def check_signal(argv, count=200):
    a, b = veth()
    ex = Example(argv(b))
    wait = witness(b, count)
    nrtest.send_frames(a, 0, count, 100)
    wait()
    ex.signal(signal.SIGINT)
    out, _ = ex.finish()
    assert number(r"done: (\d+) packets", out) == count, out


@test
def c_async_signal():
    """C async_signal: SIGINT after 200 frames, all 200 counted"""
    check_signal(lambda i: c_example("async_signal", i))


def check_fanout(argv, members=4, count=400):
    a, b = veth()
    ex = Example(argv(b, members, count))
    # many flows, so that the hash spreads them
    nrtest.send_raw(a, [nrtest.udp_frame(seq, 100, "10.0.0.1", "10.0.0.2", 1000 + seq % 64, 2000)
                        for seq in range(count)])
    out, _ = ex.finish()
    assert number(r"total: (\d+) packets", out) == count, out
    per_member = [int(n) for n in re.findall(r"member \d+: (\d+) packets", out)]
    assert len(per_member) == members and sum(per_member) == count, out


@test
def c_fanout():
    """C fanout: 400 frames of 64 flows over 4 members, each counted once"""
    check_fanout(lambda i, m, n: c_example("fanout", i, m, n, 30))


def check_pcap(argv_of, tmpname):
    a, b = veth()
    for target in (tmpname, "-"):
        ex = Example(argv_of(b, target), ready_on_stderr=(target == "-"),
                     binary_stdout=(target == "-"))
        nrtest.send_frames(a, 0, 50, 120)
        out, err = ex.finish()
        if target == "-":
            data, summary = out, err
        else:
            with open(target, "rb") as f:
                data = f.read()
            os.unlink(target)
            summary = out
        assert number(r"wrote (\d+) packets", summary) == 50, summary
        linktype, records = pcap_records(data)
        assert linktype == 1
        assert records == [nrtest.frame(seq, 120) for seq in range(50)], \
            "%d records" % len(records)


@test
def c_pcap_write():
    """C pcap_write: 50 frames into a file and to standard output, byte for byte"""
    check_pcap(lambda i, target: c_example("pcap_write", i, target, 50, 30),
               "/tmp/netring-example-%d.pcap" % os.getpid())


@test
def py_pcap_write():
    """Python pcap_write: 50 frames into a file and to standard output, byte for byte"""
    check_pcap(lambda i, target: py_example("pcap_write", i, target, 50, 30),
               "/tmp/netring-example-py-%d.pcap" % os.getpid())


# --- bridging: host_a ── port_a : example : port_b ── host_b ---------------------

def check_bridge(argv_of, count=200):
    _pairs[0] += 1
    host_a, port_a = nrtest.make_veth("exa", _pairs[0])
    port_b, host_b = nrtest.make_veth("exb", _pairs[0])
    cap = peer_frames(host_b)
    ex = Example(argv_of(port_a, port_b))
    frames = [nrtest.frame(seq, 100 + seq % 50) for seq in range(count)]
    nrtest.send_raw(host_a, frames)
    assert received_test_frame_data(cap, count) == frames
    ex.signal(signal.SIGINT)
    out, _ = ex.finish()
    m = re.search(r"%s → %s: (\d+) received, (\d+) forwarded, (\d+) in flight"
                  % (port_a, port_b), out)
    assert m, out
    received, forwarded, in_flight = (int(x) for x in m.groups())
    assert received == count and forwarded + in_flight == count, out
    assert "%s → %s: 0 received" % (port_b, port_a) in out, out


@test
def c_async_bridge():
    """C async_bridge: 200 frames cross byte for byte, counted per direction, SIGINT ends it"""
    check_bridge(lambda a, b: c_example("async_bridge", a, b, 30))


# --- sending: the peer sees every frame ---------------------------------------

def check_injector(argv, count, pattern):
    a, b = veth()
    cap = peer_frames(b)
    proc = subprocess.run(argv(a, count), capture_output=True, text=True, timeout=HANG_GUARD)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert number(pattern, proc.stdout) == count, proc.stdout
    assert received_test_frames(cap, count) == list(range(count))


@test
def c_async_inject():
    """C async_inject: 1000 frames through a 64-frame ring, all on the wire in order"""
    check_injector(lambda i, n: c_example("async_inject", i, n), 1000, r"kernel sent (\d+)")


@test
def c_inject():
    """C inject: 300 frames through reserve/commit, all on the wire in order"""
    check_injector(lambda i, n: c_example("inject", i, n), 300, r"sent (\d+) \(")


def check_replay(argv_of, count=200):
    """a file of count frames 1 ms apart, replayed ten times as fast: the
    peer gets every frame, in order, byte for byte"""
    a, b = veth()
    path = "/tmp/netring-example-replay-%d.pcap" % os.getpid()
    frames = [nrtest.frame(seq, 64 + seq % 100) for seq in range(count)]
    write_pcap(path, frames, 1000)
    try:
        cap = peer_frames(b)
        proc = subprocess.run(argv_of(a, path), capture_output=True, text=True,
                              timeout=HANG_GUARD, env=dict(os.environ, LC_ALL="C.UTF-8"))
    finally:
        os.unlink(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert number(r"sent (\d+) frames", proc.stdout) == count, proc.stdout
    assert number(r"skipped (\d+)", proc.stdout) == 0, proc.stdout
    assert received_test_frame_data(cap, count) == frames


@test
def c_replay():
    """C replay: a pcap file of 200 frames replayed at speed 10, all on the wire byte for byte"""
    check_replay(lambda i, path: c_example("replay", i, path, 10))


# --- the pipeline stopped mid-flood --------------------------------------------

# by machine: the poll() family (a thread sleeping there waits for its main
# loop) and the nanosleep() family (the examples' pretend work)
_POLL_SYSCALLS = {"x86_64": (7, 271), "aarch64": (None, 73)}.get(platform.machine(), (None, None))
_SLEEP_SYSCALLS = {"x86_64": (35, 230), "aarch64": (101, 115)}.get(platform.machine(), ())


def _syscall(pid, tid):
    """the number of the system call thread tid sleeps in, or None"""
    try:
        with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open("/proc/%d/task/%d/syscall" % (pid, tid)) as f:
            fields = f.read().split()
    except OSError:
        return None, []
    if state != "S" or not fields or not fields[0].isdigit():
        return None, []
    return int(fields[0]), fields


def thread_parked(pid, tid):
    """whether thread tid of process pid sleeps in poll() with a timeout (or
    in ppoll()): a main loop with nothing to dispatch. A thread woken since
    it fell asleep reads as running (state R), so a parked thread went to
    sleep after every wake-up before the call."""
    nr, fields = _syscall(pid, tid)
    poll_nr, ppoll_nr = _POLL_SYSCALLS
    if nr is not None and nr == poll_nr:
        return int(fields[3], 16) != 0  # a zero timeout is a busy check
    return nr is not None and nr == ppoll_nr


def worker_busy(pid):
    """whether a thread of process pid other than its main thread sleeps in
    nanosleep(): an example's worker doing its pretend work, which it starts
    after counting the packet it took"""
    return any(_syscall(pid, int(tid))[0] in _SLEEP_SYSCALLS
               for tid in os.listdir("/proc/%d/task" % pid) if int(tid) != pid)


def wait_until(condition, what):
    """waits (polling /proc, paced by 1 ms; HANG_GUARD is a hang guard) until condition()"""
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.001)


MARKER_ETHERTYPE = 0x88B6


def check_pipeline(argv):
    """Stops the pipeline with the queue full and the workers busy, by
    construction rather than by speed: the workers take 100 ms a packet; a
    flood of 6000 frames of 1500 bytes is in the ring when a marker frame
    sent after it reaches a witness; and once the example's main loop sleeps
    in poll() after that, it has taken every block the kernel handed over.
    A block of the default profile (4 MiB) holds about 2600 such frames, and
    only the one still being filled can be missing, so at least 3000 frames
    were taken, whatever the block timer did: the queue (64) overflowed.
    Once a worker sleeps in its pretend work it has counted a packet. Then
    SIGINT comes, and a second flood follows while the example stops."""
    a, b = veth()
    ex = Example(argv(b))
    witness = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(MARKER_ETHERTYPE))
    witness.bind((b, MARKER_ETHERTYPE))
    witness.settimeout(HANG_GUARD)
    fd = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    fd.bind((a, 0))
    # one CPU: the kernel handles the flood and the marker in sending order
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        body = bytes(1500 - 18)
        for seq in range(6000):
            fd.send(nrtest.MAC_B + nrtest.MAC_A + struct.pack("!HI", nrtest.ETHERTYPE, seq) + body)
        fd.send(nrtest.MAC_B + nrtest.MAC_A + struct.pack("!HI", MARKER_ETHERTYPE, 0) + bytes(46))
    finally:
        os.sched_setaffinity(0, cpus)
    sent = 6001
    witness.recv(2048)  # every ETH_P_ALL socket (the example's ring) had the flood before
    witness.close()
    pid = ex.proc.pid
    wait_until(lambda: thread_parked(pid, pid), "the main loop never waited in poll()")
    wait_until(lambda: worker_busy(pid), "no worker ever took a packet")
    ex.signal(signal.SIGINT)  # the queue is full and the workers busy
    for seq in range(6000, 10000):
        fd.send(nrtest.frame(seq, 100))
        sent += 1
    fd.close()
    out, _ = ex.finish()
    received = number(r"received (\d+)", out)
    consumed = number(r"consumed (\d+)", out)
    discarded = number(r"discarded (\d+)", out)
    assert received >= 3000 and received <= sent, out
    assert consumed + discarded == received, out
    assert consumed > 0 and discarded > 0, out


@test
def c_async_pipeline():
    """C async_pipeline: SIGINT mid-flood with the queue full; consumed + discarded = received"""
    check_pipeline(lambda i: c_example("async_pipeline", i, 30, 2, 64, 100000))


# --- Python and GJS -------------------------------------------------------------

@test
def py_async_capture():
    """Python async_capture: ::batch counts 100 frames"""
    check_receiver(lambda i, n: py_example("async_capture", i, n, 30), r"received (\d+) packets")


@test
def py_async_stream():
    """Python async_stream: the packet iterator yields 100 frames"""
    check_receiver(lambda i, n: py_example("async_stream", i, n, 30), r"received (\d+) packets")


@test
def py_async_streamext():
    """Python async_streamext: islice 100, keep the 50 test frames, map to 0…98"""
    check_streamext(lambda i: py_example("async_streamext", i, 100, 30))


@test
def py_async_signal():
    """Python async_signal: SIGINT after 200 frames, all 200 counted"""
    check_signal(lambda i: py_example("async_signal", i))


@test
def py_fanout():
    """Python fanout: 400 frames of 64 flows over 4 members, each counted once"""
    check_fanout(lambda i, m, n: py_example("fanout", i, m, n, 30))


@test
def py_async_inject():
    """Python async_inject: 500 frames through a 64-frame ring, all on the wire in order"""
    check_injector(lambda i, n: py_example("async_inject", i, n), 500, r"kernel sent (\d+)")


@test
def py_async_pipeline():
    """Python async_pipeline: SIGINT mid-flood; consumed + discarded = received"""
    check_pipeline(lambda i: py_example("async_pipeline", i, 30, 2, 64, 100000))


@test
def py_capture():
    """Python capture: ::packet prints 100 frames"""
    check_receiver(lambda i, n: py_example("capture", i, n), r"received (\d+) packets")


@test
def py_async_xdp():
    """Python async_xdp: an AF_XDP socket's ::batch counts 100 frames"""
    check_xdp(lambda i, n: py_example("async_xdp", i, n, 30))


@test
def py_async_metrics():
    """Python async_metrics: /metrics scraped over HTTP says 100 frames received"""
    check_metrics(lambda i, n: py_example("async_metrics", i, n, 30))


@test
def py_async_bridge():
    """Python async_bridge: 200 frames cross byte for byte, counted per direction"""
    check_bridge(lambda a, b: py_example("async_bridge", a, b, 30))


@test
def py_replay():
    """Python replay: a pcap file of 200 frames replayed at speed 10, all on the wire"""
    check_replay(lambda i, path: py_example("replay", i, path, 10))


@test
def gjs_async_capture():
    """GJS async_capture: ::batch counts 100 frames"""
    check_receiver(lambda i, n: gjs_example("async_capture", i, n, 30), r"received (\d+) packets")


@test
def gjs_async_stream():
    """GJS async_stream: a for-await loop over a promisified next_batch yields 100 frames"""
    check_receiver(lambda i, n: gjs_example("async_stream", i, n, 30), r"received (\d+) packets")


@test
def gjs_async_inject():
    """GJS async_inject: 500 frames through a 64-frame ring, all on the wire in order"""
    check_injector(lambda i, n: gjs_example("async_inject", i, n), 500, r"kernel sent (\d+)")


# --- Vala (built when valac is there) --------------------------------------------

if os.path.exists(os.path.join(BUILDDIR, "example-async_capture-vala")):
    @test
    def vala_async_capture():
        """Vala async_capture: ::batch counts 100 frames"""
        check_receiver(lambda i, n: c_example("async_capture-vala", i, n, 30),
                       r"received (\d+) packets")

    @test
    def vala_async_bridge():
        """Vala async_bridge: 200 frames cross byte for byte, counted per direction"""
        check_bridge(lambda a, b: c_example("async_bridge-vala", a, b, 30))
else:
    print("# the Vala examples were not built: not run")


if __name__ == "__main__":
    run_tests()
