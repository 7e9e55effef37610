FromDump($DATA/pcaps/icmp_echo_5pings.pcap, STOP true) -> ToDump($OUT/out.pcap, SNAPLEN 262144);
