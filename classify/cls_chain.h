/*
 * cls_chain.h - graph-level merging of classifier chains: a pass of the
 * graph compiler (called from rt_plan_compile) that finds chains of
 * consecutive classifying elements (Classifier, IPClassifier, IPFilter,
 * ACLClassifier: an output of one feeding the only input of the next) and
 * routes the chain's input, in the compiled plan only, into one node that
 * classifies each packet once into the path the chain would send it on and
 * hands it straight to that path's destination.  Chains of ACLClassifiers
 * are merged into one rule set (one tuple-merge lookup per packet); chains
 * with a Classifier/IPClassifier/IPFilter stage walk the stages' decision
 * programs in one pass over the batch.  Elements, handlers and counters
 * stay as written: the merged node bumps each element's own counters.
 * docs/classify.md, "Merging chains in the graph".
 *
 * Control thread only, except cls_chain_push (a worker's data path).
 */
#ifndef MB_CLS_CHAIN_H
#define MB_CLS_CHAIN_H

#include "../runtime/rt_base.h"

/* Default bound on a merged rule set (ClassifierMerge's MAX_RULES). */
#define CLS_CHAIN_MAX_RULES 200000

struct rt_router;
struct rt_graph;
struct rt_plan;
struct el;

/* Find chains in g and install merged nodes in p (whose hops are resolved).
 * Off when the graph holds ClassifierMerge(ENABLE false). */
int cls_chain_compile(struct rt_router *r, const struct rt_graph *g, struct rt_plan *p, struct rt_err *err);
/* Free what cls_chain_compile added to p. */
void cls_chain_free(struct rt_plan *p);

/* A rule of ACLClassifier e changed (add_rule, remove_rule): if a merged
 * rule set of the running plan holds e's rules, compile a new plan with
 * e's chain stage by stage and publish it (epoch, grace period, old plan
 * freed), and rebuild the merged set CLS_CHAIN_REMERGE_MS after the last
 * change, from a timer on the router's loop.  On error the running plan
 * is unchanged. */
#define CLS_CHAIN_REMERGE_MS 20
int cls_chain_rules_changed(struct el *e, struct rt_err *err);
/* ACLClassifier e goes: stop its timer. */
void cls_chain_member_gone(struct el *e);

/* Compile the running graph again and publish the plan (an element's
 * membership in chains changed: ACLClassifier offload on or off). */
int cls_chain_republish(struct rt_router *r, struct rt_err *err);

/* The running plan's chains, one line each:
 * "HEAD: A B C (merged N rules|stagewise) leaves L". */
void cls_chain_describe(struct rt_router *r, struct rt_buf *out);
/* Rules of ACLClassifier chains that no packet reaches through the chain
 * (covered by better rules of the merged rule set, or diverted before
 * their stage), as "ELEMENT ID unreachable in the chain of HEAD" lines;
 * computed on demand from the graph (whether merging is on or not). */
int cls_chain_shadowed(struct rt_router *r, struct rt_buf *out, struct rt_err *err);

#endif
