/*
 * PaintTee - copies packets of one paint colour to output 1 (a router uses
 * it to send redirects for packets leaving by the interface they came in).
 */
#include "../../runtime/el.h"
#include "clone.h"

struct painttee {
	uint64_t color;
};

static const struct el_arg args[] = {
	{"COLOR", EL_T_UINT, offsetof(struct painttee, color), NULL, EL_ARG_POS | EL_ARG_REQ, "paint colour to copy"},
	EL_ARGS_END,
};

static int painttee_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	(void)argv;
	if (argc)
		return rt_errf(err, &e->loc, -EINVAL, "%s: too many arguments", e->name);
	if (EL_STATE(e, struct painttee)->color > 255)
		return rt_errf(err, &e->loc, -EINVAL, "%s: COLOR must be 0 to 255", e->name);
	return 0;
}

static void painttee_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct painttee *s = n->state;
	struct rt_batch copies;
	copies.n = 0;
	for (uint32_t i = 0; i < b->n; i++)
		if (rt_anno(b->pkts[i])->paint == s->color) {
			struct rte_mbuf *c = el_pkt_copy(b->pkts[i]->pool, b->pkts[i]);
			if (c)
				copies.pkts[copies.n++] = c;
		}
	el_output(n, 0, b);
	el_output(n, 1, &copies);
}

static struct el_class painttee = {
	.name = "PaintTee",
	.sig = "PaintTee(COLOR)",
	.summary = "duplicates packets with a given paint annotation",
	.doc = "Every packet goes to output 0; a copy of each packet whose paint annotation equals COLOR "
	       "also goes to output 1.",
	.ports = "1/2",
	.state_size = sizeof(struct painttee),
	.args = args,
	.configure = painttee_configure,
	.push = painttee_push,
};
EL_REGISTER(painttee)
