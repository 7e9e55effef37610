/*
 * cmds.c - the shell's core commands (one table: name, synopsis, help,
 * handler), the registry of the tables other files declare (sh_cmd.h),
 * the dispatcher (sh_exec) and completion (sh_complete).  Each
 * handler parses its words, makes one control-API call (ctl.h, or the Lua
 * face lmb.h) and formats the result; nothing here changes the router by
 * itself, so a failed command leaves the graph as it was (the control API
 * guarantees it).  Bounded: each command's work is one control call plus a
 * pass over the elements.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctlsock.h"
#include "lua/lmb.h"
#include "shell/sh_int.h"
#include "tenant/tn.h"

/* ---- small helpers ------------------------------------------------------ */

char *sh_trim(char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	size_t n = strlen(p);
	while (n && isspace((unsigned char)p[n - 1]))
		p[--n] = 0;
	return p;
}

/* Split off the first word of *p (NUL-terminating it); NULL when none. */
char *sh_word(char **p)
{
	char *w = *p;
	while (isspace((unsigned char)*w))
		w++;
	if (!*w)
		return NULL;
	char *e = w;
	while (*e && !isspace((unsigned char)*e))
		e++;
	if (*e)
		*e++ = 0;
	*p = e;
	return w;
}

void sh_put_value(struct rt_buf *out, const struct rt_buf *v)
{
	if (!v->len)
		return;
	rt_buf_add(out, v->p, v->len);
	if (v->p[v->len - 1] != '\n')
		rt_buf_puts(out, "\n");
}

void sh_put_json_str(struct rt_buf *out, const char *s)
{
	rt_buf_puts(out, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			rt_buf_printf(out, "\\%c", c);
		else if (c == '\n')
			rt_buf_puts(out, "\\n");
		else if (c == '\t')
			rt_buf_puts(out, "\\t");
		else if (c < 0x20)
			rt_buf_printf(out, "\\u%04x", c);
		else
			rt_buf_add(out, s, 1);
	}
	rt_buf_puts(out, "\"");
}

/* A handler value without its trailing newline (static-free: in place). */
static const char *chomp(struct rt_buf *v)
{
	if (!v->p)
		return "";
	while (v->len && v->p[v->len - 1] == '\n')
		v->p[--v->len] = 0;
	return v->p;
}

/* Warnings of a live change, one "warning: " line each. */
static void put_warnings(struct rt_buf *out, const struct rt_buf *w)
{
	const char *p = w->p ? w->p : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n)
			rt_buf_printf(out, "warning: %.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

int sh_need(const char *what, const char *v, struct rt_err *err)
{
	if (v && *v)
		return 0;
	return rt_errf(err, NULL, -EINVAL, "missing %s", what);
}

static char *slurp(const char *path, struct rt_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		rt_errf(err, NULL, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct rt_buf b;
	rt_buf_init(&b);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		rt_buf_add(&b, tmp, n);
	fclose(f);
	if (!b.p)
		rt_buf_puts(&b, "");
	return rt_buf_steal(&b);
}

void sh_set_ident(struct sh *s, struct rt_ident id) { s->id = id; }

/* Commands that touch the server's files or the whole router: not for a
 * tenant (the control API refuses the rest by itself). */
static bool operator_cmd(const struct sh_cmd *c)
{
	static const char *const names[] = {"save", "stop", "hotconfig", "run", NULL};
	for (int i = 0; names[i]; i++)
		if (!strcmp(c->name, names[i]))
			return true;
	return false;
}

void sh_name_widths(struct rt_router *r, int *wn, int *wc)
{
	*wn = 4, *wc = 5;
	for (int i = 0; i < rt_router_nelements(r); i++) {
		struct el *e = rt_router_element(r, i);
		if (!rt_ctl_visible(r, e))
			continue;
		*wn = (int)strlen(rt_ctl_name(r, e)) > *wn ? (int)strlen(rt_ctl_name(r, e)) : *wn;
		*wc = (int)strlen(e->cls->name) > *wc ? (int)strlen(e->cls->name) : *wc;
	}
}

/* ---- commands ----------------------------------------------------------- */

static int cmd_help(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err);

static int cmd_config(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	struct rt_buf v;
	rt_buf_init(&v);
	int rc = rt_ctl_read(s->r, "config", &v, err);
	if (rc == 0)
		sh_put_value(out, &v);
	rt_buf_free(&v);
	return rc;
}

static int cmd_save(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	const char *file = a->rest;
	if (sh_need("FILE", file, err) < 0)
		return err->code;
	struct rt_buf v;
	rt_buf_init(&v);
	int rc = rt_ctl_read(s->r, "config", &v, err);
	FILE *f = rc == 0 ? fopen(file, "w") : NULL;
	if (rc == 0 && !f)
		rc = rt_errf(err, NULL, -errno, "%s: %s", file, strerror(errno));
	if (f) {
		struct rt_buf line;
		rt_buf_init(&line);
		sh_put_value(&line, &v);
		if (fwrite(line.p ? line.p : "", 1, line.len, f) != line.len || fclose(f) != 0)
			rc = rt_errf(err, NULL, -EIO, "%s: write failed", file);
		else
			rt_buf_printf(out, "saved %s\n", file);
		rt_buf_free(&line);
	}
	rt_buf_free(&v);
	return rc;
}

static int cmd_show_elements(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	int n = rt_router_nelements(s->r);
	int wn = 4, wc = 5;
	for (int i = 0; i < n; i++) {
		struct el *e = rt_router_element(s->r, i);
		if (!rt_ctl_visible(s->r, e))
			continue;
		wn = (int)strlen(rt_ctl_name(s->r, e)) > wn ? (int)strlen(rt_ctl_name(s->r, e)) : wn;
		wc = (int)strlen(e->cls->name) > wc ? (int)strlen(e->cls->name) : wc;
	}
	if (a->json)
		rt_buf_puts(out, "[");
	else
		rt_buf_printf(out, "%-*s  %-*s  PORTS\n", wn, "NAME", wc, "CLASS");
	for (int i = 0, k = 0; i < n; i++) {
		struct el *e = rt_router_element(s->r, i);
		if (!rt_ctl_visible(s->r, e))
			continue;
		if (a->json) {
			rt_buf_puts(out, k++ ? ",{\"name\":" : "{\"name\":");
			sh_put_json_str(out, rt_ctl_name(s->r, e));
			rt_buf_puts(out, ",\"class\":");
			sh_put_json_str(out, e->cls->name);
			rt_buf_printf(out, ",\"inputs\":%d,\"outputs\":%d}", e->nin, e->nout);
		} else {
			rt_buf_printf(out, "%-*s  %-*s  %d/%d\n", wn, rt_ctl_name(s->r, e), wc, e->cls->name, e->nin, e->nout);
		}
	}
	if (a->json)
		rt_buf_puts(out, "]\n");
	return 0;
}

static int cmd_show_handlers(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	char *name = sh_word(&a->rest);
	if (sh_need("NAME", name, err) < 0)
		return err->code;
	char h[300];
	snprintf(h, sizeof(h), "%s.handlers", name);
	struct rt_buf v;
	rt_buf_init(&v);
	int rc = rt_ctl_read(s->r, h, &v, err);
	if (rc == 0 && a->json) {
		/* "name<TAB>modes" lines -> [{"name": .., "modes": ..}, ...] */
		rt_buf_puts(out, "[");
		int k = 0;
		for (char *line = v.p, *nl; line && *line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = 0;
			char *tab = strchr(line, '\t');
			if (tab)
				*tab++ = 0;
			rt_buf_puts(out, k++ ? ", {\"name\": " : "{\"name\": ");
			sh_put_json_str(out, line);
			rt_buf_puts(out, ", \"modes\": ");
			sh_put_json_str(out, tab ? tab : "");
			rt_buf_puts(out, "}");
		}
		rt_buf_puts(out, "]\n");
	} else if (rc == 0) {
		sh_put_value(out, &v);
	}
	rt_buf_free(&v);
	return rc;
}

static int cmd_show_graph(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	bool dot = strstr(a->rest, "--dot") != NULL;
	int n = rt_router_nelements(s->r), nconn = 0;
	if (a->json && !dot)
		rt_buf_puts(out, "[");
	if (dot) {
		rt_buf_puts(out, "digraph mboxsh {\n");
		for (int i = 0; i < n; i++) {
			struct el *e = rt_router_element(s->r, i);
			if (rt_ctl_visible(s->r, e))
				rt_buf_printf(out, "  \"%s\" [label=\"%s\\n%s\"];\n", rt_ctl_name(s->r, e),
					      rt_ctl_name(s->r, e), e->cls->name);
		}
	}
	for (int i = 0; i < n; i++) {
		struct el *e = rt_router_element(s->r, i);
		for (int p = 0; p < e->nout && rt_ctl_visible(s->r, e); p++) {
			int q = 0;
			struct el *t = el_output_peer(e, p, &q);
			if (!t || !rt_ctl_visible(s->r, t)) /* the edge into a tenant is the operator's */
				continue;
			const char *en = rt_ctl_name(s->r, e), *tn = rt_ctl_name(s->r, t);
			if (dot) {
				rt_buf_printf(out, "  \"%s\" -> \"%s\" [taillabel=\"%d\", headlabel=\"%d\"];\n", en, tn,
					      p, q);
			} else if (a->json) {
				rt_buf_puts(out, nconn++ ? ", {\"from\": " : "{\"from\": ");
				sh_put_json_str(out, en);
				rt_buf_printf(out, ", \"out\": %d, \"to\": ", p);
				sh_put_json_str(out, tn);
				rt_buf_printf(out, ", \"in\": %d}", q);
			} else {
				rt_buf_printf(out, "%s [%d] -> [%d] %s\n", en, p, q, tn);
			}
		}
	}
	if (dot)
		rt_buf_puts(out, "}\n");
	else if (a->json)
		rt_buf_puts(out, "]\n");
	return 0;
}

static int cmd_read(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	char *h = sh_word(&a->rest);
	if (sh_need("NAME.HANDLER", h, err) < 0)
		return err->code;
	char *param = sh_trim(a->rest);
	struct rt_buf v;
	rt_buf_init(&v);
	int rc = rt_ctl_read_param(s->r, h, *param ? param : NULL, &v, err);
	if (rc == 0 && a->json) {
		rt_buf_puts(out, "{\"handler\":");
		sh_put_json_str(out, h);
		rt_buf_puts(out, ",\"value\":");
		sh_put_json_str(out, chomp(&v));
		rt_buf_puts(out, "}\n");
	} else if (rc == 0) {
		sh_put_value(out, &v);
	}
	rt_buf_free(&v);
	return rc;
}

static int cmd_write(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	char *h = sh_word(&a->rest);
	if (sh_need("NAME.HANDLER", h, err) < 0)
		return err->code;
	return rt_ctl_write(s->r, h, sh_trim(a->rest), err);
}

/* The live changes: NAME then the rest, or the whole text. */
static int live_change(struct sh *s, const char *cmd, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	struct rt_buf warn;
	rt_buf_init(&warn);
	int rc;
	if (!strcmp(cmd, "swap") || !strcmp(cmd, "reconfigure")) {
		char *name = sh_word(&a->rest);
		char *spec = sh_trim(a->rest);
		if (sh_need("NAME", name, err) < 0 || sh_need(cmd[0] == 's' ? "Class(args)" : "ARGS", spec, err) < 0)
			rc = err->code;
		else if (cmd[0] == 's')
			rc = rt_ctl_swap(s->r, name, spec, &warn, err);
		else
			rc = rt_ctl_reconfigure(s->r, name, spec, &warn, err);
	} else if (!strcmp(cmd, "remove")) {
		char *name = sh_word(&a->rest), *kw = sh_word(&a->rest), *into = sh_word(&a->rest);
		if (sh_need("NAME", name, err) < 0)
			rc = err->code;
		else if ((kw && (strcmp(kw, "into") || !into)) || sh_word(&a->rest))
			rc = rt_errf(err, NULL, -EINVAL, "usage: remove NAME [into OTHER]");
		else
			rc = rt_ctl_remove(s->r, name, into, &warn, err);
	} else if (!strcmp(cmd, "hotconfig")) {
		char *file = sh_trim(a->rest), *text = NULL;
		if (sh_need("FILE", file, err) < 0 || !(text = slurp(file, err)))
			rc = err->code;
		else
			rc = rt_ctl_hotconfig(s->r, text, file, &warn, err);
		free(text);
	} else {
		char *text = sh_trim(a->rest);
		if (sh_need(cmd[0] == 'a' ? "STATEMENTS" : "SPEC", text, err) < 0)
			rc = err->code;
		else if (cmd[0] == 'a')
			rc = rt_ctl_add(s->r, text, &warn, err);
		else if (!strcmp(cmd, "connect"))
			rc = rt_ctl_connect(s->r, text, &warn, err);
		else
			rc = rt_ctl_disconnect(s->r, text, &warn, err);
	}
	if (warn.p) { /* names as the caller knows them */
		rt_ctl_unqualify(s->r, warn.p);
		warn.len = strlen(warn.p);
	}
	put_warnings(out, &warn);
	rt_buf_free(&warn);
	return rc;
}

#define LIVE(fn, cmd) \
	static int fn(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err) \
	{ return live_change(s, cmd, a, out, err); }
LIVE(cmd_swap, "swap")
LIVE(cmd_reconfigure, "reconfigure")
LIVE(cmd_hotconfig, "hotconfig")
LIVE(cmd_add, "add")
LIVE(cmd_connect, "connect")
LIVE(cmd_disconnect, "disconnect")
LIVE(cmd_remove, "remove")

static int cmd_stats(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	char *w = sh_word(&a->rest);
	if (w && !strcmp(w, "tenants")) /* usage and drops per tenant (tenant/tn.h) */
		return tn_usage_put(s->r, a->json, false, out, err) < 0 ? err->code : 0;
	if (w)
		return rt_errf(err, NULL, -EINVAL, "usage: stats [tenants] [--json]");
	struct rt_ctl_stat *v;
	int n = rt_ctl_stats(s->r, &v, err), wn = 4, wc = 5;
	if (n < 0)
		return n;
	/* columns as wide as in `show elements`, so the two tables line up */
	for (int i = 0; i < rt_router_nelements(s->r); i++) {
		struct el *e = rt_router_element(s->r, i);
		if (!rt_ctl_visible(s->r, e))
			continue;
		wn = (int)strlen(rt_ctl_name(s->r, e)) > wn ? (int)strlen(rt_ctl_name(s->r, e)) : wn;
		wc = (int)strlen(e->cls->name) > wc ? (int)strlen(e->cls->name) : wc;
	}
	if (a->json)
		rt_buf_puts(out, "[");
	else
		rt_buf_printf(out, "%-*s  %-*s  %14s\n", wn, "NAME", wc, "CLASS", "COUNT");
	for (int i = 0; i < n; i++) {
		if (a->json) {
			rt_buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
			sh_put_json_str(out, v[i].name);
			rt_buf_puts(out, ",\"class\":");
			sh_put_json_str(out, v[i].cls);
			rt_buf_printf(out, ",\"count\":%llu}", (unsigned long long)v[i].count);
		} else {
			rt_buf_printf(out, "%-*s  %-*s  %14llu\n", wn, v[i].name, wc, v[i].cls,
				      (unsigned long long)v[i].count);
		}
	}
	if (a->json)
		rt_buf_puts(out, "]\n");
	free(v);
	if (!a->json) { /* then the tenants the caller sees, if any */
		struct rt_buf t;
		rt_buf_init(&t);
		int k = tn_usage_put(s->r, false, true, &t, err);
		if (k > 0)
			rt_buf_printf(out, "\n%s", t.p);
		rt_buf_free(&t);
		if (k < 0)
			return err->code;
	}
	return 0;
}

static int cmd_threads(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	if (!a->json)
		return rt_ctl_read(s->r, "threads", out, err);
	/* "worker W cpu C tasks T ..." lines (key value pairs, numbers) ->
	 * [{"worker": W, "cpu": C, ...}, ...] */
	struct rt_buf v;
	rt_buf_init(&v);
	int rc = rt_ctl_read(s->r, "threads", &v, err);
	if (rc == 0) {
		rt_buf_puts(out, "[");
		int k = 0;
		for (char *line = v.p, *nl; line && *line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = 0;
			rt_buf_puts(out, k++ ? ", {" : "{");
			int f = 0;
			for (char *key = sh_word(&line), *val = sh_word(&line); key && val;
			     key = sh_word(&line), val = sh_word(&line)) {
				rt_buf_puts(out, f++ ? ", " : "");
				sh_put_json_str(out, key);
				rt_buf_printf(out, ": %lld", strtoll(val, NULL, 10));
			}
			rt_buf_puts(out, "}");
		}
		rt_buf_puts(out, "]\n");
	}
	rt_buf_free(&v);
	return rc;
}

static int cmd_stop(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	rt_router_stop(s->r);
	return 0;
}

static int cmd_quit(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	return SH_QUIT;
}

static const struct sh_cmd sh_cmds[] = {
	{"help", "[CMD|Class]", "list the commands, or describe one command or element class", cmd_help},
	{"config", "", "print the running configuration (loadable with hotconfig)", cmd_config},
	{"save", "FILE", "write the running configuration to FILE", cmd_save},
	{"show elements", "[--json]", "the elements: name, class, inputs/outputs", cmd_show_elements, SH_JSON},
	{"show handlers", "NAME [--json]", "the handlers of element NAME with their modes", cmd_show_handlers, SH_JSON},
	{"show graph", "[--dot|--json]", "the connections, one a line (or Graphviz dot, or JSON)", cmd_show_graph, SH_JSON},
	{"read", "NAME.HANDLER [PARAM] [--json]", "read a handler", cmd_read, SH_JSON},
	{"write", "NAME.HANDLER [VALUE]", "write a handler", cmd_write},
	{"swap", "NAME Class(args)", "replace element NAME live, keeping its state when it can", cmd_swap},
	{"reconfigure", "NAME ARGS", "give element NAME new arguments, state kept", cmd_reconfigure},
	{"load", "FILE", "load a Click configuration file: it becomes the running graph (elements that did not change keep running, with their state)", cmd_hotconfig},
	{"hotconfig", "FILE", "replace the whole configuration; unchanged elements keep running", cmd_hotconfig},
	{"add", "STATEMENTS", "add elements and connections (Click statements)", cmd_add},
	{"connect", "SPEC", "add a connection \"a [p] -> [q] b\"", cmd_connect},
	{"disconnect", "SPEC", "remove a connection \"a [p] -> [q] b\"", cmd_disconnect},
	{"remove", "NAME [into OTHER]", "remove an element (OTHER takes its state)", cmd_remove},
	{"stats", "[tenants] [--json]",
	 "the count of every element that has one, then each tenant's usage and drops; tenants: only those",
	 cmd_stats, SH_JSON},
	{"threads", "[--json]", "the workers: core (hwloc), tasks, rounds, busy rounds, packets", cmd_threads, SH_JSON},
	{"stop", "", "stop the router (ends the session)", cmd_stop},
	{"quit", "", "leave the shell (stops the router; with --connect, only the client)", cmd_quit, SH_LOCAL},
	{"exit", "", "same as quit", cmd_quit, SH_LOCAL},
	SH_CMDS_END,
};

/* ---- the registry ---------------------------------------------------------- */

/* The core table first, then the others in registration order. */
static struct sh_cmds core_reg = {sh_cmds, NULL};
static struct sh_cmds *registry = &core_reg;

void sh_cmds_register(struct sh_cmds *t)
{
	struct sh_cmds **pp = &registry;
	while (*pp)
		pp = &(*pp)->next;
	t->next = NULL;
	*pp = t;
}

#define FOR_EACH_CMD(t, c) \
	for (const struct sh_cmds *t = registry; t; t = t->next) \
		for (const struct sh_cmd *c = t->v; c->name; c++)

static int cmd_help(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	char *what = sh_trim(a->rest);
	if (!*what) {
		int w = 0;
		FOR_EACH_CMD(t, c) {
			int n = (int)(strlen(c->name) + 1 + strlen(c->args));
			w = n > w ? n : w;
		}
		FOR_EACH_CMD(t, c) {
			char syn[128];
			snprintf(syn, sizeof(syn), "%s%s%s", c->name, *c->args ? " " : "", c->args);
			rt_buf_printf(out, "  %-*s  %s\n", w, syn, c->help);
		}
		rt_buf_puts(out, "help Class describes an element class.  A line that is Lua (print(x),\n"
				 "x = 1, for ... do) runs as Lua; an unfinished one continues on the next line.\n");
		return 0;
	}
	bool found = false;
	FOR_EACH_CMD(t, c) {
		size_t n = strlen(what);
		if (!strcmp(c->name, what) || (!strncmp(c->name, what, n) && c->name[n] == ' ')) {
			rt_buf_printf(out, "%s%s%s\n  %s\n", c->name, *c->args ? " " : "", c->args, c->help);
			found = true;
		}
	}
	if (found)
		return 0;
	const struct el_class *cls = el_class_find(what);
	if (!cls)
		return rt_errf(err, NULL, -ENOENT, "no command or element class '%s'", what);
	struct rt_buf d;
	rt_buf_init(&d);
	el_class_doc(cls, &d);
	sh_put_value(out, &d);
	rt_buf_free(&d);
	return 0;
}

/* ---- dispatch ----------------------------------------------------------- */

static const struct sh_cmd *find_cmd(const char *name, size_t n)
{
	FOR_EACH_CMD(t, c)
		if (strlen(c->name) == n && !strncmp(c->name, name, n))
			return c;
	return NULL;
}

/* The command at the start of *rest (one word, or two for "show ..."; a
 * leading '=' is the Lua evaluation); *rest is moved past it. */
const struct sh_cmd *sh_lookup(char **rest)
{
	char *p = *rest;
	if (*p == '=') {
		*rest = p + 1;
		return find_cmd("=", 1);
	}
	size_t n1 = strcspn(p, " \t\n");
	const struct sh_cmd *c = find_cmd(p, n1);
	if (c) {
		*rest = p + n1;
		return c;
	}
	char *q = p + n1 + strspn(p + n1, " \t");
	size_t n2 = strcspn(q, " \t\n");
	char two[128];
	snprintf(two, sizeof(two), "%.*s %.*s", (int)n1, p, (int)n2, q);
	if (n2 && (c = find_cmd(two, strlen(two))))
		*rest = q + n2;
	return c;
}

int sh_exec(struct sh *s, const char *line, struct rt_buf *out)
{
	char *copy = strdup(line ? line : ""), *p = sh_trim(copy);
	if (!*p || *p == '#') {
		free(copy);
		return 0;
	}
	struct rt_err err;
	rt_err_clear(&err);
	char first[64];
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(p, " \t\n"), p);
	char *rest = p;
	const struct sh_cmd *c = sh_lookup(&rest);
	int rc;
	if (s->remote && !(c && (c->flags & SH_LOCAL))) {
		rc = s->remote->exec(s->remote_arg, p, out);
		free(copy);
		return rc;
	}
	/* everything below acts for the shell's identity (or the narrower one
	 * of the socket client it runs for) */
	struct rt_ident was = s->r ? rt_ctl_enter(s->r, s->id) : RT_IDENT_OPERATOR; /* no router: a remote's quit */
	if (c && s->r && operator_cmd(c) && !rt_ident_is_operator(rt_ctl_ident(s->r))) {
		rc = rt_errf(&err, NULL, -EPERM, "%s: permission denied (operator only)", c->name);
	} else if (!c && sh_looks_like_lua(p)) {
		rc = sh_lua_run(s, p, out, &err);
	} else if (!c) {
		rc = !strcmp(first, "show") ? rt_errf(&err, NULL, -EINVAL, "usage: show elements|handlers NAME|graph")
					    : rt_errf(&err, NULL, -EINVAL, "unknown command '%s' (try help)", first);
	} else {
		struct sh_args a = {.rest = rest};
		char *j;
		if ((c->flags & SH_JSON) && (j = strstr(a.rest, "--json")) && (j[6] == 0 || isspace((unsigned char)j[6]))) {
			memset(j, ' ', 6);
			a.json = true;
		}
		a.rest = sh_trim(a.rest);
		rc = c->fn(s, &a, out, &err);
	}
	if (s->r) {
		/* the line itself, as typed (listing commands make no control-API
		 * call of their own) */
		tn_audit(s->r, rt_ctl_ident(s->r), "shell", line, rc, rc < 0 ? err.msg : NULL);
		rt_ctl_leave(s->r, was);
	}
	if (rc < 0) {
		char msg[700];
		if (!err.msg[0])
			rt_errf(&err, NULL, rc, "%s failed", first);
		const char *m = rt_err_str(&err, msg, sizeof(msg));
		rt_buf_printf(out, "error: %s%s", m, m[0] && m[strlen(m) - 1] == '\n' ? "" : "\n");
	}
	free(copy);
	return rc;
}

struct sh *sh_new(struct rt_router *r)
{
	struct sh *s = calloc(1, sizeof(*s));
	if (s)
		s->r = r;
	return s;
}

struct sh *sh_new_remote(const struct sh_remote_ops *ops, void *arg)
{
	struct sh *s = calloc(1, sizeof(*s));
	if (s) {
		s->remote = ops;
		s->remote_arg = arg;
	}
	return s;
}

struct rt_router *sh_router(const struct sh *s)
{
	return s->r;
}

void sh_free(struct sh *s)
{
	if (!s)
		return;
	lmb_free(s->lua);
	for (int i = 0; i < s->ntlua; i++)
		lmb_free(s->tlua[i].lua);
	free(s->tlua);
	for (int i = 0; i < s->nprof; i++) {
		free(s->prof[i].name);
		free(s->prof[i].cls);
	}
	free(s->prof);
	free(s);
}

/* ---- the control socket's SHELL / SHELLDATA / COMPLETE ---------------------- */

static int sock_exec(void *arg, const char *text, struct rt_buf *out)
{
	struct sh *s = arg;
	int rc = sh_exec(s, text, out);
	if (rc == SH_QUIT) { /* the client's own quit ends its session, not this router */
		rt_buf_puts(out, "error: quit ends a local shell (close the connection with QUIT)\n");
		return -EINVAL;
	}
	return rc;
}

static char **sock_complete(void *arg, const char *line, int start, int end)
{
	return sh_complete(arg, line, start, end);
}

void sh_ctlsock_attach(struct sh *s, struct rt_ctlsock *cs)
{
	static const struct rt_ctlsock_shell ops = {sock_exec, sock_complete, sh_complete_free};
	rt_ctlsock_set_shell(cs, &ops, s);
}

/* ---- completion --------------------------------------------------------- */

struct sh_cands {
	char **v;
	int n, cap;
	const char *word;
	size_t wlen;
};

static void cand(struct sh_cands *c, const char *s, size_t n)
{
	if (n < c->wlen || strncmp(s, c->word, c->wlen))
		return;
	for (int i = 0; i < c->n; i++)
		if (strlen(c->v[i]) == n && !strncmp(c->v[i], s, n))
			return;
	if (c->n + 2 > c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = realloc(c->v, (size_t)c->cap * sizeof(char *));
	}
	c->v[c->n++] = strndup(s, n);
	c->v[c->n] = NULL;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void cand_elements(struct sh *s, struct sh_cands *c, const char *suffix)
{
	for (int i = 0; i < rt_router_nelements(s->r); i++) {
		char name[300];
		struct el *e = rt_router_element(s->r, i);
		if (!rt_ctl_visible(s->r, e)) /* a tenant completes its own names only */
			continue;
		snprintf(name, sizeof(name), "%s%s", rt_ctl_name(s->r, e), suffix);
		cand(c, name, strlen(name));
	}
}

static void cand_classes(struct sh_cands *c)
{
	int n = 0;
	const struct el_class **cl = el_class_list(&n);
	for (int i = 0; i < n; i++)
		cand(c, cl[i]->name, strlen(cl[i]->name));
	free(cl);
}

/* "elem.handler" for the element named before the dot. */
static void cand_handlers(struct sh *s, struct sh_cands *c)
{
	const char *dot = strrchr(c->word, '.');
	char h[300];
	snprintf(h, sizeof(h), "%.*s.handlers", (int)(dot - c->word), c->word);
	struct rt_buf v;
	struct rt_err err;
	rt_buf_init(&v);
	rt_err_clear(&err);
	if (rt_ctl_read(s->r, h, &v, &err) == 0 && v.p) {
		for (char *p = v.p; *p;) {
			size_t n = strcspn(p, " \t\n");
			char full[600];
			snprintf(full, sizeof(full), "%.*s.%.*s", (int)(dot - c->word), c->word, (int)n, p);
			cand(c, full, strlen(full));
			p += strcspn(p, "\n");
			p += *p ? 1 : 0;
		}
	}
	rt_buf_free(&v);
}

static char **complete_local(struct sh *s, const char *line, int start, int end);

char **sh_complete(struct sh *s, const char *line, int start, int end)
{
	if (s->remote)
		return s->remote->complete(s->remote_arg, line, start, end);
	if (!s->r)
		return complete_local(s, line, start, end);
	struct rt_ident was = rt_ctl_enter(s->r, s->id); /* names the identity may see */
	char **v = complete_local(s, line, start, end);
	rt_ctl_leave(s->r, was);
	return v;
}

static char **complete_local(struct sh *s, const char *line, int start, int end)
{
	struct sh_cands c = {.word = line + start, .wlen = (size_t)(end - start)};
	char before[512];
	snprintf(before, sizeof(before), "%.*s", start, line);
	char *p = before, *w[4] = {NULL};
	int nw = 0;
	for (char *x; nw < 4 && (x = sh_word(&p));)
		w[nw++] = x;
	char wordcopy[512];
	snprintf(wordcopy, sizeof(wordcopy), "%.*s", end - start, line + start);
	c.word = wordcopy;
	bool files = false;
	if (nw == 0) {
		FOR_EACH_CMD(t, k)
			cand(&c, k->name, strcspn(k->name, " "));
	} else if (nw == 1 && !strcmp(w[0], "show")) {
		FOR_EACH_CMD(t, k)
			if (!strncmp(k->name, "show ", 5))
				cand(&c, k->name + 5, strlen(k->name + 5));
	} else if (nw == 1 && (!strcmp(w[0], "read") || !strcmp(w[0], "write"))) {
		if (strchr(wordcopy, '.'))
			cand_handlers(s, &c);
		else
			cand_elements(s, &c, ".");
	} else if (nw == 1 && !strcmp(w[0], "help")) {
		FOR_EACH_CMD(t, k)
			cand(&c, k->name, strcspn(k->name, " "));
		cand_classes(&c);
	} else if (nw == 2 && !strcmp(w[0], "migrate")) {
		static const char *const kinds[] = {"cpu", "opencl", "cuda"};
		for (int i = 0; i < 3; i++)
			cand(&c, kinds[i], strlen(kinds[i]));
	} else if ((nw == 1 && (!strcmp(w[0], "swap") || !strcmp(w[0], "reconfigure") || !strcmp(w[0], "remove") ||
				!strcmp(w[0], "migrate") || !strcmp(w[0], "placements"))) ||
		   (nw == 2 && !strcmp(w[0], "show") && !strcmp(w[1], "handlers")) ||
		   (nw == 3 && !strcmp(w[0], "remove") && !strcmp(w[2], "into"))) {
		cand_elements(s, &c, "");
	} else if (nw == 2 && !strcmp(w[0], "swap")) {
		cand_classes(&c);
	} else if (nw == 2 && !strcmp(w[0], "remove")) {
		cand(&c, "into", 4);
	} else {
		files = true;
	}
	if (files || !c.n) {
		sh_complete_free(c.v);
		return files ? NULL : calloc(1, sizeof(char *));
	}
	qsort(c.v, (size_t)c.n, sizeof(char *), cmpstr);
	return c.v;
}

void sh_complete_free(char **c)
{
	for (int i = 0; c && c[i]; i++)
		free(c[i]);
	free(c);
}
