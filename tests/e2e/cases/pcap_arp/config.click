FromDump($DATA/pcaps/arp_request_reply.pcap, STOP true)
  -> c :: Classifier(12/0806 20/0001, 12/0806 20/0002, -);
c [0] -> req :: Counter -> Discard;
c [1] -> rep :: Counter -> Discard;
c [2] -> rest :: Counter -> Discard;
