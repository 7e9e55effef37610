/*
 * bench_flow.c - flows (issue 6): the shared flow manager against one hash
 * table per element, and the flow table against rte_hash.  Prints `BENCH
 * flow <name> <value> <unit>`; scripts/bench.sh flow runs it from a
 * Release build.
 *
 * Everything runs on the calling thread as worker 0, one batch of 32
 * packets at a time pushed straight into the first element (no source, no
 * I/O): the same 4096 mbufs go round, each batch gets the next flows'
 * source addresses written into its packets, and a sink hands the packets
 * back without freeing them.  Flows are visited in a shuffled order, so at
 * 1M flows nearly every packet misses the cache, as in real traffic.
 * A first pass over all flows creates them (not timed).
 *
 * (a) chain of N stateful elements (FlowCounter: packets and bytes per
 *     flow) behind one FlowManager, vs the same chain of N elements that
 *     each classify the packet again in their own rte_hash (Click's way);
 * (c) FlowManager alone with 1K, 100K and 1M flows, and its memory per flow;
 * (d) rte_hash (lookup_bulk, add on miss, a counter per entry) alone.
 *
 * Usage: bench_flow [SECONDS_PER_FIGURE]   (default 1.0)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "router_int.h"
#include "ctl.h"
#include "flow/flow.h"

/* ---- BenchSink: hands packets back (the driver reuses them) ---------------- */

static void bsink_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)n, (void)port;
	b->n = 0;
}

static struct el_class bsink = {
	.name = "BenchSink", .sig = "BenchSink", .summary = "benchmark sink: keeps nothing, frees nothing",
	.doc = "Test only.", .ports = "1/0", .push = bsink_push, .flags = EL_C_NOARGS,
};
EL_REGISTER(bsink)

/* ---- BenchHashCounter: FlowCounter the Click way, its own rte_hash -------------- */

struct bhc {
	uint64_t capacity;
	struct rte_hash *h;
	uint64_t *cnt;          /* packets, bytes per entry */
	struct flow_keydef kd;
};

static void bhc_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct bhc *s = n->state;
	struct flow_key keys[RT_BATCH_MAX];
	const void *kp[RT_BATCH_MAX];
	int32_t pos[RT_BATCH_MAX];
	uint32_t nk = 0;
	bool sw;
	uint8_t tf;
	for (uint32_t i = 0; i < b->n; i++)
		if (flow_key_extract(&s->kd, b->pkts[i], &keys[nk], &sw, &tf))
			kp[nk] = &keys[nk], nk++;
	rte_hash_lookup_bulk(s->h, kp, nk, pos);
	for (uint32_t i = 0; i < nk; i++) {
		if (pos[i] < 0)
			pos[i] = rte_hash_add_key(s->h, kp[i]);
		if (pos[i] >= 0) {
			s->cnt[2 * pos[i]]++;
			s->cnt[2 * pos[i] + 1] += rte_pktmbuf_pkt_len(b->pkts[i]);
		}
	}
	el_output(n, 0, b);
}

static int bhc_init(struct el *e, struct rt_err *err)
{
	struct bhc *s = e->state;
	char name[32];
	snprintf(name, sizeof(name), "bhc%d", e->uid);
	struct rte_hash_parameters p = {.name = name, .entries = (uint32_t)s->capacity, .key_len = sizeof(struct flow_key),
					.hash_func = rte_hash_crc, .socket_id = (int)rte_socket_id()};
	s->h = rte_hash_create(&p);
	s->cnt = rte_zmalloc("bhc", sizeof(uint64_t) * 2 * (s->capacity + 8), RTE_CACHE_LINE_SIZE);
	if (!s->h || !s->cnt)
		return rt_errf(err, &e->loc, -ENOMEM, "%s: no memory", e->name);
	return 0;
}

static void bhc_cleanup(struct el *e)
{
	struct bhc *s = e->state;
	rte_hash_free(s->h);
	rte_free(s->cnt);
}

static const struct el_arg bhc_args[] = {
	{"CAPACITY", EL_T_UINT, offsetof(struct bhc, capacity), "65536", 0, "entries"},
	EL_ARGS_END,
};

static struct el_class bhc_class = {
	.name = "BenchHashCounter", .sig = "BenchHashCounter(CAPACITY)", .summary = "per-flow counter with its own rte_hash",
	.doc = "Test only.", .ports = "1/1", .state_size = sizeof(struct bhc), .args = bhc_args, .init = bhc_init,
	.cleanup = bhc_cleanup, .push = bhc_push,
};
EL_REGISTER(bhc_class)

/* ---- the driver ---------------------------------------------------------------- */

#define NPKT 4096
#define BATCH 32

static struct rte_mbuf *pkts[NPKT];
static uint32_t *order;  /* shuffled flow ids */

static struct rt_router *load(const char *cfg)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_router_opts o = {.nworkers = 1, .pool_size = NPKT + 1024};
	struct rt_router *r = rt_router_new(&o, &err);
	if (!r || rt_router_load(r, cfg, "bench", NULL, &err) < 0) {
		char msg[700];
		fprintf(stderr, "bench_flow: %s\n", rt_err_str(&err, msg, sizeof(msg)));
		exit(1);
	}
	return r;
}

/* 60-byte Ethernet/IPv4/UDP frames; flow k has source 10.0.0.0 + k. */
static void make_pkts(struct rt_router *r)
{
	uint8_t f[60] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa, 0x08, 0x00,
			 0x45, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 10, 0, 0, 1,
			 192, 168, 0, 1, 0x04, 0xd2, 0x00, 0x35, 0x00, 0x1a, 0x00, 0x00};
	for (int i = 0; i < NPKT; i++) {
		pkts[i] = rt_pkt_make(r, f, sizeof(f));
		if (!pkts[i]) {
			fprintf(stderr, "bench_flow: pool empty\n");
			exit(1);
		}
		rt_anno(pkts[i])->timestamp = 1;  /* packet clock: no clock read, nothing expires */
	}
}

static void free_pkts(void)
{
	rte_pktmbuf_free_bulk(pkts, NPKT);
}

/* CPU time of this thread, ns: the machine may be shared, and time the
 * scheduler gives others is not ours. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Push batches for `secs` seconds of CPU (or one pass over nflows when
 * secs is 0); returns Mpps per CPU second. */
static double drive(struct rt_router *r, const char *first, uint32_t nflows, double secs)
{
	struct el_node *nd = r->plan->nodes[rt_router_find(r, first)->index];
	el_push_fn push = nd->e->cls->push;
	uint64_t c0 = cpu_ns(), end = c0 + (uint64_t)(secs * 1e9), sent = 0;
	uint32_t fi = 0, pi = 0;
	rt_wid = 0;
	for (;;) {
		struct rt_batch b;
		b.n = BATCH;
		for (int i = 0; i < BATCH; i++) {
			struct rte_mbuf *m = pkts[pi++ & (NPKT - 1)];
			uint32_t src = rte_cpu_to_be_32(0x0a000000u + order[fi]);
			if (++fi == nflows)
				fi = 0;
			memcpy(rt_data(m) + 26, &src, 4);
			b.pkts[i] = m;
		}
		push(nd, 0, &b);
		sent += BATCH;
		if (secs == 0 ? sent >= nflows : (sent & 4095) == 0 && cpu_ns() >= end)
			break;
	}
	return (double)sent / ((double)(cpu_ns() - c0) / 1e9) / 1e6;
}

static double run(const char *cfg, uint32_t nflows, double secs)
{
	struct rt_router *r = load(cfg);
	make_pkts(r);
	for (uint32_t i = 0; i < nflows; i++)
		order[i] = i;
	for (uint32_t i = nflows - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(((uint64_t)rand() << 16 ^ (uint64_t)rand()) % (i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	drive(r, "first", nflows, 0);  /* create every flow */
	double mpps = drive(r, "first", nflows, secs);
	free_pkts();
	rt_router_free(r);
	uv_run(uv_default_loop(), UV_RUN_NOWAIT);
	return mpps;
}

/* ---- TCP streams: in-order segments through TCPIn ------------------------------- */

/* 60-byte Ethernet/IPv4/TCP frames with 6 payload bytes; flow k has
 * source 10.0.0.0 + k, and each of its segments follows the last. */
static double run_tcp(const char *cfg, uint32_t nflows, double secs)
{
	uint8_t f[60] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa, 0x08, 0x00,
			 0x45, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1,
			 192, 168, 0, 1, 0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0xff, 0xff};
	struct rt_router *r = load(cfg);
	for (int i = 0; i < NPKT; i++) {
		if (!(pkts[i] = rt_pkt_make(r, f, sizeof(f)))) {
			fprintf(stderr, "bench_flow: pool empty\n");
			exit(1);
		}
		rt_anno(pkts[i])->timestamp = 1;
	}
	uint32_t *seq = calloc(nflows, sizeof(uint32_t));
	for (uint32_t i = 0; i < nflows; i++)
		order[i] = i;
	for (uint32_t i = nflows - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(((uint64_t)rand() << 16 ^ (uint64_t)rand()) % (i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	struct el_node *nd = r->plan->nodes[rt_router_find(r, "first")->index];
	el_push_fn push = nd->e->cls->push;
	double mpps = 0;
	for (int pass = 0; pass < 2; pass++) {  /* the first pass creates every flow */
		uint64_t c0 = cpu_ns(), end = c0 + (uint64_t)(secs * 1e9), sent = 0;
		uint32_t fi = 0, pi = 0;
		rt_wid = 0;
		for (;;) {
			struct rt_batch b;
			b.n = BATCH;
			for (int i = 0; i < BATCH; i++) {
				struct rte_mbuf *m = pkts[pi++ & (NPKT - 1)];
				uint32_t k = order[fi], src = rte_cpu_to_be_32(0x0a000000u + k), sq = rte_cpu_to_be_32(seq[k]);
				seq[k] += 6;
				if (++fi == nflows)
					fi = 0;
				memcpy(rt_data(m) + 26, &src, 4);
				memcpy(rt_data(m) + 38, &sq, 4);
				b.pkts[i] = m;
			}
			push(nd, 0, &b);
			sent += BATCH;
			if (pass == 0 ? sent >= nflows : (sent & 4095) == 0 && cpu_ns() >= end)
				break;
		}
		mpps = (double)sent / ((double)(cpu_ns() - c0) / 1e9) / 1e6;
	}
	/* every segment must have gone through in order: none held */
	struct el *t = rt_router_find(r, "t");
	if (t) {
		struct rt_buf out;
		struct rt_err err;
		rt_buf_init(&out);
		el_handler_read(t, "held", &out, &err);
		if (strtoull(out.p, NULL, 10) != 0) {
			fprintf(stderr, "bench_flow: TCPIn held in-order segments\n");
			exit(1);
		}
		rt_buf_free(&out);
	}
	free(seq);
	free_pkts();
	rt_router_free(r);
	uv_run(uv_default_loop(), UV_RUN_NOWAIT);
	return mpps;
}

static size_t bytes_per_flow(uint32_t cap, int reserve)
{
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "Idle -> first :: FlowManager(CAPACITY %u, RESERVE %d) -> BenchSink;", cap, reserve);
	struct rt_router *r = load(cfg);
	struct flow_mgr *M = rt_router_find(r, "first")->state;
	size_t b = flow_table_bytes_per_flow(M->tab[0]);
	rt_router_free(r);
	uv_run(uv_default_loop(), UV_RUN_NOWAIT);
	return b;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	struct rt_err err;
	rt_err_clear(&err);
	if (rt_eal_init(NULL, 1, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	srand(6);
	order = malloc(sizeof(uint32_t) * (1u << 20));
	char cfg[4096];

	/* (a) chains, 16K flows (FastClick's figure uses 16 K UDP flows) */
	const uint32_t CF = 16384;
	for (int n = 1; n <= 8; n *= 2) {
		int o = snprintf(cfg, sizeof(cfg), "Idle -> first :: FlowManager(CAPACITY %u, RESERVE %d)", 2 * CF, 16 * n);
		for (int i = 0; i < n; i++)
			o += snprintf(cfg + o, sizeof(cfg) - (size_t)o, " -> FlowCounter");
		snprintf(cfg + o, sizeof(cfg) - (size_t)o, " -> BenchSink;");
		double shared = run(cfg, CF, secs);
		o = snprintf(cfg, sizeof(cfg), "Idle -> first :: Null");
		for (int i = 0; i < n; i++)
			o += snprintf(cfg + o, sizeof(cfg) - (size_t)o, " -> BenchHashCounter(CAPACITY %u)", 2 * CF);
		snprintf(cfg + o, sizeof(cfg) - (size_t)o, " -> BenchSink;");
		double per = run(cfg, CF, secs);
		printf("BENCH flow shared_%d_mpps %.2f Mpps\n", n, shared);
		printf("BENCH flow per_element_%d_mpps %.2f Mpps\n", n, per);
		printf("BENCH flow shared_vs_per_element_%d %.2f ratio\n", n, shared / per);
		fflush(stdout);
	}

	/* TCP streams: 16 K connections, in-order segments, the manager alone and with TCPIn */
	snprintf(cfg, sizeof(cfg), "Idle -> first :: FlowManager(SYMMETRIC true, CAPACITY %u, RESERVE 512) -> BenchSink;", 2 * CF);
	double base = run_tcp(cfg, CF, secs);
	snprintf(cfg, sizeof(cfg), "Idle -> first :: FlowManager(SYMMETRIC true, CAPACITY %u, RESERVE 512) -> t :: TCPIn"
		 " -> BenchSink;", 2 * CF);
	printf("BENCH flow tcp_manager_mpps %.2f Mpps\n", base);
	printf("BENCH flow tcpin_mpps %.2f Mpps\n", run_tcp(cfg, CF, secs));
	fflush(stdout);

	/* (c), (d): the table alone */
	static const struct { uint32_t flows; const char *tag; } sizes[] = {{1024, "1k"}, {100000, "100k"}, {1u << 20, "1m"}};
	for (size_t k = 0; k < RT_ARRAY_SIZE(sizes); k++) {
		uint32_t f = sizes[k].flows, cap = f + f / 4;
		snprintf(cfg, sizeof(cfg), "Idle -> first :: FlowManager(CAPACITY %u, RESERVE 16) -> BenchSink;", cap);
		printf("BENCH flow flows_%s_mpps %.2f Mpps\n", sizes[k].tag, run(cfg, f, secs));
		snprintf(cfg, sizeof(cfg), "Idle -> first :: BenchHashCounter(CAPACITY %u) -> BenchSink;", cap);
		printf("BENCH flow rte_hash_%s_mpps %.2f Mpps\n", sizes[k].tag, run(cfg, f, secs));
		fflush(stdout);
	}
	/* all of the 1M-flow table (buckets, FCBs with one FlowCounter's 16
	 * bytes, free list) over the flows it holds */
	uint32_t cap = (1u << 20) + (1u << 18);
	printf("BENCH flow flows_1m_bytes_per_flow %.0f bytes\n", (double)bytes_per_flow(cap, 16) * cap / (1u << 20));
	free(order);
	return 0;
}
