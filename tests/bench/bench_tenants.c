/*
 * bench_tenants.c - the noisy neighbour (issue 9).  Tenants A and B share
 * one worker.  B, the quiet tenant, receives packets at a fixed rate (a
 * paced source whose every packet carries the TSC time it was due) and
 * measures, at its sink, how late each one is processed.  First B alone,
 * then while A floods: an unbounded source through a CPU-heavy element
 * (far above its CPU quota), a buffer hog that keeps every packet it gets,
 * a flow-table fill (a new flow every packet, far past A's flow quota, while
 * B's packets go through a flow manager of its own) and a Lua script in an
 * infinite loop; then the same flood with A's CPU quota lifted, to show what
 * the scheduler's budget buys.  First, before the router starts, the cost
 * of the flow quota on inserts: cycles per new flow in a tenant's flow
 * manager (quota charged) against the operator's (no quota).  Prints
 * `BENCH tenants <name> <value> <unit>`.
 *
 * Usage: bench_tenants [SECONDS per phase (default 2)] [RATE pps (default 1000000)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "ctl.h"
#include "lua/lmb.h"
#include "router_int.h"
#include "flow/flow.h"
#include "tenant/tn.h"

/* ---- bench elements ------------------------------------------------------ */

/* A 64-byte Ethernet + IPv4 + UDP frame from src:sport (checksums are not
 * looked at here). */
static void udp64(struct rte_mbuf *m, uint32_t src, uint16_t sport)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	memset(d, 0, 64);
	d[12] = 0x08;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + 14);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(50);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000001);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
	u->src_port = rte_cpu_to_be_16(sport);
	u->dst_port = rte_cpu_to_be_16(53);
	u->dgram_len = rte_cpu_to_be_16(30);
	m->data_len = m->pkt_len = 64;
}

/* BenchNewFlows: a source of packets each of a new flow (64 a run). */
struct newflows {
	uint64_t n;
};
static int newflows_run(struct el_node *n)
{
	struct newflows *s = n->state;
	struct rt_batch b = {.n = RT_BATCH_MAX};
	if (rte_pktmbuf_alloc_bulk(n->e->pool, b.pkts, b.n) != 0)
		return 0;
	for (uint32_t i = 0; i < b.n; i++) {
		rt_anno_reset(b.pkts[i]);
		udp64(b.pkts[i], 0x0b000000u + (uint32_t)(s->n >> 16), (uint16_t)s->n);
		s->n++;
	}
	el_output(n, 0, &b);
	return RT_BATCH_MAX;
}
static struct el_class newflows = {
	.name = "BenchNewFlows", .sig = "BenchNewFlows", .summary = "bench: a new flow every packet", .ports = "0/1",
	.state_size = sizeof(struct newflows), .run = newflows_run, .flags = EL_C_NOARGS,
};
EL_REGISTER(newflows)

/* BenchPaced(RATE): packet k is due at t0 + k/RATE; each run sends those
 * due (64 at most), timestamped with their due time (TSC), so that a
 * stall shows as lateness and nothing due is ever forgotten. */
struct paced {
	uint64_t rate, t0, sent, fails;
};
static const struct el_arg paced_args[] = {
	{"RATE", EL_T_UINT, offsetof(struct paced, rate), "100000", EL_ARG_POS, "packets per second"},
	EL_ARGS_END,
};
static int paced_run(struct el_node *n)
{
	struct paced *s = n->state;
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz();
	if (!s->t0)
		s->t0 = now;
	uint64_t due = (uint64_t)((double)(now - s->t0) * (double)s->rate / (double)hz) - s->sent;
	if (!due)
		return 0;
	struct rt_batch b;
	b.n = (uint32_t)RT_MIN(due, (uint64_t)RT_BATCH_MAX);
	if (rte_pktmbuf_alloc_bulk(n->e->pool, b.pkts, b.n) != 0) {
		s->fails++;
		return 0;
	}
	for (uint32_t i = 0; i < b.n; i++) {
		struct rte_mbuf *m = b.pkts[i];
		rt_anno_reset(m);
		rt_anno(m)->timestamp = s->t0 + (uint64_t)((double)(s->sent + i) * (double)hz / (double)s->rate);
		rt_anno(m)->tenant = n->e->tenant;
		udp64(m, 0x0a010000u, (uint16_t)((s->sent + i) & 255)); /* 256 flows */
	}
	int sent = (int)b.n; /* the callee may empty b */
	s->sent += b.n;
	el_output(n, 0, &b);
	return sent;
}
static struct el_class paced = {
	.name = "BenchPaced", .sig = "BenchPaced(RATE)", .summary = "bench: paced source", .ports = "0/1",
	.state_size = sizeof(struct paced), .args = paced_args, .run = paced_run,
};
EL_REGISTER(paced)

/* BenchLate: frees packets, recording how late each is (TSC now minus its
 * due time) in 10 ns buckets up to 10 ms. */
#define LATE_BUCKETS (1u << 20)
struct late {
	uint64_t *hist;
	uint64_t n;
};
static void late_push(struct el_node *n, int port, struct rt_batch *b)
{
	struct late *s = n->state;
	uint64_t now = rte_rdtsc();
	double ns_per = 1e9 / (double)rte_get_tsc_hz();
	for (uint32_t i = 0; i < b->n; i++) {
		uint64_t ts = rt_anno(b->pkts[i])->timestamp;
		uint64_t ns = now > ts ? (uint64_t)((double)(now - ts) * ns_per) : 0;
		uint64_t k = RT_MIN(ns / 10, (uint64_t)LATE_BUCKETS - 1);
		__atomic_store_n(&s->hist[k], s->hist[k] + 1, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&s->n, s->n + b->n, __ATOMIC_RELAXED);
	rt_batch_free(b);
}
static int late_init(struct el *e, struct rt_err *err)
{
	struct late *s = e->state;
	if (!(s->hist = calloc(LATE_BUCKETS, sizeof(uint64_t))))
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	return 0;
}
static void late_cleanup(struct el *e) { free(EL_STATE(e, struct late)->hist); }
static struct el_class late = {
	.name = "BenchLate", .sig = "BenchLate", .summary = "bench: lateness sink", .ports = "1/0",
	.state_size = sizeof(struct late), .init = late_init, .cleanup = late_cleanup, .push = late_push,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(late)

/* BenchSpin(CYCLES): burns CYCLES per packet, then passes it on. */
struct spin {
	uint64_t cycles;
};
static const struct el_arg spin_args[] = {
	{"CYCLES", EL_T_UINT, offsetof(struct spin, cycles), "1000", EL_ARG_POS, "cycles per packet"},
	EL_ARGS_END,
};
static void spin_push(struct el_node *n, int port, struct rt_batch *b)
{
	uint64_t end = rte_rdtsc() + EL_NSTATE(n, struct spin)->cycles * b->n;
	while (rte_rdtsc() < end)
		rte_pause();
	el_output(n, 0, b);
}
static struct el_class spin = {
	.name = "BenchSpin", .sig = "BenchSpin(CYCLES)", .summary = "bench: CPU hog", .ports = "1/1",
	.state_size = sizeof(struct spin), .args = spin_args, .push = spin_push,
};
EL_REGISTER(spin)

/* BenchHoard(MAX): keeps the first MAX packets it gets until it goes,
 * frees the rest. */
struct hoard {
	uint64_t max;
	struct rte_mbuf **v;
	uint32_t n;
};
static const struct el_arg hoard_args[] = {
	{"MAX", EL_T_UINT, offsetof(struct hoard, max), "1000000", EL_ARG_POS, "packets kept"},
	EL_ARGS_END,
};
static void hoard_push(struct el_node *n, int port, struct rt_batch *b)
{
	struct hoard *s = n->state;
	for (uint32_t i = 0; i < b->n; i++)
		if (s->n < s->max)
			s->v[s->n++] = b->pkts[i];
		else
			rte_pktmbuf_free(b->pkts[i]);
	b->n = 0;
}
static int hoard_init(struct el *e, struct rt_err *err)
{
	struct hoard *s = e->state;
	if (!(s->v = calloc(s->max + 1, sizeof(*s->v))))
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	return 0;
}
static void hoard_cleanup(struct el *e)
{
	struct hoard *s = e->state;
	for (uint32_t i = 0; i < s->n; i++)
		rte_pktmbuf_free(s->v[i]);
	free(s->v);
}
static struct el_class hoard = {
	.name = "BenchHoard", .sig = "BenchHoard(MAX)", .summary = "bench: buffer hog", .ports = "1/0",
	.state_size = sizeof(struct hoard), .args = hoard_args, .init = hoard_init, .cleanup = hoard_cleanup,
	.push = hoard_push,
};
EL_REGISTER(hoard)

/* ---- phases ---------------------------------------------------------------- */

static void die(const char *what, const struct rt_err *err)
{
	fprintf(stderr, "bench_tenants: %s: %s\n", what, err->msg);
	exit(1);
}

struct phase {
	double kpps, p50_us, p99_us;
};

/* B's packets and lateness over `secs`: the difference of two snapshots. */
static struct phase measure(struct rt_router *r, double secs)
{
	struct late *s = rt_router_find(r, "B/late")->state;
	uint64_t *h0 = malloc(sizeof(uint64_t) * LATE_BUCKETS);
	memcpy(h0, s->hist, sizeof(uint64_t) * LATE_BUCKETS);
	uint64_t n0 = __atomic_load_n(&s->n, __ATOMIC_RELAXED), t0 = rt_now_ns();
	usleep((useconds_t)(secs * 1e6));
	uint64_t n1 = __atomic_load_n(&s->n, __ATOMIC_RELAXED), t1 = rt_now_ns();
	uint64_t tot = 0;
	for (uint32_t k = 0; k < LATE_BUCKETS; k++)
		tot += (h0[k] = __atomic_load_n(&s->hist[k], __ATOMIC_RELAXED) - h0[k]);
	struct phase p = {.kpps = (double)(n1 - n0) / ((double)(t1 - t0) / 1e6)};
	uint64_t acc = 0;
	bool got50 = false;
	for (uint32_t k = 0; k < LATE_BUCKETS && tot; k++) {
		acc += h0[k];
		if (!got50 && acc * 2 >= tot) {
			p.p50_us = (double)k * 10 / 1e3;
			got50 = true;
		}
		if (acc * 100 >= tot * 99) {
			p.p99_us = (double)k * 10 / 1e3;
			break;
		}
	}
	free(h0);
	return p;
}

/* Cycles per packet of a flow manager's push for `n` packets of new flows
 * (before the router starts: on this thread, as worker 0), round `rep`. */
static double insert_cycles(struct rt_router *r, const char *name, uint32_t n, int rep)
{
	struct el_node *nd = r->plan->nodes[rt_router_find(r, name)->index];
	double best = 1e18;
	uint32_t base = 0;
	{
		uint64_t cyc = 0;
		for (uint32_t k = 0; k < n; k += RT_BATCH_MAX) {
			struct rt_batch b = {.n = RT_BATCH_MAX};
			if (rte_pktmbuf_alloc_bulk(rt_router_pool(r), b.pkts, b.n) != 0)
				return -1;
			for (uint32_t i = 0; i < b.n; i++) {
				rt_anno_reset(b.pkts[i]);
				uint32_t f = base + (uint32_t)rep * n + k + i;
				udp64(b.pkts[i], 0x0c000000u + (f >> 16), (uint16_t)f);
			}
			uint64_t t0 = rte_rdtsc();
			nd->e->cls->push(nd, 0, &b);
			cyc += rte_rdtsc() - t0;
		}
		best = RT_MIN(best, (double)cyc / n);
	}
	return best;
}

/* Handler value as a number (read as the operator). */
static unsigned long long num(struct rt_router *r, const char *h)
{
	struct rt_err err;
	struct rt_buf b;
	rt_err_clear(&err);
	rt_buf_init(&b);
	unsigned long long v = rt_ctl_read(r, h, &b, &err) == 0 && b.p ? strtoull(b.p, NULL, 10) : 0;
	rt_buf_free(&b);
	return v;
}

/* A's flood counter (read as the operator). */
static const char *flood_count(struct rt_router *r, struct rt_buf *b)
{
	struct rt_err err;
	rt_err_clear(&err);
	rt_buf_reset(b);
	if (rt_ctl_read(r, "A/flood.count", b, &err) < 0 || !b->p)
		return "0";
	return b->p;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	unsigned rate = argc > 2 ? (unsigned)atoi(argv[2]) : 1000000;
	struct rt_err err;
	rt_err_clear(&err);
	if (rt_eal_init(NULL, 1, &err) < 0)
		die("eal", &err);
	struct rt_router_opts o = {.nworkers = 1, .pin = true};
	struct rt_router *r = rt_router_new(&o, &err);
	if (!r || rt_router_load(r, "Idle -> Discard;", "bench", NULL, &err) < 0)
		die("router", &err);
	/* A: 5% of a core (per worker), 4096 buffers; B: defaults */
	char quota[96];
	snprintf(quota, sizeof(quota), "cpu=%llu buffers=4096 flows=20000", (unsigned long long)(rte_get_tsc_hz() / 20));
	char bcfg[200];
	snprintf(bcfg, sizeof(bcfg),
		 "src :: BenchPaced(RATE %u) -> fm :: FlowManager(CAPACITY 4096, RESERVE 16) -> c :: Counter -> "
		 "late :: BenchLate;", rate);
	if (tn_add(r, "A", quota, &err) < 0 || tn_add(r, "B", NULL, &err) < 0 ||
	    tn_load(r, "B", bcfg, true, "<b>", NULL, &err) < 0)
		die("tenants", &err);
	/* the flow quota's cost on inserts: A's manager (charged) and the
	 * operator's (no quota), the same table size and traffic */
	if (rt_ctl_add(r, "Idle -> opfm :: FlowManager(CAPACITY 131072, RESERVE 16) -> Discard;", NULL, &err) < 0 ||
	    tn_load(r, "A", "Idle -> fm :: FlowManager(CAPACITY 131072, RESERVE 16) -> Discard;", true, "<a>", NULL,
		    &err) < 0 || tn_set_quota(r, "A", "flows=200000", &err) < 0)
		die("flow quota bench", &err);
	double ins_op = 1e18, ins_tn = 1e18; /* alternated, the best of 5 each */
	for (int rep = 0; rep < 5; rep++) {
		ins_op = RT_MIN(ins_op, insert_cycles(r, "opfm", 16384, rep));
		ins_tn = RT_MIN(ins_tn, insert_cycles(r, "A/fm", 16384, rep));
	}
	if (tn_set_quota(r, "A", "flows=20000", &err) < 0 || tn_load(r, "A", "Idle -> Discard;", true, "<a>", NULL, &err) < 0 ||
	    rt_router_start(r, &err) < 0)
		die("start", &err);
	usleep(300000); /* warm up */
	struct phase alone = measure(r, secs);
	if (getenv("BENCH_DEBUG")) {
		struct rt_buf t;
		rt_buf_init(&t);
		rt_router_threads(r, &t);
		fprintf(stderr, "alone: %s fails %llu\n", t.p,
			(unsigned long long)((struct paced *)rt_router_find(r, "B/src")->state)->fails);
		rt_buf_free(&t);
	}

	/* A floods: an unbounded source through 500 cycles a packet, a buffer
	 * hog holding 3/4 of its pool (the rest keeps its flood going), and (on the control thread, which the workers do not need) a
	 * Lua script that never ends by itself */
	if (tn_load(r, "A",
		    "InfiniteSource(LIMIT -1, BURST 64) -> flood :: Counter -> BenchSpin(500) -> Discard;\n"
		    "InfiniteSource(LIMIT -1, BURST 64) -> hog :: BenchHoard(3072);\n"
		    "BenchNewFlows -> fill :: FlowManager(CAPACITY 262144, RESERVE 16) -> Discard;",
		    true, "<a>", NULL, &err) < 0)
		die("A's flood", &err);
	usleep(100000);
	struct rt_ident was = rt_ctl_enter(r, (struct rt_ident){tn_id(tn_by_name(r, "A"))});
	struct lmb *m = lmb_new_as(r, rt_ctl_ident(r), &err);
	uint64_t l0 = rt_now_ns();
	struct rt_err lerr;
	rt_err_clear(&lerr);
	int lrc = m ? lmb_dostring(m, "while true do end", "=noisy", NULL, &lerr) : -1;
	double lua_ms = (double)(rt_now_ns() - l0) / 1e6;
	lmb_free(m);
	rt_ctl_leave(r, was);
	struct rt_buf b;
	rt_buf_init(&b);
	uint64_t f0 = strtoull(flood_count(r, &b), NULL, 10);
	struct phase noisy = measure(r, secs);
	uint64_t f1 = strtoull(flood_count(r, &b), NULL, 10);
	double a_kpps = (double)(f1 - f0) / (secs * 1e3);
	rt_buf_reset(&b);
	tn_show(r, "A", &b, &err);
	const char *thr = strstr(b.p ? b.p : "", "cpu_throttled_runs ");
	unsigned long long throttled = thr ? strtoull(thr + 19, NULL, 10) : 0;
	const char *inuse = strstr(b.p ? b.p : "", "buffers_in_use ");
	unsigned long long a_bufs = inuse ? strtoull(inuse + 15, NULL, 10) : 0;

	struct tn_usage *uv;
	unsigned a_flows = 0, b_flows = 0;
	unsigned long long a_refused = 0;
	int nu = tn_usage(r, &uv, &err);
	for (int i = 0; i < nu; i++) {
		if (!strcmp(uv[i].name, "A"))
			a_flows = uv[i].flows, a_refused = uv[i].flow_drops;
		else
			b_flows = uv[i].flows;
	}
	if (nu >= 0)
		free(uv);
	unsigned long long b_flow_drops = num(r, "B/fm.full_drops") + num(r, "B/fm.bypassed");

	/* the same flood with A's CPU quota lifted */
	if (tn_set_quota(r, "A", "cpu=0", &err) < 0)
		die("quota", &err);
	usleep(100000);
	uint64_t u0 = strtoull(flood_count(r, &b), NULL, 10);
	struct phase unlimited = measure(r, secs);
	uint64_t u1 = strtoull(flood_count(r, &b), NULL, 10);

	printf("BENCH tenants quiet_tenant_alone_kpps %.1f kpps\n", alone.kpps);
	printf("BENCH tenants quiet_tenant_noisy_kpps %.1f kpps\n", noisy.kpps);
	printf("BENCH tenants quiet_tenant_kept %.3f ratio\n", noisy.kpps / alone.kpps);
	printf("BENCH tenants quiet_tenant_p50_alone_us %.2f us\n", alone.p50_us);
	printf("BENCH tenants quiet_tenant_p99_alone_us %.2f us\n", alone.p99_us);
	printf("BENCH tenants quiet_tenant_p50_noisy_us %.2f us\n", noisy.p50_us);
	printf("BENCH tenants quiet_tenant_p99_noisy_us %.2f us\n", noisy.p99_us);
	printf("BENCH tenants quiet_tenant_p99_ratio %.2f ratio\n", alone.p99_us > 0 ? noisy.p99_us / alone.p99_us : 0);
	printf("BENCH tenants noisy_tenant_kpps %.1f kpps\n", a_kpps);
	printf("BENCH tenants noisy_tenant_throttled_runs %llu count\n", throttled);
	printf("BENCH tenants noisy_tenant_buffers_held %llu count\n", a_bufs);
	printf("BENCH tenants noisy_tenant_flows %u count\n", a_flows);
	printf("BENCH tenants noisy_tenant_flows_refused %llu count\n", a_refused);
	printf("BENCH tenants quiet_tenant_flows %u count\n", b_flows);
	printf("BENCH tenants quiet_tenant_flow_drops %llu count\n", b_flow_drops);
	printf("BENCH tenants flow_insert_cycles_operator %.1f cycles\n", ins_op);
	printf("BENCH tenants flow_insert_cycles_tenant_quota %.1f cycles\n", ins_tn);
	printf("BENCH tenants noisy_lua_loop_stopped_ms %.1f ms\n", lrc < 0 ? lua_ms : -1.0);
	printf("BENCH tenants unlimited_quiet_tenant_kept %.3f ratio\n", unlimited.kpps / alone.kpps);
	printf("BENCH tenants unlimited_quiet_tenant_p50_us %.2f us\n", unlimited.p50_us);
	printf("BENCH tenants unlimited_quiet_tenant_p99_ratio %.2f ratio\n",
	       alone.p99_us > 0 ? unlimited.p99_us / alone.p99_us : 0);
	printf("BENCH tenants unlimited_noisy_tenant_kpps %.1f kpps\n", (double)(u1 - u0) / (secs * 1e3));
	rt_buf_free(&b);
	rt_router_free(r);
	uv_run(uv_default_loop(), UV_RUN_NOWAIT);
	rt_eal_cleanup();
	return 0;
}
