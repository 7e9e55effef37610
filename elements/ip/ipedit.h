/*
 * ipedit.h - the batch loop of the elements that edit IPv4 packets in place
 * through the network-header annotation (SetIPChecksum, SetUDPChecksum,
 * SetTCPChecksum, DecIPTTL): each packet goes to output 0 when its edit
 * succeeds and to output 1 (or is dropped) otherwise, and a per-worker
 * `drops` counter counts the latter.
 *
 * An element using it puts struct ipedit_pw first in its per-worker block
 * and may serve its `drops` handler with ipedit_drops_h.
 *
 * Thread-safety: ipedit_push() runs on a worker and writes only that
 * worker's block; ipedit_drops_h() sums them on the control thread.
 */
#ifndef MB_EL_IPEDIT_H
#define MB_EL_IPEDIT_H

#include "iphdr.h"

struct ipedit_pw {
	uint64_t drops;  /* packets sent to output 1 */
};

/* Edit one packet whose IPv4 header is at ip, with nlen bytes from there to
 * the end of the data (at least 20).  ctx: what the element passed to
 * ipedit_push.  Returns the output: 0, or 1 when it could not. */
typedef int (*ipedit_fn)(struct rte_ipv4_hdr *ip, uint32_t nlen, const void *ctx);

/* Run edit over batch b of node n.  Packets without a usable network
 * header go to output 1 without it.  Static inline so that edit, a
 * constant at each call, is inlined into the loop. */
static inline void ipedit_push(struct el_node *n, struct rt_batch *b, ipedit_fn edit, const void *ctx)
{
	struct el_split sp;
	el_split_init(&sp);
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 1 < b->n)
			rte_prefetch0(rt_nh(b->pkts[i + 1]));
		uint32_t nlen;
		struct rte_ipv4_hdr *ip = iph_at_nh(m, &nlen);
		int port = likely(ip != NULL) ? edit(ip, nlen, ctx) : 1;
		rt_batch_add(&sp.out[port], m);
	}
	if (sp.out[1].n)
		((struct ipedit_pw *)el_pw(n->e))->drops += sp.out[1].n;
	el_split_flush(n, &sp);
}

/* Read handler: the drops counted on every worker. */
int ipedit_drops_h(struct el *e, intptr_t what, struct rt_buf *out);

#endif
