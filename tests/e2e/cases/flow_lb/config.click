// An L4 load balancer: 40 clients, three packets each, to 10.1.1.1; each
// flow keeps one backend (Maglev over three).
FromDump($E2E/data/flow_lb.pcap, STOP true) -> Strip(14) -> CheckIPHeader
  -> fm :: FlowManager
  -> lb :: FlowLB(10.1.0.1 10.1.0.2 10.1.0.3, TABLE 65521)
  -> ToIPSummaryDump(-, CONTENTS ip_src sport ip_dst);
