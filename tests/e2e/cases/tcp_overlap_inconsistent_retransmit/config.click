// A real evasion attempt (WebDAV SEARCH overflow, 2004): retransmitted
// segments overlap earlier ones with other bytes, and five segments are
// cut short in the capture (their bytes never arrive).  TCPIn keeps the
// first-seen bytes (inconsistent), cuts partly old segments (trimmed),
// holds at most 16 segments per flow (overflow), and gives up each hole
// after TIMEOUT (2 s of packet time).  TIMEOUT_CLOSED keeps the connection
// one flow across the client's late retransmissions after its FIN.  The
// expected counters come from the TCPIn model in
// tcp_crafted_stream/gen_tcp_pcaps.py; HTTPIn stops at the first hole,
// inside the request line.
FromDump($DATA/pcaps/tcp_overlap_inconsistent_retransmit.pcap, STOP true)
  -> fm :: FlowManager(SYMMETRIC true, RESERVE 2k, TIMEOUT_CLOSED 60s)
  -> t :: TCPIn
  -> h :: HTTPIn
  -> Discard;
