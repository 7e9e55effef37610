/*
 * mig_ac.h - multi-pattern payload matching (Aho-Corasick) for the three
 * placements (issue #8, element 3; the IDS of issue #6).
 *
 * Three layers:
 *   1. the canonical host form, a pattern set (mig_ac_set): id, bytes and a
 *      case-insensitive flag per pattern, a generation number, and a
 *      serialised form with a CRC-32C, which is what moves between
 *      placements and what an element exports;
 *   2. the compiled automaton (mig_ac_dfa): a DFA with failure links
 *      resolved, byte classes and flat uint32 arrays (kernels/ac.h gives
 *      the layout), loaded as it is by each placement;
 *   3. the scan (kernels/ac.h, mig_ac_scan): resumable from any state, so a
 *      flow's state carries a match across packet boundaries.  The cpu
 *      placement calls it through mig_ac_scan_batch; kernels/ac.cl and
 *      ac.cu run it one work item per payload (mig_ac_dev.c).
 *
 * Thread-safety: sets and automata are built and freed on the control
 * thread; a built automaton is immutable, so any number of workers may scan
 * it at once.
 */
#ifndef MB_MIG_AC_H
#define MB_MIG_AC_H

#include <stddef.h>
#include <stdint.h>

#include "rt_base.h"
#include "mig.h"
#include "kernels/ac.h"

/* ---- the canonical pattern set ------------------------------------------- */

#define MIG_AC_NOCASE 1u          /* ASCII letters match either case */
#define MIG_AC_FORMAT 1u          /* serialised form's version */

struct mig_ac_pat {
	uint32_t id;              /* any value but MIG_AC_NONE, unique in the set */
	uint32_t flags;           /* MIG_AC_* */
	uint32_t len;             /* >= 1: an empty pattern is refused */
	uint8_t *bytes;
};

struct mig_ac_set {
	uint32_t gen;             /* bumped by every change */
	uint32_t n, cap;
	struct mig_ac_pat *pats;
	uint64_t total_len;
	uint32_t *idhash;         /* open addressing over ids, for duplicates */
	uint32_t idcap;
};

void mig_ac_set_init(struct mig_ac_set *s);
void mig_ac_set_free(struct mig_ac_set *s);
/* Add a copy of a pattern.  0, or -EINVAL (empty pattern, id MIG_AC_NONE,
 * unknown flag) or -EEXIST (id already used), with the reason in err. */
int mig_ac_set_add(struct mig_ac_set *s, uint32_t id, const void *bytes, size_t len, uint32_t flags,
		   struct rt_err *err);
/* Remove the pattern with this id.  0 or -ENOENT. */
int mig_ac_set_remove(struct mig_ac_set *s, uint32_t id, struct rt_err *err);
/* Serialised form, little-endian: "MBAC", format, gen, n, then per pattern
 * id, flags, len and the bytes, then the CRC-32C of everything before it. */
void mig_ac_set_serialize(const struct mig_ac_set *s, struct rt_buf *out);
/* Replace s by the set in p (s is unchanged on error: bad magic, format,
 * truncation, checksum, or a pattern mig_ac_set_add refuses). */
int mig_ac_set_deserialize(struct mig_ac_set *s, const void *p, size_t len, struct rt_err *err);
/* CRC-32C (Castagnoli) of the set's serialised form without its trailer. */
uint32_t mig_ac_set_checksum(const struct mig_ac_set *s);
uint32_t mig_ac_crc32c(uint32_t crc, const void *p, size_t len);

/* ---- the compiled automaton ---------------------------------------------- */

struct mig_ac_dfa {
	uint32_t *words;          /* the flat form of kernels/ac.h */
	size_t nwords;
	uint32_t nstates, ncls, first_out, npat;
	uint32_t set_gen, set_crc; /* which set it was built from */
	uint64_t build_ns;
};

/* Build limit: the automaton's size in bytes (default 1 GiB when 0). */
struct mig_ac_opts {
	uint64_t max_bytes;
};

/* Compile s.  0, or -EINVAL (empty set) / -E2BIG (over max_bytes, with the
 * state count reached) / -ENOMEM, with err set.  Cost: O(states * classes)
 * time and space plus the trie. */
int mig_ac_build(const struct mig_ac_set *s, const struct mig_ac_opts *o, struct mig_ac_dfa *d,
		 struct rt_err *err);
void mig_ac_dfa_free(struct mig_ac_dfa *d);
static inline size_t mig_ac_dfa_bytes(const struct mig_ac_dfa *d) { return d->nwords * 4; }

/* ---- scanning (cpu placement) -------------------------------------------- */

/* Scan n buffers: buffer i is p[i][0..len[i]) starting in state[i] (NULL:
 * the initial state 0).  Data path: no allocation, no locking. */
void mig_ac_scan_batch(const struct mig_ac_dfa *d, uint32_t n, const uint8_t *const *p, const uint32_t *len,
		       const uint32_t *state, struct mig_ac_res *res);

static inline struct mig_ac_res mig_ac_scan1(const struct mig_ac_dfa *d, uint32_t state, const void *p,
					     uint32_t len)
{
	return mig_ac_scan(d->words, state, (const uint8_t *)p, len);
}

/* The offload engine's form (mig_offload.h): n input records of
 * MIG_AC_REC_IN bytes (4 words: byte offset into blob, length, start state,
 * 0; as kernels/ac.h's mig_ac_item reads them) give n struct mig_ac_res.
 * The cpu placement's kernel and the fallback of an offloaded one. */
#define MIG_AC_REC_IN 16
#define MIG_AC_REC_OUT 16
void mig_ac_scan_records(const struct mig_ac_dfa *d, const uint32_t *in, const uint8_t *blob, struct mig_ac_res *out,
			 uint32_t n);

/* The per-flow scan over the engine's records (kernels/ac.h,
 * mig_ac_flow_item), with the flows' states in st: the cpu placement and
 * the fallback of PatternMatch behind a FlowManager. */
void mig_ac_flow_records(const struct mig_ac_dfa *d, const uint32_t *in, const uint8_t *blob, struct mig_ac_res *out,
			 uint32_t n, uint32_t *st);

/* Every match, in text order (end offset, then id ascending): cb(end, id)
 * for each; end is one past the match's last byte.  Returns the end state.
 * Control plane and tests (alerts that list every signature). */
uint32_t mig_ac_each_match(const struct mig_ac_dfa *d, uint32_t state, const void *p, size_t len,
			   void (*cb)(void *ctx, uint64_t end, uint32_t id), void *ctx);

/* ---- offloaded placements (opencl, cuda; mig_ac_dev.c) ------------------- */

/* Copy an automaton to a device as it is (the kernel's `dfa` argument). */
int mig_ac_dev_load(struct mig_dev *dev, const struct mig_ac_dfa *d, struct mig_mem **out, struct rt_err *err);

/* An automaton on a device with its program, a queue and batch buffers:
 * a synchronous scan for the control plane, tests and benchmarks (the
 * data path goes through the offload engine, mig_offload.h, with the same
 * kernel `ac_scan`). */
struct mig_ac_dev;
int mig_ac_dev_open(enum mig_kind k, const struct mig_ac_dfa *d, struct mig_ac_dev **out, struct rt_err *err);
void mig_ac_dev_close(struct mig_ac_dev *a);
const char *mig_ac_dev_desc(const struct mig_ac_dev *a);
/* As mig_ac_scan_batch, on the device: pack, copy in, run, copy out, wait.
 * *ns (may be NULL) receives the time from submission to completion. */
int mig_ac_dev_scan(struct mig_ac_dev *a, uint32_t n, const uint8_t *const *p, const uint32_t *len,
		    const uint32_t *state, struct mig_ac_res *res, uint64_t *ns, struct rt_err *err);

#endif
