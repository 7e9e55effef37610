FromDump($DATA/pcaps/ipv4_frag_icmp_echo.pcap, STOP true)
  -> Strip(14) -> CheckIPHeader -> c :: IPClassifier(ip frag, -);
c [0] -> frag :: Counter -> Discard;
c [1] -> whole :: Counter -> Discard;
