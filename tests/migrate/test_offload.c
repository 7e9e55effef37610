/*
 * test_offload.c - the offload engine and migration (migrate/mig_offload.c,
 * mig_ctl.c) with a test element over the selftest kernel: the same
 * packets give the same results on cpu and opencl, in order; batches leave
 * on time at low rates; an element moves cpu -> opencl -> cpu 100 times
 * under traffic with nothing lost or reordered; a failing device falls
 * back to the cpu with its held packets intact.
 */
#include <errno.h>
#include <unistd.h>

#include "tu.h"
#include "mig_tu.h"
#include "mig_offload.h"
#include "kernels/selftest.h"

/* TestOffload(PLACEMENT, BATCH, LATENCY): dst_ip annotation := mix(aggregate
 * << 20 ^ seq), computed by the placement. */
struct toff {
	struct mig_off_args a;
	uint64_t slow;            /* extra work per packet in the cpu kernel */
	struct mig_off *off;
};

static uint32_t toff_key(struct rte_mbuf *m)
{
	const struct rt_anno *a = rt_anno(m);
	return (a->aggregate << 20) ^ (uint32_t)a->seq;
}

static uint32_t toff_extract(void *ctx, struct el_node *n, struct rte_mbuf *m, const struct mig_off_pos *pos)
{
	((uint32_t *)pos->recs)[pos->idx] = toff_key(m);
	return 0;
}

static void toff_cpu(void *ctx, const void *in, const uint8_t *blob, void *out, uint32_t n)
{
	const struct toff *t = ctx;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = mig_selftest_mix(((const uint32_t *)in)[i], 77);
		for (uint64_t k = 0; k < t->slow; k++)
			__asm__ volatile("" : "+r"(x));
		((uint32_t *)out)[i] = x;
	}
}

static int toff_apply(void *ctx, struct rte_mbuf *m, const void *out)
{
	rt_anno(m)->dst_ip = *(const uint32_t *)out;
	return 0;
}

static const struct mig_off_kernel toff_kernel = {
	.prog = "selftest",
	.fn = "selftest_off",
	.in_size = 4,
	.out_size = 4,
	.extract = toff_extract,
	.cpu = toff_cpu,
	.apply = toff_apply,
};

static int toff_init(struct el *e, struct rt_err *err)
{
	struct toff *t = e->state;
	struct mig_off_cfg cfg;
	int rc = mig_off_args_cfg(&t->a, &cfg, err);
	return rc < 0 ? rc : mig_off_new(e, &toff_kernel, t, &cfg, &t->off, err);
}

static void toff_cleanup(struct el *e) { mig_off_free(EL_STATE(e, struct toff)->off); }
static void toff_push(struct el_node *n, int port, struct rt_batch *b) { mig_off_push(EL_NSTATE(n, struct toff)->off, n, b); }
static int toff_run(struct el_node *n) { return mig_off_run(EL_NSTATE(n, struct toff)->off, n); }

static int toff_take(struct el *e, struct el *old, struct rt_err *err)
{
	mig_off_take(EL_STATE(e, struct toff)->off, EL_STATE(old, struct toff)->off);
	return 0;
}

static const struct el_arg toff_args[] = {
	{ "SLOW", EL_T_UINT, offsetof(struct toff, slow), "0", 0, "extra loop iterations per packet on the cpu" },
	MIG_OFF_ARGS(struct toff, a),
	EL_ARGS_END,
};

static const struct el_handler toff_handlers[] = {
	MIG_OFF_HANDLERS(struct toff, off),
	EL_HANDLERS_END,
};

static struct el_class toff_class = {
	.name = "TestOffload",
	.summary = "the selftest kernel on a placement, for tests",
	.ports = "1/1",
	.state_size = sizeof(struct toff),
	.args = toff_args,
	.init = toff_init,
	.cleanup = toff_cleanup,
	.push = toff_push,
	.run = toff_run,
	.take_state = toff_take,
	.handlers = toff_handlers,
};
EL_REGISTER(toff_class)

/* TestMixCheck: counts packets whose dst_ip is not the kernel's result. */
struct tmix {
	uint64_t bad, good;
};
static void tmix_push(struct el_node *n, int port, struct rt_batch *b)
{
	struct tmix *t = n->state;
	for (uint32_t i = 0; i < b->n; i++) {
		if (rt_anno(b->pkts[i])->dst_ip == mig_selftest_mix(toff_key(b->pkts[i]), 77))
			__atomic_fetch_add(&t->good, 1, __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&t->bad, 1, __ATOMIC_RELAXED);
	}
	el_output(n, 0, b);
}
static int tmix_read(struct el *e, intptr_t a, struct rt_buf *out)
{
	struct tmix *t = e->state;
	rt_buf_printf(out, "%llu", (unsigned long long)__atomic_load_n(a ? &t->bad : &t->good, __ATOMIC_RELAXED));
	return 0;
}
static const struct el_handler tmix_handlers[] = {
	{ "good", tmix_read, NULL, 0, 0, "", NULL },
	{ "bad", tmix_read, NULL, 1, 0, "", NULL },
	EL_HANDLERS_END,
};
static struct el_class tmix_class = {
	.name = "TestMixCheck",
	.ports = "1/1",
	.state_size = sizeof(struct tmix),
	.push = tmix_push,
	.handlers = tmix_handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(tmix_class)

/* Push `n` packets of 4 flows into t, run tasks until all came out. */
static void push_seq(struct rt_router *r, int n)
{
	for (int i = 0; i < n;) {
		struct rte_mbuf *b[32];
		int k = 0;
		for (; k < 32 && i < n; k++, i++) {
			b[k] = rt_pkt_alloc(r);
			assert_non_null(b[k]);
			rt_anno(b[k])->aggregate = (uint32_t)(i % 4);
			rt_anno(b[k])->seq = (uint64_t)(i / 4);
			b[k]->data_len = b[k]->pkt_len = 60;
		}
		tu_push(r, "t", 0, b, k);
	}
}

static void test_cpu_and_opencl_agree(void **s)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	const char *cfgs[2] = { "Idle -> t :: TestOffload(PLACEMENT cpu) -> chk :: TestMixCheck -> sink :: TestSink;",
				"Idle -> t :: TestOffload(PLACEMENT opencl, BATCH 100, LATENCY 1ms) -> chk :: TestMixCheck -> sink :: TestSink;" };
	uint32_t got[2][1000];
	for (int c = 0; c < 2; c++) {
		struct rt_router *r = tu_router(cfgs[c], NULL);
		push_seq(r, 1000);
		for (int i = 0; i < 200 && tu_sink_count(r, "sink") < 1000; i++) {
			tu_run_tasks(r, 10);
			usleep(1000);
		}
		assert_int_equal(tu_sink_count(r, "sink"), 1000);
		assert_int_equal(tu_read_int(r, "chk.bad"), 0);
		for (int i = 0; i < 1000; i++) {
			struct rte_mbuf *m = tu_sink_pkt(r, "sink", i);
			assert_int_equal(rt_anno(m)->aggregate, (uint32_t)(i % 4)); /* arrival order kept */
			assert_int_equal(rt_anno(m)->seq, (uint64_t)(i / 4));
			got[c][i] = rt_anno(m)->dst_ip;
		}
		const char *p = tu_read(r, "t.offload");
		if (c == 1) {
			assert_non_null(strstr(p, "placement opencl batch 100"));
			/* the device's own kernel time, and the copies */
			const char *k = strstr(p, "kernel_us ");
			assert_non_null(k);
			assert_true(atof(k + 10) > 0);
			assert_non_null(strstr(p, "transfer_us "));
		}
		tu_router_free(r);
	}
	assert_memory_equal(got[0], got[1], sizeof(got[0]));
}

/* A few packets, far fewer than a batch: they leave after LATENCY. */
static void test_latency_bound(void **s)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	struct rt_router *r = tu_router("Idle -> t :: TestOffload(PLACEMENT opencl, BATCH 4096, LATENCY 2ms) -> sink :: TestSink;", NULL);
	push_seq(r, 3);
	tu_run_tasks(r, 5);
	assert_int_equal(tu_sink_count(r, "sink"), 0); /* waiting for the batch to fill */
	for (int i = 0; i < 500 && tu_sink_count(r, "sink") < 3; i++) {
		usleep(1000);
		tu_run_tasks(r, 5);
	}
	assert_int_equal(tu_sink_count(r, "sink"), 3);
	assert_non_null(strstr(tu_read(r, "t.offload"), "batches 1 "));
	tu_router_free(r);
}

static void test_migrate_errors(void **s)
{
	struct rt_router *r = tu_router("Idle -> t :: TestOffload -> c :: Counter -> Discard;", NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_migrate(r, "nope", "opencl", NULL, &err), -ENOENT);
	assert_string_equal(err.msg, "no element 'nope'");
	rt_err_clear(&err);
	assert_true(rt_ctl_migrate(r, "t", "fpga", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "unknown placement 'fpga'"));
	rt_err_clear(&err);
	assert_true(rt_ctl_migrate(r, "c", "opencl", NULL, &err) < 0);
	assert_string_equal(err.msg, "c (Counter) runs on the cpu only: it has no kernel to move");
	rt_err_clear(&err);
	/* core N moves flows (tests/flow/test_core_migrate.c): t has none */
	assert_int_equal(rt_ctl_migrate(r, "t", "core 1", NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is not a flow manager nor behind one"));
	rt_err_clear(&err);
	if (mig_available(MIG_CUDA, &err) < 0) {
		rt_err_clear(&err);
		assert_true(rt_ctl_migrate(r, "t", "cuda", NULL, &err) < 0);
		assert_non_null(strstr(err.msg, "t: no CUDA device"));
		assert_string_equal(tu_read(r, "t.placement"), "cpu\n"); /* where it was */
	}
	if (mig_tu_have(MIG_OPENCL)) {
		/* a kernel that does not build, a device out of memory: refused, unchanged */
		mig_fault_inject(MIG_OPENCL, MIG_FAULT_BUILD, 0);
		rt_err_clear(&err);
		assert_true(rt_ctl_migrate(r, "t", "opencl", NULL, &err) < 0);
		assert_non_null(strstr(err.msg, "building kernels 'selftest' failed"));
		mig_fault_inject(MIG_OPENCL, MIG_FAULT_OOM, 1024);
		rt_err_clear(&err);
		assert_true(tu_write(r, "t.placement", "opencl", &err) < 0);
		assert_non_null(strstr(err.msg, "out of device memory"));
		mig_fault_inject(MIG_OPENCL, 0, 0);
		assert_string_equal(tu_read(r, "t.placement"), "cpu\n");
		rt_err_clear(&err);
		assert_int_equal(tu_write(r, "t.placement", "opencl", &err), 0);
		assert_string_equal(tu_read(r, "t.placement"), "opencl\n");
		assert_non_null(strstr(tu_read(r, "t.config"), "PLACEMENT opencl"));
		struct rt_buf out;
		rt_buf_init(&out);
		assert_int_equal(rt_ctl_placements(r, NULL, false, &out, &err), 1);
		assert_non_null(strstr(out.p, "t (TestOffload)\n  cpu available"));
		assert_non_null(strstr(out.p, "opencl* available"));
		rt_buf_free(&out);
	}
	tu_router_free(r);
}

/* Traffic at full speed on 2 workers while t moves cpu -> opencl -> cpu
 * 100 times: every packet once, in order per flow, every result right. */
static void test_migration_stress(void **s)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	struct rt_router *r = tu_router_j(
		"s0 :: TestSeqSource(0, FLOWS 8) -> t :: TestOffload(PLACEMENT cpu, BATCH 256, LATENCY 50us)"
		" -> chk :: TestMixCheck -> seq :: TestSeqCheck;\n"
		"s1 :: TestSeqSource(8, FLOWS 8) -> t;\n",
		2, NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_router_start(r, &err), 0);
	int held_moves = 0;
	for (int i = 0; i < 200; i++) {
		long long before = tu_read_int(r, "chk.good");
		/* wait for traffic between moves */
		for (int k = 0; k < 200 && tu_read_int(r, "chk.good") < before + 512; k++)
			usleep(100);
		const char *to = i % 2 ? "cpu" : "opencl";
		held_moves += i % 2 && strstr(tu_read(r, "t.offload"), "held 0 ") == NULL;
		if (rt_ctl_migrate(r, "t", to, NULL, &err) < 0)
			fail_msg("migration %d to %s: %s", i, to, err.msg);
	}
	assert_int_equal(tu_write(r, "s0.active", "false", NULL), 0);
	assert_int_equal(tu_write(r, "s1.active", "false", NULL), 0);
	for (int k = 0; k < 1000 && tu_read_int(r, "chk.good") < tu_read_int(r, "s0.count") + tu_read_int(r, "s1.count");
	     k++)
		usleep(1000);
	long long sent = tu_read_int(r, "s0.count") + tu_read_int(r, "s1.count");
	assert_true(sent > 200 * 512);
	assert_int_equal(tu_read_int(r, "chk.good"), sent); /* zero loss, every result right */
	assert_int_equal(tu_read_int(r, "chk.bad"), 0);
	const char *errs = tu_read(r, "seq.errors");
	for (const char *p = errs; *p; p++)
		assert_true(*p == '0' || *p == ' '); /* zero reordering */
	printf("migrations 200, packets %lld, moves with packets in flight on the device %d\n", sent, held_moves);
	const char *pl = tu_read(r, "t.placements");
	assert_non_null(strstr(pl, "cpu* available packets "));
	assert_non_null(strstr(pl, "opencl available packets "));
	rt_router_stop(r);
	rt_router_join(r);
	tu_router_free(r);
}

/* The device is lost mid-run: the element falls back to the cpu, the held
 * packets come out computed on the cpu, in order, and it says so. */
static void test_device_lost(void **s)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	struct rt_router *r = tu_router("Idle -> t :: TestOffload(PLACEMENT opencl, BATCH 64, LATENCY 1s) -> chk :: TestMixCheck -> sink :: TestSink;", NULL);
	mig_fault_inject(MIG_OPENCL, MIG_FAULT_LOST, 3);
	push_seq(r, 64 * 6 + 10);
	for (int i = 0; i < 200 && tu_sink_count(r, "sink") < 64 * 6 + 10; i++) {
		tu_run_tasks(r, 5);
		usleep(1000);
	}
	mig_fault_inject(MIG_OPENCL, 0, 0);
	/* the batches the device lost were computed on the cpu; what came
	 * after went straight to the cpu */
	assert_int_equal(tu_sink_count(r, "sink"), 64 * 6 + 10);
	push_seq(r, 54); /* on the cpu now: no batch to wait for */
	assert_int_equal(tu_sink_count(r, "sink"), 64 * 7);
	assert_int_equal(tu_read_int(r, "chk.bad"), 0);
	for (int i = 0; i < 64 * 7; i++) {
		struct rte_mbuf *m = tu_sink_pkt(r, "sink", i);
		int k = i < 64 * 6 + 10 ? i : i - (64 * 6 + 10);
		assert_int_equal(rt_anno(m)->aggregate, (uint32_t)(k % 4));
		assert_int_equal(rt_anno(m)->seq, (uint64_t)(k / 4));
	}
	assert_non_null(strstr(tu_read(r, "t.placement"), "cpu (fell back from opencl: the device failed mid-batch"));
	assert_non_null(strstr(tu_read(r, "t.offload"), "fallbacks 1 "));
	tu_router_free(r);
}

/* The placement policy: a cpu kernel that costs ~thousands of cycles per
 * packet loses to opencl, where the worker only packs and unpacks records;
 * the policy explores opencl, stays there, and does not flap. */
static int auto_round(struct rt_router *r, int steps)
{
	int moves = 0;
	for (int i = 0; i < steps; i++) {
		long long before = tu_read_int(r, "chk.good");
		push_seq(r, 4096);
		for (int k = 0; k < 3000 && tu_read_int(r, "chk.good") < before + 4096; k++) {
			tu_run_tasks(r, 5);
			usleep(200);
		}
		struct mig_off *o = mig_off_of(rt_router_find(r, "t"));
		assert_non_null(o);
		int rc = mig_auto_step(o, 0);
		assert_true(rc >= 0);
		moves += rc;
	}
	return moves;
}

static void test_auto_policy(void **s)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	struct rt_router *r = tu_router("Idle -> t :: TestOffload(SLOW 3000, AUTO true, BATCH 1024, LATENCY 1ms)"
					" -> chk :: TestMixCheck -> Discard;", NULL);
	/* the first window of a placement is a warm-up (an OpenCL kernel may be
	 * compiled at its first launch); the second measures cpu and tries
	 * opencl */
	assert_int_equal(auto_round(r, 2), 1);
	assert_string_equal(tu_read(r, "t.placement"), "opencl\n");
	assert_int_equal(auto_round(r, 6), 0); /* opencl measured better: stays */
	const char *pl = tu_read(r, "t.placements");
	assert_non_null(strstr(pl, "auto: staying on opencl"));
	assert_non_null(strstr(tu_read(r, "t.config"), "PLACEMENT opencl"));
	assert_int_equal(tu_read_int(r, "chk.bad"), 0);
	tu_router_free(r);
	/* not AUTO: no decision is ever made */
	r = tu_router("Idle -> t :: TestOffload -> chk :: TestMixCheck -> Discard;", NULL);
	assert_null(strstr(tu_read(r, "t.placements"), "auto:"));
	tu_router_free(r);
}

int main(void)
{
	tu_eal();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_and_opencl_agree),
		cmocka_unit_test(test_latency_bound),
		cmocka_unit_test(test_migrate_errors),
		cmocka_unit_test(test_device_lost),
		cmocka_unit_test(test_migration_stress),
		cmocka_unit_test(test_auto_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
