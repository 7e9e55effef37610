/*
 * worker.c - workers: one thread per worker, registered with DPDK (so
 * mempool caches work) and pinned with hwloc.  Each runs its tasks from the
 * current plan to completion and reports a quiescent state between rounds
 * (decision 5).  No lock on the data path.
 */
#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_pause.h>

#include "router_int.h"

__thread unsigned rt_wid RT_TLS_IE;

/* After this many empty rounds a worker naps, offline for RCU, so idle
 * graphs do not burn a core (the machine may have only two). */
#define IDLE_ROUNDS 256
#define IDLE_NAP_US 50

static void *worker_main(void *arg)
{
	struct rt_worker *w = arg;
	struct rt_router *r = w->r;
	rt_wid = w->id;
	rte_thread_register();
	rt_pin_worker(w, r->o.nworkers);
	rte_rcu_qsbr_thread_register(r->qsbr, w->id);
	rte_rcu_qsbr_thread_online(r->qsbr, w->id);
	unsigned idle = 0;
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		const struct rt_plan *p = __atomic_load_n(&r->plan, __ATOMIC_ACQUIRE);
		int work = 0;
		int nt = p->ntasks[w->id];
		struct el_node **t = p->tasks[w->id];
		for (int i = 0; i < nt; i++)
			work += t[i]->e->cls->run(t[i]);
		rte_rcu_qsbr_quiescent(r->qsbr, w->id);
		w->loops++;
		if (work) {
			w->busy_loops++;
			w->pkts += (uint64_t)work;
			idle = 0;
		} else if (++idle > IDLE_ROUNDS) {
			rte_rcu_qsbr_thread_offline(r->qsbr, w->id);
			usleep(IDLE_NAP_US);
			rte_rcu_qsbr_thread_online(r->qsbr, w->id);
		} else {
			rte_pause();
		}
	}
	rte_rcu_qsbr_thread_offline(r->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(r->qsbr, w->id);
	rte_thread_unregister();
	return NULL;
}

int rt_workers_start(struct rt_router *r, struct rt_err *err)
{
	for (int i = 0; i < r->o.nworkers; i++) {
		struct rt_worker *w = &r->workers[i];
		w->r = r;
		w->id = (unsigned)i;
		w->cpu = -1;
		int rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc) {
			__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
			for (int k = 0; k < i; k++)
				pthread_join(r->workers[k].thread, NULL);
			return rt_errf(err, NULL, -rc, "cannot start worker %d: %s", i, strerror(rc));
		}
		char name[16];
		snprintf(name, sizeof(name), "mb-worker%u", (unsigned)i & 0xff);
		pthread_setname_np(w->thread, name);
	}
	return 0;
}

void rt_workers_join(struct rt_router *r)
{
	for (int i = 0; i < r->o.nworkers; i++)
		pthread_join(r->workers[i].thread, NULL);
}

/* One worker per physical core first; the control plane (core 0) is kept
 * off worker cores when there are enough cores. */
void rt_pin_worker(struct rt_worker *w, int nworkers)
{
	if (!w->r->o.pin)
		return;
	hwloc_topology_t topo;
	if (hwloc_topology_init(&topo) < 0)
		return;
	if (hwloc_topology_load(topo) < 0) {
		hwloc_topology_destroy(topo);
		return;
	}
	int ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	if (ncores <= 0)
		ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	if (ncores > 0) {
		int idx = ncores > nworkers ? (int)(w->id + 1) % ncores : (int)w->id % ncores;
		hwloc_obj_t core = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, (unsigned)idx);
		if (!core)
			core = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)idx);
		if (core && core->cpuset) {
			hwloc_bitmap_t set = hwloc_bitmap_dup(core->cpuset);
			hwloc_bitmap_singlify(set);
			if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD) == 0)
				w->cpu = hwloc_bitmap_first(set);
			hwloc_bitmap_free(set);
		}
	}
	hwloc_topology_destroy(topo);
}
