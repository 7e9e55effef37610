FromDump($DATA/pcaps/malformed_ipv4_ihl_too_small.pcap, STOP true)
  -> Strip(14) -> ck :: CheckIPHeader -> good :: Counter -> Discard;
ck [1] -> bad :: Counter -> Discard;
