/*
 * InfiniteSource - generates copies of one packet, as fast as it can or up
 * to a limit.  A task: runs on a worker.
 */
#include "../../runtime/router.h"

static const char doc[] =
	"Creates packets consisting of DATA (or LENGTH bytes of it, repeated or cut) and pushes them "
	"out, BURST at a time, until LIMIT packets have been sent (-1: no limit). When STOP is true "
	"the router stops once LIMIT is reached. With ACTIVE false it produces nothing until the "
	"`active` handler is set.\n\n"
	"mboxsh's default BURST is 32 (Click's is 1): packets still leave one at a time in order, "
	"but in batches, which is what makes the data path fast.";

static const char default_data[] =
	"Random bullshit in a packet, at least 64 bytes long. Well, now it is.";

struct isrc {
	struct el_data data;
	int64_t limit;
	uint64_t burst;
	bool active, stop, timestamp;
	int64_t length;
	/* runtime */
	uint8_t *pkt;          /* DATA cut or repeated to LENGTH */
	uint32_t pkt_len;
	uint64_t sent;         /* only the owning worker writes it */
	bool done;
};

static const struct el_arg args[] = {
	{"DATA", EL_T_DATA, offsetof(struct isrc, data), NULL, EL_ARG_POS, "packet contents"},
	{"LIMIT", EL_T_INT, offsetof(struct isrc, limit), "-1", EL_ARG_POS, "packets to send, -1 = no limit"},
	{"BURST", EL_T_UINT, offsetof(struct isrc, burst), "32", EL_ARG_POS, "packets per task call (<= 64)"},
	{"ACTIVE", EL_T_BOOL, offsetof(struct isrc, active), "true", EL_ARG_POS, "start active"},
	{"STOP", EL_T_BOOL, offsetof(struct isrc, stop), "false", 0, "stop the router after LIMIT"},
	{"LENGTH", EL_T_INT, offsetof(struct isrc, length), "-1", 0, "packet length (DATA repeated or cut)"},
	{"TIMESTAMP", EL_T_BOOL, offsetof(struct isrc, timestamp), "true", 0, "set the timestamp annotation"},
	EL_ARGS_END,
};

static int isrc_build(struct el *e, struct rt_err *err)
{
	struct isrc *s = e->state;
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
	if (s->burst < 1 || s->burst > RT_BATCH_MAX)
		return rt_errf(err, &e->loc, -EINVAL, "%s: BURST must be 1 to %d", e->name, RT_BATCH_MAX);
	uint8_t *p = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++)
		p[i] = dlen ? d[i % dlen] : 0;
	free(s->pkt);
	s->pkt = p;
	s->pkt_len = (uint32_t)len;
	return 0;
}

static int isrc_init(struct el *e, struct rt_err *err) { return isrc_build(e, err); }

static void isrc_cleanup(struct el *e) { free(EL_STATE(e, struct isrc)->pkt); }

static int isrc_run(struct el_node *n)
{
	struct isrc *s = n->state;
	if (!s->active || s->done)
		return 0;
	uint64_t want = s->burst;
	if (s->limit >= 0) {
		uint64_t left = (uint64_t)s->limit - s->sent;
		if (left < want)
			want = left;
		if (want == 0) {
			s->done = true;
			if (s->stop)
				rt_router_please_stop(n->e->router);
			return 0;
		}
	}
	struct rt_batch b;
	if (rte_pktmbuf_alloc_bulk(rt_router_pool(n->e->router), b.pkts, (unsigned)want) != 0)
		return 0; /* pool empty: try again next round */
	b.n = (uint32_t)want;
	uint64_t ts = s->timestamp ? rt_wall_ns() : 0;
	for (uint32_t i = 0; i < b.n; i++) {
		struct rte_mbuf *m = b.pkts[i];
		rt_anno_reset(m);
		rt_anno(m)->timestamp = ts;
		m->data_len = m->pkt_len = (uint16_t)s->pkt_len;
		rte_memcpy(rte_pktmbuf_mtod(m, void *), s->pkt, s->pkt_len);
	}
	s->sent += b.n;
	el_output(n, 0, &b);
	return (int)want;
}

enum { H_COUNT, H_RESET, H_ACTIVE, H_LIMIT, H_BURST };

static int isrc_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct isrc *s = e->state;
	switch (what) {
	case H_COUNT: rt_buf_printf(out, "%llu", (unsigned long long)__atomic_load_n(&s->sent, __ATOMIC_RELAXED)); break;
	case H_ACTIVE: rt_buf_puts(out, s->active ? "true" : "false"); break;
	case H_LIMIT: rt_buf_printf(out, "%lld", (long long)s->limit); break;
	case H_BURST: rt_buf_printf(out, "%llu", (unsigned long long)s->burst); break;
	}
	return 0;
}

static int isrc_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct isrc *s = e->state;
	switch (what) {
	case H_RESET:
		__atomic_store_n(&s->sent, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->done, false, __ATOMIC_RELEASE);
		return 0;
	case H_ACTIVE: {
		bool b;
		if (el_parse_value(EL_T_BOOL, v, &b, err) < 0)
			return err->code;
		__atomic_store_n(&s->active, b, __ATOMIC_RELEASE);
		return 0;
	}
	case H_LIMIT: {
		int64_t l;
		if (el_parse_value(EL_T_INT, v, &l, err) < 0)
			return err->code;
		__atomic_store_n(&s->limit, l, __ATOMIC_RELEASE);
		__atomic_store_n(&s->done, false, __ATOMIC_RELEASE);
		return 0;
	}
	case H_BURST: {
		uint64_t b;
		if (el_parse_value(EL_T_UINT, v, &b, err) < 0)
			return err->code;
		if (b < 1 || b > RT_BATCH_MAX)
			return rt_errf(err, NULL, -EINVAL, "BURST must be 1 to %d", RT_BATCH_MAX);
		__atomic_store_n(&s->burst, b, __ATOMIC_RELEASE);
		return 0;
	}
	}
	return -EINVAL;
}

static const struct el_handler handlers[] = {
	{"count", isrc_read, NULL, H_COUNT, 0, "packets sent"},
	{"reset", NULL, isrc_write, H_RESET, EL_H_BUTTON, "reset count and restart"},
	{"active", isrc_read, isrc_write, H_ACTIVE, 0, "whether it produces packets"},
	{"limit", isrc_read, isrc_write, H_LIMIT, 0, "packet limit"},
	{"burst", isrc_read, isrc_write, H_BURST, 0, "packets per task call"},
	EL_HANDLERS_END,
};

static struct el_class infinitesource = {
	.name = "InfiniteSource",
	.sig = "InfiniteSource([DATA, LIMIT, BURST, ACTIVE, KEYWORDS])",
	.summary = "generates packets whenever scheduled",
	.doc = doc,
	.ports = "0/1",
	.state_size = sizeof(struct isrc),
	.args = args,
	.init = isrc_init,
	.cleanup = isrc_cleanup,
	.run = isrc_run,
	.handlers = handlers,
};
EL_REGISTER(infinitesource)
