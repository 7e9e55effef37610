/* selftest.cl - Entry points (OpenCL, and CUDA through selftest.cu) of selftest.h. */
MIG_KERNEL selftest_mix(MIG_G const uint32_t *in, MIG_G uint32_t *out, uint32_t seed, uint32_t n)
{
	uint32_t i = MIG_GID();
	if (i < n)
		out[i] = mig_selftest_mix(in[i], seed);
}

/* The offload engine's convention (mig_offload.h): records in, a blob of
 * variable bytes, records out, the item count, then the element's tables. */
MIG_KERNEL selftest_off(MIG_G const uint32_t *in, MIG_G const uint8_t *blob, MIG_G uint32_t *out, uint32_t n)
{
	uint32_t i = MIG_GID();
	if (i < n)
		out[i] = mig_selftest_mix(in[i], 77);
}
