// A SYN flood (3000 spoofed SYNs in 0.3 s) fills a table of 1024 flows:
// the excess is dropped and counted, the process carries on.  A real
// client's SYN during the flood is dropped too; its retransmission 12 s
// later gets a flow, since the flood's half-open flows time out after
// 10 s and an insert reclaims them, and its connection passes the firewall.
FromDump($E2E/data/flow_synflood.pcap, STOP true)
  -> fm :: FlowManager(CAPACITY 1024, FULL DROP, SYMMETRIC true, TIMEOUT_SYN 10s)
  -> fw :: FlowFirewall(INSIDE 192.0.2.0/24)
  -> ok :: Counter -> Discard;
fw [1] -> Discard;
