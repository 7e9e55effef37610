/*
 * mig_offload.c - the offload engine (see mig_offload.h): aggregation into
 * batches, asynchronous jobs on a per-worker device queue, in-order
 * resumption, fallback to the cpu, and hand-over of held packets when the
 * element moves to another placement.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "mig_offload_int.h"
#include "ctl.h"
#include "router.h"

/* ---- set-up ------------------------------------------------------------------------ */

int mig_off_args_cfg(const struct mig_off_args *a, struct mig_off_cfg *cfg, struct rt_err *err)
{
	int rc = mig_kind_parse(a->placement, &cfg->kind, err);
	if (rc < 0) {
		rt_err_prefix(err, "PLACEMENT");
		return rc;
	}
	if (a->batch < 1 || a->batch > (1u << 20))
		return rt_errf(err, NULL, -EINVAL, "BATCH must be 1 to 1048576, not %llu",
			       (unsigned long long)a->batch);
	cfg->batch = (uint32_t)a->batch;
	cfg->latency_ns = a->latency;
	cfg->autoplace = a->autoplace;
	return 0;
}

static void slot_free(struct mig_off *o, struct off_slot *s)
{
	mig_mem_free(s->din);
	mig_mem_free(s->dblob);
	mig_mem_free(s->dout);
	if (o->dev) {
		mig_host_free(o->dev, s->hin);
		mig_host_free(o->dev, s->hblob);
		mig_host_free(o->dev, s->hout);
	} else {
		free(s->hin);
		free(s->hblob);
		free(s->hout);
	}
	if (s->n)
		rte_pktmbuf_free_bulk(s->pkts, s->n);
	free(s->pkts);
	memset(s, 0, sizeof(*s));
}

static int slot_alloc(struct mig_off *o, struct off_w *w, struct off_slot *s, struct rt_err *err)
{
	const struct mig_off_kernel *k = o->k;
	uint32_t n = o->cfg.batch;
	size_t in = (size_t)n * k->in_size, out = (size_t)n * k->out_size, blob = (size_t)n * k->blob_max;
	s->pkts = calloc(n, sizeof(*s->pkts));
	if (!s->pkts)
		return rt_errf(err, NULL, -ENOMEM, "out of memory for %u packets", n);
	if (!o->dev)
		return 0;
	int rc;
	if ((rc = mig_mem_alloc(o->dev, in, &s->din, err)) < 0 || (rc = mig_mem_alloc(o->dev, out, &s->dout, err)) < 0 ||
	    (rc = mig_mem_alloc(o->dev, blob ? blob : 4, &s->dblob, err)) < 0)
		return rc;
	s->hin = mig_host_alloc(o->dev, in);
	s->hout = mig_host_alloc(o->dev, out);
	s->hblob = mig_host_alloc(o->dev, blob ? blob : 4);
	if (!s->hin || !s->hout || !s->hblob)
		return rt_errf(err, NULL, -ENOMEM, "out of host memory for offload buffers");
	struct mig_job *j = &s->job;
	j->k = o->kern;
	j->nargs = 4 + o->nextra;
	j->args[0] = MIG_MEM(s->din);
	j->args[1] = MIG_MEM(s->dblob);
	j->args[2] = MIG_MEM(s->dout);
	memcpy(j->args + 4, o->extra, sizeof(o->extra[0]) * o->nextra);
	j->nin = k->blob_max ? 2 : 1;
	j->nout = 1;
	(void)w;
	return 0;
}

int mig_off_new(struct el *e, const struct mig_off_kernel *k, void *ctx, const struct mig_off_cfg *cfg,
		struct mig_off **out, struct rt_err *err)
{
	struct mig_off *o = calloc(1, sizeof(*o));
	if (!o)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	o->e = e;
	o->k = k;
	o->ctx = ctx;
	o->cfg = *cfg;
	o->latency_cycles = cfg->latency_ns * rte_get_tsc_hz() / 1000000000ull;
	o->born_ns = rt_now_ns();
	o->nw = e->router ? rt_router_nworkers(e->router) : 1;
	/* every worker polls its own queue and time bound (and takes over
	 * packets a previous instance held) */
	e->thread = EL_THREAD_ALL;
	if (o->nw < 1)
		o->nw = 1;
	int rc;
	o->w = rte_zmalloc("mig_off", sizeof(*o->w) * (size_t)o->nw, RTE_CACHE_LINE_SIZE);
	if (!o->w) {
		rc = rt_errf(err, NULL, -ENOMEM, "out of memory");
		goto fail;
	}
	if (cfg->kind != MIG_CPU) {
		if ((rc = mig_available(cfg->kind, err)) < 0 || (rc = mig_dev_open(cfg->kind, &o->dev, err)) < 0)
			goto fail;
		if ((rc = mig_prog_build(o->dev, k->prog, &o->prog, err)) < 0 ||
		    (rc = mig_kernel_get(o->prog, k->fn, &o->kern, err)) < 0)
			goto fail;
		rc = k->args ? k->args(ctx, o->dev, o->extra, RT_ARRAY_SIZE(o->extra), err) : 0;
		if (rc < 0)
			goto fail;
		o->nextra = rc;
	}
	for (int i = 0; i < o->nw; i++) {
		struct off_w *w = &o->w[i];
		/* batch ids keep growing across instances, so a flow's record
		 * of an old batch is never taken for one of a new batch */
		w->batch_seq = rte_rdtsc();
		w->cin = malloc((size_t)RT_BATCH_MAX * k->in_size);
		w->cblob = malloc((size_t)RT_BATCH_MAX * (k->blob_max ? k->blob_max : 1));
		w->cout = malloc((size_t)RT_BATCH_MAX * k->out_size);
		if (!w->cin || !w->cblob || !w->cout) {
			rc = rt_errf(err, NULL, -ENOMEM, "out of memory");
			goto fail;
		}
		if (o->dev && (rc = mig_queue_open(o->dev, &w->q, err)) < 0)
			goto fail;
		int nslots = o->dev ? MIG_OFF_SLOTS : 0;
		for (int s = 0; s < nslots; s++)
			if ((rc = slot_alloc(o, w, &w->s[s], err)) < 0)
				goto fail;
	}
	if (cfg->autoplace)
		mig_auto_start(o);
	*out = o;
	return 0;
fail:
	if (err->msg[0])
		rt_err_prefix(err, mig_kind_name(cfg->kind));
	mig_off_free(o);
	return rc;
}

void mig_off_free(struct mig_off *o)
{
	if (!o)
		return;
	mig_auto_stop(o);
	for (int i = 0; o->w && i < o->nw; i++) {
		struct off_w *w = &o->w[i];
		for (int s = 0; s < MIG_OFF_SLOTS; s++) {
			struct off_slot *sl = &w->s[s];
			if (sl->busy && w->q)
				mig_job_wait(w->q, &sl->job);
			sl->busy = false;
			slot_free(o, sl);
		}
		if (w->ncarry)
			rte_pktmbuf_free_bulk(w->carry, w->ncarry);
		free(w->carry);
		free(w->carry_out);
		free(w->cin);
		free(w->cblob);
		free(w->cout);
		mig_queue_close(w->q);
	}
	rte_free(o->w);
	mig_kernel_free(o->kern);
	mig_prog_free(o->prog);
	mig_dev_close(o->dev);
	free(o);
}

struct mig_dev *mig_off_dev(struct mig_off *o) { return o->dev; }
enum mig_kind mig_off_kind(const struct mig_off *o) { return o->cfg.kind; }

/* ---- data path ------------------------------------------------------------------------ */

/* Send n packets out by their output records.  The time spent
 * downstream is subtracted from this element's core cycles. */
static void emit(struct mig_off *o, struct el_node *n, struct rte_mbuf **pkts, const uint8_t *out, uint32_t cnt)
{
	struct off_w *w = &o->w[rt_wid < (unsigned)o->nw ? rt_wid : 0];
	const struct mig_off_kernel *k = o->k;
	for (uint32_t i = 0; i < cnt;) {
		struct rt_batch b;
		int16_t port[RT_BATCH_MAX];
		b.n = RT_MIN(cnt - i, (uint32_t)RT_BATCH_MAX);
		for (uint32_t j = 0; j < b.n; j++) {
			b.pkts[j] = pkts[i + j];
			port[j] = (int16_t)k->apply(o->ctx, pkts[i + j], out + (size_t)(i + j) * k->out_size);
		}
		uint64_t t0 = rte_rdtsc();
		el_output_by_port(n, &b, port);
		w->h.core_cycles -= rte_rdtsc() - t0;
		i += RT_MIN(cnt - i, (uint32_t)RT_BATCH_MAX);
	}
}

/* The cpu kernel over packets, in chunks of a batch (RT_BATCH_MAX records
 * in the worker's scratch buffers). */
static void run_cpu(struct mig_off *o, struct el_node *n, struct rte_mbuf **pkts, uint32_t cnt, struct off_w *w)
{
	const struct mig_off_kernel *k = o->k;
	for (uint32_t i = 0; i < cnt;) {
		uint32_t m = RT_MIN(cnt - i, (uint32_t)RT_BATCH_MAX), boff = 0;
		uint64_t t0 = rte_rdtsc();
		struct mig_off_pos pos = { w->cin, 0, ++w->batch_seq, NULL, 0 };
		for (uint32_t j = 0; j < m; j++) {
			pos.idx = j;
			pos.blob = w->cblob + boff;
			pos.blob_off = boff;
			boff += k->extract(o->ctx, n, pkts[i + j], &pos);
		}
		k->cpu(o->ctx, w->cin, w->cblob, w->cout, m);
		w->h.busy_cycles += rte_rdtsc() - t0;
		w->h.pkts += m;
		w->h.batches++;
		emit(o, n, pkts + i, w->cout, m);
		i += m;
	}
}

static void slot_submit(struct mig_off *o, struct off_w *w, struct off_slot *s)
{
	struct mig_job *j = &s->job;
	j->n = s->n;
	j->args[3] = MIG_U32(s->n);
	j->in[0] = (struct mig_copy){ s->din, 0, (size_t)s->n * o->k->in_size, s->hin };
	if (o->k->blob_max)
		j->in[1] = (struct mig_copy){ s->dblob, 0, s->blob_used, s->hblob };
	j->out[0] = (struct mig_copy){ s->dout, 0, (size_t)s->n * o->k->out_size, s->hout };
	s->busy = true;
	if (w->cpu_only || mig_job_submit(w->q, j) < 0) {
		j->ev = NULL;
		j->t_submit = rte_rdtsc();
		j->t_done = 0;
		if (!w->cpu_only) {
			__atomic_store_n(&o->fail_code, -EIO, __ATOMIC_RELEASE);
			w->cpu_only = true;
			w->fallbacks++;
		}
	}
	w->cur = (w->cur + 1) % MIG_OFF_SLOTS;
}

/* Complete the oldest busy slot if it is done (or wait for it): emit its
 * packets in order.  Returns packets emitted, 0 if not done yet. */
static uint32_t slot_complete(struct mig_off *o, struct el_node *n, struct off_w *w, bool wait)
{
	struct off_slot *s = &w->s[w->head];
	if (!s->busy)
		return 0;
	int rc = 1;
	if (s->job.ev)
		rc = wait ? mig_job_wait(w->q, &s->job) : mig_job_poll(w->q, &s->job);
	if (rc == 0)
		return 0;
	uint64_t now = rte_rdtsc();
	if (rc < 0 || !s->job.t_done) {
		/* the device failed (or the slot was never sent): the same
		 * kernel on the cpu, over the records still in host memory */
		if (rc < 0 && !w->cpu_only) {
			__atomic_store_n(&o->fail_code, rc, __ATOMIC_RELEASE);
			w->cpu_only = true;
			w->fallbacks++;
		}
		o->k->cpu(o->ctx, s->hin, s->hblob, s->hout, s->n);
		s->job.t_done = rte_rdtsc();
	}
	w->h.busy_cycles += s->job.t_done - s->job.t_submit;
	w->h.kernel_ns += s->job.kernel_ns;
	uint64_t waited = now - s->t_first;
	w->h.wait_cycles += waited;
	if (waited > w->h.max_wait_cycles)
		w->h.max_wait_cycles = waited;
	w->h.pkts += s->n;
	w->h.batches++;
	uint32_t cnt = s->n;
	emit(o, n, s->pkts, s->hout, cnt);
	s->n = 0;
	s->blob_used = 0;
	s->busy = false;
	w->head = (w->head + 1) % MIG_OFF_SLOTS;
	return cnt;
}

/* Packets into the filling slot, sending it when full. */
static void aggregate(struct mig_off *o, struct el_node *n, struct off_w *w, struct rte_mbuf **pkts, uint32_t cnt)
{
	const struct mig_off_kernel *k = o->k;
	for (uint32_t i = 0; i < cnt; i++) {
		struct off_slot *s = &w->s[w->cur];
		while (s->busy) /* every slot in flight: wait for the oldest */
			slot_complete(o, n, w, true);
		if (!s->n) {
			s->t_first = rte_rdtsc();
			s->batch = ++w->batch_seq;
		}
		struct rte_mbuf *m = pkts[i];
		if (i + 4 < cnt)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		struct mig_off_pos pos = { s->hin, s->n, s->batch, s->hblob + s->blob_used, s->blob_used };
		s->blob_used += k->extract(o->ctx, n, m, &pos);
		s->pkts[s->n++] = m;
		if (s->n == o->cfg.batch || s->blob_used + k->blob_max > o->cfg.batch * k->blob_max)
			slot_submit(o, w, s);
	}
}

/* Packets a previous instance held go first. */
static void take_carry(struct mig_off *o, struct el_node *n, struct off_w *w)
{
	uint32_t c = __atomic_load_n(&w->ncarry, __ATOMIC_ACQUIRE);
	if (!c)
		return;
	__atomic_store_n(&w->ncarry, 0, __ATOMIC_RELAXED);
	uint32_t done = w->carry_done;
	w->carry_done = 0;
	if (done) /* computed by the previous placement before the hand-over */
		emit(o, n, w->carry, w->carry_out, done);
	if (c == done)
		return;
	if (o->dev && !w->cpu_only)
		aggregate(o, n, w, w->carry + done, c - done);
	else
		run_cpu(o, n, w->carry + done, c - done, w);
}

void mig_off_push(struct mig_off *o, struct el_node *n, struct rt_batch *b)
{
	struct off_w *w = &o->w[rt_wid < (unsigned)o->nw ? rt_wid : 0];
	uint64_t t0 = rte_rdtsc();
	if (unlikely(w->ncarry))
		take_carry(o, n, w);
	if (!o->dev || (w->cpu_only && !w->s[w->head].busy && !w->s[w->cur].n)) {
		run_cpu(o, n, b->pkts, b->n, w);
	} else {
		aggregate(o, n, w, b->pkts, b->n);
		while (slot_complete(o, n, w, false))
			;
	}
	b->n = 0;
	w->h.core_cycles += rte_rdtsc() - t0;
}

static int off_run(struct mig_off *o, struct el_node *n, struct off_w *w);

int mig_off_run(struct mig_off *o, struct el_node *n)
{
	struct off_w *w = &o->w[rt_wid < (unsigned)o->nw ? rt_wid : 0];
	uint64_t t0 = rte_rdtsc();
	int moved = off_run(o, n, w);
	if (moved)
		w->h.core_cycles += rte_rdtsc() - t0;
	return moved;
}

static int off_run(struct mig_off *o, struct el_node *n, struct off_w *w)
{
	int moved = 0;
	if (unlikely(w->ncarry)) {
		moved += (int)w->ncarry;
		take_carry(o, n, w);
	}
	if (!o->dev)
		return moved;
	uint32_t k;
	while ((k = slot_complete(o, n, w, false)))
		moved += (int)k;
	struct off_slot *s = &w->s[w->cur];
	if (s->n && !s->busy && rte_rdtsc() - s->t_first >= o->latency_cycles) {
		slot_submit(o, w, s);
		moved += (int)s->n;
	}
	return moved;
}

/* ---- migration ------------------------------------------------------------------------ */

void mig_off_take(struct mig_off *o, struct mig_off *old)
{
	const struct mig_off_kernel *k = o->k;
	for (int i = 0; i < old->nw; i++) {
		struct off_w *ow = &old->w[i];
		uint32_t total = ow->ncarry;
		for (int s = 0; s < MIG_OFF_SLOTS; s++)
			total += ow->s[s].n;
		/* the old instance's figures join its placement's history */
		struct off_hist *ph = &o->past[old->cfg.kind];
		ph->pkts += ow->h.pkts;
		ph->batches += ow->h.batches;
		ph->busy_cycles += ow->h.busy_cycles;
		ph->wait_cycles += ow->h.wait_cycles;
		ph->core_cycles += ow->h.core_cycles;
		ph->kernel_ns += ow->h.kernel_ns;
		if (ow->h.max_wait_cycles > ph->max_wait_cycles)
			ph->max_wait_cycles = ow->h.max_wait_cycles;
		if (!total)
			continue;
		struct off_w *nw = &o->w[i < o->nw ? i : 0];
		uint32_t have = nw->ncarry;
		struct rte_mbuf **c = realloc(nw->carry, sizeof(*c) * (have + total));
		uint8_t *co = realloc(nw->carry_out, (size_t)(have + total) * k->out_size);
		if (!c || !co)
			abort(); /* a few KB: cannot happen; never lose packets silently */
		nw->carry = c;
		nw->carry_out = co;
		uint32_t n = have, done = have ? nw->carry_done : 0;
		/* What the old instance had carried itself and not yet run. */
		if (ow->carry_done && !have) {
			memcpy(co, ow->carry_out, (size_t)ow->carry_done * k->out_size);
			done = ow->carry_done;
		}
		if (ow->ncarry)
			memcpy(c + n, ow->carry, sizeof(*c) * ow->ncarry);
		n += ow->ncarry;
		bool prefix = n == done; /* results can only lead the carry */
		ow->ncarry = ow->carry_done = 0;
		/* Oldest slot first.  With device state, batches on the device
		 * finish there and their results come along (the state is then
		 * final; a batch the device failed is computed here by the cpu
		 * kernel); without, they go as plain packets, recomputed.  The
		 * filling batch goes as plain packets. */
		for (int s = 0; s < MIG_OFF_SLOTS; s++) {
			struct off_slot *sl = &ow->s[(ow->head + s) % MIG_OFF_SLOTS];
			if (!sl->n)
				continue;
			if (sl->busy && !k->device_state) {
				/* recomputed by the new placement; the old buffers stay
				 * busy until the old instance is freed, which waits */
				prefix = false;
			} else if (sl->busy) {
				int rc = sl->job.ev ? mig_job_wait(ow->q, &sl->job) : -EIO;
				if (rc != 1)
					old->k->cpu(old->ctx, sl->hin, sl->hblob, sl->hout, sl->n);
				if (prefix) {
					memcpy(co + (size_t)n * k->out_size, sl->hout, (size_t)sl->n * k->out_size);
					done = n + sl->n;
				}
			} else {
				prefix = false;
			}
			memcpy(c + n, sl->pkts, sizeof(*c) * sl->n);
			n += sl->n;
			sl->n = 0;
			if (k->device_state)
				sl->busy = false; /* waited for above */
		}
		nw->carry_done = done;
		__atomic_store_n(&nw->ncarry, n, __ATOMIC_RELEASE);
	}
	for (int kd = 0; kd < MIG_NKINDS; kd++) {
		struct off_hist *ph = &o->past[kd], *oh = &old->past[kd];
		ph->pkts += oh->pkts;
		ph->batches += oh->batches;
		ph->busy_cycles += oh->busy_cycles;
		ph->wait_cycles += oh->wait_cycles;
		ph->core_cycles += oh->core_cycles;
		if (oh->max_wait_cycles > ph->max_wait_cycles)
			ph->max_wait_cycles = oh->max_wait_cycles;
		o->per_core[kd] = old->per_core[kd];
	}
	memcpy(o->note, old->note, sizeof(o->note));
}

/* ---- reading ------------------------------------------------------------------------- */

void off_hist_now(const struct mig_off *o, struct off_hist *h)
{
	memset(h, 0, sizeof(*h));
	for (int i = 0; i < o->nw; i++) {
		const struct off_hist *wh = &o->w[i].h;
		h->pkts += __atomic_load_n(&wh->pkts, __ATOMIC_RELAXED);
		h->batches += __atomic_load_n(&wh->batches, __ATOMIC_RELAXED);
		h->busy_cycles += __atomic_load_n(&wh->busy_cycles, __ATOMIC_RELAXED);
		h->wait_cycles += __atomic_load_n(&wh->wait_cycles, __ATOMIC_RELAXED);
		h->core_cycles += __atomic_load_n(&wh->core_cycles, __ATOMIC_RELAXED);
		h->kernel_ns += __atomic_load_n(&wh->kernel_ns, __ATOMIC_RELAXED);
		uint64_t mw = __atomic_load_n(&wh->max_wait_cycles, __ATOMIC_RELAXED);
		if (mw > h->max_wait_cycles)
			h->max_wait_cycles = mw;
	}
}

uint64_t mig_off_held(const struct mig_off *o)
{
	uint64_t n = 0;
	for (int i = 0; i < o->nw; i++) {
		n += __atomic_load_n(&o->w[i].ncarry, __ATOMIC_RELAXED);
		for (int s = 0; s < MIG_OFF_SLOTS; s++)
			n += __atomic_load_n(&o->w[i].s[s].n, __ATOMIC_RELAXED);
	}
	return n;
}

static bool fell_back(const struct mig_off *o)
{
	for (int i = 0; i < o->nw; i++)
		if (__atomic_load_n(&o->w[i].cpu_only, __ATOMIC_RELAXED))
			return true;
	return false;
}

void mig_off_placement(const struct mig_off *o, struct rt_buf *out)
{
	int code = __atomic_load_n(&o->fail_code, __ATOMIC_ACQUIRE);
	if (fell_back(o))
		rt_buf_printf(out, "cpu (fell back from %s: the device failed mid-batch, error %d; held packets were "
				   "computed on the cpu)\n",
			      mig_kind_name(o->cfg.kind), code);
	else
		rt_buf_printf(out, "%s\n", mig_kind_name(o->cfg.kind));
}

static void hist_line(struct rt_buf *out, const struct off_hist *h)
{
	double hz = (double)rte_get_tsc_hz();
	double mpps = h->busy_cycles ? h->pkts / (h->busy_cycles / hz) / 1e6 : 0;
	double avg_us = h->batches ? h->wait_cycles / hz / h->batches * 1e6 : 0;
	double core = (int64_t)h->core_cycles > 0 ? h->pkts / (h->core_cycles / hz) / 1e6 : 0;
	rt_buf_printf(out,
		      "packets %llu batches %llu mpps_busy %.2f mpps_per_core %.2f latency_avg_us %.1f latency_max_us %.1f",
		      (unsigned long long)h->pkts, (unsigned long long)h->batches, mpps, core, avg_us,
		      h->max_wait_cycles / hz * 1e6);
}

void mig_off_counters(const struct mig_off *o, struct rt_buf *out)
{
	struct off_hist h;
	off_hist_now(o, &h);
	uint64_t fb = 0;
	for (int i = 0; i < o->nw; i++)
		fb += o->w[i].fallbacks;
	rt_buf_printf(out, "placement %s batch %u latency_ns %llu held %llu fallbacks %llu ", mig_kind_name(o->cfg.kind),
		      o->cfg.batch, (unsigned long long)o->cfg.latency_ns, (unsigned long long)mig_off_held(o),
		      (unsigned long long)fb);
	hist_line(out, &h);
	/* device time: the kernel's own, and the rest of submit -> done
	 * (copies in and out, queueing behind the other batch) */
	uint64_t busy_ns = (uint64_t)(h.busy_cycles * 1e9 / (double)rte_get_tsc_hz());
	if (o->dev)
		rt_buf_printf(out, " kernel_us %.1f transfer_us %.1f", h.kernel_ns / 1e3,
			      busy_ns > h.kernel_ns ? (busy_ns - h.kernel_ns) / 1e3 : 0.0);
	rt_buf_puts(out, "\n");
}

/* What placement k measured: earlier instances' history, plus this one's
 * figures when it runs there. */
static void place_hist(const struct mig_off *o, int k, struct off_hist *h)
{
	*h = o->past[k];
	if (k != (int)o->cfg.kind)
		return;
	struct off_hist now;
	off_hist_now(o, &now);
	h->pkts += now.pkts;
	h->batches += now.batches;
	h->busy_cycles += now.busy_cycles;
	h->wait_cycles += now.wait_cycles;
	h->core_cycles += now.core_cycles;
	if (now.max_wait_cycles > h->max_wait_cycles)
		h->max_wait_cycles = now.max_wait_cycles;
}

void mig_off_placements(const struct mig_off *o, struct rt_buf *out)
{
	for (int k = 0; k < MIG_NKINDS; k++) {
		struct rt_err err;
		rt_err_clear(&err);
		struct off_hist h;
		place_hist(o, k, &h);
		bool avail = mig_available((enum mig_kind)k, &err) == 0;
		rt_buf_printf(out, "%s%s %s ", mig_kind_name((enum mig_kind)k), k == (int)o->cfg.kind ? "*" : "",
			      avail ? "available" : "unavailable");
		if (h.pkts)
			hist_line(out, &h);
		else if (!avail)
			rt_buf_printf(out, "(%s)", err.msg);
		else
			rt_buf_puts(out, "not run yet");
		rt_buf_puts(out, "\n");
	}
	if (o->cfg.autoplace)
		rt_buf_printf(out, "auto: %s\n", o->note[0] ? o->note : "measuring");
}

static void json_str(struct rt_buf *out, const char *s)
{
	rt_buf_puts(out, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			rt_buf_printf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			rt_buf_printf(out, "\\u%04x", *s);
		else
			rt_buf_add(out, s, 1);
	}
	rt_buf_puts(out, "\"");
}

void mig_off_placements_json(const struct mig_off *o, struct rt_buf *out)
{
	double hz = (double)rte_get_tsc_hz();
	rt_buf_puts(out, "[");
	for (int k = 0; k < MIG_NKINDS; k++) {
		struct rt_err err;
		rt_err_clear(&err);
		struct off_hist h;
		place_hist(o, k, &h);
		bool avail = mig_available((enum mig_kind)k, &err) == 0;
		rt_buf_printf(out, "%s{\"placement\": \"%s\", \"current\": %s, \"available\": %s, \"why\": ", k ? ", " : "",
			      mig_kind_name((enum mig_kind)k), k == (int)o->cfg.kind ? "true" : "false",
			      avail ? "true" : "false");
		json_str(out, err.msg);
		rt_buf_printf(out,
			      ", \"packets\": %llu, \"batches\": %llu, \"mpps_busy\": %.3f, \"latency_avg_us\": %.1f, "
			      "\"latency_max_us\": %.1f}",
			      (unsigned long long)h.pkts, (unsigned long long)h.batches,
			      h.busy_cycles ? h.pkts / (h.busy_cycles / hz) / 1e6 : 0.0,
			      h.batches ? h.wait_cycles / hz / h.batches * 1e6 : 0.0, h.max_wait_cycles / hz * 1e6);
	}
	rt_buf_puts(out, "]");
	if (o->cfg.autoplace) {
		rt_buf_puts(out, ", \"auto\": ");
		json_str(out, o->note);
	}
}

/* ---- handlers ------------------------------------------------------------------------- */

int mig_off_h_read(struct el *e, intptr_t arg, struct rt_buf *out)
{
	const struct mig_off *o = *(struct mig_off **)((char *)e->state + arg / 4);
	if (!o)
		return -ENODEV;
	switch (arg % 4) {
	case 0:
		mig_off_placement(o, out);
		break;
	case 1:
		mig_off_placements(o, out);
		break;
	default:
		mig_off_counters(o, out);
	}
	return 0;
}

struct mig_off *mig_off_of(struct el *e)
{
	const struct el_handler *h = el_handler_find(e, "placements");
	if (!h || h->read != mig_off_h_read)
		return NULL;
	return *(struct mig_off **)((char *)e->state + h->arg / 4);
}

int mig_off_h_migrate(struct el *e, intptr_t arg, const char *value, struct rt_err *err)
{
	char where[32];
	size_t n = strcspn(value, " \t\r\n");
	snprintf(where, sizeof(where), "%.*s", (int)RT_MIN(n, sizeof(where) - 1), value);
	return rt_ctl_migrate(e->router, e->name, where, NULL, err);
}
