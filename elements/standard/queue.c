/*
 * Queue - stores packets in a FIFO queue: an rte_ring of mbufs that any
 * number of workers push into and one task (the Queue itself, or the
 * scheduler pulling from it, see queue.h) drains.  Queue is where a packet
 * may change worker.
 */
#include <stdio.h>
#include <stdlib.h>

#include <rte_malloc.h>
#include <rte_ring.h>

#include "queue.h"

static const char doc[] =
	"Stores incoming packets in a first-in-first-out queue. Drops incoming packets if the queue "
	"already holds CAPACITY packets; dropped packets are emitted on output 1 if it exists, and "
	"counted (`drops`). The default for CAPACITY is 1000.\n\n"
	"In mboxsh's push-only data path a Queue is a worker boundary: pushes from any worker enqueue "
	"into a lock-free ring, and the Queue is a task that dequeues up to 32 packets at a time and "
	"pushes them out output 0. When the Queue feeds a scheduler (PrioSched, RoundRobinSched, "
	"Unqueue), the scheduler pulls from it instead and the Queue does not run itself.\n\n"
	"Differences from Click: any number of workers may push and pull concurrently (Click's Queue "
	"allows one pusher and one puller); the ring is sized once, so `capacity` can be raised only up "
	"to the ring's size (at least 4095, or CAPACITY) without reconfiguring; with several workers "
	"pushing at once the queue may briefly exceed CAPACITY by up to one batch per extra worker; "
	"the first overflow is not reported on the console.";

#define QUEUE_BURST 32
#define QUEUE_MIN_RING 4096u        /* slots: capacity can grow to 4095 in place */
#define QUEUE_MAX_CAPACITY (1u << 24)

/* Counters: only the owning worker writes its block.  reset_counts bumps
 * `gen`; a worker that sees a new generation zeroes its own block first,
 * and readers ignore blocks of an older generation. */
struct queue_pw {
	uint64_t gen, drops, highwater;
};

struct queue {
	uint64_t capacity;         /* CAPACITY; read by pushers */
	struct rte_ring *ring;
	unsigned ring_cap;         /* usable slots of the ring */
	uint64_t gen;              /* reset_counts generation */
	uint64_t hw_base;          /* highwater carried over by take_state */
};

static const struct el_arg args[] = {
	{"CAPACITY", EL_T_UINT, offsetof(struct queue, capacity), "1000", EL_ARG_POS, "maximum queue length"},
	EL_ARGS_END,
};

static void queue_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct queue *s = n->state;
	struct queue_pw *pw = el_pw(n->e);
	uint64_t gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
	if (unlikely(pw->gen != gen)) {
		pw->drops = pw->highwater = 0;
		pw->gen = gen;
	}
	unsigned cap = (unsigned)__atomic_load_n(&s->capacity, __ATOMIC_RELAXED);
	unsigned len = rte_ring_count(s->ring);
	unsigned want = RT_MIN(b->n, cap > len ? cap - len : 0);
	unsigned room = 0, k = 0;
	if (want)
		k = rte_ring_mp_enqueue_burst(s->ring, (void **)b->pkts, want, &room);
	if (k) {
		uint64_t now = s->ring_cap - room;
		if (now > pw->highwater)
			pw->highwater = now;
	}
	if (unlikely(k < b->n)) {
		struct rt_batch d;
		d.n = b->n - k;
		memcpy(d.pkts, b->pkts + k, sizeof(d.pkts[0]) * d.n);
		pw->drops += d.n;
		if (n->nout > 1)
			el_output(n, 1, &d);
		else
			rt_batch_free(&d);
	}
	b->n = 0;
}

static int queue_run(struct el_node *n)
{
	struct queue *s = n->state;
	struct rt_batch b;
	b.n = rte_ring_mc_dequeue_burst(s->ring, (void **)b.pkts, QUEUE_BURST, NULL);
	int k = (int)b.n;
	el_output(n, 0, &b);
	return k;
}

bool el_is_queue(const struct el *e) { return e && e->cls->push == queue_push; }

int el_queue_dequeue(struct el *q, struct rte_mbuf **pkts, unsigned n)
{
	return (int)rte_ring_mc_dequeue_burst(EL_STATE(q, struct queue)->ring, (void **)pkts, n, NULL);
}

int el_queue_take_inputs(struct el *e, struct el ***qs, struct rt_err *err)
{
	struct el **q = calloc((size_t)RT_MAX(e->nin, 1), sizeof(*q));
	if (!q)
		return rt_errf(err, &e->loc, -ENOMEM, "%s: out of memory", e->name);
	int nq = 0;
	for (int i = 0; i < e->nin; i++) {
		int from;
		struct el *p = el_input_peer(e, i, &from);
		if (el_is_queue(p) && from == 0) {
			q[i] = p;
			p->is_task = false;
			nq++;
		}
	}
	e->is_task = nq > 0;
	*qs = q;
	return nq;
}

static int queue_init(struct el *e, struct rt_err *err)
{
	struct queue *s = e->state;
	if (s->capacity > QUEUE_MAX_CAPACITY)
		return rt_errf(err, &e->loc, -EINVAL, "%s: CAPACITY must be at most %u", e->name, QUEUE_MAX_CAPACITY);
	unsigned slots = rte_align32pow2(RT_MAX((unsigned)s->capacity + 1, QUEUE_MIN_RING));
	ssize_t sz = rte_ring_get_memsize(slots);
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "mbq%d", e->uid);
	s->ring = sz > 0 ? rte_zmalloc("el_queue", (size_t)sz, RTE_CACHE_LINE_SIZE) : NULL;
	if (!s->ring)
		return rt_errf(err, &e->loc, -ENOMEM, "%s: out of memory for %u queue slots", e->name, slots);
	rte_ring_init(s->ring, name, slots, 0);
	s->ring_cap = rte_ring_get_capacity(s->ring);
	return 0;
}

/* Drop every queued packet; returns how many. */
static unsigned queue_drain(struct queue *s)
{
	unsigned total = 0, k;
	struct rte_mbuf *pkts[QUEUE_BURST];
	while ((k = rte_ring_mc_dequeue_burst(s->ring, (void **)pkts, QUEUE_BURST, NULL)) > 0) {
		rte_pktmbuf_free_bulk(pkts, k);
		total += k;
	}
	return total;
}

static void queue_cleanup(struct el *e)
{
	struct queue *s = e->state;
	if (s->ring) {
		queue_drain(s);
		rte_free(s->ring);
		s->ring = NULL;
	}
}

/* Take the old queue's packets, oldest first, up to our capacity; the rest
 * are dropped (Click warns "some packets lost"; we count them as drops). */
static int queue_take(struct el *e, struct el *old, struct rt_err *err)
{
	(void)err;
	struct queue *s = e->state, *o = old->state;
	if (!el_is_queue(old) || !o->ring || !s->ring)
		return 0;
	struct rte_mbuf *pkts[QUEUE_BURST];
	unsigned k, lost = 0;
	while ((k = rte_ring_mc_dequeue_burst(o->ring, (void **)pkts, QUEUE_BURST, NULL)) > 0) {
		unsigned len = rte_ring_count(s->ring);
		unsigned want = RT_MIN(k, s->capacity > len ? (unsigned)s->capacity - len : 0);
		unsigned put = want ? rte_ring_mp_enqueue_burst(s->ring, (void **)pkts, want, NULL) : 0;
		if (put < k)
			rte_pktmbuf_free_bulk(pkts + put, k - put);
		lost += k - put;
	}
	s->hw_base = rte_ring_count(s->ring);
	((struct queue_pw *)el_pw_of(e, 0))->drops += lost;
	return 0;
}

/* Canonical state, version 1: the queued packets, in order. */
static int queue_export(struct el *e, struct el_state *st, struct rt_err *err)
{
	struct queue *s = e->state;
	(void)err;
	unsigned n = s->ring ? rte_ring_count(s->ring) : 0;
	st->pkts = malloc(sizeof(*st->pkts) * (n ? n : 1));
	st->npkts = n ? rte_ring_mc_dequeue_burst(s->ring, (void **)st->pkts, n, NULL) : 0;
	return 0;
}

static int queue_import(struct el *e, const struct el_state *st, struct rt_err *err)
{
	struct queue *s = e->state;
	(void)err;
	unsigned len = rte_ring_count(s->ring);
	unsigned room = s->capacity > len ? (unsigned)s->capacity - len : 0;
	unsigned put = rte_ring_mp_enqueue_burst(s->ring, (void **)st->pkts, RT_MIN(room, st->npkts), NULL);
	/* what did not fit is dropped and counted; el_state_free frees the rest */
	((struct queue_pw *)el_pw_of(e, 0))->drops += st->npkts - put;
	struct el_state *w = (struct el_state *)st; /* the state's packets now belong to the queue */
	memmove(w->pkts, w->pkts + put, sizeof(*w->pkts) * (st->npkts - put));
	w->npkts -= put;
	return 0;
}

/* New arguments in place when the ring is big enough; otherwise ask for a
 * swap (-EAGAIN), which moves the packets to a bigger queue. */
static int queue_reconfigure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct queue *s = e->state;
	const char *v = argc ? argv[0] : "1000";
	const char *kwval;
	int kw = argc ? el_arg_keyword(argv[0], &kwval) : 0;
	if (kw == 8 && !strncmp(argv[0], "CAPACITY", 8))
		v = kwval;
	else if (kw || argc > 1)
		return -EAGAIN; /* let the argument table report it */
	uint64_t c;
	if (el_parse_value(EL_T_UINT, v, &c, err) < 0) {
		rt_err_prefix(err, "CAPACITY");
		rt_err_prefix(err, e->name);
		return err->code;
	}
	if (c > s->ring_cap)
		return -EAGAIN;
	__atomic_store_n(&s->capacity, c, __ATOMIC_RELEASE);
	return 0;
}

enum { H_LENGTH, H_HIGHWATER, H_CAPACITY, H_DROPS, H_RESET_COUNTS, H_RESET };

static int queue_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct queue *s = e->state;
	uint64_t gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE), drops = 0, hw = s->hw_base;
	for (unsigned w = 0; w < RT_MAX_WORKERS; w++) {
		struct queue_pw *pw = el_pw_of(e, w);
		if (__atomic_load_n(&pw->gen, __ATOMIC_ACQUIRE) != gen)
			continue;
		drops += __atomic_load_n(&pw->drops, __ATOMIC_RELAXED);
		uint64_t h = __atomic_load_n(&pw->highwater, __ATOMIC_RELAXED);
		hw = RT_MAX(hw, h);
	}
	switch (what) {
	case H_LENGTH: rt_buf_printf(out, "%u", rte_ring_count(s->ring)); break;
	case H_HIGHWATER: rt_buf_printf(out, "%llu", (unsigned long long)hw); break;
	case H_CAPACITY: rt_buf_printf(out, "%llu", (unsigned long long)s->capacity); break;
	case H_DROPS: rt_buf_printf(out, "%llu", (unsigned long long)drops); break;
	}
	return 0;
}

static int queue_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct queue *s = e->state;
	switch (what) {
	case H_CAPACITY: {
		uint64_t c;
		if (el_parse_value(EL_T_UINT, v, &c, err) < 0)
			return err->code;
		if (c > s->ring_cap)
			return rt_errf(err, NULL, -EINVAL, "%s: capacity must be at most %u without reconfiguring",
				       e->name, s->ring_cap);
		__atomic_store_n(&s->capacity, c, __ATOMIC_RELEASE);
		return 0;
	}
	case H_RESET_COUNTS:
		s->hw_base = 0;
		__atomic_fetch_add(&s->gen, 1, __ATOMIC_ACQ_REL);
		return 0;
	case H_RESET:
		queue_drain(s);
		return 0;
	}
	return -EINVAL;
}

static const struct el_handler handlers[] = {
	{"length", queue_read, NULL, H_LENGTH, 0, "packets in the queue now"},
	{"highwater_length", queue_read, NULL, H_HIGHWATER, 0, "most packets ever in the queue at once"},
	{"capacity", queue_read, queue_write, H_CAPACITY, 0, "maximum queue length"},
	{"drops", queue_read, NULL, H_DROPS, 0, "packets dropped because the queue was full"},
	{"reset_counts", NULL, queue_write, H_RESET_COUNTS, EL_H_BUTTON, "reset drops and highwater_length"},
	{"reset", NULL, queue_write, H_RESET, EL_H_BUTTON, "drop every packet in the queue"},
	EL_HANDLERS_END,
};

struct el_class el_queue_class = {
	.name = "Queue",
	.sig = "Queue([CAPACITY])",
	.summary = "stores packets in a FIFO queue",
	.doc = doc,
	.ports = "1/1-2",
	.state_size = sizeof(struct queue),
	.pw_size = sizeof(struct queue_pw),
	.args = args,
	.init = queue_init,
	.cleanup = queue_cleanup,
	.push = queue_push,
	.run = queue_run,
	.take_state = queue_take,
	.reconfigure = queue_reconfigure,
	.state_version = 1,
	.imports = (const char *const[]){"Queue", "SimpleQueue", NULL},
	.export_state = queue_export,
	.import_state = queue_import,
	.handlers = handlers,
};
EL_REGISTER(el_queue_class)
