/*
 * cls_gen.c - ClassBench-like rule sets and traces, so tests and benchmarks
 * need no download.  Each shape draws prefix lengths, port kinds, protocols
 * and flags from the mixes measured on ClassBench's acl1, fw1 and ipc1 seeds
 * (10K filters each); addresses come from a few hundred clustered networks
 * so that prefixes nest and rules overlap as they do in real sets.
 */
#include <math.h>
#include <stdlib.h>

#include "cls_acl.h"

struct rng {
	uint64_t s;
};
static uint64_t rnd(struct rng *g)
{
	uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static uint32_t below(struct rng *g, uint32_t n) { return (uint32_t)((rnd(g) >> 32) * n >> 32); }

struct wv {
	uint32_t v, w; /* value, weight */
};
static uint32_t pick(struct rng *g, const struct wv *t)
{
	uint32_t tot = 0;
	for (const struct wv *p = t; p->w; p++)
		tot += p->w;
	uint32_t x = below(g, tot);
	for (const struct wv *p = t; p->w; p++) {
		if (x < p->w)
			return p->v;
		x -= p->w;
	}
	return t[0].v;
}

/* Prefix lengths (weights: filters per 10K in the seeds). */
static const struct wv acl_src[] = {{32, 5268}, {31, 2414}, {23, 702}, {30, 469}, {24, 451}, {22, 230}, {29, 89},
				    {25, 55}, {0, 31}, {8, 16}, {21, 14}, {7, 14}, {0, 0}};
static const struct wv acl_dst[] = {{32, 4979}, {31, 1964}, {22, 652}, {30, 442}, {23, 401}, {24, 203}, {21, 189},
				    {25, 174}, {16, 108}, {17, 82}, {15, 74}, {0, 52}, {28, 51}, {26, 46}, {29, 40},
				    {8, 26}, {3, 29}, {0, 0}};
static const struct wv fw_src[] = {{0, 3873}, {1, 1826}, {32, 1185}, {31, 855}, {30, 302}, {2, 268}, {28, 179},
				   {29, 155}, {27, 136}, {21, 89}, {22, 76}, {26, 72}, {23, 70}, {20, 68}, {25, 43},
				   {0, 0}};
static const struct wv fw_dst[] = {{32, 3058}, {31, 2598}, {0, 1727}, {1, 879}, {30, 568}, {2, 109}, {28, 86},
				   {22, 71}, {29, 67}, {21, 68}, {27, 66}, {20, 42}, {0, 0}};
static const struct wv ipc_src[] = {{32, 1614}, {24, 1342}, {23, 1339}, {25, 837}, {31, 781}, {0, 737}, {22, 505},
				    {1, 466}, {26, 369}, {16, 325}, {17, 244}, {27, 209}, {28, 152}, {15, 140},
				    {30, 127}, {21, 115}, {29, 79}, {18, 71}, {0, 0}};
static const struct wv ipc_dst[] = {{32, 2377}, {24, 1173}, {31, 1072}, {25, 956}, {23, 681}, {0, 576}, {26, 527},
				    {16, 417}, {1, 280}, {27, 279}, {15, 235}, {17, 222}, {28, 200}, {22, 168},
				    {30, 154}, {29, 109}, {0, 0}};
/* Port kinds: 0 wildcard, 1 exact, 2 range. */
static const struct wv acl_sp[] = {{0, 1}, {0, 0}};
static const struct wv acl_dp[] = {{1, 5902}, {0, 2744}, {2, 1128}, {0, 0}};
static const struct wv fw_sp[] = {{0, 7174}, {1, 1436}, {2, 769}, {0, 0}};
static const struct wv fw_dp[] = {{1, 5902}, {0, 2701}, {2, 776}, {0, 0}};
static const struct wv ipc_sp[] = {{0, 7707}, {1, 1609}, {2, 202}, {0, 0}};
static const struct wv ipc_dp[] = {{0, 5281}, {1, 3431}, {2, 806}, {0, 0}};
/* Protocols (256 = wildcard). */
static const struct wv acl_pr[] = {{6, 8537}, {256, 815}, {1, 296}, {17, 126}, {0, 0}};
static const struct wv fw_pr[] = {{6, 5349}, {17, 3132}, {47, 449}, {1, 342}, {256, 107}, {0, 0}};
static const struct wv ipc_pr[] = {{17, 3627}, {256, 3125}, {6, 2617}, {1, 108}, {47, 24}, {0, 0}};
/* TCP flags value<<16 | mask. */
static const struct wv acl_fl[] = {{0, 8134}, {0x10001000, 816}, {0x00000200, 824}, {0, 0}};
static const struct wv fw_fl[] = {{0, 3837}, {0x02001200, 5150}, {0x1100ff00, 53}, {0x0d00ff00, 58}, {0, 0}};
static const struct wv ipc_fl[] = {{0, 8311}, {0x00000200, 1103}, {0x0500ff00, 59}, {0, 0}};
/* Popular exact ports and ranges. */
static const uint16_t ports[] = {80, 443, 53, 25, 22, 21, 23, 110, 143, 123, 161, 1521, 1526, 1221, 1433, 135,
				 1525, 1711, 1724, 8080, 3306, 5060, 69, 514, 9003, 7777, 5555, 1717};
static const uint16_t ranges[][2] = {{1024, 65535}, {1600, 1649}, {1300, 1349}, {7500, 7599}, {32200, 32207},
				     {2200, 2210}, {1700, 1750}, {1025, 65535}, {5001, 65535}, {0, 1023}};

struct shape {
	const struct wv *src, *dst, *sp, *dp, *pr, *fl;
};
static const struct shape shapes[] = {
	[CLS_SHAPE_ACL] = {acl_src, acl_dst, acl_sp, acl_dp, acl_pr, acl_fl},
	[CLS_SHAPE_FW] = {fw_src, fw_dst, fw_sp, fw_dp, fw_pr, fw_fl},
	[CLS_SHAPE_IPC] = {ipc_src, ipc_dst, ipc_sp, ipc_dp, ipc_pr, ipc_fl},
};

int cls_shape_parse(const char *s)
{
	return !strcmp(s, "acl") ? CLS_SHAPE_ACL : !strcmp(s, "fw") ? CLS_SHAPE_FW : !strcmp(s, "ipc") ? CLS_SHAPE_IPC : -1;
}
const char *cls_shape_name(enum cls_shape s) { return s == CLS_SHAPE_ACL ? "acl" : s == CLS_SHAPE_FW ? "fw" : "ipc"; }

static void gen_ports(struct rng *g, uint32_t kind, uint16_t *lo, uint16_t *hi)
{
	if (kind == 0) {
		*lo = 0, *hi = 65535;
	} else if (kind == 1) {
		*lo = *hi = below(g, 4) ? ports[below(g, RT_ARRAY_SIZE(ports))] : (uint16_t)below(g, 65536);
	} else if (below(g, 4)) {
		uint32_t k = below(g, RT_ARRAY_SIZE(ranges));
		*lo = ranges[k][0], *hi = ranges[k][1];
	} else {
		uint32_t a = below(g, 65000);
		*lo = (uint16_t)a, *hi = (uint16_t)(a + 1 + below(g, 500));
	}
}

/* Addresses: `nnet` networks (/16 .. /24 bases); hosts inside them. */
static uint32_t gen_addr(struct rng *g, const uint32_t *nets, uint32_t nnet)
{
	uint32_t base = nets[below(g, nnet)];
	uint32_t host = (uint32_t)rnd(g);
	/* mostly hosts of a /24, sometimes anywhere in the /16 */
	return below(g, 4) ? (base & 0xffffff00u) | (host & 0xff) : (base & 0xffff0000u) | (host & 0xffff);
}

void cls_gen_rules(enum cls_shape shape, uint32_t n, uint32_t nclasses, uint64_t seed, struct cls_ruleset *out)
{
	struct rng g = {seed * 0x2545f4914f6cdd1dull + (uint64_t)shape + 1};
	const struct shape *sh = &shapes[shape];
	uint32_t nnet = 64 + n / 40;
	uint32_t *nets = malloc(sizeof(*nets) * nnet);
	for (uint32_t i = 0; i < nnet; i++)
		nets[i] = (uint32_t)rnd(&g) & 0xffffff00u;
	if (!nclasses)
		nclasses = 1;
	for (uint32_t i = 0; i < n; i++) {
		struct cls_rule r = {0};
		r.slen = (uint8_t)pick(&g, sh->src);
		r.dlen = (uint8_t)pick(&g, sh->dst);
		r.src = gen_addr(&g, nets, nnet) & cls_pfx_mask(r.slen);
		r.dst = gen_addr(&g, nets, nnet) & cls_pfx_mask(r.dlen);
		gen_ports(&g, pick(&g, sh->sp), &r.sport_lo, &r.sport_hi);
		gen_ports(&g, pick(&g, sh->dp), &r.dport_lo, &r.dport_hi);
		uint32_t pr = pick(&g, sh->pr);
		if (pr != 256)
			r.proto = (uint8_t)pr, r.proto_mask = 0xff;
		if (r.proto == 6) {
			uint32_t fl = pick(&g, sh->fl);
			r.flags_mask = (uint16_t)fl;
			r.flags = (uint16_t)(fl >> 16) & r.flags_mask;
		}
		r.prio = i;
		r.cls = i % nclasses;
		cls_ruleset_push(out, &r);
	}
	free(nets);
}

void cls_gen_trace(const struct cls_rule *rules, uint32_t nrules, uint32_t nkeys, unsigned random_pct, uint64_t seed,
		   struct cls_key *out)
{
	struct rng g = {seed ^ 0x5851f42d4c957f2dull};
	static const uint8_t protos[] = {6, 17, 1, 47};
	for (uint32_t i = 0; i < nkeys; i++) {
		struct cls_key *k = &out[i];
		memset(k, 0, sizeof(*k));
		if (!nrules || below(&g, 100) < random_pct) {
			k->src = (uint32_t)rnd(&g);
			k->dst = (uint32_t)rnd(&g);
			k->sport = (uint16_t)rnd(&g);
			k->dport = (uint16_t)rnd(&g);
			k->proto = protos[below(&g, 4)];
			k->flags = k->proto == 6 ? (uint16_t)(below(&g, 256) << 8) : 0;
			continue;
		}
		/* Pareto-like skew: a few rules draw most packets. */
		double u = (double)(rnd(&g) >> 11) / (double)(1ull << 53);
		uint32_t j = (uint32_t)((double)nrules * u * u * u);
		const struct cls_rule *r = &rules[j < nrules ? j : nrules - 1];
		k->src = r->src | ((uint32_t)rnd(&g) & ~cls_pfx_mask(r->slen));
		k->dst = r->dst | ((uint32_t)rnd(&g) & ~cls_pfx_mask(r->dlen));
		k->sport = (uint16_t)(r->sport_lo + below(&g, (uint32_t)r->sport_hi - r->sport_lo + 1));
		k->dport = (uint16_t)(r->dport_lo + below(&g, (uint32_t)r->dport_hi - r->dport_lo + 1));
		k->proto = (uint8_t)((protos[below(&g, 4)] & ~r->proto_mask) | r->proto);
		if (r->flags_mask && (r->flags & 0xff00))
			k->proto = 6;
		if (k->proto == 6)
			k->flags = (uint16_t)(((below(&g, 256) << 8) & ~r->flags_mask) | r->flags);
	}
}
