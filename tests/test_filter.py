#!/usr/bin/python3
"""Filters and snap length through the typelib (PyGObject): a pcap expression
passes exactly the matching frames, a live capture's filter is replaced, a bad
expression raises libpcap's message, snap length truncates, -ddd text
programs load.

TAP output. Runs in a private network namespace of its own (unshare), so the
veth pairs disappear with the process whatever happens."""

from nrtest import (GLib, Gio, Netring, ETHERTYPE, MAC_A, MAC_B, frame,  # noqa: F401
                    make_veth as _make_veth, run_loop, run_tests, send_and_receive, test,
                    udp_frame)


def make_veth(n):
    return _make_veth("nrpf", n)


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
    want = [mixed(s) for s in range(1000)
            if dport(s) == 5001 or (dport(s) and 1 + s % 3 == 3)]
    got = send_and_receive(cap, a, [mixed(s) for s in range(1000)], len(want))
    assert len(got) == len(want), (len(got), len(want))
    for (data, cap_len, wire, status), w in zip(got, want):
        assert data == w and cap_len == len(w) and wire == len(w)
        assert not status & Netring.PacketStatus.TRUNCATED
    stats = cap.get_stats()
    assert stats.packets == len(want) and stats.received == len(want), stats.to_string()


@test
def replace_filter():
    """set_filter on a live capture: each burst filtered by the filter in place"""
    a, b = make_veth(2)
    cap = new_capture(b, filter="udp dst port 5000")
    want = [mixed(s) for s in range(500) if dport(s) == 5000]
    got = [d for d, _, _, _ in send_and_receive(cap, a, [mixed(s) for s in range(500)],
                                                len(want))]
    cap.set_filter("udp dst port 5002")
    assert cap.get_filter() == "udp dst port 5002"
    want2 = [mixed(s) for s in range(500, 1000) if dport(s) == 5002]
    got += [d for d, _, _, _ in send_and_receive(cap, a, [mixed(s) for s in range(500, 1000)],
                                                 len(want2))]
    assert got == want + want2, (len(got), len(want + want2))
    cap.detach_filter()
    assert cap.get_filter() is None
    got = send_and_receive(cap, a, [mixed(s) for s in range(100)], 100)
    assert [d for d, _, _, _ in got] == [mixed(s) for s in range(100)]


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
    got = send_and_receive(cap, a, [frame(s, 1500) for s in range(50)], 50)
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
    want = [mixed(s) for s in range(200) if s % 5 == 4]
    got = [d for d, _, _, _ in send_and_receive(cap, a, [mixed(s) for s in range(200)],
                                                len(want))]
    assert got == want, len(got)


run_tests()
