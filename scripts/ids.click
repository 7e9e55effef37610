// An IDS that sees through IP fragmentation: IPReassembler puts fragmented
// datagrams (IPv4 and IPv6) back together, with first-seen bytes winning
// where fragments overlap, before the flow manager classifies each packet
// once and PatternMatch scans every flow (state carried from packet to
// packet, so a signature split across TCP segments is found too).
// An IPS: ACTION DROP_FLOW drops the packet that completes a signature and
// every later packet of its flow, both directions (pm.dropped,
// pm.flows_dropped); the dropped packets are not forwarded.  Everything else
// goes on to $OUT.  ACTION ALERT (the default) would send matching packets
// to pm[1] instead (e.g. pm[1] -> ToDump($ALERTS)); MASK, REMOVE and
// REPLACE edit the stream (docs/flows.md, "Pattern actions").  One
// PatternMatch per manager path: the graph refuses a flow element behind
// PatternMatch (it may hold packets in offload batches, like a queue).
//   mboxsh -f scripts/ids.click [IN=capture.pcap OUT=passed.pcap]
//   (for real ports: FromDPDKDevice(0) -> ... -> ToDPDKDevice(1); fragments of
//   one datagram must reach one worker: RSS on the IP addresses only)
define($IN ../shared/data/pcaps/ipv4_frag_tiny_overlap_tcp_CRAFTED.pcap,
       $OUT /tmp/ids_pass.pcap);

FromDump($IN, STOP true)
  -> ipr :: IPReassembler(MAX_PACKETS 8192, MEM 16M, TIMEOUT 30s, TINY 64)
  -> fm :: FlowManager(SYMMETRIC true, CAPACITY 262144)
  -> pm :: PatternMatch("cmd.exe", "/msadc", "/etc/passwd", "union select", "\<90 90 90 90 90 90 90 90>",
                        ACTION DROP_FLOW)
  -> ToDump($OUT, SNAPLEN 65535);
// read ipr.reassembled, ipr.overlaps, ipr.tiny, ipr.drops, pm.matches, pm.dropped, pm.flows_dropped
