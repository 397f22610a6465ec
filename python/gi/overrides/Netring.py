# Netring.py: the PyGObject overrides of Netring, the way GStreamer and GTK
# ship theirs: Pythonic forms over the typelib, nothing the C API lacks.
#
# - len(batch), for packet in batch, batch.packet_data() (every packet's
#   bytes as memoryview slices of one buffer: two calls into the library
#   per batch, not several per packet), pkt.data (a memoryview)
# - with Netring.Capture.open(interface="eth0") as cap: ... (init done,
#   closed on exit), for batch in cap.batches(timeout_ms): ...
# - sender.send_frames([...]) (one call for many frames)

import struct as _struct

from ..module import get_introspection_module
from ..overrides import override

Netring = get_introspection_module("Netring")
__all__ = []

_RECORD = _struct.Struct("=QIIqII")
assert _RECORD.size == 32  # NetringPacketRecord


class Batch(Netring.Batch):
    def __len__(self):
        return self.get_n_packets()

    def __iter__(self):
        return iter(self.get_packets())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False

    def records(self):
        """every packet as (offset, captured length, wire length, timestamp
        in ns, status), from netring_batch_get_records()"""
        raw = self.get_records().get_data() or b""
        return [r for r in _RECORD.iter_unpack(raw)]

    def packet_data(self):
        """every packet's captured bytes, as memoryview slices of one copy of
        the batch's buffer: safe to keep after the batch is released"""
        raw = self.get_records().get_data()
        if not raw:
            return []
        buf = memoryview(self.get_buffer().get_data())
        rec = memoryview(raw)
        offsets = rec.cast("Q")[0::4].tolist()
        lengths = rec.cast("I")[2::8].tolist()
        return [buf[o:o + n] for o, n in zip(offsets, lengths)]


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


def _send_frames(self, frames):
    """queues every frame of the list in one call into the library; returns
    how many were queued (fewer when the ring filled up)"""
    frames = list(frames)
    from gi.repository import GLib

    return self.send_many(GLib.Bytes(b"".join(frames)), [len(f) for f in frames])


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
    _cls = override(type(_name, (_base,), _attrs))
    globals()[_name] = _cls
    __all__.append(_name)
