#!/usr/bin/env python3
"""Write the crafted captures of the ids_stream_replace, ids_stream_mask and
ids_drop_flow end-to-end cases and the outputs mboxsh must produce, computed
here by a model of PatternMatch's actions and TCPOut (not by running mboxsh).

PatternMatch's model: the signature is found in the stream (the client's
direction) where it ends; the bytes of a match that lie in that segment are
masked / replaced (a match that began in an earlier segment: only its part
in this one, by the whole replacement: `partial`).  TCPOut's model: the
client's segments carry the edited bytes at edited positions, the server's
acknowledgements go back to original positions.

Run from anywhere: python3 gen_ids_actions.py.  Writes in.pcap and
expected_out.pcap into the three case folders (committed).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(CASES, "tcp_crafted_stream"))
import gen_tcp_pcaps as g  # noqa: E402
from gen_tcp_pcaps import ACK, FIN, PSH, SYN, Seg, numbered, write_pcap  # noqa: E402

SIG = b"cmd.exe"


class PSeg(Seg):
    """A segment of a connection from client port `port`."""

    def __init__(self, port, *a, **kw):
        super().__init__(*a, **kw)
        self.port = port

    def frame(self):
        keep = g.CPORT
        g.CPORT = self.port
        try:
            return super().frame()
        finally:
            g.CPORT = keep

    def copy(self, **kw):
        s = PSeg(self.port, self.ts, self.reply, self.flags, self.seq, self.ack, self.data, self.ident)
        for k, v in kw.items():
            setattr(s, k, v)
        return s


def edit_stream(pieces, edit):
    """Each piece's bytes after the action: edit(bytes) gives the new bytes
    of a matched range.  Matches are found in the whole stream and edited
    in the piece where they end."""
    stream = b"".join(pieces)
    ends = []
    i = stream.find(SIG)
    while i >= 0:
        ends.append((i, i + len(SIG)))
        i = stream.find(SIG, i + 1)
    out, ps = [], 0
    for p in pieces:
        pe = ps + len(p)
        o, at = b"", ps
        for a, b in ends:
            if ps < b <= pe:
                a = max(a, ps)
                o += stream[at:a] + edit(stream[a:b])
                at = b
        out.append(o + stream[at:pe])
        ps = pe
    return out


def stream_case(name, edit):
    c, s = 7000, 9000
    d = [b"GET /scripts/..%c1%1c../winnt/system32/cmd.", b"exe?/c+dir HTTP/1.0\r\n",
         b"X-Run: cmd.exe /c cmd.exe\r\n\r\n"]
    resp = b"HTTP/1.0 403 Forbidden\r\n\r\n"
    nd = edit_stream(d, edit)
    oend, nend = [c], [c]
    for od, x in zip(d, nd):
        oend.append(oend[-1] + len(od))
        nend.append(nend[-1] + len(x))
    P = 40000
    segs = numbered([
        PSeg(P, 0, False, SYN, c - 1, 0),
        PSeg(P, 0, True, SYN | ACK, s - 1, c),
        PSeg(P, 0, False, ACK, c, s),
        PSeg(P, 0, False, ACK | PSH, c, s, d[0]),
        PSeg(P, 0, False, ACK | PSH, oend[1], s, d[1]),
        # the server behind the IDS acknowledges what it received: edited positions
        PSeg(P, 0, True, ACK, s, nend[2]),
        PSeg(P, 0, False, ACK | PSH, oend[2], s, d[2]),
        PSeg(P, 0, True, ACK | PSH, s, nend[3], resp),
        PSeg(P, 0, False, ACK | FIN, oend[3], s + len(resp)),
    ])
    out = segs[:3] + [
        segs[3].copy(data=nd[0]),
        segs[4].copy(seq=nend[1], data=nd[1]),
        segs[5].copy(ack=oend[2]),
        segs[6].copy(seq=nend[2], data=nd[2]),
        segs[7].copy(ack=oend[3]),
        segs[8].copy(seq=nend[3]),
    ]
    dd = os.path.join(CASES, name)
    write_pcap(os.path.join(dd, "in.pcap"), segs)
    write_pcap(os.path.join(dd, "expected_out.pcap"), out)


def drop_flow():
    """Two connections; A's signature is split over two segments: from the
    second on, every packet of A (both directions) is dropped; B passes."""
    ca, cb, s = 1000, 3000, 5000
    A, B = 40000, 40001
    segs = numbered([
        PSeg(A, 0, False, SYN, ca - 1, 0),
        PSeg(B, 0, False, SYN, cb - 1, 0),
        PSeg(A, 0, True, SYN | ACK, s - 1, ca),
        PSeg(B, 0, True, SYN | ACK, s - 1, cb),
        PSeg(A, 0, False, ACK | PSH, ca, s, b"run cmd."),
        PSeg(B, 0, False, ACK | PSH, cb, s, b"run ls"),
        PSeg(A, 0, False, ACK | PSH, ca + 8, s, b"exe /c dir"),   # completes the signature
        PSeg(B, 0, True, ACK, s, cb + 6),
        PSeg(A, 0, True, ACK, s, ca + 18),                       # A's reply: dropped too
        PSeg(B, 0, False, ACK | PSH, cb + 6, s, b" -l"),
        PSeg(A, 0, False, ACK | FIN, ca + 18, s),
        PSeg(B, 0, False, ACK | FIN, cb + 9, s),
    ])
    keep = [x for i, x in enumerate(segs) if not (x.port == A and i >= 6)]
    dd = os.path.join(CASES, "ids_drop_flow")
    write_pcap(os.path.join(dd, "in.pcap"), segs)
    write_pcap(os.path.join(dd, "expected_out.pcap"), keep)


if __name__ == "__main__":
    stream_case("ids_stream_replace", lambda m: b"[blocked]")
    stream_case("ids_stream_mask", lambda m: b"X" * len(m))
    drop_flow()
