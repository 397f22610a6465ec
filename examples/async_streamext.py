#!/usr/bin/python3
"""async_streamext.py: take, filter, map and collect, with itertools.

The seed's into_stream().take(n).filter_map(..).collect() in Python: the
packet iterator of async_stream.py, cut to COUNT packets with islice, the
frames with the experimental EtherType 0x88b5 kept and mapped to the
sequence number after their Ethernet header, collected in a list.

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
        /usr/bin/python3 examples/async_streamext.py eth0 [COUNT [SECONDS]]

Prints "listening on IFACE", then "took N packets, kept K with EtherType
0x88b5, sequence numbers FIRST…LAST".
"""
import itertools
import locale
import struct
import sys
import time

import gi

gi.require_version("Netring", "1.0")
from gi.repository import Gio, GLib, Netring  # noqa: E402

ETHERTYPE = 0x88B5


def packets(receiver, deadline):
    """yields detached copies of every packet until the monotonic deadline"""
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
        yield from batch.copy_packets()


def test_frame_sequence(packet):
    """the sequence number of a test frame, or None"""
    data = packet.get_bytes().get_data()
    if len(data) < 18 or struct.unpack("!H", data[12:14])[0] != ETHERTYPE:
        return None
    return struct.unpack("!I", data[14:18])[0]


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
    taken = list(itertools.islice(packets(capture, time.monotonic() + seconds), wanted))
    sequence_numbers = [s for s in map(test_frame_sequence, taken) if s is not None]
    line = f"took {len(taken)} packets, kept {len(sequence_numbers)} with EtherType 0x{ETHERTYPE:04x}"
    if sequence_numbers:
        line += f", sequence numbers {sequence_numbers[0]}…{sequence_numbers[-1]}"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
