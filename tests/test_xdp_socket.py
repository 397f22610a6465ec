"""NetringXdpSocket through the typelib: construction with properties, init,
what the socket got, statistics, close, errors, sockets on every queue, and
sending through the NetringSender interface (send_bytes), counted by a
plain packet socket on the peer. Runs in a private network namespace (see
nrtest)."""

import socket
import struct
import subprocess

import nrtest
from nrtest import GLib, Gio, Netring, test, run_tests

_pairs = []


def veth(queues=1):
    n = len(_pairs)
    if queues == 1:
        a, b = nrtest.make_veth("nrpx", n)
    else:
        a, b = "nrpx%da" % n, "nrpx%db" % n
        q = ["numtxqueues", str(queues), "numrxqueues", str(queues)]
        subprocess.run(["ip", "link", "add", a] + q + ["type", "veth", "peer", "name", b] + q,
                       check=True)
        for name in (a, b):
            subprocess.run(["ip", "link", "set", name, "up"], check=True)
        nrtest.wait_up(a)
        nrtest.wait_up(b)
    _pairs.append(a)
    return a, b


def xdp_programs(ifname):
    """what `ip link show` says about XDP on ifname"""
    out = subprocess.run(["ip", "-details", "link", "show", "dev", ifname],
                         capture_output=True, text=True, check=True).stdout
    return "xdp" in out


def expect_error(fn, domain, code, needle=None):
    try:
        fn()
    except GLib.Error as e:
        assert e.matches(domain, code), "%s %d: %s" % (e.domain, e.code, e.message)
        if needle is not None:
            assert needle in e.message, e.message
        return e
    raise AssertionError("no error")


@test
def test_construct_init_properties():
    """construct with properties, init, read back what the socket got"""
    a, b = veth()
    xsk = Netring.XdpSocket(interface=b, queue_id=0, mode=Netring.XdpMode.RX_TX,
                            frame_size=2048, frame_count=256)
    assert xsk.props.fd == -1
    assert xsk.props.active_attach_mode == Netring.XdpAttachMode.NONE
    xsk.init(None)
    assert xsk.props.interface == b
    assert xsk.props.frame_size == 2048
    assert xsk.props.frame_count == 256
    assert xsk.props.mode == Netring.XdpMode.RX_TX
    assert xsk.props.attach_mode == Netring.XdpAttachMode.AUTO
    assert xsk.props.bind_mode == Netring.XdpBindMode.AUTO
    assert xsk.props.program == Netring.XdpProgram.DEFAULT
    assert xsk.props.need_wakeup
    # veth: native XDP, no zero-copy
    assert xsk.props.active_attach_mode == Netring.XdpAttachMode.NATIVE
    assert not xsk.props.zero_copy
    assert xsk.props.program_id > 0
    assert xsk.get_program_id() == xsk.props.program_id
    assert xsk.props.rx_frame_count == 128
    assert xsk.props.tx_frame_count == 128
    assert xsk.props.fd >= 0
    assert xdp_programs(b)

    stats = xsk.get_stats()
    assert stats.received == 0 and stats.queued == 0 and stats.rx_dropped == 0
    assert "received 0" in stats.to_string()
    assert xsk.close()
    assert xsk.props.fd == -1
    assert not xdp_programs(b), "the redirect program stayed after close"
    after = xsk.get_stats()
    assert after.received == stats.received
    expect_error(lambda: xsk.add_to_xskmap(1000), Gio.io_error_quark(),
                 Gio.IOErrorEnum.CLOSED)


@test
def test_generic_and_new():
    """generic attach mode; the short constructor with the defaults"""
    a, b = veth()
    xsk = Netring.XdpSocket(interface=b, attach_mode=Netring.XdpAttachMode.GENERIC,
                            mode=Netring.XdpMode.RX, frame_size=2048, frame_count=128)
    xsk.init(None)
    assert xsk.props.active_attach_mode == Netring.XdpAttachMode.GENERIC
    assert xsk.props.rx_frame_count == 128 and xsk.props.tx_frame_count == 0
    xsk.close()
    assert not xdp_programs(b)

    xsk = Netring.XdpSocket.new(b, 0)
    assert xsk.props.frame_size == 4096 and xsk.props.frame_count == 4096
    assert xsk.props.rx_frame_count == 2048
    del xsk  # the last reference closes it
    assert not xdp_programs(b)


@test
def test_errors():
    """every failure is a GLib.Error in the netring domain naming the culprit"""
    a, b = veth()
    domain = Netring.error_quark()
    for props, name in (({"frame_size": 3000}, "frame-size"),
                        ({"frame_count": 0}, "frame-count"),
                        ({"frame_count": 1}, "frame-count"),
                        ({"attach_mode": Netring.XdpAttachMode.NONE}, "attach-mode"),
                        ({"mode": Netring.XdpMode.TX, "promiscuous": True}, "promiscuous"),
                        ({"queue_id": 5}, "queue-id")):
        xsk = Netring.XdpSocket(interface=b, **props)
        expect_error(lambda: xsk.init(None), domain, Netring.Error.INVALID_CONFIGURATION,
                     "\u201c%s\u201d" % name)
        # the failure sticks
        expect_error(xsk.get_stats, domain, Netring.Error.INVALID_CONFIGURATION)
    expect_error(lambda: Netring.XdpSocket.new("nrpy-none0", 0), domain,
                 Netring.Error.NO_SUCH_INTERFACE, "nrpy-none0")
    xsk = Netring.XdpSocket(interface=b, bind_mode=Netring.XdpBindMode.ZERO_COPY)
    expect_error(lambda: xsk.init(None), domain, Netring.Error.NOT_SUPPORTED, "bind-mode")
    # readiness
    xsk = Netring.XdpSocket(interface=b)
    expect_error(xsk.get_stats, Gio.io_error_quark(), Gio.IOErrorEnum.NOT_INITIALIZED)
    xsk.close()
    expect_error(lambda: xsk.init(None), Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED)
    assert not xdp_programs(b)


@test
def test_all_queues():
    """one socket per queue, with properties given as names and values"""
    a, b = veth(queues=3)
    sockets = Netring.XdpSocket.open_all_queues_with_properties(
        b, ["mode", "frame-count", "frame-size"], [Netring.XdpMode.RX, 128, 2048])
    assert [s.props.queue_id for s in sockets] == [0, 1, 2]
    assert all(s.props.frame_count == 128 and s.props.mode == Netring.XdpMode.RX
               for s in sockets)
    assert len({s.props.program_id for s in sockets}) == 1
    for s in sockets:
        s.close()
    assert not xdp_programs(b)
    e = expect_error(lambda: Netring.XdpSocket.open_all_queues_with_properties(
        b, ["queue-id"], [1]), Netring.error_quark(), Netring.Error.INVALID_ARGUMENT)
    assert "queue-id" in e.message


def frame_to_a(seq, length):
    """test frame seq from veth end b (the socket's) to end a"""
    head = nrtest.MAC_A + nrtest.MAC_B + struct.pack("!HI", nrtest.ETHERTYPE, seq)
    return head + bytes(((seq * 31 + i * 7) & 0xFF) for i in range(len(head), length))


def peer_socket(ifname):
    """a plain packet socket on the peer for the test EtherType"""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(nrtest.ETHERTYPE))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((ifname, nrtest.ETHERTYPE))
    return s


def peer_receive(s, count, quiet=0.3):
    """every frame until count arrived and then nothing for quiet seconds"""
    got = []
    s.settimeout(10)
    while True:
        try:
            got.append(s.recv(65536))
        except socket.timeout:
            return got
        if len(got) >= count:
            s.settimeout(quiet)


@test
def test_send_bytes():
    """send_bytes and flush through NetringSender: every frame once, byte for byte"""
    a, b = veth()
    peer = peer_socket(a)
    xsk = Netring.XdpSocket(interface=b, mode=Netring.XdpMode.TX, frame_size=2048,
                            frame_count=64)
    xsk.init(None)
    assert isinstance(xsk, Netring.Sender)
    assert xsk.get_max_length() == 1518
    assert xsk.get_available() == 64
    frames = [frame_to_a(seq, 60 + seq * 7) for seq in range(200)]
    for f in frames:
        assert xsk.send_bytes(GLib.Bytes.new(f))  # a full pool is kicked, not refused
    assert xsk.flush() >= 0
    assert xsk.wait_drained(5000, None)
    got = peer_receive(peer, len(frames))
    assert got == frames, "%d of %d frames arrived as sent" % (
        sum(1 for x, y in zip(got, frames) if x == y), len(frames))
    stats = xsk.get_stats()
    assert stats.queued == 200 and stats.sent == 200 and stats.rejected == 0

    # refused, with the reason
    expect_error(lambda: xsk.send_bytes(GLib.Bytes.new(b"")), Netring.error_quark(),
                 Netring.Error.INVALID_ARGUMENT)
    expect_error(lambda: xsk.send_bytes(GLib.Bytes.new(bytes(1600))), Netring.error_quark(),
                 Netring.Error.INVALID_ARGUMENT, "MTU")
    assert xsk.get_stats().rejected == 2
    xsk.close()
    expect_error(lambda: xsk.send_bytes(GLib.Bytes.new(frames[0])), Gio.io_error_quark(),
                 Gio.IOErrorEnum.CLOSED)
    peer.close()


@test
def test_send_async():
    """send_async in a GLib.MainLoop: the callbacks in call order, every frame sent"""
    a, b = veth()
    peer = peer_socket(a)
    xsk = Netring.XdpSocket(interface=b, mode=Netring.XdpMode.TX, frame_size=2048,
                            frame_count=16)
    xsk.init(None)
    loop = GLib.MainLoop()
    frames = [frame_to_a(seq, 100) for seq in range(100)]
    done = []

    def on_sent(source, result, seq):
        assert source.send_finish(result)
        done.append(seq)
        if len(done) == len(frames):
            loop.quit()

    for seq, f in enumerate(frames):
        xsk.send_async(GLib.Bytes.new(f), None, on_sent, seq)
    assert nrtest.run_loop(loop, 10000), "send_async did not complete"
    assert done == list(range(len(frames)))
    xsk.flush()
    assert xsk.wait_drained(5000, None)
    assert peer_receive(peer, len(frames)) == frames
    xsk.close()
    peer.close()


@test
def test_receive_batch_signal():
    """::batch in a GLib.MainLoop: every frame once, byte for byte, with its details"""
    a, b = veth()
    # the pool holds every frame: they are sent before the loop runs
    xsk = Netring.XdpSocket(interface=b, mode=Netring.XdpMode.RX, frame_size=2048,
                            frame_count=1024)
    xsk.init(None)
    assert isinstance(xsk, Netring.Receiver)
    loop = GLib.MainLoop()
    got = []
    count = 300

    def on_batch(receiver, batch):
        for p in batch.get_packets():
            got.append((p.get_data(), p.get_wire_length(), p.get_direction(),
                        p.get_protocol(), p.get_ifindex()))
        if len(got) >= count:
            loop.quit()

    xsk.connect("batch", on_batch)
    xsk.start()
    assert xsk.props.running
    sent = []
    for first in range(0, count, 50):
        frames = [nrtest.frame(seq, 60 + seq) for seq in range(first, first + 50)]
        nrtest.send_raw(a, frames)
        sent += frames
    assert nrtest.run_loop(loop, 10000), "%d of %d frames arrived" % (len(got), count)
    xsk.stop()
    assert [g[0] for g in got] == sent
    index = socket.if_nametoindex(b)
    assert all(g[1] == len(g[0]) and g[2] == Netring.PacketDirection.HOST and
               g[3] == nrtest.ETHERTYPE and g[4] == index for g in got)
    stats = Netring.Receiver.get_stats(xsk)
    assert stats.received == count and stats.drops == 0 and stats.held_batches == 0
    assert xsk.get_stats().received == count

    # the blocking call, and one batch kept across close
    nrtest.send_frames(a, 1000, 5, 100)
    batch = xsk.next_batch_timeout(5000, None)
    packets = batch.get_packets()
    xsk.close()
    assert not xdp_programs(b)
    assert packets[0].get_data() == nrtest.frame(1000, 100)
    expect_error(lambda: xsk.next_batch(), Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED)
    del packets, batch


run_tests()
