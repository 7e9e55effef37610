/*
 * mig.h - placements: where an element's kernel runs (ARCHITECTURE.md,
 * decision 8), and the device layer the offloaded placements share.
 *
 * A placement is `cpu`, `opencl` or `cuda`.  An offloadable kernel is
 * written once, as a device function in a kernel header under
 * migrate/kernels/ (see kernels/mig_kernel.h): the cpu placement compiles it
 * as C and calls it in the worker; the opencl placement builds the same text
 * (plus a small .cl entry point) at run time for whatever OpenCL device the
 * ICD loader finds (PoCL on the CPU in tests); the cuda placement compiles it
 * with nvcc into a fatbin embedded in the library (sm_80, sm_90 and PTX) and
 * loads it through the CUDA driver API, opened with dlopen, so a machine
 * without an NVIDIA driver runs everything else and reports "no CUDA device".
 *
 * Data structures have one canonical host form; each placement loads it
 * into its own memory (mig_mem) and runs the kernel over it.
 *
 * Thread-safety: devices, programs and memory are opened, loaded and freed
 * on the control thread.  A queue belongs to one worker: only that worker
 * submits to it and polls it.
 */
#ifndef MB_MIG_H
#define MB_MIG_H

#include <stddef.h>
#include <stdint.h>

#include "rt_base.h"

enum mig_kind { MIG_CPU, MIG_OPENCL, MIG_CUDA };
#define MIG_NKINDS 3

const char *mig_kind_name(enum mig_kind k);
/* "cpu", "opencl", "cuda" (case-insensitive); error names the word. */
int mig_kind_parse(const char *s, enum mig_kind *k, struct rt_err *err);
/* Can this placement run here?  0, or <0 with the reason ("no CUDA device:
 * libcuda.so.1 not found", "mboxsh was built without CUDA (nvcc not found)",
 * "no OpenCL platform").  cpu is always available. */
int mig_available(enum mig_kind k, struct rt_err *err);

/* ---- devices -------------------------------------------------------------- */

/* One device of an offloaded placement (an OpenCL context on the first
 * device found, a CUDA context on device 0).  Opened once per kind and
 * shared by reference (mig_dev_open returns the same device, counted). */
struct mig_dev;
int mig_dev_open(enum mig_kind k, struct mig_dev **out, struct rt_err *err);
void mig_dev_close(struct mig_dev *d);
enum mig_kind mig_dev_kind(const struct mig_dev *d);
/* "NVIDIA H200 (sm_90, 139 GiB)", "pocl cpu (OpenCL 3.0)" */
const char *mig_dev_desc(const struct mig_dev *d);

/* Device memory.  Writes and reads here are synchronous (control plane:
 * loading tables).  Out of device memory is an error, never a crash. */
struct mig_mem;
int mig_mem_alloc(struct mig_dev *d, size_t len, struct mig_mem **out, struct rt_err *err);
void mig_mem_free(struct mig_mem *m);
size_t mig_mem_size(const struct mig_mem *m);
int mig_mem_write(struct mig_mem *m, size_t off, const void *src, size_t len, struct rt_err *err);
int mig_mem_read(struct mig_mem *m, size_t off, void *dst, size_t len, struct rt_err *err);

/* Host staging memory for asynchronous transfers (pinned for CUDA). */
void *mig_host_alloc(struct mig_dev *d, size_t len);
void mig_host_free(struct mig_dev *d, void *p);

/* ---- programs and kernels ------------------------------------------------- */

/* A program is one kernel source set, by name ("fib", "ac"): for OpenCL the
 * embedded texts registered with MIG_OPENCL_SOURCE are built for the device
 * (a build error comes back with the compiler's log); for CUDA the module
 * of that name in the embedded fatbin is loaded. */
struct mig_prog;
struct mig_kernel;
int mig_prog_build(struct mig_dev *d, const char *name, struct mig_prog **out, struct rt_err *err);
void mig_prog_free(struct mig_prog *p);
int mig_kernel_get(struct mig_prog *p, const char *fn, struct mig_kernel **out, struct rt_err *err);
/* Free a kernel before its program. */
void mig_kernel_free(struct mig_kernel *k);

/* Kernel arguments, in the order of the kernel's parameters. */
enum mig_arg_type { MIG_A_MEM, MIG_A_U32, MIG_A_U64 };
struct mig_arg {
	enum mig_arg_type t;
	union {
		struct mig_mem *mem;
		uint32_t u32;
		uint64_t u64;
	};
};
#define MIG_MEM(m) ((struct mig_arg){ .t = MIG_A_MEM, .mem = (m) })
#define MIG_U32(v) ((struct mig_arg){ .t = MIG_A_U32, .u32 = (v) })
#define MIG_U64(v) ((struct mig_arg){ .t = MIG_A_U64, .u64 = (v) })

/* A transfer that is part of a job: host <-> device memory. */
struct mig_copy {
	struct mig_mem *mem;
	size_t off, len;
	void *host;          /* from mig_host_alloc for a truly asynchronous copy */
};

/* ---- queues and jobs (data path, one worker each) -------------------------- */

/* An in-order queue (OpenCL command queue, CUDA stream). */
struct mig_queue;
int mig_queue_open(struct mig_dev *d, struct mig_queue **out, struct rt_err *err);
/* Waits for the queue's jobs, then frees it. */
void mig_queue_close(struct mig_queue *q);

/* One offload: copy inputs in, run a kernel over n items (one work item
 * each; the kernel checks its index against n itself), copy outputs back.
 * Asynchronous: submit returns at once, poll says when the outputs are in
 * host memory.  A job slot is reused once polled done or failed. */
#define MIG_JOB_MAXARGS 12
#define MIG_JOB_MAXCOPY 4
struct mig_job {
	struct mig_kernel *k;
	uint32_t n;
	int nargs, nin, nout;
	struct mig_arg args[MIG_JOB_MAXARGS];
	struct mig_copy in[MIG_JOB_MAXCOPY], out[MIG_JOB_MAXCOPY];
	/* filled by the backend */
	void *ev;             /* backend completion handle */
	uint64_t t_submit, t_done;  /* TSC at submit and when seen done */
	uint64_t kernel_ns;   /* the kernel's own run time, measured by the device (0: unknown) */
	void *kev[2];         /* backend's kernel timing handles */
};
/* 0, or <0: the job was not queued (device lost, bad arguments). */
int mig_job_submit(struct mig_queue *q, struct mig_job *j);
/* 1 done (outputs in host memory), 0 still running, <0 the device failed
 * (the job's outputs are not valid; the caller falls back to the cpu). */
int mig_job_poll(struct mig_queue *q, struct mig_job *j);
/* Block until done or failed (control plane, and draining). */
int mig_job_wait(struct mig_queue *q, struct mig_job *j);

/* ---- fault injection (tests) ------------------------------------------------ */

/* Make the next operations of one kind fail as a broken device would:
 * BUILD fails mig_prog_build with a compiler log, OOM fails mig_mem_alloc
 * for sizes >= `arg` bytes, LOST fails every job once `arg` more jobs have
 * been submitted (a device lost mid-batch).  0 clears.  Control thread. */
enum { MIG_FAULT_BUILD = 1, MIG_FAULT_OOM = 2, MIG_FAULT_LOST = 4 };
void mig_fault_inject(enum mig_kind k, unsigned faults, uint64_t arg);

/* CRC-32C (Castagnoli, reflected, inverted in and out) of the canonical
 * forms' serialisations: the SSE4.2 instruction when the build has it. */
uint32_t mig_crc32c(uint32_t crc, const void *p, size_t len);

/* Kernel sources are embedded at build time from migrate/kernels/: program
 * P is kernels/mig_kernel.h + kernels/P.h (device functions, also compiled
 * as C by the cpu placement) + kernels/P.cl (the entry points, for
 * OpenCL and CUDA alike); kernels/P.cu includes those three for nvcc. */

#endif
