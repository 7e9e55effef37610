/*
 * tn_int.h - the tenant registry's internals, shared by tn.c (tenants,
 * namespaces) and tn_ident.c (identities, audit).
 */
#ifndef MB_TN_INT_H
#define MB_TN_INT_H

#include <stdio.h>

#include <rte_common.h>

#include "rt.h"

#include "flow/flow.h"
#include "tenant/tn.h"

/* CPU accounting of a tenant (tn_cpu.c): one block per worker, written
 * by that worker only. */
struct tn_cpu_w {
	uint64_t window_end, used;  /* TSC: the current window, cycles used in it */
	uint64_t cycles, throttled; /* totals: cycles of runs that moved packets, skipped runs */
} __rte_cache_aligned;
struct tn_cpu {
	uint64_t budget;            /* cycles per window per worker; UINT64_MAX: none */
	struct tn_cpu_w w[RT_MAX_WORKERS];
};

struct tn {
	uint32_t id;                 /* never reused */
	char name[TN_NAME_MAX];
	struct tn_quota q;
	struct rte_mempool *pool;
	char *token;                 /* AUTH token; NULL: none */
	struct tn_cpu *cpu;          /* rte_zmalloc'd: plans point to it */
	struct flow_quota *fq;       /* RT_MAX_WORKERS blocks (tn_res.c); flow tables point to them */
	struct tn *next_retired;
};

struct tn_audit_rec {
	uint64_t wall_ns;
	uint32_t tenant;
	char who[TN_NAME_MAX];
	char op[24];
	char target[96];
	int rc;
	char msg[160];
};

struct tn_set {
	struct tn *v[TN_MAX];
	int n;
	uint32_t last_id;
	struct tn *retired;          /* removed: pools freed with the router */
	struct {
		uid_t uid;
		uint32_t tenant;
	} uids[TN_MAX_UIDS];
	int nuids;
	char *op_token;
	struct tn_audit_rec *ring;   /* TN_AUDIT_RING records, allocated on first use */
	uint64_t nrec;
	FILE *audit_file;
};

void tn_audit_close(struct tn_set *s);

/* tn_res.c: flow-entry and held-packet quotas, split among the workers. */
int tn_res_new(struct tn *t);
void tn_res_set_limits(const struct rt_router *r, struct tn *t);
void tn_res_free(struct tn *t);
/* tn.c: the tenant's elements in the running graph. */
int tn_nelements(const struct rt_router *r, const struct tn *t);

/* tn_cpu.c: the budget from the quota; the totals of every worker. */
void tn_cpu_set_budget(struct tn *t);
void tn_cpu_usage(const struct tn *t, uint64_t *cycles, uint64_t *throttled);

#endif
