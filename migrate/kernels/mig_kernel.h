/*
 * mig_kernel.h - one kernel text for three placements.
 *
 * A kernel's work is a device function in kernels/P.h written with these
 * macros; the cpu placement includes P.h as C, the OpenCL placement builds
 * mig_kernel.h + P.h + P.cl for its device at run time, and nvcc compiles
 * P.cu (which includes both) for the cuda placement.  Same source, same
 * integer arithmetic: byte-identical results on every placement.
 *
 *   MIG_DEV        qualifier of a device function (static inline in C)
 *   MIG_G          address space of a pointer into device memory
 *   MIG_KERNEL     an entry point (P.cl / P.cu only)
 *   MIG_GID()      this work item's index (entry points only)
 *
 * Entry points take the item count n and return early when MIG_GID() >= n:
 * launches are rounded up to the work-group size.
 */
#ifndef MIG_KERNEL_H
#define MIG_KERNEL_H

#if defined(__OPENCL_VERSION__)
typedef uchar uint8_t;
typedef ushort uint16_t;
typedef uint uint32_t;
typedef ulong uint64_t;
typedef int int32_t;
#define MIG_DEV static inline
#define MIG_G __global
#define MIG_KERNEL __kernel void
#define MIG_GID() ((uint32_t)get_global_id(0))
#elif defined(__CUDACC__)
#include <stdint.h>
#define MIG_DEV static __device__ __forceinline__
#define MIG_G
#define MIG_KERNEL extern "C" __global__ void
#define MIG_GID() ((uint32_t)(blockIdx.x * blockDim.x + threadIdx.x))
#else
#include <stdint.h>
#define MIG_DEV static inline
#define MIG_G
#endif

#endif
