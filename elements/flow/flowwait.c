/*
 * FlowWait - holds each flow's packets until the flow has brought enough
 * payload: the hold model ("wait for more packets") in its plainest form.
 */
#include <errno.h>

#include "flow/flow.h"

#define FW_HOLD 16

struct fwait_slot {
	uint32_t bytes;
	uint8_t done;
};

struct fwait {
	uint64_t bytes;
};

struct fwait_pw {
	struct flow_hold_stats hs;
	uint64_t released, noflow;
};

/* Payload bytes of an IPv4 TCP/UDP packet (0 for others). */
static uint32_t payload_len(struct rte_mbuf *m)
{
	uint32_t l4len;
	const struct rte_ipv4_hdr *ip = flow_ip(m, &l4len);
	if (!ip)
		return 0;
	uint32_t hl = (uint32_t)(ip->version_ihl & 0x0f) << 2, tl = rte_be_to_cpu_16(ip->total_length);
	uint32_t l4 = tl > hl ? RT_MIN(tl - hl, l4len) : 0;
	const uint8_t *p = (const uint8_t *)ip + hl;
	if (ip->next_proto_id == IPPROTO_TCP && l4 >= 20)
		return l4 - RT_MIN((uint32_t)(p[12] >> 4) * 4, l4);
	if (ip->next_proto_id == IPPROTO_UDP && l4 >= 8)
		return l4 - 8;
	return 0;
}

static int fwait_verdict(struct el_node *n, struct rte_mbuf *m, void *slot)
{
	struct fwait *s = n->state;
	struct fwait_pw *pw = el_pw(n->e);
	struct fwait_slot *w = slot;
	if (unlikely(!w)) {
		pw->noflow++;
		return 0;
	}
	if (w->done)
		return 0;
	w->bytes += payload_len(m);
	if (w->bytes < s->bytes)
		return FLOW_HOLD;
	w->done = 1;
	pw->released++;
	return 0;
}

static void fwait_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct fwait_pw *pw = el_pw(n->e);
	flow_el_push(n, b, fwait_verdict, &pw->hs);
}

static int fwait_read(struct el *e, intptr_t off, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, (size_t)off));
	return 0;
}

static const struct el_arg args[] = {
	{"BYTES", EL_T_BYTES, offsetof(struct fwait, bytes), NULL, EL_ARG_REQ | EL_ARG_POS,
	 "payload bytes a flow must bring before its packets go on"},
	EL_ARGS_END,
};

static const struct el_handler handlers[] = {
	{"held", fwait_read, NULL, offsetof(struct fwait_pw, hs.held), 0, "packets held"},
	{"overflow", fwait_read, NULL, offsetof(struct fwait_pw, hs.overflow), 0,
	 "packets dropped because their flow already held 16"},
	{"quota_drops", fwait_read, NULL, offsetof(struct fwait_pw, hs.quota), 0,
	 "packets dropped because its tenant held its quota of packets (tenant quota held=)"},
	{"released", fwait_read, NULL, offsetof(struct fwait_pw, released), 0, "flows that reached BYTES"},
	{"noflow", fwait_read, NULL, offsetof(struct fwait_pw, noflow), 0, "packets passed: no flow"},
	EL_HANDLERS_END,
};

static struct el_class fwait_class = {
	.name = "FlowWait",
	.sig = "FlowWait(BYTES)",
	.summary = "holds a flow's packets until it has brought BYTES of payload",
	.doc = "Behind a FlowManager: packets of a flow are held (up to 16 per flow, in the flow's FCB) "
	       "until the flow's TCP/UDP payload reaches BYTES; then the held packets and the one that "
	       "completed them leave in order, and later packets pass. Packets held when the flow ends are "
	       "freed and counted by the manager (held_freed); a seventeenth is dropped (overflow), and so is "
	       "one that would take its tenant over its held-packet quota (quota_drops). The "
	       "hold model of docs/flows.md; a base for elements that need to see more of a flow before "
	       "deciding.",
	.ports = "1/1",
	.state_size = sizeof(struct fwait),
	.pw_size = sizeof(struct fwait_pw),
	.args = args,
	.push = fwait_push,
	.handlers = handlers,
	.flow_size = sizeof(struct fwait_slot),
	.flow_hold = FW_HOLD,
};
EL_REGISTER(fwait_class)
