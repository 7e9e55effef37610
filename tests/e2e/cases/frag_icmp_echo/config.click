// A real ICMP echo request in two IPv4 fragments (976 + 452 bytes) and its
// whole reply: one 1428-byte datagram, then the reply.
FromDump($DATA/pcaps/ipv4_frag_icmp_echo.pcap, STOP true) -> ipr :: IPReassembler -> ToDump($OUT/out.pcap, SNAPLEN 65535);
