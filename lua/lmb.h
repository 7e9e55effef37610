/*
 * lmb.h - the Lua 5.4 binding: a Lua state with the `mb` module, a thin
 * face over the control API (ctl.h).  Every operation the scripts can do is
 * one rt_ctl_* call; this layer only converts arguments and results.
 *
 * Thread-safety: control thread only (the thread that runs the router's
 * libuv loop).  Timers and coroutines (mb.every, mb.after, mb.sleep) run on
 * that loop.
 */
#ifndef MB_LMB_H
#define MB_LMB_H

#include <stdint.h>

#include "ctl.h"

struct lmb;

#define LMB_DEFAULT_MEM_LIMIT ((size_t)64 << 20)

/* Create a Lua state bound to router r, with the standard libraries and
 * `mb` (also available as require "mb").  mem_limit caps the bytes the
 * state may allocate (0: LMB_DEFAULT_MEM_LIMIT); an allocation beyond it
 * fails as a Lua memory error.  NULL on error, with err filled. */
struct lmb *lmb_new(struct rt_router *r, size_t mem_limit, struct rt_err *err);

/* A Lua state acting for id (ctl.h, identities): every chunk, timer and
 * coroutine of it calls the control API as id.  A tenant's state is
 * sandboxed: no io, os, debug or package (nor require, dofile, loadfile;
 * load takes text only), its memory and instructions per call capped by
 * the tenant's quotas (tenant/tn.h).  The operator's is lmb_new's. */
struct lmb *lmb_new_as(struct rt_router *r, struct rt_ident id, struct rt_err *err);

/* Stop every timer and coroutine, close the Lua state and free.  Timer
 * handles are closed asynchronously: the caller runs
 * uv_run(rt_router_loop(r), UV_RUN_NOWAIT) afterwards to release them. */
void lmb_free(struct lmb *m);

/* Abort a call (chunk, timer callback, coroutine step) after about `n` VM
 * instructions; 0 = no limit (the default).  Checked every 1000. */
void lmb_set_instruction_limit(struct lmb *m, uint64_t n);

/* Interrupt the chunk running now: it fails with "interrupted" (with its
 * location and traceback) at its next instruction.  Async-signal-safe:
 * meant for a SIGINT handler (lua_sethook is, as in lua.c). */
void lmb_interrupt(struct lmb *m);

/* Run a chunk in a protected call.  What `print` writes goes to out (when
 * out is not NULL; else stdout).  On a Lua error returns <0 with err->msg
 * holding "chunk:line: message" and the traceback; the state stays usable.
 * chunkname follows Lua's convention ("=name" or "@file"). */
int lmb_dostring(struct lmb *m, const char *code, const char *chunkname, struct rt_buf *out,
		 struct rt_err *err);
int lmb_dofile(struct lmb *m, const char *path, struct rt_buf *out, struct rt_err *err);
/* Evaluate an expression (a leading '=' is skipped) and print its values
 * like the Lua REPL (tab-separated, one line); a statement is run as is. */
int lmb_eval(struct lmb *m, const char *expr, struct rt_buf *out, struct rt_err *err);

/* Timers and sleeping coroutines still scheduled: the driver runs the loop
 * while this is not 0. */
int lmb_pending(const struct lmb *m);
/* Errors raised so far by timer callbacks and coroutines (reported on
 * stderr with their traceback when they happened). */
int lmb_async_errors(const struct lmb *m);
/* Run the callbacks registered with mb.on("stop", fn) (the router stopped). */
void lmb_notify_stop(struct lmb *m);

#endif
