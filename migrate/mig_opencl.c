/*
 * mig_opencl.c - the opencl placement: any OpenCL device the ICD loader
 * finds (a GPU or accelerator first, else a CPU device such as PoCL).
 * Programs are built at run time from the embedded kernel texts; each
 * queue keeps its own cl_kernel objects, since kernel arguments are state
 * of the object and two workers must not share one.
 */
#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mig_int.h"

struct ocl_dev {
	cl_platform_id plat;
	cl_device_id dev;
	cl_context ctx;
	cl_command_queue ctlq;   /* synchronous copies from the control thread */
};

#define QK_MAX 8
struct ocl_queue {
	cl_command_queue q;
	int nk;
	struct {
		const struct mig_kernel *k;
		cl_kernel ck;
	} k[QK_MAX];
};

static int cl_fail(struct rt_err *err, const char *what, cl_int rc)
{
	int code = rc == CL_MEM_OBJECT_ALLOCATION_FAILURE || rc == CL_OUT_OF_RESOURCES ||
				   rc == CL_OUT_OF_HOST_MEMORY
			   ? -ENOMEM
			   : -EIO;
	return rt_errf(err, NULL, code, "opencl: %s failed (error %d%s)", what, (int)rc,
		       code == -ENOMEM ? ": out of device memory" : "");
}

/* First device of a preferred type over all platforms. */
static int find_device(cl_platform_id *pp, cl_device_id *dp, struct rt_err *err)
{
	cl_platform_id plats[8];
	cl_uint np = 0;
	if (clGetPlatformIDs(8, plats, &np) != CL_SUCCESS || np == 0)
		return rt_errf(err, NULL, -ENODEV, "no OpenCL platform (is an ICD such as pocl-opencl-icd installed?)");
	static const cl_device_type pref[] = { CL_DEVICE_TYPE_GPU, CL_DEVICE_TYPE_ACCELERATOR, CL_DEVICE_TYPE_ALL };
	for (size_t t = 0; t < RT_ARRAY_SIZE(pref); t++)
		for (cl_uint i = 0; i < np && i < 8; i++) {
			cl_uint nd = 0;
			if (clGetDeviceIDs(plats[i], pref[t], 1, dp, &nd) == CL_SUCCESS && nd > 0) {
				*pp = plats[i];
				return 0;
			}
		}
	return rt_errf(err, NULL, -ENODEV, "no OpenCL device on %u platform(s)", np);
}

static int ocl_available(struct rt_err *err)
{
	cl_platform_id p;
	cl_device_id d;
	return find_device(&p, &d, err);
}

static int ocl_dev_open(struct mig_dev *d, struct rt_err *err)
{
	struct ocl_dev *o = calloc(1, sizeof(*o));
	if (!o)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	int rc = find_device(&o->plat, &o->dev, err);
	if (rc < 0)
		goto fail;
	cl_int e;
	o->ctx = clCreateContext(NULL, 1, &o->dev, NULL, NULL, &e);
	if (!o->ctx) {
		rc = cl_fail(err, "clCreateContext", e);
		goto fail;
	}
	o->ctlq = clCreateCommandQueue(o->ctx, o->dev, 0, &e);
	if (!o->ctlq) {
		rc = cl_fail(err, "clCreateCommandQueue", e);
		goto fail_ctx;
	}
	char name[96] = "", pname[64] = "", ver[64] = "";
	clGetDeviceInfo(o->dev, CL_DEVICE_NAME, sizeof(name) - 1, name, NULL);
	clGetPlatformInfo(o->plat, CL_PLATFORM_NAME, sizeof(pname) - 1, pname, NULL);
	clGetDeviceInfo(o->dev, CL_DEVICE_VERSION, sizeof(ver) - 1, ver, NULL);
	snprintf(d->desc, sizeof(d->desc), "%s: %s (%s)", pname, name, ver);
	d->priv = o;
	return 0;
fail_ctx:
	clReleaseContext(o->ctx);
fail:
	free(o);
	return rc;
}

static void ocl_dev_close(struct mig_dev *d)
{
	struct ocl_dev *o = d->priv;
	clReleaseCommandQueue(o->ctlq);
	clReleaseContext(o->ctx);
	free(o);
}

static int ocl_mem_alloc(struct mig_mem *m, struct rt_err *err)
{
	struct ocl_dev *o = m->dev->priv;
	cl_int e;
	cl_mem b = clCreateBuffer(o->ctx, CL_MEM_READ_WRITE, m->len, NULL, &e);
	if (!b)
		return cl_fail(err, "clCreateBuffer", e);
	/* Allocation is lazy on many devices: touch it so a lack of memory
	 * shows here, not in the middle of a batch. */
	static const uint8_t zero;
	e = clEnqueueWriteBuffer(o->ctlq, b, CL_TRUE, 0, 1, &zero, 0, NULL, NULL);
	if (e != CL_SUCCESS) {
		clReleaseMemObject(b);
		return cl_fail(err, "allocating device memory", e);
	}
	m->priv = b;
	return 0;
}

static void ocl_mem_free(struct mig_mem *m) { clReleaseMemObject((cl_mem)m->priv); }

static int ocl_mem_write(struct mig_mem *m, size_t off, const void *src, size_t len, struct rt_err *err)
{
	struct ocl_dev *o = m->dev->priv;
	cl_int e = clEnqueueWriteBuffer(o->ctlq, (cl_mem)m->priv, CL_TRUE, off, len, src, 0, NULL, NULL);
	return e == CL_SUCCESS ? 0 : cl_fail(err, "clEnqueueWriteBuffer", e);
}

static int ocl_mem_read(struct mig_mem *m, size_t off, void *dst, size_t len, struct rt_err *err)
{
	struct ocl_dev *o = m->dev->priv;
	cl_int e = clEnqueueReadBuffer(o->ctlq, (cl_mem)m->priv, CL_TRUE, off, len, dst, 0, NULL, NULL);
	return e == CL_SUCCESS ? 0 : cl_fail(err, "clEnqueueReadBuffer", e);
}

static void *ocl_host_alloc(struct mig_dev *d, size_t len)
{
	void *p = NULL;
	return posix_memalign(&p, 4096, len) ? NULL : p;
}

static void ocl_host_free(struct mig_dev *d, void *p) { free(p); }

static int ocl_prog_build(struct mig_prog *p, struct rt_err *err)
{
	struct ocl_dev *o = p->dev->priv;
	const struct mig_embed *src = NULL;
	for (int i = 0; i < mig_opencl_nprograms; i++)
		if (!strcmp(mig_opencl_programs[i].name, p->name))
			src = &mig_opencl_programs[i];
	if (!src)
		return rt_errf(err, NULL, -ENOENT, "opencl: no kernels named '%s' in this build", p->name);
	const char *text = (const char *)src->data;
	size_t len = src->len;
	cl_int e;
	cl_program prog = clCreateProgramWithSource(o->ctx, 1, &text, &len, &e);
	if (!prog)
		return cl_fail(err, "clCreateProgramWithSource", e);
	e = clBuildProgram(prog, 1, &o->dev, "-cl-std=CL1.2", NULL, NULL);
	if (e != CL_SUCCESS) {
		char log[400] = "";
		clGetProgramBuildInfo(prog, o->dev, CL_PROGRAM_BUILD_LOG, sizeof(log) - 1, log, NULL);
		for (char *c = log; *c; c++)
			if (*c == '\n')
				*c = ' ';
		clReleaseProgram(prog);
		return rt_errf(err, NULL, -EINVAL, "opencl: building kernels '%s' failed: %s", p->name, log);
	}
	p->priv = prog;
	return 0;
}

static void ocl_prog_free(struct mig_prog *p) { clReleaseProgram((cl_program)p->priv); }

static int ocl_kernel_get(struct mig_kernel *k, struct rt_err *err)
{
	cl_int e;
	cl_kernel ck = clCreateKernel((cl_program)k->prog->priv, k->fn, &e);
	if (!ck)
		return rt_errf(err, NULL, -ENOENT, "opencl: no kernel '%s' in '%s' (error %d)", k->fn, k->prog->name,
			       (int)e);
	k->priv = ck;
	return 0;
}

static void ocl_kernel_free(struct mig_kernel *k) { clReleaseKernel((cl_kernel)k->priv); }

static int ocl_queue_open(struct mig_queue *q, struct rt_err *err)
{
	struct ocl_dev *o = q->dev->priv;
	struct ocl_queue *oq = calloc(1, sizeof(*oq));
	if (!oq)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	cl_int e;
	oq->q = clCreateCommandQueue(o->ctx, o->dev, CL_QUEUE_PROFILING_ENABLE, &e);
	if (!oq->q) {
		free(oq);
		return cl_fail(err, "clCreateCommandQueue", e);
	}
	q->priv = oq;
	return 0;
}

static void ocl_queue_close(struct mig_queue *q)
{
	struct ocl_queue *oq = q->priv;
	clFinish(oq->q);
	for (int i = 0; i < oq->nk; i++)
		clReleaseKernel(oq->k[i].ck);
	clReleaseCommandQueue(oq->q);
	free(oq);
}

/* This queue's own cl_kernel for k (created on first use). */
static cl_kernel queue_kernel(struct ocl_queue *oq, const struct mig_kernel *k)
{
	for (int i = 0; i < oq->nk; i++)
		if (oq->k[i].k == k)
			return oq->k[i].ck;
	if (oq->nk == QK_MAX)
		return NULL;
	cl_int e;
	cl_kernel ck = clCreateKernel((cl_program)k->prog->priv, k->fn, &e);
	if (!ck)
		return NULL;
	oq->k[oq->nk].k = k;
	oq->k[oq->nk++].ck = ck;
	return ck;
}

static int ocl_job_submit(struct mig_queue *q, struct mig_job *j)
{
	struct ocl_queue *oq = q->priv;
	cl_kernel ck = queue_kernel(oq, j->k);
	if (!ck)
		return -EIO;
	for (int i = 0; i < j->nin; i++)
		if (j->in[i].len &&
		    clEnqueueWriteBuffer(oq->q, (cl_mem)j->in[i].mem->priv, CL_FALSE, j->in[i].off, j->in[i].len,
					 j->in[i].host, 0, NULL, NULL) != CL_SUCCESS)
			return -EIO;
	for (int i = 0; i < j->nargs; i++) {
		const struct mig_arg *a = &j->args[i];
		cl_int e = a->t == MIG_A_MEM   ? clSetKernelArg(ck, i, sizeof(cl_mem), &a->mem->priv)
			   : a->t == MIG_A_U32 ? clSetKernelArg(ck, i, sizeof(cl_uint), &a->u32)
					       : clSetKernelArg(ck, i, sizeof(cl_ulong), &a->u64);
		if (e != CL_SUCCESS)
			return -EINVAL;
	}
	size_t global = ((size_t)j->n + 63) / 64 * 64;
	j->kev[0] = NULL;
	if (global && clEnqueueNDRangeKernel(oq->q, ck, 1, NULL, &global, NULL, 0, NULL, (cl_event *)&j->kev[0]) !=
			      CL_SUCCESS)
		return -EIO;
	cl_event ev = NULL;
	for (int i = 0; i < j->nout; i++)
		if (clEnqueueReadBuffer(oq->q, (cl_mem)j->out[i].mem->priv, CL_FALSE, j->out[i].off, j->out[i].len,
					j->out[i].host, 0, NULL, i == j->nout - 1 ? &ev : NULL) != CL_SUCCESS)
			return -EIO;
	if (!ev && clEnqueueMarkerWithWaitList(oq->q, 0, NULL, &ev) != CL_SUCCESS)
		return -EIO;
	clFlush(oq->q);
	j->ev = ev;
	return 0;
}

/* The kernel's run time from the queue's profiling, once it is done. */
static void kernel_time(struct mig_job *j)
{
	cl_event kev = j->kev[0];
	if (!kev)
		return;
	cl_ulong t0 = 0, t1 = 0;
	if (clGetEventProfilingInfo(kev, CL_PROFILING_COMMAND_START, sizeof(t0), &t0, NULL) == CL_SUCCESS &&
	    clGetEventProfilingInfo(kev, CL_PROFILING_COMMAND_END, sizeof(t1), &t1, NULL) == CL_SUCCESS && t1 >= t0)
		j->kernel_ns = t1 - t0;
	clReleaseEvent(kev);
	j->kev[0] = NULL;
}

static int ocl_job_poll(struct mig_queue *q, struct mig_job *j)
{
	if (!j->ev)
		return 1;
	cl_int st;
	if (clGetEventInfo((cl_event)j->ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(st), &st, NULL) != CL_SUCCESS)
		st = -1;
	if (st > CL_COMPLETE)
		return 0;
	clReleaseEvent((cl_event)j->ev);
	j->ev = NULL;
	kernel_time(j);
	return st == CL_COMPLETE ? 1 : -EIO;
}

static int ocl_job_wait(struct mig_queue *q, struct mig_job *j)
{
	if (!j->ev)
		return 1;
	cl_int e = clWaitForEvents(1, (cl_event *)&j->ev);
	clReleaseEvent((cl_event)j->ev);
	j->ev = NULL;
	kernel_time(j);
	return e == CL_SUCCESS ? 1 : -EIO;
}

const struct mig_backend mig_opencl_backend = {
	.kind = MIG_OPENCL,
	.available = ocl_available,
	.dev_open = ocl_dev_open,
	.dev_close = ocl_dev_close,
	.mem_alloc = ocl_mem_alloc,
	.mem_free = ocl_mem_free,
	.mem_write = ocl_mem_write,
	.mem_read = ocl_mem_read,
	.host_alloc = ocl_host_alloc,
	.host_free = ocl_host_free,
	.prog_build = ocl_prog_build,
	.prog_free = ocl_prog_free,
	.kernel_get = ocl_kernel_get,
	.kernel_free = ocl_kernel_free,
	.queue_open = ocl_queue_open,
	.queue_close = ocl_queue_close,
	.job_submit = ocl_job_submit,
	.job_poll = ocl_job_poll,
	.job_wait = ocl_job_wait,
};
