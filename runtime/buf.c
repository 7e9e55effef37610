/*
 * buf.c - errors with locations, growable strings and clocks for the
 * control plane.  Nothing here runs on the data path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rt_base.h"

int rt_errf(struct rt_err *err, const struct rt_loc *loc, int code, const char *fmt, ...)
{
	if (code >= 0)
		code = -EINVAL;
	if (!err || err->code)
		return err ? err->code : code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = code;
	if (loc)
		err->loc = *loc;
	else
		err->loc.file = NULL;
	return code;
}

void rt_err_prefix(struct rt_err *err, const char *prefix)
{
	size_t pl = strlen(prefix) + 2, ml = strlen(err->msg);
	if (pl >= sizeof(err->msg))
		return;
	if (pl + ml >= sizeof(err->msg))
		ml = sizeof(err->msg) - pl - 1;
	memmove(err->msg + pl, err->msg, ml);
	err->msg[pl + ml] = 0;
	memcpy(err->msg, prefix, pl - 2);
	err->msg[pl - 2] = ':';
	err->msg[pl - 1] = ' ';
}

const char *rt_err_str(const struct rt_err *err, char *buf, size_t len)
{
	if (err->loc.file && err->loc.line > 0) {
		if (err->loc.col > 0)
			snprintf(buf, len, "%s:%d:%d: %s", err->loc.file, err->loc.line, err->loc.col, err->msg);
		else
			snprintf(buf, len, "%s:%d: %s", err->loc.file, err->loc.line, err->msg);
	} else {
		snprintf(buf, len, "%s", err->msg);
	}
	return buf;
}

void rt_buf_init(struct rt_buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void rt_buf_free(struct rt_buf *b)
{
	free(b->p);
	rt_buf_init(b);
}

void rt_buf_reset(struct rt_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
}

static void buf_reserve(struct rt_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		abort(); /* control plane: out of memory is fatal */
	b->p = p;
	b->cap = cap;
}

void rt_buf_add(struct rt_buf *b, const void *data, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
}

void rt_buf_puts(struct rt_buf *b, const char *s) { rt_buf_add(b, s, strlen(s)); }

void rt_buf_vprintf(struct rt_buf *b, const char *fmt, va_list ap)
{
	if (!fmt)
		return;
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void rt_buf_printf(struct rt_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *rt_buf_steal(struct rt_buf *b)
{
	if (!b->p)
		buf_reserve(b, 0), b->p[0] = 0;
	char *p = b->p;
	rt_buf_init(b);
	return p;
}

uint64_t rt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t rt_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
