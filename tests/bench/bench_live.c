/*
 * bench_live.c - live changes under traffic (issue: live graphs).  One
 * worker forwards 64-byte packets through a Queue; the control thread
 * measures steady throughput, then throughput while it swaps an element
 * every 10 ms, in the same run, and how long packets are held per swap.
 * Prints `BENCH live <name> <value> <unit>`.
 *
 * Usage: bench_live [SECONDS]   (default 2 per phase)
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"
#include "router_int.h"

static const char config[] =
	"src :: InfiniteSource(LENGTH 64, TIMESTAMP false) -> c :: Counter -> x :: Null -> q :: Queue(4096)\n"
	"  -> y :: Counter -> Discard;\n";

static uint64_t count(struct rt_router *r)
{
	struct rt_buf b;
	struct rt_err err;
	rt_buf_init(&b);
	rt_err_clear(&err);
	rt_ctl_read(r, "c.count", &b, &err);
	uint64_t n = strtoull(b.p ? b.p : "0", NULL, 10);
	rt_buf_free(&b);
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	struct rt_err err;
	rt_err_clear(&err);
	if (rt_eal_init(NULL, 1, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	struct rt_router_opts o = {.nworkers = 1, .pin = true};
	struct rt_router *r = rt_router_new(&o, &err);
	if (!r || rt_router_load(r, config, "bench", NULL, &err) < 0 || rt_router_start(r, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	usleep(200000); /* warm up */
	uint64_t c0 = count(r), t0 = rt_now_ns();
	usleep((useconds_t)(secs * 1e6));
	uint64_t c1 = count(r), t1 = rt_now_ns();
	double steady = (double)(c1 - c0) / ((double)(t1 - t0) / 1e3);

	int max_swaps = (int)(secs * 100) + 16, n = 0;
	uint64_t *hold = calloc((size_t)max_swaps, sizeof(uint64_t)), *total = calloc((size_t)max_swaps, sizeof(uint64_t));
	/* same classes as the steady graph, so only the changes cost */
	static const char *specs[] = {"Null", "Counter"};
	c0 = count(r);
	t0 = rt_now_ns();
	while (rt_now_ns() - t0 < (uint64_t)(secs * 1e9) && n < max_swaps) {
		uint64_t next = t0 + (uint64_t)(n + 1) * 10000000ull;
		if (rt_ctl_swap(r, n % 2 ? "y" : "x", specs[n % 2], NULL, &err) < 0) {
			fprintf(stderr, "swap: %s\n", err.msg);
			return 1;
		}
		hold[n] = r->live_hold_ns;
		total[n] = r->live_total_ns;
		n++;
		uint64_t now = rt_now_ns();
		if (now < next)
			usleep((useconds_t)((next - now) / 1000));
	}
	c1 = count(r);
	t1 = rt_now_ns();
	double during = (double)(c1 - c0) / ((double)(t1 - t0) / 1e3);
	/* a swap of the Queue itself: its packets move to the new one */
	rt_err_clear(&err);
	if (rt_ctl_swap(r, "q", "Queue(4096)", NULL, &err) < 0) {
		fprintf(stderr, "swap q: %s\n", err.msg);
		return 1;
	}
	uint64_t qhold = r->live_hold_ns;
	qsort(hold, (size_t)n, sizeof(uint64_t), cmp_u64);
	qsort(total, (size_t)n, sizeof(uint64_t), cmp_u64);
	printf("BENCH live steady_mpps %.2f Mpps\n", steady);
	printf("BENCH live reconfig_mpps %.2f Mpps\n", during);
	printf("BENCH live reconfig_throughput_ratio %.3f ratio\n", during / steady);
	printf("BENCH live swaps %d count\n", n);
	printf("BENCH live swap_hold_latency_median_us %.1f us\n", (double)hold[n / 2] / 1e3);
	printf("BENCH live swap_hold_latency_max_us %.1f us\n", (double)hold[n - 1] / 1e3);
	printf("BENCH live swap_queue_hold_latency_us %.1f us\n", (double)qhold / 1e3);
	printf("BENCH live swap_completion_median_us %.1f us\n", (double)total[n / 2] / 1e3);
	printf("BENCH live swap_completion_max_us %.1f us\n", (double)total[n - 1] / 1e3);
	free(hold);
	free(total);
	rt_router_free(r);
	uv_run(uv_default_loop(), UV_RUN_NOWAIT);
	rt_eal_cleanup();
	return 0;
}
