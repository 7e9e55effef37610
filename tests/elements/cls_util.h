/*
 * cls_util.h - helpers shared by test_ipexpr.c and test_clsexpr.c: IPv4
 * test packets (TCP, UDP, ICMP, options) and compiling and matching an
 * IPClassifier expression.
 */
#ifndef MB_TESTS_CLS_UTIL_H
#define MB_TESTS_CLS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cls_expr.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define A_10_0_0_1 IP(10, 0, 0, 1)
#define A_10_1_2_3 IP(10, 1, 2, 3)
#define A_192_168_1_1 IP(192, 168, 1, 1)
#define A_8_8_8_8 IP(8, 8, 8, 8)

enum { TH_FIN = 1, TH_SYN = 2, TH_RST = 4, TH_PSH = 8, TH_ACK = 16, TH_URG = 32 };

struct pk {
	uint8_t b[128];
	uint32_t len;
};

static inline void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16), put16(p + 2, v); }
static inline uint32_t get16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static inline uint32_t get32(const uint8_t *p) { return get16(p) << 16 | get16(p + 2); }

/* IPv4 header (IHL 5, TTL 64) plus `tlen` zeroed transport bytes. */
static inline struct pk ip_pkt(uint8_t proto, uint32_t src, uint32_t dst, uint32_t tlen)
{
	struct pk p;
	memset(&p, 0, sizeof(p));
	p.b[0] = 0x45;
	p.b[8] = 64;
	p.b[9] = proto;
	put32(p.b + 12, src);
	put32(p.b + 16, dst);
	p.len = 20 + tlen;
	put16(p.b + 2, p.len);
	return p;
}

static inline struct pk tcp_pkt(uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint8_t flags)
{
	struct pk p = ip_pkt(6, src, dst, 20);
	put16(p.b + 20, sp);
	put16(p.b + 22, dp);
	p.b[32] = 0x50;
	p.b[33] = flags;
	put16(p.b + 34, 8192);
	return p;
}

static inline struct pk udp_pkt(uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp)
{
	struct pk p = ip_pkt(17, src, dst, 8);
	put16(p.b + 20, sp);
	put16(p.b + 22, dp);
	return p;
}

static inline struct pk icmp_pkt(uint32_t src, uint32_t dst, uint8_t type)
{
	struct pk p = ip_pkt(1, src, dst, 8);
	p.b[20] = type;
	return p;
}

/* Grow the IP header to `ihl` words, shifting the transport header. */
static inline void set_ihl(struct pk *p, int ihl)
{
	uint32_t old = (uint32_t)(p->b[0] & 15) * 4, now = (uint32_t)ihl * 4;
	memmove(p->b + now, p->b + old, p->len - old);
	if (now > old)
		memset(p->b + old, 1, now - old); /* NOP options */
	p->len = p->len - old + now;
	p->b[0] = (uint8_t)(0x40 | ihl);
}

static inline struct cls_prog *ip_prog(enum cls_ipmode mode, int argc, const char **argv, int *nout)
{
	struct cls_prog *prog = NULL;
	struct rt_err err;
	int n = -1;
	rt_err_clear(&err);
	int rc = cls_ip_compile(mode, argc, (char **)argv, NULL, &prog, &n, &err);
	if (rc)
		fprintf(stderr, "compile failed: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(prog);
	if (nout)
		*nout = n;
	return prog;
}

/* Does IPClassifier(expr) send the packet to output 0? */
static inline bool m(const char *expr, const struct pk *p)
{
	struct cls_prog *prog = ip_prog(CLS_IPCLASSIFIER, 1, &expr, NULL);
	int r = cls_prog_match(prog, p->b, p->len);
	cls_prog_free(prog);
	assert_true(r == 0 || r == -1);
	return r == 0;
}

#endif
