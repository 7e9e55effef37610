/*
 * tn.c - tenants: the registry (names, ids, quotas, packet pools), their
 * namespaces in the running configuration, and who may do what to them.
 * Identities of control-socket clients and the audit trail are in
 * tn_ident.c.  Bounded: each operation is a pass over the tenants (at
 * most TN_MAX) and, for loads, one live change (live.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_mbuf.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "router_int.h"
#include "tenant/tn_int.h"

static struct tn_set *set_of(struct rt_router *r)
{
	if (!r->tenants)
		r->tenants = calloc(1, sizeof(*r->tenants));
	return r->tenants;
}

const struct tn *tn_by_id(const struct rt_router *r, uint32_t id)
{
	const struct tn_set *s = r->tenants;
	for (int i = 0; s && i < s->n; i++)
		if (s->v[i]->id == id)
			return s->v[i];
	return NULL;
}

const struct tn *tn_by_name(const struct rt_router *r, const char *name)
{
	const struct tn_set *s = r->tenants;
	for (int i = 0; s && name && i < s->n; i++)
		if (!strcmp(s->v[i]->name, name))
			return s->v[i];
	return NULL;
}

const struct tn *tn_owner(const struct rt_router *r, const char *ename)
{
	const char *slash = strchr(ename, '/');
	const struct tn_set *s = r->tenants;
	for (int i = 0; s && slash && i < s->n; i++)
		if ((size_t)(slash - ename) == strlen(s->v[i]->name) && !strncmp(ename, s->v[i]->name, (size_t)(slash - ename)))
			return s->v[i];
	return NULL;
}

uint32_t tn_id(const struct tn *t) { return t->id; }
const char *tn_name(const struct tn *t) { return t->name; }
const struct tn_quota *tn_quota(const struct tn *t) { return &t->q; }
struct rte_mempool *tn_pool(const struct tn *t) { return t->pool; }

const char *tn_ident_name(const struct rt_router *r, struct rt_ident id)
{
	if (id.tenant == RT_TENANT_OPERATOR)
		return "operator";
	const struct tn *t = tn_by_id(r, id.tenant);
	return t ? t->name : "nobody";
}

/* ---- quotas ---------------------------------------------------------------- */

/* "4096", "8M", "2G": a count with an optional k/M/G multiplier (x1024 for
 * byte sizes, x1000 otherwise). */
static int parse_num(const char *key, const char *v, bool bytes, uint64_t *out, struct rt_err *err)
{
	char *end;
	double d = strtod(v, &end);
	double k = bytes ? 1024 : 1000;
	if (*end == 'k' || *end == 'K')
		d *= k, end++;
	else if (*end == 'M')
		d *= k * k, end++;
	else if (*end == 'G')
		d *= k * k * k, end++;
	if (bytes && (*end == 'B' || *end == 'b'))
		end++;
	else if (!bytes && !strcmp(end, "Hz"))
		end += 2;
	if (end == v || *end || d < 0 || d > 1.8e19)
		return rt_errf(err, NULL, -EINVAL, "quota %s: '%s' is not a number", key, v);
	*out = (uint64_t)d;
	return 0;
}

int tn_quota_parse(const char *text, struct tn_quota *q, struct rt_err *err)
{
	char *copy = strdup(text ? text : ""), *save = NULL;
	int rc = 0;
	for (char *w = strtok_r(copy, " \t,", &save); w && rc == 0; w = strtok_r(NULL, " \t,", &save)) {
		char *eq = strchr(w, '=');
		if (!eq) {
			rc = rt_errf(err, NULL, -EINVAL, "quota '%s': expected KEY=VALUE", w);
			break;
		}
		*eq = 0;
		uint64_t v = 0;
		static const char *const keys[] = {"buffers", "flows", "held", "cpu", "lua", "instr"};
		size_t k = 0;
		while (k < RT_ARRAY_SIZE(keys) && strcmp(w, keys[k]))
			k++;
		if (k == RT_ARRAY_SIZE(keys)) {
			rc = rt_errf(err, NULL, -EINVAL, "unknown quota '%s' (buffers, flows, held, cpu, lua, instr)", w);
			break;
		}
		if ((rc = parse_num(w, eq + 1, k == 4, &v, err)) < 0)
			break;
		if (k < 3 && v > UINT32_MAX) {
			rc = rt_errf(err, NULL, -ERANGE, "quota %s: %s is too large", w, eq + 1);
			break;
		}
		switch (k) {
		case 0: q->pkt_buffers = (uint32_t)v; break;
		case 1: q->flow_entries = (uint32_t)v; break;
		case 2: q->held_pkts = (uint32_t)v; break;
		case 3: q->cpu_hz = v; break;
		case 4: q->lua_mem = v; break;
		default: q->lua_instr = v; break;
		}
	}
	free(copy);
	return rc;
}

/* ---- namespaces ---------------------------------------------------------------- */

static bool owned_by(const char *ename, const struct tn *t)
{
	size_t n = strlen(t->name);
	return !strncmp(ename, t->name, n) && ename[n] == '/';
}

/* The tenant's declarations and inner connections of the flat graph, in
 * its own names (a view sharing the strings but the names). */
static void own_view(const struct lang_graph *fg, const struct tn *t, struct lang_graph *v, int *map)
{
	size_t n = strlen(t->name) + 1;
	memset(v, 0, sizeof(*v));
	v->decls = calloc((size_t)fg->ndecls + 1, sizeof(*v->decls));
	v->conns = calloc((size_t)fg->nconns + 1, sizeof(*v->conns));
	for (int i = 0; i < fg->ndecls; i++) {
		map[i] = -1;
		if (owned_by(fg->decls[i].name, t)) {
			map[i] = v->ndecls;
			v->decls[v->ndecls] = fg->decls[i];
			v->decls[v->ndecls++].name = fg->decls[i].name + n;
		}
	}
	for (int k = 0; k < fg->nconns; k++) {
		const struct lang_conn *c = &fg->conns[k];
		if (map[c->from] >= 0 && map[c->to] >= 0) {
			v->conns[v->nconns] = *c;
			v->conns[v->nconns].from = map[c->from];
			v->conns[v->nconns++].to = map[c->to];
		}
	}
}

void tn_own_config(const struct rt_router *r, uint32_t id, struct rt_buf *out)
{
	const struct tn *t = tn_by_id(r, id);
	if (!t)
		return;
	struct lang_graph v;
	int *map = calloc((size_t)r->flat.ndecls + 1, sizeof(int));
	own_view(&r->flat, t, &v, map);
	lang_unparse(&v, out);
	free(map);
	free(v.decls);
	free(v.conns);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int find_decl(const struct lang_graph *g, int from, const char *name)
{
	for (int i = from; i < g->ndecls; i++)
		if (!strcmp(g->decls[i].name, name))
			return i;
	return -1;
}

/* What a tenant's configuration may not use: elements that reach the
 * server's files, devices or the router itself, and file arguments of
 * any class (FIBLookup FILE, IPPrint OUTFILE, ...). */
static int tenant_may_declare(const struct lang_decl *d, struct rt_err *err)
{
	static const char *const classes[] = {"DriverManager", "FromDPDKDevice", "ToDPDKDevice", "FromDump", "ToDump",
					      "FromIPSummaryDump", "ToIPSummaryDump", NULL};
	for (int i = 0; classes[i]; i++)
		if (!strcmp(d->cls, classes[i]))
			return rt_errf(err, &d->loc, -EPERM, "%s: class %s is the operator's (files, devices)", d->name,
				       d->cls);
	char **argv;
	int argc = el_argv_split(d->config ? d->config : "", &argv), rc = 0;
	for (int i = 0; i < argc && rc == 0; i++) {
		const char *v;
		int n = el_arg_keyword(argv[i], &v);
		if ((n == 4 && !strncmp(argv[i], "FILE", 4)) || (n == 7 && !strncmp(argv[i], "OUTFILE", 7)) ||
		    (n == 8 && !strncmp(argv[i], "FILENAME", 8)))
			rc = rt_errf(err, &d->loc, -EPERM, "%s: %.*s is the operator's (server files)", d->name, n, argv[i]);
	}
	el_argv_free(argc, argv);
	return rc;
}

/* Apply `text` to tenant t's namespace: parse it (after the tenant's own
 * graph unless replace) in the tenant's names, so that it can only name
 * its own elements; then one live change with everybody else's graph
 * untouched.  Connections between the tenant and the operator's elements
 * (the edge) are kept while both ends still exist. */
static int apply(struct rt_router *r, const struct tn *t, const char *text, bool replace, const char *file,
		 struct rt_buf *warn, struct rt_err *err)
{
	const struct lang_graph *fg = &r->flat;
	struct rt_buf src;
	rt_buf_init(&src);
	if (!replace)
		tn_own_config(r, t->id, &src);
	int offset = count_lines(src.p ? src.p : "");
	rt_buf_puts(&src, text);
	rt_buf_puts(&src, "\n");
	struct lang_graph lg;
	int rc = lang_parse(src.p, file ? file : "<tenant>", NULL, rt_graph_is_class, NULL, &lg, err);
	rt_buf_free(&src);
	if (rc < 0) {
		if (err->loc.file && err->loc.line > offset)
			err->loc.line -= offset;
		else
			err->loc.file = NULL; /* in its running graph */
		return rc;
	}
	for (int i = 0; i < lg.ndecls; i++)
		if ((rc = tenant_may_declare(&lg.decls[i], err)) < 0) {
			if (err->loc.file && err->loc.line > offset)
				err->loc.line -= offset;
			lang_graph_free(&lg);
			return rc;
		}
	struct lang_graph v = {0};
	int total = fg->ndecls + lg.ndecls;
	v.decls = calloc((size_t)total + 1, sizeof(*v.decls));
	v.conns = calloc((size_t)fg->nconns + (size_t)lg.nconns + 1, sizeof(*v.conns));
	int *map = calloc((size_t)fg->ndecls + 1, sizeof(int));
	char **names = calloc((size_t)lg.ndecls + 1, sizeof(char *));
	for (int i = 0; i < fg->ndecls; i++) {
		map[i] = -1;
		if (!owned_by(fg->decls[i].name, t)) {
			map[i] = v.ndecls;
			v.decls[v.ndecls++] = fg->decls[i];
		}
	}
	int base = v.ndecls;
	for (int i = 0; i < lg.ndecls; i++) {
		if (asprintf(&names[i], "%s/%s", t->name, lg.decls[i].name) < 0)
			abort(); /* control plane: out of memory */
		v.decls[v.ndecls] = lg.decls[i];
		v.decls[v.ndecls++].name = names[i];
	}
	for (int k = 0; k < fg->nconns; k++) {
		struct lang_conn c = fg->conns[k];
		bool fin = map[c.from] < 0, tin = map[c.to] < 0; /* an end in the tenant */
		if (fin && tin)
			continue; /* its inner connections are the new text's */
		c.from = fin ? find_decl(&v, base, fg->decls[c.from].name) : map[c.from];
		c.to = tin ? find_decl(&v, base, fg->decls[c.to].name) : map[c.to];
		if (c.from >= 0 && c.to >= 0)
			v.conns[v.nconns++] = c;
	}
	for (int k = 0; k < lg.nconns; k++) {
		struct lang_conn c = lg.conns[k];
		c.from += base;
		c.to += base;
		v.conns[v.nconns++] = c;
	}
	struct rt_buf all;
	rt_buf_init(&all);
	lang_unparse(&v, &all);
	rc = rt_live_apply(r, all.p ? all.p : "", file ? file : "<tenant>", NULL, NULL, warn, err);
	if (rc < 0)
		err->loc.file = NULL; /* a location in the combined text would mislead */
	rt_buf_free(&all);
	for (int i = 0; i < lg.ndecls; i++)
		free(names[i]);
	free(names);
	free(map);
	free(v.decls);
	free(v.conns);
	lang_graph_free(&lg);
	return rc;
}

/* ---- operations ---------------------------------------------------------------- */

static int operator_only(struct rt_router *r, const char *what, struct rt_err *err)
{
	if (rt_ident_is_operator(rt_ctl_ident(r)))
		return 0;
	return rt_errf(err, NULL, -EPERM, "%s: permission denied (operator only)", what);
}

/* The tenant the caller may act on: itself, or any for the operator;
 * others are "no tenant" as if they did not exist. */
static const struct tn *visible_tenant(struct rt_router *r, const char *name, struct rt_err *err)
{
	struct rt_ident id = rt_ctl_ident(r);
	const struct tn *t = name ? tn_by_name(r, name) : tn_by_id(r, id.tenant);
	if (!name && rt_ident_is_operator(id)) {
		rt_errf(err, NULL, -EINVAL, "which tenant? (the operator names one)");
		return NULL;
	}
	if (!t || (!rt_ident_is_operator(id) && t->id != id.tenant)) {
		rt_errf(err, NULL, -ENOENT, "no tenant '%s'", name ? name : "?");
		return NULL;
	}
	return t;
}

static bool valid_name(const char *n)
{
	if (!n || !isalpha((unsigned char)n[0]) || strlen(n) >= TN_NAME_MAX)
		return false;
	for (const char *p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return false;
	return strcmp(n, "operator") && strcmp(n, "nobody");
}

int tn_add(struct rt_router *r, const char *name, const char *quota, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "tenant add", name, err, tn_add(r, name, quota, err));
	if (operator_only(r, "tenant add", err) < 0)
		return err->code;
	if (!valid_name(name))
		return rt_errf(err, NULL, -EINVAL, "bad tenant name '%s' (a letter, then letters, digits, '_', '-'; "
			       "not operator or nobody)", name ? name : "");
	struct tn_set *s = set_of(r);
	if (tn_by_name(r, name))
		return rt_errf(err, NULL, -EEXIST, "tenant '%s' exists", name);
	if (s->n == TN_MAX)
		return rt_errf(err, NULL, -ENOSPC, "at most %d tenants", TN_MAX);
	size_t nl = strlen(name);
	for (int i = 0; i < r->g.nels; i++)
		if (!strncmp(r->g.els[i]->name, name, nl) && r->g.els[i]->name[nl] == '/')
			return rt_errf(err, NULL, -EEXIST, "tenant '%s': element '%s' is already in that namespace", name,
				       r->g.els[i]->name);
	struct tn_quota q = {.pkt_buffers = 4095, .lua_mem = (uint64_t)8 << 20, .lua_instr = 10000000};
	if (tn_quota_parse(quota, &q, err) < 0)
		return err->code;
	if (q.pkt_buffers < 64)
		return rt_errf(err, NULL, -EINVAL, "quota buffers: at least 64 (one batch)");
	struct tn *t = calloc(1, sizeof(*t));
	t->id = ++s->last_id;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->q = q;
	char pname[RTE_MEMPOOL_NAMESIZE];
	snprintf(pname, sizeof(pname), "mbtn%p_%u", (void *)r, t->id);
	if (!(t->pool = rt_pool_create(pname, q.pkt_buffers, err))) {
		free(t);
		return rt_errf(err, NULL, -ENOMEM, "tenant '%s': cannot create a pool of %u buffers", name, q.pkt_buffers);
	}
	if (!(t->cpu = rte_zmalloc("tn_cpu", sizeof(*t->cpu), RTE_CACHE_LINE_SIZE))) {
		rte_mempool_free(t->pool);
		free(t);
		return rt_errf(err, NULL, -ENOMEM, "tenant '%s': out of memory", name);
	}
	if (tn_res_new(t) < 0) {
		rte_mempool_free(t->pool);
		rte_free(t->cpu);
		free(t);
		return rt_errf(err, NULL, -ENOMEM, "tenant '%s': out of memory", name);
	}
	tn_cpu_set_budget(t);
	tn_res_set_limits(r, t);
	s->v[s->n++] = t;
	return 0;
}

int tn_remove(struct rt_router *r, const char *name, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "tenant remove", name, err, tn_remove(r, name, err));
	if (operator_only(r, "tenant remove", err) < 0)
		return err->code;
	struct tn *t = (struct tn *)tn_by_name(r, name);
	if (!t)
		return rt_errf(err, NULL, -ENOENT, "no tenant '%s'", name ? name : "");
	int rc = apply(r, t, "", true, "<tenant remove>", NULL, err);
	if (rc < 0) {
		rt_err_prefix(err, "tenant remove");
		return rc;
	}
	struct tn_set *s = r->tenants;
	for (int i = 0; i < s->n; i++)
		if (s->v[i] == t) {
			memmove(&s->v[i], &s->v[i + 1], sizeof(s->v[0]) * (size_t)(s->n - i - 1));
			s->n--;
			break;
		}
	for (int i = 0; i < s->nuids;)
		if (s->uids[i].tenant == t->id)
			s->uids[i] = s->uids[--s->nuids];
		else
			i++;
	/* its packets may still sit in an operator's queue: the pool goes with
	 * the router */
	t->next_retired = s->retired;
	s->retired = t;
	return 0;
}

int tn_load(struct rt_router *r, const char *name, const char *text, bool replace, const char *file,
	    struct rt_buf *warn, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, replace ? "tenant load" : "tenant add-to", name, err,
			  tn_load(r, name, text, replace, file, warn, err));
	const struct tn *t = visible_tenant(r, name, err);
	if (!t)
		return err->code;
	return apply(r, t, text ? text : "", replace, file, warn, err);
}

int tn_nelements(const struct rt_router *r, const struct tn *t)
{
	int n = 0;
	for (int i = 0; i < r->g.nels; i++)
		n += owned_by(r->g.els[i]->name, t);
	return n;
}

int tn_list(struct rt_router *r, struct rt_buf *out, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "tenant list", NULL, err, tn_list(r, out, err));
	struct rt_ident id = rt_ctl_ident(r);
	int shown = 0;
	rt_buf_printf(out, "%-16s %4s %8s %16s %14s %10s\n", "TENANT", "ID", "ELEMENTS", "BUFFERS", "CPU_CYCLES",
		      "THROTTLED");
	for (int i = 0; r->tenants && i < r->tenants->n; i++) {
		const struct tn *t = r->tenants->v[i];
		if (!rt_ident_is_operator(id) && t->id != id.tenant)
			continue;
		char b[40];
		snprintf(b, sizeof(b), "%u/%u", rte_mempool_in_use_count(t->pool), t->q.pkt_buffers);
		uint64_t cycles, throttled;
		tn_cpu_usage(t, &cycles, &throttled);
		rt_buf_printf(out, "%-16s %4u %8d %16s %14llu %10llu\n", t->name, t->id, tn_nelements(r, t), b,
			      (unsigned long long)cycles, (unsigned long long)throttled);
		shown++;
	}
	return shown;
}

int tn_show(struct rt_router *r, const char *name, struct rt_buf *out, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "tenant show", name, err, tn_show(r, name, out, err));
	const struct tn *t = visible_tenant(r, name, err);
	if (!t)
		return err->code;
	const struct tn_set *s = r->tenants;
	rt_buf_printf(out, "name %s\nid %u\nelements %d\n", t->name, t->id, tn_nelements(r, t));
	rt_buf_printf(out, "buffers_quota %u\nbuffers_in_use %u\nbuffers_free %u\n", t->q.pkt_buffers,
		      rte_mempool_in_use_count(t->pool), rte_mempool_avail_count(t->pool));
	rt_buf_printf(out, "flows_quota %u\nheld_quota %u\ncpu_quota_hz %llu\nlua_mem_quota %llu\nlua_instr_quota %llu\n",
		      t->q.flow_entries, t->q.held_pkts, (unsigned long long)t->q.cpu_hz,
		      (unsigned long long)t->q.lua_mem, (unsigned long long)t->q.lua_instr);
	struct tn_usage u;
	tn_usage_of(r, t, &u);
	rt_buf_printf(out, "cpu_cycles %llu\ncpu_throttled_runs %llu\n", (unsigned long long)u.cpu_cycles,
		      (unsigned long long)u.cpu_throttled);
	rt_buf_printf(out, "flows_in_use %u\nflows_refused %llu\nheld_in_use %u\nheld_refused %llu\n", u.flows,
		      (unsigned long long)u.flow_drops, u.held, (unsigned long long)u.held_drops);
	rt_buf_printf(out, "token %s\n", t->token ? "set" : "none");
	for (int i = 0; i < s->nuids; i++)
		if (s->uids[i].tenant == t->id)
			rt_buf_printf(out, "uid %u\n", (unsigned)s->uids[i].uid);
	return 0;
}

int tn_set_quota(struct rt_router *r, const char *name, const char *quota, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "tenant quota", name, err, tn_set_quota(r, name, quota, err));
	if (operator_only(r, "tenant quota", err) < 0)
		return err->code;
	struct tn *t = (struct tn *)tn_by_name(r, name);
	if (!t)
		return rt_errf(err, NULL, -ENOENT, "no tenant '%s'", name ? name : "");
	struct tn_quota q = t->q;
	if (tn_quota_parse(quota, &q, err) < 0)
		return err->code;
	if (q.pkt_buffers != t->q.pkt_buffers)
		return rt_errf(err, NULL, -EBUSY, "quota buffers: fixed when the tenant was added (%u)", t->q.pkt_buffers);
	t->q = q;
	tn_cpu_set_budget(t); /* from the workers' next window */
	tn_res_set_limits(r, t); /* from the next insert or hold */
	return 0;
}

static void free_tn(struct tn *t)
{
	rte_mempool_free(t->pool);
	rte_free(t->cpu);
	tn_res_free(t);
	free(t->token);
	free(t);
}

void tn_set_free(struct rt_router *r)
{
	struct tn_set *s = r->tenants;
	if (!s)
		return;
	for (int i = 0; i < s->n; i++)
		free_tn(s->v[i]);
	while (s->retired) {
		struct tn *t = s->retired;
		s->retired = t->next_retired;
		free_tn(t);
	}
	tn_audit_close(s);
	free(s->op_token);
	free(s);
	r->tenants = NULL;
}
