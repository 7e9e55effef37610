// Real DNSSEC answers fragmented over IPv4 (4) and IPv6 (3), among DNS
// over TCP and whole packets: each datagram leaves whole where its last
// fragment was; everything else passes unchanged and in order.
FromDump($DATA/pcaps/dns_udp_fragmented_ipv4_ipv6.pcap, STOP true) -> ipr :: IPReassembler -> ToDump($OUT/out.pcap, SNAPLEN 65535);
