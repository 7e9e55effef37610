/*
 * lmb_int.h - internals shared by the Lua binding's files: the state
 * (lmb.c) and the `mb` library (lmb_lib.c).
 */
#ifndef MB_LMB_INT_H
#define MB_LMB_INT_H

#include <signal.h>

#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>

#include "ctl.h"
#include "lmb.h"

struct lmb_timer;

struct lmb {
	lua_State *L;
	struct rt_router *r;
	struct rt_ident id;            /* who it acts for (lmb_new_as) */
	size_t mem_limit, mem_used;
	uint64_t instr_limit, instr_count;
	struct rt_buf *out;            /* where print writes; NULL = stdout */
	struct lmb_timer *timers;      /* scheduled ones */
	int pending;
	int async_errors;
	bool slept;                    /* the coroutine just resumed called mb.sleep */
	volatile sig_atomic_t interrupted; /* lmb_interrupt: stop at the next hook */
};

/* The lmb of a Lua state (stored in the registry). */
struct lmb *lmb_of(lua_State *L);

/* Open the `mb` library (lmb_lib.c): leaves the module table on the stack. */
int lmb_open_mb(lua_State *L);

/* mb.every / mb.after / mb.sleep / mb.spawn (lmb.c), registered by lmb_lib.c. */
int lmb_l_every(lua_State *L);
int lmb_l_after(lua_State *L);
int lmb_l_sleep(lua_State *L);
int lmb_l_spawn(lua_State *L);
int lmb_l_on(lua_State *L);

#endif
