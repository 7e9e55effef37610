/*
 * test_live.c - live changes: swap and hotconfig, state carried across,
 * rollback on every failure, and a stress test with traffic on two workers
 * that must see no loss, no reordering and no duplicate.
 */
#include <stdlib.h>
#include <unistd.h>

#include "tu.h"

static int swap(struct rt_router *r, const char *name, const char *spec, struct rt_err *err)
{
	struct rt_err local;
	if (!err)
		err = &local;
	rt_err_clear(err);
	return rt_ctl_swap(r, name, spec, NULL, err);
}

static int hotconfig(struct rt_router *r, const char *text, struct rt_buf *warn, struct rt_err *err)
{
	struct rt_err local;
	if (!err)
		err = &local;
	rt_err_clear(err);
	return rt_ctl_hotconfig(r, text, "hot.click", warn, err);
}

static void push_n(struct rt_router *r, const char *name, int n)
{
	for (int i = 0; i < n; i++) {
		uint8_t b[60] = {0};
		b[0] = (uint8_t)i;
		tu_push1(r, name, 0, tu_pkt(r, b, sizeof(b)));
	}
}

static void test_swap_keeps_counter(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> c :: Counter -> s :: TestSink;", NULL);
	push_n(r, "c", 5);
	struct el *before = rt_router_find(r, "c");
	assert_int_equal(swap(r, "c", "Counter", NULL), 0);
	assert_ptr_not_equal(rt_router_find(r, "c"), before);
	assert_int_equal(tu_read_int(r, "c.count"), 5);
	push_n(r, "c", 3);
	assert_int_equal(tu_read_int(r, "c.count"), 8);
	assert_int_equal(tu_sink_count(r, "s"), 8);
	/* the flat configuration follows */
	assert_non_null(strstr(tu_read(r, "flatconfig"), "c :: Counter;"));
	tu_router_free(r);
}

static void test_swap_other_class_warns(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> c :: Counter -> s :: TestSink;", NULL);
	push_n(r, "c", 2);
	struct rt_buf warn;
	rt_buf_init(&warn);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_swap(r, "c", "Paint(3)", &warn, &err), 0);
	assert_string_equal(warn.p, "c: Counter state not carried to Paint\n");
	rt_buf_free(&warn);
	assert_string_equal(tu_read(r, "c.class"), "Paint");
	push_n(r, "c", 1);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 2))->paint, 3);
	tu_router_free(r);
}

static void test_swap_errors_leave_graph(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> c :: Counter -> s :: TestSink;", NULL);
	push_n(r, "c", 4);
	struct el *c = rt_router_find(r, "c");
	uint64_t version = r->version;
	struct rt_err err;
	assert_int_equal(swap(r, "nosuch", "Counter", &err), -ENOENT);
	assert_string_equal(err.msg, "no element 'nosuch'");
	assert_int_equal(swap(r, "c", "Frobnicator(1)", &err), -ENOENT);
	assert_string_equal(err.msg, "unknown element class 'Frobnicator'");
	assert_true(swap(r, "c", "Counter(5", &err) < 0);
	assert_string_equal(err.msg, "expected ')' at the end of 'Counter(5'");
	assert_true(swap(r, "c", "Paint(COLOR x)", &err) < 0);
	assert_string_equal(err.msg, "c: COLOR: expected unsigned integer, not 'x'");
	assert_true(swap(r, "c", "Discard", &err) < 0);
	assert_string_equal(err.msg, "Discard cannot replace 'c' (1 input, 1 output): Discard has 0 outputs");
	assert_true(swap(r, "c", "Classifier(12/0800, -)", &err) < 0);
	assert_string_equal(err.msg, "Classifier cannot replace 'c' (1 input, 1 output): it would have 0 inputs and 2 outputs");
	assert_ptr_equal(rt_router_find(r, "c"), c);
	assert_int_equal(r->version, version);
	assert_int_equal(tu_read_int(r, "c.count"), 4);
	push_n(r, "c", 1);
	assert_int_equal(tu_read_int(r, "c.count"), 5);
	tu_router_free(r);
}

static void test_swap_queue_keeps_packets_in_order(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q :: Queue(100) -> s :: TestSink;", NULL);
	push_n(r, "q", 10);
	assert_int_equal(tu_read_int(r, "q.length"), 10);
	assert_int_equal(swap(r, "q", "Queue(200)", NULL), 0);
	assert_int_equal(tu_read_int(r, "q.length"), 10);
	assert_int_equal(tu_read_int(r, "q.capacity"), 200);
	push_n(r, "q", 2);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "s"), 12);
	for (int i = 0; i < 10; i++)
		assert_int_equal(rt_data(tu_sink_pkt(r, "s", i))[0], i);
	assert_int_equal(rt_data(tu_sink_pkt(r, "s", 10))[0], 0);
	tu_router_free(r);
}

static const char hot_a[] =
	"src :: InfiniteSource(LIMIT 5) -> c :: Counter -> rt :: RadixIPLookup(10.0.0.0/8 0) -> k :: Counter -> s :: TestSink;";
static const char hot_b[] =
	"src :: InfiniteSource(LIMIT 5) -> c :: Counter -> rt :: RadixIPLookup(10.0.0.0/8 0) -> p :: Paint(7) -> k :: Counter -> s :: TestSink;";

static void test_hotconfig_keeps_unchanged(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(hot_a, NULL);
	tu_run_tasks(r, 10);
	assert_int_equal(tu_read_int(r, "c.count"), 5);
	/* a route added at run time lives in the element, so it survives only
	 * if the element is kept */
	assert_int_equal(tu_write(r, "rt.add", "192.168.0.0/16 0", NULL), 0);
	struct el *c = rt_router_find(r, "c"), *rt = rt_router_find(r, "rt"), *k = rt_router_find(r, "k");
	struct rt_buf warn;
	rt_buf_init(&warn);
	assert_int_equal(hotconfig(r, hot_b, &warn, NULL), 0);
	assert_null(warn.p);
	assert_ptr_equal(rt_router_find(r, "c"), c);
	assert_ptr_equal(rt_router_find(r, "rt"), rt);
	assert_ptr_equal(rt_router_find(r, "k"), k);
	assert_non_null(rt_router_find(r, "p"));
	assert_non_null(strstr(tu_read(r, "rt.table"), "192.168.0.0/16"));
	assert_int_equal(tu_read_int(r, "c.count"), 5);
	assert_string_equal(tu_read(r, "config"), hot_b);
	/* back: p is removed, the rest still kept */
	assert_int_equal(hotconfig(r, hot_a, &warn, NULL), 0);
	assert_ptr_equal(rt_router_find(r, "k"), k);
	assert_null(rt_router_find(r, "p"));
	rt_buf_free(&warn);
	tu_router_free(r);
}

static void test_hotconfig_changed_takes_state(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q :: Queue(50) -> s :: TestSink;", NULL);
	push_n(r, "q", 7);
	assert_int_equal(hotconfig(r, "Idle -> q :: Queue(80) -> c :: Counter -> s :: TestSink;", NULL, NULL), 0);
	assert_int_equal(tu_read_int(r, "q.capacity"), 80);
	assert_int_equal(tu_read_int(r, "q.length"), 7);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_read_int(r, "c.count"), 7);
	/* the sink was kept: the packets it had stay */
	assert_int_equal(tu_sink_count(r, "s"), 7);
	struct rt_buf warn;
	rt_buf_init(&warn);
	push_n(r, "q", 3);
	assert_int_equal(hotconfig(r, "Idle -> c :: Counter -> s :: TestSink;", &warn, NULL), 0);
	assert_string_equal(warn.p, "q: removed with 3 packets queued (dropped)\n");
	rt_buf_free(&warn);
	tu_router_free(r);
}

static void test_hotconfig_errors_leave_graph(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(hot_a, NULL);
	tu_run_tasks(r, 10);
	struct el *c = rt_router_find(r, "c");
	uint64_t version = r->version;
	struct rt_err err;
	char msg[700];
	assert_true(hotconfig(r, "src :: InfiniteSource -> c :: Counter -> ;", NULL, &err) < 0);
	assert_string_equal(rt_err_str(&err, msg, sizeof(msg)), "hot.click:1:42: syntax error near ';'");
	assert_true(hotconfig(r, "src :: InfiniteSource -> c :: Counter(1) -> Discard;", NULL, &err) < 0);
	assert_string_equal(err.msg, "c: Counter takes no arguments");
	assert_true(hotconfig(r, "src :: InfiniteSource -> c :: Counter;", NULL, &err) < 0);
	assert_string_equal(err.msg, "'c' :: Counter: output 0 unused");
	assert_int_equal(r->version, version);
	assert_ptr_equal(rt_router_find(r, "c"), c);
	assert_string_equal(tu_read(r, "config"), hot_a);
	assert_int_equal(tu_read_int(r, "c.count"), 5);
	tu_router_free(r);
}

static void test_init_failure_rolls_back(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> c :: Counter -> rt :: LookupIPRoute(0.0.0.0/0 0) -> s :: TestSink;", NULL);
	push_n(r, "c", 3);
	uint64_t version = r->version;
	struct rt_err err;
	/* init fails (route to an output that does not exist) after el_new */
	assert_true(swap(r, "rt", "LookupIPRoute(0.0.0.0/0 3)", &err) < 0);
	assert_non_null(strstr(err.msg, "output 3 does not exist"));
	assert_true(hotconfig(r, "Idle -> c :: Counter -> rt :: LookupIPRoute(0.0.0.0/0 3) -> s :: TestSink;", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "output 3 does not exist"));
	assert_true(hotconfig(r, "Idle -> c :: Counter -> FromDump(/nonexistent.pcap) -> s :: TestSink;", NULL, &err) < 0);
	assert_int_equal(r->version, version);
	assert_string_equal(tu_read(r, "rt.class"), "LookupIPRoute");
	assert_int_equal(tu_read_int(r, "c.count"), 3);
	tu_router_free(r);
}

static void test_pulled_queue_refused(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q :: Queue -> [0] ps :: PrioSched -> s :: TestSink; Idle -> q2 :: Queue -> [1] ps;", NULL);
	struct rt_err err;
	assert_int_equal(swap(r, "q", "Queue(20)", &err), -EBUSY);
	assert_string_equal(err.msg, "'q' is pulled by another element: replace them together");
	tu_router_free(r);
}

static void test_add_and_connect(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("a :: Idle -> c :: Counter -> s :: TestSink;", NULL);
	push_n(r, "c", 2);
	struct el *c = rt_router_find(r, "c");
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_add(r, "c2 :: Counter; b :: Idle -> c2 -> s;", NULL, &err), 0);
	assert_ptr_equal(rt_router_find(r, "c"), c);
	assert_int_equal(tu_read_int(r, "c.count"), 2);
	push_n(r, "c2", 3);
	assert_int_equal(tu_sink_count(r, "s"), 5);
	char msg[700];
	rt_err_clear(&err);
	assert_true(rt_ctl_connect(r, "c2 -> nosuch", NULL, &err) < 0);
	assert_string_equal(rt_err_str(&err, msg, sizeof(msg)), "<connect>:1:7: undeclared element 'nosuch'");
	rt_err_clear(&err);
	assert_true(rt_ctl_connect(r, "c -> c2", NULL, &err) < 0); /* c's output is taken */
	assert_string_equal(err.msg, "'c' output 0 connected more than once (use a Tee to copy packets)");
	assert_ptr_equal(rt_router_find(r, "c"), c);
	tu_router_free(r);
}

static void test_disconnect(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("a :: Idle -> s :: TestSink; b :: Idle -> c :: Counter -> s;", NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_true(rt_ctl_disconnect(r, "c -> s", NULL, &err) < 0); /* would leave c's output unused */
	assert_string_equal(err.msg, "'c' :: Counter: output 0 unused");
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_disconnect(r, "nosuch -> s", NULL, &err), -ENOENT);
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_disconnect(r, "a [0] -> [0] c", NULL, &err), -ENOENT);
	assert_string_equal(err.msg, "no connection 'a [0] -> [0] c'");
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_disconnect(r, "a -> s", NULL, &err), 0);
	assert_null(strstr(tu_read(r, "flatconfig"), "a -> s;"));
	tu_router_free(r);
}

static void test_remove_into(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q1 :: Queue -> s :: TestSink; Idle -> q2 :: Queue -> s;", NULL);
	push_n(r, "q1", 5);
	push_n(r, "q2", 2);
	struct rt_err err;
	rt_err_clear(&err);
	assert_true(rt_ctl_remove(r, "q1", "s", NULL, &err) < 0);
	assert_string_equal(err.msg, "'s' (TestSink) cannot take the state of 'q1' (Queue)");
	struct rt_buf warn;
	rt_buf_init(&warn);
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_remove(r, "q1", "q2", &warn, &err), 0);
	assert_null(warn.p); /* nothing lost */
	assert_null(rt_router_find(r, "q1"));
	assert_int_equal(tu_read_int(r, "q2.length"), 7);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "s"), 7);
	rt_buf_free(&warn);
	tu_router_free(r);
}

static void test_reconfigure_and_config_handler(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q :: Queue(10) -> s :: TestSink;", NULL);
	push_n(r, "q", 4);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_reconfigure(r, "q", "20", NULL, &err), 0);
	assert_int_equal(tu_read_int(r, "q.capacity"), 20);
	struct el *q = rt_router_find(r, "q");
	assert_int_equal(tu_write(r, "q.config", "CAPACITY 30", NULL), 0);
	assert_ptr_equal(rt_router_find(r, "q"), q); /* in place: the ring is big enough */
	assert_int_equal(tu_read_int(r, "q.capacity"), 30);
	assert_int_equal(tu_write(r, "q.config", "100000", NULL), 0);
	assert_ptr_not_equal(rt_router_find(r, "q"), q); /* a bigger ring: swapped, packets moved */
	assert_int_equal(tu_read_int(r, "q.capacity"), 100000);
	assert_int_equal(tu_write(r, "q.config", "CAPACITY 30", NULL), 0);
	assert_string_equal(tu_read(r, "q.config"), "CAPACITY 30");
	assert_int_equal(tu_read_int(r, "q.length"), 4);
	assert_true(tu_write(r, "q.config", "CAPACITY lots", &err) < 0);
	assert_string_equal(err.msg, "q: CAPACITY: expected unsigned integer, not 'lots'");
	assert_int_equal(tu_read_int(r, "q.capacity"), 30);
	tu_router_free(r);
}

/* Two versions of a counter-like class, to show versioned state: V2 reads
 * Counter's version-1 state; Old only knows version 0 and must refuse. */
struct tcv {
	uint64_t count;
};

static void tcv_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	__atomic_fetch_add(&((struct tcv *)n->state)->count, b->n, __ATOMIC_RELAXED);
	el_output(n, 0, b);
}

static int tcv_import(struct el *e, const struct el_state *st, struct rt_err *err)
{
	uint64_t v;
	if (st->version < 1 || st->data.len < 8)
		return rt_errf(err, NULL, -EINVAL, "bad state");
	memcpy(&v, st->data.p, 8);
	EL_STATE(e, struct tcv)->count += rte_le_to_cpu_64(v);
	return 0;
}

static int tcv_read(struct el *e, intptr_t a, struct rt_buf *out)
{
	(void)a;
	rt_buf_printf(out, "%llu", (unsigned long long)EL_STATE(e, struct tcv)->count);
	return 0;
}

static const struct el_handler tcv_handlers[] = {{"count", tcv_read, NULL, 0, 0, "packets"}, EL_HANDLERS_END};
static const char *const tcv_imports[] = {"Counter", NULL};

static struct el_class tcv2 = {
	.name = "TestCounterV2", .ports = "1/1", .state_size = sizeof(struct tcv), .push = tcv_push,
	.handlers = tcv_handlers, .flags = EL_C_NOARGS, .state_version = 2, .imports = tcv_imports,
	.import_state = tcv_import,
};
EL_REGISTER(tcv2)

static struct el_class tcv0 = {
	.name = "TestCounterOld", .ports = "1/1", .state_size = sizeof(struct tcv), .push = tcv_push,
	.handlers = tcv_handlers, .flags = EL_C_NOARGS, .state_version = 0, .imports = tcv_imports,
	.import_state = tcv_import,
};
EL_REGISTER(tcv0)

static void test_versioned_state(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> c :: Counter -> s :: TestSink;", NULL);
	push_n(r, "c", 6);
	struct rt_err err;
	assert_int_equal(swap(r, "c", "TestCounterOld", &err), -EPROTO);
	assert_string_equal(err.msg, "c: TestCounterOld cannot take Counter state version 1 (it reads up to 0)");
	assert_string_equal(tu_read(r, "c.class"), "Counter");
	assert_int_equal(swap(r, "c", "TestCounterV2", &err), 0);
	assert_int_equal(tu_read_int(r, "c.count"), 6);
	push_n(r, "c", 1);
	assert_int_equal(tu_read_int(r, "c.count"), 7);
	tu_router_free(r);
}

static void test_queue_to_simplequeue(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q :: Queue(100) -> s :: TestSink;", NULL);
	push_n(r, "q", 9);
	struct rt_buf warn;
	rt_buf_init(&warn);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_swap(r, "q", "SimpleQueue(100)", &warn, &err), 0);
	assert_null(warn.p);
	assert_int_equal(tu_read_int(r, "q.length"), 9);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "s"), 9);
	for (int i = 0; i < 9; i++)
		assert_int_equal(rt_data(tu_sink_pkt(r, "s", i))[0], i);
	rt_buf_free(&warn);
	tu_router_free(r);
}

/* Sequence-numbered traffic in 16 flows from two workers, through a Queue
 * with a backlog, while the control thread swaps, rewires and reconfigures
 * (1000 operations): every packet exactly once, in order per flow, and the
 * carried counters exact. */
static void test_stress_no_loss_no_reorder(void **st)
{
	(void)st;
	const char *cfg_a =
		"s0 :: TestSeqSource(0, FLOWS 8) -> c0 :: Counter -> x :: Null -> q :: Queue(10000) -> d :: TestDelay(20000) -> y :: Null -> chk :: TestSeqCheck;\n"
		"s1 :: TestSeqSource(8, FLOWS 8) -> c1 :: Counter -> x;\n";
	const char *cfg_b =
		"s0 :: TestSeqSource(0, FLOWS 8) -> c0 :: Counter -> x :: Null -> p :: Paint(2) -> q :: Queue(10000) -> d :: TestDelay(20000)\n"
		"  -> y :: Null"
		"  -> chk :: TestSeqCheck;\n"
		"s1 :: TestSeqSource(8, FLOWS 8) -> c1 :: Counter -> x;\n";
	struct rt_router *r = tu_router_j(cfg_a, 2, NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_router_start(r, &err), 0);
	static const char *specs[] = {"Null", "Counter", "Paint(1)", "Paint(5)", "Counter"};
	srand(42);
	bool b = false;
	int ops = 0, hot = 0, busy_swaps = 0, rewires = 0;
	for (; ops < 1000; ops++) {
		int k = rand() % 10;
		const char *spec = specs[rand() % 5];
		int rc;
		if (k < 3)
			rc = swap(r, "x", spec, &err);
		else if (k < 6)
			rc = swap(r, "y", spec, &err);
		else if (k < 7)
			rc = swap(r, rand() % 2 ? "c0" : "c1", "Counter", &err);
		else if (k < 8) {
			busy_swaps += tu_read_int(r, "q.length") > 0;
			rc = swap(r, "q", "Queue(10000)", &err); /* its packets move to the new queue */
		} else if (k < 9 && !b) {
			/* rewiring: a side input added, connected into the path, then undone */
			rc = rt_ctl_add(r, "z :: Idle;", NULL, &err);
			if (rc == 0)
				rc = rt_ctl_connect(r, "z -> y", NULL, &err);
			if (rc == 0)
				rc = rt_ctl_disconnect(r, "z -> y", NULL, &err);
			if (rc == 0)
				rc = rt_ctl_remove(r, "z", NULL, NULL, &err);
			rewires += 4;
		} else {
			rc = hotconfig(r, b ? cfg_a : cfg_b, NULL, &err);
			b = !b;
			hot++;
		}
		if (rc < 0)
			fail_msg("op %d: %s", ops, err.msg);
		/* let traffic flow between changes: 64 packets or 5 ms */
		long long seen = tu_read_int(r, "c0.count");
		for (int i = 0; i < 50 && tu_read_int(r, "c0.count") < seen + 64; i++)
			usleep(100);
	}
	assert_true(hot > 50 && rewires > 50);
	assert_true(busy_swaps > 10); /* the queue really held packets when swapped */
	assert_int_equal(tu_write(r, "s0.active", "false", NULL), 0);
	assert_int_equal(tu_write(r, "s1.active", "false", NULL), 0);
	/* the queue drains; the pool (4095 packets) bounds what is in flight,
	 * so the Queue never overflows */
	for (int i = 0; i < 5000 && tu_read_int(r, "q.length"); i++)
		usleep(1000);
	usleep(20000);
	uint64_t t = rte_rcu_qsbr_start(r->qsbr);
	rte_rcu_qsbr_check(r->qsbr, t, true);
	assert_int_equal(tu_read_int(r, "q.drops"), 0);
	long long sent0 = tu_read_int(r, "s0.count"), sent1 = tu_read_int(r, "s1.count");
	rt_router_stop(r);
	rt_router_join(r);
	/* 16 flows, 8 from each source, each exactly once and in order */
	long long total = 0;
	const char *rx = tu_read(r, "chk.received");
	char *end;
	for (int f = 0; f < 16; f++, rx = end) {
		long long n = strtoll(rx, &end, 10);
		long long sent = f < 8 ? sent0 : sent1;
		assert_int_equal(n, sent / 8 + (f % 8 < sent % 8));
		total += n;
	}
	assert_int_equal(total, sent0 + sent1);
	assert_string_equal(tu_read(r, "chk.errors"), "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0");
	assert_true(sent0 > 1000 && sent1 > 1000);
	/* the counters were swapped hundreds of times and kept every count */
	assert_int_equal(tu_read_int(r, "c0.count"), sent0);
	assert_int_equal(tu_read_int(r, "c1.count"), sent1);
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swap_keeps_counter),
		cmocka_unit_test(test_swap_other_class_warns),
		cmocka_unit_test(test_swap_errors_leave_graph),
		cmocka_unit_test(test_swap_queue_keeps_packets_in_order),
		cmocka_unit_test(test_hotconfig_keeps_unchanged),
		cmocka_unit_test(test_hotconfig_changed_takes_state),
		cmocka_unit_test(test_hotconfig_errors_leave_graph),
		cmocka_unit_test(test_pulled_queue_refused),
		cmocka_unit_test(test_init_failure_rolls_back),
		cmocka_unit_test(test_add_and_connect),
		cmocka_unit_test(test_disconnect),
		cmocka_unit_test(test_remove_into),
		cmocka_unit_test(test_reconfigure_and_config_handler),
		cmocka_unit_test(test_versioned_state),
		cmocka_unit_test(test_queue_to_simplequeue),
		cmocka_unit_test(test_stress_no_loss_no_reorder),
	};
	return cmocka_run_group_tests_name("live", tests, NULL, NULL);
}
