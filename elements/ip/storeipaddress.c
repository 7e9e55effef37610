/*
 * StoreIPAddress - writes an IP address (the destination annotation or a
 * fixed one) into each packet at a byte offset, or into its IP header's
 * source or destination field with the checksums patched.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "ipmisc.h"

static const char doc[] =
	"The one-argument form writes the destination IP address annotation into the packet at "
	"offset OFFSET; when the annotation is zero the packet is left as it is. The two-argument "
	"form writes ADDR (which may be 0.0.0.0) at OFFSET.\n\n"
	"OFFSET may also be `src` or `dst`: the address then goes into the IP header's source or "
	"destination field, and the IP checksum, and the TCP or UDP checksum of a first fragment "
	"(UDP only when it is not zero), are updated incrementally. Otherwise no checksum is "
	"changed: follow with SetIPChecksum and friends. A packet too short for OFFSET + 4 bytes "
	"passes unchanged.";

enum { SIA_OFFSET, SIA_SRC, SIA_DST };

struct sia {
	uint32_t addr;  /* network order */
	bool use_addr;
	int mode;       /* SIA_* */
	uint32_t offset;
};

static int sia_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct sia *s = e->state;
	const char *addr = NULL, *off = NULL, *pos[2];
	int npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *v;
		/* a bare word is positional ("DST" too), as in Click */
		int k = strcasecmp(argv[i], "src") && strcasecmp(argv[i], "dst") ? el_arg_keyword(argv[i], &v) : 0;
		if (k == 4 && !strncmp(argv[i], "ADDR", 4))
			addr = v;
		else if (k == 6 && !strncmp(argv[i], "OFFSET", 6))
			off = v;
		else if (k)
			return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%.*s'", e->name, k, argv[i]);
		else if (npos < 2)
			pos[npos++] = argv[i];
		else
			return rt_errf(err, &e->loc, -EINVAL, "%s: expected [ADDR, ] OFFSET", e->name);
	}
	/* positionals fill OFFSET last: (OFFSET) or (ADDR, OFFSET) */
	if (npos == 2 || (npos == 1 && off)) {
		if (addr || (npos == 2 && off))
			return rt_errf(err, &e->loc, -EINVAL, "%s: expected [ADDR, ] OFFSET", e->name);
		addr = pos[0];
		if (npos == 2)
			off = pos[1];
	} else if (npos == 1) {
		off = pos[0];
	}
	if (!off)
		return rt_errf(err, &e->loc, -EINVAL, "%s: missing mandatory argument 'OFFSET'", e->name);
	if (addr) {
		struct rt_err e2;
		rt_err_clear(&e2);
		if (el_parse_value(EL_T_IP4, addr, &s->addr, &e2) < 0)
			return rt_errf(err, &e->loc, -EINVAL, "%s: ADDR: %s", e->name, e2.msg);
		s->use_addr = true;
	}
	if (!strcasecmp(off, "src")) {
		s->mode = SIA_SRC;
	} else if (!strcasecmp(off, "dst")) {
		s->mode = SIA_DST;
	} else {
		char *end;
		unsigned long v = strtoul(off, &end, 0);
		if (!*off || *end || !isdigit((unsigned char)*off) || v > 0xffff)
			return rt_errf(err, &e->loc, -EINVAL, "%s: OFFSET: expected byte offset, 'src' or 'dst', not '%s'",
				       e->name, off);
		s->mode = SIA_OFFSET;
		s->offset = (uint32_t)v;
	}
	return 0;
}

/* Store a into the IP header at field offset fo, patching checksums. */
static void sia_store_ip(struct rte_mbuf *m, int fo, uint32_t a)
{
	if (!ipm_ok(m))
		return;
	struct rte_ipv4_hdr *ip = ipm_hdr(m);
	uint8_t *f = (uint8_t *)ip + fo;
	uint32_t old;
	memcpy(&old, f, 4);
	memcpy(f, &a, 4);
	ip->hdr_checksum = ipm_csum_adjust32(ip->hdr_checksum, old, a);
	/* first fragments only: later ones carry no transport header */
	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK))
		return;
	int hl = ipm_hlen(ip), tlen = ipm_netlen(m) - hl;
	uint8_t *th = (uint8_t *)ip + hl;
	uint16_t sum;
	if (ip->next_proto_id == IPPROTO_TCP && tlen >= 20) {
		memcpy(&sum, th + 16, 2);
		sum = ipm_csum_adjust32(sum, old, a);
		memcpy(th + 16, &sum, 2);
	} else if (ip->next_proto_id == IPPROTO_UDP && tlen >= 8) {
		memcpy(&sum, th + 6, 2);
		if (sum) {
			sum = ipm_csum_adjust32(sum, old, a);
			memcpy(th + 6, &sum, 2);
		}
	}
}

static void sia_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct sia *s = n->state;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 4 < b->n)
			rte_prefetch0(rt_anno(b->pkts[i + 4]));
		uint32_t a = s->use_addr ? s->addr : rt_anno(m)->dst_ip;
		if (!s->use_addr && !a)
			continue;
		if (s->mode == SIA_OFFSET) {
			if (s->offset + 4 <= rt_len(m))
				memcpy(rt_data(m) + s->offset, &a, 4);
		} else {
			sia_store_ip(m, s->mode == SIA_SRC ? IPM_OFF_SRC : IPM_OFF_DST, a);
		}
	}
	el_output(n, 0, b);
}

static struct el_class storeipaddress = {
	.name = "StoreIPAddress",
	.sig = "StoreIPAddress([ADDR,] OFFSET)",
	.summary = "stores IP address in packet",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct sia),
	.configure = sia_configure,
	.push = sia_push,
};
EL_REGISTER(storeipaddress)
