/*
 * Print - prints packet contents to stderr, one line per packet, in
 * Click's format.  A debugging element: it formats on the data path.
 */
#include <stdio.h>

#include "../../runtime/el.h"

static const char doc[] =
	"Prints up to MAXLENGTH bytes of data from each packet, in hex, preceded by the LABEL text, "
	"to standard error. Default MAXLENGTH is 24; a negative MAXLENGTH prints the entire packet.\n\n"
	"The line is `LABEL: [TIMESTAMP: ]LEN | DATA`, with LEN printed as `%4d` and the data as hex "
	"in groups of four bytes (CONTENTS HEX, the default), as text with non-printing bytes shown "
	"as `.` in groups of eight (CONTENTS ASCII), or not at all (CONTENTS NONE). TIMESTAMP true "
	"prints the timestamp annotation as seconds.microseconds; HEADROOM true prints "
	"` (h<headroom> t<tailroom>)` after the length; PRINTANNO true prints mboxsh's annotation "
	"bytes in hex. ACTIVE false prints nothing.";

enum { C_NONE, C_HEX, C_ASCII };

struct print {
	char *label;
	int64_t maxlength;
	char *contents_s;
	bool timestamp, active, headroom, printanno;
	int contents;
};

static const struct el_arg args[] = {
	{"LABEL", EL_T_STRING, offsetof(struct print, label), NULL, EL_ARG_POS, "text before each line"},
	{"MAXLENGTH", EL_T_INT, offsetof(struct print, maxlength), "24", EL_ARG_POS,
	 "most data bytes to print, negative = all"},
	{"CONTENTS", EL_T_WORD, offsetof(struct print, contents_s), "HEX", 0, "HEX, ASCII or NONE (or a boolean)"},
	{"TIMESTAMP", EL_T_BOOL, offsetof(struct print, timestamp), "false", 0, "print the timestamp annotation"},
	{"PRINTANNO", EL_T_BOOL, offsetof(struct print, printanno), "false", 0, "print the annotation bytes"},
	{"ACTIVE", EL_T_BOOL, offsetof(struct print, active), "true", 0, "print at all"},
	{"HEADROOM", EL_T_BOOL, offsetof(struct print, headroom), "false", 0, "print headroom and tailroom"},
	{"LENGTH", EL_T_INT, offsetof(struct print, maxlength), NULL, 0, "deprecated: MAXLENGTH"},
	{"NBYTES", EL_T_INT, offsetof(struct print, maxlength), NULL, 0, "deprecated: MAXLENGTH"},
	EL_ARGS_END,
};

/* A line is built in a fixed buffer and written in pieces when it fills,
 * under stderr's lock so lines from several workers do not interleave. */
struct line {
	char buf[1024];
	size_t len;
};

static void line_flush(struct line *l)
{
	fwrite_unlocked(l->buf, 1, l->len, stderr);
	l->len = 0;
}

static void line_need(struct line *l, size_t n)
{
	if (l->len + n > sizeof(l->buf))
		line_flush(l);
}

static void line_fmt(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_fmt(struct line *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (k >= 0 && l->len + (size_t)k < sizeof(l->buf)) {
		l->len += (size_t)k;
		return;
	}
	line_flush(l);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void print_one(const struct print *s, struct line *l, struct rte_mbuf *m)
{
	static const char hex[] = "0123456789abcdef";
	const char *sep = "";
	uint32_t len = rt_len(m);
	int64_t bytes = s->contents == C_NONE ? 0 : s->maxlength;
	if (bytes < 0 || bytes > len)
		bytes = len;
	l->len = 0;
	if (s->label && *s->label) {
		line_fmt(l, "%s", s->label);
		sep = ": ";
	}
	if (s->timestamp) {
		uint64_t ts = rt_anno(m)->timestamp;
		line_fmt(l, "%s%llu.%06llu", sep, (unsigned long long)(ts / 1000000000ull),
			 (unsigned long long)(ts % 1000000000ull / 1000));
		sep = ": ";
	}
	line_fmt(l, "%s%4u", sep, len);
	if (s->headroom)
		line_fmt(l, " (h%u t%u)", rte_pktmbuf_headroom(m), rte_pktmbuf_tailroom(m));
	if (s->printanno) {
		line_fmt(l, " | ");
		const uint8_t *a = (const uint8_t *)rt_anno(m);
		for (size_t i = 0; i < sizeof(struct rt_anno); i++)
			line_fmt(l, "%02x", a[i]);
	}
	if (bytes) {
		const uint8_t *d = rt_data(m);
		line_fmt(l, " | ");
		for (int64_t i = 0; i < bytes; i++) {
			line_need(l, 3);
			if (s->contents == C_HEX) {
				if (i && i % 4 == 0)
					l->buf[l->len++] = ' ';
				l->buf[l->len++] = hex[d[i] >> 4];
				l->buf[l->len++] = hex[d[i] & 15];
			} else {
				if (i % 8 == 0)
					l->buf[l->len++] = ' ';
				l->buf[l->len++] = d[i] < 32 || d[i] > 126 ? '.' : (char)d[i];
			}
		}
	}
	line_need(l, 1);
	l->buf[l->len++] = '\n';
	line_flush(l);
}

static void print_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct print *s = n->state;
	if (__atomic_load_n(&s->active, __ATOMIC_RELAXED)) {
		struct line l;
		flockfile(stderr);
		for (uint32_t i = 0; i < b->n; i++)
			print_one(s, &l, b->pkts[i]);
		funlockfile(stderr);
	}
	el_output(n, 0, b);
}

static int print_init(struct el *e, struct rt_err *err)
{
	struct print *s = e->state;
	const char *c = s->contents_s;
	bool flag;
	struct rt_err e2;
	rt_err_clear(&e2);
	if (el_parse_value(EL_T_BOOL, c, &flag, &e2) == 0)
		s->contents = flag ? C_HEX : C_NONE;
	else if (!strcasecmp(c, "NONE"))
		s->contents = C_NONE;
	else if (!strcasecmp(c, "HEX"))
		s->contents = C_HEX;
	else if (!strcasecmp(c, "ASCII"))
		s->contents = C_ASCII;
	else
		return rt_errf(err, &e->loc, -EINVAL, "%s: CONTENTS: bad contents value '%s'; should be 'NONE', 'HEX', or 'ASCII'",
			       e->name, c);
	return 0;
}

static int print_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_puts(out, EL_STATE(e, struct print)->active ? "true" : "false");
	return 0;
}

static int print_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what;
	bool b;
	if (el_parse_value(EL_T_BOOL, v, &b, err) < 0)
		return err->code;
	__atomic_store_n(&EL_STATE(e, struct print)->active, b, __ATOMIC_RELAXED);
	return 0;
}

static const struct el_handler handlers[] = {
	{"active", print_read, print_write, 0, 0, "whether packets are printed"},
	EL_HANDLERS_END,
};

static struct el_class print = {
	.name = "Print",
	.sig = "Print([LABEL, MAXLENGTH, KEYWORDS])",
	.summary = "prints packet contents",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct print),
	.args = args,
	.init = print_init,
	.push = print_push,
	.handlers = handlers,
};
EL_REGISTER(print)
