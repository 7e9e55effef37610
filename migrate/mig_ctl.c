/*
 * mig_ctl.c - the control API's placement operations (decision 7): migrate
 * an element to another placement, and list where elements run.  The
 * shell, Lua (mb.migrate, mb.placements) and the control socket (WRITE
 * e.placement, READ e.placements) are faces over these.
 *
 * A migration is a reconfiguration of the element with another PLACEMENT:
 * the live layer builds the new instance (device opened, kernels built,
 * tables loaded) off the data path, holds its input, waits a grace period,
 * lets it take the old one's state and held packets (mig_off_take), and
 * releases the held packets in order.  Anything that fails before that
 * leaves the element where it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "ctl.h"
#include "flow/flow.h"
#include "mig.h"
#include "mig_offload.h"
#include "router_int.h"

static bool has_placement(struct el *e) { return mig_off_of(e) != NULL; }

/* ---- migrate NAME core N: a flow manager's flows move between workers ---- */

static void core_grace(struct rt_router *r)
{
	uint64_t t = rte_rcu_qsbr_start(r->qsbr);
	rte_rcu_qsbr_check(r->qsbr, t, true);
}

/* Packets in the hold areas of FCB f (they move with it). */
static uint32_t core_fcb_held(const struct flow_mgr *m, const struct flow_fcb *f)
{
	const uint8_t *data = (const uint8_t *)f + FLOW_FCB_HDR;
	uint32_t n = 0;
	for (int k = 0; k < m->nholds; k++)
		n += ((const struct flow_held *)(data + m->hold_off[k]))->n;
	return n;
}

/* A flow that cannot move (the target filled up after the check, which
 * only flows created during the grace period can do): it ends in its old
 * table, its held packets freed (counted in held_freed), the tenant quota
 * given back through cp_*.  Its elements' release callbacks do not run. */
static void core_drop_flow(struct flow_mgr *m, struct flow_table *t, struct flow_fcb *f)
{
	struct flow_layout L = {.nholds = m->nholds};
	memcpy(L.hold_off, m->hold_off, sizeof(L.hold_off));
	memcpy(L.hold_n, m->hold_n, sizeof(L.hold_n));
	struct flow_quota *q = t->quota;
	uint64_t held0 = t->st.held_freed;
	t->quota = NULL;
	flow_table_remove(t, f, flow_layout_release, &L);
	t->quota = q;
	if (q) {
		__atomic_fetch_add(&q->cp_flows, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&q->cp_held, (uint32_t)(t->st.held_freed - held0), __ATOMIC_RELAXED);
	}
}

/* "core N": N, or -1 when it is not that. */
static int core_parse(const char *where)
{
	const char *p = where + 4;
	if (*p != ' ' && *p != '\t')
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	char *end;
	long n = strtol(p, &end, 10);
	if (end == p || n < 0 || n >= RT_MAX_WORKERS)
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	return *end ? -1 : (int)n;
}

/* Move every flow of manager me to worker `to` (docs/placement.md): hold
 * `to`, give it every steering bucket, wait a grace period (no worker is
 * inside a flow any more: their packets now queue in `to`'s ring), let the
 * other workers drain their own rings (packets steered to them before) and
 * wait again, move the FCBs into `to`'s table, release `to`: it classifies
 * its ring, oldest first.  A flow's earlier packets were all finished on
 * the old worker before its later ones reach `to`. */
static int core_move(struct rt_router *r, const char *name, struct el *me, int to, struct rt_err *err)
{
	struct flow_mgr *m = me->state;
	struct flow_steer *st = m->steer;
	int nw = m->nworkers;
	if (!st)
		return rt_errf(err, NULL, -ENOTSUP, "migrate %s core %d: %s (%s) has no steering table", name, to,
			       me->name, me->cls->name);
	if (to >= nw)
		return rt_errf(err, NULL, -EINVAL, "migrate %s core %d: the router has %d worker%s (0 to %d)", name, to,
			       nw, nw == 1 ? "" : "s", nw - 1);
	struct flow_table *dt = m->tab[to];
	if (!dt)
		return rt_errf(err, NULL, -EBUSY, "migrate %s core %d: %s is being replaced", name, to, me->name);
	bool running = r->started && !r->stop;
	uint64_t others = 0;
	for (int w = 0; w < nw; w++) {
		if (w == to || !m->tab[w])
			continue;
		others += __atomic_load_n(&m->tab[w]->count, __ATOMIC_RELAXED);
		if (!running && rte_ring_count(st->ring[w]))
			return rt_errf(err, NULL, -EBUSY,
				       "migrate %s core %d: worker %d still has %u steered packets to classify: start the "
				       "router first",
				       name, to, w, rte_ring_count(st->ring[w]));
	}
	uint32_t room = __atomic_load_n(&dt->nfree, __ATOMIC_RELAXED);
	if (others > room)
		return rt_errf(err, NULL, -ENOSPC,
			       "migrate %s core %d: worker %d's table has room for %u more flows, the other workers "
			       "hold %llu (%s CAPACITY %u): nothing moved",
			       name, to, to, room, (unsigned long long)others, me->name, dt->cap);
	uint64_t t0 = rt_now_ns();
	/* 1: hold the target, give it every bucket */
	__atomic_store_n(&st->held[to], 1, __ATOMIC_RELEASE);
	/* held is visible before any new owner: a worker that sees a packet
	 * steered by the new owners sees `to` held (fm_steer, fm_run) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (int b = 0; b < FLOW_STEER_NB; b++)
		__atomic_store_n(&st->owner[b], (uint16_t)to, __ATOMIC_RELAXED);
	__atomic_store_n(&st->nowned, FLOW_STEER_NB, __ATOMIC_RELEASE);
	if (running) {
		/* 2: no worker classifies by the old owners any more */
		core_grace(r);
		/* 3: the others classify what was steered to them before */
		for (int w = 0; w < nw; w++)
			while (w != to && rte_ring_count(st->ring[w]) && !r->stop)
				usleep(20);
		core_grace(r);
	}
	/* 4: the FCBs move; no worker touches these tables now */
	uint64_t moved = 0, dups = 0, lost = 0;
	for (int w = 0; w < nw; w++) {
		struct flow_table *t = m->tab[w];
		if (w == to || !t)
			continue;
		for (uint32_t i = 0; i < t->cap && t->count; i++) {
			struct flow_fcb *f = flow_table_fcb(t, i);
			if (!f->live)
				continue;
			int rc = flow_table_move(dt, t, f, core_fcb_held(m, f));
			if (rc < 0) {
				core_drop_flow(m, t, f);
				lost++;
				continue;
			}
			moved++;
			dups += rc == 1;
		}
	}
	st->moved += moved;
	st->dups += dups;
	st->lost += lost;
	st->moves++;
	/* 5: release: the target classifies its ring, then its own packets */
	__atomic_store_n(&st->held[to], 0, __ATOMIC_RELEASE);
	st->pause_ns = rt_now_ns() - t0;
	if (lost)
		return rt_errf(err, NULL, -ENOSPC,
			       "migrate %s core %d: %llu flows created during the move did not fit in worker %d's table "
			       "and ended (their held packets freed); %llu moved",
			       name, to, (unsigned long long)lost, to, (unsigned long long)moved);
	return 0;
}

int rt_ctl_migrate(struct rt_router *r, const char *name, const char *where, struct rt_buf *warn,
		   struct rt_err *err)
{
	RT_CTL_ENTRY(r, "migrate", name, err, rt_ctl_migrate(r, name, where, warn, err));
	struct el *e = rt_router_find(r, name);
	if (!e)
		return rt_errf(err, NULL, -ENOENT, "no element '%s'", name);
	if (!where || !*where)
		return rt_errf(err, NULL, -EINVAL, "migrate %s: say where to (cpu, opencl, cuda)", name);
	if (!strncasecmp(where, "core", 4)) {
		int to = core_parse(where);
		if (to < 0)
			return rt_errf(err, NULL, -EINVAL, "migrate %s %s: expected 'core N' (N a worker, 0 to %d)", name,
				       where, rt_router_nworkers(r) - 1);
		struct el *me = (e->cls->flags & EL_C_FLOW_MANAGER) ? e : e->flow_mgr;
		if (!me)
			return rt_errf(err, NULL, -EINVAL,
				       "migrate %s core %d: %s (%s) is not a flow manager nor behind one: only flows move "
				       "between workers",
				       name, to, name, e->cls->name);
		return core_move(r, name, me, to, err);
	}
	enum mig_kind k;
	int rc = mig_kind_parse(where, &k, err);
	if (rc < 0)
		return rc;
	if (!has_placement(e))
		return rt_errf(err, NULL, -EINVAL, "%s (%s) runs on the cpu only: it has no kernel to move", name,
			       e->cls->name);
	if ((rc = mig_available(k, err)) < 0) {
		rt_err_prefix(err, name);
		return rc;
	}
	char **argv;
	int argc = el_argv_split(e->config ? e->config : "", &argv);
	if (argc < 0)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	struct rt_buf args;
	rt_buf_init(&args);
	for (int i = 0; i < argc; i++) {
		const char *val;
		int kl = el_arg_keyword(argv[i], &val);
		if (kl == 9 && !strncmp(argv[i], "PLACEMENT", 9))
			continue;
		rt_buf_printf(&args, "%s, ", argv[i]);
	}
	rt_buf_printf(&args, "PLACEMENT %s", mig_kind_name(k));
	el_argv_free(argc, argv);
	rc = rt_ctl_reconfigure(r, name, args.p, warn, err);
	rt_buf_free(&args);
	return rc;
}

int rt_ctl_placements(struct rt_router *r, const char *name, bool json, struct rt_buf *out, struct rt_err *err)
{
	if (name && !*name)
		name = NULL;
	RT_CTL_ENTRY(r, "placements", name, err, rt_ctl_placements(r, name, json, out, err));
	int n = rt_router_nelements(r), shown = 0;
	if (json)
		rt_buf_puts(out, "[");
	for (int i = 0; i < n; i++) {
		struct el *e = rt_router_element(r, i);
		if ((name && *name && strcmp(e->name, name)) || !rt_ctl_visible(r, e))
			continue;
		struct mig_off *o = mig_off_of(e);
		if (!o) {
			if (name && *name)
				return rt_errf(err, NULL, -EINVAL, "%s (%s) runs on the cpu only", e->name, e->cls->name);
			continue;
		}
		if (json) {
			rt_buf_printf(out, "%s{\"element\": \"%s\", \"class\": \"%s\", \"placements\": ", shown ? ", " : "",
				      rt_ctl_name(r, e), e->cls->name);
			mig_off_placements_json(o, out); /* the array, then "auto" when on */
			rt_buf_puts(out, "}");
		} else {
			struct rt_buf v;
			rt_buf_init(&v);
			mig_off_placements(o, &v);
			rt_buf_printf(out, "%s (%s)\n", rt_ctl_name(r, e), e->cls->name);
			for (char *line = v.p, *nl; line && *line; line = nl) {
				nl = strchr(line, '\n');
				if (nl)
					*nl++ = 0;
				rt_buf_printf(out, "  %s\n", line);
			}
			rt_buf_free(&v);
		}
		shown++;
	}
	if (json)
		rt_buf_puts(out, "]\n");
	if (name && *name && !shown)
		return rt_errf(err, NULL, -ENOENT, "no element '%s'", name);
	return shown;
}
