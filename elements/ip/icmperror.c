/*
 * ICMPError - answers each incoming IP packet with an ICMP error message
 * (unreachable, time exceeded, parameter problem, redirect, source quench)
 * that quotes the packet, following RFC 1812's rules on when not to.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "../../runtime/router.h"
#include "ipmisc.h"

static const char doc[] =
	"Generates an ICMP error packet, with type TYPE and code CODE, in response to each incoming "
	"IP packet, which is consumed. The error's IP source address is SRC and its destination "
	"the packet's source; its payload quotes the packet from its IP header on, as much as fits "
	"in an MTU-byte datagram (MTU defaults to 576, RFC 1812 4.3.2.3). The error's destination "
	"address annotation is set to its destination, and its Fix IP Source annotation is set "
	"(for FixIPSrc) unless SET_FIX_ANNO is false.\n\n"
	"TYPE and CODE are numbers between 0 and 255 or names; CODE defaults to 0. Named TYPEs: "
	"`unreachable` [3], `sourcequench` [4], `redirect` [5], `timeexceeded` [11], "
	"`parameterproblem` [12]. Named CODEs: `net` [0], `host` [1], `protocol` [2], `port` [3], "
	"`needfrag` [4], `srcroutefail` [5], `netunknown` [6], `hostunknown` [7], `isolated` [8], "
	"`netprohib` [9], `hostprohib` [10], `tosnet` [11], `toshost` [12], `filterprohib` [13], "
	"`hostprecedence` [14], `precedencecutoff` [15] for `unreachable`; `net` [0], `host` [1], "
	"`tosnet` [2], `toshost` [3] for `redirect`; `transit` [0], `reassembly` [1] for "
	"`timeexceeded`; `erroratptr` [0], `missingopt` [1], `length` [2] for `parameterproblem`.\n\n"
	"No error is sent for ICMP error packets, packets to a broadcast or multicast address (or "
	"to or from an address in BADADDRS, a space-separated list), packets from an invalid "
	"source (0.x, 127.x, class D or E), fragments other than the first, and link-level "
	"broadcasts or multicasts (mboxsh checks the Ethernet destination when the packet still "
	"has its Ethernet header in front of the IP header). No redirect answers a source-routed "
	"packet; other errors for a source-routed packet carry the reversed source route.\n\n"
	"For `parameterproblem`/`erroratptr` the pointer comes from the ICMP parameter problem "
	"annotation that IPGWOptions sets. For `redirect` the gateway is the packet's destination "
	"address annotation. For `unreachable`/`needfrag` the next-hop MTU is PMTU.";

#define ICMP_UNREACH 3
#define ICMP_SOURCEQUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_TIMXCEED 11
#define ICMP_PARAMPROB 12
#define IPOPT_EOL 0
#define IPOPT_NOP 1
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137

struct icmperr {
	uint32_t src;
	char *type_arg, *code_arg, *badaddrs_arg;
	uint64_t mtu, pmtu;
	bool set_fix;
	uint8_t type, code;
	uint32_t *bad;  /* network order */
	int nbad;
	int pp_field;   /* mbuf dynamic field of the parameter problem pointer */
	uint16_t id;
};

static const struct el_arg args[] = {
	{"SRC", EL_T_IP4, offsetof(struct icmperr, src), NULL, EL_ARG_POS | EL_ARG_REQ, "source address of the errors"},
	{"TYPE", EL_T_WORD, offsetof(struct icmperr, type_arg), NULL, EL_ARG_POS | EL_ARG_REQ, "ICMP type (number or name)"},
	{"CODE", EL_T_WORD, offsetof(struct icmperr, code_arg), "0", EL_ARG_POS, "ICMP code (number or name)"},
	{"BADADDRS", EL_T_STRING, offsetof(struct icmperr, badaddrs_arg), NULL, 0, "addresses never answered"},
	{"MTU", EL_T_UINT, offsetof(struct icmperr, mtu), "576", 0, "largest error datagram"},
	{"PMTU", EL_T_UINT, offsetof(struct icmperr, pmtu), "0", 0, "next-hop MTU for unreachable/needfrag"},
	{"SET_FIX_ANNO", EL_T_BOOL, offsetof(struct icmperr, set_fix), "true", 0, "set the Fix IP Source annotation"},
	EL_ARGS_END,
};

struct icmp_name { uint8_t type; const char *name; uint8_t num; };

static const struct icmp_name type_names[] = {
	{0, "unreachable", ICMP_UNREACH}, {0, "sourcequench", ICMP_SOURCEQUENCH}, {0, "redirect", ICMP_REDIRECT},
	{0, "timeexceeded", ICMP_TIMXCEED}, {0, "parameterproblem", ICMP_PARAMPROB},
};

static const struct icmp_name code_names[] = {
	{ICMP_UNREACH, "net", 0}, {ICMP_UNREACH, "host", 1}, {ICMP_UNREACH, "protocol", 2},
	{ICMP_UNREACH, "port", 3}, {ICMP_UNREACH, "needfrag", 4}, {ICMP_UNREACH, "srcroutefail", 5},
	{ICMP_UNREACH, "netunknown", 6}, {ICMP_UNREACH, "hostunknown", 7}, {ICMP_UNREACH, "isolated", 8},
	{ICMP_UNREACH, "netprohib", 9}, {ICMP_UNREACH, "hostprohib", 10}, {ICMP_UNREACH, "tosnet", 11},
	{ICMP_UNREACH, "toshost", 12}, {ICMP_UNREACH, "filterprohib", 13},
	{ICMP_UNREACH, "hostprecedence", 14}, {ICMP_UNREACH, "precedencecutoff", 15},
	{ICMP_REDIRECT, "net", 0}, {ICMP_REDIRECT, "host", 1}, {ICMP_REDIRECT, "tosnet", 2},
	{ICMP_REDIRECT, "toshost", 3},
	{ICMP_TIMXCEED, "transit", 0}, {ICMP_TIMXCEED, "reassembly", 1},
	{ICMP_PARAMPROB, "erroratptr", 0}, {ICMP_PARAMPROB, "missingopt", 1}, {ICMP_PARAMPROB, "length", 2},
};

static bool is_error_type(unsigned t)
{
	return t == ICMP_UNREACH || t == ICMP_SOURCEQUENCH || t == ICMP_REDIRECT || t == ICMP_TIMXCEED ||
	       t == ICMP_PARAMPROB;
}

/* A number 0-255 or a name from tab (matching type when type != 0). */
static int parse_named(const char *s, const struct icmp_name *tab, size_t n, unsigned type)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);
	if (isdigit((unsigned char)*s) && !*end)
		return v <= 255 ? (int)v : -1;
	for (size_t i = 0; i < n; i++)
		if (tab[i].type == type && !strcasecmp(tab[i].name, s))
			return tab[i].num;
	return -1;
}

static int icmperr_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct icmperr *s = e->state;
	if (argc > 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%s'", e->name, argv[0]);
	int t = parse_named(s->type_arg, type_names, RT_ARRAY_SIZE(type_names), 0);
	if (t < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: TYPE: expected ICMP type, not '%s'", e->name, s->type_arg);
	if (!is_error_type((unsigned)t))
		return rt_errf(err, &e->loc, -EINVAL, "%s: TYPE: ICMP type %d is not an error type", e->name, t);
	int c = parse_named(s->code_arg, code_names, RT_ARRAY_SIZE(code_names), (unsigned)t);
	if (c < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: CODE: expected ICMP code for type %d, not '%s'", e->name, t,
			       s->code_arg);
	s->type = (uint8_t)t;
	s->code = (uint8_t)c;
	if (s->mtu > RTE_MBUF_DEFAULT_DATAROOM)
		return rt_errf(err, &e->loc, -EINVAL, "%s: MTU: at most %d", e->name, RTE_MBUF_DEFAULT_DATAROOM);
	if (s->pmtu > 0xffff)
		return rt_errf(err, &e->loc, -EINVAL, "%s: PMTU: at most 65535", e->name);
	free(s->bad);
	s->bad = NULL;
	s->nbad = 0;
	if (s->badaddrs_arg) {
		char *copy = strdup(s->badaddrs_arg), *save = NULL;
		for (char *w = strtok_r(copy, " \t\n,", &save); w; w = strtok_r(NULL, " \t\n,", &save)) {
			uint32_t a;
			struct rt_err e2;
			rt_err_clear(&e2);
			if (el_parse_value(EL_T_IP4, w, &a, &e2) < 0) {
				free(copy);
				return rt_errf(err, &e->loc, -EINVAL, "%s: BADADDRS: %s", e->name, e2.msg);
			}
			s->bad = realloc(s->bad, sizeof(*s->bad) * (size_t)(s->nbad + 1));
			s->bad[s->nbad++] = a;
		}
		free(copy);
	}
	return 0;
}

static int icmperr_init(struct el *e, struct rt_err *err)
{
	struct icmperr *s = e->state;
	s->pp_field = -1;
	if (s->type == ICMP_PARAMPROB && s->code == 0 && (s->pp_field = ipm_paramprob_field()) < 0)
		return rt_errf(err, &e->loc, s->pp_field, "%s: cannot register the parameter problem annotation", e->name);
	return 0;
}

static void icmperr_cleanup(struct el *e) { free(EL_STATE(e, struct icmperr)->bad); }

static bool unicast(const struct icmperr *s, uint32_t a)
{
	uint32_t ha = rte_be_to_cpu_32(a);
	if (ha == 0xffffffffu || (ha & 0xf0000000u) == 0xe0000000u)
		return false;
	for (int i = 0; i < s->nbad; i++)
		if (s->bad[i] == a)
			return false;
	return true;
}

/* RFC 1812 5.3.7: no errors to net 0, loopback, class E or non-unicast. */
static bool valid_source(const struct icmperr *s, uint32_t a)
{
	unsigned net = rte_be_to_cpu_32(a) >> 24;
	return unicast(s, a) && net != 0 && net != 127 && (net & 0xf0) != 0xf0;
}

/* The packet's loose or strict source route option, if well formed. */
static const uint8_t *source_route(const uint8_t *oa, int hlen)
{
	for (int oi = 20; oi < hlen;) {
		unsigned type = oa[oi];
		if (type == IPOPT_NOP) {
			oi++;
			continue;
		}
		if (type == IPOPT_EOL || oi + 1 >= hlen)
			return NULL;
		int xlen = oa[oi + 1];
		if (xlen < 2 || oi + xlen > hlen)
			return NULL;
		if ((type == IPOPT_LSRR || type == IPOPT_SSRR) && xlen >= 3 && oa[oi + 2] >= 4 && oa[oi + 2] % 4 == 0 &&
		    oa[oi + 2] <= xlen + 1)
			return oa + oi;
		oi += xlen;
	}
	return NULL;
}

/* Build the error for m, or return NULL when none is due. */
static struct rte_mbuf *icmperr_make(struct el *e, struct icmperr *s, struct rte_mbuf *m, uint64_t now)
{
	if (!ipm_ok(m))
		return NULL;
	const uint8_t *oa = (const uint8_t *)ipm_hdr(m);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)oa;
	int hlen = ipm_hlen(ip), netlen = ipm_netlen(m);
	/* RFC 1812 4.3.2.7: never answer an ICMP error */
	if (ip->next_proto_id == IPPROTO_ICMP && (hlen + 4 > netlen || is_error_type(oa[hlen])))
		return NULL;
	if (!unicast(s, ip->dst_addr))
		return NULL;
	/* link-level broadcast or multicast, when the Ethernet header is still there */
	if (ipm_off(m) >= 14 && (rt_data(m)[ipm_off(m) - 14] & 1))
		return NULL;
	if (!valid_source(s, ip->src_addr))
		return NULL;
	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK))
		return NULL;
	uint8_t pointer = s->pp_field >= 0 ? *ipm_paramprob(m, s->pp_field) : 0;
	const uint8_t *sr = source_route(oa, hlen);
	if (sr) {
		if (s->type == ICMP_REDIRECT)
			return NULL; /* RFC 1812 5.2.7.2 */
		/* 4.3.2.6: not when the problem is in the source route itself */
		if (s->type == ICMP_PARAMPROB && s->code == 0 && sr <= oa + pointer && oa + pointer < sr + sr[1])
			sr = NULL;
	}

	struct rte_mbuf *q = rt_pkt_alloc(e->router);
	if (!q)
		return NULL;
	int ohl = 20, olen = 0;
	if (sr) {
		olen = sr[2] - 1;
		ohl = (20 + olen + 3) & ~3;
	}
	int quote = RT_MIN(netlen, (int)s->mtu - ohl - 8);
	if (quote < 0)
		quote = 0;
	uint16_t total = (uint16_t)(ohl + 8 + quote);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(q, total);
	if (!p) {
		rte_pktmbuf_free(q);
		return NULL;
	}
	memset(p, 0, (size_t)ohl + 8);
	struct rte_ipv4_hdr *nip = (struct rte_ipv4_hdr *)p;
	if (sr) { /* the recorded route, reversed */
		uint8_t *o = p + 20;
		o[0] = sr[0];
		o[1] = (uint8_t)olen;
		o[2] = 4;
		o += 3;
		for (const uint8_t *oo = sr + sr[2] - 5; oo >= sr + 3; oo -= 4, o += 4)
			memcpy(o, oo, 4);
	}
	nip->version_ihl = (uint8_t)(0x40 | (ohl >> 2));
	nip->total_length = rte_cpu_to_be_16(total);
	nip->packet_id = rte_cpu_to_be_16(__atomic_fetch_add(&s->id, 1, __ATOMIC_RELAXED));
	nip->time_to_live = 200;
	nip->next_proto_id = IPPROTO_ICMP;
	nip->src_addr = s->src;
	nip->dst_addr = ip->src_addr;
	ipm_set_csum(nip);

	uint8_t *icp = p + ohl;
	icp[0] = s->type;
	icp[1] = s->code;
	if (s->type == ICMP_PARAMPROB && s->code == 0)
		icp[4] = pointer;
	else if (s->type == ICMP_REDIRECT)
		memcpy(icp + 4, &rt_anno(m)->dst_ip, 4);
	else if (s->type == ICMP_UNREACH && s->code == 4) {
		uint16_t mtu = rte_cpu_to_be_16((uint16_t)s->pmtu);
		memcpy(icp + 6, &mtu, 2);
	}
	memcpy(icp + 8, oa, (size_t)quote);
	uint16_t ck = (uint16_t)~rte_raw_cksum(icp, (size_t)8 + (size_t)quote);
	memcpy(icp + 2, &ck, 2);

	struct rt_anno *an = rt_anno(q);
	an->dst_ip = nip->dst_addr;
	if (s->set_fix)
		an->flags |= RT_AF_FIXIPSRC;
	an->timestamp = rt_anno(m)->timestamp ? rt_anno(m)->timestamp : now; /* as its cause */
	rt_set_nh(q, 0);
	return q;
}

static void icmperr_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct icmperr *s = n->state;
	struct rt_batch out;
	out.n = 0;
	uint64_t now = rt_wall_ns();
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *q = icmperr_make(n->e, s, b->pkts[i], now);
		if (q)
			rt_batch_add(&out, q);
	}
	rt_batch_free(b);
	el_output(n, 0, &out);
}

static struct el_class icmperror = {
	.name = "ICMPError",
	.sig = "ICMPError(SRC, TYPE [, CODE, KEYWORDS])",
	.summary = "generates ICMP error packets",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct icmperr),
	.args = args,
	.configure = icmperr_configure,
	.init = icmperr_init,
	.cleanup = icmperr_cleanup,
	.push = icmperr_push,
};
EL_REGISTER(icmperror)
