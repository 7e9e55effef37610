/*
 * tn_cmds.c - the shell's tenant commands (sh_cmd.h): each parses its
 * words, makes one tenant/control-API call (tn.h) and formats the result.
 * Who may do what is decided there, by the identity the shell entered.
 */
#include <errno.h>
#include <stdlib.h>

#include "shell/sh_cmd.h"
#include "tenant/tn.h"

static int need(const char *what, const char *v, struct rt_err *err) { return sh_need(what, v, err); }

static int cmd_tenant(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	struct rt_router *r = sh_router(s);
	char *sub = sh_word(&a->rest);
	if (!sub || !strcmp(sub, "list"))
		return tn_list(r, out, err) < 0 ? err->code : 0;
	char *name = sh_word(&a->rest);
	char *rest = sh_trim(a->rest);
	if (!strcmp(sub, "show"))
		return tn_show(r, name, out, err);
	if (need("NAME", name, err) < 0)
		return err->code;
	if (!strcmp(sub, "add")) {
		if (tn_add(r, name, rest, err) < 0)
			return err->code;
		rt_buf_printf(out, "tenant %s added\n", name);
		return 0;
	}
	if (!strcmp(sub, "remove")) {
		if (tn_remove(r, name, err) < 0)
			return err->code;
		rt_buf_printf(out, "tenant %s removed\n", name);
		return 0;
	}
	if (!strcmp(sub, "quota"))
		return tn_set_quota(r, name, rest, err);
	if (!strcmp(sub, "load") || !strcmp(sub, "extend")) {
		if (need("STATEMENTS", rest, err) < 0)
			return err->code;
		struct rt_buf warn;
		rt_buf_init(&warn);
		int rc = tn_load(r, name, rest, sub[0] == 'l', "<tenant load>", &warn, err);
		if (warn.p) { /* one "warning: " line each, in the caller's names */
			rt_ctl_unqualify(r, warn.p);
			for (char *line = warn.p, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
				nl = strchr(line, '\n');
				if (nl)
					*nl = 0;
				if (*line)
					rt_buf_printf(out, "warning: %s\n", line);
				if (!nl)
					break;
			}
		}
		rt_buf_free(&warn);
		return rc;
	}
	if (!strcmp(sub, "user")) {
		char *end;
		long uid = strtol(name, &end, 10);
		if (*end || uid < 0 || need("operator|TENANT", rest, err) < 0)
			return *end || uid < 0 ? rt_errf(err, NULL, -EINVAL, "usage: tenant user UID operator|TENANT") : err->code;
		return tn_map_uid(r, (uid_t)uid, rest, err);
	}
	if (!strcmp(sub, "token"))
		return tn_set_token(r, name, rest, err);
	return rt_errf(err, NULL, -EINVAL, "usage: tenant list|show|add|remove|quota|load|extend|user|token ...");
}

static int cmd_audit(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	struct rt_router *r = sh_router(s);
	char *w = sh_word(&a->rest);
	if (w && !strcmp(w, "file"))
		return tn_audit_file(r, sh_trim(a->rest), err);
	int n = w ? atoi(w) : 20;
	return tn_audit_read(r, n, out, err) < 0 ? err->code : 0;
}

static const struct sh_cmd tn_cmds[] = {
	{"tenant", "list|show [NAME]|add NAME [QUOTAS]|remove NAME|quota NAME QUOTAS|load NAME TEXT|extend NAME TEXT|"
		   "user UID WHO|token WHO TOKEN",
	 "tenants: quotas (buffers= flows= held= cpu= lua= instr=), namespaces, identities (docs/tenants.md)", cmd_tenant},
	{"audit", "[N] | file [PATH]", "the last N control operations (who, when, what, result); or log them to PATH",
	 cmd_audit},
	SH_CMDS_END,
};
SH_COMMANDS(tn_cmds)
