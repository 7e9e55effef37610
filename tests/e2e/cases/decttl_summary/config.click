FromDump($DATA/pcaps/icmp_echo_5pings.pcap, STOP true) -> Strip(14) -> CheckIPHeader -> DecIPTTL
  -> ToIPSummaryDump(-, CONTENTS ip_src ip_ttl ip_id, HEADER false);
