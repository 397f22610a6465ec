#!/usr/bin/python3
"""async_xdp.py: receive COUNT packets through an AF_XDP socket, from Python.

A Netring.XdpSocket is a Netring.Receiver like a capture: start() attaches
its receive source to the main loop and emits ::batch for every batch the
RX ring holds; the frames go back to the fill ring when the handler
returns (keep batch.copy_packets() if they must outlive it). The socket
loads its own redirect program (native XDP where the driver has it, as
veth does, else generic); only the frames of queue 0 reach it.

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
        /usr/bin/python3 examples/async_xdp.py eth0 [COUNT [SECONDS]]

Prints "listening on IFACE queue 0 (ATTACH XDP, COPY-MODE)", then
"received N packets in B batches; XDP: R received, F dropped (ring full)".
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

    # receive only, all 1024 frames of the UMEM in the fill ring
    xsk = Netring.XdpSocket(interface=argv[1], queue_id=0, mode=Netring.XdpMode.RX,
                            frame_count=1024)
    try:
        xsk.init(None)
    except GLib.Error as error:
        print(f"cannot open an AF_XDP socket on {argv[1]}: {error.message}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    counts = {"packets": 0, "batches": 0}
    suffix = []

    def on_batch(_xsk, batch):
        counts["batches"] += 1
        counts["packets"] = min(wanted, counts["packets"] + batch.get_n_packets())
        if counts["packets"] == wanted:
            loop.quit()

    def on_deadline():
        suffix.append(" (time limit reached)")
        loop.quit()
        return GLib.SOURCE_REMOVE

    xsk.connect("batch", on_batch)
    xsk.start()
    GLib.timeout_add_seconds(seconds, on_deadline)
    native = xsk.props.active_attach_mode == Netring.XdpAttachMode.NATIVE
    print(f"listening on {argv[1]} queue {xsk.props.queue_id} "
          f"({'native' if native else 'generic'} XDP, "
          f"{'zero-copy' if xsk.props.zero_copy else 'copy mode'})", flush=True)
    if wanted > 0:
        loop.run()
    xsk.stop()
    stats = xsk.get_stats()
    print(f"received {counts['packets']} packets in {counts['batches']} batches"
          + "".join(suffix)
          + f"; XDP: {stats.received} received, {stats.rx_ring_full} dropped (ring full)")
    xsk.close()  # detaches the redirect program now, not at exit
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
