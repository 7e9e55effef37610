/*
 * lang.h - the Click configuration language: parse and flatten.
 *
 * lang_parse turns configuration text into a flat graph: every element
 * declared (compound element classes expanded, their inner elements named
 * "outer/inner"), every connection between plain elements, `define`d and
 * command-line variables substituted in configuration strings.  It knows no
 * element class: it asks the caller whether a word names a primitive class.
 *
 * Thread-safety: pure functions; call from the control thread.
 */
#ifndef MB_LANG_H
#define MB_LANG_H

#include "rt_base.h"

struct lang_decl {
	char *name;       /* flattened name ("c", "comp/inner", "Counter@3") */
	char *cls;        /* primitive class name */
	char *config;     /* configuration string with $variables substituted */
	struct rt_loc loc;
	bool anonymous;
};

struct lang_conn {
	int from, from_port;  /* indices into decls */
	int to, to_port;
	struct rt_loc loc;
};

struct lang_req {
	char *what;           /* required package name */
	struct rt_loc loc;
};

struct lang_graph {
	struct lang_decl *decls;
	int ndecls;
	struct lang_conn *conns;
	int nconns;
	struct lang_req *reqs;
	int nreqs;
};

/* Does `name` name a primitive element class? */
typedef bool (*lang_is_class_fn)(const char *name, void *ctx);

/* Parse `text` (from `filename`, used in locations; interned by the parser).
 * `defines` is a NULL-terminated list of "NAME=VALUE" strings that set or
 * override `define($NAME ...)` values.  On error: a negative code, err filled
 * with file:line:col and a Click-like message, *out left empty. */
int lang_parse(const char *text, const char *filename, const char *const *defines,
	       lang_is_class_fn is_class, void *ctx, struct lang_graph *out, struct rt_err *err);
void lang_graph_free(struct lang_graph *g);

/* Write the flat configuration (Click's flatconfig form). */
void lang_unparse(const struct lang_graph *g, struct rt_buf *out);

/* Intern a file name for locations (kept until exit). */
const char *lang_intern(const char *s);

#endif
