// A per-flow rate limit: every 5-tuple may send 100 packets/s, bursts of 5.
//   mboxsh -f scripts/flow_ratelimit.click [IN=capture.pcap]
define($IN tests/e2e/data/flow_ratelimit.pcap);

FromDump($IN, STOP true)
  -> fm :: FlowManager
  -> rl :: FlowRateLimit(100, BURST 5)
  -> ok :: Counter -> Discard;
rl [1] -> over :: Counter -> Discard;
