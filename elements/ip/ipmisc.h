/*
 * ipmisc.h - helpers shared by the IPv4 elements of elements/ip: finding
 * the IP header, incremental checksums, growing a packet at its front, and
 * the two annotations these elements pass to each other (Fix IP Source and
 * the ICMP Parameter Problem pointer).
 *
 * Everything here is static inline: it runs on the data path.
 */
#ifndef MB_IPMISC_H
#define MB_IPMISC_H

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf_dyn.h>

#include "../../runtime/el.h"

/* Fix IP Source annotation (Click's FIX_IP_SRC_ANNO): set by ICMPError,
 * consumed and cleared by FixIPSrc.  A bit of rt_anno.flags; proposed for
 * runtime/rt.h as RT_AF_FIXIPSRC. */
#ifndef RT_AF_FIXIPSRC
#define RT_AF_FIXIPSRC 0x02
#endif

/* Well-known IPv4 header offsets. */
#define IPM_OFF_SRC 12
#define IPM_OFF_DST 16

/* The packet's IP header: the network header annotation when set, else the
 * start of the data (Click elements that need an IP header assume the
 * annotation; mboxsh treats an unannotated packet as starting with it). */
static inline int ipm_off(struct rte_mbuf *m) { return rt_has_nh(m) ? rt_nh_offset(m) : 0; }
static inline struct rte_ipv4_hdr *ipm_hdr(struct rte_mbuf *m)
{
	return (struct rte_ipv4_hdr *)(rt_data(m) + ipm_off(m));
}
/* Bytes from the IP header to the end of the packet (Click's network_length),
 * negative when the header lies outside the data. */
static inline int ipm_netlen(struct rte_mbuf *m) { return (int)rt_len(m) - ipm_off(m); }
static inline int ipm_hlen(const struct rte_ipv4_hdr *ip) { return (ip->version_ihl & 0x0f) << 2; }
/* A packet that holds at least a minimal, plausible IPv4 header. */
static inline bool ipm_ok(struct rte_mbuf *m)
{
	int off = ipm_off(m);
	if (off < 0 || ipm_netlen(m) < 20)
		return false;
	const struct rte_ipv4_hdr *ip = (const void *)(rt_data(m) + off);
	return ipm_hlen(ip) >= 20 && ipm_hlen(ip) <= ipm_netlen(m);
}

/* Incremental Internet checksum update (RFC 1624, eqn. 3) for a 16-bit
 * word changing from old to new; all values as stored in the packet. */
static inline uint16_t ipm_csum_adjust(uint16_t sum, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~sum + (uint32_t)(uint16_t)~old + new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}
static inline uint16_t ipm_csum_adjust32(uint16_t sum, uint32_t old, uint32_t new)
{
	sum = ipm_csum_adjust(sum, (uint16_t)old, (uint16_t)new);
	return ipm_csum_adjust(sum, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
}

/* Recompute the IPv4 header checksum over the whole header (options too). */
static inline void ipm_set_csum(struct rte_ipv4_hdr *ip)
{
	ip->hdr_checksum = 0;
	ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, (size_t)ipm_hlen(ip));
}

/* Make room for len bytes in front of the data and return a pointer to
 * them.  When the headroom is too small the packet is copied into a fresh
 * mbuf of the same pool (annotations kept) and *mp replaced.  NULL (and the
 * packet freed) when that fails too. */
static inline uint8_t *ipm_push(struct rte_mbuf **mp, uint16_t len)
{
	struct rte_mbuf *m = *mp;
	char *p = rte_pktmbuf_prepend(m, len);
	if (likely(p != NULL))
		return (uint8_t *)p;
	struct rte_mbuf *c = rte_pktmbuf_alloc(m->pool);
	if (!c || rte_pktmbuf_headroom(c) + rte_pktmbuf_tailroom(c) < (uint32_t)len + rt_len(m)) {
		rte_pktmbuf_free(c);
		rte_pktmbuf_free(m);
		*mp = NULL;
		return NULL;
	}
	/* keep as much headroom as the pool gives, minus what we need */
	uint16_t head = (uint16_t)RT_MIN(rte_pktmbuf_headroom(c),
					 rte_pktmbuf_headroom(c) + rte_pktmbuf_tailroom(c) - len - rt_len(m));
	c->data_off = head;
	c->data_len = c->pkt_len = (uint16_t)(len + rt_len(m));
	memcpy(rte_pktmbuf_mtod_offset(c, uint8_t *, len), rt_data(m), rt_len(m));
	memcpy(rt_anno(c), rt_anno(m), sizeof(struct rt_anno));
	if (rt_has_nh(m))
		rt_set_nh(c, (uint32_t)(len + rt_nh_offset(m)));
	rte_pktmbuf_free(m);
	*mp = c;
	return rt_data(c);
}

/* ICMP Parameter Problem pointer annotation (Click's ICMP_PARAMPROB_ANNO):
 * the offset of the bad byte in the IP header, set by IPGWOptions for
 * ICMPError.  rt_anno has no room for it, so it lives in an mbuf dynamic
 * field registered on first use (control thread; the same name always
 * gives the same offset).  Returns the offset or a negative code. */
static inline int ipm_paramprob_field(void)
{
	static const struct rte_mbuf_dynfield f = {
		.name = "mboxsh_icmp_paramprob",
		.size = sizeof(uint8_t),
		.align = __alignof__(uint8_t),
	};
	int off = rte_mbuf_dynfield_register(&f);
	return off < 0 ? -rte_errno : off;
}
static inline uint8_t *ipm_paramprob(struct rte_mbuf *m, int field)
{
	return RTE_MBUF_DYNFIELD(m, field, uint8_t *);
}

#endif
