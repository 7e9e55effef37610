/*
 * live_edit.c - rewiring a live graph: add, connect, disconnect, remove,
 * reconfigure.  Each is an edit of the running flat configuration applied
 * with the same mechanism as hotconfig (live.c), so every element the edit
 * does not touch keeps running with its state, and a failed edit leaves
 * the graph as it was.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "router_int.h"
#include "tenant/tn.h"

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The running configuration plus `text`; error lines are counted from the
 * start of `text`, in a file named after the operation. */
static int apply_added(struct rt_router *r, const char *text, const char *op, struct rt_buf *warn,
		       struct rt_err *err)
{
	struct rt_buf b;
	rt_buf_init(&b);
	rt_router_flatconfig(r, &b);
	int offset = count_lines(b.p ? b.p : "");
	rt_buf_puts(&b, text);
	rt_buf_puts(&b, "\n");
	int rc = rt_live_apply(r, b.p, op, NULL, NULL, warn, err);
	if (rc < 0 && err->loc.file && err->loc.line > offset)
		err->loc.line -= offset;
	else if (rc < 0)
		err->loc.file = NULL; /* the error is in the running configuration itself */
	rt_buf_free(&b);
	return rc;
}

int rt_ctl_add(struct rt_router *r, const char *text, struct rt_buf *warn, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "add", text, err, rt_ctl_add(r, text, warn, err));
	if (!rt_ident_is_operator(rt_ctl_ident(r))) /* into the tenant's own namespace */
		return tn_load(r, NULL, text, false, "<add>", warn, err);
	return apply_added(r, text, "<add>", warn, err);
}

int rt_ctl_connect(struct rt_router *r, const char *spec, struct rt_buf *warn, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "connect", spec, err, rt_ctl_connect(r, spec, warn, err));
	if (!rt_ident_is_operator(rt_ctl_ident(r)))
		return tn_load(r, NULL, spec, false, "<connect>", warn, err);
	return apply_added(r, spec, "<connect>", warn, err);
}

/* "a [p] -> [q] b" (ports optional) into names and ports. */
static int parse_conn(const char *s, char *a, int *p, char *b, int *q, struct rt_err *err)
{
	const char *arrow = strstr(s, "->");
	char left[256], right[256];
	if (!arrow || (size_t)(arrow - s) >= sizeof(left) || strlen(arrow + 2) >= sizeof(right))
		return rt_errf(err, NULL, -EINVAL, "expected 'a [port] -> [port] b', not '%s'", s);
	snprintf(left, sizeof(left), "%.*s", (int)(arrow - s), s);
	snprintf(right, sizeof(right), "%s", arrow + 2);
	*p = *q = 0;
	char extra[8];
	int n1 = sscanf(left, " %255[^ [\t] [ %d ] %7s", a, p, extra);
	int n2 = sscanf(right, " [ %d ] %255[^ ;\t\n] %7s", q, b, extra);
	if (n2 < 2) {
		*q = 0;
		n2 = sscanf(right, " %255[^ ;\t\n] %7s", b, extra) + 1;
	}
	if (n1 < 1 || n1 > 2 || n2 != 2)
		return rt_errf(err, NULL, -EINVAL, "expected 'a [port] -> [port] b', not '%s'", s);
	return 0;
}

/* A view of the running flat graph without some declarations and
 * connections, unparsed to text.  The view shares the strings. */
static char *flat_without(const struct lang_graph *g, const bool *drop_decl, const bool *drop_conn)
{
	struct lang_graph v = {0};
	int *map = calloc((size_t)g->ndecls + 1, sizeof(int));
	v.decls = calloc((size_t)g->ndecls + 1, sizeof(*v.decls));
	v.conns = calloc((size_t)g->nconns + 1, sizeof(*v.conns));
	for (int i = 0; i < g->ndecls; i++)
		if (!drop_decl[i]) {
			map[i] = v.ndecls;
			v.decls[v.ndecls++] = g->decls[i];
		}
	for (int k = 0; k < g->nconns; k++) {
		const struct lang_conn *c = &g->conns[k];
		if (drop_conn[k] || drop_decl[c->from] || drop_decl[c->to])
			continue;
		v.conns[v.nconns] = *c;
		v.conns[v.nconns].from = map[c->from];
		v.conns[v.nconns].to = map[c->to];
		v.nconns++;
	}
	struct rt_buf b;
	rt_buf_init(&b);
	lang_unparse(&v, &b);
	free(map);
	free(v.decls);
	free(v.conns);
	return rt_buf_steal(&b);
}

static int decl_index(const struct lang_graph *g, const char *name)
{
	for (int i = 0; i < g->ndecls; i++)
		if (!strcmp(g->decls[i].name, name))
			return i;
	return -1;
}

int rt_ctl_disconnect(struct rt_router *r, const char *spec, struct rt_buf *warn, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "disconnect", spec, err, rt_ctl_disconnect(r, spec, warn, err));
	char a[256], b[256], qa[256], qb[256];
	int p, q;
	if (parse_conn(spec, a, &p, b, &q, err) < 0)
		return err->code;
	/* the caller's names (ctl.h, identities) */
	if (rt_ctl_qualify(r, a, qa, sizeof(qa), err) < 0 || rt_ctl_qualify(r, b, qb, sizeof(qb), err) < 0)
		return err->code;
	strcpy(a, qa);
	strcpy(b, qb);
	const struct lang_graph *g = &r->flat;
	int ia = decl_index(g, a), ib = decl_index(g, b);
	if (ia < 0 || ib < 0)
		return rt_errf(err, NULL, -ENOENT, "no element '%s'", ia < 0 ? a : b);
	bool *dd = calloc((size_t)g->ndecls + 1, sizeof(bool)), *dc = calloc((size_t)g->nconns + 1, sizeof(bool));
	bool found = false;
	for (int k = 0; k < g->nconns; k++)
		if (g->conns[k].from == ia && g->conns[k].from_port == p && g->conns[k].to == ib && g->conns[k].to_port == q)
			dc[k] = found = true;
	int rc;
	if (!found) {
		rc = rt_errf(err, NULL, -ENOENT, "no connection '%s [%d] -> [%d] %s'", a, p, q, b);
	} else {
		char *text = flat_without(g, dd, dc);
		rc = rt_live_apply(r, text, "<disconnect>", NULL, NULL, warn, err);
		free(text);
	}
	free(dd);
	free(dc);
	return rc;
}

int rt_ctl_remove(struct rt_router *r, const char *name, const char *into, struct rt_buf *warn, struct rt_err *err)
{
	RT_CTL_ENTRY(r, "remove", name, err, rt_ctl_remove(r, name, into, warn, err));
	char qi[256];
	if (into && rt_ctl_qualify(r, into, qi, sizeof(qi), err) < 0)
		return err->code;
	into = into ? qi : NULL;
	const struct lang_graph *g = &r->flat;
	int i = decl_index(g, name);
	if (i < 0)
		return rt_errf(err, NULL, -ENOENT, "no element '%s'", name);
	struct el *to = NULL;
	if (into) {
		struct el *from = rt_router_find(r, name);
		if (!(to = rt_router_find(r, into)))
			return rt_errf(err, NULL, -ENOENT, "no element '%s'", into);
		if (to == from)
			return rt_errf(err, NULL, -EINVAL, "cannot remove '%s' into itself", name);
		if (to->cls != from->cls || !to->cls->take_state)
			return rt_errf(err, NULL, -EINVAL, "'%s' (%s) cannot take the state of '%s' (%s)", into,
				       to->cls->name, name, from->cls->name);
	}
	bool *dd = calloc((size_t)g->ndecls + 1, sizeof(bool)), *dc = calloc((size_t)g->nconns + 1, sizeof(bool));
	dd[i] = true;
	char *text = flat_without(g, dd, dc);
	int rc = rt_live_apply(r, text, "<remove>", into ? name : NULL, to, warn, err);
	free(text);
	free(dd);
	free(dc);
	return rc;
}

int rt_ctl_reconfigure(struct rt_router *r, const char *name, const char *args, struct rt_buf *warn,
		       struct rt_err *err)
{
	RT_CTL_ENTRY(r, "reconfigure", name, err, rt_ctl_reconfigure(r, name, args, warn, err));
	struct el *e = rt_router_find(r, name);
	if (!e)
		return rt_errf(err, NULL, -ENOENT, "no element '%s'", name);
	if (e->cls->reconfigure) { /* in place, when the class can */
		char **argv;
		int argc = el_argv_split(args, &argv);
		int rc = e->cls->reconfigure(e, argc, argv, err);
		el_argv_free(argc, argv);
		if (rc == 0) {
			free(e->config);
			e->config = strdup(args);
			rt_live_set_flat(r, e->name, e->cls->name, e->config);
			return 0;
		}
		if (rc != -EAGAIN)
			return rc;
		rt_err_clear(err);
	}
	struct rt_buf spec;
	rt_buf_init(&spec);
	rt_buf_printf(&spec, "%s(%s)", e->cls->name, args);
	int rc = rt_ctl_swap(r, name, spec.p, warn, err);
	rt_buf_free(&spec);
	return rc;
}
