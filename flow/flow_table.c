/*
 * flow_table.c - the per-worker flow table and flow keys.
 *
 * Buckets of eight (32-bit signature, FCB index) pairs, one cache line
 * each, two candidate buckets per key (like rte_hash, without cuckoo
 * moves): at most 50% load by construction (buckets = capacity / 4), so a
 * key whose two buckets are both full is rare and counted as "full" like a
 * full table.  FCBs are preallocated in one array with a free stack: an
 * insert never allocates.  Lookups go a batch at a time: hash every key,
 * prefetch the primary buckets, then compare signatures and prefetch the FCB,
 * then compare keys.  Expiry: a packet only writes its flow's deadline;
 * each timeout class keeps its flows in a list in joining order, and a
 * bounded number of list heads is looked at per batch (idle: released;
 * busy: back to the tail), plus lazy expiry where a lookup or an insert
 * meets an idle flow.  No call does unbounded work.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_malloc.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <rte_icmp.h>
#include <rte_ether.h>
#ifdef __AVX2__
#include <immintrin.h>
#endif

#include "flow.h"

#if RTE_BYTE_ORDER != RTE_LITTLE_ENDIAN
#error "flow_key_extract assembles keys in little-endian order"
#endif

/* ---- keys ---------------------------------------------------------------- */

/* An IPv6 packet's key (the IPv6 header at d + off). */
static bool key6(const struct flow_keydef *kd, const uint8_t *d, uint32_t off, uint32_t len, struct flow_key *k,
		 struct flow_key6 *k6, bool *swapped, uint8_t *tcpf)
{
	if (kd->def == FLOW_DEF_ASPAIR || off + 40 > len)
		return false;
	const uint8_t *ip = d + off;
	uint32_t end = RT_MIN(off + 40 + ((uint32_t)ip[4] << 8 | ip[5]), len), pos = off + 40;
	uint8_t nh = ip[6];
	bool frag = false;
	/* hop-by-hop, routing, destination options, fragment (at most 8 headers) */
	for (int n = 0; n < 8 && (nh == 0 || nh == 43 || nh == 60 || nh == 44) && pos + 8 <= end; n++) {
		if (nh == 44) {
			frag |= ((d[pos + 2] << 8 | d[pos + 3]) & 0xfff9) != 0;  /* not an atomic fragment */
			nh = d[pos];
			pos += 8;
		} else {
			nh = d[pos];
			pos += (d[pos + 1] + 1u) * 8;
		}
	}
	const uint8_t *sa = ip + 8, *da = ip + 24;
	uint16_t pa = 0, pb = 0;
	uint8_t proto = 0;
	*tcpf = 0;
	if (kd->def == FLOW_DEF_5TUPLE) {
		proto = nh;
		const uint8_t *l4 = d + pos;
		uint32_t l4len = pos < end ? end - pos : 0;
		if (!frag && (proto == IPPROTO_TCP || proto == IPPROTO_UDP) && l4len >= 4) {
			memcpy(&pa, l4, 2);
			memcpy(&pb, l4 + 2, 2);
			if (proto == IPPROTO_TCP && l4len >= 14)
				*tcpf = l4[13];
		} else if (!frag && proto == IPPROTO_ICMPV6 && l4len >= 8 && (l4[0] == 128 || l4[0] == 129)) {
			memcpy(&pa, l4 + 4, 2);  /* echo request and reply: one flow per identifier */
			pb = pa;
		}
	}
	*swapped = false;
	if (kd->symmetric) {
		int c = memcmp(sa, da, 16);
		if (c > 0 || (c == 0 && pa > pb)) {
			const uint8_t *t = sa;
			sa = da;
			da = t;
			uint16_t p = pa;
			pa = pb;
			pb = p;
			*swapped = true;
		}
	}
	memcpy(k6->a, sa, 16);
	memcpy(k6->b, da, 16);
	uint64_t x[4];  /* aligned copies: packet addresses need not be */
	memcpy(x, k6, sizeof(x));
	uint32_t a = rte_hash_crc_8byte(x[1], rte_hash_crc_8byte(x[0], 0x3c6ef372));
	uint32_t b = rte_hash_crc_8byte(x[3], rte_hash_crc_8byte(x[2], 0x3c6ef372));
	uint64_t w[2] = {(uint64_t)a | (uint64_t)b << 32,
			 (uint64_t)pa | (uint64_t)pb << 16 | (uint64_t)proto << 32 | (uint64_t)FLOW_KEY_V6 << 40};
	memcpy(k, w, sizeof(w));
	return true;
}

/* The key of m; k6 (NULL: IPv4 only) gets an IPv6 key's addresses.
 * Inlined into both entry points, so the IPv4-only one carries no IPv6
 * test (measured: the IPv6 tests cost FlowManager 3-4 % at 1 K flows). */
static inline __attribute__((always_inline)) bool
extract(const struct flow_keydef *kd, struct rte_mbuf *m, struct flow_key *k, struct flow_key6 *k6, bool *swapped,
	uint8_t *tcpf)
{
	uint32_t len = rt_len(m), off;
	const uint8_t *d = rt_data(m);
	if (rt_has_nh(m)) {
		int o = rt_nh_offset(m);
		if (o < 0)
			return false;
		off = (uint32_t)o;
	} else {
		if (len < 14 || d[12] != 0x08 || d[13] != 0x00) {
			if (k6 && kd->ipv6 && len >= 14 && d[12] == 0x86 && d[13] == 0xdd)
				return key6(kd, d, 14, len, k, k6, swapped, tcpf);
			return false;
		}
		off = 14;
	}
	if (off + 20 > len)
		return false;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(d + off);
	uint32_t hl = (uint32_t)(ip->version_ihl & 0x0f) << 2;
	if (unlikely((ip->version_ihl >> 4) == 6) && k6 && kd->ipv6)
		return key6(kd, d, off, len, k, k6, swapped, tcpf);
	if ((ip->version_ihl >> 4) != 4 || hl < 20 || off + hl > len)
		return false;
	/* the key is built in registers and stored as two words (little-endian
	 * layout of struct flow_key): flow_hash
	 * reads it back as two words, and narrower stores would stall that
	 * load (no store forwarding from several small stores) */
	uint32_t a = ip->src_addr, b = ip->dst_addr;
	uint16_t pa = 0, pb = 0;
	uint8_t proto = 0;
	*tcpf = 0;
	if (kd->def == FLOW_DEF_5TUPLE) {
		proto = ip->next_proto_id;
		bool frag = (rte_be_to_cpu_16(ip->fragment_offset) & 0x3fff) != 0;
		const uint8_t *l4 = d + off + hl;
		uint32_t l4len = len - off - hl;
		if (!frag && (proto == IPPROTO_TCP || proto == IPPROTO_UDP) && l4len >= 4) {
			memcpy(&pa, l4, 2);
			memcpy(&pb, l4 + 2, 2);
			if (proto == IPPROTO_TCP && l4len >= 14)
				*tcpf = l4[13];
		} else if (!frag && proto == IPPROTO_ICMP && l4len >= 8 && (l4[0] == 8 || l4[0] == 0)) {
			/* echo request and reply: one flow per identifier */
			memcpy(&pa, l4 + 4, 2);
			pb = pa;
		}
	} else if (kd->def == FLOW_DEF_ASPAIR) {
		uint32_t as;
		a = rte_lpm_lookup(kd->asmap, rte_be_to_cpu_32(ip->src_addr), &as) == 0 ? as : 0;
		b = rte_lpm_lookup(kd->asmap, rte_be_to_cpu_32(ip->dst_addr), &as) == 0 ? as : 0;
	}
	*swapped = false;
	if (kd->symmetric && (a > b || (a == b && pa > pb))) {
		uint32_t t = a;
		a = b;
		b = t;
		uint16_t p = pa;
		pa = pb;
		pb = p;
		*swapped = true;
	}
	uint64_t w[2] = {(uint64_t)a | (uint64_t)b << 32, (uint64_t)pa | (uint64_t)pb << 16 | (uint64_t)proto << 32};
	memcpy(k, w, sizeof(w));
	return true;
}

bool flow_key_extract(const struct flow_keydef *kd, struct rte_mbuf *m, struct flow_key *k, bool *swapped,
		      uint8_t *tcpf)
{
	return extract(kd, m, k, NULL, swapped, tcpf);
}

bool flow_key_extract_ext(const struct flow_keydef *kd, struct rte_mbuf *m, struct flow_key *k, struct flow_key6 *k6,
			  bool *swapped, uint8_t *tcpf)
{
	return extract(kd, m, k, k6, swapped, tcpf);
}

struct rte_lpm *flow_asmap_load(const char *path, const char *name, struct rt_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		rt_errf(err, NULL, -errno, "cannot open AS map '%s': %s", path, strerror(errno));
		return NULL;
	}
	struct rte_lpm_config cfg = {.max_rules = 1 << 16, .number_tbl8s = 1 << 10};
	struct rte_lpm *lpm = rte_lpm_create(name, SOCKET_ID_ANY, &cfg);
	if (!lpm) {
		fclose(f);
		rt_errf(err, NULL, -ENOMEM, "cannot create the AS map table");
		return NULL;
	}
	char line[256];
	int lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *h = strchr(line, '#');
		if (h)
			*h = 0;
		char pfx[64];
		unsigned a, b, c, d2, plen;
		unsigned long as;
		int got = sscanf(line, "%63s %lu", pfx, &as);
		if (got <= 0)
			continue;
		if (got != 2 || sscanf(pfx, "%u.%u.%u.%u/%u", &a, &b, &c, &d2, &plen) != 5 || a > 255 || b > 255 ||
		    c > 255 || d2 > 255 || plen > 32 || as == 0 || as > UINT32_MAX) {
			rt_errf(err, NULL, -EINVAL, "%s:%d: expected 'A.B.C.D/LEN AS' (AS > 0)", path, lineno);
			goto fail;
		}
		if (rte_lpm_add(lpm, (a << 24) | (b << 16) | (c << 8) | d2, (uint8_t)plen, (uint32_t)as) < 0) {
			rt_errf(err, NULL, -ENOSPC, "%s:%d: AS map full", path, lineno);
			goto fail;
		}
	}
	fclose(f);
	return lpm;
fail:
	fclose(f);
	rte_lpm_free(lpm);
	return NULL;
}

/* ---- the table ------------------------------------------------------------- */

struct flow_table *flow_table_new(uint32_t cap, uint32_t data, const struct flow_timeouts *to, int socket)
{
	return flow_table_new_ext(cap, data, to, socket, false);
}

struct flow_table *flow_table_new_ext(uint32_t cap, uint32_t data, const struct flow_timeouts *to, int socket,
				      bool ipv6)
{
	if (cap == 0)
		return NULL;
	struct flow_table *t = rte_zmalloc_socket("flow_table", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (!t)
		return NULL;
	uint32_t nb = rte_align32pow2(RT_MAX(cap / 4, 1u));
	t->cap = cap;
	t->bmask = nb - 1;
	t->stride = RTE_ALIGN_CEIL(FLOW_FCB_HDR + data, 16);
	if (ipv6) {
		/* the addresses go after the element slots: slots keep their offsets */
		t->ext_off = t->stride;
		t->stride += (uint32_t)sizeof(struct flow_key6);
	}
	t->b = rte_zmalloc_socket("flow_buckets", sizeof(struct flow_bucket) * nb, RTE_CACHE_LINE_SIZE, socket);
	t->fcbs = rte_zmalloc_socket("flow_fcbs", (size_t)t->stride * cap, RTE_CACHE_LINE_SIZE, socket);
	t->free = rte_malloc_socket("flow_free", sizeof(uint32_t) * cap, 0, socket);
	if (!t->b || !t->fcbs || !t->free) {
		flow_table_free(t, NULL, NULL);
		return NULL;
	}
	for (uint32_t i = 0; i < cap; i++)
		t->free[i] = cap - 1 - i;  /* pop order 0, 1, 2 ...: FCBs used in address order */
	t->nfree = cap;
	t->to = *to;
	for (int c = 0; c < FLOW_NCLASS; c++)
		t->lists[c].head = t->lists[c].tail = FLOW_NIL;
	return t;
}

void flow_table_free(struct flow_table *t, flow_release_fn fn, void *ctx)
{
	if (!t)
		return;
	/* the control thread: give the tenant back what the table had, beside
	 * the worker's own counts (flow.h, struct flow_quota) */
	struct flow_quota *q = t->quota;
	uint64_t held0 = t->st.held_freed;
	t->quota = NULL;
	if (fn && t->fcbs)
		for (uint32_t i = 0; i < t->cap; i++)
			if (flow_table_fcb(t, i)->live)
				fn(ctx, t, flow_table_fcb(t, i));
	if (q) {
		__atomic_fetch_add(&q->cp_flows, t->count, __ATOMIC_RELAXED);
		__atomic_fetch_add(&q->cp_held, (uint32_t)(t->st.held_freed - held0), __ATOMIC_RELAXED);
	}
	rte_free(t->b);
	rte_free(t->fcbs);
	rte_free(t->free);
	rte_free(t);
}

size_t flow_table_bytes_per_flow(const struct flow_table *t)
{
	return (sizeof(struct flow_bucket) * ((size_t)t->bmask + 1) + (size_t)t->stride * t->cap +
		sizeof(uint32_t) * t->cap) / t->cap;
}

static inline uint32_t bucket2(uint32_t h, uint32_t mask)
{
	uint32_t b1 = h & mask, alt = rte_hash_crc_4byte(h, 0x2f5a3c1b);
	uint32_t b2 = alt & mask;
	return b2 == b1 ? (b1 ^ 1) & mask : b2;
}

/* Bit s set where bucket b's signature s equals h (8 lanes at once with
 * AVX2). */
static inline uint32_t sig_match(const struct flow_bucket *b, uint32_t h)
{
#ifdef __AVX2__
	__m256i v = _mm256_load_si256((const __m256i *)b->sig);
	return (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v, _mm256_set1_epi32((int)h))));
#else
	uint32_t m = 0;
	for (int s = 0; s < 8; s++)
		m |= (uint32_t)(b->sig[s] == h) << s;
	return m;
#endif
}

static inline bool key_eq(const struct flow_key *x, const struct flow_key *y)
{
	uint64_t a[2], b[2];
	memcpy(a, x, 16);
	memcpy(b, y, 16);
	return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

/* Is f the flow of key k (with addresses k6 when it is an IPv6 key)?
 * Without k6 an IPv6 key matches nothing. */
static inline __attribute__((always_inline)) bool flow_eq(const struct flow_table *t, const struct flow_fcb *f,
							  const struct flow_key *k, const struct flow_key6 *k6)
{
	if (!key_eq(&f->key, k))
		return false;
	if (likely(!flow_key_is_v6(k)))
		return true;
	return k6 && t->ext_off && !memcmp((const uint8_t *)f + t->ext_off, k6, sizeof(*k6));
}

static inline uint32_t idx_of(const struct flow_table *t, const struct flow_fcb *f)
{
	return (uint32_t)(((const uint8_t *)f - t->fcbs) / t->stride);
}

static void list_del(struct flow_table *t, struct flow_fcb *f)
{
	if (f->cls == FLOW_TO_NONE)
		return;
	struct flow_tlist *l = &t->lists[f->cls];
	if (f->prev == FLOW_NIL)
		l->head = f->next;
	else
		flow_table_fcb(t, f->prev)->next = f->next;
	if (f->next == FLOW_NIL)
		l->tail = f->prev;
	else
		flow_table_fcb(t, f->next)->prev = f->prev;
	f->cls = FLOW_TO_NONE;
}

static void list_add(struct flow_table *t, struct flow_fcb *f, uint8_t cls, uint64_t now)
{
	struct flow_tlist *l = &t->lists[cls];
	uint32_t i = idx_of(t, f);
	f->cls = cls;
	f->queued = now;
	f->next = FLOW_NIL;
	f->prev = l->tail;
	if (l->tail == FLOW_NIL)
		l->head = i;
	else
		flow_table_fcb(t, l->tail)->next = i;
	l->tail = i;
}

void flow_table_reclass(struct flow_table *t, struct flow_fcb *f, uint8_t cls, uint64_t now)
{
	list_del(t, f);
	list_add(t, f, cls, now);
}

/* Take flow f out of its bucket and list and put its FCB back (fn sees it
 * first). */
static void unlink_fcb(struct flow_table *t, struct flow_fcb *f, flow_release_fn fn, void *ctx)
{
	if (fn)
		fn(ctx, t, f);
	uint32_t idx = idx_of(t, f);
	list_del(t, f);
	uint32_t bs[2] = {f->hash & t->bmask, bucket2(f->hash, t->bmask)};
	for (int j = 0; j < 2; j++) {
		struct flow_bucket *b = &t->b[bs[j]];
		for (int s = 0; s < 8; s++)
			if (b->sig[s] == f->hash && b->idx[s] == idx) {
				b->sig[s] = 0;
				goto found;
			}
	}
found:
	f->live = 0;
	t->free[t->nfree++] = idx;
	t->count--;
	if (t->quota)
		t->quota->flows--;
}

void flow_table_remove(struct flow_table *t, struct flow_fcb *f, flow_release_fn fn, void *ctx)
{
	if (f->live)
		unlink_fcb(t, f, fn, ctx);
}

void flow_table_close(struct flow_table *t, struct flow_fcb *f)
{
	if (f->tcp & FLOW_TCP_RST)
		return;  /* already queued */
	f->tcp |= FLOW_TCP_RST;
	if (t->nclosing < RT_BATCH_MAX)
		t->closing[t->nclosing++] = idx_of(t, f);
	else
		f->expire = 0;  /* the next lookup, or its list's turn, ends it */
}

uint32_t flow_table_expire(struct flow_table *t, uint64_t now, uint32_t budget, flow_release_fn fn, void *ctx)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->nclosing; i++) {
		struct flow_fcb *f = flow_table_fcb(t, t->closing[i]);
		if (f->live) {
			unlink_fcb(t, f, fn, ctx);
			t->st.closed++;
			n++;
		}
	}
	t->nclosing = 0;
	for (int c = 0; c < FLOW_NCLASS && budget; c++) {
		struct flow_tlist *l = &t->lists[c];
		uint64_t to = t->to.t[c];
		while (budget && l->head != FLOW_NIL) {
			struct flow_fcb *f = flow_table_fcb(t, l->head);
			if (f->queued + to > now)
				break;  /* the list is in joining order: the rest joined later */
			budget--;
			if (f->expire <= now) {
				unlink_fcb(t, f, fn, ctx);
				t->st.expired++;
				n++;
			} else {
				list_del(t, f);  /* busy since it joined: to the tail */
				list_add(t, f, (uint8_t)c, now);
			}
		}
	}
	return n;
}

/* Find key k (addresses k6, hash h) in its two buckets. */
static struct flow_fcb *find(struct flow_table *t, const struct flow_key *k, const struct flow_key6 *k6, uint32_t h)
{
	uint32_t bs[2] = {h & t->bmask, bucket2(h, t->bmask)};
	for (int j = 0; j < 2; j++) {
		const struct flow_bucket *b = &t->b[bs[j]];
		for (uint32_t m = sig_match(b, h); m; m &= m - 1) {
			struct flow_fcb *f = flow_table_fcb(t, b->idx[__builtin_ctz(m)]);
			if (flow_eq(t, f, k, k6))
				return f;
		}
	}
	return NULL;
}

/* Insert key k: a free slot in either bucket (releasing idle flows found
 * there first) and a free FCB.  NULL when there is neither. */
static struct flow_fcb *insert(struct flow_table *t, const struct flow_key *k, const struct flow_key6 *k6, uint32_t h,
			       uint64_t now, flow_release_fn fn, void *ctx)
{
	uint32_t bs[2] = {h & t->bmask, bucket2(h, t->bmask)};
	struct flow_bucket *where = NULL;
	int ws = -1;
	for (int j = 0; j < 2 && !where; j++) {
		struct flow_bucket *b = &t->b[bs[j]];
		for (int s = 0; s < 8; s++) {
			if (b->sig[s] && flow_table_fcb(t, b->idx[s])->expire <= now) {
				unlink_fcb(t, flow_table_fcb(t, b->idx[s]), fn, ctx);
				t->st.expired++;
			}
			if (!b->sig[s]) {
				where = b, ws = s;
				break;
			}
		}
	}
	if (!where || !t->nfree || (flow_key_is_v6(k) && !(k6 && t->ext_off)))
		return NULL;
	if (unlikely(t->quota && flow_quota_flows(t->quota) >= t->quota->max_flows)) {
		t->quota->flow_drops++; /* its tenant's quota: as if full */
		return NULL;
	}
	uint32_t i = t->free[--t->nfree];
	struct flow_fcb *f = flow_table_fcb(t, i);
	memset(f, 0, t->stride);
	f->key = *k;
	if (flow_key_is_v6(k))
		memcpy((uint8_t *)f + t->ext_off, k6, sizeof(*k6));
	f->hash = h;
	f->live = 1;
	f->cls = FLOW_TO_NONE;
	f->expire = UINT64_MAX;  /* the manager sets it once the batch is classified */
	where->sig[ws] = h;
	where->idx[ws] = i;
	t->count++;
	t->st.inserted++;
	if (t->quota)
		t->quota->flows++;
	return f;
}

static inline __attribute__((always_inline)) void
lookup_bulk(struct flow_table *t, const struct flow_key *keys, const struct flow_key6 *k6, const uint32_t *hash,
	    uint32_t n, uint64_t now, struct flow_fcb **fcb, bool *is_new, flow_release_fn fn, void *ctx)
{
	uint32_t b1[RT_BATCH_MAX];
	/* 1: the primary bucket of every key (inserts fill primaries first,
	 * and at <= 50% load nearly every key is there: prefetching the
	 * secondary too would cost a memory access per packet for nothing) */
	for (uint32_t i = 0; i < n; i++) {
		b1[i] = hash[i] & t->bmask;
		rte_prefetch0(&t->b[b1[i]]);
	}
	/* 2: signatures; prefetch the candidate FCB */
	for (uint32_t i = 0; i < n; i++) {
		fcb[i] = NULL;
		uint32_t h = hash[i];
		const struct flow_bucket *b = &t->b[b1[i]];
		uint32_t m = sig_match(b, h);
		if (!m) {
			b = &t->b[bucket2(h, t->bmask)];
			m = sig_match(b, h);
		}
		if (m) {
			fcb[i] = flow_table_fcb(t, b->idx[__builtin_ctz(m)]);
			rte_prefetch0(fcb[i]);
		}
	}
	/* 3: keys, in packet order (a flow inserted for packet i is found
	 * for packet i + 1) */
	for (uint32_t i = 0; i < n; i++) {
		struct flow_fcb *f = fcb[i];
		is_new[i] = false;
		const struct flow_key6 *x = k6 ? &k6[i] : NULL;
		if (unlikely(!f || !f->live || !flow_eq(t, f, &keys[i], x)))
			f = find(t, &keys[i], x, hash[i]);
		if (f && unlikely(f->expire <= now)) {
			/* idle past its timeout: that flow ended, this one is new */
			unlink_fcb(t, f, fn, ctx);
			t->st.expired++;
			f = NULL;
		}
		if (!f) {
			f = insert(t, &keys[i], x, hash[i], now, fn, ctx);
			if (f)
				is_new[i] = true;
			else
				t->st.full++;
		}
		fcb[i] = f;
	}
}

void flow_table_lookup_bulk(struct flow_table *t, const struct flow_key *keys, const uint32_t *hash, uint32_t n,
			    uint64_t now, struct flow_fcb **fcb, bool *is_new, flow_release_fn fn, void *ctx)
{
	lookup_bulk(t, keys, NULL, hash, n, now, fcb, is_new, fn, ctx);
}

void flow_table_lookup_bulk_ext(struct flow_table *t, const struct flow_key *keys, const struct flow_key6 *k6,
				const uint32_t *hash, uint32_t n, uint64_t now, struct flow_fcb **fcb, bool *is_new,
				flow_release_fn fn, void *ctx)
{
	lookup_bulk(t, keys, k6, hash, n, now, fcb, is_new, fn, ctx);
}

void flow_table_foreach(struct flow_table *t, void (*fn)(void *ctx, struct flow_fcb *f), void *ctx)
{
	for (uint32_t i = 0; i < t->cap; i++)
		if (flow_table_fcb(t, i)->live)
			fn(ctx, flow_table_fcb(t, i));
}

int flow_table_move(struct flow_table *dst, struct flow_table *src, struct flow_fcb *f, uint32_t nheld)
{
	if (dst->stride != src->stride || dst->ext_off != src->ext_off)
		return -EINVAL;
	const struct flow_key6 *k6 = flow_key6_of(src, f);
	int dup = find(dst, &f->key, k6, f->hash) != NULL;
	uint32_t bs[2] = {f->hash & dst->bmask, bucket2(f->hash, dst->bmask)};
	struct flow_bucket *where = NULL;
	int ws = -1;
	for (int j = 0; j < 2 && !where; j++)
		for (int s = 0; s < 8; s++)
			if (!dst->b[bs[j]].sig[s]) {
				where = &dst->b[bs[j]], ws = s;
				break;
			}
	if (!where || !dst->nfree)
		return -ENOSPC;
	uint32_t i = dst->free[--dst->nfree];
	struct flow_fcb *g = flow_table_fcb(dst, i);
	memcpy(g, f, dst->stride);  /* header, slots, hold areas (the packets move with it), addresses */
	uint8_t cls = f->cls;
	g->cls = FLOW_TO_NONE;
	if (cls != FLOW_TO_NONE)
		list_add(dst, g, cls, f->queued);
	if (f->tcp & FLOW_TCP_RST)
		g->expire = 0;  /* queued for release in src: ends at its next lookup or list turn */
	where->sig[ws] = f->hash;
	where->idx[ws] = i;
	dst->count++;
	/* out of src, without release callbacks: its state lives on in g.
	 * The quotas: the workers own flows/held (and may be using them for
	 * other tables now), so the control thread moves the flow through
	 * cp_* (in use = flows - cp_flows) */
	struct flow_quota *q = src->quota;
	uint32_t idx = idx_of(src, f);
	src->quota = NULL;
	unlink_fcb(src, f, NULL, NULL);
	src->quota = q;
	/* not in src's RST queue any more: the index may be reused there */
	for (uint32_t k = 0; k < src->nclosing; k++)
		if (src->closing[k] == idx)
			src->closing[k--] = src->closing[--src->nclosing];
	if (src->quota) {
		__atomic_fetch_add(&src->quota->cp_flows, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&src->quota->cp_held, nheld, __ATOMIC_RELAXED);
	}
	if (dst->quota) {
		__atomic_fetch_sub(&dst->quota->cp_flows, 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&dst->quota->cp_held, nheld, __ATOMIC_RELAXED);
	}
	return dup;
}
