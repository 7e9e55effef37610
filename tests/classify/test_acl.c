/*
 * test_acl.c - 5-tuple ACL rules and the big classifier (classify/cls_acl.c,
 * cls_gen.c, cls_tm.c): the ClassBench parser and its errors, and the
 * property that every key's result equals a brute-force linear search, over
 * random rule sets with heavy overlap, every combination of wildcard fields,
 * generated acl/fw/ipc sets, live adds and removes (also while another
 * thread looks up), and shadowed/redundant rule detection.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_rcu_qsbr.h>

#include "tu.h"
#include "acl_util.h"

/* ---- parser ------------------------------------------------------------------- */

static void test_parse(void **st)
{
	(void)st;
	struct cls_rule r;
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(cls_rule_parse("@10.1.2.3/24\t192.168.0.1/32\t0 : 65535\t80 : 80\t0x06/0xFF\t0x1000/0x1000\t",
					&r, NULL, &err), 0);
	assert_int_equal(r.src, 0x0a010200u); /* masked */
	assert_int_equal(r.slen, 24);
	assert_int_equal(r.dst, 0xc0a80001u);
	assert_int_equal(r.dport_lo, 80);
	assert_int_equal(r.dport_hi, 80);
	assert_int_equal(r.sport_hi, 65535);
	assert_int_equal(r.proto, 6);
	assert_int_equal(r.proto_mask, 0xff);
	assert_int_equal(r.flags, 0x1000);
	assert_int_equal(r.flags_mask, 0x1000);
	assert_int_equal(r.prio, UINT32_MAX); /* not given */
	assert_int_equal(cls_rule_parse("@0.0.0.0/0 0.0.0.0/0 1:2 3 : 4 0x00/0x00 class 7 prio 9", &r, NULL, &err), 0);
	assert_int_equal(r.cls, 7);
	assert_int_equal(r.prio, 9);
	assert_int_equal(r.flags_mask, 0);
	assert_int_equal(cls_rule_parse("   # comment", &r, NULL, &err), 1);
	assert_int_equal(cls_rule_parse("", &r, NULL, &err), 1);

	/* unparse then parse gives the same rule */
	struct rt_buf b;
	rt_buf_init(&b);
	cls_rule_unparse(&r, &b);
	struct cls_rule r2;
	assert_int_equal(cls_rule_parse(b.p, &r2, NULL, &err), 0);
	assert_memory_equal(&r, &r2, sizeof(r));
	rt_buf_free(&b);
}

static void parse_err(const char *text, const char *want)
{
	struct cls_ruleset s;
	cls_ruleset_init(&s);
	struct rt_err err;
	rt_err_clear(&err);
	int rc = cls_ruleset_parse(&s, text, "rules.cb", &err);
	char buf[700];
	rt_err_str(&err, buf, sizeof(buf));
	if (rc != -EINVAL || strcmp(buf, want))
		fprintf(stderr, "want \"%s\", got %d \"%s\"\n", want, rc, buf);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(buf, want);
	assert_int_equal(s.n, 0); /* nothing half-loaded */
	cls_ruleset_free(&s);
}

static void test_parse_errors(void **st)
{
	(void)st;
	const char *ok = "@1.2.3.4/32 5.6.7.8/32 0 : 65535 80 : 80 0x06/0xFF 0x0000/0x0000\n";
	char t[512];
	snprintf(t, sizeof(t), "%s\n%s@1.2.3/32 5.6.7.8/32 0 : 1 2 : 3 0x06/0xFF\n", ok, ok);
	parse_err(t, "rules.cb:4:2: bad source prefix (A.B.C.D/LEN) at '1.2.3/32'");
	parse_err("@1.2.3.4/33 5.6.7.8/32 0 : 1 2 : 3 0x06/0xFF", "rules.cb:1:2: bad source prefix (A.B.C.D/LEN) at '1.2.3.4/33'");
	parse_err("@1.2.3.4/3 5.6.7.256/32 0 : 1 2 : 3 0x06/0xFF",
		  "rules.cb:1:12: bad destination prefix (A.B.C.D/LEN) at '5.6.7.256/32'");
	parse_err("@1.2.3.4/3 5.6.7.8/32 9 : 1 2 : 3 0x06/0xFF",
		  "rules.cb:1:23: bad source port range (LO : HI) at '9'");
	parse_err("@1.2.3.4/3 5.6.7.8/32 0 : 1 2 : 70000 0x06/0xFF",
		  "rules.cb:1:29: bad destination port range (LO : HI) at '2'");
	parse_err("@1.2.3.4/3 5.6.7.8/32 0 : 1 2 : 3 tcp", "rules.cb:1:35: bad protocol (VALUE/MASK) at 'tcp'");
	parse_err("@1.2.3.4/3 5.6.7.8/32 0 : 1 2 : 3 6/255 1/", "rules.cb:1:41: bad flags (VALUE/MASK) at '1/'");
	parse_err("@1.2.3.4/3 5.6.7.8/32 0 : 1 2 : 3 6/255 0/0 colour 3",
		  "rules.cb:1:45: bad rule end (expected 'class N' or 'prio N') at 'colour'");

	struct cls_ruleset s;
	cls_ruleset_init(&s);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(cls_ruleset_load(&s, "/nonexistent/rules", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/rules"));
}

/* The real ClassBench seeds load as they are. */
static void test_load_classbench(void **st)
{
	(void)st;
	const char *d = getenv("MBOXSH_DATA");
	const char *names[] = {"acl1_1k", "fw1_1k", "ipc1_1k"};
	for (int i = 0; i < 3; i++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/classbench/%s", d ? d : "../../shared/data", names[i]);
		FILE *f = fopen(p, "r");
		if (!f) {
			fprintf(stderr, "skip %s: not present\n", p);
			continue;
		}
		uint32_t lines = 0;
		for (int c; (c = fgetc(f)) != EOF;)
			lines += c == '@';
		fclose(f);
		struct cls_ruleset s;
		cls_ruleset_init(&s);
		struct rt_err err;
		rt_err_clear(&err);
		assert_int_equal(cls_ruleset_load(&s, p, &err), 0);
		assert_int_equal(s.n, lines);
		assert_int_equal(s.r[5].prio, 5);
		cls_ruleset_free(&s);
	}
}

/* ---- lookups against the linear search ------------------------------------------ */

static void check_all(const struct cls_rule *rules, uint32_t n, const struct cls_key *keys, uint32_t nk)
{
	struct cls_acl *a = NULL;
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(cls_acl_build(rules, n, NULL, &a, &err), 0);
	uint32_t *ids = malloc(sizeof(*ids) * nk), *cls = malloc(sizeof(*cls) * nk);
	cls_acl_lookup(a, keys, nk, ids, cls);
	for (uint32_t i = 0; i < nk; i++) {
		uint32_t want = cls_linear_lookup(rules, n, &keys[i]);
		if (ids[i] != want)
			fprintf(stderr, "key %u: got rule %d, linear search says %d (of %u rules)\n", i, (int)ids[i],
				(int)want, n);
		assert_int_equal(ids[i], want);
		assert_int_equal(cls[i], want == CLS_NOMATCH ? CLS_NOMATCH : rules[want].cls);
	}
	free(ids);
	free(cls);
	cls_acl_free(a);
}

static void test_random_sets(void **st)
{
	(void)st;
	const uint32_t sizes[] = {1, 2, 10, 100, 1000, 3000};
	uint32_t nk = 20000;
	struct cls_key *keys = malloc(sizeof(*keys) * nk);
	for (unsigned s = 0; s < RT_ARRAY_SIZE(sizes); s++) {
		for (int round = 0; round < 3; round++) {
			uint32_t n = sizes[s];
			struct cls_rule *rules = malloc(sizeof(*rules) * n);
			for (uint32_t i = 0; i < n; i++)
				/* round 1: shuffled priorities with ties (lower id breaks them) */
				rand_rule(&rules[i], rnd32() % 4 ? 0 : rnd32() % 64, round == 1 ? rnd32() % (n / 2 + 1) : i);
			rand_keys(keys, nk / 2);
			cls_gen_trace(rules, n, nk / 2, 0, s * 7 + (uint64_t)round, keys + nk / 2);
			check_all(rules, n, keys, nk);
			free(rules);
		}
	}
	free(keys);
}

/* Every combination of wildcard fields, alone and mixed with each other. */
static void test_wildcard_combinations(void **st)
{
	(void)st;
	uint32_t nk = 4000, n = 64 * 8;
	struct cls_key *keys = malloc(sizeof(*keys) * nk);
	struct cls_rule *rules = malloc(sizeof(*rules) * n);
	for (unsigned w = 0; w < 64; w++) {
		for (uint32_t i = 0; i < 16; i++)
			rand_rule(&rules[i], w, i);
		rand_keys(keys, nk / 2);
		cls_gen_trace(rules, 16, nk / 2, 0, w, keys + nk / 2);
		check_all(rules, 16, keys, nk);
		for (uint32_t i = 0; i < 8; i++)
			rand_rule(&rules[w * 8 + i], w, w * 8 + i);
	}
	/* all 64 kinds in one set, priorities shuffled */
	for (uint32_t i = 0; i < n; i++)
		rules[i].prio = rnd32() % n;
	rand_keys(keys, nk / 2);
	cls_gen_trace(rules, n, nk / 2, 0, 99, keys + nk / 2);
	check_all(rules, n, keys, nk);
	free(rules);
	free(keys);
}

static void test_generated_shapes(void **st)
{
	(void)st;
	uint32_t nk = 20000;
	struct cls_key *keys = malloc(sizeof(*keys) * nk);
	for (int sh = 0; sh < 3; sh++) {
		for (uint32_t n = 1000; n <= 10000; n *= 10) {
			struct cls_ruleset s;
			cls_ruleset_init(&s);
			cls_gen_rules((enum cls_shape)sh, n, 4, 1, &s);
			assert_int_equal(s.n, n);
			cls_gen_trace(s.r, s.n, nk, 10, 2, keys);
			/* the trace hits rules: most keys match one */
			uint32_t hit = 0;
			for (uint32_t i = 0; i < 1000; i++)
				hit += cls_linear_lookup(s.r, s.n, &keys[i]) != CLS_NOMATCH;
			assert_true(hit > 800);
			check_all(s.r, s.n, keys, n == 1000 ? nk : nk / 4);
			cls_ruleset_free(&s);
		}
	}
	free(keys);
}

/* The real seeds, when present, against the linear search. */
static void test_classbench_seeds(void **st)
{
	(void)st;
	const char *d = getenv("MBOXSH_DATA");
	const char *names[] = {"acl1_10k", "fw1_10k", "ipc1_10k"};
	uint32_t nk = 5000;
	struct cls_key *keys = malloc(sizeof(*keys) * nk);
	for (int i = 0; i < 3; i++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/classbench/%s", d ? d : "../../shared/data", names[i]);
		struct cls_ruleset s;
		cls_ruleset_init(&s);
		struct rt_err err;
		rt_err_clear(&err);
		if (cls_ruleset_load(&s, p, &err) < 0) {
			fprintf(stderr, "skip: %s\n", err.msg);
			continue;
		}
		cls_gen_trace(s.r, s.n, nk, 5, 3, keys);
		check_all(s.r, s.n, keys, nk);
		cls_ruleset_free(&s);
	}
	free(keys);
}

/* ---- live updates ------------------------------------------------------------------ */

/* The live rules as an array for the linear search, with their ids. */
static uint32_t live_set(const struct cls_acl *a, struct cls_rule *out, uint32_t *id_of)
{
	uint32_t n = 0;
	for (uint32_t id = 0; id < cls_acl_id_limit(a); id++) {
		const struct cls_rule *r = cls_acl_rule(a, id);
		if (r) {
			out[n] = *r;
			id_of[n++] = id;
		}
	}
	return n;
}

static void check_live(const struct cls_acl *a, const struct cls_key *keys, uint32_t nk)
{
	uint32_t lim = cls_acl_id_limit(a);
	struct cls_rule *rules = malloc(sizeof(*rules) * (lim + 1));
	uint32_t *id_of = malloc(sizeof(*id_of) * (lim + 1)), *ids = malloc(sizeof(*ids) * nk);
	uint32_t n = live_set(a, rules, id_of);
	cls_acl_lookup(a, keys, nk, ids, NULL);
	for (uint32_t i = 0; i < nk; i++) {
		uint32_t w = cls_linear_lookup(rules, n, &keys[i]);
		assert_int_equal(ids[i], w == CLS_NOMATCH ? CLS_NOMATCH : id_of[w]);
	}
	free(rules);
	free(id_of);
	free(ids);
}

static void test_updates(void **st)
{
	(void)st;
	struct cls_ruleset s;
	cls_ruleset_init(&s);
	cls_gen_rules(CLS_SHAPE_FW, 2000, 3, 5, &s);
	uint32_t nk = 4000;
	struct cls_key *keys = malloc(sizeof(*keys) * nk);
	cls_gen_trace(s.r, s.n, nk, 10, 6, keys);
	struct cls_acl *a = NULL;
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(cls_acl_build(s.r, 1000, NULL, &a, &err), 0);
	check_live(a, keys, nk);
	/* add the other half, checking as we go */
	for (uint32_t i = 1000; i < s.n; i++) {
		uint32_t id;
		assert_int_equal(cls_acl_add(a, &s.r[i], &id, &err), 0);
		assert_int_equal(id, i);
		if (i % 250 == 0)
			check_live(a, keys, nk);
	}
	check_live(a, keys, nk);
	/* remove at random, with errors for unknown ids */
	for (uint32_t k = 0; k < 1500; k++) {
		uint32_t id = rnd32() % s.n;
		int rc = cls_acl_remove(a, id, &err);
		assert_true(rc == 0 || rc == -ENOENT);
		if (k % 300 == 0)
			check_live(a, keys, nk);
	}
	check_live(a, keys, nk);
	rt_err_clear(&err);
	assert_int_equal(cls_acl_remove(a, 999999, &err), -ENOENT);
	assert_string_equal(err.msg, "no rule 999999");
	/* remove all, then add some back: empty tables come and go */
	for (uint32_t id = 0; id < cls_acl_id_limit(a); id++)
		cls_acl_remove(a, id, &err);
	struct cls_acl_stats stats;
	cls_acl_stats(a, &stats);
	assert_int_equal(stats.rules, 0);
	assert_int_equal(stats.tables, 0);
	check_live(a, keys, nk);
	for (uint32_t i = 0; i < 300; i++)
		assert_int_equal(cls_acl_add(a, &s.r[i * 3], NULL, &err), 0);
	check_live(a, keys, nk);
	cls_acl_free(a);
	free(keys);
	cls_ruleset_free(&s);
}

/* A rule covered by a better one of its bucket is not stored, and comes
 * back when that one goes; removing it while hidden forgets it. */
static void test_hidden_rules(void **st)
{
	(void)st;
	struct cls_ruleset s;
	cls_ruleset_init(&s);
	struct rt_err err;
	rt_err_clear(&err);
	const char *text = "@10.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF class 1\n"    /* 0 */
			   "@10.1.0.0/16 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF class 2\n"   /* 1: hidden by 0 */
			   "@10.1.2.0/24 0.0.0.0/0 0 : 65535 80 : 90 0x06/0xFF class 3\n";    /* 2: hidden by 0 */
	assert_int_equal(cls_ruleset_parse(&s, text, "h", &err), 0);
	struct cls_acl *a = NULL;
	assert_int_equal(cls_acl_build(s.r, s.n, NULL, &a, &err), 0);
	struct cls_acl_stats stt;
	cls_acl_stats(a, &stt);
	assert_int_equal(stt.rules, 3);
	assert_int_equal(stt.hidden, 2);
	struct cls_key k = {.src = 0x0a010203, .dst = 1, .sport = 1, .dport = 85, .proto = 6};
	uint32_t id, cls;
	cls_acl_lookup(a, &k, 1, &id, &cls);
	assert_int_equal(id, 0);
	/* 2 and 1 come back (last hidden first: 2 is stored before 1 could hide it) */
	assert_int_equal(cls_acl_remove(a, 0, &err), 0);
	cls_acl_stats(a, &stt);
	assert_int_equal(stt.rules, 2);
	assert_int_equal(stt.hidden, 0);
	cls_acl_lookup(a, &k, 1, &id, &cls);
	assert_int_equal(id, 1);
	assert_int_equal(cls, 2);
	assert_int_equal(cls_acl_remove(a, 1, &err), 0);
	cls_acl_lookup(a, &k, 1, &id, &cls);
	assert_int_equal(id, 2);
	assert_int_equal(cls_acl_add(a, &s.r[0], &id, &err), 0); /* hides nothing already stored */
	assert_int_equal(id, 3);
	assert_int_equal(cls_acl_add(a, &s.r[1], &id, &err), 0); /* hidden behind 3 */
	cls_acl_stats(a, &stt);
	assert_int_equal(stt.hidden, 1);
	assert_int_equal(cls_acl_remove(a, 4, &err), 0); /* while hidden */
	assert_int_equal(cls_acl_remove(a, 3, &err), 0);
	cls_acl_lookup(a, &k, 1, &id, &cls);
	assert_int_equal(id, 2);
	k.dport = 95;
	cls_acl_lookup(a, &k, 1, &id, &cls);
	assert_int_equal(id, CLS_NOMATCH);
	cls_acl_stats(a, &stt);
	assert_int_equal(stt.rules, 1);
	assert_int_equal(stt.hidden, 0);
	cls_acl_free(a);
	cls_ruleset_free(&s);
}

/* A worker looks up while the control thread adds and removes rules: fixed
 * best-priority rules must always win where they match, other results must
 * be rules that match.  Under ASan this also finds any early free. */
struct reader {
	struct cls_acl *a;
	struct rte_rcu_qsbr *q;
	const struct cls_rule *all; /* by id */
	uint32_t nfixed;
	const struct cls_key *keys;
	const uint32_t *fixed_want;
	uint32_t nk;
	volatile bool stop;
	uint64_t lookups, bad;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	rte_rcu_qsbr_thread_register(rd->q, 1);
	rte_rcu_qsbr_thread_online(rd->q, 1);
	uint32_t ids[64];
	while (!rd->stop) {
		for (uint32_t o = 0; o + 64 <= rd->nk; o += 64) {
			cls_acl_lookup(rd->a, rd->keys + o, 64, ids, NULL);
			for (uint32_t i = 0; i < 64; i++) {
				uint32_t w = rd->fixed_want[o + i], id = ids[i];
				if (w != CLS_NOMATCH ? id != w
						     : (id != CLS_NOMATCH && (id < rd->nfixed || !cls_rule_match(&rd->all[id], &rd->keys[o + i]))))
					rd->bad++;
			}
			__atomic_add_fetch(&rd->lookups, 64, __ATOMIC_RELAXED);
			rte_rcu_qsbr_quiescent(rd->q, 1);
		}
	}
	rte_rcu_qsbr_thread_offline(rd->q, 1);
	rte_rcu_qsbr_thread_unregister(rd->q, 1);
	return NULL;
}

static void test_concurrent_updates(void **st)
{
	(void)st;
	tu_eal();
	struct cls_ruleset s;
	cls_ruleset_init(&s);
	uint32_t nfixed = 300, nchurn = 3000;
	cls_gen_rules(CLS_SHAPE_ACL, nfixed + nchurn, 2, 9, &s);
	for (uint32_t i = 0; i < s.n; i++)
		s.r[i].prio = i < nfixed ? i : 1000000 + i;
	size_t qsz = rte_rcu_qsbr_get_memsize(2);
	struct rte_rcu_qsbr *q = aligned_alloc(64, (qsz + 63) & ~(size_t)63);
	assert_int_equal(rte_rcu_qsbr_init(q, 2), 0);
	struct cls_acl *a = NULL;
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(cls_acl_build(s.r, nfixed, q, &a, &err), 0);
	uint32_t nk = 64 * 64;
	struct cls_key *keys = malloc(sizeof(*keys) * nk);
	uint32_t *want = malloc(sizeof(*want) * nk);
	cls_gen_trace(s.r, s.n, nk, 5, 10, keys);
	for (uint32_t i = 0; i < nk; i++)
		want[i] = cls_linear_lookup(s.r, nfixed, &keys[i]);
	/* rules by id: round r's churn rules get ids nfixed + r * nchurn + i */
	struct cls_rule *byid = malloc(sizeof(*byid) * (nfixed + 2 * nchurn));
	memcpy(byid, s.r, sizeof(*byid) * (nfixed + nchurn));
	memcpy(byid + nfixed + nchurn, s.r + nfixed, sizeof(*byid) * nchurn);
	struct reader rd = {a, q, byid, nfixed, keys, want, nk, false, 0, 0};
	pthread_t th;
	pthread_create(&th, NULL, reader_main, &rd);
	/* churn: add every churn rule (ids follow), remove, add again; every
	 * 100 updates wait (bounded) for the reader to have looked up more, so
	 * that updates and lookups overlap however the threads are scheduled */
	uint32_t ops = 0;
	uint64_t seen = 0;
#define WAIT_READER()                                                                                     \
	do {                                                                                              \
		uint64_t t0 = rt_now_ns();                                                                \
		while (__atomic_load_n(&rd.lookups, __ATOMIC_RELAXED) <= seen && rt_now_ns() - t0 < 2000000000ull) \
			sched_yield();                                                                    \
		seen = __atomic_load_n(&rd.lookups, __ATOMIC_RELAXED);                                    \
	} while (0)
	WAIT_READER();
	for (int round = 0; round < 2; round++) {
		uint32_t first = cls_acl_id_limit(a), id;
		assert_int_equal(first, nfixed + (uint32_t)round * nchurn);
		for (uint32_t i = 0; i < nchurn; i++, ops++) {
			assert_int_equal(cls_acl_add(a, &s.r[nfixed + i], &id, &err), 0);
			assert_int_equal(id, first + i);
			if (ops % 100 == 0)
				WAIT_READER();
		}
		for (uint32_t i = 0; i < nchurn; i++, ops++) {
			assert_int_equal(cls_acl_remove(a, first + i, &err), 0);
			if (ops % 100 == 0)
				WAIT_READER();
		}
	}
	rd.stop = true;
	pthread_join(th, NULL);
	fprintf(stderr, "%u updates during %llu lookups\n", ops, (unsigned long long)rd.lookups);
	assert_int_equal(rd.bad, 0);
	assert_true(rd.lookups > 0);
	cls_acl_free(a);
	free(q);
	free(keys);
	free(want);
	free(byid);
	cls_ruleset_free(&s);
}

/* ---- shadowed and redundant rules ---------------------------------------------------- */

static void test_unreachable(void **st)
{
	(void)st;
	struct cls_ruleset s;
	cls_ruleset_init(&s);
	struct rt_err err;
	rt_err_clear(&err);
	const char *text = "@10.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 class 1\n"  /* 0 */
			   "@10.1.0.0/16 1.2.3.4/32 0 : 65535 80 : 80 0x06/0xFF class 2\n"   /* 1: shadowed by 0 */
			   "@11.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 1000 0x06/0xFF class 3\n"    /* 2: redundant (by 3) */
			   "@11.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 2000 0x00/0x00 class 3\n"    /* 3 */
			   "@12.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 1000 0x06/0xFF class 4\n"    /* 4: not redundant */
			   "@12.0.0.0/8 0.0.0.0/0 0 : 65535 900 : 1100 0x06/0xFF class 5\n" /* 5: overlaps 4, other class */
			   "@12.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 2000 0x00/0x00 class 4\n"    /* 6 */
			   "@10.0.0.0/7 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 class 9\n";  /* 7: overlaps, not covered */
	assert_int_equal(cls_ruleset_parse(&s, text, "u", &err), 0);
	uint32_t sh[8], rd[8];
	uint32_t cnt = cls_rules_unreachable(s.r, s.n, sh, rd);
	for (int i = 0; i < 8; i++)
		if (sh[i] != CLS_NOMATCH || rd[i] != CLS_NOMATCH)
			fprintf(stderr, "rule %d: shadowed by %d, redundant by %d\n", i, (int)sh[i], (int)rd[i]);
	assert_int_equal(cnt, 2);
	uint32_t want_sh[8] = {CLS_NOMATCH, 0, CLS_NOMATCH, CLS_NOMATCH, CLS_NOMATCH, CLS_NOMATCH, CLS_NOMATCH, CLS_NOMATCH};
	uint32_t want_rd[8] = {CLS_NOMATCH, CLS_NOMATCH, 3, CLS_NOMATCH, CLS_NOMATCH, CLS_NOMATCH, CLS_NOMATCH, CLS_NOMATCH};
	assert_memory_equal(sh, want_sh, sizeof(sh));
	assert_memory_equal(rd, want_rd, sizeof(rd));
	cls_ruleset_free(&s);
}

/* Property: dropping every shadowed and redundant rule changes no key's
 * class; shadowed rules never come out of a lookup. */
static void test_unreachable_property(void **st)
{
	(void)st;
	uint32_t nk = 20000, tot_sh = 0, tot_rd = 0;
	struct cls_key *keys = malloc(sizeof(*keys) * nk);
	for (int round = 0; round < 6; round++) {
		uint32_t n = 400;
		struct cls_rule *rules = malloc(sizeof(*rules) * n), *kept = malloc(sizeof(*kept) * n);
		for (uint32_t i = 0; i < n; i++) {
			rand_rule(&rules[i], rnd32() % 64, round % 2 ? rnd32() % 100 : i);
			rules[i].cls %= 2;
		}
		uint32_t *sh = malloc(sizeof(*sh) * n), *rd = malloc(sizeof(*rd) * n);
		uint32_t cnt = cls_rules_unreachable(rules, n, sh, rd), nkept = 0, nsh = 0;
		for (uint32_t i = 0; i < n; i++) {
			nsh += sh[i] != CLS_NOMATCH;
			if (sh[i] == CLS_NOMATCH && rd[i] == CLS_NOMATCH)
				kept[nkept++] = rules[i];
		}
		assert_int_equal(n - nkept, cnt);
		tot_sh += nsh;
		tot_rd += cnt - nsh;
		rand_keys(keys, nk / 2);
		cls_gen_trace(rules, n, nk / 2, 0, 40 + (uint64_t)round, keys + nk / 2);
		for (uint32_t i = 0; i < nk; i++) {
			uint32_t a = cls_linear_lookup(rules, n, &keys[i]), b = cls_linear_lookup(kept, nkept, &keys[i]);
			assert_int_equal(a == CLS_NOMATCH ? CLS_NOMATCH : rules[a].cls,
					 b == CLS_NOMATCH ? CLS_NOMATCH : kept[b].cls);
			if (a != CLS_NOMATCH)
				assert_int_equal(sh[a], CLS_NOMATCH);
		}
		free(rules);
		free(kept);
		free(sh);
		free(rd);
	}
	fprintf(stderr, "%u shadowed, %u redundant of 2400 rules\n", tot_sh, tot_rd);
	assert_true(tot_sh > 0 && tot_rd > 0); /* the small value space makes both */
	free(keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_load_classbench),
		cmocka_unit_test(test_random_sets),
		cmocka_unit_test(test_wildcard_combinations),
		cmocka_unit_test(test_generated_shapes),
		cmocka_unit_test(test_classbench_seeds),
		cmocka_unit_test(test_updates),
		cmocka_unit_test(test_hidden_rules),
		cmocka_unit_test(test_concurrent_updates),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_unreachable_property),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
