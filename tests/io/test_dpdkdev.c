/*
 * test_dpdkdev.c - FromDPDKDevice, ToDPDKDevice and the port registry
 * (runtime/port.c) on virtual devices: a net_pcap round trip compared
 * packet by packet with the capture, net_ring loopbacks with exact counts
 * (shared ports, one tx queue per worker, THREAD placement), net_null
 * rx -> tx, tx drops on a full ring with and without BLOCKING, and bad
 * device strings that must fail the load with nothing left behind.
 *
 * Every run stops itself (a DriverManager waits for the expected count)
 * and is bounded by tu_run's timeout.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "tu.h"

#define RUN_MS 4000

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
	static char buf[160];
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/mbx_dpdkdev_XXXXXX");
		assert_non_null(mkdtemp(tmpdir));
	}
	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

/* Every test leaves the set of ethdev ports as it found it. */
static unsigned ports_before;

static int setup(void **st)
{
	(void)st;
	tu_eal();
	ports_before = rte_eth_dev_count_avail();
	return 0;
}

static int check_ports(void **st)
{
	(void)st;
	if (rte_eth_dev_count_avail() != ports_before) {
		print_error("ports left behind: %u before, %u after\n", ports_before, rte_eth_dev_count_avail());
		return -1;
	}
	return 0;
}

/* ---- net_pcap: in.pcap -> graph -> out.pcap ---------------------------------------- */

struct pkts {
	int n;
	uint32_t len[64];
	uint8_t *data[64];
};

static void read_pcap(const char *path, struct pkts *p)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, ebuf);
	if (!pc)
		fail_msg("%s: %s", path, ebuf);
	struct pcap_pkthdr *h;
	const u_char *d;
	p->n = 0;
	while (pcap_next_ex(pc, &h, &d) == 1 && p->n < 64) {
		p->len[p->n] = h->caplen;
		p->data[p->n] = malloc(h->caplen);
		memcpy(p->data[p->n], d, h->caplen);
		p->n++;
	}
	pcap_close(pc);
}

static void free_pkts(struct pkts *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->data[i]);
}

static void test_pcap_roundtrip(void **st)
{
	(void)st;
	const char *dir = getenv("MBOXSH_DATA");
	if (!dir || !*dir) {
		print_message("MBOXSH_DATA is not set: skipping the net_pcap round trip\n");
		skip();
	}
	char in[512], out[256], cfg[1600];
	snprintf(in, sizeof(in), "%s/pcaps/icmp_echo_5pings.pcap", dir);
	snprintf(out, sizeof(out), "%s", tmp_path("out.pcap"));
	struct pkts want, got;
	read_pcap(in, &want);
	assert_true(want.n > 0);
	/* device arguments unquoted on the first element; the second shares
	 * the port by name alone */
	snprintf(cfg, sizeof(cfg),
		 "f :: FromDPDKDevice(net_pcap0, rx_pcap=%s, tx_pcap=%s) -> c :: Counter -> t :: ToDPDKDevice(net_pcap0);\n"
		 "DriverManager(label l, wait 1ms, goto l $(lt $(t.count) %d), stop);",
		 in, out, want.n);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_int_equal(rte_eth_dev_count_avail(), ports_before + 1);
	assert_int_equal(tu_run(r, RUN_MS), 0);
	assert_int_equal(tu_read_int(r, "f.count"), want.n);
	assert_int_equal(tu_read_int(r, "c.count"), want.n);
	assert_int_equal(tu_read_int(r, "t.count"), want.n);
	assert_int_equal(tu_read_int(r, "t.dropped"), 0);
	assert_int_equal(tu_read_int(r, "f.dropped"), 0);
	assert_int_equal(tu_read_int(r, "f.hw_count"), want.n);
	assert_int_equal(tu_read_int(r, "t.hw_count"), want.n);
	assert_string_equal(tu_read(r, "f.device"), tu_read(r, "t.device"));
	assert_true(!strncmp(tu_read(r, "f.link"), "up", 2));
	assert_non_null(strstr(tu_read(r, "f.xstats"), "rx_good_packets"));
	assert_int_equal(tu_write(r, "f.reset_counts", "", NULL), 0);
	assert_int_equal(tu_read_int(r, "f.count"), 0);
	assert_int_equal(tu_read_int(r, "f.hw_count"), 0);
	tu_router_free(r); /* removes the device: out.pcap is closed */
	read_pcap(out, &got);
	assert_int_equal(got.n, want.n);
	for (int i = 0; i < want.n; i++) {
		assert_int_equal(got.len[i], want.len[i]);
		assert_memory_equal(got.data[i], want.data[i], want.len[i]);
	}
	free_pkts(&want);
	free_pkts(&got);
}

/* N_QUEUES 2 on two workers: a pcap device with one rx queue per file;
 * each worker polls its own queue, and every packet of both traces comes
 * out exactly once. */
static void test_multiqueue_two_workers(void **st)
{
	(void)st;
	const char *dir = getenv("MBOXSH_DATA");
	if (!dir || !*dir) {
		print_message("MBOXSH_DATA is not set: skipping the multi-queue test\n");
		skip();
	}
	char a[512], b[512], cfg[1800];
	snprintf(a, sizeof(a), "%s/pcaps/dns_queries_responses.pcap", dir);
	snprintf(b, sizeof(b), "%s/pcaps/icmp_echo_5pings.pcap", dir);
	int total = 464 + 10; /* the two captures' packet counts (their README) */
	snprintf(cfg, sizeof(cfg),
		 "f :: FromDPDKDevice(net_pcap7, rx_pcap=%s, rx_pcap=%s, N_QUEUES 2) -> c :: Counter -> Discard;\n"
		 "DriverManager(label l, wait 1ms, goto l $(lt $(c.count) %d), wait 20ms, stop);",
		 a, b, total);
	struct rt_router *r = tu_router_j(cfg, 2, NULL);
	/* the task runs on both workers */
	assert_int_equal(r->plan->ntasks[0], 1);
	assert_int_equal(r->plan->ntasks[1], 1);
	assert_int_equal(tu_run(r, RUN_MS), 0);
	assert_int_equal(tu_read_int(r, "f.count"), total);
	assert_int_equal(tu_read_int(r, "c.count"), total);
	assert_int_equal(tu_read_int(r, "f.hw_count"), total);
	tu_router_free(r);
}

/* ---- net_ring loopbacks -------------------------------------------------------- */

/* A net_ring vdev made with no arguments loops tx queue i back to rx
 * queue i: what ToDPDKDevice sends, FromDPDKDevice receives. */
static void test_ring_loop(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(
		"InfiniteSource(LIMIT 100) -> t :: ToDPDKDevice(net_ring0);\n"
		"f :: FromDPDKDevice(net_ring0) -> c :: Counter -> Discard;\n"
		"DriverManager(label l, wait 1ms, goto l $(lt $(c.count) 100), stop);",
		NULL);
	assert_int_equal(tu_run(r, RUN_MS), 0);
	assert_int_equal(tu_read_int(r, "t.count"), 100);
	assert_int_equal(tu_read_int(r, "t.dropped"), 0);
	assert_int_equal(tu_read_int(r, "f.count"), 100);
	assert_int_equal(tu_read_int(r, "c.count"), 100);
	assert_int_equal(tu_read_int(r, "f.hw_count"), 100);
	assert_int_equal(tu_read_int(r, "t.hw_count"), 100);
	tu_router_free(r);
}

/* Two From/To pairs on one device, each on its own queue. */
static void test_ring_two_pairs(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(
		"InfiniteSource(LIMIT 70) -> t0 :: ToDPDKDevice(net_ring1, QUEUE 0);\n"
		"InfiniteSource(LIMIT 30) -> t1 :: ToDPDKDevice(net_ring1, 1);\n"
		"f0 :: FromDPDKDevice(net_ring1, QUEUE 0) -> c0 :: Counter -> Discard;\n"
		"f1 :: FromDPDKDevice(net_ring1, 1) -> c1 :: Counter -> Discard;\n"
		"DriverManager(label l, wait 1ms, goto l $(lt $(add $(c0.count) $(c1.count)) 100), stop);",
		NULL);
	assert_int_equal(rte_eth_dev_count_avail(), ports_before + 1);
	const char *dev = tu_read(r, "f0.device");
	assert_true(!strncmp(dev, "net_ring1 ", 10));
	char d0[64];
	snprintf(d0, sizeof(d0), "%s", dev);
	assert_string_equal(tu_read(r, "f1.device"), d0);
	assert_string_equal(tu_read(r, "t0.device"), d0);
	assert_string_equal(tu_read(r, "t1.device"), d0);
	assert_int_equal(tu_run(r, RUN_MS), 0);
	assert_int_equal(tu_read_int(r, "c0.count"), 70);
	assert_int_equal(tu_read_int(r, "c1.count"), 30);
	assert_int_equal(tu_read_int(r, "t0.count"), 70);
	assert_int_equal(tu_read_int(r, "t1.count"), 30);
	tu_router_free(r);
}

/* Two workers push into one ToDPDKDevice: each on its own tx queue (its
 * worker id), which loops back to the rx queue polled by the
 * FromDPDKDevice placed on the same worker. */
static void test_ring_per_worker_queues(void **st)
{
	(void)st;
	struct rt_router *r = tu_router_j(
		"s0 :: InfiniteSource(LIMIT 100) -> t :: ToDPDKDevice(net_ring2);\n"
		"s1 :: InfiniteSource(LIMIT 50) -> t;\n"
		"f0 :: FromDPDKDevice(net_ring2, QUEUE 0, THREAD 0) -> c0 :: Counter -> Discard;\n"
		"f1 :: FromDPDKDevice(net_ring2, QUEUE 1, THREAD 1) -> c1 :: Counter -> Discard;\n"
		"DriverManager(label l, wait 1ms, goto l $(lt $(add $(c0.count) $(c1.count)) 150), stop);",
		2, NULL);
	assert_int_equal(rt_router_find(r, "f0")->thread, 0);
	assert_int_equal(rt_router_find(r, "f1")->thread, 1);
	assert_int_equal(tu_run(r, RUN_MS), 0);
	assert_int_equal(tu_read_int(r, "t.count"), 150);
	/* unpinned tasks go round-robin: s0 on worker 0, s1 on worker 1 */
	assert_int_equal(tu_read_int(r, "c0.count"), 100);
	assert_int_equal(tu_read_int(r, "c1.count"), 50);
	tu_router_free(r);
}

/* ---- net_null ------------------------------------------------------------------ */

static void test_null_rx_tx(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(
		"f :: FromDPDKDevice(net_null0, BURST 64) -> c :: Counter -> t :: ToDPDKDevice(net_null0);\n"
		"DriverManager(label l, wait 1ms, goto l $(lt $(c.count) 20000), stop);",
		NULL);
	assert_int_equal(tu_run(r, RUN_MS), 0);
	long long n = tu_read_int(r, "c.count");
	assert_true(n >= 20000);
	assert_int_equal(tu_read_int(r, "f.count"), n);
	assert_int_equal(tu_read_int(r, "t.count"), n);
	assert_int_equal(tu_read_int(r, "t.dropped"), 0);
	assert_int_equal(tu_read_int(r, "f.hw_count"), n);
	assert_int_equal(tu_read_int(r, "t.hw_count"), n);
	assert_true(!strncmp(tu_read(r, "t.link"), "up", 2));
	tu_router_free(r);
}

/* ---- tx drops on a full ring ---------------------------------------------------- */

typedef int (*from_rings_fn)(const char *, struct rte_ring *const[], unsigned, struct rte_ring *const[], unsigned,
			     unsigned);

/* rte_eth_from_rings lives in the net_ring driver, which EAL loads as a
 * plugin: find it there rather than link the test against it. */
static from_rings_fn from_rings(void)
{
	void *h = dlopen("librte_net_ring.so.23", RTLD_NOW);
	if (!h)
		fail_msg("cannot find the net_ring driver: %s", dlerror());
	from_rings_fn fn = (from_rings_fn)(uintptr_t)dlsym(h, "rte_eth_from_rings");
	if (!fn)
		fail_msg("no rte_eth_from_rings: %s", dlerror());
	return fn;
}

static void drain(struct rte_ring *ring)
{
	void *m;
	while (rte_ring_dequeue(ring, &m) == 0)
		rte_pktmbuf_free(m);
}

static void tx_full(int port, const char *blocking)
{
	char cfg[512];
	snprintf(cfg, sizeof(cfg),
		 "InfiniteSource(LIMIT 100) -> t :: ToDPDKDevice(%d, BLOCKING %s);\n"
		 "DriverManager(label l, wait 1ms, goto l $(lt $(add $(t.count) $(t.dropped)) 100), stop);",
		 port, blocking);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_int_equal(tu_run(r, RUN_MS), 0);
	/* a 64-slot ring holds 63 packets; nobody reads it */
	assert_int_equal(tu_read_int(r, "t.count"), 63);
	assert_int_equal(tu_read_int(r, "t.dropped"), 37);
	tu_router_free(r);
}

static void test_tx_drops_when_full(void **st)
{
	(void)st;
	struct rte_ring *ring = rte_ring_create("mbx_tiny", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(ring);
	int port = from_rings()("net_ring_tiny", &ring, 1, &ring, 1, SOCKET_ID_ANY);
	assert_true(port >= 0);
	tx_full(port, "false");
	drain(ring);
	tx_full(port, "true"); /* retries are bounded: the rest is counted */
	drain(ring);
	assert_int_equal(rte_eth_dev_close((uint16_t)port), 0);
	rte_ring_free(ring);
}

/* ---- errors --------------------------------------------------------------------- */

static void expect_fail(const char *cfg, const char *needle)
{
	struct rt_err err;
	struct rt_router *r = tu_router(cfg, &err);
	if (r) {
		tu_router_free(r);
		fail_msg("'%s' loaded", cfg);
	}
	if (!strstr(err.msg, needle))
		fail_msg("error '%s' does not name '%s'", err.msg, needle);
	assert_int_equal(rte_eth_dev_count_avail(), ports_before);
}

static void test_bad_devices(void **st)
{
	(void)st;
	expect_fail("FromDPDKDevice(net_nosuch0) -> Discard;", "net_nosuch0");
	expect_fail("FromDPDKDevice(\"net_pcap0,rx_pcap=/nonexistent\") -> Discard;", "net_pcap0");
	expect_fail("FromDPDKDevice(net_pcap0, rx_pcap=/nonexistent) -> Discard;", "/nonexistent");
	expect_fail("Idle -> ToDPDKDevice(99);", "port 99");
	expect_fail("Idle -> ToDPDKDevice(0000:42:00.0);", "0000:42:00.0");
	/* the first device is created, then the second fails: the first goes */
	expect_fail("FromDPDKDevice(net_null7) -> Discard; FromDPDKDevice(net_nosuch1) -> Discard;", "net_nosuch1");
	/* one queue, polled twice */
	expect_fail("FromDPDKDevice(net_null8) -> Discard; f2 :: FromDPDKDevice(net_null8) -> Discard;",
		    "rx queue 0 of net_null8 is already polled");
	/* different arguments for one device */
	expect_fail("FromDPDKDevice(net_null9, size=64) -> Discard; Idle -> ToDPDKDevice(net_null9, size=128);",
		    "already opened");
	/* net_pcap has one tx queue per tx_pcap: two workers need two */
	struct rt_err err;
	char cfg[300];
	snprintf(cfg, sizeof(cfg), "Idle -> ToDPDKDevice(net_pcap1, tx_pcap=%s);", tmp_path("x.pcap"));
	assert_null(tu_router_j(cfg, 2, &err));
	assert_non_null(strstr(err.msg, "needs 2 tx queues on net_pcap1"));
	assert_int_equal(rte_eth_dev_count_avail(), ports_before);
	expect_fail("FromDPDKDevice(net_null0, N_QUEUES 2) -> Discard;", "N_QUEUES must be -1 or 1 to 1");
	expect_fail("FromDPDKDevice(net_null0, BURST 65) -> Discard;", "BURST");
}

static int teardown(void **st)
{
	(void)st;
	if (tmpdir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pcap_roundtrip, setup, check_ports),
		cmocka_unit_test_setup_teardown(test_multiqueue_two_workers, setup, check_ports),
		cmocka_unit_test_setup_teardown(test_ring_loop, setup, check_ports),
		cmocka_unit_test_setup_teardown(test_ring_two_pairs, setup, check_ports),
		cmocka_unit_test_setup_teardown(test_ring_per_worker_queues, setup, check_ports),
		cmocka_unit_test_setup_teardown(test_null_rx_tx, setup, check_ports),
		cmocka_unit_test_setup_teardown(test_tx_drops_when_full, setup, check_ports),
		cmocka_unit_test_setup_teardown(test_bad_devices, setup, check_ports),
	};
	if (getenv("TU_FILTER"))
		cmocka_set_test_filter(getenv("TU_FILTER"));
	return cmocka_run_group_tests(tests, NULL, teardown);
}
