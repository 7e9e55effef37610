/*
 * Counter - counts packets and bytes passing through, with rates.
 */
#include "../../runtime/el.h"

struct counter_pw {
	uint64_t count, bytes;
};

struct counter {
	uint64_t base_count, base_bytes; /* totals at the last reset */
	/* rate sampling, control thread only */
	uint64_t last_ns, last_count, last_bytes;
	double rate, byte_rate;
	uint64_t first_ns;
};

static void counter_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct counter_pw *pw = el_pw(n->e);
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < b->n; i++)
		bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	pw->count += b->n;
	pw->bytes += bytes;
	el_output(n, 0, b);
}

static void counter_totals(struct el *e, uint64_t *c, uint64_t *bytes)
{
	struct counter *s = e->state;
	*c = el_pw_sum(e, offsetof(struct counter_pw, count)) - s->base_count;
	*bytes = el_pw_sum(e, offsetof(struct counter_pw, bytes)) - s->base_bytes;
}

/* Rates over the interval since the previous rate read (at least 10 ms),
 * like Click's smoothed rate but computed off the data path. */
static void counter_sample(struct el *e)
{
	struct counter *s = e->state;
	uint64_t now = rt_now_ns(), c, b;
	counter_totals(e, &c, &b);
	if (!s->first_ns) {
		s->first_ns = s->last_ns = now;
		s->last_count = c;
		s->last_bytes = b;
		return;
	}
	if (now - s->last_ns < 10000000ull)
		return;
	double dt = (double)(now - s->last_ns) / 1e9;
	s->rate = (double)(c - s->last_count) / dt;
	s->byte_rate = (double)(b - s->last_bytes) / dt;
	s->last_ns = now;
	s->last_count = c;
	s->last_bytes = b;
}

enum { H_COUNT, H_BYTES, H_RATE, H_BIT_RATE, H_BYTE_RATE };

static int counter_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct counter *s = e->state;
	uint64_t c, b;
	counter_totals(e, &c, &b);
	switch (what) {
	case H_COUNT: rt_buf_printf(out, "%llu", (unsigned long long)c); break;
	case H_BYTES: rt_buf_printf(out, "%llu", (unsigned long long)b); break;
	default:
		counter_sample(e);
		if (what == H_RATE)
			rt_buf_printf(out, "%.0f", s->rate);
		else if (what == H_BIT_RATE)
			rt_buf_printf(out, "%.0f", s->byte_rate * 8);
		else
			rt_buf_printf(out, "%.0f", s->byte_rate);
	}
	return 0;
}

static int counter_reset(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what, (void)v, (void)err;
	struct counter *s = e->state;
	s->base_count = el_pw_sum(e, offsetof(struct counter_pw, count));
	s->base_bytes = el_pw_sum(e, offsetof(struct counter_pw, bytes));
	s->first_ns = 0;
	s->rate = s->byte_rate = 0;
	return 0;
}

static int counter_take(struct el *e, struct el *old, struct rt_err *err)
{
	(void)err;
	struct counter *s = e->state;
	uint64_t c, b;
	counter_totals(old, &c, &b);
	s->base_count -= c;
	s->base_bytes -= b;
	return 0;
}

/* Canonical state, version 1: count and byte count, 8 bytes each,
 * little-endian. */
static int counter_export(struct el *e, struct el_state *st, struct rt_err *err)
{
	(void)err;
	uint64_t v[2];
	counter_totals(e, &v[0], &v[1]);
	v[0] = rte_cpu_to_le_64(v[0]);
	v[1] = rte_cpu_to_le_64(v[1]);
	rt_buf_add(&st->data, v, sizeof(v));
	return 0;
}

static int counter_import(struct el *e, const struct el_state *st, struct rt_err *err)
{
	struct counter *s = e->state;
	uint64_t v[2];
	if (st->data.len < sizeof(v))
		return rt_errf(err, NULL, -EINVAL, "%s: %s state too short", e->name, st->cls);
	memcpy(v, st->data.p, sizeof(v));
	s->base_count -= rte_le_to_cpu_64(v[0]);
	s->base_bytes -= rte_le_to_cpu_64(v[1]);
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", counter_read, NULL, H_COUNT, 0, "packets counted"},
	{"byte_count", counter_read, NULL, H_BYTES, 0, "bytes counted"},
	{"rate", counter_read, NULL, H_RATE, 0, "packets per second since the previous rate read"},
	{"bit_rate", counter_read, NULL, H_BIT_RATE, 0, "bits per second"},
	{"byte_rate", counter_read, NULL, H_BYTE_RATE, 0, "bytes per second"},
	{"reset", NULL, counter_reset, 0, EL_H_BUTTON, "reset counts and rates"},
	{"reset_counts", NULL, counter_reset, 0, EL_H_BUTTON, "same as reset"},
	EL_HANDLERS_END,
};

static struct el_class counter = {
	.name = "Counter",
	.sig = "Counter([KEYWORDS])",
	.summary = "measures packet count and rate",
	.doc = "Passes packets unchanged from its input to its output, counting packets and bytes. "
	       "Counts are per worker and summed when read, so counting costs no atomic operation.",
	.ports = "1/1",
	.state_size = sizeof(struct counter),
	.pw_size = sizeof(struct counter_pw),
	.push = counter_push,
	.take_state = counter_take,
	.state_version = 1,
	.export_state = counter_export,
	.import_state = counter_import,
	.handlers = handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(counter)
