/*
 * RoundRobinSwitch - sends packets to its outputs in turn.
 */
#include "../../runtime/el.h"

static const char doc[] =
	"Pushes each arriving packet to one of the N outputs. The next packet will be pushed to the "
	"following output in round-robin order.\n\n"
	"Each worker keeps its own rotation (Click shares one atomic counter), so with several workers "
	"pushing the outputs are still used evenly, just not in one global order.";

struct rrswitch_pw {
	uint32_t next;
};

static void rrswitch_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct rrswitch_pw *pw = el_pw(n->e);
	uint32_t nout = (uint32_t)n->nout, next = pw->next;
	if (nout == 1) {
		el_output(n, 0, b);
		return;
	}
	/* packet i goes to output (next + i) % nout: output j's share is every
	 * nout-th packet starting at j */
	uint32_t ways = RT_MIN(nout, b->n);
	for (uint32_t j = 0; j < ways; j++) {
		struct rt_batch out;
		out.n = 0;
		for (uint32_t i = j; i < b->n; i += nout)
			out.pkts[out.n++] = b->pkts[i];
		el_output(n, (int)((next + j) % nout), &out);
	}
	pw->next = (next + b->n) % nout;
	b->n = 0;
}

static struct el_class rrswitch = {
	.name = "RoundRobinSwitch",
	.sig = "RoundRobinSwitch",
	.summary = "sends packets to round-robin outputs",
	.doc = doc,
	.ports = "1/1-",
	.pw_size = sizeof(struct rrswitch_pw),
	.push = rrswitch_push,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(rrswitch)
