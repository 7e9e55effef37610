/*
 * test_dev.c - the device layer (migrate/mig*.c): the same kernel gives the
 * same bytes on cpu, opencl (PoCL here) and cuda (skipped with the device
 * layer's own message when no CUDA device answers); broken devices give
 * clear errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "mig.h"
#include "kernels/selftest.h"

#define N 10000u

static void skip_unless(enum mig_kind k)
{
	struct rt_err err;
	rt_err_clear(&err);
	if (mig_available(k, &err) < 0) {
		printf("SKIP %s: %s\n", mig_kind_name(k), err.msg);
		skip();
	}
}

/* Run selftest_mix on kind k over in[], two jobs in flight at once
 * (double buffering), and compare with the C build of the same function. */
static void run_selftest(enum mig_kind k)
{
	skip_unless(k);
	struct rt_err err;
	rt_err_clear(&err);
	struct mig_dev *d;
	assert_int_equal(mig_dev_open(k, &d, &err), 0);
	assert_true(mig_dev_desc(d)[0] != 0);
	printf("%s: %s\n", mig_kind_name(k), mig_dev_desc(d));
	struct mig_prog *p;
	struct mig_kernel *kn;
	assert_int_equal(mig_prog_build(d, "selftest", &p, &err), 0);
	assert_int_equal(mig_kernel_get(p, "selftest_mix", &kn, &err), 0);
	struct mig_queue *q;
	assert_int_equal(mig_queue_open(d, &q, &err), 0);

	struct mig_mem *din[2], *dout[2];
	uint32_t *hin[2], *hout[2];
	struct mig_job job[2];
	for (int b = 0; b < 2; b++) {
		assert_int_equal(mig_mem_alloc(d, N * 4, &din[b], &err), 0);
		assert_int_equal(mig_mem_alloc(d, N * 4, &dout[b], &err), 0);
		hin[b] = mig_host_alloc(d, N * 4);
		hout[b] = mig_host_alloc(d, N * 4);
		assert_non_null(hin[b]);
		for (uint32_t i = 0; i < N; i++) {
			hin[b][i] = i * 7919u + (uint32_t)b;
			hout[b][i] = 0xdeadbeef;
		}
		memset(&job[b], 0, sizeof(job[b]));
		job[b].k = kn;
		job[b].n = N - (uint32_t)b; /* not a multiple of the group size */
		job[b].nargs = 4;
		job[b].args[0] = MIG_MEM(din[b]);
		job[b].args[1] = MIG_MEM(dout[b]);
		job[b].args[2] = MIG_U32(0x1234u + (uint32_t)b);
		job[b].args[3] = MIG_U32(job[b].n);
		job[b].nin = 1;
		job[b].in[0] = (struct mig_copy){ din[b], 0, N * 4, hin[b] };
		job[b].nout = 1;
		job[b].out[0] = (struct mig_copy){ dout[b], 0, job[b].n * 4, hout[b] };
		assert_int_equal(mig_job_submit(q, &job[b]), 0);
	}
	for (int b = 0; b < 2; b++) {
		int rc;
		while ((rc = mig_job_poll(q, &job[b])) == 0)
			;
		assert_int_equal(rc, 1);
		assert_true(job[b].t_done >= job[b].t_submit);
		for (uint32_t i = 0; i < job[b].n; i++)
			assert_int_equal(hout[b][i], mig_selftest_mix(hin[b][i], 0x1234u + (uint32_t)b));
		/* only n items came back */
		if (b == 1)
			assert_int_equal(hout[b][N - 1], 0xdeadbeef);
	}
	/* synchronous copies round-trip */
	uint32_t back[4];
	assert_int_equal(mig_mem_read(dout[0], 8, back, sizeof(back), &err), 0);
	assert_memory_equal(back, hout[0] + 2, sizeof(back));
	assert_int_equal(mig_mem_write(din[0], 0, back, sizeof(back), &err), 0);
	assert_true(mig_mem_read(din[0], N * 4 - 2, back, 4, &err) < 0);
	assert_non_null(strstr(err.msg, "outside"));

	for (int b = 0; b < 2; b++) {
		mig_mem_free(din[b]);
		mig_mem_free(dout[b]);
		mig_host_free(d, hin[b]);
		mig_host_free(d, hout[b]);
	}
	mig_queue_close(q);
	mig_kernel_free(kn);
	mig_prog_free(p);
	mig_dev_close(d);
}

static void test_opencl_selftest(void **s) { run_selftest(MIG_OPENCL); }
static void test_cuda_selftest(void **s) { run_selftest(MIG_CUDA); }

static void test_kinds(void **s)
{
	struct rt_err err;
	rt_err_clear(&err);
	enum mig_kind k;
	assert_int_equal(mig_kind_parse("OpenCL", &k, &err), 0);
	assert_int_equal(k, MIG_OPENCL);
	assert_int_equal(mig_kind_parse("cuda", &k, &err), 0);
	assert_string_equal(mig_kind_name(MIG_CPU), "cpu");
	assert_true(mig_kind_parse("fpga9", &k, &err) < 0);
	assert_non_null(strstr(err.msg, "unknown placement 'fpga9'"));
	rt_err_clear(&err);
	assert_int_equal(mig_available(MIG_CPU, &err), 0);
	/* cuda either answers or says why not, naming CUDA */
	if (mig_available(MIG_CUDA, &err) < 0)
		assert_non_null(strstr(err.msg, "no CUDA device"));
}

static void test_errors_and_faults(void **s)
{
	skip_unless(MIG_OPENCL);
	struct rt_err err;
	rt_err_clear(&err);
	struct mig_dev *d, *d2;
	assert_int_equal(mig_dev_open(MIG_OPENCL, &d, &err), 0);
	assert_int_equal(mig_dev_open(MIG_OPENCL, &d2, &err), 0);
	assert_ptr_equal(d, d2); /* shared by reference */
	mig_dev_close(d2);

	struct mig_prog *p;
	assert_true(mig_prog_build(d, "nosuch", &p, &err) < 0);
	assert_non_null(strstr(err.msg, "no kernels named 'nosuch'"));
	rt_err_clear(&err);
	assert_int_equal(mig_prog_build(d, "selftest", &p, &err), 0);
	struct mig_kernel *kn;
	assert_true(mig_kernel_get(p, "nope", &kn, &err) < 0);
	assert_non_null(strstr(err.msg, "no kernel 'nope'"));
	rt_err_clear(&err);

	/* a kernel that does not build */
	mig_fault_inject(MIG_OPENCL, MIG_FAULT_BUILD, 0);
	struct mig_prog *p2;
	assert_true(mig_prog_build(d, "selftest", &p2, &err) < 0);
	assert_non_null(strstr(err.msg, "building kernels 'selftest' failed"));
	rt_err_clear(&err);
	/* out of device memory for big allocations only */
	mig_fault_inject(MIG_OPENCL, MIG_FAULT_OOM, 1 << 20);
	struct mig_mem *m;
	assert_int_equal(mig_mem_alloc(d, 4096, &m, &err), 0);
	mig_mem_free(m);
	assert_int_equal(mig_mem_alloc(d, 2 << 20, &m, &err), -ENOMEM);
	assert_non_null(strstr(err.msg, "out of device memory"));
	rt_err_clear(&err);

	/* the device is lost after one more job: the in-flight one fails too */
	mig_fault_inject(MIG_OPENCL, MIG_FAULT_LOST, 1);
	assert_int_equal(mig_kernel_get(p, "selftest_mix", &kn, &err), 0);
	struct mig_queue *q;
	assert_int_equal(mig_queue_open(d, &q, &err), 0);
	struct mig_mem *buf;
	assert_int_equal(mig_mem_alloc(d, 4096, &buf, &err), 0);
	uint32_t *h = mig_host_alloc(d, 4096);
	struct mig_job j = { .k = kn, .n = 1024, .nargs = 4 };
	j.args[0] = MIG_MEM(buf);
	j.args[1] = MIG_MEM(buf);
	j.args[2] = MIG_U32(1);
	j.args[3] = MIG_U32(1024);
	j.nout = 1;
	j.out[0] = (struct mig_copy){ buf, 0, 4096, h };
	assert_int_equal(mig_job_submit(q, &j), 0);
	struct mig_job j2 = j;
	assert_int_equal(mig_job_submit(q, &j2), -EIO);
	assert_int_equal(mig_job_poll(q, &j), -EIO);
	mig_fault_inject(MIG_OPENCL, 0, 0);
	assert_int_equal(mig_job_submit(q, &j), 0);
	assert_int_equal(mig_job_wait(q, &j), 1);

	mig_host_free(d, h);
	mig_mem_free(buf);
	mig_queue_close(q);
	mig_kernel_free(kn);
	mig_prog_free(p);
	mig_dev_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_opencl_selftest),
		cmocka_unit_test(test_cuda_selftest),
		cmocka_unit_test(test_errors_and_faults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
