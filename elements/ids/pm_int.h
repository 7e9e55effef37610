/*
 * pm_int.h - PatternMatch's state, shared by patternmatch.c (the element:
 * matching on its placements, configuration, handlers) and pm_action.c
 * (what a match does beyond ALERT: the editing actions and the ACTION
 * argument).
 */
#ifndef MB_ELEMENTS_PM_INT_H
#define MB_ELEMENTS_PM_INT_H

#include "../../runtime/el.h"
#include "../../runtime/router.h"
#include "../../migrate/mig_ac.h"
#include "../../migrate/mig_offload.h"
#include "../../flow/flow.h"
#include "../../flow/flow_stream.h"
#include "../../runtime/ctl.h"

#define PM_BLOB_MAX 2048  /* payload bytes scanned per packet at most (the mbuf data room) */

/* What a match does (ACTION). */
enum { PM_ALERT, PM_DROP_FLOW, PM_MASK, PM_REMOVE, PM_REPLACE };
extern const char *const pm_action_names[5];

#define PM_HDROP 0xffffffffu /* a dropped flow's hstate (never a state) */
#define PM_RANGES 32      /* matched ranges edited per packet at most (REMOVE, REPLACE) */

struct pm_free {
	uint32_t idx;
	uint64_t batch;  /* the last batch its flow had records in */
};

struct pm {
	/* arguments */
	char *file;
	bool nocase, payload;
	uint64_t flow_states;
	char *action_s;
	int64_t mask_byte;
	int action;
	struct el_data repl;       /* REPLACE's text */
	uint32_t *plen;            /* editing actions: [0] ids, [1 + id] the pattern's length */
	struct fs_anchor *tcpin;   /* REMOVE, REPLACE: the TCPIn upstream */
	struct mig_off_args a;
	struct el *e;
	struct mig_off *off;
	struct mig_dev *dev;       /* held while ddfa, dst live */
	struct mig_mem *ddfa, *dst; /* the automaton and the flows' states on the device */
	uint32_t *st;              /* the flows' states on the cpu */
	uint32_t dfa_gen;          /* bumped by each new automaton: flows start over */
	/* the canonical set and its automaton */
	struct mig_ac_set set;
	struct mig_ac_dfa *dfa;   /* published: workers load it once a batch */
	uint32_t next_id;
	uint64_t base_count, base_matches;
};

struct pm_pw {
	uint64_t count, matches;
	uint64_t nostate;          /* flows that found no free state index */
	uint64_t dropped, flows_dropped, edited, partial, refused, noedit;
	/* this worker's state indices: [lo, hi), next never used, ring of freed */
	uint32_t lo, hi, next, rhead, rtail, rcap;
	struct pm_free *ring;
};

/* A flow's slot in the FCB. */
struct pm_flow {
	uint32_t idx1;             /* state index + 1; 0: none yet */
	uint32_t gen;              /* dfa_gen of its last scan */
	uint32_t last;             /* its last record in batch `batch` */
	uint32_t hstate;           /* apply: the state its last packet's scan ended in;
				    * PM_HDROP: DROP_FLOW matched, drop the rest */
	uint64_t batch;
};

/* The bytes to scan: after the IPv4/IPv6 header and, in a first (or only)
 * fragment, after the TCP or UDP header, when the packet has a network
 * header annotation; else the whole packet.  Ethernet padding past the IP
 * total length is not scanned. */
static inline void pm_payload(struct rte_mbuf *m, bool skip, const uint8_t **pp, uint32_t *plen)
{
	const uint8_t *d = rt_data(m), *end = d + rt_len(m), *p = d;
	if (skip && rt_has_nh(m)) {
		const uint8_t *ip = rt_nh(m);
		uint8_t proto = 0;
		bool first = true;
		if (ip >= d && ip + 20 <= end && ip[0] >> 4 == 4) {
			uint32_t hl = (ip[0] & 15u) * 4, tot = (uint32_t)ip[2] << 8 | ip[3];
			if (tot >= hl && ip + tot <= end)
				end = ip + tot;
			p = ip + hl;
			proto = ip[9];
			first = !(((ip[6] & 0x1fu) << 8) | ip[7]);
		} else if (ip >= d && ip + 40 <= end && ip[0] >> 4 == 6) {
			uint32_t plen = (uint32_t)ip[4] << 8 | ip[5];
			if (ip + 40 + plen <= end)
				end = ip + 40 + plen;
			p = ip + 40;
			proto = ip[6];
		}
		if (first && proto == 6 && p + 20 <= end)
			p += (p[12] >> 4) * 4u;
		else if (first && proto == 17 && p + 8 <= end)
			p += 8;
		if (p > end)
			p = end;
	}
	*pp = p;
	*plen = (uint32_t)(end - p);
}

/* pm_action.c */
/* Parse ACTION (and REPLACEMENT, MASK_BYTE) into s->action. */
int pm_parse_action(struct el *e, struct rt_err *err);
/* Is there a TCPOut downstream of e through output 0? */
bool pm_tcpout_after(const struct el *e);
/* An editing action (MASK, REMOVE, REPLACE) on a matching packet whose
 * scan started in automaton state `start`. */
void pm_edit(const struct pm *s, struct pm_pw *pw, struct rte_mbuf *m, uint32_t start);

#endif
