/*
 * test_tnedge.c - the edge in one step (TenantClassifier): per-tenant
 * selectors by input port, VLAN, prefixes, protocol and ports compile into
 * one big-classifier rule set; each packet is tagged with its tenant and
 * leaves on that tenant's output into its graph.  Bad selectors are errors
 * with their location and leave the running graph unchanged; a tenant's
 * own TenantClassifier may not select for another tenant.
 */
#include "tn_util.h"

static struct rte_mbuf *udp(struct rt_router *r, const char *src, const char *dst, uint16_t dport, int vlan)
{
	uint8_t buf[1600], pl[16] = {0};
	int n = tu_build_udp(buf, src, dst, 1000, dport, pl, sizeof(pl));
	if (vlan >= 0) { /* an 802.1Q tag after the MAC addresses */
		memmove(buf + 16, buf + 12, (size_t)n - 12);
		buf[12] = 0x81, buf[13] = 0x00, buf[14] = (uint8_t)(vlan >> 8), buf[15] = (uint8_t)vlan;
		n += 4;
	}
	return tu_pkt(r, buf, (uint32_t)n);
}

static struct rte_mbuf *tcp80(struct rt_router *r, const char *src, const char *dst)
{
	uint8_t buf[200];
	int n = tu_build_tcp(buf, src, dst, 1000, 80, 0x02, 1, NULL, 0);
	return tu_pkt(r, buf, (uint32_t)n);
}

#define EDGE                                                                                                  \
	"Idle -> tc :: TenantClassifier(A vlan 10, A src 10.1.0.0/16, B port 1 dst 192.168.0.0/16, "        \
	"B proto tcp dport 80, NOMATCH 2); Idle -> [1] tc;"                                                  \
	"tc [0] -> A/in :: TestSink; tc [1] -> B/in :: TestSink; tc [2] -> rest :: TestSink;"

static struct rt_router *edge(void)
{
	struct rt_router *r = tu_router("Idle -> Discard;", NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "A", NULL, &err), 0);
	assert_int_equal(tn_add(r, "B", NULL, &err), 0);
	if (rt_ctl_add(r, EDGE, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	return r;
}

static uint32_t tenant_of(struct rt_router *r, const char *sink, int i)
{
	return rt_anno(tu_sink_pkt(r, sink, i))->tenant;
}

static void test_select_tag_dispatch(void **st)
{
	(void)st;
	struct rt_router *r = edge();
	uint32_t a = tn_id(tn_by_name(r, "A")), b = tn_id(tn_by_name(r, "B"));
	tu_push1(r, "tc", 0, udp(r, "10.1.2.3", "8.8.8.8", 53, -1));        /* A by prefix */
	tu_push1(r, "tc", 0, udp(r, "172.16.0.1", "8.8.8.8", 53, 10));      /* A by VLAN 10 */
	tu_push1(r, "tc", 0, udp(r, "172.16.0.1", "8.8.8.8", 53, 11));      /* VLAN 11: nobody's */
	tu_push1(r, "tc", 0, udp(r, "10.9.9.9", "192.168.1.1", 53, -1));    /* B's prefix, wrong port */
	tu_push1(r, "tc", 1, udp(r, "10.9.9.9", "192.168.1.1", 53, -1));    /* B: port 1 and prefix */
	tu_push1(r, "tc", 0, tcp80(r, "10.9.9.9", "8.8.8.8"));             /* B by protocol and port */
	tu_push1(r, "tc", 1, udp(r, "10.1.2.3", "192.168.1.1", 53, -1));    /* both: the first selector wins */
	tu_push1(r, "tc", 0, tu_pkt(r, "not an IP packet", 16));            /* not IPv4 */
	assert_int_equal(tu_sink_count(r, "A/in"), 3);
	assert_int_equal(tu_sink_count(r, "B/in"), 2);
	assert_int_equal(tu_sink_count(r, "rest"), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(tenant_of(r, "A/in", i), a);
	for (int i = 0; i < 2; i++)
		assert_int_equal(tenant_of(r, "B/in", i), b);
	for (int i = 0; i < 3; i++)
		assert_int_equal(tenant_of(r, "rest", i), 0);
	assert_int_equal(tu_read_int(r, "tc.count"), 5);
	assert_int_equal(tu_read_int(r, "tc.nomatch"), 3);
	assert_string_equal(tu_read(r, "tc.counts"), "0 A 3\n1 B 2\n");
	/* live: VLAN 11 becomes B's, A's prefix selector goes */
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tu_write(r, "tc.add_selector", "B vlan 11", &err), 0);
	assert_int_equal(tu_write(r, "tc.remove_selector", "1", &err), 0);
	assert_string_equal(tu_read(r, "tc.selectors"), "0\tA vlan 10\n2\tB port 1 dst 192.168.0.0/16\n"
							 "3\tB proto tcp dport 80\n4\tB vlan 11\n");
	tu_push1(r, "tc", 0, udp(r, "172.16.0.1", "8.8.8.8", 53, 11));
	tu_push1(r, "tc", 0, udp(r, "10.1.2.3", "8.8.8.8", 53, -1));
	assert_int_equal(tu_sink_count(r, "B/in"), 3);
	assert_int_equal(tenant_of(r, "B/in", 2), b);
	assert_int_equal(tu_sink_count(r, "rest"), 4);
	/* a new tenant needs an output of its own; bad selectors change nothing */
	assert_int_equal(tn_add(r, "C", NULL, &err), 0);
	assert_true(tu_write(r, "tc.add_selector", "C vlan 12", &err) < 0);
	assert_string_equal(err.msg, "add_selector: tenant 'C' would need output 2, which is NOMATCH's");
	assert_true(tu_write(r, "tc.add_selector", "Z vlan 12", &err) < 0);
	assert_string_equal(err.msg, "add_selector: no tenant 'Z'");
	assert_true(tu_write(r, "tc.add_selector", "A vlan 4096", &err) < 0);
	assert_string_equal(err.msg, "tc: add_selector: bad value for vlan: '4096'");
	assert_true(tu_write(r, "tc.remove_selector", "x", &err) < 0);
	assert_int_equal(tu_read_int(r, "tc.nomatch"), 4);
	assert_string_equal(tu_read(r, "tc.counts"), "0 A 3\n1 B 3\n");
	tu_router_free(r);
}

static void test_nomatch_dropped(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> Discard;", NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "A", NULL, &err), 0);
	assert_int_equal(tn_add(r, "B", NULL, &err), 0);
	assert_int_equal(rt_ctl_add(r, "Idle -> tc :: TenantClassifier(A vlan none dst 10.0.0.0/8) -> A/in :: TestSink;"
				       "tc [1] -> B/in :: TestSink;",
				    NULL, &err), 0);
	struct rte_mempool *p = rt_router_pool(r);
	unsigned before = rte_mempool_in_use_count(p);
	tu_push1(r, "tc", 0, udp(r, "1.1.1.1", "10.0.0.1", 53, -1));
	tu_push1(r, "tc", 0, udp(r, "1.1.1.1", "10.0.0.1", 53, 0)); /* tagged (VLAN 0): not "none" */
	tu_push1(r, "tc", 0, udp(r, "1.1.1.1", "11.0.0.1", 53, -1));
	assert_int_equal(tu_sink_count(r, "A/in"), 1);
	assert_int_equal(tu_read_int(r, "tc.nomatch"), 2);
	assert_int_equal(rte_mempool_in_use_count(p), before + 1); /* the two others were freed */
	assert_int_equal(tu_sink_count(r, "B/in"), 0); /* its output waits for a selector */
	/* B joins live, on the free output */
	assert_int_equal(tu_write(r, "tc.add_selector", "B dst 11.0.0.0/8", &err), 0);
	tu_push1(r, "tc", 0, udp(r, "1.1.1.1", "11.0.0.1", 53, -1));
	assert_int_equal(tu_sink_count(r, "B/in"), 1);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "B/in", 0))->tenant, tn_id(tn_by_name(r, "B")));
	assert_string_equal(tu_read(r, "tc.counts"), "0 A 1\n1 B 1\n");
	tu_router_free(r);
}

static void test_errors_leave_graph(void **st)
{
	(void)st;
	struct rt_router *r = edge();
	char flat[4096];
	snprintf(flat, sizeof(flat), "%s", tu_read(r, "flatconfig"));
	uint64_t v = r->version;
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"Idle -> t2 :: TenantClassifier(C src 1.0.0.0/8) -> Discard;", "t2: no tenant 'C'"},
		{"Idle -> t2 :: TenantClassifier(A src 1.0.0.0/33) -> Discard;", "t2: argument 1: bad value for src: '1.0.0.0/33'"},
		{"Idle -> t2 :: TenantClassifier(A port 1, A colour blue) -> Discard;",
		 "t2: argument 2: unknown selector 'colour' (port, vlan, src, dst, proto, sport, dport)"},
		{"Idle -> t2 :: TenantClassifier(A port 8) -> Discard;", "t2: argument 1: bad value for port: '8'"},
		{"Idle -> t2 :: TenantClassifier(A dport 90-80) -> Discard;", "t2: argument 1: bad value for dport: '90-80'"},
		{"Idle -> t2 :: TenantClassifier(A vlan) -> Discard;", "t2: argument 1: bad value for vlan: '(none)'"},
		{"Idle -> t2 :: TenantClassifier(A src 1.0.0.0/8, B dst 2.0.0.0/8) -> Discard;",
		 "t2: 2 tenants but 1 output (one per tenant)"},
		{"Idle -> t2 :: TenantClassifier(A src 1.0.0.0/8, NOMATCH 0) -> Discard;", "t2: NOMATCH 0 is tenant A's output"},
		{"Idle -> t2 :: TenantClassifier() -> Discard;",
		 "t2: expected at least one selector, TENANT [port N] [vlan V] ..."},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rt_err err;
		rt_err_clear(&err);
		assert_true(rt_ctl_add(r, bad[i].text, NULL, &err) < 0);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("'%s': got '%s'", bad[i].text, err.msg);
		assert_non_null(err.loc.file); /* where it was written */
		assert_string_equal(tu_read(r, "flatconfig"), flat);
		assert_int_equal(r->version, v);
	}
	/* a tenant's own TenantClassifier selects only for itself */
	struct rt_err err;
	rt_err_clear(&err);
	assert_true(tn_load(r, "A", "Idle -> TenantClassifier(B src 1.0.0.0/8) -> Discard;", false, "<a>",
			    NULL, &err) < 0);
	if (!strstr(err.msg, "no tenant 'B'"))
		fail_msg("got %s", err.msg);
	rt_err_clear(&err);
	assert_int_equal(tn_load(r, "A", "Idle -> t :: TenantClassifier(A src 1.0.0.0/8) -> Discard;", false, "<a>", NULL,
				 &err), 0);
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_tag_dispatch),
		cmocka_unit_test(test_nomatch_dropped),
		cmocka_unit_test(test_errors_leave_graph),
	};
	return cmocka_run_group_tests_name("tenant edge", tests, NULL, NULL);
}
