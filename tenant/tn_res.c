/*
 * tn_res.c - a tenant's flow-entry and held-packet quotas, and its usage
 * as every face shows it.
 *
 * Flow quotas without a shared counter on the data path: each worker gets
 * a fixed share of the tenant's quota (quota / workers, the remainder to
 * the first ones) in a block of its own (struct flow_quota, flow.h).  The
 * tenant's flow managers point each worker's table to that worker's block;
 * the table charges it on insert and credits it on release, and refuses an
 * insert once the share is used (the manager's full-table policy then
 * applies, as for a full table).  Holds (flow_el_push) charge the block of
 * the manager whose FCBs keep the packets.  A table freed by the control
 * thread gives its flows and held packets back through separate counters
 * (cp_*), so the worker's own stay plain stores.  The price of no sharing:
 * with several workers, one worker's flows cannot use another's idle share.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_malloc.h>
#include <rte_mempool.h>

#include "router_int.h"
#include "tenant/tn_int.h"

int tn_res_new(struct tn *t)
{
	t->fq = rte_zmalloc("tn_flow_quota", sizeof(*t->fq) * RT_MAX_WORKERS, RTE_CACHE_LINE_SIZE);
	return t->fq ? 0 : -ENOMEM;
}

void tn_res_free(struct tn *t)
{
	rte_free(t->fq);
	t->fq = NULL;
}

/* Worker w's share of quota q over nw workers (0: no limit). */
static uint32_t share(uint32_t q, int nw, int w)
{
	if (!q)
		return UINT32_MAX;
	return q / (uint32_t)nw + ((uint32_t)w < q % (uint32_t)nw);
}

void tn_res_set_limits(const struct rt_router *r, struct tn *t)
{
	int nw = RT_MAX(rt_router_nworkers(r), 1);
	for (int w = 0; w < RT_MAX_WORKERS; w++) {
		__atomic_store_n(&t->fq[w].max_flows, share(t->q.flow_entries, nw, w), __ATOMIC_RELAXED);
		__atomic_store_n(&t->fq[w].max_held, share(t->q.held_pkts, nw, w), __ATOMIC_RELAXED);
	}
}

struct flow_quota *tn_flow_quota(const struct rt_router *r, uint32_t id, int w)
{
	const struct tn *t = id != RT_TENANT_OPERATOR ? tn_by_id(r, id) : NULL;
	return t && w >= 0 && w < RT_MAX_WORKERS ? &t->fq[w] : NULL;
}

void tn_usage_of(const struct rt_router *r, const struct tn *t, struct tn_usage *u)
{
	*u = (struct tn_usage){.name = t->name,
			       .id = t->id,
			       .elements = tn_nelements(r, t),
			       .buffers = rte_mempool_in_use_count(t->pool),
			       .buffers_quota = t->q.pkt_buffers,
			       .flows_quota = t->q.flow_entries,
			       .held_quota = t->q.held_pkts};
	for (int w = 0; w < RT_MAX_WORKERS; w++) {
		const struct flow_quota *q = &t->fq[w];
		u->flows += __atomic_load_n(&q->flows, __ATOMIC_RELAXED) - __atomic_load_n(&q->cp_flows, __ATOMIC_RELAXED);
		u->held += __atomic_load_n(&q->held, __ATOMIC_RELAXED) - __atomic_load_n(&q->cp_held, __ATOMIC_RELAXED);
		u->flow_drops += __atomic_load_n(&q->flow_drops, __ATOMIC_RELAXED);
		u->held_drops += __atomic_load_n(&q->held_drops, __ATOMIC_RELAXED);
	}
	tn_cpu_usage(t, &u->cpu_cycles, &u->cpu_throttled);
}

int tn_usage(struct rt_router *r, struct tn_usage **out, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "tenant usage", NULL, err, tn_usage(r, out, err));
	struct rt_ident id = rt_ctl_ident(r);
	const struct tn_set *s = r->tenants;
	struct tn_usage *v = calloc((size_t)(s ? s->n : 0) + 1, sizeof(*v));
	if (!v)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	int k = 0;
	for (int i = 0; s && i < s->n; i++)
		if (rt_ident_is_operator(id) || s->v[i]->id == id.tenant)
			tn_usage_of(r, s->v[i], &v[k++]);
	*out = v;
	return k;
}

/* "used/quota", or "used/-" without a limit. */
static void put_of(struct rt_buf *out, int width, uint32_t used, uint32_t quota)
{
	char b[32];
	if (quota)
		snprintf(b, sizeof(b), "%u/%u", used, quota);
	else
		snprintf(b, sizeof(b), "%u/-", used);
	rt_buf_printf(out, " %*s", width, b);
}

void tn_usage_format(const struct tn_usage *v, int n, bool json, struct rt_buf *out)
{
	if (json) { /* tenant names need no escaping (letters, digits, '_', '-') */
		rt_buf_puts(out, "[");
		for (int i = 0; i < n; i++) {
			const struct tn_usage *u = &v[i];
			rt_buf_printf(out,
				      "%s{\"tenant\":\"%s\",\"id\":%u,\"elements\":%d,\"buffers\":%u,\"buffers_quota\":%u,"
				      "\"flows\":%u,\"flows_quota\":%u,\"flows_refused\":%llu,\"held\":%u,\"held_quota\":%u,"
				      "\"held_refused\":%llu,\"cpu_cycles\":%llu,\"cpu_throttled\":%llu}",
				      i ? "," : "", u->name, u->id, u->elements, u->buffers, u->buffers_quota, u->flows,
				      u->flows_quota, (unsigned long long)u->flow_drops, u->held, u->held_quota,
				      (unsigned long long)u->held_drops, (unsigned long long)u->cpu_cycles,
				      (unsigned long long)u->cpu_throttled);
		}
		rt_buf_puts(out, "]\n");
		return;
	}
	rt_buf_printf(out, "%-16s %13s %15s %13s %12s %10s %14s %10s\n", "TENANT", "BUFFERS", "FLOWS", "FLOWS_REFUSED",
		      "HELD", "HELD_DROPS", "CPU_CYCLES", "THROTTLED");
	for (int i = 0; i < n; i++) {
		const struct tn_usage *u = &v[i];
		rt_buf_printf(out, "%-16s", u->name);
		put_of(out, 13, u->buffers, u->buffers_quota);
		put_of(out, 15, u->flows, u->flows_quota);
		rt_buf_printf(out, " %13llu", (unsigned long long)u->flow_drops);
		put_of(out, 12, u->held, u->held_quota);
		rt_buf_printf(out, " %10llu %14llu %10llu\n", (unsigned long long)u->held_drops,
			      (unsigned long long)u->cpu_cycles, (unsigned long long)u->cpu_throttled);
	}
}

int tn_usage_put(struct rt_router *r, bool json, bool quiet, struct rt_buf *out, struct rt_err *err)
{
	struct tn_usage *v;
	int n = tn_usage(r, &v, err);
	if (n < 0)
		return n;
	if (n > 0 || !quiet)
		tn_usage_format(v, n, json, out);
	free(v);
	return n;
}
