/*
 * ClassifierMerge - settings of the graph compiler's chain pass
 * (classify/cls_chain.c): whether chains of classifiers are merged, how
 * large a merged rule set may grow, and reports on the merged chains.
 */
#include "../../runtime/router.h"
#include "../../classify/cls_chain.h"
#include "clsel.h"

static const struct el_arg cm_args[] = {
	{"ENABLE", EL_T_BOOL, offsetof(struct clsmerge_conf, enable), "true", EL_ARG_POS,
	 "merge chains of classifiers in the compiled plan"},
	{"MAX_RULES", EL_T_UINT, offsetof(struct clsmerge_conf, max_rules), "200000", 0,
	 "largest merged rule set of an ACLClassifier chain; a larger chain is run stage by stage"},
	{"PROGRAMS", EL_T_BOOL, offsetof(struct clsmerge_conf, programs), "false", 0,
	 "also merge chains without an ACLClassifier (Classifier, IPClassifier, IPFilter only: 0.93x in the benchmark)"},
	EL_ARGS_END,
};

static int cm_chains(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	cls_chain_describe(e->router, out);
	return 0;
}

static int cm_shadowed(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	struct rt_err err;
	rt_err_clear(&err);
	if (cls_chain_shadowed(e->router, out, &err) < 0)
		rt_buf_printf(out, "error: %s\n", err.msg);
	return 0;
}

static const struct el_handler cm_handlers[] = {
	{"chains", cm_chains, NULL, 0, 0,
	 "merged chains of the running plan: 'HEAD: MEMBERS (merged N rules|stagewise) paths P'"},
	{"shadowed", cm_shadowed, NULL, 0, 0,
	 "ACLClassifier rules no packet reaches through their chain: 'ELEMENT ID unreachable in the chain of HEAD'"},
	EL_HANDLERS_END,
};

static struct el_class classifiermerge = {
	.name = "ClassifierMerge",
	.sig = "ClassifierMerge([ENABLE], [MAX_RULES n, PROGRAMS bool])",
	.summary = "settings for merging chains of classifiers",
	.doc = "The graph compiler merges every chain of classifying elements (Classifier, IPClassifier, IPFilter, "
	       "ACLClassifier; an output of one feeding the only input of the next) into one classification plus one "
	       "dispatch to the chain's destinations, in the compiled plan only: elements, handlers and counters stay "
	       "as written. A chain of ACLClassifiers becomes one merged rule set (one lookup per packet); other "
	       "chains with an ACLClassifier are evaluated stage after stage in one pass; chains of decision programs only "
	       "(no ACLClassifier) are merged only with `PROGRAMS true` (they ran slower merged). Merging is on without this element; "
	       "`ClassifierMerge(false)` turns it off for the graph. Profiling runs every element on its own. "
	       "See docs/classify.md.",
	.ports = "0/0",
	.state_size = sizeof(struct clsmerge_conf),
	.args = cm_args,
	.handlers = cm_handlers,
};
EL_REGISTER(classifiermerge)
