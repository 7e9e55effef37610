/*
 * test_acl6.c - IPv6 rules in ACLClassifier (cls_acl6.c): random
 * overlapping IPv6 rule sets next to IPv4 ones, packets built with and
 * without extension headers and as fragments, each checked against a
 * brute-force search over the rules as generated (not as parsed); live
 * add_rule / remove_rule of IPv6 rules; parse errors with their argument;
 * an element with IPv6 rules stays out of merged chains.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tu.h"
#include "acl_util.h"
#include "cls_acl6.h"
#include "mig.h"

static const char *const bases[] = {"2001:db8::", "2001:db8:0:1::", "2001:db8:1::", "fe80::"};

static void rand_addr6(uint8_t *a)
{
	inet_pton(AF_INET6, bases[rnd32() % 4], a);
	a[15] = (uint8_t)(rnd32() % 4);
	if (rnd32() % 4 == 0)
		a[7] = (uint8_t)rnd32();
}

struct gen6 {
	struct cls_rule6 r;
	char text[256];
};

static void rand_rule6(struct gen6 *g, uint32_t idx)
{
	rand_rule(&g->r.f, rnd32() % 64, idx);
	g->r.f.cls %= 3;
	g->r.f.src = g->r.f.dst = 0;
	g->r.f.slen = g->r.f.dlen = 0;
	rand_addr6(g->r.src);
	rand_addr6(g->r.dst);
	static const uint8_t lens[] = {0, 16, 32, 48, 63, 64, 100, 126, 127, 128};
	g->r.slen = lens[rnd32() % 10];
	g->r.dlen = lens[rnd32() % 10];
	/* the text carries the unmasked address: the parser must mask it */
	char s[64], d[64];
	inet_ntop(AF_INET6, g->r.src, s, sizeof(s));
	inet_ntop(AF_INET6, g->r.dst, d, sizeof(d));
	snprintf(g->text, sizeof(g->text), "@%s/%u %s/%u %u : %u %u : %u 0x%02x/0x%02x 0x%04x/0x%04x class %u", s, g->r.slen, d,
		 g->r.dlen, g->r.f.sport_lo, g->r.f.sport_hi, g->r.f.dport_lo, g->r.f.dport_hi, g->r.f.proto, g->r.f.proto_mask,
		 g->r.f.flags, g->r.f.flags_mask, g->r.f.cls);
	/* the reference masks it itself */
	for (unsigned i = 0; i < 16; i++) {
		unsigned ks = g->r.slen >= 8 * (i + 1) ? 8 : (g->r.slen > 8 * i ? g->r.slen - 8 * i : 0);
		unsigned kd = g->r.dlen >= 8 * (i + 1) ? 8 : (g->r.dlen > 8 * i ? g->r.dlen - 8 * i : 0);
		g->r.src[i] &= (uint8_t)(ks ? 0xff << (8 - ks) : 0);
		g->r.dst[i] &= (uint8_t)(kd ? 0xff << (8 - kd) : 0);
	}
}

/* An IPv6 packet for key k (IP header first); ext: 0 none, 1 hop-by-hop,
 * 2 a non-first fragment (no ports: the key's ports and flags are cleared). */
static struct rte_mbuf *pkt6(struct rt_router *r, struct cls_key6 *k, int ext)
{
	uint8_t b[128] = {0};
	b[0] = 0x60;
	b[7] = 64;
	memcpy(b + 8, k->src, 16);
	memcpy(b + 24, k->dst, 16);
	int off = 40;
	uint8_t *nh = &b[6];
	if (ext == 1) {
		*nh = 0;
		nh = &b[off];
		off += 8;
	} else if (ext == 2) {
		*nh = 44;
		nh = &b[off];
		b[off + 2] = 0x01, b[off + 3] = 0x00; /* offset 32 */
		off += 8;
		k->f.sport = k->f.dport = 0;
		k->f.flags = 0;
	}
	*nh = k->f.proto;
	b[off] = (uint8_t)(k->f.sport >> 8), b[off + 1] = (uint8_t)k->f.sport;
	b[off + 2] = (uint8_t)(k->f.dport >> 8), b[off + 3] = (uint8_t)k->f.dport;
	if (ext == 2) /* the bytes after a fragment header are data, not ports */
		b[off] = 0x12, b[off + 2] = 0x34;
	b[off + 12] = 0x50;
	b[off + 13] = (uint8_t)(k->f.flags >> 8);
	off += 20;
	b[4] = (uint8_t)((off - 40) >> 8), b[5] = (uint8_t)(off - 40);
	return tu_pkt(r, b, (uint32_t)off);
}

static uint32_t brute6(const struct gen6 *g, uint32_t n, const struct cls_key6 *k)
{
	for (uint32_t i = 0; i < n; i++) /* priorities are the argument order */
		if (cls_rule6_match(&g[i].r, k))
			return i;
	return CLS_NOMATCH;
}

static int sinks_total(struct rt_router *r)
{
	int t = 0;
	for (int p = 0; p < 4; p++) {
		char sn[8];
		snprintf(sn, sizeof(sn), "s%d", p);
		t += tu_sink_count(r, sn);
	}
	return t;
}

/* Random IPv6 rule sets against brute force.  `extra` adds arguments (a
 * device placement); then packets come out asynchronously and are counted
 * once all are out. */
static void random_rounds(const char *extra, int rounds)
{
	for (int round = 0; round < rounds; round++) {
		uint32_t n = 1 + rnd32() % 14;
		struct gen6 *g = calloc(n, sizeof(*g));
		struct rt_buf cfg;
		rt_buf_init(&cfg);
		rt_buf_puts(&cfg, "a :: ACLClassifier(\"@10.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 0x0000/0x0000 class 2\"");
		for (uint32_t i = 0; i < n; i++) {
			rand_rule6(&g[i], i);
			rt_buf_printf(&cfg, ", \"%s\"", g[i].text);
		}
		rt_buf_printf(&cfg, ", NOMATCH 3%s); Idle -> a; a[0] -> s0 :: TestSink; a[1] -> s1 :: TestSink; ", extra);
		rt_buf_puts(&cfg, ""
				   "a[2] -> s2 :: TestSink; a[3] -> s3 :: TestSink;");
		struct rt_router *r = tu_router(cfg.p, NULL);
		rt_buf_free(&cfg);
		int want[4] = {0, 0, 0, 0};
		for (int i = 0; i < 300; i++) {
			struct cls_key6 k;
			memset(&k, 0, sizeof(k));
			rand_addr6(k.src);
			rand_addr6(k.dst);
			rand_keys(&k.f, 1);
			k.f.src = k.f.dst = 0;
			if (k.f.proto != 6 && k.f.proto != 17)
				k.f.sport = k.f.dport = 0;
			if (k.f.proto != 6)
				k.f.flags = 0;
			int ext = (int)(rnd32() % 4 == 0 ? 1 + rnd32() % 2 : 0);
			if (ext == 2 && k.f.proto != 6 && k.f.proto != 17)
				ext = 0;
			struct rte_mbuf *m = pkt6(r, &k, ext);
			uint32_t b = brute6(g, n, &k);
			want[b == CLS_NOMATCH ? 3 : g[b].r.f.cls]++;
			tu_push1(r, "a", 0, m);
			for (int p = 0; p < 4 && !*extra; p++) {
				char sn[8];
				snprintf(sn, sizeof(sn), "s%d", p);
				if (tu_sink_count(r, sn) != want[p])
					fail_msg("round %d packet %d: output %d has %d packets, brute force %d", round, i, p,
						 tu_sink_count(r, sn), want[p]);
			}
		}
		for (int i = 0; i < 3000 && sinks_total(r) < 300; i++) {
			tu_run_tasks(r, 5);
			usleep(1000);
		}
		for (int p = 0; p < 4; p++) {
			char sn[8];
			snprintf(sn, sizeof(sn), "s%d", p);
			if (tu_sink_count(r, sn) != want[p])
				fail_msg("round %d (%s): output %d has %d packets, brute force %d", round, extra, p,
					 tu_sink_count(r, sn), want[p]);
		}
		assert_int_equal(tu_read_int(r, "a.nomatch"), want[3]);
		tu_router_free(r);
		free(g);
	}
}

static void test_random(void **st)
{
	(void)st;
	random_rounds("", 20);
}

/* On a device the IPv4 rules run in the kernel; IPv6 packets get no key
 * there and are looked up when their results are applied, in order. */
static void test_random_opencl(void **st)
{
	(void)st;
	struct rt_err err;
	rt_err_clear(&err);
	if (mig_available(MIG_OPENCL, &err) < 0) {
		print_message("SKIP opencl: %s\n", err.msg);
		skip();
	}
	random_rounds(", PLACEMENT opencl, BATCH 64, LATENCY 20us", 3);
}

static const char *cfg46 =
	"cm :: ClassifierMerge; n :: Null; Idle -> n -> a :: ACLClassifier("
	"\"@10.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 0x0000/0x0000 class 1\","
	"\"@2001:db8::/32 ::/0 0 : 65535 80 : 80 0x06/0xFF 0x0000/0x0000 class 1\", NOMATCH 0);\n"
	"a[0] -> b :: ACLClassifier(\"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00\", NOMATCH 1);\n"
	"a[1] -> s1 :: TestSink; b[0] -> b0 :: TestSink; b[1] -> b1 :: TestSink;";

static void test_live_and_chain(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(cfg46, NULL);
	/* a has IPv6 rules: no merged chain (merged chains classify IPv4 only) */
	assert_string_equal(tu_read(r, "cm.chains"), "");
	assert_string_equal(tu_read(r, "a.rules"),
			    "0\t@10.0.0.0/8\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\tclass 1 prio 0\n"
			    "v6.0\t@2001:db8::/32\t::/0\t0 : 65535\t80 : 80\t0x06/0xff\t0x0000/0x0000\tclass 1 prio 1\n");
	struct cls_key6 k;
	memset(&k, 0, sizeof(k));
	inet_pton(AF_INET6, "2001:db8::5", k.src);
	inet_pton(AF_INET6, "2001:db8:9::1", k.dst);
	k.f.proto = 6, k.f.sport = 1000, k.f.dport = 80;
	tu_push1(r, "n", 0, pkt6(r, &k, 1));
	assert_int_equal(tu_sink_count(r, "s1"), 1);
	k.f.dport = 81;
	tu_push1(r, "n", 0, pkt6(r, &k, 0));
	assert_int_equal(tu_sink_count(r, "b1"), 1); /* b: not IPv4, its NOMATCH */
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tu_write(r, "a.add_rule", "@2001:db8::/48 2001:db8:9::/48 0 : 65535 81 : 81 0x06/0xFF 0x0000/0x0000 class 1", &err), 0);
	assert_int_equal(tu_write(r, "a.add_rule", "@2001:db8::/48 ::/0 0 : 65535 0 : 65535 0x06/0xFF class 9", &err), -EINVAL);
	assert_string_equal(err.msg, "add_rule: class 9 but there are only 2 outputs");
	k.f.dport = 81;
	tu_push1(r, "n", 0, pkt6(r, &k, 0));
	assert_int_equal(tu_sink_count(r, "s1"), 2); /* the added rule */
	assert_int_equal(tu_read_int(r, "a.nomatch"), 1);
	assert_int_equal(tu_write(r, "a.remove_rule", "v6.0", &err), 0);
	assert_int_equal(tu_write(r, "a.remove_rule", "v6.0", &err), -ENOENT);
	assert_string_equal(err.msg, "remove_rule: no rule v6.0");
	assert_int_equal(tu_write(r, "a.remove_rule", "v6.1", &err), 0);
	/* no IPv6 rule left: a joins a merged chain again */
	assert_string_equal(tu_read(r, "cm.chains"), "a: a b (merged 2 rules) paths 7\n");
	tu_router_free(r);
}

static void test_errors(void **st)
{
	(void)st;
	tu_expect_error("a :: ACLClassifier(\"@2001:db8::/129 ::/0 0 : 65535 0 : 65535 0x00/0x00\"); Idle -> a -> Idle;",
			"test.click:1:1: a: argument 1: bad source prefix (IPv6 ADDR/LEN) at '2001:db8::/129 ::/0 0 : 65535 0 : 65535 '");
	tu_expect_error("a :: ACLClassifier(\"@2001:db8::/32 ::/0 0 : 65535 0 : 65535 0x00/0x00 class 4\"); Idle -> a -> Idle;",
			"test.click:1:1: a: IPv6 rule v6.0 has class 4 but there is only 1 output");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_random_opencl),
		cmocka_unit_test(test_live_and_chain),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
