/*
 * test_ipexpr.c - the IPClassifier / IPFilter language
 * (classify/cls_ipexpr.c): every primitive, combinators and precedence,
 * short and malformed packets, IPClassifier outputs and IPFilter actions.
 */
#include <stdlib.h>

#include "cls_util.h"

/* ---- IP primitives -------------------------------------------------------- */

static void test_true_false(void **state)
{
	(void)state;
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1234, 80, TH_SYN);
	const char *yes[] = {"-", "true", "ip", "all", "any", "not false", "tcp or true"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(m(yes[i], &t));
	assert_false(m("false", &t));
	assert_false(m("none", &t));
	assert_false(m("not true", &t));
	assert_false(m("tcp and false", &t));
}

static void test_protocols(void **state)
{
	(void)state;
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1234, 80, 0);
	struct pk u = udp_pkt(A_10_0_0_1, A_8_8_8_8, 53, 53);
	struct pk i = icmp_pkt(A_10_0_0_1, A_8_8_8_8, 8);
	struct pk g = ip_pkt(47, A_10_0_0_1, A_8_8_8_8, 4);
	assert_true(m("tcp", &t) && !m("tcp", &u) && !m("tcp", &i));
	assert_true(m("udp", &u) && !m("udp", &t));
	assert_true(m("icmp", &i) && !m("icmp", &g));
	assert_true(m("ip proto tcp", &t) && !m("ip proto tcp", &u));
	assert_true(m("ip proto 17", &u) && m("proto 47", &g) && m("gre", &g));
	assert_true(m("ip proto 6 or 17", &u) && !m("ip proto 6 or 17", &i));
	assert_true(m("ip proto > 16", &u) && m("ip proto > 16", &g) && !m("ip proto > 16", &t));
	assert_true(m("ip proto != 6", &u) && !m("ip proto != 6", &t));
	assert_true(m("tcp proto 6", &t));
}

static void test_hosts(void **state)
{
	(void)state;
	struct pk p = tcp_pkt(A_10_0_0_1, A_192_168_1_1, 1, 2, 0);
	struct pk same = tcp_pkt(A_10_0_0_1, A_10_0_0_1, 1, 2, 0);
	assert_true(m("src host 10.0.0.1", &p) && !m("src host 192.168.1.1", &p));
	assert_true(m("dst host 192.168.1.1", &p) && !m("dst host 10.0.0.1", &p));
	assert_true(m("host 10.0.0.1", &p) && m("host 192.168.1.1", &p) && !m("host 8.8.8.8", &p));
	assert_true(m("src or dst host 192.168.1.1", &p));
	assert_false(m("src and dst host 10.0.0.1", &p));
	assert_true(m("src and dst host 10.0.0.1", &same));
	assert_true(m("src 10.0.0.1", &p) && !m("dst 10.0.0.1", &p));
	assert_true(m("10.0.0.1", &p) && !m("10.0.0.2", &p));
	/* Click: "host != A" is "neither address is A" */
	assert_true(m("host != 8.8.8.8", &p) && !m("host != 10.0.0.1", &p));
	assert_true(m("src host != 192.168.1.1", &p));
	assert_true(m("tcp host 10.0.0.1", &p) && !m("udp host 10.0.0.1", &p));
	/* repeated qualifiers carry over */
	assert_true(m("src host 8.8.8.8 or 10.0.0.1", &p));
	assert_false(m("src host 8.8.8.8 or 192.168.1.1", &p));
}

static void test_nets(void **state)
{
	(void)state;
	struct pk p = udp_pkt(A_10_1_2_3, A_192_168_1_1, 1, 2);
	assert_true(m("src net 10.0.0.0/8", &p) && !m("src net 10.0.0.0/16", &p));
	assert_true(m("src net 10.1.0.0 mask 255.255.0.0", &p));
	assert_true(m("src net 10.1.0.0/255.255.0.0", &p));
	assert_true(m("dst net 192.168.0.0/16", &p) && !m("dst net 10.0.0.0/8", &p));
	assert_true(m("net 192.168.1.0/24", &p) && m("net 10.1.2.0/24", &p) && !m("net 8.0.0.0/8", &p));
	assert_true(m("10.0.0.0/8", &p) && m("src 10.1.2.3/32", &p));
	assert_true(m("net 10.1.99.99/16", &p)); /* host bits are ignored */
	assert_true(m("net 0.0.0.0/0", &p));
	assert_true(m("src net != 192.168.0.0/16", &p) && !m("net != 192.168.0.0/16", &p));
}

static void test_ports(void **state)
{
	(void)state;
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 40000, 80, 0);
	struct pk u = udp_pkt(A_10_0_0_1, A_8_8_8_8, 53, 5000);
	struct pk i = icmp_pkt(A_10_0_0_1, A_8_8_8_8, 8);
	assert_true(m("dst port 80", &t) && !m("src port 80", &t) && m("port 80", &t));
	assert_true(m("src port 53", &u) && m("port 5000", &u) && !m("port 80", &u));
	assert_false(m("port 80", &i));
	assert_true(m("tcp port 80", &t) && !m("udp port 80", &t) && m("udp port 53", &u));
	assert_true(m("udp src port 53", &u) && m("src udp port 53", &u) && !m("tcp src port 53", &u));
	assert_true(m("tcp dst port 80", &t) && m("dst tcp port 80", &t));
	/* names */
	assert_true(m("port http", &t) && m("port www", &t) && m("dst port http", &t) && m("www", &t));
	assert_true(m("port dns", &u) && m("port domain", &u) && m("udp src port domain", &u));
	const struct {
		const char *name;
		uint16_t port;
	} names[] = {{"ssh", 22}, {"https", 443}, {"smtp", 25}, {"ftp", 21}, {"telnet", 23}, {"ntp", 123}, {"ftp-data", 20}};
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char e[64];
		struct pk p = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 9999, names[k].port, 0);
		snprintf(e, sizeof(e), "dst port %s", names[k].name);
		assert_true(m(e, &p));
		snprintf(e, sizeof(e), "src port %s", names[k].name);
		assert_false(m(e, &p));
	}
	/* repeats */
	struct pk t81 = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 81, 7, 0);
	assert_true(m("src port 80 or 81", &t81) && !m("dst port 80 or 81", &t81));
	struct pk u443 = udp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 443);
	assert_false(m("tcp port 80 or 443", &u443));
	assert_true(m("port 80 or 443", &u443));
	assert_true(m("tcp port 80 or https", &t));
}

static void test_port_relops(void **state)
{
	(void)state;
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 40000, 80, 0);
	struct pk i = icmp_pkt(A_10_0_0_1, A_8_8_8_8, 8);
	assert_true(m("src port > 1023", &t) && !m("dst port > 1023", &t));
	assert_true(m("dst port < 1024", &t) && m("dst port <= 80", &t) && !m("dst port < 80", &t));
	assert_true(m("dst port >= 80", &t) && !m("dst port >= 81", &t));
	assert_true(m("dst port = 80", &t) && m("dst port == 80", &t) && m("dst port != 81", &t));
	assert_false(m("dst port != 80", &t));
	/* src-or-dst: "=", "<", ">" match if either side does; "!=", "<=",
	 * ">=" are their negations, so they need both sides (Click) */
	assert_true(m("port > 1023", &t) && m("port < 1024", &t));
	assert_false(m("port <= 1023", &t));
	assert_false(m("port >= 1024", &t));
	assert_false(m("port != 80", &t));
	assert_true(m("port != 81", &t));
	/* relations never match other protocols, unlike "not" */
	assert_false(m("port != 80", &i));
	assert_true(m("not port 80", &i));
	assert_false(m("src tcp port != 5", &i));
	/* masks */
	assert_true(m("dst port & 0xff00 = 0", &t) && !m("src port & 0xff00 = 0", &t));
	/* ranges */
	assert_true(m("dst port 1-1023", &t) && m("port 79-81", &t) && !m("dst port 81-100", &t));
	assert_true(m("src port 30000-50000", &t) && !m("src port != 30000-50000", &t));
}

static void test_tcp_opts(void **state)
{
	(void)state;
	struct pk syn = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2, TH_SYN);
	struct pk synack = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2, TH_SYN | TH_ACK);
	struct pk fin = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2, TH_FIN | TH_ACK | TH_PSH);
	struct pk rst = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2, TH_RST | TH_URG);
	struct pk u = udp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2);
	u.b[33] = 0xff; /* not TCP: flags byte is meaningless */
	assert_true(m("tcp opt syn", &syn) && m("tcp opt syn", &synack) && !m("tcp opt syn", &fin));
	assert_true(m("tcp opt ack", &synack) && !m("tcp opt ack", &syn));
	assert_true(m("syn and not ack", &syn) && !m("syn and not ack", &synack));
	assert_true(m("fin ack", &fin) && !m("fin ack", &synack) && m("tcp opt psh", &fin));
	assert_true(m("rst", &rst) && m("urg", &rst) && !m("rst", &fin));
	assert_true(m("tcp syn", &syn));
	assert_false(m("tcp opt syn", &u) || m("ack", &u));
	assert_true(m("not syn", &u));
}

static void test_icmp_types(void **state)
{
	(void)state;
	struct pk echo = icmp_pkt(A_10_0_0_1, A_8_8_8_8, 8), reply = icmp_pkt(A_10_0_0_1, A_8_8_8_8, 0);
	struct pk unr = icmp_pkt(A_10_0_0_1, A_8_8_8_8, 3), tex = icmp_pkt(A_10_0_0_1, A_8_8_8_8, 11);
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 8, 8, 0);
	assert_true(m("icmp type echo", &echo) && !m("icmp type echo", &reply));
	assert_true(m("icmp type echo-reply", &reply) && m("echo-reply", &reply));
	assert_true(m("icmp type unreachable", &unr) && m("icmp type time-exceeded", &tex));
	assert_true(m("icmp type timeexceeded", &tex) && m("icmp type 11", &tex));
	assert_true(m("icmp echo", &echo) && m("icmp type 0 or 8", &echo));
	assert_true(m("icmp type > 2", &unr) && !m("icmp type > 3", &unr));
	assert_true(m("icmp type != echo", &reply) && !m("icmp type != echo", &echo));
	assert_false(m("icmp type != echo", &t));
	assert_false(m("icmp type 8", &t));
	struct pk t7 = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 7, 0);
	assert_true(m("tcp echo", &t7) && m("tcp port echo", &t7));
}

static void test_ip_fields(void **state)
{
	(void)state;
	struct pk p = udp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2);
	p.b[1] = 0xb8 | 1; /* DSCP 46 (EF), ECN ECT(1) */
	p.b[8] = 3;
	put16(p.b + 4, 0x1234);
	assert_true(m("ip vers 4", &p) && !m("ip vers 6", &p));
	assert_true(m("ip hl 5", &p) && m("ip hl < 6", &p));
	assert_true(m("ip tos 0xb9", &p) && m("ip tos 185", &p) && m("ip tos & 0xfc = 0xb8", &p));
	assert_true(m("ip dscp 46", &p) && !m("ip dscp 45", &p) && m("ip dscp >= 40", &p));
	assert_true(m("ip ttl 3", &p) && m("ip ttl < 5", &p) && m("ip ttl <= 3", &p) && !m("ip ttl > 3", &p));
	assert_true(m("ip ttl != 4", &p) && m("ip ttl >= 3", &p) && m("ttl 1-3", &p));
	assert_true(m("ip ttl 4 or 3", &p));
	assert_true(m("ip id 0x1234", &p) && m("ip id 4660", &p));
	assert_true(m("ip len 28", &p) && m("ip len > 20", &p));
	assert_true(m("ip ect", &p) && !m("ip ce", &p));
	p.b[1] |= 3;
	assert_true(m("ip ce", &p) && m("ip ect", &p));
	p.b[1] &= 0xfc;
	assert_false(m("ip ect", &p));
	assert_true(m("udp ttl 3", &p) && !m("tcp ttl 3", &p));
}

static void test_tcp_win_and_brackets(void **state)
{
	(void)state;
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2, TH_SYN);
	struct pk u = udp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2);
	assert_true(m("tcp win 8192", &t) && m("tcp win > 1000", &t) && !m("tcp win 8191", &t));
	assert_false(m("tcp win != 1", &u));
	assert_true(m("ip[9] = 6", &t) && m("ip[9:1] == 6", &t) && !m("ip[9] = 17", &t));
	assert_true(m("ip[0:1] & 0xf0 = 0x40", &t));
	assert_true(m("ip[12:4] = 0x0a000001", &t));
	assert_true(m("tcp[13] & 0x02 != 0", &t) && !m("tcp[13] & 0x10 != 0", &t));
	assert_true(m("tcp[0:2] = 1", &t) && !m("tcp[0:2] = 1", &u));
	assert_true(m("udp[2:2] = 2", &u) && m("transp[2:2] = 2", &t));
	assert_true(m("ip [ 9 : 1 ] = 6", &t));
	/* past the end of the packet: false, and its negation stays false */
	assert_false(m("ip[100] = 0", &t) || m("ip[100] != 0", &t) || m("tcp[60:2] != 7", &t));
}

static void test_fragments(void **state)
{
	(void)state;
	struct pk first = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 80, TH_SYN);
	put16(first.b + 6, 0x2000); /* MF */
	struct pk later = first;
	put16(later.b + 6, 0x0010); /* offset 16*8, last fragment */
	struct pk df = first;
	put16(df.b + 6, 0x4000); /* DF only: not a fragment */
	assert_true(m("ip frag", &first) && m("ip frag", &later) && !m("ip frag", &df));
	assert_true(m("ip unfrag", &df) && m("unfrag", &df) && !m("ip unfrag", &first));
	assert_true(m("frag", &later));
	/* transport tests only see first fragments */
	assert_true(m("dst port 80", &first) && m("syn", &first));
	assert_false(m("dst port 80", &later) || m("syn", &later) || m("port != 80", &later));
	assert_false(m("tcp[0:2] = 1", &later));
	assert_true(m("tcp", &later) && m("not port 80", &later));
	struct pk ic = icmp_pkt(A_10_0_0_1, A_8_8_8_8, 8);
	put16(ic.b + 6, 0x0001);
	assert_false(m("icmp type echo", &ic));
}

static void test_short_transport(void **state)
{
	(void)state;
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 80, TH_SYN);
	t.len = 23; /* only 3 transport bytes: no dst port */
	assert_true(m("tcp", &t) && m("src port 1", &t));
	assert_false(m("dst port 80", &t) || m("port 80", &t) || m("dst port != 80", &t) || m("port > 0", &t));
	assert_true(m("not dst port 80", &t));
	t.len = 33; /* flags at transport byte 13 missing */
	assert_true(m("dst port 80", &t));
	assert_false(m("syn", &t) || m("tcp win 8192", &t));
	struct pk i = icmp_pkt(A_10_0_0_1, A_8_8_8_8, 8);
	i.len = 20;
	assert_false(m("icmp type echo", &i) || m("icmp type != 0", &i));
	assert_true(m("icmp", &i));
}

static void test_bad_ip_header(void **state)
{
	(void)state;
	const char *rules[] = {"tcp", "not tcp", "src host 10.0.0.1", "-"};
	struct cls_prog *prog = ip_prog(CLS_IPCLASSIFIER, 4, rules, NULL);
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2, 0);
	assert_int_equal(cls_prog_match(prog, t.b, t.len), 0);
	assert_int_equal(cls_prog_match(prog, t.b, 19), 3); /* truncated: only "-" */
	assert_int_equal(cls_prog_match(prog, t.b, 0), 3);
	struct pk bad = t;
	bad.b[0] = 0x44; /* IHL 4 < 5 */
	assert_int_equal(cls_prog_match(prog, bad.b, bad.len), 3);
	bad.b[0] = 0x4f; /* IHL 15 = 60 bytes > 40 */
	assert_int_equal(cls_prog_match(prog, bad.b, bad.len), 3);
	cls_prog_free(prog);
	/* without a catch-all, nothing matches, not even negations */
	assert_false(m("not tcp", &(struct pk){.len = 10}));
	assert_false(m("not ip frag", &bad));
	assert_true(m("true", &bad) && m("not false", &bad));
}

static void test_ip_options(void **state)
{
	(void)state;
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1111, 80, TH_SYN | TH_ACK);
	set_ihl(&t, 7);
	assert_int_equal(t.len, 48);
	assert_true(m("ip hl 7", &t) && m("tcp dst port 80 and src port 1111", &t));
	assert_true(m("tcp opt syn and tcp opt ack", &t) && m("tcp[13] = 0x12", &t));
	assert_true(m("src host 10.0.0.1", &t));
	t.len = 30; /* header complete, transport cut */
	assert_false(m("dst port 80", &t));
	assert_true(m("ip hl 7", &t));
}

/* ---- combinators ---------------------------------------------------------- */

static void test_combinators(void **state)
{
	(void)state;
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1234, 80, TH_SYN);
	assert_true(m("tcp and dst port 80", &t) && m("tcp && dst port 80", &t));
	assert_false(m("udp and dst port 80", &t) || m("tcp && dst port 81", &t));
	assert_true(m("udp or dst port 80", &t) && m("udp || tcp", &t) && !m("udp or icmp", &t));
	assert_true(m("not udp", &t) && m("! udp", &t) && m("!udp", &t) && !m("not tcp", &t));
	assert_true(m("not not tcp", &t) && m("!!tcp", &t));
	assert_true(m("(udp or tcp) and (dst port 80)", &t) && !m("(udp or icmp) and dst port 80", &t));
	assert_true(m("((tcp))", &t) && m("not (udp or icmp)", &t));
	assert_true(m("tcp ? dst port 80 : udp", &t) && !m("tcp ? dst port 81 : true", &t));
	assert_true(m("udp ? false : src host 10.0.0.1", &t));
	assert_true(m("udp ? false : tcp ? syn : false", &t));
}

static void test_precedence(void **state)
{
	(void)state;
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1234, 80, 0);
	struct pk u = udp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2);
	/* not > and: "(not tcp) and udp" */
	assert_true(m("not tcp and udp", &u) && !m("not tcp and udp", &t));
	/* and > or: "tcp or (udp and icmp)" */
	assert_true(m("tcp or udp and icmp", &t) && !m("tcp or udp and icmp", &u));
	/* "(udp and icmp) or tcp" */
	assert_true(m("udp and icmp or tcp", &t));
	/* not binds to the factor only: "(not tcp) or udp" */
	assert_true(m("not tcp or udp", &u) && !m("not tcp or udp", &t));
	assert_true(m("not (tcp or udp) or tcp", &t));
	/* juxtaposition is and, binding tighter than or */
	assert_true(m("udp dst port 80 or tcp", &t) && !m("udp src port 1 or icmp", &t));
}

static void test_implicit_and(void **state)
{
	(void)state;
	struct pk t = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1234, 22, TH_SYN);
	assert_true(m("tcp dst port 22", &t) && !m("udp dst port 22", &t));
	assert_true(m("src host 10.0.0.1 dst port 22", &t) && !m("src host 10.0.0.2 dst port 22", &t));
	assert_true(m("tcp syn dst port ssh", &t) && m("src 10.0.0.0/8 syn", &t));
	assert_true(m("dst port 22 tcp not udp", &t) && !m("dst port 22 not tcp", &t));
	assert_true(m("ip tcp", &t) && m("ip and tcp", &t));
}

/* ---- IPClassifier / IPFilter ---------------------------------------------- */

static void test_ipclassifier_outputs(void **state)
{
	(void)state;
	/* the example from Click's IPClassifier documentation */
	const char *rules[] = {"10.0.0.0/24 and syn", "10.0.0.0/24 and fin ack", "10.0.0.0/24 and tcp", "-"};
	int n = 0;
	struct cls_prog *prog = ip_prog(CLS_IPCLASSIFIER, 4, rules, &n);
	assert_int_equal(n, 4);
	struct pk a = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2, TH_SYN);
	struct pk b = tcp_pkt(A_8_8_8_8, A_10_0_0_1, 1, 2, TH_FIN | TH_ACK);
	struct pk c = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2, TH_ACK);
	struct pk d = udp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2);
	struct pk e = tcp_pkt(A_8_8_8_8, A_192_168_1_1, 1, 2, TH_SYN);
	assert_int_equal(cls_prog_match(prog, a.b, a.len), 0);
	assert_int_equal(cls_prog_match(prog, b.b, b.len), 1);
	assert_int_equal(cls_prog_match(prog, c.b, c.len), 2);
	assert_int_equal(cls_prog_match(prog, d.b, d.len), 3);
	assert_int_equal(cls_prog_match(prog, e.b, e.len), 3);
	cls_prog_free(prog);

	const char *r2[] = {"dst tcp port 8000 or 8080", "dst tcp port > 1023", "tcp"};
	prog = ip_prog(CLS_IPCLASSIFIER, 3, r2, &n);
	assert_int_equal(n, 3);
	struct pk p1 = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 8080, 0), p2 = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 3000, 0);
	struct pk p3 = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 80, 0), p4 = udp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 8080);
	assert_int_equal(cls_prog_match(prog, p1.b, p1.len), 0);
	assert_int_equal(cls_prog_match(prog, p2.b, p2.len), 1);
	assert_int_equal(cls_prog_match(prog, p3.b, p3.len), 2);
	assert_int_equal(cls_prog_match(prog, p4.b, p4.len), -1);
	cls_prog_free(prog);

	prog = ip_prog(CLS_IPCLASSIFIER, 0, NULL, &n);
	assert_int_equal(n, 0);
	assert_int_equal(cls_prog_match(prog, p1.b, p1.len), -1);
	cls_prog_free(prog);
}

static void test_ipfilter_actions(void **state)
{
	(void)state;
	const char *rules[] = {"allow tcp dst port 80", "deny tcp", "3 udp", "drop icmp type echo", "1 icmp",
			       "2 -"};
	int n = 0;
	struct cls_prog *prog = ip_prog(CLS_IPFILTER, 6, rules, &n);
	assert_int_equal(n, 4);
	struct pk web = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 80, 0), ssh = tcp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 22, 0);
	struct pk u = udp_pkt(A_10_0_0_1, A_8_8_8_8, 1, 2), echo = icmp_pkt(A_10_0_0_1, A_8_8_8_8, 8);
	struct pk rep = icmp_pkt(A_10_0_0_1, A_8_8_8_8, 0), gre = ip_pkt(47, A_10_0_0_1, A_8_8_8_8, 0);
	assert_int_equal(cls_prog_match(prog, web.b, web.len), 0);
	assert_int_equal(cls_prog_match(prog, ssh.b, ssh.len), -1);
	assert_int_equal(cls_prog_match(prog, u.b, u.len), 3);
	assert_int_equal(cls_prog_match(prog, echo.b, echo.len), -1);
	assert_int_equal(cls_prog_match(prog, rep.b, rep.len), 1);
	assert_int_equal(cls_prog_match(prog, gre.b, gre.len), 2);
	assert_int_equal(cls_prog_match(prog, gre.b, 12), 2); /* truncated: "2 -" still applies */
	cls_prog_free(prog);

	const char *drops[] = {"deny tcp", "drop all"};
	prog = ip_prog(CLS_IPFILTER, 2, drops, &n);
	assert_int_equal(n, 1);
	assert_int_equal(cls_prog_match(prog, web.b, web.len), -1);
	assert_int_equal(cls_prog_match(prog, u.b, u.len), -1);
	cls_prog_free(prog);

	const char *one[] = {"allow udp"};
	prog = ip_prog(CLS_IPFILTER, 1, one, &n);
	assert_int_equal(n, 1);
	assert_int_equal(cls_prog_match(prog, u.b, u.len), 0);
	assert_int_equal(cls_prog_match(prog, web.b, web.len), -1);
	cls_prog_free(prog);
}

static void test_ipfilter_firewall(void **state)
{
	(void)state;
	/* shape of the "interior router" example in Click's IPFilter docs */
	const char *rules[] = {
		"deny src 10.0.0.0/8",
		"allow src 192.168.1.1 && dst 10.0.0.0/8 && tcp && src port www && dst port > 1023 && ack",
		"allow dst 8.8.8.8 && tcp && dst port 22",
		"allow dst 8.8.8.8 && udp && src port 53 && dst port 53",
		"deny all",
	};
	int n;
	struct cls_prog *prog = ip_prog(CLS_IPFILTER, 5, rules, &n);
	assert_int_equal(n, 1);
	struct pk spoof = tcp_pkt(A_10_1_2_3, A_8_8_8_8, 1, 22, 0);
	struct pk web = tcp_pkt(A_192_168_1_1, A_10_0_0_1, 80, 40000, TH_ACK);
	struct pk webnoack = tcp_pkt(A_192_168_1_1, A_10_0_0_1, 80, 40000, TH_SYN);
	struct pk ssh = tcp_pkt(A_192_168_1_1, A_8_8_8_8, 5555, 22, TH_SYN);
	struct pk dns = udp_pkt(A_192_168_1_1, A_8_8_8_8, 53, 53);
	struct pk dns2 = udp_pkt(A_192_168_1_1, A_8_8_8_8, 1053, 53);
	assert_int_equal(cls_prog_match(prog, spoof.b, spoof.len), -1);
	assert_int_equal(cls_prog_match(prog, web.b, web.len), 0);
	assert_int_equal(cls_prog_match(prog, webnoack.b, webnoack.len), -1);
	assert_int_equal(cls_prog_match(prog, ssh.b, ssh.len), 0);
	assert_int_equal(cls_prog_match(prog, dns.b, dns.len), 0);
	assert_int_equal(cls_prog_match(prog, dns2.b, dns2.len), -1);
	cls_prog_free(prog);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_true_false),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_nets),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_port_relops),
		cmocka_unit_test(test_tcp_opts),
		cmocka_unit_test(test_icmp_types),
		cmocka_unit_test(test_ip_fields),
		cmocka_unit_test(test_tcp_win_and_brackets),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_short_transport),
		cmocka_unit_test(test_bad_ip_header),
		cmocka_unit_test(test_ip_options),
		cmocka_unit_test(test_combinators),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_implicit_and),
		cmocka_unit_test(test_ipclassifier_outputs),
		cmocka_unit_test(test_ipfilter_actions),
		cmocka_unit_test(test_ipfilter_firewall),
	};
	return cmocka_run_group_tests_name("ipexpr", tests, NULL, NULL);
}
