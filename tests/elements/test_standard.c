/*
 * test_standard.c - the standard elements: Print, Tee, Paint, PaintSwitch,
 * Switch, RoundRobinSwitch, Null, Idle, Strip, Unstrip, Truncate, Pad,
 * AverageCounter, Queue, SimpleQueue, Unqueue, PrioSched, RoundRobinSched
 * and RatedSource: batch behaviour, arguments (with their errors) and
 * handlers.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tu.h"

/* ---- helpers ---------------------------------------------------------------- */

/* A packet of `len` bytes (byte i = (i + seq) & 0xff) with seq annotation. */
static struct rte_mbuf *mk(struct rt_router *r, uint32_t len, uint64_t seq)
{
	uint8_t buf[2048];
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i + seq);
	struct rte_mbuf *m = tu_pkt(r, buf, len);
	rt_anno(m)->seq = seq;
	return m;
}

static void push_n(struct rt_router *r, const char *name, int port, int n, uint32_t len, uint64_t seq0)
{
	struct rte_mbuf *pkts[256];
	assert_true(n <= 256);
	for (int i = 0; i < n; i++)
		pkts[i] = mk(r, len, seq0 + (uint64_t)i);
	tu_push(r, name, port, pkts, n);
}

static uint64_t seq_of(struct rt_router *r, const char *sink, int i) { return rt_anno(tu_sink_pkt(r, sink, i))->seq; }

/* Every packet of the router's pool is back (nothing leaked or held). */
static void assert_pool_full(struct rt_router *r)
{
	struct rte_mempool *mp = rt_router_pool(r);
	assert_int_equal(rte_mempool_avail_count(mp), mp->size);
}

static void expect_write_error(struct rt_router *r, const char *h, const char *v, const char *msg)
{
	struct rt_err err;
	assert_true(tu_write(r, h, v, &err) < 0);
	assert_string_equal(err.msg, msg);
}

/* stderr capture, for Print */
struct capture {
	FILE *f;
	int saved;
};

static void capture_begin(struct capture *c)
{
	fflush(stderr);
	c->f = tmpfile();
	assert_non_null(c->f);
	c->saved = dup(2);
	dup2(fileno(c->f), 2);
}

static const char *capture_end(struct capture *c)
{
	static char buf[8192];
	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	rewind(c->f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, c->f);
	buf[n] = 0;
	fclose(c->f);
	return buf;
}

/* ---- Print -------------------------------------------------------------------- */

static void test_print(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> p :: Print(hello, 6) -> s :: TestSink;\n"
					"Idle -> q :: Print -> t :: TestSink;\n"
					"Idle -> a :: Print(\"x y\", CONTENTS ASCII, MAXLENGTH -1, TIMESTAMP true) -> u :: TestSink;\n"
					"Idle -> n :: Print(n, CONTENTS NONE, HEADROOM true) -> v :: TestSink;",
					NULL);
	struct capture c;
	capture_begin(&c);
	push_n(r, "p", 0, 1, 10, 0);
	assert_string_equal(capture_end(&c), "hello:   10 | 00010203 0405\n");
	capture_begin(&c);
	push_n(r, "q", 0, 1, 30, 0);
	assert_string_equal(capture_end(&c), "  30 | 00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617\n");
	struct rte_mbuf *m = tu_pkt(r, "abcdefgh\x01jk", 11);
	rt_anno(m)->timestamp = 1500000000ull + 2000; /* 1.500002 s */
	capture_begin(&c);
	tu_push1(r, "a", 0, m);
	assert_string_equal(capture_end(&c), "x y: 1.500002:   11 |  abcdefgh .jk\n");
	capture_begin(&c);
	push_n(r, "n", 0, 1, 64, 0);
	assert_string_equal(capture_end(&c), "n:   64 (h128 t1984)\n");
	/* packets pass unchanged */
	assert_int_equal(tu_sink_count(r, "s"), 1);
	assert_int_equal(rt_len(tu_sink_pkt(r, "s", 0)), 10);
	assert_memory_equal(rt_data(tu_sink_pkt(r, "u", 0)), "abcdefgh\x01jk", 11);
	/* active handler */
	assert_string_equal(tu_read(r, "p.active"), "true");
	assert_int_equal(tu_write(r, "p.active", "false", NULL), 0);
	assert_string_equal(tu_read(r, "p.active"), "false");
	capture_begin(&c);
	push_n(r, "p", 0, 3, 10, 0);
	assert_string_equal(capture_end(&c), "");
	assert_int_equal(tu_sink_count(r, "s"), 4);
	expect_write_error(r, "p.active", "perhaps", "expected boolean, not 'perhaps'");
	tu_router_free(r);

	r = tu_router("Idle -> p :: Print(ACTIVE false) -> s :: TestSink;", NULL);
	capture_begin(&c);
	push_n(r, "p", 0, 1, 10, 0);
	assert_string_equal(capture_end(&c), "");
	tu_router_free(r);

	tu_expect_error("Idle -> p :: Print(x, CONTENTS FOO) -> Idle;",
			"test.click:1:9: p: CONTENTS: bad contents value 'FOO'; should be 'NONE', 'HEX', or 'ASCII'");
	tu_expect_error("p :: Print(x, MAXLENGTH many) -> Idle;", "test.click:1:1: p: MAXLENGTH: expected integer, not 'many'");
	tu_expect_error("p :: Print(x, COLOUR red) -> Idle;", "test.click:1:1: p: unknown argument 'COLOUR'");
}

/* ---- Tee ---------------------------------------------------------------------- */

static void test_tee(void **st)
{
	(void)st;
	struct rt_router *r =
		tu_router("Idle -> t :: Tee; t[0] -> a :: TestSink; t[1] -> b :: TestSink; t[2] -> c :: TestSink;", NULL);
	struct rte_mbuf *orig[5];
	for (int i = 0; i < 5; i++) {
		orig[i] = mk(r, 60 + (uint32_t)i, (uint64_t)i);
		rt_anno(orig[i])->paint = (uint8_t)(10 + i);
		rt_set_nh(orig[i], 14);
	}
	tu_push(r, "t", 0, orig, 5);
	const char *sinks[] = {"a", "b", "c"};
	for (int k = 0; k < 3; k++) {
		assert_int_equal(tu_sink_count(r, sinks[k]), 5);
		for (int i = 0; i < 5; i++) {
			struct rte_mbuf *m = tu_sink_pkt(r, sinks[k], i);
			struct rte_mbuf *a = tu_sink_pkt(r, "a", i);
			assert_int_equal(rt_len(m), 60 + i);
			assert_memory_equal(rt_data(m), rt_data(a), rt_len(a));
			assert_int_equal(rt_anno(m)->paint, 10 + i);
			assert_int_equal(rt_anno(m)->seq, i);
			assert_int_equal(rt_nh_offset(m), 14);
			if (k == 0)
				assert_ptr_equal(m, orig[i]); /* output 0 gets the original */
			else
				assert_ptr_not_equal(m, orig[i]);
		}
	}
	/* copies are independent */
	rt_data(tu_sink_pkt(r, "b", 0))[0] = 0xee;
	assert_int_equal(rt_data(tu_sink_pkt(r, "a", 0))[0], 0);
	assert_int_equal(rt_data(tu_sink_pkt(r, "c", 0))[0], 0);
	assert_int_equal(tu_read_int(r, "t.drops"), 0);
	tu_sink_clear(r, "a"), tu_sink_clear(r, "b"), tu_sink_clear(r, "c");
	assert_pool_full(r);
	tu_router_free(r);

	/* the copy keeps the stripped bytes: Unstrip after Tee uncovers them */
	r = tu_router("Idle -> st :: Strip(14) -> t :: Tee(2); t[0] -> a :: TestSink; t[1] -> Unstrip(14) -> b :: TestSink;", NULL);
	struct rte_mbuf *m = mk(r, 80, 3);
	uint8_t want[80];
	memcpy(want, rt_data(m), 80);
	tu_push1(r, "st", 0, m);
	assert_int_equal(rt_len(tu_sink_pkt(r, "a", 0)), 66);
	assert_int_equal(rt_len(tu_sink_pkt(r, "b", 0)), 80);
	assert_memory_equal(rt_data(tu_sink_pkt(r, "b", 0)), want, 80);
	tu_router_free(r);

	/* PaintTee's copies too (it copied the data to the pool's default
	 * headroom and the annotations as they were: the network header
	 * offset then pointed 14 bytes off) */
	r = tu_router("Idle -> st :: Strip(14) -> Paint(3) -> t :: PaintTee(3); t[0] -> a :: TestSink;"
		      " t[1] -> Unstrip(14) -> b :: TestSink;", NULL);
	m = mk(r, 80, 3);
	memcpy(want, rt_data(m), 80);
	rt_set_nh(m, 14);
	tu_push1(r, "st", 0, m);
	assert_int_equal(tu_sink_count(r, "b"), 1);
	assert_int_equal(rt_len(tu_sink_pkt(r, "b", 0)), 80);
	assert_memory_equal(rt_data(tu_sink_pkt(r, "b", 0)), want, 80);
	assert_ptr_equal(rt_nh(tu_sink_pkt(r, "b", 0)), rt_data(tu_sink_pkt(r, "b", 0)) + 14);
	assert_ptr_equal(rt_nh(tu_sink_pkt(r, "a", 0)), rt_data(tu_sink_pkt(r, "a", 0)));
	tu_router_free(r);

	tu_expect_error("t :: Tee(2); Idle -> t; t[0] -> Idle; t[1] -> Idle; t[2] -> Idle;",
			"test.click:1:58: port 2 out of range for 't' (Tee has 2 outputs)");
	tu_expect_error("t :: Tee(0); Idle -> t -> Idle;", "test.click:1:1: t: N must be at least 1");
	tu_expect_error("t :: Tee(two); Idle -> t -> Idle;", "test.click:1:1: t: N: expected integer, not 'two'");
	tu_expect_error("t :: Tee(N 2, M 3); Idle -> t -> Idle;", "test.click:1:1: t: unknown argument 'M'");
	tu_expect_error("t :: Tee(2, 3); Idle -> t -> Idle;", "test.click:1:1: t: too many arguments (unexpected '3')");
}

/* ---- Paint, PaintSwitch ---------------------------------------------------- */

static void test_paint(void **st)
{
	(void)st;
	char conf[256];
	snprintf(conf, sizeof(conf), "Idle -> p :: Paint(7) -> s :: TestSink; Idle -> q :: Paint(COLOR 9, ANNO %zu) -> t :: TestSink;",
		 offsetof(struct rt_anno, seq) + 1);
	struct rt_router *r = tu_router(conf, NULL);
	push_n(r, "p", 0, 3, 20, 0);
	assert_int_equal(tu_sink_count(r, "s"), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rt_anno(tu_sink_pkt(r, "s", i))->paint, 7);
	assert_string_equal(tu_read(r, "p.color"), "7");
	assert_int_equal(tu_write(r, "p.color", "200", NULL), 0);
	push_n(r, "p", 0, 1, 20, 0);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "s", 3))->paint, 200);
	expect_write_error(r, "p.color", "256", "p: color must be 0..255");
	/* ANNO: byte 1 of the seq annotation */
	push_n(r, "q", 0, 1, 20, 0);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "t", 0))->seq, 9 << 8);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "t", 0))->paint, 0);
	tu_router_free(r);

	tu_expect_error("Idle -> p :: Paint(256) -> Idle;", "test.click:1:9: p: COLOR must be 0..255");
	tu_expect_error("p :: Paint -> Idle;", "test.click:1:1: p: missing mandatory argument 'COLOR'");
	tu_expect_error("Idle -> p :: Paint(1, ANNO 0) -> Idle;",
			"test.click:1:9: p: ANNO: expected PAINT or the offset of a one-byte user annotation, not '0'");
}

static void test_paintswitch(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> ps :: PaintSwitch; ps[0] -> a :: TestSink; ps[1] -> b :: TestSink;"
					"ps[2] -> c :: TestSink;",
					NULL);
	/* unicast only: 2 0 2 1 9(no such output) */
	const uint8_t paints[] = {2, 0, 2, 1, 9};
	struct rte_mbuf *pkts[5];
	for (int i = 0; i < 5; i++) {
		pkts[i] = mk(r, 30, (uint64_t)i);
		rt_anno(pkts[i])->paint = paints[i];
	}
	tu_push(r, "ps", 0, pkts, 5);
	assert_int_equal(tu_sink_count(r, "a"), 1);
	assert_int_equal(tu_sink_count(r, "b"), 1);
	assert_int_equal(tu_sink_count(r, "c"), 2);
	assert_int_equal(seq_of(r, "a", 0), 1);
	assert_int_equal(seq_of(r, "b", 0), 3);
	assert_int_equal(seq_of(r, "c", 0), 0);
	assert_int_equal(seq_of(r, "c", 1), 2);
	tu_sink_clear(r, "a"), tu_sink_clear(r, "b"), tu_sink_clear(r, "c");
	assert_pool_full(r); /* the packet painted 9 was freed */

	/* 255 goes everywhere, in order with the others */
	const uint8_t paints2[] = {1, 255, 0, 3};
	for (int i = 0; i < 4; i++) {
		pkts[i] = mk(r, 30, (uint64_t)(10 + i));
		rt_anno(pkts[i])->paint = paints2[i];
	}
	tu_push(r, "ps", 0, pkts, 4);
	assert_int_equal(tu_sink_count(r, "a"), 2);
	assert_int_equal(tu_sink_count(r, "b"), 2);
	assert_int_equal(tu_sink_count(r, "c"), 1);
	assert_int_equal(seq_of(r, "a", 0), 11);
	assert_int_equal(seq_of(r, "a", 1), 12);
	assert_int_equal(seq_of(r, "b", 0), 10);
	assert_int_equal(seq_of(r, "b", 1), 11);
	assert_int_equal(seq_of(r, "c", 0), 11);
	assert_ptr_equal(tu_sink_pkt(r, "c", 0), pkts[1]); /* the last output gets the original */
	assert_memory_equal(rt_data(tu_sink_pkt(r, "a", 0)), rt_data(pkts[1]), 30);
	tu_sink_clear(r, "a"), tu_sink_clear(r, "b"), tu_sink_clear(r, "c");
	assert_pool_full(r);
	tu_router_free(r);

	/* Paint feeding PaintSwitch */
	r = tu_router("Idle -> p :: Paint(1) -> ps :: PaintSwitch(ANNO PAINT); ps[0] -> a :: TestSink; ps[1] -> b :: TestSink;", NULL);
	push_n(r, "p", 0, 3, 30, 0);
	assert_int_equal(tu_sink_count(r, "a"), 0);
	assert_int_equal(tu_sink_count(r, "b"), 3);
	tu_router_free(r);
	tu_expect_error("ps :: PaintSwitch(ANNO 3x); Idle -> ps -> Idle;",
			"test.click:1:1: ps: ANNO: expected PAINT or the offset of a one-byte user annotation, not '3x'");
}

/* ---- Switch, RoundRobinSwitch ---------------------------------------------- */

static void test_switch(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> sw :: Switch(1); sw[0] -> a :: TestSink; sw[1] -> b :: TestSink;", NULL);
	push_n(r, "sw", 0, 3, 20, 0);
	assert_int_equal(tu_sink_count(r, "a"), 0);
	assert_int_equal(tu_sink_count(r, "b"), 3);
	assert_string_equal(tu_read(r, "sw.switch"), "1");
	assert_int_equal(tu_write(r, "sw.switch", "0", NULL), 0);
	push_n(r, "sw", 0, 2, 20, 0);
	assert_int_equal(tu_sink_count(r, "a"), 2);
	assert_int_equal(tu_write(r, "sw.switch", "-1", NULL), 0);
	push_n(r, "sw", 0, 4, 20, 0);
	assert_int_equal(tu_sink_count(r, "a"), 2);
	assert_int_equal(tu_sink_count(r, "b"), 3);
	assert_int_equal(tu_write(r, "sw.switch", "5", NULL), 0); /* no output 5: drop */
	assert_string_equal(tu_read(r, "sw.switch"), "-1");
	expect_write_error(r, "sw.switch", "one", "expected integer, not 'one'");
	tu_sink_clear(r, "a"), tu_sink_clear(r, "b");
	assert_pool_full(r);
	tu_router_free(r);

	r = tu_router("Idle -> sw :: Switch -> a :: TestSink;", NULL);
	push_n(r, "sw", 0, 1, 20, 0);
	assert_int_equal(tu_sink_count(r, "a"), 1);
	tu_router_free(r);
	tu_expect_error("sw :: Switch(2); Idle -> sw; sw[0] -> Idle; sw[1] -> Idle;",
			"test.click:1:1: sw: OUTPUT must be < 2");
	tu_expect_error("sw :: Switch(x); Idle -> sw -> Idle;", "test.click:1:1: sw: OUTPUT: expected integer, not 'x'");
}

static void test_rrswitch(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> rr :: RoundRobinSwitch; rr[0] -> a :: TestSink; rr[1] -> b :: TestSink;"
					"rr[2] -> c :: TestSink;",
					NULL);
	push_n(r, "rr", 0, 7, 20, 0);
	assert_int_equal(tu_sink_count(r, "a"), 3);
	assert_int_equal(tu_sink_count(r, "b"), 2);
	assert_int_equal(tu_sink_count(r, "c"), 2);
	assert_int_equal(seq_of(r, "a", 0), 0);
	assert_int_equal(seq_of(r, "a", 1), 3);
	assert_int_equal(seq_of(r, "a", 2), 6);
	assert_int_equal(seq_of(r, "b", 1), 4);
	assert_int_equal(seq_of(r, "c", 1), 5);
	/* the rotation carries over to the next batch: 7 -> b, 8 -> c */
	push_n(r, "rr", 0, 2, 20, 7);
	assert_int_equal(seq_of(r, "b", 2), 7);
	assert_int_equal(seq_of(r, "c", 2), 8);
	assert_int_equal(tu_sink_count(r, "a"), 3);
	tu_router_free(r);
	tu_expect_error("rr :: RoundRobinSwitch(2); Idle -> rr -> Idle;",
			"test.click:1:1: rr: RoundRobinSwitch takes no arguments");
}

/* ---- Null, Idle ---------------------------------------------------------------- */

static void test_null_idle(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> n :: Null -> s :: TestSink;\n"
					"src :: InfiniteSource(LIMIT 100) -> i :: Idle; i -> t :: TestSink; Idle -> [1] i;",
					NULL);
	push_n(r, "n", 0, 4, 20, 0);
	assert_int_equal(tu_sink_count(r, "s"), 4);
	assert_int_equal(seq_of(r, "s", 3), 3);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_read_int(r, "src.count"), 100);
	assert_int_equal(tu_sink_count(r, "t"), 0); /* Idle never pushes */
	push_n(r, "i", 1, 5, 20, 0);
	tu_sink_clear(r, "s");
	assert_pool_full(r); /* Idle freed what it got */
	assert_string_equal(tu_read(r, "i.ports"), "2 inputs\npush\npush\n1 output\npush\n");
	tu_router_free(r);
	tu_expect_error("n :: Null(1); Idle -> n -> Idle;", "test.click:1:1: n: Null takes no arguments");
}

/* ---- Strip, Unstrip, Truncate, Pad --------------------------------------- */

static void test_strip_unstrip(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> st :: Strip(14) -> a :: TestSink;\n"
					"Idle -> s2 :: Strip(14) -> Unstrip(14) -> b :: TestSink;\n"
					"Idle -> s3 :: Strip(LENGTH 100) -> c :: TestSink;\n"
					"Idle -> u :: Unstrip(200) -> d :: TestSink;\n"
					"Idle -> u2 :: Unstrip(3000) -> e :: TestSink;",
					NULL);
	struct rte_mbuf *m = mk(r, 60, 0);
	rt_set_nh(m, 14);
	tu_push1(r, "st", 0, m);
	m = tu_sink_pkt(r, "a", 0);
	assert_int_equal(rt_len(m), 46);
	assert_int_equal(rt_data(m)[0], 14);
	assert_int_equal(rt_nh_offset(m), 0); /* the network header stays put */

	uint8_t want[60];
	m = mk(r, 60, 5);
	memcpy(want, rt_data(m), 60);
	tu_push1(r, "s2", 0, m);
	assert_int_equal(rt_len(tu_sink_pkt(r, "b", 0)), 60);
	assert_memory_equal(rt_data(tu_sink_pkt(r, "b", 0)), want, 60);

	push_n(r, "s3", 0, 1, 60, 0); /* shorter than LENGTH: emptied */
	assert_int_equal(rt_len(tu_sink_pkt(r, "c", 0)), 0);

	/* more than the headroom: the data moves back, the bytes stay */
	m = mk(r, 60, 9);
	memcpy(want, rt_data(m), 60);
	rt_set_nh(m, 0);
	tu_push1(r, "u", 0, m);
	m = tu_sink_pkt(r, "d", 0);
	assert_int_equal(rt_len(m), 260);
	assert_memory_equal(rt_data(m) + 200, want, 60);
	assert_int_equal(rt_nh_offset(m), 200);
	/* too big for the buffer: dropped, counted */
	push_n(r, "u2", 0, 2, 60, 0);
	assert_int_equal(tu_sink_count(r, "e"), 0);
	assert_int_equal(tu_read_int(r, "u2.drops"), 2);
	tu_router_free(r);

	tu_expect_error("st :: Strip -> Idle; Idle -> st;", "test.click:1:1: st: missing mandatory argument 'LENGTH'");
	tu_expect_error("u :: Unstrip(-2) -> Idle; Idle -> u;",
			"test.click:1:1: u: LENGTH: expected unsigned integer, not '-2'");
}

static void test_truncate_pad(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> t :: Truncate(20) -> a :: TestSink;\n"
					"Idle -> p :: Pad(60) -> b :: TestSink;\n"
					"Idle -> p2 :: Pad(64, ZERO false) -> c :: TestSink;\n"
					"Idle -> p3 :: Pad(LENGTH 2100) -> d :: TestSink;\n"
					"Idle -> p4 :: Pad -> e :: TestSink;",
					NULL);
	push_n(r, "t", 0, 1, 60, 0);
	push_n(r, "t", 0, 1, 10, 0);
	assert_int_equal(rt_len(tu_sink_pkt(r, "a", 0)), 20);
	assert_int_equal(rt_len(tu_sink_pkt(r, "a", 1)), 10);
	assert_string_equal(tu_read(r, "t.length"), "20");
	assert_int_equal(tu_write(r, "t.length", "5", NULL), 0);
	push_n(r, "t", 0, 1, 60, 0);
	assert_int_equal(rt_len(tu_sink_pkt(r, "a", 2)), 5);
	assert_int_equal(rt_data(tu_sink_pkt(r, "a", 2))[4], 4);
	expect_write_error(r, "t.length", "-1", "expected unsigned integer, not '-1'");

	struct rte_mbuf *m = mk(r, 20, 1);
	memset(rt_data(m) + 20, 0xab, 100); /* dirty tailroom */
	tu_push1(r, "p", 0, m);
	push_n(r, "p", 0, 1, 70, 0);
	m = tu_sink_pkt(r, "b", 0);
	assert_int_equal(rt_len(m), 60);
	assert_int_equal(rt_data(m)[19], 20);
	for (int i = 20; i < 60; i++)
		assert_int_equal(rt_data(m)[i], 0);
	assert_int_equal(rt_len(tu_sink_pkt(r, "b", 1)), 70);

	m = mk(r, 20, 1);
	memset(rt_data(m) + 20, 0xab, 100);
	tu_push1(r, "p2", 0, m);
	m = tu_sink_pkt(r, "c", 0);
	assert_int_equal(rt_len(m), 64);
	assert_int_equal(rt_data(m)[40], 0xab); /* ZERO false leaves the bytes */

	/* 2100 > the 2048-byte tailroom: the data moves to the buffer start */
	m = mk(r, 20, 1);
	tu_push1(r, "p3", 0, m);
	m = tu_sink_pkt(r, "d", 0);
	assert_int_equal(rt_len(m), 2100);
	assert_int_equal(rt_data(m)[19], 20);
	assert_int_equal(rt_data(m)[2099], 0);
	push_n(r, "p4", 0, 1, 20, 0);
	assert_int_equal(rt_len(tu_sink_pkt(r, "e", 0)), 20);
	assert_int_equal(tu_read_int(r, "p3.drops"), 0);
	tu_router_free(r);

	r = tu_router("Idle -> p :: Pad(3000) -> b :: TestSink;", NULL);
	push_n(r, "p", 0, 2, 20, 0);
	assert_int_equal(tu_sink_count(r, "b"), 0);
	assert_int_equal(tu_read_int(r, "p.drops"), 2);
	assert_pool_full(r);
	tu_router_free(r);

	tu_expect_error("t :: Truncate -> Idle; Idle -> t;", "test.click:1:1: t: missing mandatory argument 'LENGTH'");
	tu_expect_error("p :: Pad(60, ZERO maybe) -> Idle; Idle -> p;",
			"test.click:1:1: p: ZERO: expected boolean, not 'maybe'");
}

/* ---- AverageCounter ----------------------------------------------------------- */

static void spin_ms(int ms)
{
	uint64_t end = rt_now_ns() + (uint64_t)ms * 1000000ull;
	while (rt_now_ns() < end)
		;
}

static void test_averagecounter(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> a :: AverageCounter -> s :: TestSink; Idle -> i :: AverageCounter(10) -> t :: TestSink;",
					NULL);
	assert_string_equal(tu_read(r, "a.rate"), "0");
	push_n(r, "a", 0, 10, 100, 0);
	spin_ms(50);
	push_n(r, "a", 0, 10, 100, 0);
	assert_int_equal(tu_read_int(r, "a.count"), 20);
	assert_int_equal(tu_read_int(r, "a.byte_count"), 2000);
	assert_int_equal(tu_sink_count(r, "s"), 20);
	/* 20 packets over a bit more than 50 ms: under 400/s (with slack for
	 * DPDK's TSC frequency estimate) */
	double rate = strtod(tu_read(r, "a.rate"), NULL), brate = strtod(tu_read(r, "a.byte_rate"), NULL);
	if (!(rate > 200 && rate < 440))
		print_message("rate %f\n", rate);
	assert_true(rate > 200 && rate < 440);
	assert_true(brate > 100 * rate - 1 && brate < 100 * rate + 1);
	assert_int_equal(tu_write(r, "a.reset", "", NULL), 0);
	assert_int_equal(tu_read_int(r, "a.count"), 0);
	assert_int_equal(tu_read_int(r, "a.byte_count"), 0);
	push_n(r, "a", 0, 3, 50, 0);
	assert_int_equal(tu_read_int(r, "a.count"), 3);
	assert_int_equal(tu_read_int(r, "a.byte_count"), 150);
	/* IGNORE 10 s: nothing counted yet, packets still pass */
	push_n(r, "i", 0, 5, 100, 0);
	assert_int_equal(tu_read_int(r, "i.count"), 0);
	assert_int_equal(tu_sink_count(r, "t"), 5);
	tu_router_free(r);
	tu_expect_error("a :: AverageCounter(IGNORE soon) -> Idle; Idle -> a;",
			"test.click:1:1: a: IGNORE: expected time interval, not 'soon'");
}

/* ---- Queue, SimpleQueue -------------------------------------------------------- */

static void test_queue(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q :: Queue(5) -> s :: TestSink;", NULL);
	assert_string_equal(tu_read(r, "q.capacity"), "5");
	push_n(r, "q", 0, 8, 30, 0);
	assert_int_equal(tu_read_int(r, "q.length"), 5);
	assert_int_equal(tu_read_int(r, "q.drops"), 3);
	assert_int_equal(tu_read_int(r, "q.highwater_length"), 5);
	assert_int_equal(tu_sink_count(r, "s"), 0); /* a worker boundary: nothing passes on push */
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "s"), 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(seq_of(r, "s", i), i); /* FIFO; the last three were dropped */
	assert_int_equal(tu_read_int(r, "q.length"), 0);
	assert_int_equal(tu_read_int(r, "q.highwater_length"), 5);
	assert_int_equal(tu_write(r, "q.reset_counts", "", NULL), 0);
	assert_int_equal(tu_read_int(r, "q.drops"), 0);
	assert_int_equal(tu_read_int(r, "q.highwater_length"), 0);
	/* capacity is writable */
	assert_int_equal(tu_write(r, "q.capacity", "70", NULL), 0);
	push_n(r, "q", 0, 70, 30, 100);
	assert_int_equal(tu_read_int(r, "q.length"), 70);
	assert_int_equal(tu_read_int(r, "q.drops"), 0);
	assert_int_equal(tu_read_int(r, "q.highwater_length"), 70);
	expect_write_error(r, "q.capacity", "100000000", "q: capacity must be at most 4095 without reconfiguring");
	/* reset drops the queued packets */
	assert_int_equal(tu_write(r, "q.reset", "", NULL), 0);
	assert_int_equal(tu_read_int(r, "q.length"), 0);
	tu_sink_clear(r, "s");
	assert_pool_full(r);
	tu_router_free(r);

	/* dropped packets leave on output 1 when it exists; the default capacity is 1000 */
	r = tu_router("Idle -> q :: Queue; q[0] -> s :: TestSink; q[1] -> d :: TestSink;\n"
		      "Idle -> sq :: SimpleQueue(2); sq[0] -> t :: TestSink; sq[1] -> e :: TestSink;",
		      NULL);
	assert_string_equal(tu_read(r, "q.capacity"), "1000");
	push_n(r, "sq", 0, 5, 30, 0);
	assert_int_equal(tu_sink_count(r, "e"), 3);
	assert_int_equal(seq_of(r, "e", 0), 2);
	assert_int_equal(tu_read_int(r, "sq.drops"), 3);
	assert_string_equal(tu_read(r, "sq.class"), "SimpleQueue");
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "t"), 2);
	assert_int_equal(seq_of(r, "t", 1), 1);
	tu_router_free(r);

	/* packets left in a queue are freed with the router (checked by ASan/valgrind) */
	r = tu_router("Idle -> q :: Queue -> Idle;", NULL);
	push_n(r, "q", 0, 10, 30, 0);
	tu_router_free(r);

	tu_expect_error("q :: Queue(x) -> Idle; Idle -> q;",
			"test.click:1:1: q: CAPACITY: expected unsigned integer, not 'x'");
	tu_expect_error("q :: Queue(CAPACITY 100000000) -> Idle; Idle -> q;",
			"test.click:1:1: q: CAPACITY must be at most 16777216");
}

/* Two workers: a source on one, the Queue's task on the other. */
static void test_queue_two_workers(void **st)
{
	(void)st;
	struct rt_router *r = tu_router_j("s :: InfiniteSource(LIMIT 20000, STOP true) -> q :: Queue(30000)"
					  " -> c :: Counter -> Discard;",
					  2, NULL);
	assert_int_equal(tu_run(r, 10000), 0);
	assert_int_equal(tu_read_int(r, "q.drops"), 0);
	assert_int_equal(tu_read_int(r, "c.count") + tu_read_int(r, "q.length"), 20000);
	tu_router_free(r);
}

/* ---- schedulers, Unqueue ---------------------------------------------------- */

static void test_priosched(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q0 :: Queue; Idle -> q1 :: Queue; Idle -> n :: Null;\n"
					"q0 -> [0] ps :: PrioSched; q1 -> [1] ps; n -> [2] ps; ps -> s :: TestSink;",
					NULL);
	/* the scheduler pulls: it is the only task */
	assert_int_equal(r->plan->ntasks[0], 1);
	assert_string_equal(r->plan->tasks[0][0]->e->name, "ps");
	push_n(r, "q1", 0, 40, 30, 100);
	push_n(r, "q0", 0, 40, 30, 0);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "s"), 80);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(seq_of(r, "s", i), i);
		assert_int_equal(seq_of(r, "s", 40 + i), 100 + i);
	}
	/* input 0 keeps priority even when input 1 was filled first */
	tu_sink_clear(r, "s");
	push_n(r, "q1", 0, 20, 30, 100);
	push_n(r, "q0", 0, 20, 30, 0);
	tu_run_tasks(r, 1);
	assert_int_equal(tu_sink_count(r, "s"), 32);
	assert_int_equal(seq_of(r, "s", 19), 19);
	assert_int_equal(seq_of(r, "s", 20), 100);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "s"), 40);
	/* an input not fed by a Queue is forwarded directly */
	push_n(r, "n", 0, 2, 30, 500);
	assert_int_equal(tu_sink_count(r, "s"), 42);
	assert_int_equal(seq_of(r, "s", 41), 501);
	tu_router_free(r);
	tu_expect_error("ps :: PrioSched(1); Idle -> ps -> Idle;", "test.click:1:1: ps: PrioSched takes no arguments");
}

static void test_rrsched(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q0 :: Queue; Idle -> q1 :: SimpleQueue;\n"
					"q0 -> [0] rr :: RoundRobinSched; q1 -> [1] rr; rr -> s :: TestSink;",
					NULL);
	assert_int_equal(r->plan->ntasks[0], 1);
	push_n(r, "q0", 0, 40, 30, 0);
	push_n(r, "q1", 0, 40, 30, 100);
	tu_run_tasks(r, 1);
	/* one run: an equal share of each */
	assert_int_equal(tu_sink_count(r, "s"), 32);
	int from0 = 0;
	for (int i = 0; i < 32; i++)
		from0 += seq_of(r, "s", i) < 100;
	assert_int_equal(from0, 16);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "s"), 80);
	/* each queue's packets stay in order */
	uint64_t last0 = 0, last1 = 99;
	for (int i = 0; i < 80; i++) {
		uint64_t q = seq_of(r, "s", i);
		if (q < 100) {
			assert_true(q == 0 || q == last0 + 1);
			last0 = q;
		} else {
			assert_true(q == last1 + 1);
			last1 = q;
		}
	}
	/* only one queue busy: it gets the whole burst */
	tu_sink_clear(r, "s");
	push_n(r, "q1", 0, 40, 30, 100);
	tu_run_tasks(r, 1);
	assert_int_equal(tu_sink_count(r, "s"), 32);
	tu_router_free(r);
}

static void test_unqueue(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> q :: Queue -> u :: Unqueue(4, ACTIVE false) -> s :: TestSink;\n"
					"Idle -> n :: Null -> v :: Unqueue -> t :: TestSink;\n"
					"Idle -> q2 :: Queue -> w :: Unqueue(LIMIT 3) -> x :: TestSink;",
					NULL);
	push_n(r, "q", 0, 10, 30, 0);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "s"), 0);
	assert_int_equal(tu_read_int(r, "q.length"), 10); /* inactive: packets wait in the queue */
	assert_string_equal(tu_read(r, "u.active"), "false");
	assert_int_equal(tu_write(r, "u.active", "true", NULL), 0);
	tu_run_tasks(r, 1);
	assert_int_equal(tu_sink_count(r, "s"), 4); /* BURST 4 per run */
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "s"), 10);
	assert_int_equal(seq_of(r, "s", 9), 9);
	assert_int_equal(tu_read_int(r, "u.count"), 10);
	assert_string_equal(tu_read(r, "u.burst"), "4");
	/* pass-through */
	push_n(r, "n", 0, 5, 30, 0);
	assert_int_equal(tu_sink_count(r, "t"), 5);
	assert_int_equal(tu_read_int(r, "v.count"), 5);
	/* LIMIT leaves the rest queued; reset allows LIMIT more */
	push_n(r, "q2", 0, 10, 30, 0);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "x"), 3);
	assert_int_equal(tu_read_int(r, "q2.length"), 7);
	assert_int_equal(tu_write(r, "w.reset", "", NULL), 0);
	assert_int_equal(tu_read_int(r, "w.count"), 0);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "x"), 6);
	assert_int_equal(tu_write(r, "w.limit", "-1", NULL), 0);
	tu_run_tasks(r, 100);
	assert_int_equal(tu_sink_count(r, "x"), 10);
	tu_router_free(r);
	tu_expect_error("u :: Unqueue(BURST x) -> Idle; Idle -> u;", "test.click:1:1: u: BURST: expected integer, not 'x'");
}

/* ---- RatedSource ------------------------------------------------------------------ */

static void test_ratedsource(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("rs :: RatedSource(RATE 1000) -> c :: Counter -> Discard;", NULL);
	assert_string_equal(tu_read(r, "rs.rate"), "1000");
	/* 200 ms of real time: about 200 packets (one at the start, then one per
	 * ms).  Never more than the time allows; fewer only if this thread was
	 * starved (a busy machine), so the lower bound has slack. */
	uint64_t start = rt_now_ns(), end = start + 200000000ull;
	while (rt_now_ns() < end)
		tu_run_tasks(r, 1);
	double ms = (double)(rt_now_ns() - start) / 1e6;
	long long n = tu_read_int(r, "rs.count");
	if (!(n >= 120 && n <= ms * 1.05 + 2))
		print_message("RatedSource(RATE 1000): %lld packets in %.1f ms\n", n, ms);
	assert_true(n >= 120 && n <= ms * 1.05 + 2);
	assert_int_equal(tu_read_int(r, "c.count"), n);
	/* inactive: nothing more */
	assert_int_equal(tu_write(r, "rs.active", "false", NULL), 0);
	spin_ms(20);
	tu_run_tasks(r, 10);
	assert_int_equal(tu_read_int(r, "rs.count"), n);
	assert_int_equal(tu_write(r, "rs.rate", "2000", NULL), 0);
	assert_string_equal(tu_read(r, "rs.rate"), "2000");
	assert_int_equal(tu_write(r, "rs.reset", "", NULL), 0);
	assert_int_equal(tu_read_int(r, "rs.count"), 0);
	expect_write_error(r, "rs.rate", "fast", "expected unsigned integer, not 'fast'");
	tu_router_free(r);

	/* DATA, LENGTH, LIMIT */
	r = tu_router("rs :: RatedSource(\"\\<0a 0b>\", 1000000, 50, LENGTH 5) -> s :: TestSink;", NULL);
	for (int i = 0; i < 1000 && tu_read_int(r, "rs.count") < 50; i++)
		tu_run_tasks(r, 1);
	tu_run_tasks(r, 10);
	assert_int_equal(tu_sink_count(r, "s"), 50);
	assert_int_equal(rt_len(tu_sink_pkt(r, "s", 0)), 5);
	assert_memory_equal(rt_data(tu_sink_pkt(r, "s", 49)), "\x0a\x0b\x0a\x0b\x0a", 5);
	assert_string_equal(tu_read(r, "rs.limit"), "50");
	tu_router_free(r);

	/* STOP ends the run */
	r = tu_router("rs :: RatedSource(RATE 100000, LIMIT 300, STOP true) -> c :: Counter -> Discard;", NULL);
	assert_int_equal(tu_run(r, 5000), 0);
	assert_int_equal(tu_read_int(r, "c.count"), 300);
	tu_router_free(r);

	tu_expect_error("rs :: RatedSource(RATE -5) -> Idle;",
			"test.click:1:1: rs: RATE: expected unsigned integer, not '-5'");
	tu_expect_error("rs :: RatedSource(SPEED 5) -> Idle;", "test.click:1:1: rs: unknown argument 'SPEED'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print),          cmocka_unit_test(test_tee),
		cmocka_unit_test(test_paint),          cmocka_unit_test(test_paintswitch),
		cmocka_unit_test(test_switch),         cmocka_unit_test(test_rrswitch),
		cmocka_unit_test(test_null_idle),      cmocka_unit_test(test_strip_unstrip),
		cmocka_unit_test(test_truncate_pad),   cmocka_unit_test(test_averagecounter),
		cmocka_unit_test(test_queue),          cmocka_unit_test(test_queue_two_workers),
		cmocka_unit_test(test_priosched),      cmocka_unit_test(test_rrsched),
		cmocka_unit_test(test_unqueue),        cmocka_unit_test(test_ratedsource),
	};
	if (getenv("TU_FILTER"))
		cmocka_set_test_filter(getenv("TU_FILTER"));
	return cmocka_run_group_tests_name("standard", tests, NULL, NULL);
}
