/*
 * mig_fib_int.h - the canonical FIB form's insides, shared by mig_fib.c
 * (routes, serialisation) and mig_fib_trie.c (the multibit trie built from
 * it).
 *
 * The routes of all FIBs live in one binary trie per address family over
 * the union of their prefixes: a node at depth d is the prefix of length d
 * spelled by the path to it; a node some FIB has a route for points to a
 * slot of nfib next hops (MIG_FIB_NONE where that FIB has none).  Nodes and
 * slots are indices into two arrays (0 is null), with free lists.
 */
#ifndef MB_MIG_FIB_INT_H
#define MB_MIG_FIB_INT_H

#include "mig_fib.h"

struct mig_fib_bnode {
	uint32_t child[2];
	uint32_t slot;
};

struct mig_fib {
	uint32_t nfib;
	uint64_t version, checksum;
	size_t nroutes;
	uint32_t root[2];                /* IPv4, IPv6 */
	struct mig_fib_bnode *bn;
	uint32_t nbn, bn_cap, bn_free;
	/* slot s: words [s * stride, s * stride + stride): a count of routes,
	 * then nfib next hops; stride = nfib + 1 */
	uint32_t *slots;
	uint32_t nslots, slot_cap, slot_free;
};

static inline const uint32_t *mig_fib_slot_nh(const struct mig_fib *f, uint32_t slot)
{
	return f->slots + (size_t)slot * (f->nfib + 1) + 1;
}

/* Bit i of an address in network order (0: the most significant). */
static inline unsigned mig_fib_bit(const uint8_t *a, unsigned i)
{
	return (a[i >> 3] >> (7 - (i & 7))) & 1;
}

#endif
