#!/usr/bin/env python3
"""Write the small crafted captures the end-to-end cases use.

Run from this folder: python3 gen_pcaps.py.  The outputs are committed so
the tests need no Python; this script documents how they were made.
"""
import struct


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def mac(m):
    return bytes(int(x, 16) for x in m.split(":"))


def ipv4(src, dst, proto, payload, ttl=64, ident=1, options=b"", tos=0, frag=0, bad_csum=False, tl=None):
    ihl = (20 + len(options)) // 4
    total = tl if tl is not None else 20 + len(options) + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", (4 << 4) | ihl, tos, total, ident, frag, ttl, proto, 0, ip4(src), ip4(dst)) + options
    c = csum(h)
    if bad_csum:
        c ^= 0x5555
    h = h[:10] + struct.pack("!H", c) + h[12:]
    return h + payload


def udp(src, dst, sport, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    ph = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, len(u))
    c = csum(ph + u) or 0xFFFF
    return u[:6] + struct.pack("!H", c) + u[8:]


def tcp(src, dst, sport, dport, flags, seq, data=b""):
    t = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + data
    ph = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(t))
    c = csum(ph + t)
    return t[:16] + struct.pack("!H", c) + t[18:]


def eth(dst, src, etype, payload):
    return mac(dst) + mac(src) + struct.pack("!H", etype) + payload


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac(sha) + ip4(spa) + mac(tha) + ip4(tpa)


def write_pcap(name, frames, linktype=1):
    with open(name, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1000 + i, 0, len(fr), len(fr)))
            f.write(fr)


ROUTER_MAC0 = "00:00:c0:ae:67:ef"   # interface 0: 10.0.0.1/24
ROUTER_MAC1 = "00:00:c0:4f:71:ef"   # interface 1: 10.0.1.1/24
HOST0 = "00:20:6f:14:54:c2"          # 10.0.0.2 on interface 0


def router_input():
    """Traffic arriving on the router's interface 0."""
    f = []
    # 1: ARP query for the router's address -> ARP reply on interface 0
    f.append(eth("ff:ff:ff:ff:ff:ff", HOST0, 0x0806, arp(1, HOST0, "10.0.0.2", "00:00:00:00:00:00", "10.0.0.1")))
    # 2-6: UDP to 10.0.1.5 (interface 1, next hop on-link), TTL 64 -> forwarded with TTL 63
    for i in range(5):
        f.append(eth(ROUTER_MAC0, HOST0, 0x0800,
                     ipv4("10.0.0.2", "10.0.1.5", 17, udp("10.0.0.2", "10.0.1.5", 1000 + i, 53, b"query%d" % i), ident=10 + i)))
    # 7: TCP SYN to 10.0.1.7
    f.append(eth(ROUTER_MAC0, HOST0, 0x0800, ipv4("10.0.0.2", "10.0.1.7", 6, tcp("10.0.0.2", "10.0.1.7", 40000, 80, 0x02, 1), ident=20)))
    # 8: TTL 1 -> ICMP time exceeded back to 10.0.0.2
    f.append(eth(ROUTER_MAC0, HOST0, 0x0800, ipv4("10.0.0.2", "10.0.1.5", 17, udp("10.0.0.2", "10.0.1.5", 2000, 33434, b"trace"), ttl=1, ident=30)))
    # 9: bad IP checksum -> counted, dropped
    f.append(eth(ROUTER_MAC0, HOST0, 0x0800, ipv4("10.0.0.2", "10.0.1.5", 17, udp("10.0.0.2", "10.0.1.5", 3000, 53, b"bad"), ident=40, bad_csum=True)))
    # 10: truncated: Ethernet header and 10 bytes of IP
    f.append(eth(ROUTER_MAC0, HOST0, 0x0800, ipv4("10.0.0.2", "10.0.1.5", 17, b"")[:10]))
    # 11: IHL 4 (header too small)
    bad = bytearray(ipv4("10.0.0.2", "10.0.1.5", 17, udp("10.0.0.2", "10.0.1.5", 1, 2, b"x")))
    bad[0] = 0x44
    f.append(eth(ROUTER_MAC0, HOST0, 0x0800, bytes(bad)))
    # 12: IP options (record route, 3 slots) to 10.0.1.9 -> forwarded by the options path
    rr = bytes([7, 15, 4]) + b"\0" * 12 + b"\x01"   # NOP padding to 16 bytes
    f.append(eth(ROUTER_MAC0, HOST0, 0x0800, ipv4("10.0.0.2", "10.0.1.9", 17, udp("10.0.0.2", "10.0.1.9", 5000, 53, b"opts"), ident=50, options=rr)))
    # 13: for the router itself (10.0.0.1) -> to the host path
    f.append(eth(ROUTER_MAC0, HOST0, 0x0800, ipv4("10.0.0.2", "10.0.0.1", 1, bytes([8, 0, 0xf7, 0xff, 0, 0, 0, 0]), ident=60)))
    # 14: no route (192.0.2.1 not in the table and no default) -> dropped by the lookup
    f.append(eth(ROUTER_MAC0, HOST0, 0x0800, ipv4("10.0.0.2", "192.0.2.1", 17, udp("10.0.0.2", "192.0.2.1", 9, 9, b"lost"), ident=70)))
    # 15: an IPv6 frame -> not for this IPv4 router (Classifier's last output)
    f.append(eth(ROUTER_MAC0, HOST0, 0x86DD, b"\x60" + b"\0" * 39))
    # 16: ARP reply from 10.0.1.5 arriving (ARPQuerier input on interface 1 in the real config)
    return f


def mixed_udp_tcp():
    """Mixed traffic for classification cases: known counts per class."""
    f = []
    for i in range(20):
        f.append(eth("00:00:00:00:00:02", "00:00:00:00:00:01", 0x0800,
                     ipv4("192.168.1.%d" % (i + 1), "10.0.0.%d" % (i % 4 + 1), 17, udp("192.168.1.%d" % (i + 1), "10.0.0.%d" % (i % 4 + 1), 1024 + i, 53 if i % 2 else 123, b"u" * i))))
    for i in range(12):
        f.append(eth("00:00:00:00:00:02", "00:00:00:00:00:01", 0x0800,
                     ipv4("172.16.0.%d" % (i + 1), "10.0.1.1", 6, tcp("172.16.0.%d" % (i + 1), "10.0.1.1", 30000 + i, 80 if i < 8 else 443, 0x02 if i % 3 == 0 else 0x10, i))))
    for i in range(8):
        f.append(eth("00:00:00:00:00:02", "00:00:00:00:00:01", 0x0800,
                     ipv4("10.9.9.9", "10.0.0.1", 1, bytes([8 if i < 5 else 0, 0, 0, 0, 0, i, 0, 0]))))
    return f


if __name__ == "__main__":
    write_pcap("router_in.pcap", router_input())
    write_pcap("mixed.pcap", mixed_udp_tcp())


def router_arp_replies():
    """ARP replies arriving on the router's interface 1 for its next hops."""
    f = []
    for i, ip in enumerate(("10.0.1.5", "10.0.1.7", "10.0.1.9")):
        m = "00:20:6f:00:01:0%d" % (i + 1)
        f.append(eth(ROUTER_MAC1, m, 0x0806, arp(2, m, ip, ROUTER_MAC1, "10.0.1.1")))
    return f


if __name__ == "__main__":
    write_pcap("router_arp1.pcap", router_arp_replies())
