// The IDS chain on real DNSSEC answers fragmented over IPv4 and IPv6: the
// signatures (from gen_frag.py) are 10 bytes across the first fragment's
// end of one IPv4 and one IPv6 datagram, so no fragment holds them; the
// same answers also come whole over TCP (alerts too).  Without the
// reassembler only those 2 whole answers alert, not the 3 fragmented ones.
FromDump($DATA/pcaps/dns_udp_fragmented_ipv4_ipv6.pcap, STOP true) -> ipr :: IPReassembler
  -> fm :: FlowManager(IPV6 true) -> pm :: PatternMatch("\<1b 92 56 69 0f 05 4b db 48 1e>", "\<49 5d 7a b6 6a 1c ea 61 8d 79>");
pm[0] -> clean :: Counter -> Discard;
pm[1] -> ToDump($OUT/alerts.pcap, SNAPLEN 65535);
