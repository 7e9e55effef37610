/*
 * tn_util.h - what the tenant tests share: a router where the operator,
 * tenant A and tenant B each have a graph (B's counter has counted 3
 * packets), and a snapshot of everything A must not be able to change.
 */
#ifndef MB_TN_UTIL_H
#define MB_TN_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tu.h"
#include "tenant/tn.h"

#define OP_CFG "Idle -> op :: Counter -> Discard;"
#define A_CFG "in :: Idle -> c :: Counter -> d :: Discard;"
#define B_CFG "in :: Idle -> c :: Counter -> d :: Discard; x :: Counter -> Discard; Idle -> x;"

/* A router with the operator's element, tenants A and B with their graphs,
 * and 3 packets counted by B's c. */
static inline struct rt_router *world(void)
{
	struct rt_router *r = tu_router(OP_CFG, NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(tn_add(r, "A", "buffers=256 lua=2M instr=200000", &err), 0);
	assert_int_equal(tn_add(r, "B", NULL, &err), 0);
	assert_int_equal(tn_load(r, "A", A_CFG, true, "<a>", NULL, &err), 0);
	assert_int_equal(tn_load(r, "B", B_CFG, true, "<b>", NULL, &err), 0);
	for (int i = 0; i < 3; i++)
		tu_push1(r, "B/c", 0, tu_pkt(r, "xxxxxxxxxxxxxx", 14));
	return r;
}

static inline struct rt_ident id_of(struct rt_router *r, const char *name)
{
	return (struct rt_ident){tn_id(tn_by_name(r, name))};
}

/* What must not change: the whole flat configuration and B's counter. */
struct snap {
	char flat[4096];
	long long count;
	uint64_t version;
};

static inline void snap(struct rt_router *r, struct snap *s)
{
	snprintf(s->flat, sizeof(s->flat), "%s", tu_read(r, "flatconfig"));
	s->count = tu_read_int(r, "B/c.count");
	s->version = r->version;
}

static inline void same(struct rt_router *r, const struct snap *s)
{
	struct snap now;
	snap(r, &now);
	assert_string_equal(now.flat, s->flat);
	assert_int_equal(now.count, s->count);
	assert_int_equal(now.version, s->version);
}

#endif
