FromDump($DATA/pcaps/icmp_echo_5pings.pcap, STOP true) -> Strip(14) -> CheckIPHeader
  -> ToIPSummaryDump(-, CONTENTS ip_src ip_dst ip_proto ip_len);
