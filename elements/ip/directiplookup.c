/*
 * DirectIPLookup - IPv4 longest-prefix route lookup through direct tables
 * (DIR-24-8, which is exactly what rte_lpm is); the shared table of
 * iproute.c.
 */
#include "iproute.h"

static struct el_class directiplookup = IPROUTE_CLASS(
	"DirectIPLookup", "IP routing lookup through direct tables",
	"Looks up each packet's destination IP address annotation with a DIR-24-8 table (a "
	"2^24-entry first level and 256-entry second levels, at most two memory reads per "
	"lookup) and sends it out the route's output. Routes can be added and removed at run "
	"time with the `add`, `set`, `remove`, `ctrl` and `flush` handlers.",
	true);
EL_REGISTER(directiplookup)
