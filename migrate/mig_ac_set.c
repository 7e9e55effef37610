/*
 * mig_ac_set.c - the multi-pattern matcher's canonical host form: a set of
 * patterns (id, bytes, case flag), its serialised bytes and their CRC-32C.
 * Every placement's automaton is built from this form, and this form is
 * what moves when an element changes placement.  Control plane only.
 */
#include <errno.h>
#include <stdlib.h>

#include "mig_ac.h"

#define SER_MAGIC "MBAC"

/* CRC-32C, bitwise: the sets are small and this runs on the control plane
 * (about 8 operations per byte; 10 K patterns of 20 bytes take well under a
 * millisecond), and it needs neither a table nor SSE 4.2. */
uint32_t mig_ac_crc32c(uint32_t crc, const void *p, size_t len) { return mig_crc32c(crc, p, len); }

void mig_ac_set_init(struct mig_ac_set *s) { memset(s, 0, sizeof(*s)); }

void mig_ac_set_free(struct mig_ac_set *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		free(s->pats[i].bytes);
	free(s->pats);
	free(s->idhash);
	memset(s, 0, sizeof(*s));
}

static uint32_t id_slot(uint32_t id, uint32_t cap) { return (id * 0x9e3779b1u) & (cap - 1); }

/* The id hash holds pattern indices + 1 (0 = empty slot). */
static bool id_find(const struct mig_ac_set *s, uint32_t id)
{
	if (!s->idcap)
		return false;
	for (uint32_t h = id_slot(id, s->idcap);; h = (h + 1) & (s->idcap - 1)) {
		uint32_t v = s->idhash[h];
		if (!v)
			return false;
		if (s->pats[v - 1].id == id)
			return true;
	}
}

static void id_insert(uint32_t *tab, uint32_t cap, const struct mig_ac_pat *pats, uint32_t idx)
{
	uint32_t h = id_slot(pats[idx].id, cap);
	while (tab[h])
		h = (h + 1) & (cap - 1);
	tab[h] = idx + 1;
}

static int grow(struct mig_ac_set *s)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		struct mig_ac_pat *p = realloc(s->pats, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->pats = p;
		s->cap = cap;
	}
	if ((s->n + 1) * 2 > s->idcap) {
		uint32_t cap = s->idcap ? s->idcap * 2 : 32;
		uint32_t *t = calloc(cap, sizeof(*t));
		if (!t)
			return -ENOMEM;
		for (uint32_t i = 0; i < s->n; i++)
			id_insert(t, cap, s->pats, i);
		free(s->idhash);
		s->idhash = t;
		s->idcap = cap;
	}
	return 0;
}

int mig_ac_set_add(struct mig_ac_set *s, uint32_t id, const void *bytes, size_t len, uint32_t flags,
		   struct rt_err *err)
{
	if (!len)
		return rt_errf(err, NULL, -EINVAL, "pattern %u is empty", id);
	if (len > UINT32_MAX / 2)
		return rt_errf(err, NULL, -EINVAL, "pattern %u is too long (%zu bytes)", id, len);
	if (id == MIG_AC_NONE)
		return rt_errf(err, NULL, -EINVAL, "pattern id %u is reserved", id);
	if (flags & ~MIG_AC_NOCASE)
		return rt_errf(err, NULL, -EINVAL, "pattern %u: unknown flags 0x%x", id, flags);
	if (id_find(s, id))
		return rt_errf(err, NULL, -EEXIST, "pattern id %u given twice", id);
	uint8_t *copy = malloc(len);
	if (!copy || grow(s) < 0) {
		free(copy);
		return rt_errf(err, NULL, -ENOMEM, "out of memory adding pattern %u", id);
	}
	memcpy(copy, bytes, len);
	s->pats[s->n] = (struct mig_ac_pat){ .id = id, .flags = flags, .len = (uint32_t)len, .bytes = copy };
	id_insert(s->idhash, s->idcap, s->pats, s->n);
	s->n++;
	s->total_len += len;
	s->gen++;
	return 0;
}

int mig_ac_set_remove(struct mig_ac_set *s, uint32_t id, struct rt_err *err)
{
	uint32_t i = 0;
	while (i < s->n && s->pats[i].id != id)
		i++;
	if (i == s->n)
		return rt_errf(err, NULL, -ENOENT, "no pattern %u", id);
	s->total_len -= s->pats[i].len;
	free(s->pats[i].bytes);
	memmove(s->pats + i, s->pats + i + 1, (s->n - i - 1) * sizeof(*s->pats));
	s->n--;
	s->gen++;
	/* indices moved: rebuild the id hash */
	memset(s->idhash, 0, s->idcap * sizeof(uint32_t));
	for (uint32_t k = 0; k < s->n; k++)
		id_insert(s->idhash, s->idcap, s->pats, k);
	return 0;
}

static void put32(struct rt_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	rt_buf_add(b, x, 4);
}

static uint32_t get32(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static void body(const struct mig_ac_set *s, struct rt_buf *b)
{
	rt_buf_add(b, SER_MAGIC, 4);
	put32(b, MIG_AC_FORMAT);
	put32(b, s->gen);
	put32(b, s->n);
	for (uint32_t i = 0; i < s->n; i++) {
		put32(b, s->pats[i].id);
		put32(b, s->pats[i].flags);
		put32(b, s->pats[i].len);
		rt_buf_add(b, s->pats[i].bytes, s->pats[i].len);
	}
}

void mig_ac_set_serialize(const struct mig_ac_set *s, struct rt_buf *out)
{
	size_t start = out->len;
	body(s, out);
	put32(out, mig_ac_crc32c(0, out->p + start, out->len - start));
}

uint32_t mig_ac_set_checksum(const struct mig_ac_set *s)
{
	struct rt_buf b;
	rt_buf_init(&b);
	body(s, &b);
	uint32_t c = mig_ac_crc32c(0, b.p, b.len);
	rt_buf_free(&b);
	return c;
}

int mig_ac_set_deserialize(struct mig_ac_set *s, const void *p, size_t len, struct rt_err *err)
{
	const uint8_t *b = p;
	if (len < 20 || memcmp(b, SER_MAGIC, 4))
		return rt_errf(err, NULL, -EINVAL, "not a pattern set (bad magic or %zu bytes)", len);
	if (get32(b + 4) != MIG_AC_FORMAT)
		return rt_errf(err, NULL, -EINVAL, "pattern set format %u, expected %u", get32(b + 4), MIG_AC_FORMAT);
	uint32_t want = get32(b + len - 4), got = mig_ac_crc32c(0, b, len - 4);
	if (want != got)
		return rt_errf(err, NULL, -EINVAL, "pattern set checksum mismatch (0x%08x, computed 0x%08x)", want, got);
	struct mig_ac_set t;
	mig_ac_set_init(&t);
	uint32_t gen = get32(b + 8), n = get32(b + 12);
	size_t off = 16, end = len - 4;
	uint32_t i;
	for (i = 0; i < n; i++) {
		if (end - off < 12)
			goto trunc;
		uint32_t id = get32(b + off), flags = get32(b + off + 4), plen = get32(b + off + 8);
		off += 12;
		if (end - off < plen)
			goto trunc;
		if (mig_ac_set_add(&t, id, b + off, plen, flags, err) < 0) {
			mig_ac_set_free(&t);
			return err->code;
		}
		off += plen;
	}
	if (off != end) {
	trunc:
		mig_ac_set_free(&t);
		return rt_errf(err, NULL, -EINVAL, "pattern set truncated or with trailing bytes (at pattern %u of %u)",
			       i, n);
	}
	t.gen = gen;
	mig_ac_set_free(s);
	*s = t;
	return 0;
}
