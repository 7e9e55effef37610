/*
 * fiblookup.h - the FIBLookup element's kernel over the multi-FIB trie
 * (fib.h): one record of 5 words per packet, word 0 the FIB (bit 31 set
 * for IPv6), words 1..4 the destination address (IPv4: word 1), host
 * order; the result is the next-hop id or MIG_FIB_NONE.
 */
#ifndef MIG_KERNELS_FIBLOOKUP_H
#define MIG_KERNELS_FIBLOOKUP_H

#include "fib.h"

#define MIG_FIBLOOKUP_V6 0x80000000u
#define MIG_FIBLOOKUP_WORDS 5

MIG_DEV uint32_t mig_fiblookup_one(MIG_G const uint32_t *tab, MIG_G const uint32_t *nh, uint32_t nfib,
				   MIG_G const uint32_t *r)
{
	uint32_t fib = r[0];
	if (fib & MIG_FIBLOOKUP_V6)
		return mig_fib_lookup6(tab, nh, nfib, fib & ~MIG_FIBLOOKUP_V6, r[1], r[2], r[3], r[4]);
	return mig_fib_lookup4(tab, nh, nfib, fib, r[1]);
}

#endif
