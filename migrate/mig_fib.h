/*
 * mig_fib.h - many FIBs at once: the canonical route set and the multi-FIB
 * longest-prefix-match trie that every placement runs (issue 8, offloadable
 * element 1).
 *
 * Two layers:
 *
 *   struct mig_fib       the canonical host form: FIBs 0..nfib-1, each a set
 *                        of IPv4 and IPv6 routes (prefix, length, next hop),
 *                        with a version (bumped by every change) and a
 *                        content checksum (order-independent, kept up to date
 *                        on every change).  Serialises to bytes (to move
 *                        state between placements and elements) and back.
 *
 *   struct mig_fib_trie  the lookup structure built from it: one multibit
 *                        trie over the union of all FIBs' prefixes (16-bit
 *                        first level, 8-bit strides after, leaf pushed) whose
 *                        leaves index a deduplicated table of per-FIB
 *                        next-hop vectors, so what the FIBs share is stored
 *                        once.  It is two flat uint32 arrays (`tab`, `nh`)
 *                        with indices instead of pointers: a placement
 *                        uploads them to its device as they are, and the one
 *                        lookup (kernels/fib.h) runs on every placement.
 *
 * Layout (see kernels/fib.h): tab[0..65535] is the IPv4 root indexed by the
 * address's top 16 bits, tab[65536..131071] the IPv6 root, then 256-entry
 * nodes, node c at tab[131072 + 256 c].  An entry with bit 31 set is a node
 * (c in the low bits), otherwise a leaf: the index v of a next-hop vector,
 * nh[v * nfib .. v * nfib + nfib - 1], one next hop per FIB.  Vector 0 is
 * "no route" everywhere.  Addresses are host-order words: IPv4 one uint32,
 * IPv6 four, the most significant first.
 *
 * Thread-safety: everything but the lookups is control-thread only.  The
 * lookups (mig_fib_lookup*_batch and the kernels) only read `tab` and `nh`.
 * mig_fib_trie_apply changes a trie in place while lookups run: entries are
 * replaced by single aligned 32-bit stores after what they point to is
 * written, `tab` and `nh` never move (an update that would need more room
 * than the trie was built with fails with -ENOSPC: rebuild and swap), and
 * the nodes and vectors an update unlinks are only reused after the caller says a grace
 * period has passed (mig_fib_trie_reclaim).
 */
#ifndef MB_MIG_FIB_H
#define MB_MIG_FIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_base.h"
#include "migrate/kernels/fib.h"

#define MIG_FIB_MAXFIBS 65536u

/* One route.  addr is the prefix in network byte order (IPv4 in addr[0..3]);
 * bits past len must be zero.  nh, the next-hop id, is any uint32 but
 * MIG_FIB_NONE (an element may keep 16-bit ids: they fit). */
struct mig_fib_route {
	uint32_t fib;
	uint32_t nh;
	uint8_t af;       /* 4 or 6 */
	uint8_t len;      /* 0..32 or 0..128 */
	uint8_t addr[16];
};

/* An IPv4 route from a host-order address. */
static inline struct mig_fib_route mig_fib_route4(uint32_t fib, uint32_t addr, int len, uint32_t nh)
{
	struct mig_fib_route r = {.fib = fib, .nh = nh, .af = 4, .len = (uint8_t)len};
	r.addr[0] = addr >> 24, r.addr[1] = addr >> 16, r.addr[2] = addr >> 8, r.addr[3] = addr;
	return r;
}

/* "fib 3 10.0.0.0/8" or "fib 0 2001:db8::/32" into buf. */
const char *mig_fib_route_str(const struct mig_fib_route *r, char *buf, size_t len);

/* ---- canonical form (control thread) --------------------------------------- */

struct mig_fib;

/* An empty set of nfib FIBs (1..MIG_FIB_MAXFIBS). */
int mig_fib_new(uint32_t nfib, struct mig_fib **out, struct rt_err *err);
void mig_fib_free(struct mig_fib *f);
uint32_t mig_fib_nfib(const struct mig_fib *f);
/* Routes in all FIBs together. */
size_t mig_fib_nroutes(const struct mig_fib *f);
/* Bumped by every add, replace and remove. */
uint64_t mig_fib_version(const struct mig_fib *f);
/* A checksum of the routes alone (not of the version or insertion order):
 * two forms holding the same routes have the same checksum. */
uint64_t mig_fib_checksum(const struct mig_fib *f);

/* Add a route, or replace the next hop of the same (fib, prefix): returns 0
 * when added, 1 when replaced.  Bad input (host bits set, length out of
 * range, fib out of range, nh == MIG_FIB_NONE) is an error naming the route;
 * the set is unchanged. */
int mig_fib_add(struct mig_fib *f, const struct mig_fib_route *r, struct rt_err *err);
/* Remove (fib, prefix); r->nh is ignored.  -ENOENT when absent. */
int mig_fib_remove(struct mig_fib *f, const struct mig_fib_route *r, struct rt_err *err);
/* The next hop of exactly (fib, prefix), or MIG_FIB_NONE. */
uint32_t mig_fib_get(const struct mig_fib *f, const struct mig_fib_route *r);
/* Call fn for every route in canonical order: IPv4 then IPv6, prefixes in
 * pre-order (shorter first, then by address), FIBs ascending. */
void mig_fib_foreach(const struct mig_fib *f, void (*fn)(const struct mig_fib_route *r, void *arg), void *arg);

/* Serialise to a malloc'ed buffer: a header (magic, format, nfib, version,
 * route count, content checksum), the routes in canonical order, and a CRC32C
 * of everything before it.  The same routes at the same version give
 * the same bytes. */
int mig_fib_serialise(const struct mig_fib *f, void **buf, size_t *len, struct rt_err *err);
/* Rebuild a form from those bytes.  Every field is checked (truncation, bad
 * magic or format, CRC or content checksum mismatch, bad or duplicate
 * routes): the error says what and at which byte offset. */
int mig_fib_deserialise(const void *buf, size_t len, struct mig_fib **out, struct rt_err *err);

/* ---- the multi-FIB trie ------------------------------------------------------ */

/* Parts of tab and nh written since the last mig_fib_trie_clean, as entry
 * index ranges [lo, hi) (lo == hi: none): what a placement must upload. */
struct mig_fib_dirty {
	uint32_t tab_lo, tab_hi;
	uint32_t nh_lo, nh_hi;
};

struct mig_fib_trie_int;
struct mig_fib_trie {
	/* read by the lookups */
	const uint32_t *tab;
	const uint32_t *nh;
	uint32_t nfib;
	/* sizes: entries in use and entries allocated (tab, nh never move) */
	uint32_t ntab, tab_cap;
	uint32_t nvec, vec_cap;   /* vectors: nh holds nvec * nfib entries */
	uint64_t version;         /* of the canonical form last applied */
	uint64_t checksum;        /* its content checksum */
	struct mig_fib_dirty dirty;
	struct mig_fib_trie_int *in;  /* builder state (host only) */
};

/* Build the trie of a canonical form.  `headroom_pct` extra room (nodes and
 * vectors) is reserved for in-place updates (0: none, so every update that
 * needs a new node or vector fails with -ENOSPC).  Control thread. */
int mig_fib_trie_build(const struct mig_fib *f, unsigned headroom_pct, struct mig_fib_trie **out,
		       struct rt_err *err);
void mig_fib_trie_free(struct mig_fib_trie *t);
/* Bytes of the two arrays in use (what a placement uploads), and allocated. */
size_t mig_fib_trie_bytes(const struct mig_fib_trie *t);
size_t mig_fib_trie_bytes_alloc(const struct mig_fib_trie *t);

/* After mig_fib_add/mig_fib_remove of r on f (the form this trie was built
 * from), bring the trie up to date in place: only entries under r's prefix
 * are rewritten (those already right are not written), nodes are reused in
 * place, and new nodes or vectors are only taken where a leaf must become a
 * node or a new combination of next hops appears.  Work: the entries under
 * r's prefix (one for most routes; 2^(16-len) root entries and their
 * subtrees for a route shorter than /16).  -ENOSPC: out of headroom; the
 * entries under r's prefix may then answer partly old, partly new: rebuild
 * and swap.  Unlinked nodes and vectors no leaf uses any more wait for
 * mig_fib_trie_reclaim.  Control thread. */
int mig_fib_trie_apply(struct mig_fib_trie *t, const struct mig_fib *f, const struct mig_fib_route *r,
		       struct rt_err *err);
/* No lookup started before the last apply is still running (a grace period
 * has passed): unlinked nodes may be reused.  Control thread. */
void mig_fib_trie_reclaim(struct mig_fib_trie *t);
/* Vectors no leaf uses any more, not yet reclaimed. */
uint32_t mig_fib_trie_garbage(const struct mig_fib_trie *t);
static inline void mig_fib_trie_clean(struct mig_fib_trie *t)
{
	t->dirty = (struct mig_fib_dirty){0, 0, 0, 0};
}

/* ---- lookups (data path: any thread, no allocation) ------------------------- */

/* n lookups of (fib[i], addr[i]) into out[i]; MIG_FIB_NONE when no route
 * (or fib >= nfib).  IPv6 addresses are 4 words each (addr[4 i .. 4 i + 3]).
 * The same device functions as the kernels, with prefetch ahead. */
static inline void mig_fib_lookup4_batch(const struct mig_fib_trie *t, const uint32_t *fib, const uint32_t *addr,
					 uint32_t *out, uint32_t n)
{
	const uint32_t *tab = t->tab, *nh = t->nh;
	const uint32_t nfib = t->nfib;
	enum { AHEAD = 8 };
	uint32_t e[AHEAD];
	uint32_t i = 0;
	/* Chunks of AHEAD: the root entries, then each level's entries, are
	 * prefetched for the whole chunk before any is used. */
	for (; i + AHEAD <= n; i += AHEAD) {
		for (int j = 0; j < AHEAD; j++)
			__builtin_prefetch(&tab[MIG_FIB_ROOT4 + (addr[i + j] >> 16)]);
		for (int j = 0; j < AHEAD; j++) {
			e[j] = tab[MIG_FIB_ROOT4 + (addr[i + j] >> 16)];
			if (e[j] & MIG_FIB_NODE)
				__builtin_prefetch(&tab[mig_fib_child(e[j], addr[i + j] >> 8)]);
			else
				__builtin_prefetch(&nh[e[j] * nfib]);
		}
		for (int j = 0; j < AHEAD; j++) {
			if (e[j] & MIG_FIB_NODE) {
				e[j] = tab[mig_fib_child(e[j], addr[i + j] >> 8)];
				if (e[j] & MIG_FIB_NODE)
					__builtin_prefetch(&tab[mig_fib_child(e[j], addr[i + j])]);
				else
					__builtin_prefetch(&nh[e[j] * nfib]);
			}
		}
		for (int j = 0; j < AHEAD; j++) {
			if (e[j] & MIG_FIB_NODE)
				e[j] = tab[mig_fib_child(e[j], addr[i + j])];
			out[i + j] = mig_fib_nh(nh, nfib, e[j], fib[i + j]);
		}
	}
	for (; i < n; i++)
		out[i] = mig_fib_lookup4(tab, nh, nfib, fib[i], addr[i]);
}

static inline void mig_fib_lookup6_batch(const struct mig_fib_trie *t, const uint32_t *fib, const uint32_t *addr,
					 uint32_t *out, uint32_t n)
{
	const uint32_t *tab = t->tab, *nh = t->nh;
	enum { AHEAD = 4 };
	for (uint32_t i = 0; i < n && i < AHEAD; i++)
		__builtin_prefetch(&tab[MIG_FIB_ROOT6 + (addr[4 * i] >> 16)]);
	for (uint32_t i = 0; i < n; i++) {
		if (i + AHEAD < n)
			__builtin_prefetch(&tab[MIG_FIB_ROOT6 + (addr[4 * (i + AHEAD)] >> 16)]);
		const uint32_t *a = &addr[4 * i];
		out[i] = mig_fib_lookup6(tab, nh, t->nfib, fib[i], a[0], a[1], a[2], a[3]);
	}
}

#endif
