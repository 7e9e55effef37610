/*
 * router_int.h - the router's internals, shared by graph.c (build, check,
 * compile), router.c (lifecycle, EAL, pools) and worker.c (workers).
 */
#ifndef MB_ROUTER_INT_H
#define MB_ROUTER_INT_H

#include <pthread.h>
#include <rte_rcu_qsbr.h>

#include "router.h"

struct rt_conn {
	int from, from_port, to, to_port; /* element indices */
	struct rt_loc loc;
};

/* A graph: the elements and connections of one configuration. */
struct rt_graph {
	struct el **els;
	int nels;
	struct rt_conn *conns;
	int nconns;
};

/* A compiled plan: what workers run (decision 4).  Immutable once
 * published; retired after a grace period (decision 5). */
struct rt_plan {
	uint64_t version;
	int nnodes;
	struct el_node **nodes;        /* by element index */
	struct el_node *drop;          /* sink for unconnected optional outputs */
	int ntasks[RT_MAX_WORKERS];
	struct el_node **tasks[RT_MAX_WORKERS];
	struct rt_prof_plan *prof;     /* prof.c: set when compiled with profiling */
	struct tn_cpu_plan *cpu;       /* tenant/tn_cpu.c: tenants' tasks under their CPU budgets */
	struct cls_chain *chains;      /* classify/cls_chain.c: merged classifier chains */
};

struct rt_worker {
	struct rt_router *r;
	unsigned id;
	pthread_t thread;
	int cpu;                       /* core it is pinned to, -1 if not */
	volatile uint64_t loops, busy_loops, pkts;
} __rte_cache_aligned;

struct rt_router {
	struct rt_router_opts o;
	uv_loop_t *loop;
	uv_async_t async;
	struct rte_mempool *pool;
	char pool_name[32];

	struct rt_graph g;
	struct lang_graph flat;        /* as parsed, for flatconfig */
	char *config_text;
	uint64_t version;

	struct rt_plan *plan;          /* published with an atomic store */
	struct rte_rcu_qsbr *qsbr;

	struct rt_worker workers[RT_MAX_WORKERS];
	bool started;
	volatile int stop;             /* set once to stop workers */
	volatile int please_stops;     /* pending please_stop events */
	void (*stop_hook)(void *);
	void *stop_hook_arg;
	void (*on_stop)(struct rt_router *, void *);
	void *on_stop_arg;
	bool stopped_notified;
	uint64_t live_hold_ns;         /* last live change: first publish to holds released (live.c) */
	uint64_t live_total_ns;        /* last live change: command to completion */
	struct rt_ports *ports;        /* DPDK ports of device elements (port.c); NULL if none */
	bool prof_on;                  /* plans are compiled with cycle accounting (prof.c) */
	struct rt_ident_state {        /* ctl_ident.c: who the control API acts for */
		uint32_t tenant;       /* RT_TENANT_OPERATOR, a tenant id, RT_TENANT_NOBODY */
		int depth;             /* nesting of control-API calls (RT_CTL_ENTRY) */
	} ident;
	struct tn_set *tenants;        /* tenant/tn.c; NULL until the first tenant */
	int link_bcast_users;          /* initialised elements reading RT_AF_LINK_BCAST */
};

/* graph.c */
extern lang_is_class_fn rt_graph_is_class;
int rt_graph_build(struct rt_router *r, const struct lang_graph *lg, struct rt_graph *g, struct rt_err *err);
/* Build g from lg, keeping the elements of `old` whose name, class,
 * configuration and port counts are unchanged (is_new[i] false: shared with
 * old, not initialised again).  On error only new elements are freed. */
int rt_graph_build_from(struct rt_router *r, const struct lang_graph *lg, const struct rt_graph *old,
			struct rt_graph *g, bool *is_new, struct rt_err *err);
void rt_graph_free(struct rt_graph *g);
struct rt_plan *rt_plan_compile(struct rt_router *r, const struct rt_graph *g, struct rt_err *err);
void rt_plan_free(struct rt_plan *p);

/* live.c: apply a new configuration text to a running router; when
 * into_from is set, the element of that name (removed by the text) hands
 * its state to `into` (kept) before it is retired. */
int rt_live_apply(struct rt_router *r, const char *text, const char *file, const char *into_from,
		  struct el *into, struct rt_buf *warn, struct rt_err *err);

/* Record an element's new class and arguments in the flat configuration. */
void rt_live_set_flat(struct rt_router *r, const char *name, const char *cls, const char *config);

/* prof.c: when r->prof_on, route a freshly compiled plan's hops and tasks
 * through the accounting trampolines (accumulators carried over from the
 * current plan by element); rt_prof_plan_free undoes it for rt_plan_free. */
int rt_prof_plan(struct rt_router *r, struct rt_plan *p, struct rt_err *err);
void rt_prof_plan_free(struct rt_plan *p);

/* router.c: a packet pool of n mbufs of the default size with room for
 * the annotations (rt_pool_create_sized in router.h for other sizes). */
struct rte_mempool *rt_pool_create(const char *name, unsigned n, struct rt_err *err);

/* worker.c */
int rt_workers_start(struct rt_router *r, struct rt_err *err);
void rt_workers_join(struct rt_router *r);
void rt_pin_worker(struct rt_worker *w, int nworkers);

#endif
