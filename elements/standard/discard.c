/*
 * Discard - drops every packet, counting them.
 */
#include "../../runtime/el.h"

struct discard_pw {
	uint64_t count;
};

struct discard {
	uint64_t base; /* count at the last reset (control thread only) */
};

static void discard_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct discard_pw *pw = el_pw(n->e);
	pw->count += b->n;
	rt_batch_free(b);
}

static int discard_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	uint64_t c = el_pw_sum(e, offsetof(struct discard_pw, count)) - EL_STATE(e, struct discard)->base;
	rt_buf_printf(out, "%llu", (unsigned long long)c);
	return 0;
}

static int discard_reset(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what, (void)v, (void)err;
	EL_STATE(e, struct discard)->base = el_pw_sum(e, offsetof(struct discard_pw, count));
	return 0;
}

static int discard_take(struct el *e, struct el *old, struct rt_err *err)
{
	(void)err;
	/* keep the count: carry the old total over as a negative base */
	EL_STATE(e, struct discard)->base -= el_pw_sum(old, offsetof(struct discard_pw, count)) -
					      EL_STATE(old, struct discard)->base;
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", discard_read, NULL, 0, 0, "packets discarded"},
	{"reset_counts", NULL, discard_reset, 0, EL_H_BUTTON, "reset the count"},
	EL_HANDLERS_END,
};

static struct el_class discard = {
	.name = "Discard",
	.sig = "Discard",
	.summary = "drops all packets",
	.doc = "Discards all packets received on its input, counting them.",
	.ports = "1/0",
	.state_size = sizeof(struct discard),
	.pw_size = sizeof(struct discard_pw),
	.push = discard_push,
	.take_state = discard_take,
	.handlers = handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(discard)
