/*
 * mig.c - placements: kind names, availability, the device objects shared
 * by reference, and fault injection.  Each call forwards to the kind's
 * backend (mig_opencl.c, mig_cuda.c); the cpu placement has no device.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <rte_cycles.h>

#include "mig_int.h"

static const char *const kind_names[MIG_NKINDS] = { "cpu", "opencl", "cuda" };

const char *mig_kind_name(enum mig_kind k)
{
	return (unsigned)k < MIG_NKINDS ? kind_names[k] : "?";
}

int mig_kind_parse(const char *s, enum mig_kind *k, struct rt_err *err)
{
	for (int i = 0; i < MIG_NKINDS; i++)
		if (s && !strcasecmp(s, kind_names[i])) {
			*k = (enum mig_kind)i;
			return 0;
		}
	return rt_errf(err, NULL, -EINVAL, "unknown placement '%s' (cpu, opencl or cuda)", s ? s : "");
}

static const struct mig_backend *backend(enum mig_kind k, struct rt_err *err)
{
	switch (k) {
	case MIG_OPENCL:
		return &mig_opencl_backend;
	case MIG_CUDA:
#ifdef MBOXSH_HAVE_CUDA
		return &mig_cuda_backend;
#else
		rt_errf(err, NULL, -ENODEV, "no CUDA device: mboxsh was built without CUDA (nvcc not found)");
		return NULL;
#endif
	default:
		rt_errf(err, NULL, -EINVAL, "placement %s has no device", mig_kind_name(k));
		return NULL;
	}
}

int mig_available(enum mig_kind k, struct rt_err *err)
{
	if (k == MIG_CPU)
		return 0;
	const struct mig_backend *be = backend(k, err);
	return be ? be->available(err) : err->code;
}

uint32_t mig_crc32c(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *b = p;
	crc = ~crc;
#ifdef __SSE4_2__
	for (; len >= 8; len -= 8, b += 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		crc = (uint32_t)__builtin_ia32_crc32di(crc, w);
	}
	for (; len; len--)
		crc = __builtin_ia32_crc32qi(crc, *b++);
#else
	for (; len; len--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
#endif
	return ~crc;
}

/* ---- fault injection ---------------------------------------------------------- */

struct fault {
	unsigned what;
	uint64_t arg;
	uint64_t submitted;   /* jobs submitted since LOST was armed */
	int lost;             /* the device is gone */
};
static struct fault faults[MIG_NKINDS];

void mig_fault_inject(enum mig_kind k, unsigned what, uint64_t arg)
{
	if ((unsigned)k >= MIG_NKINDS)
		return;
	__atomic_store_n(&faults[k].lost, 0, __ATOMIC_RELAXED);
	faults[k].submitted = 0;
	faults[k].arg = arg;
	__atomic_store_n(&faults[k].what, what, __ATOMIC_RELEASE);
}

/* ---- devices ------------------------------------------------------------------- */

static struct mig_dev *open_devs[MIG_NKINDS];

int mig_dev_open(enum mig_kind k, struct mig_dev **out, struct rt_err *err)
{
	if ((unsigned)k < MIG_NKINDS && open_devs[k]) {
		open_devs[k]->refs++;
		*out = open_devs[k];
		return 0;
	}
	const struct mig_backend *be = backend(k, err);
	if (!be)
		return err->code;
	struct mig_dev *d = calloc(1, sizeof(*d));
	if (!d)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	d->kind = k;
	d->be = be;
	d->refs = 1;
	int rc = be->dev_open(d, err);
	if (rc < 0) {
		free(d);
		return rc;
	}
	open_devs[k] = d;
	*out = d;
	return 0;
}

void mig_dev_close(struct mig_dev *d)
{
	if (!d || --d->refs > 0)
		return;
	open_devs[d->kind] = NULL;
	d->be->dev_close(d);
	free(d);
}

enum mig_kind mig_dev_kind(const struct mig_dev *d) { return d->kind; }
const char *mig_dev_desc(const struct mig_dev *d) { return d->desc; }

int mig_mem_alloc(struct mig_dev *d, size_t len, struct mig_mem **out, struct rt_err *err)
{
	const struct fault *f = &faults[d->kind];
	if ((f->what & MIG_FAULT_OOM) && len >= f->arg)
		return rt_errf(err, NULL, -ENOMEM, "%s: out of device memory allocating %zu bytes (injected)",
			       mig_kind_name(d->kind), len);
	struct mig_mem *m = calloc(1, sizeof(*m));
	if (!m)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	m->dev = d;
	m->len = len ? len : 1;
	int rc = d->be->mem_alloc(m, err);
	if (rc < 0) {
		free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void mig_mem_free(struct mig_mem *m)
{
	if (!m)
		return;
	m->dev->be->mem_free(m);
	free(m);
}

size_t mig_mem_size(const struct mig_mem *m) { return m->len; }

static int mem_range(const struct mig_mem *m, size_t off, size_t len, struct rt_err *err)
{
	if (off > m->len || len > m->len - off)
		return rt_errf(err, NULL, -EINVAL, "device memory access [%zu, +%zu) outside %zu bytes", off, len,
			       m->len);
	return 0;
}

int mig_mem_write(struct mig_mem *m, size_t off, const void *src, size_t len, struct rt_err *err)
{
	int rc = mem_range(m, off, len, err);
	return rc < 0 ? rc : len ? m->dev->be->mem_write(m, off, src, len, err) : 0;
}

int mig_mem_read(struct mig_mem *m, size_t off, void *dst, size_t len, struct rt_err *err)
{
	int rc = mem_range(m, off, len, err);
	return rc < 0 ? rc : len ? m->dev->be->mem_read(m, off, dst, len, err) : 0;
}

void *mig_host_alloc(struct mig_dev *d, size_t len) { return d->be->host_alloc(d, len ? len : 1); }
void mig_host_free(struct mig_dev *d, void *p)
{
	if (p)
		d->be->host_free(d, p);
}

/* ---- programs ---------------------------------------------------------------- */

int mig_prog_build(struct mig_dev *d, const char *name, struct mig_prog **out, struct rt_err *err)
{
	if (faults[d->kind].what & MIG_FAULT_BUILD)
		return rt_errf(err, NULL, -EINVAL, "%s: building kernels '%s' failed (injected): error: expected ';'",
			       mig_kind_name(d->kind), name);
	struct mig_prog *p = calloc(1, sizeof(*p));
	if (!p)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	p->dev = d;
	snprintf(p->name, sizeof(p->name), "%s", name);
	int rc = d->be->prog_build(p, err);
	if (rc < 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void mig_prog_free(struct mig_prog *p)
{
	if (!p)
		return;
	p->dev->be->prog_free(p);
	free(p);
}

int mig_kernel_get(struct mig_prog *p, const char *fn, struct mig_kernel **out, struct rt_err *err)
{
	struct mig_kernel *k = calloc(1, sizeof(*k));
	if (!k)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	k->prog = p;
	snprintf(k->fn, sizeof(k->fn), "%s", fn);
	int rc = p->dev->be->kernel_get(k, err);
	if (rc < 0) {
		free(k);
		return rc;
	}
	*out = k;
	return 0;
}

void mig_kernel_free(struct mig_kernel *k)
{
	if (!k)
		return;
	k->prog->dev->be->kernel_free(k);
	free(k);
}

/* ---- queues and jobs --------------------------------------------------------------- */

int mig_queue_open(struct mig_dev *d, struct mig_queue **out, struct rt_err *err)
{
	struct mig_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	q->dev = d;
	int rc = d->be->queue_open(q, err);
	if (rc < 0) {
		free(q);
		return rc;
	}
	*out = q;
	return 0;
}

void mig_queue_close(struct mig_queue *q)
{
	if (!q)
		return;
	q->dev->be->queue_close(q);
	free(q);
}

static bool device_lost(enum mig_kind k)
{
	return __atomic_load_n(&faults[k].lost, __ATOMIC_ACQUIRE);
}

int mig_job_submit(struct mig_queue *q, struct mig_job *j)
{
	enum mig_kind k = q->dev->kind;
	struct fault *f = &faults[k];
	if (__atomic_load_n(&f->what, __ATOMIC_ACQUIRE) & MIG_FAULT_LOST) {
		if (__atomic_fetch_add(&f->submitted, 1, __ATOMIC_RELAXED) >= f->arg)
			__atomic_store_n(&f->lost, 1, __ATOMIC_RELEASE);
	}
	if (device_lost(k))
		return -EIO;
	if (j->nargs > MIG_JOB_MAXARGS || j->nin > MIG_JOB_MAXCOPY || j->nout > MIG_JOB_MAXCOPY || !j->k)
		return -EINVAL;
	j->t_submit = rte_rdtsc();
	j->t_done = 0;
	j->kernel_ns = 0;
	return q->dev->be->job_submit(q, j);
}

int mig_job_poll(struct mig_queue *q, struct mig_job *j)
{
	if (device_lost(q->dev->kind)) {
		/* The real job may still run: let it finish before its buffers
		 * are reused, then report the loss. */
		q->dev->be->job_wait(q, j);
		return -EIO;
	}
	int rc = q->dev->be->job_poll(q, j);
	if (rc == 1)
		j->t_done = rte_rdtsc();
	return rc;
}

int mig_job_wait(struct mig_queue *q, struct mig_job *j)
{
	int rc = q->dev->be->job_wait(q, j);
	if (device_lost(q->dev->kind))
		return -EIO;
	if (rc == 1 || rc == 0)
		j->t_done = rte_rdtsc();
	return rc < 0 ? rc : 1;
}
