/*
 * HTTPFilter - rewrites the bodies of HTTP responses in flight: each
 * REPLACE pattern found in a response body (also across segments) becomes
 * its replacement, through the byte-editing API (flow/flow_stream.h), so
 * a TCPOut downstream keeps both ends' sequence numbers consistent.
 *
 * Framing: a body's length changes, and its Content-Length went out
 * before the body did, so a filtered HTTP/1.1 Content-Length response is
 * turned into a chunked one (the Content-Length line becomes
 * "Transfer-Encoding: chunked", each segment's body bytes one chunk, the
 * last one followed by the zero chunk).  A chunked response has its
 * framing rewritten the same way: each segment's chunk framing and data
 * become one new chunk (trailers are dropped).  Keep-alive connections
 * stay correct.  Compressed responses, HTTP/1.0 ones with a
 * Content-Length, or those whose Content-Length line came in an earlier
 * segment than the header block's end are passed unfiltered and counted
 * (`skipped`); close-delimited bodies are filtered without framing.
 *
 * A pattern split across segments: when a segment's body ends with the
 * start of a pattern, those bytes are taken out of it (carried in the
 * FCB) and put in front of the next segment's body, where the whole
 * pattern is matched.  Per segment: one parse, one scan (patterns x bytes,
 * meant for a few short patterns), one edit per body range.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "flow/flow_http.h"
#include "flow/flow_stream.h"

#define HF_MAXPAT 64    /* pattern bytes at most */
#define HF_MAXREP 16    /* REPLACE pairs at most */
#define HF_EV 16        /* parser events per segment kept */

struct hf_pat {
	uint8_t p[HF_MAXPAT], r[HF_MAXPAT];
	uint32_t plen, rlen;
};

struct hf {
	struct fs_anchor *tcpin;   /* where TCPIn's slot is */
	int npat;
	uint32_t maxpat;
	struct hf_pat pat[HF_MAXREP];
};

struct hf_pw {
	uint64_t pkts, filtered, replaced, skipped, refused, lost, noflow;
};

/* The flow's slot: the parsers (requests only for their methods: a
 * response to HEAD has no body) and what this message needs. */
struct hf_flow {
	struct fh_dir req;
	struct fh_dir d;
	uint8_t active;         /* this response is being filtered */
	uint8_t chunk;          /* ... and sent as chunks */
	uint8_t rechunk;        /* ... which it was already (its framing is rewritten) */
	uint8_t ncarry;
	uint8_t carry[HF_MAXPAT];
};

enum { HF_HDR, HF_BODY, HF_END };
struct hf_ev {
	uint8_t type;
	uint32_t off, len;
	struct fh_msg msg;      /* HF_HDR: the header as it was (a later one in the segment overwrites the parser's) */
};
struct hf_evs {
	int n;
	bool overflow;
	struct hf_ev ev[HF_EV];
};

static struct hf_ev *hf_add(struct hf_evs *E, uint8_t type, uint32_t off, uint32_t len)
{
	if (E->n == HF_EV) {
		E->overflow = true;
		return NULL;
	}
	struct hf_ev *ev = &E->ev[E->n++];
	ev->type = type;
	ev->off = off;
	ev->len = len;
	return ev;
}
static void hf_cb_hdr(void *c, struct fh_dir *d, uint32_t off)
{
	struct hf_ev *ev = hf_add(c, HF_HDR, off, 0);
	if (ev)
		ev->msg = d->msg;
}
static void hf_cb_body(void *c, struct fh_dir *d, uint32_t off, uint32_t len) { (void)d, hf_add(c, HF_BODY, off, len); }
static void hf_cb_end(void *c, struct fh_dir *d, uint32_t off) { (void)d, hf_add(c, HF_END, off, 0); }

/* Is b[0..n) the start of some pattern? */
static bool hf_prefix(const struct hf *s, const uint8_t *b, uint32_t n)
{
	for (int i = 0; i < s->npat; i++)
		if (n < s->pat[i].plen && !memcmp(s->pat[i].p, b, n))
			return true;
	return false;
}

/* Filter in[0..n) into out: replacements, and (unless the body ends here)
 * a tail that starts a pattern goes to the carry.  Returns out's length. */
static uint32_t hf_scan(const struct hf *s, struct hf_flow *f, struct hf_pw *pw, const uint8_t *in, uint32_t n,
			bool ends, uint8_t *out, uint32_t cap)
{
	uint32_t o = 0, i = 0;
	f->ncarry = 0;
	while (i < n) {
		int hit = -1;
		for (int k = 0; k < s->npat && hit < 0; k++)
			if (n - i >= s->pat[k].plen && !memcmp(in + i, s->pat[k].p, s->pat[k].plen) &&
			    o + s->pat[k].rlen + (n - i - s->pat[k].plen) <= cap)
				hit = k;
		if (hit >= 0) {
			memcpy(out + o, s->pat[hit].r, s->pat[hit].rlen);
			o += s->pat[hit].rlen;
			i += s->pat[hit].plen;
			pw->replaced++;
			continue;
		}
		if (!ends && n - i < s->maxpat && hf_prefix(s, in + i, n - i)) {
			f->ncarry = (uint8_t)(n - i);
			memcpy(f->carry, in + i, n - i);
			break;
		}
		out[o++] = in[i++];
	}
	return o;
}

/* Find the last "Content-Length:" line in pay[0..end) (the block's end). */
static bool hf_find_clen(const uint8_t *pay, uint32_t end, uint32_t *at, uint32_t *len)
{
	static const char key[] = "content-length:";
	for (uint32_t i = end >= sizeof(key) ? end - (uint32_t)sizeof(key) + 1 : 0; i-- > 0;) {
		if ((i && pay[i - 1] != '\n') || strncasecmp((const char *)pay + i, key, sizeof(key) - 1))
			continue;
		uint32_t j = i;
		while (j < end && pay[j] != '\n')
			j++;
		if (j == end)
			return false;
		*at = i;
		*len = j + 1 - i;
		return true;
	}
	return false;
}

/* One message's region of a segment being rewritten: its body bytes
 * (with the carry in front) replace [rs, re) of the segment as one chunk,
 * or as they are for a close-delimited body. */
struct hf_region {
	int64_t rs;             /* -1: none yet */
	uint32_t re, n;
	uint8_t in[HF_MAXPAT + 2048];
};

/* Replace the region with its filtered bytes; false when the edit failed. */
static bool hf_flush(const struct hf *s, struct hf_pw *pw, struct fs_dir *sd, struct hf_flow *f,
		     struct rte_mbuf *m, struct hf_region *R, bool ends, int32_t *shift, uint32_t *folded)
{
	uint8_t body[4096], out[4096 + 32];
	uint32_t bl = hf_scan(s, f, pw, R->in, R->n, ends, body, sizeof(body)), o = 0;
	if (f->chunk) {
		if (bl)
			o = (uint32_t)snprintf((char *)out, 16, "%x\r\n", bl);
		memcpy(out + o, body, bl);
		o += bl;
		if (bl)
			o += (uint32_t)snprintf((char *)out + o, 3, "\r\n");
		if (ends)
			o += (uint32_t)snprintf((char *)out + o, 6, "0\r\n\r\n");
	} else {
		memcpy(out, body, bl);
		o = bl;
	}
	uint32_t rs = (uint32_t)R->rs;
	R->rs = -1;
	R->n = 0;
	if (flow_stream_edit(sd, m, rs + (uint32_t)*shift, R->re - rs, out, o, folded) < 0) {
		pw->refused++;
		f->active = 0;
		return false;
	}
	*shift += (int32_t)o - (int32_t)(R->re - rs);
	return true;
}

static void hf_packet(const struct hf *s, struct hf_pw *pw, struct fs_dir *sd, struct hf_flow *f, struct rte_mbuf *m,
		      const uint8_t *p, uint32_t len)
{
	struct hf_evs E;
	E.n = 0;
	E.overflow = false;
	const struct fh_cb cb = { &E, hf_cb_hdr, hf_cb_body, hf_cb_end };
	struct fs_pkt pk;
	struct hf_region R;
	if (!fs_parse(m, &pk))
		return;
	uint32_t base = (uint32_t)(p - pk.pay);   /* bytes of the payload seen before (retransmitted part) */
	flow_http_parse(&f->d, NULL, p, len, &cb);
	if (E.overflow)
		pw->refused++;
	int32_t shift = 0;
	uint32_t folded = 0;
	static const char te[] = "Transfer-Encoding: chunked\r\n";
	/* a chunked body going on from the last segment: its framing is ours from byte 0 */
	R.rs = f->active && f->rechunk ? (int64_t)base : -1;
	R.n = f->ncarry;
	memcpy(R.in, f->carry, f->ncarry);
	for (int i = 0; i < E.n; i++) {
		struct hf_ev *ev = &E.ev[i];
		uint32_t off = base + ev->off;
		if (ev->type == HF_HDR) {
			const struct fh_msg *msg = &ev->msg;
			f->active = f->chunk = f->rechunk = 0;
			f->ncarry = 0;
			R.rs = -1;
			R.n = 0;
			bool body = !(msg->status < 200 || msg->status == 204 || msg->status == 304 || msg->method == FH_M_HEAD);
			if (!body || (msg->has_clen && !msg->clen && !msg->chunked))
				continue;
			if (msg->encoded || (!msg->chunked && msg->has_clen && msg->version < 11)) {
				pw->skipped++;
				continue;
			}
			if (msg->chunked) {
				f->chunk = f->rechunk = 1;
				R.rs = off;   /* the chunk framing after the header block is rewritten too */
			} else if (msg->has_clen) {
				uint32_t at, l;
				fs_parse(m, &pk);
				if (!hf_find_clen(pk.pay, off + (uint32_t)shift, &at, &l)) {
					pw->skipped++;
					continue;
				}
				if (flow_stream_edit(sd, m, at, l, te, sizeof(te) - 1, &folded) < 0) {
					pw->refused++;
					continue;
				}
				shift += (int32_t)(sizeof(te) - 1) - (int32_t)l;
				f->chunk = 1;
			}
			f->active = 1;
			pw->filtered++;
		} else if (ev->type == HF_BODY && f->active) {
			if (R.rs < 0)
				R.rs = off;
			if (R.n + ev->len > sizeof(R.in)) {
				pw->refused++;
				f->active = 0;
				continue;
			}
			fs_parse(m, &pk);
			memcpy(R.in + R.n, pk.pay + off + (uint32_t)shift, ev->len);
			R.n += ev->len;
			R.re = off + ev->len;
		} else if (ev->type == HF_END && f->active) {
			if (R.rs < 0)
				R.rs = off;
			R.re = off;   /* a chunked body's last chunk and trailers included */
			hf_flush(s, pw, sd, f, m, &R, true, &shift, &folded);
			f->active = 0;
		}
	}
	if (f->active && R.rs >= 0) {
		if (f->rechunk)
			R.re = base + len;   /* framing up to the segment's end is consumed */
		hf_flush(s, pw, sd, f, m, &R, false, &shift, &folded);
	} else if (f->active) {
		f->ncarry = (uint8_t)R.n;  /* nothing of the body here: the carry waits */
	}
}

static void hf_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct hf *s = n->state;
	struct hf_pw *pw = el_pw(n->e);
	pw->pkts += b->n;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		struct hf_flow *f = flow_slot(n, m);
		struct fs_flow *sf = fs_flow_of(s->tcpin, m);
		if (!f || !sf) {
			pw->noflow++;
			continue;
		}
		const uint8_t *p;
		bool gap;
		f->d.response = 1;
		if (!fs_dir_of(m)) {
			/* requests pass; their methods are queued for the responses */
			uint32_t len = flow_http_new_bytes(&f->req, m, &p, &gap);
			if (len)
				flow_http_parse(&f->req, &f->d, p, len, NULL);
			continue;
		}
		uint32_t len = flow_http_new_bytes(&f->d, m, &p, &gap);
		if (gap)
			pw->lost++;
		if (len)
			hf_packet(s, pw, &sf->d[1], f, m, p, len);
	}
	el_output(n, 0, b);
}

/* Split "\"a\" \"b\"" at white space outside quotes. */
static int hf_words(const char *v, char *w[2], size_t cap)
{
	int nw = 0;
	while (*v) {
		while (isspace((unsigned char)*v))
			v++;
		if (!*v)
			break;
		if (nw == 2)
			return -1;
		size_t k = 0;
		char q = 0;
		while (*v && (q || !isspace((unsigned char)*v)) && k + 1 < cap) {
			if (*v == '\\' && q == '"' && v[1])
				w[nw][k++] = *v++;
			else if ((*v == '"' || *v == '\'') && (!q || q == *v))
				q = q ? 0 : *v;
			w[nw][k++] = *v++;
		}
		w[nw][k] = 0;
		nw++;
	}
	return nw;
}

static int hf_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct hf *s = e->state;
	for (int i = 0; i < argc; i++) {
		const char *v;
		int kl = el_arg_keyword(argv[i], &v);
		if (kl != 7 || strncmp(argv[i], "REPLACE", 7))
			return rt_errf(err, &e->loc, -EINVAL, "%s: argument %d: expected REPLACE PATTERN REPLACEMENT", e->name,
				       i + 1);
		char a[512], bb[512], *w[2] = { a, bb };
		if (hf_words(v, w, sizeof(a)) != 2)
			return rt_errf(err, &e->loc, -EINVAL, "%s: argument %d: REPLACE takes a pattern and a replacement",
				       e->name, i + 1);
		if (s->npat == HF_MAXREP)
			return rt_errf(err, &e->loc, -EINVAL, "%s: at most %d REPLACE arguments", e->name, HF_MAXREP);
		struct hf_pat *P = &s->pat[s->npat];
		struct el_data d[2] = {{0}};
		struct rt_err e2;
		rt_err_clear(&e2);
		for (int k = 0; k < 2; k++)
			if (el_parse_value(EL_T_DATA, w[k], &d[k], &e2) < 0)
				return rt_errf(err, &e->loc, -EINVAL, "%s: argument %d: %s", e->name, i + 1, e2.msg);
		int rc = 0;
		if (!d[0].len || d[0].len > HF_MAXPAT || d[1].len > HF_MAXPAT)
			rc = rt_errf(err, &e->loc, -EINVAL, "%s: argument %d: the pattern must be 1 to %d bytes, the replacement at most %d",
				     e->name, i + 1, HF_MAXPAT, HF_MAXPAT);
		else {
			memcpy(P->p, d[0].p, d[0].len);
			memcpy(P->r, d[1].p, d[1].len);
			P->plen = (uint32_t)d[0].len;
			P->rlen = (uint32_t)d[1].len;
			s->maxpat = RT_MAX(s->maxpat, P->plen);
			s->npat++;
		}
		free(d[0].p);
		free(d[1].p);
		if (rc < 0)
			return rc;
	}
	if (!s->npat)
		return rt_errf(err, &e->loc, -EINVAL, "%s: HTTPFilter needs at least one REPLACE", e->name);
	return 0;
}

static int hf_init(struct el *e, struct rt_err *err)
{
	struct hf *s = e->state;
	if (!(s->tcpin = flow_stream_attach(e)))
		return rt_errf(err, &e->loc, -EINVAL, "%s: HTTPFilter needs a TCPIn upstream (through input 0)", e->name);
	return 0;
}

static void hf_cleanup(struct el *e)
{
	flow_stream_detach(((struct hf *)e->state)->tcpin);
}

static int hf_read(struct el *e, intptr_t off, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, (size_t)off));
	return 0;
}

#define H(f) offsetof(struct hf_pw, f)
static const struct el_handler handlers[] = {
	{"count", hf_read, NULL, H(pkts), 0, "packets in"},
	{"filtered", hf_read, NULL, H(filtered), 0, "responses whose body was filtered"},
	{"replaced", hf_read, NULL, H(replaced), 0, "pattern occurrences replaced"},
	{"skipped", hf_read, NULL, H(skipped), 0,
	 "responses passed unfiltered: compressed, HTTP/1.0 with a length, or a length line in an earlier segment"},
	{"refused", hf_read, NULL, H(refused), 0, "edits that could not be made (no room in the packet, too many edits)"},
	{"lost", hf_read, NULL, H(lost), 0, "response streams that stopped being parsed: bytes missing"},
	{"noflow", hf_read, NULL, H(noflow), 0, "packets passed: no flow"},
	EL_HANDLERS_END,
};

static struct el_class hf_class = {
	.name = "HTTPFilter",
	.sig = "HTTPFilter(REPLACE PATTERN REPLACEMENT, ...)",
	.summary = "replaces content in HTTP response bodies (ad removal), keeping the framing correct",
	.doc = "Between a TCPIn and a TCPOut (behind a `FlowManager(SYMMETRIC true)`): in the bodies of "
	       "HTTP responses (the flow's second direction), each occurrence of a PATTERN becomes its "
	       "REPLACEMENT (`REPLACE \"ads.example\" \"\"` removes it). Patterns and replacements are "
	       "Click data strings of up to 64 bytes; the first pattern that matches at a position "
	       "wins. A pattern split across segments is found: the bytes that start a pattern at "
	       "the end of a segment wait in the FCB and go out in front of the next segment's body.\n\n"
	       "Framing: since the length changes after the Content-Length went out, an HTTP/1.1 "
	       "Content-Length response is turned into a chunked one (its Content-Length line becomes "
	       "`Transfer-Encoding: chunked`, each segment's body one chunk, then the zero chunk), so "
	       "keep-alive connections stay correct. A chunked response is re-chunked: each segment's "
	       "chunk framing and data become one chunk of the filtered bytes (trailers are dropped). "
	       "Bodies delimited by the close are filtered as they are. Compressed responses "
	       "(Content-Encoding), HTTP/1.0 ones with a Content-Length, and those whose "
	       "Content-Length line is not in the segment that ends the header block pass unfiltered "
	       "(`skipped`). Edits go through flow/flow_stream.h; "
	       "TCPOut fixes sequence numbers, acknowledgements and checksums. Needs about 640 bytes of "
	       "the manager's RESERVE.",
	.ports = "1/1",
	.state_size = sizeof(struct hf),
	.pw_size = sizeof(struct hf_pw),
	.configure = hf_configure,
	.init = hf_init,
	.cleanup = hf_cleanup,
	.push = hf_push,
	.handlers = handlers,
	.flow_size = sizeof(struct hf_flow),
};
EL_REGISTER(hf_class)
