/*
 * sh_int.h - the shell's internals shared by its command files (cmds.c,
 * cmd_lua.c, cmd_prof.c): the shell object.
 */
#ifndef MB_SH_INT_H
#define MB_SH_INT_H

#include "shell/repl.h"
#include "shell/sh_cmd.h"

/* The last profile snapshot of one element (cmd_prof.c). */
struct sh_prof_snap {
	char *name, *cls;
	uint64_t pkts, cycles;
};

struct sh {
	struct rt_router *r;         /* NULL for a remote shell */
	struct lmb *lua;             /* created by the first lua / = / run */
	const struct sh_remote_ops *remote;
	void *remote_arg;
	/* `profile`: the previous snapshot, rates are over the time since */
	struct sh_prof_snap *prof;
	int nprof;
	uint64_t prof_ns;            /* when it was taken; 0 = none */
	struct rt_ident id;          /* who the shell acts for (operator by default) */
	struct sh_tlua {             /* a sandboxed Lua state per tenant served */
		uint32_t tenant;
		struct lmb *lua;
	} *tlua;
	int ntlua;
};

/* cmd_lua.c: a plain Lua statement typed at the prompt ("for i = 1, 3 do",
 * "print(x)", "x = 1"): true when the line starts like one. */
bool sh_looks_like_lua(const char *line);
int sh_lua_run(struct sh *s, const char *code, struct rt_buf *out, struct rt_err *err);
/* cmd_lua.c: is this Lua chunk (expr: an expression for `=`) cut short? */
bool sh_lua_incomplete(const char *code, bool expr);

/* The command of a line, from every registered table (cmds.c); *rest is
 * moved past its words. */
const struct sh_cmd *sh_lookup(char **rest);

#endif
