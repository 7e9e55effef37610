/*
 * mig_cls.h - the big classifier on every placement (issue 8, offloadable
 * element 2): its canonical host form and the flat form its kernel walks.
 *
 * Two layers:
 *
 *   struct mig_cls_set   the canonical host form: the rules by id (ids of
 *                        removed rules stay unused, so ids survive a move),
 *                        a version (bumped by every change) and a content
 *                        checksum (CRC32C of the live rules and their ids).
 *                        Serialises to bytes and back, every field checked.
 *
 *   struct mig_cls_flat  the lookup structure built from it (layout in
 *                        kernels/cls.h): one array of uint32 words holding
 *                        tuple tables (source and destination prefix
 *                        lengths rounded down to a multiple of 8, /32 to
 *                        /24), each an open-addressing hash of buckets of
 *                        rule records in priority order.  A placement
 *                        uploads it as it is; the one lookup (kernels/cls.h)
 *                        runs on every placement and gives what
 *                        cls_linear_lookup and cls_acl_lookup give.
 *
 * This file and mig_cls.c use neither DPDK nor the classifier's tuple-merge
 * tables (classify/cls_tm.c), so mig_gpucheck carries them to a GPU machine.
 * Thread-safety: building and (de)serialising on the control thread; a flat
 * form is immutable once built, and lookups on it run on any thread.
 */
#ifndef MB_MIG_CLS_H
#define MB_MIG_CLS_H

#include <stddef.h>
#include <stdint.h>

#include "rt_base.h"
#include "classify/cls_acl.h"
#include "migrate/kernels/cls.h"

/* ---- canonical form (control thread) ---------------------------------------- */

struct mig_cls_set {
	struct cls_rule *r;   /* by id */
	uint8_t *live;        /* by id: 1 when rule id exists */
	uint32_t nid;         /* the id space: ids < nid */
	uint32_t nlive;
	uint32_t cap;
	uint64_t version;
};

#define MIG_CLS_MAX_IDS (1u << 26) /* rule ids < this */

void mig_cls_set_init(struct mig_cls_set *s);
void mig_cls_set_free(struct mig_cls_set *s);
/* Grow the id space to nid (ids not put stay unused). -ENOMEM. */
int mig_cls_set_reserve(struct mig_cls_set *s, uint32_t nid, struct rt_err *err);
/* Rule `id` (live), growing the id space to id + 1 if needed. -ENOMEM. */
int mig_cls_set_put(struct mig_cls_set *s, uint32_t id, const struct cls_rule *r, struct rt_err *err);
/* The CRC32C of the live rules with their ids, in id order: equal for two
 * sets holding the same rules under the same ids, whatever their history. */
uint32_t mig_cls_set_checksum(const struct mig_cls_set *s);

/* Serialise to a malloc'ed buffer: a header (magic, format, version, id
 * space, live rules, content checksum), each live rule with its id in id
 * order, and a CRC32C of everything before it. */
int mig_cls_serialise(const struct mig_cls_set *s, void **buf, size_t *len, struct rt_err *err);
/* Rebuild a set (s, initialised, is replaced) from those bytes.  Every
 * field is checked (truncation, magic, format, CRC, ids out of order or
 * out of the id space, prefix lengths, host bits, port ranges, protocol
 * and flag bits outside their masks, counts, content checksum): the error
 * says what and at which byte. */
int mig_cls_deserialise(const void *buf, size_t len, struct mig_cls_set *s, struct rt_err *err);

/* ---- the flat form -------------------------------------------------------------- */

struct mig_cls_flat {
	uint32_t *w;          /* the words (kernels/cls.h) */
	uint32_t nwords;
	uint32_t ntab, nslot, nrule;
	uint64_t version;     /* of the set it was built from */
	uint32_t crc;         /* CRC32C of w */
};

/* Build the flat form of a set's live rules.  Control thread. */
int mig_cls_flat_build(const struct mig_cls_set *s, struct mig_cls_flat **out, struct rt_err *err);
void mig_cls_flat_free(struct mig_cls_flat *f);
static inline size_t mig_cls_flat_bytes(const struct mig_cls_flat *f) { return (size_t)f->nwords * 4; }

/* ---- keys and lookups (data path: any thread, no allocation) ------------------- */

/* A key's record (MIG_CLS_KEY_WORDS words); k NULL: a packet that is not
 * IPv4 (it matches no rule). */
static inline void mig_cls_key_rec(const struct cls_key *k, uint32_t *rec)
{
	if (!k) {
		rec[0] = rec[1] = rec[2] = 0;
		rec[3] = MIG_CLS_KEY_NONE;
		return;
	}
	rec[0] = k->src;
	rec[1] = k->dst;
	rec[2] = (uint32_t)k->sport << 16 | k->dport;
	rec[3] = k->proto | (uint32_t)k->flags << 16;
}

/* n lookups: out[2 i] = rule id, out[2 i + 1] = class (MIG_CLS_NONE when
 * none): the kernel's device function, compiled as C. */
static inline void mig_cls_lookup_batch(const struct mig_cls_flat *f, const uint32_t *keys, uint32_t *out, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		mig_cls_lookup(f->w, keys + MIG_CLS_KEY_WORDS * i, out + MIG_CLS_OUT_WORDS * i);
}

#endif
