/*
 * router.h - the router: one running configuration (elements, connections),
 * its compiled plan, its workers and the control-plane loop it lives on.
 *
 * Lifecycle (control thread): rt_eal_init once per process, rt_router_new,
 * rt_router_load (parse, check, instantiate, compile: nothing runs yet),
 * rt_router_start (workers), then run the libuv loop until
 * rt_router_stopped; rt_router_free.  rt_router_stop and
 * rt_router_please_stop may be called from any thread.
 */
#ifndef MB_ROUTER_H
#define MB_ROUTER_H

#include <uv.h>

#include "el.h"
#include "lang.h"

struct rte_mempool;

/* EAL start-up.  `eal_args` (may be NULL) are the user's own EAL arguments;
 * when NULL the safe defaults are used (no hugepages unless present, no
 * PCI, no shared config, no telemetry, virtual devices only). */
int rt_eal_init(const char *eal_args, int nworkers, struct rt_err *err);
void rt_eal_cleanup(void);
/* "hugepages" or "no hugepages" after rt_eal_init. */
bool rt_eal_hugepages(void);

struct rt_router_opts {
	int nworkers;         /* >= 1 */
	uv_loop_t *loop;      /* control-plane loop (NULL: uv_default_loop) */
	unsigned pool_size;   /* mbufs in the router's pool (0: default) */
	bool pin;             /* pin workers with hwloc */
};

struct rt_router *rt_router_new(const struct rt_router_opts *o, struct rt_err *err);
void rt_router_free(struct rt_router *r);

/* Parse a Click configuration and build the graph (elements created,
 * configured, checked and initialised, plan compiled).  On error nothing is
 * left of the new configuration. */
/* The package names `require` accepts, NULL-terminated. */
extern const char *const rt_router_packages[];

int rt_router_load(struct rt_router *r, const char *text, const char *file,
		   const char *const *defines, struct rt_err *err);

int rt_router_start(struct rt_router *r, struct rt_err *err);
/* Ask everything to stop (thread-safe, async-signal-unsafe). */
void rt_router_stop(struct rt_router *r);
/* A source with STOP true finished: stops the router unless a driver
 * (DriverManager) takes stop events itself. */
void rt_router_please_stop(struct rt_router *r);
/* Hook for DriverManager: called on the control thread for each
 * please_stop instead of stopping.  Returns -EBUSY when another owner
 * holds it (a second DriverManager). */
int rt_router_set_stop_hook(struct rt_router *r, void (*fn)(void *), void *arg);
/* Release the hook if (fn, arg) still holds it. */
void rt_router_clear_stop_hook(struct rt_router *r, void (*fn)(void *), void *arg);
/* Wait for workers after a stop; returns when all have exited. */
void rt_router_join(struct rt_router *r);
/* Called when the router has stopped (on the control thread). */
void rt_router_on_stop(struct rt_router *r, void (*fn)(struct rt_router *, void *), void *arg);

int rt_router_nelements(const struct rt_router *r);
struct el *rt_router_element(const struct rt_router *r, int i);
struct el *rt_router_find(const struct rt_router *r, const char *name);
struct rte_mempool *rt_router_pool(const struct rt_router *r);
/* The pool for an element named ename: its tenant's (docs/tenants.md), or
 * the router's; *tenant gets the owner's id (0: the operator). */
struct rte_mempool *rt_router_pool_for(const struct rt_router *r, const char *ename, uint32_t *tenant);
/* A packet pool of n mbufs of `room` data bytes with room for the
 * annotations and `cache` buffers cached per worker (an element's own
 * pool, e.g. IPReassembler's big buffers); free with rte_mempool_free. */
struct rte_mempool *rt_pool_create_sized(const char *name, unsigned n, unsigned cache, uint16_t room,
					 struct rt_err *err);
uv_loop_t *rt_router_loop(const struct rt_router *r);
int rt_router_nworkers(const struct rt_router *r);
/* The router's QSBR variable: structures read by workers and changed by the
 * control plane (rte_lpm's tbl8 groups, rule sets) reclaim through it. */
struct rte_rcu_qsbr *rt_router_qsbr(const struct rt_router *r);
/* The workers, one line each: "worker W cpu C tasks T rounds R busy B pkts
 * P" (cpu -1: not pinned; busy: rounds that moved packets; pkts: moved
 * by its tasks).  The router's `threads` handler. */
void rt_router_threads(const struct rt_router *r, struct rt_buf *out);
/* The configuration as loaded / flattened (Click text). */
void rt_router_config(const struct rt_router *r, struct rt_buf *out);
void rt_router_flatconfig(const struct rt_router *r, struct rt_buf *out);

/* The link-broadcast annotation (RT_AF_LINK_BCAST) on demand.  Device
 * sources (FromDPDKDevice) set it only while some element that reads it
 * is initialised: reading every frame's destination address costs a cache
 * line per packet that plain forwarding never touches.  Readers call
 * rt_router_link_bcast_use(r, +1) from init and (r, -1) from cleanup;
 * sources read rt_router_link_bcast_users(r) once per burst (the pointer
 * stays valid for the router's life).  A reader added to a running graph
 * sees the annotation on every packet received after its init. */
void rt_router_link_bcast_use(struct rt_router *r, int delta);
const int *rt_router_link_bcast_users(struct rt_router *r);

/* Allocate a packet from the router's pool with annotations reset; NULL
 * when the pool is empty. */
struct rte_mbuf *rt_pkt_alloc(struct rt_router *r);
/* Allocate and fill with `len` bytes of `data`. */
struct rte_mbuf *rt_pkt_make(struct rt_router *r, const void *data, uint32_t len);

#endif
