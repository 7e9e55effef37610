/*
 * EtherEncap - prepends an Ethernet header (ETHERTYPE, SRC, DST) to every
 * packet.
 */
#include <rte_ether.h>

#include "../../runtime/el.h"

static const char doc[] =
	"Encapsulates each packet in the Ethernet header specified by its arguments. ETHERTYPE "
	"should be in host order (`0x0800` for IP).\n\n"
	"The `src`, `dst` and `etht` handlers change the header while packets flow: workers always "
	"see a whole header, old or new. A packet without 14 bytes of headroom is dropped and "
	"counted in `drops` (an mboxsh addition; Click drops it silently). For IP packets you "
	"probably want ARPQuerier instead.";

struct etherencap_pw {
	uint64_t drops;
};

struct etherencap {
	uint64_t ethertype;
	uint8_t src[6], dst[6];
	/* The header as sent, twice: a handler edits the copy workers are not
	 * reading and then flips `cur`, so no packet gets a torn header. */
	uint8_t hdr[2][16] __rte_aligned(16);
	uint32_t cur;
};

static void etherencap_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct etherencap *s = n->state;
	const uint8_t *h = s->hdr[__atomic_load_n(&s->cur, __ATOMIC_ACQUIRE)];
	uint32_t k = 0, bad = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 1 < b->n)
			rte_prefetch0(rt_data(b->pkts[i + 1]) - RTE_ETHER_HDR_LEN);
		uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
		if (unlikely(!p)) {
			rte_pktmbuf_free(m);
			bad++;
			continue;
		}
		memcpy(p, h, RTE_ETHER_HDR_LEN);
		b->pkts[k++] = m;
	}
	b->n = k;
	if (unlikely(bad))
		((struct etherencap_pw *)el_pw(n->e))->drops += bad;
	el_output(n, 0, b);
}

static const struct el_arg args[] = {
	{"ETHERTYPE", EL_T_UINT, offsetof(struct etherencap, ethertype), NULL, EL_ARG_POS | EL_ARG_REQ,
	 "Ethernet type, host order"},
	{"SRC", EL_T_ETHER, offsetof(struct etherencap, src), NULL, EL_ARG_POS | EL_ARG_REQ, "source address"},
	{"DST", EL_T_ETHER, offsetof(struct etherencap, dst), NULL, EL_ARG_POS | EL_ARG_REQ, "destination address"},
	EL_ARGS_END,
};

static void build_header(uint8_t *h, const uint8_t *src, const uint8_t *dst, uint16_t type)
{
	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	h[12] = (uint8_t)(type >> 8);
	h[13] = (uint8_t)type;
}

/* Checks and derived state live in init, not configure: a class with a
 * configure() is handed the arguments its table did not take, and this one
 * takes none beyond the table. */
static int etherencap_init(struct el *e, struct rt_err *err)
{
	struct etherencap *s = e->state;
	if (s->ethertype > 0xffff)
		return rt_errf(err, &e->loc, -EINVAL, "%s: ETHERTYPE must be <= 0xFFFF", e->name);
	build_header(s->hdr[0], s->src, s->dst, (uint16_t)s->ethertype);
	s->cur = 0;
	return 0;
}

enum { H_SRC, H_DST, H_ETHT };

static int etherencap_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	const uint8_t *h = EL_STATE(e, struct etherencap)->hdr[EL_STATE(e, struct etherencap)->cur];
	const uint8_t *a = what == H_SRC ? h + 6 : h;
	if (what == H_ETHT)
		rt_buf_printf(out, "%u", (unsigned)(h[12] << 8 | h[13]));
	else
		rt_buf_printf(out, "%02X-%02X-%02X-%02X-%02X-%02X", a[0], a[1], a[2], a[3], a[4], a[5]);
	return 0;
}

static int etherencap_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct etherencap *s = e->state;
	uint8_t next[16];
	memcpy(next, s->hdr[s->cur], sizeof(next));
	if (what == H_ETHT) {
		uint64_t t;
		if (el_parse_value(EL_T_UINT, v, &t, err) < 0)
			return err->code;
		if (t > 0xffff)
			return rt_errf(err, NULL, -EINVAL, "%s: ETHERTYPE must be <= 0xFFFF", e->name);
		s->ethertype = t;
		next[12] = (uint8_t)(t >> 8);
		next[13] = (uint8_t)t;
	} else {
		uint8_t *a = what == H_SRC ? s->src : s->dst;
		if (el_parse_value(EL_T_ETHER, v, a, err) < 0)
			return err->code;
		memcpy(what == H_SRC ? next + 6 : next, a, 6);
	}
	uint32_t w = s->cur ^ 1;
	memcpy(s->hdr[w], next, sizeof(next));
	__atomic_store_n(&s->cur, w, __ATOMIC_RELEASE);
	return 0;
}

static int etherencap_drops(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct etherencap_pw, drops)));
	return 0;
}

static const struct el_handler handlers[] = {
	{"src", etherencap_read, etherencap_write, H_SRC, 0, "source Ethernet address"},
	{"dst", etherencap_read, etherencap_write, H_DST, 0, "destination Ethernet address"},
	{"etht", etherencap_read, etherencap_write, H_ETHT, 0, "Ethernet type (host order)"},
	{"drops", etherencap_drops, NULL, 0, 0, "packets dropped for lack of headroom"},
	EL_HANDLERS_END,
};

static struct el_class etherencap = {
	.name = "EtherEncap",
	.sig = "EtherEncap(ETHERTYPE, SRC, DST)",
	.summary = "encapsulates packets in Ethernet header",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct etherencap),
	.pw_size = sizeof(struct etherencap_pw),
	.args = args,
	.init = etherencap_init,
	.push = etherencap_push,
	.handlers = handlers,
};
EL_REGISTER(etherencap)
