#!/usr/bin/env python3
"""Write ac_ids.pcap and ac_ids_alerts.pcap for the ac_ids end-to-end case
(PatternMatch, the multi-pattern matcher).

Run from this folder: python3 gen_ac_pcap.py.  The outputs are committed;
ac_ids_alerts.pcap holds exactly the frames PatternMatch must flag, with
their original timestamps, so the case compares ToDump's output with it.
"""
import struct

from gen_pcaps import eth, ipv4, tcp, udp

A = "00:00:00:00:00:01"
B = "00:00:00:00:00:02"
SIGS = [b"/etc/passwd", b"\x90" * 8, b"cmd.exe", b"union select"]


def frame(payload_ip):
    return eth(B, A, 0x0800, payload_ip)


def tcp_pkt(data, sport=40000, dport=80, seq=1):
    return frame(ipv4("10.0.0.1", "10.0.0.2", 6, tcp("10.0.0.1", "10.0.0.2", sport, dport, 0x18, seq, data)))


def udp_pkt(data, sport=5000, dport=53):
    return frame(ipv4("10.0.0.1", "10.0.0.3", 17, udp("10.0.0.1", "10.0.0.3", sport, dport, data)))


def frames():
    """(frame, is_alert) in capture order."""
    f = []
    f.append((tcp_pkt(b"GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n"), False))
    f.append((tcp_pkt(b"GET /../../etc/passwd HTTP/1.1\r\n\r\n"), True))
    # case-sensitive: not a match
    f.append((tcp_pkt(b"GET /ETC/PASSWD HTTP/1.1\r\n\r\n"), False))
    # binary: a NOP sled in a UDP payload
    f.append((udp_pkt(b"\x01\x02" + b"\x90" * 12 + b"\xcc"), True))
    # two signatures in one packet, one of them twice
    f.append((tcp_pkt(b"q=1 union select cmd.exe; cmd.exe"), True))
    # a signature only in the TCP header (ports and sequence number spell
    # "cmd.exe "), payload clean: the header is not scanned
    f.append((tcp_pkt(b"clean", sport=0x636D, dport=0x642E, seq=0x65786520), False))
    # IP fragments: the second one carries a signature at its start (no
    # TCP header there), the first is clean
    body = tcp("10.0.0.1", "10.0.0.2", 40001, 80, 0x18, 7, b"A" * 16 + b"union select * from t")
    f.append((frame(ipv4("10.0.0.1", "10.0.0.2", 6, body[:32], ident=9, frag=0x2000)), False))
    f.append((frame(ipv4("10.0.0.1", "10.0.0.2", 6, body[32:], ident=9, frag=4)), True))
    # short frame with Ethernet padding: the padding is not payload
    f.append((tcp_pkt(b"x") + b"\x00" * 5, False))
    f.append((tcp_pkt(b"nothing to see"), False))
    return f


def write(name, frs, snaplen=262144):
    with open(name, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        for ts, fr in frs:
            out.write(struct.pack("<IIII", 1000 + ts, 0, len(fr), len(fr)))
            out.write(fr)


if __name__ == "__main__":
    fs = frames()
    write("ac_ids.pcap", [(i, fr) for i, (fr, _) in enumerate(fs)])
    write("ac_ids_alerts.pcap", [(i, fr) for i, (fr, alert) in enumerate(fs) if alert])
