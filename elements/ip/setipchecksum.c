/*
 * SetIPChecksum - computes and stores the IPv4 header checksum of packets
 * marked with a network header.
 */
#include "ipedit.h"

static int setipck_edit(struct rte_ipv4_hdr *ip, uint32_t nlen, const void *ctx)
{
	uint32_t hlen = iph_hlen(ip);
	if (unlikely(hlen < sizeof(*ip) || hlen > nlen))
		return 1;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return 0;
}

static void setipck_push(struct el_node *n, int port, struct rt_batch *b) { ipedit_push(n, b, setipck_edit, NULL); }

static const struct el_handler handlers[] = {
	{"drops", ipedit_drops_h, NULL, 0, 0, "packets with no or a bad IP header"},
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
	.pw_size = sizeof(struct ipedit_pw),
	.push = setipck_push,
	.handlers = handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(setipchecksum)
