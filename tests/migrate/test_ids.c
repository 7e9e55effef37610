/*
 * test_ids.c - PatternMatch as an IDS behind a FlowManager: a signature
 * split across TCP segments of one flow is caught, on the cpu and on
 * opencl alike, with many flows interleaved in one offload batch (per-flow
 * chains), and a flow's partial match survives a migration between
 * placements mid-signature (its state moves with the element).
 */
#include <errno.h>
#include <unistd.h>

#include "tu.h"
#include "mig_tu.h"
#include "mig.h"

static const char *SIG = "EVIL-SIGNATURE-42";

static struct rte_mbuf *seg(struct rt_router *r, int flow, const char *payload, int len, uint32_t seq)
{
	uint8_t buf[400];
	char src[32];
	snprintf(src, sizeof(src), "10.0.%d.%d", flow / 200, flow % 200 + 1);
	int n = tu_build_tcp(buf, src, "192.168.1.1", (uint16_t)(1000 + flow), 80, 0x18, seq, payload, len);
	return tu_pkt(r, buf, (uint32_t)n);
}

static struct rt_router *ids(const char *placement, int batch)
{
	char cfg[512];
	snprintf(cfg, sizeof(cfg),
		 "Idle -> mk :: MarkIPHeader(14) -> fm :: FlowManager -> pm :: PatternMatch(\"%s\", PLACEMENT %s, BATCH %d, "
		 "LATENCY 1s);\npm[0] -> clean :: TestSink; pm[1] -> alert :: TestSink;\n",
		 SIG, placement, batch);
	return tu_router(cfg, NULL);
}

/* Wait until `want` packets came out of both sinks (a device batch may
 * take a first-launch compile). */
static void drain(struct rt_router *r, int want)
{
	for (int i = 0; i < 5000 && tu_sink_count(r, "clean") + tu_sink_count(r, "alert") < want; i++) {
		tu_run_tasks(r, 5);
		usleep(500);
	}
	assert_int_equal(tu_sink_count(r, "clean") + tu_sink_count(r, "alert"), want);
}

/* nflows flows, each sending the signature cut in 3 pieces (padded with
 * clean bytes), interleaved: flow f's piece k is packet k * nflows + f.
 * Every flow's third packet must alert, nothing else. */
static void split_across_segments(const char *placement, int batch)
{
	struct rt_router *r = ids(placement, batch);
	enum { NF = 50 };
	int siglen = (int)strlen(SIG);
	for (int k = 0; k < 3; k++) {
		struct rte_mbuf *b[NF];
		for (int f = 0; f < NF; f++) {
			char p[64];
			int a = k * siglen / 3, z = (k + 1) * siglen / 3;
			int n = snprintf(p, sizeof(p), "%s%.*s%s", k ? "" : "xxxx", z - a, SIG + a, k == 2 ? "yyyy" : "");
			b[f] = seg(r, f, p, n, (uint32_t)(1000 + 100 * k));
		}
		tu_push(r, "mk", 0, b, NF);
	}
	drain(r, 3 * NF);
	assert_int_equal(tu_sink_count(r, "alert"), NF);
	assert_int_equal(tu_read_int(r, "pm.count"), NF);
	tu_router_free(r);
}

static void test_split_cpu(void **s) { split_across_segments("cpu", 4096); }
static void test_split_opencl(void **s)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	/* one batch holds all 150 packets: 50 chains of 3 */
	split_across_segments("opencl", 4096);
}

/* Without a FlowManager each packet stands alone: no alert. */
static void test_no_flows_no_state(void **s)
{
	char cfg[256];
	snprintf(cfg, sizeof(cfg),
		 "Idle -> mk :: MarkIPHeader(14) -> pm :: PatternMatch(\"%s\");\npm[0] -> clean :: TestSink; pm[1] -> alert :: TestSink;", SIG);
	struct rt_router *r = tu_router(cfg, NULL);
	tu_push1(r, "mk", 0, seg(r, 1, "EVIL-SIGN", 9, 1));
	tu_push1(r, "mk", 0, seg(r, 1, "ATURE-42", 8, 10));
	assert_int_equal(tu_sink_count(r, "clean"), 2);
	assert_int_equal(tu_sink_count(r, "alert"), 0);
	tu_router_free(r);
}

/* First half on one placement, migration, second half on the other: the
 * flow's state moved with the element. */
static void migrate_mid_signature(const char *from, const char *to)
{
	struct rt_router *r = ids(from, 16);
	struct rt_err err;
	rt_err_clear(&err);
	for (int f = 0; f < 10; f++)
		tu_push1(r, "mk", 0, seg(r, f, "....EVIL-SIGN", 13, 1));
	/* on a device the 10 packets wait for their batch (16, LATENCY 1s):
	 * the migration takes them over unscanned */
	assert_int_equal(rt_ctl_migrate(r, "pm", to, NULL, &err), 0);
	for (int f = 0; f < 10; f++)
		tu_push1(r, "mk", 0, seg(r, f, "ATURE-42....", 12, 20));
	for (int f = 0; f < 10; f++) /* 6 more flows fill a device batch */
		tu_push1(r, "mk", 0, seg(r, 100 + f, "fill", 4, 1));
	drain(r, 30);
	assert_int_equal(tu_sink_count(r, "alert"), 10);
	for (int i = 0; i < 10; i++) /* the alerts are the second halves */
		assert_int_equal(rte_pktmbuf_pkt_len(tu_sink_pkt(r, "alert", i)), 54 + 12);
	tu_router_free(r);
}

static void test_migrate_cpu_to_opencl(void **s)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	migrate_mid_signature("cpu", "opencl");
}

static void test_migrate_opencl_to_cpu(void **s)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	migrate_mid_signature("opencl", "cpu");
}

/* Across batches on a device: the flows' states stay in device memory. */
static void test_device_state_across_batches(void **s)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	struct rt_router *r = ids("opencl", 1);
	for (int f = 0; f < 4; f++)
		tu_push1(r, "mk", 0, seg(r, f, "....EVIL-SIGN", 13, 1));
	drain(r, 4);
	for (int f = 0; f < 4; f++)
		tu_push1(r, "mk", 0, seg(r, f, "ATURE-42....", 12, 20));
	drain(r, 8);
	assert_int_equal(tu_sink_count(r, "alert"), 4);
	tu_router_free(r);
}

/* A new pattern on a device placement rebuilds the element live; flows
 * start over on the new automaton, and the new pattern is found. */
static void test_add_on_device(void **s)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	struct rt_router *r = ids("opencl", 1);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tu_write(r, "pm.add", "\"BADNESS\"", &err), 0);
	assert_int_equal(tu_read_int(r, "pm.patterns"), 2);
	assert_string_equal(tu_read(r, "pm.placement"), "opencl\n");
	tu_push1(r, "mk", 0, seg(r, 1, "some BADNESS here", 17, 1));
	drain(r, 1);
	assert_int_equal(tu_sink_count(r, "alert"), 1);
	tu_router_free(r);
}

int main(void)
{
	tu_eal();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_cpu),
		cmocka_unit_test(test_split_opencl),
		cmocka_unit_test(test_no_flows_no_state),
		cmocka_unit_test(test_migrate_cpu_to_opencl),
		cmocka_unit_test(test_migrate_opencl_to_cpu),
		cmocka_unit_test(test_add_on_device),
		cmocka_unit_test(test_device_state_across_batches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
