FromDump($DATA/pcaps/http_get_content_length.pcap, STOP true) -> Strip(14) -> CheckIPHeader
  -> f :: IPFilter(allow tcp port 80, deny all) -> web :: Counter -> Discard;
