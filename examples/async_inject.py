#!/usr/bin/python3
"""async_inject.py: COUNT frames through a 64-frame TX ring, with backpressure.

send_async() completes at once while the ring has room and waits for the
kernel to hand slots back when it is full, in the main loop; one send is in
flight at a time, so the frames keep their order. flush() every 32 frames,
then wait_drained_async() for the last ones.

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
        /usr/bin/python3 examples/async_inject.py eth0 [COUNT]

Sends broadcast frames with EtherType 0x88b5 numbered 0…COUNT-1 and prints
"N frames in … s; kernel sent S, rejected R".
"""
import locale
import struct
import sys
import time

import gi

gi.require_version("Netring", "1.0")
from gi.repository import GLib, Netring  # noqa: E402

FLUSH_EVERY = 32


def frame(seq):
    head = b"\xff" * 6 + bytes([2, 0, 0, 0, 0, 1]) + struct.pack("!HI", 0x88B5, seq)
    return head + b"\x5a" * (64 - len(head))


def main(argv):
    locale.setlocale(locale.LC_ALL, "")
    if len(argv) < 2:
        print(f"usage: {argv[0]} INTERFACE [COUNT]", file=sys.stderr)
        return 1
    wanted = int(argv[2]) if len(argv) > 2 else 1000

    # a deliberately small ring, so that backpressure really happens
    injector = Netring.Injector(interface=argv[1], frame_count=64)
    try:
        injector.init(None)
    except GLib.Error as error:
        print(f"cannot open {argv[1]}: {error.message}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    state = {"sent": 0, "error": None}
    start = time.monotonic()

    def on_drained(obj, result):
        try:
            obj.wait_drained_finish(result)
        except GLib.Error as error:
            state["error"] = error
        loop.quit()

    def send_next():
        if state["sent"] == wanted:
            injector.flush()
            injector.wait_drained_async(1000, None, on_drained)
            return
        injector.send_async(GLib.Bytes.new(frame(state["sent"])), None, on_sent)

    def on_sent(obj, result):
        try:
            obj.send_finish(result)
        except GLib.Error as error:
            state["error"] = error
            loop.quit()
            return
        state["sent"] += 1
        if state["sent"] % FLUSH_EVERY == 0:
            injector.flush()
        send_next()

    send_next()
    loop.run()
    seconds = time.monotonic() - start
    if state["error"] is not None:
        print(f"after {state['sent']} frames: {state['error'].message}", file=sys.stderr)
        return 1
    injector.close()
    stats = injector.get_stats()
    print(f"{state['sent']} frames in {seconds:.3f} s; kernel sent {stats.frames_sent}, "
          f"rejected {stats.frames_rejected}")
    return 1 if stats.frames_rejected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
