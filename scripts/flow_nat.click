// NAPT: the inside (10/8) shares 192.0.2.1; ports 1024-65535 are handed
// out per flow and return to the pool when the flow ends.
//   mboxsh -f scripts/flow_nat.click [IN=capture.pcap]
define($IN tests/e2e/data/flow_napt.pcap, $OUT /tmp/flow_nat);

FromDump($IN, STOP true) -> Queue(1000) -> Unqueue(1)
  -> side :: Classifier(12/0800 26/0a, -);
side [0] -> fm :: FlowManager(TIMEOUT_UDP 30s, TIMEOUT_TCP 2h) -> [0] nat :: FlowNAPT(192.0.2.1 1024-65535 - -);
side [1] -> [1] nat;
nat [0] -> ToDump($OUT-out.pcap, SNAPLEN 65535);
nat [1] -> ToDump($OUT-in.pcap, SNAPLEN 65535);
DriverManager(wait_stop, wait 200ms, stop);
// nat.mappings lists the ports in use; nat.released counts those given back
