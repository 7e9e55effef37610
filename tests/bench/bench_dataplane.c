/*
 * bench_dataplane.c - FromDPDKDevice / ToDPDKDevice throughput on virtual
 * devices (net_null, net_pcap), to compare with DPDK's own dpdk-testpmd on
 * the same devices.  scripts/bench.sh dataplane runs testpmd first and
 * passes its rates in (--ref-*), so the ratios come from one script run on
 * one machine.  Prints `BENCH dataplane <name> <value> <unit>`.
 *
 * Cases, each run RUNS times (fresh router and devices each time), the
 * median printed:
 *   macswap     FromDPDKDevice(net_null0) -> EtherMirror -> ToDPDKDevice(net_null0)
 *   io          FromDPDKDevice(net_null0) -> ToDPDKDevice(net_null0)
 *   router_pcap net_pcap0 (rx_pcap=TRACE, infinite_rx=1) -> CheckIPHeader ->
 *               RadixIPLookup (ROUTES random prefixes, added through its
 *               ctrl handler) -> DecIPTTL -> EtherRewrite -> net_null1,no-rx=1
 *   macswap_2w  two workers, net_null0 with two rx queues (one
 *               FromDPDKDevice per queue, THREAD 0 / THREAD 1) -> EtherMirror ->
 *               one ToDPDKDevice (a tx queue per worker); scaling_2w is its
 *               rate over the same graph on one worker, one queue (macswap),
 *               the two run alternately, the median of the per-run ratios
 *   macswap_2w_sep  the same on queues that share no cache line inside
 *               net_null (rx 0 and 4, tx 0 and 5); scaling_2w_sep
 *
 * Usage: bench_dataplane --gen-trace FILE      write the mixed-size trace and exit
 *        bench_dataplane [--secs S] [--runs N] [--routes N] [--trace FILE]
 *                        [--ref-macswap MPPS] [--ref-io MPPS] [--ref-pcap MPPS]
 *                        [--case NAME]   only this case (macswap, io, router_pcap,
 *                                        macswap_2w, macswap_2w_sep; repeatable): for profiling
 *                                        under callgrind, with the packet total
 *                                        on stderr to divide instruction counts by
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "ctl.h"

/* ---- a mixed-size IPv4/UDP trace --------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }

#define TRACE_PKTS 1024

/* IMIX-like frame sizes (7 x 64, 4 x 594, 1 x 1514 bytes, without FCS:
 * 60/590/1514), random destinations in 1.0.0.0 - 223.255.255.255, TTL
 * 64, valid IPv4 header checksums. */
static int gen_trace(const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return -1;
	}
	uint32_t gh[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1};
	fwrite(gh, sizeof(gh), 1, f); /* little-endian host: magic d4 c3 b2 a1, v2.4 */
	static const uint16_t sizes[12] = {60, 60, 60, 60, 60, 60, 60, 590, 590, 590, 590, 1514};
	uint8_t pkt[1514];
	for (int i = 0; i < TRACE_PKTS; i++) {
		uint16_t len = sizes[rnd() % 12];
		memset(pkt, 0, sizeof(pkt));
		memcpy(pkt, "\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa\x08\x00", 14);
		uint8_t *ip = pkt + 14;
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(len - 14));
		put16(ip + 4, (uint16_t)i);
		ip[8] = 64;
		ip[9] = 17;
		put32(ip + 12, 0x0a000001u);
		put32(ip + 16, ((1 + rnd() % 223) << 24) | (rnd() & 0xffffff));
		uint32_t sum = 0;
		for (int k = 0; k < 20; k += 2)
			sum += (uint32_t)(ip[k] << 8 | ip[k + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		put16(ip + 10, (uint16_t)~sum);
		uint8_t *udp = ip + 20;
		put16(udp, 1234);
		put16(udp + 2, 53);
		put16(udp + 4, (uint16_t)(len - 34));
		uint32_t rh[4] = {(uint32_t)i, 0, len, len};
		fwrite(rh, sizeof(rh), 1, f);
		fwrite(pkt, len, 1, f);
	}
	return fclose(f);
}

/* "set A.B.C.D/L 0" lines for n random prefixes (/8 to /32, mostly /16 to
 * /24 as in an Internet table); set, not add, so duplicates are fine. */
static char *gen_routes(int n)
{
	struct rt_buf b;
	rt_buf_init(&b);
	for (int i = 0; i < n; i++) {
		uint32_t r = rnd() % 100;
		int len = r < 2 ? 8 + (int)(rnd() % 8) : r < 95 ? 16 + (int)(rnd() % 9) : 25 + (int)(rnd() % 8);
		uint32_t a = ((1 + rnd() % 223) << 24) | (rnd() & 0xffffff);
		a &= len == 32 ? ~0u : ~(~0u >> len);
		rt_buf_printf(&b, "set %u.%u.%u.%u/%d 0\n", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, len);
	}
	return b.p;
}

/* ---- running one case --------------------------------------------------------- */

static uint64_t read_u64(struct rt_router *r, const char *h)
{
	struct rt_buf b;
	struct rt_err err;
	rt_buf_init(&b);
	rt_err_clear(&err);
	rt_ctl_read(r, h, &b, &err);
	uint64_t v = strtoull(b.p ? b.p : "0", NULL, 10);
	rt_buf_free(&b);
	return v;
}

struct cfg {
	const char *name, *text;
	int nworkers;
	const char *ctl_handler, *ctl_value; /* written after load, before start */
};

static double secs = 1.0;

/* Packets sent: t.count, plus t1.count in the graphs with two
 * ToDPDKDevices (a missing handler reads as 0). */
static uint64_t sent(struct rt_router *r) { return read_u64(r, "t.count") + read_u64(r, "t1.count"); }

/* The process's CPU time (every thread), in seconds. */
static double cpu_secs(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Mpps per second of CPU time in the last run_once: workers poll all the
 * time and the rest of the process sleeps, so this is the rate per busy
 * core whatever share of the cores other processes took. */
static double last_per_cpu;

/* Mpps over `secs` after a warm-up, counted at t.count; < 0 on error. */
static double run_once(const struct cfg *c)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_router_opts o = {.nworkers = c->nworkers, .pin = true};
	struct rt_router *r = rt_router_new(&o, &err);
	if (!r || rt_router_load(r, c->text, c->name, NULL, &err) < 0 ||
	    (c->ctl_handler && rt_ctl_write(r, c->ctl_handler, c->ctl_value, &err) < 0) ||
	    rt_router_start(r, &err) < 0) {
		char msg[700];
		fprintf(stderr, "%s: %s\n", c->name, rt_err_str(&err, msg, sizeof(msg)));
		if (r)
			rt_router_free(r);
		return -1;
	}
	usleep(300000);
	double cpu0 = cpu_secs();
	uint64_t c0 = sent(r), t0 = rt_now_ns();
	usleep((useconds_t)(secs * 1e6));
	uint64_t c1 = sent(r), t1 = rt_now_ns();
	double cpu1 = cpu_secs();
	last_per_cpu = cpu1 > cpu0 ? (double)(c1 - c0) / 1e6 / (cpu1 - cpu0) : 0;
	uint64_t dropped = read_u64(r, "t.dropped") + read_u64(r, "t1.dropped");
	rt_router_stop(r);
	rt_router_join(r);
	fprintf(stderr, "%s: %llu packets in all\n", c->name, (unsigned long long)sent(r));
	rt_router_free(r);
	uv_run(uv_default_loop(), UV_RUN_NOWAIT);
	if (dropped)
		fprintf(stderr, "%s: note: %llu packets dropped at tx\n", c->name, (unsigned long long)dropped);
	return (double)(c1 - c0) / ((double)(t1 - t0) / 1e3);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int runs = 3;

/* --case: names of the cases to run (none given: all). */
static const char *only[8];
static int nonly;

static bool wanted(const char *name)
{
	if (!nonly)
		return true;
	for (int i = 0; i < nonly; i++)
		if (!strcmp(only[i], name))
			return true;
	return false;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median Mpps of `runs` runs; *per_cpu: the median per CPU second. */
static double run_median(const struct cfg *c, double *per_cpu)
{
	double v[32], e[32];
	int n = runs < 32 ? runs : 32;
	for (int i = 0; i < n; i++) {
		v[i] = run_once(c);
		if (v[i] < 0)
			return -1;
		e[i] = last_per_cpu;
		fprintf(stderr, "  %s run %d: %.2f Mpps, %.2f per CPU second\n", c->name, i + 1, v[i], e[i]);
	}
	*per_cpu = median(e, n);
	return median(v, n);
}

/* Scaling: one worker then two, run after run, so that both see the same
 * machine load; the median of the per-run ratios.  *eff: the same for the
 * rates per second of CPU time (1.0: a second worker costs nothing per
 * packet), which other processes on the cores do not move. */
static int run_scaling(const struct cfg *one, const struct cfg *two, double *mpps2, double *ratio, double *eff)
{
	double v2[32], r[32], e[32];
	int n = runs < 32 ? runs : 32;
	for (int i = 0; i < n; i++) {
		double a = run_once(one), ea = last_per_cpu;
		double b = a < 0 ? -1 : run_once(two), eb = last_per_cpu;
		if (a <= 0 || b < 0 || ea <= 0)
			return -1;
		v2[i] = b;
		r[i] = b / a;
		e[i] = eb / ea;
		fprintf(stderr, "  %s run %d: %.2f Mpps, 1 worker %.2f: x%.2f; per CPU second %.2f vs %.2f: x%.2f\n",
			two->name, i + 1, b, a, r[i], eb, ea, e[i]);
	}
	*mpps2 = median(v2, n);
	*ratio = median(r, n);
	*eff = median(e, n);
	return 0;
}

/* The last run_median's rate per CPU second (0: none). */
static double per_cpu;

static void report(const char *name, double mpps, int nworkers, double ref)
{
	printf("BENCH dataplane %s_mpps %.2f Mpps\n", name, mpps);
	if (per_cpu > 0)
		printf("BENCH dataplane %s_mpps_per_cpu %.2f Mpps\n", name, per_cpu);
	/* worker-core cycles per packet: every worker polls all the time */
	printf("BENCH dataplane %s_cycles %.1f cycles/packet\n", name,
	       (double)rte_get_tsc_hz() * nworkers / (mpps * 1e6));
	if (ref > 0) {
		printf("BENCH dataplane %s_testpmd_mpps %.2f Mpps\n", name, ref);
		printf("BENCH dataplane %s_ratio %.2f ratio\n", name, mpps / ref);
	}
	fflush(stdout);
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kb = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	const char *trace = NULL;
	double ref_macswap = 0, ref_io = 0, ref_pcap = 0;
	int nroutes = 100000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "bench_dataplane: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--gen-trace"))
			return gen_trace(v) < 0;
		else if (!strcmp(a, "--secs"))
			secs = atof(v);
		else if (!strcmp(a, "--runs"))
			runs = atoi(v);
		else if (!strcmp(a, "--routes"))
			nroutes = atoi(v);
		else if (!strcmp(a, "--trace"))
			trace = v;
		else if (!strcmp(a, "--ref-macswap"))
			ref_macswap = atof(v);
		else if (!strcmp(a, "--ref-io"))
			ref_io = atof(v);
		else if (!strcmp(a, "--ref-pcap"))
			ref_pcap = atof(v);
		else if (!strcmp(a, "--case") && nonly < 8)
			only[nonly++] = v;
		else {
			fprintf(stderr, "bench_dataplane: unknown option %s\n", a);
			return 2;
		}
	}
	if (runs < 1)
		runs = 1;
	char tmpdir[64] = "";
	char tracebuf[128];
	if (!trace) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/mbx_benchdp_XXXXXX");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			return 1;
		}
		snprintf(tracebuf, sizeof(tracebuf), "%s/trace.pcap", tmpdir);
		if (gen_trace(tracebuf) < 0)
			return 1;
		trace = tracebuf;
	}
	struct rt_err err;
	rt_err_clear(&err);
	if (rt_eal_init(NULL, 2, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	printf("BENCH dataplane hugepages %d bool\n", rt_eal_hugepages() ? 1 : 0);
	printf("BENCH dataplane runs %d count\n", runs);

	struct cfg macswap = {"macswap",
			      "FromDPDKDevice(net_null0, QUEUE 0, THREAD 0) -> EtherMirror -> t :: ToDPDKDevice(net_null0);\n",
			      1, NULL, NULL};
	if (wanted("macswap")) {
		double m1 = run_median(&macswap, &per_cpu);
		if (m1 < 0)
			return 1;
		report("macswap", m1, 1, ref_macswap);
	}

	struct cfg io = {"io", "FromDPDKDevice(net_null0) -> t :: ToDPDKDevice(net_null0);\n", 1, NULL, NULL};
	if (wanted("io")) {
		double mio = run_median(&io, &per_cpu);
		if (mio < 0)
			return 1;
		report("io", mio, 1, ref_io);
	}

	char rcfg[1024];
	snprintf(rcfg, sizeof(rcfg),
		 "FromDPDKDevice(net_pcap0, rx_pcap=%s, infinite_rx=1) -> Strip(14) -> ch :: CheckIPHeader\n"
		 "  -> rt :: RadixIPLookup(MAX_ROUTES %d, TBL8S 32768, 0.0.0.0/0 0) -> ttl :: DecIPTTL -> Unstrip(14)\n"
		 "  -> EtherRewrite(00:00:00:00:00:01, 00:00:00:00:00:02) -> t :: ToDPDKDevice(\"net_null1,no-rx=1\");\n"
		 "ch [1] -> Discard; ttl [1] -> Discard;\n",
		 trace, nroutes + 16);
	if (wanted("router_pcap")) {
		char *routes = gen_routes(nroutes);
		struct cfg router = {"router_pcap", rcfg, 1, "rt.ctrl", routes};
		double mr = run_median(&router, &per_cpu);
		free(routes);
		if (mr < 0)
			return 1;
		printf("BENCH dataplane router_routes %d count\n", nroutes);
		report("router_pcap", mr, 1, ref_pcap);
	}

	struct cfg two = {"macswap_2w",
			  "FromDPDKDevice(net_null0, QUEUE 0, THREAD 0) -> m0 :: EtherMirror -> t :: ToDPDKDevice(net_null0);\n"
			  "FromDPDKDevice(net_null0, QUEUE 1, THREAD 1) -> m1 :: EtherMirror -> t;\n",
			  2, NULL, NULL};
	if (wanted("macswap_2w")) {
		double m2, sc, eff;
		if (run_scaling(&macswap, &two, &m2, &sc, &eff) < 0)
			return 1;
		per_cpu = 0;
		report("macswap_2w", m2, 2, 0);
		printf("BENCH dataplane scaling_2w %.2f ratio\n", sc);
		printf("BENCH dataplane efficiency_2w %.2f ratio\n", eff);
	}
	/* The same with queues that do not share cache lines inside net_null:
	 * it keeps every queue's counters in one array and adds to them
	 * atomically on each burst, so queues 0 and 1 of two workers write
	 * one line (rx and tx).  Rx queues 0 and 4, tx queues 0 (t, QUEUE 0,
	 * worker 0) and 5 (t1, QUEUE 2: 2 x 2 workers + worker 1), as a NIC
	 * whose driver allocates each queue on its own would have. */
	struct cfg sep = {"macswap_2w_sep",
			  "FromDPDKDevice(net_null0, QUEUE 0, THREAD 0) -> m0 :: EtherMirror -> t :: ToDPDKDevice(net_null0);\n"
			  "FromDPDKDevice(net_null0, QUEUE 4, THREAD 1) -> m1 :: EtherMirror -> t1 :: ToDPDKDevice(net_null0, QUEUE 2);\n",
			  2, NULL, NULL};
	if (wanted("macswap_2w_sep")) {
		double m2, sc, eff;
		if (run_scaling(&macswap, &sep, &m2, &sc, &eff) < 0)
			return 1;
		per_cpu = 0;
		report("macswap_2w_sep", m2, 2, 0);
		printf("BENCH dataplane scaling_2w_sep %.2f ratio\n", sc);
		printf("BENCH dataplane efficiency_2w_sep %.2f ratio\n", eff);
	}
	printf("BENCH dataplane cores %ld count\n", sysconf(_SC_NPROCESSORS_ONLN));

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("BENCH dataplane rss_mb %.1f MB\n", (double)rss_kb() / 1024.0);
	printf("BENCH dataplane peak_rss_mb %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
	rt_eal_cleanup();
	if (tmpdir[0]) {
		unlink(tracebuf);
		rmdir(tmpdir);
	}
	return 0;
}
