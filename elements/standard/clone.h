/*
 * clone.h - deep packet copies for the elements that duplicate packets
 * (Tee, PaintSwitch).
 *
 * Click's clone() shares the packet buffer and copies on write; mboxsh's
 * elements write packet data in place, so a duplicate must be a copy.  The
 * copy keeps the buffer layout (headroom bytes included), so the network
 * header annotation, which is an offset from the buffer start, stays valid
 * and a later Unstrip uncovers the same bytes as on the original.
 */
#ifndef MB_ELEMENTS_CLONE_H
#define MB_ELEMENTS_CLONE_H

#include <rte_memcpy.h>

#include "../../runtime/router.h"

/* A copy of m from pool mp with the same bytes, data offset, mbuf metadata
 * and annotations; NULL when the pool is empty.  Data path safe. */
static inline struct rte_mbuf *el_pkt_copy(struct rte_mempool *mp, struct rte_mbuf *m)
{
	uint32_t end = (uint32_t)m->data_off + m->data_len;
	struct rte_mbuf *c;
	if (likely(m->nb_segs == 1)) {
		c = rte_pktmbuf_alloc(mp);
		if (unlikely(!c))
			return NULL;
		if (likely(end <= c->buf_len)) {
			rte_memcpy(c->buf_addr, m->buf_addr, end);
			c->data_off = m->data_off;
			c->data_len = m->data_len;
			c->pkt_len = m->data_len;
			c->port = m->port;
			c->vlan_tci = m->vlan_tci;
			c->vlan_tci_outer = m->vlan_tci_outer;
			c->tx_offload = m->tx_offload;
			c->hash = m->hash;
			c->packet_type = m->packet_type;
			c->ol_flags = m->ol_flags & ~(RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL);
			*rt_anno(c) = *rt_anno(m);
			return c;
		}
		rte_pktmbuf_free(c);
	}
	/* several segments, or a bigger buffer than the pool's: data only */
	c = rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);
	if (!c)
		return NULL;
	*rt_anno(c) = *rt_anno(m);
	if (rt_has_nh(m))
		rt_anno(c)->nh_off = (uint16_t)(rt_anno(m)->nh_off - m->data_off + c->data_off);
	return c;
}

/* Copy every packet of `from` into `to` (emptied first), skipping packets
 * that could not be copied; returns how many were not. */
static inline uint32_t el_batch_copy(struct rte_mempool *mp, const struct rt_batch *from, struct rt_batch *to)
{
	to->n = 0;
	for (uint32_t i = 0; i < from->n; i++) {
		struct rte_mbuf *c = el_pkt_copy(mp, from->pkts[i]);
		if (c)
			to->pkts[to->n++] = c;
	}
	return from->n - to->n;
}

#endif
