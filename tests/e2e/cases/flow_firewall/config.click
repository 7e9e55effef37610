// A stateful firewall: hosts of 10.0.0.0/24 open connections, anyone may
// reach UDP/TCP port 53; everything else from outside is rejected, and so
// is what does not belong to an allowed connection (ACK scans, stray
// SYN-ACKs, packets after an RST, non-IP frames).
FromDump($E2E/data/flow_firewall.pcap, STOP true)
  -> fm :: FlowManager(SYMMETRIC true)
  -> fw :: FlowFirewall(INSIDE 10.0.0.0/24, OPEN 53)
  -> ToDump($OUT/pass.pcap, SNAPLEN 65535);
fw [1] -> rej :: Counter -> Discard;
