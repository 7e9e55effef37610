/*
 * cls_flow.c - partial hardware offload of ACL rules through rte_flow
 * (cls_flow.h): choosing the rules, translating them into rte_flow
 * patterns, reading those patterns back in software (for tests), and
 * installing them on a port, all or nothing.
 *
 * Choice.  Rules are walked in priority order; a rule goes to hardware
 * when rte_flow can express it and no better rule that stays in software
 * overlaps it.  Work: O(rules x rules kept in software before it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_byteorder.h>
#include <rte_errno.h>

#include "cls_flow.h"

#define MAX_BLOCKS 8 /* maskable blocks of one port range */

/* Split [lo, hi] into aligned power-of-two blocks (value, mask); -1 past max. */
static int range_blocks(uint16_t lo, uint16_t hi, uint16_t *val, uint16_t *mask, int max)
{
	int n = 0;
	for (uint32_t a = lo; a <= hi;) {
		uint32_t size = a ? (a & (~a + 1)) : 0x10000;
		while (a + size - 1 > hi)
			size >>= 1;
		if (n == max)
			return -1;
		val[n] = (uint16_t)a;
		mask[n] = (uint16_t)~(size - 1);
		n++;
		a += size;
	}
	return n;
}

const char *cls_flow_why_not(const struct cls_rule *r)
{
	uint16_t v[MAX_BLOCKS], m[MAX_BLOCKS];
	if (r->flags_mask)
		return "TCP flags";
	if (r->proto_mask != 0 && r->proto_mask != 0xff)
		return "a partial protocol mask";
	bool ports = r->sport_lo || r->sport_hi != 0xffff || r->dport_lo || r->dport_hi != 0xffff;
	if (ports && !(r->proto_mask == 0xff && (r->proto == 6 || r->proto == 17)))
		return "ports without TCP or UDP";
	int a = range_blocks(r->sport_lo, r->sport_hi, v, m, MAX_BLOCKS);
	int b = range_blocks(r->dport_lo, r->dport_hi, v, m, MAX_BLOCKS);
	if (a < 0 || b < 0 || a * b > MAX_BLOCKS)
		return "port ranges needing more than 8 maskable blocks";
	return NULL;
}

static uint32_t flows_needed(const struct cls_rule *r)
{
	uint16_t v[MAX_BLOCKS], m[MAX_BLOCKS];
	return (uint32_t)(range_blocks(r->sport_lo, r->sport_hi, v, m, MAX_BLOCKS) *
			  range_blocks(r->dport_lo, r->dport_hi, v, m, MAX_BLOCKS));
}

static const struct cls_rule *sort_rules;
static int by_prio(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (sort_rules[x].prio != sort_rules[y].prio)
		return sort_rules[x].prio < sort_rules[y].prio ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Fill flow f (pattern pointers into its own storage) for rule r with
 * source/destination port blocks (sv/sm, dv/dm). */
static void fill_flow(struct cls_flow_rule *f, const struct cls_rule *r, uint16_t sv, uint16_t sm, uint16_t dv,
		      uint16_t dm, const struct cls_flow_action *a)
{
	memset(f, 0, sizeof(*f));
	f->ip_spec.hdr.src_addr = rte_cpu_to_be_32(r->src);
	f->ip_mask.hdr.src_addr = rte_cpu_to_be_32(cls_pfx_mask(r->slen));
	f->ip_spec.hdr.dst_addr = rte_cpu_to_be_32(r->dst);
	f->ip_mask.hdr.dst_addr = rte_cpu_to_be_32(cls_pfx_mask(r->dlen));
	f->ip_spec.hdr.next_proto_id = r->proto;
	f->ip_mask.hdr.next_proto_id = r->proto_mask;
	int k = 0;
	f->pattern[k++] = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_ETH};
	f->pattern[k++] = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &f->ip_spec, .mask = &f->ip_mask};
	if (sm || dm) {
		bool tcp = r->proto == 6;
		/* tcp and udp headers both begin with the two ports */
		f->l4_spec.udp.hdr.src_port = rte_cpu_to_be_16(sv);
		f->l4_mask.udp.hdr.src_port = rte_cpu_to_be_16(sm);
		f->l4_spec.udp.hdr.dst_port = rte_cpu_to_be_16(dv);
		f->l4_mask.udp.hdr.dst_port = rte_cpu_to_be_16(dm);
		if (tcp) {
			f->l4_spec.tcp.hdr.src_port = rte_cpu_to_be_16(sv);
			f->l4_mask.tcp.hdr.src_port = rte_cpu_to_be_16(sm);
			f->l4_spec.tcp.hdr.dst_port = rte_cpu_to_be_16(dv);
			f->l4_mask.tcp.hdr.dst_port = rte_cpu_to_be_16(dm);
		}
		f->pattern[k++] = (struct rte_flow_item){.type = tcp ? RTE_FLOW_ITEM_TYPE_TCP : RTE_FLOW_ITEM_TYPE_UDP,
							 .spec = &f->l4_spec, .mask = &f->l4_mask};
	}
	f->pattern[k] = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_END};
	switch (a->type) {
	case CLS_FA_MARK:
		f->conf.mark.id = a->value;
		f->actions[0] = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_MARK, .conf = &f->conf.mark};
		break;
	case CLS_FA_QUEUE:
		f->conf.queue.index = (uint16_t)a->value;
		f->actions[0] = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &f->conf.queue};
		break;
	case CLS_FA_DROP:
		f->actions[0] = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_DROP};
		break;
	}
	f->actions[1] = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_END};
}

int cls_flow_plan(const struct cls_rule *rules, uint32_t n, const struct cls_flow_action *act, uint32_t nact,
		  uint32_t max_flows, struct cls_flow_plan *out)
{
	memset(out, 0, sizeof(*out));
	out->nrules = n;
	uint32_t *ord = malloc(sizeof(*ord) * (n + 1)), *soft = malloc(sizeof(*soft) * (n + 1)), nsoft = 0;
	out->offloaded = calloc(n + 1, sizeof(bool));
	if (!ord || !soft || !out->offloaded)
		goto oom;
	for (uint32_t i = 0; i < n; i++)
		ord[i] = i;
	sort_rules = rules;
	qsort(ord, n, sizeof(*ord), by_prio);
	uint32_t total = 0;
	for (uint32_t k = 0; k < n; k++) {
		const struct cls_rule *r = &rules[ord[k]];
		bool ok = !cls_flow_why_not(r) && total + flows_needed(r) <= max_flows;
		for (uint32_t j = 0; j < nsoft && ok; j++) {
			struct cls_rule x;
			ok = !cls_rule_intersect(&rules[soft[j]], r, &x);
		}
		if (ok) {
			out->offloaded[ord[k]] = true;
			out->noffloaded++;
			total += flows_needed(r);
		} else {
			soft[nsoft++] = ord[k];
		}
	}
	out->flows = calloc(total + 1, sizeof(*out->flows));
	if (!out->flows)
		goto oom;
	uint32_t rank = 0;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = ord[k];
		if (!out->offloaded[i])
			continue;
		const struct cls_rule *r = &rules[i];
		struct cls_flow_action a = {CLS_FA_MARK, r->cls + 1};
		if (act && r->cls < nact)
			a = act[r->cls];
		uint16_t sv[MAX_BLOCKS], sm[MAX_BLOCKS], dv[MAX_BLOCKS], dm[MAX_BLOCKS];
		int ns = range_blocks(r->sport_lo, r->sport_hi, sv, sm, MAX_BLOCKS);
		int nd = range_blocks(r->dport_lo, r->dport_hi, dv, dm, MAX_BLOCKS);
		for (int s = 0; s < ns; s++)
			for (int d = 0; d < nd; d++) {
				struct cls_flow_rule *f = &out->flows[out->nflows++];
				fill_flow(f, r, sv[s], sm[s], dv[d], dm[d], &a);
				f->rule = i;
				f->priority = rank;
			}
		rank++;
	}
	free(ord);
	free(soft);
	return 0;
oom:
	free(ord);
	free(soft);
	cls_flow_plan_free(out);
	return -ENOMEM;
}

void cls_flow_plan_free(struct cls_flow_plan *p)
{
	if (p->installed)
		cls_flow_uninstall(p);
	free(p->flows);
	free(p->offloaded);
	free(p->handles);
	memset(p, 0, sizeof(*p));
}

/* ---- the patterns read back ------------------------------------------------ */

static bool item_match(const struct rte_flow_item *it, const struct cls_key *k)
{
	switch (it->type) {
	case RTE_FLOW_ITEM_TYPE_ETH:
		return true; /* no spec: any Ethernet frame (the key is from its IPv4 packet) */
	case RTE_FLOW_ITEM_TYPE_IPV4: {
		const struct rte_flow_item_ipv4 *s = it->spec, *m = it->mask;
		return ((k->src ^ rte_be_to_cpu_32(s->hdr.src_addr)) & rte_be_to_cpu_32(m->hdr.src_addr)) == 0 &&
		       ((k->dst ^ rte_be_to_cpu_32(s->hdr.dst_addr)) & rte_be_to_cpu_32(m->hdr.dst_addr)) == 0 &&
		       ((k->proto ^ s->hdr.next_proto_id) & m->hdr.next_proto_id) == 0;
	}
	case RTE_FLOW_ITEM_TYPE_TCP: {
		const struct rte_flow_item_tcp *s = it->spec, *m = it->mask;
		return k->proto == 6 &&
		       ((k->sport ^ rte_be_to_cpu_16(s->hdr.src_port)) & rte_be_to_cpu_16(m->hdr.src_port)) == 0 &&
		       ((k->dport ^ rte_be_to_cpu_16(s->hdr.dst_port)) & rte_be_to_cpu_16(m->hdr.dst_port)) == 0;
	}
	case RTE_FLOW_ITEM_TYPE_UDP: {
		const struct rte_flow_item_udp *s = it->spec, *m = it->mask;
		return k->proto == 17 &&
		       ((k->sport ^ rte_be_to_cpu_16(s->hdr.src_port)) & rte_be_to_cpu_16(m->hdr.src_port)) == 0 &&
		       ((k->dport ^ rte_be_to_cpu_16(s->hdr.dst_port)) & rte_be_to_cpu_16(m->hdr.dst_port)) == 0;
	}
	default:
		return false;
	}
}

const struct cls_flow_rule *cls_flow_eval(const struct cls_flow_plan *p, const struct cls_key *k)
{
	const struct cls_flow_rule *best = NULL;
	for (uint32_t i = 0; i < p->nflows; i++) {
		const struct cls_flow_rule *f = &p->flows[i];
		if (best && f->priority >= best->priority)
			continue;
		bool ok = true;
		for (const struct rte_flow_item *it = f->pattern; ok && it->type != RTE_FLOW_ITEM_TYPE_END; it++)
			ok = item_match(it, k);
		if (ok)
			best = f;
	}
	return best;
}

/* ---- installing ------------------------------------------------------------- */

int cls_flow_install(struct cls_flow_plan *p, uint16_t port, struct rt_err *err)
{
	if (p->installed)
		cls_flow_uninstall(p);
	free(p->handles);
	if (!(p->handles = calloc(p->nflows + 1, sizeof(*p->handles))))
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	p->port = port;
	for (uint32_t i = 0; i < p->nflows; i++) {
		const struct cls_flow_rule *f = &p->flows[i];
		struct rte_flow_attr attr = {.ingress = 1, .priority = f->priority};
		struct rte_flow_error fe;
		memset(&fe, 0, sizeof(fe));
		const char *step = "rte_flow_validate";
		int rc = rte_flow_validate(port, &attr, f->pattern, f->actions, &fe);
		if (rc == 0) {
			step = "rte_flow_create";
			if (!(p->handles[i] = rte_flow_create(port, &attr, f->pattern, f->actions, &fe)))
				rc = -rte_errno;
		}
		if (rc < 0 || !p->handles[i]) {
			for (uint32_t k = 0; k < i; k++) {
				struct rte_flow_error e2;
				rte_flow_destroy(port, p->handles[k], &e2);
				p->handles[k] = NULL;
			}
			if (rc >= 0)
				rc = -EIO;
			return rt_errf(err, NULL, rc, "port %u: %s refused rule %u (flow %u of %u): %s (%s); every rule stays in software",
				       port, step, f->rule, i + 1, p->nflows, fe.message ? fe.message : "no reason given",
				       rte_strerror(-rc));
		}
	}
	p->installed = true;
	return 0;
}

void cls_flow_uninstall(struct cls_flow_plan *p)
{
	for (uint32_t i = 0; p->handles && i < p->nflows; i++)
		if (p->handles[i]) {
			struct rte_flow_error e;
			rte_flow_destroy(p->port, p->handles[i], &e);
			p->handles[i] = NULL;
		}
	p->installed = false;
}
