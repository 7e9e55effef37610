// An L4 load balancer: flows to the service are spread over backends by
// Maglev consistent hashing; each flow keeps its backend for its life.
// Change the set live:  mboxsh -u /tmp/lb.sock ...; write lb.backends 10.1.0.1 10.1.0.3
//   mboxsh -f scripts/flow_lb.click [IN=capture.pcap]
define($IN tests/e2e/data/flow_lb.pcap);

FromDump($IN, STOP true) -> Strip(14) -> CheckIPHeader
  -> fm :: FlowManager(CAPACITY 1048576)
  -> lb :: FlowLB(10.1.0.1 10.1.0.2 10.1.0.3)
  -> ToIPSummaryDump(-, CONTENTS ip_src sport ip_dst);
