// The HTTP filter middlebox on a crafted exchange (gen_tcp_pcaps.py in
// tcp_crafted_stream/ computes the expected output from a model):
// "ads.example" and a script tag are replaced in a Content-Length response,
// one of each split across segments; the response becomes chunked, and
// TCPOut moves the server's sequence numbers and the client's
// acknowledgements (the client acknowledges the edited stream it got).
FromDump($CASE/in.pcap, STOP true)
  -> fm :: FlowManager(SYMMETRIC true, RESERVE 2k)
  -> t :: TCPIn
  -> h :: HTTPIn
  -> f :: HTTPFilter(REPLACE "ads.example" "", REPLACE "<script src=\"x\"></script>" "<!-- -->")
  -> o :: TCPOut
  -> ToDump($OUT/out.pcap, SNAPLEN 65535);
