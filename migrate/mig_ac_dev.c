/*
 * mig_ac_dev.c - the multi-pattern matcher on an offloaded placement: the
 * automaton copied to a device as it is, and a synchronous batch scan
 * through kernels/ac.cl or ac.cu (one work item per buffer).  Control
 * plane, tests and benchmarks; the data path uses the offload engine with
 * the same kernel.
 */
#include <errno.h>
#include <stdlib.h>

#include "mig_ac.h"

struct mig_ac_dev {
	struct mig_dev *dev;
	struct mig_prog *prog;
	struct mig_kernel *k;
	struct mig_queue *q;
	struct mig_mem *dfa;
	/* batch buffers, grown on demand */
	struct mig_mem *ddesc, *dbytes, *dres;
	uint32_t *hdesc, *hres;
	uint8_t *hbytes;
	size_t cap_items, cap_bytes;
};

int mig_ac_dev_load(struct mig_dev *dev, const struct mig_ac_dfa *d, struct mig_mem **out, struct rt_err *err)
{
	size_t len = mig_ac_dfa_bytes(d);
	if (mig_mem_alloc(dev, len, out, err) < 0)
		return err->code;
	if (mig_mem_write(*out, 0, d->words, len, err) < 0) {
		mig_mem_free(*out);
		*out = NULL;
		return err->code;
	}
	return 0;
}

static void bufs_free(struct mig_ac_dev *a)
{
	mig_mem_free(a->ddesc);
	mig_mem_free(a->dbytes);
	mig_mem_free(a->dres);
	mig_host_free(a->dev, a->hdesc);
	mig_host_free(a->dev, a->hres);
	mig_host_free(a->dev, a->hbytes);
	a->ddesc = a->dbytes = a->dres = NULL;
	a->hdesc = a->hres = NULL;
	a->hbytes = NULL;
	a->cap_items = a->cap_bytes = 0;
}

void mig_ac_dev_close(struct mig_ac_dev *a)
{
	if (!a)
		return;
	if (a->q)
		mig_queue_close(a->q);
	bufs_free(a);
	mig_mem_free(a->dfa);
	if (a->k)
		mig_kernel_free(a->k);
	if (a->prog)
		mig_prog_free(a->prog);
	if (a->dev)
		mig_dev_close(a->dev);
	free(a);
}

int mig_ac_dev_open(enum mig_kind k, const struct mig_ac_dfa *d, struct mig_ac_dev **out, struct rt_err *err)
{
	*out = NULL;
	struct mig_ac_dev *a = calloc(1, sizeof(*a));
	if (!a)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	if (mig_dev_open(k, &a->dev, err) < 0 || mig_prog_build(a->dev, "ac", &a->prog, err) < 0 ||
	    mig_kernel_get(a->prog, "ac_scan", &a->k, err) < 0 || mig_queue_open(a->dev, &a->q, err) < 0 ||
	    mig_ac_dev_load(a->dev, d, &a->dfa, err) < 0) {
		int rc = err->code;
		mig_ac_dev_close(a);
		return rc;
	}
	*out = a;
	return 0;
}

const char *mig_ac_dev_desc(const struct mig_ac_dev *a) { return mig_dev_desc(a->dev); }

static int bufs_reserve(struct mig_ac_dev *a, size_t items, size_t bytes, struct rt_err *err)
{
	if (items <= a->cap_items && bytes <= a->cap_bytes)
		return 0;
	items = RT_MAX(items, a->cap_items);
	bytes = RT_MAX(bytes, a->cap_bytes);
	bufs_free(a);
	size_t ni = RT_MAX(items, (size_t)1) * 16, nb = RT_MAX(bytes, (size_t)4);
	if (mig_mem_alloc(a->dev, ni, &a->ddesc, err) < 0 || mig_mem_alloc(a->dev, ni, &a->dres, err) < 0 ||
	    mig_mem_alloc(a->dev, nb, &a->dbytes, err) < 0)
		goto fail;
	a->hdesc = mig_host_alloc(a->dev, ni);
	a->hres = mig_host_alloc(a->dev, ni);
	a->hbytes = mig_host_alloc(a->dev, nb);
	if (!a->hdesc || !a->hres || !a->hbytes) {
		rt_errf(err, NULL, -ENOMEM, "out of host memory for %zu bytes of payload", bytes);
		goto fail;
	}
	a->cap_items = items;
	a->cap_bytes = bytes;
	return 0;
fail:
	bufs_free(a);
	return err->code;
}

int mig_ac_dev_scan(struct mig_ac_dev *a, uint32_t n, const uint8_t *const *p, const uint32_t *len,
		    const uint32_t *state, struct mig_ac_res *res, uint64_t *ns, struct rt_err *err)
{
	size_t total = 0;
	for (uint32_t i = 0; i < n; i++)
		total += len[i];
	if (total > UINT32_MAX)
		return rt_errf(err, NULL, -E2BIG, "batch of %zu bytes: offsets are 32 bits", total);
	if (bufs_reserve(a, n, total, err) < 0)
		return err->code;
	uint32_t off = 0;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(a->hbytes + off, p[i], len[i]);
		a->hdesc[4 * i] = off;
		a->hdesc[4 * i + 1] = len[i];
		a->hdesc[4 * i + 2] = state ? state[i] : 0;
		a->hdesc[4 * i + 3] = 0;
		off += len[i];
	}
	struct mig_job j;
	memset(&j, 0, sizeof(j));
	j.k = a->k;
	j.n = n;
	j.nargs = 5;
	j.args[0] = MIG_MEM(a->ddesc);
	j.args[1] = MIG_MEM(a->dbytes);
	j.args[2] = MIG_MEM(a->dres);
	j.args[3] = MIG_U32(n);
	j.args[4] = MIG_MEM(a->dfa);
	j.nin = 2;
	j.in[0] = (struct mig_copy){ a->ddesc, 0, (size_t)n * 16, a->hdesc };
	j.in[1] = (struct mig_copy){ a->dbytes, 0, RT_MAX(total, (size_t)1), a->hbytes };
	j.nout = 1;
	j.out[0] = (struct mig_copy){ a->dres, 0, (size_t)n * 16, a->hres };
	if (!n) {
		if (ns)
			*ns = 0;
		return 0;
	}
	uint64_t t0 = rt_now_ns();
	if (mig_job_submit(a->q, &j) < 0 || mig_job_wait(a->q, &j) != 1)
		return rt_errf(err, NULL, -EIO, "%s: pattern scan job failed", mig_dev_desc(a->dev));
	if (ns)
		*ns = rt_now_ns() - t0;
	for (uint32_t i = 0; i < n; i++)
		res[i] = (struct mig_ac_res){ a->hres[4 * i], a->hres[4 * i + 1], a->hres[4 * i + 2],
					      a->hres[4 * i + 3] };
	return 0;
}
