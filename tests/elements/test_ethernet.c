/*
 * test_ethernet.c - the Ethernet and ARP elements: EtherEncap, EtherMirror,
 * EtherRewrite, HostEtherFilter, ARPResponder and ARPQuerier: batches,
 * malformed packets, arguments, handlers, an ARP round trip and a
 * lock-free ARP table under two threads.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "eth_util.h"

/* tu_build_* frames go from 00:66:77:88:99:aa to 00:11:22:33:44:55 */
static const uint8_t MAC_DST[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t MAC_SRC[6] = {0x00, 0x66, 0x77, 0x88, 0x99, 0xaa};

/* Read a handler with a parameter. */
static const char *read_param(struct rt_router *r, const char *h, const char *param, int *rc)
{
	static char buf[1024];
	struct rt_buf b;
	struct rt_err err;
	rt_buf_init(&b);
	rt_err_clear(&err);
	*rc = rt_ctl_read_param(r, h, param, &b, &err);
	snprintf(buf, sizeof(buf), "%s", *rc < 0 ? err.msg : b.p ? b.p : "");
	rt_buf_free(&b);
	return buf;
}

/* ---- EtherEncap, EtherMirror, EtherRewrite ------------------------------------ */

static void test_etherencap(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> e :: EtherEncap(0x0800, 1:1:1:1:1:1, 2-2-2-2-2-2) -> s :: TestSink;", NULL);
	struct rte_mbuf *p[3];
	for (int i = 0; i < 3; i++)
		p[i] = udp_ip(r, "10.0.0.1", "10.0.0.2");
	tu_push(r, "e", 0, p, 3);
	assert_int_equal(tu_sink_count(r, "s"), 3);
	static const uint8_t hdr[14] = {2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0x08, 0x00};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rt_len(out(r, "s", i)), 14 + 33);
		assert_memory_equal(rt_data(out(r, "s", i)), hdr, 14);
		assert_int_equal(rt_data(out(r, "s", i))[14], 0x45);
	}
	assert_string_equal(tu_read(r, "e.src"), "01-01-01-01-01-01");
	assert_string_equal(tu_read(r, "e.dst"), "02-02-02-02-02-02");
	assert_string_equal(tu_read(r, "e.etht"), "2048");
	/* handlers change the header of the next packets */
	assert_int_equal(tu_write(r, "e.dst", "0a:0b:0c:0d:0e:0f", NULL), 0);
	assert_int_equal(tu_write(r, "e.etht", "0x86DD", NULL), 0);
	struct rt_err err;
	assert_true(tu_write(r, "e.etht", "65536", &err) < 0);
	assert_true(tu_write(r, "e.src", "1:2:3", &err) < 0);
	tu_push1(r, "e", 0, udp_ip(r, "10.0.0.1", "10.0.0.2"));
	static const uint8_t hdr2[14] = {0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 1, 1, 1, 1, 1, 1, 0x86, 0xdd};
	assert_memory_equal(rt_data(out(r, "s", 3)), hdr2, 14);
	/* no headroom: dropped and counted */
	struct rte_mbuf *m = udp_ip(r, "10.0.0.1", "10.0.0.2");
	m->data_off = 0;
	tu_push1(r, "e", 0, m);
	assert_int_equal(tu_sink_count(r, "s"), 4);
	assert_int_equal(tu_read_int(r, "e.drops"), 1);
	tu_router_free(r);
	tu_expect_error("Idle -> e :: EtherEncap(0x10000, 1:1:1:1:1:1, 2:2:2:2:2:2) -> Idle;",
			"test.click:1:9: e: ETHERTYPE must be <= 0xFFFF");
	tu_expect_error("Idle -> e :: EtherEncap(0x0800, 1:1:1:1:1:1) -> Idle;",
			"test.click:1:9: e: missing mandatory argument 'DST'");
	tu_expect_error("Idle -> e :: EtherEncap(0x0800, 1:1:1:1:1, 2:2:2:2:2:2) -> Idle;",
			"test.click:1:9: e: SRC: expected Ethernet address, not '1:1:1:1:1'");
}

static void test_ethermirror_rewrite(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> m :: EtherMirror -> s :: TestSink;\n"
					"Idle -> w :: EtherRewrite(SRC 1:1:1:1:1:1, DST 2:2:2:2:2:2) -> t :: TestSink;",
					NULL);
	struct rte_mbuf *p[4];
	for (int i = 0; i < 4; i++)
		p[i] = udp_frame(r, "10.0.0.1", "10.0.0.2");
	uint8_t ten[10] = {0};
	struct rte_mbuf *shortp = tu_pkt(r, ten, 10);
	struct rte_mbuf *batch[5] = {p[0], shortp, p[1], NULL, NULL};
	tu_push(r, "m", 0, batch, 3);
	assert_int_equal(tu_sink_count(r, "s"), 2);
	for (int i = 0; i < 2; i++) {
		assert_memory_equal(rt_data(out(r, "s", i)), MAC_SRC, 6);
		assert_memory_equal(rt_data(out(r, "s", i)) + 6, MAC_DST, 6);
		assert_int_equal(rt_len(out(r, "s", i)), 47);
	}
	assert_int_equal(tu_read_int(r, "m.drops"), 1);

	batch[0] = p[2];
	batch[1] = tu_pkt(r, ten, 10);
	batch[2] = p[3];
	tu_push(r, "w", 0, batch, 3);
	assert_int_equal(tu_sink_count(r, "t"), 2);
	static const uint8_t want[14] = {2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0x08, 0x00};
	assert_memory_equal(rt_data(out(r, "t", 1)), want, 14);
	assert_int_equal(tu_read_int(r, "w.drops"), 1);
	assert_string_equal(tu_read(r, "w.src"), "01-01-01-01-01-01");
	assert_int_equal(tu_write(r, "w.src", "00:00:00:00:00:09", NULL), 0);
	assert_string_equal(tu_read(r, "w.src"), "00-00-00-00-00-09");
	assert_string_equal(tu_read(r, "w.dst"), "02-02-02-02-02-02");
	tu_push1(r, "w", 0, udp_frame(r, "10.0.0.1", "10.0.0.2"));
	static const uint8_t want2[14] = {2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 9, 0x08, 0x00};
	assert_memory_equal(rt_data(out(r, "t", 2)), want2, 14);
	tu_router_free(r);
	tu_expect_error("Idle -> w :: EtherRewrite(1:1:1:1:1:1) -> Idle;",
			"test.click:1:9: w: missing mandatory argument 'DST'");
	tu_expect_error("Idle -> m :: EtherMirror(1) -> Idle;", "test.click:1:9: m: EtherMirror takes no arguments");
}

/* ---- HostEtherFilter ----------------------------------------------------------- */

static struct rte_mbuf *frame_to(struct rt_router *r, const uint8_t *dst, const uint8_t *src)
{
	struct rte_mbuf *m = udp_frame(r, "10.0.0.1", "10.0.0.2");
	memcpy(rt_data(m), dst, 6);
	memcpy(rt_data(m) + 6, src, 6);
	return m;
}

static void test_hostetherfilter(void **st)
{
	(void)st;
	static const uint8_t me[6] = {0, 0, 0, 0, 0, 1}, other[6] = {0, 0, 0, 0, 0, 2};
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, mcast[6] = {0x01, 0, 0x5e, 0, 0, 1};
	struct rt_router *r = tu_router("Idle -> f :: HostEtherFilter(0:0:0:0:0:1, DROP_OWN true) -> s :: TestSink;\n"
					"f[1] -> x :: TestSink;\n"
					"Idle -> g :: HostEtherFilter(0:0:0:0:0:1, false, false) -> t :: TestSink;\n"
					"Idle -> h :: HostEtherFilter(0:0:0:0:0:1, OFFSET 2) -> u :: TestSink;",
					NULL);
	uint8_t ten[10] = {0};
	struct rte_mbuf *b[6] = {
		frame_to(r, me, other), frame_to(r, bcast, other), frame_to(r, mcast, other),
		frame_to(r, other, other), frame_to(r, me, me), tu_pkt(r, ten, 10),
	};
	tu_push(r, "f", 0, b, 6);
	assert_int_equal(tu_sink_count(r, "s"), 3);
	assert_int_equal(tu_sink_count(r, "x"), 3);
	assert_memory_equal(rt_data(out(r, "s", 0)), me, 6);
	assert_memory_equal(rt_data(out(r, "s", 1)), bcast, 6);
	assert_memory_equal(rt_data(out(r, "s", 2)), mcast, 6);
	assert_memory_equal(rt_data(out(r, "x", 0)), other, 6);
	assert_memory_equal(rt_data(out(r, "x", 1)) + 6, me, 6);
	assert_int_equal(rt_len(out(r, "x", 2)), 10);
	/* DROP_OTHER false (positional) keeps everything; DROP_OWN false too */
	struct rte_mbuf *c[2] = {frame_to(r, other, other), frame_to(r, me, me)};
	tu_push(r, "g", 0, c, 2);
	assert_int_equal(tu_sink_count(r, "t"), 2);
	/* one output: filtered packets are dropped; OFFSET moves the header */
	struct rte_mbuf *d[2] = {frame_to(r, me, other), frame_to(r, me, other)};
	memmove(rt_data(d[1]) + 2, rt_data(d[1]), 12);
	tu_push(r, "h", 0, d, 2);
	assert_int_equal(tu_sink_count(r, "u"), 1);
	assert_ptr_equal(out(r, "u", 0), d[1]);
	/* the ether handler */
	assert_string_equal(tu_read(r, "f.ether"), "00-00-00-00-00-01");
	assert_int_equal(tu_write(r, "f.ether", "00:00:00:00:00:02", NULL), 0);
	tu_push1(r, "f", 0, frame_to(r, other, me));
	assert_int_equal(tu_sink_count(r, "s"), 4);
	tu_router_free(r);
	tu_expect_error("Idle -> f :: HostEtherFilter(DROP_OWN true) -> Idle;",
			"test.click:1:9: f: missing mandatory argument 'ETHER'");
	tu_expect_error("Idle -> f :: HostEtherFilter(0:0:0:0:0:1, maybe) -> Idle;",
			"test.click:1:9: f: DROP_OWN: expected boolean, not 'maybe'");
}

/* ---- ARPResponder ----------------------------------------------------------------- */

static struct rte_mbuf *arp_pkt(struct rt_router *r, uint16_t op, const uint8_t *sha, const char *spa,
				const uint8_t *tha, const char *tpa, uint32_t len)
{
	uint8_t b[64] = {0};
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)b;
	memset(&eh->dst_addr, 0xff, 6);
	memcpy(&eh->src_addr, sha, 6);
	eh->ether_type = htons(RTE_ETHER_TYPE_ARP);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);
	a->arp_hardware = htons(RTE_ARP_HRD_ETHER);
	a->arp_protocol = htons(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = htons(op);
	memcpy(&a->arp_data.arp_sha, sha, 6);
	a->arp_data.arp_sip = ip4(spa);
	memcpy(&a->arp_data.arp_tha, tha, 6);
	a->arp_data.arp_tip = ip4(tpa);
	return tu_pkt(r, b, len);
}

static const uint8_t ZERO_MAC[6];
static const uint8_t HOST_MAC[6] = {0x02, 0, 0, 0, 0, 0x07};

static void check_reply(struct rte_mbuf *m, const uint8_t *answer, const char *ip, const uint8_t *asker,
			const char *asker_ip)
{
	assert_int_equal(rt_len(m), 42);
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)rt_data(m);
	const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(eh + 1);
	assert_memory_equal(&eh->dst_addr, asker, 6);
	assert_memory_equal(&eh->src_addr, answer, 6);
	assert_int_equal(ntohs(eh->ether_type), RTE_ETHER_TYPE_ARP);
	assert_int_equal(ntohs(a->arp_opcode), RTE_ARP_OP_REPLY);
	assert_memory_equal(&a->arp_data.arp_sha, answer, 6);
	assert_int_equal(a->arp_data.arp_sip, ip4(ip));
	assert_memory_equal(&a->arp_data.arp_tha, asker, 6);
	assert_int_equal(a->arp_data.arp_tip, ip4(asker_ip));
}

static void test_arpresponder(void **st)
{
	(void)st;
	static const uint8_t own[6] = {0, 0, 0xc0, 0xae, 0x67, 0xef}, proxy[6] = {0, 0, 0, 0, 0, 0x99};
	struct rt_router *r = tu_router("Idle -> a :: ARPResponder(10.0.0.1 10.1.0.0/16 00:00:C0:AE:67:EF, "
					"10.1.2.0/255.255.255.0 00-00-00-00-00-99) -> s :: TestSink; a[1] -> x :: TestSink;",
					NULL);
	struct rte_mbuf *b[7] = {
		arp_pkt(r, 1, HOST_MAC, "10.0.0.5", ZERO_MAC, "10.0.0.1", 60), /* padded query */
		arp_pkt(r, 1, HOST_MAC, "10.0.0.5", ZERO_MAC, "10.1.9.9", 42), /* proxy /16 */
		arp_pkt(r, 1, HOST_MAC, "10.0.0.5", ZERO_MAC, "10.1.2.3", 42), /* more specific /24 */
		arp_pkt(r, 1, HOST_MAC, "10.0.0.5", ZERO_MAC, "10.0.0.2", 42), /* unknown */
		arp_pkt(r, 2, HOST_MAC, "10.0.0.5", ZERO_MAC, "10.0.0.1", 42), /* a reply, not a query */
		arp_pkt(r, 1, HOST_MAC, "10.0.0.5", ZERO_MAC, "10.0.0.1", 40), /* truncated */
		udp_frame(r, "10.0.0.5", "10.0.0.1"),                           /* not ARP */
	};
	tu_push(r, "a", 0, b, 7);
	assert_int_equal(tu_sink_count(r, "s"), 3);
	assert_int_equal(tu_sink_count(r, "x"), 4);
	check_reply(out(r, "s", 0), own, "10.0.0.1", HOST_MAC, "10.0.0.5");
	check_reply(out(r, "s", 1), own, "10.1.9.9", HOST_MAC, "10.0.0.5");
	check_reply(out(r, "s", 2), proxy, "10.1.2.3", HOST_MAC, "10.0.0.5");
	assert_ptr_equal(out(r, "x", 3), b[6]);
	assert_string_equal(tu_read(r, "a.table"), "10.0.0.1/32 00-00-C0-AE-67-EF\n10.1.2.0/24 00-00-00-00-00-99\n"
						   "10.1.0.0/16 00-00-C0-AE-67-EF\n");
	int rc;
	assert_string_equal(read_param(r, "a.lookup", "10.1.2.200", &rc), "00-00-00-00-00-99");
	assert_string_equal(read_param(r, "a.lookup", "192.168.0.1", &rc), "");
	assert_int_equal(rc, 0);
	read_param(r, "a.lookup", "nonsense", &rc);
	assert_true(rc < 0);
	/* add and remove replace the table; later entries for a prefix win */
	assert_int_equal(tu_write(r, "a.add", "10.0.0.1 00:00:00:00:00:42", NULL), 0);
	assert_string_equal(read_param(r, "a.lookup", "10.0.0.1", &rc), "00-00-00-00-00-42");
	assert_int_equal(tu_write(r, "a.remove", "10.1.2.0/24", NULL), 0);
	assert_string_equal(read_param(r, "a.lookup", "10.1.2.3", &rc), "00-00-C0-AE-67-EF");
	struct rt_err err;
	assert_true(tu_write(r, "a.remove", "10.9.0.0/16", &err) < 0);
	assert_string_equal(err.msg, "10.9.0.0/16 not found");
	assert_true(tu_write(r, "a.add", "10.0.0.3", &err) < 0);
	assert_string_equal(err.msg, "missing ETH");
	tu_push1(r, "a", 0, arp_pkt(r, 1, HOST_MAC, "10.0.0.5", ZERO_MAC, "10.1.2.3", 42));
	check_reply(out(r, "s", 3), own, "10.1.2.3", HOST_MAC, "10.0.0.5");
	tu_router_free(r);

	/* one output: unanswered packets are dropped */
	r = tu_router("Idle -> a :: ARPResponder(10.0.0.1 00:00:00:00:00:01) -> s :: TestSink;", NULL);
	struct rte_mbuf *c[2] = {udp_frame(r, "1.1.1.1", "2.2.2.2"),
				 arp_pkt(r, 1, HOST_MAC, "10.0.0.5", ZERO_MAC, "10.0.0.1", 42)};
	tu_push(r, "a", 0, c, 2);
	assert_int_equal(tu_sink_count(r, "s"), 1);
	assert_ptr_equal(out(r, "s", 0), c[1]);
	tu_router_free(r);

	tu_expect_error("Idle -> a :: ARPResponder(10.0.0.1) -> Idle;", "test.click:1:9: a: argument 1: missing ETH");
	tu_expect_error("Idle -> a :: ARPResponder(10.0.0.1 0:0:0:0:0:1, 0:0:0:0:0:2) -> Idle;",
			"test.click:1:9: a: argument 2: missing IP/MASK");
	tu_expect_error("Idle -> a :: ARPResponder(10.0.0.1 0:0:0:0:0:1 0:0:0:0:0:2) -> Idle;",
			"test.click:1:9: a: argument 1: more than one ETH");
	tu_expect_error("Idle -> a :: ARPResponder(10.0.0.1 bogus) -> Idle;",
			"test.click:1:9: a: argument 1: expected IP/MASK ETH");
}

/* ---- ARPQuerier ------------------------------------------------------------------- */

static const uint8_t MY_MAC[6] = {0x00, 0x00, 0xc0, 0xae, 0x67, 0xef};
static const uint8_t GW_MAC[6] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x02};

#define AQ_CONF(args)                                                                                       \
	"Idle -> q :: ARPQuerier(" args ") -> s :: TestSink; Idle -> [1]q; q[1] -> x :: TestSink;"

static struct rte_mbuf *ip_to(struct rt_router *r, const char *nexthop, uint8_t mark)
{
	struct rte_mbuf *m = udp_ip(r, "10.0.0.1", "192.168.7.7");
	rt_anno(m)->dst_ip = nexthop ? ip4(nexthop) : 0;
	rt_data(m)[27] = mark; /* last byte of the UDP payload */
	return m;
}

static void check_query(struct rte_mbuf *m, const uint8_t *dst, const char *tpa)
{
	assert_int_equal(rt_len(m), 42);
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)rt_data(m);
	const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(eh + 1);
	assert_memory_equal(&eh->dst_addr, dst, 6);
	assert_memory_equal(&eh->src_addr, MY_MAC, 6);
	assert_int_equal(ntohs(eh->ether_type), RTE_ETHER_TYPE_ARP);
	assert_int_equal(ntohs(a->arp_hardware), RTE_ARP_HRD_ETHER);
	assert_int_equal(ntohs(a->arp_protocol), RTE_ETHER_TYPE_IPV4);
	assert_int_equal(a->arp_hlen, 6);
	assert_int_equal(a->arp_plen, 4);
	assert_int_equal(ntohs(a->arp_opcode), RTE_ARP_OP_REQUEST);
	assert_memory_equal(&a->arp_data.arp_sha, MY_MAC, 6);
	assert_int_equal(a->arp_data.arp_sip, ip4("10.0.0.1"));
	assert_memory_equal(&a->arp_data.arp_tha, ZERO_MAC, 6);
	assert_int_equal(a->arp_data.arp_tip, ip4(tpa));
}

static void check_frame(struct rte_mbuf *m, const uint8_t *dst, uint8_t mark)
{
	assert_int_equal(rt_len(m), 14 + 33);
	assert_memory_equal(rt_data(m), dst, 6);
	assert_memory_equal(rt_data(m) + 6, MY_MAC, 6);
	assert_int_equal(rt_data(m)[12], 0x08);
	assert_int_equal(rt_data(m)[13], 0x00);
	assert_int_equal(rt_data(m)[14], 0x45);
	assert_int_equal(rt_data(m)[14 + 27], mark);
}

static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void test_arpquerier_resolve(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(AQ_CONF("10.0.0.1/24, 00:00:C0:AE:67:EF"), NULL);
	struct rte_mbuf *b[3] = {ip_to(r, "10.0.0.2", 1), ip_to(r, "10.0.0.2", 2), ip_to(r, "10.0.0.3", 3)};
	rt_anno(b[0])->timestamp = 777;
	tu_push(r, "q", 0, b, 3);
	/* nothing resolved: packets saved, one query per address (rate limited) */
	assert_int_equal(tu_sink_count(r, "s"), 0);
	assert_int_equal(tu_sink_count(r, "x"), 2);
	check_query(out(r, "x", 0), BCAST, "10.0.0.2");
	check_query(out(r, "x", 1), BCAST, "10.0.0.3");
	assert_int_equal(rt_anno(out(r, "x", 0))->timestamp, 777);
	assert_int_equal(tu_read_int(r, "q.queries"), 2);
	assert_int_equal(tu_read_int(r, "q.length"), 3);
	assert_int_equal(tu_read_int(r, "q.count"), 2);
	tu_push1(r, "q", 0, ip_to(r, "10.0.0.2", 4));
	assert_int_equal(tu_sink_count(r, "x"), 2); /* within 100 ms: no new query */
	/* bad replies change nothing: a query, truncated, group sender, wrong type */
	static const uint8_t group[6] = {0x01, 0, 0, 0, 0, 2};
	struct rte_mbuf *bad[4] = {
		arp_pkt(r, 1, GW_MAC, "10.0.0.2", MY_MAC, "10.0.0.1", 42),
		arp_pkt(r, 2, GW_MAC, "10.0.0.2", MY_MAC, "10.0.0.1", 41),
		arp_pkt(r, 2, group, "10.0.0.2", MY_MAC, "10.0.0.1", 42),
		arp_pkt(r, 2, GW_MAC, "10.0.0.2", MY_MAC, "10.0.0.1", 42),
	};
	rt_data(bad[3])[13] = 0x00; /* ethertype 0x0800 */
	tu_push(r, "q", 1, bad, 4);
	assert_int_equal(tu_sink_count(r, "s"), 0);
	assert_int_equal(tu_read_int(r, "q.responses"), 3); /* Click counts every long-enough packet */
	/* the reply releases the saved packets for 10.0.0.2, in order */
	tu_push1(r, "q", 1, arp_pkt(r, 2, GW_MAC, "10.0.0.2", MY_MAC, "10.0.0.1", 60));
	assert_int_equal(tu_sink_count(r, "s"), 3);
	check_frame(out(r, "s", 0), GW_MAC, 1);
	check_frame(out(r, "s", 1), GW_MAC, 2);
	check_frame(out(r, "s", 2), GW_MAC, 4);
	assert_int_equal(tu_read_int(r, "q.length"), 1);
	/* now known: straight through, no query */
	tu_push1(r, "q", 0, ip_to(r, "10.0.0.2", 5));
	assert_int_equal(tu_sink_count(r, "s"), 4);
	check_frame(out(r, "s", 3), GW_MAC, 5);
	assert_int_equal(tu_sink_count(r, "x"), 2);
	const char *t = tu_read(r, "q.table");
	assert_non_null(strstr(t, "10.0.0.2 1 00-00-00-00-00-02 0."));
	assert_non_null(strstr(t, "10.0.0.3 0 00-00-00-00-00-00 0."));
	assert_true(strstr(t, "10.0.0.3") < strstr(t, "10.0.0.2")); /* oldest first */
	/* special addresses */
	struct rte_mbuf *sp[4] = {ip_to(r, "10.0.0.255", 6), ip_to(r, "255.255.255.255", 7),
				  ip_to(r, "224.1.2.3", 8), ip_to(r, NULL, 9)};
	tu_push(r, "q", 0, sp, 4);
	assert_int_equal(tu_sink_count(r, "s"), 7);
	check_frame(out(r, "s", 4), BCAST, 6);
	check_frame(out(r, "s", 5), BCAST, 7);
	static const uint8_t mc[6] = {0x01, 0x00, 0x5e, 0x01, 0x02, 0x03};
	check_frame(out(r, "s", 6), mc, 8);
	assert_int_equal(tu_read_int(r, "q.drops"), 1);
	assert_string_equal(tu_read(r, "q.broadcast"), "10.0.0.255");
	assert_string_equal(tu_read(r, "q.ipaddr"), "10.0.0.1");
	assert_string_equal(tu_read(r, "q.stats"), "1 packets killed\n2 ARP queries sent\n");
	tu_sink_clear(r, "s");
	tu_sink_clear(r, "x");
	assert_int_equal(in_use(r), 1); /* the packet still saved for 10.0.0.3 */
	tu_router_free(r);             /* frees it */
}

static void test_arpquerier_handlers(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(AQ_CONF("10.0.0.1, 00:00:C0:AE:67:EF, BROADCAST 10.0.0.127"), NULL);
	assert_string_equal(tu_read(r, "q.broadcast"), "10.0.0.127");
	assert_int_equal(tu_write(r, "q.insert", "10.0.0.9 00:00:00:00:00:09", NULL), 0);
	assert_int_equal(tu_read_int(r, "q.count"), 1);
	static const uint8_t nine[6] = {0, 0, 0, 0, 0, 9};
	tu_push1(r, "q", 0, ip_to(r, "10.0.0.9", 1));
	check_frame(out(r, "s", 0), nine, 1);
	tu_push1(r, "q", 0, ip_to(r, "10.0.0.8", 2));
	check_query(out(r, "x", 0), BCAST, "10.0.0.8");
	/* insert releases nothing by itself; the next packet to the address does */
	assert_int_equal(tu_write(r, "q.insert", "10.0.0.8 00:00:00:00:00:08", NULL), 0);
	assert_int_equal(tu_read_int(r, "q.length"), 1);
	static const uint8_t eight[6] = {0, 0, 0, 0, 0, 8};
	tu_push1(r, "q", 0, ip_to(r, "10.0.0.8", 3));
	assert_int_equal(tu_sink_count(r, "s"), 3);
	check_frame(out(r, "s", 1), eight, 2);
	check_frame(out(r, "s", 2), eight, 3);
	/* delete forgets the address: the next packet waits and asks again */
	assert_int_equal(tu_write(r, "q.delete", "10.0.0.9", NULL), 0);
	tu_push1(r, "q", 0, ip_to(r, "10.0.0.9", 4));
	assert_int_equal(tu_sink_count(r, "s"), 3);
	check_query(out(r, "x", 1), BCAST, "10.0.0.9");
	assert_non_null(strstr(tu_read(r, "q.table"), "10.0.0.9 0 FF-FF-FF-FF-FF-FF"));
	/* clear: table, saved packets and counts */
	assert_int_equal(tu_write(r, "q.clear", "", NULL), 0);
	assert_int_equal(tu_read_int(r, "q.count"), 0);
	assert_int_equal(tu_read_int(r, "q.length"), 0);
	assert_int_equal(tu_read_int(r, "q.queries"), 0);
	assert_string_equal(tu_read(r, "q.table"), "");
	tu_push1(r, "q", 0, ip_to(r, "10.0.0.9", 5));
	assert_int_equal(tu_read_int(r, "q.count"), 1);
	assert_int_equal(tu_read_int(r, "q.queries"), 1);
	/* ipaddr 0.0.0.0: not configured, everything dropped */
	assert_int_equal(tu_write(r, "q.ipaddr", "0.0.0.0", NULL), 0);
	tu_push1(r, "q", 0, ip_to(r, "10.0.0.9", 6));
	assert_int_equal(tu_read_int(r, "q.drops"), 1);
	struct rt_err err;
	assert_true(tu_write(r, "q.insert", "10.0.0.7", &err) < 0);
	assert_true(tu_write(r, "q.insert", "10.0.0.7 zz", &err) < 0);
	assert_true(tu_write(r, "q.ipaddr", "ten", &err) < 0);
	tu_router_free(r);

	tu_expect_error("Idle -> q :: ARPQuerier(10.0.0.1) -> Idle; Idle -> [1]q q[1] -> Idle;",
			"test.click:1:9: q: missing mandatory argument 'ETH'");
	tu_expect_error("Idle -> q :: ARPQuerier(10.0.0.300, 0:0:0:0:0:1) -> Idle; Idle -> [1]q q[1] -> Idle;",
			"test.click:1:9: q: IP: expected IP address or prefix, not '10.0.0.300'");
	tu_expect_error("Idle -> q :: ARPQuerier(10.0.0.1, 0:0:0:0:0:1, CAPACITY lots) -> Idle; Idle -> [1]q q[1] -> Idle;",
			"test.click:1:9: q: CAPACITY: expected unsigned integer, not 'lots'");
}

/* With one output, queries share output 0 with the frames. */
static void test_arpquerier_one_output(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q :: ARPQuerier(10.0.0.1, 00:00:C0:AE:67:EF) -> s :: TestSink; Idle -> [1]q;",
					NULL);
	tu_push1(r, "q", 0, ip_to(r, "10.0.0.2", 1));
	check_query(out(r, "s", 0), BCAST, "10.0.0.2");
	tu_push1(r, "q", 1, arp_pkt(r, 2, GW_MAC, "10.0.0.2", MY_MAC, "10.0.0.1", 42));
	check_frame(out(r, "s", 1), GW_MAC, 1);
	tu_router_free(r);
}

static void test_arpquerier_capacity(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(AQ_CONF("10.0.0.1, 00:00:C0:AE:67:EF, CAPACITY 3, ENTRY_PACKET_CAPACITY 2, "
						"ENTRY_CAPACITY 2"),
					NULL);
	struct rte_mbuf *b[6] = {ip_to(r, "10.0.0.2", 1), ip_to(r, "10.0.0.2", 2), ip_to(r, "10.0.0.2", 3),
				 ip_to(r, "10.0.0.3", 4), ip_to(r, "10.0.0.4", 5), ip_to(r, "10.0.0.3", 6)};
	tu_push(r, "q", 0, b, 6);
	/* #3: entry holds 2; #5: only 2 addresses; #6: 3 packets in all */
	assert_int_equal(tu_read_int(r, "q.length"), 3);
	assert_int_equal(tu_read_int(r, "q.drops"), 3);
	assert_int_equal(tu_read_int(r, "q.count"), 2);
	tu_push1(r, "q", 1, arp_pkt(r, 2, GW_MAC, "10.0.0.3", MY_MAC, "10.0.0.1", 42));
	assert_int_equal(tu_sink_count(r, "s"), 1);
	check_frame(out(r, "s", 0), GW_MAC, 4);
	/* a reply for an address never asked for is ignored */
	tu_push1(r, "q", 1, arp_pkt(r, 2, GW_MAC, "10.0.0.77", MY_MAC, "10.0.0.1", 42));
	assert_int_equal(tu_read_int(r, "q.count"), 2);
	tu_router_free(r);
}

/* Let `ns` of monotonic time pass (the timers under test are that short). */
static void pass_time(uint64_t ns)
{
	uint64_t until = rt_now_ns() + ns;
	while (rt_now_ns() < until)
		sched_yield();
}

/* POLL_TIMEOUT re-asks a known address (unicast, or broadcast with
 * BROADCAST_POLL); TIMEOUT forgets it. */
static void test_arpquerier_timers(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(AQ_CONF("10.0.0.1, 00:00:C0:AE:67:EF, POLL_TIMEOUT 2ms") "\n"
					"Idle -> b :: ARPQuerier(10.0.0.1, 00:00:C0:AE:67:EF, POLL_TIMEOUT 2ms, BROADCAST_POLL true) "
					"-> bs :: TestSink; Idle -> [1]b; b[1] -> bx :: TestSink;\n"
					"Idle -> t :: ARPQuerier(10.0.0.1, 00:00:C0:AE:67:EF, TIMEOUT 2ms) -> ts :: TestSink;"
					"Idle -> [1]t; t[1] -> tx :: TestSink;",
					NULL);
	assert_int_equal(tu_write(r, "q.insert", "10.0.0.2 00:00:00:00:00:02", NULL), 0);
	assert_int_equal(tu_write(r, "b.insert", "10.0.0.2 00:00:00:00:00:02", NULL), 0);
	assert_int_equal(tu_write(r, "t.insert", "10.0.0.2 00:00:00:00:00:02", NULL), 0);
	tu_push1(r, "q", 0, ip_to(r, "10.0.0.2", 1));
	assert_int_equal(tu_sink_count(r, "x"), 0); /* fresh: no poll */
	pass_time(3000000);
	struct rte_mbuf *two[2] = {ip_to(r, "10.0.0.2", 2), ip_to(r, "10.0.0.2", 3)};
	tu_push(r, "q", 0, two, 2);
	assert_int_equal(tu_sink_count(r, "s"), 3); /* still sent while polling */
	assert_int_equal(tu_sink_count(r, "x"), 1); /* one poll, not one per packet */
	check_query(out(r, "x", 0), GW_MAC, "10.0.0.2");
	tu_push1(r, "b", 0, ip_to(r, "10.0.0.2", 4));
	assert_int_equal(tu_sink_count(r, "bx"), 1);
	check_query(out(r, "bx", 0), BCAST, "10.0.0.2");
	check_frame(out(r, "bs", 0), GW_MAC, 4);
	/* expired: saved and asked for again */
	tu_push1(r, "t", 0, ip_to(r, "10.0.0.2", 5));
	assert_int_equal(tu_sink_count(r, "ts"), 0);
	assert_int_equal(tu_sink_count(r, "tx"), 1);
	check_query(out(r, "tx", 0), BCAST, "10.0.0.2");
	assert_non_null(strstr(tu_read(r, "t.table"), "10.0.0.2 0 00-00-00-00-00-02"));
	tu_push1(r, "t", 1, arp_pkt(r, 2, GW_MAC, "10.0.0.2", MY_MAC, "10.0.0.1", 42));
	check_frame(out(r, "ts", 0), GW_MAC, 5);
	tu_router_free(r);
}

/* Round trip: ARPQuerier's queries answered by ARPResponder, fed back. */
static void test_arp_round_trip(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q :: ARPQuerier(10.0.0.1, 00:00:C0:AE:67:EF) -> s :: TestSink;\n"
					"q[1] -> ar :: ARPResponder(10.0.0.2 00:00:00:00:00:02) -> [1]q;\n"
					"ar[1] -> x :: TestSink;",
					NULL);
	struct rte_mbuf *b[40];
	for (int i = 0; i < 40; i++)
		b[i] = ip_to(r, "10.0.0.2", (uint8_t)i);
	tu_push(r, "q", 0, b, 40);
	assert_int_equal(tu_sink_count(r, "s"), 40);
	for (int i = 0; i < 40; i++)
		check_frame(out(r, "s", i), GW_MAC, (uint8_t)i);
	assert_int_equal(tu_read_int(r, "q.queries"), 1);
	assert_int_equal(tu_read_int(r, "q.responses"), 1);
	assert_int_equal(tu_read_int(r, "q.length"), 0);
	/* an address nobody answers: the query goes to ar's output 1 */
	tu_push1(r, "q", 0, ip_to(r, "10.0.0.3", 99));
	assert_int_equal(tu_sink_count(r, "x"), 1);
	check_query(out(r, "x", 0), BCAST, "10.0.0.3");
	assert_int_equal(tu_read_int(r, "q.length"), 1);
	/* no packet lost or leaked: only the saved one is still in use */
	tu_sink_clear(r, "s");
	tu_sink_clear(r, "x");
	assert_int_equal(in_use(r), 1);
	tu_router_free(r);
}

/* Two threads, as two workers: one pushes IP packets, the other answers.
 * In each epoch the replier answers 16 fresh addresses once each while the
 * pusher keeps sending to them; at the end of the epoch every address is
 * known, so a packet still saved would be stranded (the lookup/save race the
 * re-check closes).  Every packet must come out exactly once. */
struct race {
	struct rt_router *r;
	struct el_node *q;
	int a_epoch, b_epoch; /* epoch each thread has started / finished */
	int nsent;
};

#define RACE_EPOCHS 3000

static void race_addr(char *buf, size_t len, int epoch, int k)
{
	snprintf(buf, len, "10.%d.%d.%d", 2 + epoch / 250, epoch % 250, k + 1);
}

static void *race_replies(void *arg)
{
	struct race *rc = arg;
	rt_wid = 1;
	for (int e = 0; e < RACE_EPOCHS; e++) {
		while (__atomic_load_n(&rc->a_epoch, __ATOMIC_ACQUIRE) <= e)
			sched_yield();
		char ip[32];
		uint8_t mac[6] = {0, 0, 0, (uint8_t)(e >> 8), (uint8_t)e, 1};
		race_addr(ip, sizeof(ip), e, 0);
		struct rt_batch b;
		b.n = 1;
		b.pkts[0] = arp_pkt(rc->r, 2, mac, ip, MY_MAC, "10.0.0.1", 42);
		for (volatile int spin = 0; spin < (e * 7919) % 5000; spin++) /* land anywhere in a round */
			;
		rc->q->e->cls->push(rc->q, 1, &b);
		__atomic_store_n(&rc->b_epoch, e + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_arpquerier_threads(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q :: ARPQuerier(10.0.0.1, 00:00:C0:AE:67:EF, CAPACITY 0) -> d :: Discard;"
					"Idle -> [1]q; q[1] -> dq :: Discard;",
					NULL);
	struct race rc = {.r = r, .q = r->plan->nodes[rt_router_find(r, "q")->index]};
	/* EAL pinned this thread; let the replier run on any core, in parallel */
	pthread_attr_t attr;
	cpu_set_t all;
	CPU_ZERO(&all);
	for (long c = 0; c < sysconf(_SC_NPROCESSORS_ONLN) && c < CPU_SETSIZE; c++)
		CPU_SET((int)c, &all);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(all), &all);
	pthread_t t;
	assert_int_equal(pthread_create(&t, &attr, race_replies, &rc), 0);
	pthread_attr_destroy(&attr);
	int stranded = 0;
	for (int e = 0; e < RACE_EPOCHS; e++) {
		int round = 0;
		do {
			if (round > 0 && tu_read_int(r, "q.length") > 1024) { /* the replier may share our core */
				sched_yield();
				continue;
			}
			struct rt_batch b;
			b.n = 0;
			/* one packet a round: a packet saved in the race is the last one
			 * before the epoch ends, so nothing after it can release it */
			char ip[32];
			race_addr(ip, sizeof(ip), e, 0);
			b.pkts[b.n++] = ip_to(r, ip, (uint8_t)round);
			rt_wid = 0;
			rc.q->e->cls->push(rc.q, 0, &b);
			rc.nsent++;
			if (round++ == 0) /* the entries exist (replies nobody asked for are ignored) */
				__atomic_store_n(&rc.a_epoch, e + 1, __ATOMIC_RELEASE);
		} while (__atomic_load_n(&rc.b_epoch, __ATOMIC_ACQUIRE) <= e);
		/* every address of the epoch is known now: nothing may wait */
		stranded += (int)tu_read_int(r, "q.length");
	}
	pthread_join(t, NULL);
	rt_wid = 0;
	assert_int_equal(stranded, 0);
	assert_int_equal(tu_read_int(r, "q.drops"), 0);
	assert_int_equal(tu_read_int(r, "q.responses"), RACE_EPOCHS);
	assert_int_equal(tu_read_int(r, "d.count"), rc.nsent);
	assert_int_equal(tu_read_int(r, "dq.count"), tu_read_int(r, "q.queries"));
	assert_int_equal(tu_read_int(r, "q.count"), RACE_EPOCHS);
	assert_int_equal(in_use(r), 0);
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_etherencap),
		cmocka_unit_test(test_ethermirror_rewrite),
		cmocka_unit_test(test_hostetherfilter),
		cmocka_unit_test(test_arpresponder),
		cmocka_unit_test(test_arpquerier_resolve),
		cmocka_unit_test(test_arpquerier_handlers),
		cmocka_unit_test(test_arpquerier_one_output),
		cmocka_unit_test(test_arpquerier_capacity),
		cmocka_unit_test(test_arpquerier_timers),
		cmocka_unit_test(test_arp_round_trip),
		cmocka_unit_test(test_arpquerier_threads),
	};
	if (getenv("TEST_FILTER")) /* e.g. TEST_FILTER='test_arp*' */
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests_name("ethernet", tests, NULL, NULL);
}
