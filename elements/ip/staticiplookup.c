/*
 * StaticIPLookup - a routing table fixed by the configuration (no add or
 * remove handlers); the shared rte_lpm table of iproute.c.
 */
#include "iproute.h"

static struct el_class staticiplookup = IPROUTE_CLASS(
	"StaticIPLookup", "simple static IP routing table",
	"Acts like LinearIPLookup, but does not allow dynamic adding and deleting of routes: its "
	"routes are those of its configuration.",
	false);
EL_REGISTER(staticiplookup)
