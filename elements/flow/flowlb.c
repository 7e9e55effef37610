/*
 * FlowLB - an L4 load balancer: Maglev consistent hashing picks a backend
 * for each new flow; the flow keeps it (in its FCB slot) for its life,
 * even when the backend set changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "../../runtime/router.h"
#include "flow/flow.h"

#define LB_MAX 64

/* A Maglev lookup table: m entries (m prime), each a backend index. */
struct lb_table {
	uint32_t m, nb;
	uint32_t backend[LB_MAX];  /* network order */
	uint16_t ent[];
};

struct lb_slot {
	uint32_t backend;       /* network order; 0: not chosen yet */
};

struct lb {
	char *backends_s;
	uint64_t size;
	struct lb_table *cur;   /* read by workers; replaced with an atomic store */
};

struct lb_pw {
	uint64_t pkts, flows, noflow;
};

static int lb_verdict(struct el_node *n, struct rte_mbuf *m, void *slot)
{
	struct lb *s = n->state;
	struct lb_pw *pw = el_pw(n->e);
	struct lb_slot *ls = slot;
	uint32_t l4len;
	struct rte_ipv4_hdr *ip = flow_ip(m, &l4len);
	if (unlikely(!ls || !ip)) {
		pw->noflow++;
		return FLOW_DROP;
	}
	if (!ls->backend) {
		const struct lb_table *t = __atomic_load_n(&s->cur, __ATOMIC_ACQUIRE);
		ls->backend = t->backend[t->ent[flow_of(m)->hash % t->m]];
		pw->flows++;
	}
	ip->dst_addr = ls->backend;
	rt_anno(m)->dst_ip = ls->backend;
	flow_fix_csums(ip, l4len);
	pw->pkts++;
	return 0;
}

static void lb_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct flow_hold_stats hs = {0};
	flow_el_push(n, b, lb_verdict, &hs);
}

static bool is_prime(uint64_t m)
{
	if (m < 2)
		return false;
	for (uint64_t d = 2; d * d <= m; d++)
		if (m % d == 0)
			return false;
	return true;
}

/* Maglev (Eisenbud et al., NSDI 2016): each backend walks its own
 * permutation of the table (offset, skip from two hashes of its address)
 * and takes turns claiming the next free entry, so every backend gets
 * m/n entries (within one) and a change of the set moves few entries. */
static struct lb_table *lb_build(const uint32_t *be, uint32_t nb, uint32_t m)
{
	struct lb_table *t = rte_zmalloc("lb_table", sizeof(*t) + sizeof(uint16_t) * m, RTE_CACHE_LINE_SIZE);
	uint32_t *off = malloc(sizeof(uint32_t) * nb), *skip = malloc(sizeof(uint32_t) * nb),
		 *next = calloc(nb, sizeof(uint32_t));
	if (!t || !off || !skip || !next) {
		rte_free(t);
		t = NULL;
		goto out;
	}
	t->m = m;
	t->nb = nb;
	memcpy(t->backend, be, sizeof(uint32_t) * nb);
	for (uint32_t i = 0; i < nb; i++) {
		off[i] = rte_hash_crc_4byte(be[i], 0x6d61676c) % m;
		skip[i] = rte_hash_crc_4byte(be[i], 0x65763121) % (m - 1) + 1;
	}
	for (uint32_t c = 0; c < m; c++)
		t->ent[c] = UINT16_MAX;
	for (uint32_t filled = 0; filled < m;)
		for (uint32_t i = 0; i < nb && filled < m; i++) {
			uint32_t c = (uint32_t)((off[i] + (uint64_t)next[i] * skip[i]) % m);
			while (t->ent[c] != UINT16_MAX) {
				next[i]++;
				c = (uint32_t)((off[i] + (uint64_t)next[i] * skip[i]) % m);
			}
			t->ent[c] = (uint16_t)i;
			next[i]++;
			filled++;
		}
out:
	free(off);
	free(skip);
	free(next);
	return t;
}

static int lb_parse(struct el *e, const char *text, uint32_t *be, uint32_t *nb, struct rt_err *err)
{
	char *copy = strdup(text), *save = NULL;
	int rc = 0;
	*nb = 0;
	for (char *w = strtok_r(copy, " \t\n", &save); w && !rc; w = strtok_r(NULL, " \t\n", &save)) {
		struct rt_err e2 = {0};
		uint32_t a;
		if (el_parse_value(EL_T_IP4, w, &a, &e2) < 0 || !a)
			rc = rt_errf(err, &e->loc, -EINVAL, "%s: BACKENDS: '%s' is not an IPv4 address", e->name, w);
		else if (*nb == LB_MAX)
			rc = rt_errf(err, &e->loc, -ERANGE, "%s: BACKENDS: at most %d", e->name, LB_MAX);
		else
			be[(*nb)++] = a;
	}
	free(copy);
	if (!rc && !*nb)
		rc = rt_errf(err, &e->loc, -EINVAL, "%s: BACKENDS: give at least one address", e->name);
	return rc;
}

static int lb_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	(void)argc, (void)argv;
	struct lb *s = e->state;
	uint32_t be[LB_MAX], nb;
	if (!is_prime(s->size) || s->size > 65521)
		return rt_errf(err, &e->loc, -EINVAL, "%s: TABLE must be a prime up to 65521, not %llu", e->name,
			       (unsigned long long)s->size);
	if (lb_parse(e, s->backends_s, be, &nb, err) < 0)
		return err->code;
	if (!(s->cur = lb_build(be, nb, (uint32_t)s->size)))
		return rt_errf(err, &e->loc, -ENOMEM, "%s: no memory for the lookup table", e->name);
	return 0;
}

static void lb_cleanup(struct el *e)
{
	struct lb *s = e->state;
	rte_free(s->cur);
	s->cur = NULL;
}

static int lb_read_backends(struct el *e, intptr_t a, struct rt_buf *out)
{
	(void)a;
	const struct lb_table *t = ((struct lb *)e->state)->cur;
	for (uint32_t i = 0; i < t->nb; i++) {
		const uint8_t *p = (const uint8_t *)&t->backend[i];
		rt_buf_printf(out, "%s%u.%u.%u.%u", i ? " " : "", p[0], p[1], p[2], p[3]);
	}
	return 0;
}

/* New backends: build the table off the data path, publish it, and free
 * the old one after a grace period.  Flows keep the backend they have. */
static int lb_write_backends(struct el *e, intptr_t a, const char *v, struct rt_err *err)
{
	(void)a;
	struct lb *s = e->state;
	uint32_t be[LB_MAX], nb;
	if (lb_parse(e, v, be, &nb, err) < 0)
		return err->code;
	struct lb_table *t = lb_build(be, nb, (uint32_t)s->size), *old = s->cur;
	if (!t)
		return rt_errf(err, &e->loc, -ENOMEM, "%s: no memory for the lookup table", e->name);
	__atomic_store_n(&s->cur, t, __ATOMIC_RELEASE);
	struct rte_rcu_qsbr *q = rt_router_qsbr(e->router);
	if (q)
		rte_rcu_qsbr_check(q, rte_rcu_qsbr_start(q), true);
	rte_free(old);
	return 0;
}

/* Entries of the table per backend: how evenly Maglev shares it. */
static int lb_read_shares(struct el *e, intptr_t a, struct rt_buf *out)
{
	(void)a;
	const struct lb_table *t = ((struct lb *)e->state)->cur;
	uint32_t cnt[LB_MAX] = {0};
	for (uint32_t c = 0; c < t->m; c++)
		cnt[t->ent[c]]++;
	for (uint32_t i = 0; i < t->nb; i++)
		rt_buf_printf(out, "%s%u", i ? " " : "", cnt[i]);
	return 0;
}

static void lb_format(const struct el *e, const void *slot, struct rt_buf *out)
{
	(void)e;
	const uint8_t *p = (const uint8_t *)&((const struct lb_slot *)slot)->backend;
	rt_buf_printf(out, " -> %u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

static int lb_flows(struct el *e, intptr_t a, struct rt_buf *out)
{
	(void)a;
	flow_el_list(e, lb_format, out);
	return 0;
}

static int lb_read(struct el *e, intptr_t off, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, (size_t)off));
	return 0;
}

static const struct el_arg args[] = {
	{"BACKENDS", EL_T_STRING, offsetof(struct lb, backends_s), NULL, EL_ARG_REQ | EL_ARG_POS,
	 "backend addresses, space-separated (at most 64)"},
	{"TABLE", EL_T_UINT, offsetof(struct lb, size), "65521", 0, "Maglev table size (a prime)"},
	EL_ARGS_END,
};

static const struct el_handler handlers[] = {
	{"backends", lb_read_backends, lb_write_backends, 0, 0,
	 "the backend set; writing it rebuilds the table (live flows keep their backend)"},
	{"shares", lb_read_shares, NULL, 0, 0, "table entries per backend"},
	{"count", lb_read, NULL, offsetof(struct lb_pw, pkts), 0, "packets balanced"},
	{"new_flows", lb_read, NULL, offsetof(struct lb_pw, flows), 0, "flows given a backend"},
	{"noflow", lb_read, NULL, offsetof(struct lb_pw, noflow), 0, "packets dropped: no flow or not IPv4"},
	{"flows", lb_flows, NULL, 0, 0, "live flows and their backend (router not running)"},
	EL_HANDLERS_END,
};

static struct el_class lb_class = {
	.name = "FlowLB",
	.sig = "FlowLB(BACKENDS, [TABLE])",
	.summary = "L4 load balancer: Maglev consistent hashing per flow",
	.doc = "Behind a FlowManager: the first packet of each flow picks a backend from a Maglev lookup "
	       "table (by the flow's hash), kept in the flow's FCB slot; every packet of the flow gets its "
	       "destination address (and destination annotation) set to that backend, checksums fixed. "
	       "Writing `backends` builds a new table and publishes it: live flows stay on their backend "
	       "(connection affinity, also for a removed one until the flow ends), and Maglev moves few new "
	       "flows among the remaining backends. Replies are not translated (direct server return), or "
	       "pass a FlowNAPT.",
	.ports = "1/1",
	.state_size = sizeof(struct lb),
	.pw_size = sizeof(struct lb_pw),
	.args = args,
	.configure = lb_configure,
	.cleanup = lb_cleanup,
	.push = lb_push,
	.handlers = handlers,
	.flow_size = sizeof(struct lb_slot),
};
EL_REGISTER(lb_class)
