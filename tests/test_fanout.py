#!/usr/bin/python3
"""NetringFanoutGroup through the typelib (PyGObject): frames of many flows
spread over the members of a fanout group, each received exactly once, each
flow by one member, delivered as owned packets in the caller's context.

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
    a, b = "nrpo%da" % n, "nrpo%db" % n
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


N_FLOWS = 64


def flow_frame(seq):
    flow = seq % N_FLOWS
    return udp_frame(seq, 64 + (seq % 5) * 50, "10.0.%d.%d" % (1 + flow % 8, 1 + flow // 8),
                     "10.1.0.%d" % (1 + flow % 3), 10000 + flow * 7, 20000 + flow % 5)


def seq_of(data):
    return struct.unpack("!I", data[42:46])[0]


def receive_owned(group, count, ms=20000):
    loop = GLib.MainLoop()
    got = []

    def on_packets(g, member, packets):
        for p in packets:
            assert p.is_detached()
            got.append((member, p.get_data()))
        if len(got) >= count:
            loop.quit()

    handler = group.connect("packets", on_packets)
    group.start_owned()
    assert group.is_running() and group.props.running
    return loop, got, handler


@test
def hash_group():
    """hash mode, 2 members: every frame once, each flow on one member, stats add up"""
    a, b = make_veth(1)
    group = Netring.FanoutGroup(interface=b, n_members=2,
                                fanout_mode=Netring.FanoutMode.HASH,
                                block_size=1 << 20, block_count=16, block_timeout_ms=10)
    group.init(None)
    assert group.get_n_members() == 2 and group.get_group_id() >= 0
    assert group.get_member(0).get_fanout_group() == group.get_group_id()
    count = 3000
    loop, got, handler = receive_owned(group, count)
    send_raw(a, [flow_frame(s) for s in range(count)])
    assert run_loop(loop, 20000), "timed out with %d frames" % len(got)
    group.stop()
    assert not group.is_running()
    seen = {}
    flow_member = {}
    for member, data in got:
        seq = seq_of(data)
        assert data == flow_frame(seq), "frame %d differs" % seq
        assert seq not in seen, "frame %d twice" % seq
        seen[seq] = member
        assert flow_member.setdefault(seq % N_FLOWS, member) == member, "flow split"
    assert sorted(seen) == list(range(count))
    assert set(flow_member.values()) == {0, 1}
    total = group.get_stats()
    members = [group.get_member_stats(i) for i in range(2)]
    assert total.received == count == sum(m.received for m in members)
    assert total.packets == sum(m.packets for m in members)
    assert total.drops == 0


@test
def lb_group():
    """lb mode, 2 members: an even split"""
    a, b = make_veth(2)
    group = Netring.FanoutGroup.new(b, 2, Netring.FanoutMode.LB)
    count = 2000
    loop, got, handler = receive_owned(group, count)
    send_raw(a, [flow_frame(s) for s in range(count)])
    assert run_loop(loop, 20000), "timed out with %d frames" % len(got)
    group.stop()
    per = [sum(1 for m, _ in got if m == i) for i in range(2)]
    assert sum(per) == count and abs(per[0] - per[1]) <= count // 10, per


@test
def group_errors():
    """a bad filter expression and a missing interface raise NETRING_ERROR"""
    a, b = make_veth(3)
    try:
        Netring.FanoutGroup(interface=b, n_members=2, filter="udp port").init(None)
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.INVALID_ARGUMENT), e
    try:
        Netring.FanoutGroup.new("nr-no-such0", 2, Netring.FanoutMode.HASH)
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.NO_SUCH_INTERFACE), e


run_tests()
