/*
 * test_iphdr.c - the basic IPv4 header elements: CheckIPHeader(2),
 * MarkIPHeader, Strip/UnstripIPHeader, Set{IP,UDP,TCP}Checksum, DecIPTTL
 * and IPPrint: batches, malformed packets, arguments and handlers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_ip.h>

#include "eth_util.h"

/* ---- CheckIPHeader ------------------------------------------------------------------ */

/* A UDP frame with the IP header edited by fn (checksum fixed after unless
 * keep_sum). */
static struct rte_mbuf *ip_frame(struct rt_router *r, void (*fn)(uint8_t *ip, uint32_t *len), bool keep_sum)
{
	uint8_t b[256];
	uint32_t len = (uint32_t)tu_build_udp(b, "10.0.0.1", "10.0.0.2", 1234, 80, "hello", 5);
	if (fn)
		fn(b + 14, &len);
	if (!keep_sum)
		tu_ip_csum(b + 14);
	return tu_pkt(r, b, len);
}

static void e_truncate(uint8_t *ip, uint32_t *len) { (void)ip, *len = 14 + 19; }
static void e_version(uint8_t *ip, uint32_t *len) { (void)len, ip[0] = 0x65; }
static void e_ihl4(uint8_t *ip, uint32_t *len) { (void)len, ip[0] = 0x44; }
static void e_short_tl(uint8_t *ip, uint32_t *len) { (void)len, ip[2] = 0, ip[3] = 19; }
static void e_long_tl(uint8_t *ip, uint32_t *len) { (void)len, ip[2] = 0, ip[3] = 200; }
static void e_badsum(uint8_t *ip, uint32_t *len) { (void)len, ip[10] ^= 0x55; }
static void e_ihl_beyond(uint8_t *ip, uint32_t *len) { (void)len, ip[0] = 0x4f; } /* 60 > total length 33 */
static void e_pad(uint8_t *ip, uint32_t *len) { (void)ip, memset(ip + 33, 0xee, 13), *len += 13; }

/* IHL 6: a 4-byte option (NOP x3 + EOL) between header and UDP. */
static void e_options(uint8_t *ip, uint32_t *len)
{
	memmove(ip + 24, ip + 20, 13);
	ip[20] = 1, ip[21] = 1, ip[22] = 1, ip[23] = 0;
	ip[0] = 0x46;
	ip[3] += 4;
	*len += 4;
}

static void test_checkipheader_malformed(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> c :: CheckIPHeader(14, DETAILS true) -> s :: TestSink; c[1] -> x :: TestSink;",
					NULL);
	struct rte_mbuf *b[10] = {
		ip_frame(r, NULL, false),        ip_frame(r, e_truncate, true), ip_frame(r, e_version, false),
		ip_frame(r, e_ihl4, false),      ip_frame(r, e_short_tl, false), ip_frame(r, e_long_tl, false),
		ip_frame(r, e_badsum, true),     ip_frame(r, e_ihl_beyond, false), ip_frame(r, e_options, false),
		ip_frame(r, e_pad, false),
	};
	uint8_t ten[10] = {0};
	struct rte_mbuf *tiny = tu_pkt(r, ten, 10); /* shorter than OFFSET itself */
	tu_push(r, "c", 0, b, 10);
	tu_push1(r, "c", 0, tiny);
	assert_int_equal(tu_sink_count(r, "s"), 3);
	assert_int_equal(tu_sink_count(r, "x"), 8);
	assert_ptr_equal(out(r, "s", 0), b[0]);
	assert_ptr_equal(out(r, "s", 1), b[8]);
	assert_ptr_equal(out(r, "s", 2), b[9]);
	for (int i = 0; i < 3; i++) {
		struct rte_mbuf *m = out(r, "s", i);
		assert_true(rt_has_nh(m));
		assert_int_equal(rt_nh_offset(m), 14);
		assert_int_equal(rt_anno(m)->dst_ip, ip4("10.0.0.2"));
	}
	assert_int_equal(rt_len(out(r, "s", 1)), 14 + 37); /* options kept */
	assert_int_equal(rt_len(out(r, "s", 2)), 14 + 33); /* padding trimmed */
	assert_false(rt_has_nh(out(r, "x", 0)));
	assert_int_equal(tu_read_int(r, "c.drops"), 8);
	assert_string_equal(tu_read(r, "c.drop_details"), "2\ttiny packet\n1\tbad IP version\n1\tbad IP header length\n"
							   "3\tbad IP length\n1\tbad IP checksum\n0\tbad source address\n");
	tu_router_free(r);

	/* one output: bad packets dropped; CHECKSUM false; no drop_details without DETAILS */
	r = tu_router("Idle -> c :: CheckIPHeader(OFFSET 14, CHECKSUM false) -> s :: TestSink;", NULL);
	struct rte_mbuf *c[3] = {ip_frame(r, e_badsum, true), ip_frame(r, e_version, false), ip_frame(r, NULL, false)};
	tu_push(r, "c", 0, c, 3);
	assert_int_equal(tu_sink_count(r, "s"), 2);
	assert_int_equal(tu_read_int(r, "c.drops"), 1);
	struct rt_buf buf;
	struct rt_err err;
	rt_buf_init(&buf);
	rt_err_clear(&err);
	assert_true(rt_ctl_read(r, "c.drop_details", &buf, &err) < 0);
	rt_buf_free(&buf);
	tu_router_free(r);
}

static void test_checkipheader_fuzz(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> c :: CheckIPHeader(14) -> s :: TestSink; c[1] -> x :: TestSink;", NULL);
	srand(7);
	int total = 0, good = 0, bad = 0;
	for (int round = 0; round < 100; round++) {
		struct rte_mbuf *b[64];
		for (int i = 0; i < 64; i++) {
			uint8_t p[128];
			uint32_t len = (uint32_t)tu_build_udp(p, "10.0.0.1", "10.0.0.2", 1, 2, "abcdefgh", 8);
			int flips = rand() % 4;
			for (int k = 0; k < flips; k++)
				p[14 + rand() % 28] = (uint8_t)rand();
			if (rand() % 3 == 0)
				tu_ip_csum(p + 14);
			if (rand() % 2)
				len = (uint32_t)(rand() % (int)len + 1);
			b[i] = tu_pkt(r, p, len);
		}
		tu_push(r, "c", 0, b, 64);
		total += 64;
		good += tu_sink_count(r, "s");
		bad += tu_sink_count(r, "x");
		assert_int_equal(tu_sink_count(r, "s") + tu_sink_count(r, "x"), 64);
		/* everything accepted really is a valid header within the packet */
		for (int i = 0; i < tu_sink_count(r, "s"); i++) {
			struct rte_mbuf *m = out(r, "s", i);
			const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(rt_data(m) + 14);
			assert_int_equal(ip->version_ihl >> 4, 4);
			assert_true(rte_ipv4_hdr_len(ip) >= 20);
			assert_int_equal(ntohs(ip->total_length), rt_len(m) - 14);
			assert_int_equal(rte_ipv4_cksum(ip), 0);
		}
		tu_sink_clear(r, "s");
		tu_sink_clear(r, "x");
	}
	assert_int_equal(good + bad, total);
	assert_true(good > 100 && bad > 100);
	assert_int_equal(tu_read_int(r, "c.drops"), bad);
	tu_router_free(r);
}

static void test_checkipheader_addresses(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> c :: CheckIPHeader(14, INTERFACES 10.0.0.1/24 192.168.1.1/30) "
					"-> s :: TestSink; c[1] -> x :: TestSink;\n"
					"Idle -> d :: CheckIPHeader(14, BADSRC 1.2.3.4 5.6.7.8, GOODDST 9.9.9.9) -> t :: TestSink;"
					"d[1] -> y :: TestSink;\n"
					"Idle -> e :: CheckIPHeader2(OFFSET 14) -> u :: TestSink; e[1] -> z :: TestSink;\n"
					"Idle -> f :: CheckIPHeader2(14, CHECKSUM true) -> v :: TestSink; f[1] -> w :: TestSink;",
					NULL);
	const char *src[6] = {"10.0.0.255", "192.168.1.3", "0.0.0.0", "255.255.255.255", "10.0.0.7", "192.168.1.2"};
	for (int i = 0; i < 6; i++) {
		tu_push1(r, "c", 0, udp_frame(r, src[i], "10.0.0.2"));
		tu_push1(r, "c", 0, udp_frame(r, src[i], "10.0.0.1")); /* to us: allowed */
	}
	assert_int_equal(tu_sink_count(r, "x"), 4);
	assert_int_equal(tu_sink_count(r, "s"), 8);
	tu_push1(r, "d", 0, udp_frame(r, "1.2.3.4", "10.0.0.2"));
	tu_push1(r, "d", 0, udp_frame(r, "5.6.7.8", "9.9.9.9"));
	tu_push1(r, "d", 0, udp_frame(r, "0.0.0.0", "10.0.0.2")); /* BADSRC alone adds nothing */
	assert_int_equal(tu_sink_count(r, "y"), 1);
	assert_int_equal(tu_sink_count(r, "t"), 2);
	/* CheckIPHeader2 ignores checksums unless told */
	tu_push1(r, "e", 0, ip_frame(r, e_badsum, true));
	tu_push1(r, "f", 0, ip_frame(r, e_badsum, true));
	tu_push1(r, "e", 0, ip_frame(r, e_ihl4, false));
	assert_int_equal(tu_sink_count(r, "u"), 1);
	assert_int_equal(tu_sink_count(r, "z"), 1);
	assert_int_equal(tu_sink_count(r, "w"), 1);
	assert_int_equal(tu_read_int(r, "f.drops"), 1);
	tu_router_free(r);
	tu_expect_error("Idle -> c :: CheckIPHeader(OFFSET x) -> Idle;",
			"test.click:1:9: c: OFFSET: expected unsigned integer, not 'x'");
	tu_expect_error("Idle -> c :: CheckIPHeader(INTERFACES 10.0.0.1/40) -> Idle;",
			"test.click:1:9: c: INTERFACES: expected IP address or prefix, not '10.0.0.1/40'");
	tu_expect_error("Idle -> c :: CheckIPHeader(BADSRC 1.2.3) -> Idle;",
			"test.click:1:9: c: BADSRC: expected IP address, not '1.2.3'");
	tu_expect_error("Idle -> c :: CheckIPHeader(CHECKSUM sometimes) -> Idle;",
			"test.click:1:9: c: CHECKSUM: expected boolean, not 'sometimes'");
}

/* ---- MarkIPHeader, StripIPHeader, UnstripIPHeader --------------------------------- */

static void test_mark_strip_unstrip(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> mk :: MarkIPHeader(14) -> sp :: StripIPHeader -> a :: TestSink;\n"
					"Idle -> sp2 :: StripIPHeader -> b :: TestSink;\n"
					"Idle -> us :: UnstripIPHeader -> c :: TestSink;\n"
					"Idle -> m0 :: MarkIPHeader -> d :: TestSink;",
					NULL);
	struct rte_mbuf *p[2] = {udp_frame(r, "10.0.0.1", "10.0.0.2"), ip_frame(r, e_options, false)};
	tu_push(r, "mk", 0, p, 2);
	assert_int_equal(tu_sink_count(r, "a"), 2);
	for (int i = 0; i < 2; i++) {
		struct rte_mbuf *m = out(r, "a", i);
		assert_int_equal(rt_len(m), 13); /* UDP header + payload */
		assert_int_equal(rt_data(m)[0], 0x04); /* sport 1234 */
		assert_int_equal(rt_data(m)[1], 0xd2);
		assert_int_equal(rt_nh_offset(m), i ? -24 : -20);
	}
	/* unstrip puts the IP header back (not the Ethernet one) */
	struct rte_mbuf *q = udp_frame(r, "10.0.0.1", "10.0.0.2");
	rt_set_nh(q, 14);
	rte_pktmbuf_adj(q, 34);
	tu_push1(r, "us", 0, q);
	assert_int_equal(rt_len(out(r, "c", 0)), 33);
	assert_int_equal(rt_data(out(r, "c", 0))[0], 0x45);
	assert_int_equal(rt_nh_offset(out(r, "c", 0)), 0);
	/* unstrip without an annotation, or with data before the header: unchanged */
	struct rte_mbuf *u2 = udp_frame(r, "10.0.0.1", "10.0.0.2");
	rt_set_nh(u2, 14);
	struct rte_mbuf *ub[2] = {udp_frame(r, "10.0.0.1", "10.0.0.2"), u2};
	tu_push(r, "us", 0, ub, 2);
	assert_int_equal(rt_len(out(r, "c", 1)), 47);
	assert_int_equal(rt_len(out(r, "c", 2)), 47);
	/* strip without an annotation, or with a header longer than the packet: dropped */
	struct rte_mbuf *badh = ip_frame(r, e_ihl_beyond, false), *good = udp_frame(r, "10.0.0.1", "10.0.0.2");
	rt_set_nh(badh, 14);
	rt_set_nh(good, 14);
	struct rte_mbuf *three[3] = {udp_frame(r, "10.0.0.1", "10.0.0.2"), badh, good};
	tu_push(r, "sp2", 0, three, 3);
	assert_int_equal(tu_sink_count(r, "b"), 1);
	assert_ptr_equal(out(r, "b", 0), good);
	assert_int_equal(tu_read_int(r, "sp2.drops"), 2);
	tu_push1(r, "m0", 0, udp_ip(r, "1.1.1.1", "2.2.2.2"));
	assert_int_equal(rt_nh_offset(out(r, "d", 0)), 0);
	tu_router_free(r);
	tu_expect_error("Idle -> m :: MarkIPHeader(-3) -> Idle;", "test.click:1:9: m: OFFSET: expected unsigned integer, not '-3'");
	tu_expect_error("Idle -> m :: StripIPHeader(3) -> Idle;", "test.click:1:9: m: StripIPHeader takes no arguments");
}

/* ---- SetIPChecksum, SetTCPChecksum, SetUDPChecksum ------------------------------------ */

static void test_set_checksums(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> ic :: SetIPChecksum -> a :: TestSink; ic[1] -> ax :: TestSink;\n"
					"Idle -> tc :: SetTCPChecksum -> b :: TestSink; tc[1] -> bx :: TestSink;\n"
					"Idle -> uc :: SetUDPChecksum -> c :: TestSink; uc[1] -> cx :: TestSink;\n"
					"Idle -> uc1 :: SetUDPChecksum -> d :: TestSink;",
					NULL);
	uint8_t t[128], u[128];
	int tl = tu_build_tcp(t, "10.0.0.1", "10.0.0.2", 1000, 80, 0x18, 12345, "payload!", 8);
	int ul = tu_build_udp(u, "10.0.0.1", "10.0.0.2", 53, 5353, "query", 5);
	uint16_t tsum, usum;
	memcpy(&tsum, t + 34 + 16, 2);
	memcpy(&usum, u + 34 + 6, 2);

	/* IP: zeroed checksum recomputed; packets without a usable header go to output 1 */
	struct rte_mbuf *m = tu_pkt(r, t, (uint32_t)tl);
	rt_data(m)[24] = rt_data(m)[25] = 0;
	rt_set_nh(m, 14);
	struct rte_mbuf *nonh = tu_pkt(r, t, (uint32_t)tl);
	struct rte_mbuf *ihl4 = tu_pkt(r, t, (uint32_t)tl);
	rt_data(ihl4)[14] = 0x44;
	rt_set_nh(ihl4, 14);
	struct rte_mbuf *cut = tu_pkt(r, t, 14 + 16);
	rt_set_nh(cut, 14);
	struct rte_mbuf *ib[4] = {m, nonh, ihl4, cut};
	tu_push(r, "ic", 0, ib, 4);
	assert_int_equal(tu_sink_count(r, "a"), 1);
	assert_int_equal(rte_ipv4_cksum((const struct rte_ipv4_hdr *)(rt_data(out(r, "a", 0)) + 14)), 0);
	assert_int_equal(tu_sink_count(r, "ax"), 3);
	assert_int_equal(tu_read_int(r, "ic.drops"), 3);

	/* TCP */
	m = tu_pkt(r, t, (uint32_t)tl);
	rt_data(m)[50] = rt_data(m)[51] = 0xab;
	rt_set_nh(m, 14);
	struct rte_mbuf *tshort = tu_pkt(r, t, (uint32_t)tl - 4); /* IP length says 4 bytes more */
	rt_set_nh(tshort, 14);
	struct rte_mbuf *tb[3] = {m, tshort, tu_pkt(r, t, (uint32_t)tl)};
	tu_push(r, "tc", 0, tb, 3);
	assert_int_equal(tu_sink_count(r, "b"), 1);
	assert_memory_equal(rt_data(out(r, "b", 0)) + 50, &tsum, 2);
	assert_int_equal(tu_sink_count(r, "bx"), 2);

	/* UDP: fragment, UDP length beyond the packet, no annotation */
	m = tu_pkt(r, u, (uint32_t)ul);
	rt_data(m)[40] = rt_data(m)[41] = 0x77;
	rt_set_nh(m, 14);
	struct rte_mbuf *frag = tu_pkt(r, u, (uint32_t)ul);
	rt_data(frag)[20] = 0x20; /* MF */
	rt_set_nh(frag, 14);
	struct rte_mbuf *ulong = tu_pkt(r, u, (uint32_t)ul);
	rt_data(ulong)[39] = 200;
	rt_set_nh(ulong, 14);
	struct rte_mbuf *ub[4] = {m, frag, ulong, tu_pkt(r, u, (uint32_t)ul)};
	tu_push(r, "uc", 0, ub, 4);
	assert_int_equal(tu_sink_count(r, "c"), 1);
	assert_memory_equal(rt_data(out(r, "c", 0)) + 40, &usum, 2);
	assert_int_equal(tu_sink_count(r, "cx"), 3);
	assert_int_equal(tu_read_int(r, "uc.drops"), 3);
	/* one output: dropped */
	tu_push1(r, "uc1", 0, tu_pkt(r, u, (uint32_t)ul));
	assert_int_equal(tu_sink_count(r, "d"), 0);
	assert_int_equal(tu_read_int(r, "uc1.drops"), 1);
	const char *sinks[] = {"a", "ax", "b", "bx", "c", "cx"};
	for (size_t i = 0; i < RT_ARRAY_SIZE(sinks); i++)
		tu_sink_clear(r, sinks[i]);
	assert_int_equal(in_use(r), 0); /* dropped packets were freed */
	tu_router_free(r);

	/* FIXOFF repairs a data offset below 5 words */
	r = tu_router("Idle -> tc :: SetTCPChecksum(true) -> b :: TestSink;", NULL);
	m = tu_pkt(r, t, (uint32_t)tl);
	rt_data(m)[46] = 0x20;
	rt_set_nh(m, 14);
	tu_push1(r, "tc", 0, m);
	assert_int_equal(rt_data(out(r, "b", 0))[46] >> 4, 5);
	assert_memory_equal(rt_data(out(r, "b", 0)) + 50, &tsum, 2);
	tu_router_free(r);
	tu_expect_error("Idle -> t :: SetTCPChecksum(FIXOFF 2) -> Idle;", "test.click:1:9: t: FIXOFF: expected boolean, not '2'");
	tu_expect_error("Idle -> t :: SetIPChecksum(x) -> Idle;", "test.click:1:9: t: SetIPChecksum takes no arguments");
}

/* ---- DecIPTTL -------------------------------------------------------------------------- */

static void test_decipttl(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> d :: DecIPTTL -> s :: TestSink; d[1] -> x :: TestSink;\n"
					"Idle -> m :: DecIPTTL(MULTICAST false) -> t :: TestSink;\n"
					"Idle -> o :: DecIPTTL -> u :: TestSink;",
					NULL);
	const uint8_t ttls[4] = {64, 2, 1, 0};
	struct rte_mbuf *b[5];
	for (int i = 0; i < 4; i++) {
		b[i] = udp_frame(r, "10.0.0.1", "10.0.0.2");
		rt_data(b[i])[22] = ttls[i];
		tu_ip_csum(rt_data(b[i]) + 14);
		rt_set_nh(b[i], 14);
	}
	b[4] = udp_frame(r, "10.0.0.1", "10.0.0.2"); /* no annotation */
	tu_push(r, "d", 0, b, 5);
	assert_int_equal(tu_sink_count(r, "s"), 2);
	assert_int_equal(tu_sink_count(r, "x"), 3);
	assert_int_equal(rt_data(out(r, "s", 0))[22], 63);
	assert_int_equal(rt_data(out(r, "s", 1))[22], 1);
	for (int i = 0; i < 2; i++)
		assert_int_equal(rte_ipv4_cksum((const struct rte_ipv4_hdr *)(rt_data(out(r, "s", i)) + 14)), 0);
	assert_int_equal(rt_data(out(r, "x", 0))[22], 1); /* expired ones untouched */
	assert_int_equal(tu_read_int(r, "d.drops"), 3);
	/* inactive: nothing touched */
	assert_string_equal(tu_read(r, "d.active"), "true");
	assert_int_equal(tu_write(r, "d.active", "false", NULL), 0);
	struct rte_mbuf *p = udp_frame(r, "10.0.0.1", "10.0.0.2");
	rt_set_nh(p, 14);
	tu_push1(r, "d", 0, p);
	assert_int_equal(rt_data(out(r, "s", 2))[22], 64);
	/* MULTICAST false: multicast packets unchanged, others decremented */
	struct rte_mbuf *mc = udp_frame(r, "10.0.0.1", "239.1.1.1"), *uc = udp_frame(r, "10.0.0.1", "10.0.0.9");
	rt_set_nh(mc, 14);
	rt_set_nh(uc, 14);
	struct rte_mbuf *two[2] = {mc, uc};
	tu_push(r, "m", 0, two, 2);
	assert_int_equal(rt_data(out(r, "t", 0))[22], 64);
	assert_int_equal(rt_data(out(r, "t", 1))[22], 63);
	/* one output: expired packets dropped */
	struct rte_mbuf *dead = udp_frame(r, "10.0.0.1", "10.0.0.2");
	rt_data(dead)[22] = 1;
	rt_set_nh(dead, 14);
	tu_push1(r, "o", 0, dead);
	assert_int_equal(tu_sink_count(r, "u"), 0);
	assert_int_equal(tu_read_int(r, "o.drops"), 1);
	tu_router_free(r);
	tu_expect_error("Idle -> d :: DecIPTTL(ACTIVE perhaps) -> Idle;", "test.click:1:9: d: ACTIVE: expected boolean, not 'perhaps'");
	tu_expect_error("Idle -> d :: DecIPTTL(5) -> Idle;", "test.click:1:9: d: too many arguments (unexpected '5')");
}

/* The incremental update must equal a full recomputation for any header. */
static void test_decipttl_incremental(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> d :: DecIPTTL -> s :: TestSink; d[1] -> x :: TestSink;", NULL);
	srand(12345);
	int n = 0;
	for (int round = 0; round < 160; round++) {
		struct rte_mbuf *b[64];
		int ttl[64];
		for (int i = 0; i < 64; i++) {
			uint8_t h[14 + 60];
			int ihl = 5 + rand() % 11;
			for (size_t k = 0; k < sizeof(h); k++)
				h[k] = (uint8_t)rand();
			h[14] = (uint8_t)(0x40 | ihl);
			h[16] = 0, h[17] = (uint8_t)(ihl * 4);
			h[22] = (uint8_t)(2 + rand() % 254);
			if (i == 0)
				h[22] = 255;
			ttl[i] = h[22];
			tu_ip_csum(h + 14);
			b[i] = tu_pkt(r, h, (uint32_t)(14 + ihl * 4));
			rt_set_nh(b[i], 14);
		}
		tu_push(r, "d", 0, b, 64);
		n += 64;
		assert_int_equal(tu_sink_count(r, "s"), 64);
		for (int i = 0; i < 64; i++) {
			assert_ptr_equal(out(r, "s", i), b[i]);
			uint8_t *ip = rt_data(b[i]) + 14;
			assert_int_equal(ip[8], ttl[i] - 1);
			uint16_t inc, full;
			memcpy(&inc, ip + 10, 2);
			tu_ip_csum(ip);
			memcpy(&full, ip + 10, 2);
			assert_int_equal(inc, full);
		}
		tu_sink_clear(r, "s");
	}
	assert_int_equal(n, 160 * 64);
	assert_int_equal(tu_sink_count(r, "x"), 0);
	tu_router_free(r);
}

/* ---- IPPrint ---------------------------------------------------------------------------------- */

static char *slurp(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static struct rte_mbuf *marked(struct rte_mbuf *m)
{
	rt_set_nh(m, 14);
	return m;
}

static void tmpname(char *path)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

static void test_ipprint(void **st)
{
	(void)st;
	char path[] = "/tmp/mbox_ipprint_XXXXXX", path2[] = "/tmp/mbox_ipprint_XXXXXX";
	tmpname(path);
	tmpname(path2);
	char conf[512];
	snprintf(conf, sizeof(conf), "Idle -> p :: IPPrint(lbl, TIMESTAMP false, OUTFILE %s) -> s :: TestSink;\n"
				     "Idle -> q :: IPPrint(TTL true, ID true, TOS true, LENGTH true, OUTFILE %s) -> t :: TestSink;",
		 path, path2);
	struct rt_router *r = tu_router(conf, NULL);
	uint8_t b[128];
	int n;
	struct rte_mbuf *pk[9];
	n = tu_build_tcp(b, "10.0.0.1", "10.0.0.2", 1234, 80, 0x02, 0, NULL, 0);
	pk[0] = marked(tu_pkt(r, b, (uint32_t)n));
	n = tu_build_tcp(b, "10.0.0.1", "10.0.0.2", 1234, 80, 0x18, 1000, "abcd", 4);
	memcpy(b + 34 + 8, "\x00\x00\x00\x07", 4);
	pk[1] = marked(tu_pkt(r, b, (uint32_t)n));
	n = tu_build_udp(b, "192.168.1.1", "8.8.8.8", 5353, 53, "xyz", 3);
	pk[2] = marked(tu_pkt(r, b, (uint32_t)n));
	n = tu_build_icmp_echo(b, "10.0.0.1", "10.0.0.2", 0x1234, 7);
	pk[3] = marked(tu_pkt(r, b, (uint32_t)n));
	pk[4] = marked(tu_pkt(r, b, 14 + 12));      /* truncated IP */
	pk[5] = udp_frame(r, "1.1.1.1", "2.2.2.2"); /* no annotation: not printed */
	n = tu_build_udp(b, "10.0.0.1", "10.0.0.2", 1, 2, "x", 1);
	b[14 + 6] = 0x20, b[14 + 7] = 0x03; /* MF, offset 24 bytes */
	pk[6] = marked(tu_pkt(r, b, (uint32_t)n));
	n = tu_build_udp(b, "10.0.0.1", "10.0.0.2", 1, 2, "x", 1);
	b[14 + 9] = 47;
	pk[7] = marked(tu_pkt(r, b, (uint32_t)n));
	n = tu_build_tcp(b, "10.0.0.1", "10.0.0.2", 1234, 80, 0x02, 0, NULL, 0);
	pk[8] = marked(tu_pkt(r, b, 14 + 20 + 10)); /* TCP cut after 10 bytes */
	tu_push(r, "p", 0, pk, 9);
	assert_int_equal(tu_sink_count(r, "s"), 9);
	assert_string_equal(slurp(path), "lbl: 10.0.0.1.1234 > 10.0.0.2.80: S 0:1(1,54,40) win 65535\n"
					 "lbl: 10.0.0.1.1234 > 10.0.0.2.80: P 1000:1004(4,58,44) ack 7 win 65535\n"
					 "lbl: 192.168.1.1.5353 > 8.8.8.8.53: udp 11\n"
					 "lbl: 10.0.0.1 > 10.0.0.2: icmp echo (4660, 7)\n"
					 "lbl: truncated-ip\n"
					 "lbl: 10.0.0.1 > 10.0.0.2: udp (frag 0:9@24+)\n"
					 "lbl: 10.0.0.1 > 10.0.0.2: ip-proto-47\n"
					 "lbl: 10.0.0.1.1234 > 10.0.0.2.80: truncated-tcp\n");
	struct rte_mbuf *m = udp_frame(r, "10.0.0.1", "10.0.0.2");
	rt_anno(m)->timestamp = 1500002000ull;
	rt_data(m)[22] = 9;
	tu_push1(r, "q", 0, marked(m));
	assert_string_equal(slurp(path2), "1.500002: id 0 ttl 9 tos 0 length 33 10.0.0.1.1234 > 10.0.0.2.80: udp 13\n");
	/* active handler */
	assert_int_equal(tu_write(r, "p.active", "false", NULL), 0);
	assert_string_equal(tu_read(r, "p.active"), "false");
	size_t before = strlen(slurp(path));
	tu_push1(r, "p", 0, marked(udp_frame(r, "10.0.0.1", "10.0.0.2")));
	assert_int_equal(strlen(slurp(path)), before);
	tu_router_free(r);

	/* contents and payload dumps, ICMP errors */
	char path3[] = "/tmp/mbox_ipprint_XXXXXX";
	tmpname(path3);
	snprintf(conf, sizeof(conf), "Idle -> p :: IPPrint(TIMESTAMP false, CONTENTS hex, MAXLENGTH 30, OUTFILE %s) -> Idle;\n"
				     "Idle -> q :: IPPrint(x, TIMESTAMP false, OUTFILE %s) -> Idle;\n"
				     "Idle -> y :: IPPrint(y, TIMESTAMP false, PAYLOAD ASCII, OUTFILE %s) -> Idle;",
		 path, path2, path3);
	r = tu_router(conf, NULL);
	m = udp_frame(r, "10.0.0.1", "10.0.0.2");
	char want[256];
	snprintf(want, sizeof(want),
		 "10.0.0.1.1234 > 10.0.0.2.80: udp 13\n"
		 "  00112233 44550066 778899aa 08004500 00210000 00004011\n"
		 "  %02x%02x0a00 0001\n", /* 30 bytes */
		 rt_data(m)[24], rt_data(m)[25]);
	tu_push1(r, "p", 0, marked(m));
	assert_string_equal(slurp(path), want);
	tu_push1(r, "y", 0, marked(udp_frame(r, "10.0.0.1", "10.0.0.2")));
	n = tu_build_tcp(b, "10.0.0.1", "10.0.0.2", 1234, 80, 0x10, 5, "data", 4);
	tu_push1(r, "y", 0, marked(tu_pkt(r, b, (uint32_t)n)));
	assert_string_equal(slurp(path3), "y: 10.0.0.1.1234 > 10.0.0.2.80: udp 13\n  hello\n"
					  "y: 10.0.0.1.1234 > 10.0.0.2.80: . 5:9(4,58,44) ack 0 win 65535\n  data\n");
	uint8_t inner[64];
	tu_build_udp(inner, "10.0.0.1", "10.0.0.9", 4000, 161, NULL, 0);
	tu_build_icmp_echo(b, "10.0.0.9", "10.0.0.1", 1, 1);
	memcpy(b + 42, inner + 14, 28); /* quote the offending IP + UDP header */
	b[34] = 3, b[35] = 3;          /* port unreachable */
	tu_push1(r, "q", 0, marked(tu_pkt(r, b, 14 + 20 + 8 + 28)));
	b[34] = 11, b[35] = 0;
	tu_push1(r, "q", 0, marked(tu_pkt(r, b, 14 + 20 + 8 + 28)));
	b[34] = 3, b[35] = 3;
	tu_push1(r, "q", 0, marked(tu_pkt(r, b, 14 + 20 + 8 + 10))); /* quote cut */
	assert_string_equal(slurp(path2), "x: 10.0.0.9 > 10.0.0.1: icmp 10.0.0.9 unreachable port udp/161\n"
					  "x: 10.0.0.9 > 10.0.0.1: icmp timeexceeded transit\n"
					  "x: 10.0.0.9 > 10.0.0.1: icmp unreachable port truncated-icmp\n");
	tu_router_free(r);
	unlink(path);
	unlink(path2);
	unlink(path3);
	tu_expect_error("Idle -> p :: IPPrint(CONTENTS FOO) -> Idle;",
			"test.click:1:9: p: CONTENTS: bad contents value 'FOO'; should be 'NONE', 'HEX', or 'ASCII'");
	tu_expect_error("Idle -> p :: IPPrint(CONTENTS hex, PAYLOAD hex) -> Idle;",
			"test.click:1:9: p: specify at most one of PAYLOAD and CONTENTS");
	tu_expect_error("Idle -> p :: IPPrint(OUTFILE /nonexistent/dir/x) -> Idle;",
			"test.click:1:9: p: /nonexistent/dir/x: No such file or directory");
}

/* IPPrint's default destination is stderr; CheckIPHeader reports its first failure there. */
static void test_stderr_messages(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> c :: CheckIPHeader(14) -> p :: IPPrint(in, TIMESTAMP false) -> Idle;", NULL);
	fflush(stderr);
	FILE *f = tmpfile();
	assert_non_null(f);
	int saved = dup(2);
	dup2(fileno(f), 2);
	struct rte_mbuf *b[3] = {ip_frame(r, e_version, false), udp_frame(r, "10.0.0.1", "10.0.0.2"),
				 ip_frame(r, e_badsum, true)};
	tu_push(r, "c", 0, b, 3);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	char buf[1024];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	assert_string_equal(buf, "c: IP header check failed: bad IP version\n"
				 "in: 10.0.0.1.1234 > 10.0.0.2.80: udp 13\n");
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkipheader_malformed),
		cmocka_unit_test(test_checkipheader_fuzz),
		cmocka_unit_test(test_checkipheader_addresses),
		cmocka_unit_test(test_mark_strip_unstrip),
		cmocka_unit_test(test_set_checksums),
		cmocka_unit_test(test_decipttl),
		cmocka_unit_test(test_decipttl_incremental),
		cmocka_unit_test(test_ipprint),
		cmocka_unit_test(test_stderr_messages),
	};
	if (getenv("TEST_FILTER")) /* e.g. TEST_FILTER='test_decipttl*' */
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests_name("iphdr", tests, NULL, NULL);
}
