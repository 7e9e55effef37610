/*
 * tu.h - test utilities: a router built from configuration text, direct
 * pushes into an element's input, a capturing sink (TestSink) and packet
 * builders.  Used by the cmocka unit tests of every module.
 */
#ifndef MB_TU_H
#define MB_TU_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "router_int.h"
#include "ctl.h"

/* Initialise DPDK once for the test program. */
void tu_eal(void);

/* Build a router from configuration text (not started). NULL on error, with
 * err filled (err may be NULL: then a failure fails the test). */
struct rt_router *tu_router(const char *config, struct rt_err *err);
struct rt_router *tu_router_j(const char *config, int nworkers, struct rt_err *err);
void tu_router_free(struct rt_router *r);

/* Push packets into input `port` of element `name`, on the calling thread
 * as worker 0 (the element owns them afterwards). */
void tu_push(struct rt_router *r, const char *name, int port, struct rte_mbuf **pkts, int n);
void tu_push1(struct rt_router *r, const char *name, int port, struct rte_mbuf *m);
/* Push m into input `port` of element `name` as worker w (as if RSS had
 * steered it to that worker's queue). */
void tu_push_as(struct rt_router *r, const char *name, int port, unsigned w, struct rte_mbuf *m);
/* Run tasks (sources, queues) on the calling thread until none has work for
 * `idle_rounds` rounds or `max_rounds` is reached.  Returns rounds run. */
int tu_run_tasks(struct rt_router *r, int max_rounds);
/* Start workers and run the control loop until the router stops, or until
 * timeout_ms passes (then stop it).  Returns 0 if it stopped by itself. */
int tu_run(struct rt_router *r, int timeout_ms);

/* TestSink: a sink element that keeps the packets it receives, in order. */
int tu_sink_count(struct rt_router *r, const char *name);
struct rte_mbuf *tu_sink_pkt(struct rt_router *r, const char *name, int i);
void tu_sink_clear(struct rt_router *r, const char *name);

/* Read a handler as a string (static buffer, valid until the next call) or
 * as an integer; failure fails the test. */
const char *tu_read(struct rt_router *r, const char *hname);
long long tu_read_int(struct rt_router *r, const char *hname);
/* Write a handler; returns the control API's result, message in err. */
int tu_write(struct rt_router *r, const char *hname, const char *value, struct rt_err *err);

/* Packets.  tu_pkt copies bytes; the builders write an Ethernet + IPv4 +
 * UDP/TCP/ICMP frame with valid checksums and return its length. */
struct rte_mbuf *tu_pkt(struct rt_router *r, const void *data, uint32_t len);
int tu_build_udp(uint8_t *buf, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		 const void *payload, int plen);
int tu_build_tcp(uint8_t *buf, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		 uint8_t flags, uint32_t seq, const void *payload, int plen);
int tu_build_icmp_echo(uint8_t *buf, const char *src, const char *dst, uint16_t id, uint16_t seqno);
/* A TCP segment (Ethernet + IPv4) with ack number `ack`, valid checksums
 * and timestamp annotation ts, as an mbuf; payload may be NULL. */
struct rte_mbuf *tu_tcp_seg(struct rt_router *r, const char *src, const char *dst, uint16_t sport, uint16_t dport,
			   uint8_t flags, uint32_t seq, uint32_t ack, const char *payload, uint64_t ts);
/* The big-endian 32-bit word at byte off of m's data. */
uint32_t tu_be32_at(struct rte_mbuf *m, uint32_t off);
/* Fix the IPv4 header checksum of the IP header at ip. */
void tu_ip_csum(uint8_t *ip);

/* Expect a config to fail with exactly this "file:line:col: message"
 * (as rt_err_str prints it) and nothing left running. */
void tu_expect_error(const char *config, const char *expected);

/* Talk to a control socket from another thread while the router's loop
 * serves it: connect (Unix socket `path`, or TCP loopback `port` when
 * non-zero), send `send`, read until the server closes.  Returns what came
 * back (static, valid until the next call). */
const char *tu_sock_talk(struct rt_router *r, const char *path, int port, const char *send);
#define TU_SOCK_GREETING "Click::ControlSocket/1.3\r\n"
#define TU_SOCK_BYE "200 Goodbye!\r\n"

#endif
