/*
 * graph.c - from a parsed configuration to a checked graph of element
 * instances, and from a graph to a compiled plan (ARCHITECTURE.md,
 * decision 4): nodes with resolved next-hop pointers and per-worker task
 * lists.  Control thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_malloc.h>

#include "router_int.h"
#include "classify/cls_chain.h"
#include "flow/flow.h"
#include "tenant/tn.h"

void rt_graph_free(struct rt_graph *g)
{
	for (int i = 0; i < g->nels; i++)
		el_free(g->els[i]);
	free(g->els);
	free(g->conns);
	memset(g, 0, sizeof(*g));
}

static const char *plural(int n, const char *word, char *buf, size_t len)
{
	snprintf(buf, len, "%d %s%s", n, word, n == 1 ? "" : "s");
	return buf;
}

/* Decide each element's port counts (into nin[], nout[]) and check the
 * hookup: every port in range, every port used, push outputs connected
 * once.  Elements are not modified, so a live element can be checked
 * against a new configuration. */
static int check_ports(const struct rt_graph *g, int *nin, int *nout, struct rt_err *err)
{
	char b1[48];
	for (int i = 0; i < g->nels; i++) {
		const struct el *e = g->els[i];
		int ilo, ihi, olo, ohi;
		bool out_eq;
		el_ports_limits(e->cls, &ilo, &ihi, &olo, &ohi, &out_eq);
		if (e->nin_cfg >= 0)
			ilo = ihi = e->nin_cfg;
		if (e->nout_cfg >= 0)
			olo = ohi = e->nout_cfg;
		int maxin = -1, maxout = -1;
		for (int k = 0; k < g->nconns; k++) {
			const struct rt_conn *c = &g->conns[k];
			if (c->to == i) {
				if (c->to_port >= ihi && ihi != INT32_MAX)
					return rt_errf(err, &c->loc, -ERANGE, "port %d out of range for '%s' (%s has %s)",
						       c->to_port, e->name, e->cls->name, plural(ihi, "input", b1, sizeof(b1)));
				maxin = RT_MAX(maxin, c->to_port);
			}
			if (c->from == i && !out_eq) {
				if (c->from_port >= ohi && ohi != INT32_MAX)
					return rt_errf(err, &c->loc, -ERANGE, "port %d out of range for '%s' (%s has %s)",
						       c->from_port, e->name, e->cls->name, plural(ohi, "output", b1, sizeof(b1)));
				maxout = RT_MAX(maxout, c->from_port);
			}
		}
		nin[i] = RT_MAX(maxin + 1, ilo);
		if (out_eq) {
			nout[i] = nin[i];
			for (int k = 0; k < g->nconns; k++)
				if (g->conns[k].from == i && g->conns[k].from_port >= nout[i])
					return rt_errf(err, &g->conns[k].loc, -ERANGE, "port %d out of range for '%s' (%s has %s)",
						       g->conns[k].from_port, e->name, e->cls->name,
						       plural(nout[i], "output", b1, sizeof(b1)));
		} else {
			nout[i] = RT_MAX(maxout + 1, olo);
		}
		/* every port used; outputs exactly once */
		for (int p = 0; p < nin[i]; p++) {
			bool used = false;
			for (int k = 0; k < g->nconns && !used; k++)
				used = g->conns[k].to == i && g->conns[k].to_port == p;
			if (!used)
				return rt_errf(err, &e->loc, -EINVAL, "'%s' :: %s: input %d unused", e->name, e->cls->name, p);
		}
		for (int p = 0; p < nout[i]; p++) {
			int uses = 0, last = -1;
			for (int k = 0; k < g->nconns; k++)
				if (g->conns[k].from == i && g->conns[k].from_port == p)
					uses++, last = k;
			if (!uses)
				return rt_errf(err, &e->loc, -EINVAL, "'%s' :: %s: output %d unused", e->name, e->cls->name, p);
			if (uses > 1)
				return rt_errf(err, &g->conns[last].loc, -EINVAL,
					       "'%s' output %d connected more than once (use a Tee to copy packets)", e->name, p);
		}
		if (nin[i] > 0 && !e->cls->push)
			return rt_errf(err, &e->loc, -EINVAL, "'%s' :: %s: class has no push input", e->name, e->cls->name);
		char why[160];
		if (el_ports_check(e->cls, nin[i], nout[i], why, sizeof(why)) < 0)
			return rt_errf(err, &e->loc, -EINVAL, "'%s': %s", e->name, why);
	}
	return 0;
}

struct el *el_input_peer(const struct el *e, int port, int *from_port)
{
	const struct rt_graph *g = e->graph;
	for (int k = 0; g && k < g->nconns; k++)
		if (g->els[g->conns[k].to] == e && g->conns[k].to_port == port) {
			if (from_port)
				*from_port = g->conns[k].from_port;
			return g->els[g->conns[k].from];
		}
	return NULL;
}

struct el *el_output_peer(const struct el *e, int port, int *to_port)
{
	const struct rt_graph *g = e->graph;
	for (int k = 0; g && k < g->nconns; k++)
		if (g->els[g->conns[k].from] == e && g->conns[k].from_port == port) {
			if (to_port)
				*to_port = g->conns[k].to_port;
			return g->els[g->conns[k].to];
		}
	return NULL;
}

static bool is_class_cb(const char *name, void *ctx)
{
	(void)ctx;
	return el_class_find(name) != NULL;
}

lang_is_class_fn rt_graph_is_class = is_class_cb;

static int check_requires(const struct lang_graph *lg, struct rt_err *err)
{
	for (int i = 0; i < lg->nreqs; i++) {
		bool ok = false;
		for (int k = 0; rt_router_packages[k] && !ok; k++)
			ok = !strcmp(lg->reqs[i].what, rt_router_packages[k]);
		if (!ok)
			return rt_errf(err, &lg->reqs[i].loc, -ENOENT, "requirement '%s' not available", lg->reqs[i].what);
	}
	return 0;
}

/* An element of `old` that a new declaration may keep: same name, class
 * and configuration string. */
static struct el *reusable(const struct rt_graph *old, const struct lang_decl *d)
{
	for (int i = 0; old && i < old->nels; i++) {
		struct el *e = old->els[i];
		if (!strcmp(e->name, d->name) && !strcmp(e->cls->name, d->cls) && !strcmp(e->config, d->config))
			return e;
	}
	return NULL;
}

static void free_new(struct rt_graph *g, const bool *is_new)
{
	for (int i = 0; i < g->nels; i++)
		if (is_new[i])
			el_free(g->els[i]);
	free(g->els);
	free(g->conns);
	memset(g, 0, sizeof(*g));
}

int rt_graph_build_from(struct rt_router *r, const struct lang_graph *lg, const struct rt_graph *old,
			struct rt_graph *g, bool *is_new, struct rt_err *err)
{
	memset(g, 0, sizeof(*g));
	if (check_requires(lg, err) < 0)
		return err->code;
	int n = lg->ndecls;
	g->els = calloc((size_t)n + 1, sizeof(*g->els));
	g->conns = calloc((size_t)lg->nconns + 1, sizeof(*g->conns));
	int *nin = calloc((size_t)n + 1, sizeof(int)), *nout = calloc((size_t)n + 1, sizeof(int));
	for (int i = 0; i < n; i++) {
		const struct lang_decl *d = &lg->decls[i];
		const struct el_class *c = el_class_find(d->cls);
		if (!c) {
			rt_errf(err, &d->loc, -ENOENT, "unknown element class '%s'", d->cls);
			goto fail;
		}
		struct el *e = reusable(old, d);
		is_new[i] = !e;
		if (!e && !(e = el_new(r, c, d->name, d->config, &d->loc, err)))
			goto fail;
		g->els[g->nels++] = e;
	}
	for (int i = 0; i < lg->nconns; i++) {
		const struct lang_conn *c = &lg->conns[i];
		g->conns[i] = (struct rt_conn){c->from, c->from_port, c->to, c->to_port, c->loc};
	}
	g->nconns = lg->nconns;
	if (check_ports(g, nin, nout, err) < 0)
		goto fail;
	/* a kept element whose port counts change is replaced, not kept */
	for (int i = 0; i < n; i++)
		if (!is_new[i] && (g->els[i]->nin != nin[i] || g->els[i]->nout != nout[i])) {
			const struct lang_decl *d = &lg->decls[i];
			struct el *e = el_new(r, g->els[i]->cls, d->name, d->config, &d->loc, err);
			if (!e)
				goto fail;
			g->els[i] = e;
			is_new[i] = true;
		}
	for (int i = 0; i < n; i++)
		if (is_new[i]) {
			g->els[i]->nin = nin[i];
			g->els[i]->nout = nout[i];
			g->els[i]->graph = g;
			g->els[i]->index = i;
		}
	for (int i = 0; i < n; i++)
		if (is_new[i] && el_init(g->els[i], err) < 0)
			goto fail;
	free(nin);
	free(nout);
	return 0;
fail:
	free(nin);
	free(nout);
	free_new(g, is_new);
	return err->code ? err->code : -EINVAL;
}

int rt_graph_build(struct rt_router *r, const struct lang_graph *lg, struct rt_graph *g, struct rt_err *err)
{
	bool *is_new = calloc((size_t)lg->ndecls + 1, sizeof(bool));
	int rc = rt_graph_build_from(r, lg, NULL, g, is_new, err);
	free(is_new);
	return rc;
}

/* ---- plans ---------------------------------------------------------------- */

static void drop_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)n, (void)port;
	rt_batch_free(b);
}

static struct el_node *node_new(struct el *e, int nout)
{
	struct el_node *n = rte_zmalloc("el_node", sizeof(*n) + sizeof(struct el_hop) * (size_t)RT_MAX(nout, 1),
					RTE_CACHE_LINE_SIZE);
	if (n) {
		n->e = e;
		n->state = e ? e->state : NULL;
		n->nout = nout;
	}
	return n;
}

void rt_plan_free(struct rt_plan *p)
{
	if (!p)
		return;
	tn_cpu_plan_free(p);
	rt_prof_plan_free(p);
	cls_chain_free(p);
	flow_plan_free(p->nodes, p->nnodes);
	for (int i = 0; i < p->nnodes; i++)
		rte_free(p->nodes[i]);
	rte_free(p->drop);
	for (int w = 0; w < RT_MAX_WORKERS; w++)
		free(p->tasks[w]);
	free(p->nodes);
	free(p);
}

struct rt_plan *rt_plan_compile(struct rt_router *r, const struct rt_graph *g, struct rt_err *err)
{
	struct rt_plan *p = calloc(1, sizeof(*p));
	p->nnodes = g->nels;
	p->nodes = calloc((size_t)g->nels + 1, sizeof(*p->nodes));
	p->drop = node_new(NULL, 0);
	if (!p->drop)
		goto oom;
	for (int i = 0; i < g->nels; i++)
		if (!(p->nodes[i] = node_new(g->els[i], g->els[i]->nout)))
			goto oom;
	for (int i = 0; i < g->nels; i++)
		for (int k = 0; k < p->nodes[i]->nout; k++)
			p->nodes[i]->hops[k] = (struct el_hop){drop_push, p->drop, 0};
	for (int k = 0; k < g->nconns; k++) {
		const struct rt_conn *c = &g->conns[k];
		struct el_node *to = p->nodes[c->to];
		p->nodes[c->from]->hops[c->from_port] = (struct el_hop){to->e->cls->push, to, c->to_port};
	}
	/* flow control block layout: slots for flow elements (flow/flow_layout.c) */
	if (flow_plan_compile(g, p->nodes, err) < 0) {
		rt_plan_free(p);
		return NULL;
	}
	/* chains of classifiers: one merged lookup and dispatch (classify/cls_chain.c) */
	if (cls_chain_compile(r, g, p, err) < 0) {
		rt_plan_free(p);
		return NULL;
	}
	/* tasks: pinned ones where asked, others round-robin */
	int nw = r->o.nworkers, next = 0;
	for (int i = 0; i < g->nels; i++) {
		struct el *e = g->els[i];
		if (!e->is_task)
			continue;
		/* EL_THREAD_ALL (every worker) takes no turn of the round robin */
		int w0 = e->thread >= 0 ? e->thread % nw : e->thread == EL_THREAD_ALL ? 0 : next++ % nw, w1 = w0 + 1;
		if (e->thread == EL_THREAD_ALL)
			w0 = 0, w1 = nw;
		for (int w = w0; w < w1; w++) {
			p->tasks[w] = realloc(p->tasks[w], sizeof(struct el_node *) * (size_t)(p->ntasks[w] + 1));
			p->tasks[w][p->ntasks[w]++] = p->nodes[i];
		}
	}
	if ((r->prof_on && rt_prof_plan(r, p, err) < 0) || tn_cpu_plan(r, p, err) < 0) {
		rt_plan_free(p);
		return NULL;
	}
	return p;
oom:
	rt_plan_free(p);
	rt_errf(err, NULL, -ENOMEM, "out of memory compiling the graph");
	return NULL;
}
