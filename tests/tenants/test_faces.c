/*
 * test_faces.c - tenant A, through the shell, Lua and the control socket
 * (Unix peer credentials, TCP tokens), tries every operation on tenant B's
 * elements and on the operator's: all refused with "no element"-style
 * errors, B's graph and counters unchanged; its shell commands that touch
 * the server's files are refused; its Lua is sandboxed; the operator's
 * faces do it all (docs/tenants.md).
 */
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlsock.h"
#include "tn_util.h"
#include "lua/lmb.h"
#include "shell/repl.h"
#include "shell/sh_cmd.h"

/* ---- the shell ---------------------------------------------------------------- */

static int ex_rc;
static const char *ex(struct sh *s, const char *line)
{
	static struct rt_buf out;
	rt_buf_free(&out);
	rt_buf_init(&out);
	ex_rc = sh_exec(s, line, &out);
	if (!out.p)
		rt_buf_puts(&out, "");
	return out.p;
}

static void test_shell_isolation(void **st)
{
	(void)st;
	struct rt_router *r = world();
	struct snap s0;
	snap(r, &s0);
	struct sh *s = sh_new(r);
	sh_set_ident(s, id_of(r, "A"));
	static const struct {
		const char *line, *out;
	} refused[] = {
		{"read B/c.count", "error: no element 'B/c'\n"},
		{"read x.count", "error: no element 'x'\n"},
		{"read op.count", "error: no element 'op'\n"},
		{"write B/c.reset", "error: no element 'B/c'\n"},
		{"swap B/c Counter()", "error: no element 'B/c'\n"},
		{"reconfigure B/c ", "error: missing ARGS\n"},
		{"reconfigure B/c X", "error: no element 'B/c'\n"},
		{"remove B/c", "error: no element 'B/c'\n"},
		{"remove c into B/c", "error: no element 'B/c'\n"},
		{"disconnect B/in -> B/c", "error: no element 'B/in'\n"},
		{"show handlers B/c", "error: no element 'B/c'\n"},
		{"migrate B/c cpu", "error: no element 'B/c'\n"},
		{"placements B/c", "error: no element 'B/c'\n"},
		{"tenant show B", "error: no tenant 'B'\n"},
		{"tenant remove B", "error: tenant remove: permission denied (operator only)\n"},
		{"tenant load B c :: Counter;", "error: no tenant 'B'\n"},
		{"tenant add C", "error: tenant add: permission denied (operator only)\n"},
		{"stop", "error: stop: permission denied (operator only)\n"},
		{"save /tmp/x", "error: save: permission denied (operator only)\n"},
		{"hotconfig /etc/passwd", "error: hotconfig: permission denied (operator only)\n"},
		{"run /etc/passwd", "error: run: permission denied (operator only)\n"},
		{"profile on", "error: profiling is switched by the operator\n"},
		{"audit file /tmp/x", "error: audit file: permission denied (operator only)\n"},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *got = ex(s, refused[i].line);
		if (strcmp(got, refused[i].out))
			fail_msg("'%s': got '%s', expected '%s'", refused[i].line, got, refused[i].out);
		assert_true(ex_rc < 0);
	}
	/* what A sees is A's */
	assert_string_equal(ex(s, "show elements"), "NAME  CLASS    PORTS\nin    Idle     0/1\nc     Counter  1/1\nd     Discard  1/0\n");
	/* stats: its elements, then its own usage line (the operator's and B's
	 * not even named) */
	const char *stats = ex(s, "stats");
	static const char head[] = "NAME  CLASS             COUNT\nc     Counter               0\nd     Discard               0\n"
				   "\nTENANT ";
	assert_int_equal(strncmp(stats, head, sizeof(head) - 1), 0);
	assert_non_null(strstr(stats, "\nA                        0/256             0/-"));
	assert_null(strstr(stats, "\nB "));
	assert_string_equal(ex(s, "stats tenants --json"),
			    "[{\"tenant\":\"A\",\"id\":1,\"elements\":3,\"buffers\":0,\"buffers_quota\":256,\"flows\":0,"
			    "\"flows_quota\":0,\"flows_refused\":0,\"held\":0,\"held_quota\":0,\"held_refused\":0,"
			    "\"cpu_cycles\":0,\"cpu_throttled\":0}]\n");
	assert_string_equal(ex(s, "stats sideways"), "error: usage: stats [tenants] [--json]\n");
	assert_string_equal(ex(s, "show graph"), "in [0] -> [0] c\nc [0] -> [0] d\n");
	assert_null(strstr(ex(s, "config"), "B/"));
	assert_null(strstr(ex(s, "tenant list"), "B "));
	char **c = sh_complete(s, "read ", 5, 5);
	for (int i = 0; c && c[i]; i++)
		assert_null(strchr(c[i], '/'));
	assert_non_null(c[0]);
	sh_complete_free(c);
	/* warnings about its own elements use its names */
	assert_string_equal(ex(s, "swap c Paint(1)"), "warning: c: Counter state not carried to Paint\n");
	assert_int_equal(ex_rc, 0);
	assert_string_equal(ex(s, "tenant load A in :: Idle -> c :: IPFilter(allow all) -> d :: Discard;"), "");
	assert_string_equal(ex(s, "tenant load A in :: Idle -> c :: IPFilter(deny all) -> d :: Discard;"),
			    "warning: c: IPFilter state not carried to IPFilter\n");
	/* and A's own changes work */
	assert_string_equal(ex(s, "add n :: Idle -> Discard;"), "");
	assert_int_equal(ex_rc, 0);
	assert_non_null(rt_router_find(r, "A/n"));
	sh_free(s);
	/* the snapshot moved by A's own change only */
	assert_int_equal(tu_read_int(r, "B/c.count"), s0.count);
	assert_non_null(strstr(tu_read(r, "flatconfig"), "B/in -> B/c"));
	/* the operator's shell sees and does everything */
	s = sh_new(r);
	assert_non_null(strstr(ex(s, "read B/c.count"), "3"));
	assert_string_equal(ex(s, "write B/c.reset"), "");
	assert_int_equal(tu_read_int(r, "B/c.count"), 0);
	assert_non_null(strstr(ex(s, "tenant show B"), "name B\n"));
	/* the operator's top/profile snapshot lists every tenant after the elements */
	assert_string_equal(ex(s, "profile on"), "profiling on\n");
	const char *prof = ex(s, "profile --json");
	assert_non_null(strstr(prof, "}],\"tenants\":[{\"tenant\":\"A\",\"id\":1,"));
	assert_non_null(strstr(prof, "},{\"tenant\":\"B\",\"id\":2,"));
	assert_non_null(strstr(ex(s, "profile"), "\n\nTENANT "));
	assert_string_equal(ex(s, "profile off"), "profiling off\n");
	const char *audit = ex(s, "audit 200");
	assert_non_null(strstr(audit, " A read B/c.count -> error -2: no element 'B/c'\n"));
	/* the shell line too, with what listing commands did */
	assert_non_null(strstr(audit, " A shell read B/c.count -> error -2: no element 'B/c'\n"));
	assert_non_null(strstr(audit, " A shell show elements -> ok\n"));
	sh_free(s);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
	tu_router_free(r);
}

/* ---- Lua --------------------------------------------------------------------- */

static void test_lua_isolation(void **st)
{
	(void)st;
	struct rt_router *r = world();
	struct snap s0;
	snap(r, &s0);
	struct rt_err err;
	rt_err_clear(&err);
	struct lmb *m = lmb_new_as(r, id_of(r, "A"), &err);
	assert_non_null(m);
	static const char *const refused[] = {
		"mb.read('B/c.count')", "mb.write('B/c.reset', '')", "mb.swap('B/c', 'Counter()')",
		"mb.reconfigure('B/c', '')", "mb.remove('B/c')", "mb.migrate('B/c', 'cpu')",
		"mb.disconnect('B/in -> B/c')", "mb.read('op.count')", "mb.placements('B/c')",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		rt_err_clear(&err);
		if (lmb_dostring(m, refused[i], "=t", NULL, &err) >= 0)
			fail_msg("'%s' succeeded", refused[i]);
		if (!strstr(err.msg, "no element '"))
			fail_msg("'%s': %s", refused[i], err.msg);
	}
	struct rt_buf out;
	rt_buf_init(&out);
	rt_err_clear(&err);
	assert_int_equal(lmb_dostring(m,
				      "print(mb.element('B/c'))\n"
				      "local n = {} for _, e in ipairs(mb.graph()) do n[#n + 1] = e.name end\n"
				      "print(table.concat(n, ','))\n"
				      "local s = {} for k, v in pairs(mb.stats()) do s[#s + 1] = k end\n"
				      "table.sort(s) print(table.concat(s, ','))\n"
				      "print(io, os, debug, package, require, dofile, loadfile, string.dump)\n"
				      "print(pcall(load, string.char(27) .. 'Lua'))\n"
				      "print(load('return 1 + 1')())\n"
				      "print(mb.element('c').name)\n"
				      "local t = mb.tenants() print(#t, t[1].tenant, t[1].buffers_quota, t[1].flows_refused)",
				      "=t", &out, &err),
			 0);
	assert_string_equal(out.p, "nil\tno element 'B/c'\n"
				   "in,c,d\n"
				   "c,d\n"
				   "nil\tnil\tnil\tnil\tnil\tnil\tnil\tnil\n"
				   "true\tnil\tattempt to load a binary chunk (mode is 't')\n"
				   "2\n"
				   "c\n"
				   "1\tA\t256\t0\n");
	rt_buf_free(&out);
	/* an infinite loop ends at the instruction quota, memory at its quota */
	rt_err_clear(&err);
	assert_true(lmb_dostring(m, "while true do end", "=t", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "instruction"));
	rt_err_clear(&err);
	assert_true(lmb_dostring(m, "local t = {} for i = 1, 1e7 do t[i] = ('x'):rep(64) .. i end", "=t", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "memory"));
	/* the state still works, and A's own element is A's */
	rt_err_clear(&err);
	assert_int_equal(lmb_dostring(m, "mb.write('c.reset', '')", "=t", NULL, &err), 0);
	lmb_free(m);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
	same(r, &s0);
	/* its own changes work, and their warnings use its names */
	m = lmb_new_as(r, id_of(r, "A"), &err);
	rt_buf_init(&out);
	assert_int_equal(lmb_dostring(m, "print(mb.swap('c', 'Paint(1)'))", "=t", &out, &err), 0);
	assert_string_equal(out.p, "true\tc: Counter state not carried to Paint\n");
	rt_buf_free(&out);
	lmb_free(m);
	/* the operator's Lua does it */
	m = lmb_new(r, 0, &err);
	rt_err_clear(&err);
	assert_int_equal(lmb_dostring(m, "mb.write('B/c.reset', '')", "=t", NULL, &err), 0);
	assert_int_equal(tu_read_int(r, "B/c.count"), 0);
	lmb_free(m);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
	tu_router_free(r);
}

/* ---- the control socket ----------------------------------------------------------- */

#define GREET TU_SOCK_GREETING
#define BYE TU_SOCK_BYE

static void test_socket_isolation(void **st)
{
	(void)st;
	struct rt_router *r = world();
	struct snap s0;
	snap(r, &s0);
	struct sh *s = sh_new(r);
	char dir[] = "/tmp/mbtnXXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl", dir);
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_ctlsock *cs = rt_ctlsock_listen_unix(r, path, &err);
	assert_non_null(cs);
	sh_ctlsock_attach(s, cs);
	const char *got;
	/* this user is tenant A on the Unix socket */
	assert_int_equal(tn_map_uid(r, getuid(), "A", &err), 0);
	assert_string_equal(tu_sock_talk(r, path, 0,
				 "READ B/c.count\r\nREAD B/zz.count\r\nREAD op.count\r\nWRITE B/c.reset\r\n"
				 "CHECKREAD B/c.count\r\nCHECKWRITE B/c.reset\r\nWRITEDATA B/c.reset 0\r\n"
				 "READ stop\r\nWRITE stop\r\nREAD threads\r\nQUIT\r\n"),
			    GREET "510 no element 'B/c'\r\n510 no element 'B/zz'\r\n510 no element 'op'\r\n"
				  "510 no element 'B/c'\r\n510 no element 'B/c'\r\n510 no element 'B/c'\r\n"
				  "510 no element 'B/c'\r\n511 no handler 'stop'\r\n511 no handler 'stop'\r\n"
				  "511 no handler 'threads'\r\n" BYE);
	/* its usage, and only its own */
	got = tu_sock_talk(r, path, 0, "READ tenants\r\nQUIT\r\n");
	assert_non_null(strstr(got, "200 Read handler 'tenants' OK\r\nDATA "));
	assert_non_null(strstr(got, "\nA                        0/256             0/-"));
	assert_null(strstr(got, "\nB "));
	assert_string_equal(tu_sock_talk(r, path, 0, "READ list\r\nREAD c.count\r\nQUIT\r\n"),
			    GREET "200 Read handler 'list' OK\r\nDATA 9\r\n3\nin\nc\nd\n"
				  "200 Read handler 'c.count' OK\r\nDATA 1\r\n0" BYE);
	/* SHELL runs with the client's identity, not the shell's */
	got = tu_sock_talk(r, path, 0, "SHELL swap B/c Counter()\r\nSHELL remove B/c\r\nSHELL show elements\r\n"
					   "SHELL lua print(io, mb.read('B/c.count'))\r\nQUIT\r\n");
	assert_non_null(strstr(got, "520 no element 'B/c'\r\nDATA 24\r\nerror: no element 'B/c'\n"
				    "520 no element 'B/c'\r\nDATA 24\r\nerror: no element 'B/c'\n"));
	assert_null(strstr(got, "B/in"));
	assert_null(strstr(got, "op "));
	assert_non_null(strstr(got, "no element 'B/c'\n"));
	/* its Lua is its own sandboxed state */
	assert_non_null(strstr(tu_sock_talk(r, path, 0, "SHELL lua print(io, os, mb.read('c.count'))\r\nQUIT\r\n"),
			       "200 Shell command OK\r\nDATA 10\r\nnil\tnil\t0\n"));
	same(r, &s0);
	/* TCP: nobody until AUTH once tokens exist */
	struct rt_ctlsock *tcp = rt_ctlsock_listen_tcp(r, NULL, 0, &err);
	assert_non_null(tcp);
	int port = rt_ctlsock_port(tcp);
	assert_int_equal(tn_set_token(r, "A", "token-of-A", &err), 0);
	assert_int_equal(tn_set_token(r, "operator", "token-of-operator", &err), 0);
	assert_string_equal(tu_sock_talk(r, NULL, port, "READ c.count\r\nREAD list\r\nAUTH wrong-token\r\nREAD op.count\r\nQUIT\r\n"),
			    GREET "510 no element 'c'\r\n200 Read handler 'list' OK\r\nDATA 2\r\n0\n"
				  "531 Authentication failed\r\n510 no element 'op'\r\n" BYE);
	assert_string_equal(tu_sock_talk(r, NULL, port, "AUTH token-of-A\r\nREAD B/c.count\r\nREAD c.count\r\nQUIT\r\n"),
			    GREET "200 Authenticated as A\r\n510 no element 'B/c'\r\n"
				  "200 Read handler 'c.count' OK\r\nDATA 1\r\n0" BYE);
	same(r, &s0);
	assert_string_equal(tu_sock_talk(r, NULL, port, "AUTH token-of-operator\r\nREAD B/c.count\r\nWRITE B/c.reset\r\nQUIT\r\n"),
			    GREET "200 Authenticated as operator\r\n200 Read handler 'B/c.count' OK\r\nDATA 1\r\n3"
				  "200 Write handler 'B/c.reset' OK\r\n" BYE);
	assert_int_equal(tu_read_int(r, "B/c.count"), 0);
	/* the user mapped back to the operator on the Unix socket */
	assert_int_equal(tn_map_uid(r, getuid(), "operator", &err), 0);
	assert_string_equal(tu_sock_talk(r, path, 0, "READ op.count\r\nQUIT\r\n"),
			    GREET "200 Read handler 'op.count' OK\r\nDATA 1\r\n0" BYE);
	rt_ctlsock_close(cs);
	rt_ctlsock_close(tcp);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
	sh_free(s);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
	rmdir(dir);
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shell_isolation),
		cmocka_unit_test(test_lua_isolation),
		cmocka_unit_test(test_socket_isolation),
	};
	return cmocka_run_group_tests_name("tenant faces", tests, NULL, NULL);
}
