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

int main(int argc, char **argv)
{
	int ran = 0, bad = 0;
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
		mig_dev_close(d);
	}
	if (!ran)
		return 77;
	printf("gpucheck: %s\n", bad ? "FAILED" : "all placements agree with the cpu");
	return bad ? 1 : 0;
}
