/*
 * test_clsflow.c - partial hardware offload (cls_flow.c): which rules rte_flow
 * can express, the port-range split into maskable blocks, and the property
 * that matters: the generated rte_flow patterns, read back in software the
 * way a NIC reads them, plus the software classifier over the rules left
 * in software give every key the brute-force result (random overlapping
 * rule sets, every wildcard mix, ClassBench shapes).  Then the real
 * install on a net_tap port: either the flows are created, or (no TC
 * flower in the kernel) it fails with a clear message, nothing is left in
 * the NIC and the element classifies everything in software.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tu.h"
#include "acl_util.h"
#include "cls_flow.h"

#include <rte_ethdev.h>

static void norm_keys(struct cls_key *k, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (k[i].proto != 6 && k[i].proto != 17)
			k[i].sport = k[i].dport = 0;
		if (k[i].proto != 6)
			k[i].flags = 0;
	}
}

/* Hardware first, the software remainder for what it misses: equal to brute force. */
static uint32_t check_plan(const struct cls_rule *r, uint32_t n, const struct cls_key *keys, uint32_t nk,
			   uint32_t max_flows, uint32_t *hw_hits)
{
	struct cls_flow_plan p;
	assert_int_equal(cls_flow_plan(r, n, NULL, 0, max_flows, &p), 0);
	assert_true(p.nflows <= max_flows);
	struct cls_rule *soft = malloc(sizeof(*soft) * (n + 1));
	uint32_t *soft_idx = malloc(sizeof(*soft_idx) * (n + 1)), ns = 0;
	for (uint32_t i = 0; i < n; i++)
		if (!p.offloaded[i]) {
			soft[ns] = r[i];
			soft_idx[ns++] = i;
		}
	for (uint32_t i = 0; i < nk; i++) {
		uint32_t want = cls_linear_lookup(r, n, &keys[i]);
		const struct cls_flow_rule *f = cls_flow_eval(&p, &keys[i]);
		uint32_t got;
		if (f) {
			got = f->rule;
			assert_int_equal(f->actions[0].type, RTE_FLOW_ACTION_TYPE_MARK);
			assert_int_equal(((const struct rte_flow_action_mark *)f->actions[0].conf)->id, r[got].cls + 1);
			(*hw_hits)++;
		} else {
			uint32_t s = cls_linear_lookup(soft, ns, &keys[i]);
			got = s == CLS_NOMATCH ? CLS_NOMATCH : soft_idx[s];
		}
		if (got != want)
			fail_msg("key %u: hardware+software rule %d, brute force %d (%s)", i, (int)got, (int)want,
				 f ? "hardware" : "software");
	}
	uint32_t off = p.noffloaded;
	free(soft);
	free(soft_idx);
	cls_flow_plan_free(&p);
	return off;
}

static void test_random(void **st)
{
	(void)st;
	uint32_t offloaded = 0, total = 0, hits = 0;
	for (int round = 0; round < 300; round++) {
		uint32_t n = 1 + rnd32() % 40;
		struct cls_rule *r = malloc(sizeof(*r) * n);
		for (uint32_t i = 0; i < n; i++) {
			rand_rule(&r[i], rnd32() % 64, rnd32() % 50);
			if (rnd32() % 2 == 0) { /* more expressible rules: flags off, full protocol masks */
				r[i].flags = r[i].flags_mask = 0;
				if (r[i].proto_mask)
					r[i].proto_mask = 0xff, r[i].proto = rnd32() % 2 ? 6 : 17;
			}
		}
		uint32_t nk = 400;
		struct cls_key *k = malloc(sizeof(*k) * nk);
		rand_keys(k, nk);
		norm_keys(k, nk);
		offloaded += check_plan(r, n, k, nk, round % 3 ? 1024 : 6, &hits);
		total += n;
		free(r);
		free(k);
	}
	/* the property is not vacuous: both sides took rules and packets */
	print_message("%u of %u rules offloaded, %u keys matched in hardware\n", offloaded, total, hits);
	assert_true(offloaded > total / 40);
	assert_true(offloaded < total);
	assert_true(hits > 1000);
}

static void test_classbench(void **st)
{
	(void)st;
	static const enum cls_shape shapes[] = {CLS_SHAPE_ACL, CLS_SHAPE_FW, CLS_SHAPE_IPC};
	for (int s = 0; s < 3; s++) {
		struct cls_ruleset rs;
		cls_ruleset_init(&rs);
		cls_gen_rules(shapes[s], 1000, 8, 3 + (uint64_t)s, &rs);
		uint32_t nk = 20000, hits = 0;
		struct cls_key *k = malloc(sizeof(*k) * nk);
		cls_gen_trace(rs.r, rs.n, nk, 10, 9, k);
		uint32_t off = check_plan(rs.r, rs.n, k, nk, 4096, &hits);
		print_message("%s 1k: %u rules offloaded, %u of %u keys matched in hardware\n", cls_shape_name(shapes[s]),
			      off, hits, nk);
		free(k);
		cls_ruleset_free(&rs);
	}
}

static void test_expressible(void **st)
{
	(void)st;
	struct cls_rule r;
	const struct rt_loc loc = {"t", 1, 1};
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(cls_rule_parse("@10.0.0.0/8 0.0.0.0/0 0 : 65535 1024 : 65535 0x06/0xFF 0x0000/0x0000", &r, &loc, &err), 0);
	assert_null(cls_flow_why_not(&r));
	struct cls_flow_plan p;
	assert_int_equal(cls_flow_plan(&r, 1, NULL, 0, 100, &p), 0);
	assert_int_equal(p.nflows, 6); /* 1024-2047, 2048-4095, ..., 32768-65535 */
	assert_int_equal(p.flows[0].pattern[2].type, RTE_FLOW_ITEM_TYPE_TCP);
	assert_int_equal(p.flows[0].pattern[3].type, RTE_FLOW_ITEM_TYPE_END);
	cls_flow_plan_free(&p);
	assert_int_equal(cls_rule_parse("@10.0.0.0/8 0.0.0.0/0 0 : 65535 1001 : 1998 0x06/0xFF 0x0000/0x0000", &r, &loc, &err), 0);
	assert_string_equal(cls_flow_why_not(&r), "port ranges needing more than 8 maskable blocks");
	assert_int_equal(cls_rule_parse("@10.0.0.0/8 0.0.0.0/0 0 : 65535 80 : 80 0x00/0x00 0x0000/0x0000", &r, &loc, &err), 0);
	assert_string_equal(cls_flow_why_not(&r), "ports without TCP or UDP");
	assert_int_equal(cls_rule_parse("@10.0.0.0/8 0.0.0.0/0 0 : 65535 80 : 80 0x06/0xFF 0x1000/0x1000", &r, &loc, &err), 0);
	assert_string_equal(cls_flow_why_not(&r), "TCP flags");
	/* a better software-only rule overlapping keeps the worse one in software */
	struct cls_rule two[2];
	assert_int_equal(cls_rule_parse("@10.1.0.0/16 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF 0x1000/0x1000", &two[0], &loc, &err), 0);
	assert_int_equal(cls_rule_parse("@10.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF 0x0000/0x0000", &two[1], &loc, &err), 0);
	two[0].prio = 0, two[1].prio = 1;
	assert_int_equal(cls_flow_plan(two, 2, NULL, 0, 100, &p), 0);
	assert_int_equal(p.noffloaded, 0);
	cls_flow_plan_free(&p);
	two[0].src = 0x0b000000; /* no longer overlapping */
	assert_int_equal(cls_flow_plan(two, 2, NULL, 0, 100, &p), 0);
	assert_int_equal(p.noffloaded, 1);
	assert_true(p.offloaded[1]);
	cls_flow_plan_free(&p);
}

/* net_tap implements rte_flow with TC flower; this kernel may lack it. */
static void test_tap(void **st)
{
	(void)st;
	if (access("/dev/net/tun", R_OK | W_OK) || geteuid() != 0)
		skip();
	struct rt_router *r = tu_router(
		"f :: FromDPDKDevice(net_tap0, iface=mbclsflow0, NDESC 256) -> n :: Null -> a :: ACLClassifier("
		"\"@10.0.0.0/8 0.0.0.0/0 0 : 65535 80 : 80 0x06/0xFF 0x0000/0x0000 class 1\","
		"\"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF 0x1000/0x1000 class 0\", NOMATCH 0);\n"
		"a[0] -> s0 :: TestSink; a[1] -> s1 :: TestSink; Idle -> ToDPDKDevice(net_tap0, NDESC 256);",
		NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_router_start(r, &err), 0);
	assert_int_equal(tu_write(r, "a.nic_offload", "nosuchport", &err), -ENODEV);
	assert_string_equal(err.msg, "offload: no DPDK port 'nosuchport'");
	rt_err_clear(&err);
	int rc = tu_write(r, "a.nic_offload", "net_tap0", &err);
	const char *res = tu_read(r, "a.nic_offloaded");
	print_message("net_tap offload: %s", res);
	if (rc == 0) {
		assert_non_null(strstr(res, "1 of 2 rules in hardware (1 flows)"));
		assert_non_null(strstr(res, "\n0\n"));
	} else {
		/* refused: said why, and all of it stays in software */
		assert_non_null(strstr(err.msg, "every rule stays in software"));
		assert_non_null(strstr(err.msg, "refused rule 0"));
		assert_string_equal(strstr(res, "\n"), "\n");
	}
	/* what the kernel says to a queue action (tap's own): TC flower present or not */
	struct cls_rule one;
	assert_int_equal(cls_rule_parse("@10.0.0.0/8 0.0.0.0/0 0 : 65535 80 : 80 0x06/0xFF 0x0000/0x0000", &one, NULL, &err), 0);
	struct cls_flow_action q = {CLS_FA_QUEUE, 0};
	struct cls_flow_plan p;
	assert_int_equal(cls_flow_plan(&one, 1, &q, 1, 16, &p), 0);
	uint16_t port;
	assert_int_equal(rte_eth_dev_get_port_by_name("net_tap0", &port), 0);
	rt_err_clear(&err);
	rc = cls_flow_install(&p, port, &err);
	print_message("net_tap queue action: %s\n", rc == 0 ? "installed" : err.msg);
	if (rc < 0)
		assert_non_null(strstr(err.msg, "every rule stays in software"));
	cls_flow_plan_free(&p); /* destroys what was installed */
	rt_router_stop(r);
	rt_router_join(r);
	/* software still classifies (marks only count when offloaded) */
	uint8_t buf[128];
	int len = tu_build_tcp(buf, "10.1.2.3", "1.2.3.4", 1000, 80, 0x10, 1, "x", 1);
	struct rte_mbuf *m = tu_pkt(r, buf, (uint32_t)len);
	rt_set_nh(m, 14);
	tu_push1(r, "n", 0, m);
	assert_int_equal(tu_sink_count(r, "s1"), 1);
	assert_int_equal(tu_write(r, "a.nic_offload", "off", &err), 0);
	assert_string_equal(tu_read(r, "a.nic_offloaded"), "off\n");
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expressible),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_classbench),
		cmocka_unit_test(test_tap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
