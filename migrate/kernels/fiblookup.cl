/* fiblookup.cl - the entry point of FIBLookup (OpenCL, and CUDA through fiblookup.cu) (offload engine convention:
 * records in, blob, records out, n, then the trie). */
MIG_KERNEL fiblookup(MIG_G const uint32_t *in, MIG_G const uint8_t *blob, MIG_G uint32_t *out, uint32_t n,
		     MIG_G const uint32_t *tab, MIG_G const uint32_t *nh, uint32_t nfib)
{
	uint32_t i = MIG_GID();
	if (i < n)
		out[i] = mig_fiblookup_one(tab, nh, nfib, in + MIG_FIBLOOKUP_WORDS * i);
}
