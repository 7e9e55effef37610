/*
 * PatternMatch - multi-pattern payload matching (Aho-Corasick) with an
 * action per match: ALERT (packets whose payload contains any of the
 * patterns leave on output 1), DROP_FLOW, MASK, REMOVE or REPLACE.
 *
 * The patterns become a canonical set (migrate/mig_ac.h) compiled into one
 * DFA when the element is configured.  The scan runs on the element's
 * placement through the offload engine (migrate/mig_offload.h): the cpu
 * in the worker, or opencl/cuda with the same kernel (kernels/ac.h).
 *
 * Behind a FlowManager, each flow carries its automaton state from packet
 * to packet, so a pattern split across TCP segments or IP fragments is
 * found: the flow's FCB slot holds an index into a per-flow state array
 * (in host memory for the cpu, in device memory for a device), records of
 * one flow in a batch are chained and scanned in order by the chain's
 * head.  Indices are handed out per worker and reused only in a later
 * batch than the one that last used them.
 *
 * The add and remove handlers change the set while traffic flows: on the
 * cpu a new DFA is built on the control thread and published with one
 * pointer store (the old one is freed after an RCU grace period; flows
 * start over on the new automaton); on a device the element is rebuilt by a
 * live reconfiguration that takes the set over.  A migration moves the
 * set, the per-flow states and the held packets.
 *
 * Actions other than ALERT need to know, in apply, the state the packet's
 * scan started in: extract marks the packet (an mbuf dynamic field:
 * scanned from the root or not), and the flow's slot
 * keeps the end state of the flow's last applied packet (packets of a flow
 * are applied in order on every placement).  DROP_FLOW sets a flag in the
 * slot.  The editing actions re-scan a matching packet on the host from
 * that start state with the same automaton and bytes (mig_ac_each_match),
 * which gives every match's end; its start is end - the pattern's length.
 * MASK overwrites in place; REMOVE and REPLACE go through the stream's
 * byte-editing API (flow/flow_stream.h), so TCPOut moves sequence numbers.
 * The actions and the ACTION argument are in pm_action.c, the state both
 * files share in pm_int.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>

#include "pm_int.h"

/* Set by extract, read by apply (same packet, same worker): whether the
 * kernel scanned the packet from the root (a fresh flow or automaton, or
 * no flow state), so that apply knows the state its scan started in on
 * every placement.  (The flow's slot is found from the element's slot
 * offset, not from the mark: a packet an ALERT instance held when it was
 * replaced by another action carries no mark, and a wrong `fresh` only
 * misplaces that packet's edits.) */
struct pm_mark {
	uint32_t fresh;
};
static int pm_mark_off = -1;
static inline struct pm_mark *pm_mark(struct rte_mbuf *m) { return RTE_MBUF_DYNFIELD(m, pm_mark_off, struct pm_mark *); }

/* ---- data path ---------------------------------------------------------------- */

/* A state index for a new flow on this worker: never used ones first,
 * then freed ones whose flow had no record in this batch. */
static bool pm_alloc(struct pm_pw *pw, uint64_t batch, uint32_t *idx)
{
	if (pw->next < pw->hi) {
		*idx = pw->next++;
		return true;
	}
	if (pw->rhead != pw->rtail && pw->ring[pw->rhead % pw->rcap].batch < batch) {
		*idx = pw->ring[pw->rhead % pw->rcap].idx;
		pw->rhead++;
		return true;
	}
	pw->nostate++;
	return false;
}

static uint32_t pm_extract(void *ctx, struct el_node *n, struct rte_mbuf *m, const struct mig_off_pos *pos)
{
	const struct pm *s = ctx;
	uint32_t *r = (uint32_t *)pos->recs + 4 * pos->idx;
	const uint8_t *p;
	uint32_t len;
	pm_payload(m, s->payload, &p, &len);
	if (len > PM_BLOB_MAX)
		len = PM_BLOB_MAX;
	memcpy(pos->blob, p, len);
	r[0] = pos->blob_off;
	r[1] = len;
	r[2] = MIG_AC_NOFLOW;
	r[3] = MIG_AC_NOFLOW;
	struct pm_flow *f = flow_slot(n, m);
	struct pm_mark *mk = s->action != PM_ALERT ? pm_mark(m) : NULL;
	if (mk) {
		mk->fresh = 1;
		if (f && f->hstate == PM_HDROP) {
			r[1] = 0;  /* a dropped flow: nothing to scan */
			return 0;
		}
	}
	if (!f)
		return len;
	uint32_t gen = __atomic_load_n(&s->dfa_gen, __ATOMIC_ACQUIRE);
	bool fresh = f->gen != gen;
	if (!f->idx1) {
		uint32_t idx;
		if (!pm_alloc(el_pw(n->e), pos->batch, &idx))
			return len; /* scanned packet by packet */
		f->idx1 = idx + 1;
		f->batch = 0;
		fresh = true;
	}
	f->gen = gen;
	uint32_t idx = f->idx1 - 1;
	if (f->batch == pos->batch) {
		/* an earlier record of this flow in this batch: chain to it */
		((uint32_t *)pos->recs)[4 * f->last + 3] = pos->idx;
		r[2] = idx | MIG_AC_LINKED;
	} else {
		r[2] = idx | (fresh ? MIG_AC_FRESH : 0);
	}
	f->batch = pos->batch;
	f->last = pos->idx;
	if (mk)
		mk->fresh = !(r[2] & MIG_AC_LINKED) && (r[2] & MIG_AC_FRESH);
	return len;
}

/* The cpu kernel: per-flow chains when a record has a flow, else the
 * interleaved stateless scan. */
static void pm_cpu(void *ctx, const void *in, const uint8_t *blob, void *out, uint32_t n)
{
	const struct pm *s = ctx;
	const struct mig_ac_dfa *d = __atomic_load_n(&s->dfa, __ATOMIC_ACQUIRE);
	const uint32_t *r = in;
	for (uint32_t i = 0; i < n; i++)
		if (r[4 * i + 2] != MIG_AC_NOFLOW) {
			mig_ac_flow_records(d, in, blob, out, n, s->st);
			return;
		}
	const uint8_t *p[RT_BATCH_MAX];
	uint32_t len[RT_BATCH_MAX];
	for (uint32_t i = 0; i < n; i += RT_BATCH_MAX) {
		uint32_t k = RT_MIN(n - i, (uint32_t)RT_BATCH_MAX);
		for (uint32_t j = 0; j < k; j++) {
			p[j] = blob + r[4 * (i + j)];
			len[j] = r[4 * (i + j) + 1];
		}
		mig_ac_scan_batch(d, k, p, len, NULL, (struct mig_ac_res *)out + i);
	}
}

/* The automaton and the flows' states on the device. */
static int pm_dev_args(void *ctx, struct mig_dev *dev, struct mig_arg *args, int max, struct rt_err *err)
{
	struct pm *s = ctx;
	int rc;
	if ((rc = mig_dev_open(mig_dev_kind(dev), &s->dev, err)) < 0 ||
	    (rc = mig_ac_dev_load(dev, s->dfa, &s->ddfa, err)) < 0 ||
	    (rc = mig_mem_alloc(dev, s->flow_states * 4, &s->dst, err)) < 0)
		return rc;
	/* zero: every state starts at the root */
	uint32_t *z = calloc(s->flow_states, 4);
	if (!z)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	rc = mig_mem_write(s->dst, 0, z, s->flow_states * 4, err);
	free(z);
	if (rc < 0)
		return rc;
	args[0] = MIG_MEM(s->ddfa);
	args[1] = MIG_MEM(s->dst);
	return 2;
}

static int pm_apply(void *ctx, struct rte_mbuf *m, const void *out)
{
	const struct pm *s = ctx;
	const struct mig_ac_res *res = out;
	struct pm_pw *pw = el_pw(s->e);
	struct pm_flow *f = NULL;
	uint32_t start = 0;
	if (s->action != PM_ALERT) {
		const struct pm_mark *mk = pm_mark(m);
		uint8_t *fcb = rt_anno(m)->flow;
		f = fcb ? (struct pm_flow *)(fcb + FLOW_FCB_HDR + s->e->flow_off) : NULL;
		if (f) {
			if (f->hstate == PM_HDROP) {
				pw->dropped++;
				return -1;
			}
			start = mk->fresh ? 0 : f->hstate;
			f->hstate = res->state;
		}
	}
	pw->matches += res->nmatch;
	if (!res->nmatch)
		return 0;
	pw->count++;
	switch (s->action) {
	case PM_ALERT:
		return s->e->nout > 1 ? 1 : -1;
	case PM_DROP_FLOW:
		if (f) {
			f->hstate = PM_HDROP;
			pw->flows_dropped++;
		}
		pw->dropped++;
		return -1;
	default:
		pm_edit(s, pw, m, start);
		return 0;
	}
}

static const struct mig_off_kernel pm_kernel = {
	.prog = "ac",
	.fn = "ac_scan_flows",
	.in_size = 16,
	.out_size = 16,
	.blob_max = PM_BLOB_MAX,
	.device_state = true,
	.extract = pm_extract,
	.cpu = pm_cpu,
	.args = pm_dev_args,
	.apply = pm_apply,
};

static void pm_push(struct el_node *n, int port, struct rt_batch *b)
{
	mig_off_push(EL_NSTATE(n, struct pm)->off, n, b);
}

static int pm_run(struct el_node *n) { return mig_off_run(EL_NSTATE(n, struct pm)->off, n); }

/* A flow ended (on its worker): its state index can serve another flow in
 * a later batch. */
static void pm_flow_release(struct el *e, void *slot)
{
	struct pm_flow *f = slot;
	if (!f->idx1)
		return;
	struct pm_pw *pw = el_pw(e);
	if (pw->ring && pw->rtail - pw->rhead < pw->rcap) {
		pw->ring[pw->rtail % pw->rcap] = (struct pm_free){ f->idx1 - 1, f->batch };
		pw->rtail++;
	}
	f->idx1 = 0;
}

/* ---- configuration ------------------------------------------------------------ */

static int pm_add(struct el *e, const char *text, const char *where, struct rt_err *err)
{
	struct pm *s = e->state;
	struct el_data d = { NULL, 0 };
	struct rt_err e2;
	rt_err_clear(&e2);
	int rc = el_parse_value(EL_T_DATA, text, &d, &e2);
	if (rc == 0 && !d.len)
		rc = rt_errf(&e2, NULL, -EINVAL, "empty pattern");
	if (rc == 0)
		rc = mig_ac_set_add(&s->set, s->next_id, d.p, d.len, s->nocase ? MIG_AC_NOCASE : 0, &e2);
	free(d.p);
	if (rc < 0)
		return rt_errf(err, &e->loc, rc, "%s: %s: %s", e->name, where, e2.msg);
	s->next_id++;
	return 0;
}

/* One pattern per line, in Click data syntax; blank lines and lines
 * starting with '#' are skipped. */
static int pm_load_file(struct el *e, struct rt_err *err)
{
	struct pm *s = e->state;
	FILE *f = fopen(s->file, "r");
	if (!f)
		return rt_errf(err, &e->loc, -errno, "%s: FILE: cannot open '%s': %s", e->name, s->file, strerror(errno));
	char *line = NULL, where[300];
	size_t cap = 0;
	ssize_t n;
	int rc = 0, lineno = 0;
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = 0;
		const char *t = line + strspn(line, " \t");
		if (!*t || *t == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%d", s->file, lineno);
		rc = pm_add(e, t, where, err);
	}
	free(line);
	fclose(f);
	return rc;
}

/* Build the automaton of the current set and publish it; the previous one
 * is freed once no worker can still be scanning it.  On error nothing
 * changes. */
static int pm_publish(struct el *e, struct rt_err *err)
{
	struct pm *s = e->state;
	struct mig_ac_dfa *d = calloc(1, sizeof(*d)), *old = s->dfa;
	struct rt_err e2;
	rt_err_clear(&e2);
	if (!d)
		return rt_errf(err, &e->loc, -ENOMEM, "%s: out of memory", e->name);
	if (mig_ac_build(&s->set, NULL, d, &e2) < 0) {
		free(d);
		return rt_errf(err, &e->loc, e2.code, "%s: %s", e->name, e2.msg);
	}
	/* pattern lengths by id for the editing actions ([0]: how many ids),
	 * published with the automaton */
	uint32_t *pl = NULL, *oldpl = s->plen;
	if (s->action >= PM_MASK) {
		if (!(pl = calloc(s->next_id + 1, sizeof(*pl)))) {
			mig_ac_dfa_free(d);
			free(d);
			return rt_errf(err, &e->loc, -ENOMEM, "%s: out of memory", e->name);
		}
		pl[0] = s->next_id;
		for (uint32_t i = 0; i < s->set.n; i++)
			if (s->set.pats[i].id < s->next_id)
				pl[1 + s->set.pats[i].id] = s->set.pats[i].len;
		__atomic_store_n(&s->plen, pl, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&s->dfa, d, __ATOMIC_RELEASE);
	if (old)
		__atomic_store_n(&s->dfa_gen, s->dfa_gen + 1, __ATOMIC_RELEASE);
	if (old) {
		struct rte_rcu_qsbr *q = e->router ? rt_router_qsbr(e->router) : NULL;
		if (q)
			rte_rcu_qsbr_check(q, rte_rcu_qsbr_start(q), true);
		mig_ac_dfa_free(old);
		free(old);
	}
	if (pl)
		free(oldpl);
	return 0;
}

static int pm_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct pm *s = e->state;
	s->e = e;
	mig_ac_set_init(&s->set);
	struct mig_off_cfg cfg;
	if (mig_off_args_cfg(&s->a, &cfg, err) < 0)
		return err->code;
	if (s->flow_states < 1 || s->flow_states > MIG_AC_FLOWIDX)
		return rt_errf(err, &e->loc, -EINVAL, "%s: FLOW_STATES must be 1 to %u", e->name, MIG_AC_FLOWIDX);
	if (pm_parse_action(e, err) < 0)
		return err->code;
	/* The running element of this name, if any, is the one this instance
	 * replaces (a migration, a rebuild after add/remove): its set, with
	 * the patterns added since, is the state to keep. */
	struct el *old = e->router ? rt_router_find(e->router, e->name) : NULL;
	if (old && old != e && old->cls == e->cls) {
		struct pm *os = old->state;
		struct rt_buf b;
		rt_buf_init(&b);
		mig_ac_set_serialize(&os->set, &b);
		struct rt_err e2;
		rt_err_clear(&e2);
		int rc = mig_ac_set_deserialize(&s->set, b.p, b.len, &e2);
		rt_buf_free(&b);
		if (rc < 0)
			return rt_errf(err, &e->loc, rc, "%s: %s", e->name, e2.msg);
		s->next_id = os->next_id;
		s->dfa_gen = os->dfa_gen;
		return pm_publish(e, err);
	}
	char where[32];
	for (int i = 0; i < argc; i++) {
		snprintf(where, sizeof(where), "pattern %d", i + 1);
		if (pm_add(e, argv[i], where, err) < 0)
			return err->code;
	}
	if (s->file && pm_load_file(e, err) < 0)
		return err->code;
	if (!s->set.n)
		return rt_errf(err, &e->loc, -EINVAL, "%s: PatternMatch needs at least one pattern (or FILE)", e->name);
	return pm_publish(e, err);
}

static int pm_init(struct el *e, struct rt_err *err)
{
	struct pm *s = e->state;
	s->st = calloc(s->flow_states, 4);
	if (!s->st)
		return rt_errf(err, NULL, -ENOMEM, "out of memory for %llu flow states", (unsigned long long)s->flow_states);
	int nw = e->router ? rt_router_nworkers(e->router) : 1;
	uint32_t per = (uint32_t)(s->flow_states / (uint64_t)(nw < 1 ? 1 : nw));
	for (int w = 0; w < nw; w++) {
		struct pm_pw *pw = el_pw_of(e, (unsigned)w);
		pw->lo = pw->next = (uint32_t)w * per;
		pw->hi = pw->lo + per;
		pw->rcap = per ? per : 1;
		pw->ring = calloc(pw->rcap, sizeof(*pw->ring));
		if (!pw->ring)
			return rt_errf(err, NULL, -ENOMEM, "out of memory");
	}
	if (s->action != PM_ALERT && pm_mark_off < 0) {
		static const struct rte_mbuf_dynfield desc = {
			.name = "mboxsh_patternmatch", .size = sizeof(struct pm_mark), .align = 4 };
		if ((pm_mark_off = rte_mbuf_dynfield_register(&desc)) < 0)
			return rt_errf(err, &e->loc, -rte_errno, "%s: cannot register its mbuf field: %s", e->name,
				       rte_strerror(rte_errno));
	}
	if (s->action == PM_REMOVE || s->action == PM_REPLACE) {
		/* the edits go through the stream: sequence numbers move */
		bool out = pm_tcpout_after(e);
		if (!out || !(s->tcpin = flow_stream_attach(e)))
			return rt_errf(err, &e->loc, -EINVAL,
				       "%s: ACTION %s changes the payload's length: PatternMatch must sit between a "
				       "TCPIn (upstream, through input 0) and a TCPOut (downstream, through output 0)",
				       e->name, pm_action_names[s->action]);
	}
	struct mig_off_cfg cfg;
	mig_off_args_cfg(&s->a, &cfg, err);
	return mig_off_new(e, &pm_kernel, s, &cfg, &s->off, err);
}

static void pm_cleanup(struct el *e)
{
	struct pm *s = e->state;
	mig_off_free(s->off); /* waits for the device's jobs */
	mig_mem_free(s->ddfa);
	mig_mem_free(s->dst);
	mig_dev_close(s->dev);
	free(s->st);
	for (unsigned w = 0; w < RT_MAX_WORKERS; w++)
		free(((struct pm_pw *)el_pw_of(e, w))->ring);
	if (s->dfa)
		mig_ac_dfa_free(s->dfa);
	free(s->dfa);
	mig_ac_set_free(&s->set);
	free(s->plen);
	flow_stream_detach(s->tcpin);
}

/* ---- handlers and state -------------------------------------------------------- */

enum { H_COUNT, H_MATCHES, H_PATTERNS, H_STATES, H_BYTES, H_BUILD, H_LIST, H_NOSTATE, H_DROPPED, H_FLOWS_DROPPED,
       H_EDITED, H_PARTIAL, H_REFUSED, H_NOEDIT, H_ACTION };

static void pm_totals(struct el *e, uint64_t *count, uint64_t *matches)
{
	struct pm *s = e->state;
	*count = el_pw_sum(e, offsetof(struct pm_pw, count)) - s->base_count;
	*matches = el_pw_sum(e, offsetof(struct pm_pw, matches)) - s->base_matches;
}

static int pm_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct pm *s = e->state;
	uint64_t c, m, v = 0;
	pm_totals(e, &c, &m);
	if (what == H_ACTION) {
		rt_buf_puts(out, pm_action_names[s->action]);
		if (s->action == PM_REPLACE) {
			rt_buf_puts(out, " ");
			el_unparse_value(EL_T_DATA, &s->repl, out);
		}
		return 0;
	}
	if (what == H_LIST) {
		for (uint32_t i = 0; i < s->set.n; i++) {
			const struct mig_ac_pat *p = &s->set.pats[i];
			struct el_data d = { p->bytes, p->len };
			rt_buf_printf(out, "%u ", p->id);
			el_unparse_value(EL_T_DATA, &d, out);
			rt_buf_puts(out, p->flags & MIG_AC_NOCASE ? " nocase\n" : "\n");
		}
		return 0;
	}
	switch (what) {
	case H_COUNT: v = c; break;
	case H_MATCHES: v = m; break;
	case H_PATTERNS: v = s->set.n; break;
	case H_STATES: v = s->dfa->nstates; break;
	case H_BYTES: v = mig_ac_dfa_bytes(s->dfa); break;
	case H_BUILD: v = s->dfa->build_ns / 1000; break;
	case H_NOSTATE: v = el_pw_sum(e, offsetof(struct pm_pw, nostate)); break;
	case H_DROPPED: v = el_pw_sum(e, offsetof(struct pm_pw, dropped)); break;
	case H_FLOWS_DROPPED: v = el_pw_sum(e, offsetof(struct pm_pw, flows_dropped)); break;
	case H_EDITED: v = el_pw_sum(e, offsetof(struct pm_pw, edited)); break;
	case H_PARTIAL: v = el_pw_sum(e, offsetof(struct pm_pw, partial)); break;
	case H_REFUSED: v = el_pw_sum(e, offsetof(struct pm_pw, refused)); break;
	case H_NOEDIT: v = el_pw_sum(e, offsetof(struct pm_pw, noedit)); break;
	}
	rt_buf_printf(out, "%llu", (unsigned long long)v);
	return 0;
}

static int pm_reset(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what, (void)v, (void)err;
	struct pm *s = e->state;
	s->base_count = el_pw_sum(e, offsetof(struct pm_pw, count));
	s->base_matches = el_pw_sum(e, offsetof(struct pm_pw, matches));
	return 0;
}

/* A changed set takes effect: on the cpu, a new automaton published in
 * place; on a device, a rebuilt element (a live reconfiguration: the new
 * instance takes the set over and loads its automaton on the device).
 * After a successful rebuild e is gone. */
static int pm_apply_set(struct el *e, struct rt_err *err)
{
	struct pm *s = e->state;
	if (s->off && mig_off_kind(s->off) != MIG_CPU)
		return rt_ctl_reconfigure(e->router, e->name, e->config ? e->config : "", NULL, err);
	return pm_publish(e, err);
}

/* add: one more pattern (data syntax), numbered after the others. */
static int pm_h_add(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what;
	struct pm *s = e->state;
	struct rt_err e2;
	rt_err_clear(&e2);
	if (pm_add(e, v, "add", &e2) < 0)
		return rt_errf(err, NULL, e2.code, "%s", e2.msg);
	if (pm_apply_set(e, err) < 0) {
		mig_ac_set_remove(&s->set, --s->next_id, &e2);
		return err->code;
	}
	return 0;
}

/* remove: the pattern with this id (the list handler shows them). */
static int pm_h_remove(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what;
	struct pm *s = e->state;
	uint64_t id;
	if (el_parse_value(EL_T_UINT, v, &id, err) < 0)
		return err->code;
	uint32_t i = 0;
	while (i < s->set.n && s->set.pats[i].id != id)
		i++;
	if (i == s->set.n)
		return rt_errf(err, NULL, -ENOENT, "%s: no pattern %llu", e->name, (unsigned long long)id);
	if (s->set.n == 1)
		return rt_errf(err, NULL, -EINVAL, "%s: cannot remove the last pattern", e->name);
	/* keep it to put it back if the new automaton cannot be built */
	struct mig_ac_pat keep = s->set.pats[i];
	uint8_t *copy = malloc(keep.len);
	if (!copy)
		return rt_errf(err, NULL, -ENOMEM, "%s: out of memory", e->name);
	memcpy(copy, keep.bytes, keep.len);
	struct rt_err e2;
	rt_err_clear(&e2);
	mig_ac_set_remove(&s->set, keep.id, &e2);
	int rc = pm_apply_set(e, err);
	if (rc < 0)
		mig_ac_set_add(&s->set, keep.id, copy, keep.len, keep.flags, &e2);
	free(copy);
	return rc;
}

/* A replacement keeps the counts of the element it replaces, its held
 * packets and, when the automaton is the same, every flow's state and the
 * state indices (the flows' FCB slots keep pointing at them). */
static int pm_take(struct el *e, struct el *old, struct rt_err *err)
{
	struct pm *s = e->state, *os = old->state;
	uint64_t c, m;
	pm_totals(old, &c, &m);
	s->base_count -= c;
	s->base_matches -= m;
	/* the old placement finishes its batches: its states are final */
	mig_off_take(s->off, os->off);
	bool same = s->flow_states == os->flow_states && s->dfa->set_crc == os->dfa->set_crc &&
		    s->dfa->nstates == os->dfa->nstates;
	s->dfa_gen = same ? os->dfa_gen : os->dfa_gen + 1;
	if (same) {
		uint32_t *tmp = NULL;
		const uint32_t *from = os->st;
		if (os->dst) {
			if (!(tmp = malloc(s->flow_states * 4)) ||
			    mig_mem_read(os->dst, 0, tmp, s->flow_states * 4, err) < 0) {
				free(tmp);
				return err->code ? err->code : rt_errf(err, NULL, -ENOMEM, "out of memory");
			}
			from = tmp;
		}
		int rc = s->dst ? mig_mem_write(s->dst, 0, from, s->flow_states * 4, err) : 0;
		if (!s->dst)
			memcpy(s->st, from, s->flow_states * 4);
		free(tmp);
		if (rc < 0)
			return rc;
	}
	for (unsigned w = 0; w < RT_MAX_WORKERS; w++) {
		struct pm_pw *np = el_pw_of(e, w), *op = el_pw_of(old, w);
		np->count += op->count;
		np->matches += op->matches;
		np->nostate += op->nostate;
		np->dropped += op->dropped;
		np->flows_dropped += op->flows_dropped;
		np->edited += op->edited;
		np->partial += op->partial;
		np->refused += op->refused;
		np->noedit += op->noedit;
		if (same && op->ring && np->ring && np->rcap == op->rcap) {
			/* the allocator moves too: live flows hold its indices */
			struct pm_free *ring = np->ring;
			np->next = op->next, np->rhead = op->rhead, np->rtail = op->rtail;
			np->ring = op->ring;
			op->ring = ring;
		}
	}
	s->base_count = os->base_count;
	s->base_matches = os->base_matches;
	return 0;
}

static const struct el_arg pm_args[] = {
	{"FILE", EL_T_STRING, offsetof(struct pm, file), NULL, 0,
	 "file of more patterns, one per line in data syntax ('#' comments)"},
	{"NOCASE", EL_T_BOOL, offsetof(struct pm, nocase), "false", 0, "ASCII letters match either case"},
	{"PAYLOAD", EL_T_BOOL, offsetof(struct pm, payload), "true", 0,
	 "scan after the IP and TCP/UDP headers when the packet has a network header annotation"},
	{"ACTION", EL_T_STRING, offsetof(struct pm, action_s), "ALERT", 0,
	 "what a match does: ALERT, DROP_FLOW, MASK, REMOVE or REPLACE \"text\""},
	{"REPLACEMENT", EL_T_DATA, offsetof(struct pm, repl), NULL, 0,
	 "REPLACE's text in data syntax (hex escapes), instead of after the word REPLACE"},
	{"MASK_BYTE", EL_T_INT, offsetof(struct pm, mask_byte), "88", 0, "the byte MASK writes (88: 'X')"},
	{"FLOW_STATES", EL_T_UINT, offsetof(struct pm, flow_states), "65536", 0,
	 "flows that can carry a match across packets at once (behind a FlowManager), 4 bytes each"},
	MIG_OFF_ARGS(struct pm, a),
	EL_ARGS_END,
};

static const struct el_handler pm_handlers[] = {
	{"count", pm_read, NULL, H_COUNT, 0, "packets that matched (sent to output 1)"},
	{"matches", pm_read, NULL, H_MATCHES, 0, "pattern occurrences found (every pattern, every position)"},
	{"patterns", pm_read, NULL, H_PATTERNS, 0, "number of patterns"},
	{"states", pm_read, NULL, H_STATES, 0, "states of the automaton"},
	{"bytes", pm_read, NULL, H_BYTES, 0, "size of the automaton's tables in bytes"},
	{"build_us", pm_read, NULL, H_BUILD, 0, "time to compile the automaton, microseconds"},
	{"list", pm_read, NULL, H_LIST, 0, "the patterns, one a line: id, data, and nocase when so"},
	{"add", NULL, pm_h_add, 0, 0, "add a pattern (data syntax) while traffic flows; it gets the next id"},
	{"remove", NULL, pm_h_remove, 0, 0, "remove the pattern with this id while traffic flows"},
	{"reset", NULL, pm_reset, 0, EL_H_BUTTON, "reset count and matches"},
	{"nostate", pm_read, NULL, H_NOSTATE, 0, "flows scanned packet by packet for want of a free state (FLOW_STATES)"},
	{"action", pm_read, NULL, H_ACTION, 0, "the ACTION"},
	{"dropped", pm_read, NULL, H_DROPPED, 0, "DROP_FLOW: packets dropped (the matching ones and the rest of their flows)"},
	{"flows_dropped", pm_read, NULL, H_FLOWS_DROPPED, 0, "DROP_FLOW: flows whose later packets are dropped"},
	{"edited", pm_read, NULL, H_EDITED, 0, "MASK, REMOVE, REPLACE: matched ranges masked, removed or replaced"},
	{"partial", pm_read, NULL, H_PARTIAL, 0,
	 "packets with a match that began in an earlier packet (only this packet's part was edited)"},
	{"refused", pm_read, NULL, H_REFUSED, 0,
	 "REMOVE, REPLACE: edits the stream refused (FS_EDITS unacknowledged edits, tailroom) or past 32 ranges"},
	{"noedit", pm_read, NULL, H_NOEDIT, 0, "REMOVE, REPLACE: matching packets left as they were (no TCP stream)"},
	MIG_OFF_HANDLERS(struct pm, off),
	EL_HANDLERS_END,
};

static struct el_class patternmatch = {
	.name = "PatternMatch",
	.sig = "PatternMatch(PATTERN..., [FILE, NOCASE, PAYLOAD, ACTION, REPLACEMENT, MASK_BYTE, FLOW_STATES, PLACEMENT, BATCH, LATENCY])",
	.summary = "multi-pattern payload matching (Aho-Corasick)",
	.doc = "Scans each packet for every PATTERN at once and sends packets that contain at least one "
	       "to output 1, the others to output 0 (with one output, matching packets are dropped and "
	       "counted). Patterns are Click data strings: quote them (`\"GET /admin\"`) and write bytes "
	       "as hex escapes (`\"\\<90 90 90>\"`); an empty pattern is an error. FILE adds one pattern "
	       "per line. Patterns are numbered from 0 in the order given, then the file's. The add and "
	       "remove handlers change the set while traffic flows (a new automaton is published "
	       "between two batches; a set that cannot be compiled leaves the old one running).\n\n"
	       "With a network header annotation (after CheckIPHeader or MarkIPHeader) only the payload "
	       "is scanned: the bytes after the IPv4 or IPv6 header and, in an unfragmented packet or a "
	       "first fragment, after its TCP or UDP header (PAYLOAD false scans the whole packet). "
	       "Every occurrence counts, overlapping ones included.\n\n"
	       "Behind a FlowManager, each flow carries its automaton state from packet to packet, so a "
	       "pattern split across TCP segments or IP fragments is found (up to FLOW_STATES flows at "
	       "once; more are scanned packet by packet and counted in `nostate`). Without one, each "
	       "packet is scanned on its own.\n\n"
	       "The patterns compile into one DFA with byte classes and flat tables "
	       "(migrate/mig_ac.h). PLACEMENT runs the scan on the cpu, or on an OpenCL or CUDA device "
	       "with the same kernel (packets batched by BATCH and LATENCY, resumed in order); "
	       "`migrate` moves the element with its patterns, its flows' states and its held packets.\n\n"
	       "ACTION says what a match does. ALERT (the default): the above. DROP_FLOW: the matching "
	       "packet is dropped, and behind a FlowManager every later packet of its flow too (counted in "
	       "`dropped`, the flows in `flows_dropped`); without a FlowManager only the matching packet. "
	       "MASK: the matched bytes of the packet are overwritten with MASK_BYTE (default 'X') and the "
	       "packet goes on on output 0; the length is unchanged, so it works with or without TCPIn "
	       "(PatternMatch recomputes the IP and TCP/UDP checksums of a masked packet; not "
	       "in IP fragments, whose transport checksum covers the whole datagram). REMOVE and "
	       "REPLACE \"text\" (or REPLACE with REPLACEMENT in data syntax): the matched bytes are "
	       "removed or replaced through the TCP stream's byte-editing API, so the element must sit "
	       "between a TCPIn and a TCPOut (a configuration error otherwise) and TCPOut rewrites "
	       "sequence and acknowledgement numbers. Overlapping matches are edited as one range (up "
	       "to 32 ranges a packet; more, or an edit the stream refuses, counts in `refused`). "
	       "A match that began in an earlier packet (a signature split across segments) is found "
	       "in the packet where it ends: the bytes already sent are not held back, so only the part "
	       "in this packet is masked, removed or replaced (by the whole text), counted in "
	       "`partial`. The positions come from a re-scan of the matching packet on the host from "
	       "the state its scan started in, so the edits are the same on every placement.",
	.ports = "1/1-2",
	.state_size = sizeof(struct pm),
	.pw_size = sizeof(struct pm_pw),
	.args = pm_args,
	.configure = pm_configure,
	.init = pm_init,
	.cleanup = pm_cleanup,
	.push = pm_push,
	.run = pm_run,
	.take_state = pm_take,
	.flow_size = sizeof(struct pm_flow),
	.flow_release = pm_flow_release,
	.handlers = pm_handlers,
};
EL_REGISTER(patternmatch)
