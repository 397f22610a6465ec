#!/usr/bin/python3
"""replay.py: send the packets of a pcap or pcapng file again, from Python.

A Netring.PcapReplay reads the file through a Netring.PcapReader and sends
its frames through any Netring.Sender, here a Netring.Injector. It keeps the
recorded intervals divided by SPEED (0: as fast as the ring takes them), in
the main loop; a full ring is waited for and nothing is dropped silently
(frames too long for the ring are counted as skipped). Ctrl-C cancels; the
frames already queued still go out.

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
        /usr/bin/python3 examples/replay.py eth0 trace.pcapng [SPEED]

Prints "replaying FILE (link type L) on IFACE at SPEED", then
"sent S frames, skipped K, rejected R in T s".
"""
import locale
import signal
import sys
import time

import gi

gi.require_version("Netring", "1.0")
from gi.repository import Gio, GLib, Netring  # noqa: E402


def main(argv):
    locale.setlocale(locale.LC_ALL, "")
    if len(argv) < 3:
        print(f"usage: {argv[0]} INTERFACE FILE [SPEED]", file=sys.stderr)
        return 1
    speed = float(argv[3]) if len(argv) > 3 else 1.0

    try:
        reader = Netring.PcapReader.new(argv[2])
    except GLib.Error as error:
        print(f"cannot read {argv[2]}: {error.message}", file=sys.stderr)
        return 1
    injector = Netring.Injector(interface=argv[1])
    try:
        injector.init(None)
    except GLib.Error as error:
        print(f"cannot open {argv[1]}: {error.message}", file=sys.stderr)
        return 1

    replay = Netring.PcapReplay.new(reader, injector)
    if speed > 0:
        replay.set_speed(speed)
    else:
        replay.set_mode(Netring.PcapReplayMode.TOPSPEED)

    loop = GLib.MainLoop()
    cancellable = Gio.Cancellable()
    outcome = {"error": None}

    def on_done(source, result):
        try:
            source.run_finish(result)
        except GLib.Error as error:
            if not error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED):
                outcome["error"] = error.message
        loop.quit()

    def on_sigint():
        print("interrupted, stopping the replay", file=sys.stderr)
        cancellable.cancel()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, on_sigint)
    print(f"replaying {argv[2]} (link type {reader.get_link_type()}) on {argv[1]} at "
          + (f"{argv[3] if len(argv) > 3 else '1'}" if speed > 0 else "top speed"), flush=True)
    start = time.monotonic()
    replay.run_async(cancellable, on_done)
    loop.run()

    print(f"sent {replay.get_frames_sent()} frames, skipped {replay.get_frames_skipped()}, "
          f"rejected {replay.get_frames_rejected()} in {time.monotonic() - start:.3f} s")
    if outcome["error"] is not None:
        print(f"replay failed: {outcome['error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
