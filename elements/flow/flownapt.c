/*
 * FlowNAPT - network address and port translation on the flow manager's
 * FCB: outbound flows get a port from a pool, replies are mapped back by
 * port, and a port returns to the pool when its flow ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_malloc.h>

#include "../../runtime/router.h"
#include "flow/flow.h"

/* One external port's mapping, indexed by port - lo.  Written by the
 * worker whose flow owns the port, read by the inbound path on any worker:
 * gen is a sequence counter (odd while the owner writes; bumped again when
 * the port is released), so a reader that raced with a write or a release
 * sees gen change and drops the packet rather than use a torn or stale
 * mapping. */
struct nat_entry {
	uint32_t in_addr, rem_addr, orig_dst;  /* network order */
	uint16_t in_port, rem_port, orig_dport;
	uint8_t proto, used;
	uint32_t gen;
};

enum { NAT_NEW = 0, NAT_MAPPED = 1, NAT_FAILED = 2 };

struct nat_slot {
	uint16_t ext_port;      /* host order */
	uint8_t state;
};

struct nat {
	char *pattern;
	uint32_t saddr, daddr;  /* network order; daddr 0: keep */
	uint16_t lo, hi, dport; /* host order; dport 0: keep */
	struct nat_entry *map;
	uint16_t *free[RT_MAX_WORKERS];  /* per worker: free port offsets, a stack */
	uint32_t nfree[RT_MAX_WORKERS];
	uint32_t per;           /* ports per worker: worker w owns offsets [w*per, (w+1)*per), the last the rest */
	int nworkers;
};

struct nat_pw {
	uint64_t out, in, mapped, released, no_ports, out_dropped, in_dropped, in_foreign;
};

/* The worker that owns port offset k. */
static inline unsigned nat_owner(const struct nat *s, uint32_t k)
{
	uint32_t w = k / s->per;
	return w < (uint32_t)s->nworkers ? w : (unsigned)s->nworkers - 1;
}

static inline uint8_t *l4_of(struct rte_ipv4_hdr *ip) { return (uint8_t *)ip + ((ip->version_ihl & 0x0f) << 2); }

static int nat_out_verdict(struct el_node *n, struct rte_mbuf *m, void *slot)
{
	struct nat *s = n->state;
	struct nat_pw *pw = el_pw(n->e);
	struct nat_slot *ns = slot;
	uint32_t l4len;
	struct rte_ipv4_hdr *ip = flow_ip(m, &l4len);
	if (unlikely(!ns || !ip || (ip->next_proto_id != IPPROTO_TCP && ip->next_proto_id != IPPROTO_UDP) ||
		     l4len < 8 || (rte_be_to_cpu_16(ip->fragment_offset) & 0x1fff))) {
		pw->out_dropped++;
		return FLOW_DROP;
	}
	uint8_t *l4 = l4_of(ip);
	if (ns->state == NAT_NEW) {
		unsigned w = rt_wid;
		if (!s->nfree[w]) {
			ns->state = NAT_FAILED;
			pw->no_ports++;
		} else {
			uint16_t k = s->free[w][--s->nfree[w]];
			struct nat_entry *me = &s->map[k];
			uint32_t g = me->gen;
			__atomic_store_n(&me->gen, g + 1, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_RELEASE);
			me->in_addr = ip->src_addr;
			memcpy(&me->in_port, l4, 2);
			me->orig_dst = ip->dst_addr;
			memcpy(&me->orig_dport, l4 + 2, 2);
			me->rem_addr = s->daddr ? s->daddr : ip->dst_addr;
			me->rem_port = s->dport ? rte_cpu_to_be_16(s->dport) : me->orig_dport;
			me->proto = ip->next_proto_id;
			__atomic_store_n(&me->gen, g + 2, __ATOMIC_RELEASE);
			__atomic_store_n(&me->used, 1, __ATOMIC_RELEASE);
			ns->ext_port = (uint16_t)(s->lo + k);
			ns->state = NAT_MAPPED;
			pw->mapped++;
		}
	}
	if (ns->state != NAT_MAPPED) {
		pw->out_dropped++;
		return FLOW_DROP;
	}
	uint16_t p = rte_cpu_to_be_16(ns->ext_port);
	ip->src_addr = s->saddr;
	memcpy(l4, &p, 2);
	if (s->daddr)
		ip->dst_addr = s->daddr;
	if (s->dport) {
		p = rte_cpu_to_be_16(s->dport);
		memcpy(l4 + 2, &p, 2);
	}
	flow_fix_csums(ip, l4len);
	pw->out++;
	return 0;
}

static void nat_in(struct el_node *n, struct rt_batch *b)
{
	struct nat *s = n->state;
	struct nat_pw *pw = el_pw(n->e);
	uint32_t out = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		uint32_t l4len;
		struct rte_ipv4_hdr *ip = flow_ip(m, &l4len);
		uint16_t dp, sp;
		struct nat_entry *me = NULL, cp;
		if (ip && l4len >= 8 && ip->dst_addr == s->saddr && !(rte_be_to_cpu_16(ip->fragment_offset) & 0x1fff)) {
			uint8_t *l4 = l4_of(ip);
			memcpy(&sp, l4, 2);
			memcpy(&dp, l4 + 2, 2);
			uint16_t h = rte_be_to_cpu_16(dp);
			if (h >= s->lo && h <= s->hi) {
				/* a consistent copy of the mapping, or none */
				const struct nat_entry *src = &s->map[h - s->lo];
				uint32_t g = __atomic_load_n(&src->gen, __ATOMIC_ACQUIRE);
				if (!(g & 1) && __atomic_load_n(&src->used, __ATOMIC_ACQUIRE)) {
					memcpy(&cp, src, sizeof(cp));
					__atomic_thread_fence(__ATOMIC_ACQUIRE);
					if (__atomic_load_n(&src->gen, __ATOMIC_RELAXED) == g)
						me = &cp;
				}
				if (me && (me->proto != ip->next_proto_id || me->rem_addr != ip->src_addr ||
					   me->rem_port != sp))
					me = NULL;
				if (me && nat_owner(s, h - s->lo) != rt_wid)
					pw->in_foreign++;
			}
			if (me) {
				ip->dst_addr = me->in_addr;
				memcpy(l4 + 2, &me->in_port, 2);
				if (s->daddr)
					ip->src_addr = me->orig_dst;
				if (s->dport)
					memcpy(l4, &me->orig_dport, 2);
				flow_fix_csums(ip, l4len);
			}
		}
		if (me) {
			b->pkts[out++] = m;
		} else {
			pw->in_dropped++;
			rte_pktmbuf_free(m);
		}
	}
	pw->in += out;
	b->n = out;
	el_output(n, 1, b);
}

static void nat_push(struct el_node *n, int port, struct rt_batch *b)
{
	struct flow_hold_stats hs = {0};
	if (port == 1)
		nat_in(n, b);
	else
		flow_el_push(n, b, nat_out_verdict, &hs);
}

/* A flow ended on this worker: its port goes back to this worker's pool. */
static void nat_release(struct el *e, void *slot)
{
	struct nat *s = e->state;
	struct nat_slot *ns = slot;
	if (ns->state != NAT_MAPPED)
		return;
	uint16_t k = (uint16_t)(ns->ext_port - s->lo);
	__atomic_store_n(&s->map[k].used, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&s->map[k].gen, s->map[k].gen + 2, __ATOMIC_RELEASE);
	s->free[rt_wid][s->nfree[rt_wid]++] = k;
	((struct nat_pw *)el_pw(e))->released++;
}

static int parse_word(struct el *e, const char *what, const char *w, enum el_argtype t, void *out, struct rt_err *err)
{
	struct rt_err e2 = {0};
	if (el_parse_value(t, w, out, &e2) < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: PATTERN: bad %s '%s'", e->name, what, w);
	return 0;
}

static int nat_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	(void)argc, (void)argv;
	struct nat *s = e->state;
	char sa[64], sp[64], da[64], dp[64], extra[8];
	if (sscanf(s->pattern, "%63s %63s %63s %63s %7s", sa, sp, da, dp, extra) != 4)
		return rt_errf(err, &e->loc, -EINVAL, "%s: PATTERN: expected 'SADDR SPORT DADDR DPORT', e.g. "
			       "'192.0.2.1 1024-65535 - -'", e->name);
	if (parse_word(e, "SADDR", sa, EL_T_IP4, &s->saddr, err) < 0)
		return err->code;
	unsigned lo, hi;
	char c;
	if (sscanf(sp, "%u-%u%c", &lo, &hi, &c) != 2 || lo < 1 || hi > 65535 || lo > hi)
		return rt_errf(err, &e->loc, -EINVAL, "%s: PATTERN: SPORT must be a range LO-HI within 1-65535, not '%s'",
			       e->name, sp);
	s->lo = (uint16_t)lo, s->hi = (uint16_t)hi;
	if (strcmp(da, "-") && parse_word(e, "DADDR", da, EL_T_IP4, &s->daddr, err) < 0)
		return err->code;
	if (strcmp(dp, "-")) {
		unsigned v;
		if (sscanf(dp, "%u%c", &v, &c) != 1 || v < 1 || v > 65535)
			return rt_errf(err, &e->loc, -EINVAL, "%s: PATTERN: bad DPORT '%s'", e->name, dp);
		s->dport = (uint16_t)v;
	}
	return 0;
}

static void nat_cleanup(struct el *e)
{
	struct nat *s = e->state;
	rte_free(s->map);
	for (int w = 0; w < RT_MAX_WORKERS; w++)
		rte_free(s->free[w]);
}

static int nat_init(struct el *e, struct rt_err *err)
{
	struct nat *s = e->state;
	uint32_t np = (uint32_t)(s->hi - s->lo) + 1;
	s->nworkers = rt_router_nworkers(e->router);
	if (np < (uint32_t)s->nworkers)
		return rt_errf(err, &e->loc, -EINVAL, "%s: %u ports cannot be shared by %d workers", e->name, np,
			       s->nworkers);
	s->map = rte_zmalloc("nat_map", sizeof(struct nat_entry) * np, RTE_CACHE_LINE_SIZE);
	if (!s->map)
		return rt_errf(err, &e->loc, -ENOMEM, "%s: no memory for %u ports", e->name, np);
	/* worker w owns the w-th slice of the range; lowest ports are taken first */
	uint32_t per = np / (uint32_t)s->nworkers;
	s->per = per;
	for (int w = 0; w < s->nworkers; w++) {
		uint32_t a = per * (uint32_t)w, z = w == s->nworkers - 1 ? np : a + per;
		if (!(s->free[w] = rte_malloc("nat_free", sizeof(uint16_t) * (z - a), 0))) {
			nat_cleanup(e);
			return rt_errf(err, &e->loc, -ENOMEM, "%s: no memory for %u ports", e->name, np);
		}
		for (uint32_t k = z; k > a; k--)
			s->free[w][s->nfree[w]++] = (uint16_t)(k - 1);
	}
	return 0;
}

static int nat_read(struct el *e, intptr_t off, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, (size_t)off));
	return 0;
}

static int nat_mappings(struct el *e, intptr_t a, struct rt_buf *out)
{
	(void)a;
	struct nat *s = e->state;
	for (uint32_t k = 0; k <= (uint32_t)(s->hi - s->lo); k++) {
		const struct nat_entry *me = &s->map[k];
		if (!__atomic_load_n(&me->used, __ATOMIC_ACQUIRE))
			continue;
		const uint8_t *i = (const uint8_t *)&me->in_addr, *r = (const uint8_t *)&me->rem_addr;
		rt_buf_printf(out, "%s %u.%u.%u.%u:%u -> :%u -> %u.%u.%u.%u:%u\n", me->proto == IPPROTO_TCP ? "TCP" : "UDP",
			      i[0], i[1], i[2], i[3], rte_be_to_cpu_16(me->in_port), s->lo + k, r[0], r[1], r[2], r[3],
			      rte_be_to_cpu_16(me->rem_port));
	}
	return 0;
}

/* Each worker's port range, for steering replies (one line per worker). */
static int nat_ports(struct el *e, intptr_t a, struct rt_buf *out)
{
	(void)a;
	struct nat *s = e->state;
	uint32_t np = (uint32_t)(s->hi - s->lo) + 1;
	for (int w = 0; w < s->nworkers; w++) {
		uint32_t lo = s->per * (uint32_t)w, hi = w == s->nworkers - 1 ? np : lo + s->per;
		rt_buf_printf(out, "%d %u-%u\n", w, s->lo + lo, s->lo + hi - 1);
	}
	return 0;
}

static const struct el_arg args[] = {
	{"PATTERN", EL_T_STRING, offsetof(struct nat, pattern), NULL, EL_ARG_REQ | EL_ARG_POS,
	 "IPRewriter-style 'SADDR SPORT DADDR DPORT': new source address, source port range LO-HI, and "
	 "destination address and port ('-' keeps them)"},
	EL_ARGS_END,
};

static const struct el_handler handlers[] = {
	{"out", nat_read, NULL, offsetof(struct nat_pw, out), 0, "outbound packets translated"},
	{"in", nat_read, NULL, offsetof(struct nat_pw, in), 0, "inbound packets translated back"},
	{"mapped", nat_read, NULL, offsetof(struct nat_pw, mapped), 0, "ports allocated"},
	{"released", nat_read, NULL, offsetof(struct nat_pw, released), 0, "ports returned when their flow ended"},
	{"no_ports", nat_read, NULL, offsetof(struct nat_pw, no_ports), 0, "flows refused: no free port"},
	{"out_dropped", nat_read, NULL, offsetof(struct nat_pw, out_dropped), 0,
	 "outbound packets dropped (no flow, not TCP/UDP, no port)"},
	{"in_dropped", nat_read, NULL, offsetof(struct nat_pw, in_dropped), 0,
	 "inbound packets dropped (no mapping for them)"},
	{"in_foreign", nat_read, NULL, offsetof(struct nat_pw, in_foreign), 0,
	 "inbound packets translated on a worker other than the port's owner (steering not set up)"},
	{"mappings", nat_mappings, NULL, 0, 0, "ports in use: inside endpoint -> port -> remote endpoint"},
	{"ports", nat_ports, NULL, 0, 0, "each worker's external ports, 'WORKER LO-HI' per line: steer replies by them"},
	EL_HANDLERS_END,
};

static struct el_class nat_class = {
	.name = "FlowNAPT",
	.sig = "FlowNAPT(PATTERN)",
	.summary = "network address and port translation on flows",
	.doc = "Input 0 takes packets from the inside, behind a FlowManager; each new TCP or UDP flow gets a "
	       "source port from PATTERN's range (ports are split among workers) and leaves on output 0 "
	       "with its source (and, when PATTERN gives them, destination) rewritten and checksums fixed. "
	       "Input 1 takes packets from the outside: one addressed to SADDR at a port in use, from that "
	       "flow's remote endpoint, is translated back and leaves on output 1; anything else is "
	       "dropped. A port returns to the pool when its flow ends (the manager's idle timeouts, RST), "
	       "so mappings expire with their flows.\n\n"
	       "Workers: each worker allocates from its own slice of the range (`ports` lists them), so "
	       "no two workers share a port and allocation takes no lock. A reply is translated on "
	       "whichever worker receives it: mappings are read under a sequence counter, so a reply "
	       "racing with the port's reuse is dropped, never mistranslated. Elements on the reply path "
	       "that keep per-flow state need the reply on the flow's worker: steer replies to SADDR by "
	       "destination port, worker w's slice to worker w's queue (e.g. an rte_flow rule per slice "
	       "matching SADDR and the port range); `in_foreign` counts replies that landed elsewhere.",
	.ports = "2/2",
	.state_size = sizeof(struct nat),
	.pw_size = sizeof(struct nat_pw),
	.args = args,
	.configure = nat_configure,
	.init = nat_init,
	.cleanup = nat_cleanup,
	.push = nat_push,
	.handlers = handlers,
	.flow_size = sizeof(struct nat_slot),
	.flow_release = nat_release,
};
EL_REGISTER(nat_class)
