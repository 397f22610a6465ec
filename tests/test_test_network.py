#!/usr/bin/python3
"""NetringTestNetwork from Python: a private namespace with a veth pair that
carries frames, removed again when the object goes away."""
import gc
import os
import socket
import sys

import gi

gi.require_version("Netring", "1.0")
from gi.repository import GLib, Netring  # noqa: E402

ETHERTYPE = 0x88B5


def main():
    try:
        net = Netring.TestNetwork.new()
    except GLib.Error as error:
        if error.matches(Netring.error_quark(), Netring.Error.PERMISSION_DENIED):
            print("1..0 # SKIP " + error.message)
            return 77
        raise
    print("1..4")
    a, b = net.props.interface_a, net.props.interface_b
    names = {n for _i, n in socket.if_nameindex()}
    print("%s 1 - both ends exist, alone in the namespace" %
          ("ok" if names == {"lo", a, b} else "not ok"))

    cap = Netring.Capture(interface=b)
    cap.init(None)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((a, 0))
    frames = [bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xB5, 0, 0, 0, i]) + bytes(46)
              for i in range(10)]
    for f in frames:
        s.send(f)
    s.close()
    got = []
    while len(got) < 10:
        batch = cap.next_batch_timeout(5000, None)
        got += [p.get_bytes().get_data() for p in batch.get_packets()]
    print("%s 2 - frames sent on a arrive on b byte for byte" %
          ("ok" if got == frames else "not ok"))
    cap.close()
    del cap, batch
    outer = os.readlink("/proc/thread-self/ns/net")
    inner = os.readlink("/proc/thread-self/ns/net")
    del net
    gc.collect()
    back = os.readlink("/proc/thread-self/ns/net")
    names = {n for _i, n in socket.if_nameindex()}
    print("%s 3 - dropped: back in another namespace, no pair left (%s → %s)" %
          ("ok" if back != outer and a not in names and b not in names else "not ok",
           outer, back))
    # threads start in the namespace of the thread that starts them: none
    # the network started (GLib's worker, a thread pool) may stay in it and
    # keep it alive
    stuck = [t for t in os.listdir("/proc/self/task")
             if os.readlink("/proc/self/task/%s/ns/net" % t) == inner]
    print("%s 4 - no thread of the process is left in the private namespace (%s)" %
          ("ok" if not stuck else "not ok", stuck))
    return 0


if __name__ == "__main__":
    sys.exit(main())
