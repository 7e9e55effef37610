/*
 * sh_cmd.h - declaring shell commands next to the code they drive.
 *
 * A module (runtime, flow/, migrate/, ...) writes a table of commands and
 * registers it from a constructor with SH_COMMANDS, as elements do with
 * EL_REGISTER: there is no central list.  A command only parses its words,
 * makes one control-API call and formats the result into out; on failure
 * it returns a negative code with err filled (the dispatcher prints it as
 * one "error: ..." line).  The same command then works at the prompt, in
 * piped scripts, and remotely (mboxsh --connect, the control socket's
 * SHELL command).
 *
 *     static int cmd_flows(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
 *     { ... rt_ctl_... (sh_router(s), ...) ... }
 *     static const struct sh_cmd flow_cmds[] = {
 *             {"show flows", "[--json]", "the flow table", cmd_flows, SH_JSON},
 *             SH_CMDS_END,
 *     };
 *     SH_COMMANDS(flow_cmds)
 *
 * Thread-safety: registration runs before main; commands run on the
 * control thread.
 */
#ifndef MB_SH_CMD_H
#define MB_SH_CMD_H

#include <stdbool.h>

#include "ctl.h"

struct sh;
struct lmb;

/* One parsed command line: the text after the command word(s), trimmed;
 * json when the command takes --json and it was given (removed from rest). */
struct sh_args {
	char *rest;
	bool json;
};

typedef int (*sh_fn)(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err);

enum {
	SH_JSON = 1,      /* takes --json */
	SH_LOCAL = 2,     /* a remote shell runs it itself instead of forwarding it (quit) */
};

struct sh_cmd {
	const char *name; /* one or two words ("show elements") */
	const char *args; /* synopsis of the arguments, for help */
	const char *help; /* one line */
	sh_fn fn;
	unsigned flags;   /* SH_* */
};
#define SH_CMDS_END { NULL, NULL, NULL, NULL, 0 }

/* A registered table (the registry links them). */
struct sh_cmds {
	const struct sh_cmd *v;
	struct sh_cmds *next;
};
void sh_cmds_register(struct sh_cmds *t);

#define SH_COMMANDS(tbl) \
	static struct sh_cmds tbl##_reg = {tbl, NULL}; \
	__attribute__((constructor)) static void sh_register_##tbl(void) { sh_cmds_register(&tbl##_reg); }

/* ---- helpers for commands ---------------------------------------------- */

/* The router the shell drives (NULL for a remote shell: its commands are
 * never called locally). */
struct rt_router *sh_router(const struct sh *s);
/* Act for id from now on (a shell started by a tenant: mboxsh --tenant). */
void sh_set_ident(struct sh *s, struct rt_ident id);
/* The shell's Lua state for the identity it acts for now, created on first
 * use (NULL with err filled): a tenant's is sandboxed (lmb_new_as). */
struct lmb *sh_lua(struct sh *s, struct rt_err *err);
/* Split off the first word of *p (NUL-terminated in place); NULL if none. */
char *sh_word(char **p);
char *sh_trim(char *p);
/* err "missing WHAT" when v is NULL or empty. */
int sh_need(const char *what, const char *v, struct rt_err *err);
/* A JSON string literal. */
void sh_put_json_str(struct rt_buf *out, const char *s);
/* A value with exactly one trailing newline (nothing when empty). */
void sh_put_value(struct rt_buf *out, const struct rt_buf *v);
/* Width of the widest element name and class name (at least 4 and 5), so
 * that tables line up. */
void sh_name_widths(struct rt_router *r, int *wn, int *wc);

#endif
