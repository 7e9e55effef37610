FromDump($DATA/pcaps/http_get_content_length.pcap, STOP true) -> Strip(14) -> CheckIPHeader
  -> fr :: IPFragmenter(576) -> small :: Counter -> Discard;
fr [1] -> df :: Counter -> ICMPError(10.0.0.1, unreachable, needfrag) -> err :: Counter -> Discard;
