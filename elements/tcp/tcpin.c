/*
 * TCPIn - an in-order byte stream per direction of each TCP flow, behind
 * a symmetric FlowManager: out-of-order segments wait in the flow's hold
 * area until the gap fills, retransmitted bytes are dropped (or passed),
 * overlapping bytes that differ keep their first-seen version.  The
 * stream state (flow/flow_stream.h) also carries the edit lists that
 * byte-editing elements fill and TCPOut applies.
 *
 * Per packet: one parse, one comparison with the direction's next
 * position; held segments are looked at only when a segment was
 * delivered (at most FS_HOLD of them).
 */
#include <errno.h>
#include <stdlib.h>

#include "flow/flow_stream.h"

struct tin {
	struct fs_anchor *anchor;  /* first: flow_stream_attach finds it there */
	struct fs_anchor *prev;    /* the anchor of the TCPIn it replaced (its users may remain) */
	char *retransmit;
	uint64_t timeout;       /* ns a hole may stay open */
	bool pass;
};

struct tin_pw {
	uint64_t pkts, delivered, held, released, retransmits, inconsistent, trimmed, overflow;
	uint64_t hole_timeouts, gap_bytes, noflow, nontcp, stale;
};

enum { TIN_DELIVER, TIN_HOLD, TIN_DROP };

/* Compare the bytes of p at stream positions [r, r + n) of d with the
 * delivered ones still in the window; where they differ the packet takes
 * the first-seen bytes.  Returns true when any differed. */
static bool tin_check_old(const struct fs_dir *d, uint8_t *pay, uint32_t r, uint32_t n)
{
	bool diff = false;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t q = r + i;
		if (fs_diff(q, d->next - FS_WIN) < 0 || fs_diff(q, 0) < 0 || fs_diff(q, d->next) >= 0)
			continue;
		uint8_t w = d->win[q % FS_WIN];
		if (pay[i] != w) {
			pay[i] = w;
			diff = true;
		}
	}
	return diff;
}

/* A segment of flow f: deliver, hold or drop it. */
static int tin_segment(const struct tin *s, struct tin_pw *pw, struct fs_flow *f, struct rte_mbuf *m,
		       struct fs_pkt *p)
{
	struct fs_dir *d = &f->d[fs_dir_of(m)];
	if (p->flags & RTE_TCP_SYN_FLAG) {
		if (!d->init || d->isn != p->seq + 1) {
			memset(d, 0, sizeof(*d));
			d->isn = p->seq + 1;
			d->init = 1;
		}
		return TIN_DELIVER;
	}
	if (!d->init) {         /* picked up in the middle */
		d->isn = p->seq;
		d->init = 1;
	}
	uint32_t fin = (p->flags & RTE_TCP_FIN_FLAG) ? 1 : 0, seglen = p->len + fin;
	if (seglen == 0 || (p->flags & RTE_TCP_RST_FLAG))
		return TIN_DELIVER;
	uint32_t r = p->seq - d->isn;
	int32_t k = fs_diff(r, d->next);
	if (k > 0)
		return TIN_HOLD;
	if (fs_diff(r + seglen, d->next) <= 0) {
		pw->retransmits++;
		if (tin_check_old(d, p->pay, r, p->len)) {
			pw->inconsistent++;
			if (s->pass)
				flow_fix_csums(p->ip, rt_len(m) - (uint32_t)((uint8_t *)p->tcp - rt_data(m)));
		}
		return s->pass ? TIN_DELIVER : TIN_DROP;
	}
	if (k < 0) {
		if (tin_check_old(d, p->pay, r, (uint32_t)-k))
			pw->inconsistent++;
		fs_trim_front(m, p, (uint32_t)-k);
		pw->trimmed++;
	}
	/* the window keeps the last FS_WIN bytes */
	uint32_t from = p->len > FS_WIN ? p->len - FS_WIN : 0, nb = p->len - from;
	uint32_t at = (d->next + from) % FS_WIN, first = RT_MIN(nb, FS_WIN - at);
	memcpy(d->win + at, p->pay + from, first);
	memcpy(d->win, p->pay + from + first, nb - first);
	d->next += p->len + fin;  /* the segment starts at next now */
	if (fin)
		d->fin = 1;
	pw->delivered++;
	return TIN_DELIVER;
}

/* m's bytes that overlap held segments of its direction take theirs: those
 * were seen first (and agree with each other).  True when any differed. */
static bool tin_match_held(const struct flow_held *h, struct rte_mbuf *m, struct fs_pkt *p)
{
	int dir = fs_dir_of(m);
	bool diff = false;
	for (uint32_t i = 0; i < h->n; i++) {
		struct fs_pkt q;
		if (fs_dir_of(h->pkts[i]) != dir || !fs_parse(h->pkts[i], &q))
			continue;
		/* overlap of [p->seq, +len) and [q.seq, +q.len), from p's start */
		int32_t a = fs_diff(q.seq, p->seq), b = fs_diff(q.seq + q.len, p->seq);
		int32_t lo = RT_MAX(a, 0), hi = RT_MIN(b, (int32_t)p->len);
		for (int32_t j = lo; j < hi; j++) {
			uint8_t v = q.pay[j - a];
			if (p->pay[j] != v) {
				p->pay[j] = v;
				diff = true;
			}
		}
	}
	if (diff)
		flow_fix_csums(p->ip, rt_len(m) - (uint32_t)((uint8_t *)p->tcp - rt_data(m)));
	return diff;
}

/* Hold m (out of order). */
static void tin_hold(struct tin_pw *pw, struct fs_flow *f, struct flow_held *h, struct rte_mbuf *m, uint64_t now)
{
	if (h->n == FS_HOLD) {
		pw->overflow++;
		rte_pktmbuf_free(m);
		return;
	}
	if (!h->n)
		f->hole_ts = now;
	h->pkts[h->n++] = m;
	f->nheld = h->n;
	pw->held++;
}

/* Release the held segments of direction dir that are now in order. */
static void tin_drain(struct el_node *n, const struct tin *s, struct tin_pw *pw, struct fs_flow *f,
		      struct flow_held *h, int dir, struct rt_batch *out, uint64_t now)
{
	bool any = false;
	for (;;) {
		const struct fs_dir *d = &f->d[dir];
		int best = -1;
		int32_t bk = 0;
		for (uint32_t i = 0; i < h->n; i++) {
			struct fs_pkt q;
			if (fs_dir_of(h->pkts[i]) != dir || !fs_parse(h->pkts[i], &q))
				continue;
			int32_t k = fs_diff(q.seq - d->isn, d->next);
			if (k <= 0 && (best < 0 || k < bk))
				best = (int)i, bk = k;
		}
		if (best < 0)
			break;
		struct rte_mbuf *m = h->pkts[best];
		memmove(&h->pkts[best], &h->pkts[best + 1], sizeof(h->pkts[0]) * (h->n - (uint32_t)best - 1));
		h->n--;
		any = true;
		struct fs_pkt p;
		fs_parse(m, &p);
		int v = tin_segment(s, pw, f, m, &p);
		if (v == TIN_DELIVER) {
			pw->released++;
			flow_out_add(n, 0, out, m);
		} else {
			rte_pktmbuf_free(m);
		}
	}
	if (any && h->n)
		f->hole_ts = now;
	f->nheld = h->n;
}

/* A SYN with a new sequence number restarts direction dir: what it held
 * belongs to the old stream. */
static void tin_restart(struct tin_pw *pw, struct fs_flow *f, struct flow_held *h, int dir)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < h->n; i++) {
		if (fs_dir_of(h->pkts[i]) == dir) {
			rte_pktmbuf_free(h->pkts[i]);
			pw->stale++;
		} else {
			h->pkts[k++] = h->pkts[i];
		}
	}
	h->n = k;
	f->nheld = k;
}

/* A hole open longer than TIMEOUT: give up on the missing bytes of each
 * direction and release what waited behind them. */
static void tin_timeout(struct el_node *n, const struct tin *s, struct tin_pw *pw, struct fs_flow *f,
			struct flow_held *h, struct rt_batch *out, uint64_t now)
{
	for (int dir = 0; dir < 2; dir++) {
		struct fs_dir *d = &f->d[dir];
		bool found = false;
		int32_t bk = 0;
		for (uint32_t i = 0; i < h->n; i++) {
			struct fs_pkt q;
			if (fs_dir_of(h->pkts[i]) != dir || !fs_parse(h->pkts[i], &q))
				continue;
			int32_t k = fs_diff(q.seq - d->isn, d->next);
			if (!found || k < bk)
				bk = k, found = true;
		}
		if (!found)
			continue;
		pw->hole_timeouts++;
		if (bk > 0) {
			pw->gap_bytes += (uint64_t)bk;
			d->next += (uint32_t)bk;
		}
		tin_drain(n, s, pw, f, h, dir, out, now);
	}
}

static void tin_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct tin *s = n->state;
	struct tin_pw *pw = el_pw(n->e);
	struct rt_batch out;
	out.n = 0;
	pw->pkts += b->n;
	if (unlikely(__atomic_load_n(&s->anchor->off, __ATOMIC_RELAXED) != n->flow_off)) {
		__atomic_store_n(&s->anchor->off, n->flow_off, __ATOMIC_RELAXED);
		if (s->prev)
			__atomic_store_n(&s->prev->off, n->flow_off, __ATOMIC_RELAXED);
	}
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		struct fs_flow *f = flow_slot(n, m);
		struct fs_pkt p;
		if (unlikely(!f)) {
			pw->noflow++;
			flow_out_add(n, 0, &out, m);
			continue;
		}
		if (unlikely(!fs_parse(m, &p))) {
			pw->nontcp++;
			flow_out_add(n, 0, &out, m);
			continue;
		}
		struct flow_held *h = flow_held_of(n, f);
		uint64_t now = 0;
		if (unlikely(f->nheld)) {
			now = rt_anno(m)->timestamp;
			if (!now)
				now = rt_now_ns();
			if ((int64_t)(now - f->hole_ts) > (int64_t)s->timeout)  /* a clock going back is no timeout */
				tin_timeout(n, s, pw, f, h, &out, now);
		}
		if (unlikely(f->nheld) && (p.flags & RTE_TCP_SYN_FLAG) && f->d[fs_dir_of(m)].init &&
		    f->d[fs_dir_of(m)].isn != p.seq + 1)
			tin_restart(pw, f, h, fs_dir_of(m));
		if (unlikely(f->nheld) && tin_match_held(h, m, &p))
			pw->inconsistent++;
		switch (tin_segment(s, pw, f, m, &p)) {
		case TIN_DELIVER:
			flow_out_add(n, 0, &out, m);
			if (unlikely(f->nheld))
				tin_drain(n, s, pw, f, h, fs_dir_of(m), &out, now);
			break;
		case TIN_HOLD:
			if (!now && !(now = rt_anno(m)->timestamp))
				now = rt_now_ns();
			tin_hold(pw, f, h, m, now);
			break;
		default:
			rte_pktmbuf_free(m);
		}
	}
	b->n = 0;
	el_output(n, 0, &out);
}

static int tin_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	(void)argc, (void)argv;
	struct tin *s = e->state;
	if (!strcmp(s->retransmit, "DROP"))
		s->pass = false;
	else if (!strcmp(s->retransmit, "PASS"))
		s->pass = true;
	else
		return rt_errf(err, &e->loc, -EINVAL, "%s: RETRANSMIT must be DROP or PASS, not '%s'", e->name,
			       s->retransmit);
	return 0;
}

/* New RETRANSMIT or TIMEOUT in place, without a live change (a
 * replacement keeps the streams too: it takes the same FCB slot). */
static int tin_reconfigure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct tin *s = e->state;
	bool pass = false;
	uint64_t timeout = 2000000000ull;
	for (int i = 0; i < argc; i++) {
		const char *v;
		int kl = el_arg_keyword(argv[i], &v);
		struct rt_err e2;
		rt_err_clear(&e2);
		if (kl == 10 && !strncmp(argv[i], "RETRANSMIT", 10) && (!strcmp(v, "DROP") || !strcmp(v, "PASS")))
			pass = !strcmp(v, "PASS");
		else if (kl == 10 && !strncmp(argv[i], "RETRANSMIT", 10))
			return rt_errf(err, &e->loc, -EINVAL, "%s: RETRANSMIT must be DROP or PASS, not '%s'", e->name, v);
		else if (kl == 7 && !strncmp(argv[i], "TIMEOUT", 7)) {
			if (el_parse_value(EL_T_TIME, v, &timeout, &e2) < 0)
				return rt_errf(err, &e->loc, -EINVAL, "%s: TIMEOUT: %s", e->name, e2.msg);
		} else {
			return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%s'", e->name, argv[i]);
		}
	}
	__atomic_store_n(&s->pass, pass, __ATOMIC_RELAXED);
	__atomic_store_n(&s->timeout, timeout, __ATOMIC_RELAXED);
	return 0;
}

static int tin_init(struct el *e, struct rt_err *err)
{
	struct tin *s = e->state;
	if (!(s->anchor = calloc(1, sizeof(*s->anchor))))
		return rt_errf(err, &e->loc, -ENOMEM, "%s: out of memory", e->name);
	s->anchor->refs = 1;
	return 0;
}

static void tin_cleanup(struct el *e)
{
	flow_stream_detach(((struct tin *)e->state)->anchor);
	flow_stream_detach(((struct tin *)e->state)->prev);
}

/* A replacement (new arguments, a live change) keeps the counters and
 * also tells the users of the old one's anchor where its slot is, so
 * TCPOut and editors that stay go on finding the flows' state (which
 * stays where it was: same class and name keep their FCB offset); users
 * created with it hold its own anchor. */
static int tin_take(struct el *e, struct el *old, struct rt_err *err)
{
	(void)err;
	struct tin *s = e->state, *os = old->state;
	s->prev = os->anchor;
	s->prev->refs++;
	s->anchor->off = os->anchor->off;
	for (unsigned w = 0; w < RT_MAX_WORKERS; w++)
		memcpy(el_pw_of(e, w), el_pw_of(old, w), sizeof(struct tin_pw));
	return 0;
}

static int tin_read(struct el *e, intptr_t off, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, (size_t)off));
	return 0;
}

/* flows: each flow's next position per direction and its held segments. */
static void tin_fmt(const struct el *e, const void *slot, struct rt_buf *out)
{
	const struct fs_flow *f = slot;
	const struct flow_held *h = (const void *)((const uint8_t *)slot + RTE_ALIGN_CEIL(e->cls->flow_size, 8));
	rt_buf_printf(out, " %u %u %u", f->d[0].next, f->d[1].next, h->n);
}

static int tin_flows(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	flow_el_list(e, tin_fmt, out);
	return 0;
}

static const struct el_arg args[] = {
	{"RETRANSMIT", EL_T_WORD, offsetof(struct tin, retransmit), "DROP", 0,
	 "retransmitted segments (all bytes already delivered): DROP or PASS"},
	{"TIMEOUT", EL_T_TIME, offsetof(struct tin, timeout), "2s", 0,
	 "how long a hole may stay open before the segments behind it are released"},
	EL_ARGS_END,
};

#define H(f) offsetof(struct tin_pw, f)
static const struct el_handler handlers[] = {
	{"count", tin_read, NULL, H(pkts), 0, "packets in"},
	{"delivered", tin_read, NULL, H(delivered), 0, "segments that brought new bytes (or a FIN), in order"},
	{"held", tin_read, NULL, H(held), 0, "out-of-order segments held until their gap filled"},
	{"released", tin_read, NULL, H(released), 0, "held segments released (in order)"},
	{"retransmits", tin_read, NULL, H(retransmits), 0, "segments whose bytes were all delivered already"},
	{"inconsistent", tin_read, NULL, H(inconsistent), 0,
	 "segments whose bytes differed from the first-seen ones (they got the first-seen bytes)"},
	{"trimmed", tin_read, NULL, H(trimmed), 0, "segments cut to their new bytes (partly delivered already)"},
	{"overflow", tin_read, NULL, H(overflow), 0, "out-of-order segments dropped: the flow held 16 already"},
	{"hole_timeouts", tin_read, NULL, H(hole_timeouts), 0, "holes given up after TIMEOUT"},
	{"gap_bytes", tin_read, NULL, H(gap_bytes), 0, "stream bytes skipped by those holes"},
	{"stale", tin_read, NULL, H(stale), 0, "held segments dropped: a SYN with a new sequence number restarted their direction"},
	{"noflow", tin_read, NULL, H(noflow), 0, "packets passed: no flow"},
	{"nontcp", tin_read, NULL, H(nontcp), 0, "packets passed: not TCP over IPv4"},
	{"flows", tin_flows, NULL, 0, 0, "one line per flow: key, next position of each direction, held segments"},
	EL_HANDLERS_END,
};

static struct el_class tin_class = {
	.name = "TCPIn",
	.sig = "TCPIn([RETRANSMIT, TIMEOUT])",
	.summary = "in-order TCP byte stream per direction (reordering, retransmissions, overlaps)",
	.doc = "Behind a `FlowManager(SYMMETRIC true)`: each direction of a TCP connection leaves in "
	       "stream order. A segment that starts past the next expected byte is held (up to 16 per "
	       "flow, in the FCB; one more is dropped and counted in `overflow`) until the gap fills, "
	       "then the held segments leave in order. A segment whose bytes were all delivered is a "
	       "retransmission: dropped (RETRANSMIT DROP, the default) or passed unchanged in sequence "
	       "(PASS). A segment partly delivered is cut to its new bytes (`trimmed`; its sequence "
	       "number and checksums follow).\n\n"
	       "Overlapping bytes keep their first-seen version: bytes that differ from what was "
	       "delivered (the last 64 of each direction are kept to compare) or from a held segment "
	       "are overwritten with the first-seen ones and the segment counted in `inconsistent`, so "
	       "an IDS downstream sees exactly one version of the stream.\n\n"
	       "A hole open longer than TIMEOUT (packet timestamps when set) is given up when the "
	       "flow's next packet arrives: the bytes are skipped (`gap_bytes`) and the held segments "
	       "released; when the flow ends instead, the FlowManager frees them (`held_freed`). "
	       "SYN starts a direction (a connection picked up in the middle starts at its first "
	       "segment), RST and pure ACKs pass. Non-TCP packets and packets without a flow pass. "
	       "Elements after it may edit payload bytes (flow/flow_stream.h); TCPOut then rewrites "
	       "sequence and acknowledgement numbers. Needs about 450 bytes of the manager's RESERVE.",
	.ports = "1/1",
	.state_size = sizeof(struct tin),
	.pw_size = sizeof(struct tin_pw),
	.args = args,
	.configure = tin_configure,
	.init = tin_init,
	.cleanup = tin_cleanup,
	.take_state = tin_take,
	.reconfigure = tin_reconfigure,
	.push = tin_push,
	.handlers = handlers,
	.flow_size = sizeof(struct fs_flow),
	.flow_hold = FS_HOLD,
};
EL_REGISTER(tin_class)
