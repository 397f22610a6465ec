// test_release.js: in GJS a batch wrapper lives until the garbage collector
// runs, but the batch handed to ::batch gives its ring block back when the
// handler returns: with the low-memory profile (16 blocks) 100,000 of
// 100,000 frames arrive, without a gc call, while a paced sender (so that
// only blocks held by wrappers could make the kernel drop) sends them with
// send_many. Also: a wrapper kept past the handler reads as released and
// empty. Run through run-in-netns.sh. TAP output.
imports.gi.versions.Netring = '1.0';
const {GLib, Netring} = imports.gi;

const COUNT = 100000;
const LENGTH = 100;
const BURST = 500;

function run(argv) {
    const [, , , status] = GLib.spawn_sync(null, argv, null, GLib.SpawnFlags.SEARCH_PATH,
        null);
    if (status !== 0)
        throw new Error(`${argv.join(' ')} failed`);
}

function waitUp(ifname) {
    const deadline = GLib.get_monotonic_time() + 10 * 1000000;
    while (GLib.get_monotonic_time() < deadline) {
        const [, out] = GLib.spawn_sync(null, ['ip', '-o', 'link', 'show', 'dev', ifname],
            null, GLib.SpawnFlags.SEARCH_PATH, null);
        const text = new TextDecoder().decode(out);
        if (text.includes('LOWER_UP') && text.includes('state UP') && !text.includes('qdisc noop'))
            return;
        GLib.usleep(1000); // pacing of the poll
    }
    throw new Error(`${ifname} did not come up`);
}

function fillFrame(f, at, seq) {
    f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5,
        (seq >>> 24) & 0xff, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff], at);
    for (let i = 18; i < LENGTH; i++)
        f[at + i] = (seq * 31 + i * 7) & 0xff;
}

const results = [];
function test(name, fn) {
    try {
        fn();
        results.push(`ok ${results.length + 1} - ${name}`);
    } catch (e) {
        results.push(`not ok ${results.length + 1} - ${name}\n# ${e}\n# ${e.stack}`);
    }
}

test('100,000 of 100,000 with the low-memory profile and no gc call', () => {
    run(['ip', 'link', 'add', 'nrjr0', 'address', '02:00:00:00:00:01', 'type', 'veth',
        'peer', 'name', 'nrjr1', 'address', '02:00:00:00:00:02']);
    run(['ip', 'link', 'set', 'nrjr0', 'up']);
    run(['ip', 'link', 'set', 'nrjr1', 'up']);
    waitUp('nrjr0');
    waitUp('nrjr1');

    const capture = new Netring.Capture({
        interface: 'nrjr1', profile: Netring.RingProfile.LOW_MEMORY, block_timeout_ms: 10,
    });
    capture.init(null);
    const injector = Netring.Injector.new('nrjr0');

    const loop = new GLib.MainLoop(null, false);
    const wrappers = [];
    let received = 0, bad = 0;
    capture.connect('batch', (_capture, batch) => {
        for (const p of batch.get_packets()) {
            const d = p.get_data();
            const seq = ((d[14] << 24) | (d[15] << 16) | (d[16] << 8) | d[17]) >>> 0;
            if (d.length !== LENGTH || seq !== received || d[LENGTH - 1] !== ((seq * 31 + (LENGTH - 1) * 7) & 0xff))
                bad++;
            received++;
        }
        if (wrappers.length < 4)
            wrappers.push(batch); // a reference, not a keep
        if (received >= COUNT)
            loop.quit();
    });
    capture.start();

    // paced: one burst per millisecond (500,000 frames/s at most), far
    // below what the ring absorbs when nothing holds its blocks
    const buffer = new Uint8Array(BURST * LENGTH);
    const lengths = new Array(BURST).fill(LENGTH);
    let next = 0;
    const pacer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 1, () => {
        const n = Math.min(BURST, COUNT - next);
        for (let i = 0; i < n; i++)
            fillFrame(buffer, i * LENGTH, next + i);
        let queued = 0;
        try {
            queued = injector.send_many(new GLib.Bytes(buffer.subarray(0, n * LENGTH)),
                lengths.slice(0, n));
        } catch (e) {
            if (!e.matches(imports.gi.Gio.io_error_quark(), imports.gi.Gio.IOErrorEnum.WOULD_BLOCK))
                throw e;
        }
        next += queued;
        injector.flush();
        return next < COUNT ? GLib.SOURCE_CONTINUE : GLib.SOURCE_REMOVE;
    });
    const timeout = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 60000, () => {
        loop.quit();
        return GLib.SOURCE_REMOVE;
    });
    loop.run();
    GLib.source_remove(timeout);
    if (next < COUNT)
        GLib.source_remove(pacer);
    capture.stop();

    const stats = capture.get_stats();
    if (received !== COUNT || bad !== 0 || stats.drops !== 0)
        throw new Error(`received ${received} of ${COUNT}, ${bad} wrong: ${stats.to_string()}`);
    if (stats.held_batches !== 0)
        throw new Error(`held after the handlers: ${stats.to_string()}`);
    for (const batch of wrappers) {
        if (!batch.is_released() || batch.get_n_packets() !== 0 ||
            batch.get_packets().length !== 0)
            throw new Error('a wrapper kept past the handler still has packets');
    }
    run(['ip', 'link', 'del', 'nrjr0']);
});

print(`1..${results.length}`);
results.forEach(r => print(r));
if (results.some(r => r.startsWith('not ok')))
    imports.system.exit(1);
