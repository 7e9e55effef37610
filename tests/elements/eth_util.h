/*
 * eth_util.h - helpers shared by test_ethernet.c and test_iphdr.c: UDP
 * frames and their IP packets, addresses, captured packets and pool use.
 */
#ifndef MB_TESTS_ETH_UTIL_H
#define MB_TESTS_ETH_UTIL_H

#include <arpa/inet.h>

#include "tu.h"

static inline struct rte_mbuf *udp_frame(struct rt_router *r, const char *src, const char *dst)
{
	uint8_t b[128];
	int n = tu_build_udp(b, src, dst, 1234, 80, "hello", 5);
	return tu_pkt(r, b, (uint32_t)n);
}

/* The IP packet of a UDP frame, without its Ethernet header. */
static inline struct rte_mbuf *udp_ip(struct rt_router *r, const char *src, const char *dst)
{
	uint8_t b[128];
	int n = tu_build_udp(b, src, dst, 1234, 80, "hello", 5);
	return tu_pkt(r, b + 14, (uint32_t)n - 14);
}

static inline uint32_t ip4(const char *s)
{
	uint32_t a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static inline struct rte_mbuf *out(struct rt_router *r, const char *sink, int i) { return tu_sink_pkt(r, sink, i); }

/* Packets of the router's pool not free right now (leak checks). */
static inline long long in_use(struct rt_router *r) { return (long long)rte_mempool_in_use_count(rt_router_pool(r)); }

#endif
