/*
 * Paint - sets each packet's paint annotation.
 */
#include "anno.h"

static const char doc[] =
	"Sets each packet's paint annotation to COLOR, an integer 0..255.\n\n"
	"Paint sets the packet's PAINT annotation by default, but the ANNO argument can specify another "
	"one-byte annotation: a byte offset into mboxsh's annotation area that falls in a user "
	"annotation (seq, aggregate or tenant).";

struct paint {
	uint64_t color;
	char *anno;
	uint16_t off;
};

static const struct el_arg args[] = {
	{"COLOR", EL_T_UINT, offsetof(struct paint, color), NULL, EL_ARG_POS | EL_ARG_REQ, "colour, 0..255"},
	{"ANNO", EL_T_WORD, offsetof(struct paint, anno), NULL, EL_ARG_POS, "annotation to set (default PAINT)"},
	EL_ARGS_END,
};

static void paint_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct paint *s = n->state;
	uint8_t color = (uint8_t)__atomic_load_n(&s->color, __ATOMIC_RELAXED);
	uint16_t off = s->off;
	for (uint32_t i = 0; i < b->n; i++)
		((uint8_t *)rt_anno(b->pkts[i]))[off] = color;
	el_output(n, 0, b);
}

static int paint_init(struct el *e, struct rt_err *err)
{
	struct paint *s = e->state;
	if (s->color > 255)
		return rt_errf(err, &e->loc, -EINVAL, "%s: COLOR must be 0..255", e->name);
	return el_anno_byte(e, s->anno, &s->off, err);
}

static int paint_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)EL_STATE(e, struct paint)->color);
	return 0;
}

static int paint_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what;
	uint64_t c;
	if (el_parse_value(EL_T_UINT, v, &c, err) < 0)
		return err->code;
	if (c > 255)
		return rt_errf(err, NULL, -EINVAL, "%s: color must be 0..255", e->name);
	__atomic_store_n(&EL_STATE(e, struct paint)->color, c, __ATOMIC_RELAXED);
	return 0;
}

static const struct el_handler handlers[] = {
	{"color", paint_read, paint_write, 0, 0, "the colour to paint"},
	EL_HANDLERS_END,
};

static struct el_class paint = {
	.name = "Paint",
	.sig = "Paint(COLOR [, ANNO])",
	.summary = "sets packet paint annotations",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct paint),
	.args = args,
	.init = paint_init,
	.push = paint_push,
	.handlers = handlers,
};
EL_REGISTER(paint)
