/*
 * test_tenants.c - tenants sharing one router (docs/tenants.md), through
 * the control API: tenant A tries every operation on tenant B's elements
 * and on the operator's; each is refused with the very error a name that
 * does not exist gets, and B's graph, version and counters are unchanged.
 * The operator can do all of it.  Also: namespaces (both tenants have a
 * "c"), the edge between the operator and a tenant, tenant removal,
 * per-tenant packet pools, CPU budgets and the audit trail.  The shell,
 * Lua and control-socket faces are in test_faces.c.
 */
#include <unistd.h>

#include <rte_mempool.h>

#include "tn_util.h"

/* ---- the control API, acting as A ----------------------------------------- */

/* Run one operation as A on `name`; return its error message. */
typedef int (*op_fn)(struct rt_router *r, const char *name, struct rt_err *err);

static int op_read(struct rt_router *r, const char *n, struct rt_err *err)
{
	char h[128];
	struct rt_buf b;
	rt_buf_init(&b);
	snprintf(h, sizeof(h), "%s.count", n);
	int rc = rt_ctl_read(r, h, &b, err);
	rt_buf_free(&b);
	return rc;
}
static int op_read_param(struct rt_router *r, const char *n, struct rt_err *err)
{
	char h[128];
	struct rt_buf b;
	rt_buf_init(&b);
	snprintf(h, sizeof(h), "%s.config", n);
	int rc = rt_ctl_read_param(r, h, "x", &b, err);
	rt_buf_free(&b);
	return rc;
}
static int op_write(struct rt_router *r, const char *n, struct rt_err *err)
{
	char h[128];
	snprintf(h, sizeof(h), "%s.reset", n);
	return rt_ctl_write(r, h, "", err);
}
static int op_check(struct rt_router *r, const char *n, struct rt_err *err)
{
	char h[128];
	snprintf(h, sizeof(h), "%s.count", n);
	return rt_ctl_check(r, h, false, err);
}
static int op_checkw(struct rt_router *r, const char *n, struct rt_err *err)
{
	char h[128];
	snprintf(h, sizeof(h), "%s.reset", n);
	return rt_ctl_check(r, h, true, err);
}
static int op_swap(struct rt_router *r, const char *n, struct rt_err *err)
{
	return rt_ctl_swap(r, n, "Counter()", NULL, err);
}
static int op_reconf(struct rt_router *r, const char *n, struct rt_err *err)
{
	return rt_ctl_reconfigure(r, n, "", NULL, err);
}
static int op_remove(struct rt_router *r, const char *n, struct rt_err *err)
{
	return rt_ctl_remove(r, n, NULL, NULL, err);
}
static int op_remove_into(struct rt_router *r, const char *n, struct rt_err *err)
{
	return rt_ctl_remove(r, "c", n, NULL, err); /* its own c into the other's */
}
static int op_migrate(struct rt_router *r, const char *n, struct rt_err *err)
{
	return rt_ctl_migrate(r, n, "cpu", NULL, err);
}
static int op_placements(struct rt_router *r, const char *n, struct rt_err *err)
{
	struct rt_buf b;
	rt_buf_init(&b);
	int rc = rt_ctl_placements(r, n, false, &b, err);
	rt_buf_free(&b);
	return rc;
}
static int op_disconnect(struct rt_router *r, const char *n, struct rt_err *err)
{
	char spec[128];
	snprintf(spec, sizeof(spec), "%s -> c", n);
	return rt_ctl_disconnect(r, spec, NULL, err);
}

static const struct {
	const char *what;
	op_fn fn;
} ops[] = {
	{"read", op_read},	   {"read param", op_read_param}, {"write", op_write},
	{"checkread", op_check},   {"checkwrite", op_checkw},	  {"swap", op_swap},
	{"reconfigure", op_reconf}, {"remove", op_remove},	  {"remove into", op_remove_into},
	{"migrate", op_migrate},   {"placements", op_placements}, {"disconnect", op_disconnect},
};

static void expect_same_as_missing(struct rt_router *r, const char *name, const char *missing)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct rt_err e1, e2;
		rt_err_clear(&e1);
		rt_err_clear(&e2);
		int rc1 = ops[i].fn(r, name, &e1);
		int rc2 = ops[i].fn(r, missing, &e2);
		if (rc1 != -ENOENT)
			fail_msg("%s %s: rc %d (%s), expected -ENOENT", ops[i].what, name, rc1, e1.msg);
		assert_int_equal(rc2, -ENOENT);
		/* the same words, the name apart: nothing tells them apart */
		char want[600];
		snprintf(want, sizeof(want), "no element '%s'", name);
		if (strcmp(e1.msg, want))
			fail_msg("%s %s: '%s', expected '%s'", ops[i].what, name, e1.msg, want);
		snprintf(want, sizeof(want), "no element '%s'", missing);
		assert_string_equal(e2.msg, want);
	}
}

static void test_api_isolation(void **st)
{
	(void)st;
	struct rt_router *r = world();
	struct snap s0;
	snap(r, &s0);
	struct rt_ident was = rt_ctl_enter(r, id_of(r, "A"));
	/* B's elements by their internal names, by B's own names that A does
	 * not have, and the operator's */
	expect_same_as_missing(r, "B/c", "B/zz");
	expect_same_as_missing(r, "x", "zz");
	expect_same_as_missing(r, "op", "zz");
	expect_same_as_missing(r, "Idle@1", "zz");
	struct rt_err err;
	rt_err_clear(&err);
	/* text operations: A's text is parsed in A's namespace alone */
	int rc1 = rt_ctl_connect(r, "B/c -> Discard", NULL, &err);
	char m1[512];
	snprintf(m1, sizeof(m1), "%s", err.msg);
	rt_err_clear(&err);
	int rc2 = rt_ctl_connect(r, "B/zz -> Discard", NULL, &err);
	assert_true(rc1 < 0 && rc2 < 0);
	char m2[512];
	snprintf(m2, sizeof(m2), "%s", err.msg);
	char *p = strstr(m2, "B/zz");
	assert_non_null(p);
	memcpy(p, "B/c", 3), memmove(p + 3, p + 4, strlen(p + 4) + 1);
	assert_string_equal(m1, m2);
	rt_err_clear(&err);
	assert_true(rt_ctl_add(r, "y :: Counter; op -> y", NULL, &err) < 0);
	/* reading the router: only A's */
	assert_string_equal(tu_read(r, "list"), "3\nin\nc\nd\n");
	const char *cfg = tu_read(r, "config");
	assert_null(strstr(cfg, "B/"));
	assert_null(strstr(cfg, "op"));
	assert_non_null(strstr(cfg, "in :: Idle"));
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_write(r, "stop", "", &err), -ENOENT);
	assert_string_equal(err.msg, "no handler 'stop'");
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_profile(r, true, &err), -EPERM);
	struct rt_ctl_stat *v;
	rt_err_clear(&err);
	int n = rt_ctl_stats(r, &v, &err);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "c");
	assert_string_equal(v[1].name, "d");
	free(v);
	struct rt_ctl_prof *pv;
	n = rt_ctl_prof(r, &pv, NULL, &err);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++)
		assert_null(strchr(pv[i].name, '/'));
	free(pv);
	/* tenants: A sees itself only and changes nothing */
	struct rt_buf b;
	rt_buf_init(&b);
	rt_err_clear(&err);
	assert_int_equal(tn_list(r, &b, &err), 1);
	assert_null(strstr(b.p, "B "));
	rt_buf_free(&b);
	rt_buf_init(&b);
	rt_err_clear(&err);
	assert_int_equal(tn_show(r, "B", &b, &err), -ENOENT);
	assert_string_equal(err.msg, "no tenant 'B'");
	rt_err_clear(&err);
	assert_int_equal(tn_load(r, "B", "c :: Counter;", true, NULL, NULL, &err), -ENOENT);
	rt_err_clear(&err);
	assert_int_equal(tn_remove(r, "B", &err), -EPERM);
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "C", NULL, &err), -EPERM);
	rt_err_clear(&err);
	assert_int_equal(tn_set_token(r, "A", "aaaaaaaaaa", &err), -EPERM);
	rt_err_clear(&err);
	assert_int_equal(tn_map_uid(r, 12345, "operator", &err), -EPERM);
	rt_buf_free(&b);
	/* entering the operator from inside A keeps A */
	struct rt_ident in = rt_ctl_enter(r, RT_IDENT_OPERATOR);
	assert_int_equal(rt_ctl_ident(r).tenant, id_of(r, "A").tenant);
	rt_ctl_leave(r, in);
	rt_ctl_leave(r, was);
	same(r, &s0);
	tu_router_free(r);
}

/* A's own work goes on in its namespace and leaves B alone; its errors
 * speak of its own names. */
static void test_api_own_namespace(void **st)
{
	(void)st;
	struct rt_router *r = world();
	struct rt_ident was = rt_ctl_enter(r, id_of(r, "A"));
	long long bc = tu_read_int(r, "c.count"); /* A's c */
	assert_int_equal(bc, 0);
	rt_ctl_leave(r, was);
	tu_push1(r, "A/c", 0, tu_pkt(r, "xxxxxxxxxxxxxx", 14));
	was = rt_ctl_enter(r, id_of(r, "A"));
	assert_int_equal(tu_read_int(r, "c.count"), 1);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_swap(r, "c", "Counter()", NULL, &err), 0);
	assert_int_equal(tu_read_int(r, "c.count"), 1); /* state kept */
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_add(r, "c2 :: Counter; e :: Idle -> c2 -> Discard;", NULL, &err), 0);
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_swap(r, "c2", "Discard()", NULL, &err), -EINVAL);
	assert_null(strstr(err.msg, "A/")); /* its names, as it knows them */
	assert_non_null(strstr(err.msg, "'c2'"));
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_add(r, "c3 :: Counter; c3 -> Discard;", NULL, &err), -EINVAL);
	assert_null(strstr(err.msg, "A/"));
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_hotconfig(r, "only :: Idle -> Discard;", "<h>", NULL, &err), 0);
	assert_string_equal(tu_read(r, "list"), "2\nonly\nDiscard@2\n");
	rt_ctl_leave(r, was);
	/* B and the operator untouched */
	assert_int_equal(tu_read_int(r, "B/c.count"), 3);
	assert_int_equal(tu_read_int(r, "op.count"), 0);
	assert_non_null(rt_router_find(r, "A/only"));
	assert_null(rt_router_find(r, "A/c"));
	tu_router_free(r);
}

/* The operator does everything, on every tenant's elements. */
static void test_operator_can(void **st)
{
	(void)st;
	struct rt_router *r = world();
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tu_read_int(r, "B/c.count"), 3);
	assert_int_equal(rt_ctl_swap(r, "B/c", "Counter()", NULL, &err), 0);
	assert_int_equal(tu_read_int(r, "B/c.count"), 3);
	assert_int_equal(rt_ctl_write(r, "B/c.reset", "", &err), 0);
	assert_int_equal(tu_read_int(r, "B/c.count"), 0);
	assert_int_equal(rt_ctl_reconfigure(r, "A/c", "", NULL, &err), 0);
	assert_int_equal(rt_ctl_disconnect(r, "B/x -> Discard@2", NULL, &err), -ENOENT); /* not a connection */
	rt_err_clear(&err);
	assert_int_equal(tn_load(r, "B", "n :: Idle -> Discard;", false, NULL, NULL, &err), 0);
	assert_non_null(rt_router_find(r, "B/n"));
	assert_non_null(rt_router_find(r, "B/c")); /* added to, not replaced */
	assert_int_equal(atoi(tu_read(r, "list")), 3 + 3 + 6 + 2);
	/* the edge: the operator connects into a tenant, which then cannot be
	 * removed until that connection goes */
	assert_int_equal(tn_load(r, "A", "c :: Idle -> Discard;", true, NULL, NULL, &err), 0);
	assert_int_equal(rt_ctl_add(r, "A/in :: Counter -> A/d :: Discard; Idle -> edge :: Counter -> A/in;", NULL, &err), 0);
	rt_err_clear(&err);
	assert_true(tn_remove(r, "A", &err) < 0);
	assert_non_null(rt_router_find(r, "A/in"));
	assert_non_null(tn_by_name(r, "A"));
	/* and A reloading its own graph keeps the edge while `in` exists */
	struct rt_ident was = rt_ctl_enter(r, id_of(r, "A"));
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_hotconfig(r, "in :: Counter -> d :: Discard; q :: Idle -> Discard;", "<h>", NULL, &err), 0);
	rt_ctl_leave(r, was);
	assert_non_null(strstr(tu_read(r, "flatconfig"), "-> A/in"));
	tu_router_free(r);
}

static void test_tenant_lifecycle(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(OP_CFG, NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "9x", NULL, &err), -EINVAL);
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "operator", NULL, &err), -EINVAL);
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "A", "buffers=10", &err), -EINVAL);
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "A", "bogus=1", &err), -EINVAL);
	assert_string_equal(err.msg, "unknown quota 'bogus' (buffers, flows, held, cpu, lua, instr)");
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "A", "cpu=2G flows=1k held=100 lua=1M", &err), 0);
	const struct tn_quota *q = tn_quota(tn_by_name(r, "A"));
	assert_int_equal(q->cpu_hz, 2000000000ull);
	assert_int_equal(q->flow_entries, 1000);
	assert_int_equal(q->lua_mem, 1u << 20);
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "A", NULL, &err), -EEXIST);
	rt_err_clear(&err);
	assert_int_equal(tn_load(r, "A", "c :: Counter; Idle -> c -> Discard;", true, NULL, NULL, &err), 0);
	/* a parse error in the tenant's text: located in that text */
	rt_err_clear(&err);
	assert_true(tn_load(r, "A", "\n  c2 :: NoSuchClass;", false, "<t>", NULL, &err) < 0);
	assert_string_equal(err.loc.file, "<t>");
	assert_int_equal(err.loc.line, 2);
	assert_int_equal(rt_router_nelements(r), 3 + 3);
	/* nothing that reaches the server's files or devices */
	rt_err_clear(&err);
	assert_int_equal(tn_load(r, "A", "\nFromDump(/etc/shadow) -> Discard;", false, "<t>", NULL, &err), -EPERM);
	assert_string_equal(err.msg, "FromDump@4: class FromDump is the operator's (files, devices)");
	assert_int_equal(err.loc.line, 2);
	rt_err_clear(&err);
	assert_int_equal(tn_load(r, "A", "Idle -> IPPrint(OUTFILE /tmp/x) -> Discard;", false, "<t>", NULL, &err), -EPERM);
	assert_string_equal(err.msg, "IPPrint@5: OUTFILE is the operator's (server files)");
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_add(r, "Idle -> IPPrint(OUTFILE /dev/null) -> Discard;", NULL, &err), 0); /* the operator's */
	rt_err_clear(&err);
	assert_int_equal(tn_remove(r, "A", &err), 0);
	assert_int_equal(rt_router_nelements(r), 6);
	assert_null(tn_by_name(r, "A"));
	/* a new A is another tenant: a session of the old one is nobody now */
	assert_int_equal(tn_add(r, "A", NULL, &err), 0);
	assert_int_equal(tn_id(tn_by_name(r, "A")), 2);
	/* an operator element already in a namespace blocks the name */
	assert_int_equal(rt_ctl_add(r, "Z/k :: Idle -> Discard;", NULL, &err), 0);
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "Z", NULL, &err), -EEXIST);
	tu_router_free(r);
}

/* The edge: the operator tags a tenant's traffic; a tenant can tag only
 * as itself. */
static void test_tenant_tag(void **st)
{
	(void)st;
	struct rt_router *r = world();
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_add(r, "Idle -> t :: TenantTag(B) -> sink :: TestSink;", NULL, &err), 0);
	tu_push1(r, "t", 0, tu_pkt(r, "xxxxxxxxxxxxxx", 14));
	assert_int_equal(tu_sink_count(r, "sink"), 1);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "sink", 0))->tenant, tn_id(tn_by_name(r, "B")));
	assert_int_equal(tu_read_int(r, "t.count"), 1);
	rt_err_clear(&err);
	assert_true(rt_ctl_add(r, "Idle -> TenantTag(nosuch) -> Discard;", NULL, &err) < 0);
	struct rt_ident was = rt_ctl_enter(r, id_of(r, "A"));
	rt_err_clear(&err);
	assert_true(rt_ctl_add(r, "Idle -> TenantTag(B) -> Discard;", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "no tenant 'B'"));
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_add(r, "Idle -> TenantTag(A) -> Discard;", NULL, &err), 0);
	rt_ctl_leave(r, was);
	tu_router_free(r);
}

/* Each tenant's sources take packets from its own pool: A hoarding every
 * buffer of its pool leaves B's and the router's alone. */
static void test_pools(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(OP_CFG, NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "A", "buffers=256", &err), 0);
	assert_int_equal(tn_add(r, "B", "buffers=256", &err), 0);
	/* a buffer hog: a sink that keeps every packet */
	assert_int_equal(tn_load(r, "A", "InfiniteSource(LIMIT 5000, BURST 64) -> hog :: TestSink;", true, NULL, NULL, &err),
			 0);
	assert_int_equal(tn_load(r, "B", "InfiniteSource(LIMIT 100, BURST 10) -> c :: Counter -> Discard;", true, NULL,
				 NULL, &err), 0);
	struct el *ea = rt_router_find(r, "A/InfiniteSource@1");
	assert_non_null(ea);
	assert_ptr_equal(ea->pool, tn_pool(tn_by_name(r, "A")));
	assert_int_equal(ea->tenant, tn_id(tn_by_name(r, "A")));
	unsigned router_before = rte_mempool_in_use_count(rt_router_pool(r));
	tu_run_tasks(r, 2000);
	assert_int_equal(rte_mempool_in_use_count(tn_pool(tn_by_name(r, "A"))), 256); /* its whole quota */
	assert_int_equal(tu_sink_count(r, "A/hog"), 256);
	assert_int_equal(tu_read_int(r, "B/c.count"), 100); /* B unaffected */
	assert_int_equal(rte_mempool_in_use_count(tn_pool(tn_by_name(r, "B"))), 0);
	assert_int_equal(rte_mempool_in_use_count(rt_router_pool(r)), router_before);
	struct rt_buf b;
	rt_buf_init(&b);
	assert_int_equal(tn_show(r, "A", &b, &err), 0);
	assert_non_null(strstr(b.p, "buffers_in_use 256\n"));
	rt_buf_free(&b);
	tu_router_free(r);
}

/* A tenant over its CPU budget is throttled by the scheduler (at most one
 * run of its tasks per 1 ms window once the budget is spent); the other
 * tenant runs at full speed. */
static void test_cpu_budget(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(OP_CFG, NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "A", "cpu=1M", &err), 0); /* 1000 cycles per ms: less than one batch */
	assert_int_equal(tn_add(r, "B", NULL, &err), 0);
	assert_int_equal(tn_load(r, "A", "InfiniteSource(LIMIT -1, BURST 64) -> c :: Counter -> Discard;", true, NULL, NULL,
				 &err), 0);
	assert_int_equal(tn_load(r, "B", "InfiniteSource(LIMIT -1, BURST 64) -> c :: Counter -> Discard;", true, NULL, NULL,
				 &err), 0);
	uint64_t t0 = rt_now_ns();
	rt_wid = 0;
	while (rt_now_ns() - t0 < 50 * 1000000ull)
		for (int i = 0; i < r->plan->ntasks[0]; i++)
			r->plan->tasks[0][i]->e->cls->run(r->plan->tasks[0][i]);
	uint64_t ms = (rt_now_ns() - t0) / 1000000 + 2;
	long long a = tu_read_int(r, "A/c.count"), b = tu_read_int(r, "B/c.count");
	print_message("cpu budget: A %lld packets (at most %llu), B %lld in %llu ms\n", a, (unsigned long long)ms * 64, b,
		      (unsigned long long)ms - 2);
	assert_true(a > 0);
	assert_true((uint64_t)a <= ms * 64);
	assert_true(b > 4 * a);
	struct rt_buf out;
	rt_buf_init(&out);
	assert_int_equal(tn_show(r, "A", &out, &err), 0);
	assert_null(strstr(out.p, "cpu_throttled_runs 0\n"));
	assert_null(strstr(out.p, "cpu_cycles 0\n"));
	rt_buf_free(&out);
	rt_buf_init(&out);
	assert_int_equal(tn_show(r, "B", &out, &err), 0);
	assert_non_null(strstr(out.p, "cpu_throttled_runs 0\n"));
	rt_buf_free(&out);
	/* lifting the quota lets it run from the next window */
	assert_int_equal(tn_set_quota(r, "A", "cpu=0", &err), 0);
	long long a0 = tu_read_int(r, "A/c.count");
	t0 = rt_now_ns();
	while (rt_now_ns() - t0 < 5 * 1000000ull)
		for (int i = 0; i < r->plan->ntasks[0]; i++)
			r->plan->tasks[0][i]->e->cls->run(r->plan->tasks[0][i]);
	assert_true(tu_read_int(r, "A/c.count") - a0 > 7 * 64);
	tu_router_free(r);
}

/* ---- audit ------------------------------------------------------------------------- */

static void test_audit(void **st)
{
	(void)st;
	struct rt_router *r = world();
	char file[] = "/tmp/mbauditXXXXXX";
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	close(fd);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_audit_file(r, file, &err), 0);
	uint64_t n0 = tn_audit_count(r);
	struct rt_ident was = rt_ctl_enter(r, id_of(r, "A"));
	rt_err_clear(&err);
	assert_true(rt_ctl_swap(r, "B/c", "Counter()", NULL, &err) < 0);
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_swap(r, "c", "Counter()", NULL, &err), 0);
	/* A reads its own records only */
	struct rt_buf b;
	rt_buf_init(&b);
	rt_err_clear(&err);
	assert_int_equal(tn_audit_read(r, 0, &b, &err), 2); /* its two swaps */
	assert_null(strstr(b.p, " operator "));
	rt_buf_free(&b);
	rt_ctl_leave(r, was);
	assert_int_equal(tn_audit_count(r), n0 + 3);
	rt_buf_init(&b);
	assert_int_equal(tn_audit_read(r, 3, &b, &err), 3);
	/* who, what, on what, result; the time first */
	assert_non_null(strstr(b.p, "Z A swap B/c -> error -2: no element 'B/c'\n"));
	assert_non_null(strstr(b.p, "Z A swap c -> ok\n"));
	assert_non_null(strstr(b.p, "Z A audit - -> ok\n"));
	assert_true(b.p[4] == '-' && b.p[10] == 'T');
	rt_buf_free(&b);
	FILE *f = fopen(file, "r");
	char line[512];
	int lines = 0;
	bool seen = false;
	while (fgets(line, sizeof(line), f)) {
		lines++;
		seen |= strstr(line, "A swap B/c -> error") != NULL;
	}
	fclose(f);
	assert_true(seen);
	assert_int_equal(lines, 5); /* setting the file, the three, the operator's audit read */
	unlink(file);
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_isolation), cmocka_unit_test(test_api_own_namespace),
		cmocka_unit_test(test_operator_can),  cmocka_unit_test(test_tenant_lifecycle),
		cmocka_unit_test(test_pools),	      cmocka_unit_test(test_cpu_budget),
		cmocka_unit_test(test_tenant_tag),
		cmocka_unit_test(test_audit),
	};
	return cmocka_run_group_tests_name("tenants", tests, NULL, NULL);
}
