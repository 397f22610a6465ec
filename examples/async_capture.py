#!/usr/bin/python3
"""async_capture.py: count COUNT packets with the ::batch signal, from Python.

The capture runs in the GLib main loop: start() attaches its receive source
and emits ::batch for every ring block; the block goes back to the kernel
when the handler returns (keep batch.copy_packets() if the packets must
outlive it). A timeout bounds the run.

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
        /usr/bin/python3 examples/async_capture.py eth0 [COUNT [SECONDS]]

Prints "listening on IFACE", then "received N packets in B batches".
"""
import locale
import sys

import gi

gi.require_version("Netring", "1.0")
from gi.repository import GLib, Netring  # noqa: E402


def main(argv):
    locale.setlocale(locale.LC_ALL, "")
    if len(argv) < 2:
        print(f"usage: {argv[0]} INTERFACE [COUNT [SECONDS]]", file=sys.stderr)
        return 1
    wanted = int(argv[2]) if len(argv) > 2 else 50
    seconds = int(argv[3]) if len(argv) > 3 else 60

    capture = Netring.Capture(interface=argv[1])
    try:
        capture.init(None)
    except GLib.Error as error:
        print(f"cannot open {argv[1]}: {error.message}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    counts = {"packets": 0, "batches": 0}
    suffix = []

    def on_batch(_capture, batch):
        counts["batches"] += 1
        counts["packets"] = min(wanted, counts["packets"] + batch.get_n_packets())
        if counts["packets"] == wanted:
            loop.quit()

    def on_deadline():
        suffix.append(" (time limit reached)")
        loop.quit()
        return GLib.SOURCE_REMOVE

    capture.connect("batch", on_batch)
    capture.start()
    GLib.timeout_add_seconds(seconds, on_deadline)
    print(f"listening on {argv[1]}", flush=True)
    if wanted > 0:
        loop.run()
    capture.stop()
    print(f"received {counts['packets']} packets in {counts['batches']} batches"
          + "".join(suffix))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
