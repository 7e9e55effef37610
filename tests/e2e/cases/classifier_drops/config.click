FromDump($DATA/pcaps/dns_queries_responses.pcap, STOP true) -> c :: Classifier(12/86dd) -> v6 :: Counter -> Discard;
