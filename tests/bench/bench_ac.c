/*
 * bench_ac.c - the multi-pattern matcher's figures: automaton size and
 * build time for 100 and 10 K patterns, and scan throughput on each
 * placement available here, as `BENCH placement <name> <value> <unit>`.
 *
 * Patterns are random printable strings of 6 to 24 bytes, one in ten
 * case-insensitive (an IDS rule set's shape); the traffic is 1460-byte
 * payloads of random printable bytes with a pattern planted in one payload
 * in a hundred.  Throughput counts payload bytes scanned.
 *
 * Each offloaded placement available here (opencl: PoCL on this machine's
 * CPU, or a GPU's OpenCL; cuda) scans the same traffic in jobs of CHUNK
 * payloads; its results must equal the cpu's byte for byte (exit 1 if
 * not).  Its figure is end to end: packing the payloads, copies both ways
 * and the kernel, as an offload batch costs.
 *
 * Usage: bench_ac [MBYTES]   (traffic size, default 64)
 * Built with the placements alone (no DPDK) it runs on a GPU machine:
 * scripts in the report of the ac branch.
 */
#include <stdio.h>
#include <stdlib.h>

#include "migrate/mig_ac.h"

#define PAYLOAD 1460
#define CHUNK 65536

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void make_set(struct mig_ac_set *s, uint32_t n)
{
	struct rt_err err;
	uint8_t buf[32];
	mig_ac_set_init(s);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = 6 + rnd() % 19;
		for (uint32_t k = 0; k < len; k++)
			buf[k] = (uint8_t)(0x20 + rnd() % 95);
		rt_err_clear(&err);
		if (mig_ac_set_add(s, i, buf, len, rnd() % 10 ? 0 : MIG_AC_NOCASE, &err) < 0) {
			fprintf(stderr, "bench_ac: %s\n", err.msg);
			exit(1);
		}
	}
}

struct traffic {
	uint8_t *bytes;
	uint32_t n;
	const uint8_t **p;
	uint32_t *len;
	struct mig_ac_res *res;
};

static void make_traffic(struct traffic *t, size_t mbytes, const struct mig_ac_set *s)
{
	t->n = (uint32_t)(mbytes * 1000000 / PAYLOAD);
	t->bytes = malloc((size_t)t->n * PAYLOAD);
	t->p = malloc(t->n * sizeof(*t->p));
	t->len = malloc(t->n * sizeof(*t->len));
	t->res = malloc(t->n * sizeof(*t->res));
	for (size_t i = 0; i < (size_t)t->n * PAYLOAD; i++)
		t->bytes[i] = (uint8_t)(0x20 + rnd() % 95);
	for (uint32_t i = 0; i < t->n; i++) {
		t->p[i] = t->bytes + (size_t)i * PAYLOAD;
		t->len[i] = PAYLOAD;
		if (rnd() % 100 == 0) {
			const struct mig_ac_pat *p = &s->pats[rnd() % s->n];
			memcpy(t->bytes + (size_t)i * PAYLOAD + rnd() % (PAYLOAD - 24), p->bytes, p->len);
		}
	}
}

static void free_traffic(struct traffic *t)
{
	free(t->bytes);
	free(t->p);
	free(t->len);
	free(t->res);
}

/* Best of three passes over the traffic, in batches of 64 as the element
 * scans them. */
static double cpu_gbps(const struct mig_ac_dfa *d, struct traffic *t, uint64_t *matches)
{
	double best = 0;
	for (int pass = 0; pass < 3; pass++) {
		uint64_t t0 = rt_now_ns();
		for (uint32_t i = 0; i < t->n; i += 64)
			mig_ac_scan_batch(d, RT_MIN(64u, t->n - i), t->p + i, t->len + i, NULL, t->res + i);
		uint64_t ns = rt_now_ns() - t0;
		double g = (double)t->n * PAYLOAD * 8 / (double)ns;
		if (g > best)
			best = g;
	}
	*matches = 0;
	for (uint32_t i = 0; i < t->n; i++)
		*matches += t->res[i].nmatch;
	return best;
}

/* Best of three passes on an offloaded placement; 0 when unavailable. */
static double dev_gbps(enum mig_kind k, const struct mig_ac_dfa *d, const char *tag, const struct traffic *t)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct mig_ac_dev *a;
	if (mig_available(k, &err) < 0 || mig_ac_dev_open(k, d, &a, &err) < 0) {
		printf("# ac_%s %s: skipped: %s\n", tag, mig_kind_name(k), err.msg);
		return 0;
	}
	printf("# ac_%s %s: %s\n", tag, mig_kind_name(k), mig_ac_dev_desc(a));
	struct mig_ac_res *res = malloc(t->n * sizeof(*res));
	double best = 0, best_job = 0;
	for (int pass = 0; pass < 3; pass++) {
		uint64_t t0 = rt_now_ns(), job = 0;
		for (uint32_t i = 0; i < t->n; i += CHUNK) {
			uint64_t ns;
			if (mig_ac_dev_scan(a, RT_MIN((uint32_t)CHUNK, t->n - i), t->p + i, t->len + i, NULL, res + i, &ns,
					    &err) < 0) {
				fprintf(stderr, "bench_ac: %s: %s\n", mig_kind_name(k), err.msg);
				exit(1);
			}
			job += ns;
		}
		uint64_t ns = rt_now_ns() - t0;
		double bits = (double)t->n * PAYLOAD * 8;
		best = RT_MAX(best, bits / (double)ns);
		best_job = RT_MAX(best_job, bits / (double)job);
		if (ns > 3000000000ull) /* a slow device (PoCL on a busy CPU): one pass */
			break;
	}
	if (memcmp(res, t->res, t->n * sizeof(*res))) {
		fprintf(stderr, "bench_ac: %s results differ from the cpu's\n", mig_kind_name(k));
		exit(1);
	}
	/* and from random start states (a flow's carried state) */
	uint32_t m = RT_MIN(t->n, 4096u), *state = malloc(m * sizeof(uint32_t));
	struct mig_ac_res *cpu = malloc(m * sizeof(*cpu));
	for (uint32_t i = 0; i < m; i++)
		state[i] = rnd() % d->nstates;
	mig_ac_scan_batch(d, m, t->p, t->len, state, cpu);
	if (mig_ac_dev_scan(a, m, t->p, t->len, state, res, NULL, &err) < 0 || memcmp(res, cpu, m * sizeof(*cpu))) {
		fprintf(stderr, "bench_ac: %s results from start states differ from the cpu's %s\n", mig_kind_name(k),
			err.msg);
		exit(1);
	}
	free(state);
	free(cpu);
	printf("BENCH placement ac_%s_%s_gbps %.2f Gbit/s\n", tag, mig_kind_name(k), best);
	printf("BENCH placement ac_%s_%s_job_gbps %.2f Gbit/s\n", tag, mig_kind_name(k), best_job);
	free(res);
	mig_ac_dev_close(a);
	return best;
}

static void one_set(uint32_t npat, const char *tag, size_t mbytes, double *gbps_cpu, double *gbps_dev)
{
	struct mig_ac_set s;
	make_set(&s, npat);
	struct mig_ac_dfa d;
	struct rt_err err;
	rt_err_clear(&err);
	if (mig_ac_build(&s, NULL, &d, &err) < 0) {
		fprintf(stderr, "bench_ac: %s\n", err.msg);
		exit(1);
	}
	printf("BENCH placement ac_%s_states %u states\n", tag, d.nstates);
	printf("BENCH placement ac_%s_classes %u classes\n", tag, d.ncls);
	printf("BENCH placement ac_%s_bytes %zu bytes\n", tag, mig_ac_dfa_bytes(&d));
	printf("BENCH placement ac_%s_build_ms %.1f ms\n", tag, (double)d.build_ns / 1e6);
	struct traffic t;
	make_traffic(&t, mbytes, &s);
	uint64_t m_cpu;
	*gbps_cpu = cpu_gbps(&d, &t, &m_cpu);
	printf("BENCH placement ac_%s_cpu_gbps %.2f Gbit/s\n", tag, *gbps_cpu);
	printf("BENCH placement ac_%s_cpu_matches %llu matches\n", tag, (unsigned long long)m_cpu);
	for (int k = MIG_OPENCL; k < MIG_NKINDS; k++)
		gbps_dev[k] = dev_gbps(k, &d, tag, &t);
	free_traffic(&t);
	mig_ac_dfa_free(&d);
	mig_ac_set_free(&s);
}

int main(int argc, char **argv)
{
	size_t mbytes = argc > 1 ? (size_t)atoi(argv[1]) : 64;
	double c100, c10k, d100[MIG_NKINDS] = { 0 }, d10k[MIG_NKINDS] = { 0 };
	one_set(100, "100", mbytes, &c100, d100);
	one_set(10000, "10k", mbytes, &c10k, d10k);
	/* the headline figures: the 10 K pattern set */
	printf("BENCH placement ac_cpu_gbps %.2f Gbit/s\n", c10k);
	for (int k = MIG_OPENCL; k < MIG_NKINDS; k++)
		if (d10k[k] > 0)
			printf("BENCH placement ac_%s_gbps %.2f Gbit/s\n", mig_kind_name(k), d10k[k]);
	return 0;
}
