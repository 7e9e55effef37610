// TCPIn on a crafted connection (tests/e2e/cases/tcp_crafted_stream/gen_tcp_pcaps.py
// writes the input and the expected output from a model): a segment ahead
// of a gap waits and leaves after the one that fills it, a retransmission
// and a segment of old bytes with other data are dropped, a response
// segment that overlaps 4 delivered bytes with other data is cut to its
// new bytes (first-seen bytes win).
FromDump($CASE/in.pcap, STOP true)
  -> fm :: FlowManager(SYMMETRIC true, RESERVE 1k)
  -> t :: TCPIn
  -> ToDump($OUT/out.pcap, SNAPLEN 65535);
