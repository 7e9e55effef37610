/*
 * MarkIPHeader - sets the network-header annotation to OFFSET bytes into
 * each packet, without checking anything.
 */
#include "../../runtime/el.h"

struct markip {
	uint64_t offset;
};

static void markip_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	uint32_t off = (uint32_t)EL_NSTATE(n, struct markip)->offset;
	for (uint32_t i = 0; i < b->n; i++)
		rt_set_nh(b->pkts[i], off);
	el_output(n, 0, b);
}

static int markip_init(struct el *e, struct rt_err *err)
{
	if (EL_STATE(e, struct markip)->offset > 1024)
		return rt_errf(err, &e->loc, -EINVAL, "%s: OFFSET too large", e->name);
	return 0;
}

static const struct el_arg args[] = {
	{"OFFSET", EL_T_UINT, offsetof(struct markip, offset), "0", EL_ARG_POS, "IP header offset"},
	EL_ARGS_END,
};

static struct el_class markipheader = {
	.name = "MarkIPHeader",
	.sig = "MarkIPHeader([OFFSET])",
	.summary = "sets IP header annotation",
	.doc = "Marks packets as IP packets by setting the IP header annotation. The IP header starts "
	       "OFFSET bytes into the packet. Default OFFSET is 0. Does not check length fields for "
	       "sanity, shorten packets to the IP length, or set the destination IP address annotation. "
	       "Use CheckIPHeader or CheckIPHeader2 for that.",
	.ports = "1/1",
	.state_size = sizeof(struct markip),
	.args = args,
	.init = markip_init,
	.push = markip_push,
};
EL_REGISTER(markipheader)
