/*
 * test_ac.c - the multi-pattern matcher (migrate/mig_ac.h): random pattern
 * sets and texts against a brute-force matcher (overlaps, prefixes and
 * suffixes of other patterns, case folding, binary bytes), state carried
 * across split buffers, the canonical set's serialised form, the opencl and
 * cuda placements against the cpu one, and the PatternMatch element.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tu.h"
#include "migrate/mig_ac.h"

/* ---- helpers ---------------------------------------------------------------- */

static uint64_t rng_state;
static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}

struct match {
	uint64_t end;
	uint32_t id;
};

struct mlist {
	struct match *m;
	size_t n, cap;
};

static void ml_add(void *ctx, uint64_t end, uint32_t id)
{
	struct mlist *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->m = realloc(l->m, l->cap * sizeof(*l->m));
	}
	l->m[l->n++] = (struct match){ end, id };
}

static int fold(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Every (end, id), ends ascending then ids ascending, as mig_ac_each_match
 * reports them. */
static void brute(const struct mig_ac_set *s, const uint8_t *t, size_t len, struct mlist *out)
{
	uint32_t *ids = malloc((s->n + 1) * sizeof(uint32_t));
	for (size_t e = 1; e <= len; e++) {
		uint32_t k = 0;
		for (uint32_t i = 0; i < s->n; i++) {
			const struct mig_ac_pat *p = &s->pats[i];
			if (p->len > e)
				continue;
			const uint8_t *x = t + e - p->len;
			uint32_t j = 0;
			if (p->flags & MIG_AC_NOCASE)
				while (j < p->len && fold(x[j]) == fold(p->bytes[j]))
					j++;
			else
				while (j < p->len && x[j] == p->bytes[j])
					j++;
			if (j == p->len)
				ids[k++] = p->id;
		}
		for (uint32_t a = 1; a < k; a++) /* insertion sort: few per position */
			for (uint32_t b = a; b && ids[b - 1] > ids[b]; b--) {
				uint32_t tmp = ids[b];
				ids[b] = ids[b - 1];
				ids[b - 1] = tmp;
			}
		for (uint32_t a = 0; a < k; a++)
			ml_add(out, e, ids[a]);
	}
	free(ids);
}

static void build_ok(const struct mig_ac_set *s, struct mig_ac_dfa *d)
{
	struct rt_err err;
	rt_err_clear(&err);
	int rc = mig_ac_build(s, NULL, d, &err);
	if (rc < 0)
		fail_msg("build: %s", err.msg);
}

static void add_ok(struct mig_ac_set *s, uint32_t id, const void *p, size_t len, uint32_t flags)
{
	struct rt_err err;
	rt_err_clear(&err);
	if (mig_ac_set_add(s, id, p, len, flags, &err) < 0)
		fail_msg("add: %s", err.msg);
}

/* A random set: `alpha` letters to draw from (NULL: any byte), some
 * patterns made prefixes or suffixes of earlier ones, some case-insensitive. */
static void random_set(struct mig_ac_set *s, int n, const char *alpha, int maxlen, bool nocase)
{
	uint8_t buf[64];
	size_t na = alpha ? strlen(alpha) : 256;
	for (int i = 0; i < n; i++) {
		uint32_t len = 1 + rnd() % (uint32_t)maxlen;
		int how = (int)(rnd() % 4);
		if (how == 1 && s->n) { /* prefix of an earlier pattern */
			const struct mig_ac_pat *p = &s->pats[rnd() % s->n];
			len = 1 + rnd() % p->len;
			memcpy(buf, p->bytes, len);
		} else if (how == 2 && s->n) { /* suffix */
			const struct mig_ac_pat *p = &s->pats[rnd() % s->n];
			len = 1 + rnd() % p->len;
			memcpy(buf, p->bytes + p->len - len, len);
		} else {
			for (uint32_t k = 0; k < len; k++)
				buf[k] = alpha ? (uint8_t)alpha[rnd() % na] : (uint8_t)rnd();
		}
		uint32_t flags = nocase && rnd() % 2 ? MIG_AC_NOCASE : 0;
		add_ok(s, 1000 + (uint32_t)i * 7, buf, len, flags); /* ids not in order of index */
	}
}

static void random_text(uint8_t *t, size_t len, const struct mig_ac_set *s, const char *alpha)
{
	size_t na = alpha ? strlen(alpha) : 256;
	for (size_t i = 0; i < len; i++)
		t[i] = alpha ? (uint8_t)alpha[rnd() % na] : (uint8_t)rnd();
	/* plant some patterns, so binary texts match too */
	for (int k = 0; k < 8 && len; k++) {
		const struct mig_ac_pat *p = &s->pats[rnd() % s->n];
		if (p->len <= len)
			memcpy(t + rnd() % (len - p->len + 1), p->bytes, p->len);
	}
}

/* The DFA's matches, count and first match equal the brute force's. */
static void check_text(const struct mig_ac_set *s, const struct mig_ac_dfa *d, const uint8_t *t, size_t len)
{
	struct mlist want = { 0 }, got = { 0 };
	brute(s, t, len, &want);
	uint32_t end = mig_ac_each_match(d, 0, t, len, ml_add, &got);
	assert_int_equal(got.n, want.n);
	for (size_t i = 0; i < want.n; i++) {
		assert_int_equal(got.m[i].end, want.m[i].end);
		assert_int_equal(got.m[i].id, want.m[i].id);
	}
	struct mig_ac_res r = mig_ac_scan1(d, 0, t, (uint32_t)len);
	assert_int_equal(r.nmatch, want.n);
	assert_int_equal(r.state, end);
	assert_int_equal(r.first_id, want.n ? want.m[0].id : MIG_AC_NONE);
	assert_int_equal(r.first_end, want.n ? want.m[0].end : 0);
	free(want.m);
	free(got.m);
}

/* ---- the automaton against brute force ------------------------------------------ */

static void run_random(uint64_t seed, int npat, const char *alpha, int maxlen, bool nocase, int ntexts)
{
	rng_state = seed;
	struct mig_ac_set s;
	mig_ac_set_init(&s);
	random_set(&s, npat, alpha, maxlen, nocase);
	struct mig_ac_dfa d;
	build_ok(&s, &d);
	assert_true(d.nstates >= 2);
	uint8_t t[3000];
	for (int k = 0; k < ntexts; k++) {
		size_t len = rnd() % sizeof(t);
		random_text(t, len, &s, alpha);
		check_text(&s, &d, t, len);
	}
	mig_ac_dfa_free(&d);
	mig_ac_set_free(&s);
}

static void test_random_small_alphabet(void **st)
{
	(void)st;
	for (uint64_t seed = 1; seed <= 30; seed++)
		run_random(seed, 1 + (int)(seed % 40), "ab", 6, false, 20);
}

static void test_random_mixed_case(void **st)
{
	(void)st;
	/* case-sensitive and case-insensitive patterns over overlapping letters:
	 * the classes of a letter's two cases split, the subset construction
	 * must stay exact */
	for (uint64_t seed = 100; seed < 140; seed++)
		run_random(seed, 1 + (int)(seed % 30), "aAbBc.", 7, true, 20);
}

static void test_random_binary(void **st)
{
	(void)st;
	for (uint64_t seed = 200; seed < 215; seed++)
		run_random(seed, 50 + (int)(seed % 200), NULL, 12, seed % 2, 15);
}

static void test_random_large_set(void **st)
{
	(void)st;
	/* thousands of patterns over printable bytes: a hundred classes,
	 * tens of thousands of states */
	static char printable[96];
	for (int i = 0; i < 95; i++)
		printable[i] = (char)(32 + i);
	run_random(300, 3000, printable, 12, true, 6);
}

static void test_overlaps_and_nesting(void **st)
{
	(void)st;
	struct mig_ac_set s;
	mig_ac_set_init(&s);
	add_ok(&s, 5, "he", 2, 0);
	add_ok(&s, 3, "she", 3, 0);
	add_ok(&s, 9, "his", 3, 0);
	add_ok(&s, 1, "hers", 4, 0);
	add_ok(&s, 4, "e", 1, 0);
	add_ok(&s, 2, "HE", 2, MIG_AC_NOCASE);
	struct mig_ac_dfa d;
	build_ok(&s, &d);
	struct mlist got = { 0 };
	mig_ac_each_match(&d, 0, "ushers", 6, ml_add, &got);
	/* "she" (3) and "he" (5, and 2 case-folded) and "e" (4) end at 4, "hers" at 6 */
	struct match want[] = { { 4, 2 }, { 4, 3 }, { 4, 4 }, { 4, 5 }, { 6, 1 } };
	assert_int_equal(got.n, RT_ARRAY_SIZE(want));
	for (size_t i = 0; i < got.n; i++) {
		assert_int_equal(got.m[i].end, want[i].end);
		assert_int_equal(got.m[i].id, want[i].id);
	}
	struct mig_ac_res r = mig_ac_scan1(&d, 0, "uSHErs", 6);
	assert_int_equal(r.nmatch, 1); /* only the case-insensitive "HE" */
	assert_int_equal(r.first_id, 2);
	assert_int_equal(r.first_end, 4);
	r = mig_ac_scan1(&d, 0, "xyz", 3);
	assert_int_equal(r.nmatch, 0);
	assert_int_equal(r.first_id, MIG_AC_NONE);
	free(got.m);
	mig_ac_dfa_free(&d);
	mig_ac_set_free(&s);
}

static void test_byte_classes(void **st)
{
	(void)st;
	struct mig_ac_set s;
	mig_ac_set_init(&s);
	add_ok(&s, 0, "abba", 4, 0);
	struct mig_ac_dfa d;
	build_ok(&s, &d);
	/* 'a', 'b' and every other byte: three classes, five states */
	assert_int_equal(d.ncls, 3);
	assert_int_equal(d.nstates, 5);
	assert_int_equal(d.first_out, 4);
	assert_int_equal(mig_ac_dfa_bytes(&d), (16 + 64 + 5 * 3 + 1 + 1 + 1) * 4);
	mig_ac_dfa_free(&d);
	mig_ac_set_free(&s);

	mig_ac_set_init(&s);
	add_ok(&s, 0, "ab", 2, MIG_AC_NOCASE); /* a/A and b/B share classes */
	build_ok(&s, &d);
	assert_int_equal(d.ncls, 3);
	mig_ac_dfa_free(&d);
	add_ok(&s, 1, "A", 1, 0); /* now 'A' is told apart from 'a' */
	build_ok(&s, &d);
	assert_int_equal(d.ncls, 4);
	assert_int_equal(mig_ac_scan1(&d, 0, "Ab", 2).nmatch, 2);
	assert_int_equal(mig_ac_scan1(&d, 0, "aB", 2).nmatch, 1);
	mig_ac_dfa_free(&d);
	mig_ac_set_free(&s);
}

/* ---- state carried across buffers ------------------------------------------------ */

static void test_split_buffers(void **st)
{
	(void)st;
	rng_state = 77;
	struct mig_ac_set s;
	mig_ac_set_init(&s);
	random_set(&s, 60, "abcAB", 8, true);
	struct mig_ac_dfa d;
	build_ok(&s, &d);
	uint8_t t[2000];
	for (int k = 0; k < 200; k++) {
		size_t len = 1 + rnd() % sizeof(t);
		random_text(t, len, &s, "abcAB");
		struct mig_ac_res whole = mig_ac_scan1(&d, 0, t, (uint32_t)len);
		/* cut into 1..8 pieces, some of them empty or one byte long */
		uint32_t state = 0, total = 0, first_id = MIG_AC_NONE, first_end = 0, at = 0;
		int pieces = 1 + (int)(rnd() % 8);
		for (int p = 0; p < pieces; p++) {
			uint32_t n = p == pieces - 1 ? (uint32_t)len - at : rnd() % ((uint32_t)len - at + 1);
			struct mig_ac_res r = mig_ac_scan1(&d, state, t + at, n);
			total += r.nmatch;
			if (first_id == MIG_AC_NONE && r.first_id != MIG_AC_NONE) {
				first_id = r.first_id;
				first_end = at + r.first_end;
			}
			state = r.state;
			at += n;
		}
		assert_int_equal(at, len);
		assert_int_equal(state, whole.state);
		assert_int_equal(total, whole.nmatch);
		assert_int_equal(first_id, whole.first_id);
		assert_int_equal(first_end, whole.first_end);
	}
	/* a signature split after its first byte still matches */
	struct mig_ac_res a = mig_ac_scan1(&d, 0, s.pats[0].bytes, 1);
	struct mig_ac_res b = mig_ac_scan1(&d, a.state, s.pats[0].bytes + 1, s.pats[0].len - 1);
	assert_true(a.nmatch + b.nmatch >= 1);
	mig_ac_dfa_free(&d);
	mig_ac_set_free(&s);
}

static void test_batch(void **st)
{
	(void)st;
	struct mig_ac_set s;
	mig_ac_set_init(&s);
	add_ok(&s, 7, "attack", 6, 0);
	add_ok(&s, 8, "tack", 4, 0);
	struct mig_ac_dfa d;
	build_ok(&s, &d);
	const uint8_t *p[3] = { (const uint8_t *)"an attack", (const uint8_t *)"ta", (const uint8_t *)"ck!" };
	uint32_t len[3] = { 9, 2, 3 };
	struct mig_ac_res r[3];
	mig_ac_scan_batch(&d, 3, p, len, NULL, r);
	assert_int_equal(r[0].nmatch, 2);
	assert_int_equal(r[0].first_id, 7);
	assert_int_equal(r[0].first_end, 9);
	assert_int_equal(r[1].nmatch, 0);
	/* the offload engine's records: the same results */
	uint32_t rec[3 * 4] = { 0, 9, 0, 0, 9, 2, 0, 0, 11, 3, 0, 0 };
	struct mig_ac_res rr[3];
	mig_ac_scan_records(&d, rec, (const uint8_t *)"an attacktack!", rr, 3);
	assert_memory_equal(rr, r, sizeof(r));
	/* the third buffer continues the second: "ta" + "ck" = "tack" */
	uint32_t state[3] = { 0, 0, r[1].state };
	mig_ac_scan_batch(&d, 3, p, len, state, r);
	assert_int_equal(r[2].nmatch, 1);
	assert_int_equal(r[2].first_id, 8);
	assert_int_equal(r[2].first_end, 2);
	mig_ac_dfa_free(&d);
	mig_ac_set_free(&s);
}

/* The interleaved batch scan gives what one scan per buffer gives, for
 * batches of every size, empty buffers and start states included. */
static void test_batch_interleaved(void **st)
{
	(void)st;
	rng_state = 4242;
	struct mig_ac_set s;
	mig_ac_set_init(&s);
	random_set(&s, 80, "abcdAB", 6, true);
	struct mig_ac_dfa d;
	build_ok(&s, &d);
	enum { N = 100 };
	static uint8_t text[N][600];
	const uint8_t *p[N];
	uint32_t len[N], state[N];
	struct mig_ac_res res[N];
	for (int round = 0; round < 40; round++) {
		uint32_t n = rnd() % N + 1;
		for (uint32_t i = 0; i < n; i++) {
			len[i] = rnd() % 4 == 0 ? rnd() % 3 : rnd() % sizeof(text[i]);
			random_text(text[i], len[i], &s, "abcdAB");
			p[i] = text[i];
			state[i] = rnd() % d.nstates;
		}
		mig_ac_scan_batch(&d, n, p, len, round % 2 ? state : NULL, res);
		for (uint32_t i = 0; i < n; i++) {
			struct mig_ac_res one = mig_ac_scan1(&d, round % 2 ? state[i] : 0, p[i], len[i]);
			assert_int_equal(res[i].state, one.state);
			assert_int_equal(res[i].nmatch, one.nmatch);
			assert_int_equal(res[i].first_id, one.first_id);
			assert_int_equal(res[i].first_end, one.first_end);
		}
	}
	mig_ac_dfa_free(&d);
	mig_ac_set_free(&s);
}

/* ---- the canonical set ------------------------------------------------------------ */

static void test_set_errors(void **st)
{
	(void)st;
	struct mig_ac_set s;
	mig_ac_set_init(&s);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(mig_ac_set_add(&s, 1, "", 0, 0, &err), -EINVAL);
	assert_string_equal(err.msg, "pattern 1 is empty");
	rt_err_clear(&err);
	assert_int_equal(mig_ac_set_add(&s, MIG_AC_NONE, "x", 1, 0, &err), -EINVAL);
	assert_string_equal(err.msg, "pattern id 4294967295 is reserved");
	rt_err_clear(&err);
	assert_int_equal(mig_ac_set_add(&s, 1, "x", 1, 8, &err), -EINVAL);
	assert_string_equal(err.msg, "pattern 1: unknown flags 0x8");
	add_ok(&s, 1, "x", 1, 0);
	rt_err_clear(&err);
	assert_int_equal(mig_ac_set_add(&s, 1, "y", 1, 0, &err), -EEXIST);
	assert_string_equal(err.msg, "pattern id 1 given twice");
	assert_int_equal(s.n, 1);
	/* removal: unknown ids refused, the id free again afterwards */
	add_ok(&s, 2, "zz", 2, 0);
	uint32_t gen = s.gen;
	rt_err_clear(&err);
	assert_int_equal(mig_ac_set_remove(&s, 7, &err), -ENOENT);
	assert_string_equal(err.msg, "no pattern 7");
	assert_int_equal(mig_ac_set_remove(&s, 1, &err), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.total_len, 2);
	assert_true(s.gen != gen);
	assert_int_equal(s.pats[0].id, 2);
	add_ok(&s, 1, "y", 1, 0);
	rt_err_clear(&err);
	assert_int_equal(mig_ac_set_add(&s, 2, "q", 1, 0, &err), -EEXIST);
	mig_ac_set_free(&s);

	struct mig_ac_dfa d;
	rt_err_clear(&err);
	assert_int_equal(mig_ac_build(&s, NULL, &d, &err), -EINVAL);
	assert_string_equal(err.msg, "no patterns to match");

	/* over the size limit: refused with the numbers, nothing left */
	rng_state = 5;
	random_set(&s, 300, NULL, 12, false);
	rt_err_clear(&err);
	struct mig_ac_opts o = { .max_bytes = 64 * 1024 };
	assert_int_equal(mig_ac_build(&s, &o, &d, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "pattern automaton too large: over "));
	assert_non_null(strstr(err.msg, "(limit 65536 bytes)"));
	assert_null(d.words);
	mig_ac_set_free(&s);
}

static void test_serialize(void **st)
{
	(void)st;
	rng_state = 9;
	struct mig_ac_set s, t;
	mig_ac_set_init(&s);
	mig_ac_set_init(&t);
	random_set(&s, 100, NULL, 20, true);
	struct rt_buf b;
	rt_buf_init(&b);
	mig_ac_set_serialize(&s, &b);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(mig_ac_set_deserialize(&t, b.p, b.len, &err), 0);
	assert_int_equal(t.n, s.n);
	assert_int_equal(t.gen, s.gen);
	assert_int_equal(mig_ac_set_checksum(&t), mig_ac_set_checksum(&s));
	for (uint32_t i = 0; i < s.n; i++) {
		assert_int_equal(t.pats[i].id, s.pats[i].id);
		assert_int_equal(t.pats[i].flags, s.pats[i].flags);
		assert_int_equal(t.pats[i].len, s.pats[i].len);
		assert_memory_equal(t.pats[i].bytes, s.pats[i].bytes, s.pats[i].len);
	}
	/* the same set compiles to the same words */
	struct mig_ac_dfa d1, d2;
	build_ok(&s, &d1);
	build_ok(&t, &d2);
	assert_int_equal(d1.nwords, d2.nwords);
	assert_memory_equal(d1.words, d2.words, d1.nwords * 4);
	assert_int_equal(d1.set_crc, d2.set_crc);
	mig_ac_dfa_free(&d1);
	mig_ac_dfa_free(&d2);

	/* a flipped byte, a truncation, a bad magic: refused, t unchanged */
	uint32_t crc = mig_ac_set_checksum(&t);
	b.p[40] ^= 0x10;
	rt_err_clear(&err);
	assert_int_equal(mig_ac_set_deserialize(&t, b.p, b.len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "pattern set checksum mismatch"));
	b.p[40] ^= 0x10;
	rt_err_clear(&err);
	assert_int_equal(mig_ac_set_deserialize(&t, b.p, 10, &err), -EINVAL);
	assert_string_equal(err.msg, "not a pattern set (bad magic or 10 bytes)");
	b.p[0] = 'X';
	rt_err_clear(&err);
	assert_int_equal(mig_ac_set_deserialize(&t, b.p, b.len, &err), -EINVAL);
	b.p[0] = 'M';
	/* a well-formed checksum over a short body: truncation is caught */
	struct rt_buf c;
	rt_buf_init(&c);
	rt_buf_add(&c, b.p, 30);
	uint32_t x = mig_ac_crc32c(0, c.p, c.len);
	rt_buf_add(&c, &x, 4);
	rt_err_clear(&err);
	assert_int_equal(mig_ac_set_deserialize(&t, c.p, c.len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "pattern set truncated"));
	assert_int_equal(mig_ac_set_checksum(&t), crc);
	assert_int_equal(t.n, s.n);
	/* CRC-32C check value */
	assert_int_equal(mig_ac_crc32c(0, "123456789", 9), 0xe3069283u);
	rt_buf_free(&b);
	rt_buf_free(&c);
	mig_ac_set_free(&s);
	mig_ac_set_free(&t);
}

/* ---- offloaded placements ------------------------------------------------------------ */

static bool available(enum mig_kind k)
{
	struct rt_err err;
	rt_err_clear(&err);
	if (mig_available(k, &err) < 0) {
		printf("SKIP %s: %s\n", mig_kind_name(k), err.msg);
		return false;
	}
	return true;
}

/* The device's results are byte for byte the cpu's: random sets (mixed
 * case, binary), buffers of every length (empty ones too) and start states. */
static void run_device(enum mig_kind k)
{
	if (!available(k))
		skip();
	static uint8_t text[300][700];
	const uint8_t *p[300];
	uint32_t len[300], state[300];
	struct mig_ac_res rc[300], rd[300];
	for (uint64_t seed = 1; seed <= 6; seed++) {
		rng_state = seed * 31;
		const char *alpha = seed % 2 ? "abcAB" : NULL;
		struct mig_ac_set s;
		mig_ac_set_init(&s);
		random_set(&s, 20 + (int)seed * 40, alpha, 10, true);
		struct mig_ac_dfa d;
		build_ok(&s, &d);
		struct mig_ac_dev *a;
		struct rt_err err;
		rt_err_clear(&err);
		if (mig_ac_dev_open(k, &d, &a, &err) < 0)
			fail_msg("%s: %s", mig_kind_name(k), err.msg);
		if (seed == 1)
			printf("%s: %s\n", mig_kind_name(k), mig_ac_dev_desc(a));
		uint32_t n = 1 + rnd() % 300;
		for (uint32_t i = 0; i < n; i++) {
			len[i] = rnd() % 5 == 0 ? 0 : rnd() % sizeof(text[i]);
			random_text(text[i], len[i], &s, alpha);
			p[i] = text[i];
			state[i] = rnd() % 3 ? 0 : rnd() % d.nstates;
		}
		mig_ac_scan_batch(&d, n, p, len, state, rc);
		memset(rd, 0xa5, sizeof(rd));
		uint64_t ns;
		assert_int_equal(mig_ac_dev_scan(a, n, p, len, state, rd, &ns, &err), 0);
		assert_memory_equal(rd, rc, n * sizeof(rc[0]));
		uint32_t hits = 0;
		for (uint32_t i = 0; i < n; i++)
			hits += rc[i].nmatch != 0;
		assert_true(hits > 0); /* the comparison saw matches, not only misses */
		/* a second, smaller batch reuses the buffers */
		assert_int_equal(mig_ac_dev_scan(a, n / 2, p + 1, len + 1, NULL, rd, NULL, &err), 0);
		mig_ac_scan_batch(&d, n / 2, p + 1, len + 1, NULL, rc);
		assert_memory_equal(rd, rc, n / 2 * sizeof(rc[0]));
		mig_ac_dev_close(a);
		mig_ac_dfa_free(&d);
		mig_ac_set_free(&s);
	}
}

static void test_opencl(void **st) { (void)st; run_device(MIG_OPENCL); }
static void test_cuda(void **st) { (void)st; run_device(MIG_CUDA); }

/* A device that cannot build the kernel or hold the automaton: a clear
 * error, nothing left open. */
static void test_device_faults(void **st)
{
	(void)st;
	if (!available(MIG_OPENCL))
		skip();
	struct mig_ac_set s;
	mig_ac_set_init(&s);
	add_ok(&s, 0, "x", 1, 0);
	struct mig_ac_dfa d;
	build_ok(&s, &d);
	struct mig_ac_dev *a = (struct mig_ac_dev *)&s;
	struct rt_err err;
	rt_err_clear(&err);
	mig_fault_inject(MIG_OPENCL, MIG_FAULT_BUILD, 0);
	assert_true(mig_ac_dev_open(MIG_OPENCL, &d, &a, &err) < 0);
	assert_null(a);
	assert_non_null(strstr(err.msg, "building kernels 'ac' failed"));
	mig_fault_inject(MIG_OPENCL, MIG_FAULT_OOM, 64);
	rt_err_clear(&err);
	assert_true(mig_ac_dev_open(MIG_OPENCL, &d, &a, &err) < 0);
	assert_null(a);
	assert_non_null(strstr(err.msg, "out of device memory"));
	mig_fault_inject(MIG_OPENCL, 0, 0);
	rt_err_clear(&err);
	assert_int_equal(mig_ac_dev_open(MIG_OPENCL, &d, &a, &err), 0);
	mig_ac_dev_close(a);
	mig_ac_dfa_free(&d);
	mig_ac_set_free(&s);
}

/* ---- the PatternMatch element ------------------------------------------------------- */

static struct rte_mbuf *tcp_pkt(struct rt_router *r, const char *payload)
{
	uint8_t buf[2048];
	int len = tu_build_tcp(buf, "10.0.0.1", "10.0.0.2", 1234, 80, 0x18, 1, payload, (int)strlen(payload));
	struct rte_mbuf *m = tu_pkt(r, buf, (uint32_t)len);
	rt_set_nh(m, 14);
	return m;
}

static void test_element(void **st)
{
	(void)st;
	struct rt_router *r =
		tu_router("pm :: PatternMatch(\"evil\", \"vil\", \"\\<de ad>\", NOCASE true);"
			  "Idle -> pm; pm[0] -> ok :: TestSink; pm[1] -> bad :: TestSink;", NULL);
	struct rte_mbuf *m[4];
	m[0] = tcp_pkt(r, "a harmless payload");
	m[1] = tcp_pkt(r, "something EVIL here");
	m[2] = tcp_pkt(r, "x\xde\xad");
	/* the pattern only in the TCP header: ports 0xdead */
	uint8_t buf[128];
	int len = tu_build_tcp(buf, "10.0.0.1", "10.0.0.2", 0xdead, 80, 0x18, 1, "clean", 5);
	m[3] = tu_pkt(r, buf, (uint32_t)len);
	rt_set_nh(m[3], 14);
	tu_push(r, "pm", 0, m, 4);
	assert_int_equal(tu_sink_count(r, "ok"), 2);
	assert_int_equal(tu_sink_count(r, "bad"), 2);
	assert_int_equal(tu_read_int(r, "pm.count"), 2);
	assert_int_equal(tu_read_int(r, "pm.matches"), 3); /* EVIL, its vil, dead */
	assert_int_equal(tu_read_int(r, "pm.patterns"), 3);
	assert_true(tu_read_int(r, "pm.states") >= 8);
	assert_true(tu_read_int(r, "pm.bytes") > 256);
	/* IPv6: the payload starts after the fixed header and the UDP header */
	uint8_t v6[14 + 40 + 8 + 8] = { 0 };
	v6[12] = 0x86, v6[13] = 0xdd;
	v6[14] = 0x60;
	v6[14 + 5] = 16;  /* payload length: UDP header + 8 bytes */
	v6[14 + 6] = 17;  /* next header: UDP */
	memcpy(v6 + 14 + 8, "evil....", 8);  /* the source address spells it: not scanned */
	memcpy(v6 + 14 + 40 + 8, "..EVIL..", 8);
	struct rte_mbuf *m6 = tu_pkt(r, v6, sizeof(v6));
	rt_set_nh(m6, 14);
	tu_push1(r, "pm", 0, m6);
	assert_int_equal(tu_sink_count(r, "bad"), 3);
	assert_int_equal(tu_read_int(r, "pm.matches"), 5); /* EVIL and its vil */
	memcpy(v6 + 14 + 40 + 8, "........", 8);
	m6 = tu_pkt(r, v6, sizeof(v6));
	rt_set_nh(m6, 14);
	tu_push1(r, "pm", 0, m6);
	assert_int_equal(tu_sink_count(r, "ok"), 3);
	/* without the header annotation, the whole frame is scanned */
	struct rte_mbuf *w = tu_pkt(r, buf, (uint32_t)len);
	tu_push1(r, "pm", 0, w);
	assert_int_equal(tu_sink_count(r, "bad"), 4);
	assert_int_equal(tu_write(r, "pm.reset", "", NULL), 0);
	assert_int_equal(tu_read_int(r, "pm.count"), 0);
	tu_router_free(r);
}

/* Patterns added and removed while the element runs. */
static void test_element_live(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("pm :: PatternMatch(\"evil\", \"worm\");"
					"Idle -> pm; pm[0] -> ok :: TestSink; pm[1] -> bad :: TestSink;", NULL);
	assert_string_equal(tu_read(r, "pm.list"), "0 \"\\<65 76 69 6C>\"\n1 \"\\<77 6F 72 6D>\"\n");
	tu_push1(r, "pm", 0, tcp_pkt(r, "a trojan here"));
	assert_int_equal(tu_sink_count(r, "bad"), 0);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tu_write(r, "pm.add", "trojan", &err), 0);
	assert_int_equal(tu_read_int(r, "pm.patterns"), 3);
	tu_push1(r, "pm", 0, tcp_pkt(r, "a trojan here"));
	assert_int_equal(tu_sink_count(r, "bad"), 1);
	assert_int_equal(tu_write(r, "pm.remove", "0", &err), 0);
	tu_push1(r, "pm", 0, tcp_pkt(r, "evil"));
	tu_push1(r, "pm", 0, tcp_pkt(r, "a worm and a trojan"));
	assert_int_equal(tu_sink_count(r, "ok"), 2);
	assert_int_equal(tu_sink_count(r, "bad"), 2);
	assert_string_equal(tu_read(r, "pm.list"), "1 \"\\<77 6F 72 6D>\"\n2 \"\\<74 72 6F 6A 61 6E>\"\n");
	/* bad input: refused with the reason, the running set unchanged */
	rt_err_clear(&err);
	assert_true(tu_write(r, "pm.remove", "0", &err) < 0);
	assert_string_equal(err.msg, "pm: no pattern 0");
	rt_err_clear(&err);
	assert_true(tu_write(r, "pm.add", "\"\"", &err) < 0);
	assert_string_equal(err.msg, "pm: add: empty pattern");
	rt_err_clear(&err);
	assert_true(tu_write(r, "pm.add", "\"\\<4>\"", &err) < 0);
	assert_string_equal(err.msg, "pm: add: odd number of hex digits in data");
	assert_int_equal(tu_write(r, "pm.remove", "1", &err), 0);
	rt_err_clear(&err);
	assert_true(tu_write(r, "pm.remove", "2", &err) < 0);
	assert_string_equal(err.msg, "pm: cannot remove the last pattern");
	assert_int_equal(tu_read_int(r, "pm.patterns"), 1);
	tu_push1(r, "pm", 0, tcp_pkt(r, "trojan"));
	assert_int_equal(tu_sink_count(r, "bad"), 3);
	/* the next id is never reused */
	assert_int_equal(tu_write(r, "pm.add", "evil", &err), 0);
	assert_string_equal(tu_read(r, "pm.list"), "2 \"\\<74 72 6F 6A 61 6E>\"\n3 \"\\<65 76 69 6C>\"\n");
	tu_router_free(r);
}

/* The same while two workers scan at full speed: every packet comes out
 * once, and the automata replaced under them are freed only after a grace
 * period (the sanitizer build would see a use after free). */
static void test_element_live_traffic(void **st)
{
	(void)st;
	struct rt_router *r = tu_router_j(
		"src :: InfiniteSource(DATA \"GET /trojan HTTP/1.0\", LIMIT 400000, STOP true) -> pm :: PatternMatch(zzz);"
		"pm[0] -> c0 :: Counter -> Discard; pm[1] -> c1 :: Counter -> Discard;"
		"Script(set i 1, label l, write pm.add trojan, wait 200us, write pm.remove $i, set i $(add $i 1),"
		"       wait 200us, goto l);",
		2, NULL);
	assert_int_equal(tu_run(r, 60000), 0);
	assert_int_equal(tu_read_int(r, "c0.count") + tu_read_int(r, "c1.count"), 400000);
	assert_true(tu_read_int(r, "c1.count") > 0);
	assert_true(tu_read_int(r, "c0.count") > 0);
	tu_router_free(r);
}

static void test_element_file(void **st)
{
	(void)st;
	char path[] = "/tmp/test_ac_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "# signatures\n\n  /etc/passwd  \n\"\\<90 90 90 90>\"\ncmd.exe\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char conf[256];
	snprintf(conf, sizeof(conf), "pm :: PatternMatch(FILE %s); Idle -> pm -> s :: TestSink; pm[1] -> a :: TestSink;",
		 path);
	struct rt_router *r = tu_router(conf, NULL);
	assert_int_equal(tu_read_int(r, "pm.patterns"), 3);
	tu_push1(r, "pm", 0, tcp_pkt(r, "GET /../../etc/passwd HTTP/1.0"));
	tu_push1(r, "pm", 0, tcp_pkt(r, "run CMD.EXE"));
	tu_push1(r, "pm", 0, tcp_pkt(r, "\x90\x90\x90\x90\x90"));
	assert_int_equal(tu_sink_count(r, "a"), 2); /* case-sensitive by default */
	assert_int_equal(tu_read_int(r, "pm.matches"), 3);
	tu_router_free(r);

	/* a bad line names the file and line */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "ok\n\"\\<9>\"\n", 10), 10);
	close(fd);
	snprintf(conf, sizeof(conf), "pm :: PatternMatch(FILE %s); Idle -> pm -> Idle;", path);
	char want[300];
	snprintf(want, sizeof(want), "test.click:1:1: pm: %s:2: odd number of hex digits in data", path);
	tu_expect_error(conf, want);
	unlink(path);
	snprintf(conf, sizeof(conf), "pm :: PatternMatch(FILE %s); Idle -> pm -> Idle;", path);
	snprintf(want, sizeof(want), "test.click:1:1: pm: FILE: cannot open '%s': No such file or directory", path);
	tu_expect_error(conf, want);
}

static void test_element_errors(void **st)
{
	(void)st;
	tu_expect_error("pm :: PatternMatch(); Idle -> pm -> Idle;",
			"test.click:1:1: pm: PatternMatch needs at least one pattern (or FILE)");
	tu_expect_error("pm :: PatternMatch(a, \"\"); Idle -> pm -> Idle;",
			"test.click:1:1: pm: pattern 2: empty pattern");
	tu_expect_error("Idle -> pm :: PatternMatch(a, NOCASE maybe) -> Idle;",
			"test.click:1:9: pm: NOCASE: expected boolean, not 'maybe'");
}

int main(void)
{
	tu_eal();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_small_alphabet), cmocka_unit_test(test_random_mixed_case),
		cmocka_unit_test(test_random_binary),         cmocka_unit_test(test_random_large_set),
		cmocka_unit_test(test_overlaps_and_nesting),
		cmocka_unit_test(test_byte_classes),          cmocka_unit_test(test_split_buffers),
		cmocka_unit_test(test_batch),                 cmocka_unit_test(test_batch_interleaved),
		cmocka_unit_test(test_set_errors),
		cmocka_unit_test(test_serialize),             cmocka_unit_test(test_opencl),
		cmocka_unit_test(test_cuda),                  cmocka_unit_test(test_device_faults),
		cmocka_unit_test(test_element),
		cmocka_unit_test(test_element_live),          cmocka_unit_test(test_element_live_traffic),
		cmocka_unit_test(test_element_file),          cmocka_unit_test(test_element_errors),
	};
	return cmocka_run_group_tests_name("migrate/ac", tests, NULL, NULL);
}
