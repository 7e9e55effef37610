/*
 * test_flow.c - the flow table, FCB layout, FlowManager (timeouts, TCP
 * state, full table), the hold model and the flow elements (FlowCounter,
 * FlowWait, FlowFirewall, FlowNAPT, FlowLB, FlowRateLimit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>

#include <rte_ip.h>

#include "tu.h"
#include "flow/flow.h"

#define SEC 1000000000ull

/* ---- helpers ---------------------------------------------------------------- */

static struct rte_mbuf *udp(struct rt_router *r, const char *s, const char *d, uint16_t sp, uint16_t dp, int plen,
			    uint64_t ts)
{
	uint8_t buf[1600], pl[1500];
	memset(pl, 'u', sizeof(pl));
	int n = tu_build_udp(buf, s, d, sp, dp, pl, plen);
	struct rte_mbuf *m = tu_pkt(r, buf, (uint32_t)n);
	rt_anno(m)->timestamp = ts;
	return m;
}

static struct rte_mbuf *tcp(struct rt_router *r, const char *s, const char *d, uint16_t sp, uint16_t dp, uint8_t fl,
			    uint64_t ts)
{
	uint8_t buf[200];
	int n = tu_build_tcp(buf, s, d, sp, dp, fl, 1000, NULL, 0);
	struct rte_mbuf *m = tu_pkt(r, buf, (uint32_t)n);
	rt_anno(m)->timestamp = ts;
	return m;
}

#define SYN 0x02
#define ACK 0x10
#define RST 0x04
#define FIN 0x01

static void push(struct rt_router *r, const char *el, struct rte_mbuf *m) { tu_push1(r, el, 0, m); }

static void assert_pool_full(struct rt_router *r)
{
	struct rte_mempool *mp = rt_router_pool(r);
	assert_int_equal(rte_mempool_avail_count(mp), mp->size);
}

static uint32_t slot_off(struct rt_router *r, const char *name)
{
	struct el *e = rt_router_find(r, name);
	assert_non_null(e);
	assert_non_null(e->flow_mgr);
	return e->flow_off;
}

static const struct rte_ipv4_hdr *ip_of(struct rte_mbuf *m) { return (const struct rte_ipv4_hdr *)(rt_data(m) + 14); }

static void assert_csums_ok(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = ip_of(m);
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	/* the transport sum over the pseudo-header and segment folds to all ones */
	uint32_t sum = rte_ipv4_phdr_cksum(ip, 0);
	sum += rte_raw_cksum((const uint8_t *)ip + 20, rte_be_to_cpu_16(ip->total_length) - 20u);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
}

static char *ipstr(uint32_t a, char *buf)
{
	const uint8_t *p = (const uint8_t *)&a;
	sprintf(buf, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
	return buf;
}

/* ---- the table ----------------------------------------------------------------- */

static void test_table_batch_insert_find_full(void **st)
{
	(void)st;
	tu_eal();
	struct flow_timeouts to = {{50, 50, 50, 50, 50}};
	struct flow_table *t = flow_table_new(100, 16, &to, SOCKET_ID_ANY);
	assert_non_null(t);
	struct flow_key k[64];
	uint32_t h[64];
	struct flow_fcb *f[64], *g[64];
	bool nw[64];
	memset(k, 0, sizeof(k));
	for (int i = 0; i < 64; i++) {
		k[i].a = (uint32_t)i;
		k[i].b = 7;
		k[i].proto = 17;
		h[i] = flow_hash(&k[i]);
	}
	k[5] = k[4];  /* the same key twice in one batch: one flow */
	h[5] = h[4];
	flow_table_lookup_bulk(t, k, h, 64, 10, f, nw, NULL, NULL);
	assert_int_equal(t->count, 63);
	assert_ptr_equal(f[4], f[5]);
	assert_true(nw[4]);
	assert_false(nw[5]);
	for (int i = 0; i < 64; i++)
		flow_table_touch(t, f[i], FLOW_TO_UDP, 10);
	flow_table_lookup_bulk(t, k, h, 64, 20, g, nw, NULL, NULL);
	for (int i = 0; i < 64; i++) {
		assert_ptr_equal(f[i], g[i]);
		assert_false(nw[i]);
	}
	assert_int_equal(t->st.inserted, 63);
	/* 37 more fit, then the table is full: NULL and counted, no crash */
	for (int i = 0; i < 64; i++) {
		k[i].b = 8;
		h[i] = flow_hash(&k[i]);
	}
	k[5].a = 5;
	h[5] = flow_hash(&k[5]);
	flow_table_lookup_bulk(t, k, h, 64, 30, g, nw, NULL, NULL);
	int got = 0;
	for (int i = 0; i < 64; i++)
		got += g[i] != NULL;
	assert_int_equal(t->count, 63 + got);
	assert_true(t->count <= 100);
	assert_int_equal(t->st.full, 64 - got);
	assert_true(got >= 30);  /* two-choice buckets at <= 50% load: nearly all fit */
	for (int i = 0; i < 64; i++)
		if (g[i])
			flow_table_touch(t, g[i], FLOW_TO_TCP, 30);
	/* nothing is idle at 55; at 75 the first 63 are (10 + 50 < 75), in
	 * bounded steps; at 200 all of them */
	assert_int_equal(flow_table_expire(t, 55, 1000, NULL, NULL), 0);
	assert_int_equal(flow_table_expire(t, 75, 10, NULL, NULL), 10);
	uint32_t ended = 10;
	for (int i = 0; i < 10; i++)
		ended += flow_table_expire(t, 75, 10, NULL, NULL);
	assert_int_equal(ended, 63);
	assert_int_equal(t->count, (uint32_t)got);
	ended += flow_table_expire(t, 200, 1000, NULL, NULL);
	assert_int_equal(ended, 63 + got);
	assert_int_equal(t->count, 0);
	flow_table_free(t, NULL, NULL);
}

static void test_keys_symmetric_and_pairs(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> Discard;", NULL);
	struct flow_keydef sym = {FLOW_DEF_5TUPLE, true, NULL}, pair = {FLOW_DEF_IPPAIR, false, NULL};
	struct rte_mbuf *a = udp(r, "10.0.0.1", "10.0.0.2", 1000, 53, 4, 0), *b = udp(r, "10.0.0.2", "10.0.0.1", 53, 1000, 4, 0);
	struct flow_key ka, kb;
	bool sa, sb;
	uint8_t tf;
	assert_true(flow_key_extract(&sym, a, &ka, &sa, &tf));
	assert_true(flow_key_extract(&sym, b, &kb, &sb, &tf));
	assert_memory_equal(&ka, &kb, sizeof(ka));
	assert_true(sa != sb);
	assert_int_equal(ka.proto, 17);
	assert_true(flow_key_extract(&pair, a, &ka, &sa, &tf));
	assert_int_equal(ka.pa, 0);
	assert_int_equal(ka.proto, 0);
	/* not IPv4: no key */
	uint8_t arp[60] = {0};
	arp[12] = 0x08, arp[13] = 0x06;
	struct rte_mbuf *c = tu_pkt(r, arp, sizeof(arp));
	assert_false(flow_key_extract(&sym, c, &ka, &sa, &tf));
	rte_pktmbuf_free(a);
	rte_pktmbuf_free(b);
	rte_pktmbuf_free(c);
	tu_router_free(r);
}

static void test_aspair_user_key(void **st)
{
	(void)st;
	char path[] = "/tmp/mbx_asmapXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char map[] = "# prefix AS\n10.0.0.0/8 65001\n10.1.0.0/16 65002   # more specific\n192.168.0.0/16 65003\n";
	assert_int_equal(write(fd, map, sizeof(map) - 1), (ssize_t)sizeof(map) - 1);
	close(fd);
	char cfg[300];
	snprintf(cfg, sizeof(cfg), "Idle -> fm :: FlowManager(ASPAIR, ASMAP %s) -> c :: FlowCounter -> s :: TestSink;", path);
	struct rt_router *r = tu_router(cfg, NULL);
	push(r, "fm", udp(r, "10.0.0.1", "192.168.1.1", 1, 2, 10, SEC));
	push(r, "fm", tcp(r, "10.9.9.9", "192.168.200.1", 3, 4, SYN, SEC));  /* same AS pair: same flow */
	push(r, "fm", udp(r, "10.1.2.3", "192.168.1.1", 1, 2, 10, SEC));     /* 10.1/16 is AS 65002 */
	push(r, "fm", udp(r, "172.16.0.1", "192.168.1.1", 1, 2, 10, SEC));   /* no AS: 0 */
	assert_string_equal(tu_read(r, "c.flows"), "AS0 AS65003 1 52\nAS65001 AS65003 2 106\nAS65002 AS65003 1 52\n");
	tu_router_free(r);
	/* a bad line is an error with the file's line, at the element */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "10.0.0.0/8 65001\n10.0.0.0/33 7\n", 31), 31);
	close(fd);
	struct rt_err err;
	assert_null(tu_router(cfg, &err));
	char want[200];
	snprintf(want, sizeof(want), "fm: %s:2: expected 'A.B.C.D/LEN AS' (AS > 0)", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.loc.line, 1);
	unlink(path);
	assert_null(tu_router("Idle -> fm :: FlowManager(ASPAIR, ASMAP /nonexistent/map) -> Discard;", &err));
	assert_string_equal(err.msg, "fm: cannot open AS map '/nonexistent/map': No such file or directory");
	tu_expect_error("Idle -> FlowManager(ASPAIR) -> Discard;",
			"test.click:1:9: FlowManager@2: ASMAP goes with DEF ASPAIR, and only with it");
}

/* ---- layout ------------------------------------------------------------------- */

static void test_layout_chain_and_branches(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> fm :: FlowManager(RESERVE 64) -> a :: FlowCounter -> sw :: Switch(0);"
					"sw[0] -> b :: FlowCounter -> s :: TestSink; sw[1] -> c :: FlowCounter -> Discard;"
					"Idle -> plain :: FlowCounter -> Discard;",
					NULL);
	/* a sees what b and c see: no overlap; b and c are on parallel branches: shared */
	uint32_t a = slot_off(r, "a"), b = slot_off(r, "b"), c = slot_off(r, "c");
	assert_int_equal(a, 0);
	assert_int_equal(b, 16);
	assert_int_equal(c, 16);
	assert_null(rt_router_find(r, "plain")->flow_mgr);
	assert_int_equal(tu_read_int(r, "fm.reserve_used"), 32);
	/* packets carry the FCB; each counter counts in its own slot */
	for (int i = 0; i < 3; i++)
		push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, 0));
	push(r, "fm", udp(r, "10.0.0.1", "10.0.0.3", 1, 2, 10, 0));
	assert_int_equal(tu_sink_count(r, "s"), 4);
	struct flow_fcb *f = flow_of(tu_sink_pkt(r, "s", 0));
	assert_non_null(f);
	assert_int_equal(((uint64_t *)((uint8_t *)f + FLOW_FCB_HDR))[0], 3);
	assert_int_equal(((uint64_t *)((uint8_t *)f + FLOW_FCB_HDR + 16))[0], 3);
	assert_ptr_equal(flow_of(tu_sink_pkt(r, "s", 2)), f);
	assert_ptr_not_equal(flow_of(tu_sink_pkt(r, "s", 3)), f);
	assert_string_equal(tu_read(r, "b.flows"), "UDP 10.0.0.1:1 10.0.0.2:2 3 156\nUDP 10.0.0.1:1 10.0.0.3:2 1 52\n");
	assert_int_equal(tu_read_int(r, "fm.flows"), 2);
	tu_router_free(r);
}

static void test_layout_errors(void **st)
{
	(void)st;
	tu_expect_error("Idle -> fm :: FlowManager(RESERVE 24) -> a :: FlowCounter\n -> b :: FlowCounter -> Discard;",
			"test.click:2:5: 'b' needs 16 bytes of flow state at offset 16, but 'fm' reserves 24 (RESERVE)");
	tu_expect_error("Idle -> f1 :: FlowManager -> a :: FlowCounter -> Discard;\nIdle -> f2 :: FlowManager -> [0]a;",
			"test.click:1:30: 'a' is downstream of two flow managers, 'f1' and 'f2'");
	tu_expect_error("Idle -> fm :: FlowManager -> Queue -> Unqueue -> a :: FlowCounter -> Discard;",
			"test.click:1:50: 'a' is behind a queue from flow manager 'fm': flows may end while packets wait "
			"there (put the manager after the queue)");
	tu_expect_error("Idle -> FlowManager(DEF QUINTUPLE) -> Discard;",
			"test.click:1:9: FlowManager@2: DEF: expected 5TUPLE, IPPAIR or ASPAIR, not 'QUINTUPLE'");
	tu_expect_error("Idle -> FlowManager(FULL MAYBE) -> Discard;",
			"test.click:1:9: FlowManager@2: FULL: expected DROP or BYPASS, not 'MAYBE'");
}

static const char live_a[] = "Idle -> fm :: FlowManager(RESERVE 40) -> a :: FlowCounter -> s :: TestSink;";
static const char live_b[] = "Idle -> fm :: FlowManager(RESERVE 40) -> b :: FlowCounter -> a :: FlowCounter -> s :: TestSink;";
static const char live_c[] =
	"Idle -> fm :: FlowManager(RESERVE 40) -> b :: FlowCounter -> a :: FlowCounter -> c :: FlowCounter -> s :: TestSink;";

static void test_layout_live_keeps_offsets(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(live_a, NULL);
	push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, 0));
	assert_int_equal(slot_off(r, "a"), 0);
	struct rt_err err;
	rt_err_clear(&err);
	/* b is new and sits upstream of a: it goes above everything a live
	 * flow may hold, and a stays where its live flows keep their counts */
	assert_int_equal(rt_ctl_hotconfig(r, live_b, "hot.click", NULL, &err), 0);
	assert_int_equal(slot_off(r, "a"), 0);
	assert_int_equal(slot_off(r, "b"), 16);
	push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, 0));
	assert_string_equal(tu_read(r, "a.flows"), "UDP 10.0.0.1:1 10.0.0.2:2 2 104\n");
	assert_string_equal(tu_read(r, "b.flows"), "UDP 10.0.0.1:1 10.0.0.2:2 1 52\n");
	/* no room for c: refused, with its location, and the graph runs on */
	rt_err_clear(&err);
	assert_true(rt_ctl_hotconfig(r, live_c, "hot.click", NULL, &err) < 0);
	char msg[600];
	assert_string_equal(rt_err_str(&err, msg, sizeof(msg)),
			    "hot.click:1:82: 'c' needs 16 bytes of flow state at offset 32, but 'fm' reserves 40 (RESERVE)");
	assert_null(rt_router_find(r, "c"));
	push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, 0));
	assert_string_equal(tu_read(r, "a.flows"), "UDP 10.0.0.1:1 10.0.0.2:2 3 156\n");
	assert_int_equal(tu_sink_count(r, "s"), 3);
	/* the manager goes: a and b stay, without flows (and list none) */
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_hotconfig(r, "Idle -> b :: FlowCounter -> a :: FlowCounter -> s :: TestSink;", "hot.click",
					  NULL, &err), 0);
	assert_null(rt_router_find(r, "a")->flow_mgr);
	assert_string_equal(tu_read(r, "a.flows"), "");
	push(r, "b", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, 0));
	assert_int_equal(tu_read_int(r, "a.noflow"), 1);
	tu_router_free(r);
}

/* ---- the manager ------------------------------------------------------------- */

static void test_manager_timeouts_and_tcp(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> fm :: FlowManager(TIMEOUT_UDP 30s, TIMEOUT_TCP 300s, TIMEOUT_SYN 5s, "
					"SYMMETRIC true) -> c :: FlowCounter -> s :: TestSink;",
					NULL);
	push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, 1 * SEC));
	push(r, "fm", udp(r, "10.0.0.2", "10.0.0.1", 2, 1, 10, 2 * SEC));  /* the reply: same flow */
	assert_int_equal(tu_read_int(r, "fm.flows"), 1);
	assert_false(flow_is_reply(tu_sink_pkt(r, "s", 0)));
	assert_true(flow_is_reply(tu_sink_pkt(r, "s", 1)));
	/* 31 s idle: a new flow, the old one ended (release callback ran) */
	push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, 33 * SEC));
	assert_int_equal(tu_read_int(r, "fm.inserted"), 2);
	assert_int_equal(tu_read_int(r, "fm.expired"), 1);
	assert_int_equal(tu_read_int(r, "c.ended"), 1);
	assert_int_equal(tu_read_int(r, "c.ended_packets"), 2);
	/* half-open TCP ends after TIMEOUT_SYN, established after TIMEOUT_TCP */
	push(r, "fm", tcp(r, "10.0.0.1", "10.0.0.9", 5, 80, SYN, 40 * SEC));
	push(r, "fm", tcp(r, "10.0.0.1", "10.0.0.8", 5, 80, SYN, 40 * SEC));
	push(r, "fm", tcp(r, "10.0.0.8", "10.0.0.1", 80, 5, SYN | ACK, 40 * SEC));
	push(r, "fm", udp(r, "10.0.0.3", "10.0.0.4", 1, 2, 10, 46 * SEC));
	/* 10.0.0.8 (established), the UDP flows of 33 s and 46 s; 10.0.0.9 ended */
	assert_int_equal(tu_read_int(r, "fm.flows"), 3);
	assert_int_equal(tu_read_int(r, "fm.expired"), 2);
	/* RST ends a flow before the next batch */
	push(r, "fm", tcp(r, "10.0.0.8", "10.0.0.1", 80, 5, RST | ACK, 47 * SEC));
	assert_int_equal(tu_read_int(r, "fm.flows"), 3);
	push(r, "fm", udp(r, "10.0.0.3", "10.0.0.4", 1, 2, 10, 47 * SEC));
	assert_int_equal(tu_read_int(r, "fm.closed"), 1);
	assert_int_equal(tu_read_int(r, "fm.flows"), 2);
	/* FIN both ways: TIMEOUT_CLOSED (2 s), not 300 s */
	push(r, "fm", tcp(r, "10.0.0.1", "10.0.0.7", 6, 80, SYN, 48 * SEC));
	push(r, "fm", tcp(r, "10.0.0.7", "10.0.0.1", 80, 6, SYN | ACK, 48 * SEC));
	push(r, "fm", tcp(r, "10.0.0.1", "10.0.0.7", 6, 80, FIN | ACK, 49 * SEC));
	push(r, "fm", tcp(r, "10.0.0.7", "10.0.0.1", 80, 6, FIN | ACK, 49 * SEC));
	push(r, "fm", udp(r, "10.0.0.3", "10.0.0.4", 1, 2, 10, 52 * SEC));
	assert_int_equal(tu_read_int(r, "fm.expired"), 3);
	assert_int_equal(tu_read_int(r, "fm.flows"), 2);
	/* SYN, RST, SYN of one 5-tuple in one batch: the second SYN opens a new flow */
	long long ins = tu_read_int(r, "fm.inserted");
	struct rte_mbuf *v[3] = {tcp(r, "10.0.0.1", "10.0.0.6", 7, 80, SYN, 53 * SEC),
				 tcp(r, "10.0.0.6", "10.0.0.1", 80, 7, RST | ACK, 53 * SEC),
				 tcp(r, "10.0.0.1", "10.0.0.6", 7, 80, SYN, 53 * SEC)};
	tu_sink_clear(r, "s");
	tu_push(r, "fm", 0, v, 3);
	assert_int_equal(tu_sink_count(r, "s"), 3);
	assert_int_equal(tu_read_int(r, "fm.inserted"), ins + 2);
	assert_int_equal(tu_read_int(r, "fm.closed"), 2);
	/* ended: UDP 2, half-open 1, reset 3, FINs 4, SYN+RST 2 */
	assert_int_equal(tu_read_int(r, "c.ended_packets"), 2 + 1 + 3 + 4 + 2);
	tu_router_free(r);
}

static void full_table(const char *mode, int want_sink, int want_drops, int want_bypass)
{
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "Idle -> fm :: FlowManager(CAPACITY 4, FULL %s) -> c :: FlowCounter -> s :: TestSink;", mode);
	struct rt_router *r = tu_router(cfg, NULL);
	struct rte_mbuf *m[10];
	for (int i = 0; i < 10; i++)
		m[i] = tcp(r, "10.9.0.1", "10.0.0.1", (uint16_t)(1000 + i), 80, SYN, SEC);  /* a SYN flood */
	tu_push(r, "fm", 0, m, 10);
	assert_int_equal(tu_sink_count(r, "s"), want_sink);
	assert_int_equal(tu_read_int(r, "fm.full_drops"), want_drops);
	assert_int_equal(tu_read_int(r, "fm.bypassed"), want_bypass);
	assert_int_equal(tu_read_int(r, "fm.flows"), 4);
	assert_int_equal(tu_read_int(r, "c.noflow"), want_bypass);
	tu_sink_clear(r, "s");
	assert_pool_full(r);
	tu_router_free(r);
}

static void test_manager_full_drop(void **st) { (void)st; full_table("DROP", 4, 6, 0); }
static void test_manager_full_bypass(void **st) { (void)st; full_table("BYPASS", 10, 0, 6); }

static void test_per_worker_tables(void **st)
{
	(void)st;
	struct rt_router *r = tu_router_j("Idle -> fm :: FlowManager(CAPACITY 10) -> [0]nat :: FlowNAPT(192.0.2.1 5000-5003 - -);"
					  "Idle -> [1]nat; nat[0] -> out :: TestSink; nat[1] -> in :: TestSink;",
					  2, NULL);
	assert_int_equal(tu_read_int(r, "fm.capacity"), 20);
	tu_push_as(r, "fm", 0, 0, udp(r, "10.0.0.1", "8.8.8.8", 1, 53, 10, SEC));
	tu_push_as(r, "fm", 0, 1, udp(r, "10.0.0.2", "8.8.8.8", 1, 53, 10, SEC));
	tu_push_as(r, "fm", 0, 1, udp(r, "10.0.0.1", "8.8.8.8", 1, 53, 10, SEC));  /* a worker knows only its own flows */
	assert_int_equal(tu_read_int(r, "fm.flows"), 3);
	/* each worker allocates from its own half of the port range */
	const uint16_t want[3] = {5000, 5002, 5003};
	for (int i = 0; i < 3; i++)
		assert_int_equal(ntohs(*(const uint16_t *)((const uint8_t *)ip_of(tu_sink_pkt(r, "out", i)) + 20)), want[i]);
	tu_router_free(r);
}

/* ---- the hold model ------------------------------------------------------------ */

static void test_hold_releases_in_order(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> fm :: FlowManager(TIMEOUT_UDP 10s) -> w :: FlowWait(30) -> s :: TestSink;", NULL);
	for (int i = 0; i < 2; i++) {
		struct rte_mbuf *m = udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, SEC);
		rt_anno(m)->seq = (uint64_t)i;
		push(r, "fm", m);
		struct rte_mbuf *o = udp(r, "10.0.0.5", "10.0.0.2", 1, 2, 40, SEC);  /* another flow: enough at once */
		rt_anno(o)->seq = 100 + (uint64_t)i;
		push(r, "fm", o);
	}
	assert_int_equal(tu_sink_count(r, "s"), 2);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 0))->seq, 100);
	assert_int_equal(tu_read_int(r, "w.held"), 2);
	struct rte_mbuf *m = udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, 2 * SEC);
	rt_anno(m)->seq = 2;
	push(r, "fm", m);
	assert_int_equal(tu_sink_count(r, "s"), 5);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 2 + i))->seq, (uint64_t)i);
	/* a flow that never brings enough: held packets are freed with it */
	push(r, "fm", udp(r, "10.0.0.7", "10.0.0.2", 1, 2, 10, 3 * SEC));
	push(r, "fm", udp(r, "10.0.0.7", "10.0.0.2", 1, 2, 10, 3 * SEC));
	assert_int_equal(tu_sink_count(r, "s"), 5);
	push(r, "fm", udp(r, "10.0.0.8", "10.0.0.2", 1, 2, 10, 20 * SEC));  /* 17 s later: a lookup ends the others */
	for (int i = 0; i < 4; i++)
		push(r, "fm", udp(r, "10.0.0.8", "10.0.0.2", 1, 2, 0, 20 * SEC));
	assert_true(tu_read_int(r, "fm.expired") >= 1);
	assert_int_equal(tu_read_int(r, "fm.held_freed"), 2);
	/* overflow: 16 held per flow, the 17th is dropped and counted */
	for (int i = 0; i < 17; i++)
		push(r, "fm", udp(r, "10.0.0.9", "10.0.0.2", 1, 2, 0, 21 * SEC));
	assert_int_equal(tu_read_int(r, "w.overflow"), 1);
	tu_sink_clear(r, "s");
	tu_router_free(r);
}

static void test_hold_freed_at_cleanup(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> fm :: FlowManager -> w :: FlowWait(1k) -> s :: TestSink;", NULL);
	struct rte_mempool *mp = rt_router_pool(r);
	unsigned before = rte_mempool_avail_count(mp);
	for (int i = 0; i < 5; i++)
		push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, SEC));
	assert_int_equal(rte_mempool_avail_count(mp), before - 5);
	/* a live change that keeps w keeps its held packets */
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_hotconfig(r, "Idle -> fm :: FlowManager -> w :: FlowWait(1k) -> c :: Counter -> s :: TestSink;",
					  "hot.click", NULL, &err), 0);
	assert_int_equal(rte_mempool_avail_count(mp), before - 5);
	push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 1000, SEC));
	assert_int_equal(tu_sink_count(r, "s"), 6);
	assert_int_equal(tu_read_int(r, "c.count"), 6);
	tu_sink_clear(r, "s");
	for (int i = 0; i < 3; i++)
		push(r, "fm", udp(r, "10.0.0.3", "10.0.0.2", 1, 2, 10, SEC));
	assert_int_equal(rte_mempool_avail_count(mp), before - 3);
	/* a new manager (its configuration changed): the old one's flows end
	 * with it, and their held packets go back to the pool; w, kept, gets
	 * a slot in the new manager's FCB */
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_hotconfig(r, "Idle -> fm :: FlowManager(CAPACITY 100) -> w :: FlowWait(1k) -> c :: Counter"
					  " -> s :: TestSink;", "hot.click", NULL, &err), 0);
	assert_int_equal(rte_mempool_avail_count(mp), before);
	assert_ptr_equal(rt_router_find(r, "w")->flow_mgr, rt_router_find(r, "fm"));
	push(r, "fm", udp(r, "10.0.0.3", "10.0.0.2", 1, 2, 1000, SEC));
	assert_int_equal(tu_sink_count(r, "s"), 1);
	tu_sink_clear(r, "s");
	tu_router_free(r);
}

/* A holding element reconfigured (same class and name) keeps its slot and
 * the packets held there: the new instance releases them.  Before, it got a
 * new slot above the old one and a default RESERVE refused the change. */
static void test_hold_reconfigure_keeps_held(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> fm :: FlowManager -> w :: FlowWait(1k) -> s :: TestSink;", NULL);
	struct rte_mempool *mp = rt_router_pool(r);
	unsigned before = rte_mempool_avail_count(mp);
	uint32_t off = rt_router_find(r, "w")->flow_off;
	for (int i = 0; i < 3; i++)
		push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 100, SEC));
	assert_int_equal(tu_sink_count(r, "s"), 0);
	struct rt_err err;
	for (int k = 0; k < 4; k++) { /* again and again: no slot is ever added */
		rt_err_clear(&err);
		assert_int_equal(rt_ctl_reconfigure(r, "w", k % 2 ? "1k" : "500", NULL, &err), 0);
		assert_int_equal(rt_router_find(r, "w")->flow_off, off);
	}
	assert_int_equal(rte_mempool_avail_count(mp), before - 3);
	/* the last instance waits for 1k bytes: 300 held + 800 release all four */
	push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 800, SEC));
	assert_int_equal(tu_sink_count(r, "s"), 4);
	assert_int_equal(rte_mempool_avail_count(mp), before - 4);
	tu_sink_clear(r, "s");
	assert_int_equal(rte_mempool_avail_count(mp), before);
	tu_router_free(r);
}

/* ---- middleboxes ------------------------------------------------------------------ */

static void test_firewall(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> fm :: FlowManager(SYMMETRIC true) -> fw :: FlowFirewall(INSIDE 10.0.0.0/8, OPEN 53)"
					" -> s :: TestSink; fw[1] -> rej :: TestSink;",
					NULL);
	push(r, "fm", tcp(r, "10.0.0.1", "8.8.8.8", 4000, 80, SYN, SEC));        /* inside opens */
	push(r, "fm", tcp(r, "8.8.8.8", "10.0.0.1", 80, 4000, SYN | ACK, SEC));  /* the reply passes */
	push(r, "fm", tcp(r, "8.8.8.8", "10.0.0.1", 80, 4001, SYN | ACK, SEC));  /* no such connection */
	push(r, "fm", tcp(r, "8.8.4.4", "10.0.0.1", 5000, 22, SYN, SEC));       /* outside opens: no */
	push(r, "fm", tcp(r, "10.0.0.1", "8.8.4.4", 22, 5000, SYN | ACK, SEC)); /* and its reply neither */
	push(r, "fm", udp(r, "8.8.4.4", "10.0.0.53", 999, 53, 10, SEC));        /* open port */
	push(r, "fm", udp(r, "10.0.0.53", "8.8.4.4", 53, 999, 10, SEC));
	push(r, "fm", tcp(r, "10.0.0.2", "8.8.8.8", 4000, 80, ACK, SEC));       /* mid-stream, no SYN: no */
	assert_int_equal(tu_sink_count(r, "s"), 4);
	assert_int_equal(tu_sink_count(r, "rej"), 4);
	assert_int_equal(tu_read_int(r, "fw.allowed"), 2);
	assert_int_equal(tu_read_int(r, "fw.denied"), 3);
	assert_int_equal(ntohs(((const uint16_t *)((const uint8_t *)ip_of(tu_sink_pkt(r, "s", 1)) + 20))[1]), 4000);
	tu_router_free(r);
}

static void test_napt(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> fm :: FlowManager(TIMEOUT_UDP 10s) -> [0]nat :: FlowNAPT(192.0.2.1 5000-5001 - -);"
					"Idle -> [1]nat; nat[0] -> out :: TestSink; nat[1] -> in :: TestSink;",
					NULL);
	char b1[20];
	push(r, "fm", udp(r, "10.0.0.1", "8.8.8.8", 1111, 53, 10, SEC));
	push(r, "fm", udp(r, "10.0.0.2", "8.8.8.8", 1111, 53, 10, SEC));
	push(r, "fm", udp(r, "10.0.0.3", "8.8.8.8", 1111, 53, 10, SEC));  /* no third port */
	push(r, "fm", udp(r, "10.0.0.1", "8.8.8.8", 1111, 53, 10, 2 * SEC));
	assert_int_equal(tu_sink_count(r, "out"), 3);
	assert_int_equal(tu_read_int(r, "nat.no_ports"), 1);
	const struct rte_ipv4_hdr *ip = ip_of(tu_sink_pkt(r, "out", 0));
	assert_string_equal(ipstr(ip->src_addr, b1), "192.0.2.1");
	assert_int_equal(ntohs(*(const uint16_t *)((const uint8_t *)ip + 20)), 5000);
	assert_int_equal(ntohs(*(const uint16_t *)((const uint8_t *)ip_of(tu_sink_pkt(r, "out", 1)) + 20)), 5001);
	assert_int_equal(ntohs(*(const uint16_t *)((const uint8_t *)ip_of(tu_sink_pkt(r, "out", 2)) + 20)), 5000);
	for (int i = 0; i < 3; i++)
		assert_csums_ok(tu_sink_pkt(r, "out", i));
	/* replies map back; a wrong remote or an unused port does not */
	tu_push1(r, "nat", 1, udp(r, "8.8.8.8", "192.0.2.1", 53, 5001, 10, 0));
	tu_push1(r, "nat", 1, udp(r, "8.8.4.4", "192.0.2.1", 53, 5001, 10, 0));
	tu_push1(r, "nat", 1, udp(r, "8.8.8.8", "192.0.2.1", 53, 5002, 10, 0));
	assert_int_equal(tu_sink_count(r, "in"), 1);
	ip = ip_of(tu_sink_pkt(r, "in", 0));
	assert_string_equal(ipstr(ip->dst_addr, b1), "10.0.0.2");
	assert_int_equal(ntohs(*(const uint16_t *)((const uint8_t *)ip + 22)), 1111);
	assert_csums_ok(tu_sink_pkt(r, "in", 0));
	assert_int_equal(tu_read_int(r, "nat.in_dropped"), 2);
	assert_string_equal(tu_read(r, "nat.mappings"),
			    "UDP 10.0.0.1:1111 -> :5000 -> 8.8.8.8:53\nUDP 10.0.0.2:1111 -> :5001 -> 8.8.8.8:53\n");
	/* the flows end: ports return, and a late reply finds nothing */
	push(r, "fm", udp(r, "10.0.0.4", "8.8.8.8", 1111, 53, 10, 30 * SEC));
	assert_int_equal(tu_read_int(r, "nat.released"), 2);
	assert_int_equal(ntohs(*(const uint16_t *)((const uint8_t *)ip_of(tu_sink_pkt(r, "out", 3)) + 20)), 5001);
	tu_push1(r, "nat", 1, udp(r, "8.8.8.8", "192.0.2.1", 53, 5000, 10, 0));
	assert_int_equal(tu_read_int(r, "nat.in_dropped"), 3);
	tu_router_free(r);
}

static void test_lb_affinity(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> fm :: FlowManager -> lb :: FlowLB(10.1.0.1 10.1.0.2 10.1.0.3, TABLE 251)"
					" -> s :: TestSink;",
					NULL);
	const char *sh = tu_read(r, "lb.shares");
	int a, b, c;
	assert_int_equal(sscanf(sh, "%d %d %d", &a, &b, &c), 3);
	assert_int_equal(a + b + c, 251);
	assert_true(a >= 83 && b >= 83 && c >= 83);
	char src[32];
	uint32_t first[60];
	for (int i = 0; i < 60; i++) {
		snprintf(src, sizeof(src), "172.16.0.%d", i + 1);
		push(r, "fm", udp(r, src, "10.1.1.1", 1000, 80, 10, SEC));
		first[i] = ip_of(tu_sink_pkt(r, "s", i))->dst_addr;
		assert_csums_ok(tu_sink_pkt(r, "s", i));
	}
	int per[3] = {0};
	char b1[20];
	for (int i = 0; i < 60; i++)
		per[ipstr(first[i], b1)[7] - '1']++;
	assert_true(per[0] > 5 && per[1] > 5 && per[2] > 5);
	/* a backend goes: live flows stay where they are, new ones avoid it */
	assert_int_equal(tu_write(r, "lb.backends", "10.1.0.1 10.1.0.3", NULL), 0);
	assert_string_equal(tu_read(r, "lb.backends"), "10.1.0.1 10.1.0.3");
	for (int i = 0; i < 60; i++) {
		snprintf(src, sizeof(src), "172.16.0.%d", i + 1);
		push(r, "fm", udp(r, src, "10.1.1.1", 1000, 80, 10, SEC));
		assert_int_equal(ip_of(tu_sink_pkt(r, "s", 60 + 2 * i))->dst_addr, first[i]);
		snprintf(src, sizeof(src), "172.17.0.%d", i + 1);
		push(r, "fm", udp(r, src, "10.1.1.1", 1000, 80, 10, SEC));
		assert_string_not_equal(ipstr(ip_of(tu_sink_pkt(r, "s", 61 + 2 * i))->dst_addr, b1), "10.1.0.2");
	}
	assert_int_equal(tu_read_int(r, "lb.new_flows"), 120);
	struct rt_err err;
	rt_err_clear(&err);
	assert_true(tu_write(r, "lb.backends", "10.1.0.1 nonsense", &err) < 0);
	assert_string_equal(err.msg, "lb: BACKENDS: 'nonsense' is not an IPv4 address");
	assert_string_equal(tu_read(r, "lb.backends"), "10.1.0.1 10.1.0.3");
	tu_router_free(r);
}

static void test_ratelimit(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> fm :: FlowManager -> rl :: FlowRateLimit(10, BURST 2) -> s :: TestSink;"
					"rl[1] -> over :: TestSink;",
					NULL);
	/* flow A: 5 packets at once -> 2 pass; 100 ms later one more token */
	for (int i = 0; i < 5; i++)
		push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, SEC));
	push(r, "fm", udp(r, "10.0.0.3", "10.0.0.2", 1, 2, 10, SEC));  /* flow B has its own bucket */
	push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, SEC + SEC / 10));
	push(r, "fm", udp(r, "10.0.0.1", "10.0.0.2", 1, 2, 10, SEC + SEC / 10));
	assert_int_equal(tu_sink_count(r, "s"), 4);
	assert_int_equal(tu_sink_count(r, "over"), 4);
	assert_int_equal(tu_read_int(r, "rl.limited"), 4);
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_batch_insert_find_full),
		cmocka_unit_test(test_keys_symmetric_and_pairs),
		cmocka_unit_test(test_aspair_user_key),
		cmocka_unit_test(test_layout_chain_and_branches),
		cmocka_unit_test(test_layout_errors),
		cmocka_unit_test(test_layout_live_keeps_offsets),
		cmocka_unit_test(test_manager_timeouts_and_tcp),
		cmocka_unit_test(test_manager_full_drop),
		cmocka_unit_test(test_manager_full_bypass),
		cmocka_unit_test(test_per_worker_tables),
		cmocka_unit_test(test_hold_releases_in_order),
		cmocka_unit_test(test_hold_freed_at_cleanup),
		cmocka_unit_test(test_hold_reconfigure_keeps_held),
		cmocka_unit_test(test_firewall),
		cmocka_unit_test(test_napt),
		cmocka_unit_test(test_lb_affinity),
		cmocka_unit_test(test_ratelimit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
