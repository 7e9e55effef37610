/*
 * cls_merge.c - one rule set for a chain of classifiers, so a packet is
 * classified once into the path the chain would have sent it on
 * (ARCHITECTURE.md: "each packet is classified once, at the edge").
 *
 * The merge is a depth-first product: for every rule of stage 0 in
 * priority order, intersected with nothing; for each one that passes packets
 * on, every rule of stage 1 intersected with it, and so on.  A packet's best
 * merged rule then has the lexicographically smallest (prio0, prio1, ...)
 * among the combinations it matches, which is exactly its path through the
 * chain, since every stage is complete.  Work and output are bounded by
 * `max_rules` and pruned where a stage rule covers the whole region left.
 */
#include <errno.h>

#include "cls_acl.h"

bool cls_rule_intersect(const struct cls_rule *a, const struct cls_rule *b, struct cls_rule *x)
{
	unsigned sl = RT_MAX(a->slen, b->slen), dl = RT_MAX(a->dlen, b->dlen);
	unsigned msl = RT_MIN(a->slen, b->slen), mdl = RT_MIN(a->dlen, b->dlen);
	if (((a->src ^ b->src) & cls_pfx_mask(msl)) || ((a->dst ^ b->dst) & cls_pfx_mask(mdl)))
		return false;
	if ((a->proto ^ b->proto) & a->proto_mask & b->proto_mask)
		return false;
	if ((a->flags ^ b->flags) & a->flags_mask & b->flags_mask)
		return false;
	*x = *a;
	x->slen = (uint8_t)sl;
	x->dlen = (uint8_t)dl;
	x->src = a->slen >= b->slen ? a->src : b->src;
	x->dst = a->dlen >= b->dlen ? a->dst : b->dst;
	x->sport_lo = RT_MAX(a->sport_lo, b->sport_lo);
	x->sport_hi = RT_MIN(a->sport_hi, b->sport_hi);
	x->dport_lo = RT_MAX(a->dport_lo, b->dport_lo);
	x->dport_hi = RT_MIN(a->dport_hi, b->dport_hi);
	if (x->sport_lo > x->sport_hi || x->dport_lo > x->dport_hi)
		return false;
	x->proto_mask = a->proto_mask | b->proto_mask;
	x->proto = (uint8_t)((a->proto | b->proto) & x->proto_mask);
	x->flags_mask = a->flags_mask | b->flags_mask;
	x->flags = (uint16_t)((a->flags | b->flags) & x->flags_mask);
	return true;
}

static int merge(const struct cls_stage *st, int nst, int s, const struct cls_rule *region, uint32_t max_rules,
		 struct cls_ruleset *out)
{
	for (uint32_t i = 0; i < st[s].n; i++) {
		const struct cls_rule *r = &st[s].rules[i];
		struct cls_rule x;
		if (region) {
			if (!cls_rule_intersect(region, r, &x))
				continue;
		} else {
			x = *r;
		}
		if (s + 1 < nst && r->cls == st[s].pass) {
			int rc = merge(st, nst, s + 1, &x, max_rules, out);
			if (rc < 0)
				return rc;
		} else {
			if (out->n >= max_rules)
				return -E2BIG;
			x.cls = CLS_PATH(s, r->cls);
			x.prio = out->n;
			cls_ruleset_push(out, &x);
		}
		if (region && cls_rule_covers(r, region))
			break; /* the rest of this stage is never reached under `region` */
	}
	return 0;
}

int cls_merge_chain(const struct cls_stage *st, int nst, uint32_t max_rules, struct cls_ruleset *out,
		    struct rt_err *err)
{
	for (int s = 0; s < nst; s++) {
		/* stages must be in priority order for the depth-first emission */
		for (uint32_t i = 1; i < st[s].n; i++)
			if (st[s].rules[i].prio < st[s].rules[i - 1].prio)
				return rt_errf(err, NULL, -EINVAL, "stage %d: rules not in priority order (rule %u)", s, i);
	}
	uint32_t n0 = out->n;
	int rc = merge(st, nst, 0, NULL, max_rules + n0, out);
	if (rc < 0) {
		out->n = n0;
		return rt_errf(err, NULL, rc, "merged chain exceeds %u rules", max_rules);
	}
	return 0;
}

uint32_t cls_chain_path(const struct cls_stage *st, int nst, const struct cls_key *k)
{
	for (int s = 0; s < nst; s++) {
		uint32_t b = cls_linear_lookup(st[s].rules, st[s].n, k);
		if (b == CLS_NOMATCH)
			return CLS_NOMATCH; /* an incomplete stage */
		uint32_t c = st[s].rules[b].cls;
		if (s + 1 == nst || c != st[s].pass)
			return CLS_PATH(s, c);
	}
	return CLS_NOMATCH;
}
