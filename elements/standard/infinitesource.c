/*
 * InfiniteSource - generates copies of one packet, as fast as it can or up
 * to a limit.  A task: runs on a worker.
 */
#include "source.h"

static const char doc[] =
	"Creates packets consisting of DATA (or LENGTH bytes of it, repeated or cut) and pushes them "
	"out, BURST at a time, until LIMIT packets have been sent (-1: no limit). When STOP is true "
	"the router stops once LIMIT is reached. With ACTIVE false it produces nothing until the "
	"`active` handler is set.\n\n"
	"mboxsh's default BURST is 32 (Click's is 1): packets still leave one at a time in order, "
	"but in batches, which is what makes the data path fast.";

struct isrc {
	struct el_source src;  /* first: the shared handlers find it at e->state */
	uint64_t burst;
	bool timestamp;
};
_Static_assert(offsetof(struct isrc, src) == 0, "struct el_source must come first");

static const struct el_arg args[] = {
	EL_SOURCE_ARG_DATA,
	EL_SOURCE_ARG_LIMIT,
	{"BURST", EL_T_UINT, offsetof(struct isrc, burst), "32", EL_ARG_POS, "packets per task call (<= 64)"},
	EL_SOURCE_ARG_ACTIVE,
	EL_SOURCE_ARG_STOP,
	EL_SOURCE_ARG_LENGTH,
	{"TIMESTAMP", EL_T_BOOL, offsetof(struct isrc, timestamp), "true", 0, "set the timestamp annotation"},
	EL_ARGS_END,
};

static int isrc_init(struct el *e, struct rt_err *err)
{
	struct isrc *s = e->state;
	if (el_source_init(e, &s->src, err) < 0)
		return err->code;
	if (s->burst < 1 || s->burst > RT_BATCH_MAX)
		return rt_errf(err, &e->loc, -EINVAL, "%s: BURST must be 1 to %d", e->name, RT_BATCH_MAX);
	return 0;
}

static void isrc_cleanup(struct el *e) { el_source_cleanup(&EL_STATE(e, struct isrc)->src); }

static int isrc_run(struct el_node *n)
{
	struct isrc *s = n->state;
	if (!__atomic_load_n(&s->src.gate.active, __ATOMIC_ACQUIRE))
		return 0;
	uint64_t want = RT_MIN(__atomic_load_n(&s->burst, __ATOMIC_RELAXED), el_source_left(n->e, &s->src));
	if (!want)
		return 0;
	return el_source_emit(n, &s->src, want, s->timestamp ? rt_wall_ns() : 0);
}

static int isrc_burst_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)__atomic_load_n(&EL_STATE(e, struct isrc)->burst, __ATOMIC_RELAXED));
	return 0;
}

static int isrc_burst_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	uint64_t b;
	if (el_parse_value(EL_T_UINT, v, &b, err) < 0)
		return err->code;
	if (b < 1 || b > RT_BATCH_MAX)
		return rt_errf(err, NULL, -EINVAL, "BURST must be 1 to %d", RT_BATCH_MAX);
	__atomic_store_n(&EL_STATE(e, struct isrc)->burst, b, __ATOMIC_RELEASE);
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", el_source_read_h, NULL, EL_SOURCE_H_COUNT, 0, "packets sent"},
	{"reset", NULL, el_source_write_h, EL_SOURCE_H_RESET, EL_H_BUTTON, "reset count and restart"},
	{"active", el_source_read_h, el_source_write_h, EL_GATE_H_ACTIVE, 0, "whether it produces packets"},
	{"limit", el_source_read_h, el_source_write_h, EL_GATE_H_LIMIT, 0, "packet limit"},
	{"burst", isrc_burst_read, isrc_burst_write, 0, 0, "packets per task call"},
	EL_HANDLERS_END,
};

static struct el_class infinitesource = {
	.name = "InfiniteSource",
	.sig = "InfiniteSource([DATA, LIMIT, BURST, ACTIVE, KEYWORDS])",
	.summary = "generates packets whenever scheduled",
	.doc = doc,
	.ports = "0/1",
	.state_size = sizeof(struct isrc),
	.args = args,
	.init = isrc_init,
	.cleanup = isrc_cleanup,
	.run = isrc_run,
	.handlers = handlers,
};
EL_REGISTER(infinitesource)
