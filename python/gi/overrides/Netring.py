# Netring.py: the PyGObject overrides of Netring, the way GStreamer and GTK
# ship theirs: Pythonic forms over the typelib, nothing the C API lacks.
#
# - len(batch), for pkt in batch (PacketViews made from the bulk path, no
#   object of the library per packet), pkt.data (a memoryview),
#   batch.packet_data() (every packet's bytes as slices of one buffer: two
#   calls into the library per batch, not several per packet), batch.bulk()
#   (the buffer and the offsets and lengths: no object per packet at all)
# - with Netring.Capture.open(interface="eth0") as cap: ... (init done,
#   closed on exit), for batch in cap.batches(timeout_ms): ...
# - sender.send_frames([...]) and send_frames_async([...], cancellable,
#   callback) (one call for many frames)

import itertools as _itertools
import operator as _operator
import struct as _struct

from ..module import get_introspection_module
from ..overrides import override

Netring = get_introspection_module("Netring")
__all__ = []

_RECORD = _struct.Struct("=QIIqII")
assert _RECORD.size == 32  # NetringPacketRecord


class PacketView(tuple):
    """one packet of a batch, as `for pkt in batch` yields it: no object of
    the library behind it, made in C (a tuple) from the batch's bulk path.
    `data` is a memoryview of a copy of the batch's bytes (safe to keep), the
    lengths, timestamp (ns) and status come from the batch's records; any
    other Netring.Packet getter (get_protocol(), ...) asks the library for
    the packet, which works only while the batch is not released."""

    __slots__ = ()

    data = property(_operator.itemgetter(0), doc="the captured bytes, a memoryview")
    captured_length = property(_operator.itemgetter(1))
    wire_length = property(_operator.itemgetter(2))
    timestamp = property(_operator.itemgetter(3), doc="nanoseconds since the Unix epoch")
    status = property(_operator.itemgetter(4), doc="NetringPacketStatus flags, an int")

    def __len__(self):
        return self[1]

    def __bytes__(self):
        return bytes(self[0])

    def __repr__(self):
        return "<Netring.PacketView %d of %d bytes>" % (self[1], self[2])

    def get_data(self):
        return bytes(self[0])

    def get_captured_length(self):
        return self[1]

    def get_wire_length(self):
        return self[2]

    def get_timestamp(self):
        return self[3]

    def get_timestamp_us(self):
        return self[3] // 1000

    def get_status(self):
        return Netring.PacketStatus(self[4])

    def is_truncated(self):
        return self[1] < self[2]

    def get_packet(self):
        """the library's Netring.Packet for this packet (a view pinning the
        batch); None once the batch was released"""
        return self[5].get_packet(self[6])

    def __getattr__(self, name):
        if not name.startswith("get_"):
            raise AttributeError(name)
        packet = self[5].get_packet(self[6])
        if packet is None:
            raise AttributeError("%s: the batch was released; only data, lengths, timestamp "
                                 "and status stay readable" % name)
        return getattr(packet, name)


__all__.append("PacketView")


class Batch(Netring.Batch):
    def __len__(self):
        return self.get_n_packets()

    def __iter__(self):
        """every packet as a PacketView; the batch's bytes are read (copied)
        once, when the iteration starts, and the views are made in C"""
        raw = self.get_records().get_data()
        if not raw:
            return iter(())
        data = memoryview(self.get_buffer().get_data())
        rec = memoryview(raw)
        offsets = rec.cast("Q")[0::4].tolist()
        captured = rec.cast("I")[2::8].tolist()
        views = map(data.__getitem__, map(slice, offsets, map(_operator.add, offsets, captured)))
        fields = zip(views, captured, rec.cast("I")[3::8].tolist(), rec.cast("q")[2::4].tolist(),
                     rec.cast("I")[6::8].tolist(), _itertools.repeat(self), _itertools.count())
        return map(tuple.__new__, _itertools.repeat(PacketView), fields)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False

    def records(self):
        """every packet as (offset, captured length, wire length, timestamp
        in ns, status, 0), from netring_batch_get_records()"""
        raw = self.get_records().get_data()
        return list(_RECORD.iter_unpack(raw)) if raw else []

    def bulk(self):
        """the fastest way to every packet's bytes: (data, offsets, lengths),
        one bytes object with a copy of the batch's buffer and the lists of
        where each packet starts in it and how many bytes it has; two calls
        into the library per batch and no object per packet.
        `for off, n in zip(offsets, lengths): data[off:off + n]`"""
        raw = self.get_records().get_data()
        if not raw:
            return b"", [], []
        rec = memoryview(raw)
        return (self.get_buffer().get_data(), rec.cast("Q")[0::4].tolist(),
                rec.cast("I")[2::8].tolist())

    def packet_data(self):
        """every packet's captured bytes, as bytes slices of one copy of the
        batch's buffer: safe to keep after the batch is released. Bytes,
        not memoryviews: a small bytes object costs less to make than a
        memoryview (which the garbage collector tracks). A list
        comprehension, which slices faster than map() over slice objects."""
        data, offsets, lengths = self.bulk()
        return [data[off:off + n] for off, n in zip(offsets, lengths)]


Batch = override(Batch)
__all__.append("Batch")


class Packet(Netring.Packet):
    @property
    def data(self):
        """the captured bytes, as a memoryview (of a copy)"""
        return memoryview(self.get_data())

    def __len__(self):
        return self.get_captured_length()


Packet = override(Packet)
__all__.append("Packet")


def _receiver_batches(self, timeout_ms=-1, cancellable=None):
    """yields batches until the receiver is closed; a timeout with nothing
    received ends the iteration"""
    from gi.repository import GLib, Gio

    while True:
        try:
            batch = self.next_batch_timeout(timeout_ms, cancellable)
        except GLib.Error as e:
            if e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT) or \
               e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED):
                return
            raise
        yield batch


def _closing_enter(self):
    return self


def _closing_exit(self, *exc):
    self.close()
    return False


def _open(cls, **props):
    """constructs with keyword properties and runs init: one step"""
    obj = cls(**props)
    obj.init(None)
    return obj


def _join_frames(frames):
    from gi.repository import GLib

    frames = frames if isinstance(frames, list) else list(frames)
    return GLib.Bytes(b"".join(frames)), list(map(len, frames))


def _send_frames(self, frames):
    """queues every frame of the list in one call into the library; returns
    how many were queued (fewer when the ring filled up)"""
    return self.send_many(*_join_frames(frames))


def _send_frames_async(self, frames, cancellable=None, callback=None, *user_data):
    """send_many_async() of every frame of the list: waits for room instead
    of stopping when the ring is full; callback(sender, result, *user_data)
    runs once, sender.send_many_finish(result) says how many were queued"""
    data, lengths = _join_frames(frames)
    return self.send_many_async(data, lengths, cancellable, callback, *user_data)


for _name in ("Capture", "Injector", "XdpSocket"):
    _base = getattr(Netring, _name, None)
    if _base is None:
        continue
    _attrs = {
        "__enter__": _closing_enter,
        "__exit__": _closing_exit,
        "open": classmethod(_open),
    }
    if issubclass(_base, Netring.Receiver):
        _attrs["batches"] = _receiver_batches
    if issubclass(_base, Netring.Sender):
        _attrs["send_frames"] = _send_frames
        _attrs["send_frames_async"] = _send_frames_async
    _cls = override(type(_name, (_base,), _attrs))
    globals()[_name] = _cls
    __all__.append(_name)
