FromDump($DATA/pcaps/tcp_truncated_headers_snaplen68.pcap, STOP true)
  -> Strip(14) -> ck :: CheckIPHeader -> good :: Counter -> Discard;
ck [1] -> bad :: Counter -> Discard;
