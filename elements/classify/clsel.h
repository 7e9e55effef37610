/*
 * clsel.h - what the graph compiler's chain pass (classify/cls_chain.c) may
 * know about the classifying elements (Classifier, IPClassifier, IPFilter,
 * ACLClassifier): how to evaluate one on a packet, where a packet goes for
 * each outcome, and which per-worker counters the element itself would
 * have incremented, so a merged chain counts exactly what the elements
 * would have counted (docs/classify.md, "Merging chains in the graph").
 */
#ifndef MB_EL_CLSEL_H
#define MB_EL_CLSEL_H

#include "../../runtime/el.h"
#include "../../classify/cls_acl.h"
#include "../../classify/cls_expr.h"
#include "../../classify/cls_flow.h"
#include "../../classify/cls_acl6.h"
#include "../../migrate/mig_offload.h"
#include "../../migrate/mig_cls.h"

#define ACL_MAX_OUT 64 /* ACLClassifier outputs with their own counter */

struct aclc_pw {
	uint64_t nomatch;
	uint64_t out[ACL_MAX_OUT];
};

struct aclc {
	char *file;
	int64_t nomatch;           /* output for packets no rule matches; -1 drops */
	struct cls_ruleset conf;   /* rules until init builds the classifier */
	uint32_t *conf_line;       /* where each came from: file line, or -(argument number) */
	struct cls_acl *acl;
	uint32_t next_prio;
	struct cls_flow_plan *hw;  /* rules in the NIC (offload handler); NULL: none */
	uint32_t *hw_ids;          /* rule index in the plan -> rule id */
	bool hw_on;                /* read by the data path: marks are results */
	bool merge_defer;          /* rules changed: its chain runs stage by stage until remerge fires */
	struct uv_timer_s *remerge; /* cls_chain.c: rebuilds the merged set off the handler's path */
	struct cls_acl6 *v6;       /* IPv6 rules (published whole, cls_acl6.h); NULL: none */
	uint32_t v6_next_id;
	char hw_msg[600];          /* outcome of the last offload attempt */
	/* placements (docs/placement.md) */
	struct mig_off_args a;
	struct el *e;
	struct mig_off *off;
	uint64_t version;          /* of the rule set: bumped by every change */
	uint32_t conf_sum;         /* checksum of the configured rules */
	struct mig_cls_set carry;  /* rules taken from the instance this one replaces */
	bool carried;
	struct mig_cls_flat *flat; /* device placements: the flat form loaded there */
	struct mig_dev *dev;
	struct mig_mem *dflat;
	/* a change on a device, for the instance that replaces this one: the
	 * running instance itself stays as it is, so a failed reload changes
	 * nothing */
	bool pend_add;
	struct cls_rule pend_rule;
	uint32_t pend_remove;      /* UINT32_MAX: none */
};

struct classifier {
	struct cls_prog *prog;
	uint64_t base_drops;
};

struct classifier_pw {
	uint64_t drops; /* packets that matched no pattern */
};

/* ClassifierMerge: the chain pass's settings for its graph. */
struct clsmerge_conf {
	bool enable;
	uint64_t max_rules;
	bool programs;
};

enum cls_mkind {
	CLS_M_RAW,  /* a decision program on the packet data (Classifier) */
	CLS_M_IP,   /* a decision program on the IP header (IPClassifier, IPFilter) */
	CLS_M_ACL,  /* 5-tuple rules (ACLClassifier) */
};

/* One classifying element as the chain pass sees it.  Its outcomes are
 * 0..nout-1 (a program's output / a rule's class) and nout (no match);
 * outcome o < nout leaves by output o, no match by nomatch_port (-1:
 * dropped). */
struct cls_member {
	enum cls_mkind kind;
	const struct cls_prog *prog;  /* RAW, IP */
	struct cls_acl *acl;          /* ACL: updated in place by add/remove_rule */
	int nomatch_port;
	uint32_t nomatch_cnt;         /* per-worker counter (byte offset) bumped on no match */
	int32_t out_cnt;              /* counter of outcome 0 (next ones follow, 8 bytes each); -1 none */
	int out_cnt_max;              /* outcomes with a counter */
	bool defer_merge;             /* ACL: rules just changed, no merged rule set for now */
};

/* Fill m if e is a classifying element; false otherwise. */
bool cls_member_get(struct el *e, struct cls_member *m);

#endif
