/*
 * test_flow6.c - IPv6 flow keys: 5-tuple and address-pair keys (both
 * directions to one flow when symmetric), extension headers, fragments,
 * ICMPv6 echo, flows whose address folds collide, the FlowManager with
 * IPV6 true (and without it), and the listing of IPv6 flows.  Also the
 * manager's own lifecycle: replacing it live (hotconfig, reconfigure) runs
 * the kept elements' release callbacks for its flows; and FlowNAPT with
 * two workers (per-worker port slices, replies on any worker).
 */
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>

#include <rte_ip.h>

#include "tu.h"
#include "router_int.h"
#include "flow/flow.h"

#define SEC 1000000000ull

static void addr6(const char *s, uint8_t *a) { assert_int_equal(inet_pton(AF_INET6, s, a), 1); }

/* Ethernet + IPv6 + (hop-by-hop options when hbh) + TCP/UDP/ICMPv6 header
 * and plen bytes of payload. */
static struct rte_mbuf *pkt6(struct rt_router *r, const char *src, const char *dst, uint8_t proto, uint16_t sp,
			     uint16_t dp, uint8_t tcpflags, bool hbh, int plen, uint64_t ts)
{
	uint8_t buf[1600] = {0};
	buf[12] = 0x86, buf[13] = 0xdd;
	uint8_t *ip = buf + 14, *p = ip + 40;
	ip[0] = 0x60;
	ip[7] = 64;
	addr6(src, ip + 8);
	addr6(dst, ip + 24);
	ip[6] = proto;
	if (hbh) {
		ip[6] = 0;
		p[0] = proto;  /* 8 bytes of options: a PadN */
		p[2] = 1, p[3] = 4;
		p += 8;
	}
	uint32_t l4 = proto == IPPROTO_TCP ? 20 : 8;
	if (proto == IPPROTO_ICMPV6) {
		p[0] = 128;
		p[4] = (uint8_t)(sp >> 8), p[5] = (uint8_t)sp;
	} else {
		p[0] = (uint8_t)(sp >> 8), p[1] = (uint8_t)sp;
		p[2] = (uint8_t)(dp >> 8), p[3] = (uint8_t)dp;
		if (proto == IPPROTO_TCP) {
			p[12] = 5 << 4;
			p[13] = tcpflags;
		}
	}
	uint32_t pl = (uint32_t)(p - (ip + 40)) + l4 + (uint32_t)plen;
	ip[4] = (uint8_t)(pl >> 8), ip[5] = (uint8_t)pl;
	struct rte_mbuf *m = tu_pkt(r, buf, 14 + 40 + pl);
	rt_anno(m)->timestamp = ts;
	return m;
}

#define SYN 0x02
#define ACK 0x10

static void test_keys6(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> Discard;", NULL);
	struct flow_keydef sym = {FLOW_DEF_5TUPLE, true, NULL, true}, asym = {FLOW_DEF_5TUPLE, false, NULL, true},
			   pair = {FLOW_DEF_IPPAIR, true, NULL, true}, v4only = {FLOW_DEF_5TUPLE, true, NULL, false};
	struct flow_key ka, kb;
	struct flow_key6 xa, xb;
	bool sa, sb;
	uint8_t tf;
	struct rte_mbuf *a = pkt6(r, "2001:db8::9", "2001:db8::1", IPPROTO_TCP, 40000, 80, SYN, false, 0, 0);
	struct rte_mbuf *b = pkt6(r, "2001:db8::1", "2001:db8::9", IPPROTO_TCP, 80, 40000, SYN | ACK, true, 0, 0);
	/* both directions, one key (the reply with a hop-by-hop header in front of TCP) */
	assert_true(flow_key_extract_ext(&sym, a, &ka, &xa, &sa, &tf));
	assert_int_equal(tf, SYN);
	assert_true(flow_key_extract_ext(&sym, b, &kb, &xb, &sb, &tf));
	assert_int_equal(tf, SYN | ACK);
	assert_true(flow_key_is_v6(&ka));
	assert_memory_equal(&ka, &kb, sizeof(ka));
	assert_memory_equal(&xa, &xb, sizeof(xa));
	assert_true(sa != sb);
	assert_int_equal(ka.proto, IPPROTO_TCP);
	uint8_t lo[16];
	addr6("2001:db8::1", lo);
	assert_memory_equal(xa.a, lo, 16);  /* the smaller endpoint first */
	assert_int_equal(ntohs(ka.pa), 80);
	/* asymmetric: two keys */
	assert_true(flow_key_extract_ext(&asym, a, &ka, &xa, &sa, &tf));
	assert_true(flow_key_extract_ext(&asym, b, &kb, &xb, &sb, &tf));
	assert_memory_not_equal(&ka, &kb, sizeof(ka));
	assert_int_equal(ntohs(ka.pa), 40000);
	/* address pair: ports and protocol left out */
	struct rte_mbuf *u = pkt6(r, "2001:db8::9", "2001:db8::1", IPPROTO_UDP, 5, 53, 0, false, 10, 0);
	assert_true(flow_key_extract_ext(&pair, a, &ka, &xa, &sa, &tf));
	assert_true(flow_key_extract_ext(&pair, u, &kb, &xb, &sb, &tf));
	assert_memory_equal(&ka, &kb, sizeof(ka));
	assert_int_equal(ka.pa, 0);
	/* ICMPv6 echo: the identifier */
	struct rte_mbuf *ic = pkt6(r, "2001:db8::9", "2001:db8::1", IPPROTO_ICMPV6, 0x1234, 0, 0, false, 8, 0);
	assert_true(flow_key_extract_ext(&sym, ic, &ka, &xa, &sa, &tf));
	assert_int_equal(ka.proto, IPPROTO_ICMPV6);
	assert_int_equal(ntohs(ka.pa), 0x1234);
	/* without IPV6, or through the IPv4-only call: no key */
	assert_false(flow_key_extract_ext(&v4only, a, &ka, &xa, &sa, &tf));
	assert_false(flow_key_extract(&sym, a, &ka, &sa, &tf));
	/* an IPv4 key is never an IPv6 one */
	uint8_t buf[200];
	int n = tu_build_tcp(buf, "10.0.0.1", "10.0.0.2", 1, 2, SYN, 1, NULL, 0);
	struct rte_mbuf *v4 = tu_pkt(r, buf, (uint32_t)n);
	assert_true(flow_key_extract_ext(&sym, v4, &ka, &xa, &sa, &tf));
	assert_false(flow_key_is_v6(&ka));
	struct rte_mbuf *all[] = {a, b, u, ic, v4};
	rte_pktmbuf_free_bulk(all, 5);
	tu_router_free(r);
}

/* A fragment (Fragment header) has ports 0, like an IPv4 fragment. */
static void test_fragment_key6(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> Discard;", NULL);
	struct flow_keydef kd = {FLOW_DEF_5TUPLE, false, NULL, true};
	struct rte_mbuf *m = pkt6(r, "2001:db8::9", "2001:db8::1", IPPROTO_UDP, 5, 53, 0, true, 16, 0);
	uint8_t *ip = rt_data(m) + 14;
	ip[40] = 44;  /* the 8-byte header becomes a Fragment header: offset 0, more fragments */
	ip[40 + 2] = 0, ip[40 + 3] = 1;
	ip[6] = 44;
	ip[40] = IPPROTO_UDP;
	struct flow_key k;
	struct flow_key6 x;
	bool sw;
	uint8_t tf;
	assert_true(flow_key_extract_ext(&kd, m, &k, &x, &sw, &tf));
	assert_int_equal(k.proto, IPPROTO_UDP);
	assert_int_equal(k.pa, 0);
	assert_int_equal(k.pb, 0);
	ip[40 + 3] = 0;  /* an atomic fragment (RFC 6946): a whole datagram, ports used */
	assert_true(flow_key_extract_ext(&kd, m, &k, &x, &sw, &tf));
	assert_int_equal(ntohs(k.pb), 53);
	rte_pktmbuf_free(m);
	tu_router_free(r);
}

/* Two IPv6 flows whose 16-byte keys are equal (folds made to collide) stay
 * two flows: the addresses in the FCB tell them apart. */
static void test_fold_collision(void **st)
{
	(void)st;
	struct flow_timeouts to = {{SEC, SEC, SEC, SEC, SEC}};
	struct flow_table *t = flow_table_new_ext(64, 16, &to, SOCKET_ID_ANY, true);
	assert_non_null(t);
	struct flow_key k[3];
	struct flow_key6 x[3];
	uint32_t h[3];
	memset(k, 0, sizeof(k));
	memset(x, 0, sizeof(x));
	for (int i = 0; i < 3; i++) {
		k[i].a = 7, k[i].b = 9, k[i].proto = IPPROTO_UDP, k[i].pad[0] = FLOW_KEY_V6;
		x[i].a[15] = (uint8_t)(i == 2 ? 1 : i);  /* keys 0 and 1 differ only by address; 2 equals 1 */
		h[i] = flow_hash(&k[i]);
	}
	struct flow_fcb *f[3];
	bool nw[3];
	flow_table_lookup_bulk_ext(t, k, x, h, 3, 1, f, nw, NULL, NULL);
	assert_true(nw[0] && nw[1] && !nw[2]);
	assert_ptr_not_equal(f[0], f[1]);
	assert_ptr_equal(f[1], f[2]);
	assert_int_equal(t->count, 2);
	assert_memory_equal(flow_key6_of(t, f[0]), &x[0], sizeof(x[0]));
	/* found again, each its own */
	struct flow_fcb *g[3];
	flow_table_lookup_bulk_ext(t, k, x, h, 3, 2, g, nw, NULL, NULL);
	assert_true(!nw[0] && !nw[1] && !nw[2]);
	assert_ptr_equal(g[0], f[0]);
	assert_ptr_equal(g[1], f[1]);
	/* the IPv4 call never matches an IPv6 flow */
	flow_table_lookup_bulk(t, k, h, 1, 3, g, nw, NULL, NULL);
	assert_null(g[0]);
	flow_table_free(t, NULL, NULL);
}

/* The manager: one flow per connection with SYMMETRIC, replies flagged,
 * IPv4 and IPv6 side by side, listing with addresses; without IPV6 the
 * IPv6 packets pass without a flow. */
static void test_manager6(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> fm :: FlowManager(SYMMETRIC true, IPV6 true) -> c :: FlowCounter -> s :: TestSink;", NULL);
	tu_push1(r, "fm", 0, pkt6(r, "2001:db8::9", "2001:db8::1", IPPROTO_TCP, 40000, 80, SYN, false, 0, SEC));
	tu_push1(r, "fm", 0, pkt6(r, "2001:db8::1", "2001:db8::9", IPPROTO_TCP, 80, 40000, SYN | ACK, false, 0, SEC));
	tu_push1(r, "fm", 0, pkt6(r, "2001:db8::9", "2001:db8::1", IPPROTO_TCP, 40000, 80, ACK, true, 100, SEC));
	tu_push1(r, "fm", 0, pkt6(r, "2001:db8::9", "2001:db8::1", IPPROTO_TCP, 40001, 80, SYN, false, 0, SEC));
	uint8_t buf[200];
	int n = tu_build_udp(buf, "10.0.0.1", "10.0.0.2", 1, 2, "x", 1);
	struct rte_mbuf *v4 = tu_pkt(r, buf, (uint32_t)n);
	rt_anno(v4)->timestamp = SEC;
	tu_push1(r, "fm", 0, v4);
	assert_int_equal(tu_read_int(r, "fm.flows"), 3);
	assert_int_equal(tu_read_int(r, "fm.nokey"), 0);
	assert_int_equal(tu_sink_count(r, "s"), 5);
	assert_false(rt_anno(tu_sink_pkt(r, "s", 0))->flags & RT_AF_FLOW_REPLY);
	assert_true(rt_anno(tu_sink_pkt(r, "s", 1))->flags & RT_AF_FLOW_REPLY);
	assert_ptr_equal(rt_anno(tu_sink_pkt(r, "s", 0))->flow, rt_anno(tu_sink_pkt(r, "s", 2))->flow);
	assert_true(((struct flow_fcb *)rt_anno(tu_sink_pkt(r, "s", 0))->flow)->tcp & FLOW_TCP_EST);
	assert_string_equal(tu_read(r, "c.flows"), "TCP [2001:db8::1]:80 [2001:db8::9]:40000 3 330\n"
						     "TCP [2001:db8::1]:80 [2001:db8::9]:40001 1 74\n"
						     "UDP 10.0.0.1:1 10.0.0.2:2 1 43\n");
	tu_sink_clear(r, "s");
	tu_router_free(r);

	r = tu_router("Idle -> fm :: FlowManager(SYMMETRIC true) -> s :: TestSink;", NULL);
	tu_push1(r, "fm", 0, pkt6(r, "2001:db8::9", "2001:db8::1", IPPROTO_TCP, 40000, 80, SYN, false, 0, SEC));
	assert_int_equal(tu_read_int(r, "fm.nokey"), 1);
	assert_int_equal(tu_read_int(r, "fm.flows"), 0);
	tu_sink_clear(r, "s");
	tu_router_free(r);
	tu_expect_error("Idle -> fm :: FlowManager(DEF ASPAIR, ASMAP /dev/null, IPV6 true) -> Discard;",
			"test.click:1:9: fm: IPV6 goes with DEF 5TUPLE or IPPAIR (ASMAP is IPv4)");
}

static struct rte_mbuf *udp4(struct rt_router *r, const char *src, uint16_t sp, uint64_t ts)
{
	uint8_t buf[200];
	int n = tu_build_udp(buf, src, "8.8.8.8", sp, 53, "q", 1);
	struct rte_mbuf *m = tu_pkt(r, buf, (uint32_t)n);
	rt_anno(m)->timestamp = ts;
	return m;
}

static uint16_t sport_of(struct rte_mbuf *m) { return (uint16_t)(rt_data(m)[34] << 8 | rt_data(m)[35]); }

/* A FlowNAPT kept while its manager is replaced gets its ports back: the
 * old manager's flows end at the swap with their release callbacks. */
static void test_swap_releases(void **st)
{
	(void)st;
	const char *rest = " -> [0]nat :: FlowNAPT(192.0.2.1 5000-5001 - -); Idle -> [1]nat;"
			   " nat[0] -> out :: TestSink; nat[1] -> in :: TestSink;";
	char cfg[400];
	snprintf(cfg, sizeof(cfg), "Idle -> fm :: FlowManager(TIMEOUT_UDP 10s)%s", rest);
	struct rt_router *r = tu_router(cfg, NULL);
	tu_push1(r, "fm", 0, udp4(r, "10.0.0.1", 1111, SEC));
	tu_push1(r, "fm", 0, udp4(r, "10.0.0.2", 1111, SEC));
	tu_push1(r, "fm", 0, udp4(r, "10.0.0.3", 1111, SEC));  /* no third port */
	assert_int_equal(tu_read_int(r, "nat.mapped"), 2);
	assert_int_equal(tu_read_int(r, "nat.no_ports"), 1);
	struct el *nat = rt_router_find(r, "nat");
	/* a new manager (other timeouts), the same NAPT */
	snprintf(cfg, sizeof(cfg), "Idle -> fm :: FlowManager(TIMEOUT_UDP 20s)%s", rest);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_hotconfig(r, cfg, "hot.click", NULL, &err), 0);
	assert_ptr_equal(rt_router_find(r, "nat"), nat);
	assert_int_equal(tu_read_int(r, "fm.swap_released"), 3);
	assert_int_equal(tu_read_int(r, "nat.released"), 2);
	assert_string_equal(tu_read(r, "nat.mappings"), "");
	/* both ports serve new flows */
	tu_push1(r, "fm", 0, udp4(r, "10.0.0.4", 1111, 2 * SEC));
	tu_push1(r, "fm", 0, udp4(r, "10.0.0.5", 1111, 2 * SEC));
	assert_int_equal(tu_read_int(r, "nat.no_ports"), 1);
	assert_int_equal(tu_sink_count(r, "out"), 4);
	uint16_t p3 = sport_of(tu_sink_pkt(r, "out", 2)), p4 = sport_of(tu_sink_pkt(r, "out", 3));
	assert_true(p3 != p4 && p3 >= 5000 && p3 <= 5001 && p4 >= 5000 && p4 <= 5001);
	/* a reconfiguration is a swap too */
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_reconfigure(r, "fm", "TIMEOUT_UDP 5s", NULL, &err), 0);
	assert_int_equal(tu_read_int(r, "fm.swap_released"), 2);
	assert_int_equal(tu_read_int(r, "nat.released"), 4);
	tu_push1(r, "fm", 0, udp4(r, "10.0.0.6", 1111, 3 * SEC));
	assert_int_equal(tu_read_int(r, "nat.no_ports"), 1);
	assert_int_equal(tu_sink_count(r, "out"), 5);
	tu_sink_clear(r, "out");
	tu_router_free(r);
}

static struct rte_mbuf *reply4(struct rt_router *r, uint16_t dport)
{
	uint8_t buf[200];
	int n = tu_build_udp(buf, "8.8.8.8", "192.0.2.1", 53, dport, "a", 1);
	return tu_pkt(r, buf, (uint32_t)n);
}

/* Two workers: each allocates from its own slice of ports (listed for
 * steering); a reply is translated on whichever worker gets it, counted
 * as foreign off its owner; once the flow ends, a late reply is dropped. */
static void test_napt_workers(void **st)
{
	(void)st;
	struct rt_router *r = tu_router_j("Idle -> fm :: FlowManager(TIMEOUT_UDP 10s) -> [0]nat :: FlowNAPT(192.0.2.1 5000-5004 - -);"
					  "Idle -> [1]nat; nat[0] -> out :: TestSink; nat[1] -> in :: TestSink;", 2, NULL);
	assert_string_equal(tu_read(r, "nat.ports"), "0 5000-5001\n1 5002-5004\n");
	tu_push_as(r, "fm", 0, 0, udp4(r, "10.0.0.1", 1111, SEC));
	tu_push_as(r, "fm", 0, 1, udp4(r, "10.0.0.2", 1111, SEC));
	assert_int_equal(sport_of(tu_sink_pkt(r, "out", 0)), 5000);
	assert_int_equal(sport_of(tu_sink_pkt(r, "out", 1)), 5002);
	tu_push_as(r, "nat", 1, 1, reply4(r, 5000));  /* worker 1 gets worker 0's reply */
	tu_push_as(r, "nat", 1, 0, reply4(r, 5000));
	tu_push_as(r, "nat", 1, 1, reply4(r, 5002));
	assert_int_equal(tu_sink_count(r, "in"), 3);
	assert_int_equal(tu_read_int(r, "nat.in"), 3);
	assert_int_equal(tu_read_int(r, "nat.in_foreign"), 1);
	const uint8_t *ip = rt_data(tu_sink_pkt(r, "in", 0)) + 14;
	assert_int_equal(ip[16], 10);
	assert_int_equal(ip[19], 1);
	/* worker 0's flow ends (a later flow there sweeps it) and its port
	 * serves the new flow: replies now go to the new inside host */
	tu_push_as(r, "fm", 0, 0, udp4(r, "10.0.0.3", 1111, 40 * SEC));
	assert_int_equal(tu_read_int(r, "nat.released"), 1);
	assert_int_equal(sport_of(tu_sink_pkt(r, "out", 2)), 5000);
	tu_push_as(r, "nat", 1, 1, reply4(r, 5000));
	assert_int_equal(tu_sink_count(r, "in"), 4);
	assert_int_equal(rt_data(tu_sink_pkt(r, "in", 3))[14 + 19], 3);
	tu_push_as(r, "nat", 1, 0, reply4(r, 5001));  /* never mapped */
	assert_int_equal(tu_read_int(r, "nat.in_dropped"), 1);
	assert_int_equal(tu_read_int(r, "nat.in_foreign"), 2);
	tu_sink_clear(r, "in");
	tu_sink_clear(r, "out");
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys6),
		cmocka_unit_test(test_fragment_key6),
		cmocka_unit_test(test_fold_collision),
		cmocka_unit_test(test_manager6),
		cmocka_unit_test(test_swap_releases),
		cmocka_unit_test(test_napt_workers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
