/*
 * cmd_lua.c - the shell's Lua face: `lua CODE`, `= EXPR`, `run FILE.lua`
 * and plain Lua statements typed at the prompt, in the shell's Lua state (one
 * per identity: a tenant's is sandboxed; lua/lmb.h).  While a chunk runs,
 * Ctrl-C (SIGINT) interrupts it:
 * a signal handler asks the Lua state to stop at its next instruction and
 * the chunk fails with "interrupted"; what it already did through the mb
 * module stays done (each call is one atomic control-API operation), the
 * rest never happens.  Also the continuation test for multi-line Lua
 * (sh_lua_incomplete): Lua's own "<eof>" syntax error, as lua.c does.
 */
#include <ctype.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include <lua5.4/lauxlib.h>
#include <lua5.4/lua.h>

#include "lua/lmb.h"
#include "shell/sh_int.h"

/* The operator's state, or the sandboxed one of the tenant the shell acts
 * for now (its own, or a socket client's): never shared between them. */
struct lmb *sh_lua(struct sh *s, struct rt_err *err)
{
	struct rt_ident id = rt_ctl_ident(s->r);
	if (rt_ident_is_operator(id)) {
		if (!s->lua)
			s->lua = lmb_new(s->r, 0, err);
		return s->lua;
	}
	/* a tenant (this shell's, or a socket client's): its own state */
	for (int i = 0; i < s->ntlua; i++)
		if (s->tlua[i].tenant == id.tenant)
			return s->tlua[i].lua;
	struct lmb *m = lmb_new_as(s->r, id, err);
	if (m) {
		s->tlua = realloc(s->tlua, sizeof(*s->tlua) * (size_t)(s->ntlua + 1));
		s->tlua[s->ntlua++] = (struct sh_tlua){id.tenant, m};
	}
	return m;
}

/* The state a SIGINT interrupts: set only while a chunk runs. */
static struct lmb *volatile running;

static void on_sigint(int sig)
{
	(void)sig;
	struct lmb *m = running;
	if (m)
		lmb_interrupt(m);
}

typedef int (*lua_fn)(struct lmb *m, const char *text, struct rt_buf *out, struct rt_err *err);

static int dostring(struct lmb *m, const char *text, struct rt_buf *out, struct rt_err *err)
{
	return lmb_dostring(m, text, "=shell", out, err);
}

/* Run fn with SIGINT interrupting it (the loop's own SIGINT handling is
 * put back afterwards). */
static int guarded(struct sh *s, lua_fn fn, const char *text, struct rt_buf *out, struct rt_err *err)
{
	struct lmb *m = sh_lua(s, err);
	if (!m)
		return err->code ? err->code : -ENOMEM;
	struct sigaction sa = {.sa_handler = on_sigint}, old;
	sigemptyset(&sa.sa_mask);
	running = m;
	sigaction(SIGINT, &sa, &old);
	int rc = fn(m, text, out, err);
	sigaction(SIGINT, &old, NULL);
	running = NULL;
	return rc;
}

int sh_lua_run(struct sh *s, const char *code, struct rt_buf *out, struct rt_err *err)
{
	return guarded(s, dostring, code, out, err);
}

static int cmd_lua(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	if (sh_need("CODE", a->rest, err) < 0)
		return err->code;
	return guarded(s, dostring, a->rest, out, err);
}

static int cmd_eval(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	if (sh_need("EXPR", a->rest, err) < 0)
		return err->code;
	return guarded(s, lmb_eval, a->rest, out, err);
}

static int cmd_run(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	if (sh_need("FILE", a->rest, err) < 0)
		return err->code;
	return guarded(s, lmb_dofile, a->rest, out, err);
}

static const struct sh_cmd lua_cmds[] = {
	{"lua", "CODE", "run Lua code (the mb module, docs/lua.md); Ctrl-C interrupts it", cmd_lua},
	{"=", "EXPR", "evaluate a Lua expression and print its values", cmd_eval},
	{"run", "FILE.lua", "run a Lua script (Ctrl-C interrupts it)", cmd_run},
	SH_CMDS_END,
};
SH_COMMANDS(lua_cmds)

/* ---- plain Lua at the prompt and multi-line chunks --------------------------- */

static const char *const lua_openers[] = {"for", "while", "if", "function", "local", "repeat", "do", "return", NULL};

bool sh_looks_like_lua(const char *line)
{
	const char *p = line;
	if (!isalpha((unsigned char)*p) && *p != '_')
		return false;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	size_t n = (size_t)(p - line);
	for (int i = 0; lua_openers[i]; i++)
		if (strlen(lua_openers[i]) == n && !strncmp(line, lua_openers[i], n))
			return true;
	/* a call, a field or method access, an index, an assignment */
	if (*p == '(' || *p == '.' || *p == ':' || *p == '[')
		return true;
	p += strspn(p, " \t");
	return p[0] == '=' && p[1] != '=';
}

enum { LOADS, ENDS_EARLY, BAD };

/* Does `code` load, or fail only because it ended early, or fail? */
static int try_load(lua_State *L, const char *code)
{
	int st = luaL_loadbuffer(L, code, strlen(code), "=shell"), how = st == LUA_OK ? LOADS : BAD;
	if (st == LUA_ERRSYNTAX) {
		size_t len;
		const char *msg = lua_tolstring(L, -1, &len);
		if (msg && len >= 5 && !strcmp(msg + len - 5, "<eof>"))
			how = ENDS_EARLY;
	}
	lua_pop(L, 1);
	return how;
}

bool sh_lua_incomplete(const char *code, bool expr)
{
	lua_State *L = luaL_newstate();
	if (!L)
		return false;
	bool more;
	if (expr) {
		lua_pushfstring(L, "return %s", code);
		/* "= 1 +" is cut short as an expression, "= for i = 1, 2 do" as
		 * the statement lmb_eval runs when it is not an expression */
		int how = try_load(L, lua_tostring(L, -1));
		more = how == ENDS_EARLY || (how == BAD && try_load(L, code) == ENDS_EARLY);
	} else {
		more = try_load(L, code) == ENDS_EARLY;
	}
	lua_close(L);
	return more;
}
