/*
 * repl.h - the operator shell: a command dispatcher over the control API
 * (cmds.c) and the interactive / scripted front end on the router's libuv
 * loop (repl.c).  The commands only parse and format; every operation is
 * one rt_ctl_* (or lmb_*) call.
 *
 * Thread-safety: control thread only (the thread running the loop).
 */
#ifndef MB_SH_REPL_H
#define MB_SH_REPL_H

#include <stdbool.h>

#include "router.h"

struct sh;

/* sh_exec's results: 0 done, SH_QUIT the session should end, <0 failed
 * (out then holds "error: <message>"). */
#define SH_QUIT 1

/* A shell bound to router r; the Lua state is created on first use. */
struct sh *sh_new(struct rt_router *r);
/* Free the shell (and its Lua state: the caller then runs the loop once,
 * UV_RUN_NOWAIT, to release Lua's timer handles). */
void sh_free(struct sh *s);
/* The router the shell drives. */
struct rt_router *sh_router(const struct sh *s);

/* Run one command line; what it prints (values, tables, "warning: ..."
 * and "error: ..." lines) is appended to out, each line ending in '\n'.
 * Blank lines and lines starting with '#' do nothing. */
int sh_exec(struct sh *s, const char *line, struct rt_buf *out);

/* Completion candidates for the word line[start, end) of the input line:
 * a malloc'd NULL-terminated array of malloc'd strings (sorted), or NULL
 * when file names should be completed instead. */
char **sh_complete(struct sh *s, const char *line, int start, int end);
void sh_complete_free(char **c);

/* The front end (repl.c).  With tty, a libedit prompt ("mboxsh> ") with
 * history in ~/.mboxsh_history and completion; otherwise commands are read
 * from stdin line by line, without a prompt.  End of input or `quit` stops
 * the router.  Only one front end per process (libedit's callback
 * interface is global). */
int sh_repl_start(struct sh *s, uv_loop_t *loop, bool tty);
/* Close the front end (after the loop stopped); returns the number of
 * commands that failed when reading a script (0 on a terminal). */
int sh_repl_stop(void);

#endif
