FromDump($E2E/data/mixed.pcap, STOP true) -> Strip(14) -> CheckIPHeader
  -> f :: IPFilter(allow udp dst port 53, 1 tcp dst port 80 and tcp opt syn, 2 icmp type echo, deny all);
f [0] -> dns :: Counter -> Discard;
f [1] -> web :: Counter -> Discard;
f [2] -> ping :: Counter -> Discard;
