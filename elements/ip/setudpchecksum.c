/*
 * SetUDPChecksum - computes and stores the UDP checksum of IPv4 packets
 * marked with a network header.
 */
#include "iphdr.h"

struct setudpck_pw {
	uint64_t drops;
};

static void setudpck_push(struct el_node *n, int port, struct rt_batch *b)
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
		/* not fragments; the UDP length must fit in what the packet has */
		if (unlikely(!ip || hlen < sizeof(*ip) || nlen < hlen + 8 || iph_is_frag(ip))) {
			rt_batch_add(&sp.out[1], m);
			continue;
		}
		uint8_t *uh = (uint8_t *)ip + hlen;
		uint32_t ulen = (uint32_t)uh[4] << 8 | uh[5];
		if (unlikely(ulen < 8 || ulen > nlen - hlen)) {
			rt_batch_add(&sp.out[1], m);
			continue;
		}
		uh[6] = uh[7] = 0;
		uint16_t c = iph_l4_cksum(ip, uh, ulen);
		memcpy(uh + 6, &c, 2);
		rt_batch_add(&sp.out[0], m);
	}
	if (sp.out[1].n)
		((struct setudpck_pw *)el_pw(n->e))->drops += sp.out[1].n;
	el_split_flush(n, &sp);
}

static int setudpck_drops(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct setudpck_pw, drops)));
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", setudpck_drops, NULL, 0, 0, "fragments and packets with no IP header or bad lengths"},
	EL_HANDLERS_END,
};

static struct el_class setudpchecksum = {
	.name = "SetUDPChecksum",
	.sig = "SetUDPChecksum()",
	.summary = "sets UDP packets' checksums",
	.doc = "Input packets should be UDP in IP, with the network header annotation set. Calculates "
	       "the UDP checksum over the UDP length field and sets it (a computed 0 is sent as "
	       "0xFFFF). Fragments, packets without the annotation and packets whose UDP length is "
	       "below 8 or beyond the packet go to output 1 if it exists and are dropped otherwise; "
	       "`drops` counts them.",
	.ports = "1/1-2",
	.pw_size = sizeof(struct setudpck_pw),
	.push = setudpck_push,
	.handlers = handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(setudpchecksum)
