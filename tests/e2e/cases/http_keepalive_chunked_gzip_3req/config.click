// Three requests on one keep-alive connection; the first response is
// chunked and gzip-compressed (23 KB), the next two have a Content-Length.
// HTTPIn follows the framing message after message (body bytes counted
// without the chunk framing: 23,363, as a script reading the capture
// finds); HTTPFilter leaves the compressed chunked response alone
// (skipped) and has nothing to replace in the others.
FromDump($DATA/pcaps/http_keepalive_chunked_gzip_3req.pcap, STOP true)
  -> fm :: FlowManager(SYMMETRIC true, RESERVE 2k)
  -> t :: TCPIn
  -> h :: HTTPIn
  -> f :: HTTPFilter(REPLACE "doubleclick" "")
  -> o :: TCPOut
  -> Discard;
