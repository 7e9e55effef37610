/*
 * cls.cu - the CUDA build of the entry points in cls.cl: the same text,
 * compiled by nvcc (mig_kernel.h maps MIG_KERNEL, MIG_G and MIG_GID).
 */
#include "mig_kernel.h"
#include "cls.h"
#include "cls.cl"
