/*
 * IPGWOptions - processes the IP options every router must handle on the
 * way through (Record Route, Timestamp); packets with bad options go to
 * output 1 with the ICMP parameter problem pointer set.
 */
#include <errno.h>
#include <stdlib.h>

#include "ipmisc.h"

static const char doc[] =
	"Processes the IP options that should be processed by every router, not just when the "
	"destination is the router itself: Record Route and Timestamp (not the source route "
	"options). MYADDR is the router's IP address on the interface downstream from the "
	"element, so it belongs on the output path (RFC 1812 4.2.2.2). OTHERADDRS, a "
	"space-separated list, names the router's other interface addresses, used by the "
	"Timestamp option's prespecified-address form.\n\n"
	"The IP checksum is recomputed when an option is changed. A packet with a malformed or "
	"unprocessable option goes to output 1, or is dropped if there is none, and is counted in "
	"`drops`; its ICMP parameter problem annotation is set to the offset of the bad byte so "
	"that an ICMPError(..., parameterproblem) there can point at it.";

#define IPOPT_EOL 0
#define IPOPT_NOP 1
#define IPOPT_RR 7
#define IPOPT_TS 68

struct ipgwopt {
	uint32_t myaddr;
	char *others_arg;
	uint32_t *addrs; /* MYADDR and OTHERADDRS */
	int naddrs;
	int pp_field;
	uint64_t base_drops;
};

struct ipgwopt_pw {
	uint64_t drops;
};

static const struct el_arg args[] = {
	{"MYADDR", EL_T_IP4, offsetof(struct ipgwopt, myaddr), NULL, EL_ARG_POS | EL_ARG_REQ, "this interface's address"},
	{"OTHERADDRS", EL_T_STRING, offsetof(struct ipgwopt, others_arg), NULL, EL_ARG_POS, "the router's other addresses"},
	EL_ARGS_END,
};

static int ipgwopt_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct ipgwopt *s = e->state;
	if (argc > 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%s'", e->name, argv[0]);
	free(s->addrs);
	s->addrs = malloc(sizeof(*s->addrs));
	s->addrs[0] = s->myaddr;
	s->naddrs = 1;
	if (s->others_arg) {
		char *copy = strdup(s->others_arg), *save = NULL;
		for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
			uint32_t a;
			struct rt_err e2;
			rt_err_clear(&e2);
			if (el_parse_value(EL_T_IP4, w, &a, &e2) < 0) {
				free(copy);
				return rt_errf(err, &e->loc, -EINVAL, "%s: OTHERADDRS: %s", e->name, e2.msg);
			}
			s->addrs = realloc(s->addrs, sizeof(*s->addrs) * (size_t)(s->naddrs + 1));
			s->addrs[s->naddrs++] = a;
		}
		free(copy);
	}
	return 0;
}

static int ipgwopt_init(struct el *e, struct rt_err *err)
{
	struct ipgwopt *s = e->state;
	if ((s->pp_field = ipm_paramprob_field()) < 0)
		return rt_errf(err, &e->loc, s->pp_field, "%s: cannot register the parameter problem annotation", e->name);
	return 0;
}

static void ipgwopt_cleanup(struct el *e) { free(EL_STATE(e, struct ipgwopt)->addrs); }

/* Milliseconds since midnight UT, network order (RFC 791 timestamp). */
static uint32_t ts_now(void)
{
	uint64_t ms = rt_wall_ns() / 1000000ull;
	return rte_cpu_to_be_32((uint32_t)(ms % 86400000ull));
}

/* Process the options of the IP header at oa (hlen bytes).  Returns -1
 * when all is well, else the offset of the offending byte. */
static int handle_options(const struct ipgwopt *s, uint8_t *oa, int hlen)
{
	bool changed = false;
	uint32_t ms = 0;
	bool have_ms = false;
	int oi;
	for (oi = 20; oi < hlen;) {
		unsigned type = oa[oi];
		if (type == IPOPT_NOP) {
			oi++;
			continue;
		}
		if (type == IPOPT_EOL)
			break;
		if (oi + 1 >= hlen)
			return oi; /* no room for the length byte */
		int xlen = oa[oi + 1];
		if (xlen < 2 || oi + xlen > hlen)
			return oi + 1; /* bad length */
		if (type != IPOPT_RR && type != IPOPT_TS) {
			oi += xlen;
			continue;
		}
		if (xlen < 3)
			return oi + 1;
		int p = oa[oi + 2] - 1; /* the pointer is 1-origin */
		if (type == IPOPT_RR) {
			if (p >= 3 && p + 4 <= xlen) {
				memcpy(oa + oi + p, &s->myaddr, 4);
				oa[oi + 2] += 4;
				changed = true;
			} else if (p != xlen) {
				return oi + 2;
			}
		} else {
			if (xlen < 4 || p < 4)
				return oi + 2;
			int oflw = oa[oi + 3] >> 4, flg = oa[oi + 3] & 0xf;
			bool overflowed = false;
			if (!have_ms)
				ms = ts_now(), have_ms = true;
			if (flg == 0) { /* timestamps only */
				if (p + 4 <= xlen) {
					memcpy(oa + oi + p, &ms, 4);
					oa[oi + 2] += 4;
					changed = true;
				} else {
					overflowed = true;
				}
			} else if (flg == 1) { /* address and timestamp */
				if (p + 8 <= xlen) {
					memcpy(oa + oi + p, &s->myaddr, 4);
					memcpy(oa + oi + p + 4, &ms, 4);
					oa[oi + 2] += 8;
					changed = true;
				} else {
					overflowed = true;
				}
			} else if (flg == 3 && p + 8 <= xlen) { /* prespecified addresses */
				uint32_t a;
				memcpy(&a, oa + oi + p, 4);
				for (int i = 0; i < s->naddrs; i++)
					if (s->addrs[i] == a) {
						memcpy(oa + oi + p + 4, &ms, 4);
						oa[oi + 2] += 8;
						changed = true;
						break;
					}
			} else {
				return oi + 3;
			}
			if (overflowed) {
				if (oflw >= 15)
					return oi + 3;
				oa[oi + 3] = (uint8_t)(((oflw + 1) << 4) | flg);
				changed = true;
			}
		}
		oi += xlen;
	}
	if (changed)
		ipm_set_csum((struct rte_ipv4_hdr *)oa);
	return -1;
}

static void ipgwopt_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct ipgwopt *s = n->state;
	struct el_split sp;
	el_split_init(&sp);
	uint32_t bad = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 4 < b->n)
			rte_prefetch0(rt_data(b->pkts[i + 4]));
		int where = -1;
		if (likely(ipm_ok(m))) {
			uint8_t *oa = (uint8_t *)ipm_hdr(m);
			int hlen = ipm_hlen((struct rte_ipv4_hdr *)oa);
			if (unlikely(hlen > 20))
				where = handle_options(s, oa, hlen);
		}
		if (likely(where < 0)) {
			rt_batch_add(&sp.out[0], m);
		} else {
			*ipm_paramprob(m, s->pp_field) = (uint8_t)where;
			rt_batch_add(&sp.out[1], m);
			bad++;
		}
	}
	if (bad)
		((struct ipgwopt_pw *)el_pw(n->e))->drops += bad;
	b->n = 0;
	el_split_flush(n, &sp);
}

static int ipgwopt_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	uint64_t v = el_pw_sum(e, offsetof(struct ipgwopt_pw, drops)) - EL_STATE(e, struct ipgwopt)->base_drops;
	rt_buf_printf(out, "%llu", (unsigned long long)v);
	return 0;
}

static int ipgwopt_reset(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what, (void)v, (void)err;
	EL_STATE(e, struct ipgwopt)->base_drops = el_pw_sum(e, offsetof(struct ipgwopt_pw, drops));
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", ipgwopt_read, NULL, 0, 0, "packets with bad options"},
	{"reset_counts", NULL, ipgwopt_reset, 0, EL_H_BUTTON, "reset drops"},
	EL_HANDLERS_END,
};

static struct el_class ipgwoptions = {
	.name = "IPGWOptions",
	.sig = "IPGWOptions(MYADDR [, OTHERADDRS])",
	.summary = "processes router IP options",
	.doc = doc,
	.ports = "1/1-2",
	.state_size = sizeof(struct ipgwopt),
	.pw_size = sizeof(struct ipgwopt_pw),
	.args = args,
	.configure = ipgwopt_configure,
	.init = ipgwopt_init,
	.cleanup = ipgwopt_cleanup,
	.push = ipgwopt_push,
	.handlers = handlers,
};
EL_REGISTER(ipgwoptions)
