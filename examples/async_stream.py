#!/usr/bin/python3
"""async_stream.py: packets as a Python iterator.

The seed's PacketStream in Python: a generator over next_batch_timeout()
yields detached copies of the packets (safe to keep), so ordinary Python
(for loops, itertools) consumes the stream. The wait in
next_batch_timeout() ends at the deadline; the generator then stops.

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
        /usr/bin/python3 examples/async_stream.py eth0 [COUNT [SECONDS]]

Prints "listening on IFACE", then "received N packets".
"""
import locale
import sys
import time

import gi

gi.require_version("Netring", "1.0")
from gi.repository import Gio, GLib, Netring  # noqa: E402


def packets(receiver, deadline):
    """yields every packet until the monotonic deadline"""
    while True:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            return
        try:
            batch = receiver.next_batch_timeout(left_ms, None)
        except GLib.Error as error:
            if error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT):
                return
            raise
        # one call for the whole batch; the ring block is free afterwards
        yield from batch.copy_packets()


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

    print(f"listening on {argv[1]}", flush=True)
    received = 0
    if wanted > 0:
        for _packet in packets(capture, time.monotonic() + seconds):
            received += 1
            if received == wanted:
                break
    print(f"received {received} packets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
