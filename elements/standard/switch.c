/*
 * Switch - sends every packet to one settable output.
 */
#include "../../runtime/el.h"

static const char doc[] =
	"Switch sends every incoming packet to one of its output ports: output number OUTPUT. The "
	"default OUTPUT is zero; a negative OUTPUT means to drop input packets instead of forwarding "
	"them. OUTPUT can be changed with the `switch` handler; writing a number no output has sets "
	"it to -1. Switch has an unlimited number of outputs.";

struct sw {
	int64_t output;
};

static const struct el_arg args[] = {
	{"OUTPUT", EL_T_INT, offsetof(struct sw, output), "0", EL_ARG_POS, "output to use, -1 drops"},
	EL_ARGS_END,
};

static void sw_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	int64_t k = __atomic_load_n(&EL_NSTATE(n, struct sw)->output, __ATOMIC_RELAXED);
	if (k >= 0 && k < n->nout)
		el_output(n, (int)k, b);
	else
		rt_batch_free(b);
}

static int sw_init(struct el *e, struct rt_err *err)
{
	struct sw *s = e->state;
	if (s->output >= e->nout)
		return rt_errf(err, &e->loc, -EINVAL, "%s: OUTPUT must be < %d", e->name, e->nout);
	if (s->output < 0)
		s->output = -1;
	return 0;
}

static int sw_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%lld", (long long)EL_STATE(e, struct sw)->output);
	return 0;
}

static int sw_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what;
	int64_t k;
	if (el_parse_value(EL_T_INT, v, &k, err) < 0)
		return err->code;
	if (k >= e->nout || k < 0)
		k = -1;
	__atomic_store_n(&EL_STATE(e, struct sw)->output, k, __ATOMIC_RELAXED);
	return 0;
}

static const struct el_handler handlers[] = {
	{"switch", sw_read, sw_write, 0, 0, "the output packets go to (-1: dropped)"},
	EL_HANDLERS_END,
};

static struct el_class sw = {
	.name = "Switch",
	.sig = "Switch([OUTPUT])",
	.summary = "sends packet stream to settable output",
	.doc = doc,
	.ports = "1/-",
	.state_size = sizeof(struct sw),
	.args = args,
	.init = sw_init,
	.push = sw_push,
	.handlers = handlers,
};
EL_REGISTER(sw)
