/* selftest.cl - OpenCL entry point of selftest.h. */
MIG_KERNEL selftest_mix(MIG_G const uint32_t *in, MIG_G uint32_t *out, uint32_t seed, uint32_t n)
{
	uint32_t i = MIG_GID();
	if (i < n)
		out[i] = mig_selftest_mix(in[i], seed);
}
