#!/usr/bin/python3
"""NetringPcapWriter through the typelib (PyGObject): a capture's ::batch
signal connected to the writer in a GLib.MainLoop, one call per batch,
synchronous and asynchronous; the files are read back by tshark (and, for
classic pcap in memory, by the test itself) and hold the frames as sent,
with the capture's timestamps.

TAP output. Runs in a private network namespace of its own (unshare), so the
veth pairs disappear with the process whatever happens."""

import json
import os
import shutil
import struct
import subprocess
import tempfile

from nrtest import (GLib, Gio, Netring, frame, make_veth as _make_veth, run_loop, run_tests,
                    send_raw, test)

TMP = tempfile.mkdtemp(prefix="netring-pcap-py-")


def make_veth(n):
    return _make_veth("nrpw", n)


def new_capture(ifname):
    cap = Netring.Capture(interface=ifname, block_size=1 << 20, block_count=16,
                          block_timeout_ms=10)
    cap.init(None)
    return cap


def frames(count):
    """test frames of varying length; every fourth with an 802.1Q tag (VLAN 7)"""
    out = []
    for seq in range(count):
        length = 60 + (seq * 53) % 1400
        if seq % 4 == 3:
            inner = frame(seq, length - 4)
            out.append(inner[:12] + struct.pack("!HH", 0x8100, 0x2000 | 7) + inner[12:])
        else:
            out.append(frame(seq, length))
    return out


def statistics_blocks(path):
    """(interface, isb_ifrecv, isb_ifdrop) per interface statistics block, as
    tshark's pcapng file dissector reads them (None for a missing option)"""
    out = subprocess.run(["tshark", "-r", path, "-X", "read_format:MIME Files Format", "-V"],
                         check=True, capture_output=True, text=True).stdout
    blocks, isb = [], None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Block: "):
            isb = [None, None, None] if line == "Block: Interface Statistics Block" else None
            if isb is not None:
                blocks.append(isb)
        elif isb is not None:
            for i, prefix in ((0, "Interface: "), (1, "Number of Received Packets: "),
                              (2, "Number of Dropped Packets: ")):
                if line.startswith(prefix):
                    isb[i] = int(line[len(prefix):])
    return [tuple(b) for b in blocks]


def tshark(path):
    """(raw bytes, wire length, timestamp ns, interface name, direction, vlan id) per record"""
    if shutil.which("tshark") is None:
        raise AssertionError("tshark is not installed")
    out = subprocess.run(["tshark", "-r", path, "-n", "-T", "json", "-x"], check=True,
                         capture_output=True, text=True).stdout
    records = []
    for pkt in json.loads(out):
        layers = pkt["_source"]["layers"]
        f = layers["frame"]
        sec, frac = f["frame.time_epoch"].split(".")
        ts = int(sec) * 10**9 + int(frac.ljust(9, "0")[:9])
        vlan = layers.get("vlan", {}).get("vlan.id")
        flags = f.get("frame.packet_flags_tree", {}).get("frame.packet_flags_direction")
        records.append((bytes.fromhex(layers["frame_raw"][0]), int(f["frame.len"]), ts,
                        f.get("frame.interface_id_tree", {}).get("frame.interface_name"),
                        None if flags is None else int(flags, 0),
                        None if vlan is None else int(vlan)))
    return records


def capture_into(cap, a, sent, on_batch):
    """runs a main loop, sending sent out of a, until on_batch says all arrived"""
    loop = GLib.MainLoop()

    def handler(capture, batch):
        if on_batch(batch):
            loop.quit()

    cap.connect("batch", handler)
    cap.start()
    send_raw(a, sent)
    assert run_loop(loop, 10000), "timed out"
    cap.stop()


@test
def batch_signal_to_pcapng():
    """::batch → write_batch into a pcapng file: tshark reads the frames as sent"""
    a, b = make_veth(1)
    cap = new_capture(b)
    path = os.path.join(TMP, "signal.pcapng")
    stream = Gio.File.new_for_path(path).replace(None, False, Gio.FileCreateFlags.NONE, None)
    writer = Netring.PcapWriter.new(stream, Netring.PcapFormat.PCAPNG)
    iface = writer.add_interface_for_receiver(cap)
    assert iface == 0
    sent = frames(300)
    stamps = []

    def on_batch(batch):
        writer.write_batch(iface, batch, None)
        stamps.extend(p.get_timestamp() for p in batch.get_packets())
        return writer.get_stats().frames_written >= len(sent)

    capture_into(cap, a, sent, on_batch)
    rx = cap.get_stats()
    writer.close(None)
    stats = writer.get_stats()
    assert stats.frames_written == len(sent) and stats.files == 1
    assert stats.bytes_written == os.path.getsize(path)
    # the interface statistics block at the end holds the capture's counters
    assert statistics_blocks(path) == [(0, rx.packets, rx.drops)]
    assert rx.packets == len(sent) and rx.drops == 0
    records = tshark(path)
    assert len(records) == len(sent)
    for seq, (data, wire, ts, name, direction, vlan) in enumerate(records):
        assert data == sent[seq], "frame %d differs" % seq
        assert wire == len(sent[seq])
        assert ts == stamps[seq], (seq, ts, stamps[seq])
        assert name == b
        assert direction == 1  # inbound
        assert vlan == (7 if seq % 4 == 3 else None), (seq, vlan)


@test
def batch_signal_async():
    """::batch → write_batch_async: batches kept until written, then close_async"""
    a, b = make_veth(2)
    cap = new_capture(b)
    path = os.path.join(TMP, "async.pcap")
    stream = Gio.File.new_for_path(path).replace(None, False, Gio.FileCreateFlags.NONE, None)
    writer = Netring.PcapWriter(stream=stream, format=Netring.PcapFormat.PCAP_NSEC)
    writer.init(None)
    writer.add_interface(b, Netring.LINK_TYPE_ETHERNET, 0)
    sent = frames(200)
    done = {"written": 0, "received": 0, "errors": []}

    def written(w, result, n):
        try:
            w.write_batch_finish(result)
            done["written"] += n
        except GLib.Error as e:
            done["errors"].append(e)

    def on_batch(batch):
        # the writer keeps the batch (and its ring block) until it is written
        writer.write_batch_async(0, batch, None, written, batch.get_n_packets())
        done["received"] += batch.get_n_packets()
        return done["received"] >= len(sent)

    capture_into(cap, a, sent, on_batch)
    loop = GLib.MainLoop()
    closed = []
    writer.close_async(None, lambda w, res: closed.append(w.close_finish(res)) or loop.quit())
    assert run_loop(loop, 10000)
    assert closed == [True] and not done["errors"], done
    assert done["written"] == len(sent)
    records = tshark(path)
    assert [r[0] for r in records] == sent


@test
def memory_classic_pcap():
    """classic pcap into a GMemoryOutputStream, parsed here: header, records, bytes"""
    a, b = make_veth(3)
    cap = new_capture(b)
    memory = Gio.MemoryOutputStream.new_resizable()
    writer = Netring.PcapWriter.new(memory, Netring.PcapFormat.PCAP)
    writer.add_interface(None, Netring.LINK_TYPE_ETHERNET, 128)
    sent = frames(40)
    stamps = []

    def on_batch(batch):
        writer.write_batch(0, batch, None)
        stamps.extend(p.get_timestamp() for p in batch.get_packets())
        return len(stamps) >= len(sent)

    capture_into(cap, a, sent, on_batch)
    writer.close(None)
    data = memory.steal_as_bytes().get_data()
    magic, major, minor, _, _, snaplen, linktype = struct.unpack("=IHHiIII", data[:24])
    assert (magic, major, minor, snaplen, linktype) == (0xA1B2C3D4, 2, 4, 128, 1)
    off = 24
    for seq, f in enumerate(sent):
        sec, usec, caplen, wire = struct.unpack("=IIII", data[off:off + 16])
        assert (sec * 10**6 + usec) == stamps[seq] // 1000
        assert wire == len(f) and caplen == min(len(f), 128)
        assert data[off + 16:off + 16 + caplen] == f[:caplen]
        off += 16 + caplen
    assert off == len(data)
    assert writer.get_stats().frames_truncated == sum(1 for f in sent if len(f) > 128)


@test
def rotating_files():
    """a rotating writer from Python: files of at most max_bytes, all frames in order"""
    a, b = make_veth(4)
    cap = new_capture(b)
    pattern = os.path.join(TMP, "rot-%02i.pcapng")
    writer = Netring.PcapWriter.new_rotating(pattern, Netring.PcapFormat.PCAPNG, 20000, 0)
    writer.add_interface_for_receiver(cap)
    sent = frames(100)
    capture_into(cap, a, sent,
                 lambda batch: writer.write_batch(0, batch, None)
                 or writer.get_stats().frames_written >= len(sent))
    writer.close(None)
    names = sorted(n for n in os.listdir(TMP) if n.startswith("rot-"))
    assert len(names) == writer.get_stats().files >= 2, names
    got = []
    for n in names:
        assert os.path.getsize(os.path.join(TMP, n)) <= 20000
        got.extend(r[0] for r in tshark(os.path.join(TMP, n)))
    assert got == sent


try:
    run_tests()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
