/* ac.cl - OpenCL entry point of ac.h: one work item per payload. */
MIG_KERNEL ac_scan(MIG_G const uint32_t *dfa, MIG_G const uint8_t *bytes, MIG_G const uint32_t *desc,
		   MIG_G uint32_t *res, uint32_t n)
{
	uint32_t i = MIG_GID();
	if (i < n)
		mig_ac_item(dfa, bytes, desc, res, i);
}
