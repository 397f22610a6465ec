#!/usr/bin/python3
"""Filters and snap length through the typelib (PyGObject): a pcap expression
passes exactly the matching frames, a live capture's filter is replaced, a bad
expression raises libpcap's message, snap length truncates, -ddd text
programs load.

TAP output. Runs in a private network namespace of its own (unshare), so the
veth pairs disappear with the process whatever happens."""

import ctypes
import os
import socket
import struct
import subprocess
import sys

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
    for path in ("/proc/sys/net/ipv6/conf/all/disable_ipv6",
                 "/proc/sys/net/ipv6/conf/default/disable_ipv6"):
        try:
            with open(path, "w") as f:
                f.write("1")
        except OSError:
            pass


def make_veth(n):
    a, b = "nrpf%da" % n, "nrpf%db" % n
    subprocess.run(["ip", "link", "add", a, "address", "02:00:00:00:00:01", "type", "veth",
                    "peer", "name", b, "address", "02:00:00:00:00:02"], check=True)
    subprocess.run(["ip", "link", "set", a, "up"], check=True)
    subprocess.run(["ip", "link", "set", b, "up"], check=True)
    return a, b


def frame(seq, length):
    head = MAC_B + MAC_A + struct.pack("!HI", ETHERTYPE, seq)
    body = bytes(((seq * 31 + i * 7) & 0xFF) for i in range(len(head), length))
    return head + body


def send_frames(ifname, first, count, length):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((ifname, 0))
    for seq in range(first, first + count):
        s.send(frame(seq, length))
    s.close()


enter_private_netns()

import gi  # noqa: E402

gi.require_version("Netring", "1.0")
from gi.repository import GLib, Gio, Netring  # noqa: E402

tests = []


def test(fn):
    tests.append(fn)
    return fn


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
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((ifname, 0))
    for f in frames:
        s.send(f)
    s.close()


def run_loop(loop, ms):
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
    """every packet until nothing arrives for quiet_ms, as (data, caplen, wirelen, status)"""
    got = []
    while True:
        try:
            batch = cap.next_batch_timeout(quiet_ms, None)
        except GLib.Error as e:
            assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT), e
            return got
        for p in batch.get_packets():
            got.append((p.get_data(), p.get_captured_length(), p.get_wire_length(),
                        p.get_status()))


def run_tests():
    print("1..%d" % len(tests))
    failed = 0
    for n, fn in enumerate(tests, 1):
        try:
            fn()
            print("ok %d - %s" % (n, fn.__doc__))
        except Exception:  # report and go on with the next test
            failed += 1
            import traceback
            print("not ok %d - %s" % (n, fn.__doc__))
            for line in traceback.format_exc().splitlines():
                print("# " + line)
        sys.stdout.flush()
    sys.exit(1 if failed else 0)


def new_capture(ifname, **props):
    props.setdefault("block_size", 1 << 20)
    props.setdefault("block_count", 16)
    props.setdefault("block_timeout_ms", 10)
    cap = Netring.Capture(interface=ifname, **props)
    cap.init(None)
    return cap


def mixed(seq):
    """frame seq of a mixed stream: UDP to port 5000 + seq % 4, every fifth a test frame"""
    length = 64 + (seq % 7) * 100
    if seq % 5 == 4:
        return frame(seq, length)
    return udp_frame(seq, length, "10.0.0.%d" % (1 + seq % 3), "10.0.0.9", 4000, 5000 + seq % 4)


def dport(seq):
    return 0 if seq % 5 == 4 else 5000 + seq % 4


@test
def expression_exact():
    """a filter expression passes exactly the matching frames, byte for byte"""
    a, b = make_veth(1)
    cap = new_capture(b, filter="udp dst port 5001 or (udp and src host 10.0.0.3)")
    assert cap.get_filter() == "udp dst port 5001 or (udp and src host 10.0.0.3)"
    assert cap.props.filter == cap.get_filter()
    send_raw(a, [mixed(s) for s in range(1000)])
    got = drain(cap)
    want = [mixed(s) for s in range(1000)
            if dport(s) == 5001 or (dport(s) and 1 + s % 3 == 3)]
    assert len(got) == len(want), (len(got), len(want))
    for (data, cap_len, wire, status), w in zip(got, want):
        assert data == w and cap_len == len(w) and wire == len(w)
        assert not status & Netring.PacketStatus.TRUNCATED
    stats = cap.get_cumulative_stats()
    assert stats.packets == len(want) and stats.received == len(want), stats.to_string()


@test
def replace_filter():
    """set_filter on a live capture: each burst filtered by the filter in place"""
    a, b = make_veth(2)
    cap = new_capture(b, filter="udp dst port 5000")
    send_raw(a, [mixed(s) for s in range(500)])
    cap.set_filter("udp dst port 5002")
    assert cap.get_filter() == "udp dst port 5002"
    send_raw(a, [mixed(s) for s in range(500, 1000)])
    got = [d for d, _, _, _ in drain(cap)]
    want = [mixed(s) for s in range(1000) if dport(s) == (5000 if s < 500 else 5002)]
    assert got == want, (len(got), len(want))
    cap.detach_filter()
    assert cap.get_filter() is None
    send_raw(a, [mixed(s) for s in range(100)])
    assert [d for d, _, _, _ in drain(cap)] == [mixed(s) for s in range(100)]


@test
def bad_expression():
    """a bad expression raises INVALID_ARGUMENT with libpcap's message"""
    a, b = make_veth(3)
    try:
        new_capture(b, filter="udp port")
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.INVALID_ARGUMENT), e
        assert "syntax error" in e.message and "udp port" in e.message, e.message
    cap = new_capture(b, filter="not udp")
    try:
        cap.set_filter("tcp and and")
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.INVALID_ARGUMENT), e
    assert cap.get_filter() == "not udp"
    try:
        Netring.BpfProgram.new_from_expression("port 99999", Netring.LINK_TYPE_ETHERNET, 0)
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.INVALID_ARGUMENT), e


@test
def snap_length():
    """snap length 96 on 1500-byte frames: caplen 96, wire 1500, first 96 bytes exact"""
    a, b = make_veth(4)
    cap = new_capture(b, snap_length=96)
    assert cap.get_snap_length() == 96
    send_frames(a, 0, 50, 1500)
    got = drain(cap)
    assert len(got) == 50, len(got)
    for seq, (data, cap_len, wire, status) in enumerate(got):
        assert cap_len == 96 and wire == 1500 and len(data) == 96
        assert data == frame(seq, 1500)[:96]
        assert status & Netring.PacketStatus.TRUNCATED


@test
def program_from_text():
    """a tcpdump -ddd program from text, round trip, attached as bpf-program"""
    prog = Netring.BpfProgram.new_from_expression("not udp", Netring.LINK_TYPE_ETHERNET, 0)
    assert prog.get_expression() == "not udp"
    text = prog.to_text()
    parsed = Netring.BpfProgram.new_from_text(text)
    assert parsed.get_n_instructions() == prog.get_n_instructions()
    assert parsed.to_text() == text
    for bad in ("", "0\n", "2\n6 0 0 1\n", "1\nret #1\n"):
        try:
            Netring.BpfProgram.new_from_text(bad)
            raise AssertionError("no error for %r" % bad)
        except GLib.Error as e:
            assert e.matches(Netring.error_quark(), Netring.Error.INVALID_ARGUMENT), e
    ins = parsed.get_instructions()
    assert len(ins) == parsed.get_n_instructions()
    assert "\n".join("%d %d %d %d" % (i.code, i.jt, i.jf, i.k) for i in ins) == \
        "\n".join(text.splitlines()[1:])
    rebuilt = Netring.BpfProgram.new(ins)
    assert rebuilt.to_text() == text
    a, b = make_veth(5)
    cap = new_capture(b, bpf_program=parsed)
    send_raw(a, [mixed(s) for s in range(200)])
    got = [d for d, _, _, _ in drain(cap)]
    assert got == [mixed(s) for s in range(200) if s % 5 == 4], len(got)


run_tests()
