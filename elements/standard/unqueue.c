/*
 * Unqueue - pull-to-push converter.  Pulls from a Queue feeding it (as a
 * task), or passes pushed packets through.
 */
#include "queue.h"
#include "source.h"

static const char doc[] =
	"Pulls packets whenever they are available, then pushes them out its single output, at most "
	"BURST packets each time it runs (a negative BURST, or one above 64, means 64). With ACTIVE "
	"false it does nothing; with LIMIT non-negative it passes at most LIMIT packets (until "
	"`reset`).\n\n"
	"In mboxsh's push-only data path: when Unqueue's input is fed by a Queue (or SimpleQueue), "
	"Unqueue is a task that dequeues from it (the Queue stops running as a task of its own), so "
	"ACTIVE false and LIMIT leave packets waiting in the Queue, as in Click. Otherwise pushed "
	"packets pass straight through, and packets arriving while Unqueue is inactive or past its "
	"LIMIT are dropped. mboxsh's default BURST is 32 (Click's is 1).";

#define UNQ_MAX_BURST RT_BATCH_MAX

struct unq_pw {
	uint64_t count;
};

struct unq {
	struct el_gate gate;  /* first: the shared handlers find it at e->state */
	int64_t burst;
	struct el *q;        /* the Queue pulled from, or NULL: pass-through */
	uint64_t base;       /* count at the last reset (control thread) */
};
_Static_assert(offsetof(struct unq, gate) == 0, "struct el_gate must come first");

static const struct el_arg args[] = {
	{"BURST", EL_T_INT, offsetof(struct unq, burst), "32", EL_ARG_POS, "most packets per run"},
	{"ACTIVE", EL_T_BOOL, offsetof(struct unq, gate.active), "true", 0, "pull packets at all"},
	{"LIMIT", EL_T_INT, offsetof(struct unq, gate.limit), "-1", 0, "packets to pass, -1 = no limit"},
	EL_ARGS_END,
};

/* Packets still allowed by LIMIT (UINT64_MAX when there is none). */
static uint64_t unq_allowed(struct el *e, const struct unq *s)
{
	int64_t limit = __atomic_load_n(&s->gate.limit, __ATOMIC_ACQUIRE);
	if (limit < 0)
		return UINT64_MAX;
	uint64_t done = el_pw_sum(e, offsetof(struct unq_pw, count)) - __atomic_load_n(&s->base, __ATOMIC_ACQUIRE);
	return done < (uint64_t)limit ? (uint64_t)limit - done : 0;
}

static void unq_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct unq *s = n->state;
	if (unlikely(!__atomic_load_n(&s->gate.active, __ATOMIC_ACQUIRE))) {
		rt_batch_free(b);
		return;
	}
	uint64_t ok = unq_allowed(n->e, s);
	if (unlikely(ok < b->n)) {
		rte_pktmbuf_free_bulk(b->pkts + ok, b->n - (uint32_t)ok);
		b->n = (uint32_t)ok;
	}
	((struct unq_pw *)el_pw(n->e))->count += b->n;
	el_output(n, 0, b);
}

static int unq_run(struct el_node *n)
{
	const struct unq *s = n->state;
	if (!__atomic_load_n(&s->gate.active, __ATOMIC_ACQUIRE))
		return 0;
	int64_t burst = __atomic_load_n(&s->burst, __ATOMIC_RELAXED);
	uint64_t want = burst < 0 || burst > UNQ_MAX_BURST ? UNQ_MAX_BURST : (uint64_t)burst;
	uint64_t allowed = unq_allowed(n->e, s);
	want = RT_MIN(want, allowed);
	if (!want)
		return 0;
	struct rt_batch b;
	b.n = (uint32_t)el_queue_dequeue(s->q, b.pkts, (unsigned)want);
	((struct unq_pw *)el_pw(n->e))->count += b.n;
	int k = (int)b.n;
	el_output(n, 0, &b);
	return k;
}

static int unq_init(struct el *e, struct rt_err *err)
{
	(void)err;
	struct unq *s = e->state;
	int from;
	struct el *p = el_input_peer(e, 0, &from);
	if (el_is_queue(p) && from == 0) {
		s->q = p;
		p->is_task = false;
	}
	e->is_task = s->q != NULL;
	return 0;
}

enum { H_COUNT = EL_GATE_H_NEXT, H_RESET, H_BURST };

static int unq_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct unq *s = e->state;
	switch (what) {
	case H_COUNT:
		rt_buf_printf(out, "%llu", (unsigned long long)(el_pw_sum(e, offsetof(struct unq_pw, count)) - s->base));
		return 0;
	case H_BURST: rt_buf_printf(out, "%lld", (long long)s->burst); return 0;
	}
	return el_gate_read_h(e, what, out);
}

static int unq_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct unq *s = e->state;
	switch (what) {
	case H_RESET:
		__atomic_store_n(&s->base, el_pw_sum(e, offsetof(struct unq_pw, count)), __ATOMIC_RELEASE);
		return 0;
	case H_BURST: {
		int64_t x;
		if (el_parse_value(EL_T_INT, v, &x, err) < 0)
			return err->code;
		__atomic_store_n(&s->burst, x, __ATOMIC_RELEASE);
		return 0;
	}
	}
	return el_gate_write_h(e, what, v, err);
}

static const struct el_handler handlers[] = {
	{"count", unq_read, NULL, H_COUNT, 0, "packets passed since the last reset"},
	{"reset", NULL, unq_write, H_RESET, EL_H_BUTTON, "reset the count (LIMIT more packets)"},
	{"active", el_gate_read_h, el_gate_write_h, EL_GATE_H_ACTIVE, 0, "whether packets are pulled"},
	{"limit", el_gate_read_h, el_gate_write_h, EL_GATE_H_LIMIT, 0, "packet limit, negative = none"},
	{"burst", unq_read, unq_write, H_BURST, 0, "most packets per run"},
	EL_HANDLERS_END,
};

static struct el_class unqueue = {
	.name = "Unqueue",
	.sig = "Unqueue([BURST, KEYWORDS])",
	.summary = "pull-to-push converter",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct unq),
	.pw_size = sizeof(struct unq_pw),
	.args = args,
	.init = unq_init,
	.push = unq_push,
	.run = unq_run,
	.handlers = handlers,
};
EL_REGISTER(unqueue)
