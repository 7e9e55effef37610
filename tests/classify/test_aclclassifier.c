/*
 * test_aclclassifier.c - the ACLClassifier element: rules from arguments and
 * from a file, packets to the output of their best rule (checked against
 * the linear search on a generated rule set), NOMATCH, live add_rule and
 * remove_rule with errors that leave the rules as they were, and the rules,
 * shadowed, counts and stats handlers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tu.h"
#include "cls_acl.h"

static struct rte_mbuf *ip_pkt(struct rt_router *r, uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport,
			       uint16_t dport, uint8_t tcpflags)
{
	uint8_t buf[256];
	char s[32], d[32];
	snprintf(s, sizeof(s), "%u.%u.%u.%u", src >> 24, (src >> 16) & 255, (src >> 8) & 255, src & 255);
	snprintf(d, sizeof(d), "%u.%u.%u.%u", dst >> 24, (dst >> 16) & 255, (dst >> 8) & 255, dst & 255);
	int n = proto == 6 ? tu_build_tcp(buf, s, d, sport, dport, tcpflags, 1, "x", 1)
			   : tu_build_udp(buf, s, d, sport, dport, "x", 1);
	return tu_pkt(r, buf + 14, (uint32_t)n - 14); /* IP header first */
}

static const char *cfg3 =
	"a :: ACLClassifier(\"@10.0.0.0/8 0.0.0.0/0 0 : 65535 80 : 80 0x06/0xFF 0x0000/0x0000 class 1\",\n"
	"  \"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x11/0xFF 0x0000/0x0000 class 2\", NOMATCH 0);\n"
	"Idle -> a; a[0] -> s0 :: TestSink; a[1] -> s1 :: TestSink; a[2] -> s2 :: TestSink;";

static void test_arguments(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(cfg3, NULL);
	tu_push1(r, "a", 0, ip_pkt(r, 0x0a010101, 0x02020202, 6, 1000, 80, 0x10));
	tu_push1(r, "a", 0, ip_pkt(r, 0x0b010101, 0x02020202, 17, 1000, 53, 0));
	tu_push1(r, "a", 0, ip_pkt(r, 0x0a010101, 0x02020202, 6, 1000, 81, 0x10)); /* no rule */
	uint8_t arp[60] = {0x00, 0x01, 0x08, 0x00};
	tu_push1(r, "a", 0, tu_pkt(r, arp, sizeof(arp))); /* not IPv4 */
	assert_int_equal(tu_sink_count(r, "s1"), 1);
	assert_int_equal(tu_sink_count(r, "s2"), 1);
	assert_int_equal(tu_sink_count(r, "s0"), 2);
	assert_int_equal(tu_read_int(r, "a.count"), 2);
	assert_int_equal(tu_read_int(r, "a.nomatch"), 2);
	assert_string_equal(tu_read(r, "a.counts"), "0 0\n1 1\n2 1\n");
	assert_non_null(strstr(tu_read(r, "a.stats"), "rules 2\n"));
	tu_router_free(r);
}

/* No rules at all: everything goes to NOMATCH until a rule is added. */
static void test_empty(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("a :: ACLClassifier(NOMATCH 1); Idle -> a; a[0] -> s0 :: TestSink; "
					"a[1] -> s1 :: TestSink;",
					NULL);
	tu_push1(r, "a", 0, ip_pkt(r, 0x0a010101, 0x02020202, 17, 1, 2, 0));
	assert_int_equal(tu_sink_count(r, "s1"), 1);
	assert_string_equal(tu_read(r, "a.rules"), "");
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tu_write(r, "a.add_rule", "@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00", &err), 0);
	tu_push1(r, "a", 0, ip_pkt(r, 0x0a010101, 0x02020202, 17, 1, 2, 0));
	assert_int_equal(tu_sink_count(r, "s0"), 1);
	assert_int_equal(tu_write(r, "a.add_rule", "", &err), -EINVAL);
	assert_string_equal(err.msg, "add_rule: expected a rule");
	tu_router_free(r);
}

static void test_config_errors(void **st)
{
	(void)st;
	tu_expect_error("a :: ACLClassifier(\"@10.0.0.0/8 0.0.0.0/0 0 : 65535 80 : 80 tcp\"); Idle -> a -> Idle;",
			"test.click:1:1: a: argument 1: bad protocol (VALUE/MASK) at 'tcp'");
	tu_expect_error("a :: ACLClassifier(\"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 class 3\"); "
			"Idle -> a -> Idle;",
			"test.click:1:1: a: rule 0 has class 3 but there is only 1 output");
	tu_expect_error("a :: ACLClassifier(NOMATCH 2); Idle -> a -> Idle;",
			"test.click:1:1: a: NOMATCH 2: there is no such output");
	tu_expect_error("a :: ACLClassifier(FILE /nonexistent/acl); Idle -> a -> Idle;",
			"test.click:1:1: a: /nonexistent/acl: No such file or directory");
	char path[] = "/tmp/mbx_aclXXXXXX";
	int fd = mkstemp(path);
	const char *text = "@1.2.3.4/32 5.6.7.8/32 0 : 65535 80 : 80 0x06/0xFF 0x0000/0x0000\n"
			   "\n"
			   "@1.2.3.4/32 5.6.7.8/32 0 : 65535 80 : 80 0x06/0xFF 0x0000/0x0000 klass 2\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char conf[256], want[512];
	snprintf(conf, sizeof(conf), "a :: ACLClassifier(FILE %s); Idle -> a -> Idle;", path);
	snprintf(want, sizeof(want), "%s:3:66: a: bad rule end (expected 'class N' or 'prio N') at 'klass'", path);
	tu_expect_error(conf, want);
	unlink(path);
}

/* A generated rule set from a file: every packet leaves by the class of
 * the rule the linear search picks, in order within each output. */
static void test_file_against_linear(void **st)
{
	(void)st;
	struct cls_ruleset s;
	cls_ruleset_init(&s);
	cls_gen_rules(CLS_SHAPE_FW, 1000, 3, 4, &s);
	char path[] = "/tmp/mbx_aclXXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct rt_buf b;
	rt_buf_init(&b);
	for (uint32_t i = 0; i < s.n; i++) {
		rt_buf_reset(&b);
		cls_rule_unparse(&s.r[i], &b);
		fprintf(f, "%s\n", b.p);
	}
	fclose(f);
	rt_buf_free(&b);
	char conf[512];
	snprintf(conf, sizeof(conf),
		 "a :: ACLClassifier(FILE %s, NOMATCH 3); Idle -> a; a[0] -> s0 :: TestSink; a[1] -> s1 :: TestSink; "
		 "a[2] -> s2 :: TestSink; a[3] -> s3 :: TestSink;",
		 path);
	struct rt_router *r = tu_router(conf, NULL);
	unlink(path);
	uint32_t nk = 2000, want[4] = {0};
	struct cls_key *keys = malloc(sizeof(*keys) * nk);
	cls_gen_trace(s.r, s.n, nk, 10, 5, keys);
	struct rte_mbuf *pk[64];
	uint32_t np = 0, expect_of[2000];
	for (uint32_t i = 0; i < nk; i++) {
		struct cls_key k = keys[i];
		if (k.proto != 6 && k.proto != 17)
			k.proto = 17; /* packets can carry TCP or UDP ports */
		struct rte_mbuf *m = ip_pkt(r, k.src, k.dst, k.proto, k.sport, k.dport, (uint8_t)(k.flags >> 8));
		struct cls_key pkey;
		assert_true(cls_key_from_ip(rt_data(m), rt_len(m), &pkey));
		uint32_t w = cls_linear_lookup(s.r, s.n, &pkey);
		uint32_t out = w == CLS_NOMATCH ? 3 : s.r[w].cls;
		expect_of[np] = out;
		rt_anno(m)->seq = np;
		want[out]++;
		pk[np++ % 64] = m;
		if (np % 64 == 0)
			tu_push(r, "a", 0, pk, 64);
	}
	if (np % 64)
		tu_push(r, "a", 0, pk, (int)(np % 64));
	const char *sinks[4] = {"s0", "s1", "s2", "s3"};
	for (int o = 0; o < 4; o++) {
		assert_int_equal(tu_sink_count(r, sinks[o]), want[o]);
		uint64_t last = 0;
		for (int i = 0; i < tu_sink_count(r, sinks[o]); i++) {
			uint64_t seq = rt_anno(tu_sink_pkt(r, sinks[o], i))->seq;
			assert_int_equal(expect_of[seq], o);
			assert_true(i == 0 || seq > last);
			last = seq;
		}
	}
	fprintf(stderr, "per output: %u %u %u, no match %u\n", want[0], want[1], want[2], want[3]);
	assert_true(want[0] && want[1] && want[2]);
	free(keys);
	tu_router_free(r);
	cls_ruleset_free(&s);
}

static void test_live_rules(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(cfg3, NULL);
	struct rt_err err;
	rt_err_clear(&err);
	/* a flow that matches nothing, then a rule for it (after the others), then a better one */
	tu_push1(r, "a", 0, ip_pkt(r, 0x0c000001, 0x0d000001, 6, 5, 22, 0x02));
	assert_int_equal(tu_sink_count(r, "s0"), 1);
	assert_int_equal(tu_write(r, "a.add_rule", "@12.0.0.0/8 13.0.0.0/8 0 : 65535 22 : 22 0x06/0xFF 0x0200/0x0200 class 2",
				  &err), 0);
	tu_push1(r, "a", 0, ip_pkt(r, 0x0c000001, 0x0d000001, 6, 5, 22, 0x02));
	assert_int_equal(tu_sink_count(r, "s2"), 1);
	assert_int_equal(tu_write(r, "a.add_rule", "@12.0.0.1/32 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 class 1 prio 0",
				  &err), 0);
	tu_push1(r, "a", 0, ip_pkt(r, 0x0c000001, 0x0d000001, 6, 5, 22, 0x02));
	assert_int_equal(tu_sink_count(r, "s1"), 1);
	const char *rules = tu_read(r, "a.rules");
	assert_non_null(strstr(rules, "2\t@12.0.0.0/8\t13.0.0.0/8\t0 : 65535\t22 : 22\t0x06/0xff\t0x0200/0x0200\tclass 2 prio 2\n"));
	assert_non_null(strstr(rules, "3\t@12.0.0.1/32\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\tclass 1 prio 0\n"));
	/* the new rule 3 covers part of rule 2 with a better priority: not all of it */
	assert_string_equal(tu_read(r, "a.shadowed"), "");
	char before[4096];
	snprintf(before, sizeof(before), "%s", tu_read(r, "a.rules"));

	/* errors change nothing */
	assert_int_equal(tu_write(r, "a.add_rule", "@12.0.0.0/8 13.0.0.0/8 0 : 65535 22 : 22 0x06/0xFF 0/0 class 7", &err),
			 -EINVAL);
	assert_string_equal(err.msg, "add_rule: class 7 but there are only 3 outputs");
	rt_err_clear(&err);
	assert_int_equal(tu_write(r, "a.add_rule", "@12.0.0.0/8 13.0.0.0/8 0 : 65535 22 : 2", &err), -EINVAL);
	assert_string_equal(err.msg, "bad destination port range (LO : HI) at '22'");
	rt_err_clear(&err);
	assert_int_equal(tu_write(r, "a.remove_rule", "17", &err), -ENOENT);
	assert_string_equal(err.msg, "no rule 17");
	rt_err_clear(&err);
	assert_int_equal(tu_write(r, "a.remove_rule", "x", &err), -EINVAL);
	assert_string_equal(tu_read(r, "a.rules"), before);

	/* remove the better rule: back to class 2; then that one: no match */
	assert_int_equal(tu_write(r, "a.remove_rule", "3", &err), 0);
	tu_push1(r, "a", 0, ip_pkt(r, 0x0c000001, 0x0d000001, 6, 5, 22, 0x02));
	assert_int_equal(tu_sink_count(r, "s2"), 2);
	assert_int_equal(tu_write(r, "a.remove_rule", "2", &err), 0);
	tu_push1(r, "a", 0, ip_pkt(r, 0x0c000001, 0x0d000001, 6, 5, 22, 0x02));
	assert_int_equal(tu_sink_count(r, "s0"), 2);
	/* a shadowed rule is reported */
	assert_int_equal(tu_write(r, "a.add_rule", "@10.1.0.0/16 0.0.0.0/0 0 : 65535 80 : 80 0x06/0xFF 0/0 class 2", &err), 0);
	assert_string_equal(tu_read(r, "a.shadowed"), "4 shadowed by 0\n");
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_file_against_linear),
		cmocka_unit_test(test_live_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
