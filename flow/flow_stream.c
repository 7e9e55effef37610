/*
 * flow_stream.c - the TCP stream library behind TCPIn and TCPOut: packet
 * parsing, the edit list of each direction with its forward and backward
 * position maps, and the packet surgery of byte editing.
 *
 * Every map walks at most FS_EDITS edits; an edit moves at most the
 * packet's bytes after the edit once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow_stream.h"

bool fs_parse(struct rte_mbuf *m, struct fs_pkt *p)
{
	uint32_t l4len;
	struct rte_ipv4_hdr *ip = flow_ip(m, &l4len);
	if (!ip || ip->next_proto_id != IPPROTO_TCP || (ip->fragment_offset & rte_cpu_to_be_16(0x3fff)))
		return false;
	uint32_t hl = (uint32_t)(ip->version_ihl & 0x0f) << 2, tl = rte_be_to_cpu_16(ip->total_length);
	if (tl < hl + 20 || tl - hl > l4len || l4len < 20)
		return false;
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)((uint8_t *)ip + hl);
	uint32_t th = (uint32_t)(t->data_off >> 4) * 4;
	if (th < 20 || hl + th > tl)
		return false;
	p->ip = ip;
	p->tcp = t;
	p->pay = (uint8_t *)t + th;
	p->len = tl - hl - th;
	p->seq = rte_be_to_cpu_32(t->sent_seq);
	p->ack = rte_be_to_cpu_32(t->recv_ack);
	p->flags = t->tcp_flags;
	return true;
}

/* ---- the position maps ------------------------------------------------------ */

uint32_t flow_stream_fwd(const struct fs_dir *d, uint32_t pos)
{
	int32_t D = d->base;
	for (int i = 0; i < d->nedit; i++) {
		const struct fs_edit *e = &d->ed[i];
		uint32_t rem = e->rem & ~FS_TAIL;
		int32_t k = fs_diff(pos, e->pos);
		if (k < 0 || (k == 0 && !(e->rem & FS_TAIL)))
			break;
		if ((uint32_t)k < rem)
			return e->pos + (uint32_t)D + e->ins;
		D += (int32_t)e->ins - (int32_t)rem;
	}
	return pos + (uint32_t)D;
}

uint32_t flow_stream_inv(const struct fs_dir *d, uint32_t y)
{
	int32_t D = d->base;
	for (int i = 0; i < d->nedit; i++) {
		const struct fs_edit *e = &d->ed[i];
		uint32_t ns = e->pos + (uint32_t)D;
		int32_t k = fs_diff(y, ns);
		/* removed bytes before y count as received */
		if (k < 0 || (k == 0 && e->ins))
			break;
		if ((uint32_t)k < e->ins)
			return e->pos;
		D += (int32_t)e->ins - (int32_t)(e->rem & ~FS_TAIL);
	}
	return y - (uint32_t)D;
}

int flow_stream_record(struct fs_dir *d, uint32_t pos, uint32_t rem, uint32_t ins, bool tail, uint32_t *folded)
{
	if (rem > FS_EDIT_MAX || ins > FS_EDIT_MAX || (tail && rem))
		return -EINVAL;
	if (rem == 0 && ins == 0)
		return 0;
	if (d->nedit) {
		const struct fs_edit *l = &d->ed[d->nedit - 1];
		if (fs_diff(pos, l->pos + (l->rem & ~FS_TAIL)) < 0)
			return -EINVAL;
		/* the same kind of edit right after the last one: one edit */
		if (!tail && !(l->rem & FS_TAIL) && pos == l->pos + l->rem && l->rem + rem <= FS_EDIT_MAX &&
		    l->ins + ins <= FS_EDIT_MAX && (l->ins == 0 || rem == 0)) {
			struct fs_edit *w = &d->ed[d->nedit - 1];
			w->rem = (uint16_t)(w->rem + rem);
			w->ins = (uint16_t)(w->ins + ins);
			return 0;
		}
	}
	if (d->nedit == FS_EDITS) {
		/* fold the edits the receiver has acknowledged entirely */
		int k = 0;
		while (k < d->nedit && fs_diff(d->acked, d->ed[k].pos + (d->ed[k].rem & ~FS_TAIL)) >= 0 &&
		       fs_diff(d->acked, d->ed[k].pos) > 0)
			k++;
		if (!k)
			return -ENOSPC;
		for (int i = 0; i < k; i++)
			d->base += (int32_t)d->ed[i].ins - (int32_t)(d->ed[i].rem & ~FS_TAIL);
		memmove(d->ed, d->ed + k, sizeof(d->ed[0]) * (size_t)(d->nedit - k));
		d->nedit = (uint8_t)(d->nedit - k);
		if (folded)
			*folded += (uint32_t)k;
	}
	d->ed[d->nedit++] = (struct fs_edit){ pos, (uint16_t)(rem | (tail ? FS_TAIL : 0)), (uint16_t)ins };
	return 0;
}

/* ---- packet surgery ---------------------------------------------------------- */

/* Move the bytes of m from data offset `at` to the end by delta (the
 * packet grows or shrinks by delta) and fix the IP total length. */
static int fs_resize(struct rte_mbuf *m, uint32_t at, int32_t delta, struct rte_ipv4_hdr *ip)
{
	uint32_t len = rt_len(m);
	if (delta > 0 && !rte_pktmbuf_append(m, (uint16_t)delta))
		return -ENOSPC;
	uint8_t *d = rt_data(m);
	memmove(d + (int32_t)at + delta, d + at, len - at);
	if (delta < 0)
		rte_pktmbuf_trim(m, (uint16_t)-delta);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->total_length) + delta));
	return 0;
}

int flow_stream_edit(struct fs_dir *d, struct rte_mbuf *m, uint32_t off, uint32_t rem, const void *ins,
		     uint32_t inslen, uint32_t *folded)
{
	struct fs_pkt p;
	if (!d->init || !fs_parse(m, &p) || off > p.len || rem > p.len - off)
		return -EINVAL;
	/* where the edit is in the original stream */
	uint32_t start = flow_stream_fwd(d, p.seq - d->isn), x = start + off;
	uint32_t pos = flow_stream_inv(d, x), end = flow_stream_inv(d, x + rem);
	if (flow_stream_fwd(d, pos) != x || end - pos != rem)
		return -EINVAL;  /* touches inserted bytes */
	bool tail = rem == 0 && off == p.len && off > 0;
	int32_t delta = (int32_t)inslen - (int32_t)rem;
	if (delta > 0 && rte_pktmbuf_tailroom(m) < (uint32_t)delta)
		return -ENOSPC;
	struct fs_dir save = *d;
	int rc = flow_stream_record(d, pos, rem, inslen, tail, folded);
	if (rc < 0)
		return rc;
	uint32_t at = (uint32_t)(p.pay - rt_data(m)) + off;
	if ((rc = fs_resize(m, at + rem, delta, p.ip)) < 0) {
		*d = save;
		return rc;
	}
	uint8_t *w = rt_data(m) + at;
	if (ins)
		memcpy(w, ins, inslen);
	else
		memset(w, 0, inslen);
	return 0;
}

void fs_trim_front(struct rte_mbuf *m, struct fs_pkt *p, uint32_t k)
{
	uint8_t *d = rt_data(m);
	uint32_t hdr = (uint32_t)(p->pay - d);
	bool nh = rt_has_nh(m);
	int nho = nh ? rt_nh_offset(m) : 0;
	memmove(d + k, d, hdr);
	rte_pktmbuf_adj(m, (uint16_t)k);
	if (nh)
		rt_set_nh(m, (uint32_t)nho);
	p->ip = (struct rte_ipv4_hdr *)((uint8_t *)p->ip + k);
	p->tcp = (struct rte_tcp_hdr *)((uint8_t *)p->tcp + k);
	p->pay += k;
	p->len -= k;
	p->seq += k;
	p->tcp->sent_seq = rte_cpu_to_be_32(p->seq);
	p->ip->total_length = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(p->ip->total_length) - k));
	uint32_t l4 = rt_len(m) - (uint32_t)((uint8_t *)p->tcp - rt_data(m));
	flow_fix_csums(p->ip, l4);
}

struct el *flow_stream_find(const struct el *e, const char *cls)
{
	const struct el *c = e;
	for (int i = 0; i < 32 && c; i++) {
		struct el *up = el_input_peer(c, 0, NULL);
		if (up && !strcmp(up->cls->name, cls))
			return up;
		c = up;
	}
	return NULL;
}

/* TCPIn's state begins with its anchor pointer (elements/tcp/tcpin.c). */
struct fs_anchor *flow_stream_attach(const struct el *e)
{
	struct el *t = flow_stream_find(e, "TCPIn");
	if (!t)
		return NULL;
	struct fs_anchor *a = *(struct fs_anchor **)t->state;
	a->refs++;
	return a;
}

void flow_stream_detach(struct fs_anchor *a)
{
	if (a && --a->refs == 0)
		free(a);
}
