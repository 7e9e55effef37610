/*
 * test_stream.c - TCP streams: the edit bookkeeping of flow/flow_stream.h
 * (forward and backward maps, folding, refusals), TCPIn (reordering,
 * retransmissions, inconsistent overlaps, hole timeouts, the hold bound)
 * and TCPOut (sequence/acknowledgement rewrite after real packet edits).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ip.h>

#include "tu.h"
#include "flow/flow_stream.h"

#define SEC 1000000000ull
#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define PSH 0x08

#define CLI "10.0.0.1"
#define SRV "10.0.0.2"
#define ISN_C 1000u   /* client's SYN; its data starts at 1001 */
#define ISN_S 50000u

/* A TCP segment with an acknowledgement and a timestamp annotation. */
static struct rte_mbuf *seg(struct rt_router *r, bool reply, uint8_t fl, uint32_t seq, uint32_t ack, const char *pl,
			    uint64_t ts)
{
	return reply ? tu_tcp_seg(r, SRV, CLI, 80, 1234, fl, seq, ack, pl, ts)
		     : tu_tcp_seg(r, CLI, SRV, 1234, 80, fl, seq, ack, pl, ts);
}

static void push(struct rt_router *r, struct rte_mbuf *m) { tu_push1(r, "fm", 0, m); }

static uint32_t seq_of(struct rte_mbuf *m) { return tu_be32_at(m, 38); }
static uint32_t ack_of(struct rte_mbuf *m) { return tu_be32_at(m, 42); }

/* The payload of a captured packet as a string. */
static const char *payload(struct rte_mbuf *m)
{
	static char s[1600];
	struct fs_pkt p;
	assert_true(fs_parse(m, &p));
	memcpy(s, p.pay, p.len);
	s[p.len] = 0;
	return s;
}

static void assert_csums_ok(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = (const void *)(rt_data(m) + 14);
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	uint32_t sum = rte_ipv4_phdr_cksum(ip, 0);
	sum += rte_raw_cksum((const uint8_t *)ip + 20, rte_be_to_cpu_16(ip->total_length) - 20u);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
}

static void assert_pool_full(struct rt_router *r)
{
	struct rte_mempool *mp = rt_router_pool(r);
	assert_int_equal(rte_mempool_avail_count(mp), mp->size);
}

/* ---- edit bookkeeping -------------------------------------------------------- */

/* A reference model: the edited stream as a map from original positions,
 * built byte by byte, against which fwd and inv are checked everywhere. */
static void test_delta_maps(void **st)
{
	(void)st;
	struct fs_dir d;
	memset(&d, 0, sizeof(d));
	d.init = 1;
	uint32_t folded = 0;
	/* remove 5 at 10, insert 3 at 30, replace 4 by 10 at 50, tail insert of 2 at 80, remove 1 at 80 */
	assert_int_equal(flow_stream_record(&d, 10, 5, 0, false, &folded), 0);
	assert_int_equal(flow_stream_record(&d, 30, 0, 3, false, &folded), 0);
	assert_int_equal(flow_stream_record(&d, 50, 4, 10, false, &folded), 0);
	assert_int_equal(flow_stream_record(&d, 80, 0, 2, true, &folded), 0);
	assert_int_equal(flow_stream_record(&d, 80, 1, 0, false, &folded), 0);
	/* orig -> new by hand */
	assert_int_equal(flow_stream_fwd(&d, 0), 0);
	assert_int_equal(flow_stream_fwd(&d, 10), 10);   /* a packet starting at a removal: its bytes go */
	assert_int_equal(flow_stream_fwd(&d, 12), 10);   /* inside removed bytes: end of the replacement */
	assert_int_equal(flow_stream_fwd(&d, 15), 10);
	assert_int_equal(flow_stream_fwd(&d, 29), 24);
	assert_int_equal(flow_stream_fwd(&d, 30), 25);   /* the insertion is in the packet starting at 30 */
	assert_int_equal(flow_stream_fwd(&d, 31), 29);
	assert_int_equal(flow_stream_fwd(&d, 50), 48);
	assert_int_equal(flow_stream_fwd(&d, 54), 58);
	assert_int_equal(flow_stream_fwd(&d, 80), 86);   /* after the tail insertion of the previous packet */
	assert_int_equal(flow_stream_fwd(&d, 81), 86);
	assert_int_equal(flow_stream_fwd(&d, 100), 105);
	/* new -> orig: acknowledgements */
	assert_int_equal(flow_stream_inv(&d, 9), 9);
	assert_int_equal(flow_stream_inv(&d, 10), 15);   /* removed bytes count as received */
	assert_int_equal(flow_stream_inv(&d, 11), 16);
	assert_int_equal(flow_stream_inv(&d, 25), 30);
	assert_int_equal(flow_stream_inv(&d, 26), 30);   /* inside inserted bytes: only what came before */
	assert_int_equal(flow_stream_inv(&d, 28), 30);
	assert_int_equal(flow_stream_inv(&d, 29), 31);
	assert_int_equal(flow_stream_inv(&d, 48), 50);
	assert_int_equal(flow_stream_inv(&d, 57), 50);
	assert_int_equal(flow_stream_inv(&d, 58), 54);
	assert_int_equal(flow_stream_inv(&d, 86), 81);   /* tail bytes and the removed byte acknowledged */
	assert_int_equal(flow_stream_inv(&d, 105), 100);
	/* round trip: exact but inside removed bytes, which map past them */
	for (uint32_t x = 0; x < 200; x++) {
		uint32_t want = x >= 10 && x < 15 ? 15 : x > 50 && x < 54 ? 54 : x == 80 ? 81 : x;
		assert_int_equal(flow_stream_inv(&d, flow_stream_fwd(&d, x)), want);
	}
	/* out of order and oversized edits are refused, nothing changes */
	struct fs_dir keep = d;
	assert_int_equal(flow_stream_record(&d, 60, 1, 0, false, &folded), -EINVAL);
	assert_int_equal(flow_stream_record(&d, 90, FS_EDIT_MAX + 1, 0, false, &folded), -EINVAL);
	assert_memory_equal(&d, &keep, sizeof(d));
}

/* Positions near 2^32: streams whose sequence numbers wrap keep working
 * since positions are relative to the ISN, and a direction with edits far
 * from the ISN maps with signed distances. */
static void test_delta_fold_and_refuse(void **st)
{
	(void)st;
	struct fs_dir d;
	memset(&d, 0, sizeof(d));
	d.init = 1;
	uint32_t folded = 0;
	for (uint32_t i = 0; i < FS_EDITS; i++)
		assert_int_equal(flow_stream_record(&d, 100 * (i + 1), 2, 0, false, &folded), 0);
	/* nothing acknowledged: the ninth edit is refused */
	assert_int_equal(flow_stream_record(&d, 1000, 0, 4, false, &folded), -ENOSPC);
	assert_int_equal(d.nedit, FS_EDITS);
	assert_int_equal(flow_stream_fwd(&d, 950), 950 - 2 * FS_EDITS);
	/* the receiver acknowledged past the third edit: three fold into base */
	d.acked = 302;
	assert_int_equal(flow_stream_record(&d, 1000, 0, 4, false, &folded), 0);
	assert_int_equal(folded, 3);
	assert_int_equal(d.nedit, FS_EDITS - 2);
	assert_int_equal(d.base, -6);
	/* the maps are unchanged for every position after the folded edits */
	assert_int_equal(flow_stream_fwd(&d, 302), 296);
	assert_int_equal(flow_stream_fwd(&d, 950), 950 - 2 * FS_EDITS);
	assert_int_equal(flow_stream_fwd(&d, 1001), 1001 - 2 * FS_EDITS + 4);
	assert_int_equal(flow_stream_inv(&d, 296), 302);
	assert_int_equal(flow_stream_inv(&d, 1001 - 2 * FS_EDITS + 4), 1001);
	/* adjacent edits of one kind merge */
	assert_int_equal(flow_stream_record(&d, 1000, 0, 4, false, &folded), 0);
	assert_int_equal(d.nedit, FS_EDITS - 2);
	assert_int_equal(flow_stream_fwd(&d, 1001), 1001 - 2 * FS_EDITS + 8);
}

/* ---- TCPIn ----------------------------------------------------------------- */

#define TIN_CFG "Idle -> fm :: FlowManager(SYMMETRIC true, RESERVE 1k) -> t :: TCPIn(TIMEOUT 1s) -> s :: TestSink;"

static struct rt_router *handshake(const char *cfg)
{
	struct rt_router *r = tu_router(cfg, NULL);
	push(r, seg(r, false, SYN, ISN_C, 0, NULL, SEC));
	push(r, seg(r, true, SYN | ACK, ISN_S, ISN_C + 1, NULL, SEC));
	push(r, seg(r, false, ACK, ISN_C + 1, ISN_S + 1, NULL, SEC));
	assert_int_equal(tu_sink_count(r, "s"), 3);
	tu_sink_clear(r, "s");
	return r;
}

static void test_tcpin_reorders(void **st)
{
	(void)st;
	tu_eal();
	struct rt_router *r = handshake(TIN_CFG);
	uint32_t c = ISN_C + 1;
	/* 3rd, 2nd, then 1st segment: the two later ones wait */
	push(r, seg(r, false, ACK | PSH, c + 10, ISN_S + 1, "CCCCC", SEC));
	push(r, seg(r, false, ACK | PSH, c + 5, ISN_S + 1, "BBBBB", SEC));
	assert_int_equal(tu_sink_count(r, "s"), 0);
	assert_int_equal(tu_read_int(r, "t.held"), 2);
	assert_string_equal(tu_read(r, "t.flows"), "TCP 10.0.0.1:1234 10.0.0.2:80 0 0 2\n");
	/* a reply passes meanwhile: the directions are independent */
	push(r, seg(r, true, ACK, ISN_S + 1, c, "r", SEC));
	assert_int_equal(tu_sink_count(r, "s"), 1);
	push(r, seg(r, false, ACK | PSH, c, ISN_S + 2, "AAAAA", SEC));
	assert_int_equal(tu_sink_count(r, "s"), 4);
	assert_string_equal(payload(tu_sink_pkt(r, "s", 1)), "AAAAA");
	assert_string_equal(payload(tu_sink_pkt(r, "s", 2)), "BBBBB");
	assert_string_equal(payload(tu_sink_pkt(r, "s", 3)), "CCCCC");
	assert_int_equal(tu_read_int(r, "t.released"), 2);
	assert_string_equal(tu_read(r, "t.flows"), "TCP 10.0.0.1:1234 10.0.0.2:80 15 1 0\n");
	/* a retransmission of delivered bytes is dropped, FIN moves one */
	push(r, seg(r, false, ACK | PSH, c + 5, ISN_S + 2, "BBBBB", SEC));
	assert_int_equal(tu_sink_count(r, "s"), 4);
	assert_int_equal(tu_read_int(r, "t.retransmits"), 1);
	assert_int_equal(tu_read_int(r, "t.inconsistent"), 0);
	push(r, seg(r, false, ACK | FIN, c + 15, ISN_S + 2, NULL, SEC));
	assert_string_equal(tu_read(r, "t.flows"), "TCP 10.0.0.1:1234 10.0.0.2:80 16 1 0\n");
	tu_sink_clear(r, "s");
	assert_pool_full(r);
	tu_router_free(r);
}

static void test_tcpin_inconsistent_overlaps(void **st)
{
	(void)st;
	tu_eal();
	struct rt_router *r = handshake(TIN_CFG);
	uint32_t c = ISN_C + 1;
	push(r, seg(r, false, ACK, c, ISN_S + 1, "GET /ind", SEC));
	/* overlaps 4 delivered bytes with different ones, and brings 4 new */
	push(r, seg(r, false, ACK, c + 4, ISN_S + 1, "XXXXex.h", SEC));
	assert_int_equal(tu_sink_count(r, "s"), 2);
	assert_string_equal(payload(tu_sink_pkt(r, "s", 1)), "ex.h");
	assert_int_equal(seq_of(tu_sink_pkt(r, "s", 1)), c + 8);
	assert_csums_ok(tu_sink_pkt(r, "s", 1));
	assert_int_equal(tu_read_int(r, "t.trimmed"), 1);
	assert_int_equal(tu_read_int(r, "t.inconsistent"), 1);
	/* a full retransmission with other bytes: dropped, counted */
	push(r, seg(r, false, ACK, c, ISN_S + 1, "GET /evi", SEC));
	assert_int_equal(tu_sink_count(r, "s"), 2);
	assert_int_equal(tu_read_int(r, "t.inconsistent"), 2);
	/* two held segments overlapping with different bytes: the first seen wins */
	push(r, seg(r, false, ACK, c + 16, ISN_S + 1, "AAAA", SEC));
	push(r, seg(r, false, ACK, c + 14, ISN_S + 1, "BBBBBB", SEC));
	assert_int_equal(tu_read_int(r, "t.inconsistent"), 3);
	push(r, seg(r, false, ACK, c + 12, ISN_S + 1, "tml ", SEC));
	/* ... and so do they against the later segment that fills the gap */
	assert_int_equal(tu_sink_count(r, "s"), 4);
	assert_int_equal(tu_read_int(r, "t.inconsistent"), 4);
	assert_int_equal(tu_read_int(r, "t.retransmits"), 2);
	char stream[64] = "";
	for (int i = 0; i < tu_sink_count(r, "s"); i++)
		strcat(stream, payload(tu_sink_pkt(r, "s", i)));
	assert_string_equal(stream, "GET /index.htmBBAAAA");
	for (int i = 0; i < tu_sink_count(r, "s"); i++)
		assert_csums_ok(tu_sink_pkt(r, "s", i));
	tu_router_free(r);
}

static void test_tcpin_retransmit_pass(void **st)
{
	(void)st;
	tu_eal();
	struct rt_router *r = handshake("Idle -> fm :: FlowManager(SYMMETRIC true, RESERVE 1k) -> t :: TCPIn(RETRANSMIT PASS)"
					" -> s :: TestSink;");
	uint32_t c = ISN_C + 1;
	push(r, seg(r, false, ACK, c, ISN_S + 1, "abcdef", SEC));
	push(r, seg(r, false, ACK, c, ISN_S + 1, "abXdef", SEC));
	assert_int_equal(tu_sink_count(r, "s"), 2);
	/* passed, with the first-seen bytes and valid checksums */
	assert_string_equal(payload(tu_sink_pkt(r, "s", 1)), "abcdef");
	assert_csums_ok(tu_sink_pkt(r, "s", 1));
	assert_int_equal(tu_read_int(r, "t.retransmits"), 1);
	assert_int_equal(tu_read_int(r, "t.inconsistent"), 1);
	tu_router_free(r);
	struct rt_err err;
	assert_null(tu_router("Idle -> fm :: FlowManager(SYMMETRIC true, RESERVE 1k) -> t :: TCPIn(RETRANSMIT MAYBE) -> Discard;",
			      &err));
	assert_non_null(strstr(err.msg, "RETRANSMIT must be DROP or PASS, not 'MAYBE'"));
}

static void test_tcpin_hole_timeout_and_bound(void **st)
{
	(void)st;
	tu_eal();
	struct rt_router *r = handshake(TIN_CFG);
	uint32_t c = ISN_C + 1;
	/* bytes 0-9 never come */
	push(r, seg(r, false, ACK, c + 10, ISN_S + 1, "late", 2 * SEC));
	push(r, seg(r, false, ACK, c + 14, ISN_S + 1, "r", 2 * SEC + SEC / 2));
	assert_int_equal(tu_sink_count(r, "s"), 0);
	/* a packet of the flow after TIMEOUT: the hole is given up */
	push(r, seg(r, true, ACK, ISN_S + 1, c, NULL, 3 * SEC + SEC / 10));
	assert_int_equal(tu_sink_count(r, "s"), 3);
	assert_string_equal(payload(tu_sink_pkt(r, "s", 0)), "late");
	assert_string_equal(payload(tu_sink_pkt(r, "s", 1)), "r");
	assert_int_equal(tu_read_int(r, "t.hole_timeouts"), 1);
	assert_int_equal(tu_read_int(r, "t.gap_bytes"), 10);
	tu_sink_clear(r, "s");
	/* a SYN with a new sequence number restarts the direction: what it held goes */
	push(r, seg(r, false, ACK, c + 40, ISN_S + 1, "old", 4 * SEC));
	push(r, seg(r, true, ACK, ISN_S + 1 + 9, c, "held", 4 * SEC));
	assert_string_equal(tu_read(r, "t.flows"), "TCP 10.0.0.1:1234 10.0.0.2:80 15 0 2\n");
	push(r, seg(r, false, SYN, 90000, 0, NULL, 4 * SEC));
	assert_int_equal(tu_read_int(r, "t.stale"), 1);
	assert_string_equal(tu_read(r, "t.flows"), "TCP 10.0.0.1:1234 10.0.0.2:80 0 0 1\n");
	push(r, seg(r, false, ACK, 90001, ISN_S + 1, "new", 4 * SEC));
	assert_string_equal(tu_read(r, "t.flows"), "TCP 10.0.0.1:1234 10.0.0.2:80 3 0 1\n");
	c = 90001;
	tu_sink_clear(r, "s");
	/* the bound: 16 segments wait (one of the server's already), the 17th is dropped */
	for (uint32_t i = 0; i < FS_HOLD; i++)
		push(r, seg(r, false, ACK, c + 100 + 2 * i, ISN_S + 1, "x", 4 * SEC));
	assert_int_equal(tu_read_int(r, "t.overflow"), 1);
	assert_int_equal(tu_sink_count(r, "s"), 0);
	/* the flow ends (RST) with them held: the manager frees them, nothing leaks */
	push(r, seg(r, true, 0x04 | ACK, ISN_S + 1, c + 15, NULL, 4 * SEC));
	push(r, seg(r, false, SYN, 7, 0, NULL, 5 * SEC));
	assert_int_equal(tu_read_int(r, "fm.held_freed"), FS_HOLD);
	assert_int_equal(tu_sink_count(r, "s"), 2);
	tu_sink_clear(r, "s");
	assert_pool_full(r);
	tu_router_free(r);
}

/* ---- editing and TCPOut ------------------------------------------------------ */

#define OUT_CFG                                                                                                 \
	"Idle -> fm :: FlowManager(SYMMETRIC true, RESERVE 1k) -> t :: TCPIn -> sw :: Switch(0) -> s :: TestSink;" \
	"sw[1] -> o :: TCPOut -> s2 :: TestSink;"

/* Take the last packet TCPIn delivered, as a copy that keeps its flow. */
static struct rte_mbuf *take(struct rt_router *r)
{
	int n = tu_sink_count(r, "s");
	assert_true(n > 0);
	struct rte_mbuf *o = tu_sink_pkt(r, "s", n - 1);
	struct rte_mbuf *m = rte_pktmbuf_copy(o, rt_router_pool(r), 0, UINT32_MAX);
	assert_non_null(m);
	/* rte_pktmbuf_copy keeps ol_flags but not the private area */
	memcpy(rte_mbuf_to_priv(m), rte_mbuf_to_priv(o), sizeof(struct rt_anno));
	if (rt_has_nh(o))
		rt_set_nh(m, (uint32_t)rt_nh_offset(o));
	return m;
}

static void test_edit_and_tcpout(void **st)
{
	(void)st;
	tu_eal();
	struct rt_router *r = handshake(OUT_CFG);
	struct fs_anchor *tin = flow_stream_attach(rt_router_find(r, "o"));
	assert_non_null(tin);
	uint32_t c = ISN_C + 1, s0 = ISN_S + 1, folded = 0;
	/* request "GET /ads.example/x" loses "ads.example/" (12 bytes) */
	push(r, seg(r, false, ACK, c, s0, "GET /ads.example/x", SEC));
	struct rte_mbuf *m = take(r);
	struct fs_flow *f = fs_flow_of(tin, m);
	assert_non_null(f);
	assert_int_equal(flow_stream_remove(&f->d[0], m, 5, 12, &folded), 0);
	assert_string_equal(payload(m), "GET /x");
	tu_push1(r, "o", 0, m);
	m = tu_sink_pkt(r, "s2", 0);
	assert_int_equal(seq_of(m), c);
	assert_csums_ok(m);
	/* the next segment moves back 12; an insertion of 3 at its end */
	push(r, seg(r, false, ACK, c + 18, s0, " HTTP/1.0\r\n", SEC));
	m = take(r);
	assert_int_equal(flow_stream_insert(&f->d[0], m, 11, "X: ", 3, &folded), 0);
	assert_int_equal(flow_stream_insert(&f->d[0], m, 3, "?", 1, &folded), -EINVAL);  /* before the last edit */
	tu_push1(r, "o", 0, m);
	m = tu_sink_pkt(r, "s2", 1);
	assert_int_equal(seq_of(m), c + 6);
	assert_string_equal(payload(m), " HTTP/1.0\r\nX: ");
	assert_csums_ok(m);
	/* the next one starts after the tail insertion */
	push(r, seg(r, false, ACK, c + 29, s0, "1\r\n\r\n", SEC));
	tu_push1(r, "o", 0, take(r));
	assert_int_equal(seq_of(tu_sink_pkt(r, "s2", 2)), c + 29 - 12 + 3);
	/* the server acknowledges what it got: 6 + 14 + 5 = 25 edited bytes = 34 original */
	push(r, seg(r, true, ACK, s0, c + 25, "HTTP/1.0 200 OK\r\n", SEC));
	m = take(r);
	struct fs_flow *g = fs_flow_of(tin, m);
	assert_ptr_equal(g, f);
	/* replace "200" by "404" in the response: same length, seq unchanged */
	assert_int_equal(flow_stream_edit(&f->d[1], m, 9, 3, "404", 3, &folded), 0);
	tu_push1(r, "o", 0, m);
	m = tu_sink_pkt(r, "s2", 3);
	assert_int_equal(ack_of(m), c + 34);
	assert_int_equal(seq_of(m), s0);
	assert_string_equal(payload(m), "HTTP/1.0 404 OK\r\n");
	assert_csums_ok(m);
	assert_int_equal(f->d[0].acked, 34);
	/* an acknowledgement inside the inserted "X: " acknowledges up to the insertion */
	push(r, seg(r, true, ACK, s0 + 17, c + 18, NULL, SEC));
	tu_push1(r, "o", 0, take(r));
	assert_int_equal(ack_of(tu_sink_pkt(r, "s2", 4)), c + 29);
	/* a client ACK with a SACK block, once the server's direction has edits: the block becomes NOPs */
	{
		uint8_t buf[200];
		int n = tu_build_tcp(buf, CLI, SRV, 1234, 80, ACK, c + 34, NULL, 0);
		uint8_t *ip = buf + 14, *t = buf + 34;
		static const uint8_t opt[12] = { 1, 1, 5, 10, 0, 0, 0xc3, 0x60, 0, 0, 0xc3, 0x70 };
		memcpy(t + 20, opt, sizeof(opt));
		t[12] = 8 << 4;
		uint32_t a = rte_cpu_to_be_32(s0 + 17);
		memcpy(t + 8, &a, 4);
		uint16_t tl = rte_cpu_to_be_16(20 + 32);
		memcpy(ip + 2, &tl, 2);
		memset(ip + 10, 0, 2);
		tu_ip_csum(ip);
		memset(t + 16, 0, 2);
		uint16_t ck = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)ip, t);
		memcpy(t + 16, &ck, 2);
		struct rte_mbuf *sk = tu_pkt(r, buf, (uint32_t)(n + 12));
		rt_anno(sk)->timestamp = SEC;
		push(r, sk);
		tu_push1(r, "o", 0, take(r));
		sk = tu_sink_pkt(r, "s2", 5);
		static const uint8_t nops[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
		assert_memory_equal(rt_data(sk) + 54, nops, sizeof(nops));
		assert_int_equal(ack_of(sk), s0 + 17);
		assert_csums_ok(sk);
		assert_int_equal(tu_read_int(r, "o.sack_stripped"), 1);
	}
	/* a retransmission of the edited first segment maps to the same seq */
	push(r, seg(r, false, ACK, c, s0 + 17, "GET /ads.example/x", SEC));
	assert_int_equal(tu_read_int(r, "t.retransmits"), 1);
	assert_int_equal(tu_read_int(r, "o.seq_rewritten"), 3);
	assert_int_equal(tu_read_int(r, "o.ack_rewritten"), 2);
	flow_stream_detach(tin);
	tu_router_free(r);
	struct rt_err err;
	assert_null(tu_router("Idle -> fm :: FlowManager(SYMMETRIC true) -> o :: TCPOut -> Discard;", &err));
	assert_non_null(strstr(err.msg, "TCPOut needs a TCPIn upstream"));
}

/* Live changes.  Writing TCPIn's config changes it in place: held segments
 * and edits stay.  Replacing it (a hot configuration with other
 * arguments) gives it a new FCB slot, since elements that hold packets do
 * not inherit theirs: live streams start over, the counters go on, and the
 * TCPOut that stays finds the new slot (through the anchor, never through
 * a freed element: ASan runs this). */
static void test_tcpin_live_changes(void **st)
{
	(void)st;
	tu_eal();
	struct rt_router *r = handshake(OUT_CFG);
	uint32_t c = ISN_C + 1, s0 = ISN_S + 1, folded = 0;
	struct fs_anchor *a = flow_stream_attach(rt_router_find(r, "o"));
	push(r, seg(r, false, ACK, c, s0, "hello ads", SEC));
	struct rte_mbuf *m = take(r);
	assert_int_equal(flow_stream_remove(&fs_flow_of(a, m)->d[0], m, 5, 4, &folded), 0);
	tu_push1(r, "o", 0, m);
	push(r, seg(r, false, ACK, c + 20, s0, "later", SEC));
	assert_int_equal(tu_read_int(r, "t.held"), 1);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tu_write(r, "t.config", "TIMEOUT 5s, RETRANSMIT PASS", &err), 0);
	assert_true(tu_write(r, "t.config", "TIMEOUT soon", &err) < 0);
	assert_non_null(strstr(err.msg, "t: TIMEOUT:"));
	assert_string_equal(tu_read(r, "t.config"), "TIMEOUT 5s, RETRANSMIT PASS");
	int n0 = tu_sink_count(r, "s");
	push(r, seg(r, false, ACK, c + 9, s0, "0123456789a", SEC));
	assert_int_equal(tu_sink_count(r, "s"), n0 + 2);
	assert_int_equal(tu_read_int(r, "t.released"), 1);
	tu_push1(r, "o", 0, take(r));
	m = tu_sink_pkt(r, "s2", tu_sink_count(r, "s2") - 1);
	assert_string_equal(payload(m), "later");
	assert_int_equal(seq_of(m), c + 20 - 4);   /* the edit made before the change */
	/* RETRANSMIT PASS is in force: retransmissions of the edited range reach TCPOut, which
	 * maps them to edited positions (their bytes are the original ones: see docs/flows.md) */
	push(r, seg(r, false, ACK, c, s0, "hello ads", SEC));
	assert_int_equal(tu_sink_count(r, "s"), n0 + 3);
	tu_push1(r, "o", 0, take(r));
	assert_int_equal(seq_of(tu_sink_pkt(r, "s2", tu_sink_count(r, "s2") - 1)), c);
	push(r, seg(r, false, ACK, c + 6, s0, "ds0123", SEC));     /* starts inside the removed bytes */
	tu_push1(r, "o", 0, take(r));
	assert_int_equal(seq_of(tu_sink_pkt(r, "s2", tu_sink_count(r, "s2") - 1)), c + 5);
	push(r, seg(r, false, ACK, c + 9, s0, "0123", SEC));       /* starts right after them */
	tu_push1(r, "o", 0, take(r));
	assert_int_equal(seq_of(tu_sink_pkt(r, "s2", tu_sink_count(r, "s2") - 1)), c + 5);
	assert_int_equal(tu_read_int(r, "t.retransmits"), 3);
	/* a replacement: TCPOut stays; the new TCPIn takes the old one's slot
	 * (same class and name), so the stream and its edits go on */
	struct el *old_o = rt_router_find(r, "o");
	uint32_t off0 = __atomic_load_n(&a->off, __ATOMIC_RELAXED);
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_hotconfig(r, "Idle -> fm :: FlowManager(SYMMETRIC true, RESERVE 1k) -> t :: TCPIn(TIMEOUT 9s)"
					  " -> sw :: Switch(0) -> s :: TestSink; sw[1] -> o :: TCPOut -> s2 :: TestSink;",
					  "hot.click", NULL, &err), 0);
	assert_ptr_equal(rt_router_find(r, "o"), old_o);
	assert_int_equal(tu_read_int(r, "t.released"), 1);   /* counters go on */
	push(r, seg(r, false, ACK, c + 25, s0, "more", SEC));
	assert_string_equal(tu_read(r, "t.flows"), "TCP 10.0.0.1:1234 10.0.0.2:80 29 0 0\n");
	assert_int_equal(__atomic_load_n(&a->off, __ATOMIC_RELAXED), off0);
	tu_push1(r, "o", 0, take(r));
	m = tu_sink_pkt(r, "s2", tu_sink_count(r, "s2") - 1);
	assert_int_equal(seq_of(m), c + 25 - 4);   /* the edit made before the replacement */
	flow_stream_detach(a);
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_maps),
		cmocka_unit_test(test_delta_fold_and_refuse),
		cmocka_unit_test(test_tcpin_reorders),
		cmocka_unit_test(test_tcpin_inconsistent_overlaps),
		cmocka_unit_test(test_tcpin_retransmit_pass),
		cmocka_unit_test(test_tcpin_hole_timeout_and_bound),
		cmocka_unit_test(test_edit_and_tcpout),
		cmocka_unit_test(test_tcpin_live_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
