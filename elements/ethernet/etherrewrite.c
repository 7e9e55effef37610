/*
 * EtherRewrite - rewrites the Ethernet source and destination addresses in
 * place, leaving the type alone.
 */
#include <rte_ether.h>

#include "../../runtime/el.h"

static const char doc[] =
	"Rewrites the source and the destination address in the Ethernet header. The ETHERTYPE "
	"is left untouched. Useful when there is only one possible next hop on a link.\n\n"
	"The `src` and `dst` handlers change the addresses while packets flow; workers always see "
	"a whole pair, old or new. Packets shorter than 14 bytes are dropped and counted in "
	"`drops` (an mboxsh addition).";

struct etherrewrite_pw {
	uint64_t drops;
};

struct etherrewrite {
	uint8_t src[6], dst[6];
	/* dst then src, as on the wire; two copies flipped by `cur` (see EtherEncap) */
	uint8_t addrs[2][16] __rte_aligned(16);
	uint32_t cur;
};

static void etherrewrite_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct etherrewrite *s = n->state;
	const uint8_t *a = s->addrs[__atomic_load_n(&s->cur, __ATOMIC_ACQUIRE)];
	uint32_t k = 0, bad = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 1 < b->n)
			rte_prefetch0(rt_data(b->pkts[i + 1]));
		if (unlikely(rt_len(m) < RTE_ETHER_HDR_LEN)) {
			rte_pktmbuf_free(m);
			bad++;
			continue;
		}
		memcpy(rt_data(m), a, 12);
		b->pkts[k++] = m;
	}
	b->n = k;
	if (unlikely(bad))
		((struct etherrewrite_pw *)el_pw(n->e))->drops += bad;
	el_output(n, 0, b);
}

static const struct el_arg args[] = {
	{"SRC", EL_T_ETHER, offsetof(struct etherrewrite, src), NULL, EL_ARG_POS | EL_ARG_REQ, "source address"},
	{"DST", EL_T_ETHER, offsetof(struct etherrewrite, dst), NULL, EL_ARG_POS | EL_ARG_REQ, "destination address"},
	EL_ARGS_END,
};

static int etherrewrite_init(struct el *e, struct rt_err *err)
{
	(void)err;
	struct etherrewrite *s = e->state;
	memcpy(s->addrs[0], s->dst, 6);
	memcpy(s->addrs[0] + 6, s->src, 6);
	s->cur = 0;
	return 0;
}

enum { H_SRC, H_DST };

static int etherrewrite_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct etherrewrite *s = e->state;
	const uint8_t *a = s->addrs[s->cur] + (what == H_SRC ? 6 : 0);
	rt_buf_printf(out, "%02X-%02X-%02X-%02X-%02X-%02X", a[0], a[1], a[2], a[3], a[4], a[5]);
	return 0;
}

static int etherrewrite_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct etherrewrite *s = e->state;
	uint8_t *a = what == H_SRC ? s->src : s->dst;
	if (el_parse_value(EL_T_ETHER, v, a, err) < 0)
		return err->code;
	uint32_t w = s->cur ^ 1;
	memcpy(s->addrs[w], s->dst, 6);
	memcpy(s->addrs[w] + 6, s->src, 6);
	__atomic_store_n(&s->cur, w, __ATOMIC_RELEASE);
	return 0;
}

static int etherrewrite_drops(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct etherrewrite_pw, drops)));
	return 0;
}

static const struct el_handler handlers[] = {
	{"src", etherrewrite_read, etherrewrite_write, H_SRC, 0, "source Ethernet address"},
	{"dst", etherrewrite_read, etherrewrite_write, H_DST, 0, "destination Ethernet address"},
	{"drops", etherrewrite_drops, NULL, 0, 0, "packets shorter than an Ethernet header, dropped"},
	EL_HANDLERS_END,
};

static struct el_class etherrewrite = {
	.name = "EtherRewrite",
	.sig = "EtherRewrite(SRC, DST)",
	.summary = "rewrite source and destination Ethernet address",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct etherrewrite),
	.pw_size = sizeof(struct etherrewrite_pw),
	.args = args,
	.init = etherrewrite_init,
	.push = etherrewrite_push,
	.handlers = handlers,
};
EL_REGISTER(etherrewrite)
