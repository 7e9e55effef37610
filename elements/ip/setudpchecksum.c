/*
 * SetUDPChecksum - computes and stores the UDP checksum of IPv4 packets
 * marked with a network header.
 */
#include "ipedit.h"

static int setudpck_edit(struct rte_ipv4_hdr *ip, uint32_t nlen, const void *ctx)
{
	uint32_t hlen = iph_hlen(ip);
	/* not fragments; the UDP length must fit in what the packet has */
	if (unlikely(hlen < sizeof(*ip) || nlen < hlen + 8 || iph_is_frag(ip)))
		return 1;
	uint8_t *uh = (uint8_t *)ip + hlen;
	uint32_t ulen = (uint32_t)uh[4] << 8 | uh[5];
	if (unlikely(ulen < 8 || ulen > nlen - hlen))
		return 1;
	uh[6] = uh[7] = 0;
	uint16_t c = iph_l4_cksum(ip, uh, ulen);
	memcpy(uh + 6, &c, 2);
	return 0;
}

static void setudpck_push(struct el_node *n, int port, struct rt_batch *b) { ipedit_push(n, b, setudpck_edit, NULL); }

static const struct el_handler handlers[] = {
	{"drops", ipedit_drops_h, NULL, 0, 0, "fragments and packets with no IP header or bad lengths"},
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
	.pw_size = sizeof(struct ipedit_pw),
	.push = setudpck_push,
	.handlers = handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(setudpchecksum)
