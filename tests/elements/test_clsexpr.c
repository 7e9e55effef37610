/*
 * test_clsexpr.c - the Classifier language and the expression compiler
 * (classify/cls_expr.c, classify/cls_ipexpr.c): Classifier patterns, error
 * messages, program dumps and edge cases, and a randomized comparison
 * against hand-written checks.
 */
#include <errno.h>
#include <stdlib.h>

#include "cls_util.h"

static struct cls_prog *cl_prog(int argc, const char **argv)
{
	struct cls_prog *prog = NULL;
	struct rt_err err;
	rt_err_clear(&err);
	int rc = cls_classifier_compile(argc, (char **)argv, NULL, &prog, &err);
	if (rc)
		fprintf(stderr, "compile failed: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return prog;
}

static int cl1(const char *pat, const uint8_t *p, uint32_t len)
{
	struct cls_prog *prog = cl_prog(1, &pat);
	int r = cls_prog_match(prog, p, len);
	cls_prog_free(prog);
	return r;
}

/* Compilation must fail with exactly `msg`. */
static void ip_err(enum cls_ipmode mode, int argc, const char **argv, const char *msg)
{
	struct cls_prog *prog = NULL;
	struct rt_err err;
	int n = -7;
	rt_err_clear(&err);
	int rc = cls_ip_compile(mode, argc, (char **)argv, NULL, &prog, &n, &err);
	if (rc == 0 || strcmp(err.msg, msg))
		fprintf(stderr, "for '%s': want \"%s\", got rc %d \"%s\"\n", argv[argc - 1], msg, rc, err.msg);
	assert_int_equal(rc, -EINVAL);
	assert_null(prog);
	assert_string_equal(err.msg, msg);
}

static void expr_err(const char *expr, const char *msg) { ip_err(CLS_IPCLASSIFIER, 1, &expr, msg); }

static void cl_err(const char *pat, const char *msg)
{
	struct cls_prog *prog = NULL;
	struct rt_err err;
	rt_err_clear(&err);
	int rc = cls_classifier_compile(1, (char **)&pat, NULL, &prog, &err);
	if (rc == 0 || strcmp(err.msg, msg))
		fprintf(stderr, "for '%s': want \"%s\", got \"%s\"\n", pat, msg, err.msg);
	assert_int_equal(rc, -EINVAL);
	assert_null(prog);
	assert_string_equal(err.msg, msg);
}

/* ---- Classifier ------------------------------------------------------------ */

static void test_classifier_ethernet(void **state)
{
	(void)state;
	/* Click's Classifier example: ARP request, ARP reply, IP, other */
	const char *pats[] = {"12/0806 20/0001", "12/0806 20/0002", "12/0800", "-"};
	struct cls_prog *prog = cl_prog(4, pats);
	uint8_t f[64] = {0};
	f[12] = 0x08, f[13] = 0x06, f[21] = 1;
	assert_int_equal(cls_prog_match(prog, f, 60), 0);
	f[21] = 2;
	assert_int_equal(cls_prog_match(prog, f, 60), 1);
	f[21] = 3;
	assert_int_equal(cls_prog_match(prog, f, 60), 3);
	f[13] = 0;
	assert_int_equal(cls_prog_match(prog, f, 60), 2);
	f[12] = 0x86, f[13] = 0xdd;
	assert_int_equal(cls_prog_match(prog, f, 60), 3);
	assert_int_equal(cls_prog_match(prog, f, 0), 3);
	cls_prog_free(prog);

	const char *nomatch[] = {"12/0800"};
	prog = cl_prog(1, nomatch);
	assert_int_equal(cls_prog_match(prog, f, 60), -1);
	cls_prog_free(prog);
	prog = cl_prog(0, NULL);
	assert_int_equal(cls_prog_match(prog, f, 60), -1);
	cls_prog_free(prog);
}

static void test_classifier_masks(void **state)
{
	(void)state;
	uint8_t f[32] = {0};
	f[12] = 0x08, f[13] = 0x00, f[14] = 0x45;
	assert_int_equal(cl1("12/0800%ff00", f, 32), 0);
	assert_int_equal(cl1("12/0900%fe00", f, 32), 0);
	assert_int_equal(cl1("12/0900%ff00", f, 32), -1);
	assert_int_equal(cl1("12/08??", f, 32), 0);
	assert_int_equal(cl1("12/08?? 14/4?", f, 32), 0);
	assert_int_equal(cl1("14/4?", f, 32), 0);
	assert_int_equal(cl1("14/?5", f, 32), 0);
	assert_int_equal(cl1("14/?6", f, 32), -1);
	assert_int_equal(cl1("14/4f%f0", f, 32), 0); /* value bits outside the mask are ignored */
	assert_int_equal(cl1("12/08AB%FF00", f, 32), 0);
	/* only bytes the mask covers must be present */
	assert_int_equal(cl1("12/08??", f, 13), 0);
	assert_int_equal(cl1("12/08??", f, 12), -1);
	assert_int_equal(cl1("20/????", f, 0), 0);
	/* values longer than a word */
	uint8_t mac[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8};
	assert_int_equal(cl1("0/ffffffffffff", mac, 14), 0);
	assert_int_equal(cl1("6/0102030405060708", mac, 14), 0);
	assert_int_equal(cl1("6/0102030405060709", mac, 14), -1);
	assert_int_equal(cl1("6/01??03????06", mac, 14), 0);
	assert_int_equal(cl1("6/0102030405060708", mac, 13), -1);
	assert_int_equal(cl1("7/02 9/04", mac, 14), 0);
}

static void test_classifier_negation(void **state)
{
	(void)state;
	uint8_t f[32] = {0};
	f[12] = 0x08, f[13] = 0x06;
	assert_int_equal(cl1("!12/0800", f, 32), 0);
	assert_int_equal(cl1("!12/0806", f, 32), -1);
	assert_int_equal(cl1("! 12/0806", f, 32), -1);
	assert_int_equal(cl1("12/0806 !20/0001", f, 32), 0);
	assert_int_equal(cl1("!12/08?? 0/00", f, 32), -1);
	/* Click: a clause past the end fails, so its negation succeeds */
	assert_int_equal(cl1("30/0000", f, 31), -1);
	assert_int_equal(cl1("!30/0000", f, 31), 0);
	assert_int_equal(cl1("!30/0000", f, 32), -1);
	assert_int_equal(cl1("12/0806 !40/01", f, 32), 0);
	assert_int_equal(cl1("!6/0102030405060708", f, 10), 0);
}

static void test_classifier_errors(void **state)
{
	(void)state;
	cl_err("x1/0800", "pattern 0: bad offset 'x1'");
	cl_err("/0800", "pattern 0: bad offset ''");
	cl_err("99999/00", "pattern 0: bad offset '99999'");
	cl_err("12:0800", "pattern 0: missing '/' in clause '12:0800'");
	cl_err("12/08g0", "pattern 0: bad value '08g0'");
	cl_err("12/080", "pattern 0: value '080' has an odd number of hex digits");
	cl_err("12/", "pattern 0: missing value in clause '12/'");
	cl_err("12/0800%ffzz", "pattern 0: bad mask 'ffzz'");
	cl_err("12/0800%ff", "pattern 0: mask 'ff' and value '0800' differ in length");
	cl_err("12/0800%ff?" "?", "pattern 0: bad mask 'ff?" "?'");
	cl_err("", "pattern 0: empty pattern");
	cl_err("   ", "pattern 0: empty pattern");
	cl_err("- 12/0800", "pattern 0: '-' must be the whole pattern");
	cl_err("12/0800 !", "pattern 0: '!' without a clause");
	/* numbering and location */
	const char *pats[] = {"12/0800", "-", "x1/00"};
	struct rt_loc loc = {"test.click", 7, 3};
	struct rt_err err;
	struct cls_prog *prog = NULL;
	rt_err_clear(&err);
	assert_int_equal(cls_classifier_compile(3, (char **)pats, &loc, &prog, &err), -EINVAL);
	assert_string_equal(err.msg, "pattern 2: bad offset 'x1'");
	assert_string_equal(err.loc.file, "test.click");
	assert_int_equal(err.loc.line, 7);
	assert_int_equal(err.loc.col, 3);
	assert_null(prog);
}

/* ---- errors ------------------------------------------------------------------ */

static void test_expression_errors(void **state)
{
	(void)state;
	expr_err("tpc", "expression 0: unknown word 'tpc'");
	expr_err("tcp and tpc", "expression 0: unknown word 'tpc'");
	expr_err("tcp )", "expression 0: syntax error near ')'");
	expr_err("( )", "expression 0: syntax error near ')'");
	expr_err("(tcp", "expression 0: missing ')'");
	expr_err("(tcp or", "expression 0: missing term after 'or'");
	expr_err("tcp and", "expression 0: missing term after 'and'");
	expr_err("not", "expression 0: missing term after 'not'");
	expr_err("and tcp", "expression 0: syntax error near 'and'");
	expr_err("tcp or or udp", "expression 0: syntax error near 'or'");
	expr_err("tcp $ udp", "expression 0: syntax error near '$'");
	expr_err("", "expression 0: empty expression");
	expr_err("tcp ? udp", "expression 0: missing ':' in '?:' expression");
	expr_err("80", "expression 0: number '80' needs a field, e.g. 'port 80'");
	expr_err("src", "expression 0: incomplete primitive near 'src'");
	expr_err("echo", "expression 0: 'echo' is ambiguous: say 'port echo' or 'icmp type echo'");
	expr_err("port", "expression 0: missing value for 'port'");
	expr_err("port foo", "expression 0: bad value 'foo' for 'port'");
	expr_err("port 70000", "expression 0: value '70000' out of range for 'port' (0-65535)");
	expr_err("icmp port 80", "expression 0: 'port' needs TCP or UDP, not protocol 1");
	expr_err("udp opt syn", "expression 0: transport protocol specified twice near 'opt'");
	expr_err("tcp opt bogus", "expression 0: unknown TCP option 'bogus'");
	expr_err("tcp opt > syn", "expression 0: can't use '>' with 'tcp opt'");
	expr_err("host 10.0.0.0/8", "expression 0: 'host' needs an IP address, not '10.0.0.0/8'");
	expr_err("host", "expression 0: missing IP address for 'host'");
	expr_err("net 10.0.0.1", "expression 0: 'net' needs a prefix like 10.0.0.0/8, not '10.0.0.1'");
	expr_err("host > 10.0.0.1", "expression 0: can't use '>' with 'host'");
	expr_err("net 10.0.0.0/33", "expression 0: bad prefix '10.0.0.0/33'");
	expr_err("net 1.2.3.4 mask 255.x", "expression 0: bad netmask '255.x'");
	expr_err("ip ttl 300", "expression 0: value '300' out of range for 'ip ttl' (0-255)");
	expr_err("ip ttl >", "expression 0: missing value after '>'");
	expr_err("ip ttl > and tcp", "expression 0: missing value after '>' near 'and'");
	expr_err("ip ttl & 0x100 = 1", "expression 0: mask 0x100 out of range for 'ip ttl' (0-0xff)");
	expr_err("ip ttl & foo", "expression 0: bad mask 'foo' after '&'");
	expr_err("src ttl 5", "expression 0: 'src' or 'dst' is meaningless with 'ip ttl'");
	expr_err("src dst host 1.2.3.4", "expression 0: 'src' or 'dst' specified twice near 'dst'");
	expr_err("port host 1.2.3.4", "expression 0: type specified twice near 'host'");
	expr_err("tcp udp", "expression 0: transport protocol specified twice near 'udp'");
	expr_err("ip frag 5", "expression 0: 'ip frag' takes no value (got '5')");
	expr_err("ip proto", "expression 0: missing protocol for 'proto'");
	expr_err("tcp proto 17", "expression 0: transport protocol specified twice near '17'");
	expr_err("port 2000-1000", "expression 0: bad range '2000-1000': low end above high end");
	expr_err("port < 1000-2000", "expression 0: can't use '<' with a range");
	expr_err("ip[70000]", "expression 0: bad field '[70000]', expected '[POS]' or '[POS:LEN]'");
	expr_err("ip[1:5] = 0", "expression 0: LEN in '[1:5]' must be 1 to 4");
	expr_err("ip[1 = 0", "expression 0: missing ']'");
	expr_err("src [1] = 0", "expression 0: '[' must follow 'ip', 'transp', 'tcp', 'udp' or 'icmp'");
	expr_err("transp", "expression 0: 'transp' must be followed by '[POS]' or '[POS:LEN]'");
	expr_err("host & 0xff 1.2.3.4", "expression 0: can't use '&' with 'host'");
	expr_err("host 1.2.3.4 & 5", "expression 0: syntax error near '&'");
	char deep[512] = "";
	for (int i = 0; i < 150; i++)
		strcat(deep, "(");
	expr_err(deep, "expression 0: expression nested too deeply");
	/* numbering: the failing argument is named */
	const char *multi[] = {"tcp", "udp", "icmp", "(udp or tcp))"};
	ip_err(CLS_IPCLASSIFIER, 4, multi, "expression 3: syntax error near ')'");
}

static void test_ipfilter_errors(void **state)
{
	(void)state;
	const char *a[] = {"allow tcp", "drop udp", "allw icmp"};
	ip_err(CLS_IPFILTER, 3, a, "rule 2: unknown action 'allw'");
	const char *b[] = {"allow"};
	ip_err(CLS_IPFILTER, 1, b, "rule 0: missing expression after 'allow'");
	const char *c[] = {"allow tcp", ""};
	ip_err(CLS_IPFILTER, 2, c, "rule 1: empty rule");
	const char *d[] = {"-1 tcp"};
	ip_err(CLS_IPFILTER, 1, d, "rule 0: unknown action '-1'");
	const char *e[] = {"5000 tcp"};
	ip_err(CLS_IPFILTER, 1, e, "rule 0: output 5000 out of range (0-1023)");
	const char *f[] = {"allow tcp", "deny tpc"};
	ip_err(CLS_IPFILTER, 2, f, "rule 1: unknown word 'tpc'");
}

/* ---- dump ------------------------------------------------------------------ */

static void test_dump(void **state)
{
	(void)state;
	const char *rules[] = {"allow tcp dst port 80", "drop udp", "2 -"};
	struct cls_prog *prog = ip_prog(CLS_IPFILTER, 3, rules, NULL);
	struct rt_buf b;
	rt_buf_init(&b);
	cls_prog_dump(prog, &b);
	assert_non_null(b.p);
	assert_non_null(strstr(b.p, "IPFilter program"));
	assert_non_null(strstr(b.p, "ip[9:1] == 0x6"));
	assert_non_null(strstr(b.p, "transp[2:2] == 0x50"));
	assert_non_null(strstr(b.p, "length(transp) >= 4"));
	assert_non_null(strstr(b.p, "yes->[0]"));
	assert_non_null(strstr(b.p, "[drop]"));
	assert_non_null(strstr(b.p, "bad IP header -> [2]"));
	cls_prog_free(prog);

	const char *pats[] = {"12/0800 14/4?"};
	prog = cl_prog(1, pats);
	rt_buf_reset(&b);
	cls_prog_dump(prog, &b);
	assert_non_null(strstr(b.p, "Classifier program, 2 steps"));
	assert_non_null(strstr(b.p, "data[12:2] == 0x800  yes->step 1  no->[drop]"));
	assert_non_null(strstr(b.p, "data[14:1] & 0xf0 == 0x40"));
	cls_prog_free(prog);

	const char *all[] = {"not false"};
	prog = ip_prog(CLS_IPCLASSIFIER, 1, all, NULL);
	rt_buf_reset(&b);
	cls_prog_dump(prog, &b);
	assert_non_null(strstr(b.p, "0 steps"));
	assert_non_null(strstr(b.p, "entry -> [0]"));
	cls_prog_free(prog);
	rt_buf_reset(&b);
	cls_prog_dump(NULL, &b);
	assert_string_equal(b.p, "(no program)\n");
	rt_buf_free(&b);
}

static void test_ternary(void **state)
{
	(void)state;
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 80, 0), u = udp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 80);
	assert_true(m("tcp ? true : false", &t) && !m("tcp ? true : false", &u));
	assert_true(m("tcp ? false : true", &u) && !m("tcp ? false : true", &t));
	assert_true(m("true ? udp : tcp", &u) && !m("true ? udp : tcp", &t));
	assert_true(m("tcp ? dst port 80 : false", &t) && !m("tcp ? dst port 80 : false", &u));
	assert_true(m("tcp ? false : dst port 80", &u) && m("udp ? dst port 80 : true", &t));
	assert_true(m("(tcp ? udp : icmp) or dst port 80", &u));
	assert_false(m("tcp ? udp : icmp", &t) || m("tcp ? udp : icmp", &u));
}

static void test_ambiguous_names(void **state)
{
	(void)state;
	struct pk e = icmp_pkt(A_10_0_0_1, A_8_8_8_8, 8), t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 7, 0);
	expr_err("dst echo", "expression 0: 'echo' is ambiguous: say 'port echo' or 'icmp type echo'");
	assert_true(m("icmp echo", &e) && !m("icmp echo", &t));
	assert_true(m("port echo", &t) && !m("port echo", &e) && m("udp or tcp echo", &t));
	assert_true(m("icmp type echo", &e));
	/* "route" and "rip" are both 520 */
	struct pk r = udp_pkt(A_10_0_0_1, A_8_8_8_8, 520, 520);
	assert_true(m("udp port route and port rip", &r));
}

static void test_constant_rules(void **state)
{
	(void)state;
	const char *rules[] = {"false", "not true or false", "tcp", "not false", "udp"};
	int n;
	struct cls_prog *prog = ip_prog(CLS_IPCLASSIFIER, 5, rules, &n);
	assert_int_equal(n, 5);
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2, 0), u = udp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2);
	assert_int_equal(cls_prog_match(prog, t.b, t.len), 2);
	assert_int_equal(cls_prog_match(prog, u.b, u.len), 3);
	assert_int_equal(cls_prog_match(prog, u.b, 5), 3);
	struct rt_buf b;
	rt_buf_init(&b);
	cls_prog_dump(prog, &b);
	/* only "tcp" needs a step; the unreachable "udp" was not compiled */
	assert_non_null(strstr(b.p, "program, 1 step\n"));
	assert_non_null(strstr(b.p, "ip[9:1] == 0x6  yes->[2]  no->[3]"));
	rt_buf_free(&b);
	cls_prog_free(prog);
}

static void test_long_expressions(void **state)
{
	(void)state;
	size_t cap = 20000;
	char *e = malloc(cap);
	assert_non_null(e);
	strcpy(e, "dst port 1");
	for (int i = 2; i <= 1500; i++)
		snprintf(e + strlen(e), cap - strlen(e), " or %d", i);
	struct pk hit = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 9, 1499, 0), miss = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 9, 1501, 0);
	assert_true(m(e, &hit) && !m(e, &miss));
	strcpy(e, "tcp");
	for (int i = 0; i < 1500; i++)
		strcat(e, " not udp");
	assert_true(m(e, &hit));
	strcpy(e, "");
	for (int i = 0; i < 90; i++)
		strcat(e, "(");
	strcat(e, "tcp");
	for (int i = 0; i < 90; i++)
		strcat(e, ")");
	assert_true(m(e, &hit));
	free(e);
}

/* Exact-size heap copies at every length: the sanitizer would catch any
 * read past `len`, and truncations must behave as the reference says. */
static int ref_filter(const uint8_t *p, uint32_t len);
static const char *filter_rules[] = {
	"allow tcp and dst port 80 and src net 10.0.0.0/8",
	"1 udp and (src port 53 or dst port 53)",
	"2 icmp type echo and not ip frag",
	"drop ip ttl < 5",
	"3 src host 10.1.2.3 or dst host 10.1.2.3",
	"4 syn and not ack",
	"5 port > 1023",
	"6 tcp port != 443",
	"7 not port 22",
};

static void test_every_length(void **state)
{
	(void)state;
	struct cls_prog *prog = ip_prog(CLS_IPFILTER, 9, filter_rules, NULL);
	const char *br[] = {"ip[100:4] != 0", "tcp[18:4] = 0 or udp[7] = 0", "tcp win 8192", "icmp type != 3", "-"};
	struct cls_prog *prog2 = ip_prog(CLS_IPCLASSIFIER, 5, br, NULL);
	const char *pats[] = {"0/45 !22/0050", "30/000000000000 !44/ff", "-"};
	struct cls_prog *prog3 = cl_prog(3, pats);
	struct pk pkts[5] = {tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 80, TH_SYN), udp_pkt(A_10_1_2_3, A_8_8_8_8, 53, 1),
			     icmp_pkt(A_10_0_0_1, A_8_8_8_8, 8), tcp_pkt(A_8_8_8_8, A_10_0_0_1, 2000, 22, TH_ACK),
			     tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 80, TH_SYN)};
	set_ihl(&pkts[4], 8);
	for (size_t k = 0; k < 5; k++) {
		for (uint32_t len = 0; len <= pkts[k].len; len++) {
			uint8_t *copy = malloc(len ? len : 1);
			assert_non_null(copy);
			memcpy(copy, pkts[k].b, len);
			assert_int_equal(cls_prog_match(prog, copy, len), ref_filter(copy, len));
			int r2 = cls_prog_match(prog2, copy, len), r3 = cls_prog_match(prog3, copy, len);
			assert_true(r2 >= 0 && r2 <= 4 && r3 >= 0 && r3 <= 2);
			if (len < 20)
				assert_int_equal(r2, 4);
			free(copy);
		}
	}
	cls_prog_free(prog);
	cls_prog_free(prog2);
	cls_prog_free(prog3);
}

static void test_ip_error_location(void **state)
{
	(void)state;
	const char *a[] = {"tcp", "udp and ("};
	struct rt_loc loc = {"fw.click", 12, 5};
	struct rt_err err;
	struct cls_prog *prog = NULL;
	int n = -3;
	rt_err_clear(&err);
	assert_int_equal(cls_ip_compile(CLS_IPCLASSIFIER, 2, (char **)a, &loc, &prog, &n, &err), -EINVAL);
	assert_string_equal(err.msg, "expression 1: missing term after '('");
	assert_string_equal(err.loc.file, "fw.click");
	assert_int_equal(err.loc.line, 12);
	char buf[256];
	assert_string_equal(rt_err_str(&err, buf, sizeof(buf)), "fw.click:12:5: expression 1: missing term after '('");
	assert_null(prog);
	assert_int_equal(n, -3); /* untouched on failure */
}

/* ---- randomized comparison -------------------------------------------------- */

static uint32_t rng = 0x12345678;
static uint32_t rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
	return rng;
}
static uint32_t pick(const uint32_t *v, size_t n) { return v[rnd() % n]; }

static struct pk random_pkt(void)
{
	static const uint32_t addrs[] = {A_10_0_0_1, A_10_1_2_3, A_192_168_1_1, A_8_8_8_8};
	static const uint32_t ports[] = {22, 53, 80, 443, 1023, 1024, 5000};
	static const uint32_t protos[] = {6, 6, 17, 17, 1, 47};
	static const uint32_t ihls[] = {5, 5, 5, 5, 5, 6, 4, 15};
	static const uint32_t frags[] = {0, 0, 0, 0, 0x2000, 0x0010, 0x4000, 0x2001};
	static const uint32_t types[] = {0, 3, 8, 11};
	struct pk p = ip_pkt((uint8_t)pick(protos, 6), pick(addrs, 4), pick(addrs, 4), 20);
	for (int i = 20; i < 40; i++)
		p.b[i] = (uint8_t)rnd();
	if (p.b[9] == 1)
		p.b[20] = (uint8_t)pick(types, 4);
	else
		put16(p.b + 20, pick(ports, 7)), put16(p.b + 22, pick(ports, 7));
	p.b[8] = (uint8_t)(rnd() % 3 ? 64 : rnd() % 8);
	put16(p.b + 6, pick(frags, 8));
	uint32_t ihl = pick(ihls, 8);
	if (ihl == 6)
		set_ihl(&p, 6);
	else
		p.b[0] = (uint8_t)(0x40 | ihl);
	if (rnd() % 4 == 0)
		p.len = rnd() % (p.len + 1);
	return p;
}

/* filter_rules, written out by hand. */
static int ref_filter(const uint8_t *p, uint32_t len)
{
	if (len < 20)
		return -1;
	uint32_t hl = (uint32_t)(p[0] & 15) * 4;
	if (hl < 20 || hl > len)
		return -1;
	uint32_t proto = p[9], frag = get16(p + 6), src = get32(p + 12), dst = get32(p + 16);
	const uint8_t *t = p + hl;
	uint32_t tl = len - hl;
	bool first = (frag & 0x1fff) == 0;
	/* "src port" needs 2 transport bytes; "dst port" and "port" need 4 */
	bool tu2 = first && (proto == 6 || proto == 17) && tl >= 2, tu = tu2 && tl >= 4;
	uint32_t sp = tu2 ? get16(t) : 0, dp = tu ? get16(t + 2) : 0;
	bool flags = first && proto == 6 && tl >= 14;
	if (tu && proto == 6 && dp == 80 && (src >> 24) == 10)
		return 0;
	if (proto == 17 && ((tu2 && sp == 53) || (tu && dp == 53)))
		return 1;
	if (proto == 1 && first && tl >= 1 && t[0] == 8 && (frag & 0x3fff) == 0)
		return 2;
	if (p[8] < 5)
		return -1;
	if (src == A_10_1_2_3 || dst == A_10_1_2_3)
		return 3;
	if (flags && (t[13] & TH_SYN) && !(t[13] & TH_ACK))
		return 4;
	if (tu && (sp > 1023 || dp > 1023))
		return 5;
	if (tu && proto == 6 && sp != 443 && dp != 443)
		return 6;
	if (!(tu && (sp == 22 || dp == 22)))
		return 7;
	return -1;
}

static void test_property_ipfilter(void **state)
{
	(void)state;

	int n;
	struct cls_prog *prog = ip_prog(CLS_IPFILTER, 9, filter_rules, &n);
	assert_int_equal(n, 8);
	int hits[9] = {0};
	for (int i = 0; i < 10000; i++) {
		struct pk p = random_pkt();
		int want = ref_filter(p.b, p.len), got = cls_prog_match(prog, p.b, p.len);
		if (want != got)
			fprintf(stderr, "packet %d (len %u): want %d got %d\n", i, (unsigned)p.len, want, got);
		assert_int_equal(got, want);
		hits[want + 1]++;
	}
	for (int i = 0; i < 9; i++) /* every rule and "no match" was exercised */
		assert_true(hits[i] > 0);
	cls_prog_free(prog);
}

static void test_property_classifier(void **state)
{
	(void)state;
	const char *pats[] = {"12/0800 !23/06", "0/ff??ff%f0ffff 20/01", "!12/08", "-"};
	struct cls_prog *prog = cl_prog(4, pats);
	int hits[4] = {0};
	for (int i = 0; i < 10000; i++) {
		uint8_t f[32];
		for (int j = 0; j < 32; j++)
			f[j] = (uint8_t)(rnd() % 4 == 0 ? rnd() : (const uint8_t[]){0x08, 0x00, 0x06, 0x01, 0xff}[rnd() % 5]);
		uint32_t len = rnd() % 33;
		int want;
		if (len >= 14 && f[12] == 8 && f[13] == 0 && !(len >= 24 && f[23] == 6))
			want = 0;
		else if (len >= 21 && (f[0] & 0xf0) == 0xf0 && f[2] == 0xff && f[20] == 1)
			want = 1;
		else if (!(len >= 13 && f[12] == 8))
			want = 2;
		else
			want = 3;
		assert_int_equal(cls_prog_match(prog, f, len), want);
		hits[want]++;
	}
	for (int i = 0; i < 4; i++)
		assert_true(hits[i] > 0);
	cls_prog_free(prog);
}

/* Overlapping tests on the same fields: exercises the compiler's skipping
 * of steps whose answer an earlier step already decided. */
static void test_property_ranges(void **state)
{
	(void)state;
	const char *rules[] = {
		"ip ttl < 10 and ip ttl > 3",
		"ip ttl 2-6 or ip ttl 250-255",
		"not ip ttl <= 100 and tcp src port > 1023",
		"ip ttl != 64 and tcp src port < 1024",
		"tcp src port 1000-1100 or tcp src port >= 60000 or not ip ttl >= 30",
		"ip ttl = 64 and not udp",
	};
	struct cls_prog *prog = ip_prog(CLS_IPCLASSIFIER, 6, rules, NULL);
	int hits[7] = {0};
	for (int i = 0; i < 10000; i++) {
		struct pk p = rnd() % 2 ? tcp_pkt(A_10_0_0_1, A_8_8_8_8, 0, 0, 0) : udp_pkt(A_10_0_0_1, A_8_8_8_8, 0, 0);
		uint32_t ttl = rnd() % 4 ? rnd() % 256 : 64, sp = rnd() % 3 ? rnd() % 65536 : 990 + rnd() % 130;
		p.b[8] = (uint8_t)ttl;
		put16(p.b + 20, sp);
		if (rnd() % 8 == 0)
			p.len = 20 + rnd() % 3;
		bool tcp = p.b[9] == 6, tsp = tcp && p.len >= 22;
		int want = -1;
		if (ttl < 10 && ttl > 3)
			want = 0;
		else if ((ttl >= 2 && ttl <= 6) || ttl >= 250)
			want = 1;
		else if (ttl > 100 && tsp && sp > 1023)
			want = 2;
		else if (ttl != 64 && tsp && sp < 1024)
			want = 3;
		else if ((tsp && ((sp >= 1000 && sp <= 1100) || sp >= 60000)) || ttl < 30)
			want = 4;
		else if (ttl == 64 && p.b[9] != 17)
			want = 5;
		assert_int_equal(cls_prog_match(prog, p.b, p.len), want);
		hits[want + 1]++;
	}
	for (int i = 0; i < 7; i++)
		assert_true(hits[i] > 0);
	cls_prog_free(prog);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classifier_ethernet),
		cmocka_unit_test(test_classifier_masks),
		cmocka_unit_test(test_classifier_negation),
		cmocka_unit_test(test_classifier_errors),
		cmocka_unit_test(test_expression_errors),
		cmocka_unit_test(test_ipfilter_errors),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_ternary),
		cmocka_unit_test(test_ambiguous_names),
		cmocka_unit_test(test_constant_rules),
		cmocka_unit_test(test_long_expressions),
		cmocka_unit_test(test_every_length),
		cmocka_unit_test(test_ip_error_location),
		cmocka_unit_test(test_property_ipfilter),
		cmocka_unit_test(test_property_classifier),
		cmocka_unit_test(test_property_ranges),
	};
	return cmocka_run_group_tests_name("clsexpr", tests, NULL, NULL);
}
