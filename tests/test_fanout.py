#!/usr/bin/python3
"""NetringFanoutGroup through the typelib (PyGObject): frames of many flows
spread over the members of a fanout group, each received exactly once, each
flow by one member, delivered as owned packets in the caller's context.

TAP output. Runs in a private network namespace of its own (unshare), so the
veth pairs disappear with the process whatever happens."""

import struct

from nrtest import (GLib, Gio, Netring, ETHERTYPE, MAC_A, MAC_B, drain, frame,  # noqa: F401
                    make_veth as _make_veth, run_loop, run_tests, send_frames, send_raw, test,
                    udp_frame)


def make_veth(n):
    return _make_veth("nrpo", n)


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
    assert group.get_n_members() == 2 and group.get_fanout_group() >= 0
    assert group.get_member(0).get_fanout_group() == group.get_fanout_group()
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
