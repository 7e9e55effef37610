/*
 * test_dump.c - the trace elements of elements/io: FromDump and ToDump
 * (pcap round trips on real captures, link types, truncation, time
 * windows, timing) and the IP summary dump pair (exact packet bytes and
 * exact text).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_ip.h>

#include "dump_util.h"

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

struct rec {
	uint32_t sec, usec;
	const uint8_t *data;
	uint32_t caplen, len;
};

/* A classic little-endian microsecond pcap file. */
static void write_pcap(const char *path, uint32_t linktype, uint32_t snaplen, const struct rec *r, int n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	uint32_t h[6] = {0xa1b2c3d4, 2 | (4u << 16), 0, 0, snaplen, linktype};
	fwrite(h, 4, 6, f);
	for (int i = 0; i < n; i++) {
		uint32_t ph[4] = {r[i].sec, r[i].usec, r[i].caplen, r[i].len ? r[i].len : r[i].caplen};
		fwrite(ph, 4, 4, f);
		fwrite(r[i].data, 1, r[i].caplen, f);
	}
	fclose(f);
}

static const char *data_dir(void)
{
	const char *d = getenv("MBOXSH_DATA");
	if (!d || !*d) {
		print_message("MBOXSH_DATA is not set: skipping tests on shared captures\n");
		return NULL;
	}
	return d;
}

static void assert_mem_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			fail_msg("byte %zu differs: %02x != %02x", i, a[i], b[i]);
}

/* ---- FromDump -> ToDump ----------------------------------------------------------- */

static void roundtrip(const char *dir, const char *name, unsigned snaplen, int npackets)
{
	char src[512], cfg[1400];
	snprintf(src, sizeof(src), "%s/pcaps/%s", dir, name);
	const char *out = tmp_path("rt.pcap");
	snprintf(cfg, sizeof(cfg),
		 "f :: FromDump(\"%s\", STOP true) -> c :: Counter -> t :: ToDump(\"%s\", SNAPLEN %u) -> Discard;", src, out, snaplen);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_string_equal(tu_read(r, "f.encap"), "ETHER");
	assert_int_equal(tu_run(r, 20000), 0); /* STOP true: stopped by itself */
	assert_int_equal(tu_read_int(r, "c.count"), npackets);
	assert_int_equal(tu_read_int(r, "f.count"), npackets);
	assert_int_equal(tu_read_int(r, "t.count"), npackets);
	assert_int_equal(tu_read_int(r, "f.truncated"), 0);
	assert_int_equal(tu_read_int(r, "f.filepos"), tu_read_int(r, "f.filesize"));
	assert_string_equal(tu_read(r, "t.filename"), out);
	/* the file is complete while the router still exists */
	size_t la, lb;
	uint8_t *a = slurp(src, &la), *b = slurp(out, &lb);
	assert_int_equal(la, lb);
	assert_mem_equal(a, b, la);
	free(a);
	free(b);
	tu_router_free(r);
}

static void test_fromdump_todump_identical(void **st)
{
	(void)st;
	const char *dir = data_dir();
	if (!dir)
		skip();
	/* frames up to 1514 bytes: all fit the 2048-byte mbuf data room */
	roundtrip(dir, "http_keepalive_chunked_gzip_3req.pcap", 65535, 32);
	roundtrip(dir, "icmp_echo_5pings.pcap", 262144, 10);
	roundtrip(dir, "mixed_browsing_http_dns_tls.pcap", 262144, 4709);
}

static void test_fromdump_rawip_capture(void **st)
{
	(void)st;
	const char *dir = data_dir();
	if (!dir)
		skip();
	char src[512], cfg[1400];
	snprintf(src, sizeof(src), "%s/pcaps/ipv6_http_4conn_rawip.pcap", dir);
	const char *out = tmp_path("raw.pcap");
	snprintf(cfg, sizeof(cfg), "f :: FromDump(\"%s\") -> t :: ToDump(\"%s\", 65535, IP) -> s :: TestSink;", src, out);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_string_equal(tu_read(r, "f.encap"), "IP");
	tu_run_tasks(r, 1000);
	assert_int_equal(tu_sink_count(r, "s"), 81);
	size_t la, lb;
	uint8_t *a = slurp(src, &la), *b = slurp(out, &lb);
	/* every packet is IPv6 with its network header at offset 0 and the
	 * bytes of its record */
	size_t off = 24;
	for (int i = 0; i < 81; i++) {
		struct rte_mbuf *m = tu_sink_pkt(r, "s", i);
		uint32_t sec, usec, caplen;
		memcpy(&sec, a + off, 4);
		memcpy(&usec, a + off + 4, 4);
		memcpy(&caplen, a + off + 8, 4);
		assert_int_equal(rt_len(m), caplen);
		assert_true(rt_has_nh(m));
		assert_int_equal(rt_nh_offset(m), 0);
		assert_int_equal(rt_data(m)[0] >> 4, 6);
		assert_int_equal(rt_anno(m)->timestamp, (uint64_t)sec * 1000000000ull + usec * 1000ull);
		assert_mem_equal(rt_data(m), a + off + 16, caplen);
		off += 16 + caplen;
	}
	/* ToDump(ENCAP IP) writes the same file except the link type: libpcap
	 * stores LINKTYPE_RAW (101) where this capture says 12 */
	assert_int_equal(la, lb);
	assert_int_equal(a[20], 12);
	assert_int_equal(b[20], 101);
	b[20] = 12;
	assert_mem_equal(a, b, la);
	free(a);
	free(b);
	tu_router_free(r);
}

static int ip4_packet(uint8_t *p, const char *src, const char *dst, int len)
{
	memset(p, 0, (size_t)len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8), p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 17;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	tu_ip_csum(p);
	return len;
}

static void test_fromdump_link_types(void **st)
{
	(void)st;
	uint8_t ip[40], junk[20], sll[56];
	ip4_packet(ip, "10.1.0.1", "10.2.0.2", 40);
	memset(junk, 0x11, sizeof(junk)); /* IP version 1: not IP */
	struct rec recs[2] = {{1, 0, ip, 40, 0}, {2, 0, junk, 20, 0}};
	/* raw IP link types force FORCE_IP: non-IP goes to output 1 */
	static const uint32_t raw_types[] = {12, 14, 101};
	for (int k = 0; k < 3; k++) {
		const char *path = tmp_path("raw_lt.pcap");
		write_pcap(path, raw_types[k], 65535, recs, 2);
		char cfg[400];
		snprintf(cfg, sizeof(cfg), "f :: FromDump(%s); f -> s :: TestSink; f[1] -> bad :: TestSink;", path);
		struct rt_router *r = tu_router(cfg, NULL);
		assert_string_equal(tu_read(r, "f.encap"), "IP");
		tu_run_tasks(r, 100);
		assert_int_equal(tu_sink_count(r, "s"), 1);
		assert_int_equal(tu_sink_count(r, "bad"), 1);
		struct rte_mbuf *m = tu_sink_pkt(r, "s", 0);
		assert_int_equal(rt_nh_offset(m), 0);
		uint32_t dst;
		inet_pton(AF_INET, "10.2.0.2", &dst);
		assert_int_equal(rt_anno(m)->dst_ip, dst);
		assert_false(rt_has_nh(tu_sink_pkt(r, "bad", 0)));
		assert_int_equal(tu_read_int(r, "f.count"), 1);
		tu_router_free(r);
	}
	/* Linux cooked capture with FORCE_IP: network header after 16 bytes */
	memset(sll, 0, 16);
	sll[14] = 0x08, sll[15] = 0x00;
	memcpy(sll + 16, ip, 40);
	struct rec srec = {5, 250000, sll, 56, 0};
	const char *path = tmp_path("sll.pcap");
	write_pcap(path, 113, 65535, &srec, 1);
	char cfg[400];
	snprintf(cfg, sizeof(cfg), "f :: FromDump(%s, FORCE_IP true) -> s :: TestSink;", path);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_string_equal(tu_read(r, "f.encap"), "SLL");
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "s"), 1);
	struct rte_mbuf *m = tu_sink_pkt(r, "s", 0);
	assert_int_equal(rt_len(m), 56);
	assert_int_equal(rt_nh_offset(m), 16);
	assert_int_equal(rt_anno(m)->timestamp, 5250000000ull);
	tu_router_free(r);
	/* Ethernet without FORCE_IP: frames as they are, no network header */
	uint8_t eth[54];
	memset(eth, 0xff, 12);
	eth[12] = 0x08, eth[13] = 0x00;
	memcpy(eth + 14, ip, 40);
	struct rec erec = {7, 0, eth, 54, 0};
	write_pcap(path, 1, 65535, &erec, 1);
	r = tu_router(cfg, NULL); /* FORCE_IP true: Ethernet IPv4 -> nh 14 */
	tu_run_tasks(r, 100);
	assert_int_equal(rt_nh_offset(tu_sink_pkt(r, "s", 0)), 14);
	tu_router_free(r);
	snprintf(cfg, sizeof(cfg), "f :: FromDump(%s) -> s :: TestSink;", path);
	r = tu_router(cfg, NULL);
	tu_run_tasks(r, 100);
	assert_false(rt_has_nh(tu_sink_pkt(r, "s", 0)));
	tu_router_free(r);
}

static void test_fromdump_truncates_big_frames(void **st)
{
	(void)st;
	static uint8_t big[3000];
	for (int i = 0; i < 3000; i++)
		big[i] = (uint8_t)i;
	uint8_t small[64];
	memset(small, 7, sizeof(small));
	struct rec recs[2] = {{1, 0, big, 3000, 0}, {1, 1, small, 64, 0}};
	const char *path = tmp_path("big.pcap");
	write_pcap(path, 1, 65535, recs, 2);
	char cfg[400];
	snprintf(cfg, sizeof(cfg), "f :: FromDump(%s) -> s :: TestSink;", path);
	struct rt_router *r = tu_router(cfg, NULL);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "s"), 2);
	struct rte_mbuf *m = tu_sink_pkt(r, "s", 0);
	assert_int_equal(rt_len(m), 2048);
	assert_mem_equal(rt_data(m), big, 2048);
	assert_int_equal(rt_len(tu_sink_pkt(r, "s", 1)), 64);
	assert_int_equal(tu_read_int(r, "f.truncated"), 1);
	tu_router_free(r);
}

/* Five packets at t = 1..5 s, each 60 bytes with its index in byte 0. */
static const char *five_packets(void)
{
	static uint8_t pk[5][60];
	struct rec recs[5];
	for (int i = 0; i < 5; i++) {
		memset(pk[i], 0, 60);
		pk[i][0] = (uint8_t)(i + 1);
		recs[i] = (struct rec){(uint32_t)(i + 1), 0, pk[i], 60, 0};
	}
	const char *path = tmp_path("five.pcap");
	write_pcap(path, 1, 65535, recs, 5);
	return path;
}

static void test_fromdump_handlers_and_windows(void **st)
{
	(void)st;
	const char *path = five_packets();
	char cfg[400];
	snprintf(cfg, sizeof(cfg), "f :: FromDump(%s, ACTIVE false) -> s :: TestSink;", path);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_string_equal(tu_read(r, "f.filename"), path);
	assert_int_equal(tu_read_int(r, "f.filesize"), 24 + 5 * (16 + 60));
	assert_string_equal(tu_read(r, "f.active"), "false");
	tu_run_tasks(r, 50);
	assert_int_equal(tu_sink_count(r, "s"), 0);
	assert_int_equal(tu_write(r, "f.active", "true", NULL), 0);
	tu_run_tasks(r, 50);
	assert_int_equal(tu_sink_count(r, "s"), 5);
	assert_int_equal(tu_read_int(r, "f.count"), 5);
	assert_int_equal(tu_read_int(r, "f.packet_filepos"), 24 + 4 * 76);
	assert_int_equal(tu_write(r, "f.reset_counts", "", NULL), 0);
	assert_int_equal(tu_read_int(r, "f.count"), 0);
	/* seek back to the third record and read again */
	assert_int_equal(tu_write(r, "f.filepos", "176", NULL), 0);
	tu_run_tasks(r, 50);
	assert_int_equal(tu_sink_count(r, "s"), 8);
	assert_int_equal(rt_data(tu_sink_pkt(r, "s", 5))[0], 3);
	assert_int_equal(tu_read_int(r, "f.count"), 3);
	struct rt_err err;
	assert_int_equal(tu_write(r, "f.active", "maybe", &err), -EINVAL);
	assert_int_equal(tu_write(r, "f.extend_interval", "soon", &err), -EINVAL);
	assert_string_equal(tu_read(r, "f.sampling_prob"), "1");
	tu_router_free(r);

	/* START_AFTER 1s skips t=1; END_AFTER 3s ends at t=4 (that packet is
	 * consumed), then ACTIVE is false; extend_interval reopens the window */
	snprintf(cfg, sizeof(cfg), "f :: FromDump(%s, START_AFTER 1s, END_AFTER 3s) -> s :: TestSink;", path);
	r = tu_router(cfg, NULL);
	tu_run_tasks(r, 50);
	assert_int_equal(tu_sink_count(r, "s"), 2);
	assert_int_equal(rt_data(tu_sink_pkt(r, "s", 0))[0], 2);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 1))->timestamp, 3000000000ull);
	assert_string_equal(tu_read(r, "f.active"), "false");
	assert_int_equal(tu_write(r, "f.extend_interval", "2", NULL), 0);
	assert_string_equal(tu_read(r, "f.active"), "true");
	tu_run_tasks(r, 50);
	assert_int_equal(tu_sink_count(r, "s"), 3);
	assert_int_equal(rt_data(tu_sink_pkt(r, "s", 2))[0], 5);
	tu_router_free(r);

	/* absolute START / END */
	snprintf(cfg, sizeof(cfg), "f :: FromDump(%s, START 2.5, END 4) -> s :: TestSink;", path);
	r = tu_router(cfg, NULL);
	tu_run_tasks(r, 50);
	assert_int_equal(tu_sink_count(r, "s"), 1);
	assert_int_equal(rt_data(tu_sink_pkt(r, "s", 0))[0], 3);
	tu_router_free(r);

	/* SAMPLE 0 emits nothing */
	snprintf(cfg, sizeof(cfg), "f :: FromDump(%s, SAMPLE 0) -> s :: TestSink;", path);
	r = tu_router(cfg, NULL);
	tu_run_tasks(r, 50);
	assert_int_equal(tu_sink_count(r, "s"), 0);
	tu_router_free(r);
}

static void test_fromdump_timing(void **st)
{
	(void)st;
	static uint8_t pk[3][60];
	struct rec recs[3];
	for (int i = 0; i < 3; i++)
		recs[i] = (struct rec){100, (uint32_t)(40000 * i), pk[i], 60, 0}; /* 0, 40, 80 ms */
	const char *path = tmp_path("timing.pcap");
	write_pcap(path, 1, 65535, recs, 3);
	char cfg[400];
	snprintf(cfg, sizeof(cfg), "f :: FromDump(%s, TIMING true) -> s :: TestSink;", path);
	struct rt_router *r = tu_router(cfg, NULL);
	uint64_t t0 = rt_now_ns();
	tu_run_tasks(r, 3);
	assert_int_equal(tu_sink_count(r, "s"), 1); /* the first leaves at once */
	while (tu_sink_count(r, "s") < 3 && rt_now_ns() - t0 < 5000000000ull)
		tu_run_tasks(r, 3);
	uint64_t dt = rt_now_ns() - t0;
	assert_int_equal(tu_sink_count(r, "s"), 3);
	assert_true(dt >= 80000000ull);
	tu_router_free(r);
}

static void test_fromdump_errors(void **st)
{
	(void)st;
	tu_expect_error("f :: FromDump(/nonexistent/x.pcap) -> Discard;",
			"test.click:1:1: f: /nonexistent/x.pcap: No such file or directory");
	tu_expect_error("f :: FromDump() -> Discard;", "test.click:1:1: f: missing mandatory argument 'FILENAME'");
	const char *path = five_packets();
	char cfg[400], msg[500];
	snprintf(cfg, sizeof(cfg), "f :: FromDump(%s, START 1, START_AFTER 1) -> Discard;", path);
	tu_expect_error(cfg, "test.click:1:1: f: START and START_AFTER are mutually exclusive");
	snprintf(cfg, sizeof(cfg), "f :: FromDump(%s, END 1, INTERVAL 1) -> Discard;", path);
	tu_expect_error(cfg, "test.click:1:1: f: END, END_AFTER, and INTERVAL are mutually exclusive");
	snprintf(cfg, sizeof(cfg), "f :: FromDump(%s, TIMING maybe) -> Discard;", path);
	tu_expect_error(cfg, "test.click:1:1: f: TIMING: expected boolean, not 'maybe'");
	uint8_t x[10] = {0};
	struct rec rec = {1, 0, x, 10, 0};
	const char *wifi = tmp_path("wifi.pcap");
	write_pcap(wifi, 105, 65535, &rec, 1);
	snprintf(cfg, sizeof(cfg), "f :: FromDump(%s, FORCE_IP true) -> Discard;", wifi);
	snprintf(msg, sizeof(msg), "test.click:1:1: f: %s: unknown linktype 105; can't force IP packets", wifi);
	tu_expect_error(cfg, msg);
}

/* ---- ToDump ------------------------------------------------------------------------ */

static void test_todump_records(void **st)
{
	(void)st;
	const char *out = tmp_path("td.pcap");
	char cfg[400];
	snprintf(cfg, sizeof(cfg), "Idle -> t :: ToDump(%s, SNAPLEN 60) -> s :: TestSink;", out);
	struct rt_router *r = tu_router(cfg, NULL);
	uint8_t buf[100];
	for (int i = 0; i < 100; i++)
		buf[i] = (uint8_t)i;
	struct rte_mbuf *m[2] = {tu_pkt(r, buf, 100), tu_pkt(r, buf, 30)};
	rt_anno(m[0])->timestamp = 1500000000ull; /* 1.5 s */
	rt_anno(m[1])->timestamp = 0;             /* now */
	uint64_t before = rt_wall_ns() / 1000000000ull;
	tu_push(r, "t", 0, m, 2);
	assert_int_equal(tu_sink_count(r, "s"), 2); /* passed on */
	assert_int_equal(tu_read_int(r, "t.count"), 2);
	size_t len;
	uint8_t *f = slurp(out, &len);
	assert_int_equal(len, 24 + 16 + 60 + 16 + 30);
	uint32_t h[6], ph[4];
	memcpy(h, f, 24);
	assert_int_equal(h[0], 0xa1b2c3d4);
	assert_int_equal(h[4], 60);
	assert_int_equal(h[5], 1);
	memcpy(ph, f + 24, 16);
	assert_int_equal(ph[0], 1);
	assert_int_equal(ph[1], 500000);
	assert_int_equal(ph[2], 60);
	assert_int_equal(ph[3], 100);
	assert_mem_equal(f + 40, buf, 60);
	memcpy(ph, f + 100, 16);
	assert_true(ph[0] >= before && ph[0] <= before + 5);
	assert_int_equal(ph[2], 30);
	assert_int_equal(ph[3], 30);
	free(f);
	assert_int_equal(tu_write(r, "t.reset_counts", "", NULL), 0);
	assert_int_equal(tu_read_int(r, "t.count"), 0);
	tu_router_free(r);

	/* ENCAP IP */
	snprintf(cfg, sizeof(cfg), "s :: InfiniteSource(LIMIT 5) -> t :: ToDump(%s, ENCAP IP) -> Discard;", out);
	r = tu_router(cfg, NULL);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_read_int(r, "t.count"), 5);
	tu_router_free(r);
	f = slurp(out, &len);
	memcpy(h, f, 24);
	assert_int_equal(h[4], 2000);
	assert_int_equal(h[5], 101);
	assert_int_equal(len, 24 + 5 * (16 + 69));
	free(f);

	snprintf(cfg, sizeof(cfg), "Idle -> t :: ToDump(%s, ENCAP FOO) -> Discard;", out);
	tu_expect_error(cfg, "test.click:1:9: t: ENCAP: bad encapsulation type 'FOO'");
	tu_expect_error("s :: InfiniteSource(LIMIT 0) -> t :: ToDump(/nonexistent/dir/x.pcap) -> Discard;",
			"test.click:1:33: t: /nonexistent/dir/x.pcap: No such file or directory");
}

/* ---- FromIPSummaryDump ---------------------------------------------------------------- */

static const char sumdump[] =
	"!IPSummaryDump 1.3\n"
	"!creator \"test\"\n"
	"!data timestamp ip_src sport ip_dst dport ip_proto ip_len tcp_seq tcp_ack tcp_flags ip_ttl ip_id ip_tos payload\n"
	"1000000000.250000 10.0.0.1 1234 10.0.0.2 80 T 60 100 200 SA 64 7 16 \"hello\\n\"\n"
	"# a comment\n"
	"\n"
	"- 10.0.0.3 53 10.0.0.4 5353 U - - - - 32 - - \"\\001\\377abc\"\n"
	"!data src dst proto icmp_type icmp_code\n"
	"10.0.0.5 10.0.0.6 I 8 0\n"
	"!data src dst\n"
	"10.0.0.7 10.0.0.8\n"
	"x y\n";

static void expect_pkt(struct rte_mbuf *m, const uint8_t *want, uint32_t len)
{
	assert_int_equal(rt_len(m), len);
	assert_mem_equal(rt_data(m), want, len);
	assert_true(rt_has_nh(m));
	assert_int_equal(rt_nh_offset(m), 0);
	uint32_t dst;
	memcpy(&dst, want + 16, 4);
	assert_int_equal(rt_anno(m)->dst_ip, dst);
}

static void l4_csum(uint8_t *ip)
{
	uint8_t *t = ip + 20;
	uint16_t c;
	if (ip[9] == 1) {
		t[2] = t[3] = 0;
		c = (uint16_t)~rte_raw_cksum(t, (size_t)((ip[2] << 8 | ip[3]) - 20));
		memcpy(t + 2, &c, 2);
		return;
	}
	int at = ip[9] == 6 ? 16 : 6;
	t[at] = t[at + 1] = 0;
	c = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)ip, t);
	memcpy(t + at, &c, 2);
}

static void test_fromipsummarydump_packets(void **st)
{
	(void)st;
	const char *path = tmp_path("in.ipsum");
	spit(path, sumdump);
	char cfg[400];
	snprintf(cfg, sizeof(cfg), "f :: FromIPSummaryDump(%s, CHECKSUM true, STOP true) -> s :: TestSink;", path);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_string_equal(tu_read(r, "f.encap"), "IP");
	assert_int_equal(tu_run(r, 5000), 0); /* STOP true */
	assert_int_equal(tu_sink_count(r, "s"), 4);
	assert_int_equal(tu_read_int(r, "f.count"), 4);
	assert_int_equal(tu_read_int(r, "f.errors"), 1); /* "x y" */

	uint8_t p1[60] = {0x45, 0x10, 0x00, 0x3c, 0x00, 0x07, 0x00, 0x00, 0x40, 0x06, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
			  0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 100, 0, 0, 0, 200, 0x50, 0x12, 0, 0, 0, 0, 0, 0,
			  'h', 'e', 'l', 'l', 'o', '\n'};
	tu_ip_csum(p1);
	l4_csum(p1);
	expect_pkt(tu_sink_pkt(r, "s", 0), p1, 60);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 0))->timestamp, 1000000000250000000ull);

	uint8_t p2[33] = {0x45, 0, 0, 33, 0, 0, 0, 0, 32, 17, 0, 0, 10, 0, 0, 3, 10, 0, 0, 4,
			  0, 53, 0x14, 0xe9, 0, 13, 0, 0, 0x01, 0xff, 'a', 'b', 'c'};
	tu_ip_csum(p2);
	l4_csum(p2);
	expect_pkt(tu_sink_pkt(r, "s", 1), p2, 33);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 1))->timestamp, 0);

	uint8_t p3[28] = {0x45, 0, 0, 28, 0, 0, 0, 0, 100, 1, 0, 0, 10, 0, 0, 5, 10, 0, 0, 6, 8, 0};
	tu_ip_csum(p3);
	l4_csum(p3);
	expect_pkt(tu_sink_pkt(r, "s", 2), p3, 28);

	uint8_t p4[40] = {0x45, 0, 0, 40, 0, 0, 0, 0, 100, 6, 0, 0, 10, 0, 0, 7, 10, 0, 0, 8,
			  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0};
	tu_ip_csum(p4);
	l4_csum(p4);
	expect_pkt(tu_sink_pkt(r, "s", 3), p4, 40);
	tu_router_free(r);

	/* CHECKSUM false (Click's default): checksum fields stay zero */
	snprintf(cfg, sizeof(cfg), "f :: FromIPSummaryDump(%s) -> s :: TestSink;", path);
	r = tu_router(cfg, NULL);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "s"), 4);
	p1[10] = p1[11] = 0;
	p1[36] = p1[37] = 0;
	assert_int_equal(rt_len(tu_sink_pkt(r, "s", 0)), 60);
	assert_mem_equal(rt_data(tu_sink_pkt(r, "s", 0)), p1, 60);
	tu_router_free(r);
}

static void test_fromipsummarydump_options(void **st)
{
	(void)st;
	/* no !data line: CONTENTS; FLOWID and PROTO defaults; ACTIVE false */
	const char *path = tmp_path("noheader.ipsum");
	spit(path, "100\n200 T\n");
	char cfg[500];
	snprintf(cfg, sizeof(cfg),
		 "f :: FromIPSummaryDump(%s, CONTENTS \"ip_len ip_proto\", FLOWID \"1.2.3.4 10 5.6.7.8 20\", PROTO U, "
		 "ACTIVE false) -> s :: TestSink;",
		 path);
	struct rt_router *r = tu_router(cfg, NULL);
	tu_run_tasks(r, 20);
	assert_int_equal(tu_sink_count(r, "s"), 0);
	assert_int_equal(tu_write(r, "f.active", "true", NULL), 0);
	tu_run_tasks(r, 20);
	assert_int_equal(tu_sink_count(r, "s"), 2);
	struct rte_mbuf *m = tu_sink_pkt(r, "s", 0);
	const uint8_t *d = rt_data(m);
	assert_int_equal(rt_len(m), 100);
	assert_int_equal(d[9], 17);
	assert_int_equal(d[2] << 8 | d[3], 100);
	uint8_t want[8] = {0, 10, 0, 20, 0, 80, 0, 0}; /* ports from FLOWID, UDP length 80 */
	assert_mem_equal(d + 20, want, 8);
	assert_int_equal(d[12], 1);
	assert_int_equal(d[19], 8);
	m = tu_sink_pkt(r, "s", 1);
	assert_int_equal(rt_len(m), 200);
	assert_int_equal(rt_data(m)[9], 6);
	assert_int_equal(rt_data(m)[32], 0x50);
	assert_string_equal(tu_read(r, "f.filename"), path);
	assert_int_equal(tu_read_int(r, "f.filesize"), 10);
	tu_router_free(r);

	tu_expect_error("f :: FromIPSummaryDump(/nonexistent/x) -> Discard;",
			"test.click:1:1: f: /nonexistent/x: No such file or directory");
	r = tu_router("f :: FromIPSummaryDump(/nonexistent/x, ALLOW_NONEXISTENT true) -> s :: TestSink;", NULL);
	tu_run_tasks(r, 10);
	assert_int_equal(tu_sink_count(r, "s"), 0);
	tu_router_free(r);
	snprintf(cfg, sizeof(cfg), "f :: FromIPSummaryDump(%s, PROTO X) -> Discard;", path);
	tu_expect_error(cfg, "test.click:1:1: f: PROTO: expected an IP protocol, not 'X'");
	snprintf(cfg, sizeof(cfg), "f :: FromIPSummaryDump(%s, FLOWID \"1.2.3.4 10\") -> Discard;", path);
	tu_expect_error(cfg, "test.click:1:1: f: FLOWID: bad flow ID '1.2.3.4 10'");
}

/* ---- ToIPSummaryDump ---------------------------------------------------------------------- */

static struct rte_mbuf *eth_ip_pkt(struct rt_router *r, const uint8_t *buf, int len, uint64_t ts)
{
	struct rte_mbuf *m = tu_pkt(r, buf, (uint32_t)len);
	rt_set_nh(m, 14);
	rt_anno(m)->timestamp = ts;
	return m;
}

static void test_toipsummarydump_text(void **st)
{
	(void)st;
	const char *out = tmp_path("out.ipsum");
	char cfg[500];
	snprintf(cfg, sizeof(cfg),
		 "Idle -> t :: ToIPSummaryDump(%s, FIELDS timestamp src sport dst dport proto len tcp_seq tcp_flags ttl "
		 "ip_frag payload, BANNER \"test \\\"x\\\"\") -> s :: TestSink;",
		 out);
	struct rt_router *r = tu_router(cfg, NULL);
	uint8_t buf[200];
	struct rte_mbuf *m[3];
	int n = tu_build_tcp(buf, "10.0.0.1", "10.0.0.2", 1234, 80, 0x12, 1000, "hello", 5);
	m[0] = eth_ip_pkt(r, buf, n, 1500000000ull);
	n = tu_build_udp(buf, "10.0.0.3", "10.0.0.4", 53, 5353, "ab\"c\n", 5);
	m[1] = eth_ip_pkt(r, buf, n, 2000001000ull);
	n = tu_build_tcp(buf, "10.0.0.1", "10.0.0.2", 1234, 80, 0x18, 7, NULL, 0);
	buf[14 + 6] = 0x40; /* DF */
	tu_ip_csum(buf + 14);
	m[2] = eth_ip_pkt(r, buf, n, 3000000000ull);
	tu_push(r, "t", 0, m, 3);
	assert_int_equal(tu_sink_count(r, "s"), 3);
	assert_int_equal(tu_read_int(r, "t.count"), 3);
	size_t len;
	char *text = (char *)slurp(out, &len);
	assert_string_equal(text,
			    "!IPSummaryDump 1.3\n"
			    "!creator \"test \\\"x\\\"\"\n"
			    "!data timestamp ip_src sport ip_dst dport ip_proto ip_len tcp_seq tcp_flags ip_ttl ip_frag payload\n"
			    "1.500000 10.0.0.1 1234 10.0.0.2 80 T 45 1000 SA 64 . \"hello\"\n"
			    "2.000001 10.0.0.3 53 10.0.0.4 5353 U 33 - - 64 . \"ab\\\"c\\n\"\n"
			    "3.000000 10.0.0.1 1234 10.0.0.2 80 T 40 7 PA 64 ! \"\"\n");
	free(text);
	tu_router_free(r);

	/* ICMP and a non-IP frame without a network header; no header lines */
	snprintf(cfg, sizeof(cfg),
		 "Idle -> t :: ToIPSummaryDump(%s, CONTENTS \"src dst proto len sport icmp_type icmp_code direction wire_len "
		 "ip_ttl\", HEADER false) -> Discard;",
		 out);
	r = tu_router(cfg, NULL);
	n = tu_build_icmp_echo(buf, "10.0.0.5", "10.0.0.6", 7, 1);
	m[0] = eth_ip_pkt(r, buf, n, 0);
	memset(buf, 0xff, 60);
	buf[12] = 0x08, buf[13] = 0x06;
	m[1] = tu_pkt(r, buf, 60);
	rt_anno(m[1])->paint = 1;
	/* a raw IP packet without annotation: read at offset 0 */
	uint8_t ip[28];
	ip4_packet(ip, "10.9.9.9", "10.8.8.8", 28);
	m[2] = tu_pkt(r, ip, 28);
	tu_push(r, "t", 0, m, 3);
	text = (char *)slurp(out, &len);
	assert_string_equal(text, "10.0.0.5 10.0.0.6 I 60 - 8 0 > 74 64\n"
				  "- - - 60 - - - < 60 -\n"
				  "10.9.9.9 10.8.8.8 U 28 0 - - > 28 64\n");
	free(text);
	tu_router_free(r);

	/* default fields: timestamp ip_src */
	snprintf(cfg, sizeof(cfg), "s :: InfiniteSource(LIMIT 0) -> t :: ToIPSummaryDump(%s, VERBOSE false) -> Discard;", out);
	r = tu_router(cfg, NULL);
	text = (char *)slurp(out, &len);
	assert_string_equal(text, "!IPSummaryDump 1.3\n!data timestamp ip_src\n");
	free(text);
	tu_router_free(r);

	snprintf(cfg, sizeof(cfg), "s :: InfiniteSource(LIMIT 0) -> t :: ToIPSummaryDump(%s, FIELDS src bogus) -> Discard;", out);
	tu_expect_error(cfg, "test.click:1:33: t: FIELDS: unknown content type 'bogus'");
	snprintf(cfg, sizeof(cfg), "s :: InfiniteSource(LIMIT 0) -> t :: ToIPSummaryDump(%s, BINARY true) -> Discard;", out);
	tu_expect_error(cfg, "test.click:1:33: t: BINARY: binary dumps are not supported");
}

/* ToIPSummaryDump's text read back by FromIPSummaryDump gives the same
 * IP headers (for the fields written). */
static void test_ipsummarydump_roundtrip(void **st)
{
	(void)st;
	const char *out = tmp_path("rt.ipsum");
	char cfg[600];
	snprintf(cfg, sizeof(cfg),
		 "Idle -> t :: ToIPSummaryDump(%s, FIELDS ts src dst sport dport proto ip_id ip_ttl ip_tos len tcp_seq tcp_ack "
		 "tcp_flags tcp_window tcp_urp payload) -> Discard;",
		 out);
	struct rt_router *r = tu_router(cfg, NULL);
	uint8_t buf[200];
	int n = tu_build_tcp(buf, "192.168.1.1", "192.168.1.2", 40000, 443, 0x19, 123456789, "GET /\r\n", 7);
	buf[14 + 4] = 0x12, buf[14 + 5] = 0x34; /* IP id */
	tu_ip_csum(buf + 14);
	struct rte_mbuf *m = eth_ip_pkt(r, buf, n, 42000007000ull);
	tu_push1(r, "t", 0, m);
	tu_router_free(r);
	snprintf(cfg, sizeof(cfg), "f :: FromIPSummaryDump(%s, CHECKSUM true) -> s :: TestSink;", out);
	r = tu_router(cfg, NULL);
	tu_run_tasks(r, 20);
	assert_int_equal(tu_sink_count(r, "s"), 1);
	m = tu_sink_pkt(r, "s", 0);
	assert_int_equal(rt_len(m), (uint32_t)n - 14);
	assert_mem_equal(rt_data(m), buf + 14, (size_t)n - 14);
	assert_int_equal(rt_anno(m)->timestamp, 42000007000ull);
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fromdump_todump_identical),
		cmocka_unit_test(test_fromdump_rawip_capture),
		cmocka_unit_test(test_fromdump_link_types),
		cmocka_unit_test(test_fromdump_truncates_big_frames),
		cmocka_unit_test(test_fromdump_handlers_and_windows),
		cmocka_unit_test(test_fromdump_timing),
		cmocka_unit_test(test_fromdump_errors),
		cmocka_unit_test(test_todump_records),
		cmocka_unit_test(test_fromipsummarydump_packets),
		cmocka_unit_test(test_fromipsummarydump_options),
		cmocka_unit_test(test_toipsummarydump_text),
		cmocka_unit_test(test_ipsummarydump_roundtrip),
	};
	return cmocka_run_group_tests_name("dump", tests, NULL, teardown);
}
