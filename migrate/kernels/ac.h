/*
 * ac.h - the multi-pattern matcher's device function: one Aho-Corasick DFA
 * scan, written once for the cpu, opencl and cuda placements.
 *
 * The automaton is one flat array of uint32 words (built by mig_ac_build.c,
 * no pointers, so it is copied to a device as it is):
 *
 *   [0..15]   header (MIG_AC_H_*)
 *   cls       256 byte classes, one byte each (64 words)
 *   delta     nstates * ncls words: the next state's row offset
 *             (state * ncls), failure links already resolved
 *   out_cnt   per output state: how many patterns end there
 *   out_off   per output state: index of its first id in ids
 *   ids       pattern ids, ascending within each output state
 *
 * States at or above first_out are output states (the builder numbers them
 * last), so the hot loop tests one comparison per byte and never masks.
 *
 * A scan is resumable: it starts in a state and returns the state it ended
 * in, so a caller that keeps the state per flow finds a pattern split across
 * packets (TCP segments, IP fragments) exactly as in one buffer.
 */
#ifndef MIG_AC_H
#define MIG_AC_H
#include "mig_kernel.h"

#define MIG_AC_MAGIC 0x44414d4du     /* "MMAD" */
#define MIG_AC_NONE 0xffffffffu      /* no match (never a pattern id) */

enum {
	MIG_AC_H_MAGIC, MIG_AC_H_NSTATES, MIG_AC_H_NCLS, MIG_AC_H_FIRST_OUT,
	MIG_AC_H_CLS, MIG_AC_H_DELTA, MIG_AC_H_OUTCNT, MIG_AC_H_OUTOFF,
	MIG_AC_H_IDS, MIG_AC_H_NIDS, MIG_AC_H_WORDS,
	MIG_AC_HDR = 16
};

/* Result of one scan: the state it ended in, how many pattern occurrences
 * ended inside the buffer (every pattern at every end position, overlaps
 * included), and the first one: the earliest end, lowest id among those
 * ending there, with its end offset (one past its last byte, relative to
 * the buffer; 0 when none). */
struct mig_ac_res {
	uint32_t state, nmatch, first_id, first_end;
};

MIG_DEV struct mig_ac_res mig_ac_scan(MIG_G const uint32_t *dfa, uint32_t state, MIG_G const uint8_t *p,
				      uint32_t len)
{
	uint32_t ncls = dfa[MIG_AC_H_NCLS];
	uint32_t first_out = dfa[MIG_AC_H_FIRST_OUT];
	uint32_t thr = first_out * ncls;
	MIG_G const uint8_t *cls = (MIG_G const uint8_t *)(dfa + dfa[MIG_AC_H_CLS]);
	MIG_G const uint32_t *delta = dfa + dfa[MIG_AC_H_DELTA];
	MIG_G const uint32_t *cnt = dfa + dfa[MIG_AC_H_OUTCNT];
	MIG_G const uint32_t *off = dfa + dfa[MIG_AC_H_OUTOFF];
	MIG_G const uint32_t *ids = dfa + dfa[MIG_AC_H_IDS];
	struct mig_ac_res res;
	res.nmatch = 0;
	res.first_id = MIG_AC_NONE;
	res.first_end = 0;
	uint32_t r = state * ncls;
	for (uint32_t i = 0; i < len; i++) {
		r = delta[r + cls[p[i]]];
		if (r >= thr) {
			uint32_t o = r / ncls - first_out;
			res.nmatch += cnt[o];
			if (res.first_id == MIG_AC_NONE) {
				res.first_id = ids[off[o]];
				res.first_end = i + 1;
			}
		}
	}
	res.state = r / ncls;
	return res;
}

/* One work item of an offloaded batch, in the offload engine's argument
 * order (records, blob, results, n, then the automaton): desc holds 4
 * words per item (byte offset into bytes, length, start state, unused),
 * res receives 4 words per item in struct mig_ac_res order. */
MIG_DEV void mig_ac_item(MIG_G const uint32_t *desc, MIG_G const uint8_t *bytes, MIG_G uint32_t *res,
			 MIG_G const uint32_t *dfa, uint32_t i)
{
	MIG_G const uint32_t *d = desc + 4 * i;
	struct mig_ac_res r = mig_ac_scan(dfa, d[2], bytes + d[0], d[1]);
	MIG_G uint32_t *o = res + 4 * i;
	o[0] = r.state;
	o[1] = r.nmatch;
	o[2] = r.first_id;
	o[3] = r.first_end;
}

/* Per-flow scans (PatternMatch behind a FlowManager).  A record is
 * {blob offset, length, flow, next}: flow is MIG_AC_NOFLOW or the flow's
 * index in the state array st, with MIG_AC_FRESH (start from state 0: a
 * new flow, or a new automaton) or MIG_AC_LINKED (an earlier record of the
 * same flow in this batch carries its state here); next is the index of the
 * flow's next record in this batch, or MIG_AC_NOFLOW.  Each chain head
 * scans its flow's records in order and stores the end state in st, so a
 * pattern split across packets is found, and records of different flows
 * run in parallel.  Batches run in order on a device queue, so st is
 * always up to date for the next batch. */
#define MIG_AC_NOFLOW 0xffffffffu
#define MIG_AC_FRESH 0x40000000u
#define MIG_AC_LINKED 0x80000000u
#define MIG_AC_FLOWIDX 0x3fffffffu

MIG_DEV void mig_ac_flow_item(MIG_G const uint32_t *desc, MIG_G const uint8_t *bytes, MIG_G uint32_t *res,
			      MIG_G const uint32_t *dfa, MIG_G uint32_t *st, uint32_t i)
{
	MIG_G const uint32_t *d = desc + 4 * i;
	uint32_t f = d[2];
	if (f != MIG_AC_NOFLOW && (f & MIG_AC_LINKED))
		return;
	uint32_t state = f == MIG_AC_NOFLOW || (f & MIG_AC_FRESH) ? 0 : st[f & MIG_AC_FLOWIDX];
	if (state >= dfa[MIG_AC_H_NSTATES]) /* a state of another automaton: start over */
		state = 0;
	uint32_t j = i;
	for (uint32_t hops = 0; hops < 0x100000u; hops++) {
		MIG_G const uint32_t *dj = desc + 4 * j;
		struct mig_ac_res r = mig_ac_scan(dfa, state, bytes + dj[0], dj[1]);
		MIG_G uint32_t *o = res + 4 * j;
		o[0] = r.state;
		o[1] = r.nmatch;
		o[2] = r.first_id;
		o[3] = r.first_end;
		state = r.state;
		if (f == MIG_AC_NOFLOW || dj[3] == MIG_AC_NOFLOW)
			break;
		j = dj[3];
	}
	if (f != MIG_AC_NOFLOW)
		st[f & MIG_AC_FLOWIDX] = state;
}

#endif
