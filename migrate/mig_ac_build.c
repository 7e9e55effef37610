/*
 * mig_ac_build.c - compile a pattern set into the flat Aho-Corasick DFA of
 * kernels/ac.h.
 *
 * 1. Byte classes (alphabet compression): bytes that no pattern position
 *    tells apart share a class, so a row of the transition table has one
 *    entry per class, not 256.  A case-insensitive letter shares a class
 *    with its other case unless some case-sensitive pattern uses either.
 * 2. A trie whose edges are labelled with byte sets: one byte, or a letter
 *    in both cases for case-insensitive patterns.  Identical labels share
 *    nodes, so "abc" and a case-insensitive "ABC" are two paths.
 * 3. The DFA by subset construction over trie nodes: a state is the set of
 *    trie nodes whose path is a suffix of the text read so far (the root
 *    always).  For literal patterns that set is a node and its failure
 *    chain, so this is the classic automaton with every failure link
 *    resolved; with mixed case it stays exact where the classic trie
 *    expansion of case variants would be exponential.  A state's row is
 *    its parent's row (the set without its deepest node, which for literal
 *    patterns is the failure state) with only the classes of the deepest
 *    node's children redone, so the work is O(states * classes) for the
 *    row copies plus one set lookup per trie edge, as in the classic build.
 * 4. Output states are numbered last (kernels/ac.h) and each gets the
 *    ascending list of the pattern ids that end in it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "mig_ac.h"

#define DEFAULT_MAX_BYTES (1ull << 30)
#define LBL_OTHER 512u

/* ---- growable uint32 vectors --------------------------------------------- */

struct vec {
	uint32_t *v;
	size_t n, cap;
};

static int vec_reserve(struct vec *a, size_t more)
{
	if (a->n + more <= a->cap)
		return 0;
	size_t cap = a->cap ? a->cap : 1024;
	while (cap < a->n + more)
		cap *= 2;
	uint32_t *v = realloc(a->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	a->v = v;
	a->cap = cap;
	return 0;
}

/* ---- the builder ---------------------------------------------------------- */

struct bld {
	const struct mig_ac_set *set;
	uint8_t cls[256];
	uint32_t ncls;
	/* trie: node 0 is the root; node v >= 1 hangs from parent[v] by label[v] */
	uint32_t nnodes;
	uint32_t *parent, *label;
	uint32_t *kid_off, *kid;       /* CSR children of each node */
	uint32_t *term_off, *term;     /* CSR patterns (indices) ending at each node */
	/* edge hash (node, label) -> child + 1, while inserting */
	uint64_t *ekey;
	uint32_t *eval;
	size_t ecap;
	/* root children per class (at most two: one-byte and both-case labels) */
	uint32_t (*rootc)[2];
	uint8_t *rootn;
	/* DFA states: their node sets, and the set hash table */
	struct vec pool, soff, slen, shash, delta;
	struct vec par, deep, done, stack;   /* parent state, its extra node, expanded? */
	uint32_t *depth;                     /* trie node depths */
	uint32_t *sp;
	size_t spcap;
	uint32_t nstates;
	uint32_t *stab;
	size_t stcap;
	uint64_t max_states;
	/* scratch */
	uint64_t *pairs;
	size_t npairs, pcap;
	uint32_t *scratch;
	size_t scap;
};

static uint32_t lbl_of(uint8_t b, bool nocase)
{
	if (nocase && isalpha(b) && b < 128)
		return 256u + (uint32_t)tolower(b);
	return b;
}

static void lbl_classes(const struct bld *b, uint32_t lbl, uint32_t c[2], int *n)
{
	if (lbl < 256) {
		c[0] = b->cls[lbl];
		*n = 1;
		return;
	}
	c[0] = b->cls[lbl - 256];
	c[1] = b->cls[toupper((int)(lbl - 256))];
	*n = c[0] == c[1] ? 1 : 2;
}

static void make_classes(struct bld *b)
{
	bool single[256] = { false }, pair[256] = { false };
	for (uint32_t i = 0; i < b->set->n; i++) {
		const struct mig_ac_pat *p = &b->set->pats[i];
		for (uint32_t k = 0; k < p->len; k++) {
			uint32_t l = lbl_of(p->bytes[k], p->flags & MIG_AC_NOCASE);
			if (l < 256)
				single[l] = true;
			else
				pair[l - 256] = true;
		}
	}
	uint32_t key_cls[LBL_OTHER + 1];
	for (uint32_t i = 0; i <= LBL_OTHER; i++)
		key_cls[i] = UINT32_MAX;
	b->ncls = 0;
	for (uint32_t x = 0; x < 256; x++) {
		uint32_t key = LBL_OTHER;
		if (single[x])
			key = x;
		else if (x < 128 && isalpha((int)x) && pair[tolower((int)x)])
			key = 256u + (uint32_t)tolower((int)x);
		if (key_cls[key] == UINT32_MAX)
			key_cls[key] = b->ncls++;
		b->cls[x] = (uint8_t)key_cls[key];
	}
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static int make_trie(struct bld *b)
{
	size_t maxn = b->set->total_len + 1;
	b->parent = malloc(maxn * sizeof(uint32_t));
	b->label = malloc(maxn * sizeof(uint32_t));
	b->depth = malloc(maxn * sizeof(uint32_t));
	b->ecap = 64;
	while (b->ecap < maxn * 2)
		b->ecap *= 2;
	b->ekey = malloc(b->ecap * sizeof(uint64_t));
	b->eval = calloc(b->ecap, sizeof(uint32_t));
	uint32_t *endnode = malloc((b->set->n + 1) * sizeof(uint32_t));
	if (!b->parent || !b->label || !b->depth || !b->ekey || !b->eval || !endnode) {
		free(endnode);
		return -ENOMEM;
	}
	b->nnodes = 1;
	b->depth[0] = 0;
	for (uint32_t i = 0; i < b->set->n; i++) {
		const struct mig_ac_pat *p = &b->set->pats[i];
		uint32_t v = 0;
		for (uint32_t k = 0; k < p->len; k++) {
			uint32_t l = lbl_of(p->bytes[k], p->flags & MIG_AC_NOCASE);
			uint64_t key = (uint64_t)v << 10 | l;
			size_t h = mix64(key) & (b->ecap - 1);
			while (b->eval[h] && b->ekey[h] != key)
				h = (h + 1) & (b->ecap - 1);
			if (!b->eval[h]) {
				uint32_t c = b->nnodes++;
				b->parent[c] = v;
				b->label[c] = l;
				b->depth[c] = b->depth[v] + 1;
				b->ekey[h] = key;
				b->eval[h] = c + 1;
			}
			v = b->eval[h] - 1;
		}
		endnode[i] = v;
	}
	uint32_t nn = b->nnodes;
	b->kid_off = calloc(nn + 1, sizeof(uint32_t));
	b->kid = malloc(nn * sizeof(uint32_t));
	b->term_off = calloc(nn + 1, sizeof(uint32_t));
	b->term = malloc((b->set->n + 1) * sizeof(uint32_t));
	if (!b->kid_off || !b->kid || !b->term_off || !b->term) {
		free(endnode);
		return -ENOMEM;
	}
	for (uint32_t v = 1; v < nn; v++)
		b->kid_off[b->parent[v] + 1]++;
	for (uint32_t i = 0; i < b->set->n; i++)
		b->term_off[endnode[i] + 1]++;
	for (uint32_t v = 0; v < nn; v++) {
		b->kid_off[v + 1] += b->kid_off[v];
		b->term_off[v + 1] += b->term_off[v];
	}
	uint32_t *fill = calloc(nn, sizeof(uint32_t));
	if (!fill) {
		free(endnode);
		return -ENOMEM;
	}
	for (uint32_t v = 1; v < nn; v++)
		b->kid[b->kid_off[b->parent[v]] + fill[b->parent[v]]++] = v;
	memset(fill, 0, nn * sizeof(uint32_t));
	for (uint32_t i = 0; i < b->set->n; i++)
		b->term[b->term_off[endnode[i]] + fill[endnode[i]]++] = i;
	free(fill);
	free(endnode);

	b->rootc = calloc(b->ncls, sizeof(*b->rootc));
	b->rootn = calloc(b->ncls, 1);
	if (!b->rootc || !b->rootn)
		return -ENOMEM;
	for (uint32_t k = b->kid_off[0]; k < b->kid_off[1]; k++) {
		uint32_t c[2];
		int n;
		lbl_classes(b, b->label[b->kid[k]], c, &n);
		for (int j = 0; j < n; j++)
			b->rootc[c[j]][b->rootn[c[j]]++] = b->kid[k];
	}
	for (uint32_t c = 0; c < b->ncls; c++)
		if (b->rootn[c] == 2 && b->rootc[c][0] > b->rootc[c][1]) {
			uint32_t t = b->rootc[c][0];
			b->rootc[c][0] = b->rootc[c][1];
			b->rootc[c][1] = t;
		}
	return 0;
}

/* ---- states ---------------------------------------------------------------- */

static uint32_t set_hash(const uint32_t *s, uint32_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	for (uint32_t i = 0; i < n; i++)
		h = mix64(h ^ s[i]) + i;
	return (uint32_t)h | 1u;
}

static int stab_grow(struct bld *b)
{
	size_t cap = b->stcap ? b->stcap * 2 : 4096;
	uint32_t *t = calloc(cap, sizeof(uint32_t));
	if (!t)
		return -ENOMEM;
	for (uint32_t s = 0; s < b->nstates; s++) {
		size_t h = b->shash.v[s] & (cap - 1);
		while (t[h])
			h = (h + 1) & (cap - 1);
		t[h] = s + 1;
	}
	free(b->stab);
	b->stab = t;
	b->stcap = cap;
	return 0;
}

/* The state for node set s (sorted, without the root), created if new.
 * Returns its id, or a negative code. */
static int64_t state_of(struct bld *b, const uint32_t *s, uint32_t n)
{
	uint32_t h = set_hash(s, n);
	size_t i = h & (b->stcap - 1);
	for (; b->stab[i]; i = (i + 1) & (b->stcap - 1)) {
		uint32_t st = b->stab[i] - 1;
		if (b->shash.v[st] == h && b->slen.v[st] == n &&
		    (!n || !memcmp(b->pool.v + b->soff.v[st], s, n * sizeof(uint32_t))))
			return st;
	}
	if (b->nstates >= b->max_states)
		return -E2BIG;
	if (vec_reserve(&b->pool, n) || vec_reserve(&b->soff, 1) || vec_reserve(&b->slen, 1) ||
	    vec_reserve(&b->shash, 1) || vec_reserve(&b->delta, b->ncls) || vec_reserve(&b->par, 1) ||
	    vec_reserve(&b->deep, 1) || vec_reserve(&b->done, 1))
		return -ENOMEM;
	uint32_t st = b->nstates++;
	if (n)
		memcpy(b->pool.v + b->pool.n, s, n * sizeof(uint32_t));
	b->soff.v[st] = (uint32_t)b->pool.n;
	b->pool.n += n;
	b->slen.v[st] = n;
	b->shash.v[st] = h;
	b->par.v[st] = UINT32_MAX;
	b->deep.v[st] = 0;
	b->done.v[st] = 0;
	b->soff.n = b->slen.n = b->shash.n = b->par.n = b->deep.n = b->done.n = b->nstates;
	b->delta.n += b->ncls;
	b->stab[i] = st + 1;
	if (b->nstates * 2 > b->stcap && stab_grow(b) < 0)
		return -ENOMEM;
	return st;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void sort_u64(uint64_t *a, size_t n)
{
	if (n > 24) {
		qsort(a, n, sizeof(*a), cmp_u64);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint64_t x = a[i];
		size_t j = i;
		for (; j && a[j - 1] > x; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

static int grow_u32(uint32_t **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = need * 2 + 16;
	uint32_t *q = realloc(*p, c * sizeof(uint32_t));
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* The root state's row: on each class, the set of the root's children. */
static int expand_root(struct bld *b)
{
	for (uint32_t c = 0; c < b->ncls; c++) {
		int64_t t = state_of(b, b->rootc[c], b->rootn[c]);
		if (t < 0)
			return (int)t;
		b->delta.v[c] = (uint32_t)t;
	}
	return 0;
}

/* State st's row from its parent's: st's set is its parent's plus one node
 * d (the deepest), and delta(S, c) = delta(S \ {d}, c) + children(d, c),
 * so the row is the parent's row with the classes of d's children redone
 * (classic Aho-Corasick copies the failure state's row the same way). */
static int expand_from(struct bld *b, uint32_t st, uint32_t par, uint32_t d)
{
	b->npairs = 0;
	for (uint32_t k = b->kid_off[d]; k < b->kid_off[d + 1]; k++) {
		uint32_t c[2];
		int nc;
		lbl_classes(b, b->label[b->kid[k]], c, &nc);
		if (b->npairs + 2 > b->pcap) {
			b->pcap = b->pcap ? b->pcap * 2 : 256;
			uint64_t *p = realloc(b->pairs, b->pcap * sizeof(uint64_t));
			if (!p)
				return -ENOMEM;
			b->pairs = p;
		}
		for (int j = 0; j < nc; j++)
			b->pairs[b->npairs++] = (uint64_t)c[j] << 32 | b->kid[k];
	}
	sort_u64(b->pairs, b->npairs);
	memcpy(b->delta.v + (size_t)st * b->ncls, b->delta.v + (size_t)par * b->ncls, b->ncls * sizeof(uint32_t));
	for (size_t i = 0; i < b->npairs;) {
		uint32_t c = (uint32_t)(b->pairs[i] >> 32);
		size_t j = i;
		while (j < b->npairs && (uint32_t)(b->pairs[j] >> 32) == c)
			j++;
		/* merge the parent's successor set with d's children on c (the
		 * pool may move in state_of: merge into scratch) */
		uint32_t base = b->delta.v[(size_t)par * b->ncls + c];
		uint32_t bn = b->slen.v[base];
		if (grow_u32(&b->scratch, &b->scap, bn + (j - i)) < 0)
			return -ENOMEM;
		const uint32_t *bs = b->pool.v + b->soff.v[base];
		uint32_t m = 0, x = 0;
		size_t y = i;
		while (x < bn || y < j) {
			uint32_t kid = y < j ? (uint32_t)b->pairs[y] : UINT32_MAX;
			if (x < bn && bs[x] < kid)
				b->scratch[m++] = bs[x++];
			else if (x < bn && bs[x] == kid)
				b->scratch[m++] = bs[x++], y++;
			else
				b->scratch[m++] = kid, y++;
		}
		int64_t t = state_of(b, b->scratch, m);
		if (t < 0)
			return (int)t;
		b->delta.v[(size_t)st * b->ncls + c] = (uint32_t)t;
		i = j;
	}
	return 0;
}

/* Expand st, expanding first the chain of parents it needs.  Iterative:
 * chains are as long as the longest pattern. */
static int expand(struct bld *b, uint32_t st)
{
	if (b->done.v[st])
		return 0;
	b->stack.n = 0;
	if (vec_reserve(&b->stack, 1))
		return -ENOMEM;
	b->stack.v[b->stack.n++] = st;
	while (b->stack.n) {
		uint32_t s = b->stack.v[b->stack.n - 1];
		if (b->done.v[s]) {
			b->stack.n--;
			continue;
		}
		if (s == 0) {
			int rc = expand_root(b);
			if (rc < 0)
				return rc;
			b->done.v[0] = 1;
			b->stack.n--;
			continue;
		}
		if (b->par.v[s] == UINT32_MAX) {
			/* the parent: this set without its deepest node */
			uint32_t n = b->slen.v[s], di = 0;
			if (grow_u32(&b->sp, &b->spcap, n) < 0)
				return -ENOMEM;
			const uint32_t *set = b->pool.v + b->soff.v[s];
			for (uint32_t i = 1; i < n; i++)
				if (b->depth[set[i]] > b->depth[set[di]])
					di = i;
			uint32_t d = set[di], m = 0;
			for (uint32_t i = 0; i < n; i++)
				if (i != di)
					b->sp[m++] = set[i];
			int64_t p = state_of(b, b->sp, m);
			if (p < 0)
				return (int)p;
			b->par.v[s] = (uint32_t)p;
			b->deep.v[s] = d;
		}
		uint32_t p = b->par.v[s];
		if (!b->done.v[p]) {
			if (vec_reserve(&b->stack, 1))
				return -ENOMEM;
			b->stack.v[b->stack.n++] = p;
			continue;
		}
		int rc = expand_from(b, s, p, b->deep.v[s]);
		if (rc < 0)
			return rc;
		b->done.v[s] = 1;
		b->stack.n--;
	}
	return 0;
}

static void bld_free(struct bld *b)
{
	free(b->parent);
	free(b->label);
	free(b->kid_off);
	free(b->kid);
	free(b->term_off);
	free(b->term);
	free(b->ekey);
	free(b->eval);
	free(b->rootc);
	free(b->rootn);
	free(b->pool.v);
	free(b->soff.v);
	free(b->slen.v);
	free(b->shash.v);
	free(b->delta.v);
	free(b->stab);
	free(b->pairs);
	free(b->scratch);
	free(b->par.v);
	free(b->deep.v);
	free(b->done.v);
	free(b->stack.v);
	free(b->depth);
	free(b->sp);
}

/* ---- the flat form -------------------------------------------------------- */

/* Mark the states reachable from the initial one (a parent state made
 * only to derive a row may be unreachable with mixed-case sets): newid[s]
 * = 0 when reachable, UINT32_MAX when not.  Returns how many are. */
static uint32_t reachable(const struct bld *b, uint32_t *newid, uint32_t *queue)
{
	uint32_t ns = b->nstates, nc = b->ncls, qh = 0, qt = 0;
	for (uint32_t s = 0; s < ns; s++)
		newid[s] = UINT32_MAX;
	newid[0] = 0;
	queue[qt++] = 0;
	while (qh < qt) {
		const uint32_t *row = b->delta.v + (size_t)queue[qh++] * nc;
		for (uint32_t c = 0; c < nc; c++)
			if (newid[row[c]]) {
				newid[row[c]] = 0;
				queue[qt++] = row[c];
			}
	}
	return qt;
}

static int flatten(struct bld *b, struct mig_ac_dfa *d)
{
	uint32_t ns = b->nstates, nc = b->ncls;
	uint32_t *cnt = calloc(ns, sizeof(uint32_t)), *newid = malloc(ns * sizeof(uint32_t));
	uint32_t *queue = malloc(ns * sizeof(uint32_t));
	if (!cnt || !newid || !queue) {
		free(cnt);
		free(newid);
		free(queue);
		return -ENOMEM;
	}
	uint32_t nr = reachable(b, newid, queue);
	free(queue);
	uint64_t nids = 0;
	uint32_t nout = 0;
	for (uint32_t s = 0; s < ns; s++) {
		if (newid[s])
			continue;
		const uint32_t *set = b->pool.v + b->soff.v[s];
		for (uint32_t i = 0; i < b->slen.v[s]; i++)
			cnt[s] += b->term_off[set[i] + 1] - b->term_off[set[i]];
		nids += cnt[s];
		nout += cnt[s] > 0;
	}
	uint32_t first_out = nr - nout, lo = 0, hi = first_out;
	for (uint32_t s = 0; s < ns; s++)
		if (!newid[s])
			newid[s] = cnt[s] ? hi++ : lo++;
	size_t o_cls = MIG_AC_HDR, o_delta = o_cls + 64, o_cnt = o_delta + (size_t)nr * nc;
	size_t o_off = o_cnt + nout, o_ids = o_off + nout, total = o_ids + nids;
	if (total > UINT32_MAX) {
		free(cnt);
		free(newid);
		return -E2BIG;
	}
	uint32_t *w = calloc(total, sizeof(uint32_t));
	if (!w) {
		free(cnt);
		free(newid);
		return -ENOMEM;
	}
	w[MIG_AC_H_MAGIC] = MIG_AC_MAGIC;
	w[MIG_AC_H_NSTATES] = nr;
	w[MIG_AC_H_NCLS] = nc;
	w[MIG_AC_H_FIRST_OUT] = first_out;
	w[MIG_AC_H_CLS] = (uint32_t)o_cls;
	w[MIG_AC_H_DELTA] = (uint32_t)o_delta;
	w[MIG_AC_H_OUTCNT] = (uint32_t)o_cnt;
	w[MIG_AC_H_OUTOFF] = (uint32_t)o_off;
	w[MIG_AC_H_IDS] = (uint32_t)o_ids;
	w[MIG_AC_H_NIDS] = (uint32_t)nids;
	w[MIG_AC_H_WORDS] = (uint32_t)total;
	memcpy(w + o_cls, b->cls, 256);
	for (uint32_t s = 0; s < ns; s++) {
		if (newid[s] == UINT32_MAX)
			continue;
		const uint32_t *src = b->delta.v + (size_t)s * nc;
		uint32_t *dst = w + o_delta + (size_t)newid[s] * nc;
		for (uint32_t c = 0; c < nc; c++)
			dst[c] = newid[src[c]] * nc;
	}
	/* output lists, in new state order */
	uint32_t *byrank = malloc((nout + 1) * sizeof(uint32_t));
	if (!byrank) {
		free(w);
		free(cnt);
		free(newid);
		return -ENOMEM;
	}
	for (uint32_t s = 0; s < ns; s++)
		if (cnt[s] && newid[s] != UINT32_MAX)
			byrank[newid[s] - first_out] = s;
	uint32_t at = 0;
	for (uint32_t o = 0; o < nout; o++) {
		uint32_t s = byrank[o];
		const uint32_t *set = b->pool.v + b->soff.v[s];
		w[o_cnt + o] = cnt[s];
		w[o_off + o] = at;
		uint32_t *ids = w + o_ids + at;
		uint32_t m = 0;
		for (uint32_t i = 0; i < b->slen.v[s]; i++)
			for (uint32_t k = b->term_off[set[i]]; k < b->term_off[set[i] + 1]; k++)
				ids[m++] = b->set->pats[b->term[k]].id;
		qsort(ids, m, sizeof(uint32_t), cmp_u32);
		at += m;
	}
	free(byrank);
	free(cnt);
	free(newid);
	d->words = w;
	d->nwords = total;
	d->nstates = nr;
	d->ncls = nc;
	d->first_out = first_out;
	return 0;
}

int mig_ac_build(const struct mig_ac_set *s, const struct mig_ac_opts *o, struct mig_ac_dfa *d,
		 struct rt_err *err)
{
	uint64_t t0 = rt_now_ns();
	memset(d, 0, sizeof(*d));
	if (!s->n)
		return rt_errf(err, NULL, -EINVAL, "no patterns to match");
	struct bld b;
	memset(&b, 0, sizeof(b));
	b.set = s;
	uint64_t max_bytes = o && o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
	make_classes(&b);
	/* row offsets (state * ncls) must fit 31 bits, the table max_bytes */
	b.max_states = RT_MIN(max_bytes / 4 / b.ncls, (uint64_t)INT32_MAX / b.ncls);
	int rc = make_trie(&b);
	if (rc == 0)
		rc = stab_grow(&b);
	if (rc == 0) {
		int64_t r0 = state_of(&b, NULL, 0);
		rc = r0 < 0 ? (int)r0 : 0;
	}
	for (uint32_t st = 0; rc == 0 && st < b.nstates; st++)
		rc = expand(&b, st);
	if (rc == 0)
		rc = flatten(&b, d);
	uint32_t reached = b.nstates, ncls = b.ncls;
	bld_free(&b);
	if (rc == -E2BIG)
		return rt_errf(err, NULL, rc, "pattern automaton too large: over %u states of %u classes (limit %llu bytes)",
			       reached, ncls, (unsigned long long)max_bytes);
	if (rc < 0)
		return rt_errf(err, NULL, rc, "out of memory building the pattern automaton (%u states)", reached);
	d->npat = s->n;
	d->set_gen = s->gen;
	d->set_crc = mig_ac_set_checksum(s);
	d->build_ns = rt_now_ns() - t0;
	return 0;
}

void mig_ac_dfa_free(struct mig_ac_dfa *d)
{
	free(d->words);
	memset(d, 0, sizeof(*d));
}
