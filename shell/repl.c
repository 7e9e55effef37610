/*
 * repl.c - the shell's front end on the router's libuv loop.  On a
 * terminal: libedit's callback interface (rl_callback_read_char) driven by
 * a uv_poll_t on fd 0, prompt "mboxsh> ", history in ~/.mboxsh_history,
 * completion from sh_complete.  Otherwise: stdin read line by line without
 * a prompt (uv_poll on a pipe; an idle handle for a regular file, which
 * never blocks long).  Either way each line goes to sh_exec, whose output
 * is printed; end of input, `quit` or `exit` stops the router.
 *
 * libedit's callback interface keeps its state in globals, so there is
 * one front end per process: `the` below.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "shell/repl.h"

struct sh_repl {
	struct sh *sh;
	uv_loop_t *loop;
	bool tty, poll_on, idle_on, done;
	uv_poll_t poll;
	uv_idle_t idle;
	int failed;
	char hist[1024];
	struct rt_buf pending; /* script mode: bytes read, not yet a full line */
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
	rt_router_stop(sh_router(p->sh));
}

static void exec_line(struct sh_repl *p, const char *line)
{
	struct rt_buf out;
	rt_buf_init(&out);
	int rc = sh_exec(p->sh, line, &out);
	if (out.len)
		fwrite(out.p, 1, out.len, stdout);
	fflush(stdout);
	rt_buf_free(&out);
	if (rc < 0)
		p->failed++;
	if (rc == SH_QUIT)
		finish(p);
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
	exec_line(p, line);
	free(line);
	/* libedit leaves the terminal in cooked mode after a line: installing
	 * again puts it back in raw mode and shows the prompt */
	if (!p->done) {
		rl_callback_handler_remove();
		rl_callback_handler_install("mboxsh> ", on_line);
	}
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

static void read_some(struct sh_repl *p)
{
	char buf[4096];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		rt_buf_add(&p->pending, buf, (size_t)n);
	while (!p->done && p->pending.len) {
		char *nl = memchr(p->pending.p, '\n', p->pending.len);
		if (!nl && n > 0)
			break;
		size_t len = nl ? (size_t)(nl - p->pending.p) : p->pending.len;
		char *line = strndup(p->pending.p, len);
		size_t used = nl ? len + 1 : len;
		memmove(p->pending.p, p->pending.p + used, p->pending.len - used);
		p->pending.len -= used;
		p->pending.p[p->pending.len] = 0;
		exec_line(p, line);
		free(line);
	}
	if (n <= 0)
		finish(p);
}

/* ---- both ---------------------------------------------------------------- */

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct sh_repl *p = h->data;
	if (status < 0) {
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
		rl_callback_handler_install("mboxsh> ", on_line);
	}
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
	uv_run(p->loop, UV_RUN_NOWAIT);
	int failed = p->tty ? 0 : p->failed; /* a person saw the errors */
	rt_buf_free(&p->pending);
	free(p);
	the = NULL;
	return failed;
}
