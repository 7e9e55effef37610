/*
 * ip_util.h - helpers shared by test_ip.c and test_iproute.c: addresses,
 * the pool-leak check and handler writes.
 */
#ifndef MB_TESTS_IP_UTIL_H
#define MB_TESTS_IP_UTIL_H

#include <arpa/inet.h>

#include "tu.h"

static inline uint32_t ip4(const char *s)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static inline void assert_pool_full(struct rt_router *r)
{
	struct rte_mempool *mp = rt_router_pool(r);
	assert_int_equal(rte_mempool_avail_count(mp), mp->size);
}

static inline void expect_write_error(struct rt_router *r, const char *h, const char *v, const char *msg)
{
	struct rt_err err;
	assert_true(tu_write(r, h, v, &err) < 0);
	assert_string_equal(err.msg, msg);
}

static inline void write_ok(struct rt_router *r, const char *h, const char *v)
{
	struct rt_err err;
	int rc = tu_write(r, h, v, &err);
	if (rc < 0)
		fail_msg("write %s '%s': %s", h, v, err.msg);
}

#endif
