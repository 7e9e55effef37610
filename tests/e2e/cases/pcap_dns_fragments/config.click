FromDump($DATA/pcaps/dns_udp_fragmented_ipv4_ipv6.pcap, STOP true)
  -> c :: Classifier(12/0800, -);
c [0] -> Strip(14) -> CheckIPHeader -> f :: IPClassifier(ip frag, -);
c [1] -> v6 :: Counter -> Discard;
f [0] -> frag :: Counter -> Discard;
f [1] -> whole :: Counter -> Discard;
