#!/usr/bin/python3
"""NetringMetrics through the typelib (PyGObject): the exposition parsed by
the Prometheus project's own parser (prometheus_client) with values equal to
the objects' statistics, the HTTP endpoint scraped on the loopback while
traffic flows, and a weakly held object that disappears.

TAP output. Runs in a private network namespace of its own (unshare), so the
veth pairs disappear with the process whatever happens."""

import gc
import subprocess
import threading
import urllib.request

from nrtest import GLib, Gio, Netring, make_veth as _make_veth, run_loop, run_tests, send_frames, test

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # the suite needs it: CI installs python3-prometheus-client
    print("1..0 # SKIP python3-prometheus-client is not installed")
    raise SystemExit(77)

N = 400
LENGTH = 300


def make_veth(n):
    return _make_veth("nrmx", n)


def new_capture(ifname):
    cap = Netring.Capture(interface=ifname, block_size=1 << 16, block_count=8,
                          block_timeout_ms=10)
    cap.init(None)
    return cap


def parse(text):
    """{(sample name, frozenset of labels): value} and {family: type}, through
    the Prometheus parser; every family appears once"""
    samples, types = {}, {}
    for family in text_string_to_metric_families(text):
        assert family.name not in types, family.name
        types[family.name] = family.type
        for s in family.samples:
            key = (s.name, frozenset(s.labels.items()))
            assert key not in samples, key
            samples[key] = s.value
    return samples, types


RECEIVER_FIELDS = ["packets", "drops", "freezes", "received", "batches", "lost_blocks"]


@test
def parsed_equals_stats():
    """the Prometheus parser reads the text; every value equals the stats"""
    a, b = make_veth(0)
    cap = new_capture(b)
    injector = Netring.Injector(interface=a)
    injector.init(None)
    metrics = Netring.Metrics()
    metrics.add(cap, "py")
    metrics.add(injector, "py")

    from nrtest import frame
    for seq in range(N):
        injector.send(frame(seq, LENGTH))
    injector.flush()
    injector.wait_drained(10000, None)
    got = 0
    while got < N:
        got += cap.next_batch_timeout(10000, None).get_n_packets()
    assert got == N, got

    rx = cap.get_stats()
    tx = injector.get_stats()
    text = metrics.render()
    assert text == metrics.render()  # no side effects
    samples, types = parse(text)
    labels = frozenset({"iface": b, "instance": "py"}.items())
    for field in RECEIVER_FIELDS:
        assert types["netring_capture_" + field] == "counter"
        assert samples[("netring_capture_%s_total" % field, labels)] == getattr(rx, field), field
    assert types["netring_capture_held_batches"] == "gauge"
    assert samples[("netring_capture_held_batches", labels)] == rx.held_batches == 0
    assert rx.packets == rx.received == N
    tx_labels = frozenset({"iface": a, "instance": "py"}.items())
    for field in ["frames_queued", "frames_sent", "bytes_sent", "frames_rejected",
                  "frames_refused", "kicks"]:
        assert samples[("netring_injector_%s_total" % field, tx_labels)] == getattr(tx, field)
    assert tx.frames_sent == N and tx.bytes_sent == N * LENGTH
    injector.close()
    cap.close()


@test
def scraped_while_traffic_flows():
    """/metrics over HTTP on 127.0.0.1 while frames arrive; the last scrape equals the stats"""
    a, b = make_veth(1)
    cap = new_capture(b)
    metrics = Netring.Metrics()
    metrics.add(cap, "http")
    # the private namespace's loopback starts down
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    port = metrics.serve("127.0.0.1", 0)
    assert port > 0
    url = "http://127.0.0.1:%d/metrics" % port
    labels = frozenset({"iface": b, "instance": "http"}.items())
    loop = GLib.MainLoop()
    state = {"received": 0, "sent": 0, "scrapes": [], "error": None}

    def on_batch(_cap, batch):
        state["received"] += batch.get_n_packets()
        if state["received"] == N:
            loop.quit()

    def send_some():
        send_frames(a, state["sent"], 20, LENGTH)
        state["sent"] += 20
        return state["sent"] < N

    def scraper():
        # scrapes until the traffic has ended, each one parsed
        try:
            while state["sent"] < N or not state["scrapes"]:
                with urllib.request.urlopen(url, timeout=10) as response:
                    assert response.status == 200
                    ctype = response.headers["Content-Type"]
                    assert ctype.startswith("text/plain; version=0.0.4"), ctype
                    samples, _ = parse(response.read().decode())
                state["scrapes"].append(samples[("netring_capture_received_total", labels)])
        except Exception as e:  # reported in the main thread
            state["error"] = e

    cap.connect("batch", on_batch)
    cap.start()
    GLib.timeout_add(5, send_some)  # pacing only
    worker = threading.Thread(target=scraper)
    worker.start()
    assert run_loop(loop, 20000), "timed out: %d of %d" % (state["received"], N)
    # serve the scraper's last requests until it is done
    ctx = GLib.MainContext.default()
    while worker.is_alive():
        ctx.iteration(False)
        worker.join(0.001)
    assert state["error"] is None, state["error"]
    assert len(state["scrapes"]) >= 1
    # cumulative: the scrapes never go down
    assert state["scrapes"] == sorted(state["scrapes"]), state["scrapes"]

    final = []

    def last_scrape():
        with urllib.request.urlopen(url, timeout=10) as response:
            final.append(response.read().decode())

    worker = threading.Thread(target=last_scrape)
    worker.start()
    while worker.is_alive():
        ctx.iteration(False)
        worker.join(0.001)
    samples, _ = parse(final[0])
    stats = cap.get_stats()
    for field in RECEIVER_FIELDS:
        assert samples[("netring_capture_%s_total" % field, labels)] == getattr(stats, field)
    assert stats.received == N
    metrics.stop_serving()
    cap.stop()
    cap.close()


BRIDGE_FIELDS = ["received", "forwarded", "dropped", "too_large", "rejected", "kernel_drops"]


@test
def bridge_per_direction():
    """a bridge: one series per direction, labelled, equal to its stats"""
    host_a, port_a = _make_veth("nrmb", 0)
    port_b, host_b = _make_veth("nrmc", 0)
    cap_a, cap_b = (Netring.Capture(interface=i, ignore_outgoing=True, block_timeout_ms=10)
                    for i in (host_a, host_b))
    cap_a.init(None)
    cap_b.init(None)
    bridge = Netring.Bridge(interface_a=port_a, interface_b=port_b)
    bridge.init(None)
    metrics = Netring.Metrics()
    assert Netring.Metrics.supports(bridge)
    metrics.add(bridge, "br")

    from nrtest import frame
    cancellable = Gio.Cancellable()
    loop = GLib.MainLoop()
    bridge.run_async(cancellable, lambda source, result: loop.quit())
    send_frames(host_a, 0, N, LENGTH)
    send_frames(host_b, 0, N // 2, LENGTH // 2)

    # the bridge runs in this thread's context: receive while it iterates
    got_b, got_a = [], []
    deadline = GLib.get_monotonic_time() + 20 * 1000 * 1000
    while (len(got_b) < N or len(got_a) < N // 2) and GLib.get_monotonic_time() < deadline:
        GLib.MainContext.default().iteration(False)
        for cap, got in ((cap_b, got_b), (cap_a, got_a)):
            batch = cap.next_batch()
            if batch is not None:
                got.extend(p.get_data() for p in batch.get_packets())
    assert got_b == [frame(seq, LENGTH) for seq in range(N)]
    assert got_a == [frame(seq, LENGTH // 2) for seq in range(N // 2)]
    cancellable.cancel()
    assert run_loop(loop, 20000)
    bridge.close()  # the statistics stand still from here on

    stats = bridge.get_stats()
    text = metrics.render()
    samples, types = parse(text)
    for direction, frm, to, n in (("a_to_b", port_a, port_b, N),
                                  ("b_to_a", port_b, port_a, N // 2)):
        labels = frozenset({"direction": direction, "from": frm, "to": to,
                            "instance": "br"}.items())
        for field in BRIDGE_FIELDS:
            assert types["netring_bridge_" + field] == "counter"
            assert samples[("netring_bridge_%s_total" % field, labels)] == \
                getattr(stats, "%s_%s" % (direction, field)), (direction, field)
        assert types["netring_bridge_in_flight"] == "gauge"
        assert samples[("netring_bridge_in_flight", labels)] == \
            getattr(stats, direction + "_in_flight")
        assert getattr(stats, direction + "_received") == n
    assert len([k for k in samples if k[0].startswith("netring_bridge_")]) == 2 * 7

    # a bridge that forwards one way has the series of that direction only
    one_way = Netring.Bridge(interface_a=port_a, interface_b=port_b,
                             direction=Netring.BridgeDirections.B_TO_A)
    one_way.init(None)
    metrics.add(one_way, "one")
    samples, _ = parse(metrics.render())
    one = [k for k in samples if ("instance", "one") in k[1]]
    assert len(one) == 7 and all(("direction", "b_to_a") in k[1] for k in one), one
    one_way.close()
    cap_a.close()
    cap_b.close()


@test
def weakly_held():
    """an object that goes away disappears from the output"""
    _a, b = make_veth(2)
    metrics = Netring.Metrics()
    cap = new_capture(b)
    metrics.add(cap, "weak")
    assert metrics.get_n_objects() == 1
    samples, _ = parse(metrics.render())
    assert len([k for k in samples if k[0].startswith("netring_capture_")]) == 8
    del cap
    gc.collect()
    assert metrics.get_n_objects() == 0
    assert metrics.render() == ""


run_tests()
