/*
 * PrioSched - strict priority scheduler over Queues: always drains input 0
 * first, then input 1, and so on.
 */
#include <stdlib.h>

#include "queue.h"

static const char doc[] =
	"Each time it runs, PrioSched takes packets from its inputs starting from input 0, moving to "
	"input 1 only when input 0 has nothing more, and so on: a strict priority scheduler. It "
	"sends up to 32 packets per run out its single output.\n\n"
	"In mboxsh's push-only data path, the inputs that are fed by a Queue (or SimpleQueue) are "
	"pulled: the Queue stops running as a task of its own and PrioSched, a task, dequeues from "
	"it. Packets pushed into an input that is not fed by a Queue are forwarded directly.";

#define SCHED_BURST 32

struct prio {
	struct el **q; /* per input: the Queue it pulls from, or NULL */
	int nin;
};

static void prio_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	el_output(n, 0, b);
}

static int prio_run(struct el_node *n)
{
	const struct prio *s = n->state;
	struct rt_batch b;
	b.n = 0;
	for (int i = 0; i < s->nin && b.n < SCHED_BURST; i++)
		if (s->q[i])
			b.n += (uint32_t)el_queue_dequeue(s->q[i], b.pkts + b.n, SCHED_BURST - b.n);
	int k = (int)b.n;
	el_output(n, 0, &b);
	return k;
}

static int prio_init(struct el *e, struct rt_err *err)
{
	struct prio *s = e->state;
	s->nin = e->nin;
	int nq = el_queue_take_inputs(e, &s->q, err);
	return nq < 0 ? nq : 0;
}

static void prio_cleanup(struct el *e) { free(EL_STATE(e, struct prio)->q); }

static struct el_class priosched = {
	.name = "PrioSched",
	.sig = "PrioSched",
	.summary = "pulls from priority-scheduled inputs",
	.doc = doc,
	.ports = "-/1",
	.state_size = sizeof(struct prio),
	.init = prio_init,
	.cleanup = prio_cleanup,
	.push = prio_push,
	.run = prio_run,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(priosched)
