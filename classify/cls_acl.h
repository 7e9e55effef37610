/*
 * cls_acl.h - 5-tuple ACL rules (ClassBench rule-file format), a generator of
 * ClassBench-like rule sets and traces, and the big classifier: a compiled,
 * specialised tuple-merge classifier with batch lookups and live updates.
 *
 * Rules.  A rule is source and destination prefixes, source and destination
 * port ranges, protocol value/mask, 16-bit flags value/mask, a priority
 * (lower value wins; ties go to the lower rule id) and a class (the result
 * the caller maps to a path or output).  The ClassBench line format is
 *
 *   @SRC/LEN DST/LEN SPLO : SPHI DPLO : DPHI PROTO/MASK FLAGS/MASK [class C] [prio P]
 *
 * where FLAGS is ClassBench's flag field: the TCP flags byte shifted left by
 * 8 (0x1000/0x1000 = ACK set, 0x0200/0x1200 = SYN without ACK).
 *
 * Thread-safety.  Everything here runs on the control thread except
 * cls_acl_lookup (and the pure helpers cls_rule_match, cls_key_from_ip),
 * which any number of workers may call at once, also while the control
 * thread adds or removes rules: updates copy what they change and publish it
 * with one atomic pointer store, and what they replace is freed only after
 * every worker registered with the classifier's QSBR variable has passed a
 * quiescent state.
 */
#ifndef MB_CLS_ACL_H
#define MB_CLS_ACL_H

#include "../runtime/rt_base.h"

struct rte_rcu_qsbr;

/* ---- rules and keys ------------------------------------------------------ */

struct cls_rule {
	uint32_t src, dst;          /* host order, already masked */
	uint8_t slen, dlen;         /* prefix lengths 0..32 */
	uint8_t proto, proto_mask;
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
	uint16_t flags, flags_mask;
	uint32_t prio;              /* lower wins */
	uint32_t cls;               /* class / path id given by the rule */
};

/* A packet's header fields, host order. */
struct cls_key {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t pad;
	uint16_t flags;             /* TCP flags << 8, 0 for other protocols */
};

#define CLS_NOMATCH UINT32_MAX

static inline uint32_t cls_pfx_mask(unsigned len) { return len ? ~0u << (32 - len) : 0; }

static inline bool cls_rule_match(const struct cls_rule *r, const struct cls_key *k)
{
	return ((k->src ^ r->src) & cls_pfx_mask(r->slen)) == 0 && ((k->dst ^ r->dst) & cls_pfx_mask(r->dlen)) == 0 &&
	       k->sport >= r->sport_lo && k->sport <= r->sport_hi && k->dport >= r->dport_lo &&
	       k->dport <= r->dport_hi && (k->proto & r->proto_mask) == r->proto &&
	       (k->flags & r->flags_mask) == r->flags;
}

/* Key from an IPv4 header of `len` readable bytes; false if it is not one
 * (ports and flags stay 0 for first fragments cut short and non-TCP/UDP). */
bool cls_key_from_ip(const uint8_t *ip, uint32_t len, struct cls_key *k);

/* Parse one rule line (ClassBench syntax above).  Returns 0, 1 for a blank
 * or comment line (# or //), or a negative code with err->msg saying which
 * field is wrong (loc is copied into err). */
int cls_rule_parse(const char *line, struct cls_rule *r, const struct rt_loc *loc, struct rt_err *err);
/* The rule in the same syntax (class and prio included). */
void cls_rule_unparse(const struct cls_rule *r, struct rt_buf *out);
/* Does a cover b (every key matching b matches a)? */
bool cls_rule_covers(const struct cls_rule *a, const struct cls_rule *b);

/* a ∩ b into x (a's prio and class); false if no key matches both. */
bool cls_rule_intersect(const struct cls_rule *a, const struct cls_rule *b, struct cls_rule *x);

/* A growable array of rules. */
struct cls_ruleset {
	struct cls_rule *r;
	uint32_t n, cap;
};
void cls_ruleset_init(struct cls_ruleset *s);
void cls_ruleset_free(struct cls_ruleset *s);
void cls_ruleset_push(struct cls_ruleset *s, const struct cls_rule *r);

/* Load a rule file: rules get prio = their order unless they give one.
 * Errors name file:line. */
int cls_ruleset_load(struct cls_ruleset *s, const char *path, struct rt_err *err);
/* Parse rules from text (one per line); `file` names it in errors. */
int cls_ruleset_parse(struct cls_ruleset *s, const char *text, const char *file, struct rt_err *err);

/* Brute force: index of the best rule matching k (lowest prio, then lowest
 * index), or CLS_NOMATCH.  The reference for tests. */
uint32_t cls_linear_lookup(const struct cls_rule *rules, uint32_t n, const struct cls_key *k);

/* Rules no key can reach: shadowed[i] = j when rule j (better priority)
 * covers rule i, else CLS_NOMATCH.  Also redundant rules: a rule that a
 * worse rule of the same class covers, with no rule between them in
 * priority order overlapping it with another class, so removing it changes
 * no result (redundant[i] = that rule's index).  Either array may be NULL.
 * O(n^2) in the worst case; rules are bucketed by prefix so the usual
 * ClassBench set of 10K rules takes well under a second.  Returns the
 * number of shadowed + redundant rules. */
uint32_t cls_rules_unreachable(const struct cls_rule *rules, uint32_t n, uint32_t *shadowed, uint32_t *redundant);

/* ---- merging a chain of classifiers ----------------------------------------- */

/* One classifier of a chain.  Its rules must be complete (end with a
 * wildcard rule for what it does with packets nothing else matches);
 * packets it gives class `pass` go on to the next stage, other classes leave
 * the chain there.  The last stage's every class leaves. */
struct cls_stage {
	const struct cls_rule *rules;
	uint32_t n;
	uint32_t pass;
};

/* A path through a chain: the stage a packet leaves at and its class there. */
#define CLS_PATH(stage, cls) ((uint32_t)(stage) << 24 | (cls))
#define CLS_PATH_STAGE(p) ((p) >> 24)
#define CLS_PATH_CLASS(p) ((p) & 0xffffff)

/* One rule set equivalent to the chain: each packet's best rule in `out`
 * has class CLS_PATH(stage, class) of the path the chain would send it on.
 * Built depth-first (stage rules in priority order, each intersected with
 * the rule of the stage before that passed it on), so emission order is
 * priority order; under one passing rule, a stage's rules after one that
 * covers it are never reached and are not emitted.  -E2BIG past max_rules
 * (the cross product can grow), leaving `out` empty. */
int cls_merge_chain(const struct cls_stage *st, int nst, uint32_t max_rules, struct cls_ruleset *out,
		    struct rt_err *err);
/* Brute force: the path the chain gives k (the reference for tests). */
uint32_t cls_chain_path(const struct cls_stage *st, int nst, const struct cls_key *k);

/* ---- generator ----------------------------------------------------------- */

enum cls_shape { CLS_SHAPE_ACL, CLS_SHAPE_FW, CLS_SHAPE_IPC };

/* Parse "acl" / "fw" / "ipc"; -1 otherwise. */
int cls_shape_parse(const char *s);
const char *cls_shape_name(enum cls_shape s);

/* ClassBench-like rules of a shape (prefix-length, port and protocol mixes
 * drawn from the acl1, fw1 and ipc1 seeds; addresses clustered in a few
 * hundred networks so prefixes nest and overlap).  prio = index,
 * cls = index % nclasses (nclasses >= 1). Deterministic in seed. */
void cls_gen_rules(enum cls_shape shape, uint32_t n, uint32_t nclasses, uint64_t seed, struct cls_ruleset *out);
/* A trace: each key picked inside a rule (rules chosen with a Pareto-like
 * skew, as ClassBench's trace generator does), `random_pct` percent fully
 * random keys. */
void cls_gen_trace(const struct cls_rule *rules, uint32_t nrules, uint32_t nkeys, unsigned random_pct, uint64_t seed,
		   struct cls_key *out);

/* ---- the compiled classifier ---------------------------------------------- */

struct cls_acl;

struct cls_acl_stats {
	uint32_t rules;       /* live rules */
	uint32_t hidden;      /* of which not stored: covered by a better rule of their bucket */
	uint32_t tables;      /* tuple tables */
	uint32_t max_bucket;  /* most rules in one bucket */
	uint64_t mem_bytes;   /* memory of the published structure */
	uint32_t exact_proto_tables, exact_port_tables; /* specialised fields */
};

/* Build from rules (copied).  qsbr may be NULL when no other thread looks
 * up while rules change (then replaced memory is freed at once).  Rule i
 * gets id i. */
int cls_acl_build(const struct cls_rule *rules, uint32_t n, struct rte_rcu_qsbr *qsbr, struct cls_acl **out,
		  struct rt_err *err);
/* Free everything, deferred memory included: only once no lookup can be
 * running (workers stopped, or past a grace period since the last one). */
void cls_acl_free(struct cls_acl *a);

/* Add a rule (incremental: one table's bucket or slot, or a new table, is
 * copied and published).  *id gets its id.  -ENOMEM on failure, leaving
 * the classifier as it was. */
int cls_acl_add(struct cls_acl *a, const struct cls_rule *r, uint32_t *id, struct rt_err *err);
/* Remove rule id (-ENOENT if there is none). */
int cls_acl_remove(struct cls_acl *a, uint32_t id, struct rt_err *err);
/* The rule with this id (NULL if none) and the id space (ids < this). */
const struct cls_rule *cls_acl_rule(const struct cls_acl *a, uint32_t id);
uint32_t cls_acl_id_limit(const struct cls_acl *a);
void cls_acl_stats(const struct cls_acl *a, struct cls_acl_stats *st);
/* Free what updates replaced once workers have moved on (non-blocking). */
void cls_acl_reclaim(struct cls_acl *a);

/* Classify n keys (any n; batches of 64 run best): ids[i] = the id of the
 * best matching rule or CLS_NOMATCH; classes[i] (when not NULL) its class
 * (CLS_NOMATCH if none).  Worker-safe, lock-free. */
void cls_acl_lookup(const struct cls_acl *a, const struct cls_key *keys, uint32_t n, uint32_t *ids, uint32_t *classes);

#endif
