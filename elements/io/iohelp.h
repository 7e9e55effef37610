/*
 * iohelp.h - small text helpers shared by the trace and script elements of
 * elements/io: Click string quoting and unquoting, space-separated words
 * that respect quotes, and "sec.frac" timestamps.
 *
 * Thread-safety: pure functions on caller-owned buffers; the io_*_to
 * variants write into fixed buffers and never allocate, so the data path of
 * ToIPSummaryDump and FromIPSummaryDump may use them.
 */
#ifndef MB_IO_IOHELP_H
#define MB_IO_IOHELP_H

#include <stddef.h>
#include <stdint.h>

#include "../../runtime/rt_base.h"

/* Click's cp_quote: a double-quoted string; backslash, double quote and '$'
 * are escaped, tab, CR and newline become \t \r \n, other bytes below 32 or
 * above 126 become three-digit octal escapes.  Writes at most `cap` bytes
 * into dst (4 * n + 2 always suffices); returns the length written. */
size_t io_quote_to(char *dst, size_t cap, const uint8_t *s, size_t n);
void io_quote(struct rt_buf *out, const uint8_t *s, size_t n);

/* Click's cp_unquote: removes one layer of quoting from [s, s + n):
 * "..." with backslash escapes (\n \t \r \a \b \f \v, octal \ooo, \xHH,
 * \<hex bytes>), '...' verbatim, unquoted text as is.  Writes at most cap
 * bytes into dst; returns the unquoted length. */
size_t io_unquote_to(uint8_t *dst, size_t cap, const char *s, size_t n);
/* The same into a growable buffer (NUL-terminated). */
void io_unquote(struct rt_buf *out, const char *s, size_t n);

/* Next space-separated word of s (quotes keep spaces inside a word):
 * sets [*wb, *we) and returns the position after it, or NULL when there is
 * no word left. */
const char *io_word(const char *s, const char **wb, const char **we);

/* "SEC[.FRAC]" (up to 9 fraction digits) into nanoseconds.  0 or -1. */
int io_parse_ts(const char *s, size_t n, uint64_t *ns);
/* Nanoseconds as "SEC.USEC" (always six fraction digits, like Click's
 * microsecond Timestamp).  buf needs 32 bytes; returns the length. */
int io_fmt_ts(char *buf, uint64_t ns);

/* Unsigned decimal into buf (needs 21 bytes); returns the length. */
int io_utoa(char *buf, uint64_t v);

#endif
