/*
 * fib.cu - CUDA entry points of the multi-FIB lookup (the same device
 * functions as fib.cl, compiled by nvcc).  One thread per packet.
 */
#include "mig_kernel.h"
#include "fib.h"

MIG_KERNEL fib_lookup4(const uint32_t *tab, const uint32_t *nh, uint32_t nfib, const uint32_t *fibs,
		       const uint32_t *addrs, uint32_t *out, uint32_t n)
{
	uint32_t i = MIG_GID();
	if (i >= n)
		return;
	out[i] = mig_fib_lookup4(tab, nh, nfib, fibs[i], addrs[i]);
}

MIG_KERNEL fib_lookup6(const uint32_t *tab, const uint32_t *nh, uint32_t nfib, const uint32_t *fibs,
		       const uint32_t *addrs, uint32_t *out, uint32_t n)
{
	uint32_t i = MIG_GID();
	if (i >= n)
		return;
	const uint32_t *a = addrs + 4 * i;
	out[i] = mig_fib_lookup6(tab, nh, nfib, fibs[i], a[0], a[1], a[2], a[3]);
}
