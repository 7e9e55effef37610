/*
 * ACLClassifier - classifies IPv4 packets by 5-tuple ACL rules (ClassBench
 * format) with the big classifier (classify/cls_tm.c); rules can be added
 * and removed while traffic flows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>

#include "../../runtime/router.h"
#include "../../classify/cls_chain.h"
#include "clsel.h"

static void aclc_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct aclc *s = n->state;
	struct cls_key keys[RT_BATCH_MAX];
	uint32_t ids[RT_BATCH_MAX], cls[RT_BATCH_MAX];
	int16_t out[RT_BATCH_MAX];
	uint64_t notip = 0, marked = 0, v6m = 0;
	uint32_t v6res[RT_BATCH_MAX];
	const struct cls_acl6 *v6 = __atomic_load_n(&s->v6, __ATOMIC_ACQUIRE);
	uint32_t cnt = b->n;
	if (unlikely(!cnt))
		return;
	for (uint32_t i = 0; i < cnt; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (s->hw_on && (m->ol_flags & RTE_MBUF_F_RX_FDIR_ID) && m->hash.fdir.hi) {
			/* the NIC matched an offloaded rule: its mark is class + 1 */
			marked |= 1ull << i;
			keys[i] = (struct cls_key){0};
			continue;
		}
		if (i + 4 < cnt)
			rte_prefetch0(rt_has_nh(b->pkts[i + 4]) ? rt_nh(b->pkts[i + 4]) : rt_data(b->pkts[i + 4]));
		const uint8_t *ip = rt_data(m);
		int len = (int)rt_len(m);
		if (rt_has_nh(m)) {
			len -= rt_nh_offset(m);
			ip = rt_nh(m);
		}
		if (len <= 0 || !cls_key_from_ip(ip, (uint32_t)len, &keys[i])) {
			struct cls_key6 k6;
			keys[i] = (struct cls_key){0};
			notip |= 1ull << i; /* not IPv4: matches no IPv4 rule */
			if (v6 && len > 0 && cls_key6_from_ip6(ip, (uint32_t)len, &k6)) {
				v6m |= 1ull << i;
				v6res[i] = cls_acl6_lookup(v6, &k6);
			}
		}
	}
	cls_acl_lookup(s->acl, keys, cnt, ids, cls);
	for (; notip; notip &= notip - 1)
		ids[__builtin_ctzll(notip)] = CLS_NOMATCH;
	for (; v6m; v6m &= v6m - 1) {
		int i = __builtin_ctzll(v6m);
		ids[i] = v6res[i];
		if (v6res[i] != CLS_NOMATCH)
			cls[i] = v6->r[v6res[i]].f.cls;
	}
	for (; marked; marked &= marked - 1) {
		int i = __builtin_ctzll(marked);
		ids[i] = 0;
		cls[i] = b->pkts[i]->hash.fdir.hi - 1;
	}
	struct aclc_pw *pw = el_pw(n->e);
	for (uint32_t i = 0; i < cnt; i++) {
		int p = ids[i] == CLS_NOMATCH ? (int)s->nomatch : (int)cls[i];
		out[i] = (int16_t)(p < n->nout ? p : -1);
		if (ids[i] == CLS_NOMATCH)
			pw->nomatch++;
		else if (cls[i] < ACL_MAX_OUT)
			pw->out[cls[i]]++;
	}
	el_output_by_port(n, b, out);
}

static const struct el_arg aclc_args[] = {
	{"FILE", EL_T_STRING, offsetof(struct aclc, file), NULL, 0, "rule file (ClassBench format)"},
	{"NOMATCH", EL_T_INT, offsetof(struct aclc, nomatch), "-1", 0,
	 "output for packets no rule matches (-1: drop them)"},
	EL_ARGS_END,
};

/* Rules: the FILE's, then one per remaining argument, in priority order. */
static int aclc_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct aclc *s = e->state;
	cls_ruleset_init(&s->conf);
	if (s->file && cls_ruleset_load(&s->conf, s->file, err) < 0) {
		rt_err_prefix(err, e->name);
		if (!err->loc.file)
			err->loc = e->loc;
		return err->code;
	}
	for (int i = 0; i < argc; i++) {
		struct cls_rule r;
		char *text = el_unquote(argv[i]);
		if (cls_rule6_is(text)) {
			struct cls_rule6 r6;
			int rc6 = cls_rule6_parse(text, &r6, NULL, err);
			free(text);
			if (rc6 < 0) {
				char m[sizeof(err->msg)];
				snprintf(m, sizeof(m), "%s", err->msg);
				rt_err_clear(err);
				return rt_errf(err, &e->loc, rc6, "%s: argument %d: %s", e->name, i + 1, m);
			}
			if (r6.f.prio == UINT32_MAX)
				r6.f.prio = s->conf.n + (s->v6 ? s->v6->n : 0); /* position among the rules */
			r6.id = s->v6_next_id++;
			struct cls_acl6 *nv = cls_acl6_with(s->v6, &r6, UINT32_MAX);
			if (!nv)
				return rt_errf(err, &e->loc, -ENOMEM, "%s: out of memory", e->name);
			free(s->v6);
			s->v6 = nv;
			continue;
		}
		int rc = cls_rule_parse(text, &r, NULL, err);
		free(text);
		if (rc < 0) {
			char m[sizeof(err->msg)];
			snprintf(m, sizeof(m), "%s", err->msg);
			rt_err_clear(err);
			return rt_errf(err, &e->loc, rc, "%s: argument %d: %s", e->name, i + 1, m);
		}
		if (rc == 1)
			continue;
		if (r.prio == UINT32_MAX)
			r.prio = s->conf.n + (s->v6 ? s->v6->n : 0);
		cls_ruleset_push(&s->conf, &r);
	}
	if (s->nomatch < -1 || s->nomatch > 32767)
		return rt_errf(err, &e->loc, -EINVAL, "%s: NOMATCH must be -1 or an output", e->name);
	return 0;
}

static int aclc_init(struct el *e, struct rt_err *err)
{
	struct aclc *s = e->state;
	for (uint32_t i = 0; i < s->conf.n; i++) {
		if ((int64_t)s->conf.r[i].cls >= e->nout)
			return rt_errf(err, &e->loc, -EINVAL, "%s: rule %u has class %u but there %s only %d output%s", e->name,
				       i, s->conf.r[i].cls, e->nout == 1 ? "is" : "are", e->nout, e->nout == 1 ? "" : "s");
		if (s->conf.r[i].prio >= s->next_prio)
			s->next_prio = s->conf.r[i].prio + 1;
	}
	for (uint32_t i = 0; s->v6 && i < s->v6->n; i++) {
		if ((int64_t)s->v6->r[i].f.cls >= e->nout)
			return rt_errf(err, &e->loc, -EINVAL, "%s: IPv6 rule v6.%u has class %u but there %s only %d output%s",
				       e->name, s->v6->r[i].id, s->v6->r[i].f.cls, e->nout == 1 ? "is" : "are", e->nout,
				       e->nout == 1 ? "" : "s");
		if (s->v6->r[i].f.prio >= s->next_prio)
			s->next_prio = s->v6->r[i].f.prio + 1;
	}
	if (s->nomatch >= e->nout)
		return rt_errf(err, &e->loc, -EINVAL, "%s: NOMATCH %lld: there is no such output", e->name,
			       (long long)s->nomatch);
	int rc = cls_acl_build(s->conf.r, s->conf.n, rt_router_qsbr(e->router), &s->acl, err);
	if (rc < 0)
		return rc;
	cls_ruleset_free(&s->conf);
	return 0;
}

static void hw_off(struct aclc *s)
{
	__atomic_store_n(&s->hw_on, false, __ATOMIC_RELEASE);
	if (s->hw) {
		cls_flow_plan_free(s->hw);
		free(s->hw);
		s->hw = NULL;
	}
	free(s->hw_ids);
	s->hw_ids = NULL;
}

/* Put the rules rte_flow can take (cls_flow.h) in the NIC of DPDK port
 * `port`, marking packets with class + 1.  On failure nothing is left in
 * the NIC and everything is classified in software. */
static int hw_on(struct el *e, uint16_t port, struct rt_err *err)
{
	struct aclc *s = e->state;
	hw_off(s);
	uint32_t lim = cls_acl_id_limit(s->acl), n = 0;
	struct cls_rule *r = malloc(sizeof(*r) * (lim + 1));
	s->hw_ids = malloc(sizeof(uint32_t) * (lim + 1));
	s->hw = calloc(1, sizeof(*s->hw));
	int rc = -ENOMEM;
	if (!r || !s->hw_ids || !s->hw)
		goto fail;
	for (uint32_t id = 0; id < lim; id++)
		if (cls_acl_rule(s->acl, id)) {
			r[n] = *cls_acl_rule(s->acl, id);
			s->hw_ids[n++] = id;
		}
	if ((rc = cls_flow_plan(r, n, NULL, 0, 1024, s->hw)) < 0)
		goto fail;
	if ((rc = cls_flow_install(s->hw, port, err)) < 0) {
		snprintf(s->hw_msg, sizeof(s->hw_msg), "%s", err->msg);
		free(r);
		hw_off(s);
		return rc;
	}
	free(r);
	snprintf(s->hw_msg, sizeof(s->hw_msg), "port %u: %u of %u rules in hardware (%u flows)", port, s->hw->noffloaded,
		 n, s->hw->nflows);
	__atomic_store_n(&s->hw_on, true, __ATOMIC_RELEASE);
	return 0;
fail:
	free(r);
	hw_off(s);
	return rt_errf(err, NULL, rc, "offload: out of memory");
}

/* After a rule change: the NIC's rules follow (software classifies every
 * packet while they are replaced). */
static void hw_refresh(struct el *e)
{
	struct aclc *s = e->state;
	if (!s->hw_on)
		return;
	uint16_t port = s->hw->port;
	struct rt_err err;
	rt_err_clear(&err);
	hw_on(e, port, &err);
}

static void aclc_cleanup(struct el *e)
{
	struct aclc *s = e->state;
	hw_off(s);
	cls_chain_member_gone(e);
	free(s->v6);
	cls_acl_free(s->acl);
	cls_ruleset_free(&s->conf);
}

/* ---- handlers ---------------------------------------------------------------------- */

/* Publish a new IPv6 rule array; the old one goes after a grace period.
 * The element's place in merged chains changes with it (IPv4 only). */
static int v6_publish(struct el *e, struct cls_acl6 *nv, struct rt_err *err)
{
	struct aclc *s = e->state;
	struct cls_acl6 *old = s->v6;
	__atomic_store_n(&s->v6, nv, __ATOMIC_RELEASE);
	struct rte_rcu_qsbr *q = rt_router_qsbr(e->router);
	if (q) {
		uint64_t t = rte_rcu_qsbr_start(q);
		rte_rcu_qsbr_check(q, t, true);
	}
	free(old);
	return cls_chain_republish(e->router, err);
}

static int h_add6(struct el *e, const char *v, struct rt_err *err)
{
	struct aclc *s = e->state;
	struct cls_rule6 r;
	int rc = cls_rule6_parse(v, &r, NULL, err);
	if (rc < 0)
		return rc;
	if ((int64_t)r.f.cls >= e->nout)
		return rt_errf(err, NULL, -EINVAL, "add_rule: class %u but there %s only %d output%s", r.f.cls,
			       e->nout == 1 ? "is" : "are", e->nout, e->nout == 1 ? "" : "s");
	if (r.f.prio == UINT32_MAX)
		r.f.prio = s->next_prio;
	r.id = s->v6_next_id;
	struct cls_acl6 *nv = cls_acl6_with(s->v6, &r, UINT32_MAX);
	if (!nv)
		return rt_errf(err, NULL, -ENOMEM, "add_rule: out of memory");
	s->v6_next_id++;
	if (r.f.prio >= s->next_prio)
		s->next_prio = r.f.prio + 1;
	return v6_publish(e, nv, err);
}

static int h_remove6(struct el *e, const char *v, struct rt_err *err)
{
	struct aclc *s = e->state;
	char *end;
	unsigned long id = strtoul(v + 3, &end, 10);
	while (*end == ' ' || *end == '\n' || *end == '\t')
		end++;
	if (end == v + 3 || *end)
		return rt_errf(err, NULL, -EINVAL, "remove_rule: expected a rule id (see the rules handler), not '%s'", v);
	bool found = false;
	for (uint32_t i = 0; s->v6 && i < s->v6->n && !found; i++)
		found = s->v6->r[i].id == id;
	if (!found)
		return rt_errf(err, NULL, -ENOENT, "remove_rule: no rule v6.%lu", id);
	struct cls_acl6 *nv = cls_acl6_with(s->v6, NULL, (uint32_t)id);
	if (!nv)
		return rt_errf(err, NULL, -ENOMEM, "remove_rule: out of memory");
	return v6_publish(e, nv, err);
}

static int h_add(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	(void)arg;
	struct aclc *s = e->state;
	if (cls_rule6_is(v))
		return h_add6(e, v, err);
	struct cls_rule r;
	int rc = cls_rule_parse(v, &r, NULL, err);
	if (rc == 1)
		return rt_errf(err, NULL, -EINVAL, "add_rule: expected a rule");
	if (rc < 0)
		return rc;
	if ((int64_t)r.cls >= e->nout)
		return rt_errf(err, NULL, -EINVAL, "add_rule: class %u but there %s only %d output%s", r.cls,
			       e->nout == 1 ? "is" : "are", e->nout, e->nout == 1 ? "" : "s");
	if (r.prio == UINT32_MAX)
		r.prio = s->next_prio;
	uint32_t id;
	if ((rc = cls_acl_add(s->acl, &r, &id, err)) < 0)
		return rc;
	if ((rc = cls_chain_rules_changed(e, err)) < 0) {
		struct rt_err e2;
		rt_err_clear(&e2);
		cls_acl_remove(s->acl, id, &e2); /* the running plan still has the old rules */
		return rc;
	}
	hw_refresh(e);
	if (r.prio >= s->next_prio)
		s->next_prio = r.prio + 1;
	return 0;
}

static int h_remove(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	(void)arg;
	struct aclc *s = e->state;
	if (!strncmp(v, "v6.", 3))
		return h_remove6(e, v, err);
	char *end;
	unsigned long id = strtoul(v, &end, 10);
	while (*end == ' ' || *end == '\n' || *end == '\t')
		end++;
	if (end == v || *end)
		return rt_errf(err, NULL, -EINVAL, "remove_rule: expected a rule id (see the rules handler), not '%s'", v);
	const struct cls_rule *old = cls_acl_rule(s->acl, (uint32_t)id);
	struct cls_rule keep = old ? *old : (struct cls_rule){0};
	int rc = cls_acl_remove(s->acl, (uint32_t)id, err);
	if (rc < 0)
		return rc;
	if ((rc = cls_chain_rules_changed(e, err)) < 0) {
		/* the running plan still has the rule: put it back (under a new id) */
		struct rt_err e2;
		rt_err_clear(&e2);
		cls_acl_add(s->acl, &keep, NULL, &e2);
		return rc;
	}
	hw_refresh(e);
	return 0;
}

static int h_rules(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	const struct aclc *s = e->state;
	for (uint32_t id = 0; id < cls_acl_id_limit(s->acl); id++) {
		const struct cls_rule *r = cls_acl_rule(s->acl, id);
		if (r) {
			rt_buf_printf(out, "%u\t", id);
			cls_rule_unparse(r, out);
			rt_buf_puts(out, "\n");
		}
	}
	for (uint32_t i = 0; s->v6 && i < s->v6->n; i++) {
		rt_buf_printf(out, "v6.%u\t", s->v6->r[i].id);
		cls_rule6_unparse(&s->v6->r[i], out);
		rt_buf_puts(out, "\n");
	}
	return 0;
}

/* Shadowed and redundant rules, by id ("ID shadowed by ID" / "ID redundant
 * with ID"), computed on demand: O(rules^2). */
static int h_shadowed(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	const struct aclc *s = e->state;
	uint32_t lim = cls_acl_id_limit(s->acl), n = 0;
	struct cls_rule *r = malloc(sizeof(*r) * (lim + 1));
	uint32_t *id = malloc(sizeof(*id) * (lim + 1)), *sh = malloc(sizeof(*sh) * (lim + 1)),
		 *rd = malloc(sizeof(*rd) * (lim + 1));
	for (uint32_t i = 0; i < lim; i++)
		if (cls_acl_rule(s->acl, i)) {
			r[n] = *cls_acl_rule(s->acl, i);
			id[n++] = i;
		}
	cls_rules_unreachable(r, n, sh, rd);
	for (uint32_t i = 0; i < n; i++) {
		if (sh[i] != CLS_NOMATCH)
			rt_buf_printf(out, "%u shadowed by %u\n", id[i], id[sh[i]]);
		else if (rd[i] != CLS_NOMATCH)
			rt_buf_printf(out, "%u redundant with %u\n", id[i], id[rd[i]]);
	}
	free(r);
	free(id);
	free(sh);
	free(rd);
	return 0;
}

/* offload PORT (a DPDK port name such as net_tap0, or its number) | off */
static int h_offload(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	(void)arg;
	struct aclc *s = e->state;
	char name[RTE_ETH_NAME_MAX_LEN];
	snprintf(name, sizeof(name), "%s", v);
	name[strcspn(name, " \t\n")] = 0;
	if (!strcmp(name, "off")) {
		hw_off(s);
		snprintf(s->hw_msg, sizeof(s->hw_msg), "off");
		return cls_chain_republish(e->router, err);
	}
	uint16_t port;
	char *end;
	unsigned long pn = strtoul(name, &end, 10);
	if (*name && !*end && pn < RTE_MAX_ETHPORTS && rte_eth_dev_is_valid_port((uint16_t)pn))
		port = (uint16_t)pn;
	else if (rte_eth_dev_get_port_by_name(name, &port) != 0)
		return rt_errf(err, NULL, -ENODEV, "offload: no DPDK port '%s'", name);
	int rc = hw_on(e, port, err);
	/* offloaded, it leaves merged chains (it reads marks); off, it may join one */
	struct rt_err e2;
	rt_err_clear(&e2);
	cls_chain_republish(e->router, &e2);
	return rc;
}

static int h_offloaded(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	const struct aclc *s = e->state;
	rt_buf_printf(out, "%s\n", s->hw_msg[0] ? s->hw_msg : "off");
	for (uint32_t i = 0; s->hw_on && i < s->hw->nrules; i++)
		if (s->hw->offloaded[i])
			rt_buf_printf(out, "%u\n", s->hw_ids[i]);
	return 0;
}

enum { H_COUNT, H_NOMATCH, H_COUNTS, H_STATS };

static int h_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	const struct aclc *s = e->state;
	uint64_t tot = 0;
	switch (what) {
	case H_COUNT:
		for (int p = 0; p < ACL_MAX_OUT; p++)
			tot += el_pw_sum(e, offsetof(struct aclc_pw, out) + sizeof(uint64_t) * (size_t)p);
		rt_buf_printf(out, "%llu", (unsigned long long)tot);
		break;
	case H_NOMATCH:
		rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct aclc_pw, nomatch)));
		break;
	case H_COUNTS:
		for (int p = 0; p < e->nout && p < ACL_MAX_OUT; p++)
			rt_buf_printf(out, "%d %llu\n", p,
				      (unsigned long long)el_pw_sum(e, offsetof(struct aclc_pw, out) + sizeof(uint64_t) * (size_t)p));
		break;
	default: {
		struct cls_acl_stats st;
		cls_acl_stats(s->acl, &st);
		rt_buf_printf(out, "rules %u\nhidden %u\ntables %u\nexact_proto_tables %u\nexact_port_tables %u\nmax_bucket %u\nbytes %llu\n",
			      st.rules, st.hidden, st.tables, st.exact_proto_tables, st.exact_port_tables, st.max_bucket,
			      (unsigned long long)st.mem_bytes);
	}
	}
	return 0;
}

static const struct el_handler aclc_handlers[] = {
	{"add_rule", NULL, h_add, 0, 0,
	 "add a rule (ClassBench line, IPv4 or IPv6 prefixes, optional 'class C' and 'prio P'; default: after every rule)"},
	{"remove_rule", NULL, h_remove, 0, 0, "remove the rule with this id (IPv6 rules: v6.ID)"},
	{"rules", h_rules, NULL, 0, 0, "the rules, one per line: ID RULE class C prio P (IPv6 rules: v6.ID)"},
	{"shadowed", h_shadowed, NULL, 0, 0, "rules no packet reaches ('ID shadowed by ID') or whose removal changes no "
					       "class ('ID redundant with ID')"},
	{"offload", NULL, h_offload, 0, 0,
	 "put the rules rte_flow can express in the NIC of a DPDK port (name or number), marking packets; 'off' removes them"},
	{"offloaded", h_offloaded, NULL, 0, 0, "the last offload's outcome, then the ids of the rules in hardware"},
	{"count", h_read, NULL, H_COUNT, 0, "packets that matched a rule"},
	{"nomatch", h_read, NULL, H_NOMATCH, 0, "packets that matched no rule"},
	{"counts", h_read, NULL, H_COUNTS, 0, "packets per class: 'OUTPUT COUNT' lines"},
	{"stats", h_read, NULL, H_STATS, 0, "the compiled classifier: rules, tables, specialised tables, bytes"},
	EL_HANDLERS_END,
};

static struct el_class aclclassifier = {
	.name = "ACLClassifier",
	.sig = "ACLClassifier([FILE file], [RULE_1, ..., RULE_N], [NOMATCH output])",
	.summary = "classifies IP packets by 5-tuple ACL rules",
	.doc = "Rules are ClassBench filter lines, `@SRC/LEN DST/LEN SPLO : SPHI DPLO : DPHI PROTO/MASK FLAGS/MASK`, "
	       "optionally followed by `class C` (the output, default 0) and `prio P` (lower wins; default: the rule's "
	       "order). FLAGS is the TCP flags byte shifted left by 8. The rules of FILE come first, then one per "
	       "argument. Rules given as arguments or added may use IPv6 prefixes (`@2001:db8::/32 ::/0 ...`): they "
	       "classify IPv6 packets (extension headers skipped), searched in priority order. A packet goes to the output of "
	       "the best rule it matches; packets no rule matches, and packets that are neither IPv4 nor IPv6, go to NOMATCH (dropped by default). The packet's IP header is at the network-header annotation, or at the "
	       "start of the data. Rules compile to tuple-merge hash tables (docs/classify.md); `add_rule` and "
	       "`remove_rule` change one table's bucket and publish it while traffic flows. "
	       "Example: `ACLClassifier(FILE acl1_10k, NOMATCH 1)`.",
	.ports = "1/-",
	.state_size = sizeof(struct aclc),
	.pw_size = sizeof(struct aclc_pw),
	.args = aclc_args,
	.configure = aclc_configure,
	.init = aclc_init,
	.cleanup = aclc_cleanup,
	.push = aclc_push,
	.handlers = aclc_handlers,
};
EL_REGISTER(aclclassifier)
