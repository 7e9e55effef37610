/* ac.cl - the entry points of ac.h (OpenCL, and CUDA through ac.cu): one
 * work item per payload, arguments in the offload engine's order (records, blob, results, n, automaton). */

MIG_KERNEL ac_scan(MIG_G const uint32_t *desc, MIG_G const uint8_t *bytes, MIG_G uint32_t *res, uint32_t n,
		   MIG_G const uint32_t *dfa)
{
	uint32_t i = MIG_GID();
	if (i < n)
		mig_ac_item(desc, bytes, res, dfa, i);
}

/* Per-flow scans (see mig_ac_flow_item): the flows' states in st. */
MIG_KERNEL ac_scan_flows(MIG_G const uint32_t *desc, MIG_G const uint8_t *bytes, MIG_G uint32_t *res, uint32_t n,
			 MIG_G const uint32_t *dfa, MIG_G uint32_t *st)
{
	uint32_t i = MIG_GID();
	if (i < n)
		mig_ac_flow_item(desc, bytes, res, dfa, st, i);
}
