FromDump($DATA/pcaps/mixed_browsing_http_dns_tls.pcap, STOP true)
  -> c :: Classifier(12/0800, 12/86dd, 12/0806, 12/8100, -);
c [0] -> ip :: Counter -> Discard;
c [1] -> ip6 :: Counter -> Discard;
c [2] -> arp :: Counter -> Discard;
c [3] -> vlan :: Counter -> Discard;
c [4] -> other :: Counter -> Discard;
