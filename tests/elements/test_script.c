/*
 * test_script.c - Script and DriverManager of elements/io on a real libuv
 * loop: steps, labels and jumps, passive scripts, waits, writes, stopping
 * the router and error messages.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dump_util.h"

/* ---- Script and DriverManager ---------------------------------------------------------------- */

static void test_script_active(void **st)
{
	(void)st;
	const char *out = tmp_path("script.out");
	char cfg[800];
	snprintf(cfg, sizeof(cfg),
		 "src :: InfiniteSource(LIMIT 0) -> c :: Counter -> Discard;\n"
		 "Script(set x 0, label a, set x $(add $x 1), goto a $(lt $x 5),\n"
		 "       write src.burst $(sprintf \"%%d\" 3), write src.limit $(mul $x 10),\n"
		 "       print >%s \"x=$x\", print >>%s src.limit, print >>%s '$x', stop);",
		 out, out, out);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_int_equal(tu_run(r, 5000), 0); /* `stop` stopped it */
	assert_string_equal(tu_read(r, "src.limit"), "50");
	assert_string_equal(tu_read(r, "src.burst"), "3");
	size_t len;
	char *text = (char *)slurp(out, &len);
	assert_string_equal(text, "x=5\n50\n$x\n");
	free(text);
	tu_router_free(r);
}

static void test_script_steps_and_passive(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(
		"src :: InfiniteSource(LIMIT 0) -> c :: Counter -> Discard;\n"
		"p :: Script(pause, write src.limit 7, pause 2, write src.limit 9, label again, write src.limit 11);\n"
		"q :: Script(TYPE PASSIVE, return $(add $1 $2 3));\n"
		"e :: Script(TYPE PASSIVE, return $(eq $(c.count) 0));\n"
		"j :: Script(TYPE PASSIVE, label l, goto l);\n"
		"w :: Script(TYPE PASSIVE, write src.nosuch 1, return $?);",
		NULL);
	/* no loop is running: only the step handler moves p */
	assert_string_equal(tu_read(r, "src.limit"), "0");
	assert_int_equal(tu_write(r, "p.step", "", NULL), 0);
	assert_string_equal(tu_read(r, "src.limit"), "7");
	assert_int_equal(tu_write(r, "p.step", "1", NULL), 0);
	assert_string_equal(tu_read(r, "src.limit"), "7");
	assert_int_equal(tu_write(r, "p.step", "", NULL), 0);
	assert_string_equal(tu_read(r, "src.limit"), "11");
	assert_int_equal(tu_write(r, "src.limit", "1", NULL), 0);
	assert_int_equal(tu_write(r, "p.goto", "again", NULL), 0);
	assert_string_equal(tu_read(r, "src.limit"), "11");
	struct rt_err err;
	assert_int_equal(tu_write(r, "p.goto", "nowhere", &err), -EINVAL);
	assert_int_equal(tu_write(r, "p.step", "x", &err), -EINVAL);
	/* passive scripts: the run handler returns `return`'s value */
	assert_string_equal(tu_read(r, "q.run"), "3");
	assert_int_equal(tu_write(r, "q.run", "4 5", NULL), 0);
	struct rt_buf b;
	rt_buf_init(&b);
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_read_param(r, "q.run", "4 5", &b, &err), 0);
	assert_string_equal(b.p, "12");
	/* Click's arithmetic handlers, with parameters */
	static const char *const calc[][3] = {
		{"add", "1 2 3", "6"}, {"sub", "10 5 2", "3"}, {"mul", "2 3 4", "24"}, {"div", "7 2", "3.5"},
		{"idiv", "7 2", "3"}, {"add", "1 0.5", "1.5"}, {"eq", "10 0xA", "true"}, {"le", "9 8", "false"},
		{"ne", "a b", "true"}, {"lt", "abc abd", "true"}, {"ge", "2 2", "true"}, {"gt", "1.5 1", "true"},
		{"not", "false", "true"}, {"first", "x y z", "x"}, {"sprintf", "\"%05x|%s\" 127 ok", "0007f|ok"},
	};
	for (size_t i = 0; i < sizeof(calc) / sizeof(calc[0]); i++) {
		char h[32];
		snprintf(h, sizeof(h), "q.%s", calc[i][0]);
		rt_buf_reset(&b);
		rt_err_clear(&err);
		assert_int_equal(rt_ctl_read_param(r, h, calc[i][1], &b, &err), 0);
		rt_buf_add(&b, "", 1);
		assert_string_equal(b.p, calc[i][2]);
	}
	rt_buf_reset(&b);
	assert_int_equal(rt_ctl_read_param(r, "q.add", "1 x", &b, &err), -EINVAL);
	assert_string_equal(err.msg, "expected list of numbers");
	rt_buf_free(&b);
	assert_string_equal(tu_read(r, "e.run"), "true");
	assert_string_equal(tu_read(r, "j.run"), ""); /* too many jumps: gives up */
	assert_int_equal(tu_read_int(r, "w.run"), -ENOENT);
	tu_router_free(r);
}

static void test_script_errors(void **st)
{
	(void)st;
	tu_expect_error("s :: Script(frob 1);", "test.click:1:1: s: syntax error at 'frob'");
	tu_expect_error("s :: Script(goto nowhere);", "test.click:1:1: s: no such label 'nowhere'");
	tu_expect_error("s :: Script(TYPE FOO);", "test.click:1:1: s: bad TYPE; expected 'ACTIVE', 'PASSIVE', or 'DRIVER'");
	tu_expect_error("s :: Script(wait soon);", "test.click:1:1: s: syntax error at 'wait'");
	tu_expect_error("s :: Script(set x);", "test.click:1:1: s: syntax error at 'set'");
	tu_expect_error("s :: DriverManager(stop now);", "test.click:1:1: s: syntax error at 'stop'");
}

static void test_drivermanager_wait_write_stop(void **st)
{
	(void)st;
	/* the wait starts at initialisation; libuv counts whole milliseconds */
	uint64_t t0 = rt_now_ns();
	struct rt_router *r = tu_router("src :: InfiniteSource(ACTIVE false, LIMIT 1000, STOP true) -> c :: Counter -> Discard;\n"
					"DriverManager(wait 50ms, write src.active true, wait_stop, stop);",
					NULL);
	assert_int_equal(tu_run(r, 5000), 0); /* stopped by itself */
	assert_true(rt_now_ns() - t0 >= 49000000ull);
	assert_string_equal(tu_read(r, "src.active"), "true");
	assert_int_equal(tu_read_int(r, "c.count"), 1000);
	tu_router_free(r);

	/* two stop events are needed: both sources finish */
	r = tu_router_j("a :: InfiniteSource(LIMIT 20000, STOP true) -> ca :: Counter -> Discard;\n"
			"b :: InfiniteSource(LIMIT 30000, STOP true) -> cb :: Counter -> Discard;\n"
			"DriverManager(wait_stop 2);",
			2, NULL);
	assert_int_equal(tu_run(r, 10000), 0);
	assert_int_equal(tu_read_int(r, "ca.count"), 20000);
	assert_int_equal(tu_read_int(r, "cb.count"), 30000);
	tu_router_free(r);

	/* a Script's `stop` is a stop event the DriverManager counts */
	r = tu_router("src :: InfiniteSource(LIMIT 0) -> Discard;\n"
		      "Script(wait 10ms, write src.limit 5, write stop, wait 10ms, stop);\n"
		      "d :: DriverManager(wait_stop 2, write src.burst 9);",
		      NULL);
	assert_int_equal(tu_run(r, 5000), 0);
	assert_string_equal(tu_read(r, "src.limit"), "5");
	assert_string_equal(tu_read(r, "src.burst"), "9");
	tu_router_free(r);
}

static void test_drivermanager_waits(void **st)
{
	(void)st;
	/* the stop event is taken by wait_stop; the router stops when the
	 * script ends, 80 ms later */
	struct rt_router *r = tu_router("src :: InfiniteSource(LIMIT 10, STOP true) -> c :: Counter -> Discard;\n"
					"DriverManager(wait_stop, wait 80ms);",
					NULL);
	uint64_t t0 = rt_now_ns();
	assert_int_equal(tu_run(r, 5000), 0);
	assert_true(rt_now_ns() - t0 >= 79000000ull);
	assert_int_equal(tu_read_int(r, "c.count"), 10);
	tu_router_free(r);
	/* as in Click, a stop event also ends a `wait TIME` early */
	r = tu_router("src :: InfiniteSource(LIMIT 10, STOP true) -> c :: Counter -> Discard;\n"
		      "DriverManager(wait 10s);",
		      NULL);
	t0 = rt_now_ns();
	assert_int_equal(tu_run(r, 5000), 0);
	assert_true(rt_now_ns() - t0 < 5000000000ull);
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script_active),
		cmocka_unit_test(test_script_steps_and_passive),
		cmocka_unit_test(test_script_errors),
		cmocka_unit_test(test_drivermanager_wait_write_stop),
		cmocka_unit_test(test_drivermanager_waits),
	};
	return cmocka_run_group_tests_name("script", tests, NULL, teardown);
}
