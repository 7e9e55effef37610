/*
 * test_fiblookup.c - the FIBLookup element: routes per FIB, gateways, IPv6,
 * no-route drops, run-time route changes on every placement, identical
 * results on cpu and opencl, routes that move with the element, and
 * configuration errors with their location.
 */
#include <errno.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "tu.h"
#include "mig_tu.h"
#include "mig.h"

/* A packet for FIB `fib` (paint annotation) to IPv4 address a (host order). */
static struct rte_mbuf *pkt4(struct rt_router *r, int fib, uint32_t a, uint32_t seq)
{
	struct rte_mbuf *m = rt_pkt_alloc(r);
	assert_non_null(m);
	m->data_len = m->pkt_len = 60;
	memset(rt_data(m), 0, 60);
	rt_anno(m)->paint = (uint8_t)fib;
	rt_anno(m)->dst_ip = rte_cpu_to_be_32(a);
	rt_anno(m)->seq = seq;
	return m;
}

static struct rte_mbuf *pkt6(struct rt_router *r, int fib, const char *dst)
{
	struct rte_mbuf *m = rt_pkt_alloc(r);
	assert_non_null(m);
	m->data_len = m->pkt_len = 14 + 40;
	uint8_t *d = rt_data(m);
	memset(d, 0, 54);
	d[12] = 0x86, d[13] = 0xdd;
	d[14] = 0x60;
	assert_int_equal(inet_pton(AF_INET6, dst, d + 14 + 24), 1);
	rt_set_nh(m, 14);
	rt_anno(m)->paint = (uint8_t)fib;
	return m;
}

static const char *CFG =
	"Idle -> r :: FIBLookup(10.0.0.0/8 0, fib 1 10.0.0.0/8 1, fib 1 10.1.0.0/16 192.168.0.1 2,"
	" fib 1 2001:db8::/32 3, 0.0.0.0/0 3, FIBS 2, FIB_ANNO paint%s);\n"
	"r[0] -> o0 :: TestSink; r[1] -> o1 :: TestSink; r[2] -> o2 :: TestSink; r[3] -> o3 :: TestSink;\n";

static struct rt_router *router(const char *extra)
{
	char cfg[1024];
	snprintf(cfg, sizeof(cfg), CFG, extra);
	return tu_router(cfg, NULL);
}

static void push1(struct rt_router *r, struct rte_mbuf *m)
{
	long long before = tu_read_int(r, "r.count");
	tu_push1(r, "r", 0, m);
	/* the first launch on a device may compile the kernel for its size */
	for (int i = 0; i < 3000 && tu_read_int(r, "r.count") == before; i++) {
		tu_run_tasks(r, 5);
		usleep(1000);
	}
}

static void test_routes_per_fib(void **s)
{
	struct rt_router *r = router("");
	tu_push1(r, "r", 0, pkt4(r, 0, 0x0a010203, 0));  /* fib 0 10/8 -> 0 */
	tu_push1(r, "r", 0, pkt4(r, 1, 0x0a010203, 1));  /* fib 1 10.1/16 -> 2 via gw */
	tu_push1(r, "r", 0, pkt4(r, 1, 0x0a020203, 2));  /* fib 1 10/8 -> 1 */
	tu_push1(r, "r", 0, pkt4(r, 0, 0x0b000001, 3));  /* fib 0 default -> 3 */
	tu_push1(r, "r", 0, pkt4(r, 1, 0x0b000001, 4));  /* fib 1: no default: dropped */
	tu_push1(r, "r", 0, pkt6(r, 1, "2001:db8::1"));   /* fib 1 v6 -> 3 */
	tu_push1(r, "r", 0, pkt6(r, 0, "2001:db8::1"));   /* fib 0 has no v6 route */
	tu_push1(r, "r", 0, pkt4(r, 7, 0x0a000001, 5));  /* no FIB 7: dropped */
	assert_int_equal(tu_sink_count(r, "o0"), 1);
	assert_int_equal(tu_sink_count(r, "o1"), 1);
	assert_int_equal(tu_sink_count(r, "o2"), 1);
	assert_int_equal(tu_sink_count(r, "o3"), 2);
	assert_int_equal(rt_anno(tu_sink_pkt(r, "o2", 0))->dst_ip, rte_cpu_to_be_32(0xc0a80001));
	assert_int_equal(rt_anno(tu_sink_pkt(r, "o1", 0))->dst_ip, rte_cpu_to_be_32(0x0a020203));
	assert_int_equal(tu_read_int(r, "r.count"), 8);
	assert_int_equal(tu_read_int(r, "r.noroute"), 3);
	struct rt_buf out;
	struct rt_err err;
	rt_buf_init(&out);
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_read_param(r, "r.lookup", "fib 1 10.1.2.3", &out, &err), 0);
	assert_string_equal(out.p, "2 192.168.0.1\n");
	rt_buf_reset(&out);
	assert_int_equal(rt_ctl_read_param(r, "r.lookup", "fib 1 11.0.0.1", &out, &err), 0);
	assert_string_equal(out.p, "-1\n");
	rt_buf_free(&out);
	assert_non_null(strstr(tu_read(r, "r.routes"), "fib 1 10.1.0.0/16 192.168.0.1 2\n"));
	/* run-time changes */
	assert_int_equal(tu_write(r, "r.add_route", "fib 1 11.0.0.0/8 0", &err), 0);
	assert_int_equal(tu_write(r, "r.remove_route", "fib 1 10.1.0.0/16", &err), 0);
	tu_push1(r, "r", 0, pkt4(r, 1, 0x0b000001, 6));
	tu_push1(r, "r", 0, pkt4(r, 1, 0x0a010203, 7));
	assert_int_equal(tu_sink_count(r, "o0"), 2);
	assert_int_equal(tu_sink_count(r, "o1"), 2);
	assert_true(tu_write(r, "r.remove_route", "fib 1 10.1.0.0/16", &err) < 0);
	rt_err_clear(&err);
	assert_true(tu_write(r, "r.add_route", "fib 1 12.0.0.0/8 9", &err) < 0);
	assert_non_null(strstr(err.msg, "output 9 does not exist"));
	rt_err_clear(&err);
	assert_true(tu_write(r, "r.add_route", "fib 2 12.0.0.0/8 0", &err) < 0);
	assert_non_null(strstr(err.msg, "FIB '2' is not 0..1"));
	tu_router_free(r);
}

static void test_config_errors(void **s)
{
	tu_expect_error("Idle -> FIBLookup(fib 3 10.0.0.0/8 0, FIBS 2) -> Discard;",
			"test.click:1:9: route 'fib 3 10.0.0.0/8 0': FIB '3' is not 0..1");
	tu_expect_error("Idle -> FIBLookup(10.0.0.0/8 1) -> Discard;",
			"test.click:1:9: a route uses output 1, but there are 1 outputs");
	tu_expect_error("Idle -> FIBLookup(10.0.0.0/8 0, PLACEMENT gpu) -> Discard;",
			"test.click:1:9: PLACEMENT: unknown placement 'gpu' (cpu, opencl or cuda)");
}

/* Random routes in 4 FIBs, random addresses: cpu and opencl agree packet
 * for packet (port and gateway), in arrival order. */
static void test_cpu_opencl_identical(void **s)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	struct rt_err err;
	rt_err_clear(&err);
	char path[] = "/tmp/mbx_fibXXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	srand(7);
	for (int i = 0; i < 3000; i++) {
		int len = 8 + rand() % 25;
		uint32_t a = ((uint32_t)rand() << 1 ^ (uint32_t)rand()) & (len ? ~0u << (32 - len) : 0);
		fprintf(fp, "fib %d %u.%u.%u.%u/%d %d\n", rand() % 4, a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, len,
			rand() % 4);
	}
	fprintf(fp, "fib 0 0.0.0.0/0 3\nfib 1 0.0.0.0/0 2\n");
	fclose(fp);
	enum { N = 5000 };
	int port[2][N];
	for (int c = 0; c < 2; c++) {
		char cfg[512];
		snprintf(cfg, sizeof(cfg),
			 "Idle -> r :: FIBLookup(FILE %s, FIBS 4, FIB_ANNO paint, PLACEMENT %s, BATCH 512);\n"
			 "r[0] -> o0 :: TestSink; r[1] -> o1 :: TestSink; r[2] -> o2 :: TestSink; r[3] -> o3 :: TestSink;\n",
			 path, c ? "opencl" : "cpu");
		struct rt_router *r = tu_router(cfg, NULL);
		srand(99);
		for (int i = 0; i < N; i++)
			tu_push1(r, "r", 0, pkt4(r, rand() % 4, ((uint32_t)rand() << 1) ^ (uint32_t)rand(), (uint32_t)i));
		for (int i = 0; i < 500 && tu_read_int(r, "r.count") < N; i++) {
			tu_run_tasks(r, 5);
			usleep(1000);
		}
		assert_int_equal(tu_read_int(r, "r.count"), N);
		for (int i = 0; i < N; i++)
			port[c][i] = -1;
		for (int o = 0; o < 4; o++) {
			char sink[4] = { 'o', (char)('0' + o), 0 };
			uint64_t last = 0;
			for (int i = 0; i < tu_sink_count(r, sink); i++) {
				uint64_t seq = rt_anno(tu_sink_pkt(r, sink, i))->seq;
				assert_true(i == 0 || seq > last); /* order kept per output */
				last = seq;
				port[c][seq] = o;
			}
		}
		if (c)
			assert_non_null(strstr(tu_read(r, "r.offload"), "placement opencl batch 512"));
		tu_router_free(r);
	}
	unlink(path);
	int routed = 0;
	for (int i = 0; i < N; i++) {
		assert_int_equal(port[0][i], port[1][i]);
		routed += port[0][i] >= 0;
	}
	assert_true(routed > N / 2 && routed < N); /* defaults in FIBs 0, 1 only */
}

/* Routes added at run time move with the element; changes made while on
 * opencl reach the device. */
static void test_routes_move(void **s)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_router *r = router(", BATCH 1, LATENCY 0");
	assert_int_equal(tu_write(r, "r.add_route", "fib 0 172.16.0.0/12 2", &err), 0);
	const char *sum0 = strstr(tu_read(r, "r.table"), "checksum");
	char sum[40];
	snprintf(sum, sizeof(sum), "%.25s", sum0);
	assert_int_equal(rt_ctl_migrate(r, "r", "opencl", NULL, &err), 0);
	assert_string_equal(tu_read(r, "r.placement"), "opencl\n");
	assert_non_null(strstr(tu_read(r, "r.table"), sum)); /* same routes, same checksum */
	push1(r, pkt4(r, 0, 0xac100001, 0));
	assert_int_equal(tu_sink_count(r, "o2"), 1);
	/* changed on the device */
	assert_int_equal(tu_write(r, "r.add_route", "fib 0 172.16.5.0/24 1", &err), 0);
	push1(r, pkt4(r, 0, 0xac100501, 1));
	assert_int_equal(tu_sink_count(r, "o1"), 1);
	assert_int_equal(rt_ctl_migrate(r, "r", "cpu", NULL, &err), 0);
	assert_non_null(strstr(tu_read(r, "r.routes"), "fib 0 172.16.5.0/24 1\n"));
	assert_int_equal(tu_read_int(r, "r.count"), 2); /* counters move too */
	const char *pl = tu_read(r, "r.placements");
	assert_non_null(strstr(pl, "cpu* available"));
	assert_non_null(strstr(pl, "opencl available packets 2 "));
	tu_router_free(r);
}

int main(void)
{
	tu_eal();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_per_fib),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_cpu_opencl_identical),
		cmocka_unit_test(test_routes_move),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
