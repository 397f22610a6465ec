#!/usr/bin/python3
"""capture.py: print the first COUNT packets on an interface, from Python.

The ::packet signal hands each packet to the handler, borrowed for the
call; Ctrl-C stops early. Uses the typelib through PyGObject. From a build
tree:

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \
        /usr/bin/python3 examples/capture.py eth0 [COUNT]

Prints "listening on IFACE", a line per packet, "received N packets" and
the capture's statistics.
"""
import locale
import signal
import sys

import gi

gi.require_version("Netring", "1.0")
gi.require_version("GLib", "2.0")
from gi.repository import GLib, Netring  # noqa: E402


def main(argv):
    locale.setlocale(locale.LC_ALL, "")
    if len(argv) < 2:
        print(f"usage: {argv[0]} INTERFACE [COUNT]", file=sys.stderr)
        return 1
    limit = int(argv[2]) if len(argv) > 2 else 100

    # Construct properties + GInitable.init(): the builder of the seed.
    capture = Netring.Capture(interface=argv[1], promiscuous=True)
    try:
        capture.init(None)
    except GLib.Error as error:
        print(f"cannot open {argv[1]}: {error.message}", file=sys.stderr)
        return 77 if error.matches(Netring.error_quark(),
                                   Netring.Error.PERMISSION_DENIED) else 1

    loop = GLib.MainLoop()
    seen = 0

    def on_packet(_capture, packet):
        nonlocal seen
        # The packet is borrowed for this call; keep packet.copy_detached()
        # if it must outlive it (a ring-backed packet pins its ring block).
        data = packet.get_bytes().get_data()
        print(f"[{seen}] {packet.get_timestamp_us() / 1e6:.6f} "
              f"len={packet.get_captured_length()} wire={packet.get_wire_length()} "
              f"{packet.get_direction().value_nick} {data[:16].hex(' ')}")
        seen += 1
        if seen == limit:
            capture.stop()
            loop.quit()

    capture.connect("packet", on_packet)
    # Ctrl-C: quit the loop from inside it, in the loop's own context.
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    capture.start()
    print(f"listening on {argv[1]}", flush=True)
    if limit > 0:
        loop.run()
    capture.stop()

    print(f"received {seen} packets")
    stats = capture.get_stats()
    print(Netring.ReceiverStats.to_string(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
