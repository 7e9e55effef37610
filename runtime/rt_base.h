/*
 * rt_base.h - runtime basics that need no DPDK: errors with locations,
 * growable strings, small helpers.  Used by the parser and the control plane.
 */
#ifndef MB_RT_BASE_H
#define MB_RT_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------ */

/* Where in a configuration something was written: "file:line:col". */
struct rt_loc {
	const char *file; /* interned; never freed while the runtime lives */
	int line, col;
};

/* A control-plane error: a message and the location it refers to.  The data
 * path never formats errors; it counts. */
struct rt_err {
	int code;	    /* negative errno-style code, 0 when no error */
	struct rt_loc loc;  /* file == NULL when no location applies */
	char msg[512];
};

/* Record an error (first one wins) and return its negative code. */
int rt_errf(struct rt_err *err, const struct rt_loc *loc, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prefix the message with "prefix: " (e.g. an element name), truncating. */
void rt_err_prefix(struct rt_err *err, const char *prefix);
/* Format "file:line:col: msg" (or just msg) into buf. */
const char *rt_err_str(const struct rt_err *err, char *buf, size_t len);
static inline void rt_err_clear(struct rt_err *err) { err->code = 0; err->loc.file = NULL; err->msg[0] = 0; }

/* ---- growable strings (handler values, unparsed configurations) -------- */

struct rt_buf {
	char *p;
	size_t len, cap;
};
void rt_buf_init(struct rt_buf *b);
void rt_buf_free(struct rt_buf *b);
void rt_buf_reset(struct rt_buf *b);
void rt_buf_add(struct rt_buf *b, const void *data, size_t n);
void rt_buf_puts(struct rt_buf *b, const char *s);
void rt_buf_printf(struct rt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rt_buf_vprintf(struct rt_buf *b, const char *fmt, va_list ap);
/* Take ownership of the string (NUL-terminated, never NULL). */
char *rt_buf_steal(struct rt_buf *b);

/* ---- misc -------------------------------------------------------------- */

#define RT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Arguments are evaluated twice: pass plain values, never calls. */
#define RT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define RT_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Monotonic nanoseconds (control plane and sources). */
uint64_t rt_now_ns(void);
/* Wall-clock nanoseconds since the epoch. */
uint64_t rt_wall_ns(void);

#endif
