/*
 * ctl.c - control API: handler access by name, router-level handlers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "tenant/tn.h"

/* Split "a/b.count" at the last dot into element and handler names.  A
 * name with no dot, or starting with a dot, is a router handler. */
static struct el *split_name(struct rt_router *r, const char *hname, const char **h, struct rt_err *err,
			     bool *router_level)
{
	const char *dot = strrchr(hname, '.');
	*router_level = false;
	if (!dot || dot == hname) {
		*h = dot ? dot + 1 : hname;
		*router_level = true;
		return NULL;
	}
	char ename[256];
	size_t n = (size_t)(dot - hname);
	if (n >= sizeof(ename)) {
		rt_errf(err, NULL, -ENOENT, "no element '%.*s'", (int)RT_MIN(n, 64), hname);
		return NULL;
	}
	memcpy(ename, hname, n);
	ename[n] = 0;
	*h = dot + 1;
	char q[256]; /* the name as the runtime knows it (the caller's namespace) */
	if (rt_ctl_qualify(r, ename, q, sizeof(q), err) < 0)
		return NULL;
	return rt_router_find(r, q);
}

/* Router handlers a tenant may read: the rest are the operator's. */
static bool tenant_may(const char *h)
{
	return !strcmp(h, "version") || !strcmp(h, "config") || !strcmp(h, "flatconfig") || !strcmp(h, "list") ||
	       !strcmp(h, "classes") || !strcmp(h, "requirements") || !strcmp(h, "handlers") || !strcmp(h, "tenants");
}

static int read_param(struct rt_router *r, const char *hname, const char *param, struct rt_buf *out,
		      struct rt_err *err);

static const char *router_read_names[] = {"version", "config", "flatconfig", "list", "classes",
					  "requirements", "handlers", "threads", "tenants", NULL};

static int router_read(struct rt_router *r, const char *h, struct rt_buf *out, struct rt_err *err)
{
	bool op = rt_ident_is_operator(rt_ctl_ident(r));
	if (!op && !tenant_may(h))
		return rt_errf(err, NULL, -ENOENT, "no handler '%s'", h);
	if (!op && (!strcmp(h, "config") || !strcmp(h, "flatconfig"))) {
		tn_own_config(r, rt_ctl_ident(r).tenant, out); /* its own graph, in its own names */
	} else if (!strcmp(h, "version")) {
		rt_buf_puts(out, MBOXSH_VERSION "\n");
	} else if (!strcmp(h, "config")) {
		rt_router_config(r, out);
	} else if (!strcmp(h, "flatconfig")) {
		rt_router_flatconfig(r, out);
	} else if (!strcmp(h, "list")) {
		int n = rt_router_nelements(r), k = 0;
		for (int i = 0; i < n; i++)
			k += rt_ctl_visible(r, rt_router_element(r, i));
		rt_buf_printf(out, "%d\n", k);
		for (int i = 0; i < n; i++)
			if (rt_ctl_visible(r, rt_router_element(r, i)))
				rt_buf_printf(out, "%s\n", rt_ctl_name(r, rt_router_element(r, i)));
	} else if (!strcmp(h, "classes")) {
		int n;
		const struct el_class **v = el_class_list(&n);
		for (int i = 0; i < n; i++)
			rt_buf_printf(out, "%s\n", v[i]->name);
		free(v);
	} else if (!strcmp(h, "requirements")) {
		for (int i = 0; rt_router_packages[i]; i++)
			rt_buf_printf(out, "%s\n", rt_router_packages[i]);
	} else if (!strcmp(h, "tenants")) { /* usage and drops of those it may see */
		if (tn_usage_put(r, false, false, out, err) < 0)
			return err->code;
	} else if (!strcmp(h, "threads")) {
		rt_router_threads(r, out);
	} else if (!strcmp(h, "handlers")) {
		for (int i = 0; router_read_names[i]; i++)
			if (op || tenant_may(router_read_names[i]))
				rt_buf_printf(out, "%s\tr\n", router_read_names[i]);
		if (op)
			rt_buf_puts(out, "stop\tw\n");
	} else {
		return rt_errf(err, NULL, -ENOENT, "no handler '%s'", h);
	}
	return 0;
}

int rt_ctl_read_param(struct rt_router *r, const char *hname, const char *param, struct rt_buf *out,
		      struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "read", hname, err, rt_ctl_read_param(r, hname, param, out, err));
	size_t start = out->len;
	int rc = read_param(r, hname, param, out, err);
	if (rc == 0 && out->p && out->len > start && !rt_ident_is_operator(rt_ctl_ident(r))) {
		rt_ctl_unqualify(r, out->p + start); /* its own names, as it knows them */
		out->len = start + strlen(out->p + start);
	}
	return rc;
}

static int read_param(struct rt_router *r, const char *hname, const char *param, struct rt_buf *out,
		      struct rt_err *err)
{
	const char *h;
	bool top;
	struct el *e = split_name(r, hname, &h, err, &top);
	if (top)
		return router_read(r, h, out, err);
	if (!e)
		return err->code;
	return el_handler_read_param(e, h, param, out, err);
}

int rt_ctl_read(struct rt_router *r, const char *hname, struct rt_buf *out, struct rt_err *err)
{
	return rt_ctl_read_param(r, hname, NULL, out, err);
}

int rt_ctl_write(struct rt_router *r, const char *hname, const char *value, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "write", hname, err, rt_ctl_write(r, hname, value, err));
	const char *h;
	bool top;
	struct el *e = split_name(r, hname, &h, err, &top);
	if (top && !rt_ident_is_operator(rt_ctl_ident(r)))
		return rt_errf(err, NULL, -ENOENT, "no handler '%s'", h);
	if (top) {
		if (!strcmp(h, "stop")) { /* a stop event, as in Click: a DriverManager may take it */
			rt_router_please_stop(r);
			return 0;
		}
		for (int i = 0; router_read_names[i]; i++)
			if (!strcmp(h, router_read_names[i]))
				return rt_errf(err, NULL, -EPERM, "handler '%s' is not writable", h);
		return rt_errf(err, NULL, -ENOENT, "no handler '%s'", h);
	}
	if (!e)
		return err->code;
	return el_handler_write(e, h, value, err);
}

int rt_ctl_check(struct rt_router *r, const char *hname, bool write, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "check", hname, err, rt_ctl_check(r, hname, write, err));
	const char *h;
	bool top;
	struct el *e = split_name(r, hname, &h, err, &top);
	if (top && !rt_ident_is_operator(rt_ctl_ident(r)) && (write || !tenant_may(h)))
		return rt_errf(err, NULL, -ENOENT, "no handler '%s'", h);
	if (top) {
		if (write)
			return !strcmp(h, "stop") ? 0 : rt_errf(err, NULL, -EPERM, "handler '%s' is not writable", h);
		for (int i = 0; router_read_names[i]; i++)
			if (!strcmp(h, router_read_names[i]))
				return 0;
		return rt_errf(err, NULL, -ENOENT, "no handler '%s'", h);
	}
	if (!e)
		return err->code;
	const struct el_handler *hd = el_handler_find(e, h);
	if (!hd)
		return rt_errf(err, NULL, -ENOENT, "no handler '%s.%s'", e->name, h);
	if (write ? !hd->write : !(hd->read || hd->read_param))
		return rt_errf(err, NULL, -EPERM, "handler '%s.%s' is not %s", e->name, h, write ? "writable" : "readable");
	return 0;
}

static int read_num(struct el *e, const char *h, double *v, struct rt_err *err)
{
	struct rt_buf b;
	rt_buf_init(&b);
	int rc = el_handler_read(e, h, &b, err);
	*v = rc == 0 && b.p ? strtod(b.p, NULL) : 0;
	rt_buf_free(&b);
	return rc;
}

int rt_ctl_stats(struct rt_router *r, struct rt_ctl_stat **out, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "stats", NULL, err, rt_ctl_stats(r, out, err));
	int n = rt_router_nelements(r), k = 0;
	struct rt_ctl_stat *v = calloc((size_t)n + 1, sizeof(*v));
	for (int i = 0; i < n; i++) {
		struct el *e = rt_router_element(r, i);
		if (!el_handler_find(e, "count") || !rt_ctl_visible(r, e))
			continue;
		double c;
		if (read_num(e, "count", &c, err) < 0) {
			free(v);
			return err->code;
		}
		v[k] = (struct rt_ctl_stat){rt_ctl_name(r, e), e->cls->name, (uint64_t)c, -1};
		if (el_handler_find(e, "rate") && read_num(e, "rate", &v[k].rate, err) < 0) {
			free(v);
			return err->code;
		}
		k++;
	}
	*out = v;
	return k;
}
