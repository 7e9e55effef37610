/*
 * bench_placement.c - placements (issue 8).  Prints `BENCH placement <name>
 * <value> <unit>` lines; scripts/bench.sh placement runs it from a Release
 * build.
 *
 * The multi-FIB lookup (migrate/mig_fib.h): 1, 4 and 16 IPv4 FIBs of N
 * prefixes each (default 100000) that overlap by 90 % (90 % of each FIB's
 * prefixes are in every FIB, 10 % are its own), with a BGP-like prefix
 * length distribution; the trie's bytes against those of one rte_lpm per
 * FIB holding the same routes (measured on DPDK's heap, each table sized to
 * need: max_rules = its routes, one tbl8 per /24 with longer routes), build
 * and update times, and lookups/s of both on the same (fib, address)
 * queries, whose answers must agree.  The same for 16 IPv6 FIBs against
 * rte_lpm6 (lengths as in an IPv6 BGP table, mostly /48, /32-/44, under a
 * few thousand /32 allocations).  Then the same 16-FIB lookups on the
 * offloaded placements that answer (opencl, cuda) by offload batch size,
 * four jobs in flight, counting the copies in and out and the gather into
 * pinned host memory; their answers must be the cpu's.
 *
 * The big classifier's lookup is in bench_cls_dev.c.
 *
 * Usage: bench_placement [ROUTES_PER_FIB]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>

#include "router.h"
#include "ctl.h"
#include "migrate/mig.h"
#include "migrate/mig_fib.h"
#include "bench_dev.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}


/* ---- route generator ---------------------------------------------------------- */

/* Prefix lengths roughly as in a full IPv4 BGP table: mostly /24, most of
 * the rest /16-/23, a few shorter, a few longer than /24. */
static int bgp_len(void)
{
	static const struct {
		int permille, len;
	} dist[] = {{600, 24}, {80, 23}, {100, 22}, {50, 21}, {45, 20}, {30, 19}, {20, 18}, {15, 17}, {15, 16}};
	int x = (int)(rnd() % 1000);
	for (size_t i = 0; i < RT_ARRAY_SIZE(dist); i++)
		if ((x -= dist[i].permille) < 0)
			return dist[i].len;
	return x < 15 ? 8 + (int)(rnd() % 8) : 25 + (int)(rnd() % 8);   /* 1.5 % each */
}

struct pfx {
	uint32_t addr;
	uint8_t len;
};

/* Distinct prefixes: a hash set over (addr, len). */
struct pset {
	uint64_t *slot;
	uint32_t mask;
};

static bool pset_add(struct pset *s, uint32_t addr, int len)
{
	uint64_t k = (uint64_t)addr << 8 | (uint64_t)len | 1ull << 40;
	uint32_t i = (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 40) & s->mask;
	for (; s->slot[i]; i = (i + 1) & s->mask)
		if (s->slot[i] == k)
			return false;
	s->slot[i] = k;
	return true;
}

static struct pfx gen_pfx(struct pset *s)
{
	for (;;) {
		int len = bgp_len();
		/* unicast space 1.0.0.0 - 223.255.255.255 */
		uint32_t a = (uint32_t)(0x01000000u + rnd() % (0xe0000000u - 0x01000000u));
		a &= len ? ~0u << (32 - len) : 0;
		if (pset_add(s, a, len))
			return (struct pfx){a, (uint8_t)len};
	}
}

/* nfib FIBs of n routes: shared prefixes in every FIB, each FIB's own.
 * same_nh: a shared prefix has the same next hop in every FIB (tenants
 * importing one Internet table); otherwise each FIB picks its own. */
struct fibset {
	uint32_t nfib, n;
	struct mig_fib_route *r;   /* nfib * n, FIB by FIB */
};

static struct fibset gen_fibs(uint32_t nfib, uint32_t n, bool same_nh)
{
	struct fibset fs = {nfib, n, calloc((size_t)nfib * n, sizeof(struct mig_fib_route))};
	struct pset s = {0};
	uint32_t size = 1;
	while (size < 4 * nfib * n)
		size *= 2;
	s.slot = calloc(size, sizeof(uint64_t));
	s.mask = size - 1;
	uint32_t nshared = n * 9 / 10;
	for (uint32_t i = 0; i < nshared; i++) {
		struct pfx p = gen_pfx(&s);
		uint32_t nh = (uint32_t)(rnd() % 65536);
		for (uint32_t f = 0; f < nfib; f++)
			fs.r[(size_t)f * n + i] = mig_fib_route4(f, p.addr, p.len, same_nh ? nh : (uint32_t)(rnd() % 65536));
	}
	for (uint32_t f = 0; f < nfib; f++)
		for (uint32_t i = nshared; i < n; i++) {
			struct pfx p = gen_pfx(&s);
			fs.r[(size_t)f * n + i] = mig_fib_route4(f, p.addr, p.len, (uint32_t)(rnd() % 65536));
		}
	free(s.slot);
	return fs;
}

static uint32_t raddr(const struct mig_fib_route *r)
{
	return (uint32_t)r->addr[0] << 24 | r->addr[1] << 16 | r->addr[2] << 8 | r->addr[3];
}

/* ---- rte_lpm, one per FIB -------------------------------------------------------- */

static size_t heap_bytes(void)
{
	struct rte_malloc_socket_stats st;
	size_t sum = 0;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			sum += st.heap_allocsz_bytes;
	return sum;
}

static int lpm_build(const struct fibset *fs, struct rte_lpm **lpm, size_t *bytes)
{
	size_t before = heap_bytes();
	for (uint32_t f = 0; f < fs->nfib; f++) {
		const struct mig_fib_route *r = fs->r + (size_t)f * fs->n;
		/* one tbl8 per /24 holding longer routes: count distinct /24s */
		uint32_t size = 1, tbl8 = 0;
		while (size < 4 * fs->n)
			size *= 2;
		struct pset s = {calloc(size, sizeof(uint64_t)), size - 1};
		for (uint32_t i = 0; i < fs->n; i++)
			if (r[i].len > 24)
				tbl8 += pset_add(&s, raddr(&r[i]) >> 8, 24);
		free(s.slot);
		struct rte_lpm_config c = {.max_rules = fs->n, .number_tbl8s = tbl8 + 1};
		char name[32];
		snprintf(name, sizeof(name), "bp%u_%u", fs->nfib, f);
		lpm[f] = rte_lpm_create(name, SOCKET_ID_ANY, &c);
		if (!lpm[f]) {
			fprintf(stderr, "bench_placement: rte_lpm_create %s: out of DPDK memory\n", name);
			return -1;
		}
		for (uint32_t i = 0; i < fs->n; i++)
			if (rte_lpm_add(lpm[f], raddr(&r[i]), r[i].len, r[i].nh) < 0) {
				fprintf(stderr, "bench_placement: rte_lpm_add failed\n");
				return -1;
			}
	}
	*bytes = heap_bytes() - before;
	return 0;
}

/* ---- the multi-FIB lookup ---------------------------------------------------------- */

/* Queries: a FIB at random, an address inside one of its routes 9 times
 * in 10, anywhere the 10th. */
static void gen_queries(const struct fibset *fs, uint32_t *fib, uint32_t *addr)
{
	for (uint32_t i = 0; i < NQ; i++) {
		fib[i] = (uint32_t)(rnd() % fs->nfib);
		if (rnd() % 10 == 0) {
			addr[i] = (uint32_t)rnd();
			continue;
		}
		const struct mig_fib_route *r = &fs->r[(size_t)fib[i] * fs->n + rnd() % fs->n];
		uint32_t host = r->len == 32 ? 0 : (uint32_t)rnd() & (~0u >> r->len);
		addr[i] = raddr(r) | host;
	}
}

static double mlookups_trie(const struct mig_fib_trie *t, const uint32_t *fib, const uint32_t *addr, uint32_t *out,
			    int passes)
{
	uint64_t t0 = rt_now_ns();
	for (int p = 0; p < passes; p++)
		for (uint32_t i = 0; i < NQ; i += 64)
			mig_fib_lookup4_batch(t, fib + i, addr + i, out + i, 64);
	return (double)NQ * passes / (double)(rt_now_ns() - t0) * 1e3;
}

static double mlookups_lpm(struct rte_lpm **lpm, const uint32_t *fib, const uint32_t *addr, uint32_t *out, int passes)
{
	uint64_t t0 = rt_now_ns();
	for (int p = 0; p < passes; p++)
		for (uint32_t i = 0; i < NQ; i++)
			if (rte_lpm_lookup(lpm[fib[i]], addr[i], &out[i]) < 0)
				out[i] = MIG_FIB_NONE;
	return (double)NQ * passes / (double)(rt_now_ns() - t0) * 1e3;
}

static struct mig_fib *load(const struct fibset *fs)
{
	struct mig_fib *f;
	struct rt_err err;
	rt_err_clear(&err);
	if (mig_fib_new(fs->nfib, &f, &err) < 0)
		return NULL;
	for (size_t i = 0; i < (size_t)fs->nfib * fs->n; i++)
		if (mig_fib_add(f, &fs->r[i], &err) < 0) {
			fprintf(stderr, "bench_placement: %s\n", err.msg);
			exit(1);
		}
	return f;
}

static struct mig_fib_trie *build(const struct mig_fib *f, unsigned headroom, double *ms)
{
	struct mig_fib_trie *t;
	struct rt_err err;
	rt_err_clear(&err);
	uint64_t t0 = rt_now_ns();
	if (mig_fib_trie_build(f, headroom, &t, &err) < 0) {
		fprintf(stderr, "bench_placement: %s\n", err.msg);
		exit(1);
	}
	*ms = (double)(rt_now_ns() - t0) / 1e6;
	return t;
}

/* In-place updates: remove and re-add `n` routes, one apply each. */
static double update_us(struct mig_fib *f, struct mig_fib_trie *t, const struct fibset *fs, int n)
{
	struct rt_err err;
	rt_err_clear(&err);
	uint64_t t0 = rt_now_ns();
	for (int i = 0; i < n; i++) {
		const struct mig_fib_route *r = &fs->r[rnd() % ((size_t)fs->nfib * fs->n)];
		if (mig_fib_remove(f, r, &err) < 0 || mig_fib_trie_apply(t, f, r, &err) < 0 ||
		    mig_fib_add(f, r, &err) < 0 || mig_fib_trie_apply(t, f, r, &err) < 0) {
			fprintf(stderr, "bench_placement: update: %s\n", err.msg);
			exit(1);
		}
		mig_fib_trie_reclaim(t);
	}
	return (double)(rt_now_ns() - t0) / 1e3 / (2.0 * n);
}

/* ---- IPv6 ---------------------------------------------------------------------------- */

static int bgp6_len(void)
{
	static const struct {
		int permille, len;
	} dist[] = {{500, 48}, {120, 32}, {80, 44}, {60, 40}, {30, 36}, {30, 29}, {60, 46}, {50, 34}, {30, 42}};
	int x = (int)(rnd() % 1000);
	for (size_t i = 0; i < RT_ARRAY_SIZE(dist); i++)
		if ((x -= dist[i].permille) < 0)
			return dist[i].len;
	return 49 + (int)(rnd() % 16);   /* 4 %: /49-/64 */
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	return x ^ (x >> 27);
}

/* A distinct IPv6 prefix under one of 4096 /32 allocations in 2000::/3. */
static struct mig_fib_route gen_pfx6(struct pset *s)
{
	static uint32_t alloc[4096];
	if (!alloc[0])
		for (int i = 0; i < 4096; i++)
			alloc[i] = 0x20000000u | ((uint32_t)rnd() & 0x1fffffffu);
	for (;;) {
		struct mig_fib_route r = {.af = 6, .len = (uint8_t)bgp6_len()};
		uint32_t a = alloc[rnd() % 4096];
		for (int k = 0; k < 4; k++)
			r.addr[k] = (uint8_t)(a >> (24 - 8 * k));
		for (int k = 4; k < 16; k++)
			r.addr[k] = (uint8_t)rnd();
		for (unsigned b = r.len; b < 128; b++)
			r.addr[b >> 3] &= (uint8_t)~(0x80 >> (b & 7));
		uint64_t hi = 0, lo = 0;
		for (int k = 0; k < 8; k++)
			hi = hi << 8 | r.addr[k], lo = lo << 8 | r.addr[8 + k];
		uint64_t key = mix(hi ^ mix(lo + r.len)) | 1;
		uint32_t i = (uint32_t)(key >> 20) & s->mask;
		bool dup = false;
		for (; s->slot[i]; i = (i + 1) & s->mask)
			if (s->slot[i] == key)
				dup = true;
		if (dup)
			continue;
		s->slot[i] = key;
		return r;
	}
}

static struct fibset gen_fibs6(uint32_t nfib, uint32_t n)
{
	struct fibset fs = {nfib, n, calloc((size_t)nfib * n, sizeof(struct mig_fib_route))};
	uint32_t size = 1;
	while (size < 4 * nfib * n)
		size *= 2;
	struct pset s = {calloc(size, sizeof(uint64_t)), size - 1};
	uint32_t nshared = n * 9 / 10;
	for (uint32_t i = 0; i < nshared; i++) {
		struct mig_fib_route r = gen_pfx6(&s);
		r.nh = (uint32_t)(rnd() % 65536);
		for (uint32_t f = 0; f < nfib; f++) {
			r.fib = f;
			fs.r[(size_t)f * n + i] = r;
		}
	}
	for (uint32_t f = 0; f < nfib; f++)
		for (uint32_t i = nshared; i < n; i++) {
			struct mig_fib_route r = gen_pfx6(&s);
			r.fib = f;
			r.nh = (uint32_t)(rnd() % 65536);
			fs.r[(size_t)f * n + i] = r;
		}
	free(s.slot);
	return fs;
}

/* rte_lpm6 needs a tbl8 group per distinct 24 + 8 j bit prefix that a
 * longer route extends: count them (a hash set of truncated prefixes). */
static uint32_t lpm6_tbl8s(const struct mig_fib_route *r, uint32_t n)
{
	uint32_t size = 1, count = 0;
	while (size < 16 * n)
		size *= 2;
	struct pset s = {calloc(size, sizeof(uint64_t)), size - 1};
	for (uint32_t i = 0; i < n; i++)
		for (unsigned d = 24; d < r[i].len; d += 8) {
			uint64_t hi = 0, lo = 0;
			for (unsigned k = 0; k < 16; k++) {
				uint8_t b = k < d / 8 ? r[i].addr[k] : 0;
				if (k < 8)
					hi = hi << 8 | b;
				else
					lo = lo << 8 | b;
			}
			uint64_t key = mix(hi ^ mix(lo + d)) | 1;
			uint32_t j = (uint32_t)(key >> 20) & s.mask;
			bool dup = false;
			for (; s.slot[j]; j = (j + 1) & s.mask)
				if (s.slot[j] == key)
					dup = true;
			if (!dup) {
				s.slot[j] = key;
				count++;
			}
		}
	free(s.slot);
	return count;
}

static int bench_fib6(uint32_t n)
{
	struct fibset fs = gen_fibs6(16, n);
	struct mig_fib *f = load(&fs);
	double ms;
	struct mig_fib_trie *t = build(f, 0, &ms);
	struct rte_lpm6 *lpm[16];
	size_t before = heap_bytes();
	for (uint32_t x = 0; x < 16; x++) {
		const struct mig_fib_route *r = fs.r + (size_t)x * n;
		struct rte_lpm6_config c = {.max_rules = n, .number_tbl8s = lpm6_tbl8s(r, n) + 16};
		char name[32];
		snprintf(name, sizeof(name), "bp6_%u", x);
		if (!(lpm[x] = rte_lpm6_create(name, SOCKET_ID_ANY, &c))) {
			fprintf(stderr, "bench_placement: rte_lpm6_create: out of DPDK memory\n");
			return 1;
		}
		for (uint32_t i = 0; i < n; i++)
			if (rte_lpm6_add(lpm[x], r[i].addr, r[i].len, r[i].nh) < 0) {
				fprintf(stderr, "bench_placement: rte_lpm6_add failed\n");
				return 1;
			}
	}
	size_t lpm_bytes = heap_bytes() - before;
	bench("fib16_v6_build_ms", ms, "ms");
	bench("fib16_v6_trie_mb", (double)mig_fib_trie_bytes(t) / 1048576.0, "MiB");
	bench("fib16_v6_rte_lpm6_mb", (double)lpm_bytes / 1048576.0, "MiB");
	bench("fib16_v6_memory_vs_rte_lpm6", (double)mig_fib_trie_bytes(t) / (double)lpm_bytes, "ratio");
	/* lookups: inside a route 9 times in 10 */
	const uint32_t nq = NQ / 4;
	uint32_t *fib = malloc(nq * 4), *w = malloc(nq * 16), *o1 = malloc(nq * 4), *o2 = malloc(nq * 4);
	uint8_t(*a)[16] = malloc(nq * 16);
	for (uint32_t i = 0; i < nq; i++) {
		fib[i] = (uint32_t)(rnd() % 16);
		const struct mig_fib_route *r = &fs.r[(size_t)fib[i] * n + rnd() % n];
		for (int k = 0; k < 16; k++)
			a[i][k] = (uint8_t)rnd();
		if (rnd() % 10)
			for (unsigned b = 0; b < r->len; b++)
				a[i][b >> 3] = (uint8_t)((a[i][b >> 3] & ~(0x80 >> (b & 7))) | (r->addr[b >> 3] & (0x80 >> (b & 7))));
		for (int k = 0; k < 4; k++)
			w[4 * i + k] = (uint32_t)a[i][4 * k] << 24 | a[i][4 * k + 1] << 16 | a[i][4 * k + 2] << 8 |
				       a[i][4 * k + 3];
	}
	uint64_t t0 = rt_now_ns();
	for (int p = 0; p < 4; p++)
		for (uint32_t i = 0; i < nq; i += 64)
			mig_fib_lookup6_batch(t, fib + i, w + 4 * i, o1 + i, RT_MIN(64u, nq - i));
	double m1 = (double)nq * 4 / (double)(rt_now_ns() - t0) * 1e3;
	t0 = rt_now_ns();
	for (int p = 0; p < 4; p++)
		for (uint32_t i = 0; i < nq; i++)
			if (rte_lpm6_lookup(lpm[fib[i]], a[i], &o2[i]) < 0)
				o2[i] = MIG_FIB_NONE;
	double m2 = (double)nq * 4 / (double)(rt_now_ns() - t0) * 1e3;
	size_t bad = 0;
	for (uint32_t i = 0; i < nq; i++)
		bad += o1[i] != o2[i];
	if (bad) {
		fprintf(stderr, "bench_placement: IPv6: %zu of %u lookups differ from rte_lpm6's\n", bad, nq);
		return 1;
	}
	bench("fib16_v6_cpu_mlookups", m1, "Mlookups/s");
	bench("fib16_v6_rte_lpm6_mlookups", m2, "Mlookups/s");
	for (uint32_t x = 0; x < 16; x++)
		rte_lpm6_free(lpm[x]);
	mig_fib_trie_free(t);
	mig_fib_free(f);
	free(fs.r);
	free(fib);
	free(w);
	free(o1);
	free(o2);
	free(a);
	return 0;
}

/* ---- the same lookups on an offloaded placement ------------------------------------ */

struct dev_slot {
	struct mig_mem *fib, *addr, *out;
	uint32_t *hfib, *haddr, *hout;
	struct mig_job job;
	uint32_t first;   /* query index of the batch, UINT32_MAX when idle */
};

/* Mlookups/s of NQ queries in batches of b, or <0. */
static double dev_run(enum mig_kind k, struct mig_queue *q, struct dev_slot *sl, const uint32_t *fib,
		      const uint32_t *addr, const uint32_t *want, uint32_t b)
{
	size_t bad = 0;
	uint32_t next = 0, done = 0, turn = 0;
	for (int i = 0; i < DEV_INFLIGHT; i++)
		sl[i].first = UINT32_MAX;
	uint64_t t0 = rt_now_ns();
	while (done < NQ) {
		struct dev_slot *s = &sl[turn];
		if (s->first != UINT32_MAX) {
			if (mig_job_wait(q, &s->job) != 1) {
				fprintf(stderr, "bench_placement: %s: a job failed\n", mig_kind_name(k));
				return -1;
			}
			uint32_t n = s->job.n;
			for (uint32_t i = 0; i < n; i++)
				bad += s->hout[i] != want[s->first + i];
			done += n;
			s->first = UINT32_MAX;
		}
		if (next < NQ) {
			uint32_t n = RT_MIN(b, NQ - next);
			memcpy(s->hfib, fib + next, n * 4);
			memcpy(s->haddr, addr + next, n * 4);
			s->job.n = n;
			s->job.args[6] = MIG_U32(n);
			s->job.in[0].len = s->job.in[1].len = s->job.out[0].len = n * 4;
			if (mig_job_submit(q, &s->job) < 0) {
				fprintf(stderr, "bench_placement: %s: submit failed\n", mig_kind_name(k));
				return -1;
			}
			s->first = next;
			next += n;
		}
		turn = (turn + 1) % DEV_INFLIGHT;
	}
	double mlps = (double)NQ / (double)(rt_now_ns() - t0) * 1e3;
	if (bad) {
		fprintf(stderr, "bench_placement: %s: %zu lookups differ from the cpu's\n", mig_kind_name(k), bad);
		return -1;
	}
	return mlps;
}

struct fib_run {
	enum mig_kind k;
	struct mig_queue *q;
	struct dev_slot *sl;
	const uint32_t *fib, *addr, *want;
};

static double fib_run(void *ctx, uint32_t b)
{
	struct fib_run *c = ctx;
	return dev_run(c->k, c->q, c->sl, c->fib, c->addr, c->want, b);
}

static int bench_fib_dev(enum mig_kind k, const struct mig_fib_trie *t, const uint32_t *fib, const uint32_t *addr,
			 const uint32_t *want)
{
	static const uint32_t batches[] = {1024, 8192, 65536};
	struct rt_err err;
	rt_err_clear(&err);
	if (mig_available(k, &err) < 0) {
		fprintf(stderr, "bench_placement: %s skipped: %s\n", mig_kind_name(k), err.msg);
		return 0;
	}
	struct mig_dev *d;
	struct mig_prog *p;
	struct mig_kernel *kn;
	struct mig_queue *q;
	struct mig_mem *tab, *nh;
	if (mig_dev_open(k, &d, &err) < 0)
		return dev_fail(k, "open", &err);
	fprintf(stderr, "bench_placement: %s: %s\n", mig_kind_name(k), mig_dev_desc(d));
	if (mig_prog_build(d, "fib", &p, &err) < 0 || mig_kernel_get(p, "fib_lookup4", &kn, &err) < 0 ||
	    mig_queue_open(d, &q, &err) < 0 || mig_mem_alloc(d, (size_t)t->ntab * 4, &tab, &err) < 0 ||
	    mig_mem_alloc(d, (size_t)t->nvec * t->nfib * 4, &nh, &err) < 0 ||
	    mig_mem_write(tab, 0, t->tab, (size_t)t->ntab * 4, &err) < 0 ||
	    mig_mem_write(nh, 0, t->nh, (size_t)t->nvec * t->nfib * 4, &err) < 0)
		return dev_fail(k, "setup", &err);
	struct dev_slot sl[DEV_INFLIGHT];
	uint32_t bmax = batches[RT_ARRAY_SIZE(batches) - 1];
	for (int i = 0; i < DEV_INFLIGHT; i++) {
		struct dev_slot *s = &sl[i];
		if (mig_mem_alloc(d, bmax * 4, &s->fib, &err) < 0 || mig_mem_alloc(d, bmax * 4, &s->addr, &err) < 0 ||
		    mig_mem_alloc(d, bmax * 4, &s->out, &err) < 0)
			return dev_fail(k, "buffers", &err);
		s->hfib = mig_host_alloc(d, bmax * 4);
		s->haddr = mig_host_alloc(d, bmax * 4);
		s->hout = mig_host_alloc(d, bmax * 4);
		if (!s->hfib || !s->haddr || !s->hout) {
			fprintf(stderr, "bench_placement: %s: no pinned host memory\n", mig_kind_name(k));
			return -1;
		}
		s->job = (struct mig_job){.k = kn, .nargs = 7, .nin = 2, .nout = 1};
		s->job.args[0] = MIG_MEM(tab);
		s->job.args[1] = MIG_MEM(nh);
		s->job.args[2] = MIG_U32(t->nfib);
		s->job.args[3] = MIG_MEM(s->fib);
		s->job.args[4] = MIG_MEM(s->addr);
		s->job.args[5] = MIG_MEM(s->out);
		s->job.in[0] = (struct mig_copy){s->fib, 0, 0, s->hfib};
		s->job.in[1] = (struct mig_copy){s->addr, 0, 0, s->haddr};
		s->job.out[0] = (struct mig_copy){s->out, 0, 0, s->hout};
	}
	struct fib_run fr = {k, q, sl, fib, addr, want};
	int rc = sweep(k, "fib16", batches, RT_ARRAY_SIZE(batches), fib_run, &fr);
	for (int i = 0; i < DEV_INFLIGHT; i++) {
		mig_mem_free(sl[i].fib);
		mig_mem_free(sl[i].addr);
		mig_mem_free(sl[i].out);
		mig_host_free(d, sl[i].hfib);
		mig_host_free(d, sl[i].haddr);
		mig_host_free(d, sl[i].hout);
	}
	mig_mem_free(tab);
	mig_mem_free(nh);
	mig_queue_close(q);
	mig_kernel_free(kn);
	mig_prog_free(p);
	mig_dev_close(d);
	return rc;
}

static int bench_fib(uint32_t n)
{
	static const uint32_t nfibs[] = {1, 4, 16};
	char name[64];
	uint32_t *fib = malloc(NQ * 4), *addr = malloc(NQ * 4), *o1 = malloc(NQ * 4), *o2 = malloc(NQ * 4);
	for (size_t k = 0; k < RT_ARRAY_SIZE(nfibs); k++) {
		uint32_t nfib = nfibs[k];
		struct fibset fs = gen_fibs(nfib, n, true);
		struct mig_fib *f = load(&fs);
		double ms;
		struct mig_fib_trie *t = build(f, 10, &ms);
		size_t lpm_bytes;
		struct rte_lpm *lpm[16];
		if (lpm_build(&fs, lpm, &lpm_bytes) < 0)
			return 1;
		snprintf(name, sizeof(name), "fib%u_build_ms", nfib);
		bench(name, ms, "ms");
		snprintf(name, sizeof(name), "fib%u_trie_mb", nfib);
		bench(name, (double)mig_fib_trie_bytes(t) / 1048576.0, "MiB");
		snprintf(name, sizeof(name), "fib%u_rte_lpm_mb", nfib);
		bench(name, (double)lpm_bytes / 1048576.0, "MiB");
		snprintf(name, sizeof(name), "fib%u_memory_vs_rte_lpm", nfib);
		bench(name, (double)mig_fib_trie_bytes(t) / (double)lpm_bytes, "ratio");

		gen_queries(&fs, fib, addr);
		double a = mlookups_trie(t, fib, addr, o1, 4);
		double b = mlookups_lpm(lpm, fib, addr, o2, 4);
		size_t bad = 0;
		for (uint32_t i = 0; i < NQ; i++)
			bad += o1[i] != o2[i];
		if (bad) {
			fprintf(stderr, "bench_placement: %zu of %u lookups differ from rte_lpm's\n", bad, NQ);
			return 1;
		}
		snprintf(name, sizeof(name), "fib%u_cpu_mlookups", nfib);
		bench(name, a, "Mlookups/s");
		snprintf(name, sizeof(name), "fib%u_rte_lpm_mlookups", nfib);
		bench(name, b, "Mlookups/s");
		if (nfib == 16) {
			bench("fib16_update_us", update_us(f, t, &fs, 2000), "us");
			/* after the updates the trie still agrees with rte_lpm */
			mlookups_trie(t, fib, addr, o1, 1);
			for (uint32_t i = 0; i < NQ; i++)
				bad += o1[i] != o2[i];
			if (bad) {
				fprintf(stderr, "bench_placement: after updates %zu lookups differ\n", bad);
				return 1;
			}
			if (bench_fib_dev(MIG_OPENCL, t, fib, addr, o2) < 0 || bench_fib_dev(MIG_CUDA, t, fib, addr, o2) < 0)
				return 1;
		}
		for (uint32_t i = 0; i < nfib; i++)
			rte_lpm_free(lpm[i]);
		mig_fib_trie_free(t);
		mig_fib_free(f);
		if (nfib == 16) {
			/* The same prefixes, but every FIB has its own next hop for
			 * each shared prefix: fewer vectors are shared (the rte_lpm
			 * tables would be the same size). */
			for (uint32_t x = 0; x < nfib; x++)
				for (uint32_t i = 0; i < n * 9 / 10; i++)
					fs.r[(size_t)x * n + i].nh = (uint32_t)(rnd() % 65536);
			f = load(&fs);
			t = build(f, 0, &ms);
			bench("fib16_own_nh_memory_vs_rte_lpm", (double)mig_fib_trie_bytes(t) / (double)lpm_bytes, "ratio");
			mig_fib_trie_free(t);
			mig_fib_free(f);
		}
		free(fs.r);
	}
	free(fib);
	free(addr);
	free(o1);
	free(o2);
	return 0;
}

/* Free hugepage memory in MiB (/proc/meminfo), 0 when unknown. */
static long hugepages_free_mb(void)
{
	FILE *fp = fopen("/proc/meminfo", "r");
	char line[128];
	long free_pages = 0, kb = 0;
	while (fp && fgets(line, sizeof(line), fp)) {
		sscanf(line, "HugePages_Free: %ld", &free_pages);
		sscanf(line, "Hugepagesize: %ld kB", &kb);
	}
	if (fp)
		fclose(fp);
	return free_pages * kb / 1024;
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	struct rt_err err;
	rt_err_clear(&err);
	/* 16 rte_lpm6 tables of 100 K routes take several GiB: without
	 * hugepages, ask for it (touched only as used). */
	char eal[256];
	snprintf(eal, sizeof(eal),
		 "-l 0 --no-huge -m 8192 --no-pci --no-shconf --no-telemetry --file-prefix=mbxbp%d --log-level=error",
		 (int)getpid());
	if (rt_eal_init(hugepages_free_mb() >= 8192 ? NULL : eal, 1, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	return bench_fib(n) || bench_fib6(n);
}
