// async_capture.js: count COUNT packets with the ::batch signal, from GJS.
//
// start() attaches the capture's receive source to the main context and
// emits ::batch for every ring block; the block goes back to the kernel when
// the handler returns (the wrapper may live on until the garbage collector
// runs, the ring memory does not). A timeout bounds the run.
//
//   sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \
//       gjs -m examples/async_capture.js eth0 [COUNT [SECONDS]]
//
// Prints "listening on IFACE", then "received N packets in B batches".
//
// gjs calls setlocale(LC_ALL, "") itself at start-up, so "…" and "→" print
// correctly under C.UTF-8 and any other UTF-8 locale.
import GLib from 'gi://GLib';
import Netring from 'gi://Netring?version=1.0';
import System from 'system';

const [iface, countArg, secondsArg] = ARGV;
if (!iface) {
    printerr('usage: async_capture.js INTERFACE [COUNT [SECONDS]]');
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
let packets = 0, batches = 0, suffix = '';
capture.connect('batch', (_capture, batch) => {
    batches++;
    packets = Math.min(wanted, packets + batch.get_n_packets());
    if (packets === wanted)
        loop.quit();
});
GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, seconds, () => {
    suffix = ' (time limit reached)';
    loop.quit();
    return GLib.SOURCE_REMOVE;
});
capture.start();
print(`listening on ${iface}`);
if (wanted > 0)
    loop.run();
capture.stop();
print(`received ${packets} packets in ${batches} batches${suffix}`);
