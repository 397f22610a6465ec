"""Helpers shared by the Python tests: a private network namespace, veth
pairs, known frames, main-loop waits and a TAP runner.

Import it first: it moves the process into a fresh, unnamed network namespace
(so every interface a test makes disappears with the process, whatever
happens) and loads Netring through the typelib."""

import ctypes
import os
import socket
import struct
import subprocess
import sys
import time
import traceback

CLONE_NEWNET = 0x40000000
ETHERTYPE = 0x88B5
MAC_A = bytes([2, 0, 0, 0, 0, 1])
MAC_B = bytes([2, 0, 0, 0, 0, 2])


def skip_all(reason):
    print("1..0 # SKIP " + reason)
    sys.exit(77)


def enter_private_netns():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        skip_all("needs CAP_SYS_ADMIN to create a network namespace: " + os.strerror(err))
    # IPv6 off: the kernel then sends nothing of its own on the pairs
    for conf in ("all", "default"):
        try:
            with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % conf, "w") as f:
                f.write("1")
        except OSError:
            pass


enter_private_netns()

import gi  # noqa: E402

gi.require_version("Netring", "1.0")
from gi.repository import GLib, Gio, Netring  # noqa: E402,F401


def link_ready(out):
    """whether `ip -o link show` output says the link can carry frames: the
    link watcher sets the operational state (state UP) and activates the
    qdisc in one step under the RTNL lock, and ip's query is answered under
    that lock too; "qdisc noop" means not activated yet"""
    return "LOWER_UP" in out and "state UP" in out and "qdisc noop" not in out


def wait_up(ifname):
    """the carrier comes up asynchronously; until then the noop qdisc drops
    frames (sysfs shows the namespace the process started in: ask ip
    instead); polls, paced by 1 ms"""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        out = subprocess.run(["ip", "-o", "link", "show", "dev", ifname],
                             capture_output=True, text=True, check=True).stdout
        if link_ready(out):
            return
        time.sleep(0.001)
    raise AssertionError("%s did not come up" % ifname)


def make_veth(prefix, n):
    a, b = "%s%da" % (prefix, n), "%s%db" % (prefix, n)
    subprocess.run(["ip", "link", "add", a, "address", "02:00:00:00:00:01", "type", "veth",
                    "peer", "name", b, "address", "02:00:00:00:00:02"], check=True)
    for name in (a, b):
        subprocess.run(["ethtool", "-K", name, "gro", "off", "gso", "off", "tso", "off",
                        "tx", "off"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
    wait_up(a)
    wait_up(b)
    return a, b


def frame(seq, length):
    """test frame number seq: EtherType 0x88b5, the sequence number, then bytes
    that depend on it and on their position"""
    head = MAC_B + MAC_A + struct.pack("!HI", ETHERTYPE, seq)
    body = bytes(((seq * 31 + i * 7) & 0xFF) for i in range(len(head), length))
    return head + body


def udp_frame(seq, length, src_ip, dst_ip, sport, dport):
    """an Ethernet/IPv4/UDP frame with a valid header checksum; payload = seq + pattern"""
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, length - 14, seq & 0xFFFF, 0x4000, 64,
                               17, 0, socket.inet_aton(src_ip), socket.inet_aton(dst_ip)))
    s = sum(struct.unpack("!10H", bytes(ip)))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    ip[10:12] = struct.pack("!H", ~s & 0xFFFF)
    udp = struct.pack("!HHHH", sport, dport, length - 34, 0)
    head = MAC_B + MAC_A + struct.pack("!H", 0x0800) + bytes(ip) + udp + struct.pack("!I", seq)
    return head + bytes(((seq * 13 + i * 5) & 0xFF) for i in range(len(head), length))


def send_raw(ifname, frames):
    """sends with a plain packet socket, independent of the library"""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((ifname, 0))
    for f in frames:
        s.send(f)
    s.close()


def send_frames(ifname, first, count, length):
    send_raw(ifname, (frame(seq, length) for seq in range(first, first + count)))


def run_loop(loop, ms):
    """runs loop until it quits (True) or ms pass (False)"""
    timed_out = []

    def on_timeout():
        timed_out.append(True)
        loop.quit()
        return GLib.SOURCE_REMOVE

    tid = GLib.timeout_add(ms, on_timeout)
    loop.run()
    if not timed_out:
        GLib.source_remove(tid)
    return not timed_out


def drain(cap, quiet_ms=300):
    """every packet until nothing arrives for quiet_ms, as (data, caplen, wirelen, status);
    only for a count nobody knows: receive() waits for a known count"""
    got = []
    while True:
        try:
            batch = cap.next_batch_timeout(quiet_ms, None)
        except GLib.Error as e:
            assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT), e
            return got
        _collect(batch, got)


def _collect(batch, got):
    for p in batch.get_packets():
        got.append((p.get_data(), p.get_captured_length(), p.get_wire_length(),
                    p.get_status()))


def assert_quiet(cap, quiet_ms=100):
    """nothing more arrives: no duplicate, no stray frame"""
    try:
        batch = cap.next_batch_timeout(quiet_ms, None)
    except GLib.Error as e:
        assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT), e
        return
    raise AssertionError("%d packets more than expected" % batch.get_n_packets())


def take_ready(cap, got):
    """appends what the capture has ready now to got, without waiting"""
    while True:
        batch = cap.next_batch()
        if batch is None:
            return
        _collect(batch, got)


def receive(cap, count, got=None):
    """waits until count packets have arrived (added to got), then checks
    that nothing more follows; returns got, as (data, caplen, wirelen,
    status). The 20 s are a hang guard: the wait ends with the last packet."""
    got = [] if got is None else got
    deadline = time.monotonic() + 20
    while len(got) < count:
        assert time.monotonic() < deadline, "only %d of %d packets arrived" % (len(got), count)
        try:
            batch = cap.next_batch_timeout(1000, None)
        except GLib.Error as e:
            assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT), e
            continue
        _collect(batch, got)
    assert len(got) == count, "%d packets where %d were expected" % (len(got), count)
    assert_quiet(cap)
    return got


def send_interleaved(ifname, frames, between, chunk=4):
    """sends frames out of ifname (a plain packet socket), calling between()
    after every chunk of them; between() takes what the capture has ready.

    A ring block leaves the kernel full or, by the block timer, with at
    least one frame in it: between two calls of between() at most chunk + 1
    blocks are handed over, and one is being filled. A ring of more than
    chunk + 2 blocks (and handlers that release what they get) therefore
    never drops, however slowly this process runs on a loaded machine,
    where sending everything first and reading afterwards lets the block
    timer spread the frames over more blocks than the ring has."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((ifname, 0))
    try:
        for i in range(0, len(frames), chunk):
            for f in frames[i:i + chunk]:
                s.send(f)
            between()
    finally:
        s.close()


def send_and_receive(cap, ifname, frames, count, chunk=4):
    """sends frames (send_interleaved()) while taking what arrives, then
    waits for the rest of count packets and checks that nothing more
    follows (receive())"""
    got = []
    send_interleaved(ifname, frames, lambda: take_ready(cap, got), chunk)
    assert len(got) <= count, "%d packets where %d were expected" % (len(got), count)
    return receive(cap, count, got)


def iterate_default_context():
    """dispatches what is ready in the default main context, without
    waiting: the ::batch handlers of a started capture, between two chunks
    of send_interleaved()"""
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass


tests = []


def test(fn):
    """registers fn; its docstring is the TAP description"""
    tests.append(fn)
    return fn


def run_tests():
    print("1..%d" % len(tests))
    failed = 0
    for n, fn in enumerate(tests, 1):
        try:
            fn()
            print("ok %d - %s" % (n, fn.__doc__ or fn.__name__))
        except Exception:  # report and go on with the next test
            failed += 1
            print("not ok %d - %s" % (n, fn.__doc__ or fn.__name__))
            for line in traceback.format_exc().splitlines():
                print("# " + line)
        sys.stdout.flush()
    sys.exit(1 if failed else 0)
