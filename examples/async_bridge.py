#!/usr/bin/python3
"""async_bridge.py: a transparent bridge between two interfaces until Ctrl-C
(or SECONDS), from Python, with the counters printed every second.

run_async() forwards in the GLib main loop until its cancellable is
cancelled; cancelling is how a run ends, so run_finish() returns True. A
SIGINT handler cancels, a one-second timeout prints the statistics. Every
frame the bridge took is in one of the counters (received = forwarded +
dropped + too large + rejected + in flight).

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
        /usr/bin/python3 examples/async_bridge.py eth0 eth1 [SECONDS]

Prints "listening on A ⇄ B", a line of counters every second, and at the
end "A → B: R received, F forwarded, I in flight" and the same for B → A.
"""
import locale
import signal
import sys

import gi

gi.require_version("Netring", "1.0")
from gi.repository import Gio, GLib, Netring  # noqa: E402


def main(argv):
    locale.setlocale(locale.LC_ALL, "")
    if len(argv) < 3:
        print(f"usage: {argv[0]} INTERFACE_A INTERFACE_B [SECONDS]", file=sys.stderr)
        return 1
    a, b = argv[1], argv[2]

    bridge = Netring.Bridge(interface_a=a, interface_b=b)
    try:
        bridge.init(None)
    except GLib.Error as error:
        print(error.message, file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    cancellable = Gio.Cancellable()
    failure = []

    def on_done(source, result):
        try:
            source.run_finish(result)
        except GLib.Error as error:
            failure.append(error.message)
        loop.quit()

    def on_stop(why):
        print(why, file=sys.stderr)
        cancellable.cancel()
        return GLib.SOURCE_REMOVE

    def on_tick():
        print(bridge.get_stats().to_string(), flush=True)
        return GLib.SOURCE_CONTINUE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, on_stop,
                         "interrupted, shutting down")
    if len(argv) > 3:
        GLib.timeout_add_seconds(int(argv[3]), on_stop, "time limit reached, shutting down")
    GLib.timeout_add_seconds(1, on_tick)
    bridge.run_async(cancellable, on_done)
    print(f"listening on {a} ⇄ {b}, Ctrl-C to stop", flush=True)
    loop.run()

    stats = bridge.get_stats()
    print(f"{a} → {b}: {stats.a_to_b_received} received, {stats.a_to_b_forwarded} forwarded, "
          f"{stats.a_to_b_in_flight} in flight")
    print(f"{b} → {a}: {stats.b_to_a_received} received, {stats.b_to_a_forwarded} forwarded, "
          f"{stats.b_to_a_in_flight} in flight")
    if failure:
        print(failure[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
