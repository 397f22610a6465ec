#!/usr/bin/python3
"""async_pipeline.py: capture → bounded queue → N worker threads, and a clean stop.

The main thread captures with receive_async() (detached copies, safe for
other threads) and offers them to a queue.Queue of CAPACITY with
put_nowait(): a packet that finds the queue full is counted as discarded,
the capture never waits. WORKERS threads take packets with a timeout and
check a stop event between two. On SIGINT/SIGTERM (or after SECONDS) the
capture stops, the workers are told to leave and joined, and what is left
in the queue is counted as discarded: no deadlock with a full queue and busy
workers (the seed's F13), and every packet is consumed or discarded.

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
        /usr/bin/python3 examples/async_pipeline.py eth0 [SECONDS [WORKERS [CAPACITY [WORK_US]]]]

Prints "listening on IFACE", then "received R, consumed C, discarded D
(queue full F, left at stop L)".
"""
import locale
import queue
import signal
import sys
import threading
import time

import gi

gi.require_version("Netring", "1.0")
from gi.repository import Gio, GLib, Netring  # noqa: E402


def main(argv):
    locale.setlocale(locale.LC_ALL, "")
    if len(argv) < 2:
        print(f"usage: {argv[0]} INTERFACE [SECONDS [WORKERS [CAPACITY [WORK_US]]]]",
              file=sys.stderr)
        return 1
    seconds = int(argv[2]) if len(argv) > 2 else 3600
    n_workers = int(argv[3]) if len(argv) > 3 else 4
    capacity = int(argv[4]) if len(argv) > 4 else 4096
    work_s = (int(argv[5]) if len(argv) > 5 else 0) / 1e6

    capture = Netring.Capture(interface=argv[1])
    try:
        capture.init(None)
    except GLib.Error as error:
        print(f"cannot open {argv[1]}: {error.message}", file=sys.stderr)
        return 1

    packets = queue.Queue(maxsize=capacity)
    stop = threading.Event()
    consumed = [0] * n_workers
    counts = {"received": 0, "full": 0}

    def worker(index):
        while not stop.is_set():
            try:
                packets.get(timeout=0.05)
            except queue.Empty:
                continue
            consumed[index] += 1
            if work_s:
                time.sleep(work_s)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(n_workers)]
    for w in workers:
        w.start()

    loop = GLib.MainLoop()
    cancellable = Gio.Cancellable()

    def on_packets(receiver, result):
        try:
            got = receiver.receive_finish(result)
        except GLib.Error:
            loop.quit()  # cancelled: we were told to stop
            return
        for packet in got:
            counts["received"] += 1
            try:
                packets.put_nowait(packet)
            except queue.Full:
                counts["full"] += 1
        receiver.receive_async(cancellable, on_packets)

    def on_stop():
        cancellable.cancel()
        return GLib.SOURCE_REMOVE

    for signum in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, on_stop)
    GLib.timeout_add_seconds(seconds, on_stop)
    print(f"listening on {argv[1]}, {n_workers} workers, queue of {capacity}", flush=True)
    capture.receive_async(cancellable, on_packets)
    loop.run()

    stop.set()
    for w in workers:
        w.join()
    left = packets.qsize()
    print(f"received {counts['received']}, consumed {sum(consumed)}, "
          f"discarded {counts['full'] + left} (queue full {counts['full']}, left at stop {left})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
