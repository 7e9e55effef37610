/*
 * mig_auto.c - the automatic placement policy (opt-in per element with
 * AUTO true): keep an element on the placement that gives the most packets
 * per worker cycle, with hysteresis.
 *
 * Once a second (a timer on the control loop, one per engine) the policy
 * measures the current placement over the window since its last step:
 * packets handled divided by the worker cycles spent in the element itself
 * (extracting records, submitting and polling jobs, applying results; the
 * kernel too on the cpu; downstream elements excluded).  After the element
 * has stayed MIG_AUTO_DWELL_NS where it is, it tries each available
 * placement it never ran on (once), and otherwise moves to the placement
 * measured best when that beats the current one by MIG_AUTO_MARGIN.  A
 * window with too few packets (under 1000) decides nothing, nor does the
 * first window on a placement (warm-up).  Moves are
 * ordinary migrations (rt_ctl_migrate): loss-free and order-preserving.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <uv.h>

#include "ctl.h"
#include "mig_offload_int.h"
#include "router.h"

struct mig_auto {
	uv_timer_t t;
	struct mig_off *o;   /* NULL once the engine is gone */
};

static void auto_tick(uv_timer_t *t)
{
	struct mig_auto *a = t->data;
	if (a->o)
		mig_auto_step(a->o, MIG_AUTO_DWELL_NS);
}

static void auto_closed(uv_handle_t *h) { free(h->data); }

void mig_auto_start(struct mig_off *o)
{
	if (!o->e->router || o->autot)
		return;
	struct mig_auto *a = calloc(1, sizeof(*a));
	if (!a)
		return;
	a->o = o;
	a->t.data = a;
	uv_timer_init(rt_router_loop(o->e->router), &a->t);
	uv_timer_start(&a->t, auto_tick, 1000, 1000);
	o->autot = a;
}

void mig_auto_stop(struct mig_off *o)
{
	struct mig_auto *a = o->autot;
	if (!a)
		return;
	a->o = NULL;
	uv_timer_stop(&a->t);
	uv_close((uv_handle_t *)&a->t, auto_closed);
	o->autot = NULL;
}

const char *mig_auto_note(const struct mig_off *o) { return o->note; }

static int move(struct mig_off *o, enum mig_kind to, const char *why, double cur, double best)
{
	struct rt_router *r = o->e->router;
	char name[128], note[160];
	snprintf(name, sizeof(name), "%s", o->e->name);
	snprintf(note, sizeof(note), "moved %s -> %s: %s (%.2f vs %.2f Mpps per core)", mig_kind_name(o->cfg.kind),
		 mig_kind_name(to), why, cur, best);
	struct rt_err err;
	rt_err_clear(&err);
	if (rt_ctl_migrate(r, name, mig_kind_name(to), NULL, &err) < 0) {
		snprintf(o->note, sizeof(o->note), "could not move to %s: %.100s", mig_kind_name(to), err.msg);
		o->per_core[to] = -1; /* do not try it again */
		return err.code;
	}
	/* o is gone: the new instance carries the note */
	struct mig_off *no = mig_off_of(rt_router_find(r, name));
	if (no)
		snprintf(no->note, sizeof(no->note), "%s", note);
	return 1;
}

int mig_auto_step(struct mig_off *o, uint64_t dwell_ns)
{
	struct off_hist h;
	off_hist_now(o, &h);
	uint64_t dp = h.pkts - o->win_pkts, dc = h.core_cycles - o->win_core;
	if (dp < 1000 || (int64_t)dc <= 0)
		return 0;
	bool warmup = !o->win_pkts;
	o->win_pkts = h.pkts;
	o->win_core = h.core_cycles;
	if (warmup) {
		/* a placement's first window is not representative: devices
		 * compile kernels and fill caches on first use */
		snprintf(o->note, sizeof(o->note), "warming up on %s", mig_kind_name(o->cfg.kind));
		return 0;
	}
	enum mig_kind cur = o->cfg.kind;
	double m = dp / (dc / (double)rte_get_tsc_hz()) / 1e6;
	o->per_core[cur] = m;
	if (rt_now_ns() - o->born_ns < dwell_ns)
		return 0;
	for (int k = 0; k < MIG_NKINDS; k++) {
		struct rt_err err;
		rt_err_clear(&err);
		if (k != (int)cur && o->per_core[k] == 0 && mig_available((enum mig_kind)k, &err) == 0)
			return move(o, (enum mig_kind)k, "trying a placement not measured yet", m, 0);
	}
	int best = cur;
	for (int k = 0; k < MIG_NKINDS; k++)
		if (o->per_core[k] > o->per_core[best])
			best = k;
	if (best != (int)cur && o->per_core[best] > m * (1 + MIG_AUTO_MARGIN))
		return move(o, (enum mig_kind)best, "measured better", m, o->per_core[best]);
	snprintf(o->note, sizeof(o->note), "staying on %s (%.2f Mpps per core)", mig_kind_name(cur), m);
	return 0;
}
