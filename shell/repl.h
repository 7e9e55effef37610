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
#include "shell/sh_cmd.h"

struct sh;

/* sh_exec's results: 0 done, SH_QUIT the session should end, <0 failed
 * (out then holds "error: <message>"). */
#define SH_QUIT 1

struct rt_buf;

/* A shell bound to router r; the Lua state is created on first use. */
struct sh *sh_new(struct rt_router *r);
/* Free the shell (and its Lua state: the caller then runs the loop once,
 * UV_RUN_NOWAIT, to release Lua's timer handles). */
void sh_free(struct sh *s);
/* A shell that forwards its command lines to another mboxsh (mboxsh
 * --connect, shell/remote.c): exec runs one line over there (output
 * appended to out; <0 when it failed there), complete returns candidates
 * as sh_complete does.  Commands marked SH_LOCAL (quit, exit) and the
 * continuation check (sh_incomplete) run here. */
struct sh_remote_ops {
	int (*exec)(void *arg, const char *text, struct rt_buf *out);
	char **(*complete)(void *arg, const char *line, int start, int end);
};
struct sh *sh_new_remote(const struct sh_remote_ops *ops, void *arg);

/* Run one command line; what it prints (values, tables, "warning: ..."
 * and "error: ..." lines) is appended to out, each line ending in '\n'.
 * Blank lines and lines starting with '#' do nothing. */
int sh_exec(struct sh *s, const char *line, struct rt_buf *out);

/* Completion candidates for the word line[start, end) of the input line:
 * a malloc'd NULL-terminated array of malloc'd strings (sorted), or NULL
 * when file names should be completed instead. */
char **sh_complete(struct sh *s, const char *line, int start, int end);
void sh_complete_free(char **c);

/* Multi-line input: is `text` (lines joined with '\n') a statement cut
 * short, to be continued on the next line?  A Lua chunk (`lua CODE`,
 * `= EXPR`, or a plain Lua statement) that ends early (Lua's "<eof>"
 * error), or Click text (add, connect, swap, ...) with unbalanced
 * brackets or ending in "->", "::" or ",". */
bool sh_incomplete(const char *text);

/* `top [-n N] [-d SECONDS] [--once] [--json]`, run by the front end (it
 * refreshes on a timer): true when line is a top command, with its options
 * (n = 0: until a key or Ctrl-C); a bad option is an error in err. */
struct sh_top_opts {
	int n;            /* snapshots to print, 0 = until interrupted */
	unsigned interval_ms;
	bool json;
};
bool sh_top_parse(const char *line, struct sh_top_opts *o, struct rt_err *err);

/* Serve this shell's commands on a control socket (its SHELL, SHELLDATA
 * and COMPLETE commands, docs/control-socket.md). */
struct rt_ctlsock;
void sh_ctlsock_attach(struct sh *s, struct rt_ctlsock *cs);

/* The front end (repl.c).  With tty, a libedit prompt ("mboxsh> ") with
 * history in ~/.mboxsh_history and completion; otherwise commands are read
 * from stdin line by line, without a prompt.  End of input or `quit` stops
 * the router.  Only one front end per process (libedit's callback
 * interface is global). */
int sh_repl_start(struct sh *s, uv_loop_t *loop, bool tty);
/* SIGINT arrived (from the loop's signal handle): true when the front end
 * took it (on a terminal: clear the line, cancel a multi-line statement,
 * end `top`); false when the caller should stop as usual. */
bool sh_repl_interrupt(void);
/* Close the front end (after the loop stopped); returns the number of
 * commands that failed when reading a script (0 on a terminal). */
int sh_repl_stop(void);

#endif
