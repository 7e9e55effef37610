#!/usr/bin/env python3
"""Expected flow listings of the flow6_http_4conn case, computed from the
capture (raw IPv6, TCP only, no extension headers) without mboxsh: one flow
per connection with SYMMETRIC (key: the smaller address:port first), one per
direction without.  Run: python3 gen_expected.py [DATA] > expected"""
import ipaddress
import os
import struct
import sys

data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "shared", "data")
with open(os.path.join(data, "pcaps", "ipv6_http_4conn_rawip.pcap"), "rb") as f:
    b = f.read()
at, pkts, t0, t1 = 24, [], None, None
while at < len(b):
    s, us, cl, _ = struct.unpack("<IIII", b[at:at + 16])
    p = b[at + 16:at + 16 + cl]
    at += 16 + cl
    t = s + us / 1e6
    t0 = t if t0 is None else t0
    t1 = t
    assert p[0] >> 4 == 6 and p[6] == 6
    src, dst = ipaddress.ip_address(p[8:24]), ipaddress.ip_address(p[24:40])
    sp, dp = struct.unpack("!HH", p[40:44])
    pkts.append(((src, sp), (dst, dp), len(p)))


def listing(sym):
    flows = {}
    for a, z, n in pkts:
        if sym and (a[0].packed, a[1]) > (z[0].packed, z[1]):
            a, z = z, a
        c = flows.setdefault((a, z), [0, 0])
        c[0] += 1
        c[1] += n
    return sorted("TCP [%s]:%d [%s]:%d %d %d" % (a[0], a[1], z[0], z[1], c[0], c[1]) for (a, z), c in flows.items())


def handler(name, lines):
    sys.stdout.write("%s:\n%s\n" % (name, "".join(l + "\n" for l in lines)))


assert t1 - t0 < 300, "flows would time out"
sym, asym = listing(True), listing(False)
handler("fm.flows", [str(len(sym))])
handler("fm.nokey", ["0"])
handler("sym.flows", sym)
handler("fm2.flows", [str(len(asym))])
handler("asym.flows", asym)
