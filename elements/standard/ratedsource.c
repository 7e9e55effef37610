/*
 * RatedSource - generates copies of one packet at a fixed rate.  A task:
 * each run emits the packets that fell due since the previous run.
 */
#include <rte_cycles.h>

#include "source.h"

static const char doc[] =
	"Creates packets consisting of DATA, emitting at most LIMIT such packets out its single output "
	"at a rate of RATE packets per second. If LIMIT is negative, sends packets forever. Sends "
	"packets only while ACTIVE is true. LENGTH, if set, cuts DATA or repeats it to that many "
	"bytes. With STOP true the router stops once LIMIT packets are sent. Default DATA is at least "
	"64 bytes long, default RATE is 10, default LIMIT is -1, default ACTIVE is true.\n\n"
	"Pacing uses the TSC: each time the task runs it sends the packets due since it last ran, up "
	"to 64 at a time. After a stall of more than a bucket's worth (RATE/100 packets, at least 2, "
	"as in Click's token bucket) the backlog is forgotten rather than sent in a burst.";

struct rsrc {
	struct el_source src;  /* first: the shared handlers find it at e->state */
	uint64_t rate;
	/* pacing: written by the owning worker only */
	uint64_t epoch_seen;   /* last `epoch` the worker anchored at */
	uint64_t t0;           /* TSC of the anchor */
	uint64_t due_sent;     /* packets sent since the anchor */
	/* control */
	uint64_t epoch;        /* bumped by rate/active/reset writes: re-anchor */
};
_Static_assert(offsetof(struct rsrc, src) == 0, "struct el_source must come first");

static const struct el_arg args[] = {
	EL_SOURCE_ARG_DATA,
	{"RATE", EL_T_UINT, offsetof(struct rsrc, rate), "10", EL_ARG_POS, "packets per second"},
	EL_SOURCE_ARG_LIMIT,
	EL_SOURCE_ARG_ACTIVE,
	EL_SOURCE_ARG_STOP,
	EL_SOURCE_ARG_LENGTH,
	{"DATASIZE", EL_T_INT, offsetof(struct rsrc, src.length), NULL, 0, "deprecated: LENGTH"},
	EL_ARGS_END,
};

#define RSRC_MAX_CALL RT_BATCH_MAX

static int rsrc_init(struct el *e, struct rt_err *err)
{
	struct rsrc *s = e->state;
	if (el_source_init(e, &s->src, err) < 0)
		return err->code;
	s->epoch = 1; /* anchor on the first run */
	return 0;
}

static void rsrc_cleanup(struct el *e) { el_source_cleanup(&EL_STATE(e, struct rsrc)->src); }

/* How many packets are due now; re-anchors after a handler write and drops
 * any backlog beyond one bucket. */
static uint64_t rsrc_due(struct rsrc *s, uint64_t rate)
{
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz();
	uint64_t epoch = __atomic_load_n(&s->epoch, __ATOMIC_ACQUIRE);
	if (s->epoch_seen != epoch) {
		s->epoch_seen = epoch;
		s->t0 = now;
		s->due_sent = 0;
	}
	/* the first packet is due at the anchor, the k-th k/RATE s later */
	uint64_t due = (uint64_t)((unsigned __int128)(now - s->t0) * rate / hz) + 1;
	uint64_t want = due - s->due_sent;
	uint64_t bucket = RT_MAX(rate / 100, 2);
	if (want > bucket) {
		s->due_sent = due - bucket;
		want = bucket;
	}
	return want;
}

static int rsrc_run(struct el_node *n)
{
	struct rsrc *s = n->state;
	uint64_t rate = __atomic_load_n(&s->rate, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&s->src.gate.active, __ATOMIC_ACQUIRE) || rate == 0)
		return 0;
	uint64_t left = el_source_left(n->e, &s->src);
	if (!left)
		return 0;
	uint64_t want = rsrc_due(s, rate); /* has side effects: call once */
	want = RT_MIN(want, RSRC_MAX_CALL);
	want = RT_MIN(want, left);
	if (!want)
		return 0;
	int k = el_source_emit(n, &s->src, want, rt_wall_ns()); /* 0: the packets stay due */
	s->due_sent += (uint64_t)k;
	return k;
}

enum { H_RATE = EL_SOURCE_H_NEXT };

static int rsrc_rate_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)__atomic_load_n(&EL_STATE(e, struct rsrc)->rate, __ATOMIC_RELAXED));
	return 0;
}

/* Every write but limit's re-anchors the pacing. */
static int rsrc_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct rsrc *s = e->state;
	if (what == H_RATE) {
		uint64_t r;
		if (el_parse_value(EL_T_UINT, v, &r, err) < 0)
			return err->code;
		__atomic_store_n(&s->rate, r, __ATOMIC_RELAXED);
	} else {
		int rc = el_source_write_h(e, what, v, err);
		if (rc < 0 || what == EL_GATE_H_LIMIT)
			return rc;
	}
	__atomic_fetch_add(&s->epoch, 1, __ATOMIC_ACQ_REL);
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", el_source_read_h, NULL, EL_SOURCE_H_COUNT, 0, "packets sent"},
	{"reset", NULL, rsrc_write, EL_SOURCE_H_RESET, EL_H_BUTTON, "reset the count: LIMIT more packets"},
	{"rate", rsrc_rate_read, rsrc_write, H_RATE, 0, "packets per second"},
	{"active", el_source_read_h, rsrc_write, EL_GATE_H_ACTIVE, 0, "whether it sends packets"},
	{"limit", el_source_read_h, rsrc_write, EL_GATE_H_LIMIT, 0, "packet limit, negative = none"},
	EL_HANDLERS_END,
};

static struct el_class ratedsource = {
	.name = "RatedSource",
	.sig = "RatedSource([DATA, RATE, LIMIT, ACTIVE, KEYWORDS])",
	.summary = "generates packets at specified rate",
	.doc = doc,
	.ports = "0/1",
	.state_size = sizeof(struct rsrc),
	.args = args,
	.init = rsrc_init,
	.cleanup = rsrc_cleanup,
	.run = rsrc_run,
	.handlers = handlers,
};
EL_REGISTER(ratedsource)
