/*
 * lmb.c - the Lua state behind the `mb` module: a bounded allocator, an
 * instruction-count hook, protected calls with a traceback, and the
 * libuv-driven parts (timers, sleeping coroutines) on the router's loop.
 * The operations themselves are in lmb_lib.c, each one rt_ctl_* call.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lmb_int.h"
#include "tenant/tn.h"

#define LMB_HOOK_EVERY 1000	/* instructions between two limit checks */
#define LMB_TIMER_MT "mb.timer"
#define LMB_SPAWNED "mb.spawned"	/* registry: thread -> true while it runs */
#define LMB_ONSTOP "mb.onstop"		/* registry: array of stop callbacks */

/* A scheduled timer: mb.every / mb.after (fnref, with a Lua object udref)
 * or the wake-up of a coroutine sleeping in mb.sleep (co).  Freed when
 * libuv has closed the handle. */
struct lmb_timer {
	uv_timer_t h;
	struct lmb *m;
	struct lmb_timer *next, **pprev;
	int fnref, udref;
	lua_State *co;
	bool repeat, closed;
};

struct lmb *lmb_of(lua_State *L) { return *(struct lmb **)lua_getextraspace(L); }

/* ---- allocator and hook ---------------------------------------------------- */

/* lua_Alloc with a cap: a request that would pass mem_limit fails (Lua then
 * collects and retries, then raises "not enough memory").  Shrinking never
 * fails. */
static void *lmb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct lmb *m = ud;
	size_t old = ptr ? osize : 0;
	if (nsize == 0) {
		free(ptr);
		m->mem_used -= old;
		return NULL;
	}
	if (nsize > old && m->mem_used - old + nsize > m->mem_limit)
		return NULL;
	void *p = realloc(ptr, nsize);
	if (p)
		m->mem_used = m->mem_used - old + nsize;
	return p;
}

static void lmb_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct lmb *m = lmb_of(L);
	if (m->interrupted) {
		m->interrupted = 0;
		lmb_set_instruction_limit(m, m->instr_limit); /* the usual hook again */
		luaL_where(L, 0);
		lua_pushfstring(L, "%sinterrupted", lua_tostring(L, -1));
		lua_error(L);
	}
	m->instr_count += LMB_HOOK_EVERY;
	if (m->instr_limit && m->instr_count > m->instr_limit) {
		luaL_where(L, 0); /* in a hook, level 0 is the function running */
		lua_pushfstring(L, "%sinstruction limit (%I) exceeded", lua_tostring(L, -1), (lua_Integer)m->instr_limit);
		lua_error(L);
	}
}

void lmb_set_instruction_limit(struct lmb *m, uint64_t n)
{
	m->instr_limit = n;
	lua_sethook(m->L, n ? lmb_hook : NULL, n ? LUA_MASKCOUNT : 0, LMB_HOOK_EVERY);
}

void lmb_interrupt(struct lmb *m)
{
	m->interrupted = 1;
	lua_sethook(m->L, lmb_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

/* ---- protected calls ----------------------------------------------------- */

/* Message handler: the error with its traceback. */
static int lmb_msgh(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (!msg)
		msg = luaL_tolstring(L, 1, NULL);
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* Print values [first, first+n) like `print`: tab-separated, one line. */
static void lmb_print_values(lua_State *L, int first, int n)
{
	struct lmb *m = lmb_of(L);
	for (int i = 0; i < n; i++) {
		size_t len;
		const char *s = luaL_tolstring(L, first + i, &len);
		if (m->out) {
			if (i)
				rt_buf_add(m->out, "\t", 1);
			rt_buf_add(m->out, s, len);
		} else {
			if (i)
				fputc('\t', stdout);
			fwrite(s, 1, len, stdout);
		}
		lua_pop(L, 1);
	}
	if (m->out)
		rt_buf_add(m->out, "\n", 1);
	else {
		fputc('\n', stdout);
		fflush(stdout);
	}
}

static int lmb_print(lua_State *L)
{
	lmb_print_values(L, 1, lua_gettop(L));
	return 0;
}

static int lmb_fail(lua_State *L, int st, struct rt_err *err)
{
	const char *msg = lua_tostring(L, -1);
	rt_errf(err, NULL, st == LUA_ERRMEM ? -ENOMEM : -EINVAL, "%s", msg ? msg : "(error object is not a string)");
	lua_pop(L, 1);
	return err->code;
}

/* Call the chunk on top of the stack; print its results when `show`. */
static int lmb_call(struct lmb *m, bool show, struct rt_buf *out, struct rt_err *err)
{
	lua_State *L = m->L;
	int base = lua_gettop(L); /* the chunk */
	lua_pushcfunction(L, lmb_msgh);
	lua_insert(L, base);
	struct rt_buf *saved = m->out;
	m->out = out;
	m->instr_count = 0;
	if (m->interrupted) { /* a Ctrl-C that came after the last chunk ended */
		m->interrupted = 0;
		lmb_set_instruction_limit(m, m->instr_limit);
	}
	struct rt_ident was = rt_ctl_enter(m->r, m->id);
	int st = lua_pcall(L, 0, LUA_MULTRET, base);
	if (st == LUA_OK && show && lua_gettop(L) > base) {
		/* printing may call __tostring: protected too */
		lua_pushcfunction(L, lmb_print);
		lua_insert(L, base + 1);
		st = lua_pcall(L, lua_gettop(L) - base - 1, 0, base);
	}
	rt_ctl_leave(m->r, was);
	int rc = st != LUA_OK ? lmb_fail(L, st, err) : 0;
	m->out = saved;
	lua_settop(L, base - 1);
	return rc;
}

int lmb_dostring(struct lmb *m, const char *code, const char *chunkname, struct rt_buf *out,
		 struct rt_err *err)
{
	int st = luaL_loadbufferx(m->L, code, strlen(code), chunkname ? chunkname : "=(string)", "t");
	if (st != LUA_OK)
		return lmb_fail(m->L, st, err);
	return lmb_call(m, false, out, err);
}

int lmb_dofile(struct lmb *m, const char *path, struct rt_buf *out, struct rt_err *err)
{
	int st = luaL_loadfilex(m->L, path, "t");
	if (st != LUA_OK)
		return lmb_fail(m->L, st, err);
	return lmb_call(m, false, out, err);
}

int lmb_eval(struct lmb *m, const char *expr, struct rt_buf *out, struct rt_err *err)
{
	lua_State *L = m->L;
	if (*expr == '=')
		expr++;
	lua_pushfstring(L, "return %s;", expr);
	int st = luaL_loadbufferx(L, lua_tostring(L, -1), lua_rawlen(L, -1), "=eval", "t");
	lua_remove(L, -2);
	if (st != LUA_OK) {
		lua_pop(L, 1);
		if ((st = luaL_loadbufferx(L, expr, strlen(expr), "=eval", "t")) != LUA_OK)
			return lmb_fail(L, st, err);
	}
	return lmb_call(m, true, out, err);
}

/* ---- timers and coroutines ------------------------------------------------- */

static void lmb_timer_closed(uv_handle_t *h) { free(h->data); }

static void lmb_timer_stop(struct lmb_timer *t)
{
	if (t->closed)
		return;
	struct lmb *m = t->m;
	t->closed = true;
	uv_timer_stop(&t->h);
	if ((*t->pprev = t->next))
		t->next->pprev = t->pprev;
	m->pending--;
	luaL_unref(m->L, LUA_REGISTRYINDEX, t->fnref);
	if (t->udref != LUA_NOREF) {
		lua_rawgeti(m->L, LUA_REGISTRYINDEX, t->udref);
		*(struct lmb_timer **)lua_touserdata(m->L, -1) = NULL;
		lua_pop(m->L, 1);
		luaL_unref(m->L, LUA_REGISTRYINDEX, t->udref);
	}
	uv_close((uv_handle_t *)&t->h, lmb_timer_closed);
}

static void lmb_on_timer(uv_timer_t *h);

static struct lmb_timer *lmb_timer_new(struct lmb *m, uint64_t ms, bool repeat)
{
	struct lmb_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	uv_timer_init(rt_router_loop(m->r), &t->h);
	t->h.data = t;
	t->m = m;
	t->fnref = t->udref = LUA_NOREF;
	t->repeat = repeat;
	if ((t->next = m->timers))
		t->next->pprev = &t->next;
	m->timers = t;
	t->pprev = &m->timers;
	m->pending++;
	/* the loop's cached time may be old (a long script, a loop not run yet) */
	uv_update_time(rt_router_loop(m->r));
	uv_timer_start(&t->h, lmb_on_timer, ms, repeat ? ms : 0);
	return t;
}

static void lmb_report(struct lmb *m, lua_State *L, const char *what)
{
	fprintf(stderr, "%s: %s\n", what, lua_tostring(L, -1));
	m->async_errors++;
}

static void lmb_spawned_done(struct lmb *m, lua_State *co)
{
	lua_State *L = m->L;
	lua_getfield(L, LUA_REGISTRYINDEX, LMB_SPAWNED);
	lua_pushthread(co);
	lua_xmove(co, L, 1);
	lua_pushnil(L);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

/* Resume a spawned coroutine (nargs on its stack).  A bare yield (not
 * through mb.sleep) is treated as mb.sleep(0). */
static void lmb_resume(struct lmb *m, lua_State *co, lua_State *from, int nargs)
{
	int nres;
	m->slept = false;
	m->instr_count = 0;
	struct rt_ident was = rt_ctl_enter(m->r, m->id);
	int st = lua_resume(co, from, nargs, &nres);
	rt_ctl_leave(m->r, was);
	if (st == LUA_YIELD) {
		lua_pop(co, nres);
		if (!m->slept) {
			struct lmb_timer *t = lmb_timer_new(m, 0, false);
			if (t)
				t->co = co;
		}
		return;
	}
	if (st != LUA_OK) {
		/* outside any protected call: lift the cap so the report cannot
		 * fail for memory (the coroutine's memory is about to go) */
		size_t limit = m->mem_limit;
		m->mem_limit = SIZE_MAX;
		const char *msg = lua_tostring(co, -1);
		luaL_traceback(m->L, co, msg ? msg : "(error object is not a string)", 0);
		lmb_report(m, m->L, "mb.spawn");
		lua_pop(m->L, 1);
		m->mem_limit = limit;
	}
	lua_settop(co, 0);
	lmb_spawned_done(m, co);
}

static void lmb_on_timer(uv_timer_t *h)
{
	struct lmb_timer *t = h->data;
	struct lmb *m = t->m;
	if (t->co) {
		lua_State *co = t->co;
		lmb_timer_stop(t);
		lmb_resume(m, co, NULL, 0);
		return;
	}
	lua_State *L = m->L;
	lua_pushcfunction(L, lmb_msgh);
	lua_rawgeti(L, LUA_REGISTRYINDEX, t->fnref);
	if (t->udref != LUA_NOREF)
		lua_rawgeti(L, LUA_REGISTRYINDEX, t->udref);
	else
		lua_pushnil(L);
	m->instr_count = 0;
	struct rt_ident was = rt_ctl_enter(m->r, m->id);
	int st = lua_pcall(L, 1, 0, -3);
	rt_ctl_leave(m->r, was);
	if (st != LUA_OK) {
		lmb_report(m, L, t->repeat ? "mb.every" : "mb.after");
		lmb_timer_stop(t);
		lua_pop(L, 1);
	} else if (!t->repeat)
		lmb_timer_stop(t);
	lua_pop(L, 1); /* msgh */
}

static uint64_t lmb_check_ms(lua_State *L, int arg, lua_Number min)
{
	lua_Number ms = luaL_checknumber(L, arg);
	luaL_argcheck(L, ms >= min && ms < 1e12, arg, min > 0 ? "milliseconds must be > 0" : "milliseconds must be >= 0");
	return (uint64_t)ms;
}

static int lmb_schedule(lua_State *L, bool repeat)
{
	struct lmb *m = lmb_of(L);
	uint64_t ms = lmb_check_ms(L, 1, repeat ? 1 : 0);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	struct lmb_timer **ud = lua_newuserdatauv(L, sizeof(*ud), 0);
	*ud = NULL;
	luaL_setmetatable(L, LMB_TIMER_MT);
	struct lmb_timer *t = lmb_timer_new(m, ms, repeat);
	if (!t)
		return luaL_error(L, "out of memory");
	*ud = t;
	lua_pushvalue(L, 2);
	t->fnref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_pushvalue(L, -1);
	t->udref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 1;
}

int lmb_l_every(lua_State *L) { return lmb_schedule(L, true); }
int lmb_l_after(lua_State *L) { return lmb_schedule(L, false); }

static int lmb_timer_l_stop(lua_State *L)
{
	struct lmb_timer **ud = luaL_checkudata(L, 1, LMB_TIMER_MT);
	if (*ud)
		lmb_timer_stop(*ud);
	return 0;
}

static int lmb_timer_l_active(lua_State *L)
{
	struct lmb_timer **ud = luaL_checkudata(L, 1, LMB_TIMER_MT);
	lua_pushboolean(L, *ud != NULL);
	return 1;
}

static bool lmb_is_spawned(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, LMB_SPAWNED);
	lua_pushthread(L);
	lua_rawget(L, -2);
	bool yes = lua_toboolean(L, -1);
	lua_pop(L, 2);
	return yes;
}

int lmb_l_sleep(lua_State *L)
{
	struct lmb *m = lmb_of(L);
	uint64_t ms = lmb_check_ms(L, 1, 0);
	if (!lmb_is_spawned(L) || !lua_isyieldable(L))
		return luaL_error(L, "mb.sleep: not in a coroutine started with mb.spawn");
	struct lmb_timer *t = lmb_timer_new(m, ms, false);
	if (!t)
		return luaL_error(L, "out of memory");
	t->co = L;
	m->slept = true;
	return lua_yield(L, 0);
}

/* mb.spawn(fn, ...): run fn in a new coroutine now, until it sleeps. */
int lmb_l_spawn(lua_State *L)
{
	struct lmb *m = lmb_of(L);
	luaL_checktype(L, 1, LUA_TFUNCTION);
	int n = lua_gettop(L);
	lua_State *co = lua_newthread(L);
	lua_getfield(L, LUA_REGISTRYINDEX, LMB_SPAWNED);
	lua_pushvalue(L, -2);
	lua_pushboolean(L, 1);
	lua_rawset(L, -3);
	lua_pop(L, 1);
	lua_pushvalue(L, 1);
	lua_xmove(L, co, 1);
	for (int i = 2; i <= n; i++) {
		lua_pushvalue(L, i);
		lua_xmove(L, co, 1);
	}
	uint64_t saved = m->instr_count;
	lmb_resume(m, co, L, n - 1);
	m->instr_count = saved;
	return 1; /* the coroutine */
}

/* mb.on("stop", fn) */
int lmb_l_on(lua_State *L)
{
	static const char *const events[] = {"stop", NULL};
	luaL_checkoption(L, 1, NULL, events);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_getfield(L, LUA_REGISTRYINDEX, LMB_ONSTOP);
	lua_pushvalue(L, 2);
	lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	return 0;
}

void lmb_notify_stop(struct lmb *m)
{
	lua_State *L = m->L;
	lua_getfield(L, LUA_REGISTRYINDEX, LMB_ONSTOP);
	lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_pushcfunction(L, lmb_msgh);
		lua_rawgeti(L, -2, i);
		m->instr_count = 0;
		struct rt_ident was = rt_ctl_enter(m->r, m->id);
		int st = lua_pcall(L, 0, 0, -2);
		rt_ctl_leave(m->r, was);
		if (st != LUA_OK) {
			lmb_report(m, L, "mb.on(\"stop\")");
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

int lmb_pending(const struct lmb *m) { return m->pending; }
int lmb_async_errors(const struct lmb *m) { return m->async_errors; }

/* ---- the state ----------------------------------------------------------- */

static const luaL_Reg lmb_timer_methods[] = {
	{"stop", lmb_timer_l_stop},
	{"active", lmb_timer_l_active},
	{NULL, NULL},
};

static int lmb_setup(lua_State *L)
{
	luaL_openlibs(L);
	lua_pushcfunction(L, lmb_print);
	lua_setglobal(L, "print");
	luaL_newmetatable(L, LMB_TIMER_MT);
	luaL_newlib(L, lmb_timer_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, LMB_SPAWNED);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, LMB_ONSTOP);
	luaL_requiref(L, "mb", lmb_open_mb, 1);
	lua_pop(L, 1);
	return 0;
}

struct lmb *lmb_new(struct rt_router *r, size_t mem_limit, struct rt_err *err)
{
	struct lmb *m = calloc(1, sizeof(*m));
	if (!m) {
		rt_errf(err, NULL, -ENOMEM, "lua: out of memory");
		return NULL;
	}
	m->r = r;
	m->mem_limit = mem_limit ? mem_limit : LMB_DEFAULT_MEM_LIMIT;
	if (!(m->L = lua_newstate(lmb_alloc, m))) {
		rt_errf(err, NULL, -ENOMEM, "lua: cannot create a state within %zu bytes", m->mem_limit);
		goto fail_state;
	}
	*(struct lmb **)lua_getextraspace(m->L) = m;
	lua_pushcfunction(m->L, lmb_setup);
	if (lua_pcall(m->L, 0, 0, 0) != LUA_OK) {
		rt_errf(err, NULL, -ENOMEM, "lua: %s", lua_tostring(m->L, -1));
		goto fail_setup;
	}
	return m;
fail_setup:
	lua_close(m->L);
fail_state:
	free(m);
	return NULL;
}

/* load(chunk [, name [, mode [, env]]]) with text chunks only: precompiled
 * bytecode is not checked by Lua and can break the VM. */
static int lmb_load_text(lua_State *L)
{
	int n = lua_gettop(L), nargs = n >= 4 ? 4 : 3; /* env only when given */
	lua_pushvalue(L, lua_upvalueindex(1));
	for (int i = 1; i <= nargs; i++) {
		if (i == 3)
			lua_pushliteral(L, "t");
		else if (i <= n)
			lua_pushvalue(L, i);
		else
			lua_pushnil(L);
	}
	lua_call(L, nargs, LUA_MULTRET);
	return lua_gettop(L) - n;
}

static int lmb_sandbox(lua_State *L)
{
	static const char *const gone[] = {"io", "os", "debug", "package", "require", "dofile", "loadfile", NULL};
	for (int i = 0; gone[i]; i++) {
		lua_pushnil(L);
		lua_setglobal(L, gone[i]);
	}
	lua_getglobal(L, "load");
	lua_pushcclosure(L, lmb_load_text, 1);
	lua_setglobal(L, "load");
	/* string.dump makes bytecode: useless without binary load */
	lua_getglobal(L, "string");
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
	return 0;
}

struct lmb *lmb_new_as(struct rt_router *r, struct rt_ident id, struct rt_err *err)
{
	if (rt_ident_is_operator(id))
		return lmb_new(r, 0, err);
	const struct tn *t = tn_by_id(r, id.tenant);
	if (!t) {
		rt_errf(err, NULL, -EACCES, "lua: not authenticated");
		return NULL;
	}
	struct lmb *m = lmb_new(r, tn_quota(t)->lua_mem, err);
	if (!m)
		return NULL;
	m->id = id;
	lua_pushcfunction(m->L, lmb_sandbox);
	if (lua_pcall(m->L, 0, 0, 0) != LUA_OK) {
		rt_errf(err, NULL, -ENOMEM, "lua: %s", lua_tostring(m->L, -1));
		lmb_free(m);
		return NULL;
	}
	lmb_set_instruction_limit(m, tn_quota(t)->lua_instr);
	return m;
}

void lmb_free(struct lmb *m)
{
	if (!m)
		return;
	while (m->timers)
		lmb_timer_stop(m->timers);
	lua_close(m->L);
	free(m);
}
