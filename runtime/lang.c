/*
 * lang.c - the Click configuration language: parser and flattener.
 *
 * Parsing builds, for the top level and for every compound class body, a
 * "body": its elements (resolved to a primitive class name or a compound
 * class) and connections between element indices.  Names are resolved while
 * parsing because Click requires declaration before use.  Flattening then
 * walks the top body, expanding compounds depth-first; each compound
 * instance becomes two tunnel nodes (its input and output sides), and a final
 * pass follows tunnels so only connections between primitives remain.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lang_int.h"

struct lang_body;

struct lang_cls {
	char *name;                    /* NULL for an anonymous compound */
	struct rt_loc loc;
	struct lang_cls *next;         /* in the declaring body's list */
	const struct lang_body *scope; /* declared in: its formals' parent env */
	char *prim;                    /* synonym of a primitive class */
	struct lang_cls *alias;        /* synonym of a compound */
	struct lang_body *body;        /* compound body */
	char **formals, **keys;        /* keys[i] NULL: positional formal */
	int nformals;
	bool ready;                    /* complete, so visible: no recursion */
};

struct lang_ent {
	char *name, *config, *prim; /* prim NULL: comp is set */
	struct lang_cls *comp;
	struct rt_loc loc, cls_loc;
	bool anonymous;
};

struct lang_hook {
	int from, fport, to, tport;
	struct rt_loc loc;
};

struct lang_body {
	struct lang_body *parent;
	struct lang_ent *ents;
	int nents, ents_cap;
	struct lang_hook *hooks;
	int nhooks, hooks_cap;
	struct lang_map names;
	struct lang_cls *classes;
	bool compound; /* ents 0 and 1 are the `input`/`output` pseudo-elements */
	int ninputs, noutputs;
};

struct lang_parser {
	struct lang_lexer lx;
	lang_is_class_fn is_class;
	void *ctx;
	struct rt_err *err;
	struct lang_body *cur;
	struct lang_env defs;
	struct lang_graph *out;
	int reqs_cap;
};

/* One element reference in a connection; ent is -1 while it may still turn
 * out to be part of a multi-name declaration (`a, b :: C`). */
struct lang_item {
	struct lang_token word;
	int ent, inport, outport;
	struct rt_loc outport_loc;
	bool has_out;
};

struct lang_items {
	struct lang_item *v;
	int n, cap;
};

struct lang_clsref {
	const char *prim; /* not NUL-terminated: prim[0..plen) */
	size_t plen;
	struct lang_cls *comp;
	const char *word; /* the class as written, for anonymous names */
	size_t wlen;
};

static void body_free(struct lang_body *b);

static void cls_free(struct lang_cls *c)
{
	free(c->name);
	free(c->prim);
	body_free(c->body);
	for (int i = 0; i < c->nformals; i++)
		free(c->formals[i]), free(c->keys[i]);
	free(c->formals);
	free(c->keys);
	free(c);
}

static void body_free(struct lang_body *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->nents; i++)
		free(b->ents[i].name), free(b->ents[i].config), free(b->ents[i].prim);
	free(b->ents);
	free(b->hooks);
	lang_map_free(&b->names);
	while (b->classes) {
		struct lang_cls *c = b->classes;
		b->classes = c->next;
		cls_free(c);
	}
	free(b);
}

static struct lang_body *body_new(struct lang_body *parent, bool compound)
{
	struct lang_body *b = calloc(1, sizeof(*b));
	if (!b)
		abort();
	b->parent = parent;
	b->compound = compound;
	for (int i = 0; compound && i < 2; i++) {
		struct lang_ent *e = LANG_PUSH(b->ents, b->nents, b->ents_cap);
		memset(e, 0, sizeof(*e));
		e->name = lang_strdup(i ? "output" : "input");
		lang_map_put(&b->names, e->name, i);
	}
	return b;
}

/* ---- parser ------------------------------------------------------------ */

static bool tok_eq(const struct lang_token *t, const char *s)
{
	return s && strlen(s) == t->len && !memcmp(s, t->s, t->len);
}

static bool is_keyword(const struct lang_token *t)
{
	return lang_tok_is(t, "elementclass") || lang_tok_is(t, "require") || lang_tok_is(t, "define");
}

static struct lang_cls *find_class(const struct lang_body *b, const struct lang_token *t)
{
	for (; b; b = b->parent)
		for (struct lang_cls *c = b->classes; c; c = c->next)
			if (c->ready && tok_eq(t, c->name))
				return c;
	return NULL;
}

/* Compounds in scope shadow primitives.  1 found, 0 not a class. */
static int resolve_class(struct lang_parser *P, const struct lang_token *t, struct lang_clsref *r)
{
	memset(r, 0, sizeof(*r));
	if (t->kind != LT_WORD)
		return 0;
	r->word = t->s, r->wlen = t->len;
	struct lang_cls *c = find_class(P->cur, t);
	if (c) {
		r->comp = c->alias ? c->alias : c->prim ? NULL : c;
		if (c->prim)
			r->prim = c->prim, r->plen = strlen(c->prim);
		return 1;
	}
	char *name = lang_strndup(t->s, t->len);
	bool ok = P->is_class && P->is_class(name, P->ctx);
	free(name);
	if (ok)
		r->prim = t->s, r->plen = t->len;
	return ok;
}

static int unknown_class(struct lang_parser *P, const struct lang_token *t)
{
	return rt_errf(P->err, &t->loc, -EINVAL, "unknown element class '%.*s'", (int)t->len, t->s);
}

/* Declare an element in the current body; `name` NULL makes it anonymous.
 * Takes ownership of config.  Returns its index. */
static int add_ent(struct lang_parser *P, const struct lang_token *name, const struct lang_clsref *r,
		   char *config, struct rt_loc cls_loc)
{
	struct lang_body *b = P->cur;
	struct rt_buf nb;
	rt_buf_init(&nb);
	if (name) {
		rt_buf_add(&nb, name->s, name->len);
	} else {
		/* Click's convention: Class@N, N the element's 1-based index in
		 * its scope (compound pseudo-elements not counted) */
		int n = b->nents - (b->compound ? 2 : 0) + 1;
		rt_buf_printf(&nb, "%.*s@%d", (int)r->wlen, r->word ? r->word : "", n);
	}
	char *s = rt_buf_steal(&nb);
	struct rt_loc loc = name ? name->loc : cls_loc;
	if (lang_map_get(&b->names, s) >= 0) {
		int rc = rt_errf(P->err, &loc, -EINVAL, "redeclaration of element '%s'", s);
		free(s);
		free(config);
		return rc;
	}
	struct lang_ent *e = LANG_PUSH(b->ents, b->nents, b->ents_cap);
	e->name = s;
	e->config = config;
	e->prim = r->prim ? lang_strndup(r->prim, r->plen) : NULL;
	e->comp = r->prim ? NULL : r->comp;
	e->loc = loc;
	e->cls_loc = cls_loc;
	e->anonymous = !name;
	lang_map_put(&b->names, s, b->nents - 1);
	return b->nents - 1;
}

static int parse_port(struct lang_parser *P, int *port)
{
	struct lang_token t;
	int rc = lang_lex_next(&P->lx, &t); /* the `[` */
	if (rc >= 0)
		rc = lang_lex_next(&P->lx, &t);
	if (rc < 0)
		return rc;
	if (t.kind != LT_NUM || t.len > 6)
		return lang_syntax_error(&P->lx, &t);
	*port = atoi(t.s);
	if ((rc = lang_lex_next(&P->lx, &t)) < 0)
		return rc;
	return t.kind == LT_RBRACK ? 0 : lang_syntax_error(&P->lx, &t);
}

static int parse_opt_config(struct lang_parser *P, char **config)
{
	struct lang_token t;
	int rc = lang_lex_peek(&P->lx, &t);
	*config = NULL;
	if (rc < 0)
		return rc;
	if (t.kind != LT_LPAREN) {
		*config = lang_strdup("");
		return 0;
	}
	lang_lex_next(&P->lx, &t);
	return lang_lex_config(&P->lx, &t.loc, config);
}

static int parse_stmts(struct lang_parser *P, bool compound);

/* `$a, KEYWORD $b |` right after a compound's `{`: optional, so try it and
 * rewind the lexer when the body does not start that way. */
static int parse_formals(struct lang_parser *P, struct lang_cls *c)
{
	struct lang_lexer save = P->lx;
	struct lang_token t, key;
	int fcap = 0, kcap = 0, rc;
	for (;;) {
		if ((rc = lang_lex_next(&P->lx, &t)) < 0)
			return rc;
		key = (struct lang_token){.kind = LT_EOF};
		if (t.kind == LT_WORD) {
			key = t;
			if ((rc = lang_lex_next(&P->lx, &t)) < 0)
				return rc;
		}
		if (t.kind != LT_VAR)
			break;
		c->formals = lang_grow(c->formals, &fcap, c->nformals, sizeof(char *));
		c->keys = lang_grow(c->keys, &kcap, c->nformals, sizeof(char *));
		c->formals[c->nformals] = lang_strndup(t.s, t.len);
		c->keys[c->nformals++] = key.kind == LT_WORD ? lang_strndup(key.s, key.len) : NULL;
		for (int i = 0; i < c->nformals - 1; i++)
			if (!strcmp(c->formals[i], c->formals[c->nformals - 1]))
				return rt_errf(P->err, &t.loc, -EINVAL, "parameter '$%.*s' multiply defined",
					       (int)t.len, t.s);
		if ((rc = lang_lex_next(&P->lx, &t)) < 0)
			return rc;
		if (t.kind == LT_BAR)
			return 0;
		if (t.kind != LT_COMMA)
			break;
	}
	for (int i = 0; i < c->nformals; i++)
		free(c->formals[i]), free(c->keys[i]);
	c->nformals = 0;
	P->lx = save;
	return 0;
}

/* After the `{`.  The class is linked into the current scope at once so it
 * is freed on error, but stays invisible until its body is complete. */
static int parse_compound(struct lang_parser *P, const struct lang_token *name, const struct rt_loc *loc,
			  struct lang_cls **out)
{
	struct lang_cls *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->name = name ? lang_strndup(name->s, name->len) : NULL;
	c->loc = *loc;
	c->scope = P->cur;
	c->next = P->cur->classes;
	P->cur->classes = c;
	c->body = body_new(P->cur, true);
	int rc = parse_formals(P, c);
	if (rc < 0)
		return rc;
	P->cur = c->body;
	rc = parse_stmts(P, true);
	P->cur = c->body->parent;
	if (rc < 0)
		return rc;
	c->ready = true;
	*out = c;
	return 0;
}

static int parse_class_spec(struct lang_parser *P, struct lang_clsref *r, char **config, struct rt_loc *cls_loc)
{
	struct lang_token t;
	int rc = lang_lex_next(&P->lx, &t);
	*config = NULL;
	memset(r, 0, sizeof(*r));
	if (rc < 0)
		return rc;
	*cls_loc = t.loc;
	if (t.kind == LT_LBRACE)
		rc = parse_compound(P, NULL, &t.loc, &r->comp);
	else if (t.kind != LT_WORD || is_keyword(&t))
		rc = lang_syntax_error(&P->lx, &t);
	else if ((rc = resolve_class(P, &t, r)) == 0)
		rc = unknown_class(P, &t);
	return rc < 0 ? rc : parse_opt_config(P, config);
}

static int resolve_word(struct lang_parser *P, const struct lang_token *t)
{
	char *name = lang_strndup(t->s, t->len);
	int e = lang_map_get(&P->cur->names, name);
	free(name);
	if (e >= 0)
		return e;
	if (lang_tok_is(t, "input") || lang_tok_is(t, "output"))
		return rt_errf(P->err, &t->loc, -EINVAL, "'%.*s' used outside compound element", (int)t->len, t->s);
	struct lang_clsref r;
	int rc = resolve_class(P, t, &r);
	if (rc < 0)
		return rc;
	if (!rc)
		return rt_errf(P->err, &t->loc, -EINVAL, "undeclared element '%.*s'", (int)t->len, t->s);
	return add_ent(P, NULL, &r, lang_strdup(""), t->loc);
}

static int flush_pending(struct lang_parser *P, struct lang_items *l)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i].ent < 0 && (l->v[i].ent = resolve_word(P, &l->v[i].word)) < 0)
			return l->v[i].ent;
	return 0;
}

/* One element reference, after any input port: declaration, anonymous
 * element, anonymous compound or (maybe pending) name. */
static int parse_item(struct lang_parser *P, struct lang_items *l, struct lang_item *it, bool has_in)
{
	struct lang_token t = it->word, n;
	struct lang_clsref r = {0};
	char *config;
	int rc;
	if (t.kind == LT_LBRACE) {
		if ((rc = flush_pending(P, l)) < 0 || (rc = parse_compound(P, NULL, &t.loc, &r.comp)) < 0 ||
		    (rc = parse_opt_config(P, &config)) < 0)
			return rc;
		return it->ent = add_ent(P, NULL, &r, config, t.loc);
	}
	if (t.kind != LT_WORD || is_keyword(&t))
		return lang_syntax_error(&P->lx, &t);
	if ((rc = lang_lex_peek(&P->lx, &n)) < 0)
		return rc;
	if (n.kind == LT_COLON2) {
		struct rt_loc cl;
		lang_lex_next(&P->lx, &n);
		if ((rc = parse_class_spec(P, &r, &config, &cl)) < 0)
			return rc;
		/* `a, b, c :: C(x)`: the names still pending are declared too */
		for (int i = 0; i < l->n; i++)
			if (l->v[i].ent < 0 &&
			    (l->v[i].ent = add_ent(P, &l->v[i].word, &r, lang_strdup(config), cl)) < 0) {
				free(config);
				return l->v[i].ent;
			}
		return it->ent = add_ent(P, &t, &r, config, cl);
	}
	if (n.kind == LT_LPAREN) {
		lang_lex_next(&P->lx, &n);
		if ((rc = flush_pending(P, l)) < 0 || (rc = resolve_class(P, &t, &r)) < 0)
			return rc;
		if (!rc)
			return unknown_class(P, &t);
		if ((rc = lang_lex_config(&P->lx, &n.loc, &config)) < 0)
			return rc;
		return it->ent = add_ent(P, NULL, &r, config, t.loc);
	}
	if (has_in || n.kind == LT_LBRACK) {
		if ((rc = flush_pending(P, l)) < 0)
			return rc;
		return it->ent = resolve_word(P, &t);
	}
	return 0; /* pending */
}

static int parse_list(struct lang_parser *P, struct lang_items *l, bool first)
{
	struct lang_token t;
	int rc;
	l->n = 0;
	for (;;) {
		struct lang_item it = {.ent = -1};
		bool has_in = false;
		if ((rc = lang_lex_peek(&P->lx, &t)) < 0)
			return rc;
		if (t.kind == LT_LBRACK) {
			if (first) /* no input port before a chain's first element */
				return lang_syntax_error(&P->lx, &t);
			if ((rc = parse_port(P, &it.inport)) < 0)
				return rc;
			has_in = true;
		}
		if ((rc = lang_lex_next(&P->lx, &it.word)) < 0 || (rc = parse_item(P, l, &it, has_in)) < 0 ||
		    (rc = lang_lex_peek(&P->lx, &t)) < 0)
			return rc;
		if (t.kind == LT_LBRACK) {
			it.has_out = true;
			it.outport_loc = t.loc;
			if ((rc = parse_port(P, &it.outport)) < 0)
				return rc;
		}
		*LANG_PUSH(l->v, l->n, l->cap) = it;
		if ((rc = lang_lex_peek(&P->lx, &t)) < 0)
			return rc;
		if (t.kind != LT_COMMA)
			return flush_pending(P, l);
		lang_lex_next(&P->lx, &t);
	}
}

static int add_hook(struct lang_parser *P, const struct lang_item *f, const struct lang_item *t,
		    const struct rt_loc *loc)
{
	struct lang_body *b = P->cur;
	const struct lang_ent *fe = &b->ents[f->ent], *te = &b->ents[t->ent];
	if (b->compound && f->ent == 1)
		return rt_errf(P->err, &f->word.loc, -EINVAL, "'output' used as a connection source");
	if (b->compound && t->ent == 0)
		return rt_errf(P->err, &t->word.loc, -EINVAL, "'input' used as a connection destination");
	if (fe->comp && f->outport >= fe->comp->body->noutputs)
		return rt_errf(P->err, &f->word.loc, -EINVAL, "'%s' has no output %d", fe->name, f->outport);
	if (te->comp && t->inport >= te->comp->body->ninputs)
		return rt_errf(P->err, &t->word.loc, -EINVAL, "'%s' has no input %d", te->name, t->inport);
	if (b->compound && f->ent == 0)
		b->ninputs = RT_MAX(b->ninputs, f->outport + 1);
	if (b->compound && t->ent == 1)
		b->noutputs = RT_MAX(b->noutputs, t->inport + 1);
	*LANG_PUSH(b->hooks, b->nhooks, b->hooks_cap) =
		(struct lang_hook){f->ent, f->outport, t->ent, t->inport, *loc};
	return 0;
}

/* Tuples: one side single fans in or out; equal sizes connect pairwise. */
static int connect_lists(struct lang_parser *P, const struct lang_items *a, const struct lang_items *b,
			 const struct rt_loc *loc)
{
	if (a->n > 1 && b->n > 1 && a->n != b->n)
		return rt_errf(P->err, loc, -EINVAL, "connection tuple sizes differ (%d -> %d)", a->n, b->n);
	int rc = 0;
	for (int k = 0; k < RT_MAX(a->n, b->n) && rc >= 0; k++)
		rc = add_hook(P, &a->v[a->n == 1 ? 0 : k], &b->v[b->n == 1 ? 0 : k], loc);
	return rc;
}

static int parse_chain(struct lang_parser *P)
{
	struct lang_items a = {0}, b = {0};
	struct lang_token t;
	int rc = parse_list(P, &a, true);
	while (rc >= 0) {
		if ((rc = lang_lex_peek(&P->lx, &t)) < 0 || t.kind != LT_ARROW)
			break;
		lang_lex_next(&P->lx, &t);
		if ((rc = parse_list(P, &b, false)) < 0 || (rc = connect_lists(P, &a, &b, &t.loc)) < 0)
			break;
		struct lang_items tmp = a;
		a = b, b = tmp;
	}
	for (int i = 0; rc >= 0 && i < a.n; i++)
		if (a.v[i].has_out) /* an output port with nothing after it */
			rc = rt_errf(P->err, &a.v[i].outport_loc, -EINVAL, "syntax error near '['");
	free(a.v);
	free(b.v);
	return rc;
}

static int parse_elementclass(struct lang_parser *P)
{
	struct lang_token name, t;
	struct lang_clsref r;
	int rc;
	lang_lex_next(&P->lx, &t);
	if ((rc = lang_lex_next(&P->lx, &name)) < 0)
		return rc;
	if (name.kind != LT_WORD || is_keyword(&name))
		return lang_syntax_error(&P->lx, &name);
	for (struct lang_cls *c = P->cur->classes; c; c = c->next)
		if (c->ready && tok_eq(&name, c->name))
			return rt_errf(P->err, &name.loc, -EINVAL, "redeclaration of element class '%.*s'",
				       (int)name.len, name.s);
	if ((rc = lang_lex_next(&P->lx, &t)) < 0)
		return rc;
	if (t.kind == LT_LBRACE) {
		struct lang_cls *c;
		return parse_compound(P, &name, &name.loc, &c);
	}
	if (t.kind != LT_WORD || is_keyword(&t))
		return lang_syntax_error(&P->lx, &t);
	if ((rc = resolve_class(P, &t, &r)) <= 0)
		return rc < 0 ? rc : unknown_class(P, &t);
	struct lang_cls *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->name = lang_strndup(name.s, name.len);
	c->loc = name.loc;
	c->scope = P->cur;
	c->alias = r.comp;
	c->prim = r.prim ? lang_strndup(r.prim, r.plen) : NULL;
	c->ready = true;
	c->next = P->cur->classes;
	P->cur->classes = c;
	return 0;
}

/* `require(...)` and `define(...)`: the keyword, then a configuration
 * string split into arguments. */
static int parse_directive(struct lang_parser *P, struct lang_token *kw, char ***argv)
{
	struct lang_token t;
	char *text;
	int rc;
	lang_lex_next(&P->lx, kw);
	if ((rc = lang_lex_next(&P->lx, &t)) < 0)
		return rc;
	if (t.kind != LT_LPAREN)
		return lang_syntax_error(&P->lx, &t);
	if ((rc = lang_lex_config(&P->lx, &t.loc, &text)) < 0)
		return rc;
	rc = lang_split_args(text, argv);
	free(text);
	return rc;
}

static int parse_require(struct lang_parser *P)
{
	struct lang_token kw;
	char **argv = NULL;
	int argc = parse_directive(P, &kw, &argv), rc = 0;
	struct lang_graph *g = P->out;
	for (int i = 0; i < argc && rc >= 0; i++) {
		const char *v = argv[i];
		if (!strncmp(v, "package", 7) && isspace((unsigned char)v[7]))
			v += 8;
		char *what = lang_trimdup(v, strlen(v));
		size_t n = strlen(what);
		if (n >= 2 && what[0] == '"' && what[n - 1] == '"')
			memmove(what, what + 1, n - 2), what[n - 2] = 0;
		if (!*what || strpbrk(what, " \t\r\n")) {
			rc = rt_errf(P->err, &kw.loc, -EINVAL, "bad requirement '%s'", argv[i]);
			free(what);
			break;
		}
		struct lang_req *q = LANG_PUSH(g->reqs, g->nreqs, P->reqs_cap);
		q->what = what;
		q->loc = kw.loc;
	}
	lang_free_args(argv, argc);
	return argc < 0 ? argc : rc;
}

static int parse_define(struct lang_parser *P)
{
	struct lang_token kw;
	char **argv = NULL;
	int argc = parse_directive(P, &kw, &argv), rc = 0;
	for (int i = 0; i < argc && rc >= 0; i++) {
		const char *a = argv[i], *n = a + 1, *e;
		bool brace = a[0] == '$' && a[1] == '{';
		n += brace;
		for (e = n; isalnum((unsigned char)*e) || *e == '_'; e++)
			;
		if (a[0] != '$' || e == n || (brace && *e++ != '}') || (*e && !isspace((unsigned char)*e)))
			rc = rt_errf(P->err, &kw.loc, -EINVAL, "syntax error near '%s'", a);
		else if (lang_env_get(&P->defs, n, (size_t)(e - brace - n)))
			rc = rt_errf(P->err, &kw.loc, -EINVAL, "parameter '$%.*s' multiply defined",
				     (int)(e - brace - n), n);
		else
			lang_env_set(&P->defs, n, (size_t)(e - brace - n), e + strspn(e, " \t\r\n"),
				     strlen(e + strspn(e, " \t\r\n")));
	}
	lang_free_args(argv, argc);
	return argc < 0 ? argc : rc;
}

/* Statements up to end of file (top level) or the closing `}`.  Like
 * Click, `;` between statements is optional. */
static int parse_stmts(struct lang_parser *P, bool compound)
{
	for (;;) {
		struct lang_token t;
		int rc = lang_lex_peek(&P->lx, &t);
		if (rc < 0)
			return rc;
		if (t.kind == LT_EOF || t.kind == LT_RBRACE) {
			if ((t.kind == LT_EOF) == compound)
				return lang_syntax_error(&P->lx, &t);
			lang_lex_next(&P->lx, &t);
			return 0;
		}
		if (t.kind == LT_SEMI)
			lang_lex_next(&P->lx, &t);
		else if (lang_tok_is(&t, "elementclass"))
			rc = parse_elementclass(P);
		else if (lang_tok_is(&t, "require"))
			rc = parse_require(P);
		else if (lang_tok_is(&t, "define"))
			rc = compound ? lang_syntax_error(&P->lx, &t) : parse_define(P);
		else
			rc = parse_chain(P);
		if (rc < 0)
			return rc;
	}
}

/* ---- flattening --------------------------------------------------------- */

struct lang_edge {
	int from, fport, to, tport, next;
	struct rt_loc loc;
};

struct lang_fconn {
	struct lang_conn c;
	int order, seq;
};

struct lang_flat {
	struct lang_graph *g;
	int decls_cap, conns_cap;
	int *node_decl; /* a decl index, or -1 for a compound's tunnel side */
	int nnodes, nodes_cap;
	int *first;     /* per node: its first outgoing edge */
	struct lang_edge *edges;
	int nedges, edges_cap;
	int *stamp;
	struct lang_fconn *fconns;
	int nfconns, fconns_cap;
	struct rt_err *err;
};

/* An expansion in progress: which body, with which variables. */
struct lang_frame {
	const struct lang_body *body;
	const struct lang_env *env;
	const struct lang_frame *up;
};

static int new_node(struct lang_flat *F, int decl)
{
	*LANG_PUSH(F->node_decl, F->nnodes, F->nodes_cap) = decl;
	return F->nnodes - 1;
}

/* Node ids for the body's elements come first so its connections are
 * recorded before those of the compounds it contains (Click's order), while
 * declarations still come out depth-first in textual order. */
static int flat_body(struct lang_flat *F, const struct lang_frame *fr, const char *prefix, int tin, int tout)
{
	const struct lang_body *b = fr->body;
	struct lang_graph *g = F->g;
	int *in = calloc((size_t)b->nents, sizeof(int)), *out = calloc((size_t)b->nents, sizeof(int));
	int rc = 0, first = b->compound ? 2 : 0;
	if (!in || !out)
		abort();
	if (b->compound)
		in[0] = out[0] = tin, in[1] = out[1] = tout;
	for (int i = first; i < b->nents; i++) {
		in[i] = new_node(F, -1);
		out[i] = b->ents[i].prim ? in[i] : new_node(F, -1);
	}
	for (int h = 0; h < b->nhooks; h++) {
		const struct lang_hook *k = &b->hooks[h];
		*LANG_PUSH(F->edges, F->nedges, F->edges_cap) =
			(struct lang_edge){out[k->from], k->fport, in[k->to], k->tport, -1, k->loc};
	}
	for (int i = first; i < b->nents && rc >= 0; i++) {
		const struct lang_ent *e = &b->ents[i];
		char *name = lang_cat(prefix, e->name);
		if (e->prim) {
			struct lang_decl *d = LANG_PUSH(g->decls, g->ndecls, F->decls_cap);
			*d = (struct lang_decl){name, lang_strdup(e->prim), lang_subst(e->config, fr->env), e->loc,
						e->anonymous};
			F->node_decl[in[i]] = g->ndecls - 1;
			continue;
		}
		const struct lang_cls *c = e->comp;
		const struct lang_frame *lex = fr; /* lexical scoping of variables */
		while (lex->up && lex->body != c->scope)
			lex = lex->up;
		struct lang_env env = {.parent = lex->env};
		if (lang_bind_args(c->formals, c->keys, c->nformals, e->config, fr->env, &env) < 0) {
			rc = rt_errf(F->err, &e->cls_loc, -EINVAL, "wrong number of arguments to compound element '%s'",
				     c->name ? c->name : "<anonymous>");
		} else {
			struct lang_frame sub = {c->body, &env, fr};
			char *p = lang_cat(name, "/");
			rc = flat_body(F, &sub, p, in[i], out[i]);
			free(p);
		}
		lang_env_free(&env);
		free(name);
	}
	free(in);
	free(out);
	return rc;
}

/* Follow tunnels from edge `src` (whose source is a primitive) until
 * primitives are reached; Click silently ignores tunnel cycles.  A result
 * is ordered by the earliest edge on its path: the outermost statement
 * that wrote it, so `a -> f -> b` flattens in textual order. */
static void follow(struct lang_flat *F, const struct lang_edge *src, int node, int port, int mark, int order)
{
	if (F->node_decl[node] >= 0) {
		struct lang_fconn *fc = LANG_PUSH(F->fconns, F->nfconns, F->fconns_cap);
		fc->c = (struct lang_conn){F->node_decl[src->from], src->fport, F->node_decl[node], port, src->loc};
		fc->order = order;
		fc->seq = F->nfconns;
		return;
	}
	for (int x = F->first[node]; x >= 0; x = F->edges[x].next)
		if (F->edges[x].fport == port && F->stamp[x] != mark) {
			F->stamp[x] = mark;
			follow(F, src, F->edges[x].to, F->edges[x].tport, mark, RT_MIN(order, x));
		}
}

static int fconn_cmp(const void *a, const void *b)
{
	const struct lang_fconn *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int flatten(struct lang_flat *F, const struct lang_body *top, const struct lang_env *env)
{
	struct lang_frame fr = {top, env, NULL};
	int rc = flat_body(F, &fr, "", -1, -1);
	if (rc < 0)
		return rc;
	F->first = malloc(((size_t)F->nnodes + 1) * sizeof(int));
	F->stamp = malloc(((size_t)F->nedges + 1) * sizeof(int));
	if (!F->first || !F->stamp)
		abort();
	for (int n = 0; n < F->nnodes; n++)
		F->first[n] = -1;
	for (int x = F->nedges - 1; x >= 0; x--) { /* per-node lists in edge order */
		F->edges[x].next = F->first[F->edges[x].from];
		F->first[F->edges[x].from] = x;
		F->stamp[x] = -1;
	}
	for (int x = 0; x < F->nedges; x++)
		if (F->node_decl[F->edges[x].from] >= 0)
			follow(F, &F->edges[x], F->edges[x].to, F->edges[x].tport, x, x);
	if (F->nfconns)
		qsort(F->fconns, (size_t)F->nfconns, sizeof(*F->fconns), fconn_cmp);
	struct lang_map seen = {0};
	for (int i = 0; i < F->nfconns; i++) {
		const struct lang_conn *c = &F->fconns[i].c;
		char key[64];
		snprintf(key, sizeof(key), "%d %d %d %d", c->from, c->from_port, c->to, c->to_port);
		if (lang_map_get(&seen, key) >= 0)
			continue; /* the same connection twice is one connection */
		lang_map_put(&seen, key, 0);
		*LANG_PUSH(F->g->conns, F->g->nconns, F->conns_cap) = *c;
	}
	lang_map_free(&seen);
	/* names from different scopes can still collide ("a/b" vs compound a) */
	struct lang_map names = {0};
	for (int d = 0; d < F->g->ndecls && rc >= 0; d++) {
		const struct lang_decl *dd = &F->g->decls[d];
		if (lang_map_get(&names, dd->name) >= 0)
			rc = rt_errf(F->err, &dd->loc, -EINVAL, "redeclaration of element '%s'", dd->name);
		lang_map_put(&names, dd->name, d);
	}
	lang_map_free(&names);
	return rc;
}

/* ---- interface ----------------------------------------------------------- */

int lang_parse(const char *text, const char *filename, const char *const *defines, lang_is_class_fn is_class,
	       void *ctx, struct lang_graph *out, struct rt_err *err)
{
	struct lang_parser P = {.is_class = is_class, .ctx = ctx, .err = err, .out = out};
	memset(out, 0, sizeof(*out));
	lang_lex_init(&P.lx, text ? text : "", filename, err);
	struct lang_body *top = P.cur = body_new(NULL, false);
	int rc = parse_stmts(&P, false);
	for (int i = 0; rc >= 0 && defines && defines[i]; i++) {
		const char *d = defines[i], *eq = strchr(d, '=');
		d += *d == '$';
		if (!eq || eq == d)
			rc = rt_errf(err, NULL, -EINVAL, "bad definition '%s' (want NAME=VALUE)", defines[i]);
		else
			lang_env_set(&P.defs, d, (size_t)(eq - d), eq + 1, strlen(eq + 1));
	}
	if (rc >= 0) {
		struct lang_flat F = {.g = out, .err = err};
		rc = flatten(&F, top, &P.defs);
		free(F.node_decl);
		free(F.first);
		free(F.edges);
		free(F.stamp);
		free(F.fconns);
	}
	body_free(top);
	lang_env_free(&P.defs);
	if (rc < 0)
		lang_graph_free(out);
	return rc < 0 ? rc : 0;
}
