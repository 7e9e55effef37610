/*
 * flow_stream.h - TCP streams on top of flows: the per-flow state of TCPIn
 * (an in-order byte stream per direction), and the byte-editing API with
 * which elements between TCPIn and TCPOut remove, insert or replace bytes
 * of a packet's payload while the sequence numbers of both directions stay
 * consistent (FastClick's TCPIn/TCPOut model; docs/flows.md, "TCP streams").
 *
 * Positions in a stream are relative: byte 0 is the first data byte of
 * the direction (the one after its SYN, or the first byte seen when the
 * connection was picked up in the middle), so 32-bit comparisons work for
 * streams below 2 GB and sequence numbers may wrap.
 *
 * Edits are recorded per direction as (orig position, bytes removed, bytes
 * inserted) in original stream order.  TCPOut maps each packet's sequence
 * number forward through the edits of its direction and its
 * acknowledgement backward through the edits of the other direction.
 * At most FS_EDITS edits are kept per direction; when a new one does not
 * fit, the oldest ones that the receiver has acknowledged are folded into
 * a constant delta (exact for every position after them, which is all a
 * sender sends once that part is acknowledged) and counted; when none is
 * acknowledged yet the edit is refused (-ENOSPC) and the packet unchanged.
 *
 * Thread-safety: the data-path functions touch one flow's slot and one
 * packet; they run on the worker that owns the flow.
 */
#ifndef MB_FLOW_STREAM_H
#define MB_FLOW_STREAM_H

#include <rte_tcp.h>

#include "flow/flow.h"

#define FS_WIN 64    /* delivered bytes kept per direction to check overlaps */
#define FS_EDITS 8   /* edits kept per direction */
#define FS_HOLD 16   /* out-of-order segments held per flow (both directions) */

/* One edit: at original stream position pos, rem bytes became ins bytes.
 * FS_TAIL in rem: an insertion appended at the end of a packet (it goes
 * before a packet that starts at pos, not in it). */
struct fs_edit {
	uint32_t pos;
	uint16_t rem, ins;
};
#define FS_TAIL 0x8000
#define FS_EDIT_MAX 0x7fff  /* bytes removed or inserted by one edit at most */

/* One direction of a stream. */
struct fs_dir {
	uint32_t isn;           /* sequence number of stream byte 0 */
	uint32_t next;          /* next stream position expected (delivered up to here) */
	uint32_t acked;         /* original position the other side acknowledged (TCPOut) */
	int32_t base;           /* folded edits: delta added before the kept ones */
	uint8_t init;           /* isn set */
	uint8_t fin;            /* FIN delivered */
	uint8_t nedit;
	uint8_t pad;
	struct fs_edit ed[FS_EDITS];
	uint8_t win[FS_WIN];    /* the last FS_WIN delivered bytes, at position % FS_WIN */
};

/* TCPIn's slot in the FCB (its hold area follows). */
struct fs_flow {
	struct fs_dir d[2];     /* [0]: as the flow's first packet, [1]: replies */
	uint64_t hole_ts;       /* ns: when the oldest held segment was held */
	uint32_t folded;        /* edits folded into base (both directions) */
	uint32_t nheld;         /* segments in the hold area (its count, kept here so that a flow
				 * with none held does not touch the hold area's cache line) */
};

/* A parsed IPv4/TCP packet. */
struct fs_pkt {
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;
	uint8_t *pay;           /* payload (ends at the IP total length) */
	uint32_t len;           /* payload bytes */
	uint32_t seq, ack;      /* host order */
	uint8_t flags;
};

/* Parse m as IPv4/TCP (flow_ip finds the header).  False when it is not
 * TCP or its headers do not fit the data. */
bool fs_parse(struct rte_mbuf *m, struct fs_pkt *p);

/* The direction of m in its flow (0 as the first packet, 1 replies). */
static inline int fs_dir_of(struct rte_mbuf *m) { return flow_is_reply(m) ? 1 : 0; }

/* Signed distance a - b of two stream positions or sequence numbers. */
static inline int32_t fs_diff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

/* ---- byte editing ---------------------------------------------------------- */

/* Replace `rem` payload bytes of m at payload offset `off` (as the packet
 * is now, earlier edits of it included) with `inslen` bytes from `ins`
 * (ins NULL: zeroes), resizing the mbuf, fixing the IP total length and
 * recording the edit in direction d of the stream (m's sequence number is
 * still the original one: TCPOut rewrites it).  Edits of one direction
 * must come in stream order and may not touch bytes an earlier edit
 * inserted.  Checksums are left to TCPOut.  Returns 0, -EINVAL (out of
 * range, out of order, or d not started), -ENOSPC (no tailroom for the
 * growth, or FS_EDITS edits not yet acknowledged); on error m and d are
 * unchanged. */
int flow_stream_edit(struct fs_dir *d, struct rte_mbuf *m, uint32_t off, uint32_t rem, const void *ins,
		     uint32_t inslen, uint32_t *folded);
static inline int flow_stream_remove(struct fs_dir *d, struct rte_mbuf *m, uint32_t off, uint32_t len,
				     uint32_t *folded)
{
	return flow_stream_edit(d, m, off, len, NULL, 0, folded);
}
static inline int flow_stream_insert(struct fs_dir *d, struct rte_mbuf *m, uint32_t off, const void *data,
				     uint32_t len, uint32_t *folded)
{
	return flow_stream_edit(d, m, off, 0, data, len, folded);
}

/* Record an edit at original stream position pos without touching a
 * packet (flow_stream_edit's bookkeeping; unit tests). */
int flow_stream_record(struct fs_dir *d, uint32_t pos, uint32_t rem, uint32_t ins, bool tail, uint32_t *folded);

/* Map an original stream position forward through d's edits (a position
 * inside removed bytes maps to the end of their replacement). */
uint32_t flow_stream_fwd(const struct fs_dir *d, uint32_t pos);
/* Map a position of the edited stream back to the original one (a
 * position inside inserted bytes maps to the start of the edit: only what
 * preceded it is acknowledged). */
uint32_t flow_stream_inv(const struct fs_dir *d, uint32_t pos);

/* Remove `k` bytes at the start of m's payload and advance its sequence
 * number by k (TCPIn: the already delivered part of an overlapping
 * segment); fixes the checksums. */
void fs_trim_front(struct rte_mbuf *m, struct fs_pkt *p, uint32_t k);

/* ---- finding TCPIn from a consumer --------------------------------------- */

/* Where TCPIn's slot is, for the elements that use it (TCPOut, HTTPFilter,
 * editors): TCPIn writes its slot's FCB offset here on the data path
 * (0 until its first batch), a TCPIn that replaces it in a live change
 * takes the same anchor over, and every user holds a reference, so no
 * user ever points at a freed element.  refs: control thread only. */
struct fs_anchor {
	uint32_t off;           /* FLOW_FCB_HDR + TCPIn's flow_off; 0: not known yet */
	int refs;
};

/* The TCPIn upstream of e (through input 0, at most 32 elements back), or
 * NULL.  Control thread (init). */
struct el *flow_stream_find(const struct el *e, const char *cls);

/* Take a reference to the anchor of the TCPIn upstream of e (NULL when
 * there is none); drop it in cleanup.  Control thread. */
struct fs_anchor *flow_stream_attach(const struct el *e);
void flow_stream_detach(struct fs_anchor *a);

/* The stream slot of m's flow, through a TCPIn's anchor; NULL without a
 * flow or before that TCPIn saw a packet. */
static inline struct fs_flow *fs_flow_of(const struct fs_anchor *a, struct rte_mbuf *m)
{
	uint8_t *f = rt_anno(m)->flow;
	uint32_t off = __atomic_load_n(&a->off, __ATOMIC_RELAXED);
	return f && off ? (struct fs_flow *)(f + off) : NULL;
}

#endif
