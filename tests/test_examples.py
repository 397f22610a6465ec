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
import re
import signal
import socket
import struct
import subprocess
import sys
import threading

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


def received_test_frames(cap):
    return [struct.unpack("!I", data[14:18])[0] for data, _c, _w, _s in nrtest.drain(cap)
            if data[12:14] == b"\x88\xb5"]


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


# --- sending: the peer sees every frame ---------------------------------------

def check_injector(argv, count, pattern):
    a, b = veth()
    cap = peer_frames(b)
    proc = subprocess.run(argv(a, count), capture_output=True, text=True, timeout=HANG_GUARD)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert number(pattern, proc.stdout) == count, proc.stdout
    assert received_test_frames(cap) == list(range(count))


@test
def c_async_inject():
    """C async_inject: 1000 frames through a 64-frame ring, all on the wire in order"""
    check_injector(lambda i, n: c_example("async_inject", i, n), 1000, r"kernel sent (\d+)")


@test
def c_inject():
    """C inject: 300 frames through reserve/commit, all on the wire in order"""
    check_injector(lambda i, n: c_example("inject", i, n), 300, r"sent (\d+) \(")


# --- the pipeline stopped mid-flood --------------------------------------------

def check_pipeline(argv):
    a, b = veth()
    # 2 slow workers behind a queue of 64: a flood fills it at once
    ex = Example(argv(b))
    fd = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    fd.bind((a, 0))
    sent = 0
    for seq in range(4000):
        fd.send(nrtest.frame(seq, 100))
        sent += 1
    ex.signal(signal.SIGINT)  # while the queue is full and the workers busy
    for seq in range(4000, 8000):
        fd.send(nrtest.frame(seq, 100))
        sent += 1
    fd.close()
    out, _ = ex.finish()
    received = number(r"received (\d+)", out)
    consumed = number(r"consumed (\d+)", out)
    discarded = number(r"discarded (\d+)", out)
    assert received > 0 and received <= sent, out
    assert consumed + discarded == received, out
    assert discarded > 0, out


@test
def c_async_pipeline():
    """C async_pipeline: SIGINT mid-flood with the queue full; consumed + discarded = received"""
    check_pipeline(lambda i: c_example("async_pipeline", i, 30, 2, 64, 500))


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
    check_pipeline(lambda i: py_example("async_pipeline", i, 30, 2, 64, 500))


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


if __name__ == "__main__":
    run_tests()
