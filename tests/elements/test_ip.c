/*
 * test_ip.c - the IPv4 elements of elements/ip that rewrite or answer
 * packets: StoreIPAddress, GetIPAddress, SetIPAddress, FixIPSrc, MarkIPCE,
 * UDPIPEncap, IPEncap, ICMPError, IPFragmenter and IPGWOptions: batch
 * behaviour, arguments (with their errors) and handlers.
 */
#include <stdio.h>
#include <stdlib.h>

#include <rte_ip.h>

#include "ip_util.h"

/* ---- helpers ---------------------------------------------------------------- */

#define RT_AF_FIXIPSRC_TEST 0x02 /* elements/ip/ipmisc.h */

/* A packet from bytes, with the network header annotation at nh (-1: none). */
static struct rte_mbuf *mkp(struct rt_router *r, const uint8_t *buf, int len, int nh)
{
	struct rte_mbuf *m = tu_pkt(r, buf, (uint32_t)len);
	if (nh >= 0)
		rt_set_nh(m, (uint32_t)nh);
	return m;
}

/* An Ethernet + IPv4 + UDP frame with a patterned payload, network header
 * annotation at 14. */
static struct rte_mbuf *udp_pkt(struct rt_router *r, const char *src, const char *dst, int plen)
{
	uint8_t pay[2048], buf[2100];
	for (int i = 0; i < plen; i++)
		pay[i] = (uint8_t)(i * 7 + 3);
	int n = tu_build_udp(buf, src, dst, 1234, 5678, pay, plen);
	return mkp(r, buf, n, 14);
}

static uint8_t *pd(struct rte_mbuf *m) { return rte_pktmbuf_mtod(m, uint8_t *); }

static struct rte_ipv4_hdr *iph(struct rte_mbuf *m)
{
	return (struct rte_ipv4_hdr *)(pd(m) + (rt_has_nh(m) ? rt_nh_offset(m) : 0));
}

static int hl(const struct rte_ipv4_hdr *ip) { return (ip->version_ihl & 15) * 4; }

/* The IP header checksum verifies. */
static void assert_ipcsum(const struct rte_ipv4_hdr *ip)
{
	assert_int_equal(rte_raw_cksum(ip, (size_t)hl(ip)), 0xffff);
}

/* The UDP or TCP checksum verifies (transport header right after ip). */
static void assert_l4csum(const struct rte_ipv4_hdr *ip)
{
	const uint8_t *l4 = (const uint8_t *)ip + hl(ip);
	uint32_t len = rte_be_to_cpu_16(ip->total_length) - (uint32_t)hl(ip);
	uint32_t sum = rte_raw_cksum(l4, len) + (uint32_t)rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
}

/* ---- SetIPAddress / GetIPAddress ------------------------------------------ */

static void test_setipaddress(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("a :: SetIPAddress(10.1.2.3); Idle -> a -> s :: TestSink;", NULL);
	struct rte_mbuf *pk[3];
	for (int i = 0; i < 3; i++)
		pk[i] = udp_pkt(r, "1.1.1.1", "2.2.2.2", 10);
	tu_push(r, "a", 0, pk, 3);
	assert_int_equal(tu_sink_count(r, "s"), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rt_anno(tu_sink_pkt(r, "s", i))->dst_ip, ip4("10.1.2.3"));
	tu_router_free(r);

	r = tu_router("a :: SetIPAddress(ADDR 9.9.9.9, ANNO DST_IP); Idle -> a -> s :: TestSink;", NULL);
	tu_push1(r, "a", 0, udp_pkt(r, "1.1.1.1", "2.2.2.2", 10));
	assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 0))->dst_ip, ip4("9.9.9.9"));
	tu_router_free(r);

	tu_expect_error("a :: SetIPAddress(); Idle -> a -> Idle;", "test.click:1:1: a: missing mandatory argument 'ADDR'");
	tu_expect_error("a :: SetIPAddress(1.2.3); Idle -> a -> Idle;",
			"test.click:1:1: a: ADDR: expected IP address, not '1.2.3'");
	tu_expect_error("a :: SetIPAddress(1.2.3.4, ANNO PAINT); Idle -> a -> Idle;",
			"test.click:1:1: a: ANNO: only the destination IP annotation (DST_IP) is supported, not 'PAINT'");
}

static void test_getipaddress(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("g :: GetIPAddress(30); Idle -> g -> s :: TestSink;", NULL);
	struct rte_mbuf *pk[2] = {udp_pkt(r, "1.1.1.1", "192.168.5.6", 10), udp_pkt(r, "1.1.1.1", "172.16.0.9", 10)};
	tu_push(r, "g", 0, pk, 2);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 0))->dst_ip, ip4("192.168.5.6"));
	assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 1))->dst_ip, ip4("172.16.0.9"));
	/* too short: annotation kept */
	uint8_t small[20] = {0};
	struct rte_mbuf *m = mkp(r, small, 20, -1);
	rt_anno(m)->dst_ip = ip4("7.7.7.7");
	tu_push1(r, "g", 0, m);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 2))->dst_ip, ip4("7.7.7.7"));
	tu_router_free(r);

	/* IP src (keyword), from the network header annotation */
	r = tu_router("g :: GetIPAddress(IP src); Idle -> g -> s :: TestSink;", NULL);
	tu_push1(r, "g", 0, udp_pkt(r, "10.20.30.40", "192.168.5.6", 10));
	assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 0))->dst_ip, ip4("10.20.30.40"));
	tu_router_free(r);

	/* dst as OFFSET, on a packet that starts with its IP header (no annotation) */
	r = tu_router("g :: GetIPAddress(dst); Idle -> g -> s :: TestSink;", NULL);
	uint8_t buf[200];
	int n = tu_build_udp(buf, "1.2.3.4", "5.6.7.8", 1, 2, "x", 1);
	tu_push1(r, "g", 0, mkp(r, buf + 14, n - 14, -1));
	assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 0))->dst_ip, ip4("5.6.7.8"));
	tu_router_free(r);

	tu_expect_error("g :: GetIPAddress(foo); Idle -> g -> Idle;",
			"test.click:1:1: g: OFFSET: expected byte offset, 'src' or 'dst', not 'foo'");
	tu_expect_error("g :: GetIPAddress(IP both); Idle -> g -> Idle;", "test.click:1:1: g: IP: expected 'src' or 'dst', not 'both'");
	tu_expect_error("g :: GetIPAddress(); Idle -> g -> Idle;", "test.click:1:1: g: missing mandatory argument 'OFFSET'");
	tu_expect_error("g :: GetIPAddress(16, FOO 1); Idle -> g -> Idle;", "test.click:1:1: g: unknown argument 'FOO'");
}

/* ---- StoreIPAddress ---------------------------------------------------------- */

static void test_storeipaddress(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("a :: StoreIPAddress(30); Idle -> a -> s :: TestSink;", NULL);
	struct rte_mbuf *m1 = udp_pkt(r, "1.1.1.1", "2.2.2.2", 10), *m2 = udp_pkt(r, "1.1.1.1", "2.2.2.2", 10);
	rt_anno(m1)->dst_ip = ip4("10.0.0.9");
	rt_anno(m2)->dst_ip = 0; /* zero annotation: packet unchanged */
	struct rte_mbuf *pk[2] = {m1, m2};
	tu_push(r, "a", 0, pk, 2);
	assert_int_equal(iph(tu_sink_pkt(r, "s", 0))->dst_addr, ip4("10.0.0.9"));
	assert_int_equal(iph(tu_sink_pkt(r, "s", 1))->dst_addr, ip4("2.2.2.2"));
	/* no checksum patched in offset mode */
	assert_int_not_equal(rte_raw_cksum(iph(tu_sink_pkt(r, "s", 0)), 20), 0xffff);
	tu_router_free(r);

	/* two-argument form, address may be zero; short packets pass unchanged */
	r = tu_router("a :: StoreIPAddress(0.0.0.0, 26); Idle -> a -> s :: TestSink;", NULL);
	uint8_t small[28];
	memset(small, 0xee, sizeof(small));
	struct rte_mbuf *pk2[2] = {udp_pkt(r, "1.1.1.1", "2.2.2.2", 10), mkp(r, small, 28, -1)};
	tu_push(r, "a", 0, pk2, 2);
	assert_int_equal(iph(tu_sink_pkt(r, "s", 0))->src_addr, 0);
	assert_memory_equal(pd(tu_sink_pkt(r, "s", 1)), small, 28);
	tu_router_free(r);

	/* src / dst: IP header field with IP and transport checksums patched */
	r = tu_router("a :: StoreIPAddress(src); b :: StoreIPAddress(99.88.77.66, DST); Idle -> a -> b -> s :: TestSink;", NULL);
	uint8_t buf[200];
	int n = tu_build_tcp(buf, "1.1.1.1", "2.2.2.2", 80, 81, 0x10, 1000, "payload", 7);
	struct rte_mbuf *t = mkp(r, buf, n, 14), *u = udp_pkt(r, "1.1.1.1", "2.2.2.2", 33);
	rt_anno(t)->dst_ip = ip4("5.6.7.8");
	rt_anno(u)->dst_ip = ip4("50.60.70.80");
	struct rte_mbuf *pk3[2] = {t, u};
	tu_push(r, "a", 0, pk3, 2);
	for (int i = 0; i < 2; i++) {
		struct rte_ipv4_hdr *ip = iph(tu_sink_pkt(r, "s", i));
		assert_int_equal(ip->src_addr, ip4(i ? "50.60.70.80" : "5.6.7.8"));
		assert_int_equal(ip->dst_addr, ip4("99.88.77.66"));
		assert_ipcsum(ip);
		assert_l4csum(ip);
	}
	tu_router_free(r);

	tu_expect_error("a :: StoreIPAddress(1.2.3.4, 2, 3); Idle -> a -> Idle;", "test.click:1:1: a: expected [ADDR, ] OFFSET");
	tu_expect_error("a :: StoreIPAddress(x.y, 3); Idle -> a -> Idle;", "test.click:1:1: a: ADDR: expected IP address, not 'x.y'");
	tu_expect_error("a :: StoreIPAddress(middle); Idle -> a -> Idle;",
			"test.click:1:1: a: OFFSET: expected byte offset, 'src' or 'dst', not 'middle'");
}

/* ---- MarkIPCE ---------------------------------------------------------------- */

static void test_markipce(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("m :: MarkIPCE; Idle -> m -> s :: TestSink;", NULL);
	struct rte_mbuf *pk[4];
	const uint8_t tos[4] = {0x00, 0x02, 0x01 | 0xb8, 0x03};
	for (int i = 0; i < 4; i++) {
		pk[i] = udp_pkt(r, "1.1.1.1", "2.2.2.2", 20);
		struct rte_ipv4_hdr *ip = iph(pk[i]);
		ip->type_of_service = tos[i];
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	tu_push(r, "m", 0, pk, 4);
	assert_int_equal(tu_sink_count(r, "s"), 3);
	const uint8_t want[3] = {0x03, 0xbb, 0x03};
	for (int i = 0; i < 3; i++) {
		struct rte_ipv4_hdr *ip = iph(tu_sink_pkt(r, "s", i));
		assert_int_equal(ip->type_of_service, want[i]);
		assert_ipcsum(ip);
	}
	assert_int_equal(tu_read_int(r, "m.drops"), 1);
	tu_sink_clear(r, "s");
	assert_pool_full(r);
	tu_router_free(r);
	tu_expect_error("m :: MarkIPCE(1); Idle -> m -> Idle;", "test.click:1:1: m: MarkIPCE takes no arguments");
}

/* ---- FixIPSrc ----------------------------------------------------------------- */

static void test_fixipsrc(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("f :: FixIPSrc(192.0.2.1); Idle -> f -> s :: TestSink;", NULL);
	struct rte_mbuf *a = udp_pkt(r, "1.1.1.1", "2.2.2.2", 20), *b = udp_pkt(r, "1.1.1.1", "2.2.2.2", 20);
	rt_anno(a)->flags |= RT_AF_FIXIPSRC_TEST;
	struct rte_mbuf *pk[2] = {a, b};
	tu_push(r, "f", 0, pk, 2);
	struct rte_mbuf *x = tu_sink_pkt(r, "s", 0), *y = tu_sink_pkt(r, "s", 1);
	assert_int_equal(iph(x)->src_addr, ip4("192.0.2.1"));
	assert_ipcsum(iph(x));
	assert_int_equal(rt_anno(x)->flags & RT_AF_FIXIPSRC_TEST, 0);
	assert_int_equal(iph(y)->src_addr, ip4("1.1.1.1"));
	tu_router_free(r);
	tu_expect_error("f :: FixIPSrc; Idle -> f -> Idle;", "test.click:1:1: f: missing mandatory argument 'IPADDR'");
}

/* ---- UDPIPEncap / IPEncap ------------------------------------------------------ */

static void test_udpipencap(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("u :: UDPIPEncap(1.0.0.1, 1234, 2.0.0.2, 4321); Idle -> u -> s :: TestSink;", NULL);
	struct rte_mbuf *pk[2] = {tu_pkt(r, "hello", 5), tu_pkt(r, "worlds", 6)};
	tu_push(r, "u", 0, pk, 2);
	assert_int_equal(tu_sink_count(r, "s"), 2);
	uint16_t id0 = 0;
	for (int i = 0; i < 2; i++) {
		struct rte_mbuf *m = tu_sink_pkt(r, "s", i);
		assert_int_equal(rte_pktmbuf_data_len(m), 28 + 5 + i);
		assert_true(rt_has_nh(m));
		assert_int_equal(rt_nh_offset(m), 0);
		struct rte_ipv4_hdr *ip = iph(m);
		assert_int_equal(ip->version_ihl, 0x45);
		assert_int_equal(ip->time_to_live, 250);
		assert_int_equal(ip->next_proto_id, 17);
		assert_int_equal(rte_be_to_cpu_16(ip->total_length), 33 + i);
		assert_int_equal(ip->src_addr, ip4("1.0.0.1"));
		assert_int_equal(ip->dst_addr, ip4("2.0.0.2"));
		assert_int_equal(rt_anno(m)->dst_ip, ip4("2.0.0.2"));
		assert_ipcsum(ip);
		assert_l4csum(ip);
		const uint8_t *u = pd(m) + 20;
		assert_int_equal(u[0] << 8 | u[1], 1234);
		assert_int_equal(u[2] << 8 | u[3], 4321);
		assert_int_equal(u[4] << 8 | u[5], 13 + i);
		assert_memory_equal(u + 8, i ? "worlds" : "hello", 5 + (size_t)i);
		if (i == 0)
			id0 = rte_be_to_cpu_16(ip->packet_id);
		else
			assert_int_equal(rte_be_to_cpu_16(ip->packet_id), (uint16_t)(id0 + 1));
	}
	/* handlers */
	assert_string_equal(tu_read(r, "u.dst"), "2.0.0.2");
	assert_int_equal(tu_read_int(r, "u.sport"), 1234);
	write_ok(r, "u.sport", "9999");
	write_ok(r, "u.dst", "DST_ANNO");
	expect_write_error(r, "u.dport", "70000", "port 70000 too large");
	struct rte_mbuf *m = tu_pkt(r, "x", 1);
	rt_anno(m)->dst_ip = ip4("8.8.4.4");
	tu_push1(r, "u", 0, m);
	m = tu_sink_pkt(r, "s", 2);
	assert_int_equal(iph(m)->dst_addr, ip4("8.8.4.4"));
	assert_int_equal(pd(m)[20] << 8 | pd(m)[21], 9999);
	assert_l4csum(iph(m));
	assert_string_equal(tu_read(r, "u.dst"), "DST_ANNO");
	tu_router_free(r);

	/* CHECKSUM false; headroom exhausted: the packet moves to a new buffer */
	r = tu_router("u :: UDPIPEncap(1.0.0.1, 1, 2.0.0.2, 2, false); Idle -> u -> s :: TestSink;", NULL);
	m = tu_pkt(r, "abc", 3);
	m->data_off = 0; /* no headroom at all */
	memcpy(pd(m), "abc", 3);
	rt_anno(m)->seq = 77;
	tu_push1(r, "u", 0, m);
	m = tu_sink_pkt(r, "s", 0);
	assert_int_equal(rte_pktmbuf_data_len(m), 31);
	assert_int_equal(pd(m)[26] | pd(m)[27], 0);
	assert_memory_equal(pd(m) + 28, "abc", 3);
	assert_int_equal(rt_anno(m)->seq, 77);
	tu_sink_clear(r, "s");
	assert_pool_full(r);
	tu_router_free(r);

	/* DST_ANNO in the configuration, with and without CHECKSUM after it */
	r = tu_router("u :: UDPIPEncap(1.0.0.1, 1, DST_ANNO, 7); v :: UDPIPEncap(1.0.0.1, 1, DST_ANNO, 8, false); "
		      "Idle -> u -> v -> s :: TestSink;", NULL);
	m = tu_pkt(r, "abc", 3);
	rt_anno(m)->dst_ip = ip4("6.6.6.6");
	tu_push1(r, "u", 0, m);
	m = tu_sink_pkt(r, "s", 0);
	assert_int_equal(iph(m)->dst_addr, ip4("6.6.6.6"));
	assert_int_equal(pd(m)[22] << 8 | pd(m)[23], 8);
	assert_int_equal(pd(m)[26] | pd(m)[27], 0);	  /* v: no checksum */
	assert_int_equal(pd(m)[28 + 22] << 8 | pd(m)[28 + 23], 7); /* u's header inside */
	assert_string_equal(tu_read(r, "v.dst"), "DST_ANNO");
	assert_int_equal(tu_read_int(r, "v.dport"), 8);
	tu_router_free(r);

	tu_expect_error("u :: UDPIPEncap(1.0.0.1, 70000, 2.0.0.2, 1); Idle -> u -> Idle;",
			"test.click:1:1: u: SPORT: port 70000 too large");
	tu_expect_error("u :: UDPIPEncap(1.0.0.1, 1, nowhere, 1); Idle -> u -> Idle;",
			"test.click:1:1: u: DST: expected IP address, not 'nowhere'");
	tu_expect_error("u :: UDPIPEncap(1.0.0.1, 1, 2.0.0.2); Idle -> u -> Idle;",
			"test.click:1:1: u: missing mandatory argument 'DPORT'");
}

static void test_ipencap(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("e :: IPEncap(ipip, 1.1.1.1, 2.2.2.2, TTL 64, DSCP 10, ECT 2, DF true); "
					"Idle -> e -> s :: TestSink;", NULL);
	struct rte_mbuf *inner = udp_pkt(r, "10.0.0.1", "10.0.0.2", 50);
	rte_pktmbuf_adj(inner, 14);
	rt_set_nh(inner, 0);
	uint8_t copy[200];
	int ilen = (int)rte_pktmbuf_data_len(inner);
	memcpy(copy, pd(inner), (size_t)ilen);
	struct rte_mbuf *pk[2] = {inner, tu_pkt(r, "zz", 2)};
	tu_push(r, "e", 0, pk, 2);
	struct rte_mbuf *m = tu_sink_pkt(r, "s", 0);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)pd(m);
	assert_int_equal(rt_nh_offset(m), 0);
	assert_int_equal(ip->next_proto_id, 4);
	assert_int_equal(ip->time_to_live, 64);
	assert_int_equal(ip->type_of_service, 10 << 2 | 2);
	assert_int_equal(rte_be_to_cpu_16(ip->fragment_offset), RTE_IPV4_HDR_DF_FLAG);
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), 20 + ilen);
	assert_int_equal(rt_anno(m)->dst_ip, ip4("2.2.2.2"));
	assert_ipcsum(ip);
	assert_memory_equal(pd(m) + 20, copy, (size_t)ilen);
	uint16_t id0 = rte_be_to_cpu_16(ip->packet_id);
	assert_int_equal(rte_be_to_cpu_16(iph(tu_sink_pkt(r, "s", 1))->packet_id), (uint16_t)(id0 + 1));
	write_ok(r, "e.src", "3.3.3.3");
	assert_string_equal(tu_read(r, "e.src"), "3.3.3.3");
	tu_push1(r, "e", 0, tu_pkt(r, "q", 1));
	assert_int_equal(iph(tu_sink_pkt(r, "s", 2))->src_addr, ip4("3.3.3.3"));
	assert_ipcsum(iph(tu_sink_pkt(r, "s", 2)));
	expect_write_error(r, "e.dst", "1.2", "expected IP address, not '1.2'");
	tu_router_free(r);

	/* defaults, numeric protocol, TOS, DST_ANNO */
	r = tu_router("e :: IPEncap(47, 1.1.1.1, DST_ANNO, TOS 0xb8); Idle -> e -> s :: TestSink;", NULL);
	m = tu_pkt(r, "gre", 3);
	rt_anno(m)->dst_ip = ip4("4.3.2.1");
	tu_push1(r, "e", 0, m);
	ip = iph(tu_sink_pkt(r, "s", 0));
	assert_int_equal(ip->next_proto_id, 47);
	assert_int_equal(ip->time_to_live, 250);
	assert_int_equal(ip->type_of_service, 0xb8);
	assert_int_equal(ip->fragment_offset, 0);
	assert_int_equal(ip->dst_addr, ip4("4.3.2.1"));
	tu_router_free(r);

	tu_expect_error("e :: IPEncap(4, 1.1.1.1, 2.2.2.2, TOS 3, DSCP 1); Idle -> e -> Idle;",
			"test.click:1:1: e: TOS: cannot be given with DSCP, ECT or CE");
	tu_expect_error("e :: IPEncap(ipx, 1.1.1.1, 2.2.2.2); Idle -> e -> Idle;",
			"test.click:1:1: e: PROTO: expected IP protocol, not 'ipx'");
	tu_expect_error("e :: IPEncap(4, 1.1.1.1, 2.2.2.2, DSCP 64); Idle -> e -> Idle;", "test.click:1:1: e: DSCP: must be 0 to 63");
	tu_expect_error("e :: IPEncap(4, 1.1.1.1, 2.2.2.2, ECT maybe); Idle -> e -> Idle;",
			"test.click:1:1: e: ECT: expected boolean or '2', not 'maybe'");
}

/* ---- ICMPError ------------------------------------------------------------------ */

static void test_icmperror(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("e :: ICMPError(18.26.4.24, timeexceeded, transit); Idle -> e -> s :: TestSink;", NULL);
	struct rte_mbuf *m = udp_pkt(r, "10.0.0.1", "10.0.0.2", 100);
	uint8_t orig[200];
	memcpy(orig, pd(m) + 14, 128);
	tu_push1(r, "e", 0, m);
	assert_int_equal(tu_sink_count(r, "s"), 1);
	struct rte_mbuf *q = tu_sink_pkt(r, "s", 0);
	assert_int_equal(rte_pktmbuf_data_len(q), 20 + 8 + 128);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)pd(q);
	assert_int_equal(ip->version_ihl, 0x45);
	assert_int_equal(ip->next_proto_id, 1);
	assert_int_equal(ip->time_to_live, 200);
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), 156);
	assert_int_equal(ip->src_addr, ip4("18.26.4.24"));
	assert_int_equal(ip->dst_addr, ip4("10.0.0.1"));
	assert_ipcsum(ip);
	const uint8_t *icmp = pd(q) + 20;
	assert_int_equal(icmp[0], 11);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(rte_raw_cksum(icmp, 8 + 128), 0xffff);
	assert_memory_equal(icmp + 4, "\0\0\0\0", 4);
	assert_memory_equal(icmp + 8, orig, 128); /* quoted IP header and payload */
	assert_int_equal(rt_anno(q)->dst_ip, ip4("10.0.0.1"));
	assert_true(rt_anno(q)->flags & RT_AF_FIXIPSRC_TEST);
	assert_int_equal(rt_nh_offset(q), 0);

	/* no errors: ICMP errors, broadcast/multicast destinations, bad sources,
	 * later fragments, link broadcasts */
	tu_sink_clear(r, "s");
	uint8_t buf[300];
	struct rte_mbuf *pk[8];
	int n = tu_build_icmp_echo(buf, "10.0.0.1", "10.0.0.2", 1, 1);
	buf[34] = 3; /* now a destination unreachable */
	pk[0] = mkp(r, buf, n, 14);
	pk[1] = udp_pkt(r, "10.0.0.1", "255.255.255.255", 8);
	pk[2] = udp_pkt(r, "10.0.0.1", "224.0.0.5", 8);
	pk[3] = udp_pkt(r, "127.0.0.1", "10.0.0.2", 8);
	pk[4] = udp_pkt(r, "0.1.2.3", "10.0.0.2", 8);
	pk[5] = udp_pkt(r, "10.0.0.1", "10.0.0.2", 8);
	iph(pk[5])->fragment_offset = rte_cpu_to_be_16(3);
	tu_ip_csum((uint8_t *)iph(pk[5]));
	pk[6] = udp_pkt(r, "10.0.0.1", "10.0.0.2", 8);
	memset(pd(pk[6]), 0xff, 6); /* Ethernet broadcast */
	n = tu_build_icmp_echo(buf, "10.0.0.7", "10.0.0.2", 1, 1);
	pk[7] = mkp(r, buf, n, 14); /* an echo request does get an error */
	tu_push(r, "e", 0, pk, 8);
	assert_int_equal(tu_sink_count(r, "s"), 1);
	assert_int_equal(iph(tu_sink_pkt(r, "s", 0))->dst_addr, ip4("10.0.0.7"));
	tu_sink_clear(r, "s");
	assert_pool_full(r);
	tu_router_free(r);

	/* MTU cuts the quote; needfrag carries PMTU; no Fix IP Source annotation */
	r = tu_router("e :: ICMPError(1.2.3.4, unreachable, needfrag, MTU 56, PMTU 1400, SET_FIX_ANNO false); "
		      "Idle -> e -> s :: TestSink;", NULL);
	m = udp_pkt(r, "10.0.0.1", "10.0.0.2", 100);
	memcpy(orig, pd(m) + 14, 28);
	tu_push1(r, "e", 0, m);
	q = tu_sink_pkt(r, "s", 0);
	assert_int_equal(rte_pktmbuf_data_len(q), 56);
	icmp = pd(q) + 20;
	assert_int_equal(icmp[0], 3);
	assert_int_equal(icmp[1], 4);
	assert_int_equal(icmp[6] << 8 | icmp[7], 1400);
	assert_memory_equal(icmp + 8, orig, 28);
	assert_int_equal(rte_raw_cksum(icmp, 36), 0xffff);
	assert_int_equal(rt_anno(q)->flags & RT_AF_FIXIPSRC_TEST, 0);
	tu_router_free(r);

	/* redirect: gateway from the destination annotation; not for source-routed packets */
	r = tu_router("e :: ICMPError(1.2.3.4, redirect, host); Idle -> e -> s :: TestSink;", NULL);
	m = udp_pkt(r, "10.0.0.1", "10.0.0.2", 10);
	rt_anno(m)->dst_ip = ip4("10.0.0.254");
	tu_push1(r, "e", 0, m);
	q = tu_sink_pkt(r, "s", 0);
	icmp = pd(q) + 20;
	assert_int_equal(icmp[0], 5);
	assert_int_equal(icmp[1], 1);
	assert_memory_equal(icmp + 4, "\x0a\x00\x00\xfe", 4);
	tu_router_free(r);

	/* source-routed packet: the error carries the recorded route reversed */
	r = tu_router("e :: ICMPError(1.2.3.4, 3, 1); Idle -> e -> s :: TestSink;", NULL);
	uint8_t sr[300];
	memcpy(sr, (uint8_t[]){0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 8, 0}, 14);
	uint8_t *sip = sr + 14;
	memset(sip, 0, 32);
	sip[0] = 0x48; /* 32-byte header: 12 bytes of options */
	sip[2] = 0, sip[3] = 40;
	sip[8] = 64, sip[9] = 17;
	memcpy(sip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	/* LSRR, len 11, pointer 12: two addresses recorded (A, B), one to go */
	memcpy(sip + 20, "\x83\x0b\x0c\x01\x01\x01\x01\x02\x02\x02\x02\x03\x03\x03\x03\x00", 12);
	sip[31] = 0;
	memset(sip + 32, 0x5a, 8);
	tu_ip_csum(sip);
	tu_push1(r, "e", 0, mkp(r, sr, 14 + 40, 14));
	q = tu_sink_pkt(r, "s", 0);
	ip = (struct rte_ipv4_hdr *)pd(q);
	assert_int_equal(hl(ip), 32);
	assert_memory_equal(pd(q) + 20, "\x83\x0b\x04\x02\x02\x02\x02\x01\x01\x01\x01\x00", 12);
	assert_ipcsum(ip);
	assert_int_equal(pd(q)[32], 3);
	assert_memory_equal(pd(q) + 40, sip, 40);
	tu_router_free(r);

	tu_expect_error("e :: ICMPError(1.2.3.4, 8); Idle -> e -> Idle;", "test.click:1:1: e: TYPE: ICMP type 8 is not an error type");
	tu_expect_error("e :: ICMPError(1.2.3.4, echo); Idle -> e -> Idle;", "test.click:1:1: e: TYPE: expected ICMP type, not 'echo'");
	tu_expect_error("e :: ICMPError(1.2.3.4, unreachable, transit); Idle -> e -> Idle;",
			"test.click:1:1: e: CODE: expected ICMP code for type 3, not 'transit'");
	tu_expect_error("e :: ICMPError(1.2.3.4, 3, BADADDRS 1.2.3.4 x); Idle -> e -> Idle;",
			"test.click:1:1: e: BADADDRS: expected IP address, not 'x'");
}

/* ---- IPGWOptions (and the parameter problem pointer) ------------------------------ */

/* An Ethernet + IPv4 frame with the given options (olen a multiple of 4). */
static struct rte_mbuf *opt_pkt(struct rt_router *r, const uint8_t *opts, int olen)
{
	uint8_t buf[200];
	memcpy(buf, (uint8_t[]){0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 8, 0}, 14);
	uint8_t *ip = buf + 14;
	int hlen = 20 + olen;
	memset(ip, 0, (size_t)hlen);
	ip[0] = (uint8_t)(0x40 | hlen / 4);
	ip[3] = (uint8_t)(hlen + 8);
	ip[8] = 64, ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	memcpy(ip + 20, opts, (size_t)olen);
	memset(ip + hlen, 0x77, 8);
	tu_ip_csum(ip);
	return mkp(r, buf, 14 + hlen + 8, 14);
}

static void test_ipgwoptions(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("o :: IPGWOptions(10.9.9.9, 10.8.8.8 10.7.7.7); Idle -> o -> s0 :: TestSink; "
					"o[1] -> e :: ICMPError(10.9.9.9, parameterproblem) -> s1 :: TestSink;", NULL);
	/* RR with room for two addresses; TS (timestamps only); TS prespecified for 10.7.7.7 */
	static const uint8_t rr[12] = {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t ts[12] = {68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t ts3[12] = {68, 12, 5, 3, 10, 7, 7, 7, 0, 0, 0, 0};
	static const uint8_t full_ts[8] = {68, 8, 9, 0x10, 1, 2, 3, 4}; /* full: overflow 1 -> 2 */
	static const uint8_t bad_rr[4] = {7, 3, 2, 0};			  /* pointer < 4 */
	static const uint8_t bad_len[4] = {130, 9, 0, 0};		  /* length runs past the header */
	struct rte_mbuf *pk[7] = {opt_pkt(r, rr, 12),	opt_pkt(r, ts, 12),	   opt_pkt(r, ts3, 12), opt_pkt(r, full_ts, 8),
				  opt_pkt(r, bad_rr, 4), opt_pkt(r, bad_len, 4), udp_pkt(r, "1.1.1.1", "2.2.2.2", 5)};
	tu_push(r, "o", 0, pk, 7);
	assert_int_equal(tu_sink_count(r, "s0"), 5);
	assert_int_equal(tu_sink_count(r, "s1"), 2);
	assert_int_equal(tu_read_int(r, "o.drops"), 2);
	uint8_t *o = (uint8_t *)iph(tu_sink_pkt(r, "s0", 0)) + 20;
	assert_memory_equal(o, "\x07\x0b\x08\x0a\x09\x09\x09\x00\x00\x00\x00\x01", 12);
	assert_ipcsum(iph(tu_sink_pkt(r, "s0", 0)));
	o = (uint8_t *)iph(tu_sink_pkt(r, "s0", 1)) + 20;
	assert_int_equal(o[2], 9);
	uint32_t t;
	memcpy(&t, o + 4, 4);
	assert_true(ntohl(t) < 86400000u);
	assert_ipcsum(iph(tu_sink_pkt(r, "s0", 1)));
	o = (uint8_t *)iph(tu_sink_pkt(r, "s0", 2)) + 20;
	assert_int_equal(o[2], 13);
	o = (uint8_t *)iph(tu_sink_pkt(r, "s0", 3)) + 20;
	assert_int_equal(o[3], 0x20);
	assert_ipcsum(iph(tu_sink_pkt(r, "s0", 3)));
	/* parameter problem pointers: RR pointer byte (22), the bad length (21) */
	const uint8_t *icmp = pd(tu_sink_pkt(r, "s1", 0)) + 20;
	assert_int_equal(icmp[0], 12);
	assert_int_equal(icmp[4], 22);
	assert_int_equal(rte_raw_cksum(icmp, rte_pktmbuf_data_len(tu_sink_pkt(r, "s1", 0)) - 20), 0xffff);
	assert_int_equal(pd(tu_sink_pkt(r, "s1", 1))[24], 21);
	write_ok(r, "o.reset_counts", "");
	assert_int_equal(tu_read_int(r, "o.drops"), 0);
	tu_router_free(r);

	/* without output 1 bad packets are dropped */
	r = tu_router("o :: IPGWOptions(10.9.9.9); Idle -> o -> s0 :: TestSink;", NULL);
	tu_push1(r, "o", 0, opt_pkt(r, bad_rr, 4));
	assert_int_equal(tu_sink_count(r, "s0"), 0);
	assert_int_equal(tu_read_int(r, "o.drops"), 1);
	assert_pool_full(r);
	tu_router_free(r);

	tu_expect_error("o :: IPGWOptions(10.9.9.9, 1.2.3.4 nope); Idle -> o -> Idle;",
			"test.click:1:1: o: OTHERADDRS: expected IP address, not 'nope'");
	tu_expect_error("o :: IPGWOptions; Idle -> o -> Idle;", "test.click:1:1: o: missing mandatory argument 'MYADDR'");
}

/* ---- IPFragmenter ---------------------------------------------------------------- */

/* Check the fragments f[0..n) of the IP datagram orig (len bytes) and
 * reassemble them: each is valid, at most mtu bytes, and together they
 * cover the payload exactly. */
static void check_reassembly(struct rte_mbuf **f, int n, const uint8_t *orig, int len, int mtu)
{
	const struct rte_ipv4_hdr *oip = (const void *)orig;
	int ohl = hl(oip), plen = len - ohl;
	uint8_t got[4096];
	uint8_t seen[4096] = {0};
	bool last_seen = false;
	for (int i = 0; i < n; i++) {
		const struct rte_ipv4_hdr *ip = iph(f[i]);
		int fhl = hl(ip), flen = rte_be_to_cpu_16(ip->total_length);
		assert_true(flen <= mtu);
		assert_int_equal(rte_pktmbuf_data_len(f[i]) - (rt_has_nh(f[i]) ? rt_nh_offset(f[i]) : 0), flen);
		assert_ipcsum(ip);
		assert_int_equal(ip->packet_id, oip->packet_id);
		assert_int_equal(ip->src_addr, oip->src_addr);
		assert_int_equal(ip->next_proto_id, oip->next_proto_id);
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
		int off = (fo & 0x1fff) * 8;
		bool mf = fo & RTE_IPV4_HDR_MF_FLAG;
		if (i == 0)
			assert_int_equal(off, 0);
		if (mf)
			assert_int_equal((flen - fhl) % 8, 0);
		else
			last_seen = true, assert_int_equal(off + flen - fhl, plen);
		for (int k = 0; k < flen - fhl; k++) {
			assert_false(seen[off + k]);
			seen[off + k] = 1;
			got[off + k] = ((const uint8_t *)ip)[fhl + k];
		}
	}
	assert_true(last_seen);
	for (int k = 0; k < plen; k++)
		assert_true(seen[k]);
	assert_memory_equal(got, orig + ohl, (size_t)plen);
}

static void test_ipfragmenter(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("f :: IPFragmenter(576); Idle -> f -> s0 :: TestSink; f[1] -> s1 :: TestSink;", NULL);
	/* 3 packets: small, large (1428-byte datagram), large with DF */
	struct rte_mbuf *pk[3] = {udp_pkt(r, "1.1.1.1", "2.2.2.2", 100), udp_pkt(r, "1.1.1.1", "2.2.2.2", 1400),
				  udp_pkt(r, "1.1.1.1", "2.2.2.2", 1400)};
	uint8_t orig[1500], eth[14];
	memcpy(orig, pd(pk[1]) + 14, 1428);
	memcpy(eth, pd(pk[1]), 14);
	iph(pk[1])->packet_id = rte_cpu_to_be_16(0x4242);
	tu_ip_csum((uint8_t *)iph(pk[1]));
	memcpy(orig, pd(pk[1]) + 14, 1428);
	iph(pk[2])->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	tu_ip_csum((uint8_t *)iph(pk[2]));
	tu_push(r, "f", 0, pk, 3);
	/* small one, then ceil(1408 / 552) = 3 fragments */
	assert_int_equal(tu_sink_count(r, "s0"), 4);
	assert_int_equal(rte_pktmbuf_data_len(tu_sink_pkt(r, "s0", 0)), 14 + 128);
	struct rte_mbuf *fr[3] = {tu_sink_pkt(r, "s0", 1), tu_sink_pkt(r, "s0", 2), tu_sink_pkt(r, "s0", 3)};
	check_reassembly(fr, 3, orig, 1428, 576);
	assert_memory_equal(pd(fr[0]), eth, 14); /* the first keeps its link header */
	assert_int_equal(rt_nh_offset(fr[0]), 14);
	assert_int_equal(rt_nh_offset(fr[1]), 0);
	assert_int_equal(tu_sink_count(r, "s1"), 1);
	assert_int_equal(tu_read_int(r, "f.fragments"), 3);
	assert_int_equal(tu_read_int(r, "f.drops"), 1);
	write_ok(r, "f.reset_counts", "");
	assert_int_equal(tu_read_int(r, "f.fragments"), 0);
	tu_sink_clear(r, "s0");
	tu_sink_clear(r, "s1");

	/* link padding past the IP length does not count */
	struct rte_mbuf *padded = udp_pkt(r, "1.1.1.1", "2.2.2.2", 500);
	memset(rte_pktmbuf_append(padded, 100), 0, 100);
	tu_push1(r, "f", 0, padded);
	assert_int_equal(tu_sink_count(r, "s0"), 1);
	assert_int_equal(rte_pktmbuf_data_len(tu_sink_pkt(r, "s0", 0)), 14 + 528 + 100);
	tu_sink_clear(r, "s0");

	/* a batch of 40 large packets: 120 fragments, in order, over several output batches */
	struct rte_mbuf *many[40];
	for (int i = 0; i < 40; i++) {
		many[i] = udp_pkt(r, "1.1.1.1", "2.2.2.2", 1200 + i);
		iph(many[i])->packet_id = rte_cpu_to_be_16((uint16_t)i);
		tu_ip_csum((uint8_t *)iph(many[i]));
	}
	tu_push(r, "f", 0, many, 40);
	assert_int_equal(tu_sink_count(r, "s0"), 120);
	for (int i = 0; i < 120; i++)
		assert_int_equal(rte_be_to_cpu_16(iph(tu_sink_pkt(r, "s0", i))->packet_id), i / 3);
	tu_sink_clear(r, "s0");
	assert_pool_full(r);
	tu_router_free(r);

	/* options: all in the first fragment, only the copied ones later; DF ignored */
	r = tu_router("f :: IPFragmenter(100, HONOR_DF false); Idle -> f -> s0 :: TestSink;", NULL);
	uint8_t buf[400];
	memcpy(buf, (uint8_t[]){0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 8, 0}, 14);
	uint8_t *ip = buf + 14;
	memset(ip, 0, 32);
	ip[0] = 0x48;
	ip[2] = 1, ip[3] = 32; /* 288 bytes */
	ip[6] = 0x40;	       /* DF */
	ip[8] = 64, ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	/* RR (not copied, 7 bytes), NOP, LSRR (copied, 3 bytes), EOL */
	memcpy(ip + 20, "\x07\x07\x04\x00\x00\x00\x00\x01\x83\x03\x04\x00", 12);
	for (int i = 32; i < 288; i++)
		ip[i] = (uint8_t)i;
	tu_ip_csum(ip);
	uint8_t o2[400];
	memcpy(o2, ip, 288);
	struct rte_mbuf *m = mkp(r, buf, 14 + 288, 14);
	tu_push1(r, "f", 0, m);
	int nf = tu_sink_count(r, "s0");
	/* first: 32 + 64; others: 24 + 72 at most */
	assert_int_equal(nf, 1 + (256 - 64 + 71) / 72);
	struct rte_mbuf *fv[8];
	for (int i = 0; i < nf; i++)
		fv[i] = tu_sink_pkt(r, "s0", i);
	assert_int_equal(hl(iph(fv[0])), 32);
	assert_memory_equal((uint8_t *)iph(fv[0]) + 20, o2 + 20, 12);
	for (int i = 1; i < nf; i++) {
		assert_int_equal(hl(iph(fv[i])), 24);
		assert_memory_equal((uint8_t *)iph(fv[i]) + 20, "\x83\x03\x04\x00", 4);
		assert_int_equal(rte_be_to_cpu_16(iph(fv[i])->fragment_offset) & RTE_IPV4_HDR_DF_FLAG, 0);
	}
	/* the ID changed (DF was cleared), so compare against that */
	memcpy(o2 + 4, &iph(fv[0])->packet_id, 2);
	check_reassembly(fv, nf, o2, 288, 100);
	tu_router_free(r);

	/* no output 1: DF packets are dropped and counted */
	r = tu_router("f :: IPFragmenter(500); Idle -> f -> s0 :: TestSink;", NULL);
	m = udp_pkt(r, "1.1.1.1", "2.2.2.2", 800);
	iph(m)->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	tu_push1(r, "f", 0, m);
	assert_int_equal(tu_sink_count(r, "s0"), 0);
	assert_int_equal(tu_read_int(r, "f.drops"), 1);
	assert_pool_full(r);
	tu_router_free(r);

	tu_expect_error("f :: IPFragmenter(4); Idle -> f -> Idle;", "test.click:1:1: f: MTU: must be at least 8");
	tu_expect_error("f :: IPFragmenter(); Idle -> f -> Idle;", "test.click:1:1: f: missing mandatory argument 'MTU'");
	tu_expect_error("f :: IPFragmenter(1500, HONOR_DF perhaps); Idle -> f -> Idle;",
			"test.click:1:1: f: HONOR_DF: expected boolean, not 'perhaps'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setipaddress),
		cmocka_unit_test(test_getipaddress),
		cmocka_unit_test(test_storeipaddress),
		cmocka_unit_test(test_markipce),
		cmocka_unit_test(test_fixipsrc),
		cmocka_unit_test(test_udpipencap),
		cmocka_unit_test(test_ipencap),
		cmocka_unit_test(test_icmperror),
		cmocka_unit_test(test_ipgwoptions),
		cmocka_unit_test(test_ipfragmenter),
	};
	return cmocka_run_group_tests_name("ip", tests, NULL, NULL);
}
