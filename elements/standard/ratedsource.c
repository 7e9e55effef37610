/*
 * RatedSource - generates copies of one packet at a fixed rate.  A task:
 * each run emits the packets that fell due since the previous run.
 */
#include <rte_cycles.h>

#include "../../runtime/router.h"

static const char doc[] =
	"Creates packets consisting of DATA, emitting at most LIMIT such packets out its single output "
	"at a rate of RATE packets per second. If LIMIT is negative, sends packets forever. Sends "
	"packets only while ACTIVE is true. LENGTH, if set, cuts DATA or repeats it to that many "
	"bytes. With STOP true the router stops once LIMIT packets are sent. Default DATA is at least "
	"64 bytes long, default RATE is 10, default LIMIT is -1, default ACTIVE is true.\n\n"
	"Pacing uses the TSC: each time the task runs it sends the packets due since it last ran, up "
	"to 64 at a time. After a stall of more than a bucket's worth (RATE/100 packets, at least 2, "
	"as in Click's token bucket) the backlog is forgotten rather than sent in a burst.";

static const char default_data[] =
	"Random bullshit in a packet, at least 64 bytes long. Well, now it is.";

struct rsrc {
	struct el_data data;
	uint64_t rate;
	int64_t limit;
	bool active, stop;
	int64_t length;
	/* packet */
	uint8_t *pkt;
	uint32_t pkt_len;
	/* pacing: written by the owning worker only */
	uint64_t epoch_seen;   /* last `epoch` the worker anchored at */
	uint64_t t0;           /* TSC of the anchor */
	uint64_t due_sent;     /* packets sent since the anchor */
	uint64_t sent;         /* count handler */
	bool stopped;          /* please_stop already asked */
	/* control */
	uint64_t epoch;        /* bumped by rate/active/reset writes: re-anchor */
};

static const struct el_arg args[] = {
	{"DATA", EL_T_DATA, offsetof(struct rsrc, data), NULL, EL_ARG_POS, "packet contents"},
	{"RATE", EL_T_UINT, offsetof(struct rsrc, rate), "10", EL_ARG_POS, "packets per second"},
	{"LIMIT", EL_T_INT, offsetof(struct rsrc, limit), "-1", EL_ARG_POS, "packets to send, -1 = no limit"},
	{"ACTIVE", EL_T_BOOL, offsetof(struct rsrc, active), "true", EL_ARG_POS, "start active"},
	{"STOP", EL_T_BOOL, offsetof(struct rsrc, stop), "false", 0, "stop the router after LIMIT"},
	{"LENGTH", EL_T_INT, offsetof(struct rsrc, length), "-1", 0, "packet length (DATA repeated or cut)"},
	{"DATASIZE", EL_T_INT, offsetof(struct rsrc, length), NULL, 0, "deprecated: LENGTH"},
	EL_ARGS_END,
};

#define RSRC_MAX_CALL RT_BATCH_MAX

static int rsrc_init(struct el *e, struct rt_err *err)
{
	struct rsrc *s = e->state;
	const uint8_t *d = (const uint8_t *)default_data;
	size_t dlen = sizeof(default_data) - 1;
	if (el_arg_given(e, "DATA")) {
		d = s->data.p;
		dlen = s->data.len;
	}
	size_t len = s->length >= 0 ? (size_t)s->length : dlen;
	if (len > RTE_MBUF_DEFAULT_DATAROOM)
		return rt_errf(err, &e->loc, -EINVAL, "%s: LENGTH %zu too large (max %d)", e->name, len,
			       RTE_MBUF_DEFAULT_DATAROOM);
	s->pkt = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++)
		s->pkt[i] = dlen ? d[i % dlen] : 0;
	s->pkt_len = (uint32_t)len;
	s->epoch = 1; /* anchor on the first run */
	return 0;
}

static void rsrc_cleanup(struct el *e) { free(EL_STATE(e, struct rsrc)->pkt); }

/* How many packets are due now; re-anchors after a handler write and drops
 * any backlog beyond one bucket. */
static uint64_t rsrc_due(struct rsrc *s, uint64_t rate)
{
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz();
	uint64_t epoch = __atomic_load_n(&s->epoch, __ATOMIC_ACQUIRE);
	if (s->epoch_seen != epoch) {
		s->epoch_seen = epoch;
		s->t0 = now;
		s->due_sent = 0;
	}
	/* the first packet is due at the anchor, the k-th k/RATE s later */
	uint64_t due = (uint64_t)((unsigned __int128)(now - s->t0) * rate / hz) + 1;
	uint64_t want = due - s->due_sent;
	uint64_t bucket = RT_MAX(rate / 100, 2);
	if (want > bucket) {
		s->due_sent = due - bucket;
		want = bucket;
	}
	return want;
}

static int rsrc_run(struct el_node *n)
{
	struct rsrc *s = n->state;
	uint64_t rate = __atomic_load_n(&s->rate, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&s->active, __ATOMIC_ACQUIRE) || rate == 0)
		return 0;
	int64_t limit = __atomic_load_n(&s->limit, __ATOMIC_ACQUIRE);
	uint64_t sent = __atomic_load_n(&s->sent, __ATOMIC_RELAXED);
	if (limit >= 0 && sent >= (uint64_t)limit) {
		if (s->stop && !s->stopped) {
			s->stopped = true;
			rt_router_please_stop(n->e->router);
		}
		return 0;
	}
	uint64_t want = rsrc_due(s, rate); /* has side effects: call once */
	want = RT_MIN(want, RSRC_MAX_CALL);
	if (limit >= 0)
		want = RT_MIN(want, (uint64_t)limit - sent);
	if (!want)
		return 0;
	struct rt_batch b;
	if (rte_pktmbuf_alloc_bulk(rt_router_pool(n->e->router), b.pkts, (unsigned)want) != 0)
		return 0; /* pool empty: the packets stay due */
	b.n = (uint32_t)want;
	uint64_t ts = rt_wall_ns();
	for (uint32_t i = 0; i < b.n; i++) {
		struct rte_mbuf *m = b.pkts[i];
		rt_anno_reset(m);
		rt_anno(m)->timestamp = ts;
		m->data_len = m->pkt_len = (uint16_t)s->pkt_len;
		rte_memcpy(rte_pktmbuf_mtod(m, void *), s->pkt, s->pkt_len);
	}
	s->due_sent += want;
	__atomic_store_n(&s->sent, sent + want, __ATOMIC_RELAXED);
	el_output(n, 0, &b);
	return (int)want;
}

enum { H_COUNT, H_RESET, H_RATE, H_ACTIVE, H_LIMIT };

static int rsrc_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct rsrc *s = e->state;
	switch (what) {
	case H_COUNT: rt_buf_printf(out, "%llu", (unsigned long long)__atomic_load_n(&s->sent, __ATOMIC_RELAXED)); break;
	case H_RATE: rt_buf_printf(out, "%llu", (unsigned long long)s->rate); break;
	case H_ACTIVE: rt_buf_puts(out, s->active ? "true" : "false"); break;
	case H_LIMIT: rt_buf_printf(out, "%lld", (long long)s->limit); break;
	}
	return 0;
}

static int rsrc_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct rsrc *s = e->state;
	switch (what) {
	case H_RESET:
		__atomic_store_n(&s->sent, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->stopped, false, __ATOMIC_RELAXED);
		break;
	case H_RATE: {
		uint64_t r;
		if (el_parse_value(EL_T_UINT, v, &r, err) < 0)
			return err->code;
		__atomic_store_n(&s->rate, r, __ATOMIC_RELAXED);
		break;
	}
	case H_ACTIVE: {
		bool b;
		if (el_parse_value(EL_T_BOOL, v, &b, err) < 0)
			return err->code;
		__atomic_store_n(&s->active, b, __ATOMIC_RELEASE);
		break;
	}
	case H_LIMIT: {
		int64_t l;
		if (el_parse_value(EL_T_INT, v, &l, err) < 0)
			return err->code;
		__atomic_store_n(&s->limit, l, __ATOMIC_RELEASE);
		__atomic_store_n(&s->stopped, false, __ATOMIC_RELAXED);
		return 0;
	}
	default:
		return -EINVAL;
	}
	__atomic_fetch_add(&s->epoch, 1, __ATOMIC_ACQ_REL);
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", rsrc_read, NULL, H_COUNT, 0, "packets sent"},
	{"reset", NULL, rsrc_write, H_RESET, EL_H_BUTTON, "reset the count: LIMIT more packets"},
	{"rate", rsrc_read, rsrc_write, H_RATE, 0, "packets per second"},
	{"active", rsrc_read, rsrc_write, H_ACTIVE, 0, "whether it sends packets"},
	{"limit", rsrc_read, rsrc_write, H_LIMIT, 0, "packet limit, negative = none"},
	EL_HANDLERS_END,
};

static struct el_class ratedsource = {
	.name = "RatedSource",
	.sig = "RatedSource([DATA, RATE, LIMIT, ACTIVE, KEYWORDS])",
	.summary = "generates packets at specified rate",
	.doc = doc,
	.ports = "0/1",
	.state_size = sizeof(struct rsrc),
	.args = args,
	.init = rsrc_init,
	.cleanup = rsrc_cleanup,
	.run = rsrc_run,
	.handlers = handlers,
};
EL_REGISTER(ratedsource)
