// test_overrides.mjs: the GJS overrides (gjs/overrides/Netring.js):
// for (const pkt of batch) and batch.packetData() byte for byte against the
// per-packet path, receiver.batches() and for await over
// receiver.batchesAsync() releasing every batch without a gc call,
// sendFrames() and sendFramesAsync() counted on the wire, Capture.open().
// Run through run-in-netns.sh (a private network namespace). TAP output.
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Netring from 'gi://Netring?version=1.0';

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

let pairs = 0;
function makeVeth() {
    pairs++;
    const a = `nrjo${pairs}a`, b = `nrjo${pairs}b`;
    run(['ip', 'link', 'add', a, 'address', '02:00:00:00:00:01', 'type', 'veth',
        'peer', 'name', b, 'address', '02:00:00:00:00:02']);
    run(['ip', 'link', 'set', a, 'up']);
    run(['ip', 'link', 'set', b, 'up']);
    waitUp(a);
    waitUp(b);
    return [a, b];
}

function frame(seq, length) {
    const f = new Uint8Array(length);
    f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5,
        (seq >>> 24) & 0xff, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff]);
    for (let i = 18; i < length; i++)
        f[i] = (seq * 31 + i * 7) & 0xff;
    return f;
}

function assert(cond, what) {
    if (!cond)
        throw new Error(`assertion failed: ${what}`);
}

function sameBytes(x, y) {
    if (x.length !== y.length)
        return false;
    for (let i = 0; i < x.length; i++) {
        if (x[i] !== y[i])
            return false;
    }
    return true;
}

const results = [];
async function test(name, fn) {
    try {
        await fn();
        results.push(`ok ${results.length + 1} - ${name}`);
    } catch (e) {
        results.push(`not ok ${results.length + 1} - ${name}\n# ${e}\n# ${e.stack}`);
    }
}

function smallCapture(ifname) {
    return Netring.Capture.open({
        interface: ifname, block_size: 1 << 16, block_count: 8, block_timeout_ms: 10,
    });
}

async function main() {
    await test('the overrides are loaded', () => {
        assert(typeof Netring.Batch.prototype.packetData === 'function', 'packetData');
        assert(typeof Netring.Capture.open === 'function', 'Capture.open');
        assert(typeof Netring.Injector.prototype.sendFrames === 'function', 'sendFrames');
    });

    await test('sendFrames, batches(), for (pkt of batch) and packetData() byte for byte against the per-packet path; nothing held', () => {
        const [a, b] = makeVeth();
        const cap = smallCapture(b);
        const tx = Netring.Injector.open({interface: a});
        const frames = [];
        for (let s = 0; s < 400; s++)
            frames.push(frame(s, 60 + s % 300));
        const got = [];
        let sent = 0;
        // send in bursts and read what is ready between them, so that a
        // slow sender cannot spread the frames over more blocks than the
        // ring has; the 20 s timeout at the end is a hang guard
        const take = timeoutMs => {
            for (const batch of cap.batches(timeoutMs)) {
                assert(batch.length === batch.get_n_packets() && batch.length > 0, 'length');
                const perPacket = batch.get_packets().map(p => p.get_data());
                const bulk = batch.packetData();
                const views = [...batch];
                const {data, offsets, lengths} = batch.bulk();
                assert(offsets.length === perPacket.length && lengths.length === perPacket.length,
                    'bulk counts');
                for (let i = 0; i < offsets.length; i++) {
                    assert(sameBytes(data.subarray(offsets[i], offsets[i] + lengths[i]),
                        perPacket[i]), `bulk ${got.length + i}`);
                }
                assert(bulk.length === perPacket.length && views.length === perPacket.length,
                    'counts');
                for (let i = 0; i < bulk.length; i++) {
                    assert(sameBytes(bulk[i], perPacket[i]), `packetData ${got.length + i}`);
                    assert(sameBytes(views[i].data, perPacket[i]), `pkt.data ${got.length + i}`);
                    assert(views[i].capturedLength === perPacket[i].length, 'capturedLength');
                    assert(views[i].wireLength === perPacket[i].length, 'wireLength');
                    assert(typeof views[i].timestampNs === 'bigint' && views[i].timestampUs > 0,
                        'timestamp');
                }
                got.push(...bulk);
                if (got.length >= frames.length)
                    break;
            }
        };
        while (sent < frames.length) {
            const n = tx.sendFrames(frames.slice(sent, sent + 50));
            assert(n > 0, 'progress');
            sent += n;
            tx.flush();
            take(0);
        }
        assert(tx.wait_drained(5000, null), 'drained');
        if (got.length < frames.length)
            take(20000);
        assert(got.length === frames.length, `${got.length} of ${frames.length}`);
        for (let s = 0; s < frames.length; s++)
            assert(sameBytes(got[s], frames[s]), `frame ${s}`);
        // every batch went back when the loop moved on: no gc call
        assert(cap.get_stats().held_batches === 0, `held ${cap.get_stats().held_batches}`);
        cap.close();
        tx.close();
    });

    await test('sendFramesAsync waits for room (more frames than the TX ring) and for await over batchesAsync() receives every one, released as it goes', async () => {
        const [a, b] = makeVeth();
        const cap = Netring.Capture.open({
            interface: b, block_size: 1 << 20, block_count: 16, block_timeout_ms: 10,
        });
        const tx = Netring.Injector.open({interface: a, frame_count: 64});
        const COUNT = 3000;
        const frames = [];
        for (let s = 0; s < COUNT; s++)
            frames.push(frame(s, 64 + s % 100));
        const cancellable = new Gio.Cancellable();
        const hangGuard = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 20000, () => {
            cancellable.cancel();
            return GLib.SOURCE_REMOVE;
        });
        const sending = (async () => {
            const n = await tx.sendFramesAsync(frames, null);
            await tx.flush_async(null);
            await tx.wait_drained_async(10000, null);
            return n;
        })();
        let received = 0, bad = 0;
        for await (const batch of cap.batchesAsync(cancellable)) {
            for (const pkt of batch) {
                if (!sameBytes(pkt.data, frames[received]))
                    bad++;
                received++;
            }
            assert(cap.get_stats().held_batches <= 1, 'one batch at a time');
            if (received >= COUNT)
                break;
        }
        GLib.source_remove(hangGuard);
        assert(await sending === COUNT, 'sendFramesAsync returns every frame');
        assert(received === COUNT && bad === 0, `${received} received, ${bad} differ`);
        assert(cap.get_stats().held_batches === 0, 'nothing held after the loop');
        assert(tx.get_stats().frames_sent === COUNT, `sent ${tx.get_stats().frames_sent}`);
        // and nothing more than what was sent
        let extra = 0;
        for (const batch of cap.batches(100))
            extra += batch.length;
        assert(extra === 0, `${extra} more frames`);
        cap.close();
        tx.close();
    });

    await test('send_many_async promise: cancelled before any frame was queued, it rejects with CANCELLED', async () => {
        const [a] = makeVeth();
        const tx = Netring.Injector.open({interface: a});
        const cancellable = new Gio.Cancellable();
        cancellable.cancel();
        let error = null;
        try {
            await tx.send_many_async(new GLib.Bytes(frame(1, 64)), [64], cancellable);
        } catch (e) {
            error = e;
        }
        assert(error !== null && error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED),
            `${error}`);
        assert(tx.get_stats().frames_sent === 0, 'nothing sent');
        tx.close();
    });
}

const loop = new GLib.MainLoop(null, false);
main().catch(e => results.push(`not ok - ${e}`)).finally(() => loop.quit());
loop.run();
print(`1..${results.length}`);
for (const r of results)
    print(r);
