/*
 * cls_tm.c - the big classifier: tuple-merge tables specialised per rule
 * set, batch lookups, and live updates published through QSBR.
 *
 * Rules are spread over hash tables, each keyed by a tuple: a source and a
 * destination prefix length and, when every rule in it pins them, the exact
 * protocol, source port and destination port ("fields with few values
 * become exact lookups").  A rule goes into the first table whose tuple it
 * refines (its prefixes at least as long, its exact fields a superset) and
 * whose bucket for it holds fewer than COLLIDE rules; otherwise a new table
 * is made with the rule's prefix lengths relaxed (to a multiple of 8, /32 to
 * /24) and no exact field; where that exists and is full for the rule, with
 * its exact fields; then exactly the rule's tuple.  A bucket holds the rules
 * sharing a masked key, in priority order; wide ranges and short prefixes
 * thus stay as few tables, and narrow rules fall in a few cache lines.
 *
 * Lookup takes up to 64 keys at once and walks the tables in order of the
 * best priority each holds: for every table it hashes the keys that can
 * still improve and prefetches their slots, then probes and prefetches the
 * buckets, then scans them; a key stops as soon as the next table's best
 * rule cannot beat what it has.
 *
 * Updates: buckets and the table list are immutable once published; an add
 * or remove copies the one bucket it changes (and the table when it must
 * grow, the table list when a table comes or goes or its best priority
 * changes) and publishes the copy with a release store.  What it replaced
 * is freed after a QSBR grace period.  A worker sees the old or the new
 * rule set per table, never a half-built one.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "cls_acl.h"

#define COLLIDE 8  /* rules per bucket before another table is tried */
#define RELAX 8    /* new tables: prefix lengths rounded down to a multiple of 8 */
#define RELAX32 24 /* ... and /32 to /24 (measured: 12 tables for acl 10K, not 19 with 4 and /28) */
#define LOAD_NUM 5      /* grow a table past 5/8 full */
#define LOAD_DEN 8

struct crule {
	uint32_t src, smask, dst, dmask;
	uint16_t splo, sphi, dplo, dphi;
	uint8_t proto, pmask;
	uint16_t flags, fmask;
	uint32_t cls;
	uint64_t order; /* prio << 32 | id: lower wins */
};

struct bucket {
	uint32_t n;
	uint32_t pad;
	struct crule r[]; /* by order */
};

/* A slot holds a 32-bit fingerprint of the masked key, not the key: two
 * keys with the same fingerprint share a bucket, which costs a longer scan
 * and nothing else, since every rule of a bucket is matched in full. */
struct slot {
	uint32_t fp;
	uint32_t pad;
	struct bucket *bk; /* NULL: empty; published last */
};

struct tbl {
	uint32_t smask, dmask;
	uint64_t cmask;
	uint32_t shift;    /* 32 - log2(size): a fingerprint's top bits index */
	uint32_t size, used, nrules;
	uint32_t tuple;    /* sl | dl << 8 | exact bits << 16 */
	struct slot *slots;
};

struct img_ent {
	uint64_t best;
	struct tbl *t;
};
struct img {
	uint32_t n;
	uint32_t pad;
	struct img_ent e[];
};

struct deferred {
	void *p;
	uint64_t token;
	bool pending; /* queued by the update in progress: token not taken yet */
};

struct cls_acl {
	struct img *img;          /* published (atomic) */
	struct img_ent *tabs;     /* control copy of the table list */
	uint32_t ntabs, captabs;
	struct cls_rule *rules;   /* by id */
	uint32_t *tuple_of;       /* id -> tuple of its table; REMOVED, or HIDDEN */
	uint32_t *hidden_head;    /* id -> first rule it hides (NONE) */
	uint32_t *hidden_next;    /* id -> next rule hidden by the same rule */
	uint32_t nhidden;
	uint32_t removing;        /* a rule being removed: hides nothing (NONE) */
	uint32_t nid, capid, nlive;
	struct rte_rcu_qsbr *qsbr;
	bool building;
	struct img *spare;        /* a table list allocated ahead, so publishing cannot fail */
	uint32_t spare_cap;
	struct deferred *dq;
	uint32_t ndq, capdq;
};

static struct bucket empty_bucket; /* a removed key's slot keeps its key */

#define REMOVED UINT32_MAX
#define HIDDEN (UINT32_MAX - 1) /* covered by a better rule of its bucket: not stored */
#define NONE UINT32_MAX

enum { EX_PROTO = 1, EX_SPORT = 2, EX_DPORT = 4 };

static uint32_t rule_tuple(const struct cls_rule *r)
{
	unsigned ex = (r->proto_mask == 0xff ? EX_PROTO : 0) | (r->sport_lo == r->sport_hi ? EX_SPORT : 0) |
		      (r->dport_lo == r->dport_hi ? EX_DPORT : 0);
	return r->slen | (uint32_t)r->dlen << 8 | ex << 16;
}

static bool tuple_fits(uint32_t t, uint32_t rt)
{
	unsigned ex = t >> 16, rex = rt >> 16;
	return (t & 0xff) <= (rt & 0xff) && ((t >> 8) & 0xff) <= ((rt >> 8) & 0xff) && (ex & rex) == ex;
}

static uint32_t relax_len(uint32_t l) { return l < RELAX ? 0 : l == 32 ? RELAX32 : (l - l % RELAX); }

static uint64_t cmask_of(uint32_t tuple)
{
	unsigned ex = tuple >> 16;
	return (ex & EX_PROTO ? 0xffull << 32 : 0) | (ex & EX_SPORT ? 0xffffull << 16 : 0) | (ex & EX_DPORT ? 0xffffull : 0);
}

static inline uint64_t key_c(uint8_t proto, uint16_t sport, uint16_t dport)
{
	return (uint64_t)proto << 32 | (uint64_t)sport << 16 | dport;
}

static inline uint32_t hash3(uint32_t a, uint32_t b, uint64_t c)
{
	uint64_t x = ((uint64_t)a << 32 | b) * 0x9e3779b97f4a7c15ull;
	x ^= (c + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(x >> 32);
}

/* ---- deferred reclamation -------------------------------------------------------- */

static int dq_reserve(struct cls_acl *a, uint32_t more)
{
	if (a->ndq + more <= a->capdq)
		return 0;
	uint32_t cap = a->capdq ? a->capdq : 16;
	while (cap < a->ndq + more)
		cap *= 2;
	struct deferred *d = realloc(a->dq, sizeof(*d) * cap);
	if (!d)
		return -ENOMEM;
	a->dq = d;
	a->capdq = cap;
	return 0;
}

static void defer_free(struct cls_acl *a, void *p)
{
	if (!p || p == &empty_bucket)
		return;
	if (!a->qsbr || a->building) {
		free(p);
		return;
	}
	if (a->ndq == a->capdq && dq_reserve(a, 1) < 0)
		return; /* cannot happen: updates reserve room first; leaking beats freeing early */
	a->dq[a->ndq].p = p;
	a->dq[a->ndq].token = 0;
	a->dq[a->ndq].pending = true;
	a->ndq++;
}

/* End of an update: what it replaced may be freed once every worker has
 * passed a quiescent state after this point, i.e. after the update's last
 * publication (a token taken earlier could let a worker that loaded the old
 * pointer after reporting go unnoticed). */
static void defer_commit(struct cls_acl *a)
{
	if (!a->qsbr)
		return;
	uint64_t t = 0;
	bool have = false;
	for (uint32_t i = 0; i < a->ndq; i++)
		if (a->dq[i].pending) {
			if (!have)
				t = rte_rcu_qsbr_start(a->qsbr), have = true;
			a->dq[i].token = t;
			a->dq[i].pending = false;
		}
}

void cls_acl_reclaim(struct cls_acl *a)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < a->ndq; i++) {
		if (!a->dq[i].pending && rte_rcu_qsbr_check(a->qsbr, a->dq[i].token, false) == 1)
			free(a->dq[i].p);
		else
			a->dq[k++] = a->dq[i];
	}
	a->ndq = k;
}

/* ---- tables ------------------------------------------------------------------------- */

static struct tbl *tbl_new(uint32_t tuple, uint32_t size)
{
	struct tbl *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->slots = calloc(size, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	t->tuple = tuple;
	t->smask = cls_pfx_mask(tuple & 0xff);
	t->dmask = cls_pfx_mask((tuple >> 8) & 0xff);
	t->cmask = cmask_of(tuple);
	t->size = size;
	t->shift = 32 - (uint32_t)__builtin_ctz(size);
	return t;
}

/* The slot for a fingerprint: the one holding it, else the empty one
 * ending its probe. */
static struct slot *tbl_find(const struct tbl *t, uint32_t fp)
{
	uint32_t m = t->size - 1;
	for (uint32_t h = fp >> t->shift;; h = (h + 1) & m) {
		struct slot *s = &t->slots[h];
		if (!s->bk || s->fp == fp)
			return s;
	}
}

static uint32_t rule_fp(const struct tbl *t, const struct cls_rule *r)
{
	return hash3(r->src & t->smask, r->dst & t->dmask, key_c(r->proto, r->sport_lo, r->dport_lo) & t->cmask);
}

/* A copy of t with room for more keys (live keys only: removed ones are
 * dropped).  Buckets are shared with t, which is then freed without them. */
static struct tbl *tbl_grow(const struct tbl *t)
{
	uint32_t live = 0;
	for (uint32_t i = 0; i < t->size; i++)
		live += t->slots[i].bk && t->slots[i].bk->n;
	uint32_t size = 16;
	while ((uint64_t)(live + 1) * LOAD_DEN > (uint64_t)size * LOAD_NUM / 2)
		size *= 2;
	struct tbl *n = tbl_new(t->tuple, size);
	if (!n)
		return NULL;
	for (uint32_t i = 0; i < t->size; i++) {
		const struct slot *s = &t->slots[i];
		if (s->bk && s->bk->n) {
			*tbl_find(n, s->fp) = *s;
			n->used++;
		}
	}
	n->nrules = t->nrules;
	return n;
}

static void tbl_free_shallow(struct cls_acl *a, struct tbl *t)
{
	defer_free(a, t->slots);
	defer_free(a, t);
}

static void crule_of(const struct cls_rule *r, uint32_t id, struct crule *c)
{
	c->smask = cls_pfx_mask(r->slen);
	c->dmask = cls_pfx_mask(r->dlen);
	c->src = r->src & c->smask;
	c->dst = r->dst & c->dmask;
	c->splo = r->sport_lo, c->sphi = r->sport_hi, c->dplo = r->dport_lo, c->dphi = r->dport_hi;
	c->proto = r->proto & r->proto_mask, c->pmask = r->proto_mask;
	c->flags = r->flags & r->flags_mask, c->fmask = r->flags_mask;
	c->cls = r->cls;
	c->order = (uint64_t)r->prio << 32 | id;
}

/* ---- the table list ----------------------------------------------------------------- */

static int by_best(const void *x, const void *y)
{
	const struct img_ent *a = x, *b = y;
	return a->best < b->best ? -1 : a->best > b->best;
}

/* Have a table list of n entries ready, before an update changes anything. */
static int spare_reserve(struct cls_acl *a, uint32_t n)
{
	if (a->spare && a->spare_cap >= n)
		return 0;
	struct img *im = malloc(sizeof(*im) + sizeof(im->e[0]) * (n ? n : 1));
	if (!im)
		return -ENOMEM;
	free(a->spare); /* never published */
	a->spare = im;
	a->spare_cap = n;
	return 0;
}

static int publish(struct cls_acl *a)
{
	if (spare_reserve(a, a->ntabs) < 0)
		return -ENOMEM;
	struct img *im = a->spare;
	a->spare = NULL;
	im->n = a->ntabs;
	if (a->ntabs)
		memcpy(im->e, a->tabs, sizeof(im->e[0]) * a->ntabs);
	qsort(im->e, im->n, sizeof(im->e[0]), by_best);
	struct img *old = a->img;
	__atomic_store_n(&a->img, im, __ATOMIC_RELEASE);
	defer_free(a, old);
	return 0;
}

static int tabs_reserve(struct cls_acl *a)
{
	if (a->ntabs < a->captabs)
		return 0;
	uint32_t cap = a->captabs ? a->captabs * 2 : 16;
	struct img_ent *t = realloc(a->tabs, sizeof(*t) * cap);
	if (!t)
		return -ENOMEM;
	a->tabs = t;
	a->captabs = cap;
	return 0;
}

static int tab_index(const struct cls_acl *a, uint32_t tuple)
{
	for (uint32_t i = 0; i < a->ntabs; i++)
		if (a->tabs[i].t->tuple == tuple)
			return (int)i;
	return -1;
}

/* ---- insert and remove ---------------------------------------------------------------- */

static uint32_t bucket_n(const struct slot *s) { return s->bk ? s->bk->n : 0; }

/* Put rule id in table i: copy its bucket with the rule in order and publish
 * it (growing the table first if the key is new and it is full). */
static int tab_insert(struct cls_acl *a, uint32_t i, uint32_t id, bool *list_changed)
{
	const struct cls_rule *r = &a->rules[id];
	struct tbl *t = a->tabs[i].t;
	uint32_t fp = rule_fp(t, r);
	struct slot *s = tbl_find(t, fp);
	uint32_t n = bucket_n(s);
	/* A better rule of the bucket covers it: it can never be the answer
	 * while that one stays, so it is not stored (shadowed rules would
	 * otherwise pile up in the buckets of wide rules); it comes back when
	 * that rule is removed. */
	for (uint32_t j = 0; j < n && (s->bk->r[j].order >> 32) <= r->prio; j++) {
		uint32_t cid = (uint32_t)s->bk->r[j].order;
		if (cid != a->removing && s->bk->r[j].order < ((uint64_t)r->prio << 32 | id) && cls_rule_covers(&a->rules[cid], r)) {
			a->tuple_of[id] = HIDDEN;
			a->hidden_next[id] = a->hidden_head[cid];
			a->hidden_head[cid] = id;
			a->nhidden++;
			return 0;
		}
	}
	struct bucket *nb = malloc(sizeof(*nb) + sizeof(nb->r[0]) * (n + 1));
	if (!nb)
		return -ENOMEM;
	if (!s->bk && (uint64_t)(t->used + 1) * LOAD_DEN > (uint64_t)t->size * LOAD_NUM) {
		struct tbl *g = tbl_grow(t);
		if (!g) {
			free(nb);
			return -ENOMEM;
		}
		a->tabs[i].t = g;
		*list_changed = true;
		if (a->building) {
			free(t->slots);
			free(t);
		} else {
			tbl_free_shallow(a, t); /* freed after the list without it is out */
		}
		t = g;
		s = tbl_find(t, fp); /* a new key: n stays 0 */
	}
	struct crule c;
	crule_of(r, id, &c);
	uint32_t k = 0;
	nb->n = n + 1;
	for (uint32_t j = 0; j < n; j++) {
		if (k == j && s->bk->r[j].order > c.order)
			nb->r[k++] = c;
		nb->r[k++] = s->bk->r[j];
	}
	if (k == n)
		nb->r[k] = c;
	struct bucket *old = s->bk;
	if (!old) {
		s->fp = fp;
		t->used++;
	}
	__atomic_store_n(&s->bk, nb, __ATOMIC_RELEASE);
	defer_free(a, old);
	t->nrules++;
	if (c.order < a->tabs[i].best) {
		a->tabs[i].best = c.order;
		*list_changed = true;
	}
	a->tuple_of[id] = t->tuple;
	return 0;
}

static int place(struct cls_acl *a, uint32_t id, bool *list_changed)
{
	const struct cls_rule *r = &a->rules[id];
	uint32_t rt = rule_tuple(r);
	for (uint32_t i = 0; i < a->ntabs; i++) {
		struct tbl *t = a->tabs[i].t;
		if (!tuple_fits(t->tuple, rt))
			continue;
		if (bucket_n(tbl_find(t, rule_fp(t, r))) < COLLIDE)
			return tab_insert(a, i, id, list_changed);
	}
	/* A new table: lengths relaxed and no exact field first (few tables);
	 * where that one exists (its bucket for this rule is full), exact
	 * fields; then the rule's own tuple. */
	uint32_t rl = relax_len(rt & 0xff) | relax_len((rt >> 8) & 0xff) << 8;
	uint32_t cand[3] = {rl, rl | (rt & 0xff0000), rt}, relaxed = rt;
	int i = -1;
	for (int c = 0; c < 3; c++)
		if ((i = tab_index(a, cand[c])) < 0) {
			relaxed = cand[c];
			break;
		}
	if (i >= 0)
		return tab_insert(a, (uint32_t)i, id, list_changed);
	if (tabs_reserve(a) < 0)
		return -ENOMEM;
	struct tbl *t = tbl_new(relaxed, 16);
	if (!t)
		return -ENOMEM;
	a->tabs[a->ntabs].t = t;
	a->tabs[a->ntabs].best = UINT64_MAX;
	a->ntabs++;
	*list_changed = true;
	int rc = tab_insert(a, a->ntabs - 1, id, list_changed);
	if (rc < 0) {
		a->ntabs--;
		free(t->slots);
		free(t);
	}
	return rc;
}

static int ids_reserve(struct cls_acl *a, uint32_t n)
{
	if (n <= a->capid)
		return 0;
	uint32_t cap = a->capid ? a->capid : 64;
	while (cap < n)
		cap *= 2;
	struct cls_rule *r = realloc(a->rules, sizeof(*r) * cap);
	if (!r)
		return -ENOMEM;
	a->rules = r;
	uint32_t *t = realloc(a->tuple_of, sizeof(*t) * cap);
	if (!t)
		return -ENOMEM;
	a->tuple_of = t;
	if (!(t = realloc(a->hidden_head, sizeof(*t) * cap)))
		return -ENOMEM;
	a->hidden_head = t;
	if (!(t = realloc(a->hidden_next, sizeof(*t) * cap)))
		return -ENOMEM;
	a->hidden_next = t;
	a->capid = cap;
	return 0;
}

static void tbl_free_deep(struct tbl *t)
{
	for (uint32_t i = 0; i < t->size; i++)
		if (t->slots[i].bk != &empty_bucket)
			free(t->slots[i].bk);
	free(t->slots);
	free(t);
}

void cls_acl_free(struct cls_acl *a)
{
	if (!a)
		return;
	for (uint32_t i = 0; i < a->ndq; i++)
		free(a->dq[i].p);
	for (uint32_t i = 0; i < a->ntabs; i++)
		tbl_free_deep(a->tabs[i].t);
	free(a->dq);
	free(a->spare);
	free(a->tabs);
	free(a->img);
	free(a->rules);
	free(a->tuple_of);
	free(a->hidden_head);
	free(a->hidden_next);
	free(a);
}

int cls_acl_build(const struct cls_rule *rules, uint32_t n, struct rte_rcu_qsbr *qsbr, struct cls_acl **out,
		  struct rt_err *err)
{
	struct cls_acl *a = calloc(1, sizeof(*a));
	if (!a || ids_reserve(a, n ? n : 1) < 0)
		goto nomem;
	a->qsbr = qsbr;
	a->removing = NONE;
	a->building = true;
	if (n)
		memcpy(a->rules, rules, sizeof(*rules) * n);
	a->nid = a->nlive = n;
	for (uint32_t i = 0; i < n; i++)
		a->hidden_head[i] = NONE;
	bool changed = false;
	for (uint32_t i = 0; i < n; i++)
		if (place(a, i, &changed) < 0)
			goto nomem;
	if (publish(a) < 0)
		goto nomem;
	a->building = false;
	*out = a;
	return 0;
nomem:
	cls_acl_free(a);
	return rt_errf(err, NULL, -ENOMEM, "out of memory building a classifier of %u rules", n);
}

int cls_acl_add(struct cls_acl *a, const struct cls_rule *r, uint32_t *id, struct rt_err *err)
{
	if (ids_reserve(a, a->nid + 1) < 0)
		return rt_errf(err, NULL, -ENOMEM, "out of memory adding a rule");
	uint32_t i = a->nid;
	a->rules[i] = *r;
	a->hidden_head[i] = NONE;
	bool changed = false;
	/* place() fails only before it changes anything; with a table list
	 * ready (one more table at most), publish cannot fail after it */
	/* an add replaces at most a bucket, a table and its slots, and a list */
	if (dq_reserve(a, 4) < 0 || spare_reserve(a, a->ntabs + 1) < 0 || place(a, i, &changed) < 0)
		return rt_errf(err, NULL, -ENOMEM, "out of memory adding a rule");
	if (changed)
		publish(a);
	defer_commit(a);
	a->nid++;
	a->nlive++;
	if (id)
		*id = i;
	cls_acl_reclaim(a);
	return 0;
}

/* Store the rules `id` hides (they are worse and covered by it, so this
 * changes no result while it stays), before it goes.  On failure those not
 * stored stay hidden behind it and it stays. */
static int unhide(struct cls_acl *a, uint32_t id)
{
	a->removing = id;
	int rc = 0;
	while (a->hidden_head[id] != NONE) {
		uint32_t h = a->hidden_head[id], next = a->hidden_next[h]; /* place() may chain h elsewhere */
		if (a->tuple_of[h] == HIDDEN) {
			bool changed = false;
			if (dq_reserve(a, 4) < 0 || spare_reserve(a, a->ntabs + 1) < 0) {
				rc = -ENOMEM;
				break;
			}
			a->tuple_of[h] = REMOVED; /* place() sets it */
			if ((rc = place(a, h, &changed)) < 0) {
				a->tuple_of[h] = HIDDEN;
				break;
			}
			a->nhidden--;
			if (changed)
				publish(a);
		}
		a->hidden_head[id] = next;
	}
	a->removing = NONE;
	return rc;
}

int cls_acl_remove(struct cls_acl *a, uint32_t id, struct rt_err *err)
{
	if (id >= a->nid || a->tuple_of[id] == REMOVED)
		return rt_errf(err, NULL, -ENOENT, "no rule %u", id);
	if (a->tuple_of[id] == HIDDEN) {
		/* not stored: forget it (its entry in a chain is skipped) */
		a->tuple_of[id] = REMOVED;
		a->nhidden--;
		a->nlive--;
		return 0;
	}
	if (unhide(a, id) < 0) {
		defer_commit(a);
		return rt_errf(err, NULL, -ENOMEM, "out of memory removing rule %u (it stays)", id);
	}
	int i = tab_index(a, a->tuple_of[id]);
	struct tbl *t = a->tabs[i].t;
	const struct cls_rule *r = &a->rules[id];
	struct slot *s = tbl_find(t, rule_fp(t, r));
	struct bucket *ob = s->bk, *nb = &empty_bucket;
	if (ob->n > 1) {
		nb = malloc(sizeof(*nb) + sizeof(nb->r[0]) * (ob->n - 1));
		if (!nb)
			return rt_errf(err, NULL, -ENOMEM, "out of memory removing a rule");
		nb->n = 0;
		for (uint32_t j = 0; j < ob->n; j++)
			if ((uint32_t)ob->r[j].order != id)
				nb->r[nb->n++] = ob->r[j];
	}
	if (dq_reserve(a, 4) < 0) {
		if (nb != &empty_bucket)
			free(nb);
		return rt_errf(err, NULL, -ENOMEM, "out of memory removing a rule");
	}
	if (t->nrules == 1) {
		/* the table goes: publish the list without it first */
		if (spare_reserve(a, a->ntabs) < 0) {
			if (nb != &empty_bucket)
				free(nb);
			return rt_errf(err, NULL, -ENOMEM, "out of memory removing a rule");
		}
		a->tabs[i] = a->tabs[--a->ntabs];
		publish(a);
		defer_free(a, ob);
		tbl_free_shallow(a, t);
	} else {
		__atomic_store_n(&s->bk, nb, __ATOMIC_RELEASE);
		defer_free(a, ob);
		t->nrules--;
	}
	defer_commit(a);
	a->tuple_of[id] = UINT32_MAX;
	a->nlive--;
	cls_acl_reclaim(a);
	return 0;
}

const struct cls_rule *cls_acl_rule(const struct cls_acl *a, uint32_t id)
{
	return id < a->nid && a->tuple_of[id] != REMOVED ? &a->rules[id] : NULL;
}

uint32_t cls_acl_id_limit(const struct cls_acl *a) { return a->nid; }

void cls_acl_stats(const struct cls_acl *a, struct cls_acl_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->rules = a->nlive;
	st->hidden = a->nhidden;
	st->tables = a->ntabs;
	st->mem_bytes = sizeof(struct img) + sizeof(struct img_ent) * a->ntabs;
	for (uint32_t i = 0; i < a->ntabs; i++) {
		const struct tbl *t = a->tabs[i].t;
		unsigned ex = t->tuple >> 16;
		st->exact_proto_tables += !!(ex & EX_PROTO);
		st->exact_port_tables += !!(ex & (EX_SPORT | EX_DPORT));
		st->mem_bytes += sizeof(*t) + sizeof(struct slot) * t->size;
		for (uint32_t j = 0; j < t->size; j++) {
			const struct bucket *b = t->slots[j].bk;
			if (b && b != &empty_bucket) {
				st->mem_bytes += sizeof(*b) + sizeof(b->r[0]) * b->n;
				if (b->n > st->max_bucket)
					st->max_bucket = b->n;
			}
		}
	}
}

/* ---- lookup --------------------------------------------------------------------------- */

static inline bool crule_match(const struct crule *r, const struct cls_key *k)
{
	return ((k->src & r->smask) == r->src) & ((k->dst & r->dmask) == r->dst) & (k->sport >= r->splo) &
	       (k->sport <= r->sphi) & (k->dport >= r->dplo) & (k->dport <= r->dphi) &
	       ((k->proto & r->pmask) == r->proto) & ((k->flags & r->fmask) == r->flags);
}

static void lookup64(const struct img *im, const struct cls_key *keys, uint32_t n, uint32_t *ids, uint32_t *classes)
{
	uint64_t best[64];
	uint32_t cls[64];
	uint8_t idx[64];
	uint32_t h[64];
	const struct bucket *bk[64];
	for (uint32_t i = 0; i < n; i++)
		best[i] = UINT64_MAX, cls[i] = CLS_NOMATCH;
	for (uint32_t ti = 0; ti < im->n; ti++) {
		const struct tbl *t = im->e[ti].t;
		uint64_t tb = im->e[ti].best;
		uint32_t cnt = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (best[i] <= tb)
				continue;
			const struct cls_key *k = &keys[i];
			h[cnt] = hash3(k->src & t->smask, k->dst & t->dmask, key_c(k->proto, k->sport, k->dport) & t->cmask);
			rte_prefetch0(&t->slots[h[cnt] >> t->shift]);
			idx[cnt++] = (uint8_t)i;
		}
		if (!cnt)
			break; /* tables are in best order: none can improve any key */
		uint32_t m = t->size - 1, nb = 0;
		for (uint32_t j = 0; j < cnt; j++) {
			uint32_t fp = h[j];
			for (uint32_t s = fp >> t->shift;; s = (s + 1) & m) {
				const struct slot *sl = &t->slots[s];
				const struct bucket *p = __atomic_load_n(&sl->bk, __ATOMIC_ACQUIRE);
				if (!p)
					break;
				if (sl->fp == fp) {
					if (p->n) {
						rte_prefetch0(p->r);
						bk[nb] = p;
						idx[nb++] = idx[j];
					}
					break;
				}
			}
		}
		for (uint32_t j = 0; j < nb; j++) {
			uint32_t i = idx[j];
			const struct bucket *p = bk[j];
			for (uint32_t r = 0; r < p->n; r++) {
				const struct crule *cr = &p->r[r];
				if (cr->order >= best[i])
					break;
				if (crule_match(cr, &keys[i])) {
					best[i] = cr->order;
					cls[i] = cr->cls;
					break;
				}
			}
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		ids[i] = best[i] == UINT64_MAX ? CLS_NOMATCH : (uint32_t)best[i];
		if (classes)
			classes[i] = cls[i];
	}
}

void cls_acl_lookup(const struct cls_acl *a, const struct cls_key *keys, uint32_t n, uint32_t *ids, uint32_t *classes)
{
	const struct img *im = __atomic_load_n(&a->img, __ATOMIC_ACQUIRE);
	for (uint32_t o = 0; o < n; o += 64)
		lookup64(im, keys + o, RT_MIN(n - o, 64u), ids + o, classes ? classes + o : NULL);
}
