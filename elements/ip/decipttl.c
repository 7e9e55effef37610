/*
 * DecIPTTL - decrements the IP time-to-live with an incremental checksum
 * update (RFC 1624) and diverts packets whose TTL has run out.
 */
#include "iphdr.h"

static const char doc[] =
	"Expects IP packets with the network header annotation set. If the TTL is <= 1 (i.e. has "
	"expired), DecIPTTL sends the packet to output 1 (or discards it if there is no output 1). "
	"Otherwise it decrements the TTL, updates the checksum incrementally (RFC 1624) and sends "
	"the packet to output 0. Ordinarily output 1 is connected to an ICMP error generator.\n\n"
	"With ACTIVE false no TTL is touched; with MULTICAST false multicast packets pass "
	"unchanged. Packets without a usable network header annotation also go to output 1 (Click "
	"would fail); `drops` counts everything sent to output 1.";

struct decttl_pw {
	uint64_t drops;
};

struct decttl {
	bool active, multicast;
};

/* TTL is the high byte of the 16-bit word it shares with the protocol, so
 * the word drops by 0x0100: HC' = ~(~HC + ~m + m') = ~(~HC + 0xfeff). */
static inline void dec_ttl(struct rte_ipv4_hdr *ip)
{
	ip->time_to_live--;
	uint32_t sum = (~rte_be_to_cpu_16(ip->hdr_checksum) & 0xffffu) + 0xfeffu;
	sum = (sum & 0xffffu) + (sum >> 16);
	ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)~sum);
}

static void decttl_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct decttl *s = n->state;
	bool active = __atomic_load_n(&s->active, __ATOMIC_RELAXED), mcast = s->multicast;
	struct el_split sp;
	el_split_init(&sp);
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 1 < b->n)
			rte_prefetch0(rt_nh(b->pkts[i + 1]));
		uint32_t nlen;
		struct rte_ipv4_hdr *ip = iph_at_nh(m, &nlen);
		if (unlikely(!ip)) {
			rt_batch_add(&sp.out[1], m);
			continue;
		}
		if (unlikely(!active) || (!mcast && (rte_be_to_cpu_32(ip->dst_addr) & 0xf0000000u) == 0xe0000000u)) {
			rt_batch_add(&sp.out[0], m);
			continue;
		}
		if (unlikely(ip->time_to_live <= 1)) {
			rt_batch_add(&sp.out[1], m);
			continue;
		}
		dec_ttl(ip);
		rt_batch_add(&sp.out[0], m);
	}
	if (sp.out[1].n)
		((struct decttl_pw *)el_pw(n->e))->drops += sp.out[1].n;
	el_split_flush(n, &sp);
}

static const struct el_arg args[] = {
	{"ACTIVE", EL_T_BOOL, offsetof(struct decttl, active), "true", 0, "decrement TTLs at all"},
	{"MULTICAST", EL_T_BOOL, offsetof(struct decttl, multicast), "true", 0, "decrement multicast packets' TTLs"},
	EL_ARGS_END,
};

enum { H_DROPS, H_ACTIVE };

static int decttl_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	if (what == H_DROPS)
		rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct decttl_pw, drops)));
	else
		rt_buf_puts(out, EL_STATE(e, struct decttl)->active ? "true" : "false");
	return 0;
}

static int decttl_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what;
	bool a;
	if (el_parse_value(EL_T_BOOL, v, &a, err) < 0)
		return err->code;
	__atomic_store_n(&EL_STATE(e, struct decttl)->active, a, __ATOMIC_RELAXED);
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", decttl_read, NULL, H_DROPS, 0, "packets sent to output 1 (expired or unusable)"},
	{"active", decttl_read, decttl_write, H_ACTIVE, 0, "whether TTLs are decremented"},
	EL_HANDLERS_END,
};

static struct el_class decipttl = {
	.name = "DecIPTTL",
	.sig = "DecIPTTL([KEYWORDS ACTIVE, MULTICAST])",
	.summary = "decrements IP time-to-live, drops dead packets",
	.doc = doc,
	.ports = "1/1-2",
	.state_size = sizeof(struct decttl),
	.pw_size = sizeof(struct decttl_pw),
	.args = args,
	.push = decttl_push,
	.handlers = handlers,
};
EL_REGISTER(decipttl)
