/* test-vala-capture.vala: the VAPI in use. Compiles against netring-1.0.vapi,
 * creates a veth pair in a private network namespace, sends frames with a
 * plain packet socket and captures them with Netring.Capture and the ::batch
 * signal, checking every byte. Exit 77 when not privileged. */

[CCode (cname = "unshare")]
extern int unshare (int flags);

const int CLONE_NEWNET = 0x40000000;
const int COUNT = 200;
const int LENGTH = 90;

uint8[] make_frame (uint32 seq, int length) {
    var f = new uint8[length];
    uint8[] dst = { 2, 0, 0, 0, 0, 2 };
    uint8[] src = { 2, 0, 0, 0, 0, 1 };
    for (int i = 0; i < 6; i++) {
        f[i] = dst[i];
        f[6 + i] = src[i];
    }
    f[12] = 0x88;
    f[13] = 0xb5;
    f[14] = (uint8) (seq >> 24);
    f[15] = (uint8) (seq >> 16);
    f[16] = (uint8) (seq >> 8);
    f[17] = (uint8) seq;
    for (int i = 18; i < length; i++)
        f[i] = (uint8) (seq * 31 + i * 7);
    return f;
}

/* The carrier comes up asynchronously after "ip link set up"; frames sent
 * before it are dropped by the noop qdisc. */
void wait_carrier (string ifname) throws Error {
    var deadline = get_monotonic_time () + 10 * TimeSpan.SECOND;
    while (get_monotonic_time () < deadline) {
        string output;
        int status;
        Process.spawn_sync (null, { "ip", "-o", "link", "show", "dev", ifname }, null,
                            SpawnFlags.SEARCH_PATH, null, out output, null, out status);
        /* "state UP" and an active qdisc come from the link watcher in one
         * step under the RTNL lock, under which ip's query is answered too;
         * "qdisc noop" means the qdisc would still drop frames */
        if (output.contains ("LOWER_UP") && output.contains ("state UP") &&
            !output.contains ("qdisc noop"))
            return;
        Thread.usleep (1000); /* pacing of the poll */
    }
    throw new IOError.TIMED_OUT ("%s did not come up", ifname);
}

void run (string[] argv) throws Error {
    int status;
    Process.spawn_sync (null, argv, null, SpawnFlags.SEARCH_PATH, null, null, null, out status);
    Process.check_wait_status (status);
}

int main (string[] args) {
    if (unshare (CLONE_NEWNET) != 0) {
        print ("SKIP: needs CAP_SYS_ADMIN to create a network namespace\n");
        return 77;
    }
    /* IPv6 off, so the kernel sends nothing of its own on the pair (not
     * FileUtils.set_contents: it writes a temporary file and renames it,
     * which procfs refuses) */
    foreach (var conf in new string[] { "all", "default" }) {
        var f = FileStream.open ("/proc/sys/net/ipv6/conf/%s/disable_ipv6".printf (conf), "w");
        if (f != null)
            f.puts ("1");
    }

    try {
        run ({ "ip", "link", "add", "nrvala0", "address", "02:00:00:00:00:01", "type", "veth",
               "peer", "name", "nrvala1", "address", "02:00:00:00:00:02" });
        run ({ "ip", "link", "set", "nrvala0", "up" });
        run ({ "ip", "link", "set", "nrvala1", "up" });
        wait_carrier ("nrvala0");
        wait_carrier ("nrvala1");

        var capture = (Netring.Capture) Object.new (typeof (Netring.Capture),
                                                    interface: "nrvala1",
                                                    block_size: 1u << 16,
                                                    block_count: 8u,
                                                    block_timeout_ms: 10);
        capture.init (null);

        var loop = new MainLoop ();
        uint received = 0;
        uint bad = 0;
        capture.batch.connect ((batch) => {
            foreach (var packet in batch.get_packets ()) {
                unowned uint8[] data = packet.get_data ();
                var expected = make_frame (received, LENGTH);
                if (data.length != LENGTH || Memory.cmp (data, expected, LENGTH) != 0)
                    bad++;
                received++;
            }
            if (received >= COUNT)
                loop.quit ();
        });
        capture.start ();

        var ifindex = capture.ifindex;
        /* send from the other end with a plain packet socket, not the library */
        int fd = Posix.socket (17, Posix.SOCK_RAW, 0);
        uint8 sll[20];
        Posix.memset (sll, 0, 20);
        sll[0] = 17; /* AF_PACKET, little-endian u16 */
        int index0 = (int) Linux.Network.if_nametoindex ("nrvala0");
        sll[4] = (uint8) index0;
        sll[5] = (uint8) (index0 >> 8);
        if (Posix.bind (fd, (Posix.SockAddr *) sll, 20) != 0) {
            printerr ("bind failed\n");
            return 1;
        }
        for (uint32 i = 0; i < COUNT; i++) {
            var f = make_frame (i, LENGTH);
            Posix.send (fd, f, LENGTH, 0);
        }
        Posix.close (fd);

        Timeout.add (5000, () => { loop.quit (); return Source.REMOVE; });
        loop.run ();
        capture.stop ();
        run ({ "ip", "link", "del", "nrvala0" });

        var stats = capture.get_stats ();
        print ("received %u frames on ifindex %d, %u bad; %s\n", received, ifindex, bad,
               stats.to_string ());
        if (received != COUNT || bad != 0 || stats.drops != 0)
            return 1;
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return 1;
    }
    return 0;
}
