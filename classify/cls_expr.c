/*
 * cls_expr.c - the decision program shared by Classifier, IPClassifier and
 * IPFilter: expression trees, code generation, matching and dumping, plus
 * the Classifier pattern language ("12/0800 !23/11%ff", "-").
 *
 * The IP expression language lives in cls_ipexpr.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cls_expr_int.h"

/* One step of the final program, shaped so the match loop has no switch:
 * read the big-endian 32-bit word at base+off, v = (word >> fshift) & mask,
 * and the test is true when (v - lo) <= span, inverted by CLS_F_NEG; every
 * operator is such a range.  `size` bytes must be present or the test is
 * false.  j[1] is taken when true, j[0] when false; a target >= 0 is a
 * later step, a negative target t ends the match with output -t - 2 (so -1
 * is "no match", -2 is output 0). */
struct cls_insn {
	uint32_t off, mask, lo, span;
	int32_t j[2];
	uint32_t val; /* operand as written, for dumps */
	uint8_t size, fshift, op, flags;
};

enum { CLS_F_TRANSP = 1, CLS_F_NEG = 2 };

/* A step while generating: the leaf and label ids for its targets. */
struct cls_gstep {
	struct cls_leaf lf;
	int jt, jf;
};

#define CLS_TERM(o) (-(int32_t)(o)-2)

struct cls_prog {
	const char *kind;
	bool ip;       /* check the IP header first; TRANSP base is IP + IHL*4 */
	int trunc_out; /* answer for a truncated/bad IP header: first constant-true rule */
	int32_t entry;
	int ninsn;
	struct cls_insn insn[];
};

/* ---- expression trees ---------------------------------------------------- */

void cls_tree_free(struct cls_tree *t)
{
	free(t->n);
	t->n = NULL;
	t->len = t->cap = 0;
}

/* Room for one more element in a doubling array: the (maybe moved) array,
 * or NULL with *nomem set once memory runs out (the old array stays valid
 * for freeing). */
static void *cls_grow(void *arr, int *cap, int len, size_t size, bool *nomem)
{
	if (*nomem)
		return NULL;
	if (len < *cap)
		return arr;
	int ncap = *cap ? *cap * 2 : 32;
	void *a = realloc(arr, (size_t)ncap * size);
	if (!a)
		*nomem = true;
	else
		*cap = ncap;
	return a;
}

static int tree_add(struct cls_tree *t, const struct cls_node *nd)
{
	struct cls_node *n = cls_grow(t->n, &t->cap, t->len, sizeof(*n), &t->nomem);
	if (!n)
		return -1;
	t->n = n;
	t->n[t->len] = *nd;
	return t->len++;
}

int cls_tree_const(struct cls_tree *t, bool v)
{
	struct cls_node nd = {.kind = CLS_N_CONST, .cval = v, .a = -1, .b = -1, .c = -1};
	return tree_add(t, &nd);
}

int cls_tree_leaf(struct cls_tree *t, uint8_t base, uint32_t off, uint8_t size, uint8_t shift, uint32_t mask,
		  uint8_t op, uint32_t val)
{
	struct cls_node nd = {.kind = CLS_N_LEAF, .a = -1, .b = -1, .c = -1};
	nd.leaf = (struct cls_leaf){
		.off = off, .mask = mask, .val = val, .base = base, .size = size, .shift = shift, .op = op};
	return tree_add(t, &nd);
}

int cls_tree_constval(const struct cls_tree *t, int a)
{
	if (a < 0 || t->n[a].kind != CLS_N_CONST)
		return -1;
	return t->n[a].cval;
}

static int tree_node(struct cls_tree *t, int kind, int a, int b, int c)
{
	struct cls_node nd = {.kind = (uint8_t)kind, .a = a, .b = b, .c = c};
	return tree_add(t, &nd);
}

int cls_tree_not(struct cls_tree *t, int a)
{
	if (a < 0)
		return -1;
	int v = cls_tree_constval(t, a);
	if (v >= 0)
		return cls_tree_const(t, !v);
	/* NOT only swaps jump targets, so a double negation is the identity
	 * even for leaves whose bytes are missing. */
	if (t->n[a].kind == CLS_N_NOT)
		return t->n[a].a;
	return tree_node(t, CLS_N_NOT, a, -1, -1);
}

int cls_tree_and(struct cls_tree *t, int a, int b)
{
	if (a < 0 || b < 0)
		return -1;
	int va = cls_tree_constval(t, a), vb = cls_tree_constval(t, b);
	/* Leaves have no side effects, so dropping an operand is safe. */
	if (va == 0 || vb == 1)
		return a;
	if (vb == 0 || va == 1)
		return b;
	return tree_node(t, CLS_N_AND, a, b, -1);
}

int cls_tree_or(struct cls_tree *t, int a, int b)
{
	if (a < 0 || b < 0)
		return -1;
	int va = cls_tree_constval(t, a), vb = cls_tree_constval(t, b);
	if (va == 1 || vb == 0)
		return a;
	if (vb == 1 || va == 0)
		return b;
	return tree_node(t, CLS_N_OR, a, b, -1);
}

int cls_tree_tern(struct cls_tree *t, int c, int a, int b)
{
	if (c < 0 || a < 0 || b < 0)
		return -1;
	int vc = cls_tree_constval(t, c), va = cls_tree_constval(t, a), vb = cls_tree_constval(t, b);
	if (vc >= 0)
		return vc ? a : b;
	if (va >= 0 && vb >= 0)
		return va == vb ? a : (va ? c : cls_tree_not(t, c));
	if (va >= 0)
		return va ? cls_tree_or(t, c, b) : cls_tree_and(t, cls_tree_not(t, c), b);
	if (vb >= 0)
		return vb ? cls_tree_or(t, cls_tree_not(t, c), a) : cls_tree_and(t, c, a);
	return tree_node(t, CLS_N_TERN, c, a, b);
}

/* ---- code generation ----------------------------------------------------- */

/* Jumps are emitted before their targets exist, so they hold label ids
 * until the end.  A label is a step (PC), an output (TERM), or another
 * label (ALIAS, for a constant-false rule that falls through). */
enum { LAB_UNSET, LAB_PC, LAB_TERM, LAB_ALIAS };

struct cls_lab {
	int kind, val;
};

struct cls_gen {
	const struct cls_tree *t;
	struct cls_gstep *insn;
	int n, cap;
	struct cls_lab *lab;
	int nlab, labcap;
	bool nomem;
};

static int gen_label(struct cls_gen *g, int kind, int val)
{
	struct cls_lab *l = cls_grow(g->lab, &g->labcap, g->nlab, sizeof(*l), &g->nomem);
	if (!l)
		return 0;
	g->lab = l;
	g->lab[g->nlab] = (struct cls_lab){kind, val};
	return g->nlab++;
}

static void gen_set(struct cls_gen *g, int l, int kind, int val)
{
	if (!g->nomem)
		g->lab[l] = (struct cls_lab){kind, val};
}

static void gen_emit(struct cls_gen *g, const struct cls_leaf *lf, int jt, int jf)
{
	struct cls_gstep *in = cls_grow(g->insn, &g->cap, g->n, sizeof(*in), &g->nomem);
	if (!in)
		return;
	g->insn = in;
	g->insn[g->n++] = (struct cls_gstep){*lf, jt, jf};
}

/* Short-circuit code for node `nd`: jump to label T when true, F when
 * false.  Every label placed here points at the next step emitted, so all
 * jumps go forward.  Recursion depth is the tree depth (compile time only). */
static void gen_node(struct cls_gen *g, int nd, int T, int F)
{
	const struct cls_node *x = &g->t->n[nd];
	int l, l2;
	switch (x->kind) {
	case CLS_N_CONST: {
		struct cls_leaf lf = {.op = CLS_OP_TRUE};
		gen_emit(g, &lf, x->cval ? T : F, x->cval ? T : F);
		break;
	}
	case CLS_N_LEAF:
		gen_emit(g, &x->leaf, T, F);
		break;
	case CLS_N_NOT:
		gen_node(g, x->a, F, T);
		break;
	case CLS_N_AND:
		l = gen_label(g, LAB_UNSET, 0);
		gen_node(g, x->a, l, F);
		gen_set(g, l, LAB_PC, g->n);
		gen_node(g, x->b, T, F);
		break;
	case CLS_N_OR:
		l = gen_label(g, LAB_UNSET, 0);
		gen_node(g, x->a, T, l);
		gen_set(g, l, LAB_PC, g->n);
		gen_node(g, x->b, T, F);
		break;
	case CLS_N_TERN:
		l = gen_label(g, LAB_UNSET, 0);
		l2 = gen_label(g, LAB_UNSET, 0);
		gen_node(g, x->a, l, l2);
		gen_set(g, l, LAB_PC, g->n);
		gen_node(g, x->b, T, F);
		gen_set(g, l2, LAB_PC, g->n);
		gen_node(g, x->c, T, F);
		break;
	}
}

static int32_t gen_resolve(const struct cls_gen *g, int l)
{
	for (int hops = 0; g->lab[l].kind == LAB_ALIAS && hops <= g->nlab; hops++)
		l = g->lab[l].val;
	if (g->lab[l].kind == LAB_PC)
		return g->lab[l].val;
	if (g->lab[l].kind == LAB_TERM)
		return CLS_TERM(g->lab[l].val);
	return INT32_MIN; /* unresolved: a bug, caught by the caller */
}

/* ---- lowering and jump threading ----------------------------------------- */

/* Leaf -> step: each operator becomes the range [lo, lo+span] or its
 * complement (CLS_F_NEG), so matching needs no switch. */
static void cls_lower(struct cls_insn *in, const struct cls_leaf *lf)
{
	const uint32_t max = UINT32_MAX;
	uint32_t v = lf->val, lo = 0, span = max;
	bool neg = false;
	switch (lf->op) {
	case CLS_OP_EQ: lo = v, span = 0; break;
	case CLS_OP_NE: lo = v, span = 0, neg = true; break;
	case CLS_OP_LT: v ? (void)(span = v - 1) : (void)(neg = true); break; /* "< 0": never */
	case CLS_OP_LE: span = v; break;
	case CLS_OP_GT: v < max ? (void)(lo = v + 1, span = max - lo) : (void)(neg = true); break;
	case CLS_OP_GE: lo = v, span = max - v; break;
	default: break; /* AVAIL, TRUE: any value */
	}
	*in = (struct cls_insn){.off = lf->off, .mask = lf->op == CLS_OP_TRUE ? 0 : lf->mask, .lo = lo, .span = span,
				.val = lf->val, .size = lf->size, .op = lf->op,
				.fshift = (uint8_t)(lf->size ? lf->shift + 8 * (4 - lf->size) : 0),
				.flags = (uint8_t)((lf->base == CLS_BASE_TRANSP ? CLS_F_TRANSP : 0) | (neg ? CLS_F_NEG : 0))};
}

/* The values a step accepts, as at most two closed intervals. */
static int cls_ivals(const struct cls_insn *in, uint32_t iv[2][2])
{
	uint32_t hi = in->lo + in->span;
	int n = 0;
	if (!(in->flags & CLS_F_NEG)) {
		iv[n][0] = in->lo, iv[n++][1] = hi;
		return n;
	}
	if (in->lo > 0)
		iv[n][0] = 0, iv[n++][1] = in->lo - 1;
	if (hi < UINT32_MAX)
		iv[n][0] = hi + 1, iv[n++][1] = UINT32_MAX;
	return n;
}

static bool cls_subset(const struct cls_insn *a, const struct cls_insn *b)
{
	uint32_t ia[2][2], ib[2][2];
	int na = cls_ivals(a, ia), nb = cls_ivals(b, ib);
	for (int i = 0; i < na; i++) {
		bool in = false;
		for (int k = 0; k < nb; k++) /* b's intervals never touch */
			in |= ib[k][0] <= ia[i][0] && ia[i][1] <= ib[k][1];
		if (!in)
			return false;
	}
	return true;
}

static bool cls_disjoint(const struct cls_insn *a, const struct cls_insn *b)
{
	uint32_t ia[2][2], ib[2][2];
	int na = cls_ivals(a, ia), nb = cls_ivals(b, ib);
	for (int i = 0; i < na; i++)
		for (int k = 0; k < nb; k++)
			if (ia[i][0] <= ib[k][1] && ib[k][0] <= ia[i][1])
				return false;
	return true;
}

/* What step `t` answers on a path where step `a` answered `o`, or -1 when
 * that is not known.  Both read the same packet, so a true `a` fixes the
 * value; a false `a` may also mean its bytes were missing, in which case
 * t's (same) bytes are missing too and t is false. */
static int cls_implied(const struct cls_insn *a, int o, const struct cls_insn *t)
{
	bool same_base = (a->flags & CLS_F_TRANSP) == (t->flags & CLS_F_TRANSP);
	if (t->op == CLS_OP_AVAIL && o == 1 && same_base && t->off + t->size <= a->off + a->size)
		return 1;
	if (!same_base || a->off != t->off || a->size != t->size || a->fshift != t->fshift || a->mask != t->mask ||
	    a->op >= CLS_OP_AVAIL || t->op >= CLS_OP_AVAIL)
		return -1;
	if (o == 1)
		return cls_subset(a, t) ? 1 : cls_disjoint(a, t) ? 0 : -1;
	return cls_subset(t, a) ? 0 : -1;
}

/* Skip steps whose answer is already known on the way there ("tcp port 80",
 * "tcp port 443": after the first test fails on its port, the fragment and
 * protocol checks of the second are known to pass).  facts[t] holds the
 * (step, answer) pairs true on every path into t, as bits 2*step+answer;
 * steps are visited in order, so all of t's incoming jumps are final when
 * t is reached.  Bounded to keep compile memory at a few MiB. */
#define CLS_THREAD_MAX 4096

static bool cls_bit(const uint64_t *f, int b) { return f[b / 64] >> (b % 64) & 1; }

/* Only earlier steps reading the same bits can decide a comparison, and
 * only earlier steps on the same base can decide a length check.  link[]
 * chains the former, link[n + t] the latter, so a lookup walks a few
 * steps, not every known fact. */
static int cls_known(const struct cls_prog *p, const int32_t *link, const uint64_t *facts, int t)
{
	const int32_t *chain = p->insn[t].op == CLS_OP_AVAIL ? link + p->ninsn : link;
	for (int k = chain[t]; k >= 0; k = chain[k])
		for (int o = 0; o < 2; o++) {
			int r = cls_bit(facts, 2 * k + o) ? cls_implied(&p->insn[k], o, &p->insn[t]) : -1;
			if (r >= 0)
				return r;
		}
	return -1;
}

static bool cls_same_bits(const struct cls_insn *k, const struct cls_insn *t)
{
	return (k->flags & CLS_F_TRANSP) == (t->flags & CLS_F_TRANSP) && k->op < CLS_OP_AVAIL && k->off == t->off &&
	       k->size == t->size && k->fshift == t->fshift && k->mask == t->mask;
}

static void cls_thread(struct cls_prog *p)
{
	int n = p->ninsn;
	size_t words = ((size_t)2 * (size_t)n + 63) / 64;
	uint64_t *facts = n <= CLS_THREAD_MAX ? calloc((size_t)n * words + words, sizeof(*facts)) : NULL;
	bool *seen = calloc((size_t)n + 1, 1);
	int32_t *link = malloc(((size_t)n + 1) * 2 * sizeof(*link));
	if (!facts || !seen || !link || p->entry < 0)
		goto done; /* still correct, just not shortened */
	int32_t last_base[2] = {-1, -1};
	for (int t = 0; t < n; t++) {
		const struct cls_insn *in = &p->insn[t];
		link[t] = -1;
		for (int k = t - 1; k >= 0 && link[t] < 0 && in->op < CLS_OP_AVAIL; k--)
			if (cls_same_bits(&p->insn[k], in))
				link[t] = k;
		link[n + t] = last_base[in->flags & CLS_F_TRANSP];
		if (in->op != CLS_OP_TRUE)
			last_base[in->flags & CLS_F_TRANSP] = t;
	}
	uint64_t *edge = facts + (size_t)n * words;
	seen[p->entry] = true;
	for (int i = 0; i < n; i++) {
		if (!seen[i])
			continue; /* unreachable now */
		for (int o = 0; o < 2; o++) {
			memcpy(edge, facts + (size_t)i * words, words * sizeof(*edge));
			edge[(2 * i + o) / 64] |= 1ull << ((2 * i + o) % 64);
			int32_t t = p->insn[i].j[o];
			int r;
			while (t >= 0 && (r = cls_known(p, link, edge, t)) >= 0) {
				edge[(2 * t + r) / 64] |= 1ull << ((2 * t + r) % 64);
				t = p->insn[t].j[r];
			}
			p->insn[i].j[o] = t;
			if (t < 0)
				continue;
			uint64_t *ft = facts + (size_t)t * words;
			for (size_t w = 0; w < words; w++)
				ft[w] = seen[t] ? ft[w] & edge[w] : edge[w];
			seen[t] = true;
		}
	}
done:
	free(facts);
	free(seen);
	free(link);
}

/* Drop steps that threading made unreachable, keeping order (so jumps
 * still go forward). */
static void cls_compact(struct cls_prog *p)
{
	int n = p->ninsn, k = 0;
	int32_t *map = calloc((size_t)n + 1, sizeof(*map)); /* new index + 1; 0 = unreachable */
	if (!map)
		return; /* correct as it is, just longer */
	if (p->entry >= 0)
		map[p->entry] = 1;
	for (int i = 0; i < n; i++) {
		if (!map[i])
			continue;
		map[i] = ++k; /* every jump into i came from an earlier step */
		for (int o = 0; o < 2; o++)
			if (p->insn[i].j[o] >= 0)
				map[p->insn[i].j[o]] = 1;
	}
	for (int i = 0; i < n; i++) {
		if (!map[i])
			continue;
		struct cls_insn in = p->insn[i];
		for (int o = 0; o < 2; o++)
			if (in.j[o] >= 0)
				in.j[o] = map[in.j[o]] - 1;
		p->insn[map[i] - 1] = in; /* map[i] - 1 <= i: already read */
	}
	if (p->entry >= 0)
		p->entry = map[p->entry] - 1;
	p->ninsn = k;
	free(map);
}

int cls_prog_build(const struct cls_tree *t, const struct cls_rule *rules, int n, bool ip, const char *kind,
		   const struct rt_loc *loc, struct cls_prog **out, struct rt_err *err)
{
	struct cls_gen g = {.t = t};
	int trunc_out = -1, rc = 0;
	int start = gen_label(&g, LAB_UNSET, 0), next = start;
	bool covered = false;

	for (int i = 0; i < n && !covered; i++) {
		int cur = next, cv = cls_tree_constval(t, rules[i].root);
		if (cv == 1) {
			/* Always matches: later rules are unreachable, and it is
			 * also the answer for a packet with a broken IP header. */
			gen_set(&g, cur, LAB_TERM, rules[i].out);
			trunc_out = rules[i].out;
			covered = true;
			break;
		}
		next = gen_label(&g, LAB_UNSET, 0);
		if (cv == 0) {
			gen_set(&g, cur, LAB_ALIAS, next);
			continue;
		}
		gen_set(&g, cur, LAB_PC, g.n);
		gen_node(&g, rules[i].root, gen_label(&g, LAB_TERM, rules[i].out), next);
	}
	if (!covered)
		gen_set(&g, next, LAB_TERM, -1);

	struct cls_prog *p = NULL;
	if (!g.nomem)
		p = malloc(sizeof(*p) + (size_t)g.n * sizeof(p->insn[0]));
	if (!p) {
		rc = rt_errf(err, loc, -ENOMEM, "%s: out of memory", kind);
		goto done;
	}
	p->kind = kind;
	p->ip = ip;
	p->trunc_out = trunc_out;
	p->ninsn = g.n;
	p->entry = gen_resolve(&g, start);
	for (int i = 0; i < g.n; i++) {
		cls_lower(&p->insn[i], &g.insn[i].lf);
		p->insn[i].j[1] = gen_resolve(&g, g.insn[i].jt);
		p->insn[i].j[0] = gen_resolve(&g, g.insn[i].jf);
		/* Matching relies on jumps going strictly forward to end. */
		for (int o = 0; o < 2; o++)
			if ((p->insn[i].j[o] >= 0 && p->insn[i].j[o] <= i) || p->insn[i].j[o] == INT32_MIN) {
				free(p);
				rc = rt_errf(err, loc, -EINVAL, "%s: internal error building program", kind);
				goto done;
			}
	}
	cls_thread(p);
	cls_compact(p);
	*out = p;
done:
	free(g.insn);
	free(g.lab);
	return rc;
}

/* ---- matching ------------------------------------------------------------ */

static inline uint32_t cls_word(const uint8_t *p)
{
	uint32_t w;
	memcpy(&w, p, 4);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	w = __builtin_bswap32(w);
#endif
	return w;
}

int cls_prog_match(const struct cls_prog *prog, const uint8_t *p, uint32_t len)
{
	uint32_t tbase = 0;
	if (prog->ip) {
		/* No field of a truncated or malformed header is trustworthy
		 * (IHL < 5 would put the transport header inside the IP header). */
		if (len < 20)
			return prog->trunc_out;
		tbase = (uint32_t)(p[0] & 0x0f) * 4;
		if (tbase < 20 || tbase > len)
			return prog->trunc_out;
	}
	int32_t pc = prog->entry;
	while (pc >= 0) {
		const struct cls_insn *in = &prog->insn[pc];
		uint32_t off = in->off + (in->flags & CLS_F_TRANSP ? tbase : 0), w;
		if (__builtin_expect(len >= 4 && off <= len - 4, 1)) {
			w = cls_word(p + off);
		} else if (off <= len && in->size <= len - off) {
			/* near the end: the bytes that exist, zero-padded; the
			 * field's own bytes are all there */
			w = 0;
			for (uint32_t i = 0; i < len - off; i++)
				w |= (uint32_t)p[off + i] << (24 - 8 * i);
		} else {
			pc = in->j[0];
			continue;
		}
		uint32_t v = (w >> in->fshift) & in->mask;
		/* A real branch, not an indexed jump: predicted branches let
		 * the CPU run ahead, an index would serialize every step. */
		if (((v - in->lo) <= in->span) ^ ((in->flags & CLS_F_NEG) != 0))
			pc = in->j[1];
		else
			pc = in->j[0];
	}
	return -pc - 2;
}

/* ---- dump ---------------------------------------------------------------- */

static void dump_target(struct rt_buf *out, const char *label, int32_t t)
{
	rt_buf_puts(out, label);
	if (t >= 0)
		rt_buf_printf(out, "step %d", (int)t);
	else if (t == CLS_TERM(-1))
		rt_buf_puts(out, "[drop]");
	else
		rt_buf_printf(out, "[%d]", (int)(-t - 2));
}

void cls_prog_dump(const struct cls_prog *prog, struct rt_buf *out)
{
	static const char *const ops[] = {"==", "!=", "<", ">", "<=", ">="};
	if (!prog) {
		rt_buf_puts(out, "(no program)\n");
		return;
	}
	rt_buf_printf(out, "%s program, %d step%s\n", prog->kind, prog->ninsn, prog->ninsn == 1 ? "" : "s");
	for (int i = 0; i < prog->ninsn; i++) {
		const struct cls_insn *in = &prog->insn[i];
		const char *base = !prog->ip ? "data" : in->flags & CLS_F_TRANSP ? "transp" : "ip";
		rt_buf_printf(out, "%4d  ", i);
		unsigned shift = in->size ? in->fshift - 8u * (4u - in->size) : 0;
		if (in->op == CLS_OP_TRUE)
			rt_buf_puts(out, "true");
		else if (in->op == CLS_OP_AVAIL)
			rt_buf_printf(out, "length(%s) >= %u", base, (unsigned)(in->off + in->size));
		else {
			rt_buf_printf(out, "%s[%u:%u]", base, (unsigned)in->off, (unsigned)in->size);
			if (shift)
				rt_buf_printf(out, " >> %u", shift);
			uint32_t full = in->size >= 4 ? 0xffffffffu : (1u << (8 * in->size)) - 1;
			if (in->mask != (full >> shift))
				rt_buf_printf(out, " & 0x%x", (unsigned)in->mask);
			rt_buf_printf(out, " %s 0x%x", (size_t)in->op < RT_ARRAY_SIZE(ops) ? ops[in->op] : "?",
				      (unsigned)in->val);
		}
		dump_target(out, "  yes->", in->j[1]);
		dump_target(out, "  no->", in->j[0]);
		rt_buf_puts(out, "\n");
	}
	dump_target(out, "entry -> ", prog->entry);
	if (prog->ip)
		dump_target(out, "\nbad IP header -> ", CLS_TERM(prog->trunc_out));
	rt_buf_puts(out, "\n");
}

void cls_prog_free(struct cls_prog *prog) { free(prog); }

/* ---- Classifier patterns ------------------------------------------------- */

struct cls_cctx {
	struct cls_tree *t;
	struct rt_err *err;
	const struct rt_loc *loc;
	int argno;
};

static int cls_cerr(struct cls_cctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cls_cerr(struct cls_cctx *c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rt_errf(c->err, c->loc, -EINVAL, "pattern %d: %s", c->argno, msg);
	return -1;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* One OFFSET/VALUE[%MASK] clause -> AND of leaves of at most 4 bytes.
 * Bytes whose mask is zero are skipped, so "12/08??" needs only 13 bytes
 * (Click checks only the bytes the mask covers). */
static int cls_clause(struct cls_cctx *c, const char *s, int n)
{
	const char *slash = memchr(s, '/', (size_t)n);
	if (!slash)
		return cls_cerr(c, "missing '/' in clause '%.*s'", n, s);
	int olen = (int)(slash - s);
	uint32_t off = 0;
	for (int i = 0; i < olen; i++) {
		if (!isdigit((unsigned char)s[i]) || (off = off * 10 + (uint32_t)(s[i] - '0')) > 65535)
			return cls_cerr(c, "bad offset '%.*s'", olen, s);
	}
	if (olen == 0)
		return cls_cerr(c, "bad offset '%.*s'", olen, s);

	const char *v = slash + 1, *end = s + n;
	const char *pct = memchr(v, '%', (size_t)(end - v));
	int vlen = (int)((pct ? pct : end) - v);
	const char *m = pct ? pct + 1 : NULL;
	int mlen = pct ? (int)(end - m) : 0;
	if (vlen == 0)
		return cls_cerr(c, "missing value in clause '%.*s'", n, s);
	for (int i = 0; i < vlen; i++)
		if (v[i] != '?' && hexval(v[i]) < 0)
			return cls_cerr(c, "bad value '%.*s'", vlen, v);
	if (vlen % 2)
		return cls_cerr(c, "value '%.*s' has an odd number of hex digits", vlen, v);
	if (m) {
		for (int i = 0; i < mlen; i++)
			if (hexval(m[i]) < 0)
				return cls_cerr(c, "bad mask '%.*s'", mlen, m);
		if (mlen != vlen)
			return cls_cerr(c, "mask '%.*s' and value '%.*s' differ in length", mlen, m, vlen, v);
	}

	int nbytes = vlen / 2, node = cls_tree_const(c->t, true);
	uint8_t vb[4], mb[4];
	int k = 0;
	uint32_t koff = 0;
	for (int i = 0; i <= nbytes; i++) {
		uint8_t bv = 0, bm = 0;
		if (i < nbytes) {
			for (int j = 0; j < 2; j++) {
				char ch = v[2 * i + j];
				int mk = m ? hexval(m[2 * i + j]) : 15;
				if (ch != '?') {
					bv = (uint8_t)(bv | hexval(ch) << (4 - 4 * j));
					bm = (uint8_t)(bm | mk << (4 - 4 * j));
				}
			}
		}
		if (i < nbytes && k == 0 && bm == 0)
			continue; /* chunks start at a byte that matters */
		if (i < nbytes && k < 4) {
			if (k == 0)
				koff = off + (uint32_t)i;
			vb[k] = bv & bm, mb[k] = bm, k++;
			continue;
		}
		/* flush the chunk, dropping trailing don't-care bytes */
		while (k > 0 && mb[k - 1] == 0)
			k--;
		if (k > 0) {
			uint32_t val = 0, msk = 0;
			for (int j = 0; j < k; j++)
				val = val << 8 | vb[j], msk = msk << 8 | mb[j];
			node = cls_tree_and(c->t, node,
					    cls_tree_leaf(c->t, CLS_BASE_NET, koff, (uint8_t)k, 0, msk, CLS_OP_EQ, val));
		}
		k = 0;
		if (i < nbytes)
			i--; /* re-read the byte that did not fit */
	}
	return node;
}

static int cls_pattern(struct cls_cctx *c, const char *s)
{
	int node = cls_tree_const(c->t, true), nclauses = 0;
	bool neg = false, dash = false;
	while (*s) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		int n = 0;
		while (s[n] && !isspace((unsigned char)s[n]))
			n++;
		if (n == 1 && *s == '-') {
			dash = true;
		} else if (n == 1 && *s == '!') {
			neg = !neg; /* "! 12/0800" as well as "!12/0800" */
		} else {
			const char *cs = s;
			int cn = n;
			if (*cs == '!')
				neg = !neg, cs++, cn--;
			int x = cls_clause(c, cs, cn);
			if (x < 0 && !c->t->nomem)
				return -1;
			node = cls_tree_and(c->t, node, neg ? cls_tree_not(c->t, x) : x);
			neg = false;
		}
		nclauses++;
		s += n;
	}
	if (neg)
		return cls_cerr(c, "'!' without a clause");
	if (dash && nclauses > 1)
		return cls_cerr(c, "'-' must be the whole pattern");
	if (nclauses == 0)
		return cls_cerr(c, "empty pattern");
	return node;
}

int cls_classifier_compile(int argc, char **argv, const struct rt_loc *loc, struct cls_prog **out,
			   struct rt_err *err)
{
	struct cls_tree t = {0};
	struct cls_rule *rules = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*rules));
	int rc = 0;
	if (!rules)
		return rt_errf(err, loc, -ENOMEM, "Classifier: out of memory");
	for (int i = 0; i < argc; i++) {
		struct cls_cctx c = {.t = &t, .err = err, .loc = loc, .argno = i};
		rules[i].root = cls_pattern(&c, argv[i]);
		rules[i].out = i;
		if (t.nomem) {
			rc = rt_errf(err, loc, -ENOMEM, "Classifier: out of memory");
			goto done;
		}
		if (rules[i].root < 0) {
			rc = err && err->code ? err->code : -EINVAL;
			goto done;
		}
	}
	rc = cls_prog_build(&t, rules, argc, false, "Classifier", loc, out, err);
done:
	free(rules);
	cls_tree_free(&t);
	return rc;
}
