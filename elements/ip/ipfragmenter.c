/*
 * IPFragmenter - splits IP packets larger than an MTU into fragments, or
 * hands them to output 1 when they may not be fragmented.
 */
#include <errno.h>

#include <rte_random.h>

#include "ipmisc.h"

static const char doc[] =
	"Expects IP packets. A packet whose IP datagram (by its IP length; link-level padding does "
	"not count) is at most MTU bytes goes to output 0 unchanged, as do malformed ones. A larger "
	"packet without the don't-fragment bit (DF) is split into fragments, emitted on output 0 "
	"in order (first fragment first). A larger "
	"packet with DF set goes to output 1, or is dropped when there is no output 1; output 1 is "
	"ordinarily connected to ICMPError(..., unreachable, needfrag). Such packets are counted "
	"as drops.\n\n"
	"The first fragment keeps whatever precedes the IP header (such as a link header) and all "
	"IP options; the others start at the IP header and carry only the options marked to be "
	"copied. All keep the original's annotations.\n\n"
	"HONOR_DF: if false, the DF bit is ignored and cleared (with a random IP ID) so every "
	"packet larger than MTU is fragmented; default true. VERBOSE is accepted for Click "
	"compatibility; mboxsh never prints from the data path.";

struct ipfrag {
	uint64_t mtu;
	bool honor_df, verbose;
	uint64_t base_drops, base_fragments; /* totals at the last reset; control thread */
};

struct ipfrag_pw {
	uint64_t drops, fragments;
};

static const struct el_arg args[] = {
	{"MTU", EL_T_UINT, offsetof(struct ipfrag, mtu), NULL, EL_ARG_POS | EL_ARG_REQ, "largest datagram sent"},
	{"HONOR_DF", EL_T_BOOL, offsetof(struct ipfrag, honor_df), "true", EL_ARG_POS, "send DF packets to output 1"},
	{"VERBOSE", EL_T_BOOL, offsetof(struct ipfrag, verbose), "false", EL_ARG_POS, "ignored"},
	EL_ARGS_END,
};

static int ipfrag_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct ipfrag *s = e->state;
	if (argc > 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%s'", e->name, argv[0]);
	if (s->mtu < 8)
		return rt_errf(err, &e->loc, -EINVAL, "%s: MTU: must be at least 8", e->name);
	if (s->mtu > 0xffff)
		return rt_errf(err, &e->loc, -EINVAL, "%s: MTU: at most 65535", e->name);
	return 0;
}

/* Copy the options of ip marked "copy on fragmentation" to out (when not
 * NULL), padded to 4 bytes; return their length. */
static int optcopy(const uint8_t *ip, uint8_t *out)
{
	int hlen = ipm_hlen((const struct rte_ipv4_hdr *)ip), olen = 0;
	for (int i = 20; i < hlen;) {
		uint8_t opt = ip[i];
		int len;
		if (opt == 1) { /* NOP */
			i++;
			continue;
		}
		if (opt == 0 || i + 1 >= hlen || (len = ip[i + 1]) < 2 || i + len > hlen)
			break;
		if (opt & 0x80) {
			if (out)
				memcpy(out + olen, ip + i, (size_t)len);
			olen += len;
		}
		i += len;
	}
	for (; olen & 3; olen++)
		if (out)
			out[olen] = 0; /* EOL */
	return olen;
}

/* A batch being filled for output 0: flushed whenever it is full. */
static inline void out_add(struct el_node *n, struct rt_batch *out, struct rte_mbuf *m)
{
	if (out->n == RT_BATCH_MAX) {
		el_output(n, 0, out);
		out->n = 0;
	}
	out->pkts[out->n++] = m;
}

/* A new packet of len bytes from m's pool, with m's annotations. */
static struct rte_mbuf *frag_new(struct rte_mbuf *m, uint32_t len, uint8_t **data)
{
	struct rte_mbuf *q = rte_pktmbuf_alloc(m->pool);
	if (!q)
		return NULL;
	if (!(*data = (uint8_t *)rte_pktmbuf_append(q, (uint16_t)len))) {
		rte_pktmbuf_free(q);
		return NULL;
	}
	memcpy(rt_anno(q), rt_anno(m), sizeof(struct rt_anno));
	return q;
}

/* Fragment m into out, in order.  The first fragment is a copy of the
 * packet's front (link header included), the middle ones are new packets
 * starting at the IP header, and the last one is m itself, cut down to its
 * tail: so every byte is copied once, nothing is kept aside, and out may
 * be flushed at any time.  Returns the number of fragments sent (the
 * packet is consumed even when an allocation fails part way). */
static uint32_t fragment(struct el_node *n, struct rt_batch *out, struct rte_mbuf *m, uint32_t mtu)
{
	int ipoff = ipm_off(m);
	uint8_t hdr[60];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)hdr;
	int hlen = ipm_hlen(ipm_hdr(m));
	memcpy(hdr, rt_data(m) + ipoff, (size_t)hlen);
	const uint8_t *payload = rt_data(m) + ipoff + hlen;
	int in_dlen = (int)rte_be_to_cpu_16(ip->total_length) - hlen; /* > first_dlen: checked by the caller */
	int first_dlen = ((int)mtu - hlen) & ~7;
	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) {
		/* ignoring DF: the sender may reuse the ID, so pick another */
		ip->packet_id = (uint16_t)rte_rand();
		ip->fragment_offset &= rte_cpu_to_be_16((uint16_t)~RTE_IPV4_HDR_DF_FLAG);
	}
	uint16_t off0 = rte_be_to_cpu_16(ip->fragment_offset);
	bool had_mf = off0 & RTE_IPV4_HDR_MF_FLAG;
	uint8_t opts[40];
	int out_hlen = 20 + optcopy(hdr, opts);
	int out_dlen_max = ((int)mtu - out_hlen) & ~7;
	uint32_t sent = 0;

	/* first fragment: link header, full IP header, first_dlen bytes */
	uint8_t *qp;
	struct rte_mbuf *q = frag_new(m, (uint32_t)(ipoff + hlen + first_dlen), &qp);
	if (!q)
		goto fail;
	memcpy(qp, rt_data(m), (size_t)(ipoff + hlen + first_dlen));
	struct rte_ipv4_hdr *qip = (struct rte_ipv4_hdr *)(qp + ipoff);
	qip->packet_id = ip->packet_id;
	qip->fragment_offset = rte_cpu_to_be_16(off0 | RTE_IPV4_HDR_MF_FLAG);
	qip->total_length = rte_cpu_to_be_16((uint16_t)(hlen + first_dlen));
	ipm_set_csum(qip);
	rt_set_nh(q, (uint32_t)ipoff);
	out_add(n, out, q);
	sent++;

	for (int off = first_dlen; off < in_dlen;) {
		int dlen = RT_MIN(out_dlen_max, in_dlen - off);
		bool last = off + dlen >= in_dlen;
		if (last) { /* m itself: drop everything before its new header */
			rte_pktmbuf_adj(m, (uint16_t)(ipoff + hlen + off - out_hlen));
			rte_pktmbuf_trim(m, (uint16_t)(rt_len(m) - (uint32_t)(out_hlen + dlen)));
			q = m;
			qp = rt_data(m);
		} else {
			if (!(q = frag_new(m, (uint32_t)(out_hlen + dlen), &qp)))
				goto fail;
			memcpy(qp + out_hlen, payload + off, (size_t)dlen);
		}
		memcpy(qp, hdr, 20);
		memcpy(qp + 20, opts, (size_t)out_hlen - 20);
		qip = (struct rte_ipv4_hdr *)qp;
		qip->version_ihl = (uint8_t)(0x40 | (out_hlen >> 2));
		uint16_t fo = (uint16_t)(off0 + (off >> 3));
		if (last && !had_mf)
			fo &= (uint16_t)~RTE_IPV4_HDR_MF_FLAG;
		else
			fo |= RTE_IPV4_HDR_MF_FLAG;
		qip->fragment_offset = rte_cpu_to_be_16(fo);
		qip->total_length = rte_cpu_to_be_16((uint16_t)(out_hlen + dlen));
		ipm_set_csum(qip);
		rt_set_nh(q, 0);
		out_add(n, out, q);
		sent++;
		off += dlen;
	}
	return sent;
fail:
	rte_pktmbuf_free(m);
	return sent;
}

static void ipfrag_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct ipfrag *s = n->state;
	struct ipfrag_pw *pw = el_pw(n->e);
	uint32_t mtu = (uint32_t)s->mtu;
	struct rt_batch out, df;
	out.n = df.n = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (likely(ipm_netlen(m) <= (int)mtu) || !ipm_ok(m)) {
			out_add(n, &out, m);
			continue;
		}
		const struct rte_ipv4_hdr *ip = ipm_hdr(m);
		int hlen = ipm_hlen(ip), iplen = rte_be_to_cpu_16(ip->total_length);
		if (iplen <= (int)mtu || iplen < hlen || iplen > ipm_netlen(m)) {
			/* the datagram fits (the rest is link padding), or is malformed */
			out_add(n, &out, m);
			continue;
		}
		bool dfset = ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		if (!(dfset && s->honor_df) && (((int)mtu - hlen) & ~7) >= 8 &&
		    (((int)mtu - 20 - optcopy((const uint8_t *)ip, NULL)) & ~7) >= 8) {
			pw->fragments += fragment(n, &out, m, mtu);
			continue;
		}
		pw->drops++;
		df.pkts[df.n++] = m;
	}
	el_output(n, 0, &out);
	if (df.n) {
		if (n->nout > 1)
			el_output(n, 1, &df);
		else
			rt_batch_free(&df);
	}
	b->n = 0;
}

enum { H_DROPS, H_FRAGMENTS, H_RESET };

static int ipfrag_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	const struct ipfrag *s = e->state;
	uint64_t v = what == H_DROPS ? el_pw_sum(e, offsetof(struct ipfrag_pw, drops)) - s->base_drops
				     : el_pw_sum(e, offsetof(struct ipfrag_pw, fragments)) - s->base_fragments;
	rt_buf_printf(out, "%llu", (unsigned long long)v);
	return 0;
}

static int ipfrag_reset(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what, (void)v, (void)err;
	struct ipfrag *s = e->state;
	s->base_drops = el_pw_sum(e, offsetof(struct ipfrag_pw, drops));
	s->base_fragments = el_pw_sum(e, offsetof(struct ipfrag_pw, fragments));
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", ipfrag_read, NULL, H_DROPS, 0, "packets too large but not fragmentable"},
	{"fragments", ipfrag_read, NULL, H_FRAGMENTS, 0, "fragments sent"},
	{"reset_counts", NULL, ipfrag_reset, H_RESET, EL_H_BUTTON, "reset drops and fragments"},
	EL_HANDLERS_END,
};

static struct el_class ipfragmenter = {
	.name = "IPFragmenter",
	.sig = "IPFragmenter(MTU [, HONOR_DF, VERBOSE])",
	.summary = "fragments large IP packets",
	.doc = doc,
	.ports = "1/1-2",
	.state_size = sizeof(struct ipfrag),
	.pw_size = sizeof(struct ipfrag_pw),
	.args = args,
	.configure = ipfrag_configure,
	.push = ipfrag_push,
	.handlers = handlers,
};
EL_REGISTER(ipfragmenter)
