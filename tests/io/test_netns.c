/*
 * test_netns.c - FromDPDKDevice / ToDPDKDevice on kernel-backed virtual
 * devices: net_af_packet on a veth pair and net_tap, with exact counts.
 *
 * Needs root.  Everything happens inside a network namespace the test
 * creates (mbtest<pid>) and deletes: the veth pair is made in it, the test
 * thread (which probes the devices, so the af_packet sockets and the tap
 * interface belong to the namespace) enters it with setns, and IPv6 is
 * off in it so the kernel sends nothing of its own.  No interface outside
 * that namespace is touched.  Skipped, with a message, when not root or
 * when the namespace or the veth pair cannot be made.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "tu.h"

#define RUN_MS 4000

static char ns[32];
static int ns_fd = -1, home_fd = -1;
static const char *skip_why;
static unsigned ports_before;

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Read a number a command prints; -1 when it fails. */
static long long sh_num(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	long long v = -1;
	if (!p || fscanf(p, "%lld", &v) != 1)
		v = -1;
	if (p)
		pclose(p);
	return v;
}

static int group_setup(void **st)
{
	(void)st;
	if (geteuid() != 0) {
		skip_why = "not root";
		return 0;
	}
	snprintf(ns, sizeof(ns), "mbtest%d", (int)getpid());
	if (sh("ip netns add %s 2>/dev/null", ns) != 0) {
		skip_why = "cannot create a network namespace (ip netns add)";
		ns[0] = 0;
		return 0;
	}
	if (sh("ip netns exec %s sh -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
	       "net.ipv6.conf.default.disable_ipv6=1 && ip link add mbva type veth peer name mbvb && "
	       "ip link set mbva up && ip link set mbvb up' 2>/dev/null",
	       ns) != 0) {
		skip_why = "cannot create a veth pair in the namespace";
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ns_fd = open(path, O_RDONLY | O_CLOEXEC);
	/* this thread only: the probes below run here */
	if (home_fd < 0 || ns_fd < 0 || setns(ns_fd, CLONE_NEWNET) != 0) {
		skip_why = "cannot enter the namespace (setns)";
		return 0;
	}
	tu_eal();
	return 0;
}

static int group_teardown(void **st)
{
	(void)st;
	if (home_fd >= 0 && setns(home_fd, CLONE_NEWNET) != 0)
		return -1;
	if (home_fd >= 0)
		close(home_fd);
	if (ns_fd >= 0)
		close(ns_fd);
	if (ns[0] && sh("ip netns del %s", ns) != 0)
		return -1;
	return 0;
}

static int setup(void **st)
{
	(void)st;
	if (skip_why)
		return 0;
	ports_before = rte_eth_dev_count_avail();
	return 0;
}

static int check_ports(void **st)
{
	(void)st;
	if (!skip_why && rte_eth_dev_count_avail() != ports_before) {
		print_error("ports left behind: %u before, %u after\n", ports_before, rte_eth_dev_count_avail());
		return -1;
	}
	return 0;
}

static void maybe_skip(void)
{
	if (skip_why) {
		print_message("skipping: %s\n", skip_why);
		skip();
	}
}

/* A 60-byte broadcast frame with the local experimental EtherType 88b5,
 * as InfiniteSource DATA. */
#define FRAME_DATA                                                                                     \
	"\\<ff ff ff ff ff ff 02 00 00 00 00 01 88 b5 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10" \
	" 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d>"

/* ToDPDKDevice on one end of the veth pair, FromDPDKDevice on the other:
 * exactly what was sent arrives, nothing else. */
static void test_af_packet_veth(void **st)
{
	(void)st;
	maybe_skip();
	struct rt_router *r = tu_router(
		"InfiniteSource(DATA \"" FRAME_DATA "\", LIMIT 100, TIMESTAMP false) -> t :: ToDPDKDevice(net_af_packet0, "
		"iface=mbva, NDESC 256);\n"
		"f :: FromDPDKDevice(net_af_packet1, iface=mbvb, NDESC 256) -> c :: Counter -> Discard;\n"
		"DriverManager(label l, wait 1ms, goto l $(lt $(c.count) 100), wait 200ms, stop);",
		NULL);
	assert_int_equal(rte_eth_dev_count_avail(), ports_before + 2);
	assert_int_equal(tu_run(r, RUN_MS), 0);
	assert_int_equal(tu_read_int(r, "t.count"), 100);
	assert_int_equal(tu_read_int(r, "t.dropped"), 0);
	assert_int_equal(tu_read_int(r, "f.count"), 100);
	assert_int_equal(tu_read_int(r, "c.count"), 100);
	assert_int_equal(tu_read_int(r, "f.dropped"), 0);
	assert_int_equal(tu_read_int(r, "f.hw_count"), 100);
	assert_true(!strncmp(tu_read(r, "f.device"), "net_af_packet1 ", 15));
	tu_router_free(r);
	/* the kernel saw them cross the pair */
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "ip netns exec %s cat /sys/class/net/mbvb/statistics/rx_packets", ns);
	assert_true(sh_num(cmd) >= 100);
}

/* net_tap: the tap interface appears in the namespace while the router
 * holds the device; what ToDPDKDevice sends the kernel receives, what the
 * kernel sends on it (a packet socket, from a helper started in the
 * namespace) FromDPDKDevice receives, and the interface goes with the
 * router. */
static void test_tap(void **st)
{
	(void)st;
	maybe_skip();
	struct rt_router *r = tu_router(
		"InfiniteSource(DATA \"" FRAME_DATA "\", LIMIT 50, TIMESTAMP false) -> t :: ToDPDKDevice(net_tap0, "
		"iface=mbtap0, NDESC 256);\n"
		"f :: FromDPDKDevice(net_tap0, NDESC 256) -> c :: Counter -> Discard;\n"
		"DriverManager(label l, wait 1ms, goto l $(lt $(add $(c.count) $(t.count)) 70), wait 200ms, "
		"stop);",
		NULL);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "ip netns exec %s test -d /sys/class/net/mbtap0", ns);
	assert_int_equal(sh("%s", cmd), 0);
	/* the kernel side sends 20 frames once the port is up (send fails
	 * while the interface is down: retry for up to 3 s) */
	assert_int_equal(sh("ip netns exec %s python3 -c '\n"
			    "import socket, time\n"
			    "f = bytes.fromhex(\"ffffffffffff020000000002 88b5\".replace(\" \", \"\")) + bytes(46)\n"
			    "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
			    "s.bind((\"mbtap0\", 0))\n"
			    "n, t0 = 0, time.time()\n"
			    "while n < 20 and time.time() - t0 < 3:\n"
			    "    try:\n"
			    "        s.send(f); n += 1\n"
			    "    except OSError:\n"
			    "        time.sleep(0.05)\n"
			    "' >/dev/null 2>&1 &",
			    ns),
			 0);
	assert_int_equal(tu_run(r, RUN_MS), 0);
	assert_int_equal(tu_read_int(r, "t.count"), 50);
	assert_int_equal(tu_read_int(r, "t.dropped"), 0);
	assert_int_equal(tu_read_int(r, "f.count"), 20);
	assert_int_equal(tu_read_int(r, "c.count"), 20);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s cat /sys/class/net/mbtap0/statistics/rx_packets", ns);
	assert_int_equal(sh_num(cmd), 50);
	tu_router_free(r);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s test -d /sys/class/net/mbtap0", ns);
	assert_int_not_equal(sh("%s", cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_af_packet_veth, setup, check_ports),
		cmocka_unit_test_setup_teardown(test_tap, setup, check_ports),
	};
	if (getenv("TU_FILTER"))
		cmocka_set_test_filter(getenv("TU_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
