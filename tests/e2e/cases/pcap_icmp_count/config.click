FromDump($DATA/pcaps/icmp_echo_5pings.pcap, STOP true)
  -> Strip(14) -> CheckIPHeader -> c :: IPClassifier(icmp type echo, icmp type echo-reply, -);
c [0] -> req :: Counter -> Discard;
c [1] -> rep :: Counter -> Discard;
c [2] -> Discard;
