/*
 * fib.h - the multi-FIB longest-prefix-match lookup, one device function
 * for every placement (see mig_kernel.h; the layout is built by
 * migrate/mig_fib_trie.c and described in migrate/mig_fib.h).
 *
 *   tab   uint32 entries: [0, 65536) the IPv4 root (top 16 address bits),
 *         [65536, 131072) the IPv6 root, then 256-entry nodes (node c at
 *         131072 + 256 c).  Bit 31 set: a node; clear: a leaf, the index of
 *         a next-hop vector.
 *   nh    the vectors, nfib next hops each: FIB f of leaf v is nh[v nfib + f].
 *
 * IPv4 addresses are one host-order word; IPv6 four, most significant
 * first.  A lookup reads at most 3 (IPv4) or 15 (IPv6) entries of tab and
 * one of nh; it never loops on bad data (the depth is bounded by the
 * address length).
 */
#ifndef MIG_KERNELS_FIB_H
#define MIG_KERNELS_FIB_H

#ifndef __OPENCL_VERSION__
#include "mig_kernel.h"
#endif

#define MIG_FIB_NONE 0xffffffffu    /* no route */
#define MIG_FIB_NODE 0x80000000u    /* entry is a node */
#define MIG_FIB_ROOT4 0u
#define MIG_FIB_ROOT6 65536u
#define MIG_FIB_NODES 131072u       /* first node entry */

/* The entry of node entry e for the address byte b (low 8 bits). */
MIG_DEV uint32_t mig_fib_child(uint32_t e, uint32_t b)
{
	return MIG_FIB_NODES + ((e & ~MIG_FIB_NODE) << 8) + (b & 0xffu);
}

/* FIB fib's next hop in vector `leaf`. */
MIG_DEV uint32_t mig_fib_nh(MIG_G const uint32_t *nh, uint32_t nfib, uint32_t leaf, uint32_t fib)
{
	return fib < nfib ? nh[leaf * nfib + fib] : MIG_FIB_NONE;
}

MIG_DEV uint32_t mig_fib_leaf4(MIG_G const uint32_t *tab, uint32_t a)
{
	uint32_t e = tab[MIG_FIB_ROOT4 + (a >> 16)];
	if (e & MIG_FIB_NODE) {
		e = tab[mig_fib_child(e, a >> 8)];
		if (e & MIG_FIB_NODE)
			e = tab[mig_fib_child(e, a)];
	}
	return e;
}

MIG_DEV uint32_t mig_fib_leaf6(MIG_G const uint32_t *tab, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3)
{
	uint32_t e = tab[MIG_FIB_ROOT6 + (a0 >> 16)];
	uint32_t w = a0 << 16;
	uint32_t k;
	for (k = 2; k < 16 && (e & MIG_FIB_NODE); k++) {
		if ((k & 3u) == 0)
			w = k == 4 ? a1 : k == 8 ? a2 : a3;
		e = tab[mig_fib_child(e, w >> 24)];
		w <<= 8;
	}
	return e;
}

MIG_DEV uint32_t mig_fib_lookup4(MIG_G const uint32_t *tab, MIG_G const uint32_t *nh, uint32_t nfib, uint32_t fib,
				 uint32_t a)
{
	return mig_fib_nh(nh, nfib, mig_fib_leaf4(tab, a), fib);
}

MIG_DEV uint32_t mig_fib_lookup6(MIG_G const uint32_t *tab, MIG_G const uint32_t *nh, uint32_t nfib, uint32_t fib,
				 uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3)
{
	return mig_fib_nh(nh, nfib, mig_fib_leaf6(tab, a0, a1, a2, a3), fib);
}

#endif
