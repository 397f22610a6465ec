#!/usr/bin/python3
"""Privilege separation through the typelib (PyGObject): netring-helper, run
by this test (root), hands out packet sockets; Netring.helper_request_*_fd
fetches them, and Netring.Capture(fd=…) / Netring.Injector.new_from_fd adopt
them. Frames are checked on the wire byte for byte and count for count; a
descriptor of the wrong kind is refused naming the rule, and closed.

(test-privileges runs the same with the program as nobody and no
capability at all.) TAP output, in a private network namespace."""

import os
import socket
import subprocess
import tempfile

from nrtest import (GLib, Netring, frame, make_veth, receive, run_tests, send_frames,
                    skip_all, test)

HELPER = os.environ.get("NETRING_HELPER", "")
if not os.access(HELPER, os.X_OK):
    skip_all("NETRING_HELPER (the built netring-helper) is not set")

pairs = [0]


def new_pair():
    pairs[0] += 1
    return make_veth("nrpyp", pairs[0])


class Helper:
    """netring-helper on a socket in a directory of its own, until stop()"""

    def __init__(self, *options):
        self.dir = tempfile.mkdtemp(prefix="netring-helper-")
        self.path = os.path.join(self.dir, "helper.sock")
        self.process = subprocess.Popen([HELPER, "--socket", self.path] + list(options),
                                        stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        assert self.path in line, line

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        assert not os.path.exists(self.path)
        os.rmdir(self.dir)


def small_ring():
    return dict(block_size=1 << 20, block_count=4, block_timeout_ms=10)


def fd_is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


@test
def capture_through_helper():
    """a capture adopts a socket from the helper: every frame, byte for byte"""
    a, b = new_pair()
    helper = Helper("--interface", b)
    try:
        fd = Netring.helper_request_capture_fd(helper.path, b, None)
        assert fd >= 0
        cap = Netring.Capture(interface=b, fd=fd, promiscuous=True, **small_ring())
        cap.init(None)
        assert cap.props.fd == fd
        send_frames(a, 0, 12, 300)
        got = receive(cap, 12)
        assert [g[0] for g in got] == [frame(seq, 300) for seq in range(12)]
        cap.close()
        assert not fd_is_open(fd)
    finally:
        helper.stop()


@test
def injector_through_helper():
    """an injector adopts a socket from the helper: every frame arrives, once"""
    a, b = new_pair()
    helper = Helper("--interface", a)
    try:
        cap = Netring.Capture(interface=b, **small_ring())
        cap.init(None)
        fd = Netring.helper_request_injector_fd(helper.path, a, None)
        tx = Netring.Injector.new_from_fd(a, fd)
        for seq in range(20):
            tx.send(frame(seq, 400))
        tx.flush()
        tx.wait_drained(20000, None)
        got = receive(cap, 20)
        assert [g[0] for g in got] == [frame(seq, 400) for seq in range(20)]
    finally:
        helper.stop()


@test
def helper_refusal():
    """the helper's refusal arrives as a GError with its code and reason"""
    a, b = new_pair()
    helper = Helper("--interface", b)
    try:
        try:
            Netring.helper_request_capture_fd(helper.path, a, None)
            raise AssertionError("the helper served an interface it must refuse")
        except GLib.Error as e:
            assert e.matches(Netring.error_quark(), Netring.Error.PERMISSION_DENIED), e.message
            assert a in e.message and "--interface" in e.message, e.message
    finally:
        helper.stop()


@test
def xdp_socket_through_helper():
    """an AF_XDP socket and its UMEM from the helper: every frame received and sent, once"""
    a, b = new_pair()
    helper = Helper("--interface", b)
    try:
        xsk = Netring.helper_request_xdp_socket(helper.path, b, 0, Netring.XdpMode.RX_TX, 4096,
                                                256, None)
        assert xsk.props.fd >= 0 and xsk.props.umem_fd == -1
        assert xsk.props.program_id != 0
        send_frames(a, 0, 12, 300)
        got = receive(xsk, 12)
        assert [g[0] for g in got] == [frame(seq, 300) for seq in range(12)]

        cap = Netring.Capture(interface=a, **small_ring())
        cap.init(None)
        for seq in range(20):
            assert xsk.send_bytes(GLib.Bytes.new(frame(seq, 400)))
        xsk.flush()
        xsk.wait_drained(20000, None)
        got = receive(cap, 20)
        assert [g[0] for g in got] == [frame(seq, 400) for seq in range(20)]
        xsk.close()
    finally:
        helper.stop()

    # a UDP socket is no AF_XDP socket; both descriptors are closed
    fd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM).detach()
    umem_fd = os.memfd_create("umem")
    os.ftruncate(umem_fd, 64 * 4096)
    bad = Netring.XdpSocket(interface=b, frame_count=64, fd=fd, umem_fd=umem_fd)
    try:
        bad.init(None)
        raise AssertionError("a UDP socket was adopted as an AF_XDP socket")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.INVALID_CONFIGURATION), e
        assert "“fd”" in e.message and "AF_XDP" in e.message, e.message
    assert not fd_is_open(fd) and not fd_is_open(umem_fd)


@test
def wrong_kind_refused():
    """a UDP socket, a Unix socket and a file are refused naming “fd” and the rule, and closed"""
    a, b = new_pair()
    kinds = [
        (socket.socket(socket.AF_INET, socket.SOCK_DGRAM).detach(), "AF_INET SOCK_DGRAM"),
        (socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).detach(), "AF_UNIX SOCK_STREAM"),
        (os.open("/dev/null", os.O_RDONLY), "not a socket"),
    ]
    for fd, what in kinds:
        cap = Netring.Capture(interface=b, fd=fd, **small_ring())
        try:
            cap.init(None)
            raise AssertionError("fd %d (%s) was adopted" % (fd, what))
        except GLib.Error as e:
            assert e.matches(Netring.error_quark(), Netring.Error.INVALID_CONFIGURATION), e
            assert "“fd”" in e.message and what in e.message and "AF_PACKET" in e.message, \
                e.message
        assert not fd_is_open(fd)
    fd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM).detach()
    try:
        Netring.Injector.new_from_fd(a, fd)
        raise AssertionError("the injector adopted a UDP socket")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.INVALID_CONFIGURATION), e
    assert not fd_is_open(fd)


run_tests()
