/*
 * mig_fib_trie.c - the multi-FIB multibit trie (layout in mig_fib.h and
 * kernels/fib.h): built from the canonical form's binary trie by leaf
 * pushing, with the per-FIB next-hop vectors deduplicated through a hash
 * table, and updated in place one route at a time.
 *
 * Building walks the binary trie once.  A block (the 65536-entry root or a
 * 256-entry node) covering bits [d, d + s) is filled by descending the
 * binary trie s levels, carrying the vector of next hops each FIB inherits
 * from the prefixes above; where the binary trie ends the whole range gets
 * that vector's leaf, and where it goes deeper than d + s a child node is
 * filled the same way.  An update re-fills only the entries under the
 * changed prefix (one block's range, or one entry's subtree).
 */
#include <errno.h>
#include <stdlib.h>

#include "mig_fib_int.h"

#define MAXNODES (1u << 23)   /* node c's entries end below 2^31 */
#define VFREE UINT32_MAX

struct mig_fib_trie_int {
	uint32_t *tab, *nh;      /* writable views of the trie's arrays */
	bool growable;           /* first build: no readers yet, arrays may move */
	uint32_t nnodes, node_cap;
	/* vector index + 1 by hash, linear probing; host only */
	uint32_t *vh, vh_mask, vh_used;
	/* leaf entries using each vector (vector 0 is not counted), VFREE for
	 * free vectors; the free vectors; how many have no user */
	uint32_t *ref;
	uint32_t *vfree, nvfree, vfree_cap;
	uint32_t nzero;
	uint32_t *zl, nzl, zl_cap;   /* vectors whose count fell to 0 */
	/* nodes free for reuse, and unlinked ones waiting for a grace period */
	uint32_t *freed, nfreed, freed_cap;
	uint32_t *pending, npending, pending_cap;
	/* inherited vectors by binary depth 0..128, and a walk's base (129) */
	uint32_t *scratch;
	uint32_t *none;          /* all MIG_FIB_NONE */
	int rc;                  /* first failure of a fill */
};

static int push(uint32_t **a, uint32_t *n, uint32_t *cap, uint32_t v)
{
	if (*n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 256;
		uint32_t *p = realloc(*a, (size_t)c * sizeof(uint32_t));
		if (!p)
			return -ENOMEM;
		*a = p;
		*cap = c;
	}
	(*a)[(*n)++] = v;
	return 0;
}

static void dirty_tab(struct mig_fib_trie *t, uint32_t lo, uint32_t hi)
{
	struct mig_fib_dirty *d = &t->dirty;
	if (d->tab_lo == d->tab_hi)
		d->tab_lo = lo, d->tab_hi = hi;
	else
		d->tab_lo = RT_MIN(d->tab_lo, lo), d->tab_hi = RT_MAX(d->tab_hi, hi);
}

/* One entry store: what it points to is written before it is (release). */
static void store(struct mig_fib_trie *t, uint32_t i, uint32_t v)
{
	__atomic_store_n(&t->in->tab[i], v, __ATOMIC_RELEASE);
}

/* ---- vectors ---------------------------------------------------------------- */

static uint32_t vec_hash(const uint32_t *v, uint32_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ v[i]) * 0xff51afd7ed558ccdull;
	return (uint32_t)(h ^ h >> 29);
}

/* Put every live vector into a zeroed table of `size` slots, which
 * replaces the old one. */
static void vh_fill(struct mig_fib_trie *t, uint32_t *vh, uint32_t size)
{
	struct mig_fib_trie_int *in = t->in;
	in->vh_used = 0;
	for (uint32_t v = 0; v < t->nvec; v++) {
		if (in->ref[v] == VFREE)
			continue;
		in->vh_used++;
		uint32_t i = vec_hash(in->nh + (size_t)v * t->nfib, t->nfib) & (size - 1);
		while (vh[i])
			i = (i + 1) & (size - 1);
		vh[i] = v + 1;
	}
	free(in->vh);
	in->vh = vh;
	in->vh_mask = size - 1;
}

static int vh_grow(struct mig_fib_trie *t)
{
	uint32_t size = t->in->vh_mask ? (t->in->vh_mask + 1) * 2 : 1024;
	uint32_t *vh = calloc(size, sizeof(uint32_t));
	if (!vh)
		return -ENOMEM;
	vh_fill(t, vh, size);
	return 0;
}

/* Forget vector v in the hash (linear probing: shift back the entries
 * after it that would no longer be found). */
static void vh_del(struct mig_fib_trie *t, uint32_t v)
{
	struct mig_fib_trie_int *in = t->in;
	uint32_t m = in->vh_mask;
	uint32_t i = vec_hash(in->nh + (size_t)v * t->nfib, t->nfib) & m;
	while (in->vh[i] != v + 1)
		i = (i + 1) & m;
	for (uint32_t j = (i + 1) & m; in->vh[j]; j = (j + 1) & m) {
		uint32_t home = vec_hash(in->nh + (size_t)(in->vh[j] - 1) * t->nfib, t->nfib) & m;
		/* j's entry may move to i if its home is not in (i, j] */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			in->vh[i] = in->vh[j];
			i = j;
		}
	}
	in->vh[i] = 0;
	in->vh_used--;
}

/* The index of vector v, added if new; <0 when out of room. */
static int64_t intern(struct mig_fib_trie *t, const uint32_t *v)
{
	struct mig_fib_trie_int *in = t->in;
	size_t bytes = (size_t)t->nfib * sizeof(uint32_t);
	uint32_t i = vec_hash(v, t->nfib) & in->vh_mask;
	for (; in->vh[i]; i = (i + 1) & in->vh_mask) {
		uint32_t x = in->vh[i] - 1;
		if (!memcmp(in->nh + (size_t)x * t->nfib, v, bytes))
			return x;
	}
	uint32_t x;
	if (in->nvfree) {
		x = in->vfree[--in->nvfree];
	} else {
		if (t->nvec == t->vec_cap) {
			if (!in->growable || (uint64_t)t->vec_cap * 2 * t->nfib >= (1ull << 31))
				return -ENOSPC;
			uint32_t *p = realloc(in->nh, (size_t)t->vec_cap * 2 * bytes);
			uint32_t *q = p ? realloc(in->ref, (size_t)t->vec_cap * 2 * sizeof(uint32_t)) : NULL;
			if (p)
				t->nh = in->nh = p;
			if (!q)
				return -ENOMEM;
			in->ref = q;
			t->vec_cap *= 2;
		}
		x = t->nvec++;
	}
	/* Nothing uses x yet (a free vector's last reader is gone). */
	memcpy(in->nh + (size_t)x * t->nfib, v, bytes);
	in->ref[x] = 0;
	if (x) {
		in->nzero++;
		push(&in->zl, &in->nzl, &in->zl_cap, x);   /* failing: kept until a rebuild */
	}
	struct mig_fib_dirty *d = &t->dirty;
	if (d->nh_lo == d->nh_hi)
		d->nh_lo = x * t->nfib, d->nh_hi = (x + 1) * t->nfib;
	else
		d->nh_lo = RT_MIN(d->nh_lo, x * t->nfib), d->nh_hi = RT_MAX(d->nh_hi, (x + 1) * t->nfib);
	in->vh[i] = x + 1;
	if (++in->vh_used * 2 > in->vh_mask && vh_grow(t) < 0)
		return -ENOMEM;
	return x;
}

/* ---- nodes ------------------------------------------------------------------ */

static int64_t node_alloc(struct mig_fib_trie *t)
{
	struct mig_fib_trie_int *in = t->in;
	uint32_t c;
	if (in->nfreed) {
		c = in->freed[--in->nfreed];
		goto zero;
	}
	if (in->nnodes == in->node_cap) {
		if (!in->growable || in->node_cap >= MAXNODES)
			return -ENOSPC;
		uint32_t cap = RT_MIN(in->node_cap * 2, MAXNODES);
		uint32_t *p = realloc(in->tab, ((size_t)MIG_FIB_NODES + (size_t)cap * 256) * sizeof(uint32_t));
		if (!p)
			return -ENOMEM;
		t->tab = in->tab = p;
		in->node_cap = cap;
		t->tab_cap = MIG_FIB_NODES + cap * 256;
	}
	t->ntab = MIG_FIB_NODES + (in->nnodes + 1) * 256;
	c = in->nnodes++;
zero:
	/* Not linked yet: plain stores.  All leaf 0 until filled, and dirty
	 * as a whole (the device's copy of it is stale). */
	memset(&in->tab[mig_fib_child(c, 0)], 0, 256 * sizeof(uint32_t));
	dirty_tab(t, mig_fib_child(c, 0), mig_fib_child(c, 0) + 256);
	return c;
}

static void unref(struct mig_fib_trie *t, uint32_t v)
{
	struct mig_fib_trie_int *in = t->in;
	if (v && --in->ref[v] == 0) {
		in->nzero++;
		push(&in->zl, &in->nzl, &in->zl_cap, v);   /* failing: kept until a rebuild */
	}
}

static void use(struct mig_fib_trie *t, uint32_t v)
{
	if (v && t->in->ref[v]++ == 0)
		t->in->nzero--;
}

/* Unlink the subtree under node entry e: its nodes wait for reclaim. */
static void unlink_tree(struct mig_fib_trie *t, uint32_t e)
{
	struct mig_fib_trie_int *in = t->in;
	uint32_t c = e & ~MIG_FIB_NODE;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t x = in->tab[mig_fib_child(e, i)];
		if (x & MIG_FIB_NODE)
			unlink_tree(t, x);
		else
			unref(t, x);
	}
	if (push(&in->pending, &in->npending, &in->pending_cap, c) < 0 && !in->rc)
		in->rc = -ENOMEM;   /* the node leaks until the next rebuild */
}

/* ---- filling ---------------------------------------------------------------- */

/* Make entries [ent, ent + count) leaf v, unlinking nodes they replace;
 * entries already right are not written (nor marked dirty). */
static void set_leaf(struct mig_fib_trie *t, uint32_t ent, uint32_t count, uint32_t v)
{
	for (uint32_t i = ent; i < ent + count; i++) {
		uint32_t old = t->in->tab[i];
		if (old == v)
			continue;
		if (old & MIG_FIB_NODE)
			unlink_tree(t, old);
		else
			unref(t, old);
		use(t, v);
		store(t, i, v);
		dirty_tab(t, i, i + 1);
	}
}

/*
 * Fill `count` = 2^(s - k) entries from tab[ent] for binary node b at depth
 * `depth`, which is k bits below the start of a block of stride s.  inh is
 * what each FIB inherits from the prefixes above b (not b's own routes).
 * Entries that are nodes and stay nodes are filled in place: the trie's
 * shape under an entry only depends on the prefixes longer than the entry,
 * so an update re-fills leaves and allocates only where a leaf becomes a
 * node.
 */
static void fill(struct mig_fib_trie *t, const struct mig_fib *f, uint32_t b, unsigned depth, unsigned k,
		 unsigned s, const uint32_t *inh, uint32_t ent, uint32_t count)
{
	struct mig_fib_trie_int *in = t->in;
	if (in->rc)
		return;
	if (!b) {
		int64_t v = intern(t, inh);
		if (v < 0)
			in->rc = (int)v;
		else
			set_leaf(t, ent, count, (uint32_t)v);
		return;
	}
	const struct mig_fib_bnode *n = &f->bn[b];
	const uint32_t *cur = inh;
	if (n->slot) {
		uint32_t *v = in->scratch + (size_t)depth * t->nfib;
		const uint32_t *own = mig_fib_slot_nh(f, n->slot);
		for (uint32_t i = 0; i < t->nfib; i++)
			v[i] = own[i] != MIG_FIB_NONE ? own[i] : inh[i];
		cur = v;
	}
	if (k < s) {
		uint32_t half = count / 2;
		uint32_t c0 = n->child[0], c1 = n->child[1];
		fill(t, f, c0, depth + 1, k + 1, s, cur, ent, half);
		fill(t, f, c1, depth + 1, k + 1, s, cur, ent + half, half);
		return;
	}
	if (!n->child[0] && !n->child[1]) {
		fill(t, f, 0, depth, k, s, cur, ent, 1);
		return;
	}
	uint32_t old = in->tab[ent];
	if (old & MIG_FIB_NODE) {
		fill(t, f, b, depth, 0, 8, inh, mig_fib_child(old, 0), 256);
		return;
	}
	int64_t c = node_alloc(t);
	if (c < 0) {
		in->rc = (int)c;
		return;
	}
	uint32_t e = MIG_FIB_NODE | (uint32_t)c;
	fill(t, f, b, depth, 0, 8, inh, mig_fib_child(e, 0), 256);
	if (in->rc)
		return;
	store(t, ent, e);
	dirty_tab(t, ent, ent + 1);
}

/* ---- build ------------------------------------------------------------------ */

static int trie_alloc(struct mig_fib_trie **out, uint32_t nfib, uint32_t node_cap, uint32_t vec_cap)
{
	struct mig_fib_trie *t = calloc(1, sizeof(*t));
	struct mig_fib_trie_int *in = calloc(1, sizeof(*in));
	if (!t || !in) {
		free(t);
		free(in);
		return -ENOMEM;
	}
	t->in = in;
	t->nfib = nfib;
	in->node_cap = node_cap;
	t->tab_cap = MIG_FIB_NODES + node_cap * 256;
	t->vec_cap = vec_cap;
	t->tab = in->tab = malloc((size_t)t->tab_cap * sizeof(uint32_t));
	t->nh = in->nh = malloc((size_t)vec_cap * nfib * sizeof(uint32_t));
	in->ref = malloc((size_t)vec_cap * sizeof(uint32_t));
	in->scratch = malloc((size_t)130 * nfib * sizeof(uint32_t));
	in->none = malloc((size_t)nfib * sizeof(uint32_t));
	*out = t;
	if (!in->tab || !in->nh || !in->ref || !in->scratch || !in->none || vh_grow(t) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < nfib; i++)
		in->none[i] = MIG_FIB_NONE;
	t->ntab = MIG_FIB_NODES;
	memset(in->tab, 0, MIG_FIB_NODES * sizeof(uint32_t));
	return intern(t, in->none) < 0 ? -ENOMEM : 0;   /* vector 0 */
}

void mig_fib_trie_free(struct mig_fib_trie *t)
{
	if (!t)
		return;
	struct mig_fib_trie_int *in = t->in;
	free(in->tab);
	free(in->nh);
	free(in->vh);
	free(in->ref);
	free(in->vfree);
	free(in->zl);
	free(in->freed);
	free(in->pending);
	free(in->scratch);
	free(in->none);
	free(in);
	free(t);
}

int mig_fib_trie_build(const struct mig_fib *f, unsigned headroom_pct, struct mig_fib_trie **out,
		       struct rt_err *err)
{
	struct mig_fib_trie *t = NULL;
	int rc = trie_alloc(&t, f->nfib, 1024, 1024);
	if (rc == 0) {
		t->in->growable = true;
		fill(t, f, f->root[0], 0, 0, 16, t->in->none, MIG_FIB_ROOT4, 65536);
		fill(t, f, f->root[1], 0, 0, 16, t->in->none, MIG_FIB_ROOT6, 65536);
		rc = t->in->rc;
	}
	if (rc < 0) {
		mig_fib_trie_free(t);
		return rt_errf(err, NULL, rc, "fib: building the trie: %s",
			       rc == -ENOSPC ? "over 2^23 nodes or 2^31 next hops" : "out of memory");
	}
	/* Shrink to what is used plus the headroom; from now on the arrays
	 * never move (lookups may be running on them). */
	struct mig_fib_trie_int *in = t->in;
	uint64_t nodes = in->nnodes + (uint64_t)in->nnodes * headroom_pct / 100;
	uint64_t vecs = t->nvec + (uint64_t)t->nvec * headroom_pct / 100;
	if (headroom_pct)   /* room for a few updates even in a small trie */
		nodes += 64, vecs += 64;
	in->node_cap = (uint32_t)RT_MIN(nodes, MAXNODES);
	vecs = RT_MIN(vecs, ((1ull << 31) - 1) / t->nfib);
	t->vec_cap = (uint32_t)RT_MAX(vecs, t->nvec);
	t->tab_cap = MIG_FIB_NODES + in->node_cap * 256;
	uint32_t *p = realloc(in->tab, (size_t)t->tab_cap * sizeof(uint32_t));
	uint32_t *q = p ? realloc(in->nh, (size_t)t->vec_cap * t->nfib * sizeof(uint32_t)) : NULL;
	uint32_t *rf = q ? realloc(in->ref, (size_t)t->vec_cap * sizeof(uint32_t)) : NULL;
	if (p)
		t->tab = in->tab = p;
	if (q)
		t->nh = in->nh = q;
	if (rf)
		in->ref = rf;
	if (!rf) {
		mig_fib_trie_free(t);
		return rt_errf(err, NULL, -ENOMEM, "fib: building the trie: out of memory");
	}
	in->growable = false;
	t->version = f->version;
	t->checksum = f->checksum;
	t->dirty = (struct mig_fib_dirty){0, t->ntab, 0, t->nvec * t->nfib};
	*out = t;
	return 0;
}

size_t mig_fib_trie_bytes(const struct mig_fib_trie *t)
{
	return ((size_t)t->ntab + (size_t)t->nvec * t->nfib) * sizeof(uint32_t);
}

size_t mig_fib_trie_bytes_alloc(const struct mig_fib_trie *t)
{
	return ((size_t)t->tab_cap + (size_t)t->vec_cap * t->nfib) * sizeof(uint32_t);
}

/* ---- updates ---------------------------------------------------------------- */

/* Walk the binary trie along r's prefix from node *b at depth *d down to
 * depth `to`, folding the routes passed into base (*b becomes 0 where the
 * trie ends). */
static void descend(const struct mig_fib *f, const struct mig_fib_route *r, uint32_t *b, unsigned *d, unsigned to,
		    uint32_t *base)
{
	for (; *d < to; (*d)++) {
		if (!*b)
			continue;
		const struct mig_fib_bnode *n = &f->bn[*b];
		if (n->slot) {
			const uint32_t *own = mig_fib_slot_nh(f, n->slot);
			for (uint32_t i = 0; i < f->nfib; i++)
				if (own[i] != MIG_FIB_NONE)
					base[i] = own[i];
		}
		*b = n->child[mig_fib_bit(r->addr, *d)];
	}
}

/* Bits [from, from + n) of r's prefix as a number. */
static uint32_t bits(const struct mig_fib_route *r, unsigned from, unsigned n)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 1 | mig_fib_bit(r->addr, from + i);
	return v;
}

int mig_fib_trie_apply(struct mig_fib_trie *t, const struct mig_fib *f, const struct mig_fib_route *r,
		       struct rt_err *err)
{
	struct mig_fib_trie_int *in = t->in;
	char s[80];
	if (f->nfib != t->nfib || (r->af != 4 && r->af != 6) || r->len > (r->af == 4 ? 32 : 128))
		return rt_errf(err, NULL, -EINVAL, "%s: not a route of this trie's FIBs",
			       mig_fib_route_str(r, s, sizeof(s)));
	uint32_t *base = in->scratch + (size_t)129 * t->nfib;
	memcpy(base, in->none, t->nfib * sizeof(uint32_t));
	uint32_t b = f->root[r->af == 6];
	unsigned bd = 0, d = 0, stride = 16;
	uint32_t blk = r->af == 6 ? MIG_FIB_ROOT6 : MIG_FIB_ROOT4;
	in->rc = 0;
	for (;;) {
		if (r->len <= bd + stride) {
			/* The prefix ends in this block: re-fill its range. */
			uint32_t k = r->len - bd, count = 1u << (stride - k);
			uint32_t ent = blk + (bits(r, bd, k) << (stride - k));
			descend(f, r, &b, &d, r->len, base);
			fill(t, f, b, r->len, k, stride, base, ent, count);
			break;
		}
		uint32_t ent = blk + bits(r, bd, stride);
		uint32_t e = in->tab[ent];
		descend(f, r, &b, &d, bd + stride, base);
		bool deeper = b && (f->bn[b].child[0] || f->bn[b].child[1]);
		if ((e & MIG_FIB_NODE) && deeper) {
			blk = mig_fib_child(e, 0);
			bd += stride;
			stride = 8;
			continue;
		}
		/* A leaf that must become a node, or a node no longer needed. */
		fill(t, f, b, bd + stride, stride, stride, base, ent, 1);
		break;
	}
	if (in->rc < 0)
		return rt_errf(err, NULL, in->rc, "%s: updating the trie: %s", mig_fib_route_str(r, s, sizeof(s)),
			       in->rc == -ENOSPC ? "out of headroom, rebuild it" : "out of memory");
	t->version = f->version;
	t->checksum = f->checksum;
	return 0;
}

void mig_fib_trie_reclaim(struct mig_fib_trie *t)
{
	struct mig_fib_trie_int *in = t->in;
	for (uint32_t i = 0; i < in->npending; i++)
		if (push(&in->freed, &in->nfreed, &in->freed_cap, in->pending[i]) < 0)
			break;   /* kept pending; the next reclaim retries */
		else
			in->pending[i] = UINT32_MAX;
	uint32_t n = 0;
	for (uint32_t i = 0; i < in->npending; i++)
		if (in->pending[i] != UINT32_MAX)
			in->pending[n++] = in->pending[i];
	in->npending = n;
	/* Vectors no leaf uses (again) since the last reclaim: free them. */
	for (uint32_t k = 0; k < in->nzl; k++) {
		uint32_t v = in->zl[k];
		if (in->ref[v] != 0 || push(&in->vfree, &in->nvfree, &in->vfree_cap, v) < 0)
			continue;
		vh_del(t, v);
		in->ref[v] = VFREE;
		in->nzero--;
	}
	in->nzl = 0;
}

uint32_t mig_fib_trie_garbage(const struct mig_fib_trie *t)
{
	return t->in->nzero;
}
