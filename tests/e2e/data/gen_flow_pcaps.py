#!/usr/bin/env python3
"""Write the captures of the flow_* end-to-end cases, and the outputs the
middleboxes must produce, computed here by a model of each one (not by
running mboxsh).

Run from this folder: python3 gen_flow_pcaps.py.  Outputs go to flow/ here
and to the cases' folders (expected_*.pcap); they are committed.
"""
import os
import random
import struct

from gen_pcaps import eth, ipv4, udp, arp, ip4

A = "00:00:00:00:00:01"
B = "00:00:00:00:00:02"
HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "..", "cases")

SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08


def tcp(src, dst, sport, dport, flags, seq, data=b"", ackno=0):
    from gen_pcaps import csum
    t = struct.pack("!HHIIBBHHH", sport, dport, seq, ackno, 5 << 4, flags, 65535, 0, 0) + data
    ph = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(t))
    c = csum(ph + t)
    return t[:16] + struct.pack("!H", c) + t[18:]


def write_pcap(name, pkts):
    """pkts: (seconds as float, frame)."""
    with open(name, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in pkts:
            us = int(round(ts * 1e6))
            f.write(struct.pack("<IIII", 1000 + us // 1000000, us % 1000000, len(fr), len(fr)))
            f.write(fr)


class Pkt:
    """One IPv4 TCP/UDP packet, kept as fields so models can rewrite it."""

    def __init__(self, ts, proto, src, dst, sport, dport, flags=0, data=b"", ident=1, seq=1):
        self.ts, self.proto, self.src, self.dst = ts, proto, src, dst
        self.sport, self.dport, self.flags, self.data, self.ident, self.seq = sport, dport, flags, data, ident, seq

    def frame(self):
        if self.proto == 6:
            l4 = tcp(self.src, self.dst, self.sport, self.dport, self.flags, self.seq, self.data)
        else:
            l4 = udp(self.src, self.dst, self.sport, self.dport, self.data)
        return eth(B, A, 0x0800, ipv4(self.src, self.dst, self.proto, l4, ident=self.ident))

    def key(self):
        """Both directions of a connection: one key."""
        return (self.proto, frozenset([(self.src, self.sport), (self.dst, self.dport)]))

    def copy(self, **kw):
        p = Pkt(self.ts, self.proto, self.src, self.dst, self.sport, self.dport, self.flags, self.data, self.ident, self.seq)
        for k, v in kw.items():
            setattr(p, k, v)
        return p


def in_net(addr, net, plen):
    a = struct.unpack("!I", ip4(addr))[0]
    n = struct.unpack("!I", ip4(net))[0]
    m = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
    return a & m == n & m


# ---- stateful firewall ----------------------------------------------------------

def firewall():
    W, S, I = "93.184.216.34", "198.51.100.7", "10.0.0.10"
    p, t = [], [0.0]

    def add(*a, **k):
        t[0] += 0.001
        p.append(Pkt(t[0], *a, **k))
    # an inside host opens a connection: handshake, request, a retransmission, reply, FINs
    add(6, I, W, 40000, 80, SYN, ident=1)
    add(6, W, I, 80, 40000, SYN | ACK, ident=2)
    add(6, I, W, 40000, 80, ACK, ident=3)
    add(6, I, W, 40000, 80, PSH | ACK, b"GET / HTTP/1.0\r\n\r\n", ident=4)
    add(6, I, W, 40000, 80, PSH | ACK, b"GET / HTTP/1.0\r\n\r\n", ident=4)   # retransmission
    add(6, W, I, 80, 40000, PSH | ACK, b"HTTP/1.0 200 OK\r\n\r\nhi", ident=5)
    add(6, I, W, 40000, 80, FIN | ACK, ident=6)
    add(6, W, I, 80, 40000, FIN | ACK, ident=7)
    # the outside opens to a closed port, twice (a retransmitted SYN): denied
    add(6, S, I, 5555, 22, SYN, ident=8)
    add(6, S, I, 5555, 22, SYN, ident=9)
    add(6, I, S, 22, 5555, SYN | ACK, ident=10)    # nor may the inside answer it
    # the outside to the open DNS port, and the answer
    add(17, S, "10.0.0.53", 3333, 53, data=b"query", ident=11)
    add(17, "10.0.0.53", S, 53, 3333, data=b"answer", ident=12)
    # an ACK scan and a SYN-ACK for a connection nobody opened
    add(6, "198.51.100.8", I, 6000, 80, ACK, ident=13)
    add(6, W, I, 80, 40001, SYN | ACK, ident=14)
    # an inside UDP exchange
    add(17, "10.0.0.11", "192.0.2.123", 123, 123, data=b"ntp?", ident=15)
    add(17, "192.0.2.123", "10.0.0.11", 123, 123, data=b"ntp!", ident=16)
    # a connection reset by the outside; afterwards that 5-tuple is closed
    add(6, "10.0.0.12", W, 41000, 443, SYN, ident=17)
    add(6, W, "10.0.0.12", 443, 41000, SYN | ACK, ident=18)
    add(6, W, "10.0.0.12", 443, 41000, RST | ACK, ident=19)
    add(6, W, "10.0.0.12", 443, 41000, PSH | ACK, b"late", ident=20)
    add(6, "10.0.0.12", W, 41000, 443, ACK, ident=21)

    # model: the first packet of a flow decides; RST ends the flow after its packet
    state, passed = {}, []
    for q in p:
        k = q.key()
        if k not in state:
            ok = (q.proto != 6 or q.flags & (SYN | ACK | RST) == SYN) and (
                in_net(q.src, "10.0.0.0", 24) or (q.proto in (6, 17) and q.dport == 53))
            state[k] = ok
        if state[k]:
            passed.append(q)
        if q.proto == 6 and q.flags & RST:
            del state[k]
    frames = [(q.ts, q.frame()) for q in p]
    frames.append((t[0] + 0.001, eth("ff:ff:ff:ff:ff:ff", A, 0x0806, arp(1, A, "10.0.0.10", "00:00:00:00:00:00", "10.0.0.1"))))
    write_pcap(os.path.join(HERE, "flow_firewall.pcap"), frames)
    write_pcap(os.path.join(CASES, "flow_firewall", "expected_pass.pcap"), [(q.ts, q.frame()) for q in passed])
    return len(passed), len(frames) - len(passed)


# ---- NAPT --------------------------------------------------------------------------

def napt():
    EXT, LO, HI, TO_UDP = "192.0.2.1", 5000, 5002, 30.0
    p = []
    add = lambda *a, **k: p.append(Pkt(*a, **k))
    add(0.001, 17, "10.0.0.1", "8.8.8.8", 1111, 53, data=b"q1", ident=1)
    add(0.002, 17, "10.0.0.2", "8.8.8.8", 1111, 53, data=b"q2", ident=2)
    add(0.003, 17, "8.8.8.8", EXT, 53, 5000, data=b"a1", ident=3)
    add(0.004, 17, "8.8.8.8", EXT, 53, 5001, data=b"a2", ident=4)
    add(0.005, 17, "6.6.6.6", EXT, 53, 5000, data=b"spoof", ident=5)   # not the mapping's remote
    add(0.006, 17, "8.8.8.8", EXT, 53, 5003, data=b"stray", ident=6)   # not a NAT port
    add(0.007, 6, "10.0.0.3", "1.1.1.1", 2000, 80, SYN, ident=7)
    add(0.008, 6, "1.1.1.1", EXT, 80, 5002, SYN | ACK, ident=8)
    add(0.009, 6, "10.0.0.3", "1.1.1.1", 2000, 80, ACK, ident=9)
    add(0.010, 17, "10.0.0.4", "9.9.9.9", 3000, 53, data=b"q4", ident=10)  # no port left
    add(0.011, 17, "10.0.0.1", "8.8.8.8", 1111, 53, data=b"q1b", ident=11)
    # 100 s later the UDP mappings have expired; the TCP one (established) has not
    add(100.0, 17, "10.0.0.4", "9.9.9.9", 3000, 53, data=b"q4b", ident=12)
    add(100.001, 17, "8.8.8.8", EXT, 53, 5000, data=b"late", ident=13)
    add(100.002, 17, "9.9.9.9", EXT, 53, 5001, data=b"a4", ident=14)
    add(100.003, 6, "1.1.1.1", EXT, 80, 5002, PSH | ACK, b"data", ident=15)

    # model: ports from a LIFO stack (lowest first), freed when the flow
    # idles past its timeout (in the order the flows were created)
    free = list(range(HI, LO - 1, -1))
    flows, byport, outp, inp = {}, {}, [], []
    order = []
    for q in p:
        if in_net(q.src, "10.0.0.0", 8):
            k = (q.proto, q.src, q.sport, q.dst, q.dport)
            # expiry: UDP flows idle for TO_UDP (TCP here never expires)
            for kk in list(order):
                f = flows[kk]
                if kk[0] == 17 and f["last"] + TO_UDP <= q.ts:
                    if f["port"] is not None:
                        free.append(f["port"])
                        del byport[f["port"]]
                    del flows[kk]
                    order.remove(kk)
            if k not in flows:
                port = free.pop() if free else None
                flows[k] = {"port": port, "last": q.ts}
                order.append(k)
                if port is not None:
                    byport[port] = (q.proto, q.src, q.sport, q.dst, q.dport)
            f = flows[k]
            f["last"] = q.ts
            if f["port"] is not None:
                outp.append(q.copy(src=EXT, sport=f["port"]))
        else:
            m = byport.get(q.dport)
            if q.dst == EXT and m and m[0] == q.proto and m[3] == q.src and m[4] == q.sport:
                inp.append(q.copy(dst=m[1], dport=m[2]))
    write_pcap(os.path.join(HERE, "flow_napt.pcap"), [(q.ts, q.frame()) for q in p])
    write_pcap(os.path.join(CASES, "flow_napt", "expected_out.pcap"), [(q.ts, q.frame()) for q in outp])
    write_pcap(os.path.join(CASES, "flow_napt", "expected_in.pcap"), [(q.ts, q.frame()) for q in inp])
    return len(outp), len(inp)


# ---- load balancer ---------------------------------------------------------------

def lb():
    p, ts = [], 0.0
    rnd = random.Random(6)
    clients = [("172.16.%d.%d" % (i // 200, i % 200 + 1), 10000 + i) for i in range(40)]
    for rnd_i in range(3):
        for c, sp in clients:
            ts += 0.0005
            p.append(Pkt(ts, 6, c, "10.1.1.1", sp, 80, SYN if rnd_i == 0 else ACK, ident=rnd.randrange(65536)))
    write_pcap(os.path.join(HERE, "flow_lb.pcap"), [(q.ts, q.frame()) for q in p])


# ---- rate limiter ------------------------------------------------------------------

def ratelimit():
    RATE, BURST = 100, 5
    p = []
    for i in range(20):
        p.append(Pkt(0.001 * i, 17, "10.0.0.1", "10.0.0.2", 1000, 2000, data=b"fast", ident=i))
        if i % 4 == 0:
            p.append(Pkt(0.001 * i + 0.0001, 17, "10.0.0.3", "10.0.0.2", 1000, 2000, data=b"slow", ident=100 + i))
    p.sort(key=lambda q: q.ts)
    # model: tokens in nanotokens, bucket full at a flow's first packet
    cap, one = BURST * 10**9, 10**9
    st, passed = {}, 0
    for q in p:
        now = int(round((1000 + q.ts) * 1e6)) * 1000
        k = q.src
        if k not in st:
            st[k] = [cap, now]
        else:
            tok, last = st[k]
            st[k] = [min(cap, tok + (now - last) * RATE), now]
        if st[k][0] >= one:
            st[k][0] -= one
            passed += 1
    write_pcap(os.path.join(HERE, "flow_ratelimit.pcap"), [(q.ts, q.frame()) for q in p])
    return passed, len(p) - passed


# ---- SYN flood -----------------------------------------------------------------------

def synflood():
    rnd = random.Random(66)
    p = []
    V = "10.0.0.10"
    # 3000 spoofed SYNs in 0.3 s against a table of 1024
    for i in range(3000):
        src = "100.64.%d.%d" % (rnd.randrange(256), rnd.randrange(1, 255))
        p.append(Pkt(0.0001 * i, 6, src, V, rnd.randrange(1024, 65536), 80, SYN, ident=i & 0xFFFF))
    # a real client during the flood, then retransmitting after the flood's
    # half-open flows timed out (TIMEOUT_SYN 10 s)
    p.append(Pkt(0.15005, 6, "192.0.2.55", V, 45000, 80, SYN, ident=7000))
    p.append(Pkt(12.0, 6, "192.0.2.55", V, 45000, 80, SYN, ident=7001))
    p.append(Pkt(12.001, 6, V, "192.0.2.55", 80, 45000, SYN | ACK, ident=7002))
    p.append(Pkt(12.002, 6, "192.0.2.55", V, 45000, 80, ACK, ident=7003))
    p.sort(key=lambda q: q.ts)
    write_pcap(os.path.join(HERE, "flow_synflood.pcap"), [(q.ts, q.frame()) for q in p])


if __name__ == "__main__":
    print("firewall passed/rejected", firewall())
    print("napt out/in", napt())
    lb()
    print("ratelimit passed/limited", ratelimit())
    synflood()
