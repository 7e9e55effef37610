/*
 * cls_ipexpr.c - Click's tcpdump-like IPClassifier/IPFilter language.
 *
 *   expr   ::= orexpr [ '?' expr ':' expr ]
 *   orexpr ::= term { ('or' | '||') term }
 *   term   ::= factor { [ 'and' | '&&' ] factor }     juxtaposition = and
 *   factor ::= ('not' | '!') factor | '(' expr ')' | true | false | prim
 *   prim   ::= QUALS [ '[' POS[:LEN] ']' ] [ '&' MASK ] [ RELOP ] [ DATA ]
 *
 * QUALS are src/dst, protocol names, "ip" and type words (host, net, port,
 * proto, opt, type, ttl, ...).  As in Click, missing pieces are inferred
 * from the data ("www" = port www, "syn" = tcp opt syn, "10.0.0.0/8" = net)
 * and a bare number repeats the previous primitive ("src port 80 or 81").
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cls_expr_int.h"

#define PROTO_NONE (-1)
#define PROTO_TCPUDP 256 /* "port" with no protocol: TCP or UDP */
#define PROTO_TRANSP 257 /* "transp[..]": any protocol */
#define MAX_OUTPUT 1023
#define MAX_DEPTH 256 /* recursion levels; each "(" costs two */

struct cls_name {
	const char *name;
	uint32_t val;
};

static const struct cls_name proto_names[] = {
	{"icmp", 1}, {"igmp", 2}, {"ipip", 4}, {"tcp", 6}, {"udp", 17}, {"gre", 47}, {"esp", 50}, {"sctp", 132},
};

static const struct cls_name port_names[] = {
	{"echo", 7},	      {"discard", 9},	   {"daytime", 13},	 {"chargen", 19},     {"ftp-data", 20},
	{"ftp", 21},	      {"ssh", 22},	   {"telnet", 23},	 {"smtp", 25},	      {"domain", 53},
	{"dns", 53},	      {"bootps", 67},	   {"bootpc", 68},	 {"tftp", 69},	      {"finger", 79},
	{"www", 80},	      {"http", 80},	   {"pop3", 110},	 {"sunrpc", 111},     {"auth", 113},
	{"nntp", 119},	      {"ntp", 123},	   {"netbios-ns", 137},	 {"netbios-dgm", 138}, {"netbios-ssn", 139},
	{"imap", 143},	      {"snmp", 161},	   {"snmp-trap", 162},	 {"bgp", 179},	      {"irc", 194},
	{"imap3", 220},	      {"https", 443},	   {"rip", 520},	 {"route", 520},      {"imaps", 993},
	{"pop3s", 995},
};

static const struct cls_name opt_names[] = {
	{"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04}, {"psh", 0x08}, {"ack", 0x10}, {"urg", 0x20},
};

static const struct cls_name icmp_names[] = {
	{"echo-reply", 0},	  {"unreachable", 3},	   {"sourcequench", 4},	     {"source-quench", 4},
	{"redirect", 5},	  {"echo", 8},		   {"routeradvert", 9},	     {"routersolicit", 10},
	{"timeexceeded", 11},	  {"time-exceeded", 11},   {"parameterproblem", 12}, {"parameter-problem", 12},
	{"timestamp", 13},	  {"timestamp-reply", 14}, {"inforeq", 15},	     {"inforeq-reply", 16},
	{"maskreq", 17},	  {"maskreq-reply", 18},
};

enum { NM_PORT, NM_OPT, NM_ICMP, NM_PROTO };
enum { PT_NONE, PT_HOST, PT_NET, PT_PORT, PT_PROTO, PT_OPT, PT_FIELD, PT_FRAG, PT_UNFRAG, PT_ECT, PT_CE, PT_TRUE };
enum { SD_NONE, SD_SRC, SD_DST, SD_OR, SD_AND };
enum { D_NONE, D_INT, D_RANGE, D_HOST, D_NET, D_NAME };

/* A header field: `size` bytes at base+off, shifted right and masked by
 * `max`.  `proto` is the protocol it belongs to (transport fields). */
struct cls_field {
	char name[24];
	uint8_t base, size, shift;
	uint32_t off, max;
	int proto;
};

static const struct cls_field fields[] = {
	{"ip vers", CLS_BASE_NET, 1, 4, 0, 0xf, PROTO_NONE},	{"ip hl", CLS_BASE_NET, 1, 0, 0, 0xf, PROTO_NONE},
	{"ip tos", CLS_BASE_NET, 1, 0, 1, 0xff, PROTO_NONE},	{"ip dscp", CLS_BASE_NET, 1, 2, 1, 0x3f, PROTO_NONE},
	{"ip len", CLS_BASE_NET, 2, 0, 2, 0xffff, PROTO_NONE}, {"ip id", CLS_BASE_NET, 2, 0, 4, 0xffff, PROTO_NONE},
	{"ip ttl", CLS_BASE_NET, 1, 0, 8, 0xff, PROTO_NONE},	{"tcp win", CLS_BASE_TRANSP, 2, 0, 14, 0xffff, 6},
	{"icmp type", CLS_BASE_TRANSP, 1, 0, 0, 0xff, 1},
};
enum { F_VERS, F_HL, F_TOS, F_DSCP, F_LEN, F_ID, F_TTL, F_WIN, F_ICMPTYPE };

static const struct {
	const char *name;
	int type, field;
} type_words[] = {
	{"host", PT_HOST, -1},	  {"net", PT_NET, -1},	     {"port", PT_PORT, -1},	{"proto", PT_PROTO, -1},
	{"opt", PT_OPT, -1},	  {"frag", PT_FRAG, -1},     {"unfrag", PT_UNFRAG, -1}, {"ect", PT_ECT, -1},
	{"ce", PT_CE, -1},	  {"vers", PT_FIELD, F_VERS}, {"hl", PT_FIELD, F_HL},	{"tos", PT_FIELD, F_TOS},
	{"dscp", PT_FIELD, F_DSCP}, {"len", PT_FIELD, F_LEN}, {"id", PT_FIELD, F_ID},	{"ttl", PT_FIELD, F_TTL},
	{"win", PT_FIELD, F_WIN}, {"type", PT_FIELD, F_ICMPTYPE},
};

struct cls_prim {
	int type, srcdst, proto, op;
	struct cls_field f; /* PT_FIELD */
	uint32_t umask;	    /* '& MASK', 0 when absent */
	int dkind, dname;   /* data kind; name table for D_NAME */
	uint32_t v, v2;	    /* value | range lo,hi | address,netmask */
	const char *dword;  /* the data word, for messages */
};

struct cls_pp {
	char **tok;
	int ntok, pos;
	struct cls_tree *t;
	struct rt_err *err;
	const struct rt_loc *loc;
	const char *what; /* "expression" or "rule" */
	int argno, depth;
	bool bad;
	struct cls_prim prev; /* for "src port 80 or 81" */
};

static int pp_err(struct cls_pp *pp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pp_err(struct cls_pp *pp, const char *fmt, ...)
{
	if (!pp->bad) {
		char msg[400];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		rt_errf(pp->err, pp->loc, -EINVAL, "%s %d: %s", pp->what, pp->argno, msg);
	}
	pp->bad = true;
	return -1;
}

/* ---- lexical helpers ----------------------------------------------------- */

static bool is_wordc(char c) { return isalnum((unsigned char)c) || (c && strchr("-./@_:", c)); }

/* Split into words and operator tokens like Click: "&&" "||" "<=" ">=" "!="
 * "==" and single "&|<>!=()[]?,;"; ':' is a word character, so the ternary
 * colon needs spaces.  `buf` holds 2*strlen+2 bytes, `tok` strlen+1. */
static int pp_tokenize(const char *s, char *buf, char **tok)
{
	int n = 0;
	while (*s) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		size_t l = 1;
		if ((*s == '&' || *s == '|') && s[1] == *s)
			l = 2;
		else if (strchr("<>!=", *s) && s[1] == '=')
			l = 2;
		else if (is_wordc(*s))
			while (is_wordc(s[l]))
				l++;
		tok[n++] = buf;
		memcpy(buf, s, l);
		buf[l] = 0;
		buf += l + 1;
		s += l;
	}
	return n;
}

static bool lookup(const struct cls_name *tab, size_t n, const char *w, uint32_t *val)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(tab[i].name, w)) {
			*val = tab[i].val;
			return true;
		}
	return false;
}
#define LOOKUP(tab, w, v) lookup(tab, RT_ARRAY_SIZE(tab), w, v)

/* Decimal or 0x hex, the whole word, fitting 32 bits. */
static bool parse_uint(const char *w, uint32_t *v)
{
	int base = 10;
	if (w[0] == '0' && (w[1] == 'x' || w[1] == 'X'))
		base = 16, w += 2;
	if (!*w)
		return false;
	uint64_t x = 0;
	for (; *w; w++) {
		int d = isdigit((unsigned char)*w) ? *w - '0' : isxdigit((unsigned char)*w) && base == 16 ? (tolower(*w) - 'a' + 10) : -1;
		if (d < 0 || (x = x * (unsigned)base + (unsigned)d) > 0xffffffffu)
			return false;
	}
	*v = (uint32_t)x;
	return true;
}

static bool parse_ip(const char *w, size_t n, uint32_t *a)
{
	uint32_t x = 0;
	for (int i = 0; i < 4; i++) {
		unsigned o = 0, nd = 0;
		while (n && isdigit((unsigned char)*w) && nd < 4)
			o = o * 10 + (unsigned)(*w++ - '0'), n--, nd++;
		if (nd == 0 || nd > 3 || o > 255)
			return false;
		x = x << 8 | o;
		if (i < 3) {
			if (!n || *w != '.')
				return false;
			w++, n--;
		}
	}
	*a = x;
	return n == 0;
}

static bool is_word(const char *w) { return is_wordc(w[0]); }
static bool is_connective(const char *w)
{
	return !strcmp(w, "and") || !strcmp(w, "or") || !strcmp(w, "&&") || !strcmp(w, "||");
}
static const char *pp_peek(const struct cls_pp *pp) { return pp->pos < pp->ntok ? pp->tok[pp->pos] : ""; }
static bool pp_at(const struct cls_pp *pp, const char *w) { return !strcmp(pp_peek(pp), w); }

/* ---- tree building blocks ------------------------------------------------ */

static int mk_leaf(struct cls_pp *pp, uint8_t base, uint32_t off, uint8_t size, uint8_t shift, uint32_t mask, int op,
		   uint32_t val)
{
	return cls_tree_leaf(pp->t, base, off, size, shift, mask, (uint8_t)op, val);
}

/* True when `need` bytes of the header at `base` are present: guards tests
 * whose negation would otherwise succeed on a packet that is too short. */
static int mk_avail(struct cls_pp *pp, uint8_t base, uint32_t need)
{
	return mk_leaf(pp, base, need - 1, 1, 0, 0, CLS_OP_AVAIL, 0);
}

static int mk_proto(struct cls_pp *pp, int proto)
{
	if (proto == PROTO_TCPUDP)
		return cls_tree_or(pp->t, mk_leaf(pp, CLS_BASE_NET, 9, 1, 0, 0xff, CLS_OP_EQ, 6),
				   mk_leaf(pp, CLS_BASE_NET, 9, 1, 0, 0xff, CLS_OP_EQ, 17));
	if (proto < 0 || proto > 255)
		return cls_tree_const(pp->t, true);
	return mk_leaf(pp, CLS_BASE_NET, 9, 1, 0, 0xff, CLS_OP_EQ, (uint32_t)proto);
}

/* Transport tests only see the first fragment, the right protocol, and
 * packets long enough to hold the bytes they read (all of these are folded
 * in before any negation, as Click does: "tcp port != 80" is false for UDP). */
static int mk_transport(struct cls_pp *pp, int proto, uint32_t need, int test)
{
	int g = mk_leaf(pp, CLS_BASE_NET, 6, 2, 0, 0x1fff, CLS_OP_EQ, 0);
	g = cls_tree_and(pp->t, g, mk_proto(pp, proto));
	g = cls_tree_and(pp->t, g, mk_avail(pp, CLS_BASE_TRANSP, need));
	return cls_tree_and(pp->t, g, test);
}

/* Positive comparison for one field; `op` is EQ, LT or GT (the negated
 * forms are applied by the caller after combining src and dst). */
static int mk_cmp(struct cls_pp *pp, const struct cls_prim *pr, uint8_t base, uint32_t off, uint8_t size,
		  uint8_t shift, uint32_t mask, int op)
{
	if (pr->dkind == D_RANGE)
		return cls_tree_and(pp->t, mk_leaf(pp, base, off, size, shift, mask, CLS_OP_GE, pr->v),
				    mk_leaf(pp, base, off, size, shift, mask, CLS_OP_LE, pr->v2));
	return mk_leaf(pp, base, off, size, shift, mask, op, pr->v);
}

/* ---- primitives ---------------------------------------------------------- */

static const char *op_name(int op)
{
	static const char *const n[] = {"=", "!=", "<", ">", "<=", ">="};
	return n[op];
}

static int set_proto(struct cls_pp *pp, struct cls_prim *pr, int proto)
{
	if (pr->proto != PROTO_NONE && pr->proto != proto)
		return pp_err(pp, "transport protocol specified twice near '%s'", pp_peek(pp));
	pr->proto = proto;
	return 0;
}

/* Try to read the data word: a name valid in this context, a number, a
 * range A-B, an address, "A mask M" or a prefix.  1 = consumed, 0 = not
 * data, -1 = error. */
static int parse_data(struct cls_pp *pp, struct cls_prim *pr)
{
	const char *w = pp_peek(pp);
	uint32_t val[4];
	bool got[4] = {false, false, false, false};
	if (!is_word(w) || is_connective(w))
		return 0;
	pr->dword = w;
	bool any = pr->type == PT_NONE, tcpudp = pr->proto == PROTO_NONE || pr->proto == 6 || pr->proto == 17;
	if (pr->type == PT_PORT || (any && tcpudp))
		got[NM_PORT] = LOOKUP(port_names, w, &val[NM_PORT]);
	if (pr->type == PT_OPT || (any && (pr->proto == PROTO_NONE || pr->proto == 6)))
		got[NM_OPT] = LOOKUP(opt_names, w, &val[NM_OPT]);
	if ((pr->type == PT_FIELD && pr->f.proto == 1 && pr->f.off == 0 && pr->f.base == CLS_BASE_TRANSP) ||
	    (any && (pr->proto == PROTO_NONE || pr->proto == 1)))
		got[NM_ICMP] = LOOKUP(icmp_names, w, &val[NM_ICMP]);
	if (pr->type == PT_PROTO)
		got[NM_PROTO] = LOOKUP(proto_names, w, &val[NM_PROTO]);
	if (got[NM_PORT] && got[NM_ICMP])
		return pp_err(pp, "'%s' is ambiguous: say 'port %s' or 'icmp type %s'", w, w, w);
	for (int i = 0; i < 4; i++)
		if (got[i]) {
			pr->dkind = D_NAME, pr->dname = i, pr->v = val[i];
			pp->pos++;
			return 1;
		}

	const char *dash = strchr(w, '-'), *slash = strchr(w, '/');
	if (parse_uint(w, &pr->v)) {
		pr->dkind = D_INT;
	} else if (dash && isdigit((unsigned char)w[0])) {
		char lo[24];
		size_t n = (size_t)(dash - w);
		if (n >= sizeof(lo))
			return 0;
		memcpy(lo, w, n), lo[n] = 0;
		if (!parse_uint(lo, &pr->v) || !parse_uint(dash + 1, &pr->v2))
			return 0;
		if (pr->v > pr->v2)
			return pp_err(pp, "bad range '%s': low end above high end", w);
		pr->dkind = D_RANGE;
	} else if (parse_ip(w, strlen(w), &pr->v)) {
		pr->dkind = D_HOST;
		if (pp->pos + 2 < pp->ntok && !strcmp(pp->tok[pp->pos + 1], "mask")) {
			const char *m = pp->tok[pp->pos + 2];
			if (!parse_ip(m, strlen(m), &pr->v2))
				return pp_err(pp, "bad netmask '%s'", m);
			pr->dkind = D_NET;
			pp->pos += 2;
		}
	} else if (slash && parse_ip(w, (size_t)(slash - w), &pr->v)) {
		uint32_t bits;
		if (parse_uint(slash + 1, &bits) && bits <= 32 && isdigit((unsigned char)slash[1]))
			pr->v2 = bits ? 0xffffffffu << (32 - bits) : 0;
		else if (!parse_ip(slash + 1, strlen(slash + 1), &pr->v2))
			return pp_err(pp, "bad prefix '%s'", w);
		pr->dkind = D_NET;
	} else {
		return 0;
	}
	pp->pos++;
	return 1;
}

/* Value checks shared by numeric fields, ports and protocols. */
static int check_num(struct cls_pp *pp, const struct cls_prim *pr, const char *what, uint32_t max)
{
	if (pr->dkind != D_INT && pr->dkind != D_RANGE && pr->dkind != D_NAME)
		return pr->dword ? pp_err(pp, "bad value '%s' for '%s'", pr->dword, what)
				 : pp_err(pp, "missing value for '%s'", what);
	if (pr->umask & ~max)
		return pp_err(pp, "mask 0x%x out of range for '%s' (0-0x%x)", (unsigned)pr->umask, what, (unsigned)max);
	if (pr->v > max || (pr->dkind == D_RANGE && pr->v2 > max))
		return pp_err(pp, "value '%s' out of range for '%s' (0-%u)", pr->dword, what, (unsigned)max);
	if (pr->dkind == D_RANGE && pr->op != CLS_OP_EQ && pr->op != CLS_OP_NE)
		return pp_err(pp, "can't use '%s' with a range", op_name(pr->op));
	return 0;
}

/* Turn a resolved primitive into a tree. */
static int build_prim(struct cls_pp *pp, struct cls_prim *pr)
{
	static const char *const tnames[] = {"", "host", "net", "port", "proto", "tcp opt", "", "ip frag",
					     "ip unfrag", "ip ect", "ip ce", "ip"};
	const char *tn = pr->type == PT_FIELD ? pr->f.name : tnames[pr->type];
	/* Click's relations: "!=", "<=", ">=" negate "=", ">", "<" after src
	 * and dst are combined ("port != 80": neither port is 80). */
	int pop = pr->op, neg = 0;
	if (pop == CLS_OP_NE || pop == CLS_OP_LE || pop == CLS_OP_GE)
		neg = 1, pop = pop == CLS_OP_NE ? CLS_OP_EQ : pop == CLS_OP_LE ? CLS_OP_GT : CLS_OP_LT;
	int x, sd = pr->srcdst ? pr->srcdst : SD_OR;

	if (pr->srcdst && pr->type != PT_HOST && pr->type != PT_NET && pr->type != PT_PORT)
		return pp_err(pp, "'src' or 'dst' is meaningless with '%s'", tn);
	if (pr->umask && pr->type != PT_FIELD && pr->type != PT_PORT && pr->type != PT_PROTO)
		return pp_err(pp, "can't use '&' with '%s'", tn);
	if (pr->op != CLS_OP_EQ && pr->type != PT_FIELD && pr->type != PT_PORT && pr->type != PT_PROTO &&
	    (pr->op != CLS_OP_NE || (pr->type != PT_HOST && pr->type != PT_NET)))
		return pp_err(pp, "can't use '%s' with '%s'", op_name(pr->op), tn);
	if (pr->type >= PT_FRAG && pr->dkind != D_NONE)
		return pp_err(pp, "'%s' takes no value (got '%s')", tn, pr->dword);
	if (pr->proto == PROTO_TRANSP && pr->type != PT_FIELD)
		return pp_err(pp, "'transp' must be followed by '[POS]' or '[POS:LEN]'");

	switch (pr->type) {
	case PT_HOST:
	case PT_NET: {
		if (pr->type == PT_HOST && pr->dkind != D_HOST)
			return pr->dword ? pp_err(pp, "'host' needs an IP address, not '%s'", pr->dword)
					 : pp_err(pp, "missing IP address for 'host'");
		if (pr->type == PT_NET && pr->dkind != D_NET)
			return pr->dword ? pp_err(pp, "'net' needs a prefix like 10.0.0.0/8, not '%s'", pr->dword)
					 : pp_err(pp, "missing prefix for 'net'");
		uint32_t m = pr->dkind == D_NET ? pr->v2 : 0xffffffffu;
		int s = mk_leaf(pp, CLS_BASE_NET, 12, 4, 0, m, CLS_OP_EQ, pr->v & m);
		int d = mk_leaf(pp, CLS_BASE_NET, 16, 4, 0, m, CLS_OP_EQ, pr->v & m);
		x = sd == SD_SRC ? s : sd == SD_DST ? d : sd == SD_OR ? cls_tree_or(pp->t, s, d) : cls_tree_and(pp->t, s, d);
		x = neg ? cls_tree_not(pp->t, x) : x;
		return pr->proto == PROTO_NONE ? x : cls_tree_and(pp->t, mk_proto(pp, pr->proto), x);
	}
	case PT_PORT: {
		if (pr->proto == PROTO_NONE)
			pr->proto = PROTO_TCPUDP;
		if (pr->proto != 6 && pr->proto != 17 && pr->proto != PROTO_TCPUDP)
			return pp_err(pp, "'port' needs TCP or UDP, not protocol %d", pr->proto);
		if (check_num(pp, pr, "port", 0xffff) < 0)
			return -1;
		uint32_t m = pr->umask ? pr->umask : 0xffff;
		int s = mk_cmp(pp, pr, CLS_BASE_TRANSP, 0, 2, 0, m, pop);
		int d = mk_cmp(pp, pr, CLS_BASE_TRANSP, 2, 2, 0, m, pop);
		x = sd == SD_SRC ? s : sd == SD_DST ? d : sd == SD_OR ? cls_tree_or(pp->t, s, d) : cls_tree_and(pp->t, s, d);
		x = neg ? cls_tree_not(pp->t, x) : x;
		return mk_transport(pp, pr->proto, sd == SD_SRC ? 2 : 4, x);
	}
	case PT_PROTO: {
		if (pr->dkind == D_NONE) {
			if (pr->proto == PROTO_NONE)
				return pp_err(pp, "missing protocol for 'proto'");
			pr->v = (uint32_t)pr->proto, pr->dkind = D_INT;
		} else if (pr->proto != PROTO_NONE && (pr->dkind != D_INT || pr->v != (uint32_t)pr->proto)) {
			return pp_err(pp, "transport protocol specified twice near '%s'", pr->dword);
		}
		if (check_num(pp, pr, "ip proto", 0xff) < 0)
			return -1;
		x = mk_cmp(pp, pr, CLS_BASE_NET, 9, 1, 0, pr->umask ? pr->umask : 0xff, pop);
		return neg ? cls_tree_not(pp->t, x) : x;
	}
	case PT_OPT:
		if (pr->proto == PROTO_NONE)
			pr->proto = 6;
		if (pr->proto != 6)
			return pp_err(pp, "'opt' needs TCP, not protocol %d", pr->proto);
		if (pr->dkind != D_NAME && pr->dkind != D_INT)
			return pr->dword ? pp_err(pp, "unknown TCP option '%s'", pr->dword)
					 : pp_err(pp, "missing TCP option for 'tcp opt'");
		if (pr->v == 0 || pr->v > 0xff)
			return pp_err(pp, "TCP option '%s' out of range (1-255)", pr->dword);
		/* Every named flag set, other flags ignored. */
		return mk_transport(pp, 6, 14, mk_leaf(pp, CLS_BASE_TRANSP, 13, 1, 0, pr->v, CLS_OP_EQ, pr->v));
	case PT_FIELD: {
		const struct cls_field *f = &pr->f;
		if (check_num(pp, pr, f->name, f->max) < 0)
			return -1;
		if (pr->dkind == D_NAME && pr->dname != NM_ICMP)
			return pp_err(pp, "bad value '%s' for '%s'", pr->dword, f->name);
		x = mk_cmp(pp, pr, f->base, f->off, f->size, f->shift, pr->umask ? pr->umask : f->max, pop);
		x = neg ? cls_tree_not(pp->t, x) : x;
		if (f->base == CLS_BASE_TRANSP)
			return mk_transport(pp, f->proto, f->off + f->size, x);
		if (f->off + f->size > 20) /* ip[POS] beyond the fixed header */
			x = cls_tree_and(pp->t, mk_avail(pp, CLS_BASE_NET, f->off + f->size), x);
		return pr->proto == PROTO_NONE ? x : cls_tree_and(pp->t, mk_proto(pp, pr->proto), x);
	}
	case PT_FRAG:
	case PT_UNFRAG:
		/* fragment = more-fragments bit or a nonzero offset */
		x = mk_leaf(pp, CLS_BASE_NET, 6, 2, 0, 0x3fff, pr->type == PT_FRAG ? CLS_OP_NE : CLS_OP_EQ, 0);
		break;
	case PT_ECT:
		x = mk_leaf(pp, CLS_BASE_NET, 1, 1, 0, 3, CLS_OP_NE, 0);
		break;
	case PT_CE:
		x = mk_leaf(pp, CLS_BASE_NET, 1, 1, 0, 3, CLS_OP_EQ, 3);
		break;
	default:
		x = cls_tree_const(pp->t, true);
		break;
	}
	return pr->proto == PROTO_NONE ? x : cls_tree_and(pp->t, mk_proto(pp, pr->proto), x);
}

/* "[POS]" or "[POS:LEN]" after ip/transp/tcp/udp/icmp. */
static int parse_brackets(struct cls_pp *pp, struct cls_prim *pr)
{
	char spec[48] = "";
	size_t n = 0;
	for (pp->pos++; pp->pos < pp->ntok && !pp_at(pp, "]"); pp->pos++) {
		size_t l = strlen(pp->tok[pp->pos]);
		if (n + l >= sizeof(spec))
			return pp_err(pp, "bad field '[%s...'", spec);
		memcpy(spec + n, pp->tok[pp->pos], l + 1), n += l;
	}
	if (!pp_at(pp, "]"))
		return pp_err(pp, "missing ']'");
	pp->pos++;
	char *colon = strchr(spec, ':');
	uint32_t pos, len = 1;
	if (colon)
		*colon = 0;
	if (!parse_uint(spec, &pos) || (colon && !parse_uint(colon + 1, &len)) || pos > 65535)
		return pp_err(pp, "bad field '[%s%s%s]', expected '[POS]' or '[POS:LEN]'", spec, colon ? ":" : "",
			      colon ? colon + 1 : "");
	if (len < 1 || len > 4)
		return pp_err(pp, "LEN in '[%u:%u]' must be 1 to 4", (unsigned)pos, (unsigned)len);
	struct cls_field *f = &pr->f;
	bool transp = pr->proto != PROTO_NONE;
	const char *pn = pr->proto == 6 ? "tcp" : pr->proto == 17 ? "udp" : pr->proto == 1 ? "icmp" : "transp";
	snprintf(f->name, sizeof(f->name), "%s[%u:%u]", transp ? pn : "ip", (unsigned)pos, (unsigned)len);
	f->base = transp ? CLS_BASE_TRANSP : CLS_BASE_NET;
	f->off = pos, f->size = (uint8_t)len, f->shift = 0;
	f->max = len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
	f->proto = pr->proto;
	pr->type = PT_FIELD;
	return 0;
}

static int pp_prim(struct cls_pp *pp)
{
	struct cls_prim pr = {.type = PT_NONE, .proto = PROTO_NONE, .op = CLS_OP_EQ};
	int first = pp->pos;
	bool saw_ip = false;
	while (pp->pos < pp->ntok) {
		const char *w = pp->tok[pp->pos];
		uint32_t pv;
		size_t i;
		for (i = 0; i < RT_ARRAY_SIZE(type_words) && strcmp(type_words[i].name, w); i++)
			;
		if (i < RT_ARRAY_SIZE(type_words)) {
			if (pr.type != PT_NONE)
				return pp_err(pp, "type specified twice near '%s'", w);
			pr.type = type_words[i].type;
			if (type_words[i].field >= 0) {
				pr.f = fields[type_words[i].field];
				if (pr.f.proto != PROTO_NONE && set_proto(pp, &pr, pr.f.proto) < 0)
					return -1;
			}
			if (pr.type == PT_OPT && set_proto(pp, &pr, 6) < 0)
				return -1;
		} else if (LOOKUP(proto_names, w, &pv)) {
			if (set_proto(pp, &pr, (int)pv) < 0)
				return -1;
		} else if (!strcmp(w, "transp")) {
			if (set_proto(pp, &pr, PROTO_TRANSP) < 0)
				return -1;
		} else if (!strcmp(w, "src") || !strcmp(w, "dst") || !strcmp(w, "dest")) {
			if (pr.srcdst)
				return pp_err(pp, "'src' or 'dst' specified twice near '%s'", w);
			pr.srcdst = w[0] == 's' ? SD_SRC : SD_DST;
			const char *w1 = pp->pos + 2 < pp->ntok ? pp->tok[pp->pos + 1] : "";
			const char *w2 = pp->pos + 2 < pp->ntok ? pp->tok[pp->pos + 2] : "";
			if (w[0] == 's' && (!strcmp(w2, "dst") || !strcmp(w2, "dest"))) {
				if (!strcmp(w1, "and") || !strcmp(w1, "&&"))
					pr.srcdst = SD_AND, pp->pos += 2;
				else if (!strcmp(w1, "or") || !strcmp(w1, "||"))
					pr.srcdst = SD_OR, pp->pos += 2;
			}
		} else if (!strcmp(w, "ip")) {
			saw_ip = true;
		} else {
			break;
		}
		pp->pos++;
	}
	bool quals = pp->pos > first;
	if (quals) /* qualifiers start a fresh primitive: no inheritance */
		pp->prev = (struct cls_prim){.type = PT_NONE, .proto = PROTO_NONE};

	if (pp_at(pp, "[")) {
		if (!quals || pr.type != PT_NONE || pr.srcdst || (pr.proto == PROTO_NONE && !saw_ip))
			return pp_err(pp, "'[' must follow 'ip', 'transp', 'tcp', 'udp' or 'icmp'");
		if (parse_brackets(pp, &pr) < 0)
			return -1;
	}
	if (quals && pp_at(pp, "&")) {
		pp->pos++;
		if (!parse_uint(pp_peek(pp), &pr.umask) || pr.umask == 0)
			return pp_err(pp, "bad mask '%s' after '&'", pp_peek(pp));
		pp->pos++;
	}
	static const struct {
		const char *s;
		int op;
	} rel[] = {{"=", CLS_OP_EQ},  {"==", CLS_OP_EQ}, {"!=", CLS_OP_NE}, {"<", CLS_OP_LT},
		   {">", CLS_OP_GT},  {"<=", CLS_OP_LE}, {">=", CLS_OP_GE}};
	const char *opw = NULL;
	for (size_t i = 0; i < RT_ARRAY_SIZE(rel); i++)
		if (pp_at(pp, rel[i].s)) {
			pr.op = rel[i].op, opw = rel[i].s;
			pp->pos++;
			break;
		}
	if (parse_data(pp, &pr) < 0)
		return -1;
	if (opw && pr.dkind == D_NONE)
		return pp->pos < pp->ntok ? pp_err(pp, "missing value after '%s' near '%s'", opw, pp_peek(pp))
					  : pp_err(pp, "missing value after '%s'", opw);
	if (pp->pos == first)
		return pp_err(pp, "unknown word '%s'", pp->tok[first]);

	/* Fill in what was left out. */
	const struct cls_prim *pv = &pp->prev;
	if (pr.type == PT_NONE) {
		static const int name_type[] = {PT_PORT, PT_OPT, PT_FIELD, PT_PROTO};
		switch (pr.dkind) {
		case D_NAME:
			pr.type = name_type[pr.dname];
			if (pr.type == PT_FIELD) {
				pr.f = fields[F_ICMPTYPE];
				pr.proto = 1;
			}
			if (pr.type == PT_PORT && !quals && pv->type == PT_PORT)
				pr.srcdst = pv->srcdst, pr.proto = pv->proto;
			break;
		case D_HOST:
		case D_NET:
			pr.type = pr.dkind == D_HOST ? PT_HOST : PT_NET;
			if (!pr.srcdst && (pv->type == PT_HOST || pv->type == PT_NET))
				pr.srcdst = pv->srcdst;
			break;
		case D_INT:
		case D_RANGE:
			if (quals || (pv->type != PT_PORT && pv->type != PT_PROTO && pv->type != PT_FIELD))
				return pp_err(pp, "number '%s' needs a field, e.g. 'port %s'", pr.dword, pr.dword);
			pr.type = pv->type, pr.f = pv->f, pr.srcdst = pv->srcdst, pr.proto = pv->proto;
			if (pr.type == PT_PROTO)
				pr.proto = PROTO_NONE;
			break;
		default:
			if (pr.proto == PROTO_TRANSP)
				break; /* build_prim explains */
			if (pr.proto != PROTO_NONE)
				pr.type = PT_PROTO;
			else if (saw_ip && !pr.srcdst && pr.proto == PROTO_NONE && !pr.umask)
				pr.type = PT_TRUE;
			else
				return pp_err(pp, "incomplete primitive near '%s'", pp->tok[first]);
			break;
		}
	}
	int x = build_prim(pp, &pr);
	if (x >= 0) {
		if (pr.srcdst == SD_NONE && (pr.type == PT_HOST || pr.type == PT_NET || pr.type == PT_PORT))
			pr.srcdst = SD_OR;
		pp->prev = pr;
	}
	return x;
}

/* ---- expressions --------------------------------------------------------- */

static int pp_expr(struct cls_pp *pp);

static int pp_factor(struct cls_pp *pp)
{
	if (pp->pos >= pp->ntok)
		return pp->pos > 0 ? pp_err(pp, "missing term after '%s'", pp->tok[pp->pos - 1])
				   : pp_err(pp, "empty expression");
	const char *w = pp->tok[pp->pos];
	if (++pp->depth > MAX_DEPTH)
		return pp_err(pp, "expression nested too deeply");
	int x;
	if (!strcmp(w, "not") || !strcmp(w, "!")) {
		pp->pos++;
		x = cls_tree_not(pp->t, pp_factor(pp));
	} else if (!strcmp(w, "(")) {
		pp->pos++;
		x = pp_expr(pp);
		if (x >= 0 && !pp_at(pp, ")"))
			x = pp->pos < pp->ntok ? pp_err(pp, "syntax error near '%s'", pp_peek(pp))
					       : pp_err(pp, "missing ')'");
		pp->pos++;
	} else if (!strcmp(w, "true") || !strcmp(w, "-") || !strcmp(w, "all") || !strcmp(w, "any")) {
		pp->pos++;
		x = cls_tree_const(pp->t, true);
	} else if (!strcmp(w, "false") || !strcmp(w, "none")) {
		pp->pos++;
		x = cls_tree_const(pp->t, false);
	} else if (!is_word(w) || is_connective(w) || !strcmp(w, ":")) {
		x = pp_err(pp, "syntax error near '%s'", w);
	} else {
		x = pp_prim(pp);
	}
	pp->depth--;
	return pp->bad ? -1 : x;
}

static bool pp_factor_start(const struct cls_pp *pp)
{
	const char *w = pp_peek(pp);
	return (is_word(w) && !is_connective(w) && strcmp(w, ":")) || !strcmp(w, "!") || !strcmp(w, "(");
}

static int pp_term(struct cls_pp *pp)
{
	int x = pp_factor(pp);
	while (x >= 0) {
		if (pp_at(pp, "and") || pp_at(pp, "&&"))
			pp->pos++;
		else if (!pp_factor_start(pp))
			break;
		x = cls_tree_and(pp->t, x, pp_factor(pp));
	}
	return pp->bad ? -1 : x;
}

static int pp_or(struct cls_pp *pp)
{
	int x = pp_term(pp);
	while (x >= 0 && (pp_at(pp, "or") || pp_at(pp, "||"))) {
		pp->pos++;
		x = cls_tree_or(pp->t, x, pp_term(pp));
	}
	return pp->bad ? -1 : x;
}

static int pp_expr(struct cls_pp *pp)
{
	if (++pp->depth > MAX_DEPTH)
		return pp_err(pp, "expression nested too deeply");
	int c = pp_or(pp);
	if (c >= 0 && pp_at(pp, "?")) {
		pp->pos++;
		int a = pp_expr(pp);
		if (a >= 0 && !pp_at(pp, ":"))
			return pp_err(pp, "missing ':' in '?:' expression");
		pp->pos++;
		c = cls_tree_tern(pp->t, c, a, pp_expr(pp));
	}
	pp->depth--;
	return pp->bad ? -1 : c;
}

/* ---- entry point --------------------------------------------------------- */

static int parse_action(struct cls_pp *pp, int *out)
{
	const char *w = pp->tok[0];
	uint32_t n;
	if (!strcmp(w, "allow"))
		*out = 0;
	else if (!strcmp(w, "deny") || !strcmp(w, "drop"))
		*out = -1;
	else if (parse_uint(w, &n) && isdigit((unsigned char)w[0])) {
		if (n > MAX_OUTPUT)
			return pp_err(pp, "output %s out of range (0-%d)", w, MAX_OUTPUT);
		*out = (int)n;
	} else
		return pp_err(pp, "unknown action '%s'", w);
	pp->pos = 1;
	if (pp->ntok == 1)
		return pp_err(pp, "missing expression after '%s'", w);
	return 0;
}

int cls_ip_compile(enum cls_ipmode mode, int argc, char **argv, const struct rt_loc *loc, struct cls_prog **out,
		   int *noutputs, struct rt_err *err)
{
	const char *kind = mode == CLS_IPFILTER ? "IPFilter" : "IPClassifier";
	struct cls_tree t = {0};
	struct cls_rule *rules = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*rules));
	int rc = 0, maxout = -1;
	char *buf = NULL, **tok = NULL;
	if (!rules)
		return rt_errf(err, loc, -ENOMEM, "%s: out of memory", kind);
	for (int i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]);
		free(buf), free(tok);
		buf = malloc(2 * len + 2);
		tok = malloc((len + 1) * sizeof(*tok));
		if (!buf || !tok) {
			rc = rt_errf(err, loc, -ENOMEM, "%s: out of memory", kind);
			goto done;
		}
		struct cls_pp pp = {.tok = tok, .ntok = pp_tokenize(argv[i], buf, tok), .t = &t, .err = err,
				    .loc = loc, .what = mode == CLS_IPFILTER ? "rule" : "expression", .argno = i};
		pp.prev = (struct cls_prim){.type = PT_NONE, .proto = PROTO_NONE};
		int o = i, root = -1;
		if (pp.ntok == 0)
			pp_err(&pp, mode == CLS_IPFILTER ? "empty rule" : "empty expression");
		else if (mode == CLS_IPFILTER)
			parse_action(&pp, &o);
		if (!pp.bad) {
			root = pp_expr(&pp);
			if (root >= 0 && pp.pos < pp.ntok)
				root = pp_err(&pp, "syntax error near '%s'", pp.tok[pp.pos]);
		}
		if (t.nomem) {
			rc = rt_errf(err, loc, -ENOMEM, "%s: out of memory", kind);
			goto done;
		}
		if (pp.bad || root < 0) {
			rc = err && err->code ? err->code : -EINVAL;
			goto done;
		}
		rules[i] = (struct cls_rule){root, o};
		maxout = RT_MAX(maxout, o);
	}
	rc = cls_prog_build(&t, rules, argc, true, kind, loc, out, err);
	if (rc == 0)
		*noutputs = mode == CLS_IPFILTER ? RT_MAX(maxout + 1, 1) : argc;
done:
	free(buf);
	free(tok);
	free(rules);
	cls_tree_free(&t);
	return rc;
}
