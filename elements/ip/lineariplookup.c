/*
 * LinearIPLookup - Click's simple routing table (a linear scan there); the
 * shared rte_lpm table of iproute.c here.
 */
#include "iproute.h"

static struct el_class lineariplookup = IPROUTE_CLASS(
	"LinearIPLookup", "simple IP routing table",
	"Looks up each packet's destination IP address annotation in its routing table, using "
	"longest-prefix match, and sends it out the route's output. Click scans a list; mboxsh "
	"uses the same rte_lpm table as RadixIPLookup, so lookups do not slow down as the table "
	"grows. Routes can be added and removed at run time with the `add`, `set`, `remove`, "
	"`ctrl` and `flush` handlers.",
	true);
EL_REGISTER(lineariplookup)
