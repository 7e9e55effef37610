/*
 * cls_chain.c - the graph compiler's chain pass: chains of classifying
 * elements become one merged node of the compiled plan (cls_chain.h).
 *
 * A chain is a tree: its head is a classifying element, and a member's
 * output that feeds another classifying element's only input (same tenant)
 * continues it.  The pass unrolls the tree into path nodes (a member
 * reached by one sequence of outcomes: an ACLClassifier's class and its
 * NOMATCH may share an output, and the elements count them apart), whose
 * outcomes lead to a further path node or to a leaf: a destination hop and
 * the list of element counters the path bumps.  Then either
 *  - every member is an ACLClassifier: one rule set is merged from the
 *    members' rules depth-first in priority order (as cls_merge_chain
 *    does), each merged rule's class being its leaf, and built into one
 *    tuple-merge classifier: one lookup per packet; or
 *  - the batch walks the path nodes in order (parents first), each packet
 *    evaluated once by each member on its path (ACL keys read once).
 * Then one gather by destination.  Hops into the head call cls_chain_push;
 * the members' own nodes keep their hops, so a live change's holds (which
 * rewrite hops) and profiling (which wraps every hop) find the unmerged
 * wiring: the merged node checks its inner hops per batch and, when one
 * was rewritten, runs the head's own push instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_malloc.h>
#include <uv.h>

#include "cls_chain.h"
#include "../runtime/router_int.h"
#include "../elements/classify/clsel.h"

#define CHAIN_MAX_MEMBERS 16
#define CHAIN_MAX_PNODES 64
#define CHAIN_MAX_LEAVES 1024
#define LEAF_BIT 0x8000u

struct chain_upd {
	struct el *e;
	uint32_t off; /* byte offset of a uint64_t in e's per-worker block */
};

struct chain_leaf {
	int16_t dest;        /* index in chain.dest; -1: dropped */
	uint8_t nupd;
	struct chain_upd upd[CHAIN_MAX_MEMBERS];
};

struct chain_pnode {
	int member;          /* index in chain.mel */
	int parent, parent_out;
	uint16_t *next;      /* [nout + 1]: pnode index, or LEAF_BIT | leaf */
};

struct cls_chain {
	struct cls_chain *next;
	struct el_node *head;
	int nm;
	struct el *mel[CHAIN_MAX_MEMBERS];
	struct el_node *mnode[CHAIN_MAX_MEMBERS];
	struct cls_member mm[CHAIN_MAX_MEMBERS];
	int npn;
	struct chain_pnode pn[CHAIN_MAX_PNODES];
	uint32_t nleaf;
	struct chain_leaf *leaf;
	int ndest;
	struct el_hop **dest;
	int ninner;                    /* hops between members, as compiled */
	struct el_hop *inner[CHAIN_MAX_MEMBERS];
	el_push_fn inner_fn[CHAIN_MAX_MEMBERS];
	bool has_acl;
	uint8_t lcount[RT_MAX_WORKERS][CHAIN_MAX_LEAVES]; /* per batch, zero between batches */
	struct cls_acl *merged;        /* every member an ACLClassifier */
	uint32_t merged_rules;
	uint32_t nonip_leaf;
};

/* ---- finding chains --------------------------------------------------------- */

struct chain_graph {
	int n;
	bool *ok;           /* classifying element with one input connection */
	int *parent, *parent_port;
};

static void find_members(const struct rt_graph *g, struct chain_graph *cg)
{
	cg->n = g->nels;
	cg->ok = calloc((size_t)g->nels + 1, sizeof(bool));
	cg->parent = malloc(sizeof(int) * ((size_t)g->nels + 1));
	cg->parent_port = malloc(sizeof(int) * ((size_t)g->nels + 1));
	for (int i = 0; i < g->nels; i++) {
		struct cls_member m;
		int in = 0;
		for (int k = 0; k < g->nconns; k++)
			in += g->conns[k].to == i;
		cg->ok[i] = in == 1 && g->els[i]->nin == 1 && cls_member_get(g->els[i], &m);
		cg->parent[i] = -1;
	}
	for (int k = 0; k < g->nconns; k++) {
		const struct rt_conn *c = &g->conns[k];
		if (c->from != c->to && cg->ok[c->from] && cg->ok[c->to] &&
		    g->els[c->from]->tenant == g->els[c->to]->tenant) {
			cg->parent[c->to] = c->from;
			cg->parent_port[c->to] = c->from_port;
		}
	}
}

static void chain_graph_free(struct chain_graph *cg)
{
	free(cg->ok);
	free(cg->parent);
	free(cg->parent_port);
}

/* Is element i the head of a chain (a member with a member child and no
 * member parent)?  Members of a cycle have parents and are never heads. */
static bool is_head(const struct chain_graph *cg, int i)
{
	if (!cg->ok[i] || cg->parent[i] >= 0)
		return false;
	for (int k = 0; k < cg->n; k++)
		if (cg->parent[k] == i)
			return true;
	return false;
}

/* ---- building one chain ----------------------------------------------------- */

static int member_index(struct cls_chain *c, struct el *e)
{
	for (int i = 0; i < c->nm; i++)
		if (c->mel[i] == e)
			return i;
	return -1;
}

/* The element index fed by output `port` of element `from` when it is a
 * chain member, else -1. */
static int child_at(const struct rt_graph *g, const struct chain_graph *cg, int from, int port)
{
	for (int k = 0; k < cg->n; k++)
		if (cg->parent[k] == from && cg->parent_port[k] == port)
			return k;
	return -1;
}

static int port_of(const struct cls_chain *c, int mi, int o)
{
	int nout = c->mel[mi]->nout;
	int port = o < nout ? o : c->mm[mi].nomatch_port;
	return port >= 0 && port < nout ? port : -1;
}

/* Unroll the tree from element index `ei` reached as path node `parent`'s
 * outcome `pout`; returns the path node index or a negative code. */
static int unroll(struct cls_chain *c, const struct rt_graph *g, const struct rt_plan *p, const struct chain_graph *cg,
		  int ei, int parent, int pout)
{
	struct el *e = g->els[ei];
	int mi = member_index(c, e);
	if (mi < 0) {
		if (c->nm == CHAIN_MAX_MEMBERS)
			return -E2BIG;
		mi = c->nm++;
		c->mel[mi] = e;
		c->mnode[mi] = p->nodes[ei];
		cls_member_get(e, &c->mm[mi]);
		c->has_acl |= c->mm[mi].kind == CLS_M_ACL;
	}
	if (c->npn == CHAIN_MAX_PNODES)
		return -E2BIG;
	int t = c->npn++;
	struct chain_pnode *pn = &c->pn[t];
	pn->member = mi;
	pn->parent = parent;
	pn->parent_out = pout;
	int nout = e->nout;
	if (!(pn->next = calloc((size_t)nout + 1, sizeof(uint16_t))))
		return -ENOMEM;
	for (int o = 0; o <= nout; o++) {
		int port = port_of(c, mi, o);
		int ch = port >= 0 ? child_at(g, cg, ei, port) : -1;
		if (ch >= 0) {
			int rc = unroll(c, g, p, cg, ch, t, o);
			if (rc < 0)
				return rc;
			c->pn[t].next[o] = (uint16_t)rc;
			continue;
		}
		if (c->nleaf == CHAIN_MAX_LEAVES)
			return -E2BIG;
		struct chain_leaf *l = &c->leaf[c->nleaf];
		l->dest = -1;
		if (port >= 0) {
			struct el_hop *h = &c->mnode[mi]->hops[port];
			for (int d = 0; d < c->ndest && l->dest < 0; d++)
				if (c->dest[d]->node == h->node && c->dest[d]->port == h->port)
					l->dest = (int16_t)d;
			if (l->dest < 0) {
				c->dest[c->ndest] = h;
				l->dest = (int16_t)c->ndest++;
			}
		}
		/* counters along the path, this outcome first */
		for (int q = t, qo = o; q >= 0; qo = c->pn[q].parent_out, q = c->pn[q].parent) {
			int qm = c->pn[q].member;
			const struct cls_member *m = &c->mm[qm];
			if (qo == c->mel[qm]->nout)
				l->upd[l->nupd++] = (struct chain_upd){c->mel[qm], m->nomatch_cnt};
			else if (m->out_cnt >= 0 && qo < m->out_cnt_max)
				l->upd[l->nupd++] = (struct chain_upd){c->mel[qm], (uint32_t)m->out_cnt + 8u * (uint32_t)qo};
		}
		c->pn[t].next[o] = (uint16_t)(LEAF_BIT | c->nleaf++);
	}
	return t;
}

static void chain_free(struct cls_chain *c)
{
	for (int i = 0; i < c->npn; i++)
		free(c->pn[i].next);
	free(c->leaf);
	free(c->dest);
	cls_acl_free(c->merged);
	rte_free(c);
}

/* ---- merging ACL members into one rule set ---------------------------------- */

/* A member's live rules in priority order (ties: lower id first), and
 * their ids. */
struct idrule {
	struct cls_rule r;
	uint32_t id;
};

static int idrule_cmp(const void *a, const void *b)
{
	const struct idrule *x = a, *y = b;
	if (x->r.prio != y->r.prio)
		return x->r.prio < y->r.prio ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int member_rules(const struct cls_acl *a, struct cls_ruleset *out, uint32_t **ids)
{
	cls_ruleset_init(out);
	uint32_t lim = cls_acl_id_limit(a), n = 0;
	struct idrule *v = malloc(sizeof(*v) * (lim + 1));
	*ids = malloc(sizeof(uint32_t) * (lim + 1));
	if (!v || !*ids) {
		free(v);
		return -ENOMEM;
	}
	for (uint32_t id = 0; id < lim; id++)
		if (cls_acl_rule(a, id))
			v[n++] = (struct idrule){*cls_acl_rule(a, id), id};
	qsort(v, n, sizeof(*v), idrule_cmp);
	for (uint32_t i = 0; i < n; i++) {
		cls_ruleset_push(out, &v[i].r);
		(*ids)[i] = v[i].id;
	}
	free(v);
	return 0;
}

struct merge_ctx {
	struct cls_chain *c;
	struct cls_ruleset *rules;  /* per member, priority order */
	uint32_t **ids;             /* per member: rule ids */
	uint32_t max;
	struct cls_ruleset out;
	/* origin of each merged rule (shadow report): member rule indices along
	 * the path, -1 where the path took a NOMATCH */
	int32_t *origin;            /* out.n x CHAIN_MAX_MEMBERS, NULL when not wanted */
	uint32_t origin_cap;
	int32_t path[CHAIN_MAX_MEMBERS];
	int depth;
};

static int emit(struct merge_ctx *x, const struct cls_rule *region, uint32_t leaf)
{
	if (x->out.n >= x->max)
		return -E2BIG;
	struct cls_rule r = *region;
	r.cls = leaf;
	r.prio = x->out.n;
	if (x->origin) {
		if (x->out.n == x->origin_cap) {
			x->origin_cap = x->origin_cap ? 2 * x->origin_cap : 1024;
			int32_t *o = realloc(x->origin, sizeof(int32_t) * CHAIN_MAX_MEMBERS * x->origin_cap);
			if (!o)
				return -ENOMEM;
			x->origin = o;
		}
		int32_t *o = x->origin + (size_t)x->out.n * CHAIN_MAX_MEMBERS;
		for (int i = 0; i < CHAIN_MAX_MEMBERS; i++)
			o[i] = i < x->depth ? x->path[i] : -2;
	}
	cls_ruleset_push(&x->out, &r);
	return 0;
}

static int go(struct merge_ctx *x, uint16_t nx, const struct cls_rule *region);

static int merge_pnode(struct merge_ctx *x, int t, const struct cls_rule *region)
{
	const struct chain_pnode *pn = &x->c->pn[t];
	int mi = pn->member, nout = x->c->mel[mi]->nout;
	const struct cls_ruleset *rs = &x->rules[mi];
	int d = x->depth++;
	int rc = 0;
	bool covered = false;
	for (uint32_t i = 0; i < rs->n && !covered && rc == 0; i++) {
		struct cls_rule y;
		if (!cls_rule_intersect(region, &rs->r[i], &y))
			continue;
		x->path[d] = (int32_t)(mi << 24 | (int32_t)i);
		rc = go(x, pn->next[rs->r[i].cls < (uint32_t)nout ? rs->r[i].cls : (uint32_t)nout], &y);
		covered = cls_rule_covers(&rs->r[i], region);
	}
	if (!covered && rc == 0) {
		x->path[d] = -1;
		rc = go(x, pn->next[nout], region);
	}
	x->depth--;
	return rc;
}

static int go(struct merge_ctx *x, uint16_t nx, const struct cls_rule *region)
{
	if (nx & LEAF_BIT)
		return emit(x, region, nx & ~LEAF_BIT);
	return merge_pnode(x, nx, region);
}

static const struct cls_rule wildcard = {.sport_hi = 0xffff, .dport_hi = 0xffff};

/* Merge c's members (all ACLClassifiers) into x->out. */
static int merge_chain(struct merge_ctx *x, struct cls_chain *c, uint32_t max)
{
	x->c = c;
	x->max = max;
	cls_ruleset_init(&x->out);
	x->rules = calloc((size_t)c->nm, sizeof(*x->rules));
	x->ids = calloc((size_t)c->nm, sizeof(*x->ids));
	if (!x->rules || !x->ids)
		return -ENOMEM;
	for (int i = 0; i < c->nm; i++)
		if (member_rules(c->mm[i].acl, &x->rules[i], &x->ids[i]) < 0)
			return -ENOMEM;
	return merge_pnode(x, 0, &wildcard);
}

static void merge_ctx_free(struct merge_ctx *x)
{
	for (int i = 0; x->rules && i < x->c->nm; i++) {
		cls_ruleset_free(&x->rules[i]);
		free(x->ids[i]);
	}
	free(x->rules);
	free(x->ids);
	free(x->origin);
	cls_ruleset_free(&x->out);
}

/* ---- the data path ---------------------------------------------------------- */

static inline bool pkt_ip(struct rte_mbuf *m, const uint8_t **ip, uint32_t *len)
{
	int l = (int)rt_len(m);
	const uint8_t *p = rt_data(m);
	if (rt_has_nh(m)) {
		l -= rt_nh_offset(m);
		p = rt_nh(m);
	}
	*ip = p;
	*len = l > 0 ? (uint32_t)l : 0;
	return l > 0;
}

static void chain_push(struct el_node *n, int port, struct rt_batch *b);

/* The outcome of member mi for packet m (nout: no match), programs only. */
static inline int prog_outcome(const struct cls_member *mm, int nout, struct rte_mbuf *m)
{
	int r;
	if (mm->kind == CLS_M_RAW) {
		r = cls_prog_match(mm->prog, rt_data(m), rt_len(m));
	} else {
		const uint8_t *ip;
		uint32_t len;
		r = pkt_ip(m, &ip, &len) ? cls_prog_match(mm->prog, ip, len) : -1;
	}
	return r < 0 || r >= nout ? nout : r;
}

static void chain_push(struct el_node *n, int port, struct rt_batch *b)
{
	const struct cls_chain *c = n->chain;
	/* a live change holds a member's input, or profiling wraps the hops:
	 * run the chain element by element */
	for (int i = 0; i < c->ninner; i++)
		if (unlikely(c->inner[i]->fn != c->inner_fn[i])) {
			n->e->cls->push(n, port, b);
			return;
		}
	uint32_t cnt = b->n;
	if (unlikely(!cnt))
		return;
	struct cls_key keys[RT_BATCH_MAX];
	uint32_t ids[RT_BATCH_MAX], cls[RT_BATCH_MAX];
	uint16_t leaf[RT_BATCH_MAX];
	uint64_t notip = 0;
	if (c->has_acl) {
		for (uint32_t i = 0; i < cnt; i++) {
			const uint8_t *ip;
			uint32_t len;
			if (i + 4 < cnt)
				rte_prefetch0(rt_has_nh(b->pkts[i + 4]) ? rt_nh(b->pkts[i + 4]) : rt_data(b->pkts[i + 4]));
			if (!pkt_ip(b->pkts[i], &ip, &len) || !cls_key_from_ip(ip, len, &keys[i])) {
				keys[i] = (struct cls_key){0};
				notip |= 1ull << i;
			}
		}
	}
	if (c->merged) {
		cls_acl_lookup(c->merged, keys, cnt, ids, cls);
		for (uint32_t i = 0; i < cnt; i++)
			leaf[i] = (uint16_t)cls[i];
		for (uint64_t t = notip; t; t &= t - 1)
			leaf[__builtin_ctzll(t)] = (uint16_t)c->nonip_leaf;
	} else {
		/* path nodes in creation order (parents first), each with the
		 * packets that reached it */
		uint64_t at[CHAIN_MAX_PNODES];
		memset(at, 0, sizeof(at[0]) * (size_t)c->npn);
		at[0] = cnt == 64 ? ~0ull : (1ull << cnt) - 1;
		for (int t = 0; t < c->npn; t++) {
			if (!at[t])
				continue;
			const struct chain_pnode *pn = &c->pn[t];
			const struct cls_member *mm = &c->mm[pn->member];
			int nout = c->mel[pn->member]->nout;
			uint32_t idx[RT_BATCH_MAX], k = 0;
			for (uint64_t s = at[t]; s; s &= s - 1)
				idx[k++] = (uint32_t)__builtin_ctzll(s);
			if (mm->kind == CLS_M_ACL) {
				struct cls_key kk[RT_BATCH_MAX];
				for (uint32_t j = 0; j < k; j++)
					kk[j] = keys[idx[j]];
				cls_acl_lookup(mm->acl, kk, k, ids, cls);
				for (uint32_t j = 0; j < k; j++) {
					uint32_t i = idx[j];
					int o = ids[j] == CLS_NOMATCH || (notip >> i & 1) ? nout : (int)cls[j];
					uint16_t nx = pn->next[o];
					if (nx & LEAF_BIT)
						leaf[i] = nx & ~LEAF_BIT;
					else
						at[nx] |= 1ull << i;
				}
			} else {
				for (uint32_t j = 0; j < k; j++) {
					uint32_t i = idx[j];
					uint16_t nx = pn->next[prog_outcome(mm, nout, b->pkts[i])];
					if (nx & LEAF_BIT)
						leaf[i] = nx & ~LEAF_BIT;
					else
						at[nx] |= 1ull << i;
				}
			}
		}
	}
	/* the elements' own counters, per path taken, then one gather per
	 * destination */
	int16_t dest[RT_BATCH_MAX];
	uint16_t seen[RT_BATCH_MAX], nseen = 0;
	uint8_t *lc = ((struct cls_chain *)c)->lcount[rt_wid];
	for (uint32_t i = 0; i < cnt; i++) {
		uint16_t l = leaf[i];
		if (!lc[l]++)
			seen[nseen++] = l;
		dest[i] = c->leaf[l].dest;
	}
	for (uint16_t k = 0; k < nseen; k++) {
		const struct chain_leaf *l = &c->leaf[seen[k]];
		uint64_t add = lc[seen[k]];
		lc[seen[k]] = 0;
		for (int u = 0; u < l->nupd; u++)
			*(uint64_t *)((uint8_t *)el_pw(l->upd[u].e) + l->upd[u].off) += add;
	}
	struct rt_batch out;
	uint64_t todo = cnt == 64 ? ~0ull : ((1ull << cnt) - 1);
	while (todo) {
		int d = dest[__builtin_ctzll(todo)];
		out.n = 0;
		for (uint64_t t = todo; t; t &= t - 1) {
			int i = __builtin_ctzll(t);
			if (dest[i] == d) {
				out.pkts[out.n++] = b->pkts[i];
				todo &= ~(1ull << i);
			}
		}
		if (d >= 0) {
			struct el_hop *h = c->dest[d];
			h->fn(h->node, h->port, &out);
		} else {
			rt_batch_free(&out);
		}
	}
	b->n = 0;
}

/* ---- the pass --------------------------------------------------------------- */

static const struct clsmerge_conf *find_conf(const struct rt_graph *g)
{
	for (int i = 0; i < g->nels; i++)
		if (!strcmp(g->els[i]->cls->name, "ClassifierMerge"))
			return g->els[i]->state;
	return NULL;
}

/* Build the chain headed by element h; NULL (and no error) when it cannot
 * be merged (too many members or paths). */
static struct cls_chain *chain_build(struct rt_router *r, const struct rt_graph *g, struct rt_plan *p,
				     const struct chain_graph *cg, int h, uint32_t max_rules, int *rcp)
{
	struct cls_chain *c = rte_zmalloc("cls_chain", sizeof(*c), RTE_CACHE_LINE_SIZE);
	*rcp = 0;
	if (!c || !(c->leaf = calloc(CHAIN_MAX_LEAVES, sizeof(*c->leaf))) ||
	    !(c->dest = calloc(CHAIN_MAX_LEAVES, sizeof(*c->dest)))) {
		*rcp = -ENOMEM;
		goto fail;
	}
	c->head = p->nodes[h];
	int rc = unroll(c, g, p, cg, h, -1, -1);
	if (rc < 0) {
		*rcp = rc == -E2BIG ? 0 : rc;
		goto fail;
	}
	/* inner hops: every member output that leads to another member */
	for (int mi = 0; mi < c->nm; mi++) {
		int pi = cg->parent[c->mel[mi]->index];
		if (mi == 0 || pi < 0)
			continue;
		struct el_hop *hop = &p->nodes[pi]->hops[cg->parent_port[c->mel[mi]->index]];
		c->inner[c->ninner] = hop;
		c->inner_fn[c->ninner++] = hop->fn;
	}
	bool all_acl = true;
	for (int mi = 0; mi < c->nm; mi++)
		all_acl &= c->mm[mi].kind == CLS_M_ACL && !c->mm[mi].defer_merge;
	if (all_acl) {
		struct merge_ctx x = {0};
		rc = merge_chain(&x, c, max_rules);
		if (rc == 0) {
			struct rt_err e2;
			rt_err_clear(&e2);
			c->merged_rules = x.out.n;
			rc = cls_acl_build(x.out.r, x.out.n, rt_router_qsbr(r), &c->merged, &e2);
		}
		merge_ctx_free(&x);
		if (rc < 0 && rc != -E2BIG) {
			*rcp = rc;
			goto fail;
		}
		/* past MAX_RULES: stay stagewise */
		c->nonip_leaf = 0;
		uint16_t nx = 0;
		while (!(nx & LEAF_BIT))
			nx = c->pn[nx].next[c->mel[c->pn[nx].member]->nout];
		c->nonip_leaf = nx & ~LEAF_BIT;
	}
	return c;
fail:
	if (c)
		chain_free(c);
	return NULL;
}

int cls_chain_compile(struct rt_router *r, const struct rt_graph *g, struct rt_plan *p, struct rt_err *err)
{
	const struct clsmerge_conf *conf = find_conf(g);
	if (conf && !conf->enable)
		return 0;
	uint32_t max_rules = conf ? (uint32_t)RT_MIN(conf->max_rules, (uint64_t)UINT32_MAX) : CLS_CHAIN_MAX_RULES;
	struct chain_graph cg;
	find_members(g, &cg);
	int rc = 0;
	for (int h = 0; h < g->nels && rc == 0; h++) {
		if (!is_head(&cg, h))
			continue;
		struct cls_chain *c = chain_build(r, g, p, &cg, h, max_rules, &rc);
		if (!c)
			continue;
		if (!c->has_acl && !(conf && conf->programs)) {
			chain_free(c); /* decision programs alone ran faster unmerged (docs/classify.md) */
			continue;
		}
		c->next = p->chains;
		p->chains = c;
		c->head->chain = c;
		/* everything that pushed into the head pushes into the chain */
		for (int k = 0; k < p->nnodes; k++)
			for (int o = 0; o < p->nodes[k]->nout; o++) {
				struct el_hop *hop = &p->nodes[k]->hops[o];
				if (hop->node == c->head)
					hop->fn = chain_push;
			}
	}
	chain_graph_free(&cg);
	if (rc < 0)
		return rt_errf(err, NULL, rc, "merging classifier chains: %s", strerror(-rc));
	return 0;
}

void cls_chain_free(struct rt_plan *p)
{
	while (p->chains) {
		struct cls_chain *c = p->chains;
		p->chains = c->next;
		chain_free(c);
	}
}

/* ---- live changes and reports ------------------------------------------------ */

static void remerge_fire(uv_timer_t *t)
{
	struct el *e = t->data;
	struct aclc *s = e->state;
	struct rt_err err;
	rt_err_clear(&err);
	s->merge_defer = false;
	if (cls_chain_republish(e->router, &err) < 0)
		s->merge_defer = true; /* stays stage by stage: still right, only slower */
}

static void remerge_closed(uv_handle_t *h) { free(h); }

void cls_chain_member_gone(struct el *e)
{
	struct aclc *s = e->state;
	if (s->remerge) {
		uv_close((uv_handle_t *)s->remerge, remerge_closed);
		s->remerge = NULL;
	}
}

/* A changed member's merged rule set is not rebuilt on the handler's path
 * (5.9 ms for 4 x 1K rules): the plan is compiled again at once with its
 * chain stage by stage (the members update in place), and the merged set
 * comes back from a timer on the router's loop once changes pause. */
int cls_chain_rules_changed(struct el *e, struct rt_err *err)
{
	struct rt_router *r = e->router;
	struct rt_plan *old = r ? r->plan : NULL;
	struct aclc *s = e->state;
	bool merged = false, member = false;
	for (const struct cls_chain *c = old ? old->chains : NULL; c; c = c->next)
		if (member_index((struct cls_chain *)c, e) >= 0) {
			member = true;
			merged |= c->merged != NULL;
		}
	if (!member)
		return 0;
	if (!s->remerge) {
		if (!(s->remerge = malloc(sizeof(*s->remerge))))
			return rt_errf(err, NULL, -ENOMEM, "out of memory");
		uv_timer_init(rt_router_loop(r), s->remerge);
		s->remerge->data = e;
	}
	if (merged || s->merge_defer) {
		bool was = s->merge_defer;
		s->merge_defer = true;
		if (merged) {
			int rc = cls_chain_republish(r, err);
			if (rc < 0) {
				s->merge_defer = was;
				return rc;
			}
		}
		/* the loop's cached time may be old (it runs only between
		 * commands): without this the timer is due at once */
		uv_update_time(rt_router_loop(r));
		uv_timer_start(s->remerge, remerge_fire, CLS_CHAIN_REMERGE_MS, 0);
	}
	return 0;
}

int cls_chain_republish(struct rt_router *r, struct rt_err *err)
{
	struct rt_plan *old = r->plan;
	struct rt_plan *p = rt_plan_compile(r, &r->g, err);
	if (!p)
		return err->code;
	p->version = ++r->version;
	__atomic_store_n(&r->plan, p, __ATOMIC_RELEASE);
	uint64_t t = rte_rcu_qsbr_start(r->qsbr);
	rte_rcu_qsbr_check(r->qsbr, t, true);
	rt_plan_free(old);
	return 0;
}

void cls_chain_describe(struct rt_router *r, struct rt_buf *out)
{
	for (const struct cls_chain *c = r->plan ? r->plan->chains : NULL; c; c = c->next) {
		rt_buf_printf(out, "%s:", c->mel[0]->name);
		for (int i = 0; i < c->nm; i++)
			rt_buf_printf(out, " %s", c->mel[i]->name);
		if (c->merged)
			rt_buf_printf(out, " (merged %u rules)", c->merged_rules);
		else
			rt_buf_puts(out, " (stagewise)");
		rt_buf_printf(out, " paths %u\n", c->nleaf);
	}
}

int cls_chain_shadowed(struct rt_router *r, struct rt_buf *out, struct rt_err *err)
{
	const struct rt_graph *g = &r->g;
	struct chain_graph cg;
	struct rt_plan *p = r->plan;
	find_members(g, &cg);
	int rc = 0;
	for (int h = 0; h < g->nels && rc == 0; h++) {
		if (!is_head(&cg, h))
			continue;
		int brc;
		struct cls_chain *c = chain_build(r, g, p, &cg, h, 0, &brc); /* max 0: no merged build */
		if (!c) {
			rc = brc;
			continue;
		}
		bool all_acl = true;
		for (int mi = 0; mi < c->nm; mi++)
			all_acl &= c->mm[mi].kind == CLS_M_ACL;
		if (all_acl) {
			struct merge_ctx x = {0};
			x.origin = malloc(sizeof(int32_t) * CHAIN_MAX_MEMBERS * 1024);
			x.origin_cap = 1024;
			rc = merge_chain(&x, c, CLS_CHAIN_MAX_RULES);
			uint32_t *sh = rc == 0 ? malloc(sizeof(uint32_t) * (x.out.n + 1)) : NULL;
			if (sh) {
				cls_rules_unreachable(x.out.r, x.out.n, sh, NULL);
				for (int mi = 0; mi < c->nm; mi++) {
					bool *reach = calloc(x.rules[mi].n + 1, sizeof(bool));
					for (uint32_t k = 0; k < x.out.n; k++) {
						if (sh[k] != CLS_NOMATCH)
							continue;
						const int32_t *o = x.origin + (size_t)k * CHAIN_MAX_MEMBERS;
						for (int d = 0; d < CHAIN_MAX_MEMBERS && o[d] != -2; d++)
							if (o[d] >= 0 && (o[d] >> 24) == mi)
								reach[o[d] & 0xffffff] = true;
					}
					for (uint32_t i = 0; i < x.rules[mi].n; i++)
						if (!reach[i])
							rt_buf_printf(out, "%s %u unreachable in the chain of %s\n", c->mel[mi]->name,
								      x.ids[mi][i], c->mel[0]->name);
					free(reach);
				}
			} else if (rc == -E2BIG) {
				rt_buf_printf(out, "%s: chain too large to check (over %u merged rules)\n", c->mel[0]->name,
					      CLS_CHAIN_MAX_RULES);
				rc = 0;
			}
			free(sh);
			merge_ctx_free(&x);
		}
		chain_free(c);
	}
	chain_graph_free(&cg);
	if (rc < 0)
		return rt_errf(err, NULL, rc, "checking classifier chains: %s", strerror(-rc));
	return 0;
}
