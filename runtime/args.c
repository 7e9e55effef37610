/*
 * args.c - Click-style configuration arguments: splitting a configuration
 * string, recognising keywords, and parsing typed values (integers, booleans,
 * addresses, prefixes, sizes, times, rates, strings and data).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "el.h"

/* Skip a quoted string or comment starting at s; return pointer after it. */
static const char *skip_quoted(const char *s)
{
	char q = *s++;
	while (*s && *s != q) {
		if (q == '"' && *s == '\\' && s[1])
			s++;
		s++;
	}
	return *s ? s + 1 : s;
}

static char *trim_dup(const char *b, const char *e)
{
	while (b < e && isspace((unsigned char)*b))
		b++;
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	char *r = malloc((size_t)(e - b) + 1);
	memcpy(r, b, (size_t)(e - b));
	r[e - b] = 0;
	return r;
}

/* Remove comments outside quotes (Click allows them in config strings). */
static char *strip_comments(const char *conf)
{
	struct rt_buf b;
	rt_buf_init(&b);
	const char *s = conf;
	while (*s) {
		if (*s == '"' || *s == '\'') {
			const char *e = skip_quoted(s);
			rt_buf_add(&b, s, (size_t)(e - s));
			s = e;
		} else if (s[0] == '/' && s[1] == '/') {
			while (*s && *s != '\n')
				s++;
		} else if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			s = e ? e + 2 : s + strlen(s);
			rt_buf_add(&b, " ", 1);
		} else {
			rt_buf_add(&b, s++, 1);
		}
	}
	return rt_buf_steal(&b);
}

int el_argv_split(const char *conf, char ***argvp)
{
	char *text = strip_comments(conf ? conf : "");
	int argc = 0, cap = 4;
	char **argv = malloc(sizeof(char *) * (size_t)cap);
	const char *s = text, *start = text;
	int depth = 0;
	for (;;) {
		if (*s == '"' || *s == '\'') {
			s = skip_quoted(s);
			continue;
		}
		if (*s == '(' || *s == '[' || *s == '{')
			depth++;
		else if ((*s == ')' || *s == ']' || *s == '}') && depth > 0)
			depth--;
		if (*s == 0 || (*s == ',' && depth == 0)) {
			char *a = trim_dup(start, s);
			/* "Foo()" has no arguments; "a, , b" keeps the empty middle one */
			if (*a || *s == ',' || argc > 0) {
				if (argc == cap)
					argv = realloc(argv, sizeof(char *) * (size_t)(cap *= 2));
				argv[argc++] = a;
			} else {
				free(a);
			}
			if (*s == 0)
				break;
			start = s + 1;
		}
		s++;
	}
	free(text);
	*argvp = argv;
	return argc;
}

void el_argv_free(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

int el_arg_keyword(const char *arg, const char **val)
{
	const char *s = arg;
	if (!(isupper((unsigned char)*s) || *s == '_'))
		return 0;
	while (isupper((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == ':')
		s++;
	/* Click: a keyword is followed by whitespace and a value; a bare
	 * upper-case word ("DST") is a positional argument. */
	if (!*s || !isspace((unsigned char)*s))
		return 0;
	int n = (int)(s - arg);
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return 0;
	*val = s;
	return n;
}

char *el_unquote(const char *s)
{
	struct rt_buf b;
	rt_buf_init(&b);
	while (*s) {
		if (*s == '\'') {
			const char *e = strchr(s + 1, '\'');
			if (!e)
				e = s + strlen(s);
			rt_buf_add(&b, s + 1, (size_t)(e - s - 1));
			s = *e ? e + 1 : e;
		} else if (*s == '"') {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && s[1]) {
					s++;
					char c = *s;
					switch (c) {
					case 'n': c = '\n'; break;
					case 't': c = '\t'; break;
					case 'r': c = '\r'; break;
					case 'a': c = '\a'; break;
					case '0': c = '\0'; break;
					}
					rt_buf_add(&b, &c, 1);
					s++;
				} else {
					rt_buf_add(&b, s++, 1);
				}
			}
			if (*s)
				s++;
		} else {
			rt_buf_add(&b, s++, 1);
		}
	}
	return rt_buf_steal(&b);
}

/* Click data strings: quotes as in el_unquote, plus "\<0a 0b ff>" hex blocks
 * inside double quotes and bare hex-free text taken literally. */
static int parse_data(const char *s, struct el_data *d, struct rt_err *err)
{
	struct rt_buf b;
	rt_buf_init(&b);
	while (*s) {
		if (*s == '"') {
			s++;
			while (*s && *s != '"') {
				if (s[0] == '\\' && s[1] == '<') {
					s += 2;
					int nib = -1;
					while (*s && *s != '>') {
						if (isxdigit((unsigned char)*s)) {
							int v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
							if (nib < 0) {
								nib = v;
							} else {
								uint8_t byte = (uint8_t)(nib * 16 + v);
								rt_buf_add(&b, &byte, 1);
								nib = -1;
							}
						} else if (!isspace((unsigned char)*s)) {
							rt_buf_free(&b);
							return rt_errf(err, NULL, -EINVAL, "bad hex digit '%c' in data", *s);
						}
						s++;
					}
					if (*s)
						s++;
					if (nib >= 0) {
						rt_buf_free(&b);
						return rt_errf(err, NULL, -EINVAL, "odd number of hex digits in data");
					}
					continue;
				}
				if (*s == '\\' && s[1]) {
					s++;
					char c = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s == 'r' ? '\r' : *s == '0' ? '\0' : *s;
					rt_buf_add(&b, &c, 1);
					s++;
					continue;
				}
				rt_buf_add(&b, s++, 1);
			}
			if (*s)
				s++;
		} else if (*s == '\'') {
			const char *e = strchr(s + 1, '\'');
			if (!e)
				e = s + strlen(s);
			rt_buf_add(&b, s + 1, (size_t)(e - s - 1));
			s = *e ? e + 1 : e;
		} else if (s[0] == '\\' && s[1] == '<') {
			/* Click also takes unquoted hex blocks: RatedSource(\<0800>) */
			const char *e = strchr(s, '>');
			if (!e) {
				rt_buf_free(&b);
				return rt_errf(err, NULL, -EINVAL, "unterminated \\< in data");
			}
			char *q = malloc((size_t)(e - s) + 4);
			q[0] = '"';
			memcpy(q + 1, s, (size_t)(e - s) + 1);
			q[e - s + 2] = '"';
			q[e - s + 3] = 0;
			struct el_data part;
			int rc = parse_data(q, &part, err);
			free(q);
			if (rc < 0) {
				rt_buf_free(&b);
				return rc;
			}
			rt_buf_add(&b, part.p, part.len);
			free(part.p);
			s = e + 1;
		} else {
			rt_buf_add(&b, s++, 1);
		}
	}
	d->len = b.len;
	d->p = (uint8_t *)rt_buf_steal(&b);
	return 0;
}

static int parse_uint(const char *s, uint64_t *v)
{
	char *end;
	if (!*s || *s == '-')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

/* A number followed by a unit from a table of (suffix, multiplier). */
struct unit { const char *sfx; double mul; };

static int parse_scaled(const char *s, const struct unit *units, double *out)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (end == s || errno || x < 0 || isnan(x))
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (!*end) {
		*out = x;
		return 0;
	}
	for (const struct unit *u = units; u->sfx; u++)
		if (!strcasecmp(end, u->sfx) && (strcmp(u->sfx, "m") || !strcmp(end, "m"))) {
			*out = x * u->mul;
			return 0;
		}
	return -1;
}

static const struct unit time_units[] = {
	{"s", 1e9}, {"sec", 1e9}, {"ms", 1e6}, {"msec", 1e6}, {"us", 1e3}, {"usec", 1e3},
	{"ns", 1}, {"nsec", 1}, {"min", 60e9}, {"h", 3600e9}, {"hr", 3600e9}, {NULL, 0}};
static const struct unit byte_units[] = {
	{"B", 1}, {"k", 1e3}, {"kB", 1e3}, {"KiB", 1024}, {"M", 1e6}, {"MB", 1e6}, {"MiB", 1048576.0},
	{"G", 1e9}, {"GB", 1e9}, {"GiB", 1073741824.0}, {NULL, 0}};
static const struct unit rate_units[] = {
	{"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"Hz", 1}, {"kHz", 1e3}, {"MHz", 1e6},
	{"bps", 1.0 / 8}, {"kbps", 1e3 / 8}, {"Kbps", 1e3 / 8}, {"Mbps", 1e6 / 8}, {"Gbps", 1e9 / 8},
	{"Bps", 1}, {"kBps", 1e3}, {"MBps", 1e6}, {"GBps", 1e9}, {"pps", 1}, {"kpps", 1e3}, {"Mpps", 1e6},
	{NULL, 0}};

static int parse_ip4(const char *s, uint32_t *a)
{
	struct in_addr in;
	if (inet_pton(AF_INET, s, &in) != 1)
		return -1;
	*a = in.s_addr;
	return 0;
}

static int parse_ip4pfx(const char *s, struct el_ip4pfx *p)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s", s);
	char *sep = strpbrk(tmp, "/ ");
	if (!sep) {
		p->mask = 0xffffffffu;
		return parse_ip4(tmp, &p->addr);
	}
	char c = *sep;
	*sep = 0;
	const char *rest = sep + 1;
	while (*rest == ' ')
		rest++;
	if (parse_ip4(tmp, &p->addr))
		return -1;
	uint64_t len;
	if (c == '/' && !strchr(rest, '.')) {
		if (parse_uint(rest, &len) || len > 32)
			return -1;
		p->mask = len ? htonl((uint32_t)(0xffffffffull << (32 - len))) : 0;
	} else {
		if (parse_ip4(rest, &p->mask))
			return -1;
		uint32_t m = ntohl(p->mask);
		if (m & (~m >> 1))  /* not contiguous */
			return -1;
	}
	p->addr &= p->mask;
	return 0;
}

static int parse_ip6pfx(const char *s, struct el_ip6pfx *p)
{
	char tmp[80];
	snprintf(tmp, sizeof(tmp), "%s", s);
	char *sl = strchr(tmp, '/');
	uint64_t len = 128;
	if (sl) {
		*sl = 0;
		if (parse_uint(sl + 1, &len) || len > 128)
			return -1;
	}
	if (inet_pton(AF_INET6, tmp, p->addr) != 1)
		return -1;
	p->len = (int)len;
	for (int i = 0; i < 16; i++) {
		int bits = (int)len - i * 8;
		if (bits < 8)
			p->addr[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
	return 0;
}

static int parse_ether(const char *s, uint8_t *mac)
{
	unsigned v[6];
	char c1, c2, c3, c4, c5, extra;
	if (sscanf(s, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &v[0], &c1, &v[1], &c2, &v[2], &c3, &v[3], &c4,
		   &v[4], &c5, &v[5], &extra) != 11)
		return -1;
	char sep = c1;
	if ((sep != ':' && sep != '-') || c2 != sep || c3 != sep || c4 != sep || c5 != sep)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static const char *type_name(enum el_argtype t)
{
	static const char *names[] = {"integer", "unsigned integer", "boolean", "number", "IP address",
				      "IP prefix", "IPv6 address", "IPv6 prefix", "Ethernet address",
				      "byte size", "time interval", "string", "word", "data", "rate"};
	return t < RT_ARRAY_SIZE(names) ? names[t] : "value";
}

int el_parse_value(enum el_argtype t, const char *s, void *out, struct rt_err *err)
{
	int bad = 0;
	double d;
	switch (t) {
	case EL_T_INT: {
		char *end;
		errno = 0;
		long long x = strtoll(s, &end, 0);
		bad = !*s || *end || errno;
		if (!bad)
			*(int64_t *)out = x;
		break;
	}
	case EL_T_UINT:
		bad = parse_uint(s, (uint64_t *)out);
		break;
	case EL_T_BOOL:
		if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1"))
			*(bool *)out = true;
		else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0"))
			*(bool *)out = false;
		else
			bad = 1;
		break;
	case EL_T_DOUBLE: {
		char *end;
		double x = strtod(s, &end);
		bad = !*s || *end;
		if (!bad)
			*(double *)out = x;
		break;
	}
	case EL_T_IP4:
		bad = parse_ip4(s, out);
		break;
	case EL_T_IP4PFX:
		bad = parse_ip4pfx(s, out);
		break;
	case EL_T_IP6:
		bad = inet_pton(AF_INET6, s, out) != 1;
		break;
	case EL_T_IP6PFX:
		bad = parse_ip6pfx(s, out);
		break;
	case EL_T_ETHER:
		bad = parse_ether(s, out);
		break;
	case EL_T_BYTES:
		bad = parse_scaled(s, byte_units, &d);
		if (!bad)
			*(uint64_t *)out = (uint64_t)llround(d);
		break;
	case EL_T_TIME:
		bad = parse_scaled(s, time_units, &d);
		if (!bad && !strpbrk(s, "smhnu"))
			d *= 1e9; /* a bare number is seconds, as in Click */
		if (!bad)
			*(uint64_t *)out = (uint64_t)llround(d);
		break;
	case EL_T_RATE:
		bad = parse_scaled(s, rate_units, &d);
		if (!bad)
			*(uint64_t *)out = (uint64_t)llround(d);
		break;
	case EL_T_STRING:
		*(char **)out = el_unquote(s);
		break;
	case EL_T_WORD:
		bad = !*s || strpbrk(s, " \t\n") != NULL;
		if (!bad)
			*(char **)out = el_unquote(s);
		break;
	case EL_T_DATA:
		return parse_data(s, out, err);
	}
	if (bad)
		return rt_errf(err, NULL, -EINVAL, "expected %s, not '%s'", type_name(t), s);
	return 0;
}

void el_unparse_value(enum el_argtype t, const void *v, struct rt_buf *out)
{
	char tmp[INET6_ADDRSTRLEN];
	switch (t) {
	case EL_T_INT: rt_buf_printf(out, "%lld", (long long)*(const int64_t *)v); break;
	case EL_T_UINT:
	case EL_T_BYTES:
	case EL_T_RATE: rt_buf_printf(out, "%llu", (unsigned long long)*(const uint64_t *)v); break;
	case EL_T_BOOL: rt_buf_puts(out, *(const bool *)v ? "true" : "false"); break;
	case EL_T_DOUBLE: rt_buf_printf(out, "%g", *(const double *)v); break;
	case EL_T_IP4: rt_buf_puts(out, inet_ntop(AF_INET, v, tmp, sizeof(tmp))); break;
	case EL_T_IP4PFX: {
		const struct el_ip4pfx *p = v;
		rt_buf_printf(out, "%s/%d", inet_ntop(AF_INET, &p->addr, tmp, sizeof(tmp)),
			      __builtin_popcount(p->mask));
		break;
	}
	case EL_T_IP6: rt_buf_puts(out, inet_ntop(AF_INET6, v, tmp, sizeof(tmp))); break;
	case EL_T_IP6PFX: {
		const struct el_ip6pfx *p = v;
		rt_buf_printf(out, "%s/%d", inet_ntop(AF_INET6, p->addr, tmp, sizeof(tmp)), p->len);
		break;
	}
	case EL_T_ETHER: {
		const uint8_t *m = v;
		rt_buf_printf(out, "%02X:%02X:%02X:%02X:%02X:%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
		break;
	}
	case EL_T_TIME: {
		uint64_t ns = *(const uint64_t *)v;
		if (ns % 1000000000ull == 0)
			rt_buf_printf(out, "%llus", (unsigned long long)(ns / 1000000000ull));
		else if (ns % 1000000ull == 0)
			rt_buf_printf(out, "%llums", (unsigned long long)(ns / 1000000ull));
		else
			rt_buf_printf(out, "%lluus", (unsigned long long)(ns / 1000ull));
		break;
	}
	case EL_T_STRING:
	case EL_T_WORD: rt_buf_puts(out, *(char *const *)v ? *(char *const *)v : ""); break;
	case EL_T_DATA: {
		const struct el_data *d = v;
		rt_buf_puts(out, "\"\\<");
		for (size_t i = 0; i < d->len; i++)
			rt_buf_printf(out, "%s%02X", i ? " " : "", d->p[i]);
		rt_buf_puts(out, ">\"");
		break;
	}
	}
}
