// An IDS that sees the stream: the signature EVILPAYLOAD is split across two
// segments that arrive in the wrong order.  Behind TCPIn, PatternMatch
// (which carries its automaton state from packet to packet of a flow)
// sees the halves in stream order and alerts on the second; the same
// PatternMatch without TCPIn sees PAYLOAD...EVIL and misses it.
FromDump($CASE/in.pcap, STOP true) -> MarkIPHeader(14) -> tee :: Tee(2);
tee[0] -> fm :: FlowManager(SYMMETRIC true, RESERVE 1k) -> t :: TCPIn
  -> pm :: PatternMatch("EVILPAYLOAD") -> Discard;
pm[1] -> ToDump($OUT/alert.pcap, SNAPLEN 65535);
tee[1] -> fm2 :: FlowManager(SYMMETRIC true) -> pm2 :: PatternMatch("EVILPAYLOAD") -> Discard;
pm2[1] -> miss :: Counter -> Discard;
