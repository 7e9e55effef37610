/*
 * cls.h - the big classifier's lookup, one device function for every
 * placement (see mig_kernel.h; the flat form is built by migrate/mig_cls.c
 * and described in migrate/mig_cls.h).
 *
 * The flat form is one array of uint32 words `w`:
 *
 *   w[0..7]     header: MIG_CLS_MAGIC, format, ntab, nslot, nrule, and the
 *               word offsets of the tables, the slots and the rules
 *   tables      MIG_CLS_TAB_WORDS each, in order of the best rule each
 *               holds: source mask, destination mask, shift (32 - log2 of
 *               its slot count), slot mask, first slot, best rule's prio
 *               and id, rule count
 *   slots       MIG_CLS_SLOT_WORDS each: fingerprint, first rule, rule
 *               count (0: empty); open addressing, linear probing, at most
 *               half full, so every probe ends
 *   rules       MIG_CLS_RULE_WORDS each, a bucket's in priority order
 *               (prio, then id): src, smask, dst, dmask, sport lo | hi << 16,
 *               dport lo | hi << 16, proto | proto mask << 8, flags | flags
 *               mask << 16, prio, id, class
 *
 * A key is MIG_CLS_KEY_WORDS host-order words: src, dst, sport << 16 |
 * dport, proto | flags << 16 (MIG_CLS_KEY_NONE set: not IPv4, matches
 * nothing).  The result is two words: the best matching rule's id and its
 * class, MIG_CLS_NONE for both when no rule matches.  "Best" is the lowest
 * (prio, id), as cls_linear_lookup and cls_acl_lookup define it, so every
 * placement and the cpu's tuple merge give the same answer.
 *
 * A lookup probes the tables in order and stops at the first table whose
 * best rule cannot beat what the key has; in a bucket it stops at the first
 * match (the bucket is in priority order).  It never loops on bad data:
 * probes are bounded by the slot count and scans by the rule count.
 */
#ifndef MIG_KERNELS_CLS_H
#define MIG_KERNELS_CLS_H

#ifndef __OPENCL_VERSION__
#include "mig_kernel.h"
#endif

#define MIG_CLS_MAGIC 0x4d42434cu   /* "MBCL" */
#define MIG_CLS_FORMAT 1u
#define MIG_CLS_HDR_WORDS 8u
#define MIG_CLS_TAB_WORDS 8u
#define MIG_CLS_SLOT_WORDS 4u
#define MIG_CLS_RULE_WORDS 12u
#define MIG_CLS_KEY_WORDS 4u
#define MIG_CLS_OUT_WORDS 2u
#define MIG_CLS_NONE 0xffffffffu
#define MIG_CLS_KEY_NONE 0x100u     /* in key word 3: not a classifiable packet */

/* The fingerprint of a masked (src, dst): its top bits index the slots. */
MIG_DEV uint32_t mig_cls_hash(uint32_t a, uint32_t b)
{
	uint64_t x = ((uint64_t)a << 32 | (uint64_t)b) * (uint64_t)0x9e3779b97f4a7c15UL;
	x ^= x >> 29;
	x *= (uint64_t)0xbf58476d1ce4e5b9UL;
	x ^= x >> 32;
	return (uint32_t)x;
}

/* Does rule record r match the key's fields? */
MIG_DEV uint32_t mig_cls_match(MIG_G const uint32_t *r, uint32_t src, uint32_t dst, uint32_t sport, uint32_t dport,
			       uint32_t proto, uint32_t flags)
{
	uint32_t sp = r[4], dp = r[5], pp = r[6], fl = r[7];
	return (uint32_t)(((src & r[1]) == r[0]) & ((dst & r[3]) == r[2]) & (sport >= (sp & 0xffffu)) &
			  (sport <= (sp >> 16)) & (dport >= (dp & 0xffffu)) & (dport <= (dp >> 16)) &
			  ((proto & (pp >> 8)) == (pp & 0xffu)) & ((flags & (fl >> 16)) == (fl & 0xffffu)));
}

/* Classify one key (k: MIG_CLS_KEY_WORDS words) into out[0] (rule id) and
 * out[1] (class). */
MIG_DEV void mig_cls_lookup(MIG_G const uint32_t *w, MIG_G const uint32_t *k, MIG_G uint32_t *out)
{
	uint32_t ntab = w[2];
	MIG_G const uint32_t *tabs = w + w[5];
	MIG_G const uint32_t *slots = w + w[6];
	MIG_G const uint32_t *rules = w + w[7];
	uint32_t src = k[0], dst = k[1], sport = k[2] >> 16, dport = k[2] & 0xffffu, proto = k[3] & 0xffu,
		 flags = k[3] >> 16;
	uint32_t bp = MIG_CLS_NONE, bi = MIG_CLS_NONE, bc = MIG_CLS_NONE;
	uint32_t t;
	if (k[3] & MIG_CLS_KEY_NONE)
		ntab = 0;
	for (t = 0; t < ntab; t++) {
		MIG_G const uint32_t *tp = tabs + MIG_CLS_TAB_WORDS * t;
		uint32_t tpr = tp[5], tid = tp[6];
		if (tpr > bp || (tpr == bp && tid >= bi))
			break; /* tables are in best order: none can improve */
		uint32_t fp = mig_cls_hash(src & tp[0], dst & tp[1]);
		uint32_t m = tp[3], h = fp >> tp[2], probes;
		for (probes = 0; probes <= m; probes++, h = (h + 1) & m) {
			MIG_G const uint32_t *s = slots + MIG_CLS_SLOT_WORDS * (tp[4] + h);
			if (s[2] == 0)
				break;
			if (s[0] != fp)
				continue;
			uint32_t j, end = s[1] + s[2];
			for (j = s[1]; j < end; j++) {
				MIG_G const uint32_t *r = rules + MIG_CLS_RULE_WORDS * j;
				if (r[8] > bp || (r[8] == bp && r[9] >= bi))
					break;
				if (mig_cls_match(r, src, dst, sport, dport, proto, flags)) {
					bp = r[8];
					bi = r[9];
					bc = r[10];
					break;
				}
			}
			break;
		}
	}
	out[0] = bi;
	out[1] = bc;
}

#endif
