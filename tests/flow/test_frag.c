/*
 * test_frag.c - IPReassembler: IPv4 and IPv6 reassembly in and out of
 * order, contiguous output (also past the 2048-byte data room), the policy
 * for adversarial fragments (first-seen bytes win on overlaps, duplicates,
 * tiny fragments, oversized datagrams, RFC 1858 offset 8, inconsistent
 * ends), memory bounds and timeouts, and no leaked packets.
 */
#include <stdio.h>
#include <stdlib.h>

#include <rte_ip.h>

#include "tu.h"

#define SEC 1000000000ull

/* An Ethernet + IPv4 fragment: `len` bytes of data at byte offset `off` of
 * datagram `id` (protocol proto) from 10.0.0.1 to 10.0.0.2. */
static int build4(uint8_t *buf, uint16_t id, uint8_t proto, uint32_t off, bool mf, const uint8_t *data, uint32_t len)
{
	memset(buf, 0, 34);
	buf[12] = 0x08;
	uint8_t *ip = buf + 14;
	uint32_t tl = 20 + len;
	uint16_t fo = (uint16_t)((off / 8) | (mf ? 0x2000 : 0));
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tl >> 8), ip[3] = (uint8_t)tl;
	ip[4] = (uint8_t)(id >> 8), ip[5] = (uint8_t)id;
	ip[6] = (uint8_t)(fo >> 8), ip[7] = (uint8_t)fo;
	ip[8] = 64;
	ip[9] = proto;
	ip[12] = 10, ip[15] = 1;
	ip[16] = 10, ip[19] = 2;
	memcpy(ip + 20, data, len);
	tu_ip_csum(ip);
	return (int)(34 + len);
}

static struct rte_mbuf *frag4(struct rt_router *r, uint16_t id, uint8_t proto, uint32_t off, bool mf,
			      const uint8_t *data, uint32_t len, uint64_t ts)
{
	uint8_t buf[2100];
	int n = build4(buf, id, proto, off, mf, data, len);
	struct rte_mbuf *m = tu_pkt(r, buf, (uint32_t)n);
	rt_anno(m)->timestamp = ts;
	return m;
}

/* An Ethernet + IPv6 fragment (a Fragment header right after the IPv6
 * header), next header 17. */
static struct rte_mbuf *frag6(struct rt_router *r, uint32_t id, uint32_t off, bool mf, const uint8_t *data,
			      uint32_t len, uint64_t ts)
{
	uint8_t buf[2100] = {0};
	buf[12] = 0x86, buf[13] = 0xdd;
	uint8_t *ip = buf + 14;
	uint32_t pl = 8 + len;
	ip[0] = 0x60;
	ip[4] = (uint8_t)(pl >> 8), ip[5] = (uint8_t)pl;
	ip[6] = 44;
	ip[7] = 64;
	ip[8] = 0x20, ip[9] = 0x01, ip[23] = 1;
	ip[24] = 0x20, ip[25] = 0x01, ip[39] = 2;
	uint8_t *fh = ip + 40;
	fh[0] = 17;
	uint16_t fo = (uint16_t)(off | (mf ? 1 : 0));
	fh[2] = (uint8_t)(fo >> 8), fh[3] = (uint8_t)fo;
	memcpy(fh + 4, &id, 4);
	memcpy(fh + 8, data, len);
	struct rte_mbuf *m = tu_pkt(r, buf, 14 + 48 + len);
	rt_anno(m)->timestamp = ts;
	return m;
}

static void fill(uint8_t *p, uint32_t n, uint32_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

static void push(struct rt_router *r, struct rte_mbuf *m) { tu_push1(r, "ipr", 0, m); }

static void assert_pool_full(struct rt_router *r)
{
	struct rte_mempool *mp = rt_router_pool(r);
	assert_int_equal(rte_mempool_avail_count(mp), mp->size);
}

/* ---- tests ------------------------------------------------------------------ */

/* Three fragments of a 3000-byte datagram, out of order, with a whole
 * packet among them: the whole packet passes at once, the datagram leaves
 * when its last piece arrives, byte for byte the unfragmented datagram, in
 * one contiguous mbuf (it does not fit the 2048-byte data room). */
static void test_v4_out_of_order_big(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> ipr :: IPReassembler -> s :: TestSink;", NULL);
	static uint8_t data[3000], whole[3100];
	fill(data, sizeof(data), 3);
	push(r, frag4(r, 77, IPPROTO_UDP, 2400, false, data + 2400, 600, SEC));
	push(r, frag4(r, 77, IPPROTO_UDP, 0, true, data, 1200, SEC));
	uint8_t buf[200];
	int n = tu_build_udp(buf, "10.0.0.9", "10.0.0.2", 1, 2, "x", 1);
	struct rte_mbuf *w = tu_pkt(r, buf, (uint32_t)n);
	rt_anno(w)->timestamp = SEC;
	push(r, w);
	assert_int_equal(tu_sink_count(r, "s"), 1);  /* the whole packet: not held back */
	assert_int_equal(tu_read_int(r, "ipr.held"), 2);
	push(r, frag4(r, 77, IPPROTO_UDP, 1200, true, data + 1200, 1200, 2 * SEC));
	assert_int_equal(tu_sink_count(r, "s"), 2);
	struct rte_mbuf *m = tu_sink_pkt(r, "s", 1);
	int wn = build4(whole, 77, IPPROTO_UDP, 0, false, data, sizeof(data));
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(rte_pktmbuf_headroom(m), RTE_PKTMBUF_HEADROOM);  /* room to encapsulate it */
	assert_int_equal(rt_len(m), wn);
	assert_memory_equal(rt_data(m), whole, (size_t)wn);
	assert_int_equal(rt_nh_offset(m), 14);
	assert_int_equal(rt_anno(m)->timestamp, 2 * SEC);
	assert_int_equal(tu_read_int(r, "ipr.fragments"), 3);
	assert_int_equal(tu_read_int(r, "ipr.reassembled"), 1);
	assert_int_equal(tu_read_int(r, "ipr.count"), 4);
	assert_int_equal(tu_read_int(r, "ipr.held"), 0);
	assert_int_equal(tu_read_int(r, "ipr.drops"), 0);
	tu_sink_clear(r, "s");
	assert_pool_full(r);
	tu_router_free(r);
}

/* Overlaps: the bytes that came first win, a differing overlap is counted;
 * an exact repeat is a duplicate; a fragment wholly inside held bytes with
 * other data is dropped as an overlap. */
static void test_v4_overlap_first_wins(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> ipr :: IPReassembler -> s :: TestSink;", NULL);
	uint8_t a[48], b[48], whole[200], want[64];
	memset(a, 'A', sizeof(a));
	memset(b, 'B', sizeof(b));
	push(r, frag4(r, 5, IPPROTO_UDP, 16, true, a, 16, SEC));       /* [16,32) A */
	push(r, frag4(r, 5, IPPROTO_UDP, 16, true, a, 16, SEC));       /* the same again */
	assert_int_equal(tu_read_int(r, "ipr.duplicates"), 1);
	push(r, frag4(r, 5, IPPROTO_UDP, 16, true, b, 16, SEC));       /* [16,32) B: nothing new */
	assert_int_equal(tu_read_int(r, "ipr.overlaps"), 1);
	push(r, frag4(r, 5, IPPROTO_UDP, 0, true, b, 24, SEC));        /* [0,24) B over [16,24) A */
	assert_int_equal(tu_read_int(r, "ipr.overlaps"), 2);
	assert_int_equal(tu_sink_count(r, "s"), 0);
	push(r, frag4(r, 5, IPPROTO_UDP, 24, false, b, 40, SEC));      /* [24,64) B, the end */
	assert_int_equal(tu_read_int(r, "ipr.overlaps"), 3);
	assert_int_equal(tu_sink_count(r, "s"), 1);
	memset(want, 'B', sizeof(want));
	memset(want + 16, 'A', 16);
	int wn = build4(whole, 5, IPPROTO_UDP, 0, false, want, sizeof(want));
	struct rte_mbuf *m = tu_sink_pkt(r, "s", 0);
	assert_int_equal(rt_len(m), wn);
	assert_memory_equal(rt_data(m), whole, (size_t)wn);
	assert_int_equal(tu_read_int(r, "ipr.drops"), 2);
	tu_sink_clear(r, "s");
	assert_pool_full(r);
	tu_router_free(r);
}

/* A last fragment that brings no new byte (all of them were sent with
 * MF set) still tells where the datagram ends, and completes it. */
static void test_v4_end_from_covered_last(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> ipr :: IPReassembler -> s :: TestSink;", NULL);
	uint8_t a[24], whole[100];
	memset(a, 'A', sizeof(a));
	push(r, frag4(r, 3, IPPROTO_UDP, 0, true, a, 24, SEC));
	push(r, frag4(r, 3, IPPROTO_UDP, 16, false, a, 8, SEC));
	assert_int_equal(tu_read_int(r, "ipr.duplicates"), 1);
	assert_int_equal(tu_sink_count(r, "s"), 1);
	int wn = build4(whole, 3, IPPROTO_UDP, 0, false, a, 24);
	assert_memory_equal(rt_data(tu_sink_pkt(r, "s", 0)), whole, (size_t)wn);
	tu_sink_clear(r, "s");
	assert_pool_full(r);
	tu_router_free(r);
}

/* OVERLAP DROP: any overlap but an exact repeat drops the datagram, even
 * with equal bytes (RFC 5722). */
static void test_v4_overlap_drop(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> ipr :: IPReassembler(OVERLAP DROP) -> s :: TestSink;", NULL);
	uint8_t a[48];
	memset(a, 'A', sizeof(a));
	push(r, frag4(r, 5, IPPROTO_UDP, 0, true, a, 24, SEC));
	push(r, frag4(r, 5, IPPROTO_UDP, 0, true, a, 24, SEC));
	assert_int_equal(tu_read_int(r, "ipr.duplicates"), 1);
	assert_int_equal(tu_read_int(r, "ipr.held"), 1);
	push(r, frag4(r, 5, IPPROTO_UDP, 16, false, a, 16, SEC));  /* same bytes, overlapping [16,24) */
	assert_int_equal(tu_read_int(r, "ipr.overlaps"), 1);
	assert_int_equal(tu_read_int(r, "ipr.held"), 0);
	assert_int_equal(tu_read_int(r, "ipr.drops"), 3);
	assert_int_equal(tu_sink_count(r, "s"), 0);
	assert_pool_full(r);
	tu_router_free(r);
}

/* The crafted capture's trick (ipv4_frag_tiny_overlap_tcp_CRAFTED.pcap):
 * tiny TCP fragments out of order, one overlapping with other bytes; the
 * first-seen bytes make the attack string, which a scan downstream sees
 * whole.  With DROP_TINY the datagram is dropped instead. */
static void tiny_case(bool drop)
{
	char cfg[200];
	snprintf(cfg, sizeof(cfg), "Idle -> ipr :: IPReassembler(DROP_TINY %s) -> s :: TestSink;", drop ? "true" : "false");
	struct rt_router *r = tu_router(cfg, NULL);
	const char *seg = "TTTTTTTTTTTTTTTTTTTTGET /msadc/..%2f../..%2f../..%2f../winnt/system32/cmd.exe?/c+dir\n";
	uint32_t len = (uint32_t)strlen(seg);
	const uint8_t *d = (const uint8_t *)seg;
	uint8_t junk[48];
	memset(junk, 'J', sizeof(junk));
	memcpy(junk, d + 24, 24);  /* agrees up to 48, then junk over [48,72) */
	push(r, frag4(r, 9, IPPROTO_TCP, 0, true, d, 24, SEC));
	push(r, frag4(r, 9, IPPROTO_TCP, 48, true, d + 48, 24, SEC));
	push(r, frag4(r, 9, IPPROTO_TCP, 72, false, d + 72, len - 72, SEC));
	push(r, frag4(r, 9, IPPROTO_TCP, 24, true, junk, 48, SEC));
	assert_int_equal(tu_read_int(r, "ipr.tiny"), 3);
	if (drop) {
		assert_int_equal(tu_sink_count(r, "s"), 0);
		assert_int_equal(tu_read_int(r, "ipr.drops"), 4);
		assert_int_equal(tu_read_int(r, "ipr.held"), 0);
	} else {
		assert_int_equal(tu_read_int(r, "ipr.overlaps"), 1);
		assert_int_equal(tu_sink_count(r, "s"), 1);
		struct rte_mbuf *m = tu_sink_pkt(r, "s", 0);
		assert_int_equal(rt_len(m), 34 + len);
		assert_memory_equal(rt_data(m) + 34, seg, len);
	}
	tu_sink_clear(r, "s");
	assert_pool_full(r);
	tu_router_free(r);
}
static void test_v4_tiny_overlap_reassembled(void **st) { (void)st; tiny_case(false); }
static void test_v4_tiny_dropped(void **st) { (void)st; tiny_case(true); }

/* Malformed and oversized fragments are dropped and counted, and take
 * their datagram with them where they conflict with it. */
static void test_v4_bad_and_toobig(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> ipr :: IPReassembler(MAX_SIZE 9000) -> s :: TestSink;", NULL);
	uint8_t d[1500];
	fill(d, sizeof(d), 1);
	/* a fragment reaching past 65535 bytes: offset 8189*8 + 1000 */
	push(r, frag4(r, 1, IPPROTO_UDP, 65512, false, d, 1000, SEC));
	assert_int_equal(tu_read_int(r, "ipr.toobig"), 1);
	/* past MAX_SIZE: its datagram (one fragment held) goes too */
	push(r, frag4(r, 2, IPPROTO_UDP, 0, true, d, 1000, SEC));
	push(r, frag4(r, 2, IPPROTO_UDP, 8800, true, d, 800, SEC));
	assert_int_equal(tu_read_int(r, "ipr.toobig"), 2);
	assert_int_equal(tu_read_int(r, "ipr.datagrams"), 0);
	/* a non-last fragment whose length is not a multiple of 8 */
	push(r, frag4(r, 3, IPPROTO_UDP, 0, true, d, 100, SEC));
	assert_int_equal(tu_read_int(r, "ipr.bad"), 1);
	/* RFC 1858: a TCP fragment at offset 8 drops its datagram */
	push(r, frag4(r, 4, IPPROTO_TCP, 0, true, d, 80, SEC));
	push(r, frag4(r, 4, IPPROTO_TCP, 8, false, d, 16, SEC));
	assert_int_equal(tu_read_int(r, "ipr.bad"), 2);
	assert_int_equal(tu_read_int(r, "ipr.held"), 0);
	/* two ends that disagree: the datagram is dropped */
	push(r, frag4(r, 6, IPPROTO_UDP, 800, false, d, 80, SEC));
	push(r, frag4(r, 6, IPPROTO_UDP, 0, true, d, 400, SEC));
	push(r, frag4(r, 6, IPPROTO_UDP, 800, false, d, 120, SEC));
	assert_int_equal(tu_read_int(r, "ipr.bad"), 3);
	assert_int_equal(tu_read_int(r, "ipr.held"), 0);
	/* a cut packet (IP length past the data) */
	struct rte_mbuf *m = frag4(r, 7, IPPROTO_UDP, 0, true, d, 800, SEC);
	rte_pktmbuf_trim(m, 100);
	push(r, m);
	assert_int_equal(tu_read_int(r, "ipr.bad"), 4);
	assert_int_equal(tu_sink_count(r, "s"), 0);
	assert_int_equal(tu_read_int(r, "ipr.drops"), 10);
	assert_int_equal(tu_read_int(r, "ipr.reassembled"), 0);
	assert_pool_full(r);
	tu_router_free(r);
}

/* Memory bounds evict the oldest datagram; TIMEOUT drops stale ones; the
 * packets held go back to the pool at cleanup. */
static void test_v4_bounds_and_timeout(void **st)
{
	(void)st;
	struct rt_router *r =
		tu_router("Idle -> ipr :: IPReassembler(MAX_PACKETS 4, TIMEOUT 10s) -> s :: TestSink;", NULL);
	uint8_t d[800];
	fill(d, sizeof(d), 2);
	for (uint16_t id = 1; id <= 5; id++)
		push(r, frag4(r, id, IPPROTO_UDP, 0, true, d, 800, SEC));
	assert_int_equal(tu_read_int(r, "ipr.evicted"), 1);
	assert_int_equal(tu_read_int(r, "ipr.held"), 4);
	/* datagram 1 was the oldest: its last piece now starts a new one */
	push(r, frag4(r, 1, IPPROTO_UDP, 800, false, d, 100, 2 * SEC));
	assert_int_equal(tu_sink_count(r, "s"), 0);
	assert_int_equal(tu_read_int(r, "ipr.evicted"), 2);  /* 5 fragments: datagram 2 goes */
	/* datagram 3 completes */
	push(r, frag4(r, 3, IPPROTO_UDP, 800, false, d, 100, 3 * SEC));
	assert_int_equal(tu_sink_count(r, "s"), 1);
	/* 11 s after the first fragments: 4 and 5 (from 1 s) time out, 1 (2 s) not yet */
	push(r, frag4(r, 99, IPPROTO_UDP, 0, true, d, 800, 11 * SEC + 1));
	assert_int_equal(tu_read_int(r, "ipr.timeouts"), 2);
	assert_int_equal(tu_read_int(r, "ipr.datagrams"), 2);
	tu_sink_clear(r, "s");
	tu_router_free(r);
}

/* IPv6: the Fragment header goes, the next header and payload length are
 * set, byte for byte the unfragmented datagram. */
static void test_v6_reassembly(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> ipr :: IPReassembler -> s :: TestSink;", NULL);
	uint8_t d[1800];
	fill(d, sizeof(d), 9);
	push(r, frag6(r, 0x01020304, 1232, false, d + 1232, 568, SEC));
	push(r, frag6(r, 0x01020305, 0, true, d, 1232, SEC));  /* another ID: another datagram */
	push(r, frag6(r, 0x01020304, 0, true, d, 1232, SEC));
	assert_int_equal(tu_sink_count(r, "s"), 1);
	struct rte_mbuf *m = tu_sink_pkt(r, "s", 0);
	assert_int_equal(rt_len(m), 14 + 40 + 1800);
	const uint8_t *ip = rt_data(m) + 14;
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(ip[4] << 8 | ip[5], 1800);
	assert_int_equal(ip[6], 17);
	assert_memory_equal(ip + 40, d, sizeof(d));
	assert_int_equal(tu_read_int(r, "ipr.datagrams"), 1);
	assert_int_equal(tu_read_int(r, "ipr.reassembled"), 1);
	tu_sink_clear(r, "s");
	tu_router_free(r);
}

/* A reconfiguration moves the datagrams in progress: the last fragment,
 * after the swap, completes a datagram begun before it; the start time is
 * kept (the new TIMEOUT counts from the first fragment). */
static void test_swap_keeps_datagrams(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> ipr :: IPReassembler(TIMEOUT 30s) -> s :: TestSink;", NULL);
	uint8_t d[1600], whole[1700];
	fill(d, sizeof(d), 5);
	push(r, frag4(r, 8, IPPROTO_UDP, 0, true, d, 800, SEC));
	push(r, frag4(r, 9, IPPROTO_UDP, 0, true, d, 800, SEC));
	push(r, frag4(r, 10, IPPROTO_UDP, 800, false, d + 800, 800, 5 * SEC));
	assert_int_equal(tu_read_int(r, "ipr.held"), 3);
	struct rt_buf warn;
	struct rt_err err;
	rt_buf_init(&warn);
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_reconfigure(r, "ipr", "TIMEOUT 10s", &warn, &err), 0);
	assert_null(warn.p ? strstr(warn.p, "ipr") : NULL);  /* no "state not carried" */
	rt_buf_free(&warn);
	assert_int_equal(tu_read_int(r, "ipr.held"), 3);
	assert_int_equal(tu_read_int(r, "ipr.datagrams"), 3);
	push(r, frag4(r, 8, IPPROTO_UDP, 800, false, d + 800, 800, 6 * SEC));
	assert_int_equal(tu_sink_count(r, "s"), 1);
	int wn = build4(whole, 8, IPPROTO_UDP, 0, false, d, sizeof(d));
	assert_memory_equal(rt_data(tu_sink_pkt(r, "s", 0)), whole, (size_t)wn);
	/* 11 s after their first fragment: 9 (from 1 s) is past the new 10 s, 10 (from 5 s) is not */
	push(r, frag4(r, 99, IPPROTO_UDP, 0, true, d, 800, 11 * SEC + 1));
	assert_int_equal(tu_read_int(r, "ipr.timeouts"), 1);
	assert_int_equal(tu_read_int(r, "ipr.datagrams"), 2);
	tu_sink_clear(r, "s");
	tu_router_free(r);
}

/* Random fragmentations against a model of the policy: datagrams of random
 * size cut into random fragments (multiples of 8 but the last), with
 * overlaps whose bytes differ, exact repeats, in random order; the model
 * keeps the first byte seen at each offset and says at which fragment the
 * datagram completes.  The reassembler must emit exactly then, exactly
 * those bytes. */
static void test_random_against_model(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> ipr :: IPReassembler -> s :: TestSink;", NULL);
	static uint8_t model[3000], have[3000], want[3100], data[2000];
	uint32_t seed = 12345;
#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 8) & 0xffffff)
	int done = 0;
	for (int round = 0; round < 300; round++) {
		uint32_t len = 16 + RND() % 2900;
		memset(have, 0, len);
		uint16_t id = (uint16_t)(1000 + round);
		bool complete = false, got_last = false;
		int emitted_at = -1;
		for (int k = 0; k < 60 && !complete; k++) {
			uint32_t off, flen;
			bool last;
			if (k > 2 && RND() % 4 == 0) {  /* the end, sometimes repeated */
				off = (len - 1) / 8 * 8 - 8 * (RND() % 3 == 0 ? 1 : 0);
				if (off >= len)
					off = 0;
				flen = len - off;
				last = true;
			} else {
				off = (RND() % len) / 8 * 8;
				if (k >= 10 && (k & 1)) {  /* later, fill the first hole too */
					uint32_t h = 0;
					while (h < len && have[h])
						h++;
					off = h < len ? h / 8 * 8 : off;
				}
				flen = 8 * (1 + RND() % 100);
				if (off + flen >= len)
					flen = (len - off) / 8 * 8;
				if (!flen)
					continue;
				last = false;
			}
			if (flen > sizeof(data))
				flen = (uint32_t)sizeof(data) / 8 * 8;
			if (last && off + flen != len)
				continue;
			uint8_t fill_byte = (uint8_t)RND();
			for (uint32_t i = 0; i < flen; i++) {
				data[i] = (uint8_t)(fill_byte + i);
				if (!have[off + i]) {
					have[off + i] = 1;
					model[off + i] = data[i];
				}
			}
			bool all = true;
			for (uint32_t i = 0; i < len && all; i++)
				all = have[i];
			got_last |= last;
			push(r, frag4(r, id, IPPROTO_UDP, off, !last, data, flen, SEC));
			/* the end is known once a last fragment came (even one with no
			 * new byte); all bytes then complete it */
			complete = all && got_last;
			if (tu_sink_count(r, "s") && emitted_at < 0)
				emitted_at = k;
		}
		if (!complete) {
			assert_int_equal(tu_sink_count(r, "s"), 0);
			continue;
		}
		assert_int_equal(tu_sink_count(r, "s"), 1);
		int wn = build4(want, id, IPPROTO_UDP, 0, false, model, len);
		struct rte_mbuf *m = tu_sink_pkt(r, "s", 0);
		assert_int_equal(rt_len(m), wn);
		assert_memory_equal(rt_data(m), want, (size_t)wn);
		tu_sink_clear(r, "s");
		done++;
	}
#undef RND
	assert_true(done > 250);
	assert_true(tu_read_int(r, "ipr.overlaps") > 1000);
	assert_int_equal(tu_read_int(r, "ipr.bad"), 0);
	tu_router_free(r);
}

static void test_config_errors(void **st)
{
	(void)st;
	tu_expect_error("Idle -> r :: IPReassembler(MAX_SIZE 70000) -> Discard;",
			"test.click:1:9: r: MAX_SIZE must be 68 to 65535");
	tu_expect_error("Idle -> r :: IPReassembler(CLOCK WALL) -> Discard;",
			"test.click:1:9: r: CLOCK: expected AUTO, PACKET or SYSTEM, not 'WALL'");
	tu_expect_error("Idle -> r :: IPReassembler(OVERLAP LAST) -> Discard;",
			"test.click:1:9: r: OVERLAP: expected FIRST or DROP, not 'LAST'");
	tu_expect_error("Idle -> r :: IPReassembler(HIMEM 1M) -> Discard;", "test.click:1:9: r: unknown argument 'HIMEM'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_out_of_order_big),
		cmocka_unit_test(test_v4_overlap_first_wins),
		cmocka_unit_test(test_v4_end_from_covered_last),
		cmocka_unit_test(test_v4_overlap_drop),
		cmocka_unit_test(test_v4_tiny_overlap_reassembled),
		cmocka_unit_test(test_v4_tiny_dropped),
		cmocka_unit_test(test_v4_bad_and_toobig),
		cmocka_unit_test(test_v4_bounds_and_timeout),
		cmocka_unit_test(test_v6_reassembly),
		cmocka_unit_test(test_swap_keeps_datagrams),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
