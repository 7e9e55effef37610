#!/usr/bin/env python3
"""Write the crafted capture of the ids_frag case and the expected outputs of
the ids_frag, ids_frag_zeek, ids_frag_dns_v4v6, frag_icmp_echo and
frag_dns_v4v6 cases (and the signatures of ids_frag_dns_v4v6), computed
here by a model of IPReassembler (first-seen bytes win on overlaps; a
datagram leaves when its last missing byte arrives, with the completing
fragment's timestamp) and of PatternMatch (substring search of the IP
payload after the TCP/UDP header), not by running mboxsh.

Run from this folder: python3 gen_frag.py [DATA]  (DATA: the shared data
folder, default ../../../../../shared/data).  Outputs are committed.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "data"))
from gen_pcaps import eth, ipv4, udp, tcp  # noqa: E402

CASES = os.path.join(HERE, "..")
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "data")
A = "00:00:00:00:00:01"
B = "00:00:00:00:00:02"
SIGS = [b"cmd.exe", b"/etc/passwd", b"EVILSIG"]


def read_pcap(path):
    with open(path, "rb") as f:
        b = f.read()
    assert struct.unpack("<I", b[:4])[0] == 0xA1B2C3D4
    out, at = [], 24
    while at < len(b):
        s, us, cl, _ = struct.unpack("<IIII", b[at:at + 16])
        out.append(((s, us), b[at + 16:at + 16 + cl]))
        at += 16 + cl
    return out


def write_pcap(path, recs, snaplen=65535):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        for (s, us), fr in recs:
            f.write(struct.pack("<IIII", s, us, len(fr), len(fr)))
            f.write(fr)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frag_info(fr):
    """(key, start, data, mf, headers-to-keep, fix) or None for a whole packet."""
    if len(fr) < 34:
        return None
    et = struct.unpack("!H", fr[12:14])[0]
    if et == 0x0800:
        ip = fr[14:]
        hl = (ip[0] & 15) * 4
        tl = struct.unpack("!H", ip[2:4])[0]
        fo = struct.unpack("!H", ip[6:8])[0]
        if not fo & 0x3FFF:
            return None
        key = (4, ip[12:20], ip[4:6], ip[9])
        return key, (fo & 0x1FFF) * 8, ip[hl:tl], bool(fo & 0x2000), fr[:14 + hl]
    if et == 0x86DD:
        ip = fr[14:]
        pl = struct.unpack("!H", ip[4:6])[0]
        nh, pos, nhpos = ip[6], 40, 6
        while nh in (0, 43, 60):
            nhpos, nh, pos = pos, ip[pos], pos + (ip[pos + 1] + 1) * 8
        if nh != 44:
            return None
        fo = struct.unpack("!H", ip[pos + 2:pos + 4])[0]
        if not fo & 0xFFF9:
            return None
        key = (6, ip[8:40], ip[pos + 4:pos + 8])
        hdr = bytearray(fr[:14 + pos])
        hdr[14 + nhpos] = ip[pos]
        return key, fo & 0xFFF8, ip[pos + 8:40 + pl], bool(fo & 1), bytes(hdr)
    return None


def reassemble(recs):
    """The model: whole packets pass, datagrams leave when complete."""
    held, out = {}, []
    for ts, fr in recs:
        fi = frag_info(fr)
        if fi is None:
            out.append((ts, fr))
            continue
        key, start, data, mf, hdr = fi
        d = held.setdefault(key, {"bytes": {}, "end": None, "hdr": None})
        for i, c in enumerate(data):
            d["bytes"].setdefault(start + i, c)  # first seen wins
        if not mf:
            d["end"] = start + len(data)
        if start == 0 and d["hdr"] is None:
            d["hdr"] = hdr
        if d["end"] is None or d["hdr"] is None or any(i not in d["bytes"] for i in range(d["end"])):
            continue
        del held[key]
        body = bytes(d["bytes"][i] for i in range(d["end"]))
        h = bytearray(d["hdr"])
        if key[0] == 4:
            hl = len(h) - 14
            h[16:18] = struct.pack("!H", hl + len(body))
            h[20] &= 0x40
            h[21] = 0
            h[24:26] = b"\0\0"
            h[24:26] = struct.pack("!H", csum(bytes(h[14:])))
        else:
            h[18:20] = struct.pack("!H", len(h) - 54 + len(body))
        out.append((ts, bytes(h) + body))
    return out


def payload(fr):
    et = struct.unpack("!H", fr[12:14])[0]
    if et == 0x0800:
        ip = fr[14:]
        p, proto, end = ip[(ip[0] & 15) * 4:], ip[9], struct.unpack("!H", ip[2:4])[0] - (ip[0] & 15) * 4
        first = not struct.unpack("!H", ip[6:8])[0] & 0x1FFF
    else:
        ip = fr[14:]
        p, proto, end, first = ip[40:], ip[6], struct.unpack("!H", ip[4:6])[0], True
    p = p[:end]
    if first and proto == 6 and len(p) >= 20:
        p = p[(p[12] >> 4) * 4:]
    elif first and proto == 17 and len(p) >= 8:
        p = p[8:]
    return p


def frags(src, dst, proto, l4, ident, pieces, ts0, step=0.001):
    """IPv4 fragments of one datagram: pieces are (offset, length, mf,
    override bytes or None), in sending order."""
    out = []
    for i, (off, ln, mf, data) in enumerate(pieces):
        body = data if data is not None else l4[off:off + ln]
        fo = (off // 8) | (0x2000 if mf else 0)
        out.append((ts0 + i * step, eth(B, A, 0x0800, ipv4(src, dst, proto, body, ident=ident, frag=fo))))
    return out


def ts_of(t):
    us = int(round(t * 1e6))
    return (1000 + us // 1000000, us % 1000000)


def crafted():
    pk = []
    # 1: a TCP handshake packet, whole
    pk.append((0.0, eth(B, A, 0x0800, ipv4("10.0.0.1", "10.0.0.2", 6, tcp("10.0.0.1", "10.0.0.2", 40000, 80, 0x02, 1)))))
    # 2: a request whose '/etc/passwd' spans tiny fragments, out of order, one repeated
    req = b"GET /cgi-bin/view?file=../../../../etc/passwd HTTP/1.0\r\n\r\n"
    l4 = tcp("10.0.0.1", "10.0.0.2", 40000, 80, 0x18, 2, req)
    pk += frags("10.0.0.1", "10.0.0.2", 6, l4, 100,
                [(0, 24, True, None), (48, 16, True, None), (24, 24, True, None), (48, 16, True, None),
                 (64, len(l4) - 64, False, None)], 0.1)
    # 3: overlap evasion, first-seen bytes make the attack: junk arrives later over 'cmd.exe'
    req = b"GET /scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir HTTP/1.0\r\n\r\n"
    l4 = tcp("10.0.0.3", "10.0.0.2", 40001, 80, 0x18, 7, req)
    junk = l4[40:56] + b"J" * 24
    pk += frags("10.0.0.3", "10.0.0.2", 6, l4, 200,
                [(56, 24, True, None), (0, 40, True, None), (80, len(l4) - 80, False, None),
                 (40, 40, True, junk)], 0.2)
    # 4: a later overlap that would write 'EVILSIG' over benign first-seen bytes: no alert
    body = b"benign query data, nothing to see here at all, thanks " * 2
    l4 = udp("10.0.0.4", "10.0.0.2", 5000, 53, body)
    evil = l4[16:24] + b"EVILSIG!" + l4[32:40]
    pk += frags("10.0.0.4", "10.0.0.2", 17, l4, 300,
                [(0, 40, True, None), (16, 24, True, evil), (40, len(l4) - 40, False, None)], 0.3)
    # 5: a benign 3000-byte datagram in three fragments (reassembled past the 2048-byte data room)
    body = bytes((i * 13) & 0x7F for i in range(3000))
    l4 = udp("10.0.0.5", "10.0.0.2", 6000, 7000, body)
    pk += frags("10.0.0.5", "10.0.0.2", 17, l4, 400,
                [(1480, 1480, True, None), (0, 1480, True, None), (2960, len(l4) - 2960, False, None)], 0.4)
    # 6: a lone first fragment that never completes (times out: the next packet is 40 s later)
    l4 = udp("10.0.0.6", "10.0.0.2", 6001, 7001, b"x" * 200)
    pk += frags("10.0.0.6", "10.0.0.2", 17, l4, 500, [(0, 104, True, None)], 0.5)
    # 7: a fragment past 65535 bytes (dropped, toobig)
    pk.append((0.6, eth(B, A, 0x0800, ipv4("10.0.0.7", "10.0.0.2", 17, b"z" * 200, ident=600, frag=8180))))
    # 8: 40 s later, 'cmd.exe' split across two fragments (the lone datagram's wait is over)
    l4 = udp("10.0.0.8", "10.0.0.2", 1, 2, b"run cmd.exe now")
    pk += frags("10.0.0.8", "10.0.0.2", 17, l4, 700, [(0, 16, True, None), (16, len(l4) - 16, False, None)], 40.7)
    return [(ts_of(t), fr) for t, fr in pk]


def ids(recs):
    """Reassemble, then split into (alerts, clean) by the signatures."""
    out = reassemble(recs)
    alerts = [r for r in out if any(s in payload(r[1]) for s in SIGS)]
    return out, alerts


def boundary_sigs(recs):
    """For the first IPv4 and the first IPv6 fragmented datagram, 10 bytes
    across the end of its first fragment (so in none of its fragments)."""
    sigs = []
    for v in (4, 6):
        key, frs = None, []
        for _, fr in recs:
            fi = frag_info(fr)
            if fi and fi[0][0] == v and (key is None or fi[0] == key):
                key = fi[0]
                frs.append(fi)
        got = {}
        for _, start, data, _, _ in frs:
            for i, c in enumerate(data):
                got.setdefault(start + i, c)
        body = bytes(got[i] for i in range(len(got)))
        b = len([f for f in frs if f[1] == 0][0][2])
        own = [f for _, f in recs if frag_info(f) and frag_info(f)[0] == key]
        # windows that span the boundary: none in a frame of their own
        # datagram; preferably in no frame at all (the same answer may also
        # come whole, over TCP: then that packet is an alert too)
        span = [body[b - k:b - k + 10] for k in range(1, 10)]
        span = [sg for sg in span if not any(sg in f for f in own)]
        alone = [sg for sg in span if not any(sg in f for _, f in recs)]
        sigs.append((alone or span)[0])
    return sigs


def main():
    inp = crafted()
    write_pcap(os.path.join(HERE, "input.pcap"), inp)
    out, alerts = ids(inp)
    write_pcap(os.path.join(HERE, "expected_alerts.pcap"), alerts)
    print("ids_frag: %d in, %d out, %d alerts" % (len(inp), len(out), len(alerts)))
    pc = os.path.join(DATA, "pcaps")
    # the DNS capture through the IDS chain: a signature across each of an
    # IPv4 and an IPv6 datagram's fragment boundary
    recs = read_pcap(os.path.join(pc, "dns_udp_fragmented_ipv4_ipv6.pcap"))
    sigs = boundary_sigs(recs)
    out = reassemble(recs)
    alerts = [r for r in out if any(sg in payload(r[1]) for sg in sigs)]
    case = os.path.join(CASES, "ids_frag_dns_v4v6")
    write_pcap(os.path.join(case, "expected_alerts.pcap"), alerts)
    # (config.click of that case holds them)
    print("signatures: " + ", ".join('"\\<%s>"' % " ".join("%02x" % c for c in sg) for sg in sigs))
    print("ids_frag_dns_v4v6: %d signatures, %d alerts of %d" % (len(sigs), len(alerts), len(out)))
    for case, name in (("ids_frag_zeek", "ipv4_frag_tiny_overlap_tcp_CRAFTED.pcap"),
                       ("frag_icmp_echo", "ipv4_frag_icmp_echo.pcap"),
                       ("frag_dns_v4v6", "dns_udp_fragmented_ipv4_ipv6.pcap")):
        recs = read_pcap(os.path.join(pc, name))
        out, alerts = ids(recs)
        if case.startswith("frag_"):
            write_pcap(os.path.join(CASES, case, "expected_out.pcap"), out)
        else:
            write_pcap(os.path.join(CASES, case, "expected_alerts.pcap"), alerts)
        print("%s: %d in, %d out, %d alerts" % (case, len(recs), len(out), len(alerts)))


if __name__ == "__main__":
    main()
