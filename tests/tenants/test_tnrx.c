/*
 * test_tnrx.c - device rx into a tenant's pool: FromDPDKDevice(..., TENANT
 * A) on net_null receives into A's packet pool and marks the packets as
 * A's; a hog in A's graph that keeps every packet exhausts A's buffers and
 * nobody else's (the operator's port on the router's pool keeps going).  A
 * started queue cannot change pools; an unknown tenant is an error naming
 * the element.
 */
#include <rte_mempool.h>

#include "tn_util.h"

#define RUN_MS 10000

static void test_rx_into_tenant_pool(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> Discard;", NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "A", "buffers=512", &err), 0);
	if (rt_ctl_add(r,
		       "fa :: FromDPDKDevice(net_null11, BURST 64, TENANT A) -> A/hog :: TestSink;"
		       "fo :: FromDPDKDevice(net_null12, BURST 64) -> c :: Counter -> Discard;"
		       "DriverManager(label l, wait 1ms, goto l $(lt $(c.count) 50000), stop);",
		       NULL, &err) < 0)
		fail_msg("%s", err.msg);
	struct rte_mempool *ap = tn_pool(tn_by_name(r, "A"));
	unsigned router_before = rte_mempool_in_use_count(rt_router_pool(r));
	assert_int_equal(tu_run(r, RUN_MS), 0);
	int n = tu_sink_count(r, "A/hog");
	assert_true(n > 400 && n <= 512); /* its pool (less what sits in other lcores' caches) */
	assert_int_equal(tu_read_int(r, "fa.count"), n);
	uint32_t a = tn_id(tn_by_name(r, "A"));
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *m = tu_sink_pkt(r, "A/hog", i);
		assert_ptr_equal(m->pool, ap);
		assert_int_equal(rt_anno(m)->tenant, a);
	}
	assert_int_equal(rte_mempool_in_use_count(ap), (unsigned)n);
	assert_true(tu_read_int(r, "c.count") >= 50000); /* the operator's port ran on */
	assert_true(rte_mempool_in_use_count(rt_router_pool(r)) <= router_before + 64);
	struct rt_buf b;
	rt_buf_init(&b);
	assert_int_equal(tn_show(r, "A", &b, &err), 0);
	char want[64];
	snprintf(want, sizeof(want), "buffers_in_use %d\n", n);
	assert_non_null(strstr(b.p, want));
	rt_buf_free(&b);
	tu_router_free(r);
}

static void test_rx_errors(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> Discard;", NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "A", NULL, &err), 0);
	assert_true(rt_ctl_add(r, "f :: FromDPDKDevice(net_null13, TENANT Z) -> Discard;", NULL, &err) < 0);
	assert_string_equal(err.msg, "f: no tenant 'Z'");
	assert_non_null(err.loc.file);
	assert_null(rt_router_find(r, "f"));
	/* a tenant may not declare devices at all */
	rt_err_clear(&err);
	assert_true(tn_load(r, "A", "FromDPDKDevice(net_null14, TENANT A) -> Discard;", true, "<a>", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "class FromDPDKDevice is the operator's"));
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rx_into_tenant_pool),
		cmocka_unit_test(test_rx_errors),
	};
	return cmocka_run_group_tests_name("tenant rx", tests, NULL, NULL);
}
