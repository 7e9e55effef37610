FromDump($DATA/pcaps/tcp_overlap_inconsistent_retransmit.pcap, STOP true)
  -> Classifier(12/0800) -> Strip(14) -> ck :: CheckIPHeader -> good :: Counter -> Discard;
ck [1] -> short :: Counter -> Discard;
