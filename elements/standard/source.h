/*
 * source.h - what the packet sources (InfiniteSource, RatedSource) and
 * Unqueue share: the ACTIVE/LIMIT gate with its handlers, and the source
 * packet template built from DATA and LENGTH, with the batch function that
 * sends copies of it.
 *
 * An element using these puts the struct (struct el_gate, or struct
 * el_source, which begins with one) first in its state, so that the shared
 * handlers find it at e->state, and numbers its own handlers from
 * EL_GATE_H_NEXT or EL_SOURCE_H_NEXT.
 *
 * Thread-safety: el_source_left() and el_source_emit() run on the worker
 * that owns the element's task; the handlers and el_source_init() run on
 * the control thread.  The fields both sides touch are read and written
 * with atomics.
 */
#ifndef MB_ELEMENTS_SOURCE_H
#define MB_ELEMENTS_SOURCE_H

#include "../../runtime/router.h"

/* Whether an element may emit packets, and how many in all. */
struct el_gate {
	bool active;
	int64_t limit;  /* packets in all, negative = no limit */
	bool done;      /* LIMIT reached and acted on; cleared by writes to limit or reset */
};

/* A source's packet template and count. */
struct el_source {
	struct el_gate gate;
	bool stop;             /* STOP: stop the router at LIMIT */
	struct el_data data;   /* DATA */
	int64_t length;        /* LENGTH, negative = that of DATA */
	uint8_t *pkt;          /* DATA cut or repeated to LENGTH */
	uint32_t pkt_len;
	uint64_t sent;         /* only the owning worker adds to it */
};

/* The argument rows the sources share, in the order each table wants them.
 * They use the offsets of struct el_source, which comes first in the state. */
#define EL_SOURCE_ARG_DATA \
	{"DATA", EL_T_DATA, offsetof(struct el_source, data), NULL, EL_ARG_POS, "packet contents"}
#define EL_SOURCE_ARG_LIMIT \
	{"LIMIT", EL_T_INT, offsetof(struct el_source, gate.limit), "-1", EL_ARG_POS, "packets to send, -1 = no limit"}
#define EL_SOURCE_ARG_ACTIVE \
	{"ACTIVE", EL_T_BOOL, offsetof(struct el_source, gate.active), "true", EL_ARG_POS, "start active"}
#define EL_SOURCE_ARG_STOP \
	{"STOP", EL_T_BOOL, offsetof(struct el_source, stop), "false", 0, "stop the router after LIMIT"}
#define EL_SOURCE_ARG_LENGTH \
	{"LENGTH", EL_T_INT, offsetof(struct el_source, length), "-1", 0, "packet length (DATA repeated or cut)"}

/* Handler numbers (the arg of a struct el_handler row).  The gate's
 * handlers: `active` (read/write, a bool) and `limit` (read/write, an
 * integer; writing it clears done).  The source's add `count` (read) and
 * `reset` (button: count back to 0, done cleared). */
enum {
	EL_GATE_H_ACTIVE,
	EL_GATE_H_LIMIT,
	EL_GATE_H_NEXT,
	EL_SOURCE_H_COUNT = EL_GATE_H_NEXT,
	EL_SOURCE_H_RESET,
	EL_SOURCE_H_NEXT,
};

int el_gate_read_h(struct el *e, intptr_t what, struct rt_buf *out);
int el_gate_write_h(struct el *e, intptr_t what, const char *v, struct rt_err *err);
/* The gate's handlers and the source's; -EINVAL for any other number. */
int el_source_read_h(struct el *e, intptr_t what, struct rt_buf *out);
int el_source_write_h(struct el *e, intptr_t what, const char *v, struct rt_err *err);

/* Build the packet template from DATA (a default text when it was not
 * given) and LENGTH, replacing any earlier one.  Returns 0, or -EINVAL when
 * LENGTH exceeds the mbuf data room.  Free it with el_source_cleanup(). */
int el_source_init(struct el *e, struct el_source *s, struct rt_err *err);
void el_source_cleanup(struct el_source *s);

/* Packets LIMIT still allows (UINT64_MAX without a limit).  The first time
 * it finds none left it marks the gate done and, with STOP, asks the router
 * to stop. */
static inline uint64_t el_source_left(struct el *e, struct el_source *s)
{
	int64_t limit = __atomic_load_n(&s->gate.limit, __ATOMIC_ACQUIRE);
	if (limit < 0)
		return UINT64_MAX;
	uint64_t sent = __atomic_load_n(&s->sent, __ATOMIC_RELAXED);
	if (sent < (uint64_t)limit)
		return (uint64_t)limit - sent;
	if (!__atomic_load_n(&s->gate.done, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&s->gate.done, true, __ATOMIC_RELAXED);
		if (s->stop)
			rt_router_please_stop(e->router);
	}
	return 0;
}

/* Send `want` (1 to RT_BATCH_MAX) copies of the template out output 0,
 * with timestamp annotation ts, and count them.  Returns want, or 0 when
 * the pool had not that many mbufs to give (nothing is sent then). */
static inline int el_source_emit(struct el_node *n, struct el_source *s, uint64_t want, uint64_t ts)
{
	struct rt_batch b;
	if (rte_pktmbuf_alloc_bulk(n->e->pool, b.pkts, (unsigned)want) != 0) /* its tenant's pool */
		return 0;
	b.n = (uint32_t)want;
	for (uint32_t i = 0; i < b.n; i++) {
		struct rte_mbuf *m = b.pkts[i];
		rt_anno_reset(m);
		rt_anno(m)->timestamp = ts;
		rt_anno(m)->tenant = n->e->tenant;
		m->data_len = m->pkt_len = (uint16_t)s->pkt_len;
		rte_memcpy(rte_pktmbuf_mtod(m, void *), s->pkt, s->pkt_len);
	}
	__atomic_store_n(&s->sent, s->sent + want, __ATOMIC_RELAXED);
	el_output(n, 0, &b);
	return (int)want;
}

#endif
