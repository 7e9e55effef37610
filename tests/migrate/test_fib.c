/*
 * test_fib.c - the multi-FIB route set and trie (migrate/mig_fib.h): every
 * lookup against a brute-force longest-prefix match per FIB, over random
 * overlapping FIBs, IPv4 and IPv6, edge prefixes, in-place updates and
 * removals; serialisation round trips and corruption; bad input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>


#include "tu.h"
#include "migrate/mig.h"
#include "migrate/mig_fib.h"

/* ---- helpers ---------------------------------------------------------------- */

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The routes the form should hold, kept by the test itself. */
struct shadow {
	struct mig_fib_route *r;
	size_t n, cap;
};

static long shadow_find(const struct shadow *s, const struct mig_fib_route *r)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].fib == r->fib && s->r[i].af == r->af && s->r[i].len == r->len &&
		    !memcmp(s->r[i].addr, r->addr, 16))
			return (long)i;
	return -1;
}

static void shadow_add(struct shadow *s, const struct mig_fib_route *r)
{
	long i = shadow_find(s, r);
	if (i >= 0) {
		s->r[i].nh = r->nh;
		return;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->r = realloc(s->r, s->cap * sizeof(*s->r));
		assert_non_null(s->r);
	}
	s->r[s->n++] = *r;
}

static void shadow_del(struct shadow *s, long i) { s->r[i] = s->r[--s->n]; }

static bool covers(const struct mig_fib_route *r, const uint8_t *a)
{
	unsigned full = r->len / 8, rest = r->len % 8;
	if (memcmp(r->addr, a, full))
		return false;
	return !rest || ((r->addr[full] ^ a[full]) & (0xff00 >> rest)) == 0;
}

static uint32_t brute(const struct shadow *s, uint32_t fib, int af, const uint8_t *a)
{
	int best = -1;
	uint32_t nh = MIG_FIB_NONE;
	for (size_t i = 0; i < s->n; i++) {
		const struct mig_fib_route *r = &s->r[i];
		if (r->fib == fib && r->af == af && (int)r->len > best && covers(r, a))
			best = r->len, nh = r->nh;
	}
	return nh;
}

static void mask(struct mig_fib_route *r)
{
	for (unsigned i = r->len; i < 128; i++)
		r->addr[i >> 3] &= ~(0x80 >> (i & 7));
}

/* A prefix near others: in one of a few clusters, so prefixes nest. */
static struct mig_fib_route rand_prefix(int af, const uint8_t clusters[4][16])
{
	static const uint8_t len4[] = {0, 1, 7, 8, 9, 12, 15, 16, 16, 17, 20, 22, 23, 24, 24, 24, 24, 25, 28, 31, 32, 32};
	static const uint8_t len6[] = {0, 3, 16, 20, 24, 29, 32, 32, 40, 44, 48, 48, 48, 56, 60, 64, 64, 80, 96, 112,
				       120, 127, 128, 128};
	struct mig_fib_route r = {.af = (uint8_t)af};
	r.len = af == 4 ? len4[rnd() % sizeof(len4)] : len6[rnd() % sizeof(len6)];
	memcpy(r.addr, clusters[rnd() % 4], 16);
	unsigned fixed = af == 4 ? 6 : 26;   /* cluster bits kept */
	for (unsigned i = fixed; i < 128; i++)
		if (rnd() & 1)
			r.addr[i >> 3] ^= 0x80 >> (i & 7);
	mask(&r);
	return r;
}

/* nfib overlapping FIBs: shared prefixes (same next hop in most FIBs) and
 * each FIB's own. */
static void random_fibs(struct mig_fib *f, struct shadow *s, uint32_t nfib, int af, int nshared, int nown)
{
	uint8_t cl[4][16];
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 16; j++)
			cl[i][j] = (uint8_t)rnd();
	struct rt_err err;
	rt_err_clear(&err);
	for (int i = 0; i < nshared; i++) {
		struct mig_fib_route r = rand_prefix(af, cl);
		uint32_t nh = (uint32_t)(rnd() % 1000);
		for (uint32_t fib = 0; fib < nfib; fib++) {
			if (rnd() % 10 == 0)
				continue;
			r.fib = fib;
			r.nh = rnd() % 8 ? nh : (uint32_t)(rnd() % 100000);
			assert_true(mig_fib_add(f, &r, &err) >= 0);
			shadow_add(s, &r);
		}
	}
	for (uint32_t fib = 0; fib < nfib; fib++)
		for (int i = 0; i < nown; i++) {
			struct mig_fib_route r = rand_prefix(af, cl);
			r.fib = fib;
			r.nh = (uint32_t)(rnd() % 100000);
			assert_true(mig_fib_add(f, &r, &err) >= 0);
			shadow_add(s, &r);
		}
	assert_int_equal(mig_fib_nroutes(f), s->n);
}

/* Addresses to probe: each prefix's first and last address and their
 * neighbours, one inside at random, and random ones. */
static size_t probes(const struct shadow *s, int af, uint8_t (*out)[16], size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n && n + 5 <= max; i++) {
		const struct mig_fib_route *r = &s->r[i];
		if (r->af != af)
			continue;
		uint8_t lo[16], hi[16], in[16];
		memcpy(lo, r->addr, 16);
		memcpy(hi, r->addr, 16);
		memcpy(in, r->addr, 16);
		unsigned bitsz = af == 4 ? 32 : 128;
		for (unsigned b = r->len; b < bitsz; b++) {
			hi[b >> 3] |= 0x80 >> (b & 7);
			if (rnd() & 1)
				in[b >> 3] |= 0x80 >> (b & 7);
		}
		memcpy(out[n++], lo, 16);
		memcpy(out[n++], hi, 16);
		memcpy(out[n++], in, 16);
		/* lo - 1 and hi + 1 within the family's width */
		memcpy(out[n], lo, 16);
		for (int k = bitsz / 8 - 1; k >= 0 && out[n][k]-- == 0; k--)
			;
		n++;
		memcpy(out[n], hi, 16);
		for (int k = bitsz / 8 - 1; k >= 0 && ++out[n][k] == 0; k--)
			;
		n++;
	}
	while (n < max) {
		memset(out[n], 0, 16);
		for (int k = 0; k < (af == 4 ? 4 : 16); k++)
			out[n][k] = (uint8_t)rnd();
		n++;
	}
	return n;
}

static uint32_t word(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
}

/* Every probe in every FIB (and one past the last FIB) equals brute force. */
static void check(const struct mig_fib_trie *t, const struct shadow *s, int af, size_t nprobe)
{
	uint8_t(*a)[16] = malloc(nprobe * 16);
	uint32_t nfib = t->nfib + 1;
	size_t n = probes(s, af, a, nprobe) * nfib;
	uint32_t *fib = calloc(n, 4), *w = calloc(n, 16), *out = calloc(n, 4);
	assert_true(a && fib && w && out);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *x = a[i / nfib];
		fib[i] = (uint32_t)(i % nfib);
		if (af == 4)
			w[i] = word(x);
		else
			for (int k = 0; k < 4; k++)
				w[4 * i + k] = word(x + 4 * k);
	}
	if (af == 4)
		mig_fib_lookup4_batch(t, fib, w, out, (uint32_t)n);
	else
		mig_fib_lookup6_batch(t, fib, w, out, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		uint32_t want = brute(s, fib[i], af, a[i / nfib]);
		if (out[i] != want) {
			char str[80];
			struct mig_fib_route r = {.fib = fib[i], .af = (uint8_t)af, .len = af == 4 ? 32 : 128};
			memcpy(r.addr, a[i / nfib], 16);
			print_error("lookup %s: trie says 0x%x, brute force 0x%x\n", mig_fib_route_str(&r, str, sizeof(str)),
				    out[i], want);
		}
		assert_int_equal(out[i], want);
	}
	free(a);
	free(fib);
	free(w);
	free(out);
}

static struct mig_fib_trie *build(const struct mig_fib *f, unsigned headroom)
{
	struct mig_fib_trie *t;
	struct rt_err err;
	rt_err_clear(&err);
	int rc = mig_fib_trie_build(f, headroom, &t, &err);
	if (rc < 0)
		print_error("%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(t->version, mig_fib_version(f));
	return t;
}

/* ---- lookups against brute force ------------------------------------------------ */

static void test_random_v4(void **st)
{
	(void)st;
	struct mig_fib *f;
	struct shadow s = {0};
	assert_int_equal(mig_fib_new(6, &f, NULL), 0);
	random_fibs(f, &s, 6, 4, 600, 150);
	struct mig_fib_trie *t = build(f, 0);
	/* shared prefixes are stored once: fewer vectors than leaves differ */
	assert_true(t->nvec < s.n);
	check(t, &s, 4, 12000);
	mig_fib_trie_free(t);
	mig_fib_free(f);
	free(s.r);
}

static void test_random_v6(void **st)
{
	(void)st;
	struct mig_fib *f;
	struct shadow s = {0};
	assert_int_equal(mig_fib_new(4, &f, NULL), 0);
	random_fibs(f, &s, 4, 6, 400, 100);
	struct mig_fib_trie *t = build(f, 0);
	check(t, &s, 6, 8000);
	check(t, &s, 4, 200);   /* IPv4 is empty: no route anywhere */
	mig_fib_trie_free(t);
	mig_fib_free(f);
	free(s.r);
}

static void add(struct mig_fib *f, struct shadow *s, struct mig_fib_route r)
{
	struct rt_err err;
	rt_err_clear(&err);
	int rc = mig_fib_add(f, &r, &err);
	if (rc < 0)
		print_error("%s\n", err.msg);
	assert_true(rc >= 0);
	shadow_add(s, &r);
}

static struct mig_fib_route route6(uint32_t fib, const char *a, int len, uint32_t nh)
{
	struct mig_fib_route r = {.fib = fib, .nh = nh, .af = 6, .len = (uint8_t)len};
	assert_int_equal(inet_pton(AF_INET6, a, r.addr), 1);
	return r;
}

static void test_edges(void **st)
{
	(void)st;
	struct mig_fib *f;
	struct shadow s = {0};
	assert_int_equal(mig_fib_new(3, &f, NULL), 0);
	add(f, &s, mig_fib_route4(0, 0, 0, 7));                   /* default route */
	add(f, &s, mig_fib_route4(0, 0x0a000000, 8, 1));
	add(f, &s, mig_fib_route4(0, 0x0a010203, 32, 2));         /* host route */
	add(f, &s, mig_fib_route4(0, 0xffffffff, 32, 3));
	add(f, &s, mig_fib_route4(1, 0x0a010200, 24, 4));
	add(f, &s, mig_fib_route4(1, 0x80000000, 1, 5));
	add(f, &s, route6(2, "::", 0, 8));
	add(f, &s, route6(2, "2001:db8::1", 128, 9));
	add(f, &s, route6(2, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128, 10));
	add(f, &s, route6(0, "2001:db8::", 32, 11));
	struct mig_fib_trie *t = build(f, 0);
	uint32_t fib[] = {0, 0, 0, 0, 0, 1, 1, 1, 2, 3};
	uint32_t a4[] = {0x0a010203, 0x0a010204, 0x0b000000, 0xffffffff, 0, 0x0a0102ff, 0x80000000, 0x7fffffff,
			 0x0a010203, 0x0a010203};
	uint32_t want4[] = {2, 1, 7, 3, 7, 4, 5, MIG_FIB_NONE, MIG_FIB_NONE, MIG_FIB_NONE};
	uint32_t out[10];
	mig_fib_lookup4_batch(t, fib, a4, out, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(out[i], want4[i]);
	uint32_t f6[] = {2, 2, 2, 2, 0, 0, 1};
	uint32_t a6[] = {0x20010db8, 0, 0, 1,  0x20010db8, 0, 0, 2,  0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
			 0, 0, 0, 0,  0x20010db8, 0xffffffff, 0, 0,  0x20010db9, 0, 0, 0,  0x20010db8, 0, 0, 1};
	uint32_t want6[] = {9, 8, 10, 8, 11, MIG_FIB_NONE, MIG_FIB_NONE};
	mig_fib_lookup6_batch(t, f6, a6, out, 7);
	for (int i = 0; i < 7; i++)
		assert_int_equal(out[i], want6[i]);
	check(t, &s, 4, 500);
	check(t, &s, 6, 500);
	mig_fib_trie_free(t);
	mig_fib_free(f);
	free(s.r);
}

/* In-place updates (adds, replaces, removes, down to nothing) always answer
 * as brute force does, and as a fresh build of the same routes. */
static void test_updates(void **st)
{
	(void)st;
	struct rt_err err;
	for (int af = 4; af <= 6; af += 2) {
		struct mig_fib *f;
		struct shadow s = {0};
		assert_int_equal(mig_fib_new(5, &f, NULL), 0);
		random_fibs(f, &s, 5, af, 150, 40);
		struct mig_fib_trie *t = build(f, 400);
		uint8_t cl[4][16];
		memcpy(cl[0], s.r[0].addr, 16);
		memcpy(cl[1], s.r[s.n / 2].addr, 16);
		memcpy(cl[2], s.r[s.n - 1].addr, 16);
		memset(cl[3], 0, 16);
		for (int op = 0; op < 600; op++) {
			rt_err_clear(&err);
			struct mig_fib_route r;
			if (rnd() % 3 || !s.n) {
				r = rand_prefix(af, cl);
				r.fib = (uint32_t)(rnd() % 5);
				r.nh = (uint32_t)(rnd() % 50);
				assert_true(mig_fib_add(f, &r, &err) >= 0);
				shadow_add(&s, &r);
			} else {
				long i = (long)(rnd() % s.n);
				r = s.r[i];
				assert_int_equal(mig_fib_remove(f, &r, &err), 0);
				shadow_del(&s, i);
			}
			int rc = mig_fib_trie_apply(t, f, &r, &err);
			if (rc < 0)
				print_error("%s\n", err.msg);
			assert_int_equal(rc, 0);
			if (op % 8 == 0)
				mig_fib_trie_reclaim(t);
			if (op % 100 == 0)
				check(t, &s, af, 1500);
		}
		assert_int_equal(t->version, mig_fib_version(f));
		check(t, &s, af, 4000);
		struct mig_fib_trie *t2 = build(f, 0);
		check(t2, &s, af, 4000);
		mig_fib_trie_reclaim(t);
		assert_int_equal(mig_fib_trie_garbage(t), 0);
		assert_int_equal(mig_fib_trie_garbage(t2), 0);
		mig_fib_trie_free(t2);
		/* remove everything: no route left anywhere */
		while (s.n) {
			struct mig_fib_route r = s.r[s.n - 1];
			assert_int_equal(mig_fib_remove(f, &r, &err), 0);
			assert_int_equal(mig_fib_trie_apply(t, f, &r, &err), 0);
			mig_fib_trie_reclaim(t);
			s.n--;
		}
		assert_int_equal(mig_fib_nroutes(f), 0);
		assert_true(mig_fib_checksum(f) == 0);
		check(t, &s, af, 1000);
		mig_fib_trie_free(t);
		mig_fib_free(f);
		free(s.r);
	}
}

/* With no headroom an update that needs a new node fails with -ENOSPC and
 * says to rebuild. */
static void test_no_headroom(void **st)
{
	(void)st;
	struct mig_fib *f;
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(mig_fib_new(1, &f, NULL), 0);
	struct mig_fib_route r = mig_fib_route4(0, 0x0a000000, 8, 1);
	assert_int_equal(mig_fib_add(f, &r, &err), 0);
	struct mig_fib_trie *t = build(f, 0);
	r = mig_fib_route4(0, 0x0a000100, 24, 2);
	assert_int_equal(mig_fib_add(f, &r, &err), 0);
	assert_int_equal(mig_fib_trie_apply(t, f, &r, &err), -ENOSPC);
	assert_string_equal(err.msg, "fib 0 10.0.1.0/24: updating the trie: out of headroom, rebuild it");
	mig_fib_trie_free(t);
	mig_fib_free(f);
}

/* In-place updates while another thread looks up: every answer is the
 * route's old or new next hop, never anything else, even as nodes and
 * vectors are freed (after a grace period) and reused.  It catches an
 * update that links a node before filling it (most runs, by thousands of
 * answers); windows of a store or two are too short to be seen here. */
#define NTOG 48
struct race {
	const struct mig_fib_trie *t;
	uint32_t fib[2 * NTOG], addr[2 * NTOG], without[2 * NTOG], with[2 * NTOG];
	uint64_t passes, bad;
	int stop;
};

static void *race_reader(void *arg)
{
	struct race *rc = arg;
	uint32_t out[2 * NTOG];
	while (!__atomic_load_n(&rc->stop, __ATOMIC_ACQUIRE)) {
		mig_fib_lookup4_batch(rc->t, rc->fib, rc->addr, out, 2 * NTOG);
		for (int i = 0; i < 2 * NTOG; i++)
			if (out[i] != rc->without[i] && out[i] != rc->with[i])
				__atomic_fetch_add(&rc->bad, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&rc->passes, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_concurrent_updates(void **st)
{
	(void)st;
	struct rt_err err;
	rt_err_clear(&err);
	struct mig_fib *f;
	struct shadow s = {0};
	assert_int_equal(mig_fib_new(4, &f, NULL), 0);
	random_fibs(f, &s, 4, 4, 300, 100);
	/* Toggled routes, one per /8 from 16.0.0.0 so they never nest, of
	 * lengths that land in every level (leaf to node and back). */
	struct mig_fib_route tog[NTOG];
	static struct race rc;
	memset(&rc, 0, sizeof(rc));
	for (int i = 0; i < NTOG; i++) {
		int len = 8 + (i * 7) % 25;
		uint32_t a = (uint32_t)(16 + i) << 24 | ((uint32_t)rnd() & 0xffffff);
		a &= ~0u << (32 - len);
		tog[i] = mig_fib_route4((uint32_t)(i % 4), a, len, 5000 + (uint32_t)i);
		uint32_t host = len == 32 ? 0 : (uint32_t)rnd() & (~0u >> len);
		uint8_t b[2][16] = {{0}};
		rc.addr[2 * i] = a;
		rc.addr[2 * i + 1] = a | host;
		for (int k = 0; k < 2; k++) {
			rc.fib[2 * i + k] = tog[i].fib;
			rc.with[2 * i + k] = tog[i].nh;
			uint32_t x = rc.addr[2 * i + k];
			b[k][0] = x >> 24, b[k][1] = x >> 16, b[k][2] = x >> 8, b[k][3] = x;
			rc.without[2 * i + k] = brute(&s, tog[i].fib, 4, b[k]);
		}
	}
	struct mig_fib_trie *t = build(f, 100);
	rc.t = t;
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, race_reader, &rc), 0);
	bool on[NTOG] = {false};
	for (int op = 0; op < 6000; op++) {
		int i = (int)(rnd() % NTOG);
		if (on[i])
			assert_int_equal(mig_fib_remove(f, &tog[i], &err), 0);
		else
			assert_int_equal(mig_fib_add(f, &tog[i], &err), 0);
		on[i] = !on[i];
		assert_int_equal(mig_fib_trie_apply(t, f, &tog[i], &err), 0);
		if (op % 16 == 15) {
			/* grace period: the reader finished a whole pass since */
			uint64_t p0 = __atomic_load_n(&rc.passes, __ATOMIC_ACQUIRE);
			while (__atomic_load_n(&rc.passes, __ATOMIC_ACQUIRE) < p0 + 2)
				sched_yield();
			mig_fib_trie_reclaim(t);
		}
	}
	__atomic_store_n(&rc.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	assert_true(rc.passes > 0);
	assert_int_equal(rc.bad, 0);
	mig_fib_trie_free(t);
	mig_fib_free(f);
	free(s.r);
}

/* ---- canonical form ------------------------------------------------------------- */

static void test_serialise(void **st)
{
	(void)st;
	struct rt_err err;
	rt_err_clear(&err);
	struct mig_fib *f, *g, *h;
	struct shadow s = {0};
	assert_int_equal(mig_fib_new(4, &f, NULL), 0);
	random_fibs(f, &s, 4, 4, 200, 50);
	random_fibs(f, &s, 4, 6, 100, 30);
	void *b1, *b2;
	size_t n1, n2;
	assert_int_equal(mig_fib_serialise(f, &b1, &n1, &err), 0);
	assert_int_equal(mig_fib_deserialise(b1, n1, &g, &err), 0);
	assert_int_equal(mig_fib_nroutes(g), s.n);
	assert_true(mig_fib_checksum(g) == mig_fib_checksum(f));
	assert_true(mig_fib_version(g) == mig_fib_version(f));
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(mig_fib_get(g, &s.r[i]), s.r[i].nh);
	assert_int_equal(mig_fib_serialise(g, &b2, &n2, &err), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, b2, n1);
	free(b2);

	/* The same routes added in another order: same checksum, and the same
	 * bytes but for the version (bytes 16-23) and so the CRC. */
	assert_int_equal(mig_fib_new(4, &h, NULL), 0);
	for (size_t i = s.n; i-- > 0;)
		assert_int_equal(mig_fib_add(h, &s.r[i], &err), 0);
	assert_true(mig_fib_checksum(h) == mig_fib_checksum(f));
	assert_int_equal(mig_fib_serialise(h, &b2, &n2, &err), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, b2, 16);
	assert_memory_equal((uint8_t *)b1 + 24, (uint8_t *)b2 + 24, n1 - 28);
	free(b2);
	/* A different next hop changes the checksum. */
	struct mig_fib_route r = s.r[0];
	r.nh ^= 1;
	assert_int_equal(mig_fib_add(h, &r, &err), 1);
	assert_true(mig_fib_checksum(h) != mig_fib_checksum(f));
	mig_fib_free(h);

	/* A trie built from the copy answers as the original's would. */
	struct mig_fib_trie *t = build(g, 0);
	check(t, &s, 4, 3000);
	check(t, &s, 6, 3000);
	mig_fib_trie_free(t);
	mig_fib_free(g);

	/* Corruption anywhere is caught, with where. */
	uint8_t *c = malloc(n1);
	memcpy(c, b1, n1);
	c[n1 / 2] ^= 0x10;
	rt_err_clear(&err);
	assert_int_equal(mig_fib_deserialise(c, n1, &g, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "checksum mismatch: CRC32C"));
	rt_err_clear(&err);
	assert_int_equal(mig_fib_deserialise(b1, n1 - 3, &g, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "checksum mismatch"));
	rt_err_clear(&err);
	assert_int_equal(mig_fib_deserialise(b1, 20, &g, &err), -EINVAL);
	assert_string_equal(err.msg, "fib: deserialise: 20 bytes, too short for a header (44)");
	memcpy(c, b1, n1);
	c[0] = 'X';
	rt_err_clear(&err);
	assert_int_equal(mig_fib_deserialise(c, n1, &g, &err), -EINVAL);
	assert_string_equal(err.msg, "fib: deserialise: byte 0: not a FIB (bad magic)");

	/* A well-formed CRC over bad content: the content checks still catch
	 * it.  The first route's next hop changed: the routes' sum differs. */
	memcpy(c, b1, n1);
	c[44] ^= 1;
	uint32_t crc = mig_crc32c(0, c, n1 - 4);
	memcpy(c + n1 - 4, &crc, 4);
	rt_err_clear(&err);
	assert_int_equal(mig_fib_deserialise(c, n1, &g, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "checksum mismatch: the routes sum to"));
	/* The first route's host bits set: named, with its byte offset. */
	memcpy(c, b1, n1);
	assert_int_equal(c[48], 4);
	c[49] = 1;      /* a /1 ... */
	c[50] = 0xff;   /* ... with its second bit set */
	crc = mig_crc32c(0, c, n1 - 4);
	memcpy(c + n1 - 4, &crc, 4);
	rt_err_clear(&err);
	assert_int_equal(mig_fib_deserialise(c, n1, &g, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "fib: deserialise: byte 40: fib "));
	assert_non_null(strstr(err.msg, "/1: host bits set"));
	free(c);
	free(b1);
	mig_fib_free(f);
	free(s.r);
}

static void test_bad_input(void **st)
{
	(void)st;
	struct rt_err err;
	struct mig_fib *f;
	rt_err_clear(&err);
	assert_int_equal(mig_fib_new(0, &f, &err), -EINVAL);
	assert_string_equal(err.msg, "fib: 0 FIBs: must be 1 to 65536");
	assert_int_equal(mig_fib_new(2, &f, NULL), 0);
	struct mig_fib_route ok = mig_fib_route4(1, 0x0a000000, 8, 5);
	assert_int_equal(mig_fib_add(f, &ok, &err), 0);
	uint64_t v = mig_fib_version(f), sum = mig_fib_checksum(f);

	struct {
		struct mig_fib_route r;
		int rc;
		const char *msg;
	} bad[] = {
		{mig_fib_route4(0, 0x0a000001, 8, 1), -EINVAL, "fib 0 10.0.0.1/8: host bits set"},
		{mig_fib_route4(2, 0x0a000000, 8, 1), -EINVAL, "fib 2 10.0.0.0/8: no such FIB (there are 2)"},
		{mig_fib_route4(0, 0x0a000000, 33, 1), -EINVAL, "fib 0 10.0.0.0/33: prefix length over 32"},
		{mig_fib_route4(0, 0x0a000000, 8, MIG_FIB_NONE), -EINVAL,
		 "fib 0 10.0.0.0/8: next hop 0xffffffff is reserved for 'no route'"},
		{route6(0, "2001:db8::1", 64, 1), -EINVAL, "fib 0 2001:db8::1/64: host bits set"},
	};
	for (size_t i = 0; i < RT_ARRAY_SIZE(bad); i++) {
		rt_err_clear(&err);
		assert_int_equal(mig_fib_add(f, &bad[i].r, &err), bad[i].rc);
		assert_string_equal(err.msg, bad[i].msg);
	}
	struct mig_fib_route r = mig_fib_route4(0, 0x0a000000, 8, 0);
	rt_err_clear(&err);
	assert_int_equal(mig_fib_remove(f, &r, &err), -ENOENT);
	assert_string_equal(err.msg, "fib 0 10.0.0.0/8: no such route");
	r = mig_fib_route4(1, 0x0a000000, 9, 0);
	rt_err_clear(&err);
	assert_int_equal(mig_fib_remove(f, &r, &err), -ENOENT);
	/* nothing changed */
	assert_int_equal(mig_fib_nroutes(f), 1);
	assert_true(mig_fib_version(f) == v && mig_fib_checksum(f) == sum);
	assert_int_equal(mig_fib_get(f, &ok), 5);
	/* replacing is not adding */
	ok.nh = 6;
	assert_int_equal(mig_fib_add(f, &ok, &err), 1);
	assert_int_equal(mig_fib_nroutes(f), 1);
	assert_int_equal(mig_fib_get(f, &ok), 6);
	mig_fib_free(f);
}

/* ---- placements: the kernels give the cpu's bytes ---------------------------------- */

struct devfib {
	struct mig_dev *d;
	struct mig_prog *p;
	struct mig_kernel *k4, *k6;
	struct mig_queue *q;
	struct mig_mem *tab, *nh, *fib, *addr, *out;
};

static void upload(struct devfib *df, struct mig_fib_trie *t)
{
	struct rt_err err;
	rt_err_clear(&err);
	const struct mig_fib_dirty *dt = &t->dirty;
	if (dt->tab_hi > dt->tab_lo)
		assert_int_equal(mig_mem_write(df->tab, dt->tab_lo * 4u, t->tab + dt->tab_lo,
					       (dt->tab_hi - dt->tab_lo) * 4u, &err), 0);
	if (dt->nh_hi > dt->nh_lo)
		assert_int_equal(mig_mem_write(df->nh, dt->nh_lo * 4u, t->nh + dt->nh_lo,
					       (dt->nh_hi - dt->nh_lo) * 4u, &err), 0);
	mig_fib_trie_clean(t);
}

/* n lookups of one family on the device, compared with the cpu's. */
static void dev_compare(struct devfib *df, const struct mig_fib_trie *t, int af, const uint32_t *fib,
			const uint32_t *addr, uint32_t n)
{
	uint32_t words = af == 4 ? 1 : 4;
	uint32_t *hf = mig_host_alloc(df->d, n * 4), *ha = mig_host_alloc(df->d, n * 4 * words);
	uint32_t *ho = mig_host_alloc(df->d, n * 4), *want = malloc(n * 4);
	assert_true(hf && ha && ho && want);
	memcpy(hf, fib, n * 4);
	memcpy(ha, addr, n * 4 * words);
	memset(ho, 0xab, n * 4);
	if (af == 4)
		mig_fib_lookup4_batch(t, fib, addr, want, n);
	else
		mig_fib_lookup6_batch(t, fib, addr, want, n);
	struct mig_job j = {.k = af == 4 ? df->k4 : df->k6, .n = n, .nargs = 7, .nin = 2, .nout = 1};
	j.args[0] = MIG_MEM(df->tab);
	j.args[1] = MIG_MEM(df->nh);
	j.args[2] = MIG_U32(t->nfib);
	j.args[3] = MIG_MEM(df->fib);
	j.args[4] = MIG_MEM(df->addr);
	j.args[5] = MIG_MEM(df->out);
	j.args[6] = MIG_U32(n);
	j.in[0] = (struct mig_copy){df->fib, 0, n * 4, hf};
	j.in[1] = (struct mig_copy){df->addr, 0, n * 4 * words, ha};
	j.out[0] = (struct mig_copy){df->out, 0, n * 4, ho};
	assert_int_equal(mig_job_submit(df->q, &j), 0);
	assert_int_equal(mig_job_wait(df->q, &j), 1);
	assert_memory_equal(ho, want, n * 4);
	mig_host_free(df->d, hf);
	mig_host_free(df->d, ha);
	mig_host_free(df->d, ho);
	free(want);
}

/* Probe addresses of one family as kernel words, with FIBs 0..nfib. */
static uint32_t dev_queries(const struct shadow *s, int af, uint32_t nfib, uint32_t nprobe, uint32_t **fib,
			    uint32_t **addr)
{
	uint8_t(*a)[16] = malloc(nprobe * 16);
	uint32_t n = (uint32_t)probes(s, af, a, nprobe);
	*fib = malloc(n * 4);
	*addr = malloc(n * 16);
	for (uint32_t i = 0; i < n; i++) {
		(*fib)[i] = (uint32_t)(rnd() % (nfib + 1));
		for (uint32_t k = 0; k < (af == 4 ? 1u : 4u); k++)
			(*addr)[(af == 4 ? 1 : 4) * i + k] = word(a[i] + 4 * k);
	}
	free(a);
	return n;
}

static void dev_check(enum mig_kind kind)
{
	struct rt_err err;
	rt_err_clear(&err);
	if (mig_available(kind, &err) < 0) {
		printf("SKIP %s: %s\n", mig_kind_name(kind), err.msg);
		skip();
	}
	struct devfib df = {0};
	assert_int_equal(mig_dev_open(kind, &df.d, &err), 0);
	printf("%s: %s\n", mig_kind_name(kind), mig_dev_desc(df.d));
	assert_int_equal(mig_prog_build(df.d, "fib", &df.p, &err), 0);
	assert_int_equal(mig_kernel_get(df.p, "fib_lookup4", &df.k4, &err), 0);
	assert_int_equal(mig_kernel_get(df.p, "fib_lookup6", &df.k6, &err), 0);
	assert_int_equal(mig_queue_open(df.d, &df.q, &err), 0);

	struct mig_fib *f;
	struct shadow s = {0};
	assert_int_equal(mig_fib_new(6, &f, NULL), 0);
	random_fibs(f, &s, 6, 4, 500, 100);
	random_fibs(f, &s, 6, 6, 300, 60);
	add(f, &s, mig_fib_route4(0, 0, 0, 77));
	add(f, &s, route6(5, "::", 0, 78));
	struct mig_fib_trie *t = build(f, 100);
	/* the device holds the arrays at their capacity: updates fit */
	assert_int_equal(mig_mem_alloc(df.d, (size_t)t->tab_cap * 4, &df.tab, &err), 0);
	assert_int_equal(mig_mem_alloc(df.d, (size_t)t->vec_cap * t->nfib * 4, &df.nh, &err), 0);
	assert_int_equal(mig_mem_alloc(df.d, 6000 * 4, &df.fib, &err), 0);
	assert_int_equal(mig_mem_alloc(df.d, 6000 * 16, &df.addr, &err), 0);
	assert_int_equal(mig_mem_alloc(df.d, 6000 * 4, &df.out, &err), 0);
	upload(&df, t);
	for (int round = 0; round < 3; round++) {
		for (int af = 4; af <= 6; af += 2) {
			uint32_t *fib, *addr;
			uint32_t n = dev_queries(&s, af, 6, 6000, &fib, &addr);
			dev_compare(&df, t, af, fib, addr, n);
			dev_compare(&df, t, af, fib, addr, 1);   /* one item */
			free(fib);
			free(addr);
		}
		/* in-place updates: after each, only what it dirtied goes to
		 * the device, which then answers as the cpu around the route */
		for (int op = 0; op < 40; op++) {
			struct mig_fib_route r;
			if (op % 3 == 2) {
				long i = (long)(rnd() % s.n);
				r = s.r[i];
				assert_int_equal(mig_fib_remove(f, &r, &err), 0);
				shadow_del(&s, i);
			} else {
				r = s.r[rnd() % s.n];
				r.nh = (uint32_t)(rnd() % 9000);
				unsigned len = r.len + 1 + (unsigned)(rnd() % 8), max = r.af == 4 ? 32 : 128;
				r.len = (uint8_t)RT_MIN(len, max);
				r.addr[rnd() % (r.af == 4 ? 4 : 16)] ^= (uint8_t)rnd();
				mask(&r);
				add(f, &s, r);
			}
			assert_int_equal(mig_fib_trie_apply(t, f, &r, &err), 0);
			mig_fib_trie_reclaim(t);   /* no job runs between two here */
			upload(&df, t);
			struct shadow one = {&r, 1, 1};
			uint32_t *fib, *addr;
			uint32_t n = dev_queries(&one, r.af, 6, 40, &fib, &addr);
			for (uint32_t i = 0; i < 5; i++)
				fib[i] = r.fib;
			dev_compare(&df, t, r.af, fib, addr, n);
			free(fib);
			free(addr);
		}
	}
	mig_fib_trie_free(t);
	mig_fib_free(f);
	free(s.r);
	mig_mem_free(df.tab);
	mig_mem_free(df.nh);
	mig_mem_free(df.fib);
	mig_mem_free(df.addr);
	mig_mem_free(df.out);
	mig_queue_close(df.q);
	mig_kernel_free(df.k4);
	mig_kernel_free(df.k6);
	mig_prog_free(df.p);
	mig_dev_close(df.d);
}

static void test_opencl(void **st) { dev_check(MIG_OPENCL); }
static void test_cuda(void **st) { dev_check(MIG_CUDA); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_v4), cmocka_unit_test(test_random_v6),   cmocka_unit_test(test_edges),
		cmocka_unit_test(test_updates),   cmocka_unit_test(test_no_headroom),
		cmocka_unit_test(test_concurrent_updates), cmocka_unit_test(test_serialise),
		cmocka_unit_test(test_bad_input), cmocka_unit_test(test_opencl),      cmocka_unit_test(test_cuda),
	};
	return cmocka_run_group_tests_name("fib", tests, NULL, NULL);
}
