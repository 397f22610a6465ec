#!/usr/bin/python3
"""pcap_write.py: capture COUNT packets into a pcap or pcapng file, from Python.

A Netring.PcapWriter writes onto any Gio.OutputStream: a file, or standard
output through a Gio.UnixOutputStream (FILE "-", so the output can be piped
into tcpdump -r - or wireshark -k -i -). Whole batches are written in the
::batch handler with write_batch(), straight from ring memory, while the
batch is still lent to the handler. A FILE ending in ".pcapng" gets pcapng,
anything else classic pcap with nanosecond timestamps.

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
        /usr/bin/python3 examples/pcap_write.py eth0 out.pcap [COUNT [SECONDS]]

Prints (on standard error when FILE is "-") "listening on IFACE", then
"wrote N packets (B bytes) to FILE".
"""
import locale
import sys

import gi

gi.require_version("Netring", "1.0")
from gi.repository import Gio, GLib, Netring  # noqa: E402

try:  # GLib 2.80 moved the Unix streams to GioUnix
    gi.require_version("GioUnix", "2.0")
    from gi.repository import GioUnix  # noqa: E402
    UnixOutputStream = GioUnix.OutputStream
except (ValueError, ImportError):
    UnixOutputStream = Gio.UnixOutputStream


def main(argv):
    locale.setlocale(locale.LC_ALL, "")
    if len(argv) < 3:
        print(f"usage: {argv[0]} INTERFACE FILE [COUNT [SECONDS]]", file=sys.stderr)
        return 1
    wanted = int(argv[3]) if len(argv) > 3 else 100
    seconds = int(argv[4]) if len(argv) > 4 else 60
    target = argv[2]
    # keep standard output for the file when it goes there
    say = sys.stderr if target == "-" else sys.stdout
    fmt = (Netring.PcapFormat.PCAPNG if target.endswith(".pcapng")
           else Netring.PcapFormat.PCAP_NSEC)

    capture = Netring.Capture(interface=argv[1])
    try:
        capture.init(None)
    except GLib.Error as error:
        print(f"cannot open {argv[1]}: {error.message}", file=sys.stderr)
        return 1
    if target == "-":
        stream = UnixOutputStream.new(sys.stdout.fileno(), False)
    else:
        stream = Gio.File.new_for_commandline_arg(target).replace(
            None, False, Gio.FileCreateFlags.NONE, None)
    writer = Netring.PcapWriter.new(stream, fmt)
    iface = writer.add_interface_for_receiver(capture)

    loop = GLib.MainLoop()
    state = {"written": 0, "error": None}

    def on_batch(_capture, batch):
        try:
            n = batch.get_n_packets()
            if state["written"] + n <= wanted:
                writer.write_batch(iface, batch, None)
                state["written"] += n
            else:  # the last batch may hold more than we want
                for packet in batch.get_packets()[:wanted - state["written"]]:
                    writer.write_packet(iface, packet, None)
                    state["written"] += 1
        except GLib.Error as error:
            state["error"] = error.message
        if state["written"] >= wanted or state["error"] is not None:
            loop.quit()

    capture.connect("batch", on_batch)
    GLib.timeout_add_seconds(seconds, lambda: loop.quit() or GLib.SOURCE_REMOVE)
    capture.start()
    print(f"listening on {argv[1]}", file=say, flush=True)
    if wanted > 0:
        loop.run()
    capture.stop()
    if state["error"] is None:
        try:
            writer.close(None)
        except GLib.Error as error:
            state["error"] = error.message
    if state["error"] is not None:
        print(f"cannot write {target}: {state['error']}", file=sys.stderr)
        return 1
    stats = writer.get_stats()
    print(f"wrote {stats.frames_written} packets ({stats.bytes_written} bytes) to {target}",
          file=say)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
