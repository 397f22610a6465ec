// async_inject.js: COUNT frames through a 64-frame TX ring, with backpressure, from GJS.
//
// send_async() (promisified with Gio._promisify) resolves at once while the
// ring has room and waits for the kernel to hand slots back when it is full;
// awaiting each send keeps the frames in order. flush() every 32 frames,
// then wait_drained_async() for the last ones.
//
//   sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \
//       gjs -m examples/async_inject.js eth0 [COUNT]
//
// Sends broadcast frames with EtherType 0x88b5 numbered 0…COUNT-1 and prints
// "N frames in … s; kernel sent S, rejected R".
//
// gjs calls setlocale(LC_ALL, "") itself at start-up, so "…" and "→" print
// correctly under C.UTF-8 and any other UTF-8 locale.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Netring from 'gi://Netring?version=1.0';
import System from 'system';

Gio._promisify(Netring.Injector.prototype, 'send_async', 'send_finish');
Gio._promisify(Netring.Injector.prototype, 'wait_drained_async', 'wait_drained_finish');

const FLUSH_EVERY = 32;

function frame(seq) {
    const f = new Uint8Array(64).fill(0x5a);
    f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5,
        (seq >>> 24) & 0xff, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff]);
    return new GLib.Bytes(f);
}

const [iface, countArg] = ARGV;
if (!iface) {
    printerr('usage: async_inject.js INTERFACE [COUNT]');
    System.exit(1);
}
const wanted = countArg ? Number(countArg) : 1000;

// a deliberately small ring, so that backpressure really happens
const injector = new Netring.Injector({interface: iface, frame_count: 64});
try {
    injector.init(null);
} catch (e) {
    printerr(`cannot open ${iface}: ${e.message}`);
    System.exit(1);
}

let sent = 0;
async function run() {
    for (; sent < wanted; sent++) {
        await injector.send_async(frame(sent), null);
        if ((sent + 1) % FLUSH_EVERY === 0)
            injector.flush();
    }
    injector.flush();
    await injector.wait_drained_async(1000, null);
}

const loop = new GLib.MainLoop(null, false);
const start = GLib.get_monotonic_time();
let failure = null;
run().catch(e => {
    failure = e;
}).finally(() => loop.quit());
loop.run();
if (failure) {
    printerr(`after ${sent} frames: ${failure.message}`);
    System.exit(1);
}
const seconds = (GLib.get_monotonic_time() - start) / 1e6;
injector.close();
const stats = injector.get_stats();
print(`${sent} frames in ${seconds.toFixed(3)} s; kernel sent ${stats.frames_sent}, ` +
    `rejected ${stats.frames_rejected}`);
System.exit(stats.frames_rejected > 0 ? 1 : 0);
