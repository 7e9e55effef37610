/*
 * router.c - EAL start-up, the router's lifecycle (load, start, stop,
 * free), its packet pool, and the hand-off of stop events from workers to
 * the control thread through a libuv async handle.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mbuf_pool_ops.h>

#include "port.h"
#include "router_int.h"
#include "tenant/tn.h"

static bool eal_up, eal_huge;

const struct rt_anno rt_anno_defaults = {.nh_off = RT_NH_NONE};

/* Reserve the ol_flags bit that marks valid annotations (rt.h), so that no
 * driver or library registers a dynamic flag on top of it. */
static int anno_flag_register(struct rt_err *err)
{
	static const struct rte_mbuf_dynflag df = {.name = "mboxsh_anno_valid"};
	int bit = rte_mbuf_dynflag_register_bitnum(&df, RT_OLF_ANNO_BIT);
	if (bit != RT_OLF_ANNO_BIT)
		return rt_errf(err, NULL, -EBUSY,
			       "cannot reserve mbuf flag bit %d for annotations (%s): another DPDK library holds it",
			       RT_OLF_ANNO_BIT, rte_strerror(rte_errno));
	return 0;
}

/* Packages `require` accepts: Click's names for what mboxsh provides. */
const char *const rt_router_packages[] = {"mboxsh", "userlevel", "dpdk", "ip", "ip6", "standard",
					  "analysis", "ethernet", "icmp", "app", "simple", "flow",
					  "classify", "tcpudp", NULL};

static bool hugepages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	if (!f)
		return false;
	char line[128];
	long free_pages = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &free_pages) == 1)
			break;
	fclose(f);
	/* 256 x 2 MB covers the default pool with room to spare */
	return free_pages >= 256;
}

int rt_eal_init(const char *eal_args, int nworkers, struct rt_err *err)
{
	(void)nworkers; /* workers are registered threads, not EAL lcores */
	if (eal_up)
		return 0;
	char *argv[64];
	int argc = 0;
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=mboxsh%d", (int)getpid());
	argv[argc++] = "mboxsh";
	char *copy = NULL;
	if (eal_args) {
		copy = strdup(eal_args);
		for (char *t = strtok(copy, " \t"); t && argc < 60; t = strtok(NULL, " \t"))
			argv[argc++] = t;
		eal_huge = strstr(eal_args, "--no-huge") == NULL;
	} else {
		eal_huge = hugepages_free() && !getenv("MBOXSH_NO_HUGE");
		argv[argc++] = "-l";
		argv[argc++] = "0";
		if (!eal_huge) {
			argv[argc++] = "--no-huge";
			argv[argc++] = "-m";
			argv[argc++] = "512";
		}
		argv[argc++] = "--no-pci";
		argv[argc++] = "--no-shconf";
		argv[argc++] = "--no-telemetry";
		argv[argc++] = prefix;
		argv[argc++] = getenv("MBOXSH_EAL_VERBOSE") ? "--log-level=info" : "--log-level=error";
	}
	argv[argc] = NULL;
	int rc = rte_eal_init(argc, argv);
	free(copy);
	if (rc < 0)
		return rt_errf(err, NULL, -EINVAL, "DPDK EAL initialisation failed: %s", rte_strerror(rte_errno));
	eal_up = true;
	return anno_flag_register(err);
}

bool rt_eal_hugepages(void) { return eal_huge; }

void rt_eal_cleanup(void)
{
	if (eal_up)
		rte_eal_cleanup();
	eal_up = false;
}

/* A packet pool of n mbufs of `room` data bytes, with room for the
 * annotations, and `cache` buffers cached per worker.  Without hugepages
 * DPDK keeps each mbuf inside one 4 KB page, so mbufs sit 4 KB apart and
 * every header maps to the same L1 set: a batch of 32 then thrashes the
 * cache (measured: 12.9 -> 23 Mpps on the router chain when fixed).
 * Virtual devices need no IOVA-contiguous buffers, so let objects cross
 * pages and pack at their natural stride. */
struct rte_mempool *rt_pool_create_sized(const char *name, unsigned n, unsigned cache, uint16_t room,
					 struct rt_err *err)
{
	struct rte_mempool *mp = NULL;
	if (eal_huge) {
		mp = rte_pktmbuf_pool_create(name, n, cache, RT_ANNO_SIZE, room, (int)rte_socket_id());
		if (!mp)
			goto fail;
		return mp;
	}
	struct rte_pktmbuf_pool_private priv = {.mbuf_data_room_size = room, .mbuf_priv_size = RT_ANNO_SIZE};
	mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + RT_ANNO_SIZE + room, cache, sizeof(priv),
				      (int)rte_socket_id(), RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (!mp || rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL) != 0)
		goto fail;
	rte_pktmbuf_pool_init(mp, &priv);
	if (rte_mempool_populate_default(mp) < 0)
		goto fail;
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
fail:
	rt_errf(err, NULL, -ENOMEM, "cannot create packet pool '%s' of %u buffers of %u bytes: %s", name, n,
		(unsigned)room, rte_strerror(rte_errno));
	rte_mempool_free(mp);
	return NULL;
}

/* The router's and tenants' pools: buffers of DPDK's default size,
 * per-worker caches of 256, smaller for small (tenant) pools: DPDK wants
 * the cache well under the pool size. */
struct rte_mempool *rt_pool_create(const char *name, unsigned n, struct rt_err *err)
{
	return rt_pool_create_sized(name, n, n >= 4096 ? 256 : n / 16, RTE_MBUF_DEFAULT_BUF_SIZE, err);
}

static void on_async(uv_async_t *h)
{
	struct rt_router *r = h->data;
	int n = __atomic_exchange_n(&r->please_stops, 0, __ATOMIC_ACQ_REL);
	for (; n > 0; n--) {
		if (r->stop_hook)
			r->stop_hook(r->stop_hook_arg);
		else
			__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	}
	if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) && !r->stopped_notified) {
		r->stopped_notified = true;
		rt_router_join(r);
		if (r->on_stop)
			r->on_stop(r, r->on_stop_arg);
	}
}

struct rt_router *rt_router_new(const struct rt_router_opts *o, struct rt_err *err)
{
	static int seq;
	/* cache-aligned: each worker writes its own struct rt_worker every
	 * round, and calloc's 16-byte alignment let two workers' counters share
	 * a cache line in some routers and not others (found measuring the
	 * 2-worker case) */
	struct rt_router *r;
	if (posix_memalign((void **)&r, RTE_CACHE_LINE_SIZE, sizeof(*r)) != 0) {
		rt_errf(err, NULL, -ENOMEM, "cannot allocate the router");
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->o = *o;
	if (r->o.nworkers < 1)
		r->o.nworkers = 1;
	if (r->o.nworkers > RT_MAX_WORKERS) {
		free(r);
		rt_errf(err, NULL, -EINVAL, "at most %d workers", RT_MAX_WORKERS);
		return NULL;
	}
	r->loop = o->loop ? o->loop : uv_default_loop();
	snprintf(r->pool_name, sizeof(r->pool_name), "mb_pool%d", seq++);
	unsigned n = o->pool_size ? o->pool_size : 16383;
	r->pool = rt_pool_create(r->pool_name, n, err);
	if (!r->pool) {
		rt_errf(err, NULL, -ENOMEM, "cannot create packet pool of %u buffers: %s", n, rte_strerror(rte_errno));
		free(r);
		return NULL;
	}
	size_t qsz = rte_rcu_qsbr_get_memsize(RT_MAX_WORKERS);
	r->qsbr = rte_zmalloc("mb_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(r->qsbr, RT_MAX_WORKERS);
	uv_async_init(r->loop, &r->async, on_async);
	r->async.data = r;
	/* an empty plan, so workers always have one */
	struct rt_graph empty = {0};
	r->plan = rt_plan_compile(r, &empty, err);
	return r;
}

static void free_graph_and_plan(struct rt_router *r)
{
	rt_plan_free(r->plan);
	r->plan = NULL;
	rt_graph_free(&r->g);
	lang_graph_free(&r->flat);
	free(r->config_text);
	r->config_text = NULL;
}

static void async_closed(uv_handle_t *h) { free(h->data); }

void rt_router_free(struct rt_router *r)
{
	if (!r)
		return;
	rt_router_stop(r);
	rt_router_join(r);
	/* DPDK ports (port.c): stopped once no worker polls them; their
	 * elements release them below, the registry goes last, before the
	 * pool their queues use */
	rt_ports_stop(r);
	free_graph_and_plan(r);
	rt_ports_close(r);
	tn_set_free(r); /* the tenants' pools, once no element holds their mbufs */
	rte_mempool_free(r->pool);
	rte_free(r->qsbr);
	/* the async handle is freed with the router once libuv lets go of it */
	uv_close((uv_handle_t *)&r->async, async_closed);
}

int rt_router_load(struct rt_router *r, const char *text, const char *file, const char *const *defines,
		   struct rt_err *err)
{
	if (r->started)
		return rt_errf(err, NULL, -EBUSY, "router already running: use hotconfig");
	struct lang_graph lg;
	int rc = lang_parse(text, file ? file : "<config>", defines, rt_graph_is_class, NULL, &lg, err);
	if (rc < 0)
		return rc;
	struct rt_graph g;
	if ((rc = rt_graph_build(r, &lg, &g, err)) < 0) {
		lang_graph_free(&lg);
		return rc;
	}
	struct rt_plan *p = rt_plan_compile(r, &g, err);
	if (!p) {
		rt_graph_free(&g);
		lang_graph_free(&lg);
		return err->code;
	}
	free_graph_and_plan(r);
	r->g = g;
	for (int i = 0; i < r->g.nels; i++)
		r->g.els[i]->graph = &r->g;
	r->flat = lg;
	r->config_text = strdup(text);
	p->version = ++r->version;
	__atomic_store_n(&r->plan, p, __ATOMIC_RELEASE);
	return 0;
}

int rt_router_start(struct rt_router *r, struct rt_err *err)
{
	if (r->started)
		return 0;
	/* DPDK ports (port.c) are configured and started before any worker
	 * polls them; a port that fails leaves none started */
	int rc = rt_ports_start(r, err);
	if (rc < 0)
		return rc;
	rc = rt_workers_start(r, err);
	if (rc == 0)
		r->started = true;
	else
		rt_ports_stop(r);
	return rc;
}

void rt_router_stop(struct rt_router *r)
{
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	uv_async_send(&r->async);
}

void rt_router_please_stop(struct rt_router *r)
{
	__atomic_fetch_add(&r->please_stops, 1, __ATOMIC_ACQ_REL);
	uv_async_send(&r->async);
}

int rt_router_set_stop_hook(struct rt_router *r, void (*fn)(void *), void *arg)
{
	if (r->stop_hook && (r->stop_hook != fn || r->stop_hook_arg != arg))
		return -EBUSY;
	r->stop_hook = fn;
	r->stop_hook_arg = arg;
	return 0;
}

void rt_router_clear_stop_hook(struct rt_router *r, void (*fn)(void *), void *arg)
{
	if (r->stop_hook == fn && r->stop_hook_arg == arg) {
		r->stop_hook = NULL;
		r->stop_hook_arg = NULL;
	}
}

void rt_router_on_stop(struct rt_router *r, void (*fn)(struct rt_router *, void *), void *arg)
{
	r->on_stop = fn;
	r->on_stop_arg = arg;
}


void rt_router_join(struct rt_router *r)
{
	if (r->started) {
		__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
		rt_workers_join(r);
		r->started = false;
	}
}

int rt_router_nelements(const struct rt_router *r) { return r->g.nels; }
struct el *rt_router_element(const struct rt_router *r, int i) { return i >= 0 && i < r->g.nels ? r->g.els[i] : NULL; }

struct el *rt_router_find(const struct rt_router *r, const char *name)
{
	for (int i = 0; i < r->g.nels; i++)
		if (!strcmp(r->g.els[i]->name, name))
			return r->g.els[i];
	return NULL;
}

struct rte_mempool *rt_router_pool(const struct rt_router *r) { return r->pool; }

struct rte_mempool *rt_router_pool_for(const struct rt_router *r, const char *ename, uint32_t *tenant)
{
	const struct tn *t = r->tenants ? tn_owner(r, ename) : NULL;
	*tenant = t ? tn_id(t) : RT_TENANT_OPERATOR;
	return t ? tn_pool(t) : r->pool;
}
uv_loop_t *rt_router_loop(const struct rt_router *r) { return r->loop; }
int rt_router_nworkers(const struct rt_router *r) { return r->o.nworkers; }
struct rte_rcu_qsbr *rt_router_qsbr(const struct rt_router *r) { return r->qsbr; }

void rt_router_threads(const struct rt_router *r, struct rt_buf *out)
{
	const struct rt_plan *p = __atomic_load_n(&r->plan, __ATOMIC_ACQUIRE);
	for (int w = 0; w < r->o.nworkers; w++) {
		const struct rt_worker *k = &r->workers[w];
		rt_buf_printf(out, "worker %d cpu %d tasks %d rounds %llu busy %llu pkts %llu\n", w,
			      r->started ? k->cpu : -1, p ? p->ntasks[w] : 0, (unsigned long long)k->loops,
			      (unsigned long long)k->busy_loops, (unsigned long long)k->pkts);
	}
}

void rt_router_config(const struct rt_router *r, struct rt_buf *out)
{
	rt_buf_puts(out, r->config_text ? r->config_text : "");
}

void rt_router_flatconfig(const struct rt_router *r, struct rt_buf *out) { lang_unparse(&r->flat, out); }

void rt_router_link_bcast_use(struct rt_router *r, int delta)
{
	__atomic_fetch_add(&r->link_bcast_users, delta, __ATOMIC_RELEASE);
}

const int *rt_router_link_bcast_users(struct rt_router *r) { return &r->link_bcast_users; }

struct rte_mbuf *rt_pkt_alloc(struct rt_router *r)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);
	if (m)
		rt_anno_reset(m);
	return m;
}

struct rte_mbuf *rt_pkt_make(struct rt_router *r, const void *data, uint32_t len)
{
	struct rte_mbuf *m = rt_pkt_alloc(r);
	if (!m)
		return NULL;
	char *p = rte_pktmbuf_append(m, (uint16_t)len);
	if (!p) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(p, data, len);
	return m;
}
