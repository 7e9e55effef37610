// An HTTP filter middlebox: ad links and a tracking script are taken out of
// web pages in flight, the responses stay well framed (a filtered
// Content-Length response becomes chunked) and both ends keep one
// consistent TCP stream (TCPOut rewrites sequence and acknowledgement
// numbers and checksums).  TCPIn also gives an IDS behind it the stream in
// order: PatternMatch alerts on a signature however the segments came.
//   mboxsh -f scripts/http_filter.click [IN=capture.pcap OUT=filtered.pcap]
//   (for real ports: FromDPDKDevice(0) -> ... -> ToDPDKDevice(1))
define($IN tests/e2e/cases/http_filter_crafted/in.pcap, $OUT /tmp/http_filter_out.pcap);

FromDump($IN, STOP true)
  -> MarkIPHeader(14)
  -> fm :: FlowManager(SYMMETRIC true, CAPACITY 32768, RESERVE 2k, TIMEOUT_TCP 300s)
  -> t :: TCPIn(RETRANSMIT DROP, TIMEOUT 2s)
  -> h :: HTTPIn
  -> f :: HTTPFilter(REPLACE "ads.example" "",
                     REPLACE "<script src=\"x\"></script>" "<!-- -->")
  -> o :: TCPOut
  -> ids :: PatternMatch("/etc/passwd", "cmd.exe")   // last: it batches (a queue for the flow layout)
  -> ToDump($OUT, SNAPLEN 65535);
ids [1] -> alerts :: Counter -> Discard;   // matching packets are dropped
// read f.filtered, f.replaced, h.flows, t.held, t.inconsistent, o.seq_rewritten, alerts.count
