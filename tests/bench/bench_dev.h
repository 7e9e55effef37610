/*
 * bench_dev.h - what the placement benchmarks share (bench_placement.c,
 * bench_cls_dev.c): the BENCH line, and timing a device lookup by batch
 * size with DEV_INFLIGHT jobs in flight.
 */
#ifndef MB_BENCH_DEV_H
#define MB_BENCH_DEV_H

#include <stdio.h>

#include "router.h"
#include "migrate/mig.h"

#define NQ (1u << 20) /* queries of a device run */

static inline void bench(const char *name, double v, const char *unit)
{
	printf("BENCH placement %s %.3f %s\n", name, v, unit);
	fflush(stdout);
}

#define DEV_INFLIGHT 4


static inline int dev_fail(enum mig_kind k, const char *what, const struct rt_err *err)
{
	fprintf(stderr, "bench_placement: %s: %s: %s\n", mig_kind_name(k), what, err->msg);
	return -1;
}

/* Mlookups/s of a device run by batch size (the best of two passes, the
 * first warming up), printed as WHAT_KIND_mlookups_bN and the best of all
 * as WHAT_KIND_mlookups; <0 when a run failed. */
static inline int sweep(enum mig_kind k, const char *what, const uint32_t *batches, size_t nb,
		 double (*run)(void *ctx, uint32_t batch), void *ctx)
{
	char name[64];
	double best = 0;
	for (size_t i = 0; i < nb; i++) {
		double m = 0;
		for (int rep = 0; rep < 2; rep++) {
			double x = run(ctx, batches[i]);
			if (x < 0)
				return -1;
			m = RT_MAX(m, x);
		}
		snprintf(name, sizeof(name), "%s_%s_mlookups_b%u", what, mig_kind_name(k), batches[i]);
		bench(name, m, "Mlookups/s");
		best = RT_MAX(best, m);
	}
	snprintf(name, sizeof(name), "%s_%s_mlookups", what, mig_kind_name(k));
	bench(name, best, "Mlookups/s");
	return 0;
}

#endif
