// PatternMatch with PAYLOAD false scans whole packets, headers included:
// the packet whose TCP ports and sequence number spell "cmd.exe " is now
// flagged too (compare ac_ids).
FromDump($E2E/data/ac_ids.pcap, STOP true) -> Strip(14) -> CheckIPHeader
  -> pm :: PatternMatch("/etc/passwd", "\<90 90 90 90 90 90 90 90>", "cmd.exe", "union select", PAYLOAD false);
pm[0] -> clean :: Counter -> Discard;
pm[1] -> Discard;
