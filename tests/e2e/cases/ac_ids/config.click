// An IDS's signature stage: PatternMatch scans the payload after the IP and
// TCP/UDP headers (CheckIPHeader sets the network header) for four
// signatures; alerts are dumped with their Ethernet header restored.
FromDump($E2E/data/ac_ids.pcap, STOP true) -> Strip(14) -> CheckIPHeader
  -> pm :: PatternMatch("/etc/passwd", "\<90 90 90 90 90 90 90 90>", "cmd.exe", "union select");
pm[0] -> clean :: Counter -> Discard;
pm[1] -> Unstrip(14) -> ToDump($OUT/alerts.pcap, SNAPLEN 262144);
