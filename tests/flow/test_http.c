/*
 * test_http.c - the HTTP parser of flow/flow_http.h (lines, chunk sizes and
 * bodies split anywhere), HTTPIn's per-flow results and counters, and
 * HTTPFilter between TCPIn and TCPOut (a pattern split across segments,
 * the Content-Length response turned into a chunked one, seq/ack of both
 * directions kept consistent).
 */
#include <stdio.h>
#include <stdlib.h>

#include <rte_ip.h>

#include "tu.h"
#include "flow/flow_http.h"
#include "flow/flow_stream.h"

#define SEC 1000000000ull
#define SYN 0x02
#define ACK 0x10
#define CLI "10.0.0.1"
#define SRV "10.0.0.2"

struct rec {
	int hdrs, ends;
	char body[4096];
	size_t blen;
	const uint8_t *base;
};

static void r_hdr(void *c, struct fh_dir *d, uint32_t off) { (void)d, (void)off, ((struct rec *)c)->hdrs++; }
static void r_end(void *c, struct fh_dir *d, uint32_t off) { (void)d, (void)off, ((struct rec *)c)->ends++; }
static void r_body(void *c, struct fh_dir *d, uint32_t off, uint32_t len)
{
	(void)d;
	struct rec *r = c;
	memcpy(r->body + r->blen, r->base + off, len);
	r->blen += len;
}

/* Feed s in pieces of `step` bytes (a request direction queues its
 * methods in resp). */
static void feed2(struct fh_dir *d, struct fh_dir *resp, const char *s, size_t step, struct rec *r)
{
	const struct fh_cb cb = { r, r_hdr, r_body, r_end };
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;
		r->base = (const uint8_t *)s + i;
		flow_http_parse(d, resp, (const uint8_t *)s + i, (uint32_t)k, &cb);
	}
	r->body[r->blen] = 0;
}

static void feed(struct fh_dir *d, const char *s, size_t step, struct rec *r) { feed2(d, NULL, s, step, r); }

static const char REQS[] = "GET /a/b?c=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: t\r\n\r\n"
			   "POST /form HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello"
			   "HEAD / HTTP/1.0\r\n\r\n";
static const char RESPS[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 11\r\n\r\nhello world"
			    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
			    "5\r\nabcde\r\n10;ext=1\r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\n\r\n"
			    "HTTP/1.1 204 No Content\r\n\r\n"
			    "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!";

static void test_parser_any_split(void **st)
{
	(void)st;
	for (size_t step = 1; step <= sizeof(RESPS); step += (step < 8 ? 1 : 13)) {
		struct fh_dir q, a;
		struct rec rq = {0}, ra = {0};
		memset(&q, 0, sizeof(q));
		memset(&a, 0, sizeof(a));
		a.response = 1;
		feed(&q, REQS, step, &rq);
		assert_int_equal(rq.hdrs, 3);
		assert_int_equal(rq.ends, 3);
		assert_string_equal(rq.body, "hello");
		assert_int_equal(q.msg.method, FH_M_HEAD);
		assert_int_equal(q.msg.version, 10);
		assert_int_equal(q.state, FH_START);
		feed(&a, RESPS, step, &ra);
		assert_int_equal(ra.hdrs, 4);
		assert_int_equal(ra.ends, 4);
		assert_string_equal(ra.body, "hello worldabcde0123456789abcdefno!");
		assert_int_equal(a.msg.status, 404);
		assert_int_equal(a.body_bytes, 11 + 5 + 16 + 3);
		assert_int_equal(a.state, FH_START);
	}
	/* the response to a HEAD has no body, whatever its Content-Length says */
	{
		struct fh_dir q2, a2;
		struct rec r2 = {0}, ra2 = {0};
		memset(&q2, 0, sizeof(q2));
		memset(&a2, 0, sizeof(a2));
		a2.response = 1;
		feed2(&q2, &a2, "HEAD /big HTTP/1.1\r\nHost: h\r\n\r\nGET /small HTTP/1.1\r\nHost: h\r\n\r\n", 5, &r2);
		assert_int_equal(a2.npend, 2);
		feed(&a2, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"
			  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 9, &ra2);
		assert_int_equal(ra2.ends, 3);
		assert_string_equal(ra2.body, "ok");
		assert_int_equal(a2.msg.method, FH_M_GET);
		assert_int_equal(a2.npend, 0);
		assert_int_equal(a2.state, FH_START);
	}
	/* fields of one request */
	struct fh_dir q;
	struct rec r = {0};
	memset(&q, 0, sizeof(q));
	feed(&q, "GET /a/b?c=1 HTTP/1.1\r\nhOsT:   www.example.com  \r\n\r\n", 3, &r);
	assert_int_equal(q.msg.method, FH_M_GET);
	assert_string_equal(q.msg.path, "/a/b?c=1");
	assert_string_equal(q.msg.host, "www.example.com");
	/* a request line longer than the line buffer keeps the start of its URL */
	char longreq[400] = "SEARCH /";
	memset(longreq + 8, 'A', 300);
	strcpy(longreq + 308, " HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
	memset(&q, 0, sizeof(q));
	memset(&r, 0, sizeof(r));
	feed(&q, longreq, 7, &r);
	assert_int_equal(q.msg.method, FH_M_OTHER);
	assert_int_equal(strlen(q.msg.path), sizeof(q.msg.path) - 1);
	assert_string_equal(q.msg.host, "h");
	assert_int_equal(r.ends, 1);
	assert_string_equal(r.body, "abc");
	/* not HTTP: the direction stops */
	memset(&q, 0, sizeof(q));
	q.response = 1;
	feed(&q, "SSH-2.0-OpenSSH\r\n", 4, &r);
	assert_int_equal(q.state, FH_LOST);
}

/* ---- elements on packets ---------------------------------------------------- */

static struct rte_mbuf *seg(struct rt_router *r, bool reply, uint8_t fl, uint32_t seq, uint32_t ack, const char *pl)
{
	return reply ? tu_tcp_seg(r, SRV, CLI, 80, 1234, fl, seq, ack, pl, SEC)
		     : tu_tcp_seg(r, CLI, SRV, 1234, 80, fl, seq, ack, pl, SEC);
}

static void push(struct rt_router *r, struct rte_mbuf *m) { tu_push1(r, "fm", 0, m); }

static void handshake(struct rt_router *r, uint32_t c, uint32_t s)
{
	push(r, seg(r, false, SYN, c - 1, 0, NULL));
	push(r, seg(r, true, SYN | ACK, s - 1, c, NULL));
	push(r, seg(r, false, ACK, c, s, NULL));
}

/* Send stream bytes [cuts[k], cuts[k+1]) as segments, in the given order. */
static void send_pieces(struct rt_router *r, bool reply, uint32_t seq, uint32_t ack, const char *stream,
			const int *cuts, int n, const int *order, int norder)
{
	char piece[1600];
	for (int i = 0; i < norder; i++) {
		int k = order[i], a = cuts[k], b = k + 1 < n ? cuts[k + 1] : (int)strlen(stream);
		memcpy(piece, stream + a, (size_t)(b - a));
		piece[b - a] = 0;
		push(r, seg(r, reply, ACK, seq + (uint32_t)a, ack, piece));
	}
}

static void test_httpin_counts(void **st)
{
	(void)st;
	tu_eal();
	struct rt_router *r = tu_router("Idle -> fm :: FlowManager(SYMMETRIC true, RESERVE 2k) -> t :: TCPIn -> h :: HTTPIn"
					" -> s :: TestSink;", NULL);
	uint32_t c = 101, s = 5001;
	handshake(r, c, s);
	/* two requests cut in odd places, sent out of order: TCPIn puts them back */
	const char *req = "GET /one HTTP/1.1\r\nHost: x.org\r\n\r\nPOST /two HTTP/1.1\r\nContent-Length: 2\r\nHost: y\r\n\r\nok";
	const int rc[] = { 0, 10, 40 }, ro[] = { 2, 0 }, ro2[] = { 1 };
	send_pieces(r, false, c, s, req, rc, 3, ro, 2);
	assert_int_equal(tu_read_int(r, "h.requests"), 0);
	assert_int_equal(tu_read_int(r, "t.held"), 1);
	send_pieces(r, false, c, s, req, rc, 3, ro2, 1);
	assert_int_equal(tu_read_int(r, "h.requests"), 2);
	assert_string_equal(tu_read(r, "h.methods"), "GET 1\nPOST 1\n");
	uint32_t creq = (uint32_t)strlen(req);
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 4\r\n\r\nbody"
			   "HTTP/1.1 404 Nope\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n!\r\n0\r\n\r\n";
	const int sc[] = { 0, 50, 100 }, so[] = { 0, 1, 2 };
	send_pieces(r, true, s, c + creq, resp, sc, 3, so, 3);
	assert_int_equal(tu_read_int(r, "h.responses"), 2);
	assert_string_equal(tu_read(r, "h.statuses"), "2xx 1\n4xx 1\n");
	assert_int_equal(tu_read_int(r, "h.chunked"), 1);
	assert_int_equal(tu_read_int(r, "h.complete"), 4);
	assert_int_equal(tu_read_int(r, "h.body_bytes"), 2 + 4 + 1);
	assert_int_equal(tu_read_int(r, "h.lost"), 0);
	assert_string_equal(tu_read(r, "h.flows"), "TCP 10.0.0.1:1234 10.0.0.2:80 POST y /two -> 404 - chunked (2/2)\n");
	assert_int_equal(tu_sink_count(r, "s"), 3 + 3 + 3);
	tu_router_free(r);
}

#define FILTER_CFG                                                                                 \
	"Idle -> fm :: FlowManager(SYMMETRIC true, RESERVE 2k) -> t :: TCPIn -> f :: HTTPFilter(REPLACE " \
	"\"ads.example\" \"\", REPLACE \"cat\" \"dog\") -> o :: TCPOut -> s :: TestSink;"

static const char *pay(struct rte_mbuf *m, char *buf)
{
	struct fs_pkt p;
	assert_true(fs_parse(m, &p));
	memcpy(buf, p.pay, p.len);
	buf[p.len] = 0;
	return buf;
}

static uint32_t seq_of(struct rte_mbuf *m) { return tu_be32_at(m, 38); }
static uint32_t ack_of(struct rte_mbuf *m) { return tu_be32_at(m, 42); }

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

static void test_httpfilter_rechunks(void **st)
{
	(void)st;
	tu_eal();
	struct rt_router *r = tu_router(FILTER_CFG, NULL);
	uint32_t c = 101, s = 5001;
	handshake(r, c, s);
	const char *req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	push(r, seg(r, false, ACK, c, s, req));
	uint32_t creq = (uint32_t)strlen(req);
	const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 32\r\nContent-Type: text/html\r\n\r\n";
	const char *b1 = "a cat at ads.exa", *b2 = "mple.com and ca", *b3 = "t";
	char p1[256];
	snprintf(p1, sizeof(p1), "%s%s", h, b1);
	uint32_t hl = (uint32_t)strlen(h);
	push(r, seg(r, true, ACK, s, c + creq, p1));
	push(r, seg(r, true, ACK, s + hl + 16, c + creq, b2));
	push(r, seg(r, true, ACK, s + hl + 31, c + creq, b3));
	/* the client acknowledges everything it got */
	int n0 = tu_sink_count(r, "s");
	char buf[2048], stream[4096] = "";
	for (int i = 4; i < n0; i++) {
		struct rte_mbuf *m = tu_sink_pkt(r, "s", i);
		assert_csums_ok(m);
		/* contiguous: each segment starts where the last ended */
		assert_int_equal(seq_of(m), s + (uint32_t)strlen(stream));
		strcat(stream, pay(m, buf));
	}
	assert_string_equal(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n"
				    "9\r\na dog at \r\n"      /* "ads.exa" waits for the next segment */
				    "9\r\n.com and \r\n"      /* "ca" too */
				    "3\r\ndog\r\n0\r\n\r\n");
	assert_int_equal(tu_read_int(r, "f.filtered"), 1);
	assert_int_equal(tu_read_int(r, "f.replaced"), 3);
	/* the client's acknowledgement of the whole edited response maps back to the original end */
	push(r, seg(r, false, ACK, c + creq, s + (uint32_t)strlen(stream), NULL));
	struct rte_mbuf *m = tu_sink_pkt(r, "s", tu_sink_count(r, "s") - 1);
	assert_int_equal(ack_of(m), s + hl + 32);
	assert_csums_ok(m);
	/* a chunked response on the same connection: its framing is rewritten, one chunk per
	 * segment; the second segment starts inside a chunk-size line, and "ads.example" is split
	 * across three chunks and two segments */
	uint32_t s2 = s + hl + 32;
	const char *h2 = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	const char *c1 = "5\r\na cat\r\n4\r\n ads\r\n7", *c2 = "\r\n.exampl\r\n2\r\ne!\r\n0\r\nX-T: 1\r\n\r\n";
	snprintf(p1, sizeof(p1), "%s%s", h2, c1);
	push(r, seg(r, true, ACK, s2, c + creq, p1));
	push(r, seg(r, true, ACK, s2 + (uint32_t)strlen(p1), c + creq, c2));
	int n1 = tu_sink_count(r, "s");
	stream[0] = 0;
	for (int i = n1 - 2; i < n1; i++) {
		m = tu_sink_pkt(r, "s", i);
		assert_csums_ok(m);
		strcat(stream, pay(m, buf));
	}
	assert_string_equal(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				    "6\r\na dog \r\n"       /* "ads" waits */
				    "1\r\n!\r\n0\r\n\r\n");  /* the trailer goes */
	assert_int_equal(tu_read_int(r, "f.filtered"), 2);
	assert_int_equal(tu_read_int(r, "f.replaced"), 3 + 2);
	/* a compressed response passes unfiltered */
	uint32_t s3 = s2 + (uint32_t)(strlen(p1) + strlen(c2));
	push(r, seg(r, true, ACK, s3, c + creq, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\ncat"));
	m = tu_sink_pkt(r, "s", tu_sink_count(r, "s") - 1);
	assert_non_null(strstr(pay(m, buf), "Content-Length: 3\r\n\r\ncat"));
	assert_int_equal(tu_read_int(r, "f.skipped"), 1);
	/* the answer to a HEAD keeps its Content-Length and has no body: the next response is
	 * framed after it */
	push(r, seg(r, false, ACK | 0x08, c + creq, s3, "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\n\r\n"));
	uint32_t s4 = s3 + (uint32_t)strlen(pay(m, buf));
	const char *hr = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ncat";
	push(r, seg(r, true, ACK, s4, c + creq, hr));
	m = tu_sink_pkt(r, "s", tu_sink_count(r, "s") - 1);
	assert_string_equal(pay(m, buf), "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
					 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ndog\r\n0\r\n\r\n");
	assert_csums_ok(m);
	tu_router_free(r);
	struct rt_err err;
	assert_null(tu_router("Idle -> fm :: FlowManager(SYMMETRIC true, RESERVE 2k) -> t :: TCPIn -> f :: HTTPFilter(REMOVE x)"
			      " -> Discard;", &err));
	assert_non_null(strstr(err.msg, "f: argument 1: expected REPLACE PATTERN REPLACEMENT"));
	assert_null(tu_router("Idle -> fm :: FlowManager(SYMMETRIC true, RESERVE 2k) -> f :: HTTPFilter(REPLACE a b)"
			      " -> Discard;", &err));
	assert_non_null(strstr(err.msg, "HTTPFilter needs a TCPIn upstream"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser_any_split),
		cmocka_unit_test(test_httpin_counts),
		cmocka_unit_test(test_httpfilter_rechunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
