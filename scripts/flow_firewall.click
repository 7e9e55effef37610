// A stateful firewall on flows: hosts of 10.0.0.0/24 open connections,
// anyone may reach port 53; only replies to allowed connections come back.
//   mboxsh -f scripts/flow_firewall.click [IN=capture.pcap OUT=passed.pcap]
//   (for real ports: FromDPDKDevice(0) -> ... -> ToDPDKDevice(1))
define($IN tests/e2e/data/flow_firewall.pcap, $OUT /tmp/flow_firewall_pass.pcap);

FromDump($IN, STOP true)
  -> fm :: FlowManager(SYMMETRIC true, CAPACITY 1048576, TIMEOUT_TCP 300s, TIMEOUT_SYN 10s, FULL DROP)
  -> fw :: FlowFirewall(INSIDE 10.0.0.0/24, OPEN 53)
  -> ToDump($OUT, SNAPLEN 65535);
fw [1] -> rejected :: Counter -> Discard;
// read fw.allowed, fw.denied, fm.flows, fm.full_drops; fw.connections once stopped
