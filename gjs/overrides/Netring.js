// Netring.js: the GJS overrides of Netring, loaded by gjs for
// `imports.gi.Netring` and `import Netring from 'gi://Netring'` from the
// overrides directory of its search path (installed with the typelib into
// $datadir/gjs-1.0/overrides; build trees: GJS_PATH=<source>/gjs).
// JavaScript forms over the typelib, in the spirit of the Python overrides;
// nothing the C API lacks.
//
// - for (const pkt of batch), batch.length, batch.packetData() (every
//   packet's bytes as Uint8Array views of one copy of the batch: a constant
//   number of calls into the library per batch), batch.bulk() ({data,
//   offsets, lengths}: no object per packet at all), batch.records()
// - for (const batch of receiver.batches(timeoutMs)) and
//   for await (const batch of receiver.batchesAsync(cancellable)): every
//   batch is released when the loop moves on, not when the garbage
//   collector runs
// - promises: receiver.next_batch_async(cancellable), receive_async(),
//   sender.send_async(), send_many_async(), flush_async(),
//   wait_drained_async() return a Promise when no callback is given
// - sender.sendFrames(frames) and sender.sendFramesAsync(frames,
//   cancellable): many frames (Uint8Arrays) in one call
// - Netring.Capture.open({interface: 'eth0', ...}): constructed, init done

const {GLib, Gio} = imports.gi;

const RECORD_SIZE = 32; // NetringPacketRecord
// the records are in host order: where the low half of a 64-bit field is
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;

/* One packet of a batch as `for (const pkt of batch)` yields it: no object
 * of the library behind it. `data` is a view of a copy of the batch's bytes
 * (safe to keep), the other fields come from the batch's records. The
 * timestamp is kept as two 32-bit halves and made a BigInt only when asked:
 * a BigInt per packet would cost more than the rest. */
class PacketView {
    constructor(data, capturedLength, wireLength, tsLow, tsHigh, status) {
        this.data = data;
        this.capturedLength = capturedLength;
        this.wireLength = wireLength;
        this._tsLow = tsLow;
        this._tsHigh = tsHigh;
        this.status = status;
    }

    /* nanoseconds since the Unix epoch, a BigInt (beyond 2^53) */
    get timestampNs() {
        return (BigInt(this._tsHigh) << 32n) | BigInt(this._tsLow);
    }

    /* microseconds since the Unix epoch, a Number */
    get timestampUs() {
        return Math.floor((this._tsHigh * 4294967296 + this._tsLow) / 1000);
    }

    get truncated() {
        return this.capturedLength < this.wireLength;
    }
}

/* The bulk path: the records and one copy of the batch's bytes, in two
 * calls. copy_buffer(), not get_buffer(): a GBytes sharing ring memory
 * would hold the ring block until the collector frees its wrapper. The
 * records are read as 32-bit words (host order, 8 per record): offsets
 * below 2^32 always, as a batch's buffer is smaller. */
function bulk(batch) {
    const records = batch.get_records().toArray();
    if (records.length === 0)
        return null;
    const words = records.byteOffset % 4 === 0
        ? new Uint32Array(records.buffer, records.byteOffset, records.length / 4)
        : new Uint32Array(records.slice().buffer);
    return {buffer: batch.copy_buffer().toArray(), words, n: records.length / RECORD_SIZE};
}

function* packetsOf(batch) {
    const b = bulk(batch);
    if (b === null)
        return;
    const w = b.words;
    for (let i = 0, at = 0; i < b.n; i++, at += 8) {
        const offset = w[at + LO];
        yield new PacketView(b.buffer.subarray(offset, offset + w[at + 2]), w[at + 2],
            w[at + 3], w[at + 4 + LO], w[at + 5 - LO], w[at + 6]);
    }
}

function packetData(batch) {
    const b = bulk(batch);
    if (b === null)
        return [];
    const w = b.words, buffer = b.buffer;
    const out = new Array(b.n);
    for (let i = 0, at = 0; i < b.n; i++, at += 8)
        out[i] = buffer.subarray(w[at + LO], w[at + LO] + w[at + 2]);
    return out;
}

/* the fastest form: {data, offsets, lengths}, one copy of the batch's bytes
 * and two Uint32Arrays, no object per packet */
function bulkArrays(batch) {
    const b = bulk(batch);
    if (b === null)
        return {data: new Uint8Array(0), offsets: new Uint32Array(0), lengths: new Uint32Array(0)};
    const w = b.words;
    const offsets = new Uint32Array(b.n), lengths = new Uint32Array(b.n);
    for (let i = 0, at = 0; i < b.n; i++, at += 8) {
        offsets[i] = w[at + LO];
        lengths[i] = w[at + 2];
    }
    return {data: b.buffer, offsets, lengths};
}

function records(batch) {
    return Array.from(packetsOf(batch), p => ({
        capturedLength: p.capturedLength, wireLength: p.wireLength,
        timestampNs: p.timestampNs, status: p.status,
    }));
}

function isError(e, code) {
    return e instanceof GLib.Error && e.matches(Gio.IOErrorEnum, code);
}

// Yields batches until the receiver is closed or, with a timeout, until
// nothing arrived in time; each batch is released when the loop moves on.
function* batches(timeoutMs = -1, cancellable = null) {
    for (;;) {
        let batch;
        try {
            batch = this.next_batch_timeout(timeoutMs, cancellable);
        } catch (e) {
            if (isError(e, Gio.IOErrorEnum.TIMED_OUT) || isError(e, Gio.IOErrorEnum.CLOSED))
                return;
            throw e;
        }
        try {
            yield batch;
        } finally {
            batch.release();
        }
    }
}

// for await: yields batches until the receiver is closed or the
// cancellable is cancelled; each batch is released when the loop moves on.
async function* batchesAsync(cancellable = null) {
    for (;;) {
        let batch;
        try {
            batch = await new Promise((resolve, reject) => {
                this.next_batch_async(cancellable, (self, res) => {
                    try {
                        resolve(self.next_batch_finish(res));
                    } catch (e) {
                        reject(e);
                    }
                });
            });
        } catch (e) {
            if (isError(e, Gio.IOErrorEnum.CANCELLED) || isError(e, Gio.IOErrorEnum.CLOSED))
                return;
            throw e;
        }
        try {
            yield batch;
        } finally {
            batch.release();
        }
    }
}

function joinFrames(frames) {
    const lengths = frames.map(f => f.length);
    const all = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const f of frames) {
        all.set(f, at);
        at += f.length;
    }
    return [new GLib.Bytes(all), lengths];
}

function sendFrames(frames) {
    const [bytes, lengths] = joinFrames(frames);
    return this.send_many(bytes, lengths);
}

function sendFramesAsync(frames, cancellable = null) {
    const [bytes, lengths] = joinFrames(frames);
    return new Promise((resolve, reject) => {
        this.send_many_async(bytes, lengths, cancellable, (self, res) => {
            try {
                resolve(self.send_many_finish(res));
            } catch (e) {
                reject(e);
            }
        });
    });
}

function _init() {
    const Netring = this;

    Object.defineProperty(Netring.Batch.prototype, 'length', {
        get() {
            return this.get_n_packets();
        },
        configurable: true,
    });
    Netring.Batch.prototype[Symbol.iterator] = function () {
        return packetsOf(this);
    };
    Netring.Batch.prototype.packetData = function () {
        return packetData(this);
    };
    Netring.Batch.prototype.bulk = function () {
        return bulkArrays(this);
    };
    Netring.Batch.prototype.records = function () {
        return records(this);
    };
    Netring.PacketView = PacketView;

    for (const name of ['Capture', 'Injector', 'XdpSocket']) {
        const klass = Netring[name];
        if (klass === undefined)
            continue;
        const proto = klass.prototype;
        klass.open = function (props = {}) {
            const obj = new klass(props);
            obj.init(null);
            return obj;
        };
        if (typeof proto.next_batch_timeout === 'function') {
            proto.batches = batches;
            proto.batchesAsync = batchesAsync;
            Gio._promisify(proto, 'next_batch_async', 'next_batch_finish');
            Gio._promisify(proto, 'receive_async', 'receive_finish');
        }
        if (typeof proto.send_many === 'function') {
            proto.sendFrames = sendFrames;
            proto.sendFramesAsync = sendFramesAsync;
            Gio._promisify(proto, 'send_async', 'send_finish');
            Gio._promisify(proto, 'send_many_async', 'send_many_finish');
            Gio._promisify(proto, 'flush_async', 'flush_finish');
            Gio._promisify(proto, 'wait_drained_async', 'wait_drained_finish');
        }
    }
}
