/*
 * ctlsock_cmds.c - the ControlSocket/1.3 commands (READ, WRITE, the data
 * forms, CHECKREAD/CHECKWRITE, LLRPC, QUIT, HELP) and mboxsh's own (SHELL,
 * SHELLDATA, COMPLETE): each parses its words, calls the control API (or
 * the shell hook) and formats the reply.  The connection's state machine,
 * input and output are in ctlsock.c.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlsock_int.h"
#include "tenant/tn.h"

/* ---- commands ------------------------------------------------------------ */

/* A command line cut in place: the command word (upper-cased), the
 * handler, and the rest from the third word to the last one's end. */
struct cs_words {
	int n;
	char *cmd, *h, *rest;
};

static void split_words(char *line, size_t n, struct cs_words *ws)
{
	char *w[2] = {NULL, NULL}, *end = line;
	size_t i = 0;
	memset(ws, 0, sizeof(*ws));
	while (i < n) {
		while (i < n && isspace((unsigned char)line[i]))
			i++;
		if (i == n)
			break;
		if (ws->n == 2)
			ws->rest = line + i;
		else if (ws->n < 2)
			w[ws->n] = line + i;
		while (i < n && !isspace((unsigned char)line[i]))
			i++;
		end = line + i;
		if (ws->n++ < 2) { /* cut at the space, terminator or buffer NUL after it */
			line[i] = 0;
			i += i < n;
		}
	}
	if (ws->rest)
		*end = 0;
	ws->cmd = w[0];
	ws->h = w[1];
	for (char *p = ws->cmd; p && *p; p++)
		*p = (char)toupper((unsigned char)*p);
}

static void do_read(struct cs_client *c, const char *h, const char *param)
{
	struct rt_buf v;
	struct rt_err err;
	rt_buf_init(&v);
	rt_err_clear(&err);
	if (rt_ctl_read_param(c->s->r, h, param, &v, &err) < 0) {
		cs_reply_err(c, "Read", h, &err);
	} else {
		cs_reply(c, CS_OK, "Read handler '%s' OK", h);
		rt_buf_printf(&c->out, "DATA %zu\r\n", v.len);
		rt_buf_add(&c->out, v.p ? v.p : "", v.len);
	}
	rt_buf_free(&v);
}

static void do_write(struct cs_client *c, const char *h, const char *value)
{
	struct rt_err err;
	rt_err_clear(&err);
	if (rt_ctl_write(c->s->r, h, value, &err) < 0)
		cs_reply_err(c, "Write", h, &err);
	else
		cs_reply(c, CS_OK, "Write handler '%s' OK", h);
}

/* ---- mboxsh's shell commands ------------------------------------------------- */

/* One shell command line (maybe several lines of text): "200" or "520"
 * with the error's text, then DATA with everything it printed. */
static void do_shell(struct cs_client *c, const char *text)
{
	struct rt_buf out;
	rt_buf_init(&out);
	int rc = c->s->sh->exec(c->s->sh_arg, text, &out);
	if (rc < 0) {
		const char *e = out.p ? strstr(out.p, "error: ") : NULL;
		size_t n = e ? strcspn(e + 7, "\n") : 0;
		if (e)
			cs_put_line(c, CS_HANDLER_ERROR, false, e + 7, n);
		else
			cs_reply(c, CS_HANDLER_ERROR, "Shell command failed");
	} else {
		cs_reply(c, CS_OK, "Shell command OK");
	}
	rt_buf_printf(&c->out, "DATA %zu\r\n", out.len);
	rt_buf_add(&c->out, out.p ? out.p : "", out.len);
	rt_buf_free(&out);
}

/* Candidates for line[start, end): DATA "words\n" then one a line, or
 * "files\n" when file names are to be completed. */
static void do_complete(struct cs_client *c, const char *line)
{
	int len = (int)strlen(line);
	if (c->cstart < 0 || c->cend < c->cstart || c->cend > len) {
		cs_reply(c, CS_SYNTAX, "Completion range outside the line");
		return;
	}
	char **v = c->s->sh->complete(c->s->sh_arg, line, c->cstart, c->cend);
	struct rt_buf b;
	rt_buf_init(&b);
	rt_buf_puts(&b, v ? "words\n" : "files\n");
	for (int i = 0; v && v[i]; i++)
		rt_buf_printf(&b, "%s\n", v[i]);
	c->s->sh->complete_free(v);
	cs_reply(c, CS_OK, "Completion OK");
	rt_buf_printf(&c->out, "DATA %zu\r\n", b.len);
	rt_buf_add(&c->out, b.p, b.len);
	rt_buf_free(&b);
}

static void run_data_command(struct cs_client *c);

/* Run the READDATA/WRITEDATA/...UNTIL/SHELLDATA/COMPLETE whose data is
 * complete in c->data, acting for the client. */
void cs_run_data_command(struct cs_client *c)
{
	struct rt_ident was = rt_ctl_enter(c->s->r, c->id);
	run_data_command(c);
	rt_ctl_leave(c->s->r, was);
}

static void run_data_command(struct cs_client *c)
{
	const char *h = c->wait_handler, *data = c->data.p ? c->data.p : "";
	if (c->wait_kind != D_HANDLER && memchr(data, 0, c->data.len))
		cs_reply(c, CS_SYNTAX, "Shell text cannot contain NUL bytes");
	else if (c->wait_kind == D_SHELL)
		do_shell(c, data);
	else if (c->wait_kind == D_COMPLETE)
		do_complete(c, data);
	else if (c->until_overflow)
		cs_reply(c, CS_DATA_TOO_BIG, "Data too large for %s handler '%s'", c->wait_write ? "write" : "read", h);
	else if (memchr(data, 0, c->data.len))
		cs_reply(c, CS_SYNTAX, "Handler data cannot contain NUL bytes");
	else if (c->wait_write)
		do_write(c, h, data);
	else
		do_read(c, h, data);
	free(c->wait_handler);
	free(c->until);
	c->wait_handler = c->until = NULL;
	rt_buf_free(&c->data);
	c->until_overflow = false;
	c->wait_kind = D_HANDLER;
	c->wait = W_LINE;
}

/* A decimal byte count; false on anything else or overflow. */
static bool parse_count(const char *s, uint64_t *v)
{
	*v = 0;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p) || *v > (UINT64_MAX - 9) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(*p - '0');
	}
	return *s != 0;
}

static void cmd_read_write(struct cs_client *c, struct cs_words *ws)
{
	if (ws->cmd[0] == 'R' || ws->cmd[0] == 'G')
		do_read(c, ws->h, ws->rest ? ws->rest : "");
	else
		do_write(c, ws->h, ws->rest ? ws->rest : "");
}

static void cmd_data(struct cs_client *c, struct cs_words *ws)
{
	if (!parse_count(ws->rest, &c->need)) {
		cs_reply(c, CS_SYNTAX, "Syntax error in '%s'", ws->cmd);
		return;
	}
	c->wait_write = ws->cmd[0] != 'R';
	if (c->need <= RT_CTLSOCK_MAX_DATA) {
		c->wait = W_DATA;
		c->wait_handler = strdup(ws->h);
		return;
	}
	/* refuse now, then drop the data so that the next command is found */
	cs_reply(c, CS_DATA_TOO_BIG, "Data too large for %s handler '%s'", c->wait_write ? "write" : "read", ws->h);
	c->wait = W_SKIP;
}

static void cmd_until(struct cs_client *c, struct cs_words *ws)
{
	c->wait = W_UNTIL;
	c->wait_write = ws->cmd[0] == 'W';
	c->wait_handler = strdup(ws->h);
	c->until = strdup(ws->rest ? ws->rest : "");
}

static void cmd_check(struct cs_client *c, struct cs_words *ws)
{
	struct rt_err err;
	bool write = ws->cmd[5] == 'W';
	rt_err_clear(&err);
	if (rt_ctl_check(c->s->r, ws->h, write, &err) < 0)
		cs_put_msg(c, cs_err_code(&err), false, err.msg);
	else
		cs_reply(c, CS_OK, "%s handler '%s' OK", write ? "Write" : "Read", ws->h);
}

/* No LLRPCs here: refuse it and drop its data, as Click does for an LLRPC
 * it cannot call remotely. */
static void cmd_llrpc(struct cs_client *c, struct cs_words *ws)
{
	uint64_t len = 0;
	if (ws->rest && !parse_count(ws->rest, &len)) {
		cs_reply(c, CS_SYNTAX, "Syntax error in 'llrpc'");
		return;
	}
	cs_reply(c, CS_UNIMPLEMENTED, "Cannot call LLRPC '%s' remotely", ws->h);
	c->wait = len ? W_SKIP : W_LINE;
	c->need = len;
}

static void cmd_quit(struct cs_client *c, struct cs_words *ws)
{
	if (ws->n != 1)
		cs_reply(c, CS_SYNTAX, "Bad command syntax");
	cs_reply(c, CS_OK, "Goodbye!");
	c->quitting = true;
}

static bool has_shell(struct cs_client *c, const char *cmd)
{
	if (c->s->sh)
		return true;
	cs_reply(c, CS_UNIMPLEMENTED, "Command '%s' unimplemented (no shell on this socket)", cmd);
	return false;
}

/* SHELL line...: the rest of the line is one shell command line. */
static void cmd_shell(struct cs_client *c, struct cs_words *ws)
{
	if (!has_shell(c, ws->cmd))
		return;
	if (ws->rest) /* undo the cut after the second word: the text runs on */
		ws->h[strlen(ws->h)] = ' ';
	do_shell(c, ws->h);
}

/* SHELLDATA n / COMPLETE start end n: n bytes of text follow. */
static void cmd_shell_data(struct cs_client *c, struct cs_words *ws)
{
	bool complete = ws->cmd[0] == 'C';
	char *count = complete ? NULL : ws->h, *p = ws->rest;
	if (complete) {
		char *e1, *e2;
		long start = strtol(ws->h, &e1, 10), end = p ? strtol(p, &e2, 10) : -1;
		if (*e1 || !p || !isspace((unsigned char)*e2) || start < 0 || end < 0 || start > INT_MAX || end > INT_MAX) {
			cs_reply(c, CS_SYNTAX, "Syntax error in 'COMPLETE'");
			return;
		}
		c->cstart = (int)start, c->cend = (int)end;
		count = e2 + strspn(e2, " \t");
	}
	uint64_t n;
	if (!parse_count(count, &n)) {
		cs_reply(c, CS_SYNTAX, "Syntax error in '%s'", ws->cmd);
		return;
	}
	if (n > RT_CTLSOCK_MAX_DATA) {
		cs_reply(c, CS_DATA_TOO_BIG, "Data too large for %s", ws->cmd);
		c->wait = W_SKIP;
		c->need = n;
		return;
	}
	if (!has_shell(c, ws->cmd)) {
		c->wait = n ? W_SKIP : W_LINE;
		c->need = n;
		return;
	}
	c->wait_kind = complete ? D_COMPLETE : D_SHELL;
	c->need = n;
	c->wait = W_DATA;
	if (!n) /* nothing follows: run it now */
		cs_run_data_command(c);
}

static void cmd_help(struct cs_client *c, struct cs_words *ws);

/* AUTH token: act for the tenant (or the operator) the token names from
 * now on (docs/tenants.md).  A failure keeps the identity it had. */
static void cmd_auth(struct cs_client *c, struct cs_words *ws)
{
	struct rt_err err;
	struct rt_ident id;
	rt_err_clear(&err);
	if (tn_auth(c->s->r, ws->h, &id, &err) < 0) {
		cs_reply(c, CS_AUTH_FAILED, "Authentication failed");
		return;
	}
	c->id = id; /* from its next command on */
	cs_reply(c, CS_OK, "Authenticated as %s", tn_ident_name(c->s->r, id));
}

/* The commands: word counts (command included) and HELP line (none for
 * aliases). */
static const struct cs_cmd {
	const char *name;
	int min, max;
	void (*run)(struct cs_client *c, struct cs_words *ws);
	const char *help;
} commands[] = {
	{"READ", 2, INT_MAX, cmd_read_write, "READ handler [arg...]   call read handler, return DATA"},
	{"GET", 2, INT_MAX, cmd_read_write, NULL},
	{"READDATA", 3, 3, cmd_data, "READDATA handler len    call read handler with len data bytes, return DATA"},
	{"READUNTIL", 2, INT_MAX, cmd_until, "READUNTIL handler term  call read handler, take data until term, return DATA"},
	{"WRITE", 2, INT_MAX, cmd_read_write, "WRITE handler [arg...]  call write handler"},
	{"SET", 2, INT_MAX, cmd_read_write, NULL},
	{"WRITEDATA", 3, 3, cmd_data, "WRITEDATA handler len   call write handler, pass len data bytes"},
	{"SETDATA", 3, 3, cmd_data, NULL},
	{"WRITEUNTIL", 2, INT_MAX, cmd_until, "WRITEUNTIL handler term call write handler, take data until term"},
	{"CHECKREAD", 2, 2, cmd_check, "CHECKREAD handler       check if read handler is valid"},
	{"CHECKWRITE", 2, 2, cmd_check, "CHECKWRITE handler      check if write handler is valid"},
	{"LLRPC", 2, 3, cmd_llrpc, NULL},
	{"QUIT", 1, INT_MAX, cmd_quit, "QUIT                    close connection"},
	{"CLOSE", 1, INT_MAX, cmd_quit, NULL},
	{"HELP", 1, INT_MAX, cmd_help, NULL},
	{"SHELL", 2, INT_MAX, cmd_shell, "SHELL line              run one mboxsh shell command, return DATA"},
	{"SHELLDATA", 2, 2, cmd_shell_data, "SHELLDATA len           run len bytes of shell input, return DATA"},
	{"COMPLETE", 4, 4, cmd_shell_data, "COMPLETE start end len  completions for a shell line of len bytes"},
	{"AUTH", 2, 2, cmd_auth, "AUTH token              act for the tenant (or operator) the token names"},
};

static void cmd_help(struct cs_client *c, struct cs_words *ws)
{
	struct rt_buf b;
	rt_buf_init(&b);
	rt_buf_puts(&b, "Commands supported:");
	for (size_t i = 0; i < RT_ARRAY_SIZE(commands); i++)
		if (commands[i].help)
			rt_buf_printf(&b, "\n%s", commands[i].help);
	cs_put_msg(c, CS_OK, false, b.p);
	rt_buf_free(&b);
}

static void command(struct cs_client *c, char *line, size_t n);

/* Parse and run one command line (terminator removed; cut in place),
 * acting for the client. */
void cs_command(struct cs_client *c, char *line, size_t n)
{
	struct rt_ident was = rt_ctl_enter(c->s->r, c->id);
	command(c, line, n);
	rt_ctl_leave(c->s->r, was);
}

static void command(struct cs_client *c, char *line, size_t n)
{
	struct cs_words ws;
	if (memchr(line, 0, n)) {
		cs_reply(c, CS_SYNTAX, "Syntax error: NUL byte in command");
		return;
	}
	split_words(line, n, &ws);
	if (!ws.n)
		return; /* empty lines are ignored */
	for (size_t i = 0; i < RT_ARRAY_SIZE(commands); i++) {
		const struct cs_cmd *k = &commands[i];
		if (strcmp(ws.cmd, k->name))
			continue;
		if (ws.n < k->min || ws.n > k->max)
			cs_reply(c, CS_SYNTAX, "Wrong number of arguments");
		else
			k->run(c, &ws);
		return;
	}
	cs_reply(c, CS_UNIMPLEMENTED, "Command '%.64s' unimplemented", ws.cmd);
}
