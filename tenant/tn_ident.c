/*
 * tn_ident.c - identities of control-plane clients (Unix users mapped to
 * tenants, AUTH tokens) and the audit trail: every control-API call, with
 * who made it, when, on what and its result, in a ring the operator reads
 * and optionally a file.  Bounded: a record is a fixed-size copy; lookups
 * are passes over at most TN_MAX_UIDS users or TN_MAX tenants.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "router_int.h"
#include "tenant/tn_int.h"

static struct tn_set *set_of(struct rt_router *r)
{
	if (!r->tenants)
		r->tenants = calloc(1, sizeof(*r->tenants));
	return r->tenants;
}

/* "operator" or a tenant's name into an identity. */
static int ident_named(struct rt_router *r, const char *who, struct rt_ident *id, struct rt_err *err)
{
	if (who && !strcmp(who, "operator")) {
		*id = RT_IDENT_OPERATOR;
		return 0;
	}
	const struct tn *t = tn_by_name(r, who);
	if (!t)
		return rt_errf(err, NULL, -ENOENT, "no tenant '%s'", who ? who : "");
	id->tenant = tn_id(t);
	return 0;
}

static int need_operator(struct rt_router *r, const char *what, struct rt_err *err)
{
	return rt_ident_is_operator(rt_ctl_ident(r)) ? 0
						     : rt_errf(err, NULL, -EPERM, "%s: permission denied (operator only)", what);
}

int tn_map_uid(struct rt_router *r, uid_t uid, const char *who, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "tenant user", who, err, tn_map_uid(r, uid, who, err));
	struct rt_ident id = RT_IDENT_NOBODY;
	if (need_operator(r, "tenant user", err) < 0 || ident_named(r, who, &id, err) < 0)
		return err->code;
	struct tn_set *s = set_of(r);
	int i = 0;
	while (i < s->nuids && s->uids[i].uid != uid)
		i++;
	if (i == TN_MAX_UIDS)
		return rt_errf(err, NULL, -ENOSPC, "at most %d mapped users", TN_MAX_UIDS);
	s->uids[i].uid = uid;
	s->uids[i].tenant = id.tenant;
	s->nuids += i == s->nuids;
	return 0;
}

int tn_set_token(struct rt_router *r, const char *who, const char *token, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "tenant token", who, err, tn_set_token(r, who, token, err));
	struct rt_ident id = RT_IDENT_NOBODY;
	if (need_operator(r, "tenant token", err) < 0 || ident_named(r, who, &id, err) < 0)
		return err->code;
	if (!token || strlen(token) < 8)
		return rt_errf(err, NULL, -EINVAL, "tenant token: at least 8 characters");
	struct tn_set *s = set_of(r);
	for (int i = 0; i < s->n; i++)
		if (s->v[i]->token && !strcmp(s->v[i]->token, token) && s->v[i]->id != id.tenant)
			return rt_errf(err, NULL, -EEXIST, "tenant token: already in use");
	char **slot = rt_ident_is_operator(id) ? &s->op_token : &((struct tn *)tn_by_id(r, id.tenant))->token;
	free(*slot);
	*slot = strdup(token);
	return 0;
}

struct rt_ident tn_ident_of_uid(const struct rt_router *r, uid_t uid)
{
	const struct tn_set *s = r->tenants;
	for (int i = 0; s && i < s->nuids; i++)
		if (s->uids[i].uid == uid)
			return (struct rt_ident){s->uids[i].tenant};
	if (!s || !s->nuids || uid == 0 || uid == geteuid())
		return RT_IDENT_OPERATOR;
	return RT_IDENT_NOBODY;
}

struct rt_ident tn_ident_tcp(const struct rt_router *r)
{
	const struct tn_set *s = r->tenants;
	bool tokens = s && s->op_token;
	for (int i = 0; s && !tokens && i < s->n; i++)
		tokens = s->v[i]->token != NULL;
	return tokens ? RT_IDENT_NOBODY : RT_IDENT_OPERATOR;
}

/* Compare without an early exit, so the time says nothing of the token. */
static bool same(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	unsigned char d = na != nb;
	for (size_t i = 0; i < na; i++)
		d |= (unsigned char)(a[i] ^ b[i % (nb ? nb : 1)]);
	return d == 0;
}

int tn_auth(struct rt_router *r, const char *token, struct rt_ident *id, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "auth", "(token)", err, tn_auth(r, token, id, err));
	const struct tn_set *s = r->tenants;
	if (s && s->op_token && token && same(s->op_token, token)) {
		*id = RT_IDENT_OPERATOR;
		return 0;
	}
	for (int i = 0; s && token && i < s->n; i++)
		if (s->v[i]->token && same(s->v[i]->token, token)) {
			id->tenant = s->v[i]->id;
			return 0;
		}
	return rt_errf(err, NULL, -EACCES, "authentication failed");
}

/* ---- audit ------------------------------------------------------------------ */

static void fmt_time(uint64_t ns, char *b, size_t n)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t k = strftime(b, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(b + k, n - k, ".%03uZ", (unsigned)(ns / 1000000u % 1000u));
}

static void fmt_rec(const struct tn_audit_rec *a, struct rt_buf *out)
{
	char ts[40];
	fmt_time(a->wall_ns, ts, sizeof(ts));
	rt_buf_printf(out, "%s %s %s %s -> ", ts, a->who, a->op, a->target[0] ? a->target : "-");
	if (a->rc >= 0)
		rt_buf_puts(out, "ok\n");
	else
		rt_buf_printf(out, "error %d: %s\n", a->rc, a->msg);
}

void tn_audit(struct rt_router *r, struct rt_ident who, const char *op, const char *target, int rc, const char *msg)
{
	struct tn_set *s = set_of(r);
	if (!s->ring && !(s->ring = calloc(TN_AUDIT_RING, sizeof(*s->ring))))
		return;
	struct tn_audit_rec *a = &s->ring[s->nrec++ % TN_AUDIT_RING];
	a->wall_ns = rt_wall_ns();
	a->tenant = who.tenant;
	snprintf(a->who, sizeof(a->who), "%s", tn_ident_name(r, who));
	snprintf(a->op, sizeof(a->op), "%s", op ? op : "?");
	/* one line: newlines in a target (Click text) become spaces */
	snprintf(a->target, sizeof(a->target), "%s", target ? target : "");
	for (char *p = a->target; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	a->rc = rc;
	snprintf(a->msg, sizeof(a->msg), "%s", msg ? msg : "");
	for (char *p = a->msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (s->audit_file) {
		struct rt_buf b;
		rt_buf_init(&b);
		fmt_rec(a, &b);
		fputs(b.p, s->audit_file);
		fflush(s->audit_file);
		rt_buf_free(&b);
	}
}

int tn_audit_read(struct rt_router *r, int n, struct rt_buf *out, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "audit", NULL, err, tn_audit_read(r, n, out, err));
	struct tn_set *s = set_of(r);
	struct rt_ident id = rt_ctl_ident(r);
	uint64_t kept = s->nrec < TN_AUDIT_RING ? s->nrec : TN_AUDIT_RING;
	uint64_t first = s->nrec - kept;
	/* a tenant reads its own records only */
	int shown = 0, want = n > 0 ? n : (int)kept;
	uint64_t from = s->nrec;
	while (from > first && shown < want) {
		from--;
		if (rt_ident_is_operator(id) || s->ring[from % TN_AUDIT_RING].tenant == id.tenant)
			shown++;
	}
	for (uint64_t i = from; i < s->nrec; i++)
		if (rt_ident_is_operator(id) || s->ring[i % TN_AUDIT_RING].tenant == id.tenant)
			fmt_rec(&s->ring[i % TN_AUDIT_RING], out);
	return shown;
}

int tn_audit_file(struct rt_router *r, const char *path, struct rt_err *err)
{
	RT_CTL_ENTRY_TEXT(r, "audit file", path, err, tn_audit_file(r, path, err));
	if (need_operator(r, "audit file", err) < 0)
		return err->code;
	struct tn_set *s = set_of(r);
	FILE *f = NULL;
	if (path && *path && !(f = fopen(path, "a")))
		return rt_errf(err, NULL, -errno, "%s: %s", path, strerror(errno));
	if (s->audit_file)
		fclose(s->audit_file);
	s->audit_file = f;
	return 0;
}

uint64_t tn_audit_count(const struct rt_router *r) { return r->tenants ? r->tenants->nrec : 0; }

void tn_audit_close(struct tn_set *s)
{
	if (s->audit_file)
		fclose(s->audit_file);
	s->audit_file = NULL;
	free(s->ring);
	s->ring = NULL;
}
