// The HTTP filter middlebox on a real HTTP/1.1 download (a 4,705-byte text
// body with a Content-Length, keep-alive): HTTPIn parses the exchange,
// HTTPFilter replaces 29 "Robin" and 2 "Seth" (counted in the body with a
// script), turns the response into a chunked one, and TCPOut moves the
// server's sequence numbers after the first edit and the client's acknowledgements
// back; the output packets are compared with the model in
// tcp_crafted_stream/gen_tcp_pcaps.py (http_get_filter).
FromDump($DATA/pcaps/http_get_content_length.pcap, STOP true)
  -> fm :: FlowManager(SYMMETRIC true, RESERVE 2k)
  -> t :: TCPIn
  -> h :: HTTPIn
  -> f :: HTTPFilter(REPLACE "Robin" "R.", REPLACE "Seth" "S.")
  -> o :: TCPOut
  -> ToDump($OUT/out.pcap, SNAPLEN 65535);
