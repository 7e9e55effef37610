// A per-flow rate limit of 100 packets/s with bursts of 5: a fast flow
// (1000 packets/s) is cut down, a slow one (250 packets/s) passes whole.
FromDump($E2E/data/flow_ratelimit.pcap, STOP true)
  -> fm :: FlowManager
  -> rl :: FlowRateLimit(100, BURST 5)
  -> ok :: Counter -> Discard;
rl [1] -> over :: Counter -> Discard;
