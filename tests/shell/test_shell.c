/*
 * test_shell.c - the operator shell: the command dispatcher (sh_exec) and
 * completion (sh_complete) against a router from tu_router, and the built
 * mboxsh reading commands from a pipe (-i).  The test links the runtime
 * library only, so it compiles the shell's command file in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tu.h"
#include "../../shell/repl.h"

#define CFG "Idle -> c :: Counter -> s :: TestSink;"

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
	assert_non_null(strstr(ex(s, "help show", &rc), "show graph [--dot]\n"));
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

/* The built binary, commands piped to -i: output and exit status. */
static void test_binary_pipe(void **st)
{
	(void)st;
	char exe[1024], bin[1100];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	snprintf(bin, sizeof(bin), "%s/mboxsh", exe);
	if (access(bin, X_OK) != 0)
		skip();
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "printf 'read c.count\\nwrite c.reset\\nbogus\\nshow graph\\n' | "
		 "timeout 30 %s -i --no-live -e 'Idle -> c :: Counter -> Discard' 2>&1; echo \"rc=$?\"",
		 bin);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char out[4096];
	size_t len = fread(out, 1, sizeof(out) - 1, p);
	out[len] = 0;
	pclose(p);
	assert_string_equal(out, "0\n"
				 "error: unknown command 'bogus' (try help)\n"
				 "Idle@1 [0] -> [0] c\n"
				 "c [0] -> [0] Discard@3\n"
				 "rc=1\n");
	snprintf(cmd, sizeof(cmd),
		 "printf 'read c.count\\nquit\\nbogus\\n' | "
		 "timeout 30 %s -i --no-live -e 'Idle -> c :: Counter -> Discard' 2>&1; echo \"rc=$?\"",
		 bin);
	p = popen(cmd, "r");
	assert_non_null(p);
	len = fread(out, 1, sizeof(out) - 1, p);
	out[len] = 0;
	pclose(p);
	assert_string_equal(out, "0\nrc=0\n");
}

int main(void)
{
	tu_eal();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_show_elements), cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_errors),        cmocka_unit_test(test_live_changes),
		cmocka_unit_test(test_help_and_lua),  cmocka_unit_test(test_complete),
		cmocka_unit_test(test_binary_pipe),
	};
	return cmocka_run_group_tests_name("shell", tests, NULL, NULL);
}
