FromDump($DATA/pcaps/mixed_many_flows_p2p_host.pcap, STOP true)
  -> eth :: Classifier(12/0800, 12/86dd, 12/0806, -);
eth [0] -> v4 :: Counter -> Strip(14) -> ck :: CheckIPHeader -> proto :: IPClassifier(tcp, udp, icmp, -);
eth [1] -> v6 :: Counter -> Discard;
eth [2] -> arp :: Counter -> Discard;
eth [3] -> other :: Counter -> Discard;
ck [1] -> bad :: Counter -> Discard;
proto [0] -> tcp :: Counter -> Discard;
proto [1] -> udp :: Counter -> Discard;
proto [2] -> icmp :: Counter -> Discard;
proto [3] -> rest :: Counter -> Discard;
