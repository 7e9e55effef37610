/*
 * Tee - sends a copy of each packet out every output.
 */
#include "clone.h"

static const char doc[] =
	"Tee sends a copy of each incoming packet out each output. It has however many outputs are "
	"used in the configuration; N, if given, fixes the number of outputs.\n\n"
	"Output 0 gets the original packet and the other outputs get copies with the same bytes "
	"(headroom included) and annotations. Outputs are fed in order, 0 first. A copy that cannot "
	"be made (packet pool empty) is skipped for that output and the ones after it, and counted "
	"(`drops`). Click's Tee shares the buffer (copy on write); mboxsh copies, because its elements "
	"write packet data in place.";

struct tee_pw {
	uint64_t drops;
};

struct tee {
	int64_t n;
	struct rte_mempool *pool;
};

static const struct el_arg args[] = {
	{"N", EL_T_INT, offsetof(struct tee, n), NULL, EL_ARG_POS, "number of outputs"},
	EL_ARGS_END,
};

/* Each output's copies are made from the previous output's batch just
 * before that batch is sent on, so at most two batches are alive. */
static void tee_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct tee *s = n->state;
	struct rt_batch bufs[2];
	struct rt_batch *cur = b;
	for (int k = 0; k < n->nout; k++) {
		struct rt_batch *next = &bufs[k & 1];
		if (k + 1 < n->nout) {
			uint32_t lost = el_batch_copy(s->pool, cur, next);
			if (unlikely(lost))
				((struct tee_pw *)el_pw(n->e))->drops += lost;
		}
		el_output(n, k, cur);
		cur = next;
	}
}

static int tee_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct tee *s = e->state;
	for (int i = 0; i < argc; i++) {
		const char *v;
		int kw = el_arg_keyword(argv[i], &v);
		if (kw)
			return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%.*s'", e->name, kw, argv[i]);
		if (*argv[i])
			return rt_errf(err, &e->loc, -EINVAL, "%s: too many arguments (unexpected '%s')", e->name, argv[i]);
	}
	if (el_arg_given(e, "N")) {
		if (s->n < 1)
			return rt_errf(err, &e->loc, -EINVAL, "%s: N must be at least 1", e->name);
		e->nout_cfg = (int)s->n;
	}
	return 0;
}

static int tee_init(struct el *e, struct rt_err *err)
{
	(void)err;
	EL_STATE(e, struct tee)->pool = e->pool;
	return 0;
}

static int tee_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	uint64_t d = el_pw_sum(e, offsetof(struct tee_pw, drops));
	rt_buf_printf(out, "%llu", (unsigned long long)d);
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", tee_read, NULL, 0, 0, "copies that could not be made (packet pool empty)"},
	EL_HANDLERS_END,
};

static struct el_class tee_cls = {
	.name = "Tee",
	.sig = "Tee([N])",
	.summary = "duplicates packets",
	.doc = doc,
	.ports = "1/1-",
	.state_size = sizeof(struct tee),
	.pw_size = sizeof(struct tee_pw),
	.args = args,
	.configure = tee_configure,
	.init = tee_init,
	.push = tee_push,
	.handlers = handlers,
};
EL_REGISTER(tee_cls)
