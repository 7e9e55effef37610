/*
 * test_anno.c - lazily reset annotations (runtime/rt.h) and the
 * link-broadcast annotation on demand (router.h), as device sources use
 * them: a fresh mbuf reads as defaults without its private area being
 * written, the first rt_anno() initialises it once, rt_anno_reset() is one
 * flag; packets looped back through a net_ring arrive with their
 * annotations reset; FromDPDKDevice marks group-addressed frames exactly
 * while a DropBroadcasts is loaded, and neither a failed load nor a live
 * change leaves the count of readers wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_ethdev.h>

#include "tu.h"

#define RUN_MS 4000

static int setup(void **st)
{
	(void)st;
	tu_eal();
	return 0;
}

/* ---- the accessors on bare mbufs ------------------------------------------------ */

static void test_lazy_reset(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> Discard;", NULL);
	struct rte_mbuf *m = rte_pktmbuf_alloc(rt_router_pool(r));
	assert_non_null(m);
	/* stale bytes, as a recycled mbuf has */
	uint8_t *priv = (uint8_t *)m->buf_addr - m->priv_size; /* rte_mbuf_to_priv, seen by gcc as out of m */
	assert_ptr_equal(priv, rte_mbuf_to_priv(m));
	memset(priv, 0xab, sizeof(struct rt_anno));
	assert_false(m->ol_flags & RT_OLF_ANNO);

	/* reading a fresh packet's annotations gives the defaults and writes nothing */
	const struct rt_anno *ro = rt_anno_ro(m);
	assert_int_equal(ro->nh_off, RT_NH_NONE);
	assert_int_equal(ro->paint, 0);
	assert_int_equal(ro->dst_ip, 0);
	assert_null(ro->flow);
	assert_int_equal(priv[0], 0xab);
	assert_false(rt_has_nh(m));
	assert_false(m->ol_flags & RT_OLF_ANNO);

	/* the first rt_anno() initialises them in place, once */
	struct rt_anno *a = rt_anno(m);
	assert_ptr_equal(a, (void *)priv);
	assert_true(m->ol_flags & RT_OLF_ANNO);
	assert_int_equal(a->paint, 0);
	assert_int_equal(a->flags, 0);
	assert_int_equal(a->seq, 0);
	assert_int_equal(a->aggregate, 0);
	assert_int_equal(a->tenant, 0);
	assert_int_equal(a->timestamp, 0);
	assert_false(rt_has_nh(m));
	a->paint = 5;
	a->seq = 77;
	rt_set_nh(m, 14);
	assert_int_equal(rt_anno(m)->paint, 5);
	assert_int_equal(rt_anno_ro(m)->seq, 77);
	assert_int_equal(rt_nh_offset(m), 14);

	/* reset: one flag; the next reader sees defaults again */
	rt_anno_reset(m);
	assert_false(m->ol_flags & RT_OLF_ANNO);
	assert_int_equal(rt_anno_ro(m)->paint, 0);
	assert_int_equal(rt_anno(m)->seq, 0);
	assert_false(rt_has_nh(m));

	/* a freed and reallocated mbuf never shows the old values */
	rt_anno(m)->paint = 9;
	rte_pktmbuf_free(m);
	struct rte_mbuf *k = rt_pkt_alloc(r);
	assert_non_null(k);
	assert_int_equal(rt_anno(k)->paint, 0);
	rte_pktmbuf_free(k);
	tu_router_free(r);
}

/* ---- device sources ------------------------------------------------------------- */

/* Painted and sequence-numbered packets go out on a net_ring and come back
 * in through FromDPDKDevice: what arrives has fresh annotations. */
static void test_ring_loop_resets_annotations(void **st)
{
	(void)st;
	struct rt_router *r = tu_router(
		"InfiniteSource(LIMIT 20) -> Paint(7) -> t :: ToDPDKDevice(net_ring5);\n"
		"f :: FromDPDKDevice(net_ring5) -> c :: Counter -> s :: TestSink;\n"
		"DriverManager(label l, wait 1ms, goto l $(lt $(c.count) 20), stop);",
		NULL);
	assert_int_equal(tu_run(r, RUN_MS), 0);
	assert_int_equal(tu_sink_count(r, "s"), 20);
	for (int i = 0; i < 20; i++) {
		struct rte_mbuf *m = tu_sink_pkt(r, "s", i);
		assert_int_equal(rt_anno(m)->paint, 0);
		assert_false(rt_has_nh(m));
		assert_int_equal(rt_anno(m)->flags, 0);
	}
	tu_router_free(r);
}

/* Two frames, broadcast then unicast, then multicast, in a pcap file. */
static void write_trace(const char *path)
{
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(pd, path);
	assert_non_null(d);
	static const uint8_t dst[3][6] = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
					  {0x00, 0x11, 0x22, 0x33, 0x44, 0x55},
					  {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
	for (int i = 0; i < 3; i++) {
		uint8_t f[60];
		int n = tu_build_udp(f, "10.0.0.1", "10.0.0.2", 1000, 2000, NULL, 0);
		memcpy(f, dst[i], 6);
		struct pcap_pkthdr h = {.caplen = (bpf_u_int32)n, .len = (bpf_u_int32)n};
		pcap_dump((u_char *)d, &h, f);
	}
	pcap_dump_close(d);
	pcap_close(pd);
}

static void test_link_bcast_on_demand(void **st)
{
	(void)st;
	char dir[] = "/tmp/mbx_anno_XXXXXX", in[64], cfg[512];
	assert_non_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/in.pcap", dir);
	write_trace(in);

	/* no reader: the source does not compute the annotation */
	snprintf(cfg, sizeof(cfg),
		 "FromDPDKDevice(net_pcap7, rx_pcap=%s) -> c :: Counter -> Discard;\n"
		 "DriverManager(label l, wait 1ms, goto l $(lt $(c.count) 3), stop);",
		 in);
	struct rt_router *r = tu_router(cfg, NULL);
	assert_int_equal(*rt_router_link_bcast_users(r), 0);
	assert_int_equal(tu_run(r, RUN_MS), 0);
	assert_int_equal(tu_read_int(r, "c.count"), 3);
	tu_router_free(r);

	/* with DropBroadcasts: broadcast and multicast frames are marked and dropped */
	snprintf(cfg, sizeof(cfg),
		 "FromDPDKDevice(net_pcap8, rx_pcap=%s) -> c :: Counter -> d :: DropBroadcasts -> s :: TestSink;\n"
		 "DriverManager(label l, wait 1ms, goto l $(lt $(c.count) 3), stop);",
		 in);
	r = tu_router(cfg, NULL);
	assert_int_equal(*rt_router_link_bcast_users(r), 1);
	assert_int_equal(tu_run(r, RUN_MS), 0);
	assert_int_equal(tu_read_int(r, "c.count"), 3);
	assert_int_equal(tu_read_int(r, "d.drops"), 2);
	assert_int_equal(tu_sink_count(r, "s"), 1);
	assert_int_equal(rt_data(tu_sink_pkt(r, "s", 0))[0], 0x00);
	tu_router_free(r);
	unlink(in);
	rmdir(dir);
}

/* A load that fails after DropBroadcasts was initialised counts no reader. */
static void test_link_bcast_failed_load(void **st)
{
	(void)st;
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_router_opts o = {.nworkers = 1};
	struct rt_router *r = rt_router_new(&o, &err);
	assert_non_null(r);
	assert_true(rt_router_load(r, "Idle -> DropBroadcasts -> Discard;\nFromDPDKDevice(net_bogus0) -> Discard;",
				   "x.click", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "net_bogus0"));
	assert_int_equal(*rt_router_link_bcast_users(r), 0);
	rt_err_clear(&err);
	assert_int_equal(rt_router_load(r, "Idle -> d :: DropBroadcasts -> Discard;", "y.click", NULL, &err), 0);
	assert_int_equal(*rt_router_link_bcast_users(r), 1);
	tu_router_free(r);
}

/* Live changes: a DropBroadcasts added to a running graph is counted
 * before it sees a packet, and a removed one stops being counted. */
static void test_link_bcast_live(void **st)
{
	(void)st;
	struct rt_router *r = tu_router("Idle -> c :: Counter -> Discard;", NULL);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_router_start(r, &err), 0);
	assert_int_equal(*rt_router_link_bcast_users(r), 0);
	assert_int_equal(rt_ctl_hotconfig(r, "Idle -> c :: Counter -> d :: DropBroadcasts -> Discard;", "live.click",
					  NULL, &err), 0);
	assert_int_equal(*rt_router_link_bcast_users(r), 1);
	/* kept across an unrelated change: not counted twice */
	assert_int_equal(rt_ctl_hotconfig(r, "Idle -> c :: Counter -> d :: DropBroadcasts -> Discard; Idle -> Discard;",
					  "live.click", NULL, &err), 0);
	assert_int_equal(*rt_router_link_bcast_users(r), 1);
	assert_int_equal(rt_ctl_hotconfig(r, "Idle -> c :: Counter -> Discard;", "live.click", NULL, &err), 0);
	assert_int_equal(*rt_router_link_bcast_users(r), 0);
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lazy_reset, setup),
		cmocka_unit_test_setup(test_ring_loop_resets_annotations, setup),
		cmocka_unit_test_setup(test_link_bcast_on_demand, setup),
		cmocka_unit_test_setup(test_link_bcast_failed_load, setup),
		cmocka_unit_test_setup(test_link_bcast_live, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
