/*
 * test_core_migrate.c - `migrate NAME core N`: a FlowManager's flows move
 * between workers with their FCBs (FlowCounter's per-flow counts) under
 * traffic from a source on each worker: no packet lost, none reordered
 * within its flow, per-flow state intact; a target table too small refuses
 * and changes nothing; bad input is refused with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "tu.h"
#include "flow/flow.h"
#include "../../shell/repl.h"

#define MAXF 4096

/* Packets in flight (sent, not yet at the checker): the sources stop at
 * WINDOW, so a steering ring never overflows however long a move holds. */
static uint64_t g_in, g_out;
#define WINDOW 2048

/* CoreFlowSource(BASE, FLOWS n): 64-byte UDP packets of flows BASE ..
 * BASE + n - 1 (source address 10.0.B.B'), round robin; the flow id goes
 * in the aggregate annotation and its per-flow sequence number in seq. */
struct cfs {
	uint64_t base, flows, sent, thread;
	int active;
};

static int cfs_init(struct el *e, struct rt_err *err)
{
	(void)err;
	EL_STATE(e, struct cfs)->active = 1;
	e->thread = (int)EL_STATE(e, struct cfs)->thread;  /* its worker: as if RSS sent its flows there */
	return 0;
}

static int cfs_run(struct el_node *n)
{
	struct cfs *s = n->state;
	if (!__atomic_load_n(&s->active, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&g_in, __ATOMIC_ACQUIRE) - __atomic_load_n(&g_out, __ATOMIC_ACQUIRE) >= WINDOW)
		return 0;
	struct rt_batch b;
	b.n = 32;
	if (rte_pktmbuf_alloc_bulk(rt_router_pool(n->e->router), b.pkts, b.n) != 0)
		return 0;
	for (uint32_t i = 0; i < b.n; i++) {
		struct rte_mbuf *m = b.pkts[i];
		uint64_t k = s->sent + i;
		uint32_t f = (uint32_t)(s->base + k % s->flows);
		rt_anno_reset(m);
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		memset(d, 0, 64);
		d[12] = 0x08;
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + 14);
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16(50);
		ip->time_to_live = 64;
		ip->next_proto_id = 17;
		ip->src_addr = rte_cpu_to_be_32(0x0a000000u + f);
		ip->dst_addr = rte_cpu_to_be_32(0xc0a80101u);
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
		u->src_port = rte_cpu_to_be_16(1234);
		u->dst_port = rte_cpu_to_be_16(80);
		u->dgram_len = rte_cpu_to_be_16(30);
		m->data_len = m->pkt_len = 64;
		rt_set_nh(m, 14);
		rt_anno(m)->aggregate = f;
		rt_anno(m)->seq = k / s->flows;
	}
	__atomic_fetch_add(&g_in, b.n, __ATOMIC_RELEASE);
	__atomic_store_n(&s->sent, s->sent + b.n, __ATOMIC_RELEASE);
	el_output(n, 0, &b);
	return (int)b.n;
}

static int cfs_read(struct el *e, intptr_t a, struct rt_buf *out)
{
	(void)a;
	rt_buf_printf(out, "%llu", (unsigned long long)__atomic_load_n(&EL_STATE(e, struct cfs)->sent, __ATOMIC_ACQUIRE));
	return 0;
}

static int cfs_active(struct el *e, intptr_t a, const char *v, struct rt_err *err)
{
	(void)a, (void)err;
	__atomic_store_n(&EL_STATE(e, struct cfs)->active, !strcmp(v, "true"), __ATOMIC_RELEASE);
	return 0;
}

static const struct el_arg cfs_args[] = {
	{"BASE", EL_T_UINT, offsetof(struct cfs, base), "0", EL_ARG_POS, "first flow id"},
	{"FLOWS", EL_T_UINT, offsetof(struct cfs, flows), "1", 0, "flows"},
	{"THREAD", EL_T_UINT, offsetof(struct cfs, thread), "0", 0, "worker"},
	EL_ARGS_END,
};
static const struct el_handler cfs_handlers[] = {
	{"count", cfs_read, NULL, 0, 0, "packets sent"},
	{"active", NULL, cfs_active, 0, 0, "true/false"},
	EL_HANDLERS_END,
};
static struct el_class cfs_class = {
	.name = "CoreFlowSource",
	.summary = "UDP packets of numbered flows with per-flow sequence numbers, for tests",
	.ports = "0/1",
	.state_size = sizeof(struct cfs),
	.args = cfs_args,
	.init = cfs_init,
	.run = cfs_run,
	.handlers = cfs_handlers,
};
EL_REGISTER(cfs_class)

/* CoreSeqCheck: per-flow sequence numbers must come in order. */
struct csc {
	uint64_t next[MAXF], errors, seen, noflow;
};

static void csc_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct csc *s = n->state;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		const struct rt_anno *a = rt_anno(m);
		uint32_t f = a->aggregate % MAXF;
		if (a->seq != __atomic_load_n(&s->next[f], __ATOMIC_ACQUIRE))
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
		if (!a->flow)
			__atomic_fetch_add(&s->noflow, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&s->next[f], a->seq + 1, __ATOMIC_RELEASE);
	}
	__atomic_fetch_add(&s->seen, b->n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&g_out, b->n, __ATOMIC_RELEASE);
	rt_batch_free(b);
}

static int csc_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct csc *s = e->state;
	uint64_t v = what == 0 ? s->errors : what == 1 ? s->seen : s->noflow;
	rt_buf_printf(out, "%llu", (unsigned long long)v);
	return 0;
}

static const struct el_handler csc_handlers[] = {
	{"errors", csc_read, NULL, 0, 0, "packets out of sequence in their flow"},
	{"seen", csc_read, NULL, 1, 0, "packets"},
	{"noflow", csc_read, NULL, 2, 0, "packets without a flow"},
	EL_HANDLERS_END,
};
static struct el_class csc_class = {
	.name = "CoreSeqCheck",
	.summary = "checks per-flow sequence numbers, for tests",
	.ports = "1/0",
	.state_size = sizeof(struct csc),
	.push = csc_push,
	.handlers = csc_handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(csc_class)

static void traffic_settles(struct rt_router *r)
{
	for (int i = 0; i < 5000 && __atomic_load_n(&g_out, __ATOMIC_ACQUIRE) != __atomic_load_n(&g_in, __ATOMIC_ACQUIRE);
	     i++)
		usleep(1000);
	assert_int_equal(__atomic_load_n(&g_out, __ATOMIC_ACQUIRE), __atomic_load_n(&g_in, __ATOMIC_ACQUIRE));
	(void)r;
}

static void wait_out(uint64_t more)
{
	uint64_t o = __atomic_load_n(&g_out, __ATOMIC_ACQUIRE);
	for (int i = 0; i < 2000 && __atomic_load_n(&g_out, __ATOMIC_ACQUIRE) < o + more; i++)
		usleep(100);
}

static struct flow_mgr *mgr(struct rt_router *r)
{
	return EL_STATE(rt_router_find(r, "fm"), struct flow_mgr);
}

#define CFG(cap, nf)                                                                                         \
	"s0 :: CoreFlowSource(0, FLOWS " #nf ") -> fm :: FlowManager(CAPACITY " #cap ", TIMEOUT_UDP 600s, STEER_RING 8192)" \
	" -> fc :: FlowCounter -> d :: TestDelay(20000) -> chk :: CoreSeqCheck;\n"                           \
	"s1 :: CoreFlowSource(1000, FLOWS " #nf ", THREAD 1) -> fm;\n"

/* Every flow's FlowCounter count equals what its source sent of it. */
static void check_flow_counts(struct rt_router *r, uint64_t nf)
{
	/* stop the workers first: a source that passed its `active` test
	 * before it was cleared may still be building a batch (not yet in
	 * g_in, so traffic_settles did not wait for it) */
	rt_router_stop(r);
	rt_router_join(r);
	uint64_t sent[2] = {(uint64_t)tu_read_int(r, "s0.count"), (uint64_t)tu_read_int(r, "s1.count")};
	char *list = strdup(tu_read(r, "fc.flows"));
	int lines = 0;
	for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned a, b, c, d, sp;
		unsigned long long pk, by;
		assert_int_equal(sscanf(line, "UDP %u.%u.%u.%u:%u %*s %llu %llu", &a, &b, &c, &d, &sp, &pk, &by), 7);
		uint32_t f = (c << 8) | d;
		int src = f >= 1000;
		uint64_t i = f - (src ? 1000 : 0);
		assert_true(i < nf);
		uint64_t want = sent[src] / nf + (i < sent[src] % nf);
		if (pk != want)
			fail_msg("flow %u: FlowCounter counted %llu packets, its source sent %llu", f, pk,
				 (unsigned long long)want);
		lines++;
	}
	free(list);
	assert_int_equal(lines, 2 * nf);
}

/* Flows move to worker 1 and back 40 times under traffic. */
static void test_core_migrate_no_loss_no_reorder(void **st)
{
	(void)st;
	g_in = g_out = 0;
	struct rt_router *r = tu_router_j(CFG(4096, 100), 2, NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_router_start(r, &err), 0);
	for (int i = 0; i < 5000 && tu_read_int(r, "fm.flows") < 200; i++)
		usleep(1000);
	assert_int_equal(tu_read_int(r, "fm.flows"), 200);
	struct flow_mgr *m = mgr(r);
	/* each source's flows are on its own worker */
	assert_int_equal(m->tab[0]->count, 100);
	assert_int_equal(m->tab[1]->count, 100);
	int moves = 40;
	for (int i = 0; i < moves; i++) {
		const char *to = i % 2 ? "core 0" : "core 1";
		if (rt_ctl_migrate(r, i % 3 ? "fm" : "fc", to, NULL, &err) < 0)
			fail_msg("move %d: %s", i, err.msg);
		wait_out(3000);
	}
	assert_true(tu_read_int(r, "fm.steered") > 0);
	assert_int_equal(tu_write(r, "s0.active", "false", NULL), 0);
	assert_int_equal(tu_write(r, "s1.active", "false", NULL), 0);
	traffic_settles(r);
	assert_int_equal(tu_read_int(r, "chk.errors"), 0);
	assert_int_equal(tu_read_int(r, "chk.noflow"), 0);
	assert_int_equal(tu_read_int(r, "fm.steer_drops"), 0);
	assert_int_equal(tu_read_int(r, "chk.seen"), tu_read_int(r, "s0.count") + tu_read_int(r, "s1.count"));
	assert_int_equal(tu_read_int(r, "fm.core_moves"), moves);
	/* the first move takes worker 0's 100 flows; every later one all 200 */
	assert_int_equal(tu_read_int(r, "fm.core_moved_flows"), 100 + 200 * (moves - 1));
	assert_int_equal(tu_read_int(r, "fm.inserted"), 200); /* no flow began again: their state moved */
	/* the last move was to worker 0: all flows are there */
	assert_int_equal(m->tab[0]->count, 200);
	assert_int_equal(m->tab[1]->count, 0);
	assert_int_equal(m->steer->dups + m->steer->lost, 0);
	check_flow_counts(r, 100);
	tu_router_free(r);
}

/* The target table cannot take the other workers' flows: refused, nothing
 * moves, traffic goes on where it was. */
static void test_core_migrate_table_full(void **st)
{
	(void)st;
	g_in = g_out = 0;
	struct rt_router *r = tu_router_j(CFG(100, 60), 2, NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_router_start(r, &err), 0);
	for (int i = 0; i < 5000 && tu_read_int(r, "fm.flows") < 120; i++)
		usleep(1000);
	assert_int_equal(tu_read_int(r, "fm.flows"), 120);
	assert_int_equal(rt_ctl_migrate(r, "fm", "core 1", NULL, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "worker 1's table has room for 40 more flows, the other workers hold 60"));
	assert_non_null(strstr(err.msg, "nothing moved"));
	struct flow_mgr *m = mgr(r);
	assert_int_equal(m->steer->nowned, 0);
	wait_out(5000);
	assert_int_equal(tu_read_int(r, "fm.steered"), 0);
	assert_int_equal(tu_read_int(r, "fm.core_moves"), 0);
	assert_int_equal(m->tab[0]->count, 60);
	assert_int_equal(m->tab[1]->count, 60);
	assert_int_equal(tu_write(r, "s0.active", "false", NULL), 0);
	assert_int_equal(tu_write(r, "s1.active", "false", NULL), 0);
	traffic_settles(r);
	assert_int_equal(tu_read_int(r, "chk.errors"), 0);
	assert_int_equal(tu_read_int(r, "fm.full_drops"), 0);
	check_flow_counts(r, 60);
	tu_router_free(r);
}

static void test_core_migrate_bad_input(void **st)
{
	(void)st;
	struct rt_router *r = tu_router_j("s :: CoreFlowSource(0, FLOWS 4) -> fm :: FlowManager -> fc :: FlowCounter"
					  " -> c :: Counter -> chk :: CoreSeqCheck;",
					  2, NULL);
	struct rt_err err;
	rt_err_clear(&err);
#define CLR rt_err_clear(&err)
	assert_int_equal(rt_ctl_migrate(r, "fm", "core 2", NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "migrate fm core 2: the router has 2 workers (0 to 1)");
	CLR;
	assert_int_equal(rt_ctl_migrate(r, "fm", "core x", NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "migrate fm core x: expected 'core N' (N a worker, 0 to 1)");
	CLR;
	assert_int_equal(rt_ctl_migrate(r, "fm", "core 1 2", NULL, &err), -EINVAL);
	CLR;
	assert_int_equal(rt_ctl_migrate(r, "c", "core 1", NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "migrate c core 1: c (Counter) is not a flow manager nor behind one: only flows "
				     "move between workers");
	CLR;
	assert_int_equal(rt_ctl_migrate(r, "nope", "core 1", NULL, &err), -ENOENT);
	assert_int_equal(mgr(r)->steer->nowned, 0);
	/* not running: the move happens at once (no traffic to hold) */
	CLR;
	assert_int_equal(rt_ctl_migrate(r, "fc", "core 1", NULL, &err), 0);
	assert_int_equal(mgr(r)->steer->nowned, FLOW_STEER_NB);
	assert_int_equal(mgr(r)->steer->owner[7], 1);
	assert_int_equal(tu_read_int(r, "fm.core_moves"), 1);
	tu_router_free(r);
}

/* The shell goes through the same control call. */
static void test_core_migrate_shell(void **st)
{
	(void)st;
	struct rt_router *r = tu_router_j("s :: CoreFlowSource(0, FLOWS 4) -> fm :: FlowManager -> fc :: FlowCounter"
					  " -> c :: Counter -> chk :: CoreSeqCheck;",
					  2, NULL);
	struct sh *s = sh_new(r);
	struct rt_buf out;
	rt_buf_init(&out);
	assert_int_equal(sh_exec(s, "migrate fm core 1", &out), 0);
	assert_non_null(strstr(out.p, "fm: now on core 1"));
	rt_buf_free(&out);
	rt_buf_init(&out);
	assert_true(sh_exec(s, "migrate c core 1", &out) != 0);
	assert_non_null(strstr(out.p, "c (Counter) is not a flow manager nor behind one"));
	rt_buf_free(&out);
	assert_int_equal(mgr(r)->steer->owner[0], 1);
	assert_int_equal(tu_read_int(r, "fm.core_moves"), 1);
	sh_free(s);
	tu_router_free(r);
}

/* flow_table_move: the FCB (slots, timeout list, quota) moves; no room
 * leaves it where it was; a closing (RST) flow leaves src's RST queue. */
static void test_flow_table_move(void **st)
{
	(void)st;
	struct flow_timeouts to = {{100, 100, 100, 100, 100}};
	struct flow_table *a = flow_table_new(16, 32, &to, SOCKET_ID_ANY), *b = flow_table_new(4, 32, &to, SOCKET_ID_ANY);
	struct flow_quota qa = {.max_flows = UINT32_MAX, .max_held = UINT32_MAX}, qb = qa;
	a->quota = &qa;
	b->quota = &qb;
	struct flow_key k[6];
	uint32_t h[6];
	struct flow_fcb *f[6];
	bool is_new[6];
	memset(k, 0, sizeof(k));
	for (int i = 0; i < 6; i++) {
		k[i].a = (uint32_t)i + 1;
		k[i].proto = 17;
		h[i] = flow_hash(&k[i]);
	}
	flow_table_lookup_bulk(a, k, h, 6, 1, f, is_new, NULL, NULL);
	for (int i = 0; i < 6; i++) {
		assert_true(is_new[i]);
		flow_table_touch(a, f[i], FLOW_TO_UDP, 1);
		memset((uint8_t *)f[i] + FLOW_FCB_HDR, 0x40 + i, 32);
	}
	flow_table_close(a, f[5]);
	assert_int_equal(a->nclosing, 1);
	assert_int_equal(qa.flows, 6);
	for (int i = 0; i < 4; i++)
		assert_int_equal(flow_table_move(b, a, f[i], 0), 0);
	assert_int_equal(flow_table_move(b, a, f[4], 0), -ENOSPC); /* b holds 4 */
	assert_int_equal(a->count, 2);
	assert_int_equal(b->count, 4);
	assert_true(f[4]->live);
	assert_int_equal(flow_quota_flows(&qa), 2);
	assert_int_equal(flow_quota_flows(&qb), 4);
	/* b finds them, not new, their slots intact, in b's UDP list */
	struct flow_fcb *g[4];
	flow_table_lookup_bulk(b, k, h, 4, 2, g, is_new, NULL, NULL);
	for (int i = 0; i < 4; i++) {
		assert_false(is_new[i]);
		assert_int_equal(((uint8_t *)g[i] + FLOW_FCB_HDR)[31], 0x40 + i);
	}
	assert_int_not_equal(b->lists[FLOW_TO_UDP].head, FLOW_NIL);
	assert_int_equal(flow_table_expire(b, 1000, 16, NULL, NULL), 4); /* idle past 100 ns: all end in b */
	/* the RST flow moves out of a's RST queue */
	struct flow_table *c = flow_table_new(16, 32, &to, SOCKET_ID_ANY);
	assert_int_equal(flow_table_move(c, a, f[5], 0), 0);
	assert_int_equal(a->nclosing, 0);
	/* the same key in both: both kept */
	flow_table_lookup_bulk(c, &k[4], &h[4], 1, 1, g, is_new, NULL, NULL);
	assert_int_equal(flow_table_move(c, a, f[4], 0), 1);
	assert_int_equal(c->count, 3);
	assert_int_equal(a->count, 0);
	flow_table_free(a, NULL, NULL);
	flow_table_free(b, NULL, NULL);
	flow_table_free(c, NULL, NULL);
}

int main(void)
{
	tu_eal();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_table_move),
		cmocka_unit_test(test_core_migrate_bad_input),
		cmocka_unit_test(test_core_migrate_shell),
		cmocka_unit_test(test_core_migrate_table_full),
		cmocka_unit_test(test_core_migrate_no_loss_no_reorder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
