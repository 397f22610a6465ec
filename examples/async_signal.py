#!/usr/bin/python3
"""async_signal.py: capture until Ctrl-C (or SIGTERM), then print the totals.

GLib.unix_signal_add() turns the signal into a main-loop event, so the
handler runs between two batches, never in the middle of one. Before the
totals, what the kernel retires after the signal is still read (until
nothing comes for 500 ms), so every packet that reached the ring is counted.

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
        /usr/bin/python3 examples/async_signal.py eth0 [SECONDS]

Prints "listening on IFACE", then "done: N packets, B bytes; <stats>".
"""
import locale
import signal
import sys

import gi

gi.require_version("Netring", "1.0")
from gi.repository import Gio, GLib, Netring  # noqa: E402


def main(argv):
    locale.setlocale(locale.LC_ALL, "")
    if len(argv) < 2:
        print(f"usage: {argv[0]} INTERFACE [SECONDS]", file=sys.stderr)
        return 1

    capture = Netring.Capture(interface=argv[1])
    try:
        capture.init(None)
    except GLib.Error as error:
        print(f"cannot open {argv[1]}: {error.message}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    totals = {"packets": 0, "bytes": 0}

    def count(batch):
        for packet in batch.get_packets():
            totals["packets"] += 1
            totals["bytes"] += packet.get_wire_length()

    def on_signal():
        print("interrupted, shutting down", file=sys.stderr)
        loop.quit()
        return GLib.SOURCE_REMOVE

    capture.connect("batch", lambda _capture, batch: count(batch))
    for signum in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, on_signal)
    if len(argv) > 2:
        GLib.timeout_add_seconds(int(argv[2]), on_signal)
    capture.start()
    print(f"listening on {argv[1]}, press Ctrl-C to stop", flush=True)
    loop.run()
    capture.stop()

    while True:  # what reached the ring before we stopped
        try:
            count(capture.next_batch_timeout(500, None))
        except GLib.Error as error:
            if error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT):
                break
            raise
    stats = Netring.ReceiverStats.to_string(capture.get_stats())
    print(f"done: {totals['packets']} packets, {totals['bytes']} bytes; {stats}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
