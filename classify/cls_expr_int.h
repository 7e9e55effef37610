/*
 * cls_expr_int.h - internals shared by the Classifier parser (cls_expr.c)
 * and the IPClassifier/IPFilter parser (cls_ipexpr.c).
 *
 * Both parsers build a boolean tree whose leaves are single masked
 * comparisons of 1-4 packet bytes; cls_prog_build() turns the rules' trees
 * into a flat jump program with forward-only jumps, so matching is a bounded
 * loop with no recursion and no allocation.
 */
#ifndef MB_CLS_EXPR_INT_H
#define MB_CLS_EXPR_INT_H

#include "cls_expr.h"

/* Where a leaf's offset counts from.  NET is the start of the data
 * (Classifier) or of the IP header (IP programs); TRANSP is IP + IHL*4. */
enum cls_base { CLS_BASE_NET = 0, CLS_BASE_TRANSP = 1 };

enum cls_op {
	CLS_OP_EQ,
	CLS_OP_NE,
	CLS_OP_LT,
	CLS_OP_GT,
	CLS_OP_LE,
	CLS_OP_GE,
	CLS_OP_AVAIL, /* true when the bytes are present: a length guard */
	CLS_OP_TRUE,  /* unconditional; only from unfolded constants */
};

/* ((big-endian load of `size` bytes at base+off) >> shift) & mask  OP  val.
 * A load that does not fit in the packet makes the leaf false, whatever
 * the operator: that is Click's rule for short packets. */
struct cls_leaf {
	uint32_t off;
	uint32_t mask, val;
	uint8_t base, size, shift, op;
};

enum cls_nkind { CLS_N_CONST, CLS_N_LEAF, CLS_N_NOT, CLS_N_AND, CLS_N_OR, CLS_N_TERN };

struct cls_node {
	uint8_t kind;
	bool cval;   /* CLS_N_CONST */
	int a, b, c; /* children; TERN is a ? b : c */
	struct cls_leaf leaf;
};

/* Node pool.  Constructors return a node index, or -1 once allocation has
 * failed (sticky `nomem`); every constructor passes -1 through, so callers
 * only check at the end. */
struct cls_tree {
	struct cls_node *n;
	int len, cap;
	bool nomem;
};

void cls_tree_free(struct cls_tree *t);
int cls_tree_const(struct cls_tree *t, bool v);
int cls_tree_leaf(struct cls_tree *t, uint8_t base, uint32_t off, uint8_t size, uint8_t shift, uint32_t mask,
		  uint8_t op, uint32_t val);
/* These fold constants as they build, so a rule reduces to a constant
 * exactly when it is one ("not false", "tcp or true"). */
int cls_tree_not(struct cls_tree *t, int a);
int cls_tree_and(struct cls_tree *t, int a, int b);
int cls_tree_or(struct cls_tree *t, int a, int b);
int cls_tree_tern(struct cls_tree *t, int c, int a, int b);
/* 1 or 0 for a constant node, -1 otherwise. */
int cls_tree_constval(const struct cls_tree *t, int a);

struct cls_rule {
	int root; /* tree node */
	int out;  /* output when the rule matches; -1 = drop */
};

/* Build the program for `rules` (first match wins, no match -> -1).  `ip`
 * makes the program check the IP header and enables the TRANSP base.
 * `kind` names the language in dumps and messages. */
int cls_prog_build(const struct cls_tree *t, const struct cls_rule *rules, int n, bool ip, const char *kind,
		   const struct rt_loc *loc, struct cls_prog **out, struct rt_err *err);

#endif
