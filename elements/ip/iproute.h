/*
 * iproute.h - the IPv4 routing table behind LookupIPRoute, RadixIPLookup,
 * StaticIPLookup, DirectIPLookup and LinearIPLookup (Click's IPRouteTable
 * interface), built on DPDK's rte_lpm (DIR-24-8: one or two memory reads per
 * lookup, batched with rte_lpm_lookup_bulk).
 *
 * Each route owns a slot; the slot number is the route's 24-bit rte_lpm
 * next hop and indexes nh[], which holds the gateway and output port that
 * the data path reads.  The default route (prefix length 0, which rte_lpm
 * cannot hold) is a slot too, used when the lookup misses.
 *
 * Thread-safety: iproute_push runs on workers; everything else on the
 * control thread, the one rte_lpm writer.  A route changed while a worker
 * is between its lookup and its nh[] read routes that packet by the new
 * route (or drops it when the slot was freed).  tbl8 groups freed by a
 * delete may be reused while a worker still reads them: safe reuse needs
 * rte_lpm_rcu_qsbr_add with the runtime's QSBR variable (not wired yet).
 */
#ifndef MB_IPROUTE_H
#define MB_IPROUTE_H

#include "../../runtime/el.h"

struct rte_lpm;

/* One route; addresses in network order.  port < 0 marks a free slot. */
struct iproute_ent {
	uint32_t addr, mask, gw;
	int32_t port;
};

struct iproute_pw {
	uint64_t drops; /* packets with no route */
};

struct iproute {
	/* read by workers */
	struct rte_lpm *lpm;
	uint64_t *nh;	/* nh[slot]: gateway | (uint64_t)(uint32_t)port << 32 */
	int32_t dflt;	/* slot of the default route, -1 when none */
	/* control thread only */
	struct iproute_ent *v;	/* max_routes slots */
	uint32_t nv;		/* slots ever used (high-water mark) */
	int32_t vfree;		/* free slot list (linked through .addr), -1 = empty */
	uint32_t max_routes, tbl8s;
	struct iproute_ent *conf; /* routes from the configuration, until init */
	int *conf_arg;		  /* and the argument each came from (1-based) */
	int nconf;
	uint32_t lookup_addr;	/* last address written to the lookup handler */
	bool lookup_set;
	uint64_t base_drops;
};

int iproute_configure(struct el *e, int argc, char **argv, struct rt_err *err);
int iproute_init(struct el *e, struct rt_err *err);
void iproute_cleanup(struct el *e);
void iproute_push(struct el_node *n, int port, struct rt_batch *b);

/* Handlers: with add/set/remove/ctrl/flush, or only table/lookup/drops. */
extern const struct el_handler iproute_handlers_dynamic[];
extern const struct el_handler iproute_handlers_static[];

#define IPROUTE_DOC \
	"Each argument is a route `ADDR/MASK [GW] OUT`: packets whose destination IP address " \
	"annotation matches ADDR/MASK (longest prefix first) have their annotation set to GW, " \
	"when given (`-` means none), and leave on output OUT. Packets with no route are dropped " \
	"and counted (`drops`). A bare ADDR means ADDR/32; 0.0.0.0/0 is the default route. When " \
	"the configuration gives the same prefix twice, the first route is kept, as in Click.\n\n" \
	"mboxsh implements every IPv4 route lookup class (LookupIPRoute, RadixIPLookup, " \
	"DirectIPLookup, LinearIPLookup, StaticIPLookup) with the same DPDK rte_lpm table. " \
	"Keywords MAX_ROUTES (default 65536) and TBL8S (default 1024, the number of rte_lpm " \
	"groups for prefixes longer than /24) size it; these are mboxsh extensions.\n\n" \
	"Handlers: `table` lists the routes, one per line, as Click does. Click's `lookup` takes " \
	"the address as a read parameter; here you write the address to `lookup` and read " \
	"`lookup` to get `OUT GW` (or `OUT`, or -1 when there is no route)."

#define IPROUTE_CLASS(cname, csummary, cdoc, dynamic) \
	{ \
		.name = cname, \
		.sig = cname "(ADDR1/MASK1 [GW1] OUT1, ADDR2/MASK2 [GW2] OUT2, ...)", \
		.summary = csummary, \
		.doc = cdoc "\n\n" IPROUTE_DOC, \
		.ports = "1/-", \
		.state_size = sizeof(struct iproute), \
		.pw_size = sizeof(struct iproute_pw), \
		.configure = iproute_configure, \
		.init = iproute_init, \
		.cleanup = iproute_cleanup, \
		.push = iproute_push, \
		.handlers = (dynamic) ? iproute_handlers_dynamic : iproute_handlers_static, \
	}

#endif
