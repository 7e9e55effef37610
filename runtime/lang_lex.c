/*
 * lang_lex.c - lexer and string helpers for the Click configuration
 * language: tokens, configuration strings, variable substitution, argument
 * splitting and compound-argument binding, a small string map, file-name
 * interning, and freeing and printing the flat graph.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lang_int.h"

static void *lang_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort(); /* control plane: out of memory is fatal */
	return p;
}

char *lang_strndup(const char *s, size_t n)
{
	char *d = lang_xrealloc(NULL, n + 1);
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

char *lang_trimdup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return lang_strndup(s, n);
}

void *lang_grow(void *p, int *cap, int n, size_t sz)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 8;
	p = realloc(p, (size_t)*cap * sz);
	if (!p)
		abort(); /* control plane: out of memory is fatal */
	return p;
}

char *lang_cat(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	char *s = malloc(n + m + 1);
	if (!s)
		abort();
	memcpy(s, a, n);
	memcpy(s + n, b, m + 1);
	return s;
}

char *lang_strdup(const char *s) { return lang_strndup(s, strlen(s)); }

/* ---- interning -------------------------------------------------------- */

struct lang_istr {
	struct lang_istr *next;
	char s[];
};
static struct lang_istr *lang_interned;

const char *lang_intern(const char *s)
{
	if (!s)
		return NULL;
	for (struct lang_istr *i = lang_interned; i; i = i->next)
		if (!strcmp(i->s, s))
			return i->s;
	size_t n = strlen(s);
	struct lang_istr *i = lang_xrealloc(NULL, sizeof(*i) + n + 1);
	memcpy(i->s, s, n + 1);
	i->next = lang_interned;
	lang_interned = i;
	return i->s;
}

/* ---- lexer ------------------------------------------------------------ */

void lang_lex_init(struct lang_lexer *lx, const char *text, const char *file, struct rt_err *err)
{
	memset(lx, 0, sizeof(*lx));
	lx->p = text;
	lx->end = text + strlen(text);
	lx->loc.file = lang_intern(file ? file : "config");
	lx->loc.line = lx->loc.col = 1;
	lx->err = err;
}

static void lex_adv(struct lang_lexer *lx, size_t n)
{
	for (; n && lx->p < lx->end; n--, lx->p++) {
		if (*lx->p == '\n')
			lx->loc.line++, lx->loc.col = 1;
		else
			lx->loc.col++;
	}
}

static bool lex_at(const struct lang_lexer *lx, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(lx->end - lx->p) >= n && !memcmp(lx->p, s, n);
}

/* Skip a comment starting at lx->p, if any: 1 skipped, 0 none, <0 error. */
static int lex_comment(struct lang_lexer *lx)
{
	if (lex_at(lx, "//")) {
		while (lx->p < lx->end && *lx->p != '\n')
			lex_adv(lx, 1);
		return 1;
	}
	if (!lex_at(lx, "/*"))
		return 0;
	struct rt_loc start = lx->loc;
	lex_adv(lx, 2);
	while (lx->p < lx->end && !lex_at(lx, "*/"))
		lex_adv(lx, 1);
	if (lx->p >= lx->end)
		return rt_errf(lx->err, &start, -EINVAL, "unterminated comment");
	lex_adv(lx, 2);
	return 1;
}

static bool ident_start(char c) { return isalpha((unsigned char)c) || c == '_' || c == '@'; }
static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '@' || c == '/'; }

static int lex_scan(struct lang_lexer *lx, struct lang_token *t)
{
	for (;;) {
		while (lx->p < lx->end && isspace((unsigned char)*lx->p))
			lex_adv(lx, 1);
		int r = lex_comment(lx);
		if (r < 0)
			return r;
		if (!r)
			break;
	}
	t->loc = lx->loc;
	t->s = lx->p;
	t->len = 1;
	if (lx->p >= lx->end) {
		t->kind = LT_EOF;
		t->len = 0;
		return 0;
	}
	char c = *lx->p;
	const char *q = lx->p;
	if (ident_start(c)) {
		/* a comment start ends an identifier: no name has "//" in it */
		while (q < lx->end && ident_char(*q) &&
		       !(*q == '/' && q + 1 < lx->end && (q[1] == '/' || q[1] == '*')))
			q++;
		t->kind = LT_WORD;
	} else if (isdigit((unsigned char)c)) {
		while (q < lx->end && isdigit((unsigned char)*q))
			q++;
		t->kind = LT_NUM;
	} else if (c == '$') {
		const char *n = q + 1;
		bool brace = n < lx->end && *n == '{';
		n += brace;
		const char *e = n;
		while (e < lx->end && (isalnum((unsigned char)*e) || *e == '_'))
			e++;
		if (e == n || (brace && (e >= lx->end || *e != '}'))) {
			t->kind = LT_OTHER;
			q++;
		} else {
			t->kind = LT_VAR;
			q = e + brace;
			lex_adv(lx, (size_t)(q - lx->p));
			t->s = n;
			t->len = (size_t)(e - n);
			return 0;
		}
	} else if (lex_at(lx, "->")) {
		t->kind = LT_ARROW, q += 2;
	} else if (lex_at(lx, "::")) {
		t->kind = LT_COLON2, q += 2;
	} else {
		static const char singles[] = ";,()[]{}|";
		static const enum lang_tok kinds[] = {LT_SEMI, LT_COMMA, LT_LPAREN, LT_RPAREN, LT_LBRACK,
						      LT_RBRACK, LT_LBRACE, LT_RBRACE, LT_BAR};
		const char *w = strchr(singles, c);
		t->kind = w ? kinds[w - singles] : LT_OTHER;
		q++;
	}
	t->len = (size_t)(q - lx->p);
	lex_adv(lx, t->len);
	return 0;
}

int lang_lex_peek(struct lang_lexer *lx, struct lang_token *t)
{
	if (!lx->has_peek) {
		int r = lex_scan(lx, &lx->peeked);
		if (r < 0)
			return r;
		lx->has_peek = true;
	}
	*t = lx->peeked;
	return 0;
}

int lang_lex_next(struct lang_lexer *lx, struct lang_token *t)
{
	int r = lang_lex_peek(lx, t);
	lx->has_peek = false;
	return r;
}

bool lang_tok_is(const struct lang_token *t, const char *word)
{
	return t->kind == LT_WORD && strlen(word) == t->len && !memcmp(t->s, word, t->len);
}

int lang_syntax_error(struct lang_lexer *lx, const struct lang_token *t)
{
	if (t->kind == LT_EOF)
		return rt_errf(lx->err, &t->loc, -EINVAL, "syntax error at end of file");
	if (t->kind == LT_VAR)
		return rt_errf(lx->err, &t->loc, -EINVAL, "syntax error near '$%.*s'", (int)t->len, t->s);
	return rt_errf(lx->err, &t->loc, -EINVAL, "syntax error near '%.*s'", (int)t->len, t->s);
}

/* Copy a quoted string starting at lx->p into b, verbatim. */
static int lex_quoted(struct lang_lexer *lx, struct rt_buf *b)
{
	struct rt_loc start = lx->loc;
	char q = *lx->p;
	const char *s = lx->p;
	lex_adv(lx, 1);
	while (lx->p < lx->end && *lx->p != q) {
		if (q == '"' && *lx->p == '\\' && lx->p + 1 < lx->end)
			lex_adv(lx, 1);
		lex_adv(lx, 1);
	}
	if (lx->p >= lx->end)
		return rt_errf(lx->err, &start, -EINVAL, "unterminated string");
	lex_adv(lx, 1);
	rt_buf_add(b, s, (size_t)(lx->p - s));
	return 0;
}

int lang_lex_config(struct lang_lexer *lx, const struct rt_loc *open, char **out)
{
	struct rt_buf b;
	rt_buf_init(&b);
	int depth = 1, r = 0;
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (c == '"' || c == '\'') {
			if ((r = lex_quoted(lx, &b)) < 0)
				break;
			continue;
		}
		if ((r = lex_comment(lx)) != 0) {
			if (r < 0)
				break;
			/* a comment separates words, like whitespace */
			if (b.len && !isspace((unsigned char)b.p[b.len - 1]))
				rt_buf_add(&b, " ", 1);
			continue;
		}
		size_t n = 1;
		if (c == '\\' && lx->p + 1 < lx->end)
			n = 2; /* escaped parenthesis or quote: kept, not counted */
		else if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0) {
			lex_adv(lx, 1);
			*out = lang_trimdup(b.p ? b.p : "", b.len);
			rt_buf_free(&b);
			return 0;
		}
		rt_buf_add(&b, lx->p, n);
		lex_adv(lx, n);
	}
	rt_buf_free(&b);
	if (r < 0)
		return r;
	return rt_errf(lx->err, open, -EINVAL, "unterminated configuration string");
}

/* ---- string map ------------------------------------------------------- */

static size_t map_hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static size_t map_slot(const struct lang_map *m, const char *key)
{
	size_t i = map_hash(key) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

int lang_map_get(const struct lang_map *m, const char *key)
{
	if (!m->cap)
		return -1;
	size_t i = map_slot(m, key);
	return m->keys[i] ? m->vals[i] : -1;
}

void lang_map_put(struct lang_map *m, const char *key, int val)
{
	if (2 * (m->n + 1) > m->cap) {
		struct lang_map old = *m;
		m->cap = old.cap ? 2 * old.cap : 16;
		m->keys = calloc(m->cap, sizeof(*m->keys));
		m->vals = calloc(m->cap, sizeof(*m->vals));
		if (!m->keys || !m->vals)
			abort();
		for (size_t i = 0; i < old.cap; i++)
			if (old.keys[i]) {
				size_t j = map_slot(m, old.keys[i]);
				m->keys[j] = old.keys[i];
				m->vals[j] = old.vals[i];
			}
		free(old.keys);
		free(old.vals);
	}
	size_t i = map_slot(m, key);
	if (!m->keys[i]) {
		m->keys[i] = lang_strndup(key, strlen(key));
		m->n++;
	}
	m->vals[i] = val;
}

void lang_map_free(struct lang_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- variables ------------------------------------------------------- */

static int env_find(const struct lang_env *e, const char *name, size_t nlen)
{
	for (int i = 0; i < e->n; i++)
		if (strlen(e->names[i]) == nlen && !memcmp(e->names[i], name, nlen))
			return i;
	return -1;
}

void lang_env_set(struct lang_env *e, const char *name, size_t nlen, const char *val, size_t vlen)
{
	int i = env_find(e, name, nlen);
	if (i >= 0) {
		free(e->values[i]);
		e->values[i] = lang_strndup(val, vlen);
		return;
	}
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 8;
		e->names = lang_xrealloc(e->names, (size_t)e->cap * sizeof(char *));
		e->values = lang_xrealloc(e->values, (size_t)e->cap * sizeof(char *));
	}
	e->names[e->n] = lang_strndup(name, nlen);
	e->values[e->n++] = lang_strndup(val, vlen);
}

const char *lang_env_get(const struct lang_env *e, const char *name, size_t nlen)
{
	for (; e; e = e->parent) {
		int i = env_find(e, name, nlen);
		if (i >= 0)
			return e->values[i];
	}
	return NULL;
}

void lang_env_free(struct lang_env *e)
{
	for (int i = 0; i < e->n; i++)
		free(e->names[i]), free(e->values[i]);
	free(e->names);
	free(e->values);
	memset(e, 0, sizeof(*e));
}

char *lang_subst(const char *s, const struct lang_env *env)
{
	struct rt_buf b;
	rt_buf_init(&b);
	char quote = 0;
	while (*s) {
		const char *start = s;
		if (*s == '\\' && s[1] && quote != '\'') {
			s += 2; /* an escaped `$` is not a variable */
		} else if ((*s == '"' || *s == '\'') && (!quote || quote == *s)) {
			quote = quote ? 0 : *s;
			s++;
		} else if (*s == '$' && quote != '\'') {
			bool brace = s[1] == '{';
			const char *n = s + 1 + brace, *e = n;
			while (isalnum((unsigned char)*e) || *e == '_')
				e++;
			const char *v = NULL;
			if (e > n && (!brace || *e == '}'))
				v = lang_env_get(env, n, (size_t)(e - n));
			if (v) {
				rt_buf_puts(&b, v);
				s = e + brace;
				continue;
			}
			s = e > n ? e : s + 1;
		} else {
			s++;
		}
		rt_buf_add(&b, start, (size_t)(s - start));
	}
	return rt_buf_steal(&b);
}

int lang_split_args(const char *text, char ***argv)
{
	int n = 0, depth = 0;
	char quote = 0;
	*argv = NULL;
	const char *s = text, *arg = text;
	for (;; s++) {
		if (*s && quote) {
			if (*s == '\\' && quote == '"' && s[1])
				s++;
			else if (*s == quote)
				quote = 0;
			continue;
		}
		if (*s == '\\' && s[1]) {
			s++;
			continue;
		}
		if (*s == '"' || *s == '\'')
			quote = *s;
		else if (*s == '(' || *s == '[' || *s == '{')
			depth++;
		else if ((*s == ')' || *s == ']' || *s == '}') && depth)
			depth--;
		else if (!*s || (*s == ',' && !depth)) {
			char *a = lang_trimdup(arg, (size_t)(s - arg));
			/* no args at all, or a trailing comma: nothing to add */
			if (!*a && !*s) {
				free(a);
			} else {
				*argv = lang_xrealloc(*argv, (size_t)(n + 1) * sizeof(char *));
				(*argv)[n++] = a;
			}
			if (!*s)
				break;
			arg = s + 1;
		}
	}
	return n;
}

void lang_free_args(char **argv, int n)
{
	for (int i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
}

/* Keyword formals take the `KEYWORD value` arguments, positional formals
 * the rest in order.  Keyword formals are mandatory, as in Click. */
int lang_bind_args(char *const *formals, char *const *keys, int nformals, const char *args,
		   const struct lang_env *env, struct lang_env *out)
{
	char *s = lang_subst(args, env), **argv;
	int argc = lang_split_args(s, &argv), rc = 0, k = 0;
	bool *used = calloc((size_t)argc + 1, sizeof(bool));
	free(s);
	if (!used)
		abort();
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < nformals && rc >= 0; i++) {
			const char *key = keys[i];
			size_t kl = key ? strlen(key) : 0;
			int j = 0;
			if ((key != NULL) != (pass == 0)) /* keywords first */
				continue;
			if (key) {
				while (j < argc && (used[j] || strncmp(argv[j], key, kl) ||
						    (argv[j][kl] && !isspace((unsigned char)argv[j][kl]))))
					j++;
			} else {
				while (k < argc && used[k])
					k++;
				j = k;
			}
			if (j >= argc) {
				rc = -EINVAL;
				break;
			}
			const char *v = argv[j] + kl;
			v += strspn(v, " \t\r\n");
			lang_env_set(out, formals[i], strlen(formals[i]), v, strlen(v));
			used[j] = true;
		}
	for (int j = 0; j < argc; j++)
		if (!used[j])
			rc = -EINVAL;
	free(used);
	lang_free_args(argv, argc);
	return rc;
}

/* ---- the flat graph ----------------------------------------------------- */

void lang_graph_free(struct lang_graph *g)
{
	for (int i = 0; i < g->ndecls; i++)
		free(g->decls[i].name), free(g->decls[i].cls), free(g->decls[i].config);
	for (int i = 0; i < g->nreqs; i++)
		free(g->reqs[i].what);
	free(g->decls);
	free(g->conns);
	free(g->reqs);
	memset(g, 0, sizeof(*g));
}

void lang_unparse(const struct lang_graph *g, struct rt_buf *out)
{
	rt_buf_puts(out, "// flat configuration\n");
	for (int i = 0; i < g->ndecls; i++) {
		const struct lang_decl *d = &g->decls[i];
		if (d->config && *d->config)
			rt_buf_printf(out, "%s :: %s(%s);\n", d->name, d->cls, d->config);
		else
			rt_buf_printf(out, "%s :: %s;\n", d->name, d->cls);
	}
	for (int i = 0; i < g->nconns; i++) {
		const struct lang_conn *c = &g->conns[i];
		rt_buf_puts(out, g->decls[c->from].name);
		if (c->from_port)
			rt_buf_printf(out, " [%d]", c->from_port);
		rt_buf_puts(out, " -> ");
		if (c->to_port)
			rt_buf_printf(out, "[%d] ", c->to_port);
		rt_buf_printf(out, "%s;\n", g->decls[c->to].name);
	}
}
