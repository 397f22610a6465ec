#!/usr/bin/python3
"""NetringInterfaceInfo through the typelib (PyGObject): the properties of a
veth end and of lo agree with what `ip` set, refresh() notifies changes,
errors are NETRING_ERROR.

TAP output. Runs in a private network namespace of its own (unshare), so the
veth pairs disappear with the process whatever happens."""

import socket
import subprocess

from nrtest import GLib, Netring, MAC_A, make_veth as _make_veth, run_tests, test


def make_veth(n):
    return _make_veth("nrii", n)


def ip(*args):
    subprocess.run(["ip"] + list(args), check=True)


@test
def veth_properties():
    """every property of a veth end, by property and by getter"""
    a, b = make_veth(1)
    ip("link", "set", a, "mtu", "1400")
    info = Netring.InterfaceInfo.new(a)
    p = info.props
    assert p.name == a and info.get_name() == a
    assert p.index == socket.if_nametoindex(a)
    assert p.mtu == 1400 and info.get_mtu() == 1400
    up = (Netring.InterfaceFlags.UP | Netring.InterfaceFlags.RUNNING
          | Netring.InterfaceFlags.LOWER_UP | Netring.InterfaceFlags.BROADCAST)
    assert p.flags & up == up, p.flags
    assert not p.flags & Netring.InterfaceFlags.LOOPBACK
    assert p.oper_state == Netring.OperState.UP
    assert p.carrier is True
    assert p.speed == 10000 and p.duplex == Netring.Duplex.FULL
    assert p.driver == "veth" and p.kind == "veth"
    assert p.address.get_data() == MAC_A
    assert p.address_string == "02:00:00:00:00:01"
    assert p.arp_type == 1 and p.link_type == Netring.LINK_TYPE_ETHERNET
    assert p.rx_queues == 1 and p.tx_queues == 1
    assert p.promiscuity == 0
    assert p.xdp_program_id == 0 and p.xdp_mode == Netring.InterfaceXdpMode.NONE
    assert info.suggest_profile() == Netring.RingProfile.HIGH_THROUGHPUT
    assert info.suggest_fanout_threads() == 1

    by_index = Netring.InterfaceInfo(index=socket.if_nametoindex(b))
    by_index.init(None)
    assert by_index.props.name == b
    assert by_index.props.address_string == "02:00:00:00:00:02"


@test
def refresh_notifies():
    """refresh() reads what ip changed and notifies those properties only"""
    a, _ = make_veth(2)
    info = Netring.InterfaceInfo.new(a)
    seen = []
    info.connect("notify", lambda obj, pspec: seen.append(pspec.name))
    info.refresh()
    assert seen == [], seen
    ip("link", "set", a, "mtu", "9000", "promisc", "on")
    info.refresh()
    assert sorted(seen) == ["flags", "mtu", "promiscuity"], seen
    assert info.props.mtu == 9000 and info.props.promiscuity == 1
    assert info.suggest_profile() == Netring.RingProfile.JUMBO_FRAMES


@test
def loopback():
    """lo: speed and duplex unknown (not 0), never jumbo frames"""
    ip("link", "set", "lo", "up")
    info = Netring.InterfaceInfo.new("lo")
    assert info.props.index == 1
    assert info.props.flags & Netring.InterfaceFlags.LOOPBACK
    assert info.props.speed == Netring.INTERFACE_SPEED_UNKNOWN == -1
    assert info.props.duplex == Netring.Duplex.UNKNOWN
    assert info.props.driver is None or info.props.driver != ""
    assert info.suggest_profile() == Netring.RingProfile.DEFAULT


@test
def errors():
    """unknown names and indexes raise NETRING_ERROR_NO_SUCH_INTERFACE naming them"""
    try:
        Netring.InterfaceInfo.new("nrii-none")
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.NO_SUCH_INTERFACE), e
        assert "nrii-none" in e.message
    try:
        Netring.InterfaceInfo.new_for_index(987654)
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.NO_SUCH_INTERFACE), e
    info = Netring.InterfaceInfo()
    try:
        info.init(None)
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.INVALID_CONFIGURATION), e


run_tests()
