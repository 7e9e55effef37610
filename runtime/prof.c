/*
 * prof.c - per-element cycle accounting: which element costs how many CPU
 * cycles per packet.  The shell's `top` and `profile` show it; tenants'
 * CPU budgets are to be charged from the same figures.
 *
 * Off, it costs nothing: a plan's hops call the next element's push
 * directly.  On (rt_ctl_profile), plans are compiled with every hop of a
 * connection calling prof_push, and every task wrapped in a node whose run
 * is prof_run; both read the TSC around the real call.  Time is exclusive:
 * each worker keeps, in a thread-local, the cycles its current callee
 * chain spent below the element being timed (the C stack holds the saved
 * values, so the nesting depth is the call depth), and an element is
 * charged its elapsed time minus that.  Accumulators are per element and
 * per worker (only their worker writes them, readers sum), and belong to
 * the element across plan versions: a plan compiled while another is
 * running takes over the accumulators of the elements they share.
 *
 * Idle task runs (a source with nothing to send) are not charged.
 *
 * Bounds: a profiled plan costs one allocation per element and per task
 * entry; a trampoline adds two TSC reads and three stores per batch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "ctl.h"
#include "router_int.h"

struct rt_prof_w {
	uint64_t pkts, calls, cycles;
} __rte_cache_aligned;

struct rt_prof_el {
	const struct el *e;
	int refs;                       /* plans using it (control thread) */
	struct rt_prof_w w[RT_MAX_WORKERS];
};

/* A task entry of a profiled plan: a node whose run times the real one. */
struct prof_task {
	struct el el;                   /* cls = prof_task_class, name = the real one's */
	struct el_node node;            /* state = the real node; must be last */
};

struct rt_prof_plan {
	int nels;
	struct rt_prof_el **els;        /* by node index */
	int ntasks;
	struct prof_task **tasks;
};

/* Cycles the running element's callees took (this worker). */
static __thread uint64_t prof_below;

static inline void prof_add(struct rt_prof_w *a, uint64_t pkts, uint64_t cycles)
{
	__atomic_store_n(&a->pkts, a->pkts + pkts, __ATOMIC_RELAXED);
	__atomic_store_n(&a->calls, a->calls + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&a->cycles, a->cycles + cycles, __ATOMIC_RELAXED);
}

static void prof_push(struct el_node *n, int port, struct rt_batch *b)
{
	uint64_t saved = prof_below, npkts = b->n;
	prof_below = 0;
	uint64_t t0 = rte_rdtsc();
	n->e->cls->push(n, port, b);
	uint64_t dt = rte_rdtsc() - t0;
	prof_add(&n->prof->w[rt_wid], npkts, dt > prof_below ? dt - prof_below : 0);
	prof_below = saved + dt;
}

static int prof_run(struct el_node *t)
{
	struct el_node *n = t->state;
	prof_below = 0;
	uint64_t t0 = rte_rdtsc();
	int k = n->e->cls->run(n);
	uint64_t dt = rte_rdtsc() - t0;
	/* idle polls are not charged: cycles per packet are those of the
	 * runs that moved packets (a mostly idle source would otherwise
	 * show its polling loop divided by a handful of packets) */
	if (k > 0)
		prof_add(&n->prof->w[rt_wid], (uint64_t)k, dt > prof_below ? dt - prof_below : 0);
	prof_below = 0;
	return k;
}

static struct el_class prof_task_class = {
	.name = "mboxsh-prof",
	.ports = "0/0",
	.run = prof_run,
};

/* The accumulators of e in the running plan, or new ones. */
static struct rt_prof_el *prof_el_get(struct rt_router *r, const struct el *e)
{
	const struct rt_plan *cur = r->plan;
	for (int i = 0; cur && cur->prof && i < cur->prof->nels; i++)
		if (cur->prof->els[i] && cur->prof->els[i]->e == e) {
			cur->prof->els[i]->refs++;
			return cur->prof->els[i];
		}
	struct rt_prof_el *a = rte_zmalloc("rt_prof_el", sizeof(*a), RTE_CACHE_LINE_SIZE);
	if (a) {
		a->e = e;
		a->refs = 1;
	}
	return a;
}

static void prof_el_put(struct rt_prof_el *a)
{
	if (a && --a->refs == 0)
		rte_free(a);
}

void rt_prof_plan_free(struct rt_plan *p)
{
	struct rt_prof_plan *pp = p->prof;
	if (!pp)
		return;
	for (int i = 0; i < pp->nels; i++) {
		prof_el_put(pp->els[i]);
		p->nodes[i]->prof = NULL;
	}
	for (int i = 0; i < pp->ntasks; i++)
		rte_free(pp->tasks[i]);
	free(pp->els);
	free(pp->tasks);
	free(pp);
	p->prof = NULL;
}

int rt_prof_plan(struct rt_router *r, struct rt_plan *p, struct rt_err *err)
{
	struct rt_prof_plan *pp = calloc(1, sizeof(*pp));
	if (!pp || !(pp->els = calloc((size_t)p->nnodes + 1, sizeof(*pp->els)))) {
		free(pp);
		return rt_errf(err, NULL, -ENOMEM, "out of memory for profiling");
	}
	p->prof = pp;
	pp->nels = p->nnodes;
	for (int i = 0; i < p->nnodes; i++)
		if (!(pp->els[i] = p->nodes[i]->prof = prof_el_get(r, p->nodes[i]->e)))
			goto oom;
	for (int i = 0; i < p->nnodes; i++)
		for (int k = 0; k < p->nodes[i]->nout; k++)
			if (p->nodes[i]->hops[k].node != p->drop)
				p->nodes[i]->hops[k].fn = prof_push;
	for (int w = 0; w < RT_MAX_WORKERS; w++)
		for (int k = 0; k < p->ntasks[w]; k++) {
			struct prof_task *t = rte_zmalloc("prof_task", sizeof(*t), RTE_CACHE_LINE_SIZE);
			struct prof_task **v = realloc(pp->tasks, sizeof(*v) * (size_t)(pp->ntasks + 1));
			if (v)
				pp->tasks = v;
			if (!t || !v) {
				rte_free(t);
				goto oom;
			}
			pp->tasks[pp->ntasks++] = t;
			struct el_node *real = p->tasks[w][k];
			t->el = *real->e; /* name, thread, index: what readers of a task look at */
			t->el.cls = &prof_task_class;
			t->el.state = real;
			t->node.e = &t->el;
			t->node.state = real;
			t->node.prof = real->prof;
			p->tasks[w][k] = &t->node;
		}
	return 0;
oom: /* the caller frees the plan, and with it what was made here */
	return rt_errf(err, NULL, -ENOMEM, "out of memory for profiling");
}

/* ---- the control API ------------------------------------------------------- */

bool rt_ctl_profiling(const struct rt_router *r) { return r->prof_on; }

int rt_ctl_profile(struct rt_router *r, bool on, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "profile", on ? "on" : "off", err, rt_ctl_profile(r, on, err));
	if (!rt_ident_is_operator(rt_ctl_ident(r))) /* one switch for the whole router */
		return rt_errf(err, NULL, -EPERM, "profiling is switched by the operator");
	if (r->prof_on == on)
		return 0;
	r->prof_on = on;
	struct rt_plan *p = rt_plan_compile(r, &r->g, err), *old = r->plan;
	if (!p) {
		r->prof_on = !on;
		return err->code;
	}
	/* hold nodes of a change in progress cannot exist: changes are
	 * synchronous on this thread, so the running plan is a plain one */
	p->version = ++r->version;
	__atomic_store_n(&r->plan, p, __ATOMIC_RELEASE);
	uint64_t t = rte_rcu_qsbr_start(r->qsbr);
	rte_rcu_qsbr_check(r->qsbr, t, true);
	rt_plan_free(old);
	return 0;
}

int rt_ctl_prof(struct rt_router *r, struct rt_ctl_prof **out, uint64_t *tsc_hz, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "prof", NULL, err, rt_ctl_prof(r, out, tsc_hz, err));
	const struct rt_plan *p = r->plan;
	int n = r->g.nels;
	struct rt_ctl_prof *v = calloc((size_t)n + 1, sizeof(*v));
	if (!v)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	int k2 = 0;
	for (int i = 0; i < n; i++) {
		struct el *e = r->g.els[i];
		if (!rt_ctl_visible(r, e)) /* a tenant sees its own elements only */
			continue;
		int j = k2++;
		v[j] = (struct rt_ctl_prof){.name = rt_ctl_name(r, e), .cls = e->cls->name, .drops = -1};
		const struct rt_prof_el *a = NULL;
		for (int k = 0; p->prof && k < p->prof->nels && !a; k++)
			if (p->prof->els[k]->e == e)
				a = p->prof->els[k];
		for (int w = 0; a && w < RT_MAX_WORKERS; w++) {
			v[j].pkts += __atomic_load_n(&a->w[w].pkts, __ATOMIC_RELAXED);
			v[j].calls += __atomic_load_n(&a->w[w].calls, __ATOMIC_RELAXED);
			v[j].cycles += __atomic_load_n(&a->w[w].cycles, __ATOMIC_RELAXED);
		}
		if (el_handler_find(e, "drops")) {
			struct rt_buf b;
			struct rt_err e2;
			rt_buf_init(&b);
			rt_err_clear(&e2);
			if (el_handler_read(e, "drops", &b, &e2) == 0 && b.p)
				v[j].drops = strtoll(b.p, NULL, 10);
			rt_buf_free(&b);
		}
	}
	if (tsc_hz)
		*tsc_hz = rte_get_tsc_hz();
	*out = v;
	return k2;
}
