/*
 * flow_layout.c - flow control block layout, done when a graph is compiled
 * (graph.c calls flow_plan_compile), and the release of a flow's slots.
 *
 * Every flow-aware element (el_class.flow_size or flow_hold) reachable from
 * a flow manager, without passing another manager, gets a slot in that
 * manager's FCB.  Two elements conflict when one is reachable from the
 * other (a packet can see both); conflicting slots never overlap, others
 * (parallel branches) may share bytes.  Slots of elements that survive a
 * live change stay where they are, since live flows keep their FCBs; so
 * does the slot of an element replaced by one of the same class and name (a
 * swap, a reconfiguration, a migration to another placement): the new
 * instance finds its flows' state (and held packets) where the old one left it; new
 * slots go above every byte ever assigned in that manager (bytes of removed
 * elements may still hold their old data in live flows), and a change that
 * does not fit the manager's RESERVE is refused.  An element kept while its
 * manager is replaced (by one of the same name) gets a new slot in the
 * replacement, which notes the old one (flow_mgr.prev) so that its
 * take_state can run the element's release callback for each old flow.
 * Control thread only; the
 * work is O(elements * connections) per manager.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_malloc.h>

#include "runtime/router_int.h"
#include "flow.h"

static bool is_mgr(const struct el *e) { return (e->cls->flags & EL_C_FLOW_MANAGER) != 0; }
static bool is_aware(const struct el *e) { return e->cls->flow_size || e->cls->flow_hold; }

static uint32_t slot_size(const struct el_class *c)
{
	uint32_t s = RTE_ALIGN_CEIL(c->flow_size, 8);
	if (c->flow_hold)
		s += (uint32_t)sizeof(struct flow_held) + 8u * c->flow_hold;
	return RT_MAX(s, 8u);
}

/* Mark in seen[] the elements reachable from element `from` (not itself
 * unless on a cycle), not passing through flow managers, nor through
 * tasks (queues) when stop_at_tasks. */
static void reach(const struct rt_graph *g, int from, bool *seen, int *stack, bool stop_at_tasks)
{
	int sp = 0;
	stack[sp++] = from;
	while (sp) {
		int i = stack[--sp];
		for (int k = 0; k < g->nconns; k++) {
			int j = g->conns[k].to;
			if (g->conns[k].from != i || seen[j])
				continue;
			seen[j] = true;
			if (!is_mgr(g->els[j]) && !(stop_at_tasks && g->els[j]->cls->run))
				stack[sp++] = j;
		}
	}
}

static bool overlaps(uint32_t a, uint32_t as, uint32_t b, uint32_t bs) { return a < b + bs && b < a + as; }

static bool in_graph(const struct rt_graph *g, const struct el *e)
{
	for (int i = 0; i < g->nels; i++)
		if (g->els[i] == e)
			return true;
	return false;
}

/* May i and j not share bytes?  Both behind one manager and one reachable
 * from the other; hold areas never share (releasing a flow reads them). */
static bool conflicts(const struct rt_graph *g, const bool *conf, const int *owner, int i, int j)
{
	int n = g->nels;
	if (owner[i] != owner[j])
		return false;
	return conf[(size_t)i * n + j] || conf[(size_t)j * n + i] || g->els[i]->cls->flow_hold ||
	       g->els[j]->cls->flow_hold;
}

int flow_plan_compile(const struct rt_graph *g, struct el_node **nodes, struct rt_err *err)
{
	int n = g->nels, rc = 0;
	if (!n)
		return 0;
	int *owner = malloc(sizeof(int) * (size_t)n), *stack = malloc(sizeof(int) * ((size_t)n + 1));
	uint32_t *off = calloc((size_t)n, sizeof(uint32_t));
	bool *placed = calloc((size_t)n, sizeof(bool)), *kept = calloc((size_t)n, sizeof(bool));
	bool *inherit = calloc((size_t)n, sizeof(bool));
	bool *conf = calloc((size_t)n * (size_t)n, sizeof(bool)); /* conf[i*n+j]: j reachable from i */
	for (int i = 0; i < n; i++)
		owner[i] = -1;
	for (int m = 0; m < n && !rc; m++) {
		if (!is_mgr(g->els[m]))
			continue;
		bool *seen = calloc((size_t)n, sizeof(bool)), *direct = calloc((size_t)n, sizeof(bool));
		reach(g, m, seen, stack, false);
		reach(g, m, direct, stack, true);
		for (int i = 0; i < n && !rc; i++) {
			if (!seen[i] || !is_aware(g->els[i]) || is_mgr(g->els[i]))
				continue;
			struct el *e = g->els[i];
			if (!direct[i])
				/* a packet waiting in a queue may outlive its flow's FCB */
				rc = rt_errf(err, &e->loc, -EINVAL,
					     "'%s' is behind a queue from flow manager '%s': flows may end while packets "
					     "wait there (put the manager after the queue)",
					     e->name, g->els[m]->name);
			else if (owner[i] >= 0)
				rc = rt_errf(err, &e->loc, -EINVAL, "'%s' is downstream of two flow managers, '%s' and '%s'",
					     e->name, g->els[owner[i]]->name, g->els[m]->name);
			else if (e->flow_mgr && e->flow_mgr != g->els[m] && in_graph(g, e->flow_mgr))
				rc = rt_errf(err, &e->loc, -EINVAL,
					     "'%s' keeps its flow state in '%s': it cannot move behind '%s' while flows live",
					     e->name, e->flow_mgr->name, g->els[m]->name);
			owner[i] = m;
			kept[i] = e->flow_mgr == g->els[m];
			/* the running element it replaces (same name and class,
			 * same manager) hands its slot over, with the packets
			 * it holds there (a class's hold area has one size, and
			 * its offset is already in the manager's hold list) */
			struct el *prev = e->flow_mgr || !e->router ? NULL : rt_router_find(e->router, e->name);
			if (prev && prev != e && prev->cls == e->cls && prev->flow_mgr == g->els[m]) {
				kept[i] = inherit[i] = true;
				off[i] = prev->flow_off;
			}
		}
		free(seen);
		free(direct);
	}
	for (int i = 0; i < n && !rc; i++)
		if (owner[i] >= 0) {
			bool *row = &conf[(size_t)i * (size_t)n];
			reach(g, i, row, stack, false);
		}
	/* kept slots stay; check they still do not overlap */
	for (int i = 0; i < n && !rc; i++) {
		if (owner[i] < 0 || !kept[i])
			continue;
		if (!inherit[i])
			off[i] = g->els[i]->flow_off;
		placed[i] = true;
		for (int j = 0; j < i && !rc; j++)
			if (placed[j] && conflicts(g, conf, owner, i, j) &&
			    overlaps(off[i], slot_size(g->els[i]->cls), off[j], slot_size(g->els[j]->cls)))
				rc = rt_errf(err, &g->els[i]->loc, -EINVAL,
					     "'%s' and '%s' would share flow state bytes: remove one, or restart '%s'",
					     g->els[i]->name, g->els[j]->name, g->els[owner[i]]->name);
	}
	/* new slots: lowest offset that overlaps no conflicting slot */
	for (int i = 0; i < n && !rc; i++) {
		if (owner[i] < 0 || placed[i])
			continue;
		struct el *e = g->els[i];
		struct flow_mgr *M = g->els[owner[i]]->state;
		uint32_t sz = slot_size(e->cls), o = M->compiled ? M->used : 0;
		for (bool moved = true; moved;) {
			moved = false;
			for (int j = 0; j < n; j++)
				if (placed[j] && conflicts(g, conf, owner, i, j) &&
				    overlaps(o, sz, off[j], slot_size(g->els[j]->cls))) {
					o = off[j] + slot_size(g->els[j]->cls);
					moved = true;
				}
		}
		if ((uint64_t)o + sz > M->reserve)
			rc = rt_errf(err, &e->loc, -ENOSPC,
				     "'%s' needs %u bytes of flow state at offset %u, but '%s' reserves %llu (RESERVE)",
				     e->name, sz, o, g->els[owner[i]]->name, (unsigned long long)M->reserve);
		off[i] = o;
		placed[i] = true;
	}
	int nslots[n], nholds_new[n];
	memset(nslots, 0, sizeof(nslots));
	memset(nholds_new, 0, sizeof(nholds_new));
	for (int i = 0; i < n && !rc; i++)
		if (owner[i] >= 0) {
			struct flow_mgr *M = g->els[owner[i]]->state;
			if (++nslots[owner[i]] > FLOW_MAX_SLOTS ||
			    (!kept[i] && g->els[i]->cls->flow_hold &&
			     M->nholds + ++nholds_new[owner[i]] > FLOW_MAX_SLOTS))
				rc = rt_errf(err, &g->els[i]->loc, -ENOSPC, "'%s': more than %d flow elements behind '%s'",
					     g->els[i]->name, FLOW_MAX_SLOTS, g->els[owner[i]]->name);
		}
	if (rc)
		goto out;
	/* commit: element offsets, managers' high-water marks and hold lists */
	for (int i = 0; i < n; i++) {
		struct el *e = g->els[i];
		if (owner[i] < 0) {
			if (e->flow_mgr && !in_graph(g, e->flow_mgr))
				e->flow_mgr = NULL;  /* its manager goes with the old graph */
			continue;
		}
		struct flow_mgr *M = g->els[owner[i]]->state;
		if (inherit[i]) {
			e->flow_mgr = g->els[owner[i]];
			e->flow_off = off[i];
		} else if (!kept[i]) {
			struct el *was = e->flow_mgr;
			if (was && !in_graph(g, was) && !strcmp(was->name, g->els[owner[i]]->name) && M->nprev < FLOW_MAX_SLOTS)
				/* its manager is being replaced: the replacement's
				 * take_state releases the old flows' slots */
				M->prev[M->nprev++] = (struct flow_layout_slot){
					e, e->flow_off, slot_size(e->cls), e->cls->flow_hold,
					e->flow_off + RTE_ALIGN_CEIL(e->cls->flow_size, 8), e->cls->flow_release};
			e->flow_mgr = g->els[owner[i]];
			e->flow_off = off[i];
			if (e->cls->flow_hold) {
				M->hold_off[M->nholds] = off[i] + RTE_ALIGN_CEIL(e->cls->flow_size, 8);
				M->hold_n[M->nholds++] = e->cls->flow_hold;
			}
		}
		M->used = RT_MAX(M->used, off[i] + slot_size(e->cls));
		nodes[i]->flow_off = FLOW_FCB_HDR + e->flow_off;
	}
	for (int m = 0; m < n && !rc; m++) {
		if (!is_mgr(g->els[m]))
			continue;
		struct flow_mgr *M = g->els[m]->state;
		struct flow_layout *L = rte_zmalloc("flow_layout", sizeof(*L), RTE_CACHE_LINE_SIZE);
		if (!L) {
			rc = rt_errf(err, NULL, -ENOMEM, "out of memory laying out flow state");
			break;
		}
		for (int i = 0; i < n; i++)
			if (owner[i] == m) {
				struct el *e = g->els[i];
				L->slots[L->nslots++] = (struct flow_layout_slot){
					e, e->flow_off, slot_size(e->cls), e->cls->flow_hold,
					e->flow_off + RTE_ALIGN_CEIL(e->cls->flow_size, 8), e->cls->flow_release};
			}
		L->nholds = M->nholds;
		memcpy(L->hold_off, M->hold_off, sizeof(L->hold_off));
		memcpy(L->hold_n, M->hold_n, sizeof(L->hold_n));
		M->compiled = true;
		nodes[m]->flow_aux = L;
	}
out:
	free(owner);
	free(stack);
	free(off);
	free(placed);
	free(kept);
	free(inherit);
	free(conf);
	return rc;
}

void flow_plan_free(struct el_node **nodes, int n)
{
	for (int i = 0; nodes && i < n; i++)
		if (nodes[i] && nodes[i]->flow_aux) {
			rte_free(nodes[i]->flow_aux);
			nodes[i]->flow_aux = NULL;
		}
}

void flow_layout_release(void *ctx, struct flow_table *t, struct flow_fcb *f)
{
	const struct flow_layout *L = ctx;
	uint8_t *data = (uint8_t *)f + FLOW_FCB_HDR;
	for (int k = 0; k < L->nholds; k++) {
		struct flow_held *h = (struct flow_held *)(data + L->hold_off[k]);
		if (h->n) {
			t->st.held_freed += h->n;
			if (t->quota)
				t->quota->held -= h->n;
			rte_pktmbuf_free_bulk(h->pkts, h->n);
			h->n = 0;
		}
	}
	for (int k = 0; k < L->nslots; k++)
		if (L->slots[k].release)
			L->slots[k].release(L->slots[k].e, data + L->slots[k].off);
}
