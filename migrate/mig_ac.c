/*
 * mig_ac.c - the multi-pattern matcher's cpu placement: kernels/ac.h's scan
 * compiled as C over a batch of buffers, and the host-side enumeration of
 * every match.
 */
#include "mig_ac.h"

/* Scan several buffers at once, one byte of each in turn: every step of a
 * scan waits for its table load, and a large automaton's loads miss the
 * caches, so eight independent chains keep eight loads in flight where one
 * scan keeps one.  Same arithmetic as mig_ac_scan, so the same results. */
#define LANES 8

static inline void lane_hit(const uint32_t *w, uint32_t r, uint32_t nc, uint32_t end, struct mig_ac_res *res)
{
	uint32_t o = r / nc - w[MIG_AC_H_FIRST_OUT];
	res->nmatch += w[w[MIG_AC_H_OUTCNT] + o];
	if (res->first_id == MIG_AC_NONE) {
		res->first_id = w[w[MIG_AC_H_IDS] + w[w[MIG_AC_H_OUTOFF] + o]];
		res->first_end = end;
	}
}

void mig_ac_scan_batch(const struct mig_ac_dfa *d, uint32_t n, const uint8_t *const *p, const uint32_t *len,
		       const uint32_t *state, struct mig_ac_res *res)
{
	const uint32_t *w = d->words;
	const uint8_t *cls = (const uint8_t *)(w + w[MIG_AC_H_CLS]);
	const uint32_t *delta = w + w[MIG_AC_H_DELTA];
	const uint32_t nc = d->ncls, thr = d->first_out * nc;
	const uint8_t *lp[LANES];
	uint32_t r[LANES], pos[LANES], left[LANES], idx[LANES];
	uint32_t next = 0;
	if (n < LANES) {
		for (; next < n; next++)
			res[next] = mig_ac_scan(w, state ? state[next] : 0, p[next], len[next]);
		return;
	}
	for (int k = 0; k < LANES; k++, next++) {
		idx[k] = next;
		lp[k] = p[next];
		left[k] = len[next];
		pos[k] = 0;
		r[k] = (state ? state[next] : 0) * nc;
		res[next] = (struct mig_ac_res){ 0, 0, MIG_AC_NONE, 0 };
	}
	for (;;) {
		uint32_t m = left[0];
		for (int k = 1; k < LANES; k++)
			m = RT_MIN(m, left[k]);
		for (uint32_t i = 0; i < m; i++) {
			for (int k = 0; k < LANES; k++) {
				r[k] = delta[r[k] + cls[lp[k][i]]];
				if (__builtin_expect(r[k] >= thr, 0))
					lane_hit(w, r[k], nc, pos[k] + i + 1, &res[idx[k]]);
			}
		}
		/* retire finished lanes, refill them while buffers remain */
		bool refill = true;
		for (int k = 0; k < LANES; k++) {
			lp[k] += m;
			left[k] -= m;
			pos[k] += m;
			if (left[k])
				continue;
			res[idx[k]].state = r[k] / nc;
			if (next < n) {
				idx[k] = next;
				lp[k] = p[next];
				left[k] = len[next];
				pos[k] = 0;
				r[k] = (state ? state[next] : 0) * nc;
				res[next] = (struct mig_ac_res){ 0, 0, MIG_AC_NONE, 0 };
				next++;
			} else {
				refill = false;
			}
		}
		if (!refill)
			break;
	}
	/* out of buffers: finish the lanes still running one by one */
	for (int k = 0; k < LANES; k++) {
		if (!left[k])
			continue;
		struct mig_ac_res t = mig_ac_scan(w, r[k] / nc, lp[k], left[k]);
		struct mig_ac_res *o = &res[idx[k]];
		o->state = t.state;
		o->nmatch += t.nmatch;
		if (o->first_id == MIG_AC_NONE && t.first_id != MIG_AC_NONE) {
			o->first_id = t.first_id;
			o->first_end = pos[k] + t.first_end;
		}
	}
}

void mig_ac_scan_records(const struct mig_ac_dfa *d, const uint32_t *in, const uint8_t *blob, struct mig_ac_res *out,
			 uint32_t n)
{
	const uint8_t *p[64];
	uint32_t len[64], state[64];
	for (uint32_t i = 0; i < n; i += 64) {
		uint32_t m = RT_MIN(n - i, 64u);
		for (uint32_t j = 0; j < m; j++) {
			const uint32_t *r = in + 4 * (size_t)(i + j);
			p[j] = blob + r[0];
			len[j] = r[1];
			state[j] = r[2];
		}
		mig_ac_scan_batch(d, m, p, len, state, out + i);
	}
}

void mig_ac_flow_records(const struct mig_ac_dfa *d, const uint32_t *in, const uint8_t *blob, struct mig_ac_res *out,
			 uint32_t n, uint32_t *st)
{
	for (uint32_t i = 0; i < n; i++)
		mig_ac_flow_item(in, blob, (uint32_t *)out, d->words, st, i);
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
