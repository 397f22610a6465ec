/* async_capture.vala: count COUNT packets with the ::batch signal, from Vala.
 *
 * The capture runs in the GLib main loop: start() attaches its receive
 * source and emits ::batch for every ring block, which goes back to the
 * kernel when the handler returns (batch.copy_packets() keeps packets
 * beyond it). A timeout bounds the run. Built against netring-1.0.vapi:
 *
 *   valac --pkg netring-1.0 async_capture.vala
 *   sudo ./example-async_capture-vala eth0 [COUNT [SECONDS]]
 *
 * Prints "listening on IFACE", then "received N packets in B batches".
 */
int main (string[] args) {
    Intl.setlocale (LocaleCategory.ALL, "");
    if (args.length < 2) {
        stderr.printf ("usage: %s INTERFACE [COUNT [SECONDS]]\n", args[0]);
        return 1;
    }
    uint64 wanted = args.length > 2 ? uint64.parse (args[2]) : 50;
    uint seconds = args.length > 3 ? (uint) uint64.parse (args[3]) : 60;

    Netring.Capture capture;
    try {
        capture = new Netring.Capture (args[1]);
    } catch (Error e) {
        stderr.printf ("cannot open %s: %s\n", args[1], e.message);
        return 1;
    }

    var loop = new MainLoop ();
    uint64 packets = 0;
    uint64 batches = 0;
    string suffix = "";

    capture.batch.connect ((batch) => {
        batches++;
        packets = uint64.min (wanted, packets + batch.get_n_packets ());
        if (packets == wanted)
            loop.quit ();
    });
    Timeout.add_seconds (seconds, () => {
        suffix = " (time limit reached)";
        loop.quit ();
        return Source.REMOVE;
    });

    try {
        capture.start ();
    } catch (Error e) {
        stderr.printf ("cannot start: %s\n", e.message);
        return 1;
    }
    print ("listening on %s\n", args[1]);
    stdout.flush ();
    if (wanted > 0)
        loop.run ();
    capture.stop ();

    print ("received %" + uint64.FORMAT + " packets in %" + uint64.FORMAT + " batches%s\n",
           packets, batches, suffix);
    return 0;
}
