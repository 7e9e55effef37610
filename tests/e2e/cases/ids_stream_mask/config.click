// The same request as ids_stream_replace, masked instead: the matched bytes
// become 'X' in place (the length is unchanged, so sequence numbers are
// too), "exe" only where the signature was split across two segments
// (partial).  gen_ids_actions.py in ids_stream_replace/ computes the
// expected output.
FromDump($CASE/in.pcap, STOP true) -> MarkIPHeader(14)
  -> fm :: FlowManager(SYMMETRIC true, RESERVE 1k)
  -> t :: TCPIn
  -> pm :: PatternMatch("cmd.exe", ACTION MASK)
  -> o :: TCPOut
  -> ToDump($OUT/out.pcap, SNAPLEN 65535);
