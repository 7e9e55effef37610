/*
 * demo.c - the demo middlebox `make run` starts: a small stateless
 * firewall in front of a router's forwarding path, fed by built-in traffic
 * sources (DNS, web, and traffic the firewall must refuse), so it runs with
 * no NIC.  The route lookup is a FIBLookup, so `migrate rt opencl` moves it
 * to a device while traffic flows.
 */
#include "demo.h"

/* UDP 10.0.0.2:1234 -> 10.0.1.5:53, TCP 10.0.0.2:40000 -> 10.0.1.7:80 SYN,
 * UDP 10.0.0.9:5000 -> 10.0.1.5:6881; all with valid IP checksums. */
const char mb_demo_config[] =
	"// mboxsh demo: generated traffic -> firewall -> forwarding path\n"
	"dns :: RatedSource(\"\\<00 00 c0 ae 67 ef 00 20 6f 14 54 c2 08 00 45 00 00 2e 00 00 00 00 40 11\n"
	"  65 b9 0a 00 00 02 0a 00 01 05 04 d2 00 35 00 1a 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"  00 00 00 00>\", RATE 300000);\n"
	"web :: RatedSource(\"\\<00 00 c0 ae 67 ef 00 20 6f 14 54 c2 08 00 45 00 00 28 00 00 00 00 40 06\n"
	"  65 c8 0a 00 00 02 0a 00 01 07 9c 40 00 50 00 00 00 01 00 00 00 00 50 02 ff ff 00 00 00 00>\",\n"
	"  RATE 500000);\n"
	"p2p :: RatedSource(\"\\<00 00 c0 ae 67 ef 00 20 6f 14 54 c2 08 00 45 00 00 2e 00 00 00 00 40 11\n"
	"  65 b2 0a 00 00 09 0a 00 01 05 13 88 1a e1 00 1a 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"  00 00 00 00>\", RATE 100000);\n"
	"in :: Counter;\n"
	"dns, web, p2p -> in -> Strip(14) -> CheckIPHeader\n"
	"  -> fw :: IPFilter(allow udp dst port 53, allow tcp dst port 80 or 443, deny all)\n"
	"  -> rt :: FIBLookup(10.0.1.0/24 0, 0.0.0.0/0 1, BATCH 1024, LATENCY 200us)\n"
	"  -> DecIPTTL -> Unstrip(14)\n"
	"  -> EtherRewrite(00:00:c0:4f:71:ef, 00:20:6f:00:01:01)\n"
	"  -> out :: Counter -> Discard;\n"
	"rt [1] -> elsewhere :: Counter -> Discard;\n";
