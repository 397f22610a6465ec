// async_stream.js: a `for await` loop over batches, from GJS.
//
// Gio._promisify() turns next_batch_async/_finish into a method that
// returns a Promise; an async generator awaits one batch at a time and
// yields its packets, so the stream reads as a `for await` loop (the seed's
// PacketStream). A deadline cancels the pending call: it rejects with
// G_IO_ERROR_CANCELLED and the generator ends.
//
//   sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \
//       gjs -m examples/async_stream.js eth0 [COUNT [SECONDS]]
//
// Prints "listening on IFACE", then "received N packets".
//
// gjs calls setlocale(LC_ALL, "") itself at start-up, so "…" and "→" print
// correctly under C.UTF-8 and any other UTF-8 locale.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Netring from 'gi://Netring?version=1.0';
import System from 'system';

Gio._promisify(Netring.Capture.prototype, 'next_batch_async', 'next_batch_finish');

async function* packets(receiver, cancellable) {
    for (;;) {
        let batch;
        try {
            batch = await receiver.next_batch_async(cancellable);
        } catch (e) {
            if (e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
                return;
            throw e;
        }
        // detached copies: the ring block is free as soon as we drop the batch
        yield* batch.copy_packets();
    }
}

const [iface, countArg, secondsArg] = ARGV;
if (!iface) {
    printerr('usage: async_stream.js INTERFACE [COUNT [SECONDS]]');
    System.exit(1);
}
const wanted = countArg ? Number(countArg) : 50;
const seconds = secondsArg ? Number(secondsArg) : 60;

const capture = new Netring.Capture({interface: iface});
try {
    capture.init(null);
} catch (e) {
    printerr(`cannot open ${iface}: ${e.message}`);
    System.exit(1);
}

const loop = new GLib.MainLoop(null, false);
const cancellable = new Gio.Cancellable();
GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, seconds, () => {
    cancellable.cancel();
    return GLib.SOURCE_REMOVE;
});

let received = 0;
async function run() {
    if (wanted > 0) {
        for await (const _packet of packets(capture, cancellable)) {
            if (++received === wanted)
                break;
        }
    }
}

print(`listening on ${iface}`);
let failure = null;
run().catch(e => {
    failure = e;
}).finally(() => loop.quit());
loop.run();
if (failure) {
    printerr(`capture failed: ${failure.message}`);
    System.exit(1);
}
print(`received ${received} packets`);
