FromDump($DATA/pcaps/dns_queries_responses.pcap, STOP true) -> c :: Counter -> ToDump($OUT/dns.pcap, SNAPLEN 262144);
