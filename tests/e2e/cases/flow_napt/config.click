// NAPT: one capture holds both sides; packets from 10/8 are the inside.
// Three external ports; UDP mappings expire after 30 s of silence.  One
// packet per batch (Unqueue(1)), so the two sides keep the capture's order.
FromDump($E2E/data/flow_napt.pcap, STOP true) -> Queue(100) -> Unqueue(1)
  -> side :: Classifier(12/0800 26/0a, -);
side [0] -> fm :: FlowManager(TIMEOUT_UDP 30s) -> [0] nat :: FlowNAPT(192.0.2.1 5000-5002 - -);
side [1] -> [1] nat;
nat [0] -> ToDump($OUT/out.pcap, SNAPLEN 65535);
nat [1] -> ToDump($OUT/in.pcap, SNAPLEN 65535);
DriverManager(wait_stop, wait 200ms, stop);
