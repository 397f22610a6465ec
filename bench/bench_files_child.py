#!/usr/bin/python3
"""bench_files_child.py: the Python side of bench-files, started by it in
its network namespace. The program only connects objects, so no packet
crosses into the interpreter:

  writer PATH FORMAT IFACE COUNT   a capture's ::batch → PcapWriter.write_batch
  endpoints IN OUT                 a Capture and an Injector made here, joined
                                   by Bridge.new_with_endpoints (capture → injector)
  bridge IN OUT                    a Bridge(interface_a=IN, interface_b=OUT)

It says "ready" on standard output when it receives, runs until it has
COUNT packets (writer) or until SIGINT, then prints its own CPU time from
"ready" to the end and the objects' counters as key=value lines. The ring
settings are the ones bench-files.c gives the C equivalents.

Do not import tests/nrtest.py here: it enters a network namespace of its
own, and this program must stay in the benchmark's."""

import sys
import time

import gi

gi.require_version("Netring", "1.0")
from gi.repository import GLib, Gio, Netring  # noqa: E402

# the settings bench-files.c uses for the same rows
WRITER_RING = dict(block_size=4 << 20, block_count=16, block_timeout_ms=10)
FORWARD_RING = dict(block_size=32 * 1024, block_count=8192, frame_size=2048, block_timeout_ms=1)
TX_FRAMES = dict(frame_size=2048, frame_count=1024)


def ready():
    print("ready", flush=True)
    return time.process_time()


def report(cpu, **values):
    print("cpu_ns=%d" % int(cpu * 1e9))
    for key, value in values.items():
        print("%s=%d" % (key, value))
    sys.stdout.flush()


def on_sigint(action):
    def on_signal():
        action()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, 2, on_signal)


def writer(path, fmt, iface, count):
    count = int(count)
    cap = Netring.Capture(interface=iface, **WRITER_RING)
    cap.init(None)
    file = Gio.File.new_for_path(path)
    if path == "/dev/null":  # bench-files --null
        stream = file.append_to(Gio.FileCreateFlags.NONE, None)
    else:
        stream = file.replace(None, False, Gio.FileCreateFlags.NONE, None)
    writer = Netring.PcapWriter.new(stream, getattr(Netring.PcapFormat, fmt.upper()))
    interface_id = writer.add_interface_for_receiver(cap)
    loop = GLib.MainLoop()

    batches = [0]

    # one call per batch: the writer walks the packets in C
    def on_batch(_cap, batch):
        writer.write_batch(interface_id, batch, None)
        batches[0] += 1
        if writer.get_stats().frames_written >= count:
            loop.quit()

    cap.connect("batch", on_batch)
    on_sigint(loop.quit)
    cap.start()
    cpu0 = ready()
    loop.run()
    cap.stop()
    cpu = time.process_time() - cpu0
    rx = cap.get_stats()
    stats = writer.get_stats()
    report(cpu, received=stats.frames_written, drops=rx.drops, packets=rx.packets,
           bytes_written=stats.bytes_written, batches=batches[0])
    writer.close(None)


def forward(bridge):
    loop = GLib.MainLoop()
    cancellable = Gio.Cancellable()
    # SIGINT cancels the run, whose end quits the loop
    bridge.run_async(cancellable, lambda source, result: loop.quit())
    on_sigint(cancellable.cancel)
    cpu0 = ready()
    loop.run()
    cpu = time.process_time() - cpu0
    stats = bridge.get_stats()
    report(cpu, received=stats.a_to_b_received, forwarded=stats.a_to_b_forwarded,
           drops=stats.a_to_b_kernel_drops, too_large=stats.a_to_b_too_large,
           rejected=stats.a_to_b_rejected)


def endpoints(ifin, ifout):
    cap = Netring.Capture(interface=ifin, promiscuous=True, ignore_outgoing=True, **FORWARD_RING)
    cap.init(None)
    injector = Netring.Injector(interface=ifout, qdisc_bypass=True, **TX_FRAMES)
    injector.init(None)
    forward(Netring.Bridge.new_with_endpoints(cap, injector, None, None))


def bridge(ifin, ifout):
    b = Netring.Bridge(interface_a=ifin, interface_b=ifout,
                       direction=Netring.BridgeDirections.A_TO_B)
    b.init(None)
    forward(b)


{"writer": writer, "endpoints": endpoints, "bridge": bridge}[sys.argv[1]](*sys.argv[2:])
