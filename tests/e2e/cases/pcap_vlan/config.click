FromDump($DATA/pcaps/vlan_8021q_arp_icmp.pcap, STOP true)
  -> c :: Classifier(12/8100 16/0806, 12/8100 16/0800, -);
c [0] -> arp :: Counter -> Discard;
c [1] -> ip :: Counter -> Discard;
c [2] -> rest :: Counter -> Discard;
