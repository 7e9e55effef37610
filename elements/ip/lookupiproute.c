/*
 * LookupIPRoute - Click's original static routing table, now StaticIPLookup;
 * the shared rte_lpm table of iproute.c.
 */
#include "iproute.h"

static struct el_class lookupiproute = IPROUTE_CLASS(
	"LookupIPRoute", "simple static IP routing table",
	"The original name of StaticIPLookup: a routing table fixed by its configuration (no "
	"`add` or `remove` handlers).",
	false);
EL_REGISTER(lookupiproute)
