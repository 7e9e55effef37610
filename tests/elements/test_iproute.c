/*
 * test_iproute.c - the route lookup classes of elements/ip (LookupIPRoute,
 * RadixIPLookup, StaticIPLookup, DirectIPLookup, LinearIPLookup): routes,
 * handlers and a randomized comparison against a linear lookup.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ip_util.h"

static const char *ipstr(uint32_t a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int k;
	k = (k + 1) & 3;
	return inet_ntop(AF_INET, &a, buf[k], INET_ADDRSTRLEN);
}

/* ---- route lookup --------------------------------------------------------------------- */

#define ROUTES5 \
	"10.0.0.0/8 1, 10.1.0.0/16 10.1.0.254 2, 10.1.2.0/24 0, 0.0.0.0/0 192.168.0.1 3, 10.1.2.3/32 4.4.4.4 1"
#define SINKS5 \
	"Idle -> rt; rt[0] -> s0 :: TestSink; rt[1] -> s1 :: TestSink; rt[2] -> s2 :: TestSink; " \
	"rt[3] -> s3 :: TestSink; rt[4] -> s4 :: TestSink;"

static const char *const sinks[5] = {"s0", "s1", "s2", "s3", "s4"};

/* Push one packet with destination annotation dst; return the output it
 * took (-1: dropped) and its annotation then. */
static int route_one(struct rt_router *r, const char *dst, uint32_t *anno)
{
	struct rte_mbuf *m = tu_pkt(r, "0123456789", 10);
	rt_anno(m)->dst_ip = ip4(dst);
	tu_push1(r, "rt", 0, m);
	for (int p = 0; p < 5; p++)
		if (tu_sink_count(r, sinks[p])) {
			*anno = rt_anno(tu_sink_pkt(r, sinks[p], 0))->dst_ip;
			tu_sink_clear(r, sinks[p]);
			return p;
		}
	return -1;
}

static void expect_route(struct rt_router *r, const char *dst, int port, const char *anno)
{
	uint32_t a = 0;
	int p = route_one(r, dst, &a);
	if (p != port)
		fail_msg("%s: output %d, expected %d", dst, p, port);
	if (port >= 0 && a != ip4(anno))
		fail_msg("%s: annotation %s, expected %s", dst, ipstr(a), anno);
}

static const char *const classes[] = {"RadixIPLookup", "DirectIPLookup", "LinearIPLookup", "StaticIPLookup",
				      "LookupIPRoute"};

static void test_route_basic(void **st)
{
	(void)st;
	char conf[1024];
	for (size_t c = 0; c < RT_ARRAY_SIZE(classes); c++) {
		snprintf(conf, sizeof(conf), "rt :: %s(" ROUTES5 "); " SINKS5, classes[c]);
		struct rt_router *r = tu_router(conf, NULL);
		expect_route(r, "10.9.9.9", 1, "10.9.9.9");	/* /8, no gateway */
		expect_route(r, "10.1.9.9", 2, "10.1.0.254");	/* /16 beats /8 */
		expect_route(r, "10.1.2.9", 0, "10.1.2.9");	/* /24 beats /16 */
		expect_route(r, "10.1.2.3", 1, "4.4.4.4");	/* /32 beats /24 */
		expect_route(r, "11.0.0.1", 3, "192.168.0.1"); /* default */
		assert_string_equal(tu_read(r, "rt.table"), "10.0.0.0/8\t\t-\t\t1\n"
							    "10.1.0.0/16\t\t10.1.0.254\t2\n"
							    "10.1.2.0/24\t\t-\t\t0\n"
							    "0.0.0.0/0\t\t192.168.0.1\t3\n"
							    "10.1.2.3/32\t\t4.4.4.4\t\t1\n");
		write_ok(r, "rt.lookup", "10.1.200.1");
		assert_string_equal(tu_read(r, "rt.lookup"), "2 10.1.0.254");
		write_ok(r, "rt.lookup", " 10.200.0.1 ");
		assert_string_equal(tu_read(r, "rt.lookup"), "1");
		expect_write_error(r, "rt.lookup", "ten", "expected IP address, not 'ten'");
		assert_int_equal(tu_read_int(r, "rt.drops"), 0);
		/* the static classes have no add handler */
		bool dynamic = c < 3;
		struct rt_err err;
		assert_int_equal(tu_write(r, "rt.add", "1.0.0.0/8 1", &err) == 0, dynamic);
		assert_pool_full(r);
		tu_router_free(r);
	}
}

static void test_route_handlers(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("rt :: RadixIPLookup(10.0.0.0/8 1, 10.1.0.0/16 10.1.0.254 2); " SINKS5, NULL);
	expect_route(r, "11.0.0.1", -1, NULL); /* no default: dropped, counted */
	assert_int_equal(tu_read_int(r, "rt.drops"), 1);
	write_ok(r, "rt.reset_counts", "");
	assert_int_equal(tu_read_int(r, "rt.drops"), 0);
	write_ok(r, "rt.add", "0.0.0.0/0 4");
	expect_route(r, "11.0.0.1", 4, "11.0.0.1");
	write_ok(r, "rt.add", "10.1.2.0/24 9.9.9.9 3");
	expect_route(r, "10.1.2.77", 3, "9.9.9.9");
	expect_write_error(r, "rt.add", "10.1.2.0/24 0", "conflict with existing route '10.1.2.0/24 9.9.9.9 3'");
	expect_write_error(r, "rt.add", "10.1.2.0/24 5", "expected 'ADDR/MASK [GATEWAY] OUTPUT'"); /* no output 5 */
	expect_write_error(r, "rt.add", "10.1.2.0/24", "expected 'ADDR/MASK [GATEWAY] OUTPUT'");
	expect_write_error(r, "rt.add", "10.1.2.0/33 1", "expected 'ADDR/MASK [GATEWAY] OUTPUT'");
	write_ok(r, "rt.set", "10.1.2.0/24 0");
	expect_route(r, "10.1.2.77", 0, "10.1.2.77");
	write_ok(r, "rt.remove", "10.1.2.0/24");
	expect_route(r, "10.1.2.77", 2, "10.1.0.254");
	expect_write_error(r, "rt.remove", "10.1.2.0/24", "route '10.1.2.0/24 - -1' not found");
	/* remove with gateway and output must match them */
	expect_write_error(r, "rt.remove", "10.1.0.0/16 10.1.0.253 2", "route '10.1.0.0/16 10.1.0.253 2' not found");
	write_ok(r, "rt.remove", "10.1.0.0/16 10.1.0.254 2");
	write_ok(r, "rt.remove", "0.0.0.0/0");
	expect_route(r, "11.0.0.1", -1, NULL);
	assert_string_equal(tu_read(r, "rt.table"), "10.0.0.0/8\t\t-\t\t1\n");
	/* freed slots are reused, so the table keeps Click's order */
	write_ok(r, "rt.add", "192.168.0.0/16 3");
	write_ok(r, "rt.add", "172.16.0.0/12 4");
	assert_string_equal(tu_read(r, "rt.table"), "10.0.0.0/8\t\t-\t\t1\n"
						    "172.16.0.0/12\t\t-\t\t4\n"
						    "192.168.0.0/16\t\t-\t\t3\n");
	/* ctrl: all or nothing */
	expect_write_error(r, "rt.ctrl", "add 1.0.0.0/8 1\nremove 172.16.0.0/12\nadd 10.0.0.0/8 2",
			   "conflict with existing route '10.0.0.0/8 - 1'");
	assert_string_equal(tu_read(r, "rt.table"), "10.0.0.0/8\t\t-\t\t1\n"
						    "172.16.0.0/12\t\t-\t\t4\n"
						    "192.168.0.0/16\t\t-\t\t3\n");
	expect_write_error(r, "rt.ctrl", "add 1.0.0.0/8 1\nfrobnicate", "bad command 'frobnicate'");
	write_ok(r, "rt.ctrl", "add 1.0.0.0/8 1\n\nset 10.0.0.0/8 2\nremove 192.168.0.0/16\n");
	expect_route(r, "1.2.3.4", 1, "1.2.3.4");
	expect_route(r, "10.2.3.4", 2, "10.2.3.4");
	expect_route(r, "192.168.1.1", -1, NULL);
	write_ok(r, "rt.flush", "");
	assert_string_equal(tu_read(r, "rt.table"), "");
	expect_route(r, "10.2.3.4", -1, NULL);
	write_ok(r, "rt.add", "10.0.0.0/8 4");
	expect_route(r, "10.2.3.4", 4, "10.2.3.4");
	tu_router_free(r);

	/* a full table */
	r = tu_router("rt :: RadixIPLookup(MAX_ROUTES 2, 1.0.0.0/8 0); Idle -> rt -> s :: TestSink;", NULL);
	write_ok(r, "rt.add", "2.0.0.0/8 0");
	expect_write_error(r, "rt.add", "3.0.0.0/8 0", "routing table full (MAX_ROUTES 2, TBL8S 1024)");
	tu_router_free(r);

	/* the first of two routes for one prefix wins, as in Click */
	r = tu_router("rt :: LinearIPLookup(1.0.0.0/8 0, 1.0.0.0/8 1, 2.2.2.2 1, 3.0.0.0/8 - 0,); "
		      "Idle -> rt; rt[0] -> s0 :: TestSink; rt[1] -> s1 :: TestSink;", NULL);
	assert_string_equal(tu_read(r, "rt.table"), "1.0.0.0/8\t\t-\t\t0\n2.2.2.2/32\t\t-\t\t1\n3.0.0.0/8\t\t-\t\t0\n");
	tu_router_free(r);

	tu_expect_error("rt :: RadixIPLookup(10.0.0.0/8 0, 10.1.0.0/16 bogus); Idle -> rt -> Idle;",
			"test.click:1:1: rt: argument 2 should be 'ADDR/MASK [GATEWAY] OUTPUT'");
	tu_expect_error("rt :: StaticIPLookup(10.0.0.0/8); Idle -> rt -> Idle;",
			"test.click:1:1: rt: argument 1 should be 'ADDR/MASK [GATEWAY] OUTPUT'");
	tu_expect_error("rt :: DirectIPLookup(10.0.0.0/8 0, 11.0.0.0/8 1.1.1.1 0 0); Idle -> rt -> Idle;",
			"test.click:1:1: rt: argument 2 should be 'ADDR/MASK [GATEWAY] OUTPUT'");
	tu_expect_error("rt :: RadixIPLookup(10.0.0.0/8 0, 11.0.0.0/8 1); Idle -> rt -> Idle;",
			"test.click:1:1: rt: argument 2 should be 'ADDR/MASK [GATEWAY] OUTPUT' (output 1 does not exist)");
	tu_expect_error("rt :: RadixIPLookup(SIZE 3); Idle -> rt -> Idle;", "test.click:1:1: rt: unknown argument 'SIZE'");
}

/* A route for the random test, in host order. */
struct trt {
	uint32_t addr, mask, gw;
	int port, len;
};

static uint32_t rnd32(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

/* Longest-prefix match by linear scan: the index of the route, or -1. */
static int linear_lookup(const struct trt *t, int n, uint32_t a)
{
	int best = -1;
	for (int i = 0; i < n; i++)
		if (t[i].port >= 0 && (a & t[i].mask) == t[i].addr && (best < 0 || t[i].len > t[best].len))
			best = i;
	return best;
}

/* Push `count` addresses (some near route prefixes, some random) and check
 * each packet's output and annotation against the linear scan. */
static void check_random(struct rt_router *r, const struct trt *t, int nt, uint64_t *seed, int count)
{
	int done = 0, expect_drops = 0;
	long long drops0 = tu_read_int(r, "rt.drops");
	static uint32_t addrs[1000];
	while (done < count) {
		int chunk = RT_MIN(1000, count - done);
		struct rte_mbuf *pk[1000];
		for (int i = 0; i < chunk; i++) {
			uint32_t a = rnd32(seed);
			if (i % 2) { /* inside a route's prefix, to exercise long prefixes */
				const struct trt *x = &t[rnd32(seed) % (uint32_t)nt];
				a = x->addr | (a & ~x->mask);
			}
			addrs[i] = a;
			pk[i] = tu_pkt(r, "x", 1);
			rt_anno(pk[i])->dst_ip = htonl(a);
			rt_anno(pk[i])->seq = (uint64_t)i;
		}
		tu_push(r, "rt", 0, pk, chunk);
		int seen = 0;
		for (int p = 0; p < 4; p++) {
			for (int k = 0; k < tu_sink_count(r, sinks[p]); k++) {
				struct rte_mbuf *m = tu_sink_pkt(r, sinks[p], k);
				int i = (int)rt_anno(m)->seq;
				int best = linear_lookup(t, nt, addrs[i]);
				if (best < 0)
					fail_msg("%s routed to %d, expected no route", ipstr(htonl(addrs[i])), p);
				if (t[best].port != p)
					fail_msg("%s routed to %d, expected %d (route %d)", ipstr(htonl(addrs[i])), p,
						 t[best].port, best);
				uint32_t want = t[best].gw ? t[best].gw : addrs[i];
				assert_int_equal(ntohl(rt_anno(m)->dst_ip), want);
				seen++;
			}
			tu_sink_clear(r, sinks[p]);
		}
		int chunk_drops = 0;
		for (int i = 0; i < chunk; i++)
			chunk_drops += linear_lookup(t, nt, addrs[i]) < 0;
		assert_int_equal(seen, chunk - chunk_drops);
		expect_drops += chunk_drops;
		done += chunk;
	}
	assert_int_equal(tu_read_int(r, "rt.drops") - drops0, expect_drops);
}

static void test_route_random(void **st)
{
	(void)st;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	enum { NR = 300 };
	struct trt t[NR + 50];
	int nt = 0;
	struct rt_buf conf;
	rt_buf_init(&conf);
	rt_buf_puts(&conf, "rt :: RadixIPLookup(");
	while (nt < NR) {
		struct trt x;
		/* prefix lengths weighted towards 8-32, some > 24 (tbl8 groups) */
		x.len = (int)(rnd32(&seed) % 33);
		if (x.len == 0 && nt != 7)
			continue; /* one default route at most */
		x.mask = x.len ? 0xffffffffu << (32 - x.len) : 0;
		uint32_t base = rnd32(&seed);
		if (nt > 20 && rnd32(&seed) % 2) /* nest inside an earlier route */
			base = t[rnd32(&seed) % (uint32_t)nt].addr | (base & 0x00ffffff);
		x.addr = base & x.mask;
		bool dup = false;
		for (int i = 0; i < nt; i++)
			dup |= t[i].addr == x.addr && t[i].mask == x.mask;
		if (dup)
			continue;
		x.port = (int)(rnd32(&seed) % 4);
		x.gw = rnd32(&seed) % 3 ? 0 : rnd32(&seed) | 0x01000000u;
		t[nt++] = x;
		struct in_addr ia = {htonl(x.addr)}, ga = {htonl(x.gw)};
		char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &ia, a, sizeof(a));
		inet_ntop(AF_INET, &ga, g, sizeof(g));
		rt_buf_printf(&conf, "%s%s/%d %s %d", nt > 1 ? ", " : "", a, x.len, x.gw ? g : "-", x.port);
	}
	rt_buf_puts(&conf, "); Idle -> rt; rt[0] -> s0 :: TestSink; rt[1] -> s1 :: TestSink; "
			   "rt[2] -> s2 :: TestSink; rt[3] -> s3 :: TestSink;");
	struct rt_router *r = tu_router(conf.p, NULL);
	rt_buf_free(&conf);
	check_random(r, t, nt, &seed, 10000);

	/* change the table through the handlers and check again */
	char cmd[128];
	for (int k = 0; k < 60; k++) {
		int i = (int)(rnd32(&seed) % (uint32_t)nt);
		struct in_addr ia = {htonl(t[i].addr)};
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &ia, a, sizeof(a));
		if (t[i].port >= 0 && k % 3) {
			snprintf(cmd, sizeof(cmd), "%s/%d", a, t[i].len);
			write_ok(r, "rt.remove", cmd);
			t[i].port = -1;
		} else {
			t[i].port = (int)(rnd32(&seed) % 4);
			t[i].gw = 0;
			snprintf(cmd, sizeof(cmd), "%s/%d %d", a, t[i].len, t[i].port);
			write_ok(r, "rt.set", cmd);
		}
	}
	check_random(r, t, nt, &seed, 10000);
	assert_pool_full(r);
	tu_router_free(r);
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_basic),
		cmocka_unit_test(test_route_handlers),
		cmocka_unit_test(test_route_random),
	};
	return cmocka_run_group_tests_name("iproute", tests, NULL, NULL);
}
