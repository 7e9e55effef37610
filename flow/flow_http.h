/*
 * flow_http.h - HTTP/1.x message parsing over a TCP stream, one parser per
 * direction of a flow: request and status lines, the headers HTTPIn
 * keeps (Host, Content-Type, Content-Length, Transfer-Encoding,
 * Content-Encoding), and message framing (Content-Length bodies, chunked
 * bodies, bodies delimited by the connection's close).
 *
 * The parser is incremental: it takes the stream a segment at a time, in
 * order, and keeps what it needs across segments (a partial line of up to
 * FH_LINE bytes, the body or chunk bytes left), so headers and chunk sizes
 * split across segments parse like whole ones.  Callbacks tell a user
 * where in the segment a header block ends and which bytes are body
 * (HTTPFilter edits there).
 *
 * HTTPIn keeps a struct fh_flow in its FCB slot; an element downstream
 * reads the last message of each direction with flow_http_of().
 *
 * Thread-safety: one flow's parser runs on the worker owning the flow.
 */
#ifndef MB_FLOW_HTTP_H
#define MB_FLOW_HTTP_H

#include "flow/flow.h"

#define FH_LINE 96      /* bytes of a line kept (longer lines are cut: a long URL keeps its start) */

enum fh_method { FH_M_NONE, FH_M_GET, FH_M_POST, FH_M_HEAD, FH_M_PUT, FH_M_DELETE, FH_M_OTHER, FH_M_N };

enum fh_state {
	FH_START,       /* before a start line (blank lines skipped) */
	FH_HDRS,        /* header lines */
	FH_BODY_LEN,    /* Content-Length body: `left` bytes */
	FH_CHUNK_SIZE,  /* a chunk-size line */
	FH_CHUNK_DATA,  /* chunk data: `left` bytes */
	FH_CHUNK_END,   /* the CRLF after chunk data */
	FH_TRAILER,     /* trailer lines after the last chunk */
	FH_BODY_CLOSE,  /* body until the connection closes */
	FH_LOST,        /* bytes missing or not HTTP: no more parsing */
};

/* What the last message header of one direction said. */
struct fh_msg {
	uint8_t method;         /* enum fh_method (requests; responses: their request's, when known) */
	uint8_t version;        /* 10 or 11 */
	uint8_t chunked;        /* Transfer-Encoding: chunked */
	uint8_t encoded;        /* a Content-Encoding (gzip...) */
	uint16_t status;        /* responses */
	uint8_t has_clen;
	uint8_t pad;
	uint64_t clen;          /* Content-Length */
	char host[32], path[48], ctype[32];   /* cut to fit, NUL-terminated */
};

struct fh_dir {
	uint8_t state;          /* enum fh_state */
	uint8_t response;       /* parses responses (else requests) */
	uint8_t init;           /* next_seq set */
	uint8_t linelen;
	uint8_t cut;            /* the line in `line` was longer than FH_LINE - 1 */
	uint8_t pad[3];
	uint32_t next_seq;      /* next TCP sequence number expected */
	uint64_t left;          /* body or chunk bytes left */
	uint32_t msgs;          /* messages whose header block completed */
	uint32_t done;          /* messages complete (body included) */
	uint64_t body_bytes;    /* body bytes seen (chunk framing excluded) */
	uint8_t pend[8];        /* responses: methods of the requests not answered yet, oldest first */
	uint8_t npend;
	uint8_t pad2[7];
	struct fh_msg msg;
	char line[FH_LINE];
};

/* HTTPIn's slot. */
struct fh_flow {
	struct fh_dir d[2];     /* [0]: requests (the flow's first direction), [1]: responses */
};

/* Callbacks (any may be NULL); offsets are into the bytes passed. */
struct fh_cb {
	void *ctx;
	/* a header block ended at off (after its blank line); d->msg holds it */
	void (*headers)(void *ctx, struct fh_dir *d, uint32_t off);
	/* body bytes [off, off + len) (chunk data without its framing) */
	void (*body)(void *ctx, struct fh_dir *d, uint32_t off, uint32_t len);
	/* a message ended at off */
	void (*end)(void *ctx, struct fh_dir *d, uint32_t off);
};

/* Feed the next `len` stream bytes of direction d.  For a request
 * direction, resp (may be NULL) is the other direction's parser: each
 * request's method is queued there, so that the response to a HEAD is
 * known to have no body. */
void flow_http_parse(struct fh_dir *d, struct fh_dir *resp, const uint8_t *p, uint32_t len, const struct fh_cb *cb);

/* The stream bytes of m that d has not seen yet (TCP payload past its
 * next_seq): sets *off and returns their count; 0 for retransmissions,
 * pure ACKs and non-TCP packets.  A gap (bytes never seen) puts d in
 * FH_LOST; a SYN starts it over.  Advances next_seq. */
uint32_t flow_http_new_bytes(struct fh_dir *d, struct rte_mbuf *m, const uint8_t **pay, bool *gap);

const char *flow_http_method_name(int m);

/* The HTTP state of m's flow, kept by that HTTPIn element; NULL without
 * a flow. */
static inline struct fh_flow *flow_http_of(const struct el *httpin, struct rte_mbuf *m)
{
	uint8_t *f = rt_anno(m)->flow;
	return f ? (struct fh_flow *)(f + FLOW_FCB_HDR + httpin->flow_off) : NULL;
}

#endif
