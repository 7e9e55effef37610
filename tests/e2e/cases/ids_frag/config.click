// An IDS that sees through IP fragmentation: fragments are reassembled
// (first-seen bytes win on overlaps) before the flow manager classifies
// them and PatternMatch scans each flow.  The crafted capture (gen_frag.py)
// splits signatures across tiny, out-of-order, repeated and overlapping
// fragments; alerts are the reassembled datagrams.
FromDump($CASE/input.pcap, STOP true) -> ipr :: IPReassembler
  -> fm :: FlowManager -> pm :: PatternMatch("cmd.exe", "/etc/passwd", "EVILSIG");
pm[0] -> clean :: Counter -> Discard;
pm[1] -> ToDump($OUT/alerts.pcap, SNAPLEN 65535);
