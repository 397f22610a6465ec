/* capture.vala: print the first 100 packets on an interface, from Vala.
 *
 *   sudo ./example-capture-vala eth0
 */
int main (string[] args) {
    if (args.length < 2) {
        stderr.printf ("usage: %s INTERFACE\n", args[0]);
        return 1;
    }

    Netring.Capture capture;
    try {
        capture = new Netring.Capture (args[1]);
    } catch (Error e) {
        stderr.printf ("cannot open %s: %s\n", args[1], e.message);
        return 1;
    }

    var loop = new MainLoop ();
    uint seen = 0;

    capture.packet.connect ((packet) => {
        print ("[%u] %" + int64.FORMAT + " ns len=%u wire=%u\n", seen,
               packet.get_timestamp (), packet.get_captured_length (),
               packet.get_wire_length ());
        if (++seen == 100) {
            capture.stop ();
            loop.quit ();
        }
    });

    try {
        capture.start ();
    } catch (Error e) {
        stderr.printf ("cannot start: %s\n", e.message);
        return 1;
    }
    loop.run ();

    try {
        var stats = capture.get_stats ();
        print ("%s\n", stats.to_string ());
    } catch (Error e) {
        stderr.printf ("cannot read statistics: %s\n", e.message);
        return 1;
    }
    return 0;
}
