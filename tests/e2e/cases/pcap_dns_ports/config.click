FromDump($DATA/pcaps/dns_queries_responses.pcap, STOP true)
  -> eth :: Classifier(12/0800, 12/86dd, -);
eth [0] -> v4 :: Counter -> Strip(14) -> CheckIPHeader -> ports :: IPClassifier(udp port 53, udp port 5353, -);
eth [1] -> v6 :: Counter -> Discard;
eth [2] -> Discard;
ports [0] -> dns :: Counter -> Discard;
ports [1] -> mdns :: Counter -> Discard;
ports [2] -> rest :: Counter -> Discard;
