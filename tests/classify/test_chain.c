/*
 * test_chain.c - graph-level merging of classifier chains (cls_chain.c):
 * the same configuration run with merging on and off must send the same
 * packets, in the same order, to every sink and leave every element's
 * counters equal, on generated traffic (ClassBench-shaped and tiny
 * overlapping rule sets, a chain of ACLClassifiers and a mixed chain) and
 * on real captures; live changes (add_rule, remove_rule, hotconfig) keep
 * it so; rules a chain makes unreachable are reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tu.h"
#include "acl_util.h"
#include "cls_chain.h"

/* ---- packets ------------------------------------------------------------------ */

static void ipstr(uint32_t a, char *s, size_t n)
{
	snprintf(s, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* An Ethernet frame for key k, its network header marked at 14; every
 * 13th packet is ARP (not IPv4). `tag` makes each packet's bytes unique. */
static struct rte_mbuf *key_pkt(struct rt_router *r, const struct cls_key *k, uint32_t tag)
{
	uint8_t buf[256];
	char s[32], d[32], pl[8];
	int n;
	memcpy(pl, &tag, 4);
	if (tag % 13 == 5) {
		memset(buf, 0, 60);
		buf[12] = 0x08, buf[13] = 0x06;
		memcpy(buf + 20, &tag, 4);
		n = 60;
	} else {
		ipstr(k->src, s, sizeof(s));
		ipstr(k->dst, d, sizeof(d));
		if (k->proto == 6) {
			n = tu_build_tcp(buf, s, d, k->sport, k->dport, (uint8_t)(k->flags >> 8), tag, pl, 4);
		} else {
			n = tu_build_udp(buf, s, d, k->sport, k->dport, pl, 4);
			if (k->proto != 17) {
				buf[14 + 9] = k->proto;
				tu_ip_csum(buf + 14);
			}
		}
	}
	struct rte_mbuf *m = tu_pkt(r, buf, (uint32_t)n);
	rt_set_nh(m, 14);
	return m;
}

/* ---- running a configuration with merging on and off ---------------------------- */

static uint64_t fnv(const uint8_t *p, uint32_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static int u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Append each sink's packets (hashes, in order) to out and empty the sinks.
 * Sinks named m* are where two paths of a chain join: unmerged, each path's
 * packets of a batch arrive as one burst, merged in arrival order, so only
 * the set is compared there (order within each path is checked at sinks
 * that one path feeds). */
static void take_sinks(struct rt_router *r, struct rt_buf *out, uint64_t *total)
{
	for (int i = 0; i < rt_router_nelements(r); i++) {
		struct el *e = rt_router_element(r, i);
		if (strcmp(e->cls->name, "TestSink"))
			continue;
		int n = tu_sink_count(r, e->name);
		rt_buf_printf(out, "%s %d:", e->name, n);
		uint64_t *h = malloc(sizeof(*h) * ((size_t)n + 1));
		for (int k = 0; k < n; k++) {
			struct rte_mbuf *m = tu_sink_pkt(r, e->name, k);
			h[k] = fnv(rt_data(m), rt_len(m)) & 0xffffff;
		}
		if (e->name[0] == 'm')
			qsort(h, (size_t)n, sizeof(*h), u64cmp);
		for (int k = 0; k < n; k++)
			rt_buf_printf(out, " %llx", (unsigned long long)h[k]);
		free(h);
		rt_buf_puts(out, "\n");
		*total += (uint64_t)n;
		tu_sink_clear(r, e->name);
	}
}

/* Every counter of every classifying element. */
static void take_counters(struct rt_router *r, struct rt_buf *out)
{
	static const char *const hs[] = {"count", "nomatch", "counts", "drops"};
	for (int i = 0; i < rt_router_nelements(r); i++) {
		struct el *e = rt_router_element(r, i);
		for (size_t k = 0; k < sizeof(hs) / sizeof(hs[0]); k++) {
			char h[128];
			snprintf(h, sizeof(h), "%s.%s", e->name, hs[k]);
			if (el_handler_find(e, hs[k]))
				rt_buf_printf(out, "%s = %s\n", h, tu_read(r, h));
		}
	}
}

/* Push n packets for keys (seeded) into element `in` in batches of 32. */
static void push_keys(struct rt_router *r, const char *in, const struct cls_key *keys, uint32_t n, uint32_t tag0)
{
	struct rte_mbuf *pk[32];
	for (uint32_t i = 0; i < n; i += 32) {
		uint32_t b = RT_MIN(32u, n - i);
		for (uint32_t j = 0; j < b; j++)
			pk[j] = key_pkt(r, &keys[i + j], tag0 + i + j);
		tu_push(r, in, 0, pk, (int)b);
	}
}

typedef void (*scenario_fn)(struct rt_router *r, struct rt_buf *out, uint64_t *total, void *arg);

/* Run cfg (a printf format with one %s for the ClassifierMerge argument)
 * merged and unmerged through scenario; both transcripts must be equal.
 * Returns the packets the sinks saw (merged run). */
static uint64_t compare(const char *cfg, scenario_fn sc, void *arg, const char *expect_chain)
{
	struct rt_buf t[2];
	uint64_t total[2] = {0, 0};
	for (int on = 0; on < 2; on++) {
		size_t len = strlen(cfg) + 64;
		char *text = malloc(len);
		snprintf(text, len, cfg, on ? "true" : "false");
		struct rt_router *r = tu_router(text, NULL);
		free(text);
		const char *ch = tu_read(r, "cm.chains");
		if (on)
			assert_non_null(strstr(ch, expect_chain));
		else
			assert_string_equal(ch, "");
		rt_buf_init(&t[on]);
		sc(r, &t[on], &total[on], arg);
		take_sinks(r, &t[on], &total[on]);
		take_counters(r, &t[on]);
		tu_router_free(r);
	}
	if (strcmp(t[0].p, t[1].p)) {
		/* print where they differ */
		size_t i = 0;
		while (t[0].p[i] == t[1].p[i])
			i++;
		size_t a = i > 200 ? i - 200 : 0;
		print_message("at %zu\nunmerged: ...%.300s\nmerged:   ...%.300s\n", i, t[0].p + a, t[1].p + a);
	}
	assert_string_equal(t[0].p, t[1].p);
	assert_int_equal(total[0], total[1]);
	rt_buf_free(&t[0]);
	rt_buf_free(&t[1]);
	return total[1];
}

/* ---- generated traffic ----------------------------------------------------------- */

static char rule_file[4][64];

static void write_rules(int i, const struct cls_rule *r, uint32_t n)
{
	snprintf(rule_file[i], sizeof(rule_file[i]), "/tmp/test_chain_%d_%d.cb", (int)getpid(), i);
	FILE *f = fopen(rule_file[i], "w");
	assert_non_null(f);
	struct rt_buf b;
	rt_buf_init(&b);
	for (uint32_t k = 0; k < n; k++) {
		cls_rule_unparse(&r[k], &b);
		rt_buf_puts(&b, "\n");
	}
	fwrite(b.p ? b.p : "", 1, b.len, f);
	fclose(f);
	rt_buf_free(&b);
}

static void unlink_rules(void)
{
	for (int i = 0; i < 4; i++)
		if (rule_file[i][0])
			unlink(rule_file[i]);
}

struct traffic {
	struct cls_key *keys;
	uint32_t n;
};

static void sc_traffic(struct rt_router *r, struct rt_buf *out, uint64_t *total, void *arg)
{
	struct traffic *t = arg;
	for (uint32_t i = 0; i < t->n; i += 500) {
		push_keys(r, "n", t->keys + i, RT_MIN(500u, t->n - i), i);
		take_sinks(r, out, total);
	}
}

/* Four ACLClassifiers in a chain, three outputs each: 0 goes on, 1 and 2
 * leave; NOMATCH shares output 0 in the first (so a path's counters depend
 * on more than where it leaves), drops in the second. */
static const char *acl4_cfg =
	"cm :: ClassifierMerge(%s);\n"
	"a0 :: ACLClassifier(FILE %s, NOMATCH 0); a1 :: ACLClassifier(FILE %s);\n"
	"a2 :: ACLClassifier(FILE %s, NOMATCH 2); a3 :: ACLClassifier(FILE %s, NOMATCH 1);\n"
	"n :: Null; Idle -> n -> a0;\n"
	"a0[0] -> a1; a0[1] -> s01 :: TestSink; a0[2] -> m02 :: TestSink;\n"
	"a1[0] -> a2; a1[1] -> s11 :: TestSink; a1[2] -> m02;\n"
	"a2[0] -> a3; a2[1] -> s21 :: TestSink; a2[2] -> Discard;\n"
	"a3[0] -> s30 :: TestSink; a3[1] -> s31 :: TestSink; a3[2] -> s32 :: TestSink;\n";

static void run_acl4(const struct cls_ruleset *st, const struct cls_key *keys, uint32_t nkeys, const char *expect)
{
	for (int i = 0; i < 4; i++)
		write_rules(i, st[i].r, st[i].n);
	char cfg[2048];
	snprintf(cfg, sizeof(cfg), acl4_cfg, "%s", rule_file[0], rule_file[1], rule_file[2], rule_file[3]);
	struct traffic t = {(struct cls_key *)keys, nkeys};
	uint64_t seen = compare(cfg, sc_traffic, &t, expect);
	assert_true(seen > nkeys / 4); /* some traffic crosses the chain to a sink */
	unlink_rules();
}

static void test_acl4_generated(void **st)
{
	(void)st;
	static const enum cls_shape shapes[4] = {CLS_SHAPE_ACL, CLS_SHAPE_FW, CLS_SHAPE_IPC, CLS_SHAPE_ACL};
	struct cls_ruleset rs[4], all;
	cls_ruleset_init(&all);
	for (int i = 0; i < 4; i++) {
		cls_ruleset_init(&rs[i]);
		cls_gen_rules(shapes[i], 300, 3, 7 + (uint64_t)i, &rs[i]);
		for (uint32_t k = 0; k < rs[i].n; k++) {
			rs[i].r[k].cls = (k % 8 == 3) ? 1 + k % 2 : 0; /* most pass on */
			cls_ruleset_push(&all, &rs[i].r[k]);
		}
	}
	uint32_t n = 3000;
	struct cls_key *keys = malloc(sizeof(*keys) * n);
	cls_gen_trace(all.r, all.n, n, 10, 42, keys);
	run_acl4(rs, keys, n, "a0: a0 a1 a2 a3 (merged");
	free(keys);
	for (int i = 0; i < 4; i++)
		cls_ruleset_free(&rs[i]);
	cls_ruleset_free(&all);
}

/* Tiny value space: rules nest and overlap everywhere, every wildcard mix. */
static void test_acl4_overlapping(void **st)
{
	(void)st;
	for (int round = 0; round < 3; round++) {
		struct cls_ruleset rs[4];
		for (int i = 0; i < 4; i++) {
			cls_ruleset_init(&rs[i]);
			for (uint32_t k = 0; k < 12; k++) {
				struct cls_rule r;
				rand_rule(&r, rnd32() % 64, k);
				r.cls %= 3;
				cls_ruleset_push(&rs[i], &r);
			}
		}
		uint32_t n = 1500;
		struct cls_key *keys = malloc(sizeof(*keys) * n);
		rand_keys(keys, n);
		for (uint32_t i = 0; i < n; i++)
			if (keys[i].proto != 6 && keys[i].proto != 17)
				keys[i].sport = keys[i].dport = 0, keys[i].flags = 0;
			else if (keys[i].proto == 17)
				keys[i].flags = 0;
		run_acl4(rs, keys, n, "(merged");
		free(keys);
		for (int i = 0; i < 4; i++)
			cls_ruleset_free(&rs[i]);
	}
}

/* Past MAX_RULES the ACL chain runs stage by stage: same results. */
static void test_acl4_stagewise(void **st)
{
	(void)st;
	struct cls_ruleset rs[4];
	for (int i = 0; i < 4; i++) {
		cls_ruleset_init(&rs[i]);
		for (uint32_t k = 0; k < 12; k++) {
			struct cls_rule r;
			rand_rule(&r, rnd32() % 64, k);
			r.cls %= 3;
			cls_ruleset_push(&rs[i], &r);
		}
		write_rules(i, rs[i].r, rs[i].n);
	}
	char cfg[2048];
	snprintf(cfg, sizeof(cfg), acl4_cfg, "%s, MAX_RULES 5", rule_file[0], rule_file[1], rule_file[2], rule_file[3]);
	uint32_t n = 1500;
	struct cls_key *keys = malloc(sizeof(*keys) * n);
	rand_keys(keys, n);
	struct traffic t = {keys, n};
	compare(cfg, sc_traffic, &t, "a0: a0 a1 a2 a3 (stagewise)");
	unlink_rules();
	free(keys);
	for (int i = 0; i < 4; i++)
		cls_ruleset_free(&rs[i]);
}

/* Classifier -> IPFilter -> (ACLClassifier | IPClassifier -> ACLClassifier):
 * a tree of mixed languages, run stage by stage. */
static const char *mixed_cfg =
	"cm :: ClassifierMerge(%s);\n"
	"n :: Null; Idle -> n -> c :: Classifier(12/0800, 12/0806, -);\n"
	"c[0] -> f :: IPFilter(allow tcp, 1 udp, 2 src net 10.0.0.0/8, deny all);\n"
	"c[1] -> arp :: TestSink; c[2] -> other :: TestSink;\n"
	"f[0] -> t :: ACLClassifier(\"@10.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 7 0x06/0xFF 0x0000/0x0000 class 1\",\n"
	"  \"@0.0.0.0/0 10.1.0.0/16 0 : 65535 0 : 65535 0x00/0x00 0x1000/0x1000 class 2\", NOMATCH 0);\n"
	"t[0] -> t0 :: TestSink; t[1] -> t1 :: TestSink; t[2] -> t2 :: TestSink;\n"
	"f[1] -> u :: IPClassifier(dst port 3, src port < 5, -);\n"
	"u[0] -> u0 :: TestSink; u[1] -> ua :: ACLClassifier(\"@0.0.0.0/0 10.1.1.0/24 0 : 65535 0 : 65535 0x11/0xFF\","
	"  \"@192.168.0.0/16 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 class 1\"); u[2] -> u2 :: TestSink;\n"
	"ua[0] -> ua0 :: TestSink; ua[1] -> ua1 :: TestSink;\n"
	"f[2] -> x :: TestSink;\n";

static void test_mixed_tree(void **st)
{
	(void)st;
	uint32_t n = 2000;
	struct cls_key *keys = malloc(sizeof(*keys) * n);
	rand_keys(keys, n);
	struct traffic t = {keys, n};
	compare(mixed_cfg, sc_traffic, &t, "c: c f t u ua (stagewise)");
	/* without ACLClassifier only with PROGRAMS true */
	compare("cm :: ClassifierMerge(%s, PROGRAMS true); n :: Null; Idle -> n -> c :: Classifier(12/0800, -);\n"
		"c[0] -> f :: IPFilter(allow tcp, 1 udp, deny all); c[1] -> o :: TestSink;\n"
		"f[0] -> t :: IPClassifier(src net 10.0.0.0/8, dst port < 4, -); f[1] -> u :: TestSink;\n"
		"t[0] -> t0 :: TestSink; t[1] -> t1 :: TestSink; t[2] -> t2 :: TestSink;\n",
		sc_traffic, &t, "c: c f t (stagewise)");
	struct rt_router *r = tu_router("cm :: ClassifierMerge; Idle -> c :: Classifier(12/0800, -) -> f :: IPFilter(allow tcp);"
					"c[1] -> Discard; f -> Discard;",
					NULL);
	assert_string_equal(tu_read(r, "cm.chains"), "");
	tu_router_free(r);
	free(keys);
}

/* ---- real captures ---------------------------------------------------------------- */

static void sc_pcap(struct rt_router *r, struct rt_buf *out, uint64_t *total, void *arg)
{
	(void)arg;
	tu_run_tasks(r, 100000);
	take_sinks(r, out, total);
}

static void test_pcaps(void **st)
{
	(void)st;
	static const char *const files[] = {"dns_queries_responses.pcap", "tcp_retransmit_pmtud_http_keepalive.pcap",
					    "dns_udp_fragmented_ipv4_ipv6.pcap", "gre_ipv4_tunnel.pcap",
					    "vlan_8021q_arp_icmp.pcap", "ipv4_frag_icmp_echo.pcap"};
	const char *data = getenv("MBOXSH_DATA");
	if (!data)
		data = "../../shared/data";
	uint64_t seen = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/pcaps/%s", data, files[i]);
		if (access(path, R_OK)) {
			print_message("skipping %s (not found)\n", path);
			continue;
		}
		char cfg[4096];
		snprintf(cfg, sizeof(cfg),
			 "cm :: ClassifierMerge(%%s);\n"
			 "FromDump(\"%s\", STOP true) -> MarkIPHeader(14) -> c :: Classifier(12/0800, -);\n"
			 "c[0] -> f :: IPFilter(allow udp port 53, 1 tcp, 2 icmp, deny all); c[1] -> nonip :: TestSink;\n"
			 "f[0] -> d :: ACLClassifier(\"@0.0.0.0/0 0.0.0.0/0 53 : 53 0 : 65535 0x11/0xFF 0x0000/0x0000 class 1\","
			 "  \"@192.168.0.0/16 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00\", NOMATCH 2);\n"
			 "d[0] -> d0 :: TestSink; d[1] -> d1 :: TestSink; d[2] -> d2 :: TestSink;\n"
			 "f[1] -> tc :: ACLClassifier(\"@0.0.0.0/0 0.0.0.0/0 80 : 80 0 : 65535 0x06/0xFF 0x0000/0x0000 class 1\","
			 "  \"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF 0x0200/0x0200 class 2\", NOMATCH 0);\n"
			 "tc[0] -> t0 :: TestSink; tc[1] -> t1 :: TestSink; tc[2] -> t2 :: TestSink;\n"
			 "f[2] -> ic :: IPClassifier(icmp type echo, -); ic[0] -> i0 :: TestSink; ic[1] -> i1 :: TestSink;\n",
			 path);
		seen += compare(cfg, sc_pcap, NULL, "c: c f d tc ic (stagewise)");
		/* ACLClassifiers only: one merged rule set (IPv6, ARP, fragments included) */
		snprintf(cfg, sizeof(cfg),
			 "cm :: ClassifierMerge(%%s);\n"
			 "FromDump(\"%s\", STOP true) -> MarkIPHeader(14) -> a0 :: ACLClassifier("
			 "\"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 1023 0x06/0xFF 0x0000/0x0000 class 1\","
			 "\"@0.0.0.0/0 0.0.0.0/0 53 : 53 0 : 65535 0x11/0xFF 0x0000/0x0000 class 2\", NOMATCH 0);\n"
			 "a0[0] -> a1 :: ACLClassifier(\"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x01/0xFF 0x0000/0x0000 class 1\","
			 "\"@192.168.0.0/16 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00\", NOMATCH 2);\n"
			 "a0[1] -> a2 :: ACLClassifier(\"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF 0x0200/0x0200 class 1\","
			 " NOMATCH 0); a0[2] -> m :: TestSink;\n"
			 "a1[0] -> m; a1[1] -> i :: TestSink; a1[2] -> o :: TestSink; a2[0] -> t0 :: TestSink; a2[1] -> t1 :: TestSink;\n",
			 path);
		seen += compare(cfg, sc_pcap, NULL, "a0: a0 a1 a2 (merged");
	}
	assert_true(seen > 300);
}

/* Two workers, each running a source into the same merged chain: the
 * elements' per-worker counters, summed, equal the unmerged run's. */
static void test_workers(void **st)
{
	(void)st;
	const char *data = getenv("MBOXSH_DATA");
	char path[512], cfg[4096];
	snprintf(path, sizeof(path), "%s/pcaps/dns_queries_responses.pcap", data ? data : "../../shared/data");
	if (access(path, R_OK))
		skip();
	char res[2][8192];
	for (int on = 0; on < 2; on++) {
		snprintf(cfg, sizeof(cfg),
			 "cm :: ClassifierMerge(%s);\n"
			 "FromDump(\"%s\", STOP true) -> n :: Null; FromDump(\"%s\", STOP true) -> n;\n"
			 "n -> MarkIPHeader(14) -> c :: Classifier(12/0800, -); c[1] -> k0 :: Counter -> Discard;\n"
			 "c[0] -> d :: ACLClassifier(\"@0.0.0.0/0 0.0.0.0/0 53 : 53 0 : 65535 0x11/0xFF 0x0000/0x0000 class 1\","
			 "  \"@0.0.0.0/0 0.0.0.0/0 0 : 65535 53 : 53 0x11/0xFF\", NOMATCH 2);\n"
			 "d[0] -> e :: ACLClassifier(\"@0.0.0.0/0 0.0.0.0/0 0 : 49999 0 : 65535 0x11/0xFF 0x0000/0x0000 class 1\", NOMATCH 0);\n"
			 "d[1] -> k1 :: Counter -> Discard; d[2] -> k2 :: Counter -> Discard;\n"
			 "e[0] -> k3 :: Counter -> Discard; e[1] -> k4 :: Counter -> Discard;\n"
			 "DriverManager(pause, pause, stop);\n",
			 on ? "true" : "false", path, path);
		struct rt_router *r = tu_router_j(cfg, 2, NULL);
		if (on)
			assert_non_null(strstr(tu_read(r, "cm.chains"), "c: c d e (stagewise)"));
		assert_int_equal(tu_run(r, 10000), 0);
		struct rt_buf b;
		rt_buf_init(&b);
		take_counters(r, &b);
		for (int k = 0; k < 5; k++) {
			char h[16];
			snprintf(h, sizeof(h), "k%d.count", k);
			rt_buf_printf(&b, "total k%d %lld\n", k, tu_read_int(r, h));
		}
		snprintf(res[on], sizeof(res[on]), "%s", b.p);
		rt_buf_free(&b);
		tu_router_free(r);
	}
	assert_string_equal(res[0], res[1]);
	for (int k = 0; k < 5; k++) { /* 464 packets twice: every path taken */
		char h[32];
		snprintf(h, sizeof(h), "total k%d ", k);
		const char *p = strstr(res[1], h);
		assert_non_null(p);
		assert_true(atoi(p + strlen(h)) > 0);
	}
}

/* ---- live changes ------------------------------------------------------------------ */

static const char *live_cfg =
	"cm :: ClassifierMerge(%s);\n"
	"n :: Null; Idle -> n -> a0 :: ACLClassifier(\"@10.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF 0x0000/0x0000 class 1\","
	"  \"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00\");\n"
	"a0[0] -> a1 :: ACLClassifier(\"@0.0.0.0/0 10.1.0.0/16 0 : 65535 0 : 7 0x00/0x00 0x0000/0x0000 class 1\", NOMATCH 0);\n"
	"a0[1] -> s01 :: TestSink; a1[0] -> s10 :: TestSink; a1[1] -> s11 :: TestSink;\n";

static void sc_live(struct rt_router *r, struct rt_buf *out, uint64_t *total, void *arg)
{
	struct traffic *t = arg;
	struct rt_err err;
	rt_err_clear(&err);
	uint32_t q = t->n / 4;
	push_keys(r, "n", t->keys, q, 0);
	take_sinks(r, out, total);
	uint64_t v = r->version;
	/* a better rule in the second stage: a merged chain is rebuilt and republished */
	assert_int_equal(tu_write(r, "a1.add_rule", "@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x11/0xFF 0x0000/0x0000 class 1 prio 0",
				  &err), 0);
	if (r->version > v) {
		/* merged: republished at once with the chain stage by stage, the
		 * merged set rebuilt by a timer on the router's loop */
		assert_non_null(strstr(tu_read(r, "cm.chains"), "a0: a0 a1 (stagewise)"));
		for (int k = 0; k < 100 && !strstr(tu_read(r, "cm.chains"), "merged"); k++)
			uv_run(rt_router_loop(r), UV_RUN_ONCE); /* the timer, after any earlier close callbacks */
		assert_non_null(strstr(tu_read(r, "cm.chains"), "a0: a0 a1 (merged 4 rules)"));
	} else {
		assert_string_equal(tu_read(r, "cm.chains"), "");
	}
	assert_non_null(strstr(tu_read(r, "a1.rules"), "0x11/0xff"));
	push_keys(r, "n", t->keys + q, q, q);
	take_sinks(r, out, total);
	/* a bad rule changes nothing */
	assert_int_equal(tu_write(r, "a1.add_rule", "@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x11/0xFF 0x0000/0x0000 class 7",
				  &err), -EINVAL);
	assert_int_equal(tu_write(r, "a0.remove_rule", "0", &err), 0);
	push_keys(r, "n", t->keys + 2 * q, q, 2 * q);
	take_sinks(r, out, total);
	/* hotconfig: a0 gets another rule set (a new element), the rest is kept */
	size_t len = strlen(live_cfg) + 64;
	char *text = malloc(len);
	bool on = strstr(tu_read(r, "cm.chains"), "merged") != NULL;
	const char *text0 = on ? "true" : "false";
	snprintf(text, len, live_cfg, text0);
	char *p = strstr(text, "0x06/0xFF");
	memcpy(p, "0x11/0xFF", 9);
	struct rt_buf warn;
	rt_buf_init(&warn);
	assert_int_equal(rt_ctl_hotconfig(r, text, "live.click", &warn, &err), 0);
	rt_buf_free(&warn);
	free(text);
	if (strstr(text0, "true"))
		assert_non_null(strstr(tu_read(r, "cm.chains"), "a0: a0 a1 (merged"));
	push_keys(r, "n", t->keys + 3 * q, t->n - 3 * q, 3 * q);
	take_sinks(r, out, total);
}

static void test_live(void **st)
{
	(void)st;
	uint32_t n = 2000;
	struct cls_key *keys = malloc(sizeof(*keys) * n);
	rand_keys(keys, n);
	struct traffic t = {keys, n};
	compare(live_cfg, sc_live, &t, "a0: a0 a1 (merged");
	free(keys);
}

/* A live change puts holds on a new member's input by rewriting the hop
 * into it: the merged node must notice and run the chain element by
 * element (through the hold) until the change is over. */
static int hop_calls;
static el_push_fn hop_real;
static void hop_spy(struct el_node *n, int port, struct rt_batch *b)
{
	hop_calls++;
	hop_real(n, port, b);
}

static void test_rewritten_hop(void **st)
{
	(void)st;
	char text[4096];
	snprintf(text, sizeof(text), live_cfg, "true");
	struct rt_router *r = tu_router(text, NULL);
	struct el_hop *h = &r->plan->nodes[rt_router_find(r, "a0")->index]->hops[0];
	uint32_t n = 600;
	struct cls_key *keys = malloc(sizeof(*keys) * n);
	rand_keys(keys, n);
	for (uint32_t i = 0; i < n; i++)
		keys[i].src = i % 2 ? 0x0a000001 : 0x0b000001; /* half to a0[1], half on to a1 */
	push_keys(r, "n", keys, n / 2, 0);
	assert_int_equal(hop_calls, 0); /* merged: a0's hop to a1 not taken */
	hop_real = h->fn;
	h->fn = hop_spy; /* what add_holds does */
	push_keys(r, "n", keys + n / 2, n - n / 2, n / 2);
	assert_true(hop_calls > 0);
	h->fn = hop_real;
	/* nothing lost either way, and counted once (ARP packets: a0's NOMATCH, dropped) */
	long long arp = tu_read_int(r, "a0.nomatch");
	assert_int_equal(arp, n / 13 + (n % 13 > 5));
	assert_int_equal(tu_sink_count(r, "s01") + tu_sink_count(r, "s10") + tu_sink_count(r, "s11") + arp, n);
	assert_int_equal(tu_read_int(r, "a0.count") + arp, n);
	assert_int_equal(tu_read_int(r, "a1.count") + tu_read_int(r, "a1.nomatch"), n - tu_sink_count(r, "s01") - arp);
	tu_router_free(r);
	free(keys);
}

/* Profiling runs the elements one by one: counted the same. */
static void sc_prof(struct rt_router *r, struct rt_buf *out, uint64_t *total, void *arg)
{
	struct traffic *t = arg;
	struct rt_err err;
	rt_err_clear(&err);
	push_keys(r, "n", t->keys, t->n / 2, 0);
	assert_int_equal(rt_ctl_profile(r, true, &err), 0);
	push_keys(r, "n", t->keys + t->n / 2, t->n - t->n / 2, t->n / 2);
	assert_int_equal(rt_ctl_profile(r, false, &err), 0);
	take_sinks(r, out, total);
}

static void test_profiling(void **st)
{
	(void)st;
	uint32_t n = 1000;
	struct cls_key *keys = malloc(sizeof(*keys) * n);
	rand_keys(keys, n);
	struct traffic t = {keys, n};
	compare(live_cfg, sc_prof, &t, "a0: a0 a1 (merged 3 rules)");
	free(keys);
}

/* ---- reports ------------------------------------------------------------------------ */

static void test_shadowed(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(
		"cm :: ClassifierMerge; n :: Null; Idle -> n -> a0 :: ACLClassifier("
		"\"@10.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 0x0000/0x0000 class 1\","
		"\"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00\");\n"
		"a0[0] -> a1 :: ACLClassifier(\"@10.1.0.0/16 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 0x0000/0x0000 class 1\","
		"\"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x11/0xFF 0x0000/0x0000 class 1\", \"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00\","
		"\"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF\");\n"
		"a0[1] -> Discard; a1[0] -> Discard; a1[1] -> Discard;",
		NULL);
	/* a1 rule 0 only sees what a0 diverted; rule 3 comes after a wildcard */
	assert_string_equal(tu_read(r, "cm.shadowed"),
			    "a1 0 unreachable in the chain of a0\na1 3 unreachable in the chain of a0\n");
	assert_string_equal(tu_read(r, "cm.chains"), "a0: a0 a1 (merged 4 rules) paths 5\n");
	/* the element alone only knows its own shadowed rules */
	assert_string_equal(tu_read(r, "a1.shadowed"), "3 shadowed by 2\n");
	tu_router_free(r);
}

static void test_config(void **st)
{
	(void)st;
	tu_expect_error("cm :: ClassifierMerge(maybe); Idle -> Discard;",
			"test.click:1:1: cm: ENABLE: expected boolean, not 'maybe'");
	/* two inputs into the second classifier: no chain */
	struct rt_router *r = tu_router("cm :: ClassifierMerge(PROGRAMS true); Idle -> a :: IPClassifier(tcp, -); a[0] -> b :: "
					"IPClassifier(udp, -); Idle -> b; a[1] -> Discard; b[0] -> Discard; b[1] -> Discard;",
					NULL);
	assert_string_equal(tu_read(r, "cm.chains"), "");
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl4_generated), cmocka_unit_test(test_acl4_overlapping),
		cmocka_unit_test(test_acl4_stagewise), cmocka_unit_test(test_mixed_tree),
		cmocka_unit_test(test_pcaps),	       cmocka_unit_test(test_workers),
		cmocka_unit_test(test_live),	       cmocka_unit_test(test_rewritten_hop),
		cmocka_unit_test(test_profiling),      cmocka_unit_test(test_shadowed),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
