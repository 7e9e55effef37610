/*
 * DecIPTTL - decrements the IP time-to-live with an incremental checksum
 * update (RFC 1624) and diverts packets whose TTL has run out.
 */
#include "ipedit.h"

static const char doc[] =
	"Expects IP packets with the network header annotation set. If the TTL is <= 1 (i.e. has "
	"expired), DecIPTTL sends the packet to output 1 (or discards it if there is no output 1). "
	"Otherwise it decrements the TTL, updates the checksum incrementally (RFC 1624) and sends "
	"the packet to output 0. Ordinarily output 1 is connected to an ICMP error generator.\n\n"
	"With ACTIVE false no TTL is touched; with MULTICAST false multicast packets pass "
	"unchanged. Packets without a usable network header annotation also go to output 1 (Click "
	"would fail); `drops` counts everything sent to output 1.";

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

/* ACTIVE as read once for a batch, and MULTICAST. */
struct decttl_now {
	bool active, mcast;
};

static int decttl_edit(struct rte_ipv4_hdr *ip, uint32_t nlen, const void *ctx)
{
	const struct decttl_now *c = ctx;
	if (unlikely(!c->active) || (!c->mcast && (rte_be_to_cpu_32(ip->dst_addr) & 0xf0000000u) == 0xe0000000u))
		return 0;
	if (unlikely(ip->time_to_live <= 1))
		return 1;
	dec_ttl(ip);
	return 0;
}

static void decttl_push(struct el_node *n, int port, struct rt_batch *b)
{
	const struct decttl *s = n->state;
	struct decttl_now c = {__atomic_load_n(&s->active, __ATOMIC_RELAXED), s->multicast};
	ipedit_push(n, b, decttl_edit, &c);
}

static const struct el_arg args[] = {
	{"ACTIVE", EL_T_BOOL, offsetof(struct decttl, active), "true", 0, "decrement TTLs at all"},
	{"MULTICAST", EL_T_BOOL, offsetof(struct decttl, multicast), "true", 0, "decrement multicast packets' TTLs"},
	EL_ARGS_END,
};

static int decttl_read(struct el *e, intptr_t what, struct rt_buf *out)
{
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
	{"drops", ipedit_drops_h, NULL, 0, 0, "packets sent to output 1 (expired or unusable)"},
	{"active", decttl_read, decttl_write, 0, 0, "whether TTLs are decremented"},
	EL_HANDLERS_END,
};

static struct el_class decipttl = {
	.name = "DecIPTTL",
	.sig = "DecIPTTL([KEYWORDS ACTIVE, MULTICAST])",
	.summary = "decrements IP time-to-live, drops dead packets",
	.doc = doc,
	.ports = "1/1-2",
	.state_size = sizeof(struct decttl),
	.pw_size = sizeof(struct ipedit_pw),
	.args = args,
	.push = decttl_push,
	.handlers = handlers,
};
EL_REGISTER(decipttl)
