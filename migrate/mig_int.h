/*
 * mig_int.h - the device layer's inside: what a backend (mig_opencl.c,
 * mig_cuda.c) implements, and the objects mig.c hands to it.
 */
#ifndef MB_MIG_INT_H
#define MB_MIG_INT_H

#include "mig.h"

struct mig_backend;

struct mig_dev {
	enum mig_kind kind;
	const struct mig_backend *be;
	int refs;
	char desc[160];
	void *priv;            /* backend's device */
};

struct mig_mem {
	struct mig_dev *dev;
	size_t len;
	void *priv;            /* cl_mem, CUdeviceptr */
};

struct mig_prog {
	struct mig_dev *dev;
	char name[32];
	void *priv;            /* cl_program, CUmodule */
};

struct mig_kernel {
	struct mig_prog *prog;
	char fn[64];
	void *priv;            /* cl_kernel (template), CUfunction */
};

struct mig_queue {
	struct mig_dev *dev;
	void *priv;            /* cl_command_queue + per-queue kernels, CUstream */
};

struct mig_backend {
	enum mig_kind kind;
	int (*available)(struct rt_err *err);
	int (*dev_open)(struct mig_dev *d, struct rt_err *err);
	void (*dev_close)(struct mig_dev *d);
	int (*mem_alloc)(struct mig_mem *m, struct rt_err *err);
	void (*mem_free)(struct mig_mem *m);
	int (*mem_write)(struct mig_mem *m, size_t off, const void *src, size_t len, struct rt_err *err);
	int (*mem_read)(struct mig_mem *m, size_t off, void *dst, size_t len, struct rt_err *err);
	void *(*host_alloc)(struct mig_dev *d, size_t len);
	void (*host_free)(struct mig_dev *d, void *p);
	int (*prog_build)(struct mig_prog *p, struct rt_err *err);
	void (*prog_free)(struct mig_prog *p);
	int (*kernel_get)(struct mig_kernel *k, struct rt_err *err);
	void (*kernel_free)(struct mig_kernel *k);
	int (*queue_open)(struct mig_queue *q, struct rt_err *err);
	void (*queue_close)(struct mig_queue *q);
	int (*job_submit)(struct mig_queue *q, struct mig_job *j);
	int (*job_poll)(struct mig_queue *q, struct mig_job *j);   /* 1, 0, <0 */
	int (*job_wait)(struct mig_queue *q, struct mig_job *j);
};

extern const struct mig_backend mig_opencl_backend;
#ifdef MBOXSH_HAVE_CUDA
extern const struct mig_backend mig_cuda_backend;
#endif

/* Embedded kernels (generated at build time, mig_sources.c). */
struct mig_embed {
	const char *name;         /* program name ("fib"), or file name for sources */
	const unsigned char *data;
	size_t len;
};
/* OpenCL program text: mig_kernel.h + P.h + P.cl concatenated, NUL-terminated. */
extern const struct mig_embed mig_opencl_programs[];
extern const int mig_opencl_nprograms;
/* CUDA fatbins, one per kernels/P.cu. */
extern const struct mig_embed mig_cuda_fatbins[];
extern const int mig_cuda_nfatbins;

#endif
