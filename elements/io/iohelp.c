/*
 * iohelp.c - Click string quoting, word splitting and timestamps for the
 * elements of elements/io (see iohelp.h).
 */
#include <ctype.h>
#include <stdlib.h>

#include "iohelp.h"

size_t io_quote_to(char *dst, size_t cap, const uint8_t *s, size_t n)
{
	size_t o = 0;
#define PUT(c) do { if (o < cap) dst[o] = (char)(c); o++; } while (0)
	PUT('"');
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		switch (c) {
		case '\\': case '"': case '$':
			PUT('\\');
			PUT(c);
			break;
		case '\t': PUT('\\'); PUT('t'); break;
		case '\r': PUT('\\'); PUT('r'); break;
		case '\n': PUT('\\'); PUT('n'); break;
		default:
			if (c < 32 || c >= 127) {
				PUT('\\');
				PUT('0' + (c >> 6));
				PUT('0' + ((c >> 3) & 7));
				PUT('0' + (c & 7));
			} else {
				PUT(c);
			}
		}
	}
	PUT('"');
#undef PUT
	return o < cap ? o : cap;
}

void io_quote(struct rt_buf *out, const uint8_t *s, size_t n)
{
	size_t cap = 4 * n + 2;
	char *tmp = malloc(cap);
	size_t len = io_quote_to(tmp, cap, s, n);
	rt_buf_add(out, tmp, len);
	free(tmp);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One backslash escape inside double quotes, starting at s[0] == '\\'.
 * Appends the bytes it stands for and returns the position after it. */
static const char *backslash(const char *s, const char *e, uint8_t *dst, size_t cap, size_t *o)
{
#define PUT(c) do { if (*o < cap) dst[*o] = (uint8_t)(c); (*o)++; } while (0)
	s++;
	if (s >= e) {
		PUT('\\');
		return s;
	}
	char c = *s;
	switch (c) {
	case 'a': PUT('\a'); return s + 1;
	case 'b': PUT('\b'); return s + 1;
	case 'f': PUT('\f'); return s + 1;
	case 'n': PUT('\n'); return s + 1;
	case 'r': PUT('\r'); return s + 1;
	case 't': PUT('\t'); return s + 1;
	case 'v': PUT('\v'); return s + 1;
	case '\n': return s + 1; /* line continuation */
	case 'x': {
		int v = 0, k = 0;
		for (s++; s < e && k < 2 && hexval((unsigned char)*s) >= 0; s++, k++)
			v = v * 16 + hexval((unsigned char)*s);
		PUT(v);
		return s;
	}
	case '<': {
		int nib = -1;
		for (s++; s < e && *s != '>'; s++) {
			int h = hexval((unsigned char)*s);
			if (h < 0)
				continue; /* spaces separate bytes */
			if (nib < 0) {
				nib = h;
			} else {
				PUT(nib * 16 + h);
				nib = -1;
			}
		}
		return s < e ? s + 1 : s;
	}
	default:
		if (c >= '0' && c <= '7') {
			int v = 0, k = 0;
			for (; s < e && k < 3 && *s >= '0' && *s <= '7'; s++, k++)
				v = v * 8 + (*s - '0');
			PUT(v);
			return s;
		}
		PUT(c);
		return s + 1;
	}
#undef PUT
}

size_t io_unquote_to(uint8_t *dst, size_t cap, const char *s, size_t n)
{
	const char *e = s + n;
	size_t o = 0;
	while (s < e) {
		if (*s == '\'') {
			for (s++; s < e && *s != '\''; s++)
				if (o < cap)
					dst[o++] = (uint8_t)*s;
				else
					o++;
			if (s < e)
				s++;
		} else if (*s == '"') {
			for (s++; s < e && *s != '"';) {
				if (*s == '\\') {
					s = backslash(s, e, dst, cap, &o);
				} else {
					if (o < cap)
						dst[o] = (uint8_t)*s;
					o++;
					s++;
				}
			}
			if (s < e)
				s++;
		} else if (*s == '\\' && s + 1 < e && s[1] == '<') {
			s = backslash(s, e, dst, cap, &o);
		} else {
			if (o < cap)
				dst[o] = (uint8_t)*s;
			o++;
			s++;
		}
	}
	return o < cap ? o : cap;
}

void io_unquote(struct rt_buf *out, const char *s, size_t n)
{
	uint8_t *tmp = malloc(n + 1);
	size_t len = io_unquote_to(tmp, n + 1, s, n);
	rt_buf_add(out, tmp, len);
	free(tmp);
	rt_buf_add(out, "", 1);
	out->len--; /* keep it NUL-terminated without counting the NUL */
}

const char *io_word(const char *s, const char **wb, const char **we)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s)
		return NULL;
	*wb = s;
	while (*s && !isspace((unsigned char)*s)) {
		if (*s == '"' || *s == '\'') {
			char q = *s++;
			while (*s && *s != q) {
				if (q == '"' && *s == '\\' && s[1])
					s++;
				s++;
			}
			if (*s)
				s++;
		} else {
			s++;
		}
	}
	*we = s;
	return s;
}

int io_parse_ts(const char *s, size_t n, uint64_t *ns)
{
	const char *e = s + n;
	uint64_t sec = 0, frac = 0;
	int digits = 0;
	if (s == e)
		return -1;
	if (*s == '.' && s + 1 == e)
		return -1;
	for (; s < e && isdigit((unsigned char)*s); s++)
		sec = sec * 10 + (uint64_t)(*s - '0');
	if (s < e && *s == '.') {
		for (s++; s < e && isdigit((unsigned char)*s); s++)
			if (digits < 9) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				digits++;
			}
	}
	if (s != e)
		return -1;
	for (; digits < 9; digits++)
		frac *= 10;
	*ns = sec * 1000000000ull + frac;
	return 0;
}

int io_utoa(char *buf, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = 0;
	return n;
}

int io_fmt_ts(char *buf, uint64_t ns)
{
	int n = io_utoa(buf, ns / 1000000000ull);
	uint32_t usec = (uint32_t)((ns % 1000000000ull) / 1000);
	buf[n++] = '.';
	for (int d = 100000; d; d /= 10)
		buf[n++] = (char)('0' + (usec / (uint32_t)d) % 10);
	buf[n] = 0;
	return n;
}
