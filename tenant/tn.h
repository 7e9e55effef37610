/*
 * tn.h - tenants (ARCHITECTURE.md, decision 10): many tenants' middleboxes
 * in one runtime, kept apart in data and in resources.
 *
 * A tenant has a name, quotas and its own packet pool.  Its elements live
 * in its namespace: the runtime calls them "A/fw", the tenant calls them
 * "fw" and cannot name anything else (ctl.h, identities).  Tenants are
 * control-API objects like elements: every function here acts for the
 * identity the face entered (rt_ctl_enter); adding, removing, loading for
 * another, mapping users and setting tokens are the operator's.
 *
 * Thread-safety: control thread only, except tn_pool_of (read by sources
 * on workers through el->pool, set before an element is published).
 */
#ifndef MB_TN_H
#define MB_TN_H

#include <sys/types.h>

#include "ctl.h"

#define TN_MAX 64          /* tenants per router */
#define TN_NAME_MAX 32     /* letters, digits, '_' and '-', starting with a letter */
#define TN_MAX_UIDS 64     /* Unix users mapped to identities */
#define TN_AUDIT_RING 1024 /* audit records kept in memory */

/* Quotas; 0 means "the default" at tn_add and "no limit" where noted. */
struct tn_quota {
	uint32_t pkt_buffers;   /* mbufs in the tenant's pool (default 4095) */
	uint32_t flow_entries;  /* entries in its flow managers' tables, all workers; 0 = no limit */
	uint32_t held_pkts;     /* packets held in its flows (the hold model); 0 = no limit */
	uint64_t cpu_hz;        /* cycles per second on each worker its tasks run on; 0 = no limit */
	uint64_t lua_mem;       /* bytes of its Lua state (default 8 MiB): enforced */
	uint64_t lua_instr;     /* instructions per Lua call (default 10M): enforced */
};

struct tn;
struct tn_set;

/* "buffers=N flows=N held=N cpu=RATE lua=BYTES instr=N" (any subset, any
 * order; sizes take k/M/G).  Unknown keys are errors naming the key. */
int tn_quota_parse(const char *text, struct tn_quota *q, struct rt_err *err);

/* ---- the control-API operations (identity-checked) ------------------------- */

/* Add tenant `name` with quotas (text as tn_quota_parse; NULL = defaults):
 * its pool is created now.  Operator only. */
int tn_add(struct rt_router *r, const char *name, const char *quota, struct rt_err *err);
/* Remove a tenant and every element of its namespace (one live change: on
 * error nothing is removed, e.g. while an operator element is still
 * connected to one of them).  Operator only. */
int tn_remove(struct rt_router *r, const char *name, struct rt_err *err);
/* Load Click text into a tenant's namespace: replace (its whole graph) or
 * add to it.  name NULL = the caller's own namespace; a tenant may only
 * name itself.  Names in the text are the tenant's own. */
int tn_load(struct rt_router *r, const char *name, const char *text, bool replace, const char *file,
	    struct rt_buf *warn, struct rt_err *err);
/* One line per tenant the caller may see: name, id, elements, buffers in
 * use/quota (the operator sees every tenant, a tenant only itself). */
int tn_list(struct rt_router *r, struct rt_buf *out, struct rt_err *err);
/* A tenant's quotas and usage, one "key value" a line. */
int tn_show(struct rt_router *r, const char *name, struct rt_buf *out, struct rt_err *err);
/* Change quotas of an existing tenant (only those given; buffers cannot
 * change once the pool exists).  Operator only. */
int tn_set_quota(struct rt_router *r, const char *name, const char *quota, struct rt_err *err);

/* Usage and drops of one tenant (what `stats tenants`, `top`, mb.tenants()
 * and the router handler `tenants` show). */
struct tn_usage {
	const char *name;               /* valid until the tenant is removed */
	uint32_t id;
	int elements;
	uint32_t buffers, buffers_quota;   /* mbufs of its pool in use */
	uint32_t flows, flows_quota;       /* flow entries (quota 0: none) */
	uint32_t held, held_quota;         /* held packets (quota 0: none) */
	uint64_t flow_drops, held_drops;   /* flows refused, holds refused (dropped) */
	uint64_t cpu_cycles, cpu_throttled; /* cycles of its tasks, runs skipped over budget */
};
/* The usage of every tenant the caller may see (the operator: all; a
 * tenant: itself; nobody: none).  Returns the count (*out malloc'd), or <0. */
int tn_usage(struct rt_router *r, struct tn_usage **out, struct rt_err *err);
/* One formatter for every face: a table ("TENANT ..." header, a line
 * each), or a JSON array of objects. */
void tn_usage_format(const struct tn_usage *v, int n, bool json, struct rt_buf *out);
/* tn_usage then tn_usage_format into out: what the faces call.  With
 * quiet, nothing is written when the caller sees no tenant.  Returns the
 * number of tenants, or <0. */
int tn_usage_put(struct rt_router *r, bool json, bool quiet, struct rt_buf *out, struct rt_err *err);

/* ---- identities (operator only to change) ---------------------------------- */

/* Map Unix user uid to a tenant (name) or to the operator ("operator"). */
int tn_map_uid(struct rt_router *r, uid_t uid, const char *who, struct rt_err *err);
/* Set the token that authenticates as `who` (tenant name or "operator")
 * on the control socket (AUTH token).  Once any token is set, TCP clients
 * start as nobody until they authenticate. */
int tn_set_token(struct rt_router *r, const char *who, const char *token, struct rt_err *err);
/* The identity of a Unix-socket peer: its mapped identity; else the
 * operator when no user is mapped, or when uid is root or this process's
 * user; else nobody. */
struct rt_ident tn_ident_of_uid(const struct rt_router *r, uid_t uid);
/* The identity a TCP client starts with: operator while no token is set,
 * nobody after. */
struct rt_ident tn_ident_tcp(const struct rt_router *r);
/* Authenticate with a token: 0 and *id, or -EACCES. */
int tn_auth(struct rt_router *r, const char *token, struct rt_ident *id, struct rt_err *err);

/* ---- lookups (runtime internals, no identity check) ---------------------- */

const struct tn *tn_by_id(const struct rt_router *r, uint32_t id);
const struct tn *tn_by_name(const struct rt_router *r, const char *name);
/* The tenant owning element name `ename` (its "NAME/" prefix); NULL: the
 * operator's. */
const struct tn *tn_owner(const struct rt_router *r, const char *ename);
uint32_t tn_id(const struct tn *t);
const char *tn_name(const struct tn *t);
const struct tn_quota *tn_quota(const struct tn *t);
struct rte_mempool *tn_pool(const struct tn *t);
/* Worker w's block of tenant id's flow quotas (flow.h): the tenant's flow
 * managers point their tables to it.  NULL for the operator. */
struct flow_quota *tn_flow_quota(const struct rt_router *r, uint32_t id, int w);
void tn_usage_of(const struct rt_router *r, const struct tn *t, struct tn_usage *u);
/* "operator", "nobody" or the tenant's name. */
const char *tn_ident_name(const struct rt_router *r, struct rt_ident id);

/* Tenant id's part of the running configuration in its own names (Click
 * text: its declarations and the connections among them). */
void tn_own_config(const struct rt_router *r, uint32_t id, struct rt_buf *out);

void tn_set_free(struct rt_router *r);

/* CPU budgets (tn_cpu.c): wrap a compiled plan's tenant tasks in the
 * accounting trampoline; undo it for rt_plan_free. */
struct rt_plan;
int tn_cpu_plan(struct rt_router *r, struct rt_plan *p, struct rt_err *err);
void tn_cpu_plan_free(struct rt_plan *p);

/* ---- audit ------------------------------------------------------------------ */

/* Record one control operation: who, when, what on which target, result. */
void tn_audit(struct rt_router *r, struct rt_ident who, const char *op, const char *target, int rc,
	      const char *msg);
/* The last n records (0: all kept), oldest first, one a line:
 * "TIME WHO OP TARGET -> ok|error CODE: MSG".  Operator only. */
int tn_audit_read(struct rt_router *r, int n, struct rt_buf *out, struct rt_err *err);
/* Also append every record to `path` (NULL: stop).  Operator only. */
int tn_audit_file(struct rt_router *r, const char *path, struct rt_err *err);
/* Records written since the router was created. */
uint64_t tn_audit_count(const struct rt_router *r);

#endif
