/*
 * bench_cls_dev.c - the big classifier's lookup on its placements (issue 8).
 * Prints `BENCH placement <name> <value> <unit>`; scripts/bench.sh placement
 * runs it after bench_placement.
 *
 * 10 K ClassBench-like acl rules, 1 M keys of a generated trace: the cpu
 * placement (the tuple-merge classifier, one core), the flat form's kernel
 * compiled as C (one core), and the same kernel on the offloaded placements
 * that answer, by batch size, four jobs in flight; every answer must be the
 * cpu's.  The ACLClassifier element with those rules: a migration to
 * opencl, and a rule added on the cpu and on opencl (where it reloads the
 * device).
 *
 * Usage: bench_cls_dev
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "router.h"
#include "ctl.h"
#include "migrate/mig.h"
#include "migrate/mig_cls.h"
#include "bench_dev.h"

/* ---- the big classifier ------------------------------------------------------------- */

struct cls_slot {
	struct mig_mem *keys, *out;
	uint32_t *hkeys, *hout;
	struct mig_job job;
	uint32_t first;
};

/* Mlookups/s of nq keys (records) in batches of b on a device, or <0. */
static double cls_dev_run(enum mig_kind k, struct mig_queue *q, struct cls_slot *sl, const uint32_t *rec,
			  const uint32_t *want, uint32_t nq, uint32_t b)
{
	size_t bad = 0;
	uint32_t next = 0, done = 0, turn = 0;
	for (int i = 0; i < DEV_INFLIGHT; i++)
		sl[i].first = UINT32_MAX;
	uint64_t t0 = rt_now_ns();
	while (done < nq) {
		struct cls_slot *s = &sl[turn];
		if (s->first != UINT32_MAX) {
			if (mig_job_wait(q, &s->job) != 1) {
				fprintf(stderr, "bench_placement: %s: a job failed\n", mig_kind_name(k));
				return -1;
			}
			uint32_t n = s->job.n;
			bad += memcmp(s->hout, want + 2ull * s->first, 8ull * n) != 0;
			done += n;
			s->first = UINT32_MAX;
		}
		if (next < nq) {
			uint32_t n = RT_MIN(b, nq - next);
			memcpy(s->hkeys, rec + 4ull * next, 16ull * n);
			s->job.n = n;
			s->job.args[3] = MIG_U32(n);
			s->job.in[0].len = 16ull * n;
			s->job.out[0].len = 8ull * n;
			if (mig_job_submit(q, &s->job) < 0) {
				fprintf(stderr, "bench_placement: %s: submit failed\n", mig_kind_name(k));
				return -1;
			}
			s->first = next;
			next += n;
		}
		turn = (turn + 1) % DEV_INFLIGHT;
	}
	double mlps = (double)nq / (double)(rt_now_ns() - t0) * 1e3;
	if (bad) {
		fprintf(stderr, "bench_placement: %s: %zu classifier batches differ from the cpu's\n", mig_kind_name(k), bad);
		return -1;
	}
	return mlps;
}

struct cls_run {
	enum mig_kind k;
	struct mig_queue *q;
	struct cls_slot *sl;
	const uint32_t *rec, *want;
	uint32_t nq;
};

static double cls_run(void *ctx, uint32_t b)
{
	struct cls_run *c = ctx;
	return cls_dev_run(c->k, c->q, c->sl, c->rec, c->want, c->nq, b);
}

static int bench_cls_dev(enum mig_kind k, const struct mig_cls_flat *f, const uint32_t *rec, const uint32_t *want,
			 uint32_t nq)
{
	static const uint32_t batches[] = {1024, 8192, 65536};
	struct rt_err err;
	rt_err_clear(&err);
	if (mig_available(k, &err) < 0) {
		fprintf(stderr, "bench_placement: %s skipped: %s\n", mig_kind_name(k), err.msg);
		return 0;
	}
	struct mig_dev *d;
	struct mig_prog *p;
	struct mig_kernel *kn;
	struct mig_queue *q;
	struct mig_mem *w;
	if (mig_dev_open(k, &d, &err) < 0 || mig_prog_build(d, "cls", &p, &err) < 0 ||
	    mig_kernel_get(p, "cls_lookup", &kn, &err) < 0 || mig_queue_open(d, &q, &err) < 0 ||
	    mig_mem_alloc(d, mig_cls_flat_bytes(f), &w, &err) < 0 ||
	    mig_mem_write(w, 0, f->w, mig_cls_flat_bytes(f), &err) < 0)
		return dev_fail(k, "classifier setup", &err);
	struct cls_slot sl[DEV_INFLIGHT];
	uint32_t bmax = batches[RT_ARRAY_SIZE(batches) - 1];
	for (int i = 0; i < DEV_INFLIGHT; i++) {
		struct cls_slot *s = &sl[i];
		if (mig_mem_alloc(d, 16ull * bmax, &s->keys, &err) < 0 || mig_mem_alloc(d, 8ull * bmax, &s->out, &err) < 0)
			return dev_fail(k, "classifier buffers", &err);
		s->hkeys = mig_host_alloc(d, 16ull * bmax);
		s->hout = mig_host_alloc(d, 8ull * bmax);
		if (!s->hkeys || !s->hout) {
			fprintf(stderr, "bench_placement: %s: no pinned host memory\n", mig_kind_name(k));
			return -1;
		}
		s->job = (struct mig_job){.k = kn, .nargs = 4, .nin = 1, .nout = 1};
		s->job.args[0] = MIG_MEM(w);
		s->job.args[1] = MIG_MEM(s->keys);
		s->job.args[2] = MIG_MEM(s->out);
		s->job.in[0] = (struct mig_copy){s->keys, 0, 0, s->hkeys};
		s->job.out[0] = (struct mig_copy){s->out, 0, 0, s->hout};
	}
	struct cls_run cr = {k, q, sl, rec, want, nq};
	int rc = sweep(k, "cls_10k", batches, RT_ARRAY_SIZE(batches), cls_run, &cr);
	for (int i = 0; i < DEV_INFLIGHT; i++) {
		mig_mem_free(sl[i].keys);
		mig_mem_free(sl[i].out);
		mig_host_free(d, sl[i].hkeys);
		mig_host_free(d, sl[i].hout);
	}
	mig_mem_free(w);
	mig_queue_close(q);
	mig_kernel_free(kn);
	mig_prog_free(p);
	mig_dev_close(d);
	return rc;
}

/* The element: ACLClassifier with the same 10 K rules, the whole migration
 * cpu -> opencl (new instance built, flat form uploaded, swapped) and a
 * rule added on each placement (on opencl: a live reconfiguration that
 * uploads a new flat form), median of 5.  No traffic: the pause under
 * traffic is the offload engine's, measured by bench_migrate. */
static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int bench_cls_element(const struct cls_ruleset *rs)
{
	struct rt_err err;
	rt_err_clear(&err);
	if (mig_available(MIG_OPENCL, &err) < 0) {
		fprintf(stderr, "bench_placement: ACLClassifier on opencl skipped: %s\n", err.msg);
		return 0;
	}
	char path[] = "/tmp/mbx_bpclsXXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	struct rt_buf b;
	rt_buf_init(&b);
	for (uint32_t i = 0; i < rs->n; i++) {
		struct cls_rule r = rs->r[i];
		r.cls = 0;
		cls_rule_unparse(&r, &b);
		rt_buf_puts(&b, "\n");
	}
	fputs(b.p, fp);
	fclose(fp);
	rt_buf_free(&b);
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "Idle -> a :: ACLClassifier(FILE %s, BATCH 4096) -> Discard;", path);
	struct rt_router_opts o = {.nworkers = 1};
	struct rt_router *r = rt_router_new(&o, &err);
	if (!r || rt_router_load(r, cfg, "bench", NULL, &err) < 0) {
		fprintf(stderr, "bench_placement: %s\n", err.msg);
		unlink(path);
		return 1;
	}
	enum { REP = 5 };
	double mig[REP], upd_cpu[REP], upd_ocl[REP];
	int rc = 0;
	for (int i = 0; i < REP && rc == 0; i++) {
		char rule[128];
		snprintf(rule, sizeof(rule), "@10.%d.0.0/16 0.0.0.0/0 0 : 65535 %d : %d 0x06/0xFF 0x0000/0x0000", i, 80 + i,
			 80 + i);
		uint64_t t0 = rt_now_ns();
		rc = rt_ctl_write(r, "a.add_rule", rule, &err);
		upd_cpu[i] = (double)(rt_now_ns() - t0) / 1e6;
		t0 = rt_now_ns();
		if (rc == 0)
			rc = rt_ctl_migrate(r, "a", "opencl", NULL, &err);
		mig[i] = (double)(rt_now_ns() - t0) / 1e6;
		rule[1] = '1', rule[2] = '1';
		t0 = rt_now_ns();
		if (rc == 0)
			rc = rt_ctl_write(r, "a.add_rule", rule, &err);
		upd_ocl[i] = (double)(rt_now_ns() - t0) / 1e6;
		if (rc == 0)
			rc = rt_ctl_migrate(r, "a", "cpu", NULL, &err);
	}
	if (rc < 0)
		fprintf(stderr, "bench_placement: ACLClassifier: %s\n", err.msg);
	else {
		qsort(mig, REP, sizeof(double), cmp_d);
		qsort(upd_cpu, REP, sizeof(double), cmp_d);
		qsort(upd_ocl, REP, sizeof(double), cmp_d);
		bench("cls_10k_migrate_opencl_ms", mig[REP / 2], "ms");
		bench("cls_10k_cpu_update_ms", upd_cpu[REP / 2], "ms");
		bench("cls_10k_opencl_update_ms", upd_ocl[REP / 2], "ms");
	}
	rt_router_free(r);
	unlink(path);
	return rc < 0;
}

static int bench_cls(void)
{
	const uint32_t nr = 10000, nq = NQ;
	struct rt_err err;
	rt_err_clear(&err);
	struct cls_ruleset rs;
	cls_ruleset_init(&rs);
	cls_gen_rules(CLS_SHAPE_ACL, nr, 16, 1, &rs);
	struct cls_key *keys = malloc(sizeof(*keys) * nq);
	uint32_t *rec = malloc(16ull * nq), *want = malloc(8ull * nq), *ids = malloc(4ull * nq),
		 *cls = malloc(4ull * nq);
	cls_gen_trace(rs.r, rs.n, nq, 5, 2, keys);
	for (uint32_t i = 0; i < nq; i++)
		mig_cls_key_rec(&keys[i], rec + 4ull * i);
	struct mig_cls_set s;
	mig_cls_set_init(&s);
	for (uint32_t i = 0; i < rs.n; i++)
		mig_cls_set_put(&s, i, &rs.r[i], &err);
	struct cls_acl *a;
	struct mig_cls_flat *f;
	uint64_t t0 = rt_now_ns();
	if (mig_cls_flat_build(&s, &f, &err) < 0 || cls_acl_build(rs.r, rs.n, NULL, &a, &err) < 0) {
		fprintf(stderr, "bench_placement: %s\n", err.msg);
		return 1;
	}
	double best_tm = 0, best_flat = 0;
	for (int rep = 0; rep < 3; rep++) {
		t0 = rt_now_ns();
		cls_acl_lookup(a, keys, nq, ids, cls);
		best_tm = RT_MAX(best_tm, (double)nq / (double)(rt_now_ns() - t0) * 1e3);
		t0 = rt_now_ns();
		mig_cls_lookup_batch(f, rec, want, nq);
		best_flat = RT_MAX(best_flat, (double)nq / (double)(rt_now_ns() - t0) * 1e3);
	}
	size_t bad = 0;
	for (uint32_t i = 0; i < nq; i++)
		bad += want[2 * i] != ids[i] || want[2 * i + 1] != cls[i];
	if (bad) {
		fprintf(stderr, "bench_placement: the flat form and the tuple merge differ on %zu of %u keys\n", bad, nq);
		return 1;
	}
	bench("cls_10k_flat_tables", f->ntab, "tables");
	bench("cls_10k_flat_mb", (double)mig_cls_flat_bytes(f) / 1048576.0, "MiB");
	bench("cls_10k_cpu_mlookups", best_tm, "Mlookups/s");
	bench("cls_10k_cpu_flat_mlookups", best_flat, "Mlookups/s");
	int rc = bench_cls_dev(MIG_OPENCL, f, rec, want, nq) || bench_cls_dev(MIG_CUDA, f, rec, want, nq) ||
		 bench_cls_element(&rs);
	mig_cls_flat_free(f);
	cls_acl_free(a);
	mig_cls_set_free(&s);
	cls_ruleset_free(&rs);
	free(keys), free(rec), free(want), free(ids), free(cls);
	return rc;
}

int main(void)
{
	struct rt_err err;
	rt_err_clear(&err);
	if (rt_eal_init(NULL, 1, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	return bench_cls();
}
