/*
 * mig_ac.c - the multi-pattern matcher's cpu placement: kernels/ac.h's scan
 * compiled as C over a batch of buffers, and the host-side enumeration of
 * every match.
 */
#include "mig_ac.h"

void mig_ac_scan_batch(const struct mig_ac_dfa *d, uint32_t n, const uint8_t *const *p, const uint32_t *len,
		       const uint32_t *state, struct mig_ac_res *res)
{
	const uint32_t *w = d->words;
	for (uint32_t i = 0; i < n; i++) {
		/* the next buffer's first line while this one is scanned */
		if (i + 1 < n)
			__builtin_prefetch(p[i + 1]);
		res[i] = mig_ac_scan(w, state ? state[i] : 0, p[i], len[i]);
	}
}

uint32_t mig_ac_each_match(const struct mig_ac_dfa *d, uint32_t state, const void *p, size_t len,
			   void (*cb)(void *ctx, uint64_t end, uint32_t id), void *ctx)
{
	const uint32_t *w = d->words;
	const uint8_t *cls = (const uint8_t *)(w + w[MIG_AC_H_CLS]), *b = p;
	const uint32_t *delta = w + w[MIG_AC_H_DELTA], *cnt = w + w[MIG_AC_H_OUTCNT];
	const uint32_t *off = w + w[MIG_AC_H_OUTOFF], *ids = w + w[MIG_AC_H_IDS];
	uint32_t nc = d->ncls, thr = d->first_out * nc, r = state * nc;
	for (size_t i = 0; i < len; i++) {
		r = delta[r + cls[b[i]]];
		if (r >= thr) {
			uint32_t o = r / nc - d->first_out;
			for (uint32_t k = 0; k < cnt[o]; k++)
				cb(ctx, i + 1, ids[off[o] + k]);
		}
	}
	return r / nc;
}
