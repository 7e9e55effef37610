/*
 * test_graph.c - graph checks with exact error locations, port counts,
 * handlers (standard and router-level), running to a STOP, multi-worker.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tu.h"

static void test_errors(void **st)
{
	(void)st;
	tu_expect_error("x :: Foo;", "test.click:1:6: unknown element class 'Foo'");
	tu_expect_error("s :: InfiniteSource -> c :: Counter;\nc [1] -> Discard;",
			"test.click:2:7: port 1 out of range for 'c' (Counter has 1 output)");
	tu_expect_error("d :: Discard;", "test.click:1:1: 'd' :: Discard: input 0 unused");
	tu_expect_error("\n  s :: InfiniteSource;", "test.click:2:3: 's' :: InfiniteSource: output 0 unused");
	tu_expect_error("s :: InfiniteSource -> Discard; s -> Discard;",
			"test.click:1:35: 's' output 0 connected more than once (use a Tee to copy packets)");
	tu_expect_error("s :: InfiniteSource(LIMT 5) -> Discard;", "test.click:1:1: s: unknown argument 'LIMT'");
	tu_expect_error("s :: InfiniteSource(LIMIT x) -> Discard;",
			"test.click:1:1: s: LIMIT: expected integer, not 'x'");
	tu_expect_error("s::InfiniteSource -> c :: Counter(5) -> Discard;",
			"test.click:1:22: c: Counter takes no arguments");
	tu_expect_error("s :: InfiniteSource(a, 1, 2, true, 5) -> Discard;",
			"test.click:1:1: s: too many arguments (unexpected '5')");
	tu_expect_error("s :: InfiniteSource(LIMIT 1, LIMIT 2) -> Discard;",
			"test.click:1:1: s: argument 'LIMIT' given twice");
	tu_expect_error("InfiniteSource -> [1] Discard;",
			"test.click:1:16: port 1 out of range for 'Discard@2' (Discard has 1 input)");
	tu_expect_error("s :: InfiniteSource(BURST 100) -> Discard;", "test.click:1:1: s: BURST must be 1 to 64");
	tu_expect_error("require(nosuchpackage);\ns :: InfiniteSource -> Discard;",
			"test.click:1:1: requirement 'nosuchpackage' not available");
}

static void test_ports_and_standard_handlers(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("s :: InfiniteSource(LIMIT 3) -> c :: Counter -> d :: Discard;", NULL);
	assert_string_equal(tu_read(r, "c.name"), "c");
	assert_string_equal(tu_read(r, "c.class"), "Counter");
	assert_string_equal(tu_read(r, "s.config"), "LIMIT 3");
	assert_string_equal(tu_read(r, "c.ports"), "1 input\npush\n1 output\npush\n");
	assert_non_null(strstr(tu_read(r, "c.handlers"), "count\tr\n"));
	assert_non_null(strstr(tu_read(r, "c.handlers"), "reset\tw\n"));
	assert_string_equal(tu_read(r, "list"), "3\ns\nc\nd\n");
	assert_string_equal(tu_read(r, ".version"), MBOXSH_VERSION "\n");
	assert_string_equal(tu_read(r, "flatconfig"), "// flat configuration\ns :: InfiniteSource(LIMIT 3);\n"
						       "c :: Counter;\nd :: Discard;\ns -> c;\nc -> d;\n");
	struct rt_err err;
	assert_int_equal(tu_write(r, "c.nosuch", "1", &err), -ENOENT);
	assert_string_equal(err.msg, "no handler 'c.nosuch'");
	assert_int_equal(tu_write(r, "c.count", "1", &err), -EPERM);
	assert_string_equal(err.msg, "handler 'c.count' is not writable");
	assert_int_equal(tu_write(r, "zz.count", "1", &err), -ENOENT);
	assert_string_equal(err.msg, "no element 'zz'");
	tu_router_free(r);
}

static void test_run_tasks_and_counts(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("s :: InfiniteSource(LIMIT 100, BURST 7) -> c :: Counter -> d :: Discard;", NULL);
	tu_run_tasks(r, 1000);
	assert_int_equal(tu_read_int(r, "c.count"), 100);
	assert_int_equal(tu_read_int(r, "c.byte_count"), 100 * 69);
	assert_int_equal(tu_read_int(r, "d.count"), 100);
	assert_int_equal(tu_read_int(r, "s.count"), 100);
	assert_int_equal(tu_write(r, "c.reset", "", NULL), 0);
	assert_int_equal(tu_read_int(r, "c.count"), 0);
	/* restart the source: counts continue from the reset */
	assert_int_equal(tu_write(r, "s.reset", "", NULL), 0);
	tu_run_tasks(r, 1000);
	assert_int_equal(tu_read_int(r, "c.count"), 100);
	assert_int_equal(tu_read_int(r, "d.count"), 200);
	tu_router_free(r);
}

static void test_stop_on_limit(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("s :: InfiniteSource(LIMIT 50000, STOP true) -> c :: Counter -> Discard;", NULL);
	assert_int_equal(tu_run(r, 10000), 0); /* stopped by itself */
	assert_int_equal(tu_read_int(r, "c.count"), 50000);
	tu_router_free(r);
}

static void test_two_workers(void **st)
{
	(void)st;
	struct rt_router *r = tu_router_j("a :: InfiniteSource(LIMIT 30000) -> ca :: Counter -> d :: Discard;\n"
					  "b :: InfiniteSource(LIMIT 20000, STOP true) -> cb :: Counter -> d;",
					  2, NULL);
	/* a and b land on different workers; both feed d */
	assert_int_equal(r->plan->ntasks[0], 1);
	assert_int_equal(r->plan->ntasks[1], 1);
	assert_int_equal(tu_run(r, 10000), 0);
	assert_int_equal(tu_read_int(r, "cb.count"), 20000);
	long long da = tu_read_int(r, "ca.count");
	assert_int_equal(tu_read_int(r, "d.count"), da + 20000);
	/* the threads handler: both workers ran one task each and moved packets */
	const char *t = tu_read(r, "threads");
	unsigned long long rounds, busy, pkts;
	int cpu, tasks;
	assert_int_equal(sscanf(t, "worker 0 cpu %d tasks %d rounds %llu busy %llu pkts %llu", &cpu, &tasks, &rounds,
				&busy, &pkts), 5);
	assert_int_equal(tasks, 1);
	assert_true(busy > 0 && pkts > 0 && rounds >= busy);
	assert_non_null(strstr(t, "\nworker 1 cpu "));
	tu_router_free(r);
}

static void test_defines(void **st)
{
	(void)st;
	tu_eal();
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_router_opts o = {.nworkers = 1, .pool_size = 1023};
	struct rt_router *r = rt_router_new(&o, &err);
	const char *defs[] = {"N=7", NULL};
	assert_int_equal(rt_router_load(r, "define($N 3); s :: InfiniteSource(LIMIT $N) -> c :: Counter -> Discard;",
					"d.click", defs, &err), 0);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_read_int(r, "c.count"), 7);
	tu_router_free(r);
}

static void test_failed_load_keeps_nothing(void **st)
{
	(void)st;
	struct rt_err err;
	struct rt_router *r = tu_router("s :: InfiniteSource(LIMIT 5) -> Counter -> x :: Discard; y :: Counter(1);", &err);
	assert_null(r);
	assert_string_equal(err.msg, "y: Counter takes no arguments");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ports_and_standard_handlers),
		cmocka_unit_test(test_run_tasks_and_counts),
		cmocka_unit_test(test_stop_on_limit),
		cmocka_unit_test(test_two_workers),
		cmocka_unit_test(test_defines),
		cmocka_unit_test(test_failed_load_keeps_nothing),
	};
	return cmocka_run_group_tests_name("graph", tests, NULL, NULL);
}
