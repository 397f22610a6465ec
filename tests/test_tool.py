#!/usr/bin/python3
"""The `netring` program, every command end to end on veth pairs in a
private network namespace: what it prints, what it writes (read back by
tshark and tcpdump), what reaches the wire (captured by the library, byte
for byte), exit codes, the live status line on a pseudo-terminal and its
absence without one.

A command that receives is started, the test waits for its "listening on"
(or "bridging") line on stderr, then puts known frames on the wire; a
command ends by its count or by SIGINT, never by a sleep.

Environment: NETRING_TOOL (the built program), NETRING_TOOL_LIBRARY_PATH
(optional: the LD_LIBRARY_PATH of the tool, e.g. an ASan build's)."""

import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nrtest  # noqa: E402  (moves us into a private network namespace)
from nrtest import GLib, Netring, test, run_tests  # noqa: E402,F401

TOOL = os.environ.get("NETRING_TOOL", "_build/tools/netring")
HANG_GUARD = 60  # seconds; a command that takes longer has hung
TMP = tempfile.mkdtemp(prefix="netring-tool-")
ENV = dict(os.environ, LC_ALL="C.UTF-8")
if os.environ.get("NETRING_TOOL_LIBRARY_PATH"):
    # an ASan build of the tool with its own library, while this process
    # uses the typelib's
    ENV["LD_LIBRARY_PATH"] = os.environ["NETRING_TOOL_LIBRARY_PATH"]
_pairs = [0]


def veth():
    _pairs[0] += 1
    return nrtest.make_veth("tl", _pairs[0])


def run(*args, rc=0, **kwargs):
    """runs the tool to its end; returns (stdout, stderr) as text"""
    p = subprocess.run([TOOL] + [str(a) for a in args], capture_output=True, text=True,
                       env=ENV, timeout=HANG_GUARD, **kwargs)
    assert p.returncode == rc, "%s exited %d, not %d: %r %r" % (args, p.returncode, rc,
                                                               p.stdout[-2000:],
                                                               p.stderr[-2000:])
    return p.stdout, p.stderr


class Running:
    """the tool started and waited for until its first stderr line says it
    is ready ("listening on", "bridging", "replaying")"""

    def __init__(self, *args, ready="listening on", stdout=subprocess.PIPE):
        self.args = [TOOL] + [str(a) for a in args]
        self.proc = subprocess.Popen(self.args, stdout=stdout, stderr=subprocess.PIPE,
                                     env=ENV)
        self.first = b""
        while ready.encode() not in self.first:
            line = self.proc.stderr.readline()
            if not line:
                out, err = self.proc.communicate(timeout=HANG_GUARD)
                raise AssertionError("%s did not start: %r %r %r"
                                     % (self.args, self.first, out, err))
            self.first += line

    def finish(self, rc=0, sig=None):
        if sig is not None:
            self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=HANG_GUARD)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError("%s hung" % self.args)
        out = out.decode(errors="replace") if out is not None else ""
        err = err.decode(errors="replace")
        assert self.proc.returncode == rc, "%s exited %d: %r %r" % (
            self.args, self.proc.returncode, out[-2000:], err[-2000:])
        return out, err


def number(pattern, text):
    m = re.search(pattern, text)
    assert m, "%r not in %r" % (pattern, text)
    return int(m.group(1))


def tshark(path):
    """the raw bytes of every record of a capture file, as tshark reads it"""
    assert shutil.which("tshark") is not None, "tshark is not installed"
    out = subprocess.run(["tshark", "-r", path, "-n", "-T", "json", "-x"], check=True,
                         capture_output=True, text=True, timeout=HANG_GUARD).stdout
    return [bytes.fromhex(p["_source"]["layers"]["frame_raw"][0]) for p in json.loads(out)]


def dns_and_other(count):
    """count UDP frames to port 53 interleaved with count to port 54 and
    count test frames: a filter "udp port 53" keeps a third"""
    dns, frames = [], []
    for seq in range(count):
        d = nrtest.udp_frame(seq, 120, "10.0.0.1", "10.0.0.2", 4000 + seq, 53)
        dns.append(d)
        frames += [d, nrtest.udp_frame(seq, 120, "10.0.0.1", "10.0.0.2", 4000 + seq, 54),
                   nrtest.frame(seq, 90)]
    return dns, frames


def capture_on(ifname):
    """a capture of what arrives on ifname (not what is sent from it)"""
    cap = Netring.Capture(interface=ifname, ignore_outgoing=True)
    cap.init(None)
    return cap


_dns_file = []


def dns_file():
    """a pcap file the tool wrote of 30 DNS frames (filter "udp port 53")"""
    if not _dns_file:
        a, b = veth()
        path = os.path.join(TMP, "dns.pcap")
        dns, frames = dns_and_other(30)
        tool = Running("capture", "-i", b, "-c", 30, "-w", path, "udp", "port", "53")
        nrtest.send_raw(a, frames)
        _out, err = tool.finish()
        assert number(r"(\d+) packets captured", err) == 30, err
        _dns_file.append((path, dns))
    return _dns_file[0]


# --- usage and exit codes -----------------------------------------------------

@test
def help_and_usage_errors():
    """--help on stdout (0); bad flags, unknown commands, missing values exit 2 on stderr"""
    out, _ = run("--help")
    assert "capture" in out and "testnet" in out, out
    for command in ("capture", "inject", "bridge", "info", "stats", "testnet", "demo"):
        out, err = run(command, "--help")
        assert "Usage:" in out and err == "", (command, out, err)
    _out, err = run(rc=2)
    assert "Usage:" in err, err
    _out, err = run("frobnicate", rc=2)
    assert "frobnicate" in err, err
    _out, err = run("capture", "--bogus", rc=2)
    assert "--bogus" in err, err
    _out, err = run("capture", "-i", rc=2)
    assert "-i" in err, err
    _out, err = run("capture", "-i", "lo", "-Q", "sideways", rc=2)
    assert "-Q" in err, err
    _out, err = run("inject", "-i", "lo", "--dst-mac", "nonsense", rc=2)
    assert "nonsense" in err, err
    _out, err = run("bridge", "lo", rc=2)
    assert "two interfaces" in err, err


@test
def unknown_interface():
    """an interface that does not exist: exit 1, the message names it; -i any is declined"""
    for args in (("capture", "-i", "nosuch0"), ("inject", "-i", "nosuch0", "-c", 1),
                 ("info", "nosuch0"), ("stats", "-i", "nosuch0"),
                 ("bridge", "nosuch0", "nosuch1")):
        _out, err = run(*args, rc=1)
        assert "nosuch0" in err, (args, err)
    _out, err = run("capture", "-i", "any", rc=1)
    assert "any" in err and "one interface" in err, err


@test
def invalid_filter():
    """a filter that does not compile: exit 1 and libpcap's reason"""
    _a, b = veth()
    _out, err = run("capture", "-i", b, "udp", "port", "banana", rc=1)
    assert "banana" in err, err


# --- capture ------------------------------------------------------------------

@test
def capture_filter_write_tshark():
    """capture 'udp port 53' -w: tshark reads exactly the 30 matching frames, byte for byte"""
    path, dns = dns_file()
    assert tshark(path) == dns


@test
def capture_prints_like_tcpdump():
    """capture with a filter prints one tcpdump line per matching frame, the listening line"""
    a, b = veth()
    dns, frames = dns_and_other(10)
    tool = Running("capture", "-i", b, "-c", 10, "-e", "udp port 53")
    assert tool.first.decode().startswith(
        "listening on %s, link-type EN10MB (Ethernet), snapshot length 262144 bytes" % b), \
        tool.first
    nrtest.send_raw(a, frames)
    out, err = tool.finish()
    lines = out.splitlines()
    assert len(lines) == 10, out
    for seq, line in enumerate(lines):
        assert re.match(r"^\d\d:\d\d:\d\d\.\d{6} 02:00:00:00:00:01 > 02:00:00:00:00:02, "
                        r"ethertype IPv4 \(0x0800\), length 120: IP 10\.0\.0\.1\.%d > "
                        r"10\.0\.0\.2\.53: UDP, length 78$" % (4000 + seq), line), line
    assert number(r"(\d+) packets captured", err) == 10, err


@test
def capture_write_stdout_into_tcpdump():
    """capture -w - piped into tcpdump -r -: tcpdump prints the 20 frames"""
    a, b = veth()
    tcpdump = subprocess.Popen(["tcpdump", "-r", "-", "-nn"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tool = Running("capture", "-i", b, "-c", 20, "-w", "-", "ether", "proto", "0x88b5",
                   stdout=tcpdump.stdin)
    tcpdump.stdin.close()
    nrtest.send_raw(a, [nrtest.udp_frame(0, 100, "10.0.0.1", "10.0.0.2", 1, 2)] +
                    [nrtest.frame(seq, 80) for seq in range(20)])
    tool.finish()
    out = tcpdump.stdout.read()  # to the end: the tool closed the pipe
    err = tcpdump.stderr.read()
    assert tcpdump.wait(timeout=HANG_GUARD) == 0, err
    lines = out.decode().splitlines()
    assert len([ln for ln in lines if "0x88b5" in ln]) == 20, out
    assert not any("UDP" in ln for ln in lines), out


@test
def capture_read_file():
    """capture -r prints every record as tcpdump does; a filter applies; -c stops"""
    path, _dns = dns_file()
    out, err = run("capture", "-r", path)
    assert err.startswith("reading from file %s, link-type EN10MB (Ethernet)" % path), err
    assert len(out.splitlines()) == 30 and all(" > 10.0.0.2.53: UDP, length 78" in ln
                                               for ln in out.splitlines()), out
    out, _ = run("capture", "-r", path, "udp dst port 53 and udp[0:2] < 4010")
    assert len(out.splitlines()) == 10, out
    out, _ = run("capture", "-r", path, "-c", 3, "-X")
    assert len([ln for ln in out.splitlines() if not ln.startswith("\t")]) == 3, out
    assert "\t0x0000:  4500 006a" in out, out
    out, _ = run("capture", "-r", path, "tcp")
    assert out == "", out


@test
def capture_rotation():
    """capture -C 1 -w: the frames go into rot.pcap, rot.pcap1, …, none over a million bytes"""
    a, b = veth()
    path = os.path.join(TMP, "rot.pcap")
    count = 1200
    tool = Running("capture", "-i", b, "-c", count, "-w", path, "-C", 1, "ether proto 0x88b5")
    frames = [nrtest.frame(seq, 1400) for seq in range(count)]
    nrtest.send_raw(a, frames)
    tool.finish()
    files = sorted((f for f in os.listdir(TMP) if f.startswith("rot.pcap")),
                   key=lambda f: int(f[len("rot.pcap"):] or 0))
    assert len(files) >= 2, files
    got = []
    for f in files:
        assert os.path.getsize(os.path.join(TMP, f)) <= 1000000, f
        got += tshark(os.path.join(TMP, f))
    assert got == frames


@test
def capture_rotation_by_time():
    """capture -G 1 -w 'tg-%i.pcap': frames a second apart land in two files or more, none lost"""
    a, b = veth()
    pattern = os.path.join(TMP, "tg-%i.pcap")
    tool = Running("capture", "-i", b, "-c", 20, "-w", pattern, "-G", 1, "-U",
                   "ether proto 0x88b5")
    first = [nrtest.frame(seq, 100) for seq in range(10)]
    second = [nrtest.frame(seq, 100) for seq in range(10, 20)]
    nrtest.send_raw(a, first)
    time.sleep(1.2)  # pacing: the second burst belongs to the next period
    nrtest.send_raw(a, second)
    tool.finish()
    files = sorted((f for f in os.listdir(TMP) if f.startswith("tg-")),
                   key=lambda f: int(f[3:-5]))
    assert len(files) >= 2, files
    got = []
    for f in files:
        got += tshark(os.path.join(TMP, f))
    assert got == first + second


@test
def capture_pcapng_nano():
    """--pcapng --time-stamp-precision nano: a pcapng file, nanosecond times printed"""
    a, b = veth()
    path = os.path.join(TMP, "nano.out")
    tool = Running("capture", "-i", b, "-c", 5, "-w", path, "--pcapng", "--print",
                   "--time-stamp-precision", "nano", "ether proto 0x88b5")
    frames = [nrtest.frame(seq, 64) for seq in range(5)]
    nrtest.send_raw(a, frames)
    out, _ = tool.finish()
    assert len(out.splitlines()) == 5, out
    assert all(re.match(r"^\d\d:\d\d:\d\d\.\d{9} ", ln) for ln in out.splitlines()), out
    with open(path, "rb") as f:
        assert f.read(4) == b"\x0a\x0d\x0d\x0a"
    assert tshark(path) == frames


@test
def capture_fanout():
    """capture -F 2: two captures, each with a thread, print 40 frames between them"""
    a, b = veth()
    tool = Running("capture", "-i", b, "-F", 2, "-c", 40, "-q", "udp")
    nrtest.send_raw(a, [nrtest.udp_frame(seq, 100, "10.0.0.1", "10.0.0.2", 1000 + seq, 9)
                        for seq in range(40)] + [nrtest.frame(0, 60)])
    out, err = tool.finish()
    assert len(out.splitlines()) == 40, out
    assert all("UDP, length" in ln for ln in out.splitlines()), out
    assert number(r"(\d+) packets captured", err) == 40, err


@test
def capture_xdp():
    """capture --xdp with a filter: says the filter runs in user space, prints the matches"""
    a, b = veth()
    tool = Running("capture", "-i", b, "--xdp", "-c", 10, "ether proto 0x88b5")
    assert b"user space" in tool.first, tool.first
    nrtest.send_raw(a, [nrtest.udp_frame(0, 100, "10.0.0.1", "10.0.0.2", 1, 2)] +
                    [nrtest.frame(seq, 80) for seq in range(10)])
    out, err = tool.finish()
    assert len(out.splitlines()) == 10 and "0x88b5" in out and "UDP" not in out, out


@test
def capture_sigint_summary():
    """SIGINT: the summary with the count, exit 0"""
    a, b = veth()
    tool = Running("capture", "-i", b, "ether proto 0x88b5")
    nrtest.send_raw(a, [nrtest.frame(seq, 64) for seq in range(7)])
    lines = [tool.proc.stdout.readline() for _ in range(7)]
    assert all(b"0x88b5" in ln for ln in lines), lines
    _out, err = tool.finish(sig=signal.SIGINT)
    assert number(r"(\d+) packets captured", err) == 7, err
    assert number(r"(\d+) packets received by filter", err) == 7, err


@test
def capture_metrics_port():
    """capture --metrics-port: Prometheus text with the capture's packet count at /metrics"""
    import urllib.request
    a, b = veth()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    port = 19000 + os.getpid() % 1000
    try:
        tool = Running("capture", "-i", b, "--metrics-port", port, "-w", "/dev/null",
                       "ether proto 0x88b5")
    except AssertionError as e:
        # a library built without metrics-http says so, and nothing else fails
        assert "metrics" in str(e) and ("not" in str(e) or "nicht" in str(e)), e
        return
    nrtest.send_raw(a, [nrtest.frame(seq, 64) for seq in range(6)])
    deadline = time.monotonic() + HANG_GUARD
    while True:
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                      timeout=HANG_GUARD).read().decode()
        m = re.search(r'^netring_capture_packets_total\{[^}]*iface="%s"[^}]*\} (\d+)' % b,
                      text, re.M)
        assert m, text
        if int(m.group(1)) == 6:
            break
        assert time.monotonic() < deadline, text
        time.sleep(0.05)  # pacing between scrapes, not a wait for a condition
    tool.finish(sig=signal.SIGINT)


# --- the status line ----------------------------------------------------------

def read_until(fd, pattern, deadline):
    buf = b""
    while not re.search(pattern, buf):
        left = deadline - time.monotonic()
        assert left > 0, "%r not seen in %r" % (pattern, buf[-2000:])
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            assert data, "end of output before %r: %r" % (pattern, buf[-2000:])
            buf += data
    return buf


@test
def status_line_on_a_terminal():
    """on a pseudo-terminal the status line is redrawn in place with the count; SIGINT ends"""
    a, b = veth()
    master, slave = pty.openpty()
    proc = subprocess.Popen([TOOL, "capture", "-i", b, "-w", "/dev/null", "ether proto 0x88b5"],
                            stdin=slave, stdout=slave, stderr=slave, env=ENV)
    os.close(slave)
    try:
        deadline = time.monotonic() + HANG_GUARD
        read_until(master, rb"listening on", deadline)
        nrtest.send_raw(a, [nrtest.frame(seq, 64) for seq in range(25)])
        buf = read_until(master, rb"\r\x1b\[K25 packets +\d+ pkt/s +[\d.]+ Mbit/s +0 drops"
                                 rb" +\d+ held blocks", deadline)
        proc.send_signal(signal.SIGINT)
        buf += read_until(master, rb"Capture statistics", deadline)
        assert proc.wait(timeout=HANG_GUARD) == 0
        assert b"25 packets captured" in buf, buf
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


@test
def no_status_line_without_terminal():
    """stderr not a terminal: no status line, no escape sequence"""
    a, b = veth()
    tool = Running("capture", "-i", b, "ether proto 0x88b5")
    nrtest.send_raw(a, [nrtest.frame(seq, 64) for seq in range(5)])
    lines = [tool.proc.stdout.readline() for _ in range(5)]
    assert all(b"0x88b5" in ln for ln in lines), lines
    # not a wait for a condition: time for a few status ticks (250 ms), so
    # that a line would have been drawn had there been one
    time.sleep(0.6)
    _out, err = tool.finish(sig=signal.SIGINT)
    assert "\x1b" not in err and "\r" not in err and "pkt/s" not in err, repr(err)


# --- inject -------------------------------------------------------------------

@test
def inject_replay_byte_for_byte():
    """inject -r (the file capture wrote): the peer captures every frame byte for byte"""
    path, dns = dns_file()
    a, b = veth()
    cap = capture_on(b)
    out, _ = run("inject", "-i", a, "-r", path, "--topspeed")
    assert "30 frames" in out, out
    got = nrtest.receive(cap, len(dns))
    assert [g[0] for g in got] == dns
    run("inject", "-i", a, "-r", path, "--topspeed", "--loop", 2)
    got = nrtest.receive(cap, 2 * len(dns))
    assert [g[0] for g in got] == dns + dns


@test
def inject_replay_paced():
    """inject -r --pps 200: every frame arrives, and no faster than the rate allows"""
    path, dns = dns_file()
    a, b = veth()
    cap = capture_on(b)
    start = time.monotonic()
    run("inject", "-i", a, "-r", path, "--pps", 200)
    elapsed = time.monotonic() - start
    got = nrtest.receive(cap, len(dns))
    assert [g[0] for g in got] == dns
    # 30 frames at 200/s: the last leaves 29/200 s after the first
    assert elapsed >= 29 / 200 * 0.9, elapsed


@test
def inject_generated():
    """inject -c 300 -s 100 --dst-mac --payload: 300 frames on the wire, as asked"""
    a, b = veth()
    cap = capture_on(b)
    out, err = run("inject", "-i", a, "-c", 300, "-s", 100, "--dst-mac", "02:00:00:00:00:02",
                   "--src-mac", "02:00:00:00:00:01", "--payload", "deadbeef")
    assert "300 frames (30000 bytes) sent" in out, out
    got = nrtest.receive(cap, 300)
    for seq, g in enumerate(got):
        data = g[0]
        assert data[:12] == nrtest.MAC_B + nrtest.MAC_A, data[:12]
        assert data[12:18] == b"\x88\xb5" + seq.to_bytes(4, "big"), data[12:18]
        assert data[18:] == (b"\xde\xad\xbe\xef" * 25)[:82], data[18:]


@test
def inject_too_large_fails():
    """inject -s 1515 on an MTU of 1500: exit 1, the message says why; nothing on the wire"""
    a, b = veth()
    cap = capture_on(b)
    out, err = run("inject", "-i", a, "-c", 10, "-s", 1515, rc=1)
    assert "1515" in err and "MTU" in err, err
    nrtest.assert_quiet(cap)


@test
def inject_big_frames_raise_frame_size():
    """inject -s 9000 on an MTU of 9000: the ring's frame size is raised, frames arrive"""
    a, b = veth()
    for name in (a, b):
        subprocess.run(["ip", "link", "set", name, "mtu", "9000"], check=True)
    cap = capture_on(b)
    run("inject", "-i", a, "-c", 20, "-s", 9014)
    got = nrtest.receive(cap, 20)
    assert all(len(g[0]) == 9014 for g in got)


# --- bridge -------------------------------------------------------------------

@test
def bridge_both_ways_with_filter():
    """bridge A B 'udp port 53': matching frames cross both ways, counted per direction"""
    a1, b1 = veth()
    a2, b2 = veth()
    tool = Running("bridge", b1, a2, "udp port 53", ready="bridging")
    left, right = capture_on(a1), capture_on(b2)
    dns, frames = dns_and_other(20)
    nrtest.send_raw(a1, frames)
    got = nrtest.receive(right, 20)
    assert [g[0] for g in got] == dns
    back = [nrtest.udp_frame(seq, 90, "10.0.0.2", "10.0.0.1", 53, 5000 + seq)
            for seq in range(12)]
    nrtest.send_raw(b2, back + [nrtest.frame(0, 60)])
    got = nrtest.receive(left, 12)
    assert [g[0] for g in got] == back
    _out, err = tool.finish(sig=signal.SIGINT)
    assert number(r"A→B \(%s → %s\): \d+ received, (\d+) forwarded" % (b1, a2), err) == 20, err
    assert number(r"B→A \(%s → %s\): \d+ received, (\d+) forwarded" % (a2, b1), err) == 12, err


@test
def bridge_metrics_port():
    """bridge --metrics-port: the bridge's own per-direction counters at /metrics"""
    import urllib.request
    a1, b1 = veth()
    a2, b2 = veth()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    port = 20000 + os.getpid() % 1000
    try:
        tool = Running("bridge", b1, a2, "--metrics-port", port, ready="bridging")
    except AssertionError as e:
        # a library built without metrics-http says so, and nothing else fails
        assert "metrics" in str(e) and ("not" in str(e) or "nicht" in str(e)), e
        return
    right = capture_on(b2)
    frames = [nrtest.frame(seq, 64) for seq in range(8)]
    nrtest.send_raw(a1, frames)
    assert [g[0] for g in nrtest.receive(right, 8)] == frames
    deadline = time.monotonic() + HANG_GUARD
    while True:
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                      timeout=HANG_GUARD).read().decode()
        m = re.search(r'^netring_bridge_forwarded_total\{[^}]*direction="a_to_b"[^}]*\} (\d+)',
                      text, re.M)
        assert m, text
        if int(m.group(1)) == 8:
            break
        assert time.monotonic() < deadline, text
        time.sleep(0.05)  # pacing between scrapes, not a wait for a condition
    _out, err = tool.finish(sig=signal.SIGINT)
    assert number(r"A→B \(%s → %s\): \d+ received, (\d+) forwarded" % (b1, a2), err) == 8, err


# --- info, stats, testnet -----------------------------------------------------

@test
def info_veth():
    """info on a veth end: MTU, driver, state, address, queues; unknown speed is said"""
    a, _b = veth()
    out, _ = run("info", a)
    assert re.search(r"^MTU: +1500$", out, re.M), out
    assert re.search(r"^Driver: +veth$", out, re.M), out
    assert re.search(r"^Address: +02:00:00:00:00:01$", out, re.M), out
    assert re.search(r"^State: +up, carrier$", out, re.M), out
    assert re.search(r"^Speed: +(unknown|\d+ Mb/s)$", out, re.M), out
    assert re.search(r"^Queues: +\d+ RX, \d+ TX$", out, re.M), out
    assert re.search(r"^XDP program: +none$", out, re.M), out


@test
def stats_lines():
    """stats -c 2: a header, two lines of rates | totals, the total"""
    _a, b = veth()
    out, _ = run("stats", "-i", b, "-c", 2, "-n", 1)
    lines = out.splitlines()
    assert "pkt/s" in lines[0] and "packets" in lines[0], out
    assert len([ln for ln in lines if re.match(r"^\d\d:\d\d:\d\d \|", ln)]) == 2, out
    assert lines[-1].startswith("Total:"), out


@test
def testnet_runs_command_inside():
    """testnet -- CMD: the command sees the two interfaces up; its status is the tool's"""
    out, _ = run("testnet", "--", "sh", "-c",
                 'ip -o link show dev "$NETRING_TESTNET_A" && '
                 'ip -o link show dev "$NETRING_TESTNET_B"')
    a = re.search(r"^Interface A: +(\S+)$", out, re.M).group(1)
    b = re.search(r"^Interface B: +(\S+)$", out, re.M).group(1)
    assert re.search(r"^\d+: %s@%s: <[^>]*UP" % (a, b), out, re.M), out
    assert re.search(r"^\d+: %s@%s: <[^>]*UP" % (b, a), out, re.M), out
    assert out.rstrip().endswith("Removed the test network."), out
    run("testnet", "--", "sh", "-c", "exit 3", rc=3)
    # the pair was in the tool's namespace, never in ours
    assert subprocess.run(["ip", "link", "show", a], capture_output=True).returncode != 0


@test
def testnet_until_sigint():
    """testnet without a command: the namespace can be entered; Ctrl-C removes everything"""
    proc = subprocess.Popen([TOOL, "testnet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=ENV, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(4)]
        assert lines[3].startswith("Press Ctrl-C"), lines
        netns = re.search(r"Network namespace: +(\S+)", lines[0]).group(1)
        a = re.search(r"Interface A: +(\S+)", lines[1]).group(1)
        shown = subprocess.run(["nsenter", "--net=" + netns, "ip", "-o", "link", "show", a],
                               capture_output=True, text=True)
        assert shown.returncode == 0 and "LOWER_UP" in shown.stdout, shown
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=HANG_GUARD)
        assert proc.returncode == 0, (out, err)
        assert "Removed the test network." in out, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@test
def demo_still_works():
    """netring demo -c 500: every frame through its own veth pair, intact"""
    out, _ = run("demo", "-c", 500)
    assert "OK: all 500 frames arrived intact." in out, out


if __name__ == "__main__":
    try:
        run_tests()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
