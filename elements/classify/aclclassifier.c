/*
 * ACLClassifier - classifies IPv4 packets by 5-tuple ACL rules (ClassBench
 * format) with the big classifier (classify/cls_tm.c); rules can be added
 * and removed while traffic flows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
	uint64_t notip = 0;
	uint32_t cnt = b->n;
	if (unlikely(!cnt))
		return;
	for (uint32_t i = 0; i < cnt; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 4 < cnt)
			rte_prefetch0(rt_has_nh(b->pkts[i + 4]) ? rt_nh(b->pkts[i + 4]) : rt_data(b->pkts[i + 4]));
		const uint8_t *ip = rt_data(m);
		int len = (int)rt_len(m);
		if (rt_has_nh(m)) {
			len -= rt_nh_offset(m);
			ip = rt_nh(m);
		}
		if (len <= 0 || !cls_key_from_ip(ip, (uint32_t)len, &keys[i])) {
			keys[i] = (struct cls_key){0};
			notip |= 1ull << i; /* not IPv4: matches no rule */
		}
	}
	cls_acl_lookup(s->acl, keys, cnt, ids, cls);
	for (; notip; notip &= notip - 1)
		ids[__builtin_ctzll(notip)] = CLS_NOMATCH;
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
			r.prio = s->conf.n;
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
	if (s->nomatch >= e->nout)
		return rt_errf(err, &e->loc, -EINVAL, "%s: NOMATCH %lld: there is no such output", e->name,
			       (long long)s->nomatch);
	int rc = cls_acl_build(s->conf.r, s->conf.n, rt_router_qsbr(e->router), &s->acl, err);
	if (rc < 0)
		return rc;
	cls_ruleset_free(&s->conf);
	return 0;
}

static void aclc_cleanup(struct el *e)
{
	struct aclc *s = e->state;
	cls_acl_free(s->acl);
	cls_ruleset_free(&s->conf);
}

/* ---- handlers ---------------------------------------------------------------------- */

static int h_add(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	(void)arg;
	struct aclc *s = e->state;
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
	if (r.prio >= s->next_prio)
		s->next_prio = r.prio + 1;
	return 0;
}

static int h_remove(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	(void)arg;
	struct aclc *s = e->state;
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
	 "add a rule (ClassBench line, optional 'class C' and 'prio P'; default: after every rule)"},
	{"remove_rule", NULL, h_remove, 0, 0, "remove the rule with this id"},
	{"rules", h_rules, NULL, 0, 0, "the rules, one per line: ID RULE class C prio P"},
	{"shadowed", h_shadowed, NULL, 0, 0, "rules no packet reaches ('ID shadowed by ID') or whose removal changes no "
					       "class ('ID redundant with ID')"},
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
	       "argument. A packet goes to the output of the best rule it matches; packets no rule matches, and "
	       "packets that are not IPv4, go to NOMATCH (dropped by default). The packet's IP header is at the network-header annotation, or at the "
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
