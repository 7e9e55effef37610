/*
 * IPPrint - prints one tcpdump-like line per IP packet (addresses, ports,
 * TCP flags and sequence numbers, ICMP types, fragments, optionally the
 * contents) to stderr or OUTFILE.
 *
 * Printing is this element's job, so unlike other elements it formats on
 * the data path; it still allocates nothing (a stack buffer per batch).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "iphdr.h"

static const char doc[] =
	"Expects IP packets with the network header annotation set (downstream of CheckIPHeader "
	"or MarkIPHeader); packets without it pass silently. Prints each packet in a "
	"human-readable tcpdump-like format, preceded by the LABEL text, for example\n\n"
	"    label: 1.000000: 10.0.0.1.1234 > 10.0.0.2.80: S 0:1(1,54,40) win 65535\n\n"
	"(TCP: flags, seq:end(seqlen,packet length,IP length), ack, win).\n\n"
	"Keywords: CONTENTS (NONE, HEX or ASCII: print the packet data), PAYLOAD (like CONTENTS, "
	"but only the transport payload), MAXLENGTH (bytes of contents to print, -1 = all, default "
	"1500), ID, TTL, TOS, LENGTH (print those IP fields), TIMESTAMP (print the timestamp "
	"annotation, default true), AGGREGATE, PAINT (print those annotations), SWAP (byte-swap "
	"ICMP echo id and sequence, default true as in Click's code), ACTIVE, OUTFILE (print to "
	"this file instead of standard error).";

struct ipprint {
	char *label, *contents_arg, *payload_arg, *outfile;
	int64_t maxlength;
	bool id, timestamp, paint, tos, ttl, swap, length, aggregate, active;
	/* derived */
	int contents; /* 0 none, 1 hex, 2 ascii */
	bool payload;
	FILE *f;
};

/* ---- a small buffered writer (one line, any length, no allocation) ------- */

struct pout {
	FILE *f;
	size_t n;
	char b[1024];
};

static void po_flush(struct pout *o)
{
	if (o->n)
		fwrite_unlocked(o->b, 1, o->n, o->f);
	o->n = 0;
}

static void po_write(struct pout *o, const char *s, size_t len)
{
	if (o->n + len > sizeof(o->b)) {
		po_flush(o);
		if (len > sizeof(o->b)) {
			fwrite_unlocked(s, 1, len, o->f);
			return;
		}
	}
	memcpy(o->b + o->n, s, len);
	o->n += len;
}

static void po_puts(struct pout *o, const char *s) { po_write(o, s, strlen(s)); }

static void po_putc(struct pout *o, char c) { po_write(o, &c, 1); }

__attribute__((format(printf, 2, 3))) static void po_printf(struct pout *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (k > 0)
		po_write(o, tmp, (size_t)RT_MIN(k, (int)sizeof(tmp) - 1));
}

static void po_ip(struct pout *o, const void *addr)
{
	const uint8_t *p = addr;
	po_printf(o, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

/* ---- names (Click's IPNameInfo) --------------------------------------------- */

static const char *const icmp_types[19] = {
	[0] = "echo-reply",     [3] = "unreachable",    [4] = "sourcequench",     [5] = "redirect",
	[8] = "echo",           [9] = "routeradvert",   [10] = "routersolicit",   [11] = "timeexceeded",
	[12] = "parameterproblem", [13] = "timestamp",  [14] = "timestamp-reply", [15] = "inforeq",
	[16] = "inforeq-reply", [17] = "maskreq",       [18] = "maskreq-reply",
};
static const char *const unreach_codes[16] = {
	"net", "host", "protocol", "port", "needfrag", "srcroutefail", "netunknown", "hostunknown",
	"isolated", "netprohibited", "hostprohibited", "tosnet", "toshost", "filterprohibited",
	"hostprecedence", "precedencecutoff",
};
static const char *const redirect_codes[4] = {"net", "host", "tosnet", "toshost"};
static const char *const timxceed_codes[2] = {"transit", "reassembly"};
static const char *const paramprob_codes[3] = {"erroratptr", "missingopt", "length"};

static const char *icmp_type_name(unsigned t) { return t < RT_ARRAY_SIZE(icmp_types) ? icmp_types[t] : NULL; }

static const char *icmp_code_name(unsigned t, unsigned c)
{
	switch (t) {
	case 3: return c < RT_ARRAY_SIZE(unreach_codes) ? unreach_codes[c] : NULL;
	case 5: return c < RT_ARRAY_SIZE(redirect_codes) ? redirect_codes[c] : NULL;
	case 11: return c < RT_ARRAY_SIZE(timxceed_codes) ? timxceed_codes[c] : NULL;
	case 12: return c < RT_ARRAY_SIZE(paramprob_codes) ? paramprob_codes[c] : NULL;
	}
	return NULL;
}

static void po_proto(struct pout *o, unsigned p, bool prepend)
{
	const char *name = p == 1 ? "icmp" : p == 2 ? "igmp" : p == 4 ? "ipip" : p == 6 ? "tcp" : p == 17 ? "udp" : NULL;
	if (name)
		po_puts(o, name);
	else
		po_printf(o, "%s%u", prepend ? "protocol " : "", p);
}

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* ---- one line per protocol ---------------------------------------------------- */

static void address_pair(struct pout *o, const struct rte_ipv4_hdr *ip)
{
	po_ip(o, &ip->src_addr);
	po_puts(o, " > ");
	po_ip(o, &ip->dst_addr);
}

static void ports(struct pout *o, const struct rte_ipv4_hdr *ip, const uint8_t *th)
{
	po_ip(o, &ip->src_addr);
	po_printf(o, ".%u > ", rd16(th));
	po_ip(o, &ip->dst_addr);
	po_printf(o, ".%u: ", rd16(th + 2));
}

static void tcp_line(struct pout *o, const struct rte_ipv4_hdr *ip, const uint8_t *th, int tlen, uint32_t pkt_len)
{
	bool first = iph_first_frag(ip);
	if (tlen < 4 || !first) {
		address_pair(o, ip);
		po_puts(o, first ? ": truncated-tcp" : ": tcp");
		return;
	}
	ports(o, ip, th);
	if (tlen < 14)
		goto truncated;
	int ip_len = rte_be_to_cpu_16(ip->total_length);
	int seqlen = ip_len - (int)iph_hlen(ip) - ((th[12] >> 4) << 2);
	uint8_t fl = th[13];
	if (fl & 0x02)
		po_putc(o, 'S'), seqlen++;
	if (fl & 0x01)
		po_putc(o, 'F'), seqlen++;
	if (fl & 0x04)
		po_putc(o, 'R');
	if (fl & 0x08)
		po_putc(o, 'P');
	if (!(fl & 0x0f))
		po_putc(o, '.');
	uint32_t seq = rd32(th + 4);
	po_printf(o, " %u:%u(%d,%u,%d)", seq, seq + (uint32_t)seqlen, seqlen, pkt_len, ip_len);
	if (fl & 0x10)
		po_printf(o, " ack %u", rd32(th + 8));
	if (tlen < 16)
		goto truncated;
	po_printf(o, " win %u", rd16(th + 14));
	return;
truncated:
	po_puts(o, "truncated-tcp");
}

static void udp_line(struct pout *o, const struct rte_ipv4_hdr *ip, const uint8_t *uh, int tlen)
{
	bool first = iph_first_frag(ip);
	if (tlen < 4 || !first) {
		address_pair(o, ip);
		po_puts(o, first ? ": truncated-udp" : ": udp");
		return;
	}
	ports(o, ip, uh);
	if (tlen < 8)
		po_puts(o, "truncated-udp");
	else
		po_printf(o, "udp %u", rd16(uh + 4));
}

static void icmp_line(struct pout *o, const struct ipprint *s, const struct rte_ipv4_hdr *ip, const uint8_t *ih,
		      int tlen)
{
	address_pair(o, ip);
	po_puts(o, ": ");
	if (!iph_first_frag(ip)) {
		po_puts(o, "icmp");
		return;
	}
	if (tlen < 2)
		goto truncated;
	unsigned type = ih[0], code = ih[1];
	switch (type) {
	case 0:
	case 8: {
		po_puts(o, type ? "icmp echo " : "icmp echo-reply ");
		if (tlen < 8)
			goto truncated;
		/* the wire is big-endian; without SWAP print the bytes as a host would read them */
		uint16_t id = rd16(ih + 4), sq = rd16(ih + 6);
		if (!s->swap) {
			memcpy(&id, ih + 4, 2);
			memcpy(&sq, ih + 6, 2);
		}
		po_printf(o, "(%u, %u)", id, sq);
		break;
	}
	case 3: {
		const char *cn = icmp_code_name(type, code);
		char cbuf[24];
		if (!cn) {
			snprintf(cbuf, sizeof(cbuf), "code %u", code);
			cn = cbuf;
		}
		const uint8_t *eip = ih + 8;
		int eip_len = tlen - 8;
		if (eip_len < (int)sizeof(struct rte_ipv4_hdr)) {
			po_printf(o, "icmp unreachable %s ", cn);
			goto truncated;
		}
		int eudp_len = eip_len - ((eip[0] & 0x0f) << 2);
		po_puts(o, "icmp ");
		po_ip(o, eip + 16);
		po_printf(o, " unreachable %s", cn);
		if (code == 2) {
			po_putc(o, ' ');
			po_proto(o, eip[9], false);
		} else if (code == 3) {
			po_putc(o, ' ');
			po_proto(o, eip[9], true);
			if (eudp_len < 4)
				goto truncated;
			po_printf(o, "/%u", rd16(eip + ((eip[0] & 0x0f) << 2) + 2));
		} else if (code == 4 && tlen >= 8 && rd16(ih + 6)) {
			po_printf(o, " (mtu %u)", rd16(ih + 6));
		}
		break;
	}
	default: {
		const char *tn = icmp_type_name(type), *cn = icmp_code_name(type, code);
		po_puts(o, "icmp ");
		if (tn)
			po_puts(o, tn);
		else
			po_printf(o, "type %u", type);
		if (cn)
			po_printf(o, " %s", cn);
		else if (code)
			po_printf(o, " code %u", code);
		break;
	}
	}
	return;
truncated:
	po_puts(o, "truncated-icmp");
}

static void contents(struct pout *o, const struct ipprint *s, const uint8_t *data, const uint8_t *end)
{
	int64_t bytes = s->maxlength;
	if (data >= end)
		bytes = 0;
	else if (bytes < 0 || end - data < bytes)
		bytes = end - data;
	for (int64_t i = 0; i < bytes; i++) {
		if (s->contents == 1) {
			if (i % 24 == 0)
				po_puts(o, "\n  ");
			else if (i % 4 == 0)
				po_putc(o, ' ');
			po_printf(o, "%02x", data[i]);
		} else {
			if (i % 48 == 0)
				po_puts(o, "\n  ");
			else if (i % 8 == 0)
				po_putc(o, ' ');
			po_putc(o, data[i] < 32 || data[i] > 126 ? '.' : (char)data[i]);
		}
	}
}

static void print_packet(struct pout *o, const struct ipprint *s, struct rte_mbuf *m)
{
	if (s->label && *s->label) {
		po_puts(o, s->label);
		po_puts(o, ": ");
	}
	const struct rt_anno *an = rt_anno(m);
	if (s->timestamp)
		po_printf(o, "%llu.%06llu: ", (unsigned long long)(an->timestamp / 1000000000ull),
			  (unsigned long long)(an->timestamp % 1000000000ull / 1000));
	if (s->aggregate)
		po_printf(o, "#%u", an->aggregate);
	if (s->paint)
		po_printf(o, "%s%d", s->aggregate ? "." : "paint ", an->paint);
	if (s->aggregate || s->paint)
		po_puts(o, ": ");
	const uint8_t *end = rt_data(m) + rt_len(m);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)rt_nh(m);
	if (end - (const uint8_t *)ip < (ptrdiff_t)sizeof(*ip)) {
		po_puts(o, "truncated-ip");
		return;
	}
	int ip_len = rte_be_to_cpu_16(ip->total_length);
	int payload_len = ip_len - (int)iph_hlen(ip);
	const uint8_t *th = (const uint8_t *)ip + iph_hlen(ip);
	int tlen = (int)(end - th);
	if (tlen > payload_len)
		tlen = payload_len;
	if (s->id)
		po_printf(o, "id %u ", rte_be_to_cpu_16(ip->packet_id));
	if (s->ttl)
		po_printf(o, "ttl %u ", ip->time_to_live);
	if (s->tos)
		po_printf(o, "tos %u ", ip->type_of_service);
	if (s->length)
		po_printf(o, "length %d ", ip_len);
	if (ip->next_proto_id == IPPROTO_TCP)
		tcp_line(o, ip, th, tlen, rt_len(m));
	else if (ip->next_proto_id == IPPROTO_UDP)
		udp_line(o, ip, th, tlen);
	else if (ip->next_proto_id == IPPROTO_ICMP)
		icmp_line(o, s, ip, th, tlen);
	else {
		address_pair(o, ip);
		po_printf(o, ": ip-proto-%u", ip->next_proto_id);
	}
	if (iph_is_frag(ip)) {
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
		po_printf(o, " (frag %u:%d@%u%s)", rte_be_to_cpu_16(ip->packet_id), payload_len,
			  (unsigned)(fo & IPH_OFFMASK) << 3, (fo & IPH_MF) ? "+" : "");
	}
	if (s->contents) {
		const uint8_t *data = rt_data(m);
		if (s->payload) {
			data = th;
			if (iph_first_frag(ip) && ip->next_proto_id == IPPROTO_TCP)
				data = th + 13 <= end ? th + ((th[12] >> 4) << 2) : end;
			else if (iph_first_frag(ip) && ip->next_proto_id == IPPROTO_UDP)
				data = th + 8;
		}
		contents(o, s, data, end);
	}
}

static void ipprint_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct ipprint *s = n->state;
	if (__atomic_load_n(&s->active, __ATOMIC_RELAXED)) {
		struct pout o;
		o.f = s->f ? s->f : stderr;
		o.n = 0;
		flockfile(o.f);
		for (uint32_t i = 0; i < b->n; i++) {
			if (!rt_has_nh(b->pkts[i]))
				continue;
			print_packet(&o, s, b->pkts[i]);
			po_putc(&o, '\n');
		}
		po_flush(&o);
		fflush_unlocked(o.f);
		funlockfile(o.f);
	}
	el_output(n, 0, b);
}

/* ---- configuration and handlers ------------------------------------------------- */

static const struct el_arg args[] = {
	{"LABEL", EL_T_STRING, offsetof(struct ipprint, label), NULL, EL_ARG_POS, "text before each line"},
	{"CONTENTS", EL_T_WORD, offsetof(struct ipprint, contents_arg), "false", 0, "NONE, HEX or ASCII"},
	{"PAYLOAD", EL_T_WORD, offsetof(struct ipprint, payload_arg), "false", 0, "NONE, HEX or ASCII (payload only)"},
	{"MAXLENGTH", EL_T_INT, offsetof(struct ipprint, maxlength), "1500", 0, "bytes of contents, -1 = all"},
	{"NBYTES", EL_T_INT, offsetof(struct ipprint, maxlength), NULL, 0, "old name of MAXLENGTH"},
	{"ID", EL_T_BOOL, offsetof(struct ipprint, id), "false", 0, "print the IP ID"},
	{"TIMESTAMP", EL_T_BOOL, offsetof(struct ipprint, timestamp), "true", 0, "print the timestamp"},
	{"PAINT", EL_T_BOOL, offsetof(struct ipprint, paint), "false", 0, "print the paint annotation"},
	{"TOS", EL_T_BOOL, offsetof(struct ipprint, tos), "false", 0, "print the IP TOS"},
	{"TTL", EL_T_BOOL, offsetof(struct ipprint, ttl), "false", 0, "print the IP TTL"},
	{"SWAP", EL_T_BOOL, offsetof(struct ipprint, swap), "true", 0, "byte-swap ICMP echo id and sequence"},
	{"LENGTH", EL_T_BOOL, offsetof(struct ipprint, length), "false", 0, "print the IP length"},
	{"AGGREGATE", EL_T_BOOL, offsetof(struct ipprint, aggregate), "false", 0, "print the aggregate annotation"},
	{"ACTIVE", EL_T_BOOL, offsetof(struct ipprint, active), "true", 0, "print at all"},
	{"OUTFILE", EL_T_STRING, offsetof(struct ipprint, outfile), NULL, 0, "file to print to (default stderr)"},
	EL_ARGS_END,
};

/* NONE/HEX/ASCII or a boolean (true = HEX); -1 if neither. */
static int contents_mode(const char *v)
{
	if (!strcasecmp(v, "none") || !strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
		return 0;
	if (!strcasecmp(v, "hex") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
		return 1;
	if (!strcasecmp(v, "ascii"))
		return 2;
	return -1;
}

static int ipprint_init(struct el *e, struct rt_err *err)
{
	struct ipprint *s = e->state;
	int c = contents_mode(s->contents_arg), p = contents_mode(s->payload_arg);
	if (c < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: CONTENTS: bad contents value '%s'; should be 'NONE', 'HEX', or 'ASCII'",
			       e->name, s->contents_arg);
	if (p < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: PAYLOAD: bad payload value '%s'; should be 'false', 'hex', or 'ascii'",
			       e->name, s->payload_arg);
	if (c && p)
		return rt_errf(err, &e->loc, -EINVAL, "%s: specify at most one of PAYLOAD and CONTENTS", e->name);
	s->contents = c ? c : p;
	s->payload = p > 0;
	if (s->outfile && *s->outfile) {
		s->f = fopen(s->outfile, "wb");
		if (!s->f)
			return rt_errf(err, &e->loc, -errno, "%s: %s: %s", e->name, s->outfile, strerror(errno));
	}
	return 0;
}

static void ipprint_cleanup(struct el *e)
{
	struct ipprint *s = e->state;
	if (s->f)
		fclose(s->f);
	s->f = NULL;
}

static int ipprint_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_puts(out, EL_STATE(e, struct ipprint)->active ? "true" : "false");
	return 0;
}

static int ipprint_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what;
	bool a;
	if (el_parse_value(EL_T_BOOL, v, &a, err) < 0)
		return err->code;
	__atomic_store_n(&EL_STATE(e, struct ipprint)->active, a, __ATOMIC_RELAXED);
	return 0;
}

static const struct el_handler handlers[] = {
	{"active", ipprint_read, ipprint_write, 0, 0, "whether packets are printed"},
	EL_HANDLERS_END,
};

static struct el_class ipprint = {
	.name = "IPPrint",
	.sig = "IPPrint([LABEL, KEYWORDS])",
	.summary = "pretty-prints IP packets",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct ipprint),
	.args = args,
	.init = ipprint_init,
	.cleanup = ipprint_cleanup,
	.push = ipprint_push,
	.handlers = handlers,
};
EL_REGISTER(ipprint)
