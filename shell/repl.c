/*
 * repl.c - the shell's front end on the router's libuv loop.  On a
 * terminal: libedit's callback interface (rl_callback_read_char) driven by
 * a uv_poll_t on fd 0, prompt "mboxsh> ", history in ~/.mboxsh_history,
 * completion from sh_complete.  Otherwise: stdin read line by line without
 * a prompt (uv_poll on a pipe; an idle handle for a regular file, which
 * never blocks long).  Either way lines are gathered while sh_incomplete
 * says the statement goes on (prompt "   ...> "), then go to sh_exec, whose
 * output is printed; end of input, `quit` or `exit` stops the router (or,
 * for a remote shell, the loop).  `top` is run here: a timer prints a
 * `profile` snapshot every interval until a key, Ctrl-C or its count; input
 * waits meanwhile.  Ctrl-C at the prompt clears the line and cancels a
 * statement in progress (sh_repl_interrupt, from the caller's SIGINT
 * handle); during a Lua chunk cmd_lua.c catches it.
 *
 * libedit's callback interface keeps its state in globals, so there is
 * one front end per process: `the` below.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <editline/readline.h>

#include "shell/repl.h"

#define PROMPT "mboxsh> "
#define PROMPT_MORE "   ...> "

struct sh_repl {
	struct sh *sh;
	uv_loop_t *loop;
	bool tty, poll_on, idle_on, done, eof;
	uv_poll_t poll;
	uv_idle_t idle;
	int failed;
	char hist[1024];
	struct rt_buf pending; /* script mode: bytes read, not yet a full line */
	struct rt_buf more;    /* lines of a statement not yet complete */
	/* top */
	bool top_on, top_timer_init, top_turned_on;
	struct sh_top_opts top;
	int top_done;
	uv_timer_t top_timer;
	struct termios top_saved;
};

static struct sh_repl *the;

static void finish(struct sh_repl *p)
{
	if (p->done)
		return;
	p->done = true;
	if (p->poll_on)
		uv_poll_stop(&p->poll);
	if (p->idle_on)
		uv_idle_stop(&p->idle);
	if (sh_router(p->sh))
		rt_router_stop(sh_router(p->sh));
	else
		uv_stop(p->loop);
}

/* Run a line; print its output unless keep is given (then it gets it). */
static int run_quiet(struct sh_repl *p, const char *line, struct rt_buf *keep)
{
	struct rt_buf out;
	rt_buf_init(&out);
	int rc = sh_exec(p->sh, line, &out);
	if (keep)
		rt_buf_add(keep, out.p ? out.p : "", out.len);
	else if (out.len)
		fwrite(out.p, 1, out.len, stdout);
	fflush(stdout);
	rt_buf_free(&out);
	if (rc < 0)
		p->failed++;
	if (rc == SH_QUIT)
		finish(p);
	return rc;
}

static void exec_line(struct sh_repl *p, const char *line) { run_quiet(p, line, NULL); }

/* ---- top ------------------------------------------------------------------ */

static void input_resume(struct sh_repl *p);

static void top_end(struct sh_repl *p)
{
	if (!p->top_on)
		return;
	p->top_on = false;
	uv_timer_stop(&p->top_timer);
	if (p->top_turned_on) {
		struct rt_buf tmp;
		rt_buf_init(&tmp);
		run_quiet(p, "profile off", &tmp);
		rt_buf_free(&tmp);
	}
	if (p->tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &p->top_saved);
	input_resume(p);
}

static void on_top_tick(uv_timer_t *t)
{
	struct sh_repl *p = t->data;
	struct rt_buf out;
	rt_buf_init(&out);
	int rc = run_quiet(p, p->top.json ? "profile --json" : "profile", &out);
	if (p->tty && !p->top.json && rc == 0)
		printf("\033[H\033[2Jmboxsh top: every %.2gs; any key or Ctrl-C ends\n\n", p->top.interval_ms / 1000.0);
	fwrite(out.p ? out.p : "", 1, out.len, stdout);
	if (!p->tty && !p->top.json && rc == 0)
		putchar('\n');
	fflush(stdout);
	rt_buf_free(&out);
	if (rc < 0 || (p->top.n && ++p->top_done >= p->top.n))
		top_end(p);
}

/* Start `top`: turn profiling on (off again at the end if it was off),
 * then a snapshot every interval.  Input waits until it ends. */
static void top_start(struct sh_repl *p, const struct sh_top_opts *o)
{
	struct rt_buf out;
	rt_buf_init(&out);
	int rc = run_quiet(p, "profile on", &out);
	if (rc < 0) {
		fwrite(out.p, 1, out.len, stdout);
		fflush(stdout);
		rt_buf_free(&out);
		return;
	}
	p->top_turned_on = out.p && !strcmp(out.p, "profiling on\n");
	rt_buf_free(&out);
	p->top = *o;
	p->top_done = 0;
	p->top_on = true;
	if (!p->top_timer_init) {
		uv_timer_init(p->loop, &p->top_timer);
		p->top_timer.data = p;
		p->top_timer_init = true;
	}
	if (p->tty) { /* any key ends it: no line buffering, no echo; Ctrl-C still a signal */
		struct termios t;
		tcgetattr(STDIN_FILENO, &p->top_saved);
		t = p->top_saved;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_lflag |= ISIG;
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	} else { /* later commands wait for it */
		if (p->poll_on)
			uv_poll_stop(&p->poll);
		if (p->idle_on)
			uv_idle_stop(&p->idle);
	}
	uv_update_time(p->loop);
	uv_timer_start(&p->top_timer, on_top_tick, o->interval_ms, o->interval_ms);
}

/* ---- statements ------------------------------------------------------------ */

/* One input line: gathered while the statement goes on, then run (or
 * `top` started).  Returns true when it waits for more lines. */
static bool take_line(struct sh_repl *p, const char *line)
{
	if (p->more.len)
		rt_buf_add(&p->more, "\n", 1);
	rt_buf_puts(&p->more, line);
	if (sh_incomplete(p->more.p) && !p->eof)
		return true;
	char *text = rt_buf_steal(&p->more);
	rt_buf_init(&p->more);
	struct sh_top_opts o;
	struct rt_err err;
	rt_err_clear(&err);
	if (sh_top_parse(text, &o, &err)) {
		if (err.code) {
			printf("error: %s\n", err.msg);
			fflush(stdout);
			p->failed++;
		} else {
			top_start(p, &o);
		}
	} else {
		exec_line(p, text);
	}
	free(text);
	return false;
}

/* ---- terminal: libedit -------------------------------------------------- */

static void on_line(char *line)
{
	struct sh_repl *p = the;
	if (!line) {
		putchar('\n');
		finish(p);
		return;
	}
	if (*line)
		add_history(line);
	bool cont = take_line(p, line);
	free(line);
	/* libedit leaves the terminal in cooked mode after a line: installing
	 * again puts it back in raw mode and shows the prompt (top does it
	 * when it ends) */
	if (!p->done && !p->top_on) {
		rl_callback_handler_remove();
		rl_callback_handler_install(cont ? PROMPT_MORE : PROMPT, on_line);
	}
}

bool sh_repl_interrupt(void)
{
	struct sh_repl *p = the;
	if (!p || p->done)
		return false;
	if (p->top_on) {
		top_end(p);
		return true;
	}
	if (!p->tty)
		return false;
	/* Ctrl-C at the prompt: drop the line and the statement in progress */
	rt_buf_reset(&p->more);
	rl_replace_line("", 0);
	rl_callback_handler_remove();
	fputs("^C\n", stdout);
	rl_callback_handler_install(PROMPT, on_line);
	fflush(stdout);
	return true;
}

/* libedit's format: [0] the common prefix to substitute, then the matches. */
static char **on_complete(const char *text, int start, int end)
{
	char **c = sh_complete(the->sh, rl_line_buffer, start, end);
	if (!c)
		return NULL; /* file names */
	rl_attempted_completion_over = 1;
	int n = 0;
	while (c[n])
		n++;
	if (!n) {
		free(c);
		return NULL;
	}
	char **m = calloc((size_t)n + 2, sizeof(char *));
	size_t lcd = strlen(c[0]);
	for (int i = 1; i < n; i++) {
		size_t k = 0;
		while (k < lcd && c[i][k] == c[0][k])
			k++;
		lcd = k;
	}
	m[0] = strndup(c[0], lcd);
	for (int i = 0; i < n; i++)
		m[i + 1] = c[i];
	free(c);
	/* "elem." waits for the handler name: no space after it */
	rl_completion_append_character = n == 1 && m[1][strlen(m[1]) - 1] == '.' ? '\0' : ' ';
	if (n == 1) {
		free(m[0]);
		m[0] = m[1];
		m[1] = NULL;
	}
	return m;
}

/* ---- script: stdin line by line ----------------------------------------- */

/* Run the complete lines read so far (all of them at the end of input),
 * until top takes over. */
static void drain(struct sh_repl *p)
{
	while (!p->done && !p->top_on && p->pending.len) {
		char *nl = memchr(p->pending.p, '\n', p->pending.len);
		if (!nl && !p->eof)
			break;
		size_t len = nl ? (size_t)(nl - p->pending.p) : p->pending.len;
		char *line = strndup(p->pending.p, len);
		size_t used = nl ? len + 1 : len;
		memmove(p->pending.p, p->pending.p + used, p->pending.len - used);
		p->pending.len -= used;
		p->pending.p[p->pending.len] = 0;
		take_line(p, line);
		free(line);
	}
	if (p->eof && !p->top_on && !p->done) {
		if (p->more.len) /* a statement cut short by the end of input: let it fail */
			take_line(p, "");
		finish(p);
	}
}

static void read_some(struct sh_repl *p)
{
	char buf[4096];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		rt_buf_add(&p->pending, buf, (size_t)n);
	else
		p->eof = true;
	drain(p);
}

/* ---- both ---------------------------------------------------------------- */

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct sh_repl *p = h->data;
	if (status < 0) {
		finish(p);
		return;
	}
	if (p->tty && p->top_on) { /* any key ends top */
		char key[64];
		if (read(STDIN_FILENO, key, sizeof(key)) != 0)
			top_end(p);
		else
			finish(p);
		return;
	}
	if (p->tty) {
		rl_callback_read_char();
		fflush(stdout); /* libedit leaves the next prompt in stdout's buffer */
	} else
		read_some(p);
}

static void on_idle(uv_idle_t *h)
{
	read_some(h->data);
}

/* After top: the prompt again, or the rest of the script. */
static void input_resume(struct sh_repl *p)
{
	if (p->done)
		return;
	if (p->tty) {
		rl_callback_handler_remove();
		rl_callback_handler_install(PROMPT, on_line);
		fflush(stdout);
		return;
	}
	if (p->poll_on && !p->eof)
		uv_poll_start(&p->poll, UV_READABLE, on_readable);
	if (p->idle_on && !p->eof)
		uv_idle_start(&p->idle, on_idle);
	drain(p); /* lines already read go first */
}

int sh_repl_start(struct sh *s, uv_loop_t *loop, bool tty)
{
	if (the)
		return -EBUSY;
	struct sh_repl *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->sh = s;
	p->loop = loop;
	p->tty = tty;
	rt_buf_init(&p->pending);
	the = p;
	if (tty) {
		const char *home = getenv("HOME");
		if (home)
			snprintf(p->hist, sizeof(p->hist), "%s/.mboxsh_history", home);
		rl_readline_name = "mboxsh";
		rl_attempted_completion_function = on_complete;
		using_history();
		if (p->hist[0])
			read_history(p->hist);
		rl_callback_handler_install(PROMPT, on_line);
	}
	rt_buf_init(&p->more);
	int rc = uv_poll_init(loop, &p->poll, STDIN_FILENO);
	if (rc == 0) {
		p->poll.data = p;
		p->poll_on = true;
		uv_poll_start(&p->poll, UV_READABLE, on_readable);
	} else if (!tty) { /* a regular file: epoll refuses it, reads never block */
		uv_idle_init(loop, &p->idle);
		p->idle.data = p;
		p->idle_on = true;
		uv_idle_start(&p->idle, on_idle);
	} else {
		rl_callback_handler_remove();
		the = NULL;
		free(p);
		return rc;
	}
	return 0;
}

int sh_repl_stop(void)
{
	struct sh_repl *p = the;
	if (!p)
		return 0;
	if (p->tty) {
		rl_callback_handler_remove();
		if (p->hist[0])
			write_history(p->hist);
	}
	if (p->poll_on)
		uv_close((uv_handle_t *)&p->poll, NULL);
	if (p->idle_on)
		uv_close((uv_handle_t *)&p->idle, NULL);
	if (p->top_timer_init) {
		if (p->top_on && p->tty)
			tcsetattr(STDIN_FILENO, TCSANOW, &p->top_saved);
		uv_close((uv_handle_t *)&p->top_timer, NULL);
	}
	uv_run(p->loop, UV_RUN_NOWAIT);
	int failed = p->tty ? 0 : p->failed; /* a person saw the errors */
	rt_buf_free(&p->pending);
	rt_buf_free(&p->more);
	free(p);
	the = NULL;
	return failed;
}
