/*
 * bench_classify.c - the big classifier (classify/cls_tm.c) against DPDK's
 * rte_acl on the same ClassBench-like rules and the same trace, in the same
 * run: lookups per second, build time, memory and single-rule update time,
 * for the acl, fw and ipc shapes at 1K, 10K and 100K rules.  Every lookup
 * result of both is checked against the other (mismatches are printed and
 * fail the run).  Prints `BENCH classify <name> <value> <unit>`.
 *
 * Then a chain of 4 classifiers merged into one against the 4 in sequence:
 * the rule sets alone (rules_merged_vs_unmerged_4), and four ACLClassifier
 * middleboxes in a graph run through the runtime's compiled plan, merged by
 * the graph compiler or not (merged_vs_unmerged_4).
 *
 * Usage: bench_classify [--quick] [--sizes 1000,10000,100000] [--shapes acl,fw,ipc] [--merge-rules N]
 *                       [--gen SHAPE N FILE]   (write a rule file and exit)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_eal.h>

#include <unistd.h>

#include "router_int.h"
#include "cls_acl.h"
#include "cls_chain.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* rte_acl's input: fields in network order, grouped in 4-byte words. */
struct acl_in {
	uint8_t proto, pad[3];
	uint16_t flags, zero; /* a 2-byte field needs a partner in its word */
	uint32_t src, dst;
	uint16_t sport, dport;
};

static const struct rte_acl_field_def acl_fields[7] = {
	{.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1, .field_index = 0, .input_index = 0, .offset = 0},
	{.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 2, .field_index = 1, .input_index = 1, .offset = 4},
	{.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 2, .field_index = 2, .input_index = 1, .offset = 6},
	{.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4, .field_index = 3, .input_index = 2, .offset = 8},
	{.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4, .field_index = 4, .input_index = 3, .offset = 12},
	{.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = 5, .input_index = 4, .offset = 16},
	{.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = 6, .input_index = 4, .offset = 18},
};
#define NFIELDS 7
RTE_ACL_RULE_DEF(acl_rule, NFIELDS);

static struct rte_acl_ctx *acl_build(const struct cls_rule *rules, uint32_t n, double *secs)
{
	static int seq;
	char name[32];
	snprintf(name, sizeof(name), "bcls%d", seq++);
	struct rte_acl_param p = {.name = name, .socket_id = SOCKET_ID_ANY, .rule_size = RTE_ACL_RULE_SZ(NFIELDS),
				  .max_rule_num = n};
	double t0 = now_s();
	struct rte_acl_ctx *ctx = rte_acl_create(&p);
	if (!ctx)
		return NULL;
	struct acl_rule *ar = calloc(n, sizeof(*ar));
	for (uint32_t i = 0; i < n; i++) {
		const struct cls_rule *r = &rules[i];
		struct acl_rule *a = &ar[i];
		a->data.category_mask = 1;
		a->data.priority = (int32_t)(n - r->prio); /* prio = index here: distinct, > 0 */
		a->data.userdata = i + 1;
		a->field[0].value.u8 = r->proto, a->field[0].mask_range.u8 = r->proto_mask;
		a->field[1].value.u16 = r->flags, a->field[1].mask_range.u16 = r->flags_mask;
		a->field[3].value.u32 = r->src, a->field[3].mask_range.u32 = r->slen;
		a->field[4].value.u32 = r->dst, a->field[4].mask_range.u32 = r->dlen;
		a->field[5].value.u16 = r->sport_lo, a->field[5].mask_range.u16 = r->sport_hi;
		a->field[6].value.u16 = r->dport_lo, a->field[6].mask_range.u16 = r->dport_hi;
	}
	int rc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)ar, n);
	free(ar);
	struct rte_acl_config cfg = {.num_categories = 1, .num_fields = NFIELDS};
	memcpy(cfg.defs, acl_fields, sizeof(acl_fields));
	if (rc == 0)
		rc = rte_acl_build(ctx, &cfg);
	if (rc != 0) {
		fprintf(stderr, "rte_acl: build of %u rules failed: %d\n", n, rc);
		rte_acl_free(ctx);
		return NULL;
	}
	*secs = now_s() - t0;
	return ctx;
}

struct run {
	double mpps, build_s, mem_mb;
};

/* Repeat the trace until at least `min_s` seconds have passed; Mpps. */
static double time_ours(const struct cls_acl *a, const struct cls_key *keys, uint32_t nk, double min_s, uint32_t *ids)
{
	uint64_t done = 0;
	double t0 = now_s(), t;
	do {
		for (uint32_t o = 0; o < nk; o += 64)
			cls_acl_lookup(a, keys + o, 64, ids + o, NULL);
		done += nk;
	} while ((t = now_s() - t0) < min_s);
	return (double)done / t / 1e6;
}

static double time_acl(const struct rte_acl_ctx *ctx, const struct acl_in *in, uint32_t nk, double min_s, uint32_t *res)
{
	const uint8_t *ptr[64];
	uint64_t done = 0;
	double t0 = now_s(), t;
	do {
		for (uint32_t o = 0; o < nk; o += 64) {
			for (uint32_t i = 0; i < 64; i++)
				ptr[i] = (const uint8_t *)&in[o + i];
			rte_acl_classify(ctx, ptr, res + o, 64, 1);
		}
		done += nk;
	} while ((t = now_s() - t0) < min_s);
	return (double)done / t / 1e6;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static const char *kname(uint32_t n)
{
	static char b[16];
	if (n % 1000 == 0)
		snprintf(b, sizeof(b), "%uk", n / 1000);
	else
		snprintf(b, sizeof(b), "%u", n);
	return b;
}

static int failures;
#define ROUNDS 5

static void bench_one(enum cls_shape sh, uint32_t n, double min_s, bool updates)
{
	const char *shn = cls_shape_name(sh);
	char tag[32];
	snprintf(tag, sizeof(tag), "%s_%s", shn, kname(n));
	struct cls_ruleset s;
	cls_ruleset_init(&s);
	cls_gen_rules(sh, n, 16, 1, &s);
	uint32_t nk = 1u << 16;
	struct cls_key *keys = malloc(sizeof(*keys) * nk);
	cls_gen_trace(s.r, s.n, nk, 5, 2, keys);
	struct rt_err err;
	rt_err_clear(&err);

	struct cls_acl *a = NULL;
	double t0 = now_s();
	if (cls_acl_build(s.r, s.n, NULL, &a, &err) < 0) {
		fprintf(stderr, "%s: %s\n", tag, err.msg);
		exit(1);
	}
	double build = now_s() - t0;
	struct cls_acl_stats st;
	cls_acl_stats(a, &st);
	uint32_t *ids = malloc(sizeof(*ids) * nk), *res = malloc(sizeof(*res) * nk);
	double mpps = 0;
	for (int k = 0; k < ROUNDS; k++) {
		double m = time_ours(a, keys, nk, min_s / ROUNDS, ids);
		mpps = RT_MAX(mpps, m);
	}
	printf("BENCH classify %s_build_s %.4f s\n", tag, build);
	printf("BENCH classify %s_mem_mb %.2f MB\n", tag, (double)st.mem_bytes / 1e6);
	printf("BENCH classify %s_tables %u tables\n", tag, st.tables);
	printf("BENCH classify %s_max_bucket %u rules\n", tag, st.max_bucket);

	struct acl_in *in = calloc(nk, sizeof(*in));
	for (uint32_t i = 0; i < nk; i++) {
		in[i].proto = keys[i].proto;
		in[i].src = rte_cpu_to_be_32(keys[i].src);
		in[i].dst = rte_cpu_to_be_32(keys[i].dst);
		in[i].sport = rte_cpu_to_be_16(keys[i].sport);
		in[i].dport = rte_cpu_to_be_16(keys[i].dport);
		in[i].flags = rte_cpu_to_be_16(keys[i].flags);
	}
	double abuild = 0;
	struct rte_acl_ctx *ctx = acl_build(s.r, s.n, &abuild);
	if (ctx) {
		/* alternate rounds of both and keep the best of each: this machine
		 * is shared, and a neighbour's burst should not pick the winner */
		double ampps = 0;
		for (int k = 0; k < ROUNDS; k++) {
			double m = time_acl(ctx, in, nk, min_s / ROUNDS, res);
			ampps = RT_MAX(ampps, m);
			m = time_ours(a, keys, nk, min_s / ROUNDS, ids);
			mpps = RT_MAX(mpps, m);
		}
		uint32_t bad = 0;
		for (uint32_t i = 0; i < nk; i++)
			if ((res[i] ? res[i] - 1 : CLS_NOMATCH) != ids[i] && bad++ < 3)
				fprintf(stderr, "%s: key %u: rte_acl rule %d, ours %d, linear %d\n", tag, i, (int)res[i] - 1,
					(int)ids[i], (int)cls_linear_lookup(s.r, s.n, &keys[i]));
		if (bad) {
			fprintf(stderr, "%s: %u of %u results differ from rte_acl\n", tag, bad, nk);
			failures++;
		}
		printf("BENCH classify %s_mpps %.2f Mpps\n", tag, mpps);
		printf("BENCH classify %s_rte_acl_mpps %.2f Mpps\n", tag, ampps);
		printf("BENCH classify %s_rte_acl_build_s %.4f s\n", tag, abuild);
		printf("BENCH classify %s_vs_rte_acl %.2f ratio\n", tag, mpps / ampps);
		rte_acl_free(ctx);
	} else {
		printf("BENCH classify %s_mpps %.2f Mpps\n", tag, mpps);
		printf("BENCH classify %s_rte_acl_mpps 0 Mpps\n", tag);
	}

	if (updates) {
		/* single-rule updates: add rules of the same shape, then remove them */
		struct cls_ruleset more;
		cls_ruleset_init(&more);
		cls_gen_rules(sh, 2000, 16, 77, &more);
		for (uint32_t i = 0; i < more.n; i++)
			more.r[i].prio = (uint32_t)(((uint64_t)i * 7919) % (n + 2000)); /* anywhere in the order */
		uint32_t first = cls_acl_id_limit(a), nops = 0;
		double *d = malloc(sizeof(*d) * 2 * more.n), tot = 0;
		for (uint32_t i = 0; i < more.n; i++) {
			double u0 = now_s();
			cls_acl_add(a, &more.r[i], NULL, &err);
			d[nops++] = now_s() - u0;
		}
		for (uint32_t i = 0; i < more.n; i++) {
			double u0 = now_s();
			cls_acl_remove(a, first + i, &err);
			d[nops++] = now_s() - u0;
		}
		qsort(d, nops, sizeof(*d), cmp_double);
		for (uint32_t i = 0; i < nops; i++)
			tot += d[i];
		/* the mean, and the 99th percentile and maximum (a preemption on
		 * this shared machine shows in the maximum alone) */
		double mean = tot / nops * 1e3, p99 = d[nops * 99 / 100] * 1e3, worst = d[nops - 1] * 1e3;
		printf("BENCH classify %s_update_ms %.4f ms\n", tag, mean);
		printf("BENCH classify %s_update_p99_ms %.4f ms\n", tag, p99);
		printf("BENCH classify %s_update_max_ms %.4f ms\n", tag, worst);
		if (sh == CLS_SHAPE_ACL && n == 10000) {
			printf("BENCH classify update_ms %.4f ms\n", mean);
			printf("BENCH classify update_p99_ms %.4f ms\n", p99);
			printf("BENCH classify update_max_ms %.4f ms\n", worst);
		}
		free(d);
		cls_ruleset_free(&more);
	}
	cls_acl_free(a);
	free(in);
	free(ids);
	free(res);
	free(keys);
	cls_ruleset_free(&s);
}

/* A chain of 4 classifying middleboxes (acl, fw, ipc, acl rules; class 0
 * passes to the next, class 1, every `exit_every`th rule's, leaves; what
 * no rule matches passes): each packet
 * classified by every stage it reaches, as the graph would, against one
 * lookup in the merged rule set.  Paths are checked to agree. */
static void bench_merge(uint32_t per_stage, unsigned exit_every, const char *tag, double min_s)
{
	static const enum cls_shape shapes4[4] = {CLS_SHAPE_ACL, CLS_SHAPE_FW, CLS_SHAPE_IPC, CLS_SHAPE_ACL};
	struct cls_ruleset rs[4];
	struct cls_stage stg[4];
	struct cls_acl *acl[4];
	struct rt_err err;
	rt_err_clear(&err);
	uint32_t nk = 1u << 16;
	struct cls_key *keys = malloc(sizeof(*keys) * nk);
	for (int s = 0; s < 4; s++) {
		cls_ruleset_init(&rs[s]);
		cls_gen_rules(shapes4[s], per_stage, 1, 100 + (uint64_t)s, &rs[s]);
		for (uint32_t i = 0; i < rs[s].n; i++)
			rs[s].r[i].cls = i % exit_every == exit_every - 1; /* class 1 leaves the chain */
		struct cls_rule dflt = {.sport_hi = 65535, .dport_hi = 65535, .prio = per_stage, .cls = 0};
		cls_ruleset_push(&rs[s], &dflt);
		stg[s] = (struct cls_stage){rs[s].r, rs[s].n, 0};
		cls_gen_trace(rs[s].r, rs[s].n, nk / 4, 5, 7 + (uint64_t)s, keys + s * (nk / 4));
		if (cls_acl_build(rs[s].r, rs[s].n, NULL, &acl[s], &err) < 0)
			exit(1);
	}
	struct cls_ruleset m;
	cls_ruleset_init(&m);
	double t0 = now_s();
	if (cls_merge_chain(stg, 4, 20u << 20, &m, &err) < 0) {
		fprintf(stderr, "merge: %s\n", err.msg);
		failures++;
		return;
	}
	struct cls_acl *ma = NULL;
	if (cls_acl_build(m.r, m.n, NULL, &ma, &err) < 0)
		exit(1);
	double mbuild = now_s() - t0;
	uint32_t *ids = malloc(sizeof(*ids) * nk), *mcls = malloc(sizeof(*mcls) * nk), *ucls = malloc(sizeof(*ucls) * nk);
	double best_m = 0, best_u = 0;
	for (int k = 0; k < ROUNDS; k++) {
		uint64_t done = 0;
		double t1 = now_s(), t;
		do {
			for (uint32_t o = 0; o < nk; o += 64)
				cls_acl_lookup(ma, keys + o, 64, ids + o, mcls + o);
			done += nk;
		} while ((t = now_s() - t1) < min_s / ROUNDS);
		double mp = (double)done / t / 1e6;
		best_m = RT_MAX(best_m, mp);
		done = 0;
		t1 = now_s();
		do {
			for (uint32_t o = 0; o < nk; o += 64) {
				/* stage by stage on the packets still in the chain */
				struct cls_key sub[64];
				uint32_t idx[64], c[64], id[64], cnt = 64;
				for (uint32_t i = 0; i < 64; i++)
					idx[i] = o + i, sub[i] = keys[o + i];
				for (int s = 0; s < 4 && cnt; s++) {
					cls_acl_lookup(acl[s], sub, cnt, id, c);
					uint32_t k2 = 0;
					for (uint32_t i = 0; i < cnt; i++) {
						if (s < 3 && c[i] == 0) {
							sub[k2] = sub[i];
							idx[k2++] = idx[i];
						} else {
							ucls[idx[i]] = CLS_PATH(s, c[i]);
						}
					}
					cnt = k2;
				}
			}
			done += nk;
		} while ((t = now_s() - t1) < min_s / ROUNDS);
		double up = (double)done / t / 1e6;
		best_u = RT_MAX(best_u, up);
	}
	uint32_t bad = 0;
	for (uint32_t i = 0; i < nk; i++)
		bad += mcls[i] != ucls[i];
	if (bad) {
		fprintf(stderr, "merge: %u of %u paths differ\n", bad, nk);
		failures++;
	}
	printf("BENCH classify %s_rules_per_stage %u rules\n", tag, per_stage + 1);
	printf("BENCH classify %s_merged_rules %u rules\n", tag, m.n);
	struct cls_acl_stats mst, ust;
	cls_acl_stats(ma, &mst);
	uint32_t utables = 0;
	for (int s = 0; s < 4; s++) {
		cls_acl_stats(acl[s], &ust);
		utables += ust.tables;
	}
	printf("BENCH classify %s_merged_tables %u tables\n", tag, mst.tables);
	printf("BENCH classify %s_unmerged_tables %u tables\n", tag, utables);
	printf("BENCH classify %s_merge_build_s %.4f s\n", tag, mbuild);
	printf("BENCH classify %s_merged_mpps %.2f Mpps\n", tag, best_m);
	printf("BENCH classify %s_unmerged_mpps %.2f Mpps\n", tag, best_u);
	printf("BENCH classify %s_merged_vs_unmerged %.2f ratio\n", tag, best_m / best_u);
	if (!strcmp(tag, "chain4"))
		printf("BENCH classify rules_merged_vs_unmerged_4 %.2f ratio\n", best_m / best_u);
	cls_acl_free(ma);
	cls_ruleset_free(&m);
	for (int s = 0; s < 4; s++) {
		cls_acl_free(acl[s]);
		cls_ruleset_free(&rs[s]);
	}
	free(keys);
	free(ids);
	free(mcls);
	free(ucls);
}

/* ---- the graph-level figure ------------------------------------------------------ */

/* An IPv4 packet (IP header first) for key k. */
static struct rte_mbuf *key_mbuf(struct rt_router *r, const struct cls_key *k)
{
	uint8_t b[64] = {0};
	b[0] = 0x45;
	b[2] = 0, b[3] = 40;
	b[8] = 64;
	b[9] = k->proto;
	uint32_t s = rte_cpu_to_be_32(k->src), d = rte_cpu_to_be_32(k->dst);
	memcpy(b + 12, &s, 4);
	memcpy(b + 16, &d, 4);
	b[20] = (uint8_t)(k->sport >> 8), b[21] = (uint8_t)k->sport;
	b[22] = (uint8_t)(k->dport >> 8), b[23] = (uint8_t)k->dport;
	b[33] = (uint8_t)(k->flags >> 8);
	b[32] = 0x50;
	return rt_pkt_make(r, b, 40);
}

/* A graph of 4 ACLClassifier middleboxes in a chain (the rules and trace of
 * bench_merge), with ClassifierMerge(ENABLE), driven through the compiled
 * plan on this thread as worker 0: batches of 64 pushed into the Null in
 * front of the chain, every hop, element and counter as the workers run
 * them.  Packets are reused (a reference taken before each push, so the
 * Discards at the ends only drop it): no allocation or copy in the loop. */
struct chain_run {
	struct rt_router *r;
	struct el_node *in;
	struct rte_mbuf **pkts;
	uint32_t n;
};

static const char *const acl4_graph =
	"ClassifierMerge(%s);\n"
	"a0 :: ACLClassifier(FILE %s); a1 :: ACLClassifier(FILE %s); a2 :: ACLClassifier(FILE %s);\n"
	"a3 :: ACLClassifier(FILE %s); n :: Null; Idle -> n -> a0;\n"
	"a0[0] -> a1; a1[0] -> a2; a2[0] -> a3; a3[0] -> Discard;\n"
	"a0[1] -> Discard; a1[1] -> Discard; a2[1] -> Discard; a3[1] -> Discard;\n";

/* The same shape with IP filters (tcpdump-like expressions): what most
 * packets do is pass on, as in the ACL chain. */
static const char *const ipf4_graph =
	"ClassifierMerge(%s, PROGRAMS true);\n"
	"a0 :: IPFilter(1 src net 10.1.0.0/16 and tcp dst port 22, 1 icmp, allow all);\n"
	"a1 :: IPClassifier(dst net 192.168.1.0/24 and udp, -); a2 :: IPFilter(1 tcp opt syn and not tcp opt ack, 0 all);\n"
	"a3 :: IPClassifier(src port < 1024 or dst port < 1024, -); n :: Null; Idle -> n -> a0;\n"
	"a0[0] -> a1; a1[1] -> a2; a2[0] -> a3; a3[0] -> Discard;\n"
	"a0[1] -> Discard; a1[0] -> Discard; a2[1] -> Discard; a3[1] -> Discard;\n";

/* Mixed: filters in front of, and between, two ACLClassifiers. */
static const char *const mixed4_graph =
	"ClassifierMerge(%s);\n"
	"a0 :: IPFilter(1 src net 10.1.0.0/16 and tcp dst port 22, 1 icmp, allow all);\n"
	"a1 :: ACLClassifier(FILE %s); a2 :: IPFilter(1 tcp opt syn and not tcp opt ack, 0 all);\n"
	"a3 :: ACLClassifier(FILE %s%.0s%.0s); n :: Null; Idle -> n -> a0;\n"
	"a0[0] -> a1; a1[0] -> a2; a2[0] -> a3; a3[0] -> Discard;\n"
	"a0[1] -> Discard; a1[1] -> Discard; a2[1] -> Discard; a3[1] -> Discard;\n";

static int chain_open(struct chain_run *c, const char *fmt, const char *files[4], bool merge, const struct cls_key *keys,
		      uint32_t nk)
{
	char cfg[2048];
	snprintf(cfg, sizeof(cfg), fmt, merge ? "true" : "false", files[0], files[1], files[2], files[3]);
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_router_opts o = {.nworkers = 1, .pool_size = nk + 1024};
	if (!(c->r = rt_router_new(&o, &err)) || rt_router_load(c->r, cfg, "chain4.click", NULL, &err) < 0) {
		fprintf(stderr, "chain4 graph: %s\n", err.msg);
		return -1;
	}
	c->in = c->r->plan->nodes[rt_router_find(c->r, "n")->index];
	c->pkts = malloc(sizeof(*c->pkts) * nk);
	c->n = nk;
	for (uint32_t i = 0; i < nk; i++)
		if (!(c->pkts[i] = key_mbuf(c->r, &keys[i]))) {
			fprintf(stderr, "chain4 graph: pool empty\n");
			return -1;
		}
	return 0;
}

static void chain_pass(struct chain_run *c)
{
	rt_wid = 0;
	struct el_node *in = c->in;
	for (uint32_t o = 0; o < c->n; o += 64) {
		struct rt_batch b;
		b.n = RT_MIN(64u, c->n - o);
		memcpy(b.pkts, c->pkts + o, sizeof(b.pkts[0]) * b.n);
		for (uint32_t i = 0; i < b.n; i++)
			rte_mbuf_refcnt_update(b.pkts[i], 1);
		in->e->cls->push(in, 0, &b);
	}
}

static void chain_close(struct chain_run *c)
{
	if (c->pkts)
		rte_pktmbuf_free_bulk(c->pkts, c->n);
	free(c->pkts);
	rt_router_free(c->r);
}

static void counts_of(struct rt_router *r, struct rt_buf *out)
{
	static const char *const names[] = {"a0", "a1", "a2", "a3"};
	for (int i = 0; i < 4; i++) {
		struct rt_err err;
		rt_err_clear(&err);
		rt_buf_printf(out, "%s: ", names[i]);
		struct el *e = rt_router_find(r, names[i]);
		el_handler_read(e, el_handler_find(e, "counts") ? "counts" : "drops", out, &err);
		if (el_handler_find(e, "nomatch"))
			el_handler_read(e, "nomatch", out, &err);
		rt_buf_puts(out, "\n");
	}
}

static void bench_graph(const char *fmt, uint32_t per_stage, unsigned exit_every, const char *tag, double min_s)
{
	static const enum cls_shape shapes4[4] = {CLS_SHAPE_ACL, CLS_SHAPE_FW, CLS_SHAPE_IPC, CLS_SHAPE_ACL};
	char names[4][64];
	const char *files[4];
	uint32_t nk = 1u << 16;
	struct cls_key *keys = malloc(sizeof(*keys) * nk);
	for (int s = 0; s < 4; s++) {
		struct cls_ruleset rs;
		cls_ruleset_init(&rs);
		cls_gen_rules(shapes4[s], per_stage, 1, 100 + (uint64_t)s, &rs);
		for (uint32_t i = 0; i < rs.n; i++)
			rs.r[i].cls = i % exit_every == exit_every - 1;
		struct cls_rule dflt = {.sport_hi = 65535, .dport_hi = 65535, .prio = per_stage, .cls = 0};
		cls_ruleset_push(&rs, &dflt);
		cls_gen_trace(rs.r, rs.n, nk / 4, 5, 7 + (uint64_t)s, keys + s * (nk / 4));
		snprintf(names[s], sizeof(names[s]), "/tmp/bench_chain_%d_%d.cb", (int)getpid(), s);
		files[s] = names[s];
		FILE *f = fopen(names[s], "w");
		struct rt_buf b;
		rt_buf_init(&b);
		for (uint32_t i = 0; i < rs.n; i++) {
			cls_rule_unparse(&rs.r[i], &b);
			rt_buf_puts(&b, "\n");
		}
		fwrite(b.p, 1, b.len, f);
		fclose(f);
		rt_buf_free(&b);
		cls_ruleset_free(&rs);
	}
	struct chain_run c[2] = {{0}, {0}};
	if (chain_open(&c[0], fmt, files, false, keys, nk) < 0 || chain_open(&c[1], fmt, files, true, keys, nk) < 0) {
		failures++;
		goto out;
	}
	/* one pass each: every element must have counted the same */
	struct rt_buf cu, cm;
	rt_buf_init(&cu);
	rt_buf_init(&cm);
	chain_pass(&c[0]);
	chain_pass(&c[1]);
	counts_of(c[0].r, &cu);
	counts_of(c[1].r, &cm);
	if (strcmp(cu.p, cm.p)) {
		fprintf(stderr, "chain4 graph: counters differ\nunmerged:\n%smerged:\n%s", cu.p, cm.p);
		failures++;
	}
	rt_buf_free(&cu);
	rt_buf_free(&cm);
	double best[2] = {0, 0};
	for (int k = 0; k < ROUNDS; k++)
		for (int m = 0; m < 2; m++) {
			uint64_t done = 0;
			double t1 = now_s(), t;
			do {
				chain_pass(&c[m]);
				done += nk;
			} while ((t = now_s() - t1) < min_s / ROUNDS);
			best[m] = RT_MAX(best[m], (double)done / t / 1e6);
		}
	/* a rule added to a member of a merged chain: the merged set is rebuilt
	 * and a new plan published (docs/classify.md) */
	if (rt_router_find(c[1].r, "a2") && !strcmp(rt_router_find(c[1].r, "a2")->cls->name, "ACLClassifier")) {
		double t0 = now_s(), first = 0;
		int nup = 10;
		for (int k = 0; k < nup; k++) {
			if (k == 1)
				first = now_s() - t0;
			struct rt_err e2;
			rt_err_clear(&e2);
			char rule[128];
			snprintf(rule, sizeof(rule), "@10.%d.0.0/16 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF 0x0000/0x0000 class 1", k);
			if (el_handler_write(rt_router_find(c[1].r, "a2"), "add_rule", rule, &e2) < 0) {
				fprintf(stderr, "chain4 graph: add_rule: %s\n", e2.msg);
				failures++;
				break;
			}
		}
		/* the first change republishes the plan with the chain stage by
		 * stage; the next ones update the members in place */
		printf("BENCH classify %s_graph_merged_update_first_ms %.3f ms\n", tag, first * 1e3);
		printf("BENCH classify %s_graph_merged_update_ms %.3f ms\n", tag, (now_s() - t0) * 1e3 / nup);
		/* the merged set as the router's loop rebuilds it once changes pause */
		double t1 = now_s();
		for (int k = 0; k < 100; k++) { /* close callbacks of earlier routers may come first */
			struct rt_buf d;
			rt_buf_init(&d);
			cls_chain_describe(c[1].r, &d);
			bool merged = d.p && strstr(d.p, "merged");
			rt_buf_free(&d);
			if (merged)
				break;
			uv_run(rt_router_loop(c[1].r), UV_RUN_ONCE);
		}
		printf("BENCH classify %s_graph_remerge_ms %.2f ms\n", tag,
		       (now_s() - t1) * 1e3 - CLS_CHAIN_REMERGE_MS);
	}
	printf("BENCH classify %s_graph_unmerged_mpps %.2f Mpps\n", tag, best[0]);
	printf("BENCH classify %s_graph_merged_mpps %.2f Mpps\n", tag, best[1]);
	printf("BENCH classify %s_graph_merged_vs_unmerged %.2f ratio\n", tag, best[1] / best[0]);
	if (!strcmp(tag, "chain4"))
		printf("BENCH classify merged_vs_unmerged_4 %.2f ratio\n", best[1] / best[0]);
out:
	for (int m = 0; m < 2; m++)
		if (c[m].r)
			chain_close(&c[m]);
	for (int s = 0; s < 4; s++)
		unlink(names[s]);
	free(keys);
}

static int gen_file(const char *shape, const char *nstr, const char *path)
{
	int sh = cls_shape_parse(shape);
	if (sh < 0) {
		fprintf(stderr, "bench_classify: unknown shape '%s' (acl, fw, ipc)\n", shape);
		return 2;
	}
	struct cls_ruleset s;
	cls_ruleset_init(&s);
	cls_gen_rules((enum cls_shape)sh, (uint32_t)strtoul(nstr, NULL, 0), 16, 1, &s);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	struct rt_buf b;
	rt_buf_init(&b);
	for (uint32_t i = 0; i < s.n; i++) {
		rt_buf_reset(&b);
		cls_rule_unparse(&s.r[i], &b);
		fprintf(f, "%s\n", b.p);
	}
	rt_buf_free(&b);
	fclose(f);
	cls_ruleset_free(&s);
	return 0;
}

int main(int argc, char **argv)
{
	bool quick = false;
	uint32_t merge_n = 1000;
	const char *sizes = "1000,10000,100000", *shapes = "acl,fw,ipc";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else if (!strcmp(argv[i], "--sizes") && i + 1 < argc)
			sizes = argv[++i];
		else if (!strcmp(argv[i], "--shapes") && i + 1 < argc)
			shapes = argv[++i];
		else if (!strcmp(argv[i], "--merge-rules") && i + 1 < argc)
			merge_n = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--gen") && i + 3 < argc)
			return gen_file(argv[i + 1], argv[i + 2], argv[i + 3]);
		else {
			fprintf(stderr, "usage: bench_classify [--quick] [--sizes N,..] [--shapes acl,fw,ipc] [--merge-rules N] "
				"[--gen SHAPE N FILE]\n");
			return 2;
		}
	}
	struct rt_err err;
	rt_err_clear(&err);
	if (rt_eal_init("-l 0 --no-huge -m 8192 --no-pci --no-shconf --no-telemetry --log-level=error", 1, &err) < 0) {
		fprintf(stderr, "EAL: %s\n", err.msg);
		return 1;
	}
	char *sz = strdup(sizes), *sv = NULL;
	for (char *t = strtok_r(sz, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
		char *sp = strdup(shapes), *sv2 = NULL;
		for (char *u = strtok_r(sp, ",", &sv2); u; u = strtok_r(NULL, ",", &sv2)) {
			int sh = cls_shape_parse(u);
			if (sh < 0) {
				fprintf(stderr, "bench_classify: unknown shape '%s'\n", u);
				return 2;
			}
			uint32_t n = (uint32_t)strtoul(t, NULL, 0);
			bench_one((enum cls_shape)sh, n, quick ? 0.2 : 1.0, n == 10000);
			fflush(stdout);
		}
		free(sp);
	}
	free(sz);
	/* most packets cross the whole chain (1 rule in 8 diverts), and a chain
	 * where half the rules divert (most packets leave early) */
	bench_merge(merge_n, 8, "chain4", quick ? 0.2 : 1.0);
	bench_merge(merge_n, 2, "chain4_halfexit", quick ? 0.2 : 1.0);
	bench_graph(acl4_graph, merge_n, 8, "chain4", quick ? 0.2 : 1.0);
	bench_graph(acl4_graph, merge_n, 2, "chain4_halfexit", quick ? 0.2 : 1.0);
	bench_graph(ipf4_graph, merge_n, 8, "chain4_ipfilter", quick ? 0.2 : 1.0);
	bench_graph(mixed4_graph, merge_n, 8, "chain4_mixed", quick ? 0.2 : 1.0);
	if (failures)
		fprintf(stderr, "bench_classify: %d runs disagreed with rte_acl\n", failures);
	return failures ? 1 : 0;
}
