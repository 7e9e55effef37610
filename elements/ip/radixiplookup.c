/*
 * RadixIPLookup - IPv4 longest-prefix route lookup with add/remove
 * handlers; the shared rte_lpm table of iproute.c.
 */
#include "iproute.h"

static struct el_class radixiplookup = IPROUTE_CLASS(
	"RadixIPLookup", "IP lookup using a radix trie",
	"Looks up each packet's destination IP address annotation in its routing table, using "
	"longest-prefix match, and sends it out the route's output (Click uses a radix trie; "
	"mboxsh uses rte_lpm). Routes can be added and removed at run time with the `add`, "
	"`set`, `remove`, `ctrl` and `flush` handlers.",
	true);
EL_REGISTER(radixiplookup)
