/*
 * mig_cuda.c - the cuda placement, through the CUDA driver API.
 *
 * Built only when nvcc was found (MBOXSH_HAVE_CUDA).  The driver library
 * is opened with dlopen, not linked, so the same binary runs on machines
 * without an NVIDIA driver and reports "no CUDA device" there.  Kernels
 * come from the fatbins nvcc built from migrate/kernels/P.cu (sm_80, sm_90
 * and PTX for newer GPUs), embedded in the library.  Workers submit on
 * their own stream; the primary context is made current on first use in
 * each thread.
 */
#ifdef MBOXSH_HAVE_CUDA
#include <cuda.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mig_int.h"

/* The driver entry points mboxsh uses, by their versioned symbol names. */
static struct {
	void *lib;
	CUresult (*Init)(unsigned);
	CUresult (*DeviceGetCount)(int *);
	CUresult (*DeviceGet)(CUdevice *, int);
	CUresult (*DeviceGetName)(char *, int, CUdevice);
	CUresult (*DeviceTotalMem)(size_t *, CUdevice);
	CUresult (*DeviceGetAttribute)(int *, CUdevice_attribute, CUdevice);
	CUresult (*PrimaryCtxRetain)(CUcontext *, CUdevice);
	CUresult (*PrimaryCtxRelease)(CUdevice);
	CUresult (*CtxSetCurrent)(CUcontext);
	CUresult (*MemAlloc)(CUdeviceptr *, size_t);
	CUresult (*MemFree)(CUdeviceptr);
	CUresult (*MemcpyHtoD)(CUdeviceptr, const void *, size_t);
	CUresult (*MemcpyDtoH)(void *, CUdeviceptr, size_t);
	CUresult (*MemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
	CUresult (*MemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
	CUresult (*MemAllocHost)(void **, size_t);
	CUresult (*MemFreeHost)(void *);
	CUresult (*ModuleLoadData)(CUmodule *, const void *);
	CUresult (*ModuleUnload)(CUmodule);
	CUresult (*ModuleGetFunction)(CUfunction *, CUmodule, const char *);
	CUresult (*StreamCreate)(CUstream *, unsigned);
	CUresult (*StreamDestroy)(CUstream);
	CUresult (*StreamSynchronize)(CUstream);
	CUresult (*LaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
				 CUstream, void **, void **);
	CUresult (*EventCreate)(CUevent *, unsigned);
	CUresult (*EventRecord)(CUevent, CUstream);
	CUresult (*EventQuery)(CUevent);
	CUresult (*EventSynchronize)(CUevent);
	CUresult (*EventDestroy)(CUevent);
	CUresult (*EventElapsedTime)(float *, CUevent, CUevent);
	CUresult (*GetErrorString)(CUresult, const char **);
} cu;
static int cu_state;           /* 0 not tried, 1 ready, <0 failed */
static char cu_why[200];
static pthread_mutex_t cu_lock = PTHREAD_MUTEX_INITIALIZER;

struct cu_dev {
	CUdevice dev;
	CUcontext ctx;
};

static const char *cu_str(CUresult r)
{
	const char *s = NULL;
	if (cu.GetErrorString)
		cu.GetErrorString(r, &s);
	return s ? s : "unknown CUDA error";
}

static int cu_fail(struct rt_err *err, const char *what, CUresult r)
{
	int code = r == CUDA_ERROR_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	return rt_errf(err, NULL, code, "cuda: %s failed: %s", what, cu_str(r));
}

#define SYM(field, name)                                                   \
	do {                                                               \
		*(void **)&cu.field = dlsym(cu.lib, name);                 \
		if (!cu.field) {                                           \
			snprintf(cu_why, sizeof(cu_why), "no CUDA device: %s missing in libcuda.so.1", name); \
			return -ENODEV;                                    \
		}                                                          \
	} while (0)

static int cu_load(void)
{
	cu.lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!cu.lib) {
		snprintf(cu_why, sizeof(cu_why), "no CUDA device: libcuda.so.1 not found (no NVIDIA driver)");
		return -ENODEV;
	}
	SYM(Init, "cuInit");
	SYM(DeviceGetCount, "cuDeviceGetCount");
	SYM(DeviceGet, "cuDeviceGet");
	SYM(DeviceGetName, "cuDeviceGetName");
	SYM(DeviceTotalMem, "cuDeviceTotalMem_v2");
	SYM(DeviceGetAttribute, "cuDeviceGetAttribute");
	SYM(PrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
	SYM(PrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
	SYM(CtxSetCurrent, "cuCtxSetCurrent");
	SYM(MemAlloc, "cuMemAlloc_v2");
	SYM(MemFree, "cuMemFree_v2");
	SYM(MemcpyHtoD, "cuMemcpyHtoD_v2");
	SYM(MemcpyDtoH, "cuMemcpyDtoH_v2");
	SYM(MemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
	SYM(MemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
	SYM(MemAllocHost, "cuMemAllocHost_v2");
	SYM(MemFreeHost, "cuMemFreeHost");
	SYM(ModuleLoadData, "cuModuleLoadData");
	SYM(ModuleUnload, "cuModuleUnload");
	SYM(ModuleGetFunction, "cuModuleGetFunction");
	SYM(StreamCreate, "cuStreamCreate");
	SYM(StreamDestroy, "cuStreamDestroy_v2");
	SYM(StreamSynchronize, "cuStreamSynchronize");
	SYM(LaunchKernel, "cuLaunchKernel");
	SYM(EventCreate, "cuEventCreate");
	SYM(EventRecord, "cuEventRecord");
	SYM(EventQuery, "cuEventQuery");
	SYM(EventSynchronize, "cuEventSynchronize");
	SYM(EventDestroy, "cuEventDestroy_v2");
	*(void **)&cu.EventElapsedTime = dlsym(cu.lib, "cuEventElapsedTime_v2");
	if (!cu.EventElapsedTime)
		SYM(EventElapsedTime, "cuEventElapsedTime");
	SYM(GetErrorString, "cuGetErrorString");
	CUresult r = cu.Init(0);
	if (r != CUDA_SUCCESS) {
		snprintf(cu_why, sizeof(cu_why), "no CUDA device: cuInit: %s", cu_str(r));
		return -ENODEV;
	}
	int n = 0;
	if (cu.DeviceGetCount(&n) != CUDA_SUCCESS || n < 1) {
		snprintf(cu_why, sizeof(cu_why), "no CUDA device: the driver reports none");
		return -ENODEV;
	}
	return 1;
}

static int cu_ready(struct rt_err *err)
{
	pthread_mutex_lock(&cu_lock);
	if (!cu_state)
		cu_state = cu_load();
	int st = cu_state;
	pthread_mutex_unlock(&cu_lock);
	return st == 1 ? 0 : rt_errf(err, NULL, -ENODEV, "%s", cu_why);
}

/* Make the device's context current in this thread (cheap when it is). */
static __thread CUcontext cu_current;
static inline void cu_use(const struct mig_dev *d)
{
	const struct cu_dev *c = d->priv;
	if (cu_current != c->ctx) {
		cu.CtxSetCurrent(c->ctx);
		cu_current = c->ctx;
	}
}

static int cuda_available(struct rt_err *err) { return cu_ready(err); }

static int cuda_dev_open(struct mig_dev *d, struct rt_err *err)
{
	int rc = cu_ready(err);
	if (rc < 0)
		return rc;
	struct cu_dev *c = calloc(1, sizeof(*c));
	if (!c)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	CUresult r = cu.DeviceGet(&c->dev, 0);
	if (r == CUDA_SUCCESS)
		r = cu.PrimaryCtxRetain(&c->ctx, c->dev);
	if (r != CUDA_SUCCESS) {
		free(c);
		return cu_fail(err, "opening device 0", r);
	}
	char name[96] = "";
	size_t mem = 0;
	int maj = 0, min = 0;
	cu.DeviceGetName(name, sizeof(name) - 1, c->dev);
	cu.DeviceTotalMem(&mem, c->dev);
	cu.DeviceGetAttribute(&maj, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, c->dev);
	cu.DeviceGetAttribute(&min, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, c->dev);
	snprintf(d->desc, sizeof(d->desc), "%s (sm_%d%d, %zu GiB)", name, maj, min, mem >> 30);
	d->priv = c;
	return 0;
}

static void cuda_dev_close(struct mig_dev *d)
{
	struct cu_dev *c = d->priv;
	cu.PrimaryCtxRelease(c->dev);
	cu_current = NULL;
	free(c);
}

static int cuda_mem_alloc(struct mig_mem *m, struct rt_err *err)
{
	cu_use(m->dev);
	CUdeviceptr p;
	CUresult r = cu.MemAlloc(&p, m->len);
	if (r != CUDA_SUCCESS)
		return cu_fail(err, "cuMemAlloc", r);
	m->priv = (void *)(uintptr_t)p;
	return 0;
}

static void cuda_mem_free(struct mig_mem *m)
{
	cu_use(m->dev);
	cu.MemFree((CUdeviceptr)(uintptr_t)m->priv);
}

static int cuda_mem_write(struct mig_mem *m, size_t off, const void *src, size_t len, struct rt_err *err)
{
	cu_use(m->dev);
	CUresult r = cu.MemcpyHtoD((CUdeviceptr)(uintptr_t)m->priv + off, src, len);
	return r == CUDA_SUCCESS ? 0 : cu_fail(err, "copy to device", r);
}

static int cuda_mem_read(struct mig_mem *m, size_t off, void *dst, size_t len, struct rt_err *err)
{
	cu_use(m->dev);
	CUresult r = cu.MemcpyDtoH(dst, (CUdeviceptr)(uintptr_t)m->priv + off, len);
	return r == CUDA_SUCCESS ? 0 : cu_fail(err, "copy from device", r);
}

static void *cuda_host_alloc(struct mig_dev *d, size_t len)
{
	cu_use(d);
	void *p = NULL;
	return cu.MemAllocHost(&p, len) == CUDA_SUCCESS ? p : NULL;
}

static void cuda_host_free(struct mig_dev *d, void *p)
{
	cu_use(d);
	cu.MemFreeHost(p);
}

static int cuda_prog_build(struct mig_prog *p, struct rt_err *err)
{
	const struct mig_embed *fb = NULL;
	for (int i = 0; i < mig_cuda_nfatbins; i++)
		if (!strcmp(mig_cuda_fatbins[i].name, p->name))
			fb = &mig_cuda_fatbins[i];
	if (!fb)
		return rt_errf(err, NULL, -ENOENT, "cuda: no kernels named '%s' in this build", p->name);
	cu_use(p->dev);
	CUmodule mod;
	CUresult r = cu.ModuleLoadData(&mod, fb->data);
	if (r != CUDA_SUCCESS)
		return rt_errf(err, NULL, -EINVAL, "cuda: loading kernels '%s' failed: %s", p->name, cu_str(r));
	p->priv = mod;
	return 0;
}

static void cuda_prog_free(struct mig_prog *p)
{
	cu_use(p->dev);
	cu.ModuleUnload((CUmodule)p->priv);
}

static int cuda_kernel_get(struct mig_kernel *k, struct rt_err *err)
{
	CUfunction f;
	cu_use(k->prog->dev);
	CUresult r = cu.ModuleGetFunction(&f, (CUmodule)k->prog->priv, k->fn);
	if (r != CUDA_SUCCESS)
		return rt_errf(err, NULL, -ENOENT, "cuda: no kernel '%s' in '%s': %s", k->fn, k->prog->name, cu_str(r));
	k->priv = f;
	return 0;
}

static void cuda_kernel_free(struct mig_kernel *k) {}

static int cuda_queue_open(struct mig_queue *q, struct rt_err *err)
{
	cu_use(q->dev);
	CUstream s;
	CUresult r = cu.StreamCreate(&s, CU_STREAM_NON_BLOCKING);
	if (r != CUDA_SUCCESS)
		return cu_fail(err, "cuStreamCreate", r);
	q->priv = s;
	return 0;
}

static void cuda_queue_close(struct mig_queue *q)
{
	cu_use(q->dev);
	cu.StreamSynchronize((CUstream)q->priv);
	cu.StreamDestroy((CUstream)q->priv);
}

#define CUDA_BLOCK 256

static int cuda_job_submit(struct mig_queue *q, struct mig_job *j)
{
	cu_use(q->dev);
	CUstream s = q->priv;
	for (int i = 0; i < j->nin; i++)
		if (j->in[i].len && cu.MemcpyHtoDAsync((CUdeviceptr)(uintptr_t)j->in[i].mem->priv + j->in[i].off,
						       j->in[i].host, j->in[i].len, s) != CUDA_SUCCESS)
			return -EIO;
	CUdeviceptr ptrs[MIG_JOB_MAXARGS];
	void *params[MIG_JOB_MAXARGS];
	for (int i = 0; i < j->nargs; i++) {
		struct mig_arg *a = &j->args[i];
		if (a->t == MIG_A_MEM) {
			ptrs[i] = (CUdeviceptr)(uintptr_t)a->mem->priv;
			params[i] = &ptrs[i];
		} else {
			params[i] = a->t == MIG_A_U32 ? (void *)&a->u32 : (void *)&a->u64;
		}
	}
	j->kev[0] = j->kev[1] = NULL;
	if (j->n) {
		unsigned grid = (j->n + CUDA_BLOCK - 1) / CUDA_BLOCK;
		CUevent k0 = NULL, k1 = NULL;
		/* timing events around the kernel alone */
		if (cu.EventCreate(&k0, CU_EVENT_DEFAULT) == CUDA_SUCCESS && cu.EventCreate(&k1, CU_EVENT_DEFAULT) == CUDA_SUCCESS)
			cu.EventRecord(k0, s);
		if (cu.LaunchKernel((CUfunction)j->k->priv, grid, 1, 1, CUDA_BLOCK, 1, 1, 0, s, params, NULL) !=
		    CUDA_SUCCESS) {
			if (k0)
				cu.EventDestroy(k0);
			if (k1)
				cu.EventDestroy(k1);
			return -EIO;
		}
		if (k1) {
			cu.EventRecord(k1, s);
			j->kev[0] = k0, j->kev[1] = k1;
		} else if (k0) {
			cu.EventDestroy(k0);
		}
	}
	for (int i = 0; i < j->nout; i++)
		if (j->out[i].len && cu.MemcpyDtoHAsync(j->out[i].host,
							(CUdeviceptr)(uintptr_t)j->out[i].mem->priv + j->out[i].off,
							j->out[i].len, s) != CUDA_SUCCESS)
			return -EIO;
	CUevent ev;
	if (cu.EventCreate(&ev, CU_EVENT_DISABLE_TIMING) != CUDA_SUCCESS)
		return -EIO;
	if (cu.EventRecord(ev, s) != CUDA_SUCCESS) {
		cu.EventDestroy(ev);
		return -EIO;
	}
	j->ev = ev;
	return 0;
}

/* The kernel's run time between its two events, once the job is done. */
static void kernel_time(struct mig_job *j)
{
	if (!j->kev[0])
		return;
	float ms = 0;
	if (cu.EventElapsedTime(&ms, (CUevent)j->kev[0], (CUevent)j->kev[1]) == CUDA_SUCCESS && ms >= 0)
		j->kernel_ns = (uint64_t)(ms * 1e6);
	cu.EventDestroy((CUevent)j->kev[0]);
	cu.EventDestroy((CUevent)j->kev[1]);
	j->kev[0] = j->kev[1] = NULL;
}

static int cuda_job_poll(struct mig_queue *q, struct mig_job *j)
{
	if (!j->ev)
		return 1;
	cu_use(q->dev);
	CUresult r = cu.EventQuery((CUevent)j->ev);
	if (r == CUDA_ERROR_NOT_READY)
		return 0;
	cu.EventDestroy((CUevent)j->ev);
	j->ev = NULL;
	kernel_time(j);
	return r == CUDA_SUCCESS ? 1 : -EIO;
}

static int cuda_job_wait(struct mig_queue *q, struct mig_job *j)
{
	if (!j->ev)
		return 1;
	cu_use(q->dev);
	CUresult r = cu.EventSynchronize((CUevent)j->ev);
	cu.EventDestroy((CUevent)j->ev);
	j->ev = NULL;
	kernel_time(j);
	return r == CUDA_SUCCESS ? 1 : -EIO;
}

const struct mig_backend mig_cuda_backend = {
	.kind = MIG_CUDA,
	.available = cuda_available,
	.dev_open = cuda_dev_open,
	.dev_close = cuda_dev_close,
	.mem_alloc = cuda_mem_alloc,
	.mem_free = cuda_mem_free,
	.mem_write = cuda_mem_write,
	.mem_read = cuda_mem_read,
	.host_alloc = cuda_host_alloc,
	.host_free = cuda_host_free,
	.prog_build = cuda_prog_build,
	.prog_free = cuda_prog_free,
	.kernel_get = cuda_kernel_get,
	.kernel_free = cuda_kernel_free,
	.queue_open = cuda_queue_open,
	.queue_close = cuda_queue_close,
	.job_submit = cuda_job_submit,
	.job_poll = cuda_job_poll,
	.job_wait = cuda_job_wait,
};
#endif
