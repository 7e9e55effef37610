/*
 * MarkIPCE - sets the ECN field of ECN-capable IP packets to Congestion
 * Experienced; drops packets that are not ECN-capable.
 */
#include "ipmisc.h"

static const char doc[] =
	"Expects IP packets. Sets each incoming packet's ECN field to Congestion Experienced "
	"(value 3), incrementally updates the IP checksum, and passes the packet to output 0. "
	"Packets already marked CE pass unchanged. Non-IP packets, and IP packets whose ECN field "
	"is zero (not ECN-capable), are dropped and counted.";

#define ECN_MASK 0x03
#define ECN_CE 0x03

struct markipce_pw {
	uint64_t drops;
};

static void markipce_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct rt_batch out;
	out.n = 0;
	uint32_t dropped = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 4 < b->n)
			rte_prefetch0(rt_data(b->pkts[i + 4]));
		if (unlikely(!ipm_ok(m))) {
			rte_pktmbuf_free(m);
			dropped++;
			continue;
		}
		struct rte_ipv4_hdr *ip = ipm_hdr(m);
		uint8_t ecn = ip->type_of_service & ECN_MASK;
		if (ecn == 0) {
			rte_pktmbuf_free(m);
			dropped++;
			continue;
		}
		if (ecn != ECN_CE) {
			/* TOS shares a 16-bit checksum word with version/IHL */
			uint16_t old;
			memcpy(&old, ip, 2);
			ip->type_of_service |= ECN_CE;
			uint16_t new;
			memcpy(&new, ip, 2);
			ip->hdr_checksum = ipm_csum_adjust(ip->hdr_checksum, old, new);
		}
		rt_batch_add(&out, m);
	}
	if (dropped)
		((struct markipce_pw *)el_pw(n->e))->drops += dropped;
	el_output(n, 0, &out);
	b->n = 0;
}

static int markipce_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct markipce_pw, drops)));
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", markipce_read, NULL, 0, 0, "packets dropped (not ECN-capable, or not IP)"},
	EL_HANDLERS_END,
};

static struct el_class markipce = {
	.name = "MarkIPCE",
	.sig = "MarkIPCE()",
	.summary = "sets IP packets' ECN field to Congestion Experienced",
	.doc = doc,
	.ports = "1/1",
	.pw_size = sizeof(struct markipce_pw),
	.push = markipce_push,
	.handlers = handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(markipce)
