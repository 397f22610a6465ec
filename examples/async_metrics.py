#!/usr/bin/python3
"""async_metrics.py: a capture's counters as Prometheus metrics, from Python.

A Netring.Metrics collector holds the capture (weakly) under an instance
name and serves the text exposition at /metrics from a server of its own in
the main loop: the loop that runs the capture answers the scrapes, and every
counter is read when it is scraped. Once COUNT packets arrived, a thread
(standing in for Prometheus) fetches the page with urllib and the example
prints what it got.

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
        /usr/bin/python3 examples/async_metrics.py eth0 [COUNT [SECONDS [PORT]]]
    curl http://127.0.0.1:PORT/metrics           (while it runs)

Prints "listening on IFACE, metrics at http://127.0.0.1:PORT/metrics", then
"received N packets", then the scraped page, in which
netring_capture_received_total{iface="IFACE",instance="example"} is N.
"""
import locale
import sys
import threading
import urllib.request

import gi

gi.require_version("Netring", "1.0")
from gi.repository import GLib, Netring  # noqa: E402


def main(argv):
    locale.setlocale(locale.LC_ALL, "")
    if len(argv) < 2:
        print(f"usage: {argv[0]} INTERFACE [COUNT [SECONDS [PORT]]]", file=sys.stderr)
        return 1
    wanted = int(argv[2]) if len(argv) > 2 else 50
    seconds = int(argv[3]) if len(argv) > 3 else 60
    port = int(argv[4]) if len(argv) > 4 else 0

    capture = Netring.Capture(interface=argv[1])
    try:
        capture.init(None)
    except GLib.Error as error:
        print(f"cannot open {argv[1]}: {error.message}", file=sys.stderr)
        return 1

    metrics = Netring.Metrics()
    metrics.add(capture, "example")
    try:
        port = metrics.serve("127.0.0.1", port)  # 0: one the kernel chooses
    except GLib.Error as error:
        print(f"cannot serve the metrics: {error.message}", file=sys.stderr)
        return 1
    url = f"http://127.0.0.1:{port}/metrics"

    loop = GLib.MainLoop()
    state = {"packets": 0, "page": None, "error": None, "scraper": None, "suffix": ""}

    def scrape():
        # in a thread: the main loop must keep running to answer
        try:
            # straight to ourselves, whatever proxy the environment names
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(url, timeout=30) as response:
                state["page"] = response.read().decode()
        except OSError as error:
            state["error"] = str(error)
        GLib.idle_add(loop.quit)

    def on_batch(_capture, batch):
        state["packets"] += batch.get_n_packets()
        if state["packets"] >= wanted and state["scraper"] is None:
            capture.stop()
            state["scraper"] = threading.Thread(target=scrape)
            state["scraper"].start()

    def on_deadline():
        if state["scraper"] is None:  # else the scrape ends the loop
            state["suffix"] = " (time limit reached)"
            loop.quit()
        return GLib.SOURCE_REMOVE

    capture.connect("batch", on_batch)
    capture.start()
    GLib.timeout_add_seconds(seconds, on_deadline)
    print(f"listening on {argv[1]}, metrics at {url}", flush=True)
    if wanted == 0:
        state["scraper"] = threading.Thread(target=scrape)
        state["scraper"].start()
    loop.run()
    capture.stop()
    if state["scraper"] is not None:
        state["scraper"].join()

    print(f"received {state['packets']} packets{state['suffix']}")
    if state["error"] is not None:
        print(f"scrape failed: {state['error']}", file=sys.stderr)
        return 1
    print(state["page"] if state["page"] is not None else metrics.render(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
