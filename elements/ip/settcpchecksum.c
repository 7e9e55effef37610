/*
 * SetTCPChecksum - computes and stores the TCP checksum of IPv4 packets
 * marked with a network header.
 */
#include "ipedit.h"

struct settcpck {
	bool fixoff;
};

static int settcpck_edit(struct rte_ipv4_hdr *ip, uint32_t nlen, const void *ctx)
{
	const struct settcpck *s = ctx;
	uint32_t hlen = iph_hlen(ip), tl = rte_be_to_cpu_16(ip->total_length);
	/* TCP length from the IP header; it must fit in what the packet has */
	if (unlikely(hlen < sizeof(*ip) || hlen > nlen || tl < hlen + 20 || tl > nlen))
		return 1;
	uint32_t plen = tl - hlen;
	uint8_t *th = (uint8_t *)ip + hlen;
	if (s->fixoff) {
		uint32_t off = (uint32_t)(th[12] >> 4) << 2;
		if (off < 20)
			th[12] = (uint8_t)((th[12] & 0x0f) | (5 << 4));
		else if (off > plen && !iph_is_frag(ip))
			th[12] = (uint8_t)((th[12] & 0x0f) | ((plen >> 2) << 4));
	}
	th[16] = th[17] = 0;
	uint16_t c = iph_l4_cksum(ip, th, plen);
	memcpy(th + 16, &c, 2);
	return 0;
}

static void settcpck_push(struct el_node *n, int port, struct rt_batch *b) { ipedit_push(n, b, settcpck_edit, n->state); }

static const struct el_arg args[] = {
	{"FIXOFF", EL_T_BOOL, offsetof(struct settcpck, fixoff), "false", EL_ARG_POS, "repair a bad TCP data offset"},
	EL_ARGS_END,
};

static const struct el_handler handlers[] = {
	{"drops", ipedit_drops_h, NULL, 0, 0, "packets with no IP header or bad lengths"},
	EL_HANDLERS_END,
};

static struct el_class settcpchecksum = {
	.name = "SetTCPChecksum",
	.sig = "SetTCPChecksum([FIXOFF])",
	.summary = "sets TCP packets' checksums",
	.doc = "Input packets should be TCP in IP, with the network header annotation set. Calculates "
	       "the TCP header's checksum over the IP length and sets the checksum field. With FIXOFF "
	       "true, a TCP data offset below 5 words or beyond the segment is repaired first. Packets "
	       "without the annotation or whose lengths do not fit (TCP shorter than 20 bytes, or longer "
	       "than the packet) go to output 1 if it exists and are dropped otherwise; `drops` counts "
	       "them (Click has one output and drops them).",
	.ports = "1/1-2",
	.state_size = sizeof(struct settcpck),
	.pw_size = sizeof(struct ipedit_pw),
	.args = args,
	.push = settcpck_push,
	.handlers = handlers,
};
EL_REGISTER(settcpchecksum)
