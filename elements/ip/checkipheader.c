/*
 * CheckIPHeader - checks IPv4 headers (length, version, header length, total
 * length, checksum, source address), trims link-level padding and marks the
 * network header and destination annotations.  The shared half of
 * CheckIPHeader2 (checkipheader2.c) lives here too.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ip.h>

#include "checkipheader.h"

static const char cih_doc[] =
	"Input packets should have IP headers starting OFFSET bytes in. Default OFFSET is zero. "
	"Checks that the packet's length is reasonable, and that the IP version, header length, "
	"length, and checksum fields are valid. Checks that the IP source address is a legal "
	"unicast address, or that the packet is destined for one of this machine's addresses. "
	"Shortens packets to the IP length, if the IP length is shorter than the nominal packet "
	"length (due to Ethernet padding, for example). Also sets the network header annotation "
	"and the destination IP address annotation.\n\n"
	"Valid packets leave on output 0. Invalid packets are pushed out on output 1, unless output "
	"1 was unused; if so, drops invalid packets.\n\n"
	"Source addresses are checked if INTERFACES, BADSRC or GOODDST is given (RFC 1812 5.3.7): "
	"`INTERFACES 18.26.4.9/24 18.32.9.44/28` acts like a BADSRC of `18.26.4.255 18.32.9.47 "
	"0.0.0.0 255.255.255.255` and a GOODDST of `18.26.4.9 18.32.9.44`. CHECKSUM false skips "
	"the checksum. The first bad packet is reported on stderr; VERBOSE reports every one. "
	"DETAILS enables the `drop_details` handler. The old `CheckIPHeader(BADSRC2, OFFSET)` "
	"syntax is not supported.";

static const char *const reason_texts[CIH_NREASONS] = {
	"tiny packet", "bad IP version", "bad IP header length", "bad IP length", "bad IP checksum",
	"bad source address",
};

static inline bool in_list(const uint32_t *v, int n, uint32_t a)
{
	for (int i = 0; i < n; i++)
		if (v[i] == a)
			return true;
	return false;
}

/* Check the header at off; on success mark the packet and return -1, else
 * return the reason. */
static inline int cih_check(const struct cih *s, struct rte_mbuf *m, uint32_t off)
{
	uint32_t len = rt_len(m);
	if (unlikely(len < off + sizeof(struct rte_ipv4_hdr)))
		return CIH_TINY;
	uint32_t plen = len - off;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(rt_data(m) + off);
	if (unlikely((ip->version_ihl >> 4) != 4))
		return CIH_VERSION;
	uint32_t hlen = (uint32_t)(ip->version_ihl & 0x0f) << 2;
	if (unlikely(hlen < sizeof(struct rte_ipv4_hdr)))
		return CIH_HLEN;
	uint32_t tl = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(tl > plen || tl < hlen))
		return CIH_IPLEN;
	if (s->checksum && unlikely(rte_ipv4_cksum(ip) != 0))
		return CIH_CHECKSUM;
	if (s->nbad && in_list(s->bad, s->nbad, ip->src_addr) && !in_list(s->good, s->ngood, ip->dst_addr))
		return CIH_SADDR;
	rt_set_nh(m, off);
	rt_anno(m)->dst_ip = ip->dst_addr;
	if (plen > tl)
		rte_pktmbuf_trim(m, (uint16_t)(plen - tl));
	return -1;
}

void cih_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct cih *s = n->state;
	uint32_t off = (uint32_t)s->offset;
	struct el_split sp;
	el_split_init(&sp);
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 1 < b->n)
			rte_prefetch0(rt_data(b->pkts[i + 1]) + off);
		int r = cih_check(s, m, off);
		if (likely(r < 0)) {
			rt_batch_add(&sp.out[0], m);
			continue;
		}
		struct cih_pw *pw = el_pw(n->e);
		pw->drops++;
		pw->reason[r]++;
		if (s->verbose || !__atomic_exchange_n(&s->warned, 1, __ATOMIC_RELAXED))
			fprintf(stderr, "%s: IP header check failed: %s\n", n->e->name, reason_texts[r]);
		rt_batch_add(&sp.out[1], m);
	}
	el_split_flush(n, &sp);
}

/* ---- configuration --------------------------------------------------------- */

static void list_add(uint32_t **v, int *n, uint32_t a)
{
	*v = realloc(*v, sizeof(**v) * (size_t)(*n + 1));
	(*v)[(*n)++] = a;
}

/* A space-separated list of addresses into *v; with `prefixes` each word is
 * IP/LEN: its subnet broadcast goes to *v and the address to *v2. */
static int parse_list(struct el *e, const char *kw, const char *text, bool prefixes, uint32_t **v, int *n,
		      uint32_t **v2, int *n2, struct rt_err *err)
{
	char *copy = strdup(text), *save = NULL;
	int rc = 0;
	for (char *w = strtok_r(copy, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
		struct rt_err e2;
		struct el_ip4pfx p = {0, 0xffffffffu};
		uint32_t ip;
		char addr[64];
		snprintf(addr, sizeof(addr), "%s", w);
		char *sl = prefixes ? strchr(addr, '/') : NULL;
		if (sl)
			*sl = 0;
		rt_err_clear(&e2);
		if ((sl && el_parse_value(EL_T_IP4PFX, w, &p, &e2) < 0) || el_parse_value(EL_T_IP4, addr, &ip, &e2) < 0) {
			rc = rt_errf(err, &e->loc, -EINVAL, "%s: %s: expected IP address%s, not '%s'", e->name, kw,
				     prefixes ? " or prefix" : "", w);
			break;
		}
		if (prefixes) {
			list_add(v, n, (ip & p.mask) | ~p.mask);
			list_add(v2, n2, ip);
		} else {
			list_add(v, n, ip);
		}
	}
	free(copy);
	return rc;
}

int cih_init(struct el *e, struct rt_err *err)
{
	struct cih *s = e->state;
	if (s->offset > 1024)
		return rt_errf(err, &e->loc, -EINVAL, "%s: OFFSET too large", e->name);
	if (s->interfaces) {
		if (parse_list(e, "INTERFACES", s->interfaces, true, &s->bad, &s->nbad, &s->good, &s->ngood, err) < 0)
			return err->code;
		list_add(&s->bad, &s->nbad, 0);
		list_add(&s->bad, &s->nbad, 0xffffffffu);
	}
	if (s->badsrc) {
		free(s->bad);
		s->bad = NULL;
		s->nbad = 0;
		if (parse_list(e, "BADSRC", s->badsrc, false, &s->bad, &s->nbad, NULL, NULL, err) < 0)
			return err->code;
	}
	if (s->gooddst) {
		free(s->good);
		s->good = NULL;
		s->ngood = 0;
		if (parse_list(e, "GOODDST", s->gooddst, false, &s->good, &s->ngood, NULL, NULL, err) < 0)
			return err->code;
	}
	return 0;
}

void cih_cleanup(struct el *e)
{
	struct cih *s = e->state;
	free(s->bad);
	free(s->good);
	s->bad = s->good = NULL;
}

/* ---- handlers ---------------------------------------------------------------- */

static int cih_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct cih *s = e->state;
	if (what == 0) {
		rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct cih_pw, drops)));
		return 0;
	}
	if (!s->details)
		return -ENOENT; /* Click has the handler only with DETAILS true */
	for (int i = 0; i < CIH_NREASONS; i++)
		rt_buf_printf(out, "%llu\t%s\n",
			      (unsigned long long)el_pw_sum(e, offsetof(struct cih_pw, reason) + sizeof(uint64_t) * (size_t)i),
			      reason_texts[i]);
	return 0;
}

const struct el_handler cih_handlers[] = {
	{"drops", cih_read, NULL, 0, 0, "incorrect packets seen"},
	{"drop_details", cih_read, NULL, 1, 0, "incorrect packets by reason (DETAILS true only)"},
	EL_HANDLERS_END,
};

static const struct el_arg args[] = {
	CIH_ARG_ROWS("true"),
	EL_ARGS_END,
};

static struct el_class checkipheader = {
	.name = "CheckIPHeader",
	.sig = "CheckIPHeader([OFFSET, KEYWORDS OFFSET, INTERFACES, BADSRC, GOODDST, CHECKSUM, VERBOSE, DETAILS])",
	.summary = "checks IP header",
	.doc = cih_doc,
	.ports = "1/1-2",
	.state_size = sizeof(struct cih),
	.pw_size = sizeof(struct cih_pw),
	.args = args,
	.init = cih_init,
	.cleanup = cih_cleanup,
	.push = cih_push,
	.handlers = cih_handlers,
};
EL_REGISTER(checkipheader)
