/*
 * test_args.c - configuration argument splitting, keywords and typed values.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "tu.h"

static void split(const char *conf, int want, const char *const *expect)
{
	char **argv;
	int argc = el_argv_split(conf, &argv);
	assert_int_equal(argc, want);
	for (int i = 0; i < argc; i++)
		assert_string_equal(argv[i], expect[i]);
	el_argv_free(argc, argv);
}

static void test_split(void **st)
{
	(void)st;
	split("", 0, NULL);
	split("  ", 0, NULL);
	split("a", 1, (const char *[]){"a"});
	split(" a , b ,c ", 3, (const char *[]){"a", "b", "c"});
	split("\"x, y\", z", 2, (const char *[]){"\"x, y\"", "z"});
	split("f(1, 2), [a, b], {c, d}", 3, (const char *[]){"f(1, 2)", "[a, b]", "{c, d}"});
	split("a, , b", 3, (const char *[]){"a", "", "b"});
	split("a // comment, b\n, c", 2, (const char *[]){"a", "c"});
	split("a /* x, y */, c", 2, (const char *[]){"a", "c"});
	split("'it''s', x", 2, (const char *[]){"'it''s'", "x"});
}

static void test_keyword(void **st)
{
	(void)st;
	const char *v;
	assert_int_equal(el_arg_keyword("LIMIT 5", &v), 5);
	assert_string_equal(v, "5");
	assert_int_equal(el_arg_keyword("STOP", &v), 0);  /* bare word: positional */
	assert_int_equal(el_arg_keyword("DST ", &v), 0);
	assert_int_equal(el_arg_keyword("Limit 5", &v), 0);
	assert_int_equal(el_arg_keyword("12/0800", &v), 0);
	assert_int_equal(el_arg_keyword("A_B2  x y", &v), 4);
	assert_string_equal(v, "x y");
	assert_int_equal(el_arg_keyword("ABC-5", &v), 0);
}

static void ok(enum el_argtype t, const char *s, void *out)
{
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(el_parse_value(t, s, out, &err), 0);
}

static void bad(enum el_argtype t, const char *s, const char *msg)
{
	struct rt_err err;
	rt_err_clear(&err);
	uint8_t out[64];
	assert_true(el_parse_value(t, s, out, &err) < 0);
	assert_string_equal(err.msg, msg);
}

static void test_numbers(void **st)
{
	(void)st;
	int64_t i;
	uint64_t u;
	double d;
	bool b;
	ok(EL_T_INT, "-42", &i), assert_int_equal(i, -42);
	ok(EL_T_INT, "0x10", &i), assert_int_equal(i, 16);
	ok(EL_T_UINT, "7", &u), assert_int_equal(u, 7);
	ok(EL_T_DOUBLE, "1.5", &d), assert_true(d == 1.5);
	ok(EL_T_BOOL, "true", &b), assert_true(b);
	ok(EL_T_BOOL, "no", &b), assert_false(b);
	bad(EL_T_UINT, "-1", "expected unsigned integer, not '-1'");
	bad(EL_T_INT, "12x", "expected integer, not '12x'");
	bad(EL_T_BOOL, "maybe", "expected boolean, not 'maybe'");
}

static void test_units(void **st)
{
	(void)st;
	uint64_t v;
	ok(EL_T_TIME, "1", &v), assert_int_equal(v, 1000000000ull);
	ok(EL_T_TIME, "10ms", &v), assert_int_equal(v, 10000000ull);
	ok(EL_T_TIME, "1.5s", &v), assert_int_equal(v, 1500000000ull);
	ok(EL_T_TIME, "5us", &v), assert_int_equal(v, 5000ull);
	ok(EL_T_BYTES, "1500", &v), assert_int_equal(v, 1500);
	ok(EL_T_BYTES, "2kB", &v), assert_int_equal(v, 2000);
	ok(EL_T_BYTES, "1MiB", &v), assert_int_equal(v, 1048576);
	ok(EL_T_RATE, "10k", &v), assert_int_equal(v, 10000);
	ok(EL_T_RATE, "8Mbps", &v), assert_int_equal(v, 1000000);
	bad(EL_T_TIME, "fast", "expected time interval, not 'fast'");
	bad(EL_T_BYTES, "12 parsecs", "expected byte size, not '12 parsecs'");
}

static void test_addresses(void **st)
{
	(void)st;
	uint32_t a;
	struct el_ip4pfx p;
	struct el_ip6pfx p6;
	uint8_t mac[6], a6[16];
	ok(EL_T_IP4, "10.0.0.1", &a), assert_int_equal(a, htonl(0x0a000001));
	ok(EL_T_IP4PFX, "10.1.2.3/8", &p);
	assert_int_equal(p.addr, htonl(0x0a000000));
	assert_int_equal(p.mask, htonl(0xff000000));
	ok(EL_T_IP4PFX, "192.168.0.0 255.255.0.0", &p), assert_int_equal(p.mask, htonl(0xffff0000));
	ok(EL_T_IP4PFX, "1.2.3.4", &p), assert_int_equal(p.mask, 0xffffffffu);
	ok(EL_T_IP4PFX, "0.0.0.0/0", &p), assert_int_equal(p.mask, 0);
	ok(EL_T_IP6, "::1", a6), assert_int_equal(a6[15], 1);
	ok(EL_T_IP6PFX, "2001:db8::ff/32", &p6);
	assert_int_equal(p6.len, 32);
	assert_int_equal(p6.addr[15], 0);
	ok(EL_T_ETHER, "00:1a:2B:3c:4d:5e", mac), assert_int_equal(mac[5], 0x5e);
	ok(EL_T_ETHER, "00-1a-2b-3c-4d-5f", mac), assert_int_equal(mac[5], 0x5f);
	bad(EL_T_IP4, "10.0.0.256", "expected IP address, not '10.0.0.256'");
	bad(EL_T_IP4PFX, "10.0.0.0/33", "expected IP prefix, not '10.0.0.0/33'");
	bad(EL_T_IP4PFX, "10.0.0.0 255.0.255.0", "expected IP prefix, not '10.0.0.0 255.0.255.0'");
	bad(EL_T_ETHER, "00:11:22:33:44", "expected Ethernet address, not '00:11:22:33:44'");
	bad(EL_T_ETHER, "00:11:22:33:44:55:66", "expected Ethernet address, not '00:11:22:33:44:55:66'");
}

static void test_strings(void **st)
{
	(void)st;
	char *s;
	struct el_data d;
	ok(EL_T_STRING, "\"a\\tb\"", &s), assert_string_equal(s, "a\tb"), free(s);
	ok(EL_T_STRING, "'x\"y'", &s), assert_string_equal(s, "x\"y"), free(s);
	ok(EL_T_STRING, "plain words", &s), assert_string_equal(s, "plain words"), free(s);
	ok(EL_T_DATA, "\"\\<0a 0B ff>AB\"", &d);
	assert_int_equal(d.len, 5);
	assert_memory_equal(d.p, "\x0a\x0b\xff" "AB", 5);
	free(d.p);
	bad(EL_T_DATA, "\"\\<0a 0>\"", "odd number of hex digits in data");
	ok(EL_T_DATA, "\\<08 00>x", &d);
	assert_int_equal(d.len, 3);
	assert_memory_equal(d.p, "\x08\x00x", 3);
	free(d.p);
	bad(EL_T_WORD, "two words", "expected word, not 'two words'");
}

static void test_unparse(void **st)
{
	(void)st;
	struct rt_buf b;
	rt_buf_init(&b);
	struct el_ip4pfx p = {htonl(0x0a000000), htonl(0xffff0000)};
	el_unparse_value(EL_T_IP4PFX, &p, &b);
	assert_string_equal(b.p, "10.0.0.0/16");
	rt_buf_reset(&b);
	uint64_t t = 250000000;
	el_unparse_value(EL_T_TIME, &t, &b);
	assert_string_equal(b.p, "250ms");
	rt_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),   cmocka_unit_test(test_keyword),   cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_units),   cmocka_unit_test(test_addresses), cmocka_unit_test(test_strings),
		cmocka_unit_test(test_unparse),
	};
	return cmocka_run_group_tests_name("args", tests, NULL, NULL);
}
