FromDump($DATA/pcaps/tcp_syn_scan_nmap.pcap, STOP true)
  -> Strip(14) -> CheckIPHeader
  -> c :: IPClassifier(tcp opt syn and not tcp opt ack, tcp opt syn and tcp opt ack, tcp opt rst, -);
c [0] -> syn :: Counter -> Discard;
c [1] -> synack :: Counter -> Discard;
c [2] -> rst :: Counter -> Discard;
c [3] -> other :: Counter -> Discard;
