FromDump($DATA/pcaps/ipv6_http_4conn_rawip.pcap, STOP true)
  -> c :: Classifier(0/60%f0, -) -> v6 :: Counter -> Discard;
c [1] -> other :: Counter -> Discard;
