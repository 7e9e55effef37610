/*
 * HTTPIn - HTTP/1.x request and response parsing on top of a TCP stream
 * (flow/flow_http.h): behind a symmetric FlowManager (and normally a
 * TCPIn, which gives it the bytes in order), each flow's FCB slot holds a
 * parser per direction and the last message header of each, which
 * elements downstream read with flow_http_of().  Packets pass unchanged.
 */
#include <errno.h>

#include "flow/flow_http.h"
#include "flow/flow_stream.h"

struct hin_pw {
	uint64_t pkts, requests, responses, methods[FH_M_N], status[6], chunked, complete, body_bytes, lost, noflow;
};

static void hin_headers(void *ctx, struct fh_dir *d, uint32_t off)
{
	(void)off;
	struct hin_pw *pw = ctx;
	if (d->response) {
		pw->responses++;
		pw->status[RT_MIN(d->msg.status / 100u, 5u)]++;
	} else {
		pw->requests++;
		pw->methods[d->msg.method]++;
	}
	if (d->msg.chunked)
		pw->chunked++;
}

static void hin_end(void *ctx, struct fh_dir *d, uint32_t off)
{
	(void)d, (void)off;
	((struct hin_pw *)ctx)->complete++;
}

static void hin_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct hin_pw *pw = el_pw(n->e);
	const struct fh_cb cb = { pw, hin_headers, NULL, hin_end };
	pw->pkts += b->n;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		struct fh_flow *f = flow_slot(n, m);
		if (!f) {
			pw->noflow++;
			continue;
		}
		f->d[1].response = 1;
		struct fh_dir *d = &f->d[fs_dir_of(m)];
		const uint8_t *p;
		bool gap;
		uint64_t before = d->body_bytes;
		uint32_t len = flow_http_new_bytes(d, m, &p, &gap);
		if (gap)
			pw->lost++;
		if (len)
			flow_http_parse(d, d == &f->d[0] ? &f->d[1] : NULL, p, len, &cb);
		pw->body_bytes += d->body_bytes - before;
	}
	el_output(n, 0, b);
}

enum { H_STATUS = 100, H_METHOD = 200 };

static int hin_read(struct el *e, intptr_t off, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, (size_t)off));
	return 0;
}

/* methods: "GET 3\nPOST 1\n" (those seen); statuses: "2xx 3\n4xx 1\n" */
static int hin_read_by(struct el *e, intptr_t what, struct rt_buf *out)
{
	if (what == H_METHOD) {
		for (int i = FH_M_GET; i < FH_M_N; i++) {
			uint64_t v = el_pw_sum(e, offsetof(struct hin_pw, methods) + 8 * (size_t)i);
			if (v)
				rt_buf_printf(out, "%s %llu\n", flow_http_method_name(i), (unsigned long long)v);
		}
	} else {
		for (int i = 1; i < 6; i++) {
			uint64_t v = el_pw_sum(e, offsetof(struct hin_pw, status) + 8 * (size_t)i);
			if (v)
				rt_buf_printf(out, "%dxx %llu\n", i, (unsigned long long)v);
		}
	}
	return 0;
}

/* flows: the last request and response of each flow. */
static void hin_fmt(const struct el *e, const void *slot, struct rt_buf *out)
{
	(void)e;
	const struct fh_flow *f = slot;
	const struct fh_msg *q = &f->d[0].msg, *r = &f->d[1].msg;
	rt_buf_printf(out, " %s %s %s -> %u %s", flow_http_method_name(q->method), q->host[0] ? q->host : "-",
		      q->path[0] ? q->path : "-", r->status, r->ctype[0] ? r->ctype : "-");
	if (r->chunked)
		rt_buf_puts(out, " chunked");
	else if (r->has_clen)
		rt_buf_printf(out, " %llu", (unsigned long long)r->clen);
	rt_buf_printf(out, " (%u/%u)", f->d[0].done, f->d[1].done);
}

static int hin_flows(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	flow_el_list(e, hin_fmt, out);
	return 0;
}

#define H(f) offsetof(struct hin_pw, f)
static const struct el_handler handlers[] = {
	{"count", hin_read, NULL, H(pkts), 0, "packets in"},
	{"requests", hin_read, NULL, H(requests), 0, "request header blocks parsed"},
	{"responses", hin_read, NULL, H(responses), 0, "response header blocks parsed"},
	{"methods", hin_read_by, NULL, H_METHOD, EL_H_RAW, "requests by method, one line each (\"GET 3\")"},
	{"statuses", hin_read_by, NULL, H_STATUS, EL_H_RAW, "responses by status class, one line each (\"2xx 3\")"},
	{"chunked", hin_read, NULL, H(chunked), 0, "messages with a chunked body"},
	{"complete", hin_read, NULL, H(complete), 0, "messages whose body ended (by length or last chunk)"},
	{"body_bytes", hin_read, NULL, H(body_bytes), 0, "body bytes seen (chunk framing excluded)"},
	{"lost", hin_read, NULL, H(lost), 0, "gaps met (bytes that never came): the direction stops parsing"},
	{"noflow", hin_read, NULL, H(noflow), 0, "packets passed: no flow"},
	{"flows", hin_flows, NULL, 0, 0,
	 "one line per flow: key, method host path -> status content-type length-or-chunked (messages done each way)"},
	EL_HANDLERS_END,
};

static struct el_class hin_class = {
	.name = "HTTPIn",
	.sig = "HTTPIn()",
	.summary = "parses HTTP/1.x requests and responses of each flow",
	.doc = "Behind a `FlowManager(SYMMETRIC true)` and a TCPIn (so that bytes come in order, once): "
	       "parses the flow's first direction as HTTP requests and the other as responses: the "
	       "request line (method, path), the status line, Host, Content-Type, Content-Length, "
	       "Transfer-Encoding: chunked and Content-Encoding, and the message framing (bodies by "
	       "length, chunked bodies, bodies up to the close; no body for 1xx, 204 and 304), so "
	       "keep-alive connections parse message after message. Lines and chunk sizes split "
	       "across segments are handled. The last message of each direction stays in the flow's "
	       "FCB slot for elements downstream (`flow/flow_http.h`, `flow_http_of`). Retransmitted "
	       "bytes are skipped; a direction with missing bytes stops parsing (`lost`). Packets "
	       "pass unchanged. Lines longer than 95 bytes are cut (their fields too). Needs about "
	       "560 bytes of the manager's RESERVE.",
	.ports = "1/1",
	.pw_size = sizeof(struct hin_pw),
	.flags = EL_C_NOARGS,
	.push = hin_push,
	.handlers = handlers,
	.flow_size = sizeof(struct fh_flow),
};
EL_REGISTER(hin_class)
