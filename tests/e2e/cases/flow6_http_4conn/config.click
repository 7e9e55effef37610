// IPv6 flows from a real capture (raw IPv6, 4 HTTP connections): with
// SYMMETRIC both directions of each connection are one flow (4), without
// it one per direction (8).  Expected listings: gen_expected.py.
FromDump($DATA/pcaps/ipv6_http_4conn_rawip.pcap, STOP true, FORCE_IP true) -> t :: Tee(2);
t [0] -> fm :: FlowManager(SYMMETRIC true, IPV6 true) -> sym :: FlowCounter -> Discard;
t [1] -> fm2 :: FlowManager(IPV6 true) -> asym :: FlowCounter -> Discard;
