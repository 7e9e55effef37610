/*
 * gpucheck.c - the CUDA (and OpenCL) placements on a real device, with no
 * DPDK, libuv or cmocka: a program small enough to carry to a GPU machine
 * (see docs/placement.md).  For each available offloaded placement it
 * runs every kernel over the same inputs as the cpu and compares the
 * bytes, then prints figures as `BENCH placement <name> <value> <unit>`.
 * Exit status 0 when every available placement agreed with the cpu; 77
 * (skipped) when none is available.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mig.h"
#include "mig_ac.h"
#include "mig_fib.h"
#include "mig_cls.h"
#include "kernels/fiblookup.h"
#include "kernels/selftest.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int fail(const char *what, const struct rt_err *err)
{
	fprintf(stderr, "gpucheck: %s: %s\n", what, err->msg);
	return 1;
}

/* selftest_mix over n items, compared with the C build, and timed. */
static int check_selftest(enum mig_kind k, struct mig_dev *d)
{
	struct rt_err err;
	rt_err_clear(&err);
	const uint32_t n = 1u << 22;
	struct mig_prog *p;
	struct mig_kernel *kn;
	struct mig_queue *q;
	struct mig_mem *din, *dout;
	if (mig_prog_build(d, "selftest", &p, &err) < 0 || mig_kernel_get(p, "selftest_mix", &kn, &err) < 0 ||
	    mig_queue_open(d, &q, &err) < 0 || mig_mem_alloc(d, n * 4ull, &din, &err) < 0 ||
	    mig_mem_alloc(d, n * 4ull, &dout, &err) < 0)
		return fail("selftest setup", &err);
	uint32_t *in = mig_host_alloc(d, n * 4ull), *out = mig_host_alloc(d, n * 4ull);
	for (uint32_t i = 0; i < n; i++)
		in[i] = i * 2654435761u;
	struct mig_job j = { .k = kn, .n = n, .nargs = 4, .nin = 1, .nout = 1 };
	j.args[0] = MIG_MEM(din);
	j.args[1] = MIG_MEM(dout);
	j.args[2] = MIG_U32(77);
	j.args[3] = MIG_U32(n);
	j.in[0] = (struct mig_copy){ din, 0, n * 4ull, in };
	j.out[0] = (struct mig_copy){ dout, 0, n * 4ull, out };
	double best = 1e9;
	for (int rep = 0; rep < 5; rep++) {
		double t0 = now_s();
		if (mig_job_submit(q, &j) < 0 || mig_job_wait(q, &j) != 1) {
			fprintf(stderr, "gpucheck: %s selftest job failed\n", mig_kind_name(k));
			return 1;
		}
		double t = now_s() - t0;
		best = t < best ? t : best;
	}
	for (uint32_t i = 0; i < n; i++)
		if (out[i] != mig_selftest_mix(in[i], 77)) {
			fprintf(stderr, "gpucheck: %s selftest differs at %u: %08x != %08x\n", mig_kind_name(k), i,
				out[i], mig_selftest_mix(in[i], 77));
			return 1;
		}
	printf("BENCH placement selftest_%s_mitems %.1f Mitem/s\n", mig_kind_name(k), n / best / 1e6);
	printf("BENCH placement selftest_%s_transfer_gbps %.1f GB/s\n", mig_kind_name(k), n * 8.0 / best / 1e9);
	mig_host_free(d, in);
	mig_host_free(d, out);
	mig_mem_free(din);
	mig_mem_free(dout);
	mig_queue_close(q);
	mig_kernel_free(kn);
	mig_prog_free(p);
	return 0;
}

static uint32_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint32_t)(*x >> 11);
}

/* 16 FIBs of ~100K IPv4 prefixes that overlap by 90%: the FIBLookup kernel
 * over 1 M lookups, by offload batch size, two batches in flight, against
 * the cpu build of the same lookup. */
#define FIB_N 16
#define FIB_ROUTES 100000
#define FIB_Q (1u << 20)
static struct mig_fib_trie *fib_trie;
static uint32_t *fib_in, *fib_ref;

static int fib_setup(void)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct mig_fib *f;
	if (mig_fib_new(FIB_N, &f, &err) < 0)
		return fail("fib", &err);
	uint64_t x = 88172645463325252ull;
	uint32_t *pfx = malloc(sizeof(uint32_t) * FIB_ROUTES * 2);
	for (int i = 0; i < FIB_ROUTES; i++) {
		int len = 16 + (int)(rnd(&x) % 9);
		uint32_t a = rnd(&x) & (~0u << (32 - len));
		pfx[2 * i] = a, pfx[2 * i + 1] = (uint32_t)len;
		for (uint32_t fib = 0; fib < FIB_N; fib++) {
			/* 90% of the prefixes in every FIB, same next hop; the
			 * rest each FIB's own */
			bool shared = i % 10 != 0;
			if (!shared && (uint32_t)i % FIB_N != fib)
				continue;
			struct mig_fib_route r = mig_fib_route4(fib, a, len, shared ? (uint32_t)i % 256 : fib);
			if (mig_fib_add(f, &r, &err) < 0)
				rt_err_clear(&err); /* duplicate prefix: keep the first */
		}
	}
	double t0 = now_s();
	if (mig_fib_trie_build(f, 0, &fib_trie, &err) < 0)
		return fail("fib trie", &err);
	printf("BENCH placement gpucheck_fib16_build_ms %.1f ms\n", (now_s() - t0) * 1e3);
	printf("BENCH placement gpucheck_fib16_bytes %zu bytes\n", mig_fib_trie_bytes(fib_trie));
	fib_in = malloc(sizeof(uint32_t) * MIG_FIBLOOKUP_WORDS * FIB_Q);
	fib_ref = malloc(sizeof(uint32_t) * FIB_Q);
	for (uint32_t i = 0; i < FIB_Q; i++) {
		uint32_t k = rnd(&x) % FIB_ROUTES;
		uint32_t *w = fib_in + MIG_FIBLOOKUP_WORDS * i;
		w[0] = rnd(&x) % FIB_N;
		w[1] = pfx[2 * k] | (rnd(&x) & ~(~0u << (32 - pfx[2 * k + 1])));
		w[2] = w[3] = w[4] = 0;
	}
	t0 = now_s();
	for (uint32_t i = 0; i < FIB_Q; i++)
		fib_ref[i] = mig_fiblookup_one(fib_trie->tab, fib_trie->nh, fib_trie->nfib, fib_in + MIG_FIBLOOKUP_WORDS * i);
	printf("BENCH placement gpucheck_fib16_cpu_mlookups %.1f Mlookup/s\n", FIB_Q / (now_s() - t0) / 1e6);
	free(pfx);
	mig_fib_free(f);
	return 0;
}

static int check_fib(enum mig_kind k, struct mig_dev *d)
{
	struct rt_err err;
	rt_err_clear(&err);
	const struct mig_fib_trie *t = fib_trie;
	struct mig_prog *p;
	struct mig_kernel *kn;
	struct mig_queue *q;
	struct mig_mem *dtab, *dnh, *din[2], *dout[2], *dblob;
	if (mig_prog_build(d, "fiblookup", &p, &err) < 0 || mig_kernel_get(p, "fiblookup", &kn, &err) < 0 ||
	    mig_queue_open(d, &q, &err) < 0 || mig_mem_alloc(d, (size_t)t->ntab * 4, &dtab, &err) < 0 ||
	    mig_mem_alloc(d, (size_t)t->nvec * t->nfib * 4, &dnh, &err) < 0 ||
	    mig_mem_write(dtab, 0, t->tab, (size_t)t->ntab * 4, &err) < 0 ||
	    mig_mem_write(dnh, 0, t->nh, (size_t)t->nvec * t->nfib * 4, &err) < 0 || mig_mem_alloc(d, 4, &dblob, &err) < 0)
		return fail("fib setup", &err);
	uint32_t *hin = mig_host_alloc(d, (size_t)FIB_Q * MIG_FIBLOOKUP_WORDS * 4);
	uint32_t *hout = mig_host_alloc(d, (size_t)FIB_Q * 4);
	memcpy(hin, fib_in, (size_t)FIB_Q * MIG_FIBLOOKUP_WORDS * 4);
	static const uint32_t batches[] = { 1024, 8192, 65536, FIB_Q };
	for (size_t bi = 0; bi < sizeof(batches) / sizeof(batches[0]); bi++) {
		uint32_t b = batches[bi];
		for (int s = 0; s < 2; s++)
			if (mig_mem_alloc(d, (size_t)b * MIG_FIBLOOKUP_WORDS * 4, &din[s], &err) < 0 ||
			    mig_mem_alloc(d, (size_t)b * 4, &dout[s], &err) < 0)
				return fail("fib buffers", &err);
		memset(hout, 0xee, (size_t)FIB_Q * 4);
		struct mig_job j[2];
		double best = 1e9, kshare = 0;
		for (int rep = 0; rep < 3; rep++) {
			uint64_t kns = 0;
			double t0 = now_s();
			for (uint32_t off = 0, s = 0; off < FIB_Q; off += b, s ^= 1) {
				struct mig_job *jb = &j[s];
				if (off >= 2 * b) {
					if (mig_job_wait(q, jb) != 1)
						return fail("fib job", &err);
					kns += jb->kernel_ns;
				}
				memset(jb, 0, sizeof(*jb));
				jb->k = kn, jb->n = b, jb->nargs = 7, jb->nin = 1, jb->nout = 1;
				jb->args[0] = MIG_MEM(din[s]), jb->args[1] = MIG_MEM(dblob), jb->args[2] = MIG_MEM(dout[s]);
				jb->args[3] = MIG_U32(b), jb->args[4] = MIG_MEM(dtab), jb->args[5] = MIG_MEM(dnh);
				jb->args[6] = MIG_U32(t->nfib);
				jb->in[0] = (struct mig_copy){ din[s], 0, (size_t)b * MIG_FIBLOOKUP_WORDS * 4,
							       hin + (size_t)off * MIG_FIBLOOKUP_WORDS };
				jb->out[0] = (struct mig_copy){ dout[s], 0, (size_t)b * 4, hout + off };
				if (mig_job_submit(q, jb) < 0) {
					fprintf(stderr, "gpucheck: fib submit failed\n");
					return 1;
				}
			}
			for (int s = 0; s < 2 && FIB_Q / b >= (uint32_t)s + 1; s++) {
				mig_job_wait(q, &j[s]);
				kns += j[s].kernel_ns;
			}
			double dt = now_s() - t0;
			if (dt < best)
				best = dt, kshare = kns / 1e9 / dt;
		}
		for (uint32_t i = 0; i < FIB_Q; i++)
			if (hout[i] != fib_ref[i]) {
				fprintf(stderr, "gpucheck: %s fib lookup %u differs: %u != %u\n", mig_kind_name(k), i,
					hout[i], fib_ref[i]);
				return 1;
			}
		printf("BENCH placement gpucheck_fib16_%s_mlookups_b%u %.1f Mlookup/s\n", mig_kind_name(k), b,
		       FIB_Q / best / 1e6);
		printf("BENCH placement gpucheck_fib16_%s_kernel_share_b%u %.2f ratio\n", mig_kind_name(k), b, kshare);
		for (int s = 0; s < 2; s++) {
			mig_mem_free(din[s]);
			mig_mem_free(dout[s]);
		}
	}
	mig_host_free(d, hin);
	mig_host_free(d, hout);
	mig_mem_free(dtab);
	mig_mem_free(dnh);
	mig_mem_free(dblob);
	mig_queue_close(q);
	mig_kernel_free(kn);
	mig_prog_free(p);
	return 0;
}

/* The big classifier: 10 K ClassBench-like acl rules, 1 M keys of a
 * generated trace; the cls_lookup kernel by batch size, two batches in
 * flight, against the cpu build of the same lookup (itself checked against
 * brute force on the first keys). */
#define CLS_RULES 10000
#define CLS_Q (1u << 20)
static struct mig_cls_flat *cls_flat;
static uint32_t *cls_in, *cls_ref;

static int cls_setup(void)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct cls_ruleset rs;
	cls_ruleset_init(&rs);
	cls_gen_rules(CLS_SHAPE_ACL, CLS_RULES, 16, 1, &rs);
	struct mig_cls_set s;
	mig_cls_set_init(&s);
	for (uint32_t i = 0; i < rs.n; i++)
		if (mig_cls_set_put(&s, i, &rs.r[i], &err) < 0)
			return fail("cls", &err);
	double t0 = now_s();
	if (mig_cls_flat_build(&s, &cls_flat, &err) < 0)
		return fail("cls flat form", &err);
	printf("BENCH placement gpucheck_cls10k_build_ms %.1f ms\n", (now_s() - t0) * 1e3);
	printf("BENCH placement gpucheck_cls10k_bytes %zu bytes\n", mig_cls_flat_bytes(cls_flat));
	struct cls_key *keys = malloc(sizeof(*keys) * CLS_Q);
	cls_gen_trace(rs.r, rs.n, CLS_Q, 5, 2, keys);
	cls_in = malloc(16ull * CLS_Q);
	cls_ref = malloc(8ull * CLS_Q);
	for (uint32_t i = 0; i < CLS_Q; i++)
		mig_cls_key_rec(&keys[i], cls_in + 4ull * i);
	t0 = now_s();
	mig_cls_lookup_batch(cls_flat, cls_in, cls_ref, CLS_Q);
	printf("BENCH placement gpucheck_cls10k_cpu_mlookups %.1f Mlookup/s\n", CLS_Q / (now_s() - t0) / 1e6);
	int bad = 0;
	for (uint32_t i = 0; i < 4096; i++) {
		uint32_t want = cls_linear_lookup(rs.r, rs.n, &keys[i]);
		if (cls_ref[2 * i] != want) {
			fprintf(stderr, "gpucheck: cls key %u: the flat form says rule %u, brute force %u\n", i,
				cls_ref[2 * i], want);
			bad = 1;
			break;
		}
	}
	free(keys);
	mig_cls_set_free(&s);
	cls_ruleset_free(&rs);
	return bad;
}

static int check_cls(enum mig_kind k, struct mig_dev *d)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct mig_prog *p;
	struct mig_kernel *kn;
	struct mig_queue *q;
	struct mig_mem *dw, *din[2], *dout[2];
	if (mig_prog_build(d, "cls", &p, &err) < 0 || mig_kernel_get(p, "cls_lookup", &kn, &err) < 0 ||
	    mig_queue_open(d, &q, &err) < 0 || mig_mem_alloc(d, mig_cls_flat_bytes(cls_flat), &dw, &err) < 0 ||
	    mig_mem_write(dw, 0, cls_flat->w, mig_cls_flat_bytes(cls_flat), &err) < 0)
		return fail("cls setup", &err);
	uint32_t *hin = mig_host_alloc(d, 16ull * CLS_Q), *hout = mig_host_alloc(d, 8ull * CLS_Q);
	memcpy(hin, cls_in, 16ull * CLS_Q);
	static const uint32_t batches[] = { 1024, 8192, 65536, CLS_Q };
	for (size_t bi = 0; bi < sizeof(batches) / sizeof(batches[0]); bi++) {
		uint32_t b = batches[bi];
		for (int s = 0; s < 2; s++)
			if (mig_mem_alloc(d, 16ull * b, &din[s], &err) < 0 || mig_mem_alloc(d, 8ull * b, &dout[s], &err) < 0)
				return fail("cls buffers", &err);
		memset(hout, 0xee, 8ull * CLS_Q);
		struct mig_job j[2];
		double best = 1e9, kshare = 0;
		for (int rep = 0; rep < 3; rep++) {
			uint64_t kns = 0;
			double t0 = now_s();
			for (uint32_t off = 0, s = 0; off < CLS_Q; off += b, s ^= 1) {
				struct mig_job *jb = &j[s];
				if (off >= 2 * b) {
					if (mig_job_wait(q, jb) != 1)
						return fail("cls job", &err);
					kns += jb->kernel_ns;
				}
				memset(jb, 0, sizeof(*jb));
				jb->k = kn, jb->n = b, jb->nargs = 4, jb->nin = 1, jb->nout = 1;
				jb->args[0] = MIG_MEM(dw), jb->args[1] = MIG_MEM(din[s]), jb->args[2] = MIG_MEM(dout[s]);
				jb->args[3] = MIG_U32(b);
				jb->in[0] = (struct mig_copy){ din[s], 0, 16ull * b, hin + 4ull * off };
				jb->out[0] = (struct mig_copy){ dout[s], 0, 8ull * b, hout + 2ull * off };
				if (mig_job_submit(q, jb) < 0) {
					fprintf(stderr, "gpucheck: cls submit failed\n");
					return 1;
				}
			}
			for (int s = 0; s < 2 && CLS_Q / b >= (uint32_t)s + 1; s++) {
				mig_job_wait(q, &j[s]);
				kns += j[s].kernel_ns;
			}
			double dt = now_s() - t0;
			if (dt < best)
				best = dt, kshare = kns / 1e9 / dt;
		}
		if (memcmp(hout, cls_ref, 8ull * CLS_Q)) {
			for (uint32_t i = 0; i < 2 * CLS_Q; i++)
				if (hout[i] != cls_ref[i]) {
					fprintf(stderr, "gpucheck: %s cls lookup %u differs: %u != %u\n", mig_kind_name(k),
						i / 2, hout[i], cls_ref[i]);
					break;
				}
			return 1;
		}
		printf("BENCH placement gpucheck_cls10k_%s_mlookups_b%u %.1f Mlookup/s\n", mig_kind_name(k), b,
		       CLS_Q / best / 1e6);
		printf("BENCH placement gpucheck_cls10k_%s_kernel_share_b%u %.2f ratio\n", mig_kind_name(k), b, kshare);
		for (int s = 0; s < 2; s++) {
			mig_mem_free(din[s]);
			mig_mem_free(dout[s]);
		}
	}
	mig_host_free(d, hin);
	mig_host_free(d, hout);
	mig_mem_free(dw);
	mig_queue_close(q);
	mig_kernel_free(kn);
	mig_prog_free(p);
	return 0;
}

/* 1000 patterns over 16 K payloads of 1 KB: the ac_scan kernel against the
 * cpu scan, result for result. */
#define AC_N 16384
#define AC_LEN 1024
static struct mig_ac_dfa ac_dfa;
static uint8_t *ac_buf;
static const uint8_t *ac_p[AC_N];
static uint32_t ac_len[AC_N];
static struct mig_ac_res ac_ref[AC_N];

static int ac_setup(void)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct mig_ac_set set;
	mig_ac_set_init(&set);
	uint64_t x = 1234567;
	uint8_t pat[1000][16];
	int plen[1000];
	for (int i = 0; i < 1000; i++) {
		plen[i] = 4 + (int)(rnd(&x) % 13);
		for (int j = 0; j < plen[i]; j++)
			pat[i][j] = (uint8_t)('a' + rnd(&x) % 26);
		if (mig_ac_set_add(&set, (uint32_t)i + 1, pat[i], (size_t)plen[i], 0, &err) < 0)
			return fail("ac pattern", &err);
	}
	struct mig_ac_opts o = { 0 };
	if (mig_ac_build(&set, &o, &ac_dfa, &err) < 0)
		return fail("ac build", &err);
	mig_ac_set_free(&set);
	ac_buf = malloc((size_t)AC_N * AC_LEN);
	for (size_t i = 0; i < (size_t)AC_N * AC_LEN; i++)
		ac_buf[i] = (uint8_t)('a' + rnd(&x) % 26);
	for (int i = 0; i < AC_N; i++) {
		ac_p[i] = ac_buf + (size_t)i * AC_LEN;
		ac_len[i] = AC_LEN - rnd(&x) % 64;
		if (i % 3 == 0) { /* plant a pattern */
			int k = (int)(rnd(&x) % 1000);
			memcpy(ac_buf + (size_t)i * AC_LEN + rnd(&x) % 900, pat[k], (size_t)plen[k]);
		}
	}
	double t0 = now_s();
	mig_ac_scan_batch(&ac_dfa, AC_N, ac_p, ac_len, NULL, ac_ref);
	double dt = now_s() - t0;
	uint64_t bytes = 0;
	for (int i = 0; i < AC_N; i++)
		bytes += ac_len[i];
	printf("BENCH placement gpucheck_ac_cpu_gbps %.2f Gbit/s\n", bytes * 8 / dt / 1e9);
	return 0;
}

static int check_ac(enum mig_kind k)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct mig_ac_dev *a;
	if (mig_ac_dev_open(k, &ac_dfa, &a, &err) < 0)
		return fail("ac device", &err);
	static struct mig_ac_res res[AC_N];
	double best = 1e9;
	for (int rep = 0; rep < 3; rep++) {
		memset(res, 0xee, sizeof(res));
		double t0 = now_s();
		if (mig_ac_dev_scan(a, AC_N, ac_p, ac_len, NULL, res, NULL, &err) < 0)
			return fail("ac scan", &err);
		double dt = now_s() - t0;
		best = dt < best ? dt : best;
	}
	if (memcmp(res, ac_ref, sizeof(res))) {
		fprintf(stderr, "gpucheck: %s ac results differ from the cpu\n", mig_kind_name(k));
		return 1;
	}
	uint64_t bytes = 0;
	for (int i = 0; i < AC_N; i++)
		bytes += ac_len[i];
	printf("BENCH placement gpucheck_ac_%s_gbps %.2f Gbit/s\n", mig_kind_name(k), bytes * 8 / best / 1e9);
	mig_ac_dev_close(a);
	return 0;
}

/* Per-flow scans (ac_scan_flows): the same payloads as 2048 flows, each
 * flow's records chained in order within the batch, states in device
 * memory; results and final states against the cpu build. */
static int check_ac_flows(enum mig_kind k, struct mig_dev *d)
{
	struct rt_err err;
	rt_err_clear(&err);
	enum { NFLOW = 2048 };
	size_t bytes = 0;
	for (int i = 0; i < AC_N; i++)
		bytes += ac_len[i];
	uint32_t *rec = malloc(sizeof(uint32_t) * 4 * AC_N), last[NFLOW];
	uint8_t *blob = malloc(bytes);
	static uint32_t st_ref[NFLOW], st_dev[NFLOW];
	static struct mig_ac_res ref[AC_N], res[AC_N];
	for (int f = 0; f < NFLOW; f++)
		last[f] = MIG_AC_NOFLOW, st_ref[f] = 0;
	size_t off = 0;
	for (uint32_t i = 0; i < AC_N; i++) {
		uint32_t f = i % NFLOW;
		memcpy(blob + off, ac_p[i], ac_len[i]);
		rec[4 * i] = (uint32_t)off, rec[4 * i + 1] = ac_len[i], rec[4 * i + 3] = MIG_AC_NOFLOW;
		off += ac_len[i];
		if (last[f] != MIG_AC_NOFLOW) {
			rec[4 * last[f] + 3] = i;
			rec[4 * i + 2] = f | MIG_AC_LINKED;
		} else {
			rec[4 * i + 2] = f | (i % 3 ? 0 : MIG_AC_FRESH);
		}
		last[f] = i;
	}
	for (int f = 0; f < NFLOW; f++)
		st_ref[f] = (uint32_t)f % ac_dfa.nstates; /* states left by earlier batches */
	memcpy(st_dev, st_ref, sizeof(st_dev));
	mig_ac_flow_records(&ac_dfa, rec, blob, ref, AC_N, st_ref);
	struct mig_prog *p;
	struct mig_kernel *kn;
	struct mig_queue *q;
	struct mig_mem *dd, *dst, *drec, *dblob, *dres;
	if (mig_prog_build(d, "ac", &p, &err) < 0 || mig_kernel_get(p, "ac_scan_flows", &kn, &err) < 0 ||
	    mig_queue_open(d, &q, &err) < 0 || mig_ac_dev_load(d, &ac_dfa, &dd, &err) < 0 ||
	    mig_mem_alloc(d, sizeof(st_dev), &dst, &err) < 0 || mig_mem_write(dst, 0, st_dev, sizeof(st_dev), &err) < 0 ||
	    mig_mem_alloc(d, sizeof(uint32_t) * 4 * AC_N, &drec, &err) < 0 || mig_mem_alloc(d, bytes, &dblob, &err) < 0 ||
	    mig_mem_alloc(d, sizeof(res), &dres, &err) < 0)
		return fail("ac flows setup", &err);
	struct mig_job j = { .k = kn, .n = AC_N, .nargs = 6, .nin = 2, .nout = 1 };
	j.args[0] = MIG_MEM(drec), j.args[1] = MIG_MEM(dblob), j.args[2] = MIG_MEM(dres), j.args[3] = MIG_U32(AC_N);
	j.args[4] = MIG_MEM(dd), j.args[5] = MIG_MEM(dst);
	j.in[0] = (struct mig_copy){ drec, 0, sizeof(uint32_t) * 4 * AC_N, rec };
	j.in[1] = (struct mig_copy){ dblob, 0, bytes, blob };
	j.out[0] = (struct mig_copy){ dres, 0, sizeof(res), res };
	double t0 = now_s();
	if (mig_job_submit(q, &j) < 0 || mig_job_wait(q, &j) != 1 || mig_mem_read(dst, 0, st_dev, sizeof(st_dev), &err) < 0)
		return fail("ac flows job", &err);
	double dt = now_s() - t0;
	if (memcmp(res, ref, sizeof(res)) || memcmp(st_dev, st_ref, sizeof(st_dev))) {
		fprintf(stderr, "gpucheck: %s per-flow ac results or states differ from the cpu\n", mig_kind_name(k));
		return 1;
	}
	printf("BENCH placement gpucheck_ac_flows_%s_gbps %.2f Gbit/s\n", mig_kind_name(k), bytes * 8 / dt / 1e9);
	mig_mem_free(dd), mig_mem_free(dst), mig_mem_free(drec), mig_mem_free(dblob), mig_mem_free(dres);
	mig_queue_close(q);
	mig_kernel_free(kn);
	mig_prog_free(p);
	free(rec);
	free(blob);
	return 0;
}

int main(int argc, char **argv)
{
	int ran = 0, bad = fib_setup() + ac_setup() + cls_setup();
	for (int k = MIG_OPENCL; k < MIG_NKINDS; k++) {
		if (argc > 1 && strcmp(argv[1], mig_kind_name(k)))
			continue;
		struct rt_err err;
		rt_err_clear(&err);
		struct mig_dev *d;
		if (mig_available(k, &err) < 0 || mig_dev_open(k, &d, &err) < 0) {
			printf("gpucheck: %s: skipped: %s\n", mig_kind_name(k), err.msg);
			continue;
		}
		printf("gpucheck: %s: %s\n", mig_kind_name(k), mig_dev_desc(d));
		ran++;
		bad += check_selftest(k, d);
		bad += check_fib(k, d);
		bad += check_cls(k, d);
		bad += check_ac(k);
		bad += check_ac_flows(k, d);
		mig_dev_close(d);
	}
	if (!ran)
		return 77;
	printf("gpucheck: %s\n", bad ? "FAILED" : "all placements agree with the cpu");
	return bad ? 1 : 0;
}
