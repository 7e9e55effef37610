/*
 * flow_http.c - the incremental HTTP/1.x parser of flow_http.h.
 *
 * Lines are gathered byte by byte into the direction's line buffer (cut
 * at FH_LINE bytes, the rest of a long line skipped), so a line split
 * across segments is handled like a whole one; body and chunk data are
 * skipped in one step per segment.  Work per call: linear in the bytes.
 */
#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

#include <rte_tcp.h>

#include "flow_http.h"

static const char *const fh_methods[FH_M_N] = { "-", "GET", "POST", "HEAD", "PUT", "DELETE", "OTHER" };

const char *flow_http_method_name(int m) { return m >= 0 && m < FH_M_N ? fh_methods[m] : "?"; }

static void fh_copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

/* "Name: value" -> value (trimmed), when the name matches. */
static const char *fh_header(const char *line, const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	if (strncasecmp(line, name, n) || line[n] != ':')
		return NULL;
	const char *v = line + n + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t l = strlen(v);
	while (l && (v[l - 1] == ' ' || v[l - 1] == '\t'))
		l--;
	*vlen = l;
	return v;
}

static void fh_start_line(struct fh_dir *d, const char *l)
{
	struct fh_msg *m = &d->msg;
	memset(m, 0, sizeof(*m));
	if (d->response) {
		/* HTTP/1.1 200 OK */
		if (strncmp(l, "HTTP/1.", 7) || !isdigit((unsigned char)l[7]) || l[8] != ' ') {
			d->state = FH_LOST;
			return;
		}
		m->version = (uint8_t)(10 + (l[7] - '0'));
		m->status = (uint16_t)strtoul(l + 9, NULL, 10);
	} else {
		/* GET /path HTTP/1.1 */
		const char *sp = strchr(l, ' ');
		const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
		if (!sp2 && sp && d->cut) {
			sp2 = l + strlen(l);   /* a long URL: its start, version taken as 1.1 */
		} else if (!sp || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7)) {
			d->state = FH_LOST;
			return;
		}
		size_t ml = (size_t)(sp - l);
		m->method = FH_M_OTHER;
		for (int i = FH_M_GET; i < FH_M_OTHER; i++)
			if (strlen(fh_methods[i]) == ml && !strncmp(l, fh_methods[i], ml))
				m->method = (uint8_t)i;
		fh_copy(m->path, sizeof(m->path), sp + 1, (size_t)(sp2 - sp - 1));
		m->version = (uint8_t)(*sp2 ? 10 + (sp2[8] == '1') : 11);
	}
	d->state = FH_HDRS;
}

static void fh_header_line(struct fh_dir *d, const char *l)
{
	struct fh_msg *m = &d->msg;
	size_t n;
	const char *v;
	if ((v = fh_header(l, "Host", &n)))
		fh_copy(m->host, sizeof(m->host), v, n);
	else if ((v = fh_header(l, "Content-Type", &n)))
		fh_copy(m->ctype, sizeof(m->ctype), v, n);
	else if ((v = fh_header(l, "Content-Length", &n))) {
		m->clen = strtoull(v, NULL, 10);
		m->has_clen = 1;
	} else if ((v = fh_header(l, "Transfer-Encoding", &n))) {
		for (size_t i = 0; i + 7 <= n; i++)
			if (!strncasecmp(v + i, "chunked", 7))
				m->chunked = 1;
	} else if ((v = fh_header(l, "Content-Encoding", &n)))
		m->encoded = n && strncasecmp(v, "identity", n) != 0;
}

static void fh_end(struct fh_dir *d, uint32_t off, const struct fh_cb *cb)
{
	d->done++;
	d->state = FH_START;
	if (cb && cb->end)
		cb->end(cb->ctx, d, off);
}

/* The header block ended at off: where does the body go? */
static void fh_headers_done(struct fh_dir *d, struct fh_dir *resp, uint32_t off, const struct fh_cb *cb)
{
	struct fh_msg *m = &d->msg;
	d->msgs++;
	if (!d->response && resp && resp->npend < sizeof(resp->pend))
		resp->pend[resp->npend++] = m->method;
	if (d->response && m->status >= 200 && d->npend) {
		/* a final response answers the oldest request */
		m->method = d->pend[0];
		memmove(d->pend, d->pend + 1, --d->npend);
	}
	if (cb && cb->headers)
		cb->headers(cb->ctx, d, off);
	bool nobody = d->response && (m->status < 200 || m->status == 204 || m->status == 304 || m->method == FH_M_HEAD);
	if (nobody) {
		fh_end(d, off, cb);
	} else if (m->chunked) {
		d->state = FH_CHUNK_SIZE;
	} else if (m->has_clen) {
		d->left = m->clen;
		if (!d->left)
			fh_end(d, off, cb);
		else
			d->state = FH_BODY_LEN;
	} else if (d->response) {
		d->state = FH_BODY_CLOSE;
	} else {
		fh_end(d, off, cb);
	}
}

/* A complete line (without CR LF) in state d->state; off is just after it. */
static void fh_line(struct fh_dir *d, struct fh_dir *resp, uint32_t off, const struct fh_cb *cb)
{
	const char *l = d->line;
	switch (d->state) {
	case FH_START:
		if (*l)
			fh_start_line(d, l);
		break;
	case FH_HDRS:
		if (*l)
			fh_header_line(d, l);
		else
			fh_headers_done(d, resp, off, cb);
		break;
	case FH_CHUNK_SIZE: {
		char *end;
		unsigned long long n = strtoull(l, &end, 16);
		if (end == l) {
			d->state = FH_LOST;
		} else if (n == 0) {
			d->state = FH_TRAILER;
		} else {
			d->left = n;
			d->state = FH_CHUNK_DATA;
		}
		break;
	}
	case FH_CHUNK_END:
		d->state = *l ? FH_LOST : FH_CHUNK_SIZE;
		break;
	case FH_TRAILER:
		if (!*l)
			fh_end(d, off, cb);
		break;
	default:
		break;
	}
}

void flow_http_parse(struct fh_dir *d, struct fh_dir *resp, const uint8_t *p, uint32_t len, const struct fh_cb *cb)
{
	uint32_t i = 0;
	while (i < len && d->state != FH_LOST) {
		if (d->state == FH_BODY_LEN || d->state == FH_CHUNK_DATA || d->state == FH_BODY_CLOSE) {
			uint32_t n = len - i;
			if (d->state != FH_BODY_CLOSE && d->left < n)
				n = (uint32_t)d->left;
			if (cb && cb->body)
				cb->body(cb->ctx, d, i, n);
			d->body_bytes += n;
			i += n;
			if (d->state == FH_BODY_CLOSE)
				continue;
			d->left -= n;
			if (!d->left) {
				if (d->state == FH_CHUNK_DATA)
					d->state = FH_CHUNK_END;
				else
					fh_end(d, i, cb);
			}
			continue;
		}
		uint8_t c = p[i++];
		if (c == '\n') {
			uint32_t n = d->linelen;
			if (n && d->line[n - 1] == '\r')
				n--;
			d->line[n < FH_LINE ? n : FH_LINE - 1] = 0;
			d->linelen = 0;
			fh_line(d, resp, i, cb);
			d->cut = 0;
		} else if (d->linelen < FH_LINE - 1) {
			d->line[d->linelen++] = (char)c;
		} else {
			d->cut = 1;
		}
	}
}

uint32_t flow_http_new_bytes(struct fh_dir *d, struct rte_mbuf *m, const uint8_t **pay, bool *gap)
{
	uint32_t l4len;
	*gap = false;
	struct rte_ipv4_hdr *ip = flow_ip(m, &l4len);
	if (!ip || ip->next_proto_id != IPPROTO_TCP)
		return 0;
	uint32_t hl = (uint32_t)(ip->version_ihl & 0x0f) << 2, tl = rte_be_to_cpu_16(ip->total_length);
	if (tl < hl + 20 || tl - hl > l4len)
		return 0;
	const struct rte_tcp_hdr *t = (const void *)((uint8_t *)ip + hl);
	uint32_t th = (uint32_t)(t->data_off >> 4) * 4;
	if (th < 20 || hl + th > tl)
		return 0;
	uint32_t seq = rte_be_to_cpu_32(t->sent_seq), len = tl - hl - th;
	if (t->tcp_flags & RTE_TCP_SYN_FLAG) {
		uint8_t resp = d->response;
		memset(d, 0, sizeof(*d));
		d->response = resp;
		d->next_seq = seq + 1;
		d->init = 1;
		return 0;
	}
	if (!d->init) {
		d->next_seq = seq;
		d->init = 1;
	}
	int32_t k = (int32_t)(seq - d->next_seq);
	if (!len || (int32_t)(seq + len - d->next_seq) <= 0)
		return 0;
	if (k > 0) {
		*gap = true;
		d->state = FH_LOST;
		k = 0;
	}
	*pay = (const uint8_t *)t + th + (uint32_t)-k;
	d->next_seq = seq + len;
	return len - (uint32_t)-k;
}
