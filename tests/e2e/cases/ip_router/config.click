// Click's standard two-interface IP router (make-ip-conf.pl / the SOSP '99
// router), with pcap files for devices.  Interface 0: 10.0.0.1/24,
// 00:00:c0:ae:67:ef; interface 1: 10.0.1.1/24, 00:00:c0:4f:71:ef.
// Interface 1 first hears its neighbours' ARP replies, then interface 0's
// traffic is replayed (DriverManager sequences the two).

ip :: Strip(14)
  -> ck :: CheckIPHeader(INTERFACES 10.0.0.1/24 10.0.1.1/24)
  -> GetIPAddress(16)
  -> rt :: StaticIPLookup(
        10.0.0.1/32 0, 10.0.0.255/32 0, 10.0.0.0/32 0,
        10.0.1.1/32 0, 10.0.1.255/32 0, 10.0.1.0/32 0,
        10.0.0.0/24 1, 10.0.1.0/24 2);

arpt :: Tee(3);

// interface 0
in0 :: FromDump($E2E/data/router_in.pcap, STOP true, ACTIVE false);
c0 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
in0 -> c0;
out0 :: Queue(200) -> q0 :: Counter -> ToDump($OUT/out0.pcap, SNAPLEN 65535);
c0 [0] -> ar0 :: ARPResponder(10.0.0.1 00:00:c0:ae:67:ef) -> out0;
arpq0 :: ARPQuerier(10.0.0.1, 00:00:c0:ae:67:ef) -> out0;
c0 [1] -> arpt;
arpt [0] -> [1] arpq0;
c0 [2] -> Paint(1) -> ip;
c0 [3] -> other0 :: Counter -> Discard;

// interface 1
in1 :: FromDump($E2E/data/router_arp1.pcap, STOP true);
c1 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
in1 -> c1;
out1 :: Queue(200) -> q1 :: Counter -> ToDump($OUT/out1.pcap, SNAPLEN 65535);
c1 [0] -> ar1 :: ARPResponder(10.0.1.1 00:00:c0:4f:71:ef) -> out1;
arpq1 :: ARPQuerier(10.0.1.1, 00:00:c0:4f:71:ef) -> out1;
c1 [1] -> arpt;
arpt [1] -> [1] arpq1;
c1 [2] -> Paint(2) -> ip;
c1 [3] -> Discard;

// local delivery
toh :: Counter -> Discard;
arpt [2] -> toh;
rt [0] -> EtherEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2) -> toh;

// forwarding path for interface 0
rt [1] -> DropBroadcasts
  -> cp0 :: PaintTee(1)
  -> gio0 :: IPGWOptions(10.0.0.1)
  -> FixIPSrc(10.0.0.1)
  -> dt0 :: DecIPTTL
  -> fr0 :: IPFragmenter(1500)
  -> [0] arpq0;
dt0 [1] -> ICMPError(10.0.0.1, timeexceeded) -> rt;
fr0 [1] -> ICMPError(10.0.0.1, unreachable, needfrag) -> rt;
gio0 [1] -> ICMPError(10.0.0.1, parameterproblem) -> rt;
cp0 [1] -> ICMPError(10.0.0.1, redirect, host) -> rt;

// forwarding path for interface 1
rt [2] -> DropBroadcasts
  -> cp1 :: PaintTee(2)
  -> gio1 :: IPGWOptions(10.0.1.1)
  -> FixIPSrc(10.0.1.1)
  -> dt1 :: DecIPTTL
  -> fr1 :: IPFragmenter(1500)
  -> [0] arpq1;
dt1 [1] -> ICMPError(10.0.1.1, timeexceeded) -> rt;
fr1 [1] -> ICMPError(10.0.1.1, unreachable, needfrag) -> rt;
gio1 [1] -> ICMPError(10.0.1.1, parameterproblem) -> rt;
cp1 [1] -> ICMPError(10.0.1.1, redirect, host) -> rt;

DriverManager(wait_stop, write in0.active true, wait_stop, wait 50ms, stop);
