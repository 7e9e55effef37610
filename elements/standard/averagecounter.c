/*
 * AverageCounter - counts packets and bytes, with the average rate between
 * the first and the most recent packet.
 */
#include <rte_cycles.h>

#include "../../runtime/el.h"

static const char doc[] =
	"Passes packets unchanged from its input to its output, maintaining statistics about packet "
	"count and packet rate using a strict average: the rate covers only the time between the "
	"first and most recent packets.\n\n"
	"IGNORE, by default 0, is a time: packets in the first IGNORE seconds after the first packet "
	"are not counted, and that time is left out of the rate.\n\n"
	"Times are TSC readings taken once per batch; as in Click (1 ms jiffies) an interval shorter "
	"than 1 ms counts as 1 ms.";

/* Only the owning worker writes its block.  `reset` bumps the element's
 * generation; a worker that sees a new one starts its block over, and
 * readers skip blocks of an older generation. */
struct avgc_pw {
	uint64_t gen, count, bytes;
	uint64_t first, last; /* TSC of the first / latest batch; 0 = none yet */
};

struct avgc {
	uint64_t ignore_ns;
	uint64_t ignore_tsc;
	uint64_t gen;
};

static const struct el_arg args[] = {
	{"IGNORE", EL_T_TIME, offsetof(struct avgc, ignore_ns), "0", EL_ARG_POS, "leading time not counted"},
	EL_ARGS_END,
};

static void avgc_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct avgc *s = n->state;
	struct avgc_pw *pw = el_pw(n->e);
	uint64_t gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
	if (unlikely(pw->gen != gen)) {
		pw->count = pw->bytes = pw->first = pw->last = 0;
		pw->gen = gen;
	}
	uint64_t now = rte_rdtsc();
	if (unlikely(!pw->first))
		pw->first = now;
	if (now - pw->first >= s->ignore_tsc) {
		uint64_t bytes = 0;
		for (uint32_t i = 0; i < b->n; i++)
			bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
		pw->count += b->n;
		pw->bytes += bytes;
	}
	pw->last = now;
	el_output(n, 0, b);
}

static int avgc_init(struct el *e, struct rt_err *err)
{
	(void)err;
	struct avgc *s = e->state;
	s->ignore_tsc = (uint64_t)((double)s->ignore_ns * (double)rte_get_tsc_hz() / 1e9);
	return 0;
}

enum { H_COUNT, H_BYTES, H_RATE, H_BYTE_RATE };

static int avgc_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	const struct avgc *s = e->state;
	uint64_t gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
	uint64_t count = 0, bytes = 0, first = UINT64_MAX, last = 0;
	for (unsigned w = 0; w < RT_MAX_WORKERS; w++) {
		const struct avgc_pw *pw = el_pw_of(e, w);
		if (__atomic_load_n(&pw->gen, __ATOMIC_ACQUIRE) != gen)
			continue;
		count += __atomic_load_n(&pw->count, __ATOMIC_RELAXED);
		bytes += __atomic_load_n(&pw->bytes, __ATOMIC_RELAXED);
		uint64_t f = __atomic_load_n(&pw->first, __ATOMIC_RELAXED);
		if (f && f < first)
			first = f;
		uint64_t l = __atomic_load_n(&pw->last, __ATOMIC_RELAXED);
		last = RT_MAX(last, l);
	}
	switch (what) {
	case H_COUNT: rt_buf_printf(out, "%llu", (unsigned long long)count); return 0;
	case H_BYTES: rt_buf_printf(out, "%llu", (unsigned long long)bytes); return 0;
	}
	uint64_t hz = rte_get_tsc_hz();
	uint64_t d = last > first ? last - first : 0;
	d = d > s->ignore_tsc ? d - s->ignore_tsc : 0;
	d = RT_MAX(d, hz / 1000);
	double c = (double)(what == H_RATE ? count : bytes);
	rt_buf_printf(out, "%.12g", c * (double)hz / (double)d);
	return 0;
}

static int avgc_reset(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what, (void)v, (void)err;
	__atomic_fetch_add(&EL_STATE(e, struct avgc)->gen, 1, __ATOMIC_ACQ_REL);
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", avgc_read, NULL, H_COUNT, 0, "packets counted since the last reset"},
	{"byte_count", avgc_read, NULL, H_BYTES, 0, "bytes counted since the last reset"},
	{"rate", avgc_read, NULL, H_RATE, 0, "average packets per second between first and latest packet"},
	{"byte_rate", avgc_read, NULL, H_BYTE_RATE, 0, "average bytes per second"},
	{"reset", NULL, avgc_reset, 0, EL_H_BUTTON, "reset counts and rates"},
	EL_HANDLERS_END,
};

static struct el_class averagecounter = {
	.name = "AverageCounter",
	.sig = "AverageCounter([IGNORE])",
	.summary = "measures historical packet count and rate",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct avgc),
	.pw_size = sizeof(struct avgc_pw),
	.args = args,
	.init = avgc_init,
	.push = avgc_push,
	.handlers = handlers,
};
EL_REGISTER(averagecounter)
