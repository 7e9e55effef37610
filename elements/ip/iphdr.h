/*
 * iphdr.h - small data-path helpers shared by the IPv4 elements: finding the
 * IP header through the network-header annotation with bounds checks, and
 * transport checksums over an explicit length.
 *
 * Everything here is static inline and touches only the packet it is given.
 */
#ifndef MB_EL_IPHDR_H
#define MB_EL_IPHDR_H

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "../../runtime/el.h"

#define IPH_MF 0x2000u      /* more fragments (host order) */
#define IPH_OFFMASK 0x1fffu /* fragment offset, 8-byte units (host order) */

/* The IPv4 header at the packet's network-header annotation, when there is
 * one, it lies inside the packet data and at least 20 bytes of it are there.
 * *nlen gets the bytes from the header to the end of the data. */
static inline struct rte_ipv4_hdr *iph_at_nh(struct rte_mbuf *m, uint32_t *nlen)
{
	if (unlikely(!rt_has_nh(m)))
		return NULL;
	int off = rt_nh_offset(m);
	if (unlikely(off < 0 || (uint32_t)off + sizeof(struct rte_ipv4_hdr) > rt_len(m)))
		return NULL;
	*nlen = rt_len(m) - (uint32_t)off;
	return (struct rte_ipv4_hdr *)(rt_data(m) + off);
}

/* Header length in bytes (IHL * 4). */
static inline uint32_t iph_hlen(const struct rte_ipv4_hdr *ip) { return (uint32_t)(ip->version_ihl & 0x0f) << 2; }

/* Is this packet a fragment (other than a whole datagram)? */
static inline bool iph_is_frag(const struct rte_ipv4_hdr *ip)
{
	return (rte_be_to_cpu_16(ip->fragment_offset) & (IPH_MF | IPH_OFFMASK)) != 0;
}

/* Is this the first (or only) fragment? */
static inline bool iph_first_frag(const struct rte_ipv4_hdr *ip)
{
	return (rte_be_to_cpu_16(ip->fragment_offset) & IPH_OFFMASK) == 0;
}

/* TCP/UDP checksum over `len` bytes of transport data at l4 with the IPv4
 * pseudo-header (src, dst, protocol, len), ready to store.  The checksum
 * field inside l4 must be zero.  For UDP a computed 0 is sent as 0xffff
 * (RFC 768). */
static inline uint16_t iph_l4_cksum(const struct rte_ipv4_hdr *ip, const void *l4, uint32_t len)
{
	uint32_t sum = __rte_raw_cksum(&ip->src_addr, 8, 0);
	sum += rte_cpu_to_be_16((uint16_t)ip->next_proto_id);
	sum += rte_cpu_to_be_16((uint16_t)len);
	sum = __rte_raw_cksum(l4, len, sum);
	uint16_t c = (uint16_t)~__rte_raw_cksum_reduce(sum);
	if (c == 0 && ip->next_proto_id == IPPROTO_UDP)
		c = 0xffff;
	return c;
}

#endif
