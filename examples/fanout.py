#!/usr/bin/python3
"""fanout.py: one interface's traffic over N worker threads, from Python.

A Netring.FanoutGroup of MEMBERS captures in hash mode (a flow stays on one
member); start() runs each member in a thread of its own and calls the
function there for every batch. Each member has its own counter; the main
thread waits on a threading.Condition for the total.

    sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\
        /usr/bin/python3 examples/fanout.py eth0 [MEMBERS [COUNT [SECONDS]]]

Prints "listening on IFACE with N members", one line per member and
"total: T packets".
"""
import locale
import sys
import threading

import gi

gi.require_version("Netring", "1.0")
from gi.repository import GLib, Netring  # noqa: E402


def main(argv):
    locale.setlocale(locale.LC_ALL, "")
    if len(argv) < 2:
        print(f"usage: {argv[0]} INTERFACE [MEMBERS [COUNT [SECONDS]]]", file=sys.stderr)
        return 1
    members = int(argv[2]) if len(argv) > 2 else 4
    wanted = int(argv[3]) if len(argv) > 3 else 1000
    seconds = int(argv[4]) if len(argv) > 4 else 60

    try:
        group = Netring.FanoutGroup.new(argv[1], members, Netring.FanoutMode.HASH)
    except GLib.Error as error:
        print(f"cannot open {argv[1]}: {error.message}", file=sys.stderr)
        return 1

    per_member = [0] * members
    reached = threading.Condition()

    def on_batch(_group, member, batch):
        n = batch.get_n_packets()
        with reached:
            per_member[member] += n
            if sum(per_member) >= wanted:
                reached.notify()

    group.start(on_batch)
    print(f"listening on {argv[1]} with {members} members", flush=True)
    with reached:
        reached.wait_for(lambda: sum(per_member) >= wanted, timeout=seconds)
    group.stop()
    for i, n in enumerate(per_member):
        print(f"member {i}: {n} packets")
    print(f"total: {sum(per_member)} packets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
