/*
 * Pad - extends packets to a minimum length.
 */
#include "../../runtime/el.h"

static const char doc[] =
	"Extends packets to at least LENGTH bytes. With ZERO true (the default) the added bytes are "
	"zero; with ZERO false they are left as they were in the buffer.\n\n"
	"Click pads to the extra length annotation when LENGTH is omitted; mboxsh has no such "
	"annotation, so without LENGTH packets pass unchanged. A packet whose buffer cannot hold "
	"LENGTH bytes is dropped and counted (`drops`, not in Click).";

struct pad_pw {
	uint64_t drops;
};

struct pad {
	uint64_t len;
	bool zero;
};

static const struct el_arg args[] = {
	{"LENGTH", EL_T_UINT, offsetof(struct pad, len), "0", EL_ARG_POS, "minimum packet length"},
	{"ZERO", EL_T_BOOL, offsetof(struct pad, zero), "true", 0, "zero the added bytes"},
	EL_ARGS_END,
};

/* Slow path: not enough tailroom; move the data to the buffer's start. */
static bool pad_make_room(struct rte_mbuf *m, uint64_t len)
{
	if (len > m->buf_len)
		return false;
	uint16_t shift = (uint16_t)RT_MIN((uint64_t)m->data_off, len - m->data_len - rte_pktmbuf_tailroom(m));
	memmove(rt_data(m) - shift, rt_data(m), m->data_len);
	m->data_off = (uint16_t)(m->data_off - shift);
	if (rt_has_nh(m))
		rt_anno(m)->nh_off = (uint16_t)(rt_anno(m)->nh_off - shift);
	return true;
}

static void pad_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct pad *s = n->state;
	uint64_t len = s->len;
	uint32_t k = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (m->data_len < len) {
			uint16_t add = (uint16_t)(len - m->data_len);
			if (unlikely(rte_pktmbuf_tailroom(m) < add) && !pad_make_room(m, len)) {
				((struct pad_pw *)el_pw(n->e))->drops++;
				rte_pktmbuf_free(m);
				continue;
			}
			uint8_t *p = rt_data(m) + m->data_len;
			m->data_len = (uint16_t)(m->data_len + add);
			m->pkt_len += add;
			if (s->zero)
				memset(p, 0, add);
		}
		b->pkts[k++] = m;
	}
	b->n = k;
	el_output(n, 0, b);
}

static int pad_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct pad_pw, drops)));
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", pad_read, NULL, 0, 0, "packets whose buffer could not hold LENGTH bytes"},
	EL_HANDLERS_END,
};

static struct el_class pad = {
	.name = "Pad",
	.sig = "Pad([LENGTH, KEYWORDS])",
	.summary = "extends packet length",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct pad),
	.pw_size = sizeof(struct pad_pw),
	.args = args,
	.push = pad_push,
	.handlers = handlers,
};
EL_REGISTER(pad)
