/*
 * source.c - the control side of source.h: the packet template and the
 * handlers shared by InfiniteSource, RatedSource and Unqueue.
 */
#include "source.h"

static const char default_data[] =
	"Random bullshit in a packet, at least 64 bytes long. Well, now it is.";

int el_source_init(struct el *e, struct el_source *s, struct rt_err *err)
{
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
	uint8_t *p = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++)
		p[i] = dlen ? d[i % dlen] : 0;
	free(s->pkt);
	s->pkt = p;
	s->pkt_len = (uint32_t)len;
	return 0;
}

void el_source_cleanup(struct el_source *s)
{
	free(s->pkt);
	s->pkt = NULL;
}

int el_gate_read_h(struct el *e, intptr_t what, struct rt_buf *out)
{
	const struct el_gate *g = e->state;
	switch (what) {
	case EL_GATE_H_ACTIVE: rt_buf_puts(out, __atomic_load_n(&g->active, __ATOMIC_RELAXED) ? "true" : "false"); return 0;
	case EL_GATE_H_LIMIT: rt_buf_printf(out, "%lld", (long long)__atomic_load_n(&g->limit, __ATOMIC_RELAXED)); return 0;
	}
	return -EINVAL;
}

int el_gate_write_h(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct el_gate *g = e->state;
	switch (what) {
	case EL_GATE_H_ACTIVE: {
		bool b;
		if (el_parse_value(EL_T_BOOL, v, &b, err) < 0)
			return err->code;
		__atomic_store_n(&g->active, b, __ATOMIC_RELEASE);
		return 0;
	}
	case EL_GATE_H_LIMIT: {
		int64_t l;
		if (el_parse_value(EL_T_INT, v, &l, err) < 0)
			return err->code;
		__atomic_store_n(&g->limit, l, __ATOMIC_RELEASE);
		__atomic_store_n(&g->done, false, __ATOMIC_RELEASE);
		return 0;
	}
	}
	return -EINVAL;
}

int el_source_read_h(struct el *e, intptr_t what, struct rt_buf *out)
{
	const struct el_source *s = e->state;
	if (what == EL_SOURCE_H_COUNT) {
		rt_buf_printf(out, "%llu", (unsigned long long)__atomic_load_n(&s->sent, __ATOMIC_RELAXED));
		return 0;
	}
	return el_gate_read_h(e, what, out);
}

int el_source_write_h(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct el_source *s = e->state;
	if (what == EL_SOURCE_H_RESET) {
		__atomic_store_n(&s->sent, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->gate.done, false, __ATOMIC_RELEASE);
		return 0;
	}
	return el_gate_write_h(e, what, v, err);
}
