// A real download (a 177,207-byte PDF over HTTP) whose server segments arrive
// out of order: TCPIn holds the early ones until the gaps fill, so the
// output carries each direction in sequence order; HTTPIn then parses the
// request and the response and counts every body byte.  The expected
// packet order and TCPIn counters come from the TCPIn model in
// tcp_crafted_stream/gen_tcp_pcaps.py.
FromDump($DATA/pcaps/tcp_out_of_order_http_download.pcap, STOP true)
  -> fm :: FlowManager(SYMMETRIC true, RESERVE 2k)
  -> t :: TCPIn
  -> h :: HTTPIn
  -> ToDump($OUT/out.pcap, SNAPLEN 65535);
