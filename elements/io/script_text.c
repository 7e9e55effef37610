/*
 * script_text.c - the text side of the Script engine: word splitting,
 * Click's cp_expand ($VAR, $(HANDLER), nested), the arithmetic and
 * comparison functions of Click's Script handlers, handler name resolution
 * and the print / read / write instructions.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../runtime/ctl.h"
#include "iohelp.h"
#include "script_int.h"

const char *io_sc_skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

/* Pop the first space-separated word of *s (quotes kept in the word). */
char *io_sc_pop_word(const char **s)
{
	const char *wb, *we;
	const char *next = io_word(*s, &wb, &we);
	if (!next) {
		*s += strlen(*s);
		return NULL;
	}
	*s = io_sc_skip_space(next);
	return strndup(wb, (size_t)(we - wb));
}

int io_sc_var_index(struct io_script *sc, const char *name)
{
	for (int i = 0; i < sc->nvars; i++)
		if (!strcmp(sc->vname[i], name))
			return i;
	return -1;
}

/* ---- expansion and handler calls ------------------------------------------ */

void io_sc_report(struct io_script *sc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", sc->e->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void expand(struct io_script *sc, const char *s, size_t n, struct rt_buf *out);

/* Append a value, protected when it lands inside double quotes. */
static void put_value(struct rt_buf *out, const char *v, bool in_dq)
{
	if (!in_dq) {
		rt_buf_puts(out, v);
		return;
	}
	for (; *v; v++) {
		if (*v == '\\' || *v == '"' || *v == '$')
			rt_buf_add(out, "\\", 1);
		rt_buf_add(out, v, 1);
	}
}

static bool parse_int(const char *w, long long *v)
{
	char *end;
	errno = 0;
	*v = strtoll(w, &end, 0);
	return *w && !*end && !errno;
}

static bool parse_num(const char *w, double *v)
{
	char *end;
	*v = strtod(w, &end);
	return *w && !*end;
}

static char *unquote_dup(const char *s)
{
	struct rt_buf b;
	rt_buf_init(&b);
	io_unquote(&b, s, strlen(s));
	return rt_buf_steal(&b);
}

static const char *const builtin_names[] = {"add", "sub", "mul", "div", "idiv", "lt", "eq", "gt", "ge", "ne", "le",
					    "first", "not", "sprintf", NULL};

int io_sc_builtin_find(const char *name)
{
	for (int i = 0; builtin_names[i]; i++)
		if (!strcmp(name, builtin_names[i]))
			return i;
	return -1;
}

const char *io_sc_builtin_name(int what) { return what >= 0 && what < IO_SC_NBUILTINS ? builtin_names[what] : NULL; }

/* Click's Script arithmetic handlers (add .. sprintf) on their parameter. */
int io_sc_builtin(int what, const char *args, struct rt_buf *out, struct rt_err *err)
{
	const char *rest = args;
	if (what <= 4) { /* add sub mul div idiv */
		long long acc = (what <= 1) ? 0 : 1, x;
		double dacc = (double)acc, d;
		bool use_d = what >= 3, first = true;
		char *w;
		while ((w = io_sc_pop_word(&rest))) {
			if (!use_d && !parse_int(w, &x)) {
				use_d = true;
				dacc = (double)acc;
			}
			if (use_d) {
				if (!parse_num(w, &d)) {
					free(w);
					return rt_errf(err, NULL, -EINVAL, "expected list of numbers");
				}
				dacc = first ? d : what == 0 ? dacc + d : what == 1 ? dacc - d : what == 2 ? dacc * d : dacc / d;
			} else {
				acc = first ? x : what == 0 ? acc + x : what == 1 ? acc - x : acc * x;
			}
			first = false;
			free(w);
		}
		if (what == 4)
			rt_buf_printf(out, "%lld", (long long)dacc);
		else if (use_d)
			rt_buf_printf(out, "%.12g", dacc);
		else
			rt_buf_printf(out, "%lld", acc);
		return 0;
	}
	if (what <= 10) { /* comparisons: order lt eq gt, then ge ne le */
		char *a = io_sc_pop_word(&rest), *b = io_sc_pop_word(&rest);
		int rc = 0;
		if (!a || !b || *rest) {
			rc = rt_errf(err, NULL, -EINVAL, "expected two numbers");
		} else {
			long long ia, ib;
			double da, db;
			int cmp;
			if (parse_int(a, &ia) && parse_int(b, &ib)) {
				cmp = ia < ib ? 5 : ia == ib ? 6 : 7;
			} else if (parse_num(a, &da) && parse_num(b, &db)) {
				cmp = da < db ? 5 : da == db ? 6 : 7;
			} else {
				char *ua = unquote_dup(a), *ub = unquote_dup(b);
				int c = strcmp(ua, ub);
				cmp = c < 0 ? 5 : c == 0 ? 6 : 7;
				free(ua);
				free(ub);
			}
			bool r = what == cmp || (what >= 8 && what != cmp + 3);
			rt_buf_puts(out, r ? "true" : "false");
		}
		free(a);
		free(b);
		return rc;
	}
	if (what == 11) { /* first */
		char *w = io_sc_pop_word(&rest);
		rt_buf_puts(out, w ? w : "");
		free(w);
		return 0;
	}
	if (what == 12) { /* not */
		bool v;
		struct rt_err e2;
		rt_err_clear(&e2);
		if (el_parse_value(EL_T_BOOL, io_sc_skip_space(args), &v, &e2) < 0)
			return rt_errf(err, NULL, -EINVAL, "syntax error");
		rt_buf_puts(out, v ? "false" : "true");
		return 0;
	}
	/* sprintf FORMAT ARGS: d i u o x X s % conversions with flags, width, precision */
	char *fw = io_sc_pop_word(&rest);
	char *fmt = fw ? unquote_dup(fw) : strdup("");
	free(fw);
	int rc = 0;
	for (const char *p = fmt; *p && rc == 0;) {
		if (*p != '%') {
			rt_buf_add(out, p++, 1);
			continue;
		}
		char spec[32];
		size_t k = 0;
		spec[k++] = *p++;
		while (*p && strchr("0#- +", *p) && k < 20)
			spec[k++] = *p++;
		while (*p && (isdigit((unsigned char)*p) || *p == '.') && k < 28)
			spec[k++] = *p++;
		while (*p == 'h' || *p == 'l' || *p == 'L' || *p == 'q')
			p++;
		char conv = *p ? *p++ : 0;
		if (conv == '%') {
			rt_buf_add(out, "%", 1);
			continue;
		}
		char *arg = io_sc_pop_word(&rest);
		long long iv;
		if (conv && strchr("diouxX", conv) && arg && parse_int(arg, &iv)) {
			spec[k++] = 'l';
			spec[k++] = 'l';
			spec[k++] = conv;
			spec[k] = 0;
			rt_buf_printf(out, spec, iv);
		} else if (conv == 's' && arg) {
			char *u = unquote_dup(arg);
			spec[k++] = 's';
			spec[k] = 0;
			rt_buf_printf(out, spec, u);
			free(u);
		} else {
			rc = rt_errf(err, NULL, -EINVAL, "syntax error");
		}
		free(arg);
	}
	if (rc == 0 && *io_sc_skip_space(rest))
		rc = rt_errf(err, NULL, -EINVAL, "syntax error");
	free(fmt);
	return rc;
}

/* Resolve a handler name like Click's HandlerCall from this element: the
 * script's compound first, a bare name as the script's own handler. */
static void resolve(struct io_script *sc, const char *h, struct rt_buf *full, bool write)
{
	struct el *e = sc->e;
	rt_buf_reset(full);
	if (!strchr(h, '.')) {
		if (el_handler_find(e, h)) {
			rt_buf_printf(full, "%s.%s", e->name, h);
			return;
		}
	} else {
		const char *slash = strrchr(e->name, '/');
		if (slash) {
			rt_buf_printf(full, "%.*s/%s", (int)(slash - e->name), e->name, h);
			struct rt_err e2;
			rt_err_clear(&e2);
			struct rt_ident was = rt_ctl_enter(e->router, (struct rt_ident){e->tenant});
			int ok = rt_ctl_check(e->router, full->p, write, &e2) == 0;
			rt_ctl_leave(e->router, was);
			if (ok)
				return;
			rt_buf_reset(full);
		}
	}
	rt_buf_puts(full, h);
}

/* Call a read handler "NAME [PARAM]" (or a built-in function); false on
 * error (reported). */
static bool call_read(struct io_script *sc, const char *text, struct rt_buf *out)
{
	const char *rest = io_sc_skip_space(text);
	char *name = io_sc_pop_word(&rest);
	if (!name) {
		io_sc_report(sc, "missing handler name");
		return false;
	}
	const char *fname = name;
	size_t nl = strlen(sc->e->name);
	if (!strncmp(name, sc->e->name, nl) && name[nl] == '.')
		fname = name + nl + 1;
	struct rt_buf full, val;
	struct rt_err err;
	rt_buf_init(&full);
	rt_buf_init(&val);
	rt_err_clear(&err);
	int what = io_sc_builtin_find(fname), rc;
	if (what >= 0) {
		rc = io_sc_builtin(what, rest, &val, &err);
	} else {
		resolve(sc, name, &full, false);
		struct rt_ident was = rt_ctl_enter(sc->e->router, (struct rt_ident){sc->e->tenant}); /* as its tenant */
		rc = rt_ctl_read_param(sc->e->router, full.p, rest, &val, &err);
		rt_ctl_leave(sc->e->router, was);
	}
	if (rc < 0) {
		io_sc_report(sc, "%s: %s", name, err.msg);
	} else {
		if (val.len && val.p[val.len - 1] == '\n')
			val.len--;
		rt_buf_add(out, val.p ? val.p : "", val.len);
	}
	rt_buf_free(&full);
	rt_buf_free(&val);
	free(name);
	return rc >= 0;
}

/* Click's cp_expand: variables and $(...) outside single quotes. */
static void expand(struct io_script *sc, const char *s, size_t n, struct rt_buf *out)
{
	const char *e = s + n;
	bool dq = false;
	while (s < e) {
		char c = *s;
		if (c == '\'' && !dq) {
			const char *q = memchr(s + 1, '\'', (size_t)(e - s - 1));
			q = q ? q + 1 : e;
			rt_buf_add(out, s, (size_t)(q - s));
			s = q;
			continue;
		}
		if (c == '"') {
			dq = !dq;
		} else if (c == '\\' && dq && s + 1 < e) {
			rt_buf_add(out, s, 2);
			s += 2;
			continue;
		} else if (c == '$' && s + 1 < e) {
			const char *start = s;
			const char *nb = s + 1, *ne;
			bool paren = false;
			if (*nb == '(' || *nb == '{') {
				char open = *nb, close = open == '(' ? ')' : '}';
				int depth = 1;
				paren = open == '(';
				for (ne = nb + 1; ne < e && depth; ne++) {
					if (*ne == open)
						depth++;
					else if (*ne == close)
						depth--;
				}
				if (depth) {
					rt_buf_add(out, s, 1);
					s++;
					continue;
				}
				s = ne;
				nb++;
				ne--;
			} else if (*nb == '?' || *nb == '#') {
				ne = nb + 1;
				s = ne;
			} else if (isalnum((unsigned char)*nb) || *nb == '_') {
				ne = nb;
				while (ne < e && (isalnum((unsigned char)*ne) || *ne == '_'))
					ne++;
				s = ne;
			} else {
				rt_buf_add(out, s, 1);
				s++;
				continue;
			}
			struct rt_buf name, val;
			rt_buf_init(&name);
			rt_buf_init(&val);
			bool done = false;
			if (paren) {
				expand(sc, nb, (size_t)(ne - nb), &name);
				rt_buf_add(&name, "", 1);
			} else {
				rt_buf_add(&name, nb, (size_t)(ne - nb));
				rt_buf_add(&name, "", 1);
				int x = io_sc_var_index(sc, name.p);
				const char *args = sc->run_args ? sc->run_args : "";
				if (x >= 0) {
					rt_buf_puts(&val, sc->vval[x]);
					done = true;
				} else if (!strcmp(name.p, "?")) {
					rt_buf_printf(&val, "%d", sc->write_status);
					done = true;
				} else if (!strcmp(name.p, "args")) {
					rt_buf_puts(&val, args);
					done = true;
				} else if (!strcmp(name.p, "#") || (name.p[0] >= '1' && name.p[0] <= '9')) {
					long k = name.p[0] == '#' ? -1 : strtol(name.p, NULL, 10);
					int count = 0;
					const char *r = args;
					char *w;
					while ((w = io_sc_pop_word(&r))) {
						if (++count == k)
							rt_buf_puts(&val, w);
						free(w);
					}
					if (k < 0)
						rt_buf_printf(&val, "%d", count);
					done = true;
				}
			}
			if (paren)
				done = call_read(sc, name.p, &val);
			if (done) {
				rt_buf_add(&val, "", 1);
				put_value(out, val.p, dq);
			} else {
				rt_buf_add(out, start, (size_t)(s - start));
			}
			rt_buf_free(&name);
			rt_buf_free(&val);
			continue;
		}
		rt_buf_add(out, s, 1);
		s++;
	}
}

char *io_sc_expand_dup(struct io_script *sc, const char *text, bool unquote)
{
	struct rt_buf b;
	rt_buf_init(&b);
	expand(sc, text ? text : "", text ? strlen(text) : 0, &b);
	rt_buf_add(&b, "", 1);
	if (unquote) {
		char *u = unquote_dup(b.p);
		rt_buf_free(&b);
		return u;
	}
	b.len--;
	return rt_buf_steal(&b);
}

void io_sc_print(struct io_script *sc, const struct sc_insn *in)
{
	const char *text = in->text ? in->text : "";
	FILE *f = stdout;
	char *fname = NULL;
	if (*text == '>') {
		bool append = text[1] == '>';
		text = io_sc_skip_space(text + 1 + append);
		fname = io_sc_pop_word(&text);
		if (fname && strcmp(fname, "-")) {
			f = fopen(fname, append ? "ab" : "wb");
			if (!f) {
				io_sc_report(sc, "%s: %s", fname, strerror(errno));
				free(fname);
				return;
			}
		} else {
			free(fname);
			fname = NULL;
		}
	}
	struct rt_buf res;
	rt_buf_init(&res);
	bool ok = true;
	if (*text && (isalpha((unsigned char)*text) || *text == '@' || *text == '_')) {
		char *h = io_sc_expand_dup(sc, text, false);
		ok = call_read(sc, h, &res);
		free(h);
	} else {
		char *v = io_sc_expand_dup(sc, text, true);
		rt_buf_puts(&res, v);
		free(v);
	}
	if (ok && in->op != I_PRINTN && (!res.len || res.p[res.len - 1] != '\n'))
		rt_buf_add(&res, "\n", 1);
	if (res.len)
		fwrite(res.p, 1, res.len, f);
	if (fname)
		fclose(f);
	else
		fflush(f);
	free(fname);
	rt_buf_free(&res);
}

void io_sc_read(struct io_script *sc, const struct sc_insn *in)
{
	char *arg = in->op == I_READQ ? unquote_dup(in->text) : strdup(in->text);
	char *h = io_sc_expand_dup(sc, arg, false);
	struct rt_buf res;
	rt_buf_init(&res);
	if (call_read(sc, h, &res)) {
		const char *rest = h;
		char *name = io_sc_pop_word(&rest);
		fprintf(stderr, "%s:\n%.*s\n", name ? name : "", (int)res.len, res.p ? res.p : "");
		free(name);
	}
	rt_buf_free(&res);
	free(h);
	free(arg);
}

int io_sc_write(struct io_script *sc, const struct sc_insn *in)
{
	char *arg = in->op == I_WRITEQ ? unquote_dup(in->text) : strdup(in->text);
	char *h = io_sc_expand_dup(sc, arg, false);
	const char *rest = io_sc_skip_space(h);
	char *name = io_sc_pop_word(&rest);
	int rc;
	if (!name) {
		io_sc_report(sc, "missing handler name");
		rc = -EINVAL;
	} else if (!strcmp(name, "stop") && !el_handler_find(sc->e, "stop")) {
		/* Click's router "stop" handler is a driver stop event */
		rt_router_please_stop(sc->e->router);
		rc = 0;
	} else {
		struct rt_buf full;
		struct rt_err err;
		rt_buf_init(&full);
		rt_err_clear(&err);
		resolve(sc, name, &full, true);
		struct rt_ident was = rt_ctl_enter(sc->e->router, (struct rt_ident){sc->e->tenant}); /* as its tenant */
		rc = rt_ctl_write(sc->e->router, full.p, rest, &err);
		rt_ctl_leave(sc->e->router, was);
		if (rc < 0)
			io_sc_report(sc, "%s", err.msg);
		rt_buf_free(&full);
	}
	free(name);
	free(h);
	free(arg);
	return rc;
}
