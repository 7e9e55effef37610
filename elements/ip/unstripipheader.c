/*
 * UnstripIPHeader - puts back the IP header removed by StripIPHeader, using
 * the network-header annotation.
 */
#include "../../runtime/el.h"

static void unstripip_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (!rt_has_nh(m))
			continue;
		int off = rt_nh_offset(m);
		/* the bytes are still in the headroom: nh_off >= 0 from buf_addr */
		if (off < 0)
			rte_pktmbuf_prepend(m, (uint16_t)-off);
	}
	el_output(n, 0, b);
}

static struct el_class unstripipheader = {
	.name = "UnstripIPHeader",
	.sig = "UnstripIPHeader()",
	.summary = "restores outermost IP header",
	.doc = "Put the IP header back, based on the IP header annotation: if the data starts after "
	       "the network header, it is moved back to start at it. Packets without the annotation, "
	       "or whose data starts at or before it, pass unchanged.",
	.ports = "1/1",
	.push = unstripip_push,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(unstripipheader)
