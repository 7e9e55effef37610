/*
 * PatternMatch - multi-pattern payload matching (Aho-Corasick): packets
 * whose payload contains any of the patterns leave on output 1.
 *
 * The patterns become a canonical set (migrate/mig_ac.h) compiled into one
 * DFA when the element is configured; the data path scans a whole batch
 * with pm_scan_batch (the cpu placement of kernels/ac.h), which the offload
 * engine can call, or replace by the opencl/cuda entry points, as it is.
 * The add and remove handlers change the set while traffic flows: a new
 * DFA is built on the control thread and published with one pointer store;
 * the old one is freed after an RCU grace period.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_rcu_qsbr.h>

#include "../../runtime/el.h"
#include "../../runtime/router.h"
#include "../../migrate/mig_ac.h"

struct pm {
	/* arguments */
	char *file;
	bool nocase, payload;
	/* the canonical set and its automaton */
	struct mig_ac_set set;
	struct mig_ac_dfa *dfa;   /* published: workers load it once a batch */
	uint32_t next_id;
	uint64_t base_count, base_matches;
};

struct pm_pw {
	uint64_t count, matches;
};

/* ---- data path ---------------------------------------------------------------- */

/* The bytes to scan: after the IPv4/IPv6 header and, in a first (or only)
 * fragment, after the TCP or UDP header, when the packet has a network
 * header annotation; else the whole packet.  Ethernet padding past the IP
 * total length is not scanned. */
static inline void pm_payload(struct rte_mbuf *m, bool skip, const uint8_t **pp, uint32_t *plen)
{
	const uint8_t *d = rt_data(m), *end = d + rt_len(m), *p = d;
	if (skip && rt_has_nh(m)) {
		const uint8_t *ip = rt_nh(m);
		uint8_t proto = 0;
		bool first = true;
		if (ip >= d && ip + 20 <= end && ip[0] >> 4 == 4) {
			uint32_t hl = (ip[0] & 15u) * 4, tot = (uint32_t)ip[2] << 8 | ip[3];
			if (tot >= hl && ip + tot <= end)
				end = ip + tot;
			p = ip + hl;
			proto = ip[9];
			first = !(((ip[6] & 0x1fu) << 8) | ip[7]);
		} else if (ip >= d && ip + 40 <= end && ip[0] >> 4 == 6) {
			uint32_t plen = (uint32_t)ip[4] << 8 | ip[5];
			if (ip + 40 + plen <= end)
				end = ip + 40 + plen;
			p = ip + 40;
			proto = ip[6];
		}
		if (first && proto == 6 && p + 20 <= end)
			p += (p[12] >> 4) * 4u;
		else if (first && proto == 17 && p + 8 <= end)
			p += 8;
		if (p > end)
			p = end;
	}
	*pp = p;
	*plen = (uint32_t)(end - p);
}

/* Scan the payloads of n packets from the initial state: res[i] for packet
 * i.  The cpu placement's whole kernel (a flow-aware caller passes its
 * flows' states to mig_ac_scan_batch instead of NULL). */
static void pm_scan_batch(const struct mig_ac_dfa *dfa, bool skip, struct rte_mbuf **pkts, uint32_t n,
		   struct mig_ac_res *res)
{
	const uint8_t *p[RT_BATCH_MAX];
	uint32_t len[RT_BATCH_MAX];
	for (uint32_t i = 0; i < n; i += RT_BATCH_MAX) {
		uint32_t k = RT_MIN(n - i, RT_BATCH_MAX);
		for (uint32_t j = 0; j < k; j++) {
			if (j + 1 < k)
				rte_prefetch0(rt_data(pkts[i + j + 1]));
			pm_payload(pkts[i + j], skip, &p[j], &len[j]);
		}
		mig_ac_scan_batch(dfa, k, p, len, NULL, res + i);
	}
}

static void pm_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct pm *s = n->state;
	struct mig_ac_res res[RT_BATCH_MAX];
	pm_scan_batch(__atomic_load_n(&s->dfa, __ATOMIC_ACQUIRE), s->payload, b->pkts, b->n, res);
	struct el_split sp;
	el_split_init(&sp);
	uint64_t matches = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		matches += res[i].nmatch;
		rt_batch_add(&sp.out[res[i].nmatch != 0], b->pkts[i]);
	}
	struct pm_pw *pw = el_pw(n->e);
	pw->count += sp.out[1].n;
	pw->matches += matches;
	b->n = 0;
	el_split_flush(n, &sp);
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
	__atomic_store_n(&s->dfa, d, __ATOMIC_RELEASE);
	if (old) {
		struct rte_rcu_qsbr *q = e->router ? rt_router_qsbr(e->router) : NULL;
		if (q)
			rte_rcu_qsbr_check(q, rte_rcu_qsbr_start(q), true);
		mig_ac_dfa_free(old);
		free(old);
	}
	return 0;
}

static int pm_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct pm *s = e->state;
	mig_ac_set_init(&s->set);
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

static void pm_cleanup(struct el *e)
{
	struct pm *s = e->state;
	if (s->dfa)
		mig_ac_dfa_free(s->dfa);
	free(s->dfa);
	mig_ac_set_free(&s->set);
}

/* ---- handlers and state -------------------------------------------------------- */

enum { H_COUNT, H_MATCHES, H_PATTERNS, H_STATES, H_BYTES, H_BUILD, H_LIST };

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

/* add: one more pattern (data syntax), numbered after the others. */
static int pm_h_add(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what;
	struct pm *s = e->state;
	struct rt_err e2;
	rt_err_clear(&e2);
	if (pm_add(e, v, "add", &e2) < 0)
		return rt_errf(err, NULL, e2.code, "%s", e2.msg);
	if (pm_publish(e, err) < 0) {
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
	int rc = pm_publish(e, err);
	if (rc < 0)
		mig_ac_set_add(&s->set, keep.id, copy, keep.len, keep.flags, &e2);
	free(copy);
	return rc;
}

/* A replacement keeps the counts of the element it replaces. */
static int pm_take(struct el *e, struct el *old, struct rt_err *err)
{
	(void)err;
	struct pm *s = e->state;
	uint64_t c, m;
	pm_totals(old, &c, &m);
	s->base_count -= c;
	s->base_matches -= m;
	return 0;
}

static const struct el_arg pm_args[] = {
	{"FILE", EL_T_STRING, offsetof(struct pm, file), NULL, 0,
	 "file of more patterns, one per line in data syntax ('#' comments)"},
	{"NOCASE", EL_T_BOOL, offsetof(struct pm, nocase), "false", 0, "ASCII letters match either case"},
	{"PAYLOAD", EL_T_BOOL, offsetof(struct pm, payload), "true", 0,
	 "scan after the IP and TCP/UDP headers when the packet has a network header annotation"},
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
	EL_HANDLERS_END,
};

static struct el_class patternmatch = {
	.name = "PatternMatch",
	.sig = "PatternMatch(PATTERN..., [FILE, NOCASE, PAYLOAD])",
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
	       "The patterns compile into one DFA with byte classes and flat tables "
	       "(migrate/mig_ac.h), the same tables the opencl and cuda placements load; a scan can "
	       "resume from a saved state, which is how a flow carries a match across packets.",
	.ports = "1/1-2",
	.state_size = sizeof(struct pm),
	.pw_size = sizeof(struct pm_pw),
	.args = pm_args,
	.configure = pm_configure,
	.cleanup = pm_cleanup,
	.push = pm_push,
	.take_state = pm_take,
	.handlers = pm_handlers,
};
EL_REGISTER(patternmatch)
