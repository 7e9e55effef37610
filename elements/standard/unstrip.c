/*
 * Unstrip - puts bytes back at the front of packets.
 */
#include "../../runtime/el.h"

static const char doc[] =
	"Puts LENGTH bytes at the front of each packet. These may be bytes previously removed by Strip "
	"(they are uncovered unchanged).\n\n"
	"When a packet has less than LENGTH bytes of headroom its data is moved back in the buffer "
	"to make room (the uncovered bytes are then unspecified); a packet that does not fit in its "
	"buffer at all is dropped and counted (`drops`, not in Click).";

struct unstrip_pw {
	uint64_t drops;
};

struct unstrip {
	uint64_t len;
};

static const struct el_arg args[] = {
	{"LENGTH", EL_T_UINT, offsetof(struct unstrip, len), NULL, EL_ARG_POS | EL_ARG_REQ, "bytes to put back"},
	EL_ARGS_END,
};

/* Slow path: move the data towards the buffer's end to get `len` bytes of
 * headroom, keeping the network header annotation on the same bytes. */
static bool unstrip_make_room(struct rte_mbuf *m, uint64_t len)
{
	uint64_t shift = len - m->data_off;
	if (len + m->data_len > m->buf_len)
		return false;
	memmove(rt_data(m) + shift, rt_data(m), m->data_len);
	m->data_off = (uint16_t)(m->data_off + shift);
	if (rt_has_nh(m))
		rt_anno(m)->nh_off = (uint16_t)(rt_anno(m)->nh_off + shift);
	return true;
}

static void unstrip_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	uint64_t len = EL_NSTATE(n, struct unstrip)->len;
	uint32_t k = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (unlikely(m->data_off < len) && !unstrip_make_room(m, len)) {
			((struct unstrip_pw *)el_pw(n->e))->drops++;
			rte_pktmbuf_free(m);
			continue;
		}
		m->data_off = (uint16_t)(m->data_off - len);
		m->data_len = (uint16_t)(m->data_len + len);
		m->pkt_len += (uint32_t)len;
		b->pkts[k++] = m;
	}
	b->n = k;
	el_output(n, 0, b);
}

static int unstrip_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct unstrip_pw, drops)));
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", unstrip_read, NULL, 0, 0, "packets too long to fit LENGTH more bytes in their buffer"},
	EL_HANDLERS_END,
};

static struct el_class unstrip = {
	.name = "Unstrip",
	.sig = "Unstrip(LENGTH)",
	.summary = "unstrips bytes from front of packets",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct unstrip),
	.pw_size = sizeof(struct unstrip_pw),
	.args = args,
	.push = unstrip_push,
	.handlers = handlers,
};
EL_REGISTER(unstrip)
