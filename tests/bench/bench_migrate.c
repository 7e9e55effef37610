/*
 * bench_migrate.c - moving an element between placements under traffic
 * (issue: placements and migration).  One worker pushes 64-byte packets
 * through a FIBLookup with 16 FIBs; the control thread moves it cpu ->
 * opencl -> cpu repeatedly and records, per table size, how long each
 * migration takes (building the new instance and loading its table, off
 * the data path) and the pause (packets held: first publish to release),
 * then stops the source and checks that every packet came out.  Then the
 * same with a PatternMatch behind a FlowManager holding 10 K, 100 K and
 * 1 M live flows, whose per-flow automaton states move with it (4 MB at 1 M).
 * Then `migrate fm core N`: two workers, 10 K flows of a FlowManager moving
 * to worker 1 and back (`bench_migrate MOVES core`: only that, 10 K and 100 K).
 * Prints `BENCH placement <name> <value> <unit>`.
 *
 * Usage: bench_migrate [MOVES [core]]   (default 10 per table size)
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "ctl.h"
#include "mig.h"
#include "router_int.h"

static uint64_t rd(struct rt_router *r, const char *h)
{
	struct rt_buf b;
	struct rt_err err;
	rt_buf_init(&b);
	rt_err_clear(&err);
	rt_ctl_read(r, h, &b, &err);
	uint64_t n = strtoull(b.p ? b.p : "0", NULL, 10);
	rt_buf_free(&b);
	return n;
}

/* BenchFlowSource(FLOWS n): 64-byte UDP packets, flow i = source address
 * 10.0.0.0 + i, round robin over n flows. */
struct bfs {
	uint64_t flows, sent, base;
	bool active;
};

static int bfs_init(struct el *e, struct rt_err *err)
{
	EL_STATE(e, struct bfs)->active = true;
	return 0;
}

static int bfs_run(struct el_node *n)
{
	struct bfs *s = n->state;
	if (!__atomic_load_n(&s->active, __ATOMIC_ACQUIRE))
		return 0;
	struct rt_batch b;
	b.n = 32;
	if (rte_pktmbuf_alloc_bulk(rt_router_pool(n->e->router), b.pkts, b.n) != 0)
		return 0;
	for (uint32_t i = 0; i < b.n; i++) {
		struct rte_mbuf *m = b.pkts[i];
		rt_anno_reset(m);
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		memset(d, 0, 64);
		d[12] = 0x08;
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + 14);
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16(50);
		ip->time_to_live = 64;
		ip->next_proto_id = 17;
		ip->src_addr = rte_cpu_to_be_32(0x0a000000u + (uint32_t)(s->base + (s->sent + i) % s->flows));
		ip->dst_addr = rte_cpu_to_be_32(0xc0a80101u);
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
		u->src_port = rte_cpu_to_be_16(1234);
		u->dst_port = rte_cpu_to_be_16(80);
		u->dgram_len = rte_cpu_to_be_16(30);
		memcpy((uint8_t *)(u + 1), "payload-bytes-for-the-matcher", 22);
		m->data_len = m->pkt_len = 64;
		rt_set_nh(m, 14);
	}
	__atomic_store_n(&s->sent, s->sent + b.n, __ATOMIC_RELEASE);
	el_output(n, 0, &b);
	return (int)b.n;
}

static int bfs_active(struct el *e, intptr_t a, const char *v, struct rt_err *err)
{
	__atomic_store_n(&EL_STATE(e, struct bfs)->active, !strcmp(v, "true"), __ATOMIC_RELEASE);
	return 0;
}

static const struct el_arg bfs_args[] = {
	{ "FLOWS", EL_T_UINT, offsetof(struct bfs, flows), "1", EL_ARG_POS, "flows" },
	{ "BASE", EL_T_UINT, offsetof(struct bfs, base), "0", 0, "first flow" },
	EL_ARGS_END,
};
static const struct el_handler bfs_handlers[] = {
	{ "active", NULL, bfs_active, 0, 0, "true/false", NULL },
	EL_HANDLERS_END,
};
static struct el_class bfs_class = {
	.name = "BenchFlowSource",
	.ports = "0/1",
	.state_size = sizeof(struct bfs),
	.args = bfs_args,
	.init = bfs_init,
	.run = bfs_run,
	.handlers = bfs_handlers,
};
EL_REGISTER(bfs_class)

/* An IDS holding nflows flows' state moves cpu -> to -> cpu: pause per move
 * (the per-flow automaton states travel with it: 4 bytes a flow slot). */
static int flows_n(uint64_t nflows, const char *sz, const char *to, int moves, uint64_t *loss)
{
	struct rt_err err;
	rt_err_clear(&err);
	uint64_t states = 1024;
	while (states < nflows)
		states <<= 1;
	char cfg[512];
	snprintf(cfg, sizeof(cfg),
		 "src :: BenchFlowSource(%llu) -> a :: Counter -> fm :: FlowManager(CAPACITY %llu, TIMEOUT_UDP 600s)"
		 " -> pm :: PatternMatch(\"EVIL-SIGNATURE\", FLOW_STATES %llu, BATCH 1024, LATENCY 100us) -> b :: Counter -> Discard;"
		 " pm[1] -> b;\n",
		 (unsigned long long)nflows, (unsigned long long)(nflows + nflows / 5), (unsigned long long)states);
	struct rt_router_opts o = { .nworkers = 1, .pin = true };
	struct rt_router *r = rt_router_new(&o, &err);
	if (!r || rt_router_load(r, cfg, "bench", NULL, &err) < 0 || rt_router_start(r, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	uint64_t t0 = rt_now_ns();
	while (rd(r, "fm.flows") < nflows && rt_now_ns() - t0 < 60000000000ull)
		usleep(20000);
	uint64_t flows = rd(r, "fm.flows");
	uint64_t worst = 0, sum = 0;
	for (int i = 0; i < moves * 2; i++) {
		if (rt_ctl_migrate(r, "pm", i % 2 ? "cpu" : to, NULL, &err) < 0) {
			fprintf(stderr, "migrate: %s\n", err.msg);
			return 1;
		}
		sum += r->live_hold_ns;
		worst = RT_MAX(worst, r->live_hold_ns);
		usleep(500000); /* past the first batches (PoCL compiles a kernel at its first launch) */
	}
	rt_ctl_write(r, "src.active", "false", &err);
	for (int i = 0; i < 2000 && rd(r, "a.count") != rd(r, "b.count"); i++)
		usleep(1000);
	*loss += rd(r, "a.count") - rd(r, "b.count");
	printf("BENCH placement migrate_%s_flows_live_flows %llu flows\n", sz, (unsigned long long)flows);
	printf("BENCH placement migrate_%s_flows_pause_ms %.3f ms\n", sz, sum / 1e6 / (moves * 2));
	printf("BENCH placement migrate_%s_flows_pause_max_ms %.3f ms\n", sz, worst / 1e6);
	rt_router_stop(r);
	rt_router_join(r);
	rt_router_free(r);
	return 0;
}

/* migrate NAME core N: two workers, a source on each with half of nflows
 * flows, FlowManager -> FlowCounter; its flows move to worker 1 and back
 * `moves` times.  The pause: worker N held (first owner published to
 * release), median and worst. */
static int cmp_u64(const void *a, const void *b);
static int core_n(uint64_t nflows, const char *sz, int moves, uint64_t *loss)
{
	struct rt_err err;
	rt_err_clear(&err);
	char cfg[512];
	snprintf(cfg, sizeof(cfg),
		 "s0 :: BenchFlowSource(%llu) -> a :: Counter -> fm :: FlowManager(CAPACITY %llu, TIMEOUT_UDP 600s, STEER_RING 262144)"
		 " -> fc :: FlowCounter -> b :: Counter -> Discard;"
		 " s1 :: BenchFlowSource(%llu, BASE %llu) -> a;\n",
		 (unsigned long long)nflows / 2, (unsigned long long)(nflows + nflows / 5), (unsigned long long)nflows / 2,
		 (unsigned long long)nflows / 2);
	struct rt_router_opts o = { .nworkers = 2, .pin = true };
	struct rt_router *r = rt_router_new(&o, &err);
	if (!r || rt_router_load(r, cfg, "bench", NULL, &err) < 0 || rt_router_start(r, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	uint64_t t0 = rt_now_ns();
	while (rd(r, "fm.flows") < nflows && rt_now_ns() - t0 < 60000000000ull)
		usleep(20000);
	uint64_t *pause = calloc((size_t)moves * 2, sizeof(uint64_t));
	int n = 0;
	for (int i = 0; i < moves * 2; i++) {
		if (rt_ctl_migrate(r, "fm", i % 2 ? "core 0" : "core 1", NULL, &err) < 0) {
			fprintf(stderr, "migrate: %s\n", err.msg);
			return 1;
		}
		pause[n++] = rd(r, "fm.core_pause_us");
		usleep(50000);
	}
	rt_ctl_write(r, "s0.active", "false", &err);
	rt_ctl_write(r, "s1.active", "false", &err);
	for (int i = 0; i < 2000 && rd(r, "a.count") != rd(r, "b.count"); i++)
		usleep(1000);
	*loss += rd(r, "a.count") - rd(r, "b.count");
	qsort(pause, (size_t)n, sizeof(uint64_t), cmp_u64);
	printf("BENCH placement migrate_core_%s_flows_moved %llu flows\n", sz,
	       (unsigned long long)(rd(r, "fm.core_moved_flows") / (uint64_t)n));
	printf("BENCH placement migrate_core_%s_flows_pause_ms %.3f ms\n", sz, pause[n / 2] / 1e3);
	printf("BENCH placement migrate_core_%s_flows_pause_max_ms %.3f ms\n", sz, pause[n - 1] / 1e3);
	printf("BENCH placement migrate_core_%s_flows_steer_drops %llu packets\n", sz,
	       (unsigned long long)rd(r, "fm.steer_drops"));
	free(pause);
	rt_router_stop(r);
	rt_router_join(r);
	rt_router_free(r);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* nroutes routes over 16 FIBs in a temporary file (plus a default each). */
static void write_routes(const char *path, int nroutes)
{
	FILE *fp = fopen(path, "w");
	srand(1);
	for (int f = 0; f < 16; f++)
		fprintf(fp, "fib %d 0.0.0.0/0 0\n", f);
	for (int i = 0; i < nroutes; i++) {
		int len = 16 + rand() % 9;
		uint32_t a = (((uint32_t)rand() << 1) ^ (uint32_t)rand()) & (~0u << (32 - len));
		fprintf(fp, "fib %d %u.%u.%u.%u/%d 0\n", i % 16, a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, len);
	}
	fclose(fp);
}

int main(int argc, char **argv)
{
	int moves = argc > 1 ? atoi(argv[1]) : 10;
	struct rt_err err;
	rt_err_clear(&err);
	const char *to = mig_available(MIG_OPENCL, &err) == 0 ? "opencl" : "cpu";
	if (rt_eal_init(NULL, 1, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	static const int sizes[] = { 10000, 100000, 1000000 };
	uint64_t loss = 0;
	if (argc > 2 && !strcmp(argv[2], "core")) {  /* only migrate NAME core N */
		if (core_n(10000, "10k", moves, &loss) || core_n(100000, "100k", moves, &loss))
			return 1;
		printf("BENCH placement migrate_core_loss %llu packets\n", (unsigned long long)loss);
		rt_eal_cleanup();
		return loss ? 1 : 0;
	}
	for (size_t si = 0; si < RT_ARRAY_SIZE(sizes); si++) {
		char path[] = "/tmp/mbx_routesXXXXXX";
		int fd = mkstemp(path);
		close(fd);
		write_routes(path, sizes[si]);
		char cfg[512];
		snprintf(cfg, sizeof(cfg),
			 "src :: InfiniteSource(LENGTH 64, TIMESTAMP false) -> a :: Counter\n"
			 "  -> f :: FIBLookup(FILE %s, FIBS 16, FIB_ANNO paint, BATCH 1024, LATENCY 50us) -> b :: Counter -> Discard;\n",
			 path);
		struct rt_router_opts o = { .nworkers = 1, .pin = true };
		struct rt_router *r = rt_router_new(&o, &err);
		uint64_t t0 = rt_now_ns();
		if (!r || rt_router_load(r, cfg, "bench", NULL, &err) < 0 || rt_router_start(r, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		double load_ms = (rt_now_ns() - t0) / 1e6;
		usleep(100000);
		uint64_t *pause = calloc((size_t)moves * 2, sizeof(uint64_t));
		uint64_t *total = calloc((size_t)moves * 2, sizeof(uint64_t));
		int n = 0;
		for (int i = 0; i < moves * 2; i++) {
			t0 = rt_now_ns();
			if (rt_ctl_migrate(r, "f", i % 2 ? "cpu" : to, NULL, &err) < 0) {
				fprintf(stderr, "migrate: %s\n", err.msg);
				return 1;
			}
			total[n] = rt_now_ns() - t0;
			pause[n++] = r->live_hold_ns;
			usleep(20000);
		}
		rt_ctl_write(r, "src.active", "false", &err);
		for (int i = 0; i < 1000 && rd(r, "a.count") != rd(r, "b.count"); i++)
			usleep(1000);
		loss += rd(r, "a.count") - rd(r, "b.count");
		qsort(pause, (size_t)n, sizeof(uint64_t), cmp_u64);
		qsort(total, (size_t)n, sizeof(uint64_t), cmp_u64);
		const char *sz = si == 0 ? "10k" : si == 1 ? "100k" : "1m";
		printf("BENCH placement migrate_%s_routes_load_ms %.1f ms\n", sz, load_ms);
		printf("BENCH placement migrate_%s_routes_time_ms %.1f ms\n", sz, total[n / 2] / 1e6);
		printf("BENCH placement migrate_%s_routes_pause_ms %.3f ms\n", sz, pause[n / 2] / 1e6);
		printf("BENCH placement migrate_%s_routes_pause_max_ms %.3f ms\n", sz, pause[n - 1] / 1e6);
		free(pause);
		free(total);
		rt_router_stop(r);
		rt_router_join(r);
		rt_router_free(r);
		unlink(path);
	}
	static const struct {
		uint64_t n;
		const char *sz;
	} fl[] = { { 10000, "10k" }, { 100000, "100k" }, { 1000000, "1m" } };
	for (size_t i = 0; i < RT_ARRAY_SIZE(fl); i++)
		if (flows_n(fl[i].n, fl[i].sz, to, moves / 2 ? moves / 2 : 1, &loss))
			return 1;
	if (core_n(10000, "10k", moves, &loss))
		return 1;
	printf("BENCH placement migrate_target %s placement\n", to);
	printf("BENCH placement migrate_loss %llu packets\n", (unsigned long long)loss);
	uv_run(uv_default_loop(), UV_RUN_NOWAIT);
	rt_eal_cleanup();
	return loss ? 1 : 0;
}
