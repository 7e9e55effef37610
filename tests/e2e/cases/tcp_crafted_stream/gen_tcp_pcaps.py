#!/usr/bin/env python3
"""Write the crafted captures of the tcp_* and http_* end-to-end cases and
the outputs mboxsh must produce, computed here by a model of TCPIn,
HTTPFilter and TCPOut (not by running mboxsh); and, for the real captures
of tcp_out_of_order_http_download and tcp_overlap_inconsistent_retransmit,
the packet order and counters that the TCPIn model gives, and the filtered
output of http_get_content_length.

Run from anywhere: python3 gen_tcp_pcaps.py [SHARED_DATA].  It writes
in.pcap, expected_*.pcap and `expected` into the case folders (committed).
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(CASES, "..", "data"))
from gen_pcaps import csum, eth, ip4, ipv4  # noqa: E402

A = "00:00:00:00:00:01"
B = "00:00:00:00:00:02"
SYN, ACK, FIN, PSH = 0x02, 0x10, 0x01, 0x08
CLI, SRV = "10.0.0.1", "10.0.0.2"
CPORT, SPORT = 40000, 80


class Seg:
    """One TCP segment of the crafted connection, as fields."""

    def __init__(self, ts, reply, flags, seq, ack, data=b"", ident=1):
        self.ts, self.reply, self.flags, self.seq, self.ack, self.data, self.ident = ts, reply, flags, seq, ack, data, ident

    def frame(self):
        src, dst, sp, dp = (SRV, CLI, SPORT, CPORT) if self.reply else (CLI, SRV, CPORT, SPORT)
        t = struct.pack("!HHIIBBHHH", sp, dp, self.seq & 0xFFFFFFFF, self.ack & 0xFFFFFFFF, 5 << 4, self.flags,
                        65535, 0, 0) + self.data
        ph = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(t))
        t = t[:16] + struct.pack("!H", csum(ph + t)) + t[18:]
        return eth(A, B, 0x0800, ipv4(src, dst, 6, t, ident=self.ident))

    def copy(self, **kw):
        s = Seg(self.ts, self.reply, self.flags, self.seq, self.ack, self.data, self.ident)
        for k, v in kw.items():
            setattr(s, k, v)
        return s


def write_pcap(path, segs):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for s in segs:
            fr = s.frame()
            us = int(round(s.ts * 1e6))
            f.write(struct.pack("<IIII", 1000 + us // 1000000, us % 1000000, len(fr), len(fr)))
            f.write(fr)


def numbered(segs):
    for i, s in enumerate(segs):
        s.ident = i + 1
        s.ts = 0.001 * (i + 1)
    return segs


# ---- TCPIn: reordering, retransmission, inconsistent overlaps --------------------

def crafted_stream():
    c, s = 1000, 5000  # first data byte of each direction
    req = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"
    a, b = 26, 45
    segs = numbered([
        Seg(0, False, SYN, c - 1, 0),
        Seg(0, True, SYN | ACK, s - 1, c),
        Seg(0, False, ACK, c, s),
        Seg(0, False, ACK | PSH, c, s, req[:a]),                   # 3 in order
        Seg(0, False, ACK | PSH, c + b, s, req[b:]),               # 4 ahead of a gap: held
        Seg(0, False, ACK | PSH, c + a, s, req[a:b]),              # 5 fills it: 5 then 4
        Seg(0, False, ACK | PSH, c, s, req[:a]),                   # 6 retransmission: dropped
        Seg(0, False, ACK | PSH, c + 40, s, b"XXXXXXXXXX"),        # 7 old bytes, other data: dropped
        Seg(0, True, ACK, s, c + len(req), resp[:20]),             # 8
        Seg(0, True, ACK, s + 16, c + len(req), b"ZZZZ" + resp[20:30]),  # 9 overlaps 4 bytes: cut
        Seg(0, True, ACK | PSH, s + 30, c + len(req), resp[30:]),  # 10
        Seg(0, False, ACK | FIN, c + len(req), s + len(resp)),     # 11
        Seg(0, True, ACK | FIN, s + len(resp), c + len(req) + 1),  # 12
        Seg(0, False, ACK, c + len(req) + 1, s + len(resp) + 1),   # 13
    ])
    # The model: in-order delivery per direction, first-seen bytes kept,
    # old bytes cut off the front of a segment (sequence number moved,
    # checksums recomputed by Seg.frame), all-old segments dropped.
    out = segs[0:4] + [segs[5], segs[4], segs[8], segs[9].copy(seq=s + 20, data=resp[20:30])] + segs[10:]
    d = os.path.join(CASES, "tcp_crafted_stream")
    write_pcap(os.path.join(d, "in.pcap"), segs)
    write_pcap(os.path.join(d, "expected_out.pcap"), out)


# ---- IDS: a signature split across two out-of-order segments ---------------------

def ids_split():
    c, s = 7000, 9000
    p1, p2 = b"POST /upload HTTP/1.0\r\nContent-Length: 40\r\n\r\nxxxxEVIL", b"PAYLOADxxxx"
    segs = numbered([
        Seg(0, False, SYN, c - 1, 0),
        Seg(0, True, SYN | ACK, s - 1, c),
        Seg(0, False, ACK, c, s),
        Seg(0, False, ACK | PSH, c + len(p1), s, p2),   # the second half first
        Seg(0, False, ACK, c, s, p1),
        Seg(0, True, ACK, s, c + len(p1) + len(p2)),
    ])
    d = os.path.join(CASES, "tcp_ids_split")
    write_pcap(os.path.join(d, "in.pcap"), segs)
    # in stream order the signature completes in the second half: that one alerts
    write_pcap(os.path.join(d, "expected_alert.pcap"), [segs[3]])


# ---- HTTPFilter + TCPOut --------------------------------------------------------

def filter_body(pieces, pats):
    """HTTPFilter's model: each piece of body becomes a chunk after the
    replacements; a tail that starts a pattern waits for the next piece."""
    maxpat = max(len(p) for p, _ in pats)
    carry, out = b"", []
    for k, piece in enumerate(pieces):
        last = k == len(pieces) - 1
        buf, i, o = carry + piece, 0, b""
        carry = b""
        while i < len(buf):
            hit = next(((p, r) for p, r in pats if buf.startswith(p, i)), None)
            if hit:
                o += hit[1]
                i += len(hit[0])
                continue
            rest = buf[i:]
            if not last and len(rest) < maxpat and any(p.startswith(rest) for p, _ in pats):
                carry = rest
                break
            o += buf[i:i + 1]
            i += 1
        chunk = (b"%x\r\n" % len(o) + o + b"\r\n") if o else b""
        out.append(chunk + (b"0\r\n\r\n" if last else b""))
    return out


def http_filter():
    c, s = 3000, 8000
    pats = [(b"ads.example", b""), (b"<script src=\"x\"></script>", b"<!-- -->")]
    req = b"GET /news HTTP/1.1\r\nHost: news.example\r\n\r\n"
    body = [b"<html>see ads.exa", b"mple.com and <scr", b"ipt src=\"x\"></script> and ads.example!</html>"]
    blen = sum(len(b) for b in body)
    hdr = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % blen
    seg_data = [hdr + body[0], body[1], body[2]]
    new_body = filter_body(body, pats)
    new_hdr = hdr.replace(b"Content-Length: %d\r\n" % blen, b"Transfer-Encoding: chunked\r\n")
    new_data = [new_hdr + new_body[0], new_body[1], new_body[2]]
    # original and edited end of each response segment
    oend, nend = [], []
    for od, nd in zip(seg_data, new_data):
        oend.append((oend[-1] if oend else 0) + len(od))
        nend.append((nend[-1] if nend else 0) + len(nd))
    rq = c + len(req)
    segs = numbered([
        Seg(0, False, SYN, c - 1, 0),
        Seg(0, True, SYN | ACK, s - 1, c),
        Seg(0, False, ACK, c, s),
        Seg(0, False, ACK | PSH, c, s, req),
        Seg(0, True, ACK, s, rq, seg_data[0]),
        Seg(0, True, ACK, s + oend[0], rq, seg_data[1]),
        # the client behind the filter acknowledges what it received: edited positions
        Seg(0, False, ACK, rq, s + nend[1]),
        Seg(0, True, ACK | PSH, s + oend[1], rq, seg_data[2]),
        Seg(0, False, ACK, rq, s + nend[2]),
    ])
    # TCPOut's model: the server's segments carry the edited bytes at edited
    # positions; the client's acknowledgements go back to original positions
    out = segs[:4] + [
        segs[4].copy(data=new_data[0]),
        segs[5].copy(seq=s + nend[0], data=new_data[1]),
        segs[6].copy(ack=s + oend[1]),
        segs[7].copy(seq=s + nend[1], data=new_data[2]),
        segs[8].copy(ack=s + oend[2]),
    ]
    d = os.path.join(CASES, "http_filter_crafted")
    write_pcap(os.path.join(d, "in.pcap"), segs)
    write_pcap(os.path.join(d, "expected_out.pcap"), out)


# ---- TCPIn's model over a real capture ------------------------------------------

def read_pcap(path):
    d = open(path, "rb").read()
    o, out = 24, []
    while o + 16 <= len(d):
        sec, us, cl, _ = struct.unpack("<IIII", d[o:o + 16])
        out.append((sec + us / 1e6, d[o + 16:o + 16 + cl], d[o:o + 16 + cl]))
        o += 16 + cl
    return out


def rel(a, b):
    return (a - b + 2 ** 31) % 2 ** 32 - 2 ** 31


class TCPInModel:
    """One flow's both directions (the captures hold one connection, or
    connections on distinct client ports); hold bound 16 per flow, holes
    given up after 2 s of packet time, the last 64 delivered bytes of each
    direction compared with old bytes that come again."""

    HOLD, TIMEOUT, WIN = 16, 2.0, 64

    def __init__(self):
        self.next, self.data, self.held, self.hole, self.out, self.first = {}, {}, [], 0.0, [], []
        self.c = dict(delivered=0, held=0, released=0, retransmits=0, inconsistent=0, trimmed=0, overflow=0,
                      hole_timeouts=0, gap_bytes=0, nontcp=0)

    def check_old(self, k, seq, pay):
        nx, diff = self.next[k], False
        for i, b in enumerate(pay):
            q = rel(seq + i, nx)
            if -self.WIN <= q < 0 and (seq + i) % 2 ** 32 in self.data[k] and self.data[k][(seq + i) % 2 ** 32] != b:
                diff = True
        return diff

    def segment(self, k, seq, fl, pay):
        if fl & SYN:
            self.next[k], self.data[k] = (seq + 1) % 2 ** 32, {}
            return "d"
        if k not in self.next:
            self.next[k], self.data[k] = seq, {}
        L = len(pay) + (fl & FIN)
        if L == 0 or fl & 0x04:
            return "d"
        d = rel(seq, self.next[k])
        if d > 0:
            return "h"
        if rel(seq + L, self.next[k]) <= 0:
            self.c["retransmits"] += 1
            if self.check_old(k, seq, pay):
                self.c["inconsistent"] += 1
            return "x"
        if d < 0:
            if self.check_old(k, seq, pay[:-d]):
                self.c["inconsistent"] += 1
            self.c["trimmed"] += 1
            seq, pay = self.next[k], pay[-d:]
        for i, b in enumerate(pay):
            self.data[k][(seq + i) % 2 ** 32] = b
        self.next[k] = (seq + len(pay) + (fl & FIN)) % 2 ** 32
        self.c["delivered"] += 1
        return "d"

    def match_held(self, k, seq, pay):
        pay, diff = bytearray(pay), False
        for hk, hseq, _, hpay, _ in self.held:
            if hk != k:
                continue
            for j in range(len(pay)):
                q = rel(seq + j, hseq)
                if 0 <= q < len(hpay) and pay[j] != hpay[q]:
                    pay[j], diff = hpay[q], True
        return bytes(pay), diff

    def drain(self, k, now):
        moved = False
        while True:
            cand = [h for h in self.held if h[0] == k and rel(h[1], self.next[k]) <= 0]
            if not cand:
                break
            h = min(cand, key=lambda h: rel(h[1], self.next[k]))
            self.held.remove(h)
            moved = True
            if self.segment(h[0], h[1], h[2], h[3]) == "d":
                self.c["released"] += 1
                self.out.append(h[4])
        if moved and self.held:
            self.hole = now

    def run(self, path):
        for ts, fr, rec in read_pcap(path):
            if fr[12:14] != b"\x08\x00" or fr[23] != 6:
                self.out.append(rec)
                continue
            ihl, tl = (fr[14] & 15) * 4, struct.unpack("!H", fr[16:18])[0]
            if 14 + tl > len(fr):
                self.c["nontcp"] += 1
                self.out.append(rec)
                continue
            t = 14 + ihl
            sp, dp, seq, _, off, fl = struct.unpack("!HHIIBB", fr[t:t + 14])
            k, pay = (fr[26:30], sp), fr[t + (off >> 4) * 4:14 + tl]
            if k not in self.first:
                self.first.append(k)   # TCPIn looks at the flow's first direction first
            if self.held and ts - self.hole > self.TIMEOUT:
                for hk in sorted(set(h[0] for h in self.held), key=self.first.index):
                    m = min(rel(h[1], self.next[hk]) for h in self.held if h[0] == hk)
                    self.c["hole_timeouts"] += 1
                    if m > 0:
                        self.c["gap_bytes"] += m
                        self.next[hk] = (self.next[hk] + m) % 2 ** 32
                    self.drain(hk, ts)
            if self.held:
                pay, diff = self.match_held(k, seq, pay)
                if diff:
                    self.c["inconsistent"] += 1
            r = self.segment(k, seq, fl, pay)
            if r == "d":
                self.out.append(rec)
                if self.held:
                    self.drain(k, ts)
            elif r == "h":
                if len(self.held) == self.HOLD:
                    self.c["overflow"] += 1
                else:
                    if not self.held:
                        self.hole = ts
                    self.held.append((k, seq, fl, pay, rec))
                    self.c["held"] += 1
        return self


def real_captures(data):
    m = TCPInModel().run(os.path.join(data, "pcaps", "tcp_out_of_order_http_download.pcap"))
    d = os.path.join(CASES, "tcp_out_of_order_http_download")
    with open(os.path.join(d, "expected_out.pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + b"".join(m.out))
    print("tcp_out_of_order_http_download", m.c)
    m = TCPInModel().run(os.path.join(data, "pcaps", "tcp_overlap_inconsistent_retransmit.pcap"))
    print("tcp_overlap_inconsistent_retransmit", m.c)


# ---- HTTPFilter + TCPOut over a real download ---------------------------------------

def fwd(edits, x):
    """TCPOut's forward map of a stream position through (pos, rem, ins) edits."""
    d = 0
    for pos, rem, ins in edits:
        if x <= pos:
            break
        if x < pos + rem:
            return pos + d + ins
        d += ins - rem
    return x + d


def inv(edits, y):
    """Its backward map (acknowledgements): inside inserted bytes -> the edit's start."""
    d = 0
    for pos, rem, ins in edits:
        ns = pos + d
        if y < ns or (y == ns and ins):
            break
        if y < ns + ins:
            return pos
        d += ins - rem
    return y - d


def retcp(fr, seq=None, ack=None, payload=None):
    """Rewrite an Ethernet/IPv4/TCP frame; lengths and checksums follow."""
    ihl = (fr[14] & 15) * 4
    t = 14 + ihl
    th = (fr[t + 12] >> 4) * 4
    tl = struct.unpack("!H", fr[16:18])[0]
    pay = fr[t + th:14 + tl] if payload is None else payload
    tcp = bytearray(fr[t:t + th])
    if seq is not None:
        tcp[4:8] = struct.pack("!I", seq & 0xFFFFFFFF)
    if ack is not None:
        tcp[8:12] = struct.pack("!I", ack & 0xFFFFFFFF)
    tcp[16:18] = b"\0\0"
    ip = bytearray(fr[14:t])
    ip[2:4] = struct.pack("!H", ihl + th + len(pay))
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", csum(bytes(ip)))
    ph = bytes(ip[12:20]) + struct.pack("!BBH", 0, 6, th + len(pay))
    tcp[16:18] = struct.pack("!H", csum(ph + bytes(tcp) + pay))
    return fr[:14] + bytes(ip) + bytes(tcp) + pay


def http_get_filter(data):
    """http_get_content_length through TCPIn -> HTTPIn -> HTTPFilter(REPLACE "Robin" "R.",
    REPLACE "Seth" "S.") -> TCPOut: the capture has no reordering, so every packet goes
    through; the response becomes chunked, the server's sequence numbers move by the
    edits before them, the client's acknowledgements go back through them (they are the
    recorded ones, as if the client had seen the edited stream)."""
    pats = [(b"Robin", b"R."), (b"Seth", b"S.")]
    recs = read_pcap(os.path.join(data, "pcaps", "http_get_content_length.pcap"))
    segs = []
    for _, fr, rec in recs:
        ihl = (fr[14] & 15) * 4
        t = 14 + ihl
        sp, _, seq, ack, off, fl = struct.unpack("!HHIIBB", fr[t:t + 14])
        tl = struct.unpack("!H", fr[16:18])[0]
        segs.append((sp, seq, ack, fl, fr[t + (off >> 4) * 4:14 + tl], fr, rec))
    isn_s = next(seq + 1 for sp, seq, _, fl, _, _, _ in segs if sp == 80 and fl & SYN)
    data_segs = [(seq - isn_s, pay) for sp, seq, _, fl, pay, _, _ in segs if sp == 80 and pay]
    stream = b"".join(p for _, p in data_segs)
    hend = stream.index(b"\r\n\r\n") + 4
    pieces, edits, new = [], [], {}
    for rel_, pay in data_segs:
        lo = max(rel_, hend)
        pieces.append((rel_, lo, pay[lo - rel_:]))
    nb = filter_body([p for _, _, p in pieces], pats)
    cl = stream.index(b"Content-Length: ")
    cle = stream.index(b"\r\n", cl) + 2
    te = b"Transfer-Encoding: chunked\r\n"
    edits.append((cl, cle - cl, len(te)))
    for (rel_, lo, body), nbody in zip(pieces, nb):
        edits.append((lo, len(body), len(nbody)))
        pay = stream[rel_:lo]
        if rel_ <= cl < lo:
            pay = pay.replace(stream[cl:cle], te)
        new[rel_] = pay + nbody
    out = []
    for sp, seq, ack, fl, pay, fr, rec in segs:
        if sp == 80 and not fl & SYN and (pay or fl & FIN):
            rel_ = seq - isn_s
            fr = retcp(fr, seq=isn_s + fwd(edits, rel_), payload=new.get(rel_, pay))
        elif sp != 80 and fl & ACK and inv(edits, ack - isn_s) != ack - isn_s:
            fr = retcp(fr, ack=isn_s + inv(edits, ack - isn_s))
        else:
            out.append(rec)
            continue
        out.append(rec[:8] + struct.pack("<II", len(fr), len(fr)) + fr)
    d = os.path.join(CASES, "http_get_content_length")
    with open(os.path.join(d, "expected_out.pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + b"".join(out))


if __name__ == "__main__":
    crafted_stream()
    ids_split()
    http_filter()
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(CASES, "..", "..", "..", "..", "shared", "data")
    real_captures(shared)
    http_get_filter(shared)
