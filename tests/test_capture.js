// test_capture.js: Netring through the typelib in GJS. Frames sent with
// Netring.Injector on one end of a veth pair are captured with
// Netring.Capture and its ::batch signal on the other, byte for byte; 64-bit
// values that JavaScript cannot hold exactly have microsecond twins.
// Run through run-in-netns.sh (a private network namespace). TAP output.
imports.gi.versions.Netring = '1.0';
const {GLib, Netring} = imports.gi;

const COUNT = 300;
const LENGTH = 100;

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
        // "state UP" and an active qdisc come from the link watcher in one
        // step under the RTNL lock, under which ip's query is answered too;
        // "qdisc noop" means the qdisc would still drop frames
        const text = new TextDecoder().decode(out);
        if (text.includes('LOWER_UP') && text.includes('state UP') && !text.includes('qdisc noop'))
            return;
        GLib.usleep(1000); // pacing of the poll
    }
    throw new Error(`${ifname} did not come up`);
}

function frame(seq) {
    const f = new Uint8Array(LENGTH);
    f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5,
        (seq >>> 24) & 0xff, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff]);
    for (let i = 18; i < LENGTH; i++)
        f[i] = (seq * 31 + i * 7) & 0xff;
    return f;
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

test('frames injected on one end are captured byte for byte through ::batch', () => {
    run(['ip', 'link', 'add', 'nrjs0', 'address', '02:00:00:00:00:01', 'type', 'veth',
        'peer', 'name', 'nrjs1', 'address', '02:00:00:00:00:02']);
    run(['ip', 'link', 'set', 'nrjs0', 'up']);
    run(['ip', 'link', 'set', 'nrjs1', 'up']);
    waitUp('nrjs0');
    waitUp('nrjs1');

    const capture = new Netring.Capture({
        interface: 'nrjs1', block_size: 1 << 16, block_count: 8, block_timeout_ms: 10,
    });
    capture.init(null);
    const injector = Netring.Injector.new('nrjs0');

    const loop = new GLib.MainLoop(null, false);
    const got = [];
    let lastUs = 0;
    capture.connect('batch', (_capture, batch) => {
        for (const p of batch.get_packets()) {
            const us = p.get_timestamp_us();
            if (us < lastUs)
                throw new Error('timestamps went backwards');
            lastUs = us;
            got.push(p.get_bytes().toArray());
        }
        if (got.length >= COUNT)
            loop.quit();
    });
    capture.start();
    for (let seq = 0; seq < COUNT; seq++)
        injector.send(frame(seq));
    injector.flush();
    const timeout = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 5000, () => {
        loop.quit();
        return GLib.SOURCE_REMOVE;
    });
    loop.run();
    GLib.source_remove(timeout);
    capture.stop();

    if (got.length !== COUNT)
        throw new Error(`received ${got.length} of ${COUNT}`);
    got.forEach((data, seq) => {
        const want = frame(seq);
        if (data.length !== LENGTH || data.some((b, i) => b !== want[i]))
            throw new Error(`frame ${seq} differs`);
    });
    const stats = capture.get_stats();
    if (stats.received !== COUNT || stats.drops !== 0)
        throw new Error(`stats: ${stats.to_string()}`);
    if (injector.get_stats().frames_sent !== COUNT)
        throw new Error('injector did not count every frame as sent');
    run(['ip', 'link', 'del', 'nrjs0']);
});

test('an unknown interface throws a NETRING_ERROR', () => {
    try {
        Netring.Capture.new('nr-no-such0');
    } catch (e) {
        if (!e.matches(Netring.error_quark(), Netring.Error.NO_SUCH_INTERFACE))
            throw e;
        return;
    }
    throw new Error('no error');
});

print(`1..${results.length}`);
results.forEach(r => print(r));
if (results.some(r => r.startsWith('not ok')))
    imports.system.exit(1);
