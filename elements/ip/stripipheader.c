/*
 * StripIPHeader - removes everything up to the end of the IP header (found
 * through the network-header annotation) from each packet.
 */
#include "iphdr.h"

struct stripip_pw {
	uint64_t drops;
};

static void stripip_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	uint32_t k = 0, bad = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 1 < b->n)
			rte_prefetch0(rt_nh(b->pkts[i + 1]));
		uint32_t nlen;
		const struct rte_ipv4_hdr *ip = iph_at_nh(m, &nlen);
		uint32_t hlen = ip ? iph_hlen(ip) : 0;
		if (unlikely(!ip || hlen > nlen)) {
			rte_pktmbuf_free(m);
			bad++;
			continue;
		}
		rte_pktmbuf_adj(m, (uint16_t)((uint32_t)rt_nh_offset(m) + hlen));
		b->pkts[k++] = m;
	}
	b->n = k;
	if (unlikely(bad))
		((struct stripip_pw *)el_pw(n->e))->drops += bad;
	el_output(n, 0, b);
}

static int stripip_drops(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct stripip_pw, drops)));
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", stripip_drops, NULL, 0, 0, "packets without a usable IP header annotation, dropped"},
	EL_HANDLERS_END,
};

static struct el_class stripipheader = {
	.name = "StripIPHeader",
	.sig = "StripIPHeader()",
	.summary = "strips outermost IP header",
	.doc = "Strips the outermost IP header from IP packets, based on the IP header annotation "
	       "(everything before the header goes too). The annotation stays, so UnstripIPHeader can "
	       "put the header back. Packets without the annotation, or whose header does not fit, are "
	       "dropped and counted in `drops` (an mboxsh addition).",
	.ports = "1/1",
	.pw_size = sizeof(struct stripip_pw),
	.push = stripip_push,
	.handlers = handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(stripipheader)
