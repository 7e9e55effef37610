/*
 * IPEncap - encapsulates each packet in a static IPv4 header (IP-in-IP, GRE
 * carriers and the like).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "ipmisc.h"

static const char doc[] =
	"Encapsulates each incoming packet in an IP packet with protocol PROTO, source address "
	"SRC, and destination address DST. This is most useful for IP-in-IP encapsulation. The "
	"destination address annotation is set to DST and the network header annotation to the "
	"new header. As a special case, if DST is `DST_ANNO`, the destination address is the "
	"packet's destination address annotation.\n\n"
	"PROTO is a number or a name: `icmp`, `igmp`, `ipip`, `tcp`, `udp`, `ipv6`, `gre`, `esp`, "
	"`ah`, `icmp6`, `ospf`, `pim`, `sctp`.\n\n"
	"Keyword arguments: TTL (byte, default 250); DSCP (0 to 63, default 0); ECT (boolean or "
	"`2`: ECN bits 1 when true, 2 when `2`; default false); CE (boolean: ECN bits 3); TOS "
	"(byte, default 0; not together with DSCP, ECT or CE); DF (boolean: set Don't Fragment).";

struct ipenc {
	char *proto_arg, *dst_arg, *ect_arg;
	uint32_t src, dst; /* network order; written by handlers, loaded once per batch */
	bool dst_anno;
	uint64_t ttl, dscp, tos;
	bool ce, df;
	uint8_t proto, tos_byte;
	uint16_t id;
};

static const struct el_arg args[] = {
	{"PROTO", EL_T_WORD, offsetof(struct ipenc, proto_arg), NULL, EL_ARG_POS | EL_ARG_REQ, "IP protocol, number or name"},
	{"SRC", EL_T_IP4, offsetof(struct ipenc, src), NULL, EL_ARG_POS | EL_ARG_REQ, "source address"},
	{"DST", EL_T_WORD, offsetof(struct ipenc, dst_arg), NULL, EL_ARG_POS, "destination address or DST_ANNO (required)"},
	{"TTL", EL_T_UINT, offsetof(struct ipenc, ttl), "250", 0, "time to live"},
	{"DSCP", EL_T_UINT, offsetof(struct ipenc, dscp), "0", 0, "DSCP value (0-63)"},
	{"ECT", EL_T_WORD, offsetof(struct ipenc, ect_arg), "false", 0, "ECN capable: true (ECT(1)), 2 (ECT(2)) or false"},
	{"CE", EL_T_BOOL, offsetof(struct ipenc, ce), "false", 0, "set ECN to Congestion Experienced"},
	{"TOS", EL_T_UINT, offsetof(struct ipenc, tos), "0", 0, "whole TOS byte"},
	{"DF", EL_T_BOOL, offsetof(struct ipenc, df), "false", 0, "set Don't Fragment"},
	EL_ARGS_END,
};

static const struct { const char *name; uint8_t num; } protos[] = {
	{"icmp", 1}, {"igmp", 2}, {"ipip", 4}, {"tcp", 6}, {"udp", 17}, {"ipv6", 41}, {"gre", 47},
	{"esp", 50}, {"ah", 51}, {"icmp6", 58}, {"icmpv6", 58}, {"ospf", 89}, {"pim", 103}, {"sctp", 132},
};

static int parse_dst(const char *v, uint32_t *dst, bool *anno, struct rt_err *err)
{
	*anno = !strcmp(v, "DST_ANNO");
	if (*anno) {
		*dst = 0;
		return 0;
	}
	return el_parse_value(EL_T_IP4, v, dst, err);
}

static int ipenc_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct ipenc *s = e->state;
	struct rt_err e2;
	rt_err_clear(&e2);
	/* the table takes a bare DST_ANNO for a keyword (Click does not): it
	 * comes back here, and can only be the DST argument */
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "DST_ANNO") && !s->dst_arg)
			s->dst_arg = strdup("DST_ANNO");
		else
			return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%s'", e->name, argv[i]);
	}
	if (!s->dst_arg)
		return rt_errf(err, &e->loc, -EINVAL, "%s: missing mandatory argument 'DST'", e->name);
	/* PROTO */
	char *end;
	unsigned long p = strtoul(s->proto_arg, &end, 0);
	if (isdigit((unsigned char)s->proto_arg[0]) && !*end && p <= 255) {
		s->proto = (uint8_t)p;
	} else {
		size_t i;
		for (i = 0; i < RT_ARRAY_SIZE(protos); i++)
			if (!strcasecmp(protos[i].name, s->proto_arg))
				break;
		if (i == RT_ARRAY_SIZE(protos))
			return rt_errf(err, &e->loc, -EINVAL, "%s: PROTO: expected IP protocol, not '%s'", e->name, s->proto_arg);
		s->proto = protos[i].num;
	}
	if (parse_dst(s->dst_arg, &s->dst, &s->dst_anno, &e2) < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: DST: %s", e->name, e2.msg);
	if (s->ttl > 255)
		return rt_errf(err, &e->loc, -EINVAL, "%s: TTL: must be 0 to 255", e->name);
	if (s->tos > 255)
		return rt_errf(err, &e->loc, -EINVAL, "%s: TOS: must be 0 to 255", e->name);
	if (s->dscp > 63)
		return rt_errf(err, &e->loc, -EINVAL, "%s: DSCP: must be 0 to 63", e->name);
	unsigned ecn;
	bool ect;
	if (!strcmp(s->ect_arg, "2"))
		ecn = 2;
	else if (el_parse_value(EL_T_BOOL, s->ect_arg, &ect, &e2) < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: ECT: expected boolean or '2', not '%s'", e->name, s->ect_arg);
	else
		ecn = ect ? 1 : 0;
	if (s->ce)
		ecn = 3;
	if (el_arg_given(e, "TOS")) {
		if (el_arg_given(e, "DSCP") || el_arg_given(e, "ECT") || el_arg_given(e, "CE"))
			return rt_errf(err, &e->loc, -EINVAL, "%s: TOS: cannot be given with DSCP, ECT or CE", e->name);
		s->tos_byte = (uint8_t)s->tos;
	} else {
		s->tos_byte = (uint8_t)(s->dscp << 2 | ecn);
	}
	return 0;
}

static void ipenc_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct ipenc *s = n->state;
	uint32_t src = __atomic_load_n(&s->src, __ATOMIC_RELAXED);
	uint32_t dst = __atomic_load_n(&s->dst, __ATOMIC_RELAXED);
	bool dst_anno = __atomic_load_n(&s->dst_anno, __ATOMIC_RELAXED);
	uint16_t id = __atomic_fetch_add(&s->id, (uint16_t)b->n, __ATOMIC_RELAXED);
	uint16_t off = s->df ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	uint32_t k = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)ipm_push(&m, 20);
		if (!ip)
			continue;
		ip->version_ihl = 0x45;
		ip->type_of_service = s->tos_byte;
		ip->total_length = rte_cpu_to_be_16((uint16_t)rt_len(m));
		ip->packet_id = rte_cpu_to_be_16((uint16_t)(id + i));
		ip->fragment_offset = off;
		ip->time_to_live = (uint8_t)s->ttl;
		ip->next_proto_id = s->proto;
		ip->src_addr = src;
		ip->dst_addr = dst_anno ? rt_anno(m)->dst_ip : dst;
		ipm_set_csum(ip);
		rt_anno(m)->dst_ip = ip->dst_addr;
		rt_set_nh(m, 0);
		b->pkts[k++] = m;
	}
	b->n = k;
	el_output(n, 0, b);
}

enum { H_SRC, H_DST };

static int ipenc_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct ipenc *s = e->state;
	if (what == H_DST && s->dst_anno)
		rt_buf_puts(out, "DST_ANNO");
	else
		el_unparse_value(EL_T_IP4, what == H_SRC ? &s->src : &s->dst, out);
	return 0;
}

static int ipenc_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct ipenc *s = e->state;
	uint32_t a;
	bool anno = false;
	if ((what == H_SRC ? el_parse_value(EL_T_IP4, v, &a, err) : parse_dst(v, &a, &anno, err)) < 0)
		return err->code;
	__atomic_store_n(what == H_SRC ? &s->src : &s->dst, a, __ATOMIC_RELAXED);
	if (what == H_DST)
		__atomic_store_n(&s->dst_anno, anno, __ATOMIC_RELAXED);
	return 0;
}

static const struct el_handler handlers[] = {
	{"src", ipenc_read, ipenc_write, H_SRC, 0, "the SRC parameter"},
	{"dst", ipenc_read, ipenc_write, H_DST, 0, "the DST parameter"},
	EL_HANDLERS_END,
};

static struct el_class ipencap = {
	.name = "IPEncap",
	.sig = "IPEncap(PROTO, SRC, DST, KEYWORDS)",
	.summary = "encapsulates packets in static IP header",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct ipenc),
	.args = args,
	.configure = ipenc_configure,
	.push = ipenc_push,
	.handlers = handlers,
};
EL_REGISTER(ipencap)
