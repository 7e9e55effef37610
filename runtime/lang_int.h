/*
 * lang_int.h - internals shared by the Click-language lexer (lang_lex.c)
 * and the parser/flattener (lang.c).  Not part of the runtime's interface.
 */
#ifndef MB_LANG_INT_H
#define MB_LANG_INT_H

#include "lang.h"

enum lang_tok {
	LT_EOF, LT_WORD, LT_VAR, LT_NUM, LT_ARROW, LT_COLON2, LT_SEMI, LT_COMMA,
	LT_LPAREN, LT_RPAREN, LT_LBRACK, LT_RBRACK, LT_LBRACE, LT_RBRACE, LT_BAR, LT_OTHER
};

/* A token points into the source text; for LT_VAR, s/len is the name
 * without `$` or braces. */
struct lang_token {
	enum lang_tok kind;
	const char *s;
	size_t len;
	struct rt_loc loc;
};

/* The lexer state is a plain value so the parser can save and restore it
 * to try an optional production (compound formals). */
struct lang_lexer {
	const char *p, *end;
	struct rt_loc loc; /* location of *p */
	struct lang_token peeked;
	bool has_peek;
	struct rt_err *err;
};

void lang_lex_init(struct lang_lexer *lx, const char *text, const char *file, struct rt_err *err);
/* Both return 0 or a negative code (err filled) on a lexical error. */
int lang_lex_next(struct lang_lexer *lx, struct lang_token *t);
int lang_lex_peek(struct lang_lexer *lx, struct lang_token *t);
/* Read a configuration string just after a consumed `(` (no token may be
 * peeked); `open` is the parenthesis, used for the unterminated error.
 * *out is malloc'd: comments removed, trimmed. */
int lang_lex_config(struct lang_lexer *lx, const struct rt_loc *open, char **out);
bool lang_tok_is(const struct lang_token *t, const char *word);
int lang_syntax_error(struct lang_lexer *lx, const struct lang_token *t);

/* String -> int map (open addressing; keys copied). */
struct lang_map {
	char **keys;
	int *vals;
	size_t cap, n;
};
int lang_map_get(const struct lang_map *m, const char *key); /* -1 when absent */
void lang_map_put(struct lang_map *m, const char *key, int val);
void lang_map_free(struct lang_map *m);

/* Variables: compound formals or define()s; lookups walk to the parent. */
struct lang_env {
	const struct lang_env *parent;
	char **names, **values;
	int n, cap;
};
void lang_env_set(struct lang_env *e, const char *name, size_t nlen, const char *val, size_t vlen);
const char *lang_env_get(const struct lang_env *e, const char *name, size_t nlen);
void lang_env_free(struct lang_env *e);
/* Substitute $X and ${X} outside single quotes; unknown ones stay as is. */
char *lang_subst(const char *text, const struct lang_env *env);
/* Split at top-level commas, trimming each; an empty string has no args. */
int lang_split_args(const char *text, char ***argv);
void lang_free_args(char **argv, int n);

/* Bind a compound's formals (keys[i] NULL: positional) from its
 * configuration string, substituted in env first.  -EINVAL on a mismatch. */
int lang_bind_args(char *const *formals, char *const *keys, int nformals, const char *args,
		   const struct lang_env *env, struct lang_env *out);

/* Grow an array to hold element n; out of memory aborts (control plane). */
void *lang_grow(void *p, int *cap, int n, size_t sz);
#define LANG_PUSH(arr, n, cap) ((arr) = lang_grow((arr), &(cap), (n), sizeof(*(arr))), &(arr)[(n)++])

char *lang_strndup(const char *s, size_t n);
char *lang_strdup(const char *s);
char *lang_cat(const char *a, const char *b);
/* Trimmed copy of s[0..n). */
char *lang_trimdup(const char *s, size_t n);

#endif
