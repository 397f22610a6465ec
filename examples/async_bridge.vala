/* async_bridge.vala: a transparent bridge between two interfaces until
 * Ctrl-C (or SECONDS), from Vala, with the counters printed every second.
 *
 * run_async() is a Vala async method: `yield bridge.run_async (cancellable)`
 * forwards in the main loop until the cancellable is cancelled, which is
 * how a run ends (it returns true). SIGINT cancels; every frame the bridge
 * took is in one of the counters (received = forwarded + dropped +
 * too large + rejected + in flight).
 *
 *   valac --pkg netring-1.0 --pkg gio-2.0 --pkg posix async_bridge.vala
 *   sudo ./example-async_bridge-vala eth0 eth1 [SECONDS]   (then Ctrl-C)
 *
 * Prints "listening on A ⇄ B", a line of counters every second, and at the
 * end "A → B: R received, F forwarded, I in flight" and the same for B → A.
 */
async void forward (Netring.Bridge bridge, Cancellable cancellable, MainLoop loop) {
    try {
        yield bridge.run_async (cancellable);
    } catch (Error e) {
        stderr.printf ("%s\n", e.message);
    }
    loop.quit ();
}

int main (string[] args) {
    Intl.setlocale (LocaleCategory.ALL, "");
    if (args.length < 3) {
        stderr.printf ("usage: %s INTERFACE_A INTERFACE_B [SECONDS]\n", args[0]);
        return 1;
    }
    string a = args[1];
    string b = args[2];

    Netring.Bridge bridge;
    try {
        bridge = new Netring.Bridge (a, b);
    } catch (Error e) {
        stderr.printf ("%s\n", e.message);
        return 1;
    }

    var loop = new MainLoop ();
    var cancellable = new Cancellable ();
    Unix.signal_add (Posix.Signal.INT, () => {
        stderr.printf ("interrupted, shutting down\n");
        cancellable.cancel ();
        return Source.REMOVE;
    });
    if (args.length > 3) {
        Timeout.add_seconds ((uint) uint64.parse (args[3]), () => {
            stderr.printf ("time limit reached, shutting down\n");
            cancellable.cancel ();
            return Source.REMOVE;
        });
    }
    Timeout.add_seconds (1, () => {
        try {
            print ("%s\n", bridge.get_stats ().to_string ());
            stdout.flush ();
        } catch (Error e) {
            stderr.printf ("%s\n", e.message);
        }
        return Source.CONTINUE;
    });

    forward.begin (bridge, cancellable, loop);
    print ("listening on %s ⇄ %s, Ctrl-C to stop\n", a, b);
    stdout.flush ();
    loop.run ();

    Netring.BridgeStats stats;
    try {
        stats = bridge.get_stats ();
    } catch (Error e) {
        stderr.printf ("cannot read the statistics: %s\n", e.message);
        return 1;
    }
    print ("%s → %s: %" + uint64.FORMAT + " received, %" + uint64.FORMAT + " forwarded, %"
           + uint64.FORMAT + " in flight\n", a, b, stats.a_to_b_received,
           stats.a_to_b_forwarded, stats.a_to_b_in_flight);
    print ("%s → %s: %" + uint64.FORMAT + " received, %" + uint64.FORMAT + " forwarded, %"
           + uint64.FORMAT + " in flight\n", b, a, stats.b_to_a_received,
           stats.b_to_a_forwarded, stats.b_to_a_in_flight);
    return 0;
}
