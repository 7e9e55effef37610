/*
 * DropBroadcasts - drops packets that arrived as link-level broadcasts or
 * multicasts, so a router never forwards them.
 */
#include "../../runtime/el.h"
#include "../../runtime/router.h"

struct dropb {
	uint64_t base;
	bool reading; /* counted in the router's link-broadcast readers */
};

struct dropb_pw {
	uint64_t drops;
};

static void dropb_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	uint32_t k = 0, drops = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (rt_anno(m)->flags & RT_AF_LINK_BCAST) {
			rte_pktmbuf_free(m);
			drops++;
		} else {
			b->pkts[k++] = m;
		}
	}
	b->n = k;
	if (drops)
		((struct dropb_pw *)el_pw(n->e))->drops += drops;
	el_output(n, 0, b);
}

/* Device sources set the annotation only while someone reads it. */
static int dropb_init(struct el *e, struct rt_err *err)
{
	(void)err;
	rt_router_link_bcast_use(e->router, +1);
	EL_STATE(e, struct dropb)->reading = true;
	return 0;
}

static void dropb_cleanup(struct el *e)
{
	struct dropb *s = e->state;
	if (s->reading)
		rt_router_link_bcast_use(e->router, -1);
	s->reading = false;
}

static int dropb_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)(el_pw_sum(e, offsetof(struct dropb_pw, drops)) -
							 EL_STATE(e, struct dropb)->base));
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", dropb_read, NULL, 0, 0, "broadcast packets dropped"},
	EL_HANDLERS_END,
};

static struct el_class dropbroadcasts = {
	.name = "DropBroadcasts",
	.sig = "DropBroadcasts",
	.summary = "drops link-level broadcast and multicast packets",
	.doc = "Drops packets whose link-level broadcast annotation is set (sources such as FromDump and "
	       "FromDPDKDevice set it when an Ethernet frame's destination has the group bit), and passes "
	       "the others.",
	.ports = "1/1",
	.state_size = sizeof(struct dropb),
	.pw_size = sizeof(struct dropb_pw),
	.init = dropb_init,
	.cleanup = dropb_cleanup,
	.push = dropb_push,
	.handlers = handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(dropbroadcasts)
