/*
 * fib.cl - Entry points (OpenCL, and CUDA through fib.cu) of the multi-FIB lookup (built after
 * mig_kernel.h and fib.h).  One work item per packet: fibs[i] and the
 * address (IPv4: addrs[i]; IPv6: addrs[4 i .. 4 i + 3]) give out[i].
 */

MIG_KERNEL fib_lookup4(MIG_G const uint32_t *tab, MIG_G const uint32_t *nh, uint32_t nfib,
			  MIG_G const uint32_t *fibs, MIG_G const uint32_t *addrs, MIG_G uint32_t *out, uint32_t n)
{
	uint32_t i = MIG_GID();
	if (i >= n)
		return;
	out[i] = mig_fib_lookup4(tab, nh, nfib, fibs[i], addrs[i]);
}

MIG_KERNEL fib_lookup6(MIG_G const uint32_t *tab, MIG_G const uint32_t *nh, uint32_t nfib,
			  MIG_G const uint32_t *fibs, MIG_G const uint32_t *addrs, MIG_G uint32_t *out, uint32_t n)
{
	uint32_t i = MIG_GID();
	if (i >= n)
		return;
	MIG_G const uint32_t *a = addrs + 4 * i;
	out[i] = mig_fib_lookup6(tab, nh, nfib, fibs[i], a[0], a[1], a[2], a[3]);
}
