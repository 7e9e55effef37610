/*
 * test_tnflows.c - a tenant's flow-entry and held-packet quotas
 * (docs/tenants.md): over its quota a tenant's flow manager applies its
 * full-table policy (counted drop or bypass) and a holding element drops
 * (counted), while another tenant's flows are untouched; entries and held
 * packets are credited back when flows end, when elements go and when the
 * quota changes; each worker has its own share.  Usage and drops are seen
 * through the one control API (tn_usage), each tenant only its own.
 */
#include <rte_mempool.h>

#include "flow/flow.h"
#include "tn_util.h"

#define SEC 1000000000ull

static struct rte_mbuf *udp(struct rt_router *r, const char *src, uint16_t sport, int plen, uint64_t ts)
{
	uint8_t buf[1600], pl[1500];
	memset(pl, 'u', sizeof(pl));
	int n = tu_build_udp(buf, src, "10.0.0.2", sport, 53, pl, plen);
	struct rte_mbuf *m = tu_pkt(r, buf, (uint32_t)n);
	rt_anno(m)->timestamp = ts;
	return m;
}

/* n new flows (ports from p0), one packet each, into element `el`. */
static void flows(struct rt_router *r, const char *el, int n, uint16_t p0, uint64_t ts)
{
	for (int i = 0; i < n; i++)
		tu_push1(r, el, 0, udp(r, "10.1.0.1", (uint16_t)(p0 + i), 10, ts));
}

/* The usage of tenant `name` as the operator sees it. */
static struct tn_usage usage(struct rt_router *r, const char *name)
{
	struct tn_usage *v, u = {0};
	struct rt_err err;
	rt_err_clear(&err);
	int n = tn_usage(r, &v, &err);
	assert_true(n >= 0);
	bool found = false;
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i].name, name)) {
			u = v[i];
			found = true;
		}
	free(v);
	assert_true(found);
	return u;
}

static struct rt_router *two(const char *aq, const char *acfg, const char *bcfg, int nworkers)
{
	struct rt_router *r = tu_router_j("Idle -> op :: Counter -> Discard;", nworkers, NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "A", aq, &err), 0);
	assert_int_equal(tn_add(r, "B", NULL, &err), 0);
	if (tn_load(r, "A", acfg, true, "<a>", NULL, &err) < 0)
		fail_msg("A: %s", err.msg);
	if (bcfg && tn_load(r, "B", bcfg, true, "<b>", NULL, &err) < 0)
		fail_msg("B: %s", err.msg);
	return r;
}

#define FM_CFG(full) "Idle -> fm :: FlowManager(CAPACITY 64, FULL " full ") -> c :: Counter -> Discard;"

static void test_flow_quota_drop(void **st)
{
	(void)st;
	struct rt_router *r = two("flows=5", FM_CFG("DROP"), FM_CFG("DROP"), 1);
	flows(r, "A/fm", 10, 1000, SEC);
	flows(r, "B/fm", 10, 1000, SEC); /* the same keys, B's own table */
	assert_int_equal(tu_read_int(r, "A/c.count"), 5);
	assert_int_equal(tu_read_int(r, "A/fm.flows"), 5);
	assert_int_equal(tu_read_int(r, "A/fm.full_drops"), 5);
	assert_int_equal(tu_read_int(r, "B/c.count"), 10); /* B: no quota, untouched by A's */
	assert_int_equal(tu_read_int(r, "B/fm.flows"), 10);
	struct tn_usage a = usage(r, "A"), b = usage(r, "B");
	assert_int_equal(a.flows, 5);
	assert_int_equal(a.flows_quota, 5);
	assert_int_equal(a.flow_drops, 5);
	assert_int_equal(b.flows, 10);
	assert_int_equal(b.flow_drops, 0);
	/* packets of A's existing flows still pass: only new entries are refused */
	flows(r, "A/fm", 5, 1000, SEC);
	assert_int_equal(tu_read_int(r, "A/c.count"), 10);
	assert_int_equal(usage(r, "A").flow_drops, 5);
	/* its flows end (idle past the UDP timeout): the entries come back */
	flows(r, "A/fm", 5, 2000, 100 * SEC);
	assert_int_equal(tu_read_int(r, "A/fm.expired"), 5);
	assert_int_equal(tu_read_int(r, "A/c.count"), 15);
	assert_int_equal(usage(r, "A").flows, 5);
	assert_int_equal(usage(r, "A").flow_drops, 5);
	/* a larger quota takes effect at the next insert */
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_set_quota(r, "A", "flows=7", &err), 0);
	flows(r, "A/fm", 4, 3000, 100 * SEC);
	assert_int_equal(usage(r, "A").flows, 7);
	assert_int_equal(usage(r, "A").flow_drops, 7);
	/* A's graph without its manager: the freed table gives its entries back */
	assert_int_equal(tn_load(r, "A", "Idle -> c :: Counter -> Discard;", true, NULL, NULL, &err), 0);
	assert_int_equal(usage(r, "A").flows, 0);
	assert_int_equal(usage(r, "B").flows, 10);
	tu_router_free(r);
}

static void test_flow_quota_bypass_and_two_managers(void **st)
{
	(void)st;
	/* two managers of A share its quota; BYPASS lets the excess through
	 * without a flow, counted */
	struct rt_router *r = two("flows=6",
				  "Idle -> f1 :: FlowManager(FULL BYPASS) -> c1 :: FlowCounter -> Discard;"
				  "Idle -> f2 :: FlowManager(FULL BYPASS) -> c2 :: FlowCounter -> Discard;",
				  NULL, 1);
	flows(r, "A/f1", 4, 1000, SEC);
	flows(r, "A/f2", 4, 1000, SEC);
	assert_int_equal(tu_read_int(r, "A/f1.flows"), 4);
	assert_int_equal(tu_read_int(r, "A/f2.flows"), 2);
	assert_int_equal(tu_read_int(r, "A/f2.bypassed"), 2);
	assert_int_equal(tu_read_int(r, "A/c2.noflow"), 2);
	assert_int_equal(tu_read_int(r, "A/c2.count"), 4); /* bypassed packets pass */
	struct tn_usage a = usage(r, "A");
	assert_int_equal(a.flows, 6);
	assert_int_equal(a.flow_drops, 2);
	tu_router_free(r);
}

static void test_flow_quota_per_worker_share(void **st)
{
	(void)st;
	/* 5 over 2 workers: 3 for worker 0, 2 for worker 1, no sharing */
	struct rt_router *r = two("flows=5", FM_CFG("DROP"), NULL, 2);
	for (int i = 0; i < 4; i++) {
		tu_push_as(r, "A/fm", 0, 0, udp(r, "10.1.0.1", (uint16_t)(1000 + i), 10, SEC));
		tu_push_as(r, "A/fm", 0, 1, udp(r, "10.1.0.1", (uint16_t)(2000 + i), 10, SEC));
	}
	assert_int_equal(tu_read_int(r, "A/fm.flows"), 5);
	assert_int_equal(tu_read_int(r, "A/c.count"), 5);
	struct tn_usage a = usage(r, "A");
	assert_int_equal(a.flows, 5);
	assert_int_equal(a.flow_drops, 3); /* one on worker 0, two on worker 1 */
	tu_router_free(r);
}

#define WAIT_CFG "Idle -> fm :: FlowManager -> w :: FlowWait(100) -> c :: Counter -> Discard;"

static void test_held_quota(void **st)
{
	(void)st;
	struct rt_router *r = two("held=4", WAIT_CFG, WAIT_CFG, 1);
	struct rte_mempool *rp = rt_router_pool(r);
	unsigned before = rte_mempool_in_use_count(rp);
	/* 3 flows of 2 small packets each: each would be held (under 100 bytes) */
	for (int i = 0; i < 2; i++)
		for (int f = 0; f < 3; f++) {
			tu_push1(r, "A/fm", 0, udp(r, "10.1.0.1", (uint16_t)(1000 + f), 10, SEC));
			tu_push1(r, "B/fm", 0, udp(r, "10.1.0.1", (uint16_t)(1000 + f), 10, SEC));
		}
	assert_int_equal(tu_read_int(r, "A/w.held"), 4);
	assert_int_equal(tu_read_int(r, "A/w.quota_drops"), 2);
	assert_int_equal(tu_read_int(r, "B/w.held"), 6); /* B: no quota, all held */
	assert_int_equal(tu_read_int(r, "B/w.quota_drops"), 0);
	struct tn_usage a = usage(r, "A");
	assert_int_equal(a.held, 4);
	assert_int_equal(a.held_quota, 4);
	assert_int_equal(a.held_drops, 2);
	assert_int_equal(usage(r, "B").held, 6);
	assert_int_equal(rte_mempool_in_use_count(rp), before + 10); /* the drops were freed */
	/* a flow that completes releases what it held: room for new holds */
	tu_push1(r, "A/fm", 0, udp(r, "10.1.0.1", 1000, 200, SEC));
	assert_int_equal(tu_read_int(r, "A/c.count"), 3);
	a = usage(r, "A");
	assert_int_equal(a.held, 2);
	tu_push1(r, "A/fm", 0, udp(r, "10.1.0.1", 1001, 10, SEC));
	assert_int_equal(usage(r, "A").held, 3);
	/* flows that end free their held packets and credit the quota */
	tu_push1(r, "A/fm", 0, udp(r, "10.9.0.1", 1, 10, 100 * SEC)); /* held too: 4 */
	a = usage(r, "A");
	assert_int_equal(tu_read_int(r, "A/fm.held_freed"), 3);
	assert_int_equal(a.held, 1);
	/* the manager goes: what its table held is given back */
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_load(r, "A", "Idle -> c :: Counter -> Discard;", true, NULL, NULL, &err), 0);
	assert_int_equal(usage(r, "A").held, 0);
	assert_int_equal(usage(r, "B").held, 6);
	tu_router_free(r);
}

/* Live changes keep the count of held packets right: a reload that keeps
 * the manager and the holding element, then a swap of the holding element
 * (its slot and held packets carried), then the flows' end. */
static void test_held_quota_live(void **st)
{
	(void)st;
#define LIVE_CFG(c) "Idle -> fm :: FlowManager(RESERVE 1024) -> w :: FlowWait(100) -> " c " :: Counter -> Discard;"
	struct rt_router *r = two("held=10", LIVE_CFG("c"), NULL, 1);
	for (int f = 0; f < 3; f++)
		tu_push1(r, "A/fm", 0, udp(r, "10.1.0.1", (uint16_t)(1000 + f), 10, SEC));
	assert_int_equal(usage(r, "A").held, 3);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_load(r, "A", LIVE_CFG("c2"), true, "<a>", NULL, &err), 0);
	assert_int_equal(usage(r, "A").held, 3);
	tu_push1(r, "A/fm", 0, udp(r, "10.1.0.1", 1000, 200, SEC)); /* completes flow 1000 */
	assert_int_equal(tu_read_int(r, "A/c2.count"), 2);
	assert_int_equal(usage(r, "A").held, 2);
	if (rt_ctl_reconfigure(r, "A/w", "300", NULL, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(usage(r, "A").held, 2); /* still in their flows */
	tu_push1(r, "A/fm", 0, udp(r, "10.9.0.1", 1, 10, 100 * SEC)); /* the rest ends; a new one is held */
	assert_int_equal(tu_read_int(r, "A/fm.held_freed"), 2);
	assert_int_equal(usage(r, "A").held, 1);
	assert_int_equal(usage(r, "A").held_drops, 0);
	tu_router_free(r);
}

/* Each tenant sees its own usage only, through every face's one call. */
static void test_usage_isolation(void **st)
{
	(void)st;
	struct rt_router *r = two("flows=5", FM_CFG("DROP"), FM_CFG("DROP"), 1);
	flows(r, "A/fm", 7, 1000, SEC);
	flows(r, "B/fm", 3, 1000, SEC);
	struct rt_err err;
	rt_err_clear(&err);
	struct tn_usage *v;
	struct rt_ident prev = rt_ctl_enter(r, id_of(r, "A"));
	int n = tn_usage(r, &v, &err);
	rt_ctl_leave(r, prev);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "A");
	assert_int_equal(v[0].flows, 5);
	assert_int_equal(v[0].flow_drops, 2);
	free(v);
	/* B's flows are B's: A reads its own manager by its own name, and B's
	 * is "no element", as for a name that does not exist */
	struct rt_buf fb;
	rt_buf_init(&fb);
	prev = rt_ctl_enter(r, id_of(r, "A"));
	assert_int_equal(rt_ctl_read(r, "fm.flows", &fb, &err), 0);
	assert_string_equal(fb.p, "5");
	assert_int_equal(rt_ctl_read(r, "B/fm.flows", &fb, &err), -ENOENT);
	assert_string_equal(err.msg, "no element 'B/fm'");
	assert_int_equal(rt_ctl_read(r, "B/fm.count", &fb, &err), -ENOENT);
	rt_ctl_leave(r, prev);
	rt_buf_free(&fb);
	rt_err_clear(&err);
	prev = rt_ctl_enter(r, RT_IDENT_NOBODY);
	n = tn_usage(r, &v, &err);
	rt_ctl_leave(r, prev);
	assert_int_equal(n, 0);
	free(v);
	/* the router handler, as B: its own line only */
	struct rt_buf b;
	rt_buf_init(&b);
	prev = rt_ctl_enter(r, id_of(r, "B"));
	assert_int_equal(rt_ctl_read(r, "tenants", &b, &err), 0);
	rt_ctl_leave(r, prev);
	assert_non_null(strstr(b.p, "\nB "));
	assert_null(strstr(b.p, "\nA "));
	assert_non_null(strstr(b.p, "3/-"));
	rt_buf_free(&b);
	/* the operator: both, in JSON */
	rt_buf_init(&b);
	assert_int_equal(tn_usage_put(r, true, false, &b, &err), 2);
	assert_non_null(strstr(b.p, "{\"tenant\":\"A\",\"id\":1,\"elements\":4,"));
	assert_non_null(strstr(b.p, "\"flows\":5,\"flows_quota\":5,\"flows_refused\":2,"));
	assert_non_null(strstr(b.p, "{\"tenant\":\"B\""));
	rt_buf_free(&b);
	/* tenant show has them too */
	rt_buf_init(&b);
	assert_int_equal(tn_show(r, "A", &b, &err), 0);
	assert_non_null(strstr(b.p, "flows_in_use 5\nflows_refused 2\n"));
	rt_buf_free(&b);
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_quota_drop),
		cmocka_unit_test(test_flow_quota_bypass_and_two_managers),
		cmocka_unit_test(test_flow_quota_per_worker_share),
		cmocka_unit_test(test_held_quota),
		cmocka_unit_test(test_held_quota_live),
		cmocka_unit_test(test_usage_isolation),
	};
	return cmocka_run_group_tests_name("tenant flows", tests, NULL, NULL);
}
