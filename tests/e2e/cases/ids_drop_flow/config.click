// DROP_FLOW: connection A sends "cmd." then "exe /c dir": from the segment
// that completes the signature on, every packet of A (the server's
// acknowledgement and the FIN included) is dropped; connection B,
// interleaved with it, passes whole.  gen_ids_actions.py in
// ids_stream_replace/ writes the input and the expected output.
FromDump($CASE/in.pcap, STOP true) -> MarkIPHeader(14)
  -> fm :: FlowManager(SYMMETRIC true)
  -> pm :: PatternMatch("cmd.exe", ACTION DROP_FLOW)
  -> ToDump($OUT/out.pcap, SNAPLEN 65535);
