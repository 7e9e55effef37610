/*
 * bench_core.c - element overhead and router-chain throughput on one
 * worker (issue: runtime foundation).  Prints `BENCH core <name> <value>
 * <unit>` lines; scripts/bench.sh core runs it from a Release build.
 *
 * Usage: bench_core [PACKETS]   (default 20000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <rte_cycles.h>

#include "ctl.h"

struct result {
	double mpps, cyc_per_pkt;
	unsigned long long pkts;
};

static void stopped(struct rt_router *r, void *arg)
{
	(void)r;
	uv_stop(arg);
}

static int run_config(const char *name, const char *config, const char *count_handler, struct result *res)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_router_opts o = {.nworkers = 1, .pin = true};
	struct rt_router *r = rt_router_new(&o, &err);
	if (!r || rt_router_load(r, config, name, NULL, &err) < 0) {
		char msg[700];
		fprintf(stderr, "%s: %s\n", name, rt_err_str(&err, msg, sizeof(msg)));
		return -1;
	}
	uv_loop_t *loop = rt_router_loop(r);
	rt_router_on_stop(r, stopped, loop);
	uint64_t t0 = rt_now_ns(), c0 = rte_rdtsc();
	rt_router_start(r, &err);
	uv_run(loop, UV_RUN_DEFAULT);
	rt_router_join(r);
	uint64_t c1 = rte_rdtsc(), t1 = rt_now_ns();
	struct rt_buf b;
	rt_buf_init(&b);
	rt_ctl_read(r, count_handler, &b, &err);
	res->pkts = strtoull(b.p ? b.p : "0", NULL, 10);
	rt_buf_free(&b);
	res->mpps = (double)res->pkts / ((double)(t1 - t0) / 1e3);
	res->cyc_per_pkt = (double)(c1 - c0) / (double)(res->pkts ? res->pkts : 1);
	rt_router_free(r);
	uv_run(loop, UV_RUN_NOWAIT);
	return res->pkts ? 0 : -1;
}

/* An Ethernet/IPv4/UDP frame to 10.0.1.5 with a valid header checksum. */
#define ROUTER_PKT                                                                                   \
	"\\<00 11 22 33 44 55 00 66 77 88 99 aa 08 00 45 00 00 2e 00 00 00 00 40 11 65 ba 0a 00 00 01" \
	" 0a 00 01 05 04 d2 00 35 00 1a 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00>"

int main(int argc, char **argv)
{
	unsigned long long n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000ull;
	struct rt_err err;
	rt_err_clear(&err);
	if (rt_eal_init(NULL, 1, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	char cfg[2048];
	struct result a, b;
	snprintf(cfg, sizeof(cfg),
		 "src :: InfiniteSource(LENGTH 64, LIMIT %llu, STOP true, TIMESTAMP false)\n"
		 "  -> c :: Counter -> Discard;\n", n);
	if (run_config("overhead", cfg, "c.count", &a) < 0)
		return 1;
	snprintf(cfg, sizeof(cfg),
		 "src :: InfiniteSource(DATA \"" ROUTER_PKT "\", LIMIT %llu, STOP true, TIMESTAMP false)\n"
		 "  -> Strip(14) -> CheckIPHeader -> rt :: LookupIPRoute(10.0.0.0/16 10.0.0.1 0, 0.0.0.0/0 1)\n"
		 "  -> DecIPTTL -> Unstrip(14) -> EtherRewrite(00:00:00:00:00:01, 00:00:00:00:00:02)\n"
		 "  -> c :: Counter -> Discard;\n"
		 "rt [1] -> Discard;\n", n);
	if (run_config("router", cfg, "c.count", &b) < 0)
		return 1;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("BENCH core element_overhead_mpps %.2f Mpps\n", a.mpps);
	printf("BENCH core element_overhead_cycles %.1f cycles/packet\n", a.cyc_per_pkt);
	printf("BENCH core router_chain_mpps %.2f Mpps\n", b.mpps);
	printf("BENCH core router_chain_cycles %.1f cycles/packet\n", b.cyc_per_pkt);
	printf("BENCH core element_overhead_vs_fastclick %.2f ratio\n", a.mpps / 21.0);
	printf("BENCH core router_chain_vs_fastclick %.2f ratio\n", b.mpps / 10.7);
	printf("BENCH core peak_rss_mb %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
	printf("BENCH core hugepages %d bool\n", rt_eal_hugepages() ? 1 : 0);
	rt_eal_cleanup();
	return 0;
}
