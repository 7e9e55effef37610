/*
 * test_lang.c - unit tests for the Click-language parser and flattener
 * (runtime/lang.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "lang.h"

static bool is_class(const char *name, void *ctx)
{
	static const char *const classes[] = {"Counter", "Discard", "InfiniteSource", "Queue", "Tee",
					      "Paint",   "Classifier", "Idle",         "Null",  "Print"};
	(void)ctx;
	for (size_t i = 0; i < RT_ARRAY_SIZE(classes); i++)
		if (!strcmp(classes[i], name))
			return true;
	return false;
}

static int parse_d(const char *text, const char *const *defines, struct lang_graph *g, struct rt_err *err)
{
	rt_err_clear(err);
	return lang_parse(text, "t.click", defines, is_class, NULL, g, err);
}

static void parse_ok(const char *text, const char *const *defines, struct lang_graph *g)
{
	struct rt_err err;
	int rc = parse_d(text, defines, g, &err);
	if (rc) {
		char buf[600];
		fail_msg("parse failed: %s", rt_err_str(&err, buf, sizeof(buf)));
	}
}

/* Every declaration as "name:Class(config)" in order, ';'-separated. */
static char *decls_str(const struct lang_graph *g)
{
	struct rt_buf b;
	rt_buf_init(&b);
	for (int i = 0; i < g->ndecls; i++)
		rt_buf_printf(&b, "%s%s:%s(%s)", i ? ";" : "", g->decls[i].name, g->decls[i].cls, g->decls[i].config);
	return rt_buf_steal(&b);
}

/* Every connection as "from[p]>[q]to" in order, ';'-separated. */
static char *conns_str(const struct lang_graph *g)
{
	struct rt_buf b;
	rt_buf_init(&b);
	for (int i = 0; i < g->nconns; i++) {
		const struct lang_conn *c = &g->conns[i];
		rt_buf_printf(&b, "%s%s[%d]>[%d]%s", i ? ";" : "", g->decls[c->from].name, c->from_port, c->to_port,
			      g->decls[c->to].name);
	}
	return rt_buf_steal(&b);
}

static void check(const char *text, const char *const *defines, const char *decls, const char *conns)
{
	struct lang_graph g;
	parse_ok(text, defines, &g);
	char dbuf[1024], cbuf[1024], *d = decls_str(&g), *c = conns_str(&g);
	snprintf(dbuf, sizeof(dbuf), "%s", d); /* free all before asserting */
	snprintf(cbuf, sizeof(cbuf), "%s", c);
	free(d);
	free(c);
	lang_graph_free(&g);
	assert_string_equal(dbuf, decls);
	assert_string_equal(cbuf, conns);
}

/* The parse must fail with exactly this "file:line:col: message". */
static void check_err(const char *text, const char *msg)
{
	struct lang_graph g;
	struct rt_err err;
	char buf[600];
	memset(&g, 0x5a, sizeof(g));
	assert_true(parse_d(text, NULL, &g, &err) < 0);
	assert_string_equal(rt_err_str(&err, buf, sizeof(buf)), msg);
	assert_null(g.decls);
	assert_null(g.conns);
	assert_null(g.reqs);
	assert_int_equal(g.ndecls + g.nconns + g.nreqs, 0);
}

static void test_simple_chain(void **state)
{
	(void)state;
	check("a :: InfiniteSource; b :: Counter; c :: Discard;\na -> b -> c;", NULL,
	      "a:InfiniteSource();b:Counter();c:Discard()", "a[0]>[0]b;b[0]>[0]c");
	struct lang_graph g;
	parse_ok("a :: InfiniteSource;\n  b :: Counter;\na -> b", NULL, &g);
	assert_int_equal(g.decls[1].loc.line, 2);
	assert_int_equal(g.decls[1].loc.col, 3);
	assert_string_equal(g.decls[1].loc.file, "t.click");
	assert_false(g.decls[1].anonymous);
	assert_int_equal(g.conns[0].loc.line, 3);
	assert_int_equal(g.conns[0].loc.col, 3);
	lang_graph_free(&g);
}

static void test_ports(void **state)
{
	(void)state;
	check("a :: Tee; b :: Counter; a [1] -> b; a -> [2] b; a[3]->[4]b; a [ 5 ] -> [ 0 ] b;", NULL,
	      "a:Tee();b:Counter()", "a[1]>[0]b;a[0]>[2]b;a[3]>[4]b;a[5]>[0]b");
	check("t :: Tee(2); q :: Queue; t [1] -> q [0] -> [1] t;", NULL, "t:Tee(2);q:Queue()",
	      "t[1]>[0]q;q[0]>[1]t");
}

static void test_multi_declaration(void **state)
{
	(void)state;
	check("a, b, c :: Counter(5);\nd :: Queue(10, 20)", NULL,
	      "a:Counter(5);b:Counter(5);c:Counter(5);d:Queue(10, 20)", "");
	check("a, b :: Counter -> c :: Discard;", NULL, "a:Counter();b:Counter();c:Discard()",
	      "a[0]>[0]c;b[0]>[0]c");
}

static void test_anonymous_names(void **state)
{
	(void)state;
	struct lang_graph g;
	parse_ok("a :: InfiniteSource;\na -> Counter -> Paint(2) -> Discard;\nIdle -> Counter;", NULL, &g);
	char *d = decls_str(&g), *c = conns_str(&g);
	assert_string_equal(d, "a:InfiniteSource();Counter@2:Counter();Paint@3:Paint(2);Discard@4:Discard();"
			       "Idle@5:Idle();Counter@6:Counter()");
	assert_string_equal(c, "a[0]>[0]Counter@2;Counter@2[0]>[0]Paint@3;Paint@3[0]>[0]Discard@4;"
			       "Idle@5[0]>[0]Counter@6");
	assert_false(g.decls[0].anonymous);
	assert_true(g.decls[1].anonymous);
	assert_int_equal(g.decls[2].loc.line, 2);
	assert_int_equal(g.decls[2].loc.col, 17);
	free(d);
	free(c);
	lang_graph_free(&g);
}

static void test_inline_declarations_names(void **state)
{
	(void)state;
	check("src :: InfiniteSource(LIMIT 5) -> c :: Counter -> Discard;", NULL,
	      "src:InfiniteSource(LIMIT 5);c:Counter();Discard@3:Discard()", "src[0]>[0]c;c[0]>[0]Discard@3");
}

static void test_comments_and_lines(void **state)
{
	(void)state;
	check("// leading comment\n/* block\n comment */ a :: Counter(1, /* x */2) // tail\n"
	      "  -> /* between */ b :: Print(x // line comment\n  , y)\n\n-> Discard",
	      NULL, "a:Counter(1, 2);b:Print(x \n  , y);Discard@3:Discard()", "a[0]>[0]b;b[0]>[0]Discard@3");
	/* optional semicolons: statements end where a chain cannot continue */
	check("a :: Counter b :: Counter a -> b\nelementclass X { input -> output }\nx :: X", NULL,
	      "a:Counter();b:Counter()", "a[0]>[0]b");
}

static void test_config_strings(void **state)
{
	(void)state;
	check("c :: Classifier(12/0800, (a, (b))[c]{d}, \"x)y\\\"//z\", 'q)/*', \\)) -> Discard;", NULL,
	      "c:Classifier(12/0800, (a, (b))[c]{d}, \"x)y\\\"//z\", 'q)/*', \\));Discard@2:Discard()",
	      "c[0]>[0]Discard@2");
	check("p :: Print(  \n  spaced  \n ); q :: Print()", NULL, "p:Print(spaced);q:Print()", "");
}

static void test_compound_basic(void **state)
{
	(void)state;
	check("elementclass C { input -> Counter -> output }\n"
	      "a :: InfiniteSource; f :: C; a -> f -> Discard;",
	      NULL, "a:InfiniteSource();f/Counter@1:Counter();Discard@3:Discard()",
	      "a[0]>[0]f/Counter@1;f/Counter@1[0]>[0]Discard@3");
	check("elementclass C { input -> Null -> Counter -> output; }\nf :: C;", NULL,
	      "f/Null@1:Null();f/Counter@2:Counter()", "f/Null@1[0]>[0]f/Counter@2");
}

static void test_compound_multiport(void **state)
{
	(void)state;
	check("c :: {\n  input -> x :: Counter -> output;\n  input [1] -> y :: Paint(1) -> [1] output;\n};\n"
	      "a :: Idle; b :: Discard; d :: Discard; e :: Idle;\n"
	      "a -> c -> b;\ne -> [1] c [1] -> d;",
	      NULL, "c/x:Counter();c/y:Paint(1);a:Idle();b:Discard();d:Discard();e:Idle()",
	      "a[0]>[0]c/x;c/x[0]>[0]b;e[0]>[0]c/y;c/y[0]>[0]d");
}

static void test_compound_formals(void **state)
{
	(void)state;
	check("elementclass P { $color, $n |\n input -> Paint($color) -> c :: Counter($n, ${n}x) -> output }\n"
	      "p :: P(3, 10); q :: P(\"a, b\", (1, 2));",
	      NULL,
	      "p/Paint@1:Paint(3);p/c:Counter(10, 10x);q/Paint@1:Paint(\"a, b\");q/c:Counter((1, 2), (1, 2)x)",
	      "p/Paint@1[0]>[0]p/c;q/Paint@1[0]>[0]q/c");
}

static void test_compound_keyword_formals(void **state)
{
	(void)state;
	const char *cls = "elementclass P { $a, COLOR $c, N $n | input -> Paint($c) -> Print($a, $n) -> output }\n";
	char text[512];
	snprintf(text, sizeof(text), "%sp :: P(COLOR 7, hi, N 4); q :: P(N  5, COLOR x y, lo)", cls);
	check(text, NULL, "p/Paint@1:Paint(7);p/Print@2:Print(hi, 4);q/Paint@1:Paint(x y);q/Print@2:Print(lo, 5)",
	      "p/Paint@1[0]>[0]p/Print@2;q/Paint@1[0]>[0]q/Print@2");
	snprintf(text, sizeof(text), "%sp :: P(hi, COLOR 7);", cls); /* N missing */
	struct lang_graph g;
	struct rt_err err;
	assert_true(parse_d(text, NULL, &g, &err) < 0);
	assert_string_equal(err.msg, "wrong number of arguments to compound element 'P'");
	assert_int_equal(err.loc.line, 2);
	assert_int_equal(err.loc.col, 6);
}

static void test_nested_compounds(void **state)
{
	(void)state;
	check("elementclass In { $x | input -> Paint($x) -> output }\n"
	      "elementclass Out { $y |\n"
	      "  elementclass Local { input -> Counter -> output }\n"
	      "  input -> g :: In($y) -> l :: Local -> In(9) -> output }\n"
	      "s :: Idle -> f :: Out(5) -> Discard;",
	      NULL,
	      "s:Idle();f/g/Paint@1:Paint(5);f/l/Counter@1:Counter();f/In@3/Paint@1:Paint(9);Discard@3:Discard()",
	      "s[0]>[0]f/g/Paint@1;f/In@3/Paint@1[0]>[0]Discard@3;"
	      "f/g/Paint@1[0]>[0]f/l/Counter@1;f/l/Counter@1[0]>[0]f/In@3/Paint@1");
	/* classes are scoped to the body that declares them */
	check_err("elementclass Out { elementclass Local { input -> output } input -> Local -> output }\n"
		  "x :: Local;",
		  "t.click:2:6: unknown element class 'Local'");
}

static void test_lexical_variables(void **state)
{
	(void)state;
	/* Inner's body sees Outer's $v; a formal shadows a define */
	check("define($v global, $w W)\n"
	      "elementclass Outer { $v |\n"
	      "  elementclass Inner { input -> Print($v, $w) -> output }\n"
	      "  input -> Inner -> output }\n"
	      "o :: Outer(local); p :: Print($v);",
	      NULL, "o/Inner@1/Print@1:Print(local, W);p:Print(global)", "");
}

static void test_pass_through(void **state)
{
	(void)state;
	check("elementclass T { input -> output }\n"
	      "elementclass TT { input -> T -> T -> output }\n"
	      "a :: Idle; b :: Discard; a -> T -> b; a [1] -> TT -> [1] b;",
	      NULL, "a:Idle();b:Discard()", "a[0]>[0]b;a[1]>[1]b");
	/* fan-out inside, and a pass-through port next to a real one */
	check("elementclass F { input -> x :: Counter; input -> y :: Counter; input [1] -> [1] output; x -> output }\n"
	      "a :: Idle; f :: F; a -> f -> d :: Discard; a [1] -> [1] f [1] -> [1] d;",
	      NULL, "a:Idle();f/x:Counter();f/y:Counter();d:Discard()",
	      "a[0]>[0]f/x;a[0]>[0]f/y;f/x[0]>[0]d;a[1]>[1]d");
}

static void test_tunnel_cycle(void **state)
{
	(void)state;
	/* t's output feeds its own input: the tunnel loop is followed once */
	check("elementclass T { input -> output }\nt :: T; a :: Idle; a -> t -> t -> Discard;", NULL,
	      "a:Idle();Discard@3:Discard()", "a[0]>[0]Discard@3");
}

static void test_realistic_config(void **state)
{
	(void)state;
	check("// a small router\n"
	      "define($LIMIT 10)\n"
	      "elementclass In { $n |\n"
	      "  src :: InfiniteSource(LIMIT $n)\n"
	      "    -> cl :: Classifier(12/0800, -);\n"
	      "  cl [0] -> output;\n"
	      "  cl [1] -> [1] output;\n"
	      "}\n"
	      "elementclass Out {\n"
	      "  input -> q :: Queue(200) -> Print(out) -> output\n"
	      "}\n"
	      "in :: In($LIMIT)\n"
	      "in [0] -> Paint(1) -> out :: Out -> Discard\n"
	      "in [1]\n"
	      "  -> Discard\n",
	      NULL,
	      "in/src:InfiniteSource(LIMIT 10);in/cl:Classifier(12/0800, -);Paint@2:Paint(1);"
	      "out/q:Queue(200);out/Print@2:Print(out);Discard@4:Discard();Discard@5:Discard()",
	      "in/cl[0]>[0]Paint@2;Paint@2[0]>[0]out/q;out/Print@2[0]>[0]Discard@4;in/cl[1]>[0]Discard@5;"
	      "in/src[0]>[0]in/cl;out/q[0]>[0]out/Print@2");
}

static void test_anonymous_compound(void **state)
{
	(void)state;
	check("Idle -> { input -> Counter -> output } -> Discard;", NULL,
	      "Idle@1:Idle();@2/Counter@1:Counter();Discard@3:Discard()",
	      "Idle@1[0]>[0]@2/Counter@1;@2/Counter@1[0]>[0]Discard@3");
}

static void test_class_synonyms(void **state)
{
	(void)state;
	check("elementclass MyQ Queue;\nelementclass C { input -> MyQ(5) -> output }\nelementclass D C;\n"
	      "q :: MyQ(10); d :: D; Idle -> d -> q;",
	      NULL, "q:Queue(10);d/MyQ@1:Queue(5);Idle@3:Idle()", "Idle@3[0]>[0]d/MyQ@1;d/MyQ@1[0]>[0]q");
	/* a compound may shadow a primitive; inside, the name is the primitive */
	check("elementclass Queue { input -> Queue(5) -> Null -> output }\nq :: Queue;", NULL,
	      "q/Queue@1:Queue(5);q/Null@2:Null()", "q/Queue@1[0]>[0]q/Null@2");
}

static void test_tuples(void **state)
{
	(void)state;
	check("a :: Idle; b :: Idle; c :: Counter; d :: Discard; e :: Discard;\n"
	      "a, b -> c -> d, e; a [1], b [1] -> [1] d, [1] e;",
	      NULL, "a:Idle();b:Idle();c:Counter();d:Discard();e:Discard()",
	      "a[0]>[0]c;b[0]>[0]c;c[0]>[0]d;c[0]>[0]e;a[1]>[1]d;b[1]>[1]e");
	check_err("a, b, c :: Idle; d, e :: Discard; a, b, c -> d, e;",
		  "t.click:1:43: connection tuple sizes differ (3 -> 2)");
}

static void test_define(void **state)
{
	(void)state;
	check("define($N 5, $S \"x y\", ${E})\n"
	      "a :: Counter($N); b :: Print(${S}z, $UNDEF, ${N}0, '$N', \\$N, $E.) -> a;",
	      NULL, "a:Counter(5);b:Print(\"x y\"z, $UNDEF, 50, '$N', \\$N, .)", "b[0]>[0]a");
	/* the define is used before it appears: variables are global */
	check("a :: Print($late); define($late L);", NULL, "a:Print(L)", "");
}

static void test_define_command_line(void **state)
{
	(void)state;
	const char *const defs[] = {"N=7", "M=nine, ten", "$K=k", NULL};
	check("define($N 5) a :: Counter($N); b :: Print($M); c :: Print($K)", defs,
	      "a:Counter(7);b:Print(nine, ten);c:Print(k)", "");
	const char *const bad[] = {"NOEQUALS", NULL};
	struct lang_graph g;
	struct rt_err err;
	assert_true(parse_d("a :: Idle", bad, &g, &err) < 0);
	assert_string_equal(err.msg, "bad definition 'NOEQUALS' (want NAME=VALUE)");
	assert_int_equal(g.ndecls, 0);
}

static void test_require(void **state)
{
	(void)state;
	struct lang_graph g;
	parse_ok("a :: Idle;\n  require(fastclassifier, package \"foo\");\nrequire(package bar)", NULL, &g);
	assert_int_equal(g.nreqs, 3);
	assert_string_equal(g.reqs[0].what, "fastclassifier");
	assert_string_equal(g.reqs[1].what, "foo");
	assert_string_equal(g.reqs[2].what, "bar");
	assert_int_equal(g.reqs[1].loc.line, 2);
	assert_int_equal(g.reqs[1].loc.col, 3);
	assert_int_equal(g.reqs[2].loc.line, 3);
	assert_string_equal(g.reqs[2].loc.file, "t.click");
	lang_graph_free(&g);
	assert_int_equal(g.nreqs, 0);
	assert_null(g.reqs);
}

static void test_err_undeclared(void **state)
{
	(void)state;
	check_err("a :: Idle;\na -> bogus;", "t.click:2:6: undeclared element 'bogus'");
	check_err("a :: Idle;\n  x -> a;", "t.click:2:3: undeclared element 'x'");
}

static void test_err_redeclaration(void **state)
{
	(void)state;
	check_err("a :: Idle;\nb :: Idle; a :: Counter;", "t.click:2:12: redeclaration of element 'a'");
	check_err("a, b, a :: Idle;", "t.click:1:7: redeclaration of element 'a'");
	/* names from different scopes collide after flattening */
	check_err("elementclass C { input -> x :: Null -> output }\nf :: C; f/x :: Idle;",
		  "t.click:2:9: redeclaration of element 'f/x'");
}

static void test_err_unknown_class(void **state)
{
	(void)state;
	check_err("a :: Idle;\nx :: Foo(1);", "t.click:2:6: unknown element class 'Foo'");
	check_err("Idle -> Bar(2);", "t.click:1:9: unknown element class 'Bar'");
	check_err("elementclass A B;", "t.click:1:16: unknown element class 'B'");
}

static void test_err_syntax(void **state)
{
	(void)state;
	check_err("a :: Idle;\na -> ;", "t.click:2:6: syntax error near ';'");
	check_err("a :: Idle; a -> [x] a;", "t.click:1:18: syntax error near 'x'");
	check_err("[1] a :: Idle;", "t.click:1:1: syntax error near '['");
	check_err("a :: Idle; a [1];", "t.click:1:14: syntax error near '['");
	check_err("a :: Idle -> ", "t.click:1:14: syntax error at end of file");
	check_err("elementclass X { input -> output ", "t.click:1:34: syntax error at end of file");
	check_err("a :: Idle; a -> % Discard", "t.click:1:17: syntax error near '%'");
	check_err("a :: Idle }", "t.click:1:11: syntax error near '}'");
	check_err("elementclass E { define($x 1) }", "t.click:1:18: syntax error near 'define'");
}

static void test_err_unterminated(void **state)
{
	(void)state;
	check_err("a :: Idle;\nb :: Print(a (b) c", "t.click:2:11: unterminated configuration string");
	check_err("a :: Idle;\n /* never closed", "t.click:2:2: unterminated comment");
	check_err("a :: Print(1 /* never closed )", "t.click:1:14: unterminated comment");
	check_err("a :: Print(\n  \"abc\\\")", "t.click:2:3: unterminated string");
	check_err("a :: Print('abc)", "t.click:1:12: unterminated string");
}

static void test_err_input_outside(void **state)
{
	(void)state;
	check_err("a :: Idle;\ninput -> a;", "t.click:2:1: 'input' used outside compound element");
	check_err("a :: Idle;\na -> output;", "t.click:2:6: 'output' used outside compound element");
	check_err("elementclass C { x :: Null; x -> input }", "t.click:1:34: 'input' used as a connection destination");
}

static void test_err_compound_args(void **state)
{
	(void)state;
	check_err("elementclass P { $a, $b | input -> Paint($a) -> output }\n\nf :: P(1);",
		  "t.click:3:6: wrong number of arguments to compound element 'P'");
	check_err("elementclass P { $a | input -> Paint($a) -> output }\nIdle -> P(1, 2) -> Discard;",
		  "t.click:2:9: wrong number of arguments to compound element 'P'");
	check_err("elementclass P { input -> output }\nf :: P(1);",
		  "t.click:2:6: wrong number of arguments to compound element 'P'");
	/* nested: reported where the inner instance is written */
	check_err("elementclass P { $a | input -> Paint($a) -> output }\n"
		  "elementclass Q { input ->\n   P -> output }\nq :: Q;",
		  "t.click:3:4: wrong number of arguments to compound element 'P'");
}

static void test_err_class_redeclaration(void **state)
{
	(void)state;
	check_err("elementclass P { input -> output }\n elementclass P { input -> output }",
		  "t.click:2:15: redeclaration of element class 'P'");
	/* a nested scope may reuse the name */
	check("elementclass P { input -> output }\nelementclass Q { elementclass P { input -> Null -> output } "
	      "input -> P -> output }\nq :: Q;",
	      NULL, "q/P@1/Null@1:Null()", "");
}

static void test_err_compound_ports(void **state)
{
	(void)state;
	check_err("elementclass C { input -> Null -> output; input [1] -> Discard }\n"
		  "a :: Tee; f :: C; a [2] -> [1] f; a -> [2] f;",
		  "t.click:2:44: 'f' has no input 2");
	check_err("elementclass C { input -> Null -> output }\nf :: C; f [1] -> Discard;",
		  "t.click:2:9: 'f' has no output 1");
}

static void test_error_leaves_out_empty(void **state)
{
	(void)state;
	/* requirements, declarations and a compound exist before the error */
	check_err("require(foo); elementclass C { $a | input -> Paint($a) -> output }\n"
		  "a :: Idle -> c :: C(1) -> Discard; require(bar)\nb -> a;",
		  "t.click:3:1: undeclared element 'b'");
	check_err("elementclass C { $a | input -> Paint($a) -> output }\na :: Idle -> C(1) -> C;",
		  "t.click:2:22: wrong number of arguments to compound element 'C'");
}

static void roundtrip(const char *text)
{
	struct lang_graph g, g2;
	struct rt_buf b, b2;
	parse_ok(text, NULL, &g);
	rt_buf_init(&b);
	rt_buf_init(&b2);
	lang_unparse(&g, &b);
	parse_ok(b.p, NULL, &g2);
	char *d1 = decls_str(&g), *d2 = decls_str(&g2), *c1 = conns_str(&g), *c2 = conns_str(&g2);
	assert_string_equal(d1, d2);
	assert_string_equal(c1, c2);
	lang_unparse(&g2, &b2);
	assert_string_equal(b.p, b2.p);
	free(d1), free(d2), free(c1), free(c2);
	rt_buf_free(&b);
	rt_buf_free(&b2);
	lang_graph_free(&g);
	lang_graph_free(&g2);
}

static void test_unparse(void **state)
{
	(void)state;
	struct lang_graph g;
	struct rt_buf b;
	parse_ok("elementclass C { $n | input -> c :: Counter($n) -> output; input [1] -> [1] output }\n"
		 "src :: InfiniteSource(LIMIT 5) -> f :: C(3) -> Discard; src [1] -> [1] f [1] -> [2] Tee;",
		 NULL, &g);
	rt_buf_init(&b);
	lang_unparse(&g, &b);
	assert_string_equal(b.p, "// flat configuration\n"
				 "src :: InfiniteSource(LIMIT 5);\n"
				 "f/c :: Counter(3);\n"
				 "Discard@3 :: Discard;\n"
				 "Tee@4 :: Tee;\n"
				 "src -> f/c;\n"
				 "f/c -> Discard@3;\n"
				 "src [1] -> [2] Tee@4;\n");
	rt_buf_free(&b);
	lang_graph_free(&g);
}

static void test_unparse_roundtrip(void **state)
{
	(void)state;
	roundtrip("elementclass C { $n | input -> c :: Counter($n) -> output; input [1] -> [1] output }\n"
		  "src :: InfiniteSource(LIMIT 5) -> f :: C(3) -> Discard; src [1] -> [1] f [1] -> [2] Tee;");
	roundtrip("define($X 1) a :: Classifier(12/0800 /* ip */, \"a)\", -) -> Print($X, $Y) -> "
		  "{ input -> Queue -> output } -> Discard; a [1] -> Idle@9 :: Discard; Idle -> [1] Tee(2)");
	roundtrip("a :: Print(x // comment\n  , y) -> b :: Print(\"q\\\"\") -> Discard");
	roundtrip("");
}

static void test_intern(void **state)
{
	(void)state;
	char a[] = "file.click", b[] = "file.click";
	const char *x = lang_intern(a), *y = lang_intern(b);
	assert_ptr_equal(x, y);
	assert_ptr_not_equal(x, a);
	assert_string_equal(x, "file.click");
	assert_ptr_not_equal(lang_intern("other.click"), x);
	assert_null(lang_intern(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_chain),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_multi_declaration),
		cmocka_unit_test(test_anonymous_names),
		cmocka_unit_test(test_inline_declarations_names),
		cmocka_unit_test(test_comments_and_lines),
		cmocka_unit_test(test_config_strings),
		cmocka_unit_test(test_compound_basic),
		cmocka_unit_test(test_compound_multiport),
		cmocka_unit_test(test_compound_formals),
		cmocka_unit_test(test_compound_keyword_formals),
		cmocka_unit_test(test_nested_compounds),
		cmocka_unit_test(test_lexical_variables),
		cmocka_unit_test(test_pass_through),
		cmocka_unit_test(test_tunnel_cycle),
		cmocka_unit_test(test_realistic_config),
		cmocka_unit_test(test_anonymous_compound),
		cmocka_unit_test(test_class_synonyms),
		cmocka_unit_test(test_tuples),
		cmocka_unit_test(test_define),
		cmocka_unit_test(test_define_command_line),
		cmocka_unit_test(test_require),
		cmocka_unit_test(test_err_undeclared),
		cmocka_unit_test(test_err_redeclaration),
		cmocka_unit_test(test_err_unknown_class),
		cmocka_unit_test(test_err_syntax),
		cmocka_unit_test(test_err_unterminated),
		cmocka_unit_test(test_err_input_outside),
		cmocka_unit_test(test_err_compound_args),
		cmocka_unit_test(test_err_class_redeclaration),
		cmocka_unit_test(test_err_compound_ports),
		cmocka_unit_test(test_error_leaves_out_empty),
		cmocka_unit_test(test_unparse),
		cmocka_unit_test(test_unparse_roundtrip),
		cmocka_unit_test(test_intern),
	};
	return cmocka_run_group_tests_name("lang", tests, NULL, NULL);
}
