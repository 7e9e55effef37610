/*
 * FixIPSrc - rewrites the IP source address of packets that carry the Fix IP
 * Source annotation (set by ICMPError), then clears it.
 *
 * The annotation is the RT_AF_FIXIPSRC bit of rt_anno.flags (0x02; see
 * ipmisc.h until runtime/rt.h defines it).
 */
#include "ipmisc.h"

static const char doc[] =
	"Expects IP packets. If a packet's Fix IP Source annotation is set, changes its IP source "
	"address to IPADDR, recomputes the IP header checksum and clears the annotation. Used after "
	"elements, such as ICMPError, that by the standards must use the outgoing interface's "
	"address as source; they put something reasonable in the source field in case the "
	"interface has no address. Other packets pass unchanged.";

struct fixipsrc {
	uint32_t addr; /* network order */
};

static const struct el_arg args[] = {
	{"IPADDR", EL_T_IP4, offsetof(struct fixipsrc, addr), NULL, EL_ARG_POS | EL_ARG_REQ, "the source address to set"},
	EL_ARGS_END,
};

static void fixipsrc_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	uint32_t a = EL_NSTATE(n, struct fixipsrc)->addr;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		struct rt_anno *an = rt_anno(m);
		if (likely(!(an->flags & RT_AF_FIXIPSRC)))
			continue;
		an->flags &= (uint8_t)~RT_AF_FIXIPSRC;
		if (!ipm_ok(m))
			continue;
		struct rte_ipv4_hdr *ip = ipm_hdr(m);
		ip->src_addr = a;
		ipm_set_csum(ip);
	}
	el_output(n, 0, b);
}

static struct el_class fixipsrc = {
	.name = "FixIPSrc",
	.sig = "FixIPSrc(IPADDR)",
	.summary = "sets IP source field if requested by annotation",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct fixipsrc),
	.args = args,
	.push = fixipsrc_push,
};
EL_REGISTER(fixipsrc)
