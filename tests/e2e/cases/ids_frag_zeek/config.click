// The real crafted evasion capture from zeek: a TCP "GET" in four tiny IPv4
// fragments, out of order, one overlapping with junk.  First-seen bytes give
// the IIS /msadc/..cmd.exe request, which PatternMatch catches whole.
FromDump($DATA/pcaps/ipv4_frag_tiny_overlap_tcp_CRAFTED.pcap, STOP true) -> ipr :: IPReassembler
  -> fm :: FlowManager -> pm :: PatternMatch("cmd.exe");
pm[0] -> clean :: Counter -> Discard;
pm[1] -> ToDump($OUT/alerts.pcap, SNAPLEN 65535);
