/*
 * SetIPChecksum - computes and stores the IPv4 header checksum of packets
 * marked with a network header.
 */
#include "iphdr.h"

struct setipck_pw {
	uint64_t drops;
};

static void setipck_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct el_split sp;
	el_split_init(&sp);
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 1 < b->n)
			rte_prefetch0(rt_nh(b->pkts[i + 1]));
		uint32_t nlen;
		struct rte_ipv4_hdr *ip = iph_at_nh(m, &nlen);
		uint32_t hlen = ip ? iph_hlen(ip) : 0;
		if (unlikely(!ip || hlen < sizeof(*ip) || hlen > nlen)) {
			rt_batch_add(&sp.out[1], m);
			continue;
		}
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		rt_batch_add(&sp.out[0], m);
	}
	if (sp.out[1].n)
		((struct setipck_pw *)el_pw(n->e))->drops += sp.out[1].n;
	el_split_flush(n, &sp);
}

static int setipck_drops(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct setipck_pw, drops)));
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", setipck_drops, NULL, 0, 0, "packets with no or a bad IP header"},
	EL_HANDLERS_END,
};

static struct el_class setipchecksum = {
	.name = "SetIPChecksum",
	.sig = "SetIPChecksum()",
	.summary = "sets IP packets' checksums",
	.doc = "Expects an IP packet with its network header annotation set (CheckIPHeader, "
	       "MarkIPHeader). Calculates the IP header's checksum and sets the checksum header field. "
	       "Packets without the annotation or with a header length below 20 or beyond the packet go "
	       "to output 1 if it exists and are dropped otherwise; `drops` counts them.",
	.ports = "1/1-2",
	.pw_size = sizeof(struct setipck_pw),
	.push = setipck_push,
	.handlers = handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(setipchecksum)
