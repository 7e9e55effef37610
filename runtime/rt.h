/*
 * rt.h - the runtime's basic types: errors, growable strings, packet batches
 * and per-packet annotations.
 *
 * Everything on the data path is here as static inline; control-plane helpers
 * live in buf.c.  Packets are always DPDK rte_mbufs (ARCHITECTURE.md, decision 1).
 */
#ifndef MB_RT_H
#define MB_RT_H

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "rt_base.h"

/* ---- batches ----------------------------------------------------------- */

#define RT_BATCH_MAX 64

/* A batch is an array of packets and a count (decision 3). */
struct rt_batch {
	uint32_t n;
	struct rte_mbuf *pkts[RT_BATCH_MAX];
};

static inline void rt_batch_add(struct rt_batch *b, struct rte_mbuf *m) { b->pkts[b->n++] = m; }

/* Free every packet of a batch and empty it. */
static inline void rt_batch_free(struct rt_batch *b)
{
	if (b->n)
		rte_pktmbuf_free_bulk(b->pkts, b->n);
	b->n = 0;
}

/* ---- annotations ------------------------------------------------------- */

/* Per-packet annotations, kept in the mbuf's private area (decision 1).
 * The pools created by the runtime reserve room for this structure.
 *
 * They are reset lazily: a fresh packet only has RT_OLF_ANNO cleared in its
 * ol_flags (the mbuf's first cache line, which every source and driver
 * writes anyway), and rt_anno() fills in the defaults the first time an
 * element asks for them.  A path that never looks at an annotation (plain
 * forwarding, EtherMirror) never touches the private area's cache line,
 * which resetting eagerly wrote for every packet (docs/performance.md). */
struct rt_anno {
	uint32_t dst_ip;   /* destination IP annotation, network order */
	uint16_t nh_off;   /* network header offset from buf_addr; RT_NH_NONE if unset */
	uint8_t paint;     /* Paint/PaintSwitch colour */
	uint8_t flags;     /* RT_AF_* */
	uint64_t timestamp; /* nanoseconds (wall clock for pcap input, TSC-derived otherwise) */
	void *flow;        /* flow control block, set by the flow manager */
	uint64_t seq;      /* sequence number (tests, ordering checks) */
	uint32_t aggregate; /* aggregate annotation */
	uint32_t tenant;   /* tenant id */
};

#define RT_NH_NONE 0xffff
#define RT_AF_BAD 0x01       /* marked bad by a checker */
#define RT_AF_FIXIPSRC 0x02  /* FixIPSrc should rewrite the source (set by ICMPError) */
#define RT_AF_LINK_BCAST 0x04 /* arrived as a link-level broadcast/multicast (sources set it) */
#define RT_AF_FLOW_REPLY 0x08 /* flow manager: packet goes against its flow's first packet */


#define RT_ANNO_SIZE RTE_ALIGN_CEIL(sizeof(struct rt_anno), RTE_MBUF_PRIV_ALIGN)

/* The ol_flags bit that says "the private area holds this packet's
 * annotations".  A fixed bit, so that testing it is one instruction: the
 * first of DPDK's dynamic-flag bits, reserved under the name
 * "mboxsh_anno_valid" by rt_eal_init (drivers that register dynamic flags
 * are given the highest free bits first).  rte_pktmbuf_reset, hence every
 * mbuf allocation, clears it.  rte_pktmbuf_copy copies the bit but not the
 * private area: copy packets with el_pkt_copy (elements/standard/clone.h),
 * which copies the annotations too and keeps the network header offset. */
#define RT_OLF_ANNO_BIT 23
#define RT_OLF_ANNO (1ULL << RT_OLF_ANNO_BIT)

/* The annotations' defaults: all zero but the network header (unset). */
static inline void rt_anno_init(struct rte_mbuf *m)
{
	struct rt_anno *a = (struct rt_anno *)rte_mbuf_to_priv(m);
	memset(a, 0, sizeof(*a));
	a->nh_off = RT_NH_NONE;
	m->ol_flags |= RT_OLF_ANNO;
}

/* A packet's annotations, to read or write; initialised on first use. */
static inline struct rt_anno *rt_anno(struct rte_mbuf *m)
{
	if (unlikely(!(m->ol_flags & RT_OLF_ANNO)))
		rt_anno_init(m);
	return (struct rt_anno *)rte_mbuf_to_priv(m);
}

/* Read-only view: a fresh packet's annotations are read from the defaults
 * without writing its private area. */
extern const struct rt_anno rt_anno_defaults;
static inline const struct rt_anno *rt_anno_ro(const struct rte_mbuf *m)
{
	if (unlikely(!(m->ol_flags & RT_OLF_ANNO)))
		return &rt_anno_defaults;
	return (const struct rt_anno *)rte_mbuf_to_priv((struct rte_mbuf *)(uintptr_t)m);
}

/* Reset annotations on a fresh packet (or one that came back from a
 * device, such as a net_ring loop): one store, in the first cache line. */
static inline void rt_anno_reset(struct rte_mbuf *m) { m->ol_flags &= ~RT_OLF_ANNO; }

/* Network header: set by MarkIPHeader/CheckIPHeader/Strip-aware elements.
 * Stored as an offset from buf_addr, so it stays valid across Strip/Unstrip. */
static inline void rt_set_nh(struct rte_mbuf *m, uint32_t off_from_data)
{
	rt_anno(m)->nh_off = (uint16_t)(m->data_off + off_from_data);
}
static inline bool rt_has_nh(struct rte_mbuf *m) { return rt_anno_ro(m)->nh_off != RT_NH_NONE; }
static inline uint8_t *rt_nh(struct rte_mbuf *m)
{
	return (uint8_t *)m->buf_addr + rt_anno_ro(m)->nh_off;
}
/* Offset of the network header from the current data start (may be negative). */
static inline int rt_nh_offset(struct rte_mbuf *m) { return (int)rt_anno_ro(m)->nh_off - (int)m->data_off; }

static inline uint8_t *rt_data(struct rte_mbuf *m) { return rte_pktmbuf_mtod(m, uint8_t *); }
static inline uint32_t rt_len(struct rte_mbuf *m) { return rte_pktmbuf_data_len(m); }

/* Packets longer than one segment are linearised at the edge (sources), so
 * elements can always treat a packet as contiguous bytes. */

/* ---- workers ----------------------------------------------------------- */

#define RT_MAX_WORKERS 16

/* Index of the worker running this thread (0 on the control thread).
 * initial-exec: one %fs-relative load instead of a __tls_get_addr call
 * per use from the shared library (libmbox.so is linked, not dlopen'ed;
 * glibc keeps static TLS room for a few bytes even then). */
#define RT_TLS_IE __attribute__((tls_model("initial-exec")))
extern __thread unsigned rt_wid RT_TLS_IE;

/* Set RT_AF_LINK_BCAST from an Ethernet frame's destination (group bit). */
static inline void rt_anno_link_from_ether(struct rte_mbuf *m)
{
	if (rt_len(m) >= 6 && (rt_data(m)[0] & 1))
		rt_anno(m)->flags |= RT_AF_LINK_BCAST;
}

#endif
