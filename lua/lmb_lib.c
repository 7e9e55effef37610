/*
 * lmb_lib.c - the `mb` Lua module: each function parses its Lua arguments,
 * calls one control-API function (ctl.h) and converts the result.  Nothing
 * here implements an operation; a failure becomes a Lua error carrying the
 * control API's message and the script's location (luaL_error).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lmb_int.h"
#include "tenant/tn.h"

#define LMB_ELEMENT_MT "mb.element"
#define LMB_CONFIG_MT "mb.config"

/* Raise the control API's error as a Lua error at the caller's line. */
static int lmb_raise(lua_State *L, const struct rt_err *err)
{
	char msg[700];
	return luaL_error(L, "%s", rt_err_str(err, msg, sizeof(msg)));
}

/* Return true and the warnings (one per line, nil when none); frees warn. */
static int lmb_done(lua_State *L, struct rt_buf *warn, int rc, const struct rt_err *err)
{
	if (rc < 0) {
		rt_buf_free(warn);
		return lmb_raise(L, err);
	}
	lua_pushboolean(L, 1);
	if (warn->p) { /* names as the caller knows them */
		rt_ctl_unqualify(lmb_of(L)->r, warn->p);
		warn->len = strlen(warn->p);
	}
	size_t n = warn->len;
	while (n && warn->p[n - 1] == '\n')
		n--;
	if (n)
		lua_pushlstring(L, warn->p, n);
	else
		lua_pushnil(L);
	rt_buf_free(warn);
	return 2;
}

/* Is arg a configuration builder (a table with the mb.config metatable)? */
static bool lmb_is_cfg(lua_State *L, int arg)
{
	if (!lua_istable(L, arg) || !lua_getmetatable(L, arg))
		return false;
	luaL_getmetatable(L, LMB_CONFIG_MT);
	bool yes = lua_rawequal(L, -1, -2);
	lua_pop(L, 2);
	return yes;
}

static void lmb_check_cfg(lua_State *L, int arg)
{
	if (!lmb_is_cfg(L, arg))
		luaL_typeerror(L, arg, "mb.config");
}

/* A string argument, or a configuration builder (mb.config()) as its text,
 * which replaces the builder at arg. */
static const char *lmb_check_text(lua_State *L, int arg)
{
	if (lmb_is_cfg(L, arg)) {
		luaL_Buffer b;
		luaL_buffinit(L, &b);
		lua_Integer n = (lua_Integer)lua_rawlen(L, arg);
		for (lua_Integer i = 1; i <= n; i++) {
			lua_rawgeti(L, arg, i);
			luaL_addvalue(&b);
			luaL_addchar(&b, '\n');
		}
		luaL_pushresult(&b);
		lua_replace(L, arg);
	}
	return luaL_checkstring(L, arg);
}

/* ---- handlers ------------------------------------------------------------ */

static int lmb_read_h(lua_State *L, const char *h, const char *param)
{
	struct lmb *m = lmb_of(L);
	struct rt_buf out;
	struct rt_err err;
	rt_buf_init(&out);
	rt_err_clear(&err);
	int rc = rt_ctl_read_param(m->r, h, param, &out, &err);
	if (rc == 0)
		lua_pushlstring(L, out.p ? out.p : "", out.len);
	rt_buf_free(&out);
	return rc < 0 ? lmb_raise(L, &err) : 1;
}

static int lmb_write_h(lua_State *L, const char *h, int varg)
{
	struct lmb *m = lmb_of(L);
	struct rt_err err;
	rt_err_clear(&err);
	const char *v = lua_isnoneornil(L, varg) ? "" : luaL_tolstring(L, varg, NULL);
	if (rt_ctl_write(m->r, h, v, &err) < 0)
		return lmb_raise(L, &err);
	lua_pushboolean(L, 1);
	return 1;
}

/* mb.read("c.count" [, param]) -> string */
static int mb_read(lua_State *L) { return lmb_read_h(L, luaL_checkstring(L, 1), luaL_optstring(L, 2, NULL)); }
/* mb.write("c.reset" [, value]) -> true */
static int mb_write(lua_State *L) { return lmb_write_h(L, luaL_checkstring(L, 1), 2); }

/* ---- live changes -------------------------------------------------------- */

#define LMB_CTL_BEGIN                          \
	struct lmb *m = lmb_of(L);             \
	struct rt_buf warn;                    \
	struct rt_err err;                     \
	rt_buf_init(&warn);                    \
	rt_err_clear(&err)

static int mb_swap(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1), *spec = luaL_checkstring(L, 2);
	LMB_CTL_BEGIN;
	return lmb_done(L, &warn, rt_ctl_swap(m->r, name, spec, &warn, &err), &err);
}

static int mb_hotconfig(lua_State *L)
{
	const char *text = lmb_check_text(L, 1), *file = luaL_optstring(L, 2, "<lua>");
	LMB_CTL_BEGIN;
	return lmb_done(L, &warn, rt_ctl_hotconfig(m->r, text, file, &warn, &err), &err);
}

static int mb_add(lua_State *L)
{
	const char *text = lmb_check_text(L, 1);
	LMB_CTL_BEGIN;
	return lmb_done(L, &warn, rt_ctl_add(m->r, text, &warn, &err), &err);
}

static int mb_connect(lua_State *L)
{
	const char *spec = luaL_checkstring(L, 1);
	LMB_CTL_BEGIN;
	return lmb_done(L, &warn, rt_ctl_connect(m->r, spec, &warn, &err), &err);
}

static int mb_disconnect(lua_State *L)
{
	const char *spec = luaL_checkstring(L, 1);
	LMB_CTL_BEGIN;
	return lmb_done(L, &warn, rt_ctl_disconnect(m->r, spec, &warn, &err), &err);
}

static int mb_remove(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1), *into = luaL_optstring(L, 2, NULL);
	LMB_CTL_BEGIN;
	return lmb_done(L, &warn, rt_ctl_remove(m->r, name, into, &warn, &err), &err);
}

static int mb_reconfigure(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1), *args = luaL_checkstring(L, 2);
	LMB_CTL_BEGIN;
	return lmb_done(L, &warn, rt_ctl_reconfigure(m->r, name, args, &warn, &err), &err);
}

/* mb.migrate(name, "cpu" | "opencl" | "cuda"): rt_ctl_migrate. */
static int mb_migrate(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1), *where = luaL_checkstring(L, 2);
	LMB_CTL_BEGIN;
	return lmb_done(L, &warn, rt_ctl_migrate(m->r, name, where, &warn, &err), &err);
}

/* mb.placements([name [, json]]) -> text: rt_ctl_placements. */
static int mb_placements(lua_State *L)
{
	const char *name = luaL_optstring(L, 1, NULL);
	bool json = lua_toboolean(L, 2);
	struct lmb *m = lmb_of(L);
	struct rt_err err;
	struct rt_buf out;
	rt_err_clear(&err);
	rt_buf_init(&out);
	if (rt_ctl_placements(m->r, name, json, &out, &err) < 0) {
		rt_buf_free(&out);
		return lmb_raise(L, &err);
	}
	lua_pushlstring(L, out.p ? out.p : "", out.len);
	rt_buf_free(&out);
	return 1;
}

/* mb.load(text | builder [, file]): the first configuration, before the
 * router starts (rt_router_load refuses once it runs). */
static int mb_load(lua_State *L)
{
	const char *text = lmb_check_text(L, 1), *file = luaL_optstring(L, 2, "<lua>");
	struct lmb *m = lmb_of(L);
	struct rt_err err;
	rt_err_clear(&err);
	if (!rt_ident_is_operator(rt_ctl_ident(m->r))) /* its own namespace, replaced */
		rt_errf(&err, NULL, -EPERM, "mb.load: permission denied (a tenant uses mb.hotconfig)");
	if (err.code || rt_router_load(m->r, text, file, NULL, &err) < 0)
		return lmb_raise(L, &err);
	lua_pushboolean(L, 1);
	return 1;
}

/* ---- elements ------------------------------------------------------------ */

/* An element object: a table {name =, class =} whose methods go through
 * the control API by name, so it stays valid across swaps. */
static void lmb_push_element(lua_State *L, const struct el *e)
{
	lua_createtable(L, 0, 2);
	lua_pushstring(L, rt_ctl_name(lmb_of(L)->r, e)); /* as the caller names it */
	lua_setfield(L, -2, "name");
	lua_pushstring(L, e->cls->name);
	lua_setfield(L, -2, "class");
	luaL_setmetatable(L, LMB_ELEMENT_MT);
}

/* "name.handler" of element object `arg` and handler name at arg+1. */
static const char *lmb_element_h(lua_State *L, int arg)
{
	luaL_checktype(L, arg, LUA_TTABLE);
	lua_getfield(L, arg, "name");
	const char *name = lua_tostring(L, -1);
	luaL_argcheck(L, name != NULL, arg, "not an element");
	const char *h = lua_pushfstring(L, "%s.%s", name, luaL_checkstring(L, arg + 1));
	lua_remove(L, -2);
	return h;
}

static int lmb_el_read(lua_State *L) { return lmb_read_h(L, lmb_element_h(L, 1), luaL_optstring(L, 3, NULL)); }
static int lmb_el_write(lua_State *L)
{
	const char *h = lmb_element_h(L, 1);
	return lmb_write_h(L, h, 3);
}

/* e:handlers() -> {"name", ...}, {name = "rw", ...}: the "handlers"
 * handler's "name<TAB>mode" lines as tables. */
static int lmb_el_handlers(lua_State *L)
{
	lua_settop(L, 1);
	lua_pushliteral(L, "handlers");
	lmb_read_h(L, lmb_element_h(L, 1), NULL);
	const char *s = lua_tostring(L, -1);
	lua_newtable(L); /* names */
	lua_newtable(L); /* modes */
	int n = 0;
	while (*s) {
		const char *nl = strchr(s, '\n'), *end = nl ? nl : s + strlen(s);
		const char *sp = memchr(s, '\t', (size_t)(end - s)), *ne = sp ? sp : end;
		if (ne > s) {
			lua_pushlstring(L, s, (size_t)(ne - s));
			lua_pushvalue(L, -1);
			lua_rawseti(L, -4, ++n);
			if (sp)
				lua_pushlstring(L, sp + 1, (size_t)(end - sp - 1));
			else
				lua_pushliteral(L, "");
			lua_rawset(L, -3);
		}
		s = nl ? nl + 1 : end;
	}
	return 2;
}

/* mb.graph() -> {element, ...} in configuration order */
static int mb_graph(lua_State *L)
{
	struct rt_router *r = lmb_of(L)->r;
	int n = rt_router_nelements(r), k = 0;
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		if (!rt_ctl_visible(r, rt_router_element(r, i))) /* its own elements only */
			continue;
		lmb_push_element(L, rt_router_element(r, i));
		lua_rawseti(L, -2, ++k);
	}
	return 1;
}

/* mb.element(name) -> element, or nil and a message */
static int mb_element(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	struct rt_router *r = lmb_of(L)->r;
	char q[256];
	struct rt_err err;
	rt_err_clear(&err);
	if (rt_ctl_qualify(r, name, q, sizeof(q), &err) < 0) { /* in the caller's namespace */
		lua_pushnil(L);
		lua_pushstring(L, err.msg);
		return 2;
	}
	lmb_push_element(L, rt_router_find(r, q));
	return 1;
}

/* mb.stats() -> {name = count} for every element with a "count" handler */
static int mb_stats(lua_State *L)
{
	struct rt_ctl_stat *v;
	struct rt_err err;
	rt_err_clear(&err);
	int n = rt_ctl_stats(lmb_of(L)->r, &v, &err);
	if (n < 0)
		return luaL_error(L, "%s", err.msg);
	lua_createtable(L, 0, n);
	for (int i = 0; i < n; i++) {
		lua_pushinteger(L, (lua_Integer)v[i].count);
		lua_setfield(L, -2, v[i].name);
	}
	free(v);
	return 1;
}

/* mb.tenants() -> {{tenant = "A", flows = n, flows_refused = n, ...}, ...}:
 * usage and drops of the tenants this state may see (tn_usage) */
static int mb_tenants(lua_State *L)
{
	struct tn_usage *v;
	struct rt_err err;
	rt_err_clear(&err);
	int n = tn_usage(lmb_of(L)->r, &v, &err);
	if (n < 0)
		return luaL_error(L, "%s", err.msg);
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		const struct tn_usage *u = &v[i];
		const struct {
			const char *k;
			uint64_t v;
		} f[] = {{"id", u->id},
			 {"elements", (uint64_t)u->elements},
			 {"buffers", u->buffers},
			 {"buffers_quota", u->buffers_quota},
			 {"flows", u->flows},
			 {"flows_quota", u->flows_quota},
			 {"flows_refused", u->flow_drops},
			 {"held", u->held},
			 {"held_quota", u->held_quota},
			 {"held_refused", u->held_drops},
			 {"cpu_cycles", u->cpu_cycles},
			 {"cpu_throttled", u->cpu_throttled}};
		lua_createtable(L, 0, (int)RT_ARRAY_SIZE(f) + 1);
		lua_pushstring(L, u->name);
		lua_setfield(L, -2, "tenant");
		for (size_t k = 0; k < RT_ARRAY_SIZE(f); k++) {
			lua_pushinteger(L, (lua_Integer)f[k].v);
			lua_setfield(L, -2, f[k].k);
		}
		lua_rawseti(L, -2, i + 1);
	}
	free(v);
	return 1;
}

/* mb.now() -> monotonic milliseconds (a float) */
static int mb_now(lua_State *L)
{
	lua_pushnumber(L, (lua_Number)rt_now_ns() / 1e6);
	return 1;
}

/* ---- configuration builder ----------------------------------------------- */

/* A builder is an array of Click statements, one per line. */
static void lmb_cfg_append(lua_State *L)
{
	lua_rawseti(L, 1, (lua_Integer)lua_rawlen(L, 1) + 1);
}

/* g:element(name, class [, args]): args a string or an array of strings. */
static int lmb_cfg_element(lua_State *L)
{
	lmb_check_cfg(L, 1);
	const char *name = luaL_checkstring(L, 2), *cls = luaL_checkstring(L, 3);
	lua_settop(L, 4); /* the buffer goes above the arguments */
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	luaL_addstring(&b, name);
	luaL_addstring(&b, " :: ");
	luaL_addstring(&b, cls);
	if (lua_istable(L, 4)) {
		lua_Integer n = (lua_Integer)lua_rawlen(L, 4);
		luaL_addchar(&b, '(');
		for (lua_Integer i = 1; i <= n; i++) {
			if (i > 1)
				luaL_addstring(&b, ", ");
			lua_rawgeti(L, 4, i);
			luaL_addvalue(&b);
		}
		luaL_addchar(&b, ')');
	} else if (!lua_isnoneornil(L, 4)) {
		luaL_addchar(&b, '(');
		luaL_tolstring(L, 4, NULL);
		luaL_addvalue(&b);
		luaL_addchar(&b, ')');
	}
	luaL_addchar(&b, ';');
	luaL_pushresult(&b);
	lmb_cfg_append(L);
	lua_settop(L, 1);
	return 1;
}

/* g:connect(from, [port,] to [, port]) -> "from [p] -> [q] to;" (ports 0 omitted) */
static int lmb_cfg_connect(lua_State *L)
{
	lmb_check_cfg(L, 1);
	const char *from = luaL_checkstring(L, 2);
	int a = 3;
	lua_Integer pout = 0, pin = 0;
	if (lua_type(L, a) == LUA_TNUMBER)
		pout = luaL_checkinteger(L, a++);
	const char *to = luaL_checkstring(L, a++);
	pin = luaL_optinteger(L, a, 0);
	luaL_argcheck(L, pout >= 0 && pin >= 0, 3, "port must be >= 0");
	lua_pushstring(L, from);
	if (pout)
		lua_pushfstring(L, " [%I]", pout);
	else
		lua_pushliteral(L, "");
	lua_pushliteral(L, " -> ");
	if (pin)
		lua_pushfstring(L, "[%I] ", pin);
	else
		lua_pushliteral(L, "");
	lua_pushstring(L, to);
	lua_pushliteral(L, ";");
	lua_concat(L, 6);
	lmb_cfg_append(L);
	lua_settop(L, 1);
	return 1;
}

/* g:raw(text): any Click statement(s), as written. */
static int lmb_cfg_raw(lua_State *L)
{
	lmb_check_cfg(L, 1);
	luaL_checkstring(L, 2);
	lua_settop(L, 2);
	lmb_cfg_append(L);
	return 1;
}

static int lmb_cfg_text(lua_State *L)
{
	lmb_check_cfg(L, 1);
	lua_settop(L, 1);
	lmb_check_text(L, 1);
	return 1;
}

/* mb.config() -> builder */
static int mb_config(lua_State *L)
{
	lua_newtable(L);
	luaL_setmetatable(L, LMB_CONFIG_MT);
	return 1;
}

static const luaL_Reg lmb_element_methods[] = {
	{"read", lmb_el_read},
	{"write", lmb_el_write},
	{"handlers", lmb_el_handlers},
	{NULL, NULL},
};

static const luaL_Reg lmb_config_methods[] = {
	{"element", lmb_cfg_element},
	{"connect", lmb_cfg_connect},
	{"raw", lmb_cfg_raw},
	{"text", lmb_cfg_text},
	{NULL, NULL},
};

static const luaL_Reg mblib[] = {
	{"read", mb_read},
	{"write", mb_write},
	{"swap", mb_swap},
	{"hotconfig", mb_hotconfig},
	{"add", mb_add},
	{"connect", mb_connect},
	{"disconnect", mb_disconnect},
	{"remove", mb_remove},
	{"reconfigure", mb_reconfigure},
	{"migrate", mb_migrate},
	{"placements", mb_placements},
	{"load", mb_load},
	{"graph", mb_graph},
	{"element", mb_element},
	{"stats", mb_stats},
	{"tenants", mb_tenants},
	{"now", mb_now},
	{"config", mb_config},
	{"every", lmb_l_every},
	{"after", lmb_l_after},
	{"sleep", lmb_l_sleep},
	{"spawn", lmb_l_spawn},
	{"on", lmb_l_on},
	{NULL, NULL},
};

static void lmb_class(lua_State *L, const char *name, const luaL_Reg *methods)
{
	luaL_newmetatable(L, name);
	lua_newtable(L);
	luaL_setfuncs(L, methods, 0);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}

int lmb_open_mb(lua_State *L)
{
	lmb_class(L, LMB_ELEMENT_MT, lmb_element_methods);
	lmb_class(L, LMB_CONFIG_MT, lmb_config_methods);
	luaL_newlib(L, mblib);
	lua_pushliteral(L, MBOXSH_VERSION);
	lua_setfield(L, -2, "version");
	return 1;
}
