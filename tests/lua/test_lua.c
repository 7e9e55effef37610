/*
 * test_lua.c - the Lua module `mb` (lua/lmb.h): handlers and live changes
 * from Lua checked through the control API, errors with location and
 * traceback that leave the graph unchanged, the memory and instruction
 * limits, timers and coroutines on the router's libuv loop, the
 * configuration builder, the example scripts and the `mboxsh x.lua` driver.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>

#include "tu.h"
#include "mig.h"
#include "lua/lmb.h"

static struct lmb *new_lmb(struct rt_router *r, size_t limit)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct lmb *m = lmb_new(r, limit, &err);
	if (!m)
		fail_msg("lmb_new: %s", err.msg);
	return m;
}

static void free_lmb(struct rt_router *r, struct lmb *m)
{
	lmb_free(m);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
}

/* Run code that must succeed; returns what it printed (static). */
static const char *run_ok(struct lmb *m, const char *code)
{
	static char outs[4096];
	struct rt_buf out;
	struct rt_err err;
	rt_buf_init(&out);
	rt_err_clear(&err);
	if (lmb_dostring(m, code, "=test", &out, &err) < 0)
		fail_msg("lua: %s\n--- code:\n%s", err.msg, code);
	snprintf(outs, sizeof(outs), "%s", out.p ? out.p : "");
	rt_buf_free(&out);
	return outs;
}

static const char *eval_ok(struct lmb *m, const char *expr)
{
	static char outs[4096];
	struct rt_buf out;
	struct rt_err err;
	rt_buf_init(&out);
	rt_err_clear(&err);
	if (lmb_eval(m, expr, &out, &err) < 0)
		fail_msg("eval %s: %s", expr, err.msg);
	snprintf(outs, sizeof(outs), "%s", out.p ? out.p : "");
	rt_buf_free(&out);
	return outs;
}

/* Run the loop until nothing is pending, for at most max_ms. */
static void run_loop(struct rt_router *r, struct lmb *m, int max_ms)
{
	uint64_t end = rt_now_ns() + (uint64_t)max_ms * 1000000;
	while (lmb_pending(m) && rt_now_ns() < end)
		uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
}

static void test_read_write(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("src :: InfiniteSource(LIMIT 7, STOP false) -> c :: Counter -> Discard;", NULL);
	tu_run_tasks(r, 100);
	struct lmb *m = new_lmb(r, 0);
	assert_string_equal(eval_ok(m, "= mb.read('c.count')"), "7\n");
	assert_string_equal(eval_ok(m, "tonumber(mb.read('c.count')) * 2"), "14\n");
	assert_string_equal(eval_ok(m, "mb.stats().c"), "7\n");
	run_ok(m, "assert(mb.write('c.reset'))");
	assert_int_equal(tu_read_int(r, "c.count"), 0);
	assert_string_equal(eval_ok(m, "mb.read('version') == mb.read('.version')"), "true\n");
	/* element objects */
	assert_string_equal(run_ok(m, "for _, e in ipairs(mb.graph()) do print(e.name, e.class) end"),
			    "src\tInfiniteSource\nc\tCounter\nDiscard@3\tDiscard\n");
	assert_string_equal(run_ok(m, "local e = mb.element('c'); local names, modes = e:handlers()\n"
				      "print(names[1], modes.count, modes.reset, modes.config, e:read('count'))"),
			    "count\tr\tw\trw\t0\n");
	run_ok(m, "mb.element('src'):write('limit', 3)");
	assert_int_equal(tu_read_int(r, "src.limit"), 3);
	assert_string_equal(eval_ok(m, "mb.element('nope')"), "nil\tno element 'nope'\n");
	free_lmb(r, m);
	tu_router_free(r);
}

static void test_live_changes(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("a :: Idle -> c :: Counter -> s :: TestSink;", NULL);
	struct lmb *m = new_lmb(r, 0);
	tu_push1(r, "c", 0, tu_pkt(r, (uint8_t[60]){0}, 60));
	run_ok(m, "local ok, warn = mb.swap('c', 'Counter'); assert(ok and warn == nil)");
	assert_int_equal(tu_read_int(r, "c.count"), 1);
	assert_string_equal(run_ok(m, "print(select(2, mb.swap('c', 'Null')) ~= nil)"), "true\n");
	assert_string_equal(tu_read(r, "c.class"), "Null");
	run_ok(m, "mb.hotconfig('a :: Idle -> c :: Counter -> s :: TestSink; b :: Idle -> c2 :: Counter -> s;')");
	assert_string_equal(tu_read(r, "c2.class"), "Counter");
	run_ok(m, "mb.add('c3 :: Counter; Idle -> c3 -> s;')");
	assert_string_equal(tu_read(r, "c3.class"), "Counter");
	run_ok(m, "mb.remove('c'); mb.connect('a -> c2')");
	assert_null(rt_router_find(r, "c"));
	assert_non_null(strstr(tu_read(r, "flatconfig"), "a -> c2;"));
	assert_string_equal(run_ok(m, "print(pcall(mb.disconnect, 'a -> nosuch'))"),
			    "false\tno element 'nosuch'\n");
	run_ok(m, "mb.disconnect('a -> c2')");
	assert_null(strstr(tu_read(r, "flatconfig"), "a -> c2;"));
	free_lmb(r, m);
	tu_router_free(r);
	/* placements: the cpu is always there; opencl when PoCL answers */
	r = tu_router("Idle -> f :: FIBLookup(10.0.0.0/8 0) -> s :: TestSink;", NULL);
	m = new_lmb(r, 0);
	run_ok(m, "mb.migrate('f', 'cpu')");
	assert_non_null(strstr(run_ok(m, "print(mb.placements())"), "f (FIBLookup)\n  cpu* available"));
	assert_string_equal(run_ok(m, "print(pcall(mb.migrate, 's', 'opencl'))"),
			    "false\ts (TestSink) runs on the cpu only: it has no kernel to move\n");
	struct rt_err oerr;
	rt_err_clear(&oerr);
	if (mig_available(MIG_OPENCL, &oerr) == 0) {
		run_ok(m, "mb.migrate('f', 'opencl')");
		assert_string_equal(tu_read(r, "f.placement"), "opencl\n");
	}
	free_lmb(r, m);
	tu_router_free(r);
	r = tu_router("Idle -> q :: Queue(10) -> s :: TestSink;", NULL);
	m = new_lmb(r, 0);
	run_ok(m, "mb.reconfigure('q', '20')");
	assert_int_equal(tu_read_int(r, "q.capacity"), 20);
	free_lmb(r, m);
	tu_router_free(r);
}

static void test_errors_leave_graph(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("a :: Idle -> c :: Counter -> s :: TestSink;", NULL);
	struct lmb *m = new_lmb(r, 0);
	uint64_t v = r->version;
	struct rt_err err;
	rt_err_clear(&err);
	assert_true(lmb_dostring(m, "local x = 1\nmb.swap('c', 'NoSuchClass')\n", "=script", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "script:2: "));
	assert_non_null(strstr(err.msg, "NoSuchClass"));
	assert_non_null(strstr(err.msg, "stack traceback:"));
	rt_err_clear(&err);
	assert_true(lmb_dostring(m, "mb.hotconfig('a :: Idle -> c :: Counter -> s :: TestSink; x -> ;')", "=hot", NULL,
				 &err) < 0);
	assert_non_null(strstr(err.msg, "hot:1: "));
	rt_err_clear(&err);
	assert_true(lmb_dostring(m, "local t = nil\nreturn t.x", "=nil", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "nil:2: attempt to index"));
	rt_err_clear(&err);
	assert_true(lmb_dostring(m, "if then", "=syntax", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "syntax:1:"));
	rt_err_clear(&err);
	assert_true(lmb_dostring(m, "mb.read('c.nosuch')", "=read", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "read:1: "));
	rt_err_clear(&err);
	assert_true(lmb_dostring(m, "mb.sleep(10)", "=sleep", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "sleep:1: mb.sleep: not in a coroutine started with mb.spawn"));
	rt_err_clear(&err);
	assert_int_equal(lmb_dostring(m, "mb.load('Idle -> Discard')", "=load", NULL, &err), 0);
	assert_int_equal(r->version, v + 1); /* load on a router not started replaces the graph */
	assert_non_null(rt_router_find(r, "Idle@1"));
	v = r->version;
	rt_err_clear(&err);
	assert_true(lmb_dostring(m, "mb.swap('Idle@1', 'Idle(')", "=swap", NULL, &err) < 0);
	assert_int_equal(r->version, v);
	/* the state is still usable */
	assert_string_equal(eval_ok(m, "1 + 1"), "2\n");
	free_lmb(r, m);
	tu_router_free(r);
}

static void test_memory_limit(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> Discard;", NULL);
	struct lmb *m = new_lmb(r, 4 << 20);
	struct rt_err err;
	rt_err_clear(&err);
	assert_true(lmb_dostring(m, "local t = {} for i = 1, 1e8 do t[i] = ('x'):rep(64) .. i end", "=big", NULL, &err) < 0);
	assert_int_equal(err.code, -ENOMEM);
	assert_non_null(strstr(err.msg, "not enough memory"));
	assert_string_equal(eval_ok(m, "collectgarbage(); return 'alive'"), "alive\n");
	free_lmb(r, m);
	tu_router_free(r);
}

static void test_instruction_limit(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> Discard;", NULL);
	struct lmb *m = new_lmb(r, 0);
	lmb_set_instruction_limit(m, 1000000);
	struct rt_err err;
	rt_err_clear(&err);
	assert_true(lmb_dostring(m, "local n = 0\nwhile true do n = n + 1 end", "=loop", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "loop:2: instruction limit (1000000) exceeded"));
	assert_string_equal(eval_ok(m, "'still here'"), "still here\n");
	/* a __tostring that fails while printing an eval's value is an error too */
	rt_err_clear(&err);
	assert_true(lmb_eval(m, "setmetatable({}, {__tostring = function() error('no string') end})", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "no string"));
	/* a runaway timer callback is stopped and reported, not fatal */
	run_ok(m, "mb.after(1, function() while true do end end)");
	run_loop(r, m, 900);
	assert_int_equal(lmb_pending(m), 0);
	assert_int_equal(lmb_async_errors(m), 1);
	free_lmb(r, m);
	tu_router_free(r);
}

static void test_timers_and_coroutines(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> c :: Counter -> Discard;", NULL);
	struct lmb *m = new_lmb(r, 0);
	run_ok(m, "ticks, steps, once = 0, {}, false\n"
		  "tm = mb.every(5, function(t) ticks = ticks + 1; if ticks == 3 then t:stop() end end)\n"
		  "mb.after(2, function() once = true end)\n"
		  "co = mb.spawn(function(a) for i = 1, 3 do steps[#steps + 1] = a .. i; mb.sleep(3) end end, 'x')\n");
	assert_string_equal(eval_ok(m, "table.concat(steps, ',')"), "x1\n"); /* ran until its first sleep */
	assert_int_equal(lmb_pending(m), 3);
	uint64_t t0 = rt_now_ns();
	run_loop(r, m, 900);
	assert_int_equal(lmb_pending(m), 0);
	assert_true(rt_now_ns() - t0 >= 10 * 1000000ull); /* 3 ticks of 5 ms */
	assert_string_equal(eval_ok(m, "ticks, once, table.concat(steps, ','), tm:active(), coroutine.status(co)"),
			    "3\ttrue\tx1,x2,x3\tfalse\tdead\n");
	/* an error in a callback stops that timer only */
	run_ok(m, "n = 0; mb.every(2, function() n = n + 1; error('boom') end)\n"
		  "good = mb.every(2, function() end)\n"
		  "mb.spawn(function() mb.sleep(1); local x = nil; return x.y end)");
	run_loop(r, m, 50);
	assert_int_equal(lmb_async_errors(m), 2);
	assert_int_equal(lmb_pending(m), 1);
	assert_string_equal(eval_ok(m, "n, good:active()"), "1\ttrue\n");
	run_ok(m, "good:stop(); good:stop()");
	assert_int_equal(lmb_pending(m), 0);
	/* freeing with timers still scheduled */
	run_ok(m, "mb.every(1, function() end); mb.spawn(function() mb.sleep(1000) end)");
	assert_int_equal(lmb_pending(m), 2);
	run_ok(m, "stopped = 0; mb.on('stop', function() stopped = stopped + 1 end)");
	lmb_notify_stop(m);
	assert_string_equal(eval_ok(m, "stopped"), "1\n");
	free_lmb(r, m);
	tu_router_free(r);
}

static void test_builder(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> Discard;", NULL);
	struct lmb *m = new_lmb(r, 0);
	run_ok(m, "g = mb.config()\n"
		  "g:element('src', 'InfiniteSource', {'LIMIT 5', 'STOP false'})\n"
		  "g:element('sw', 'RoundRobinSwitch')\n"
		  "g:connect('src', 'sw')\n"
		  "for i = 1, 3 do\n"
		  "  local c = 'c' .. i\n"
		  "  g:element(c, 'Counter'):element('d' .. i, 'Discard')\n"
		  "  g:connect('sw', i - 1, c):connect(c, 'd' .. i)\n"
		  "end\n"
		  "g:raw('// tenants: 3')\n"
		  "g:connect('a', 1, 'b', 2)");
	assert_string_equal(eval_ok(m, "g:text()"),
			    "src :: InfiniteSource(LIMIT 5, STOP false);\n"
			    "sw :: RoundRobinSwitch;\n"
			    "src -> sw;\n"
			    "c1 :: Counter;\nd1 :: Discard;\nsw -> c1;\nc1 -> d1;\n"
			    "c2 :: Counter;\nd2 :: Discard;\nsw [1] -> c2;\nc2 -> d2;\n"
			    "c3 :: Counter;\nd3 :: Discard;\nsw [2] -> c3;\nc3 -> d3;\n"
			    "// tenants: 3\n"
			    "a [1] -> [2] b;\n\n");
	run_ok(m, "table.remove(g); mb.hotconfig(g)");
	tu_run_tasks(r, 100);
	assert_int_equal(tu_read_int(r, "c1.count") + tu_read_int(r, "c2.count") + tu_read_int(r, "c3.count"), 5);
	struct rt_err err;
	rt_err_clear(&err);
	assert_true(lmb_dostring(m, "mb.config().text({})", "=b", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "mb.config expected"));
	free_lmb(r, m);
	tu_router_free(r);
}

/* Every example script compiles; each runs for a moment against a router
 * (MB_PERIOD_MS shortens their periods) without a Lua error. */
static void test_scripts(void **st)
{
	(void)st;
	const char *src = getenv("MBOXSH_SRC");
	if (!src)
		skip();
	char pat[1024];
	snprintf(pat, sizeof(pat), "%s/scripts/*.lua", src);
	glob_t g;
	assert_int_equal(glob(pat, 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 5);
	setenv("MB_PERIOD_MS", "5", 1);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		lua_State *L = luaL_newstate();
		if (luaL_loadfile(L, g.gl_pathv[i]) != LUA_OK)
			fail_msg("%s", lua_tostring(L, -1));
		lua_close(L);
		struct rt_router *r = tu_router("Idle -> Discard;", NULL);
		struct lmb *m = new_lmb(r, 0);
		struct rt_buf out;
		struct rt_err err;
		rt_buf_init(&out);
		rt_err_clear(&err);
		if (lmb_dofile(m, g.gl_pathv[i], &out, &err) < 0)
			fail_msg("%s", err.msg);
		uint64_t end = rt_now_ns() + 60 * 1000000ull;
		while (lmb_pending(m) && rt_now_ns() < end) {
			tu_run_tasks(r, 4);
			uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
		}
		if (lmb_async_errors(m))
			fail_msg("%s: %d errors in callbacks", g.gl_pathv[i], lmb_async_errors(m));
		rt_buf_free(&out);
		free_lmb(r, m);
		tu_router_free(r);
	}
	unsetenv("MB_PERIOD_MS");
	globfree(&g);
}

/* `mboxsh script.lua`: automation against a running router; exit status 0,
 * or 1 with the traceback on stderr. */
static void test_driver(void **st)
{
	(void)st;
	if (access("./mboxsh", X_OK) != 0)
		skip();
	FILE *f = fopen("lua_driver_ok.lua", "w");
	assert_non_null(f);
	fputs("mb.load('src :: InfiniteSource(LIMIT 10, STOP false) -> c :: Counter -> Discard;')\n"
	      "mb.spawn(function()\n"
	      "  while tonumber(mb.read('c.count')) < 10 do mb.sleep(2) end\n"
	      "  print('count ' .. mb.read('c.count'))\n"
	      "end)\n", f);
	fclose(f);
	f = fopen("lua_driver_bad.lua", "w");
	assert_non_null(f);
	fputs("mb.after(1, function() mb.swap('nosuch', 'Counter') end)\n", f);
	fclose(f);
	FILE *p = popen("timeout 30 ./mboxsh lua_driver_ok.lua 2>&1", "r");
	char buf[4096] = "";
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	assert_int_equal(WEXITSTATUS(pclose(p)), 0);
	assert_non_null(strstr(buf, "count 10\n"));
	p = popen("timeout 30 ./mboxsh lua_driver_bad.lua 2>&1", "r");
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	assert_int_equal(WEXITSTATUS(pclose(p)), 1);
	assert_non_null(strstr(buf, "lua_driver_bad.lua:1: no element 'nosuch'"));
	assert_non_null(strstr(buf, "stack traceback:"));
	unlink("lua_driver_ok.lua");
	unlink("lua_driver_bad.lua");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_live_changes),
		cmocka_unit_test(test_errors_leave_graph),
		cmocka_unit_test(test_memory_limit),
		cmocka_unit_test(test_instruction_limit),
		cmocka_unit_test(test_timers_and_coroutines),
		cmocka_unit_test(test_builder),
		cmocka_unit_test(test_scripts),
		cmocka_unit_test(test_driver),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
