/*
 * ACLClassifier - classifies IPv4 packets by 5-tuple ACL rules (ClassBench
 * format) with the big classifier (classify/cls_tm.c); rules can be added
 * and removed while traffic flows.
 *
 * Placements (migrate/mig_offload.h): the cpu runs the tuple-merge
 * classifier in the worker; opencl and cuda run the flat form of the same
 * rules (migrate/mig_cls.h, kernels/cls.h) on the device, with the same
 * results.  The rules by id are the element's canonical state: a new
 * instance configured with the same rules (a migration, a reconfiguration
 * of PLACEMENT or BATCH) takes the running one's, run-time changes and ids
 * included, through mig_cls_serialise.  On a device, add_rule and
 * remove_rule reload the device by a live reconfiguration: a new instance
 * takes the rules with the change, builds its cpu classifier (the
 * fallback) and uploads a new flat form off the data path, and is swapped
 * in without loss; if that fails, the running instance is unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>

#include "../../runtime/router.h"
#include "../../runtime/ctl.h"
#include "../../classify/cls_acl.h"
#include "../../migrate/mig_offload.h"
#include "../../migrate/mig_cls.h"
#include "../../classify/cls_chain.h"
#include "clsel.h"

/* ---- the kernel, as the offload engine sees it ------------------------------------------ */

static uint32_t aclc_extract(void *ctx, struct el_node *n, struct rte_mbuf *m, const struct mig_off_pos *pos)
{
	(void)n;
	uint32_t *rec = (uint32_t *)pos->recs + MIG_CLS_KEY_WORDS * pos->idx;
	const uint8_t *ip = rt_data(m);
	int len = (int)rt_len(m);
	if (rt_has_nh(m)) {
		len -= rt_nh_offset(m);
		ip = rt_nh(m);
	}
	struct cls_key k;
	bool marked = ((const struct aclc *)ctx)->hw_on && (m->ol_flags & RTE_MBUF_F_RX_FDIR_ID) && m->hash.fdir.hi;
	/* no key: not IPv4, or the NIC already classified it (apply reads
	 * the mark, or looks the IPv6 rules up) */
	mig_cls_key_rec(!marked && len > 0 && cls_key_from_ip(ip, (uint32_t)len, &k) ? &k : NULL, rec);
	return 0;
}

/* The cpu placement (and the fallback of the others): the tuple-merge
 * classifier over the records, 64 at a time. */
static void aclc_cpu(void *ctx, const void *in, const uint8_t *blob, void *out, uint32_t n)
{
	(void)blob;
	const struct aclc *s = ctx;
	const uint32_t *r = in;
	uint32_t *o = out;
	struct cls_key keys[64];
	uint32_t ids[64], cls[64];
	for (uint32_t b = 0; b < n; b += 64) {
		uint32_t c = RT_MIN(n - b, 64u);
		for (uint32_t i = 0; i < c; i++) {
			const uint32_t *k = r + MIG_CLS_KEY_WORDS * (b + i);
			keys[i] = (struct cls_key){ k[0], k[1], (uint16_t)(k[2] >> 16), (uint16_t)k[2], (uint8_t)k[3], 0,
						    (uint16_t)(k[3] >> 16) };
		}
		cls_acl_lookup(s->acl, keys, c, ids, cls);
		for (uint32_t i = 0; i < c; i++) {
			bool none = r[MIG_CLS_KEY_WORDS * (b + i) + 3] & MIG_CLS_KEY_NONE;
			o[2 * (b + i)] = none ? MIG_CLS_NONE : ids[i];
			o[2 * (b + i) + 1] = none ? MIG_CLS_NONE : cls[i];
		}
	}
}

/* A packet without an IPv4 key: the NIC's mark (class + 1) when it
 * matched an offloaded rule, else the IPv6 rules' class; false: no match. */
static bool aclc_no_key(const struct aclc *s, struct rte_mbuf *m, uint32_t *cls)
{
	if (s->hw_on && (m->ol_flags & RTE_MBUF_F_RX_FDIR_ID) && m->hash.fdir.hi) {
		*cls = m->hash.fdir.hi - 1;
		return true;
	}
	const struct cls_acl6 *v6 = __atomic_load_n(&s->v6, __ATOMIC_ACQUIRE);
	if (!v6)
		return false;
	const uint8_t *ip = rt_data(m);
	int len = (int)rt_len(m);
	if (rt_has_nh(m)) {
		len -= rt_nh_offset(m);
		ip = rt_nh(m);
	}
	struct cls_key6 k6;
	if (len <= 0 || !cls_key6_from_ip6(ip, (uint32_t)len, &k6))
		return false;
	uint32_t i = cls_acl6_lookup(v6, &k6);
	if (i == CLS_NOMATCH)
		return false;
	*cls = v6->r[i].f.cls;
	return true;
}

static int aclc_apply(void *ctx, struct rte_mbuf *m, const void *out)
{
	const struct aclc *s = ctx;
	const uint32_t *o = out;
	struct aclc_pw *pw = el_pw(s->e);
	uint32_t cls = o[1];
	if (o[0] == MIG_CLS_NONE && !aclc_no_key(s, m, &cls)) {
		pw->nomatch++;
		return s->nomatch < s->e->nout ? (int)s->nomatch : -1;
	}
	if (cls < ACL_MAX_OUT)
		pw->out[cls]++;
	return (int)cls < s->e->nout ? (int)cls : -1;
}

/* The live rules by id, as the canonical form (with the change pending
 * for the instance that replaces this one, if any).  The id space is the
 * classifier's: ids of removed rules are never given again. */
static int aclc_set(const struct aclc *s, struct mig_cls_set *set, struct rt_err *err)
{
	mig_cls_set_init(set);
	uint32_t lim = cls_acl_id_limit(s->acl);
	int rc = mig_cls_set_reserve(set, lim, err);
	for (uint32_t id = 0; rc >= 0 && id < lim; id++) {
		const struct cls_rule *r = cls_acl_rule(s->acl, id);
		if (r && id != s->pend_remove)
			rc = mig_cls_set_put(set, id, r, err);
	}
	if (rc >= 0 && s->pend_add)
		rc = mig_cls_set_put(set, lim, &s->pend_rule, err);
	if (rc < 0) {
		mig_cls_set_free(set);
		return rc;
	}
	set->version = s->version + (s->pend_add || s->pend_remove != UINT32_MAX);
	return 0;
}

/* Load the flat form of the rules on the device. */
static int aclc_dev_args(void *ctx, struct mig_dev *d, struct mig_arg *args, int max, struct rt_err *err)
{
	(void)max;
	struct aclc *s = ctx;
	struct mig_cls_set set;
	int rc = aclc_set(s, &set, err);
	if (rc < 0)
		return rc;
	rc = mig_cls_flat_build(&set, &s->flat, err);
	mig_cls_set_free(&set);
	if (rc < 0 || (rc = mig_dev_open(mig_dev_kind(d), &s->dev, err)) < 0 ||
	    (rc = mig_mem_alloc(d, mig_cls_flat_bytes(s->flat), &s->dflat, err)) < 0 ||
	    (rc = mig_mem_write(s->dflat, 0, s->flat->w, mig_cls_flat_bytes(s->flat), err)) < 0)
		return rc;
	args[0] = MIG_MEM(s->dflat);
	return 1;
}

static const struct mig_off_kernel aclc_kernel = {
	.prog = "cls",
	.fn = "cls_acl",
	.in_size = 4 * MIG_CLS_KEY_WORDS,
	.out_size = 4 * MIG_CLS_OUT_WORDS,
	.extract = aclc_extract,
	.cpu = aclc_cpu,
	.args = aclc_dev_args,
	.apply = aclc_apply,
};

static void aclc_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	mig_off_push(EL_NSTATE(n, struct aclc)->off, n, b);
}

static int aclc_run(struct el_node *n) { return mig_off_run(EL_NSTATE(n, struct aclc)->off, n); }

static const struct el_arg aclc_args[] = {
	{"FILE", EL_T_STRING, offsetof(struct aclc, file), NULL, 0, "rule file (ClassBench format)"},
	{"NOMATCH", EL_T_INT, offsetof(struct aclc, nomatch), "-1", 0,
	 "output for packets no rule matches (-1: drop them)"},
	MIG_OFF_ARGS(struct aclc, a),
	EL_ARGS_END,
};

/* Rules: the FILE's, then one per remaining argument, in priority order. */
static int aclc_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct aclc *s = e->state;
	s->pend_remove = UINT32_MAX;
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
	struct mig_off_cfg cfg;
	int rc = mig_off_args_cfg(&s->a, &cfg, err);
	if (rc < 0)
		return rc;
	s->e = e;
	/* The running element of this name with the same configured rules is
	 * the one this instance replaces (a migration, a change of PLACEMENT
	 * or BATCH): its rules, with those added or removed since and their
	 * ids, are the state to keep, taken through the canonical form. */
	struct mig_cls_set set;
	mig_cls_set_init(&set);
	for (uint32_t i = 0; i < s->conf.n; i++)
		if ((rc = mig_cls_set_put(&set, i, &s->conf.r[i], err)) < 0)
			break;
	s->conf_sum = mig_cls_set_checksum(&set);
	mig_cls_set_free(&set);
	if (rc < 0)
		return rc;
	struct el *old = e->router ? rt_router_find(e->router, e->name) : NULL;
	if (old && old != e && old->cls == e->cls && EL_STATE(old, struct aclc)->acl &&
	    EL_STATE(old, struct aclc)->conf_sum == s->conf_sum) {
		void *buf;
		size_t len;
		if ((rc = aclc_set(old->state, &set, err)) < 0)
			return rc;
		rc = mig_cls_serialise(&set, &buf, &len, err);
		mig_cls_set_free(&set);
		if (rc < 0)
			return rc;
		mig_cls_set_init(&s->carry);
		rc = mig_cls_deserialise(buf, len, &s->carry, err);
		free(buf);
		if (rc < 0)
			return rc;
		s->carried = true;
		s->version = s->carry.version;
	}
	return 0;
}

/* Build the classifier from the carried rules, keeping their ids: unused
 * ids get a rule that matches nothing, removed once built. */
static int aclc_build_carried(struct aclc *s, struct rte_rcu_qsbr *q, struct rt_err *err)
{
	const struct mig_cls_set *c = &s->carry;
	struct cls_rule *r = malloc(sizeof(*r) * (c->nid ? c->nid : 1));
	if (!r)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	const struct cls_rule none = { .src = 0xffffffffu, .dst = 0xffffffffu, .slen = 32, .dlen = 32, .proto = 0,
				       .proto_mask = 0xff, .sport_hi = 0, .dport_hi = 0, .flags = 1, .flags_mask = 1,
				       .prio = UINT32_MAX, .cls = 0 };
	for (uint32_t id = 0; id < c->nid; id++)
		r[id] = c->live[id] ? c->r[id] : none;
	int rc = cls_acl_build(r, c->nid, q, &s->acl, err);
	free(r);
	for (uint32_t id = 0; rc >= 0 && id < c->nid; id++)
		if (!c->live[id])
			rc = cls_acl_remove(s->acl, id, err);
	return rc;
}

static int aclc_init(struct el *e, struct rt_err *err)
{
	struct aclc *s = e->state;
	if (s->carried) {
		/* the rules were checked against the same outputs, or are
		 * checked here against this instance's */
		cls_ruleset_free(&s->conf);
		for (uint32_t id = 0; id < s->carry.nid; id++)
			if (s->carry.live[id])
				cls_ruleset_push(&s->conf, &s->carry.r[id]);
	}
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
	int rc = s->carried ? aclc_build_carried(s, rt_router_qsbr(e->router), err)
			    : cls_acl_build(s->conf.r, s->conf.n, rt_router_qsbr(e->router), &s->acl, err);
	if (rc < 0)
		return rc;
	cls_ruleset_free(&s->conf);
	mig_cls_set_free(&s->carry);
	struct mig_off_cfg cfg;
	mig_off_args_cfg(&s->a, &cfg, err);
	return mig_off_new(e, &aclc_kernel, s, &cfg, &s->off, err);
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
	mig_off_free(s->off); /* waits for the device's jobs */
	mig_mem_free(s->dflat);
	mig_dev_close(s->dev);
	mig_cls_flat_free(s->flat);
	hw_off(s);
	cls_chain_member_gone(e);
	free(s->v6);
	cls_acl_free(s->acl);
	cls_ruleset_free(&s->conf);
	mig_cls_set_free(&s->carry);
}

static int aclc_take(struct el *e, struct el *old, struct rt_err *err)
{
	(void)err;
	struct aclc *s = e->state, *os = old->state;
	mig_off_take(s->off, os->off);
	for (unsigned w = 0; w < RT_MAX_WORKERS; w++) {
		struct aclc_pw *np = el_pw_of(e, w), *op = el_pw_of(old, w);
		np->nomatch += op->nomatch;
		for (int p = 0; p < ACL_MAX_OUT; p++)
			np->out[p] += op->out[p];
	}
	return 0;
}

static bool on_device(const struct aclc *s) { return mig_off_kind(s->off) != MIG_CPU && s->e->router; }

/* On a device, a change is made by a live reconfiguration with the same
 * arguments: the new instance takes this one's rules with the pending
 * change (aclc_set), builds and uploads its flat form off the data path,
 * and is swapped in.  On failure this instance, untouched, keeps running. */
static int aclc_reload(struct aclc *s, const char *what, struct rt_err *err)
{
	struct el *e = s->e;
	int rc = rt_ctl_reconfigure(e->router, e->name, e->config ? e->config : "", NULL, err);
	if (rc < 0) { /* s still runs: take the change back */
		s->pend_add = false;
		s->pend_remove = UINT32_MAX;
		char m[sizeof(err->msg)];
		snprintf(m, sizeof(m), "%s", err->msg);
		rt_err_clear(err);
		return rt_errf(err, NULL, rc, "%s: the %s device could not be reloaded, nothing changed: %s", what,
			       mig_kind_name(mig_off_kind(s->off)), m);
	}
	return rc; /* s is gone */
}

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
	if (on_device(s)) {
		s->pend_rule = r;
		s->pend_add = true;
		return aclc_reload(s, "add_rule", err);
	}
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
	s->version++;
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
	if (on_device(s)) {
		if (id >= UINT32_MAX || !cls_acl_rule(s->acl, (uint32_t)id))
			return rt_errf(err, NULL, -ENOENT, "no rule %lu", id);
		s->pend_remove = (uint32_t)id;
		return aclc_reload(s, "remove_rule", err);
	}
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
	s->version++;
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
		struct mig_cls_set set;
		struct rt_err e2;
		rt_err_clear(&e2);
		if (aclc_set(s, &set, &e2) == 0) {
			rt_buf_printf(out, "version %llu\nchecksum %08x\n", (unsigned long long)s->version,
				      mig_cls_set_checksum(&set));
			mig_cls_set_free(&set);
		}
		if (s->flat)
			rt_buf_printf(out, "device_tables %u\ndevice_bytes %zu\n", s->flat->ntab,
				      mig_cls_flat_bytes(s->flat));
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
	{"nic_offload", NULL, h_offload, 0, 0,
	 "put the rules rte_flow can express in the NIC of a DPDK port (name or number), marking packets; 'off' removes them"},
	{"nic_offloaded", h_offloaded, NULL, 0, 0, "the last offload's outcome, then the ids of the rules in hardware"},
	{"count", h_read, NULL, H_COUNT, 0, "packets that matched a rule"},
	{"nomatch", h_read, NULL, H_NOMATCH, 0, "packets that matched no rule"},
	{"counts", h_read, NULL, H_COUNTS, 0, "packets per class: 'OUTPUT COUNT' lines"},
	{"stats", h_read, NULL, H_STATS, 0, "the compiled classifier: rules, tables, specialised tables, bytes; the "
					  "rule set's version and checksum; on a device, its flat form's tables and bytes"},
	MIG_OFF_HANDLERS(struct aclc, off),
	EL_HANDLERS_END,
};

static struct el_class aclclassifier = {
	.name = "ACLClassifier",
	.sig = "ACLClassifier([FILE file], [RULE_1, ..., RULE_N], [NOMATCH output, PLACEMENT p, BATCH b, LATENCY t])",
	.summary = "classifies IP packets by 5-tuple ACL rules",
	.doc = "Rules are ClassBench filter lines, `@SRC/LEN DST/LEN SPLO : SPHI DPLO : DPHI PROTO/MASK FLAGS/MASK`, "
	       "optionally followed by `class C` (the output, default 0) and `prio P` (lower wins; default: the rule's "
	       "order). FLAGS is the TCP flags byte shifted left by 8. The rules of FILE come first, then one per "
	       "argument. Rules given as arguments or added may use IPv6 prefixes (`@2001:db8::/32 ::/0 ...`): they "
	       "classify IPv6 packets (extension headers skipped), searched in priority order. A packet goes to the output of "
	       "the best rule it matches; packets no rule matches, and packets that are neither IPv4 nor IPv6, go to NOMATCH (dropped by default). The packet's IP header is at the network-header annotation, or at the "
	       "start of the data. Rules compile to tuple-merge hash tables (docs/classify.md); `add_rule` and "
	       "`remove_rule` change one table's bucket and publish it while traffic flows. "
	       "PLACEMENT picks where the lookup runs: `cpu` (the tuple-merge classifier, in the worker), `opencl` or "
	       "`cuda` (a flat form of the same rules, docs/placement.md: packets aggregated into batches of BATCH, "
	       "sent at the latest LATENCY after the first one waits, resumed in order); results are identical on "
	       "every placement. `migrate` moves it while traffic flows, with its rules (those added at run time and "
	       "their ids included). On a device, `add_rule` and `remove_rule` reload the device's tables by a live "
	       "reconfiguration. "
	       "Example: `ACLClassifier(FILE acl1_10k, NOMATCH 1)`.",
	.ports = "1/-",
	.state_size = sizeof(struct aclc),
	.pw_size = sizeof(struct aclc_pw),
	.args = aclc_args,
	.configure = aclc_configure,
	.init = aclc_init,
	.cleanup = aclc_cleanup,
	.push = aclc_push,
	.run = aclc_run,
	.take_state = aclc_take,
	.handlers = aclc_handlers,
};
EL_REGISTER(aclclassifier)
