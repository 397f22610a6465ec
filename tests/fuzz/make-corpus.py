#!/usr/bin/python3
# make-corpus.py: writes the seed inputs of every fuzz target into
# corpus/<target>/seed-*, in the input formats the comments at the top of
# fuzz-<target>.c describe. Deterministic: running it again gives the same
# files. Inputs the fuzzers found (crashes turned regression tests) live
# next to the seeds under other names and are left alone.
#
#   tests/fuzz/make-corpus.py            (from anywhere)

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(bytes(data))


# --------------------------------------------------------------------------
# rx-block: TPACKET_V3 blocks
# --------------------------------------------------------------------------

TP_STATUS_USER = 1
TP_STATUS_LOSING = 4
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
BLOCK_DESC = 48      # sizeof (struct tpacket_block_desc)
HDRLEN = 68          # TPACKET3_HDRLEN


def block(size, packets, seq=1, status=TP_STATUS_USER, mac=82, corrupt=None):
    """A block as the kernel fills it. packets: list of dicts with data and
    optional wire, tci, tpid, status, pkttype."""
    b = bytearray(size)
    off = BLOCK_DESC
    offsets = []
    for p in packets:
        data = p['data']
        total = (mac + len(data) + 7) & ~7
        if off + total > size:
            break
        offsets.append(off)
        struct.pack_into('<IIIIIIHHIIHH', b, off,
                         0, 1700000000, 123456789, len(data), p.get('wire', len(data)),
                         TP_STATUS_USER | p.get('status', 0), mac, mac + 14,
                         0xabcd, p.get('tci', 0), p.get('tpid', 0), 0)
        # sockaddr_ll: family, protocol (network order), ifindex, hatype,
        # pkttype, halen, addr
        struct.pack_into('<H', b, off + 48, 17)
        struct.pack_into('>H', b, off + 50, 0x0800)
        struct.pack_into('<iHBB', b, off + 52, 2, 1, p.get('pkttype', 0), 6)
        b[off + 60:off + 66] = b'\x02\x00\x00\x00\x00\x01'
        b[off + mac:off + mac + len(data)] = data
        off += total
    for i, o in enumerate(offsets[:-1]):
        struct.pack_into('<I', b, o, offsets[i + 1] - o)
    if corrupt == 'next-odd' and len(offsets) > 1:
        struct.pack_into('<I', b, offsets[0], offsets[1] - offsets[0] + 4)
    if corrupt == 'next-out' and offsets:
        struct.pack_into('<I', b, offsets[-1], size)
    if corrupt == 'mac-small' and offsets:
        struct.pack_into('<H', b, offsets[-1] + 24, 40)
    if corrupt == 'snap-big' and offsets:
        struct.pack_into('<I', b, offsets[-1] + 12, size)
    num = len(offsets) + (3 if corrupt == 'more-announced' else 0)
    struct.pack_into('<IIIIIIQ', b, 0, 3, 0, status, num, BLOCK_DESC, off, seq)
    return b


def ether(n, fill=0x11):
    return bytes([0xff] * 6 + [0x02, 0, 0, 0, 0, 1] + [0x08, 0x00]) + bytes([fill]) * max(0, n - 14)


def rx_block_seeds():
    pkts = [{'data': ether(60)}, {'data': ether(98, 0x22), 'wire': 1514},
            {'data': ether(42, 0x33), 'status': TP_STATUS_VLAN_VALID, 'tci': 100},
            {'data': ether(8, 0x44), 'status': TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID,
             'tci': 0x2005, 'tpid': 0x88a8, 'pkttype': 4}]
    write('rx-block', 'one-block', [0] + list(block(1024, pkts)))
    write('rx-block', 'empty-block', [0] + list(block(256, [])))
    for c in ['next-odd', 'next-out', 'mac-small', 'snap-big', 'more-announced']:
        write('rx-block', 'corrupt-' + c, [0] + list(block(512, pkts, corrupt=c)))
    ring = block(512, pkts[:2], seq=7) + block(512, pkts[2:], seq=8, status=TP_STATUS_USER | TP_STATUS_LOSING)
    write('rx-block', 'two-blocks', [1] + list(ring))
    ring = (block(256, pkts[:1], seq=1) + block(256, pkts[1:2], seq=5) +
            block(256, pkts[2:3], seq=3) + block(256, pkts[3:], seq=4, status=0))
    write('rx-block', 'four-blocks-gaps', [3] + list(ring))


# --------------------------------------------------------------------------
# xsk-walk and xsk-rings
# --------------------------------------------------------------------------

FILL, RX_SPARE, RX_HELD = 1, 0, 2


def xsk_walk_seeds():
    # frame 4096, 8 frames, 4 RX, ring of 8, walk 8 from index 0xfffffffe
    states = [FILL, FILL, RX_HELD, FILL, 3, 3, 4, 5]
    descs = [(0 * 4096 + 256, 64), (1 * 4096 + 256, 3840), (2 * 4096 + 256, 60),
             (3 * 4096 + 4000, 200), (5 * 4096, 60), (1 * 4096, 10), (0, 0), (2 ** 63, 1)]
    data = bytearray([1, 7, 4, 3, 8]) + struct.pack('<I', 0xfffffffe) + bytes(states)
    for a, l in descs:
        data += struct.pack('<QII', a, l, 0)
    write('xsk-walk', 'mixed', data)
    # every descriptor good, 2048-byte frames, 16 frames all RX
    states = [FILL] * 16
    data = bytearray([0, 15, 16, 4, 16]) + struct.pack('<I', 5) + bytes(states)
    for i in range(16):
        data += struct.pack('<QII', i * 2048 + 256, 1 + i * 100, 0)
    write('xsk-walk', 'all-good', data)
    # going round the ring twice: the second pass sees held frames
    states = [FILL] * 4
    data = bytearray([1, 3, 4, 2, 8]) + struct.pack('<I', 0) + bytes(states)
    for i in range(4):
        data += struct.pack('<QII', i * 4096 + 256, 100, 0)
    write('xsk-walk', 'twice-round', data)


# operation codes of fuzz-xsk-rings.c
REFILL, RX_TAKE, RX_RELEASE, RX_RELEASE_ADDR, TX_RESERVE, TX_ABORT, TX_SUBMIT = 0, 1, 2, 3, 4, 5, 6
TX_REAP, READY, K_FILL, K_RECV, K_TX, K_COMPLETE, K_LIE = 8, 9, 10, 11, 13, 14, 15


def lie(ring, producer, raw):
    """The K_LIE selector byte that moves an index of ring (0 fill, 1 comp,
    2 rx, 3 tx): the producer or the consumer, to a raw u32 or by a delta."""
    for b in range(256):
        if (b % 5 == 3 and (b >> 3) & 3 == ring and bool(b & 0x20) == producer
                and bool(b & 0x40) == raw):
            return b
    raise ValueError


def xsk_rings_seeds():
    # rx-tx, 8 frames of 4096, indices starting just before the wrap
    ops = bytearray([1, 7, 2]) + struct.pack('<I', 0xfffffffd)
    for _ in range(3):
        ops += bytes([K_FILL, 3])                                  # kernel takes 4 fill entries
        ops += bytes([K_RECV, 0, 1]) + struct.pack('<H', 59)       # receive 60 bytes after headroom
        ops += bytes([K_RECV, 1, 0]) + struct.pack('<H', 999)
        ops += bytes([RX_TAKE, 7])
        ops += bytes([TX_RESERVE, 0xab])
        ops += bytes([TX_SUBMIT, 0]) + struct.pack('<HH', 60, 0)   # own frame at its base
        ops += bytes([TX_SUBMIT, 100]) + struct.pack('<HH', 60, 0) # forward a received frame
        ops += bytes([K_TX, 7, K_COMPLETE, 0, K_COMPLETE, 1, TX_REAP])
        ops += bytes([RX_RELEASE, 0, RX_RELEASE_ADDR, 0]) + struct.pack('<H', 300)
        ops += bytes([READY])
    write('xsk-rings', 'honest-rx-tx', ops)

    # rx only, 16 frames of 2048; a lying kernel
    ops = bytearray([0, 15, 0]) + struct.pack('<I', 0)
    ops += bytes([K_FILL, 7, K_RECV, 0, 2]) + struct.pack('<H', 5000)   # too long: recycled
    ops += bytes([RX_TAKE, 10])
    ops += bytes([K_LIE, 0]) + struct.pack('<QH', 4 * 2048 + 1, 100)    # descriptor for a frame in the fill ring
    ops += bytes([K_LIE, 1]) + struct.pack('<Q', 12345)                 # completion for nothing
    ops += bytes([K_LIE, lie(0, True, False), 0x7f])                    # fill producer moved
    ops += bytes([K_LIE, lie(2, True, False), 0x80])                    # rx producer moved back
    ops += bytes([RX_TAKE, 63, REFILL, TX_REAP, READY])
    write('xsk-rings', 'lying-kernel', ops)

    # tx only, 4 frames of 4096: ring full, aborts, bad submits
    ops = bytearray([1, 3, 1]) + struct.pack('<I', 1 << 31)
    ops += bytes([TX_RESERVE, 1, TX_RESERVE, 2, TX_RESERVE, 3, TX_RESERVE, 4, TX_RESERVE, 5])
    ops += bytes([TX_ABORT, 0, TX_ABORT, 0xff]) + struct.pack('<Q', 4096 * 9)
    ops += bytes([TX_SUBMIT, 1]) + struct.pack('<HH', 4097, 0)           # too long
    ops += bytes([TX_SUBMIT, 1]) + struct.pack('<HH', 96, 4050)          # runs past the chunk
    ops += bytes([TX_SUBMIT, 0xff]) + struct.pack('<HHQ', 10, 0, 4 * 3 + 1)  # not held
    ops += bytes([TX_SUBMIT, 0]) + struct.pack('<HH', 1500, 0)
    ops += bytes([K_TX, 0, K_COMPLETE, 0, K_COMPLETE, 0, TX_REAP, TX_RESERVE, 6])
    ops += bytes([K_LIE, lie(3, False, True)]) + struct.pack('<I', 0)     # tx consumer anywhere
    ops += bytes([TX_SUBMIT, 0]) + struct.pack('<HH', 1500, 0)
    write('xsk-rings', 'tx-only', ops)


# --------------------------------------------------------------------------
# bpf-text and bpf-snap
# --------------------------------------------------------------------------

# tcpdump -ddd 'ip and udp port 53' style program (Ethernet)
UDP53 = [(40, 0, 0, 12), (21, 0, 8, 2048), (48, 0, 0, 23), (21, 0, 6, 17),
         (40, 0, 0, 20), (69, 4, 0, 8191), (177, 0, 0, 14), (72, 0, 0, 14),
         (21, 0, 1, 53), (6, 0, 0, 262144), (6, 0, 0, 0)]
# returns a computed length: A = packet length - 14, RET A
RET_A = [(128, 0, 0, 0), (20, 0, 0, 14), (21, 1, 0, 0), (22, 0, 0, 0), (6, 0, 0, 0)]


def text(prog, sep=' ', eol='\n'):
    return (str(len(prog)) + eol + eol.join(sep.join(str(v) for v in i) for i in prog) + eol).encode()


def bpf_text_seeds():
    write('bpf-text', 'tcpdump', text(UDP53))
    write('bpf-text', 'iptables-commas', (str(len(RET_A)) + ',' + ','.join(' '.join(str(v) for v in i) for i in RET_A)).encode())
    write('bpf-text', 'crlf-comments', b'# a filter\r\n\r\n' + text(RET_A, '\t', '\r\n') + b'# end\r\n')
    write('bpf-text', 'count-mismatch', b'3\n6 0 0 1\n')
    write('bpf-text', 'more-than-count', b'1\n6 0 0 1\n6 0 0 2\n')
    write('bpf-text', 'too-long', b'4097\n6 0 0 1\n')
    write('bpf-text', 'out-of-range', b'1\n6 256 0 1\n')
    write('bpf-text', 'huge-count', b'99999999999999999999999\n')


def program(prog):
    return b''.join(struct.pack('<HBBI', *i) for i in prog)


def ipv4_udp(n):
    p = bytearray(n)
    p[0:12] = b'\xff' * 6 + b'\x02\x00\x00\x00\x00\x01'
    p[12:14] = b'\x08\x00'
    p[14] = 0x45
    p[23] = 17
    p[34:36] = struct.pack('>H', 1234)
    p[36:38] = struct.pack('>H', 53)
    return bytes(p)


def bpf_snap_seeds():
    pkt = ipv4_udp(120)
    # snap (u16) 96, a 120-byte packet of 1514 on the wire, tcpdump's program
    write('bpf-snap', 'udp53-snap96', bytes([2]) + struct.pack('<HHH', 96, 120, 1394) + pkt + program(UDP53))
    write('bpf-snap', 'udp53-nosnap', bytes([0]) + struct.pack('<HH', 120, 0) + pkt + program(UDP53))
    write('bpf-snap', 'ret-a-snap64', bytes([1, 64]) + struct.pack('<HH', 120, 0) + pkt + program(RET_A))
    write('bpf-snap', 'ret-a-snap-big', bytes([3]) + struct.pack('<IHH', 1 << 20, 120, 0) + pkt + program(RET_A))
    write('bpf-snap', 'ret-x', bytes([1, 10]) + struct.pack('<HH', 0, 0) + program([(0, 0, 0, 5), (7, 0, 0, 0), (14, 0, 0, 0)]))
    write('bpf-snap', 'no-program', bytes([1, 77]) + struct.pack('<HH', 20, 0) + pkt[:20])
    # scratch memory, jumps, ALU: repaired from bytes that are almost a program
    prog = [(2, 0, 0, 3), (0, 0, 0, 100), (96, 0, 0, 3), (12, 0, 0, 0), (37, 1, 0, 50),
            (22, 0, 0, 0), (6, 0, 0, 40)]
    write('bpf-snap', 'scratch-repair', bytes([4 | 2]) + struct.pack('<HHH', 50, 60, 0) + pkt[:60] + program(prog))


# --------------------------------------------------------------------------
# pcap
# --------------------------------------------------------------------------

def pcap_packet(flags, data, wire, ts, tci=0, tpid=0, pkttype=0, iface=0):
    return (bytes([flags]) + struct.pack('<HIqHHBB', len(data), wire, ts, tci, tpid, pkttype, iface) + data)


def pcap_seeds():
    eth = ether(60)
    pkts = (pcap_packet(0, eth, 0, 1700000000123456789) +
            pcap_packet(1, eth[:40], 1000, 1700000000999999999, tci=0x0064) +
            pcap_packet(3, ether(14), 4, 5, tci=7, tpid=0x88a8, pkttype=4) +
            pcap_packet(1, eth[:11], 0, -5, tci=9) +                     # too short for a tag
            pcap_packet(8, eth, 0xfffffffe, (1 << 62) + 1, pkttype=1) +  # wire near 4 GiB
            pcap_packet(0, b'', 0, 0))
    write('pcap', 'usec-ethernet', bytes([0, 0, 0]) + pkts)
    write('pcap', 'nsec-snap32', bytes([1, 0, 1, 32]) + pkts)
    write('pcap', 'nsec-raw-snap-huge', bytes([1, 1, 3]) + struct.pack('<I', 0xffffffff) + pkts)
    ng_pkts = (pcap_packet(0, eth, 0, 1700000000123456789, pkttype=0, iface=1) +
               pcap_packet(1 | 4, eth[:30], 0, 42, tci=3, pkttype=3, iface=2) +
               struct.pack('<QQ', 1000, 7) +
               pcap_packet(0, eth[:13], 0, (1 << 63) - 1, pkttype=99, iface=0))
    write('pcap', 'pcapng-3-ifaces', bytes([2, 0, 2, 0x40, 0x00, 2, 5]) + b'fuzz!' +
          bytes([4]) + b'eth0' + bytes([0]) + bytes([15]) + b'a-very-long-nam' + ng_pkts)
    write('pcap', 'pcapng-sll', bytes([2, 2, 0, 0, 0, 0]) + ng_pkts)


# --------------------------------------------------------------------------
# iface: rtnetlink answers
# --------------------------------------------------------------------------

def rta(t, payload):
    n = 4 + len(payload)
    return struct.pack('<HH', n, t) + payload + bytes((4 - n % 4) % 4)


def nlmsg(t, seq, payload, flags=0):
    n = 16 + len(payload)
    return struct.pack('<IHHII', n, t, flags, seq, 1234) + payload + bytes((4 - n % 4) % 4)


def newlink(index, attrs, flags=0x11043):
    return nlmsg(16, 1, struct.pack('<BBHiII', 0, 0, 1, index, flags, 0) + b''.join(attrs))


def iface_seeds():
    attrs = [rta(3, b'veth0\0'), rta(4, struct.pack('<I', 1500)),
             rta(1, b'\x02\x00\x00\x00\x00\x01'), rta(16, b'\x06'), rta(33, b'\x01'),
             rta(30, struct.pack('<I', 2)), rta(32, struct.pack('<I', 4)),
             rta(31, struct.pack('<I', 4)), rta(5, struct.pack('<I', 7)),
             rta(18, rta(1, b'veth')),
             rta(43, rta(2, b'\x01') + rta(4, struct.pack('<I', 42)) + rta(5, struct.pack('<I', 42)))]
    head = struct.pack('<Iii', 1, 7, 0x1043)
    write('iface', 'veth', head + newlink(7, attrs))
    # another sequence number and another interface first, then ours
    write('iface', 'others-first', head + nlmsg(16, 2, bytes(16)) + newlink(8, attrs[:3]) + newlink(7, attrs[3:]))
    write('iface', 'error', head + nlmsg(2, 1, struct.pack('<i', -19) + bytes(16)))
    write('iface', 'error-short', head + nlmsg(2, 1, struct.pack('<i', -19)))
    write('iface', 'own-link', head + newlink(7, [rta(5, struct.pack('<I', 7)), rta(1, bytes(40)),
                                                  rta(18, rta(1, b'k' * 40)), rta(43, b'')]))
    # an attribute whose length runs past the message
    bad = bytearray(newlink(7, attrs[:2]))
    struct.pack_into('<H', bad, 32, 200)
    write('iface', 'attr-overrun', head + bytes(bad))


rx_block_seeds()
xsk_walk_seeds()
xsk_rings_seeds()
bpf_text_seeds()
bpf_snap_seeds()
pcap_seeds()
iface_seeds()
