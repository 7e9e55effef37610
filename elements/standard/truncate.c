/*
 * Truncate - limits packet length.
 */
#include "../../runtime/el.h"

static const char doc[] =
	"Shortens packets to at most LENGTH bytes.\n\n"
	"EXTRA_LENGTH is accepted for compatibility; mboxsh has no extra length annotation, so it has "
	"no effect.";

struct trunc {
	uint64_t len;
	bool extra_length;
};

static const struct el_arg args[] = {
	{"LENGTH", EL_T_UINT, offsetof(struct trunc, len), NULL, EL_ARG_POS | EL_ARG_REQ, "maximum packet length"},
	{"EXTRA_LENGTH", EL_T_BOOL, offsetof(struct trunc, extra_length), "true", 0,
	 "update the extra length annotation (no effect)"},
	EL_ARGS_END,
};

static void trunc_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	uint64_t len = __atomic_load_n(&EL_NSTATE(n, struct trunc)->len, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (m->data_len > len) { /* packets are one segment (rt.h) */
			m->data_len = (uint16_t)len;
			m->pkt_len = (uint32_t)len;
		}
	}
	el_output(n, 0, b);
}

static int trunc_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)EL_STATE(e, struct trunc)->len);
	return 0;
}

static int trunc_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what;
	uint64_t len;
	if (el_parse_value(EL_T_UINT, v, &len, err) < 0)
		return err->code;
	__atomic_store_n(&EL_STATE(e, struct trunc)->len, len, __ATOMIC_RELAXED);
	return 0;
}

static const struct el_handler handlers[] = {
	{"length", trunc_read, trunc_write, 0, 0, "maximum packet length (LENGTH)"},
	EL_HANDLERS_END,
};

static struct el_class truncate_cls = {
	.name = "Truncate",
	.sig = "Truncate(LENGTH [, KEYWORDS])",
	.summary = "limits packet length",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct trunc),
	.args = args,
	.push = trunc_push,
	.handlers = handlers,
};
EL_REGISTER(truncate_cls)
