"""NetringBridge through the typelib: a bridge run in a GLib.MainLoop
(run_async, start/stop) and stopped by a cancellable, a ::verdict handler
that drops one UDP port, statistics and errors. Two veth pairs in the
test's private namespace:

    host_a ── port_a : bridge : port_b ── host_b
"""

import nrtest
from nrtest import GLib, Gio, Netring, make_veth, frame, udp_frame, send_raw, run_loop, test

DROP_PORT = 7777


def topology(n):
    host_a, port_a = make_veth("nbx", n)
    port_b, host_b = make_veth("nby", n)
    return host_a, port_a, port_b, host_b


def capture_on(ifname):
    cap = Netring.Capture(interface=ifname, ignore_outgoing=True, block_timeout_ms=10)
    cap.init(None)
    return cap


def watch_until(loop, cap, want, got):
    """collects what arrives on cap into got until want frames came"""
    def on_batch(receiver, batch, error, data):
        if error is not None:
            return GLib.SOURCE_REMOVE
        got.extend(p.get_data() for p in batch.get_packets())
        if len(got) >= want:
            loop.quit()
        return GLib.SOURCE_CONTINUE

    cancellable = Gio.Cancellable()
    cap.add_watch_full(None, cancellable, on_batch, None)
    return cancellable


@test
def run_async_until_cancelled():
    """a bridge in a GLib.MainLoop (run_async) forwards byte for byte, a cancellable stops it"""
    host_a, port_a, port_b, host_b = topology(0)
    cap = capture_on(host_b)
    bridge = Netring.Bridge(interface_a=port_a, interface_b=port_b)
    bridge.init(None)
    assert bridge.props.interface_a == port_a
    assert bridge.props.direction == Netring.BridgeDirections.BOTH
    assert bridge.props.promiscuous
    loop = GLib.MainLoop()
    got = []
    stop_watch = watch_until(loop, cap, 500, got)
    finished = []

    def on_done(source, result):
        finished.append(source.run_finish(result))
        loop.quit()

    cancellable = Gio.Cancellable()
    bridge.run_async(cancellable, on_done)
    assert bridge.is_running()
    nrtest.send_frames(host_a, 0, 500, 100)
    assert run_loop(loop, 20000), "timed out with %d frames" % len(got)
    assert got == [frame(seq, 100) for seq in range(500)]
    stop_watch.cancel()

    cancellable.cancel()
    assert run_loop(loop, 20000)
    # cancelled is how a run ends: run_finish() returns True
    assert finished == [True]
    assert not bridge.is_running()
    stats = bridge.get_stats()
    assert stats.a_to_b_received == 500
    assert stats.a_to_b_forwarded + stats.a_to_b_in_flight == 500
    assert stats.a_to_b_dropped == 0 and stats.b_to_a_received == 0
    assert "A→B: received 500" in stats.to_string()


@test
def verdict_handler_drops_a_port():
    """a ::verdict handler drops one UDP port: exactly the others arrive, drops counted"""
    host_a, port_a, port_b, host_b = topology(1)
    cap = capture_on(host_b)
    bridge = Netring.Bridge(interface_a=port_a, interface_b=port_b,
                            direction=Netring.BridgeDirections.A_TO_B)
    bridge.init(None)
    seen = {Netring.BridgeDirection.A_TO_B: 0, Netring.BridgeDirection.B_TO_A: 0}

    def on_verdict(br, packet, direction):
        seen[direction] += 1
        data = packet.get_data()
        ihl = (data[14] & 0x0F) * 4
        dport = int.from_bytes(data[14 + ihl + 2:14 + ihl + 4], "big")
        if dport == DROP_PORT:
            return Netring.BridgeAction.DROP
        return Netring.BridgeAction.FORWARD

    bridge.connect("verdict", on_verdict)

    def port(seq):
        return DROP_PORT if seq % 3 == 0 else 5000 + seq % 11

    frames = [udp_frame(seq, 90, "10.0.0.1", "10.0.0.2", 4000, port(seq)) for seq in range(600)]
    kept = [f for seq, f in enumerate(frames) if port(seq) != DROP_PORT]
    loop = GLib.MainLoop()
    got = []
    stop_watch = watch_until(loop, cap, len(kept), got)
    cancellable = Gio.Cancellable()
    bridge.run_async(cancellable, lambda source, result: loop.quit())
    send_raw(host_a, frames)
    assert run_loop(loop, 20000), "timed out with %d frames" % len(got)
    assert got == kept
    stop_watch.cancel()
    cancellable.cancel()
    assert run_loop(loop, 20000)

    stats = bridge.get_stats()
    assert stats.a_to_b_received == 600
    assert stats.a_to_b_dropped == 200
    assert seen[Netring.BridgeDirection.A_TO_B] == 600
    assert seen[Netring.BridgeDirection.B_TO_A] == 0


@test
def start_stop_and_errors():
    """start()/stop() lose nothing; a removed interface ends it with ::error naming it"""
    host_a, port_a, port_b, host_b = topology(2)
    cap = capture_on(host_b)
    bridge = Netring.Bridge(interface_a=port_a, interface_b=port_b)
    bridge.init(None)
    loop = GLib.MainLoop()
    got = []
    stop_watch = watch_until(loop, cap, 200, got)
    errors = []

    def on_error(br, error):
        errors.append(error)
        loop.quit()

    bridge.connect("error", on_error)
    bridge.start()
    try:
        bridge.start()
        raise AssertionError("started twice")
    except GLib.Error as e:
        assert e.matches(Netring.error_quark(), Netring.Error.BUSY), e
    nrtest.send_frames(host_a, 0, 100, 80)
    bridge.stop()
    assert not bridge.props.running
    # sent while stopped: they wait in the receive ring
    nrtest.send_frames(host_a, 100, 100, 80)
    bridge.start()
    assert run_loop(loop, 20000), "timed out with %d frames" % len(got)
    assert got == [frame(seq, 80) for seq in range(200)]
    stop_watch.cancel()

    import subprocess
    subprocess.run(["ip", "link", "del", port_b], check=True)
    assert run_loop(loop, 20000)
    assert len(errors) == 1
    assert errors[0].matches(Netring.error_quark(), Netring.Error.INTERFACE_DOWN), errors[0]
    assert port_b in errors[0].message
    assert not bridge.is_running()
    stats = bridge.get_stats()
    assert stats.a_to_b_received == (stats.a_to_b_forwarded + stats.a_to_b_dropped +
                                     stats.a_to_b_too_large + stats.a_to_b_rejected +
                                     stats.a_to_b_in_flight)


@test
def settings_and_readiness():
    """bad settings name the property; readiness as GIO expects; stats readable after close()"""
    host_a, port_a, port_b, host_b = topology(3)
    for kwargs, needle in (({"interface_a": port_a}, "interface-b"),
                           ({"interface_a": port_a, "interface_b": port_a}, port_a),
                           ({"interface_a": port_a, "interface_b": port_b,
                             "direction": Netring.BridgeDirections.NONE}, "direction")):
        try:
            Netring.Bridge(**kwargs).init(None)
            raise AssertionError("init succeeded with %r" % kwargs)
        except GLib.Error as e:
            assert e.matches(Netring.error_quark(), Netring.Error.INVALID_CONFIGURATION), e
            assert needle in e.message, e.message

    early = Netring.Bridge(interface_a=port_a, interface_b=port_b)
    try:
        early.get_stats()
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_INITIALIZED), e

    bridge = Netring.Bridge(interface_a=port_a, interface_b=port_b, tx_frame_count_b=128)
    bridge.init(None)
    assert bridge.get_sender(Netring.BridgeDirection.A_TO_B).props.frame_count == 128
    assert bridge.get_receiver(Netring.BridgeDirection.B_TO_A).props.interface == port_b
    assert bridge.close()
    try:
        bridge.start()
        raise AssertionError("no error")
    except GLib.Error as e:
        assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED), e
    assert bridge.get_stats().a_to_b_received == 0


nrtest.run_tests()
