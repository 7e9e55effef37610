FromDump($DATA/pcaps/gre_ipv4_tunnel.pcap, STOP true)
  -> Strip(14) -> CheckIPHeader -> f :: IPFilter(allow ip proto 47, deny all) -> gre :: Counter -> Discard;
