/*
 * UDPIPEncap - encapsulates each packet in a UDP/IP header built from the
 * configured addresses and ports.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_udp.h>

#include "ipmisc.h"

static const char doc[] =
	"Encapsulates each incoming packet in a UDP/IP packet with source address SRC, source "
	"port SPORT, destination address DST, and destination port DPORT. The UDP checksum is "
	"calculated if CHECKSUM is true (the default). As a special case, if DST is `DST_ANNO`, "
	"the destination address is the packet's destination address annotation.\n\n"
	"The IP header has TTL 250, TOS 0 and an ID counting up; the destination address "
	"annotation is set to DST and the network header annotation to the new IP header. "
	"The Strip element can be used by the receiver to get rid of the encapsulation header.";

struct udpenc {
	uint32_t src;
	uint64_t sport, dport;
	char *dst_arg, *dport_arg;
	bool cksum;
	/* control thread writes these one at a time; the data path loads each
	 * once per batch */
	uint32_t dst;
	bool dst_anno;
	uint16_t id; /* IP ID counter, advanced a batch at a time */
};

static const struct el_arg args[] = {
	{"SRC", EL_T_IP4, offsetof(struct udpenc, src), NULL, EL_ARG_POS | EL_ARG_REQ, "source address"},
	{"SPORT", EL_T_UINT, offsetof(struct udpenc, sport), NULL, EL_ARG_POS | EL_ARG_REQ, "source port"},
	{"DST", EL_T_WORD, offsetof(struct udpenc, dst_arg), NULL, EL_ARG_POS, "destination address or DST_ANNO (required)"},
	{"DPORT", EL_T_WORD, offsetof(struct udpenc, dport_arg), NULL, EL_ARG_POS, "destination port (required)"},
	{"CHECKSUM", EL_T_BOOL, offsetof(struct udpenc, cksum), "true", EL_ARG_POS, "compute the UDP checksum"},
	EL_ARGS_END,
};

static int parse_dst(const char *v, uint32_t *dst, bool *anno, struct rt_err *err)
{
	if (!strcmp(v, "DST_ANNO")) {
		*anno = true;
		*dst = 0;
		return 0;
	}
	*anno = false;
	return el_parse_value(EL_T_IP4, v, dst, err);
}

static int udpenc_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct udpenc *s = e->state;
	struct rt_err e2;
	rt_err_clear(&e2);
	/* The table takes a bare DST_ANNO for a keyword (Click does not): it
	 * comes back here, and the positional value after it, if any, landed
	 * in DST instead of DPORT. */
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "DST_ANNO") || (s->dport_arg && el_arg_given(e, "CHECKSUM")))
			return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%s'", e->name, argv[i]);
		if (s->dport_arg && s->dst_arg) { /* (..., DST_ANNO, DPORT, CHECKSUM) */
			if (el_parse_value(EL_T_BOOL, s->dport_arg, &s->cksum, &e2) < 0)
				return rt_errf(err, &e->loc, -EINVAL, "%s: CHECKSUM: %s", e->name, e2.msg);
			free(s->dport_arg);
			s->dport_arg = NULL;
		}
		if (s->dst_arg)
			s->dport_arg = s->dst_arg;
		s->dst_arg = strdup("DST_ANNO");
	}
	if (!s->dst_arg || !s->dport_arg)
		return rt_errf(err, &e->loc, -EINVAL, "%s: missing mandatory argument '%s'", e->name,
			       s->dst_arg ? "DPORT" : "DST");
	if (el_parse_value(EL_T_UINT, s->dport_arg, &s->dport, &e2) < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: DPORT: %s", e->name, e2.msg);
	if (parse_dst(s->dst_arg, &s->dst, &s->dst_anno, &e2) < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: DST: %s", e->name, e2.msg);
	if (s->sport > 0xffff)
		return rt_errf(err, &e->loc, -EINVAL, "%s: SPORT: port %llu too large", e->name, (unsigned long long)s->sport);
	if (s->dport > 0xffff)
		return rt_errf(err, &e->loc, -EINVAL, "%s: DPORT: port %llu too large", e->name, (unsigned long long)s->dport);
	return 0;
}

static void udpenc_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct udpenc *s = n->state;
	/* snapshot the header fields once per batch */
	uint32_t src = __atomic_load_n(&s->src, __ATOMIC_RELAXED);
	uint32_t dst = __atomic_load_n(&s->dst, __ATOMIC_RELAXED);
	bool dst_anno = __atomic_load_n(&s->dst_anno, __ATOMIC_RELAXED);
	uint16_t sport = rte_cpu_to_be_16((uint16_t)__atomic_load_n(&s->sport, __ATOMIC_RELAXED));
	uint16_t dport = rte_cpu_to_be_16((uint16_t)__atomic_load_n(&s->dport, __ATOMIC_RELAXED));
	uint16_t id = __atomic_fetch_add(&s->id, (uint16_t)b->n, __ATOMIC_RELAXED);
	uint32_t k = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		uint8_t *p = ipm_push(&m, 28);
		if (!p)
			continue;
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(p + 20);
		uint32_t len = rt_len(m);
		ip->version_ihl = 0x45;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)len);
		ip->packet_id = rte_cpu_to_be_16((uint16_t)(id + i));
		ip->fragment_offset = 0;
		ip->time_to_live = 250;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = src;
		ip->dst_addr = dst_anno ? rt_anno(m)->dst_ip : dst;
		ipm_set_csum(ip);
		u->src_port = sport;
		u->dst_port = dport;
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(len - 20));
		u->dgram_cksum = 0;
		if (s->cksum)
			u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u); /* never 0: 0xffff instead */
		rt_anno(m)->dst_ip = ip->dst_addr;
		rt_set_nh(m, 0);
		b->pkts[k++] = m;
	}
	b->n = k;
	el_output(n, 0, b);
}

enum { H_SRC, H_SPORT, H_DST, H_DPORT };

static int udpenc_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct udpenc *s = e->state;
	switch (what) {
	case H_SRC: el_unparse_value(EL_T_IP4, &s->src, out); break;
	case H_DST:
		if (s->dst_anno)
			rt_buf_puts(out, "DST_ANNO");
		else
			el_unparse_value(EL_T_IP4, &s->dst, out);
		break;
	case H_SPORT: rt_buf_printf(out, "%llu", (unsigned long long)s->sport); break;
	case H_DPORT: rt_buf_printf(out, "%llu", (unsigned long long)s->dport); break;
	}
	return 0;
}

static int udpenc_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct udpenc *s = e->state;
	switch (what) {
	case H_SRC: {
		uint32_t a;
		if (el_parse_value(EL_T_IP4, v, &a, err) < 0)
			return err->code;
		__atomic_store_n(&s->src, a, __ATOMIC_RELAXED);
		return 0;
	}
	case H_DST: {
		uint32_t a;
		bool anno;
		if (parse_dst(v, &a, &anno, err) < 0)
			return err->code;
		__atomic_store_n(&s->dst, a, __ATOMIC_RELAXED);
		__atomic_store_n(&s->dst_anno, anno, __ATOMIC_RELAXED);
		return 0;
	}
	default: {
		uint64_t p;
		if (el_parse_value(EL_T_UINT, v, &p, err) < 0)
			return err->code;
		if (p > 0xffff)
			return rt_errf(err, NULL, -EINVAL, "port %llu too large", (unsigned long long)p);
		__atomic_store_n(what == H_SPORT ? &s->sport : &s->dport, p, __ATOMIC_RELAXED);
		return 0;
	}
	}
}

static const struct el_handler handlers[] = {
	{"src", udpenc_read, udpenc_write, H_SRC, 0, "the SRC source address"},
	{"sport", udpenc_read, udpenc_write, H_SPORT, 0, "the SPORT source port"},
	{"dst", udpenc_read, udpenc_write, H_DST, 0, "the DST destination address (or DST_ANNO)"},
	{"dport", udpenc_read, udpenc_write, H_DPORT, 0, "the DPORT destination port"},
	EL_HANDLERS_END,
};

static struct el_class udpipencap = {
	.name = "UDPIPEncap",
	.sig = "UDPIPEncap(SRC, SPORT, DST, DPORT [, CHECKSUM])",
	.summary = "encapsulates packets in static UDP/IP headers",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct udpenc),
	.args = args,
	.configure = udpenc_configure,
	.push = udpenc_push,
	.handlers = handlers,
};
EL_REGISTER(udpipencap)
