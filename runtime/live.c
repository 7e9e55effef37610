/*
 * live.c - changing a running graph without losing or reordering a packet
 * (ARCHITECTURE.md, decisions 5 and 6): swap one element, or replace the
 * whole configuration keeping what did not change (hotconfig).
 *
 * A change is published as three plan versions:
 *   P2  the new graph, with every input of a new element behind a hold
 *       node: packets for it are kept per worker, in arrival order;
 *   --  one grace period: no worker still runs the old plan, so the old
 *       elements are idle and their state (counts, queued packets) can
 *       move to the new ones (take_state);
 *   --  release: each worker pushes its own held packets, in order, before
 *       anything newer, then holds become pass-through;
 *   P3  the new graph wired directly, published once every hold is empty.
 * Order is kept per worker (flows are steered to workers), and nothing is
 * dropped while held unless a worker's hold overflows (counted).
 * Everything that can fail happens before P2 is published, so a failed
 * change leaves the running graph exactly as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_malloc.h>
#include <rte_pause.h>

#include "ctl.h"
#include "router_int.h"
#include "tenant/tn.h"

/* Packets one worker may hold for one input during a change: the default
 * pool's size, so a hold never overflows before the pool runs dry. */
#define HOLD_CAP 16384

struct hold_buf {
	struct rte_mbuf **pkts;
	uint32_t n;
	uint64_t overflow;
} __rte_cache_aligned;

struct hold {
	int released;
	int nw;
	struct hold_buf w[RT_MAX_WORKERS];
};

static void hold_flush(struct el_node *n, struct hold_buf *hb)
{
	for (uint32_t i = 0; i < hb->n;) {
		struct rt_batch b;
		b.n = RT_MIN(hb->n - i, (uint32_t)RT_BATCH_MAX);
		memcpy(b.pkts, hb->pkts + i, sizeof(b.pkts[0]) * b.n);
		i += b.n;
		el_output(n, 0, &b);
	}
	__atomic_store_n(&hb->n, 0, __ATOMIC_RELEASE);
}

static void hold_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct hold *h = n->state;
	struct hold_buf *hb = &h->w[rt_wid];
	if (!__atomic_load_n(&h->released, __ATOMIC_ACQUIRE)) {
		uint32_t room = HOLD_CAP - hb->n, k = RT_MIN(room, b->n);
		memcpy(hb->pkts + hb->n, b->pkts, sizeof(b->pkts[0]) * k);
		__atomic_store_n(&hb->n, hb->n + k, __ATOMIC_RELEASE);
		if (k < b->n) {
			hb->overflow += b->n - k;
			rte_pktmbuf_free_bulk(b->pkts + k, b->n - k);
		}
		b->n = 0;
		return;
	}
	if (hb->n)
		hold_flush(n, hb);
	el_output(n, 0, b);
}

/* Every worker runs every hold as a task, so held packets leave even when
 * nothing new arrives. */
static int hold_run(struct el_node *n)
{
	struct hold *h = n->state;
	struct hold_buf *hb = &h->w[rt_wid];
	if (!hb->n || !__atomic_load_n(&h->released, __ATOMIC_ACQUIRE))
		return 0;
	int k = (int)hb->n;
	hold_flush(n, hb);
	return k;
}

static struct el_class hold_class = {
	.name = "mboxsh-hold",
	.ports = "1/1",
	.push = hold_push,
	.run = hold_run,
};

/* ---- a change in progress --------------------------------------------------- */

struct change {
	struct rt_router *r;
	struct rt_graph g;          /* the new graph */
	bool *is_new;               /* per element of g */
	struct el **old_of;         /* per element of g: the element it replaces, or NULL */
	struct rt_plan *p2, *p3;
	struct el **holds;          /* hold pseudo-elements (state = struct hold) */
	struct el_node **hold_nodes;
	int nholds;
	struct rt_buf warn;         /* what was not kept */
	const char *into_from;      /* remove ... into: the removed element's name */
	struct el *into;            /* and the kept element that takes its state */
};

static void change_free_holds(struct change *c)
{
	for (int i = 0; i < c->nholds; i++) {
		struct hold *h = c->holds[i]->state;
		for (int w = 0; w < RT_MAX_WORKERS; w++) {
			if (h->w[w].n)
				rte_pktmbuf_free_bulk(h->w[w].pkts, h->w[w].n);
			rte_free(h->w[w].pkts);
		}
		rte_free(h);
		free(c->holds[i]);
		rte_free(c->hold_nodes[i]);
	}
	free(c->holds);
	free(c->hold_nodes);
	c->holds = NULL;
	c->hold_nodes = NULL;
	c->nholds = 0;
}

static void grace(struct rt_router *r)
{
	uint64_t t = rte_rcu_qsbr_start(r->qsbr);
	rte_rcu_qsbr_check(r->qsbr, t, true);
}

static void publish(struct rt_router *r, struct rt_plan *p)
{
	p->version = ++r->version;
	__atomic_store_n(&r->plan, p, __ATOMIC_RELEASE);
}

/* Put a hold in front of every input of every new element in p2. */
static int add_holds(struct change *c, struct rt_err *err)
{
	struct rt_plan *p = c->p2;
	int nw = c->r->o.nworkers;
	for (int i = 0; i < c->g.nels; i++) {
		if (!c->is_new[i])
			continue;
		struct el_node *target = p->nodes[i];
		for (int port = 0; port < c->g.els[i]->nin; port++) {
			struct hold *h = rte_zmalloc("hold", sizeof(*h), RTE_CACHE_LINE_SIZE);
			struct el *he = calloc(1, sizeof(*he));
			struct el_node *hn = rte_zmalloc("hold_node", sizeof(*hn) + sizeof(struct el_hop),
							 RTE_CACHE_LINE_SIZE);
			c->holds = realloc(c->holds, sizeof(*c->holds) * (size_t)(c->nholds + 1));
			c->hold_nodes = realloc(c->hold_nodes, sizeof(*c->hold_nodes) * (size_t)(c->nholds + 1));
			c->holds[c->nholds] = he;
			c->hold_nodes[c->nholds] = hn;
			c->nholds++;
			if (!h || !hn) {
				rte_free(h);
				he->state = NULL;
				return rt_errf(err, NULL, -ENOMEM, "out of memory for a hold");
			}
			he->state = h;
			he->cls = &hold_class;
			he->name = (char *)"hold";
			h->nw = nw;
			for (int w = 0; w < nw; w++)
				if (!(h->w[w].pkts = rte_malloc("hold_buf", sizeof(struct rte_mbuf *) * HOLD_CAP, 0)))
					return rt_errf(err, NULL, -ENOMEM, "out of memory for a hold");
			hn->e = he;
			hn->state = h;
			hn->nout = 1;
			hn->hops[0] = (struct el_hop){target->e->cls->push, target, port};
			/* everything that pushed into (target, port) now pushes into the hold */
			for (int k = 0; k < p->nnodes; k++)
				for (int o = 0; o < p->nodes[k]->nout; o++) {
					struct el_hop *hop = &p->nodes[k]->hops[o];
					if (hop->node == target && hop->port == port)
						*hop = (struct el_hop){hold_push, hn, 0};
				}
			for (int w = 0; w < nw; w++) {
				p->tasks[w] = realloc(p->tasks[w], sizeof(struct el_node *) * (size_t)(p->ntasks[w] + 1));
				p->tasks[w][p->ntasks[w]++] = hn;
			}
		}
	}
	return 0;
}

static bool holds_empty(const struct change *c)
{
	for (int i = 0; i < c->nholds; i++) {
		const struct hold *h = c->holds[i]->state;
		for (int w = 0; w < h->nw; w++)
			if (__atomic_load_n(&h->w[w].n, __ATOMIC_ACQUIRE))
				return false;
	}
	return true;
}

/* Release the holds and wait until every worker has pushed its held
 * packets.  Without running workers, the control thread pushes them. */
static void release(struct change *c)
{
	for (int i = 0; i < c->nholds; i++)
		__atomic_store_n(&((struct hold *)c->holds[i]->state)->released, 1, __ATOMIC_RELEASE);
	if (!c->r->started) {
		rt_wid = 0;
		for (int i = 0; i < c->nholds; i++) {
			struct hold *h = c->holds[i]->state;
			for (int w = 0; w < h->nw; w++)
				hold_flush(c->hold_nodes[i], &h->w[w]);
		}
		return;
	}
	/* workers flush within a loop round (microseconds): spin first, and
	 * only sleep if a worker is napping */
	for (int spins = 0; !holds_empty(c); spins++) {
		if (spins < 100000)
			rte_pause();
		else
			usleep(10);
	}
}

static bool imports_from(const struct el_class *to, const struct el_class *from)
{
	if (!to->import_state || !from->export_state)
		return false;
	if (to == from)
		return true;
	for (const char *const *n = to->imports; n && *n; n++)
		if (!strcmp(*n, from->name))
			return true;
	return false;
}

/* A state the replacement says it imports but cannot read (a newer
 * version) refuses the change, before anything is published. */
static int check_state_versions(const struct change *c, struct rt_err *err)
{
	for (int i = 0; i < c->g.nels; i++) {
		const struct el *e = c->g.els[i], *old = c->old_of[i];
		if (old && imports_from(e->cls, old->cls) && old->cls->state_version > e->cls->state_version)
			return rt_errf(err, &e->loc, -EPROTO,
				       "%s: %s cannot take %s state version %u (it reads up to %u)", e->name, e->cls->name,
				       old->cls->name, old->cls->state_version, e->cls->state_version);
	}
	return 0;
}

/* Move state from each replaced element to its replacement, now that no
 * worker touches either: take_state within a class, export/import across
 * classes and versions; otherwise nothing is kept, and that is said. */
static void move_state(struct change *c)
{
	if (c->into) {
		struct el *from = rt_router_find(c->r, c->into_from);
		struct rt_err err;
		rt_err_clear(&err);
		if (from && c->into->cls->take_state(c->into, from, &err) < 0)
			rt_buf_printf(&c->warn, "%s: state not taken from %s: %s\n", c->into->name, from->name, err.msg);
	}
	for (int i = 0; i < c->g.nels; i++) {
		struct el *e = c->g.els[i], *old = c->old_of[i];
		if (!old)
			continue;
		struct rt_err err;
		rt_err_clear(&err);
		if (old->cls == e->cls && e->cls->take_state) {
			if (e->cls->take_state(e, old, &err) < 0)
				rt_buf_printf(&c->warn, "%s: state not kept: %s\n", e->name, err.msg);
		} else if (imports_from(e->cls, old->cls)) {
			struct el_state st = {.cls = old->cls->name, .version = old->cls->state_version};
			rt_buf_init(&st.data);
			if (old->cls->export_state(old, &st, &err) < 0 || e->cls->import_state(e, &st, &err) < 0)
				rt_buf_printf(&c->warn, "%s: state not kept: %s\n", e->name, err.msg);
			el_state_free(&st);
		} else if (old->cls->take_state || old->cls->export_state || old->cls->pw_size) {
			rt_buf_printf(&c->warn, "%s: %s state not carried to %s\n", e->name, old->cls->name, e->cls->name);
		}
	}
}

/* An element that something else pulls from (a Queue under a scheduler)
 * cannot be replaced alone: the puller holds a pointer to it. */
static int check_pulled(const struct rt_graph *old, const struct change *c, struct rt_err *err)
{
	for (int i = 0; i < old->nels; i++) {
		const struct el *e = old->els[i];
		bool replaced = true;
		for (int k = 0; k < c->g.nels; k++)
			if (c->g.els[k] == e)
				replaced = false;
		if (replaced && e->cls->run && !e->is_task)
			return rt_errf(err, &e->loc, -EBUSY,
				       "'%s' is pulled by another element: replace them together", e->name);
		/* a kept puller whose queue is replaced */
		if (!replaced && e->cls->run && !e->is_task)
			for (int k = 0; k < c->g.nels; k++)
				if (c->old_of[k] == e)
					return rt_errf(err, &e->loc, -EBUSY,
						       "'%s' is pulled by another element: replace them together", e->name);
	}
	return 0;
}

/* Free an element the new graph no longer uses.  A removed element that
 * still holds packets (a Queue) says how many go with it. */
static void retire(struct change *c, struct el *e)
{
	bool replaced = false;
	for (int k = 0; k < c->g.nels && !replaced; k++)
		replaced = c->old_of[k] == e && c->g.els[k]->cls == e->cls;
	if (c->into_from && !strcmp(e->name, c->into_from))
		replaced = true; /* its packets went to c->into */
	if (!replaced && el_handler_find(e, "length")) {
		struct rt_buf b;
		struct rt_err err;
		rt_buf_init(&b);
		rt_err_clear(&err);
		if (el_handler_read(e, "length", &b, &err) == 0 && b.p && strtoll(b.p, NULL, 10) > 0)
			rt_buf_printf(&c->warn, "%s: removed with %s packets queued (dropped)\n", e->name, b.p);
		rt_buf_free(&b);
	}
	el_free(e);
}

/* Publish the change (P2, grace, state, release, P3, grace) and install
 * the new graph.  Cannot fail. */
static void commit_change(struct change *c, struct lang_graph *lg, const char *text)
{
	struct rt_router *r = c->r;
	struct rt_plan *p1 = r->plan;
	uint64_t t0 = rt_now_ns();
	publish(r, c->p2);
	grace(r);
	move_state(c);
	release(c);
	r->live_hold_ns = rt_now_ns() - t0;
	publish(r, c->p3);
	grace(r);
	/* retire: elements of the old graph that the new one does not use */
	for (int i = 0; i < r->g.nels; i++) {
		bool kept = false;
		for (int k = 0; k < c->g.nels && !kept; k++)
			kept = c->g.els[k] == r->g.els[i];
		if (!kept)
			retire(c, r->g.els[i]);
	}
	free(r->g.els);
	free(r->g.conns);
	r->g = c->g;
	for (int i = 0; i < r->g.nels; i++) {
		r->g.els[i]->graph = &r->g;
		r->g.els[i]->index = i;
	}
	memset(&c->g, 0, sizeof(c->g));
	rt_plan_free(p1);
	rt_plan_free(c->p2);
	c->p2 = NULL;
	change_free_holds(c);
	if (lg) {
		lang_graph_free(&r->flat);
		r->flat = *lg;
		free(r->config_text);
		r->config_text = strdup(text);
	}
}

static void change_abort(struct change *c)
{
	change_free_holds(c);
	rt_plan_free(c->p2);
	rt_plan_free(c->p3);
	if (c->g.els)
		for (int i = 0; i < c->g.nels; i++)
			if (c->is_new[i])
				el_free(c->g.els[i]);
	free(c->g.els);
	free(c->g.conns);
	memset(&c->g, 0, sizeof(c->g));
}

/* Compile P2 (with holds) and P3; on error nothing was published. */
static int prepare(struct change *c, struct rt_err *err)
{
	if (check_pulled(&c->r->g, c, err) < 0 || check_state_versions(c, err) < 0)
		return err->code;
	if (!(c->p2 = rt_plan_compile(c->r, &c->g, err)) || !(c->p3 = rt_plan_compile(c->r, &c->g, err)))
		return err->code;
	return add_holds(c, err);
}

static void report(struct change *c, struct rt_buf *warn)
{
	if (warn && c->warn.len)
		rt_buf_add(warn, c->warn.p, c->warn.len);
	rt_buf_free(&c->warn);
	free(c->is_new);
	free(c->old_of);
}

int rt_live_apply(struct rt_router *r, const char *text, const char *file, const char *into_from,
		  struct el *into, struct rt_buf *warn, struct rt_err *err)
{
	struct lang_graph lg;
	int rc = lang_parse(text, file ? file : "<hotconfig>", NULL, rt_graph_is_class, NULL, &lg, err);
	if (rc < 0)
		return rc;
	uint64_t t0 = rt_now_ns();
	struct change c = {.r = r, .into_from = into_from, .into = into};
	rt_buf_init(&c.warn);
	c.is_new = calloc((size_t)lg.ndecls + 1, sizeof(bool));
	c.old_of = calloc((size_t)lg.ndecls + 1, sizeof(struct el *));
	if ((rc = rt_graph_build_from(r, &lg, &r->g, &c.g, c.is_new, err)) < 0)
		goto fail;
	for (int i = 0; i < c.g.nels; i++)
		if (c.is_new[i])
			c.old_of[i] = rt_router_find(r, c.g.els[i]->name);
	if (into) { /* the target must be kept, and takes the removed one's state */
		bool kept = false;
		for (int i = 0; i < c.g.nels; i++)
			kept |= c.g.els[i] == into && !c.is_new[i];
		if (!kept) {
			rc = rt_errf(err, NULL, -EINVAL, "'%s' must stay unchanged to take '%s''s state", into->name, into_from);
			goto fail;
		}
	}
	if ((rc = prepare(&c, err)) < 0)
		goto fail;
	commit_change(&c, &lg, text);
	report(&c, warn);
	r->live_total_ns = rt_now_ns() - t0;
	return 0;
fail:
	change_abort(&c);
	report(&c, NULL);
	lang_graph_free(&lg);
	return rc;
}

int rt_ctl_hotconfig(struct rt_router *r, const char *text, const char *file, struct rt_buf *warn,
		     struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "hotconfig", file, err, rt_ctl_hotconfig(r, text, file, warn, err));
	if (!rt_ident_is_operator(rt_ctl_ident(r))) /* a tenant replaces its own graph */
		return tn_load(r, NULL, text, true, file, warn, err);
	return rt_live_apply(r, text, file, NULL, NULL, warn, err);
}

void rt_live_set_flat(struct rt_router *r, const char *name, const char *cls, const char *config)
{
	for (int i = 0; i < r->flat.ndecls; i++)
		if (!strcmp(r->flat.decls[i].name, name)) {
			char *c = strdup(cls), *k = strdup(config);
			free(r->flat.decls[i].cls);
			free(r->flat.decls[i].config);
			r->flat.decls[i].cls = c;
			r->flat.decls[i].config = k;
		}
}

/* "Class(args)" or "Class" into class and configuration. */
static int split_spec(const char *spec, char *cls, size_t clen, const char **conf, size_t *conflen,
		      struct rt_err *err)
{
	while (*spec == ' ' || *spec == '\t')
		spec++;
	const char *p = strchr(spec, '(');
	const char *end = spec + strlen(spec);
	while (end > spec && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == ';'))
		end--;
	const char *cend = p ? p : end;
	while (cend > spec && (cend[-1] == ' ' || cend[-1] == '\t'))
		cend--;
	if (cend == spec || (size_t)(cend - spec) >= clen)
		return rt_errf(err, NULL, -EINVAL, "expected 'Class(arguments)', not '%s'", spec);
	memcpy(cls, spec, (size_t)(cend - spec));
	cls[cend - spec] = 0;
	if (!p) {
		*conf = end;
		*conflen = 0;
		return 0;
	}
	if (end <= p || end[-1] != ')')
		return rt_errf(err, NULL, -EINVAL, "expected ')' at the end of '%s'", spec);
	*conf = p + 1;
	*conflen = (size_t)(end - 1 - (p + 1));
	return 0;
}

int rt_ctl_swap(struct rt_router *r, const char *name, const char *spec, struct rt_buf *warn, struct rt_err *err)
{
	RT_CTL_ENTRY(r, "swap", name, err, rt_ctl_swap(r, name, spec, warn, err));
	uint64_t t0 = rt_now_ns();
	struct el *old = rt_router_find(r, name);
	if (!old)
		return rt_errf(err, NULL, -ENOENT, "no element '%s'", name);
	char clsname[128];
	const char *conf = NULL;
	size_t conflen = 0;
	if (split_spec(spec, clsname, sizeof(clsname), &conf, &conflen, err) < 0)
		return err->code;
	const struct el_class *cls = el_class_find(clsname);
	if (!cls)
		return rt_errf(err, NULL, -ENOENT, "unknown element class '%s'", clsname);
	char *config = strndup(conf, conflen);
	struct change c = {.r = r};
	rt_buf_init(&c.warn);
	int n = r->g.nels, rc;
	c.is_new = calloc((size_t)n + 1, sizeof(bool));
	c.old_of = calloc((size_t)n + 1, sizeof(struct el *));
	c.g.els = calloc((size_t)n + 1, sizeof(struct el *));
	c.g.conns = calloc((size_t)r->g.nconns + 1, sizeof(struct rt_conn));
	memcpy(c.g.els, r->g.els, sizeof(struct el *) * (size_t)n);
	memcpy(c.g.conns, r->g.conns, sizeof(struct rt_conn) * (size_t)r->g.nconns);
	c.g.nels = n;
	c.g.nconns = r->g.nconns;
	struct el *e = el_new(r, cls, name, config, &old->loc, err);
	free(config);
	if (!e) {
		rc = err->code;
		goto fail;
	}
	char why[160];
	if ((e->nin_cfg >= 0 && e->nin_cfg != old->nin) || (e->nout_cfg >= 0 && e->nout_cfg != old->nout) ||
	    el_ports_check(cls, old->nin, old->nout, why, sizeof(why)) < 0) {
		if (e->nin_cfg >= 0 || e->nout_cfg >= 0)
			snprintf(why, sizeof(why), "it would have %d input%s and %d output%s", RT_MAX(e->nin_cfg, 0),
				 e->nin_cfg == 1 ? "" : "s", RT_MAX(e->nout_cfg, 0), e->nout_cfg == 1 ? "" : "s");
		rc = rt_errf(err, NULL, -EINVAL, "%s cannot replace '%s' (%d input%s, %d output%s): %s", cls->name,
			     name, old->nin, old->nin == 1 ? "" : "s", old->nout, old->nout == 1 ? "" : "s", why);
		el_free(e);
		goto fail;
	}
	e->nin = old->nin;
	e->nout = old->nout;
	e->index = old->index;
	e->graph = &c.g;
	c.g.els[old->index] = e;
	c.is_new[old->index] = true;
	c.old_of[old->index] = old;
	if ((rc = el_init(e, err)) < 0)
		goto fail;
	if ((rc = prepare(&c, err)) < 0)
		goto fail;
	rt_live_set_flat(r, name, cls->name, e->config); /* the flat configuration follows */
	commit_change(&c, NULL, NULL);
	report(&c, warn);
	r->live_total_ns = rt_now_ns() - t0;
	return 0;
fail:
	change_abort(&c);
	report(&c, NULL);
	return rc;
}
