/*
 * test_shell.c - the operator shell: the command dispatcher (sh_exec) and
 * completion (sh_complete) against a router from tu_router, and the built
 * mboxsh reading commands from a pipe (-i).  The test links the runtime
 * library only, so it compiles the shell's command file in.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlsock.h"
#include "tu.h"
#include "../../shell/repl.h"
#include "../../shell/sh_cmd.h"

/* A command table declared outside the shell's files, as flow/ or migrate/
 * will: it must be dispatched, listed by help and completed. */
static int cmd_test_hello(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	if (a->json)
		rt_buf_printf(out, "{\"hello\":\"%s\",\"elements\":%d}\n", a->rest, rt_router_nelements(sh_router(s)));
	else if (!*a->rest)
		return rt_errf(err, NULL, -EINVAL, "hello whom?");
	else
		rt_buf_printf(out, "hello %s\n", a->rest);
	return 0;
}

static const struct sh_cmd test_cmds[] = {
	{"test hello", "WHO [--json]", "greets WHO (a test command)", cmd_test_hello, SH_JSON},
	SH_CMDS_END,
};
SH_COMMANDS(test_cmds)

#define CFG "Idle -> c :: Counter -> s :: TestSink;"

/* got begins with the literal want (the whole of got shown on failure). */
#define assert_prefix(got, want) \
	do { \
		if (strncmp((got), (want), strlen(want))) \
			fail_msg("expected a beginning %s\nin: %s", (want), (got)); \
	} while (0)

static void push_n(struct rt_router *r, const char *name, int n)
{
	uint8_t pkt[64] = {0};
	for (int i = 0; i < n; i++)
		tu_push1(r, name, 0, tu_pkt(r, pkt, sizeof(pkt)));
}

/* Run one line; returns its output (static buffer) and its result in *rc. */
static const char *ex(struct sh *s, const char *line, int *rc)
{
	static char res[8192];
	struct rt_buf out;
	rt_buf_init(&out);
	int r = sh_exec(s, line, &out);
	if (rc)
		*rc = r;
	snprintf(res, sizeof(res), "%s", out.p ? out.p : "");
	rt_buf_free(&out);
	return res;
}

static void test_show_elements(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(CFG, NULL);
	struct sh *s = sh_new(r);
	int rc;
	assert_string_equal(ex(s, "show elements", &rc), "NAME    CLASS     PORTS\n"
							 "Idle@1  Idle      0/1\n"
							 "c       Counter   1/1\n"
							 "s       TestSink  1/0\n");
	assert_int_equal(rc, 0);
	assert_string_equal(ex(s, "show elements --json", &rc),
			    "[{\"name\":\"Idle@1\",\"class\":\"Idle\",\"inputs\":0,\"outputs\":1},"
			    "{\"name\":\"c\",\"class\":\"Counter\",\"inputs\":1,\"outputs\":1},"
			    "{\"name\":\"s\",\"class\":\"TestSink\",\"inputs\":1,\"outputs\":0}]\n");
	assert_string_equal(ex(s, "show graph", &rc), "Idle@1 [0] -> [0] c\nc [0] -> [0] s\n");
	assert_non_null(strstr(ex(s, "show graph --dot", &rc), "\"c\" -> \"s\""));
	assert_string_equal(ex(s, "", &rc), "");
	assert_string_equal(ex(s, "# comment", &rc), "");
	sh_free(s);
	tu_router_free(r);
}

static void test_read_write(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(CFG, NULL);
	struct sh *s = sh_new(r);
	int rc;
	push_n(r, "c", 3);
	assert_string_equal(ex(s, "read c.count", &rc), "3\n");
	assert_int_equal(rc, 0);
	assert_string_equal(ex(s, "read c.count --json", &rc), "{\"handler\":\"c.count\",\"value\":\"3\"}\n");
	assert_string_equal(ex(s, "write c.reset", &rc), "");
	assert_int_equal(rc, 0);
	assert_string_equal(ex(s, "read c.count", &rc), "0\n");
	assert_string_equal(ex(s, "config", &rc), "Idle -> c :: Counter -> s :: TestSink;\n");
	sh_free(s);
	tu_router_free(r);
}

static void test_errors(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(CFG, NULL);
	struct sh *s = sh_new(r);
	int rc;
	assert_string_equal(ex(s, "bogus 1 2", &rc), "error: unknown command 'bogus' (try help)\n");
	assert_true(rc < 0);
	assert_string_equal(ex(s, "read", &rc), "error: missing NAME.HANDLER\n");
	assert_true(rc < 0);
	assert_string_equal(ex(s, "show", &rc), "error: usage: show elements|handlers NAME|graph\n");
	assert_true(rc < 0);
	assert_string_equal(ex(s, "remove c onto s", &rc), "error: usage: remove NAME [into OTHER]\n");
	/* a failed swap leaves the graph as it was */
	assert_true(strncmp(ex(s, "swap c NoSuchClass", &rc), "error: ", 7) == 0);
	assert_true(rc < 0);
	assert_string_equal(tu_read(r, "c.class"), "Counter");
	assert_string_equal(ex(s, "quit", &rc), "");
	assert_int_equal(rc, SH_QUIT);
	sh_free(s);
	tu_router_free(r);
}

static void test_live_changes(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(CFG, NULL);
	struct sh *s = sh_new(r);
	int rc;
	push_n(r, "c", 2);
	assert_string_equal(ex(s, "swap c Counter", &rc), "");
	assert_int_equal(rc, 0);
	assert_string_equal(tu_read(r, "c.count"), "2");
	assert_string_equal(ex(s, "swap c Paint(3)", &rc), "warning: c: Counter state not carried to Paint\n");
	assert_int_equal(rc, 0);
	assert_string_equal(tu_read(r, "c.class"), "Paint");

	char path[] = "/tmp/mboxsh_shell_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *hot = "Idle -> c :: Counter -> s :: TestSink;\n";
	assert_int_equal(write(fd, hot, strlen(hot)), (int)strlen(hot));
	close(fd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "hotconfig %s", path);
	ex(s, cmd, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(tu_read(r, "c.class"), "Counter");
	push_n(r, "c", 4);
	assert_string_equal(ex(s, "stats --json", &rc), "[{\"name\":\"c\",\"class\":\"Counter\",\"count\":4},"
			    "{\"name\":\"s\",\"class\":\"TestSink\",\"count\":6}]\n");
	assert_string_equal(ex(s, "stats", &rc), "NAME    CLASS              COUNT\n"
						 "c       Counter                4\n"
						 "s       TestSink               6\n");
	snprintf(cmd, sizeof(cmd), "save %s", path);
	ex(s, cmd, &rc);
	assert_int_equal(rc, 0);
	unlink(path);
	assert_string_equal(ex(s, "hotconfig /nonexistent/x.click", &rc),
			    "error: /nonexistent/x.click: No such file or directory\n");
	/* errors carry the control API's location; the graph is unchanged */
	assert_string_equal(ex(s, "add c2 :: Counter; c -> c2 -> s", &rc),
			    "error: <add>:1:18: 'c' output 0 connected more than once (use a Tee to copy packets)\n");
	assert_null(rt_router_find(r, "c2"));
	assert_string_equal(ex(s, "add c2 :: Counter; Idle -> c2 -> s", &rc), "");
	assert_int_equal(rc, 0);
	assert_non_null(strstr(ex(s, "show graph", &rc), "c2 [0] -> [0] s\n"));
	assert_string_equal(ex(s, "remove c2", &rc), "");
	assert_int_equal(rc, 0);
	assert_null(rt_router_find(r, "c2"));
	sh_free(s);
	tu_router_free(r);
}

static void test_help_and_lua(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(CFG, NULL);
	struct sh *s = sh_new(r);
	int rc;
	assert_string_equal(ex(s, "help read", &rc), "read NAME.HANDLER [PARAM] [--json]\n  read a handler\n");
	assert_non_null(strstr(ex(s, "help", &rc), "  show elements [--json]"));
	assert_non_null(strstr(ex(s, "help show", &rc), "show graph [--dot|--json]\n"));
	assert_non_null(strstr(ex(s, "help Counter", &rc), "Counter"));
	assert_int_equal(rc, 0);
	assert_string_equal(ex(s, "help Nope", &rc), "error: no command or element class 'Nope'\n");
	assert_string_equal(ex(s, "= 1 + 2", &rc), "3\n");
	assert_string_equal(ex(s, "=40+2", &rc), "42\n");
	assert_string_equal(ex(s, "lua print(mb.read('c.count'))", &rc), "0\n");
	assert_int_equal(rc, 0);
	assert_true(strncmp(ex(s, "lua error('boom')", &rc), "error: ", 7) == 0);
	assert_true(rc < 0);
	sh_free(s);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
	tu_router_free(r);
}

static void expect_cands(struct sh *s, const char *line, const char *expected)
{
	char **c = sh_complete(s, line, (int)(strrchr(line, ' ') ? strrchr(line, ' ') - line + 1 : 0),
			       (int)strlen(line));
	char got[1024] = "";
	for (int i = 0; c && c[i]; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "", c[i]);
	assert_string_equal(got, expected);
	sh_complete_free(c);
}

static void test_complete(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(CFG, NULL);
	struct sh *s = sh_new(r);
	expect_cands(s, "re", "read reconfigure remove");
	expect_cands(s, "sh", "show");
	expect_cands(s, "show g", "graph");
	expect_cands(s, "read c.co", "c.config c.count");
	expect_cands(s, "read c.cou", "c.count");
	expect_cands(s, "write ", "Idle@1. c. s.");
	expect_cands(s, "swap c Coun", "Counter");
	expect_cands(s, "remove ", "Idle@1 c s");
	char **files = sh_complete(s, "hotconfig fi", 10, 12);
	assert_null(files); /* file names: left to libedit */
	sh_free(s);
	tu_router_free(r);
}

static void test_registered_commands(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(CFG, NULL);
	struct sh *s = sh_new(r);
	int rc;
	assert_string_equal(ex(s, "test hello world", &rc), "hello world\n");
	assert_int_equal(rc, 0);
	assert_string_equal(ex(s, "test hello bob --json", &rc), "{\"hello\":\"bob\",\"elements\":3}\n");
	assert_string_equal(ex(s, "test hello", &rc), "error: hello whom?\n");
	assert_true(rc < 0);
	assert_non_null(strstr(ex(s, "help", &rc), "  test hello WHO [--json]"));
	assert_string_equal(ex(s, "help test", &rc), "test hello WHO [--json]\n  greets WHO (a test command)\n");
	expect_cands(s, "tes", "test");
	expect_cands(s, "to", "top");
	expect_cands(s, "pro", "profile");
	sh_free(s);
	tu_router_free(r);
}

static void test_incomplete(void **st)
{
	(void)st;
	/* Lua: cut short by Lua's own "<eof>" */
	assert_true(sh_incomplete("for i = 1, 3 do"));
	assert_true(sh_incomplete("for i = 1, 3 do\n print(i)"));
	assert_false(sh_incomplete("for i = 1, 3 do\n print(i)\nend"));
	assert_true(sh_incomplete("lua function f(x)"));
	assert_false(sh_incomplete("lua function f(x) return x end"));
	assert_true(sh_incomplete("lua s = [[a long"));
	assert_false(sh_incomplete("lua x = = 1")); /* an error, not a continuation */
	assert_true(sh_incomplete("= math.max(1,"));
	assert_true(sh_incomplete("=1 +"));
	assert_false(sh_incomplete("= n"));
	assert_false(sh_incomplete("= 1 + 2"));
	assert_true(sh_incomplete("print(\"a\","));
	assert_true(sh_incomplete("x = {"));
	/* Click: open brackets, a connection or declaration without its right side */
	assert_true(sh_incomplete("add a :: Counter ->"));
	assert_true(sh_incomplete("add a :: InfiniteSource(LIMIT 3,"));
	assert_true(sh_incomplete("add a ::"));
	assert_true(sh_incomplete("add x :: Paint(\"(\""));
	assert_false(sh_incomplete("add x :: Paint(\"(\")"));
	assert_false(sh_incomplete("add a :: Counter -> // ->\n b"));
	assert_true(sh_incomplete("add a :: Counter /* not yet"));
	assert_true(sh_incomplete("swap c Paint(3"));
	assert_false(sh_incomplete("add c2 :: Counter; Idle -> c2 -> s"));
	/* not statements that continue: typos and other commands */
	assert_false(sh_incomplete("reed"));
	assert_false(sh_incomplete("read c.count"));
	assert_false(sh_incomplete("bogus ("));
	assert_false(sh_incomplete(""));
	assert_false(sh_incomplete("# for i = 1, 3 do"));
}

static void test_plain_lua_lines(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(CFG, NULL);
	struct sh *s = sh_new(r);
	int rc;
	assert_string_equal(ex(s, "x = 20", &rc), "");
	assert_int_equal(rc, 0);
	assert_string_equal(ex(s, "print(x * 2 + 2)", &rc), "42\n");
	assert_string_equal(ex(s, "for i = 1, 2 do\n  print('i', i)\nend", &rc), "i\t1\ni\t2\n");
	assert_string_equal(ex(s, "local t = {}\nt.n = mb.read('c.count')\nprint(t.n)", &rc), "0\n");
	assert_string_equal(ex(s, "bogus 1 2", &rc), "error: unknown command 'bogus' (try help)\n");
	assert_true(strncmp(ex(s, "print(nosuch.field)", &rc), "error: shell:1: attempt to index", 32) == 0);
	assert_true(rc < 0);
	sh_free(s);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
	tu_router_free(r);
}

static void test_profile(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(CFG, NULL);
	struct sh *s = sh_new(r);
	int rc;
	assert_string_equal(ex(s, "profile", &rc), "error: profiling is off (profile on, or top)\n");
	assert_true(rc < 0);
	assert_string_equal(ex(s, "profile sideways", &rc), "error: usage: profile [on|off] [--json]\n");
	assert_string_equal(ex(s, "profile on", &rc), "profiling on\n");
	assert_true(rt_ctl_profiling(r));
	assert_string_equal(ex(s, "profile on", &rc), "profiling already on\n");
	/* packets that go through a hop: Counter's push into the sink is timed */
	push_n(r, "c", 3);
	const char *o = ex(s, "profile", &rc);
	assert_int_equal(rc, 0);
	assert_prefix(o, "NAME    CLASS          PACKETS        RATE/S       DROPS  CYCLES/PKT\n");
	assert_non_null(strstr(o, "\ns       TestSink             3  "));
	o = ex(s, "profile --json", &rc);
	assert_non_null(strstr(o, "{\"name\":\"s\",\"class\":\"TestSink\",\"packets\":3,\"rate\":0,\"drops\":null,"
				  "\"cycles_per_packet\":null}"));
	assert_prefix(o, "{\"interval_s\":");
	assert_string_equal(ex(s, "top", &rc),
			    "error: top runs in the shell's front end (mboxsh -i, --connect); one snapshot: profile\n");
	assert_string_equal(ex(s, "profile off", &rc), "profiling off\n");
	assert_false(rt_ctl_profiling(r));

	struct sh_top_opts t;
	struct rt_err err;
	rt_err_clear(&err);
	assert_false(sh_top_parse("profile", &t, &err));
	assert_true(sh_top_parse("top", &t, &err));
	assert_int_equal(t.n, 0);
	assert_int_equal(t.interval_ms, 1000);
	assert_true(sh_top_parse("top -n 3 -d 0.25 --json", &t, &err));
	assert_int_equal(err.code, 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.interval_ms, 250);
	assert_true(t.json);
	assert_true(sh_top_parse("top --once", &t, &err));
	assert_int_equal(t.n, 1);
	assert_true(sh_top_parse("top -d 0", &t, &err));
	assert_string_equal(err.msg, "top: -d wants seconds (0.05 to 3600), not '0'");
	rt_err_clear(&err);
	assert_true(sh_top_parse("top -x", &t, &err));
	assert_string_equal(err.msg, "usage: top [-n N] [-d SECONDS] [--once] [--json]");
	sh_free(s);
	tu_router_free(r);
}

/* Ctrl-C while a Lua chunk runs: it fails with "interrupted", the state and
 * the router stay usable.  A thread sends SIGINT until the chunk ends. */
static atomic_int lua_done;
static void ignore_sig(int sig) { (void)sig; }

static void *interrupter(void *arg)
{
	pthread_t main_thread = *(pthread_t *)arg;
	while (!atomic_load(&lua_done)) {
		pthread_kill(main_thread, SIGINT);
		usleep(20000);
	}
	return NULL;
}

static void test_lua_interrupt(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(CFG, NULL);
	struct sh *s = sh_new(r);
	int rc;
	struct sigaction sa = {.sa_handler = ignore_sig}, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old); /* stray signals outside the chunk are harmless */
	assert_string_equal(ex(s, "lua n = 0", &rc), "");
	pthread_t self = pthread_self(), th;
	atomic_store(&lua_done, 0);
	pthread_create(&th, NULL, interrupter, &self);
	const char *o = ex(s, "lua while true do n = n + 1 end", &rc);
	atomic_store(&lua_done, 1);
	pthread_join(th, NULL);
	assert_true(rc < 0);
	assert_prefix(o, "error: shell:1: interrupted\nstack traceback:");
	assert_string_equal(ex(s, "= n > 0", &rc), "true\n");
	assert_string_equal(ex(s, "= 6 * 7", &rc), "42\n"); /* no interrupt left pending */
	assert_string_equal(tu_read(r, "c.class"), "Counter");
	sigaction(SIGINT, &old, NULL);
	sh_free(s);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
	tu_router_free(r);
}

/* ---- the control socket's SHELL, SHELLDATA and COMPLETE, byte for byte ---- */

#define SOCK_GREETING TU_SOCK_GREETING
#define SOCK_BYE TU_SOCK_BYE

static void test_socket_shell(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(CFG, NULL);
	struct sh *s = sh_new(r);
	char dir[] = "/tmp/mbshXXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl", dir);
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_ctlsock *cs = rt_ctlsock_listen_unix(r, path, &err);
	assert_non_null(cs);
	/* without a shell the commands are refused, and their data skipped */
	assert_string_equal(tu_sock_talk(r, path, 0, "SHELL read c.count\r\nSHELLDATA 3\r\nabcQUIT\r\n"),
			    SOCK_GREETING "501 Command 'SHELL' unimplemented (no shell on this socket)\r\n"
			    "501 Command 'SHELLDATA' unimplemented (no shell on this socket)\r\n" SOCK_BYE);
	sh_ctlsock_attach(s, cs);
	push_n(r, "c", 3);
	assert_string_equal(
		tu_sock_talk(r, path, 0,
			  "SHELL read c.count\r\n"
			  "SHELL  read   c.nosuch\r\n"
			  "SHELLDATA 26\r\nfor i=1,2 do print(i) end\n"
			  "SHELLDATA 0\r\n"
			  "COMPLETE 5 9 9\r\nread c.co"
			  "COMPLETE 10 12 12\r\nhotconfig fi"
			  "COMPLETE 5 99 3\r\nabc"
			  "SHELLDATA x\r\n"
			  "SHELL quit\r\n"
			  "HELP\r\n"
			  "QUIT\r\n"),
		SOCK_GREETING "200 Shell command OK\r\nDATA 2\r\n3\n"
		"520 no handler 'c.nosuch'\r\nDATA 29\r\nerror: no handler 'c.nosuch'\n"
		"200 Shell command OK\r\nDATA 4\r\n1\n2\n"
		"200 Shell command OK\r\nDATA 0\r\n"
		"200 Completion OK\r\nDATA 23\r\nwords\nc.config\nc.count\n"
		"200 Completion OK\r\nDATA 6\r\nfiles\n"
		"500 Completion range outside the line\r\n"
		"500 Syntax error in 'SHELLDATA'\r\n"
		"520 quit ends a local shell (close the connection with QUIT)\r\n"
		"DATA 64\r\nerror: quit ends a local shell (close the connection with QUIT)\n"
		"200-Commands supported:\r\n"
		"200-READ handler [arg...]   call read handler, return DATA\r\n"
		"200-READDATA handler len    call read handler with len data bytes, return DATA\r\n"
		"200-READUNTIL handler term  call read handler, take data until term, return DATA\r\n"
		"200-WRITE handler [arg...]  call write handler\r\n"
		"200-WRITEDATA handler len   call write handler, pass len data bytes\r\n"
		"200-WRITEUNTIL handler term call write handler, take data until term\r\n"
		"200-CHECKREAD handler       check if read handler is valid\r\n"
		"200-CHECKWRITE handler      check if write handler is valid\r\n"
		"200-QUIT                    close connection\r\n"
		"200-SHELL line              run one mboxsh shell command, return DATA\r\n"
		"200-SHELLDATA len           run len bytes of shell input, return DATA\r\n"
		"200-COMPLETE start end len  completions for a shell line of len bytes\r\n"
		"200 AUTH token              act for the tenant (or operator) the token names\r\n" SOCK_BYE);
	/* a live change over the socket leaves the graph changed for everyone */
	assert_string_equal(tu_sock_talk(r, path, 0, "SHELL swap c Paint(3)\r\nQUIT\r\n"),
			    SOCK_GREETING "200 Shell command OK\r\nDATA 47\r\nwarning: c: Counter state not carried to Paint\n" SOCK_BYE);
	assert_string_equal(tu_read(r, "c.class"), "Paint");
	rt_ctlsock_close(cs);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
	rmdir(dir);
	sh_free(s);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
	tu_router_free(r);
}

/* Pipe `input` (printf format text) into the built mboxsh -i running
 * `Idle -> c :: Counter -> Discard`; its output and then "rc=N" (static).
 * Skips the test when the binary is not beside this one. */
static const char *pipe_mboxsh(const char *input)
{
	static char out[8192];
	char exe[1024], cmd[2048];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	char bin[1100];
	snprintf(bin, sizeof(bin), "%s/mboxsh", exe);
	if (access(bin, X_OK) != 0)
		skip();
	snprintf(cmd, sizeof(cmd),
		 "printf '%s' | timeout 30 %s -i --no-live -e 'Idle -> c :: Counter -> Discard' 2>&1; echo \"rc=$?\"",
		 input, bin);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t len = fread(out, 1, sizeof(out) - 1, p);
	out[len] = 0;
	pclose(p);
	return out;
}

/* The built binary, commands piped to -i: output and exit status. */
static void test_binary_pipe(void **st)
{
	(void)st;
	assert_string_equal(pipe_mboxsh("read c.count\\nwrite c.reset\\nbogus\\nshow graph\\n"),
			    "0\n"
			    "error: unknown command 'bogus' (try help)\n"
			    "Idle@1 [0] -> [0] c\n"
			    "c [0] -> [0] Discard@3\n"
			    "rc=1\n");
	assert_string_equal(pipe_mboxsh("read c.count\\nquit\\nbogus\\n"), "0\nrc=0\n");
}

/* Multi-line statements and top from a pipe: lines gather until the
 * statement is complete; top prints N snapshots, and the next command
 * waits for it. */
static void test_binary_pipe_multiline(void **st)
{
	(void)st;
	const char *out = pipe_mboxsh("for i = 1, 2 do\\n  print(i)\\nend\\n"
				      "add s2 :: InfiniteSource(LIMIT 4,\\n  STOP false) ->\\n  c2 :: Counter -> Discard\\n"
				      "top -n 2 -d 0.1 --json\\nprofile\\nread c2.count\\n= 1 +\\n");
	assert_prefix(out, "1\n2\n{\"interval_s\":");
	const char *second = strstr(out + 5, "\n{\"interval_s\":");
	assert_non_null(second);
	assert_non_null(strstr(out, "{\"name\":\"c2\",\"class\":\"Counter\""));
	/* after top: profiling is off again, then the rest of the script runs */
	assert_non_null(strstr(second + 1, "}\nerror: profiling is off (profile on, or top)\n4\nerror: eval:"));
	assert_non_null(strstr(out, "rc=1\n"));
}

int main(void)
{
	tu_eal();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_show_elements), cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_errors),        cmocka_unit_test(test_live_changes),
		cmocka_unit_test(test_help_and_lua),  cmocka_unit_test(test_complete),
		cmocka_unit_test(test_binary_pipe),   cmocka_unit_test(test_registered_commands),
		cmocka_unit_test(test_incomplete),    cmocka_unit_test(test_plain_lua_lines),
		cmocka_unit_test(test_profile),       cmocka_unit_test(test_lua_interrupt),
		cmocka_unit_test(test_socket_shell),  cmocka_unit_test(test_binary_pipe_multiline),
	};
	return cmocka_run_group_tests_name("shell", tests, NULL, NULL);
}
