/*
 * EtherMirror - swaps the Ethernet source and destination addresses in
 * place.
 */
#include <rte_ether.h>

#include "../../runtime/el.h"

struct ethermirror_pw {
	uint64_t drops;
};

static void ethermirror_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	uint32_t k = 0, bad = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 1 < b->n)
			rte_prefetch0(rt_data(b->pkts[i + 1]));
		if (unlikely(rt_len(m) < RTE_ETHER_HDR_LEN)) {
			rte_pktmbuf_free(m);
			bad++;
			continue;
		}
		struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rt_data(m);
		struct rte_ether_addr t = eh->dst_addr;
		eh->dst_addr = eh->src_addr;
		eh->src_addr = t;
		b->pkts[k++] = m;
	}
	b->n = k;
	if (unlikely(bad))
		((struct ethermirror_pw *)el_pw(n->e))->drops += bad;
	el_output(n, 0, b);
}

static int ethermirror_drops(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct ethermirror_pw, drops)));
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", ethermirror_drops, NULL, 0, 0, "packets shorter than an Ethernet header, dropped"},
	EL_HANDLERS_END,
};

static struct el_class ethermirror = {
	.name = "EtherMirror",
	.sig = "EtherMirror()",
	.summary = "swaps Ethernet source and destination",
	.doc = "Incoming packets are Ethernet. Their source and destination Ethernet addresses are "
	       "swapped before they are output. Packets shorter than 14 bytes are dropped and counted "
	       "in `drops` (an mboxsh addition).",
	.ports = "1/1",
	.pw_size = sizeof(struct ethermirror_pw),
	.push = ethermirror_push,
	.handlers = handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(ethermirror)
