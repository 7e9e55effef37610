/*
 * mig_cls.c - the big classifier's canonical form (rules by id, version,
 * checksum, serialisation) and the flat form its kernel walks on every
 * placement (mig_cls.h, kernels/cls.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mig.h"
#include "mig_cls.h"

/* ---- canonical form ---------------------------------------------------------------- */

void mig_cls_set_init(struct mig_cls_set *s) { memset(s, 0, sizeof(*s)); }

void mig_cls_set_free(struct mig_cls_set *s)
{
	free(s->r);
	free(s->live);
	mig_cls_set_init(s);
}

/* Room for ids < n (the id space grows to n). */
static int set_grow(struct mig_cls_set *s, uint32_t n, struct rt_err *err)
{
	if (n > s->cap) {
		uint32_t cap = s->cap ? s->cap : 64;
		while (cap < n)
			cap = cap > UINT32_MAX / 2 ? UINT32_MAX : cap * 2;
		struct cls_rule *nr = realloc(s->r, sizeof(*nr) * cap);
		if (!nr)
			return rt_errf(err, NULL, -ENOMEM, "cls: out of memory for %u rules", cap);
		s->r = nr;
		uint8_t *nl = realloc(s->live, cap);
		if (!nl)
			return rt_errf(err, NULL, -ENOMEM, "cls: out of memory for %u rules", cap);
		memset(nl + s->cap, 0, cap - s->cap);
		s->live = nl;
		s->cap = cap;
	}
	if (n > s->nid)
		s->nid = n;
	return 0;
}

int mig_cls_set_reserve(struct mig_cls_set *s, uint32_t nid, struct rt_err *err)
{
	if (nid > MIG_CLS_MAX_IDS)
		return rt_errf(err, NULL, -EINVAL, "cls: an id space of %u, more than %u", nid, MIG_CLS_MAX_IDS);
	return set_grow(s, nid, err);
}

int mig_cls_set_put(struct mig_cls_set *s, uint32_t id, const struct cls_rule *r, struct rt_err *err)
{
	if (id >= MIG_CLS_MAX_IDS)
		return rt_errf(err, NULL, -EINVAL, "cls: rule id %u is out of range (ids < %u)", id, MIG_CLS_MAX_IDS);
	int rc = set_grow(s, id + 1, err);
	if (rc < 0)
		return rc;
	s->nlive += !s->live[id];
	s->live[id] = 1;
	s->r[id] = *r;
	return 0;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v), put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v), put32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

#define SER_MAGIC "MBCLSR"
#define SER_FORMAT 1
#define SER_HDR 32 /* magic 6, format 2, version 8, nid 4, nlive 4, content crc 4, 0 4 */
#define SER_REC 36 /* id, src, dst, slen, dlen, proto, pmask, 4 ports, flags, fmask, prio, cls */

static void put_rule(uint8_t *p, uint32_t id, const struct cls_rule *r)
{
	put32(p, id);
	put32(p + 4, r->src);
	put32(p + 8, r->dst);
	p[12] = r->slen, p[13] = r->dlen, p[14] = r->proto, p[15] = r->proto_mask;
	put16(p + 16, r->sport_lo), put16(p + 18, r->sport_hi), put16(p + 20, r->dport_lo), put16(p + 22, r->dport_hi);
	put16(p + 24, r->flags), put16(p + 26, r->flags_mask);
	put32(p + 28, r->prio);
	put32(p + 32, r->cls);
}

static void get_rule(const uint8_t *p, uint32_t *id, struct cls_rule *r)
{
	*id = get32(p);
	r->src = get32(p + 4);
	r->dst = get32(p + 8);
	r->slen = p[12], r->dlen = p[13], r->proto = p[14], r->proto_mask = p[15];
	r->sport_lo = get16(p + 16), r->sport_hi = get16(p + 18), r->dport_lo = get16(p + 20), r->dport_hi = get16(p + 22);
	r->flags = get16(p + 24), r->flags_mask = get16(p + 26);
	r->prio = get32(p + 28);
	r->cls = get32(p + 32);
}

uint32_t mig_cls_set_checksum(const struct mig_cls_set *s)
{
	uint32_t crc = 0;
	uint8_t b[SER_REC];
	for (uint32_t id = 0; id < s->nid; id++)
		if (s->live[id]) {
			put_rule(b, id, &s->r[id]);
			crc = mig_crc32c(crc, b, SER_REC);
		}
	return crc;
}

int mig_cls_serialise(const struct mig_cls_set *s, void **buf, size_t *len, struct rt_err *err)
{
	size_t n = SER_HDR + (size_t)s->nlive * SER_REC + 4;
	uint8_t *p = malloc(n);
	if (!p)
		return rt_errf(err, NULL, -ENOMEM, "cls: serialise: out of memory (%zu bytes)", n);
	memcpy(p, SER_MAGIC, 6);
	put16(p + 6, SER_FORMAT);
	put64(p + 8, s->version);
	put32(p + 16, s->nid);
	put32(p + 20, s->nlive);
	put32(p + 24, mig_cls_set_checksum(s));
	put32(p + 28, 0);
	size_t off = SER_HDR;
	for (uint32_t id = 0; id < s->nid; id++)
		if (s->live[id]) {
			put_rule(p + off, id, &s->r[id]);
			off += SER_REC;
		}
	put32(p + off, mig_crc32c(0, p, off));
	*buf = p;
	*len = n;
	return 0;
}

/* What is wrong with a rule's fields, or NULL. */
static const char *rule_bad(const struct cls_rule *r)
{
	if (r->slen > 32 || r->dlen > 32)
		return "prefix length over 32";
	if ((r->src & ~cls_pfx_mask(r->slen)) || (r->dst & ~cls_pfx_mask(r->dlen)))
		return "address bits set past the prefix length";
	if (r->sport_lo > r->sport_hi || r->dport_lo > r->dport_hi)
		return "port range ends before it starts";
	if ((r->proto & ~r->proto_mask) || (r->flags & ~r->flags_mask))
		return "protocol or flag bits set outside their mask";
	return NULL;
}

int mig_cls_deserialise(const void *buf, size_t len, struct mig_cls_set *out, struct rt_err *err)
{
	const uint8_t *p = buf;
	if (len < SER_HDR + 4)
		return rt_errf(err, NULL, -EINVAL, "cls: deserialise: %zu bytes, too short for a header (%d)", len,
			       SER_HDR + 4);
	if (memcmp(p, SER_MAGIC, 6))
		return rt_errf(err, NULL, -EINVAL, "cls: deserialise: byte 0: not a rule set (bad magic)");
	unsigned format = get16(p + 6);
	if (format != SER_FORMAT)
		return rt_errf(err, NULL, -EINVAL, "cls: deserialise: byte 6: format %u, this build reads %u", format,
			       SER_FORMAT);
	uint32_t crc = mig_crc32c(0, p, len - 4), want = get32(p + len - 4);
	if (crc != want)
		return rt_errf(err, NULL, -EINVAL,
			       "cls: deserialise: checksum mismatch: CRC32C of bytes 0-%zu is 0x%08x, the data says 0x%08x",
			       len - 5, crc, want);
	uint32_t nid = get32(p + 16), nlive = get32(p + 20), sum = get32(p + 24);
	if ((len - SER_HDR - 4) % SER_REC || (len - SER_HDR - 4) / SER_REC != nlive)
		return rt_errf(err, NULL, -EINVAL, "cls: deserialise: %zu bytes of rules, the header says %u rules of %d",
			       len - SER_HDR - 4, nlive, SER_REC);
	if (nlive > nid)
		return rt_errf(err, NULL, -EINVAL, "cls: deserialise: byte 20: %u rules in an id space of %u", nlive, nid);
	if (nid > MIG_CLS_MAX_IDS)
		return rt_errf(err, NULL, -EINVAL, "cls: deserialise: byte 16: an id space of %u, more than %u", nid,
			       MIG_CLS_MAX_IDS);
	struct mig_cls_set s;
	mig_cls_set_init(&s);
	int rc = 0;
	int64_t last = -1;
	for (uint32_t i = 0; i < nlive; i++) {
		size_t off = SER_HDR + (size_t)i * SER_REC;
		uint32_t id;
		struct cls_rule r;
		get_rule(p + off, &id, &r);
		const char *bad = rule_bad(&r);
		if ((int64_t)id <= last || id >= nid)
			bad = "rule id out of order or past the id space";
		if (bad) {
			rc = rt_errf(err, NULL, -EINVAL, "cls: deserialise: byte %zu: rule %u: %s", off, id, bad);
			goto fail;
		}
		if ((rc = mig_cls_set_put(&s, id, &r, err)) < 0)
			goto fail;
		last = id;
	}
	if ((rc = set_grow(&s, nid, err)) < 0) /* ids past the last live rule stay unused */
		goto fail;
	if (mig_cls_set_checksum(&s) != sum) {
		rc = rt_errf(err, NULL, -EINVAL,
			     "cls: deserialise: content checksum mismatch: the rules sum to 0x%08x, the header says 0x%08x",
			     mig_cls_set_checksum(&s), sum);
		goto fail;
	}
	s.version = get64(p + 8);
	mig_cls_set_free(out);
	*out = s;
	return 0;
fail:
	mig_cls_set_free(&s);
	return rc;
}

/* ---- the flat form ------------------------------------------------------------------ */

/* Tables: source and destination lengths rounded down to a multiple of 8,
 * /32 to /24 (as the cpu's tuple merge relaxes its tables), so a rule set
 * has at most 16 tables and a key probes few. */
#define NLEN 4
static uint32_t relax_idx(uint32_t l) { return l < 8 ? 0 : l == 32 ? 3 : l / 8; }

struct fref {
	uint32_t tab, fp, prio, id;
};

static int by_ref(const void *x, const void *y)
{
	const struct fref *a = x, *b = y;
	if (a->tab != b->tab)
		return a->tab < b->tab ? -1 : 1;
	if (a->fp != b->fp)
		return a->fp < b->fp ? -1 : 1;
	if (a->prio != b->prio)
		return a->prio < b->prio ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

struct ftab {
	uint32_t tuple;          /* relaxed (sl, dl) index */
	uint32_t first, n;       /* its refs */
	uint32_t nbk, size;
	uint32_t bprio, bid;     /* best rule */
};

static int by_best(const void *x, const void *y)
{
	const struct ftab *a = x, *b = y;
	if (a->bprio != b->bprio)
		return a->bprio < b->bprio ? -1 : 1;
	return a->bid < b->bid ? -1 : a->bid > b->bid;
}

void mig_cls_flat_free(struct mig_cls_flat *f)
{
	if (!f)
		return;
	free(f->w);
	free(f);
}

int mig_cls_flat_build(const struct mig_cls_set *s, struct mig_cls_flat **out, struct rt_err *err)
{
	struct fref *refs = malloc(sizeof(*refs) * (s->nlive ? s->nlive : 1));
	struct ftab tabs[NLEN * NLEN];
	struct mig_cls_flat *f = calloc(1, sizeof(*f));
	uint32_t n = 0, ntab = 0;
	if (!refs || !f)
		goto nomem;
	for (uint32_t id = 0; id < s->nid; id++) {
		if (!s->live[id])
			continue;
		const struct cls_rule *r = &s->r[id];
		uint32_t sl = relax_idx(r->slen), dl = relax_idx(r->dlen);
		uint32_t sm = cls_pfx_mask(sl == 3 ? 24 : sl * 8), dm = cls_pfx_mask(dl == 3 ? 24 : dl * 8);
		refs[n++] = (struct fref){sl * NLEN + dl, mig_cls_hash(r->src & sm, r->dst & dm), r->prio, id};
	}
	qsort(refs, n, sizeof(*refs), by_ref);
	for (uint32_t i = 0; i < n; i++) {
		if (!ntab || tabs[ntab - 1].tuple != refs[i].tab) {
			tabs[ntab++] = (struct ftab){refs[i].tab, i, 0, 0, 0, refs[i].prio, refs[i].id};
		}
		struct ftab *t = &tabs[ntab - 1];
		if (!t->n || refs[i - 1].fp != refs[i].fp)
			t->nbk++;
		t->n++;
		if (refs[i].prio < t->bprio || (refs[i].prio == t->bprio && refs[i].id < t->bid))
			t->bprio = refs[i].prio, t->bid = refs[i].id;
	}
	qsort(tabs, ntab, sizeof(tabs[0]), by_best);
	uint64_t nslot = 0;
	for (uint32_t t = 0; t < ntab; t++) {
		uint32_t size = 16;
		while (size < 2 * tabs[t].nbk)
			size *= 2;
		tabs[t].size = size;
		nslot += size;
	}
	uint64_t words = MIG_CLS_HDR_WORDS + (uint64_t)ntab * MIG_CLS_TAB_WORDS + nslot * MIG_CLS_SLOT_WORDS +
			 (uint64_t)n * MIG_CLS_RULE_WORDS;
	if (words > UINT32_MAX / 2 || !(f->w = calloc(words, 4)))
		goto nomem;
	uint32_t *w = f->w;
	w[0] = MIG_CLS_MAGIC;
	w[1] = MIG_CLS_FORMAT;
	w[2] = ntab;
	w[3] = (uint32_t)nslot;
	w[4] = n;
	w[5] = MIG_CLS_HDR_WORDS;
	w[6] = w[5] + ntab * MIG_CLS_TAB_WORDS;
	w[7] = w[6] + (uint32_t)nslot * MIG_CLS_SLOT_WORDS;
	uint32_t *slots = w + w[6], *rules = w + w[7];
	uint32_t sbase = 0, rbase = 0;
	for (uint32_t t = 0; t < ntab; t++) {
		const struct ftab *ft = &tabs[t];
		uint32_t sl = ft->tuple / NLEN, dl = ft->tuple % NLEN;
		uint32_t *tp = w + w[5] + t * MIG_CLS_TAB_WORDS;
		tp[0] = cls_pfx_mask(sl == 3 ? 24 : sl * 8);
		tp[1] = cls_pfx_mask(dl == 3 ? 24 : dl * 8);
		tp[2] = 32 - (uint32_t)__builtin_ctz(ft->size);
		tp[3] = ft->size - 1;
		tp[4] = sbase;
		tp[5] = ft->bprio;
		tp[6] = ft->bid;
		tp[7] = ft->n;
		for (uint32_t i = ft->first; i < ft->first + ft->n;) {
			uint32_t fp = refs[i].fp, j = i;
			for (; j < ft->first + ft->n && refs[j].fp == fp; j++) {
				const struct cls_rule *r = &s->r[refs[j].id];
				uint32_t *rr = rules + (size_t)(rbase + j - ft->first) * MIG_CLS_RULE_WORDS;
				rr[1] = cls_pfx_mask(r->slen);
				rr[0] = r->src & rr[1];
				rr[3] = cls_pfx_mask(r->dlen);
				rr[2] = r->dst & rr[3];
				rr[4] = r->sport_lo | (uint32_t)r->sport_hi << 16;
				rr[5] = r->dport_lo | (uint32_t)r->dport_hi << 16;
				rr[6] = r->proto | (uint32_t)r->proto_mask << 8;
				rr[7] = r->flags | (uint32_t)r->flags_mask << 16;
				rr[8] = r->prio;
				rr[9] = refs[j].id;
				rr[10] = r->cls;
			}
			uint32_t h = fp >> tp[2];
			while (slots[(size_t)(sbase + h) * MIG_CLS_SLOT_WORDS + 2])
				h = (h + 1) & tp[3];
			uint32_t *sp = slots + (size_t)(sbase + h) * MIG_CLS_SLOT_WORDS;
			sp[0] = fp;
			sp[1] = rbase + i - ft->first;
			sp[2] = j - i;
			i = j;
		}
		sbase += ft->size;
		rbase += ft->n;
	}
	free(refs);
	f->nwords = (uint32_t)words;
	f->ntab = ntab;
	f->nslot = (uint32_t)nslot;
	f->nrule = n;
	f->version = s->version;
	f->crc = mig_crc32c(0, f->w, (size_t)words * 4);
	*out = f;
	return 0;
nomem:
	free(refs);
	mig_cls_flat_free(f);
	return rt_errf(err, NULL, -ENOMEM, "cls: out of memory building the flat form of %u rules", s->nlive);
}
