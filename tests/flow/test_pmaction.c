/*
 * test_pmaction.c - PatternMatch's actions (ACTION): MASK overwrites the
 * matched bytes in place (a signature split across packets of a flow is
 * masked in the packet where it completes, counted `partial`), DROP_FLOW
 * drops the matching packet and the rest of its flow only, REMOVE and
 * REPLACE edit the TCP stream between TCPIn and TCPOut so that sequence
 * and acknowledgement numbers stay consistent.  Every data-path test runs
 * on the cpu and, when the device is here, on opencl (PoCL) and cuda,
 * against the same expected bytes: the placements give identical results.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_ip.h>

#include "tu.h"
#include "mig.h"
#include "flow/flow_stream.h"

#define SIG "EVIL-SIGNATURE-42"
#define SEC 1000000000ull
#define SYN 0x02
#define ACK 0x10
#define PSH 0x08
#define CLI "10.0.0.1"
#define SRV "10.0.0.2"
#define ISN_C 1000u
#define ISN_S 50000u

static bool have(const char *placement)
{
	if (!strcmp(placement, "cpu"))
		return true;
	enum mig_kind k = strcmp(placement, "cuda") ? MIG_OPENCL : MIG_CUDA;
	struct rt_err err;
	rt_err_clear(&err);
	if (mig_available(k, &err) < 0) {
		printf("SKIP %s: %s\n", placement, err.msg);
		return false;
	}
	return true;
}

/* A TCP segment of flow `flow` (client port 1000 + flow) with an ack. */
static struct rte_mbuf *seg(struct rt_router *r, int flow, bool reply, uint8_t fl, uint32_t seq, uint32_t ack,
			    const char *pl)
{
	uint16_t cp = (uint16_t)(1000 + flow);
	return reply ? tu_tcp_seg(r, SRV, CLI, 80, cp, fl, seq, ack, pl, SEC)
		     : tu_tcp_seg(r, CLI, SRV, cp, 80, fl, seq, ack, pl, SEC);
}

static uint32_t seq_of(struct rte_mbuf *m) { return tu_be32_at(m, 38); }
static uint32_t ack_of(struct rte_mbuf *m) { return tu_be32_at(m, 42); }
static uint16_t cport_of(struct rte_mbuf *m)
{
	const uint8_t *t = rt_data(m) + 34;
	uint16_t sp = (uint16_t)(t[0] << 8 | t[1]), dp = (uint16_t)(t[2] << 8 | t[3]);
	return sp == 80 ? dp : sp;
}

static const char *payload(struct rte_mbuf *m)
{
	static char s[1600];
	const uint8_t *ip = rt_data(m) + 14;
	uint32_t hl = (ip[0] & 15u) * 4, tot = (uint32_t)ip[2] << 8 | ip[3];
	const uint8_t *t = ip + hl;
	uint32_t th = (t[12] >> 4) * 4u, n = tot - hl - th;
	memcpy(s, t + th, n);
	s[n] = 0;
	return s;
}

static void assert_csums_ok(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = (const void *)(rt_data(m) + 14);
	assert_int_equal(rte_ipv4_cksum(ip), 0);
	uint32_t sum = rte_ipv4_phdr_cksum(ip, 0);
	sum += rte_raw_cksum((const uint8_t *)ip + 20, rte_be_to_cpu_16(ip->total_length) - 20u);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
}

static void drain(struct rt_router *r, const char *sink, int want)
{
	for (int i = 0; i < 5000 && tu_sink_count(r, sink) < want; i++) {
		tu_run_tasks(r, 5);
		usleep(500);
	}
	assert_int_equal(tu_sink_count(r, sink), want);
}

/* ---- MASK -------------------------------------------------------------------- */

/* NF flows send the signature in 3 pieces, then once whole; a second
 * pattern lies inside it.  The pieces before the one where the signature
 * completes have left already: only the last piece's part is masked. */
static void mask_split(const char *placement)
{
	if (!have(placement))
		skip();
	char cfg[512];
	snprintf(cfg, sizeof(cfg),
		 "Idle -> mk :: MarkIPHeader(14) -> fm :: FlowManager -> pm :: PatternMatch(\"%s\", \"TURE-4\", "
		 "ACTION MASK, PLACEMENT %s, BATCH 4096, LATENCY 1s) -> s :: TestSink;",
		 SIG, placement);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_non_null(r);
	enum { NF = 20 };
	static const char *in[4] = { "xxxxEVIL-S", "IGNATU", "RE-42yyyy", "zz" SIG "zz" };
	static const char *want[4] = { "xxxxEVIL-S", "IGNATU", "XXXXXyyyy", "zzXXXXXXXXXXXXXXXXXzz" };
	for (int k = 0; k < 4; k++) {
		struct rte_mbuf *b[NF];
		for (int f = 0; f < NF; f++)
			b[f] = seg(r, f, false, ACK | PSH, (uint32_t)(2000 + 100 * k), 1, in[k]);
		tu_push(r, "mk", 0, b, NF);
	}
	drain(r, "s", 4 * NF);
	for (int i = 0; i < 4 * NF; i++) {
		struct rte_mbuf *m = tu_sink_pkt(r, "s", i);
		assert_string_equal(payload(m), want[i / NF]);
		assert_int_equal(cport_of(m), 1000 + i % NF);
		assert_csums_ok(m); /* no TCPOut: PatternMatch fixed them */
	}
	assert_int_equal(tu_read_int(r, "pm.count"), 2 * NF);
	assert_int_equal(tu_read_int(r, "pm.matches"), 4 * NF);
	assert_int_equal(tu_read_int(r, "pm.edited"), 4 * NF);
	assert_int_equal(tu_read_int(r, "pm.partial"), NF);
	assert_string_equal(tu_read(r, "pm.action"), "MASK");
	tu_router_free(r);
}

static void test_mask_cpu(void **st) { (void)st; mask_split("cpu"); }
static void test_mask_opencl(void **st) { (void)st; mask_split("opencl"); }
static void test_mask_cuda(void **st) { (void)st; mask_split("cuda"); }

/* MASK_BYTE, and no FlowManager: each packet alone, the split one missed. */
static void test_mask_byte_no_flows(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> mk :: MarkIPHeader(14) -> pm :: PatternMatch(\"" SIG "\", ACTION MASK, "
					"MASK_BYTE 0x2a) -> s :: TestSink;", NULL);
	assert_non_null(r);
	tu_push1(r, "mk", 0, seg(r, 0, false, ACK, 1, 1, "xxEVIL-S"));
	tu_push1(r, "mk", 0, seg(r, 0, false, ACK, 9, 1, "IGNATURE-42"));
	tu_push1(r, "mk", 0, seg(r, 0, false, ACK, 20, 1, SIG "!"));
	assert_int_equal(tu_sink_count(r, "s"), 3);
	assert_string_equal(payload(tu_sink_pkt(r, "s", 0)), "xxEVIL-S");
	assert_string_equal(payload(tu_sink_pkt(r, "s", 1)), "IGNATURE-42");
	assert_string_equal(payload(tu_sink_pkt(r, "s", 2)), "*****************!");
	assert_csums_ok(tu_sink_pkt(r, "s", 2));
	assert_int_equal(tu_read_int(r, "pm.partial"), 0);
	tu_router_free(r);
}

/* ---- DROP_FLOW --------------------------------------------------------------- */

/* Flow 0 carries the signature split over its 2nd and 3rd packets: from
 * the 3rd on, its packets are dropped; flow 1 is untouched. */
static void drop_flow(const char *placement)
{
	if (!have(placement))
		skip();
	char cfg[512];
	snprintf(cfg, sizeof(cfg),
		 "Idle -> mk :: MarkIPHeader(14) -> fm :: FlowManager -> pm :: PatternMatch(\"%s\", ACTION DROP_FLOW, "
		 "PLACEMENT %s, LATENCY 1s) -> s :: TestSink;",
		 SIG, placement);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_non_null(r);
	static const char *a[5] = { "aaa", "xxEVIL-SIG", "NATURE-42", "bbb", "ccc" };
	static const char *b[5] = { "111", "222", "333", "444", "555" };
	struct rte_mbuf *p[10];
	for (int k = 0; k < 5; k++) {
		p[2 * k] = seg(r, 0, false, ACK, (uint32_t)(100 + 20 * k), 1, a[k]);
		p[2 * k + 1] = seg(r, 1, false, ACK, (uint32_t)(100 + 20 * k), 1, b[k]);
	}
	tu_push(r, "mk", 0, p, 10);
	drain(r, "s", 7);
	char got[128] = "";
	for (int i = 0; i < 7; i++) {
		strcat(got, payload(tu_sink_pkt(r, "s", i)));
		strcat(got, " ");
	}
	assert_string_equal(got, "aaa 111 xxEVIL-SIG 222 333 444 555 ");
	assert_int_equal(tu_read_int(r, "pm.dropped"), 3);
	assert_int_equal(tu_read_int(r, "pm.flows_dropped"), 1);
	assert_int_equal(tu_read_int(r, "pm.count"), 1);
	tu_router_free(r);
}

static void test_drop_flow_cpu(void **st) { (void)st; drop_flow("cpu"); }
static void test_drop_flow_opencl(void **st) { (void)st; drop_flow("opencl"); }
static void test_drop_flow_cuda(void **st) { (void)st; drop_flow("cuda"); }

/* Without a FlowManager DROP_FLOW drops the matching packet only. */
static void test_drop_flow_no_flows(void **st)
{
	(void)st;
	struct rt_router *r =
		tu_router("Idle -> mk :: MarkIPHeader(14) -> pm :: PatternMatch(\"" SIG "\", ACTION DROP_FLOW) -> s :: TestSink;",
			  NULL);
	assert_non_null(r);
	tu_push1(r, "mk", 0, seg(r, 0, false, ACK, 1, 1, "a" SIG));
	tu_push1(r, "mk", 0, seg(r, 0, false, ACK, 30, 1, "later"));
	assert_int_equal(tu_sink_count(r, "s"), 1);
	assert_string_equal(payload(tu_sink_pkt(r, "s", 0)), "later");
	assert_int_equal(tu_read_int(r, "pm.dropped"), 1);
	assert_int_equal(tu_read_int(r, "pm.flows_dropped"), 0);
	tu_router_free(r);
}

/* ---- REMOVE, REPLACE behind TCPIn ... TCPOut ----------------------------------- */

/* The client sends "aaaaEVIL-SIG" "NATURE-42bbbb" "cc EVIL-SIGNATURE-42 dd";
 * the server acknowledges what it received (edited positions).  The part
 * of the split signature in the second segment is edited (partial), the
 * whole one in the third; TCPOut moves the client's sequence numbers and
 * maps the server's acknowledgement back. */
static void stream_edit(const char *placement, const char *action, const char *rep)
{
	if (!have(placement))
		skip();
	char cfg[600];
	snprintf(cfg, sizeof(cfg),
		 "Idle -> mk :: MarkIPHeader(14) -> fm :: FlowManager(SYMMETRIC true, RESERVE 1k) -> t :: TCPIn "
		 "-> pm :: PatternMatch(\"%s\", ACTION %s, PLACEMENT %s, LATENCY 1s) -> o :: TCPOut -> s :: TestSink;",
		 SIG, action, placement);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_non_null(r);
	uint32_t c = ISN_C + 1, sv = ISN_S + 1;
	tu_push1(r, "mk", 0, seg(r, 0, false, SYN, ISN_C, 0, NULL));
	tu_push1(r, "mk", 0, seg(r, 0, true, SYN | ACK, ISN_S, c, NULL));
	tu_push1(r, "mk", 0, seg(r, 0, false, ACK, c, sv, NULL));
	drain(r, "s", 3);
	tu_push1(r, "mk", 0, seg(r, 0, false, ACK | PSH, c, sv, "aaaaEVIL-SIG"));
	tu_push1(r, "mk", 0, seg(r, 0, false, ACK | PSH, c + 12, sv, "NATURE-42bbbb"));
	tu_push1(r, "mk", 0, seg(r, 0, false, ACK | PSH, c + 25, sv, "cc " SIG " dd"));
	drain(r, "s", 6);
	uint32_t rl = (uint32_t)strlen(rep), s2 = c + 12, s3 = s2 + rl + 4, end = s3 + 3 + rl + 3;
	char w2[64], w3[64];
	snprintf(w2, sizeof(w2), "%sbbbb", rep);
	snprintf(w3, sizeof(w3), "cc %s dd", rep);
	assert_string_equal(payload(tu_sink_pkt(r, "s", 3)), "aaaaEVIL-SIG");
	assert_int_equal(seq_of(tu_sink_pkt(r, "s", 3)), c);
	assert_string_equal(payload(tu_sink_pkt(r, "s", 4)), w2);
	assert_int_equal(seq_of(tu_sink_pkt(r, "s", 4)), s2);
	assert_string_equal(payload(tu_sink_pkt(r, "s", 5)), w3);
	assert_int_equal(seq_of(tu_sink_pkt(r, "s", 5)), s3);
	for (int i = 3; i < 6; i++)
		assert_csums_ok(tu_sink_pkt(r, "s", i));
	/* the server acknowledges the edited stream: mapped back to the original end */
	tu_push1(r, "mk", 0, seg(r, 0, true, ACK, sv, end, NULL));
	drain(r, "s", 7);
	assert_int_equal(ack_of(tu_sink_pkt(r, "s", 6)), c + 48);
	assert_csums_ok(tu_sink_pkt(r, "s", 6));
	assert_int_equal(tu_read_int(r, "pm.count"), 2);
	assert_int_equal(tu_read_int(r, "pm.edited"), 2);
	assert_int_equal(tu_read_int(r, "pm.partial"), 1);
	assert_int_equal(tu_read_int(r, "pm.refused"), 0);
	tu_router_free(r);
}

static void test_replace_cpu(void **st) { (void)st; stream_edit("cpu", "REPLACE \"[cut]\"", "[cut]"); }
static void test_replace_opencl(void **st) { (void)st; stream_edit("opencl", "REPLACE \"[cut]\"", "[cut]"); }
static void test_remove_cpu(void **st) { (void)st; stream_edit("cpu", "REMOVE", ""); }
static void test_remove_opencl(void **st) { (void)st; stream_edit("opencl", "REMOVE", ""); }
static void test_replace_cuda(void **st) { (void)st; stream_edit("cuda", "REPLACE \"[cut]\"", "[cut]"); }
static void test_remove_cuda(void **st) { (void)st; stream_edit("cuda", "REMOVE", ""); }

/* ---- live changes -------------------------------------------------------------- */

/* A MASK element migrates between placements in the middle of a split
 * signature: the flows' automaton states and their host-side start states
 * stay in the FCB slots, so the second halves are masked after the move. */
static void mask_migrate(const char *from, const char *to)
{
	if (!have("opencl"))
		skip();
	char cfg[512];
	snprintf(cfg, sizeof(cfg),
		 "Idle -> mk :: MarkIPHeader(14) -> fm :: FlowManager -> pm :: PatternMatch(\"%s\", ACTION MASK, "
		 "PLACEMENT %s, BATCH 16, LATENCY 1s) -> s :: TestSink;",
		 SIG, from);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_non_null(r);
	struct rt_err err;
	rt_err_clear(&err);
	for (int f = 0; f < 10; f++)
		tu_push1(r, "mk", 0, seg(r, f, false, ACK, 1, 1, "....EVIL-SIGN"));
	/* on a device the 10 packets wait for their batch: the migration takes them over */
	assert_int_equal(rt_ctl_migrate(r, "pm", to, NULL, &err), 0);
	for (int f = 0; f < 10; f++)
		tu_push1(r, "mk", 0, seg(r, f, false, ACK, 14, 1, "ATURE-42...."));
	for (int f = 0; f < 10; f++) /* more flows fill a device batch */
		tu_push1(r, "mk", 0, seg(r, 100 + f, false, ACK, 1, 1, "fill"));
	drain(r, "s", 30);
	int masked = 0;
	for (int i = 0; i < 30; i++) {
		const char *p = payload(tu_sink_pkt(r, "s", i));
		assert_true(!strcmp(p, "....EVIL-SIGN") || !strcmp(p, "XXXXXXXX....") || !strcmp(p, "fill"));
		masked += !strcmp(p, "XXXXXXXX....");
	}
	assert_int_equal(masked, 10);
	assert_int_equal(tu_read_int(r, "pm.partial"), 10);
	tu_router_free(r);
}

static void test_mask_migrate_cpu_to_opencl(void **st) { (void)st; mask_migrate("cpu", "opencl"); }
static void test_mask_migrate_opencl_to_cpu(void **st) { (void)st; mask_migrate("opencl", "cpu"); }

/* A reconfiguration with a bad ACTION fails with its location and leaves
 * the running element as it was; a good one switches the action live and
 * keeps the pattern set. */
static void test_reconfigure_action(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> mk :: MarkIPHeader(14) -> fm :: FlowManager -> pm :: PatternMatch(\"" SIG
					"\"); pm[0] -> s :: TestSink; pm[1] -> alert :: TestSink;", NULL);
	assert_non_null(r);
	struct rt_err err;
	rt_err_clear(&err);
	assert_true(rt_ctl_reconfigure(r, "pm", "\"" SIG "\", ACTION SCRUB", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "ACTION: expected ALERT, DROP_FLOW, MASK, REMOVE or REPLACE"));
	assert_non_null(err.loc.file);
	assert_string_equal(tu_read(r, "pm.action"), "ALERT");
	tu_push1(r, "mk", 0, seg(r, 0, false, ACK, 1, 1, "a" SIG));
	assert_int_equal(tu_sink_count(r, "alert"), 1);
	rt_err_clear(&err);
	assert_true(rt_ctl_reconfigure(r, "pm", "\"" SIG "\", ACTION REMOVE", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "must sit between a TCPIn"));
	assert_string_equal(tu_read(r, "pm.action"), "ALERT");
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_reconfigure(r, "pm", "\"" SIG "\", ACTION MASK", NULL, &err), 0);
	assert_string_equal(tu_read(r, "pm.action"), "MASK");
	tu_push1(r, "mk", 0, seg(r, 1, false, ACK, 1, 1, "b" SIG));
	assert_int_equal(tu_sink_count(r, "alert"), 1);
	assert_int_equal(tu_sink_count(r, "s"), 1);
	assert_string_equal(payload(tu_sink_pkt(r, "s", 0)), "bXXXXXXXXXXXXXXXXX");
	/* a pattern added live is masked with its own length */
	assert_int_equal(tu_write(r, "pm.add", "\"drop table\"", &err), 0);
	tu_push1(r, "mk", 0, seg(r, 2, false, ACK, 1, 1, "x drop table y"));
	assert_string_equal(payload(tu_sink_pkt(r, "s", 1)), "x XXXXXXXXXX y");
	tu_router_free(r);
}

/* ---- configuration errors --------------------------------------------------- */

static void expect_fail(const char *cfg, const char *want)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_router *r = tu_router(cfg, &err);
	assert_null(r);
	if (!strstr(err.msg, want))
		fail_msg("error '%s' lacks '%s'", err.msg, want);
	assert_true(err.loc.line > 0);
}

static void test_config_errors(void **st)
{
	(void)st;
	expect_fail("Idle -> pm :: PatternMatch(\"x\", ACTION REMOVE) -> Discard;",
		    "must sit between a TCPIn (upstream, through input 0) and a TCPOut");
	expect_fail("Idle -> FlowManager(SYMMETRIC true) -> TCPIn -> pm :: PatternMatch(\"x\", ACTION REPLACE \"y\") -> Discard;",
		    "must sit between a TCPIn");
	expect_fail("Idle -> FlowManager(SYMMETRIC true) -> pm :: PatternMatch(\"x\", ACTION REMOVE) -> TCPOut -> Discard;",
		    "must sit between a TCPIn");
	expect_fail("Idle -> pm :: PatternMatch(\"x\", ACTION BLOCK) -> Discard;",
		    "ACTION: expected ALERT, DROP_FLOW, MASK, REMOVE or REPLACE");
	expect_fail("Idle -> FlowManager(SYMMETRIC true) -> TCPIn -> pm :: PatternMatch(\"x\", ACTION REPLACE) -> TCPOut -> Discard;",
		    "REPLACE needs the replacement text");
	expect_fail("Idle -> pm :: PatternMatch(\"x\", ACTION MASK \"y\") -> Discard;", "unexpected 'y' after MASK");
	expect_fail("Idle -> pm :: PatternMatch(\"x\", ACTION MASK, MASK_BYTE 256) -> Discard;", "MASK_BYTE must be 0 to 255");
	/* the accepted forms */
	struct rt_router *r = tu_router("Idle -> FlowManager(SYMMETRIC true, RESERVE 1k) -> TCPIn -> pm :: PatternMatch(\"x\", "
					"ACTION replace, REPLACEMENT \"\\<41 42>\") -> TCPOut -> Discard;", NULL);
	assert_non_null(r);
	assert_string_equal(tu_read(r, "pm.action"), "REPLACE \"\\<41 42>\"");
	tu_router_free(r);
	expect_fail("Idle -> FlowManager(SYMMETRIC true, RESERVE 1k) -> TCPIn -> pm :: PatternMatch(\"x\", ACTION REPLACE \"y\", "
		    "REPLACEMENT \"z\") -> TCPOut -> Discard;", "give the replacement once");
	expect_fail("Idle -> pm :: PatternMatch(\"x\", REPLACEMENT \"z\") -> Discard;", "REPLACEMENT goes with ACTION REPLACE only");
}

int main(void)
{
	tu_eal();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask_cpu),
		cmocka_unit_test(test_mask_opencl),
		cmocka_unit_test(test_mask_cuda),
		cmocka_unit_test(test_mask_byte_no_flows),
		cmocka_unit_test(test_drop_flow_cpu),
		cmocka_unit_test(test_drop_flow_opencl),
		cmocka_unit_test(test_drop_flow_cuda),
		cmocka_unit_test(test_drop_flow_no_flows),
		cmocka_unit_test(test_replace_cpu),
		cmocka_unit_test(test_replace_opencl),
		cmocka_unit_test(test_remove_cpu),
		cmocka_unit_test(test_remove_opencl),
		cmocka_unit_test(test_replace_cuda),
		cmocka_unit_test(test_remove_cuda),
		cmocka_unit_test(test_mask_migrate_cpu_to_opencl),
		cmocka_unit_test(test_mask_migrate_opencl_to_cpu),
		cmocka_unit_test(test_reconfigure_action),
		cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
