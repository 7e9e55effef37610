/*
 * RoundRobinSched - round-robin scheduler over Queues.
 */
#include <stdlib.h>

#include "queue.h"

static const char doc[] =
	"Each time it runs, RoundRobinSched takes packets from its inputs in turn, starting from the "
	"input after the one that last produced packets: a round robin scheduler. It sends up to 32 "
	"packets per run out its single output, taking an equal share (32 divided by the number of "
	"inputs, at least 1) from each input per turn, so busy inputs share the output evenly.\n\n"
	"In mboxsh's push-only data path, the inputs that are fed by a Queue (or SimpleQueue) are "
	"pulled: the Queue stops running as a task of its own and RoundRobinSched, a task, dequeues "
	"from it. Packets pushed into an input that is not fed by a Queue are forwarded directly.";

#define SCHED_BURST 32

struct rrs {
	struct el **q; /* per input: the Queue it pulls from, or NULL */
	int nin, nq;
	int next;      /* written by the task's worker only */
};

static void rrs_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	el_output(n, 0, b);
}

static int rrs_run(struct el_node *n)
{
	struct rrs *s = n->state;
	uint32_t quota = RT_MAX(SCHED_BURST / (uint32_t)s->nq, 1u);
	struct rt_batch b;
	b.n = 0;
	int last = -1;
	bool got;
	do { /* turns until the burst is full or a whole turn finds nothing */
		got = false;
		for (int j = 0; j < s->nin && b.n < SCHED_BURST; j++) {
			int i = (s->next + j) % s->nin;
			if (!s->q[i])
				continue;
			int k = el_queue_dequeue(s->q[i], b.pkts + b.n, RT_MIN(quota, SCHED_BURST - b.n));
			if (k > 0) {
				b.n += (uint32_t)k;
				last = i;
				got = true;
			}
		}
		if (last >= 0)
			s->next = (last + 1) % s->nin;
	} while (got && b.n < SCHED_BURST);
	int k = (int)b.n;
	el_output(n, 0, &b);
	return k;
}

static int rrs_init(struct el *e, struct rt_err *err)
{
	struct rrs *s = e->state;
	s->nin = e->nin;
	s->nq = el_queue_take_inputs(e, &s->q, err);
	return s->nq < 0 ? s->nq : 0;
}

static void rrs_cleanup(struct el *e) { free(EL_STATE(e, struct rrs)->q); }

static struct el_class rrsched = {
	.name = "RoundRobinSched",
	.sig = "RoundRobinSched",
	.summary = "pulls from round-robin inputs",
	.doc = doc,
	.ports = "-/1",
	.state_size = sizeof(struct rrs),
	.init = rrs_init,
	.cleanup = rrs_cleanup,
	.push = rrs_push,
	.run = rrs_run,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(rrsched)
