FromDump($DATA/pcaps/http_get_content_length.pcap, STOP true) -> Strip(14) -> CheckIPHeader
  -> fr :: IPFragmenter(576, HONOR_DF false) -> c :: Counter -> CheckIPHeader -> ok :: Counter -> Discard;
