/*
 * tn_cpu.c - CPU budgets: each task of a tenant runs through a trampoline
 * (as prof.c does for profiling) that measures the cycles of its run to
 * completion - the task and every element its packets reach, which are
 * the tenant's own - and, once the tenant has spent its budget for the
 * current 1 ms window on this worker, skips its tasks until the window
 * ends: its sources poll less, the excess waits in (or overflows) its
 * queues and devices, other tenants' tasks run as before.  Tasks of the
 * operator are not wrapped and cost nothing more.
 *
 * The accounting of a tenant (per worker: window, cycles used, totals)
 * lives with the tenant, so it survives plan versions; only the worker
 * writes its own block.  The budget is read with a relaxed load, so
 * `tenant quota A cpu=...` takes effect on the next window.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "router_int.h"
#include "tenant/tn_int.h"

#define TN_CPU_WINDOWS_PER_S 1000

struct tn_cpu_task {
	struct el el;             /* cls = the trampoline, the rest copied from the real task's */
	struct tn_cpu *acct;
	struct el_node node;      /* state = the real node; must be last */
};

struct tn_cpu_plan {
	int n;
	struct tn_cpu_task **v;
};

static int cpu_run(struct el_node *t)
{
	struct tn_cpu_task *ct = (struct tn_cpu_task *)t->e;
	struct tn_cpu_w *w = &ct->acct->w[rt_wid];
	uint64_t now = rte_rdtsc();
	if (now >= w->window_end) {
		w->window_end = now + rte_get_tsc_hz() / TN_CPU_WINDOWS_PER_S;
		w->used = 0;
	}
	if (w->used >= __atomic_load_n(&ct->acct->budget, __ATOMIC_RELAXED)) {
		__atomic_store_n(&w->throttled, w->throttled + 1, __ATOMIC_RELAXED);
		return 0;
	}
	struct el_node *n = t->state;
	int k = n->e->cls->run(n);
	uint64_t dt = rte_rdtsc() - now;
	w->used += dt;
	if (k > 0) /* idle polls are not charged to its totals, as in prof.c */
		__atomic_store_n(&w->cycles, w->cycles + dt, __ATOMIC_RELAXED);
	return k;
}

static struct el_class cpu_task_class = {
	.name = "mboxsh-tenant-cpu",
	.ports = "0/0",
	.run = cpu_run,
};

void tn_cpu_set_budget(struct tn *t)
{
	uint64_t b = t->q.cpu_hz ? t->q.cpu_hz / TN_CPU_WINDOWS_PER_S : UINT64_MAX;
	__atomic_store_n(&t->cpu->budget, b ? b : 1, __ATOMIC_RELAXED);
}

int tn_cpu_plan(struct rt_router *r, struct rt_plan *p, struct rt_err *err)
{
	if (!r->tenants || !r->tenants->n)
		return 0;
	struct tn_cpu_plan *cp = calloc(1, sizeof(*cp));
	if (!cp)
		return rt_errf(err, NULL, -ENOMEM, "out of memory for CPU budgets");
	p->cpu = cp;
	for (int w = 0; w < RT_MAX_WORKERS; w++)
		for (int k = 0; k < p->ntasks[w]; k++) {
			struct el_node *real = p->tasks[w][k];
			const struct tn *t = real->e->tenant ? tn_by_id(r, real->e->tenant) : NULL;
			if (!t)
				continue;
			struct tn_cpu_task *ct = rte_zmalloc("tn_cpu_task", sizeof(*ct), RTE_CACHE_LINE_SIZE);
			struct tn_cpu_task **v = realloc(cp->v, sizeof(*v) * (size_t)(cp->n + 1));
			if (v)
				cp->v = v;
			if (!ct || !v) {
				rte_free(ct);
				return rt_errf(err, NULL, -ENOMEM, "out of memory for CPU budgets");
			}
			cp->v[cp->n++] = ct;
			ct->el = *real->e; /* name, thread, index, tenant */
			ct->el.cls = &cpu_task_class;
			ct->el.state = real;
			ct->acct = t->cpu;
			ct->node.e = &ct->el;
			ct->node.state = real;
			ct->node.prof = real->prof;
			p->tasks[w][k] = &ct->node;
		}
	return 0;
}

void tn_cpu_plan_free(struct rt_plan *p)
{
	struct tn_cpu_plan *cp = p->cpu;
	if (!cp)
		return;
	for (int i = 0; i < cp->n; i++)
		rte_free(cp->v[i]);
	free(cp->v);
	free(cp);
	p->cpu = NULL;
}

void tn_cpu_usage(const struct tn *t, uint64_t *cycles, uint64_t *throttled)
{
	*cycles = *throttled = 0;
	for (int w = 0; w < RT_MAX_WORKERS; w++) {
		*cycles += __atomic_load_n(&t->cpu->w[w].cycles, __ATOMIC_RELAXED);
		*throttled += __atomic_load_n(&t->cpu->w[w].throttled, __ATOMIC_RELAXED);
	}
}
