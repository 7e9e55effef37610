/*
 * FlowCounter - counts packets and bytes per flow, in the flow's FCB slot.
 */
#include "flow/flow.h"

struct fc_slot {
	uint64_t pkts, bytes;
};

struct fc_pw {
	uint64_t pkts, noflow, ended, ended_pkts;
};

static void fc_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct fc_pw *pw = el_pw(n->e);
	for (uint32_t i = 0; i < b->n; i++) {
		struct fc_slot *s = flow_slot(n, b->pkts[i]);
		if (likely(s != NULL)) {
			s->pkts++;
			s->bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
		} else {
			pw->noflow++;
		}
	}
	pw->pkts += b->n;
	el_output(n, 0, b);
}

static void fc_release(struct el *e, void *slot)
{
	struct fc_slot *s = slot;
	struct fc_pw *pw = el_pw(e);
	pw->ended++;
	pw->ended_pkts += s->pkts;
}

static void fc_format(const struct el *e, const void *slot, struct rt_buf *out)
{
	(void)e;
	const struct fc_slot *s = slot;
	rt_buf_printf(out, " %llu %llu", (unsigned long long)s->pkts, (unsigned long long)s->bytes);
}

static int fc_flows(struct el *e, intptr_t a, struct rt_buf *out)
{
	(void)a;
	flow_el_list(e, fc_format, out);
	return 0;
}

static int fc_read(struct el *e, intptr_t off, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, (size_t)off));
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", fc_read, NULL, offsetof(struct fc_pw, pkts), 0, "packets seen"},
	{"noflow", fc_read, NULL, offsetof(struct fc_pw, noflow), 0, "packets seen without a flow"},
	{"ended", fc_read, NULL, offsetof(struct fc_pw, ended), 0, "flows ended (released by the manager)"},
	{"ended_packets", fc_read, NULL, offsetof(struct fc_pw, ended_pkts), 0, "packets of the flows that ended"},
	{"flows", fc_flows, NULL, 0, 0,
	 "live flows, one per line: key, packets, bytes (read when the router is not running)"},
	EL_HANDLERS_END,
};

static struct el_class fc_class = {
	.name = "FlowCounter",
	.sig = "FlowCounter",
	.summary = "counts packets and bytes per flow",
	.doc = "Counts packets and bytes of each flow in its slot of the flow control block set by the "
	       "FlowManager upstream, and passes packets on unchanged. When a flow ends its counts are "
	       "added to `ended` and `ended_packets`; `flows` lists the live ones.",
	.ports = "1/1",
	.pw_size = sizeof(struct fc_pw),
	.push = fc_push,
	.handlers = handlers,
	.flags = EL_C_NOARGS,
	.flow_size = sizeof(struct fc_slot),
	.flow_release = fc_release,
};
EL_REGISTER(fc_class)
