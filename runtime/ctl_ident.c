/*
 * ctl_ident.c - who the control API acts for (ctl.h, identities): entering
 * and leaving an identity, what it may see, how its names map to the
 * runtime's, and the entry/exit of every control-API call (qualify the
 * name, audit the result, rewrite names in the error as the caller knows
 * them).  Bounded: a lookup is a pass over the tenants (at most TN_MAX).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "router_int.h"
#include "tenant/tn.h"

struct rt_ident rt_ctl_enter(struct rt_router *r, struct rt_ident id)
{
	struct rt_ident prev = {r->ident.tenant};
	if (rt_ident_is_operator(prev)) /* only ever narrows */
		r->ident.tenant = id.tenant;
	return prev;
}

void rt_ctl_leave(struct rt_router *r, struct rt_ident prev) { r->ident.tenant = prev.tenant; }

struct rt_ident rt_ctl_ident(const struct rt_router *r) { return (struct rt_ident){r->ident.tenant}; }

/* The prefix "NAME/" of the current tenant, or NULL for the operator (and
 * for nobody: *nobody set). */
static const char *prefix(const struct rt_router *r, size_t *n, bool *nobody)
{
	*nobody = false;
	*n = 0;
	if (r->ident.tenant == RT_TENANT_OPERATOR)
		return NULL;
	const struct tn *t = tn_by_id(r, r->ident.tenant);
	if (!t) {
		*nobody = true;
		return NULL;
	}
	*n = strlen(tn_name(t));
	return tn_name(t);
}

bool rt_ctl_visible(const struct rt_router *r, const struct el *e)
{
	if (r->ident.tenant == RT_TENANT_OPERATOR)
		return true;
	size_t n;
	bool nobody;
	const char *p = prefix(r, &n, &nobody);
	return !nobody && !strncmp(e->name, p, n) && e->name[n] == '/';
}

const char *rt_ctl_name(const struct rt_router *r, const struct el *e)
{
	size_t n;
	bool nobody;
	const char *p = prefix(r, &n, &nobody);
	return p && !strncmp(e->name, p, n) && e->name[n] == '/' ? e->name + n + 1 : e->name;
}

int rt_ctl_qualify(const struct rt_router *r, const char *name, char *q, size_t qn, struct rt_err *err)
{
	size_t n;
	bool nobody;
	const char *p = prefix(r, &n, &nobody);
	int len = nobody ? -1 : p ? snprintf(q, qn, "%s/%s", p, name) : snprintf(q, qn, "%s", name);
	if (len >= 0 && (size_t)len < qn && rt_router_find(r, q))
		return 0;
	/* an internal name of its own (an element calling the control API
	 * about itself with e->name) is its own too */
	if (p && !strncmp(name, p, n) && name[n] == '/' && strlen(name) < qn && rt_router_find(r, name)) {
		strcpy(q, name);
		return 0;
	}
	return rt_errf(err, NULL, -ENOENT, "no element '%s'", name);
}

static bool name_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '/' || c == '@' || c == '-'; }

void rt_ctl_unqualify(const struct rt_router *r, char *msg)
{
	size_t n;
	bool nobody;
	const char *p = prefix(r, &n, &nobody);
	if (!p || !msg)
		return;
	char *w = msg;
	for (char *s = msg; *s;) {
		if ((s == msg || !name_char(s[-1])) && !strncmp(s, p, n) && s[n] == '/') {
			s += n + 1;
			continue;
		}
		*w++ = *s++;
	}
	*w = 0;
}

int rt_ctl_begin(struct rt_router *r, struct rt_ctl_call *c, const char *op, const char **name, struct rt_err *err)
{
	if (r->ident.depth > 0) /* inside an outer call: its body runs */
		return 0;
	r->ident.depth++;
	c->op = op;
	c->target = name ? *name : NULL;
	if (name && *name) {
		int rc = rt_ctl_qualify(r, *name, c->q, sizeof(c->q), err);
		if (rc < 0)
			return rc;
		*name = c->q;
	}
	return 1;
}

int rt_ctl_end(struct rt_router *r, struct rt_ctl_call *c, int rc, struct rt_err *err)
{
	r->ident.depth--;
	if (rc < 0)
		rt_ctl_unqualify(r, err->msg);
	tn_audit(r, rt_ctl_ident(r), c->op, c->target, rc, rc < 0 ? err->msg : NULL);
	return rc;
}
