// An IDS that sees through IP fragmentation: IPReassembler puts fragmented
// datagrams (IPv4 and IPv6) back together, with first-seen bytes winning
// where fragments overlap, before the flow manager classifies each packet
// once and PatternMatch scans every flow (state carried from packet to
// packet, so a signature split across TCP segments is found too).
// Alerts are written to $ALERTS; everything else goes on to $OUT.
//   mboxsh -f scripts/ids.click [IN=capture.pcap OUT=passed.pcap ALERTS=alerts.pcap]
//   (for real ports: FromDPDKDevice(0) -> ... -> ToDPDKDevice(1); fragments of
//   one datagram must reach one worker: RSS on the IP addresses only)
define($IN ../shared/data/pcaps/ipv4_frag_tiny_overlap_tcp_CRAFTED.pcap,
       $OUT /tmp/ids_pass.pcap, $ALERTS /tmp/ids_alerts.pcap);

FromDump($IN, STOP true)
  -> ipr :: IPReassembler(MAX_PACKETS 8192, MEM 16M, TIMEOUT 30s, TINY 64)
  -> fm :: FlowManager(SYMMETRIC true, CAPACITY 262144)
  -> pm :: PatternMatch("cmd.exe", "/etc/passwd", "union select", "\<90 90 90 90 90 90 90 90>");
pm [0] -> ToDump($OUT, SNAPLEN 65535);
pm [1] -> alerts :: Counter -> ToDump($ALERTS, SNAPLEN 65535);
// read ipr.reassembled, ipr.overlaps, ipr.tiny, ipr.drops, pm.matches, alerts.count
