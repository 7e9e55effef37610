/*
 * mig_fib.c - the canonical multi-FIB route set (see mig_fib.h): routes in
 * one binary trie per family over the union of the FIBs' prefixes
 * (mig_fib_int.h), add/replace/remove, the order-independent content
 * checksum, and serialisation to bytes and back.
 *
 * Work per call: add, remove and get walk at most len + 1 nodes; foreach
 * and serialise visit every node once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>


#include "mig.h"
#include "mig_fib_int.h"

#define FORMAT 1
#define HDR_LEN 40
static const uint8_t MAGIC[6] = {'M', 'B', 'F', 'I', 'B', 0};

const char *mig_fib_route_str(const struct mig_fib_route *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	if (r->af == 4 || r->af == 6)
		inet_ntop(r->af == 4 ? AF_INET : AF_INET6, r->addr, a, sizeof(a));
	else
		snprintf(a, sizeof(a), "(family %u)", r->af);
	snprintf(buf, len, "fib %u %s/%u", r->fib, a, r->len);
	return buf;
}

/* ---- checksum ------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* A route's contribution: the form's checksum is the sum (mod 2^64) of its
 * routes', so it does not depend on order and updates in O(1). */
static uint64_t route_hash(const struct mig_fib_route *r)
{
	uint64_t a = 0, b = 0;
	for (int i = 0; i < 8; i++) {
		a = a << 8 | r->addr[i];
		b = b << 8 | r->addr[8 + i];
	}
	uint64_t h = mix64(((uint64_t)r->fib << 32 | (uint64_t)r->af << 8 | r->len) ^ 0x6d626669622d7631ull);
	h = mix64(h ^ a);
	h = mix64(h ^ b);
	return mix64(h ^ r->nh);
}

/* ---- the binary trie ------------------------------------------------------ */

static int grow(void **p, uint32_t *cap, size_t elem, uint32_t need)
{
	if (need <= *cap)
		return 0;
	uint32_t n = *cap ? *cap : 64;
	while (n < need) {
		if (n > UINT32_MAX / 2)
			return -ENOMEM;
		n *= 2;
	}
	void *q = realloc(*p, (size_t)n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static uint32_t node_new(struct mig_fib *f)
{
	uint32_t i;
	if (f->bn_free) {
		i = f->bn_free;
		f->bn_free = f->bn[i].child[0];
	} else {
		if (grow((void **)&f->bn, &f->bn_cap, sizeof(*f->bn), f->nbn + 1) < 0)
			return 0;
		i = f->nbn++;
	}
	f->bn[i] = (struct mig_fib_bnode){{0, 0}, 0};
	return i;
}

static void node_del(struct mig_fib *f, uint32_t i)
{
	f->bn[i].child[0] = f->bn_free;
	f->bn_free = i;
}

static uint32_t slot_new(struct mig_fib *f)
{
	uint32_t s, stride = f->nfib + 1;
	if (f->slot_free) {
		s = f->slot_free;
		f->slot_free = f->slots[(size_t)s * stride + 1];
	} else {
		if ((uint64_t)(f->nslots + 1) * stride > UINT32_MAX ||
		    grow((void **)&f->slots, &f->slot_cap, sizeof(uint32_t), (f->nslots + 1) * stride) < 0)
			return 0;
		s = f->nslots++;
	}
	uint32_t *w = f->slots + (size_t)s * stride;
	w[0] = 0;
	for (uint32_t i = 1; i < stride; i++)
		w[i] = MIG_FIB_NONE;
	return s;
}

static void slot_del(struct mig_fib *f, uint32_t s)
{
	f->slots[(size_t)s * (f->nfib + 1) + 1] = f->slot_free;
	f->slot_free = s;
}

int mig_fib_new(uint32_t nfib, struct mig_fib **out, struct rt_err *err)
{
	if (nfib < 1 || nfib > MIG_FIB_MAXFIBS)
		return rt_errf(err, NULL, -EINVAL, "fib: %u FIBs: must be 1 to %u", nfib, MIG_FIB_MAXFIBS);
	struct mig_fib *f = calloc(1, sizeof(*f));
	if (!f)
		return rt_errf(err, NULL, -ENOMEM, "fib: out of memory");
	f->nfib = nfib;
	f->nbn = 1;      /* node 0 is null */
	f->nslots = 1;   /* slot 0 is none */
	f->root[0] = node_new(f);
	f->root[1] = f->root[0] ? node_new(f) : 0;
	if (!f->root[1] || grow((void **)&f->slots, &f->slot_cap, sizeof(uint32_t), nfib + 1) < 0) {
		mig_fib_free(f);
		return rt_errf(err, NULL, -ENOMEM, "fib: out of memory");
	}
	*out = f;
	return 0;
}

void mig_fib_free(struct mig_fib *f)
{
	if (!f)
		return;
	free(f->bn);
	free(f->slots);
	free(f);
}

uint32_t mig_fib_nfib(const struct mig_fib *f) { return f->nfib; }
size_t mig_fib_nroutes(const struct mig_fib *f) { return f->nroutes; }
uint64_t mig_fib_version(const struct mig_fib *f) { return f->version; }
uint64_t mig_fib_checksum(const struct mig_fib *f) { return f->checksum; }

static int check_route(const struct mig_fib *f, const struct mig_fib_route *r, struct rt_err *err)
{
	char s[80];
	if (r->af != 4 && r->af != 6)
		return rt_errf(err, NULL, -EINVAL, "fib: route family %u: must be 4 or 6", r->af);
	unsigned max = r->af == 4 ? 32 : 128;
	if (r->len > max)
		return rt_errf(err, NULL, -EINVAL, "%s: prefix length over %u", mig_fib_route_str(r, s, sizeof(s)), max);
	for (unsigned i = r->len; i < 128; i++)
		if (mig_fib_bit(r->addr, i))
			return rt_errf(err, NULL, -EINVAL, "%s: host bits set", mig_fib_route_str(r, s, sizeof(s)));
	if (r->fib >= f->nfib)
		return rt_errf(err, NULL, -EINVAL, "%s: no such FIB (there are %u)", mig_fib_route_str(r, s, sizeof(s)),
			       f->nfib);
	return 0;
}

int mig_fib_add(struct mig_fib *f, const struct mig_fib_route *r, struct rt_err *err)
{
	char s[80];
	int rc = check_route(f, r, err);
	if (rc < 0)
		return rc;
	if (r->nh == MIG_FIB_NONE)
		return rt_errf(err, NULL, -EINVAL, "%s: next hop 0x%x is reserved for 'no route'",
			       mig_fib_route_str(r, s, sizeof(s)), MIG_FIB_NONE);
	/* Reserve the nodes and the slot first, so failing leaves no change. */
	uint32_t b = f->root[r->af == 6], d = 0;
	while (d < r->len && f->bn[b].child[mig_fib_bit(r->addr, d)])
		b = f->bn[b].child[mig_fib_bit(r->addr, d++)];
	uint32_t need = r->len - d;
	if (grow((void **)&f->bn, &f->bn_cap, sizeof(*f->bn), f->nbn + need) < 0 ||
	    ((need || !f->bn[b].slot) &&
	     grow((void **)&f->slots, &f->slot_cap, sizeof(uint32_t), (f->nslots + 1) * (f->nfib + 1)) < 0))
		return rt_errf(err, NULL, -ENOMEM, "%s: out of memory", mig_fib_route_str(r, s, sizeof(s)));
	for (; d < r->len; d++) {
		uint32_t c = node_new(f);
		if (!c)
			return rt_errf(err, NULL, -ENOMEM, "%s: out of memory", mig_fib_route_str(r, s, sizeof(s)));
		f->bn[b].child[mig_fib_bit(r->addr, d)] = c;
		b = c;
	}
	if (!f->bn[b].slot) {
		uint32_t sl = slot_new(f);
		if (!sl)
			return rt_errf(err, NULL, -ENOMEM, "%s: out of memory", mig_fib_route_str(r, s, sizeof(s)));
		f->bn[b].slot = sl;
	}
	uint32_t *w = f->slots + (size_t)f->bn[b].slot * (f->nfib + 1);
	uint32_t old = w[1 + r->fib];
	f->version++;
	f->checksum += route_hash(r);
	w[1 + r->fib] = r->nh;
	if (old != MIG_FIB_NONE) {
		struct mig_fib_route o = *r;
		o.nh = old;
		f->checksum -= route_hash(&o);
		return 1;
	}
	w[0]++;
	f->nroutes++;
	return 0;
}

int mig_fib_remove(struct mig_fib *f, const struct mig_fib_route *r, struct rt_err *err)
{
	char s[80];
	int rc = check_route(f, r, err);
	if (rc < 0)
		return rc;
	uint32_t path[129];
	uint32_t b = f->root[r->af == 6], d = 0;
	path[0] = b;
	while (b && d < r->len) {
		b = f->bn[b].child[mig_fib_bit(r->addr, d++)];
		path[d] = b;
	}
	uint32_t *w = b && f->bn[b].slot ? f->slots + (size_t)f->bn[b].slot * (f->nfib + 1) : NULL;
	if (!w || w[1 + r->fib] == MIG_FIB_NONE)
		return rt_errf(err, NULL, -ENOENT, "%s: no such route", mig_fib_route_str(r, s, sizeof(s)));
	struct mig_fib_route o = *r;
	o.nh = w[1 + r->fib];
	f->checksum -= route_hash(&o);
	f->version++;
	f->nroutes--;
	w[1 + r->fib] = MIG_FIB_NONE;
	if (--w[0])
		return 0;
	slot_del(f, f->bn[b].slot);
	f->bn[b].slot = 0;
	/* Prune the nodes that now hold nothing, bottom up (never a root). */
	for (; d > 0; d--) {
		struct mig_fib_bnode *n = &f->bn[path[d]];
		if (n->slot || n->child[0] || n->child[1])
			break;
		f->bn[path[d - 1]].child[mig_fib_bit(r->addr, d - 1)] = 0;
		node_del(f, path[d]);
	}
	return 0;
}

uint32_t mig_fib_get(const struct mig_fib *f, const struct mig_fib_route *r)
{
	if ((r->af != 4 && r->af != 6) || r->fib >= f->nfib || r->len > (r->af == 4 ? 32 : 128))
		return MIG_FIB_NONE;
	uint32_t b = f->root[r->af == 6];
	for (unsigned d = 0; b && d < r->len; d++)
		b = f->bn[b].child[mig_fib_bit(r->addr, d)];
	return b && f->bn[b].slot ? mig_fib_slot_nh(f, f->bn[b].slot)[r->fib] : MIG_FIB_NONE;
}

static void walk(const struct mig_fib *f, uint32_t b, struct mig_fib_route *r,
		 void (*fn)(const struct mig_fib_route *r, void *arg), void *arg)
{
	if (f->bn[b].slot) {
		const uint32_t *nh = mig_fib_slot_nh(f, f->bn[b].slot);
		for (uint32_t i = 0; i < f->nfib; i++)
			if (nh[i] != MIG_FIB_NONE) {
				r->fib = i;
				r->nh = nh[i];
				fn(r, arg);
			}
	}
	unsigned d = r->len;
	for (unsigned k = 0; k < 2; k++) {
		if (!f->bn[b].child[k])
			continue;
		if (k)
			r->addr[d >> 3] |= 0x80 >> (d & 7);
		r->len = d + 1;
		walk(f, f->bn[b].child[k], r, fn, arg);
		r->len = d;
		r->addr[d >> 3] &= ~(0x80 >> (d & 7));
	}
}

void mig_fib_foreach(const struct mig_fib *f, void (*fn)(const struct mig_fib_route *r, void *arg), void *arg)
{
	for (int af = 0; af < 2; af++) {
		struct mig_fib_route r = {.af = af ? 6 : 4};
		walk(f, f->root[af], &r, fn, arg);
	}
}

/* ---- serialisation ---------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}
static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}
static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* A route is fib (4), nh (4), family (1), length (1), then the prefix's
 * ceil(length / 8) bytes. */
static size_t route_bytes(const struct mig_fib_route *r) { return 10 + (r->len + 7u) / 8; }

struct ser {
	uint8_t *p;
	size_t off;
};

static void add_bytes(const struct mig_fib_route *r, void *arg)
{
	size_t *n = arg;
	*n += route_bytes(r);
}

static void put_route(const struct mig_fib_route *r, void *arg)
{
	struct ser *s = arg;
	uint8_t *p = s->p + s->off;
	put32(p, r->fib);
	put32(p + 4, r->nh);
	p[8] = r->af;
	p[9] = r->len;
	memcpy(p + 10, r->addr, (r->len + 7u) / 8);
	s->off += route_bytes(r);
}

int mig_fib_serialise(const struct mig_fib *f, void **buf, size_t *len, struct rt_err *err)
{
	size_t n = HDR_LEN + 4;
	mig_fib_foreach(f, add_bytes, &n);
	struct ser s = {malloc(n), HDR_LEN};
	if (!s.p)
		return rt_errf(err, NULL, -ENOMEM, "fib: serialise: out of memory (%zu bytes)", n);
	memcpy(s.p, MAGIC, 6);
	s.p[6] = FORMAT & 0xff;
	s.p[7] = FORMAT >> 8;
	put32(s.p + 8, f->nfib);
	put32(s.p + 12, 0);
	put64(s.p + 16, f->version);
	put64(s.p + 24, f->nroutes);
	put64(s.p + 32, f->checksum);
	mig_fib_foreach(f, put_route, &s);
	put32(s.p + s.off, mig_crc32c(0, s.p, s.off));
	*buf = s.p;
	*len = n;
	return 0;
}

int mig_fib_deserialise(const void *buf, size_t len, struct mig_fib **out, struct rt_err *err)
{
	const uint8_t *p = buf;
	if (len < HDR_LEN + 4)
		return rt_errf(err, NULL, -EINVAL, "fib: deserialise: %zu bytes, too short for a header (%d)", len,
			       HDR_LEN + 4);
	if (memcmp(p, MAGIC, 6))
		return rt_errf(err, NULL, -EINVAL, "fib: deserialise: byte 0: not a FIB (bad magic)");
	unsigned format = p[6] | p[7] << 8;
	if (format != FORMAT)
		return rt_errf(err, NULL, -EINVAL, "fib: deserialise: byte 6: format %u, this build reads %u", format,
			       FORMAT);
	uint32_t crc = mig_crc32c(0, p, len - 4), want = get32(p + len - 4);
	if (crc != want)
		return rt_errf(err, NULL, -EINVAL,
			       "fib: deserialise: checksum mismatch: CRC32C of bytes 0-%zu is 0x%08x, the data says 0x%08x",
			       len - 5, crc, want);
	struct mig_fib *f;
	int rc = mig_fib_new(get32(p + 8), &f, err);
	if (rc < 0) {
		rt_err_prefix(err, "fib: deserialise: byte 8");
		return rc;
	}
	uint64_t nroutes = get64(p + 24), sum = get64(p + 32);
	size_t off = HDR_LEN, end = len - 4;
	char s[80];
	while (off < end) {
		struct mig_fib_route r = {0};
		if (end - off < 10 || end - off < 10 + (p[off + 9] + 7u) / 8) {
			rc = rt_errf(err, NULL, -EINVAL, "fib: deserialise: byte %zu: route cut short", off);
			goto fail;
		}
		r.fib = get32(p + off);
		r.nh = get32(p + off + 4);
		r.af = p[off + 8];
		r.len = p[off + 9];
		if (r.len > 128) {
			rc = rt_errf(err, NULL, -EINVAL, "fib: deserialise: byte %zu: prefix length %u", off, r.len);
			goto fail;
		}
		memcpy(r.addr, p + off + 10, (r.len + 7u) / 8);
		rc = mig_fib_add(f, &r, err);
		if (rc == 1)
			rc = rt_errf(err, NULL, -EINVAL, "%s: duplicate route", mig_fib_route_str(&r, s, sizeof(s)));
		if (rc < 0) {
			snprintf(s, sizeof(s), "fib: deserialise: byte %zu", off);
			rt_err_prefix(err, s);
			goto fail;
		}
		off += route_bytes(&r);
	}
	if (f->nroutes != nroutes) {
		rc = rt_errf(err, NULL, -EINVAL, "fib: deserialise: %zu routes, the header says %llu", f->nroutes,
			     (unsigned long long)nroutes);
		goto fail;
	}
	if (f->checksum != sum) {
		rc = rt_errf(err, NULL, -EINVAL,
			     "fib: deserialise: checksum mismatch: the routes sum to 0x%016llx, the header says 0x%016llx",
			     (unsigned long long)f->checksum, (unsigned long long)sum);
		goto fail;
	}
	f->version = get64(p + 16);
	*out = f;
	return 0;
fail:
	mig_fib_free(f);
	return rc;
}
