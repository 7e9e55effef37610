/*
 * HostEtherFilter - passes Ethernet frames for this host (its address,
 * broadcast, multicast) and filters the rest, like a NIC would.
 */
#include <rte_ether.h>

#include "../../runtime/el.h"

static const char doc[] =
	"Expects Ethernet packets as input. Acts basically like Ethernet input hardware for a "
	"device with address ETHER. Emits most packets on the first output. If DROP_OWN is true, "
	"drops packets whose source address is ETHER; defaults to false. If DROP_OTHER is true, "
	"drops packets sent to hosts other than ETHER (that is, packets with unicast destination "
	"addresses not equal to ETHER); defaults to true. If the element has two outputs, filtered "
	"packets are emitted on the second output rather than dropped. OFFSET: the Ethernet header "
	"starts OFFSET bytes into the packet.\n\n"
	"Packets too short to hold an Ethernet header at OFFSET are filtered too. mboxsh has no "
	"packet-type annotation, so HOST/BROADCAST/MULTICAST/OTHERHOST are not recorded.";

struct hef {
	uint8_t ether[6];
	bool drop_own, drop_other;
	uint64_t offset;
	uint64_t addr; /* ETHER in the low 48 bits (memory order), read atomically by workers */
};

/* Six bytes as a 64-bit word, the same way for the packet and for ETHER. */
static inline uint64_t mac48(const uint8_t *p)
{
	uint64_t v = 0;
	memcpy(&v, p, 6);
	return v;
}

static void hef_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct hef *s = n->state;
	uint64_t me = __atomic_load_n(&s->addr, __ATOMIC_RELAXED);
	uint32_t off = (uint32_t)s->offset;
	bool drop_own = s->drop_own, drop_other = s->drop_other;
	struct el_split sp;
	el_split_init(&sp);
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 1 < b->n)
			rte_prefetch0(rt_data(b->pkts[i + 1]) + off);
		int out = 0;
		if (unlikely(rt_len(m) < off + RTE_ETHER_HDR_LEN)) {
			out = 1;
		} else {
			const uint8_t *eh = rt_data(m) + off;
			uint64_t dst = mac48(eh);
			if (drop_own && mac48(eh + 6) == me)
				out = 1;
			else if (dst != me && !(eh[0] & 1) && drop_other) /* unicast to another host */
				out = 1;
		}
		rt_batch_add(&sp.out[out], m);
	}
	el_split_flush(n, &sp);
}

static const struct el_arg args[] = {
	{"ETHER", EL_T_ETHER, offsetof(struct hef, ether), NULL, EL_ARG_POS | EL_ARG_REQ, "this host's address"},
	{"DROP_OWN", EL_T_BOOL, offsetof(struct hef, drop_own), "false", EL_ARG_POS, "drop packets from ETHER"},
	{"DROP_OTHER", EL_T_BOOL, offsetof(struct hef, drop_other), "true", EL_ARG_POS,
	 "drop unicast packets to other hosts"},
	{"OFFSET", EL_T_UINT, offsetof(struct hef, offset), "0", 0, "Ethernet header offset"},
	EL_ARGS_END,
};

static int hef_init(struct el *e, struct rt_err *err)
{
	struct hef *s = e->state;
	if (s->offset > 1024)
		return rt_errf(err, &e->loc, -EINVAL, "%s: OFFSET too large", e->name);
	s->addr = mac48(s->ether);
	return 0;
}

static int hef_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	const uint8_t *a = EL_STATE(e, struct hef)->ether;
	rt_buf_printf(out, "%02X-%02X-%02X-%02X-%02X-%02X", a[0], a[1], a[2], a[3], a[4], a[5]);
	return 0;
}

static int hef_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what;
	struct hef *s = e->state;
	uint8_t a[6];
	if (el_parse_value(EL_T_ETHER, v, a, err) < 0)
		return err->code;
	memcpy(s->ether, a, 6);
	__atomic_store_n(&s->addr, mac48(a), __ATOMIC_RELAXED);
	return 0;
}

static const struct el_handler handlers[] = {
	{"ether", hef_read, hef_write, 0, 0, "this host's Ethernet address"},
	EL_HANDLERS_END,
};

static struct el_class hostetherfilter = {
	.name = "HostEtherFilter",
	.sig = "HostEtherFilter(ETHER [, DROP_OWN, DROP_OTHER, KEYWORDS])",
	.summary = "drops Ethernet packets sent to other machines",
	.doc = doc,
	.ports = "1/1-2",
	.state_size = sizeof(struct hef),
	.args = args,
	.init = hef_init,
	.push = hef_push,
	.handlers = handlers,
};
EL_REGISTER(hostetherfilter)
