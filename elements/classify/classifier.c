/*
 * Classifier - classifies packets by contents: offset/value/mask patterns,
 * one output per pattern (Click's Classifier).
 */
#include "clsel.h"

static int classifier_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct classifier *s = e->state;
	if (argc == 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: Classifier needs at least one pattern", e->name);
	if (cls_classifier_compile(argc, argv, &e->loc, &s->prog, err) < 0) {
		rt_err_prefix(err, e->name);
		return err->code;
	}
	e->nout_cfg = argc;
	return 0;
}

static void classifier_cleanup(struct el *e) { cls_prog_free(EL_STATE(e, struct classifier)->prog); }

static void classifier_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct classifier *s = n->state;
	int16_t out[RT_BATCH_MAX];
	uint32_t drops = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (i + 1 < b->n)
			rte_prefetch0(rt_data(b->pkts[i + 1]));
		out[i] = (int16_t)cls_prog_match(s->prog, rt_data(b->pkts[i]), rt_len(b->pkts[i]));
		drops += out[i] < 0;
	}
	if (drops)
		((struct classifier_pw *)el_pw(n->e))->drops += drops;
	el_output_by_port(n, b, out);
}

static int classifier_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct classifier *s = e->state;
	if (what == 0)
		cls_prog_dump(s->prog, out);
	else
		rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct classifier_pw, drops)));
	return 0;
}

static const struct el_handler handlers[] = {
	{"program", classifier_read, NULL, 0, 0, "the compiled decision program"},
	{"drops", classifier_read, NULL, 1, 0, "packets that matched no pattern (dropped)"},
	EL_HANDLERS_END,
};

static struct el_class classifier = {
	.name = "Classifier",
	.sig = "Classifier(PATTERN_1, ..., PATTERN_N)",
	.summary = "classifies packets by contents",
	.doc = "Each pattern is a space-separated list of `OFFSET/VALUE` or `OFFSET/VALUE%MASK` clauses "
	       "(hexadecimal, `?` for a wildcard nibble, `!` to negate a clause), or `-` for every packet. "
	       "A packet goes to the output of the first pattern it matches; a packet that matches none "
	       "is dropped and counted. Offsets count from the start of the packet data.\n\n"
	       "Example: `Classifier(12/0806 20/0001, 12/0800, -)` sends ARP requests to 0, IPv4 to 1, "
	       "the rest to 2.",
	.ports = "1/-",
	.state_size = sizeof(struct classifier),
	.pw_size = sizeof(struct classifier_pw),
	.configure = classifier_configure,
	.cleanup = classifier_cleanup,
	.push = classifier_push,
	.handlers = handlers,
};
EL_REGISTER(classifier)
