/*
 * PaintSwitch - sends each packet to the output its paint annotation names.
 */
#include "anno.h"
#include "clone.h"

static const char doc[] =
	"PaintSwitch sends every incoming packet to one of its output ports: output K, where K is the "
	"value of the packet's paint annotation. If the paint annotation is 255, the packet is "
	"duplicated and sent to all outputs (the last output gets the original). PaintSwitch can have "
	"up to 255 outputs. If there is no output K, the packet is dropped.\n\n"
	"PaintSwitch uses the PAINT annotation by default, but the ANNO argument can specify another "
	"one-byte annotation (see Paint).";

#define PAINT_ALL 255

struct pswitch {
	char *anno;
	uint16_t off;
	struct rte_mempool *pool;
};

static const struct el_arg args[] = {
	{"ANNO", EL_T_WORD, offsetof(struct pswitch, anno), NULL, EL_ARG_POS, "annotation to read (default PAINT)"},
	EL_ARGS_END,
};

/* Some packet goes everywhere: walk the outputs in order; every output but
 * the last gets copies of the broadcast packets. */
static void pswitch_broadcast(struct el_node *n, struct rt_batch *b, const int16_t *to)
{
	const struct pswitch *s = n->state;
	for (uint32_t i = 0; i < b->n; i++)
		if (to[i] != PAINT_ALL && to[i] >= n->nout)
			rte_pktmbuf_free(b->pkts[i]);
	for (int k = 0; k < n->nout; k++) {
		struct rt_batch out;
		out.n = 0;
		for (uint32_t i = 0; i < b->n; i++) {
			if (to[i] == k) {
				out.pkts[out.n++] = b->pkts[i];
			} else if (to[i] == PAINT_ALL) {
				struct rte_mbuf *m = k + 1 < n->nout ? el_pkt_copy(s->pool, b->pkts[i]) : b->pkts[i];
				if (m)
					out.pkts[out.n++] = m;
			}
		}
		el_output(n, k, &out);
	}
	if (n->nout == 0)
		for (uint32_t i = 0; i < b->n; i++)
			if (to[i] == PAINT_ALL)
				rte_pktmbuf_free(b->pkts[i]);
}

static void pswitch_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct pswitch *s = n->state;
	int16_t to[RT_BATCH_MAX];
	bool all = false;
	for (uint32_t i = 0; i < b->n; i++) {
		to[i] = ((const uint8_t *)rt_anno(b->pkts[i]))[s->off];
		all |= to[i] == PAINT_ALL;
	}
	if (likely(!all)) {
		el_output_by_port(n, b, to); /* grouped by output, in order within each */
	} else {
		pswitch_broadcast(n, b, to);
		b->n = 0;
	}
}

static int pswitch_init(struct el *e, struct rt_err *err)
{
	struct pswitch *s = e->state;
	if (e->nout > 255)
		return rt_errf(err, &e->loc, -EINVAL, "%s: PaintSwitch has at most 255 outputs", e->name);
	s->pool = e->pool;
	return el_anno_byte(e, s->anno, &s->off, err);
}

static struct el_class paintswitch = {
	.name = "PaintSwitch",
	.sig = "PaintSwitch([ANNO])",
	.summary = "sends packet stream to output chosen per-packet",
	.doc = doc,
	.ports = "1/-",
	.state_size = sizeof(struct pswitch),
	.args = args,
	.init = pswitch_init,
	.push = pswitch_push,
};
EL_REGISTER(paintswitch)
