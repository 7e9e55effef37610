/*
 * cls.cl - entry points (OpenCL, and CUDA through cls.cu) of the big
 * classifier's lookup (built after mig_kernel.h and cls.h).  One work item
 * per key: keys[4 i ..] give out[2 i], out[2 i + 1].
 *
 *   cls_acl     the offload engine's convention (records in, blob, records
 *               out, n, then the flat form): ACLClassifier
 *   cls_lookup  the flat form first: tests and gpucheck
 */
MIG_KERNEL cls_acl(MIG_G const uint32_t *in, MIG_G const uint8_t *blob, MIG_G uint32_t *out, uint32_t n,
		   MIG_G const uint32_t *w)
{
	uint32_t i = MIG_GID();
	if (i < n)
		mig_cls_lookup(w, in + MIG_CLS_KEY_WORDS * i, out + MIG_CLS_OUT_WORDS * i);
}

MIG_KERNEL cls_lookup(MIG_G const uint32_t *w, MIG_G const uint32_t *keys, MIG_G uint32_t *out, uint32_t n)
{
	uint32_t i = MIG_GID();
	if (i < n)
		mig_cls_lookup(w, keys + MIG_CLS_KEY_WORDS * i, out + MIG_CLS_OUT_WORDS * i);
}
