// An IPS that rewrites the stream: "cmd.exe" is replaced by "[blocked]" in
// the client's request (gen_ids_actions.py writes the input and computes
// the expected output from a model).  The first occurrence is split across
// two segments: the segment where it ends has its part ("exe") replaced
// (counted in partial), the "cmd." already sent stays; the two whole
// occurrences of the third segment are replaced.  TCPOut moves the client's
// sequence numbers and maps the server's acknowledgements back.
FromDump($CASE/in.pcap, STOP true) -> MarkIPHeader(14)
  -> fm :: FlowManager(SYMMETRIC true, RESERVE 1k)
  -> t :: TCPIn
  -> pm :: PatternMatch("cmd.exe", ACTION REPLACE "[blocked]")
  -> o :: TCPOut
  -> ToDump($OUT/out.pcap, SNAPLEN 65535);
