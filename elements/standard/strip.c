/*
 * Strip - deletes bytes from the front of packets.
 */
#include "../../runtime/el.h"

static const char doc[] =
	"Deletes the first LENGTH bytes from each packet. A packet shorter than LENGTH becomes empty. "
	"The bytes stay in the buffer's headroom, so Unstrip(LENGTH) later puts them back; the network "
	"header annotation is unaffected.\n\n"
	"Use Strip(14) to get rid of the Ethernet header.";

struct strip {
	uint64_t len;
};

static const struct el_arg args[] = {
	{"LENGTH", EL_T_UINT, offsetof(struct strip, len), NULL, EL_ARG_POS | EL_ARG_REQ, "bytes to remove"},
	EL_ARGS_END,
};

static void strip_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	uint64_t len = EL_NSTATE(n, struct strip)->len;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		uint16_t k = (uint16_t)RT_MIN(len, (uint64_t)m->data_len);
		m->data_off += k;
		m->data_len -= k;
		m->pkt_len -= k;
	}
	el_output(n, 0, b);
}

static struct el_class strip = {
	.name = "Strip",
	.sig = "Strip(LENGTH)",
	.summary = "strips bytes from front of packets",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct strip),
	.args = args,
	.push = strip_push,
};
EL_REGISTER(strip)
