/*
 * FlowManager - classifies packets into micro-flows once and attaches each
 * packet's flow control block (flow/flow.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "../../runtime/router.h"
#include "flow/flow.h"
#include "tenant/tn.h"

struct fm {
	struct flow_mgr m;      /* must come first (EL_C_FLOW_MANAGER) */
	char *def, *full, *asmap_path, *clock;
	uint64_t capacity, sweep, steer_ring;
	bool symmetric;
	struct flow_timeouts to;
	struct flow_keydef kd;
	enum flow_full on_full;
	int clock_mode;         /* 0 auto, 1 packet timestamps, 2 system clock */
	int nworkers;
	uint64_t swap_released; /* flows of the replaced manager ended at the swap (control thread) */
};

struct fm_pw {
	uint64_t now;           /* this worker's clock (never goes back) */
};

static inline uint64_t fm_clock(struct fm *s, struct fm_pw *pw, struct rt_batch *b)
{
	uint64_t ts = rt_anno(b->pkts[0])->timestamp, now;
	if (s->clock_mode == 1 || (s->clock_mode == 0 && ts))
		now = ts;
	else
		now = rt_now_ns();
	if (now > pw->now)
		pw->now = now;
	return pw->now;
}

static inline uint8_t fm_tclass(const struct flow_fcb *f)
{
	if (f->key.proto == IPPROTO_TCP) {
		if ((f->tcp & (FLOW_TCP_FIN_FWD | FLOW_TCP_FIN_REV)) == (FLOW_TCP_FIN_FWD | FLOW_TCP_FIN_REV))
			return FLOW_TO_CLOSED;
		return (f->tcp & FLOW_TCP_EST) ? FLOW_TO_TCP : FLOW_TO_SYN;
	}
	return f->key.proto == IPPROTO_UDP ? FLOW_TO_UDP : FLOW_TO_OTHER;
}

/* With packet time, a batch is classified at its first packet's time
 * while the others are within this of it. */
#define FM_TIME_STEP 100000000ull  /* 100 ms */

static void fm_classify(struct el_node *n, int port, struct rt_batch *b)
{
	struct fm *s = n->state;
	struct flow_table *t = s->m.tab[rt_wid];
	const struct flow_layout *L = n->flow_aux;
	uint64_t t0 = rt_anno(b->pkts[0])->timestamp;
	if (s->clock_mode != 2 && (t0 || s->clock_mode == 1)) {
		/* packet time: a batch replayed from a capture may span minutes;
		 * cut it where time steps on, so expiry sees each part's time */
		for (uint32_t i = 1; i < b->n; i++)
			if (unlikely(rt_anno(b->pkts[i])->timestamp > t0 + FM_TIME_STEP)) {
				struct rt_batch rest;
				rest.n = b->n - i;
				memcpy(rest.pkts, &b->pkts[i], sizeof(rest.pkts[0]) * rest.n);
				b->n = i;
				fm_classify(n, port, b);
				fm_classify(n, port, &rest);
				return;
			}
	}
	uint64_t now = fm_clock(s, el_pw(n->e), b);
	flow_table_expire(t, now, (uint32_t)s->sweep, flow_layout_release, (void *)L);

	struct flow_key keys[RT_BATCH_MAX];
	struct flow_key6 k6[RT_BATCH_MAX];  /* IPv6 keys' addresses (only written for them) */
	const bool v6 = s->kd.ipv6;         /* else the IPv4-only paths: no IPv6 test per packet */
	uint32_t hash[RT_BATCH_MAX], nk = 0;
	uint8_t slot[RT_BATCH_MAX], tcpf[RT_BATCH_MAX];
	bool swapped[RT_BATCH_MAX], is_new[RT_BATCH_MAX];
	struct flow_fcb *fcb[RT_BATCH_MAX];
	for (uint32_t i = 0; i < b->n; i++) {
		rte_prefetch0(rt_data(b->pkts[i]) + 14);
		rte_prefetch0(rt_anno(b->pkts[i]));
	}
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		rt_anno(m)->flow = NULL;
		rt_anno(m)->flags &= (uint8_t)~RT_AF_FLOW_REPLY;
		if (likely(v6 ? flow_key_extract_ext(&s->kd, m, &keys[nk], &k6[nk], &swapped[nk], &tcpf[nk])
			      : flow_key_extract(&s->kd, m, &keys[nk], &swapped[nk], &tcpf[nk]))) {
			hash[nk] = flow_hash(&keys[nk]);
			slot[i] = (uint8_t)nk++;
		} else {
			slot[i] = 0xff;
		}
	}
	t->st.pkts += b->n;
	t->st.nokey += b->n - nk;
	if (v6)
		flow_table_lookup_bulk_ext(t, keys, k6, hash, nk, now, fcb, is_new, flow_layout_release, (void *)L);
	else
		flow_table_lookup_bulk(t, keys, hash, nk, now, fcb, is_new, flow_layout_release, (void *)L);

	uint32_t out = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (slot[i] == 0xff) {
			b->pkts[out++] = m;
			continue;
		}
		uint32_t k = slot[i];
		struct flow_fcb *f = fcb[k];
		if (unlikely(f && (f->tcp & FLOW_TCP_RST))) {
			/* an RST earlier in this batch ended this flow: send what
			 * came before, let the flow go, and classify the rest
			 * again (rare: an RST followed by more of its flow) */
			struct rt_batch rest;
			rest.n = b->n - i;
			memcpy(rest.pkts, &b->pkts[i], sizeof(rest.pkts[0]) * rest.n);
			for (uint32_t j = i; j < b->n; j++)
				t->st.nokey -= slot[j] == 0xff;
			t->st.pkts -= rest.n;
			b->n = out;
			el_output(n, 0, b);
			fm_classify(n, 0, &rest);
			return;
		}
		if (unlikely(!f)) {
			if (s->on_full == FLOW_FULL_DROP) {
				rte_pktmbuf_free(m);
			} else {
				t->st.bypassed++;
				b->pkts[out++] = m;
			}
			continue;
		}
		if (is_new[k])
			f->swapped0 = swapped[k];
		bool reply = swapped[k] != f->swapped0;
		struct rt_anno *a = rt_anno(m);
		a->flow = f;
		if (reply)
			a->flags |= RT_AF_FLOW_REPLY;
		uint8_t tf = tcpf[k];
		if (tf) {
			if (tf & RTE_TCP_RST_FLAG)
				flow_table_close(t, f);
			if (tf & RTE_TCP_FIN_FLAG)
				f->tcp |= reply ? FLOW_TCP_FIN_REV : FLOW_TCP_FIN_FWD;
			if ((tf & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) != RTE_TCP_SYN_FLAG)
				f->tcp |= FLOW_TCP_EST;
		}
		flow_table_touch(t, f, fm_tclass(f), now);
		b->pkts[out++] = m;
	}
	b->n = out;
	el_output(n, 0, b);
}

/* ---- steering between workers (flow.h, struct flow_steer) --------------- */

/* Classify up to `max` packets of worker w's inbound ring, oldest first. */
static uint32_t fm_drain(struct el_node *n, unsigned w, uint32_t max)
{
	struct flow_steer *st = ((struct fm *)n->state)->m.steer;
	uint32_t got = 0;
	while (got < max) {
		struct rt_batch b;
		b.n = rte_ring_sc_dequeue_burst(st->ring[w], (void **)b.pkts, RT_MIN(max - got, RT_BATCH_MAX), NULL);
		if (!b.n)
			break;
		got += b.n;
		fm_classify(n, 0, &b);
	}
	st->pw[w].drained += got;
	return got;
}

/* A batch while buckets have owners: what an owner classifies here stays
 * (after what its ring holds: those packets came first), the rest goes to
 * its owner's ring in arrival order (to this worker's own ring while it is
 * held); packets without a key pass at once, touching no table. */
static void fm_steer(struct el_node *n, int port, struct rt_batch *b)
{
	struct fm *s = n->state;
	struct flow_steer *st = s->m.steer;
	unsigned w = rt_wid;
	struct flow_table *t = s->m.tab[w];
	/* what the ring holds now, then the owners, then held: a migration
	 * stores held before the owners, so a packet steered by the new owners
	 * (in the ring, or found ours below) is seen with held set */
	uint32_t inring = rte_ring_count(st->ring[w]);
	enum { LOCAL = 0xfffe, SENT = 0xfffd };
	uint16_t dst[RT_BATCH_MAX];
	struct rt_batch local, nokey;
	local.n = nokey.n = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		struct flow_key k;
		struct flow_key6 k6;
		bool sw;
		uint8_t tf;
		dst[i] = SENT;
		if (!flow_key_extract_ext(&s->kd, m, &k, &k6, &sw, &tf)) {
			rt_anno(m)->flow = NULL;
			rt_anno(m)->flags &= (uint8_t)~RT_AF_FLOW_REPLY;
			nokey.pkts[nokey.n++] = m;
			continue;
		}
		dst[i] = __atomic_load_n(&st->owner[flow_steer_bucket(flow_hash(&k))], __ATOMIC_RELAXED);
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	bool held = __atomic_load_n(&st->held[w], __ATOMIC_ACQUIRE);
	if (!held && inring)
		fm_drain(n, w, inring);  /* steered here before: older than ours */
	for (uint32_t i = 0; i < b->n; i++) {
		uint16_t o = dst[i];
		if (o == SENT)
			continue;
		if (o == FLOW_STEER_ANY || (o == w && !held)) {
			local.pkts[local.n++] = b->pkts[i];
			dst[i] = SENT;
		}
	}
	for (uint32_t i = 0; i < b->n; i++) {
		if (dst[i] == SENT)
			continue;
		uint16_t o = dst[i];
		void *q[RT_BATCH_MAX];
		uint32_t nq = 0;
		for (uint32_t j = i; j < b->n; j++)
			if (dst[j] == o) {
				q[nq++] = b->pkts[j];
				dst[j] = SENT;
			}
		uint32_t put = rte_ring_mp_enqueue_burst(st->ring[o], q, nq, NULL);
		st->pw[w].fwd += put;
		if (unlikely(put < nq)) {
			st->pw[w].drops += nq - put;  /* the owner's ring is full */
			rte_pktmbuf_free_bulk((struct rte_mbuf **)&q[put], nq - put);
		}
	}
	b->n = 0;
	if (nokey.n) {
		t->st.pkts += nokey.n;
		t->st.nokey += nokey.n;
		el_output(n, 0, &nokey);
	}
	if (local.n)
		fm_classify(n, port, &local);
}

static void fm_push(struct el_node *n, int port, struct rt_batch *b)
{
	struct fm *s = n->state;
	if (likely(!__atomic_load_n(&s->m.steer->nowned, __ATOMIC_RELAXED)))
		fm_classify(n, port, b);
	else
		fm_steer(n, port, b);
}

/* Every worker: classify what other workers steered here (unless held). */
static int fm_run(struct el_node *n)
{
	struct flow_steer *st = ((struct fm *)n->state)->m.steer;
	unsigned w = rt_wid;
	if (likely(!__atomic_load_n(&st->nowned, __ATOMIC_RELAXED)))
		return 0;
	/* the count first, then held (see fm_steer): packets steered here
	 * by a migration that holds this worker are seen with held set */
	uint32_t c = rte_ring_count(st->ring[w]);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (!c || __atomic_load_n(&st->held[w], __ATOMIC_ACQUIRE))
		return 0;
	return (int)fm_drain(n, w, c);
}

static const struct el_arg args[] = {
	{"DEF", EL_T_WORD, offsetof(struct fm, def), "5TUPLE", EL_ARG_POS,
	 "flow definition: 5TUPLE, IPPAIR or ASPAIR (source and destination AS, with ASMAP)"},
	{"CAPACITY", EL_T_UINT, offsetof(struct fm, capacity), "65536", 0, "flows per worker"},
	{"TIMEOUT_TCP", EL_T_TIME, offsetof(struct fm, to.t[FLOW_TO_TCP]), "300s", 0, "idle timeout of established TCP flows"},
	{"TIMEOUT_SYN", EL_T_TIME, offsetof(struct fm, to.t[FLOW_TO_SYN]), "10s", 0,
	 "idle timeout of TCP flows that have seen only SYNs (half-open)"},
	{"TIMEOUT_CLOSED", EL_T_TIME, offsetof(struct fm, to.t[FLOW_TO_CLOSED]), "2s", 0,
	 "idle timeout of TCP flows after FIN in both directions (RST ends a flow at once)"},
	{"TIMEOUT_UDP", EL_T_TIME, offsetof(struct fm, to.t[FLOW_TO_UDP]), "30s", 0, "idle timeout of UDP flows"},
	{"TIMEOUT_OTHER", EL_T_TIME, offsetof(struct fm, to.t[FLOW_TO_OTHER]), "30s", 0,
	 "idle timeout of other flows (ICMP, and every flow of IPPAIR and ASPAIR)"},
	{"FULL", EL_T_WORD, offsetof(struct fm, full), "DROP", 0,
	 "when the table is full: DROP the packet, or BYPASS (it continues without a flow)"},
	{"RESERVE", EL_T_BYTES, offsetof(struct fm, m.reserve), "256", 0,
	 "bytes of per-flow element state in each FCB (room for elements added live)"},
	{"SYMMETRIC", EL_T_BOOL, offsetof(struct fm, symmetric), "false", 0,
	 "both directions of a connection are one flow"},
	{"ASMAP", EL_T_STRING, offsetof(struct fm, asmap_path), NULL, 0,
	 "file of 'PREFIX AS' lines for DEF ASPAIR"},
	{"IPV6", EL_T_BOOL, offsetof(struct fm, kd.ipv6), "false", 0,
	 "classify IPv6 packets too (5TUPLE, IPPAIR; 32 bytes more per flow for the addresses)"},
	{"SWEEP", EL_T_UINT, offsetof(struct fm, sweep), "16", 0,
	 "flows at the heads of the timeout lists looked at per batch (bounds expiry work)"},
	{"STEER_RING", EL_T_UINT, offsetof(struct fm, steer_ring), "65536", 0,
	 "packets each worker's inbound ring holds for flows moved to it (migrate NAME core N; a power of two)"},
	{"CLOCK", EL_T_WORD, offsetof(struct fm, clock), "AUTO", 0,
	 "time for timeouts: PACKET (timestamp annotations), SYSTEM, or AUTO (timestamps when set)"},
	EL_ARGS_END,
};

static int fm_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	(void)argc, (void)argv;
	struct fm *s = e->state;
	if (!strcmp(s->def, "5TUPLE"))
		s->kd.def = FLOW_DEF_5TUPLE;
	else if (!strcmp(s->def, "IPPAIR"))
		s->kd.def = FLOW_DEF_IPPAIR;
	else if (!strcmp(s->def, "ASPAIR"))
		s->kd.def = FLOW_DEF_ASPAIR;
	else
		return rt_errf(err, &e->loc, -EINVAL, "%s: DEF: expected 5TUPLE, IPPAIR or ASPAIR, not '%s'", e->name,
			       s->def);
	if (s->kd.ipv6 && s->kd.def == FLOW_DEF_ASPAIR)
		return rt_errf(err, &e->loc, -EINVAL, "%s: IPV6 goes with DEF 5TUPLE or IPPAIR (ASMAP is IPv4)", e->name);
	if ((s->kd.def == FLOW_DEF_ASPAIR) != (s->asmap_path != NULL))
		return rt_errf(err, &e->loc, -EINVAL, "%s: ASMAP goes with DEF ASPAIR, and only with it", e->name);
	if (!strcmp(s->full, "DROP"))
		s->on_full = FLOW_FULL_DROP;
	else if (!strcmp(s->full, "BYPASS"))
		s->on_full = FLOW_FULL_BYPASS;
	else
		return rt_errf(err, &e->loc, -EINVAL, "%s: FULL: expected DROP or BYPASS, not '%s'", e->name, s->full);
	if (!strcmp(s->clock, "AUTO"))
		s->clock_mode = 0;
	else if (!strcmp(s->clock, "PACKET"))
		s->clock_mode = 1;
	else if (!strcmp(s->clock, "SYSTEM"))
		s->clock_mode = 2;
	else
		return rt_errf(err, &e->loc, -EINVAL, "%s: CLOCK: expected AUTO, PACKET or SYSTEM, not '%s'", e->name,
			       s->clock);
	if (s->capacity < 1 || s->capacity > (1u << 26))
		return rt_errf(err, &e->loc, -ERANGE, "%s: CAPACITY must be 1 to 67108864", e->name);
	if (s->steer_ring < 64 || s->steer_ring > (1u << 24) || (s->steer_ring & (s->steer_ring - 1)))
		return rt_errf(err, &e->loc, -ERANGE, "%s: STEER_RING must be a power of two from 64 to 16777216", e->name);
	if (s->m.reserve > 65536)
		return rt_errf(err, &e->loc, -ERANGE, "%s: RESERVE must be at most 64k", e->name);
	s->kd.symmetric = s->symmetric;
	s->m.def = s->kd.def;
	return 0;
}

static void fm_free_held(void *ctx, struct flow_table *t, struct flow_fcb *f)
{
	struct fm *s = ctx;
	struct flow_layout L = {.nholds = s->m.nholds};
	memcpy(L.hold_off, s->m.hold_off, sizeof(L.hold_off));
	memcpy(L.hold_n, s->m.hold_n, sizeof(L.hold_n));
	flow_layout_release(&L, t, f);
}

struct fm_swap {
	struct fm *old, *new;
};

/* One flow of the replaced manager: its held packets go, and every
 * element that outlives the manager gets its release callback with its
 * slot in the old FCB. */
static void fm_swap_release(void *ctx, struct flow_table *t, struct flow_fcb *f)
{
	struct fm_swap *c = ctx;
	fm_free_held(c->old, t, f);
	uint8_t *data = (uint8_t *)f + FLOW_FCB_HDR;
	for (int k = 0; k < c->new->m.nprev; k++) {
		const struct flow_layout_slot *sl = &c->new->m.prev[k];
		if (sl->release)
			sl->release(sl->e, data + sl->off);
	}
	c->new->swap_released++;
}

/* Replacing a manager (a swap, a reconfiguration): its flows end here, and
 * the elements kept behind the replacement get their release callbacks (a
 * kept FlowNAPT gets its ports back).  The live layer calls this after a
 * grace period, while the replacement's input is still held: no worker
 * runs the kept elements' flow path, so a callback may touch the state of
 * the worker whose table the flow was in (rt_wid is set to it meanwhile).
 * Flows do not move to the new tables: their FCB layout changed. */
static int fm_take_state(struct el *e, struct el *oe, struct rt_err *err)
{
	(void)err;
	struct fm_swap c = {oe->state, e->state};
	unsigned me = rt_wid;
	for (int w = 0; w < RT_MAX_WORKERS; w++) {
		struct flow_table *t = c.old->m.tab[w];
		if (!t)
			continue;
		rt_wid = (unsigned)w;
		flow_table_free(t, fm_swap_release, &c);
		c.old->m.tab[w] = NULL;
	}
	rt_wid = me;
	c.new->m.nprev = 0;
	return 0;
}

static void fm_cleanup(struct el *e)
{
	struct fm *s = e->state;
	struct flow_steer *st = s->m.steer;
	for (int w = 0; st && w < RT_MAX_WORKERS; w++) {
		void *m;
		if (!st->ring[w])
			continue;
		while (rte_ring_sc_dequeue(st->ring[w], &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(st->ring[w]);
	}
	rte_free(st);
	s->m.steer = NULL;
	for (int w = 0; w < RT_MAX_WORKERS; w++) {
		flow_table_free(s->m.tab[w], fm_free_held, s);
		s->m.tab[w] = NULL;
	}
	if (s->kd.asmap)
		rte_lpm_free(s->kd.asmap);
	s->kd.asmap = NULL;
}

static int fm_init(struct el *e, struct rt_err *err)
{
	struct fm *s = e->state;
	s->nworkers = rt_router_nworkers(e->router);
	if (s->kd.def == FLOW_DEF_ASPAIR) {
		char name[64];
		snprintf(name, sizeof(name), "fm_as_%d", e->uid);
		if (!(s->kd.asmap = flow_asmap_load(s->asmap_path, name, err))) {
			err->loc = e->loc;
			rt_err_prefix(err, e->name);
			return err->code;
		}
	}
	for (int w = 0; w < s->nworkers; w++)
		if (!(s->m.tab[w] = flow_table_new_ext((uint32_t)s->capacity, (uint32_t)s->m.reserve, &s->to, SOCKET_ID_ANY,
						       s->kd.ipv6))) {
			fm_cleanup(e);
			return rt_errf(err, &e->loc, -ENOMEM, "%s: no memory for %llu flows", e->name,
				       (unsigned long long)s->capacity);
		}
	for (int w = 0; w < s->nworkers; w++) /* its tenant's flow quota (docs/tenants.md) */
		s->m.tab[w]->quota = tn_flow_quota(e->router, e->tenant, w);
	/* steering between workers: every bucket stays where it arrives until
	 * a migration gives it an owner; each worker drains its ring (a task
	 * on every worker, idle until then) */
	s->m.nworkers = s->nworkers;
	if (!(s->m.steer = rte_zmalloc("fm_steer", sizeof(*s->m.steer), RTE_CACHE_LINE_SIZE))) {
		fm_cleanup(e);
		return rt_errf(err, &e->loc, -ENOMEM, "%s: no memory for its steering table", e->name);
	}
	for (int b = 0; b < FLOW_STEER_NB; b++)
		s->m.steer->owner[b] = FLOW_STEER_ANY;
	for (int w = 0; w < s->nworkers; w++) {
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "fm%d_w%d", e->uid, w);
		if (!(s->m.steer->ring[w] = rte_ring_create(name, (unsigned)s->steer_ring, SOCKET_ID_ANY, RING_F_SC_DEQ))) {
			fm_cleanup(e);
			return rt_errf(err, &e->loc, -ENOMEM, "%s: no memory for a steering ring of %llu packets", e->name,
				       (unsigned long long)s->steer_ring);
		}
	}
	e->thread = EL_THREAD_ALL;
	return 0;
}

enum { H_COUNT, H_FLOWS, H_INSERTED, H_EXPIRED, H_CLOSED, H_FULL, H_BYPASSED, H_NOKEY, H_HELD_FREED, H_CAPACITY,
       H_BPF, H_USED, H_SWAP, H_STEERED, H_STEER_DROPS, H_MOVES, H_MOVED, H_PAUSE };

static int fm_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct fm *s = e->state;
	uint64_t v = 0;
	if (what == H_SWAP) {
		rt_buf_printf(out, "%llu", (unsigned long long)s->swap_released);
		return 0;
	}
	if (what >= H_STEERED) {
		const struct flow_steer *st = s->m.steer;
		for (int w = 0; st && w < s->nworkers; w++)
			v += what == H_STEERED	       ? __atomic_load_n(&st->pw[w].fwd, __ATOMIC_RELAXED)
			     : what == H_STEER_DROPS ? __atomic_load_n(&st->pw[w].drops, __ATOMIC_RELAXED)
						     : 0;
		if (st && what == H_MOVES)
			v = st->moves;
		if (st && what == H_MOVED)
			v = st->moved;
		if (st && what == H_PAUSE)
			v = st->pause_ns / 1000;
		rt_buf_printf(out, "%llu", (unsigned long long)v);
		return 0;
	}
	for (int w = 0; w < s->nworkers; w++) {
		const struct flow_table *t = s->m.tab[w];
		if (!t)
			continue;  /* handed over by take_state */
		const struct flow_stats *st = &t->st;
		switch (what) {
		case H_COUNT: v += __atomic_load_n(&st->pkts, __ATOMIC_RELAXED); break;
		case H_FLOWS: v += __atomic_load_n(&t->count, __ATOMIC_RELAXED); break;
		case H_INSERTED: v += __atomic_load_n(&st->inserted, __ATOMIC_RELAXED); break;
		case H_EXPIRED: v += __atomic_load_n(&st->expired, __ATOMIC_RELAXED); break;
		case H_CLOSED: v += __atomic_load_n(&st->closed, __ATOMIC_RELAXED); break;
		case H_FULL: v += s->on_full == FLOW_FULL_DROP ? __atomic_load_n(&st->full, __ATOMIC_RELAXED) : 0; break;
		case H_BYPASSED: v += __atomic_load_n(&st->bypassed, __ATOMIC_RELAXED); break;
		case H_NOKEY: v += __atomic_load_n(&st->nokey, __ATOMIC_RELAXED); break;
		case H_HELD_FREED: v += __atomic_load_n(&st->held_freed, __ATOMIC_RELAXED); break;
		case H_CAPACITY: v += t->cap; break;
		case H_BPF: v = flow_table_bytes_per_flow(t); break;
		case H_USED: v = s->m.used; break;
		}
	}
	rt_buf_printf(out, "%llu", (unsigned long long)v);
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", fm_read, NULL, H_COUNT, 0, "packets seen"},
	{"flows", fm_read, NULL, H_FLOWS, 0, "flows in the tables now (all workers)"},
	{"inserted", fm_read, NULL, H_INSERTED, 0, "flows created"},
	{"expired", fm_read, NULL, H_EXPIRED, 0, "flows ended by their idle timeout"},
	{"closed", fm_read, NULL, H_CLOSED, 0, "TCP flows ended by RST"},
	{"full_drops", fm_read, NULL, H_FULL, 0, "packets dropped because the table was full (FULL DROP)"},
	{"bypassed", fm_read, NULL, H_BYPASSED, 0, "packets passed without a flow because the table was full (FULL BYPASS)"},
	{"nokey", fm_read, NULL, H_NOKEY, 0, "packets passed without a flow because they carry no IPv4 header (nor IPv6, with IPV6)"},
	{"held_freed", fm_read, NULL, H_HELD_FREED, 0, "held packets freed when their flow ended"},
	{"capacity", fm_read, NULL, H_CAPACITY, 0, "flows the tables can hold (all workers)"},
	{"bytes_per_flow", fm_read, NULL, H_BPF, 0, "memory per flow of capacity: buckets, FCB, free list"},
	{"reserve_used", fm_read, NULL, H_USED, 0, "FCB bytes assigned to flow elements (of RESERVE)"},
	{"swap_released", fm_read, NULL, H_SWAP, 0,
	 "flows of the manager this one replaced, ended at the swap with their elements' release callbacks"},
	{"steered", fm_read, NULL, H_STEERED, 0,
	 "packets handed to the worker that owns their flows (after migrate NAME core N)"},
	{"steer_drops", fm_read, NULL, H_STEER_DROPS, 0, "packets dropped because the owner's inbound ring was full"},
	{"core_moves", fm_read, NULL, H_MOVES, 0, "migrations of its flows between workers (migrate NAME core N)"},
	{"core_moved_flows", fm_read, NULL, H_MOVED, 0, "flows moved between workers by those migrations"},
	{"core_pause_us", fm_read, NULL, H_PAUSE, 0,
	 "the last such migration: microseconds the target worker held its flows' packets"},
	EL_HANDLERS_END,
};

static struct el_class fm_class = {
	.name = "FlowManager",
	.sig = "FlowManager([DEF, KEYWORDS])",
	.summary = "classifies packets into flows and attaches their flow control block",
	.doc = "Classifies each IPv4 packet into a micro-flow by its flow definition (DEF): the 5-tuple "
	       "(TCP and UDP ports; ICMP echo identifier), the address pair (IPPAIR) or a user-defined key, "
	       "ASPAIR: the source and destination autonomous systems found in the prefix table ASMAP. With "
	       "SYMMETRIC both directions are one flow, and replies carry the flow-reply annotation. The IPv4 "
	       "header is found at the network-header annotation, or else after an Ethernet header; packets "
	       "without one pass without a flow. With IPV6 true, IPv6 packets are classified too (5TUPLE and "
	       "IPPAIR; extension headers skipped, fragments with ports 0, ICMPv6 echo by identifier); "
	       "otherwise they pass without a flow.\n\n"
	       "Each worker has its own table of CAPACITY flows, looked up a batch at a time. Every flow has a "
	       "flow control block (FCB) in which each flow element downstream (FlowCounter, FlowFirewall, "
	       "FlowNAPT, FlowLB, FlowRateLimit...) has a slot laid out when the graph is compiled, within "
	       "RESERVE bytes: elements get their per-flow state from the packet, with no table of their own. "
	       "Flows end after an idle timeout by protocol (TCP: half-open, established, closed by FINs; an "
	       "RST ends the flow at once); the elements' release callbacks run then, and packets they hold "
	       "are freed. A full table drops the packet or lets it BYPASS, counted either way. When the manager "
	       "is replaced live (a swap, a reconfiguration) its flows end: the elements kept behind the "
	       "replacement get their release callbacks for them (`swap_released`).\n\n"
	       "`migrate NAME core N` moves all its flows, with their FCBs, to worker N: from then on "
	       "the other workers hand their packets to N through N's inbound ring (STEER_RING), with no loss "
	       "and no reordering (docs/placement.md). See docs/flows.md.",
	.ports = "1/1",
	.state_size = sizeof(struct fm),
	.pw_size = sizeof(struct fm_pw),
	.args = args,
	.configure = fm_configure,
	.init = fm_init,
	.cleanup = fm_cleanup,
	.push = fm_push,
	.run = fm_run,
	.take_state = fm_take_state,
	.handlers = handlers,
	.flags = EL_C_FLOW_MANAGER,
};
EL_REGISTER(fm_class)
